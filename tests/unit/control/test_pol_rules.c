/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pol_rules.c - content rule sets on the control side: hyperscan
 * compilation as part of validation (pol_model_new), the one-line error
 * for a pattern hyperscan refuses, the RULES table pol_compile lays out and
 * the rule set indices of trusts and agents, the database cache, and
 * ctl_state refusing such a change with -EINVAL and changing nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hs/hs.h>

#include "ctl/ctl_state.h"
#include "pbconv.h"
#include "pol_compile.h"
#include "pol_rules.h"

#define POLICY \
	"tenants:\n" \
	"  - {id: acme, settings: {slim: {capabilityEnabled: true}}}\n" \
	"  - {id: globex, local: false, settings: {slim: {capabilityEnabled: true}}}\n" \
	"apps:\n" \
	"  - {id: sales-app, tenant: acme}\n" \
	"  - {id: hr-app, tenant: acme}\n" \
	"  - {id: gx-app, tenant: globex}\n" \
	"projects:\n" \
	"  - {id: p1, app: sales-app, contentRuleSet: pii}\n" \
	"  - {id: p2, app: hr-app}\n" \
	"agents:\n" \
	"  - {id: a1, app: sales-app, project: p1}\n" \
	"  - {id: a2, app: hr-app, project: p2}\n" \
	"  - {id: a3, app: hr-app}\n" \
	"  - {id: g1, app: gx-app}\n" \
	"trustRelationships:\n" \
	"  - {id: tr1, tenant: acme, organization: 'external:globex', state: established, " \
	"contentRuleSet: partner}\n" \
	"  - {id: tr2, tenant: acme, organization: 'external:initech', state: established}\n" \
	"contentRuleSets:\n" \
	"  - id: pii\n" \
	"    rules:\n" \
	"      - {id: 10, pattern: '\\b\\d{3}-\\d{2}-\\d{4}\\b', action: block}\n" \
	"      - {id: 20, pattern: 'confidential', action: audit, caseless: true}\n" \
	"      - {id: 5, pattern: 'secret-[a-z]+', caseless: true}\n" \
	"  - {id: empty, rules: []}\n" \
	"  - id: partner\n" \
	"    rules:\n" \
	"      - {id: 1, pattern: 'internal only', action: block}\n"

static pb_policy *parse(const char *yaml)
{
	ProtobufCMessage *msg = NULL;
	char err[PBCONV_ERR_MAX];

	if (pbconv_yaml_parse(yaml, strlen(yaml), &slimbridge__control__v1__policy__descriptor, &msg,
			      err, sizeof(err)) != 0) {
		fail_msg("YAML does not parse: %s", err);
	}
	return (pb_policy *)msg;
}

static struct pol_model *model(const char *yaml)
{
	char err[512];
	struct pol_model *m = pol_model_new(parse(yaml), err, sizeof(err));

	if (m == NULL) {
		fail_msg("the policy does not validate: %s", err);
	}
	return m;
}

/* Validation error of |yaml|, which must not validate. */
static void expect_invalid(const char *yaml, const char *want)
{
	char err[512];
	pb_policy *p = parse(yaml);
	struct pol_model *m = pol_model_new(p, err, sizeof(err));

	if (m != NULL) {
		pol_model_free(m);
		fail_msg("validated, want: %s", want);
	}
	protobuf_c_message_free_unpacked(&p->base, NULL);
	if (strcmp(err, want) != 0) {
		fail_msg("\n  got:  %s\n  want: %s", err, want);
	}
}

static const struct sb_pol_agent *agent_rec(const struct pol_image *img, const char *id)
{
	uint64_t asz, ssz;
	const struct sb_pol_agent *a = pol_image_table(img, SB_POL_TABLE_AGENTS, &asz);
	const char *str = pol_image_table(img, SB_POL_TABLE_STRINGS, &ssz);

	for (uint64_t i = 0; i < asz / sizeof(*a); i++) {
		if ((a[i].comp[0] | a[i].comp[1] | a[i].comp[2]) != 0 && a[i].name < ssz &&
		    strcmp(str + a[i].name, id) == 0) {
			return &a[i];
		}
	}
	fail_msg("no agent record '%s'", id);
	return NULL;
}

/* ---------------------------------------------------------------- tests */

static void test_model_compiles_rulesets(void **state)
{
	struct pol_model *m = model(POLICY);

	(void)state;
	assert_non_null(m->rules);
	assert_int_equal(m->rules->nb_sets, 3);
	/* pii: sorted by id, actions and flags as written, a database. */
	assert_int_equal(m->rules->set[0].nb_rules, 3);
	assert_int_equal(m->rules->set[0].rules[0].id, 5);
	assert_int_equal(m->rules->set[0].rules[0].action, SB_POL_RULE_BLOCK);	/* the default */
	assert_int_equal(m->rules->set[0].rules[0].flags, SB_POL_RULE_CASELESS);
	assert_int_equal(m->rules->set[0].rules[1].id, 10);
	assert_int_equal(m->rules->set[0].rules[1].action, SB_POL_RULE_BLOCK);
	assert_int_equal(m->rules->set[0].rules[1].flags, 0);
	assert_int_equal(m->rules->set[0].rules[2].id, 20);
	assert_int_equal(m->rules->set[0].rules[2].action, SB_POL_RULE_AUDIT);
	assert_non_null(m->rules->set[0].blob);
	assert_true(m->rules->set[0].len > 0);
	/* empty: no rules, no database. */
	assert_int_equal(m->rules->set[1].nb_rules, 0);
	assert_null(m->rules->set[1].blob);
	assert_int_equal(m->rules->set[2].nb_rules, 1);
	pol_model_free(m);
}

