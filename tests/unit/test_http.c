#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "loop.h"
#include "net/http.h"
#include "net/retry.h"

/* ---- an HTTP/1.1 server living in the same loop ---- */

#define MAX_CONNS 32
#define STREAM_LINES 100

struct server;

struct conn {
	struct server *srv;
	int fd;
	struct buf in;
	struct buf out;
	size_t out_off;
	uint64_t fill_left; /* filler bytes to send after out */
	size_t chunk;       /* bytes per send; 0: as many as fit */
	int gap_ms;         /* pause after each send */
	int close_after;
	int paused;
	int64_t timer;
};

struct server {
	struct loop *loop;
	int listen_fd;
	int port;
	int requests;
	int open;
	int max_open;
	int closed_by_peer;
	int hits_429;
	uint64_t bytes_sent;
	struct buf last_request;
	struct conn *conns[MAX_CONNS];
	int nconns;
};

static const char filler[65536] = {0};

static void conn_watch(struct conn *c);

static void conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	if (c->timer)
		loop_del_timer(c->srv->loop, c->timer);
	c->timer = 0;
	loop_del_fd(c->srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->srv->open--;
}

static int has_output(const struct conn *c)
{
	return c->out_off < c->out.len || c->fill_left;
}

static int64_t resume_sending(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct conn *c = ud;
	c->timer = 0;
	c->paused = 0;
	conn_watch(c);
	return LOOP_TIMER_DONE;
}

static void conn_send(struct conn *c)
{
	while (has_output(c)) {
		const char *p;
		size_t n;
		if (c->out_off < c->out.len) {
			p = c->out.data + c->out_off;
			n = c->out.len - c->out_off;
		} else {
			p = filler;
			n = c->fill_left < sizeof(filler) ? (size_t)c->fill_left : sizeof(filler);
		}
		if (c->chunk && n > c->chunk)
			n = c->chunk;
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				c->srv->closed_by_peer++;
				conn_close(c);
			}
			return;
		}
		if (c->out_off < c->out.len)
			c->out_off += (size_t)w;
		else
			c->fill_left -= (uint64_t)w;
		c->srv->bytes_sent += (uint64_t)w;
		if (c->gap_ms && has_output(c)) {
			c->paused = 1;
			c->timer = loop_add_timer(c->srv->loop, c->gap_ms, resume_sending, c);
			conn_watch(c);
			return;
		}
	}
	if (c->close_after)
		conn_close(c);
	else
		conn_watch(c);
}

static void stream_body(struct buf *b, int id)
{
	for (int k = 0; k < STREAM_LINES; k++)
		buf_printf(b, "id %d line %d\n", id, k);
}

