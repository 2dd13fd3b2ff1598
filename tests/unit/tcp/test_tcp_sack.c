/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: SACK (dataplane/tcp/tcp_sack.h): the sender's scoreboard
 * (RFC 2018 block validation, merging, trimming, the capacity policy, D-SACK
 * per RFC 2883), RFC 6675's IsLost, SetPipe, NextSeg and the recovery
 * trigger, and the receiver's block order (RFC 2018 4).
 *
 * The hand-worked examples use SMSS = 100 and sequence numbers in hundreds;
 * the randomized test runs the scoreboard against a bitmap of SACKed octets
 * and evaluates RFC 6675's definitions octet by octet on that bitmap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_sack.h"

#define SMSS 100

static struct tcp_sack_block blk(uint32_t l, uint32_t r)
{
	struct tcp_sack_block b = {.left = l, .right = r};

	return b;
}

/* Applies one block (as the only block of an ACK) and returns the octets it added. */
static uint32_t sack1(struct tcp_sack_board *b, uint32_t una, uint32_t max, uint32_t l, uint32_t r)
{
	struct tcp_sack_block x = blk(l, r);

	return tcp_sack_board_update(b, una, max, &x, 1);
}

/* Asserts that the board holds exactly the |n| ranges given as pairs. */
static void expect_ranges(const struct tcp_sack_board *b, unsigned int n, const uint32_t *pairs)
{
	const struct tcp_sack_block *r;
	unsigned int nb;
	uint32_t sum = 0;

	r = tcp_sack_board_get0_ranges(b, &nb);
	if (nb != n) {
		tcp_sack_board_dump(stderr, b);
		fail_msg("%u ranges, want %u", nb, n);
	}
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].left != pairs[2 * i] || r[i].right != pairs[2 * i + 1]) {
			tcp_sack_board_dump(stderr, b);
			fail_msg("range %u is [%u, %u), want [%u, %u)", i, r[i].left, r[i].right,
				 pairs[2 * i], pairs[2 * i + 1]);
		}
		sum += r[i].right - r[i].left;
	}
	assert_int_equal(tcp_sack_board_sacked(b), sum);
}

static void test_validation(void **state)
{
	struct tcp_sack_board b;
	struct tcp_sack_block two[2];

	(void)state;
	tcp_sack_board_init(&b);
	/* una 1000, nxt 5000. */
	assert_int_equal(sack1(&b, 1000, 5000, 3000, 2000), 0); /* inverted */
	assert_int_equal(sack1(&b, 1000, 5000, 3000, 3000), 0); /* empty */
	assert_int_equal(sack1(&b, 1000, 5000, 4000, 5001), 0); /* beyond nxt */
	assert_int_equal(sack1(&b, 1000, 5000, 6000, 7000), 0); /* wholly beyond */
	assert_int_equal(b.nb_rejected, 4);
	assert_int_equal(b.nb_dsack, 0);
	/* Below una: a D-SACK as the first block, stale as a later one. */
	assert_int_equal(sack1(&b, 1000, 5000, 500, 900), 0);
	assert_int_equal(b.nb_dsack, 1);
	two[0] = blk(2000, 2100);
	two[1] = blk(500, 900);
	assert_int_equal(tcp_sack_board_update(&b, 1000, 5000, two, 2), 100);
	assert_int_equal(b.nb_rejected, 5);
	/* Straddling una: rejected whole (a D-SACK if first). */
	two[0] = blk(3000, 3100);
	two[1] = blk(900, 1100);
	assert_int_equal(tcp_sack_board_update(&b, 1000, 5000, two, 2), 100);
	assert_int_equal(b.nb_rejected, 6);
	/* A first block inside the second is a D-SACK (RFC 2883 4); the second counts. */
	two[0] = blk(4100, 4200);
	two[1] = blk(4000, 4300);
	assert_int_equal(tcp_sack_board_update(&b, 1000, 5000, two, 2), 300);
	assert_int_equal(b.nb_dsack, 2);
	/* Edges: a block may start at una and end at nxt. */
	assert_int_equal(sack1(&b, 1000, 5000, 1000, 1100), 100);
	assert_int_equal(sack1(&b, 1000, 5000, 4900, 5000), 100);
	assert_int_equal(b.nb_rejected, 6);
	{
		static const uint32_t want[] = {1000, 1100, 2000, 2100, 3000,
						3100, 4000, 4300, 4900, 5000};

		expect_ranges(&b, 5, want);
	}
	assert_false(tcp_sack_board_is_sacked(&b, 999));
	assert_true(tcp_sack_board_is_sacked(&b, 1000));
	assert_false(tcp_sack_board_is_sacked(&b, 1100));
	assert_true(tcp_sack_board_is_sacked(&b, 4299));
	assert_true(tcp_sack_board_is_sacked(&b, 4999));
	assert_int_equal(tcp_sack_board_highest(&b, 1000), 5000);
}

