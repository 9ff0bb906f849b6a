/* kb/label — knowledge bases as short text for tables, shared by `aiwb kb ls`
 * and the Knowledge pane: a size as "512 B", "1.5 KB", "20.0 MB" or
 * "1.25 GB" (1024-based), a time of last sync in local time as
 * "2026-12-07 05:10" ("never" for 0, "?" when it cannot be shown), and the
 * chunker as "markdown/512" (its name and tokens a chunk). Nothing blocks;
 * out is always terminated. */
#ifndef AIWB_KB_LABEL_H
#define AIWB_KB_LABEL_H

#include <stddef.h>
#include <stdint.h>

struct kb_settings;

void kb_label_size(char *out, size_t n, int64_t bytes);
void kb_label_synced(char *out, size_t n, int64_t ms);
void kb_label_chunker(char *out, size_t n, const struct kb_settings *s);

#endif
