# greenbench build. Plain make; no generated configure step.
#
#   make            release build: build/greenbench, build/libgreenbench.a
#   make run        install missing packages, build, run the main job
#   make check      install missing packages, build with ASan+UBSan, run all tests
#   make bench      build and run the benchmarks under bench/
#   make install    PREFIX=/usr/local DESTDIR=: the binary, workers, ORT, docs
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
ifeq ($(MODE),fuzz)
BUILD := build-fuzz
CC := clang
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# gcc's -Wformat-truncation flags every deliberate snprintf truncation;
# clang does not know the option.
WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter \
	$(if $(findstring clang,$(CC)),,-Wno-format-truncation)
CPPFLAGS += -Iinclude -Isrc -I$(BUILD)/gen -D_GNU_SOURCE -DGB_VERSION='"$(VERSION)"'
CFLAGS_COMMON := -std=c11 $(WARN) -pthread -fPIC -MMD -MP
ifeq ($(MODE),asan)
CFLAGS_MODE := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_MODE := -fsanitize=address,undefined
else ifeq ($(MODE),fuzz)
CFLAGS_MODE := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS_MODE := -fsanitize=address,undefined
else
CFLAGS_MODE := -O2 -g
LDFLAGS_MODE :=
endif
CFLAGS ?=
# Quiet by default, like kbuild; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
QUIET_CC = 
QUIET_LINK = 
else
Q := @
QUIET_CC = @echo "  CC      $@";
QUIET_LINK = @echo "  LINK    $@";
endif
ALL_CFLAGS = $(CFLAGS_COMMON) $(CFLAGS_MODE) $(CFLAGS)
LDLIBS += -lcjson -ldl -lm -lpthread

