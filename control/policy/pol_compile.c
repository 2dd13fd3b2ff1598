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

/* ---------------------------------------------------------------- compiled state */

struct layout {
	uint32_t kind;
	size_t size;
	uint64_t count;
	size_t off;
};


struct u32vec {
	uint32_t *p;
	uint32_t n, cap;
};

static int u32_push(struct u32vec *v, uint32_t x)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap != 0 ? v->cap * 2 : 8;
		uint32_t *p = realloc(v->p, (size_t)cap * sizeof(*p));

		if (p == NULL) {
			return -ENOMEM;
		}
		v->p = p;
		v->cap = cap;
	}
	v->p[v->n++] = x;
	return 0;
}

/* Removes one |x| (order not kept). */
static void u32_remove(struct u32vec *v, uint32_t x)
{
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->p[i] == x) {
			v->p[i] = v->p[--v->n];
			return;
		}
	}
}

/* Per image agent index. */
struct agent_st {
	int32_t model;			/* model index; -1: free */
	uint32_t slot;			/* its record's AGENTS slot */
	uint32_t app, tenant;		/* model indices (fixed between full compiles) */
	uint32_t app_pos, tenant_pos;	/* positions in the member lists */
	uint32_t row_off, row_n;	/* its rows' organisations, in the arena */
	uint32_t name;			/* STRINGS offset of its id; 0: none yet */
	uint16_t dflt[4];
	uint8_t compiled;		/* a local agent: rows and pairs computed */
	uint8_t reserved[3];
};

struct pol_db {
	const struct pol_model *m;
	char *err;
	size_t errlen;
	struct pol_image img;
	struct layout lay[POL_NB_TABLES];
	struct sb_pol_meta meta;
	/* Organisations: fixed between full compiles. */
	uint32_t nb_orgs;
	char **org_name;		/* by org index */
	uint32_t *org_sorted;		/* org indices sorted by name */
	uint32_t *org_stamp;		/* per org: stamp of the last mention */
	uint32_t stamp;
	struct vec mentioned;		/* uint32_t org indices, per agent */
	size_t nb_apps, nb_tenants;
	/* Agents by image index. */
	struct agent_st *ast;
	uint32_t nb_slots;		/* highest index in use + 1 */
	uint32_t ast_cap;
	uint32_t nb_live;
	uint32_t *img_of;		/* model index -> image index */
	uint32_t img_of_cap;
	struct u32vec free_idx;
	struct u32vec *app_members;	/* image indices per app */
	struct u32vec *tenant_members;	/* image indices per tenant */
	struct u32vec *cond_org;	/* per org: agents whose row towards it is conditional */
	struct u32vec cond_default;	/* agents whose default is conditional */
	struct u32vec arena;		/* rows' organisations, per agent (row_off, row_n) */
	uint32_t arena_garbage;
	/* The tables, while building (collect) and once laid out. */
	bool collect;
	struct vec rows, pairs;		/* collect: struct sb_pol_kv */
	struct strtab str;		/* collect */
	size_t str_len, str_cap;	/* laid out: STRINGS in use / capacity */
	struct sb_pol_agent *agents_t;
	struct sb_pol_kv *rows_t, *pairs_t;
	uint32_t nb_rows, nb_pairs;
	uint64_t patched_agents, patched_pairs;
};

static int org_cmp(const void *a, const void *b, void *names)
{
	char **n = names;

	return strcmp(n[*(const uint32_t *)a], n[*(const uint32_t *)b]);
}

static int32_t org_find(const struct pol_db *c, const char *name)
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
static size_t org_lower(const struct pol_db *c, const char *prefix)
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

/* Organisations: internal:{app} at the app's index, external:{tenant} after the apps. */
static int build_orgs(struct pol_db *c)
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
	c->cond_org = calloc(c->nb_orgs + 1, sizeof(*c->cond_org));
	return c->cond_org != NULL ? 0 : -ENOMEM;
}

static uint16_t verdict_of(const struct pol_result *r)
{
	uint16_t v = SB_POL_VERDICT(r->allowed, r->level, r->reason);

	if (r->cond) {
		v = SB_POL_V_COND;
	}
	return v;
}

static void eval4(const struct pol_db *c, int32_t local, int32_t peer, const char *org,
		  uint16_t v[4])
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

static bool has_cond(const uint16_t v[4])
{
	return ((v[0] | v[1] | v[2] | v[3]) & SB_POL_V_COND) != 0;
}

/* ---------------------------------------------------------------- hash tables */

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

static struct sb_pol_kv *kv_find(struct sb_pol_kv *t, unsigned bits, uint64_t key)
{
	uint64_t mask = ((uint64_t)1 << bits) - 1;
	uint64_t s = sb_pol_slot(key, bits);

	while (t[s].key != 0) {
		if (t[s].key == key) {
			return &t[s];
		}
		s = (s + 1) & mask;
	}
	return NULL;
}

/*
 * Inserts or replaces; -EAGAIN when one more entry would take the table
 * past half full (the load the data plane's probes are sized for).
 */
static int kv_upsert(struct sb_pol_kv *t, unsigned bits, const struct sb_pol_kv *kv,
		     uint32_t *count)
{
	struct sb_pol_kv *e = kv_find(t, bits, kv->key);

	if (e != NULL) {
		e->val = kv->val;
		return 0;
	}
	if (((uint64_t)*count + 1) * 2 > ((uint64_t)1 << bits)) {
		return -EAGAIN;
	}
	kv_insert(t, bits, kv);
	(*count)++;
	return 0;
}

/* Is slot |k|'s home |h| outside the cyclic range (i, j]? Then it may move back to i. */
static bool may_shift(uint64_t h, uint64_t i, uint64_t j)
{
	return i <= j ? (h <= i || h > j) : (h <= i && h > j);
}

