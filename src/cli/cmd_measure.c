/*
 * greenbench measure: perf stat, for energy.
 *
 *   $ greenbench measure -- python3 train.py
 *
 *    Energy for 'python3 train.py' (exit 0)
 *
 *         10.02 s  duration          9.85 s user + 0.12 s system CPU (child)
 *
 *     domain         energy J  method        avg W    peak W     net J
 *     gpu0           2351.204  counter      234.62    301.00  1630.022
 *     cpu             152.400  estimated     15.21     20.00         -
 *
 *     gpu0: utilization 97.2% (sd 3.1), memory 12.5% used, 61 C max
 *
 * The counters are armed before the command runs: the child waits on a pipe
 * until the parent has started the sampler and taken its first mark.
 */
#include "cli/builtin.h"
#include "cli/meter_opts.h"
#include "cli/verdict_print.h"
#include "greenbench/cputree.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/proc.h"
#include "greenbench/record.h"
#include "greenbench/report.h"
#include "greenbench/series.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct gb_usage usage = {
	.synopsis =
	"greenbench measure [-i DURATION] [--idle DURATION] [-r N] [-o FILE.csv] [--json]\n"
	"                          [--cpu-tdp W] -- COMMAND [ARGS...]\n",
	.description =
	"Run COMMAND and report the energy it used, per domain, with the method of\n"
	"each figure (counter, integrated or estimated), average and peak power, GPU\n"
	"utilization and memory, and the command's CPU time. Counters are armed\n"
	"before COMMAND starts; signals are forwarded to it; the exit status is\n"
	"COMMAND's (127 if it cannot be started, 128+N if killed by signal N).\n",
};

static volatile sig_atomic_t child_pid;

/* Terminal signals (SI_KERNEL) reach the whole foreground group, child
 * included; only signals sent to greenbench itself need forwarding. */
