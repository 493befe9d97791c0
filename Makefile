# Starling: make demo · make test · make bench
# Each target installs the Debian packages it lacks, then builds with the Swift toolchain.

SWIFT ?= swift
SYSTEM_PACKAGES := libopenblas-dev libsqlite3-dev libssl-dev
# For checking the int8 kernels on aarch64 as well: a cross C library and qemu-user.
CROSS_PACKAGES := libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user
# For the tests: promtool, which checks the aggregator's and the agent's /metrics output, headless
# chromium with its WebDriver, which drives the dashboard end to end, and PostgreSQL: the storage
# tests, then the aggregator's tests a second time, run against a throw-away server of it
# (scripts/postgres-test-server.sh); and HAProxy, in front of aggregator replicas in the failover test.
TEST_PACKAGES := prometheus chromium chromium-driver postgresql haproxy
# For `make package` and its install test: dpkg-shlibdeps, lintian, and mmdebstrap for the chroot.
PACKAGE_TOOLS := dpkg-dev lintian mmdebstrap
# The packaged programs: release builds with the Swift runtime linked in, so that they need only
# Debian's libraries; the agent keeps its own release link (Package.swift).
PACKAGE_BUILD := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xcc -ffunction-sections -Xcc -fdata-sections
PACKAGE_DIR := dist
BIN := .build/debug
# The release agent, with one section per function so that the release link (Package.swift) can
# place the functions the daemon runs together.
AGENT_RELEASE := -c release --product starling-agent -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xcc -ffunction-sections -Xcc -fdata-sections
# Extra flags for that build (the layout recorder, scripts/agent-layout, asks for a link map).
AGENT_BUILD_FLAGS ?=

.PHONY: all deps cross-deps test-deps package-deps install check-install build agent demo test check check-format check-onnx check-openapi check-kernels package check-package bench screenshots clean

all: build

deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(SYSTEM_PACKAGES)"

cross-deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(CROSS_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(TEST_PACKAGES)"

package-deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(PACKAGE_TOOLS)"

install:
	@scripts/install-packages.sh $(PACKAGES)

# The install paths above, with apt-get, dpkg, sudo and id stubbed, as root and as a user.
check-install:
	scripts/test-install.sh

build: deps
	$(SWIFT) build

agent: deps
	$(SWIFT) build $(AGENT_RELEASE) $(AGENT_BUILD_FLAGS)

demo: build
	$(BIN)/starling demo --data data/digits.csv --label label --agents 8 --rounds 10 --arch 64-32-10

# Every int8 kernel path against the portable one, natively and on aarch64 under qemu.
check-kernels: cross-deps
	scripts/check-kernels-cross.sh

# The checks that are not tests: formatting, the ONNX fixtures against their script, the OpenAPI
# document's JSON copies against docs/openapi.yaml, the kernels.
check: check-format check-onnx check-openapi check-kernels

# swift-format in lint mode with the repo's .swift-format; `swift format --in-place -r` fixes most findings.
check-format:
	$(SWIFT) format lint --strict --recursive Package.swift Sources agent aggregator quantization Tests Benchmarks

# Validates docs/openapi.yaml as OpenAPI 3.1, regenerates docs/openapi.json and the aggregator's embedded
# copy from it (pinned tools in the git-ignored .venv-openapi) and fails when they differ from the
# committed files.
check-openapi:
	scripts/check-openapi.sh

# Regenerates the ONNX import fixtures in a git-ignored virtualenv and compares them with the committed ones.
check-onnx:
	scripts/check-onnx-fixtures.sh

# The Debian packages starling, starling-agent and starling-aggregator, in dist/.
package: deps package-deps
	$(SWIFT) build $(PACKAGE_BUILD) --product starling
	$(SWIFT) build $(PACKAGE_BUILD) --product starling-agent
	$(SWIFT) build $(PACKAGE_BUILD) --product starling-aggregator
	packaging/build-debs.sh .build/release $(PACKAGE_DIR)

# lintian on the packages, then their install in a fresh Debian chroot and the units' commands run there.
# It builds a chroot, so a user runs it through sudo.
check-package: package
	$(if $(filter 0,$(shell id -u)),,sudo) packaging/test/install-in-chroot.sh $(PACKAGE_DIR)

test: check-install test-deps build check-kernels check-package
	$(SWIFT) build --build-tests
	scripts/postgres-test-server.sh run sh -c '$(SWIFT) test --skip-build --disable-swift-testing && \
		STARLING_TEST_DATABASE=postgresql $(SWIFT) test --skip-build --disable-swift-testing --filter StarlingAggregatorTests'

# The dashboard's screenshots in docs/dashboard/, taken by its end-to-end test in headless chromium.
screenshots: test-deps build
	$(SWIFT) build --build-tests
	STARLING_SCREENSHOT_DIR=$(CURDIR)/docs/dashboard $(SWIFT) test --skip-build --disable-swift-testing \
		--filter DashboardInChromiumTests

# One JSON line per figure; installs the peers (ONNX Runtime) into the git-ignored .venv.
bench: deps
	Benchmarks/run.sh

clean:
	rm -rf .build $(PACKAGE_DIR)
