/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_dp.c - what the trust module reads of the data plane: its
 * status object (NAME.status, proto/shm/shm_abi.h: the reader_token a seal
 * epoch is made for in MLS mode) and its bridge object (NAME.bridge,
 * proto/shm/bridge_abi.h: per trust the breaker, the link, the counters
 * and the rekey requests). Both are read with pread (no mapping kept), the
 * way shm_writer reads the status: two equal copies with an even sequence.
 * The bridge object's slots are copied once per read (ctl_trust_dp_read,
 * every scan) and looked up in that copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_trust_internal.h"
#include "shm/shm_abi.h"

#define TRIES 100

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool pid_alive(uint32_t pid)
{
	return pid != 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void read_status(struct ctl_trust *t)
{
	struct sb_shm_status st, again;
	char name[SB_SHM_NAME_MAX + 16];
	bool ok = false;
	int fd;

	snprintf(name, sizeof(name), "/%s%s", t->shm_name, SB_SHM_STATUS_SUFFIX);
	fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0) {
		return;
	}
	for (int i = 0; i < TRIES && !ok; i++) {
		ok = pread(fd, &st, sizeof(st), 0) == (ssize_t)sizeof(st) &&
		     pread(fd, &again, sizeof(again), 0) == (ssize_t)sizeof(again) &&
		     (st.seq & 1) == 0 && memcmp(&st, &again, sizeof(st)) == 0;
	}
	close(fd);
	if (!ok || st.magic != SB_SHM_STATUS_MAGIC || st.abi_major != SB_SHM_ABI_MAJOR ||
	    !pid_alive(st.reader_pid) || mono_ns() - st.heartbeat_ns >= SB_SHM_READER_STALE_NS) {
		return;
	}
	t->dp.running = true;
	t->dp.token = st.abi_minor >= 4 ? st.reader_token : 0;
}

/* Copies the slots of a live bridge object into t->dp.slots, or says why there are none. */
static void read_bridge(struct ctl_trust *t)
{
	struct ctl_trust_dp *d = &t->dp;
	struct sb_bridge_hdr h;
	char name[SB_SHM_NAME_MAX + 16];
	int fd;

	snprintf(name, sizeof(name), "/%s%s", t->shm_name, SB_BRIDGE_SUFFIX);
	fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0) {
		snprintf(d->why, sizeof(d->why), "the data plane is not running (no /dev/shm%s)",
			 name);
		return;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != SB_BRIDGE_MAGIC ||
	    h.nb_slots > SB_BRIDGE_MAX_TRUSTS ||
	    h.size < sizeof(h) + (uint64_t)h.nb_slots * sizeof(struct sb_bridge_trust)) {
		snprintf(d->why, sizeof(d->why), "/dev/shm%s is not a bridge status object", name);
		goto out;
	}
	if (!pid_alive(h.pid) || mono_ns() - h.heartbeat_ns >= SB_SHM_READER_STALE_NS) {
		snprintf(d->why, sizeof(d->why),
			 "the data plane is not running (/dev/shm%s is stale)", name);
		goto out;
	}
	for (uint32_t i = 0; i < h.nb_slots; i++) {
		struct sb_bridge_trust *a = &d->slots[d->n_slots], b;
		off_t off = (off_t)(sizeof(h) + (size_t)i * sizeof(*a));
		bool ok = false;

		for (int k = 0; k < TRIES && !ok; k++) {
			ok = pread(fd, a, sizeof(*a), off) == (ssize_t)sizeof(*a) &&
			     pread(fd, &b, sizeof(b), off) == (ssize_t)sizeof(b) &&
			     (a->seq & 1) == 0 && a->seq == b.seq;
		}
		a->trust_id[sizeof(a->trust_id) - 1] = '\0';
		if (ok && a->trust_id[0] != '\0') {
			d->n_slots++;
		}
	}
	d->bridge = true;
out:
	close(fd);
}

void ctl_trust_dp_read(struct ctl_trust *t)
{
	struct sb_bridge_trust *slots = t->dp.slots;

	t->dp = (struct ctl_trust_dp){.slots = slots};
	if (t->dp.slots == NULL) {
		t->dp.slots = calloc(SB_BRIDGE_MAX_TRUSTS, sizeof(*t->dp.slots));
	}
	read_status(t);
	if (t->dp.slots != NULL) {
		read_bridge(t);
	} else {
		snprintf(t->dp.why, sizeof(t->dp.why), "out of memory");
	}
}

int ctl_trust_dp_slot(const struct ctl_trust *t, const char *id, struct sb_bridge_trust *out,
		      char *why, size_t whylen)
{
	const struct ctl_trust_dp *d = &t->dp;

	if (!d->bridge) {
		snprintf(why, whylen, "%s", d->why);
		return -ENODEV;
	}
	for (uint32_t i = 0; i < d->n_slots; i++) {
		/* As the data plane claims slots: the first SB_BRIDGE_TRUST_ID_MAX bytes. */
		if (strncmp(d->slots[i].trust_id, id, SB_BRIDGE_TRUST_ID_MAX) == 0) {
			*out = d->slots[i];
			return 0;
		}
	}
	snprintf(why, whylen, "the data plane has no slot for this trust (yet)");
	return -ENOENT;
}
