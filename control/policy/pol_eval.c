/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_eval.c - the reference evaluator. Written for clarity, not speed:
 * every question walks the model's lists. The order of the checks is the
 * order of docs/policy.md and of the compiled tables.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pol_eval.h"
#include "policy.h"

/* The texts live with the data plane's decisions: one table for both processes. */
const char *pol_reason_text(unsigned reason)
{
	return policy_reason_text(reason);
}

const char *pol_level_name(unsigned level)
{
	return policy_level_name(level);
}

bool pol_org_of(const struct pol_model *m, int32_t local, int32_t peer, char *buf, size_t len)
{
	const struct pol_agent_ref *l = &m->agent[local], *p = &m->agent[peer];

	if (l->app == p->app) {
		snprintf(buf, len, "internal:%s", m->p->apps[p->app]->id);
		return false;
	}
	if (l->tenant == p->tenant) {
		snprintf(buf, len, "internal:%s", m->p->apps[p->app]->id);
	} else {
		snprintf(buf, len, "external:%s", m->p->tenants[p->tenant]->id);
	}
	return true;
}

enum step {
	PASS,
	MAYBE,
	DENY,
};

static bool has_perm(char **perms, size_t n, enum sb_pol_op op)
{
	const char *want = op == SB_POL_OP_TASK ? "task" : "query";

	if (n == 0) {
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(perms[i], want) == 0) {
			return true;
		}
	}
	return false;
}

static bool in_list(char **list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], id) == 0) {
			return true;
		}
	}
	return false;
}

/* Project and team allowedOrganizations: the organisation, the operation, the peer agent. */
static enum step org_rules(const struct pol_model *m, const pb_scope *sc, const char *org,
			   enum sb_pol_op op, int32_t peer, uint8_t *reason)
{
	bool maybe = false;

	*reason = SB_POL_REASON_ORG_NOT_ALLOWED;
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		const pb_orgrule *r = sc->allowedorganizations[i];

		if (!pol_org_match(r->organization, org)) {
			continue;
		}
		if (!has_perm(r->permissions, r->n_permissions, op)) {
			if (*reason == SB_POL_REASON_ORG_NOT_ALLOWED) {
				*reason = SB_POL_REASON_OP_NOT_PERMITTED;
			}
			continue;
		}
		if (r->n_agents == 0) {
			return PASS;
		}
		if (peer < 0) {
			maybe = true;
			continue;
		}
		if (in_list(r->agents, r->n_agents, m->p->agents[peer]->id)) {
			return PASS;
		}
		*reason = SB_POL_REASON_AGENT_NOT_ALLOWED;
	}
	return maybe ? MAYBE : DENY;
}

static enum step targets(const struct pol_model *m,
			 const Slimbridge__Control__V1__AgentSlimConfig *sc, const char *org,
			 int32_t peer)
{
	bool maybe = false;

	for (size_t i = 0; i < sc->n_allowedtargets; i++) {
		const Slimbridge__Control__V1__TargetRule *t = sc->allowedtargets[i];
		bool ns_any = t->namespace_ == NULL || strcmp(t->namespace_, "*") == 0;
		bool ag_any = t->n_agents == 0;

		if (!pol_org_match(t->organization, org)) {
			continue;
		}
		if (ns_any && ag_any) {
			return PASS;
		}
		if (peer < 0) {
			maybe = true;
			continue;
		}
		if (!ns_any) {
			const char *pns = m->p->agents[peer]->namespace_;

			if (pns == NULL || strcmp(pns, t->namespace_) != 0) {
				continue;
			}
		}
		if (ag_any || in_list(t->agents, t->n_agents, m->p->agents[peer]->id)) {
			return PASS;
		}
	}
	return maybe ? MAYBE : DENY;
}

static bool callers(const Slimbridge__Control__V1__AgentSlimConfig *sc, const char *org,
		    enum sb_pol_op op)
{
	for (size_t i = 0; i < sc->n_allowedcallers; i++) {
		const Slimbridge__Control__V1__CallerRule *c = sc->allowedcallers[i];

		if (pol_org_match(c->organization, org) &&
		    has_perm(c->permissions, c->n_permissions, op)) {
			return true;
		}
	}
	return false;
}