/* The same checks across 2^32. */
static void test_wraparound(void **state)
{
	const uint32_t una = 0xffffff00u;
	const uint32_t nxt = 0x200;
	struct tcp_sack_board b;

	(void)state;
	tcp_sack_board_init(&b);
	assert_int_equal(tcp_sack_board_highest(&b, una), una);
	assert_int_equal(sack1(&b, una, nxt, 0xfffffff0u, 0x10), 0x20);
	assert_int_equal(sack1(&b, una, nxt, 0x20, 0x40), 0x20);
	assert_int_equal(sack1(&b, una, nxt, 0xffffff80u, 0xffffff90u), 0x10);
	assert_int_equal(sack1(&b, una, nxt, 0x100, 0x201), 0);	     /* beyond nxt */
	assert_int_equal(sack1(&b, una, nxt, 0x10, 0xfffffff0u), 0); /* inverted */
	assert_int_equal(sack1(&b, una, nxt, 0x80000000u, 0x80000010u), 0);
	assert_int_equal(b.nb_rejected, 3);
	{
		/* Lowest first, across the wrap. */
		static const uint32_t w[] = {0xffffff80u, 0xffffff90u, 0xfffffff0u,
					     0x10,	  0x20,	       0x40};

		expect_ranges(&b, 3, w);
	}
	assert_true(tcp_sack_board_is_sacked(&b, 0xffffffffu));
	assert_true(tcp_sack_board_is_sacked(&b, 0));
	assert_false(tcp_sack_board_is_sacked(&b, 0x10));
	assert_int_equal(tcp_sack_board_highest(&b, una), 0x40);
	/* Bridging the gap over 0 merges; an ACK past 0 trims. */
	assert_int_equal(sack1(&b, una, nxt, 0x10, 0x20), 0x10);
	{
		static const uint32_t want[] = {0xffffff80u, 0xffffff90u, 0xfffffff0u, 0x40};

		expect_ranges(&b, 2, want);
	}
	tcp_sack_board_ack(&b, 0x8);
	{
		static const uint32_t want[] = {0x8, 0x40};

		expect_ranges(&b, 1, want);
	}
	/* SetPipe over the wrap: una 8, nxt 0x200, SACKed [8, 0x40), nothing lost. */
	assert_int_equal(tcp_sack_board_pipe(&b, 0x8, nxt, 0x8, SMSS), 0x200 - 0x40);
}

static void test_merge(void **state)
{
	struct tcp_sack_board b;

	(void)state;
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 0, 10000, 500, 600), 100);
	assert_int_equal(sack1(&b, 0, 10000, 100, 200), 100);
	assert_int_equal(sack1(&b, 0, 10000, 300, 400), 100);
	{
		static const uint32_t want[] = {100, 200, 300, 400, 500, 600};

		expect_ranges(&b, 3, want);
	}
	/* Overlapping two, bridging three. */
	assert_int_equal(sack1(&b, 0, 10000, 150, 550), 200);
	{
		static const uint32_t want[] = {100, 600};

		expect_ranges(&b, 1, want);
	}
	/* Adjacent on either side merges too (ranges stay non-adjacent). */
	assert_int_equal(sack1(&b, 0, 10000, 600, 700), 100);
	assert_int_equal(sack1(&b, 0, 10000, 50, 100), 50);
	{
		static const uint32_t want[] = {50, 700};

		expect_ranges(&b, 1, want);
	}
	/* Nothing new. */
	assert_int_equal(sack1(&b, 0, 10000, 50, 700), 0);
	assert_int_equal(sack1(&b, 0, 10000, 200, 300), 0);
	/* Overlapping the top only; a superset. */
	assert_int_equal(sack1(&b, 0, 10000, 650, 800), 100);
	assert_int_equal(sack1(&b, 0, 10000, 900, 1000), 100);
	assert_int_equal(sack1(&b, 0, 10000, 10, 1100), 40 + 100 + 100);
	{
		static const uint32_t want[] = {10, 1100};

		expect_ranges(&b, 1, want);
	}
	/* Several blocks in one ACK add up. */
	{
		struct tcp_sack_block three[3] = {blk(2000, 2100), blk(1500, 1600),
						  blk(3000, 3100)};

		assert_int_equal(tcp_sack_board_update(&b, 0, 10000, three, 3), 300);
	}
}

static void test_trim(void **state)
{
	struct tcp_sack_board b;

	(void)state;
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 0, 1000, 100, 200), 100);
	assert_int_equal(sack1(&b, 0, 1000, 300, 400), 100);
	assert_int_equal(sack1(&b, 0, 1000, 500, 600), 100);
	tcp_sack_board_ack(&b, 50); /* below everything */
	assert_int_equal(tcp_sack_board_sacked(&b), 300);
	tcp_sack_board_ack(&b, 150); /* into a range: cut */
	{
		static const uint32_t want[] = {150, 200, 300, 400, 500, 600};

		expect_ranges(&b, 3, want);
	}
	tcp_sack_board_ack(&b, 300); /* exactly at a range: that range stays */
	{
		static const uint32_t want[] = {300, 400, 500, 600};

		expect_ranges(&b, 2, want);
	}
	/* The trim update does: a cumulative ACK to 400 with no blocks. */
	assert_int_equal(tcp_sack_board_update(&b, 400, 1000, NULL, 0), 0);
	{
		static const uint32_t want[] = {500, 600};

		expect_ranges(&b, 1, want);
	}
	/* Old blocks on a new ACK are below una and rejected. */
	assert_int_equal(sack1(&b, 600, 1000, 500, 600), 0);
	assert_int_equal(b.nb_dsack, 1); /* first block below una */
	expect_ranges(&b, 0, NULL);
	assert_int_equal(tcp_sack_board_highest(&b, 600), 600);

	/* Clear forgets all (RTO), keeping the counters. */
	assert_int_equal(sack1(&b, 600, 1000, 700, 800), 100);
	tcp_sack_board_clear(&b);
	expect_ranges(&b, 0, NULL);
	assert_int_equal(b.nb_dsack, 1);
}