static void respond(struct conn *c, const char *path)
{
	struct server *srv = c->srv;
	struct buf *o = &c->out;
	buf_reset(o);
	c->out_off = 0;
	int id;
	if (sscanf(path, "/stream/%d", &id) == 1) {
		struct buf body = BUF_INIT;
		stream_body(&body, id);
		buf_printf(o, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: req_%d\r\n"
			      "Content-Length: %zu\r\n\r\n",
			   id, body.len);
		buf_append(o, body.data, body.len);
		buf_free(&body);
		c->chunk = 16;
		c->gap_ms = 1;
	} else if (strcmp(path, "/echo") == 0) {
		buf_printf(o, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", srv->last_request.len);
		buf_append(o, srv->last_request.data, srv->last_request.len);
	} else if (strcmp(path, "/big") == 0) {
		buf_puts(o, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		c->fill_left = (uint64_t)64 << 20;
		c->close_after = 1;
	} else if (strcmp(path, "/big-length") == 0) {
		buf_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
		c->fill_left = (uint64_t)1 << 30;
	} else if (strcmp(path, "/silent") == 0) {
		/* accepts, reads, never answers */
	} else if (strcmp(path, "/stall") == 0) {
		buf_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
	} else if (strcmp(path, "/cut") == 0) {
		buf_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		c->close_after = 1;
	} else if (strcmp(path, "/redirect") == 0) {
		buf_printf(o, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/echo\r\nContent-Length: 0\r\n\r\n",
			   srv->port);
	} else if (strcmp(path, "/429") == 0) {
		if (srv->hits_429++ == 0)
			buf_puts(o, "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\nContent-Length: 2\r\n\r\n{}");
		else
			buf_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	} else if (strcmp(path, "/500") == 0) {
		buf_puts(o, "HTTP/1.1 500 Internal Server Error\r\nrequest-id: req_500\r\nContent-Length: 4\r\n\r\noops");
	} else if (strcmp(path, "/drip") == 0) {
		buf_puts(o, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		c->fill_left = (uint64_t)10 << 20;
		c->chunk = 64;
		c->gap_ms = 20;
		c->close_after = 1;
	} else if (strcmp(path, "/early-hints") == 0) {
		buf_puts(o, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
			    "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok");
	} else {
		buf_puts(o, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	}
	conn_send(c);
}

/* Returns 1 after handling one complete request. */
static int handle_request(struct conn *c)
{
	const char *data = buf_str(&c->in);
	const char *end = strstr(data, "\r\n\r\n");
	if (!end)
		return 0;
	size_t head_len = (size_t)(end - data) + 4;
	size_t body_len = 0;
	for (const char *p = data; p < end; p++) {
		if (strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
			body_len = strtoul(p + 17, NULL, 10);
			break;
		}
	}
	if (c->in.len < head_len + body_len)
		return 0;
	char path[256] = "";
	sscanf(data, "%*s %255s", path);
	buf_reset(&c->srv->last_request);
	buf_append(&c->srv->last_request, data, head_len + body_len);
	buf_consume(&c->in, head_len + body_len);
	c->srv->requests++;
	respond(c, path);
	return 1;
}

static void on_conn(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	struct conn *c = ud;
	if (events & LOOP_READ) {
		char chunk[4096];
		ssize_t n;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			buf_append(&c->in, chunk, (size_t)n);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->srv->closed_by_peer++;
			conn_close(c);
			return;
		}
		if (c->in.len && c->in.data[0] == 0x16 && !has_output(c)) {
			/* A TLS ClientHello: answer like a plain http server does. */
			buf_reset(&c->in);
			c->close_after = 1;
			buf_puts(&c->out, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
			conn_send(c);
			return;
		}
		if (!has_output(c))
			handle_request(c);
	}
	if (c->fd >= 0 && (events & LOOP_WRITE) && !c->paused)
		conn_send(c);
}

static void conn_watch(struct conn *c)
{
	if (c->fd < 0)
		return;
	unsigned events = LOOP_READ;
	if (has_output(c) && !c->paused)
		events |= LOOP_WRITE;
	loop_add_fd(c->srv->loop, c->fd, events, on_conn, c);
}

static void on_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)events;
	struct server *srv = ud;
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		assert_true(srv->nconns < MAX_CONNS);
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = cfd;
		srv->conns[srv->nconns++] = c;
		if (++srv->open > srv->max_open)
			srv->max_open = srv->open;
		conn_watch(c);
	}
}

static void server_start(struct loop *l, struct server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->loop = l;
	srv->listen_fd = testhttp_socket(SOCK_NONBLOCK | SOCK_CLOEXEC, 64, &srv->port);
	assert_int_equal(loop_add_fd(l, srv->listen_fd, LOOP_READ, on_accept, srv), 0);
}

static void server_stop(struct server *srv)
{
	for (int i = 0; i < srv->nconns; i++) {
		conn_close(srv->conns[i]);
		buf_free(&srv->conns[i]->in);
		buf_free(&srv->conns[i]->out);
		free(srv->conns[i]);
	}
	loop_del_fd(srv->loop, srv->listen_fd);
	close(srv->listen_fd);
	buf_free(&srv->last_request);
}

/* ---- a client that records everything ---- */

struct record {
	int heads;
	int head_status;
	char head_final[16];
	int head_saw_link;
	int bodies;
	struct buf body;
	int dones;
	enum http_error error;
	int status;
	char message[512];
	char request_id[64];
	char x_final[16];
	uint64_t bytes;
	int64_t ttfb_us;
	int64_t total_us;
	int64_t done_at_ms;
	int stop_at_head;
	int stop_at_body;
	int cancel_in_body;
	int collect; /* no on_body: the body comes with on_done */
	struct http_call *call;
	struct record *start_in_body; /* starts this record's request from on_body */
	char url_in_body[128];
	struct http_headers headers_seen;
};

static int on_head(int status, const struct http_headers *h, void *ud)
{
	struct record *r = ud;
	r->heads++;
	r->head_status = status;
	const char *final = http_headers_get(h, "x-final");
	snprintf(r->head_final, sizeof(r->head_final), "%s", final ? final : "");
	r->head_saw_link = http_headers_get(h, "link") != NULL;
	return r->stop_at_head ? HTTP_STOP : HTTP_CONTINUE;
}

static void on_done(struct loop *l, struct http_call *c, const struct http_result *res, void *ud);

static struct http_call *start(struct loop *l, const char *url, struct record *r, const struct http_request *opts);

static int on_body(const char *data, size_t len, void *ud)
{
	struct record *r = ud;
	r->bodies++;
	buf_append(&r->body, data, len);
	if (r->cancel_in_body)
		http_cancel(r->call);
	if (r->start_in_body) {
		struct record *next = r->start_in_body;
		r->start_in_body = NULL;
		next->call = start(NULL, r->url_in_body, next, NULL);
	}
	return r->stop_at_body ? HTTP_STOP : HTTP_CONTINUE;
}

static struct loop *current_loop;

static void on_done(struct loop *l, struct http_call *c, const struct http_result *res, void *ud)
{
	(void)l;
	struct record *r = ud;
	assert_ptr_equal(c, r->call);
	r->dones++;
	r->error = res->error;
	r->status = res->status;
	snprintf(r->message, sizeof(r->message), "%s", res->message);
	snprintf(r->request_id, sizeof(r->request_id), "%s", res->request_id ? res->request_id : "");
	const char *final = http_headers_get(res->headers, "X-FINAL");
	snprintf(r->x_final, sizeof(r->x_final), "%s", final ? final : "");
	for (size_t i = 0; i < res->headers->n; i++)
		http_headers_add(&r->headers_seen, res->headers->v[i].name, res->headers->v[i].value);
	r->bytes = res->bytes_received;
	r->ttfb_us = res->ttfb_us;
	r->total_us = res->total_us;
	r->done_at_ms = clock_ms();
	if (res->body->len)
		buf_append(&r->body, res->body->data, res->body->len);
	r->call = NULL;
}

static struct http_call *start(struct loop *l, const char *url, struct record *r, const struct http_request *opts)
{
	struct http_request req = {0};
	if (opts)
		req = *opts;
	req.url = url;
	req.on_head = on_head;
	req.on_body = r->collect ? NULL : on_body;
	req.on_done = on_done;
	req.ud = r;
	r->call = http_start(l ? l : current_loop, &req);
	assert_non_null(r->call);
	return r->call;
}

static void record_free(struct record *r)
{
	buf_free(&r->body);
	http_headers_free(&r->headers_seen);
}

static void run_until(struct loop *l, const int *flag, int64_t limit_ms)
{
	int64_t begin = clock_ms();
	while (!*flag && clock_ms() - begin < limit_ms)
		loop_run_once(l, 50);
}

static void run_for(struct loop *l, int64_t ms)
{
	int64_t begin = clock_ms();
	while (clock_ms() - begin < ms)
		loop_run_once(l, 10);
}

static char *url_for(const struct server *srv, const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", srv->port, path);
}

struct env {
	struct loop *loop;
	struct server srv;
};

static int env_setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	e->loop = loop_new();
	current_loop = e->loop;
	server_start(e->loop, &e->srv);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	server_stop(&e->srv);
	assert_int_equal(loop_transfers(e->loop), 0);
	loop_free(e->loop);
	current_loop = NULL;
	free(e);
	return 0;
}

