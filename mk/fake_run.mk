# The campaign and report tests' stand-in for `greenbench run` and
# `greenbench zoo export`/`convert` (tests/fakes/fake_run.c). It prints its records
# through the real record writer, so it links the library, with the same
# flags as everything else (under MODE=asan it is instrumented too).
# mk/*.mk is read before the Makefile's first rule: keep 'all' the default.
.DEFAULT_GOAL := all
FAKE_RUN := $(BUILD)/tests/fake-run
TEST_DEPS += $(FAKE_RUN)

$(FAKE_RUN): tests/fakes/fake_run.c $(BUILD)/libgreenbench.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(LDFLAGS_MODE) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libgreenbench.a $(LDLIBS)
