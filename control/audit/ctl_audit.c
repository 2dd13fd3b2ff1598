/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit.c - the audit module's life cycle and its writer thread: attach
 * the audit rings, drain them into segment files, release each ring's
 * records only once written (ctl_audit.h).
 */
#include "ctl_audit_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IDLE_SLEEP_NS 1000000		/* 1 ms between empty passes */
#define BUSY_SLEEP_NS 50000		/* 50 us right after records came... */
#define BUSY_PASSES 20			/* ...for this many empty passes */
#define RETRY_SLEEP_NS 1000000000	/* after a write error: the rings hold the records */
#define STOP_DRAIN_MS 1000
#define GAP_LOGS 100			/* gaps logged one by one; then every 10000th */

struct ctl_audit_meta {
	uint32_t ring;
	uint32_t flags;
	uint64_t tail_after;		/* the ring's tail once this frame is written */
	uint64_t seq;
	uint64_t expected;		/* what the ring expected before it */
};

#define F_GAP 1u
#define F_RESTART 2u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};

	nanosleep(&ts, NULL);
}

static void bump(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static bool stopping(const struct ctl_audit *a)
{
	return __atomic_load_n(&a->stop, __ATOMIC_ACQUIRE) != 0;
}

static struct sb_audit_ring *ring_at(const struct sb_audit_hdr *h, uint32_t i)
{
	return (struct sb_audit_ring *)((uint8_t *)h + h->ring_offset + (uint64_t)i * h->ring_stride);
}

void ctl_audit_default_dir(const char *db, const char *name, char *buf, size_t cap)
{
	const char *slash = strrchr(db, '/');

	if (slash == NULL) {
		snprintf(buf, cap, "audit-%s", name);
	} else if (slash == db) {
		snprintf(buf, cap, "/audit-%s", name);
	} else {
		snprintf(buf, cap, "%.*s/audit-%s", (int)(slash - db), db, name);
	}
}

int ctl_audit_fsync_parse(const char *s)
{
	if (strcmp(s, "always") == 0) {
		return CTL_AUDIT_FSYNC_ALWAYS;
	}
	if (strcmp(s, "interval") == 0) {
		return CTL_AUDIT_FSYNC_INTERVAL;
	}
	if (strcmp(s, "never") == 0) {
		return CTL_AUDIT_FSYNC_NEVER;
	}
	return -EINVAL;
}

const char *ctl_audit_fsync_name(enum ctl_audit_fsync f)
{
	return f == CTL_AUDIT_FSYNC_ALWAYS ? "always" : f == CTL_AUDIT_FSYNC_NEVER ? "never"
										  : "interval";
}

static void publish_stats(struct ctl_audit *a)
{
	pthread_mutex_lock(&a->stats_lock);
	ctl_audit_log_get_stats(a->log, &a->lst);
	pthread_mutex_unlock(&a->stats_lock);
}

/* ---------------------------------------------------------------- attaching */

/*
 * The object's header as the data plane wrote it: checked before any ring
 * is read (the writer must not fault on a damaged or half-made object).
 */
static bool hdr_valid(const struct sb_audit_hdr *h, size_t size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SB_AUDIT_MAGIC ||
	    h->version != SB_AUDIT_VERSION || h->rec_size != SB_AUDIT_REC_SIZE ||
	    h->nb_rings == 0 || h->nb_rings > SB_AUDIT_MAX_RINGS || h->ring_size == 0 ||
	    (h->ring_size & (h->ring_size - 1)) != 0 || h->ring_offset != sizeof(*h) ||
	    h->ring_stride != sizeof(struct sb_audit_ring) + (uint64_t)h->ring_size * SB_AUDIT_REC_SIZE ||
	    h->total_size != h->ring_offset + (uint64_t)h->nb_rings * h->ring_stride ||
	    h->total_size != size) {
		return false;
	}
	return true;
}

static void detach(struct ctl_audit *a)
{
	if (a->hdr == NULL) {
		return;
	}
	pthread_mutex_lock(&a->shm_lock);
	munmap(a->hdr, a->size);
	a->hdr = NULL;
	a->size = 0;
	pthread_mutex_unlock(&a->shm_lock);
}

static size_t drain(struct ctl_audit *a);

