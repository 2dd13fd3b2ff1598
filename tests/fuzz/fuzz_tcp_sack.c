/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tcp_sack.c - libFuzzer harness for the SACK scoreboard, which takes
 * SACK blocks straight from the peer. The input is a script: an initial
 * SND.UNA and SND.MAX, then operations (SACK blocks to apply, cumulative ACK
 * advances, more data sent). After every step the board must hold at most
 * TCP_SACK_BOARD_MAX sorted, disjoint, non-empty ranges inside [SND.UNA,
 * SND.MAX), its byte count must equal their sum, and the RFC 6675 queries
 * must answer without reading outside it.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "tcp_sack.h"
#include "tcp_wire.h"

#define SMSS 1460

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check(const struct tcp_sack_board *b, uint32_t una, uint32_t max)
{
	const struct tcp_sack_block *r;
	unsigned int nb;
	uint64_t sum = 0;

	r = tcp_sack_board_get0_ranges(b, &nb);
	CHECK(nb <= TCP_SACK_BOARD_MAX);
	for (unsigned int i = 0; i < nb; i++) {
		CHECK(tcp_seq_lt(r[i].left, r[i].right));
		CHECK(tcp_seq_geq(r[i].left, una) && tcp_seq_leq(r[i].right, max));
		if (i > 0) {
			CHECK(tcp_seq_lt(r[i - 1].right, r[i].left)); /* disjoint, not even touching */
		}
		sum += r[i].right - r[i].left;
	}
	CHECK(sum == tcp_sack_board_sacked(b));
	(void)tcp_sack_board_is_lost(b, una, SMSS);
	(void)tcp_sack_board_pipe(b, una, max, una, SMSS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_sack_board b;
	struct tcp_sack_block blk[TCP_SACK_MAX_BLOCKS];
	uint32_t una, max;
	size_t i = 8;

	if (size < 8) {
		return 0;
	}
	una = rd32(data);
	max = una + (rd32(data + 4) & 0x3fffffff); /* at most 1 GiB in flight */
	tcp_sack_board_init(&b);
	while (i < size) {
		uint8_t op = data[i++];

		switch (op % 3) {
		case 0: { /* SACK blocks, as offsets from SND.UNA (may be out of range) */
			unsigned int nb = (op >> 2) % (TCP_SACK_MAX_BLOCKS + 1);

			if (size - i < (size_t)nb * 8) {
				return 0;
			}
			for (unsigned int k = 0; k < nb; k++, i += 8) {
				blk[k].left = una + rd32(data + i) - 0x1000;
				blk[k].right = una + rd32(data + i + 4) - 0x1000;
			}
			(void)tcp_sack_board_update(&b, una, max, blk, nb);
			break;
		}
		case 1: /* cumulative ACK moves forward */
			if (size - i < 4) {
				return 0;
			}
			una += rd32(data + i) % (max - una + 1);
			i += 4;
			tcp_sack_board_ack(&b, una);
			break;
		default: /* more data sent */
			if (size - i < 2) {
				return 0;
			}
			max += (uint32_t)(data[i] << 8 | data[i + 1]) * 16;
			i += 2;
			break;
		}
		check(&b, una, max);
	}
	return 0;
}