static void forward_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child_pid > 0 && (!si || si->si_code != SI_KERNEL))
		kill((pid_t)child_pid, sig);
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void install_forwarding(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

static void restore_signals(void)
{
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		signal(forwarded[i], SIG_DFL);
}

struct child_result {
	int exit_code;		/* shell convention */
	int exec_errno;		/* set when the command could not start */
	int signaled;
	double user_s, sys_s;
};

/* A child that waits until gb_proc_release(), then execs argv: in the
 * foreground process group (terminal signals reach it), exec failures
 * reported at the wait. */
static int spawn_waiting(char **argv, struct gb_proc *p)
{
	const struct gb_proc_spec spec = { .argv = argv, .search_path = 1, .gated = 1 };

	return gb_proc_spawn(&spec, p);
}

static void wait_child(struct gb_proc *p, struct child_result *cr)
{
	struct gb_proc_end end;

	memset(cr, 0, sizeof *cr);
	if (gb_proc_wait(p, &end)) {
		cr->exit_code = 127;
		return;
	}
	cr->user_s = end.cpu_user_ns / 1e9;
	cr->sys_s = end.cpu_system_ns / 1e9;
	if (end.exited) {
		cr->exit_code = end.exit_code;
	} else if (end.signaled) {
		cr->signaled = end.signal;
		cr->exit_code = 128 + end.signal;
	}
	cr->exec_errno = end.exec_errno;
}

static void fmt_cell(char *buf, size_t len, int valid, int decimals, double v)
{
	if (valid)
		snprintf(buf, len, "%.*f", decimals, v);
	else
		snprintf(buf, len, "-");
}

static void print_human(struct gb_meter *m, char **argv, const struct child_result *cr,
			double dur_s, const struct gb_domain_energy *e, int have_idle)
{
	char cmd[256] = "", a[32], b[32], c[32], d[32];
	size_t off = 0;

	for (int i = 0; argv[i] && off < sizeof cmd; i++)
		off += (size_t)snprintf(cmd + off, sizeof cmd - off, "%s%s", i ? " " : "", argv[i]);
	printf("\n Energy for '%s' (exit %d)\n\n", cmd, cr->exit_code);
	printf("  %10.3f s  duration      %.2f s user + %.2f s system CPU (child)\n\n",
	       dur_s, cr->user_s, cr->sys_s);
	if (!gb_meter_domain_count(m)) {
		puts("  energy: <not supported>  no energy source is available here (see 'greenbench devices')");
		return;
	}
	printf("  %-12s %12s  %-10s %9s %9s %11s\n", "domain", "energy J", "method", "avg W",
	       "peak W", have_idle ? "net J" : "");
	for (size_t i = 0; i < gb_meter_domain_count(m); i++) {
		const struct gb_domain_info *di = gb_meter_domain(m, i);

		if (!e[i].energy_valid) {
			printf("  %-12s %12s  %s\n", di->name, "<not supported>",
			       e[i].invalid_reason[0] ? e[i].invalid_reason : "no valid reading in this window");
			continue;
		}
		fmt_cell(a, sizeof a, 1, 3, e[i].energy_j);
		fmt_cell(b, sizeof b, e[i].power_valid, 2, e[i].power_mean_w);
		fmt_cell(c, sizeof c, e[i].power_valid, 2, e[i].power_peak_w);
		fmt_cell(d, sizeof d, e[i].net_valid, 3, e[i].net_energy_j);
		printf("  %-12s %12s  %-10s %9s %9s %11s", di->name, a, gb_method_name(e[i].method),
		       b, c, have_idle ? d : "");
		if (di->parent >= 0)
			printf("  (%s %s)", gb_domain_relation(di), gb_meter_domain(m, (size_t)di->parent)->name);
		putchar('\n');
	}
	putchar('\n');
	for (size_t i = 0; i < gb_meter_domain_count(m); i++) {
		const struct gb_domain_info *di = gb_meter_domain(m, i);

		if (di->kind != GB_DOMAIN_GPU)
			continue;
		printf("  %s: utilization ", di->name);
		if (e[i].util_gpu_valid)
			printf("%.1f%% (sd %.1f)", e[i].util_gpu_mean, e[i].util_gpu_sd);
		else
			printf("<not supported>");
		if (e[i].mem_valid)
			printf(", memory %.1f%% used", e[i].mem_used_pct_mean);
		if (e[i].temp_valid)
			printf(", %.0f C max", e[i].temp_max_c);
		putchar('\n');
	}
	{
		struct gb_energy_totals tot;

		gb_meter_totals(m, e, &tot);
		if (tot.measured_valid)
			printf("  total measured: %.3f J", tot.measured_j);
		if (tot.estimated_valid)
			printf("%s%.3f J estimated (kept apart)", tot.measured_valid ? "; plus " : "  total: ",
			       tot.estimated_j);
		putchar('\n');
	}
	for (size_t i = 0; i < gb_meter_domain_count(m); i++)
		if (e[i].energy_valid && e[i].method == GB_METHOD_ESTIMATED) {
			printf("  %s energy is estimated from CPU time and a power model, not measured\n",
			       gb_meter_domain(m, i)->name);
		}
}

struct measure_opts {
	struct gb_meter_config cfg;
	uint64_t idle_ns;
	const char *csv;
	int json;
	unsigned repeat;	/* -r N: run the command N times */
};

/* The number of COMMAND words (moved to argv[0..n)), or GB_PARSE_HELP /
 * GB_PARSE_ERROR (printed). */
static int parse_opts(int argc, char **argv, struct measure_opts *o)
{
	const struct gb_option opts[] = {
		GB_OPT_DURATION('i', "interval", &o->cfg.interval_ns, "DURATION", "sampling period (default 20ms)",
				GB_NS_PER_MS),
		GB_OPT_DURATION(0, "idle", &o->idle_ns, "DURATION", "measure idle power first; report net energy too",
				0),
		GB_OPT_STRING('o', "output", &o->csv, "FILE.csv", "write the sampled time series as CSV"),
		GB_OPT_BOOL(0, "json", &o->json, "print one JSON object instead of the table"),
		GB_OPT_UINT_RANGE('r', "repeat", &o->repeat, "N", "run COMMAND N times and report the mean and "
				  "95% interval of each figure (as perf stat -r)", 1, 100000),
		GB_CLI_CPU_TDP_OPTION(&o->cfg),
		GB_OPT_END(),
	};
	int n;

	memset(o, 0, sizeof *o);
	o->repeat = 1;
	gb_meter_config_init(&o->cfg);
	/* COMMAND's own flags stay its own */
	n = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_STOP_AT_NON_OPTION);
	if (n == 0)
		return gb_usage_error(&usage, opts, "no command given: put it after '--'");
	gb_cli_meter_config_env(&o->cfg);
	return n;
}

