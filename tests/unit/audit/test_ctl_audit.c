/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ctl_audit.c - the control process's audit writer (control/audit/
 * ctl_audit.c) on real rings made with dataplane/audit/audit_ring.c, in a
 * temporary directory (the gRPC server is only a method table here: no
 * sockets). Every record drained exactly once while the producer is held
 * back by full rings; records a crashed writer had written but not released
 * are skipped by (worker, seq); a new object whose seqs start again is
 * written whole; a seq jump is counted as a gap; a re-created object is
 * found by its inode and drained.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "audit/ctl_audit_internal.h"
#include "audit_ring.h"
#include "grpc_server.h"

static char name[64], obj[80], dir[256];
static struct grpc_server *srv;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	static int n;

	(void)state;
	snprintf(name, sizeof(name), "sbtest-ctlaudit-%d-%d", (int)getpid(), n++);
	snprintf(obj, sizeof(obj), "/%s%s", name, SB_AUDIT_SUFFIX);
	shm_unlink(obj);
	snprintf(dir, sizeof(dir), "/tmp/sbtest-ctlaudit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	srv = grpc_server_new();
	assert_non_null(srv);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shm_unlink(obj);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	grpc_server_free(srv);
	return 0;
}

static struct ctl_audit *start(void)
{
	struct ctl_audit_conf c = {.shm_name = name, .dir = dir, .segment_bytes = 1u << 20,
				   .keep = 1000, .fsync = CTL_AUDIT_FSYNC_NEVER, .quiet = true};
	char err[512] = "";
	struct ctl_audit *a;

	/* A fresh method table each time: the methods are registered once per server. */
	grpc_server_free(srv);
	srv = grpc_server_new();
	a = ctl_audit_new(&c, srv, err, sizeof(err));
	if (a == NULL) {
		fail_msg("ctl_audit_new: %s", err);
	}
	return a;
}

static void stop(struct ctl_audit *a)
{
	ctl_audit_stop(a);
	ctl_audit_free(a);
}

static uint64_t counter(struct ctl_audit *a, const uint64_t *c)
{
	(void)a;
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Waits (up to 20 s) until the writer has written |n| records. */
static void wait_records(struct ctl_audit *a, uint64_t n)
{
	for (int i = 0; i < 20000 && counter(a, &a->cnt.records) < n; i++) {
		usleep(1000);
	}
	assert_int_equal(counter(a, &a->cnt.records), n);
}

static struct audit_shm *rings(uint32_t n, uint32_t size)
{
	struct audit_shm *s = NULL;
	char err[512] = "";

	if (audit_shm_open(name, n, size, &s, err, sizeof(err)) != 0) {
		fail_msg("audit_shm_open: %s", err);
	}
	return s;
}

/* Produces |n| records on |r| as a worker does: no input without the reserve. */
static uint64_t produce(struct audit_ring *r, uint64_t n)
{
	uint64_t waits = 0;

	for (uint64_t k = 0; k < n;) {
		struct sb_audit_rec *rec;

		if (audit_ring_free(r) < AUDIT_RESERVE) {
			audit_ring_wait(r);
			waits++;
			usleep(50);
			continue;
		}
		rec = audit_ring_slot(r);
		assert_non_null(rec);
		rec->type = SB_AUDIT_SLIM_COMMUNICATION;
		rec->ts_ns = 1000 + rec->seq;
		audit_copy_str(rec->project, sizeof(rec->project), "p", 1);
		audit_ring_commit(r);
		k++;
	}
	return waits;
}

struct prod {
	struct audit_ring r;
	uint64_t n, waits;
	pthread_t th;
};

static void *prod_main(void *arg)
{
	struct prod *p = arg;

	p->waits = produce(&p->r, p->n);
	return NULL;
}

/* Reads every segment; counts[w][seq] += 1 for seq < cap. Returns the records. */
static uint64_t tally(uint32_t workers, uint64_t cap, uint8_t *counts)
{
	uint64_t *segs, total = 0;
	size_t n;

	memset(counts, 0, workers * cap);
	assert_int_equal(ctl_audit_log_list(dir, &segs, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct ctl_audit_seg_map m;
		struct ctl_audit_seg_reader r;
		struct sb_audit_rec rec;

		assert_int_equal(ctl_audit_log_map(dir, segs[i], &m), 0);
		ctl_audit_seg_reader_init(&r, m.b, m.len, m.hdr_len);
		while (ctl_audit_seg_next(&r, &rec) == 1) {
			assert_true(rec.worker < workers);
			assert_true(rec.seq < cap);
			counts[rec.worker * cap + rec.seq]++;
			total++;
		}
		assert_int_equal(r.corrupt, 0);
		ctl_audit_log_unmap(&m);
	}
	free(segs);
	return total;
}

static void test_exactly_once_with_back_pressure(void **state)
{
	enum { N = 30000 };
	struct audit_shm *s = rings(2, 1024);
	struct ctl_audit *a;
	struct prod p[2];
	uint8_t *counts = malloc(2 * (N + 1));

	(void)state;
	for (uint32_t i = 0; i < 2; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		audit_shm_ring(s, i, &p[i].r);
		p[i].n = N;
	}
	/* The rings fill before the writer starts: the producers must wait. */
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&p[i].th, NULL, prod_main, &p[i]), 0);
	}
	usleep(100000);
	a = start();
	for (uint32_t i = 0; i < 2; i++) {
		pthread_join(p[i].th, NULL);
		assert_true(p[i].waits > 0);
	}
	wait_records(a, 2 * N);
	assert_int_equal(counter(a, &a->cnt.gaps), 0);
	assert_int_equal(counter(a, &a->cnt.duplicates), 0);
	pthread_mutex_lock(&a->shm_lock);
	assert_int_equal(__atomic_load_n(&a->hdr->consumer_pid, __ATOMIC_ACQUIRE), (uint32_t)getpid());
	pthread_mutex_unlock(&a->shm_lock);
	stop(a);
	assert_int_equal(tally(2, N + 1, counts), 2 * N);
	for (uint32_t w = 0; w < 2; w++) {
		for (uint64_t q = 1; q <= N; q++) {
			assert_int_equal(counts[w * (N + 1) + q], 1);
		}
	}
	free(counts);
	audit_shm_close(s);
}

