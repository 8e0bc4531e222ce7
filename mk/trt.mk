# TensorRT (ort --ep tensorrt): nothing to link, libnvinfer.so.10 is
# dlopen'ed. The tests build a fake libnvinfer.so.10 that only answers
# getInferLibVersion(), in a directory of its own to put on LD_LIBRARY_PATH.
FAKE_TRT_LIB := $(BUILD)/tests/fake-trt/libnvinfer.so.10
TEST_DEPS += $(FAKE_TRT_LIB)

$(BUILD)/tests/fake-trt/libnvinfer.so.10: tests/fakes/fake_nvinfer.c
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -shared -Wl,-soname,libnvinfer.so.10 \
		$(LDFLAGS_MODE) -o $@ $<