/* 32 ranges kept; the 33rd drops the highest, never merging across a gap. */
static void test_capacity(void **state)
{
	struct tcp_sack_board b;
	uint32_t want[2 * TCP_SACK_BOARD_MAX];

	(void)state;
	tcp_sack_board_init(&b);
	/* Ranges [1000 + 100 k, 1000 + 100 k + 10) for k = 1..32. */
	for (uint32_t k = 1; k <= TCP_SACK_BOARD_MAX; k++) {
		assert_int_equal(sack1(&b, 1000, 100000, 1000 + 100 * k, 1010 + 100 * k), 10);
	}
	assert_int_equal(tcp_sack_board_sacked(&b), 320);
	/* Above the highest: not kept. */
	assert_int_equal(sack1(&b, 1000, 100000, 9000, 9050), 0);
	assert_int_equal(b.nb_forgotten, 1);
	assert_false(tcp_sack_board_is_sacked(&b, 9000));
	assert_int_equal(tcp_sack_board_highest(&b, 1000), 1000 + 3200 + 10);
	/* Below the lowest: kept, the highest goes. */
	assert_int_equal(sack1(&b, 1000, 100000, 1020, 1040), 20);
	assert_int_equal(b.nb_forgotten, 2);
	assert_int_equal(tcp_sack_board_sacked(&b), 320 + 20 - 10);
	assert_false(tcp_sack_board_is_sacked(&b, 4200));
	assert_int_equal(tcp_sack_board_highest(&b, 1000), 1000 + 3100 + 10);
	want[0] = 1020;
	want[1] = 1040;
	for (uint32_t k = 1; k < TCP_SACK_BOARD_MAX; k++) {
		want[2 * k] = 1000 + 100 * k;
		want[2 * k + 1] = 1010 + 100 * k;
	}
	expect_ranges(&b, TCP_SACK_BOARD_MAX, want);
	/* In the middle: the highest goes. No gap octet is ever SACKed. */
	assert_int_equal(sack1(&b, 1000, 100000, 1550, 1560), 10);
	assert_int_equal(b.nb_forgotten, 3);
	assert_false(tcp_sack_board_is_sacked(&b, 4100));
	for (uint32_t s = 1000; s < 5000; s++) {
		uint32_t o = s % 100;
		bool want_sacked = (s >= 1100 && s < 4010 && o < 10) || (s >= 1020 && s < 1040) ||
				   (s >= 1550 && s < 1560);

		assert_int_equal(tcp_sack_board_is_sacked(&b, s), want_sacked);
	}
	/* Merging two frees a slot: nothing forgotten. */
	assert_int_equal(sack1(&b, 1000, 100000, 1210, 1300), 90);
	assert_int_equal(sack1(&b, 1000, 100000, 8000, 8010), 10);
	assert_int_equal(b.nb_forgotten, 3);
	assert_true(tcp_sack_board_is_sacked(&b, 8005));
}

/* IsLost: 3 segments (ceil(len / SMSS) per range) or more than 2 * SMSS octets above. */
static void test_is_lost(void **state)
{
	struct tcp_sack_board b;

	(void)state;
	tcp_sack_board_init(&b);
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
	/* Segment rule: three separate 1-octet ranges are three segments. */
	assert_int_equal(sack1(&b, 1000, 5000, 1100, 1101), 1);
	assert_int_equal(sack1(&b, 1000, 5000, 1200, 1201), 1);
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_int_equal(sack1(&b, 1000, 5000, 1300, 1301), 1);
	assert_true(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_true(tcp_sack_board_is_lost(&b, 1099, SMSS));
	assert_false(tcp_sack_board_is_lost(&b, 1100, SMSS)); /* only two above */
	assert_false(tcp_sack_board_is_lost(&b, 1150, SMSS));
	assert_false(tcp_sack_board_is_lost(&b, 1300, SMSS));

	/* Byte rule: 200 octets (2 * SMSS) are not enough, 201 are. */
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 1000, 5000, 1500, 1700), 200);
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_int_equal(sack1(&b, 1000, 5000, 1700, 1701), 1);
	assert_true(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_true(tcp_sack_board_is_lost(&b, 1499, SMSS));
	/* Inside the range only the octets above count: 201 above 1499, 200 above 1500. */
	assert_false(tcp_sack_board_is_lost(&b, 1500, SMSS));
	assert_false(tcp_sack_board_is_lost(&b, 1700, SMSS));
	/* A larger SMSS raises the bar. */
	assert_false(tcp_sack_board_is_lost(&b, 1000, 101));
	/*
	 * 150 octets hold at least 2 segments and 50 at least one more: the
	 * segment rule fires at 200 octets, below the byte rule's 201.
	 */
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 1000, 5000, 2000, 2150), 150);
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_int_equal(sack1(&b, 1000, 5000, 2300, 2350), 50);
	assert_true(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_true(tcp_sack_board_is_lost(&b, 2000, SMSS));  /* 149 + 50: 2 + 1 */
	assert_false(tcp_sack_board_is_lost(&b, 2100, SMSS)); /* 49 + 50: 1 + 1 */
	assert_true(tcp_sack_board_is_lost(&b, 2100, 49));    /* 49 + 50: 1 + 2 */
	/* smss 0 is read as 1: any three octets. */
	assert_true(tcp_sack_board_is_lost(&b, 2200, 0));
}

/*
 * The scoreboard of the SetPipe and NextSeg examples: SND.UNA 1000,
 * SND.NXT 2000 (ten 100-octet segments), segments 3, 5 and 7 SACKed:
 *
 *   1000 1100 1200 1300 1400 1500 1600 1700 1800 1900 2000
 *   |  1 |  2 |##3#|  4 |##5#|  6 |##7#|  8 |  9 | 10 |
 *
 * Segments 1 and 2 have three SACKed segments above them: lost. 4 has two
 * and 6 one: not lost. 8, 9 and 10 have none.
 */
