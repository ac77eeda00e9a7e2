# Tributary: edge-to-cloud telemetry pipeline.
#   make demo   run the pipeline on embedded defaults and show data flowing
#   make test   every test: vet, generated code check, unit/integration/fault tests,
#               edge-agent tests under qemu (arm64, armv7), dependency rules
#   make bench  benchmarks, reported as ratios against same-run baselines

GO      ?= go
BIN     ?= bin
# Main packages; each becomes $(BIN)/<name>.
CMDS    := ./edge-agent ./cloud-core ./simulators/fleetsim
TEST_TIMEOUT ?= 20m
FUZZTIME ?= 10s

.PHONY: all build test test-unit test-arm check-generate check-deps vet cross generate fuzz bench demo soak clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(CMDS)

generate:
	$(GO) generate ./...

# Fails if the committed *_gen.go differ from what `go generate` makes.
check-generate:
	$(GO) generate ./...
	@git diff --exit-code -- '*_gen.go' '*_gen_test.go' || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- '*_gen.go' '*_gen_test.go')" || { echo "untracked generated files:"; git status --porcelain -- '*_gen.go'; exit 1; }

vet:
	$(GO) vet ./...

# The edge agent must stay small: it links neither nats-server nor parquet.
check-deps:
	@if $(GO) list -deps ./edge-agent | grep -E 'nats-io/nats-server|parquet'; then \
		echo "edge-agent must not link nats-server or parquet"; exit 1; fi
	@echo "check-deps: edge-agent links neither nats-server nor parquet"

test-unit:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# The edge agent's tests as linux/arm64 and linux/arm (GOARMv7) binaries under qemu-user.
test-arm:
	GOARCH=arm64 TRIBUTARY_TEST_EXEC=qemu-aarch64 $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -exec qemu-aarch64 ./edge-agent/... ./sync/uplink/...
	GOARCH=arm GOARM=7 TRIBUTARY_TEST_EXEC=qemu-arm $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -exec qemu-arm ./edge-agent/... ./sync/uplink/...

test: vet check-generate check-deps cross test-unit test-arm

cross:
	@mkdir -p $(BIN)
	GOOS=linux GOARCH=arm64 $(GO) build -o $(BIN)/edge-agent-linux-arm64 ./edge-agent
	GOOS=linux GOARCH=arm GOARM=7 $(GO) build -o $(BIN)/edge-agent-linux-armv7 ./edge-agent
	@ls -l $(BIN)/edge-agent-linux-*

# A short run of every fuzz test (FUZZTIME each).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

bench:
	scripts/bench.sh

demo: build
	scripts/demo.sh

soak:
	$(GO) test -count=1 -timeout 60m -run 'Soak' -tags soak ./...

clean:
	rm -rf $(BIN) data