static void test_rules_table(void **state)
{
	struct pol_model *m = model(POLICY);
	struct pol_image img;
	char err[256] = "";
	uint64_t size, ssz, tsz;
	const uint8_t *t;
	const struct sb_pol_rules_hdr *hdr;
	const struct sb_pol_ruleset *rs;
	const struct sb_pol_trust *tr;
	const char *str;
	static const char *const names[] = {"pii", "empty", "partner"};

	(void)state;
	assert_int_equal(pol_compile(m, 3, &img, err, sizeof(err)), 0);
	assert_int_equal(img.nb_tables, POL_NB_TABLES);
	t = pol_image_table(&img, SB_POL_TABLE_RULES, &size);
	assert_non_null(t);
	assert_int_equal(img.tables[POL_NB_TABLES - 1].kind, SB_POL_TABLE_RULES);
	assert_int_equal(img.tables[POL_NB_TABLES - 1].count, 3);
	assert_int_equal(img.tables[POL_NB_TABLES - 1].offset % 64, 0);
	assert_int_equal(size, pol_rules_table_size(m->rules));
	str = pol_image_table(&img, SB_POL_TABLE_STRINGS, &ssz);
	hdr = (const void *)t;
	assert_int_equal(hdr->nb_rulesets, 3);
	assert_int_equal(hdr->nb_rules, 4);
	rs = (const void *)(t + sizeof(*hdr));
	for (unsigned i = 0; i < 3; i++) {
		size_t hs_size;

		assert_true(rs[i].name < ssz);
		assert_string_equal(str + rs[i].name, names[i]);
		assert_int_equal(rs[i].nb_rules, m->rules->set[i].nb_rules);
		assert_int_equal(rs[i].rules_off % 8, 0);
		assert_true(rs[i].rules_off + rs[i].nb_rules * 8 <= size);
		assert_memory_equal(t + rs[i].rules_off, m->rules->set[i].rules,
				    rs[i].nb_rules * sizeof(struct sb_pol_rule));
		if (rs[i].nb_rules == 0) {
			assert_int_equal(rs[i].blob_off, 0);
			assert_int_equal(rs[i].blob_len, 0);
			continue;
		}
		assert_int_equal(rs[i].blob_off % 8, 0);
		assert_true(rs[i].blob_off + rs[i].blob_len <= size);
		assert_int_equal(rs[i].blob_len, m->rules->set[i].len);
		assert_int_equal(hs_serialized_database_size((const char *)t + rs[i].blob_off,
							     rs[i].blob_len, &hs_size), HS_SUCCESS);
	}
	/* Trusts and agents name their rule set by index. */
	tr = pol_image_table(&img, SB_POL_TABLE_TRUSTS, &tsz);
	assert_int_equal(tsz, 2 * sizeof(*tr));
	assert_int_equal(tr[0].ruleset, 2);				/* tr1: partner */
	assert_int_equal(tr[1].ruleset, SB_POL_RULESET_NONE);	/* tr2: none */
	assert_int_equal(agent_rec(&img, "a1")->ruleset, 0);		/* p1: pii */
	assert_int_equal(agent_rec(&img, "a2")->ruleset, SB_POL_RULESET_NONE);	/* p2: none */
	assert_int_equal(agent_rec(&img, "a3")->ruleset, SB_POL_RULESET_NONE);	/* no project */
	assert_int_equal(agent_rec(&img, "g1")->ruleset, SB_POL_RULESET_NONE);
	pol_image_cleanup(&img);
	pol_model_free(m);
}

/* No rule sets: the RULES table is there, with a header and nothing else. */
static void test_no_rulesets(void **state)
{
	struct pol_model *m = model("tenants:\n  - {id: acme}\n");
	struct pol_image img;
	char err[256] = "";
	uint64_t size;
	const struct sb_pol_rules_hdr *hdr;

	(void)state;
	assert_int_equal(pol_compile(m, 1, &img, err, sizeof(err)), 0);
	hdr = pol_image_table(&img, SB_POL_TABLE_RULES, &size);
	assert_non_null(hdr);
	assert_int_equal(size, sizeof(*hdr));
	assert_int_equal(hdr->nb_rulesets, 0);
	assert_int_equal(hdr->nb_rules, 0);
	pol_image_cleanup(&img);
	pol_model_free(m);
}

#define RULESET(rules) \
	"contentRuleSets:\n" \
	"  - id: pii\n" \
	"    rules:\n" rules

