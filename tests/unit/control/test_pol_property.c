/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pol_property.c - the compiled tables against the reference evaluator:
 * random policies (tenants local and not, kill switches, allowed and blocked
 * organisations with wildcards, projects, teams, agents lists, namespaces,
 * callers, targets, trust relationships in every state), random queries in
 * every direction, and policy_decide_burst must give exactly the reference's
 * allowed / level / reason / required for each. 10,000 policies by default
 * (SB_POL_PROPERTY_N overrides), seeded (SB_POL_PROPERTY_SEED) and printed
 * on failure so a case can be replayed.
 *
 * The same for patches: random single changes (agents created, updated,
 * moved and deleted, projects', teams', trusts' and tenants' settings)
 * applied in place to the model and patched into the compiled image.
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

#define POL_TEST_SHORT_NAMES
#include "pol_testlib.h"

static void *zalloc(size_t n)
{
	void *p = calloc(1, n);

	assert_non_null(p);
	return p;
}

#define NEW(T, init) ({ T *x_ = zalloc(sizeof(T)); init(x_); x_; })

struct gen {
	unsigned nt, na, nag;
	unsigned app_tenant[16];
	char *agent_ids[64];
};

static void gen_free(struct gen *g)
{
	for (unsigned i = 0; i < g->nag; i++) {
		free(g->agent_ids[i]);
	}
	g->nag = 0;
}

static const char *pattern(const struct gen *g)
{
	static char buf[64];

	switch (rnd(10)) {
	case 0:
		return "*";
	case 1:
		return "internal:*";
	case 2:
		return "external:*";
	case 3:
		return "external:t*";
	case 4:
		snprintf(buf, sizeof(buf), "internal:t%ua*", rnd(g->nt));
		return buf;
	case 5:
		return "external:ghost";
	case 6:
	case 7:
		snprintf(buf, sizeof(buf), "external:t%u", rnd(g->nt));
		return buf;
	default: {
		unsigned a = rnd(g->na);

		snprintf(buf, sizeof(buf), "internal:t%ua%u", g->app_tenant[a], a);
		return buf;
	}
	}
}

static char **perms(size_t *n)
{
	char **p;

	switch (rnd(4)) {
	case 0:
		*n = 0;
		return NULL;
	case 1:
		*n = 1;
		p = zalloc(sizeof(char *));
		p[0] = strdup("task");
		return p;
	case 2:
		*n = 1;
		p = zalloc(sizeof(char *));
		p[0] = strdup("query");
		return p;
	default:
		*n = 2;
		p = zalloc(2 * sizeof(char *));
		p[0] = strdup("query");
		p[1] = strdup("task");
		return p;
	}
}

static char **agent_list(const struct gen *g, size_t *n)
{
	char **l;

	*n = chance(35) ? 1 + rnd(3) : 0;
	if (*n == 0) {
		return NULL;
	}
	l = zalloc(*n * sizeof(char *));
	for (size_t i = 0; i < *n; i++) {
		l[i] = chance(90) ? strdup(g->agent_ids[rnd(g->nag)]) : strdup("agent_elsewhere");
	}
	return l;
}

static Slimbridge__Control__V1__ScopeSlimConfig *scope(const struct gen *g, unsigned rules_max)
{
	Slimbridge__Control__V1__ScopeSlimConfig *sc =
		NEW(Slimbridge__Control__V1__ScopeSlimConfig,
		    slimbridge__control__v1__scope_slim_config__init);

	sc->has_enabled = chance(95);
	sc->enabled = sc->has_enabled && chance(90);
	sc->n_allowedorganizations = rnd(rules_max + 1);
	sc->allowedorganizations = zalloc((sc->n_allowedorganizations + 1) * sizeof(void *));
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		pb_orgrule *r = NEW(pb_orgrule, slimbridge__control__v1__org_rule__init);

		r->organization = strdup(pattern(g));
		r->agents = agent_list(g, &r->n_agents);
		r->permissions = perms(&r->n_permissions);
		sc->allowedorganizations[i] = r;
	}
	return sc;
}

