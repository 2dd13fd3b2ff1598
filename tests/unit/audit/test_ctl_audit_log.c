/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ctl_audit_log.c - audit segment files and queries
 * (control/audit/ctl_audit_log.c, ctl_audit_query.c) in a temporary
 * directory: appends read back, the last seq per worker learnt again at
 * open (records, or an empty segment's header), a torn tail cut at open
 * and appending going on after it, a header cut by a crash removed,
 * rotation by size and retention by count, the fsync policies counted,
 * query filters, order, limit and truncation, and the time texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_audit_log.h"
#include "ctl_audit_query.h"
#include "shm/policy_abi.h"

static char dir[256];

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sbtest-auditlog-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* A directory below, to be made by ctl_audit_log_open. */
	strncat(dir, "/a/b", sizeof(dir) - strlen(dir) - 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dir[strlen(dir) - 4] = '\0';
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct sb_audit_rec mkrec(uint32_t worker, uint64_t seq, uint64_t ts, const char *project,
				 int decision)
{
	struct sb_audit_rec r;

	memset(&r, 0, sizeof(r));
	r.type = SB_AUDIT_SLIM_COMMUNICATION;
	r.decision = (uint8_t)decision;
	r.worker = worker;
	r.seq = seq;
	r.ts_ns = ts;
	snprintf(r.src, sizeof(r.src), "acme/app%u/agent", worker);
	snprintf(r.dst, sizeof(r.dst), "partner/app/agent%llu", (unsigned long long)(seq % 3));
	snprintf(r.trust, sizeof(r.trust), "t-partner");
	snprintf(r.project, sizeof(r.project), "%s", project);
	return r;
}

static struct ctl_audit_log *open_log(uint64_t seg_bytes, uint32_t keep, enum ctl_audit_fsync f)
{
	struct ctl_audit_log_conf c = {.dir = dir, .segment_bytes = seg_bytes, .keep = keep,
				       .fsync = f};
	char err[512] = "";
	struct ctl_audit_log *l = ctl_audit_log_open(&c, err, sizeof(err));

	if (l == NULL) {
		fail_msg("ctl_audit_log_open: %s", err);
	}
	return l;
}

/* Appends records seq from..to of |worker| (time = seq) in one call. */
static void append(struct ctl_audit_log *l, uint32_t worker, uint64_t from, uint64_t to)
{
	size_t n = (size_t)(to - from + 1);
	uint8_t *f = malloc(n * CTL_AUDIT_FRAME_SIZE);
	char err[256];

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		struct sb_audit_rec r = mkrec(worker, from + i, 1000 + from + i, "proj", 1);

		ctl_audit_frame_encode(&r, f + i * CTL_AUDIT_FRAME_SIZE);
	}
	assert_int_equal(ctl_audit_log_append(l, f, n, err, sizeof(err)), (long)n);
	free(f);
}

/* Counts the records of every segment; checks each (worker, seq) appears once. */
static size_t count_all(uint64_t *corrupt)
{
	uint64_t *segs;
	size_t n, total = 0;
	static uint8_t seen[4][4096];

	memset(seen, 0, sizeof(seen));
	*corrupt = 0;
	assert_int_equal(ctl_audit_log_list(dir, &segs, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct ctl_audit_seg_map m;
		struct ctl_audit_seg_reader r;
		struct sb_audit_rec rec;

		assert_int_equal(ctl_audit_log_map(dir, segs[i], &m), 0);
		assert_true(m.hdr_ok);
		assert_int_equal(m.hdr.index, segs[i]);
		ctl_audit_seg_reader_init(&r, m.b, m.len, m.hdr_len);
		while (ctl_audit_seg_next(&r, &rec) == 1) {
			assert_true(rec.worker < 4 && rec.seq < 4096);
			assert_int_equal(seen[rec.worker][rec.seq], 0);
			seen[rec.worker][rec.seq] = 1;
			total++;
		}
		*corrupt += r.corrupt;
		ctl_audit_log_unmap(&m);
	}
	free(segs);
	return total;
}

static void test_append_reopen_learns_last(void **state)
{
	struct ctl_audit_log *l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	struct ctl_audit_log_stats st;
	uint64_t last, corrupt;

	(void)state;
	assert_false(ctl_audit_log_last(l, 0, &last));
	ctl_audit_log_set_workers(l, 2);
	append(l, 0, 1, 100);
	append(l, 1, 1, 40);
	append(l, 0, 101, 150);
	assert_true(ctl_audit_log_last(l, 0, &last));
	assert_int_equal(last, 150);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.records, 190);
	assert_int_equal(st.segments_created, 1);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.fsyncs, 0);
	ctl_audit_log_close(l);

	l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	assert_true(ctl_audit_log_last(l, 0, &last));
	assert_int_equal(last, 150);
	assert_true(ctl_audit_log_last(l, 1, &last));
	assert_int_equal(last, 40);
	assert_false(ctl_audit_log_last(l, 2, &last));
	/* Appending goes on in the same segment. */
	append(l, 1, 41, 45);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.segments_created, 0);
	assert_int_equal(st.segments, 1);
	ctl_audit_log_close(l);
	assert_int_equal(count_all(&corrupt), 195);
	assert_int_equal(corrupt, 0);
}

