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
	char empty[320];	/* no rows: why, shown in one line instead of the table */
	size_t ncols, nrows;	/* nrows excludes the header row */
	char **cells;		/* (nrows + 1) * ncols, row 0 is the header */
};

/* Filling one table: cells are added row by row, left to right; row 0 is
 * the header. A section sets skip to leave its table out of the report. */
struct gb_rtable_builder {
	struct rtable *t;
	size_t cap;	/* cells added */
	int err;	/* first error (-ENOMEM); later adds do nothing */
	int skip;
};
void gb_rtable_add(struct gb_rtable_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "12.3 ± 0.4 [method]", the mean alone for one value, or <not supported>. */
void gb_rtable_ci_cell(const struct gb_ci *c, const char *method, char *buf, size_t len);
/* The same with mean and interval times f (a change of unit). */
void gb_rtable_scaled_cell(const struct gb_ci *c, double f, const char *method, char *buf, size_t len);
/* Append one to buf, a "; "-joined list, unless it is there already. */
void gb_rtable_list_add(char *buf, size_t len, size_t *used, const char *one);

/*
 * A report section: one table of the report. Adding a section = one file
 * defining its build function + one row in gb_report_sections[]
 * (sections.c); every format that shows tables (text, Markdown, LaTeX,
 * HTML) shows it, in the table's order.
 */
struct gb_report_section {
	const char *name;	/* "table1": stable, for tests and tools */
	const char *title;	/* the table's title */
	size_t ncols;		/* 0: the build function sets b->t->ncols */
	/* Fill b from r; 0 or a negative errno. */
	int (*build)(const struct gb_report_section *self, const struct gb_report *r,
		     struct gb_rtable_builder *b);
};
extern const struct gb_report_section gb_report_sections[];
extern const size_t gb_report_section_count;

int gb_section_environment(const struct gb_report_section *self, const struct gb_report *r,
			   struct gb_rtable_builder *b);
int gb_section_table1(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b);
int gb_section_table3(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b);
int gb_section_table2(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b);
int gb_section_conversions(const struct gb_report_section *self, const struct gb_report *r,
			   struct gb_rtable_builder *b);
int gb_section_findings(const struct gb_report_section *self, const struct gb_report *r,
			struct gb_rtable_builder *b);
int gb_section_pairs(const struct gb_report_section *self, const struct gb_report *r,
		     struct gb_rtable_builder *b);

/* Every section's table, in the section table's order (skipped ones left
 * out). Returns 0 or a negative errno; free with gb_rtables_free(). */
int gb_rtables_build(const struct gb_report *r, struct rtable **out, size_t *n);
void gb_rtables_free_one(struct rtable *t);
void gb_rtables_free(struct rtable *t, size_t n);
const char *gb_rtable_cell(const struct rtable *t, size_t row, size_t col);

/* The lines shown under every format's tables: correlations, warnings. */
void gb_report_corr_text(const struct gb_report *r, int which, char *buf, size_t len);

/* The writers of the format table (formats.c). */
int gb_report_write_text(const struct gb_report_format *self, const struct gb_report *r, FILE *f);
int gb_report_write_latex(const struct gb_report_format *self, const struct gb_report *r, FILE *f);
int gb_report_write_html(const struct gb_report_format *self, const struct gb_report *r, FILE *f);
int gb_report_write_csv(const struct gb_report_format *self, const struct gb_report *r, FILE *f);
int gb_report_write_json(const struct gb_report_format *self, const struct gb_report *r, FILE *f);

#endif