/* ---- streaming ---- */

static void test_stream_arrives_intact_in_small_pieces(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/stream/7");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);

	assert_int_equal(r.dones, 1);
	assert_int_equal(r.error, HTTP_OK);
	assert_string_equal(r.message, "");
	assert_int_equal(r.status, 200);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.head_status, 200);
	struct buf expect = BUF_INIT;
	stream_body(&expect, 7);
	assert_int_equal(r.body.len, expect.len);
	assert_memory_equal(r.body.data, expect.data, expect.len);
	assert_int_equal(r.bytes, expect.len);
	/* The server sent ~130 separate 16-byte writes; they arrive as they come. */
	assert_true(r.bodies >= 10);
	assert_string_equal(r.request_id, "req_7");
	assert_string_equal(http_headers_get(&r.headers_seen, "x-REQUEST-id"), "req_7");
	assert_string_equal(http_headers_get(&r.headers_seen, "content-type"), "text/event-stream");
	assert_true(r.ttfb_us > 0);
	assert_true(r.total_us >= r.ttfb_us);
	buf_free(&expect);
	record_free(&r);
}

static void run_concurrent(struct env *e, int n)
{
	struct record r[8];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < n; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/stream/%d", 100 + i);
		char *url = url_for(&e->srv, path);
		start(e->loop, url, &r[i], NULL);
		free(url);
	}
	assert_int_equal(loop_transfers(e->loop), n);
	int64_t begin = clock_ms();
	int done = 0;
	while (done < n && clock_ms() - begin < 30000) {
		loop_run_once(e->loop, 50);
		done = 0;
		for (int i = 0; i < n; i++)
			done += r[i].dones;
	}
	assert_int_equal(done, n);
	/* All n were open at the same time: concurrent, not queued. */
	assert_int_equal(e->srv.max_open, n);
	assert_int_equal(e->srv.requests, n);
	for (int i = 0; i < n; i++) {
		struct buf expect = BUF_INIT;
		stream_body(&expect, 100 + i);
		assert_int_equal(r[i].error, HTTP_OK);
		assert_int_equal(r[i].status, 200);
		assert_int_equal(r[i].body.len, expect.len);
		assert_memory_equal(r[i].body.data, expect.data, expect.len);
		char id[32];
		snprintf(id, sizeof(id), "req_%d", 100 + i);
		assert_string_equal(r[i].request_id, id);
		buf_free(&expect);
		record_free(&r[i]);
	}
}

static void test_two_concurrent_transfers(void **state)
{
	run_concurrent(*state, 2);
}

static void test_eight_concurrent_transfers(void **state)
{
	run_concurrent(*state, 8);
}

static void test_post_sends_copies_and_collects_body(void **state)
{
	struct env *e = *state;
	struct record r = {.collect = 1};
	struct http_headers h = HTTP_HEADERS_INIT;
	char *value = xstrdup("v1");
	http_headers_add(&h, "X-Custom", value);
	http_headers_add(&h, "X-Empty", "");
	http_headers_add(&h, "Content-Type", "application/json");
	char *body = xstrdup("{\"a\":\"b\"}\n");
	char *url = url_for(&e->srv, "/echo");
	struct http_request opts = {.method = "POST", .headers = &h, .body = body, .body_len = strlen(body)};
	start(e->loop, url, &r, &opts);
	/* Everything the caller passed may go away at once. */
	memset(body, 'X', strlen(body));
	free(body);
	free(value);
	http_headers_free(&h);
	free(url);
	run_until(e->loop, &r.dones, 20000);

	assert_int_equal(r.error, HTTP_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.bodies, 0);
	const char *echo = buf_str(&r.body);
	assert_true(strncmp(echo, "POST /echo HTTP/1.1\r\n", 21) == 0);
	assert_non_null(strstr(echo, "\r\nX-Custom: v1\r\n"));
	assert_non_null(strstr(echo, "\r\nX-Empty:"));
	assert_non_null(strstr(echo, "\r\nContent-Length: 10\r\n"));
	assert_non_null(strstr(echo, "\r\nUser-Agent: aiwb/"));
	assert_null(strstr(echo, "Expect:"));
	assert_int_equal(strstr(echo, "Content-Type") - echo, strstr(echo, "Content-Type: application/json") - echo);
	assert_non_null(strstr(echo, "\r\n\r\n{\"a\":\"b\"}\n"));
	record_free(&r);
}

