/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.h - the data plane's permission decisions on a policy snapshot
 * compiled by slimbridge-control (proto/shm/policy_abi.h), read in place in
 * shared memory.
 *
 * A decision for a cross-boundary message is two bulk lookups in the agent
 * table (source and destination, by SLIM name), one bulk lookup in the
 * per-agent rows (the effective verdict of the four levels for the other
 * side's organisation; the agent's default where it has no row), a bit
 * test of the tenant's kill switch, and for external organisations one
 * lookup of the trust relationship. Where an agents: list or a namespace
 * decides, one more lookup in the pair table.
 *
 * Thread context: policy_view_init on the main lcore when a snapshot
 * arrives (it reads the whole snapshot to check it); policy_decide_burst on
 * any worker, lock-free, no allocation, as long as the view's snapshot is
 * held (RCU, see dataplane/main.c). Content rule sets: policy_rules.h.
 */
#ifndef SB_POLICY_H
#define SB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/shm_abi.h"
#include "shm/policy_abi.h"

/* Pointers into one snapshot; filled by policy_view_init. */
struct policy_view {
	const struct sb_pol_meta *meta;
	const struct sb_pol_tenant *tenants;
	const struct sb_pol_org *orgs;
	const struct sb_pol_trust *trusts;
	const struct sb_pol_agent *agents;
	const struct sb_pol_kv *rows;
	const struct sb_pol_kv *pairs;
	const struct sb_pol_kv *trustmap;
	const struct sb_pol_kv *orgmap;
	const char *strings;
	uint64_t strings_len;
	const uint8_t *rules;		/* RULES table, checked (policy_rules.h) */
	uint64_t rules_len;
	uint32_t nb_rulesets;
	uint64_t version;
	uint32_t nb_tenants, nb_orgs, nb_trusts;
	uint8_t agent_bits, row_bits, pair_bits, trustmap_bits, orgmap_bits;
};

/* Which hierarchies a query checks. */
enum policy_dir {
	POLICY_OUTBOUND = SB_POL_OUTBOUND,	/* the source's, towards the target's organisation */
	POLICY_INBOUND = SB_POL_INBOUND,	/* the target's, from the source's organisation */
	POLICY_MESSAGE = 2,			/* both, for the sides this bridge serves (local tenants) */
};

struct policy_query {
	uint64_t src[3];		/* SLIM name components (EncodedName 0..2) */
	uint64_t dst[3];
	uint8_t dir;			/* enum policy_dir */
	uint8_t op;			/* enum sb_pol_op */
};

#define POLICY_NO_TRUST UINT32_MAX

/*
 * The content rule sets that apply to an allowed message's payload
 * (policy_rules_scan), each a RULES index or SB_POL_RULESET_NONE: the
 * source's and the target's project's, for the sides this bridge serves
 * (local tenants), and the trust relationship's for an external hop. They
 * index the rule sets of the same snapshot as the view that decided: scan
 * with the policy_rules_worker made from that view. Same-app messages and
 * unknown agents get none.
 */
struct policy_verdict {
	uint8_t allowed;
	uint8_t level;			/* enum sb_pol_level */
	uint8_t reason;			/* enum sb_pol_reason */
	uint8_t required;		/* 1: crosses an app or tenant boundary */
	uint32_t trust;			/* trust index of an external hop, or POLICY_NO_TRUST */
	uint32_t rs_src;		/* rule set of the source's project */
	uint32_t rs_dst;		/* rule set of the target's project */
	uint32_t rs_trust;		/* rule set of the trust relationship |trust| names */
};

/*
 * policy_view_init checks snapshot |s| (table kinds and sizes, capacities,
 * the checksum, every index an agent or trust record holds, the RULES
 * table's layout: policy_rules_check) and points |v| into it. NULL |s| makes the empty view, which denies every
 * cross-boundary message (UNKNOWN_AGENT). Returns 0, or -EINVAL with the
 * reason in |*why| (the snapshot must not be used).
 */
int policy_view_init(struct policy_view *v, const struct sb_shm_snapshot *s, const char **why)
	__attribute__((warn_unused_result));

/*
 * policy_decide_burst decides |n| queries into |out| (same order). Returns
 * the number allowed.
 */
uint16_t policy_decide_burst(const struct policy_view *v, const struct policy_query *q, uint16_t n,
			     struct policy_verdict *out);

/* policy_reason_text / policy_level_name: the texts of the ABI's enums. */
const char *policy_reason_text(unsigned reason);
const char *policy_level_name(unsigned level);

/* policy_name_hash: SLIM's component hash (XXH64 seed 0 over the bytes and one 0xFF). */
uint64_t policy_name_hash(const char *s, uint32_t len);

/*
 * policy_agent_name writes our agent |comp|'s name as "tenant/app/agent"
 * (the ids of the policy) into |out| and returns true, or returns false
 * when the view has no such agent (a foreign or unknown one).
 */
bool policy_agent_name(const struct policy_view *v, const uint64_t comp[3], char *out, size_t cap);

/* policy_string returns the STRINGS entry at |off|, or "" if out of range. */
const char *policy_string(const struct policy_view *v, uint32_t off);

#endif
