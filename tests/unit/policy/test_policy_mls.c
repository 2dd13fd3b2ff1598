/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_mls.c - the MLS table of a snapshot (dataplane/policy/
 * policy_mls.c): layouts made by policy_mls_build are found again by id
 * in any order of creation, the empty table, ids refused by the builder
 * (repeated, empty, too long), tables refused by the check (header,
 * checksum, every entry field pushed out of bounds or out of order even
 * with a checksum that matches), and a compiled policy snapshot with an
 * MLS table appended: policy_view_init (a reader that does not know the
 * table) still accepts it and policy_mls_table finds it.
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
#include "policy_mls.h"

#define HDR sizeof(struct sb_pol_mls_hdr)

static const char *ids[] = {"zeta", "alpha", "alphabet", "al", "beta"};

static void build(uint8_t **t, size_t *len)
{
	struct policy_mls_ent e[5];
	static uint8_t recs[5][64];

	for (int i = 0; i < 5; i++) {
		memset(recs[i], 'a' + i, sizeof(recs[i]));
		e[i] = (struct policy_mls_ent){(const uint8_t *)ids[i], strlen(ids[i]),
					       (uint64_t)i + 10, recs[i], (size_t)(13 + i * 7)};
	}
	assert_int_equal(policy_mls_build(e, 5, t, len), 0);
}

static void reseal(uint8_t *t, size_t len)
{
	((struct sb_pol_mls_hdr *)t)->checksum = XXH64(t + HDR, len - HDR, 0);
}

static void test_build_find(void **state)
{
	struct policy_mls_group g;
	const char *why = NULL;
	uint8_t *t;
	size_t len;

	(void)state;
	build(&t, &len);
	assert_int_equal(len % 8, 0);
	assert_int_equal(policy_mls_check(t, len, &why), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(policy_mls_find(t, (const uint8_t *)ids[i], strlen(ids[i]), &g),
				 0);
		assert_int_equal(g.id_len, strlen(ids[i]));
		assert_memory_equal(g.id, ids[i], g.id_len);
		assert_true(g.epoch == (uint64_t)i + 10);
		assert_int_equal(g.rec_len, 13 + i * 7);
		assert_int_equal(g.rec[0], 'a' + i);
		assert_int_equal(g.rec[g.rec_len - 1], 'a' + i);
	}
	/* Sorted: al, alpha, alphabet, beta, zeta. */
	assert_int_equal(policy_mls_get(t, 0, &g), 0);
	assert_memory_equal(g.id, "al", 2);
	assert_int_equal(policy_mls_get(t, 4, &g), 0);
	assert_memory_equal(g.id, "zeta", 4);
	assert_int_equal(policy_mls_get(t, 5, &g), -ENOENT);
	assert_int_equal(policy_mls_find(t, (const uint8_t *)"alph", 4, &g), -ENOENT);
	assert_int_equal(policy_mls_find(t, (const uint8_t *)"zz", 2, &g), -ENOENT);
	assert_int_equal(policy_mls_find(t, (const uint8_t *)"", 0, &g), -ENOENT);
	policy_mls_free(t, len);

	assert_int_equal(policy_mls_build(NULL, 0, &t, &len), 0);
	assert_int_equal(len, HDR);
	assert_int_equal(policy_mls_check(t, len, &why), 0);
	assert_int_equal(policy_mls_find(t, (const uint8_t *)"a", 1, &g), -ENOENT);
	policy_mls_free(t, len);
}

static void test_build_refuses(void **state)
{
	static const uint8_t rec[4] = {1, 2, 3, 4};
	static uint8_t long_id[SB_POL_MLS_MAX_ID + 1];
	struct policy_mls_ent e[2] = {
		{(const uint8_t *)"same", 4, 1, rec, 4},
		{(const uint8_t *)"same", 4, 2, rec, 4},
	};
	uint8_t *t = NULL;
	size_t len;

	(void)state;
	assert_int_equal(policy_mls_build(e, 2, &t, &len), -EINVAL);
	e[1].id_len = 0;
	assert_int_equal(policy_mls_build(e, 2, &t, &len), -EINVAL);
	e[1] = (struct policy_mls_ent){long_id, sizeof(long_id), 1, rec, 4};
	assert_int_equal(policy_mls_build(e, 2, &t, &len), -EINVAL);
	e[1] = (struct policy_mls_ent){(const uint8_t *)"x", 1, 1, rec, 0};
	assert_int_equal(policy_mls_build(e, 2, &t, &len), -EINVAL);
	assert_int_equal(policy_mls_build(e, SB_POL_MLS_MAX_GROUPS + 1, &t, &len), -EINVAL);
	assert_null(t);
}

static void expect_refused(uint8_t *t, size_t len, const char *reason)
{
	const char *why = NULL;

	assert_int_equal(policy_mls_check(t, len, &why), -EINVAL);
	assert_string_equal(why, reason);
}