/* Attaches the object, or a new one of the same name (looked for every 100 ms). */
static void check_attach(struct ctl_audit *a, uint64_t now_ms)
{
	static bool told_invalid;
	struct sb_audit_hdr *h;
	struct stat st;
	uint64_t unread = 0;
	void *p;
	int fd;

	a->last_check_ms = now_ms;
	fd = shm_open(a->obj, O_RDWR, 0);
	if (fd < 0) {
		return;		/* none (yet): a mapped one stays until drained and replaced */
	}
	if (fstat(fd, &st) < 0 || (a->hdr != NULL && st.st_dev == a->dev && st.st_ino == a->ino) ||
	    (size_t)st.st_size < sizeof(struct sb_audit_hdr)) {
		close(fd);
		return;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		return;
	}
	h = p;
	if (!hdr_valid(h, (size_t)st.st_size)) {
		/* Being made (the magic is written last), or not ours: look again later. */
		if (!told_invalid && h->magic != 0) {
			fprintf(stderr, "slimbridge-control: audit: /dev/shm%s is not a valid audit object (version %u); not attached\n",
				a->obj, h->version);
			told_invalid = true;
		}
		munmap(p, (size_t)st.st_size);
		return;
	}
	told_invalid = false;
	if (a->hdr != NULL) {
		/* The data plane made a new object: what the old one holds goes first. */
		for (int i = 0; i < 1000 && drain(a) != 0; i++) {
		}
		detach(a);
	}
	for (uint32_t i = 0; i < h->nb_rings; i++) {
		struct sb_audit_ring *r = ring_at(h, i);
		struct ctl_audit_rs *rs = &a->rs[i];
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), last;
		bool known = ctl_audit_log_last(a->log, i, &last);

		memset(rs, 0, sizeof(*rs));
		rs->tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		rs->fresh = h->consumer_pid == 0;
		rs->dedup = !rs->fresh && known;
		rs->dedup_until = known ? last : 0;
		rs->expected = known ? last + 1 : 0;
		if (head >= rs->tail && head - rs->tail <= h->ring_size) {
			unread += head - rs->tail;
		}
	}
	if (h->consumer_pid != 0 && h->consumer_pid != (uint32_t)getpid() && !a->conf.quiet) {
		printf("slimbridge-control: audit: taking over from writer pid %u\n", h->consumer_pid);
	}
	__atomic_store_n(&h->consumer_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
	ctl_audit_log_set_workers(a->log, h->nb_rings);
	pthread_mutex_lock(&a->shm_lock);
	a->hdr = h;
	a->size = (size_t)st.st_size;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	pthread_mutex_unlock(&a->shm_lock);
	bump(&a->cnt.attaches, 1);
	if (!a->conf.quiet) {
		printf("slimbridge-control: audit: attached /dev/shm%s: %u rings of %u records, %" PRIu64
		       " unread (data plane pid %u)\n",
		       a->obj, h->nb_rings, h->ring_size, unread, h->producer_pid);
		fflush(stdout);
	}
}

/* ---------------------------------------------------------------- draining */

static void report(struct ctl_audit *a, const struct ctl_audit_meta *m)
{
	if (m->flags & F_RESTART) {
		bump(&a->cnt.seq_restarts, 1);
		fprintf(stderr, "slimbridge-control: audit: worker %u: seq starts again at %" PRIu64
				" (a new audit object; %" PRIu64 " was the last written)\n",
			m->ring, m->seq, m->expected - 1);
	}
	if (m->flags & F_GAP) {
		bump(&a->cnt.gaps, 1);
		if (a->gap_logs++ < GAP_LOGS || a->gap_logs % 10000 == 0) {
			fprintf(stderr, "slimbridge-control: audit: GAP on worker %u: expected seq %" PRIu64
					", got %" PRIu64 " (records missing or out of order)\n",
				m->ring, m->expected, m->seq);
		}
	}
}

/*
 * One pass over the rings: copy up to CTL_AUDIT_BATCH records into frames,
 * write them, then release them (tails). Per-ring state is staged and kept
 * only for what was written, so that a failed write leaves the rings and
 * the state as they were (the records are read again on the next pass).
 * Returns the records taken out of the rings.
 */
