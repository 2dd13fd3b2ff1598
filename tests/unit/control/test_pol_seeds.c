/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pol_seeds.c - every permission example of the seeds
 * (shared/seeds/001: "Permission Hierarchy" to "Troubleshooting") on
 * docs/examples/policy.yaml, which holds them as one policy. Each question
 * goes to the reference evaluator (pol_check, pol_slim_required) and to the
 * compiled tables (pol_compile -> snapshot -> policy_decide_burst), and both
 * must give the seeds' answer: allowed, the reason text and blockedAt, as
 * words. Cases the example does not show as such (the kill switch off, a
 * revoked trust, a restricting team, the troubleshooting fixes) change the
 * parsed policy before the model is built. Then the validation errors that
 * docs/policy.md quotes, message for message.
 *
 * Usage: test_pol_seeds [POLICY_YAML]; meson passes docs/examples/policy.yaml.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pbconv.h"
#include "pol_testlib.h"

#ifndef SB_SEEDS_POLICY
#define SB_SEEDS_POLICY "docs/examples/policy.yaml"
#endif

static const char *policy_path = SB_SEEDS_POLICY;
static char *policy_text;
static size_t policy_len;
static unsigned mismatches;

#define OUT SB_POL_OUTBOUND
#define IN SB_POL_INBOUND
#define MSG POLICY_MESSAGE
#define TASK SB_POL_OP_TASK
#define QUERY SB_POL_OP_QUERY

/* Outcomes as the API spells them: allowed, reason, blockedAt. */
#define ALLOWED true, "Allowed", ""
#define SAME_APP true, "Same app: not a SLIM boundary (use A2A)", ""
#define DENIED(reason, level) false, reason, level

/* ---------------------------------------------------------------- the example, parsed and changed */

static pb_policy *parse(const char *yaml, size_t len, char *err, size_t errlen)
{
	ProtobufCMessage *msg = NULL;

	if (pbconv_yaml_parse(yaml, len, &slimbridge__control__v1__policy__descriptor, &msg, err,
			      errlen) != 0) {
		return NULL;
	}
	return (pb_policy *)msg;
}

static pb_policy *load(void)
{
	char err[PBCONV_ERR_MAX];
	pb_policy *p = parse(policy_text, policy_len, err, sizeof(err));

	if (p == NULL) {
		fail_msg("%s:%s", policy_path, err);
	}
	return p;
}

#define FIND(fn, T, field) \
	static T *fn(pb_policy *p, const char *id) \
	{ \
		for (size_t i = 0; i < p->n_##field; i++) { \
			if (strcmp(p->field[i]->id, id) == 0) { \
				return p->field[i]; \
			} \
		} \
		fail_msg("the example has no " #fn " '%s'", id); \
		return NULL; \
	}
FIND(tenant, pb_tenant, tenants)
FIND(project, pb_project, projects)
FIND(team, pb_team, teams)
FIND(agent, pb_agent, agents)
FIND(trust, pb_trust, trustrelationships)
#undef FIND

static void *grow(void *v, size_t n, size_t esz)
{
	void *p = realloc(v, (n + 1) * esz);

	assert_non_null(p);
	return p;
}

static void strv_add(char ***v, size_t *n, const char *s)
{
	*v = grow(*v, *n, sizeof(**v));
	(*v)[*n] = strdup(s);
	assert_non_null((*v)[*n]);
	(*n)++;
}

static void strv_clear(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*v)[i]);
	}
	free(*v);
	*v = NULL;
	*n = 0;
}

static void strv_remove(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i], s) == 0) {
			free((*v)[i]);
			memmove(&(*v)[i], &(*v)[i + 1], (*n - i - 1) * sizeof(**v));
			(*n)--;
			return;
		}
	}
	fail_msg("'%s' is not in the list", s);
}

/* Appends {organization: |org|, permissions: [|perm|]} (no perm: both) to a project or team. */
static void scope_add(pb_scope *sc, const char *org, const char *perm)
{
	pb_orgrule *r = malloc(sizeof(*r));

	assert_non_null(r);
	slimbridge__control__v1__org_rule__init(r);
	r->organization = strdup(org);
	if (perm != NULL) {
		strv_add(&r->permissions, &r->n_permissions, perm);
	}
	sc->allowedorganizations = grow(sc->allowedorganizations, sc->n_allowedorganizations,
					sizeof(*sc->allowedorganizations));
	sc->allowedorganizations[sc->n_allowedorganizations++] = r;
}

static void scope_clear(pb_scope *sc)
{
	for (size_t i = 0; i < sc->n_allowedorganizations; i++) {
		protobuf_c_message_free_unpacked(&sc->allowedorganizations[i]->base, NULL);
	}
	free(sc->allowedorganizations);
	sc->allowedorganizations = NULL;
	sc->n_allowedorganizations = 0;
}

static void target_add(Slimbridge__Control__V1__AgentSlimConfig *sc, const char *org)
{
	Slimbridge__Control__V1__TargetRule *t = malloc(sizeof(*t));

	assert_non_null(t);
	slimbridge__control__v1__target_rule__init(t);
	t->organization = strdup(org);
	sc->allowedtargets = grow(sc->allowedtargets, sc->n_allowedtargets,
				  sizeof(*sc->allowedtargets));
	sc->allowedtargets[sc->n_allowedtargets++] = t;
}