/* An agent |id| of app |a| with random references and settings (projects and teams of |p|). */
static pb_agent *random_agent(const struct gen *g, const pb_policy *p, unsigned a, const char *id)
{
	pb_agent *x = NEW(pb_agent, slimbridge__control__v1__agent__init);
	unsigned cands[64], nc = 0;

	x->id = strdup(id);
	x->app = strdup(p->apps[a]->id);
	for (unsigned j = 0; j < p->n_projects && nc < 64; j++) {
		if (strcmp(p->projects[j]->app, x->app) == 0) {
			cands[nc++] = j;
		}
	}
	if (nc > 0 && chance(90)) {
		x->project = strdup(p->projects[cands[rnd(nc)]]->id);
	}
	nc = 0;
	for (unsigned j = 0; j < p->n_teams && nc < 64; j++) {
		if (strcmp(p->teams[j]->app, x->app) == 0) {
			cands[nc++] = j;
		}
	}
	if (nc > 0 && chance(60)) {
		x->team = strdup(p->teams[cands[rnd(nc)]]->id);
	}
	if (chance(70)) {
		x->namespace_ = sdup("ns%u", rnd(2));
	}
	if (chance(92)) {
		Slimbridge__Control__V1__AgentSlimConfig *sc =
			NEW(Slimbridge__Control__V1__AgentSlimConfig,
			    slimbridge__control__v1__agent_slim_config__init);

		sc->has_enabled = 1;
		sc->enabled = chance(90);
		sc->has_outbound = chance(90);
		sc->outbound = sc->has_outbound && chance(80);
		sc->has_inbound = chance(90);
		sc->inbound = sc->has_inbound && chance(80);
		sc->n_allowedcallers = chance(40) ? 1 + rnd(2) : 0;
		sc->allowedcallers = zalloc((sc->n_allowedcallers + 1) * sizeof(void *));
		for (size_t i = 0; i < sc->n_allowedcallers; i++) {
			Slimbridge__Control__V1__CallerRule *c =
				NEW(Slimbridge__Control__V1__CallerRule,
				    slimbridge__control__v1__caller_rule__init);

			c->organization = strdup(pattern(g));
			c->permissions = perms(&c->n_permissions);
			sc->allowedcallers[i] = c;
		}
		sc->n_allowedtargets = chance(40) ? 1 + rnd(2) : 0;
		sc->allowedtargets = zalloc((sc->n_allowedtargets + 1) * sizeof(void *));
		for (size_t i = 0; i < sc->n_allowedtargets; i++) {
			Slimbridge__Control__V1__TargetRule *t =
				NEW(Slimbridge__Control__V1__TargetRule,
				    slimbridge__control__v1__target_rule__init);
			unsigned ns = rnd(4);

			t->organization = strdup(pattern(g));
			t->namespace_ = ns == 0 ? NULL : ns == 1 ? strdup("*") :
					sdup("ns%u", ns - 2);
			t->agents = agent_list(g, &t->n_agents);
			sc->allowedtargets[i] = t;
		}
		x->slimconfig = sc;
	}
	return x;
}

