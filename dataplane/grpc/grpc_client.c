/* SPDX-License-Identifier: Apache-2.0 */
/* grpc_client.c - gRPC client calls on an HTTP/2 connection (grpc_client.h). */
#include "grpc_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_frame.h"

#define AUTHORITY_MAX 256
#define MESSAGE_MAX   1024
#define MD_MAX	      32

struct grpc_ccall {
	struct grpc_cconn *cc;
	const struct grpc_ccall_ops *ops;
	void *arg;
	void *user;
	uint32_t sid;
	bool in_use;
	bool done;	  /* on_done was called */
	bool send_closed;
	bool gone;	  /* the stream closed under a callback: release when it returns */
	uint32_t busy;	  /* engine callbacks of this call on the stack */
	bool forced;	  /* we ended it: report forced_status */
	int forced_status;
	const char *forced_msg;
	int http_status;
	uint64_t deadline_ms;
	struct grpc_reader rd;
};

struct grpc_cconn {
	struct h2_conn *h2;
	struct h2_callbacks cb;
	struct grpc_ccall *calls;
	uint32_t nb_calls;
	uint64_t now_ms;
	char authority[AUTHORITY_MAX];
	void (*kick)(void *arg);
	void *kick_arg;
};

int grpc_status_from_http(int http_status)
{
	/* gRPC's http-grpc-status-mapping. */
	switch (http_status) {
	case 400:
		return GRPC_INTERNAL;
	case 401:
		return GRPC_UNAUTHENTICATED;
	case 403:
		return GRPC_PERMISSION_DENIED;
	case 404:
		return GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return GRPC_UNAVAILABLE;
	default:
		return GRPC_UNKNOWN;
	}
}

static int status_from_rst(uint32_t code)
{
	switch (code) {
	case H2_CANCEL:
		return GRPC_CANCELLED;
	case H2_REFUSED_STREAM:
		return GRPC_UNAVAILABLE;
	case H2_ENHANCE_YOUR_CALM:
		return GRPC_RESOURCE_EXHAUSTED;
	case H2_INADEQUATE_SECURITY:
		return GRPC_PERMISSION_DENIED;
	default:
		return GRPC_INTERNAL;
	}
}

static bool name_is(const struct h2_header *h, const char *name)
{
	size_t l = strlen(name);

	return h->name_len == l && memcmp(h->name, name, l) == 0;
}

static void release(struct grpc_ccall *call)
{
	if (call->busy > 0) {
		call->gone = true; /* the reader may still be running: later */
		return;
	}
	grpc_reader_cleanup(&call->rd);
	call->in_use = false;
}

static void leave(struct grpc_ccall *call)
{
	if (--call->busy == 0 && call->gone) {
		call->gone = false;
		release(call);
	}
}

/* Report the end once; the stream may still be open (then it is reset). */
static void finish(struct grpc_ccall *call, int status, const char *msg,
		   const struct h2_header *trl, uint32_t n)
{
	if (call->done) {
		return;
	}
	call->done = true;
	if (call->ops->on_done != NULL) {
		call->ops->on_done(call, status, msg != NULL ? msg : "", trl, n, call->arg);
	}
}

/* The status carried by a trailer section (or a trailers-only response). */
static void status_from_trailers(struct grpc_ccall *call, const struct h2_header *h, uint32_t n)
{
	struct h2_header md[MD_MAX];
	char msg[MESSAGE_MAX + 1] = "";
	int status = -1;
	uint32_t nb = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (name_is(&h[i], "grpc-status")) {
			/* 1 to 3 digits; anything else is no status. */
			status = h[i].value_len >= 1 && h[i].value_len <= 3 ? 0 : -1;
			for (uint32_t k = 0; k < h[i].value_len && status >= 0; k++) {
				if (h[i].value[k] < '0' || h[i].value[k] > '9') {
					status = -1;
					break;
				}
				status = status * 10 + (h[i].value[k] - '0');
			}
		} else if (name_is(&h[i], "grpc-message")) {
			size_t l = h[i].value_len < MESSAGE_MAX ? h[i].value_len : MESSAGE_MAX;

			memcpy(msg, h[i].value, l);
			msg[grpc_message_decode(msg, l)] = 0;
		} else if (h[i].name_len > 0 && h[i].name[0] != ':' && nb < MD_MAX) {
			md[nb++] = h[i];
		}
	}
	if (status < 0) {
		if (call->http_status != 200 && call->http_status != 0) {
			snprintf(msg, sizeof(msg), "HTTP status %d", call->http_status);
			finish(call, grpc_status_from_http(call->http_status), msg, md, nb);
		} else {
			finish(call, GRPC_INTERNAL, "the response carries no grpc-status", md, nb);
		}
		return;
	}
	finish(call, status, msg, md, nb);
}

