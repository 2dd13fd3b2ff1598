/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_rules.h - content rule sets on the data plane: the RULES table of
 * a policy snapshot (proto/shm/policy_abi.h), checked, deserialized into
 * one hyperscan database per rule set per worker, and payloads scanned
 * against a set.
 *
 * Life of a snapshot's rule sets:
 *   main lcore, snapshot arrives: policy_view_init (which calls
 *     policy_rules_check on the RULES table), then policy_rules_worker_new
 *     once per worker: each worker gets its own copy of every database
 *     (hs_deserialize_database_at into memory allocated here) and its own
 *     hyperscan scratch, so workers share nothing. If any of these fails,
 *     free what was made and keep the old snapshot, as for a view that
 *     does not check.
 *   workers: policy_rules_scan / policy_rules_scan_burst on their own
 *     object only (the scratch is the worker's), lock-free, no allocation,
 *     no system call.
 *   main lcore, after the RCU grace period that retires the old snapshot:
 *     policy_rules_worker_free on each worker's old object.
 * A worker object copies what it needs out of the snapshot (databases, rule
 * ids and actions): it does not point into shared memory.
 *
 * Outcome of a scan: a match of a "block" rule ends the scan at once and is
 * reported; "audit" matches do not end it (a block rule further on must
 * still win), and when no block rule matches the first audit match is
 * reported. Each rule reports at most once (HS_FLAG_SINGLEMATCH).
 */
#ifndef SB_POLICY_RULES_H
#define SB_POLICY_RULES_H

#include <stdint.h>

#include "shm/policy_abi.h"

struct hs_database;
struct hs_scratch;
struct policy_view;

#define POLICY_RULESET_NONE SB_POL_RULESET_NONE

/* What matched. */
struct policy_rules_hit {
	uint32_t ruleset;		/* rule set index */
	uint32_t rule_id;		/* rules[].id */
	uint64_t offset;		/* end of the match in the payload */
	uint8_t action;			/* enum sb_pol_rule_action */
};

/*
 * Counters of one worker's scans, written by that worker only (plain 64-bit
 * stores: a reader on another core sees whole values). They can live in the
 * caller's per-worker context so that they survive snapshots.
 */
struct policy_rules_counters {
	uint64_t scans;			/* payloads scanned (a set with rules) */
	uint64_t bytes;			/* bytes scanned */
	uint64_t matches[2];		/* by enum sb_pol_rule_action */
	uint64_t errors;		/* bad rule set index, hyperscan errors */
};

/* One rule set in one worker. */
struct policy_rules_db {
	struct hs_database *db;		/* in the worker's memory; NULL: no rules */
	const struct sb_pol_rule *rules;	/* sorted by id, in the worker's memory */
	uint32_t nb_rules;
	uint32_t name;			/* STRINGS offset of the rule set id */
};

/* Every rule set of one snapshot, for one worker. */
struct policy_rules_worker {
	uint32_t nb_rulesets;
	uint32_t worker;		/* the worker it was made for (informational) */
	struct hs_scratch *scratch;	/* big enough for every set; this worker only */
	struct policy_rules_counters *ctr;	/* the caller's, or &own */
	struct policy_rules_counters own;
	struct policy_rules_db *set;	/* [nb_rulesets] */
	void *mem;			/* one allocation: set[], rules, databases */
};

/*
 * policy_rules_check checks RULES table bytes |t| of |len| bytes (8-byte
 * aligned) from a snapshot whose STRINGS table has |strings_len| bytes:
 * every offset and length inside the table and 8-byte aligned, the rule
 * arrays sorted by id with known actions, a database exactly where a set
 * has rules, each one's hyperscan header good (hs_serialized_database_size:
 * magic, version, length within the blob). Returns 0 and the number of
 * sets in |*nb_rulesets|, or -EINVAL with the reason in |*why|.
 * policy_view_init calls it; it reads only the table.
 * Thread context: any (main lcore in the data plane).
 */
int policy_rules_check(const uint8_t *t, uint64_t len, uint64_t strings_len,
		       uint32_t *nb_rulesets, const char **why) __attribute__((warn_unused_result));

/*
 * policy_rules_worker_new makes worker |worker|'s object for the rule sets
 * of view |v| (which policy_view_init accepted; the empty view has none).
 * Scans count into |ctr|, or into the object's own counters when NULL.
 * Returns 0 and the object in |*out|; -ENOMEM (|*why| says so); -EINVAL
 * with the reason in |*why| when hyperscan refuses a database (compiled for
 * another CPU or another hyperscan version, corrupt). The object does not
 * point into the snapshot.
 * Thread context: main lcore (allocates).
 */
int policy_rules_worker_new(const struct policy_view *v, unsigned worker,
			    struct policy_rules_counters *ctr, struct policy_rules_worker **out,
			    const char **why) __attribute__((warn_unused_result));

/*
 * policy_rules_worker_free releases |w| (NULL accepted), once no worker can
 * be scanning with it (after the RCU grace period that retires it).
 * Thread context: main lcore.
 */
void policy_rules_worker_free(struct policy_rules_worker *w);

/*
 * policy_rules_scan scans |len| bytes at |data| with rule set |ruleset| of
 * |w|. Returns 0 (no match; also for POLICY_RULESET_NONE and sets without
 * rules), 1 (a match, described in |*hit|: the block match, else the first
 * audit match), -EINVAL (|ruleset| out of range) or -EIO (hyperscan
 * failed). Counts into w->ctr.
 * Thread context: the worker |w| was made for; no allocation, no syscall.
 */
int policy_rules_scan(const struct policy_rules_worker *w, uint32_t ruleset, const uint8_t *data,
		      uint32_t len, struct policy_rules_hit *hit);

/* One payload of a burst. */
struct policy_rules_req {
	const uint8_t *data;
	uint32_t len;
	uint32_t ruleset;		/* or POLICY_RULESET_NONE */
};

/*
 * policy_rules_scan_burst scans |n| payloads; rc[i] is what
 * policy_rules_scan returned for req[i] and hit[i] its match when rc[i] is
 * 1. Returns the number of payloads a block rule matched.
 * Thread context: as policy_rules_scan.
 */
uint16_t policy_rules_scan_burst(const struct policy_rules_worker *w,
				 const struct policy_rules_req *req, uint16_t n,
				 struct policy_rules_hit *hit, int8_t *rc);

/* policy_rules_action_name: "block", "audit" or "?". */
const char *policy_rules_action_name(unsigned action);

#endif
