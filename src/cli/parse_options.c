/* The option parser and the help generator (parse_options.h). */
#include "cli/parse_options.h"

#include "greenbench/error.h"
#include "greenbench/time.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Help layout: options indented 4, their help from column 29, lines
 * wrapped before column 80 (the layout the hand-written help had). */
#define HELP_INDENT 4
#define HELP_COL 29
#define HELP_WIDTH 79

struct parse {
	const struct gb_option *opts;
	const struct gb_usage *usage;
};

static int takes_value(const struct gb_option *o)
{
	return o->type != GB_OPTION_BOOL && !(o->type == GB_OPTION_CALLBACK && (o->flags & GB_OPTION_NOARG));
}

static int is_option(const struct gb_option *o)
{
	return o->type != GB_OPTION_GROUP && o->type != GB_OPTION_END;
}

/* ---- the help ---------------------------------------------------------- */

/* Write text from column col, wrapped at spaces, continuation lines at
 * HELP_COL. */
static void put_wrapped(FILE *f, const char *text, int col)
{
	const char *p = text;

	while (*p) {
		size_t room = (size_t)(HELP_WIDTH - col), n = strlen(p), cut = n;

		if (n > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (!cut) /* one word longer than the line */
				cut = strcspn(p, " ");
		}
		fprintf(f, "%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p)
			col = fprintf(f, "%*s", HELP_COL, "");
	}
}

static void print_option(FILE *f, const struct gb_option *o)
{
	int col = fprintf(f, "%*s", HELP_INDENT, "");

	if (o->short_name)
		col += fprintf(f, "-%c%s", o->short_name, o->long_name ? ", " : "");
	else
		col += fprintf(f, "    ");
	if (o->long_name)
		col += fprintf(f, "--%s", o->long_name);
	if (o->argh && takes_value(o))
		col += fprintf(f, " %s", o->argh);
	if (!o->help || !*o->help) {
		fputc('\n', f);
		return;
	}
	if (col + 2 > HELP_COL) {
		fputc('\n', f);
		col = 0;
	}
	col += fprintf(f, "%*s", HELP_COL - col, "");
	put_wrapped(f, o->help, col);
}

void gb_usage_print(FILE *f, const struct gb_usage *u, const struct gb_option *opts)
{
	size_t n = strlen(u->synopsis);
	int any = 0;

	fprintf(f, "usage: %s%s", u->synopsis, n && u->synopsis[n - 1] == '\n' ? "" : "\n");
	if (u->description)
		fprintf(f, "\n%s", u->description);
	for (const struct gb_option *o = opts, *grp = NULL; o->type != GB_OPTION_END; o++) {
		if (o->type == GB_OPTION_GROUP) {
			grp = o;
			if (!(o->flags & GB_OPTION_HIDDEN)) {
				fprintf(f, "\n%s\n", o->help ? o->help : "");
				any = 1;
			}
			continue;
		}
		if ((o->flags & GB_OPTION_HIDDEN) || (grp && (grp->flags & GB_OPTION_HIDDEN)))
			continue;
		if (!any)
			fputc('\n', f);
		any = 1;
		print_option(f, o);
	}
	if (u->epilogue)
		fprintf(f, "\n%s", u->epilogue);
}

__attribute__((format(printf, 3, 0)))
static void vusage_error(const struct gb_usage *u, const struct gb_option *opts, const char *fmt,
			 va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "error: %s", u->error_prefix ? u->error_prefix : "");
	vfprintf(stderr, fmt, ap);
	fputs("\n\n", stderr);
	gb_usage_print(stderr, u, opts);
}

int gb_usage_error(const struct gb_usage *u, const struct gb_option *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(u, opts, fmt, ap);
	va_end(ap);
	return GB_PARSE_ERROR;
}

__attribute__((format(printf, 2, 3)))
static int fail(const struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(p->usage, p->opts, fmt, ap);
	va_end(ap);
	return GB_PARSE_ERROR;
}

int gb_parse_exit(int ret)
{
	return ret == GB_PARSE_HELP ? 0 : 129;
}

/* ---- values ------------------------------------------------------------ */

