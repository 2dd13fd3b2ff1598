/* SPDX-License-Identifier: Apache-2.0 */
/* tcp_apps.c - echo, discard and source over the worker's TCP stack; see tcp_apps.h. */
#include "app/tcp_apps.h"

#include <errno.h>
#include <stdint.h>

#include <rte_mbuf.h>

/* 256 + 2048 bytes of pattern: any offset mod 256 starts a run of >= 2048 bytes. */
#define PATTERN_RUN 2048
static uint8_t pattern[256 + PATTERN_RUN];

static void pattern_init(void)
{
	if (pattern[1] == 0) {
		for (unsigned i = 0; i < sizeof(pattern); i++) {
			pattern[i] = (uint8_t)i;
		}
	}
}

/* ---- echo: the user pointer holds data waiting for send space ---- */

static void echo_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m = tcp_conn_user(c);

	if (m != NULL) {
		if (tcp_conn_send(c, m) != 0) {
			return; /* still full (or closing): |writable| brings us back */
		}
		tcp_conn_set_user(c, NULL);
	}
	while ((m = tcp_conn_recv(c)) != NULL) {
		int rc = tcp_conn_send(c, m);

		if (rc == -EAGAIN) {
			tcp_conn_set_user(c, m); /* stop reading: the window closes */
			return;
		}
		if (rc != 0) {
			rte_pktmbuf_free(m);
		}
	}
	if (tcp_conn_eof(c)) {
		tcp_conn_close(c); /* FIN after what is queued */
	}
}

static void echo_closed(struct tcp_conn *c, int err)
{
	struct rte_mbuf *m = tcp_conn_user(c);

	(void)err;
	rte_pktmbuf_free(m);
	tcp_conn_set_user(c, NULL);
}

static int accept_any(struct tcp_conn *c, void *arg)
{
	(void)arg;
	tcp_conn_set_user(c, NULL);
	return 0;
}

static const struct tcp_app_ops echo_ops = {
	.accept = accept_any,
	.readable = echo_readable,
	.writable = echo_readable,
	.closed = echo_closed,
};

/* ---- discard ---- */

static void discard_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	while ((m = tcp_conn_recv(c)) != NULL) {
		rte_pktmbuf_free(m);
	}
	if (tcp_conn_eof(c)) {
		tcp_conn_close(c);
	}
}

static void nothing_closed(struct tcp_conn *c, int err)
{
	(void)c;
	(void)err;
}

static const struct tcp_app_ops discard_ops = {
	.accept = accept_any,
	.readable = discard_readable,
	.closed = nothing_closed,
};

/* ---- source: the user pointer holds the pattern offset (bytes sent mod 256) ---- */

static void source_pump(struct tcp_conn *c)
{
	uintptr_t off = (uintptr_t)tcp_conn_user(c);

	for (;;) {
		int n = tcp_conn_write(c, pattern + off, PATTERN_RUN);

		if (n <= 0) {
			break;
		}
		off = (off + (uintptr_t)n) & 0xff;
	}
	tcp_conn_set_user(c, (void *)off);
}

static int source_accept(struct tcp_conn *c, void *arg)
{
	(void)arg;
	tcp_conn_set_user(c, (void *)(uintptr_t)0);
	source_pump(c);
	return 0;
}

static void source_connected(struct tcp_conn *c)
{
	source_pump(c);
}

static void source_readable(struct tcp_conn *c)
{
	discard_readable(c);
}

static const struct tcp_app_ops source_ops = {
	.accept = source_accept,
	.connected = source_connected,
	.readable = source_readable,
	.writable = source_pump,
	.closed = nothing_closed,
};

static int listen_both(struct tcp_stack *st, uint16_t port, const struct tcp_app_ops *ops)
{
	int rc;

	if (port == 0) {
		return 0;
	}
	rc = tcp_listen(st, 4, NULL, port, ops, NULL);
	if (rc == 0) {
		rc = tcp_listen(st, 6, NULL, port, ops, NULL);
	}
	return rc;
}

int tcp_apps_listen(struct tcp_stack *st, const struct conf_tcp_apps *apps)
{
	int rc;

	pattern_init();
	rc = listen_both(st, apps->echo, &echo_ops);
	if (rc == 0) {
		rc = listen_both(st, apps->discard, &discard_ops);
	}
	if (rc == 0) {
		rc = listen_both(st, apps->source, &source_ops);
	}
	return rc;
}

int tcp_apps_connect(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		     uint16_t dport)
{
	struct tcp_conn *c;

	pattern_init();
	return tcp_connect(st, port_idx, family, dst, dport, &source_ops, (void *)(uintptr_t)0, &c);
}
