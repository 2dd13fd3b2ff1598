/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_server.c - gRPC server calls on an HTTP/2 connection (grpc_server.h),
 * after gRPC's "PROTOCOL-HTTP2" document: request headers, length-prefixed
 * messages, grpc-timeout, and the status in trailers.
 */
#include "grpc_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_frame.h"

#define CALL_MD_BUF   4096 /* request metadata kept for the call */
#define CALL_MD_MAX   32
#define CALL_OUT_BUF  2048 /* response metadata queued by the method */
#define CALL_OUT_MAX  16
#define PATH_MAX_LEN  256
#define MESSAGE_MAX   1024 /* grpc-message, before percent-encoding */

struct method {
	char *path;
	size_t len;
	const struct grpc_method_ops *ops;
	void *arg;
};

struct grpc_server {
	struct method *m;
	uint32_t n, cap;
	uint32_t max_msg;
};

struct grpc_call {
	struct grpc_sconn *sc;
	const struct method *m;
	void *user;
	uint32_t sid;
	bool in_use;
	bool headers_sent;
	bool finished;
	bool half_closed;
	bool gone;	      /* the stream closed while a callback ran: end when it returns */
	uint32_t busy;	      /* callbacks of this call on the stack */
	int status;
	uint64_t deadline_ms; /* 0: none */
	uint64_t timer_ms;    /* 0: none */
	struct grpc_reader rd;
	char path[PATH_MAX_LEN];
	char md_buf[CALL_MD_BUF];
	uint32_t md_used, nb_md;
	struct h2_header md[CALL_MD_MAX];
	char out_buf[CALL_OUT_BUF];
	uint32_t out_used, nb_init, nb_trail;
	struct h2_header init_md[CALL_OUT_MAX], trail_md[CALL_OUT_MAX];
};

struct grpc_sconn {
	struct grpc_server *srv;
	struct h2_conn *h2;
	struct h2_callbacks cb;
	struct grpc_call *calls;
	uint32_t nb_calls;
	uint64_t now_ms;
	uint64_t next_due_ms;	/* no deadline or timer before this (UINT64_MAX: none) */
	size_t gathered;	/* bytes of reassembly buffers held by the calls */
	void (*kick)(void *arg);
	void *kick_arg;
};

/* Split messages gathered per connection at most: flow control credits them at once. */
#define GATHER_MAX (16u << 20)

/* ---- method table -------------------------------------------------------- */

struct grpc_server *grpc_server_new(void)
{
	struct grpc_server *s = calloc(1, sizeof(*s));

	if (s != NULL) {
		s->max_msg = 4u << 20;
	}
	return s;
}

void grpc_server_free(struct grpc_server *s)
{
	if (s == NULL) {
		return;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		free(s->m[i].path);
	}
	free(s->m);
	free(s);
}

static const struct method *find_method(const struct grpc_server *s, const char *path, size_t len)
{
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->m[i].len == len && memcmp(s->m[i].path, path, len) == 0) {
			return &s->m[i];
		}
	}
	return NULL;
}

int grpc_server_add(struct grpc_server *s, const char *path, const struct grpc_method_ops *ops,
		    void *arg)
{
	size_t len;

	if (s == NULL || path == NULL || ops == NULL || path[0] != '/') {
		return -EINVAL;
	}
	len = strlen(path);
	if (len >= PATH_MAX_LEN) {
		return -EINVAL;
	}
	if (find_method(s, path, len) != NULL) {
		return -EEXIST;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct method *m = realloc(s->m, cap * sizeof(*m));

		if (m == NULL) {
			return -ENOMEM;
		}
		s->m = m;
		s->cap = cap;
	}
	s->m[s->n].path = strdup(path);
	if (s->m[s->n].path == NULL) {
		return -ENOMEM;
	}
	s->m[s->n].len = len;
	s->m[s->n].ops = ops;
	s->m[s->n].arg = arg;
	s->n++;
	return 0;
}