static bool any_match(char **patterns, size_t n, const char *org)
{
	for (size_t i = 0; i < n; i++) {
		if (pol_org_match(patterns[i], org)) {
			return true;
		}
	}
	return false;
}

/* The trust step: an established relationship of |tenant| with external |org|. */
static bool trust_ok(const struct pol_model *m, int32_t tenant, const char *org, uint8_t *reason)
{
	const pb_policy *p = m->p;

	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		const pb_trust *t = p->trustrelationships[i];

		if (m->trust_tenant[i] != tenant || strcmp(t->organization, org) != 0) {
			continue;
		}
		if (t->state != NULL && strcmp(t->state, "established") == 0) {
			return true;
		}
		*reason = SB_POL_REASON_TRUST_NOT_ESTABLISHED;
		return false;
	}
	*reason = SB_POL_REASON_NO_TRUST;
	return false;
}

static bool internal_org_known(const struct pol_model *m, int32_t tenant, const char *org)
{
	int32_t app = pol_model_find(m, POL_KIND_APP, org + 9);

	return app >= 0 && m->app_tenant[app] == tenant;
}

/* The organisation's name into a result (truncated as snprintf would; no format parsing per call). */
static void copy_org(char out[POL_ORG_MAX], const char *org)
{
	size_t n = strnlen(org, POL_ORG_MAX - 1);

	memcpy(out, org, n);
	out[n] = '\0';
}

void pol_eval(const struct pol_model *m, int32_t local, int32_t peer, const char *org,
	      enum sb_pol_dir dir, enum sb_pol_op op, unsigned flags, struct pol_result *r)
{
	const pb_policy *p = m->p;
	const struct pol_agent_ref *ref = &m->agent[local];
	const pb_tenant *t = p->tenants[ref->tenant];
	const Slimbridge__Control__V1__TenantSlim *ts = t->settings != NULL ? t->settings->slim : NULL;
	const pb_agent *a = p->agents[local];
	const Slimbridge__Control__V1__AgentSlimConfig *asc = a->slimconfig;
	bool cond = false;
	uint8_t reason;
	enum step s;

	copy_org(r->org, org);
	r->allowed = false;
	r->cond = false;

#define DENY_AT(lvl, rsn) \
	do { \
		r->level = SB_POL_LEVEL_##lvl; \
		r->reason = (rsn); \
		goto denied; \
	} while (0)

