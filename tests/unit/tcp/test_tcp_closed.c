/* SPDX-License-Identifier: Apache-2.0 */
/* Segments to a port nobody listens on: the reset RFC 9293 3.10.7.1 prescribes, or nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net.h"
#include "tcp_closed.h"
#include "testlib.h"

/* A TCP header with |flags|, no options; |extra| payload bytes. Returns the L4 length. */
static size_t tcp_hdr(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		      uint8_t flags, size_t extra)
{
	memset(t, 0, 20 + extra);
	tl_put16(t, sport);
	tl_put16(t + 2, dport);
	tl_put16(t + 4, (uint16_t)(seq >> 16));
	tl_put16(t + 6, (uint16_t)seq);
	tl_put16(t + 8, (uint16_t)(ack >> 16));
	tl_put16(t + 10, (uint16_t)ack);
	t[12] = 5 << 4;
	t[13] = flags;
	tl_put16(t + 14, 65535);
	for (size_t i = 0; i < extra; i++) {
		t[20 + i] = (uint8_t)i;
	}
	return 20 + extra;
}

/* The checksum over the IPv4 pseudo-header, by the test's own helper. */
static void seal4(uint8_t *frame, size_t l4_len)
{
	uint8_t ph[12];
	uint8_t *ip = frame + 14, *t = ip + 20;
	uint32_t sum;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	tl_put16(ph + 10, (uint16_t)l4_len);
	tl_put16(t + 16, 0);
	sum = (uint16_t)~tl_cksum(ph, sizeof(ph), 0);
	tl_put16(t + 16, tl_cksum(t, l4_len, sum));
}

static enum net_verdict run(const struct net_if *nif, uint8_t *frame, size_t len,
			    struct net_result *res, struct net_counters *ctr)
{
	net_input(nif, frame, (uint16_t)len, (uint16_t)len, ctr, res);
	if (res->verdict == NET_VERDICT_LOCAL && res->l4_proto == 6) {
		tcp_closed_input(nif, frame, ctr, res);
	}
	return res->verdict;
}

static size_t seg4(uint8_t *b, const struct net_if *nif, uint8_t flags, uint32_t seq, uint32_t ack,
		   size_t payload)
{
	uint8_t t[128];
	size_t l4 = tcp_hdr(t, 40000, 7, seq, ack, flags, payload);
	size_t len = tl_ip4_pkt(b, tl_our_mac, tl_ip4(TL_PEER_IP4), nif->ip4, 6, t, l4);

	seal4(b, l4);
	return len;
}

static void check_rst4(const uint8_t *o, size_t len, const struct net_if *nif, uint32_t seq,
		       uint32_t ack, uint8_t flags)
{
	const uint8_t *ip = o + 14, *t = ip + 20;
	uint32_t peer = tl_ip4(TL_PEER_IP4);

	assert_int_equal(len, 54);
	assert_memory_equal(o, tl_peer_mac, 6);
	assert_memory_equal(o + 6, tl_our_mac, 6);
	assert_int_equal(tl_get16(ip + 2), 40);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 6);
	assert_memory_equal(ip + 12, &nif->ip4, 4);
	assert_memory_equal(ip + 16, &peer, 4);
	assert_int_equal(tl_cksum(ip, 20, 0), 0);
	assert_int_equal(tl_get16(t), 7);
	assert_int_equal(tl_get16(t + 2), 40000);
	assert_int_equal(tl_get32(t + 4), seq);
	assert_int_equal(tl_get32(t + 8), ack);
	assert_int_equal(t[12], 5 << 4);
	assert_int_equal(t[13], flags);
	assert_int_equal(tl_get16(t + 14), 0);
	{
		uint8_t ph[12];
		uint32_t sum;

		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		tl_put16(ph + 10, 20);
		sum = (uint16_t)~tl_cksum(ph, sizeof(ph), 0);
		assert_int_equal(tl_cksum(t, 20, sum), 0);
	}
}

