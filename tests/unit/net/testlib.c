/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

const uint8_t tl_our_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
const uint8_t tl_peer_mac[6] = {0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc};

void tl_if(struct net_if *nif)
{
	int rc = net_if_init(nif, tl_our_mac, 1500);

	assert(rc == 0);
	nif->has_ip4 = true;
	nif->ip4 = tl_ip4(TL_OUR_IP4);
	nif->ip4_prefix = 24;
	nif->has_ip6 = true;
	tl_ip6(TL_OUR_IP6, nif->ip6);
	nif->ip6_prefix = 64;
}

void tl_peer_if(struct net_if *nif)
{
	int rc = net_if_init(nif, tl_peer_mac, 1500);

	assert(rc == 0);
	nif->has_ip4 = true;
	nif->ip4 = tl_ip4(TL_PEER_IP4);
	nif->ip4_prefix = 24;
	nif->has_ip6 = true;
	tl_ip6(TL_PEER_IP6, nif->ip6);
	nif->ip6_prefix = 64;
}

uint32_t tl_ip4(const char *s)
{
	struct in_addr a;
	int rc = inet_pton(AF_INET, s, &a);

	assert(rc == 1);
	return a.s_addr;
}

void tl_ip6(const char *s, uint8_t out[16])
{
	int rc = inet_pton(AF_INET6, s, out);

	assert(rc == 1);
}

uint16_t tl_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t tl_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void tl_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t tl_cksum(const uint8_t *p, size_t n, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n & 1) {
		s += (uint32_t)p[n - 1] << 8;
	}
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

uint16_t tl_cksum6(const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
		   size_t n)
{
	uint32_t s = 0;
	int i;

	for (i = 0; i < 16; i += 2) {
		s += (uint32_t)src[i] << 8 | src[i + 1];
		s += (uint32_t)dst[i] << 8 | dst[i + 1];
	}
	s += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff);
	s += proto;
	return tl_cksum(l4, n, s);
}

size_t tl_eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	tl_put16(b + 12, type);
	return 14;
}

size_t tl_arp(uint8_t *b, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, uint32_t spa,
	      const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = b + 14;

	tl_eth(b, eth_dst, sha, 0x0806);
	tl_put16(a, 1);
	tl_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	tl_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tpa, 4);
	return 42;
}

void tl_ip4_fix(uint8_t *b)
{
	uint8_t *ip = b + 14;
	uint16_t ck;

	ip[10] = 0;
	ip[11] = 0;
	ck = tl_cksum(ip, (size_t)(ip[0] & 0x0f) * 4, 0);
	tl_put16(ip + 10, ck);
}

size_t tl_ip4_pkt(uint8_t *b, const uint8_t *eth_dst, uint32_t src, uint32_t dst, uint8_t proto,
		  const uint8_t *l4, size_t l4_len)
{
	uint8_t *ip = b + 14;

	tl_eth(b, eth_dst, tl_peer_mac, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0x00;
	tl_put16(ip + 2, (uint16_t)(20 + l4_len));
	tl_put16(ip + 4, 0x1234);
	tl_put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 61;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	memcpy(ip + 20, l4, l4_len);
	tl_ip4_fix(b);
	return 14 + 20 + l4_len;
}

size_t tl_icmp_echo(uint8_t *b, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t n)
{
	uint8_t m[TL_BUF];
	size_t i;

	assert(8 + n <= sizeof(m));
	m[0] = 8;
	m[1] = 0;
	m[2] = 0;
	m[3] = 0;
	tl_put16(m + 4, id);
	tl_put16(m + 6, seq);
	for (i = 0; i < n; i++) {
		m[8 + i] = (uint8_t)i;
	}
	tl_put16(m + 2, tl_cksum(m, 8 + n, 0));
	return tl_ip4_pkt(b, tl_our_mac, src, dst, 1, m, 8 + n);
}

size_t tl_ip6_pkt(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
		  uint8_t nh, uint8_t hlim, const uint8_t *l4, size_t l4_len)
{
	uint8_t *ip = b + 14;

	tl_eth(b, eth_dst, tl_peer_mac, 0x86dd);
	ip[0] = 0x60;
	ip[1] = 0x01;	/* a flow label, to check it survives */
	ip[2] = 0x23;
	ip[3] = 0x45;
	tl_put16(ip + 4, (uint16_t)l4_len);
	ip[6] = nh;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, l4, l4_len);
	return 14 + 40 + l4_len;
}

