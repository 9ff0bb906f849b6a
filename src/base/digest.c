#include "base/digest.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void hex_lower(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		abort();
	hex_lower(md, 32, out);
}

void sha256_hex_init(struct sha256_hex_ctx *c)
{
	c->md = EVP_MD_CTX_new();
	if (!c->md || !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
		abort();
}

void sha256_hex_update(struct sha256_hex_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->md, data, len);
}

void sha256_hex_final(struct sha256_hex_ctx *c, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(c->md, md, &mdlen);
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
	hex_lower(md, 32, out);
}

long base64_decode(const char *s, size_t n, int url, unsigned char *out)
{
	if (n > (size_t)INT_MAX - 4 || (!url && n % 4))
		return -1;
	char *in = NULL;
	if (url) {
		in = malloc(n + 4);
		if (!in)
			return -1;
		for (size_t i = 0; i < n; i++)
			in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
		while (n % 4)
			in[n++] = '=';
		s = in;
	}
	int got = n ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) : 0;
	for (size_t k = n; got > 0 && k && s[k - 1] == '='; k--)
		got--; /* EVP_DecodeBlock counts padding as zero bytes */
	free(in);
	if (got < 0)
		return -1;
	out[got] = '\0';
	return got;
}
