/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_rules.c - content rule sets on the data plane, on the path a
 * publish takes without shared memory: pol_compile image -> snapshot ->
 * policy_view_init -> policy_rules_worker_new per worker -> scans. Which
 * rule and action match which payloads, nothing on clean ones, block over
 * audit, the verdict's rule set indices, and RULES tables that are
 * refused (bad offsets, a truncated database, unsorted rules, an index out
 * of range) even with a checksum that matches.
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
#include <xxhash.h>

#include "pbconv.h"
#include "pol_testlib.h"
#include "policy_rules.h"

#define POLICY \
	"tenants:\n" \
	"  - {id: acme, settings: {slim: {capabilityEnabled: true}}}\n" \
	"  - {id: globex, local: false, settings: {slim: {capabilityEnabled: true}}}\n" \
	"apps:\n" \
	"  - {id: sales-app, tenant: acme}\n" \
	"  - {id: hr-app, tenant: acme}\n" \
	"  - {id: gx-app, tenant: globex}\n" \
	"projects:\n" \
	"  - {id: p1, app: sales-app, contentRuleSet: pii, slimConfig: {enabled: true, " \
	"allowedOrganizations: [{organization: '*'}]}}\n" \
	"  - {id: p2, app: hr-app, contentRuleSet: partner}\n" \
	"  - {id: gp, app: gx-app, contentRuleSet: pii}\n" \
	"agents:\n" \
	"  - {id: a1, app: sales-app, project: p1, slimConfig: {enabled: true, outbound: true}}\n" \
	"  - {id: a2, app: hr-app, project: p2}\n" \
	"  - {id: a3, app: hr-app}\n" \
	"  - {id: g1, app: gx-app, project: gp}\n" \
	"trustRelationships:\n" \
	"  - {id: tr1, tenant: acme, organization: 'external:globex', state: established, " \
	"contentRuleSet: partner}\n" \
	"contentRuleSets:\n" \
	"  - id: pii\n" \
	"    rules:\n" \
	"      - {id: 10, pattern: '\\b\\d{3}-\\d{2}-\\d{4}\\b', action: block}\n" \
	"      - {id: 20, pattern: 'confidential', action: audit, caseless: true}\n" \
	"      - {id: 5, pattern: 'secret-[a-z]+', caseless: true}\n" \
	"      - {id: 30, pattern: 'Draft', action: audit}\n" \
	"  - {id: empty, rules: []}\n" \
	"  - id: partner\n" \
	"    rules:\n" \
	"      - {id: 1, pattern: 'internal only', action: block}\n"

enum { PII = 0, EMPTY = 1, PARTNER = 2 };

#define world pol_test_world

static void world_open(struct world *w, const char *yaml)
{
	ProtobufCMessage *msg = NULL;
	char err[600];

	if (pbconv_yaml_parse(yaml, strlen(yaml), &slimbridge__control__v1__policy__descriptor, &msg,
			      err, sizeof(err)) != 0) {
		fail_msg("YAML: %s", err);
	}
	if (pol_test_world_open(w, (pb_policy *)msg, err, sizeof(err)) != 0) {
		fail_msg("%s", err);
	}
}

#define world_close pol_test_world_close

static struct policy_rules_worker *worker_new(const struct policy_view *v, unsigned i,
					      struct policy_rules_counters *ctr)
{
	struct policy_rules_worker *pw = NULL;
	const char *why = NULL;

	if (policy_rules_worker_new(v, i, ctr, &pw, &why) != 0) {
		fail_msg("policy_rules_worker_new: %s", why);
	}
	return pw;
}

static int scan(const struct policy_rules_worker *pw, uint32_t rs, const char *s,
		struct policy_rules_hit *hit)
{
	memset(hit, 0xee, sizeof(*hit));
	return policy_rules_scan(pw, rs, (const uint8_t *)s, (uint32_t)strlen(s), hit);
}