void tl_icmp6_fix(uint8_t *b)
{
	uint8_t *ip = b + 14;
	uint8_t *m = ip + 40;
	uint16_t plen = tl_get16(ip + 4);

	m[2] = 0;
	m[3] = 0;
	tl_put16(m + 2, tl_cksum6(ip + 8, ip + 24, 58, m, plen));
}

size_t tl_icmp6_echo(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
		     uint16_t id, uint16_t seq, size_t n)
{
	uint8_t m[TL_BUF];
	size_t i, len;

	assert(8 + n <= sizeof(m));
	memset(m, 0, 8);
	m[0] = 128;
	tl_put16(m + 4, id);
	tl_put16(m + 6, seq);
	for (i = 0; i < n; i++) {
		m[8 + i] = (uint8_t)(0xa0 + i);
	}
	len = tl_ip6_pkt(b, eth_dst, src, dst, 58, 57, m, 8 + n);
	tl_icmp6_fix(b);
	return len;
}

size_t tl_ns(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
	     const uint8_t *target, const uint8_t *lla, uint8_t hlim)
{
	uint8_t m[32];
	size_t n = 24, len;

	memset(m, 0, sizeof(m));
	m[0] = 135;
	memcpy(m + 8, target, 16);
	if (lla != NULL) {
		m[24] = 1;
		m[25] = 1;
		memcpy(m + 26, lla, 6);
		n = 32;
	}
	len = tl_ip6_pkt(b, eth_dst, src, dst, 58, hlim, m, n);
	tl_icmp6_fix(b);
	return len;
}

size_t tl_na(uint8_t *b, const uint8_t *eth_dst, const uint8_t *src, const uint8_t *dst,
	     const uint8_t *target, uint32_t flags, const uint8_t *lla, uint8_t hlim)
{
	uint8_t m[32];
	size_t n = 24, len;

	memset(m, 0, sizeof(m));
	m[0] = 136;
	m[4] = (uint8_t)(flags >> 24);
	memcpy(m + 8, target, 16);
	if (lla != NULL) {
		m[24] = 2;
		m[25] = 1;
		memcpy(m + 26, lla, 6);
		n = 32;
	}
	len = tl_ip6_pkt(b, eth_dst, src, dst, 58, hlim, m, n);
	tl_icmp6_fix(b);
	return len;
}

void tl_sn(const uint8_t *a, uint8_t out[16])
{
	tl_ip6("ff02::1:ff00:0", out);
	out[13] = a[13];
	out[14] = a[14];
	out[15] = a[15];
}

void tl_sn_mac(const uint8_t *a, uint8_t out[6])
{
	out[0] = 0x33;
	out[1] = 0x33;
	out[2] = 0xff;
	out[3] = a[13];
	out[4] = a[14];
	out[5] = a[15];
}

enum net_verdict tl_run(const struct net_if *nif, const uint8_t *b, size_t len, uint8_t *out,
			struct net_result *res, struct net_counters *ctr)
{
	struct net_counters scratch;

	memset(out, 0, TL_BUF);
	memcpy(out, b, len);
	if (ctr == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		ctr = &scratch;
	}
	net_input(nif, out, (uint16_t)len, TL_BUF, ctr, res);
	return res->verdict;
}

enum net_verdict tl_run_exact(const struct net_if *nif, const uint8_t *b, size_t len,
			      struct net_result *res)
{
	struct net_counters ctr;
	uint8_t *copy = malloc(len == 0 ? 1 : len);

	assert(copy != NULL);
	if (len != 0) {
		memcpy(copy, b, len);
	}
	memset(&ctr, 0, sizeof(ctr));
	net_input(nif, copy, (uint16_t)len, (uint16_t)len, &ctr, res);
	free(copy);
	return res->verdict;
}
