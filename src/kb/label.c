#include "kb/label.h"

#include <stdio.h>
#include <time.h>

#include "kb/store.h"

void kb_label_size(char *out, size_t n, int64_t bytes)
{
	if (bytes < 1024)
		snprintf(out, n, "%lld B", (long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, n, "%.1f KB", (double)bytes / 1024);
	else if (bytes < (int64_t)1024 * 1024 * 1024)
		snprintf(out, n, "%.1f MB", (double)bytes / (1024.0 * 1024));
	else
		snprintf(out, n, "%.2f GB", (double)bytes / (1024.0 * 1024 * 1024));
}

void kb_label_synced(char *out, size_t n, int64_t ms)
{
	if (!ms) {
		snprintf(out, n, "never");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
		snprintf(out, n, "?");
}

void kb_label_chunker(char *out, size_t n, const struct kb_settings *s)
{
	snprintf(out, n, "%s/%d", kb_chunker_name(s->chunker), s->chunk_tokens);
}
