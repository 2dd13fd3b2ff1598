/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ctl_state.c - the extra tables of ctl_state_set_table: the MLS and
 * the BUNDLES tables published together after the policy's, each replaced
 * or dropped on its own, the limit of CTL_STATE_MAX_EXTRA kinds, and the
 * snapshot still accepted by the data plane's checks. Reads the published
 * object the way a reader would (mapped read-only; one thread, so no
 * writer runs meanwhile).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/ctl_state.h"
#include "policy.h"
#include "policy_bundles.h"
#include "policy_mls.h"
#include "shm/shm_abi.h"
#include "shm/shm_name.h"

static char shm_name[64];

/* A copy of the active snapshot (free it). */
static struct sb_shm_snapshot *snapshot(void)
{
	char path[128];
	struct stat st;
	const struct sb_shm_header *h;
	const struct sb_shm_snapshot *s;
	struct sb_shm_snapshot *copy;
	void *base;
	int fd;

	snprintf(path, sizeof(path), "/%s%s", shm_name, SB_SHM_POLICY_SUFFIX);
	fd = shm_open(path, O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(base != MAP_FAILED);
	h = base;
	assert_int_equal(h->in_progress, 0);
	s = (const struct sb_shm_snapshot *)((const uint8_t *)base + h->slot_offset[h->active_slot]);
	assert_int_equal(s->epoch, h->epoch);
	copy = aligned_alloc(64, (s->size + 63) & ~(uint64_t)63);
	assert_non_null(copy);
	memcpy(copy, s, s->size);
	munmap(base, (size_t)st.st_size);
	return copy;
}

static struct ctl_state *open_state(void)
{
	struct ctl_conf conf = {.db_path = ":memory:", .shm_name = shm_name, .slot_size = 1u << 20};
	struct ctl_state *s;
	char err[512] = "";

	snprintf(shm_name, sizeof(shm_name), "sbtestctlst%d", (int)getpid());
	s = ctl_state_open(&conf, err, sizeof(err));
	if (s == NULL) {
		fail_msg("ctl_state_open: %s", err);
	}
	return s;
}

static void mls_table(uint8_t **tab, size_t *len)
{
	static const uint8_t rec[24] = {1, 2, 3};
	struct policy_mls_ent e = {.id = (const uint8_t *)"grp", .id_len = 3, .epoch = 4,
				   .rec = rec, .rec_len = sizeof(rec)};

	assert_int_equal(policy_mls_build(&e, 1, tab, len), 0);
}

static void bundles_table(uint32_t n, uint8_t **tab, size_t *len)
{
	struct policy_bundle b[2] = {
		{.td = "a.example", .td_len = 9, .sequence = 1, .json = (const uint8_t *)"{\"keys\":[]}",
		 .json_len = 11},
		{.td = "b.example", .td_len = 9, .sequence = 2, .json = (const uint8_t *)"{\"keys\":[]}",
		 .json_len = 11},
	};

	assert_int_equal(policy_bundles_build(b, n, tab, len), 0);
}

/* Checks the published snapshot: |mls| MLS groups and |bundles| bundles (-1: no such table). */
static void expect(int mls, int bundles)
{
	struct sb_shm_snapshot *s = snapshot();
	struct policy_view v;
	struct policy_bundle b;
	const char *why = "";
	const void *tab;
	uint64_t size = 0;

	assert_int_equal(policy_view_init(&v, s, &why), 0);
	tab = policy_mls_table(s, &size);
	if (mls < 0) {
		assert_null(tab);
	} else {
		assert_non_null(tab);
		assert_int_equal(policy_mls_check(tab, size, &why), mls);
	}
	tab = policy_bundles_table(s, &size);
	if (bundles < 0) {
		assert_null(tab);
	} else {
		assert_non_null(tab);
		assert_int_equal(policy_bundles_check(tab, size, &why), bundles);
		if (bundles > 0) {
			assert_int_equal(policy_bundles_find(tab, "a.example", 9, &b), 0);
			assert_int_equal(b.sequence, 1);
		}
	}
	for (uint32_t i = 0; i < s->nb_tables; i++) {
		assert_int_equal(s->tables[i].offset % 64 == 0 || s->tables[i].kind <= SB_POL_TABLE_RULES,
				 1);
	}
	free(s);
}

static void test_two_extra_kinds(void **state)
{
	struct ctl_state *s = open_state();
	uint8_t *mls, *bun;
	size_t mls_len, bun_len;
	struct ctl_pub pub;

	(void)state;
	expect(-1, -1);
	mls_table(&mls, &mls_len);
	bundles_table(1, &bun, &bun_len);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_MLS, mls, mls_len, 1), 0);
	expect(1, -1);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_BUNDLES, bun, bun_len, 1), 0);
	expect(1, 1);
	ctl_state_pub(s, &pub);
	assert_false(pub.pending);
	assert_true(pub.bytes >= mls_len + bun_len);
	policy_bundles_free(bun, bun_len);

	/* Each is replaced on its own. */
	bundles_table(2, &bun, &bun_len);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_BUNDLES, bun, bun_len, 2), 0);
	expect(1, 2);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_MLS, mls, mls_len, 1), 0);
	expect(1, 2);
	/* Dropping one keeps the other; an empty BUNDLES table is a table. */
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_MLS, NULL, 0, 0), 0);
	expect(-1, 2);
	policy_bundles_free(bun, bun_len);
	bundles_table(0, &bun, &bun_len);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_BUNDLES, bun, bun_len, 0), 0);
	expect(-1, 0);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_MLS, mls, mls_len, 1), 0);
	expect(1, 0);
	/* Dropping a kind that is not set changes nothing. */
	assert_int_equal(ctl_state_set_table(s, 20, NULL, 0, 0), 0);
	expect(1, 0);
	policy_bundles_free(bun, bun_len);
	policy_mls_free(mls, mls_len);
	ctl_state_close(s, true);
}

