/* SPDX-License-Identifier: Apache-2.0 */
#include "tcp_closed.h"

#include <string.h>

#include "../net/net_internal.h"
#include "tcp_wire.h"

/* Offsets of the fields the rewrite touches. */
#define IP4_OFF_TOS	1
#define IP4_OFF_TOTLEN	2
#define IP4_OFF_ID	4
#define IP4_OFF_FRAG	6
#define IP4_OFF_TTL	8
#define IP4_OFF_CSUM	10
#define IP4_OFF_SRC	12
#define IP4_OFF_DST	16
#define IP6_OFF_PLEN	4
#define IP6_OFF_HLIM	7
#define IP6_OFF_SRC	8
#define IP6_OFF_DST	24
#define IP4_DF		0x4000

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* The RST for |in| (RFC 9293 3.10.7.1), ports turned around. */
static void make_rst(const struct tcp_seg *in, struct tcp_seg *out)
{
	memset(out, 0, sizeof(*out));
	out->sport = in->dport;
	out->dport = in->sport;
	if ((in->flags & TCP_FLAG_ACK) != 0) {
		out->seq = in->ack;
		out->flags = TCP_FLAG_RST;
	} else {
		uint32_t len = in->payload_len;

		len += (in->flags & TCP_FLAG_SYN) != 0;
		len += (in->flags & TCP_FLAG_FIN) != 0;
		out->ack = in->seq + len;
		out->flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
}

static void drop(struct net_result *res, enum drop_reason why)
{
	res->verdict = NET_VERDICT_DROP;
	res->drop = why;
}

void tcp_closed_input(const struct net_if *nif, uint8_t *frame, struct net_counters *ctr,
		      struct net_result *res)
{
	uint8_t *ip = frame + res->l3_off;
	uint8_t *l4 = frame + res->l4_off;
	enum drop_reason why = DROP_TCP_TOO_SHORT;
	struct tcp_seg in, out;
	uint16_t sum;
	int len;

	/* The L3 engine proved l4_len bytes of transport at l4_off. */
	if (res->family == NET_FAMILY_IP4) {
		uint32_t src, dst;

		memcpy(&src, ip + IP4_OFF_SRC, 4);
		memcpy(&dst, ip + IP4_OFF_DST, 4);
		sum = tcp_csum4(src, dst, l4, res->l4_len);
	} else {
		sum = tcp_csum6(ip + IP6_OFF_SRC, ip + IP6_OFF_DST, l4, res->l4_len);
	}
	if (tcp_parse(l4, res->l4_len, &in, &why) != 0) {
		drop(res, why);
		return;
	}
	if (sum != 0) {
		drop(res, DROP_TCP_BAD_CSUM);
		return;
	}
	if ((in.flags & TCP_FLAG_RST) != 0) {
		drop(res, DROP_TCP_RST_NO_CONN); /* never answer a reset (RFC 9293 3.10.7.1) */
		return;
	}

	make_rst(&in, &out);
	len = tcp_build(&out, l4, TCP_HDR_MIN);
	if (len != TCP_HDR_MIN) {
		drop(res, DROP_TCP_TOO_SHORT); /* cannot happen: 20 bytes were proved */
		return;
	}
	net_eth_reply(nif, frame, frame + NET_ETH_OFF_SRC);
	if (res->family == NET_FAMILY_IP4) {
		uint16_t ihl = (uint16_t)(res->l4_off - res->l3_off); /* options, if ever kept */
		uint32_t src, dst;
		uint16_t ck;

		swap(ip + IP4_OFF_SRC, ip + IP4_OFF_DST, 4);
		ip[IP4_OFF_TOS] = 0; /* no ECN or DSCP marks copied from what we answer */
		net_put_be16(ip + IP4_OFF_TOTLEN, (uint16_t)(ihl + TCP_HDR_MIN));
		net_put_be16(ip + IP4_OFF_ID, 0);
		net_put_be16(ip + IP4_OFF_FRAG, IP4_DF);
		ip[IP4_OFF_TTL] = NET_IP4_TTL;
		memset(ip + IP4_OFF_CSUM, 0, 2);
		ck = net_cksum(ip, ihl, 0);
		memcpy(ip + IP4_OFF_CSUM, &ck, 2);
		memcpy(&src, ip + IP4_OFF_SRC, 4);
		memcpy(&dst, ip + IP4_OFF_DST, 4);
		tcp_csum4_fill(l4, TCP_HDR_MIN, NULL, 0, src, dst);
	} else {
		swap(ip + IP6_OFF_SRC, ip + IP6_OFF_DST, 16);
		/* Version 6, traffic class 0 (no ECN/DSCP copied), flow label 0. */
		net_put_be32(ip, 6u << 28);
		net_put_be16(ip + IP6_OFF_PLEN,
			     (uint16_t)(res->l4_off - res->l3_off - NET_IP6_HLEN + TCP_HDR_MIN));
		ip[IP6_OFF_HLIM] = NET_IP6_HOP_LIMIT;
		tcp_csum6_fill(l4, TCP_HDR_MIN, NULL, 0, ip + IP6_OFF_SRC, ip + IP6_OFF_DST);
	}
	if (ctr != NULL) {
		ctr->c[NET_CTR_TCP_RST_OUT]++;
	}
	res->verdict = NET_VERDICT_TX;
	res->len = (uint16_t)(res->l4_off + TCP_HDR_MIN);
}