static void test_methods_and_default_content_type(void **state)
{
	struct env *e = *state;
	struct {
		const char *method;
		const char *body;
		const char *line;
	} cases[] = {
		{NULL, "{}", "POST /echo HTTP/1.1\r\n"},
		{"DELETE", NULL, "DELETE /echo HTTP/1.1\r\n"},
		{"PUT", "abc", "PUT /echo HTTP/1.1\r\n"},
		{NULL, NULL, "GET /echo HTTP/1.1\r\n"},
	};
	char *url = url_for(&e->srv, "/echo");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct record r = {.collect = 1};
		struct http_request opts = {.method = cases[i].method, .body = cases[i].body,
					    .body_len = cases[i].body ? strlen(cases[i].body) : 0};
		start(e->loop, url, &r, &opts);
		run_until(e->loop, &r.dones, 20000);
		assert_int_equal(r.error, HTTP_OK);
		const char *echo = buf_str(&r.body);
		assert_true(strncmp(echo, cases[i].line, strlen(cases[i].line)) == 0);
		/* curl would call a bare POST a form; nobody asked for that. */
		assert_null(strstr(echo, "Content-Type"));
		if (cases[i].body) {
			size_t n = strlen(cases[i].body);
			assert_string_equal(echo + strlen(echo) - n, cases[i].body);
		}
		record_free(&r);
	}
	free(url);
}

static void test_informational_response_is_skipped(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/early-hints");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	assert_int_equal(r.error, HTTP_OK);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.head_status, 200);
	assert_string_equal(r.head_final, "yes");
	assert_false(r.head_saw_link);
	assert_string_equal(r.x_final, "yes");
	assert_string_equal(buf_str(&r.body), "ok");
	record_free(&r);
}

static void test_error_status_is_not_a_transfer_error(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/500");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	assert_int_equal(r.error, HTTP_OK);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.message, "127.0.0.1 answered HTTP 500");
	assert_string_equal(r.request_id, "req_500");
	assert_string_equal(buf_str(&r.body), "oops");
	record_free(&r);
}

/* A proxy would see plain http to loopback, keys included: with every proxy
 * variable pointing at a closed port, loopback calls still go direct. */
static void test_loopback_never_goes_through_a_proxy(void **state)
{
	struct env *e = *state;
	static const char *const vars[] = { "http_proxy", "ALL_PROXY", "all_proxy", "https_proxy", "HTTPS_PROXY" };
	char *proxy = xasprintf("http://127.0.0.1:%d", testhttp_closed_port());
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		setenv(vars[i], proxy, 1);
	setenv("NO_PROXY", "example.com", 1);
	setenv("no_proxy", "example.com", 1);
	static const char *const hosts[] = { "127.0.0.1", "localhost" };
	for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
		struct record r = {0};
		char *url = xasprintf("http://%s:%d/500", hosts[i], e->srv.port);
		start(e->loop, url, &r, NULL);
		free(url);
		run_until(e->loop, &r.dones, 20000);
		assert_int_equal(r.error, HTTP_OK);
		assert_int_equal(r.status, 500);
		assert_string_equal(buf_str(&r.body), "oops");
		record_free(&r);
	}
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	free(proxy);
}

/* ---- limits ---- */

static void test_size_cap_stops_the_stream_early(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/big");
	struct http_request opts = {.max_response_bytes = 256 * 1024};
	start(e->loop, url, &r, &opts);
	free(url);
	run_until(e->loop, &r.dones, 30000);
	uint64_t sent_when_done = e->srv.bytes_sent;

	assert_int_equal(r.dones, 1);
	assert_int_equal(r.error, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(r.message, "larger than 256 KiB"));
	assert_true(r.bytes <= 256 * 1024);
	assert_int_equal(r.body.len, r.bytes);
	/* Stopped after the cap, not after the 64 MiB the server had to send. */
	assert_true(sent_when_done < ((uint64_t)16 << 20));
	run_until(e->loop, &e->srv.closed_by_peer, 5000);
	assert_true(e->srv.bytes_sent < ((uint64_t)32 << 20));
	record_free(&r);
}

static void test_content_length_over_cap_stops_before_the_body(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/big-length");
	struct http_request opts = {.max_response_bytes = (size_t)1 << 20};
	start(e->loop, url, &r, &opts);
	free(url);
	run_until(e->loop, &r.dones, 30000);
	assert_int_equal(r.error, HTTP_ERR_TOO_LARGE);
	assert_non_null(strstr(r.message, "larger than 1 MiB"));
	assert_int_equal(r.bytes, 0);
	assert_int_equal(r.heads, 0);
	record_free(&r);
}

static void test_idle_timeout_when_nothing_arrives(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/silent");
	struct http_request opts = {.idle_timeout_ms = 300};
	int64_t begin = clock_ms();
	start(e->loop, url, &r, &opts);
	free(url);
	run_until(e->loop, &r.dones, 30000);

	assert_int_equal(r.dones, 1);
	assert_int_equal(r.error, HTTP_ERR_IDLE_TIMEOUT);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.message, "no response from 127.0.0.1 for 300 ms (idle timeout)");
	assert_true(r.done_at_ms - begin >= 290);
	assert_true(r.done_at_ms - begin < 20000);
	assert_int_equal(e->srv.requests, 1);
	assert_int_equal(loop_transfers(e->loop), 0);
	record_free(&r);
}

static void test_idle_timeout_after_headers(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/stall");
	struct http_request opts = {.idle_timeout_ms = 300};
	int64_t begin = clock_ms();
	start(e->loop, url, &r, &opts);
	free(url);
	run_until(e->loop, &r.dones, 30000);

	assert_int_equal(r.error, HTTP_ERR_IDLE_TIMEOUT);
	assert_int_equal(r.heads, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.bytes, 10);
	assert_string_equal(buf_str(&r.body), "0123456789");
	assert_string_equal(r.message, "127.0.0.1 sent nothing for 300 ms (idle timeout)");
	assert_true(r.done_at_ms - begin >= 290);
	record_free(&r);
}

