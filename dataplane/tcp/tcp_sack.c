/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_sack.c - the SACK scoreboard and RFC 6675 loss recovery logic, and
 * the receiver's SACK block choice (see tcp_sack.h).
 *
 * The scoreboard is a sorted array of disjoint, non-adjacent ranges rather
 * than a per-segment tag as in Linux: it knows nothing of segment
 * boundaries, needs no retransmission queue, and every RFC 6675 query runs
 * in O(ranges) because IsLost is monotone: the further down an unSACKed
 * octet lies, the more is SACKed above it. So the lost octets are exactly the
 * holes below some range, and every octet of one hole has the same IsLost.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tcp_sack.h"

static uint32_t blk_len(const struct tcp_sack_block *r)
{
	return r->right - r->left;
}

/* ceil(len / smss): the fewest segments that can carry |len| octets. */
static uint64_t min_segs(uint32_t len, uint32_t smss)
{
	return ((uint64_t)len + smss - 1) / smss;
}

/* IsLost's two tests (RFC 6675 4) on what is SACKed above an octet. */
static bool over_thresh(uint64_t segs, uint64_t bytes, uint32_t smss)
{
	return segs >= TCP_SACK_DUPTHRESH || bytes > (uint64_t)(TCP_SACK_DUPTHRESH - 1) * smss;
}

void tcp_sack_board_init(struct tcp_sack_board *b)
{
	memset(b, 0, sizeof(*b));
}

void tcp_sack_board_clear(struct tcp_sack_board *b)
{
	b->nb = 0;
	b->sacked = 0;
	b->lost_valid = false;
}

void tcp_sack_board_mark_lost(struct tcp_sack_board *b, uint32_t seq)
{
	if (!b->lost_valid || tcp_seq_gt(seq, b->lost_below)) {
		b->lost_below = seq;
		b->lost_valid = true;
	}
}

void tcp_sack_board_ack(struct tcp_sack_board *b, uint32_t snd_una)
{
	uint32_t k = 0;

	while (k < b->nb && tcp_seq_leq(b->r[k].right, snd_una)) {
		b->sacked -= blk_len(&b->r[k]);
		k++;
	}
	if (k > 0) {
		memmove(&b->r[0], &b->r[k], (b->nb - k) * sizeof(b->r[0]));
		b->nb -= k;
	}
	if (b->nb > 0 && tcp_seq_lt(b->r[0].left, snd_una)) {
		b->sacked -= snd_una - b->r[0].left;
		b->r[0].left = snd_una;
	}
}

/*
 * Merge [l, r) into the board; returns the octets newly SACKed and kept.
 * The ranges it overlaps or touches are r[i..j).
 */
static uint32_t add_range(struct tcp_sack_board *b, uint32_t l, uint32_t r)
{
	uint32_t n = b->nb;
	uint32_t covered = 0;
	uint32_t added;
	uint32_t i, j;

	for (i = 0; i < n && tcp_seq_lt(b->r[i].right, l); i++) {
	}
	for (j = i; j < n && tcp_seq_leq(b->r[j].left, r); j++) {
		covered += blk_len(&b->r[j]);
	}
	if (i < j) {
		l = tcp_seq_min(l, b->r[i].left);
		r = tcp_seq_max(r, b->r[j - 1].right);
	}
	added = (r - l) - covered;
	if (added == 0) {
		return 0; /* nothing new: within one range already */
	}
	if (i == j) {
		/* A new disjoint range, to go at index i. */
		if (n == TCP_SACK_BOARD_MAX) {
			/* Full: forget the highest range (see tcp_sack.h). */
			b->nb_forgotten++;
			if (i == n) {
				return 0;
			}
			n--;
			b->sacked -= blk_len(&b->r[n]);
		}
		memmove(&b->r[i + 1], &b->r[i], (n - i) * sizeof(b->r[0]));
		n++;
	} else if (j - i > 1) {
		memmove(&b->r[i + 1], &b->r[j], (n - j) * sizeof(b->r[0]));
		n -= j - i - 1;
	}
	b->r[i].left = l;
	b->r[i].right = r;
	b->nb = n;
	b->sacked += added;
	return added;
}

