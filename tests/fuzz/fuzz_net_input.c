/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_net_input.c - libFuzzer harness for net_input (dataplane/net).
 *
 * Each input is one Ethernet frame. It runs twice through an interface with
 * IPv4 and IPv6 configured: once in a heap buffer with tailroom (replies may
 * grow) and once in a buffer of exactly its size (cap == len), so that
 * AddressSanitizer sees any access past the frame. Beyond "no crash", it checks
 * the contract of net.h: a TX verdict has 42 <= len <= cap and a reply whose
 * checksums verify; LOCAL offsets lie inside the frame; drop reasons and
 * learned bindings are well-formed.
 *
 * The custom mutator (used by libFuzzer, and by fuzz_driver.c without it)
 * sometimes writes a fresh valid frame and, after mutating, often re-seals
 * lengths and checksums, so that mutations reach the code behind them.
 *
 * Build: meson -Dfuzz=true (clang, -fsanitize=fuzzer); otherwise the same
 * file links with fuzz_driver.c and runs as the 'fuzz' meson test suite.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net.h"
#include "tcp_closed.h"


#define TAILROOM 256
#define MAX_FRAME 9018


static const uint8_t our_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc};
static const uint8_t our_ip4[4] = {192, 0, 2, 1};
static const uint8_t peer_ip4[4] = {192, 0, 2, 7};
static const uint8_t our_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t peer_ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x07};

static struct net_if nif;
static bool nif_ready;

