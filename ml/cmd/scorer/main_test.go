package main

import (
	"testing"

	"github.com/tributary-iot/tributary/ml/internal/cmdtest"
)

func TestBadFlags(t *testing.T) { cmdtest.BadFlags(t, "scorer", run) }
