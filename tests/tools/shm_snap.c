/* SPDX-License-Identifier: Apache-2.0 */
/* shm_snap.c - the active snapshot of a policy object, copied (shm_snap.h). */
#include "shm_snap.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/shm_reader.h"

/* Copies the active snapshot out of the policy object: malloc'd, or NULL with |*why|. */
struct sb_shm_snapshot *shm_snap_read(const char *name, const char **why)
{
	char path[SB_SHM_NAME_MAX + 16];
	const struct sb_shm_header *h;
	struct sb_shm_snapshot *copy = NULL;
	struct stat st;
	void *base;
	int fd;

	snprintf(path, sizeof(path), "/%s%s", name, SB_SHM_POLICY_SUFFIX);
	fd = shm_open(path, O_RDONLY, 0);
	if (fd < 0) {
		*why = "no policy object";
		return NULL;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		*why = "policy object too small";
		return NULL;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		*why = "cannot map the policy object";
		return NULL;
	}
	h = base;
	if (h->magic != SB_SHM_MAGIC || h->abi_major != SB_SHM_ABI_MAJOR ||
	    h->header_size != sizeof(*h) || h->segment_size > (uint64_t)st.st_size ||
	    h->slot_size < sizeof(struct sb_shm_snapshot)) {
		*why = "not a policy object of this ABI";
		goto out;
	}
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t e = __atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE);
		uint32_t slot = __atomic_load_n(&h->active_slot, __ATOMIC_ACQUIRE);
		const struct sb_shm_snapshot *s;
		uint64_t size;

		if (e == 0 || __atomic_load_n(&h->in_progress, __ATOMIC_ACQUIRE) != 0 ||
		    slot >= SB_SHM_SLOTS) {
			usleep(1000);
			continue;
		}
		if (h->slot_offset[slot] > h->segment_size ||
		    h->slot_size > h->segment_size - h->slot_offset[slot]) {
			*why = "a slot lies outside the object";
			goto out;
		}
		s = (const struct sb_shm_snapshot *)((const uint8_t *)base + h->slot_offset[slot]);
		size = __atomic_load_n(&s->size, __ATOMIC_ACQUIRE);
		if (size < sizeof(*s) || size > h->slot_size) {
			usleep(1000);
			continue;
		}
		free(copy);
		copy = aligned_alloc(64, (size + 63) & ~(uint64_t)63);
		if (copy == NULL) {
			*why = "out of memory";
			goto out;
		}
		memcpy(copy, s, size);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->in_progress, __ATOMIC_ACQUIRE) != 0 ||
		    __atomic_load_n(&h->epoch, __ATOMIC_ACQUIRE) != e) {
			continue;	/* rewritten while we copied */
		}
		if (copy->epoch != e || copy->size != size || !shm_snapshot_valid(copy, size)) {
			*why = "the active snapshot is not valid";
			free(copy);
			copy = NULL;
		}
		goto out;
	}
	free(copy);
	copy = NULL;
	*why = "the writer never finished a publication";
out:
	munmap(base, (size_t)st.st_size);
	return copy;
}
