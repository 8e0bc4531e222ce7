/* What `campaign run` and the cluster subcommands (cmd_campaign_cluster.c) share: the printer of the engine's events, the stop flag and its signal handlers. */
#ifndef GB_CLI_CAMPAIGN_CLI_H
#define GB_CLI_CAMPAIGN_CLI_H

#include "cli/builtin.h"
#include "greenbench/engine.h"

#include <signal.h>

/* What the progress line shows, kept from the engine's events. */
struct gb_cli_camp {
	const char *file, *db;
	const char *gpus;	/* run --gpus */
	int tty, quiet, resume, retry_failed, keep_going;
	double last_epi;
	char last_method[48];
};

/* The engine's events on stderr (ctx: a struct gb_cli_camp). */
extern const struct gb_engine_callbacks gb_cli_campaign_printer;
/* Set by SIGINT/SIGTERM while gb_cli_campaign_signals(1) is in force. */
extern volatile sig_atomic_t gb_cli_campaign_stop;
void gb_cli_campaign_signals(int on);

/* The cluster subcommands (cmd_campaign_cluster.c); argv[0] is the name. */
int gb_cli_campaign_submit(int argc, char **argv);
int gb_cli_campaign_task(int argc, char **argv);
int gb_cli_campaign_collect(int argc, char **argv);
int gb_cli_campaign_status(int argc, char **argv);

#endif
