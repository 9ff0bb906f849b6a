/* kb/extract — one file's bytes into knowledge-base documents.
 *
 * Formats by file name (a trailing .gz is read through zlib first):
 *   .md .markdown .mdx    Markdown; YAML front matter (between '---' lines at the
 *                         top) becomes metadata, its `title` the title (else the
 *                         first heading, else the file name); the body is the rest
 *   .html .htm .xhtml     HTML through libxml2's HTML parser: text only, scripts,
 *                         styles and comments dropped, entities decoded, <title>
 *                         kept as the title, headings written as '#' lines so the
 *                         Markdown chunker sees the structure; elements no
 *                         reader sees (hidden, aria-hidden="true", inline
 *                         display:none, visibility:hidden, font-size:0,
 *                         opacity:0) are dropped and counted in the
 *                         document's metadata as "hidden_elements"
 *   .json                 an object (one document) or an array of objects
 *   .jsonl .ndjson        one object a line
 *   .csv                  a header row, then one document a row
 *   .pdf                  text from `pdftotext` (poppler-utils) as a child process
 *   anything else         plain text (when it does not look binary)
 * Records (JSON, JSONL, CSV) take their text from text_field (CSV: one or
 * several columns, comma-separated; default "text", then "body", "content",
 * "contents"; CSV without any: every column as "name: value" lines), their
 * id from id_field (default "_id", then "id"; else the record number), their
 * title from title_field (default "title"); the other fields become metadata
 * (CSV values that read as numbers or true/false are typed). A record is
 * named PATH#ID.
 *
 * Text is cleaned (kb/text.h). Documents are owned by the caller. */
#ifndef AIWB_KB_EXTRACT_H
#define AIWB_KB_EXTRACT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/err.h"

enum kb_format { KB_FMT_TEXT, KB_FMT_MARKDOWN, KB_FMT_HTML, KB_FMT_JSON, KB_FMT_JSONL, KB_FMT_CSV, KB_FMT_PDF };

struct kb_doc {
	char *name;   /* PATH or PATH#ID */
	char *title;
	char *body;   /* clean UTF-8 */
	size_t len;
	cJSON *meta;  /* an object */
};

struct kb_docs {
	struct kb_doc *v;
	size_t n, cap;
	size_t invalid, nuls;  /* bytes repaired, NULs dropped */
	size_t skipped;        /* records without text */
};

struct kb_extract_opts {
	const char *text_field, *id_field, *title_field; /* NULL: defaults */
};

enum kb_format kb_format_of(const char *path);
const char *kb_format_name(enum kb_format f);
/* True when path names a gzip file (".gz"). */
int kb_is_gzip(const char *path);

/* name: the document path shown and stored; fs_path: where the file is (for
 * pdftotext). Appends to out; 0, or -1 with e (the reason to skip the file). */
int kb_extract(enum kb_format f, const char *name, const char *fs_path, const char *data, size_t len,
	       const struct kb_extract_opts *o, struct kb_docs *out, struct err *e);
void kb_docs_free(struct kb_docs *d);

/* Whether pdftotext can be run (found on PATH). */
int kb_have_pdftotext(void);

#endif
