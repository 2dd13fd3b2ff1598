/* SPDX-License-Identifier: Apache-2.0 */
/* The shared-memory ABI: control's writer against the data plane's reader, in one process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm/shm_abi.h"
#include "shm/shm_name.h"
#include "shm/shm_reader.h"
#include "shm/shm_writer.h"

static char name[64];
static uint32_t owner;

static int setup(void **state)
{
	static unsigned n;

	(void)state;
	snprintf(name, sizeof(name), "sbunit%d_%u", getpid(), n++);
	return 0;
}

static int teardown(void **state)
{
	char obj[96];

	(void)state;
	snprintf(obj, sizeof(obj), "/%s.policy", name);
	shm_unlink(obj);
	snprintf(obj, sizeof(obj), "/%s.status", name);
	shm_unlink(obj);
	return 0;
}

static void test_absent_then_waiting_then_attached(void **state)
{
	const struct sb_shm_snapshot *snap = NULL;
	struct shm_reader *r = shm_reader_new(name, 2, 0, &owner);
	struct shm_writer *w;
	uint64_t epoch = 0;
	int err = 0;

	(void)state;
	assert_non_null(r);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -ENOENT);
	assert_int_equal(shm_reader_state(r), SHM_STATE_ABSENT);
	assert_int_equal(shm_reader_epoch(r), 0);

	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_non_null(w);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EAGAIN);
	assert_int_equal(shm_reader_state(r), SHM_STATE_WAITING);

	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 1);
	assert_non_null(snap);
	assert_int_equal(snap->nb_tables, 0);
	assert_int_equal(shm_reader_state(r), SHM_STATE_ATTACHED);
	assert_int_equal(shm_reader_instance(r), shm_writer_instance(w));
	assert_int_equal(shm_reader_writer_pid(r), getpid());
	/* Nothing new: 0, and the snapshot stays. */
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 0);

	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

static void test_slot_reuse_waits_for_ack(void **state)
{
	const struct sb_shm_snapshot *snap;
	struct shm_reader *r = shm_reader_new(name, 1, 0, &owner);
	struct shm_writer *w;
	struct sb_shm_table t = {.kind = 0, .offset = 0, .size = 8, .count = 1};
	uint64_t data = 0x1122334455667788ull, epoch;
	int err;

	(void)state;
	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_non_null(w);
	assert_int_equal(shm_writer_publish(w, &t, 1, &data, sizeof(data)), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	/* Epoch 2 goes to the never-used slot. */
	assert_int_equal(shm_writer_publish(w, &t, 1, &data, sizeof(data)), 2);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 2);
	assert_int_equal(snap->tables[0].size, 8);
	assert_memory_equal((const uint8_t *)snap + snap->tables[0].offset, &data, sizeof(data));
	/* Epoch 3 would overwrite epoch 1's slot: not before the reader acks epoch 2. */
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), -EAGAIN);
	shm_reader_ack(r, 1);
	assert_int_equal(shm_writer_reader_acked(w), 1);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), -EAGAIN);
	shm_reader_ack(r, 2);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 3);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 3);

	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

static void test_refused_snapshot_slot_is_rewritten(void **state)
{
	const struct sb_shm_snapshot *snap, *good;
	struct shm_reader *r = shm_reader_new(name, 1, 0, &owner);
	struct shm_writer *w;
	struct sb_shm_table t = {.kind = 0, .offset = 0, .size = 8, .count = 1};
	uint64_t one = 1, two = 2, three = 3, four = 4, epoch;
	int err;

	(void)state;
	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_non_null(w);
	assert_int_equal(shm_writer_publish(w, &t, 1, &one, sizeof(one)), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	shm_reader_ack(r, 1);
	assert_int_equal(shm_writer_publish(w, &t, 1, &two, sizeof(two)), 2);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	good = snap;
	shm_reader_ack(r, 2);
	/* Epoch 3 lands in epoch 1's slot; the caller's checks refuse it. */
	assert_int_equal(shm_writer_publish(w, &t, 1, &three, sizeof(three)), 3);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 3);
	assert_ptr_not_equal(snap, good);
	/* Not acknowledged, not refused yet: the writer must wait. */
	assert_int_equal(shm_writer_publish(w, &t, 1, &four, sizeof(four)), -EAGAIN);
	shm_reader_refuse(r, 3);
	assert_int_equal(shm_writer_reader_acked(w), 2);
	/* Epoch 4 replaces the refused one in place; epoch 2's slot (the workers') is untouched. */
	assert_int_equal(shm_writer_publish(w, &t, 1, &four, sizeof(four)), 4);
	assert_int_equal(shm_writer_rewrites(w), 1);
	assert_memory_equal((const uint8_t *)good + good->tables[0].offset, &two, sizeof(two));
	assert_int_equal(good->epoch, 2);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 4);
	assert_memory_equal((const uint8_t *)snap + snap->tables[0].offset, &four, sizeof(four));
	/* Accepted: the normal alternation resumes once acknowledged. */
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), -EAGAIN);
	shm_reader_ack(r, 4);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 5);
	assert_int_equal(shm_writer_rewrites(w), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 5);

	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

