/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_syncookie.h - SYN cookies (RFC 4987 3.6): a listener under SYN flood
 * answers a SYN without keeping any state, encoding what it must remember in
 * the initial sequence number of its SYN-ACK (and in the low bits of its
 * TSval), and recovers it from the ACK that completes the handshake.
 *
 * Sans-I/O: the functions take parsed segments (struct tcp_seg of
 * tcp_wire.h), the addresses and the caller's clock, touch no mbuf, queue or
 * clock of their own, and allocate nothing after tcp_syncookie_ctx_init. A
 * context is per lcore (the libcrypto MAC contexts in it are mutable state):
 * no locks, not thread-safe. Give every lcore's context the same 32-byte key,
 * so that an ACK that lands on another queue than its SYN (a changed RSS
 * redirection table) still validates there. tests/fuzz/fuzz_tcp_syncookie.c
 * checks arbitrary segments as cookies and fuzzes make/check round trips.
 *
 * Cookie layout. With H0 and H1 two keyed hashes (below), and ctr the
 * rotation counter (now_us / 64 s):
 *
 *   ISS = H0(tuple) + IRS + (ctr8 << 24 | mac22 << 2 | mss_idx)    (mod 2^32)
 *
 *   IRS      the peer's ISN (the SYN's seq);
 *   ctr8     the low 8 bits of ctr;
 *   mss_idx  2 bits: the index into the MSS table of the address family;
 *   mac22    the top 22 bits of H1(tuple, ctr, mss_idx): the full 32-bit
 *            counter, not ctr8, so a cookie does not come back to life 256
 *            periods later;
 *   tuple    peer address, our address, peer port, our port.
 *
 * H0 hides the counter and makes our ISNs unpredictable off path (RFC 6528);
 * adding IRS binds the cookie to the peer's sequence number, which the ACK
 * must then carry (seq = IRS + 1). To check an ACK: subtract H0 + (seq - 1)
 * from ack - 1, read ctr8 and accept only the current counter or the one
 * before it (so a cookie lives 64 to 128 s), recompute H1 with the full
 * counter and compare with mac22 in constant time. A forger who has not seen
 * the SYN-ACK succeeds with probability 2^-22 per try (as in Linux, whose
 * layout this follows: 8 bits of counter, 24 of MAC plus data).
 *
 * MSS tables (RFC 9293 3.7.1, RFC 6691). The peer's MSS is rounded down to
 * the largest table value not above it, so the cookie never encodes an MSS
 * larger than the peer announced:
 *   IPv4 {536, 1300, 1440, 1460}: the default, tunnels, PPPoE/VPN, Ethernet
 *        (Linux's msstab);
 *   IPv6 {536, 1220, 1440, 8940}: a floor, the default (1280 - 60),
 *        Ethernet (1500 - 60), 9000-byte jumbo frames. An IPv6 peer may
 *        announce less than 1220 although every IPv6 link carries 1280-byte
 *        packets (an MSS clamped by a middlebox, or a peer configured so);
 *        the 536 floor lets such a SYN still get a cookie without our
 *        sending more than it asked for. Linux's msstab6 is {1220, 1420,
 *        1440, 8940} and encodes a smaller MSS as 1220 anyway; this table
 *        gives up Linux's 1420 entry (1480-byte tunnel links, which get
 *        1220 here) for the floor. An IPv4 peer on jumbo frames gets 1460.
 * A SYN without an MSS option counts as 536 (IPv4) or 1220 (IPv6), RFC 9293
 * 3.7.1 (MUST-15); the IPv6 default stays 1220, which the table holds. A
 * peer MSS below 536, the smallest entry of both tables, cannot be encoded:
 * tcp_syncookie_make returns -ERANGE, rather than sending larger segments
 * than the peer asked for (Linux uses the smallest entry regardless), and the
 * listener drops the SYN.
 *
 * Options (RFC 7323, RFC 2018). When the SYN carries timestamps, the SYN-ACK
 * carries them too and the low 5 bits of our TSval hold the peer's window
 * scale (bits 0-3; 15 = the SYN had none) and SACK-permitted (bit 4); the ACK
 * echoes the TSval in its TSecr and the options come back from there. The
 * TSval is the caller's timestamp clock with those bits replaced, moved back
 * by 32 ticks when that would put it ahead of the clock, so it is never in
 * the future. Without timestamps in the SYN there is nowhere to keep them: the
 * SYN-ACK offers neither window scaling nor SACK and the connection has
 * neither (as in Linux). Our own window scale is not in the cookie: the
 * caller advertises its configured receive shift (rcv_wscale: one constant
 * per stack, derived from the configured receive buffer, hence the same on
 * every lcore) in the SYN-ACK when |wscale| says so, and uses that same shift
 * as the connection's rcv_wscale when tcp_syncookie_check reports |wscale|.
 * The shift must therefore stay fixed while cookies made under it can still
 * validate (128 s); Linux makes the same assumption, recomputing its shift at
 * check time from the current settings. The option bits are not covered by
 * the MAC: an attacker able to forge them holds a valid cookie already, and
 * could as well have sent a SYN with those options. An ACK without
 * timestamps yields a connection without timestamps, window scaling or SACK
 * (a middlebox may have stripped them); one with timestamps although the SYN
 * had none decodes whatever its TSecr holds, as in Linux (a conforming peer
 * never sends it).
 *
 * Keyed hash: SipHash-2-4 with 64-bit output (libcrypto's EVP_MAC "SIPHASH"),
 * H0 keyed with the first 16 bytes of the key and H1 with the last 16. It is
 * a PRF made for short inputs, which is all this needs, and libcrypto is a
 * dependency of the data plane already; no hand-written crypto. Each
 * EVP_MAC_CTX is created and keyed once at init; a cookie re-initialises it
 * with EVP_MAC_init(ctx, NULL, 0, NULL), which restarts from the stored key
 * (EVP_MAC_init(3): "If key is NULL, the key must be set ... previously").
 * Measured on the build host (OpenSSL 3.0.22, a 2-vCPU 2.5 GHz Xeon VM, best
 * of several runs of a few million): per hash, 200-470 ns with a new
 * EVP_MAC_CTX per call (which would also allocate per cookie), 90 ns
 * re-keying a kept context, 83 ns restarting it without the key. A cookie
 * takes two hashes: about 240 ns to make, 240 ns to accept, 115 ns to reject
 * one whose counter is stale (one hash). A hand-written SipHash might be
 * 5-10x cheaper (an estimate, not measured): the option if SYN floods ever
 * make this the bottleneck.
 *
 * Clock: |now_us| is the caller's monotonic clock in microseconds (as in
 * tcp_rtt.h and tcp_cc.h), the same clock for make and check; the counter
 * advances every TCP_SYNCOOKIE_PERIOD_US. |ts_now| is the connection
 * timestamp clock (RFC 7323 5.4), whatever unit the stack uses for TSval.
 */
