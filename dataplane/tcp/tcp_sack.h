/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_sack.h - selective acknowledgments (RFC 2018): the sender's scoreboard
 * with the loss recovery logic of RFC 6675, and the receiver's choice of
 * SACK blocks to send.
 *
 * Sans-I/O and allocation-free: struct tcp_sack_board (sender) and struct
 * tcp_sack_rcv (receiver) are fixed-size and embedded in the connection;
 * their fields are private to tcp_sack.c, except that the board's nb_*
 * counters may be read (for statistics). The connection keeps the sequence
 * variables (SND.UNA, SND.NXT, HighRxt, RescueRxt, DupAcks, cwnd) and passes
 * them in; this module keeps only which octets the peer has SACKed. A
 * connection lives on one lcore: nothing here is thread-safe.
 *
 * Sequence conventions. All ranges are half-open [left, right) as in SACK
 * blocks (struct tcp_sack_block of tcp_wire.h) and compared modulo 2^32
 * (tcp_seq_lt and friends), so they may wrap through 0. RFC 6675 names the
 * last octet of things (HighACK, HighData, HighRxt are "the highest sequence
 * number" acknowledged, sent, retransmitted); this API passes the octet one
 * past it, as TCP's own variables do:
 *
 *   snd_una   = HighACK + 1   the first unacknowledged octet (SND.UNA);
 *   snd_max   = HighData + 1  one past the highest octet ever sent (SND.NXT,
 *                             or SND.MAX where the connection pulls SND.NXT
 *                             back after an RTO);
 *   high_rxt  = HighRxt + 1   one past the highest octet retransmitted in the
 *                             current recovery; snd_una when none was.
 *
 * So RFC 6675's IsLost(HighACK + 1) is tcp_sack_board_is_lost(b, snd_una, ..)
 * and "S2 > HighRxt" reads "S2 >= high_rxt". smss is the sender's maximum
 * segment size in octets (> 0; 0 is taken as 1). The window between snd_una
 * and snd_max must stay below 2^31 (RFC 7323 keeps it below 2^30).
 *
 * Segment counts. RFC 6675's IsLost counts "discontiguous SACKed sequences"
 * (segments) above an octet, but a SACK block reports octets, not segment
 * boundaries. Each SACKed range of L octets is counted as ceil(L / SMSS)
 * segments, the fewest it can hold: a lower bound, so loss is never declared
 * sooner than with the true segment count (three separate 1-octet ranges do
 * count as three segments). The byte rule, more than (DupThresh - 1) * SMSS
 * octets SACKed above, is checked as well, though with this count it never
 * decides alone: ceil(L / SMSS) >= 3 exactly when L > 2 * SMSS.
 */
#ifndef SB_TCP_SACK_H
#define SB_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp_wire.h"

/* Disjoint SACKed ranges the sender remembers; see tcp_sack_board_update for the policy. */
#define TCP_SACK_BOARD_MAX 32
/* RFC 6675 2: DupThresh. */
#define TCP_SACK_DUPTHRESH 3
/* Recently received out-of-order ranges the receiver remembers for RFC 2018 4. */
#define TCP_SACK_RCV_HIST 8

/* The sender's scoreboard; embed it, and use only the functions below on it. */
struct tcp_sack_board {
	uint32_t nb;	       /* ranges in use */
	uint32_t sacked;       /* octets the ranges cover */
	uint64_t nb_rejected;  /* blocks ignored as invalid */
	uint64_t nb_dsack;     /* D-SACK blocks seen (RFC 2883), ignored */
	uint64_t nb_forgotten; /* ranges dropped because the board was full */
	/* Sorted by sequence, disjoint and not adjacent, all within [snd_una, snd_max). */
	struct tcp_sack_block r[TCP_SACK_BOARD_MAX];
	/* tcp_sack_board_mark_lost: unSACKed octets below lost_below are lost. */
	uint32_t lost_below;
	bool lost_valid;
};

/*
 * tcp_sack_board_init empties |b| and zeroes its counters. Call it when the
 * connection is set up.
 */
void tcp_sack_board_init(struct tcp_sack_board *b);

/*
 * tcp_sack_board_clear forgets every SACKed range of |b| (the counters stay).
 * For a retransmission timeout, after which RFC 2018 8 and RFC 6675 5.1 have
 * the sender assume the receiver may have reneged, or when SACK is off.
 */
void tcp_sack_board_clear(struct tcp_sack_board *b);

/*
 * tcp_sack_board_ack trims |b| to a cumulative acknowledgment: every octet
 * before |snd_una| is forgotten (a range straddling it is cut at it).
 */
void tcp_sack_board_ack(struct tcp_sack_board *b, uint32_t snd_una);

/*
 * tcp_sack_board_update applies the |nb| SACK blocks |blk| of one received
 * ACK to |b|, after trimming to |snd_una| (the connection's SND.UNA with
 * this ACK's cumulative acknowledgment applied) as tcp_sack_board_ack does.
 * Returns the number of octets newly SACKed (0 when the ACK told nothing
 * new), which is what RFC 6675 2 counts as a duplicate ACK and what the
 * congestion controller may count as delivered.
 *
 * Each block is checked (RFC 2018 and RFC 6675 3 leave it to the sender):
 *   - left >= right (modulo 2^32, so a block of 2^31 octets or more too):
 *     rejected;
 *   - right beyond |snd_max|, i.e. covering data never sent: rejected;
 *   - left before |snd_una|: the first block is then a D-SACK (RFC 2883 4:
 *     it reports a duplicate below the cumulative ACK) and any other block
 *     is stale: rejected. A block that straddles snd_una is treated the
 *     same, whole, as Linux does;
 *   - a first block lying within the second is a D-SACK (RFC 2883 4).
 * Rejected blocks count in nb_rejected and D-SACKs in nb_dsack; neither
 * changes the scoreboard (this module does not use D-SACK to undo
 * congestion responses, RFC 3708; the counter is there for who will).
 *
 * Capacity: the board holds TCP_SACK_BOARD_MAX disjoint ranges. A block is
 * merged with every range it overlaps or touches; when that leaves one
 * range too many, the highest range (farthest from snd_una, possibly the
 * new one) is forgotten and counted in nb_forgotten. Forgetting is the only
 * safe way to shrink: merging two ranges across their gap would mark octets
 * as SACKed that the peer never reported. The ranges kept are those that
 * loss recovery works through first (NextSeg scans upward from snd_una),
 * and a high range is the one the receiver is likeliest to report again,
 * since RFC 2018 4 has it report the block holding its newest data first.
 * Forgotten octets are treated as not SACKed: at worst retransmitted again.
 */
uint32_t tcp_sack_board_update(struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			       const struct tcp_sack_block *blk, unsigned int nb);

/* tcp_sack_board_is_sacked returns true if octet |seq| lies in a SACKed range of |b|. */
bool tcp_sack_board_is_sacked(const struct tcp_sack_board *b, uint32_t seq);

/* tcp_sack_board_sacked returns the number of octets |b| records as SACKed. */
uint32_t tcp_sack_board_sacked(const struct tcp_sack_board *b);

/*
 * tcp_sack_board_highest returns one past the highest SACKed octet of |b|,
 * or |snd_una| when nothing is SACKed.
 */
uint32_t tcp_sack_board_highest(const struct tcp_sack_board *b, uint32_t snd_una);

/*
 * tcp_sack_board_get0_ranges returns the SACKed ranges of |b|, lowest
 * first, and stores their number in |*nb|. The pointer borrows |b|'s
 * storage and is valid until |b| next changes.
 */
const struct tcp_sack_block *tcp_sack_board_get0_ranges(const struct tcp_sack_board *b,
							unsigned int *nb);

/*
 * tcp_sack_board_is_lost is RFC 6675's IsLost(|seq|): true when at least
 * DupThresh (3) segments, counted as described at the top of this file, or
 * more than (DupThresh - 1) * |smss| octets above |seq| have been SACKed.
 * Octets of a range that contains |seq| count only from seq + 1 on.
 */
bool tcp_sack_board_is_lost(const struct tcp_sack_board *b, uint32_t seq, uint32_t smss);

/*
 * tcp_sack_board_pipe is RFC 6675's SetPipe(): the octets estimated in
 * flight. For each octet S1 in [|snd_una|, |snd_max|) that is not SACKed,
 * one is added if IsLost(S1) is false (still in the network) and one more
 * if S1 is before |high_rxt| (its retransmission is in the network): an
 * octet retransmitted but not deemed lost counts twice. Costs O(ranges).
 */
uint32_t tcp_sack_board_pipe(const struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			     uint32_t high_rxt, uint32_t smss);

/* tcp_sack_board_next_seg flags: what the connection may send besides retransmissions. */
#define TCP_SACK_NEXT_F_NEW (1u << 0)	 /* unsent data exists and the peer's window allows it */
#define TCP_SACK_NEXT_F_RESCUE (1u << 1) /* rule 4 allowed: RescueRxt undefined or < HighACK */

/* What tcp_sack_board_next_seg chose; the value is the rule of RFC 6675 4 that chose it. */
enum tcp_sack_next {
	TCP_SACK_NEXT_NONE = 0,	  /* nothing to send */
	TCP_SACK_NEXT_LOST = 1,	  /* rule 1: retransmit a lost hole */
	TCP_SACK_NEXT_NEW = 2,	  /* rule 2: send new data */
	TCP_SACK_NEXT_HOLE = 3,	  /* rule 3: retransmit a hole not yet deemed lost */
	TCP_SACK_NEXT_RESCUE = 4, /* rule 4: rescue retransmission */
};

/*
 * tcp_sack_board_next_seg is RFC 6675's NextSeg(): it picks the next
 * segment to send during loss recovery and stores its range, at most
 * |smss| octets, in |*seg| (left alone for TCP_SACK_NEXT_NONE):
 *
 *   1. the lowest unSACKed octet S2 with S2 >= |high_rxt|, below the highest
 *      SACKed octet, and IsLost(S2): [S2, end) up to smss octets, never
 *      into the SACKed range above it;
 *   2. else, with TCP_SACK_NEXT_F_NEW in |flags|: new data,
 *      [snd_max, snd_max + smss); the connection sends what it has of it
 *      and the window allows (the flag says some of both exists);
 *   3. else the lowest unSACKed octet S3 meeting (1)'s conditions except
 *      IsLost: [S3, end) as in 1;
 *   4. else, with TCP_SACK_NEXT_F_RESCUE in |flags| and some octet in
 *      [snd_una, snd_max) not SACKed: the rescue retransmission, up to
 *      smss octets ending with the highest unSACKed octet.
 *
 * The caller then sends it and, for rules 1 and 3, sets HighRxt to the
 * segment's last octet (high_rxt = seg->right); for rule 4 it sets
 * RescueRxt to RecoveryPoint and leaves HighRxt alone (RFC 6675 4).
 * Returns the rule that chose, or TCP_SACK_NEXT_NONE.
 */
enum tcp_sack_next tcp_sack_board_next_seg(const struct tcp_sack_board *b, uint32_t snd_una,
					   uint32_t snd_max, uint32_t high_rxt, uint32_t smss,
					   unsigned int flags, struct tcp_sack_block *seg);

/*
 * tcp_sack_board_loss_detected returns true when a connection not in loss
 * recovery must enter it (RFC 6675 5, steps 1 and 2): |dupacks| (the
 * connection's DupAcks, counted per RFC 6675 2) has reached DupThresh, or
 * IsLost(HighACK + 1), i.e. the octet at |snd_una|, is true.
 */
bool tcp_sack_board_loss_detected(const struct tcp_sack_board *b, uint32_t snd_una,
				  unsigned int dupacks, uint32_t smss);

/*
 * tcp_sack_board_mark_lost declares every octet below |seq| that no SACKed
 * range covers lost, whatever is SACKed above it: the sender learned it
 * otherwise than by counting (a tail loss probe sent long after those
 * octets arrived before them, RFC 8985). IsLost, pipe and NextSeg then treat
 * a hole that ends at or below |seq| as lost. The mark stays until
 * tcp_sack_board_clear, or until SND.UNA passes it; a second call can only
 * move it up.
 */
void tcp_sack_board_mark_lost(struct tcp_sack_board *b, uint32_t seq);

/*
 * tcp_sack_board_last_hole stores in |*hole| the highest range of
 * [snd_una, snd_max) that no SACKed range covers, and returns true; false
 * when the board covers all of it. The tail loss probe (RFC 8985 7.3)
 * retransmits the last segment of that range.
 */
bool tcp_sack_board_last_hole(const struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			      struct tcp_sack_block *hole);

/* tcp_sack_board_dump writes |b|'s ranges and counters to |f| for humans. */
void tcp_sack_board_dump(FILE *f, const struct tcp_sack_board *b);

/*
 * The receiver's side (RFC 2018 4). The connection's reassembly queue knows
 * which out-of-order ranges it holds; what it does not know is which it
 * received most recently, and that decides the order of the blocks. struct
 * tcp_sack_rcv records the last TCP_SACK_RCV_HIST ranges that out-of-order
 * segments fell into, newest first.
 */
struct tcp_sack_rcv {
	uint32_t nb;
	struct tcp_sack_block recent[TCP_SACK_RCV_HIST]; /* newest first */
};

/* tcp_sack_rcv_init empties |s|. */
void tcp_sack_rcv_init(struct tcp_sack_rcv *s);

/*
 * tcp_sack_rcv_note records that an out-of-order segment covering [|left|,
 * |right|) was queued (call it after queueing, for segments above RCV.NXT
 * only). Recorded ranges it overlaps or touches are merged into it and it
 * becomes the newest; the oldest is forgotten when TCP_SACK_RCV_HIST are
 * held. An empty or inverted range is ignored.
 */
void tcp_sack_rcv_note(struct tcp_sack_rcv *s, uint32_t left, uint32_t right);

/*
 * tcp_sack_rcv_ack forgets the recorded ranges of |s| that lie wholly before
 * |rcv_nxt|. Call it when RCV.NXT advances, so that stale ranges never meet
 * sequence numbers 2^31 away.
 */
void tcp_sack_rcv_ack(struct tcp_sack_rcv *s, uint32_t rcv_nxt);

/*
 * tcp_sack_rcv_blocks writes up to |max| SACK blocks into |out| and
 * returns how many: pass TCP_SACK_MAX_BLOCKS, or tcp_build_nb_sack's
 * count for the options of the segment (3 alongside timestamps). |ooo|
 * holds the |nb_ooo| disjoint out-of-order ranges the receiver queues
 * above RCV.NXT, in any order.
 *
 * RFC 2018 4: the first block is the range holding the most recently
 * received segment (none when that segment advanced RCV.NXT: it then lies
 * in no range of |ooo|), then the ranges of the other recent segments,
 * newest first, each range once; recent segments no longer in |ooo|
 * (delivered since) are skipped. Space left over is filled with the other
 * ranges of |ooo| in ascending sequence order (the lowest hole is the one
 * the sender repairs first). Blocks are the whole ranges of |ooo|. D-SACK
 * (RFC 2883) is not generated.
 */
unsigned int tcp_sack_rcv_blocks(const struct tcp_sack_rcv *s, const struct tcp_sack_block *ooo,
				 unsigned int nb_ooo, struct tcp_sack_block *out, unsigned int max);

#endif
