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
 *            organisations, rule sets), referenced by byte offset.
 *   RULES    content rule sets: hyperscan block-mode databases compiled by
 *            the control process, with their rules' ids and actions
 *            (layout below, at struct sb_pol_rules_hdr). A trust record and
 *            an agent record (its project's) name a rule set by index.
 *   MLS      the MLS groups this bridge is a member of (optional; layout
 *            below, at struct sb_pol_mls_hdr): per group, the epoch record
 *            the data plane protects and unprotects application messages
 *            with (dataplane/mls/mls_export.h). Written by the control
 *            process's MLS module (control/mls/ctl_mls.h) into the next
 *            publication after every epoch change; it changes without a new
 *            policy version, so META's checksum does not cover it: the table
 *            has its own. A reader that does not know the kind ignores it.
 *   BUNDLES  the SPIFFE trust bundles the data plane verifies JWT-SVIDs
 *            against (optional): the MLS table's layout with magic
 *            SB_POL_BUNDLES_MAGIC, keyed by trust domain; an entry's number
 *            is the bundle's spiffe_sequence (0 when it has none), its
 *            record the bundle document (JWKS JSON, checked and parsed by
 *            dataplane/identity/id_bundle.h). Written by the control
 *            process's federation module into every publication; its own
 *            checksum, like MLS. No table: the data plane keeps the bundles
 *            it has; an empty table: it trusts no trust domain.
 *   SEALS    the sealed cross-boundary hop of each trust relationship
 *            (optional; the MLS table's layout with magic SB_POL_SEALS_MAGIC,
 *            keyed by trust id; an entry's number is the seal's MLS epoch,
 *            its record a struct sb_pol_seal followed by the group id and
 *            the peer's trust domain). Written by the control process's
 *            trust module (control/trust/) into every publication; its own
 *            checksum. Holds the epoch's seal secrets: covered by the
 *            policy object's mode 0640 like MLS. Read by dataplane/bridge.
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
	SB_POL_TABLE_RULES = 11,
	SB_POL_TABLE_MLS = 12,
	SB_POL_TABLE_BUNDLES = 13,
	SB_POL_TABLE_SEALS = 14,
};

/*
 * "SBBPOL2": the layout of these tables. 2 added the RULES table and the
 * rule set indices of sb_pol_trust (which grew to 24 bytes) and
 * sb_pol_agent; a reader of another layout refuses the snapshot.
 */
#define SB_POL_META_MAGIC 0x324c4f5042424253ULL /* "SBBPOL2" */

/* Levels at which a decision can be denied. */
#define foreach_sb_pol_level \
	_(NONE, "") \
	_(TENANT, "tenant") \
	_(TRUST, "trust") \
	_(PROJECT, "project") \
	_(TEAM, "team") \
	_(AGENT, "agent") \
	_(IDENTITY, "identity") \
	_(CONTENT, "content")	/* the SLIM path's content rules; never in a compiled verdict */ \
	_(BRIDGE, "bridge")	/* the bridge's own checks: circuit breaker, seal; never compiled */

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
	_(UNKNOWN_ORG, "Unknown organization") \
	_(CONTENT_BLOCKED, "Content blocked by rule") \
	_(CONTENT_ERROR, "Content could not be scanned") \
	_(IDENTITY_MISSING, "No identity token") \
	_(IDENTITY_INVALID, "Identity token rejected") \
	_(IDENTITY_MISMATCH, "Identity does not match the source agent") \
	_(CIRCUIT_OPEN, "circuit open") \
	_(PEER_UNREACHABLE, "Peer bridge unreachable") \
	_(SEAL_FAILED, "Message could not be sealed for the peer bridge") \
	_(OPEN_FAILED, "Sealed record could not be opened")

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

/* A rule set index in a trust or agent record: none. */
#define SB_POL_RULESET_NONE	UINT32_MAX

struct sb_pol_trust {
	uint8_t state;			/* enum sb_pol_trust_state */
	uint8_t flags;
	uint16_t failure_threshold;
	uint32_t cooldown_s;
	uint32_t name;			/* STRINGS offset of the trust id */
	uint32_t org;			/* org index */
	uint32_t ruleset;		/* RULES index of its contentRuleSet, or SB_POL_RULESET_NONE */
	uint32_t reserved;		/* zero */
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
	uint32_t ruleset;		/* RULES index of its project's contentRuleSet, or
					 * SB_POL_RULESET_NONE (no project, or none set) */
	uint8_t reserved[4];
};

struct sb_pol_kv {
	uint64_t key;
	union {
		uint16_t v[4];
		uint64_t u64;
	} val;
};

/*
 * The RULES table. Every offset is in bytes from the start of the table and
 * a multiple of 8; everything lies inside the table:
 *
 *   struct sb_pol_rules_hdr                  16 bytes
 *   struct sb_pol_ruleset[nb_rulesets]       32 bytes each, by rule set index
 *                                            (the order of the policy's
 *                                            contentRuleSets)
 *   struct sb_pol_rule[nb_rules]             8 bytes each: each set's rules
 *                                            together, sorted by id (unique
 *                                            within a set), sets in order
 *   databases                                one per set with rules: what
 *                                            hs_serialize_database wrote for a
 *                                            block-mode database (HS_MODE_BLOCK,
 *                                            HS_FLAG_SINGLEMATCH, HS_FLAG_CASELESS
 *                                            where asked; a rule's id is its
 *                                            hyperscan id), 8-byte aligned
 *
 * The table's count (struct sb_shm_table) is nb_rulesets. A set without
 * rules has blob_off = blob_len = 0 and matches nothing. The database was
 * compiled for the host's CPU by the control process on the same host;
 * the data plane deserializes it (hs_deserialize_database_at) per worker.
 */
enum sb_pol_rule_action {
	SB_POL_RULE_BLOCK = 0,		/* the message is dropped */
	SB_POL_RULE_AUDIT = 1,		/* the message passes; the match is counted and reported */
};

#define SB_POL_RULE_CASELESS	0x1u	/* compiled with HS_FLAG_CASELESS (for display) */

struct sb_pol_rules_hdr {
	uint32_t nb_rulesets;
	uint32_t nb_rules;		/* all sets together */
	uint32_t flags;			/* none defined; 0 */
	uint32_t reserved;		/* zero */
};

struct sb_pol_ruleset {
	uint32_t name;			/* STRINGS offset of the rule set id */
	uint32_t nb_rules;
	uint64_t rules_off;		/* its struct sb_pol_rule[nb_rules] */
	uint64_t blob_off;		/* its serialized database; 0 without rules */
	uint64_t blob_len;		/* bytes; 0 without rules */
};

struct sb_pol_rule {
	uint32_t id;			/* rules[].id: the hyperscan id, reported on a match */
	uint8_t action;			/* enum sb_pol_rule_action */
	uint8_t flags;			/* SB_POL_RULE_* */
	uint16_t reserved;		/* zero */
};

/*
 * The MLS table. Offsets are in bytes from the start of the table, each a
 * multiple of 8; everything lies inside the table:
 *
 *   struct sb_pol_mls_hdr                    32 bytes
 *   struct sb_pol_mls_group[nb_groups]       32 bytes each, sorted by group
 *                                            id (memcmp over the shorter
 *                                            length, then the shorter first),
 *                                            ids unique
 *   data                                     per group its id and its epoch
 *                                            record (mls_export.h, version 1),
 *                                            each 8-byte aligned, zero padding
 *
 * The table's count (struct sb_shm_table) is nb_groups. checksum is XXH64
 * (seed 0) over every byte of the table after the header. A group's
 * record repeats its id and epoch: a reader checks that they agree with
 * the index entry. The records hold secrets (epoch secrets, the bridge's
 * signature private key): the policy object is mode 0640, readable by the
 * data plane's group only, and the control process wipes its copies.
 */
#define SB_POL_MLS_MAGIC 0x0031534c4d424253ULL	/* "SBBMLS1" */
#define SB_POL_MLS_MAX_GROUPS 4096
#define SB_POL_MLS_MAX_ID 255			/* bytes of a group id */
#define SB_POL_BUNDLES_MAGIC 0x0031444e42424253ULL	/* "SBBBND1" */

/*
 * A SEALS entry's record (8-byte aligned, then group_id_len bytes of MLS
 * group id and peer_td_len bytes of the peer's trust domain, zero padding
 * to 8). Both bridges of a trust are the two members of one MLS group; its
 * epoch secrets give the seal secrets (docs/wire.md, "Seal"):
 *   secret = MLS-Exporter("slimbridge seal v1", group_id, 32)
 * of the epoch |epoch|, and prev_secret the same of epoch |prev_epoch|
 * (kept so records sealed just before a rekey still open: the receiver
 * accepts prev_epoch for SB_POL_SEAL_PREV_WINDOW_S after it sees |epoch|).
 * mode MLS: records are MLS PrivateMessages of the group (the epoch record
 * is the MLS table's entry for group_id); mode AES: AES-256-GCM with keys
 * derived from |secret| (seal.h). state READY: keys valid; NONE: the
 * handshake has not finished (traffic is denied TRUST_NOT_ESTABLISHED).
 */
#define SB_POL_SEALS_MAGIC 0x0031534c45534253ULL	/* "SBSSEL1" */
#define SB_POL_SEAL_PREV_WINDOW_S 30
/*
 * flags: SEND_PREV - send with prev_epoch (receive both): set by the
 * committer after a rekey until the peer has the new epoch, so no record
 * is sealed under an epoch the peer cannot open yet.
 */
#define SB_POL_SEAL_F_SEND_PREV 0x1u
/*
 * RECV_ONLY - install the keys to open records, seal nothing with them yet:
 * set by a bridge that just joined a group (the creator may not have
 * published it yet). Records still go out under the previous group, if
 * any, which the peer opens within its window.
 */
#define SB_POL_SEAL_F_RECV_ONLY 0x2u

enum sb_pol_seal_mode {
	SB_POL_SEAL_AES = 1,		/* AES-256-GCM, keys from the exporter (--mls off) */
	SB_POL_SEAL_MLS = 2,		/* MLS application messages (--mls on) */
};

enum sb_pol_seal_state {
	SB_POL_SEAL_NONE = 0,
	SB_POL_SEAL_READY = 1,
};

struct sb_pol_seal {
	uint32_t trust;			/* trust index (TRUSTS) in the same snapshot */
	uint8_t mode;			/* enum sb_pol_seal_mode */
	uint8_t state;			/* enum sb_pol_seal_state */
	uint8_t transport;		/* 0 grpc (the only one so far) */
	uint8_t family;			/* peer bridge's SLIM endpoint: 4 or 6 */
	uint8_t addr[16];		/* network order (v4: first 4 bytes) */
	uint16_t port;			/* host order */
	uint16_t group_id_len;		/* 1..SB_POL_MLS_MAX_ID */
	uint16_t peer_td_len;		/* 1..255 */
	uint16_t flags;			/* SB_POL_SEAL_F_* */
	uint32_t own_leaf;		/* our leaf in the group */
	uint32_t peer_leaf;		/* the peer bridge's leaf */
	uint64_t epoch;			/* epoch of |secret| */
	uint64_t prev_epoch;		/* epoch of |prev_secret|; 0: none */
	uint8_t secret[32];
	uint8_t prev_secret[32];
	uint32_t rekey_messages;	/* the control process rekeys after this many sealed (0: off) */
	uint32_t dp_token;		/* mode MLS: the data-plane instance (sb_shm_status
					 * reader_token) this epoch was made for; the data plane
					 * seals with an MLS epoch only when it is its own token,
					 * so a restarted data plane never reuses a generation
					 * (the control process rekeys when the token changes) */
};

struct sb_pol_mls_hdr {
	uint64_t magic;			/* SB_POL_MLS_MAGIC */
	uint32_t nb_groups;		/* <= SB_POL_MLS_MAX_GROUPS */
	uint32_t flags;			/* none defined; 0 */
	uint64_t checksum;		/* XXH64 (seed 0) over the table after this header */
	uint64_t reserved;		/* zero */
};

struct sb_pol_mls_group {
	uint64_t id_off;		/* the group id: id_len bytes */
	uint64_t rec_off;		/* its epoch record: rec_len bytes */
	uint64_t epoch;			/* the record's epoch */
	uint32_t rec_len;
	uint16_t id_len;		/* 1 .. SB_POL_MLS_MAX_ID */
	uint16_t reserved;		/* zero */
};

static_assert(sizeof(struct sb_pol_meta) == 128, "sb_pol_meta is 128 bytes");
static_assert(sizeof(struct sb_pol_tenant) == 8, "sb_pol_tenant");
static_assert(sizeof(struct sb_pol_seal) == 128, "sb_pol_seal");
static_assert(offsetof(struct sb_pol_seal, epoch) == 40, "sb_pol_seal.epoch");
static_assert(sizeof(struct sb_pol_org) == 8, "sb_pol_org");
static_assert(sizeof(struct sb_pol_trust) == 24, "sb_pol_trust");
static_assert(offsetof(struct sb_pol_trust, ruleset) == 16, "sb_pol_trust.ruleset");
static_assert(sizeof(struct sb_pol_agent) == 64, "sb_pol_agent is one cache line");
static_assert(offsetof(struct sb_pol_agent, dflt) == 48, "sb_pol_agent.dflt");
static_assert(offsetof(struct sb_pol_agent, ruleset) == 56, "sb_pol_agent.ruleset");
static_assert(sizeof(struct sb_pol_kv) == 16, "sb_pol_kv");
static_assert(sizeof(struct sb_pol_rules_hdr) == 16, "sb_pol_rules_hdr");
static_assert(sizeof(struct sb_pol_ruleset) == 32, "sb_pol_ruleset");
static_assert(offsetof(struct sb_pol_ruleset, rules_off) == 8, "sb_pol_ruleset.rules_off");
static_assert(offsetof(struct sb_pol_ruleset, blob_off) == 16, "sb_pol_ruleset.blob_off");
static_assert(offsetof(struct sb_pol_ruleset, blob_len) == 24, "sb_pol_ruleset.blob_len");
static_assert(sizeof(struct sb_pol_rule) == 8, "sb_pol_rule");
static_assert(sizeof(struct sb_pol_mls_hdr) == 32, "sb_pol_mls_hdr");
static_assert(offsetof(struct sb_pol_mls_hdr, checksum) == 16, "sb_pol_mls_hdr.checksum");
static_assert(sizeof(struct sb_pol_mls_group) == 32, "sb_pol_mls_group");
static_assert(offsetof(struct sb_pol_mls_group, rec_len) == 24, "sb_pol_mls_group.rec_len");

#endif
