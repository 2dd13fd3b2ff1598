/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_seal.c - the receiving side of the sealed bridge hop
 * (dataplane/bridge/seal.c) on arbitrary bytes: seal_peek and seal_rx_open
 * of an AES receiver with one fixed epoch installed (group FUZZ_GID, epoch
 * 7, the secret below; tests/fuzz/corpus/seal holds records sealed under
 * it). The input is one record.
 *
 * Checked: seal_peek answers 0 or -EBADMSG, and what it reports lies in
 * the input; seal_rx_open answers 0, -EBADMSG, -EKEYEXPIRED, -ENOKEY or
 * -EALREADY, refuses whatever seal_peek refuses, returns nothing on
 * failure, and on success returns exactly the header's count of messages,
 * each inside the scratch buffer, with the header's routes; opening the
 * same record again is a replay (-EALREADY). Nothing reads outside the
 * input (ASan in the libFuzzer build). The epoch is installed afresh for
 * each input, so a valid record opens every time it comes.
 *
 * The custom mutator mostly starts again from a valid record (sealed at
 * start-up with the fixed secret) and rewrites one header field or byte
 * with a boundary value, so mutations get past the magic and the lengths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_aead.h"
#include "fuzz.h"
#include "seal.h"

#define FUZZ_GID "fuzz-trust"
#define FUZZ_GID_LEN 10
#define SEED_CAP 8192

static const uint8_t secret[32] = {0x5e, 0xa1, 0x5e, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
				   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
				   27, 28};

static struct crypto_aead_engine *engine;
static struct seal_rx *rx;
static uint8_t *scratch;
static uint8_t seed[SEED_CAP];
static size_t seed_len;

static struct seal_keys keys(uint32_t own)
{
	struct seal_keys k = {
		.mode = SB_POL_SEAL_AES,
		.group_id = (const uint8_t *)FUZZ_GID,
		.group_id_len = FUZZ_GID_LEN,
		.epoch = 7,
		.own_leaf = own,
		.secret = secret,
	};

	return k;
}

/* init: the engine, the receiver (leaf 1) and a valid record of three messages from leaf 0. */
static void init(void)
{
	struct seal_keys k = keys(0);
	struct seal_tx *t;

	engine = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	CHECK(engine != NULL);
	rx = seal_rx_new(engine, NULL);
	CHECK(rx != NULL);
	scratch = malloc(SEAL_MAX_INNER + SEED_CAP);
	CHECK(scratch != NULL);
	t = seal_tx_new(&k, engine, NULL);
	CHECK(t != NULL);
	for (uint32_t i = 0; i < 3; i++) {
		struct seal_route r = {.src = {1, 2, 3}, .dst = {4, 5, 6 + i}, .fanout = 1,
				       .len = 20 + i};
		uint8_t msg[32];

		memset(msg, 'a' + (int)i, sizeof(msg));
		CHECK(seal_tx_add(t, &r, msg) == 0);
	}
	CHECK(seal_tx_flush(t, seed, sizeof(seed), &seed_len) == 0);
	seal_tx_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seal_msg out[SEAL_MAX_BATCH];
	struct seal_keys k = keys(1);
	struct seal_info info;
	uint32_t n = 99;
	int prc, rc;

	if (engine == NULL) {
		init();
	}
	if (size > SEAL_MAX_INNER + SEED_CAP) {
		return 0;
	}
	/* A fresh epoch per input: no window carried from the previous one. */
	seal_rx_drop_epoch(rx, 7);
	CHECK(seal_rx_add_epoch(rx, &k) == 0);

	prc = seal_peek(data, size, &info);
	CHECK(prc == 0 || prc == -EBADMSG);
	if (prc == 0) {
		CHECK(info.mode == SB_POL_SEAL_AES || info.mode == SB_POL_SEAL_MLS);
		CHECK(info.count >= 1 && info.count <= SEAL_MAX_BATCH);
		CHECK(info.group_id > data && info.group_id + info.group_id_len <= data + size);
		CHECK(info.group_id_len >= 1);
	}
	rc = seal_rx_open(rx, data, size, scratch, SEAL_MAX_INNER + SEED_CAP, out, &n);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EKEYEXPIRED || rc == -ENOKEY ||
	      rc == -EALREADY);
	if (rc < 0) {
		CHECK(n == 0);
		CHECK(prc == 0 || rc == -EBADMSG);
		return 0;
	}
	CHECK(prc == 0 && n == info.count);
	{
		size_t sum = 0;

		for (uint32_t i = 0; i < n; i++) {
			CHECK(out[i].len == out[i].route.len);
			CHECK(out[i].msg >= scratch && out[i].msg + out[i].len <= scratch + size);
			sum += out[i].len;
		}
		CHECK(sum < size);
	}
	n = 99;
	CHECK(seal_rx_open(rx, data, size, scratch, SEAL_MAX_INNER + SEED_CAP, out, &n) ==
	      -EALREADY);
	CHECK(n == 0);
	return 0;
}