#ifndef SB_TCP_SYNCOOKIE_H
#define SB_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tcp_wire.h"

/* The secret: 16 bytes of SipHash key for H0, then 16 for H1. */
#define TCP_SYNCOOKIE_KEY_LEN 32
/* The counter advances every 64 s; a cookie is valid for its counter and the next. */
#define TCP_SYNCOOKIE_PERIOD_US (64ull * 1000000ull)
#define TCP_SYNCOOKIE_MAX_AGE 1 /* counter periods a cookie outlives its own */

/* Cookie bits (see the top comment). */
#define TCP_SYNCOOKIE_CTR_SHIFT 24
#define TCP_SYNCOOKIE_MAC_SHIFT 2
#define TCP_SYNCOOKIE_MAC_BITS 22
#define TCP_SYNCOOKIE_MSS_BITS 2
#define TCP_SYNCOOKIE_NB_MSS (1u << TCP_SYNCOOKIE_MSS_BITS)

/* The MSS tables, ascending (see the top comment). */
#define TCP_SYNCOOKIE_MSS4 {536, 1300, 1440, 1460}
#define TCP_SYNCOOKIE_MSS6 {536, 1220, 1440, 8940}
/* RFC 9293 3.7.1: the send MSS of a SYN without an MSS option. */
#define TCP_SYNCOOKIE_DEFAULT_MSS4 536
#define TCP_SYNCOOKIE_DEFAULT_MSS6 1220