	/* 1. Tenant: the kill switch, then blocked and allowed organisations. */
	/* A tenant this bridge does not serve (local: false) has no SLIM capability here. */
	if (!(flags & POL_EVAL_SKIP_DYNAMIC) &&
	    ((t->has_local && !t->local) || ts == NULL || !ts->capabilityenabled)) {
		DENY_AT(TENANT, SB_POL_REASON_TENANT_DISABLED);
	}
	if (ts != NULL && any_match(ts->blockedorganizations, ts->n_blockedorganizations, org)) {
		DENY_AT(TENANT, SB_POL_REASON_ORG_BLOCKED);
	}
	if (ts != NULL && ts->n_allowedorganizations > 0 &&
	    !any_match(ts->allowedorganizations, ts->n_allowedorganizations, org)) {
		DENY_AT(TENANT, SB_POL_REASON_ORG_NOT_ALLOWED);
	}
	/* 2. Trust: external organisations need an established relationship. */
	if (!(flags & POL_EVAL_SKIP_DYNAMIC)) {
		if (strncmp(org, "external:", 9) == 0) {
			if (!trust_ok(m, ref->tenant, org, &reason)) {
				DENY_AT(TRUST, reason);
			}
		} else if (!internal_org_known(m, ref->tenant, org)) {
			DENY_AT(TENANT, SB_POL_REASON_UNKNOWN_ORG);
		}
	}
	/* 3. Project: SLIM is enabled per project, for the organisations it lists. */
	if (ref->project < 0) {
		DENY_AT(PROJECT, SB_POL_REASON_NO_PROJECT);
	} else {
		const pb_scope *sc = p->projects[ref->project]->slimconfig;

		if (sc == NULL || !sc->enabled) {
			DENY_AT(PROJECT, SB_POL_REASON_PROJECT_DISABLED);
		}
		s = org_rules(m, sc, org, op, peer, &reason);
		if (s == DENY) {
			DENY_AT(PROJECT, reason);
		}
		cond |= s == MAYBE;
	}
	/* 4. Team: bulk settings, only where the team has a slimConfig. */
	if (ref->team >= 0 && p->teams[ref->team]->slimconfig != NULL) {
		const pb_scope *sc = p->teams[ref->team]->slimconfig;

		if (!sc->enabled) {
			DENY_AT(TEAM, SB_POL_REASON_TEAM_DISABLED);
		}
		if (sc->n_allowedorganizations > 0) {
			s = org_rules(m, sc, org, op, peer, &reason);
			if (s == DENY) {
				DENY_AT(TEAM, reason);
			}
			cond |= s == MAYBE;
		}
	}
	/* 5. Agent. */
	if (asc == NULL || !asc->enabled) {
		DENY_AT(AGENT, SB_POL_REASON_AGENT_DISABLED);
	}
	if (dir == SB_POL_OUTBOUND) {
		if (!asc->outbound) {
			DENY_AT(AGENT, SB_POL_REASON_OUTBOUND_DISABLED);
		}
		if (asc->n_allowedtargets > 0) {
			s = targets(m, asc, org, peer);
			if (s == DENY) {
				DENY_AT(AGENT, SB_POL_REASON_TARGET_NOT_ALLOWED);
			}
			cond |= s == MAYBE;
		}
	} else {
		if (!asc->inbound) {
			DENY_AT(AGENT, SB_POL_REASON_INBOUND_DISABLED);
		}
		if (asc->n_allowedcallers > 0 && !callers(asc, org, op)) {
			DENY_AT(AGENT, SB_POL_REASON_CALLER_NOT_ALLOWED);
		}
	}
#undef DENY_AT
	if (cond) {
		r->cond = true;
		r->level = SB_POL_LEVEL_NONE;
		r->reason = SB_POL_REASON_ALLOWED;
		return;
	}
	r->allowed = true;
	r->level = SB_POL_LEVEL_NONE;
	r->reason = SB_POL_REASON_ALLOWED;
	return;
denied:
	/* A later denial after a peer-dependent pass still depends on the peer. */
	r->cond = cond;
}

int pol_slim_required(const struct pol_model *m, const char *src, const char *dst,
		      struct pol_result *r, bool *required, const char **missing)
{
	int32_t s = pol_model_find(m, POL_KIND_AGENT, src);
	int32_t d = pol_model_find(m, POL_KIND_AGENT, dst);

	if (s < 0 || d < 0) {
		*missing = s < 0 ? src : dst;
		return -ENOENT;
	}
	*required = pol_org_of(m, s, d, r->org, sizeof(r->org));
	r->allowed = true;
	r->cond = false;
	r->level = SB_POL_LEVEL_NONE;
	r->reason = *required ? SB_POL_REASON_ALLOWED : SB_POL_REASON_NOT_REQUIRED;
	return 0;
}

int pol_check(const struct pol_model *m, const char *src, const char *dst, const char *org,
	      enum sb_pol_dir dir, enum sb_pol_op op, struct pol_result *r,
	      const char **missing)
{
	int32_t s = pol_model_find(m, POL_KIND_AGENT, src);
	int32_t d = pol_model_find(m, POL_KIND_AGENT, dst);
	int32_t local, peer;
	char derived[POL_ORG_MAX];
	const char *why;

	if (s < 0 || d < 0) {
		*missing = s < 0 ? src : dst;
		return -ENOENT;
	}
	if (org != NULL && org[0] != '\0' && !pol_org_valid(org, true, &why)) {
		return -EINVAL;
	}
	local = dir == SB_POL_OUTBOUND ? s : d;
	peer = dir == SB_POL_OUTBOUND ? d : s;
	if (!pol_org_of(m, local, peer, derived, sizeof(derived))) {
		copy_org(r->org, derived);
		r->allowed = true;
		r->cond = false;
		r->level = SB_POL_LEVEL_NONE;
		r->reason = SB_POL_REASON_NOT_REQUIRED;
		return 0;
	}
	pol_eval(m, local, peer, org != NULL && org[0] != '\0' ? org : derived, dir, op, 0, r);
	return 0;
}