uint32_t tcp_sack_board_update(struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			       const struct tcp_sack_block *blk, unsigned int nb)
{
	uint32_t added = 0;

	tcp_sack_board_ack(b, snd_una);
	for (unsigned int k = 0; k < nb; k++) {
		uint32_t l = blk[k].left;
		uint32_t r = blk[k].right;

		/*
		 * Sequence comparisons only order numbers less than 2^31 apart; a
		 * forged block can be anywhere. Measure it from SND.MAX backwards:
		 * it must be non-empty, end at or below SND.MAX, and be no larger
		 * than the whole sequence space below SND.MAX could hold.
		 */
		if (!tcp_seq_lt(l, r) || tcp_seq_gt(r, snd_max) || snd_max - r > snd_max - l ||
		    snd_max - l > (uint32_t)INT32_MAX) {
			b->nb_rejected++;
			continue;
		}
		/* RFC 2883 4: how a D-SACK is told from a SACK. */
		if (k == 0 && (tcp_seq_lt(l, snd_una) || (nb > 1 && tcp_seq_leq(blk[1].left, l) &&
							  tcp_seq_leq(r, blk[1].right) &&
							  tcp_seq_lt(blk[1].left, blk[1].right)))) {
			b->nb_dsack++;
			continue;
		}
		if (tcp_seq_lt(l, snd_una)) {
			b->nb_rejected++;
			continue;
		}
		added += add_range(b, l, r);
	}
	return added;
}

bool tcp_sack_board_is_sacked(const struct tcp_sack_board *b, uint32_t seq)
{
	for (uint32_t k = 0; k < b->nb; k++) {
		if (tcp_seq_lt(seq, b->r[k].left)) {
			return false;
		}
		if (tcp_seq_lt(seq, b->r[k].right)) {
			return true;
		}
	}
	return false;
}

uint32_t tcp_sack_board_sacked(const struct tcp_sack_board *b)
{
	return b->sacked;
}

uint32_t tcp_sack_board_highest(const struct tcp_sack_board *b, uint32_t snd_una)
{
	return b->nb > 0 ? b->r[b->nb - 1].right : snd_una;
}

const struct tcp_sack_block *tcp_sack_board_get0_ranges(const struct tcp_sack_board *b,
							unsigned int *nb)
{
	*nb = b->nb;
	return b->r;
}

bool tcp_sack_board_is_lost(const struct tcp_sack_board *b, uint32_t seq, uint32_t smss)
{
	uint32_t above = seq + 1; /* first octet that counts */
	uint64_t segs = 0;
	uint64_t bytes = 0;

	if (smss == 0) {
		smss = 1;
	}
	if (b->lost_valid && tcp_seq_lt(seq, b->lost_below)) {
		return true;
	}
	for (uint32_t k = b->nb; k-- > 0;) {
		const struct tcp_sack_block *r = &b->r[k];
		uint32_t part;

		if (tcp_seq_leq(r->right, above)) {
			break;
		}
		part = r->right - tcp_seq_max(r->left, above);
		segs += min_segs(part, smss);
		bytes += part;
		if (over_thresh(segs, bytes, smss)) {
			return true;
		}
	}
	return false;
}

/*
 * The scoreboard clipped to [una, max): ranges [lo, hi) of b->r lie in it
 * (after clipping), the holes are [una, r[lo].left), the gaps between the
 * ranges, and the tail [r[hi-1].right, max). lost_to is the index of the
 * highest range whose hole below it is lost (IsLost of its octets is true,
 * and so of every hole below), or lo - 1 (none lost).
 */
struct view {
	uint32_t una;
	uint32_t max;
	uint32_t lo;
	uint32_t hi;
	int64_t lost_to;
};

static uint32_t v_left(const struct tcp_sack_board *b, const struct view *v, uint32_t k)
{
	return tcp_seq_max(b->r[k].left, v->una);
}

static uint32_t v_right(const struct tcp_sack_board *b, const struct view *v, uint32_t k)
{
	return tcp_seq_min(b->r[k].right, v->max);
}

/* The start of the hole below range k (k == hi: the tail). */
static uint32_t hole_left(const struct tcp_sack_board *b, const struct view *v, uint32_t k)
{
	return k == v->lo ? v->una : v_right(b, v, k - 1);
}

/* The end of the hole below range k (k == hi: the tail, ending at max). */
static uint32_t hole_right(const struct tcp_sack_board *b, const struct view *v, uint32_t k)
{
	return k == v->hi ? v->max : v_left(b, v, k);
}

static void make_view(const struct tcp_sack_board *b, uint32_t una, uint32_t max, uint32_t smss,
		      struct view *v)
{
	uint64_t segs = 0;
	uint64_t bytes = 0;

