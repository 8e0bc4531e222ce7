/*
 * Validity verdicts (docs/measurement.md, "Verdicts"): every run is
 * valid, suspect or invalid, with typed reasons. A reason is a code from
 * GB_VERDICT_REASONS and the number measured for it; the thresholds live
 * in that one list, so the record writer, the store, the report and the
 * docs all speak of the same checks.
 *
 * A check is fed with gb_verdict_check(v, code, value): value is kept
 * (NAN: not checked), compared with the code's limits, and the verdict's
 * level rises to the worst reason. gb_verdict_run_result() runs every
 * check a run result can answer (the CPU time of other processes, other
 * processes on the GPU, the window against the counter's update period,
 * throttling, the energy counter against integrated power, the idle
 * baseline's own interference); `measure` checks its command's window
 * the same way (gb_verdict_window() and others' CPU time); the campaign
 * engine adds what only it knows (the idle baseline's drift, a busy
 * campaign baseline) and the report adds the spread across repetitions.
 *
 * Ownership: plain values; no allocation. Thread-safety: no state.
 */
#ifndef GREENBENCH_VERDICT_H
#define GREENBENCH_VERDICT_H

#include <stddef.h>
#include <stdint.h>

struct gb_run_result;
struct gb_domain_info;
struct gb_domain_energy;

enum gb_verdict_level {
	GB_VERDICT_VALID,
	GB_VERDICT_SUSPECT,
	GB_VERDICT_INVALID,
};

/* How a value compares with its limits. */
enum gb_verdict_dir {
	GB_VD_ABOVE,	/* fires when value > limit */
	GB_VD_BELOW,	/* fires when value < limit */
	GB_VD_BITS,	/* fires when value (as bits) & GB_VERDICT_THROTTLE_MASK */
};

/*
 * Every check, once: X(id, name, unit, dir, suspect, invalid).
 *   name     the record's and report's code ("foreign_cpu")
 *   unit     of value, for people ("cores", "%", "updates")
 *   suspect  the limit past which the run is suspect
 *   invalid  the limit past which it is invalid (NAN: never invalid)
 * foreign_cpu: CPU time used by processes outside the run's process tree
 * during the measured phase, in cores (CPU-seconds per second): 0.10 is
 * a tenth of one core; 0.50 half a core, enough to slow a CPU run and to
 * add its power to the package's counter. idle_busy: the same for the
 * idle baseline the run's net energy subtracts.
 */
#define GB_VERDICT_REASONS(X) \
	X(GB_VR_FOREIGN_CPU, "foreign_cpu", "cores", GB_VD_ABOVE, 0.10, 0.50) \
	X(GB_VR_FOREIGN_GPU, "foreign_gpu_processes", "processes", GB_VD_ABOVE, 0, NAN) \
	X(GB_VR_IDLE_BUSY, "idle_busy", "cores", GB_VD_ABOVE, 0.10, 0.50) \
	X(GB_VR_COUNTER_UPDATES, "counter_updates", "updates", GB_VD_BELOW, 10, 1) \
	X(GB_VR_IDLE_DRIFT, "idle_drift", "%", GB_VD_ABOVE, 10, 25) \
	X(GB_VR_THROTTLE, "throttle", "reason bits", GB_VD_BITS, 0, NAN) \
	X(GB_VR_COUNTER_POWER, "counter_vs_power", "%", GB_VD_ABOVE, 3, 10) \
	X(GB_VR_CV, "cv", "%", GB_VD_ABOVE, 10, NAN)

enum gb_verdict_reason {
#define GB_VR_ENUM(id, ...) id,
	GB_VERDICT_REASONS(GB_VR_ENUM)
#undef GB_VR_ENUM
	GB_VR_COUNT
};

/* NVML clock-event reasons that mean the GPU slowed itself down (power
 * cap, hardware slowdown, thermal, power brake): 0x4|0x8|0x20|0x40|0x80. */
#define GB_VERDICT_THROTTLE_MASK 0xECull

struct gb_verdict_info {
	const char *name, *unit;
	enum gb_verdict_dir dir;
	double suspect, invalid;
};
extern const struct gb_verdict_info gb_verdict_reasons[GB_VR_COUNT];

struct gb_verdict {
	enum gb_verdict_level level;
	uint32_t reasons;		/* 1 << code, for every check that fired */
	double value[GB_VR_COUNT];	/* what each check measured; NAN: not checked */
};

/* A verdict with nothing checked (valid, every value NAN). */
void gb_verdict_init(struct gb_verdict *v);

/* The level value earns for code (VALID when it is NAN). */
enum gb_verdict_level gb_verdict_level_of(enum gb_verdict_reason code, double value);

/* Keep value for code and raise v's level by what it earns; a second
 * value for the same code keeps the worse one. */
void gb_verdict_check(struct gb_verdict *v, enum gb_verdict_reason code, double value);

const char *gb_verdict_level_name(enum gb_verdict_level l);	/* "valid", ... */
int gb_verdict_level_parse(const char *name, enum gb_verdict_level *out);
/* -EINVAL when name is no code of GB_VERDICT_REASONS. */
int gb_verdict_reason_parse(const char *name, enum gb_verdict_reason *out);

/* NVML's clock-event reason bits in words, joined with "+" into buf
 * ("sw_power_cap+hw_slowdown"; "" for 0; an unknown bit as "0x200"): the
 * verdict keeps the bits, people read these. Pure; thread-safe. */
void gb_verdict_throttle_text(uint64_t bits, char *buf, size_t len);

/* Join the names of the reasons in bits with sep into buf ("" if none). */
void gb_verdict_reasons_join(uint32_t bits, const char *sep, char *buf, size_t len);

/* The checks of one window of dur_ns over n domains (dom[i], e[i]): the
 * counter's updates in it, GPU throttling, counter against power. */
void gb_verdict_window(struct gb_verdict *v, const struct gb_domain_info *dom, size_t n,
		       const struct gb_domain_energy *e, uint64_t dur_ns);

/* Run every check that r's fields answer into r->verdict (see above). */
void gb_verdict_run_result(struct gb_run_result *r);

#endif
