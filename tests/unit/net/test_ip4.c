/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: IPv4 input (RFC 791/1122) and ICMP echo (RFC 792). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net.h"
#include "testlib.h"

#define PAYLOAD 37	/* odd on purpose: the checksum's trailing byte */

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static enum drop_reason drop_of(const struct net_if *nif, const uint8_t *b, size_t len)
{
	uint8_t o[TL_BUF];
	struct net_result res;

	assert_int_equal(tl_run(nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	return res.drop;
}

/* Check |o| is the echo reply to the request |in| (|n| payload bytes) from the peer. */
static void check_echo_reply(const uint8_t *in, const uint8_t *o, size_t n,
			     const struct net_if *nif)
{
	const uint8_t *ip = o + 14, *icmp = ip + 20;
	uint32_t peer = tl_ip4(TL_PEER_IP4);
	uint8_t hdr[20], msg[TL_BUF];

	assert_memory_equal(o, tl_peer_mac, 6);
	assert_memory_equal(o + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(o + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], in[14 + 1]);			/* TOS kept */
	assert_int_equal(tl_get16(ip + 2), 20 + 8 + n);
	assert_int_equal(tl_get16(ip + 4), tl_get16(in + 14 + 4));	/* id kept */
	assert_int_equal(tl_get16(ip + 6), 0x4000);		/* DF kept, no fragment */
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 1);
	assert_memory_equal(ip + 12, &nif->ip4, 4);
	assert_memory_equal(ip + 16, &peer, 4);
	/* Header checksum, recomputed here. */
	memcpy(hdr, ip, 20);
	hdr[10] = 0;
	hdr[11] = 0;
	assert_int_equal(tl_get16(ip + 10), tl_cksum(hdr, 20, 0));

	assert_int_equal(icmp[0], 0);
	assert_int_equal(icmp[1], 0);
	assert_memory_equal(icmp + 4, in + 14 + 20 + 4, 4 + n);	/* id, seq, data */
	memcpy(msg, icmp, 8 + n);
	msg[2] = 0;
	msg[3] = 0;
	assert_int_equal(tl_get16(icmp + 2), tl_cksum(msg, 8 + n, 0));
}

static void test_echo(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 0x4242, 7, PAYLOAD);
	b[14 + 1] = 0x28;	/* a TOS to keep */
	tl_ip4_fix(b);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_TX);
	assert_int_equal(res.len, len);
	check_echo_reply(b, o, PAYLOAD, &nif);
	assert_int_equal(res.learn.family, NET_FAMILY_NONE);
	assert_int_equal(ctr.c[NET_CTR_ICMP_ECHO_IN], 1);
	assert_int_equal(ctr.c[NET_CTR_ICMP_ECHO_REPLY_OUT], 1);

	/* In place with cap == len. */
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_TX);
}

static void test_echo_padding_stripped(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 2, 0);
	assert_int_equal(len, 42);
	memset(b + len, 0xee, 60 - len);
	assert_int_equal(tl_run(&nif, b, 60, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.len, 42);
	check_echo_reply(b, o, 0, &nif);
}

/*
 * Replies are checksummed incrementally (RFC 1624); the +0/-0 corner (an
 * all-zero echo, whose reply checksum must be 0xffff) and the words next to it
 * must still come out as a full recomputation would.
 */
static void test_echo_checksum_corners(void **state)
{
	static const uint16_t words[] = {0x0000, 0x0001, 0x0800, 0xf7ff, 0xf7fe, 0xfffe, 0xffff};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		for (unsigned j = 0; j < sizeof(words) / sizeof(words[0]); j++) {
			for (size_t n = 0; n < 3; n++) {
				len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, words[i], words[j],
						   n);
				memset(b + 42, 0, n); /* zero payload reaches the corner */
				tl_put16(b + 36, 0);
				tl_put16(b + 36, tl_cksum(b + 34, 8 + n, 0));
				assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
				check_echo_reply(b, o, n, &nif);
				assert_int_equal(tl_cksum(o + 14, 20, 0), 0);
			}
		}
	}
}

