# wxgate — run `make help` for the targets.

GO          ?= go
BIN         := $(CURDIR)/.bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
GITLEAKS    := $(BIN)/gitleaks
GITLEAKS_VERSION := v8.30.1
FUZZTIME    ?= 15s
BENCHTIME   ?= 2s
BENCHCOUNT  ?= 5
# Third-party WeChat SDKs (Node) that the emulator's compatibility test runs.
SDKCOMPAT   := emulator/testdata/sdkcompat
# The storage tests' servers; deps-postgres and deps-redis start the local
# defaults when they are down. Set these to use servers of your own.
WXGATE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
WXGATE_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
export WXGATE_TEST_POSTGRES_URL WXGATE_TEST_REDIS_URL
# The wxgate-miniprogram npm package; its pinned dev tools (terser, acorn, typescript).
MPCLIENT    := clients/miniprogram

# Real OpenID relying parties the provider is checked against (interop/), and
# the provider it is benchmarked against (only in `make bench`).
OAUTH2_PROXY_VERSION := v7.15.6
OPENIDCLIENT := interop/testdata/openidclient
HYDRA_VERSION := v2.3.0

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "; print "Targets:"} /^[a-zA-Z_-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build ./.bin/wxgate
	$(GO) build -o $(BIN)/wxgate ./cmd/wxgate

.PHONY: run
run: ## run the demo (emulator + gateway + demo site)
	$(GO) run ./cmd/wxgate demo

.PHONY: test
test: deps vet lint race ## everything CI checks: installs/starts what tests need, go vet, staticcheck, go test -race ./...

# deps prepares everything the tests need on a fresh machine. Each deps-*
# target is one prerequisite, idempotent (it does nothing when the thing is
# there) and pinned where it installs a version: add yours as a new deps-*
# target and list it here.
.PHONY: deps
deps: deps-postgres deps-redis deps-node deps-chromium sdkcompat deps-mpclient deps-oauth-proxy deps-openid-client deps-ops $(STATICCHECK) ## install or start what the tests need (each deps-* target is one)

.PHONY: deps-postgres
deps-postgres: ## start PostgreSQL at 127.0.0.1:5432 when it is down (installs it when missing)
	@scripts/testdeps.sh postgres

.PHONY: deps-redis
deps-redis: ## start Redis at 127.0.0.1:6379 when it is down (installs it when missing)
	@scripts/testdeps.sh redis

.PHONY: deps-node
deps-node: ## install Node.js and npm when missing (Debian packages)
	@scripts/testdeps.sh node

.PHONY: deps-chromium
deps-chromium: ## install Chromium when missing (Debian package), for the demo's browser test
	@scripts/testdeps.sh chromium

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
race: sdkcompat deps-mpclient deps-oauth-proxy deps-openid-client ## go test -race ./... (run `make deps` once first, or use `make test`)
	$(GO) test -race -count=1 ./...

.PHONY: sdkcompat
sdkcompat: deps-node $(SDKCOMPAT)/node_modules/.package-lock.json ## install the Node SDKs the emulator is checked against

$(SDKCOMPAT)/node_modules/.package-lock.json: $(SDKCOMPAT)/package-lock.json
	cd $(SDKCOMPAT) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: deps-ops
deps-ops: ## install systemd-analyze and promtool when missing (Debian systemd, prometheus), for deploy/'s tests
	@command -v systemd-analyze >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null; }
	@command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

.PHONY: deps-mpclient
deps-mpclient: deps-node $(MPCLIENT)/node_modules/.package-lock.json ## install the mini-program client's pinned dev tools (npm ci)

$(MPCLIENT)/node_modules/.package-lock.json: $(MPCLIENT)/package-lock.json
	cd $(MPCLIENT) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: deps-oauth-proxy