static void test_bad_pattern_is_a_validation_error(void **state)
{
	(void)state;
	expect_invalid(RULESET("      - {id: 1, pattern: 'a'}\n"
			       "      - {id: 2, pattern: 'b'}\n"
			       "      - {id: 3, pattern: 'abc(def'}\n"),
		       "ruleset 'pii': rules[2].pattern: Missing close parenthesis for group "
		       "started at index 3.");
	expect_invalid(RULESET("      - {id: 7, pattern: 'x*'}\n"),
		       "ruleset 'pii': rules[0].pattern: Pattern matches empty buffer; use "
		       "HS_FLAG_ALLOWEMPTY to enable support.");
	expect_invalid(RULESET("      - {id: 7, pattern: '[z-a]'}\n"),
		       "ruleset 'pii': rules[0].pattern: Range out of order in character class at index 3.");
	/* pol_model's own checks come first. */
	expect_invalid(RULESET("      - {id: 1, pattern: 'abc(', action: drop}\n"),
		       "ruleset 'pii': rules[0].action: 'drop' is not one of the accepted values");
	expect_invalid(RULESET("      - {id: 1, pattern: 'abc('}\n      - {id: 1, pattern: 'x'}\n"),
		       "ruleset 'pii': duplicate rule id 1");
}

static void test_cache(void **state)
{
	struct pol_rules_cache_stats a, b, c;
	struct pol_model *m1, *m2;

	(void)state;
	pol_rules_cache_clear();
	pol_rules_cache_stats(&a);
	assert_int_equal(a.entries, 0);
	m1 = model(POLICY);
	pol_rules_cache_stats(&b);
	assert_int_equal(b.misses - a.misses, 2);	/* two sets with rules */
	assert_int_equal(b.hits - a.hits, 0);
	assert_int_equal(b.entries, 2);
	m2 = model(POLICY);
	pol_rules_cache_stats(&c);
	assert_int_equal(c.hits - b.hits, 2);
	assert_int_equal(c.misses, b.misses);
	/* The cached database is the same bytes. */
	assert_int_equal(m1->rules->set[0].len, m2->rules->set[0].len);
	assert_memory_equal(m1->rules->set[0].blob, m2->rules->set[0].blob, m1->rules->set[0].len);
	pol_model_free(m1);
	pol_model_free(m2);
	pol_rules_cache_clear();
	pol_rules_cache_stats(&c);
	assert_int_equal(c.entries, 0);
	assert_int_equal(c.bytes, 0);
}

/* ctl_state refuses the change with -EINVAL (INVALID_ARGUMENT) and the message; nothing changes. */
static void test_ctl_state_refuses_bad_pattern(void **state)
{
	struct ctl_conf conf = {.db_path = ":memory:", .shm_name = NULL, .slot_size = 1 << 20};
	struct ctl_counts counts;
	struct ctl_state *s;
	struct ctl_pub pub;
	pb_policy *good = parse(POLICY);
	pb_policy *bad = parse("contentRuleSets:\n"
			       "  - id: pii\n"
			       "    rules:\n"
			       "      - {id: 10, pattern: 'x'}\n"
			       "      - {id: 11, pattern: 'y'}\n"
			       "      - {id: 12, pattern: 'abc(def'}\n");
	const char *want = "ruleset 'pii': rules[2].pattern: Missing close parenthesis for group "
			   "started at index 3.";
	char err[512] = "";
	uint64_t version;
	const struct pol_model *m;

	(void)state;
	s = ctl_state_open(&conf, err, sizeof(err));
	if (s == NULL) {
		fail_msg("ctl_state_open: %s", err);
	}
	assert_int_equal(ctl_state_apply(s, good, false, false, &counts, err, sizeof(err)), 0);
	version = ctl_state_version(s);
	ctl_state_pub(s, &pub);
	assert_int_equal(pub.version, version);
	/* Dry run and the real thing: both refused the same way. */
	assert_int_equal(ctl_state_apply(s, bad, false, true, &counts, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	err[0] = '\0';
	assert_int_equal(ctl_state_apply(s, bad, false, false, &counts, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	assert_int_equal(ctl_state_version(s), version);
	m = ctl_state_model(s);
	{
		int32_t i = pol_model_find(m, POL_KIND_RULESET, "pii");

		assert_true(i >= 0);
		assert_int_equal(m->p->contentrulesets[i]->n_rules, 3);
		assert_string_equal(m->p->contentrulesets[i]->rules[0]->pattern,
				    "\\b\\d{3}-\\d{2}-\\d{4}\\b");
		assert_int_equal(m->rules->nb_sets, 3);
		assert_int_equal(m->rules->set[i].nb_rules, 3);
	}
	ctl_state_pub(s, &pub);
	assert_int_equal(pub.version, version);
	ctl_state_close(s, false);
	protobuf_c_message_free_unpacked(&good->base, NULL);
	protobuf_c_message_free_unpacked(&bad->base, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_compiles_rulesets),
		cmocka_unit_test(test_rules_table),
		cmocka_unit_test(test_no_rulesets),
		cmocka_unit_test(test_bad_pattern_is_a_validation_error),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_ctl_state_refuses_bad_pattern),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pol_rules_cache_clear();
	return rc;
}
