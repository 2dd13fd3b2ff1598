/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit.h - the control process's audit module (docs/audit.md): the
 * writer that drains the data plane's audit rings (/dev/shm/NAME.audit,
 * proto/shm/audit_abi.h) into append-only segment files, and the
 * AuditQuery / AuditStats methods of the ControlService.
 *
 * Threads: the writer runs on its own thread, so that the event loop never
 * waits on a disk. It attaches the rings when the object exists (looking
 * again every 100 ms, and for a new object of the same name by inode),
 * drains every ring into the segments, advances a ring's tail only after
 * its records are written (write(2) returned; with --audit-fsync always,
 * after fdatasync), and runs the fsync policy. Queries run on a second
 * thread over the segment files; their answers are sent from the event
 * loop by ctl_audit_tick. The methods and ctl_audit_tick run on the event
 * loop's thread.
 *
 * Losslessness: records leave a ring only once written; at start, records
 * a crashed writer wrote but had not released are skipped by (worker, seq)
 * (only on an object a writer had attached before: a new object's seqs may
 * start again). A seq that jumps is counted as a gap and logged: it must
 * never happen.
 *
 * Errors are negative errno; constructors return NULL with a line in |err|.
 */
#ifndef SB_CTL_AUDIT_H
#define SB_CTL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_audit_log.h"

#define CTL_AUDIT_SEGMENT_MB 64
#define CTL_AUDIT_KEEP 16
#define CTL_AUDIT_ATTACH_MS 100

struct ctl_audit;
struct grpc_server;

struct ctl_audit_conf {
	const char *shm_name;		/* reads /dev/shm/<shm_name>.audit */
	const char *dir;		/* segment directory */
	uint64_t segment_bytes;
	uint32_t keep;
	enum ctl_audit_fsync fsync;
	bool disabled;			/* --no-audit: no writer; queries still read |dir| */
	bool quiet;			/* errors only */
	/*
	 * For AuditQuery's project filter: the agents of |project| in the
	 * current policy as malloc'd "tenant/app/agent" strings (|*out|, |*n|;
	 * the caller frees each and the array). Called on the event loop. NULL:
	 * the filter matches the records' project field only.
	 */
	int (*project_agents)(void *arg, const char *project, char ***out, size_t *n);
	void *project_arg;
};

/*
 * ctl_audit_new opens (and recovers) the segment directory, registers
 * AuditQuery and AuditStats on |srv| and starts the threads. Returns NULL
 * with |err| set.
 */
struct ctl_audit *ctl_audit_new(const struct ctl_audit_conf *c, struct grpc_server *srv, char *err,
				size_t errlen);

/* ctl_audit_tick sends the answers of finished queries (event loop). */
void ctl_audit_tick(struct ctl_audit *a, uint64_t now_ms);

/*
 * ctl_audit_stop stops the threads: the writer drains what the rings hold
 * (for up to a second), syncs and closes its segment; calls still waiting
 * are answered UNAVAILABLE. Before the event loop is freed. NULL ok.
 */
void ctl_audit_stop(struct ctl_audit *a);

/* ctl_audit_free frees |a| (after the event loop and its calls are gone). NULL ok. */
void ctl_audit_free(struct ctl_audit *a);

/*
 * ctl_audit_default_dir writes the default segment directory: "audit-NAME"
 * next to the database file |db| (its directory, or "." for a bare name).
 */
void ctl_audit_default_dir(const char *db, const char *name, char *buf, size_t cap);

/* ctl_audit_fsync_parse reads always|interval|never. Returns the policy or -EINVAL. */
int ctl_audit_fsync_parse(const char *s);

/* ctl_audit_fsync_name returns the policy's name. */
const char *ctl_audit_fsync_name(enum ctl_audit_fsync f);

#endif
