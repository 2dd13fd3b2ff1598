/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_log.c - audit segment files: recovery, append, rotation,
 * retention, fsync policy; listing and mapping for readers.
 */
#include "ctl_audit_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP 4200
#define INDEX_DIGITS 20

struct ctl_audit_log {
	char *dir;
	struct ctl_audit_log_conf conf;
	int fd;				/* current segment, -1: none yet */
	uint64_t index;			/* its index */
	uint64_t size;			/* its size */
	uint64_t frames_in_seg;
	uint64_t newest;		/* the highest index ever seen or made */
	uint64_t *segs;			/* indices present, oldest first */
	size_t n_segs, cap_segs;
	uint32_t nb_workers;
	bool known[SB_AUDIT_MAX_RINGS];
	uint64_t last[SB_AUDIT_MAX_RINGS];
	bool dirty;			/* written since the last fdatasync */
	uint64_t last_sync_ms;
	struct ctl_audit_log_stats st;
	/*
	 * INTERVAL: the syncer thread runs the periodic fdatasync on a dup of
	 * the segment's descriptor, so the writer goes on draining the rings
	 * while a slow disk syncs (the data plane would otherwise hold its
	 * input back for as long). One sync at a time; under |mu|.
	 */
	struct {
		pthread_t th;
		pthread_mutex_t mu;
		pthread_cond_t cv;
		bool started, stop, busy;
		int fd;			/* to sync and close; -1: nothing asked */
		uint64_t index;		/* its segment */
		uint64_t ok, err;	/* fdatasync calls that returned 0 / failed */
	} sy;
};

static void *syncer_main(void *arg)
{
	struct ctl_audit_log *l = arg;

	pthread_mutex_lock(&l->sy.mu);
	for (;;) {
		int fd, rc;
		uint64_t index;

		while (l->sy.fd < 0 && !l->sy.stop) {
			pthread_cond_wait(&l->sy.cv, &l->sy.mu);
		}
		if (l->sy.fd < 0) {
			break;		/* stopping, nothing left to sync */
		}
		fd = l->sy.fd;
		index = l->sy.index;
		l->sy.fd = -1;
		pthread_mutex_unlock(&l->sy.mu);
		rc = fdatasync(fd) < 0 ? -errno : 0;
		close(fd);
		if (rc < 0) {
			fprintf(stderr, "slimbridge-control: audit: fdatasync of segment %llu: %s\n",
				(unsigned long long)index, strerror(-rc));
		}
		pthread_mutex_lock(&l->sy.mu);
		if (rc < 0) {
			l->sy.err++;
		} else {
			l->sy.ok++;
		}
		l->sy.busy = false;
	}
	pthread_mutex_unlock(&l->sy.mu);
	return NULL;
}

/*
 * Hand the current segment's sync to the syncer: 1 handed (or one still
 * running: asked again at the next tick), 0 no syncer (sync here).
 */
static int syncer_ask(struct ctl_audit_log *l, uint64_t now_ms)
{
	int rc = 1;

	if (!l->sy.started) {
		return 0;
	}
	pthread_mutex_lock(&l->sy.mu);
	if (!l->sy.busy) {
		int d = dup(l->fd);

		if (d < 0) {
			rc = 0;
		} else {
			l->sy.fd = d;
			l->sy.index = l->index;
			l->sy.busy = true;
			l->dirty = false;	/* what was written so far is in this sync */
			l->last_sync_ms = now_ms;
			pthread_cond_signal(&l->sy.cv);
		}
	}
	pthread_mutex_unlock(&l->sy.mu);
	return rc;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ctl_audit_log_path(const char *dir, uint64_t index, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/" CTL_AUDIT_SEG_PREFIX "%0*llu" CTL_AUDIT_SEG_SUFFIX, dir,
		 INDEX_DIGITS, (unsigned long long)index);
}

