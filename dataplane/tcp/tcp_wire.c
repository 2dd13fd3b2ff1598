/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_wire.c - TCP header and option parsing and building (RFC 9293 3.1,
 * RFC 7323, RFC 2018) and the TCP checksum. See tcp_wire.h for the contract.
 */
#include "tcp_wire.h"

#include <errno.h>
#include <string.h>

#include "../net/net_internal.h"
#include "../util/cursor.h"

/* Option space each block of the Linux layout takes (tcp_build). */
#define OSPACE_MSS		4
#define OSPACE_TS		12	/* NOP NOP TS, or SACK_PERM TS */
#define OSPACE_SACK_PERM	4	/* NOP NOP SACK_PERM */
#define OSPACE_WS		4	/* NOP WS */
#define OSPACE_SACK_BASE	4	/* NOP NOP kind len */

static int bad(enum drop_reason *why, enum drop_reason r)
{
	if (why != NULL) {
		*why = r;
	}
	return -EBADMSG;
}

/*
 * Parse the options area |c| (exactly the bytes between the fixed header and
 * the data) into |o|. Returns false if the list is malformed (RFC 9293 3.1: "a
 * length octet ... counts the two octets of option-kind and option-length").
 * A known kind with a length it never has is skipped by that length, as an
 * unknown kind would be, and not recorded (Linux's tcp_parse_options).
 */
static bool parse_opts(struct cursor *c, struct tcp_opts *o)
{
	struct cursor body;
	uint8_t kind, olen, ws;
	unsigned int i, n;

	while (cursor_get_u8(c, &kind)) {
		if (kind == TCP_OPT_EOL) {
			return true;	/* the rest is padding; RFC 9293 3.1 */
		}
		if (kind == TCP_OPT_NOP) {
			continue;
		}
		if (!cursor_get_u8(c, &olen) || olen < 2) {
			return false;
		}
		if (!cursor_get_sub(c, &body, (size_t)olen - 2)) {
			return false;
		}
		/*
		 * |body| holds exactly olen - 2 bytes, so once the length is
		 * checked the reads below cannot fail.
		 */
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen == TCP_OLEN_MSS && cursor_get_u16be(&body, &o->mss)) {
				o->has_mss = true;
			}
			break;
		case TCP_OPT_WS:
			if (olen == TCP_OLEN_WS && cursor_get_u8(&body, &ws)) {
				/* RFC 7323 2.3: log and use 14 instead. */
				o->wscale = ws > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : ws;
				o->has_wscale = true;
			}
			break;
		case TCP_OPT_SACK_PERM:
			if (olen == TCP_OLEN_SACK_PERM) {
				o->sack_permitted = true;
			}
			break;
		case TCP_OPT_TS:
			if (olen == TCP_OLEN_TS && cursor_get_u32be(&body, &o->ts_val) &&
			    cursor_get_u32be(&body, &o->ts_ecr)) {
				o->has_ts = true;
			}
			break;
		case TCP_OPT_SACK:
			n = ((unsigned int)olen - TCP_OLEN_SACK_BASE) / TCP_OLEN_SACK_BLOCK;
			if ((olen - TCP_OLEN_SACK_BASE) % TCP_OLEN_SACK_BLOCK != 0 || n == 0 ||
			    n > TCP_SACK_MAX_BLOCKS) {
				break;
			}
			for (i = 0; i < n; i++) {
				if (!cursor_get_u32be(&body, &o->sack[i].left) ||
				    !cursor_get_u32be(&body, &o->sack[i].right)) {
					return false;	/* cannot happen: body is 8n bytes */
				}
			}
			o->nb_sack = (uint8_t)n;
			break;
		default:
			break;		/* unknown: skipped by its length */
		}
	}
	return true;
}

