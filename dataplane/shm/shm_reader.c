/* SPDX-License-Identifier: Apache-2.0 */
#include "shm_reader.h"
#include "shm/shm_name.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Mappings of earlier objects are kept only while they hold a snapshot a
 * worker may still use (the current one, or the one before it until the next
 * ack), so at most two are ever retired.
 */
#define RETIRED_MAX 2

struct mapping {
	void *base;
	uint64_t size;
	dev_t dev;
	ino_t ino;
	/* Validated once at map time; never re-read from shared memory. */
	uint64_t slot_offset[SB_SHM_SLOTS];
	uint64_t slot_size;
};

struct shm_reader {
	char policy_name[SB_SHM_NAME_MAX + 16];
	char status_name[SB_SHM_NAME_MAX + 16];
	struct mapping cur;		/* the object the header is read from */
	struct mapping retired[RETIRED_MAX];
	unsigned nb_retired;
	const struct sb_shm_snapshot *snap;	/* current snapshot, may be in a retired mapping */
	const struct sb_shm_snapshot *prev;	/* the one before, until the next ack */
	uint64_t epoch;
	uint64_t instance;
	uint64_t recheck_ns;		/* how often to look for a new object */
	uint64_t next_check_ns;
	int map_rc;			/* what the last look found (0 or negative errno) */
	enum shm_state state;
	char error[160];
	int status_fd;
	dev_t status_dev;
	ino_t status_ino;
	struct sb_shm_status *status;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Is N.status held by another live data plane? Its pid goes in |owner|. */
static bool status_taken(const char *obj, uint32_t *owner)
{
	struct sb_shm_status st;
	int fd = shm_open(obj, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0) {
		return false;
	}
	n = pread(fd, &st, sizeof(st), 0);
	close(fd);
	if (n != (ssize_t)sizeof(st) || st.magic != SB_SHM_STATUS_MAGIC ||
	    st.reader_pid == (uint32_t)getpid()) {
		return false;
	}
	if ((kill((pid_t)st.reader_pid, 0) != 0 && errno != EPERM) ||
	    mono_ns() - st.heartbeat_ns >= SB_SHM_READER_STALE_NS) {
		return false;
	}
	*owner = st.reader_pid;
	return true;
}

struct shm_reader *shm_reader_new(const char *name, uint32_t nb_workers, uint32_t recheck_ms,
				  uint32_t *owner_pid)
{
	struct shm_reader *r;
	struct stat st;
	int err;

	*owner_pid = 0;
	if (!sb_shm_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	snprintf(r->policy_name, sizeof(r->policy_name), "/%s%s", name, SB_SHM_POLICY_SUFFIX);
	snprintf(r->status_name, sizeof(r->status_name), "/%s%s", name, SB_SHM_STATUS_SUFFIX);
	r->recheck_ns = (uint64_t)recheck_ms * 1000000u;

	if (status_taken(r->status_name, owner_pid)) {
		free(r);
		errno = EBUSY;
		return NULL;
	}
	shm_unlink(r->status_name); /* a dead reader's */
	r->status_fd = shm_open(r->status_name, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (r->status_fd < 0) {
		goto out_free;
	}
	if (fchmod(r->status_fd, 0644) < 0 ||
	    ftruncate(r->status_fd, sizeof(struct sb_shm_status)) < 0 ||
	    fstat(r->status_fd, &st) < 0) {
		goto out_unlink;
	}
	r->status_dev = st.st_dev;
	r->status_ino = st.st_ino;
	r->status = mmap(NULL, sizeof(struct sb_shm_status), PROT_READ | PROT_WRITE, MAP_SHARED,
			 r->status_fd, 0);
	if (r->status == MAP_FAILED) {
		goto out_unlink;
	}
	r->status->abi_major = SB_SHM_ABI_MAJOR;
	r->status->abi_minor = SB_SHM_ABI_MINOR;
	r->status->size = sizeof(struct sb_shm_status);
	r->status->reader_pid = (uint32_t)getpid();
	/* A random token per start: MLS seal epochs are made for one (bridge.h). */
	while (r->status->reader_token == 0) {
		uint32_t t = 0;

		if (getrandom(&t, sizeof(t), 0) != (ssize_t)sizeof(t)) {
			t = (uint32_t)mono_ns() ^ (uint32_t)getpid() << 16;
		}
		r->status->reader_token = t;
	}
	r->status->nb_workers = nb_workers;
	r->status->heartbeat_ns = mono_ns();
	__atomic_store_n(&r->status->magic, SB_SHM_STATUS_MAGIC, __ATOMIC_RELEASE);
	return r;

out_unlink:
	err = errno;
	close(r->status_fd);
	shm_unlink(r->status_name);
	errno = err;
out_free:
	err = errno;
	free(r);
	errno = err;
	return NULL;
}

static void unmap(struct mapping *m)
{
	if (m->base != NULL) {
		munmap(m->base, m->size);
	}
	memset(m, 0, sizeof(*m));
}

void shm_reader_free(struct shm_reader *r)
{
	struct stat st;

	if (r == NULL) {
		return;
	}
	unmap(&r->cur);
	for (unsigned i = 0; i < r->nb_retired; i++) {
		unmap(&r->retired[i]);
	}
	munmap(r->status, sizeof(struct sb_shm_status));
	/* Remove the status object only if it is still ours, not a successor's. */
	{
		int fd = shm_open(r->status_name, O_RDONLY, 0);

		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && st.st_dev == r->status_dev &&
			    st.st_ino == r->status_ino) {
				shm_unlink(r->status_name);
			}
			close(fd);
		}
	}
	close(r->status_fd);
	free(r);
}

bool shm_snapshot_valid(const struct sb_shm_snapshot *s, uint64_t slot_size)
{
	if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != SB_SHM_SNAP_MAGIC) {
		return false;
	}
	if (s->size < sizeof(*s) || s->size > slot_size || s->nb_tables > SB_SHM_MAX_TABLES) {
		return false;
	}
	for (uint32_t i = 0; i < s->nb_tables; i++) {
		const struct sb_shm_table *t = &s->tables[i];

		if (t->offset < sizeof(*s) || t->offset > s->size || t->size > s->size - t->offset) {
			return false;
		}
	}
	return true;
}

