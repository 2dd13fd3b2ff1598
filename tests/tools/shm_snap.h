/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm_snap.h - test tools: a copy of the active snapshot of a control
 * process's policy object (/dev/shm/NAME.policy), read the way the data
 * plane reads it (header checks, the publication protocol's in_progress
 * and epoch, shm_snapshot_valid), for tools that print or use its tables.
 */
#ifndef SB_TOOLS_SHM_SNAP_H
#define SB_TOOLS_SHM_SNAP_H

#include "shm/shm_abi.h"

/*
 * shm_snap_read copies the active snapshot of /dev/shm/|name|.policy into
 * malloc'd memory (64-byte aligned; free() it), or returns NULL with the
 * reason in |*why|. Retries while a publication is in progress (1 s).
 */
struct sb_shm_snapshot *shm_snap_read(const char *name, const char **why);

#endif