static void board_357(struct tcp_sack_board *b)
{
	tcp_sack_board_init(b);
	assert_int_equal(sack1(b, 1000, 2000, 1200, 1300), 100);
	assert_int_equal(sack1(b, 1000, 2000, 1400, 1500), 100);
	assert_int_equal(sack1(b, 1000, 2000, 1600, 1700), 100);
}

static void test_pipe(void **state)
{
	struct tcp_sack_board b;

	(void)state;
	/* Nothing SACKed: everything outstanding is in flight. */
	tcp_sack_board_init(&b);
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1000, SMSS), 1000);
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 1000, 1000, SMSS), 0);
	/* Retransmitted and not lost: counted twice (RFC 6675 4, the note on SetPipe). */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1100, SMSS), 1100);

	board_357(&b);
	/* (a): 4, 6, 8, 9, 10 not lost; 1, 2 lost and not retransmitted. */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1000, SMSS), 500);
	/* (b): 1 retransmitted. */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1100, SMSS), 600);
	/* 1, 2 retransmitted; SACKed 3 is not counted even below HighRxt. */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1300, SMSS), 700);
	/* Half of 4 retransmitted too: 700 + 50. */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1350, SMSS), 750);
	/* A cumulative ACK of 1 and 2: 4 is now lost? No, only two SACKed above it. */
	tcp_sack_board_ack(&b, 1200);
	assert_int_equal(tcp_sack_board_pipe(&b, 1200, 2000, 1200, SMSS), 500);
	/* 8 SACKed too: now 4 has three above it, 6 two. */
	assert_int_equal(sack1(&b, 1200, 2000, 1800, 1900), 100);
	assert_int_equal(tcp_sack_board_pipe(&b, 1200, 2000, 1200, SMSS), 300);
	assert_int_equal(tcp_sack_board_pipe(&b, 1200, 2000, 1400, SMSS), 400);
}

/* A probe sent long after 1000..1900 was SACKed alone: everything below it is lost. */
static void test_mark_lost(void **state)
{
	struct tcp_sack_board b;
	struct tcp_sack_block seg;

	(void)state;
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 1000, 2000, 1900, 2000), 100);
	/* One segment SACKed above: by counting, nothing is lost; all 900 are in flight. */
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_false(tcp_sack_board_loss_detected(&b, 1000, 1, SMSS));
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1000, SMSS), 900);
	tcp_sack_board_mark_lost(&b, 1900);
	assert_true(tcp_sack_board_is_lost(&b, 1000, SMSS));
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 1, SMSS));
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1000, SMSS), 0);
	/* The first retransmission is in flight, and NextSeg goes on with the lost hole. */
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 2000, 1100, SMSS), 100);
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1100, SMSS, TCP_SACK_NEXT_F_NEW,
						 &seg),
			 TCP_SACK_NEXT_LOST);
	assert_int_equal(seg.left, 1100);
	assert_int_equal(seg.right, 1200);
	/* A mark never moves down; a hole above it is not lost by it. */
	tcp_sack_board_mark_lost(&b, 1500);
	assert_int_equal(sack1(&b, 1000, 3000, 2500, 2600), 100);
	assert_int_equal(tcp_sack_board_pipe(&b, 1000, 3000, 1000, SMSS), 500 + 400);
	/* Once SND.UNA passes it, it is gone in effect; clear forgets it. */
	tcp_sack_board_clear(&b);
	assert_false(tcp_sack_board_is_lost(&b, 1000, SMSS));
}

static void test_next_seg(void **state)
{
	const unsigned int both = TCP_SACK_NEXT_F_NEW | TCP_SACK_NEXT_F_RESCUE;
	struct tcp_sack_board b;
	struct tcp_sack_block s;

	(void)state;
	board_357(&b);
	/* Rule 1 before rule 2: the first lost hole, one segment of it. */
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1000, SMSS, both, &s),
			 TCP_SACK_NEXT_LOST);
	assert_int_equal(s.left, 1000);
	assert_int_equal(s.right, 1100);
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1100, SMSS, both, &s),
			 TCP_SACK_NEXT_LOST);
	assert_int_equal(s.left, 1100);
	assert_int_equal(s.right, 1200);
	/* A larger SMSS still stops at the SACKed segment 3. */
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1150, 1000, both, &s),
			 TCP_SACK_NEXT_LOST);
	assert_int_equal(s.left, 1150);
	assert_int_equal(s.right, 1200);
	/* Lost holes done (HighRxt past 2): rule 2, new data, if allowed. */
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1200, SMSS, both, &s),
			 TCP_SACK_NEXT_NEW);
	assert_int_equal(s.left, 2000);
	assert_int_equal(s.right, 2100);
	/* Else rule 3: the next unSACKed hole below the highest SACK, not lost. */
	assert_int_equal(
		tcp_sack_board_next_seg(&b, 1000, 2000, 1200, SMSS, TCP_SACK_NEXT_F_RESCUE, &s),
		TCP_SACK_NEXT_HOLE);
	assert_int_equal(s.left, 1300);
	assert_int_equal(s.right, 1400);
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1400, SMSS, 0, &s),
			 TCP_SACK_NEXT_HOLE);
	assert_int_equal(s.left, 1500);
	assert_int_equal(s.right, 1600);
	/* Nothing below the highest SACK left: rule 4 rescue (the last segment), or none. */
	assert_int_equal(
		tcp_sack_board_next_seg(&b, 1000, 2000, 1600, SMSS, TCP_SACK_NEXT_F_RESCUE, &s),
		TCP_SACK_NEXT_RESCUE);
	assert_int_equal(s.left, 1900);
	assert_int_equal(s.right, 2000);
	s = blk(1, 2);
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1600, SMSS, 0, &s),
			 TCP_SACK_NEXT_NONE);
	assert_int_equal(s.left, 1); /* untouched */
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 2000, SMSS, both, &s),
			 TCP_SACK_NEXT_NEW);
	/* Rescue when the highest data is SACKed: the top of the highest hole. */
	assert_int_equal(
		tcp_sack_board_next_seg(&b, 1000, 1700, 1600, 60, TCP_SACK_NEXT_F_RESCUE, &s),
		TCP_SACK_NEXT_RESCUE);
	assert_int_equal(s.left, 1540);
	assert_int_equal(s.right, 1600);
	/* Nothing SACKed and nothing lost: new data, else the rescue. */
	tcp_sack_board_init(&b);
	assert_int_equal(tcp_sack_board_next_seg(&b, 1000, 2000, 1000, SMSS, both, &s),
			 TCP_SACK_NEXT_NEW);
	assert_int_equal(
		tcp_sack_board_next_seg(&b, 1000, 2000, 1000, SMSS, TCP_SACK_NEXT_F_RESCUE, &s),
		TCP_SACK_NEXT_RESCUE);
	assert_int_equal(s.left, 1900);
	assert_int_equal(s.right, 2000);
	/* Everything SACKed: nothing to rescue. */
	assert_int_equal(sack1(&b, 1000, 2000, 1000, 2000), 1000);
	assert_int_equal(
		tcp_sack_board_next_seg(&b, 1000, 2000, 1000, SMSS, TCP_SACK_NEXT_F_RESCUE, &s),
		TCP_SACK_NEXT_NONE);
}

