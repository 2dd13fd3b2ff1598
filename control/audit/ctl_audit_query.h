/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_query.h - reading audit records back: the filter of an
 * AuditQuery, its run over a directory of segments, and the texts a record
 * is shown with (time, decision, reason, level, encryption, ...).
 *
 * Order: segments are read newest first and each from its end, so a query
 * selects the |limit| matching records written last; those are returned
 * sorted by time, newest first (then worker, then seq, newest first).
 * A query with |since| stops at the first segment whose successor was
 * created more than CTL_AUDIT_SINCE_MARGIN_NS before |since|: every record in
 * it and the older ones was written (so decided) before that.
 *
 * Thread context: any (the control process runs queries on its audit query
 * thread). Nothing is shared between calls.
 */
#ifndef SB_CTL_AUDIT_QUERY_H
#define SB_CTL_AUDIT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/audit_abi.h"

#define CTL_AUDIT_LIMIT_DEFAULT 100
#define CTL_AUDIT_LIMIT_MAX 10000
#define CTL_AUDIT_SINCE_MARGIN_NS (60ull * 1000000000ull)
#define CTL_AUDIT_TIME_MAX 40		/* "2024-05-01T12:00:00.123456789Z" and NUL */
#define CTL_AUDIT_ENC_MAX 40

/*
 * What a query asks for. NULL strings match anything; the others match
 * with fnmatch(3) (so "acme/" followed by "*" matches a prefix, and a plain
 * name only itself).
 */
struct ctl_audit_filter {
	uint16_t type;			/* enum sb_audit_type; 0: any */
	int decision;			/* enum sb_audit_decision; -1: any */
	const char *project;
	/*
	 * The agents of |project| in the current policy, as "tenant/app/agent"
	 * (the names audit records carry for our agents): a record matches the
	 * project when its project field is |project| or its source or its
	 * destination is one of them.
	 */
	char **project_agents;
	size_t n_project_agents;
	const char *source;
	const char *destination;
	const char *trust;
	bool has_since, has_until;
	uint64_t since_ns;		/* ts_ns >= since_ns */
	uint64_t until_ns;		/* ts_ns < until_ns */
	uint32_t limit;			/* 1..CTL_AUDIT_LIMIT_MAX */
};

struct ctl_audit_result {
	struct sb_audit_rec *recs;	/* newest first; free() */
	size_t n;
	bool truncated;			/* more records matched than |limit| */
	uint32_t segments_read;
	uint64_t corrupt;		/* damaged stretches skipped while reading */
};

/* ctl_audit_filter_match: does |rec| pass |f| (limit aside)? */
bool ctl_audit_filter_match(const struct ctl_audit_filter *f, const struct sb_audit_rec *rec);

/*
 * ctl_audit_query_run reads the segments of |dir| for |f| into |res|
 * (zeroed first; free res->recs). A missing directory gives no records.
 * Returns 0, or a negative errno with |err| set.
 */
int ctl_audit_query_run(const char *dir, const struct ctl_audit_filter *f,
			struct ctl_audit_result *res, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* ctl_audit_time_text writes |ns| (Unix ns) as RFC 3339 UTC with nanoseconds. */
const char *ctl_audit_time_text(uint64_t ns, char *buf, size_t cap);

/*
 * ctl_audit_time_parse reads RFC 3339 ("2024-05-01T12:00:00Z", fractional
 * seconds and +hh:mm offsets allowed, 't'/'z' too) or Unix seconds with an
 * optional fraction ("1714564800", "1714564800.5") into Unix ns. Returns 0
 * or -EINVAL.
 */
int ctl_audit_time_parse(const char *s, uint64_t *ns) __attribute__((warn_unused_result));

/* The texts of a record's fields (never NULL; "?" style values for unknown codes). */
const char *ctl_audit_type_name(uint16_t type);		/* "slim_communication" */
int ctl_audit_type_parse(const char *s);		/* the type, or -EINVAL */
const char *ctl_audit_decision_name(uint8_t decision);	/* "allowed" / "denied" */
const char *ctl_audit_reason_text(uint8_t reason);	/* proto/shm/policy_abi.h's texts */
const char *ctl_audit_level_name(uint8_t level);	/* "" when none */
const char *ctl_audit_transport_name(uint8_t transport);	/* local / grpc / https */
const char *ctl_audit_dir_name(uint8_t dir);		/* local / outbound / inbound */
/* "none", "aes-256-gcm" or "mls epoch N". */
const char *ctl_audit_enc_text(const struct sb_audit_rec *rec, char *buf, size_t cap);

/*
 * ctl_audit_text_clean makes a record string (NUL-terminated, at most |cap|
 * bytes) valid UTF-8 without control characters, replacing offending
 * bytes with '?', so that it can go into a protobuf string and JSON.
 */
void ctl_audit_text_clean(char *s, size_t cap);

#endif
