/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_wire.h - the TCP wire format (RFC 9293 3.1): header and option
 * parsing, header building, checksums and sequence-number arithmetic.
 *
 * Sans-I/O: every function works on flat byte buffers the caller owns, touches
 * no mbuf, queue or clock, allocates nothing, and is reentrant (callable on any
 * lcore). Received bytes are untrusted and read only through a bounds-checked
 * cursor (util/cursor.h); tests/fuzz/fuzz_tcp_input.c fuzzes the parser and the
 * builder together.
 *
 * Byte order: struct tcp_seg and struct tcp_opts hold host-order values; the
 * wire is big-endian. Addresses passed to the checksum helpers are in network
 * order (as they lie in the IP header). A checksum is returned as a uint16_t in
 * memory order: memcpy it into the header as is.
 *
 * Policy is left to the state machine: the parser reports every option it
 * finds on any segment (an MSS on a non-SYN segment, say), does not check
 * SACK blocks against the send window and does not verify the checksum (it
 * does not know the addresses; call tcp_csum4/tcp_csum6 unless the NIC has
 * verified it, and count DROP_TCP_BAD_CSUM when they return nonzero).
 */
#ifndef SB_TCP_WIRE_H
#define SB_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stats/drop.h"

/* Header sizes (RFC 9293 3.1): data offset 5..15 words. */
#define TCP_HDR_MIN		20
#define TCP_HDR_MAX		60
#define TCP_OPT_SPACE_MAX	(TCP_HDR_MAX - TCP_HDR_MIN)	/* 40 */

/* Field offsets into the fixed header (unaligned: read with cursor or byte helpers). */
#define TCP_OFF_SPORT		0
#define TCP_OFF_DPORT		2
#define TCP_OFF_SEQ		4
#define TCP_OFF_ACK		8
#define TCP_OFF_DOFF		12	/* data offset in the high nibble */
#define TCP_OFF_FLAGS		13
#define TCP_OFF_WINDOW		14
#define TCP_OFF_CSUM		16
#define TCP_OFF_URG		18

/* Control bits (RFC 9293 3.1; ECE and CWR from RFC 3168), byte 13 of the header. */
#define TCP_FLAG_FIN		0x01
#define TCP_FLAG_SYN		0x02
#define TCP_FLAG_RST		0x04
#define TCP_FLAG_PSH		0x08
#define TCP_FLAG_ACK		0x10
#define TCP_FLAG_URG		0x20
#define TCP_FLAG_ECE		0x40
#define TCP_FLAG_CWR		0x80

/* Option kinds (IANA "TCP Option Kind Numbers") and their fixed lengths. */
#define TCP_OPT_EOL		0
#define TCP_OPT_NOP		1
#define TCP_OPT_MSS		2	/* RFC 9293 3.2 */
#define TCP_OPT_WS		3	/* RFC 7323 2 */
#define TCP_OPT_SACK_PERM	4	/* RFC 2018 2 */
#define TCP_OPT_SACK		5	/* RFC 2018 3 */
#define TCP_OPT_TS		8	/* RFC 7323 3 */

#define TCP_OLEN_MSS		4
#define TCP_OLEN_WS		3
#define TCP_OLEN_SACK_PERM	2
#define TCP_OLEN_TS		10
#define TCP_OLEN_SACK_BASE	2	/* kind, length; then 8 bytes per block */
#define TCP_OLEN_SACK_BLOCK	8

/* RFC 7323 2.3: a shift above 14 is used as 14. */
#define TCP_WSCALE_MAX		14
/* RFC 2018 3: at most 4 blocks fit in 40 bytes of options (3 alongside timestamps). */
#define TCP_SACK_MAX_BLOCKS	4

/*
 * Sequence-number comparisons modulo 2^32 (RFC 9293 3.4, RFC 1982 serial
 * arithmetic): a is before b when b - a, as a 32-bit difference, lies in
 * 1..2^31-1. Two numbers exactly 2^31 apart are, as in Linux's before() and
 * after(), each "less than" the other; RFC 1982 leaves that case undefined and
 * no window may come near it (windows are below 2^30, RFC 7323 2.3).
 */

