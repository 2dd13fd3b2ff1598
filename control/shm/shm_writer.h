/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm_writer.h - the control process's side of the shared-memory ABI
 * (proto/shm/shm_abi.h): creates N.policy, publishes snapshots with the
 * epoch/in-progress protocol, keeps the heartbeat, and reads N.status to know
 * when a slot may be reused. Single-threaded: one writer per object.
 */
#ifndef SB_SHM_WRITER_H
#define SB_SHM_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/shm_abi.h"

struct shm_writer;

/*
 * shm_writer_create creates /dev/shm/|name|.policy with two slots of
 * |slot_size| bytes (rounded up to SB_SHM_SLOT_ALIGN; at least one snapshot
 * header) and mode 0640. A stale object left by a dead writer is replaced;
 * one owned by a live writer is not. Returns the writer, or NULL with
 * |*err| set to -EBUSY (another live control process owns it; its pid in
 * |*owner_pid|), -EINVAL (bad name) or the negative errno of the failed call.
 */
struct shm_writer *shm_writer_create(const char *name, uint64_t slot_size, int *err,
				     uint32_t *owner_pid);

/*
 * shm_writer_publish writes a snapshot holding |nb_tables| table descriptors
 * (offsets relative to the table data, which the writer rebases) and
 * |data_len| bytes of table data into the inactive slot and makes it active
 * with epoch + 1. If the data plane refused the active snapshot, that slot
 * (which no worker reads) is rewritten instead. Returns the new epoch (> 0),
 * -EAGAIN if the reader has neither acknowledged nor refused the previous
 * epoch (the inactive slot may still be read; try again later), -E2BIG if it does not fit a slot, -EINVAL for bad
 * arguments.
 */
int64_t shm_writer_publish(struct shm_writer *w, const struct sb_shm_table *tables,
			   uint32_t nb_tables, const void *data, uint64_t data_len);

/* shm_writer_heartbeat refreshes header.heartbeat_ns (call about once a second). */
void shm_writer_heartbeat(struct shm_writer *w);

/* shm_writer_epoch returns the epoch of the active snapshot (0 before the first publish). */
uint64_t shm_writer_epoch(const struct shm_writer *w);

/* shm_writer_rewrites counts publishes that replaced a snapshot the data plane refused. */
uint64_t shm_writer_rewrites(const struct shm_writer *w);

/* shm_writer_instance returns this writer's instance id. */
uint64_t shm_writer_instance(const struct shm_writer *w);

/*
 * shm_writer_reader_acked returns the epoch the data plane reports all its
 * workers have moved to for this instance, or 0 if no live data plane has
 * acknowledged this instance.
 */
uint64_t shm_writer_reader_acked(const struct shm_writer *w);

/*
 * shm_writer_destroy unmaps and closes |w| and, if |unlink_obj|, removes the
 * object (a data plane keeps its mapping and its last good policy). NULL is
 * accepted.
 */
void shm_writer_destroy(struct shm_writer *w, bool unlink_obj);

#endif