static void test_slow_but_steady_stream_is_not_idle(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/drip");
	/* 64 bytes every 20 ms for four idle periods: never a 300 ms gap. */
	struct http_request opts = {.idle_timeout_ms = 300};
	start(e->loop, url, &r, &opts);
	free(url);
	run_for(e->loop, 1200);
	assert_int_equal(r.dones, 0);
	assert_true(r.bodies >= 10);
	http_cancel(r.call);
	record_free(&r);
}

static void test_connect_refused(void **state)
{
	struct env *e = *state;
	int port = testhttp_closed_port();

	struct record r = {0};
	char *url = xasprintf("http://127.0.0.1:%d/", port);
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	assert_int_equal(r.dones, 1);
	assert_int_equal(r.error, HTTP_ERR_CONNECT);
	assert_int_equal(r.status, 0);
	char expect[64];
	snprintf(expect, sizeof(expect), "cannot connect to 127.0.0.1 port %d: ", port);
	assert_true(strncmp(r.message, expect, strlen(expect)) == 0);
	assert_non_null(strcasestr(r.message, "refused"));
	record_free(&r);
}

static void test_connect_timeout(void **state)
{
	struct env *e = *state;
	/* A listener that never accepts, its queue full: the kernel drops further SYNs. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 0), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
	int fillers[3];
	for (int i = 0; i < 3; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(fillers[i], (struct sockaddr *)&addr, sizeof(addr));
	}
	run_for(e->loop, 100);

	struct record r = {0};
	char *url = xasprintf("http://127.0.0.1:%d/", ntohs(addr.sin_port));
	struct http_request opts = {.connect_timeout_ms = 300, .idle_timeout_ms = 60000};
	int64_t begin = clock_ms();
	start(e->loop, url, &r, &opts);
	free(url);
	run_until(e->loop, &r.dones, 30000);
	assert_int_equal(r.error, HTTP_ERR_CONNECT_TIMEOUT);
	assert_string_equal(r.message, "timed out connecting to 127.0.0.1 after 300 ms");
	assert_true(r.done_at_ms - begin >= 250);
	for (int i = 0; i < 3; i++)
		close(fillers[i]);
	close(fd);
	record_free(&r);
}

static void test_tls_failure(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = xasprintf("https://127.0.0.1:%d/", e->srv.port);
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.message, "TLS with 127.0.0.1 failed: ", 27) == 0);
	record_free(&r);
}

/* ---- certificate problems, against openssl s_server with a throwaway CA ---- */

struct tls_server {
	pid_t pid;
	int port;
};

/* Makes DIR/ca.pem, DIR/other.pem (a CA that signed nothing) and three server
 * certificates of ca.pem: good (IP:127.0.0.1), expired, and for another name.
 * 0, or -1 when the openssl command is missing or fails. */
static int make_certificates(const char *dir)
{
	char *cmd = xasprintf(
		"cd '%s' && k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
		"openssl req -x509 $k -days 2 -subj /CN=ca -keyout ca.key -out ca.pem "
		"-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
		"openssl req -x509 $k -days 2 -subj /CN=other -keyout other.key -out other.pem && "
		"printf 'subjectAltName=IP:127.0.0.1\\n' >ip.ext && printf 'subjectAltName=DNS:example.invalid\\n' >name.ext && "
		"for c in good:2:ip expired:-1:ip name:2:name; do n=${c%%%%:*}; r=${c#*:}; "
		"openssl req -new $k -subj /CN=$n -keyout $n.key -out $n.csr && "
		"openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days ${r%%:*} "
		"-extfile ${r#*:}.ext -out $n.pem || exit 1; done",
		dir);
	char *quiet = xasprintf("(%s) >/dev/null 2>&1", cmd);
	int rc = system(quiet);
	free(cmd);
	free(quiet);
	return rc == 0 ? 0 : -1;
}

static void tls_server_start(struct tls_server *t, const char *dir, const char *name)
{
	int fd = testhttp_socket(0, -1, &t->port);
	close(fd);
	char *accept = xasprintf("127.0.0.1:%d", t->port);
	char *cert = xasprintf("%s/%s.pem", dir, name);
	char *key = xasprintf("%s/%s.key", dir, name);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept, "-cert", cert, "-key", key, "-www",
		       "-quiet", (char *)NULL);
		_exit(127);
	}
	free(accept);
	free(cert);
	free(key);
	int64_t begin = clock_ms();
	for (;;) { /* until it listens */
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int up = connect(c, (struct sockaddr *)&a, sizeof a) == 0;
		close(c);
		if (up)
			break;
		assert_true(clock_ms() - begin < 10000);
		usleep(20000);
	}
}

static void tls_server_stop(struct tls_server *t)
{
	kill(t->pid, SIGTERM);
	waitpid(t->pid, NULL, 0);
}

static void tls_get(struct env *e, const struct tls_server *t, const char *host, const char *ca, struct record *r)
{
	memset(r, 0, sizeof *r);
	r->collect = 1;
	char *url = xasprintf("https://%s:%d/", host, t->port);
	struct http_request opts = {.ca_bundle = ca};
	start(e->loop, url, r, &opts);
	free(url);
	run_until(e->loop, &r->dones, 20000);
	assert_int_equal(r->dones, 1);
}