	v->una = una;
	v->max = tcp_seq_max(max, una);
	v->lo = 0;
	while (v->lo < b->nb && tcp_seq_leq(b->r[v->lo].right, una)) {
		v->lo++;
	}
	v->hi = v->lo;
	while (v->hi < b->nb && tcp_seq_lt(b->r[v->hi].left, v->max)) {
		v->hi++;
	}
	/* Walk down, summing what is SACKed above each hole. */
	v->lost_to = (int64_t)v->lo - 1;
	for (uint32_t k = v->hi; k-- > v->lo;) {
		uint32_t len = v_right(b, v, k) - v_left(b, v, k);

		segs += min_segs(len, smss);
		bytes += len;
		if (over_thresh(segs, bytes, smss)) {
			v->lost_to = k;
			break;
		}
	}
	/* Holes wholly below the mark of tcp_sack_board_mark_lost are lost too. */
	if (b->lost_valid && tcp_seq_gt(b->lost_below, una)) {
		for (uint32_t k = v->hi; k-- > v->lo;) {
			if ((int64_t)k <= v->lost_to) {
				break;
			}
			if (tcp_seq_leq(v_left(b, v, k), b->lost_below)) {
				v->lost_to = k; /* hole k ends where range k starts */
				break;
			}
		}
	}
}

uint32_t tcp_sack_board_pipe(const struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			     uint32_t high_rxt, uint32_t smss)
{
	struct view v;
	uint32_t pipe = 0;

	if (smss == 0) {
		smss = 1;
	}
	make_view(b, snd_una, snd_max, smss, &v);
	for (uint32_t k = v.lo; k <= v.hi; k++) {
		uint32_t hl = hole_left(b, &v, k);
		uint32_t hr = hole_right(b, &v, k);

		if (!tcp_seq_lt(hl, hr)) {
			continue;
		}
		/* (a) not lost: still in the network. */
		if ((int64_t)k > v.lost_to) {
			pipe += hr - hl;
		}
		/* (b) retransmitted: the retransmission is in the network. */
		if (tcp_seq_lt(hl, high_rxt)) {
			pipe += tcp_seq_min(hr, high_rxt) - hl;
		}
	}
	return pipe;
}

enum tcp_sack_next tcp_sack_board_next_seg(const struct tcp_sack_board *b, uint32_t snd_una,
					   uint32_t snd_max, uint32_t high_rxt, uint32_t smss,
					   unsigned int flags, struct tcp_sack_block *seg)
{
	struct view v;
	uint32_t k;

	if (smss == 0) {
		smss = 1;
	}
	make_view(b, snd_una, snd_max, smss, &v);

	/*
	 * Rules 1 and 3 look at holes below the highest SACKed octet (1.b),
	 * i.e. not the tail, from octet high_rxt on (1.a). The first such hole
	 * decides both: if it is lost, rule 1 picks it; if not, no hole above
	 * it is lost either and rule 3 would pick it, after rule 2.
	 */
	for (k = v.lo; k < v.hi; k++) {
		uint32_t hl = tcp_seq_max(hole_left(b, &v, k), high_rxt);
		uint32_t hr = hole_right(b, &v, k);

		if (tcp_seq_lt(hl, hr)) {
			uint32_t len = hr - hl;

			seg->left = hl;
			seg->right = hl + (len < smss ? len : smss);
			break;
		}
	}
	if (k < v.hi && (int64_t)k <= v.lost_to) {
		return TCP_SACK_NEXT_LOST;
	}
	if (flags & TCP_SACK_NEXT_F_NEW) {
		seg->left = snd_max;
		seg->right = snd_max + smss;
		return TCP_SACK_NEXT_NEW;
	}
	if (k < v.hi) {
		return TCP_SACK_NEXT_HOLE;
	}
	if (flags & TCP_SACK_NEXT_F_RESCUE) {
		/* Rule 4: up to smss octets ending at the highest unSACKed octet. */
		for (k = v.hi + 1; k-- > v.lo;) {
			uint32_t hl = hole_left(b, &v, k);
			uint32_t hr = hole_right(b, &v, k);

			if (tcp_seq_lt(hl, hr)) {
				uint32_t len = hr - hl;

				seg->right = hr;
				seg->left = hr - (len < smss ? len : smss);
				return TCP_SACK_NEXT_RESCUE;
			}
		}
	}
	return TCP_SACK_NEXT_NONE;
}

bool tcp_sack_board_loss_detected(const struct tcp_sack_board *b, uint32_t snd_una,
				  unsigned int dupacks, uint32_t smss)
{
	return dupacks >= TCP_SACK_DUPTHRESH || tcp_sack_board_is_lost(b, snd_una, smss);
}