/* One run of the command between marks a and b, its window into e. 0,
 * or 127 when it could not be started (said). */
static int measure_once(struct gb_meter *m, char **cmdv, struct gb_mark *a, struct gb_mark *b,
			struct gb_domain_energy *e, struct child_result *cr, struct gb_verdict *v)
{
	struct gb_proc child = GB_PROC_INIT;
	struct gb_cpu_load la, lb;
	double others;

	memset(cr, 0, sizeof *cr);
	cr->exit_code = 127;
	if (spawn_waiting(cmdv, &child) < 0) {
		error("%s", gb_error_msg());
		return 127;
	}
	child_pid = child.pid;
	install_forwarding();
	/* Others' CPU time over the command: the samples bracket the marks,
	 * the command (our child, reaped into our children's time) is ours. */
	if (gb_cpu_load_read(&la))
		la.valid = 0;
	if (gb_meter_mark(m, a) < 0)
		warning("%s", gb_error_msg());
	gb_proc_release(&child);
	wait_child(&child, cr);
	gb_meter_mark(m, b);
	if (!gb_cpu_load_read(&lb) && !gb_cpu_load_foreign(&la, &lb, &others))
		gb_verdict_check(v, GB_VR_FOREIGN_CPU, others);
	child_pid = 0;
	restore_signals();
	gb_proc_close_fds(&child);
	if (cr->exec_errno) {
		error("cannot run '%s': %s", cmdv[0], strerror(cr->exec_errno));
		return 127;
	}
	gb_meter_window(m, a, b, e);
	for (size_t d = 0; d < gb_meter_domain_count(m); d++)
		gb_verdict_window(v, gb_meter_domain(m, d), 1, &e[d], b->t_ns - a->t_ns);
	return 0;
}

/* Mean and 95% interval of x[0..n) (NAN: absent), cut at 0: durations
 * and energies are never negative. */
static void interval(const double *x, size_t n, struct gb_record_interval *out)
{
	struct gb_ci ci;

	gb_stats_ci95(x, n, &ci);
	out->n = ci.n;
	out->mean = ci.mean;
	out->ci_valid = ci.ci_valid;
	out->lo = ci.lo > 0 ? ci.lo : 0;
	out->hi = ci.hi;
}

static void print_interval(const char *what, const struct gb_record_interval *v, const char *unit)
{
	if (!v->n)
		printf("  %-12s <not supported>\n", what);
	else if (v->ci_valid)
		printf("  %-12s %12.3f %s  (95%% CI %.3f to %.3f, %zu runs)\n", what, v->mean, unit, v->lo, v->hi, v->n);
	else
		printf("  %-12s %12.3f %s  (1 run)\n", what, v->mean, unit);
}

/* -r N: the figures over the runs. x holds n rows of 1 + ndom values
 * (duration, then each domain's energy, NAN where absent). */
static int report_repeat(struct gb_meter *m, char **cmdv, const double *x, size_t n, cJSON *j)
{
	size_t nd = gb_meter_domain_count(m), w = nd + 1;
	struct gb_record_interval dur, *en = calloc(nd + 1, sizeof *en);
	double *col = malloc((n + 1) * sizeof *col);
	int ret = 0;

	if (!en || !col) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t r = 0; r < n; r++)
		col[r] = x[r * w];
	interval(col, n, &dur);
	for (size_t d = 0; d < nd; d++) {
		for (size_t r = 0; r < n; r++)
			col[r] = x[r * w + 1 + d];
		interval(col, n, &en[d]);
	}
	if (j) {
		ret = gb_measure_record_add_repeat(j, m, n, &dur, en);
		goto out;
	}
	printf("\n Over %zu runs of '%s' (mean, 95%% Student-t interval)\n\n", n, cmdv[0]);
	print_interval("duration", &dur, "s");
	for (size_t d = 0; d < nd; d++)
		print_interval(gb_meter_domain(m, d)->name, &en[d], "J");
	if (n == 2)
		puts("  (2 runs: the interval is 12.7 standard errors wide; use -r 3 or more)");