deps-oauth-proxy: ## install oauth2-proxy (OAUTH2_PROXY_VERSION) into ./.bin for interop/'s test, unless it is there
	@$(GO) version -m $(BIN)/oauth2-proxy 2>/dev/null | grep -q 'oauth2-proxy/v7[[:space:]]*$(OAUTH2_PROXY_VERSION)' || \
		{ echo "installing oauth2-proxy $(OAUTH2_PROXY_VERSION) into $(BIN)"; \
		  GOBIN=$(BIN) $(GO) install github.com/oauth2-proxy/oauth2-proxy/v7@$(OAUTH2_PROXY_VERSION); }

.PHONY: deps-openid-client
deps-openid-client: deps-node $(OPENIDCLIENT)/node_modules/.package-lock.json ## install openid-client (pinned in interop/testdata/openidclient) for interop/'s test

$(OPENIDCLIENT)/node_modules/.package-lock.json: $(OPENIDCLIENT)/package-lock.json
	cd $(OPENIDCLIENT) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: deps-hydra
deps-hydra: $(BIN)/hydra-$(HYDRA_VERSION) ## build Ory Hydra (HYDRA_VERSION) into ./.bin for interop/'s benchmarks (make bench only)

# Hydra's go.mod has replace directives, so `go install hydra@version` refuses
# it: build the released module's source instead, with its own go.mod (its one
# local replace, the generated API client, comes from the module proxy).
$(BIN)/hydra-$(HYDRA_VERSION):
	@mkdir -p $(BIN)
	@echo "building Ory Hydra $(HYDRA_VERSION) into $@ (a few minutes, once)"
	set -e; tmp=$$(mktemp -d); trap 'chmod -R u+w $$tmp; rm -rf $$tmp' EXIT; \
	src=$$(cd $$tmp && GOFLAGS=-mod=mod $(GO) mod download -json github.com/ory/hydra/v2@$(HYDRA_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	cp -r $$src $$tmp/hydra; chmod -R u+w $$tmp/hydra; \
	cd $$tmp/hydra && $(GO) mod edit -dropreplace github.com/ory/hydra-client-go/v2 && \
	GOFLAGS=-mod=mod $(GO) build -ldflags '-X github.com/ory/hydra/v2/driver/config.Version=$(HYDRA_VERSION)' -o $@ .

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 15s)
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

$(GITLEAKS):
	GOBIN=$(BIN) $(GO) install github.com/zricethezav/gitleaks/v8@$(GITLEAKS_VERSION)

.PHONY: bench
bench: $(GITLEAKS) deps-postgres deps-hydra ## run the benchmarks (BENCHCOUNT runs each; gitleaks once) and print medians
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $$($(GO) list ./... | grep -v '/audit$$') | tee $(BIN)/bench.txt
	$(GO) test -run '^$$' -bench 'Scan' -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./audit | tee -a $(BIN)/bench.txt
	$(GO) test -run '^$$' -bench 'Gitleaks' -benchtime 1x -count 1 ./audit | tee -a $(BIN)/bench.txt
	@$(GO) run ./internal/benchsum < $(BIN)/bench.txt

# The 1 GiB tree bench-memory scans (generated once, about 1 GiB on disk).
BENCH_TREE  ?= $(BIN)/bench-tree-1g

.PHONY: bench-memory
bench-memory: ## scan a generated 1 GiB tree with wxgate scan and print its peak memory (RSS) and speed
	$(GO) build -o $(BIN)/wxgate ./cmd/wxgate
	@test -d $(BENCH_TREE) || $(GO) run ./audit/internal/cmd/benchgen -out $(BENCH_TREE) -mb 1024
	@command -v /usr/bin/time >/dev/null || { echo "bench-memory needs /usr/bin/time (apt-get install time)"; exit 1; }
	@/usr/bin/time -f 'wxgate scan, 1 GiB tree: %e s elapsed, peak RSS %M KiB' $(BIN)/wxgate scan --format json $(BENCH_TREE) > $(BIN)/bench-memory.json 2> $(BIN)/bench-memory.txt; \
		code=$$?; tail -1 $(BIN)/bench-memory.txt; test $$code -le 1

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
