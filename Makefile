# Starling: make demo · make test · make bench
# Each target installs the Debian packages it lacks, then builds with the Swift toolchain.

SWIFT ?= swift
SYSTEM_PACKAGES := libopenblas-dev libsqlite3-dev libssl-dev
BIN := .build/debug

.PHONY: all deps build demo test bench clean

all: build

deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

demo: build
	$(BIN)/starling demo --data data/digits.csv --label label --agents 8 --rounds 10 --arch 64-32-10

test: build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

# One JSON line per figure; installs the peers (ONNX Runtime) into the git-ignored .venv.
bench: deps
	Benchmarks/run.sh

clean:
	rm -rf .build