void grpc_server_set_max_message(struct grpc_server *s, uint32_t max)
{
	s->max_msg = max;
}

/* ---- helpers ------------------------------------------------------------- */

static bool hdr_is(const struct h2_header *h, const char *name)
{
	size_t l = strlen(name);

	return h->name_len == l && memcmp(h->name, name, l) == 0;
}

static const struct h2_header *hdr_find(const struct h2_header *h, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++) {
		if (hdr_is(&h[i], name)) {
			return &h[i];
		}
	}
	return NULL;
}

static bool val_is(const struct h2_header *h, const char *v)
{
	size_t l = strlen(v);

	return h != NULL && h->value_len == l && memcmp(h->value, v, l) == 0;
}

/* "application/grpc", optionally followed by "+format" or ";params". */
static bool is_grpc_type(const struct h2_header *ct)
{
	static const char t[] = "application/grpc";
	size_t l = sizeof(t) - 1;

	if (ct == NULL || ct->value_len < l || memcmp(ct->value, t, l) != 0) {
		return false;
	}
	return ct->value_len == l || ct->value[l] == '+' || ct->value[l] == ';';
}

/* A plain HTTP/2 answer with a short text body. */
static void plain_respond(struct grpc_sconn *sc, uint32_t sid, const char *status, const char *body,
			  bool head)
{
	char cl[16];
	struct h2_header h[3] = {
		{":status", status, 7, 3},
		{"content-type", "text/plain", 12, 10},
		{"content-length", cl, 14, 0},
	};
	size_t blen = strlen(body);
	struct iovec iov = {(void *)(uintptr_t)body, blen};

	h[2].value_len = (uint32_t)snprintf(cl, sizeof(cl), "%zu", blen);
	if (head || blen == 0) {
		if (h2_submit_headers(sc->h2, sid, h, 3, true) < 0) {
			h2_stream_reset(sc->h2, sid, H2_INTERNAL_ERROR);
		}
		return;
	}
	if (h2_submit_headers(sc->h2, sid, h, 3, false) < 0 ||
	    h2_stream_writev(sc->h2, sid, &iov, 1, true) < 0) {
		h2_stream_reset(sc->h2, sid, H2_INTERNAL_ERROR);
	}
}

/* A gRPC error before any call exists: a trailers-only response. */
static void trailers_only(struct grpc_sconn *sc, uint32_t sid, int status, const char *msg,
			  bool accept_identity)
{
	char st[8], enc[3 * MESSAGE_MAX];
	long elen = grpc_message_encode((const uint8_t *)msg, strnlen(msg, MESSAGE_MAX), enc,
					sizeof(enc));
	struct h2_header h[5] = {
		{":status", "200", 7, 3},
		{"content-type", "application/grpc", 12, 16},
		{"grpc-status", st, 11, 0},
		{"grpc-message", enc, 12, (uint32_t)(elen > 0 ? elen : 0)},
		{"grpc-accept-encoding", "identity", 20, 8},
	};

	h[2].value_len = (uint32_t)snprintf(st, sizeof(st), "%d", status);
	if (h2_submit_headers(sc->h2, sid, h, accept_identity ? 5 : 4, true) < 0) {
		h2_stream_reset(sc->h2, sid, H2_INTERNAL_ERROR);
	}
}

static struct grpc_call *call_alloc(struct grpc_sconn *sc)
{
	for (uint32_t i = 0; i < sc->nb_calls; i++) {
		struct grpc_call *call = &sc->calls[i];

		if (!call->in_use) {
			memset(call, 0, offsetof(struct grpc_call, path));
			call->path[0] = 0;
			call->in_use = true;
			call->sc = sc;
			return call;
		}
	}
	return NULL;
}

static void call_release(struct grpc_call *call)
{
	call->sc->gathered -= call->rd.cap;
	grpc_reader_cleanup(&call->rd);
	call->in_use = false;
}