static void setup(void)
{
	if (nif_ready) {
		return;
	}
	if (net_if_init(&nif, our_mac, 1500) != 0) {
		abort();
	}
	nif.has_ip4 = true;
	memcpy(&nif.ip4, our_ip4, 4);
	nif.ip4_prefix = 24;
	nif.has_ip6 = true;
	memcpy(nif.ip6, our_ip6, 16);
	nif.ip6_prefix = 64;
	nif_ready = true;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071, written independently of the engine's DPDK-based helper. */
static uint16_t cksum(const uint8_t *p, size_t n, uint32_t sum)
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

static uint32_t phdr6(const uint8_t *ip, uint32_t len, uint8_t proto)
{
	uint32_t s = 0;
	int i;

	for (i = 8; i < 40; i += 2) {
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	}
	return s + (len >> 16) + (len & 0xffff) + proto;
}

/* The IPv4 pseudo-header sum for a TCP segment of |len| bytes (RFC 9293 3.1). */
static uint32_t phdr4(const uint8_t *ip, uint32_t len, uint8_t proto)
{
	uint32_t s = 0;

	for (int i = 12; i < 20; i += 2) {
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	}
	return s + len + proto;
}

/* A reply we emit must be a frame a peer accepts: from us, checksums right. */
static void check_reply(const uint8_t *f, uint16_t len)
{
	uint16_t type = rd16(f + 12);

	CHECK(memcmp(f + 6, our_mac, 6) == 0);
	if (type == 0x0806) {
		CHECK(len == 60);
		CHECK(rd16(f + 14 + 6) == 2);
		return;
	}
	if (type == 0x0800) {
		const uint8_t *ip = f + 14;
		uint16_t tot = rd16(ip + 2);

		CHECK(len >= 14 + 28 && tot == len - 14);
		CHECK(cksum(ip, 20, 0) == 0);
		if (ip[9] == 6) {
			/* A reset for a closed port: 20 bytes, RST set, checksum right. */
			CHECK(tot == 40 && (ip[20 + 13] & 0x04) != 0);
			CHECK(cksum(ip + 20, 20, phdr4(ip, 20, 6)) == 0);
			CHECK(memcmp(ip + 12, our_ip4, 4) == 0);
			return;
		}
		CHECK(ip[9] == 1 && ip[20] == 0);
		CHECK(cksum(ip + 20, (size_t)tot - 20, 0) == 0);
		CHECK(memcmp(ip + 12, our_ip4, 4) == 0);
		return;
	}
	CHECK(type == 0x86dd);
	{
		const uint8_t *ip = f + 14;
		uint16_t plen = rd16(ip + 4);

		if (ip[6] == 6) {
			CHECK(plen == 20 && len == 74 && (ip[40 + 13] & 0x04) != 0);
			CHECK(cksum(ip + 40, plen, phdr6(ip, plen, 6)) == 0);
			CHECK(ip[8] != 0xff);
			return;
		}
		CHECK(len >= 14 + 40 + 8 && plen == len - 54);
		CHECK(ip[6] == 58);
		CHECK(cksum(ip + 40, plen, phdr6(ip, plen, 58)) == 0);
		CHECK(ip[40] == 129 || ip[40] == 136);
		CHECK(ip[8] != 0xff);	/* never from a multicast source */
	}
}

static void check_result(const uint8_t *frame, size_t size, size_t cap,
			 const struct net_result *res)
{
	switch (res->verdict) {
	case NET_VERDICT_DROP:
		CHECK((unsigned int)res->drop < DROP__MAX);
		break;
	case NET_VERDICT_TX:
		CHECK(res->len <= cap);
		CHECK(res->len >= 42);
		check_reply(frame, res->len);
		break;
	case NET_VERDICT_LOCAL:
		CHECK(res->l3_off == 14);
		CHECK(res->l4_off > res->l3_off);
		CHECK((size_t)res->l4_off + res->l4_len <= size);
		CHECK(res->l4_proto == 6 || res->l4_proto == 17);
		CHECK(res->family == NET_FAMILY_IP4 || res->family == NET_FAMILY_IP6);
		break;
	default:
		CHECK(0);
	}
	CHECK(res->learn.family == NET_FAMILY_NONE || res->learn.family == NET_FAMILY_IP4 ||
	      res->learn.family == NET_FAMILY_IP6);
	if (res->learn.family != NET_FAMILY_NONE) {
		CHECK((res->learn.mac[0] & 1) == 0);
	}
}

/* TCP for us: no listener exists in the engine, so it gets the closed-port treatment. */
static void closed_port(uint8_t *buf, size_t size, size_t cap, struct net_counters *ctr,
			struct net_result *res)
{
	if (res->verdict != NET_VERDICT_LOCAL || res->l4_proto != 6) {
		return;
	}
	tcp_closed_input(&nif, buf, ctr, res);
	CHECK(res->verdict == NET_VERDICT_TX || res->verdict == NET_VERDICT_DROP);
	check_result(buf, size, cap, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_counters ctr;
	struct net_result res;
	uint8_t *buf;

	setup();
	if (size > MAX_FRAME) {
		return 0;
	}
	memset(&ctr, 0, sizeof(ctr));

	buf = malloc(size + TAILROOM);
	CHECK(buf != NULL);
	if (size != 0) {
		memcpy(buf, data, size);
	}
	net_input(&nif, buf, (uint16_t)size, (uint16_t)(size + TAILROOM), &ctr, &res);
	check_result(buf, size, size + TAILROOM, &res);
	closed_port(buf, size, size + TAILROOM, &ctr, &res);
	free(buf);

	/* Exactly |size| bytes: replies that need to grow must say so, not write past. */
	buf = malloc(size == 0 ? 1 : size);
	CHECK(buf != NULL);
	if (size != 0) {
		memcpy(buf, data, size);
	}
	net_input(&nif, buf, (uint16_t)size, (uint16_t)size, &ctr, &res);
	check_result(buf, size, size, &res);
	closed_port(buf, size, size, &ctr, &res);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Structure-aware mutation: fresh valid frames, and re-sealed checksums.     */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const uint8_t *pick_ip6_dst(uint32_t r, uint8_t *tmp)
{
	switch (r % 4) {
	case 0:
		return our_ip6;
	case 1:
		return nif.ip6_ll;
	case 2:
		memset(tmp, 0, 16);
		tmp[0] = 0xff;
		tmp[1] = 0x02;
		tmp[15] = 1;
		return tmp;
	default:
		memset(tmp, 0, 16);
		tmp[0] = 0xff;
		tmp[1] = 0x02;
		tmp[11] = 1;
		tmp[12] = 0xff;
		memcpy(tmp + 13, our_ip6 + 13, 3);
		return tmp;
	}
}

static size_t gen_eth(uint8_t *b, uint16_t type)
{
	memcpy(b, our_mac, 6);
	memcpy(b + 6, peer_mac, 6);
	wr16(b + 12, type);
	return 14;
}

/* An IPv6 multicast destination goes to its 33:33 MAC (RFC 2464 7). */
static void gen_eth6_dst(uint8_t *b)
{
	const uint8_t *dst = b + 14 + 24;

	if (dst[0] == 0xff) {
		b[0] = 0x33;
		b[1] = 0x33;
		memcpy(b + 2, dst + 12, 4);
	}
}

/* One valid frame of a random kind into |b| (at least 128 bytes); returns its length. */
static size_t gen_frame(uint8_t *b, size_t max, uint32_t *s)
{
	uint32_t r = rnd(s);
	uint8_t tmp[16];
	size_t n, i;
	uint8_t *ip, *m;

	if (max < 128) {
		return 0;
	}
	switch (r % 6) {
	case 0: {	/* ARP request or reply for us */
		uint8_t *a = b + 14;

		gen_eth(b, 0x0806);
		wr16(a, 1);
		wr16(a + 2, 0x0800);
		a[4] = 6;
		a[5] = 4;
		wr16(a + 6, (uint16_t)(1 + (r >> 8) % 2));
		memcpy(a + 8, peer_mac, 6);
		memcpy(a + 14, peer_ip4, 4);
		memset(a + 18, 0, 6);
		/* For us, or a gratuitous announcement (target == sender). */
		memcpy(a + 24, (r >> 9) & 1 ? our_ip4 : peer_ip4, 4);
		if ((r >> 10) & 1) {
			memset(b, 0xff, 6);
		}
		return 42;
	}
	case 1:		/* ICMP echo or UDP over IPv4 */
		n = (r >> 8) % 64;
		gen_eth(b, 0x0800);
		ip = b + 14;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(20 + 8 + n));
		ip[8] = 64;
		ip[9] = (r >> 16) % 3 == 0 ? 17 : 1;
		memcpy(ip + 12, peer_ip4, 4);
		memcpy(ip + 16, our_ip4, 4);
		m = ip + 20;
		memset(m, 0, 8);
		m[0] = ip[9] == 1 ? 8 : 0;
		for (i = 0; i < n; i++) {
			m[8 + i] = (uint8_t)rnd(s);
		}
		return 14 + 20 + 8 + n;
	case 2:		/* ICMPv6 echo */
		n = (r >> 8) % 64;
		gen_eth(b, 0x86dd);
		ip = b + 14;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(8 + n));
		ip[6] = 58;
		ip[7] = 64;
		memcpy(ip + 8, peer_ip6, 16);
		memcpy(ip + 24, pick_ip6_dst(r >> 16, tmp), 16);
		gen_eth6_dst(b);
		m = ip + 40;
		memset(m, 0, 8);
		m[0] = 128;
		for (i = 0; i < n; i++) {
			m[8 + i] = (uint8_t)rnd(s);
		}
		return 54 + 8 + n;
	case 3:		/* NS or NA, maybe DAD, maybe with an option */
	case 4: {
		bool na = r % 6 == 4, opt = (r >> 8) & 1, dad = !na && ((r >> 9) & 3) == 0;

		gen_eth(b, 0x86dd);
		ip = b + 14;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(opt && !dad ? 32 : 24));
		ip[6] = 58;
		ip[7] = 255;
		if (!dad) {
			memcpy(ip + 8, peer_ip6, 16);
		}
		memcpy(ip + 24, pick_ip6_dst(dad ? 3 : r >> 16, tmp), 16);
		gen_eth6_dst(b);
		m = ip + 40;
		memset(m, 0, 32);
		m[0] = na ? 136 : 135;
		m[4] = na ? 0x20 : 0;
		memcpy(m + 8, na ? peer_ip6 : ((r >> 12) & 1 ? our_ip6 : nif.ip6_ll), 16);
		if (opt && !dad) {
			m[24] = na ? 2 : 1;
			m[25] = 1;
			memcpy(m + 26, peer_mac, 6);
			return 54 + 32;
		}
		return 54 + 24;
	}
	default:	/* UDP or TCP over IPv6 */
		n = (r >> 8) % 64;
		gen_eth(b, 0x86dd);
		ip = b + 14;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(8 + n));
		ip[6] = (r >> 16) & 1 ? 6 : 17;
		ip[7] = 64;
		memcpy(ip + 8, peer_ip6, 16);
		memcpy(ip + 24, our_ip6, 16);
		for (i = 0; i < 8 + n; i++) {
			ip[40 + i] = (uint8_t)rnd(s);
		}
		return 54 + 8 + n;
	}
}

