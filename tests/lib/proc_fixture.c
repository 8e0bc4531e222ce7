/*
 * The fake /proc (proc_fixture.h).
 */
#include "lib/proc_fixture.h"
#include "lib/gbtest.h"

#include <stdio.h>

void gbt_proc_write(const char *root, uint64_t busy_ticks, const struct gbt_proc *procs, size_t n)
{
	char proc[4200];

	snprintf(proc, sizeof proc, "%s/proc", root);
	gbt_rm_rf(proc);
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	gbt_write(root, "proc/stat", "cpu  %llu 0 0 1000000 0 0 0 0 0 0\ncpu0 %llu 0 0 1000000 0 0 0 0 0 0\n",
		  (unsigned long long)busy_ticks, (unsigned long long)busy_ticks);
	for (size_t i = 0; i < n; i++) {
		char rel[64];

		snprintf(rel, sizeof rel, "proc/%ld/stat", (long)procs[i].pid);
		/* pid (comm) state ppid pgrp session tty tpgid flags minflt
		 * cminflt majflt cmajflt utime stime cutime cstime ...; a comm
		 * with ") " in it, as the parser must expect. */
		gbt_write(root, rel, "%ld (fake) (%zu) S %ld %ld %ld 0 -1 4194304 100 0 0 0 %llu %llu 0 0 20 0 1 0 "
			  "100 1000000 100\n", (long)procs[i].pid, i, (long)procs[i].ppid, (long)procs[i].pid,
			  (long)procs[i].pid, (unsigned long long)procs[i].utime,
			  (unsigned long long)procs[i].stime);
	}
}