/* A segment written as a crashed writer left it: worker 0, seqs from..to. */
static void write_segment(uint64_t from, uint64_t to)
{
	struct ctl_audit_log_conf c = {.dir = dir, .segment_bytes = 1u << 20, .keep = 1000,
				       .fsync = CTL_AUDIT_FSYNC_NEVER};
	char err[256];
	struct ctl_audit_log *l = ctl_audit_log_open(&c, err, sizeof(err));
	uint8_t f[CTL_AUDIT_FRAME_SIZE];

	assert_non_null(l);
	ctl_audit_log_set_workers(l, 1);
	for (uint64_t q = from; q <= to; q++) {
		struct sb_audit_rec r = {.type = SB_AUDIT_SLIM_COMMUNICATION, .worker = 0, .seq = q,
					 .ts_ns = 1000 + q};

		ctl_audit_frame_encode(&r, f);
		assert_int_equal(ctl_audit_log_append(l, f, 1, err, sizeof(err)), 1);
	}
	ctl_audit_log_close(l);
}

static void test_restart_skips_written_records(void **state)
{
	struct audit_shm *s = rings(1, 1024);
	struct audit_ring r;
	struct ctl_audit *a;
	uint8_t counts[1 + 200];
	struct sb_audit_hdr *h;

	(void)state;
	audit_shm_ring(s, 0, &r);
	produce(&r, 150);
	/* The writer had written 1..100, then died before moving the tail. */
	write_segment(1, 100);
	h = (struct sb_audit_hdr *)((uint8_t *)r.r - 4096);
	h->consumer_pid = 999999;
	a = start();
	for (int i = 0; i < 20000 && __atomic_load_n(&r.r->tail, __ATOMIC_ACQUIRE) != 150; i++) {
		usleep(1000);
	}
	assert_int_equal(r.r->tail, 150);
	wait_records(a, 50);
	assert_int_equal(counter(a, &a->cnt.duplicates), 100);
	assert_int_equal(counter(a, &a->cnt.gaps), 0);
	/* And it goes on from there. */
	produce(&r, 10);
	wait_records(a, 60);
	stop(a);
	assert_int_equal(tally(1, 201, counts), 160);
	for (uint64_t q = 1; q <= 160; q++) {
		assert_int_equal(counts[q], 1);
	}
	audit_shm_close(s);
}

