/*
 * The report's tables as rows of text cells, shared by the text, Markdown,
 * LaTeX and HTML writers (CSV and JSON use the numbers directly).
 * Cells are UTF-8; "±" and "×" appear in them; writers escape as needed.
 */
#ifndef GB_REPORT_RTABLE_H
#define GB_REPORT_RTABLE_H

#include "greenbench/report.h"

struct rtable {
	char title[160];
	char note[1024];	/* shown under the table; may be empty */
	size_t ncols, nrows;	/* nrows excludes the header row */
	char **cells;		/* (nrows + 1) * ncols, row 0 is the header */
};

/* All tables of a report, in order: Table 1, Table 3, Table 2 (when any
 * accuracy), pairwise tests. Returns the count or a negative errno. */
int gb_rtables_build(const struct gb_report *r, struct rtable **out, size_t *n);
void gb_rtables_free(struct rtable *t, size_t n);
const char *gb_rtable_cell(const struct rtable *t, size_t row, size_t col);

/* The lines shown under every format's tables: correlations, warnings. */
void gb_report_corr_text(const struct gb_report *r, int which, char *buf, size_t len);

int gb_report_write_text(const struct gb_report *r, FILE *f, int markdown);
int gb_report_write_latex(const struct gb_report *r, FILE *f);
int gb_report_write_html(const struct gb_report *r, FILE *f);
int gb_report_write_csv(const struct gb_report *r, FILE *f);
int gb_report_write_json(const struct gb_report *r, FILE *f);

#endif
