/* SPDX-License-Identifier: Apache-2.0 */
/* tcp_world.c - see tcp_world.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tcp_world.h"

const uint8_t world_ip4[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
const uint8_t world_ip6[2][16] = {
	{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
};

static double rnd(struct world *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (double)((w->rng * 2685821657736338717ull) >> 11) / (double)(1ull << 53);
}

static void parse_out(struct rte_mbuf *m, uint8_t family, struct tcp_seg *seg)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l3 = family == TCP_KEY_V4 ? 20 : 40;
	enum drop_reason why;

	if (tcp_parse(p + l3, rte_pktmbuf_pkt_len(m) - l3, seg, &why) != 0) {
		fprintf(stderr, "world: stack emitted an unparsable segment\n");
		abort();
	}
}

static void enqueue(struct wnode *n, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		    uint64_t due)
{
	if (n->nq == WORLD_QMAX) {
		rte_pktmbuf_free(m);
		n->w->dropped++;
		return;
	}
	n->q[n->nq++] = (struct wpkt){.m = m, .due_us = due, .port_idx = port_idx, .family = family};
}

/*
 * TCP_WORLD_TRACE="FROM_MS,TO_MS" prints every segment emitted in that window
 * of virtual time (and whether the link lost or reordered it) to stderr.
 */
static bool trace_on(const struct world *w)
{
	static long lo = -1, hi;
	long now_ms = (long)(w->now_us / 1000);

	if (lo < 0) {
		const char *e = getenv("TCP_WORLD_TRACE");
		const char *comma = e != NULL ? strchr(e, ',') : NULL;

		lo = comma != NULL ? atol(e) : 0;
		hi = comma != NULL ? atol(comma + 1) : -1;
	}
	return now_ms >= lo && now_ms <= hi;
}

static void trace_seg(const struct wnode *n, const struct tcp_seg *seg)
{
	const struct world *w = n->w;

	fprintf(stderr, "%lu.%03lu %s seq=%u ack=%u len=%u flags=%#x win=%u",
		(unsigned long)(w->now_us / 1000), (unsigned long)(w->now_us % 1000),
		n->id ? "B>A" : "A>B", seg->seq, seg->ack, (unsigned)seg->payload_len, seg->flags,
		seg->window);
	for (unsigned int i = 0; i < seg->opts.nb_sack; i++) {
		fprintf(stderr, " sack[%u,%u)", seg->opts.sack[i].left, seg->opts.sack[i].right);
	}
}

static void emit(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		 const uint8_t *dst)
{
	struct wnode *n = arg;
	struct world *w = n->w;
	struct wseg s = {.from = n->id, .at_us = w->now_us, .family = family};
	uint64_t due = w->now_us + w->delay_us;

	(void)dst;
	parse_out(m, family, &s.seg);
	if (w->capture && w->ncap < WORLD_CAP_MAX) {
		w->cap[w->ncap++] = s;
	}
	bool dbg = trace_on(w);

	if (dbg) {
		trace_seg(n, &s.seg);
	}
	if (w->filter != NULL && !w->filter(w, &s, w->filter_arg)) {
		rte_pktmbuf_free(m);
		w->dropped++;
		return;
	}
	if (w->loss > 0 && rnd(w) < w->loss) {
		if (dbg) {
			fprintf(stderr, " LOST\n");
		}
		rte_pktmbuf_free(m);
		w->dropped++;
		return;
	}
	if (w->reorder > 0 && rnd(w) < w->reorder) {
		due += w->delay_us + 1; /* overtaken by what follows */
	}
	if (dbg) {
		fprintf(stderr, "%s\n", due > w->now_us + w->delay_us ? " REORDERED" : "");
	}
	if (w->dup > 0 && rnd(w) < w->dup) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);

		if (c != NULL) {
			enqueue(n, c, port_idx, family, due);
		}
	}
	enqueue(n, m, port_idx, family, due);
}