static void test_new_object_restarts_seq(void **state)
{
	struct audit_shm *s;
	struct audit_ring r;
	struct ctl_audit *a;
	uint8_t counts[1 + 600];

	(void)state;
	write_segment(1, 500);		/* an earlier object's records */
	s = rings(1, 1024);		/* a new object: no writer has seen it */
	audit_shm_ring(s, 0, &r);
	produce(&r, 50);
	a = start();
	wait_records(a, 50);
	assert_int_equal(counter(a, &a->cnt.seq_restarts), 1);
	assert_int_equal(counter(a, &a->cnt.duplicates), 0);
	assert_int_equal(counter(a, &a->cnt.gaps), 0);
	stop(a);
	assert_int_equal(tally(1, 601, counts), 550);
	assert_int_equal(counts[1], 2);		/* once per object */
	assert_int_equal(counts[50], 2);
	assert_int_equal(counts[51], 1);
	audit_shm_close(s);
}

static void test_gap_counted(void **state)
{
	struct audit_shm *s = rings(1, 1024);
	struct audit_ring r;
	struct ctl_audit *a;

	(void)state;
	a = start();
	audit_shm_ring(s, 0, &r);
	produce(&r, 10);
	wait_records(a, 10);
	r.seq += 5;			/* a producer bug: five seqs never produced */
	produce(&r, 10);
	wait_records(a, 20);
	assert_int_equal(counter(a, &a->cnt.gaps), 1);
	stop(a);
	audit_shm_close(s);
}

static void test_recreated_object_followed(void **state)
{
	struct audit_shm *s = rings(1, 1024);
	struct audit_ring r;
	struct ctl_audit *a;
	uint8_t counts[1 + 100];

	(void)state;
	a = start();
	audit_shm_ring(s, 0, &r);
	produce(&r, 30);
	wait_records(a, 30);
	audit_shm_close(s);
	/* The data plane comes back with more workers: a new object, seq carried on. */
	s = rings(2, 2048);
	audit_shm_ring(s, 0, &r);
	assert_int_equal(r.seq, 30);
	produce(&r, 20);
	wait_records(a, 50);
	assert_int_equal(counter(a, &a->cnt.attaches), 2);
	assert_int_equal(counter(a, &a->cnt.gaps), 0);
	assert_int_equal(counter(a, &a->cnt.seq_restarts), 0);
	stop(a);
	assert_int_equal(tally(1, 101, counts), 50);
	for (uint64_t q = 1; q <= 50; q++) {
		assert_int_equal(counts[q], 1);
	}
	audit_shm_close(s);
}

static void test_default_dir_and_fsync_names(void **state)
{
	char b[256];

	(void)state;
	ctl_audit_default_dir("slimbridge-control.db", "sb", b, sizeof(b));
	assert_string_equal(b, "audit-sb");
	ctl_audit_default_dir("/var/lib/slimbridge/policy.db", "sb", b, sizeof(b));
	assert_string_equal(b, "/var/lib/slimbridge/audit-sb");
	ctl_audit_default_dir("/policy.db", "x", b, sizeof(b));
	assert_string_equal(b, "/audit-x");
	assert_int_equal(ctl_audit_fsync_parse("always"), CTL_AUDIT_FSYNC_ALWAYS);
	assert_int_equal(ctl_audit_fsync_parse("interval"), CTL_AUDIT_FSYNC_INTERVAL);
	assert_int_equal(ctl_audit_fsync_parse("never"), CTL_AUDIT_FSYNC_NEVER);
	assert_true(ctl_audit_fsync_parse("sometimes") < 0);
	assert_string_equal(ctl_audit_fsync_name(CTL_AUDIT_FSYNC_INTERVAL), "interval");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exactly_once_with_back_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_skips_written_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_object_restarts_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recreated_object_followed, setup, teardown),
		cmocka_unit_test(test_default_dir_and_fsync_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
