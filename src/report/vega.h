/*
 * The chart libraries compiled into greenbench (vega_bundle.c): the
 * minified JavaScript of Vega, Vega-Lite and vega-embed, each a
 * NUL-terminated string, "" when the build had none. Read-only, static.
 */
#ifndef GB_REPORT_VEGA_H
#define GB_REPORT_VEGA_H

extern const char gb_vega_js[];
extern const char gb_vega_lite_js[];
extern const char gb_vega_embed_js[];

#endif
