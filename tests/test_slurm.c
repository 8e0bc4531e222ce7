/*
 * Campaigns on a real Slurm started here (tests/slurm/cluster.sh): as
 * root with slurm-wlm and munge installed (scripts/deps.d/slurm.pkgs), it
 * brings up munged, slurmctld and a slurmd, submits, scancels, resubmits,
 * collects and reports, and stops its daemons; otherwise it skips and says
 * why. The script bounds every wait; timeout(1) bounds the whole.
 */
#include "lib/gbtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_campaign_on_slurm(void **st)
{
	const char *src = getenv("GB_SRCDIR"), *build = getenv("GB_BUILD");
	char cmd[8192], *out = NULL;
	int rc;

	(void)st;
	snprintf(cmd, sizeof cmd, "timeout -k 5 170 sh '%s/tests/slurm/cluster.sh' '%s/%s' 2>&1", src ? src : ".",
		 src ? src : ".", build ? build : "build");
	rc = gbt_run(cmd, &out);
	printf("%s", out ? out : "");
	if (out && strstr(out, "[  SKIPPED ] slurm cluster:")) {
		free(out);
		skip();
	}
	free(out);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_campaign_on_slurm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
