/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - permission decisions on a compiled snapshot.
 *
 * The hot loop has the l3fwd shape: compute every slot of a sub-burst and
 * prefetch it, then probe; the agent table (1 M agents: 128 MiB) and the
 * rows do not fit in cache, so the prefetches are what make a burst cost a
 * few dozen cycles per message rather than several cache misses each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY	/* XXH64_state_t on the stack */
#include <xxhash.h>

#include "policy.h"
#include "policy_rules.h"

#define SUB 32	/* queries per prefetch round */

static const char *const reason_text[SB_POL_REASON_MAX] = {
#define _(n, s) s,
	foreach_sb_pol_reason
#undef _
};

static const char *const level_name[SB_POL_LEVEL_MAX] = {
#define _(n, s) s,
	foreach_sb_pol_level
#undef _
};

const char *policy_reason_text(unsigned reason)
{
	return reason < SB_POL_REASON_MAX ? reason_text[reason] : "?";
}

const char *policy_level_name(unsigned level)
{
	return level < SB_POL_LEVEL_MAX ? level_name[level] : "?";
}

uint64_t policy_name_hash(const char *s, uint32_t len)
{
	XXH64_state_t st;
	static const uint8_t ff = 0xff;

	XXH64_reset(&st, 0);
	XXH64_update(&st, s, len);
	XXH64_update(&st, &ff, 1);
	return XXH64_digest(&st);
}

const char *policy_string(const struct policy_view *v, uint32_t off)
{
	return v->strings != NULL && off < v->strings_len ? v->strings + off : "";
}

/* ---------------------------------------------------------------- checking a snapshot */

static const struct sb_shm_table *table(const struct sb_shm_snapshot *s, uint32_t kind)
{
	const struct sb_shm_table *found = NULL;

	for (uint32_t i = 0; i < s->nb_tables; i++) {
		if (s->tables[i].kind == kind) {
			if (found != NULL) {
				return NULL;	/* twice: refuse */
			}
			found = &s->tables[i];
		}
	}
	return found;
}

static bool agent_empty(const struct sb_pol_agent *a)
{
	return (a->comp[0] | a->comp[1] | a->comp[2]) == 0;
}

