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

/*
 * A compiled policy kept between changes (struct pol_db): the image plus
 * what patching it needs (stable agent indices, members of every app and
 * tenant, each agent's rows, which agents' verdicts depend on their peer).
 * One change to an agent, a project, a team, a trust's state or a tenant's
 * kill switch rewrites only the entries it affects; the tables keep head
 * room (AGENTS about 3 %, ROWS and PAIRS about 6 %, STRINGS about 12 %) so
 * that creations fit without a new layout.
 *
 * Agent indices in the image are not the model's: a deleted agent's index
 * is free until a later creation takes it (meta.nb_agents is the highest
 * index in use + 1). The snapshot is the same format either way, and a
 * patched image decides exactly as a full compile of the same model
 * (tests/unit/control/test_pol_delta.c).
 */
struct pol_db;

/*
 * pol_db_new compiles |m| in full and keeps the state. Returns 0 with
 * |*out| set, or what pol_compile returns. The model must stay alive and
 * may only change through pol_model_edit (followed by pol_db_patch) until
 * pol_db_free.
 */
int pol_db_new(const struct pol_model *m, uint64_t version, struct pol_db **out, char *err,
	       size_t errlen) __attribute__((warn_unused_result));

/*
 * pol_db_patch applies the edits |e| (pol_model_edit's records, in the
 * order they were made to |m|) to the image and stamps it with |version|.
 * Returns 0; -EAGAIN when only a full compile can apply them (a table's
 * head room is used up, a structural change, another model); -ENOMEM. On
 * any failure the state is unusable: pol_db_free it and pol_db_new again.
 */
int pol_db_patch(struct pol_db *db, const struct pol_model *m, const struct pol_edit *e,
		 size_t n, uint64_t version) __attribute__((warn_unused_result));

/* pol_db_image returns the current image (owned by |db|, valid until the next call on it). */
const struct pol_image *pol_db_image(const struct pol_db *db);

/* Counters of a pol_db. */
struct pol_db_stats {
	uint64_t patched_agents;	/* agents whose rows were recomputed by patches */
	uint64_t patched_pairs;		/* peer pairs rewritten by patches */
	uint32_t live_agents;
	uint32_t free_indices;		/* agent indices freed by deletes, not yet reused */
};

void pol_db_stats(const struct pol_db *db, struct pol_db_stats *st);

/* pol_db_free frees |db| and its image. NULL is accepted. */
void pol_db_free(struct pol_db *db);

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
