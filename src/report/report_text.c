/*
 * Text (aligned columns), Markdown and LaTeX writers of the report tables.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Display width of UTF-8 text: count bytes that start a character. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

static void header(const struct gb_report *r, FILE *f, int md)
{
	fprintf(f, "%sCampaign %lld: %s\n", md ? "# " : "", (long long)r->info.id, r->info.name);
	fprintf(f, "%sfile %s, seed %llu, started %s%s%s, %zu of %zu runs recorded\n\n", md ? "" : "",
		r->info.file, (unsigned long long)r->info.seed, r->info.created_at,
		r->info.finished_at[0] ? ", finished " : ", not finished", r->info.finished_at,
		r->info.nruns_done, r->info.nruns_planned);
}

static void footer(const struct gb_report *r, FILE *f, int md)
{
	char buf[256];

	fprintf(f, "%s\n", md ? "## Statistics\n" : "Statistics");
	for (int w = 0; w < 2; w++) {
		gb_report_corr_text(r, w, buf, sizeof buf);
		fprintf(f, "%s%s\n", md ? "- " : "  ", buf);
	}
	if (r->nwarnings)
		fprintf(f, "\n%s\n", md ? "## Warnings\n" : "Warnings");
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(f, "%swarning: %s\n", md ? "- " : "  ", r->warnings[i]);
}

int gb_report_write_text(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	int md = (self->flags & GB_REPORT_FORMAT_MARKDOWN) != 0;
	struct rtable *t = NULL;
	size_t nt = 0, *w = NULL;
	int ret;

	if ((ret = gb_rtables_build(r, &t, &nt)))
		return ret;
	header(r, f, md);
	for (size_t i = 0; i < nt; i++) {
		const struct rtable *tb = &t[i];
		free(w);
		w = calloc(tb->ncols, sizeof *w);
		if (!w) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		for (size_t row = 0; row <= tb->nrows; row++)
			for (size_t c = 0; c < tb->ncols; c++)
				if (width(gb_rtable_cell(tb, row, c)) > w[c])
					w[c] = width(gb_rtable_cell(tb, row, c));
		fprintf(f, "%s%s\n\n", md ? "## " : "", tb->title);
		if (!tb->nrows) {
			fprintf(f, "%s\n\n", tb->empty[0] ? tb->empty : "(none)");
			continue;
		}
		for (size_t row = 0; row <= tb->nrows; row++) {
			for (size_t c = 0; c < tb->ncols; c++) {
				const char *s = gb_rtable_cell(tb, row, c);
				fprintf(f, "%s%s%*s", md ? "| " : c ? "  " : "", s, (int)(w[c] - width(s)), "");
				if (md)
					fputc(' ', f);
			}
			fputs(md ? "|\n" : "\n", f);
			if (row == 0) {
				for (size_t c = 0; c < tb->ncols; c++) {
					fputs(md ? "|" : c ? "  " : "", f);
					for (size_t k = 0; k < w[c] + (md ? 2 : 0); k++)
						fputc('-', f);
				}
				fputs(md ? "|\n" : "\n", f);
			}
		}
		if (tb->note[0])
			fprintf(f, "\n%s%s\n", md ? "" : "", tb->note);
		fputc('\n', f);
	}
	footer(r, f, md);
out:
	free(w);
	gb_rtables_free(t, nt);
	return ret;
}

#define LATEX_WIDE 8	/* columns */

static void latex_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (!strncmp(s, "±", strlen("±"))) {
			fputs("$\\pm$", f);
			s += strlen("±") - 1;
		} else if (!strncmp(s, "×", strlen("×"))) {
			fputs("$\\times$", f);
			s += strlen("×") - 1;
		} else if (strchr("&%$#_{}", *s)) {
			fprintf(f, "\\%c", *s);
		} else if (*s == '~' || *s == '^' || *s == '\\') {
			fputs(*s == '~' ? "\\textasciitilde{}" : *s == '^' ? "\\textasciicircum{}" : "\\textbackslash{}", f);
		} else if (*s == '<' || *s == '>') {
			fputs(*s == '<' ? "\\textless{}" : "\\textgreater{}", f);
		} else {
			fputc(*s, f);
		}
	}
}

int gb_report_write_latex(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	struct rtable *t = NULL;
	size_t nt = 0;
	char buf[256];
	int ret;

	if ((ret = gb_rtables_build(r, &t, &nt)))
		return ret;
	fputs("% greenbench report; needs \\usepackage{booktabs,graphicx}\n", f);
	for (size_t i = 0; i < nt; i++) {
		const struct rtable *tb = &t[i];
		if (!tb->nrows) {
			fputs("\\paragraph{", f);
			latex_escape(f, tb->title);
			fputs("} ", f);
			latex_escape(f, tb->empty[0] ? tb->empty : "(none)");
			fputs("\n\n", f);
			continue;
		}
		fputs("\\begin{table}[htbp]\n\\centering\n\\scriptsize\n\\caption{", f);
		latex_escape(f, tb->title);
		/* Wide tables (Table 1 has some twenty columns) are scaled to the
		 * text width rather than running off the page. */
		fputs(tb->ncols > LATEX_WIDE ? "}\n\\resizebox{\\textwidth}{!}{%\n\\begin{tabular}{" : "}\n\\begin{tabular}{", f);
		for (size_t c = 0; c < tb->ncols; c++)
			fputc(c < 3 ? 'l' : 'r', f);
		fputs("}\n\\toprule\n", f);
		for (size_t row = 0; row <= tb->nrows; row++) {
			for (size_t c = 0; c < tb->ncols; c++) {
				const char *cell = gb_rtable_cell(tb, row, c);

				if (c)
					fputs(" & ", f);
				/* After \toprule, \midrule or the previous row's \\, a
				 * leading [ or * would be read as their optional
				 * argument or star (a model named "[fast]net"). */
				else if (*cell == '[' || *cell == '*')
					fputs("{}", f);
				latex_escape(f, cell);
			}
			fputs(" \\\\\n", f);
			if (!row)
				fputs("\\midrule\n", f);
		}
		fputs(tb->ncols > LATEX_WIDE ? "\\bottomrule\n\\end{tabular}}\n" : "\\bottomrule\n\\end{tabular}\n", f);
		if (tb->note[0]) {
			fputs("\\par\\smallskip\\footnotesize ", f);
			latex_escape(f, tb->note);
			fputc('\n', f);
		}
		fputs("\\end{table}\n\n", f);
	}
	for (int w = 0; w < 2; w++) {
		gb_report_corr_text(r, w, buf, sizeof buf);
		fputs("% ", f);
		fputs(buf, f);
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		fprintf(f, "%% warning: %s\n", r->warnings[i]);
	gb_rtables_free(t, nt);
	return 0;
}