/* Odd seq while the fields change, so the writer never mixes instances (shm_abi.h). */
static void status_write(struct shm_reader *r, uint64_t instance, uint64_t acked, uint64_t refused)
{
	__atomic_store_n(&r->status->seq, r->status->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->status->instance_id = instance;
	r->status->acked_epoch = acked;
	r->status->refused_epoch = refused;
	__atomic_store_n(&r->status->seq, r->status->seq + 1, __ATOMIC_RELEASE);
}

/* Records that epoch |e| of |instance| was refused (acked_epoch is kept for the same instance). */
static void status_refused(struct shm_reader *r, uint64_t instance, uint64_t e)
{
	if (r->status->instance_id == instance && r->status->refused_epoch == e) {
		return;
	}
	status_write(r, instance, r->status->instance_id == instance ? r->status->acked_epoch : 0,
		     e);
}

static int refuse(struct shm_reader *r, int err, const char *why)
{
	snprintf(r->error, sizeof(r->error), "%s: %s", r->policy_name, why);
	if (err == -ENOENT) {
		r->state = SHM_STATE_ABSENT;
	} else if (err == -EAGAIN) {
		r->state = SHM_STATE_WAITING;
	} else {
		r->state = SHM_STATE_INVALID;
	}
	return err;
}

/* Validate a freshly mapped object's fixed header; the file is |st_size| bytes. */
static const char *header_problem(const struct sb_shm_header *h, uint64_t st_size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SB_SHM_MAGIC) {
		return "bad magic (not a slimbridge policy object, or still being created)";
	}
	if (h->abi_major != SB_SHM_ABI_MAJOR) {
		return "unsupported ABI major version";
	}
	if (h->header_size != sizeof(*h)) {
		return "unexpected header size";
	}
	if (h->segment_size > st_size || h->slot_size < sizeof(struct sb_shm_snapshot)) {
		return "inconsistent segment or slot size";
	}
	for (unsigned i = 0; i < SB_SHM_SLOTS; i++) {
		if (h->slot_offset[i] < sizeof(*h) || h->slot_offset[i] % SB_SHM_SLOT_ALIGN != 0 ||
		    h->slot_offset[i] > h->segment_size ||
		    h->slot_size > h->segment_size - h->slot_offset[i]) {
			return "slot outside the segment";
		}
	}
	return NULL;
}

static bool holds(const struct mapping *m, const void *p)
{
	const uint8_t *b = m->base;

	return p != NULL && b != NULL && (const uint8_t *)p >= b && (const uint8_t *)p < b + m->size;
}

/* Is |m| still reachable by a worker (it holds the current or the previous snapshot)? */
static bool in_use(const struct shm_reader *r, const struct mapping *m)
{
	return holds(m, r->snap) || holds(m, r->prev);
}

/* Unmap retired mappings no worker can reach any more. */
static void prune(struct shm_reader *r)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < r->nb_retired; i++) {
		if (in_use(r, &r->retired[i])) {
			r->retired[keep++] = r->retired[i];
		} else {
			unmap(&r->retired[i]);
		}
	}
	r->nb_retired = keep;
}

