// Package config turns the edge agent's command line into an Options value:
// it parses and validates every flag, so that main only wires the parts
// together and a bad flag ends the program with one clear line (exit 2).
package config