static void test_writer_restart_reattaches_and_keeps_last_good(void **state)
{
	const struct sb_shm_snapshot *snap, *first;
	struct shm_reader *r = shm_reader_new(name, 1, 0, &owner);
	struct shm_writer *w;
	uint64_t epoch, inst1;
	int err;

	(void)state;
	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	assert_int_equal(shm_reader_poll(r, &first, &epoch), 1);
	inst1 = shm_reader_instance(r);
	shm_writer_destroy(w, true);

	/* Control gone: absent, but the snapshot workers use is still mapped and valid. */
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -ENOENT);
	assert_int_equal(shm_reader_epoch(r), 1);
	assert_true(shm_snapshot_valid(first, 1 << 16));

	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_non_null(w);
	assert_int_not_equal(shm_writer_instance(w), inst1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EAGAIN);
	assert_true(shm_snapshot_valid(first, 1 << 16)); /* old mapping retired, not unmapped */
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(epoch, 1);
	assert_int_equal(shm_reader_instance(r), shm_writer_instance(w));
	shm_reader_ack(r, 1);
	assert_int_equal(shm_writer_reader_acked(w), 1);

	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

/* Control restarting again and again before it publishes must not wedge the reader. */
static void test_many_restarts_without_publish(void **state)
{
	const struct sb_shm_snapshot *snap, *first;
	struct shm_reader *r = shm_reader_new(name, 1, 0, &owner);
	struct shm_writer *w;
	uint64_t epoch;
	int err;

	(void)state;
	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	assert_int_equal(shm_reader_poll(r, &first, &epoch), 1);
	shm_reader_ack(r, 1);
	for (int i = 0; i < 10; i++) {
		shm_writer_destroy(w, true);
		w = shm_writer_create(name, 1 << 16, &err, NULL);
		assert_non_null(w);
		assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EAGAIN);
		assert_non_null(strstr(shm_reader_error(r), "no snapshot"));
		assert_true(shm_snapshot_valid(first, 1 << 16)); /* still mapped for the workers */
	}
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), 1);
	assert_int_equal(shm_reader_instance(r), shm_writer_instance(w));
	shm_reader_ack(r, 1);
	assert_int_equal(shm_writer_reader_acked(w), 1);
	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

/* A second data plane on the same name is refused, and does not take the status object. */
static void test_second_reader_refused(void **state)
{
	int ready[2], go[2];
	struct shm_reader *r;
	char c = 0;
	pid_t child;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct shm_reader *mine = shm_reader_new(name, 1, 0, &owner);

		c = mine != NULL;
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		shm_reader_free(mine);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 1);
	r = shm_reader_new(name, 1, 0, &owner);
	assert_null(r);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(owner, (uint32_t)child);
	(void)!write(go[1], &c, 1);
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* Its owner gone, the name is free again. */
	r = shm_reader_new(name, 1, 0, &owner);
	assert_non_null(r);
	shm_reader_free(r);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