/* RFC 6675 5 steps 1-2: DupAcks >= DupThresh, or IsLost(HighACK + 1). */
static void test_recovery_trigger(void **state)
{
	struct tcp_sack_board b;

	(void)state;
	tcp_sack_board_init(&b);
	assert_false(tcp_sack_board_loss_detected(&b, 1000, 0, SMSS));
	assert_false(tcp_sack_board_loss_detected(&b, 1000, 2, SMSS));
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 3, SMSS));
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 7, SMSS));
	/* Two segments SACKed above una: not yet. */
	assert_int_equal(sack1(&b, 1000, 2000, 1100, 1300), 200);
	assert_false(tcp_sack_board_loss_detected(&b, 1000, 2, SMSS));
	/* A third (one ACK reporting several segments, or small ones): yes. */
	assert_int_equal(sack1(&b, 1000, 2000, 1400, 1401), 1);
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 1, SMSS));
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 0, SMSS));
	/* The byte rule alone: 201 octets in one range, no dupacks counted. */
	tcp_sack_board_init(&b);
	assert_int_equal(sack1(&b, 1000, 2000, 1100, 1301), 201);
	assert_true(tcp_sack_board_loss_detected(&b, 1000, 0, SMSS));
}

static void test_dump(void **state)
{
	struct tcp_sack_board b;
	char buf[512];
	FILE *f;

	(void)state;
	board_357(&b);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	tcp_sack_board_dump(f, &b);
	fclose(f);
	assert_non_null(strstr(buf, "[1400, 1500)"));
}

/* ------------------------------------------------------------------------- */
/* Receiver side                                                              */

static void expect_blocks(const struct tcp_sack_block *got, unsigned int n, unsigned int want_n,
			  const uint32_t *pairs)
{
	assert_int_equal(n, want_n);
	for (unsigned int i = 0; i < n; i++) {
		if (got[i].left != pairs[2 * i] || got[i].right != pairs[2 * i + 1]) {
			fail_msg("block %u is [%u, %u), want [%u, %u)", i, got[i].left,
				 got[i].right, pairs[2 * i], pairs[2 * i + 1]);
		}
	}
}

static void test_rcv_blocks(void **state)
{
	struct tcp_sack_rcv s;
	struct tcp_sack_block out[TCP_SACK_MAX_BLOCKS];
	/* What the reassembly queue holds, in no particular order. RCV.NXT is 1000. */
	struct tcp_sack_block ooo[5] = {
		blk(1500, 1600),
		blk(1100, 1250),
		blk(1700, 1800),
		blk(1300, 1400),
	};
	unsigned int n;

	(void)state;
	tcp_sack_rcv_init(&s);
	assert_int_equal(tcp_sack_rcv_blocks(&s, ooo, 0, out, 4), 0);
	/* Arrival order: A, B, C, D, then a segment extending A. */
	tcp_sack_rcv_note(&s, 1100, 1200);
	tcp_sack_rcv_note(&s, 1300, 1400);
	tcp_sack_rcv_note(&s, 1500, 1600);
	tcp_sack_rcv_note(&s, 1700, 1800);
	tcp_sack_rcv_note(&s, 1200, 1250);
	n = tcp_sack_rcv_blocks(&s, ooo, 4, out, TCP_SACK_MAX_BLOCKS);
	{
		static const uint32_t want[] = {1100, 1250, 1700, 1800, 1500, 1600, 1300, 1400};

		expect_blocks(out, n, 4, want);
	}
	/* Alongside timestamps only 3 fit: the oldest is left out. */
	n = tcp_sack_rcv_blocks(&s, ooo, 4, out, 3);
	{
		static const uint32_t want[] = {1100, 1250, 1700, 1800, 1500, 1600};

		expect_blocks(out, n, 3, want);
	}
	/* A fifth range E arrives: E first, then the three most recent others. */
	ooo[4] = blk(1900, 2000);
	tcp_sack_rcv_note(&s, 1900, 2000);
	n = tcp_sack_rcv_blocks(&s, ooo, 5, out, 4);
	{
		static const uint32_t want[] = {1900, 2000, 1100, 1250, 1700, 1800, 1500, 1600};

		expect_blocks(out, n, 4, want);
	}
	/*
	 * The hole at RCV.NXT is filled: A is delivered, RCV.NXT 1250. That
	 * segment advanced the cumulative ACK, so no block for it.
	 */
	tcp_sack_rcv_ack(&s, 1250);
	ooo[1] = ooo[4];
	n = tcp_sack_rcv_blocks(&s, ooo, 4, out, 3);
	{
		static const uint32_t want[] = {1900, 2000, 1700, 1800, 1500, 1600};

		expect_blocks(out, n, 3, want);
	}
	/* A segment bridging C and D makes one block of them, first. */
	ooo[0] = blk(1300, 1400);
	ooo[1] = blk(1900, 2000);
	ooo[2] = blk(1500, 1800);
	tcp_sack_rcv_note(&s, 1600, 1700);
	n = tcp_sack_rcv_blocks(&s, ooo, 3, out, 4);
	{
		static const uint32_t want[] = {1500, 1800, 1900, 2000, 1300, 1400};

		expect_blocks(out, n, 3, want);
	}
}

