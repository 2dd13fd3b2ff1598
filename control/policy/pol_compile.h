/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_compile.h - compiles a policy model into the tables of a snapshot
 * (proto/shm/policy_abi.h) that the data plane reads in place: the agent
 * hash table keyed by SLIM name, per-agent effective verdict rows per
 * organisation (all four levels combined), peer pairs where an agents: list
 * or a namespace decides, tenants (kill switch), trust relationships and the
 * organisation map, with a checksum over all of it.
 *
 * The verdicts are computed with the reference evaluator (pol_eval.h) at
 * compile time; what the compiler adds is which organisations need a row at
 * all (those an agent's policy names other than through "*"), the defaults,
 * and the layout. tests/unit/control/test_pol_compile.c compares decisions
 * on the compiled tables with the evaluator over random policies.
 *
 * Thread context: any; the model is read-only.
 */
#ifndef SB_POL_COMPILE_H
#define SB_POL_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "pol_model.h"
#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

#define POL_NB_TABLES 11

struct pol_image {
	struct sb_shm_table tables[POL_NB_TABLES];	/* offsets relative to |data| */
	uint32_t nb_tables;
	uint8_t *data;
	size_t len;
	uint64_t checksum;
	uint32_t nb_rows;
	uint32_t nb_pairs;
};

/*
 * pol_compile compiles |m| (at store version |version|) into |img|, which
 * the caller releases with pol_image_cleanup. Returns 0, -ENOMEM, or
 * -EOVERFLOW with a message in |err| when a table would exceed its index
 * range.
 */
int pol_compile(const struct pol_model *m, uint64_t version, struct pol_image *img, char *err,
		size_t errlen) __attribute__((warn_unused_result));

/* pol_image_cleanup frees what pol_compile allocated in |img|. */
void pol_image_cleanup(struct pol_image *img);

/*
 * pol_name_hash returns the SLIM name component hash of |s|: XXH64 with
 * seed 0 over its bytes followed by one 0xFF byte (what SLIM's Rust code
 * computes; shared/reference/slim.md 1.2).
 */
uint64_t pol_name_hash(const char *s);

/*
 * pol_image_table returns a pointer to table |kind| inside |img| and its
 * byte size in |*size|, or NULL.
 */
const void *pol_image_table(const struct pol_image *img, uint32_t kind, uint64_t *size);

#endif
