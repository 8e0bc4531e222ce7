# NVML source: nothing to link (libnvidia-ml is dlopen'ed at run time, -ldl
# is already in LDLIBS). The tests build fake NVML libraries from
# tests/fakes/fake_nvml.c: the full one, one with only the pre-_v2 API, and
# one that lacks a required symbol. They get the same flags as everything
# else, so under MODE=asan they are instrumented too (only ASan-linked
# programs dlopen them then). A pattern rule, so that no target here becomes
# the Makefile's default goal.
FAKE_NVML_LIBS := $(BUILD)/tests/libfake_nvml.so $(BUILD)/tests/libfake_nvml_old.so \
	$(BUILD)/tests/libfake_nvml_noname.so
TEST_DEPS += $(FAKE_NVML_LIBS)
FAKE_NVML_DEFS_nvml :=
FAKE_NVML_DEFS_nvml_old := -DFAKE_NVML_OLD_API
FAKE_NVML_DEFS_nvml_noname := -DFAKE_NVML_NO_NAME

$(BUILD)/tests/libfake_%.so: tests/fakes/fake_nvml.c tests/fakes/fake_nvml.h src/meter/nvml_abi.h
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests $(FAKE_NVML_DEFS_$*) $(ALL_CFLAGS) -shared \
		$(LDFLAGS_MODE) -o $@ $< -lm