/* The index of a segment file name, or 0 when it is not one. */
static uint64_t name_index(const char *name)
{
	size_t pl = strlen(CTL_AUDIT_SEG_PREFIX), sl = strlen(CTL_AUDIT_SEG_SUFFIX);
	uint64_t v = 0;

	if (strlen(name) != pl + INDEX_DIGITS + sl || strncmp(name, CTL_AUDIT_SEG_PREFIX, pl) != 0 ||
	    strcmp(name + pl + INDEX_DIGITS, CTL_AUDIT_SEG_SUFFIX) != 0) {
		return 0;
	}
	for (size_t i = pl; i < pl + INDEX_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX - 9) / 10) {
			return 0;
		}
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ctl_audit_log_list(const char *dir, uint64_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		return errno == ENOENT ? 0 : -errno;
	}
	while ((e = readdir(d)) != NULL) {
		uint64_t idx = name_index(e->d_name);

		if (idx == 0) {
			continue;
		}
		if (cnt == cap) {
			uint64_t *q = realloc(v, (cap != 0 ? cap * 2 : 32) * sizeof(*v));

			if (q == NULL) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = q;
			cap = cap != 0 ? cap * 2 : 32;
		}
		v[cnt++] = idx;
	}
	closedir(d);
	if (cnt > 1) {
		qsort(v, cnt, sizeof(*v), cmp_u64);
	}
	*out = v;
	*n = cnt;
	return 0;
}

int ctl_audit_log_map(const char *dir, uint64_t index, struct ctl_audit_seg_map *m)
{
	char path[PATH_CAP];
	struct stat st;
	void *p = NULL;
	int fd, rc;

	memset(m, 0, sizeof(*m));
	ctl_audit_log_path(dir, index, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	close(fd);
	m->b = p;
	m->len = (size_t)st.st_size;
	m->hdr_ok = ctl_audit_seg_hdr_decode(m->b, m->len, &m->hdr, &m->hdr_len) == 0;
	if (!m->hdr_ok) {
		m->hdr_len = 0;
	}
	return 0;
}

void ctl_audit_log_unmap(struct ctl_audit_seg_map *m)
{
	if (m->b != NULL) {
		munmap((void *)(uintptr_t)m->b, m->len);
	}
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- the writer's side */

static int mkdir_p(const char *dir)
{
	char p[PATH_CAP];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p)) {
		return -ENAMETOOLONG;
	}
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];

			p[i] = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				return -errno;
			}
			p[i] = c;
		}
	}
	return 0;
}

