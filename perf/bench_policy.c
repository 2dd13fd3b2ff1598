/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-policy: TSC cycles per permission decision (policy_decide_burst,
 * dataplane/policy/policy.h) on the compiled snapshot of a large synthetic
 * policy, next to rte_hash_lookup_bulk of the same two SLIM names in the
 * same run. Prints; it asserts nothing.
 *
 * The policy has an operator's shape. --tenants local tenants, each with
 * --apps / --tenants apps; every app has two projects and two teams, and its
 * agents (slimConfig enabled for 97 %, outbound 91 %, inbound 92 %) are
 * spread over them. A project allows the two neighbouring apps and the
 * next one (query only), three of its tenant's partners (A through an
 * agents: list: conditional rows, pair entries; B for any agent; C for
 * task only) and, for the first project of an app, the two sister tenants
 * (local tenants in a ring, which trust each other); one project in four
 * adds internal:{tenant}-*, one in 19 is disabled. The second team of an
 * app narrows to a list; one agent in eight has allowedTargets (one of
 * them decided by a namespace: pairs again), one in eight allowedCallers.
 * Some tenants block a partner, some allow only their own apps and sister
 * tenants, one in 37 has its kill switch off. Partners are tenants with
 * local: false, each trusted by one local tenant (90 % established, the
 * rest suspended, revoked or pending); one in ten has an app with two
 * agents. No rule names "*" with an agents: list or a prefix matching
 * thousands of organisations: the compiler would then pair every agent
 * with every peer (see docs/testing.md).
 *
 * The policy is built as protobuf-c structs, validated (pol_model_new),
 * compiled (pol_compile), laid out as a snapshot in shared 4 KiB pages like
 * the /dev/shm object the data plane maps, and accepted with
 * policy_view_init; each phase is timed and the tables' sizes printed.
 * Then single changes: one agent's slimConfig.outbound toggled, applied to
 * the model in place (pol_model_edit) and patched into the compiled image
 * (pol_db_patch), the image copied into a slot and accepted again, each
 * step timed (what the control process and the data plane do per push,
 * without the API and the store), beside the full compile.
 *
 * Queries are POLICY_MESSAGE between agents of that policy (same app,
 * neighbouring and other apps, partners both ways, sister tenants, a few
 * unknown names), precomputed, decided in bursts of --burst. The anchor is
 * an rte_hash with the capacity of the policy's agent table holding every
 * agent's 24-byte name, looked up with two rte_hash_lookup_bulk calls per
 * 32 queries (sources, destinations): the floor for finding both agents.
 * The two alternate sample by sample on the same queries, so that load on
 * the other vCPU of a shared machine moves both alike. Three cases: a
 * small hot policy (--hot-agents), the large policy with --queries queries
 * (the agents they touch fit in the last-level cache) and with
 * --cold-queries queries (they do not).
 *
 * Usage: bench-policy [--agents N] [--trusts N] [--apps N] [--tenants N] [--burst N]
 *                     [--seconds S] [--queries N] [--cold-queries N] [--hot-agents N]
 *                     [--thp] [--quick]
 * EAL runs with --no-huge so that rte_hash sits on 4 KiB pages like the
 * snapshot (shm_reader maps /dev/shm, which has no huge pages); --thp puts
 * the snapshot on 2 MiB pages to show what the TLB misses cost.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/resource.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_lcore.h>

#include "pol_compile.h"
#include "pol_model.h"
#include "policy.h"

#define SAMPLE 2048		/* queries per timed sample: most fit between two preemptions */
#define WARM 65536		/* queries decided untimed first */
#define MAX_SAMPLES (1u << 20)
#define HASH_BULK 32		/* keys per rte_hash_lookup_bulk call */

struct params {
	uint32_t agents, trusts, apps, tenants;
};

/* ---------------------------------------------------------------- small helpers */

static char run_dir[96];	/* EAL's /var/run/dpdk/<prefix> (--no-shconf leaves it empty) */

static void remove_run_dir(void)
{
	if (run_dir[0] != '\0') {
		rmdir(run_dir);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)((rnd64() >> 32) * n >> 32);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n != 0 ? n : 1, sz);

	if (p == NULL) {
		fprintf(stderr, "bench-policy: out of memory\n");
		exit(1);
	}
	return p;
}

__attribute__((format(printf, 1, 2))) static char *sdup(const char *fmt, ...)
{
	char buf[160];
	char *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = strdup(buf);
	if (s == NULL) {
		fprintf(stderr, "bench-policy: out of memory\n");
		exit(1);
	}
	return s;
}

#define NEW(T, init) ({ T *x_ = xcalloc(1, sizeof(T)); init(x_); x_; })

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double peak_rss_gib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1048576.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* 1234567 -> "1,234,567" in one of eight rotating buffers. */
static const char *num(uint64_t n)
{
	static char buf[8][32];
	static unsigned k;
	char tmp[32], *o = buf[k++ & 7];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	int j = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			o[j++] = ',';
		}
		o[j++] = tmp[i];
	}
	o[j] = '\0';
	return o;
}

/* ---------------------------------------------------------------- the synthetic policy */

/*
 * What the generator decided and what the queries need. Local agents come
 * first, app by app; partner agents follow, two per partner with agents.
 * Partner p belongs to local tenant p % nt with rank p / nt; it has agents
 * when its rank is a multiple of |stride|.
 */
struct world {
	uint32_t nt, apt, na;		/* local tenants, apps per tenant, local apps */
	uint32_t npart, stride;		/* partner tenants; one in |stride| has agents */
	uint32_t nb_local, nb_agents;
	uint32_t nb_trusts, nb_projects, nb_teams;
	uint32_t *app_first;		/* [na + 1]: local agents of app a */
	uint32_t *agent_app;		/* per local agent */
	uint32_t *partner_agent;	/* per partner: its first agent, or UINT32_MAX */
	uint32_t (*proj_partner)[2];	/* per project: partners A and B it names, or UINT32_MAX */
	uint64_t (*comp)[3];		/* per agent: SLIM name components */
};

static void world_free(struct world *w)
{
	free(w->app_first);
	free(w->agent_app);
	free(w->partner_agent);
	free(w->proj_partner);
	free(w->comp);
	memset(w, 0, sizeof(*w));
}

static uint32_t partner_ranks(const struct world *w, uint32_t t)
{
	return t < w->npart ? (w->npart - t + w->nt - 1) / w->nt : 0;
}

/* Partners of tenant |t| that have agents: ranks 0, stride, 2 * stride, ... */
static uint32_t partners_with_agents(const struct world *w, uint32_t t)
{
	return (partner_ranks(w, t) + w->stride - 1) / w->stride;
}

static uint32_t partner_of(const struct world *w, uint32_t t, uint32_t rank)
{
	return rank * w->nt + t;
}

static char *app_id(const struct world *w, uint32_t a)
{
	return sdup("t%u-app%u", a / w->apt, a % w->apt);
}

/* App |a|'s neighbour |d| apps further in its tenant (wrapping). */
static uint32_t app_near(const struct world *w, uint32_t a, int d)
{
	uint32_t base = a - a % w->apt;

	return base + (uint32_t)(((int)(a % w->apt) + d + (int)w->apt * 4) % (int)w->apt);
}

static char **strv(size_t *n, size_t cnt, ...)
{
	char **v = xcalloc(cnt, sizeof(char *));
	va_list ap;

	va_start(ap, cnt);
	for (size_t i = 0; i < cnt; i++) {
		v[i] = strdup(va_arg(ap, const char *));
	}
	va_end(ap);
	*n = cnt;
	return v;
}

