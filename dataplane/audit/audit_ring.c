/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_ring.c - the audit rings' shared-memory object (proto/shm/audit_abi.h)
 * as the data plane makes or re-attaches it, and the producer's slot.
 *
 * Plain C and libc (no DPDK): the test tools and unit tests use it as well.
 */
#include "audit_ring.h"
#include "shm/shm_name.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_RING 1024u
#define MAX_RING (1u << 20)

struct audit_shm {
	struct sb_audit_hdr *hdr;
	size_t size;
};

static uint64_t stride_of(uint32_t ring_size)
{
	return sizeof(struct sb_audit_ring) + (uint64_t)ring_size * SB_AUDIT_REC_SIZE;
}

static struct sb_audit_ring *ring_at(struct sb_audit_hdr *h, uint32_t i)
{
	return (struct sb_audit_ring *)((uint8_t *)h + h->ring_offset + (uint64_t)i * h->ring_stride);
}

static struct sb_audit_rec *recs_of(struct sb_audit_ring *r)
{
	return (struct sb_audit_rec *)(r + 1);
}

static bool pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* An all-zero header: a creator died between ftruncate and writing it. */
static bool hdr_blank(const struct sb_audit_hdr *h)
{
	const uint8_t *p = (const uint8_t *)h;

	for (size_t i = 0; i < sizeof(*h); i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/*
 * The header of an existing object is checked before any ring is touched:
 * the layout must fit the object exactly, and every ring's counters must be
 * consistent (tail <= head, at most ring_size unread).
 */
static int hdr_check(const struct sb_audit_hdr *h, size_t size, char *err, size_t errlen)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SB_AUDIT_MAGIC) {
		snprintf(err, errlen, "not an audit object (bad magic)");
		return -EPROTO;
	}
	if (h->version != SB_AUDIT_VERSION || h->rec_size != SB_AUDIT_REC_SIZE) {
		snprintf(err, errlen, "audit object of version %u (record %u bytes); this is version %d",
			 h->version, h->rec_size, SB_AUDIT_VERSION);
		return -EPROTO;
	}
	if (h->nb_rings == 0 || h->nb_rings > SB_AUDIT_MAX_RINGS || !pow2(h->ring_size) ||
	    h->ring_size < MIN_RING || h->ring_size > MAX_RING ||
	    h->ring_offset != sizeof(struct sb_audit_hdr) || h->ring_stride != stride_of(h->ring_size) ||
	    h->total_size != h->ring_offset + (uint64_t)h->nb_rings * h->ring_stride ||
	    h->total_size != size) {
		snprintf(err, errlen, "audit object with an inconsistent layout");
		return -EPROTO;
	}
	return 0;
}

static int rings_check(struct sb_audit_hdr *h, uint64_t *unread, char *err, size_t errlen)
{
	*unread = 0;
	for (uint32_t i = 0; i < h->nb_rings; i++) {
		struct sb_audit_ring *r = ring_at(h, i);
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

		if (tail > head || head - tail > h->ring_size) {
			snprintf(err, errlen, "audit ring %u has head %llu and tail %llu", i,
				 (unsigned long long)head, (unsigned long long)tail);
			return -EPROTO;
		}
		*unread += head - tail;
	}
	return 0;
}

static void hdr_init(struct sb_audit_hdr *h, uint32_t nb_rings, uint32_t ring_size)
{
	h->version = SB_AUDIT_VERSION;
	h->rec_size = SB_AUDIT_REC_SIZE;
	h->nb_rings = nb_rings;
	h->ring_size = ring_size;
	h->ring_offset = sizeof(struct sb_audit_hdr);
	h->ring_stride = stride_of(ring_size);
	h->total_size = h->ring_offset + (uint64_t)nb_rings * h->ring_stride;
	h->producer_pid = (uint32_t)getpid();
	h->consumer_pid = 0;
	/* Last: a reader that sees the magic sees the rest. */
	__atomic_store_n(&h->magic, SB_AUDIT_MAGIC, __ATOMIC_RELEASE);
}