/* How an option is named in messages about its value: its long name. */
static void opt_name(const struct gb_option *o, char *buf, size_t len)
{
	if (o->long_name)
		snprintf(buf, len, "--%s", o->long_name);
	else
		snprintf(buf, len, "-%c", o->short_name);
}

static uint64_t uint_limit(size_t precision)
{
	return precision >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * precision)) - 1;
}

static int64_t int_limit(size_t precision)
{
	return precision >= 8 ? INT64_MAX : (INT64_C(1) << (8 * precision - 1)) - 1;
}

/* An integer of `precision` bytes, signed or not: the low bytes of v's
 * two's complement bits are the same value in either. */
static void store(void *p, size_t precision, uint64_t v)
{
	switch (precision) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

/* "expected an integer >= 1", "... from 7 to 30", "... <= 5": the bounds
 * the row sets (for unsigned values the lower one always: no minus). */
static int range_error(const struct parse *p, const char *name, const char *text, const char *what,
		       int64_t lo, int64_t type_lo, uint64_t hi, uint64_t type_hi)
{
	int has_lo = lo > type_lo, has_hi = hi < type_hi;

	if (has_lo && has_hi)
		return fail(p, "invalid %s '%s': expected %s from %" PRId64 " to %" PRIu64, name, text, what,
			    lo, hi);
	if (has_lo)
		return fail(p, "invalid %s '%s': expected %s >= %" PRId64, name, text, what, lo);
	if (has_hi)
		return fail(p, "invalid %s '%s': expected %s <= %" PRIu64, name, text, what, hi);
	return fail(p, "invalid %s '%s': expected %s", name, text, what);
}

static int parse_unsigned(const struct parse *p, const struct gb_option *o, const char *name,
			  const char *text)
{
	uint64_t type_hi = uint_limit(o->precision), hi = o->max < type_hi ? o->max : type_hi, v;
	int64_t lo = o->min > 0 ? o->min : 0;
	const char *what = o->type == GB_OPTION_SIZE ? "a size" : "an integer";
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (o->type == GB_OPTION_SIZE && end != text && *end && !end[1]) {
		static const char units[] = "kmgt";
		const char *u = strchr(units, tolower((unsigned char)*end));
		int shift = u ? 10 * (int)(u - units + 1) : 0;

		if (u && v > (UINT64_MAX >> shift))
			errno = ERANGE;
		else if (u) {
			v <<= shift;
			end++;
		}
	}
	if (!isdigit((unsigned char)*text) || *end)
		return range_error(p, name, text, what, lo, -1, hi, type_hi);
	if (errno || v > type_hi)
		return fail(p, "invalid %s '%s': too large", name, text);
	if (v < (uint64_t)lo || v > hi)
		return range_error(p, name, text, what, lo, -1, hi, type_hi);
	store(o->value, o->precision, v);
	return 0;
}

static int parse_signed(const struct parse *p, const struct gb_option *o, const char *name,
			const char *text)
{
	int64_t type_hi = int_limit(o->precision), type_lo = -type_hi - 1;
	int64_t lo = o->min > type_lo ? o->min : type_lo;
	uint64_t hi = o->max < (uint64_t)type_hi ? o->max : (uint64_t)type_hi;
	long long v;
	char *end;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || *end || isspace((unsigned char)*text))
		return range_error(p, name, text, "an integer", lo, type_lo, hi, (uint64_t)type_hi);
	if (errno || v > type_hi || v < type_lo)
		return fail(p, "invalid %s '%s': out of range", name, text);
	if (v < lo || (v >= 0 && (uint64_t)v > hi))
		return range_error(p, name, text, "an integer", lo, type_lo, hi, (uint64_t)type_hi);
	store(o->value, o->precision, (uint64_t)v);
	return 0;
}

/* "1ms" rather than "1.0 ms": the shortest exact spelling of a bound. */
static void duration_spell(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		uint64_t ns;
		const char *unit;
	} units[] = { { GB_NS_PER_S, "s" }, { GB_NS_PER_MS, "ms" }, { GB_NS_PER_US, "us" }, { 1, "ns" } };

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (ns % units[i].ns == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].ns), units[i].unit);
			return;
		}
}