/* The options in our TSval's low bits: window scale (15 = none) and SACK-permitted. */
#define TCP_SYNCOOKIE_TS_BITS 5
#define TCP_SYNCOOKIE_TS_MASK ((1u << TCP_SYNCOOKIE_TS_BITS) - 1)
#define TCP_SYNCOOKIE_TS_WSCALE_MASK 0x0fu
#define TCP_SYNCOOKIE_TS_WSCALE_NONE 0x0fu
#define TCP_SYNCOOKIE_TS_SACK 0x10u

struct evp_mac_ctx_st; /* libcrypto's EVP_MAC_CTX */

/*
 * A listener lcore's cookie secret; embed it in the per-lcore state. The
 * fields are private to tcp_syncookie.c. The key itself is not kept here,
 * only in the two keyed libcrypto contexts; after tcp_syncookie_ctx_cleanup
 * every byte of the struct is zero.
 */
struct tcp_syncookie_ctx {
	struct evp_mac_ctx_st *h0; /* SipHash keyed with key[0..15]: the tuple hash */
	struct evp_mac_ctx_st *h1; /* SipHash keyed with key[16..31]: the MAC */
};

/*
 * The addresses of the SYN and of the ACK that completes it, as they arrive:
 * |src| is the peer, |dst| is us. Network order; an IPv4 address is in the
 * first 4 bytes and the rest is zero. Fill with tcp_syncookie_addrs4/6.
 */
struct tcp_syncookie_addrs {
	bool ipv6;
	uint8_t src[16];
	uint8_t dst[16];
};

/* tcp_syncookie_addrs4 fills |a| with the IPv4 addresses |src_be| -> |dst_be| (network order). */
static inline void tcp_syncookie_addrs4(struct tcp_syncookie_addrs *a, uint32_t src_be,
					uint32_t dst_be)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->src, &src_be, 4);
	memcpy(a->dst, &dst_be, 4);
}

/* tcp_syncookie_addrs6 fills |a| with the 16-byte IPv6 addresses |src| -> |dst|. */
static inline void tcp_syncookie_addrs6(struct tcp_syncookie_addrs *a, const uint8_t *src,
					const uint8_t *dst)
{
	a->ipv6 = true;
	memcpy(a->src, src, 16);
	memcpy(a->dst, dst, 16);
}

/*
 * What to send in the SYN-ACK: <SEQ=isn><ACK=SYN.seq + 1><CTL=SYN,ACK> with
 * an MSS option (our own MSS: the caller's), timestamps <TSval=tsval,
 * TSecr=SYN's TSval> when |ts|, our window scale when |wscale| and
 * SACK_PERM when |sack|. "Our window scale" is the stack's configured
 * receive shift, a constant the caller knows and the cookie does not carry:
 * the connection rebuilt from the ACK must use the same one (see the top
 * comment). |mss| is the peer MSS the cookie encodes (what
 * tcp_syncookie_check will return), for the caller's statistics.
 */
struct tcp_syncookie_synack {
	uint32_t isn;
	uint32_t tsval; /* meaningful when |ts| */
	uint16_t mss;
	bool ts;
	bool wscale;
	bool sack;
};