bool tcp_sack_board_last_hole(const struct tcp_sack_board *b, uint32_t snd_una, uint32_t snd_max,
			      struct tcp_sack_block *hole)
{
	uint32_t right = snd_max;

	for (uint32_t k = b->nb; k-- > 0;) {
		if (tcp_seq_lt(b->r[k].right, right)) {
			hole->left = b->r[k].right;
			hole->right = right;
			return true;
		}
		right = b->r[k].left;
	}
	if (tcp_seq_lt(snd_una, right)) {
		hole->left = snd_una;
		hole->right = right;
		return true;
	}
	return false;
}

void tcp_sack_board_dump(FILE *f, const struct tcp_sack_board *b)
{
	fprintf(f, "sack: %u ranges, %u octets sacked, rejected %llu dsack %llu forgotten %llu\n",
		b->nb, b->sacked, (unsigned long long)b->nb_rejected,
		(unsigned long long)b->nb_dsack, (unsigned long long)b->nb_forgotten);
	for (uint32_t k = 0; k < b->nb; k++) {
		fprintf(f, "  [%u, %u) %u\n", b->r[k].left, b->r[k].right, blk_len(&b->r[k]));
	}
}

void tcp_sack_rcv_init(struct tcp_sack_rcv *s)
{
	memset(s, 0, sizeof(*s));
}

void tcp_sack_rcv_note(struct tcp_sack_rcv *s, uint32_t left, uint32_t right)
{
	uint32_t n = 0;

	if (!tcp_seq_lt(left, right)) {
		return;
	}
	/*
	 * Recorded ranges are disjoint and not adjacent, so one pass merges
	 * everything the new range connects: the union of it and the ranges
	 * it touches touches nothing else.
	 */
	for (uint32_t k = 0; k < s->nb; k++) {
		const struct tcp_sack_block *e = &s->recent[k];

		if (tcp_seq_leq(e->left, right) && tcp_seq_leq(left, e->right)) {
			left = tcp_seq_min(left, e->left);
			right = tcp_seq_max(right, e->right);
		} else {
			s->recent[n++] = *e;
		}
	}
	if (n == TCP_SACK_RCV_HIST) {
		n--; /* forget the oldest */
	}
	memmove(&s->recent[1], &s->recent[0], n * sizeof(s->recent[0]));
	s->recent[0].left = left;
	s->recent[0].right = right;
	s->nb = n + 1;
}

void tcp_sack_rcv_ack(struct tcp_sack_rcv *s, uint32_t rcv_nxt)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < s->nb; k++) {
		if (tcp_seq_gt(s->recent[k].right, rcv_nxt)) {
			s->recent[n++] = s->recent[k];
		}
	}
	s->nb = n;
}

static bool emitted(const struct tcp_sack_block *out, unsigned int n,
		    const struct tcp_sack_block *r)
{
	for (unsigned int k = 0; k < n; k++) {
		if (out[k].left == r->left && out[k].right == r->right) {
			return true;
		}
	}
	return false;
}

unsigned int tcp_sack_rcv_blocks(const struct tcp_sack_rcv *s, const struct tcp_sack_block *ooo,
				 unsigned int nb_ooo, struct tcp_sack_block *out, unsigned int max)
{
	unsigned int n = 0;

	/* RFC 2018 4: the newest first, then the other recent ones. */
	for (uint32_t k = 0; k < s->nb && n < max; k++) {
		const struct tcp_sack_block *e = &s->recent[k];

		for (unsigned int q = 0; q < nb_ooo; q++) {
			const struct tcp_sack_block *r = &ooo[q];

			if (!tcp_seq_lt(r->left, r->right)) {
				continue;
			}
			if (tcp_seq_lt(r->left, e->right) && tcp_seq_lt(e->left, r->right)) {
				if (!emitted(out, n, r)) {
					out[n++] = *r;
				}
				break;
			}
		}
	}
	/* "As many distinct SACK blocks as possible": the rest, lowest first. */
	while (n < max) {
		const struct tcp_sack_block *best = NULL;

		for (unsigned int q = 0; q < nb_ooo; q++) {
			const struct tcp_sack_block *r = &ooo[q];

			if (!tcp_seq_lt(r->left, r->right) || emitted(out, n, r)) {
				continue;
			}
			if (best == NULL || tcp_seq_lt(r->left, best->left)) {
				best = r;
			}
		}
		if (best == NULL) {
			break;
		}
		out[n++] = *best;
	}
	return n;
}
