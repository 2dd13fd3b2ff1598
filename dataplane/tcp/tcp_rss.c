/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_rss.c - software prediction of the RX queue the device's RSS picks,
 * and the choice of local ports for active opens (the sans-I/O half of
 * tcp_rss.h; the ethdev half is tcp_rss_dev.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_thash.h>

#include "tcp_rss.h"

/*
 * Microsoft's RSS verification key ("Verifying the RSS Hash Calculation"),
 * which is also the default key of most NIC drivers.
 */
static const uint8_t default_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* What the device feeds to Toeplitz for a TCP segment of one IP version. */
enum input {
	IN_OFF = 0, /* not hashed (or no key): unpredictable */
	IN_L3,	    /* addresses */
	IN_L4,	    /* addresses and ports */
};

/*
 * Toeplitz input as 32-bit words in CPU order, the layout rte_softrss_be
 * expects (rte_ipv4_tuple/rte_ipv6_tuple, built by hand so that no SIMD
 * alignment is needed): source address, destination address, then the word
 * sport << 16 | dport, i.e. the order the fields have on the wire.
 */
#define V4_L3_WORDS 2
#define V6_L3_WORDS 8
#define MAX_WORDS (V6_L3_WORDS + 1)

static enum input input_of(const struct tcp_rss *r, uint32_t l4_type, uint32_t l3_type)
{
	if (r->key_len == 0) {
		return IN_OFF;
	}
	if (r->hash_types & l4_type) {
		return IN_L4;
	}
	if (r->hash_types & l3_type) {
		return IN_L3;
	}
	return IN_OFF;
}

static uint32_t ports_word(uint16_t sport, uint16_t dport)
{
	return (uint32_t)sport << 16 | dport;
}

static void load_v4(uint32_t *t, uint32_t src_be, uint32_t dst_be)
{
	t[0] = rte_be_to_cpu_32(src_be);
	t[1] = rte_be_to_cpu_32(dst_be);
}

static void load_v6(uint32_t *t, const uint8_t src[16], const uint8_t dst[16])
{
	for (unsigned i = 0; i < 4; i++) {
		uint32_t s, d;

		memcpy(&s, src + 4 * i, 4);
		memcpy(&d, dst + 4 * i, 4);
		t[i] = rte_be_to_cpu_32(s);
		t[4 + i] = rte_be_to_cpu_32(d);
	}
}

/* The Toeplitz hash of |t[0..words)| under r's key. */
static uint32_t toeplitz(const struct tcp_rss *r, uint32_t *t, uint32_t words)
{
	return rte_softrss_be(t, words, (const uint8_t *)r->key_words);
}

/* |t| holds the addresses; hash it the way the device does for |in|. */
static uint32_t hash_tuple(const struct tcp_rss *r, enum input in, uint32_t *t, uint32_t l3_words,
			   uint16_t sport, uint16_t dport)
{
	switch (in) {
	case IN_L4:
		t[l3_words] = ports_word(sport, dport);
		return toeplitz(r, t, l3_words + 1);
	case IN_L3:
		return toeplitz(r, t, l3_words);
	default:
		return 0;
	}
}

static bool key_ok(const uint8_t *key, uint8_t key_len)
{
	return key != NULL && key_len >= TCP_RSS_KEY_MIN && key_len <= TCP_RSS_KEY_MAX &&
	       key_len % 4 == 0;
}

static bool reta_ok(const uint16_t *reta, uint16_t reta_size, uint16_t nb_queues)
{
	if (reta == NULL || reta_size == 0 || reta_size > TCP_RSS_RETA_MAX) {
		return false;
	}
	for (uint16_t i = 0; i < reta_size; i++) {
		if (reta[i] >= nb_queues) {
			return false;
		}
	}
	return true;
}

static void set_key(struct tcp_rss *r, const uint8_t *key, uint8_t key_len)
{
	uint32_t raw[TCP_RSS_KEY_MAX / 4];

	/* rte_convert_rss_key reads 32-bit words: give it an aligned copy. */
	memcpy(raw, key, key_len);
	memcpy(r->key, key, key_len);
	rte_convert_rss_key(raw, r->key_words, key_len);
	r->key_len = key_len;
}

static void set_reta(struct tcp_rss *r, const uint16_t *reta, uint16_t reta_size)
{
	memcpy(r->reta, reta, reta_size * sizeof(reta[0]));
	r->reta_size = reta_size;
}

int tcp_rss_init(struct tcp_rss *r, enum tcp_rss_strategy strategy, const uint8_t *key,
		 uint8_t key_len, uint32_t hash_types, const uint16_t *reta, uint16_t reta_size,
		 uint16_t nb_queues)
{
	memset(r, 0, sizeof(*r));
	if (nb_queues == 0) {
		return -EINVAL;
	}
	switch (strategy) {
	case TCP_RSS_NONE:
		if (nb_queues != 1) {
			return -EINVAL;
		}
		break;
	case TCP_RSS_TOEPLITZ:
		if (!key_ok(key, key_len) || !reta_ok(reta, reta_size, nb_queues) ||
		    (hash_types & ~TCP_RSS_HASH_ALL) != 0) {
			return -EINVAL;
		}
		set_key(r, key, key_len);
		set_reta(r, reta, reta_size);
		r->hash_types = hash_types;
		break;
	case TCP_RSS_UNKNOWN:
		/* Kept for tcp_rss_dump only; nothing predicts with them. */
		if (key_ok(key, key_len)) {
			set_key(r, key, key_len);
		}
		if (reta_ok(reta, reta_size, nb_queues)) {
			set_reta(r, reta, reta_size);
		}
		r->hash_types = hash_types & TCP_RSS_HASH_ALL;
		break;
	default:
		return -EINVAL;
	}
	r->strategy = strategy;
	r->nb_queues = nb_queues;
	return 0;
}

int tcp_rss_init_soft(struct tcp_rss *r, uint16_t nb_queues)
{
	uint16_t reta[TCP_RSS_RETA_MAX];
	uint16_t size = 128;

	if (nb_queues == 0 || nb_queues > TCP_RSS_RETA_MAX) {
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	if (nb_queues == 1) {
		return tcp_rss_init(r, TCP_RSS_NONE, NULL, 0, 0, NULL, 0, 1);
	}
	while (size < nb_queues) {
		size <<= 1;
	}
	for (uint16_t i = 0; i < size; i++) {
		reta[i] = i % nb_queues;
	}
	return tcp_rss_init(r, TCP_RSS_TOEPLITZ, default_key, sizeof(default_key), TCP_RSS_HASH_ALL,
			    reta, size, nb_queues);
}

uint32_t tcp_rss_hash4(const struct tcp_rss *r, uint32_t src_be, uint32_t dst_be, uint16_t sport,
		       uint16_t dport)
{
	uint32_t t[V4_L3_WORDS + 1];

	load_v4(t, src_be, dst_be);
	return hash_tuple(r, input_of(r, TCP_RSS_HASH_TCP4, TCP_RSS_HASH_IPV4), t, V4_L3_WORDS,
			  sport, dport);
}

uint32_t tcp_rss_hash6(const struct tcp_rss *r, const uint8_t src[16], const uint8_t dst[16],
		       uint16_t sport, uint16_t dport)
{
	uint32_t t[V6_L3_WORDS + 1];

	load_v6(t, src, dst);
	return hash_tuple(r, input_of(r, TCP_RSS_HASH_TCP6, TCP_RSS_HASH_IPV6), t, V6_L3_WORDS,
			  sport, dport);
}

uint16_t tcp_rss_queue(const struct tcp_rss *r, uint32_t hash)
{
	uint16_t n = r->reta_size;

	if (n == 0) {
		return 0;
	}
	if ((n & (n - 1)) == 0) {
		return r->reta[hash & (n - 1u)];
	}
	return r->reta[hash % n];
}

static int flow_queue(const struct tcp_rss *r, enum input in, uint32_t *t, uint32_t l3_words,
		      uint16_t sport, uint16_t dport)
{
	switch (r->strategy) {
	case TCP_RSS_NONE:
		return 0;
	case TCP_RSS_TOEPLITZ:
		if (in == IN_OFF) {
			return -EOPNOTSUPP;
		}
		return tcp_rss_queue(r, hash_tuple(r, in, t, l3_words, sport, dport));
	default:
		return -EOPNOTSUPP;
	}
}

int tcp_rss_flow_queue4(const struct tcp_rss *r, uint32_t src_be, uint32_t dst_be, uint16_t sport,
			uint16_t dport)
{
	uint32_t t[V4_L3_WORDS + 1];

	load_v4(t, src_be, dst_be);
	return flow_queue(r, input_of(r, TCP_RSS_HASH_TCP4, TCP_RSS_HASH_IPV4), t, V4_L3_WORDS,
			  sport, dport);
}

int tcp_rss_flow_queue6(const struct tcp_rss *r, const uint8_t src[16], const uint8_t dst[16],
			uint16_t sport, uint16_t dport)
{
	uint32_t t[V6_L3_WORDS + 1];

	load_v6(t, src, dst);
	return flow_queue(r, input_of(r, TCP_RSS_HASH_TCP6, TCP_RSS_HASH_IPV6), t, V6_L3_WORDS,
			  sport, dport);
}

static bool reta_names(const struct tcp_rss *r, uint16_t queue)
{
	for (uint16_t i = 0; i < r->reta_size; i++) {
		if (r->reta[i] == queue) {
			return true;
		}
	}
	return false;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The stride of the port walk: odd, below |n| and coprime with it, so that
 * the walk visits every port of the range once. Why not always 1: the ports
 * that steer to one queue form runs (the queue is a linear function of the
 * port's bits, and often of its higher bits only), and a walk by 1 from a
 * random start mostly returns the first port of a run; a random stride
 * makes each port of the queue about equally likely (RFC 6056 section 3.1).
 */
static uint32_t stride(uint32_t seed, uint32_t n)
{
	uint32_t s;

	if (n <= 2) {
		return 1;
	}
	s = (seed % n) | 1;
	while (s >= n || gcd(s, n) != 1) {
		s = s + 2 >= n ? 1 : s + 2;
	}
	return s;
}

/*
 * The search behind tcp_rss_pick_port4/6. |t| holds the reply's addresses
 * (src = remote, dst = local) in its first |l3_words| words.
 */
static int pick_port(const struct tcp_rss *r, enum input in, uint32_t *t, uint32_t l3_words,
		     uint16_t remote_port, uint16_t want_queue, uint16_t lo, uint16_t hi,
		     uint32_t start, bool (*in_use)(void *arg, uint16_t port), void *arg)
{
	uint32_t only_ports[MAX_WORDS] = {0};
	uint32_t base = 0, n, cur, step;
	bool steer = false;

	if (lo == 0 || lo > hi || want_queue >= r->nb_queues) {
		return -EINVAL;
	}
	switch (r->strategy) {
	case TCP_RSS_NONE:
		break;
	case TCP_RSS_TOEPLITZ:
		if (in == IN_OFF) {
			return -EOPNOTSUPP;
		}
		if (in == IN_L3) {
			/* The ports do not enter the hash: the addresses decide. */
			if (tcp_rss_queue(r, toeplitz(r, t, l3_words)) != want_queue) {
				return -EOPNOTSUPP;
			}
			break;
		}
		if (!reta_names(r, want_queue)) {
			return -EADDRNOTAVAIL;
		}
		/*
		 * Toeplitz is linear over XOR in its input (each set bit XORs in
		 * one 32-bit window of the key), so hash the addresses once and
		 * add the contribution of each candidate's ports word alone.
		 */
		base = toeplitz(r, t, l3_words);
		steer = true;
		break;
	default:
		return -EOPNOTSUPP;
	}

	n = (uint32_t)hi - lo + 1;
	cur = start % n;
	step = stride(start >> 16, n);
	for (uint32_t i = 0; i < n; i++, cur = cur + step >= n ? cur + step - n : cur + step) {
		uint16_t port = (uint16_t)(lo + cur);

		if (steer) {
			uint32_t h;

			only_ports[l3_words] = ports_word(remote_port, port);
			h = base ^ toeplitz(r, only_ports, l3_words + 1);
			if (tcp_rss_queue(r, h) != want_queue) {
				continue;
			}
		}
		if (in_use == NULL || !in_use(arg, port)) {
			return port;
		}
	}
	return -EADDRNOTAVAIL;
}

int tcp_rss_pick_port4(const struct tcp_rss *r, uint32_t local_be, uint32_t remote_be,
		       uint16_t remote_port, uint16_t want_queue, uint16_t lo, uint16_t hi,
		       uint32_t start, bool (*in_use)(void *arg, uint16_t port), void *arg)
{
	uint32_t t[V4_L3_WORDS + 1];

	load_v4(t, remote_be, local_be);
	return pick_port(r, input_of(r, TCP_RSS_HASH_TCP4, TCP_RSS_HASH_IPV4), t, V4_L3_WORDS,
			 remote_port, want_queue, lo, hi, start, in_use, arg);
}

int tcp_rss_pick_port6(const struct tcp_rss *r, const uint8_t local[16], const uint8_t remote[16],
		       uint16_t remote_port, uint16_t want_queue, uint16_t lo, uint16_t hi,
		       uint32_t start, bool (*in_use)(void *arg, uint16_t port), void *arg)
{
	uint32_t t[V6_L3_WORDS + 1];

	load_v6(t, remote, local);
	return pick_port(r, input_of(r, TCP_RSS_HASH_TCP6, TCP_RSS_HASH_IPV6), t, V6_L3_WORDS,
			 remote_port, want_queue, lo, hi, start, in_use, arg);
}

const char *tcp_rss_strategy_name(enum tcp_rss_strategy s)
{
	switch (s) {
	case TCP_RSS_NONE:
		return "none";
	case TCP_RSS_TOEPLITZ:
		return "toeplitz";
	case TCP_RSS_UNKNOWN:
		return "unknown";
	default:
		return "?";
	}
}

void tcp_rss_dump(FILE *f, const struct tcp_rss *r)
{
	fprintf(f, "rss: strategy %s, %u queues, hash%s%s%s%s%s\n",
		tcp_rss_strategy_name(r->strategy), r->nb_queues, r->hash_types == 0 ? " none" : "",
		(r->hash_types & TCP_RSS_HASH_IPV4) ? " ipv4" : "",
		(r->hash_types & TCP_RSS_HASH_TCP4) ? " tcp4" : "",
		(r->hash_types & TCP_RSS_HASH_IPV6) ? " ipv6" : "",
		(r->hash_types & TCP_RSS_HASH_TCP6) ? " tcp6" : "");
	fprintf(f, "  key (%u bytes):", r->key_len);
	for (unsigned i = 0; i < r->key_len; i++) {
		fprintf(f, "%s%02x", i % 20 == 0 ? "\n    " : "", r->key[i]);
	}
	fprintf(f, "\n  reta (%u entries):", r->reta_size);
	for (unsigned i = 0; i < r->reta_size; i++) {
		fprintf(f, "%s%u", i % 16 == 0 ? "\n    " : " ", r->reta[i]);
	}
	fprintf(f, "\n");
}
