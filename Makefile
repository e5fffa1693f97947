# wxgate — run `make help` for the targets.

GO          ?= go
BIN         := $(CURDIR)/.bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
GITLEAKS    := $(BIN)/gitleaks
FUZZTIME    ?= 15s
BENCHTIME   ?= 2s
BENCHCOUNT  ?= 5
# Third-party WeChat SDKs (Node) that the emulator's compatibility test runs.
SDKCOMPAT   := emulator/testdata/sdkcompat

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "; print "Targets:"} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build ./.bin/wxgate
	$(GO) build -o $(BIN)/wxgate ./cmd/wxgate

.PHONY: run
run: ## run the demo (emulator + gateway + demo site)
	$(GO) run ./cmd/wxgate demo

.PHONY: test
test: vet lint race ## everything CI checks: go vet, staticcheck, go test -race ./...

.PHONY: vet
vet: ## go vet ./...
	$(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: lint
lint: $(STATICCHECK) ## gofmt check and staticcheck (installed into ./.bin if missing)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(STATICCHECK) ./...

.PHONY: race
race: sdkcompat ## go test -race ./...
	$(GO) test -race -count=1 ./...

.PHONY: sdkcompat
sdkcompat: $(SDKCOMPAT)/node_modules/.package-lock.json ## install the Node SDKs the emulator is checked against

$(SDKCOMPAT)/node_modules/.package-lock.json: $(SDKCOMPAT)/package-lock.json
	cd $(SDKCOMPAT) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 15s)
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

$(GITLEAKS):
	GOBIN=$(BIN) $(GO) install github.com/zricethezav/gitleaks/v8@latest

.PHONY: bench
bench: $(GITLEAKS) ## run the benchmarks (BENCHCOUNT runs each; gitleaks once) and print medians
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $$($(GO) list ./... | grep -v '/audit$$') | tee $(BIN)/bench.txt
	$(GO) test -run '^$$' -bench 'Scan' -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./audit | tee -a $(BIN)/bench.txt
	$(GO) test -run '^$$' -bench 'Gitleaks' -benchtime 1x -count 1 ./audit | tee -a $(BIN)/bench.txt
	@$(GO) run ./internal/benchsum < $(BIN)/bench.txt

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