/* A segment from an incompatible writer is refused, with a reason. */
static void test_refuses_foreign_abi(void **state)
{
	const struct sb_shm_snapshot *snap;
	struct shm_reader *r = shm_reader_new(name, 1, 0, &owner);
	struct sb_shm_header *h;
	struct shm_writer *w;
	char obj[96];
	uint64_t epoch;
	int err, fd;

	(void)state;
	w = shm_writer_create(name, 1 << 16, &err, NULL);
	assert_int_equal(shm_writer_publish(w, NULL, 0, NULL, 0), 1);
	snprintf(obj, sizeof(obj), "/%s.policy", name);
	fd = shm_open(obj, O_RDWR, 0);
	assert_true(fd >= 0);
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(h != MAP_FAILED);

	h->abi_major = SB_SHM_ABI_MAJOR + 1;
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EPROTO);
	assert_int_equal(shm_reader_state(r), SHM_STATE_INVALID);
	assert_non_null(strstr(shm_reader_error(r), "ABI"));

	h->abi_major = SB_SHM_ABI_MAJOR;
	h->magic = 0;
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EPROTO);
	assert_non_null(strstr(shm_reader_error(r), "magic"));

	h->magic = SB_SHM_MAGIC;
	h->slot_offset[1] = h->segment_size; /* slot past the end */
	assert_int_equal(shm_reader_poll(r, &snap, &epoch), -EPROTO);

	munmap(h, sizeof(*h));
	close(fd);
	shm_writer_destroy(w, true);
	shm_reader_free(r);
}

static void test_snapshot_validation(void **state)
{
	static struct sb_shm_snapshot s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.magic = SB_SHM_SNAP_MAGIC;
	s.size = sizeof(s) + 64;
	assert_true(shm_snapshot_valid(&s, 4096));
	s.nb_tables = 1;
	s.tables[0].offset = sizeof(s);
	s.tables[0].size = 64;
	assert_true(shm_snapshot_valid(&s, 4096));
	s.tables[0].size = 65;
	assert_false(shm_snapshot_valid(&s, 4096));
	s.tables[0].size = 64;
	s.tables[0].offset = 0; /* overlaps the snapshot header */
	assert_false(shm_snapshot_valid(&s, 4096));
	s.tables[0].offset = sizeof(s);
	s.size = 8192;
	assert_false(shm_snapshot_valid(&s, 4096));
	s.size = sizeof(s);
	s.nb_tables = SB_SHM_MAX_TABLES + 1;
	assert_false(shm_snapshot_valid(&s, 4096));
	s.nb_tables = 0;
	s.magic = 0;
	assert_false(shm_snapshot_valid(&s, 4096));
}

static void test_publish_rejects_bad_tables(void **state)
{
	struct sb_shm_table t = {.offset = 4, .size = 8};
	uint64_t data = 0;
	struct shm_writer *w;
	int err;

	(void)state;
	w = shm_writer_create(name, 4096, &err, NULL);
	assert_non_null(w);
	assert_int_equal(shm_writer_publish(w, &t, 1, &data, sizeof(data)), -EINVAL);
	assert_int_equal(shm_writer_publish(w, NULL, SB_SHM_MAX_TABLES + 1, NULL, 0), -EINVAL);
	{
		static uint8_t big[8192];

		assert_int_equal(shm_writer_publish(w, NULL, 0, big, sizeof(big)), -E2BIG);
	}
	assert_int_equal(shm_writer_epoch(w), 0);
	shm_writer_destroy(w, true);
}

static void test_permissions_and_names(void **state)
{
	struct shm_writer *w;
	struct stat st;
	char path[128];
	int err = 0;

	(void)state;
	w = shm_writer_create(name, 4096, &err, NULL);
	assert_non_null(w);
	snprintf(path, sizeof(path), "/dev/shm/%s.policy", name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	shm_writer_destroy(w, true);
	assert_int_not_equal(stat(path, &st), 0);

	assert_true(sb_shm_name_valid("slimbridge"));
	assert_true(sb_shm_name_valid("a-b_c.9"));
	assert_false(sb_shm_name_valid(""));
	assert_false(sb_shm_name_valid(".hidden"));
	assert_false(sb_shm_name_valid("a/b"));
	assert_false(sb_shm_name_valid("a b"));
	assert_false(sb_shm_name_valid("0123456789012345678901234567890123456789012345678901234567"));
	assert_null(shm_writer_create("bad/name", 4096, &err, NULL));
	assert_int_equal(err, -EINVAL);
	assert_null(shm_reader_new("bad/name", 1, 0, &owner));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_absent_then_waiting_then_attached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_reuse_waits_for_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_snapshot_slot_is_rewritten, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writer_restart_reattaches_and_keeps_last_good,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_abi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_restarts_without_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_reader_refused, setup, teardown),
		cmocka_unit_test(test_snapshot_validation),
		cmocka_unit_test_setup_teardown(test_publish_rejects_bad_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions_and_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