/* "invalid --io 'gpu': expected host or device" */
static int parse_choice(const struct parse *p, const struct gb_option *o, const char *name,
			const char *text)
{
	char names[512];
	size_t used = 0;
	const struct gb_option_choice *c;

	for (c = o->choices; c->name; c++)
		if (!strcmp(text, c->name)) {
			store(o->value, o->precision, (uint64_t)(int64_t)c->value);
			return 0;
		}
	for (c = o->choices; c->name && used < sizeof names; c++)
		used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
					 c == o->choices ? "" : c[1].name ? ", " : " or ", c->name);
	return fail(p, "invalid %s '%s': expected %s", name, text, names);
}

static int apply(const struct parse *p, const struct gb_option *o, const char *arg, int negated)
{
	char name[80], bound[32];
	double d;
	char *end;

	opt_name(o, name, sizeof name);
	switch (o->type) {
	case GB_OPTION_BOOL:
		*(int *)o->value = negated ? !o->defval : o->defval;
		return 0;
	case GB_OPTION_INT:
		return parse_signed(p, o, name, arg);
	case GB_OPTION_UINT:
	case GB_OPTION_SIZE:
		return parse_unsigned(p, o, name, arg);
	case GB_OPTION_DOUBLE:
		errno = 0;
		d = strtod(arg, &end);
		if (end == arg || *end || errno || !isfinite(d))
			return fail(p, "invalid %s '%s': expected a number", name, arg);
		*(double *)o->value = d;
		return 0;
	case GB_OPTION_STRING:
		*(const char **)o->value = arg;
		return 0;
	case GB_OPTION_CHOICE:
		return parse_choice(p, o, name, arg);
	case GB_OPTION_DURATION:
		if (gb_duration_parse(arg, o->value) < 0)
			return fail(p, "%s: %s", name, gb_error_msg());
		if (*(uint64_t *)o->value < (uint64_t)o->min) {
			duration_spell((uint64_t)o->min, bound, sizeof bound);
			return fail(p, "%s: duration '%s' is below %s", name, arg, bound);
		}
		return 0;
	case GB_OPTION_CALLBACK:
		gb_error_clear();
		if (o->callback(o, arg) < 0)
			return fail(p, "%s", gb_error_msg());
		return 0;
	default:
		return fail(p, "internal error: option '%s' has no type", name);
	}
}

/* ---- matching ---------------------------------------------------------- */