static void trust_remove(pb_policy *p, const char *id)
{
	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		if (strcmp(p->trustrelationships[i]->id, id) == 0) {
			protobuf_c_message_free_unpacked(&p->trustrelationships[i]->base, NULL);
			memmove(&p->trustrelationships[i], &p->trustrelationships[i + 1],
				(p->n_trustrelationships - i - 1) * sizeof(p->trustrelationships[0]));
			p->n_trustrelationships--;
			return;
		}
	}
	fail_msg("the example has no trust '%s'", id);
}

static Slimbridge__Control__V1__TenantSlim *acme(pb_policy *p)
{
	return tenant(p, "tenant-123")->settings->slim;
}

/* ---------------------------------------------------------------- model, tables, questions */

#define world pol_test_world

/* Builds the model (which takes |p|), compiles it and opens a view on the snapshot. */
static void world_open(struct world *w, pb_policy *p)
{
	char err[600];

	if (pol_test_world_open(w, p, err, sizeof(err)) != 0) {
		fail_msg("%s", err);
	}
}

#define world_close pol_test_world_close

static const char *dir_name(unsigned dir)
{
	return dir == OUT ? "outbound" : dir == IN ? "inbound" : "message";
}

static void compare(int line, const char *who, const char *src, const char *dst, unsigned dir,
		    unsigned op, bool got, const char *got_reason, const char *got_level, bool want,
		    const char *want_reason, const char *want_level)
{
	if (got == want && strcmp(got_reason, want_reason) == 0 &&
	    strcmp(got_level, want_level) == 0) {
		return;
	}
	print_error("line %d: %s: %s -> %s %s %s: got %s \"%s\" at \"%s\", want %s \"%s\" at \"%s\"\n",
		    line, who, src, dst, dir_name(dir), op == TASK ? "task" : "query",
		    got ? "allowed" : "denied", got_reason, got_level, want ? "allowed" : "denied",
		    want_reason, want_level);
	mismatches++;
}

/*
 * One question to both implementations. OUTBOUND and INBOUND go to
 * pol_check (CheckPermission); MESSAGE, which pol_check does not answer, to
 * pol_test_reference (pol_check on each local side). Then the same query to
 * the compiled tables.
 */
static void expect(const struct world *w, const char *src, const char *dst, unsigned dir,
		   unsigned op, bool allowed, const char *reason, const char *level, int line)
{
	struct policy_query q;
	struct policy_verdict o;

	if (dir != MSG) {
		struct pol_result r;
		const char *missing = NULL;
		int rc = pol_check(w->m, src, dst, NULL, (enum sb_pol_dir)dir, (enum sb_pol_op)op, &r,
				   &missing);

		if (rc != 0) {
			print_error("line %d: pol_check(%s, %s) returned %d\n", line, src, dst, rc);
			mismatches++;
		} else {
			compare(line, "evaluator", src, dst, dir, op, r.allowed, pol_reason_text(r.reason),
				pol_level_name(r.level), allowed, reason, level);
		}
	} else {
		pol_test_reference(w->m, src, dst, dir, op, &o);
		compare(line, "reference", src, dst, dir, op, o.allowed, pol_reason_text(o.reason),
			pol_level_name(o.level), allowed, reason, level);
	}
	pol_test_query(w->m, src, dst, dir, op, &q);
	(void)policy_decide_burst(&w->v, &q, 1, &o);
	compare(line, "compiled", src, dst, dir, op, o.allowed, policy_reason_text(o.reason),
		policy_level_name(o.level), allowed, reason, level);
}

#define EXPECT(w, src, dst, dir, op, ...) expect(w, src, dst, dir, op, __VA_ARGS__, __LINE__)

/* The organisation pol_check reports (the other side's, seen from the local agent). */
static void expect_org(const struct world *w, const char *src, const char *dst, unsigned dir,
		       const char *org, int line)
{
	struct pol_result r;
	const char *missing = NULL;

	if (pol_check(w->m, src, dst, NULL, (enum sb_pol_dir)dir, TASK, &r, &missing) != 0 ||
	    strcmp(r.org, org) != 0) {
		print_error("line %d: %s -> %s %s: organization \"%s\", want \"%s\"\n", line, src, dst,
			    dir_name(dir), r.org, org);
		mismatches++;
	}
}

#define EXPECT_ORG(w, src, dst, dir, org) expect_org(w, src, dst, dir, org, __LINE__)

/* The trust relationship the compiled decision names for an allowed external hop. */
static void expect_trust(const struct world *w, const char *src, const char *dst, unsigned dir,
			 unsigned op, const char *trust_id, int line)
{
	struct policy_query q;
	struct policy_verdict o;
	const char *got;

	pol_test_query(w->m, src, dst, dir, op, &q);
	(void)policy_decide_burst(&w->v, &q, 1, &o);
	got = o.trust == POLICY_NO_TRUST ? "(none)" : policy_string(&w->v, w->v.trusts[o.trust].name);
	if (strcmp(got, trust_id) != 0) {
		print_error("line %d: %s -> %s %s: trust %s, want %s\n", line, src, dst, dir_name(dir),
			    got, trust_id);
		mismatches++;
	}
}

#define EXPECT_TRUST(w, src, dst, dir, op, id) expect_trust(w, src, dst, dir, op, id, __LINE__)

