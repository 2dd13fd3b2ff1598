/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit_ring.c - the audit rings (dataplane/audit/audit_ring.c) as the
 * data plane uses them: the object made with its geometry and mode 0600,
 * records produced and consumed by hand (the writer's side written here
 * against proto/shm/audit_abi.h), re-attaching with unread records kept
 * and seq going on, a geometry change refused while records are unread and
 * allowed (seq still going on) once drained, the full ring, the free-space
 * rule with AUDIT_RESERVE, and audit_copy_str.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_ring.h"

static char name[64];
static char obj[80];

static int setup(void **state)
{
	static int n;

	(void)state;
	snprintf(name, sizeof(name), "sbtest-audit-%d-%d", (int)getpid(), n++);
	snprintf(obj, sizeof(obj), "/%s%s", name, SB_AUDIT_SUFFIX);
	shm_unlink(obj);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shm_unlink(obj);
	return 0;
}

static struct audit_shm *open_ok(uint32_t rings, uint32_t size)
{
	struct audit_shm *s = NULL;
	char err[512] = "";
	int rc = audit_shm_open(name, rings, size, &s, err, sizeof(err));

	if (rc != 0) {
		fail_msg("audit_shm_open: %d %s", rc, err);
	}
	assert_non_null(s);
	return s;
}

/* The consumer's view, mapped separately as the control process maps it. */
struct view {
	struct sb_audit_hdr *h;
	size_t size;
};

