/*
 * Slots: several campaign runs at once, one per GPU, each child pinned to
 * its GPU (internal to src/campaign; the policy, which run goes where and
 * when, is the engine's).
 *
 * A slot runs one child at a time on a thread of its own (the launcher's
 * gb_proc_run() blocks), so the engine's thread stays free to store
 * finished runs, send events and watch cooldowns; every store write and
 * every callback stays on the engine's thread. The child's environment
 * gets CUDA_VISIBLE_DEVICES and GB_ENV_GPUS set to its GPU (so its meter
 * measures that GPU only), CUDA_DEVICE_ORDER=PCI_BUS_ID (CUDA then numbers
 * GPUs as NVML does), and, with more than one slot, GB_ENV_CPU_ENERGY=
 * process (a package counter cannot tell concurrent runs apart) and
 * GB_ENV_OWN_TREE=this process (greenbench/cputree.h: the sibling runs
 * are not each other's foreign CPU time).
 *
 * Ownership: argv given to gb_slots_start() stays the caller's until the
 * slot is finished; the outcome is the slot's until the next start.
 * Thread-safety: one controlling thread calls these functions.
 */
#ifndef GB_CAMPAIGN_SLOTS_H
#define GB_CAMPAIGN_SLOTS_H

#include "greenbench/campaign.h"
#include "greenbench/meter.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct gb_slots;

/* gpus names GPUs of this host, each once, as NVML sees them through a
 * meter like base (NULL: defaults): a slot pinned to a GPU that is not
 * here would run unmeasured (CUDA hides an index out of range and all
 * after it). -EINVAL with the reason otherwise; 0 too where NVML cannot
 * be asked (no driver): the runs' own meters then say. */
int gb_slots_check_gpus(const char *gpus, const struct gb_meter_config *base);

/* One slot per entry of gpus ("0,1" or UUIDs). -EINVAL for an empty entry
 * or more than 64 of them. */
int gb_slots_new(const char *gpus, struct gb_slots **out);
void gb_slots_free(struct gb_slots *s);	/* after every started slot is finished */
size_t gb_slots_count(const struct gb_slots *s);
const char *gb_slots_gpu(const struct gb_slots *s, size_t i);
int gb_slots_busy(const struct gb_slots *s, size_t i);

/* Start argv on slot i (idle). The child is killed at timeout_ns or when
 * *stop becomes non-zero (gb_campaign_exec()). */
int gb_slots_start(struct gb_slots *s, size_t i, char *const argv[], uint64_t timeout_ns,
		   volatile sig_atomic_t *stop);
/* Wait until a busy slot's child has ended or timeout_ns passes: 0 and *i
 * the slot, or -ETIMEDOUT. -ENOENT when no slot is busy. */
int gb_slots_wait(struct gb_slots *s, uint64_t timeout_ns, size_t *i);
/* Take slot i's result (after gb_slots_wait() named it): the return of
 * gb_campaign_exec() and its outcome; the slot is idle again. */
int gb_slots_finish(struct gb_slots *s, size_t i, struct gb_run_outcome **o);

#endif
