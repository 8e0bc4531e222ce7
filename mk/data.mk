# Datasets (src/workload): JPEG and PNG decoding for image datasets.
LDLIBS += -ljpeg -lpng
# tests/lib/*.c include "lib/gbtest.h"; the generic object rule lacks
# -Itests (harmless if another fragment adds it too).
$(BUILD)/obj/tests/%.o: CPPFLAGS += -Itests