/*
 * What an ACK carrying a valid cookie recovers: the connection's ISS (our
 * ISN, ack - 1) and IRS (the peer's, seq - 1), its send MSS (a table value:
 * clamp it to our own MTU), and the options: timestamps when the ACK carries
 * them; window scaling (the peer's shift in |snd_wscale|; ours is the
 * stack's configured shift, advertised in the SYN-ACK, not stored here) and
 * SACK when the TSecr says the SYN offered them.
 */
struct tcp_syncookie_conn {
	uint32_t iss;
	uint32_t irs;
	uint16_t mss;
	bool ts;
	bool wscale;
	bool sack;
	uint8_t snd_wscale; /* 0..14, meaningful when |wscale| */
};

/*
 * tcp_syncookie_ctx_init keys |ctx| with the TCP_SYNCOOKIE_KEY_LEN random
 * bytes at |key| (getrandom at start-up), which it does not keep: the caller
 * wipes its copy. Allocates the two libcrypto MAC contexts; call it at
 * start-up, on or for the lcore that will use |ctx|. Returns 0, or:
 *   -EINVAL      |ctx| or |key| is NULL;
 *   -EOPNOTSUPP  libcrypto offers no SIPHASH (a FIPS-only provider);
 *   -ENOMEM      a context could not be allocated or keyed.
 * On failure |ctx| is left zeroed and owns nothing.
 */
int tcp_syncookie_ctx_init(struct tcp_syncookie_ctx *ctx, const uint8_t *key)
	__attribute__((warn_unused_result));

/*
 * tcp_syncookie_ctx_cleanup wipes the key from the libcrypto contexts of
 * |ctx| (libcrypto 3.0 frees a SipHash context without cleansing it, so they
 * are re-keyed with zeros first), frees them and zeroes |ctx|. Accepts NULL
 * and a zeroed or already cleaned-up context.
 */
void tcp_syncookie_ctx_cleanup(struct tcp_syncookie_ctx *ctx);

/*
 * tcp_syncookie_make answers the SYN |syn| (SYN set, ACK and RST clear) from
 * |addrs| at |now_us|, with |ts_now| the timestamp clock: fills |out| with
 * the cookie ISN and the options of the SYN-ACK (see struct
 * tcp_syncookie_synack). To refuse window scaling or SACK, clear
 * |syn->opts.has_wscale| or |sack_permitted| before the call. Returns 0, or:
 *   -EINVAL  a NULL argument or a cleaned-up |ctx|, or |syn| is not a SYN;
 *   -ERANGE  the peer's MSS is below 536, the smallest table entry of
 *            either family: no cookie (drop the SYN, or queue it if there
 *            is room);
 *   -EIO     libcrypto failed (|out| must not be used).
 */
int tcp_syncookie_make(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *addrs,
		       const struct tcp_seg *syn, uint64_t now_us, uint32_t ts_now,
		       struct tcp_syncookie_synack *out) __attribute__((warn_unused_result));

/*
 * tcp_syncookie_check validates the ACK |ack| (ACK set, SYN and RST clear;
 * with or without data or FIN) from |addrs| at |now_us| for a listener that
 * holds no state for its 4-tuple, and on success fills |out| (see struct
 * tcp_syncookie_conn). Returns 0, or:
 *   -EINVAL     a NULL argument or a cleaned-up |ctx|, or |ack| is not
 *               such an ACK;
 *   -ETIMEDOUT  the cookie's counter is neither the current one nor the one
 *               before it (expired, or from ahead of the clock);
 *   -EBADMSG    the MAC does not match: not our SYN-ACK's ISN for this
 *               tuple and sequence number (forged, or another key);
 *   -EIO        libcrypto failed.
 * A failure is a drop for the caller to count (and RFC 9293 3.10.7.2 has a
 * listener answer an ACK with a reset); |out| is then left untouched.
 */
int tcp_syncookie_check(struct tcp_syncookie_ctx *ctx, const struct tcp_syncookie_addrs *addrs,
			const struct tcp_seg *ack, uint64_t now_us, struct tcp_syncookie_conn *out)
	__attribute__((warn_unused_result));

#endif
