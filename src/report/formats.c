/*
 * The report formats, one row each, the default first. `report --format`
 * parsing, the list in `report --help`, the writer dispatch and whether a
 * run's series must be loaded (the HTML plots) all come from this table.
 * Adding a format = one writer file (declared in rtable.h) + one row here.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct gb_report_format gb_report_formats[] = {
	{ "table", "aligned text tables", gb_report_write_text, 0 },
	{ "md", "Markdown tables", gb_report_write_text, GB_REPORT_FORMAT_MARKDOWN },
	{ "csv", "Table 1 as CSV: one row per configuration, mean and CI per figure",
	  gb_report_write_csv, 0 },
	{ "json", "everything, as one JSON object", gb_report_write_json, 0 },
	{ "latex", "LaTeX tables (booktabs)", gb_report_write_latex, 0 },
	{ "html", "one self-contained file: inline CSS, SVG plots, nothing fetched", gb_report_write_html,
	  GB_REPORT_FORMAT_SERIES },
	{ NULL, NULL, NULL, 0 },
};

int gb_report_format_find(const char *name, const struct gb_report_format **out)
{
	char names[256];
	size_t used = 0;

	for (const struct gb_report_format *f = gb_report_formats; f->name; f++)
		if (!strcmp(name, f->name)) {
			*out = f;
			return 0;
		}
	/* "table, md, ... or html" */
	for (const struct gb_report_format *f = gb_report_formats; f->name && used < sizeof names; f++)
		used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
					 f == gb_report_formats ? "" : f[1].name ? ", " : " or ", f->name);
	*out = NULL;
	return gb_error_set(-EINVAL, "unknown format '%s' (expected %s)", name, names);
}
