/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pol_edit.c - in-place model edits (pol_model_edit_check,
 * pol_model_edit) against rebuilding: random policies, random single edits
 * of every kind (valid and not), and for each the verdict must be what
 * pol_model_new of the edited policy says (same message), -EAGAIN exactly
 * where pol_model.h says, and the edited model must hold the same objects,
 * ids and references as the rebuilt one. Then the fixed cases: a project
 * still in use, swap-remove records, missing ids, allocation failures.
 * Seeded (SB_POL_EDIT_SEED), sized by SB_POL_EDIT_N (policies).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pbconv.h"
#define POL_TEST_SHORT_NAMES
#include "pol_testlib.h"
#include "pol_model.h"

/* ---------------------------------------------------------------- allocation failures */

/* The test links with -Wl,--wrap: while |countdown| >= 0 the allocation at zero fails. */
static long countdown = -1;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static bool fail_now(void)
{
	return countdown >= 0 && countdown-- == 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

/* ---------------------------------------------------------------- helpers */

static void set_str(char **f, const char *s)
{
	free(*f);
	*f = s != NULL ? strdup(s) : NULL;
}

static void push_str(char ***a, size_t *n, const char *s)
{
	*a = realloc(*a, (*n + 1) * sizeof(**a));
	(*a)[(*n)++] = strdup(s);
}

static ProtobufCMessage *dup_msg(const ProtobufCMessage *o)
{
	size_t n = protobuf_c_message_get_packed_size(o);
	uint8_t *buf = malloc(n + 1);
	ProtobufCMessage *c;

	protobuf_c_message_pack(o, buf);
	c = protobuf_c_message_unpack(o->descriptor, NULL, n, buf);
	free(buf);
	assert_non_null(c);
	return c;
}

static bool packed_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t n = protobuf_c_message_get_packed_size(a);
	uint8_t *x, *y;
	bool eq;

	if (n != protobuf_c_message_get_packed_size(b)) {
		return false;
	}
	x = malloc(n + 1);
	y = malloc(n + 1);
	protobuf_c_message_pack(a, x);
	protobuf_c_message_pack(b, y);
	eq = memcmp(x, y, n) == 0;
	free(x);
	free(y);
	return eq;
}

