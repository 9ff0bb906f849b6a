/* testhttp — what the tests of the HTTP clients share (header-only, static
 * inline like testutil.h; include it after cmocka.h).
 *
 * For every such test: the group setup that keeps proxies off loopback and
 * initialises curl, and loopback sockets. For the provider tests: a fake
 * HTTP/1.1 server on the loop that answers each request with the next canned
 * response and keeps the last request; a provider pointed at it with a guard
 * timer (struct fake_env); a chat that records what comes back (struct got);
 * reading a fixture; decoding a chat answer fed in pieces (struct outcome). */
#ifndef AIWB_TESTHTTP_H
#define AIWB_TESTHTTP_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "llm/provider.h"
#include "llm/stream.h"
#include "loop.h"

/* ---- group setup ---- */

/* The servers are on loopback: a proxy from the environment must not carry these requests. */
static inline int testhttp_group_setup(void **state)
{
	(void)state;
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
					       "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" };
	for (size_t i = 0; i < sizeof proxies / sizeof *proxies; i++)
		unsetenv(proxies[i]);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static inline int testhttp_group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

/* ---- loopback sockets ---- */

/* A TCP socket (SOCK_STREAM | flags) bound to 127.0.0.1 on a port the kernel
 * picks, put in *port; listening with backlog when backlog >= 0. */