static void test_truncated(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len, n;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 2, PAYLOAD);
	for (n = 0; n < len; n++) {
		enum drop_reason want = n < 14 ? DROP_ETH_TOO_SHORT :
					n < 34 ? DROP_IP4_TOO_SHORT : DROP_IP4_BAD_LEN;

		assert_int_equal(tl_run_exact(&nif, b, n, &res), NET_VERDICT_DROP);
		assert_int_equal(res.drop, want);
	}
}

static void test_header_errors(void **state)
{
	uint8_t b[TL_BUF];
	struct net_if nif;
	uint32_t peer = tl_ip4(TL_PEER_IP4);
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, peer, nif.ip4, 1, 2, 8);
	b[14] = 0x65;
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_VERSION);
	b[14] = 0x44;
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_IHL);
	b[14] = 0x40;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_IHL);
	b[14] = 0x46;
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_OPTIONS);
	b[14] = 0x4f;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_OPTIONS);

	/* Checksum: one flipped bit anywhere in the header. */
	len = tl_icmp_echo(b, peer, nif.ip4, 1, 2, 8);
	b[14 + 8] ^= 0x01;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_CSUM);
	len = tl_icmp_echo(b, peer, nif.ip4, 1, 2, 8);
	b[14 + 10] ^= 0x80;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_CSUM);
}

static void test_total_length(void **state)
{
	uint8_t b[TL_BUF];
	struct net_if nif;
	uint32_t peer = tl_ip4(TL_PEER_IP4);
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, peer, nif.ip4, 1, 2, 8);
	/* Larger than the frame. */
	tl_put16(b + 14 + 2, (uint16_t)(len - 14 + 1));
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_LEN);
	tl_put16(b + 14 + 2, 0xffff);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_LEN);
	/* Smaller than the header. */
	tl_put16(b + 14 + 2, 19);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_LEN);
	tl_put16(b + 14 + 2, 0);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_LEN);
	/* Header only and a 4-byte ICMP message: too short for ICMP. */
	tl_put16(b + 14 + 2, 20);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_TOO_SHORT);
	tl_put16(b + 14 + 2, 24);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_TOO_SHORT);
	/* Shorter than the frame: ICMP covers fewer bytes and its checksum breaks. */
	tl_put16(b + 14 + 2, 20 + 8 + 6);
	tl_ip4_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_BAD_CSUM);
}

static void test_fragments(void **state)
{
	static const uint16_t frags[] = {0x2000, 0x0001, 0x1fff, 0x6000, 0x4001, 0x2001};
	uint8_t b[TL_BUF], o[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 2, 8);
		tl_put16(b + 14 + 6, frags[i]);
		tl_ip4_fix(b);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP4_FRAGMENT);
	}
	/* DF alone and no flags at all are whole datagrams. */
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 2, 8);
	tl_put16(b + 14 + 6, 0);
	tl_ip4_fix(b);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
}

static void test_addresses(void **state)
{
	static const char *const bad_src[] = {
		"0.0.0.0", "127.0.0.1", "127.255.255.254", "224.0.0.1", "239.1.2.3",
		"255.255.255.255", "240.0.0.1", TL_OUR_IP4, "192.0.2.255",
	};
	static const char *const not_us[] = {
		"192.0.2.99", "255.255.255.255", "192.0.2.255", "224.0.0.1", "0.0.0.0",
	};
	uint8_t b[TL_BUF];
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	for (i = 0; i < sizeof(bad_src) / sizeof(bad_src[0]); i++) {
		len = tl_icmp_echo(b, tl_ip4(bad_src[i]), nif.ip4, 1, 2, 8);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP4_BAD_SRC);
	}
	for (i = 0; i < sizeof(not_us) / sizeof(not_us[0]); i++) {
		len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), tl_ip4(not_us[i]), 1, 2, 8);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP4_NOT_FOR_US);
		/* Broadcast at L2 changes nothing: we do not answer broadcast pings. */
		memcpy(b, bcast, 6);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP4_NOT_FOR_US);
	}
	nif.has_ip4 = false;
	len = tl_icmp_echo(b, tl_ip4(TL_PEER_IP4), nif.ip4, 1, 2, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_NOT_FOR_US);
}