out:
	free(en);
	free(col);
	return ret;
}

int cmd_measure(int argc, char **argv)
{
	struct measure_opts o;
	struct gb_meter *m = NULL;
	struct gb_mark a = { 0 }, b = { 0 };
	struct gb_domain_energy *e = NULL;
	struct child_result cr = { .exit_code = 127 };
	int ret, status = 127;
	size_t nd = 0, runs = 0;
	struct gb_verdict v;
	double *x = NULL;
	char **cmdv;
	FILE *csv = NULL;

	ret = parse_opts(argc, argv, &o);
	if (ret < 0)
		return gb_cli_finish(gb_parse_exit(ret));
	cmdv = argv;
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			error("cannot open '%s' for writing: %s", o.csv, strerror(errno));
			return 1;
		}
	}
	if (gb_meter_open(&o.cfg, &m) < 0 || gb_meter_gpus_check(m) < 0 || gb_mark_init(&a, m) < 0 ||
	    gb_mark_init(&b, m) < 0) {
		error("%s", gb_error_msg());
		goto out;
	}
	nd = gb_meter_domain_count(m);
	e = calloc(nd + 1, sizeof *e);
	x = malloc(o.repeat * (nd + 1) * sizeof *x);
	if (!e || !x || gb_meter_start(m) < 0) {
		error("%s", e && x ? gb_error_msg() : "out of memory");
		goto out;
	}
	if (o.idle_ns) {
		if (!o.json)
			fprintf(stderr, "measuring idle power for %.1f s...\n", o.idle_ns / 1e9);
		if (gb_meter_measure_idle(m, o.idle_ns) < 0) {
			error("%s", gb_error_msg());
			goto out;
		}
	}
	/* Every run is measured alike; the last one is shown in full. A run
	 * that fails ends the repetitions (its status is the result). */
	for (runs = 0; runs < o.repeat;) {
		if (runs)
			gb_meter_series_clear(m);	/* the CSV holds the last run */
		gb_verdict_init(&v);	/* the last run's, as the figures shown */
		if ((status = measure_once(m, cmdv, &a, &b, e, &cr, &v)))
			goto out;
		x[runs * (nd + 1)] = (b.t_ns - a.t_ns) / 1e9;
		for (size_t d = 0; d < nd; d++)
			x[runs * (nd + 1) + 1 + d] = e[d].energy_valid ? e[d].energy_j : NAN;
		runs++;
		if ((status = cr.exit_code))
			break;
	}
	gb_meter_stop(m);
	if (o.json) {
		struct gb_measure_run mr = {
			.argv = cmdv, .exit_code = cr.exit_code, .signal = cr.signaled,
			.duration_s = (b.t_ns - a.t_ns) / 1e9, .user_s = cr.user_s, .system_s = cr.sys_s,
			.idle_ns = o.idle_ns,
		};
		cJSON *j = gb_measure_record(&mr, m, e);
		char *text = NULL;

		if (j && !gb_record_verdict_write(j, &v) && (o.repeat == 1 || !report_repeat(m, cmdv, x, runs, j)))
			text = cJSON_Print(j);
		cJSON_Delete(j);
		if (!text) {
			error("out of memory");
			status = 1;
			goto out;
		}
		puts(text);
		free(text);
	} else {
		print_human(m, cmdv, &cr, (b.t_ns - a.t_ns) / 1e9, e, o.idle_ns != 0);
		gb_cli_print_verdict(&v);
		if (o.repeat > 1 && report_repeat(m, cmdv, x, runs, NULL))
			error("%s", gb_error_msg());
	}
	if (csv && gb_series_write_csv(m, a.t_ns, csv) < 0)
		error("'%s': %s", o.csv, gb_error_msg());
out:
	if (csv && fclose(csv)) {
		error("cannot write '%s': %s", o.csv, strerror(errno));
		if (!status)
			status = 1;
	}
	gb_mark_release(&a);
	gb_mark_release(&b);
	free(e);
	free(x);
	gb_meter_free(m);
	return gb_cli_finish(status);
}
