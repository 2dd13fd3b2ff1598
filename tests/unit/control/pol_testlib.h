/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_testlib.h - helpers for the policy tests: a compiled image laid out
 * as a published snapshot (what shm_writer_publish writes), and queries by
 * SLIM name strings.
 */
#ifndef SB_POL_TESTLIB_H
#define SB_POL_TESTLIB_H

#include "pol_compile.h"
#include "pol_eval.h"
#include "policy.h"

/* pol_test_snapshot returns a malloc'd snapshot holding |img| (free()). */
struct sb_shm_snapshot *pol_test_snapshot(const struct pol_image *img);

/* A policy model, compiled, with a view on its snapshot. */
struct pol_test_world {
	struct pol_model *m;
	struct pol_image img;
	struct sb_shm_snapshot *snap;
	struct policy_view v;
};

/*
 * pol_test_world_open builds the model (which takes |p|), compiles it and
 * opens a view on the snapshot. Returns 0, or -1 with what failed in |err|.
 */
int pol_test_world_open(struct pol_test_world *w, pb_policy *p, char *err, size_t errlen);

/* pol_test_world_close releases what pol_test_world_open made. */
void pol_test_world_close(struct pol_test_world *w);

/* pol_test_query fills |q| for agents |src| and |dst| (ids) of model |m|. */
void pol_test_query(const struct pol_model *m, const char *src, const char *dst, unsigned dir,
		    unsigned op, struct policy_query *q);

/*
 * pol_test_reference answers a query the way policy_decide_burst must, from
 * the reference evaluator: MESSAGE composes the outbound check of a local
 * source and the inbound check of a local target.
 */
void pol_test_reference(const struct pol_model *m, const char *src, const char *dst,
			unsigned dir, unsigned op, struct policy_verdict *out);

/*
 * The random tests' generator: xorshift64*, reproducible from the seed the
 * tests print (set pol_test_rng). With POL_TEST_SHORT_NAMES defined before
 * this header, they are also rng, rnd, chance and sdup.
 */
extern uint64_t pol_test_rng;

uint32_t pol_test_rnd(uint32_t n);
bool pol_test_chance(unsigned pct);
__attribute__((format(printf, 1, 2))) char *pol_test_sdup(const char *fmt, ...);

#ifdef POL_TEST_SHORT_NAMES
#define rng pol_test_rng
#define rnd pol_test_rnd
#define chance pol_test_chance
#define sdup pol_test_sdup
#endif

#endif