struct world *world_new(const struct tcp_stack_conf *conf_a, const struct tcp_stack_conf *conf_b,
			uint64_t delay_us)
{
	static int seq;
	struct world *w = calloc(1, sizeof(*w));
	char name[32];

	if (w == NULL) {
		return NULL;
	}
	snprintf(name, sizeof(name), "wpool%d", seq);
	w->pool = rte_pktmbuf_pool_create(name, 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (w->pool == NULL) {
		free(w);
		return NULL;
	}
	w->now_us = 1000000;
	w->delay_us = delay_us;
	w->rng = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 2; i++) {
		struct tcp_stack_conf c;
		struct tcp_stack_env env = {.emit = emit, .arg = &w->n[i], .pool = w->pool};
		struct tcp_stack_port port = {.has_ip4 = true, .has_ip6 = true, .mtu = 1500};
		const struct tcp_stack_conf *given = i == 0 ? conf_a : conf_b;

		if (given != NULL) {
			c = *given;
		} else {
			tcp_stack_conf_defaults(&c);
		}
		for (int k = 0; k < 32; k++) {
			c.secret[k] = (uint8_t)(k * 7 + i);
		}
		c.seed = (uint32_t)(i + 1);
		w->n[i].w = w;
		w->n[i].id = i;
		snprintf(name, sizeof(name), "w%d_%d", seq, i);
		w->n[i].st = tcp_stack_new(name, SOCKET_ID_ANY, &c, &env, w->now_us);
		if (w->n[i].st == NULL) {
			fprintf(stderr, "tcp_stack_new: %s\n", rte_strerror(rte_errno));
			abort();
		}
		memcpy(&port.ip4, world_ip4[i], 4);
		memcpy(port.ip6, world_ip6[i], 16);
		if (tcp_stack_set_port(w->n[i].st, 0, &port) != 0) {
			abort();
		}
	}
	seq++;
	return w;
}

void world_free(struct world *w)
{
	for (int i = 0; i < 2; i++) {
		tcp_stack_free(w->n[i].st);
	}
	for (int i = 0; i < 2; i++) {
		for (uint32_t k = 0; k < w->n[i].nq; k++) {
			rte_pktmbuf_free(w->n[i].q[k].m);
		}
	}
	rte_mempool_free(w->pool);
	free(w);
}

/* Deliver every packet due by now towards node |to| (queued at the other node). */
static bool deliver(struct world *w, int to)
{
	struct wnode *from = &w->n[1 - to];
	struct tcp_pkt pkts[256];
	uint16_t miss[256];
	uint16_t np = 0;
	uint32_t k = 0, keep = 0;
	uint64_t min_due = UINT64_MAX;

	/* Keep arrival order by due time: pick the due ones in queue order (stable). */
	for (k = 0; k < from->nq; k++) {
		if (from->q[k].due_us <= w->now_us && np < 256) {
			struct wpkt *p = &from->q[k];
			uint32_t l3 = p->family == TCP_KEY_V4 ? 20 : 40;

			pkts[np++] = (struct tcp_pkt){
				.m = p->m,
				.l3_off = 0,
				.l4_off = (uint16_t)l3,
				.l4_len = (uint16_t)(rte_pktmbuf_pkt_len(p->m) - l3),
				.family = p->family,
				.port_idx = p->port_idx,
			};
		} else {
			if (from->q[k].due_us < min_due) {
				min_due = from->q[k].due_us;
			}
			from->q[keep++] = from->q[k];
		}
	}
	from->nq = keep;
	if (np == 0) {
		return false;
	}
	{
		uint16_t nm = tcp_stack_input(w->n[to].st, pkts, np, miss, w->now_us);

		for (uint16_t i = 0; i < nm; i++) {
			rte_pktmbuf_free(pkts[miss[i]].m);
		}
		w->n[to].misses += nm;
	}
	return true;
}