static void expect_required(const struct world *w, const char *src, const char *dst,
			    bool required, const char *org, int line)
{
	struct pol_result r;
	struct policy_query q;
	struct policy_verdict o;
	const char *missing = NULL;
	const char *want = required ? "Allowed" : "Same app: not a SLIM boundary (use A2A)";
	bool req = !required;

	if (pol_slim_required(w->m, src, dst, &r, &req, &missing) != 0 || req != required ||
	    strcmp(r.org, org) != 0 || strcmp(pol_reason_text(r.reason), want) != 0) {
		print_error("line %d: isSlimRequired %s -> %s: %s \"%s\" %s, want %s \"%s\" %s\n", line,
			    src, dst, req ? "required" : "not required", pol_reason_text(r.reason), r.org,
			    required ? "required" : "not required", want, org);
		mismatches++;
	}
	pol_test_query(w->m, src, dst, OUT, TASK, &q);
	(void)policy_decide_burst(&w->v, &q, 1, &o);
	if (o.required != required) {
		print_error("line %d: compiled %s -> %s: required %u, want %d\n", line, src, dst,
			    o.required, required);
		mismatches++;
	}
}

#define EXPECT_REQUIRED(w, src, dst, req, org) expect_required(w, src, dst, req, org, __LINE__)

#define DONE() assert_int_equal(mismatches, 0)

static int reset(void **state)
{
	(void)state;
	mismatches = 0;
	return 0;
}

/* ---------------------------------------------------------------- the example as written */

static void test_example_loads(void **state)
{
	struct world w;

	(void)state;
	world_open(&w, load());
	assert_int_equal(pol_model_count(w.m, POL_KIND_TENANT), 4);
	assert_int_equal(pol_model_count(w.m, POL_KIND_APP), 5);
	assert_int_equal(pol_model_count(w.m, POL_KIND_PROJECT), 6);
	assert_int_equal(pol_model_count(w.m, POL_KIND_TEAM), 1);
	assert_int_equal(pol_model_count(w.m, POL_KIND_AGENT), 13);
	assert_int_equal(pol_model_count(w.m, POL_KIND_TRUST), 3);
	assert_int_equal(pol_model_count(w.m, POL_KIND_RULESET), 1);
	assert_int_equal(w.v.version, 1);
	/* The seeds' "3. Enable on Agent" with the example's own check line. */
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK, ALLOWED);
	world_close(&w);
	DONE();
}

/* "Tenant Level: the master switch - if disabled, no SLIM for the entire tenant". */
static void every_query_disabled(const struct world *w)
{
	const pb_policy *p = w->m->p;
	static const unsigned dirs[] = {OUT, IN, MSG};

	for (size_t s = 0; s < p->n_agents; s++) {
		for (size_t d = 0; d < p->n_agents; d++) {
			const char *src = p->agents[s]->id, *dst = p->agents[d]->id;
			bool same = w->m->agent[s].app == w->m->agent[d].app;
			const pb_tenant *ts = p->tenants[w->m->agent[s].tenant];
			const pb_tenant *td = p->tenants[w->m->agent[d].tenant];
			bool partners = ts->has_local && !ts->local && td->has_local && !td->local;

			for (unsigned i = 0; i < 3; i++) {
				for (unsigned op = TASK; op <= QUERY; op++) {
					if (same) {
						EXPECT(w, src, dst, dirs[i], op, SAME_APP);
					} else if (dirs[i] == MSG && partners) {
						/* Two partners' agents: not this bridge's traffic. */
						EXPECT(w, src, dst, dirs[i], op,
						       DENIED("Unknown agent", "identity"));
					} else {
						EXPECT(w, src, dst, dirs[i], op,
						       DENIED("SLIM capability disabled at tenant level",
							      "tenant"));
					}
				}
			}
		}
	}
}

static void test_kill_switch(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	p = load();
	acme(p)->capabilityenabled = 0;
	world_open(&w, p);
	every_query_disabled(&w);
	world_close(&w);
	/* Absent is false. */
	p = load();
	acme(p)->has_capabilityenabled = 0;
	acme(p)->capabilityenabled = 0;
	world_open(&w, p);
	every_query_disabled(&w);
	world_close(&w);
	/* No settings.slim at all. */
	p = load();
	protobuf_c_message_free_unpacked(&acme(p)->base, NULL);
	tenant(p, "tenant-123")->settings->slim = NULL;
	world_open(&w, p);
	every_query_disabled(&w);
	world_close(&w);
	DONE();
}

