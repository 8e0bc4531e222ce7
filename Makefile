# greenbench build. Plain make; no generated configure step.
#
#   make            release build: build/greenbench, build/libgreenbench.a
#   make run        install missing packages, build, run the main job
#   make check      install missing packages, build with ASan+UBSan, run all tests
#   make bench      build and run the benchmarks under bench/
#
# Feature fragments live in mk/*.mk (one per optional dependency or code
# generator) so adding a backend does not mean editing this file.

CC ?= cc
ifeq ($(origin CC),default)
CC := cc
endif
MODE ?= release
BUILD ?= build
ifeq ($(MODE),asan)
BUILD := build-asan
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter -Wno-format-truncation
CPPFLAGS += -Iinclude -Isrc -I$(BUILD)/gen -D_GNU_SOURCE \
	-DGB_VERSION='"$(VERSION)"' -DGB_GIT_REV='"$(GIT_REV)"'
CFLAGS_COMMON := -std=c11 $(WARN) -pthread -fPIC -MMD -MP
ifeq ($(MODE),asan)
CFLAGS_MODE := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_MODE := -fsanitize=address,undefined
else
CFLAGS_MODE := -O2 -g
LDFLAGS_MODE :=
endif
CFLAGS ?=
ALL_CFLAGS = $(CFLAGS_COMMON) $(CFLAGS_MODE) $(CFLAGS)
LDLIBS += -lcjson -ldl -lm -lpthread

LIB_DIRS := src/common src/meter src/runtime src/model src/workload src/campaign src/store src/report
LIB_SRC := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
# Shared helpers for tests (fake trees, temp dirs), linked into every test.
TESTLIB_SRC := $(wildcard tests/lib/*.c)
GEN_SRC :=
# Extra files the tests need built first (fake shared libraries, models).
TEST_DEPS :=

-include mk/*.mk

LIB_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC) $(GEN_SRC))
CLI_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
TESTLIB_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(TESTLIB_SRC))
TEST_BIN = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps run check test bench clean clang-check
.SECONDARY:
all: $(BUILD)/greenbench

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libgreenbench.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/greenbench: $(CLI_OBJ) $(BUILD)/libgreenbench.a
	$(CC) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libgreenbench.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libgreenbench.a $(TESTLIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $< \
		$(TESTLIB_OBJ) $(BUILD)/libgreenbench.a -lcmocka $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libgreenbench.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libgreenbench.a $(LDLIBS)

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/main-job.sh $(BUILD)/greenbench

test: $(BUILD)/greenbench $(TEST_BIN) $(TEST_DEPS)
	@GB_BUILD=$(BUILD) tests/run.sh $(TEST_BIN)

check: deps
	@scripts/check-banned.sh
	@$(MAKE) --no-print-directory clang-check
	@$(MAKE) --no-print-directory MODE=asan test

# Catch what only clang warns about; compiles everything, links nothing.
clang-check:
	@if command -v clang >/dev/null; then \
		$(MAKE) --no-print-directory CC=clang BUILD=build-clang \
			build-clang/libgreenbench.a $(patsubst src/cli/%.c,build-clang/obj/src/cli/%.o,$(CLI_SRC)); \
	else echo "clang not found: skipping the clang build"; fi

bench: $(BENCH_BIN) $(BUILD)/greenbench
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-asan build-clang

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
