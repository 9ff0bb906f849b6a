/* The fake S3: path-style REST/XML on the objects of a directory
 * (--svc s3-root=DIR: each subdirectory a bucket, each file under it an
 * object keyed by its path). ListObjectsV2 pages at most --svc s3-page=N keys
 * (default 1000) with an opaque continuation token; GetObject; PutObject
 * (written into the directory, the body checked against
 * x-amz-content-sha256). --svc s3-denied=BUCKET answers AccessDenied on that
 * bucket; --svc s3-fail-first=N answers the first N requests 503 SlowDown.
 * A request is the fake S3's when it carries x-amz-content-sha256 or
 * is signed for service s3. Errors are S3's XML <Error> documents. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "svc.h"

static char *root;
static long page = 1000;
static char *denied;
static long fail_first; /* answer the first N requests 503 SlowDown */
static unsigned long seq;

int svc_s3_option(const char *key, const char *value)
{
	if (strcmp(key, "s3-root") == 0) {
		free(root);
		root = xstrdup(value);
		return 0;
	}
	if (strcmp(key, "s3-page") == 0) {
		char *end;
		page = strtol(value, &end, 10);
		if (*end || page < 1 || page > 1000) {
			fprintf(stderr, "fakellm: --svc s3-page wants 1 to 1000\n");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "s3-fail-first") == 0) {
		char *end;
		fail_first = strtol(value, &end, 10);
		if (*end || fail_first < 0) {
			fprintf(stderr, "fakellm: --svc s3-fail-first wants a count\n");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "s3-denied") == 0) {
		free(denied);
		denied = xstrdup(value);
		return 0;
	}
	return 1;
}

void svc_s3_cleanup(void)
{
	free(root);
	free(denied);
	root = denied = NULL;
}

static void xml_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static void s3_error(struct svc_response *out, int status, const char *code, const char *msg, const char *bucket,
		     const char *key)
{
	out->status = status;
	out->content_type = "application/xml";
	buf_puts(&out->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
	xml_text(&out->body, code);
	buf_puts(&out->body, "</Code><Message>");
	xml_text(&out->body, msg);
	buf_puts(&out->body, "</Message>");
	if (bucket) {
		buf_puts(&out->body, "<BucketName>");
		xml_text(&out->body, bucket);
		buf_puts(&out->body, "</BucketName>");
	}
	if (key) {
		buf_puts(&out->body, "<Key>");
		xml_text(&out->body, key);
		buf_puts(&out->body, "</Key>");
	}
	buf_printf(&out->body, "<RequestId>FAKE%08lX</RequestId><HostId>fake</HostId></Error>", seq);
}

static bool is_s3(const struct svc_request *r)
{
	if (svc_header(r, "x-amz-content-sha256"))
		return true;
	const char *a = svc_header(r, "authorization");
	return a && strstr(a, "/s3/aws4_request");
}

/* ---- listing */

struct keys {
	char **v;
	size_t n, cap;
};

static void walk(const char *dir, const char *rel, struct keys *k)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		char *key = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(path, key, k);
			free(key);
		} else if (S_ISREG(st.st_mode)) {
			k->v = xgrow(k->v, &k->cap, k->n + 1, sizeof *k->v);
			k->v[k->n++] = key;
		} else {
			free(key);
		}
		free(path);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hex(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		buf_printf(b, "%02x", *p);
}

static char *unhex(const char *s)
{
	size_t n = strlen(s);
	if (n % 2)
		return NULL;
	char *out = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return out;
}