/* "allowedOrganizations: ['external:partner-a', 'internal:hr-app'], blockedOrganizations: ['external:competitor']". */
static void test_tenant_lists(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent-789", "agent_rival", OUT, TASK, DENIED("Organization blocked", "tenant"));
	EXPECT(&w, "agent_deal_lead", "agent_rival", OUT, QUERY, DENIED("Organization blocked", "tenant"));
	EXPECT(&w, "agent_rival", "agent_hr_lead", IN, QUERY, DENIED("Organization blocked", "tenant"));
	EXPECT(&w, "agent_rival", "agent_hr_lead", MSG, TASK, DENIED("Organization blocked", "tenant"));
	EXPECT_ORG(&w, "agent-789", "agent_rival", OUT, "external:competitor");
	/* The projects allow external:partner-corp; the tenant does not: most restrictive wins. */
	EXPECT(&w, "agent_partner_liaison", "agent_partner_api", OUT, QUERY,
	       DENIED("Organization not allowed", "tenant"));
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", OUT, QUERY,
	       DENIED("Organization not allowed", "tenant"));
	EXPECT(&w, "agent_partner_lead", "agent-789", IN, TASK,
	       DENIED("Organization not allowed", "tenant"));
	EXPECT(&w, "agent_partner_lead", "agent-789", MSG, TASK,
	       DENIED("Organization not allowed", "tenant"));
	/* external:partner-a is allowed at the tenant; the project is the next to decide. */
	EXPECT(&w, "agent-789", "agent_partner_a", OUT, TASK,
	       DENIED("Organization not allowed", "project"));
	EXPECT_TRUST(&w, "agent-789", "agent_hr_lead", OUT, TASK, "(none)");
	world_close(&w);

	/* An empty tenant allowedOrganizations restricts nothing; blocked stays blocked. */
	p = load();
	strv_clear(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations);
	world_open(&w, p);
	EXPECT(&w, "agent_partner_liaison", "agent_partner_api", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_partner_liaison", "agent_partner_api", MSG, QUERY, ALLOWED);
	EXPECT_TRUST(&w, "agent_partner_liaison", "agent_partner_api", MSG, QUERY,
		     "trust-partner-corp");
	EXPECT(&w, "agent-789", "agent_rival", OUT, TASK, DENIED("Organization blocked", "tenant"));
	world_close(&w);

	/* A wildcard in the blocked list. */
	p = load();
	strv_add(&acme(p)->blockedorganizations, &acme(p)->n_blockedorganizations,
		 "external:partner-*");
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, QUERY,
	       DENIED("Organization blocked", "tenant"));
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, QUERY, ALLOWED);
	world_close(&w);

	/*
	 * The seeds' list as written (without internal:sales-app): the lists
	 * apply to every agent of the tenant, so the HR side refuses the Sales
	 * App. docs/examples/policy.yaml adds internal:sales-app for this.
	 */
	p = load();
	strv_remove(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations,
		    "internal:sales-app");
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", IN, TASK,
	       DENIED("Organization not allowed", "tenant"));
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", MSG, TASK,
	       DENIED("Organization not allowed", "tenant"));
	world_close(&w);
	DONE();
}

/* "Project Level": internal:hr-app task and query; external:partner-corp only agent_partner_lead, only query. */
static void test_project_scope(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_sales_rep", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_sales_rep", "agent_hr_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_sales_rep", "agent_hr_lead", MSG, TASK, ALLOWED);
	EXPECT_ORG(&w, "agent_sales_rep", "agent_hr_lead", OUT, "internal:hr-app");
	EXPECT_ORG(&w, "agent_sales_rep", "agent_hr_lead", IN, "internal:sales-app");
	world_close(&w);

	/* With the tenant allowing partner-corp, the project's rule decides. */
	p = load();
	strv_add(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations,
		 "external:partner-corp");
	world_open(&w, p);
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", OUT, TASK,
	       DENIED("Operation not permitted", "project"));
	EXPECT(&w, "agent_sales_rep", "agent_partner_api", OUT, QUERY,
	       DENIED("Agent not allowed for organization", "project"));
	/* Query to agent_partner_lead passes the project; the agent's own targets then refuse it. */
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", OUT, QUERY,
	       DENIED("Target not allowed for this agent", "agent"));
	world_close(&w);

	p = load();
	strv_add(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations,
		 "external:partner-corp");
	target_add(agent(p, "agent_sales_rep")->slimconfig, "external:partner-corp");
	world_open(&w, p);
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", MSG, QUERY, ALLOWED);
	EXPECT_TRUST(&w, "agent_sales_rep", "agent_partner_lead", MSG, QUERY, "trust-partner-corp");
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", MSG, TASK,
	       DENIED("Operation not permitted", "project"));
	EXPECT(&w, "agent_sales_rep", "agent_partner_api", MSG, QUERY,
	       DENIED("Agent not allowed for organization", "project"));
	/* "Cross-Org Partner Integration": agent_partner_api, read-only. */
	EXPECT(&w, "agent_partner_liaison", "agent_partner_api", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_partner_liaison", "agent_partner_api", OUT, TASK,
	       DENIED("Operation not permitted", "project"));
	EXPECT(&w, "agent_partner_liaison", "agent_partner_lead", OUT, QUERY,
	       DENIED("Agent not allowed for organization", "project"));
	world_close(&w);

	/* An empty project list allows nothing; a disabled project, no project. */
	p = load();
	scope_clear(project(p, "project-456")->slimconfig);
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK,
	       DENIED("Organization not allowed", "project"));
	world_close(&w);
	p = load();
	project(p, "project-456")->slimconfig->enabled = 0;
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK,
	       DENIED("SLIM disabled for this project", "project"));
	world_close(&w);
	p = load();
	protobuf_c_message_free_unpacked(&project(p, "project-456")->slimconfig->base, NULL);
	project(p, "project-456")->slimconfig = NULL;
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK,
	       DENIED("SLIM disabled for this project", "project"));
	world_close(&w);
	p = load();
	free(agent(p, "agent-789")->project);
	agent(p, "agent-789")->project = NULL;
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK,
	       DENIED("Agent is not in a project", "project"));
	world_close(&w);
	DONE();
}