/* Deletes |key| if present (backward shift: no tombstones, probes stay short). */
static void kv_delete(struct sb_pol_kv *t, unsigned bits, uint64_t key, uint32_t *count)
{
	uint64_t mask = ((uint64_t)1 << bits) - 1;
	struct sb_pol_kv *e = kv_find(t, bits, key);
	uint64_t i, j;

	if (e == NULL) {
		return;
	}
	i = (uint64_t)(e - t);
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (t[j].key == 0) {
			break;
		}
		if (may_shift(sb_pol_slot(t[j].key, bits), i, j)) {
			t[i] = t[j];
			i = j;
		}
	}
	memset(&t[i], 0, sizeof(t[i]));
	(*count)--;
}

static bool agent_empty(const struct sb_pol_agent *a)
{
	return (a->comp[0] | a->comp[1] | a->comp[2]) == 0;
}

/* Deletes the record at |slot| of AGENTS, moving records back and their agents' slots with them. */
static void agent_rec_delete(struct pol_db *c, uint64_t slot)
{
	struct sb_pol_agent *t = c->agents_t;
	unsigned bits = c->meta.agent_bits;
	uint64_t mask = ((uint64_t)1 << bits) - 1;
	uint64_t i = slot, j = slot;

	for (;;) {
		j = (j + 1) & mask;
		if (agent_empty(&t[j])) {
			break;
		}
		if (may_shift(sb_pol_slot(sb_pol_agent_key(t[j].comp), bits), i, j)) {
			t[i] = t[j];
			c->ast[t[i].idx].slot = (uint32_t)i;
			i = j;
		}
	}
	memset(&t[i], 0, sizeof(t[i]));
}

/* ---------------------------------------------------------------- strings */

/* Appends |s| to STRINGS (collect: the growable table; laid out: the head room). */
static int64_t str_put(struct pol_db *c, const char *s)
{
	size_t n = strlen(s) + 1;
	int64_t off;

	if (c->collect) {
		return str_add(&c->str, s);
	}
	if (c->str_len + n > c->str_cap) {
		return -EAGAIN;
	}
	off = (int64_t)c->str_len;
	memcpy(c->img.data + c->lay[9].off + c->str_len, s, n);
	c->str_len += n;
	return off;
}

/* ---------------------------------------------------------------- rows and pairs */

static uint64_t row_key(uint32_t x, uint32_t o)
{
	return ((uint64_t)x + 1) << 32 | o;
}

static uint64_t pair_key(uint32_t x, uint32_t y)
{
	return ((uint64_t)x + 1) << 32 | SB_POL_PAIR_BIT | y;
}

static int row_put(struct pol_db *c, uint32_t x, uint32_t o, const uint16_t v[4])
{
	struct sb_pol_kv kv = {.key = row_key(x, o)};

	memcpy(kv.val.v, v, sizeof(kv.val.v));
	if (u32_push(&c->arena, o) < 0) {
		return -ENOMEM;
	}
	c->ast[x].row_n++;
	if (c->collect) {
		struct sb_pol_kv *e = vec_push(&c->rows);

		if (e == NULL) {
			return -ENOMEM;
		}
		*e = kv;
		return 0;
	}
	return kv_upsert(c->rows_t, c->meta.row_bits, &kv, &c->nb_rows);
}

/* The pair (local |x|, peer |y|) seen through organisation |o|. */
static int pair_put(struct pol_db *c, uint32_t x, uint32_t y, uint32_t o)
{
	struct sb_pol_kv kv = {.key = pair_key(x, y)};

	eval4(c, c->ast[x].model, c->ast[y].model, c->org_name[o], kv.val.v);
	if (c->collect) {
		struct sb_pol_kv *e = vec_push(&c->pairs);

		if (e == NULL) {
			return -ENOMEM;
		}
		*e = kv;
		return 0;
	}
	c->patched_pairs++;
	return kv_upsert(c->pairs_t, c->meta.pair_bits, &kv, &c->nb_pairs);
}

static void pair_del(struct pol_db *c, uint32_t x, uint32_t y)
{
	kv_delete(c->pairs_t, c->meta.pair_bits, pair_key(x, y), &c->nb_pairs);
}

/* The members of organisation |o| (image indices), or NULL. */
static const struct u32vec *members(const struct pol_db *c, uint32_t o)
{
	if (o < c->nb_apps) {
		return &c->app_members[o];
	}
	if (o < c->nb_apps + c->nb_tenants) {
		return &c->tenant_members[o - c->nb_apps];
	}
	return NULL;
}

/* The organisation of agent |y| as seen from agent |x|; false in the same app. */
static bool org_between(const struct pol_db *c, uint32_t x, uint32_t y, uint32_t *o)
{
	const struct agent_st *a = &c->ast[x], *b = &c->ast[y];

	if (a->app == b->app) {
		return false;
	}
	*o = a->tenant == b->tenant ? b->app : (uint32_t)c->nb_apps + b->tenant;
	return true;
}

/* Does agent |x| have a row towards |o|? */
static bool has_row(const struct pol_db *c, uint32_t x, uint32_t o)
{
	const uint32_t *r = c->arena.p + c->ast[x].row_off;

	for (uint32_t k = 0; k < c->ast[x].row_n; k++) {
		if (r[k] == o) {
			return true;
		}
	}
	return false;
}

