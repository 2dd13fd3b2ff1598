/* SPDX-License-Identifier: Apache-2.0 */
#include "shm_writer.h"
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

struct shm_writer {
	char policy_name[SB_SHM_NAME_MAX + 16];
	char status_name[SB_SHM_NAME_MAX + 16];
	int fd;
	uint64_t size;
	struct sb_shm_header *hdr;
	uint64_t rewrites;		/* publishes over a refused active slot */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool pid_alive(uint32_t pid)
{
	return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* An existing object owned by a live writer must not be stolen. */
static int check_existing(const char *obj, uint32_t *owner_pid)
{
	struct sb_shm_header h;
	int fd = shm_open(obj, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0) {
		return errno == ENOENT ? 0 : -errno;
	}
	n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n == (ssize_t)sizeof(h) && h.magic == SB_SHM_MAGIC && h.writer_pid != (uint32_t)getpid() &&
	    pid_alive(h.writer_pid)) {
		*owner_pid = h.writer_pid;
		return -EBUSY;
	}
	return 0;
}

struct shm_writer *shm_writer_create(const char *name, uint64_t slot_size, int *err,
				     uint32_t *owner_pid)
{
	struct shm_writer *w;
	uint64_t slot, first;
	uint32_t dummy_pid = 0;
	int rc;

	if (owner_pid == NULL) {
		owner_pid = &dummy_pid;
	}
	*owner_pid = 0;
	if (!sb_shm_name_valid(name)) {
		*err = -EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(w->policy_name, sizeof(w->policy_name), "/%s%s", name, SB_SHM_POLICY_SUFFIX);
	snprintf(w->status_name, sizeof(w->status_name), "/%s%s", name, SB_SHM_STATUS_SUFFIX);

	rc = check_existing(w->policy_name, owner_pid);
	if (rc < 0) {
		goto out_free;
	}
	/* Replace, never reuse: a data plane still mapping the old object keeps it. */
	shm_unlink(w->policy_name);

	slot = slot_size < sizeof(struct sb_shm_snapshot) ? sizeof(struct sb_shm_snapshot) : slot_size;
	slot = (slot + SB_SHM_SLOT_ALIGN - 1) & ~(uint64_t)(SB_SHM_SLOT_ALIGN - 1);
	first = SB_SHM_SLOT_ALIGN;
	w->size = first + SB_SHM_SLOTS * slot;

	w->fd = shm_open(w->policy_name, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (w->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	/* shm_open applies the umask; set the intended mode explicitly. */
	if (fchmod(w->fd, 0640) < 0 || ftruncate(w->fd, (off_t)w->size) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	w->hdr = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
	if (w->hdr == MAP_FAILED) {
		rc = -errno;
		goto out_unlink;
	}
	w->hdr->abi_major = SB_SHM_ABI_MAJOR;
	w->hdr->abi_minor = SB_SHM_ABI_MINOR;
	w->hdr->header_size = sizeof(struct sb_shm_header);
	w->hdr->segment_size = w->size;
	if (getrandom(&w->hdr->instance_id, sizeof(w->hdr->instance_id), 0) !=
	    (ssize_t)sizeof(w->hdr->instance_id)) {
		w->hdr->instance_id = clock_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
	}
	w->hdr->instance_id |= 1; /* 0 means "none" in the status object */
	for (unsigned i = 0; i < SB_SHM_SLOTS; i++) {
		w->hdr->slot_offset[i] = first + i * slot;
	}
	w->hdr->slot_size = slot;
	w->hdr->writer_pid = (uint32_t)getpid();
	w->hdr->heartbeat_ns = clock_ns(CLOCK_MONOTONIC);
	/* The magic goes last: a reader that sees it sees a complete header. */
	__atomic_store_n(&w->hdr->magic, SB_SHM_MAGIC, __ATOMIC_RELEASE);
	return w;

out_unlink:
	close(w->fd);
	shm_unlink(w->policy_name);
out_free:
	free(w);
	*err = rc;
	return NULL;
}

/*
 * Read N.status consistently (two identical copies with an even seq; see
 * shm_abi.h). Returns true with |st| filled when a live reader's status is
 * there, false when there is none or its reader is gone.
 */
static bool read_status(const struct shm_writer *w, struct sb_shm_status *st)
{
	struct sb_shm_status again;
	int fd = shm_open(w->status_name, O_RDONLY, 0);
	bool ok = false;

	if (fd < 0) {
		return false;
	}
	for (int tries = 0; tries < 100 && !ok; tries++) {
		ok = pread(fd, st, sizeof(*st), 0) == (ssize_t)sizeof(*st) &&
		     pread(fd, &again, sizeof(again), 0) == (ssize_t)sizeof(again) &&
		     (st->seq & 1) == 0 && memcmp(st, &again, sizeof(again)) == 0;
	}
	close(fd);
	if (!ok || st->magic != SB_SHM_STATUS_MAGIC || st->abi_major != SB_SHM_ABI_MAJOR) {
		return false;
	}
	/* Gone, or its pid now belongs to someone else. */
	return pid_alive(st->reader_pid) &&
	       clock_ns(CLOCK_MONOTONIC) - st->heartbeat_ns < SB_SHM_READER_STALE_NS;
}

uint64_t shm_writer_rewrites(const struct shm_writer *w)
{
	return w->rewrites;
}

uint64_t shm_writer_reader_acked(const struct shm_writer *w)
{
	struct sb_shm_status st;

	if (!read_status(w, &st) || st.instance_id != w->hdr->instance_id) {
		return 0;
	}
	return st.acked_epoch;
}

/* Where the next snapshot may go. */
enum slot_choice {
	SLOT_BUSY = 0,		/* the data plane may still read both: -EAGAIN */
	SLOT_INACTIVE,		/* the other slot: no worker reads it any more */
	SLOT_ACTIVE,		/* the active slot: its snapshot was refused, nobody reads it */
};

static enum slot_choice choose_slot(const struct shm_writer *w)
{
	struct sb_shm_status st;

	if (w->hdr->epoch <= 1) {
		return SLOT_INACTIVE; /* the other slot has never been published */
	}
	if (!read_status(w, &st)) {
		return SLOT_INACTIVE; /* no live reader */
	}
	/*
	 * A live reader that has not acknowledged this instance may be between
	 * validating the active slot and reporting it: hold the other slot too.
	 */
	if (st.instance_id != w->hdr->instance_id) {
		return SLOT_BUSY;
	}
	if (st.acked_epoch >= w->hdr->epoch) {
		return SLOT_INACTIVE;
	}
	/* Refused: the workers still read the other slot; this one is nobody's. */
	if (st.abi_minor >= 1 && st.refused_epoch == w->hdr->epoch) {
		return SLOT_ACTIVE;
	}
	return SLOT_BUSY;
}

int64_t shm_writer_publish(struct shm_writer *w, const struct sb_shm_table *tables,
			   uint32_t nb_tables, const void *data, uint64_t data_len)
{
	struct sb_shm_snapshot *snap;
	enum slot_choice choice;
	uint32_t next;
	uint64_t epoch, need;

	if (nb_tables > SB_SHM_MAX_TABLES || (nb_tables > 0 && tables == NULL) ||
	    (data_len > 0 && data == NULL)) {
		return -EINVAL;
	}
	need = sizeof(*snap) + data_len;
	if (need > w->hdr->slot_size) {
		return -E2BIG;
	}
	for (uint32_t i = 0; i < nb_tables; i++) {
		if (tables[i].offset > data_len || tables[i].size > data_len - tables[i].offset) {
			return -EINVAL;
		}
	}
	choice = choose_slot(w);
	if (choice == SLOT_BUSY) {
		return -EAGAIN;
	}
	epoch = w->hdr->epoch + 1;
	if (choice == SLOT_ACTIVE) {
		/*
		 * Rewriting the slot the header points at: in_progress stays set
		 * from before the first byte until the new epoch is stored, so a
		 * reader that looks meanwhile backs off (shm_abi.h, Refusal).
		 */
		next = w->hdr->active_slot;
		__atomic_store_n(&w->hdr->in_progress, 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		w->rewrites++;
	} else {
		next = w->hdr->epoch == 0 ? 0 : (w->hdr->active_slot + 1) % SB_SHM_SLOTS;
	}
	snap = (struct sb_shm_snapshot *)((uint8_t *)w->hdr + w->hdr->slot_offset[next]);

	__atomic_store_n(&snap->magic, 0, __ATOMIC_RELEASE);
	memset(snap, 0, sizeof(*snap));
	snap->epoch = epoch;
	snap->size = need;
	snap->nb_tables = nb_tables;
	for (uint32_t i = 0; i < nb_tables; i++) {
		snap->tables[i] = tables[i];
		snap->tables[i].offset += sizeof(*snap);
	}
	if (data_len > 0) {
		memcpy(snap + 1, data, data_len);
	}
	__atomic_store_n(&snap->magic, SB_SHM_SNAP_MAGIC, __ATOMIC_RELEASE);

	__atomic_store_n(&w->hdr->in_progress, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&w->hdr->active_slot, next, __ATOMIC_RELEASE);
	__atomic_store_n(&w->hdr->epoch, epoch, __ATOMIC_RELEASE);
	w->hdr->published_ns = clock_ns(CLOCK_REALTIME);
	__atomic_store_n(&w->hdr->in_progress, 0, __ATOMIC_RELEASE);
	return (int64_t)epoch;
}

void shm_writer_heartbeat(struct shm_writer *w)
{
	__atomic_store_n(&w->hdr->heartbeat_ns, clock_ns(CLOCK_MONOTONIC), __ATOMIC_RELAXED);
}

uint64_t shm_writer_epoch(const struct shm_writer *w)
{
	return w->hdr->epoch;
}

uint64_t shm_writer_instance(const struct shm_writer *w)
{
	return w->hdr->instance_id;
}

void shm_writer_destroy(struct shm_writer *w, bool unlink_obj)
{
	if (w == NULL) {
		return;
	}
	munmap(w->hdr, w->size);
	close(w->fd);
	if (unlink_obj) {
		shm_unlink(w->policy_name);
	}
	free(w);
}