/* "Agent Level": outbound true (can call), inbound false (cannot be called); targets by namespace. */
static void test_agent_level(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_deal_lead", "agent_hr_approver", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_deal_lead", "agent_legal", OUT, TASK,
	       DENIED("Target not allowed for this agent", "agent"));
	EXPECT(&w, "agent_deal_lead", "agent_legal", MSG, QUERY,
	       DENIED("Target not allowed for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent_deal_lead", IN, TASK,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	/* agent_hr_lead's own hierarchy lets it call; the message still stops at deal_lead. */
	EXPECT(&w, "agent_hr_lead", "agent_deal_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_hr_lead", "agent_deal_lead", MSG, TASK,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", MSG, TASK, ALLOWED);
	/* agent_hr_approver takes tasks (not queries) from the Sales App. */
	EXPECT(&w, "agent_deal_lead", "agent_hr_approver", MSG, TASK, ALLOWED);
	EXPECT(&w, "agent_deal_lead", "agent_hr_approver", MSG, QUERY,
	       DENIED("Caller not allowed for this agent", "agent"));
	/* namespace: '*' is any namespace. */
	EXPECT(&w, "agent-789", "agent_legal", OUT, QUERY, ALLOWED);
	/* outbound and inbound absent are false. */
	EXPECT(&w, "agent-123", "agent_hr_lead", OUT, TASK,
	       DENIED("Outbound SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent-123", IN, TASK,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_legal", "agent-789", MSG, TASK,
	       DENIED("Outbound SLIM disabled for this agent", "agent"));
	world_close(&w);

	/* A target rule without a namespace is any namespace. */
	p = load();
	free(agent(p, "agent_deal_lead")->slimconfig->allowedtargets[0]->namespace_);
	agent(p, "agent_deal_lead")->slimconfig->allowedtargets[0]->namespace_ = NULL;
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_legal", OUT, TASK, ALLOWED);
	world_close(&w);
	DONE();
}

/* "3. Enable on Agent": allowedCallers internal:hr-app with task only. */
static void test_allowed_callers(void **state)
{
	struct world w;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_hr_lead", "agent-789", IN, TASK, ALLOWED);
	EXPECT(&w, "agent_hr_lead", "agent-789", IN, QUERY,
	       DENIED("Caller not allowed for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent-789", MSG, TASK, ALLOWED);
	EXPECT(&w, "agent_hr_lead", "agent-789", MSG, QUERY,
	       DENIED("Caller not allowed for this agent", "agent"));
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent-789", "agent_hr_lead", MSG, QUERY, ALLOWED);
	world_close(&w);
	DONE();
}

/* "Best Practices, 1. Start Restrictive": outbound only, one specific agent. */
static void test_start_restrictive(void **state)
{
	struct world w;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_sales_rep", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_sales_rep", "agent_hr_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_sales_rep", "agent_hr_approver", OUT, TASK,
	       DENIED("Target not allowed for this agent", "agent"));
	EXPECT(&w, "agent_sales_rep", "agent_legal", OUT, QUERY,
	       DENIED("Target not allowed for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent_sales_rep", IN, TASK,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent_sales_rep", MSG, QUERY,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	world_close(&w);
	DONE();
}

/* "Team (bulk settings)": the example's sales-team, and changes to it. */
static void test_team(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	/* internal:* lets agent_deal_lead reach the HR App (checked above); partner-a is query only. */
	p = load();
	scope_add(project(p, "deal-approval")->slimconfig, "external:partner-a", NULL);
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, TASK,
	       DENIED("Operation not permitted", "team"));
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, QUERY,
	       DENIED("Target not allowed for this agent", "agent"));
	world_close(&w);

	/* Without a slimConfig the team restricts nothing. */
	p = load();
	scope_add(project(p, "deal-approval")->slimconfig, "external:partner-a", NULL);
	protobuf_c_message_free_unpacked(&team(p, "sales-team")->slimconfig->base, NULL);
	team(p, "sales-team")->slimconfig = NULL;
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, TASK,
	       DENIED("Target not allowed for this agent", "agent"));
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK, ALLOWED);
	world_close(&w);

	/* A disabled team. */
	p = load();
	team(p, "sales-team")->slimconfig->enabled = 0;
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK,
	       DENIED("SLIM disabled for this team", "team"));
	EXPECT(&w, "agent_hr_lead", "agent_deal_lead", IN, TASK,
	       DENIED("SLIM disabled for this team", "team"));
	world_close(&w);

	/* A team list without internal:*: the project allows the HR App, the team does not. */
	p = load();
	scope_clear(team(p, "sales-team")->slimconfig);
	scope_add(team(p, "sales-team")->slimconfig, "external:partner-*", "query");
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK,
	       DENIED("Organization not allowed", "team"));
	world_close(&w);

	/* An enabled team with an empty list restricts nothing. */
	p = load();
	scope_clear(team(p, "sales-team")->slimconfig);
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_hr_lead", OUT, TASK, ALLOWED);
	world_close(&w);
	DONE();
}