static bool str_eq(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static pb_policy *parse(const char *yaml)
{
	ProtobufCMessage *msg = NULL;
	char err[PBCONV_ERR_MAX];

	if (pbconv_yaml_parse(yaml, strlen(yaml), &slimbridge__control__v1__policy__descriptor, &msg,
			      err, sizeof(err)) != 0) {
		fail_msg("YAML does not parse: %s", err);
	}
	return (pb_policy *)msg;
}

static ProtobufCMessage *parse_obj(const ProtobufCMessageDescriptor *d, const char *yaml)
{
	ProtobufCMessage *msg = NULL;
	char err[PBCONV_ERR_MAX];

	if (pbconv_yaml_parse(yaml, strlen(yaml), d, &msg, err, sizeof(err)) != 0) {
		fail_msg("YAML does not parse: %s", err);
	}
	return msg;
}

static struct pol_model *model_of(pb_policy *p)
{
	char err[256];
	struct pol_model *m = pol_model_new(p, err, sizeof(err));

	if (m == NULL) {
		fail_msg("the policy does not validate: %s", err);
	}
	return m;
}

/* Objects of a policy by kind, without their types. */
static size_t count_of(const pb_policy *p, enum pol_kind k)
{
	switch (k) {
	case POL_KIND_TENANT: return p->n_tenants;
	case POL_KIND_APP: return p->n_apps;
	case POL_KIND_PROJECT: return p->n_projects;
	case POL_KIND_TEAM: return p->n_teams;
	case POL_KIND_AGENT: return p->n_agents;
	case POL_KIND_TRUST: return p->n_trustrelationships;
	default: return p->n_contentrulesets;
	}
}

static const ProtobufCMessage *get_of(const pb_policy *p, enum pol_kind k, size_t i)
{
	switch (k) {
	case POL_KIND_TENANT: return &p->tenants[i]->base;
	case POL_KIND_APP: return &p->apps[i]->base;
	case POL_KIND_PROJECT: return &p->projects[i]->base;
	case POL_KIND_TEAM: return &p->teams[i]->base;
	case POL_KIND_AGENT: return &p->agents[i]->base;
	case POL_KIND_TRUST: return &p->trustrelationships[i]->base;
	default: return &p->contentrulesets[i]->base;
	}
}

static const char *id_of(enum pol_kind k, const ProtobufCMessage *o)
{
	switch (k) {
	case POL_KIND_TENANT: return ((const pb_tenant *)o)->id;
	case POL_KIND_APP: return ((const pb_app *)o)->id;
	case POL_KIND_PROJECT: return ((const pb_project *)o)->id;
	case POL_KIND_TEAM: return ((const pb_team *)o)->id;
	case POL_KIND_AGENT: return ((const pb_agent *)o)->id;
	case POL_KIND_TRUST: return ((const pb_trust *)o)->id;
	default: return ((const pb_ruleset *)o)->id;
	}
}

/* The id of object |i| of kind |k| in |m|, NULL for -1. */
static const char *id_at(const struct pol_model *m, enum pol_kind k, int32_t i)
{
	if (i < 0) {
		return NULL;
	}
	assert_true((uint32_t)i < pol_model_count(m, k));
	return id_of(k, get_of(m->p, k, (size_t)i));
}

/*
 * ref_apply: the edit done the plain way on a policy (replace in place,
 * append, or remove keeping the order), for pol_model_new to judge.
 */
#define REF_APPLY(field, T) \
	do { \
		size_t i_; \
		for (i_ = 0; i_ < p->n_##field; i_++) { \
			if (key != NULL && str_eq(p->field[i_]->id, key)) { \
				break; \
			} \
		} \
		if (obj == NULL) { \
			if (i_ < p->n_##field) { \
				protobuf_c_message_free_unpacked(&p->field[i_]->base, NULL); \
				memmove(&p->field[i_], &p->field[i_ + 1], \
					(p->n_##field - i_ - 1) * sizeof(p->field[0])); \
				p->n_##field--; \
			} \
		} else if (i_ < p->n_##field) { \
			protobuf_c_message_free_unpacked(&p->field[i_]->base, NULL); \
			p->field[i_] = (T *)dup_msg(obj); \
		} else { \
			p->field = realloc(p->field, (p->n_##field + 1) * sizeof(p->field[0])); \
			p->field[p->n_##field++] = (T *)dup_msg(obj); \
		} \
	} while (0)

static void ref_apply(pb_policy *p, enum pol_kind k, const ProtobufCMessage *obj, const char *id)
{
	const char *key = obj != NULL ? id_of(k, obj) : id;

	switch (k) {
	case POL_KIND_TENANT: REF_APPLY(tenants, pb_tenant); break;
	case POL_KIND_APP: REF_APPLY(apps, pb_app); break;
	case POL_KIND_PROJECT: REF_APPLY(projects, pb_project); break;
	case POL_KIND_TEAM: REF_APPLY(teams, pb_team); break;
	case POL_KIND_AGENT: REF_APPLY(agents, pb_agent); break;
	case POL_KIND_TRUST: REF_APPLY(trustrelationships, pb_trust); break;
	default: REF_APPLY(contentrulesets, pb_ruleset); break;
	}
}

/*
 * same_model: |m| (edited in place) and |r| (built from scratch) hold the
 * same objects, find the same ids and resolve the same references, compared
 * through ids since indices may differ.
 */
static void same_model(const struct pol_model *m, const struct pol_model *r)
{
	for (int k = 0; k < POL_KIND_MAX; k++) {
		uint32_t n = pol_model_count(m, (enum pol_kind)k);

		assert_int_equal(n, pol_model_count(r, (enum pol_kind)k));
		for (uint32_t i = 0; i < n; i++) {
			const ProtobufCMessage *o = get_of(m->p, (enum pol_kind)k, i);
			const char *id = id_of((enum pol_kind)k, o);
			int32_t j = pol_model_find(r, (enum pol_kind)k, id);

			assert_int_equal(pol_model_find(m, (enum pol_kind)k, id), (int32_t)i);
			if (j < 0) {
				fail_msg("%s '%s' is only in the edited model", pol_kind_name((enum pol_kind)k), id);
			}
			assert_true(packed_eq(o, get_of(r->p, (enum pol_kind)k, (size_t)j)));
		}
	}
	for (size_t i = 0; i < m->p->n_apps; i++) {
		int32_t j = pol_model_find(r, POL_KIND_APP, m->p->apps[i]->id);

		assert_true(str_eq(id_at(m, POL_KIND_TENANT, m->app_tenant[i]),
				   id_at(r, POL_KIND_TENANT, r->app_tenant[j])));
	}
	for (size_t i = 0; i < m->p->n_trustrelationships; i++) {
		int32_t j = pol_model_find(r, POL_KIND_TRUST, m->p->trustrelationships[i]->id);

		assert_true(str_eq(id_at(m, POL_KIND_TENANT, m->trust_tenant[i]),
				   id_at(r, POL_KIND_TENANT, r->trust_tenant[j])));
	}
	for (size_t i = 0; i < m->p->n_agents; i++) {
		const struct pol_agent_ref *a = &m->agent[i];
		const struct pol_agent_ref *b =
			&r->agent[pol_model_find(r, POL_KIND_AGENT, m->p->agents[i]->id)];

		assert_true(str_eq(id_at(m, POL_KIND_TENANT, a->tenant), id_at(r, POL_KIND_TENANT, b->tenant)));
		assert_true(str_eq(id_at(m, POL_KIND_APP, a->app), id_at(r, POL_KIND_APP, b->app)));
		assert_true(str_eq(id_at(m, POL_KIND_PROJECT, a->project),
				   id_at(r, POL_KIND_PROJECT, b->project)));
		assert_true(str_eq(id_at(m, POL_KIND_TEAM, a->team), id_at(r, POL_KIND_TEAM, b->team)));
	}
}

/* ---------------------------------------------------------------- random policies */

static const char *const bad_orgs[] = {"bogus", "external:*corp", "internal:", "external:a b"};

static const char *org_pattern(unsigned nt, unsigned na)
{
	static char buf[64];

	switch (rnd(6)) {
	case 0:
		return "*";
	case 1:
		return "internal:*";
	case 2:
		return "external:t*";
	case 3:
		snprintf(buf, sizeof(buf), "external:t%u", rnd(nt));
		return buf;
	default:
		snprintf(buf, sizeof(buf), "internal:a%u", rnd(na));
		return buf;
	}
}

static Slimbridge__Control__V1__ScopeSlimConfig *scope(unsigned nt, unsigned na)
{
	Slimbridge__Control__V1__ScopeSlimConfig *sc = calloc(1, sizeof(*sc));

	slimbridge__control__v1__scope_slim_config__init(sc);
	sc->has_enabled = 1;
	sc->enabled = 1;
	sc->n_allowedorganizations = rnd(3);
	sc->allowedorganizations = calloc(sc->n_allowedorganizations + 1, sizeof(void *));
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		pb_orgrule *r = calloc(1, sizeof(*r));

		slimbridge__control__v1__org_rule__init(r);
		r->organization = strdup(org_pattern(nt, na));
		if (chance(40)) {
			push_str(&r->permissions, &r->n_permissions, chance(50) ? "task" : "query");
		}
		sc->allowedorganizations[i] = r;
	}
	return sc;
}

/* Counters for fresh ids, per kind. */
static unsigned next_id[POL_KIND_MAX];

static pb_agent *random_agent(const pb_policy *p, unsigned a)
{
	pb_agent *x = calloc(1, sizeof(*x));
	unsigned cand[64], nc = 0;

	slimbridge__control__v1__agent__init(x);
	x->id = sdup("ag%u", next_id[POL_KIND_AGENT]++);
	x->app = strdup(p->apps[a]->id);
	for (size_t j = 0; j < p->n_projects && nc < 64; j++) {
		if (strcmp(p->projects[j]->app, x->app) == 0) {
			cand[nc++] = (unsigned)j;
		}
	}
	if (nc > 0 && chance(80)) {
		x->project = strdup(p->projects[cand[rnd(nc)]]->id);
	}
	nc = 0;
	for (size_t j = 0; j < p->n_teams && nc < 64; j++) {
		if (strcmp(p->teams[j]->app, x->app) == 0) {
			cand[nc++] = (unsigned)j;
		}
	}
	if (nc > 0 && chance(60)) {
		x->team = strdup(p->teams[cand[rnd(nc)]]->id);
	}
	/* A spiffeId in the trust domain of the app's tenant. */
	for (size_t t = 0; t < p->n_tenants && chance(50); t++) {
		if (strcmp(p->tenants[t]->id, p->apps[a]->tenant) == 0 &&
		    p->tenants[t]->trustdomain != NULL) {
			x->spiffeid = sdup("spiffe://%s/%s", p->tenants[t]->trustdomain, x->id);
			break;
		}
	}
	if (chance(70)) {
		Slimbridge__Control__V1__AgentSlimConfig *sc = calloc(1, sizeof(*sc));

		slimbridge__control__v1__agent_slim_config__init(sc);
		sc->has_enabled = 1;
		sc->enabled = 1;
		sc->n_allowedcallers = rnd(2);
		sc->allowedcallers = calloc(2, sizeof(void *));
		for (size_t i = 0; i < sc->n_allowedcallers; i++) {
			Slimbridge__Control__V1__CallerRule *c = calloc(1, sizeof(*c));

			slimbridge__control__v1__caller_rule__init(c);
			c->organization = strdup(org_pattern((unsigned)p->n_tenants, (unsigned)p->n_apps));
			sc->allowedcallers[i] = c;
		}
		sc->n_allowedtargets = rnd(2);
		sc->allowedtargets = calloc(2, sizeof(void *));
		for (size_t i = 0; i < sc->n_allowedtargets; i++) {
			Slimbridge__Control__V1__TargetRule *t = calloc(1, sizeof(*t));

			slimbridge__control__v1__target_rule__init(t);
			t->organization = strdup(org_pattern((unsigned)p->n_tenants, (unsigned)p->n_apps));
			sc->allowedtargets[i] = t;
		}
		x->slimconfig = sc;
	}
	return x;
}

static pb_policy *random_policy(void)
{
	pb_policy *p = calloc(1, sizeof(*p));
	unsigned nt = 1 + rnd(4), na = 0, nrs = rnd(3);
	unsigned app_tenant[16];

	slimbridge__control__v1__policy__init(p);
	memset(next_id, 0, sizeof(next_id));
	p->tenants = calloc(nt, sizeof(void *));
	for (unsigned t = 0; t < nt; t++) {
		pb_tenant *x = calloc(1, sizeof(*x));

		slimbridge__control__v1__tenant__init(x);
		x->id = sdup("t%u", t);
		x->trustdomain = sdup("t%u.example", t);
		if (chance(25)) {
			x->has_local = 1;
			x->local = chance(50);
		}
		if (chance(80)) {
			Slimbridge__Control__V1__TenantSlim *s = calloc(1, sizeof(*s));

			x->settings = calloc(1, sizeof(*x->settings));
			slimbridge__control__v1__tenant_settings__init(x->settings);
			slimbridge__control__v1__tenant_slim__init(s);
			x->settings->slim = s;
			s->has_capabilityenabled = 1;
			s->capabilityenabled = chance(85);
			for (unsigned j = rnd(3); j > 0; j--) {
				push_str(&s->allowedorganizations, &s->n_allowedorganizations,
					 chance(50) ? "internal:*" : "external:t1");
			}
			if (chance(30)) {
				push_str(&s->blockedorganizations, &s->n_blockedorganizations, "external:t2");
			}
			if (chance(50)) {
				s->defaultdirectoryvisibility = strdup("public");
			}
		}
		p->tenants[p->n_tenants++] = x;
		for (unsigned k = 1 + rnd(3); k > 0 && na < 16; k--) {
			app_tenant[na++] = t;
		}
	}
	next_id[POL_KIND_TENANT] = nt;
	p->apps = calloc(na, sizeof(void *));
	for (unsigned a = 0; a < na; a++) {
		pb_app *x = calloc(1, sizeof(*x));

		slimbridge__control__v1__app__init(x);
		x->id = sdup("a%u", a);
		x->tenant = sdup("t%u", app_tenant[a]);
		p->apps[p->n_apps++] = x;
	}
	next_id[POL_KIND_APP] = na;
	p->contentrulesets = calloc(nrs + 1, sizeof(void *));
	for (unsigned i = 0; i < nrs; i++) {
		pb_ruleset *x = calloc(1, sizeof(*x));
		Slimbridge__Control__V1__ContentRule *r = calloc(1, sizeof(*r));

		slimbridge__control__v1__content_rule_set__init(x);
		slimbridge__control__v1__content_rule__init(r);
		x->id = sdup("rs%u", i);
		r->has_id = 1;
		r->id = 1;
		r->pattern = sdup("secret%u[0-9]+", i);
		x->n_rules = 1;
		x->rules = calloc(1, sizeof(void *));
		x->rules[0] = r;
		p->contentrulesets[p->n_contentrulesets++] = x;
	}
	next_id[POL_KIND_RULESET] = nrs;
	p->projects = calloc(32, sizeof(void *));
	p->teams = calloc(32, sizeof(void *));
	for (unsigned a = 0; a < na; a++) {
		for (unsigned k = rnd(3); k > 0; k--) {
			pb_project *x = calloc(1, sizeof(*x));

			slimbridge__control__v1__project__init(x);
			x->id = sdup("p%u", next_id[POL_KIND_PROJECT]++);
			x->app = strdup(p->apps[a]->id);
			if (nrs > 0 && chance(30)) {
				x->contentruleset = sdup("rs%u", rnd(nrs));
			}
			if (chance(70)) {
				x->slimconfig = scope(nt, na);
			}
			p->projects[p->n_projects++] = x;
		}
		for (unsigned k = rnd(3); k > 0; k--) {
			pb_team *x = calloc(1, sizeof(*x));

			slimbridge__control__v1__team__init(x);
			x->id = sdup("tm%u", next_id[POL_KIND_TEAM]++);
			x->app = strdup(p->apps[a]->id);
			if (chance(50)) {
				x->slimconfig = scope(nt, na);
			}
			p->teams[p->n_teams++] = x;
		}
	}
	p->agents = calloc(64, sizeof(void *));
	for (unsigned a = 0; a < na; a++) {
		for (unsigned k = 1 + rnd(4); k > 0; k--) {
			p->agents[p->n_agents++] = random_agent(p, a);
		}
	}
	p->trustrelationships = calloc(16, sizeof(void *));
	for (unsigned t = 0; t < nt; t++) {
		for (unsigned o = 0; o <= nt && p->n_trustrelationships < 16; o++) {
			pb_trust *x;

			if (o == t || !chance(50)) {
				continue;
			}
			x = calloc(1, sizeof(*x));
			slimbridge__control__v1__trust_relationship__init(x);
			x->id = sdup("tr%u", next_id[POL_KIND_TRUST]++);
			x->tenant = sdup("t%u", t);
			x->organization = o == nt ? strdup("external:ghost") : sdup("external:t%u", o);
			x->state = strdup(chance(70) ? "established" : "pending");
			if (chance(30)) {
				x->transport = strdup("https");
			}
			if (nrs > 0 && chance(30)) {
				x->contentruleset = sdup("rs%u", rnd(nrs));
			}
			p->trustrelationships[p->n_trustrelationships++] = x;
		}
	}
	return p;
}

/* ---------------------------------------------------------------- random edits */

/* A random existing id of kind |k| in |p|, or a missing one. */
static const char *pick_id(const pb_policy *p, enum pol_kind k)
{
	size_t n = count_of(p, k);

	return n == 0 || chance(8) ? "nope" : id_of(k, get_of(p, k, rnd((uint32_t)n)));
}

/* An id for a creation: mostly fresh and valid, sometimes not. */
static char *new_id(const char *prefix, enum pol_kind k)
{
	switch (rnd(40)) {
	case 0:
		return NULL;
	case 1:
		return strdup("");
	case 2:
		return strdup("bad id!");
	case 3: {
		char *s = malloc(201);

		memset(s, 'x', 200);
		s[200] = '\0';
		return s;
	}
	default:
		return sdup("%s%u", prefix, next_id[k]++);
	}
}

static void mutate_scope(Slimbridge__Control__V1__ScopeSlimConfig **scp, unsigned nt, unsigned na)
{
	Slimbridge__Control__V1__ScopeSlimConfig *sc;
	pb_orgrule *r;

	if (*scp == NULL) {
		*scp = scope(nt, na);
	}
	sc = *scp;
	r = calloc(1, sizeof(*r));
	slimbridge__control__v1__org_rule__init(r);
	r->organization = strdup(chance(70) ? org_pattern(nt, na) : bad_orgs[rnd(4)]);
	if (chance(20)) {
		push_str(&r->permissions, &r->n_permissions, chance(50) ? "task" : "write");
	}
	sc->allowedorganizations = realloc(sc->allowedorganizations,
					   (sc->n_allowedorganizations + 1) * sizeof(void *));
	sc->allowedorganizations[sc->n_allowedorganizations++] = r;
}

static const char *any_project(const pb_policy *p)
{
	if (p->n_projects == 0 || chance(10)) {
		return chance(50) ? "ghost" : NULL;
	}
	return p->projects[rnd((uint32_t)p->n_projects)]->id;
}

static const char *any_team(const pb_policy *p)
{
	if (p->n_teams == 0 || chance(10)) {
		return chance(50) ? "ghost" : NULL;
	}
	return p->teams[rnd((uint32_t)p->n_teams)]->id;
}

static ProtobufCMessage *edit_agent(const pb_policy *p)
{
	pb_agent *x;
	unsigned nt = (unsigned)p->n_tenants, na = (unsigned)p->n_apps;

	if (p->n_agents > 0 && chance(55)) {
		x = (pb_agent *)dup_msg(&p->agents[rnd((uint32_t)p->n_agents)]->base);
	} else {
		x = random_agent(p, rnd(na));
		free(x->id);
		x->id = new_id("ag", POL_KIND_AGENT);
	}
	for (unsigned n = 1 + rnd(2); n > 0; n--) {
		switch (rnd(9)) {
		case 0:
			set_str(&x->app, chance(90) ? p->apps[rnd(na)]->id : chance(50) ? "ghost" : NULL);
			break;
		case 1:
			set_str(&x->project, any_project(p));
			break;
		case 2:
			set_str(&x->team, any_team(p));
			break;
		case 3:
			free(x->spiffeid);
			x->spiffeid = chance(20) ? NULL : chance(30) ? strdup("spiffe://elsewhere/x") :
				sdup("spiffe://t%u.example/%s", rnd(nt + 1), "w");
			break;
		case 4:
			if (x->slimconfig == NULL) {
				x->slimconfig = calloc(1, sizeof(*x->slimconfig));
				slimbridge__control__v1__agent_slim_config__init(x->slimconfig);
			}
			{
				Slimbridge__Control__V1__CallerRule *c = calloc(1, sizeof(*c));
				Slimbridge__Control__V1__AgentSlimConfig *sc = x->slimconfig;

				slimbridge__control__v1__caller_rule__init(c);
				c->organization = strdup(chance(60) ? org_pattern(nt, na) : bad_orgs[rnd(4)]);
				if (chance(30)) {
					push_str(&c->permissions, &c->n_permissions, chance(50) ? "query" : "admin");
				}
				sc->allowedcallers = realloc(sc->allowedcallers,
							     (sc->n_allowedcallers + 1) * sizeof(void *));
				sc->allowedcallers[sc->n_allowedcallers++] = c;
			}
			break;
		case 5:
			if (x->slimconfig != NULL) {
				Slimbridge__Control__V1__DirectoryRegistration *d = calloc(1, sizeof(*d));

				slimbridge__control__v1__directory_registration__init(d);
				d->visibility = strdup(chance(60) ? "partners-only" : "everyone");
				if (x->slimconfig->directoryregistration != NULL) {
					protobuf_c_message_free_unpacked(&x->slimconfig->directoryregistration->base, NULL);
				}
				x->slimconfig->directoryregistration = d;
			}
			break;
		default:
			free(x->name);
			x->name = sdup("name%u", rnd(1000));
			break;
		}
	}
	return &x->base;
}

static ProtobufCMessage *edit_project(const pb_policy *p)
{
	pb_project *x;
	unsigned nt = (unsigned)p->n_tenants, na = (unsigned)p->n_apps;

	if (p->n_projects > 0 && chance(60)) {
		x = (pb_project *)dup_msg(&p->projects[rnd((uint32_t)p->n_projects)]->base);
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__project__init(x);
		x->id = new_id("p", POL_KIND_PROJECT);
		x->app = strdup(p->apps[rnd(na)]->id);
	}
	switch (rnd(5)) {
	case 0:
		set_str(&x->app, chance(85) ? p->apps[rnd(na)]->id : chance(50) ? "ghost" : NULL);
		break;
	case 1:
		set_str(&x->contentruleset, chance(30) ? NULL : chance(40) ? "ghost" :
			p->n_contentrulesets > 0 ? p->contentrulesets[0]->id : "rs9");
		break;
	case 2:
		mutate_scope(&x->slimconfig, nt, na);
		break;
	default:
		set_str(&x->name, "renamed");
		break;
	}
	return &x->base;
}

static ProtobufCMessage *edit_team(const pb_policy *p)
{
	pb_team *x;
	unsigned nt = (unsigned)p->n_tenants, na = (unsigned)p->n_apps;

	if (p->n_teams > 0 && chance(60)) {
		x = (pb_team *)dup_msg(&p->teams[rnd((uint32_t)p->n_teams)]->base);
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__team__init(x);
		x->id = new_id("tm", POL_KIND_TEAM);
		x->app = strdup(p->apps[rnd(na)]->id);
	}
	switch (rnd(4)) {
	case 0:
		set_str(&x->app, chance(85) ? p->apps[rnd(na)]->id : chance(50) ? "ghost" : NULL);
		break;
	case 1:
		mutate_scope(&x->slimconfig, nt, na);
		break;
	default:
		set_str(&x->name, "renamed");
		break;
	}
	return &x->base;
}

static ProtobufCMessage *edit_trust(const pb_policy *p)
{
	pb_trust *x;
	unsigned nt = (unsigned)p->n_tenants;

	if (p->n_trustrelationships > 0 && chance(80)) {
		x = (pb_trust *)dup_msg(&p->trustrelationships[rnd((uint32_t)p->n_trustrelationships)]->base);
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__trust_relationship__init(x);
		x->id = new_id("tr", POL_KIND_TRUST);
		x->tenant = sdup("t%u", rnd(nt + 1));
		x->organization = sdup("external:t%u", rnd(nt + 1));
	}
	for (unsigned n = 1 + rnd(2); n > 0; n--) {
		switch (rnd(9)) {
		case 0:
			free(x->organization);
			x->organization = chance(80) ? sdup("external:t%u", rnd(nt + 2)) :
						       strdup("internal:a0");
			break;
		case 1:
			free(x->tenant);
			x->tenant = sdup("t%u", rnd(nt + 1));
			break;
		case 2:
			set_str(&x->transport, chance(30) ? NULL : chance(60) ? "grpc" : "udp");
			break;
		case 3:
			set_str(&x->state, chance(70) ? "suspended" : "frozen");
			break;
		case 4:
			if (x->circuitbreaker == NULL) {
				x->circuitbreaker = calloc(1, sizeof(*x->circuitbreaker));
				slimbridge__control__v1__circuit_breaker__init(x->circuitbreaker);
			}
			x->circuitbreaker->has_failurethreshold = 1;
			x->circuitbreaker->failurethreshold = chance(60) ? 5 : chance(50) ? 0 : 5000;
			break;
		case 5:
			set_str(&x->contentruleset, chance(40) ? NULL : chance(40) ? "ghost" :
				p->n_contentrulesets > 0 ? p->contentrulesets[0]->id : "rs9");
			break;
		default:
			set_str(&x->endpoint, "peer.example:443");
			break;
		}
	}
	return &x->base;
}

static ProtobufCMessage *edit_tenant(const pb_policy *p)
{
	pb_tenant *x;
	Slimbridge__Control__V1__TenantSlim *s;

	if (p->n_tenants > 0 && chance(85)) {
		x = (pb_tenant *)dup_msg(&p->tenants[rnd((uint32_t)p->n_tenants)]->base);
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__tenant__init(x);
		x->id = new_id("t", POL_KIND_TENANT);
		x->trustdomain = sdup("%s.example", x->id != NULL ? x->id : "x");
	}
	s = x->settings != NULL ? x->settings->slim : NULL;
	switch (rnd(10)) {
	case 0:
		set_str(&x->trustdomain, chance(50) ? "Upper.Example" : "moved.example");
		break;
	case 1:
		if (x->has_local) {
			x->local = !x->local;
		} else {
			x->has_local = 1;
			x->local = chance(50);
		}
		break;
	case 2:
		if (s == NULL) {
			break;
		}
		if (s->n_allowedorganizations > 0 && chance(50)) {
			set_str(&s->allowedorganizations[rnd((uint32_t)s->n_allowedorganizations)],
				chance(50) ? "external:t3" : bad_orgs[rnd(4)]);
		} else {
			push_str(&s->allowedorganizations, &s->n_allowedorganizations, "internal:a1");
		}
		break;
	case 3:
		if (s != NULL) {
			push_str(&s->blockedorganizations, &s->n_blockedorganizations,
				 chance(50) ? "external:t0" : "bogus");
		}
		break;
	case 4:
		/* Absent settings and a slim with no lists are the same shape. */
		if (x->settings == NULL) {
			x->settings = calloc(1, sizeof(*x->settings));
			slimbridge__control__v1__tenant_settings__init(x->settings);
		} else if (s != NULL && s->n_allowedorganizations == 0 && s->n_blockedorganizations == 0) {
			protobuf_c_message_free_unpacked(&x->settings->base, NULL);
			x->settings = NULL;
		}
		break;
	case 5:
	case 6:
		if (s != NULL) {
			set_str(&s->defaultdirectoryvisibility, chance(70) ? "private" : "hidden");
		}
		break;
	case 7:
		if (s != NULL) {
			s->has_capabilityenabled = 1;
			s->capabilityenabled = !s->capabilityenabled;
		}
		break;
	default:
		set_str(&x->name, "Renamed Inc");
		break;
	}
	return &x->base;
}

static ProtobufCMessage *edit_app(const pb_policy *p)
{
	pb_app *x;

	if (p->n_apps > 0 && chance(60)) {
		x = (pb_app *)dup_msg(&p->apps[rnd((uint32_t)p->n_apps)]->base);
		set_str(&x->name, "renamed");
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__app__init(x);
		x->id = new_id("a", POL_KIND_APP);
		x->tenant = strdup(p->n_tenants > 0 ? p->tenants[0]->id : "t0");
	}
	return &x->base;
}

static ProtobufCMessage *edit_ruleset(const pb_policy *p)
{
	pb_ruleset *x;

	if (p->n_contentrulesets > 0 && chance(60)) {
		x = (pb_ruleset *)dup_msg(&p->contentrulesets[0]->base);
		if (x->n_rules > 0) {
			set_str(&x->rules[0]->action, "audit");
		}
	} else {
		x = calloc(1, sizeof(*x));
		slimbridge__control__v1__content_rule_set__init(x);
		x->id = new_id("rs", POL_KIND_RULESET);
	}
	return &x->base;
}

static bool tenant_lists_eq(const pb_tenant *a, const pb_tenant *b)
{
	const Slimbridge__Control__V1__TenantSlim *x = a->settings != NULL ? a->settings->slim : NULL;
	const Slimbridge__Control__V1__TenantSlim *y = b->settings != NULL ? b->settings->slim : NULL;
	size_t xa = x != NULL ? x->n_allowedorganizations : 0;
	size_t ya = y != NULL ? y->n_allowedorganizations : 0;
	size_t xb = x != NULL ? x->n_blockedorganizations : 0;
	size_t yb = y != NULL ? y->n_blockedorganizations : 0;

	if (xa != ya || xb != yb) {
		return false;
	}
	for (size_t i = 0; i < xa; i++) {
		if (strcmp(x->allowedorganizations[i], y->allowedorganizations[i]) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < xb; i++) {
		if (strcmp(x->blockedorganizations[i], y->blockedorganizations[i]) != 0) {
			return false;
		}
	}
	return true;
}

/* What pol_model.h promises for the edit: true if it is applied in place (or refused as invalid). */
static bool in_place(const pb_policy *p, enum pol_kind k, const ProtobufCMessage *obj)
{
	const char *id = obj != NULL ? id_of(k, obj) : NULL;
	size_t i, n = count_of(p, k);

	for (i = 0; i < n; i++) {
		if (id != NULL && str_eq(id_of(k, get_of(p, k, i)), id)) {
			break;
		}
	}
	switch (k) {
	case POL_KIND_AGENT:
		return true;
	case POL_KIND_PROJECT:
		return obj == NULL || i == n || str_eq(p->projects[i]->app, ((const pb_project *)obj)->app);
	case POL_KIND_TEAM:
		return obj == NULL || i == n || str_eq(p->teams[i]->app, ((const pb_team *)obj)->app);
	case POL_KIND_TRUST: {
		const pb_trust *t = (const pb_trust *)obj;

		return obj != NULL && i < n && str_eq(p->trustrelationships[i]->tenant, t->tenant) &&
		       str_eq(p->trustrelationships[i]->organization, t->organization);
	}
	case POL_KIND_TENANT: {
		const pb_tenant *t = (const pb_tenant *)obj;
		const pb_tenant *c = i < n ? p->tenants[i] : NULL;

		return obj != NULL && c != NULL && str_eq(c->trustdomain, t->trustdomain) &&
		       c->has_local == t->has_local && (!c->has_local || c->local == t->local) &&
		       tenant_lists_eq(c, t);
	}
	default:
		return false;
	}
}

/* ---------------------------------------------------------------- the property */

struct tally {
	unsigned verdict[POL_KIND_MAX][4];	/* 0, -EINVAL, -EAGAIN, -ENOENT */
};

static unsigned slot_of(int rc)
{
	switch (rc) {
	case 0: return 0;
	case -EINVAL: return 1;
	case -EAGAIN: return 2;
	case -ENOENT: return 3;
	default: fail_msg("unexpected verdict %d", rc);
	}
	return 0;
}

/* Check the pol_edit record of an applied edit against the model before and after. */
struct before {
	uint32_t count;
	int32_t idx;
	char *last_id;
	struct pol_agent_ref ref;
};

static void check_record(const struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
			 const char *id, const struct before *b, const struct pol_edit *e)
{
	assert_int_equal(e->kind, k);
	assert_int_equal(e->old_idx, b->idx);
	if (obj == NULL) {
		assert_int_equal(e->idx, -1);
		assert_int_equal(pol_model_find(m, k, id), -1);
		assert_int_equal(pol_model_count(m, k), b->count - 1);
		if (b->idx == (int32_t)b->count - 1) {
			assert_int_equal(e->moved_from, -1);
		} else {
			assert_int_equal(e->moved_from, (int32_t)b->count - 1);
			assert_int_equal(pol_model_find(m, k, b->last_id), b->idx);
		}
	} else if (b->idx < 0) {
		assert_int_equal(e->idx, (int32_t)b->count);
		assert_int_equal(pol_model_find(m, k, id_of(k, obj)), e->idx);
		assert_int_equal(e->moved_from, -1);
	} else {
		assert_int_equal(e->idx, b->idx);
		assert_int_equal(e->moved_from, -1);
		assert_true(packed_eq(obj, get_of(m->p, k, (size_t)e->idx)));
	}
	if (k == POL_KIND_AGENT && b->idx >= 0) {
		assert_memory_equal(&e->old_ref, &b->ref, sizeof(b->ref));
	}
}

/*
 * One edit on |*m| (in place) and on |*r| (the same policy, rebuilt):
 * verdicts and results must agree. Either model may be replaced.
 */
static void one_edit(struct pol_model **mp, struct pol_model **rp, enum pol_kind k,
		     const ProtobufCMessage *obj, const char *id, struct tally *t, uint64_t seed,
		     unsigned iter)
{
	struct pol_model *m = *mp, *r = *rp, *nm;
	char err[256], err2[256];
	pb_policy *cand = (pb_policy *)dup_msg(&r->p->base);
	bool exists = pol_model_find(r, k, obj != NULL ? id_of(k, obj) : id) >= 0;
	int rc = pol_model_edit_check(m, k, obj, id, err, sizeof(err));

	t->verdict[k][slot_of(rc)]++;
	ref_apply(cand, k, obj, id);
	nm = pol_model_new(cand, err2, sizeof(err2));
	if (obj == NULL && !exists) {
		if (rc != -ENOENT) {
			fail_msg("seed %llu iter %u: delete of missing %s '%s': %d", (unsigned long long)seed,
				 iter, pol_kind_name(k), id, rc);
		}
	} else if (!in_place(r->p, k, obj)) {
		if (rc != -EAGAIN) {
			fail_msg("seed %llu iter %u: %s %s '%s' must be -EAGAIN, got %d (%s)",
				 (unsigned long long)seed, iter, obj == NULL ? "delete" : "put",
				 pol_kind_name(k), obj != NULL ? id_of(k, obj) : id, rc, err);
		}
	} else if (nm != NULL) {
		if (rc != 0) {
			fail_msg("seed %llu iter %u: %s '%s': rebuild valid, check says %d (%s)",
				 (unsigned long long)seed, iter, pol_kind_name(k),
				 obj != NULL ? id_of(k, obj) : id, rc, err);
		}
	} else if (rc != -EINVAL) {
		fail_msg("seed %llu iter %u: %s: rebuild refused (%s), check says %d",
			 (unsigned long long)seed, iter, pol_kind_name(k), err2, rc);
	} else if (obj == NULL) {
		/* The check names the first agent in the model's order; the rebuild, in its own. */
		char want[256], agent[160];
		const char *what = pol_kind_name(k);
		int32_t x = pol_model_find(m, k, id);
		size_t i;

		for (i = 0; i < m->p->n_agents; i++) {
			if ((k == POL_KIND_PROJECT ? m->agent[i].project : m->agent[i].team) == x) {
				break;
			}
		}
		assert_true(i < m->p->n_agents);
		snprintf(want, sizeof(want), "cannot delete %s '%s': agent '%s' is in it", what, id,
			 m->p->agents[i]->id);
		assert_string_equal(err, want);
		assert_int_equal(sscanf(err2, "agent '%159[^']'", agent), 1);
		snprintf(want, sizeof(want), "agent '%s': %s '%s' does not exist", agent, what, id);
		assert_string_equal(err2, want);
	} else if (strcmp(err, err2) != 0) {
		fail_msg("seed %llu iter %u: messages differ: check '%s', rebuild '%s'",
			 (unsigned long long)seed, iter, err, err2);
	}
	if (nm == NULL) {
		protobuf_c_message_free_unpacked(&cand->base, NULL);
	}
	if (rc == 0) {
		struct before b = {.count = pol_model_count(m, k)};
		struct pol_edit e;
		const char *key = obj != NULL ? id_of(k, obj) : id;

		b.idx = pol_model_find(m, k, key);
		b.last_id = b.count > 0 ? strdup(id_of(k, get_of(m->p, k, b.count - 1))) : NULL;
		if (k == POL_KIND_AGENT && b.idx >= 0) {
			b.ref = m->agent[b.idx];
		}
		assert_int_equal(pol_model_edit(m, k, obj, id, &e), 0);
		check_record(m, k, obj, id, &b, &e);
		free(b.last_id);
		same_model(m, nm);
		pol_model_free(r);
		*rp = nm;
	} else if (nm != NULL) {
		/* What the control process does on -EAGAIN: rebuild. */
		pol_model_free(m);
		pol_model_free(r);
		*mp = model_of((pb_policy *)dup_msg(&nm->p->base));
		*rp = nm;
	}
}

static void test_edits_match_rebuild(void **state)
{
	const char *env_n = getenv("SB_POL_EDIT_N");
	const char *env_seed = getenv("SB_POL_EDIT_SEED");
	unsigned n = env_n != NULL ? (unsigned)strtoul(env_n, NULL, 10) : 300;
	uint64_t seed = env_seed != NULL ? strtoull(env_seed, NULL, 10) : 0xed17ed17ULL;
	struct tally t = {0};
	unsigned edits = 0;

	(void)state;
	for (unsigned iter = 0; iter < n; iter++) {
		struct pol_model *m, *r;
		pb_policy *p;

		rng = seed + iter * 0x9e3779b97f4a7c15ULL + 1;
		p = random_policy();
		r = model_of((pb_policy *)dup_msg(&p->base));
		m = model_of(p);
		for (unsigned step = 0; step < 30; step++, edits++) {
			static const enum pol_kind kinds[] = {
				POL_KIND_AGENT, POL_KIND_AGENT, POL_KIND_AGENT, POL_KIND_AGENT,
				POL_KIND_PROJECT, POL_KIND_PROJECT, POL_KIND_TEAM, POL_KIND_TEAM,
				POL_KIND_TRUST, POL_KIND_TRUST, POL_KIND_TENANT, POL_KIND_TENANT,
				POL_KIND_APP, POL_KIND_RULESET,
			};
			enum pol_kind k = kinds[rnd(sizeof(kinds) / sizeof(kinds[0]))];
			const pb_policy *rp = r->p;
			ProtobufCMessage *obj = NULL;
			char *id = NULL;

			/* Rebuilds may have taken every app away: then only apps come. */
			if (rp->n_apps == 0) {
				k = POL_KIND_APP;
			}
			if (chance(25)) {
				id = strdup(pick_id(rp, k));
			} else {
				switch (k) {
				case POL_KIND_AGENT: obj = edit_agent(rp); break;
				case POL_KIND_PROJECT: obj = edit_project(rp); break;
				case POL_KIND_TEAM: obj = edit_team(rp); break;
				case POL_KIND_TRUST: obj = edit_trust(rp); break;
				case POL_KIND_TENANT: obj = edit_tenant(rp); break;
				case POL_KIND_APP: obj = edit_app(rp); break;
				default: obj = edit_ruleset(rp); break;
				}
			}
			one_edit(&m, &r, k, obj, id, &t, seed, iter);
			if (obj != NULL) {
				protobuf_c_message_free_unpacked(obj, NULL);
			}
			free(id);
		}
		pol_model_free(m);
		pol_model_free(r);
	}
	print_message("%u edits on %u policies (applied/invalid/rebuild/missing):\n", edits, n);
	for (int k = 0; k < POL_KIND_MAX; k++) {
		print_message("  %-8s %5u %5u %5u %5u\n", pol_kind_name((enum pol_kind)k),
			      t.verdict[k][0], t.verdict[k][1], t.verdict[k][2], t.verdict[k][3]);
	}
	/* Every in-place kind was applied and refused, every kind was rebuilt or missing. */
	for (int k = POL_KIND_PROJECT; k <= POL_KIND_AGENT; k++) {
		assert_true(t.verdict[k][0] > 20 && t.verdict[k][1] > 5 && t.verdict[k][3] > 5);
	}
	assert_true(t.verdict[POL_KIND_TRUST][0] > 20 && t.verdict[POL_KIND_TRUST][1] > 5);
	assert_true(t.verdict[POL_KIND_TENANT][0] > 20 && t.verdict[POL_KIND_TENANT][1] > 5);
	for (int k = 0; k < POL_KIND_MAX; k++) {
		if (k != POL_KIND_AGENT) {
			assert_true(t.verdict[k][2] > 5);
		}
	}
}

/*
 * Many agent creations and deletions on one model: the id map grows,
 * shifts entries back on delete and still finds every id; a deleted id
 * stays gone. Checked against a rebuild of the model's own policy.
 */
static void test_agent_churn(void **state)
{
	struct pol_model *m, *r;
	char err[256];
	char *gone[64] = {0};
	unsigned ngone = 0;

	(void)state;
	rng = 7;
	m = model_of(random_policy());
	for (unsigned step = 0; step < 6000; step++) {
		const pb_policy *p = m->p;
		struct pol_edit e;

		if (p->n_agents > 0 && (chance(40) || p->n_agents > 3000)) {
			const char *id = p->agents[rnd((uint32_t)p->n_agents)]->id;

			free(gone[ngone % 64]);
			gone[ngone++ % 64] = strdup(id);
			assert_int_equal(pol_model_edit_check(m, POL_KIND_AGENT, NULL, id, err, sizeof(err)), 0);
			assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, NULL, gone[(ngone - 1) % 64], &e), 0);
		} else {
			pb_agent *a = random_agent(p, rnd((uint32_t)p->n_apps));
			int rc = pol_model_edit_check(m, POL_KIND_AGENT, &a->base, NULL, err, sizeof(err));

			assert_int_equal(rc, 0);
			assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, &a->base, NULL, &e), 0);
			assert_int_equal(e.idx, (int32_t)m->p->n_agents - 1);
			for (unsigned i = 0; i < 64; i++) {
				if (gone[i] != NULL && strcmp(gone[i], a->id) == 0) {
					set_str(&gone[i], NULL);
				}
			}
			protobuf_c_message_free_unpacked(&a->base, NULL);
		}
		if (step % 500 == 499) {
			r = model_of((pb_policy *)dup_msg(&m->p->base));
			same_model(m, r);
			pol_model_free(r);
			for (unsigned i = 0; i < 64; i++) {
				if (gone[i] != NULL) {
					assert_int_equal(pol_model_find(m, POL_KIND_AGENT, gone[i]), -1);
				}
			}
		}
	}
	for (unsigned i = 0; i < 64; i++) {
		free(gone[i]);
	}
	pol_model_free(m);
}

/* ---------------------------------------------------------------- fixed cases */

#define FIXED_HEAD \
	"tenants:\n" \
	"  - {id: acme, trustDomain: acme.example, settings: {slim: {capabilityEnabled: true}}}\n" \
	"apps:\n" \
	"  - {id: hr, tenant: acme}\n" \
	"  - {id: sales, tenant: acme}\n" \
	"projects:\n" \
	"  - {id: p0, app: hr}\n" \
	"  - {id: p1, app: hr}\n" \
	"  - {id: p2, app: sales}\n" \
	"teams:\n" \
	"  - {id: tm0, app: hr}\n" \
	"  - {id: tm1, app: hr}\n" \
	"agents:\n" \
	"  - {id: a1, app: hr, project: p0}\n" \
	"  - {id: a2, app: hr}\n" \
	"  - {id: a3, app: hr, project: p1, team: tm1}\n" \
	"  - {id: a4, app: hr, project: p1}\n" \
	"  - {id: a5, app: sales, project: p2}\n"
#define FIXED_TAIL \
	"trustRelationships:\n" \
	"  - {id: tr1, tenant: acme, organization: 'external:globex', state: established}\n"
#define FIXED FIXED_HEAD FIXED_TAIL
/* Eight agents: the next creation grows the agent arrays and the id map (16 slots). */
#define FIXED8 FIXED_HEAD \
	"  - {id: x0, app: hr}\n" \
	"  - {id: x1, app: hr}\n" \
	"  - {id: x2, app: sales}\n" \
	FIXED_TAIL

static void test_delete_in_use(void **state)
{
	struct pol_model *m = model_of(parse(FIXED));
	char err[256];

	(void)state;
	assert_int_equal(pol_model_edit_check(m, POL_KIND_PROJECT, NULL, "p1", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "cannot delete project 'p1': agent 'a3' is in it");
	assert_int_equal(pol_model_edit_check(m, POL_KIND_TEAM, NULL, "tm1", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "cannot delete team 'tm1': agent 'a3' is in it");
	assert_int_equal(pol_model_edit_check(m, POL_KIND_TEAM, NULL, "tm0", err, sizeof(err)), 0);
	/* Moving a project to another app is a rebuild; keeping it is in place. */
	{
		ProtobufCMessage *o = parse_obj(&slimbridge__control__v1__project__descriptor,
						"{id: p1, app: sales}");

		assert_int_equal(pol_model_edit_check(m, POL_KIND_PROJECT, o, NULL, err, sizeof(err)),
				 -EAGAIN);
		protobuf_c_message_free_unpacked(o, NULL);
		o = parse_obj(&slimbridge__control__v1__project__descriptor,
			      "{id: p1, app: hr, contentRuleSet: nope}");
		assert_int_equal(pol_model_edit_check(m, POL_KIND_PROJECT, o, NULL, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "project 'p1': contentRuleSet 'nope' does not exist");
		protobuf_c_message_free_unpacked(o, NULL);
		o = parse_obj(&slimbridge__control__v1__agent__descriptor,
			      "{id: a9, app: sales, project: p1}");
		assert_int_equal(pol_model_edit_check(m, POL_KIND_AGENT, o, NULL, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "agent 'a9': project 'p1' belongs to app 'hr', not 'sales'");
		protobuf_c_message_free_unpacked(o, NULL);
	}
	pol_model_free(m);
}

static void test_swap_remove(void **state)
{
	struct pol_model *m = model_of(parse(FIXED));
	struct pol_edit e;
	int32_t a4;

	(void)state;
	/* a1 (index 0) goes, a5 (last, index 4) takes its place. */
	assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, NULL, "a1", &e), 0);
	assert_int_equal(e.kind, POL_KIND_AGENT);
	assert_int_equal(e.idx, -1);
	assert_int_equal(e.old_idx, 0);
	assert_int_equal(e.moved_from, 4);
	assert_int_equal(e.old_ref.project, pol_model_find(m, POL_KIND_PROJECT, "p0"));
	assert_int_equal(pol_model_find(m, POL_KIND_AGENT, "a5"), 0);
	assert_int_equal(pol_model_find(m, POL_KIND_AGENT, "a1"), -1);
	assert_int_equal(m->agent[0].project, pol_model_find(m, POL_KIND_PROJECT, "p2"));
	assert_int_equal(pol_model_count(m, POL_KIND_AGENT), 4);
	/* The last one goes: nothing moves. */
	assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, NULL, "a4", &e), 0);
	assert_int_equal(e.old_idx, 3);
	assert_int_equal(e.moved_from, -1);
	/* p0 is free now; p2 (last) moves into index 0 and a5's reference follows. */
	assert_int_equal(pol_model_edit(m, POL_KIND_PROJECT, NULL, "p0", &e), 0);
	assert_int_equal(e.old_idx, 0);
	assert_int_equal(e.moved_from, 2);
	assert_int_equal(pol_model_find(m, POL_KIND_PROJECT, "p2"), 0);
	assert_int_equal(m->agent[pol_model_find(m, POL_KIND_AGENT, "a5")].project, 0);
	assert_int_equal(m->agent[pol_model_find(m, POL_KIND_AGENT, "a3")].project, 1);
	/* An update keeps the index and reports the old references. */
	{
		ProtobufCMessage *o = parse_obj(&slimbridge__control__v1__agent__descriptor,
						"{id: a3, app: hr, team: tm0}");

		a4 = pol_model_find(m, POL_KIND_AGENT, "a3");
		assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, o, NULL, &e), 0);
		assert_int_equal(e.idx, a4);
		assert_int_equal(e.old_idx, a4);
		assert_int_equal(e.old_ref.project, 1);
		assert_int_equal(e.old_ref.team, pol_model_find(m, POL_KIND_TEAM, "tm1"));
		assert_int_equal(m->agent[a4].project, -1);
		assert_int_equal(m->agent[a4].team, pol_model_find(m, POL_KIND_TEAM, "tm0"));
		protobuf_c_message_free_unpacked(o, NULL);
	}
	pol_model_free(m);
}