/* Re-seal what a mutation broke: lengths (sometimes) and checksums. */
static void reseal(uint8_t *b, size_t size, uint32_t *s)
{
	uint32_t r = rnd(s);

	if (size < 14) {
		return;
	}
	if (rd16(b + 12) == 0x0800 && size >= 34 && (b[14] & 0x0f) == 5) {
		uint8_t *ip = b + 14;
		uint16_t tot;

		if (r & 1) {
			wr16(ip + 2, (uint16_t)(size - 14));
		}
		tot = rd16(ip + 2);
		if (tot >= 20 && tot <= size - 14 && ip[9] == 1 && tot >= 24) {
			ip[22] = 0;
			ip[23] = 0;
			wr16(ip + 22, cksum(ip + 20, (size_t)tot - 20, 0));
		}
		if (tot <= size - 14 && ip[9] == 6 && tot >= 40) {
			ip[36] = 0;
			ip[37] = 0;
			wr16(ip + 36, cksum(ip + 20, (size_t)tot - 20, phdr4(ip, tot - 20u, 6)));
		}
		ip[10] = 0;
		ip[11] = 0;
		wr16(ip + 10, cksum(ip, 20, 0));
	} else if (rd16(b + 12) == 0x86dd && size >= 54) {
		uint8_t *ip = b + 14;
		uint16_t plen;

		if (r & 1) {
			wr16(ip + 4, (uint16_t)(size - 54));
		}
		plen = rd16(ip + 4);
		if (ip[6] == 58 && plen >= 4 && plen <= size - 54) {
			ip[42] = 0;
			ip[43] = 0;
			wr16(ip + 42, cksum(ip + 40, plen, phdr6(ip, plen, 58)));
		}
		if (ip[6] == 6 && plen >= 20 && plen <= size - 54) {
			ip[56] = 0;
			ip[57] = 0;
			wr16(ip + 56, cksum(ip + 40, plen, phdr6(ip, plen, 6)));
		}
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;

	setup();
	if (size < 14 || rnd(&s) % 16 == 0) {
		size_t n = gen_frame(data, max_size, &s);

		if (n != 0) {
			size = n;
			if (rnd(&s) % 2 == 0) {
				reseal(data, size, &s);
				return size;
			}
		}
	}
	size = LLVMFuzzerMutate(data, size, max_size);
	if (rnd(&s) % 4 != 0) {
		reseal(data, size, &s);
	}
	return size;
}
