/* path — where aiwb keeps things (DESIGN.md §4).
 *
 * Data home: $AIWB_HOME, else $XDG_DATA_HOME/aiwb, else ~/.local/share/aiwb.
 * Config file: $AIWB_CONFIG, else $XDG_CONFIG_HOME/aiwb/config.json, else
 * ~/.config/aiwb/config.json. Share dir (built-in prompts/, themes/, examples/):
 * $AIWB_SHARE, else the source tree beside the running binary, else the
 * installed AIWB_SHAREDIR. Strings returned by the path_* getters are computed
 * once and borrowed for the process lifetime (path_reset() forgets them, for tests). */
#ifndef AIWB_PATH_H
#define AIWB_PATH_H

#include <sys/stat.h>
#include <sys/types.h>

#include "base/err.h"

const char *path_data_home(void);
const char *path_config_dir(void);
const char *path_config_file(void);
const char *path_share_dir(void);
void path_reset(void);

/* Caller frees. */
char *path_join(const char *dir, const char *name);

/* Calls fn with the joined path, the name and the lstat of each entry of dir
 * whose name does not start with '.' (an entry gone before lstat is passed
 * over), in directory order, until fn returns non-zero. -1 when dir cannot be
 * opened, else 0. */
int path_each_entry(const char *dir, int (*fn)(void *ud, const char *path, const char *name, const struct stat *st),
		    void *ud);

int path_exists(const char *path);
/* Whether an executable called name is in one of $PATH's directories (no
 * PATH: /usr/bin:/bin, as execvp). */
int path_has_command(const char *name);
int path_is_dir(const char *path);
int path_is_file(const char *path); /* a regular file (links followed) */
/* mkdir -p with mode for every directory it creates. */
int path_mkdirs(const char *path, mode_t mode, struct err *e);
/* Creates the data home (0700) when absent; *created tells whether it was new.
 * Fails with a clear sentence when it cannot be created or is not writable. */
int path_ensure_data_home(int *created, struct err *e);
/* For a data-home file that another library opens by name (readline's
 * history): 0 when path is absent or a regular file of this user; -1 with one
 * sentence when it is a symbolic link (never followed, as every data-home
 * file), or anything else. */
int path_check_private_file(const char *path, struct err *e);
/* Reads a whole regular file (caller frees, NUL-terminated); *len may be
 * NULL. Every reader of a file the user names goes through here: a FIFO,
 * device, socket or directory is refused at once ("not a regular file (a
 * FIFO)"), never waited on. */
char *path_read_file(const char *path, size_t *len, struct err *e);
/* Writes all n bytes to fd, again after EINTR and short writes: 0, or -1
 * with errno set (a write of 0 bytes counts as failed, errno EIO). Safe
 * between fork and exec. */
int path_write_all(int fd, const void *p, size_t n);
/* Writes data to path atomically (temp file in the same dir, fsync, rename), mode 0600. */
int path_write_file(const char *path, const void *data, size_t len, struct err *e);

#endif
