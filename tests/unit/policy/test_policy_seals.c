/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_seals.c - the SEALS table of a snapshot (dataplane/policy/
 * policy_seals.c): seals built in any order are found again by trust id
 * with their fixed part, group id and peer trust domain intact; the empty
 * table; entries the builder refuses; and every refusal of
 * policy_seals_check, each on an otherwise good table whose checksum is
 * made to match (so it is the record check that refuses, not the krt's),
 * plus the krt's own refusals as the SEALS table names them.
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

#include "policy_krt.h"
#include "policy_seals.h"

#define HDR sizeof(struct sb_pol_mls_hdr)

static const char *trusts[] = {"tb-partner", "ta-a", "tc-zeta"};
static const char *gids[] = {"sbseal:a.example|b.example:0011223344556677", "g2",
			     "sbseal:x|y:ff"};
static const char *tds[] = {"b.example", "a.example", "zeta.example"};

static struct sb_pol_seal seal_of(int i)
{
	struct sb_pol_seal s;

	memset(&s, 0, sizeof(s));
	s.trust = (uint32_t)(7 - i);
	s.mode = i == 1 ? SB_POL_SEAL_AES : SB_POL_SEAL_MLS;
	s.state = SB_POL_SEAL_READY;
	s.family = i == 2 ? 6 : 4;
	s.addr[0] = 10;
	s.addr[3] = (uint8_t)i;
	if (i == 2) {
		s.addr[15] = 1;
	}
	s.port = (uint16_t)(46357 + i);
	s.group_id_len = (uint16_t)strlen(gids[i]);
	s.peer_td_len = (uint16_t)strlen(tds[i]);
	s.own_leaf = (uint32_t)i;
	s.peer_leaf = (uint32_t)i + 1;
	s.epoch = (uint64_t)i + 5;
	s.prev_epoch = i == 0 ? 0 : (uint64_t)i + 4;
	s.flags = i == 2 ? SB_POL_SEAL_F_SEND_PREV : 0;
	memset(s.secret, 0x10 + i, sizeof(s.secret));
	memset(s.prev_secret, 0x20 + i, sizeof(s.prev_secret));
	s.rekey_messages = 1000000;
	s.dp_token = 0xabcd0000u + (uint32_t)i;
	return s;
}

static void build(uint8_t **t, size_t *len)
{
	struct policy_seal_ent e[3];

	for (int i = 0; i < 3; i++) {
		e[i] = (struct policy_seal_ent){trusts[i], strlen(trusts[i]), seal_of(i),
						(const uint8_t *)gids[i], tds[i]};
	}
	assert_int_equal(policy_seals_build(e, 3, t, len), 0);
}

static void reseal(uint8_t *t, size_t len)
{
	((struct sb_pol_mls_hdr *)t)->checksum = XXH64(t + HDR, len - HDR, 0);
}

static void test_build_find(void **state)
{
	struct policy_seal ps;
	const char *why = NULL;
	uint8_t *t;
	size_t len;

	(void)state;
	build(&t, &len);
	assert_int_equal(len % 8, 0);
	assert_int_equal(policy_seals_check(t, len, &why), 3);
	for (int i = 0; i < 3; i++) {
		struct sb_pol_seal want = seal_of(i);

		assert_int_equal(policy_seals_find(t, trusts[i], strlen(trusts[i]), &ps), 0);
		assert_int_equal(ps.trust_id_len, strlen(trusts[i]));
		assert_memory_equal(ps.trust_id, trusts[i], ps.trust_id_len);
		assert_memory_equal(ps.s, &want, sizeof(want));
		assert_int_equal((uintptr_t)ps.s % 8, 0);
		assert_memory_equal(ps.group_id, gids[i], strlen(gids[i]));
		assert_memory_equal(ps.peer_td, tds[i], strlen(tds[i]));
	}
	/* Sorted by trust id: ta-a, tb-partner, tc-zeta. */
	assert_int_equal(policy_seals_get(t, 0, &ps), 0);
	assert_memory_equal(ps.trust_id, "ta-a", 4);
	assert_int_equal(policy_seals_get(t, 2, &ps), 0);
	assert_memory_equal(ps.trust_id, "tc-zeta", 7);
	assert_int_equal(policy_seals_get(t, 3, &ps), -ENOENT);
	assert_int_equal(policy_seals_find(t, "tb", 2, &ps), -ENOENT);
	assert_int_equal(policy_seals_find(t, "", 0, &ps), -ENOENT);
	policy_seals_free(t, len);

	/* The empty table: no trust has a seal. */
	assert_int_equal(policy_seals_build(NULL, 0, &t, &len), 0);
	assert_int_equal(policy_seals_check(t, len, &why), 0);
	assert_int_equal(policy_seals_find(t, "ta-a", 4, &ps), -ENOENT);
	policy_seals_free(t, len);
}

static void test_build_refuses(void **state)
{
	static char long_id[SB_POL_MLS_MAX_ID + 2];
	struct policy_seal_ent e[2];
	uint8_t *t = NULL;
	size_t len;

	(void)state;
	memset(long_id, 'x', sizeof(long_id) - 1);
	for (int i = 0; i < 2; i++) {
		e[i] = (struct policy_seal_ent){trusts[i], strlen(trusts[i]), seal_of(i),
						(const uint8_t *)gids[i], tds[i]};
	}
	assert_int_equal(policy_seals_build(e, 2, &t, &len), 0);
	policy_seals_free(t, len);
	t = NULL;
	e[1].trust_id = trusts[0];	/* repeated */
	e[1].trust_id_len = strlen(trusts[0]);
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].trust_id_len = 0;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].trust_id = long_id;
	e[1].trust_id_len = strlen(long_id);
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].trust_id = "other";
	e[1].trust_id_len = 5;
	e[1].s.group_id_len = 0;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].s.group_id_len = SB_POL_MLS_MAX_ID + 1;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].s.group_id_len = 2;
	e[1].s.peer_td_len = 0;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].s.peer_td_len = 256;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	e[1].s.peer_td_len = 9;
	e[1].peer_td = NULL;
	assert_int_equal(policy_seals_build(e, 2, &t, &len), -EINVAL);
	assert_int_equal(policy_seals_build(e, SB_POL_MLS_MAX_GROUPS + 1, &t, &len), -EINVAL);
	assert_int_equal(policy_seals_build(NULL, 1, &t, &len), -EINVAL);
	assert_null(t);
}

