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

/*
 * Open addressing with linear probing, at most half full. The ids point into
 * the objects, so an update re-points its entry (idmap_set) before the old
 * object is freed. Deletion shifts the following run back instead of leaving
 * tombstones, so lookups stay short after many in-place deletes.
 */
struct pol_idmap {
	uint32_t mask;
	uint32_t count;
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

static uint32_t idmap_home(const struct pol_idmap *m, const char *id)
{
	return (uint32_t)XXH64(id, strlen(id), 0) & m->mask;
}

/* idmap_slot returns the slot holding |id|, or -1. */
static int64_t idmap_slot(const struct pol_idmap *m, const char *id)
{
	uint32_t i;

	if (m == NULL || id == NULL) {
		return -1;
	}
	for (i = idmap_home(m, id); m->slot[i].id != NULL; i = (i + 1) & m->mask) {
		if (strcmp(m->slot[i].id, id) == 0) {
			return i;
		}
	}
	return -1;
}

/* idmap_put returns the index already present for |id|, or -1 after inserting. */
static int32_t idmap_put(struct pol_idmap *m, const char *id, int32_t idx)
{
	uint32_t i = idmap_home(m, id);

	while (m->slot[i].id != NULL) {
		if (strcmp(m->slot[i].id, id) == 0) {
			return m->slot[i].idx;
		}
		i = (i + 1) & m->mask;
	}
	m->slot[i].id = id;
	m->slot[i].idx = idx;
	m->count++;
	return -1;
}

static int32_t idmap_get(const struct pol_idmap *m, const char *id)
{
	int64_t i = idmap_slot(m, id);

	return i < 0 ? -1 : m->slot[i].idx;
}

/* idmap_set points the entry of |id| (present) at |id| itself and |idx|. */
static void idmap_set(struct pol_idmap *m, const char *id, int32_t idx)
{
	int64_t i = idmap_slot(m, id);

	if (i >= 0) {
		m->slot[i].id = id;
		m->slot[i].idx = idx;
	}
}

/* idmap_del removes |id| (if present) by backward-shift deletion. */
static void idmap_del(struct pol_idmap *m, const char *id)
{
	int64_t s = idmap_slot(m, id);
	uint32_t i, j;

	if (s < 0) {
		return;
	}
	i = (uint32_t)s;
	for (j = (i + 1) & m->mask; m->slot[j].id != NULL; j = (j + 1) & m->mask) {
		uint32_t h = idmap_home(m, m->slot[j].id);

		/* It stays unless its home is not cyclically in (i, j]: then the hole breaks its probe run. */
		if (((j - h) & m->mask) >= ((j - i) & m->mask)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].id = NULL;
	m->slot[i].idx = 0;
	m->count--;
}

/* idmap_reserve makes room for one more id (rehashing into twice the slots). Returns 0 or -ENOMEM. */
static int idmap_reserve(struct pol_idmap **mp)
{
	struct pol_idmap *m = *mp, *g;
	size_t cap = (size_t)m->mask + 1;

	if (((size_t)m->count + 1) * 2 <= cap) {
		return 0;
	}
	g = idmap_new(cap);
	if (g == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < cap; i++) {
		if (m->slot[i].id != NULL) {
			idmap_put(g, m->slot[i].id, m->slot[i].idx);
		}
	}
	free(m);
	*mp = g;
	return 0;
}

/* ---------------------------------------------------------------- objects by kind */

/* One kind's array in the Policy, reached without knowing its message type. */
struct kind_ops {
	const ProtobufCMessageDescriptor *desc;
	size_t n_off;						/* offsetof(pb_policy, n_...) */
	ProtobufCMessage *(*get)(const pb_policy *p, size_t i);
	void (*set)(pb_policy *p, size_t i, ProtobufCMessage *o);
	int (*resize)(pb_policy *p, size_t cap);		/* 0 or -ENOMEM */
	const char *(*id)(const ProtobufCMessage *o);
};

#define KIND_OPS(name, T, field) \
	static ProtobufCMessage *name##_get(const pb_policy *p, size_t i) \
	{ \
		return &p->field[i]->base; \
	} \
	static void name##_set(pb_policy *p, size_t i, ProtobufCMessage *o) \
	{ \
		p->field[i] = (T *)o; \
	} \
	static int name##_resize(pb_policy *p, size_t cap) \
	{ \
		T **a = realloc(p->field, cap * sizeof(*a)); \
		if (a == NULL) { \
			return -ENOMEM; \
		} \
		p->field = a; \
		return 0; \
	} \
	static const char *name##_id(const ProtobufCMessage *o) \
	{ \
		return ((const T *)o)->id; \
	}
KIND_OPS(tenant, pb_tenant, tenants)
KIND_OPS(app, pb_app, apps)
KIND_OPS(project, pb_project, projects)
KIND_OPS(team, pb_team, teams)
KIND_OPS(agent, pb_agent, agents)
KIND_OPS(trust, pb_trust, trustrelationships)
KIND_OPS(ruleset, pb_ruleset, contentrulesets)

#define KIND(K, name, desc, field) \
	[K] = {&desc, offsetof(pb_policy, field), name##_get, name##_set, name##_resize, name##_id}
static const struct kind_ops kops[POL_KIND_MAX] = {
	KIND(POL_KIND_TENANT, tenant, slimbridge__control__v1__tenant__descriptor, n_tenants),
	KIND(POL_KIND_APP, app, slimbridge__control__v1__app__descriptor, n_apps),
	KIND(POL_KIND_PROJECT, project, slimbridge__control__v1__project__descriptor, n_projects),
	KIND(POL_KIND_TEAM, team, slimbridge__control__v1__team__descriptor, n_teams),
	KIND(POL_KIND_AGENT, agent, slimbridge__control__v1__agent__descriptor, n_agents),
	KIND(POL_KIND_TRUST, trust, slimbridge__control__v1__trust_relationship__descriptor,
	     n_trustrelationships),
	KIND(POL_KIND_RULESET, ruleset, slimbridge__control__v1__content_rule_set__descriptor,
	     n_contentrulesets),
};

static size_t *kind_n(pb_policy *p, enum pol_kind k)
{
	return (size_t *)((char *)p + kops[k].n_off);
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

static int index_kind(struct vctx *v, struct pol_model *m, enum pol_kind k)
{
	size_t n = *kind_n(m->p, k);

	m->ids[k] = idmap_new(n);
	if (m->ids[k] == NULL) {
		return fail(v, "out of memory");
	}
	m->cap[k] = n;
	for (size_t i = 0; i < n; i++) {
		const char *id = kops[k].id(kops[k].get(m->p, i));

		if (check_id(v, kind_names[k], id) < 0) {
			return -EINVAL;
		}
		if (idmap_put(m->ids[k], id, (int32_t)i) >= 0) {
			return fail(v, "duplicate %s id '%s'", kind_names[k], id);
		}
	}
	return 0;
}

/*
 * One object each, against the model's id maps (and, for an agent, its
 * app_tenant): validate() runs them over every object and
 * pol_model_edit_check over the one edited, so that both give the same
 * verdict and message.
 */
static int validate_tenant(struct vctx *v, const pb_tenant *t)
{
	const Slimbridge__Control__V1__TenantSlim *s = t->settings != NULL ? t->settings->slim : NULL;
	char what[256];

	if (t->trustdomain != NULL) {
		for (const char *c = t->trustdomain; *c != '\0'; c++) {
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
			      *c == '.' || *c == '_')) {
				return fail(v, "tenant '%s': trustDomain '%s' may hold only lowercase a-z 0-9 - . _",
					    t->id, t->trustdomain);
			}
		}
	}
	if (s == NULL) {
		return 0;
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
	return check_one_of(v, what, s->defaultdirectoryvisibility, vis_ok);
}

static int validate_app(struct vctx *v, const struct pol_model *m, const pb_app *a,
			int32_t *tenant)
{
	return ref(v, m, "app", a->id, "tenant", POL_KIND_TENANT, a->tenant, true, tenant);
}

static int validate_project(struct vctx *v, const struct pol_model *m, const pb_project *pr)
{
	int32_t x;

	if (ref(v, m, "project", pr->id, "app", POL_KIND_APP, pr->app, true, &x) < 0 ||
	    ref(v, m, "project", pr->id, "contentRuleSet", POL_KIND_RULESET, pr->contentruleset,
		false, &x) < 0) {
		return -EINVAL;
	}
	return check_scope(v, "project", pr->id, pr->slimconfig);
}

static int validate_team(struct vctx *v, const struct pol_model *m, const pb_team *t)
{
	int32_t x;

	if (ref(v, m, "team", t->id, "app", POL_KIND_APP, t->app, true, &x) < 0) {
		return -EINVAL;
	}
	return check_scope(v, "team", t->id, t->slimconfig);
}

/* validate_agent also resolves the agent's references into |r|. */
static int validate_agent(struct vctx *v, const struct pol_model *m, const pb_agent *a,
			  struct pol_agent_ref *r)
{
	const pb_policy *p = m->p;
	const Slimbridge__Control__V1__AgentSlimConfig *sc = a->slimconfig;
	char what[256];

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
		return fail(v, "agent '%s': team '%s' belongs to app '%s', not '%s'", a->id, a->team,
			    p->teams[r->team]->app, a->app);
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
		return 0;
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
		return check_one_of(v, what, sc->directoryregistration->visibility, vis_ok);
	}
	return 0;
}

/* validate_trust checks one relationship (not the one-per-(tenant, organisation) rule). */
static int validate_trust(struct vctx *v, const struct pol_model *m, const pb_trust *t,
			  int32_t *tenant)
{
	static const char *const transports[] = {"grpc", "https", NULL};
	static const char *const states[] = {"pending", "established", "suspended", "revoked", NULL};
	char what[256];
	int32_t rs;

	if (ref(v, m, "trust", t->id, "tenant", POL_KIND_TENANT, t->tenant, true, tenant) < 0 ||
	    ref(v, m, "trust", t->id, "contentRuleSet", POL_KIND_RULESET, t->contentruleset, false,
		&rs) < 0) {
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
	return 0;
}

static int validate_ruleset(struct vctx *v, const pb_ruleset *rs)
{
	static const char *const actions[] = {"block", "audit", NULL};
	char what[256];

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

/* One relationship per (tenant, organisation): sorted, so n log n for 100k trusts. */
static int check_trust_pairs(struct vctx *v, const pb_policy *p)
{
	size_t n = p->n_trustrelationships;
	uint32_t *ord;

	if (n < 2) {
		return 0;
	}
	ord = malloc(n * sizeof(*ord));
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
	return 0;
}

static int validate(struct vctx *v, struct pol_model *m)
{
	pb_policy *p = m->p;

	for (int k = 0; k < POL_KIND_MAX; k++) {
		if (index_kind(v, m, (enum pol_kind)k) < 0) {
			return -EINVAL;
		}
	}
	m->app_tenant = calloc(p->n_apps + 1, sizeof(*m->app_tenant));
	m->agent = calloc(p->n_agents + 1, sizeof(*m->agent));
	m->trust_tenant = calloc(p->n_trustrelationships + 1, sizeof(*m->trust_tenant));
	if (m->app_tenant == NULL || m->agent == NULL || m->trust_tenant == NULL) {
		return fail(v, "out of memory");
	}
	for (size_t i = 0; i < p->n_tenants; i++) {
		if (validate_tenant(v, p->tenants[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_apps; i++) {
		if (validate_app(v, m, p->apps[i], &m->app_tenant[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_projects; i++) {
		if (validate_project(v, m, p->projects[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_teams; i++) {
		if (validate_team(v, m, p->teams[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_agents; i++) {
		if (validate_agent(v, m, p->agents[i], &m->agent[i]) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		if (validate_trust(v, m, p->trustrelationships[i], &m->trust_tenant[i]) < 0) {
			return -EINVAL;
		}
	}
	if (check_trust_pairs(v, p) < 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_contentrulesets; i++) {
		if (validate_ruleset(v, p->contentrulesets[i]) < 0) {
			return -EINVAL;
		}
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

/* ---------------------------------------------------------------- in-place edits */

static bool str_eq(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool list_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb) {
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		if (!str_eq(a[i], b[i])) {
			return false;
		}
	}
	return true;
}

/*
 * tenant_same_shape: |a| and |b| agree on everything the compiled policy
 * reads of a tenant other than the kill switch and the directory visibility.
 * Absent settings or slim are empty lists; an absent local is has_local 0.
 */
static bool tenant_same_shape(const pb_tenant *a, const pb_tenant *b)
{
	const Slimbridge__Control__V1__TenantSlim *x = a->settings != NULL ? a->settings->slim : NULL;
	const Slimbridge__Control__V1__TenantSlim *y = b->settings != NULL ? b->settings->slim : NULL;

	return str_eq(a->trustdomain, b->trustdomain) && !a->has_local == !b->has_local &&
	       (!a->has_local || !a->local == !b->local) &&
	       list_eq(x != NULL ? x->allowedorganizations : NULL,
		       x != NULL ? x->n_allowedorganizations : 0,
		       y != NULL ? y->allowedorganizations : NULL,
		       y != NULL ? y->n_allowedorganizations : 0) &&
	       list_eq(x != NULL ? x->blockedorganizations : NULL,
		       x != NULL ? x->n_blockedorganizations : 0,
		       y != NULL ? y->blockedorganizations : NULL,
		       y != NULL ? y->n_blockedorganizations : 0);
}

/* A project or team can go only when no agent is in it (the first one found is named). */
static int check_unused(struct vctx *v, const struct pol_model *m, enum pol_kind k, int32_t idx)
{
	const pb_policy *p = m->p;

	for (size_t i = 0; i < p->n_agents; i++) {
		const struct pol_agent_ref *r = &m->agent[i];

		if ((k == POL_KIND_PROJECT ? r->project : r->team) == idx) {
			return fail(v, "cannot delete %s '%s': agent '%s' is in it", kind_names[k],
				    kops[k].id(kops[k].get(p, (size_t)idx)), p->agents[i]->id);
		}
	}
	return 0;
}

/*
 * check is pol_model_edit_check, also telling the object's current index
 * (|*idx|, -1 for a creation) and, for an agent put, its resolved references.
 */
static int check(const struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
		 const char *id, struct vctx *v, int32_t *idx, struct pol_agent_ref *r)
{
	const pb_policy *p = m->p;
	int32_t x;

	*idx = -1;
	if ((unsigned)k >= POL_KIND_MAX) {
		return fail(v, "unknown object kind %d", (int)k);
	}
	if (obj == NULL) {
		*idx = idmap_get(m->ids[k], id);
		if (*idx < 0) {
			fail(v, "%s '%s' does not exist", kind_names[k], id != NULL ? id : "");
			return -ENOENT;
		}
		switch (k) {
		case POL_KIND_AGENT:
			return 0;	/* nothing refers to an agent by index */
		case POL_KIND_PROJECT:
		case POL_KIND_TEAM:
			return check_unused(v, m, k, *idx);
		default:
			return -EAGAIN;
		}
	}
	if (obj->descriptor != kops[k].desc) {
		return fail(v, "%s: wrong message type %s", kind_names[k], obj->descriptor->name);
	}
	*idx = idmap_get(m->ids[k], kops[k].id(obj));
	switch (k) {
	case POL_KIND_TENANT: {
		const pb_tenant *t = (const pb_tenant *)obj;

		if (*idx < 0 || !tenant_same_shape(p->tenants[*idx], t)) {
			return -EAGAIN;
		}
		return validate_tenant(v, t);
	}
	case POL_KIND_PROJECT: {
		const pb_project *pr = (const pb_project *)obj;

		/* Agents in it would have to be checked against the new app. */
		if (*idx >= 0 && !str_eq(p->projects[*idx]->app, pr->app)) {
			return -EAGAIN;
		}
		if (*idx < 0 && check_id(v, "project", pr->id) < 0) {
			return -EINVAL;
		}
		return validate_project(v, m, pr);
	}
	case POL_KIND_TEAM: {
		const pb_team *t = (const pb_team *)obj;

		if (*idx >= 0 && !str_eq(p->teams[*idx]->app, t->app)) {
			return -EAGAIN;
		}
		if (*idx < 0 && check_id(v, "team", t->id) < 0) {
			return -EINVAL;
		}
		return validate_team(v, m, t);
	}
	case POL_KIND_AGENT: {
		const pb_agent *a = (const pb_agent *)obj;

		if (*idx < 0 && check_id(v, "agent", a->id) < 0) {
			return -EINVAL;
		}
		return validate_agent(v, m, a, r);
	}
	case POL_KIND_TRUST: {
		const pb_trust *t = (const pb_trust *)obj;
		const pb_trust *cur = *idx >= 0 ? p->trustrelationships[*idx] : NULL;

		/* Same (tenant, organisation): the one-per-pair rule cannot change. */
		if (cur == NULL || !str_eq(cur->tenant, t->tenant) ||
		    !str_eq(cur->organization, t->organization)) {
			return -EAGAIN;
		}
		return validate_trust(v, m, t, &x);
	}
	default:
		return -EAGAIN;
	}
}

int pol_model_edit_check(const struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
			 const char *id, char *err, size_t errlen)
{
	struct vctx v = {.err = err, .errlen = errlen};
	struct pol_agent_ref r;
	int32_t idx;

	if (errlen > 0) {
		err[0] = '\0';
	}
	return check(m, k, obj, id, &v, &idx, &r);
}

/* msg_dup returns a deep copy of |o| (freed with protobuf_c_message_free_unpacked), or NULL. */
static ProtobufCMessage *msg_dup(const ProtobufCMessage *o)
{
	size_t n = protobuf_c_message_get_packed_size(o);
	uint8_t *buf = malloc(n > 0 ? n : 1);
	ProtobufCMessage *c;

	if (buf == NULL) {
		return NULL;
	}
	protobuf_c_message_pack(o, buf);
	c = protobuf_c_message_unpack(o->descriptor, NULL, n, buf);
	free(buf);
	return c;
}

/* Delete the object at |idx|: the last one of its kind takes its place. Cannot fail. */
static void edit_delete(struct pol_model *m, enum pol_kind k, int32_t idx, struct pol_edit *e)
{
	const struct kind_ops *o = &kops[k];
	pb_policy *p = m->p;
	size_t *n = kind_n(p, k);
	int32_t last = (int32_t)*n - 1;
	ProtobufCMessage *gone = o->get(p, (size_t)idx);

	idmap_del(m->ids[k], o->id(gone));
	if (k == POL_KIND_AGENT) {
		e->old_ref = m->agent[idx];
	}
	if (idx != last) {
		ProtobufCMessage *moved = o->get(p, (size_t)last);

		o->set(p, (size_t)idx, moved);
		idmap_set(m->ids[k], o->id(moved), idx);
		if (k == POL_KIND_AGENT) {
			m->agent[idx] = m->agent[last];
		} else if (k == POL_KIND_PROJECT || k == POL_KIND_TEAM) {
			for (size_t i = 0; i < p->n_agents; i++) {
				int32_t *x = k == POL_KIND_PROJECT ? &m->agent[i].project :
								     &m->agent[i].team;

				if (*x == last) {
					*x = idx;
				}
			}
		}
		e->moved_from = last;
	}
	o->set(p, (size_t)last, NULL);
	(*n)--;
	protobuf_c_message_free_unpacked(gone, NULL);
	e->idx = -1;
	e->old_idx = idx;
}

/* Append |c|: every allocation first, so -ENOMEM changes nothing that shows. */
static int edit_append(struct pol_model *m, enum pol_kind k, ProtobufCMessage *c,
		       const struct pol_agent_ref *r, struct pol_edit *e)
{
	const struct kind_ops *o = &kops[k];
	pb_policy *p = m->p;
	size_t *n = kind_n(p, k);

	if (*n >= INT32_MAX) {
		return -ENOMEM;
	}
	if (*n + 1 > m->cap[k]) {
		size_t cap = m->cap[k] < 8 ? 16 : m->cap[k] * 2;

		/* A grown array that is not used yet is harmless if the next step fails. */
		if (o->resize(p, cap) < 0) {
			return -ENOMEM;
		}
		if (k == POL_KIND_AGENT) {
			struct pol_agent_ref *a = realloc(m->agent, cap * sizeof(*a));

			if (a == NULL) {
				return -ENOMEM;
			}
			m->agent = a;
		}
		m->cap[k] = cap;
	}
	if (idmap_reserve(&m->ids[k]) < 0) {
		return -ENOMEM;
	}
	o->set(p, *n, c);
	idmap_put(m->ids[k], o->id(c), (int32_t)*n);
	if (k == POL_KIND_AGENT) {
		m->agent[*n] = *r;
	}
	e->idx = (int32_t)*n;
	e->old_idx = -1;
	(*n)++;
	return 0;
}

int pol_model_edit(struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
		   const char *id, struct pol_edit *e)
{
	static const struct pol_agent_ref none = {-1, -1, -1, -1};
	char err[64];
	struct vctx v = {.err = err, .errlen = sizeof(err)};
	struct pol_agent_ref r = none;
	ProtobufCMessage *c, *old;
	int32_t idx;
	int rc;

	/* Checked again (one object; a scan of the agents for a project or team delete). */
	rc = check(m, k, obj, id, &v, &idx, &r);
	if (rc < 0) {
		return rc;
	}
	e->kind = k;
	e->moved_from = -1;
	e->old_ref = none;
	if (obj == NULL) {
		edit_delete(m, k, idx, e);
		return 0;
	}
	c = msg_dup(obj);
	if (c == NULL) {
		return -ENOMEM;
	}
	if (idx < 0) {
		rc = edit_append(m, k, c, &r, e);
		if (rc < 0) {
			protobuf_c_message_free_unpacked(c, NULL);
		}
		return rc;
	}
	/* Update: same index; the id map entry points into the object, so it follows. */
	old = kops[k].get(m->p, (size_t)idx);
	kops[k].set(m->p, (size_t)idx, c);
	idmap_set(m->ids[k], kops[k].id(c), idx);
	if (k == POL_KIND_AGENT) {
		e->old_ref = m->agent[idx];
		m->agent[idx] = r;
	}
	protobuf_c_message_free_unpacked(old, NULL);
	e->idx = idx;
	e->old_idx = idx;
	return 0;
}