int policy_view_init(struct policy_view *v, const struct sb_shm_snapshot *s, const char **why)
{
	static const uint32_t order[] = {
		SB_POL_TABLE_TENANTS, SB_POL_TABLE_ORGS, SB_POL_TABLE_TRUSTS, SB_POL_TABLE_AGENTS,
		SB_POL_TABLE_ROWS, SB_POL_TABLE_PAIRS, SB_POL_TABLE_TRUSTMAP, SB_POL_TABLE_ORGMAP,
		SB_POL_TABLE_STRINGS, SB_POL_TABLE_RULES,
	};
	const struct sb_shm_table *t[SB_POL_TABLE_RULES + 1] = {0};
	const uint8_t *base = (const uint8_t *)s;
	const struct sb_pol_meta *m;
	XXH64_state_t st;
	uint64_t want[SB_POL_TABLE_RULES + 1];
	int rc;

	memset(v, 0, sizeof(*v));
	if (s == NULL || s->nb_tables == 0) {
		return 0;	/* the empty policy */
	}
	t[SB_POL_TABLE_META] = table(s, SB_POL_TABLE_META);
	if (t[SB_POL_TABLE_META] == NULL || t[SB_POL_TABLE_META]->size != sizeof(*m)) {
		*why = "policy snapshot: no META table";
		return -EINVAL;
	}
	m = (const struct sb_pol_meta *)(base + t[SB_POL_TABLE_META]->offset);
	if (m->magic != SB_POL_META_MAGIC) {
		*why = "policy snapshot: bad META magic";
		return -EINVAL;
	}
	if (m->agent_bits > 31 || m->row_bits > 31 || m->pair_bits > 31 || m->trustmap_bits > 31 ||
	    m->orgmap_bits > 31 || m->agent_bits < 1 || m->row_bits < 1 || m->pair_bits < 1 ||
	    m->trustmap_bits < 1 || m->orgmap_bits < 1) {
		*why = "policy snapshot: bad table capacity";
		return -EINVAL;
	}
	want[SB_POL_TABLE_TENANTS] = (uint64_t)m->nb_tenants * sizeof(struct sb_pol_tenant);
	want[SB_POL_TABLE_ORGS] = (uint64_t)m->nb_orgs * sizeof(struct sb_pol_org);
	want[SB_POL_TABLE_TRUSTS] = (uint64_t)m->nb_trusts * sizeof(struct sb_pol_trust);
	want[SB_POL_TABLE_AGENTS] = sizeof(struct sb_pol_agent) << m->agent_bits;
	want[SB_POL_TABLE_ROWS] = sizeof(struct sb_pol_kv) << m->row_bits;
	want[SB_POL_TABLE_PAIRS] = sizeof(struct sb_pol_kv) << m->pair_bits;
	want[SB_POL_TABLE_TRUSTMAP] = sizeof(struct sb_pol_kv) << m->trustmap_bits;
	want[SB_POL_TABLE_ORGMAP] = sizeof(struct sb_pol_kv) << m->orgmap_bits;
	XXH64_reset(&st, 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint32_t k = order[i];

		t[k] = table(s, k);
		if (t[k] == NULL) {
			*why = "policy snapshot: a table is missing or repeated";
			return -EINVAL;
		}
		if ((k != SB_POL_TABLE_STRINGS && k != SB_POL_TABLE_RULES && t[k]->size != want[k]) ||
		    t[k]->offset % 8 != 0) {
			*why = "policy snapshot: a table has the wrong size";
			return -EINVAL;
		}
		XXH64_update(&st, base + t[k]->offset, t[k]->size);
	}
	if (XXH64_digest(&st) != m->checksum) {
		*why = "policy snapshot: checksum mismatch";
		return -EINVAL;
	}
	v->meta = m;
	v->version = m->version;
	v->nb_tenants = m->nb_tenants;
	v->nb_orgs = m->nb_orgs;
	v->nb_trusts = m->nb_trusts;
	v->tenants = (const void *)(base + t[SB_POL_TABLE_TENANTS]->offset);
	v->orgs = (const void *)(base + t[SB_POL_TABLE_ORGS]->offset);
	v->trusts = (const void *)(base + t[SB_POL_TABLE_TRUSTS]->offset);
	v->agents = (const void *)(base + t[SB_POL_TABLE_AGENTS]->offset);
	v->rows = (const void *)(base + t[SB_POL_TABLE_ROWS]->offset);
	v->pairs = (const void *)(base + t[SB_POL_TABLE_PAIRS]->offset);
	v->trustmap = (const void *)(base + t[SB_POL_TABLE_TRUSTMAP]->offset);
	v->orgmap = (const void *)(base + t[SB_POL_TABLE_ORGMAP]->offset);
	v->strings = (const char *)(base + t[SB_POL_TABLE_STRINGS]->offset);
	v->strings_len = t[SB_POL_TABLE_STRINGS]->size;
	v->agent_bits = (uint8_t)m->agent_bits;
	v->row_bits = (uint8_t)m->row_bits;
	v->pair_bits = (uint8_t)m->pair_bits;
	v->trustmap_bits = (uint8_t)m->trustmap_bits;
	v->orgmap_bits = (uint8_t)m->orgmap_bits;
	/* Every index the fast path follows must be in range: a worker never checks. */
	if (v->strings_len == 0 || v->strings[v->strings_len - 1] != '\0') {
		goto bad_index;
	}
	v->rules = base + t[SB_POL_TABLE_RULES]->offset;
	v->rules_len = t[SB_POL_TABLE_RULES]->size;
	rc = policy_rules_check(v->rules, v->rules_len, v->strings_len, &v->nb_rulesets, why);
	if (rc < 0) {
		memset(v, 0, sizeof(*v));
		return rc;
	}
	for (uint64_t i = 0; i < ((uint64_t)1 << v->agent_bits); i++) {
		const struct sb_pol_agent *a = &v->agents[i];

		if (agent_empty(a)) {
			continue;
		}
		if (a->tenant >= v->nb_tenants || a->org_int >= v->nb_orgs ||
		    a->org_ext >= v->nb_orgs || a->idx >= m->nb_agents || a->name >= v->strings_len ||
		    (a->ruleset != SB_POL_RULESET_NONE && a->ruleset >= v->nb_rulesets)) {
			goto bad_index;
		}
	}
	for (uint32_t i = 0; i < v->nb_trusts; i++) {
		if (v->trusts[i].org >= v->nb_orgs || v->trusts[i].name >= v->strings_len ||
		    (v->trusts[i].ruleset != SB_POL_RULESET_NONE &&
		     v->trusts[i].ruleset >= v->nb_rulesets)) {
			goto bad_index;
		}
	}
	for (uint64_t i = 0; i < ((uint64_t)1 << v->trustmap_bits); i++) {
		if (v->trustmap[i].key != 0 && v->trustmap[i].val.u64 >= v->nb_trusts) {
			goto bad_index;
		}
	}
	for (uint64_t i = 0; i < ((uint64_t)1 << v->orgmap_bits); i++) {
		if (v->orgmap[i].key != 0 && v->orgmap[i].val.u64 >= v->nb_orgs) {
			goto bad_index;
		}
	}
	for (uint32_t i = 0; i < v->nb_tenants; i++) {
		if (v->tenants[i].name >= v->strings_len) {
			goto bad_index;
		}
	}
	for (uint32_t i = 0; i < v->nb_orgs; i++) {
		if (v->orgs[i].name >= v->strings_len) {
			goto bad_index;
		}
	}
	return 0;
bad_index:
	memset(v, 0, sizeof(*v));
	*why = "policy snapshot: an index is out of range";
	return -EINVAL;
}