static void test_certificate_problems_say_what_to_do(void **state)
{
	struct env *e = *state;
	char dir[] = "/tmp/aiwb-test-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	if (make_certificates(dir) < 0) {
		char *rm = xasprintf("rm -rf '%s'", dir);
		assert_int_equal(system(rm), 0);
		free(rm);
		skip(); /* no openssl command */
	}
	char *ca = xasprintf("%s/ca.pem", dir), *other = xasprintf("%s/other.pem", dir);
	char *missing = xasprintf("%s/missing.pem", dir);
	struct record r;
	char want[512];

	struct tls_server t;
	tls_server_start(&t, dir, "good");
	tls_get(e, &t, "127.0.0.1", ca, &r);
	assert_int_equal(r.error, HTTP_OK);
	assert_int_equal(r.status, 200);
	record_free(&r);
	tls_get(e, &t, "127.0.0.1", NULL, &r);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	assert_string_equal(r.message, "the TLS certificate of 127.0.0.1 is not signed by a CA this system trusts; "
				       "if the server uses its own CA, set network.ca_bundle to that CA's PEM file");
	record_free(&r);
	tls_get(e, &t, "127.0.0.1", other, &r);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	snprintf(want, sizeof want,
		 "the TLS certificate of 127.0.0.1 is not signed by a CA in %s; "
		 "set network.ca_bundle to the PEM file of the CA that signed it",
		 other);
	assert_string_equal(r.message, want);
	record_free(&r);
	tls_get(e, &t, "127.0.0.1", missing, &r);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	snprintf(want, sizeof want, "the CA bundle %s (network.ca_bundle) cannot be read as PEM certificates: ", missing);
	assert_true(strncmp(r.message, want, strlen(want)) == 0);
	assert_non_null(strstr(r.message, "; point network.ca_bundle at a readable PEM file"));
	record_free(&r);
	tls_server_stop(&t);

	tls_server_start(&t, dir, "expired");
	tls_get(e, &t, "127.0.0.1", ca, &r);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	assert_string_equal(r.message, "the TLS certificate of 127.0.0.1 has expired; the server needs a new one, "
				       "or this machine's clock is wrong");
	record_free(&r);
	tls_server_stop(&t);

	tls_server_start(&t, dir, "name");
	tls_get(e, &t, "127.0.0.1", ca, &r);
	assert_int_equal(r.error, HTTP_ERR_TLS);
	assert_string_equal(r.message,
			    "the TLS certificate of 127.0.0.1 does not list that name; use a name it lists in the URL");
	record_free(&r);
	tls_server_stop(&t);

	char *rm = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(ca);
	free(other);
	free(missing);
}

static void test_connection_cut_mid_body(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/cut");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	assert_int_equal(r.error, HTTP_ERR_CUT);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "0123456789");
	assert_string_equal(r.message, "the connection to 127.0.0.1 was cut after 10 bytes of the response");
	record_free(&r);
}

/* ---- policy ---- */

static void test_redirect_is_not_followed(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/redirect");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.dones, 20000);
	run_for(e->loop, 100);

	assert_int_equal(r.error, HTTP_ERR_REDIRECT);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.heads, 0);
	assert_non_null(strstr(r.message, "302"));
	char location[64];
	snprintf(location, sizeof(location), "http://127.0.0.1:%d/echo", e->srv.port);
	assert_non_null(strstr(r.message, location));
	assert_int_equal(e->srv.requests, 1);
	record_free(&r);
}

static void test_plain_http_to_remote_host_refused_before_connecting(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	start(e->loop, "http://example.invalid/v1/models", &r, NULL);
	assert_int_equal(loop_transfers(e->loop), 0);
	assert_int_equal(r.dones, 0);
	run_until(e->loop, &r.dones, 5000);
	assert_int_equal(r.dones, 1);
	assert_int_equal(r.error, HTTP_ERR_POLICY);
	assert_non_null(strstr(r.message, "refusing plain http to example.invalid"));
	assert_non_null(strstr(r.message, "allow_http"));
	assert_int_equal(r.ttfb_us, 0);

	struct err err = ERR_INIT;
	assert_int_equal(http_check_url("http://example.invalid/", 1, &err), 0);
	assert_int_equal(http_check_url("https://example.invalid/", 0, &err), 0);
	record_free(&r);
}

static void test_other_schemes_refused(void **state)
{
	struct env *e = *state;
	static const char *const refused[] = {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/",
					      "api.openai.com/v1", "", "https://bad host/"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct record r = {0};
		start(e->loop, refused[i], &r, NULL);
		assert_int_equal(loop_transfers(e->loop), 0);
		run_until(e->loop, &r.dones, 5000);
		assert_int_equal(r.dones, 1);
		assert_int_equal(r.error, HTTP_ERR_POLICY);
		assert_true(r.message[0] != '\0');
		record_free(&r);
	}
	struct record r = {0};
	start(e->loop, "file:///etc/passwd", &r, NULL);
	run_until(e->loop, &r.dones, 5000);
	assert_non_null(strstr(r.message, "file:"));
	assert_non_null(strstr(r.message, "https"));
	record_free(&r);
}

static void test_loopback_rules(void **state)
{
	(void)state;
	static const char *const allowed[] = {
		"http://127.0.0.1:1/", "http://127.9.9.9/x", "http://127.1/", "http://[::1]:8080/",
		"http://localhost:11434/api", "HTTP://LOCALHOST/", "http://[::ffff:127.0.0.1]/",
		"https://example.com/", "https://10.0.0.1/",
	};
	static const char *const refused[] = {
		"http://127.0.0.1.evil.com/", "http://localhost.evil.com/", "http://[::2]/", "http://10.0.0.1/",
		"http://[::ffff:10.0.0.1]/", "http://128.0.0.1/", "http://example.com/", "ws://127.0.0.1/",
	};
	struct err e = ERR_INIT;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		assert_int_equal(http_check_url(allowed[i], 0, &e), 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err_clear(&e);
		assert_int_equal(http_check_url(refused[i], 0, &e), -1);
		assert_true(e.set);
	}
}

