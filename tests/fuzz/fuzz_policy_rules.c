/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_policy_rules.c - the data plane's check of a snapshot's RULES table
 * (policy_rules_check, dataplane/policy/policy_rules.c), on arbitrary
 * bytes taken as the table. It must answer 0 or -EINVAL with a reason,
 * never read outside the table, and when it accepts, everything the
 * per-worker code will follow (rule arrays, databases) must lie inside the
 * table, sorted and with known actions, each database's hyperscan header
 * good. Deserializing is left out: hyperscan trusts a database whose CRC
 * matches, and the snapshot's checksum and the read-only mapping are what
 * stand between the data plane and a bad one.
 *
 * The custom mutator mostly rewrites one field of the header, a rule set
 * record or a rule with a value that sits on a boundary (0, the table size,
 * off by 8, all ones), so mutations reach the range checks; seeds in
 * tests/fuzz/corpus/policy_rules are tables pol_compile wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "fuzz.h"
#include "policy_rules.h"

#define STRINGS_LEN 4096

static int inside(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The table is 8-byte aligned in a snapshot; so is malloc's memory. */
	uint8_t *t = malloc(size + 1);
	const struct sb_pol_rules_hdr *hdr = (const void *)t;
	const char *why = NULL;
	uint32_t n = 12345;
	int rc;

	CHECK(t != NULL);
	memcpy(t, data, size);
	rc = policy_rules_check(t, size, STRINGS_LEN, &n, &why);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		CHECK(why != NULL && strncmp(why, "policy snapshot: RULES table", 28) == 0);
		CHECK(n == 0);
		free(t);
		return 0;
	}
	CHECK(size >= sizeof(*hdr) && n == hdr->nb_rulesets);
	CHECK(inside(sizeof(*hdr), (uint64_t)n * sizeof(struct sb_pol_ruleset), size));
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_pol_ruleset *rs = (const struct sb_pol_ruleset *)(t + sizeof(*hdr)) + i;
		const struct sb_pol_rule *r;
		size_t hs_size;

		CHECK(rs->name < STRINGS_LEN);
		CHECK(rs->rules_off % 8 == 0);
		CHECK(inside(rs->rules_off, (uint64_t)rs->nb_rules * sizeof(*r), size));
		r = (const struct sb_pol_rule *)(t + rs->rules_off);
		for (uint32_t j = 0; j < rs->nb_rules; j++) {
			CHECK(r[j].action <= SB_POL_RULE_AUDIT);
			CHECK(j == 0 || r[j].id > r[j - 1].id);
		}
		if (rs->nb_rules == 0) {
			CHECK(rs->blob_off == 0 && rs->blob_len == 0);
			continue;
		}
		CHECK(rs->blob_off % 8 == 0 && rs->blob_len > 0);
		CHECK(inside(rs->blob_off, rs->blob_len, size));
		CHECK(hs_serialized_database_size((const char *)t + rs->blob_off, rs->blob_len,
						  &hs_size) == HS_SUCCESS);
	}
	free(t);
	return 0;
}

/*
 * A valid table to start over from: sets {two rules, none, one rule}, laid
 * out as pol_rules_layout does, with databases compiled here.
 */
static uint8_t *seed_tab;
static size_t seed_len;

