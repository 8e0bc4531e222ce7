/*
 * One option parser for every command, after git's parse-options: a
 * command lists its options as an array of struct gb_option rows ending
 * with GB_OPT_END(), gb_parse_options() applies them to argv, and
 * gb_usage_print() writes the help from the same rows, so what a command
 * accepts and what its --help lists cannot drift apart.
 *
 * Row types: bool, int, uint, double, string, choice (a word of a list),
 * duration, size, callback, group (a heading) and end.
 *
 * Accepted forms: --long VALUE, --long=VALUE, an unambiguous prefix of a
 * long name (--iter for --iterations, as getopt_long allowed), -s VALUE,
 * -sVALUE, bundled flags (-ab), --no-LONG for a bool (and --LONG for a
 * bool named no-LONG), "--" to end the options, -h and --help for the
 * help. Arguments that are not options keep their order and come back in
 * argv[0..n), argv[n] = NULL (argv[0], the command name, is dropped).
 *
 * Errors go to stderr git-style ("error: unknown option '--x'", a blank
 * line, the usage) and the call returns GB_PARSE_ERROR; help goes to
 * stdout and the call returns GB_PARSE_HELP; gb_parse_exit() turns
 * either into the exit status (129 for usage errors, as git).
 *
 * Ownership: rows, usage and argv stay the caller's; string values point
 * into argv. Callbacks report a bad value with gb_error_set() and a
 * negative return, and the parser prints that message. CLI only, not
 * thread-safe (it prints).
 */
#ifndef GB_CLI_PARSE_OPTIONS_H
#define GB_CLI_PARSE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum gb_option_type {
	GB_OPTION_END,		/* closes the array */
	GB_OPTION_GROUP,	/* a heading in the help; value: int * counting its options given */
	GB_OPTION_BOOL,		/* int: defval when given, !defval for the --no- form */
	GB_OPTION_INT,		/* signed integer of `precision` bytes, within [min, max] */
	GB_OPTION_UINT,		/* unsigned integer of `precision` bytes, within [min, max] */
	GB_OPTION_DOUBLE,	/* double, finite */
	GB_OPTION_STRING,	/* const char *, pointing into argv */
	GB_OPTION_CHOICE,	/* an int or enum of `precision` bytes: the value of a named choice */
	GB_OPTION_DURATION,	/* uint64_t ns ("20ms", "1.5s": gb_duration_parse), >= min */
	GB_OPTION_SIZE,		/* byte count of `precision` bytes: 512, 64k, 16M, 2G (x1024) */
	GB_OPTION_CALLBACK,	/* callback(row, value) */
};

enum gb_option_flags {
	GB_OPTION_NONEG = 1 << 0,	/* bool: no --no- form */
	GB_OPTION_HIDDEN = 1 << 1,	/* accepted but not listed in the help (a group: its rows) */
	GB_OPTION_NOARG = 1 << 2,	/* callback: takes no value (it gets NULL) */
	GB_OPTION_LIST_ONLY = 1 << 3,	/* group: its rows are listed in the help, not accepted */
};

/* One accepted word of a CHOICE row; a list ends with a NULL name. */
struct gb_option_choice {
	const char *name;
	int value;
};

struct gb_option;
/* 0, or a negative errno after gb_error_set() with the message to show. */
typedef int gb_option_fn(const struct gb_option *opt, const char *arg);

struct gb_option {
	enum gb_option_type type;
	int short_name;			/* 0: none */
	const char *long_name;		/* NULL: none */
	void *value;			/* what the option sets (its type per row type) */
	size_t precision;		/* INT, UINT, SIZE: sizeof *value */
	const char *argh;		/* the value's name in the help ("N", "FILE") */
	const char *help;		/* one line; the help wraps it */
	unsigned flags;			/* enum gb_option_flags */
	gb_option_fn *callback;		/* CALLBACK */
	const struct gb_option_choice *choices;	/* CHOICE */
	int defval;			/* BOOL: the value stored when given */
	int64_t min;			/* INT, UINT, SIZE, DURATION (ns): smallest accepted */
	uint64_t max;			/* INT, UINT, SIZE: largest accepted */
};

/* The pointer checks make a row with the wrong variable type a compile
 * error (the parser writes through value by the row's type). */
#define GB_OPT__INTP(v) _Generic((v), signed char *: (v), short *: (v), int *: (v), \
				 long *: (v), long long *: (v))
#define GB_OPT__UINTP(v) _Generic((v), unsigned char *: (v), unsigned short *: (v), \
				  unsigned *: (v), unsigned long *: (v), unsigned long long *: (v))

#define GB_OPT_END() { .type = GB_OPTION_END }
#define GB_OPT_GROUP(h) { .type = GB_OPTION_GROUP, .help = (h) }
/* A group whose options given are counted into *(int *)n. */
#define GB_OPT_GROUP_COUNT(h, n) { .type = GB_OPTION_GROUP, .help = (h), \
				   .value = _Generic((n), int *: (n)) }