static void test_syn_gets_rst_ack(void **state)
{
	uint8_t b[TL_BUF];
	struct net_counters ctr;
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	memset(&ctr, 0, sizeof(ctr));
	len = seg4(b, &nif, 0x02, 1000, 0, 0);
	b[14 + 1] = 0xbb; /* DSCP and ECN CE on the SYN: the RST carries neither */
	{
		uint8_t *ip = b + 14;

		ip[10] = 0;
		ip[11] = 0;
		tl_put16(ip + 10, tl_cksum(ip, 20, 0));
	}
	assert_int_equal(run(&nif, b, len, &res, &ctr), NET_VERDICT_TX);
	assert_int_equal(b[14 + 1], 0);
	/* No ACK in the SYN: SEQ=0, ACK=SEG.SEQ+1 (the SYN counts), RST|ACK. */
	check_rst4(b, res.len, &nif, 0, 1001, 0x14);
	assert_int_equal(ctr.c[NET_CTR_TCP_RST_OUT], 1);
}

static void test_ack_segment_gets_rst_at_its_ack(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	/* Data with ACK (a stale connection): SEQ=SEG.ACK, RST only, payload dropped. */
	len = seg4(b, &nif, 0x18, 5000, 0xfffffff0, 40);
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_TX);
	check_rst4(b, res.len, &nif, 0xfffffff0, 0, 0x04);
}

static void test_fin_and_payload_count_in_ack(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = seg4(b, &nif, 0x01, 0xfffffffe, 0, 10); /* FIN without ACK, 10 bytes, wraps */
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_TX);
	check_rst4(b, res.len, &nif, 0, 0xfffffffe + 11, 0x14);
}

static void test_rst_is_never_answered(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = seg4(b, &nif, 0x04, 1, 0, 0);
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_TCP_RST_NO_CONN);
	len = seg4(b, &nif, 0x14, 1, 2, 0);
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_TCP_RST_NO_CONN);
}

static void test_bad_checksum_and_header(void **state)
{
	uint8_t b[TL_BUF];
	struct net_result res;
	struct net_if nif;
	size_t len;

	(void)state;
	tl_if(&nif);
	len = seg4(b, &nif, 0x02, 1000, 0, 4);
	b[len - 1] ^= 0x01;
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_TCP_BAD_CSUM);

	len = seg4(b, &nif, 0x02, 1000, 0, 0);
	b[14 + 20 + 12] = 4 << 4; /* data offset 4 */
	seal4(b, 20);
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_TCP_BAD_OFFSET);

	len = seg4(b, &nif, 0x03, 1000, 0, 0); /* SYN+FIN */
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_DROP);
	assert_int_equal(res.drop, DROP_TCP_BAD_FLAGS);
}

static void test_ipv6_syn(void **state)
{
	uint8_t b[TL_BUF], t[64], peer[16];
	struct net_result res;
	struct net_if nif;
	size_t len, l4;

	(void)state;
	tl_if(&nif);
	tl_ip6(TL_PEER_IP6, peer);
	l4 = tcp_hdr(t, 40001, 9, 77, 0, 0x02, 0);
	tl_put16(t + 16, tl_cksum6(peer, nif.ip6, 6, t, l4));
	len = tl_ip6_pkt(b, tl_our_mac, peer, nif.ip6, 6, 64, t, l4);
	b[14] = 0x6b; /* traffic class 0xb3 (ECN CE), flow label 0x12345 */
	b[15] = 0x31;
	b[16] = 0x23;
	b[17] = 0x45;
	assert_int_equal(run(&nif, b, len, &res, NULL), NET_VERDICT_TX);
	assert_int_equal(tl_get32(b + 14), 6u << 28);
	assert_int_equal(res.len, 14 + 40 + 20);
	assert_int_equal(tl_get16(b + 14 + 4), 20);
	assert_int_equal(b[14 + 7], 64);
	assert_memory_equal(b + 14 + 8, nif.ip6, 16);
	assert_memory_equal(b + 14 + 24, peer, 16);
	assert_int_equal(tl_get32(b + 54 + 8), 78);
	assert_int_equal(b[54 + 13], 0x14);
	{
		uint8_t chk[20];

		memcpy(chk, b + 54, 20);
		assert_int_equal(tl_cksum6(nif.ip6, peer, 6, chk, 20), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_gets_rst_ack),
		cmocka_unit_test(test_ack_segment_gets_rst_at_its_ack),
		cmocka_unit_test(test_fin_and_payload_count_in_ack),
		cmocka_unit_test(test_rst_is_never_answered),
		cmocka_unit_test(test_bad_checksum_and_header),
		cmocka_unit_test(test_ipv6_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
