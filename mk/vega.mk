# Vega, Vega-Lite and vega-embed, compiled into greenbench for the HTML
# report's charts (src/report/vega_bundle.c; scripts/deps.d/vega.sh).
#
#   VEGA=auto (default)  build them in when $(VEGA_DIR) has the three
#                        files, else HTML reports have tables but no charts
#   VEGA=on              stop the build when they are missing
#   VEGA=off             leave them out
VEGA ?= auto
VEGA_DIR ?= third_party/vega
VEGA_FILES := $(VEGA_DIR)/vega.min.js $(VEGA_DIR)/vega-lite.min.js $(VEGA_DIR)/vega-embed.min.js
VEGA_FOUND := $(words $(wildcard $(VEGA_FILES)))

ifeq ($(VEGA),off)
else ifeq ($(VEGA_FOUND),3)
VEGA_VERSIONS := $(or $(shell cat $(VEGA_DIR)/VERSIONS 2>/dev/null),versions unknown)
CPPFLAGS += -DGB_HAVE_VEGA=1 -DGB_VEGA_DIR='"$(VEGA_DIR)"'
$(BUILD)/obj/src/report/vega_bundle.o: CPPFLAGS += -DGB_VEGA_VERSIONS='"$(VEGA_VERSIONS)"'
# .incbin is invisible to -MMD: the object depends on the files here.
$(BUILD)/obj/src/report/vega_bundle.o: $(VEGA_FILES) $(wildcard $(VEGA_DIR)/VERSIONS)
else ifeq ($(VEGA),on)
$(error VEGA=on but $(VEGA_DIR) lacks vega.min.js, vega-lite.min.js or vega-embed.min.js: run 'make deps')
else
$(info vega: no $(VEGA_DIR)/vega*.min.js: HTML reports will have no charts (run 'make deps'))
endif
