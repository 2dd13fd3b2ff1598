/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_abi.h - the policy tables inside a shared-memory snapshot
 * (shm_abi.h): what slimbridge-control's compiler writes and the data
 * plane's policy module reads in place. Declarations only; no logic.
 *
 * A policy snapshot holds these tables (struct sb_shm_table kinds):
 *
 *   META     one struct sb_pol_meta: counts, hash-table capacities, the
 *            policy version, and an XXH64 checksum over every other table.
 *   TENANTS  struct sb_pol_tenant[], indexed by tenant index (dense, 0..n-1).
 *   ORGS     struct sb_pol_org[], indexed by organisation index.
 *   TRUSTS   struct sb_pol_trust[], indexed by trust index.
 *   AGENTS   open-addressing hash table of struct sb_pol_agent (64 bytes,
 *            one cache line) keyed by the agent's SLIM name components.
 *   ROWS     open-addressing hash table of struct sb_pol_kv: key
 *            (agent index + 1) << 32 | org index -> four verdicts. The
 *            effective permission of an agent towards (outbound) or from
 *            (inbound) an organisation, all four levels already combined.
 *            Organisations an agent's policy never names (other than through
 *            "*") have no row: the agent's default verdicts apply.
 *   PAIRS    open-addressing hash table of struct sb_pol_kv: key
 *            (agent index + 1) << 32 | SB_POL_PAIR_BIT | peer agent index ->
 *            four verdicts. Only where a row's verdict is "conditional" (an
 *            agents: list or a namespace decides).
 *   TRUSTMAP open-addressing hash table of struct sb_pol_kv: key
 *            (tenant index + 1) << 32 | org index -> trust index.
 *   ORGMAP   open-addressing hash table of struct sb_pol_kv: key
 *            XXH64(organisation string) -> org index (explicit-org queries).
 *   STRINGS  NUL-terminated names (ids of tenants, apps, agents,
 *            organisations), referenced by byte offset.
 *
 * Hash tables: capacity a power of two, load factor <= 1/2, linear probing
 * from slot sb_pol_slot(key), key 0 marks an empty slot (no valid key is 0).
 *
 * A verdict is 16 bits: bit 0 allowed, bit 1 conditional (look up PAIRS),
 * bits 2..4 the denying level (enum sb_pol_level), bits 8..15 the reason
 * (enum sb_pol_reason). Verdict arrays are indexed by sb_pol_vidx(dir, op).
 *
 * Order of the checks (docs/policy.md): the tenant kill switch, the tenant's
 * blocked/allowed organisations, the trust relationship (external
 * organisations), then project, team and agent. The first denial is reported.
 * The kill switch and trust states are kept out of the rows so that flipping
 * them rewrites one entry, not one row per agent.
 */
#ifndef SB_POLICY_ABI_H
#define SB_POLICY_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

enum sb_pol_table_kind {
	SB_POL_TABLE_META = 1,
	SB_POL_TABLE_TENANTS = 2,
	SB_POL_TABLE_ORGS = 3,
	SB_POL_TABLE_TRUSTS = 4,
	SB_POL_TABLE_AGENTS = 5,
	SB_POL_TABLE_ROWS = 6,
	SB_POL_TABLE_PAIRS = 7,
	SB_POL_TABLE_TRUSTMAP = 8,
	SB_POL_TABLE_ORGMAP = 9,
	SB_POL_TABLE_STRINGS = 10,
};

#define SB_POL_META_MAGIC 0x314c4f5042424253ULL /* "SBBPOL1" */

/* Levels at which a decision can be denied. */
#define foreach_sb_pol_level \
	_(NONE, "") \
	_(TENANT, "tenant") \
	_(TRUST, "trust") \
	_(PROJECT, "project") \
	_(TEAM, "team") \
	_(AGENT, "agent") \
	_(IDENTITY, "identity")

enum sb_pol_level {
#define _(n, s) SB_POL_LEVEL_##n,
	foreach_sb_pol_level
#undef _
	SB_POL_LEVEL_MAX,
};

/*
 * Reasons, with the seeds' texts where the seeds give one ("SLIM capability
 * disabled at tenant level", "Organization not allowed", "SLIM disabled for
 * this agent").
 */
#define foreach_sb_pol_reason \
	_(ALLOWED, "Allowed") \
	_(NOT_REQUIRED, "Same app: not a SLIM boundary (use A2A)") \
	_(TENANT_DISABLED, "SLIM capability disabled at tenant level") \
	_(ORG_BLOCKED, "Organization blocked") \
	_(ORG_NOT_ALLOWED, "Organization not allowed") \
	_(NO_TRUST, "No trust relationship with organization") \
	_(TRUST_NOT_ESTABLISHED, "Trust relationship not established") \
	_(NO_PROJECT, "Agent is not in a project") \
	_(PROJECT_DISABLED, "SLIM disabled for this project") \
	_(TEAM_DISABLED, "SLIM disabled for this team") \
	_(OP_NOT_PERMITTED, "Operation not permitted") \
	_(AGENT_NOT_ALLOWED, "Agent not allowed for organization") \
	_(AGENT_DISABLED, "SLIM disabled for this agent") \
	_(OUTBOUND_DISABLED, "Outbound SLIM disabled for this agent") \
	_(INBOUND_DISABLED, "Inbound SLIM disabled for this agent") \
	_(TARGET_NOT_ALLOWED, "Target not allowed for this agent") \
	_(CALLER_NOT_ALLOWED, "Caller not allowed for this agent") \
	_(UNKNOWN_AGENT, "Unknown agent") \
	_(UNKNOWN_ORG, "Unknown organization")