static void add_db(uint8_t **t, size_t *len, struct sb_pol_ruleset *rs, const char *const *expr,
		   const unsigned *ids, unsigned n)
{
	unsigned flags[4] = {HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH | HS_FLAG_CASELESS,
			     HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH};
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	char *bytes = NULL;
	size_t blen = 0, off = (*len + 7) & ~(size_t)7;

	CHECK(hs_compile_multi(expr, flags, ids, n, HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS);
	CHECK(hs_serialize_database(db, &bytes, &blen) == HS_SUCCESS);
	*t = realloc(*t, off + blen);
	CHECK(*t != NULL);
	memset(*t + *len, 0, off - *len);
	memcpy(*t + off, bytes, blen);
	rs->blob_off = off;
	rs->blob_len = blen;
	*len = off + blen;
	free(bytes);
	hs_free_database(db);
}

static void build_seed(void)
{
	static const char *const e0[] = {"\\d{3}-\\d{2}-\\d{4}", "confidential"};
	static const unsigned i0[] = {10, 20};
	static const char *const e2[] = {"internal only"};
	static const unsigned i2[] = {1};
	struct sb_pol_rules_hdr hdr = {.nb_rulesets = 3, .nb_rules = 3};
	struct sb_pol_ruleset rs[3] = {{0}};
	struct sb_pol_rule rules[3] = {{10, SB_POL_RULE_BLOCK, 0, 0},
				       {20, SB_POL_RULE_AUDIT, SB_POL_RULE_CASELESS, 0},
				       {1, SB_POL_RULE_BLOCK, 0, 0}};
	size_t fixed = sizeof(hdr) + sizeof(rs);
	uint8_t *t = calloc(1, fixed + sizeof(rules));

	CHECK(t != NULL);
	rs[0] = (struct sb_pol_ruleset){.name = 1, .nb_rules = 2, .rules_off = fixed};
	rs[1] = (struct sb_pol_ruleset){.name = 5, .nb_rules = 0, .rules_off = fixed + 16};
	rs[2] = (struct sb_pol_ruleset){.name = 11, .nb_rules = 1, .rules_off = fixed + 16};
	memcpy(t + fixed, rules, sizeof(rules));
	seed_len = fixed + sizeof(rules);
	add_db(&t, &seed_len, &rs[0], e0, i0, 2);
	add_db(&t, &seed_len, &rs[2], e2, i2, 1);
	memcpy(t, &hdr, sizeof(hdr));
	memcpy(t + sizeof(hdr), rs, sizeof(rs));
	seed_tab = t;
}

static uint64_t mrng;

static uint64_t next(void)
{
	mrng ^= mrng << 13;
	mrng ^= mrng >> 7;
	mrng ^= mrng << 17;
	return mrng;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct sb_pol_rules_hdr hdr;
	uint64_t fixed, field, val;
	unsigned width;

	mrng = seed * 0x9e3779b97f4a7c15ULL + 1;
	if (seed_tab == NULL) {
		build_seed();
	}
	if ((size < sizeof(hdr) || next() % 8 == 0) && seed_len <= max_size) {
		memcpy(data, seed_tab, seed_len);	/* start over from a valid table */
		size = seed_len;
		if (next() % 2 == 0) {
			return size;
		}
	}
	if (size < sizeof(hdr) || next() % 4 == 0) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(&hdr, data, sizeof(hdr));
	fixed = sizeof(hdr) + (uint64_t)(hdr.nb_rulesets < 64 ? hdr.nb_rulesets : 64) *
		sizeof(struct sb_pol_ruleset);
	if (fixed > size) {
		fixed = size;
	}
	/* A field: header words, rule set records (u32 name/nb_rules, u64 offsets), or a rule. */
	field = next() % (fixed + 64);
	if (field >= fixed) {
		field = fixed + (next() % 8) * 8;	/* somewhere in the first rules */
	}
	field &= ~(uint64_t)3;
	width = field >= sizeof(hdr) && field < fixed && (field - sizeof(hdr)) % 32 >= 8 ? 8 : 4;
	if (width == 8) {
		field &= ~(uint64_t)7;
	}
	if (field + width > size) {
		return LLVMFuzzerMutate(data, size, max_size);
	}
	val = 0;
	memcpy(&val, data + field, width);
	switch (next() % 8) {
	case 0: val = 0; break;
	case 1: val = size; break;
	case 2: val += 8; break;
	case 3: val -= 8; break;
	case 4: val += 1; break;
	case 5: val = width == 8 ? UINT64_MAX : UINT32_MAX; break;
	case 6: val = size - (next() % 64); break;
	default: val ^= (uint64_t)1 << (next() % (width * 8)); break;
	}
	memcpy(data + field, &val, width);
	return size;
}