/* With less history than ranges, the rest come lowest first. */
static void test_rcv_fill(void **state)
{
	struct tcp_sack_rcv s;
	struct tcp_sack_block out[TCP_SACK_MAX_BLOCKS];
	const struct tcp_sack_block ooo[4] = {
		blk(5000, 5100), blk(3000, 3100), blk(4000, 4100), blk(2000, 1000), /* bogus */
	};
	unsigned int n;

	(void)state;
	tcp_sack_rcv_init(&s);
	tcp_sack_rcv_note(&s, 4000, 4100);
	tcp_sack_rcv_note(&s, 4050, 4050); /* empty: ignored */
	n = tcp_sack_rcv_blocks(&s, ooo, 4, out, 4);
	{
		static const uint32_t want[] = {4000, 4100, 3000, 3100, 5000, 5100};

		expect_blocks(out, n, 3, want);
	}
	n = tcp_sack_rcv_blocks(&s, ooo, 4, out, 1);
	{
		static const uint32_t want[] = {4000, 4100};

		expect_blocks(out, n, 1, want);
	}
	/*
	 * History is bounded: of 16 ranges noted, the newest TCP_SACK_RCV_HIST
	 * come first, newest first, then the forgotten ones lowest first.
	 */
	{
		struct tcp_sack_block many[2 * TCP_SACK_RCV_HIST];
		struct tcp_sack_block got[TCP_SACK_RCV_HIST + 2];
		const uint32_t nb_many = 2 * TCP_SACK_RCV_HIST;

		tcp_sack_rcv_init(&s);
		for (uint32_t k = 0; k < nb_many; k++) {
			many[k] = blk(10000 + 100 * k, 10010 + 100 * k);
			tcp_sack_rcv_note(&s, many[k].left, many[k].right);
		}
		n = tcp_sack_rcv_blocks(&s, many, nb_many, got, TCP_SACK_RCV_HIST + 2);
		assert_int_equal(n, TCP_SACK_RCV_HIST + 2);
		for (uint32_t k = 0; k < TCP_SACK_RCV_HIST; k++) {
			assert_int_equal(got[k].left, many[nb_many - 1 - k].left);
		}
		assert_int_equal(got[TCP_SACK_RCV_HIST].left, many[0].left);
		assert_int_equal(got[TCP_SACK_RCV_HIST + 1].left, many[1].left);
	}
}

/* ------------------------------------------------------------------------- */
/* Randomized: the scoreboard against a bitmap of SACKed octets               */

#define SPAN 60000u /* octets of sequence space the test walks through */
#define WIN 1200u   /* at most this much outstanding */

struct model {
	uint32_t base;	   /* sequence number of bit 0 */
	uint32_t una, max; /* offsets from base */
	bool sacked[SPAN];
};

static uint32_t m_seq(const struct model *m, uint32_t off)
{
	return m->base + off;
}

/* Runs of SACKed octets in [una, max), counted from the top. */
static uint32_t m_runs(const struct model *m)
{
	uint32_t n = 0;

	for (uint32_t o = m->una; o < m->max; o++) {
		if (m->sacked[o] && (o == m->una || !m->sacked[o - 1])) {
			n++;
		}
	}
	return n;
}

/* The policy: when a block leaves more than TCP_SACK_BOARD_MAX runs, forget the highest. */
static void m_drop_highest(struct model *m)
{
	uint32_t o = m->max;

	while (o > m->una && !m->sacked[o - 1]) {
		o--;
	}
	while (o > m->una && m->sacked[o - 1]) {
		m->sacked[--o] = false;
	}
}

static void m_ack(struct model *m, uint32_t una)
{
	for (uint32_t o = m->una; o < una; o++) {
		m->sacked[o] = false;
	}
	m->una = una;
}

/* The validation rules of tcp_sack.h, on offsets. */
static void m_update(struct model *m, const int64_t *l, const int64_t *r, unsigned int nb)
{
	for (unsigned int k = 0; k < nb; k++) {
		if (l[k] >= r[k] || r[k] > m->max) {
			continue;
		}
		if (k == 0 &&
		    (l[0] < m->una || (nb > 1 && l[1] < r[1] && l[1] <= l[0] && r[0] <= r[1]))) {
			continue;
		}
		if (l[k] < m->una) {
			continue;
		}
		for (int64_t o = l[k]; o < r[k]; o++) {
			m->sacked[o] = true;
		}
		if (m_runs(m) > TCP_SACK_BOARD_MAX) {
			m_drop_highest(m);
		}
	}
}