LIB_DIRS := src/common src/meter src/runtime src/model src/workload src/campaign src/store src/record src/report src/advise
LIB_SRC := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
# libFuzzer entry points: fuzz/fuzz_<parser>.c, seeds in fuzz/corpus/<parser>/.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 10
# Shared helpers for tests (fake trees, temp dirs), linked into every test.
TESTLIB_SRC := $(wildcard tests/lib/*.c)
GEN_SRC :=
# Extra files the tests need built first (fake shared libraries, models).
TEST_DEPS :=
# Shared libraries `make install` puts in PREFIX/lib/greenbench (mk/ort.mk).
INSTALL_LIBS :=

-include mk/*.mk

LIB_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC) $(GEN_SRC))
CLI_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
TESTLIB_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(TESTLIB_SRC))
TEST_BIN = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_BIN = $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

# Objects depend on the flags they were built with: `make deps` adding ORT's
# headers, or a new mk/ fragment, must rebuild what they change.
FLAGS_LINE = $(CC) $(CPPFLAGS) $(ALL_CFLAGS)
ifneq ($(FLAGS_LINE),$(file <$(BUILD)/.flags))
$(shell mkdir -p $(BUILD))
$(file >$(BUILD)/.flags,$(FLAGS_LINE))
endif

.PHONY: all deps run check test bench clean clang-check fuzz fuzz-bins install install-check
.SECONDARY:
all: $(BUILD)/greenbench

$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Only this object sees the git revision, so a commit rebuilds one file.
$(BUILD)/obj/src/common/version.o: CPPFLAGS += -DGB_GIT_REV='"$(GIT_REV)"'
$(BUILD)/obj/src/common/version.o: $(wildcard .git/HEAD .git/refs/heads/*)

$(BUILD)/obj/tests/%.o: tests/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libgreenbench.a: $(LIB_OBJ)
	@rm -f $@
	$(QUIET_LINK)ar rcs $@ $^

$(BUILD)/greenbench: $(CLI_OBJ) $(BUILD)/libgreenbench.a
	$(QUIET_LINK)$(CC) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libgreenbench.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libgreenbench.a $(TESTLIB_OBJ)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $< \
		$(TEST_CLI_OBJ) $(TESTLIB_OBJ) $(BUILD)/libgreenbench.a -lcmocka $(LDLIBS)

# The option parser is CLI code (it prints); its unit test links it too.
$(BUILD)/tests/test_parse_options: TEST_CLI_OBJ = $(BUILD)/obj/src/cli/parse_options.o
$(BUILD)/tests/test_parse_options: $(BUILD)/obj/src/cli/parse_options.o

$(BUILD)/bench/%: bench/%.c $(BUILD)/libgreenbench.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libgreenbench.a $(LDLIBS)

$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libgreenbench.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
		$(BUILD)/libgreenbench.a $(LDLIBS)

fuzz-bins: $(FUZZ_BIN)

# A short fuzz pass of every parser (CI runs it from `make check`).
fuzz:
	@$(MAKE) --no-print-directory MODE=fuzz fuzz-bins
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); c=$$(mktemp -d); \
		[ -d fuzz/corpus/$${n#fuzz_} ] && cp -r fuzz/corpus/$${n#fuzz_}/. $$c/; \
		echo "== $$n ($(FUZZ_SECONDS) s)"; \
		build-fuzz/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $$c 2>&1 | tail -n 2 \
			|| { rm -rf $$c; exit 1; }; rm -rf $$c; done

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/main-job.sh $(BUILD)/greenbench

test: $(BUILD)/greenbench $(TEST_BIN) $(TEST_DEPS)
	@GB_BUILD=$(BUILD) tests/run.sh $(TEST_BIN)

# Rewrite the report's golden files (tests/golden/) from the fake campaign
# of test_report; review the diff before committing it.
golden: $(BUILD)/greenbench $(BUILD)/tests/test_report $(TEST_DEPS)
	@GB_GOLDEN_UPDATE=1 GB_BUILD=$(BUILD) tests/run.sh $(BUILD)/tests/test_report

check: deps
	@scripts/check-banned.sh
	@$(MAKE) --no-print-directory clang-check
	@$(MAKE) --no-print-directory MODE=asan test
	@$(MAKE) --no-print-directory MODE=asan install-check
	@$(MAKE) --no-print-directory fuzz

# An installed greenbench finds everything relative to its own binary:
# workers in ../share/greenbench/workers, ONNX Runtime in ../lib/greenbench
# (src/runtime/worker_runtimes.c, ort_env.c), so PREFIX can be anywhere.
PREFIX ?= /usr/local
INSTALL ?= install
install: $(BUILD)/greenbench
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/greenbench \
		$(DESTDIR)$(PREFIX)/share/greenbench/workers $(DESTDIR)$(PREFIX)/share/greenbench/examples \
		$(DESTDIR)$(PREFIX)/share/doc/greenbench
	$(INSTALL) -m 755 $(BUILD)/greenbench $(DESTDIR)$(PREFIX)/bin/greenbench
	$(INSTALL) -m 644 workers/*.py $(DESTDIR)$(PREFIX)/share/greenbench/workers/
	$(INSTALL) -m 644 examples/*.yaml $(DESTDIR)$(PREFIX)/share/greenbench/examples/
	$(INSTALL) -m 644 README.md $(DESTDIR)$(PREFIX)/share/doc/greenbench/
	cp -R docs/. $(DESTDIR)$(PREFIX)/share/doc/greenbench/
	$(if $(INSTALL_LIBS),cp -P $(INSTALL_LIBS) $(DESTDIR)$(PREFIX)/lib/greenbench/)

# `make install` into a temporary prefix, then a smoke test of that copy
# alone (tests/install_smoke.sh; part of `make check`).
install-check: $(BUILD)/greenbench $(TEST_DEPS)
	@GB_BUILD=$(BUILD) MAKE="$(MAKE)" MODE=$(MODE) tests/install_smoke.sh

# Catch what only clang warns about; compiles everything, links nothing.
clang-check:
	@if command -v clang >/dev/null; then \
		$(MAKE) --no-print-directory CC=clang BUILD=build-clang \
			build-clang/libgreenbench.a $(patsubst src/cli/%.c,build-clang/obj/src/cli/%.o,$(CLI_SRC)); \
	else echo "clang not found: skipping the clang build"; fi

bench: $(BENCH_BIN) $(BUILD)/greenbench
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-asan build-clang build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
