# nasx build, test and benchmark targets. Run `make help` for a list.
GO        ?= go
BIN       ?= bin/nasx
PKGS      ?= ./...
BENCHTIME ?= 1x
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/nasx/nasx/internal/build.Version=$(VERSION)

.PHONY: all build install test test-short bench lint fuzz help clean

all: build

build: ## Build the static nasx binary into bin/nasx
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/nasx

install: ## Install nasx into $GOBIN (or $GOPATH/bin)
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/nasx

test: ## Run every test (reads ../shared/data when present; skips tests that need it otherwise)
	$(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS) # the portable kernels (no AVX2) and their tests compile off amd64 too
	$(GO) test -count=1 -timeout 9m $(PKGS)

test-short: ## Run the fast tests only
	$(GO) test -short -count=1 $(PKGS)

bench: ## Run the benchmarks (BENCHTIME=1x by default; e.g. make bench BENCHTIME=2s)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m $(PKGS)

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fuzz: ## Run every fuzz target for FUZZTIME (default 5s) each
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-5s} $$pkg || exit 1; \
	  done; \
	done

clean: ## Remove build outputs
	rm -rf bin

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'