static void test_torn_tail_cut_at_open(void **state)
{
	struct ctl_audit_log *l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	struct ctl_audit_log_stats st;
	struct sb_audit_rec r = mkrec(0, 21, 0, "proj", 1);
	uint8_t f[CTL_AUDIT_FRAME_SIZE];
	char path[4200];
	struct stat sb;
	uint64_t last, corrupt;
	off_t good;
	int fd;

	(void)state;
	ctl_audit_log_set_workers(l, 1);
	append(l, 0, 1, 20);
	ctl_audit_log_close(l);
	/* A crash in the middle of writing record 21. */
	ctl_audit_log_path(dir, 1, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	good = sb.st_size;
	ctl_audit_frame_encode(&r, f);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f, 100), 100);
	close(fd);

	l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.torn_bytes_cut, 100);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, good);
	assert_true(ctl_audit_log_last(l, 0, &last));
	assert_int_equal(last, 20);	/* 21 was not written: the writer writes it again */
	append(l, 0, 21, 30);
	ctl_audit_log_close(l);
	assert_int_equal(count_all(&corrupt), 30);
	assert_int_equal(corrupt, 0);
}

static void test_cut_header_removed_and_empty_segment_header(void **state)
{
	struct ctl_audit_log *l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	struct ctl_audit_seg_hdr h = {.created_ns = 1, .index = 2, .nb_workers = 2,
				      .next_seq = {0, 43}};
	uint8_t b[CTL_AUDIT_SEG_HDR_MAX];
	char path[4200];
	size_t n;
	uint64_t last, *segs;
	int fd;

	(void)state;
	ctl_audit_log_set_workers(l, 2);
	append(l, 0, 1, 5);
	ctl_audit_log_close(l);
	/* Segment 2: a header only, as a writer that rotated and then died leaves it. */
	n = ctl_audit_seg_hdr_encode(&h, b, sizeof(b));
	ctl_audit_log_path(dir, 2, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	/* Segment 3: its header cut short by a crash. */
	ctl_audit_log_path(dir, 3, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, b, 20), 20);
	close(fd);

	l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_NEVER);
	assert_int_equal(access(path, F_OK), -1);	/* 3 is gone */
	assert_true(ctl_audit_log_last(l, 1, &last));
	assert_int_equal(last, 42);			/* from 2's header */
	assert_false(ctl_audit_log_last(l, 0, &last));	/* 2's header: unknown; 1 is not read */
	ctl_audit_log_set_workers(l, 2);
	append(l, 1, 43, 44);
	ctl_audit_log_close(l);
	assert_int_equal(ctl_audit_log_list(dir, &segs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(segs[0], 1);
	assert_int_equal(segs[1], 2);
	free(segs);
}

static void test_rotation_and_keep(void **state)
{
	/* Room for exactly 10 frames after a one-worker header. */
	uint64_t seg = 52 + 10 * CTL_AUDIT_FRAME_SIZE;
	struct ctl_audit_log *l = open_log(seg, 3, CTL_AUDIT_FSYNC_NEVER);
	struct ctl_audit_log_stats st;
	uint64_t *segs, corrupt;
	size_t n;

	(void)state;
	ctl_audit_log_set_workers(l, 1);
	append(l, 0, 1, 25);	/* 10 + 10 + 5 */
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.segments_created, 3);
	assert_int_equal(st.segments_removed, 0);
	append(l, 0, 26, 60);	/* 5 more in the third, then 3 more segments */
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.segments_created, 6);
	assert_int_equal(st.segments_removed, 3);
	assert_int_equal(st.segments, 3);
	assert_int_equal(ctl_audit_log_list(dir, &segs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(segs[0], 4);
	assert_int_equal(segs[2], 6);
	free(segs);
	/* Every segment within the size, and the kept ones hold seqs 31..60. */
	for (uint64_t i = 4; i <= 6; i++) {
		char path[4200];
		struct stat sb;

		ctl_audit_log_path(dir, i, path, sizeof(path));
		assert_int_equal(stat(path, &sb), 0);
		assert_true((uint64_t)sb.st_size <= seg);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	ctl_audit_log_close(l);
	assert_int_equal(count_all(&corrupt), 30);
	/* A lower keep at the next start removes the extra ones. */
	l = open_log(seg, 1, CTL_AUDIT_FSYNC_NEVER);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.segments, 1);
	ctl_audit_log_close(l);
	/* A segment smaller than one frame still takes one record each. */
	l = open_log(10, 100, CTL_AUDIT_FSYNC_NEVER);
	ctl_audit_log_set_workers(l, 1);
	append(l, 0, 61, 63);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.segments_created, 3);
	ctl_audit_log_close(l);
}