static void end_stream_early(struct grpc_ccall *call)
{
	/* The server is done; if we are not, tell it to stop listening (RFC 9113 8.1). */
	if (!call->send_closed) {
		call->send_closed = true;
		h2_stream_reset(call->cc->h2, call->sid, H2_NO_ERROR);
	}
}

static int on_headers(struct h2_conn *c, uint32_t sid, void *su, const struct h2_header *h,
		      uint32_t n, unsigned flags, void *user)
{
	struct grpc_ccall *call = su;

	(void)c;
	(void)sid;
	(void)user;
	if (call == NULL || call->done || (flags & H2_HDR_INFORMATIONAL)) {
		return 0;
	}
	if (!(flags & H2_HDR_TRAILERS)) {
		struct h2_header md[MD_MAX];
		uint32_t nb = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (name_is(&h[i], ":status") && h[i].value_len == 3) {
				call->http_status = (h[i].value[0] - '0') * 100 +
						    (h[i].value[1] - '0') * 10 + (h[i].value[2] - '0');
			} else if (h[i].name[0] != ':' && nb < MD_MAX) {
				md[nb++] = h[i];
			}
		}
		if (flags & H2_HDR_END_STREAM) {
			status_from_trailers(call, h, n); /* trailers-only */
			end_stream_early(call);
			return 0;
		}
		if (call->http_status != 200) {
			char msg[32];

			snprintf(msg, sizeof(msg), "HTTP status %d", call->http_status);
			call->forced = true;
			finish(call, grpc_status_from_http(call->http_status), msg, NULL, 0);
			h2_stream_reset(call->cc->h2, call->sid, H2_CANCEL);
			return 0;
		}
		if (call->ops->on_headers != NULL) {
			call->ops->on_headers(call, md, nb, call->arg);
		}
		return 0;
	}
	if (grpc_reader_partial(&call->rd)) {
		finish(call, GRPC_INTERNAL, "the response ended inside a message", NULL, 0);
	} else {
		status_from_trailers(call, h, n);
	}
	end_stream_early(call);
	return 0;
}

static int on_message(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct grpc_ccall *call = arg;

	if (call->done) {
		return -ECANCELED;
	}
	if (compressed) {
		finish(call, GRPC_INTERNAL, "compressed message without grpc-encoding", NULL, 0);
		return -ECANCELED;
	}
	if (call->ops->on_message != NULL && call->ops->on_message(call, msg, len, call->arg) < 0) {
		finish(call, GRPC_CANCELLED, "cancelled by the client", NULL, 0);
		return -ECANCELED;
	}
	return 0;
}

static int on_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		   bool end_stream, void *user)
{
	struct grpc_ccall *call = su;
	int rc;

	(void)c;
	(void)user;
	if (call == NULL || call->done) {
		return 0;
	}
	call->busy++;
	rc = grpc_reader_feed(&call->rd, p, n, on_message, call);
	if (rc == -EMSGSIZE) {
		finish(call, GRPC_RESOURCE_EXHAUSTED, "response message too large", NULL, 0);
	} else if (rc == -EPROTO) {
		finish(call, GRPC_INTERNAL, "bad message flags", NULL, 0);
	} else if (rc == -ENOMEM) {
		finish(call, GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0);
	} else if (end_stream && rc == 0) {
		finish(call, GRPC_INTERNAL, "the response has no trailers", NULL, 0);
	}
	if (call->done && h2_stream_send_window(c, sid) >= 0) {
		h2_stream_reset(c, sid, H2_CANCEL);
	}
	leave(call);
	return 0;
}