/* ---------------------------------------------------------------- deciding */

static inline const struct sb_pol_kv *kv_probe(const struct sb_pol_kv *t, unsigned bits,
					       uint64_t key, uint64_t slot)
{
	const uint64_t mask = ((uint64_t)1 << bits) - 1;

	for (;;) {
		const struct sb_pol_kv *e = &t[slot];

		if (e->key == key) {
			return e;
		}
		if (e->key == 0) {
			return NULL;
		}
		slot = (slot + 1) & mask;
	}
}

static inline const struct sb_pol_agent *agent_probe(const struct policy_view *v,
						     const uint64_t comp[3], uint64_t slot)
{
	const uint64_t mask = ((uint64_t)1 << v->agent_bits) - 1;

	for (;;) {
		const struct sb_pol_agent *a = &v->agents[slot];

		if (a->comp[0] == comp[0] && a->comp[1] == comp[1] && a->comp[2] == comp[2]) {
			return agent_empty(a) ? NULL : a;
		}
		if (agent_empty(a)) {
			return NULL;
		}
		slot = (slot + 1) & mask;
	}
}

static inline void deny(struct policy_verdict *o, unsigned level, unsigned reason)
{
	o->allowed = 0;
	o->level = (uint8_t)level;
	o->reason = (uint8_t)reason;
}

/* One side's check: |local|'s hierarchy towards organisation |org| of |peer|. */
struct check {
	const struct sb_pol_agent *local;
	const struct sb_pol_agent *peer;
	uint64_t row_key;
	uint64_t row_slot;
	uint32_t org;
	uint16_t q;
	uint8_t vidx;
};

