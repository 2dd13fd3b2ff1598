/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_compile.c - model -> snapshot tables.
 *
 * Why rows only for the organisations an agent's policy names: an
 * organisation enters the evaluation only through pattern matches, so every
 * organisation that no non-"*" pattern of the agent's tenant, project, team
 * and agent settings matches gets the same verdicts: the agent's default,
 * computed once with an organisation that matches nothing but "*". Rows
 * equal to the default are not stored either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY	/* XXH64_state_t on the stack */
#include <xxhash.h>

#include "pol_compile.h"
#include "pol_eval.h"
#include "pol_rules.h"

uint64_t pol_name_hash(const char *s)
{
	XXH64_state_t st;
	static const uint8_t ff = 0xff;

	XXH64_reset(&st, 0);
	XXH64_update(&st, s, strlen(s));
	XXH64_update(&st, &ff, 1);
	return XXH64_digest(&st);
}

/* ---------------------------------------------------------------- growable buffers */

struct vec {
	void *p;
	size_t n, cap, esz;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap != 0 ? v->cap * 2 : 64;
		void *p = realloc(v->p, cap * v->esz);

		if (p == NULL) {
			return NULL;
		}
		v->p = p;
		v->cap = cap;
	}
	return (uint8_t *)v->p + v->esz * v->n++;
}

struct strtab {
	char *p;
	size_t len, cap;
};

