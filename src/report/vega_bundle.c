/*
 * The chart libraries of the HTML report, compiled in so that every report
 * carries them inline and a greenbench binary needs no data files: Vega,
 * Vega-Lite and vega-embed (their minified UMD builds, scripts/deps.d/vega.sh).
 * Each is a NUL-terminated string; all three are "" when the build had
 * none (mk/vega.mk).
 */
#include "report/vega.h"
#include "greenbench/report.h"

#if GB_HAVE_VEGA
#define GB_INCBIN(sym, file)						\
	__asm__(".section .rodata\n"					\
		".global " #sym "\n"					\
		".type " #sym ", @object\n"				\
		".balign 16\n"						\
		#sym ":\n"						\
		".incbin \"" GB_VEGA_DIR "/" file "\"\n"		\
		".byte 0\n"						\
		".previous\n")
GB_INCBIN(gb_vega_js, "vega.min.js");
GB_INCBIN(gb_vega_lite_js, "vega-lite.min.js");
GB_INCBIN(gb_vega_embed_js, "vega-embed.min.js");

const char *gb_report_chart_library(void)
{
	return GB_VEGA_VERSIONS;
}
#else
const char gb_vega_js[] = "", gb_vega_lite_js[] = "", gb_vega_embed_js[] = "";

const char *gb_report_chart_library(void)
{
	return NULL;
}
#endif
