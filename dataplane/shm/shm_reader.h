/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm_reader.h - the data plane's side of the shared-memory ABI
 * (proto/shm/shm_abi.h). Used by the main lcore only (it makes system calls);
 * workers see snapshots through the pointer the main lcore publishes to them.
 *
 * The reader maps N.policy read-only, validates the header and the active
 * snapshot with the epoch/in-progress protocol, and re-attaches when the
 * control process is restarted (a new object). Mappings that workers might
 * still use are kept until the caller has waited for a grace period and
 * calls shm_reader_retire. It also owns N.status, where it acknowledges the
 * epoch every worker has reached.
 */
#ifndef SB_SHM_READER_H
#define SB_SHM_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/shm_abi.h"

struct shm_reader;

/*
 * shm_reader_new prepares a reader for objects named after |name| and
 * creates /dev/shm/|name|.status (mode 0644) for |nb_workers| workers.
 * Nothing is mapped until shm_reader_poll, which looks for a new policy
 * object (a restarted control process) at most every |recheck_ms| and reads
 * the header on every call. Returns NULL with errno set: EBUSY when another
 * live data plane (pid in |*owner_pid|) owns the status object, EINVAL for a
 * bad name, or the failed call's errno.
 */
struct shm_reader *shm_reader_new(const char *name, uint32_t nb_workers, uint32_t recheck_ms,
				  uint32_t *owner_pid);

/*
 * shm_reader_free unmaps everything, removes the status object if it is still
 * this reader's, and frees |r|. NULL is accepted.
 */
void shm_reader_free(struct shm_reader *r);

enum shm_state {
	SHM_STATE_ABSENT = 0,	/* no policy object: running with the last good (or empty) policy */
	SHM_STATE_ATTACHED,	/* attached; a snapshot is current */
	SHM_STATE_WAITING,	/* object present, no valid snapshot yet */
	SHM_STATE_INVALID,	/* object present but refused (bad magic, ABI, sizes) */
};

/*
 * shm_reader_poll checks the object and the header. Returns 1 and sets
 * |*snap| and |*epoch| when a new valid snapshot became current (the caller
 * hands it to the workers), 0 when nothing changed, or a negative errno when
 * the object is absent (-ENOENT) or refused (-EPROTO, -EINVAL; the reason is
 * in shm_reader_error). The last good snapshot stays mapped in every case.
 */
int shm_reader_poll(struct shm_reader *r, const struct sb_shm_snapshot **snap, uint64_t *epoch);

/*
 * shm_reader_ack records in N.status that every worker now uses |epoch| (or
 * newer) of the current instance, which lets the control process reuse the
 * other slot; call only after a grace period following the hand-over of the
 * snapshot shm_reader_poll last returned. Also unmaps mappings of earlier
 * instances, which no worker can reach any more.
 */
void shm_reader_ack(struct shm_reader *r, uint64_t epoch);

/*
 * shm_reader_refuse reports that the snapshot of |epoch| shm_reader_poll
 * last returned was not handed to the workers (it failed the caller's
 * checks): the previous one stays current, and N.status tells the control
 * process it may rewrite the refused slot (shm_abi.h, Refusal). The reader
 * refuses a snapshot that fails shm_snapshot_valid itself.
 */
void shm_reader_refuse(struct shm_reader *r, uint64_t epoch);

/* shm_reader_heartbeat refreshes N.status.heartbeat_ns. */
void shm_reader_heartbeat(struct shm_reader *r);

/* Introspection for telemetry. */
enum shm_state shm_reader_state(const struct shm_reader *r);
uint64_t shm_reader_epoch(const struct shm_reader *r);		/* of the current snapshot; 0: none */
uint64_t shm_reader_instance(const struct shm_reader *r);	/* 0: none */
/* shm_reader_token: this start's random token, published in the status object (reader_token). */
uint32_t shm_reader_token(const struct shm_reader *r);
uint32_t shm_reader_writer_pid(const struct shm_reader *r);
uint64_t shm_reader_writer_heartbeat_age_ms(const struct shm_reader *r);
const char *shm_reader_error(const struct shm_reader *r);	/* "" when none */

/*
 * shm_snapshot_valid checks a snapshot of a slot of |slot_size| bytes:
 * magic, size, table count and every table inside the snapshot. Returns true
 * when a worker may read it.
 */
bool shm_snapshot_valid(const struct sb_shm_snapshot *s, uint64_t slot_size);

#endif
