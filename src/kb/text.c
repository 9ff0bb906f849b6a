#include "kb/text.h"

#include <string.h>

static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need + 1;
}

void kb_text_clean(const char *in, size_t n, struct buf *out, struct kb_clean_stats *stats)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	buf_grow(out, n - i);
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80)
			run++;
		if (run > i) {
			buf_append(out, s + i, run - i);
			i = run;
			continue;
		}
		unsigned c = s[i];
		if (c == 0) {
			if (stats)
				stats->nuls++;
			i++;
		} else if (c == '\r') {
			buf_putc(out, '\n');
			i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
		} else if (c < 0x80) {
			if (c == '\t' || c == '\n' || c == '\f')
				buf_putc(out, (char)c);
			else if (stats)
				stats->controls++;
			i++;
		} else {
			size_t len = utf8_valid_len(s + i, n - i);
			if (len) {
				buf_append(out, s + i, len);
				i += len;
			} else {
				buf_puts(out, "\xEF\xBF\xBD");
				if (stats)
					stats->invalid++;
				i++;
			}
		}
	}
}

static const struct { const char *magic; size_t len; } signatures[] = {
	{ "\x7F" "ELF", 4 }, { "\x89PNG", 4 }, { "\xFF\xD8\xFF", 3 }, { "GIF8", 4 }, { "PK\x03\x04", 4 },
	{ "\x1F\x8B", 2 }, { "SQLite format 3", 15 }, { "BZh", 3 }, { "\xFD" "7zXZ", 5 }, { "7z\xBC\xAF", 4 },
	{ "\x00\x00\x01\x00", 4 }, { "RIFF", 4 }, { "OggS", 4 }, { "\x1A\x45\xDF\xA3", 4 }, { "\xCA\xFE\xBA\xBE", 4 },
	{ "MZ", 2 }, { "\x28\xB5\x2F\xFD", 4 },
};

int kb_text_looks_binary(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++)
		if (n >= signatures[i].len && memcmp(p, signatures[i].magic, signatures[i].len) == 0)
			return 1;
	if (n > 8192)
		n = 8192;
	size_t nul = 0, ctl = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0)
			nul++;
		else if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1B)
			ctl++;
	}
	return (nul > 4 && nul * 100 > n) || (nul + ctl > 8 && (nul + ctl) * 10 > n);
}