static void sync_dir(struct ctl_audit_log *l)
{
	int fd;

	if (l->conf.fsync == CTL_AUDIT_FSYNC_NEVER) {
		return;
	}
	fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int seg_push(struct ctl_audit_log *l, uint64_t idx)
{
	if (l->n_segs == l->cap_segs) {
		size_t cap = l->cap_segs != 0 ? l->cap_segs * 2 : 32;
		uint64_t *q = realloc(l->segs, cap * sizeof(*q));

		if (q == NULL) {
			return -ENOMEM;
		}
		l->segs = q;
		l->cap_segs = cap;
	}
	l->segs[l->n_segs++] = idx;
	if (idx > l->newest) {
		l->newest = idx;
	}
	return 0;
}

static void seg_remove_at(struct ctl_audit_log *l, size_t i)
{
	memmove(&l->segs[i], &l->segs[i + 1], (l->n_segs - i - 1) * sizeof(l->segs[0]));
	l->n_segs--;
}

/* Removes the oldest segments beyond conf.keep (never the current one). */
static void retain(struct ctl_audit_log *l)
{
	char path[PATH_CAP];
	bool removed = false;

	while (l->n_segs > l->conf.keep && !(l->fd >= 0 && l->segs[0] == l->index)) {
		ctl_audit_log_path(l->dir, l->segs[0], path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT) {
			fprintf(stderr, "slimbridge-control: audit: cannot remove %s: %s\n", path,
				strerror(errno));
			break;
		}
		seg_remove_at(l, 0);
		l->st.segments_removed++;
		removed = true;
	}
	if (removed) {
		sync_dir(l);
	}
}

static void learn(struct ctl_audit_log *l, uint32_t w, uint64_t seq)
{
	if (w >= SB_AUDIT_MAX_RINGS) {
		return;
	}
	if (!l->known[w] || seq > l->last[w]) {
		l->last[w] = seq;
		l->known[w] = true;
	}
}

/*
 * Scans segment |i| of the list for the last seqs; for the newest one, cuts
 * a torn tail. Returns 1 when its header was good (older segments add
 * nothing then), 0 when not, -ENOENT when it was removed (a cut header),
 * or another negative errno.
 */
static int recover_one(struct ctl_audit_log *l, size_t i, bool newest, char *err, size_t errlen)
{
	char path[PATH_CAP];
	struct ctl_audit_seg_map m;
	struct ctl_audit_seg_reader r;
	struct sb_audit_rec rec;
	size_t hdr_len = 0;
	int rc;

	ctl_audit_log_path(l->dir, l->segs[i], path, sizeof(path));
	rc = ctl_audit_log_map(l->dir, l->segs[i], &m);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	if (!m.hdr_ok) {
		struct ctl_audit_seg_hdr h;

		rc = ctl_audit_seg_hdr_decode(m.b, m.len, &h, &hdr_len);
		if (rc == -ENODATA) {
			/* The header is written before any record: a cut one holds nothing. */
			ctl_audit_log_unmap(&m);
			if (unlink(path) < 0) {
				rc = -errno;
				snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
				return rc;
			}
			fprintf(stderr, "slimbridge-control: audit: removed %s (header cut by a crash)\n",
				path);
			seg_remove_at(l, i);
			sync_dir(l);
			return -ENOENT;
		}
		fprintf(stderr,
			"slimbridge-control: audit: %s has no valid header; its records are read by their frames\n",
			path);
	}
	ctl_audit_seg_reader_init(&r, m.b, m.len, m.hdr_len);
	while (ctl_audit_seg_next(&r, &rec) == 1) {
		learn(l, rec.worker, rec.seq);
	}
	if (m.hdr_ok) {
		for (uint32_t w = 0; w < m.hdr.nb_workers; w++) {
			if (m.hdr.next_seq[w] != 0) {
				learn(l, w, m.hdr.next_seq[w] - 1);
			}
		}
	}
	l->st.corrupt_at_open += r.corrupt;
	if (r.corrupt != 0) {
		fprintf(stderr,
			"slimbridge-control: audit: %s: %llu damaged stretches (%llu bytes) skipped\n",
			path, (unsigned long long)r.corrupt, (unsigned long long)r.corrupt_bytes);
	}
	if (newest && m.hdr_ok && ctl_audit_seg_torn(&r) != 0) {
		size_t torn = ctl_audit_seg_torn(&r);

		if (truncate(path, (off_t)r.good_end) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot cut the torn tail of %s: %s", path, strerror(errno));
			ctl_audit_log_unmap(&m);
			return rc;
		}
		fprintf(stderr,
			"slimbridge-control: audit: %s: cut a torn tail of %zu bytes (a write cut by a crash)\n",
			path, torn);
		l->st.torn_bytes_cut += torn;
	}
	if (newest && m.hdr_ok && r.good_end + CTL_AUDIT_FRAME_SIZE <= l->conf.segment_bytes) {
		l->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (l->fd >= 0) {
			l->index = l->segs[i];
			l->size = r.good_end;
			l->frames_in_seg = r.frames;
		}
	}
	rc = m.hdr_ok ? 1 : 0;
	ctl_audit_log_unmap(&m);
	return rc;
}

struct ctl_audit_log *ctl_audit_log_open(const struct ctl_audit_log_conf *c, char *err,
					 size_t errlen)
{
	struct ctl_audit_log *l = calloc(1, sizeof(*l));
	uint64_t *list = NULL;
	size_t n = 0;
	bool newest = true;
	int rc;

	if (l == NULL || (l->dir = strdup(c->dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	l->conf = *c;
	if (l->conf.keep == 0) {
		l->conf.keep = 1;
	}
	if (l->conf.interval_ms == 0) {
		l->conf.interval_ms = CTL_AUDIT_FSYNC_INTERVAL_MS;
	}
	l->fd = -1;
	l->last_sync_ms = mono_ms();
	l->sy.fd = -1;
	if (l->conf.fsync == CTL_AUDIT_FSYNC_INTERVAL) {
		pthread_mutex_init(&l->sy.mu, NULL);
		pthread_cond_init(&l->sy.cv, NULL);
		/* without the thread (no resources), the writer syncs itself */
		l->sy.started = pthread_create(&l->sy.th, NULL, syncer_main, l) == 0;
		if (!l->sy.started) {
			pthread_cond_destroy(&l->sy.cv);
			pthread_mutex_destroy(&l->sy.mu);
		}
	}
	rc = mkdir_p(c->dir);
	if (rc < 0) {
		snprintf(err, errlen, "cannot make the audit directory %s: %s", c->dir, strerror(-rc));
		goto fail;
	}
	rc = ctl_audit_log_list(c->dir, &list, &n);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list %s: %s", c->dir, strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (seg_push(l, list[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			free(list);
			goto fail;
		}
	}
	free(list);
	/* Newest first, until a segment with a good header has been read. */
	for (size_t i = l->n_segs; i-- > 0;) {
		rc = recover_one(l, i, newest, err, errlen);
		if (rc == -ENOENT) {
			continue;	/* removed: the next one is the newest now */
		}
		if (rc < 0) {
			goto fail;
		}
		newest = false;
		if (rc == 1) {
			break;
		}
	}
	retain(l);
	return l;
fail:
	ctl_audit_log_close(l);
	return NULL;
}

void ctl_audit_log_close(struct ctl_audit_log *l)
{
	if (l == NULL) {
		return;
	}
	if (l->sy.started) {
		pthread_mutex_lock(&l->sy.mu);
		l->sy.stop = true;		/* after the sync it may have been asked for */
		pthread_cond_signal(&l->sy.cv);
		pthread_mutex_unlock(&l->sy.mu);
		pthread_join(l->sy.th, NULL);
		l->st.fsyncs += l->sy.ok;
		l->st.write_errors += l->sy.err;
		l->sy.ok = l->sy.err = 0;
		pthread_cond_destroy(&l->sy.cv);
		pthread_mutex_destroy(&l->sy.mu);
		l->sy.started = false;
	}
	if (l->fd >= 0) {
		if (l->dirty && l->conf.fsync != CTL_AUDIT_FSYNC_NEVER && fdatasync(l->fd) == 0) {
			l->st.fsyncs++;
		}
		close(l->fd);
	}
	free(l->segs);
	free(l->dir);
	free(l);
}

bool ctl_audit_log_last(const struct ctl_audit_log *l, uint32_t worker, uint64_t *seq)
{
	if (worker >= SB_AUDIT_MAX_RINGS || !l->known[worker]) {
		return false;
	}
	*seq = l->last[worker];
	return true;
}

void ctl_audit_log_set_workers(struct ctl_audit_log *l, uint32_t nb_workers)
{
	l->nb_workers = nb_workers <= SB_AUDIT_MAX_RINGS ? nb_workers : SB_AUDIT_MAX_RINGS;
}

static int write_all(int fd, const uint8_t *p, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, p + *done, n - *done);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		*done += (size_t)w;
	}
	return 0;
}