static void test_local_transport(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], l4[64];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	memset(l4, 0x11, sizeof(l4));
	len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif.ip4, 17, l4, 12);
	assert_int_equal(len, 46);
	memset(b + len, 0xee, 60 - len);	/* padding is not UDP payload */
	assert_int_equal(tl_run(&nif, b, 60, o, &res, &ctr), NET_VERDICT_LOCAL);
	assert_int_equal(res.family, NET_FAMILY_IP4);
	assert_int_equal(res.l3_off, 14);
	assert_int_equal(res.l4_off, 34);
	assert_int_equal(res.l4_len, 12);
	assert_int_equal(res.l4_proto, 17);
	assert_int_equal(ctr.c[NET_CTR_IP4_LOCAL_IN], 1);
	assert_memory_equal(o, b, 60);	/* untouched */

	len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif.ip4, 6, l4, 40);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_LOCAL);
	assert_int_equal(res.l4_proto, 6);
	assert_int_equal(res.l4_len, 40);

	len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif.ip4, 17, l4, 0);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_LOCAL);
	assert_int_equal(res.l4_len, 0);

	len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif.ip4, 47, l4, 20);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_UNKNOWN_PROTO);
	len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif.ip4, 2, l4, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP4_UNKNOWN_PROTO);
}

static void test_icmp_errors(void **state)
{
	uint8_t b[TL_BUF], msg[16];
	struct net_if nif;
	uint32_t peer = tl_ip4(TL_PEER_IP4);
	size_t len;

	(void)state;
	tl_if(&nif);
	len = tl_icmp_echo(b, peer, nif.ip4, 1, 2, 8);
	b[14 + 20 + 9] ^= 0x40;	/* payload bit: ICMP checksum no longer verifies */
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_BAD_CSUM);

	/* Valid checksums, unhandled types and codes. */
	memset(msg, 0, sizeof(msg));
	msg[0] = 13;	/* timestamp */
	tl_put16(msg + 2, tl_cksum(msg, sizeof(msg), 0));
	len = tl_ip4_pkt(b, tl_our_mac, peer, nif.ip4, 1, msg, sizeof(msg));
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_UNHANDLED);
	memset(msg, 0, sizeof(msg));
	msg[0] = 0;	/* an echo reply is not answered */
	tl_put16(msg + 2, tl_cksum(msg, sizeof(msg), 0));
	len = tl_ip4_pkt(b, tl_our_mac, peer, nif.ip4, 1, msg, sizeof(msg));
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_UNHANDLED);
	memset(msg, 0, sizeof(msg));
	msg[0] = 8;
	msg[1] = 1;	/* echo with a non-zero code */
	tl_put16(msg + 2, tl_cksum(msg, sizeof(msg), 0));
	len = tl_ip4_pkt(b, tl_our_mac, peer, nif.ip4, 1, msg, sizeof(msg));
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_UNHANDLED);
	/* 7 bytes of ICMP. */
	len = tl_ip4_pkt(b, tl_our_mac, peer, nif.ip4, 1, msg, 7);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP_TOO_SHORT);
}

/* Our reply, sent to the peer, is a valid frame it can check (and does not answer). */
static void test_reply_round_trip(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], o2[TL_BUF];
	struct net_result res;
	struct net_if us, peer;
	size_t len;

	(void)state;
	tl_if(&us);
	tl_peer_if(&peer);
	len = tl_icmp_echo(b, peer.ip4, us.ip4, 9, 9, 100);
	assert_int_equal(tl_run(&us, b, len, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(tl_run(&peer, o, res.len, o2, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_ICMP_UNHANDLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_echo_padding_stripped),
		cmocka_unit_test(test_echo_checksum_corners),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_total_length),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_local_transport),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_reply_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
