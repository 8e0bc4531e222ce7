# NVML source: nothing to link (libnvidia-ml is dlopen'ed at run time, -ldl
# is already in LDLIBS). The tests build fake NVML libraries from
# tests/fakes/fake_nvml.c: the full one, one with only the pre-_v2 API, and
# one that lacks a required symbol. They get the same flags as everything
# else, so under MODE=asan they are instrumented too; they are only ever
# dlopen'ed by ASan-linked programs then.
FAKE_NVML_SRC := tests/fakes/fake_nvml.c
FAKE_NVML_HDR := tests/fakes/fake_nvml.h src/meter/nvml_abi.h
FAKE_NVML_LIBS := $(BUILD)/tests/libfake_nvml.so $(BUILD)/tests/libfake_nvml_old.so \
	$(BUILD)/tests/libfake_nvml_noname.so
TEST_DEPS += $(FAKE_NVML_LIBS)

$(BUILD)/tests/libfake_nvml.so: $(FAKE_NVML_SRC) $(FAKE_NVML_HDR)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -shared $(LDFLAGS_MODE) -o $@ $< -lm

$(BUILD)/tests/libfake_nvml_old.so: $(FAKE_NVML_SRC) $(FAKE_NVML_HDR)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests -DFAKE_NVML_OLD_API $(ALL_CFLAGS) -shared $(LDFLAGS_MODE) -o $@ $< -lm

$(BUILD)/tests/libfake_nvml_noname.so: $(FAKE_NVML_SRC) $(FAKE_NVML_HDR)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests -DFAKE_NVML_NO_NAME $(ALL_CFLAGS) -shared $(LDFLAGS_MODE) -o $@ $< -lm