static void test_fsync_policies(void **state)
{
	struct ctl_audit_log *l = open_log(64u << 20, 16, CTL_AUDIT_FSYNC_ALWAYS);
	struct ctl_audit_log_stats st;
	struct ctl_audit_log_conf c = {.dir = dir, .segment_bytes = 64u << 20, .keep = 16,
				       .fsync = CTL_AUDIT_FSYNC_INTERVAL, .interval_ms = 50};
	char err[256];

	(void)state;
	ctl_audit_log_set_workers(l, 1);
	append(l, 0, 1, 5);
	append(l, 0, 6, 10);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.fsyncs, 2);		/* one per append */
	ctl_audit_log_close(l);

	l = ctl_audit_log_open(&c, err, sizeof(err));
	assert_non_null(l);
	append(l, 0, 11, 20);
	ctl_audit_log_tick(l, mono_ms());	/* too early */
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.fsyncs, 0);
	usleep(60000);
	ctl_audit_log_tick(l, mono_ms());	/* handed to the syncer thread */
	for (int i = 0; i < 200; i++) {
		ctl_audit_log_get_stats(l, &st);
		if (st.fsyncs != 0) {
			break;
		}
		usleep(10000);
	}
	assert_int_equal(st.fsyncs, 1);
	ctl_audit_log_tick(l, mono_ms() + 1000);	/* nothing new: no second sync */
	usleep(50000);
	ctl_audit_log_get_stats(l, &st);
	assert_int_equal(st.fsyncs, 1);
	/* written again: the next interval syncs again; a clean close syncs nothing left */
	append(l, 0, 21, 30);
	ctl_audit_log_tick(l, mono_ms() + 2000);
	ctl_audit_log_close(l);
}

static void test_query(void **state)
{
	struct ctl_audit_log *l = open_log(52 + 50 * CTL_AUDIT_FRAME_SIZE, 100,
					   CTL_AUDIT_FSYNC_NEVER);
	struct ctl_audit_filter f = {.decision = -1, .limit = 1000};
	struct ctl_audit_result res;
	uint8_t *frames = malloc(300 * CTL_AUDIT_FRAME_SIZE);
	char err[256];

	(void)state;
	ctl_audit_log_set_workers(l, 1);
	/* 300 records over 6 segments: times 1..300; every 4th denied; project by half. */
	for (uint64_t s = 1; s <= 300; s++) {
		struct sb_audit_rec r = mkrec(0, s, s, s <= 150 ? "alpha" : "beta",
					      s % 4 == 0 ? SB_AUDIT_DENIED : SB_AUDIT_ALLOWED);

		ctl_audit_frame_encode(&r, frames + (s - 1) * CTL_AUDIT_FRAME_SIZE);
	}
	assert_int_equal(ctl_audit_log_append(l, frames, 300, err, sizeof(err)), 300);
	free(frames);
	ctl_audit_log_close(l);

	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 300);
	assert_false(res.truncated);
	assert_int_equal(res.segments_read, 6);
	assert_int_equal(res.recs[0].seq, 300);		/* newest first */
	assert_int_equal(res.recs[299].seq, 1);
	free(res.recs);

	f.project = "alpha";
	f.decision = SB_AUDIT_DENIED;
	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 37);			/* 4, 8, ..., 148 */
	for (size_t i = 0; i < res.n; i++) {
		assert_string_equal(res.recs[i].project, "alpha");
		assert_int_equal(res.recs[i].decision, SB_AUDIT_DENIED);
	}
	free(res.recs);

	f = (struct ctl_audit_filter){.decision = -1, .limit = 1000, .has_since = true,
				      .since_ns = 200, .has_until = true, .until_ns = 210};
	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 10);			/* since inclusive, until exclusive */
	assert_int_equal(res.recs[0].ts_ns, 209);
	assert_int_equal(res.recs[9].ts_ns, 200);
	free(res.recs);

	f = (struct ctl_audit_filter){.decision = -1, .limit = 7, .destination = "partner/*1"};
	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 7);
	assert_true(res.truncated);
	assert_int_equal(res.recs[0].seq, 298);		/* the newest with seq % 3 == 1 */
	assert_int_equal(res.recs[6].seq, 280);
	free(res.recs);

	f = (struct ctl_audit_filter){.decision = -1, .limit = 5, .source = "nobody"};
	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 0);
	assert_false(res.truncated);
	free(res.recs);

	/* A damaged record is skipped and counted. */
	{
		char path[4200];
		int fd;

		ctl_audit_log_path(dir, 3, path, sizeof(path));
		fd = open(path, O_WRONLY);
		assert_int_equal(pwrite(fd, "XX", 2, 52 + 5 * CTL_AUDIT_FRAME_SIZE + 100), 2);
		close(fd);
	}
	f = (struct ctl_audit_filter){.decision = -1, .limit = 1000};
	assert_int_equal(ctl_audit_query_run(dir, &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 299);
	assert_int_equal(res.corrupt, 1);
	free(res.recs);

	/* A missing directory is no records. */
	assert_int_equal(ctl_audit_query_run("/nonexistent/sb-audit", &f, &res, err, sizeof(err)), 0);
	assert_int_equal(res.n, 0);
	free(res.recs);
}