static pb_policy *random_policy(struct gen *g)
{
	pb_policy *p = NEW(pb_policy, slimbridge__control__v1__policy__init);
	unsigned np = 0, nteam = 0;

	g->nt = 1 + rnd(4);
	g->na = 0;
	g->nag = 0;
	p->n_tenants = g->nt;
	p->tenants = zalloc(g->nt * sizeof(void *));
	for (unsigned t = 0; t < g->nt; t++) {
		pb_tenant *x = NEW(pb_tenant, slimbridge__control__v1__tenant__init);

		x->id = sdup("t%u", t);
		x->trustdomain = sdup("t%u.example", t);
		if (chance(25)) {
			x->has_local = 1;
			x->local = 0;
		}
		if (chance(90)) {
			Slimbridge__Control__V1__TenantSlim *s = NEW(Slimbridge__Control__V1__TenantSlim,
				slimbridge__control__v1__tenant_slim__init);

			x->settings = NEW(Slimbridge__Control__V1__TenantSettings,
					  slimbridge__control__v1__tenant_settings__init);
			x->settings->slim = s;
			s->has_capabilityenabled = 1;
			s->capabilityenabled = chance(85);
			p->tenants[t] = x;
		}
		p->tenants[t] = x;
		for (unsigned k = 1 + rnd(3); k > 0 && g->na < 16; k--) {
			g->app_tenant[g->na++] = t;
		}
	}
	p->n_apps = g->na;
	p->apps = zalloc(g->na * sizeof(void *));
	for (unsigned a = 0; a < g->na; a++) {
		pb_app *x = NEW(pb_app, slimbridge__control__v1__app__init);

		x->id = sdup("t%ua%u", g->app_tenant[a], a);
		x->tenant = sdup("t%u", g->app_tenant[a]);
		p->apps[a] = x;
	}
	/* Agent ids first: rules refer to them. */
	for (unsigned a = 0; a < g->na; a++) {
		for (unsigned k = 1 + rnd(4); k > 0 && g->nag < 64; k--) {
			g->agent_ids[g->nag] = sdup("ag%u", g->nag);
			g->nag++;
		}
	}
	/* Tenant settings that name organisations. */
	for (unsigned t = 0; t < g->nt; t++) {
		Slimbridge__Control__V1__TenantSlim *s =
			p->tenants[t]->settings != NULL ? p->tenants[t]->settings->slim : NULL;

		if (s == NULL) {
			continue;
		}
		if (chance(50)) {
			s->n_allowedorganizations = 1 + rnd(3);
			s->allowedorganizations = zalloc(s->n_allowedorganizations * sizeof(char *));
			for (size_t i = 0; i < s->n_allowedorganizations; i++) {
				s->allowedorganizations[i] = strdup(pattern(g));
			}
		}
		if (chance(30)) {
			s->n_blockedorganizations = 1;
			s->blockedorganizations = zalloc(sizeof(char *));
			s->blockedorganizations[0] = strdup(pattern(g));
		}
	}
	p->projects = zalloc(32 * sizeof(void *));
	p->teams = zalloc(32 * sizeof(void *));
	for (unsigned a = 0; a < g->na; a++) {
		for (unsigned k = rnd(3); k > 0 && np < 32; k--) {
			pb_project *x = NEW(pb_project, slimbridge__control__v1__project__init);

			x->id = sdup("p%u", np);
			x->app = strdup(p->apps[a]->id);
			if (chance(90)) {
				x->slimconfig = scope(g, 3);
			}
			p->projects[np++] = x;
		}
		for (unsigned k = rnd(3); k > 0 && nteam < 32; k--) {
			pb_team *x = NEW(pb_team, slimbridge__control__v1__team__init);

			x->id = sdup("tm%u", nteam);
			x->app = strdup(p->apps[a]->id);
			if (chance(50)) {
				x->slimconfig = scope(g, 2);
			}
			p->teams[nteam++] = x;
		}
	}
	p->n_projects = np;
	p->n_teams = nteam;
	p->n_agents = g->nag;
	p->agents = zalloc(g->nag * sizeof(void *));
	{
		unsigned ag = 0;

		for (unsigned a = 0; a < g->na && ag < g->nag; a++) {
			unsigned per = g->nag / g->na + (a < g->nag % g->na ? 1 : 0);

			for (unsigned k = 0; k < per && ag < g->nag; k++, ag++) {
				pb_agent *x = random_agent(g, p, a, g->agent_ids[ag]);

				p->agents[ag] = x;
			}
		}
	}
	/* Trust relationships in every state, to real and unknown tenants. */
	p->trustrelationships = zalloc(16 * sizeof(void *));
	for (unsigned t = 0; t < g->nt; t++) {
		for (unsigned o = 0; o <= g->nt; o++) {
			static const char *const states[] = {"established", "established", "pending",
							     "suspended", "revoked", NULL};
			pb_trust *x;

			if (o == t || !chance(55) || p->n_trustrelationships >= 16) {
				continue;
			}
			x = NEW(pb_trust, slimbridge__control__v1__trust_relationship__init);
			x->id = sdup("tr%zu", p->n_trustrelationships);
			x->tenant = sdup("t%u", t);
			x->organization = o == g->nt ? strdup("external:ghost") : sdup("external:t%u", o);
			x->state = states[rnd(6)] != NULL ? strdup(states[rnd(5)]) : NULL;
			p->trustrelationships[p->n_trustrelationships++] = x;
		}
	}
	return p;
}

