# rampart: make demo compiles every example for every target; make test runs
# the test suite (what CI runs).
GO        ?= go
BIN       := bin/rampart
EXAMPLES  := $(sort $(dir $(wildcard examples/*/*.cue)))
export RAMPART_TODAY ?=

.PHONY: all build demo test vet fmt-check bench bench-compile bench-proxy bench-drift testssl fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rampart

# demo: vet each example, then build it for every target into out/<example>/.
# Each target verifies its own output before anything is written.
demo: build
	@set -e; for ex in $(EXAMPLES); do \
		name=$$(basename $$ex); \
		echo "== $$name"; \
		$(BIN) vet $$ex; \
		$(BIN) build --target all -o out/$$name $$ex; \
	done; \
	echo "demo: compiled $(words $(EXAMPLES)) examples for every target into out/"
	@echo "== nginx -t on every example's nginx.conf (throwaway certificates and local hosts in place of the policy's)"
	$(GO) test -count=1 -run TestExamplesPassNginxT ./targets/nginx/
	@echo "== Kong: every example's kong.yaml against Kong's published decK and plugin schemas (Kong is not run here)"
	$(GO) test -count=1 -run TestExamplesValidate ./targets/kong/
	@echo "demo: done"

test: vet fmt-check
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=1000x

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench Compile -benchmem -benchtime 3x ./compiler/

bench-compile:
	bash scripts/bench-compile.sh

# bench-proxy: rampart serve and nginx, same policy, same upstream, wrk.
bench-proxy:
	bash scripts/bench-proxy.sh

# bench-drift: drift over a 5,000-route Kong /config answer and Envoy
# config_dump, beside `cue export` of the same generated policy.
bench-drift:
	bash scripts/bench-drift.sh

# testssl: testssl.sh against rampart serve with Mozilla's intermediate profile.
testssl:
	$(GO) test -count=1 -run TestTestssl -v ./proxy/server/

# fuzz: a short run of every fuzz target: FUZZTIME each, as a duration
# (20s) or an input count (1000x). Counts have no deadline, so a run cut
# short while gathering coverage cannot fail with "context deadline
# exceeded" (a Go fuzzing flake); make test uses a count.
FUZZTIME ?= 20s
fuzz:
	@set -e; for t in targets/goproxy:FuzzBuild targets/nginx:FuzzPolicy targets/nginx:FuzzBuild proxy/server:FuzzRequest proxy/authn:FuzzJWTParse proxy/authn:FuzzJWTClaims proxy/accesslog:FuzzRedact report:FuzzWriters compiler/diag:FuzzGitHubCommand posture:FuzzMarkdownRow targets/kong:FuzzBuild targets/kong:FuzzPolicy targets/envoy:FuzzBuild targets/envoy:FuzzPolicy targets/envoy:FuzzYAMLSubset targets/envoy:FuzzIndentJSON targets/envoy:FuzzMarshalShared targets/nginx/live:FuzzParse drift:FuzzWriteText targets/kong/live:FuzzParseConfig targets/envoy/live:FuzzParseDump targets/kong/live:FuzzDriftShaped targets/envoy/live:FuzzDriftShaped targets/kong:FuzzHeader targets/kong:FuzzPrintYAML targets/kong/live:FuzzBlockYAML targets/kong/live:FuzzDecodeJSON targets/envoy/internal/anyjson:FuzzUnmarshal targets/envoy/internal/anyjson:FuzzScanRef; do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

clean:
	rm -rf bin out