static void on_close(struct h2_conn *c, uint32_t sid, void *su, uint32_t error, void *user)
{
	struct grpc_ccall *call = su;

	(void)c;
	(void)sid;
	(void)user;
	if (call == NULL) {
		return;
	}
	if (call->forced) {
		finish(call, call->forced_status, call->forced_msg, NULL, 0);
	} else if (error != H2_NO_ERROR) {
		char msg[64];

		snprintf(msg, sizeof(msg), "stream reset: %s", h2_error_name(error));
		finish(call, status_from_rst(error), msg, NULL, 0);
	} else {
		finish(call, GRPC_INTERNAL, "the stream ended without a status", NULL, 0);
	}
	release(call);
}

static void on_writable(struct h2_conn *c, uint32_t sid, void *su, void *user)
{
	struct grpc_ccall *call = su;

	(void)c;
	(void)sid;
	(void)user;
	if (call != NULL && !call->done && call->ops->on_writable != NULL) {
		call->ops->on_writable(call, call->arg);
	}
}

struct grpc_cconn *grpc_cconn_new(const struct h2_conf *conf, struct h2_pool *pool,
				  const char *authority, uint64_t now_ms)
{
	struct grpc_cconn *cc;

	if (conf == NULL || conf->server || authority == NULL ||
	    strlen(authority) >= AUTHORITY_MAX || authority[0] == 0) {
		return NULL;
	}
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL) {
		return NULL;
	}
	snprintf(cc->authority, sizeof(cc->authority), "%s", authority);
	cc->now_ms = now_ms;
	cc->cb.on_headers = on_headers;
	cc->cb.on_data = on_data;
	cc->cb.on_close = on_close;
	cc->cb.on_writable = on_writable;
	cc->nb_calls = conf->max_streams_local;
	cc->calls = calloc(cc->nb_calls, sizeof(*cc->calls));
	if (cc->calls == NULL) {
		goto out_free;
	}
	cc->h2 = h2_conn_new(conf, &cc->cb, cc, pool, now_ms);
	if (cc->h2 == NULL) {
		goto out_free_calls;
	}
	return cc;

out_free_calls:
	free(cc->calls);
out_free:
	free(cc);
	return NULL;
}

void grpc_cconn_free(struct grpc_cconn *cc)
{
	if (cc == NULL) {
		return;
	}
	for (uint32_t i = 0; i < cc->nb_calls; i++) {
		if (cc->calls[i].in_use) {
			cc->calls[i].forced = true;
			cc->calls[i].forced_status = GRPC_CANCELLED;
			cc->calls[i].forced_msg = "the connection was closed";
		}
	}
	h2_conn_free(cc->h2); /* on_close for every stream */
	free(cc->calls);
	free(cc);
}

void grpc_cconn_set_kick(struct grpc_cconn *cc, void (*kick)(void *arg), void *arg)
{
	cc->kick = kick;
	cc->kick_arg = arg;
}

struct h2_conn *grpc_cconn_h2(struct grpc_cconn *cc)
{
	return cc->h2;
}

void grpc_cconn_tick(struct grpc_cconn *cc, uint64_t now_ms)
{
	if (now_ms > cc->now_ms) {
		cc->now_ms = now_ms;
	}
	for (uint32_t i = 0; i < cc->nb_calls; i++) {
		struct grpc_ccall *call = &cc->calls[i];

		if (call->in_use && !call->done && call->deadline_ms != 0 &&
		    cc->now_ms >= call->deadline_ms) {
			call->forced = true;
			call->forced_status = GRPC_DEADLINE_EXCEEDED;
			call->forced_msg = "deadline exceeded";
			h2_stream_reset(cc->h2, call->sid, H2_CANCEL);
		}
	}
	(void)h2_conn_tick(cc->h2, cc->now_ms);
}