static pb_orgrule *org_rule(char *org, const char *agent, const char *perm)
{
	pb_orgrule *r = NEW(pb_orgrule, slimbridge__control__v1__org_rule__init);

	r->organization = org;
	if (agent != NULL) {
		r->agents = strv(&r->n_agents, 1, agent);
	}
	if (perm != NULL) {
		r->permissions = strv(&r->n_permissions, 1, perm);
	}
	return r;
}

static void scope_add(pb_scope *sc, pb_orgrule *r)
{
	sc->allowedorganizations[sc->n_allowedorganizations++] = r;
}

/* Project |g| (two per app): neighbouring apps, the tenant's partners, sister tenants. */
static pb_project *gen_project(struct world *w, uint32_t g)
{
	uint32_t a = g / 2, k = g % 2, t = a / w->apt, jl = (a % w->apt) * 2 + k;
	uint32_t kt = partners_with_agents(w, t), rt = partner_ranks(w, t);
	pb_project *x = NEW(pb_project, slimbridge__control__v1__project__init);
	pb_scope *sc = NEW(pb_scope, slimbridge__control__v1__scope_slim_config__init);
	char *app = app_id(w, a);

	x->id = sdup("%s-p%u", app, k);
	x->app = app;
	sc->has_enabled = 1;
	sc->enabled = g % 19 != 18;
	sc->allowedorganizations = xcalloc(10, sizeof(void *));
	w->proj_partner[g][0] = w->proj_partner[g][1] = UINT32_MAX;
	if (w->apt >= 2) {
		scope_add(sc, org_rule(sdup("internal:t%u-app%u", t, app_near(w, a, 1) % w->apt),
				       NULL, NULL));
	}
	if (w->apt >= 3) {
		scope_add(sc, org_rule(sdup("internal:t%u-app%u", t, app_near(w, a, -1) % w->apt),
				       NULL, NULL));
	}
	if (w->apt >= 4) {
		scope_add(sc, org_rule(sdup("internal:t%u-app%u", t, app_near(w, a, 2) % w->apt),
				       NULL, "query"));
	}
	if (kt > 0) {
		uint32_t pa = partner_of(w, t, w->stride * ((2 * jl) % kt));
		uint32_t pb = partner_of(w, t, w->stride * ((2 * jl + 1) % kt));
		uint32_t rc = w->stride * (jl % kt) + 1;
		char ag[32];

		/* A through an agents: list (conditional rows, pair entries), B for any agent. */
		snprintf(ag, sizeof(ag), "p%06u-ag0", pa);
		scope_add(sc, org_rule(sdup("external:p%06u", pa), ag, NULL));
		w->proj_partner[g][0] = pa;
		if (pb != pa) {
			scope_add(sc, org_rule(sdup("external:p%06u", pb), NULL, NULL));
			w->proj_partner[g][1] = pb;
		}
		if (rc < rt) {
			scope_add(sc, org_rule(sdup("external:p%06u", partner_of(w, t, rc)), NULL,
					       "task"));
		}
	}
	if (w->nt >= 2 && k == 0) {
		scope_add(sc, org_rule(sdup("external:t%u", (t + 1) % w->nt), NULL, NULL));
		if (w->nt >= 3) {
			scope_add(sc, org_rule(sdup("external:t%u", (t + w->nt - 1) % w->nt), NULL,
					       NULL));
		}
	}
	if (jl % 4 == 3) {
		scope_add(sc, org_rule(sdup("internal:t%u-*", t), NULL, "query"));
	}
	x->slimconfig = sc;
	return x;
}

/* Team |g|: the first of an app's two has no slimConfig, the second narrows to a list. */
static pb_team *gen_team(const struct world *w, uint32_t g)
{
	uint32_t a = g / 2, k = g % 2, t = a / w->apt;
	pb_team *x = NEW(pb_team, slimbridge__control__v1__team__init);
	pb_scope *sc;
	char *app = app_id(w, a);

	x->id = sdup("%s-team%u", app, k);
	x->app = app;
	if (k == 0) {
		return x;
	}
	sc = NEW(pb_scope, slimbridge__control__v1__scope_slim_config__init);
	sc->has_enabled = 1;
	sc->enabled = a % 10 != 9;
	sc->allowedorganizations = xcalloc(8, sizeof(void *));
	scope_add(sc, org_rule(sdup("internal:t%u-*", t), NULL, NULL));
	for (uint32_t j = 0; j < 2; j++) {
		for (uint32_t s = 0; s < 2; s++) {
			if (w->proj_partner[a * 2 + j][s] != UINT32_MAX) {
				scope_add(sc, org_rule(sdup("external:p%06u",
							    w->proj_partner[a * 2 + j][s]),
						       NULL, NULL));
			}
		}
	}
	if (w->nt >= 2) {
		scope_add(sc, org_rule(sdup("external:t%u", (t + 1) % w->nt), NULL, NULL));
	}
	if (w->nt >= 3) {
		scope_add(sc, org_rule(sdup("external:t%u", (t + w->nt - 1) % w->nt), NULL, NULL));
	}
	x->slimconfig = sc;
	return x;
}

static pb_agent *gen_local_agent(const struct world *w, uint32_t i, uint32_t a)
{
	uint32_t k = i - w->app_first[a], t = a / w->apt;
	uint32_t proj = a * 2 + (k & 1), h = (uint32_t)(i * 2654435761u) >> 8;
	uint32_t pa = w->proj_partner[proj][0];
	pb_agent *x = NEW(pb_agent, slimbridge__control__v1__agent__init);
	Slimbridge__Control__V1__AgentSlimConfig *sc =
		NEW(Slimbridge__Control__V1__AgentSlimConfig,
		    slimbridge__control__v1__agent_slim_config__init);

	x->id = sdup("t%u-app%u-ag%u", t, a % w->apt, k);
	x->app = app_id(w, a);
	x->project = sdup("%s-p%u", x->app, k & 1);
	x->team = sdup("%s-team%u", x->app, (k >> 1) & 1);
	x->namespace_ = sdup("ns%u", i % 4);
	sc->has_enabled = sc->has_outbound = sc->has_inbound = 1;
	sc->enabled = h % 33 != 0;
	sc->outbound = h % 11 != 0;
	sc->inbound = h % 13 != 0;
	if (i % 8 == 3 && w->apt >= 2) {
		Slimbridge__Control__V1__TargetRule *r;

		sc->allowedtargets = xcalloc(2, sizeof(void *));
		r = NEW(Slimbridge__Control__V1__TargetRule,
			slimbridge__control__v1__target_rule__init);
		r->organization = sdup("internal:t%u-app%u", t, app_near(w, a, 1) % w->apt);
		sc->allowedtargets[sc->n_allowedtargets++] = r;
		if (pa != UINT32_MAX) {
			/* A namespace decides: pair entries for the partner's two agents. */
			r = NEW(Slimbridge__Control__V1__TargetRule,
				slimbridge__control__v1__target_rule__init);
			r->organization = sdup("external:p%06u", pa);
			r->namespace_ = strdup("ns0");
			sc->allowedtargets[sc->n_allowedtargets++] = r;
		}
	}
	if (i % 8 == 5) {
		Slimbridge__Control__V1__CallerRule *r;

		sc->allowedcallers = xcalloc(3, sizeof(void *));
		if (w->apt >= 2) {
			r = NEW(Slimbridge__Control__V1__CallerRule,
				slimbridge__control__v1__caller_rule__init);
			r->organization =
				sdup("internal:t%u-app%u", t, app_near(w, a, -1) % w->apt);
			r->permissions = strv(&r->n_permissions, 1, "query");
			sc->allowedcallers[sc->n_allowedcallers++] = r;
		}
		if (pa != UINT32_MAX) {
			r = NEW(Slimbridge__Control__V1__CallerRule,
				slimbridge__control__v1__caller_rule__init);
			r->organization = sdup("external:p%06u", pa);
			sc->allowedcallers[sc->n_allowedcallers++] = r;
		}
		if (w->nt >= 2) {
			r = NEW(Slimbridge__Control__V1__CallerRule,
				slimbridge__control__v1__caller_rule__init);
			r->organization = sdup("external:t%u", (t + w->nt - 1) % w->nt);
			sc->allowedcallers[sc->n_allowedcallers++] = r;
		}
	}
	x->slimconfig = sc;
	return x;
}