static struct view map_view(void)
{
	struct view v;
	struct stat st;
	int fd = shm_open(obj, O_RDWR, 0);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	v.size = (size_t)st.st_size;
	v.h = mmap(NULL, v.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(v.h != MAP_FAILED);
	return v;
}

static struct sb_audit_ring *vring(struct view *v, uint32_t i)
{
	return (struct sb_audit_ring *)((uint8_t *)v->h + v->h->ring_offset +
					(uint64_t)i * v->h->ring_stride);
}

static const struct sb_audit_rec *vrec(struct view *v, uint32_t i, uint64_t idx)
{
	return (const struct sb_audit_rec *)(vring(v, i) + 1) + (idx & (v->h->ring_size - 1));
}

/* Consumes |n| records of ring |i| by hand, checking their seqs run on from |*next|. */
static void consume(struct view *v, uint32_t i, uint64_t n, uint64_t *next)
{
	struct sb_audit_ring *r = vring(v, i);
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->tail;

	assert_true(head - tail >= n);
	for (uint64_t k = 0; k < n; k++) {
		const struct sb_audit_rec *rec = vrec(v, i, tail + k);

		assert_int_equal(rec->worker, i);
		assert_int_equal(rec->seq, *next);
		(*next)++;
	}
	__atomic_store_n(&r->tail, tail + n, __ATOMIC_RELEASE);
}

static void produce(struct audit_ring *r, uint64_t n, const char *project)
{
	for (uint64_t k = 0; k < n; k++) {
		struct sb_audit_rec *rec = audit_ring_slot(r);

		assert_non_null(rec);
		rec->type = SB_AUDIT_SLIM_COMMUNICATION;
		audit_copy_str(rec->project, sizeof(rec->project), project, strlen(project));
		audit_ring_commit(r);
	}
}

static void test_create(void **state)
{
	struct audit_shm *s;
	struct audit_ring r;
	struct stat st;
	struct view v;
	int fd;

	(void)state;
	s = open_ok(3, 1024);
	fd = shm_open(obj, O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((uint64_t)st.st_size, 4096 + 3 * (128 + 1024 * 256));
	v = map_view();
	assert_int_equal(v.h->magic, SB_AUDIT_MAGIC);
	assert_int_equal(v.h->version, SB_AUDIT_VERSION);
	assert_int_equal(v.h->rec_size, SB_AUDIT_REC_SIZE);
	assert_int_equal(v.h->nb_rings, 3);
	assert_int_equal(v.h->ring_size, 1024);
	assert_int_equal(v.h->ring_offset, 4096);
	assert_int_equal(v.h->ring_stride, 128 + 1024 * 256);
	assert_int_equal(v.h->total_size, st.st_size);
	assert_int_equal(v.h->producer_pid, getpid());
	assert_int_equal(v.h->consumer_pid, 0);
	audit_shm_ring(s, 2, &r);
	assert_int_equal(r.worker, 2);
	assert_int_equal(r.head, 0);
	assert_int_equal(r.seq, 0);
	assert_int_equal(audit_ring_free(&r), 1024);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_bad_arguments(void **state)
{
	struct audit_shm *s = NULL;
	char err[256];

	(void)state;
	assert_int_equal(audit_shm_open(name, 0, 1024, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(audit_shm_open(name, SB_AUDIT_MAX_RINGS + 1, 1024, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(audit_shm_open(name, 1, 1000, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(audit_shm_open(name, 1, 512, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(audit_shm_open(name, 1, 1u << 21, &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(audit_shm_open("bad/name", 1, 1024, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
}

static void test_produce_and_consume(void **state)
{
	struct audit_shm *s;
	struct audit_ring r0, r1;
	struct view v;
	uint64_t next0 = 1, next1 = 1;

	(void)state;
	s = open_ok(2, 1024);
	audit_shm_ring(s, 0, &r0);
	audit_shm_ring(s, 1, &r1);
	v = map_view();
	produce(&r0, 700, "p0");
	produce(&r1, 10, "p1");
	assert_int_equal(vring(&v, 0)->head, 700);
	assert_int_equal(vring(&v, 1)->head, 10);
	/* Every slot starts zeroed: nothing of an earlier record shows through. */
	assert_string_equal(vrec(&v, 0, 5)->project, "p0");
	assert_int_equal(vrec(&v, 0, 5)->msg_bytes, 0);
	assert_string_equal(vrec(&v, 1, 9)->project, "p1");
	consume(&v, 0, 700, &next0);
	consume(&v, 1, 10, &next1);
	/* Around the ring several times, consuming as we go: seq never skips. */
	for (int round = 0; round < 10; round++) {
		produce(&r0, 500, "p0");
		consume(&v, 0, 500, &next0);
	}
	assert_int_equal(next0, 5701);
	assert_int_equal(r0.seq, 5700);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_reattach_keeps_unread(void **state)
{
	struct audit_shm *s;
	struct audit_ring r;
	struct view v;
	uint64_t next = 1;

	(void)state;
	s = open_ok(2, 1024);
	audit_shm_ring(s, 1, &r);
	produce(&r, 300, "x");
	v = map_view();
	consume(&v, 1, 100, &next);	/* 200 unread */
	v.h->consumer_pid = 4242;	/* a writer was here */
	munmap(v.h, v.size);
	audit_shm_close(s);

	/* The data plane restarts with the same geometry. */
	s = open_ok(2, 1024);
	v = map_view();
	assert_int_equal(vring(&v, 1)->head, 300);
	assert_int_equal(vring(&v, 1)->tail, 100);
	assert_int_equal(v.h->consumer_pid, 4242);	/* the writer's mark stays */
	audit_shm_ring(s, 1, &r);
	assert_int_equal(r.seq, 300);
	produce(&r, 5, "x");
	consume(&v, 1, 205, &next);
	assert_int_equal(next, 306);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_geometry_change_refused_while_unread(void **state)
{
	struct audit_shm *s, *s2 = NULL;
	struct audit_ring r;
	struct view v;
	char err[512] = "";
	uint64_t next = 1;

	(void)state;
	s = open_ok(2, 1024);
	audit_shm_ring(s, 0, &r);
	produce(&r, 10, "x");
	audit_shm_close(s);
	assert_int_equal(audit_shm_open(name, 4, 2048, &s2, err, sizeof(err)), -EBUSY);
	assert_null(s2);
	assert_non_null(strstr(err, "10 unread"));
	/* Untouched: still two rings of 1024 with the ten records. */
	v = map_view();
	assert_int_equal(v.h->nb_rings, 2);
	assert_int_equal(v.h->ring_size, 1024);
	assert_int_equal(vring(&v, 0)->head, 10);
	/* Drained, the change goes through; seq goes on where it stopped. */
	consume(&v, 0, 10, &next);
	munmap(v.h, v.size);
	s = open_ok(4, 2048);
	v = map_view();
	assert_int_equal(v.h->nb_rings, 4);
	assert_int_equal(v.h->ring_size, 2048);
	assert_int_equal(v.h->consumer_pid, 0);		/* a new object */
	assert_int_equal(vring(&v, 0)->head, vring(&v, 0)->tail);
	audit_shm_ring(s, 0, &r);
	assert_int_equal(r.seq, 10);
	produce(&r, 3, "x");
	consume(&v, 0, 3, &next);
	assert_int_equal(next, 14);
	audit_shm_ring(s, 3, &r);	/* a new ring starts at 1 */
	assert_int_equal(r.seq, 0);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_full_ring_returns_null(void **state)
{
	struct audit_shm *s;
	struct audit_ring r;
	struct view v;
	uint64_t next = 1;

	(void)state;
	s = open_ok(1, 1024);
	audit_shm_ring(s, 0, &r);
	produce(&r, 1024, "x");
	assert_int_equal(audit_ring_free(&r), 0);
	assert_null(audit_ring_slot(&r));
	assert_int_equal(r.seq, 1024);		/* a refused slot takes no seq */
	v = map_view();
	consume(&v, 0, 1, &next);
	assert_non_null(audit_ring_slot(&r));	/* re-reads the tail when it looks full */
	audit_ring_commit(&r);
	assert_null(audit_ring_slot(&r));
	assert_int_equal(vring(&v, 0)->head, 1025);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_free_space_with_reserve(void **state)
{
	struct audit_shm *s;
	struct audit_ring r;
	struct view v;
	uint64_t next = 1;

	(void)state;
	s = open_ok(1, 2048);
	audit_shm_ring(s, 0, &r);
	v = map_view();
	produce(&r, 2048 - AUDIT_RESERVE, "x");
	assert_int_equal(audit_ring_free(&r), AUDIT_RESERVE);
	/* The writer frees 100; the producer does not look while it has its reserve... */
	consume(&v, 0, 100, &next);
	assert_int_equal(audit_ring_free(&r), AUDIT_RESERVE);
	assert_true(audit_ring_free(&r) >= AUDIT_RESERVE);	/* the caller may take input */
	/* ...and does once the reserve would not fit. */
	produce(&r, 1, "x");
	assert_int_equal(audit_ring_free(&r), AUDIT_RESERVE - 1 + 100);
	assert_int_equal(r.tail_cache, 100);
	/* Below the reserve: the worker takes no input (back-pressure) and counts a wait. */
	produce(&r, AUDIT_RESERVE + 100 - AUDIT_RESERVE + 1, "x");
	assert_true(audit_ring_free(&r) < AUDIT_RESERVE);
	audit_ring_wait(&r);
	audit_ring_wait(&r);
	assert_int_equal(vring(&v, 0)->waits, 2);
	munmap(v.h, v.size);
	audit_shm_close(s);
}

static void test_foreign_object_kept(void **state)
{
	struct audit_shm *s = NULL;
	char err[256];
	uint8_t junk[8192];
	int fd;

	(void)state;
	fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(audit_shm_open(name, 1, 1024, &s, err, sizeof(err)), -EPROTO);
	assert_null(s);
	/* An all-zero header (a creator that died before writing it) is replaced. */
	fd = shm_open(obj, O_RDWR, 0);
	memset(junk, 0, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	close(fd);
	s = open_ok(1, 1024);
	audit_shm_close(s);
}

static void test_copy_str(void **state)
{
	char f[8];

	(void)state;
	memset(f, 'z', sizeof(f));
	audit_copy_str(f, sizeof(f), "abc", 3);
	assert_memory_equal(f, "abc\0\0\0\0\0", 8);
	audit_copy_str(f, sizeof(f), "abcdefghij", 10);
	assert_memory_equal(f, "abcdefg\0", 8);
	audit_copy_str(f, sizeof(f), "ab\0cd", 5);
	assert_memory_equal(f, "ab\0\0\0\0\0\0", 8);
	/* U+00E9 (2 bytes) that fits stays; one the cut would split goes whole. */
	audit_copy_str(f, sizeof(f), "abcde\xc3\xa9xyz", 10);
	assert_memory_equal(f, "abcde\xc3\xa9\0", 8);
	audit_copy_str(f, sizeof(f), "abcdef\xc3\xa9", 8);
	assert_memory_equal(f, "abcdef\0\0", 8);
	audit_copy_str(f, sizeof(f), NULL, 0);
	assert_memory_equal(f, "\0\0\0\0\0\0\0\0", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_produce_and_consume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reattach_keeps_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_geometry_change_refused_while_unread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_returns_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_space_with_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_object_kept, setup, teardown),
		cmocka_unit_test(test_copy_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