/*
 * The call's end: on_done, then its slot is free. Deferred while any of its
 * callbacks is on the stack (a method that finishes a call inside
 * on_message closes the stream under it), so the engine and the method
 * never touch a released call.
 */
static void call_end(struct grpc_call *call)
{
	int status = call->finished ? call->status : GRPC_CANCELLED;

	call->finished = true;
	if (call->busy > 0) {
		call->gone = true;
		return;
	}
	if (call->m->ops->on_done != NULL) {
		call->m->ops->on_done(call, status, call->m->arg);
	}
	call_release(call);
}

static void call_enter(struct grpc_call *call)
{
	call->busy++;
}

/* Leave a callback; |call| may be released on return. */
static void call_leave(struct grpc_call *call)
{
	if (--call->busy == 0 && call->gone) {
		call->gone = false;
		call_end(call);
	}
}

static void note_due(struct grpc_sconn *sc, uint64_t at_ms)
{
	if (at_ms != 0 && at_ms < sc->next_due_ms) {
		sc->next_due_ms = at_ms;
	}
}

/* Keep the request's regular headers for grpc_call_metadata. */
static void keep_metadata(struct grpc_call *call, const struct h2_header *h, uint32_t n)
{
	for (uint32_t i = 0; i < n && call->nb_md < CALL_MD_MAX; i++) {
		struct h2_header *d = &call->md[call->nb_md];

		if (h[i].name_len == 0 || h[i].name[0] == ':') {
			continue;
		}
		if (call->md_used + h[i].name_len + h[i].value_len + 2 > CALL_MD_BUF) {
			break;
		}
		memcpy(call->md_buf + call->md_used, h[i].name, h[i].name_len);
		call->md_buf[call->md_used + h[i].name_len] = 0;
		d->name = call->md_buf + call->md_used;
		d->name_len = h[i].name_len;
		call->md_used += h[i].name_len + 1;
		memcpy(call->md_buf + call->md_used, h[i].value, h[i].value_len);
		call->md_buf[call->md_used + h[i].value_len] = 0;
		d->value = call->md_buf + call->md_used;
		d->value_len = h[i].value_len;
		call->md_used += h[i].value_len + 1;
		call->nb_md++;
	}
}

static int fail_call(struct grpc_call *call, int status, const char *msg)
{
	if (call->finished) {
		return 0;
	}
	if (grpc_call_finish(call, status, msg) < 0) {
		h2_stream_reset(call->sc->h2, call->sid, H2_INTERNAL_ERROR);
	}
	return 0;
}

static void half_close(struct grpc_call *call)
{
	call->half_closed = true;
	if (!call->finished && call->m->ops->on_half_close != NULL) {
		call->m->ops->on_half_close(call, call->m->arg);
	}
}

/* ---- h2 callbacks -------------------------------------------------------- */