static pb_tenant *gen_local_tenant(const struct world *w, uint32_t t)
{
	pb_tenant *x = NEW(pb_tenant, slimbridge__control__v1__tenant__init);
	Slimbridge__Control__V1__TenantSlim *s = NEW(Slimbridge__Control__V1__TenantSlim,
						     slimbridge__control__v1__tenant_slim__init);

	x->id = sdup("t%u", t);
	x->trustdomain = sdup("t%u.example", t);
	x->settings = NEW(Slimbridge__Control__V1__TenantSettings,
			  slimbridge__control__v1__tenant_settings__init);
	x->settings->slim = s;
	s->has_capabilityenabled = 1;
	s->capabilityenabled = t % 37 != 36;	/* a few kill switches */
	if (t % 4 == 1 && 2 < partner_ranks(w, t)) {
		s->blockedorganizations = xcalloc(1, sizeof(char *));
		s->blockedorganizations[s->n_blockedorganizations++] =
			sdup("external:p%06u", partner_of(w, t, 2));
	}
	if (t % 10 == 7 && w->nt >= 3) {
		/* Partners not approved yet: its apps and the sister tenants only. */
		s->allowedorganizations = xcalloc(3, sizeof(char *));
		s->allowedorganizations[s->n_allowedorganizations++] = sdup("internal:t%u-*", t);
		s->allowedorganizations[s->n_allowedorganizations++] =
			sdup("external:t%u", (t + 1) % w->nt);
		s->allowedorganizations[s->n_allowedorganizations++] =
			sdup("external:t%u", (t + w->nt - 1) % w->nt);
	}
	return x;
}

static pb_trust *gen_trust(uint32_t tenant, const char *org, const char *id, const char *state,
			   bool mls)
{
	pb_trust *x = NEW(pb_trust, slimbridge__control__v1__trust_relationship__init);

	x->id = strdup(id);
	x->tenant = sdup("t%u", tenant);
	x->organization = strdup(org);
	x->peertrustdomain = sdup("%s.example", org + 9);
	x->endpoint = sdup("%s.example:46357", org + 9);
	x->transport = strdup("grpc");
	x->has_mls = 1;
	x->mls = mls;
	x->state = strdup(state);
	return x;
}

/* Shape from |pr|; returns false with a message when it does not fit. */
static bool world_shape(struct world *w, const struct params *pr)
{
	uint32_t ring, pag = 0;

	memset(w, 0, sizeof(*w));
	w->nt = RTE_MAX(pr->tenants, 1u);
	ring = w->nt * ((w->nt >= 2) + (w->nt >= 3));
	w->npart = pr->trusts > ring ? pr->trusts - ring : 0;
	w->nb_trusts = w->npart + ring;
	/* One partner in ten has two agents, fewer if that would exceed a quarter of --agents. */
	for (w->stride = 10;; w->stride *= 2) {
		pag = 0;
		for (uint32_t t = 0; t < w->nt; t++) {
			pag += 2 * partners_with_agents(w, t);
		}
		if (pag <= pr->agents / 4 || w->stride > (1u << 30)) {
			break;
		}
	}
	if (pag >= pr->agents) {
		fprintf(stderr, "bench-policy: %u agents are too few for %u partners\n", pr->agents,
			w->npart);
		return false;
	}
	w->nb_agents = pr->agents;
	w->nb_local = pr->agents - pag;
	w->apt = RTE_MIN(pr->apps / w->nt, w->nb_local / w->nt);
	w->apt = RTE_MAX(w->apt, 1u);
	w->na = w->apt * w->nt;
	if (w->nb_local < w->na || w->nb_local == 0) {
		fprintf(stderr, "bench-policy: %u agents are too few for %u tenants\n", pr->agents,
			w->nt);
		return false;
	}
	w->nb_projects = w->nb_teams = 2 * w->na;
	return true;
}

