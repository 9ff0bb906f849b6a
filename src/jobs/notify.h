/* jobs/notify — what happens outside aiwb when a job's alert fires (the
 * line on stdout and the terminal's bell are the caller's): inside tmux
 * (TMUX set) a status-line message and the global option @aiwb_alert set to
 * "aiwb: MESSAGE"; and a user command run by /bin/sh -c with AIWB_ALERT_JOB,
 * AIWB_ALERT_NAME, AIWB_ALERT_RULE, AIWB_ALERT_DETAIL, AIWB_ALERT_STATUS and
 * AIWB_ALERT_MESSAGE in its environment, its stdout aiwb's.
 *
 * Children get /dev/null as stdin (tmux's stdout too) and are never waited
 * for: alert_notifier_reap collects the ones that ended (call it now and
 * then); freeing reaps once more and forgets the rest. */
#ifndef AIWB_JOBS_NOTIFY_H
#define AIWB_JOBS_NOTIFY_H

#include "jobs/alert.h"

struct alert_notifier;

/* exec_cmd (copied) may be NULL: no command. quiet: the command's stdout and
 * stderr go to /dev/null (the workbench owns the terminal). */
struct alert_notifier *alert_notifier_new(const char *exec_cmd, int quiet);
void alert_notifier_free(struct alert_notifier *n);

/* "local:7 NAME: RULE (DETAIL)" on one line, sanitized for a terminal. Caller frees. */
char *alert_message(const struct alert_fired *a);
/* The desktop notification a terminal shows for msg: OSC 9 and OSC 777
 * ("notify"), each ended by ST. Caller frees. */
char *alert_osc(const char *msg);
/* tmux and the command, for a fired alert and its message; rule_cmd (a
 * config rule's "exec", may be NULL) runs too, the same way. */
void alert_notify(struct alert_notifier *n, const struct alert_fired *a, const char *msg, const char *rule_cmd);
void alert_notifier_reap(struct alert_notifier *n);
/* Children started and not reaped yet. */
size_t alert_notifier_running(const struct alert_notifier *n);

#endif