/* tcp_seq_lt returns true if |a| comes before |b|. */
static inline bool tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* tcp_seq_leq returns true if |a| comes before |b| or equals it. */
static inline bool tcp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* tcp_seq_gt returns true if |a| comes after |b|. */
static inline bool tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* tcp_seq_geq returns true if |a| comes after |b| or equals it. */
static inline bool tcp_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/*
 * tcp_seq_between returns true if |seq| lies in the closed interval
 * [|lo|, |hi|] walking forward from |lo| (so the interval may wrap through 0).
 * An interval whose |hi| is before |lo| is taken to wrap almost all the way
 * round; callers compare against windows, where lo <= hi.
 */
static inline bool tcp_seq_between(uint32_t seq, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(seq - lo) <= (uint32_t)(hi - lo);
}

/* tcp_seq_max returns whichever of |a| and |b| comes later. */
static inline uint32_t tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_gt(a, b) ? a : b;
}

/* tcp_seq_min returns whichever of |a| and |b| comes earlier. */
static inline uint32_t tcp_seq_min(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? a : b;
}

/* One SACK block (RFC 2018 3): left edge, and right edge one past the last byte. */
struct tcp_sack_block {
	uint32_t left;
	uint32_t right;
};

/*
 * The options of one segment, host order. A has_* / sack_permitted flag says
 * whether the option was present (or is to be sent); the values beside it are
 * meaningful only then. When an option appears twice, the last one of the
 * right length counts (as in Linux); one of the wrong length is ignored (see
 * tcp_parse).
 */
struct tcp_opts {
	bool has_mss;
	bool has_wscale;
	bool sack_permitted;
	bool has_ts;
	uint8_t wscale;			/* shift count, <= TCP_WSCALE_MAX after parsing */
	uint8_t nb_sack;		/* 0..TCP_SACK_MAX_BLOCKS */
	uint16_t mss;
	uint32_t ts_val;
	uint32_t ts_ecr;
	struct tcp_sack_block sack[TCP_SACK_MAX_BLOCKS];
};

/*
 * A segment: the parsed view of a received one (tcp_parse), or the header
 * fields of one to send (tcp_build). Host order. |window| is the raw 16-bit
 * field, not scaled. |payload| points into the buffer given to tcp_parse.
 */
struct tcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;			/* TCP_FLAG_* */
	uint16_t window;
	uint16_t urg_ptr;
	uint16_t hdr_len;		/* data offset * 4: 20..60 */
	const uint8_t *payload;
	size_t payload_len;
	struct tcp_opts opts;
};

/*
 * tcp_parse parses the TCP segment of |len| bytes at |l4| (the IP payload,
 * exactly as long as the IP header says) into |seg|. Reads nothing outside
 * [l4, l4 + len). Returns 0, or -EBADMSG with the drop reason in |*why|
 * (|why| may be NULL; on success it is left alone):
 *
 *   DROP_TCP_TOO_SHORT   - fewer than 20 bytes;
 *   DROP_TCP_BAD_OFFSET  - data offset below 5, or a header longer than |len|;
 *   DROP_TCP_BAD_FLAGS   - SYN with FIN, or SYN with RST. RFC 9293 gives no
 *                          meaning to either and they only serve to fingerprint
 *                          or confuse stacks; Linux and the BSDs drop them too;
 *   DROP_TCP_BAD_OPTION  - a structurally broken option list (RFC 9293 3.1):
 *                          after a kind other than EOL and NOP, a length byte
 *                          that is missing, below 2, or runs past the header
 *                          (the list cannot be walked further).
 *
 * EOL ends the list (bytes after it are ignored), NOP is one byte, unknown
 * kinds are skipped by their length. A known option of the wrong length (MSS
 * not 4, WS not 3, SACK_PERM not 2, TS not 10, SACK not 2 + 8n with n 1..4)
 * whose length byte is still >= 2 and fits inside the header is skipped by
 * that length exactly like an unknown kind: it is not recorded in |opts| (an
 * earlier well-formed copy of it stays), the options after it are parsed, and
 * the segment is accepted. This is what Linux's tcp_parse_options does; RFC
 * 9293 3.1 asks a receiver to be prepared for any option, and one garbled
 * option is no reason to drop the data or the ACK beside it. Nothing counts
 * such an option: it is no drop, so no drop reason or counter sees it. A
 * window scale above 14 is taken as 14 (RFC 7323 2.3). The reserved bits next
 * to the data offset are ignored (RFC 9293 3.1). On failure |*seg| holds
 * partial results and must not be used.
 */
int tcp_parse(const uint8_t *l4, size_t len, struct tcp_seg *seg, enum drop_reason *why)
	__attribute__((warn_unused_result));