/* The last record of each ring of an object being replaced, so that seq goes on. */
struct carry {
	uint32_t n;
	uint64_t head[SB_AUDIT_MAX_RINGS];
	struct sb_audit_rec last[SB_AUDIT_MAX_RINGS];
};

static void carry_take(struct sb_audit_hdr *h, struct carry *c)
{
	c->n = h->nb_rings;
	for (uint32_t i = 0; i < h->nb_rings; i++) {
		struct sb_audit_ring *r = ring_at(h, i);

		c->head[i] = r->head;
		if (r->head != 0) {
			c->last[i] = recs_of(r)[(r->head - 1) & (h->ring_size - 1)];
		}
	}
}

/*
 * A replacement's rings start where the old ones stopped: head and tail at
 * the old head (free-running counters may start anywhere) with the old
 * last record in the slot before it, which is where audit_shm_ring reads
 * the seq to continue from.
 */
static void carry_put(struct sb_audit_hdr *h, const struct carry *c)
{
	for (uint32_t i = 0; i < h->nb_rings && i < c->n; i++) {
		struct sb_audit_ring *r = ring_at(h, i);

		if (c->head[i] == 0) {
			continue;
		}
		recs_of(r)[(c->head[i] - 1) & (h->ring_size - 1)] = c->last[i];
		r->head = c->head[i];
		r->tail = c->head[i];
	}
}

static int create(const char *obj, uint32_t nb_rings, uint32_t ring_size, const struct carry *c,
		  struct audit_shm *s, char *err, size_t errlen)
{
	uint64_t total = sizeof(struct sb_audit_hdr) + (uint64_t)nb_rings * stride_of(ring_size);
	int fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
	void *p;
	int rc;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", obj, strerror(errno));
		return rc;
	}
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)total) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot size %s to %llu bytes: %s", obj,
			 (unsigned long long)total, strerror(errno));
		close(fd);
		shm_unlink(obj);
		return rc;
	}
	p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map %s: %s", obj, strerror(errno));
		shm_unlink(obj);
		return rc;
	}
	s->hdr = p;
	s->size = total;
	/* Before the magic, so that the first reader sees the carried counters. */
	s->hdr->ring_offset = sizeof(struct sb_audit_hdr);
	s->hdr->ring_stride = stride_of(ring_size);
	s->hdr->ring_size = ring_size;
	s->hdr->nb_rings = nb_rings;
	if (c != NULL) {
		carry_put(s->hdr, c);
	}
	hdr_init(s->hdr, nb_rings, ring_size);
	return 0;
}

