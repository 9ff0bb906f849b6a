/* aiwb drift watch / ls / show and report --save: drift reports and
 * monitors as jobs of source drift (drift/saved.h, drift/watch.h). */
#ifndef AIWB_CLI_DRIFTJOBS_H
#define AIWB_CLI_DRIFTJOBS_H

#include <cjson/cJSON.h>

#define DRIFT_WATCH_USAGE \
	"       aiwb drift watch --baseline DIR FILE [--every 60s] [--window N|DURATION] [--name N]\n" \
	"       aiwb drift ls [--json]\n" \
	"       aiwb drift show ID [--json]\n"

extern const char drift_watch_usage[], drift_ls_usage[], drift_show_usage[];

int cmd_drift_watch(int argc, char **argv);
int cmd_drift_ls(int argc, char **argv);
int cmd_drift_show(int argc, char **argv);
/* Saves a report's JSON (with distributions) as a drift job and says its id
 * on stderr: 0, or the exit status of the failure already reported. */
int drift_cli_save(const cJSON *doc, const char *name, int argc, char **argv);

#endif