static void test_limits(void **state)
{
	struct ctl_state *s = open_state();
	static const uint8_t data[16] = {9};
	uint32_t kind = SB_POL_TABLE_RULES + 1;

	(void)state;
	/* A policy table's kind is never an extra one. */
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_RULES, data, sizeof(data), 1), -EINVAL);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_META, data, sizeof(data), 1), -EINVAL);
	assert_int_equal(ctl_state_set_table(s, SB_POL_TABLE_MLS, NULL, 8, 1), -EINVAL);
	/* CTL_STATE_MAX_EXTRA kinds, set in reverse order: laid out in kind order. */
	for (int i = CTL_STATE_MAX_EXTRA - 1; i >= 0; i--) {
		assert_int_equal(ctl_state_set_table(s, kind + (uint32_t)i, data, sizeof(data), 1), 0);
	}
	assert_int_equal(ctl_state_set_table(s, kind + CTL_STATE_MAX_EXTRA, data, sizeof(data), 1),
			 -EINVAL);
	/* A kind already set is still replaced. */
	assert_int_equal(ctl_state_set_table(s, kind, data, 8, 1), 0);
	{
		struct sb_shm_snapshot *snap = snapshot();
		uint32_t seen = 0, prev = 0;
		uint64_t prev_end = 0;

		for (uint32_t i = 0; i < snap->nb_tables; i++) {
			const struct sb_shm_table *t = &snap->tables[i];

			if (t->kind <= SB_POL_TABLE_RULES) {
				continue;
			}
			assert_true(t->kind > prev);
			assert_true(t->offset >= prev_end);
			assert_int_equal(t->offset % 64, 0);
			assert_int_equal(t->size, t->kind == kind ? 8 : sizeof(data));
			assert_memory_equal((const uint8_t *)snap + t->offset, data, t->size);
			prev = t->kind;
			prev_end = t->offset + t->size;
			seen++;
		}
		assert_int_equal(seen, CTL_STATE_MAX_EXTRA);
		free(snap);
	}
	/* Room again after a drop. */
	assert_int_equal(ctl_state_set_table(s, kind, NULL, 0, 0), 0);
	assert_int_equal(ctl_state_set_table(s, kind + CTL_STATE_MAX_EXTRA, data, sizeof(data), 1), 0);
	ctl_state_close(s, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_extra_kinds),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
