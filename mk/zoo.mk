# Model zoo: ONNX written with protobuf-c from Debian's onnx.proto
# (libonnx-dev ships it, protobuf-c-compiler generates the C code).
ONNX_PROTO_DIR ?= /usr/include/onnx
PROTOC_C ?= protoc-c

# mk/*.mk is read before the Makefile's first rule: keep 'all' the default.
.DEFAULT_GOAL := all

ZOO_GEN_C := $(BUILD)/gen/onnx.pb-c.c
ZOO_GEN_H := $(BUILD)/gen/onnx.pb-c.h
GEN_SRC += $(ZOO_GEN_C)
LDLIBS += -lprotobuf-c

# One protoc-c run makes both files; a grouped target keeps parallel make
# from running it twice.
$(ZOO_GEN_C) $(ZOO_GEN_H) &: $(ONNX_PROTO_DIR)/onnx.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --proto_path=$(ONNX_PROTO_DIR) --c_out=$(BUILD)/gen $(ONNX_PROTO_DIR)/onnx.proto

# Objects that may include the generated header wait for it on a first
# build (later builds also have the .d files).
$(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/model/*.c)): $(ZOO_GEN_H)
