/*
 * Internals shared by the worker harness files (worker.c: process and
 * wire; worker_requests.c: the requests). Not a public interface.
 */
#ifndef GB_RUNTIME_WORKER_IMPL_H
#define GB_RUNTIME_WORKER_IMPL_H

#include "greenbench/proc.h"
#include "greenbench/worker.h"
#include "runtime/worker_proto.h"

#include <limits.h>

#define LOG_RING 16384

struct gb_worker {
	char name[64];
	pid_t pid;		/* the running worker; -1 once reaped */
	struct gb_proc proc;	/* its launcher handle (the group id outlives the reap) */
	int sock;		/* our end of the protocol socket */
	int log_fd;		/* the worker's stdout+stderr, -1 at EOF */
	uint64_t start_timeout_ns, timeout_ns;
	volatile sig_atomic_t *stop;	/* borrowed; may be NULL */
	char dir[PATH_MAX];	/* exchange directory for tensors */
	char *rbuf;		/* bytes received but not yet consumed */
	size_t rlen, rcap;
	char log[LOG_RING];	/* ring of the last LOG_RING bytes of output */
	size_t log_total;
	int dead;
	char reason[1024];	/* why the worker is gone */
	struct gb_wp_buf req;
	struct gb_wp_reply rep;	/* the last reply, owned */
	struct gb_runtime_phase phase;
	/* describe */
	struct gb_tensor_info *in_info, *out_info;
	size_t nin, nout;
	/* outputs */
	struct gb_tensor *outs;
	size_t nouts;
	/* metadata: strings owned in meta_store */
	struct gb_kv *kv;
	char **meta_store;
	size_t nkv;
	uint64_t cpu_run_user_ns, cpu_run_sys_ns, nruns;
	int run_cpu_valid;
};

/* Send w->req, wait at most timeout_ns for the reply, decode it into
 * w->rep and take its phase times. 0 for ok replies; -EIO (worker still
 * usable) for the worker's own {"ok":false}; other errors: the worker is
 * gone (killed, reaped, reason kept). */
int gb_worker_transact(struct gb_worker *w, enum gb_wp_op op, uint64_t timeout_ns);
int gb_worker_meta_set(struct gb_worker *w, const char *key, const char *value);
int gb_worker_meta_set_u64(struct gb_worker *w, const char *key, uint64_t v);
int gb_worker_meta_take_reply(struct gb_worker *w);
void gb_worker_clear_outputs(struct gb_worker *w);
/* Put the run counters into the metadata (worker_runs, worker_run_cpu_*). */
int gb_worker_run_totals(struct gb_worker *w);

#endif