enum sb_pol_reason {
#define _(n, s) SB_POL_REASON_##n,
	foreach_sb_pol_reason
#undef _
	SB_POL_REASON_MAX,
};

enum sb_pol_dir {
	SB_POL_OUTBOUND = 0,
	SB_POL_INBOUND = 1,
};

enum sb_pol_op {
	SB_POL_OP_TASK = 0,
	SB_POL_OP_QUERY = 1,
};

#define SB_POL_V_ALLOWED	0x0001u
#define SB_POL_V_COND		0x0002u
#define SB_POL_V_LEVEL_SHIFT	2
#define SB_POL_V_LEVEL_MASK	0x001cu
#define SB_POL_V_REASON_SHIFT	8

#define SB_POL_VERDICT(allowed, level, reason) \
	((uint16_t)(((allowed) ? SB_POL_V_ALLOWED : 0) | ((unsigned)(level) << SB_POL_V_LEVEL_SHIFT) | \
		    ((unsigned)(reason) << SB_POL_V_REASON_SHIFT)))

static inline unsigned sb_pol_vidx(unsigned dir, unsigned op)
{
	return dir * 2 + op;
}

#define SB_POL_PAIR_BIT 0x80000000u

/* Slot of |key| in a table of 2^bits slots (Fibonacci hashing of a mixed key). */
static inline uint64_t sb_pol_slot(uint64_t key, unsigned bits)
{
	key ^= key >> 31;
	key *= 0x9e3779b97f4a7c15ULL;
	return key >> (64 - bits);
}

/* The hash of an agent's SLIM name components; an empty slot has all three 0. */
static inline uint64_t sb_pol_agent_key(const uint64_t comp[3])
{
	return (comp[0] * 0x9e3779b97f4a7c15ULL) ^ (comp[1] * 0xc2b2ae3d27d4eb4fULL) ^
	       (comp[2] * 0x165667b19e3779f9ULL);
}

struct sb_pol_meta {
	uint64_t magic;			/* SB_POL_META_MAGIC */
	uint64_t version;		/* store version this snapshot was compiled from */
	uint64_t checksum;		/* XXH64 (seed 0) over the other tables, in table order */
	uint32_t nb_tenants;
	uint32_t nb_orgs;
	uint32_t nb_trusts;
	uint32_t nb_agents;
	uint32_t agent_bits;		/* AGENTS capacity = 1 << agent_bits */
	uint32_t row_bits;
	uint32_t pair_bits;
	uint32_t trustmap_bits;
	uint32_t orgmap_bits;
	uint32_t nb_rows;
	uint32_t nb_pairs;
	uint32_t reserved0;
	uint8_t reserved[56];
};

#define SB_POL_TENANT_LOCAL	0x1u	/* served by this bridge: its policy applies */
#define SB_POL_TENANT_ENABLED	0x2u	/* settings.slim.capabilityEnabled */

struct sb_pol_tenant {
	uint32_t flags;
	uint32_t name;			/* STRINGS offset of the id */
};

#define SB_POL_ORG_EXTERNAL	0x1u

struct sb_pol_org {
	uint32_t flags;
	uint32_t name;			/* STRINGS offset of "internal:x" / "external:y" */
};

enum sb_pol_trust_state {
	SB_POL_TRUST_PENDING = 0,
	SB_POL_TRUST_ESTABLISHED = 1,
	SB_POL_TRUST_SUSPENDED = 2,
	SB_POL_TRUST_REVOKED = 3,
};

#define SB_POL_TRUST_MLS	0x1u
#define SB_POL_TRUST_HTTPS	0x2u	/* transport https; grpc otherwise */

struct sb_pol_trust {
	uint8_t state;			/* enum sb_pol_trust_state */
	uint8_t flags;
	uint16_t failure_threshold;
	uint32_t cooldown_s;
	uint32_t name;			/* STRINGS offset of the trust id */
	uint32_t org;			/* org index */
};

struct sb_pol_agent {
	uint64_t comp[3];		/* SLIM name components: XXH64 of tenant, app, agent id */
	uint32_t idx;			/* agent index (0..nb_agents-1) */
	uint32_t tenant;
	uint32_t app;			/* app index (same-app test) */
	uint32_t org_int;		/* org index of internal:{app} */
	uint32_t org_ext;		/* org index of external:{tenant} */
	uint32_t name;			/* STRINGS offset of the agent id */
	uint16_t dflt[4];		/* verdicts for organisations without a row */
	uint8_t reserved[8];
};

struct sb_pol_kv {
	uint64_t key;
	union {
		uint16_t v[4];
		uint64_t u64;
	} val;
};

static_assert(sizeof(struct sb_pol_meta) == 128, "sb_pol_meta is 128 bytes");
static_assert(sizeof(struct sb_pol_tenant) == 8, "sb_pol_tenant");
static_assert(sizeof(struct sb_pol_org) == 8, "sb_pol_org");
static_assert(sizeof(struct sb_pol_trust) == 16, "sb_pol_trust");
static_assert(sizeof(struct sb_pol_agent) == 64, "sb_pol_agent is one cache line");
static_assert(offsetof(struct sb_pol_agent, dflt) == 48, "sb_pol_agent.dflt");
static_assert(sizeof(struct sb_pol_kv) == 16, "sb_pol_kv");

#endif