#define EXPECT_HIT(pw, rs, payload, id, act) \
	do { \
		struct policy_rules_hit h_; \
		int r_ = scan(pw, rs, payload, &h_); \
		if (r_ != 1 || h_.rule_id != (id) || h_.action != (act) || h_.ruleset != (rs)) { \
			fail_msg("'%s' on set %u: got %d rule %u %s, want rule %u %s", payload, \
				 (unsigned)(rs), r_, r_ == 1 ? h_.rule_id : 0, \
				 r_ == 1 ? policy_rules_action_name(h_.action) : "-", (unsigned)(id), \
				 policy_rules_action_name(act)); \
		} \
	} while (0)

#define EXPECT_CLEAN(pw, rs, payload) \
	do { \
		struct policy_rules_hit h_; \
		int r_ = scan(pw, rs, payload, &h_); \
		if (r_ != 0) { \
			fail_msg("'%s' on set %u: got %d rule %u, want no match", payload, \
				 (unsigned)(rs), r_, h_.rule_id); \
		} \
	} while (0)

/* ---------------------------------------------------------------- scanning */

static void test_scan(void **state)
{
	struct world w;
	struct policy_rules_counters ctr = {0};
	struct policy_rules_worker *pw;
	struct policy_rules_hit hit;

	(void)state;
	world_open(&w, POLICY);
	assert_int_equal(w.v.nb_rulesets, 3);
	pw = worker_new(&w.v, 0, &ctr);
	assert_int_equal(pw->nb_rulesets, 3);
	assert_ptr_equal(pw->ctr, &ctr);
	/* The worker's object holds its own copies: the snapshot can go first. */
	free(w.snap);
	w.snap = NULL;

	EXPECT_HIT(pw, PII, "my ssn is 123-45-6789, ok", 10, SB_POL_RULE_BLOCK);
	EXPECT_HIT(pw, PII, "123-45-6789", 10, SB_POL_RULE_BLOCK);
	EXPECT_HIT(pw, PII, "this is Confidential", 20, SB_POL_RULE_AUDIT);
	EXPECT_HIT(pw, PII, "THIS IS CONFIDENTIAL", 20, SB_POL_RULE_AUDIT);	/* caseless */
	EXPECT_HIT(pw, PII, "the SECRET-PLAN", 5, SB_POL_RULE_BLOCK);	/* caseless, default action */
	EXPECT_HIT(pw, PII, "a Draft", 30, SB_POL_RULE_AUDIT);
	/* Block wins over an audit match earlier in the payload. */
	EXPECT_HIT(pw, PII, "confidential: 123-45-6789", 10, SB_POL_RULE_BLOCK);
	EXPECT_HIT(pw, PII, "Draft, confidential, secret-x", 5, SB_POL_RULE_BLOCK);
	/* Two audit rules: the first match is reported. */
	EXPECT_HIT(pw, PII, "Draft then confidential", 30, SB_POL_RULE_AUDIT);
	EXPECT_HIT(pw, PARTNER, "for internal only use", 1, SB_POL_RULE_BLOCK);
	assert_int_equal(scan(pw, PII, "my ssn is 123-45-6789", &hit), 1);
	assert_int_equal(hit.offset, strlen("my ssn is 123-45-6789"));

	EXPECT_CLEAN(pw, PII, "hello world");
	EXPECT_CLEAN(pw, PII, "");
	EXPECT_CLEAN(pw, PII, "123-45-67890");		/* \b: no boundary after the last digit */
	EXPECT_CLEAN(pw, PII, "draft");			/* 'Draft' is case-sensitive */
	EXPECT_CLEAN(pw, PII, "secret-");
	EXPECT_CLEAN(pw, PARTNER, "INTERNAL ONLY");	/* not caseless */
	EXPECT_CLEAN(pw, PARTNER, "123-45-6789");	/* another set's rule */
	EXPECT_CLEAN(pw, EMPTY, "123-45-6789 confidential");
	EXPECT_CLEAN(pw, POLICY_RULESET_NONE, "123-45-6789");
	/* Binary payloads, NULs included. */
	{
		static const uint8_t bin[] = {0, 1, 2, '1', '2', '3', '-', '4', '5', '-', '6', '7', '8', '9', 0};

		assert_int_equal(policy_rules_scan(pw, PII, bin, sizeof(bin), &hit), 1);
		assert_int_equal(hit.rule_id, 10);
		assert_int_equal(policy_rules_scan(pw, PII, bin, 3, &hit), 0);
	}
	assert_int_equal(scan(pw, 3, "x", &hit), -EINVAL);
	assert_int_equal(scan(pw, 1000, "x", &hit), -EINVAL);
	/* Counters: scans of sets with rules, matches by action, errors. */
	assert_int_equal(ctr.matches[SB_POL_RULE_BLOCK], 7 + 1);
	assert_int_equal(ctr.matches[SB_POL_RULE_AUDIT], 4);
	assert_int_equal(ctr.errors, 2);
	assert_int_equal(ctr.scans, 11 + 6 + 1 + 2);
	policy_rules_worker_free(pw);
	world_close(&w);
}

