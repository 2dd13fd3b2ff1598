/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_model.h - desired policy state, indexed and validated: the objects of
 * a slimbridge.control.v1.Policy (tenants, apps, projects, teams, agents,
 * trust relationships, content rule sets) with every reference resolved.
 *
 * A model is immutable once built; the control process builds a new one for
 * every change (Apply, Create, Update, Delete) and keeps the old one if the
 * new one does not validate. Semantics of the fields: docs/policy.md.
 *
 * Thread context: any; a model is read-only after pol_model_new.
 */
#ifndef SB_POL_MODEL_H
#define SB_POL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

typedef Slimbridge__Control__V1__Policy pb_policy;
typedef Slimbridge__Control__V1__Tenant pb_tenant;
typedef Slimbridge__Control__V1__App pb_app;
typedef Slimbridge__Control__V1__Project pb_project;
typedef Slimbridge__Control__V1__Team pb_team;
typedef Slimbridge__Control__V1__Agent pb_agent;
typedef Slimbridge__Control__V1__TrustRelationship pb_trust;
typedef Slimbridge__Control__V1__ContentRuleSet pb_ruleset;
typedef Slimbridge__Control__V1__OrgRule pb_orgrule;
typedef Slimbridge__Control__V1__ScopeSlimConfig pb_scope;
typedef Slimbridge__Control__V1__Object pb_object;

/* Object kinds, as the CLI and the store spell them. */
enum pol_kind {
	POL_KIND_TENANT = 0,
	POL_KIND_APP,
	POL_KIND_PROJECT,
	POL_KIND_TEAM,
	POL_KIND_AGENT,
	POL_KIND_TRUST,
	POL_KIND_RULESET,
	POL_KIND_MAX,
};

/* pol_kind_name returns "tenant", "app", ..., "trust", "ruleset". */
const char *pol_kind_name(enum pol_kind k);

/* pol_kind_parse maps a name (also plural and the proto field names) to a kind; -1 if unknown. */
int pol_kind_parse(const char *s);

struct pol_idmap;
struct pol_rules;

/* Resolved references, by index into the Policy's arrays (-1: none). */
struct pol_agent_ref {
	int32_t tenant;
	int32_t app;
	int32_t project;
	int32_t team;
};

struct pol_model {
	pb_policy *p;				/* owned */
	struct pol_idmap *ids[POL_KIND_MAX];	/* id -> index */
	int32_t *app_tenant;			/* per app */
	struct pol_agent_ref *agent;		/* per agent */
	int32_t *trust_tenant;			/* per trust */
	struct pol_rules *rules;		/* content rule sets, compiled (pol_rules.h) */
};

/*
 * pol_model_new validates |p| and indexes it. On success the model owns |p|
 * (freed by pol_model_free) and is returned. On failure returns NULL, writes
 * one line to |err| ("agent 'a1': project 'p9' does not exist", "project
 * 'p1': slimConfig.allowedOrganizations[0]: bad wildcard ('*' only at the
 * end) in 'external:*corp'", "ruleset 'pii': rules[2].pattern: Missing
 * close parenthesis for group started at index 3.", ...) and leaves |p|
 * with the caller. Validation compiles the content rule sets with
 * hyperscan (pol_rules.h): a pattern hyperscan refuses is a validation
 * error.
 */
struct pol_model *pol_model_new(pb_policy *p, char *err, size_t errlen);

/* pol_model_free frees |m| and its policy. Accepts NULL. */
void pol_model_free(struct pol_model *m);

/* pol_model_find returns the index of object |id| of kind |k|, or -1. */
int32_t pol_model_find(const struct pol_model *m, enum pol_kind k, const char *id);

/* pol_model_count returns the number of objects of kind |k|. */
uint32_t pol_model_count(const struct pol_model *m, enum pol_kind k);

/*
 * pol_org_valid checks an organisation pattern: "*", "internal:SLUG",
 * "external:SLUG", or either prefix followed by a slug prefix and one
 * trailing '*' ("external:partner-*", "internal:*"). With |concrete| no
 * wildcard is allowed. Returns true, or false with the reason in |why|.
 */
bool pol_org_valid(const char *org, bool concrete, const char **why);

/* pol_org_match tests organisation |org| (concrete) against |pattern|. */
bool pol_org_match(const char *pattern, const char *org);

/*
 * pol_object_kind returns the kind of a oneof Object and sets |*id| to its
 * id (NULL if unset); -1 if no member is set.
 */
int pol_object_kind(const pb_object *o, const char **id);

#endif