/* Generates the policy (the caller owns it) and fills |w| for the queries. */
static pb_policy *gen_policy(struct world *w)
{
	pb_policy *p = NEW(pb_policy, slimbridge__control__v1__policy__init);
	uint64_t *app_hash, *tenant_hash;
	uint32_t ag;

	w->app_first = xcalloc(w->na + 1, sizeof(uint32_t));
	w->agent_app = xcalloc(w->nb_local, sizeof(uint32_t));
	w->partner_agent = xcalloc(w->npart, sizeof(uint32_t));
	w->proj_partner = xcalloc(w->nb_projects, sizeof(*w->proj_partner));
	w->comp = xcalloc(w->nb_agents, sizeof(*w->comp));
	for (uint32_t a = 0; a <= w->na; a++) {
		w->app_first[a] = (uint32_t)((uint64_t)a * w->nb_local / w->na);
	}

	/* Tenants: local, then partners (local: false). */
	p->tenants = xcalloc(w->nt + w->npart, sizeof(void *));
	for (uint32_t t = 0; t < w->nt; t++) {
		p->tenants[p->n_tenants++] = gen_local_tenant(w, t);
	}
	for (uint32_t i = 0; i < w->npart; i++) {
		pb_tenant *x = NEW(pb_tenant, slimbridge__control__v1__tenant__init);

		x->id = sdup("p%06u", i);
		x->trustdomain = sdup("p%06u.example", i);
		x->has_local = 1;
		x->local = 0;
		p->tenants[p->n_tenants++] = x;
	}

	/* Apps: local, then one per partner with agents. */
	ag = w->nb_local;
	p->apps = xcalloc(w->na + (w->nb_agents - w->nb_local) / 2, sizeof(void *));
	for (uint32_t a = 0; a < w->na; a++) {
		pb_app *x = NEW(pb_app, slimbridge__control__v1__app__init);

		x->id = app_id(w, a);
		x->tenant = sdup("t%u", a / w->apt);
		p->apps[p->n_apps++] = x;
	}
	for (uint32_t i = 0; i < w->npart; i++) {
		pb_app *x;

		w->partner_agent[i] = UINT32_MAX;
		if ((i / w->nt) % w->stride != 0) {
			continue;
		}
		x = NEW(pb_app, slimbridge__control__v1__app__init);
		x->id = sdup("p%06u-app", i);
		x->tenant = sdup("p%06u", i);
		p->apps[p->n_apps++] = x;
		w->partner_agent[i] = ag;
		ag += 2;
	}

	p->projects = xcalloc(w->nb_projects, sizeof(void *));
	for (uint32_t g = 0; g < w->nb_projects; g++) {
		p->projects[p->n_projects++] = gen_project(w, g);
	}
	p->teams = xcalloc(w->nb_teams, sizeof(void *));
	for (uint32_t g = 0; g < w->nb_teams; g++) {
		p->teams[p->n_teams++] = gen_team(w, g);
	}

	/* Agents, with their SLIM names. */
	tenant_hash = xcalloc(w->nt, sizeof(uint64_t));
	app_hash = xcalloc(w->na, sizeof(uint64_t));
	for (uint32_t t = 0; t < w->nt; t++) {
		tenant_hash[t] = pol_name_hash(p->tenants[t]->id);
	}
	for (uint32_t a = 0; a < w->na; a++) {
		app_hash[a] = pol_name_hash(p->apps[a]->id);
	}
	p->agents = xcalloc(w->nb_agents, sizeof(void *));
	for (uint32_t a = 0; a < w->na; a++) {
		for (uint32_t i = w->app_first[a]; i < w->app_first[a + 1]; i++) {
			pb_agent *x = gen_local_agent(w, i, a);

			w->agent_app[i] = a;
			w->comp[i][0] = tenant_hash[a / w->apt];
			w->comp[i][1] = app_hash[a];
			w->comp[i][2] = pol_name_hash(x->id);
			p->agents[p->n_agents++] = x;
		}
	}
	for (uint32_t i = 0; i < w->npart; i++) {
		if (w->partner_agent[i] == UINT32_MAX) {
			continue;
		}
		for (uint32_t k = 0; k < 2; k++) {
			pb_agent *x = NEW(pb_agent, slimbridge__control__v1__agent__init);
			uint32_t j = w->partner_agent[i] + k;

			x->id = sdup("p%06u-ag%u", i, k);
			x->app = sdup("p%06u-app", i);
			x->namespace_ = sdup("ns%u", k);
			w->comp[j][0] = pol_name_hash(p->tenants[w->nt + i]->id);
			w->comp[j][1] = pol_name_hash(x->app);
			w->comp[j][2] = pol_name_hash(x->id);
			p->agents[p->n_agents++] = x;
		}
	}
	free(tenant_hash);
	free(app_hash);

	/* Trusts: each partner from its tenant, and the local tenants in a ring both ways. */
	p->trustrelationships = xcalloc(w->nb_trusts, sizeof(void *));
	for (uint32_t i = 0; i < w->npart; i++) {
		static const char *const states[] = {"suspended", "revoked", "pending"};
		uint32_t h = (uint32_t)(i * 2654435761u) % 100;
		char org[32], id[32];

		snprintf(org, sizeof(org), "external:p%06u", i);
		snprintf(id, sizeof(id), "tr-p%06u", i);
		p->trustrelationships[p->n_trustrelationships++] =
			gen_trust(i % w->nt, org, id,
				  h < 90 ? "established" : states[h < 95 ? 0 : h < 98 ? 1 : 2],
				  i % 2 == 0);
	}
	for (uint32_t t = 0; t < w->nt && w->nt >= 2; t++) {
		for (int d = 1; d >= -1; d -= 2) {
			uint32_t o = (t + w->nt + (uint32_t)d) % w->nt;
			char org[32], id[32];

			if (d < 0 && w->nt < 3) {
				continue;
			}
			snprintf(org, sizeof(org), "external:t%u", o);
			snprintf(id, sizeof(id), "tr-t%u-t%u", t, o);
			p->trustrelationships[p->n_trustrelationships++] =
				gen_trust(t, org, id, "established", true);
		}
	}
	return p;
}

/* ---------------------------------------------------------------- building */

struct built {
	struct world w;
	struct sb_shm_snapshot *snap;	/* in |map| */
	size_t snap_len;
	void *map;			/* MAP_SHARED, 4 KiB pages; --thp: private, 2 MiB */
	size_t map_len;
	struct policy_view v;
};

static bool snap_thp;	/* --thp */

/* AnonHugePages of this process, in MiB (transparent huge pages in use). */
static double thp_mib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	long kib = 0;

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "AnonHugePages: %ld", &kib) == 1) {
			break;
		}
	}
	fclose(f);
	return kib / 1024.0;
}

/*
 * Memory for a snapshot of |len| bytes: shared 4 KiB pages like the /dev/shm
 * object shm_reader maps, or with --thp private memory advised to use 2 MiB
 * pages (what a hugetlbfs-backed object would give), aligned to 2 MiB.
 */
static int snap_alloc(struct built *b, size_t len)
{
	const size_t huge = 2u << 20;

	b->snap_len = len;
	if (!snap_thp) {
		b->map_len = len;
		b->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		b->snap = b->map;
	} else {
		b->map_len = RTE_ALIGN_CEIL(len, huge) + huge;
		b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
		b->snap = (void *)RTE_ALIGN_CEIL((uintptr_t)b->map, huge);
		if (b->map != MAP_FAILED) {
			(void)madvise(b->snap, RTE_ALIGN_CEIL(len, huge), MADV_HUGEPAGE);
		}
	}
	if (b->map == MAP_FAILED) {
		fprintf(stderr, "\nbench-policy: mmap %zu bytes: %s\n", b->map_len,
			strerror(errno));
		b->map = NULL;
		b->snap = NULL;
		return -1;
	}
	return 0;
}

/* Prints one build phase's time as it ends: the large policy takes minutes. */
static double phase(double t0, const char *what)
{
	double t1 = now_s();

	printf("%s %.2f s", what, t1 - t0);
	fflush(stdout);
	return t1;
}

/*
 * Generates, validates and compiles the policy of shape |pr|, lays it out as
 * a snapshot and accepts it, printing what each phase took and the tables.
 */
static double pct(double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	qsort(v, n, sizeof(*v), cmp_double);
	return v[i < n ? i : n - 1];
}

/*
 * |k| single changes, one local agent's slimConfig.outbound toggled each:
 * the model edited in place, the image patched (checksum included), copied
 * into a snapshot slot and accepted by policy_view_init, each step timed.
 */