/* Trust: external organisations need an established relationship. */
static void test_trust(void **state)
{
	static const char *const states[] = {"revoked", "suspended", "pending"};
	struct world w;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	/* Established: the trust passes and the project decides. */
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, QUERY,
	       DENIED("Organization not allowed", "project"));
	world_close(&w);
	for (unsigned i = 0; i < 3; i++) {
		p = load();
		free(trust(p, "trust-partner-a")->state);
		trust(p, "trust-partner-a")->state = strdup(states[i]);
		world_open(&w, p);
		EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, QUERY,
		       DENIED("Trust relationship not established", "trust"));
		EXPECT(&w, "agent_partner_a", "agent-789", MSG, TASK,
		       DENIED("Trust relationship not established", "trust"));
		world_close(&w);
	}
	/* The example's revoked trust-competitor, once the tenant stops blocking competitor. */
	p = load();
	strv_clear(&acme(p)->blockedorganizations, &acme(p)->n_blockedorganizations);
	strv_add(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations,
		 "external:competitor");
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_rival", OUT, TASK,
	       DENIED("Trust relationship not established", "trust"));
	world_close(&w);
	/* No relationship at all. */
	p = load();
	trust_remove(p, "trust-partner-a");
	world_open(&w, p);
	EXPECT(&w, "agent_deal_lead", "agent_partner_a", OUT, QUERY,
	       DENIED("No trust relationship with organization", "trust"));
	world_close(&w);
	DONE();
}

/* The seeds' "Troubleshooting", with the fixes they give. */
static void test_troubleshooting(void **state)
{
	struct world w;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_quiet", "agent_hr_lead", OUT, TASK,
	       DENIED("SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_hr_lead", "agent_quiet", IN, QUERY,
	       DENIED("SLIM disabled for this agent", "agent"));
	EXPECT(&w, "agent_quiet", "agent_hr_lead", MSG, TASK,
	       DENIED("SLIM disabled for this agent", "agent"));
	/* "Project doesn't include target organization". */
	EXPECT(&w, "agent_partner_liaison", "agent_hr_lead", OUT, TASK,
	       DENIED("Organization not allowed", "project"));
	EXPECT(&w, "agent_partner_liaison", "agent_hr_lead", MSG, TASK,
	       DENIED("Organization not allowed", "project"));
	world_close(&w);

	/* slimConfig: { enabled: true, outbound: true } */
	p = load();
	agent(p, "agent_quiet")->slimconfig->enabled = 1;
	agent(p, "agent_quiet")->slimconfig->has_outbound = 1;
	agent(p, "agent_quiet")->slimconfig->outbound = 1;
	world_open(&w, p);
	EXPECT(&w, "agent_quiet", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_quiet", "agent_hr_lead", MSG, TASK, ALLOWED);
	EXPECT(&w, "agent_hr_lead", "agent_quiet", IN, TASK,
	       DENIED("Inbound SLIM disabled for this agent", "agent"));
	world_close(&w);

	/* allowedOrganizations: [{ organization: 'internal:hr-app' }]  // Add the org */
	p = load();
	scope_add(project(p, "partner-integration")->slimconfig, "internal:hr-app", NULL);
	world_open(&w, p);
	EXPECT(&w, "agent_partner_liaison", "agent_hr_lead", OUT, TASK, ALLOWED);
	EXPECT(&w, "agent_partner_liaison", "agent_hr_lead", OUT, QUERY, ALLOWED);
	EXPECT(&w, "agent_partner_liaison", "agent_hr_lead", MSG, TASK, ALLOWED);
	world_close(&w);

	/* "SLIM capability disabled at tenant level", then capabilityEnabled: true. */
	p = load();
	acme(p)->capabilityenabled = 0;
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK,
	       DENIED("SLIM capability disabled at tenant level", "tenant"));
	world_close(&w);
	p = load();
	acme(p)->has_capabilityenabled = 1;
	acme(p)->capabilityenabled = 1;
	world_open(&w, p);
	EXPECT(&w, "agent-789", "agent_hr_lead", OUT, TASK, ALLOWED);
	world_close(&w);
	DONE();
}

/* "When to Use SLIM" and isSlimRequired. */
static void test_slim_required(void **state)
{
	struct world w;
	struct pol_result r;
	struct policy_query q;
	struct policy_verdict o;
	const char *missing = NULL;
	bool req;

	(void)state;
	world_open(&w, load());
	EXPECT_REQUIRED(&w, "agent_deal_lead", "agent-789", false, "internal:sales-app");
	EXPECT_REQUIRED(&w, "agent_deal_lead", "agent_hr_lead", true, "internal:hr-app");
	EXPECT_REQUIRED(&w, "agent_hr_lead", "agent_deal_lead", true, "internal:sales-app");
	EXPECT_REQUIRED(&w, "agent_partner_liaison", "agent_partner_lead", true,
			"external:partner-corp");
	EXPECT_REQUIRED(&w, "agent_partner_lead", "agent-789", true, "external:tenant-123");
	/* Same app: no SLIM boundary, whatever the agents' settings say. */
	EXPECT(&w, "agent_quiet", "agent-789", OUT, TASK, SAME_APP);
	EXPECT(&w, "agent_quiet", "agent-789", MSG, QUERY, SAME_APP);
	/* An id that is no agent. */
	assert_int_equal(pol_slim_required(w.m, "agent-789", "agent_nobody", &r, &req, &missing),
			 -ENOENT);
	assert_string_equal(missing, "agent_nobody");
	assert_int_equal(pol_check(w.m, "agent_nobody", "agent-789", NULL, OUT, TASK, &r, &missing),
			 -ENOENT);
	assert_string_equal(missing, "agent_nobody");
	pol_test_query(w.m, "agent_nobody", "agent-789", MSG, TASK, &q);
	(void)policy_decide_burst(&w.v, &q, 1, &o);
	assert_false(o.allowed);
	assert_string_equal(policy_reason_text(o.reason), "Unknown agent");
	assert_string_equal(policy_level_name(o.level), "identity");
	world_close(&w);
	DONE();
}

