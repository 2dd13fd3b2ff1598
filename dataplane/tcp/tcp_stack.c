/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_stack.c - one worker's TCP stack: the connection pool, listeners and
 * passive opens (SYN queue bounded per listener, SYN cookies beyond it),
 * active opens with RSS-steered source ports, segment dispatch with bulk
 * table lookups, the flush list, TIME_WAIT bookkeeping and the API of
 * tcp_stack.h for the layers above.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "tcp_conn.h"

static const char *const ctr_names[] = {
#define _(sym, str) [TCP_CTR_##sym] = str,
	foreach_tcp_ctr(_)
#undef _
};

static const char *const state_names[] = {
	[TCP_CLOSED] = "CLOSED",	   [TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN_SENT",	   [TCP_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",   [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CLOSING] = "CLOSING",	   [TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_ctr_name(enum tcp_ctr c)
{
	return (unsigned)c < TCP_CTR__MAX ? ctr_names[c] : "unknown";
}

const char *tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCP__STATE_MAX ? state_names[s] : "?";
}

void tcp_stack_conf_defaults(struct tcp_stack_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_conns = 4096;
	c->rcvbuf = 256 * 1024;
	c->sndbuf = 256 * 1024;
	c->cc = &tcp_cc_cubic_ops;
	c->nodelay = true;
	c->syn_backlog = 256;
	c->syncookies = true;
	c->time_wait_ms = 60000;
	c->time_wait_max = 4096;
	c->fin_wait2_ms = 60000;
	c->delack_ms = 40;
	c->min_rto_ms = 200;
	c->max_retries = 15;
	c->syn_retries = 6;
	c->orphan_retries = 8;
	c->persist_max_ms = TCP_PERSIST_MAX_MS_DEFAULT;
	c->keepalive = false;
	c->keep_idle_ms = 7200 * 1000;
	c->keep_intvl_ms = 75 * 1000;
	c->keep_cnt = 9;
	c->eph_lo = 32768;
	c->eph_hi = 60999;
	c->seed = 1;
	c->sack = true;
	c->timestamps = true;
	c->wscale = true;
}

/* ---- mbuf queues ---------------------------------------------------- */

void tcp_mq_init(struct tcp_mq *q)
{
	memset(q, 0, sizeof(*q));
}

void tcp_mq_append(struct tcp_mq *q, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *last = m;
	uint32_t nb = 1;

	while (last->next != NULL) {
		last = last->next;
		nb++;
	}
	if (q->head == NULL) {
		q->head = m;
	} else {
		q->tail->next = m;
	}
	q->tail = last;
	q->bytes += len;
	q->nb += nb;
}

void tcp_mq_free(struct tcp_mq *q)
{
	struct rte_mbuf *m = q->head, *next;

	while (m != NULL) {
		next = m->next;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	tcp_mq_init(q);
}

void tcp_mq_consume(struct tcp_mq *q, uint32_t n)
{
	struct rte_mbuf *m = q->head;

	if (n > q->bytes) {
		n = q->bytes;
	}
	q->bytes -= n;
	n += q->off;
	while (m != NULL && n >= m->data_len && (n > 0 || m->data_len == 0)) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		q->nb--;
		m = next;
	}
	q->head = m;
	q->off = m != NULL ? n : 0;
	if (m == NULL) {
		q->tail = NULL;
	}
}

struct rte_mbuf *tcp_mbuf_trim_front(struct rte_mbuf *m, uint32_t n)
{
	while (m != NULL && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		if (next != NULL) {
			next->nb_segs = m->nb_segs - 1;
			next->pkt_len = m->pkt_len - m->data_len;
		}
		n -= m->data_len;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	if (m != NULL && n > 0) {
		m->data_off += n;
		m->data_len -= n;
		m->pkt_len -= n;
	}
	return m;
}

void tcp_mbuf_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *s = m;
	uint32_t left = len;
	uint16_t nb = 1;

	m->pkt_len = len;
	while (s->next != NULL && left > s->data_len) {
		left -= s->data_len;
		s = s->next;
		nb++;
	}
	s->data_len = left < s->data_len ? left : s->data_len;
	if (s->next != NULL) {
		rte_pktmbuf_free(s->next);
		s->next = NULL;
	}
	m->nb_segs = nb;
}

/* ---- pool, states, flush list --------------------------------------- */

void tcp_conn_mark(struct tcp_conn *c)
{
	if (!(c->flags & TCP_F_DIRTY)) {
		c->flags |= TCP_F_DIRTY;
		c->dirty_next = c->st->dirty;
		c->st->dirty = c;
	}
}

void tcp_conn_set_state(struct tcp_conn *c, enum tcp_state s)
{
	struct tcp_stack *st = c->st;

	if (c->state == TCP_SYN_RECEIVED && c->listen_idx != TCP_CONN_NONE &&
	    st->listeners[c->listen_idx].nb_syn > 0) {
		st->listeners[c->listen_idx].nb_syn--;
	}
	if (c->state == TCP_TIME_WAIT) {
		/* Off the TIME_WAIT list. */
		if (c->tw_prev != NULL) {
			c->tw_prev->tw_next = c->tw_next;
		} else if (st->tw_head == c) {
			st->tw_head = c->tw_next;
		}
		if (c->tw_next != NULL) {
			c->tw_next->tw_prev = c->tw_prev;
		} else if (st->tw_tail == c) {
			st->tw_tail = c->tw_prev;
		}
		c->tw_prev = c->tw_next = NULL;
		st->nb_tw--;
	}
	st->stats.by_state[c->state]--;
	c->state = (uint8_t)s;
	st->stats.by_state[s]++;
	if (s == TCP_SYN_RECEIVED && c->listen_idx != TCP_CONN_NONE) {
		st->listeners[c->listen_idx].nb_syn++;
	}
}

struct tcp_conn *tcp_conn_alloc(struct tcp_stack *st, const struct tcp_key *k)
{
	struct tcp_conn *c;
	uint32_t idx;

	if (st->nb_free == 0) {
		tcp_ctr(st, TCP_CTR_CONN_NO_MEM, 1);
		return NULL;
	}
	idx = st->free_idx[st->nb_free - 1];
	if (tcp_table_add(st->tbl, k, idx) != 0) {
		tcp_ctr(st, TCP_CTR_CONN_NO_MEM, 1);
		return NULL;
	}
	st->nb_free--;
	c = &st->conns[idx];
	memset(c, 0, offsetof(struct tcp_conn, ooo));
	c->idx = idx;
	c->st = st;
	c->key = *k;
	c->family = k->family;
	c->listen_idx = TCP_CONN_NONE;
	c->state = TCP_CLOSED;
	st->stats.by_state[TCP_CLOSED]++;
	st->stats.conns++;
	twheel_timer_init(&c->tm);
	tcp_mq_init(&c->sndq);
	tcp_mq_init(&c->rcvq);
	tcp_sack_board_init(&c->sb);
	tcp_sack_rcv_init(&c->sr);
	if (st->conf.nodelay) {
		c->flags |= TCP_F_NODELAY;
	}
	if (st->conf.keepalive) {
		c->flags |= TCP_F_KEEPALIVE;
	}
	c->keep_idle_ms = st->conf.keep_idle_ms;
	c->keep_intvl_ms = st->conf.keep_intvl_ms;
	c->keep_cnt = st->conf.keep_cnt;
	c->quickack = TCP_QUICKACK_SEGS;
	c->rcv_wscale = 0;
	c->last_rcv_ms = st->now_ms;
	{
		struct tcp_rtt_params p;

		tcp_rtt_params_default(&p);
		p.min_rto_us = (uint64_t)st->conf.min_rto_ms * 1000;
		if (p.initial_rto_us < p.min_rto_us) {
			p.initial_rto_us = p.min_rto_us;
		}
		if (tcp_rtt_init(&c->rtt, &p) != 0) {
			tcp_rtt_params_default(&p);
			(void)!tcp_rtt_init(&c->rtt, &p);
		}
	}
	return c;
}

/* Return |c| to the pool: everything it holds is freed. */
static void conn_free(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	twheel_cancel(&st->wheel, &c->tm);
	tcp_mq_free(&c->sndq);
	tcp_mq_free(&c->rcvq);
	for (uint32_t i = 0; i < c->nb_ooo; i++) {
		rte_pktmbuf_free(c->ooo[i].m);
	}
	c->nb_ooo = 0;
	st->stats.by_state[c->state]--;
	st->stats.conns--;
	c->state = TCP_CLOSED;
	c->flags = 0;
	st->free_idx[st->nb_free++] = c->idx;
}

/* Hand the connection back from the app: |closed| is called once. */
static void app_release(struct tcp_conn *c, int err)
{
	const struct tcp_app_ops *ops = c->ops;

	c->ops = NULL;
	if (ops != NULL && ops->closed != NULL && (c->flags & TCP_F_APP_HELD)) {
		ops->closed(c, err);
	}
}

void tcp_conn_drop(struct tcp_conn *c, int err)
{
	struct tcp_stack *st = c->st;

	if (c->flags & TCP_F_REAP) {
		return;
	}
	if (c->state == TCP_TIME_WAIT || c->state == TCP_SYN_RECEIVED) {
		tcp_conn_set_state(c, TCP_CLOSED); /* list and SYN-queue bookkeeping */
	}
	(void)!tcp_table_del(st->tbl, &c->key);
	twheel_cancel(&st->wheel, &c->tm);
	c->t_rexmt = c->t_dack = c->t_persist = c->t_keep = c->t_close = c->t_tlp = 0;
	if (err == -ETIMEDOUT) {
		tcp_ctr(st, TCP_CTR_TIMEOUTS, 1);
	}
	c->close_err = err;
	c->flags |= TCP_F_REAP;
	tcp_conn_mark(c);
	app_release(c, err);
}

void tcp_enter_time_wait(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	c->t_rexmt = c->t_persist = c->t_keep = c->t_dack = 0;
	if (st->conf.time_wait_ms == 0) {
		tcp_conn_drop(c, 0);
		return;
	}
	if (st->conf.time_wait_max == 0) {
		tcp_ctr(st, TCP_CTR_TW_DROPPED, 1);
		tcp_conn_drop(c, 0);
		return;
	}
	while (st->nb_tw >= st->conf.time_wait_max && st->tw_head != NULL) {
		tcp_ctr(st, TCP_CTR_TW_DROPPED, 1);
		tcp_conn_drop(st->tw_head, 0);
	}
	/* Data that arrived with the FIN reaches the app before it lets go (unless it closed). */
	if ((c->flags & TCP_F_READABLE) && !(c->flags & TCP_F_APP_CLOSED) && c->ops != NULL &&
	    c->ops->readable != NULL) {
		c->flags &= ~TCP_F_READABLE;
		c->ops->readable(c);
		if (c->flags & TCP_F_REAP) {
			return;
		}
	}
	tcp_conn_set_state(c, TCP_TIME_WAIT);
	c->tw_prev = st->tw_tail;
	c->tw_next = NULL;
	if (st->tw_tail != NULL) {
		st->tw_tail->tw_next = c;
	} else {
		st->tw_head = c;
	}
	st->tw_tail = c;
	st->nb_tw++;
	/* Free what the app no longer needs; TIME_WAIT only answers FINs. */
	tcp_mq_free(&c->sndq);
	tcp_mq_free(&c->rcvq);
	c->t_close = st->now_ms + st->conf.time_wait_ms;
	tcp_timer_update(c);
	app_release(c, 0);
}

void tcp_conn_setup_cc(struct tcp_conn *c)
{
	uint32_t mss = c->peer_mss;
	uint32_t own = c->rmss;

	if (mss > own) {
		mss = own; /* our MTU bounds what we send too */
	}
	if (c->flags & TCP_F_TS) {
		mss -= TCP_OLEN_TS + 2; /* RFC 6691: MSS excludes options */
	}
	if (mss < 64) {
		mss = 64;
	}
	c->smss = (uint16_t)mss;
	(void)!tcp_cc_init(&c->cc, c->st->conf.cc, mss, c->st->now_us);
}

void tcp_deliver_established(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	tcp_ctr(st, TCP_CTR_ESTABLISHED, 1);
	if (c->flags & TCP_F_PASSIVE) {
		struct tcp_listener *l = &st->listeners[c->listen_idx];
		int rc = 0;

		c->ops = l->ops;
		if (c->ops != NULL && c->ops->accept != NULL) {
			rc = c->ops->accept(c, l->arg);
		}
		if (rc < 0 || c->ops == NULL) {
			c->ops = NULL;
			tcp_send_rst(c);
			tcp_conn_drop(c, -ECONNABORTED);
			return;
		}
		c->flags |= TCP_F_APP_HELD;
	} else if (!(c->flags & TCP_F_APP_CLOSED)) {
		/* (An app that closed before this hears only |closed|.) */
		if (c->ops != NULL && c->ops->connected != NULL) {
			c->ops->connected(c);
		}
	}
	if (c->flags & TCP_F_KEEPALIVE) {
		c->t_keep = st->now_ms + c->keep_idle_ms;
		tcp_timer_update(c);
	}
}

/* ---- ISN (RFC 6528): M + F(4-tuple, secret), F = SipHash ------------- */

static EVP_MAC_CTX *isn_mac_new(const uint8_t key[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = NULL;
	size_t size = 8;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_construct_end(),
	};

	if (mac == NULL) {
		return NULL;
	}
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx != NULL && EVP_MAC_init(ctx, key, 16, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* The stack keeps its ISN MAC next to the cookie contexts; see tcp_stack_new. */
struct tcp_stack_priv {
	struct tcp_stack st;
	EVP_MAC_CTX *isn;
};

static uint32_t isn_for(struct tcp_stack *st, const struct tcp_key *k)
{
	struct tcp_stack_priv *p = (struct tcp_stack_priv *)st;
	uint8_t out[8] = {0};
	size_t outl = 0;
	uint32_t f = 0;

	if (p->isn != NULL && EVP_MAC_init(p->isn, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(p->isn, (const uint8_t *)k, sizeof(*k)) == 1 &&
	    EVP_MAC_final(p->isn, out, &outl, sizeof(out)) == 1) {
		memcpy(&f, out, 4);
	} else {
		f = rte_rand() & 0xffffffffu;
	}
	/* M: a 4 us clock (RFC 9293 3.4.1). */
	return (uint32_t)(st->now_us / 4) + f;
}

/* ---- the stack --------------------------------------------------------- */

static uint8_t wscale_for(uint32_t rcvbuf)
{
	uint8_t s = 0;

	while (s < TCP_RCV_WSCALE_MAX && ((uint64_t)65535 << s) < rcvbuf) {
		s++;
	}
	return s;
}

struct tcp_stack *tcp_stack_new(const char *name, int socket, const struct tcp_stack_conf *conf,
				const struct tcp_stack_env *env, uint64_t now_us)
{
	struct tcp_stack_priv *p;
	struct tcp_stack *st;

	if (name == NULL || conf == NULL || env == NULL || env->emit == NULL ||
	    env->pool == NULL || conf->max_conns == 0 || conf->cc == NULL ||
	    conf->eph_lo == 0 || conf->eph_lo > conf->eph_hi || conf->rcvbuf < 1024 ||
	    conf->sndbuf < 1024) {
		rte_errno = EINVAL;
		return NULL;
	}
	p = rte_zmalloc_socket("tcp_stack", sizeof(*p), RTE_CACHE_LINE_SIZE, socket);
	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	st = &p->st;
	st->conf = *conf;
	if (st->conf.persist_max_ms == 0) {
		st->conf.persist_max_ms = TCP_PERSIST_MAX_MS_DEFAULT; /* a conf made without tcp_stack_conf_defaults */
	}
	st->env = *env;
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	st->rcv_wscale = wscale_for(conf->rcvbuf);
	st->port_rr = conf->seed * 2654435761u;
	st->conns = rte_zmalloc_socket("tcp_conns", sizeof(struct tcp_conn) * conf->max_conns,
				       RTE_CACHE_LINE_SIZE, socket);
	st->free_idx = rte_malloc_socket("tcp_free", sizeof(uint32_t) * conf->max_conns, 0,
					 socket);
	st->slots = rte_malloc_socket("tcp_wheel", sizeof(struct twheel_timer) * TCP_WHEEL_SLOTS,
				      0, socket);
	st->tbl = tcp_table_new(name, conf->max_conns, socket);
	if (st->conns == NULL || st->free_idx == NULL || st->slots == NULL || st->tbl == NULL ||
	    twheel_init(&st->wheel, st->slots, TCP_WHEEL_SLOTS, st->now_ms) != 0) {
		tcp_stack_free(st);
		rte_errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < conf->max_conns; i++) {
		st->free_idx[i] = conf->max_conns - 1 - i; /* index 0 first */
	}
	st->nb_free = conf->max_conns;
	st->stats.by_state[TCP_CLOSED] = 0;
	if (conf->syncookies) {
		st->syncookie_ok = tcp_syncookie_ctx_init(&st->sc, conf->secret) == 0;
	}
	p->isn = isn_mac_new(conf->secret + 16);
	/* The copy of the secret in st->conf is no longer needed. */
	OPENSSL_cleanse(st->conf.secret, sizeof(st->conf.secret));
	return st;
}

void tcp_stack_free(struct tcp_stack *st)
{
	struct tcp_stack_priv *p = (struct tcp_stack_priv *)st;

	if (st == NULL) {
		return;
	}
	if (st->conns != NULL && st->free_idx != NULL) {
		for (uint32_t i = 0; i < st->conf.max_conns; i++) {
			struct tcp_conn *c = &st->conns[i];

			if (c->st == st && c->state != TCP_CLOSED) {
				if (c->state != TCP_TIME_WAIT && c->state != TCP_SYN_SENT) {
					tcp_send_rst(c);
				}
				tcp_conn_drop(c, -ECONNABORTED);
			}
		}
		tcp_stack_flush(st);
	}
	tcp_syncookie_ctx_cleanup(&st->sc);
	EVP_MAC_CTX_free(p->isn);
	tcp_table_free(st->tbl);
	rte_free(st->slots);
	rte_free(st->free_idx);
	rte_free(st->conns);
	rte_free(p);
}

int tcp_stack_set_port(struct tcp_stack *st, uint16_t idx, const struct tcp_stack_port *port)
{
	if (st == NULL || port == NULL || idx >= TCP_STACK_PORTS_MAX || port->mtu < 576) {
		return -EINVAL;
	}
	st->ports[idx] = *port;
	st->ports[idx].used = true;
	return 0;
}

const struct tcp_stack_stats *tcp_stack_stats(const struct tcp_stack *st)
{
	return &st->stats;
}

/* Our MSS on |port| for |family| (RFC 6691: MTU less the fixed headers), bounded by mbuf room. */
static uint16_t own_mss(const struct tcp_stack *st, uint16_t port_idx, uint8_t family)
{
	uint32_t mtu = st->ports[port_idx].mtu;
	uint32_t mss = mtu - (family == TCP_KEY_V4 ? 40 : 60);
	uint32_t room = rte_pktmbuf_data_room_size(st->env.pool);
	uint32_t fit = room > RTE_PKTMBUF_HEADROOM + 60 + TCP_HDR_MAX
			       ? room - RTE_PKTMBUF_HEADROOM - 60 - TCP_HDR_MAX
			       : 536;

	if (mss > fit) {
		mss = fit;
	}
	return (uint16_t)mss;
}

int tcp_listen(struct tcp_stack *st, uint8_t family, const uint8_t *addr, uint16_t port,
	       const struct tcp_app_ops *ops, void *arg)
{
	uint32_t i;
	int rc;

	if (st == NULL || ops == NULL || ops->closed == NULL || port == 0 ||
	    (family != TCP_KEY_V4 && family != TCP_KEY_V6)) {
		return -EINVAL;
	}
	for (i = 0; i < TCP_LISTEN_MAX && st->listeners[i].used; i++) {
	}
	if (i == TCP_LISTEN_MAX) {
		return -ENOSPC;
	}
	rc = tcp_listen_add(st->tbl, family, addr, port, i);
	if (rc != 0) {
		return rc;
	}
	memset(&st->listeners[i], 0, sizeof(st->listeners[i]));
	st->listeners[i].used = true;
	st->listeners[i].family = family;
	st->listeners[i].port = port;
	if (addr != NULL) {
		memcpy(st->listeners[i].addr, addr, family == TCP_KEY_V4 ? 4 : 16);
	}
	st->listeners[i].ops = ops;
	st->listeners[i].arg = arg;
	return 0;
}

/* Local address of |port| for |family| into |out| (4 or 16 bytes). */
static int port_addr(const struct tcp_stack *st, uint16_t port_idx, uint8_t family, uint8_t *out)
{
	const struct tcp_stack_port *p;

	if (port_idx >= TCP_STACK_PORTS_MAX || !st->ports[port_idx].used) {
		return -EINVAL;
	}
	p = &st->ports[port_idx];
	if (family == TCP_KEY_V4 && p->has_ip4) {
		memcpy(out, &p->ip4, 4);
		return 0;
	}
	if (family == TCP_KEY_V6 && p->has_ip6) {
		memcpy(out, p->ip6, 16);
		return 0;
	}
	return -EADDRNOTAVAIL;
}

struct port_probe {
	struct tcp_stack *st;
	uint8_t family;
	const uint8_t *laddr;
	const uint8_t *raddr;
	uint16_t rport;
};

static void key_make(struct tcp_key *k, uint8_t family, const uint8_t *laddr, uint16_t lport,
		     const uint8_t *raddr, uint16_t rport)
{
	if (family == TCP_KEY_V4) {
		uint32_t l, r;

		memcpy(&l, laddr, 4);
		memcpy(&r, raddr, 4);
		tcp_key4(k, l, lport, r, rport);
	} else {
		tcp_key6(k, laddr, lport, raddr, rport);
	}
}

static bool port_in_use(void *arg, uint16_t port)
{
	struct port_probe *pp = arg;
	struct tcp_key k;
	uint32_t idx;

	key_make(&k, pp->family, pp->laddr, port, pp->raddr, pp->rport);
	return tcp_table_lookup(pp->st->tbl, &k, &idx) == 0;
}

/* Fill the fields every new connection needs once its key is known. */
static void conn_init_common(struct tcp_conn *c, uint16_t port_idx)
{
	struct tcp_stack *st = c->st;

	c->port_idx = port_idx;
	c->rmss = own_mss(st, port_idx, c->family);
	c->peer_mss = c->family == TCP_KEY_V4 ? 536 : 1220; /* RFC 9293 3.7.1 default */
	c->ts_off = (uint32_t)rte_rand();
	c->iss = isn_for(st, &c->key);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->high_rxt = c->iss;
	c->rcv_wscale = st->rcv_wscale;
	tcp_conn_setup_cc(c);
}

int tcp_connect(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		uint16_t dport, const struct tcp_app_ops *ops, void *user, struct tcp_conn **out)
{
	const struct tcp_stack_port *p;
	struct port_probe pp;
	uint8_t laddr[16];
	struct tcp_key k;
	struct tcp_conn *c;
	int lport, rc;

	if (st == NULL || dst == NULL || dport == 0 || ops == NULL || ops->closed == NULL ||
	    out == NULL || (family != TCP_KEY_V4 && family != TCP_KEY_V6)) {
		return -EINVAL;
	}
	rc = port_addr(st, port_idx, family, laddr);
	if (rc != 0) {
		return rc;
	}
	p = &st->ports[port_idx];
	pp = (struct port_probe){.st = st, .family = family, .laddr = laddr, .raddr = dst,
				 .rport = dport};
	st->port_rr = st->port_rr * 1103515245u + 12345u;
	if (p->rss == NULL) {
		struct tcp_rss none;

		if (tcp_rss_init(&none, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 1) != 0) {
			return -EINVAL;
		}
		lport = family == TCP_KEY_V4
				? tcp_rss_pick_port4(&none, p->ip4, *(const uint32_t *)(const void *)dst,
						     dport, 0, st->conf.eph_lo, st->conf.eph_hi,
						     st->port_rr, port_in_use, &pp)
				: tcp_rss_pick_port6(&none, laddr, dst, dport, 0, st->conf.eph_lo,
						     st->conf.eph_hi, st->port_rr, port_in_use, &pp);
	} else if (family == TCP_KEY_V4) {
		uint32_t d;

		memcpy(&d, dst, 4);
		lport = tcp_rss_pick_port4(p->rss, p->ip4, d, dport, p->queue, st->conf.eph_lo,
					   st->conf.eph_hi, st->port_rr, port_in_use, &pp);
	} else {
		lport = tcp_rss_pick_port6(p->rss, laddr, dst, dport, p->queue, st->conf.eph_lo,
					   st->conf.eph_hi, st->port_rr, port_in_use, &pp);
	}
	if (lport < 0) {
		return lport;
	}
	key_make(&k, family, laddr, (uint16_t)lport, dst, dport);
	c = tcp_conn_alloc(st, &k);
	if (c == NULL) {
		return -ENOMEM;
	}
	conn_init_common(c, port_idx);
	c->ops = ops;
	c->user = user;
	c->flags |= TCP_F_APP_HELD; /* from here on |closed| ends the open, whatever happens */
	tcp_conn_set_state(c, TCP_SYN_SENT);
	tcp_ctr(st, TCP_CTR_ACTIVE_OPENS, 1);
	(void)tcp_send_syn(c);
	*out = c;
	return 0;
}

/* ---- passive opens --------------------------------------------------- */

static void seg_addrs(const struct tcp_pkt *p, const uint8_t **src, const uint8_t **dst)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(p->m, const uint8_t *, p->l3_off);

	if (p->family == TCP_KEY_V4) {
		*src = l3 + 12;
		*dst = l3 + 16;
	} else {
		*src = l3 + 8;
		*dst = l3 + 24;
	}
}

static void cookie_addrs(const struct tcp_pkt *p, const uint8_t *src, const uint8_t *dst,
			 struct tcp_syncookie_addrs *a)
{
	if (p->family == TCP_KEY_V4) {
		uint32_t s, d;

		memcpy(&s, src, 4);
		memcpy(&d, dst, 4);
		tcp_syncookie_addrs4(a, s, d);
	} else {
		tcp_syncookie_addrs6(a, src, dst);
	}
}

/* Reset for a segment nobody owns: RFC 9293 3.10.7.1 form. */
static void reset_for(struct tcp_stack *st, const struct tcp_pkt *p, const struct tcp_seg *seg)
{
	const uint8_t *src, *dst;
	struct tcp_seg r = {0};

	if (seg->flags & TCP_FLAG_RST) {
		return;
	}
	seg_addrs(p, &src, &dst);
	r.sport = seg->dport;
	r.dport = seg->sport;
	if (seg->flags & TCP_FLAG_ACK) {
		r.seq = seg->ack;
		r.flags = TCP_FLAG_RST;
	} else {
		r.seq = 0;
		r.ack = seg->seq + (uint32_t)seg->payload_len + !!(seg->flags & TCP_FLAG_SYN) +
			!!(seg->flags & TCP_FLAG_FIN);
		r.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
	tcp_send_raw(st, p->port_idx, p->family, dst, src, &r);
	tcp_ctr(st, TCP_CTR_RESETS_OUT, 1);
}

/* Apply the options of a received SYN to |c| (passive or active open). */
static void syn_options(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seg->opts.has_mss && seg->opts.mss > 0) {
		c->peer_mss = seg->opts.mss;
	}
	if (seg->opts.has_wscale && c->st->conf.wscale) {
		c->flags |= TCP_F_WSCALE;
		c->snd_wscale = seg->opts.wscale;
		c->rcv_wscale = c->st->rcv_wscale;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (seg->opts.sack_permitted && c->st->conf.sack) {
		c->flags |= TCP_F_SACK;
	}
	if (seg->opts.has_ts && c->st->conf.timestamps) {
		c->flags |= TCP_F_TS;
		c->ts_recent = seg->opts.ts_val;
		c->ts_recent_ms = c->st->now_ms;
	}
	tcp_conn_setup_cc(c);
}

void tcp_stack_syn_options(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_stack_syn_options(struct tcp_conn *c, const struct tcp_seg *seg)
{
	syn_options(c, seg);
}

static void listen_syn(struct tcp_stack *st, const struct tcp_pkt *p, const struct tcp_key *k,
		       uint32_t li, const struct tcp_seg *seg)
{
	struct tcp_listener *l = &st->listeners[li];
	struct tcp_conn *c = NULL;

	if (l->nb_syn < st->conf.syn_backlog) {
		c = tcp_conn_alloc(st, k);
	}
	if (c == NULL) {
		/* SYN queue full (a flood) or no connection left: answer statelessly. */
		const uint8_t *src, *dst;
		struct tcp_syncookie_addrs a;
		struct tcp_syncookie_synack sa;
		struct tcp_seg syn = *seg;

		syn.opts.has_wscale = syn.opts.has_wscale && st->conf.wscale;
		syn.opts.sack_permitted = syn.opts.sack_permitted && st->conf.sack;
		syn.opts.has_ts = syn.opts.has_ts && st->conf.timestamps;
		struct tcp_seg r = {0};

		if (!st->syncookie_ok) {
			tcp_ctr(st, TCP_CTR_SYN_DROPPED, 1);
			return;
		}
		seg_addrs(p, &src, &dst);
		cookie_addrs(p, src, dst, &a);
		if (tcp_syncookie_make(&st->sc, &a, &syn, st->now_us, (uint32_t)st->now_ms, &sa) !=
		    0) {
			tcp_ctr(st, TCP_CTR_SYN_DROPPED, 1);
			return;
		}
		r.sport = seg->dport;
		r.dport = seg->sport;
		r.seq = sa.isn;
		r.ack = seg->seq + 1;
		r.flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
		r.window = (uint16_t)RTE_MIN(st->conf.rcvbuf, 65535u);
		r.opts.has_mss = true;
		r.opts.mss = own_mss(st, p->port_idx, p->family);
		if (sa.wscale) {
			r.opts.has_wscale = true;
			r.opts.wscale = st->rcv_wscale;
		}
		r.opts.sack_permitted = sa.sack;
		if (sa.ts) {
			r.opts.has_ts = true;
			r.opts.ts_val = sa.tsval;
			r.opts.ts_ecr = seg->opts.ts_val;
		}
		tcp_send_raw(st, p->port_idx, p->family, dst, src, &r);
		tcp_ctr(st, TCP_CTR_SYNCOOKIES_SENT, 1);
		return;
	}
	c->flags |= TCP_F_PASSIVE;
	c->listen_idx = li;
	conn_init_common(c, p->port_idx);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_edge = c->rcv_nxt;
	c->snd_wnd = seg->window; /* a SYN's window is never scaled (RFC 7323 2.2) */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	syn_options(c, seg);
	tcp_conn_set_state(c, TCP_SYN_RECEIVED);
	tcp_ctr(st, TCP_CTR_PASSIVE_OPENS, 1);
	(void)tcp_send_syn(c);
}

static struct rte_mbuf *take_payload(const struct tcp_pkt *p, const struct tcp_seg *seg);

/*
 * An ACK for a listener with no connection: a SYN cookie, or a reset. Returns
 * true when a cookie made the connection and the segment (p->m, payload and
 * all) went to it.
 */
static bool listen_ack(struct tcp_stack *st, const struct tcp_pkt *p, const struct tcp_key *k,
		       uint32_t li, struct tcp_seg *seg)
{
	const uint8_t *src, *dst;
	struct tcp_syncookie_addrs a;
	struct tcp_syncookie_conn sc;
	struct rte_mbuf *payload;
	struct tcp_conn *c;

	if (!st->syncookie_ok) {
		return false;
	}
	seg_addrs(p, &src, &dst);
	cookie_addrs(p, src, dst, &a);
	/*
	 * Only a segment at IRS + 1 carries the cookie back: if the ACK, the data
	 * and all that follows were lost and the peer retransmits a later segment
	 * first (a tail-loss probe of its FIN), this fails and the peer is reset,
	 * as in Linux. The SYN queue holds such connections; the cookies are for
	 * what does not fit.
	 */
	if (tcp_syncookie_check(&st->sc, &a, seg, st->now_us, &sc) != 0) {
		tcp_ctr(st, TCP_CTR_SYNCOOKIES_BAD, 1);
		return false;
	}
	c = tcp_conn_alloc(st, k);
	if (c == NULL) {
		return false;
	}
	tcp_ctr(st, TCP_CTR_SYNCOOKIES_OK, 1);
	c->flags |= TCP_F_PASSIVE;
	c->listen_idx = li;
	conn_init_common(c, p->port_idx);
	c->iss = sc.iss;
	c->snd_una = c->snd_nxt = c->snd_max = sc.iss + 1;
	c->recover = c->high_rxt = c->snd_una;
	c->irs = sc.irs;
	c->rcv_nxt = sc.irs + 1;
	c->rcv_adv = c->rcv_edge = c->rcv_nxt + RTE_MIN(st->conf.rcvbuf, 65535u);
	c->peer_mss = sc.mss;
	c->ts_off = 0; /* cookie SYN-ACKs carry the stack clock unshifted */
	if (sc.wscale) {
		c->flags |= TCP_F_WSCALE;
		c->snd_wscale = sc.snd_wscale;
		c->rcv_wscale = st->rcv_wscale;
	} else {
		c->snd_wscale = c->rcv_wscale = 0;
	}
	if (sc.sack) {
		c->flags |= TCP_F_SACK;
	}
	if (sc.ts) {
		c->flags |= TCP_F_TS;
		c->ts_recent = seg->opts.ts_val;
		c->ts_recent_ms = st->now_ms;
		c->last_ack_sent = c->rcv_nxt;
	}
	tcp_conn_setup_cc(c);
	c->snd_wnd = (uint32_t)seg->window << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	/* ESTABLISHED (counted from SYN_RECEIVED so the SYN queue is not touched). */
	c->listen_idx = TCP_CONN_NONE;
	tcp_conn_set_state(c, TCP_ESTABLISHED);
	c->listen_idx = li;
	tcp_ctr(st, TCP_CTR_PASSIVE_OPENS, 1);
	tcp_deliver_established(c);
	payload = take_payload(p, seg);
	if (!(c->flags & TCP_F_REAP)) {
		tcp_conn_input(c, seg, payload);
	} else if (payload != NULL) {
		rte_pktmbuf_free(payload);
	}
	return true;
}

/* ---- input dispatch -------------------------------------------------- */

/* Verify the checksum of |p| (hardware verdict, or software). */
static bool csum_ok(const struct tcp_pkt *p)
{
	struct rte_mbuf *m = p->m;
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
	uint32_t sum = 0;
	uint16_t res;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		return true;
	}
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		return false;
	}
	if (m->nb_segs == 1) {
		const uint8_t *l4 = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off);

		if (p->family == TCP_KEY_V4) {
			uint32_t s, d;

			memcpy(&s, l3 + 12, 4);
			memcpy(&d, l3 + 16, 4);
			return tcp_csum4(s, d, l4, p->l4_len) == 0;
		}
		return tcp_csum6(l3 + 8, l3 + 24, l4, p->l4_len) == 0;
	}
	/* A chain: pseudo-header plus rte_raw_cksum_mbuf over the segment. */
	if (rte_raw_cksum_mbuf(m, p->l4_off, p->l4_len, &res) != 0) {
		return false;
	}
	sum = res;
	if (p->family == TCP_KEY_V4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		sum += rte_raw_cksum(&ip->src_addr, 8);
	} else {
		sum += rte_raw_cksum(l3 + 8, 32);
	}
	sum += rte_cpu_to_be_16(6) + rte_cpu_to_be_16(p->l4_len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum == 0xffff;
}

/* Strip headers and padding: the payload of |p| as its own chain, or NULL. */
static struct rte_mbuf *take_payload(const struct tcp_pkt *p, const struct tcp_seg *seg)
{
	struct rte_mbuf *m = p->m;
	uint32_t off = p->l4_off + seg->hdr_len;

	if (seg->payload_len == 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	m = tcp_mbuf_trim_front(m, off);
	if (m == NULL) {
		return NULL;
	}
	if (m->pkt_len != seg->payload_len) {
		tcp_mbuf_trim_to(m, (uint32_t)seg->payload_len);
	}
	return m;
}

/* TIME_WAIT and a new SYN (RFC 6191 / RFC 1122 4.2.2.13): may it reopen? */
static bool tw_reopen(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	if ((seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN) {
		return false;
	}
	if ((c->flags & TCP_F_TS) && seg->opts.has_ts) {
		return tcp_seq_gt(seg->opts.ts_val, c->ts_recent);
	}
	return tcp_seq_gt(seg->seq, c->rcv_nxt);
}

static bool input_one(struct tcp_stack *st, const struct tcp_pkt *p, struct tcp_seg *seg,
		      const struct tcp_key *k, uint32_t idx)
{
	uint32_t li;

	/* A connection freed or created earlier in this burst: look again. */
	if (idx != TCP_CONN_NONE && (st->conns[idx].flags & TCP_F_REAP)) {
		idx = TCP_CONN_NONE;
	}
	if (idx == TCP_CONN_NONE && tcp_table_lookup(st->tbl, k, &idx) != 0) {
		idx = TCP_CONN_NONE;
	}
	if (idx != TCP_CONN_NONE) {
		struct tcp_conn *c = &st->conns[idx];

		if (c->state == TCP_TIME_WAIT && tw_reopen(c, seg) &&
		    tcp_listen_lookup(st->tbl, k, &li) == 0) {
			tcp_ctr(st, TCP_CTR_TW_RECYCLED, 1);
			tcp_conn_drop(c, 0);
			(void)!tcp_table_del(st->tbl, k);
		} else {
			tcp_conn_input(c, seg, take_payload(p, seg));
			return true;
		}
	}
	if (tcp_listen_lookup(st->tbl, k, &li) != 0) {
		return false;
	}
	if (seg->flags & TCP_FLAG_RST) {
		rte_pktmbuf_free(p->m);
		return true;
	}
	if ((seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN) {
		listen_syn(st, p, k, li, seg);
		rte_pktmbuf_free(p->m);
		return true;
	}
	if ((seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_ACK) {
		if (listen_ack(st, p, k, li, seg)) {
			return true;
		}
	}
	/* RFC 9293 3.10.7.2: anything else to a listener gets a reset (an ACK), or is dropped. */
	reset_for(st, p, seg);
	rte_pktmbuf_free(p->m);
	return true;
}

uint16_t tcp_stack_input(struct tcp_stack *st, const struct tcp_pkt *pkts, uint16_t n,
			 uint16_t *miss, uint64_t now_us)
{
	struct tcp_key keys[TCP_TABLE_BULK_MAX];
	const struct tcp_key *kp[TCP_TABLE_BULK_MAX];
	struct tcp_seg segs[TCP_TABLE_BULK_MAX];
	uint32_t idx[TCP_TABLE_BULK_MAX];
	bool ok[TCP_TABLE_BULK_MAX];
	uint16_t nb_miss = 0;

	if (now_us > st->now_us) {
		st->now_us = now_us;
		st->now_ms = now_us / 1000;
	}
	for (uint16_t base = 0; base < n; base += TCP_TABLE_BULK_MAX) {
		uint16_t cnt = RTE_MIN((uint16_t)(n - base), (uint16_t)TCP_TABLE_BULK_MAX);
		uint16_t nk = 0;
		uint16_t slot[TCP_TABLE_BULK_MAX];

		for (uint16_t i = 0; i < cnt; i++) {
			const struct tcp_pkt *p = &pkts[base + i];
			const uint8_t *l4 = rte_pktmbuf_mtod_offset(p->m, const uint8_t *, p->l4_off);
			uint32_t flat = rte_pktmbuf_data_len(p->m) - p->l4_off;
			const uint8_t *src, *dst;
			enum drop_reason why;

			ok[i] = false;
			tcp_ctr(st, TCP_CTR_SEG_IN, 1);
			if (p->l4_off >= rte_pktmbuf_data_len(p->m) ||
			    tcp_parse(l4, RTE_MIN(flat, (uint32_t)p->l4_len), &segs[i], &why) != 0) {
				tcp_ctr(st, TCP_CTR_BAD_SEG, 1);
				rte_pktmbuf_free(p->m);
				continue;
			}
			if (!csum_ok(p)) {
				tcp_ctr(st, TCP_CTR_BAD_CSUM, 1);
				rte_pktmbuf_free(p->m);
				continue;
			}
			segs[i].payload_len = p->l4_len - segs[i].hdr_len;
			seg_addrs(p, &src, &dst);
			key_make(&keys[nk], p->family, dst, segs[i].dport, src, segs[i].sport);
			kp[nk] = &keys[nk];
			slot[i] = nk++;
			ok[i] = true;
		}
		(void)tcp_table_lookup_burst(st->tbl, kp, nk, idx, NULL);
		for (uint16_t i = 0; i < cnt; i++) {
			if (!ok[i]) {
				continue;
			}
			if (!input_one(st, &pkts[base + i], &segs[i], &keys[slot[i]],
				       idx[slot[i]])) {
				miss[nb_miss++] = base + i;
			}
		}
	}
	tcp_stack_flush(st);
	return nb_miss;
}

/* ---- flush, timers --------------------------------------------------- */

void tcp_stack_flush(struct tcp_stack *st)
{
	if (st->flushing) {
		return;
	}
	st->flushing = true;
	while (st->dirty != NULL) {
		struct tcp_conn *c = st->dirty;

		st->dirty = c->dirty_next;
		c->dirty_next = NULL;
		c->flags &= ~TCP_F_DIRTY;
		if (c->flags & TCP_F_REAP) {
			conn_free(c);
			continue;
		}
		/* After tcp_conn_close only |closed| may follow. */
		if ((c->flags & TCP_F_READABLE) && c->ops != NULL &&
		    !(c->flags & TCP_F_APP_CLOSED)) {
			c->flags &= ~TCP_F_READABLE;
			if (c->ops->readable != NULL) {
				c->ops->readable(c);
			}
			if (c->flags & TCP_F_REAP) {
				continue; /* marked again: freed when popped */
			}
		}
		if ((c->flags & TCP_F_WANT_WRITE) && c->ops != NULL && tcp_conn_send_space(c) > 0) {
			c->flags &= ~TCP_F_WANT_WRITE;
			if (c->ops->writable != NULL) {
				c->ops->writable(c);
			}
			if (c->flags & TCP_F_REAP) {
				continue;
			}
		}
		tcp_output(c);
	}
	st->flushing = false;
}

void tcp_stack_tick(struct tcp_stack *st, uint64_t now_us)
{
	if (now_us > st->now_us) {
		st->now_us = now_us;
		st->now_ms = now_us / 1000;
	}
	(void)twheel_advance(&st->wheel, st->now_ms, tcp_timer_fire, st);
	tcp_stack_flush(st);
}

uint64_t tcp_stack_next_timer_us(const struct tcp_stack *st)
{
	uint64_t t = twheel_next(&st->wheel);

	return t == UINT64_MAX ? t : t * 1000;
}

/* ---- connection API -------------------------------------------------- */

void *tcp_conn_user(const struct tcp_conn *c)
{
	return c->user;
}

void tcp_conn_set_user(struct tcp_conn *c, void *user)
{
	c->user = user;
}

struct tcp_stack *tcp_conn_stack(const struct tcp_conn *c)
{
	return c->st;
}

uint32_t tcp_rcv_space(const struct tcp_conn *c)
{
	uint32_t used = c->rcvq.bytes + c->ooo_bytes;

	return used >= c->st->conf.rcvbuf ? 0 : c->st->conf.rcvbuf - used;
}

struct rte_mbuf *tcp_conn_recv(struct tcp_conn *c)
{
	struct rte_mbuf *m = c->rcvq.head;
	uint32_t before;

	if (m == NULL) {
		return NULL;
	}
	before = tcp_rcv_space(c);
	m->nb_segs = (uint16_t)c->rcvq.nb;
	m->pkt_len = c->rcvq.bytes;
	tcp_mq_init(&c->rcvq);
	/* Window update (RFC 9293 3.8.6.2.2): only when it opens by a useful amount. */
	if (c->state != TCP_CLOSED && tcp_rcv_space(c) - before >= c->rmss &&
	    (c->rcv_adv - c->rcv_nxt) < c->st->conf.rcvbuf / 2) {
		c->flags |= TCP_F_ACK_NOW;
		tcp_conn_mark(c);
	}
	return m;
}

uint32_t tcp_conn_recv_avail(const struct tcp_conn *c)
{
	return c->rcvq.bytes;
}

bool tcp_conn_eof(const struct tcp_conn *c)
{
	return (c->flags & TCP_F_FIN_RCVD) && c->rcvq.bytes == 0;
}

static bool can_send(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		return !(c->flags & (TCP_F_FIN_QUEUED | TCP_F_REAP));
	default:
		return false;
	}
}

uint32_t tcp_conn_send_space(const struct tcp_conn *c)
{
	if (!can_send(c) || c->sndq.bytes >= c->st->conf.sndbuf) {
		return 0;
	}
	return c->st->conf.sndbuf - c->sndq.bytes;
}

int tcp_conn_send(struct tcp_conn *c, struct rte_mbuf *m)
{
	uint32_t len;

	if (!can_send(c)) {
		return -EPIPE;
	}
	len = rte_pktmbuf_pkt_len(m);
	/*
	 * sndbuf is a soft limit: a chain is taken whenever some space is left,
	 * so a chain larger than the whole buffer (an echo of a full receive
	 * queue) cannot wait forever. The overshoot is at most one chain.
	 */
	if (tcp_conn_send_space(c) == 0) {
		c->flags |= TCP_F_WANT_WRITE;
		return -EAGAIN;
	}
	if (len == 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	tcp_mq_append(&c->sndq, m, len);
	tcp_conn_mark(c);
	return 0;
}

int tcp_conn_write(struct tcp_conn *c, const void *buf, uint32_t len)
{
	const uint8_t *src = buf;
	uint32_t space, done = 0;
	uint16_t room;

	if (!can_send(c)) {
		return -EPIPE;
	}
	space = tcp_conn_send_space(c);
	if (space == 0 && len > 0) {
		c->flags |= TCP_F_WANT_WRITE;
		return -EAGAIN;
	}
	room = (uint16_t)(rte_pktmbuf_data_room_size(c->st->env.pool) - RTE_PKTMBUF_HEADROOM);
	while (done < len && done < space) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(c->st->env.pool);
		uint32_t n = len - done < space - done ? len - done : space - done;

		if (n > room) {
			n = room;
		}

		if (m == NULL) {
			tcp_ctr(c->st, TCP_CTR_NO_MBUF, 1);
			break;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), src + done, n);
		tcp_mq_append(&c->sndq, m, n);
		done += n;
	}
	if (done < len) {
		c->flags |= TCP_F_WANT_WRITE;
	}
	if (done > 0) {
		tcp_conn_mark(c);
		return (int)done;
	}
	return len == 0 ? 0 : -ENOBUFS;
}

void tcp_conn_shutdown(struct tcp_conn *c)
{
	if (c->flags & (TCP_F_FIN_QUEUED | TCP_F_REAP)) {
		return;
	}
	switch (c->state) {
	case TCP_SYN_SENT:
		/* Nothing was exchanged yet: just go. */
		tcp_conn_drop(c, 0);
		return;
	case TCP_SYN_RECEIVED:
		/*
		 * RFC 9293 3.10.4: the FIN waits for ESTABLISHED (tcp_input.c): our
		 * SYN is not acknowledged yet, so sndq does not start at SND.UNA.
		 */
		c->flags |= TCP_F_FIN_QUEUED;
		return;
	case TCP_ESTABLISHED:
		c->flags |= TCP_F_FIN_QUEUED;
		c->fin_seq = c->snd_una + c->sndq.bytes;
		tcp_conn_set_state(c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		c->flags |= TCP_F_FIN_QUEUED;
		c->fin_seq = c->snd_una + c->sndq.bytes;
		tcp_conn_set_state(c, TCP_LAST_ACK);
		break;
	default:
		return;
	}
	tcp_conn_mark(c);
}

void tcp_conn_close(struct tcp_conn *c)
{
	if (c->flags & TCP_F_REAP) {
		return;
	}
	c->flags |= TCP_F_APP_CLOSED;
	if (c->rcvq.bytes > 0 || c->nb_ooo > 0) {
		tcp_send_rst(c);
		tcp_conn_drop(c, 0);
		return;
	}
	tcp_conn_shutdown(c);
	if (c->state == TCP_FIN_WAIT_2) {
		c->t_close = c->st->now_ms + c->st->conf.fin_wait2_ms;
		tcp_timer_update(c);
	}
}

void tcp_conn_abort(struct tcp_conn *c)
{
	if (c->flags & TCP_F_REAP) {
		return;
	}
	if (c->state != TCP_SYN_SENT && c->state != TCP_TIME_WAIT && c->state != TCP_CLOSED) {
		tcp_send_rst(c);
	}
	tcp_conn_drop(c, -ECONNABORTED);
}

void tcp_conn_set_nodelay(struct tcp_conn *c, bool nodelay)
{
	if (nodelay) {
		c->flags |= TCP_F_NODELAY;
		tcp_conn_mark(c);
	} else {
		c->flags &= ~TCP_F_NODELAY;
	}
}

void tcp_conn_set_keepalive(struct tcp_conn *c, uint32_t idle_ms, uint32_t intvl_ms, uint32_t cnt)
{
	if (idle_ms == 0) {
		c->flags &= ~TCP_F_KEEPALIVE;
		c->t_keep = 0;
	} else {
		c->flags |= TCP_F_KEEPALIVE;
		c->keep_idle_ms = idle_ms;
		c->keep_intvl_ms = intvl_ms ? intvl_ms : 1000;
		c->keep_cnt = cnt ? cnt : 1;
		if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) {
			c->t_keep = c->last_rcv_ms + idle_ms;
		}
	}
	tcp_timer_update(c);
}

void tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *o)
{
	memset(o, 0, sizeof(*o));
	o->state = (enum tcp_state)c->state;
	o->last_rcv_ms = c->last_rcv_ms;
	o->family = c->family;
	o->lport = c->key.lport;
	o->rport = c->key.rport;
	if (c->family == TCP_KEY_V4) {
		memcpy(o->laddr, c->key.laddr + 12, 4);
		memcpy(o->raddr, c->key.raddr + 12, 4);
	} else {
		memcpy(o->laddr, c->key.laddr, 16);
		memcpy(o->raddr, c->key.raddr, 16);
	}
	o->ts = !!(c->flags & TCP_F_TS);
	o->sack = !!(c->flags & TCP_F_SACK);
	o->wscale = !!(c->flags & TCP_F_WSCALE);
	o->snd_wscale = c->snd_wscale;
	o->rcv_wscale = c->rcv_wscale;
	o->smss = c->smss;
	o->rmss = c->rmss;
	o->cwnd = c->cc.cwnd;
	o->ssthresh = c->cc.ssthresh;
	o->snd_wnd = c->snd_wnd;
	o->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	o->unacked = c->snd_max - c->snd_una;
	o->unsent = c->sndq.bytes - RTE_MIN(c->sndq.bytes, c->snd_max - c->snd_una);
	o->unread = c->rcvq.bytes;
	o->srtt_us = tcp_rtt_srtt(&c->rtt);
	o->rto_us = tcp_rtt_rto(&c->rtt);
	o->retrans = c->retrans;
	o->flags = c->flags;
	o->snd_nxt_off = c->snd_nxt - c->snd_una;
	o->snd_max_off = c->snd_max - c->snd_una;
	o->sndq = c->sndq.bytes;
	o->ooo_segs = c->nb_ooo;
	o->dupacks = c->dupacks;
	o->cc_phase = (uint8_t)c->cc.phase;
	o->rexmt_in_ms = c->t_rexmt ? (uint32_t)(c->t_rexmt - c->st->now_ms) : 0;
	o->persist_in_ms = c->t_persist ? (uint32_t)(c->t_persist - c->st->now_ms) : 0;
	o->dack_in_ms = c->t_dack ? (uint32_t)(c->t_dack - c->st->now_ms) : 0;
}

uint32_t tcp_stack_conns_info(const struct tcp_stack *st, struct tcp_conn_info *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < st->conf.max_conns && n < max; i++) {
		const struct tcp_conn *c = &st->conns[i];

		if (c->st == st && c->state != TCP_CLOSED && !(c->flags & TCP_F_REAP)) {
			tcp_conn_info(c, &out[n++]);
		}
	}
	return n;
}

void tcp_stack_dump(FILE *f, const struct tcp_stack *st, uint32_t max_conns)
{
	uint32_t shown = 0;

	fprintf(f, "tcp stack: %u connections, %u TIME_WAIT, rcv_wscale %u\n", st->stats.conns,
		st->nb_tw, st->rcv_wscale);
	for (int s = 0; s < TCP__STATE_MAX; s++) {
		if (st->stats.by_state[s] != 0) {
			fprintf(f, "  %-12s %u\n", tcp_state_name((enum tcp_state)s),
				st->stats.by_state[s]);
		}
	}
	for (int i = 0; i < TCP_CTR__MAX; i++) {
		if (st->stats.ctr[i] != 0) {
			fprintf(f, "  %-28s %" PRIu64 "\n", tcp_ctr_name((enum tcp_ctr)i),
				st->stats.ctr[i]);
		}
	}
	for (uint32_t i = 0; i < st->conf.max_conns && shown < max_conns; i++) {
		const struct tcp_conn *c = &st->conns[i];
		struct tcp_conn_info in;

		if (c->st != st || c->state == TCP_CLOSED) {
			continue;
		}
		tcp_conn_info(c, &in);
		fprintf(f, "  [%u] %s lport %u rport %u cwnd %u snd_wnd %u srtt %" PRIu64
			   "us unacked %u unread %u retrans %" PRIu64 "\n",
			i, tcp_state_name(in.state), in.lport, in.rport, in.cwnd, in.snd_wnd,
			in.srtt_us, in.unacked, in.unread, in.retrans);
		shown++;
	}
}