static int64_t str_add(struct strtab *t, const char *s)
{
	size_t n = strlen(s) + 1;
	size_t off = t->len;

	if (t->len + n > t->cap) {
		size_t cap = t->cap != 0 ? t->cap : 4096;
		char *p;

		while (cap < t->len + n) {
			cap *= 2;
		}
		p = realloc(t->p, cap);
		if (p == NULL) {
			return -ENOMEM;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	if (off > UINT32_MAX) {
		return -EOVERFLOW;
	}
	return (int64_t)off;
}

/* ---------------------------------------------------------------- compile state */

struct org {
	char *name;
	uint32_t idx;
};

struct cc {
	const struct pol_model *m;
	char *err;
	size_t errlen;
	struct strtab str;
	uint32_t nb_orgs;
	char **org_name;		/* by org index */
	uint32_t *org_sorted;		/* org indices sorted by name */
	uint32_t *org_stamp;		/* per org: agent index + 1 of the last mention */
	uint32_t nb_ext_only;		/* trust organisations with no tenant */
	struct vec rows;		/* struct sb_pol_kv */
	struct vec pairs;		/* struct sb_pol_kv */
	struct vec mentioned;		/* uint32_t org indices, per agent */
	uint32_t *app_agents_start;	/* CSR: agents per app */
	uint32_t *app_agents;
	uint32_t *tenant_agents_start;	/* CSR: agents per tenant */
	uint32_t *tenant_agents;
};

static int org_cmp(const void *a, const void *b, void *names)
{
	char **n = names;

	return strcmp(n[*(const uint32_t *)a], n[*(const uint32_t *)b]);
}

static int32_t org_find(const struct cc *c, const char *name)
{
	size_t lo = 0, hi = c->nb_orgs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->org_name[c->org_sorted[mid]], name);

		if (r == 0) {
			return (int32_t)c->org_sorted[mid];
		}
		if (r < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -1;
}

/* First sorted position whose name is >= |prefix|. */
static size_t org_lower(const struct cc *c, const char *prefix)
{
	size_t lo = 0, hi = c->nb_orgs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(c->org_name[c->org_sorted[mid]], prefix) < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static int build_orgs(struct cc *c)
{
	const pb_policy *p = c->m->p;
	size_t max = p->n_apps + p->n_tenants + p->n_trustrelationships;
	char buf[POL_ORG_MAX];

	c->org_name = calloc(max + 1, sizeof(*c->org_name));
	c->org_sorted = calloc(max + 1, sizeof(*c->org_sorted));
	c->org_stamp = calloc(max + 1, sizeof(*c->org_stamp));
	if (c->org_name == NULL || c->org_sorted == NULL || c->org_stamp == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_apps; i++) {
		snprintf(buf, sizeof(buf), "internal:%s", p->apps[i]->id);
		c->org_name[c->nb_orgs++] = strdup(buf);
	}
	for (size_t i = 0; i < p->n_tenants; i++) {
		snprintf(buf, sizeof(buf), "external:%s", p->tenants[i]->id);
		c->org_name[c->nb_orgs++] = strdup(buf);
	}
	for (uint32_t i = 0; i < c->nb_orgs; i++) {
		if (c->org_name[i] == NULL) {
			return -ENOMEM;
		}
		c->org_sorted[i] = i;
	}
	qsort_r(c->org_sorted, c->nb_orgs, sizeof(uint32_t), org_cmp, c->org_name);
	/* Trust organisations of tenants not declared: known, but no agent is in them. */
	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		const char *o = p->trustrelationships[i]->organization;

		if (org_find(c, o) >= 0) {
			continue;
		}
		c->org_name[c->nb_orgs] = strdup(o);
		if (c->org_name[c->nb_orgs] == NULL) {
			return -ENOMEM;
		}
		c->org_sorted[c->nb_orgs] = c->nb_orgs;
		c->nb_orgs++;
		qsort_r(c->org_sorted, c->nb_orgs, sizeof(uint32_t), org_cmp, c->org_name);
	}
	return 0;
}

/* CSR lists of agents per app and per tenant, for peer enumeration. */
static int build_members(struct cc *c)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	size_t na = p->n_agents;
	uint32_t *fa, *ft;

	c->app_agents_start = calloc(p->n_apps + 2, sizeof(uint32_t));
	c->tenant_agents_start = calloc(p->n_tenants + 2, sizeof(uint32_t));
	c->app_agents = calloc(na + 1, sizeof(uint32_t));
	c->tenant_agents = calloc(na + 1, sizeof(uint32_t));
	fa = calloc(p->n_apps + 1, sizeof(uint32_t));
	ft = calloc(p->n_tenants + 1, sizeof(uint32_t));
	if (c->app_agents_start == NULL || c->tenant_agents_start == NULL ||
	    c->app_agents == NULL || c->tenant_agents == NULL || fa == NULL || ft == NULL) {
		free(fa);
		free(ft);
		return -ENOMEM;
	}
	for (size_t i = 0; i < na; i++) {
		c->app_agents_start[m->agent[i].app + 1]++;
		c->tenant_agents_start[m->agent[i].tenant + 1]++;
	}
	for (size_t i = 0; i < p->n_apps; i++) {
		c->app_agents_start[i + 1] += c->app_agents_start[i];
	}
	for (size_t i = 0; i < p->n_tenants; i++) {
		c->tenant_agents_start[i + 1] += c->tenant_agents_start[i];
	}
	for (size_t i = 0; i < na; i++) {
		uint32_t a = (uint32_t)m->agent[i].app, t = (uint32_t)m->agent[i].tenant;

		c->app_agents[c->app_agents_start[a] + fa[a]++] = (uint32_t)i;
		c->tenant_agents[c->tenant_agents_start[t] + ft[t]++] = (uint32_t)i;
	}
	free(fa);
	free(ft);
	return 0;
}

static uint16_t verdict_of(const struct pol_result *r)
{
	uint16_t v = SB_POL_VERDICT(r->allowed, r->level, r->reason);

	if (r->cond) {
		v = SB_POL_V_COND;
	}
	return v;
}

static void eval4(const struct cc *c, int32_t local, int32_t peer, const char *org, uint16_t v[4])
{
	struct pol_result r;

	for (unsigned d = 0; d < 2; d++) {
		for (unsigned op = 0; op < 2; op++) {
			pol_eval(c->m, local, peer, org, (enum sb_pol_dir)d, (enum sb_pol_op)op,
				 POL_EVAL_SKIP_DYNAMIC, &r);
			v[sb_pol_vidx(d, op)] = verdict_of(&r);
		}
	}
}

static int mention(struct cc *c, uint32_t agent, const char *pattern)
{
	size_t n = strlen(pattern);

	if (strcmp(pattern, "*") == 0) {
		return 0;
	}
	if (n > 0 && pattern[n - 1] == '*') {
		char prefix[POL_ORG_MAX];

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 1), pattern);
		for (size_t i = org_lower(c, prefix); i < c->nb_orgs; i++) {
			uint32_t o = c->org_sorted[i];

			if (strncmp(c->org_name[o], prefix, n - 1) != 0) {
				break;
			}
			if (c->org_stamp[o] != agent + 1) {
				uint32_t *slot = vec_push(&c->mentioned);

				if (slot == NULL) {
					return -ENOMEM;
				}
				*slot = o;
				c->org_stamp[o] = agent + 1;
			}
		}
		return 0;
	}
	{
		int32_t o = org_find(c, pattern);
		uint32_t *slot;

		if (o < 0 || c->org_stamp[o] == agent + 1) {
			return 0;
		}
		slot = vec_push(&c->mentioned);
		if (slot == NULL) {
			return -ENOMEM;
		}
		*slot = (uint32_t)o;
		c->org_stamp[o] = agent + 1;
	}
	return 0;
}