/* Offsets of the header's fields in a record of FUZZ_GID. */
enum {
	OFF_VERSION = 4,
	OFF_MODE = 5,
	OFF_COUNT = 6,
	OFF_GID_LEN = 8,
	OFF_EPOCH = 9 + FUZZ_GID_LEN,
	OFF_LEAF = OFF_EPOCH + 8,
	OFF_INSTANCE = OFF_LEAF + 4,
	OFF_SEQ = OFF_INSTANCE + 16,
	OFF_ROUTES = OFF_SEQ + 8,
};

static void put_be(uint8_t *p, unsigned bytes, uint64_t v)
{
	for (unsigned i = 0; i < bytes; i++) {
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	}
}

static uint64_t boundary(unsigned r, uint64_t size)
{
	static const uint64_t v[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65, 88, 255, 256,
				     1023, 1024, 0xffff, 0x100000, 0x100001, 0xffffffffull,
				     UINT64_MAX};

	switch (r % 4) {
	case 0:
		return size;
	case 1:
		return size - 4;
	default:
		return v[(r / 4) % (sizeof(v) / sizeof(v[0]))];
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed_)
{
	unsigned r = seed_ * 2654435761u;

	if (engine == NULL) {
		init();
	}
	if (size == 0 || r % 3 == 0) {
		if (seed_len > max_size) {
			return LLVMFuzzerMutate(data, size, max_size);
		}
		memcpy(data, seed, seed_len);
		size = seed_len;
	}
	if (size < OFF_ROUTES + 3 * SEAL_ROUTE_SIZE + 4) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	switch ((r >> 4) % 8) {
	case 0:
		return LLVMFuzzerMutate(data, size, max_size);
	case 1:
		data[OFF_VERSION + (r >> 8) % 5] = (uint8_t)boundary(r >> 12, size);
		break;
	case 2:
		put_be(data + OFF_COUNT, 2, boundary(r >> 8, 3));
		break;
	case 3:
		put_be(data + OFF_EPOCH, 8, boundary(r >> 8, 7));
		break;
	case 4:
		put_be(data + OFF_SEQ, 8, boundary(r >> 8, 0));
		break;
	case 5: {
		/* One route's length; or the sealed length. */
		unsigned i = (r >> 8) % 4;
		size_t at = i < 3 ? OFF_ROUTES + i * SEAL_ROUTE_SIZE + 84
				  : OFF_ROUTES + 3 * SEAL_ROUTE_SIZE;

		put_be(data + at, 4, boundary(r >> 12, size));
		break;
	}
	case 6:
		/* Cut or extend. */
		size = (size_t)((r >> 8) % (size + 8));
		if (size > max_size) {
			size = max_size;
		}
		break;
	default:
		data[(r >> 8) % size] ^= (uint8_t)(1u << ((r >> 20) % 8));
		break;
	}
	return size;
}
