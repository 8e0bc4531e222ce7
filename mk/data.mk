# Datasets (src/workload): JPEG and PNG decoding for image datasets.
LDLIBS += -ljpeg -lpng
