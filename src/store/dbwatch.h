/* dbwatch — tells when another process has written to the database: a job
 * started by `aiwb jobs run` in another terminal, a run stored by `aiwb ask`.
 * An inotify watch on the database's directory wakes the loop only when
 * one of its files is written; PRAGMA data_version then says whether the
 * write came from another connection (this process's own writes never
 * call fn). Nothing is polled, so an idle workbench is not woken. */
#ifndef AIWB_DBWATCH_H
#define AIWB_DBWATCH_H

#include "base/err.h"
#include "loop.h"
#include "store/db.h"

struct dbwatch;

/* NULL with e when inotify is not available (callers then poll). fn runs
 * on the loop, once per batch of writes by other processes. */
struct dbwatch *dbwatch_new(struct db *db, struct loop *l, void (*fn)(void *ud), void *ud, struct err *e);
void dbwatch_free(struct dbwatch *w);

/* PRAGMA data_version of db's connection: changes when another connection
 * commits; -1 on error. */
int64_t db_data_version(struct db *db);

#endif
