/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: IPv6 input (RFC 8200) and ICMPv6 echo (RFC 4443). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net.h"
#include "testlib.h"

#define PAYLOAD 33

static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

static enum drop_reason drop_of(const struct net_if *nif, const uint8_t *b, size_t len)
{
	uint8_t o[TL_BUF];
	struct net_result res;

	assert_int_equal(tl_run(nif, b, len, o, &res, NULL), NET_VERDICT_DROP);
	return res.drop;
}

/* Check |o| is the echo reply from |src| to the request |in| with |n| payload bytes. */
static void check_echo_reply(const uint8_t *in, const uint8_t *o, size_t n, const uint8_t *src)
{
	const uint8_t *ip = o + 14, *icmp = ip + 40;
	uint8_t msg[TL_BUF];

	assert_memory_equal(o, in + 6, 6);			/* back to the sender's MAC */
	assert_memory_equal(o + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(o + 12), 0x86dd);
	assert_int_equal(tl_get32(ip), tl_get32(in + 14));	/* version, class, flow kept */
	assert_int_equal(tl_get16(ip + 4), 8 + n);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 64);
	assert_memory_equal(ip + 8, src, 16);
	assert_memory_equal(ip + 24, in + 14 + 8, 16);		/* to the requester */
	assert_int_equal(icmp[0], 129);
	assert_int_equal(icmp[1], 0);
	assert_memory_equal(icmp + 4, in + 14 + 40 + 4, 4 + n);
	memcpy(msg, icmp, 8 + n);
	msg[2] = 0;
	msg[3] = 0;
	assert_int_equal(tl_get16(icmp + 2), tl_cksum6(ip + 8, ip + 24, 58, msg, 8 + n));
}

static void test_echo_global(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	memset(&ctr, 0, sizeof(ctr));
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 0x1234, 5, PAYLOAD);
	assert_int_equal(tl_run(&nif, b, len, o, &res, &ctr), NET_VERDICT_TX);
	assert_int_equal(res.len, len);
	check_echo_reply(b, o, PAYLOAD, nif.ip6);
	assert_int_equal(ctr.c[NET_CTR_ICMP6_ECHO_IN], 1);
	assert_int_equal(ctr.c[NET_CTR_ICMP6_ECHO_REPLY_OUT], 1);
	assert_int_equal(tl_run_exact(&nif, b, len, &res), NET_VERDICT_TX);
}

static void test_echo_link_local(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer_ll[16];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6("fe80::aa:bbff:fecc:1", peer_ll);
	len = tl_icmp6_echo(b, tl_our_mac, peer_ll, nif.ip6_ll, 1, 1, 0);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 0, nif.ip6_ll);

	/* Link-local works without a global address. */
	nif.has_ip6 = false;
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 0, nif.ip6_ll);
}

static void test_echo_multicast(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16], peer_ll[16], group[16], mac[6];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	tl_ip6("fe80::aa:bbff:fecc:1", peer_ll);
	tl_ip6("ff02::1", group);
	/* All-nodes from a global requester: answered from our global address. */
	len = tl_icmp6_echo(b, all_nodes_mac, peer, group, 1, 1, 8);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 8, nif.ip6);
	/* From a link-local requester: from our link-local address. */
	len = tl_icmp6_echo(b, all_nodes_mac, peer_ll, group, 1, 1, 8);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 8, nif.ip6_ll);
	/* Our solicited-node group. */
	tl_sn(nif.ip6, group);
	tl_sn_mac(nif.ip6, mac);
	len = tl_icmp6_echo(b, mac, peer, group, 1, 1, 8);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 8, nif.ip6);
	/* No global address: answered from link-local whoever asks. */
	nif.has_ip6 = false;
	tl_ip6("ff02::1", group);
	len = tl_icmp6_echo(b, all_nodes_mac, peer, group, 1, 1, 8);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_TX);
	check_echo_reply(b, o, 8, nif.ip6_ll);
}

static void test_echo_padding_stripped(void **state)
{
	uint8_t b[TL_BUF], o[TL_BUF], peer[16];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 2);
	memset(b + len, 0xee, 20);
	assert_int_equal(tl_run(&nif, b, len + 20, o, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(res.len, len);
	check_echo_reply(b, o, 2, nif.ip6);
}

static void test_truncated(void **state)
{
	uint8_t b[TL_BUF], peer[16];
	struct net_result res;
	struct net_if nif;
	size_t len, n;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, PAYLOAD);
	for (n = 0; n < len; n++) {
		enum drop_reason want = n < 14 ? DROP_ETH_TOO_SHORT :
					n < 54 ? DROP_IP6_TOO_SHORT : DROP_IP6_BAD_LEN;

		assert_int_equal(tl_run_exact(&nif, b, n, &res), NET_VERDICT_DROP);
		assert_int_equal(res.drop, want);
	}
}

static void test_header_errors(void **state)
{
	uint8_t b[TL_BUF], peer[16];
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	b[14] = 0x40;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_VERSION);
	b[14] = 0x70;
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_VERSION);

	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	tl_put16(b + 14 + 4, (uint16_t)(len - 54 + 1));
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_LEN);
	tl_put16(b + 14 + 4, 0xffff);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_LEN);
	/* Shorter than present: the rest is padding, and the checksum no longer matches. */
	tl_put16(b + 14 + 4, 12);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_BAD_CSUM);
}