static int new_request(struct grpc_sconn *sc, uint32_t sid, const struct h2_header *h, uint32_t n,
		       unsigned flags)
{
	const struct h2_header *method = hdr_find(h, n, ":method");
	const struct h2_header *path = hdr_find(h, n, ":path");
	const struct h2_header *ct = hdr_find(h, n, "content-type");
	const struct h2_header *enc = hdr_find(h, n, "grpc-encoding");
	const struct h2_header *to = hdr_find(h, n, "grpc-timeout");
	const struct method *m;
	struct grpc_call *call;
	uint64_t timeout_ms = 0;
	char msg[PATH_MAX_LEN + 32];

	if (path == NULL || method == NULL) {
		return -EINVAL; /* h2_hdr checked them: not reached */
	}
	m = find_method(sc->srv, path->value, path->value_len);
	if (!is_grpc_type(ct)) {
		bool get = val_is(method, "GET"), head = val_is(method, "HEAD");

		if ((get || head) && path->value_len == 8 && memcmp(path->value, "/healthz", 8) == 0) {
			plain_respond(sc, sid, "200", "ok\n", head);
		} else if (m != NULL) {
			plain_respond(sc, sid, "415", "gRPC needs content-type application/grpc\n", head);
		} else {
			plain_respond(sc, sid, "404", "not found\n", head);
		}
		return 0;
	}
	if (!val_is(method, "POST")) {
		plain_respond(sc, sid, "405", "gRPC needs POST\n", false);
		return 0;
	}
	if (m == NULL) {
		snprintf(msg, sizeof(msg), "unknown method %.*s", (int)path->value_len, path->value);
		trailers_only(sc, sid, GRPC_UNIMPLEMENTED, msg, false);
		return 0;
	}
	if (enc != NULL && !val_is(enc, "identity")) {
		/* PROTOCOL-HTTP2: an unsupported encoding is UNIMPLEMENTED, with what we accept. */
		snprintf(msg, sizeof(msg), "grpc-encoding %.*s is not supported",
			 (int)(enc->value_len < 64 ? enc->value_len : 64), enc->value);
		trailers_only(sc, sid, GRPC_UNIMPLEMENTED, msg, true);
		return 0;
	}
	if (to != NULL && grpc_timeout_parse(to->value, to->value_len, &timeout_ms) < 0) {
		trailers_only(sc, sid, GRPC_INTERNAL, "malformed grpc-timeout", false);
		return 0;
	}
	call = call_alloc(sc);
	if (call == NULL) {
		trailers_only(sc, sid, GRPC_RESOURCE_EXHAUSTED, "too many calls", false);
		return 0;
	}
	call->m = m;
	call->sid = sid;
	memcpy(call->path, path->value, path->value_len);
	call->path[path->value_len] = 0;
	grpc_reader_init(&call->rd, sc->srv->max_msg);
	if (to != NULL) {
		/* At most a day: no overflow, and nobody waits longer for a test call. */
		call->deadline_ms = sc->now_ms + (timeout_ms == 0 ? 1 : timeout_ms < 86400000 ? timeout_ms : 86400000);
		note_due(sc, call->deadline_ms);
	}
	keep_metadata(call, h, n);
	if (h2_stream_set_user(sc->h2, sid, call) < 0) {
		call_release(call);
		return -ENOENT;
	}
	call_enter(call);
	if (m->ops->on_start != NULL && m->ops->on_start(call, m->arg) < 0) {
		fail_call(call, GRPC_INTERNAL, "the method failed to start");
	} else if ((flags & H2_HDR_END_STREAM) && !call->finished) {
		half_close(call);
	}
	call_leave(call);
	return 0;
}

static int on_headers(struct h2_conn *c, uint32_t sid, void *su, const struct h2_header *h,
		      uint32_t n, unsigned flags, void *user)
{
	struct grpc_sconn *sc = user;
	struct grpc_call *call = su;

	(void)c;
	if (call == NULL) {
		if (flags & H2_HDR_TRAILERS) {
			return 0; /* a plain request's trailers */
		}
		return new_request(sc, sid, h, n, flags);
	}
	/* Request trailers: they end the client's side. */
	call_enter(call);
	if (grpc_reader_partial(&call->rd)) {
		fail_call(call, GRPC_INTERNAL, "the request ended inside a message");
	} else if (!call->finished) {
		half_close(call);
	}
	call_leave(call);
	return 0;
}

static int on_message(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct grpc_call *call = arg;

	if (call->finished) {
		return -ECANCELED;
	}
	if (compressed) {
		/* Only identity is accepted, so a compressed message has no encoding. */
		fail_call(call, GRPC_INTERNAL, "compressed message without grpc-encoding");
		return -ECANCELED;
	}
	if (call->m->ops->on_message != NULL && call->m->ops->on_message(call, msg, len, call->m->arg) < 0) {
		fail_call(call, GRPC_INTERNAL, "the method failed");
		return -ECANCELED;
	}
	return 0;
}