int tcp_parse(const uint8_t *l4, size_t len, struct tcp_seg *seg, enum drop_reason *why)
{
	struct cursor c, opts;
	uint8_t doff, flags;
	size_t hlen;

	cursor_init(&c, l4, len);
	if (!cursor_get_u16be(&c, &seg->sport) || !cursor_get_u16be(&c, &seg->dport) ||
	    !cursor_get_u32be(&c, &seg->seq) || !cursor_get_u32be(&c, &seg->ack) ||
	    !cursor_get_u8(&c, &doff) || !cursor_get_u8(&c, &flags) ||
	    !cursor_get_u16be(&c, &seg->window) || !cursor_skip(&c, 2) ||
	    !cursor_get_u16be(&c, &seg->urg_ptr)) {
		return bad(why, DROP_TCP_TOO_SHORT);
	}
	hlen = (size_t)(doff >> 4) * 4;
	if (hlen < TCP_HDR_MIN || !cursor_get_sub(&c, &opts, hlen - TCP_HDR_MIN)) {
		return bad(why, DROP_TCP_BAD_OFFSET);
	}
	if ((flags & TCP_FLAG_SYN) != 0 && (flags & (TCP_FLAG_FIN | TCP_FLAG_RST)) != 0) {
		return bad(why, DROP_TCP_BAD_FLAGS);
	}
	seg->flags = flags;
	seg->hdr_len = (uint16_t)hlen;
	seg->payload = cursor_data(&c);
	seg->payload_len = cursor_len(&c);
	memset(&seg->opts, 0, sizeof(seg->opts));
	if (!parse_opts(&opts, &seg->opts)) {
		return bad(why, DROP_TCP_BAD_OPTION);
	}
	return 0;
}

unsigned int tcp_build_nb_sack(const struct tcp_opts *opts)
{
	size_t used = 0, room;
	unsigned int n = opts->nb_sack;

	if (n == 0) {
		return 0;
	}
	if (opts->has_mss) {
		used += OSPACE_MSS;
	}
	if (opts->has_ts) {
		used += OSPACE_TS;
	} else if (opts->sack_permitted) {
		used += OSPACE_SACK_PERM;
	}
	if (opts->has_wscale) {
		used += OSPACE_WS;
	}
	if (used + OSPACE_SACK_BASE + TCP_OLEN_SACK_BLOCK > TCP_OPT_SPACE_MAX) {
		return 0;
	}
	room = (TCP_OPT_SPACE_MAX - used - OSPACE_SACK_BASE) / TCP_OLEN_SACK_BLOCK;
	if (n > TCP_SACK_MAX_BLOCKS) {
		n = TCP_SACK_MAX_BLOCKS;
	}
	return n < room ? n : (unsigned int)room;
}

size_t tcp_build_len(const struct tcp_opts *opts)
{
	size_t len = TCP_HDR_MIN;
	unsigned int n = tcp_build_nb_sack(opts);

	if (opts->has_mss) {
		len += OSPACE_MSS;
	}
	if (opts->has_ts) {
		len += OSPACE_TS;
	} else if (opts->sack_permitted) {
		len += OSPACE_SACK_PERM;
	}
	if (opts->has_wscale) {
		len += OSPACE_WS;
	}
	if (n != 0) {
		len += OSPACE_SACK_BASE + (size_t)n * TCP_OLEN_SACK_BLOCK;
	}
	return len;
}