static void check_one(const struct pol_model *m, const struct policy_view *v,
		      const struct gen *g, uint64_t seed, unsigned iter)
{
	enum { NQ = 24 };
	struct policy_query q[NQ];
	struct policy_verdict got[NQ], want[NQ];
	const char *src[NQ], *dst[NQ];

	for (unsigned i = 0; i < NQ; i++) {
		src[i] = chance(97) ? g->agent_ids[rnd(g->nag)] : "agent_unknown";
		dst[i] = g->agent_ids[rnd(g->nag)];
		pol_test_query(m, src[i], dst[i], rnd(3), rnd(2), &q[i]);
		pol_test_reference(m, src[i], dst[i], q[i].dir, q[i].op, &want[i]);
	}
	policy_decide_burst(v, q, NQ, got);
	for (unsigned i = 0; i < NQ; i++) {
		if (got[i].allowed != want[i].allowed || got[i].required != want[i].required ||
		    (!want[i].allowed && (got[i].level != want[i].level ||
					  got[i].reason != want[i].reason))) {
			fail_msg("seed %llu policy %u: %s -> %s dir %u op %u: compiled %s/%s/%s, "
				 "reference %s/%s/%s",
				 (unsigned long long)seed, iter, src[i], dst[i], q[i].dir, q[i].op,
				 got[i].allowed ? "allowed" : "denied", policy_level_name(got[i].level),
				 policy_reason_text(got[i].reason),
				 want[i].allowed ? "allowed" : "denied", policy_level_name(want[i].level),
				 policy_reason_text(want[i].reason));
		}
	}
}

static void test_compiled_equals_reference(void **state)
{
	const char *env_n = getenv("SB_POL_PROPERTY_N");
	const char *env_seed = getenv("SB_POL_PROPERTY_SEED");
	unsigned n = env_n != NULL ? (unsigned)strtoul(env_n, NULL, 10) : 10000;
	uint64_t seed = env_seed != NULL ? strtoull(env_seed, NULL, 10) : 0x5eed5eedULL;
	unsigned allowed = 0, denied = 0;

	(void)state;
	for (unsigned iter = 0; iter < n; iter++) {
		struct gen g;
		pb_policy *p;
		struct pol_model *m;
		struct pol_image img;
		struct sb_shm_snapshot *snap;
		struct policy_view v;
		const char *why = NULL;
		char err[256];

		rng = seed + iter * 0x9e3779b97f4a7c15ULL + 1;
		p = random_policy(&g);
		m = pol_model_new(p, err, sizeof(err));
		if (m == NULL) {
			fail_msg("seed %llu policy %u: generated policy invalid: %s",
				 (unsigned long long)seed, iter, err);
		}
		assert_int_equal(pol_compile(m, iter + 1, &img, err, sizeof(err)), 0);
		snap = pol_test_snapshot(&img);
		assert_int_equal(policy_view_init(&v, snap, &why), 0);
		for (unsigned round = 0; round < 4; round++) {
			check_one(m, &v, &g, seed, iter);
		}
		/* Count outcomes so the test shows it exercised both. */
		{
			struct policy_query q;
			struct policy_verdict o;

			pol_test_query(m, g.agent_ids[0], g.agent_ids[g.nag - 1], POLICY_MESSAGE, 0, &q);
			policy_decide_burst(&v, &q, 1, &o);
			if (o.allowed) {
				allowed++;
			} else {
				denied++;
			}
		}
		free(snap);
		pol_image_cleanup(&img);
		pol_model_free(m);
		gen_free(&g);
	}
	print_message("%u policies x 96 queries: sample message decisions %u allowed, %u denied\n", n,
		      allowed, denied);
	assert_true(allowed > n / 100);
	assert_true(denied > n / 100);
}

/* ---------------------------------------------------------------- patches */

/* A deep copy of |msg| (what the tests edit; the model keeps its own objects). */
static ProtobufCMessage *copy_msg(const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = zalloc(n + 1);
	ProtobufCMessage *c;

	protobuf_c_message_pack(msg, buf);
	c = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
	assert_non_null(c);
	free(buf);
	return c;
}

/* The queries' agent ids: the model's agents now. */
static void refresh_ids(struct gen *g, const struct pol_model *m)
{
	gen_free(g);
	for (size_t i = 0; i < m->p->n_agents && g->nag < 64; i++) {
		g->agent_ids[g->nag++] = strdup(m->p->agents[i]->id);
	}
}

/*
 * One random single-object change of the kinds the control process patches
 * in place: |*obj| (NULL: delete |id|).
 */
