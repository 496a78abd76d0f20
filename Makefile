# ferry's developer entry points. `make test` is the one command CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
LDFLAGS := -s -w -X github.com/ferrycd/ferry/internal/version.Version=$(VERSION)
# kustomize_disable_go_plugin_support leaves out kustomize's Go plugin loader
# (ferry builds with plugins disabled): with cgo on, importing package plugin
# makes the linker export every symbol and keep every exported method, a
# stripped binary of 110 MB instead of 81 MB, and 8-20 MiB more resident
# memory in ferry controller.
TAGS    := kustomize_disable_go_plugin_support

.PHONY: all build generate verify-generated controlplane lint test fuzz dev ui-screenshots bench-ui image release-manifests

all: build

## build: the ferry binary in bin/ferry
build:
	$(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/ferry ./cmd/ferry

## image: ferry's container image, built without Docker, as an OCI image
## layout in bin/image and its digest in bin/image.digest (this machine's
## linux/GOARCH; PLATFORMS=linux/amd64,linux/arm64 for an index of several)
image:
	$(GO) run ./hack/image --version $(VERSION) $(if $(PLATFORMS),--platforms $(PLATFORMS))

## release-manifests: the image, then bin/ferry-install.yaml, the install
## manifests pinned to it by digest
release-manifests: image
	$(GO) run -tags '$(TAGS)' ./cmd/ferry install --export --image ghcr.io/ferrycd/ferry:$(VERSION)@$$(cat bin/image.digest) > bin/ferry-install.yaml.new
	mv bin/ferry-install.yaml.new bin/ferry-install.yaml

## generate: deepcopy functions and CRDs from api/ (controller-gen, pinned)
generate:
	bash hack/generate.sh

## verify-generated: fail when api/ changed but the generated files did not
verify-generated:
	bash hack/verify-generated.sh

## controlplane: build and cache etcd, kube-apiserver and the simulated cluster
controlplane:
	$(GO) run ./hack/controlplane

## lint: gofmt and go vet
lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...

## test: everything CI checks: generated files, lint, then every test against
## a real control plane (built once and cached on first use), then fuzz
test: verify-generated lint controlplane
	$(GO) test -timeout 45m ./...
	$(MAKE) fuzz

## fuzz: every native Go fuzz target alone for FUZZTIME each (default 5s),
## seeded with its corpus in <package>/testdata/fuzz (hack/fuzz.sh)
FUZZTIME ?= 5s
fuzz:
	FUZZTIME='$(FUZZTIME)' GO='$(GO)' TAGS='$(TAGS)' bash hack/fuzz.sh

## dev: ferry dev on the bundled example
dev:
	$(GO) run ./cmd/ferry dev --sync ./examples --path apps/development

## ui-screenshots: the web UI's pages in docs/ui/*.png, taken in headless
## Chromium (Debian's chromium package) by the browser tests' seeded fleet
ui-screenshots: controlplane
	FERRY_UI_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestScreenshots$$' ./internal/uibrowser/

## bench-ui: the web UI on 1000 Kustomizations (BenchmarkUI; figures in
## docs/benchmarks.md, "Web UI")
bench-ui: controlplane
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkUI$$' -benchtime 1x -timeout 30m ./internal/uibrowser/