/*
 * tcp_build_nb_sack returns how many of the |opts->nb_sack| SACK blocks
 * tcp_build writes with the other options of |opts|: at most 40 bytes of
 * options fit, so 4 blocks alone, 3 alongside timestamps, 2 on a SYN carrying
 * MSS, timestamps and window scale. The first blocks are kept (RFC 2018 4:
 * the first block reports the most recent data).
 */
unsigned int tcp_build_nb_sack(const struct tcp_opts *opts);

/*
 * tcp_build_len returns the header length, 20..60 and a multiple of 4, that
 * tcp_build writes for the options |opts|. Lets the state machine size the
 * payload of a segment (MSS less options) before building it.
 */
size_t tcp_build_len(const struct tcp_opts *opts);

/*
 * tcp_build writes the header of |seg| (ports, seq, ack, flags, window,
 * urg_ptr and opts; hdr_len and payload are ignored) into |buf| of |cap|
 * bytes. Returns the header length (tcp_build_len), or -ENOSPC, writing
 * nothing, if |cap| is smaller.
 *
 * Options go in the order and layout Linux uses (tcp_options_write), each
 * block already a multiple of 4 bytes, so no padding is ever needed:
 *   MSS                      02 04 mm mm
 *   timestamps               01 01 08 0a <val> <ecr>  (with SACK_PERM: 04 02 08 0a ...)
 *   SACK_PERM without TS     01 01 04 02
 *   window scale             01 03 03 ws              (ws clamped to 14)
 *   SACK blocks              01 01 05 <2+8n> <blocks> (n from tcp_build_nb_sack)
 * A SYN from Linux is thus "MSS, SACK_PERM, TS, NOP, WS" and a data segment
 * "NOP, NOP, TS". The builder writes whichever options |seg->opts| has: the
 * caller sends MSS, window scale and SACK_PERM only on SYN segments. The
 * checksum field is left zero: fill it with tcp_csum4_fill/tcp_csum6_fill, or
 * with tcp_csum4_offload/tcp_csum6_offload when the NIC computes it.
 */
int tcp_build(const struct tcp_seg *seg, uint8_t *buf, size_t cap)
	__attribute__((warn_unused_result));

/*
 * tcp_csum4 returns the TCP checksum over the IPv4 pseudo-header (RFC 9293
 * 3.1: |src_be|, |dst_be| in network order, protocol 6, length |len|) and the
 * |len| bytes of segment at |l4|, in memory order. A received segment with a
 * correct checksum yields 0; for a segment whose checksum field is zero the
 * result is the value to store there.
 */
uint16_t tcp_csum4(uint32_t src_be, uint32_t dst_be, const uint8_t *l4, size_t len);

/*
 * tcp_csum6 is tcp_csum4 over the IPv6 pseudo-header (RFC 8200 8.1) of the
 * 16-byte addresses |src| and |dst|.
 */
uint16_t tcp_csum6(const uint8_t *src, const uint8_t *dst, const uint8_t *l4, size_t len);

/*
 * tcp_csum4_fill computes the checksum of a segment whose header (|hdr_len|
 * bytes at |hdr|, as tcp_build wrote it: an even length) and payload
 * (|payload_len| bytes at |payload|, which may be NULL when empty) lie apart,
 * over the IPv4 pseudo-header of |src_be| -> |dst_be|, and stores it in the
 * header's checksum field (whatever that held before is ignored).
 */
void tcp_csum4_fill(uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len,
		    uint32_t src_be, uint32_t dst_be);

/* tcp_csum6_fill is tcp_csum4_fill over the IPv6 pseudo-header of |src| -> |dst|. */
void tcp_csum6_fill(uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len,
		    const uint8_t *src, const uint8_t *dst);

/*
 * tcp_csum4_offload prepares the header at |hdr| of an |l4_len|-byte segment
 * for TX checksum offload (RTE_MBUF_F_TX_TCP_CKSUM without TSO): it stores the
 * folded, uncomplemented IPv4 pseudo-header sum in the checksum field, as
 * rte_ipv4_phdr_cksum would, and the NIC adds the segment.
 */
void tcp_csum4_offload(uint8_t *hdr, size_t l4_len, uint32_t src_be, uint32_t dst_be);

/* tcp_csum6_offload is tcp_csum4_offload for IPv6 (rte_ipv6_phdr_cksum). */
void tcp_csum6_offload(uint8_t *hdr, size_t l4_len, const uint8_t *src, const uint8_t *dst);

#endif
