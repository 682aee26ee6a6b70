# SPDX-License-Identifier: BSD-3-Clause
# The two set-up commands of the README:
#   make demo   installs what is missing, builds, runs a real cluster job
#   make test   installs what is missing, builds, runs every test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test unit clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 1

unit: build
	$(BUILD)/ipp_tests

clean:
	rm -rf $(BUILD)
