# stepwise: run `make help` for the targets.
GO      ?= go
BIN     ?= bin/stepwise
PKGS    := ./...
GOLANGCI_VERSION ?= v2.15.0

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## install the host packages jobs need (bubblewrap, Debian's python3 with scikit-learn, xgboost, pandas)
	./scripts/deps.sh

.PHONY: build
build: ## build bin/stepwise
	$(GO) build -o $(BIN) ./cmd/stepwise

.PHONY: demo
demo: deps ## run the whole ML pipeline for real through stepwise server (data, preprocessing, training, evaluation, conditional deployment, endpoint, a prediction)
	./scripts/demo.sh

demo-mocked: build ## the example pipeline with mocked SageMaker and Lambda calls (stepwise run --mock-config)
	$(BIN) run examples/pipeline/pipeline.asl.json --input-file examples/pipeline/input.json \
		--mock-config examples/pipeline/mocks.json --test-case HappyPath

.PHONY: test
test: deps ## run every test (unit, conformance corpus, JSONata suite, CLI, real SageMaker jobs)
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

.PHONY: test-race
test-race: ## run the tests with the race detector
	$(GO) test -race -count=1 $(PKGS)

.PHONY: conformance
conformance: ## run the AWS-recorded ASL cases and write the table in docs/conformance-results.md
	STEPWISE_CONFORMANCE_REPORT=$(CURDIR)/docs/conformance-results.md $(GO) test -count=1 -run 'TestConformance' -v ./internal/conformance/ | grep -E '^(=== RUN|--- |\s+run_test|ok|FAIL)' || true

.PHONY: bench
bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

.PHONY: fuzz
fuzz: ## run every fuzz target for a short while (FUZZTIME=30s)
	./scripts/fuzz.sh $${FUZZTIME:-30s}

.PHONY: lint
lint: ## gofmt, go vet and golangci-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION) run $(PKGS)

.PHONY: clean
clean: ## remove build output
	rm -rf bin