static size_t drain(struct ctl_audit *a)
{
	struct sb_audit_hdr *h = a->hdr;
	struct ctl_audit_rs stage[SB_AUDIT_MAX_RINGS];
	uint64_t dups[SB_AUDIT_MAX_RINGS] = {0};
	bool touched[SB_AUDIT_MAX_RINGS] = {false};
	uint32_t nr = h->nb_rings;
	uint64_t mask = h->ring_size - 1, taken = 0;
	size_t nf = 0;
	char err[256];
	long w;

	for (uint32_t k = 0; k < nr && nf < CTL_AUDIT_BATCH; k++) {
		uint32_t i = (a->rr + k) % nr;
		struct sb_audit_ring *r = ring_at(h, i);
		const struct sb_audit_rec *recs = (const struct sb_audit_rec *)(r + 1);
		struct ctl_audit_rs *s = &stage[i];
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		*s = a->rs[i];
		if (head < s->tail || head - s->tail > h->ring_size) {
			if (!a->rs[i].bad) {
				a->rs[i].bad = true;
				bump(&a->cnt.ring_errors, 1);
				fprintf(stderr, "slimbridge-control: audit: ring %u has head %" PRIu64
						" and tail %" PRIu64 "; not read until it is consistent\n",
					i, head, s->tail);
			}
			continue;
		}
		if (head == s->tail) {
			continue;
		}
		touched[i] = true;
		s->bad = false;
		while (s->tail < head && nf < CTL_AUDIT_BATCH) {
			struct sb_audit_rec rec;
			struct ctl_audit_meta *m = &a->meta[nf];
			uint64_t last;

			memcpy(&rec, &recs[s->tail & mask], sizeof(rec));
			s->tail++;
			taken++;
			m->flags = 0;
			if (s->fresh) {
				s->fresh = false;
				if (ctl_audit_log_last(a->log, i, &last) && rec.seq <= last) {
					m->flags |= F_RESTART;
					m->expected = s->expected;
					s->expected = rec.seq;
				}
			}
			if (s->dedup) {
				if (rec.seq <= s->dedup_until) {
					dups[i]++;	/* written by a writer that died before releasing it */
					continue;
				}
				s->dedup = false;
			}
			if (!(m->flags & F_RESTART)) {
				m->expected = s->expected;
			}
			if (s->expected != 0 && rec.seq != s->expected) {
				m->flags |= F_GAP;
			}
			s->expected = rec.seq + 1;
			m->ring = i;
			m->seq = rec.seq;
			m->tail_after = s->tail;
			ctl_audit_frame_encode(&rec, a->frames + nf * CTL_AUDIT_FRAME_SIZE);
			nf++;
		}
	}
	a->rr++;
	if (taken == 0) {
		return 0;
	}
	w = nf != 0 ? ctl_audit_log_append(a->log, a->frames, nf, err, sizeof(err)) : 0;
	if (w < 0 || (size_t)w < nf) {
		bump(&a->cnt.drain_errors, 1);
		fprintf(stderr, "slimbridge-control: audit: %s (the rings keep the records; retrying)\n",
			err);
	}
	if (w >= 0 && (size_t)w == nf) {
		for (uint32_t i = 0; i < nr; i++) {
			if (!touched[i]) {
				continue;
			}
			a->rs[i] = stage[i];
			__atomic_store_n(&ring_at(h, i)->tail, stage[i].tail, __ATOMIC_RELEASE);
			bump(&a->cnt.duplicates, dups[i]);
		}
	} else {
		/* Keep what was written, frame by frame; the rest is read again. */
		for (long j = 0; j < w; j++) {
			const struct ctl_audit_meta *m = &a->meta[j];
			struct ctl_audit_rs *rs = &a->rs[m->ring];

			rs->tail = m->tail_after;
			rs->expected = m->seq + 1;
			rs->fresh = false;
			rs->dedup = false;
			__atomic_store_n(&ring_at(h, m->ring)->tail, m->tail_after, __ATOMIC_RELEASE);
		}
		taken = (uint64_t)(w > 0 ? w : 0);
	}
	for (long j = 0; j < (w > 0 ? w : 0); j++) {
		if (a->meta[j].flags != 0) {
			report(a, &a->meta[j]);
		}
	}
	if (w > 0) {
		bump(&a->cnt.records, (uint64_t)w);
	}
	publish_stats(a);
	if (w < 0 || (size_t)w < nf) {
		nap(RETRY_SLEEP_NS);
	}
	return (size_t)taken;
}