static int on_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		   bool end_stream, void *user)
{
	struct grpc_call *call = su;
	int rc;

	(void)c;
	(void)sid;
	(void)user;
	struct grpc_sconn *sc;
	uint32_t cap;

	if (call == NULL || call->finished) {
		return 0; /* a plain request's body, or the call is over: dropped */
	}
	sc = call->sc;
	cap = call->rd.cap;
	call_enter(call);
	rc = grpc_reader_feed(&call->rd, p, n, on_message, call);
	sc->gathered += call->rd.cap - cap;
	if (rc == -EMSGSIZE) {
		fail_call(call, GRPC_RESOURCE_EXHAUSTED, "request message too large");
	} else if (rc == -EPROTO) {
		fail_call(call, GRPC_INTERNAL, "bad message flags");
	} else if (rc == -ENOMEM || sc->gathered > GATHER_MAX) {
		fail_call(call, GRPC_RESOURCE_EXHAUSTED, "too much of split messages held");
	} else if (rc == 0 && !call->finished && end_stream) {
		if (grpc_reader_partial(&call->rd)) {
			fail_call(call, GRPC_INTERNAL, "the request ended inside a message");
		} else {
			half_close(call);
		}
	}
	if (call->finished && call->rd.cap > 0) {
		sc->gathered -= call->rd.cap; /* the rest of the request is not needed */
		grpc_reader_cleanup(&call->rd);
	}
	call_leave(call);
	return 0;
}

static void on_close(struct h2_conn *c, uint32_t sid, void *su, uint32_t error, void *user)
{
	struct grpc_call *call = su;

	(void)c;
	(void)sid;
	(void)error;
	(void)user;
	if (call == NULL) {
		return;
	}
	call_end(call);
}

static void on_writable(struct h2_conn *c, uint32_t sid, void *su, void *user)
{
	struct grpc_call *call = su;

	(void)c;
	(void)sid;
	(void)user;
	if (call != NULL && !call->finished && call->m->ops->on_writable != NULL) {
		call_enter(call);
		call->m->ops->on_writable(call, call->m->arg);
		call_leave(call);
	}
}

/* ---- connections --------------------------------------------------------- */

struct grpc_sconn *grpc_sconn_new(struct grpc_server *srv, const struct h2_conf *conf,
				  struct h2_pool *pool, uint64_t now_ms)
{
	struct grpc_sconn *sc;

	if (srv == NULL || conf == NULL || !conf->server) {
		return NULL;
	}
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		return NULL;
	}
	sc->srv = srv;
	sc->now_ms = now_ms;
	sc->next_due_ms = UINT64_MAX;
	sc->cb.on_headers = on_headers;
	sc->cb.on_data = on_data;
	sc->cb.on_close = on_close;
	sc->cb.on_writable = on_writable;
	sc->nb_calls = conf->max_concurrent_streams + 8;
	sc->calls = calloc(sc->nb_calls, sizeof(*sc->calls));
	if (sc->calls == NULL) {
		goto out_free;
	}
	sc->h2 = h2_conn_new(conf, &sc->cb, sc, pool, now_ms);
	if (sc->h2 == NULL) {
		goto out_free_calls;
	}
	return sc;

out_free_calls:
	free(sc->calls);
out_free:
	free(sc);
	return NULL;
}

void grpc_sconn_free(struct grpc_sconn *sc)
{
	if (sc == NULL) {
		return;
	}
	h2_conn_free(sc->h2); /* on_close for every stream: on_done(CANCELLED) */
	free(sc->calls);
	free(sc);
}

void grpc_sconn_set_kick(struct grpc_sconn *sc, void (*kick)(void *arg), void *arg)
{
	sc->kick = kick;
	sc->kick_arg = arg;
}

static void kick(struct grpc_sconn *sc)
{
	if (sc->kick != NULL) {
		sc->kick(sc->kick_arg);
	}
}