static void test_header_injection_refused(void **state)
{
	struct env *e = *state;
	struct {
		const char *name, *value;
	} bad[] = {
		{"X-Evil", "a\r\nX-Injected: 1"}, {"X-Evil", "line\nbreak"}, {"X-Evil", "cr\ronly"},
		{"X-Evil", "esc\x1b[2J"},
		{"X-Bad:Name", "v"}, {"X Bad", "v"}, {"X-Bad\r\n", "v"}, {"", "v"},
	};
	char *url = url_for(&e->srv, "/echo");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_headers h = HTTP_HEADERS_INIT;
		http_headers_add(&h, "Authorization", "Bearer sk-secret");
		http_headers_add(&h, bad[i].name, bad[i].value);
		struct record r = {0};
		struct http_request opts = {.headers = &h};
		start(e->loop, url, &r, &opts);
		http_headers_free(&h);
		assert_int_equal(loop_transfers(e->loop), 0);
		run_until(e->loop, &r.dones, 5000);
		assert_int_equal(r.error, HTTP_ERR_POLICY);
		assert_null(strstr(r.message, "sk-secret"));
		assert_null(strstr(r.message, "Injected"));
		record_free(&r);
	}
	free(url);
	run_for(e->loop, 50);
	assert_int_equal(e->srv.requests, 0);
}

/* ---- cancel and stop ---- */

static void test_cancel_mid_stream(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	char *url = url_for(&e->srv, "/drip");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.bodies, 20000);
	assert_true(r.bodies >= 1);

	int64_t begin = clock_ms();
	http_cancel(r.call);
	assert_true(clock_ms() - begin < 1000);
	assert_int_equal(loop_transfers(e->loop), 0);
	int bodies = r.bodies;
	run_until(e->loop, &e->srv.closed_by_peer, 5000);
	run_for(e->loop, 200);
	assert_int_equal(r.bodies, bodies);
	assert_int_equal(r.dones, 0);
	assert_int_equal(e->srv.closed_by_peer, 1);
	record_free(&r);
}

static void test_cancel_from_own_body_callback(void **state)
{
	struct env *e = *state;
	struct record r = {.cancel_in_body = 1};
	char *url = url_for(&e->srv, "/drip");
	start(e->loop, url, &r, NULL);
	free(url);
	run_until(e->loop, &r.bodies, 20000);
	run_for(e->loop, 300);
	assert_int_equal(r.bodies, 1);
	assert_int_equal(r.dones, 0);
	assert_int_equal(loop_transfers(e->loop), 0);
	record_free(&r);
}

static void test_cancel_before_a_refusal_is_delivered(void **state)
{
	struct env *e = *state;
	struct record r = {0};
	start(e->loop, "ftp://127.0.0.1/", &r, NULL);
	http_cancel(r.call);
	run_for(e->loop, 50);
	assert_int_equal(r.dones, 0);
	http_cancel(NULL);
	record_free(&r);
}

static void test_callbacks_can_stop_the_transfer(void **state)
{
	struct env *e = *state;
	char *url = url_for(&e->srv, "/stream/1");
	struct record at_body = {.stop_at_body = 1};
	start(e->loop, url, &at_body, NULL);
	struct record at_head = {.stop_at_head = 1};
	start(e->loop, url, &at_head, NULL);
	free(url);
	run_until(e->loop, &at_body.dones, 20000);
	run_until(e->loop, &at_head.dones, 20000);

	assert_int_equal(at_body.error, HTTP_ERR_ABORTED);
	assert_int_equal(at_body.bodies, 1);
	assert_int_equal(at_body.status, 200);
	assert_int_equal(at_head.error, HTTP_ERR_ABORTED);
	assert_int_equal(at_head.heads, 1);
	assert_int_equal(at_head.bodies, 0);
	record_free(&at_body);
	record_free(&at_head);
}

static void test_start_from_body_callback_is_deferred(void **state)
{
	struct env *e = *state;
	struct record second = {0};
	struct record first = {.start_in_body = &second};
	char *echo = url_for(&e->srv, "/echo");
	snprintf(first.url_in_body, sizeof(first.url_in_body), "%s", echo);
	free(echo);
	char *url = url_for(&e->srv, "/stream/2");
	start(e->loop, url, &first, NULL);
	free(url);
	run_until(e->loop, &first.dones, 20000);
	run_until(e->loop, &second.dones, 20000);
	assert_int_equal(first.error, HTTP_OK);
	assert_int_equal(second.error, HTTP_OK);
	assert_int_equal(second.status, 200);
	assert_true(strncmp(buf_str(&second.body), "GET /echo HTTP/1.1\r\n", 20) == 0);
	assert_null(strstr(buf_str(&second.body), "Content-Type"));
	record_free(&first);
	record_free(&second);
}

/* ---- retry over the wire ---- */

struct retrying {
	struct record tries[3];
	int attempt;
	char *url;
	struct retry_policy policy;
	struct retry_state state;
	struct retry_decision decision;
	int finished;
};

static int64_t retry_now(struct loop *l, int64_t id, void *ud)
{
	(void)id;
	struct retrying *rt = ud;
	start(l, rt->url, &rt->tries[rt->attempt], NULL);
	return LOOP_TIMER_DONE;
}