static void test_scan_burst(void **state)
{
	struct world w;
	struct policy_rules_worker *pw;
	static const char *const payload[] = {
		"123-45-6789", "confidential", "hello", "internal only", "x", "y",
	};
	static const uint32_t rs[] = {PII, PII, PII, PARTNER, POLICY_RULESET_NONE, 7};
	static const int8_t want_rc[] = {1, 1, 0, 1, 0, -EINVAL};
	struct policy_rules_req req[6];
	struct policy_rules_hit hit[6];
	int8_t rc[6];

	(void)state;
	world_open(&w, POLICY);
	pw = worker_new(&w.v, 1, NULL);
	assert_ptr_equal(pw->ctr, &pw->own);
	for (unsigned i = 0; i < 6; i++) {
		req[i] = (struct policy_rules_req){(const uint8_t *)payload[i],
						   (uint32_t)strlen(payload[i]), rs[i]};
	}
	assert_int_equal(policy_rules_scan_burst(pw, req, 6, hit, rc), 2);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(rc[i], want_rc[i]);
	}
	assert_int_equal(hit[0].rule_id, 10);
	assert_int_equal(hit[1].rule_id, 20);
	assert_int_equal(hit[1].action, SB_POL_RULE_AUDIT);
	assert_int_equal(hit[3].rule_id, 1);
	assert_int_equal(hit[3].ruleset, PARTNER);
	assert_int_equal(pw->own.scans, 4);
	assert_int_equal(pw->own.errors, 1);
	policy_rules_worker_free(pw);
	world_close(&w);
}

/* Each worker gets its own databases and scratch; freeing one leaves the others. */
static void test_per_worker(void **state)
{
	struct world w;
	struct policy_rules_worker *pw[3];

	(void)state;
	world_open(&w, POLICY);
	for (unsigned i = 0; i < 3; i++) {
		pw[i] = worker_new(&w.v, i, NULL);
		assert_int_equal(pw[i]->worker, i);
	}
	assert_ptr_not_equal(pw[0]->set[PII].db, pw[1]->set[PII].db);
	assert_ptr_not_equal(pw[0]->scratch, pw[1]->scratch);
	assert_null(pw[0]->set[EMPTY].db);
	policy_rules_worker_free(pw[1]);
	EXPECT_HIT(pw[0], PII, "123-45-6789", 10, SB_POL_RULE_BLOCK);
	EXPECT_HIT(pw[2], PARTNER, "internal only", 1, SB_POL_RULE_BLOCK);
	policy_rules_worker_free(pw[0]);
	policy_rules_worker_free(pw[2]);
	policy_rules_worker_free(NULL);
	world_close(&w);
}