static int measure_patches(struct pol_model *m, struct pol_db *db, uint32_t k, double t_compile)
{
	double *t[4];
	struct sb_shm_snapshot *slot = NULL;
	struct pol_db_stats st;
	uint32_t done = 0;
	int rc = 0;

	for (int i = 0; i < 4; i++) {
		t[i] = xcalloc(k, sizeof(double));
	}
	for (uint32_t i = 0; i < k && rc == 0; i++) {
		const struct pol_image *img;
		pb_agent *a = NULL;
		struct pol_edit e;
		const char *why = NULL;
		char err[256];
		double t0;

		for (int tries = 0; tries < 100 && a == NULL; tries++) {
			const pb_agent *x = m->p->agents[rnd((uint32_t)m->p->n_agents)];
			size_t n;
			uint8_t *buf;

			if (x->slimconfig == NULL) {
				continue;
			}
			n = protobuf_c_message_get_packed_size(&x->base);
			buf = xcalloc(1, n + 1);
			protobuf_c_message_pack(&x->base, buf);
			a = slimbridge__control__v1__agent__unpack(NULL, n, buf);
			free(buf);
		}
		if (a == NULL) {
			break;
		}
		a->slimconfig->has_outbound = 1;
		a->slimconfig->outbound = !a->slimconfig->outbound;
		t0 = now_s();
		rc = pol_model_edit_check(m, POL_KIND_AGENT, &a->base, a->id, err, sizeof(err));
		if (rc == 0) {
			rc = pol_model_edit(m, POL_KIND_AGENT, &a->base, a->id, &e);
		}
		t[0][done] = now_s() - t0;
		slimbridge__control__v1__agent__free_unpacked(a, NULL);
		if (rc != 0) {
			fprintf(stderr, "bench-policy: model edit: %s (%d)\n", err, rc);
			break;
		}
		t0 = now_s();
		rc = pol_db_patch(db, m, &e, 1, 2 + i);
		t[1][done] = now_s() - t0;
		if (rc != 0) {
			fprintf(stderr, "bench-policy: pol_db_patch: %d\n", rc);
			break;
		}
		img = pol_db_image(db);
		if (slot == NULL) {
			slot = malloc(sizeof(*slot) + img->len);
			if (slot == NULL) {
				rc = -ENOMEM;
				break;
			}
		}
		t0 = now_s();
		memset(slot, 0, sizeof(*slot));
		slot->magic = SB_SHM_SNAP_MAGIC;
		slot->epoch = 2 + i;
		slot->size = sizeof(*slot) + img->len;
		slot->nb_tables = img->nb_tables;
		for (uint32_t j = 0; j < img->nb_tables; j++) {
			slot->tables[j] = img->tables[j];
			slot->tables[j].offset += sizeof(*slot);
		}
		memcpy(slot + 1, img->data, img->len);
		t[2][done] = now_s() - t0;
		{
			struct policy_view v;

			t0 = now_s();
			rc = policy_view_init(&v, slot, &why);
			t[3][done] = now_s() - t0;
		}
		if (rc != 0) {
			fprintf(stderr, "bench-policy: patched snapshot refused: %s\n", why);
			break;
		}
		done++;
	}
	pol_db_stats(db, &st);
	if (done > 0) {
		static const char *const what[4] = {
			"model edit (validate + apply)", "pol_db_patch (+ checksum)",
			"copy into a slot", "policy_view_init (reader)",
		};

		printf("  single changes: %u agents' outbound toggled, patched in place "
		       "(%s agents recompiled, %s pairs rewritten)\n",
		       done, num(st.patched_agents), num(st.patched_pairs));
		printf("    %-32s %10s %10s %10s\n", "microseconds", "p50", "p99", "max");
		for (int i = 0; i < 4; i++) {
			double p50 = pct(t[i], done, 0.5) * 1e6, p99 = pct(t[i], done, 0.99) * 1e6;

			printf("    %-32s %10.0f %10.0f %10.0f\n", what[i], p50, p99, t[i][done - 1] * 1e6);
		}
		printf("    full compile of the same policy: %.0f us (%.0fx the p50 patch)\n",
		       t_compile * 1e6, t_compile / pct(t[1], done, 0.5));
	}
	free(slot);
	for (int i = 0; i < 4; i++) {
		free(t[i]);
	}
	return rc == 0 ? 0 : -1;
}

static int build_policy(const char *name, const struct params *pr, struct built *b)
{
	const struct world *w = &b->w;
	const double mib = 1048576.0;
	uint64_t tab[SB_POL_TABLE_STRINGS + 1] = {0};
	struct pol_model *m;
	struct pol_db *db;
	struct pol_image img;
	double t_compile;
	pb_policy *p;
	const char *why = NULL;
	char err[512] = "";
	double t0;
	int rc;

	memset(b, 0, sizeof(*b));
	if (!world_shape(&b->w, pr)) {
		return -1;
	}
	printf("%s policy: %s agents (%s local, %s partner), %u local tenants x %u apps, "
	       "%s projects, %s teams, %s partner tenants, %s trusts\n",
	       name, num(w->nb_agents), num(w->nb_local), num(w->nb_agents - w->nb_local), w->nt,
	       w->apt, num(w->nb_projects), num(w->nb_teams), num(w->npart), num(w->nb_trusts));
	if (w->na != pr->apps) {
		printf("  (--apps %u: %u, a whole number per tenant)\n", pr->apps, w->na);
	}
	printf("  build:");
	t0 = now_s();
	p = gen_policy(&b->w);
	t0 = phase(t0, " generate");
	m = pol_model_new(p, err, sizeof(err));
	if (m == NULL) {
		fprintf(stderr, "\nbench-policy: generated policy invalid: %s\n", err);
		protobuf_c_message_free_unpacked(&p->base, NULL);
		return -1;
	}
	t0 = phase(t0, ", pol_model_new");
	t_compile = now_s();
	rc = pol_db_new(m, 1, &db, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "\nbench-policy: pol_db_new: %s (%d)\n", err, rc);
		pol_model_free(m);
		return -1;
	}
	t_compile = now_s() - t_compile;
	t0 = phase(t0, ", compile (pol_db_new)");
	img = *pol_db_image(db);
	img.data = malloc(img.len);
	if (img.data == NULL) {
		pol_db_free(db);
		pol_model_free(m);
		return -1;
	}
	memcpy(img.data, pol_db_image(db)->data, img.len);

	/* The snapshot as shm_writer_publish lays it out, in shared memory. */
	t0 = now_s();
	if (snap_alloc(b, sizeof(*b->snap) + img.len) != 0) {
		pol_image_cleanup(&img);
		return -1;
	}
	b->snap->magic = SB_SHM_SNAP_MAGIC;
	b->snap->epoch = 1;
	b->snap->size = b->snap_len;
	b->snap->nb_tables = img.nb_tables;
	for (uint32_t i = 0; i < img.nb_tables; i++) {
		b->snap->tables[i] = img.tables[i];
		b->snap->tables[i].offset += sizeof(*b->snap);
		if (img.tables[i].kind <= SB_POL_TABLE_STRINGS) {
			tab[img.tables[i].kind] = img.tables[i].size;
		}
	}
	memcpy(b->snap + 1, img.data, img.len);
	t0 = phase(t0, ", snapshot copy");
	if (policy_view_init(&b->v, b->snap, &why) != 0) {
		fprintf(stderr, "\nbench-policy: policy_view_init: %s\n", why);
		pol_image_cleanup(&img);
		return -1;
	}
	phase(t0, ", policy_view_init");
	printf("; peak RSS %.2f GiB\n", peak_rss_gib());
	if (snap_thp) {
		printf("  --thp: %.0f MiB of this process on 2 MiB pages\n", thp_mib());
	}
	printf("  snapshot %.1f MiB: agents %.1f MiB, rows %s (%.1f MiB), pairs %s (%.1f MiB), "
	       "strings %.1f MiB, other %.1f MiB\n",
	       img.len / mib, tab[SB_POL_TABLE_AGENTS] / mib, num(img.nb_rows),
	       tab[SB_POL_TABLE_ROWS] / mib, num(img.nb_pairs), tab[SB_POL_TABLE_PAIRS] / mib,
	       tab[SB_POL_TABLE_STRINGS] / mib,
	       (img.len - tab[SB_POL_TABLE_AGENTS] - tab[SB_POL_TABLE_ROWS] -
		tab[SB_POL_TABLE_PAIRS] - tab[SB_POL_TABLE_STRINGS]) / mib);
	fflush(stdout);
	pol_image_cleanup(&img);
	rc = measure_patches(m, db, pr->agents >= 100000 ? 200 : 50, t_compile);
	pol_db_free(db);
	pol_model_free(m);
	return rc;
}