static enum pol_kind random_edit(const struct gen *g, const struct pol_model *m, unsigned serial,
				 ProtobufCMessage **obj, char *id, size_t idlen)
{
	const pb_policy *p = m->p;

	*obj = NULL;
	for (;;) {
		switch (rnd(9)) {
		case 0:
		case 1: {	/* agent update: new settings, maybe another app */
			const pb_agent *a = p->agents[rnd((uint32_t)p->n_agents)];
			int32_t app = chance(70) ? pol_model_find(m, POL_KIND_APP, a->app) :
						   (int32_t)rnd((uint32_t)p->n_apps);

			snprintf(id, idlen, "%s", a->id);
			*obj = &random_agent(g, p, (unsigned)app, id)->base;
			return POL_KIND_AGENT;
		}
		case 2:
			if (p->n_agents >= 60) {
				continue;
			}
			snprintf(id, idlen, "new%u", serial);
			*obj = &random_agent(g, p, rnd((uint32_t)p->n_apps), id)->base;
			return POL_KIND_AGENT;
		case 3:
			if (p->n_agents <= 2) {
				continue;
			}
			snprintf(id, idlen, "%s", p->agents[rnd((uint32_t)p->n_agents)]->id);
			return POL_KIND_AGENT;
		case 4:
		case 5: {
			bool project = rnd(2) == 0;
			size_t n = project ? p->n_projects : p->n_teams;
			pb_scope **sc;

			if (n == 0) {
				continue;
			}
			if (project) {
				pb_project *x = (pb_project *)copy_msg(&p->projects[rnd((uint32_t)n)]->base);

				sc = &x->slimconfig;
				*obj = &x->base;
				snprintf(id, idlen, "%s", x->id);
			} else {
				pb_team *x = (pb_team *)copy_msg(&p->teams[rnd((uint32_t)n)]->base);

				sc = &x->slimconfig;
				*obj = &x->base;
				snprintf(id, idlen, "%s", x->id);
			}
			if (*sc != NULL) {
				protobuf_c_message_free_unpacked(&(*sc)->base, NULL);
			}
			*sc = chance(85) ? scope(g, project ? 3 : 2) : NULL;
			return project ? POL_KIND_PROJECT : POL_KIND_TEAM;
		}
		case 6: {
			static const char *const states[] = {"established", "pending", "suspended",
							     "revoked"};
			pb_trust *x;

			if (p->n_trustrelationships == 0) {
				continue;
			}
			x = (pb_trust *)copy_msg(&p->trustrelationships[rnd((uint32_t)p->n_trustrelationships)]->base);
			free(x->state);
			x->state = strdup(states[rnd(4)]);
			snprintf(id, idlen, "%s", x->id);
			*obj = &x->base;
			return POL_KIND_TRUST;
		}
		default: {	/* the kill switch */
			pb_tenant *x = (pb_tenant *)copy_msg(&p->tenants[rnd((uint32_t)p->n_tenants)]->base);

			if (x->settings != NULL && x->settings->slim != NULL) {
				x->settings->slim->has_capabilityenabled = 1;
				x->settings->slim->capabilityenabled = !x->settings->slim->capabilityenabled;
			}
			snprintf(id, idlen, "%s", x->id);
			*obj = &x->base;
			return POL_KIND_TENANT;
		}
		}
	}
}

/*
 * Single changes patched into a compiled image decide exactly like the
 * reference evaluator on the changed model, and leave the same number of
 * rows and pairs as a full compile of it (nothing stale is left behind).
 */
