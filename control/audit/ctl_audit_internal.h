/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_internal.h - inside the audit module: the state shared by
 * ctl_audit.c (life cycle, the writer thread) and ctl_audit_methods.c (the
 * query thread and the ControlService methods).
 */
#ifndef SB_CTL_AUDIT_INTERNAL_H
#define SB_CTL_AUDIT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_audit.h"
#include "ctl_audit_query.h"
#include "shm/audit_abi.h"
#include "shm/shm_abi.h"

#define CTL_AUDIT_BATCH 4096		/* records per write(2) at most */

/* The writer's view of one ring. */
struct ctl_audit_rs {
	uint64_t tail;			/* ours: what has been written out */
	uint64_t expected;		/* next seq (0: not known yet) */
	uint64_t dedup_until;		/* skip seq <= this while |dedup| */
	bool dedup;			/* right after attaching an object a writer had before */
	bool fresh;			/* a new object: the first record may restart seq */
	bool bad;			/* head/tail inconsistent: reported once */
};

/* Counters the writer bumps (relaxed atomics) and the methods read. */
struct ctl_audit_counters {
	uint64_t records;		/* drained and written */
	uint64_t gaps;			/* a seq jump in some ring */
	uint64_t duplicates;		/* skipped at attach: already in the segments */
	uint64_t seq_restarts;		/* new object whose seqs start again */
	uint64_t attaches;
	uint64_t ring_errors;		/* inconsistent head/tail seen */
	uint64_t drain_errors;		/* appends that wrote nothing */
};

struct ctl_audit_q;
struct ctl_audit_slot;

struct ctl_audit {
	char *dir;
	char obj[SB_SHM_NAME_MAX + 16];	/* "/NAME.audit" */
	struct ctl_audit_conf conf;

	/* The writer thread (absent with conf.disabled). */
	struct ctl_audit_log *log;
	pthread_t writer;
	bool writer_started;
	int stop;			/* atomic */
	struct sb_audit_hdr *hdr;	/* mapped object, NULL: none */
	size_t size;
	dev_t dev;
	ino_t ino;
	uint64_t last_check_ms;
	uint32_t rr;			/* first ring of the next pass */
	struct ctl_audit_rs rs[SB_AUDIT_MAX_RINGS];
	uint8_t *frames;		/* CTL_AUDIT_BATCH frames */
	struct ctl_audit_meta *meta;	/* one per frame */
	uint64_t gap_logs;
	struct ctl_audit_counters cnt;

	/* Readers of the writer's state (AuditStats). */
	pthread_mutex_t shm_lock;	/* hdr/size while mapping or unmapping */
	pthread_mutex_t stats_lock;	/* lst */
	struct ctl_audit_log_stats lst;

	/* Queries. */
	pthread_t querier;
	bool querier_started;
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct ctl_audit_q *q_head, *q_tail;	/* waiting */
	struct ctl_audit_q *done;		/* answered by ctl_audit_tick */
	bool q_stop;
	struct ctl_audit_slot *slots;
};

/* ctl_audit_methods_register registers AuditQuery and AuditStats on |srv|. */
int ctl_audit_methods_register(struct ctl_audit *a, struct grpc_server *srv)
	__attribute__((warn_unused_result));

/* ctl_audit_querier runs the query thread (pthread entry). */
void *ctl_audit_querier(void *arg);

/* ctl_audit_methods_abandon answers every call still waiting UNAVAILABLE (threads stopped). */
void ctl_audit_methods_abandon(struct ctl_audit *a);

#endif