static void finish_check(const struct policy_view *v, const struct check *c,
			 const struct sb_pol_kv *row, struct policy_verdict *o)
{
	uint32_t tflags = v->tenants[c->local->tenant].flags;
	uint16_t vd = row != NULL ? row->val.v[c->vidx] : c->local->dflt[c->vidx];
	unsigned level;

	if (!o->allowed) {
		return;		/* an earlier side denied: the first denial is reported */
	}
	if ((tflags & (SB_POL_TENANT_LOCAL | SB_POL_TENANT_ENABLED)) !=
	    (SB_POL_TENANT_LOCAL | SB_POL_TENANT_ENABLED)) {
		deny(o, SB_POL_LEVEL_TENANT, SB_POL_REASON_TENANT_DISABLED);
		return;
	}
	if (vd & SB_POL_V_COND) {
		uint64_t key = ((uint64_t)c->local->idx + 1) << 32 | SB_POL_PAIR_BIT | c->peer->idx;
		const struct sb_pol_kv *pair =
			kv_probe(v->pairs, v->pair_bits, key, sb_pol_slot(key, v->pair_bits));

		if (pair == NULL) {
			deny(o, SB_POL_LEVEL_IDENTITY, SB_POL_REASON_UNKNOWN_AGENT);
			return;
		}
		vd = pair->val.v[c->vidx];
	}
	level = (vd & SB_POL_V_LEVEL_MASK) >> SB_POL_V_LEVEL_SHIFT;
	if (!(vd & SB_POL_V_ALLOWED) && level == SB_POL_LEVEL_TENANT) {
		deny(o, level, vd >> SB_POL_V_REASON_SHIFT);
		return;
	}
	if (v->orgs[c->org].flags & SB_POL_ORG_EXTERNAL) {
		uint64_t key = ((uint64_t)c->local->tenant + 1) << 32 | c->org;
		const struct sb_pol_kv *tm =
			kv_probe(v->trustmap, v->trustmap_bits, key, sb_pol_slot(key, v->trustmap_bits));

		if (tm == NULL) {
			deny(o, SB_POL_LEVEL_TRUST, SB_POL_REASON_NO_TRUST);
			return;
		}
		if (v->trusts[tm->val.u64].state != SB_POL_TRUST_ESTABLISHED) {
			deny(o, SB_POL_LEVEL_TRUST, SB_POL_REASON_TRUST_NOT_ESTABLISHED);
			return;
		}
		o->trust = (uint32_t)tm->val.u64;
		o->rs_trust = v->trusts[o->trust].ruleset;
	}
	if (!(vd & SB_POL_V_ALLOWED)) {
		deny(o, level, vd >> SB_POL_V_REASON_SHIFT);
	}
}

static uint16_t decide_sub(const struct policy_view *v, const struct policy_query *q, uint16_t n,
			   struct policy_verdict *out)
{
	uint64_t ss[SUB], ds[SUB];
	struct check chk[2 * SUB];
	unsigned nc = 0;
	uint16_t allowed = 0;