/* IsLost(o) from the definition: segments and octets SACKed above octet o. */
static bool m_is_lost(const struct model *m, uint32_t o, uint32_t smss)
{
	uint64_t segs = 0, bytes = 0, run = 0;

	for (uint32_t p = m->max; p-- > o + 1;) {
		if (m->sacked[p]) {
			run++;
			bytes++;
		}
		if ((!m->sacked[p] || p == o + 1) && run > 0) {
			segs += (run + smss - 1) / smss;
			run = 0;
		}
	}
	return segs >= 3 || bytes > 2 * (uint64_t)smss;
}

/*
 * IsLost of every unSACKed octet in [una, max) in one downward walk, keeping
 * what is SACKed above the current octet.
 */
static void m_lost(const struct model *m, uint32_t smss, bool *lost)
{
	uint64_t segs = 0, bytes = 0, run = 0;

	for (uint32_t o = m->max; o-- > m->una;) {
		if (m->sacked[o]) {
			run++;
			lost[o] = false; /* not used */
			continue;
		}
		if (run > 0) {
			segs += (run + smss - 1) / smss;
			bytes += run;
			run = 0;
		}
		lost[o] = segs >= 3 || bytes > 2 * (uint64_t)smss;
	}
}

/* SetPipe from the definition, octet by octet. */
static uint32_t m_pipe(const struct model *m, const bool *lost, uint32_t high_rxt)
{
	uint32_t pipe = 0;

	for (uint32_t o = m->una; o < m->max; o++) {
		if (m->sacked[o]) {
			continue;
		}
		if (!lost[o]) {
			pipe++; /* (a) */
		}
		if (o < high_rxt) {
			pipe++; /* (b) */
		}
	}
	return pipe;
}

static enum tcp_sack_next m_next_seg(const struct model *m, const bool *lost, uint32_t high_rxt,
				     uint32_t smss, unsigned int flags, uint32_t *sl, uint32_t *sr)
{
	uint32_t highest = m->una; /* one past the highest SACKed octet */
	uint32_t o, n;

	for (o = m->una; o < m->max; o++) {
		if (m->sacked[o]) {
			highest = o + 1;
		}
	}
	for (int rule = 1; rule <= 3; rule += 2) {
		for (o = high_rxt > m->una ? high_rxt : m->una; o < highest; o++) {
			if (!m->sacked[o] && (rule == 3 || lost[o])) {
				for (n = 0; n < smss && !m->sacked[o + n]; n++) {
				}
				*sl = o;
				*sr = o + n;
				return rule == 1 ? TCP_SACK_NEXT_LOST : TCP_SACK_NEXT_HOLE;
			}
		}
		if (rule == 1 && (flags & TCP_SACK_NEXT_F_NEW)) {
			*sl = m->max;
			*sr = m->max + smss;
			return TCP_SACK_NEXT_NEW;
		}
	}
	if (flags & TCP_SACK_NEXT_F_RESCUE) {
		for (o = m->max; o-- > m->una;) {
			if (!m->sacked[o]) {
				for (n = 1; n < smss && o + 1 - n > m->una && !m->sacked[o - n];
				     n++) {
				}
				*sl = o + 1 - n;
				*sr = o + 1;
				return TCP_SACK_NEXT_RESCUE;
			}
		}
	}
	return TCP_SACK_NEXT_NONE;
}

static void check_board(const struct model *m, const struct tcp_sack_board *b)
{
	const struct tcp_sack_block *r;
	unsigned int nb;
	uint32_t sum = 0;

	r = tcp_sack_board_get0_ranges(b, &nb);
	assert_true(nb <= TCP_SACK_BOARD_MAX);
	assert_int_equal(nb, m_runs(m));
	for (unsigned int k = 0; k < nb; k++) {
		uint32_t l = r[k].left - m->base, rr = r[k].right - m->base;

		/* Sorted, within the window, not adjacent. */
		assert_true(l >= m->una && l < rr && rr <= m->max);
		if (k > 0) {
			assert_true(r[k - 1].right - m->base < l);
		}
		sum += rr - l;
	}
	assert_int_equal(tcp_sack_board_sacked(b), sum);
	for (uint32_t o = m->una; o < m->max; o++) {
		if (tcp_sack_board_is_sacked(b, m_seq(m, o)) != m->sacked[o]) {
			tcp_sack_board_dump(stderr, b);
			fail_msg("octet %u (seq %u): board %d, model %d", o, m_seq(m, o),
				 !m->sacked[o], m->sacked[o]);
		}
	}
}

/* A block near the window, sometimes outside it, sometimes garbage. */
static void random_block(const struct model *m, int64_t *l, int64_t *r, int small)
{
	int64_t span = (int64_t)(m->max - m->una) + 1;
	int kind = rand() % 20;

	*l = (int64_t)m->una + rand() % span;
	*r = *l + 1 + rand() % 120;
	if (kind == 0) {
		*l -= rand() % 300; /* below una */
	} else if (kind == 1) {
		*r += rand() % 300; /* beyond nxt */
	} else if (kind == 2) {
		int64_t t = *l; /* inverted */

		*l = *r;
		*r = t;
	} else if (kind < small) {
		*r = *l + 1 + rand() % 8; /* small: many runs */
	}
	if (*r > m->max && kind != 1) {
		*r = m->max;
	}
}