static void test_missing(void **state)
{
	struct pol_model *m = model_of(parse(FIXED));
	struct pol_edit e;
	char err[256];

	(void)state;
	for (int k = 0; k < POL_KIND_MAX; k++) {
		assert_int_equal(pol_model_edit_check(m, (enum pol_kind)k, NULL, "nope", err, sizeof(err)),
				 -ENOENT);
		assert_int_equal(pol_model_edit(m, (enum pol_kind)k, NULL, "nope", &e), -ENOENT);
		assert_int_equal(pol_model_edit_check(m, (enum pol_kind)k, NULL, NULL, err, sizeof(err)),
				 -ENOENT);
	}
	assert_int_equal(pol_model_count(m, POL_KIND_AGENT), 5);
	pol_model_free(m);
}

/* Every allocation of an edit fails in turn: -ENOMEM, and the model is as it was. */
static void test_enomem(void **state)
{
	static const char *const objs[] = {
		"{id: a9, app: hr, project: p1}",	/* create: arrays and id map grow */
		"{id: a2, app: sales, project: p2}",	/* update */
	};

	(void)state;
	for (size_t o = 0; o < sizeof(objs) / sizeof(objs[0]); o++) {
		unsigned failures = 0;

		for (long at = 0;; at++) {
			struct pol_model *m = model_of(parse(FIXED8));
			struct pol_model *r = model_of(parse(FIXED8));
			ProtobufCMessage *a = parse_obj(&slimbridge__control__v1__agent__descriptor, objs[o]);
			struct pol_edit e;
			int rc;

			countdown = at;
			rc = pol_model_edit(m, POL_KIND_AGENT, a, NULL, &e);
			countdown = -1;
			if (rc == 0) {
				assert_int_equal(pol_model_edit(r, POL_KIND_AGENT, a, NULL, &e), 0);
				same_model(m, r);
			} else {
				assert_int_equal(rc, -ENOMEM);
				failures++;
				same_model(m, r);
				/* And it still works afterwards. */
				assert_int_equal(pol_model_edit(m, POL_KIND_AGENT, a, NULL, &e), 0);
				assert_int_equal(pol_model_edit(r, POL_KIND_AGENT, a, NULL, &e), 0);
				same_model(m, r);
			}
			protobuf_c_message_free_unpacked(a, NULL);
			pol_model_free(m);
			pol_model_free(r);
			if (rc == 0) {
				break;
			}
		}
		print_message("%s: %u allocation failures, each left the model unchanged\n", objs[o],
			      failures);
		/* A creation: the copy, both arrays, the id map; an update: the copy. */
		assert_int_equal(failures, o == 0 ? 4u : 1u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edits_match_rebuild),
		cmocka_unit_test(test_agent_churn),
		cmocka_unit_test(test_delete_in_use),
		cmocka_unit_test(test_swap_remove),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
