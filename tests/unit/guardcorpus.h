/* guardcorpus — reads the guard's labelled corpus (tests/data/guard/ (.tsv files),
 * format in gen_corpus.py) and scores the guard on it: per type, true
 * positives, false negatives and false positives, counted per line as the
 * overlap of the expected and found multisets of types. Header-only; shared
 * by tests/unit/test_guard_corpus.c and bench/guard_bench.c. */
#ifndef AIWB_GUARDCORPUS_H
#define AIWB_GUARDCORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "guard/guard.h"

struct corpus_score {
	size_t tp[GUARD_NTYPES], fn[GUARD_NTYPES], fp[GUARD_NTYPES];
	size_t lines, bad_lines;
	char first_bad[512];
};

static int corpus_type(const char *name, size_t n)
{
	for (int t = 0; t < GUARD_NTYPES; t++)
		if (strlen(guard_type_name((enum guard_type)t)) == n && memcmp(guard_type_name((enum guard_type)t), name, n) == 0)
			return t;
	return -1;
}

static void corpus_put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(b, u, n);
}

/* \n \t \\ and \u{XXXX} */
static void corpus_decode(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			buf_putc(out, *s);
			continue;
		}
		s++;
		if (*s == 'n')
			buf_putc(out, '\n');
		else if (*s == 't')
			buf_putc(out, '\t');
		else if (*s == 'u' && s[1] == '{') {
			char *end;
			unsigned long cp = strtoul(s + 2, &end, 16);
			corpus_put_utf8(out, cp);
			s = *end == '}' ? end : end - 1;
		} else
			buf_putc(out, *s);
	}
}

/* Scores one file; -1 when it cannot be read or a label is unknown. */
static int corpus_score_file(const struct guard *g, const char *path, struct corpus_score *sc)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[8192];
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab) {
			rc = -1;
			continue;
		}
		*tab = '\0';
		size_t want[GUARD_NTYPES] = { 0 }, got[GUARD_NTYPES] = { 0 };
		if (strcmp(line, "-") != 0) {
			for (char *p = line; *p;) {
				size_t k = strcspn(p, ",");
				int t = corpus_type(p, k);
				if (t < 0)
					rc = -1;
				else
					want[t]++;
				p += k + (p[k] == ',');
			}
		}
		struct buf text = BUF_INIT;
		corpus_decode(tab + 1, &text);
		struct guard_findings found = { 0 };
		struct err e = ERR_INIT;
		guard_scan(g, text.data ? text.data : "", text.len, &found, &e);
		for (size_t k = 0; k < found.n; k++)
			got[found.v[k].type]++;
		int bad = 0;
		for (int t = 0; t < GUARD_NTYPES; t++) {
			size_t tp = want[t] < got[t] ? want[t] : got[t];
			sc->tp[t] += tp;
			sc->fn[t] += want[t] - tp;
			sc->fp[t] += got[t] - tp;
			bad |= want[t] != got[t];
		}
		sc->lines++;
		if (bad && !sc->bad_lines++) {
			struct buf got_s = BUF_INIT;
			for (size_t k = 0; k < found.n; k++)
				buf_printf(&got_s, "%s%s", k ? "," : "", guard_type_name(found.v[k].type));
			/* cut to fit: a diagnostic, not data */
			int w = snprintf(sc->first_bad, sizeof sc->first_bad, "want %.60s, found %.60s: ", line,
					 found.n ? buf_str(&got_s) : "-");
			if (w > 0 && (size_t)w < sizeof sc->first_bad)
				snprintf(sc->first_bad + w, sizeof sc->first_bad - (size_t)w, "%.*s",
					 (int)(sizeof sc->first_bad - (size_t)w - 1), tab + 1);
			buf_free(&got_s);
		}
		guard_findings_free(&found);
		buf_free(&text);
	}
	fclose(f);
	return rc;
}

/* One line per type with a count: "email  tp fn fp  precision recall". */
static void corpus_print(FILE *out, const char *prefix, const struct corpus_score *sc)
{
	fprintf(out, "%s%-20s %5s %5s %5s %9s %7s\n", prefix, "type", "tp", "fn", "fp", "precision", "recall");
	for (int t = 0; t < GUARD_NTYPES; t++) {
		size_t tp = sc->tp[t], fn = sc->fn[t], fp = sc->fp[t];
		if (!tp && !fn && !fp)
			continue;
		fprintf(out, "%s%-20s %5zu %5zu %5zu %9.3f %7.3f\n", prefix, guard_type_name((enum guard_type)t), tp, fn,
			fp, tp + fp ? (double)tp / (double)(tp + fp) : 1.0, tp + fn ? (double)tp / (double)(tp + fn) : 1.0);
	}
}

#endif