static void *writer_main(void *arg)
{
	struct ctl_audit *a = arg;
	unsigned empty = BUSY_PASSES;

	while (!stopping(a)) {
		uint64_t now = mono_ms();
		size_t n = 0;

		if (a->hdr == NULL || now - a->last_check_ms >= CTL_AUDIT_ATTACH_MS) {
			check_attach(a, now);
		}
		if (a->hdr != NULL) {
			n = drain(a);
		}
		ctl_audit_log_tick(a->log, now);
		if (n != 0) {
			empty = 0;
			continue;
		}
		/* Small rings refill in well under a millisecond: look again soon at first. */
		if (empty < BUSY_PASSES) {
			empty++;
			nap(BUSY_SLEEP_NS);
			continue;
		}
		publish_stats(a);
		nap(a->hdr != NULL ? IDLE_SLEEP_NS : 10 * IDLE_SLEEP_NS);
	}
	/* Stopping: take what the rings hold now, within reason. */
	if (a->hdr != NULL) {
		uint64_t until = mono_ms() + STOP_DRAIN_MS;

		while (drain(a) != 0 && mono_ms() < until) {
		}
	}
	if (ctl_audit_log_sync(a->log) < 0) {
		fprintf(stderr, "slimbridge-control: audit: final fdatasync failed\n");
	}
	publish_stats(a);
	return NULL;
}

/* ---------------------------------------------------------------- life cycle */

struct ctl_audit *ctl_audit_new(const struct ctl_audit_conf *c, struct grpc_server *srv, char *err,
				size_t errlen)
{
	struct ctl_audit *a = calloc(1, sizeof(*a));
	int rc;

	if (a == NULL || (a->dir = strdup(c->dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	a->conf = *c;
	a->conf.dir = a->dir;
	a->conf.shm_name = NULL;
	snprintf(a->obj, sizeof(a->obj), "/%s%s", c->shm_name, SB_AUDIT_SUFFIX);
	pthread_mutex_init(&a->shm_lock, NULL);
	pthread_mutex_init(&a->stats_lock, NULL);
	pthread_mutex_init(&a->q_lock, NULL);
	pthread_cond_init(&a->q_cond, NULL);
	if (!c->disabled) {
		struct ctl_audit_log_conf lc = {.dir = c->dir, .segment_bytes = c->segment_bytes,
						.keep = c->keep, .fsync = c->fsync};

		a->log = ctl_audit_log_open(&lc, err, errlen);
		if (a->log == NULL) {
			goto fail;
		}
		a->frames = malloc((size_t)CTL_AUDIT_BATCH * CTL_AUDIT_FRAME_SIZE);
		a->meta = calloc(CTL_AUDIT_BATCH, sizeof(*a->meta));
		if (a->frames == NULL || a->meta == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		ctl_audit_log_get_stats(a->log, &a->lst);
	}
	rc = ctl_audit_methods_register(a, srv);
	if (rc < 0) {
		snprintf(err, errlen, "cannot register the audit methods: %s", strerror(-rc));
		goto fail;
	}
	rc = pthread_create(&a->querier, NULL, ctl_audit_querier, a);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the audit query thread: %s", strerror(rc));
		goto fail;
	}
	a->querier_started = true;
	if (a->log != NULL) {
		rc = pthread_create(&a->writer, NULL, writer_main, a);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start the audit writer: %s", strerror(rc));
			goto fail;
		}
		a->writer_started = true;
	}
	return a;
fail:
	ctl_audit_stop(a);
	ctl_audit_free(a);
	return NULL;
}

void ctl_audit_stop(struct ctl_audit *a)
{
	if (a == NULL) {
		return;
	}
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	if (a->writer_started) {
		pthread_join(a->writer, NULL);
		a->writer_started = false;
	}
	pthread_mutex_lock(&a->q_lock);
	a->q_stop = true;
	pthread_cond_broadcast(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
	if (a->querier_started) {
		pthread_join(a->querier, NULL);
		a->querier_started = false;
	}
	ctl_audit_methods_abandon(a);
}

void ctl_audit_free(struct ctl_audit *a)
{
	if (a == NULL) {
		return;
	}
	detach(a);
	ctl_audit_log_close(a->log);
	free(a->frames);
	free(a->meta);
	free(a->slots);
	pthread_mutex_destroy(&a->shm_lock);
	pthread_mutex_destroy(&a->stats_lock);
	pthread_mutex_destroy(&a->q_lock);
	pthread_cond_destroy(&a->q_cond);
	free(a->dir);
	free(a);
}