static void built_free(struct built *b)
{
	if (b->map != NULL) {
		munmap(b->map, b->map_len);
	}
	world_free(&b->w);
	memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------- queries */

#define foreach_qclass \
	_(SAME_APP, "same app", 10) \
	_(INT_NEAR, "other app, named", 30) \
	_(INT_OTHER, "other app, any", 10) \
	_(PART_OUT, "to partner, named", 20) \
	_(PART_IN, "from partner, named", 5) \
	_(PART_ANY, "to any partner", 5) \
	_(SISTER, "sister tenant", 15) \
	_(UNKNOWN, "unknown name", 5)

enum qclass {
#define _(n, s, w) Q_##n,
	foreach_qclass
#undef _
	Q_MAX,
};

static const char *const qclass_name[Q_MAX] = {
#define _(n, s, w) s,
	foreach_qclass
#undef _
};

static const uint8_t qclass_weight[Q_MAX] = {
#define _(n, s, w) w,
	foreach_qclass
#undef _
};

struct qset {
	struct policy_query *q;
	uint8_t *cls;
	uint32_t n;
	uint32_t touched;	/* distinct agents named */
};

static uint32_t in_app(const struct world *w, uint32_t a)
{
	uint32_t n = w->app_first[a + 1] - w->app_first[a];

	return w->app_first[a] + rnd(RTE_MAX(n, 1u));
}

static uint32_t partner_agent_named(const struct world *w, uint32_t local)
{
	uint32_t a = w->agent_app[local];
	uint32_t g = a * 2 + ((local - w->app_first[a]) & 1);
	uint32_t pt = w->proj_partner[g][rnd(2)];

	if (pt == UINT32_MAX) {
		pt = w->proj_partner[g][0];
	}
	return pt == UINT32_MAX ? UINT32_MAX : w->partner_agent[pt] + rnd(2);
}

/* One query of class |c| (or a fallback the shape allows); returns the class used. */
static enum qclass gen_query(const struct world *w, enum qclass c, struct policy_query *q,
			     uint8_t *seen)
{
	uint32_t s = rnd(w->nb_local), d = UINT32_MAX, a = w->agent_app[s];
	uint32_t t = a / w->apt;
	bool unknown_src = false;

	switch (c) {
	case Q_PART_OUT:
	case Q_PART_IN:
		d = partner_agent_named(w, s);
		if (d == UINT32_MAX) {
			c = Q_SISTER;
			break;
		}
		if (c == Q_PART_IN) {
			uint32_t x = s;

			s = d;
			d = x;
		}
		break;
	case Q_PART_ANY:
		if (w->nb_agents == w->nb_local) {
			c = Q_SISTER;
			break;
		}
		d = w->nb_local + rnd(w->nb_agents - w->nb_local);
		break;
	default:
		break;
	}
	if (c == Q_SISTER && w->nt < 2) {
		c = Q_INT_OTHER;
	}
	if ((c == Q_INT_NEAR || c == Q_INT_OTHER) && w->apt < 2) {
		c = Q_SAME_APP;
	}
	switch (c) {
	case Q_SAME_APP:
		d = in_app(w, a);
		break;
	case Q_INT_NEAR:
		d = in_app(w, app_near(w, a, rnd(2) ? 1 : -1));
		break;
	case Q_INT_OTHER:
		d = in_app(w, app_near(w, a, 1 + (int)rnd(w->apt - 1)));
		break;
	case Q_SISTER: {
		uint32_t t2 = (t + (rnd(2) ? 1 : w->nt - 1)) % w->nt;

		d = in_app(w, t2 * w->apt + rnd(w->apt));
		break;
	}
	case Q_UNKNOWN:
		d = rnd(w->nb_agents);
		unknown_src = rnd(2) != 0;
		break;
	default:
		break;
	}
	memcpy(q->src, w->comp[s], sizeof(q->src));
	memcpy(q->dst, w->comp[d], sizeof(q->dst));
	if (c == Q_UNKNOWN) {
		uint64_t *u = unknown_src ? q->src : q->dst;

		u[2] = rnd64() | 1;	/* a known tenant and app, an agent nobody declared */
	}
	q->dir = POLICY_MESSAGE;
	q->op = (uint8_t)rnd(2);
	if (c != Q_UNKNOWN || !unknown_src) {
		seen[s] = 1;
	}
	if (c != Q_UNKNOWN || unknown_src) {
		seen[d] = 1;
	}
	return c;
}

static void qset_make(const struct world *w, uint32_t n, uint64_t seed, struct qset *qs)
{
	uint8_t *seen = xcalloc(w->nb_agents, 1);

	rng_state = seed;
	qs->n = n;
	qs->q = xcalloc(n, sizeof(*qs->q));
	qs->cls = xcalloc(n, 1);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = rnd(100), c = 0;

		while (c + 1 < Q_MAX && r >= qclass_weight[c]) {
			r -= qclass_weight[c++];
		}
		qs->cls[i] = (uint8_t)gen_query(w, (enum qclass)c, &qs->q[i], seen);
	}
	qs->touched = 0;
	for (uint32_t i = 0; i < w->nb_agents; i++) {
		qs->touched += seen[i];
	}
	free(seen);
}

static void qset_free(struct qset *qs)
{
	free(qs->q);
	free(qs->cls);
	memset(qs, 0, sizeof(*qs));
}

/* The decisions of one pass: allowed per class, and the commonest denial per class. */
static double print_mix(const struct policy_view *v, const struct qset *qs, bool detail)
{
	uint32_t n[Q_MAX] = {0}, ok[Q_MAX] = {0}, why[Q_MAX][SB_POL_REASON_MAX] = {{0}};
	uint64_t allowed = 0;
	struct policy_verdict out[64];

	for (uint32_t i = 0; i < qs->n; i += 64) {
		uint16_t m = (uint16_t)RTE_MIN(64u, qs->n - i);

		policy_decide_burst(v, qs->q + i, m, out);
		for (uint16_t j = 0; j < m; j++) {
			uint8_t c = qs->cls[i + j];

			n[c]++;
			ok[c] += out[j].allowed;
			allowed += out[j].allowed;
			if (!out[j].allowed) {
				why[c][out[j].reason]++;
			} else if (!out[j].required) {
				why[c][SB_POL_REASON_NOT_REQUIRED]++;
			}
		}
	}
	if (detail) {
		printf("  %-20s %6s %8s  %s\n", "query class", "share", "allowed",
		       "commonest denial (share of the class)");
		for (unsigned c = 0; c < Q_MAX; c++) {
			unsigned best = 0;

			if (n[c] == 0) {
				continue;
			}
			for (unsigned r = 1; r < SB_POL_REASON_MAX; r++) {
				if (r != SB_POL_REASON_NOT_REQUIRED && why[c][r] > why[c][best]) {
					best = r;
				}
			}
			printf("  %-20s %5.1f%% %7.1f%%  ", qclass_name[c], 100.0 * n[c] / qs->n,
			       100.0 * ok[c] / n[c]);
			if (why[c][best] > 0 && best != 0) {
				printf("%s (%.1f%%)", policy_reason_text(best),
				       100.0 * why[c][best] / n[c]);
			} else if (why[c][SB_POL_REASON_NOT_REQUIRED] > 0) {
				printf("- (%s)", policy_reason_text(SB_POL_REASON_NOT_REQUIRED));
			} else {
				printf("-");
			}
			printf("\n");
		}
	}
	return 100.0 * (double)allowed / qs->n;
}

/* ---------------------------------------------------------------- timing */

struct cost {
	double cyc;		/* median TSC cycles per query */
	double lo, hi;		/* fastest and slowest sample */
	uint32_t samples;
};

static struct cost summarize(double *s, uint32_t n)
{
	struct cost c = {0};

	if (n == 0) {
		return c;
	}
	qsort(s, n, sizeof(double), cmp_double);
	c.cyc = s[n / 2];
	c.lo = s[0];
	c.hi = s[n - 1];
	c.samples = n;
	return c;
}

static uint64_t sink;

static uint64_t policy_pass(const struct policy_view *v, const struct policy_query *q, uint32_t n,
			    unsigned burst)
{
	struct policy_verdict out[1024];
	uint64_t allowed = 0;

	for (uint32_t i = 0; i < n; i += burst) {
		allowed += policy_decide_burst(v, q + i, (uint16_t)burst, out);
	}
	return allowed;
}

