/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_log.h - the audit segment files of one directory: the writer's
 * side (recovery at open, append with rotation and retention, the fsync
 * policy) and the readers' (listing and mapping segments). The byte format
 * is ctl_audit_seg.h's; the files are DIR/seg-<20-digit index>.sbaudit,
 * mode 0600 in a 0700 directory (records name agents and trust
 * relationships).
 *
 * Recovery (ctl_audit_log_open): segments whose header was cut by a crash
 * are removed (a header is written before any record, so they hold none);
 * the newest segment's torn tail (a record cut by a crash) is cut off with
 * ftruncate; the last seq written per worker is learnt from the newest
 * segments (their records and the next-seq of their headers) so that the
 * writer skips records a crashed writer wrote but had not yet released
 * from its ring. Appends go to the newest segment when its header is good
 * and it has room, else to a new one.
 *
 * Appends: whole frames only; a segment holds at most |segment_bytes|
 * (at least one frame); a new segment starts with a header carrying each
 * worker's next seq, then the oldest segments beyond |keep| are removed.
 * fsync policy: ALWAYS: fdatasync before ctl_audit_log_append returns;
 * INTERVAL: ctl_audit_log_tick asks for an fdatasync when something was
 * written and the last sync is at least |interval_ms| old; it runs on the
 * log's own syncer thread (over a dup of the descriptor, one at a time), so
 * the writer never waits on a slow disk for it (a segment closed by rotation
 * or at close is synced by the writer); NEVER: the kernel decides. New and removed
 * segments are made durable with an fsync of the directory (not with NEVER).
 *
 * Thread context: a struct ctl_audit_log belongs to one thread (the
 * writer). ctl_audit_log_list and ctl_audit_log_map may be called from any
 * thread, concurrently with the writer: a segment being appended to is read
 * up to its size when mapped (its last frame may be incomplete: a torn tail
 * to the reader, not damage). Errors are negative errno with a line in
 * |err|.
 */
#ifndef SB_CTL_AUDIT_LOG_H
#define SB_CTL_AUDIT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_audit_seg.h"

enum ctl_audit_fsync {
	CTL_AUDIT_FSYNC_ALWAYS,
	CTL_AUDIT_FSYNC_INTERVAL,
	CTL_AUDIT_FSYNC_NEVER,
};

#define CTL_AUDIT_FSYNC_INTERVAL_MS 1000
#define CTL_AUDIT_SEG_PREFIX "seg-"
#define CTL_AUDIT_SEG_SUFFIX ".sbaudit"

struct ctl_audit_log_conf {
	const char *dir;		/* made (0700) when missing, parents included */
	uint64_t segment_bytes;		/* rotate before a segment would exceed this */
	uint32_t keep;			/* segments kept (>= 1) */
	enum ctl_audit_fsync fsync;
	uint32_t interval_ms;		/* INTERVAL: 0 means CTL_AUDIT_FSYNC_INTERVAL_MS */
};

struct ctl_audit_log_stats {
	uint64_t records;		/* frames appended */
	uint64_t bytes;			/* bytes appended (headers included) */
	uint64_t segments_created;
	uint64_t segments_removed;	/* by retention */
	uint64_t fsyncs;		/* fdatasync calls on segments */
	uint64_t write_errors;
	uint64_t torn_bytes_cut;	/* at open */
	uint64_t corrupt_at_open;	/* bad stretches seen in the segments scanned at open */
	uint32_t segments;		/* in the directory now */
	uint64_t newest_index;
};

struct ctl_audit_log;

/*
 * ctl_audit_log_open opens (and recovers) the segments of c->dir. Returns
 * the log, or NULL with |err| set.
 */
struct ctl_audit_log *ctl_audit_log_open(const struct ctl_audit_log_conf *c, char *err,
					 size_t errlen);

/* ctl_audit_log_close syncs (unless NEVER) and closes |l|. NULL ok. */
void ctl_audit_log_close(struct ctl_audit_log *l);

/*
 * ctl_audit_log_last: the last seq written for |worker| (by this log or,
 * after open, found in the directory). false: none known.
 */
bool ctl_audit_log_last(const struct ctl_audit_log *l, uint32_t worker, uint64_t *seq);

/* ctl_audit_log_set_workers sets the worker count the next segment header covers. */
void ctl_audit_log_set_workers(struct ctl_audit_log *l, uint32_t nb_workers);

/*
 * ctl_audit_log_append appends |n| frames (CTL_AUDIT_FRAME_SIZE bytes each,
 * from ctl_audit_frame_encode) with write(2), rotating as needed. Returns
 * the frames written (== |n|, or fewer after an error: those are written,
 * the rest are not, and the error is in |err|), or a negative errno when
 * none was. With ALWAYS the frames returned are on stable storage.
 */
long ctl_audit_log_append(struct ctl_audit_log *l, const uint8_t *frames, size_t n, char *err,
			  size_t errlen) __attribute__((warn_unused_result));

/* ctl_audit_log_tick runs the INTERVAL fsync policy at monotonic time |now_ms|. */
void ctl_audit_log_tick(struct ctl_audit_log *l, uint64_t now_ms);

/* ctl_audit_log_sync calls fdatasync on the current segment now, if anything is unsynced. */
int ctl_audit_log_sync(struct ctl_audit_log *l) __attribute__((warn_unused_result));

/* ctl_audit_log_get_stats copies the counters. */
void ctl_audit_log_get_stats(const struct ctl_audit_log *l, struct ctl_audit_log_stats *s);

/* ---------------------------------------------------------------- readers */

/*
 * ctl_audit_log_list lists the segment indices of |dir|, oldest first, in
 * a new array (*out, free() it) of *n entries. A missing directory is an
 * empty list. Returns 0 or a negative errno.
 */
int ctl_audit_log_list(const char *dir, uint64_t **out, size_t *n)
	__attribute__((warn_unused_result));

/* ctl_audit_log_path writes segment |index|'s path under |dir| to |buf|. */
void ctl_audit_log_path(const char *dir, uint64_t index, char *buf, size_t cap);

/* A segment mapped read-only for reading. */
struct ctl_audit_seg_map {
	const uint8_t *b;
	size_t len;
	bool hdr_ok;			/* hdr valid; else frames are found from offset 0 */
	size_t hdr_len;
	struct ctl_audit_seg_hdr hdr;
};

/*
 * ctl_audit_log_map maps segment |index| of |dir|. Returns 0, -ENOENT
 * (removed meanwhile), or another negative errno. An empty file maps as
 * len 0.
 */
int ctl_audit_log_map(const char *dir, uint64_t index, struct ctl_audit_seg_map *m)
	__attribute__((warn_unused_result));

/* ctl_audit_log_unmap undoes ctl_audit_log_map. */
void ctl_audit_log_unmap(struct ctl_audit_seg_map *m);

#endif