/* Partners (local: false) are declared for their agents; their own bridges apply their policy. */
static void test_partner_tenants(void **state)
{
	struct world w;

	(void)state;
	world_open(&w, load());
	EXPECT(&w, "agent_sales_rep", "agent_partner_lead", IN, QUERY,
	       DENIED("SLIM capability disabled at tenant level", "tenant"));
	EXPECT(&w, "agent_partner_lead", "agent_partner_a", MSG, QUERY,
	       DENIED("Unknown agent", "identity"));
	EXPECT(&w, "agent_partner_a", "agent-789", MSG, TASK,
	       DENIED("Organization not allowed", "project"));
	world_close(&w);
	DONE();
}

/* targetOrganization given explicitly (CheckPermission's optional field). */
static void test_explicit_org(void **state)
{
	struct world w;
	struct pol_result r;
	const char *missing = NULL;
	pb_policy *p;

	(void)state;
	world_open(&w, load());
	assert_int_equal(pol_check(w.m, "agent-789", "agent_hr_lead", "external:competitor", OUT,
				   TASK, &r, &missing), 0);
	assert_false(r.allowed);
	assert_string_equal(pol_reason_text(r.reason), "Organization blocked");
	assert_string_equal(r.org, "external:competitor");
	assert_int_equal(pol_check(w.m, "agent-789", "agent_hr_lead", "internal:*", OUT, TASK, &r,
				   &missing), -EINVAL);
	assert_int_equal(pol_check(w.m, "agent-789", "agent_hr_lead", "partner-corp", OUT, TASK, &r,
				   &missing), -EINVAL);
	world_close(&w);
	/* An app of another tenant is no internal organisation of this one. */
	p = load();
	strv_clear(&acme(p)->allowedorganizations, &acme(p)->n_allowedorganizations);
	world_open(&w, p);
	assert_int_equal(pol_check(w.m, "agent-789", "agent_hr_lead", "internal:partner-app", OUT,
				   TASK, &r, &missing), 0);
	assert_false(r.allowed);
	assert_string_equal(pol_reason_text(r.reason), "Unknown organization");
	assert_string_equal(pol_level_name(r.level), "tenant");
	world_close(&w);
}

/* A corrupted snapshot of the example is refused. */
static void test_corrupt_refused(void **state)
{
	struct world w;
	const char *why = NULL;
	struct policy_view v;

	(void)state;
	world_open(&w, load());
	for (uint32_t i = 1; i < w.snap->nb_tables; i++) {
		uint8_t *b = (uint8_t *)w.snap + w.snap->tables[i].offset;

		if (w.snap->tables[i].size == 0) {
			continue;
		}
		b[0] ^= 0x01;
		assert_int_equal(policy_view_init(&v, w.snap, &why), -EINVAL);
		assert_string_equal(why, "policy snapshot: checksum mismatch");
		b[0] ^= 0x01;
	}
	assert_int_equal(policy_view_init(&v, w.snap, &why), 0);
	world_close(&w);
}

/* ---------------------------------------------------------------- validation errors */

#define ACME \
	"tenants:\n" \
	"  - {id: acme, trustDomain: acme.example, settings: {slim: {capabilityEnabled: true}}}\n" \
	"apps:\n" \
	"  - {id: sales-app, tenant: acme}\n" \
	"  - {id: hr-app, tenant: acme}\n"

#define P1(org, perms) \
	"projects:\n" \
	"  - id: p1\n" \
	"    app: sales-app\n" \
	"    slimConfig:\n" \
	"      enabled: true\n" \
	"      allowedOrganizations:\n" \
	"        - {organization: '" org "', permissions: [" perms "]}\n"

#define A1 "agents:\n  - {id: a1, app: sales-app, project: p1}\n"