int tcp_build(const struct tcp_seg *seg, uint8_t *buf, size_t cap)
{
	const struct tcp_opts *o = &seg->opts;
	unsigned int i, n = tcp_build_nb_sack(o);
	size_t hlen = tcp_build_len(o);
	uint8_t *p;

	if (cap < hlen) {
		return -ENOSPC;
	}
	net_put_be16(buf + TCP_OFF_SPORT, seg->sport);
	net_put_be16(buf + TCP_OFF_DPORT, seg->dport);
	net_put_be32(buf + TCP_OFF_SEQ, seg->seq);
	net_put_be32(buf + TCP_OFF_ACK, seg->ack);
	buf[TCP_OFF_DOFF] = (uint8_t)(hlen / 4 << 4);
	buf[TCP_OFF_FLAGS] = seg->flags;
	net_put_be16(buf + TCP_OFF_WINDOW, seg->window);
	net_put_be16(buf + TCP_OFF_CSUM, 0);
	net_put_be16(buf + TCP_OFF_URG, seg->urg_ptr);

	p = buf + TCP_HDR_MIN;
	if (o->has_mss) {
		p[0] = TCP_OPT_MSS;
		p[1] = TCP_OLEN_MSS;
		net_put_be16(p + 2, o->mss);
		p += OSPACE_MSS;
	}
	if (o->has_ts) {
		/* Linux folds SACK_PERM into the two bytes of padding before TS. */
		if (o->sack_permitted) {
			p[0] = TCP_OPT_SACK_PERM;
			p[1] = TCP_OLEN_SACK_PERM;
		} else {
			p[0] = TCP_OPT_NOP;
			p[1] = TCP_OPT_NOP;
		}
		p[2] = TCP_OPT_TS;
		p[3] = TCP_OLEN_TS;
		net_put_be32(p + 4, o->ts_val);
		net_put_be32(p + 8, o->ts_ecr);
		p += OSPACE_TS;
	} else if (o->sack_permitted) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK_PERM;
		p[3] = TCP_OLEN_SACK_PERM;
		p += OSPACE_SACK_PERM;
	}
	if (o->has_wscale) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_WS;
		p[2] = TCP_OLEN_WS;
		p[3] = o->wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o->wscale;
		p += OSPACE_WS;
	}
	if (n != 0) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK;
		p[3] = (uint8_t)(TCP_OLEN_SACK_BASE + n * TCP_OLEN_SACK_BLOCK);
		p += OSPACE_SACK_BASE;
		for (i = 0; i < n; i++) {
			net_put_be32(p, o->sack[i].left);
			net_put_be32(p + 4, o->sack[i].right);
			p += TCP_OLEN_SACK_BLOCK;
		}
	}
	return (int)hlen;
}

/* Partial sum of the IPv4 pseudo-header (RFC 9293 3.1), to continue with net_sum. */
static uint64_t phdr4(uint32_t src_be, uint32_t dst_be, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, &src_be, 4);
	memcpy(ph + 4, &dst_be, 4);
	ph[8] = 0;
	ph[9] = NET_PROTO_TCP;
	net_put_be16(ph + 10, (uint16_t)len);
	return net_sum(ph, sizeof(ph), 0);
}

uint16_t tcp_csum4(uint32_t src_be, uint32_t dst_be, const uint8_t *l4, size_t len)
{
	return (uint16_t)~net_fold(net_sum(l4, len, phdr4(src_be, dst_be, len)));
}

uint16_t tcp_csum6(const uint8_t *src, const uint8_t *dst, const uint8_t *l4, size_t len)
{
	return net_cksum(l4, len, net_ip6_phdr_sum(src, dst, (uint32_t)len, NET_PROTO_TCP));
}

/* The header's length is even, so the payload's words start on a word boundary of the sum. */
static void fill(uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len,
		 uint64_t acc)
{
	uint16_t ck;

	hdr[TCP_OFF_CSUM] = 0;
	hdr[TCP_OFF_CSUM + 1] = 0;
	acc = net_sum(hdr, hdr_len, acc);
	if (payload_len != 0) {
		acc = net_sum(payload, payload_len, acc);
	}
	ck = (uint16_t)~net_fold(acc);
	memcpy(hdr + TCP_OFF_CSUM, &ck, 2);
}

void tcp_csum4_fill(uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len,
		    uint32_t src_be, uint32_t dst_be)
{
	fill(hdr, hdr_len, payload, payload_len, phdr4(src_be, dst_be, hdr_len + payload_len));
}

void tcp_csum6_fill(uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len,
		    const uint8_t *src, const uint8_t *dst)
{
	size_t len = hdr_len + payload_len;

	fill(hdr, hdr_len, payload, payload_len,
	     net_ip6_phdr_sum(src, dst, (uint32_t)len, NET_PROTO_TCP));
}

void tcp_csum4_offload(uint8_t *hdr, size_t l4_len, uint32_t src_be, uint32_t dst_be)
{
	uint16_t ck = net_fold(phdr4(src_be, dst_be, l4_len));

	memcpy(hdr + TCP_OFF_CSUM, &ck, 2);
}

void tcp_csum6_offload(uint8_t *hdr, size_t l4_len, const uint8_t *src, const uint8_t *dst)
{
	uint16_t ck = net_fold(net_ip6_phdr_sum(src, dst, (uint32_t)l4_len, NET_PROTO_TCP));

	memcpy(hdr + TCP_OFF_CSUM, &ck, 2);
}
