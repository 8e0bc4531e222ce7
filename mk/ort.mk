# ONNX Runtime backend (src/runtime/ort.c).
#
#   ORT=auto (default)  build the backend when $(ORT_ROOT)/include has the
#                       C API header, else leave it out with a message
#   ORT=on              stop the build when the header is missing
#   ORT=off             leave the backend out
#   ORT_ROOT=DIR        an ORT tree with include/ and lib/ (default
#                       third_party/ort, filled by scripts/deps.d/ort.sh)
#
# Only the headers are needed at build time: libonnxruntime.so is loaded at
# run time with dlopen (GREENBENCH_ORT_LIB, else $(ORT_ROOT)/lib as built,
# else the loader's search path), so one binary runs against the CPU tree
# here and the GPU tree on the H100 machine.
ORT ?= auto
ORT_ROOT ?= third_party/ort
ORT_HEADER := $(wildcard $(ORT_ROOT)/include/onnxruntime_c_api.h)

ifeq ($(ORT),off)
else ifneq ($(ORT_HEADER),)
CPPFLAGS += -DGB_HAVE_ORT=1 -I$(ORT_ROOT)/include \
	-DGB_ORT_LIBDIR='"$(abspath $(ORT_ROOT))/lib"'
# `make install` copies the library (and its provider plugins) to
# PREFIX/lib/greenbench, which an installed binary tries first.
INSTALL_LIBS += $(wildcard $(ORT_ROOT)/lib/libonnxruntime*.so*)
else ifeq ($(ORT),on)
$(error ORT=on but $(ORT_ROOT)/include/onnxruntime_c_api.h is missing: run 'make deps' or set ORT_ROOT)
else
$(info ort: no $(ORT_ROOT)/include/onnxruntime_c_api.h: the ort runtime is left out (run 'make deps' or set ORT_ROOT))
endif

# model_sha256 in run records.
LDLIBS += -lcrypto

# Tiny ONNX models for the end-to-end tests (tests/gen_models.py), made
# with Debian's python3-onnx: call /usr/bin/python3, not whatever python3
# comes first in PATH. This file is read before the Makefile's first rule,
# so keep `all` the default goal.
.DEFAULT_GOAL := all
GB_PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
ORT_TEST_MODELS := $(BUILD)/tests/models/.stamp
TEST_DEPS += $(ORT_TEST_MODELS)
$(ORT_TEST_MODELS): tests/gen_models.py
	@mkdir -p $(dir $@)
	$(GB_PYTHON) tests/gen_models.py $(dir $@)
	@touch $@

# bench_run_overhead times the same tiny models.
bench: $(ORT_TEST_MODELS)