/* Pairs for every peer of organisation |o| as seen from |x|. */
static int pairs_for_org(struct pol_db *c, uint32_t x, uint32_t o)
{
	const struct u32vec *list = members(c, o);

	if (list == NULL) {
		return 0;
	}
	for (uint32_t k = 0; k < list->n; k++) {
		uint32_t y = list->p[k], oy;

		if (org_between(c, x, y, &oy) && oy == o && pair_put(c, x, y, o) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* Pairs for every peer whose organisation has no row (the default applies). */
static int pairs_for_default(struct pol_db *c, uint32_t x)
{
	for (uint32_t y = 0; y < c->nb_slots; y++) {
		uint32_t o;
		int rc;

		if (c->ast[y].model < 0 || !org_between(c, x, y, &o) || has_row(c, x, o)) {
			continue;
		}
		rc = pair_put(c, x, y, o);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int mention(struct pol_db *c, const char *pattern)
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
			if (c->org_stamp[o] != c->stamp) {
				uint32_t *slot = vec_push(&c->mentioned);

				if (slot == NULL) {
					return -ENOMEM;
				}
				*slot = o;
				c->org_stamp[o] = c->stamp;
			}
		}
		return 0;
	}
	{
		int32_t o = org_find(c, pattern);
		uint32_t *slot;

		if (o < 0 || c->org_stamp[o] == c->stamp) {
			return 0;
		}
		slot = vec_push(&c->mentioned);
		if (slot == NULL) {
			return -ENOMEM;
		}
		*slot = (uint32_t)o;
		c->org_stamp[o] = c->stamp;
	}
	return 0;
}

static int mention_scope(struct pol_db *c, const pb_scope *sc)
{
	if (sc == NULL) {
		return 0;
	}
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		if (mention(c, sc->allowedorganizations[i]->organization) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* The organisations agent |i| (model index) names other than through "*". */
static int collect_mentions(struct pol_db *c, int32_t i)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	const struct pol_agent_ref *ref = &m->agent[i];
	const pb_tenant *t = p->tenants[ref->tenant];
	const Slimbridge__Control__V1__AgentSlimConfig *asc = p->agents[i]->slimconfig;
	int rc = 0;

	c->mentioned.n = 0;
	if (++c->stamp == 0) {	/* wrapped: no stale stamp may match */
		memset(c->org_stamp, 0, (c->nb_orgs + 1) * sizeof(*c->org_stamp));
		c->stamp = 1;
	}
	if (t->settings != NULL && t->settings->slim != NULL) {
		const Slimbridge__Control__V1__TenantSlim *ts = t->settings->slim;

		for (size_t j = 0; j < ts->n_allowedorganizations && rc == 0; j++) {
			rc = mention(c, ts->allowedorganizations[j]);
		}
		for (size_t j = 0; j < ts->n_blockedorganizations && rc == 0; j++) {
			rc = mention(c, ts->blockedorganizations[j]);
		}
	}
	if (rc == 0 && ref->project >= 0) {
		rc = mention_scope(c, p->projects[ref->project]->slimconfig);
	}
	if (rc == 0 && ref->team >= 0) {
		rc = mention_scope(c, p->teams[ref->team]->slimconfig);
	}
	if (rc == 0 && asc != NULL) {
		for (size_t j = 0; j < asc->n_allowedcallers && rc == 0; j++) {
			rc = mention(c, asc->allowedcallers[j]->organization);
		}
		for (size_t j = 0; j < asc->n_allowedtargets && rc == 0; j++) {
			rc = mention(c, asc->allowedtargets[j]->organization);
		}
	}
	return rc;
}

/*
 * Computes local agent |x|'s default, rows and the pairs where its verdict
 * depends on the peer. Rows equal to the default are not stored.
 */
static int agent_compile(struct pol_db *c, uint32_t x)
{
	static const char nothing[] = "\x01";	/* matches "*" and nothing else */
	struct agent_st *a = &c->ast[x];
	int32_t i = a->model;
	uint16_t v[4];
	int rc;

	eval4(c, i, -1, nothing, a->dflt);
	a->row_off = c->arena.n;
	a->row_n = 0;
	a->compiled = 1;
	if (collect_mentions(c, i) < 0) {
		return -ENOMEM;
	}
	for (size_t k = 0; k < c->mentioned.n; k++) {
		uint32_t o = ((uint32_t *)c->mentioned.p)[k];

		eval4(c, i, -1, c->org_name[o], v);
		if (memcmp(v, a->dflt, sizeof(v)) == 0 && !has_cond(v)) {
			continue;
		}
		rc = row_put(c, x, o, v);
		if (rc < 0) {
			return rc;
		}
		if (has_cond(v) && u32_push(&c->cond_org[o], x) < 0) {
			return -ENOMEM;
		}
	}
	/* The rows first: the pairs below ask has_row. */
	for (uint32_t k = 0; k < a->row_n; k++) {
		uint32_t o = c->arena.p[a->row_off + k];
		const struct sb_pol_kv *row = NULL;

		if (c->collect) {
			row = &((const struct sb_pol_kv *)c->rows.p)[c->rows.n - a->row_n + k];
		} else {
			row = kv_find(c->rows_t, c->meta.row_bits, row_key(x, o));
		}
		if (row != NULL && has_cond(row->val.v)) {
			rc = pairs_for_org(c, x, o);
			if (rc < 0) {
				return rc;
			}
		}
	}
	if (has_cond(a->dflt)) {
		if (u32_push(&c->cond_default, x) < 0) {
			return -ENOMEM;
		}
		rc = pairs_for_default(c, x);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

/* Removes what agent_compile added for |x| (laid-out tables only). */
static void agent_uncompile(struct pol_db *c, uint32_t x)
{
	struct agent_st *a = &c->ast[x];

	if (!a->compiled) {
		return;
	}
	for (uint32_t k = 0; k < a->row_n; k++) {
		uint32_t o = c->arena.p[a->row_off + k];
		const struct sb_pol_kv *row = kv_find(c->rows_t, c->meta.row_bits, row_key(x, o));

		if (row != NULL && has_cond(row->val.v)) {
			const struct u32vec *list = members(c, o);

			for (uint32_t j = 0; list != NULL && j < list->n; j++) {
				pair_del(c, x, list->p[j]);
			}
			u32_remove(&c->cond_org[o], x);
		}
		kv_delete(c->rows_t, c->meta.row_bits, row_key(x, o), &c->nb_rows);
	}
	if (has_cond(a->dflt)) {
		for (uint32_t y = 0; y < c->nb_slots; y++) {
			if (c->ast[y].model >= 0) {
				pair_del(c, x, y);
			}
		}
		u32_remove(&c->cond_default, x);
	}
	c->arena_garbage += a->row_n;
	a->row_n = 0;
	a->compiled = 0;
	memset(a->dflt, 0, sizeof(a->dflt));
}

/*
 * Rewrites the pairs (L, y) of every agent L whose verdict towards agent
 * |y|'s organisation (|app| or |tenant| as seen from L) may depend on the
 * peer: deleted, and put back if |y| is live and L's verdict is conditional.
 */
static int peer_refresh(struct pol_db *c, uint32_t y, uint32_t app, uint32_t tenant, bool add)
{
	const struct u32vec *lists[3] = {&c->cond_org[app], &c->cond_org[c->nb_apps + tenant],
					 &c->cond_default};

	for (unsigned l = 0; l < 3; l++) {
		for (uint32_t k = 0; k < lists[l]->n; k++) {
			uint32_t x = lists[l]->p[k], o;
			const struct sb_pol_kv *row;
			const uint16_t *v;

			if (x == y) {
				continue;
			}
			pair_del(c, x, y);
			if (!add || !org_between(c, x, y, &o)) {
				continue;
			}
			row = has_row(c, x, o) ? kv_find(c->rows_t, c->meta.row_bits, row_key(x, o)) : NULL;
			v = row != NULL ? row->val.v : c->ast[x].dflt;
			if (has_cond(v)) {
				int rc = pair_put(c, x, y, o);

				if (rc < 0) {
					return rc;
				}
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- records */

/* RULES index of rule set |id| (NULL or empty: none). */
static uint32_t ruleset_index(const struct pol_model *m, const char *id)
{
	int32_t i = id != NULL && id[0] != '\0' ? pol_model_find(m, POL_KIND_RULESET, id) : -1;

	return i >= 0 ? (uint32_t)i : SB_POL_RULESET_NONE;
}

static uint32_t tenant_flags(const pb_tenant *t)
{
	const Slimbridge__Control__V1__TenantSlim *ts = t->settings != NULL ? t->settings->slim : NULL;

	return (!t->has_local || t->local ? SB_POL_TENANT_LOCAL : 0) |
	       (ts != NULL && ts->capabilityenabled ? SB_POL_TENANT_ENABLED : 0);
}

static bool tenant_local(const pb_tenant *t)
{
	return !t->has_local || t->local;
}

/* Trust record |i| (name and org already set). */
static void trust_fill(const struct pol_model *m, size_t i, struct sb_pol_trust *tr)
{
	static const char *const states[] = {"pending", "established", "suspended", "revoked"};
	const pb_trust *t = m->p->trustrelationships[i];

	tr->state = SB_POL_TRUST_PENDING;
	for (unsigned s = 0; t->state != NULL && s < 4; s++) {
		if (strcmp(t->state, states[s]) == 0) {
			tr->state = (uint8_t)s;
		}
	}
	tr->flags = (t->has_mls && t->mls ? SB_POL_TRUST_MLS : 0) |
		    (t->transport != NULL && strcmp(t->transport, "https") == 0 ? SB_POL_TRUST_HTTPS : 0);
	tr->failure_threshold = 3;
	tr->cooldown_s = 300;
	if (t->circuitbreaker != NULL && t->circuitbreaker->has_failurethreshold) {
		tr->failure_threshold = (uint16_t)t->circuitbreaker->failurethreshold;
	}
	if (t->circuitbreaker != NULL && t->circuitbreaker->has_cooldownseconds) {
		tr->cooldown_s = t->circuitbreaker->cooldownseconds;
	}
	tr->ruleset = ruleset_index(m, t->contentruleset);
	tr->reserved = 0;
}

static uint32_t agent_ruleset(const struct pol_model *m, int32_t i)
{
	const struct pol_agent_ref *r = &m->agent[i];

	return r->project >= 0 ? ruleset_index(m, m->p->projects[r->project]->contentruleset) :
				 SB_POL_RULESET_NONE;
}

/* Inserts agent |x|'s record into AGENTS (its name added to STRINGS if new). */
static int agent_rec_put(struct pol_db *c, uint32_t x)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	struct agent_st *st = &c->ast[x];
	int32_t i = st->model;
	const struct pol_agent_ref *r = &m->agent[i];
	uint64_t mask = ((uint64_t)1 << c->meta.agent_bits) - 1;
	struct sb_pol_agent a = {0};
	uint64_t s;

	if (((uint64_t)c->nb_live + 1) * 2 > ((uint64_t)1 << c->meta.agent_bits)) {
		return -EAGAIN;
	}
	if (st->name == 0) {
		int64_t off = str_put(c, p->agents[i]->id);

		if (off < 0) {
			return (int)off;
		}
		st->name = (uint32_t)off;
	}
	a.comp[0] = pol_name_hash(p->tenants[r->tenant]->id);
	a.comp[1] = pol_name_hash(p->apps[r->app]->id);
	a.comp[2] = pol_name_hash(p->agents[i]->id);
	a.idx = x;
	a.tenant = (uint32_t)r->tenant;
	a.app = (uint32_t)r->app;
	a.org_int = (uint32_t)r->app;			/* apps come first */
	a.org_ext = (uint32_t)(c->nb_apps + (size_t)r->tenant);
	memcpy(a.dflt, st->dflt, sizeof(a.dflt));
	a.ruleset = agent_ruleset(m, i);
	a.name = st->name;
	s = sb_pol_slot(sb_pol_agent_key(a.comp), c->meta.agent_bits);
	while (!agent_empty(&c->agents_t[s])) {
		if (memcmp(c->agents_t[s].comp, a.comp, sizeof(a.comp)) == 0) {
			snprintf(c->err, c->errlen, "agent '%s': SLIM name %s/%s/%s is not unique",
				 p->agents[i]->id, p->tenants[r->tenant]->id, p->apps[r->app]->id,
				 p->agents[i]->id);
			return -EINVAL;
		}
		s = (s + 1) & mask;
	}
	c->agents_t[s] = a;
	st->slot = (uint32_t)s;
	c->nb_live++;
	return 0;
}

/* Refreshes the parts of agent |x|'s record that its hierarchy decides. */
static void agent_rec_refresh(struct pol_db *c, uint32_t x)
{
	struct sb_pol_agent *a = &c->agents_t[c->ast[x].slot];

	memcpy(a->dflt, c->ast[x].dflt, sizeof(a->dflt));
	a->ruleset = agent_ruleset(c->m, c->ast[x].model);
}

/* ---------------------------------------------------------------- agent indices */

static int grow_u32(uint32_t **p, uint32_t *cap, size_t want)
{
	size_t n = *cap != 0 ? *cap : 64;
	uint32_t *q;

	if (want <= *cap) {
		return 0;
	}
	while (n < want) {
		n *= 2;
	}
	if (n > UINT32_MAX) {
		return -EOVERFLOW;
	}
	q = realloc(*p, n * sizeof(*q));
	if (q == NULL) {
		return -ENOMEM;
	}
	*p = q;
	*cap = (uint32_t)n;
	return 0;
}

static int grow_ast(struct pol_db *c, size_t want)
{
	size_t n = c->ast_cap != 0 ? c->ast_cap : 64;
	struct agent_st *q;

	if (want <= c->ast_cap) {
		return 0;
	}
	while (n < want) {
		n *= 2;
	}
	q = realloc(c->ast, n * sizeof(*q));
	if (q == NULL) {
		return -ENOMEM;
	}
	memset(q + c->ast_cap, 0, (n - c->ast_cap) * sizeof(*q));
	c->ast = q;
	c->ast_cap = (uint32_t)n;
	return 0;
}

/* A new image index for model agent |i| (a freed one first), in its app's and tenant's lists. */
static int agent_attach(struct pol_db *c, int32_t i, uint32_t *out)
{
	const struct pol_agent_ref *r = &c->m->agent[i];
	struct agent_st *a;
	uint32_t x;

	if (c->free_idx.n > 0) {
		x = c->free_idx.p[--c->free_idx.n];
	} else {
		if (c->nb_slots >= SB_POL_PAIR_BIT - 1) {
			return -EAGAIN;
		}
		if (grow_ast(c, (size_t)c->nb_slots + 1) < 0) {
			return -ENOMEM;
		}
		x = c->nb_slots++;
	}
	if (grow_u32(&c->img_of, &c->img_of_cap, (size_t)i + 1) < 0) {
		return -ENOMEM;
	}
	a = &c->ast[x];
	memset(a, 0, sizeof(*a));
	a->model = i;
	a->app = (uint32_t)r->app;
	a->tenant = (uint32_t)r->tenant;
	a->app_pos = c->app_members[a->app].n;
	a->tenant_pos = c->tenant_members[a->tenant].n;
	if (u32_push(&c->app_members[a->app], x) < 0 ||
	    u32_push(&c->tenant_members[a->tenant], x) < 0) {
		return -ENOMEM;
	}
	c->img_of[i] = x;
	*out = x;
	return 0;
}

/* Takes |x| out of its member lists (O(1): the last member takes its place). */
static void agent_leave(struct pol_db *c, uint32_t x)
{
	struct agent_st *a = &c->ast[x];
	struct u32vec *am = &c->app_members[a->app], *tm = &c->tenant_members[a->tenant];
	uint32_t last;

	last = am->p[--am->n];
	if (last != x) {
		am->p[a->app_pos] = last;
		c->ast[last].app_pos = a->app_pos;
	}
	last = tm->p[--tm->n];
	if (last != x) {
		tm->p[a->tenant_pos] = last;
		c->ast[last].tenant_pos = a->tenant_pos;
	}
}

/* ---------------------------------------------------------------- layout */

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* Head room for creations without a new layout. */
static size_t with_room(size_t n, unsigned shift, size_t extra)
{
	return n + (n >> shift) + extra;
}

/* Lays out every table around the collected rows and pairs; fills all but STRINGS and RULES. */
static int lay_out(struct pol_db *c)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	struct sb_pol_meta *meta = &c->meta;
	struct layout *lay = c->lay;
	struct sb_pol_tenant *tt;
	struct sb_pol_org *ot;
	struct sb_pol_trust *tr;
	struct sb_pol_kv *tm, *om;
	size_t off_all = 0;
	int64_t off;
	int rc;

	meta->magic = SB_POL_META_MAGIC;
	meta->nb_tenants = (uint32_t)p->n_tenants;
	meta->nb_orgs = c->nb_orgs;
	meta->nb_trusts = (uint32_t)p->n_trustrelationships;
	meta->agent_bits = bits_for(with_room(p->n_agents, 5, 64));
	meta->row_bits = bits_for(with_room(c->rows.n, 4, 256));
	meta->pair_bits = bits_for(with_room(c->pairs.n, 4, 256));
	meta->trustmap_bits = bits_for(p->n_trustrelationships);
	meta->orgmap_bits = bits_for(c->nb_orgs);

	lay[0] = (struct layout){SB_POL_TABLE_META, sizeof(*meta), 1, 0};
	lay[1] = (struct layout){SB_POL_TABLE_TENANTS, sizeof(struct sb_pol_tenant) * p->n_tenants,
				 p->n_tenants, 0};
	lay[2] = (struct layout){SB_POL_TABLE_ORGS, sizeof(struct sb_pol_org) * c->nb_orgs,
				 c->nb_orgs, 0};
	lay[3] = (struct layout){SB_POL_TABLE_TRUSTS,
				 sizeof(struct sb_pol_trust) * p->n_trustrelationships,
				 p->n_trustrelationships, 0};
	lay[4] = (struct layout){SB_POL_TABLE_AGENTS, sizeof(struct sb_pol_agent) << meta->agent_bits,
				 0, 0};
	lay[5] = (struct layout){SB_POL_TABLE_ROWS, sizeof(struct sb_pol_kv) << meta->row_bits, 0, 0};
	lay[6] = (struct layout){SB_POL_TABLE_PAIRS, sizeof(struct sb_pol_kv) << meta->pair_bits, 0, 0};
	lay[7] = (struct layout){SB_POL_TABLE_TRUSTMAP,
				 sizeof(struct sb_pol_kv) << meta->trustmap_bits,
				 p->n_trustrelationships, 0};
	lay[8] = (struct layout){SB_POL_TABLE_ORGMAP, sizeof(struct sb_pol_kv) << meta->orgmap_bits,
				 c->nb_orgs, 0};
	for (int k = 0; k < 9; k++) {
		lay[k].off = off_all;
		off_all = align64(off_all + lay[k].size);
	}
	/* STRINGS and RULES follow once the names are known. */
	c->img.data = calloc(1, off_all);
	if (c->img.data == NULL) {
		return -ENOMEM;
	}
	c->img.len = off_all;
	if (str_add(&c->str, "") < 0) {
		return -ENOMEM;
	}
	tt = (struct sb_pol_tenant *)(c->img.data + lay[1].off);
	for (size_t i = 0; i < p->n_tenants; i++) {
		off = str_add(&c->str, p->tenants[i]->id);
		if (off < 0) {
			return (int)off;
		}
		tt[i].name = (uint32_t)off;
		tt[i].flags = tenant_flags(p->tenants[i]);
	}
	ot = (struct sb_pol_org *)(c->img.data + lay[2].off);
	om = (struct sb_pol_kv *)(c->img.data + lay[8].off);
	for (uint32_t i = 0; i < c->nb_orgs; i++) {
		struct sb_pol_kv kv;

		off = str_add(&c->str, c->org_name[i]);
		if (off < 0) {
			return (int)off;
		}
		ot[i].name = (uint32_t)off;
		ot[i].flags = strncmp(c->org_name[i], "external:", 9) == 0 ? SB_POL_ORG_EXTERNAL : 0;
		kv.key = XXH64(c->org_name[i], strlen(c->org_name[i]), 0) | 1;
		kv.val.u64 = i;
		kv_insert(om, meta->orgmap_bits, &kv);
	}
	tr = (struct sb_pol_trust *)(c->img.data + lay[3].off);
	tm = (struct sb_pol_kv *)(c->img.data + lay[7].off);
	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		int32_t o = org_find(c, p->trustrelationships[i]->organization);
		struct sb_pol_kv kv;

		off = str_add(&c->str, p->trustrelationships[i]->id);
		if (off < 0) {
			return (int)off;
		}
		if (o < 0) {
			return -EINVAL;
		}
		tr[i].name = (uint32_t)off;
		tr[i].org = (uint32_t)o;
		trust_fill(m, i, &tr[i]);
		kv.key = ((uint64_t)m->trust_tenant[i] + 1) << 32 | (uint32_t)o;
		kv.val.u64 = i;
		kv_insert(tm, meta->trustmap_bits, &kv);
	}
	c->agents_t = (struct sb_pol_agent *)(c->img.data + lay[4].off);
	c->rows_t = (struct sb_pol_kv *)(c->img.data + lay[5].off);
	c->pairs_t = (struct sb_pol_kv *)(c->img.data + lay[6].off);
	for (uint32_t x = 0; x < c->nb_slots; x++) {
		rc = agent_rec_put(c, x);
		if (rc < 0) {
			return rc;
		}
	}
	for (size_t i = 0; i < c->rows.n; i++) {
		kv_insert(c->rows_t, meta->row_bits, &((struct sb_pol_kv *)c->rows.p)[i]);
	}
	for (size_t i = 0; i < c->pairs.n; i++) {
		kv_insert(c->pairs_t, meta->pair_bits, &((struct sb_pol_kv *)c->pairs.p)[i]);
	}
	c->nb_rows = (uint32_t)c->rows.n;
	c->nb_pairs = (uint32_t)c->pairs.n;
	return 0;
}

/* Appends STRINGS (with head room) and RULES; from here on the state patches in place. */
static int lay_out_tail(struct pol_db *c)
{
	const struct pol_model *m = c->m;
	const pb_policy *p = m->p;
	struct layout *lay = c->lay;
	uint32_t *rs_names = calloc(p->n_contentrulesets + 1, sizeof(*rs_names));
	size_t cap, end;
	uint8_t *d;

	if (rs_names == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_contentrulesets; i++) {
		int64_t off = str_add(&c->str, p->contentrulesets[i]->id);

		if (off < 0) {
			free(rs_names);
			return (int)off;
		}
		rs_names[i] = (uint32_t)off;
	}
	cap = (with_room(c->str.len, 3, 4096) + 7) & ~(size_t)7;
	if (cap > UINT32_MAX) {
		free(rs_names);
		snprintf(c->err, c->errlen, "too many names for the table format");
		return -EOVERFLOW;
	}
	lay[9] = (struct layout){SB_POL_TABLE_STRINGS, cap, 0, c->img.len};
	lay[10] = (struct layout){SB_POL_TABLE_RULES, pol_rules_table_size(m->rules),
				  m->rules != NULL ? m->rules->nb_sets : 0,
				  align64(lay[9].off + lay[9].size)};
	end = align64(lay[10].off + lay[10].size);
	d = realloc(c->img.data, end);
	if (d == NULL) {
		free(rs_names);
		return -ENOMEM;
	}
	memset(d + c->img.len, 0, end - c->img.len);
	memcpy(d + lay[9].off, c->str.p, c->str.len);
	pol_rules_layout(m->rules, rs_names, d + lay[10].off);
	free(rs_names);
	c->img.data = d;
	c->img.len = end;
	c->agents_t = (struct sb_pol_agent *)(d + lay[4].off);
	c->rows_t = (struct sb_pol_kv *)(d + lay[5].off);
	c->pairs_t = (struct sb_pol_kv *)(d + lay[6].off);
	c->str_len = c->str.len;
	c->str_cap = cap;
	c->collect = false;
	free(c->rows.p);
	free(c->pairs.p);
	free(c->str.p);
	memset(&c->rows, 0, sizeof(c->rows));
	memset(&c->pairs, 0, sizeof(c->pairs));
	memset(&c->str, 0, sizeof(c->str));
	return 0;
}

/* META, the checksum and the table descriptors, after a compile or a patch. */
static void finish(struct pol_db *c, uint64_t version)
{
	struct sb_pol_meta *meta = &c->meta;
	XXH64_state_t st;

	meta->version = version;
	meta->nb_agents = c->nb_slots;
	meta->nb_rows = c->nb_rows;
	meta->nb_pairs = c->nb_pairs;
	c->lay[4].count = c->nb_live;
	c->lay[5].count = c->nb_rows;
	c->lay[6].count = c->nb_pairs;
	/* The checksum covers every table but META, in table order. */
	XXH64_reset(&st, 0);
	for (int k = 1; k < POL_NB_TABLES; k++) {
		XXH64_update(&st, c->img.data + c->lay[k].off, c->lay[k].size);
	}
	meta->checksum = XXH64_digest(&st);
	memcpy(c->img.data + c->lay[0].off, meta, sizeof(*meta));
	for (int k = 0; k < POL_NB_TABLES; k++) {
		c->img.tables[k].kind = c->lay[k].kind;
		c->img.tables[k].flags = 0;
		c->img.tables[k].offset = c->lay[k].off;
		c->img.tables[k].size = c->lay[k].size;
		c->img.tables[k].count = c->lay[k].count;
	}
	c->img.nb_tables = POL_NB_TABLES;
	c->img.checksum = meta->checksum;
	c->img.nb_rows = c->nb_rows;
	c->img.nb_pairs = c->nb_pairs;
}

/* ---------------------------------------------------------------- full compile */

void pol_db_free(struct pol_db *c)
{
	if (c == NULL) {
		return;
	}
	for (uint32_t i = 0; i < c->nb_orgs; i++) {
		free(c->org_name[i]);
		free(c->cond_org != NULL ? c->cond_org[i].p : NULL);
	}
	for (size_t i = 0; c->app_members != NULL && i < c->nb_apps; i++) {
		free(c->app_members[i].p);
	}
	for (size_t i = 0; c->tenant_members != NULL && i < c->nb_tenants; i++) {
		free(c->tenant_members[i].p);
	}
	free(c->org_name);
	free(c->org_sorted);
	free(c->org_stamp);
	free(c->cond_org);
	free(c->cond_default.p);
	free(c->app_members);
	free(c->tenant_members);
	free(c->mentioned.p);
	free(c->ast);
	free(c->img_of);
	free(c->free_idx.p);
	free(c->arena.p);
	free(c->rows.p);
	free(c->pairs.p);
	free(c->str.p);
	free(c->img.data);
	free(c);
}

int pol_db_new(const struct pol_model *m, uint64_t version, struct pol_db **out, char *err,
	       size_t errlen)
{
	const pb_policy *p = m->p;
	struct pol_db *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	*out = NULL;
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	if (c == NULL) {
		snprintf(err, errlen, "out of memory compiling the policy");
		return -ENOMEM;
	}
	c->m = m;
	c->err = err;
	c->errlen = errlen;
	c->collect = true;
	c->rows.esz = sizeof(struct sb_pol_kv);
	c->pairs.esz = sizeof(struct sb_pol_kv);
	c->mentioned.esz = sizeof(uint32_t);
	c->nb_apps = p->n_apps;
	c->nb_tenants = p->n_tenants;
	if (p->n_agents >= SB_POL_PAIR_BIT - 1 || p->n_tenants >= UINT32_MAX / 2) {
		snprintf(err, errlen, "too many agents for the table format");
		rc = -EOVERFLOW;
		goto fail;
	}
	c->app_members = calloc(p->n_apps + 1, sizeof(*c->app_members));
	c->tenant_members = calloc(p->n_tenants + 1, sizeof(*c->tenant_members));
	if (c->app_members == NULL || c->tenant_members == NULL || build_orgs(c) < 0 ||
	    grow_ast(c, p->n_agents + 1) < 0) {
		goto fail;
	}
	for (size_t i = 0; i < p->n_agents; i++) {
		uint32_t x;

		if (agent_attach(c, (int32_t)i, &x) < 0) {
			goto fail;
		}
	}
	for (uint32_t x = 0; x < c->nb_slots; x++) {
		if (!tenant_local(p->tenants[c->ast[x].tenant])) {
			continue;	/* a partner's agent: its own bridge applies its policy */
		}
		if (agent_compile(c, x) < 0) {
			goto fail;
		}
	}
	rc = lay_out(c);
	if (rc == 0) {
		rc = lay_out_tail(c);
	}
	if (rc < 0) {
		goto fail;
	}
	finish(c, version);
	c->err = NULL;
	c->errlen = 0;
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM && err != NULL && errlen > 0 && err[0] == '\0') {
		snprintf(err, errlen, "out of memory compiling the policy");
	}
	pol_db_free(c);
	return rc;
}

int pol_compile(const struct pol_model *m, uint64_t version, struct pol_image *img, char *err,
		size_t errlen)
{
	struct pol_db *db;
	int rc = pol_db_new(m, version, &db, err, errlen);

	memset(img, 0, sizeof(*img));
	if (rc < 0) {
		return rc;
	}
	*img = db->img;
	db->img.data = NULL;
	pol_db_free(db);
	return 0;
}

/* ---------------------------------------------------------------- patches */

/* Recomputes local agent |x|'s rows, pairs and record. */
static int agent_recompile(struct pol_db *c, uint32_t x)
{
	int rc = 0;

	agent_uncompile(c, x);
	if (tenant_local(c->m->p->tenants[c->ast[x].tenant])) {
		rc = agent_compile(c, x);
	}
	c->patched_agents++;
	agent_rec_refresh(c, x);
	return rc;
}

static int patch_agent(struct pol_db *c, const struct pol_edit *e)
{
	const struct pol_model *m = c->m;
	uint32_t x = UINT32_MAX;
	int rc;

	if (e->old_idx >= 0) {
		struct agent_st *a;

		if ((uint32_t)e->old_idx >= c->img_of_cap) {
			return -EAGAIN;
		}
		x = c->img_of[e->old_idx];
		a = &c->ast[x];
		agent_uncompile(c, x);
		rc = peer_refresh(c, x, a->app, a->tenant, false);
		if (rc < 0) {
			return rc;
		}
		agent_leave(c, x);
		agent_rec_delete(c, a->slot);
		c->nb_live--;
		if (e->idx < 0) {
			/* Deleted: the index waits for a creation; the model's last agent moved. */
			a->model = -1;
			a->name = 0;
			if (u32_push(&c->free_idx, x) < 0) {
				return -ENOMEM;
			}
			if (e->moved_from >= 0) {
				uint32_t y = c->img_of[e->moved_from];

				c->img_of[e->old_idx] = y;
				c->ast[y].model = e->old_idx;
			}
			return 0;
		}
	}
	if (e->idx < 0 || (uint32_t)e->idx >= m->p->n_agents) {
		return -EAGAIN;
	}
	if (x == UINT32_MAX) {
		rc = agent_attach(c, e->idx, &x);
		if (rc < 0) {
			return rc;
		}
	} else {
		/* Updated: same index, same id; its app or tenant may have changed. */
		uint32_t name = c->ast[x].name;

		if (u32_push(&c->free_idx, x) < 0) {
			return -ENOMEM;
		}
		rc = agent_attach(c, e->idx, &x);
		if (rc < 0) {
			return rc;
		}
		c->ast[x].name = name;
	}
	rc = agent_rec_put(c, x);
	if (rc == 0 && tenant_local(m->p->tenants[c->ast[x].tenant])) {
		rc = agent_compile(c, x);
		agent_rec_refresh(c, x);
	}
	c->patched_agents++;
	if (rc == 0) {
		rc = peer_refresh(c, x, c->ast[x].app, c->ast[x].tenant, true);
	}
	return rc;
}

/* Every agent of project (or team) |idx| is recompiled. */
static int patch_scope(struct pol_db *c, const struct pol_edit *e)
{
	const struct pol_model *m = c->m;

	if (e->idx < 0 || e->old_idx < 0) {
		return 0;	/* created, or deleted while empty: no agent refers to it */
	}
	for (size_t i = 0; i < m->p->n_agents; i++) {
		int32_t ref = e->kind == POL_KIND_PROJECT ? m->agent[i].project : m->agent[i].team;

		if (ref == e->idx) {
			int rc = agent_recompile(c, c->img_of[i]);

			if (rc < 0) {
				return rc;
			}
		}
	}
	return 0;
}

int pol_db_patch(struct pol_db *c, const struct pol_model *m, const struct pol_edit *e,
		 size_t n, uint64_t version)
{
	const pb_policy *p = m->p;
	char unused[8];
	int rc = 0;

	if (c->m != m || p->n_apps != c->nb_apps || p->n_tenants != c->nb_tenants ||
	    p->n_trustrelationships != c->meta.nb_trusts) {
		return -EAGAIN;
	}
	c->err = unused;
	c->errlen = sizeof(unused);
	for (size_t k = 0; k < n && rc == 0; k++) {
		switch (e[k].kind) {
		case POL_KIND_AGENT:
			rc = patch_agent(c, &e[k]);
			break;
		case POL_KIND_PROJECT:
		case POL_KIND_TEAM:
			rc = patch_scope(c, &e[k]);
			break;
		case POL_KIND_TRUST:
			if (e[k].idx < 0 || e[k].idx != e[k].old_idx) {
				rc = -EAGAIN;
				break;
			}
			trust_fill(m, (size_t)e[k].idx,
				   (struct sb_pol_trust *)(c->img.data + c->lay[3].off) + e[k].idx);
			break;
		case POL_KIND_TENANT: {
			struct sb_pol_tenant *tt = (struct sb_pol_tenant *)(c->img.data + c->lay[1].off);
			uint32_t f;

			if (e[k].idx < 0 || e[k].idx != e[k].old_idx) {
				rc = -EAGAIN;
				break;
			}
			f = tenant_flags(p->tenants[e[k].idx]);
			if ((f ^ tt[e[k].idx].flags) & SB_POL_TENANT_LOCAL) {
				rc = -EAGAIN;	/* which agents are compiled changes */
				break;
			}
			tt[e[k].idx].flags = f;
			break;
		}
		default:
			rc = -EAGAIN;
			break;
		}
	}
	c->err = NULL;
	c->errlen = 0;
	if (rc < 0) {
		return rc == -EINVAL ? -EAGAIN : rc;
	}
	/* Rows rewritten leave their old organisations behind in the arena: compact now and then. */
	if (c->arena_garbage > 65536 && c->arena_garbage > c->arena.n / 2) {
		struct u32vec a = {0};

		for (uint32_t x = 0; x < c->nb_slots; x++) {
			struct agent_st *s = &c->ast[x];
			uint32_t off = a.n;

			for (uint32_t k = 0; s->model >= 0 && k < s->row_n; k++) {
				if (u32_push(&a, c->arena.p[s->row_off + k]) < 0) {
					free(a.p);
					return -ENOMEM;
				}
			}
			s->row_off = off;
		}
		free(c->arena.p);
		c->arena = a;
		c->arena_garbage = 0;
	}
	finish(c, version);
	return 0;
}

const struct pol_image *pol_db_image(const struct pol_db *db)
{
	return &db->img;
}

void pol_db_stats(const struct pol_db *db, struct pol_db_stats *st)
{
	st->patched_agents = db->patched_agents;
	st->patched_pairs = db->patched_pairs;
	st->live_agents = db->nb_live;
	st->free_indices = db->free_idx.n;
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