int audit_shm_open(const char *name, uint32_t nb_rings, uint32_t ring_size, struct audit_shm **out,
		   char *err, size_t errlen)
{
	char obj[SB_SHM_NAME_MAX + 16];
	struct audit_shm *s;
	struct carry *c = NULL;
	struct stat st;
	void *p;
	uint64_t unread;
	int fd, rc;

	*out = NULL;
	if (!sb_shm_name_valid(name)) {
		snprintf(err, errlen, "invalid shm name '%s'", name);
		return -EINVAL;
	}
	if (nb_rings == 0 || nb_rings > SB_AUDIT_MAX_RINGS || !pow2(ring_size) ||
	    ring_size < MIN_RING || ring_size > MAX_RING) {
		snprintf(err, errlen, "audit rings: 1..%d rings of a power of two %u..%u records, not %u of %u",
			 SB_AUDIT_MAX_RINGS, MIN_RING, MAX_RING, nb_rings, ring_size);
		return -EINVAL;
	}
	snprintf(obj, sizeof(obj), "/%s%s", name, SB_AUDIT_SUFFIX);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = shm_open(obj, O_RDWR, 0);
	if (fd < 0 && errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", obj, strerror(errno));
		goto out_free;
	}
	if (fd < 0) {
		rc = create(obj, nb_rings, ring_size, NULL, s, err, errlen);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", obj, strerror(errno));
		close(fd);
		goto out_free;
	}
	if ((size_t)st.st_size < sizeof(struct sb_audit_hdr)) {
		/* Never initialised (a creator died before ftruncate): nothing to keep. */
		close(fd);
		shm_unlink(obj);
		rc = create(obj, nb_rings, ring_size, NULL, s, err, errlen);
		goto out;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map %s: %s", obj, strerror(errno));
		close(fd);
		goto out_free;
	}
	s->hdr = p;
	s->size = (size_t)st.st_size;
	if (hdr_blank(s->hdr)) {
		close(fd);
		munmap(p, s->size);
		shm_unlink(obj);
		rc = create(obj, nb_rings, ring_size, NULL, s, err, errlen);
		goto out;
	}
	rc = hdr_check(s->hdr, s->size, err, errlen);
	rc = rc ?: rings_check(s->hdr, &unread, err, errlen);
	if (rc < 0) {
		close(fd);
		goto out_unmap;
	}
	if (s->hdr->nb_rings == nb_rings && s->hdr->ring_size == ring_size) {
		/* Same geometry: keep it, unread records and all. */
		(void)fchmod(fd, 0600);
		close(fd);
		__atomic_store_n(&s->hdr->producer_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
		*out = s;
		return 0;
	}
	close(fd);
	if (unread != 0) {
		snprintf(err, errlen,
			 "%s holds %llu unread records in %u rings of %u; refusing to replace it with %u rings of %u (run the control process's audit writer to drain it, or remove it)",
			 obj, (unsigned long long)unread, s->hdr->nb_rings, s->hdr->ring_size, nb_rings,
			 ring_size);
		rc = -EBUSY;
		goto out_unmap;
	}
	c = malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out_unmap;
	}
	carry_take(s->hdr, c);
	munmap(s->hdr, s->size);
	s->hdr = NULL;
	shm_unlink(obj);
	rc = create(obj, nb_rings, ring_size, c, s, err, errlen);
	free(c);
out:
	if (rc == 0) {
		*out = s;
		return 0;
	}
	goto out_free;
out_unmap:
	munmap(s->hdr, s->size);
out_free:
	free(s);
	return rc;
}

void audit_shm_ring(struct audit_shm *s, uint32_t i, struct audit_ring *ring)
{
	struct sb_audit_ring *r = ring_at(s->hdr, i);

	memset(ring, 0, sizeof(*ring));
	ring->r = r;
	ring->recs = recs_of(r);
	ring->mask = s->hdr->ring_size - 1;
	ring->head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	ring->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	ring->worker = i;
	ring->seq = ring->head != 0 ? ring->recs[(ring->head - 1) & ring->mask].seq : 0;
}

void audit_shm_close(struct audit_shm *s)
{
	if (s == NULL) {
		return;
	}
	munmap(s->hdr, s->size);
	free(s);
}

struct sb_audit_rec *audit_ring_slot(struct audit_ring *a)
{
	struct sb_audit_rec *rec;

	if (a->head - a->tail_cache > a->mask) {
		a->tail_cache = __atomic_load_n(&a->r->tail, __ATOMIC_ACQUIRE);
		if (a->head - a->tail_cache > a->mask) {
			return NULL;
		}
	}
	rec = &a->recs[a->head & a->mask];
	memset(rec, 0, sizeof(*rec));
	rec->worker = a->worker;
	rec->seq = ++a->seq;
	return rec;
}

void audit_copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	const char *nul;

	if (cap == 0) {
		return;
	}
	if (s == NULL) {
		n = 0;
	}
	nul = n != 0 ? memchr(s, '\0', n) : NULL;
	if (nul != NULL) {
		n = (size_t)(nul - s);
	}
	if (n > cap - 1) {
		n = cap - 1;
		/* Cut before a UTF-8 continuation byte, not through a character. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
			n--;
		}
	}
	if (n != 0) {
		memcpy(dst, s, n);
	}
	memset(dst + n, 0, cap - n);
}