static void test_addresses(void **state)
{
	static const char *const bad_src[] = {"ff02::1", "ff05::2", "::1", TL_OUR_IP6};
	static const char *const not_us[] = {
		"2001:db8::99", "ff02::2", "ff02::1:ff00:99", "ff05::1", "fe80::1", "::",
	};
	uint8_t b[TL_BUF], peer[16], a[16];
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	for (i = 0; i < sizeof(bad_src) / sizeof(bad_src[0]); i++) {
		tl_ip6(bad_src[i], a);
		len = tl_icmp6_echo(b, tl_our_mac, a, nif.ip6, 1, 1, 8);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_SRC);
	}
	/* Our link-local as a source is someone else using it. */
	len = tl_icmp6_echo(b, tl_our_mac, nif.ip6_ll, nif.ip6, 1, 1, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_SRC);
	/* An echo from :: has no one to answer. */
	memset(a, 0, sizeof(a));
	len = tl_icmp6_echo(b, tl_our_mac, a, nif.ip6, 1, 1, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_SRC);

	for (i = 0; i < sizeof(not_us) / sizeof(not_us[0]); i++) {
		tl_ip6(not_us[i], a);
		len = tl_icmp6_echo(b, tl_our_mac, peer, a, 1, 1, 8);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP6_NOT_FOR_US);
	}
	/* Without a global address, the global address is not ours. */
	nif.has_ip6 = false;
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_NOT_FOR_US);
	tl_sn(nif.ip6, a);
	len = tl_icmp6_echo(b, tl_our_mac, peer, a, 1, 1, 8);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_NOT_FOR_US);
}

static void test_next_headers(void **state)
{
	static const uint8_t ext[] = {0, 43, 60, 51, 50, 135};
	static const uint8_t unknown[] = {59, 4, 41, 47, 132, 255};
	uint8_t b[TL_BUF], o[TL_BUF], peer[16], l4[64], group[16];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t i, len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	memset(l4, 0x22, sizeof(l4));
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 44, 64, l4, 16);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_FRAGMENT);
	for (i = 0; i < sizeof(ext); i++) {
		len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, ext[i], 64, l4, 16);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP6_EXT_HDR);
	}
	for (i = 0; i < sizeof(unknown); i++) {
		len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, unknown[i], 64, l4, 16);
		assert_int_equal(drop_of(&nif, b, len), DROP_IP6_UNKNOWN_PROTO);
	}

	memset(&ctr, 0, sizeof(ctr));
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 17, 64, l4, 20);
	memset(b + len, 0xee, 8);
	assert_int_equal(tl_run(&nif, b, len + 8, o, &res, &ctr), NET_VERDICT_LOCAL);
	assert_int_equal(res.family, NET_FAMILY_IP6);
	assert_int_equal(res.l3_off, 14);
	assert_int_equal(res.l4_off, 54);
	assert_int_equal(res.l4_len, 20);
	assert_int_equal(res.l4_proto, 17);
	assert_int_equal(ctr.c[NET_CTR_IP6_LOCAL_IN], 1);
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6_ll, 6, 64, l4, 60);
	assert_int_equal(tl_run(&nif, b, len, o, &res, NULL), NET_VERDICT_LOCAL);
	assert_int_equal(res.l4_proto, 6);
	assert_int_equal(res.l4_len, 60);

	/* Transport to a multicast group is not for us, nor from ::. */
	tl_ip6("ff02::1", group);
	len = tl_ip6_pkt(b, all_nodes_mac, peer, group, 17, 64, l4, 20);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_NOT_FOR_US);
	memset(group, 0, sizeof(group));
	len = tl_ip6_pkt(b, tl_our_mac, group, nif.ip6, 17, 64, l4, 20);
	assert_int_equal(drop_of(&nif, b, len), DROP_IP6_BAD_SRC);
}

static void test_icmp6_errors(void **state)
{
	uint8_t b[TL_BUF], peer[16], msg[16];
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	/* Checksum covers the payload ... */
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	b[len - 1] ^= 0x01;
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_BAD_CSUM);
	/* ... and the pseudo-header: same message, sent to our other address. */
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	memcpy(b + 14 + 24, nif.ip6_ll, 16);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_BAD_CSUM);
	/* A zero checksum is not "no checksum" in ICMPv6. */
	len = tl_icmp6_echo(b, tl_our_mac, peer, nif.ip6, 1, 1, 8);
	b[14 + 40 + 2] = 0;
	b[14 + 40 + 3] = 0;
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_BAD_CSUM);

	memset(msg, 0, sizeof(msg));
	msg[0] = 128;
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 3);
	tl_icmp6_fix(b);	/* writes the checksum: 3 bytes have room for 2 of it */
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_TOO_SHORT);
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 0);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_TOO_SHORT);
	/* An echo request needs id and sequence: 4..7 bytes are too short. */
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 6);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_TOO_SHORT);

	msg[0] = 128;
	msg[1] = 1;
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 8);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_UNHANDLED);
	msg[0] = 129;
	msg[1] = 0;
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 8);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_UNHANDLED);
	msg[0] = 1;	/* destination unreachable */
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 64, msg, 16);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_UNHANDLED);
	msg[0] = 134;	/* router advertisement: not handled here */
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 58, 255, msg, 16);
	tl_icmp6_fix(b);
	assert_int_equal(drop_of(&nif, b, len), DROP_ICMP6_UNHANDLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_global),
		cmocka_unit_test(test_echo_link_local),
		cmocka_unit_test(test_echo_multicast),
		cmocka_unit_test(test_echo_padding_stripped),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_next_headers),
		cmocka_unit_test(test_icmp6_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