	/* 1. Agent slots, prefetched. */
	for (uint16_t i = 0; i < n; i++) {
		ss[i] = sb_pol_slot(sb_pol_agent_key(q[i].src), v->agent_bits);
		ds[i] = sb_pol_slot(sb_pol_agent_key(q[i].dst), v->agent_bits);
		__builtin_prefetch(&v->agents[ss[i]]);
		__builtin_prefetch(&v->agents[ds[i]]);
	}
	/* 2. Agents; same app or unknown is decided here; the rest become checks. */
	for (uint16_t i = 0; i < n; i++) {
		struct policy_verdict *o = &out[i];
		const struct sb_pol_agent *s, *d;
		bool s_local, d_local;

		s = agent_probe(v, q[i].src, ss[i]);
		d = agent_probe(v, q[i].dst, ds[i]);
		o->allowed = 1;
		o->level = SB_POL_LEVEL_NONE;
		o->reason = SB_POL_REASON_ALLOWED;
		o->required = 1;
		o->trust = POLICY_NO_TRUST;
		o->rs_src = SB_POL_RULESET_NONE;
		o->rs_dst = SB_POL_RULESET_NONE;
		o->rs_trust = SB_POL_RULESET_NONE;
		if (s == NULL || d == NULL) {
			deny(o, SB_POL_LEVEL_IDENTITY, SB_POL_REASON_UNKNOWN_AGENT);
			continue;
		}
		if (s->app == d->app) {
			o->required = 0;
			o->reason = SB_POL_REASON_NOT_REQUIRED;
			continue;
		}
		s_local = v->tenants[s->tenant].flags & SB_POL_TENANT_LOCAL;
		d_local = v->tenants[d->tenant].flags & SB_POL_TENANT_LOCAL;
		o->rs_src = s_local ? s->ruleset : SB_POL_RULESET_NONE;
		o->rs_dst = d_local ? d->ruleset : SB_POL_RULESET_NONE;
		if (q[i].dir == POLICY_MESSAGE && !s_local && !d_local) {
			/* No agent this bridge serves is party to it: not ours to carry. */
			deny(o, SB_POL_LEVEL_IDENTITY, SB_POL_REASON_UNKNOWN_AGENT);
			continue;
		}
		if (q[i].dir == POLICY_OUTBOUND || (q[i].dir == POLICY_MESSAGE && s_local)) {
			struct check *c = &chk[nc++];

			c->local = s;
			c->peer = d;
			c->org = s->tenant == d->tenant ? d->org_int : d->org_ext;
			c->q = i;
			c->vidx = (uint8_t)sb_pol_vidx(SB_POL_OUTBOUND, q[i].op & 1);
		}
		if (q[i].dir == POLICY_INBOUND || (q[i].dir == POLICY_MESSAGE && d_local)) {
			struct check *c = &chk[nc++];

			c->local = d;
			c->peer = s;
			c->org = s->tenant == d->tenant ? s->org_int : s->org_ext;
			c->q = i;
			c->vidx = (uint8_t)sb_pol_vidx(SB_POL_INBOUND, q[i].op & 1);
		}
	}
	/* 3. Row slots, prefetched; then the verdicts. */
	for (unsigned k = 0; k < nc; k++) {
		chk[k].row_key = ((uint64_t)chk[k].local->idx + 1) << 32 | chk[k].org;
		chk[k].row_slot = sb_pol_slot(chk[k].row_key, v->row_bits);
		__builtin_prefetch(&v->rows[chk[k].row_slot]);
	}
	for (unsigned k = 0; k < nc; k++) {
		const struct sb_pol_kv *row =
			kv_probe(v->rows, v->row_bits, chk[k].row_key, chk[k].row_slot);

		finish_check(v, &chk[k], row, &out[chk[k].q]);
	}
	for (uint16_t i = 0; i < n; i++) {
		allowed += out[i].allowed;
	}
	return allowed;
}

uint16_t policy_decide_burst(const struct policy_view *v, const struct policy_query *q, uint16_t n,
			     struct policy_verdict *out)
{
	uint16_t allowed = 0;

	if (v->agents == NULL) {
		for (uint16_t i = 0; i < n; i++) {
			out[i] = (struct policy_verdict){.allowed = 0, .level = SB_POL_LEVEL_IDENTITY,
							 .reason = SB_POL_REASON_UNKNOWN_AGENT,
							 .required = 1, .trust = POLICY_NO_TRUST,
							 .rs_src = SB_POL_RULESET_NONE,
							 .rs_dst = SB_POL_RULESET_NONE,
							 .rs_trust = SB_POL_RULESET_NONE};
		}
		return 0;
	}
	for (uint16_t i = 0; i < n; i += SUB) {
		uint16_t m = (uint16_t)(n - i < SUB ? n - i : SUB);

		allowed = (uint16_t)(allowed + decide_sub(v, q + i, m, out + i));
	}
	return allowed;
}

bool policy_agent_name(const struct policy_view *v, const uint64_t comp[3], char *out, size_t cap)
{
	const struct sb_pol_agent *a;
	const char *app;

	if (v == NULL || v->agents == NULL || cap == 0) {
		return false;
	}
	a = agent_probe(v, comp, sb_pol_slot(sb_pol_agent_key(comp), v->agent_bits));
	if (a == NULL || a->tenant >= v->nb_tenants || a->org_int >= v->nb_orgs) {
		return false;
	}
	app = policy_string(v, v->orgs[a->org_int].name);
	if (strncmp(app, "internal:", 9) == 0) {
		app += 9;
	}
	snprintf(out, cap, "%s/%s/%s", policy_string(v, v->tenants[a->tenant].name), app,
		 policy_string(v, a->name));
	return true;
}