static uint64_t next_event(const struct world *w)
{
	uint64_t t = UINT64_MAX;

	for (int i = 0; i < 2; i++) {
		uint64_t tt = tcp_stack_next_timer_us(w->n[i].st);

		if (tt < t) {
			t = tt;
		}
		for (uint32_t k = 0; k < w->n[i].nq; k++) {
			if (w->n[i].q[k].due_us < t) {
				t = w->n[i].q[k].due_us;
			}
		}
	}
	return t;
}

void world_run(struct world *w, uint64_t us, bool (*stop)(void *arg), void *arg)
{
	uint64_t end = w->now_us + us;

	for (;;) {
		uint64_t t;

		if (stop != NULL && stop(arg)) {
			return;
		}
		t = next_event(w);
		if (t == UINT64_MAX || t > end) {
			w->now_us = end;
			tcp_stack_tick(w->n[0].st, w->now_us);
			tcp_stack_tick(w->n[1].st, w->now_us);
			return;
		}
		if (t > w->now_us) {
			w->now_us = t;
		}
		/* Timers first (they are due at ms boundaries), then arrivals. */
		tcp_stack_tick(w->n[0].st, w->now_us);
		tcp_stack_tick(w->n[1].st, w->now_us);
		for (;;) {
			bool a = deliver(w, 0);
			bool b = deliver(w, 1);

			if (!a && !b) {
				break;
			}
		}
		if (next_event(w) <= w->now_us) {
			/* A timer due in this very ms (the wheel ticks in ms): step to the next ms. */
			uint64_t nt = (w->now_us / 1000 + 1) * 1000;
			bool pkt_due = false;

			for (int i = 0; i < 2; i++) {
				for (uint32_t k = 0; k < w->n[i].nq; k++) {
					pkt_due |= w->n[i].q[k].due_us <= w->now_us;
				}
			}
			if (!pkt_due) {
				w->now_us = nt;
			}
		}
	}
}

void world_inject(struct world *w, int to, uint8_t family, const struct tcp_seg *seg,
		  const void *payload, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	uint32_t l3 = family == TCP_KEY_V4 ? 20 : 40;
	size_t hlen = tcp_build_len(&seg->opts);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l3 + hlen + len));
	const uint8_t *src = family == TCP_KEY_V4 ? world_ip4[1 - to] : world_ip6[1 - to];
	const uint8_t *dst = family == TCP_KEY_V4 ? world_ip4[to] : world_ip6[to];
	struct tcp_pkt pkt;
	uint16_t miss;

	memset(p, 0, l3);
	if (family == TCP_KEY_V4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)p;
		uint32_t s, d;

		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(l3 + hlen + len));
		h->time_to_live = 64;
		h->next_proto_id = 6;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, dst, 4);
		if (tcp_build(seg, p + l3, hlen) < 0) {
			abort();
		}
		if (len > 0) {
			memcpy(p + l3 + hlen, payload, len);
		}
		memcpy(&s, src, 4);
		memcpy(&d, dst, 4);
		tcp_csum4_fill(p + l3, hlen, p + l3 + hlen, len, s, d);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)p;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(hlen + len));
		h->proto = 6;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, dst, 16);
		if (tcp_build(seg, p + l3, hlen) < 0) {
			abort();
		}
		if (len > 0) {
			memcpy(p + l3 + hlen, payload, len);
		}
		tcp_csum6_fill(p + l3, hlen, p + l3 + hlen, len, src, dst);
	}
	pkt = (struct tcp_pkt){.m = m, .l3_off = 0, .l4_off = (uint16_t)l3,
			       .l4_len = (uint16_t)(hlen + len), .family = family, .port_idx = 0};
	if (tcp_stack_input(w->n[to].st, &pkt, 1, &miss, w->now_us) == 1) {
		rte_pktmbuf_free(m);
		w->n[to].misses++;
	}
}
