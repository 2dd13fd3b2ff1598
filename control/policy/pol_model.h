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
	size_t cap[POL_KIND_MAX];		/* entries allocated in p's array of each kind
					 * (and in agent[]), for pol_model_edit */
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

/*
 * In-place edits. A single object's create, update or delete that does not
 * change the model's structure is applied to the model itself instead of
 * rebuilding it from every object (which costs seconds at a million
 * agents); pol_db_patch (pol_compile.h) then patches the compiled image
 * from the edit record.
 *
 * What is applied in place (everything else answers -EAGAIN: assemble a
 * candidate model with pol_model_new, which also validates it):
 *   agent    create, update, delete;
 *   project  create; update keeping its app; delete when no agent is in it;
 *   team     the same as project;
 *   trust    update keeping its tenant and organization;
 *   tenant   update changing only settings.slim.capabilityEnabled,
 *            defaultDirectoryVisibility and fields the policy does not read
 *            (not trustDomain, local, allowed or blocked organizations).
 * An in-place edit is validated exactly as pol_model_new would validate the
 * whole model with it (same one-line messages).
 *
 * Indices: a created object is appended (index = the old count). A deleted
 * object's index is taken by the last object of its kind (swap-remove), and
 * references to the moved object are renumbered. An updated object keeps
 * its index.
 */
struct pol_edit {
	enum pol_kind kind;
	int32_t idx;			/* index after the edit; -1 when deleted */
	int32_t old_idx;		/* index before the edit; -1 when created */
	int32_t moved_from;		/* delete: the old index of the object moved into
					 * old_idx (the last one), -1 if none moved */
	struct pol_agent_ref old_ref;	/* agent update or delete: its references before */
};

/*
 * pol_model_edit_check tells whether putting |obj| (a message of kind |k|:
 * pb_tenant, pb_agent, ...; NULL with |id| to delete object |id|) can be
 * applied in place: 0 if it can and the result is valid; -EINVAL with one
 * line in |err| if the result would not validate (e.g. "agent 'a1': project
 * 'p9' does not exist", "cannot delete project 'p1': agent 'a3' is in it");
 * -ENOENT if |id| does not exist for a delete; -EAGAIN if only a full
 * rebuild can apply it. The model is not changed.
 */
int pol_model_edit_check(const struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
			 const char *id, char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * pol_model_edit applies what pol_model_edit_check accepted (call it right
 * after, on the same model): a deep copy of |obj| is stored (the caller
 * keeps |obj|), the replaced or deleted object is freed, and |e| describes
 * what moved. It checks the edit again first (one object; a scan of the
 * agents for a project or team delete), so a call without the check cannot
 * corrupt the model. Returns 0; what pol_model_edit_check returns, with
 * nothing changed; or -ENOMEM with the model unchanged.
 */
int pol_model_edit(struct pol_model *m, enum pol_kind k, const ProtobufCMessage *obj,
		   const char *id, struct pol_edit *e) __attribute__((warn_unused_result));

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