struct h2_conn *grpc_sconn_h2(struct grpc_sconn *sc)
{
	return sc->h2;
}

void grpc_sconn_tick(struct grpc_sconn *sc, uint64_t now_ms)
{
	if (now_ms > sc->now_ms) {
		sc->now_ms = now_ms;
	}
	if (sc->now_ms >= sc->next_due_ms) {
		/* Something is due: look at every call, and find the next time. */
		sc->next_due_ms = UINT64_MAX;
		for (uint32_t i = 0; i < sc->nb_calls; i++) {
			struct grpc_call *call = &sc->calls[i];

			if (!call->in_use || call->finished) {
				continue;
			}
			call_enter(call);
			if (call->deadline_ms != 0 && sc->now_ms >= call->deadline_ms) {
				uint32_t sid = call->sid;

				(void)fail_call(call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
				/*
				 * Trailers stuck behind data on a closed window must not wait: reset.
				 * Trailers that went out stand (a reset after them could reach the
				 * client first as CANCELLED).
				 */
				if (h2_stream_queued(sc->h2, sid) > 0) {
					h2_stream_reset(sc->h2, sid, H2_CANCEL);
				}
			} else if (call->timer_ms != 0 && sc->now_ms >= call->timer_ms) {
				call->timer_ms = 0;
				if (call->m->ops->on_timer != NULL) {
					call->m->ops->on_timer(call, call->m->arg);
				}
			}
			if (!call->finished) {
				note_due(sc, call->deadline_ms);
				note_due(sc, call->timer_ms);
			}
			call_leave(call);
		}
	}
	(void)h2_conn_tick(sc->h2, sc->now_ms);
}

uint64_t grpc_sconn_next_timer(const struct grpc_sconn *sc)
{
	uint64_t t = UINT64_MAX;

	for (uint32_t i = 0; i < sc->nb_calls; i++) {
		const struct grpc_call *call = &sc->calls[i];

		if (!call->in_use || call->finished) {
			continue;
		}
		if (call->deadline_ms != 0 && call->deadline_ms < t) {
			t = call->deadline_ms;
		}
		if (call->timer_ms != 0 && call->timer_ms < t) {
			t = call->timer_ms;
		}
	}
	return t;
}

/* ---- calls --------------------------------------------------------------- */

const char *grpc_call_metadata(const struct grpc_call *call, const char *name, size_t *len)
{
	const struct h2_header *h = hdr_find(call->md, call->nb_md, name);

	if (h == NULL) {
		return NULL;
	}
	if (len != NULL) {
		*len = h->value_len;
	}
	return h->value;
}

const char *grpc_call_path(const struct grpc_call *call)
{
	return call->path;
}

void grpc_call_set_user(struct grpc_call *call, void *user)
{
	call->user = user;
}

void *grpc_call_user(const struct grpc_call *call)
{
	return call->user;
}

static int add_md(struct grpc_call *call, struct h2_header *arr, uint32_t *nb, const char *name,
		  const char *value, size_t vlen)
{
	size_t nlen = strlen(name);

	if (*nb >= CALL_OUT_MAX || call->out_used + nlen + vlen > CALL_OUT_BUF) {
		return -ENOSPC;
	}
	memcpy(call->out_buf + call->out_used, name, nlen);
	arr[*nb].name = call->out_buf + call->out_used;
	arr[*nb].name_len = (uint32_t)nlen;
	call->out_used += (uint32_t)nlen;
	memcpy(call->out_buf + call->out_used, value, vlen);
	arr[*nb].value = call->out_buf + call->out_used;
	arr[*nb].value_len = (uint32_t)vlen;
	call->out_used += (uint32_t)vlen;
	(*nb)++;
	return 0;
}

int grpc_call_add_initial(struct grpc_call *call, const char *name, const char *value, size_t vlen)
{
	if (call->headers_sent) {
		return -EALREADY;
	}
	return add_md(call, call->init_md, &call->nb_init, name, value, vlen);
}

int grpc_call_add_trailing(struct grpc_call *call, const char *name, const char *value,
			   size_t vlen)
{
	if (call->finished) {
		return -EALREADY;
	}
	return add_md(call, call->trail_md, &call->nb_trail, name, value, vlen);
}

static int send_headers(struct grpc_call *call)
{
	struct h2_header h[2 + CALL_OUT_MAX] = {
		{":status", "200", 7, 3},
		{"content-type", "application/grpc", 12, 16},
	};
	int rc;

	memcpy(h + 2, call->init_md, call->nb_init * sizeof(h[0]));
	rc = h2_submit_headers(call->sc->h2, call->sid, h, 2 + call->nb_init, false);
	if (rc == 0) {
		call->headers_sent = true;
	}
	return rc;
}

int grpc_call_send(struct grpc_call *call, const void *msg, size_t len)
{
	uint8_t prefix[GRPC_PREFIX_LEN] = {0};
	struct iovec iov[2] = {{prefix, sizeof(prefix)}, {(void *)(uintptr_t)msg, len}};
	int rc;

	if (call->finished) {
		return -EPIPE;
	}
	if (len > UINT32_MAX) {
		return -EMSGSIZE;
	}
	if (!call->headers_sent) {
		rc = send_headers(call);
		if (rc < 0) {
			return rc == -ENOBUFS ? -EAGAIN : rc;
		}
	}
	grpc_prefix_put(prefix, (uint32_t)len);
	rc = h2_stream_writev(call->sc->h2, call->sid, iov, 2, false);
	if (rc == 0) {
		kick(call->sc);
	}
	return rc == -ENOBUFS ? -EAGAIN : rc;
}

int grpc_call_finish(struct grpc_call *call, int status, const char *message)
{
	char st[12], enc[3 * MESSAGE_MAX];
	struct h2_header h[4 + 2 * CALL_OUT_MAX];
	uint32_t n = 0;
	long elen = 0;
	struct grpc_sconn *sc = call->sc;
	struct h2_conn *h2 = sc->h2;
	uint32_t sid = call->sid;
	bool trailers_only_resp = !call->headers_sent;
	int rc;

	if (call->finished) {
		return -EPIPE;
	}
	call->finished = true;
	call->status = status;
	if (trailers_only_resp) {
		h[n++] = (struct h2_header){":status", "200", 7, 3};
		h[n++] = (struct h2_header){"content-type", "application/grpc", 12, 16};
		memcpy(h + n, call->init_md, call->nb_init * sizeof(h[0]));
		n += call->nb_init;
	}
	h[n] = (struct h2_header){"grpc-status", st, 11, 0};
	h[n++].value_len = (uint32_t)snprintf(st, sizeof(st), "%d", status);
	if (message != NULL && message[0] != 0) {
		elen = grpc_message_encode((const uint8_t *)message, strnlen(message, MESSAGE_MAX),
					   enc, sizeof(enc));
		if (elen > 0) {
			h[n++] = (struct h2_header){"grpc-message", enc, 12, (uint32_t)elen};
		}
	}
	memcpy(h + n, call->trail_md, call->nb_trail * sizeof(h[0]));
	n += call->nb_trail;
	call->headers_sent = true;
	/* May close the stream at once, and with it |call| (on_done). */
	rc = h2_submit_headers(h2, sid, h, n, true);
	if (rc < 0) {
		h2_stream_reset(h2, sid, H2_INTERNAL_ERROR);
	}
	kick(sc);
	return 0;
}

void grpc_call_set_timer(struct grpc_call *call, uint64_t at_ms)
{
	call->timer_ms = at_ms;
	note_due(call->sc, at_ms);
}

uint64_t grpc_call_now(const struct grpc_call *call)
{
	return call->sc->now_ms;
}
