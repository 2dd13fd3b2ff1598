/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_vectors.h - the shared part of the MLS interop vector runner
 * (build/tests/mls-vectors): one struct mlsv_kind per kind of vector file,
 * defined in the file that runs it (mlsv_basic.c, mlsv_crypto.c, ...), and
 * the helpers every kind uses to read a case.
 *
 * A kind's run() checks one case (one element of the file's array) and
 * records its first failure with mlsv_fail(); a kind whose run is NULL is
 * known but not implemented yet (the runner exits 2 on such a file).
 */
#ifndef SB_MLS_VECTORS_H
#define SB_MLS_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The first failure of a case. */
struct mlsv_res {
	bool failed;
	bool skipped;		/* the case needs something this build does not have */
	char why[240];
};

struct mlsv_kind {
	const char *name;				/* "crypto-basics": the file's base name without .json */
	void (*run)(const json_t *c, struct mlsv_res *r);	/* NULL: not implemented yet */
	bool (*detect)(const json_t *first);		/* recognises a file by its first case (optional) */
};

extern const struct mlsv_kind mlsv_deserialization, mlsv_tree_math, mlsv_crypto_basics,
	mlsv_secret_tree, mlsv_key_schedule, mlsv_psk_secret, mlsv_transcript_hashes,
	mlsv_messages, mlsv_message_protection, mlsv_tree_validation, mlsv_tree_operations,
	mlsv_treekem, mlsv_welcome, mlsv_passive_client_welcome,
	mlsv_passive_client_handling_commit, mlsv_passive_client_random;

/* mlsv_verbose is set by --verbose. */
extern bool mlsv_verbose;

/* mlsv_fail records the first failure of a case (later calls are ignored). */
void mlsv_fail(struct mlsv_res *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * mlsv_hex_decode decodes the hex string |s| into a malloc'd buffer (at
 * least 1 byte allocated, so *out is never NULL on success). 0 or -EINVAL.
 */
int mlsv_hex_decode(const char *s, uint8_t **out, size_t *out_len);

/* mlsv_get_uint reads the non-negative integer member |key| of |o|. */
bool mlsv_get_uint(const json_t *o, const char *key, uint64_t *out);

/*
 * mlsv_get_hex decodes the hex string member |key| of |o| into a malloc'd
 * buffer (free it). On a missing or malformed member it records a failure
 * naming |key| and returns false (*out NULL).
 */
bool mlsv_get_hex(const json_t *o, const char *key, uint8_t **out, size_t *out_len,
		  struct mlsv_res *r);

/* mlsv_eq compares |got| with |want|; on a difference it records "what: got ..., want ...". */
bool mlsv_eq(struct mlsv_res *r, const char *what, const uint8_t *got, size_t got_len,
	     const uint8_t *want, size_t want_len);

struct mls_suite;

/*
 * mlsv_suite_of reads the case's cipher_suite; records a failure and
 * returns NULL when it is missing or not a suite this build supports (1-7).
 */
const struct mls_suite *mlsv_suite_of(const json_t *c, struct mlsv_res *r);

#endif