static int do_sync(struct ctl_audit_log *l)
{
	if (l->fd < 0 || !l->dirty) {
		return 0;
	}
	if (fdatasync(l->fd) < 0) {
		l->st.write_errors++;
		return -errno;
	}
	l->st.fsyncs++;
	l->dirty = false;
	l->last_sync_ms = mono_ms();
	return 0;
}

/* Closes the current segment (synced unless NEVER) and starts the next one. */
static int rotate(struct ctl_audit_log *l, char *err, size_t errlen)
{
	struct ctl_audit_seg_hdr h = {.created_ns = real_ns(), .index = l->newest + 1,
				      .nb_workers = l->nb_workers};
	uint8_t hdr[CTL_AUDIT_SEG_HDR_MAX];
	char path[PATH_CAP];
	size_t hl, done;
	int fd, rc;

	if (l->fd >= 0) {
		if (l->conf.fsync != CTL_AUDIT_FSYNC_NEVER) {
			(void)do_sync(l);
		}
		close(l->fd);
		l->fd = -1;
	}
	for (uint32_t w = 0; w < h.nb_workers; w++) {
		h.next_seq[w] = l->known[w] ? l->last[w] + 1 : 0;
	}
	hl = ctl_audit_seg_hdr_encode(&h, hdr, sizeof(hdr));
	ctl_audit_log_path(l->dir, h.index, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return rc;
	}
	rc = write_all(fd, hdr, hl, &done);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		close(fd);
		unlink(path);
		return rc;
	}
	rc = seg_push(l, h.index);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		unlink(path);
		return rc;
	}
	l->fd = fd;
	l->index = h.index;
	l->size = hl;
	l->frames_in_seg = 0;
	l->dirty = true;
	l->st.segments_created++;
	l->st.bytes += hl;
	sync_dir(l);
	retain(l);
	return 0;
}

