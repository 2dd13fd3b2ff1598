/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_model.c - validation and indexing of a policy document.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY	/* XXH64_state_t on the stack */
#include <xxhash.h>

#include "pol_model.h"
#include "pol_rules.h"

#define ID_MAX 128

static const char *const kind_names[POL_KIND_MAX] = {
	"tenant", "app", "project", "team", "agent", "trust", "ruleset",
};

const char *pol_kind_name(enum pol_kind k)
{
	return (unsigned)k < POL_KIND_MAX ? kind_names[k] : "?";
}

int pol_kind_parse(const char *s)
{
	static const struct {
		const char *name;
		enum pol_kind k;
	} alias[] = {
		{"tenants", POL_KIND_TENANT}, {"apps", POL_KIND_APP},
		{"projects", POL_KIND_PROJECT}, {"teams", POL_KIND_TEAM},
		{"agents", POL_KIND_AGENT}, {"trusts", POL_KIND_TRUST},
		{"trustRelationship", POL_KIND_TRUST}, {"trustRelationships", POL_KIND_TRUST},
		{"trustrelationship", POL_KIND_TRUST}, {"trust-relationship", POL_KIND_TRUST},
		{"rulesets", POL_KIND_RULESET}, {"contentRuleSet", POL_KIND_RULESET},
		{"contentRuleSets", POL_KIND_RULESET}, {"contentruleset", POL_KIND_RULESET},
	};

	if (s == NULL) {
		return -1;
	}
	for (int k = 0; k < POL_KIND_MAX; k++) {
		if (strcmp(s, kind_names[k]) == 0) {
			return k;
		}
	}
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		if (strcmp(s, alias[i].name) == 0) {
			return (int)alias[i].k;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- id maps */

struct pol_idmap {
	uint32_t mask;
	struct {
		const char *id;
		int32_t idx;
	} slot[];
};

static struct pol_idmap *idmap_new(size_t n)
{
	size_t cap = 16;
	struct pol_idmap *m;

	while (cap < n * 2) {
		cap <<= 1;
	}
	m = calloc(1, sizeof(*m) + cap * sizeof(m->slot[0]));
	if (m != NULL) {
		m->mask = (uint32_t)cap - 1;
	}
	return m;
}

/* idmap_put returns the index already present for |id|, or -1 after inserting. */
static int32_t idmap_put(struct pol_idmap *m, const char *id, int32_t idx)
{
	uint32_t i = (uint32_t)XXH64(id, strlen(id), 0) & m->mask;

	while (m->slot[i].id != NULL) {
		if (strcmp(m->slot[i].id, id) == 0) {
			return m->slot[i].idx;
		}
		i = (i + 1) & m->mask;
	}
	m->slot[i].id = id;
	m->slot[i].idx = idx;
	return -1;
}

static int32_t idmap_get(const struct pol_idmap *m, const char *id)
{
	uint32_t i;

	if (m == NULL || id == NULL) {
		return -1;
	}
	i = (uint32_t)XXH64(id, strlen(id), 0) & m->mask;
	while (m->slot[i].id != NULL) {
		if (strcmp(m->slot[i].id, id) == 0) {
			return m->slot[i].idx;
		}
		i = (i + 1) & m->mask;
	}
	return -1;
}

/* ---------------------------------------------------------------- organisations */

static bool slug_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || (c >= 'A' && c <= 'Z');
}

bool pol_org_valid(const char *org, bool concrete, const char **why)
{
	const char *s, *star;

	if (org == NULL || org[0] == '\0') {
		*why = "organization is empty";
		return false;
	}
	if (strcmp(org, "*") == 0) {
		if (concrete) {
			*why = "a wildcard is not accepted here";
			return false;
		}
		return true;
	}
	if (strncmp(org, "internal:", 9) == 0) {
		s = org + 9;
	} else if (strncmp(org, "external:", 9) == 0) {
		s = org + 9;
	} else {
		*why = "unknown organization form (expected internal:{appSlug}, external:{tenantSlug} or *)";
		return false;
	}
	star = strchr(s, '*');
	if (star != NULL) {
		if (concrete) {
			*why = "a wildcard is not accepted here";
			return false;
		}
		if (star[1] != '\0') {
			*why = "bad wildcard ('*' only at the end)";
			return false;
		}
	} else if (*s == '\0') {
		*why = "empty slug";
		return false;
	}
	for (const char *c = s; *c != '\0' && c != star; c++) {
		if (!slug_char(*c)) {
			*why = "bad character in slug (A-Z a-z 0-9 - _ .)";
			return false;
		}
	}
	if (strlen(org) > ID_MAX + 9) {
		*why = "too long";
		return false;
	}
	return true;
}

bool pol_org_match(const char *pattern, const char *org)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*') {
		return strncmp(pattern, org, n - 1) == 0;
	}
	return strcmp(pattern, org) == 0;
}