/* The empty view (no snapshot yet) and a policy without rule sets: objects that match nothing. */
static void test_no_rulesets(void **state)
{
	struct policy_view empty;
	struct policy_rules_worker *pw;
	struct policy_rules_hit hit;
	const char *why = NULL;
	struct world w;

	(void)state;
	assert_int_equal(policy_view_init(&empty, NULL, &why), 0);
	pw = worker_new(&empty, 0, NULL);
	assert_int_equal(pw->nb_rulesets, 0);
	assert_int_equal(scan(pw, POLICY_RULESET_NONE, "123-45-6789", &hit), 0);
	assert_int_equal(scan(pw, 0, "123-45-6789", &hit), -EINVAL);
	policy_rules_worker_free(pw);

	world_open(&w, "tenants:\n  - {id: acme}\n");
	assert_int_equal(w.v.nb_rulesets, 0);
	pw = worker_new(&w.v, 0, NULL);
	assert_int_equal(pw->nb_rulesets, 0);
	policy_rules_worker_free(pw);
	world_close(&w);
}

/* The verdict names the rule sets that apply: the local sides' projects', the trust's. */
static void test_verdict_rulesets(void **state)
{
	struct world w;
	struct policy_query q;
	struct policy_verdict o;

	(void)state;
	world_open(&w, POLICY);
	pol_test_query(w.m, "a1", "a2", POLICY_MESSAGE, SB_POL_OP_TASK, &q);
	policy_decide_burst(&w.v, &q, 1, &o);
	assert_int_equal(o.rs_src, PII);
	assert_int_equal(o.rs_dst, PARTNER);
	assert_int_equal(o.rs_trust, POLICY_RULESET_NONE);
	pol_test_query(w.m, "a3", "a1", POLICY_MESSAGE, SB_POL_OP_TASK, &q);
	policy_decide_burst(&w.v, &q, 1, &o);
	assert_int_equal(o.rs_src, POLICY_RULESET_NONE);	/* no project */
	assert_int_equal(o.rs_dst, PII);
	/* To a partner's agent: its project's set is its bridge's business; the trust's is ours. */
	pol_test_query(w.m, "a1", "g1", POLICY_MESSAGE, SB_POL_OP_TASK, &q);
	policy_decide_burst(&w.v, &q, 1, &o);
	if (!o.allowed) {
		fail_msg("a1 -> g1 denied: %s at %s", policy_reason_text(o.reason),
			 policy_level_name(o.level));
	}
	assert_int_equal(o.rs_src, PII);
	assert_int_equal(o.rs_dst, POLICY_RULESET_NONE);
	assert_int_not_equal(o.trust, POLICY_NO_TRUST);
	assert_int_equal(o.rs_trust, PARTNER);
	/* Unknown agents: none. */
	pol_test_query(w.m, "a1", "nobody", POLICY_MESSAGE, SB_POL_OP_TASK, &q);
	policy_decide_burst(&w.v, &q, 1, &o);
	assert_int_equal(o.rs_src, POLICY_RULESET_NONE);
	assert_int_equal(o.rs_dst, POLICY_RULESET_NONE);
	assert_int_equal(o.rs_trust, POLICY_RULESET_NONE);
	world_close(&w);
}

/* ---------------------------------------------------------------- refused tables */

static const struct sb_shm_table *tbl(const struct sb_shm_snapshot *s, uint32_t kind)
{
	for (uint32_t i = 0; i < s->nb_tables; i++) {
		if (s->tables[i].kind == kind) {
			return &s->tables[i];
		}
	}
	fail_msg("no table %u", kind);
	return NULL;
}

/* Recomputes META's checksum, as a writer of such a table would have. */
static void reseal(struct sb_shm_snapshot *s)
{
	const struct sb_shm_table *meta = tbl(s, SB_POL_TABLE_META);
	struct sb_pol_meta *m = (struct sb_pol_meta *)((uint8_t *)s + meta->offset);
	XXH64_state_t *st = XXH64_createState();

	XXH64_reset(st, 0);
	for (uint32_t k = SB_POL_TABLE_TENANTS; k <= SB_POL_TABLE_RULES; k++) {
		const struct sb_shm_table *t = tbl(s, k);

		XXH64_update(st, (uint8_t *)s + t->offset, t->size);
	}
	m->checksum = XXH64_digest(st);
	XXH64_freeState(st);
}

