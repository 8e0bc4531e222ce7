/*
 * Executing a campaign's runs: each run is a child process
 * `greenbench run ... --json` whose stdout holds one run record. A child
 * that crashes, runs out of memory or hangs past the timeout is a failed
 * run with its reason and the tail of its stderr; the campaign goes on.
 *
 * The command is the running greenbench (/proc/self/exe) unless
 * GREENBENCH_RUN_CMD names another executable (tests use a scripted fake);
 * see greenbench/paths.h. Zoo models are exported once into the cache's
 * zoo/ directory with `<cmd> zoo export NAME -o FILE`. The loop over a
 * campaign's runs is greenbench/engine.h.
 *
 * Ownership: struct gb_run_outcome holds malloc'd output released with
 * gb_run_outcome_release(). The library never prints.
 *
 * Thread-safety: single-threaded; `stop` may be set by a signal handler.
 */
#ifndef GREENBENCH_CAMPAIGN_H
#define GREENBENCH_CAMPAIGN_H

#include "greenbench/proc.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct gb_plan;

/* The command and the cache directory come from greenbench/paths.h:
 * gb_paths_run_cmd() and gb_paths_cache_dir(NULL, "zoo", ...). */

/* Resolve a plan model to a file: a file as it is, a zoo model exported
 * into zoo_dir (gb_paths_cache_dir(NULL, "zoo", ...)) on first use, a
 * converted one (convert:) converted there on first use. Both steps of
 * gb_campaign_model_file() then gb_campaign_model_make(). */
int gb_campaign_model_path(const struct gb_plan *p, size_t model, const char *cmd,
			   const char *zoo_dir, char *buf, size_t len);
/* Where the model's file is or will be, making nothing: the file as
 * given, zoo_dir/ZOO.onnx, or zoo_dir/ZOO-CONVERTER-KEY.onnx (the key
 * covers converter, model, weights and versions: it asks the converter's
 * runtime for its version, a worker probe of a second or more). */
int gb_campaign_model_file(const struct gb_plan *p, size_t model, const char *zoo_dir, char *buf, size_t len);
/* Make path (from gb_campaign_model_file) when it is missing: `<cmd> zoo
 * export` or `<cmd> convert`, into a temporary file renamed when whole.
 * *stop (may be NULL) kills the child (-EINTR). A file model is checked
 * to be readable. */
int gb_campaign_model_make(const struct gb_plan *p, size_t model, const char *cmd, const char *path,
			   volatile sig_atomic_t *stop);

/* The zoo model `zoo` as ONNX in zoo_dir (NAME.onnx, or NAME.DTYPE.onnx
 * with dtype "fp16": `<cmd> zoo export NAME --dtype DTYPE`), exported on
 * first use; its path in buf. */
int gb_campaign_zoo_export(const char *cmd, const char *zoo, const char *dtype, const char *zoo_dir,
			   char *buf, size_t len);

/* True when the configuration's runtime takes a zoo model by name (torch
 * builds the framework's own model) rather than as an exported file. */
int gb_campaign_model_by_name(const struct gb_plan *p, size_t config);

/* The argv of one run (NULL-terminated, malloc'd; free with
 * gb_campaign_argv_free()). */
int gb_campaign_run_argv(const struct gb_plan *p, size_t config, const char *cmd,
			 const char *model_path, char ***argv);
void gb_campaign_argv_free(char **argv);

struct gb_run_outcome {
	int ok;			/* record says "ok" and the child exited 0 */
	int interrupted;	/* stopped by *stop: record nothing */
	struct gb_proc_end end;	/* how the child ended: exit code, signal, timed out */
	char reason[512];	/* failed: one line, for people (decide on `end`) */
	char stderr_tail[2048];
	char *record_json;	/* the record, or NULL if none was printed */
	double wall_s;
};

/* Run argv as a child in its own process group that dies with us; kill it
 * (SIGKILL to the group) after timeout_ns or when *stop becomes non-zero.
 * A program that cannot be executed is a failed outcome (exit status 127). tick (may be
 * NULL) is called about once a second while the child runs, e.g. to
 * refresh a progress line. Returns 0 when an outcome was produced (ok or
 * failed), negative errno if the child could not be started at all. */
int gb_campaign_exec(char *const argv[], uint64_t timeout_ns,
		     volatile sig_atomic_t *stop, void (*tick)(void *arg), void *arg,
		     struct gb_run_outcome *out);
/* The same with "KEY=VALUE" entries added to the child's environment
 * (NULL-terminated; may be NULL): a run pinned to its GPU. Thread-safe
 * for distinct outcomes (the engine's slots run several at once). */
int gb_campaign_exec_env(char *const argv[], const char *const *env_add, uint64_t timeout_ns,
			 volatile sig_atomic_t *stop, void (*tick)(void *arg), void *arg,
			 struct gb_run_outcome *out);
void gb_run_outcome_release(struct gb_run_outcome *o);

#endif
