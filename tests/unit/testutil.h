/* testutil — small helpers shared by the unit tests (header-only). */
#ifndef AIWB_TESTUTIL_H
#define AIWB_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int testutil_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf DIR; 0 on success (a missing DIR is an error, as nftw reports it). */
static inline int test_rmtree(const char *dir)
{
	return nftw(dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