static uint8_t *rules_of(struct sb_shm_snapshot *s)
{
	return (uint8_t *)s + tbl(s, SB_POL_TABLE_RULES)->offset;
}

static struct sb_pol_ruleset *set_of(struct sb_shm_snapshot *s, uint32_t i)
{
	return (struct sb_pol_ruleset *)(rules_of(s) + sizeof(struct sb_pol_rules_hdr)) + i;
}

static void expect_refused(struct world *w, const char *want_why)
{
	struct policy_view v;
	const char *why = NULL;

	reseal(w->snap);
	assert_int_equal(policy_view_init(&v, w->snap, &why), -EINVAL);
	assert_non_null(why);
	if (strcmp(why, want_why) != 0) {
		fail_msg("\n  got:  %s\n  want: %s", why, want_why);
	}
	assert_null(v.meta);
	assert_null(v.rules);
}

static void expect_accepted(struct world *w)
{
	struct policy_view v;
	const char *why = NULL;

	reseal(w->snap);
	if (policy_view_init(&v, w->snap, &why) != 0) {
		fail_msg("refused: %s", why);
	}
}

static void test_corrupt_rules_refused(void **state)
{
	struct world w;
	struct sb_pol_ruleset saved;
	struct sb_pol_rules_hdr *hdr;
	uint64_t size;
	struct sb_pol_rule *r;

	(void)state;
	world_open(&w, POLICY);
	size = tbl(w.snap, SB_POL_TABLE_RULES)->size;
	hdr = (struct sb_pol_rules_hdr *)rules_of(w.snap);
	saved = *set_of(w.snap, PII);

	/* A checksum mismatch comes first. */
	set_of(w.snap, PII)->blob_off += 8;
	{
		struct policy_view v;
		const char *why = NULL;

		assert_int_equal(policy_view_init(&v, w.snap, &why), -EINVAL);
		assert_string_equal(why, "policy snapshot: checksum mismatch");
	}
	/* A database moved off its bytes (resealed: only the layout check can tell). */
	expect_refused(&w, "policy snapshot: RULES table: a database is truncated or not a hyperscan database");
	*set_of(w.snap, PII) = saved;
	expect_accepted(&w);
	/* Out of the table, misaligned, inside the fixed part. */
	set_of(w.snap, PII)->blob_off = size;
	expect_refused(&w, "policy snapshot: RULES table: a database is out of range");
	set_of(w.snap, PII)->blob_off = saved.blob_off + 4;
	expect_refused(&w, "policy snapshot: RULES table: a database is out of range");
	set_of(w.snap, PII)->blob_off = 0;
	expect_refused(&w, "policy snapshot: RULES table: a database is out of range");
	set_of(w.snap, PII)->blob_off = saved.blob_off;
	set_of(w.snap, PII)->blob_len = UINT64_MAX - 4;
	expect_refused(&w, "policy snapshot: RULES table: a database is out of range");
	/* Truncated: the database's own length says more than the blob holds. */
	set_of(w.snap, PII)->blob_len = saved.blob_len - 16;
	expect_refused(&w, "policy snapshot: RULES table: a database is truncated or not a hyperscan database");
	set_of(w.snap, PII)->blob_len = 0;
	expect_refused(&w, "policy snapshot: RULES table: a database is out of range");
	*set_of(w.snap, PII) = saved;
	/* A set without rules must not claim a database. */
	set_of(w.snap, EMPTY)->blob_off = saved.blob_off;
	set_of(w.snap, EMPTY)->blob_len = saved.blob_len;
	expect_refused(&w, "policy snapshot: RULES table: a database for a set without rules");
	set_of(w.snap, EMPTY)->blob_off = 0;
	set_of(w.snap, EMPTY)->blob_len = 0;
	/* Rule arrays. */
	set_of(w.snap, PII)->rules_off = size - 8;
	expect_refused(&w, "policy snapshot: RULES table: a rule array is out of range");
	set_of(w.snap, PII)->rules_off = 0;
	expect_refused(&w, "policy snapshot: RULES table: a rule array is out of range");
	set_of(w.snap, PII)->rules_off = saved.rules_off + 4;
	expect_refused(&w, "policy snapshot: RULES table: a rule array is out of range");
	set_of(w.snap, PII)->rules_off = saved.rules_off;
	set_of(w.snap, PII)->nb_rules = UINT32_MAX;
	expect_refused(&w, "policy snapshot: RULES table: a rule array is out of range");
	set_of(w.snap, PII)->nb_rules = saved.nb_rules;
	r = (struct sb_pol_rule *)(rules_of(w.snap) + saved.rules_off);
	r[1].id = r[0].id;
	expect_refused(&w, "policy snapshot: RULES table: rules not sorted by id or bad action");
	r[1].id = 10;
	r[2].action = 7;
	expect_refused(&w, "policy snapshot: RULES table: rules not sorted by id or bad action");
	r[2].action = SB_POL_RULE_AUDIT;
	set_of(w.snap, PII)->name = 1u << 30;
	expect_refused(&w, "policy snapshot: RULES table: a rule set name is out of range");
	set_of(w.snap, PII)->name = saved.name;
	/* Header. */
	hdr->nb_rulesets = 1u << 28;
	expect_refused(&w, "policy snapshot: RULES table: more rule sets than fit");
	hdr->nb_rulesets = 3;
	hdr->nb_rules = 99;
	expect_refused(&w, "policy snapshot: RULES table: rule count mismatch");
	hdr->nb_rules = 5;
	expect_accepted(&w);
	/* A table too short for its header. */
	{
		struct sb_shm_table *t = (struct sb_shm_table *)tbl(w.snap, SB_POL_TABLE_RULES);

		t->size = 8;
		expect_refused(&w, "policy snapshot: RULES table too short");
		t->size = size;
	}
	expect_accepted(&w);
	world_close(&w);
}