int pol_object_kind(const pb_object *o, const char **id)
{
	*id = NULL;
	switch (o->kind_case) {
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TENANT:
		*id = o->tenant->id;
		return POL_KIND_TENANT;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_APP:
		*id = o->app->id;
		return POL_KIND_APP;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_PROJECT:
		*id = o->project->id;
		return POL_KIND_PROJECT;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TEAM:
		*id = o->team->id;
		return POL_KIND_TEAM;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_AGENT:
		*id = o->agent->id;
		return POL_KIND_AGENT;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TRUST_RELATIONSHIP:
		*id = o->trustrelationship->id;
		return POL_KIND_TRUST;
	case SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_CONTENT_RULE_SET:
		*id = o->contentruleset->id;
		return POL_KIND_RULESET;
	default:
		return -1;
	}
}

/* ---------------------------------------------------------------- validation */

struct vctx {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, v->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_id(struct vctx *v, const char *kind, const char *id)
{
	size_t n;

	if (id == NULL || id[0] == '\0') {
		return fail(v, "%s: id is missing", kind);
	}
	n = strlen(id);
	if (n > ID_MAX) {
		return fail(v, "%s '%.32s...': id longer than %d characters", kind, id, ID_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		if (!slug_char(id[i])) {
			return fail(v, "%s '%s': id may hold only A-Z a-z 0-9 - _ .", kind, id);
		}
	}
	return 0;
}

static int check_one_of(struct vctx *v, const char *what, const char *val,
			const char *const *allowed)
{
	if (val == NULL) {
		return 0;
	}
	for (const char *const *a = allowed; *a != NULL; a++) {
		if (strcmp(val, *a) == 0) {
			return 0;
		}
	}
	return fail(v, "%s: '%s' is not one of the accepted values", what, val);
}

static const char *const perms_ok[] = {"task", "query", NULL};
static const char *const vis_ok[] = {"private", "partners-only", "public", NULL};

static int check_org(struct vctx *v, const char *what, const char *org, bool concrete)
{
	const char *why;

	if (!pol_org_valid(org, concrete, &why)) {
		return fail(v, "%s: %s in '%s'", what, why, org != NULL ? org : "");
	}
	return 0;
}

static int check_perms(struct vctx *v, const char *what, char **perms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (check_one_of(v, what, perms[i], perms_ok) < 0) {
			return fail(v, "%s: unknown permission '%s' (task or query)", what, perms[i]);
		}
	}
	return 0;
}

static int check_scope(struct vctx *v, const char *kind, const char *id, const pb_scope *sc)
{
	char what[256];

	if (sc == NULL) {
		return 0;
	}
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		const pb_orgrule *r = sc->allowedorganizations[i];

		snprintf(what, sizeof(what), "%s '%s': slimConfig.allowedOrganizations[%zu]", kind, id, i);
		if (check_org(v, what, r->organization, false) < 0 ||
		    check_perms(v, what, r->permissions, r->n_permissions) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static int ref(struct vctx *v, const struct pol_model *m, const char *kind, const char *id,
	       const char *field, enum pol_kind k, const char *target, bool required, int32_t *out)
{
	*out = -1;
	if (target == NULL || target[0] == '\0') {
		return required ? fail(v, "%s '%s': %s is missing", kind, id, field) : 0;
	}
	*out = idmap_get(m->ids[k], target);
	if (*out < 0) {
		return fail(v, "%s '%s': %s '%s' does not exist", kind, id, field, target);
	}
	return 0;
}

static int index_kind(struct vctx *v, struct pol_model *m, enum pol_kind k, size_t n,
		      const char *(*id_of)(const pb_policy *, size_t))
{
	m->ids[k] = idmap_new(n);
	if (m->ids[k] == NULL) {
		return fail(v, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = id_of(m->p, i);

		if (check_id(v, kind_names[k], id) < 0) {
			return -EINVAL;
		}
		if (idmap_put(m->ids[k], id, (int32_t)i) >= 0) {
			return fail(v, "duplicate %s id '%s'", kind_names[k], id);
		}
	}
	return 0;
}

#define ID_OF(name, field) \
	static const char *name(const pb_policy *p, size_t i) \
	{ \
		return p->field[i]->id; \
	}
ID_OF(tenant_id, tenants)
ID_OF(app_id, apps)
ID_OF(project_id, projects)
ID_OF(team_id, teams)
ID_OF(agent_id, agents)
ID_OF(trust_id, trustrelationships)
ID_OF(ruleset_id, contentrulesets)

static int validate_tenants(struct vctx *v, const pb_policy *p)
{
	char what[256];

	for (size_t i = 0; i < p->n_tenants; i++) {
		const pb_tenant *t = p->tenants[i];
		const Slimbridge__Control__V1__TenantSlim *s =
			t->settings != NULL ? t->settings->slim : NULL;

		if (t->trustdomain != NULL) {
			for (const char *c = t->trustdomain; *c != '\0'; c++) {
				if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
				      *c == '-' || *c == '.' || *c == '_')) {
					return fail(v, "tenant '%s': trustDomain '%s' may hold only lowercase a-z 0-9 - . _",
						    t->id, t->trustdomain);
				}
			}
		}
		if (s == NULL) {
			continue;
		}
		for (size_t j = 0; j < s->n_allowedorganizations; j++) {
			snprintf(what, sizeof(what), "tenant '%s': settings.slim.allowedOrganizations[%zu]",
				 t->id, j);
			if (check_org(v, what, s->allowedorganizations[j], false) < 0) {
				return -EINVAL;
			}
		}
		for (size_t j = 0; j < s->n_blockedorganizations; j++) {
			snprintf(what, sizeof(what), "tenant '%s': settings.slim.blockedOrganizations[%zu]",
				 t->id, j);
			if (check_org(v, what, s->blockedorganizations[j], false) < 0) {
				return -EINVAL;
			}
		}
		snprintf(what, sizeof(what), "tenant '%s': settings.slim.defaultDirectoryVisibility", t->id);
		if (check_one_of(v, what, s->defaultdirectoryvisibility, vis_ok) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

static int validate_agents(struct vctx *v, struct pol_model *m)
{
	const pb_policy *p = m->p;
	char what[256];

	for (size_t i = 0; i < p->n_agents; i++) {
		const pb_agent *a = p->agents[i];
		const Slimbridge__Control__V1__AgentSlimConfig *sc = a->slimconfig;
		struct pol_agent_ref *r = &m->agent[i];

		if (ref(v, m, "agent", a->id, "app", POL_KIND_APP, a->app, true, &r->app) < 0 ||
		    ref(v, m, "agent", a->id, "project", POL_KIND_PROJECT, a->project, false,
			&r->project) < 0 ||
		    ref(v, m, "agent", a->id, "team", POL_KIND_TEAM, a->team, false, &r->team) < 0) {
			return -EINVAL;
		}
		r->tenant = m->app_tenant[r->app];
		if (r->project >= 0 && strcmp(p->projects[r->project]->app, a->app) != 0) {
			return fail(v, "agent '%s': project '%s' belongs to app '%s', not '%s'", a->id,
				    a->project, p->projects[r->project]->app, a->app);
		}
		if (r->team >= 0 && strcmp(p->teams[r->team]->app, a->app) != 0) {
			return fail(v, "agent '%s': team '%s' belongs to app '%s', not '%s'", a->id,
				    a->team, p->teams[r->team]->app, a->app);
		}
		if (a->spiffeid != NULL) {
			const char *td = p->tenants[r->tenant]->trustdomain;
			size_t n = td != NULL ? strlen(td) : 0;

			if (strncmp(a->spiffeid, "spiffe://", 9) != 0 || n == 0 ||
			    strncmp(a->spiffeid + 9, td, n) != 0 || a->spiffeid[9 + n] != '/' ||
			    a->spiffeid[10 + n] == '\0') {
				return fail(v, "agent '%s': spiffeId '%s' is not spiffe://%s/<path> (the tenant's trust domain)",
					    a->id, a->spiffeid, td != NULL ? td : "<tenant has no trustDomain>");
			}
		}
		if (sc == NULL) {
			continue;
		}
		for (size_t j = 0; j < sc->n_allowedcallers; j++) {
			snprintf(what, sizeof(what), "agent '%s': slimConfig.allowedCallers[%zu]", a->id, j);
			if (check_org(v, what, sc->allowedcallers[j]->organization, false) < 0 ||
			    check_perms(v, what, sc->allowedcallers[j]->permissions,
					sc->allowedcallers[j]->n_permissions) < 0) {
				return -EINVAL;
			}
		}
		for (size_t j = 0; j < sc->n_allowedtargets; j++) {
			snprintf(what, sizeof(what), "agent '%s': slimConfig.allowedTargets[%zu]", a->id, j);
			if (check_org(v, what, sc->allowedtargets[j]->organization, false) < 0) {
				return -EINVAL;
			}
		}
		if (sc->directoryregistration != NULL) {
			snprintf(what, sizeof(what), "agent '%s': slimConfig.directoryRegistration.visibility",
				 a->id);
			if (check_one_of(v, what, sc->directoryregistration->visibility, vis_ok) < 0) {
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int trust_cmp(const void *a, const void *b, void *arg)
{
	const pb_policy *p = arg;
	const pb_trust *x = p->trustrelationships[*(const uint32_t *)a];
	const pb_trust *y = p->trustrelationships[*(const uint32_t *)b];
	int r = strcmp(x->tenant, y->tenant);

	return r != 0 ? r : strcmp(x->organization, y->organization);
}

static int validate_trusts(struct vctx *v, struct pol_model *m)
{
	static const char *const transports[] = {"grpc", "https", NULL};
	static const char *const states[] = {"pending", "established", "suspended", "revoked", NULL};
	const pb_policy *p = m->p;
	char what[256];
	int32_t rs;

	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		const pb_trust *t = p->trustrelationships[i];

		if (ref(v, m, "trust", t->id, "tenant", POL_KIND_TENANT, t->tenant, true,
			&m->trust_tenant[i]) < 0 ||
		    ref(v, m, "trust", t->id, "contentRuleSet", POL_KIND_RULESET, t->contentruleset,
			false, &rs) < 0) {
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "trust '%s': organization", t->id);
		if (check_org(v, what, t->organization, true) < 0) {
			return -EINVAL;
		}
		if (strncmp(t->organization, "external:", 9) != 0) {
			return fail(v, "trust '%s': organization '%s' must be external:{tenantSlug}", t->id,
				    t->organization);
		}
		snprintf(what, sizeof(what), "trust '%s': transport", t->id);
		if (check_one_of(v, what, t->transport, transports) < 0) {
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "trust '%s': state", t->id);
		if (check_one_of(v, what, t->state, states) < 0) {
			return -EINVAL;
		}
		if (t->circuitbreaker != NULL && t->circuitbreaker->has_failurethreshold &&
		    (t->circuitbreaker->failurethreshold < 1 || t->circuitbreaker->failurethreshold > 1000)) {
			return fail(v, "trust '%s': circuitBreaker.failureThreshold must be 1..1000", t->id);
		}
	}
	/* One relationship per (tenant, organisation): sorted, so n log n for 100k trusts. */
	if (p->n_trustrelationships > 1) {
		size_t n = p->n_trustrelationships;
		uint32_t *ord = malloc(n * sizeof(*ord));

		if (ord == NULL) {
			return fail(v, "out of memory");
		}
		for (size_t i = 0; i < n; i++) {
			ord[i] = (uint32_t)i;
		}
		qsort_r(ord, n, sizeof(*ord), trust_cmp, (void *)p);
		for (size_t i = 1; i < n; i++) {
			const pb_trust *a = p->trustrelationships[ord[i - 1]];
			const pb_trust *t = p->trustrelationships[ord[i]];

			if (trust_cmp(&ord[i - 1], &ord[i], (void *)p) == 0) {
				const pb_trust *first = ord[i - 1] < ord[i] ? a : t;
				const pb_trust *second = ord[i - 1] < ord[i] ? t : a;

				free(ord);
				return fail(v, "trust '%s': tenant '%s' already has trust '%s' for %s",
					    second->id, second->tenant, first->id, second->organization);
			}
		}
		free(ord);
	}
	return 0;
}

static int validate_rulesets(struct vctx *v, const pb_policy *p)
{
	static const char *const actions[] = {"block", "audit", NULL};
	char what[256];

	for (size_t i = 0; i < p->n_contentrulesets; i++) {
		const pb_ruleset *rs = p->contentrulesets[i];

		for (size_t j = 0; j < rs->n_rules; j++) {
			snprintf(what, sizeof(what), "ruleset '%s': rules[%zu].action", rs->id, j);
			if (rs->rules[j]->pattern == NULL || rs->rules[j]->pattern[0] == '\0') {
				return fail(v, "ruleset '%s': rules[%zu]: pattern is missing", rs->id, j);
			}
			if (check_one_of(v, what, rs->rules[j]->action, actions) < 0) {
				return -EINVAL;
			}
			for (size_t k = 0; k < j; k++) {
				if (rs->rules[k]->id == rs->rules[j]->id) {
					return fail(v, "ruleset '%s': duplicate rule id %u", rs->id,
						    rs->rules[j]->id);
				}
			}
		}
	}
	return 0;
}

static int validate(struct vctx *v, struct pol_model *m)
{
	pb_policy *p = m->p;
	int32_t x;

	if (index_kind(v, m, POL_KIND_TENANT, p->n_tenants, tenant_id) < 0 ||
	    index_kind(v, m, POL_KIND_APP, p->n_apps, app_id) < 0 ||
	    index_kind(v, m, POL_KIND_PROJECT, p->n_projects, project_id) < 0 ||
	    index_kind(v, m, POL_KIND_TEAM, p->n_teams, team_id) < 0 ||
	    index_kind(v, m, POL_KIND_AGENT, p->n_agents, agent_id) < 0 ||
	    index_kind(v, m, POL_KIND_TRUST, p->n_trustrelationships, trust_id) < 0 ||
	    index_kind(v, m, POL_KIND_RULESET, p->n_contentrulesets, ruleset_id) < 0) {
		return -EINVAL;
	}
	m->app_tenant = calloc(p->n_apps + 1, sizeof(*m->app_tenant));
	m->agent = calloc(p->n_agents + 1, sizeof(*m->agent));
	m->trust_tenant = calloc(p->n_trustrelationships + 1, sizeof(*m->trust_tenant));
	if (m->app_tenant == NULL || m->agent == NULL || m->trust_tenant == NULL) {
		return fail(v, "out of memory");
	}
	if (validate_tenants(v, p) < 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_apps; i++) {
		if (ref(v, m, "app", p->apps[i]->id, "tenant", POL_KIND_TENANT, p->apps[i]->tenant,
			true, &m->app_tenant[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_projects; i++) {
		const pb_project *pr = p->projects[i];

		if (ref(v, m, "project", pr->id, "app", POL_KIND_APP, pr->app, true, &x) < 0 ||
		    ref(v, m, "project", pr->id, "contentRuleSet", POL_KIND_RULESET,
			pr->contentruleset, false, &x) < 0 ||
		    check_scope(v, "project", pr->id, pr->slimconfig) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_teams; i++) {
		const pb_team *t = p->teams[i];

		if (ref(v, m, "team", t->id, "app", POL_KIND_APP, t->app, true, &x) < 0 ||
		    check_scope(v, "team", t->id, t->slimconfig) < 0) {
			return -EINVAL;
		}
	}
	if (validate_agents(v, m) < 0 || validate_trusts(v, m) < 0 || validate_rulesets(v, p) < 0) {
		return -EINVAL;
	}
	/* Last: the patterns go to hyperscan only once everything else holds. */
	if (pol_rules_build(p, &m->rules, v->err, v->errlen) < 0) {
		return -EINVAL;
	}
	return 0;
}

struct pol_model *pol_model_new(pb_policy *p, char *err, size_t errlen)
{
	struct vctx v = {.err = err, .errlen = errlen};
	struct pol_model *m;

	if (errlen > 0) {
		err[0] = '\0';
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->p = p;
	if (validate(&v, m) < 0) {
		m->p = NULL;
		pol_model_free(m);
		return NULL;
	}
	return m;
}

void pol_model_free(struct pol_model *m)
{
	if (m == NULL) {
		return;
	}
	for (int k = 0; k < POL_KIND_MAX; k++) {
		free(m->ids[k]);
	}
	free(m->app_tenant);
	free(m->agent);
	free(m->trust_tenant);
	pol_rules_free(m->rules);
	if (m->p != NULL) {
		protobuf_c_message_free_unpacked(&m->p->base, NULL);
	}
	free(m);
}

int32_t pol_model_find(const struct pol_model *m, enum pol_kind k, const char *id)
{
	return (unsigned)k < POL_KIND_MAX ? idmap_get(m->ids[k], id) : -1;
}

uint32_t pol_model_count(const struct pol_model *m, enum pol_kind k)
{
	const pb_policy *p = m->p;

	switch (k) {
	case POL_KIND_TENANT:
		return (uint32_t)p->n_tenants;
	case POL_KIND_APP:
		return (uint32_t)p->n_apps;
	case POL_KIND_PROJECT:
		return (uint32_t)p->n_projects;
	case POL_KIND_TEAM:
		return (uint32_t)p->n_teams;
	case POL_KIND_AGENT:
		return (uint32_t)p->n_agents;
	case POL_KIND_TRUST:
		return (uint32_t)p->n_trustrelationships;
	case POL_KIND_RULESET:
		return (uint32_t)p->n_contentrulesets;
	default:
		return 0;
	}
}