static void test_patched_equals_reference(void **state)
{
	const char *env_n = getenv("SB_POL_PROPERTY_N");
	const char *env_seed = getenv("SB_POL_PROPERTY_SEED");
	unsigned n = env_n != NULL ? (unsigned)strtoul(env_n, NULL, 10) / 5 : 2000;
	uint64_t seed = env_seed != NULL ? strtoull(env_seed, NULL, 10) : 0xde17a5eedULL;
	unsigned patched = 0, rebuilt = 0, refused = 0, by_kind[POL_KIND_MAX] = {0};

	(void)state;
	for (unsigned iter = 0; iter < n; iter++) {
		struct gen g;
		struct pol_model *m;
		struct pol_db *db;
		char err[256];

		rng = seed + iter * 0x9e3779b97f4a7c15ULL + 1;
		m = pol_model_new(random_policy(&g), err, sizeof(err));
		assert_non_null(m);
		assert_int_equal(pol_db_new(m, 1, &db, err, sizeof(err)), 0);
		for (unsigned step = 0; step < 8; step++) {
			ProtobufCMessage *obj;
			char id[64];
			enum pol_kind k = random_edit(&g, m, step, &obj, id, sizeof(id));
			struct pol_edit e;
			struct pol_image fresh;
			struct sb_shm_snapshot *snap;
			struct policy_view v;
			const char *why = NULL;
			int rc = pol_model_edit_check(m, k, obj, id, err, sizeof(err));

			if (rc < 0) {
				assert_true(rc == -EINVAL || rc == -EAGAIN);
				refused++;
				if (obj != NULL) {
					protobuf_c_message_free_unpacked(obj, NULL);
				}
				continue;
			}
			assert_int_equal(pol_model_edit(m, k, obj, id, &e), 0);
			if (obj != NULL) {
				protobuf_c_message_free_unpacked(obj, NULL);
			}
			rc = pol_db_patch(db, m, &e, 1, step + 2);
			if (rc == -EAGAIN) {
				pol_db_free(db);
				assert_int_equal(pol_db_new(m, step + 2, &db, err, sizeof(err)), 0);
				rebuilt++;
			} else {
				assert_int_equal(rc, 0);
				patched++;
				by_kind[k]++;
			}
			refresh_ids(&g, m);
			snap = pol_test_snapshot(pol_db_image(db));
			if (policy_view_init(&v, snap, &why) != 0) {
				fail_msg("seed %llu policy %u step %u: patched snapshot refused: %s",
					 (unsigned long long)seed, iter, step, why);
			}
			for (unsigned round = 0; round < 4; round++) {
				check_one(m, &v, &g, seed, iter * 100 + step);
			}
			assert_int_equal(pol_compile(m, 1, &fresh, err, sizeof(err)), 0);
			if (fresh.nb_rows != pol_db_image(db)->nb_rows ||
			    fresh.nb_pairs != pol_db_image(db)->nb_pairs) {
				fail_msg("seed %llu policy %u step %u (%s %s): patched %u rows %u pairs, full compile %u rows %u pairs",
					 (unsigned long long)seed, iter, step, pol_kind_name(k), id,
					 pol_db_image(db)->nb_rows, pol_db_image(db)->nb_pairs,
					 fresh.nb_rows, fresh.nb_pairs);
			}
			pol_image_cleanup(&fresh);
			free(snap);
		}
		pol_db_free(db);
		pol_model_free(m);
		gen_free(&g);
	}
	print_message("%u policies x 8 changes: %u patched (agent %u, project %u, team %u, trust %u, tenant %u), %u compiled in full, %u refused\n",
		      n, patched, by_kind[POL_KIND_AGENT], by_kind[POL_KIND_PROJECT],
		      by_kind[POL_KIND_TEAM], by_kind[POL_KIND_TRUST], by_kind[POL_KIND_TENANT],
		      rebuilt, refused);
	assert_true(patched > n * 4);
	assert_true(by_kind[POL_KIND_AGENT] > n && by_kind[POL_KIND_PROJECT] > n / 10 &&
		    by_kind[POL_KIND_TRUST] > n / 10 && by_kind[POL_KIND_TENANT] > n / 10);
}

/* A corrupted snapshot is refused, never used. */
static void test_corrupt_snapshot_refused(void **state)
{
	struct gen g;
	pb_policy *p;
	struct pol_model *m;
	struct pol_image img;
	struct sb_shm_snapshot *snap;
	struct policy_view v;
	const char *why = NULL;
	char err[256];

	(void)state;
	rng = 42;
	p = random_policy(&g);
	m = pol_model_new(p, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(pol_compile(m, 7, &img, err, sizeof(err)), 0);
	snap = pol_test_snapshot(&img);
	assert_int_equal(policy_view_init(&v, snap, &why), 0);
	assert_int_equal(v.version, 7);
	/* One flipped bit anywhere in the tables: the checksum catches it. */
	for (uint32_t i = 1; i < snap->nb_tables; i++) {
		uint8_t *b = (uint8_t *)snap + snap->tables[i].offset;

		if (snap->tables[i].size == 0) {
			continue;
		}
		b[snap->tables[i].size / 2] ^= 0x10;
		assert_int_equal(policy_view_init(&v, snap, &why), -EINVAL);
		assert_string_equal(why, "policy snapshot: checksum mismatch");
		b[snap->tables[i].size / 2] ^= 0x10;
	}
	/* A missing table. */
	snap->tables[3].kind = 99;
	assert_int_equal(policy_view_init(&v, snap, &why), -EINVAL);
	free(snap);
	pol_image_cleanup(&img);
	pol_model_free(m);
	gen_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compiled_equals_reference),
		cmocka_unit_test(test_patched_equals_reference),
		cmocka_unit_test(test_corrupt_snapshot_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