/* Records that name a rule set that does not exist; a missing RULES table. */
static void test_bad_ruleset_index_refused(void **state)
{
	struct world w;
	struct sb_pol_trust *tr;
	struct sb_pol_agent *a;
	const struct sb_shm_table *at;

	(void)state;
	world_open(&w, POLICY);
	tr = (struct sb_pol_trust *)((uint8_t *)w.snap + tbl(w.snap, SB_POL_TABLE_TRUSTS)->offset);
	assert_int_equal(tr[0].ruleset, PARTNER);
	tr[0].ruleset = 3;
	expect_refused(&w, "policy snapshot: an index is out of range");
	tr[0].ruleset = SB_POL_RULESET_NONE;
	expect_accepted(&w);
	at = tbl(w.snap, SB_POL_TABLE_AGENTS);
	a = (struct sb_pol_agent *)((uint8_t *)w.snap + at->offset);
	for (uint64_t i = 0; i < at->size / sizeof(*a); i++) {
		if (a[i].ruleset != SB_POL_RULESET_NONE && (a[i].comp[0] | a[i].comp[1] | a[i].comp[2]) != 0) {
			a[i].ruleset = 3;
			break;
		}
	}
	expect_refused(&w, "policy snapshot: an index is out of range");
	for (uint32_t i = 0; i < w.snap->nb_tables; i++) {
		if (w.snap->tables[i].kind == SB_POL_TABLE_RULES) {
			w.snap->tables[i].kind = 99;
		}
	}
	{
		struct policy_view v;
		const char *why = NULL;

		assert_int_equal(policy_view_init(&v, w.snap, &why), -EINVAL);
		assert_string_equal(why, "policy snapshot: a table is missing or repeated");
	}
	world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_burst),
		cmocka_unit_test(test_per_worker),
		cmocka_unit_test(test_no_rulesets),
		cmocka_unit_test(test_verdict_rulesets),
		cmocka_unit_test(test_corrupt_rules_refused),
		cmocka_unit_test(test_bad_ruleset_index_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
