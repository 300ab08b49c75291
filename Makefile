# The two commands of the README: `make run` and `make test`. Both install what they need.

GO ?= go
export GOFLAGS ?= -buildvcs=false
# The race detector needs a C compiler; without one the tests still run, without it.
RACE := $(shell command -v gcc >/dev/null 2>&1 && echo -race)

.PHONY: run test deps browser lint bench

# Built, then run, rather than `go run`: go run exits 1 on Ctrl-C whatever the server
# does, so make printed an error after every clean stop. The server exits 0 on Ctrl-C.
run: ## start Jiayuan on the embedded SQLite engine at http://127.0.0.1:8080
	$(GO) build -o jiayuan ./cmd/jiayuan
	./jiayuan serve

test: deps browser lint ## everything: lint, unit, conformance (SQLite + FerretDB), HTTP, kill -9 and browser tests
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

deps:
	$(GO) mod download

# The npm tools of the tests (axe-core for the browser tests' accessibility check, the
# two OpenAPI linters), from frontend/package-lock.json: installed when missing or older
# than the lock, so they run offline once installed.
NODE_MODULES := frontend/node_modules/.installed
SPECTRAL := frontend/node_modules/.bin/spectral
REDOCLY := frontend/node_modules/.bin/redocly

# gofmt, go vet, staticcheck (pinned, fetched as a Go module), go.mod as `go mod tidy`
# leaves it, and the OpenAPI document through Redocly's and Spectral's rules (errors fail,
# warnings are shown).
lint: $(NODE_MODULES)
	@test -z "$$(gofmt -l cmd app realtime search policy frontend)" || { gofmt -l cmd app realtime search policy frontend; echo 'gofmt: the files above are not formatted'; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint --format=stylish app/web/openapi.json
	$(SPECTRAL) lint --ruleset frontend/spectral.json app/web/openapi.json

$(NODE_MODULES): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing Debian's npm for the test tools"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Browser tests drive Debian's Chromium; install it (and CJK fonts, so the screenshots
# show Chinese text) when it is missing. Needs root or sudo, as on CI.
browser: $(NODE_MODULES)
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

bench: ## seed 10k threads / 200k posts and measure the budgets
	$(GO) run ./cmd/jiayuan bench