long ctl_audit_log_append(struct ctl_audit_log *l, const uint8_t *frames, size_t n, char *err,
			  size_t errlen)
{
	size_t written = 0;
	int rc = 0;

	while (written < n) {
		size_t k, done;

		if (l->fd < 0 || (l->frames_in_seg != 0 &&
				  l->size + CTL_AUDIT_FRAME_SIZE > l->conf.segment_bytes)) {
			rc = rotate(l, err, errlen);
			if (rc < 0) {
				break;
			}
		}
		k = l->size < l->conf.segment_bytes
			    ? (size_t)((l->conf.segment_bytes - l->size) / CTL_AUDIT_FRAME_SIZE)
			    : 0;
		if (k == 0) {
			k = 1;	/* a segment holds at least one record */
		}
		if (k > n - written) {
			k = n - written;
		}
		rc = write_all(l->fd, frames + written * CTL_AUDIT_FRAME_SIZE,
			       k * CTL_AUDIT_FRAME_SIZE, &done);
		if (rc < 0) {
			snprintf(err, errlen, "cannot write segment %llu: %s",
				 (unsigned long long)l->index, strerror(-rc));
			l->st.write_errors++;
			/* Keep whole frames only: the next append must start on a boundary. */
			k = done / CTL_AUDIT_FRAME_SIZE;
			if (done % CTL_AUDIT_FRAME_SIZE != 0 &&
			    ftruncate(l->fd, (off_t)(l->size + k * CTL_AUDIT_FRAME_SIZE)) < 0) {
				/* The reader will skip the partial frame as damage. */
				l->size += done - k * CTL_AUDIT_FRAME_SIZE;
			}
		}
		for (size_t j = 0; j < k; j++) {
			const uint8_t *rec = frames + (written + j) * CTL_AUDIT_FRAME_SIZE +
					     CTL_AUDIT_FRAME_HDR;
			uint32_t w;
			uint64_t seq;

			memcpy(&w, rec + offsetof(struct sb_audit_rec, worker), sizeof(w));
			memcpy(&seq, rec + offsetof(struct sb_audit_rec, seq), sizeof(seq));
			learn(l, w, seq);
		}
		l->size += k * CTL_AUDIT_FRAME_SIZE;
		l->frames_in_seg += k;
		l->st.records += k;
		l->st.bytes += k * CTL_AUDIT_FRAME_SIZE;
		written += k;
		if (k != 0) {
			l->dirty = true;
		}
		if (rc < 0) {
			break;
		}
	}
	if (written != 0 && l->conf.fsync == CTL_AUDIT_FSYNC_ALWAYS) {
		int src = do_sync(l);

		if (src < 0) {
			/* Written but maybe not durable: reported, not rewritten (that would duplicate). */
			fprintf(stderr, "slimbridge-control: audit: fdatasync of segment %llu: %s\n",
				(unsigned long long)l->index, strerror(-src));
		}
	}
	if (written == 0 && rc < 0) {
		return rc;
	}
	return (long)written;
}

void ctl_audit_log_tick(struct ctl_audit_log *l, uint64_t now_ms)
{
	int rc;

	if (l->conf.fsync != CTL_AUDIT_FSYNC_INTERVAL || !l->dirty || now_ms < l->last_sync_ms ||
	    now_ms - l->last_sync_ms < l->conf.interval_ms) {
		return;
	}
	if (l->fd >= 0 && syncer_ask(l, now_ms) == 1) {
		return;
	}
	rc = do_sync(l);
	if (rc < 0) {
		fprintf(stderr, "slimbridge-control: audit: fdatasync of segment %llu: %s\n",
			(unsigned long long)l->index, strerror(-rc));
		l->last_sync_ms = now_ms;	/* retried after the interval, not in a loop */
	}
}

int ctl_audit_log_sync(struct ctl_audit_log *l)
{
	return do_sync(l);
}

void ctl_audit_log_get_stats(const struct ctl_audit_log *l, struct ctl_audit_log_stats *s)
{
	*s = l->st;
	if (l->sy.started) {
		pthread_mutex_lock((pthread_mutex_t *)&l->sy.mu);
		s->fsyncs += l->sy.ok;
		s->write_errors += l->sy.err;
		pthread_mutex_unlock((pthread_mutex_t *)&l->sy.mu);
	}
	s->segments = (uint32_t)l->n_segs;
	s->newest_index = l->newest;
}
