/* digest — SHA-256 as lower-case hex, and base64 (OpenSSL libcrypto
 * underneath). Nothing blocks. */
#ifndef AIWB_DIGEST_H
#define AIWB_DIGEST_H

#include <stddef.h>

/* Writes the n bytes of in as 2n lower-case hex digits and a NUL into out. */
void hex_lower(const unsigned char *in, size_t n, char *out);

/* The SHA-256 of len bytes of data (NULL with len 0 is the empty input) into out[65]. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* The same for input that arrives in pieces: init, update per piece, then final. */
struct sha256_hex_ctx {
	void *md;
};
void sha256_hex_init(struct sha256_hex_ctx *c);
void sha256_hex_update(struct sha256_hex_ctx *c, const void *data, size_t len);
/* Writes the digest into out[65] and frees what init took. */
void sha256_hex_final(struct sha256_hex_ctx *c, char out[65]);

/* Decodes n bytes of base64 into out, which holds at least n / 4 * 3 + 3
 * bytes, and ends it with a NUL. url: the URL-safe alphabet ('-' and '_'),
 * padding optional, as in a JWT. The decoded length, or -1 when s is not
 * base64. */
long base64_decode(const char *s, size_t n, int url, unsigned char *out);

#endif