/* The anchor: both names of each query, sources and destinations in bulks of up to 32. */
static uint64_t hash_pass(const struct rte_hash *h, const struct policy_query *q, uint32_t n,
			  unsigned burst)
{
	const void *ks[HASH_BULK], *kd[HASH_BULK];
	int32_t ps[HASH_BULK], pd[HASH_BULK];
	uint64_t acc = 0;

	for (uint32_t i = 0; i < n; i += burst) {
		for (unsigned j = 0; j < burst; j += HASH_BULK) {
			unsigned m = RTE_MIN(burst - j, (unsigned)HASH_BULK);

			for (unsigned k = 0; k < m; k++) {
				ks[k] = q[i + j + k].src;
				kd[k] = q[i + j + k].dst;
			}
			(void)rte_hash_lookup_bulk(h, ks, m, ps);
			(void)rte_hash_lookup_bulk(h, kd, m, pd);
			acc += (uint64_t)(ps[m - 1] + pd[m - 1]);
		}
	}
	return acc;
}

/*
 * Times policy_pass on |v| and hash_pass on |h| (NULL: policy only) over
 * |qs| in samples of SAMPLE queries, the two alternating on the same
 * queries so that both see the same machine (on a shared VM the other
 * vCPU's load moves both), wrapping around, for |seconds| and at least one
 * full pass, after WARM queries untimed (a set of up to WARM queries is
 * then in cache as far as it fits). Medians and ranges into |pc| and |hc|,
 * the median of the samples' policy / rte_hash ratios into |ratio|.
 */
static void run_timed(const struct policy_view *v, const struct rte_hash *h,
		      const struct qset *qs, unsigned burst, double seconds, struct cost *pc,
		      struct cost *hc, double *ratio)
{
	uint32_t chunk = RTE_MIN(qs->n, (uint32_t)SAMPLE) / burst * burst;
	uint64_t stop, covered = 0;
	double *sp = xcalloc(MAX_SAMPLES, sizeof(double));
	double *sh = xcalloc(MAX_SAMPLES, sizeof(double));
	uint32_t ns = 0, pos = 0;

	memset(pc, 0, sizeof(*pc));
	memset(hc, 0, sizeof(*hc));
	for (uint32_t i = 0; chunk > 0 && i + chunk <= RTE_MIN(qs->n, (uint32_t)WARM); i += chunk) {
		sink += policy_pass(v, qs->q + i, chunk, burst);
		sink += h != NULL ? hash_pass(h, qs->q + i, chunk, burst) : 0;
	}
	stop = rte_rdtsc() + (uint64_t)(seconds * rte_get_tsc_hz());
	while (chunk > 0 && ns < MAX_SAMPLES &&
	       (rte_rdtsc() < stop || covered < qs->n || ns < 5)) {
		uint64_t t0, t1;

		if (pos + chunk > qs->n) {
			pos = 0;
		}
		t0 = rte_rdtsc_precise();
		sink += policy_pass(v, qs->q + pos, chunk, burst);
		t1 = rte_rdtsc_precise();
		sp[ns] = (double)(t1 - t0) / chunk;
		if (h != NULL) {
			t0 = rte_rdtsc_precise();
			sink += hash_pass(h, qs->q + pos, chunk, burst);
			t1 = rte_rdtsc_precise();
			sh[ns] = (double)(t1 - t0) / chunk;
		}
		ns++;
		pos += chunk;
		covered += chunk;
	}
	*ratio = 0;
	if (h != NULL) {
		double *sr = xcalloc(ns, sizeof(double));

		for (uint32_t i = 0; i < ns; i++) {
			sr[i] = sp[i] / sh[i];
		}
		*ratio = summarize(sr, ns).cyc;
		free(sr);
		*hc = summarize(sh, ns);
	}
	*pc = summarize(sp, ns);
	free(sp);
	free(sh);
}

/* An rte_hash of every agent's name with |slots| entries (the policy's agent table capacity). */
static struct rte_hash *hash_make(const struct world *w, uint32_t slots, double *secs)
{
	struct rte_hash_parameters hp = {
		.name = "bench_policy",
		.entries = slots,
		.key_len = sizeof(w->comp[0]),
		.socket_id = (int)rte_socket_id(),
	};
	double t0 = now_s();
	struct rte_hash *h = rte_hash_create(&hp);
	uint32_t fail = 0;

	if (h == NULL) {
		printf("  rte_hash_create(%u entries): %s\n", slots, rte_strerror(rte_errno));
		return NULL;
	}
	for (uint32_t i = 0; i < w->nb_agents; i++) {
		fail += rte_hash_add_key(h, w->comp[i]) < 0;
	}
	*secs = now_s() - t0;
	if (fail > 0) {
		printf("  note: rte_hash refused %u of %u keys\n", fail, w->nb_agents);
	}
	return h;
}

/* Fraction of the names in |qs| that the anchor finds (the policy's unknowns are misses). */
static double hash_hits(const struct rte_hash *h, const struct qset *qs)
{
	uint64_t hits = 0;

	for (uint32_t i = 0; i < qs->n; i++) {
		hits += rte_hash_lookup(h, qs->q[i].src) >= 0;
		hits += rte_hash_lookup(h, qs->q[i].dst) >= 0;
	}
	return 100.0 * (double)hits / (2.0 * qs->n);
}

struct row {
	const char *policy;
	uint32_t agents;
	uint32_t queries;
	uint32_t touched;
	double allowed;
	double hits;
	double ratio;		/* median of the paired samples' ratios */
	struct cost pol, hash;
};

static void measure(struct row *r, const char *name, const struct built *b, const struct qset *qs,
		    const struct rte_hash *h, unsigned burst, double seconds)
{
	r->policy = name;
	r->agents = b->w.nb_agents;
	r->queries = qs->n;
	r->touched = qs->touched;
	r->allowed = print_mix(&b->v, qs, false);
	r->hits = h != NULL ? hash_hits(h, qs) : 0;
	run_timed(&b->v, h, qs, burst, seconds, &r->pol, &r->hash, &r->ratio);
	printf("  %s, %s queries: policy %.1f cycles/decision, rte_hash %.1f cycles/query\n", name,
	       num(qs->n), r->pol.cyc, r->hash.cyc);
	fflush(stdout);
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [options]\n"
		"  --agents N        agents of the large policy (1000000), partner agents\n"
		"                    included; 0 skips it\n"
		"  --trusts N        trust relationships (100000): one per partner tenant,\n"
		"                    plus the local tenants' ring (2 per tenant)\n"
		"  --apps N          local apps (1000), spread over the local tenants\n"
		"  --tenants N       local tenants (100)\n"
		"  --burst N         queries per policy_decide_burst call (32; 1..1024)\n"
		"  --seconds S       timed seconds per case (2)\n"
		"  --queries N       queries of the cache-resident case (65536)\n"
		"  --cold-queries N  queries of the case whose agents exceed the cache (4194304;\n"
		"                    0 skips it)\n"
		"  --hot-agents N    agents of the small hot policy (1000; 0 skips it)\n"
		"  --quick           a small fast run: 20000 agents, 2000 trusts, 100 apps,\n"
		"                    10 tenants, 0.2 s, 262144 cold queries\n"
		"  --thp             the snapshot in transparent 2 MiB pages (private memory,\n"
		"                    MADV_HUGEPAGE) instead of shared 4 KiB pages; rte_hash\n"
		"                    stays on 4 KiB pages\n",
		argv0);
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"agents", required_argument, NULL, 'a'},
		{"trusts", required_argument, NULL, 't'},
		{"apps", required_argument, NULL, 'p'},
		{"tenants", required_argument, NULL, 'T'},
		{"burst", required_argument, NULL, 'b'},
		{"seconds", required_argument, NULL, 's'},
		{"queries", required_argument, NULL, 'q'},
		{"cold-queries", required_argument, NULL, 'c'},
		{"hot-agents", required_argument, NULL, 'H'},
		{"quick", no_argument, NULL, 'Q'},
		{"thp", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* UINT32_MAX: not given; --quick or the defaults fill it. */
	struct params pr = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
	uint32_t burst = 32, nq = 65536, ncold = UINT32_MAX, hot_agents = 1000;
	double seconds = -1;
	bool quick = false, ok = true;
	char prefix[64], mem[16];
	char *eal[16];
	struct row rows[3];
	unsigned nrows = 0;
	struct built b;
	int n = 0, c, rc = 1;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			ok = ok && parse_u32(optarg, &pr.agents);
			break;
		case 't':
			ok = ok && parse_u32(optarg, &pr.trusts);
			break;
		case 'p':
			ok = ok && parse_u32(optarg, &pr.apps);
			break;
		case 'T':
			ok = ok && parse_u32(optarg, &pr.tenants);
			break;
		case 'b':
			ok = ok && parse_u32(optarg, &burst) && burst >= 1 && burst <= 1024;
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			ok = ok && seconds > 0;
			break;
		case 'q':
			ok = ok && parse_u32(optarg, &nq);
			break;
		case 'c':
			ok = ok && parse_u32(optarg, &ncold);
			break;
		case 'H':
			ok = ok && parse_u32(optarg, &hot_agents);
			break;
		case 'Q':
			quick = true;
			break;
		case 'P':
			snap_thp = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			ok = false;
			break;
		}
	}
	if (!ok || optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}
