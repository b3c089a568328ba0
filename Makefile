# The two commands a newcomer needs: `make run` (install, build, run the demo) and
# `make test` (install, build, run every test). Each build directory is configured once and
# reused; ccache makes rebuilds cheap. See DESIGN "Build configurations".
SHELL := /bin/bash
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
# How long each fuzz target runs in `make test` and `make fuzz` (seconds).
FUZZ_SECONDS ?= 60

GEN := -G Ninja
RELEASE_FLAGS := -DCMAKE_BUILD_TYPE=Release
# The sanitized builds compile at -O0: half the compile time of -O1, and their suites run in
# about a minute either way. The fuzzers keep -O1: their speed is executions per second.
ASAN_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
              -DHTTPTRACE_SANITIZE=address,undefined -DHTTPTRACE_BUILD_BENCH=OFF
TSAN_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
              -DHTTPTRACE_SANITIZE=thread -DHTTPTRACE_BUILD_BENCH=OFF -DHTTPTRACE_BUILD_TOOLS=OFF
FUZZ_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
              -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
              -DCMAKE_CXX_FLAGS="-stdlib=libc++" -DCMAKE_EXE_LINKER_FLAGS="-stdlib=libc++" \
              -DHTTPTRACE_BUILD_FUZZ=ON

configure = test -f $(1)/build.ninja || cmake -S . -B $(1) $(GEN) $(2)

.PHONY: all deps build build-asan build-tsan build-fuzz test run install bench bench-callgrind fuzz format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@$(call configure,build,$(RELEASE_FLAGS))
	cmake --build build -j$(JOBS)

build-asan: deps
	@$(call configure,build-asan,$(ASAN_FLAGS))
	cmake --build build-asan -j$(JOBS)

# Only what runs under TSan: the library and the suites labelled `concurrency`.
build-tsan: deps
	@$(call configure,build-tsan,$(TSAN_FLAGS))
	cmake --build build-tsan -j$(JOBS) --target concurrency_tests

build-fuzz: deps
	@$(call configure,build-fuzz,$(FUZZ_FLAGS))
	cmake --build build-fuzz -j$(JOBS)

test: build build-asan build-tsan build-fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/run-tests.sh

run: build
	build/bin/httptrace demo

install: build
	cmake --install build --prefix $(PREFIX)

# The side-by-side table of spec/performance.md (docs/benchmarks.md); not part of `make test`.
# The configure step always re-runs so a build/ made before the bench packages were installed
# picks up Google Benchmark and libcurl.
define build_bench
	@scripts/install-deps.sh bench
	@$(call configure,build,$(RELEASE_FLAGS))
	@cmake -S . -B build -DHTTPTRACE_BUILD_BENCH=ON -DHTTPTRACE_BUILD_TOOLS=ON >/dev/null
	cmake --build build -j$(JOBS) --target bench_all
endef

bench:
	$(build_bench)
	build/bin/bench_driver --bin-dir build/bin

# Instructions per request under callgrind; the profiles stay in build/bench/.
bench-callgrind:
	$(build_bench)
	build/bin/bench_driver --callgrind --bin-dir build/bin --out-dir build/bench

fuzz: build-fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-tests.sh fuzz

format:
	clang-format -i $$(git ls-files '*.hpp' '*.cpp')

clean:
	rm -rf build build-asan build-tsan build-fuzz
