# The two commands of the README: `make run` and `make test`. Both install what they need.

GO ?= go
export GOFLAGS ?= -buildvcs=false
# The race detector needs a C compiler; without one the tests still run, without it.
RACE := $(shell command -v gcc >/dev/null 2>&1 && echo -race)

.PHONY: run test deps browser lint bench

run: ## start Jiayuan on the embedded SQLite engine at http://127.0.0.1:8080
	$(GO) run ./cmd/jiayuan serve

test: deps browser lint ## everything: lint, unit, conformance (SQLite + FerretDB), HTTP, kill -9 and browser tests
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

deps:
	$(GO) mod download

# axe-core for the browser tests' accessibility check, from frontend/package-lock.json.
# Skipped when node_modules already matches the lock, so it runs offline once installed.
AXE := frontend/node_modules/axe-core/axe.min.js

# gofmt, go vet, staticcheck (pinned, fetched as a Go module) and go.mod as `go mod tidy` leaves it.
lint:
	@test -z "$$(gofmt -l cmd app realtime search policy frontend)" || { gofmt -l cmd app realtime search policy frontend; echo 'gofmt: the files above are not formatted'; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Browser tests drive Debian's Chromium; install it (and CJK fonts, so the screenshots
# show Chinese text) when it is missing. Needs root or sudo, as on CI.
browser: $(AXE)
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

$(AXE): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing Debian's npm for the accessibility check"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bench: ## seed 10k threads / 200k posts and measure the budgets
	$(GO) run ./cmd/jiayuan bench