static void test_times_and_texts(void **state)
{
	char b[CTL_AUDIT_TIME_MAX];
	uint64_t ns;
	struct sb_audit_rec r;
	char s[16] = "ab\x01\xff\xc3\xa9z";

	(void)state;
	assert_string_equal(ctl_audit_time_text(1714564800123456789ull, b, sizeof(b)),
			    "2024-05-01T12:00:00.123456789Z");
	assert_int_equal(ctl_audit_time_parse("2024-05-01T12:00:00Z", &ns), 0);
	assert_int_equal(ns, 1714564800000000000ull);
	assert_int_equal(ctl_audit_time_parse("2024-05-01T12:00:00.123456789Z", &ns), 0);
	assert_int_equal(ns, 1714564800123456789ull);
	assert_int_equal(ctl_audit_time_parse("2024-05-01t14:00:00.5+02:00", &ns), 0);
	assert_int_equal(ns, 1714564800500000000ull);
	assert_int_equal(ctl_audit_time_parse("2024-05-01T07:30:00-04:30", &ns), 0);
	assert_int_equal(ns, 1714564800000000000ull);
	assert_int_equal(ctl_audit_time_parse("1714564800", &ns), 0);
	assert_int_equal(ns, 1714564800000000000ull);
	assert_int_equal(ctl_audit_time_parse("1714564800.25", &ns), 0);
	assert_int_equal(ns, 1714564800250000000ull);
	assert_int_equal(ctl_audit_time_parse("", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("yesterday", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("2024-05-01T12:00:00", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("2024-13-01T12:00:00Z", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("2024-05-01T12:00:00Zx", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("12.", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("-5", &ns), -EINVAL);
	assert_int_equal(ctl_audit_time_parse("99999999999999999999", &ns), -EINVAL);

	memset(&r, 0, sizeof(r));
	r.enc = SB_AUDIT_ENC_MLS;
	r.mls_epoch = 7;
	assert_string_equal(ctl_audit_enc_text(&r, b, sizeof(b)), "mls epoch 7");
	r.enc = SB_AUDIT_ENC_AES_GCM;
	assert_string_equal(ctl_audit_enc_text(&r, b, sizeof(b)), "aes-256-gcm");
	r.enc = SB_AUDIT_ENC_NONE;
	assert_string_equal(ctl_audit_enc_text(&r, b, sizeof(b)), "none");
	assert_string_equal(ctl_audit_reason_text(SB_POL_REASON_TENANT_DISABLED),
			    "SLIM capability disabled at tenant level");
	assert_string_equal(ctl_audit_reason_text(250), "unknown reason");
	assert_string_equal(ctl_audit_level_name(SB_POL_LEVEL_PROJECT), "project");
	assert_string_equal(ctl_audit_level_name(SB_POL_LEVEL_NONE), "");
	assert_string_equal(ctl_audit_decision_name(SB_AUDIT_DENIED), "denied");
	assert_string_equal(ctl_audit_type_name(SB_AUDIT_SLIM_COMMUNICATION), "slim_communication");
	assert_int_equal(ctl_audit_type_parse("slim_communication"), SB_AUDIT_SLIM_COMMUNICATION);
	assert_int_equal(ctl_audit_type_parse("other"), -EINVAL);
	ctl_audit_text_clean(s, sizeof(s));
	assert_string_equal(s, "ab??\xc3\xa9z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_reopen_learns_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_cut_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_header_removed_and_empty_segment_header,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_and_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test(test_times_and_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