static inline int testhttp_socket(int flags, int backlog, int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	assert_true(fd >= 0);
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof addr;
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

/* A loopback port that was free a moment ago and that nobody listens on. */
static inline int testhttp_closed_port(void)
{
	int port;
	close(testhttp_socket(0, -1, &port));
	return port;
}

/* ---- a fake HTTP/1.1 server on the loop ---- */

#define FAKE_MAX_CONNS 16
#define FAKE_MAX_RESPONSES 8

struct fake {
	struct loop *loop;
	int lfd, port;
	struct buf responses[FAKE_MAX_RESPONSES];
	int nresponses, served;   /* past the last response, it is sent again */
	int hold;                 /* keep connections open after answering */
	int requests;
	struct buf last;          /* the last request */
	int fds[FAKE_MAX_CONNS];
	struct buf in[FAKE_MAX_CONNS];
	int nconns;
};

static inline void fake_close(struct fake *f, int i)
{
	if (f->fds[i] < 0)
		return;
	loop_del_fd(f->loop, f->fds[i]);
	close(f->fds[i]);
	f->fds[i] = -1;
}

static inline void fake_answer(struct fake *f, int i)
{
	struct buf *in = &f->in[i];
	const char *end = strstr(buf_str(in), "\r\n\r\n");
	if (!end)
		return;
	size_t head = (size_t)(end - in->data) + 4, body = 0;
	for (const char *p = in->data; p < end; p++)
		if (strncasecmp(p, "\r\ncontent-length:", 17) == 0)
			body = strtoul(p + 17, NULL, 10);
	if (in->len < head + body)
		return;
	buf_reset(&f->last);
	buf_append(&f->last, in->data, head + body);
	buf_reset(in);
	f->requests++;
	int k = f->served < f->nresponses ? f->served : f->nresponses - 1;
	f->served++;
	const struct buf *r = &f->responses[k];
	size_t off = 0;
	while (off < r->len) {
		ssize_t n = send(f->fds[i], r->data + off, r->len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (!f->hold)
		fake_close(f, i);
}

static inline void fake_on_conn(struct loop *l, int fd, unsigned events, void *ud)
{
	struct fake *f = ud;
	(void)l;
	(void)events;
	int i = 0;
	while (i < f->nconns && f->fds[i] != fd)
		i++;
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(&f->in[i], chunk, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		fake_close(f, i);
		return;
	}
	fake_answer(f, i);
}

static inline void fake_on_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	struct fake *f = ud;
	(void)events;
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(f->nconns < FAKE_MAX_CONNS);
		f->fds[f->nconns++] = cfd;
		loop_add_fd(l, cfd, LOOP_READ, fake_on_conn, f);
	}
}

/* Queues the next response: status, header lines (each ending in CRLF), and
 * body, with its Content-Length when with_length. */
static inline void fake_respond(struct fake *f, int status, const char *headers, const char *body, int with_length)
{
	assert_true(f->nresponses < FAKE_MAX_RESPONSES);
	struct buf *r = &f->responses[f->nresponses++];
	buf_printf(r, "HTTP/1.1 %d X\r\n%s", status, headers ? headers : "");
	if (with_length)
		buf_printf(r, "Content-Length: %zu\r\n", strlen(body));
	buf_printf(r, "Connection: close\r\n\r\n%s", body);
}

static inline void fake_start(struct fake *f, struct loop *l)
{
	f->loop = l;
	f->lfd = testhttp_socket(SOCK_NONBLOCK | SOCK_CLOEXEC, 16, &f->port);
	loop_add_fd(l, f->lfd, LOOP_READ, fake_on_accept, f);
}

static inline void fake_stop(struct fake *f)
{
	for (int i = 0; i < f->nconns; i++) {
		fake_close(f, i);
		buf_free(&f->in[i]);
	}
	for (int i = 0; i < f->nresponses; i++)
		buf_free(&f->responses[i]);
	buf_free(&f->last);
	loop_del_fd(f->loop, f->lfd);
	close(f->lfd);
}

/* ---- a provider pointed at the fake server ---- */

struct fake_env {
	struct loop *loop;
	struct fake f;
	struct provider *p;
	int64_t guard;            /* stops the loop when a test runs too long */
};

static inline int64_t fake_env_on_guard(struct loop *l, int64_t id, void *ud)
{
	struct fake_env *e = ud;
	(void)id;
	e->guard = 0;
	loop_stop(l);
	return LOOP_TIMER_DONE;
}

/* A loop with a fake server, and p (taken) with base URL
 * http://127.0.0.1:PORT followed by path and, when key is not NULL, that key
 * in p->priv; the guard stops the loop after 10 s. For a test's setup. */
static inline struct fake_env *fake_env_new(struct provider *p, const char *path, const char *key)
{
	struct fake_env *e = xcalloc(1, sizeof *e);
	e->loop = loop_new();
	fake_start(&e->f, e->loop);
	e->p = p;
	e->p->base_url = xasprintf("http://127.0.0.1:%d%s", e->f.port, path);
	if (key)
		e->p->priv = xstrdup(key);
	e->guard = loop_add_timer(e->loop, 10000, fake_env_on_guard, e);
	return e;
}

/* The teardown of a test whose setup made a fake_env: no transfer may be left. */
static inline int fake_env_teardown(void **state)
{
	struct fake_env *e = *state;
	fake_stop(&e->f);
	if (e->guard)
		loop_del_timer(e->loop, e->guard);
	assert_int_equal(loop_transfers(e->loop), 0);
	loop_free(e->loop);
	provider_free(e->p);
	free(e);
	return 0;
}

/* ---- a chat that records what comes back ---- */

struct got {
	struct loop *loop;
	struct provider_call *call;   /* until done or cancelled */
	struct buf text;
	int text_calls, dones;
	int cancel_on_text;           /* cancel the call from its first on_text */
	struct llm_result res;
};

static inline void got_text(void *ud, const char *t, size_t n)
{
	struct got *g = ud;
	buf_append(&g->text, t, n);
	g->text_calls++;
	if (g->cancel_on_text) {
		provider_cancel(g->call);
		g->call = NULL;
	}
}

static inline void got_done(void *ud, const struct llm_result *r)
{
	struct got *g = ud;
	g->dones++;
	g->res = *r;
	g->call = NULL;
	loop_stop(g->loop);
}

static const struct llm_handlers got_handlers = { got_text, got_done, NULL };

/* Asks e's provider for a chat of model on one user message and runs the
 * loop until it stops (done, a cancel or the guard); g, zeroed or set up by
 * the caller, records it. */
static inline void fake_env_chat(struct fake_env *e, struct got *g, const char *model, const char *prompt, int stream)
{
	struct llm_message msg = { "user", prompt };
	struct llm_request rq;
	struct err err = ERR_INIT;
	memset(&rq, 0, sizeof rq);
	rq.model = model;
	rq.messages = &msg;
	rq.nmessages = 1;
	rq.stream = stream;
	g->loop = e->loop;
	g->call = e->p->ops->chat(e->p, e->loop, &rq, &got_handlers, g, &err);
	assert_non_null(g->call);
	loop_run(e->loop);
}

/* ---- fixtures, and chat answers decoded in pieces ---- */

/* The whole file; caller frees. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

/* What decoding one chat answer gave. */
struct outcome {
	struct buf text;
	int text_calls;
	struct llm_result res;
	uint64_t text_bytes;
	int64_t total_ns, load_ns, prompt_eval_ns, eval_ns;
};

static inline void outcome_collect(void *ud, const char *t, size_t n)
{
	struct outcome *o = ud;
	buf_append(&o->text, t, n);
	o->text_calls++;
}

static inline void outcome_free(struct outcome *o)
{
	buf_free(&o->text);
}

/* Decodes data through wire w (messages name provider), fed in two pieces
 * cut at split when split > 0, else in pieces of step bytes when step > 0,
 * else at once; then ends the stream with cut (NULL: a clean end). */
static inline void decode_wire(const struct llm_wire *w, const char *provider, const char *data, size_t len,
			       size_t split, size_t step, const char *cut, struct outcome *o)
{
	struct llm_stream s;
	memset(o, 0, sizeof *o);
	llm_stream_init(&s, w, provider, outcome_collect, o);
	if (split) {
		llm_stream_feed(&s, data, split);
		llm_stream_feed(&s, data + split, len - split);
	} else if (step) {
		for (size_t i = 0; i < len; i += step)
			llm_stream_feed(&s, data + i, len - i < step ? len - i : step);
	} else {
		llm_stream_feed(&s, data, len);
	}
	llm_stream_end(&s, cut);
	o->res = s.res;
	o->text_bytes = s.text_bytes;
	o->total_ns = s.total_ns;
	o->load_ns = s.load_ns;
	o->prompt_eval_ns = s.prompt_eval_ns;
	o->eval_ns = s.eval_ns;
	llm_stream_free(&s);
}

static inline void assert_same(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->text.len, b->text.len);
	assert_memory_equal(buf_str(&a->text), buf_str(&b->text), a->text.len);
	assert_int_equal(a->res.status, b->res.status);
	assert_string_equal(a->res.stop_reason, b->res.stop_reason);
	assert_int_equal(a->res.usage.input_tokens, b->res.usage.input_tokens);
	assert_int_equal(a->res.usage.output_tokens, b->res.usage.output_tokens);
	assert_int_equal(a->eval_ns, b->eval_ns);
	assert_string_equal(a->res.message, b->res.message);
}

/* data cut anywhere into two pieces, and fed one byte at a time, decodes as whole did. */
static inline void check_every_chunking(const struct llm_wire *w, const char *provider, const char *data, size_t len,
					const struct outcome *whole)
{
	struct outcome o;
	for (size_t k = 1; k < len; k++) {
		decode_wire(w, provider, data, len, k, 0, NULL, &o);
		assert_same(whole, &o);
		outcome_free(&o);
	}
	decode_wire(w, provider, data, len, 0, 1, NULL, &o);
	assert_same(whole, &o);
	outcome_free(&o);
}

#endif
