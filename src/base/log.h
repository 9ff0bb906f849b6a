/* log — the log file $AIWB_HOME/aiwb.log.
 *
 * Lines are "2026-11-27T14:55:06.123Z LEVEL message". The file is created 0600
 * and rotated to aiwb.log.1 when it passes the size cap. Nothing secret is ever
 * logged: besides callers never passing secrets, every secret in force
 * (base/secret.h, the well-known key variables registered again at log_open)
 * is replaced by "[redacted]" in any message. Before log_open, and
 * when the file cannot be opened, messages are dropped. Never blocks for long:
 * one write(2) per message. */
#ifndef AIWB_LOG_H
#define AIWB_LOG_H

#include <stddef.h>

#include "base/err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

int log_open(const char *path, size_t max_bytes, struct err *e);
void log_close(void);
void log_set_level(enum log_level level);
/* "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