/* Map the object when it is new (first time or a restarted control process). */
static int map_object(struct shm_reader *r)
{
	const struct sb_shm_header *h;
	struct stat st;
	struct mapping m = {0};
	const char *why;
	int fd = shm_open(r->policy_name, O_RDONLY, 0);

	if (fd < 0) {
		return refuse(r, -errno, errno == ENOENT ? "absent (no control process)" : strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return refuse(r, -errno, strerror(errno));
	}
	if (r->cur.base != NULL && st.st_dev == r->cur.dev && st.st_ino == r->cur.ino) {
		close(fd);
		return 0;
	}
	if ((uint64_t)st.st_size < sizeof(struct sb_shm_header)) {
		close(fd);
		return refuse(r, -EAGAIN, "too small (still being created?)");
	}
	m.size = (uint64_t)st.st_size;
	m.base = mmap(NULL, m.size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m.base == MAP_FAILED) {
		return refuse(r, -errno, strerror(errno));
	}
	m.dev = st.st_dev;
	m.ino = st.st_ino;
	h = m.base;
	why = header_problem(h, m.size);
	if (why != NULL) {
		munmap(m.base, m.size);
		return refuse(r, -EPROTO, why);
	}
	memcpy(m.slot_offset, h->slot_offset, sizeof(m.slot_offset));
	m.slot_size = h->slot_size;
	/* The old object may still back a snapshot a worker uses: retire it, else unmap. */
	prune(r);
	if (in_use(r, &r->cur) && r->nb_retired < RETIRED_MAX) {
		r->retired[r->nb_retired++] = r->cur;
	} else if (in_use(r, &r->cur)) {
		munmap(m.base, m.size);
		return refuse(r, -EAGAIN, "waiting for workers to release older mappings");
	} else {
		unmap(&r->cur);
	}
	r->cur = m;
	return 0;
}

int shm_reader_poll(struct shm_reader *r, const struct sb_shm_snapshot **snap, uint64_t *epoch)
{
	const struct sb_shm_header *h;
	const struct sb_shm_snapshot *s;
	uint64_t e, now = mono_ns();
	uint32_t slot;
	int rc;

	/* Opening the object costs system calls: only every recheck_ns. The header is free. */
	if (now >= r->next_check_ns) {
		r->next_check_ns = now + r->recheck_ns;
		r->map_rc = map_object(r);
	}
	/* Between looks, the last one's finding stands (absent stays absent). */
	rc = r->map_rc;
	if (rc < 0) {
		return rc;
	}
	h = r->cur.base;
	e = __atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&h->in_progress, __ATOMIC_ACQUIRE) != 0) {
		return 0; /* mid-publish: next poll */
	}
	if (e == 0) {
		return refuse(r, -EAGAIN, "no snapshot published yet");
	}
	if (h->instance_id == r->instance && e == r->epoch) {
		r->state = SHM_STATE_ATTACHED;
		r->error[0] = '\0';
		return 0;
	}
	slot = __atomic_load_n(&h->active_slot, __ATOMIC_ACQUIRE);
	if (slot >= SB_SHM_SLOTS) {
		return refuse(r, -EPROTO, "active slot out of range");
	}
	s = (const struct sb_shm_snapshot *)((const uint8_t *)h + r->cur.slot_offset[slot]);
	if (!shm_snapshot_valid(s, r->cur.slot_size) || s->epoch != e) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->in_progress, __ATOMIC_ACQUIRE) != 0 ||
		    __atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE) != e) {
			return 0; /* being rewritten: next poll */
		}
		/* Really broken: say so, so the control process can replace it. */
		status_refused(r, h->instance_id, e);
		return refuse(r, -EPROTO, "active snapshot fails validation");
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&h->in_progress, __ATOMIC_ACQUIRE) != 0 ||
	    __atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE) != e) {
		return 0; /* changed under us: next poll */
	}
	r->prev = r->snap;
	r->snap = s;
	r->epoch = e;
	r->instance = h->instance_id;
	r->state = SHM_STATE_ATTACHED;
	r->error[0] = '\0';
	*snap = s;
	*epoch = e;
	return 1;
}

void shm_reader_ack(struct shm_reader *r, uint64_t epoch)
{
	/* Every worker has moved to r->snap: the previous snapshot is unreachable. */
	r->prev = NULL;
	prune(r);
	status_write(r, r->instance, epoch, r->status->instance_id == r->instance ?
					     r->status->refused_epoch : 0);
}

void shm_reader_refuse(struct shm_reader *r, uint64_t epoch)
{
	/* The workers keep the snapshot they hold: it stays current. */
	if (r->prev != NULL) {
		r->snap = r->prev;
		r->prev = NULL;
	}
	status_refused(r, r->instance, epoch);
}

void shm_reader_heartbeat(struct shm_reader *r)
{
	__atomic_store_n(&r->status->heartbeat_ns, mono_ns(), __ATOMIC_RELAXED);
}

enum shm_state shm_reader_state(const struct shm_reader *r)
{
	return r->state;
}

uint64_t shm_reader_epoch(const struct shm_reader *r)
{
	return r->epoch;
}

uint64_t shm_reader_instance(const struct shm_reader *r)
{
	return r->instance;
}

uint32_t shm_reader_writer_pid(const struct shm_reader *r)
{
	return r->cur.base != NULL ? ((const struct sb_shm_header *)r->cur.base)->writer_pid : 0;
}

uint64_t shm_reader_writer_heartbeat_age_ms(const struct shm_reader *r)
{
	uint64_t hb, now = mono_ns();

	if (r->cur.base == NULL) {
		return UINT64_MAX;
	}
	hb = __atomic_load_n(&((const struct sb_shm_header *)r->cur.base)->heartbeat_ns,
			     __ATOMIC_RELAXED);
	return now > hb ? (now - hb) / 1000000u : 0;
}

const char *shm_reader_error(const struct shm_reader *r)
{
	return r->error;
}

uint32_t shm_reader_token(const struct shm_reader *r)
{
	return r->status->reader_token;
}