static void etag_of(const char *path, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t got;
	while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
		EVP_DigestUpdate(ctx, chunk, got);
	if (f)
		fclose(f);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < mdlen && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void list(const struct svc_request *r, const char *bucket, const char *bdir, struct svc_response *out)
{
	char *prefix = svc_query_get(r->query, "prefix");
	char *token = svc_query_get(r->query, "continuation-token");
	char *start_after = svc_query_get(r->query, "start-after");
	char *mk = svc_query_get(r->query, "max-keys");
	long max = page;
	if (mk) {
		char *end;
		long v = strtol(mk, &end, 10);
		if (*end || v < 0) {
			s3_error(out, 400, "InvalidArgument", "Provided max-keys not an integer or within integer range",
				 bucket, NULL);
			goto done;
		}
		if (v < max)
			max = v;
	}
	char *after = NULL;
	if (token && !(after = unhex(token))) {
		s3_error(out, 400, "InvalidArgument", "The continuation token provided is incorrect", bucket, NULL);
		goto done;
	}
	struct keys k = { 0 };
	walk(bdir, "", &k);
	qsort(k.v, k.n, sizeof *k.v, cmp_str);
	struct buf items = BUF_INIT;
	long count = 0;
	const char *last = NULL;
	bool truncated = false;
	for (size_t i = 0; i < k.n; i++) {
		const char *key = k.v[i];
		if (prefix && strncmp(key, prefix, strlen(prefix)) != 0)
			continue;
		if ((after && strcmp(key, after) <= 0) || (!after && start_after && strcmp(key, start_after) <= 0))
			continue;
		if (count == max) {
			truncated = true;
			break;
		}
		char *path = xasprintf("%s/%s", bdir, key), etag[33] = "";
		struct stat st;
		stat(path, &st);
		etag_of(path, etag);
		struct tm tm;
		gmtime_r(&st.st_mtime, &tm);
		char when[40];
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		buf_puts(&items, "<Contents><Key>");
		xml_text(&items, key);
		buf_printf(&items, "</Key><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag><Size>%lld</Size>"
				   "<StorageClass>STANDARD</StorageClass></Contents>",
			   when, etag, (long long)st.st_size);
		free(path);
		last = key;
		count++;
	}
	out->status = 200;
	out->content_type = "application/xml";
	buf_puts(&out->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>");
	xml_text(&out->body, bucket);
	buf_puts(&out->body, "</Name><Prefix>");
	xml_text(&out->body, prefix ? prefix : "");
	buf_printf(&out->body, "</Prefix><KeyCount>%ld</KeyCount><MaxKeys>%ld</MaxKeys><IsTruncated>%s</IsTruncated>",
		   count, max, truncated ? "true" : "false");
	if (token) {
		buf_puts(&out->body, "<ContinuationToken>");
		xml_text(&out->body, token);
		buf_puts(&out->body, "</ContinuationToken>");
	}
	if (truncated && last) {
		buf_puts(&out->body, "<NextContinuationToken>");
		hex(&out->body, last);
		buf_puts(&out->body, "</NextContinuationToken>");
	}
	buf_append(&out->body, items.data, items.len);
	buf_puts(&out->body, "</ListBucketResult>");
	buf_free(&items);
	for (size_t i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	free(after);
done:
	free(prefix);
	free(token);
	free(start_after);
	free(mk);
}

/* ---- objects */

static bool key_ok(const char *key)
{
	if (!*key || key[0] == '/' || strstr(key, "//"))
		return false;
	for (const char *p = key; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

static int mkparents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static void get_object(const char *bucket, const char *key, const char *bdir, struct svc_response *out)
{
	char *path = xasprintf("%s/%s", bdir, key);
	struct stat st;
	FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
	if (!f) {
		s3_error(out, 404, "NoSuchKey", "The specified key does not exist.", NULL, key);
		free(path);
		return;
	}
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&out->body, chunk, got);
	fclose(f);
	char etag[33] = "";
	etag_of(path, etag);
	out->status = 200;
	out->content_type = "application/octet-stream";
	buf_printf(&out->headers, "etag: \"%s\"\r\n", etag);
	free(path);
	(void)bucket;
}

static void put_object(const struct svc_request *r, const char *bucket, const char *key, const char *bdir,
		       struct svc_response *out)
{
	const char *claimed = svc_header(r, "x-amz-content-sha256");
	char actual[65];
	sigv4_sha256_hex(r->body, r->body_len, actual);
	if (claimed && strcmp(claimed, "UNSIGNED-PAYLOAD") != 0 && strcmp(claimed, actual) != 0) {
		s3_error(out, 400, "XAmzContentSHA256Mismatch",
			 "The provided 'x-amz-content-sha256' header does not match what was computed.", bucket, key);
		return;
	}
	char *path = xasprintf("%s/%s", bdir, key);
	FILE *f = NULL;
	if (mkparents(path) == 0)
		f = fopen(path, "wb");
	if (!f || (r->body_len && fwrite(r->body, 1, r->body_len, f) != r->body_len)) {
		if (f)
			fclose(f);
		s3_error(out, 500, "InternalError", "We encountered an internal error. Please try again.", bucket, key);
		free(path);
		return;
	}
	fclose(f);
	char etag[33] = "";
	etag_of(path, etag);
	out->status = 200;
	buf_printf(&out->headers, "etag: \"%s\"\r\n", etag);
	free(path);
}

bool svc_s3_dispatch(const struct svc_request *r, const struct svc_aws *aws, struct svc_response *out)
{
	if (!root || !is_s3(r))
		return false;
	seq++;
	const char *a = svc_header(r, "authorization");
	out->auth = !a ? "none" : strncmp(a, "AWS4-HMAC-SHA256 ", 17) == 0 ? "sigv4" : "other";
	buf_printf(&out->headers, "x-amz-request-id: FAKE%08lX\r\n", seq);
	struct sigv4_opts so = { false, false, false };
	const char *code;
	char msg[256];
	if (!svc_check_sigv4(r, aws, "s3", &so, &code, msg, sizeof msg)) {
		out->route = "s3.denied";
		s3_error(out, strcmp(code, "AuthorizationHeaderMalformed") == 0 ? 400 : 403, code, msg, NULL, NULL);
		return true;
	}
	out->auth_ok = true;
	if (fail_first > 0) {
		fail_first--;
		out->route = "s3.slow-down";
		s3_error(out, 503, "SlowDown", "Please reduce your request rate.", NULL, NULL);
		return true;
	}
	const char *p = r->path[0] == '/' ? r->path + 1 : r->path;
	size_t bl = strcspn(p, "/");
	char *bucket = svc_decode(p, bl);
	char *key = p[bl] ? svc_decode(p + bl + 1, strlen(p + bl + 1)) : xstrdup("");
	char *bdir = xasprintf("%s/%s", root, bucket);
	struct stat st;
	bool is_list = strcmp(r->method, "GET") == 0 && !*key;
	out->route = is_list ? "s3.list-objects-v2" : strcmp(r->method, "PUT") == 0 ? "s3.put-object" : "s3.get-object";
	if (!*bucket || strchr(bucket, '/') || bucket[0] == '.')
		s3_error(out, 400, "InvalidBucketName", "The specified bucket is not valid.", bucket, NULL);
	else if (stat(bdir, &st) != 0 || !S_ISDIR(st.st_mode))
		s3_error(out, 404, "NoSuchBucket", "The specified bucket does not exist", bucket, NULL);
	else if (denied && strcmp(denied, bucket) == 0)
		s3_error(out, 403, "AccessDenied", "Access Denied", NULL, NULL);
	else if (is_list) {
		char *lt = svc_query_get(r->query, "list-type");
		if (!lt || strcmp(lt, "2") != 0)
			s3_error(out, 400, "InvalidArgument", "This fake S3 answers ListObjectsV2 (list-type=2) only", bucket,
				 NULL);
		else
			list(r, bucket, bdir, out);
		free(lt);
	} else if (!key_ok(key))
		s3_error(out, 400, "InvalidArgument", "This fake S3 keeps keys as file paths: no empty, '.' or '..' parts",
			 bucket, key);
	else if (strcmp(r->method, "GET") == 0)
		get_object(bucket, key, bdir, out);
	else if (strcmp(r->method, "PUT") == 0)
		put_object(r, bucket, key, bdir, out);
	else
		s3_error(out, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
			 bucket, key);
	free(bucket);
	free(key);
	free(bdir);
	return true;
}
