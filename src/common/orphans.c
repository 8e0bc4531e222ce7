/*
 * Descendants whose parent died before them (a `greenbench run` killed
 * while its worker tore down a CUDA context) are reparented to the
 * nearest child subreaper, else to init, which reaps them when it gets to
 * it: on the H200 machine 1.9 s after the worker had ended. A campaign
 * that is a subreaper gets them instead and waits for them before it
 * exits, so that nothing it started outlives it, not even as a zombie.
 */
#include "greenbench/proc.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int gb_proc_adopt_orphans(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return gb_error_set(-errno, "cannot become a child subreaper: %s", strerror(errno));
	return 0;
}

int gb_proc_reap_orphans(uint64_t timeout_ns, size_t *reaped)
{
	uint64_t deadline = gb_now_ns() + timeout_ns;
	int status;

	*reaped = 0;
	for (;;) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			(*reaped)++;
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return errno == ECHILD ? 0 : gb_error_set(-errno, "cannot wait for children: %s", strerror(errno));
		if (gb_now_ns() >= deadline)
			return gb_error_set(-ETIMEDOUT, "processes started by this one still run after %.3g s",
					    (double)timeout_ns / 1e9);
		poll(NULL, 0, 5);	/* no descriptor tells when an orphan ends */
	}
}