static void test_random_vs_bitmap(void **state)
{
	static struct model m;
	static bool lost[SPAN];
	struct tcp_sack_board b;
	unsigned int nb_forgotten = 0;

	(void)state;
	srand(6675);
	for (int round = 0; round < 6; round++) {
		memset(&m, 0, sizeof(m));
		/* Start below 2^32 so that the walk wraps through 0. */
		m.base = 0u - 1000u - (uint32_t)(rand() % 5000);
		m.una = 0;
		m.max = 0;
		tcp_sack_board_init(&b);
		while (m.max + WIN + 200 < SPAN) {
			struct tcp_sack_block blocks[TCP_SACK_MAX_BLOCKS];
			int64_t l[TCP_SACK_MAX_BLOCKS], r[TCP_SACK_MAX_BLOCKS];
			unsigned int nb = (unsigned int)(rand() % (TCP_SACK_MAX_BLOCKS + 1));
			uint32_t smss = 1 + (uint32_t)(rand() % 150);
			uint32_t new_una = m.una, before, added, high_rxt, ml = 0, mr = 0;
			uint64_t forgotten;
			unsigned int flags = (unsigned int)(rand() % 4);
			struct tcp_sack_block seg = {0, 0};
			enum tcp_sack_next got, want;

			/* Send more, and sometimes advance the cumulative ACK. */
			m.max += (uint32_t)(rand() % 200);
			if (m.max - m.una > WIN) {
				m.max = m.una + WIN;
			}
			if (rand() % (round % 2 ? 4 : 60) == 0) {
				new_una = m.una + (uint32_t)(rand() % (m.max - m.una + 1));
			}
			m_ack(&m, new_una);
			for (unsigned int k = 0; k < nb; k++) {
				random_block(&m, &l[k], &r[k], round % 2 ? 8 : 16);
				blocks[k].left = m.base + (uint32_t)l[k];
				blocks[k].right = m.base + (uint32_t)r[k];
			}
			if (nb > 1 && rand() % 10 == 0) {
				/* A D-SACK inside the second block. */
				l[0] = l[1] + 1;
				r[0] = l[0] + 1;
				blocks[0].left = m.base + (uint32_t)l[0];
				blocks[0].right = m.base + (uint32_t)r[0];
			}
			/* Trim first, to compare the octets the update reports. */
			tcp_sack_board_ack(&b, m_seq(&m, m.una));
			before = tcp_sack_board_sacked(&b);
			forgotten = b.nb_forgotten;
			added = tcp_sack_board_update(&b, m_seq(&m, m.una), m_seq(&m, m.max),
						      blocks, nb);
			m_update(&m, l, r, nb);
			check_board(&m, &b);
			if (b.nb_forgotten == forgotten) {
				assert_int_equal(added, tcp_sack_board_sacked(&b) - before);
			} else {
				assert_true((int64_t)added >=
					    (int64_t)tcp_sack_board_sacked(&b) - (int64_t)before);
				nb_forgotten++;
			}

			/* RFC 6675 queries against their definitions. */
			high_rxt = m.una + (uint32_t)(rand() % (m.max - m.una + 1));
			m_lost(&m, smss, lost);
			assert_int_equal(tcp_sack_board_pipe(&b, m_seq(&m, m.una), m_seq(&m, m.max),
							     m_seq(&m, high_rxt), smss),
					 m_pipe(&m, lost, high_rxt));
			for (int q = 0; q < 4 && m.max > m.una; q++) {
				uint32_t o = m.una + (uint32_t)(rand() % (m.max - m.una));
				bool want_lost = m_is_lost(&m, o, smss);

				assert_int_equal(tcp_sack_board_is_lost(&b, m_seq(&m, o), smss),
						 want_lost);
				assert_true(m.sacked[o] || lost[o] == want_lost);
			}
			assert_int_equal(
				tcp_sack_board_loss_detected(&b, m_seq(&m, m.una), 0, smss),
				m.max > m.una && m_is_lost(&m, m.una, smss));
			got = tcp_sack_board_next_seg(&b, m_seq(&m, m.una), m_seq(&m, m.max),
						      m_seq(&m, high_rxt), smss, flags, &seg);
			want = m_next_seg(&m, lost, high_rxt, smss, flags, &ml, &mr);
			assert_int_equal(got, want);
			if (want != TCP_SACK_NEXT_NONE) {
				assert_int_equal(seg.left, m_seq(&m, ml));
				assert_int_equal(seg.right, m_seq(&m, mr));
			}
		}
		/* The walk crossed 2^32. */
		assert_true(m.base + m.max < m.base);
		assert_true(b.nb_rejected > 0 && b.nb_dsack > 0);
	}
	/* The capacity policy was exercised. */
	assert_true(nb_forgotten > 0);
}

/*
 * A forged block more than 2^31 away from SND.MAX fools plain sequence
 * comparisons (found by fuzz_tcp_sack): it must be rejected, not stored.
 */
static void test_block_far_beyond_window_rejected(void **state)
{
	struct tcp_sack_board b;
	struct tcp_sack_block blk = {.left = 2240594044u, .right = 3495113470u};

	(void)state;
	tcp_sack_board_init(&b);
	assert_int_equal(tcp_sack_board_update(&b, 1124025087u, 1346471292u, &blk, 1), 0);
	assert_int_equal(tcp_sack_board_sacked(&b), 0);
	assert_int_equal(b.nb_rejected, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_far_beyond_window_rejected),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_is_lost),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_mark_lost),
		cmocka_unit_test(test_next_seg),
		cmocka_unit_test(test_recovery_trigger),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_rcv_blocks),
		cmocka_unit_test(test_rcv_fill),
		cmocka_unit_test(test_random_vs_bitmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
