/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_rules.h - content rule sets compiled with hyperscan: every
 * ContentRuleSet of a policy becomes one block-mode database (HS_MODE_BLOCK;
 * HS_FLAG_SINGLEMATCH, plus HS_FLAG_CASELESS where a rule asks; the rule's
 * id is the hyperscan id), serialized (hs_serialize_database) and laid out
 * in the snapshot's RULES table (proto/shm/policy_abi.h), which the data
 * plane deserializes per worker (dataplane/policy/policy_rules.h).
 *
 * Compiling is part of validation: pol_model_new calls pol_rules_build, so
 * a pattern hyperscan refuses is a validation error like any other
 * ("ruleset 'pii': rules[2].pattern: Missing close parenthesis for group
 * started at index 3.") and the change is refused before anything is
 * stored. The compiled sets live in the model (pol_model.rules) and
 * pol_compile copies them into the snapshot.
 *
 * Serialized databases are cached across builds, keyed by XXH64 of the rule
 * set's packed protobuf bytes (compared in full on a hit): a change to one
 * agent does not recompile every rule set. The cache is bounded (entries
 * and bytes, least recently used out).
 *
 * Thread context: any; the cache is behind a mutex. A struct pol_rules is
 * read-only once built.
 */
#ifndef SB_POL_RULES_H
#define SB_POL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "pol_model.h"
#include "shm/policy_abi.h"

/* One compiled rule set. */
struct pol_ruleset_db {
	uint8_t *blob;			/* serialized database (malloc); NULL without rules */
	size_t len;
	uint32_t nb_rules;
	struct sb_pol_rule *rules;	/* sorted by id (malloc) */
};

/* Every rule set of a policy, by index in its contentRuleSets. */
struct pol_rules {
	uint32_t nb_sets;
	struct pol_ruleset_db set[];
};

/*
 * pol_rules_build compiles every rule set of |p| into |*out| (released with
 * pol_rules_free). Returns 0; -EINVAL with one line in |err| when hyperscan
 * refuses a pattern ("ruleset 'R': rules[J].pattern: <hyperscan's
 * message>") or the set as a whole ("ruleset 'R': <message>"); -ENOMEM.
 * The rules must already be validated by pol_model (pattern present,
 * action block/audit, ids unique).
 */
int pol_rules_build(const pb_policy *p, struct pol_rules **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* pol_rules_free releases |r|. Accepts NULL. */
void pol_rules_free(struct pol_rules *r);

/* pol_rules_table_size returns the bytes of the RULES table for |r| (NULL: no sets). */
size_t pol_rules_table_size(const struct pol_rules *r);

/*
 * pol_rules_layout writes the RULES table for |r| into |dst|, which holds
 * pol_rules_table_size(r) zeroed bytes; |names| gives each set's STRINGS
 * offset. Returns the number of rule sets.
 */
uint32_t pol_rules_layout(const struct pol_rules *r, const uint32_t *names, uint8_t *dst);

/* Cache statistics (tests) and a way to empty it (tests, leak checkers). */
struct pol_rules_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint32_t entries;
	size_t bytes;
};

void pol_rules_cache_stats(struct pol_rules_cache_stats *st);
void pol_rules_cache_clear(void);

#endif