/* Loop over the rows that are accepted: options outside list-only groups. */
#define FOR_ACCEPTED(opts, o)                                                              \
	for (const struct gb_option *o = (opts), *o##_grp = NULL; o->type != GB_OPTION_END; \
	     o##_grp = o->type == GB_OPTION_GROUP ? o : o##_grp, o++)                         \
		if (is_option(o) && !(o##_grp && (o##_grp->flags & GB_OPTION_LIST_ONLY)))

/* Count an option given into the counter of its group, if any. */
static void count_given(const struct gb_option *opts, const struct gb_option *o)
{
	while (o > opts && o->type != GB_OPTION_GROUP)
		o--;
	if (o->type == GB_OPTION_GROUP && o->value)
		(*(int *)o->value)++;
}

static int negatable(const struct gb_option *o)
{
	return o->type == GB_OPTION_BOOL && !(o->flags & GB_OPTION_NONEG);
}

/* Does name[0..n) spell (or, abbrev, start) the option's long name or
 * its negation? Sets *neg for the negated form. */
static int long_matches(const struct gb_option *o, const char *name, size_t n, int abbrev, int *neg)
{
	const char *l = o->long_name;
	size_t ln;

	if (!l || !n)
		return 0;
	ln = strlen(l);
	if ((abbrev ? n < ln : n == ln) && !strncmp(name, l, n)) {
		*neg = 0;
		return 1;
	}
	if (!negatable(o))
		return 0;
	/* --no-json for json, --cache for no-cache */
	if (!strncmp(l, "no-", 3)) {
		if ((abbrev ? n < ln - 3 : n == ln - 3) && !strncmp(name, l + 3, n)) {
			*neg = 1;
			return 1;
		}
	} else if (n > 3 && !strncmp(name, "no-", 3) && (abbrev ? n - 3 < ln : n - 3 == ln) &&
		   !strncmp(name + 3, l, n - 3)) {
		*neg = 1;
		return 1;
	}
	return 0;
}

/* How the user spells o, or its negation: "--json", "--no-json", "--cache". */
static void spell(const struct gb_option *o, int neg, char *buf, size_t len)
{
	const char *l = o->long_name;

	if (!neg)
		snprintf(buf, len, "--%s", l);
	else if (!strncmp(l, "no-", 3))
		snprintf(buf, len, "--%s", l + 3);
	else
		snprintf(buf, len, "--no-%s", l);
}

static int parse_long(const struct parse *p, int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '='), *arg = NULL;
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const struct gb_option *hit = NULL, *other = NULL;
	int neg = 0, hit_neg = 0, other_neg = 0;
	char a[80], b[80];

	FOR_ACCEPTED(p->opts, o)
		if (long_matches(o, name, n, 0, &neg)) {
			hit = o;
			hit_neg = neg;
			break;
		}
	if (!hit && n == 4 && !strncmp(name, "help", 4)) {
		gb_usage_print(stdout, p->usage, p->opts);
		return GB_PARSE_HELP;
	}
	if (!hit) {
		FOR_ACCEPTED(p->opts, o) {
			if (!long_matches(o, name, n, 1, &neg))
				continue;
			if (!hit) {
				hit = o;
				hit_neg = neg;
			} else if (!other && (hit != o || hit_neg != neg)) {
				other = o;
				other_neg = neg;
			}
		}
	}
	if (other) {
		spell(hit, hit_neg, a, sizeof a);
		spell(other, other_neg, b, sizeof b);
		return fail(p, "ambiguous option '--%.*s': could be %s or %s", (int)n, name, a, b);
	}
	if (!hit)
		return fail(p, "unknown option '--%.*s'", (int)n, name);
	if (!takes_value(hit)) {
		if (eq)
			return fail(p, "option '--%.*s' takes no value", (int)n, name);
	} else if (eq) {
		arg = eq + 1;
	} else if (*i + 1 < argc) {
		arg = argv[++*i];
	} else {
		return fail(p, "option '--%s' needs a value", hit->long_name);
	}
	count_given(p->opts, hit);
	return apply(p, hit, arg, hit_neg);
}

/* -abc: flags a and b, then c with the rest (or the next argument) as its
 * value if it takes one. */
static int parse_short(const struct parse *p, int argc, char **argv, int *i)
{
	const char *s = argv[*i] + 1;

	for (; *s; s++) {
		const struct gb_option *hit = NULL;
		const char *arg = NULL;
		int ret;

		FOR_ACCEPTED(p->opts, o)
			if (o->short_name == *s) {
				hit = o;
				break;
			}
		if (!hit && *s == 'h') {
			gb_usage_print(stdout, p->usage, p->opts);
			return GB_PARSE_HELP;
		}
		if (!hit)
			return fail(p, "unknown option '-%c'", *s);
		if (takes_value(hit)) {
			if (s[1])
				arg = s + 1;
			else if (*i + 1 < argc)
				arg = argv[++*i];
			else
				return fail(p, "option '-%c' needs a value", *s);
		}
		count_given(p->opts, hit);
		ret = apply(p, hit, arg, 0);
		if (ret || arg)
			return ret;
	}
	return 0;
}

int gb_parse_options(int argc, char **argv, const struct gb_option *opts,
		     const struct gb_usage *usage, unsigned flags)
{
	const struct parse p = { opts, usage };
	int nout = 0, i, ret = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (flags & GB_PARSE_STOP_AT_NON_OPTION)
				break;
			if (flags & GB_PARSE_NO_ARGS)
				return fail(&p, "unexpected argument '%s'", a);
			/* nout < i: the slot was already read */
			argv[nout++] = argv[i];
			continue;
		}
		ret = a[1] == '-' ? parse_long(&p, argc, argv, &i) : parse_short(&p, argc, argv, &i);
		if (ret)
			return ret;
	}
	if (i < argc && (flags & GB_PARSE_NO_ARGS))
		return fail(&p, "unexpected argument '%s'", argv[i]);
	while (i < argc)
		argv[nout++] = argv[i++];
	argv[nout] = NULL;
	return nout;
}