static void expect_refused(const uint8_t *t, size_t len, const char *reason)
{
	const char *why = NULL;

	assert_int_equal(policy_seals_check(t, len, &why), -EINVAL);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

/* The record of the seal of trust "ta-a" (entry 0 once sorted) in copy |c|. */
static struct sb_pol_seal *rec0(uint8_t *c, struct sb_pol_mls_group **ent)
{
	*ent = (struct sb_pol_mls_group *)(c + HDR);
	return (struct sb_pol_seal *)(c + (*ent)->rec_off);
}

static void test_check_refuses(void **state)
{
	static const struct {
		const char *why;
	} cases[] = {
		{"SEALS table: a record is shorter than a seal"},
		{"SEALS table: a group id or trust domain length is out of range"},
		{"SEALS table: a group id or trust domain length is out of range"},
		{"SEALS table: a group id or trust domain length is out of range"},
		{"SEALS table: a group id or trust domain length is out of range"},
		{"SEALS table: a record's length does not match its group id and trust domain"},
		{"SEALS table: a record's padding is not zero"},
		{"SEALS table: unknown mode"},
		{"SEALS table: unknown mode"},
		{"SEALS table: unknown state"},
		{"SEALS table: unknown transport"},
		{"SEALS table: the peer endpoint's family is neither 4 nor 6"},
		{"SEALS table: an IPv4 address with bytes after the fourth"},
		{"SEALS table: unknown flags"},
		{"SEALS table: send-prev without a previous epoch"},
		{"SEALS table: an entry's number is not its seal's epoch"},
		{"SEALS table: the previous epoch is not older than the epoch"},
	};
	struct sb_pol_mls_group *ent;
	struct sb_pol_seal *s;
	const char *why = NULL;
	uint8_t *t, *c;
	size_t len;

	(void)state;
	build(&t, &len);
	c = malloc(len);
	assert_non_null(c);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memcpy(c, t, len);
		s = rec0(c, &ent);
		assert_int_equal(policy_seals_check(c, len, &why), 3);
		switch (k) {
		case 0:
			ent->rec_len = sizeof(*s) - 8;
			break;
		case 1:
			s->group_id_len = 0;
			break;
		case 2:
			s->group_id_len = SB_POL_MLS_MAX_ID + 1;
			break;
		case 3:
			s->peer_td_len = 0;
			break;
		case 4:
			s->peer_td_len = 256;
			break;
		case 5:
			s->group_id_len += 8;	/* the record no longer adds up */
			break;
		case 6:
			/* "g2" + "a.example" = 11 bytes after the seal: 5 of padding. */
			((uint8_t *)(s + 1))[ent->rec_len - sizeof(*s) - 1] = 1;
			break;
		case 7:
			s->mode = 0;
			break;
		case 8:
			s->mode = 3;
			break;
		case 9:
			s->state = 2;
			break;
		case 10:
			s->transport = 1;
			break;
		case 11:
			s->family = 5;
			break;
		case 12:
			s->addr[4] = 1;
			break;
		case 13:
			s->flags = 4; /* neither SEND_PREV nor RECV_ONLY */
			break;
		case 14:
			s->prev_epoch = 0;
			s->flags = SB_POL_SEAL_F_SEND_PREV;
			break;
		case 15:
			s->epoch++;
			break;
		default:
			s->prev_epoch = s->epoch;
			break;
		}
		reseal(c, len);
		expect_refused(c, len, cases[k].why);
	}
	/* The krt's own refusals, named for this table. */
	memcpy(c, t, len);
	c[len - 1] ^= 1;
	expect_refused(c, len, "SEALS table: checksum mismatch");
	expect_refused(c, len - 4, "SEALS table: too short or misaligned");
	memcpy(c, t, len);
	((struct sb_pol_mls_hdr *)c)->magic = SB_POL_MLS_MAGIC;
	expect_refused(c, len, "SEALS table: bad header");
	memcpy(c, t, len);
	((struct sb_pol_mls_hdr *)c)->nb_groups = SB_POL_MLS_MAX_GROUPS + 1;
	expect_refused(c, len, "SEALS table: bad seal count");
	memcpy(c, t, len);
	rec0(c, &ent);
	ent->rec_off = len;
	reseal(c, len);
	expect_refused(c, len, "SEALS table: an entry is out of bounds");
	memcpy(c, t, len);
	rec0(c, &ent);
	{
		struct sb_pol_mls_group tmp = ent[0];

		ent[0] = ent[1];
		ent[1] = tmp;
	}
	reseal(c, len);
	expect_refused(c, len, "SEALS table: trust ids not sorted or repeated");
	/* The unchanged table is still good: nothing above wrote into |t|. */
	assert_int_equal(policy_seals_check(t, len, &why), 3);
	free(c);
	policy_seals_free(t, len);
}

/* A NONE seal of an IPv6 peer with no epoch yet is a valid entry. */
static void test_none_entry(void **state)
{
	struct policy_seal_ent e;
	struct policy_seal ps;
	const char *why = NULL;
	uint8_t *t;
	size_t len;

	(void)state;
	e = (struct policy_seal_ent){"t", 1, seal_of(2), (const uint8_t *)gids[2], tds[2]};
	e.s.state = SB_POL_SEAL_NONE;
	e.s.epoch = 0;
	e.s.prev_epoch = 0;
	e.s.flags = 0;
	memset(e.s.secret, 0, sizeof(e.s.secret));
	memset(e.s.prev_secret, 0, sizeof(e.s.prev_secret));
	assert_int_equal(policy_seals_build(&e, 1, &t, &len), 0);
	assert_int_equal(policy_seals_check(t, len, &why), 1);
	assert_int_equal(policy_seals_get(t, 0, &ps), 0);
	assert_int_equal(ps.s->state, SB_POL_SEAL_NONE);
	assert_int_equal(ps.s->family, 6);
	assert_int_equal(ps.s->addr[15], 1);
	policy_seals_free(t, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_find),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_none_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