static const struct {
	const char *yaml;
	const char *err;	/* NULL: valid */
} invalid[] = {
	{ACME P1("internal:hr-app", "task, query") A1, NULL},
	{ACME P1("*", "") "teams:\n  - {id: t1, app: sales-app, slimConfig: {enabled: true, "
	 "allowedOrganizations: [{organization: 'internal:*'}, {organization: 'external:partner-*'}]}}\n",
	 NULL},
	{"tenants:\n  - {id: acme, settings: {slim: {allowedOrganizations: [partner-corp]}}}\n",
	 "tenant 'acme': settings.slim.allowedOrganizations[0]: unknown organization form "
	 "(expected internal:{appSlug}, external:{tenantSlug} or *) in 'partner-corp'"},
	{ACME P1("partner-corp", "query"),
	 "project 'p1': slimConfig.allowedOrganizations[0]: unknown organization form "
	 "(expected internal:{appSlug}, external:{tenantSlug} or *) in 'partner-corp'"},
	{ACME P1("external:*corp", "query"),
	 "project 'p1': slimConfig.allowedOrganizations[0]: bad wildcard ('*' only at the end) "
	 "in 'external:*corp'"},
	{ACME P1("internal:hr-app", "") "agents:\n  - {id: a1, app: sales-app, project: p9}\n",
	 "agent 'a1': project 'p9' does not exist"},
	{ACME P1("internal:hr-app", "") A1 "  - {id: a1, app: hr-app}\n",
	 "duplicate agent id 'a1'"},
	{"tenants:\n  - {id: acme}\n  - {id: globex}\n"
	 "apps:\n  - {id: hr-app, tenant: acme}\n  - {id: hr-app, tenant: globex}\n",
	 "duplicate app id 'hr-app'"},
	{ACME P1("internal:hr-app", "task, write"),
	 "project 'p1': slimConfig.allowedOrganizations[0]: unknown permission 'write' (task or query)"},
	{ACME P1("internal:hr-app", "") "agents:\n  - {id: a1, app: sales-app, slimConfig: "
	 "{allowedCallers: [{organization: 'internal:hr-app', permissions: [write]}]}}\n",
	 "agent 'a1': slimConfig.allowedCallers[0]: unknown permission 'write' (task or query)"},
	{ACME "agents:\n  - {id: a1, app: sales-app, spiffeId: 'spiffe://partner-corp.example/agent/a1'}\n",
	 "agent 'a1': spiffeId 'spiffe://partner-corp.example/agent/a1' is not "
	 "spiffe://acme.example/<path> (the tenant's trust domain)"},
	{ACME P1("internal:hr-app", "") "agents:\n  - {id: a1, app: hr-app, project: p1}\n",
	 "agent 'a1': project 'p1' belongs to app 'sales-app', not 'hr-app'"},
	{ACME "agents:\n  - {id: a1, project: p1}\n", "agent 'a1': app is missing"},
	{ACME "trustRelationships:\n  - {id: tr1, tenant: acme, organization: 'internal:hr-app'}\n",
	 "trust 'tr1': organization 'internal:hr-app' must be external:{tenantSlug}"},
	{ACME "trustRelationships:\n  - {id: tr1, tenant: acme, organization: 'external:partner-*'}\n",
	 "trust 'tr1': organization: a wildcard is not accepted here in 'external:partner-*'"},
	{ACME "trustRelationships:\n  - {id: tr1, tenant: acme, organization: 'external:p', "
	 "state: active}\n",
	 "trust 'tr1': state: 'active' is not one of the accepted values"},
	{ACME "contentRuleSets:\n  - id: pii\n    rules:\n      - {id: 1, pattern: a}\n"
	 "      - {id: 2, pattern: b}\n      - {id: 3, pattern: 'abc(def'}\n",
	 "ruleset 'pii': rules[2].pattern: Missing close parenthesis for group started at index 3."},
};

static void test_validation_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char err[512];
		pb_policy *p = parse(invalid[i].yaml, strlen(invalid[i].yaml), err, sizeof(err));
		struct pol_model *m;

		if (p == NULL) {
			fail_msg("case %zu: YAML does not parse: %s", i, err);
		}
		m = pol_model_new(p, err, sizeof(err));
		if (invalid[i].err == NULL) {
			if (m == NULL) {
				fail_msg("case %zu: should validate, got: %s", i, err);
			}
			pol_model_free(m);
			continue;
		}
		if (m != NULL) {
			pol_model_free(m);
			fail_msg("case %zu: validated, want: %s", i, invalid[i].err);
		}
		protobuf_c_message_free_unpacked(&p->base, NULL);
		if (strcmp(err, invalid[i].err) != 0) {
			fail_msg("case %zu:\n  got:  %s\n  want: %s", i, err, invalid[i].err);
		}
	}
}

/* ---------------------------------------------------------------- main */

static int read_policy(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL) {
			fclose(f);
		}
		return -1;
	}
	policy_text = malloc((size_t)n + 1);
	if (policy_text == NULL || fread(policy_text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	policy_len = (size_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_example_loads, reset),
		cmocka_unit_test_setup(test_kill_switch, reset),
		cmocka_unit_test_setup(test_tenant_lists, reset),
		cmocka_unit_test_setup(test_project_scope, reset),
		cmocka_unit_test_setup(test_agent_level, reset),
		cmocka_unit_test_setup(test_allowed_callers, reset),
		cmocka_unit_test_setup(test_start_restrictive, reset),
		cmocka_unit_test_setup(test_team, reset),
		cmocka_unit_test_setup(test_trust, reset),
		cmocka_unit_test_setup(test_troubleshooting, reset),
		cmocka_unit_test_setup(test_slim_required, reset),
		cmocka_unit_test_setup(test_partner_tenants, reset),
		cmocka_unit_test_setup(test_explicit_org, reset),
		cmocka_unit_test_setup(test_corrupt_refused, reset),
		cmocka_unit_test(test_validation_errors),
	};
	int rc;

	if (argc > 1) {
		policy_path = argv[1];
	}
	if (read_policy(policy_path) < 0) {
		fprintf(stderr, "test_pol_seeds: cannot read %s\n", policy_path);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(policy_text);
	return rc;
}