/* Options accepted but not listed (test-only ones). */
#define GB_OPT_GROUP_HIDDEN() { .type = GB_OPTION_GROUP, .flags = GB_OPTION_HIDDEN }
/* Options documented here but parsed elsewhere (compare's sides). */
#define GB_OPT_GROUP_LIST_ONLY(h) { .type = GB_OPTION_GROUP, .help = (h), \
				    .flags = GB_OPTION_LIST_ONLY }
#define GB_OPT_BOOL(s, l, v, h) { .type = GB_OPTION_BOOL, .short_name = (s), .long_name = (l), \
				  .value = _Generic((v), int *: (v)), .help = (h), .defval = 1 }
/* A --no-X flag that clears a setting (*v = 0); --X sets it again. */
#define GB_OPT_NEGBOOL(s, l, v, h) { .type = GB_OPTION_BOOL, .short_name = (s), .long_name = (l), \
				     .value = _Generic((v), int *: (v)), .help = (h), .defval = 0 }
#define GB_OPT_INT_RANGE(s, l, v, a, h, lo, hi) \
	{ .type = GB_OPTION_INT, .short_name = (s), .long_name = (l), .value = GB_OPT__INTP(v), \
	  .precision = sizeof *(v), .argh = (a), .help = (h), .min = (lo), .max = (hi) }
#define GB_OPT_INT(s, l, v, a, h) GB_OPT_INT_RANGE(s, l, v, a, h, INT64_MIN, INT64_MAX)
#define GB_OPT_UINT_RANGE(s, l, v, a, h, lo, hi) \
	{ .type = GB_OPTION_UINT, .short_name = (s), .long_name = (l), .value = GB_OPT__UINTP(v), \
	  .precision = sizeof *(v), .argh = (a), .help = (h), .min = (lo), .max = (hi) }
#define GB_OPT_UINT(s, l, v, a, h, lo) GB_OPT_UINT_RANGE(s, l, v, a, h, lo, UINT64_MAX)
#define GB_OPT_DOUBLE(s, l, v, a, h) { .type = GB_OPTION_DOUBLE, .short_name = (s), .long_name = (l), \
				       .value = _Generic((v), double *: (v)), .argh = (a), .help = (h) }
#define GB_OPT_STRING(s, l, v, a, h) { .type = GB_OPTION_STRING, .short_name = (s), .long_name = (l), \
				       .value = _Generic((v), const char **: (v)), .argh = (a), .help = (h) }
#define GB_OPT_DURATION(s, l, v, a, h, lo) \
	{ .type = GB_OPTION_DURATION, .short_name = (s), .long_name = (l), \
	  .value = _Generic((v), unsigned long *: (v), unsigned long long *: (v)), .argh = (a), \
	  .help = (h), .min = (int64_t)(lo) }
#define GB_OPT_SIZE(s, l, v, a, h, lo) \
	{ .type = GB_OPTION_SIZE, .short_name = (s), .long_name = (l), .value = GB_OPT__UINTP(v), \
	  .precision = sizeof *(v), .argh = (a), .help = (h), .min = (lo), .max = UINT64_MAX }
/* *v (an int or an enum) gets the value of the word given among list's. */
#define GB_OPT_CHOICE(s, l, v, a, h, list) \
	{ .type = GB_OPTION_CHOICE, .short_name = (s), .long_name = (l), .value = (v), \
	  .precision = sizeof *(v), .argh = (a), .help = (h), .choices = (list) }
/* v is handed to f as opt->value; a is NULL for a callback without value. */
#define GB_OPT_CALLBACK(s, l, v, a, h, f) \
	{ .type = GB_OPTION_CALLBACK, .short_name = (s), .long_name = (l), .value = (v), .argh = (a), \
	  .help = (h), .callback = (f), .flags = (a) ? 0 : GB_OPTION_NOARG }

/* The text around the generated option list. */
struct gb_usage {
	const char *synopsis;		/* after "usage: "; may hold several lines */
	const char *description;	/* after the synopsis, or NULL */
	const char *epilogue;		/* after the options, or NULL */
	const char *error_prefix;	/* before every error message ("side a: "), or NULL */
};

enum gb_parse_flags {
	GB_PARSE_STOP_AT_NON_OPTION = 1 << 0,	/* the first non-option ends the options */
	GB_PARSE_NO_ARGS = 1 << 1,		/* a non-option is an error */
};

#define GB_PARSE_HELP (-1)	/* the help was printed */
#define GB_PARSE_ERROR (-2)	/* a usage error was printed */

/* Apply the options in argv[1..argc) to opts. Returns the number of
 * non-option arguments (moved to argv[0..n)), or GB_PARSE_HELP or
 * GB_PARSE_ERROR; opts and usage print the help and the errors. */
int gb_parse_options(int argc, char **argv, const struct gb_option *opts,
		     const struct gb_usage *usage, unsigned flags);

/* The exit status for a negative gb_parse_options() result: 0 after the
 * help, 129 after a usage error. */
int gb_parse_exit(int ret);

/* The whole help: "usage: " synopsis, description, options, epilogue. */
void gb_usage_print(FILE *f, const struct gb_usage *usage, const struct gb_option *opts);

/* "error: <prefix><message>", a blank line and the usage on stderr, for
 * errors found after parsing; returns GB_PARSE_ERROR. */
int gb_usage_error(const struct gb_usage *usage, const struct gb_option *opts, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