static void test_check_refuses(void **state)
{
	struct sb_pol_mls_group *ents, saved;
	uint8_t *t, *c;
	size_t len;

	(void)state;
	build(&t, &len);
	c = malloc(len);
	assert_non_null(c);
	ents = (struct sb_pol_mls_group *)(c + HDR);

	memcpy(c, t, len);
	c[len - 1] ^= 1;
	expect_refused(c, len, "MLS table: checksum mismatch");
	expect_refused(c, len - 8, "MLS table: checksum mismatch");
	expect_refused(c, len - 1, "MLS table: too short or misaligned");
	expect_refused(c, HDR - 8, "MLS table: too short or misaligned");
	expect_refused(c + 8, len - 8, "MLS table: bad header");
	memcpy(c, t, len);
	((struct sb_pol_mls_hdr *)c)->flags = 1;
	expect_refused(c, len, "MLS table: bad header");
	memcpy(c, t, len);
	((struct sb_pol_mls_hdr *)c)->nb_groups = (uint32_t)(len / 32);
	expect_refused(c, len, "MLS table: bad group count");
	((struct sb_pol_mls_hdr *)c)->nb_groups = SB_POL_MLS_MAX_GROUPS + 1;
	expect_refused(c, len, "MLS table: bad group count");

	/* Each entry field out of range, with the checksum made to match. */
	for (int f = 0; f < 8; f++) {
		memcpy(c, t, len);
		saved = ents[2];
		switch (f) {
		case 0:
			ents[2].id_off = len;		/* past the end */
			break;
		case 1:
			ents[2].id_off = 8;		/* inside the index */
			break;
		case 2:
			ents[2].rec_off = saved.rec_off + 1;	/* misaligned */
			break;
		case 3:
			ents[2].rec_len = (uint32_t)(len - saved.rec_off + 1);
			break;
		case 4:
			ents[2].id_len = 0;
			break;
		case 5:
			ents[2].rec_len = 0;
			break;
		case 6:
			ents[2].reserved = 1;
			break;
		default:
			ents[2].rec_off = UINT64_MAX - 7;
			break;
		}
		reseal(c, len);
		expect_refused(c, len, "MLS table: a group entry is out of bounds");
	}
	/* Two entries swapped: no longer sorted; one repeated: not unique. */
	memcpy(c, t, len);
	saved = ents[1];
	ents[1] = ents[2];
	ents[2] = saved;
	reseal(c, len);
	expect_refused(c, len, "MLS table: group ids not sorted or repeated");
	memcpy(c, t, len);
	ents[2] = ents[1];
	reseal(c, len);
	expect_refused(c, len, "MLS table: group ids not sorted or repeated");
	free(c);
	policy_mls_free(t, len);
}

#define POLICY \
	"tenants:\n" \
	"  - {id: acme, settings: {slim: {capabilityEnabled: true}}}\n" \
	"apps:\n" \
	"  - {id: sales-app, tenant: acme}\n" \
	"agents:\n" \
	"  - {id: a1, app: sales-app}\n"

/* A compiled snapshot with the MLS table appended, as ctl_state publishes it. */
static void test_snapshot_with_mls_table(void **state)
{
	struct pol_test_world w;
	struct sb_shm_snapshot *s;
	struct policy_view v;
	struct policy_mls_group g;
	ProtobufCMessage *msg = NULL;
	const char *why = NULL;
	const void *found;
	uint64_t size = 0, off;
	uint8_t *t;
	size_t len;
	char err[600];

	(void)state;
	if (pbconv_yaml_parse(POLICY, strlen(POLICY), &slimbridge__control__v1__policy__descriptor,
			      &msg, err, sizeof(err)) != 0) {
		fail_msg("YAML: %s", err);
	}
	if (pol_test_world_open(&w, (pb_policy *)msg, err, sizeof(err)) != 0) {
		fail_msg("%s", err);
	}
	build(&t, &len);
	off = (w.img.len + 63) & ~(uint64_t)63;
	s = aligned_alloc(64, (sizeof(*s) + off + len + 63) & ~(size_t)63);
	assert_non_null(s);
	memcpy(s, w.snap, sizeof(*s) + w.img.len);
	memcpy((uint8_t *)(s + 1) + off, t, len);
	s->tables[s->nb_tables] =
		(struct sb_shm_table){SB_POL_TABLE_MLS, 0, sizeof(*s) + off, len, 5};
	s->nb_tables++;
	s->size = sizeof(*s) + off + len;
	assert_int_equal(policy_view_init(&v, s, &why), 0);
	found = policy_mls_table(s, &size);
	assert_non_null(found);
	assert_int_equal(size, len);
	assert_int_equal(policy_mls_check(found, size, &why), 5);
	assert_int_equal(policy_mls_find(found, (const uint8_t *)"beta", 4, &g), 0);
	/* Twice: refused. None: NULL. */
	s->tables[s->nb_tables] = s->tables[s->nb_tables - 1];
	s->nb_tables++;
	assert_null(policy_mls_table(s, &size));
	assert_null(policy_mls_table(w.snap, &size));
	free(s);
	policy_mls_free(t, len);
	pol_test_world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_find),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_snapshot_with_mls_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