#define DEFAULT(x, full, small) \
	do { \
		if ((x) == UINT32_MAX) { \
			(x) = quick ? (small) : (full); \
		} \
	} while (0)
	DEFAULT(pr.agents, 1000000u, 20000u);
	DEFAULT(pr.trusts, 100000u, 2000u);
	DEFAULT(pr.apps, 1000u, 100u);
	DEFAULT(pr.tenants, 100u, 10u);
	DEFAULT(ncold, 4194304u, 262144u);
#undef DEFAULT
	if (seconds <= 0) {
		seconds = quick ? 0.2 : 2.0;
	}
	nq = RTE_MAX(nq, burst);

	printf("bench-policy:");
	for (int i = 0; i < argc; i++) {
		printf(" %s", argv[i]);
	}
	printf("\n");

	snprintf(prefix, sizeof(prefix), "bench-policy-%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", 256 + pr.agents / 2048);
	snprintf(run_dir, sizeof(run_dir), "/var/run/dpdk/%s", prefix);
	eal[n++] = argv[0];
	eal[n++] = "-l";
	eal[n++] = "0";
	eal[n++] = "--no-huge";
	eal[n++] = "-m";
	eal[n++] = mem;
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--no-shconf";
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--log-level";
	eal[n++] = "lib.eal:error";
	eal[n] = NULL;
	atexit(remove_run_dir);
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "bench-policy: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	printf("TSC %.2f GHz; burst %u; %.1f s per case in samples of %u queries, policy and "
	       "rte_hash alternating on the same queries; EAL --no-huge (rte_hash on 4 KiB pages, "
	       "the snapshot on %s)\n\n",
	       rte_get_tsc_hz() / 1e9, burst, seconds, SAMPLE,
	       snap_thp ? "2 MiB pages (--thp)" : "shared 4 KiB pages like /dev/shm");
	fflush(stdout);

	/* 1. The small hot policy: everything in cache. */
	if (hot_agents > 0) {
		/* 4 tenants of 4 apps, a tenth as many trusts as agents: all of it in L2. */
		struct params hp = {hot_agents, RTE_MAX(hot_agents / 10, 24u), 16, 4};
		struct qset qs;
		struct rte_hash *h;
		double th = 0;

		if (build_policy("hot", &hp, &b) != 0) {
			goto out;
		}
		qset_make(&b.w, nq, 0x5eed0001, &qs);
		h = hash_make(&b.w, 1u << b.v.agent_bits, &th);
		measure(&rows[nrows++], "hot", &b, &qs, h, burst, seconds);
		rte_hash_free(h);
		qset_free(&qs);
		built_free(&b);
		printf("\n");
	}

	/* 2. The large policy, with a query set that fits in cache and one that does not. */
	if (pr.agents > 0) {
		struct qset qs;
		struct rte_hash *h;
		double th = 0;

		if (build_policy("large", &pr, &b) != 0) {
			goto out;
		}
		h = hash_make(&b.w, 1u << b.v.agent_bits, &th);
		printf("  rte_hash of the %s names, %s entries: built in %.2f s\n",
		       num(b.w.nb_agents), num(1u << b.v.agent_bits), th);
		qset_make(&b.w, nq, 0x5eed0002, &qs);
		printf("\n  decisions of the %s-query set on the large policy:\n", num(qs.n));
		print_mix(&b.v, &qs, true);
		printf("\n");
		measure(&rows[nrows++], "large", &b, &qs, h, burst, seconds);
		qset_free(&qs);
		if (ncold > 0) {
			qset_make(&b.w, RTE_MAX(ncold, burst), 0x5eed0003, &qs);
			measure(&rows[nrows++], "large", &b, &qs, h, burst, seconds);
			qset_free(&qs);
		}
		rte_hash_free(h);
		built_free(&b);
	}

	printf("\nTSC cycles per POLICY_MESSAGE decision (policy_decide_burst, burst %u) and per "
	       "query of the anchor (rte_hash_lookup_bulk of the source and destination names, "
	       "2 x %u keys per %u queries): median (fastest) of %u-query samples\n",
	       burst, RTE_MIN(burst, (unsigned)HASH_BULK), RTE_MIN(burst, (unsigned)HASH_BULK),
	       SAMPLE);
	printf("%-6s %10s %10s %10s %8s | %16s %12s | %16s %10s | %6s\n", "policy", "agents",
	       "queries", "touched", "allowed", "policy cyc/dec", "M dec/s/core", "rte_hash cyc/q",
	       "M q/s/core", "ratio");
	for (unsigned i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char pc[40], hc[40];

		snprintf(pc, sizeof(pc), "%.1f (%.1f)", r->pol.cyc, r->pol.lo);
		snprintf(hc, sizeof(hc), "%.1f (%.1f)", r->hash.cyc, r->hash.lo);
		printf("%-6s %10s %10s %10s %7.1f%% | %16s %12.2f | %16s %10.2f | %5.2fx\n",
		       r->policy, num(r->agents), num(r->queries), num(r->touched), r->allowed, pc,
		       r->pol.cyc > 0 ? rte_get_tsc_hz() / r->pol.cyc / 1e6 : 0, hc,
		       r->hash.cyc > 0 ? rte_get_tsc_hz() / r->hash.cyc / 1e6 : 0, r->ratio);
	}
	printf("touched: distinct agents the queries name (one 64-byte line each in the agent "
	       "table). ratio: median over the samples of policy / rte_hash on the same queries "
	       "(> 1: a decision costs more than finding its two agents). rte_hash found %.1f%% of "
	       "the names; the rest are the unknown ones.\n",
	       nrows > 0 ? rows[nrows - 1].hits : 0.0);
	rc = 0;
out:
	if (sink == 0x12345678) {
		printf(" ");
	}
	rte_eal_cleanup();
	return rc;
}