int grpc_cconn_start(struct grpc_cconn *cc, const char *path, const struct h2_header *md,
		     uint32_t n, uint64_t timeout_ms, const struct grpc_ccall_ops *ops, void *arg,
		     struct grpc_ccall **out)
{
	struct h2_header h[7 + MD_MAX];
	struct grpc_ccall *call = NULL;
	char to[24];
	uint32_t k = 0;
	long sid;

	if (path == NULL || path[0] != '/' || ops == NULL || out == NULL || n > MD_MAX ||
	    (n > 0 && md == NULL)) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cc->nb_calls; i++) {
		if (!cc->calls[i].in_use) {
			call = &cc->calls[i];
			break;
		}
	}
	if (call == NULL) {
		return -EAGAIN;
	}
	h[k++] = (struct h2_header){":method", "POST", 7, 4};
	h[k++] = (struct h2_header){":scheme", "http", 7, 4};
	h[k++] = (struct h2_header){":path", path, 5, (uint32_t)strlen(path)};
	h[k++] = (struct h2_header){":authority", cc->authority, 10, (uint32_t)strlen(cc->authority)};
	h[k++] = (struct h2_header){"content-type", "application/grpc", 12, 16};
	h[k++] = (struct h2_header){"te", "trailers", 2, 8};
	if (timeout_ms > 99999999000ull) {
		timeout_ms = 99999999000ull; /* the most grpc-timeout can say (8 digits of seconds) */
	}
	if (timeout_ms != 0) {
		/* At most 8 digits (PROTOCOL-HTTP2): milliseconds, else seconds. */
		int l = timeout_ms < 100000000 ? snprintf(to, sizeof(to), "%lum", (unsigned long)timeout_ms)
					       : snprintf(to, sizeof(to), "%luS",
							  (unsigned long)((timeout_ms + 999) / 1000));

		h[k++] = (struct h2_header){"grpc-timeout", to, 12, (uint32_t)l};
	}
	if (n > 0) {
		memcpy(h + k, md, n * sizeof(*md));
		k += n;
	}
	memset(call, 0, sizeof(*call));
	call->cc = cc;
	call->ops = ops;
	call->arg = arg;
	call->in_use = true;
	grpc_reader_init(&call->rd, 4u << 20);
	if (timeout_ms != 0) {
		call->deadline_ms = cc->now_ms + timeout_ms;
	}
	sid = h2_submit_request(cc->h2, h, k, false, call);
	if (sid < 0) {
		release(call);
		return (int)sid;
	}
	call->sid = (uint32_t)sid;
	*out = call;
	return 0;
}

int grpc_ccall_send(struct grpc_ccall *call, const void *msg, size_t len)
{
	uint8_t prefix[GRPC_PREFIX_LEN] = {0};
	struct iovec iov[2] = {{prefix, sizeof(prefix)}, {(void *)(uintptr_t)msg, len}};
	int rc;

	if (call->done || call->send_closed) {
		return -EPIPE;
	}
	if (len > UINT32_MAX) {
		return -EMSGSIZE;
	}
	grpc_prefix_put(prefix, (uint32_t)len);
	rc = h2_stream_writev(call->cc->h2, call->sid, iov, 2, false);
	if (rc == 0 && call->cc->kick != NULL) {
		call->cc->kick(call->cc->kick_arg);
	}
	return rc == -ENOBUFS ? -EAGAIN : rc;
}

int grpc_ccall_close_send(struct grpc_ccall *call)
{
	if (call->done || call->send_closed) {
		return -EPIPE;
	}
	call->send_closed = true;
	return h2_stream_writev(call->cc->h2, call->sid, NULL, 0, true) == 0 ? 0 : -EPIPE;
}

void grpc_ccall_cancel(struct grpc_ccall *call)
{
	if (call->done) {
		return;
	}
	call->forced = true;
	call->forced_status = GRPC_CANCELLED;
	call->forced_msg = "cancelled by the client";
	h2_stream_reset(call->cc->h2, call->sid, H2_CANCEL);
}

void grpc_ccall_set_user(struct grpc_ccall *call, void *user)
{
	call->user = user;
}

void *grpc_ccall_user(const struct grpc_ccall *call)
{
	return call->user;
}