static int mention_scope(struct cc *c, uint32_t agent, const pb_scope *sc)
{
	if (sc == NULL) {
		return 0;
	}
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		if (mention(c, agent, sc->allowedorganizations[i]->organization) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static int collect_mentions(struct cc *c, uint32_t i)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	const struct pol_agent_ref *ref = &m->agent[i];
	const pb_tenant *t = p->tenants[ref->tenant];
	const Slimbridge__Control__V1__AgentSlimConfig *asc = p->agents[i]->slimconfig;
	int rc = 0;

	c->mentioned.n = 0;
	if (t->settings != NULL && t->settings->slim != NULL) {
		const Slimbridge__Control__V1__TenantSlim *ts = t->settings->slim;

		for (size_t j = 0; j < ts->n_allowedorganizations && rc == 0; j++) {
			rc = mention(c, i, ts->allowedorganizations[j]);
		}
		for (size_t j = 0; j < ts->n_blockedorganizations && rc == 0; j++) {
			rc = mention(c, i, ts->blockedorganizations[j]);
		}
	}
	if (rc == 0 && ref->project >= 0) {
		rc = mention_scope(c, i, p->projects[ref->project]->slimconfig);
	}
	if (rc == 0 && ref->team >= 0) {
		rc = mention_scope(c, i, p->teams[ref->team]->slimconfig);
	}
	if (rc == 0 && asc != NULL) {
		for (size_t j = 0; j < asc->n_allowedcallers && rc == 0; j++) {
			rc = mention(c, i, asc->allowedcallers[j]->organization);
		}
		for (size_t j = 0; j < asc->n_allowedtargets && rc == 0; j++) {
			rc = mention(c, i, asc->allowedtargets[j]->organization);
		}
	}
	return rc;
}

static bool has_cond(const uint16_t v[4])
{
	return ((v[0] | v[1] | v[2] | v[3]) & SB_POL_V_COND) != 0;
}

static int add_pair(struct cc *c, uint32_t local, uint32_t peer, const char *org)
{
	struct sb_pol_kv *kv = vec_push(&c->pairs);

	if (kv == NULL) {
		return -ENOMEM;
	}
	kv->key = ((uint64_t)local + 1) << 32 | SB_POL_PAIR_BIT | peer;
	eval4(c, (int32_t)local, (int32_t)peer, org, kv->val.v);
	return 0;
}

/* Pairs for every peer of organisation |o| as seen from |local|. */
static int pairs_for_org(struct cc *c, uint32_t local, uint32_t o)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	const char *name = c->org_name[o];
	uint32_t from = 0, to = 0;
	const uint32_t *list = NULL;

	if (o < p->n_apps) {
		if (m->app_tenant[o] != m->agent[local].tenant || (int32_t)o == m->agent[local].app) {
			return 0;
		}
		list = c->app_agents;
		from = c->app_agents_start[o];
		to = c->app_agents_start[o + 1];
	} else if (o < p->n_apps + p->n_tenants) {
		uint32_t t = o - (uint32_t)p->n_apps;

		if ((int32_t)t == m->agent[local].tenant) {
			return 0;
		}
		list = c->tenant_agents;
		from = c->tenant_agents_start[t];
		to = c->tenant_agents_start[t + 1];
	}
	for (uint32_t k = from; k < to; k++) {
		if (add_pair(c, local, list[k], name) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* Pairs for every peer whose organisation has no row (the default applies). */
static int pairs_for_default(struct cc *c, uint32_t local, size_t row_from)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	char org[POL_ORG_MAX];

	for (size_t k = 0; k < p->n_agents; k++) {
		bool has_row = false;
		int32_t o;

		if (!pol_org_of(m, (int32_t)local, (int32_t)k, org, sizeof(org))) {
			continue;
		}
		o = org_find(c, org);
		for (size_t r = row_from; r < c->rows.n; r++) {
			if ((uint32_t)((struct sb_pol_kv *)c->rows.p)[r].key == (uint32_t)o) {
				has_row = true;
				break;
			}
		}
		if (!has_row && add_pair(c, local, (uint32_t)k, org) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static int compile_agent(struct cc *c, uint32_t i, uint16_t dflt[4])
{
	static const char nothing[] = "\x01";	/* matches "*" and nothing else */
	size_t row_from = c->rows.n;
	uint16_t v[4];

	eval4(c, (int32_t)i, -1, nothing, dflt);
	if (collect_mentions(c, i) < 0) {
		return -ENOMEM;
	}
	for (size_t k = 0; k < c->mentioned.n; k++) {
		uint32_t o = ((uint32_t *)c->mentioned.p)[k];
		struct sb_pol_kv *kv;

		eval4(c, (int32_t)i, -1, c->org_name[o], v);
		if (memcmp(v, dflt, sizeof(v)) == 0 && !has_cond(v)) {
			continue;
		}
		kv = vec_push(&c->rows);
		if (kv == NULL) {
			return -ENOMEM;
		}
		kv->key = ((uint64_t)i + 1) << 32 | o;
		memcpy(kv->val.v, v, sizeof(v));
		if (has_cond(v) && pairs_for_org(c, i, o) < 0) {
			return -ENOMEM;
		}
	}
	if (has_cond(dflt) && pairs_for_default(c, i, row_from) < 0) {
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- layout */

/* RULES index of rule set |id| (NULL or empty: none). */
static uint32_t ruleset_index(const struct pol_model *m, const char *id)
{
	int32_t i = id != NULL && id[0] != '\0' ? pol_model_find(m, POL_KIND_RULESET, id) : -1;

	return i >= 0 ? (uint32_t)i : SB_POL_RULESET_NONE;
}

static unsigned bits_for(size_t n)
{
	unsigned b = 4;

	while (((size_t)1 << b) < n * 2) {
		b++;
	}
	return b;
}

static void kv_insert(struct sb_pol_kv *t, unsigned bits, const struct sb_pol_kv *kv)
{
	uint64_t mask = ((uint64_t)1 << bits) - 1;
	uint64_t s = sb_pol_slot(kv->key, bits);

	while (t[s].key != 0) {
		s = (s + 1) & mask;
	}
	t[s] = *kv;
}

struct layout {
	uint32_t kind;
	size_t size;
	uint64_t count;
	size_t off;
};

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

int pol_compile(const struct pol_model *m, uint64_t version, struct pol_image *img, char *err,
		size_t errlen)
{
	const pb_policy *p = m->p;
	struct cc c = {.m = m, .err = err, .errlen = errlen};
	struct sb_pol_meta meta = {0};
	struct layout lay[POL_NB_TABLES];
	struct sb_pol_agent *agents;
	uint16_t (*dflt)[4] = NULL;
	uint32_t *rs_names = NULL;
	size_t total;
	int rc = -ENOMEM;

	memset(img, 0, sizeof(*img));
	c.rows.esz = sizeof(struct sb_pol_kv);
	c.pairs.esz = sizeof(struct sb_pol_kv);
	c.mentioned.esz = sizeof(uint32_t);
	if (p->n_agents >= SB_POL_PAIR_BIT - 1 || p->n_tenants >= UINT32_MAX / 2) {
		snprintf(err, errlen, "too many agents for the table format");
		return -EOVERFLOW;
	}
	if (build_orgs(&c) < 0 || build_members(&c) < 0) {
		goto out;
	}
	dflt = calloc(p->n_agents + 1, sizeof(*dflt));
	rs_names = calloc(p->n_contentrulesets + 1, sizeof(*rs_names));
	if (dflt == NULL || rs_names == NULL) {
		goto out;
	}
	for (size_t i = 0; i < p->n_agents; i++) {
		const pb_tenant *t = p->tenants[m->agent[i].tenant];

		if (t->has_local && !t->local) {
			continue;	/* a partner's agent: its own bridge applies its policy */
		}
		if (compile_agent(&c, (uint32_t)i, dflt[i]) < 0) {
			goto out;
		}
	}

	meta.magic = SB_POL_META_MAGIC;
	meta.version = version;
	meta.nb_tenants = (uint32_t)p->n_tenants;
	meta.nb_orgs = c.nb_orgs;
	meta.nb_trusts = (uint32_t)p->n_trustrelationships;
	meta.nb_agents = (uint32_t)p->n_agents;
	meta.agent_bits = bits_for(p->n_agents);
	meta.row_bits = bits_for(c.rows.n);
	meta.pair_bits = bits_for(c.pairs.n);
	meta.trustmap_bits = bits_for(p->n_trustrelationships);
	meta.orgmap_bits = bits_for(c.nb_orgs);
	meta.nb_rows = (uint32_t)c.rows.n;
	meta.nb_pairs = (uint32_t)c.pairs.n;

	/* Strings first: the other tables refer to them. */
	if (str_add(&c.str, "") < 0) {
		goto out;
	}
	lay[0] = (struct layout){SB_POL_TABLE_META, sizeof(meta), 1, 0};
	lay[1] = (struct layout){SB_POL_TABLE_TENANTS, sizeof(struct sb_pol_tenant) * p->n_tenants,
				 p->n_tenants, 0};
	lay[2] = (struct layout){SB_POL_TABLE_ORGS, sizeof(struct sb_pol_org) * c.nb_orgs, c.nb_orgs, 0};
	lay[3] = (struct layout){SB_POL_TABLE_TRUSTS,
				 sizeof(struct sb_pol_trust) * p->n_trustrelationships,
				 p->n_trustrelationships, 0};
	lay[4] = (struct layout){SB_POL_TABLE_AGENTS,
				 sizeof(struct sb_pol_agent) << meta.agent_bits, p->n_agents, 0};
	lay[5] = (struct layout){SB_POL_TABLE_ROWS, sizeof(struct sb_pol_kv) << meta.row_bits,
				 c.rows.n, 0};
	lay[6] = (struct layout){SB_POL_TABLE_PAIRS, sizeof(struct sb_pol_kv) << meta.pair_bits,
				 c.pairs.n, 0};
	lay[7] = (struct layout){SB_POL_TABLE_TRUSTMAP,
				 sizeof(struct sb_pol_kv) << meta.trustmap_bits,
				 p->n_trustrelationships, 0};
	lay[8] = (struct layout){SB_POL_TABLE_ORGMAP, sizeof(struct sb_pol_kv) << meta.orgmap_bits,
				 c.nb_orgs, 0};
	/* Names: tenants, apps (through orgs), agents, trusts. */
	{
		int64_t off;
		struct sb_pol_tenant *tt;
		struct sb_pol_org *ot;
		struct sb_pol_trust *tr;
		struct sb_pol_kv *tm, *om, *rt, *pt;
		size_t off_all = 0;

		for (int k = 0; k < 9; k++) {
			lay[k].off = off_all;
			off_all = align64(off_all + lay[k].size);
		}
		/* The string table's final size is known only after the names are added. */
		total = off_all;
		img->data = calloc(1, total);
		if (img->data == NULL) {
			goto out;
		}
		tt = (struct sb_pol_tenant *)(img->data + lay[1].off);
		for (size_t i = 0; i < p->n_tenants; i++) {
			const pb_tenant *t = p->tenants[i];
			const Slimbridge__Control__V1__TenantSlim *ts =
				t->settings != NULL ? t->settings->slim : NULL;

			off = str_add(&c.str, t->id);
			if (off < 0) {
				goto out;
			}
			tt[i].name = (uint32_t)off;
			tt[i].flags = (!t->has_local || t->local ? SB_POL_TENANT_LOCAL : 0) |
				      (ts != NULL && ts->capabilityenabled ? SB_POL_TENANT_ENABLED : 0);
		}
		ot = (struct sb_pol_org *)(img->data + lay[2].off);
		om = (struct sb_pol_kv *)(img->data + lay[8].off);
		for (uint32_t i = 0; i < c.nb_orgs; i++) {
			struct sb_pol_kv kv;

			off = str_add(&c.str, c.org_name[i]);
			if (off < 0) {
				goto out;
			}
			ot[i].name = (uint32_t)off;
			ot[i].flags = strncmp(c.org_name[i], "external:", 9) == 0 ? SB_POL_ORG_EXTERNAL : 0;
			kv.key = XXH64(c.org_name[i], strlen(c.org_name[i]), 0) | 1;
			kv.val.u64 = i;
			kv_insert(om, meta.orgmap_bits, &kv);
		}
		tr = (struct sb_pol_trust *)(img->data + lay[3].off);
		tm = (struct sb_pol_kv *)(img->data + lay[7].off);
		for (size_t i = 0; i < p->n_trustrelationships; i++) {
			static const char *const states[] = {"pending", "established", "suspended",
							     "revoked"};
			const pb_trust *t = p->trustrelationships[i];
			int32_t o = org_find(&c, t->organization);
			struct sb_pol_kv kv;

			off = str_add(&c.str, t->id);
			if (off < 0 || o < 0) {
				goto out;
			}
			tr[i].name = (uint32_t)off;
			tr[i].org = (uint32_t)o;
			tr[i].state = SB_POL_TRUST_PENDING;
			for (unsigned s = 0; t->state != NULL && s < 4; s++) {
				if (strcmp(t->state, states[s]) == 0) {
					tr[i].state = (uint8_t)s;
				}
			}
			tr[i].flags = (t->has_mls && t->mls ? SB_POL_TRUST_MLS : 0) |
				      (t->transport != NULL && strcmp(t->transport, "https") == 0 ?
					       SB_POL_TRUST_HTTPS : 0);
			tr[i].failure_threshold = 3;
			tr[i].cooldown_s = 300;
			if (t->circuitbreaker != NULL && t->circuitbreaker->has_failurethreshold) {
				tr[i].failure_threshold = (uint16_t)t->circuitbreaker->failurethreshold;
			}
			if (t->circuitbreaker != NULL && t->circuitbreaker->has_cooldownseconds) {
				tr[i].cooldown_s = t->circuitbreaker->cooldownseconds;
			}
			tr[i].ruleset = ruleset_index(m, t->contentruleset);
			kv.key = ((uint64_t)m->trust_tenant[i] + 1) << 32 | (uint32_t)o;
			kv.val.u64 = i;
			kv_insert(tm, meta.trustmap_bits, &kv);
		}
		agents = (struct sb_pol_agent *)(img->data + lay[4].off);
		for (size_t i = 0; i < p->n_agents; i++) {
			const struct pol_agent_ref *r = &m->agent[i];
			struct sb_pol_agent a = {0};
			uint64_t mask = ((uint64_t)1 << meta.agent_bits) - 1;
			uint64_t s;

			a.comp[0] = pol_name_hash(p->tenants[r->tenant]->id);
			a.comp[1] = pol_name_hash(p->apps[r->app]->id);
			a.comp[2] = pol_name_hash(p->agents[i]->id);
			a.idx = (uint32_t)i;
			a.tenant = (uint32_t)r->tenant;
			a.app = (uint32_t)r->app;
			a.org_int = (uint32_t)r->app;			/* apps come first */
			a.org_ext = (uint32_t)(p->n_apps + (size_t)r->tenant);
			memcpy(a.dflt, dflt[i], sizeof(a.dflt));
			a.ruleset = r->project >= 0 ?
					    ruleset_index(m, p->projects[r->project]->contentruleset) :
					    SB_POL_RULESET_NONE;
			off = str_add(&c.str, p->agents[i]->id);
			if (off < 0) {
				goto out;
			}
			a.name = (uint32_t)off;
			s = sb_pol_slot(sb_pol_agent_key(a.comp), meta.agent_bits);
			while (agents[s].comp[0] != 0 || agents[s].comp[1] != 0 ||
			       agents[s].comp[2] != 0) {
				if (memcmp(agents[s].comp, a.comp, sizeof(a.comp)) == 0) {
					snprintf(err, errlen, "agent '%s': SLIM name %s/%s/%s is not unique",
						 p->agents[i]->id, p->tenants[r->tenant]->id,
						 p->apps[r->app]->id, p->agents[i]->id);
					rc = -EINVAL;
					goto out;
				}
				s = (s + 1) & mask;
			}
			agents[s] = a;
		}
		rt = (struct sb_pol_kv *)(img->data + lay[5].off);
		for (size_t i = 0; i < c.rows.n; i++) {
			kv_insert(rt, meta.row_bits, &((struct sb_pol_kv *)c.rows.p)[i]);
		}
		pt = (struct sb_pol_kv *)(img->data + lay[6].off);
		for (size_t i = 0; i < c.pairs.n; i++) {
			kv_insert(pt, meta.pair_bits, &((struct sb_pol_kv *)c.pairs.p)[i]);
		}
		for (size_t i = 0; i < p->n_contentrulesets; i++) {
			off = str_add(&c.str, p->contentrulesets[i]->id);
			if (off < 0) {
				goto out;
			}
			rs_names[i] = (uint32_t)off;
		}
		/* Append the string table. */
		lay[9] = (struct layout){SB_POL_TABLE_STRINGS, c.str.len, 0, total};
		{
			uint8_t *d = realloc(img->data, align64(total + c.str.len));

			if (d == NULL) {
				goto out;
			}
			img->data = d;
			memset(d + total, 0, align64(total + c.str.len) - total);
			memcpy(d + total, c.str.p, c.str.len);
			img->len = align64(total + c.str.len);
		}
		/* Then the content rule sets, compiled when the model was validated. */
		lay[10] = (struct layout){SB_POL_TABLE_RULES, pol_rules_table_size(m->rules),
					  m->rules != NULL ? m->rules->nb_sets : 0, img->len};
		{
			size_t end = align64(lay[10].off + lay[10].size);
			uint8_t *d = realloc(img->data, end);

			if (d == NULL) {
				goto out;
			}
			img->data = d;
			memset(d + lay[10].off, 0, end - lay[10].off);
			pol_rules_layout(m->rules, rs_names, d + lay[10].off);
			img->len = end;
		}
	}
	/* The checksum covers every table but META, in table order. */
	{
		XXH64_state_t st;

		XXH64_reset(&st, 0);
		for (int k = 1; k < POL_NB_TABLES; k++) {
			XXH64_update(&st, img->data + lay[k].off, lay[k].size);
		}
		meta.checksum = XXH64_digest(&st);
		memcpy(img->data + lay[0].off, &meta, sizeof(meta));
	}
	for (int k = 0; k < POL_NB_TABLES; k++) {
		img->tables[k].kind = lay[k].kind;
		img->tables[k].flags = 0;
		img->tables[k].offset = lay[k].off;
		img->tables[k].size = lay[k].size;
		img->tables[k].count = lay[k].count;
	}
	img->nb_tables = POL_NB_TABLES;
	img->checksum = meta.checksum;
	img->nb_rows = (uint32_t)c.rows.n;
	img->nb_pairs = (uint32_t)c.pairs.n;
	rc = 0;
out:
	if (rc == -ENOMEM && err != NULL && errlen > 0 && err[0] == '\0') {
		snprintf(err, errlen, "out of memory compiling the policy");
	}
	if (rc != 0) {
		pol_image_cleanup(img);
	}
	for (uint32_t i = 0; i < c.nb_orgs; i++) {
		free(c.org_name[i]);
	}
	free(c.org_name);
	free(c.org_sorted);
	free(c.org_stamp);
	free(c.rows.p);
	free(c.pairs.p);
	free(c.mentioned.p);
	free(c.str.p);
	free(c.app_agents_start);
	free(c.app_agents);
	free(c.tenant_agents_start);
	free(c.tenant_agents);
	free(dflt);
	free(rs_names);
	return rc;
}

void pol_image_cleanup(struct pol_image *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}

const void *pol_image_table(const struct pol_image *img, uint32_t kind, uint64_t *size)
{
	for (uint32_t i = 0; i < img->nb_tables; i++) {
		if (img->tables[i].kind == kind) {
			*size = img->tables[i].size;
			return img->data + img->tables[i].offset;
		}
	}
	return NULL;
}