static void on_try_done(struct loop *l, struct http_call *c, const struct http_result *res, void *ud)
{
	struct retrying *rt = ud;
	struct record *r = &rt->tries[rt->attempt];
	on_done(l, c, res, r);
	rt->attempt++;
	if (res->error == HTTP_OK && res->status < 300) {
		retry_succeeded(&rt->policy, &rt->state);
		rt->finished = 1;
		return;
	}
	struct retry_attempt a = {.attempt = rt->attempt, .error = res->error, .status = res->status,
				  .headers = res->headers, .output_delivered = 0};
	rt->decision = retry_decide(&rt->policy, &rt->state, &a);
	if (!rt->decision.retry) {
		rt->finished = 1;
		return;
	}
	loop_add_timer(l, rt->decision.delay_ms, retry_now, rt);
}

static void test_429_with_retry_after_is_retried_a_second_later(void **state)
{
	struct env *e = *state;
	struct retrying rt;
	memset(&rt, 0, sizeof(rt));
	retry_policy_init(&rt.policy, RETRY_OPENAI);
	rt.url = url_for(&e->srv, "/429");
	int64_t begin = clock_ms();
	/* The first try decides through on_try_done; the retry uses the plain recorder. */
	struct http_request req = {.url = rt.url, .on_done = on_try_done, .ud = &rt};
	rt.tries[0].call = http_start(e->loop, &req);
	run_until(e->loop, &rt.tries[0].dones, 20000);
	assert_int_equal(rt.tries[0].status, 429);
	assert_true(rt.decision.retry);
	assert_int_equal(rt.decision.delay_ms, 1000);
	run_until(e->loop, &rt.tries[1].dones, 20000);
	assert_int_equal(rt.tries[1].error, HTTP_OK);
	assert_int_equal(rt.tries[1].status, 200);
	assert_string_equal(buf_str(&rt.tries[1].body), "ok");
	assert_true(rt.tries[1].done_at_ms - begin >= 1000);
	assert_int_equal(e->srv.requests, 2);
	free(rt.url);
	record_free(&rt.tries[0]);
	record_free(&rt.tries[1]);
}

/* ---- helpers without the network ---- */

static void test_header_list_helpers(void **state)
{
	(void)state;
	struct http_headers h = HTTP_HEADERS_INIT;
	assert_null(http_headers_get(&h, "x"));
	assert_null(http_request_id(&h));
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof(name), "X-N%d", i);
		http_headers_add(&h, name, "v");
	}
	http_headers_add(&h, "x-amzn-RequestId", "aws-1");
	assert_string_equal(http_request_id(&h), "aws-1");
	http_headers_add(&h, "Request-Id", "req_anthropic");
	assert_string_equal(http_request_id(&h), "req_anthropic");
	http_headers_add(&h, "X-Request-ID", "req_openai");
	assert_string_equal(http_request_id(&h), "req_openai");
	assert_string_equal(http_headers_get(&h, "x-n39"), "v");
	assert_int_equal(h.n, 43);
	http_headers_clear(&h);
	assert_int_equal(h.n, 0);
	assert_null(http_headers_get(&h, "x-request-id"));
	http_headers_free(&h);
	http_headers_free(&h);

	assert_true(http_header_is_secret("Authorization"));
	assert_true(http_header_is_secret("X-API-Key"));
	assert_true(http_header_is_secret("x-amz-security-token"));
	assert_false(http_header_is_secret("Content-Type"));
	assert_string_equal(http_error_name(HTTP_ERR_IDLE_TIMEOUT), "idle timeout");
	assert_string_equal(http_error_name(HTTP_OK), "ok");
	assert_string_equal(http_error_name((enum http_error)999), "unknown");
}

static void test_curl_has_what_aiwb_needs(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	int rc = http_check_curl(&e);
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (v->features & CURL_VERSION_ASYNCHDNS)
		assert_int_equal(rc, 0);
	else
		assert_non_null(strstr(err_msg(&e), "AsynchDNS"));
}

#define NET_TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		NET_TEST(test_stream_arrives_intact_in_small_pieces),
		NET_TEST(test_two_concurrent_transfers),
		NET_TEST(test_eight_concurrent_transfers),
		NET_TEST(test_post_sends_copies_and_collects_body),
		NET_TEST(test_methods_and_default_content_type),
		NET_TEST(test_informational_response_is_skipped),
		NET_TEST(test_error_status_is_not_a_transfer_error),
		NET_TEST(test_loopback_never_goes_through_a_proxy),
		NET_TEST(test_size_cap_stops_the_stream_early),
		NET_TEST(test_content_length_over_cap_stops_before_the_body),
		NET_TEST(test_idle_timeout_when_nothing_arrives),
		NET_TEST(test_idle_timeout_after_headers),
		NET_TEST(test_slow_but_steady_stream_is_not_idle),
		NET_TEST(test_connect_refused),
		NET_TEST(test_connect_timeout),
		NET_TEST(test_tls_failure),
		NET_TEST(test_certificate_problems_say_what_to_do),
		NET_TEST(test_connection_cut_mid_body),
		NET_TEST(test_redirect_is_not_followed),
		NET_TEST(test_plain_http_to_remote_host_refused_before_connecting),
		NET_TEST(test_other_schemes_refused),
		cmocka_unit_test(test_loopback_rules),
		NET_TEST(test_header_injection_refused),
		NET_TEST(test_cancel_mid_stream),
		NET_TEST(test_cancel_from_own_body_callback),
		NET_TEST(test_cancel_before_a_refusal_is_delivered),
		NET_TEST(test_callbacks_can_stop_the_transfer),
		NET_TEST(test_start_from_body_callback_is_deferred),
		NET_TEST(test_429_with_retry_after_is_retried_a_second_later),
		cmocka_unit_test(test_header_list_helpers),
		cmocka_unit_test(test_curl_has_what_aiwb_needs),
	};
	return cmocka_run_group_tests(tests, testhttp_group_setup, testhttp_group_teardown);
}
