# Aspen's two entry points for a fresh Debian 12 machine:
#   make run   installs what is missing, builds, and runs the demo (load, read, check, benchmark)
#   make test  installs what the tests need, builds, and runs every test (release build, then ASan+UBSan)
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# io_uring is optional for a build, required here: deps-* install liburing-dev, so a missing liburing fails the
# configure step instead of silently testing only the thread-pool fallback of the async read path.
URING_FLAGS ?= -DASPEN_WITH_URING=ON

.PHONY: all build run test test-release test-asan test-fuzz deps-build deps-test clean

all: build

deps-build:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(URING_FLAGS) $(CMAKE_FLAGS)

build: deps-build $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/tools/aspen demo

test-release: deps-test $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L ci

$(ASAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DASPEN_SANITIZE=address,undefined $(URING_FLAGS) $(CMAKE_FLAGS)

test-asan: deps-test $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L sanitize

# libFuzzer (clang, ASan+UBSan, coverage over the whole library): only the two fuzz targets are built; ctest -L fuzz
# replays the committed corpora and regressions, then fuzzes each target for two minutes (tests/fuzz).
FUZZ_BUILD ?= build-fuzz
$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASPEN_SANITIZE=address,undefined -DASPEN_FUZZ=ON -DASPEN_WERROR=OFF \
	  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link $(CMAKE_FLAGS)

test-fuzz: deps-test $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_open fuzz_ops
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

test: test-release test-asan test-fuzz

# ThreadSanitizer (clang): builds the threaded tests (label "tsan") with -DASPEN_SANITIZE=thread and runs them.
TSAN_BUILD ?= build-tsan
TSAN_TARGETS ?= aspen_thread_tests
.PHONY: test-tsan
$(TSAN_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASPEN_SANITIZE=thread $(CMAKE_FLAGS)

test-tsan: deps-test $(TSAN_BUILD)/build.ninja
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TARGETS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -j $(JOBS) -L tsan

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

# The side-by-side benchmark (docs/BENCHMARKS.md): make bench [BENCH_ARGS="--values=100 --repeat=3"]
BENCH_ARGS ?=
.PHONY: bench deps-bench
deps-bench:
	@scripts/install-deps.sh bench

bench: deps-bench
	scripts/bench.sh $(BENCH_ARGS)
