/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pbconv.c - unit tests for control/pbconv: a full Policy document, the
 * YAML -> message -> YAML -> message round trip (compared as packed bytes),
 * JSON output, every error form with its position, the limits, and the
 * generic parts (all integer types, enums, oneofs, required fields, key/value
 * entries) on pbconv_test.proto. Run it under ASan as well: every failing
 * parse must leave nothing allocated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbconv.h"
#include "control.pb-c.h"
#include "pbconv_test.pb-c.h"

#define POLICY (&slimbridge__control__v1__policy__descriptor)
#define KITCHEN (&pbconv__test__kitchen__descriptor)


static const char full_policy[] =
	"# a whole policy, every object kind\n"
	"tenants:\n"
	"  - id: acme\n"
	"    name: \"Acme Corp\"\n"
	"    trustDomain: acme.example\n"
	"    local: true\n"
	"    settings:\n"
	"      slim:\n"
	"        capabilityEnabled: true\n"
	"        allowedOrganizations: [external:globex, \"internal:*\"]\n"
	"        blockedOrganizations:\n"
	"          - external:evil\n"
	"        defaultDirectoryVisibility: partners-only\n"
	"  - id: globex\n"
	"    trustDomain: globex.example\n"
	"    local: false\n"
	"apps:\n"
	"  - {id: hr, tenant: acme, name: HR}\n"
	"projects:\n"
	"  - id: onboarding\n"
	"    app: hr\n"
	"    name: Onboarding\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      allowedOrganizations:\n"
	"        - organization: external:globex\n"
	"          agents: [agent_gx_recruiter, agent_gx_payroll]\n"
	"          permissions: [task]\n"
	"        - organization: internal:finance\n"
	"    virtualTeam:\n"
	"      enabled: true\n"
	"      name: hiring\n"
	"      localMembers:\n"
	"        - agents: [agent_hr_lead]\n"
	"          role: lead\n"
	"      crossAppMembers:\n"
	"        - app: finance\n"
	"          agents: [agent_fin_payroll]\n"
	"          role: payroll\n"
	"      roleMappings:\n"
	"        lead: [internal:finance/agent_fin_payroll, internal:finance/agent_fin_cfo]\n"
	"        payroll: []\n"
	"    contentRuleSet: pii\n"
	"teams:\n"
	"  - id: recruiting\n"
	"    app: hr\n"
	"    slimConfig: {enabled: false}\n"
	"agents:\n"
	"  - id: agent_hr_lead\n"
	"    app: hr\n"
	"    project: onboarding\n"
	"    team: recruiting\n"
	"    namespace: hr\n"
	"    name: HR lead\n"
	"    spiffeId: spiffe://acme.example/hr/agent_hr_lead\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      outbound: true\n"
	"      inbound: false\n"
	"      allowedCallers:\n"
	"        - organization: external:globex\n"
	"          permissions: [query]\n"
	"      allowedTargets:\n"
	"        - organization: external:globex\n"
	"          namespace: \"*\"\n"
	"          agents: [agent_gx_recruiter]\n"
	"      directoryRegistration:\n"
	"        enabled: true\n"
	"        visibility: partners-only\n"
	"        autoSync: false\n"
	"trustRelationships:\n"
	"  - id: acme-globex\n"
	"    tenant: acme\n"
	"    organization: external:globex\n"
	"    peerTrustDomain: globex.example\n"
	"    endpoint: bridge.globex.example:443\n"
	"    transport: grpc\n"
	"    bundleEndpoint: https://globex.example/bundle\n"
	"    mls: true\n"
	"    circuitBreaker:\n"
	"      failureThreshold: 5\n"
	"      cooldownSeconds: 600\n"
	"    state: established\n"
	"contentRuleSets:\n"
	"  - id: pii\n"
	"    rules:\n"
	"      - id: 1\n"
	"        pattern: '\\d{3}-\\d{2}-\\d{4}'\n"
	"        action: block\n"
	"        caseless: true\n";

/*
 * Allocation failures: the test links with -Wl,--wrap for malloc, calloc and
 * realloc, so pbconv's own allocations come here, and jansson's through
 * json_set_alloc_funcs; libyaml's are out of reach. While |countdown| is
 * >= 0 it counts allocations down and the one at zero fails.
 */
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

static void *json_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

static void json_free(void *p)
{
	free(p);
}

static int parse(const char *text, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
		 char *err)
{
	return pbconv_yaml_parse(text, strlen(text), d, out, err, PBCONV_ERR_MAX);
}

/* Parse |text|, which must be valid, into a message of |d|. */
static ProtobufCMessage *must_parse(const char *text, const ProtobufCMessageDescriptor *d)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m = NULL;
	int rc = parse(text, d, &m, err);

	if (rc != 0) {
		fail_msg("parse failed (%d): %s\n%s", rc, err, text);
	}
	assert_non_null(m);
	assert_string_equal(err, "");
	return m;
}

/* The YAML pbconv_write_yaml makes of |m|, as a malloc'd string. */
static char *to_yaml(const ProtobufCMessage *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pbconv_write_yaml(m, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static char *to_json(const ProtobufCMessage *m)
{
	json_t *j = pbconv_to_json(m);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = protobuf_c_message_get_packed_size(a);
	size_t nb = protobuf_c_message_get_packed_size(b);
	uint8_t *pa = malloc(na + 1), *pb = malloc(nb + 1);

	assert_non_null(pa);
	assert_non_null(pb);
	assert_int_equal(protobuf_c_message_pack(a, pa), na);
	assert_int_equal(protobuf_c_message_pack(b, pb), nb);
	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);
	free(pa);
	free(pb);
}

/* m -> YAML -> message must give m back; returns the YAML for further checks. */
static char *round_trip(const ProtobufCMessage *m)
{
	char *y = to_yaml(m);
	ProtobufCMessage *again = must_parse(y, m->descriptor);

	assert_same(m, again);
	protobuf_c_message_free_unpacked(again, NULL);
	return y;
}

static void test_full_policy(void **state)
{
	ProtobufCMessage *m = must_parse(full_policy, POLICY);
	const Slimbridge__Control__V1__Policy *p = (const Slimbridge__Control__V1__Policy *)m;
	const Slimbridge__Control__V1__Tenant *t;
	const Slimbridge__Control__V1__TenantSlim *ts;
	const Slimbridge__Control__V1__Project *pr;
	const Slimbridge__Control__V1__OrgRule *rule;
	const Slimbridge__Control__V1__VirtualTeam *vt;
	const Slimbridge__Control__V1__Agent *a;
	const Slimbridge__Control__V1__AgentSlimConfig *ac;
	const Slimbridge__Control__V1__TrustRelationship *tr;

	(void)state;
	assert_true(protobuf_c_message_check(m));
	assert_int_equal(p->n_tenants, 2);
	t = p->tenants[0];
	assert_string_equal(t->id, "acme");
	assert_string_equal(t->name, "Acme Corp");
	assert_string_equal(t->trustdomain, "acme.example");
	assert_true(t->has_local && t->local);
	assert_non_null(t->settings);
	ts = t->settings->slim;
	assert_non_null(ts);
	assert_true(ts->has_capabilityenabled && ts->capabilityenabled);
	assert_int_equal(ts->n_allowedorganizations, 2);
	assert_string_equal(ts->allowedorganizations[0], "external:globex");
	assert_string_equal(ts->allowedorganizations[1], "internal:*");
	assert_int_equal(ts->n_blockedorganizations, 1);
	assert_string_equal(ts->blockedorganizations[0], "external:evil");
	assert_string_equal(ts->defaultdirectoryvisibility, "partners-only");
	t = p->tenants[1];
	assert_string_equal(t->id, "globex");
	assert_null(t->name);
	assert_true(t->has_local);
	assert_false(t->local);
	assert_null(t->settings);

	assert_int_equal(p->n_apps, 1);
	assert_string_equal(p->apps[0]->id, "hr");
	assert_string_equal(p->apps[0]->tenant, "acme");
	assert_string_equal(p->apps[0]->name, "HR");

	assert_int_equal(p->n_projects, 1);
	pr = p->projects[0];
	assert_string_equal(pr->id, "onboarding");
	assert_string_equal(pr->app, "hr");
	assert_string_equal(pr->contentruleset, "pii");
	assert_true(pr->slimconfig->has_enabled && pr->slimconfig->enabled);
	assert_int_equal(pr->slimconfig->n_allowedorganizations, 2);
	rule = pr->slimconfig->allowedorganizations[0];
	assert_string_equal(rule->organization, "external:globex");
	assert_int_equal(rule->n_agents, 2);
	assert_string_equal(rule->agents[0], "agent_gx_recruiter");
	assert_string_equal(rule->agents[1], "agent_gx_payroll");
	assert_int_equal(rule->n_permissions, 1);
	assert_string_equal(rule->permissions[0], "task");
	rule = pr->slimconfig->allowedorganizations[1];
	assert_string_equal(rule->organization, "internal:finance");
	assert_int_equal(rule->n_agents, 0);
	assert_int_equal(rule->n_permissions, 0);
	vt = pr->virtualteam;
	assert_non_null(vt);
	assert_true(vt->has_enabled && vt->enabled);
	assert_string_equal(vt->name, "hiring");
	assert_int_equal(vt->n_localmembers, 1);
	assert_null(vt->localmembers[0]->app);
	assert_int_equal(vt->localmembers[0]->n_agents, 1);
	assert_string_equal(vt->localmembers[0]->agents[0], "agent_hr_lead");
	assert_string_equal(vt->localmembers[0]->role, "lead");
	assert_int_equal(vt->n_crossappmembers, 1);
	assert_string_equal(vt->crossappmembers[0]->app, "finance");
	assert_string_equal(vt->crossappmembers[0]->role, "payroll");
	assert_int_equal(vt->n_rolemappings, 2);
	assert_string_equal(vt->rolemappings[0]->key, "lead");
	assert_int_equal(vt->rolemappings[0]->n_value, 2);
	assert_string_equal(vt->rolemappings[0]->value[0], "internal:finance/agent_fin_payroll");
	assert_string_equal(vt->rolemappings[0]->value[1], "internal:finance/agent_fin_cfo");
	assert_string_equal(vt->rolemappings[1]->key, "payroll");
	assert_int_equal(vt->rolemappings[1]->n_value, 0);

	assert_int_equal(p->n_teams, 1);
	assert_string_equal(p->teams[0]->id, "recruiting");
	assert_true(p->teams[0]->slimconfig->has_enabled);
	assert_false(p->teams[0]->slimconfig->enabled);

	assert_int_equal(p->n_agents, 1);
	a = p->agents[0];
	assert_string_equal(a->id, "agent_hr_lead");
	assert_string_equal(a->project, "onboarding");
	assert_string_equal(a->team, "recruiting");
	assert_string_equal(a->namespace_, "hr");
	assert_string_equal(a->name, "HR lead");
	assert_string_equal(a->spiffeid, "spiffe://acme.example/hr/agent_hr_lead");
	ac = a->slimconfig;
	assert_true(ac->has_enabled && ac->enabled);
	assert_true(ac->has_outbound && ac->outbound);
	assert_true(ac->has_inbound);
	assert_false(ac->inbound);
	assert_int_equal(ac->n_allowedcallers, 1);
	assert_string_equal(ac->allowedcallers[0]->organization, "external:globex");
	assert_int_equal(ac->allowedcallers[0]->n_permissions, 1);
	assert_string_equal(ac->allowedcallers[0]->permissions[0], "query");
	assert_int_equal(ac->n_allowedtargets, 1);
	assert_string_equal(ac->allowedtargets[0]->namespace_, "*");
	assert_int_equal(ac->allowedtargets[0]->n_agents, 1);
	assert_string_equal(ac->allowedtargets[0]->agents[0], "agent_gx_recruiter");
	assert_true(ac->directoryregistration->has_enabled);
	assert_true(ac->directoryregistration->enabled);
	assert_string_equal(ac->directoryregistration->visibility, "partners-only");
	assert_true(ac->directoryregistration->has_autosync);
	assert_false(ac->directoryregistration->autosync);

	assert_int_equal(p->n_trustrelationships, 1);
	tr = p->trustrelationships[0];
	assert_string_equal(tr->endpoint, "bridge.globex.example:443");
	assert_string_equal(tr->bundleendpoint, "https://globex.example/bundle");
	assert_true(tr->has_mls && tr->mls);
	assert_true(tr->circuitbreaker->has_failurethreshold);
	assert_int_equal(tr->circuitbreaker->failurethreshold, 5);
	assert_true(tr->circuitbreaker->has_cooldownseconds);
	assert_int_equal(tr->circuitbreaker->cooldownseconds, 600);
	assert_string_equal(tr->state, "established");

	assert_int_equal(p->n_contentrulesets, 1);
	assert_int_equal(p->contentrulesets[0]->n_rules, 1);
	assert_true(p->contentrulesets[0]->rules[0]->has_id);
	assert_int_equal(p->contentrulesets[0]->rules[0]->id, 1);
	assert_string_equal(p->contentrulesets[0]->rules[0]->pattern, "\\d{3}-\\d{2}-\\d{4}");
	assert_true(p->contentrulesets[0]->rules[0]->caseless);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* The same policy in flow style and with the list form of roleMappings. */
static void test_flow_and_list_forms(void **state)
{
	static const char flow[] =
		"{projects: [{id: p, virtualTeam: {roleMappings: [{key: lead, value: [x, y]},\n"
		" {key: payroll}]}}],\n"
		" tenants: [{id: t, settings: {slim: {capabilityEnabled: false}}}]}";
	static const char block[] =
		"tenants:\n"
		"- id: t\n"
		"  settings:\n"
		"    slim:\n"
		"      capabilityEnabled: false\n"
		"projects:\n"
		"- id: p\n"
		"  virtualTeam:\n"
		"    roleMappings:\n"
		"      lead: [x, y]\n"
		"      payroll: []\n";
	ProtobufCMessage *a, *b;
	const Slimbridge__Control__V1__Policy *p;

	(void)state;
	a = must_parse(flow, POLICY);
	b = must_parse(block, POLICY);
	assert_same(a, b);
	p = (const Slimbridge__Control__V1__Policy *)a;
	assert_int_equal(p->projects[0]->virtualteam->n_rolemappings, 2);
	protobuf_c_message_free_unpacked(a, NULL);
	protobuf_c_message_free_unpacked(b, NULL);
}

static void test_empty_documents(void **state)
{
	static const char *const docs[] = {
		"", "\n", "# only a comment\n", "---\n", "---\n...\n", "~\n", "null", "{}",
		"--- {}\n", "!!map {}", "!!null ~",
	};
	ProtobufCMessage *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		m = must_parse(docs[i], POLICY);
		assert_int_equal(protobuf_c_message_get_packed_size(m), 0);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	/* buf may be NULL when len is 0 */
	assert_int_equal(pbconv_yaml_parse(NULL, 0, POLICY, &m, NULL, 0), 0);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_round_trip_full(void **state)
{
	ProtobufCMessage *m = must_parse(full_policy, POLICY);
	char *y = round_trip(m);
	ProtobufCMessage *again = must_parse(y, POLICY);
	char *y2 = to_yaml(again);

	(void)state;
	/* printing is deterministic: the second print is the first */
	assert_string_equal(y, y2);
	free(y);
	free(y2);
	protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_yaml_output(void **state)
{
	static const char in[] =
		"tenants:\n"
		"  - id: acme\n"
		"    name: ''\n"
		"    local: true\n"
		"    settings: {slim: {capabilityEnabled: false, allowedOrganizations: ["
		"external:globex, 'true', plain, '123', ' lead', \"tab\\there\", null, \"#x\"]}}\n"
		"  - settings: ~\n"
		"projects:\n"
		"  - id: p\n"
		"    virtualTeam:\n"
		"      roleMappings: {lead: [internal:fin/a, b], empty: []}\n"
		"trustRelationships:\n"
		"  - circuitBreaker: {failureThreshold: 4294967295}\n";
	static const char out[] =
		"tenants:\n"
		"- id: acme\n"
		"  name: ''\n"
		"  local: true\n"
		"  settings:\n"
		"    slim:\n"
		"      capabilityEnabled: false\n"
		"      allowedOrganizations: ['external:globex', 'true', plain, '123', ' lead', "
		"\"tab\\there\", 'null', '#x']\n"
		"- settings: {}\n"
		"projects:\n"
		"- id: p\n"
		"  virtualTeam:\n"
		"    roleMappings:\n"
		"      lead: ['internal:fin/a', b]\n"
		"      empty: []\n"
		"trustRelationships:\n"
		"- circuitBreaker:\n"
		"    failureThreshold: 4294967295\n";
	ProtobufCMessage *m = must_parse(in, POLICY);
	char *y = round_trip(m);

	(void)state;
	assert_string_equal(y, out);
	free(y);
	protobuf_c_message_free_unpacked(m, NULL);

	m = must_parse("", POLICY);
	y = round_trip(m);
	assert_string_equal(y, "{}\n");
	free(y);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_json(void **state)
{
	static const struct {
		const ProtobufCMessageDescriptor *d;
		const char *yaml;
		const char *json;
	} cases[] = {
		{ POLICY, "", "{}" },
		{ POLICY, "tenants: [{id: acme, local: false, settings: {slim: "
		  "{capabilityEnabled: true, allowedOrganizations: [a, b]}}}, {}]",
		  "{\"tenants\":[{\"id\":\"acme\",\"local\":false,\"settings\":{\"slim\":"
		  "{\"capabilityEnabled\":true,\"allowedOrganizations\":[\"a\",\"b\"]}}},{}]}" },
		{ POLICY, "projects: [{virtualTeam: {roleMappings: {lead: [x, y], none: []}}}]",
		  "{\"projects\":[{\"virtualTeam\":{\"roleMappings\":"
		  "{\"lead\":[\"x\",\"y\"],\"none\":[]}}}]}" },
		{ POLICY, "trustRelationships: [{circuitBreaker: {cooldownSeconds: 300},"
		  " mls: true}]",
		  "{\"trustRelationships\":[{\"mls\":true,"
		  "\"circuitBreaker\":{\"cooldownSeconds\":300}}]}" },
		{ &slimbridge__control__v1__apply_response__descriptor,
		  "version: 18446744073709551615\ncreated: 0",
		  "{\"version\":\"18446744073709551615\",\"created\":0}" },
		{ &slimbridge__control__v1__apply_response__descriptor,
		  "version: 9223372036854775807", "{\"version\":9223372036854775807}" },
		{ &slimbridge__control__v1__object__descriptor, "app: {id: hr}",
		  "{\"app\":{\"id\":\"hr\"}}" },
		{ KITCHEN, "i32: -2147483648\ni64: -9223372036854775808\nf64: 9223372036854775808\n"
		  "colour: BLUE\ncolours: [RED, GREEN]\nbools: [true, false]\n"
		  "labels: {a: x, b: ''}\nnumber: 7\nru64: [1, 18446744073709551615]",
		  "{\"i32\":-2147483648,\"i64\":-9223372036854775808,"
		  "\"f64\":\"9223372036854775808\","
		  "\"colour\":\"BLUE\",\"colours\":[\"RED\",\"GREEN\"],\"bools\":[true,false],"
		  "\"labels\":{\"a\":\"x\",\"b\":\"\"},\"number\":7,"
		  "\"ru64\":[1,\"18446744073709551615\"]}" },
		{ KITCHEN, "text: \"caf\\u00e9\"\nwithDefault: dflt\nwithDefaultNum: 7",
		  "{\"text\":\"caf\xc3\xa9\",\"withDefault\":\"dflt\",\"withDefaultNum\":7}" },
	};
	ProtobufCMessage *m;
	char *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = must_parse(cases[i].yaml, cases[i].d);
		j = to_json(m);
		assert_string_equal(j, cases[i].json);
		free(j);
		free(round_trip(m));
		protobuf_c_message_free_unpacked(m, NULL);
	}
	errno = 0;
	assert_null(pbconv_to_json(NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_kitchen_values(void **state)
{
	static const char in[] =
		"i32: -2147483648\ns32: 2147483647\nsf32: -1\n"
		"i64: -9223372036854775808\ns64: 9223372036854775807\nsf64: -5\n"
		"u32: 4294967295\nf32: 0\nu64: 18446744073709551615\nf64: 1\n"
		"b: false\ns: !!str 12\ncolour: GREEN\n"
		"ri32: [-1, 0, !!int 1]\nlabels:\n  a: x\n  'b c': ''\n"
		"inner: {name: n}\ninners: [{name: a, n: -3}]\nnested: {name: z}\n";
	ProtobufCMessage *m = must_parse(in, KITCHEN);
	const Pbconv__Test__Kitchen *k = (const Pbconv__Test__Kitchen *)m;

	(void)state;
	assert_true(k->has_i32 && k->i32 == INT32_MIN);
	assert_true(k->has_s32 && k->s32 == INT32_MAX);
	assert_true(k->has_sf32 && k->sf32 == -1);
	assert_true(k->has_i64 && k->i64 == INT64_MIN);
	assert_true(k->has_s64 && k->s64 == INT64_MAX);
	assert_true(k->has_sf64 && k->sf64 == -5);
	assert_true(k->has_u32 && k->u32 == UINT32_MAX);
	assert_true(k->has_f32 && k->f32 == 0);
	assert_true(k->has_u64 && k->u64 == UINT64_MAX);
	assert_true(k->has_f64 && k->f64 == 1);
	assert_true(k->has_b && !k->b);
	assert_string_equal(k->s, "12");
	assert_true(k->has_colour && k->colour == PBCONV__TEST__COLOUR__GREEN);
	assert_int_equal(k->n_ri32, 3);
	assert_int_equal(k->ri32[0], -1);
	assert_int_equal(k->ri32[2], 1);
	assert_int_equal(k->n_labels, 2);
	assert_string_equal(k->labels[1]->key, "b c");
	assert_string_equal(k->labels[1]->value, "");
	assert_string_equal(k->inner->name, "n");
	assert_false(k->inner->has_n);
	assert_true(k->inners[0]->has_n && k->inners[0]->n == -3);
	assert_int_equal(k->choice_case, PBCONV__TEST__KITCHEN__CHOICE_NESTED);
	assert_string_equal(k->nested->name, "z");
	/* defaults stay, and are not "present" */
	assert_string_equal(k->withdefault, "dflt");
	assert_false(k->has_withdefaultnum);
	assert_int_equal(k->withdefaultnum, 7);
	free(round_trip(m));
	protobuf_c_message_free_unpacked(m, NULL);

	m = must_parse("text: hello\n", KITCHEN);
	k = (const Pbconv__Test__Kitchen *)m;
	assert_int_equal(k->choice_case, PBCONV__TEST__KITCHEN__CHOICE_TEXT);
	assert_string_equal(k->text, "hello");
	free(round_trip(m));
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Strings that need quoting, escapes or none, printed and read back. */
static void test_string_quoting(void **state)
{
	static const char *const strs[] = {
		"", " ", "a ", " a", "true", "False", "yes", "NO", "on", "y", "~", "null", "0",
		"-1", "+1", ".5", "1e3", "0x10", ".inf", "-.Inf", ".NaN", "- a", "-", "? a", ": a",
		"a: b", "a #b", "#a", "&a", "*a", "!a", "|", ">", "'", "\"", "%a", "@a", "`a",
		"[a]", "{a}", "a,b", "---", "...", "a\nb", "a\n", "\n", "\ta", "a\\b", "\x01",
		"\x7f", "caf\xc3\xa9", "\xe2\x80\xa8", "\xc2\x85", "\357\273\277a", "\xef\xbf\xbe",
		"a\r\nb", "  a  b  ", "internal:fin/a", "spiffe://x/y", "x: ", "<<", "=", "a'b",
		"\xf0\x9f\x98\x80",
	};
	Pbconv__Test__Kitchen k = PBCONV__TEST__KITCHEN__INIT;
	Pbconv__Test__Label l[2] = { PBCONV__TEST__LABEL__INIT, PBCONV__TEST__LABEL__INIT };
	Pbconv__Test__Label *lp[2] = { &l[0], &l[1] };
	size_t i;

	(void)state;
	k.n_rs = 1;
	k.n_labels = 2;
	k.labels = lp;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		char *rs[1] = { (char *)strs[i] };

		k.rs = rs;
		k.s = (char *)strs[i];
		l[0].key = (char *)strs[i];
		l[0].value = (char *)strs[i];
		l[1].key = (char *)"other";
		l[1].value = (char *)strs[i];
		free(round_trip(&k.base));
	}
}

/* Entries without a key or with equal keys print as a list, which parses back. */
static void test_map_fallback(void **state)
{
	Pbconv__Test__Kitchen k = PBCONV__TEST__KITCHEN__INIT;
	Pbconv__Test__Label l[2] = { PBCONV__TEST__LABEL__INIT, PBCONV__TEST__LABEL__INIT };
	Pbconv__Test__Label *lp[2] = { &l[0], &l[1] };
	char *s;

	(void)state;
	k.n_labels = 2;
	k.labels = lp;
	l[0].key = (char *)"a";
	l[0].value = (char *)"1";
	l[1].key = (char *)"a";
	l[1].value = (char *)"2";
	s = to_json(&k.base);
	assert_string_equal(s, "{\"labels\":[{\"key\":\"a\",\"value\":\"1\"},"
			    "{\"key\":\"a\",\"value\":\"2\"}]}");
	free(s);
	s = round_trip(&k.base);
	assert_string_equal(s, "labels:\n- key: a\n  value: '1'\n- key: a\n  value: '2'\n");
	free(s);
	l[1].key = NULL;
	s = to_json(&k.base);
	assert_string_equal(s, "{\"labels\":[{\"key\":\"a\",\"value\":\"1\"},{\"value\":\"2\"}]}");
	free(s);
	free(round_trip(&k.base));
	l[1].key = (char *)"b";
	l[1].value = NULL;
	s = to_json(&k.base);
	assert_string_equal(s, "{\"labels\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\"}]}");
	free(s);
	free(round_trip(&k.base));
	l[1].value = (char *)"2";
	s = to_json(&k.base);
	assert_string_equal(s, "{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}");
	free(s);
}

static void test_output_errors(void **state)
{
	Pbconv__Test__Kitchen k = PBCONV__TEST__KITCHEN__INIT;
	FILE *f;

	(void)state;
	f = fopen("/dev/null", "w");
	assert_non_null(f);
	k.s = (char *)"bad \xff utf-8";
	errno = 0;
	assert_null(pbconv_to_json(&k.base));
	assert_int_equal(errno, EILSEQ);
	assert_int_equal(pbconv_write_yaml(&k.base, f), -EILSEQ);
	k.s = (char *)"\xed\xa0\x80";		/* a surrogate */
	assert_int_equal(pbconv_write_yaml(&k.base, f), -EILSEQ);
	{
		static const char *const bad[] = {
			"\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xf4\x90\x80\x80",
			"\xf8\x88\x80\x80\x80", "\xe2\x82", "\xf0\x9f\x98",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			k.s = (char *)bad[i];
			errno = 0;
			assert_null(pbconv_to_json(&k.base));
			assert_int_equal(errno, EILSEQ);
			assert_int_equal(pbconv_write_yaml(&k.base, f), -EILSEQ);
		}
		k.s = (char *)"\xf4\x8f\xbf\xbf \xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9";
		free(round_trip(&k.base));
	}
	k.s = NULL;
	k.has_d = 1;
	k.d = 1.5;
	errno = 0;
	assert_null(pbconv_to_json(&k.base));
	assert_int_equal(errno, ENOTSUP);
	assert_int_equal(pbconv_write_yaml(&k.base, f), -ENOTSUP);
	k.has_d = 0;
	k.has_raw = 1;
	assert_int_equal(pbconv_write_yaml(&k.base, f), -ENOTSUP);
	k.has_raw = 0;
	assert_int_equal(pbconv_write_yaml(&k.base, f), 0);
	assert_int_equal(pbconv_write_yaml(NULL, f), -EINVAL);
	assert_int_equal(pbconv_write_yaml(&k.base, NULL), -EINVAL);
	fclose(f);

	/* an unknown enum value prints as its number (and does not parse back) */
	k.has_colour = 1;
	k.colour = 9;
	{
		char *s = to_json(&k.base);

		assert_string_equal(s, "{\"colour\":9}");
		free(s);
		s = to_yaml(&k.base);
		assert_string_equal(s, "colour: 9\n");
		free(s);
	}
	k.has_colour = 0;

	f = fopen("/dev/full", "w");
	if (f != NULL) {
		Pbconv__Test__Kitchen big = PBCONV__TEST__KITCHEN__INIT;
		char *rs[200];
		size_t i;

		for (i = 0; i < 200; i++) {
			rs[i] = (char *)"a string long enough to fill the emitter's buffer";
		}
		big.n_rs = 200;
		big.rs = rs;
		assert_int_equal(pbconv_write_yaml(&big.base, f), -EIO);
		fclose(f);
	}
}

struct err_case {
	const ProtobufCMessageDescriptor *d;
	const char *yaml;
	int rc;
	const char *err;
};

static void check_errors(const struct err_case *c, size_t n)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m;
	size_t i, bad = 0;
	int rc;

	for (i = 0; i < n; i++) {
		m = (ProtobufCMessage *)(uintptr_t)1;
		memset(err, 'x', sizeof(err));
		rc = parse(c[i].yaml, c[i].d != NULL ? c[i].d : POLICY, &m, err);
		if (rc != c[i].rc || strcmp(err, c[i].err) != 0) {
			print_error("case %zu: got %d \"%s\", want %d \"%s\"\n", i, rc, err,
				    c[i].rc, c[i].err);
			bad++;
		}
		assert_null(m);
	}
	assert_int_equal(bad, 0);
}

static void test_errors(void **state)
{
	static const struct err_case cases[] = {
		{ NULL, "agents:\n  - id: a\n    slimConfig:\n      enabeld: true\n",
		  -EINVAL,
		  "4:7: unknown field 'enabeld' in slimbridge.control.v1.AgentSlimConfig" },
		{ NULL, "tenants:\n- settings:\n    slim: {capabilityEnabled: yes please}\n",
		  -EINVAL, "3:31: 'capabilityEnabled' expects true or false, got 'yes please'" },
		{ NULL, "tenants: [{settings: {slim: {capabilityEnabled: \"true\"}}}]",
		  -EINVAL,
		  "1:49: 'capabilityEnabled' expects true or false, got the string 'true'" },
		{ NULL, "tenants: [{local: yes}]",
		  -EINVAL, "1:19: 'local' expects true or false, got 'yes'" },
		{ NULL, "tenants: [{local: True}]",
		  -EINVAL, "1:19: 'local' expects true or false, got 'True'" },
		{ NULL, "tenants: [{local: }]",
		  -EINVAL, "1:19: 'local' expects true or false, got null" },
		{ NULL, "tenants: [{local: [true]}]",
		  -EINVAL, "1:19: 'local' expects true or false, got a sequence" },
		{ NULL,
		  "projects:\n  - id: p\n    slimConfig: {}\n    name: x\n    slimConfig: {}\n",
		  -EINVAL, "5:5: duplicate key 'slimConfig'" },
		{ NULL, "tenants:\n  - &t {id: x}\n",
		  -EINVAL, "2:5: aliases and anchors are not accepted" },
		{ NULL, "tenants:\n  - {id: x}\n  - {id: *x}\n",
		  -EINVAL, "3:10: aliases and anchors are not accepted" },
		{ NULL, "x: &a 1\n",
		  -EINVAL, "1:1: unknown field 'x' in slimbridge.control.v1.Policy" },
		{ NULL, "tenants: !!seq [!foo {}]",
		  -EINVAL, "1:17: tag '!foo' is not accepted" },
		{ NULL, "tenants: !!map []",
		  -EINVAL, "1:10: tag 'tag:yaml.org,2002:map' is not accepted" },
		{ NULL, "tenants: [{id: !!binary aGk=}]",
		  -EINVAL, "1:16: tag 'tag:yaml.org,2002:binary' is not accepted" },
		{ NULL, "tenants: [a\n",
		  -EINVAL,
		  "2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
		  "sequence at 1:10)" },
		{ NULL, "tenants:\n  - id: a\n   name: b\n",
		  -EINVAL,
		  "3:4: YAML syntax error: did not find expected '-' indicator (while parsing a "
		  "block collection at 2:3)" },
		{ NULL, "apps: [{id: \"a\x01\"}]",
		  -EINVAL, "1:15: invalid YAML: control characters are not allowed" },
		{ NULL, "apps: [{id: \"\xc3\xa9\x01\"}]",
		  -EINVAL, "1:15: invalid YAML: control characters are not allowed" },
		{ NULL, "apps:\n  - id: \xff\n",
		  -EINVAL, "2:9: invalid YAML: invalid leading UTF-8 octet" },
		{ NULL, "- a\n",
		  -EINVAL,
		  "1:1: expected a mapping (slimbridge.control.v1.Policy), got a sequence" },
		{ NULL, "policy\n",
		  -EINVAL, "1:1: expected a mapping (slimbridge.control.v1.Policy), got 'policy'" },
		{ NULL, "tenants: acme\n",
		  -EINVAL, "1:10: 'tenants' expects a sequence, got 'acme'" },
		{ NULL, "tenants:\n",
		  -EINVAL, "1:9: 'tenants' expects a sequence, got null" },
		{ NULL, "tenants: [acme]\n",
		  -EINVAL,
		  "1:11: 'tenants' expects a mapping (slimbridge.control.v1.Tenant), got 'acme'" },
		{ NULL, "tenants: [{settings: {slim: {allowedOrganizations: external:x}}}]",
		  -EINVAL, "1:52: 'allowedOrganizations' expects a sequence, got 'external:x'" },
		{ NULL, "apps: [{id: [a]}]",
		  -EINVAL, "1:13: 'id' expects a string, got a sequence" },
		{ NULL, "apps: [{id: \"a\\0b\"}]",
		  -EINVAL, "1:13: 'id' holds a NUL character" },
		{ NULL, "trustRelationships: [{circuitBreaker: {failureThreshold: 4294967296}}]",
		  -EINVAL,
		  "1:58: 'failureThreshold' expects an integer in 0..4294967295, got "
		  "'4294967296'" },
		{ NULL, "trustRelationships: [{circuitBreaker: {cooldownSeconds: -1}}]",
		  -EINVAL,
		  "1:57: 'cooldownSeconds' expects an integer in 0..4294967295, got '-1'" },
		{ NULL, "trustRelationships: [{circuitBreaker: {cooldownSeconds: '300'}}]",
		  -EINVAL,
		  "1:57: 'cooldownSeconds' expects an integer in 0..4294967295, got the string "
		  "'300'" },
		{ NULL, "apps: []\n---\napps: []\n",
		  -EINVAL, "2:1: a second YAML document (only one is accepted)" },
		{ NULL, "? [a]\n: b\n",
		  -EINVAL,
		  "1:3: keys of slimbridge.control.v1.Policy must be scalars, got a sequence" },
		{ NULL, "projects: [{virtualTeam: {roleMappings: {lead: x}}}]",
		  -EINVAL, "1:48: 'roleMappings' expects a sequence for each key, got 'x'" },
		{ NULL, "projects: [{virtualTeam: {roleMappings: {lead: [x], lead: [y]}}}]",
		  -EINVAL, "1:53: duplicate key 'lead'" },
		{ NULL, "projects: [{virtualTeam: {roleMappings: {lead: [{}]}}}]",
		  -EINVAL, "1:49: 'roleMappings' expects a string, got a mapping" },
		{ NULL, "projects: [{virtualTeam: {roleMappings: lead}}]",
		  -EINVAL, "1:41: 'roleMappings' expects a mapping or a sequence, got 'lead'" },
		{ NULL,
		  "apps: [{id: 0123456789012345678901234567890123456789012345678901234567890}]\nx: "
		  "1",
		  -EINVAL, "2:1: unknown field 'x' in slimbridge.control.v1.Policy" },
		{ NULL,
		  "apps: [{0123456789012345678901234567890123456789012345678901234567890: 1}]",
		  -EINVAL,
		  "1:9: unknown field '012345678901234567890123456789012345678901234567...' in "
		  "slimbridge.control.v1.App" },
		{ NULL, "\"a\\tb\": 1",
		  -EINVAL, "1:1: unknown field 'a?b' in slimbridge.control.v1.Policy" },
		{ NULL,
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x\xc3\xa9: 1",
		  -EINVAL,
		  "1:1: unknown field "
		  "'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
		  "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
		  "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...' in slimbridge.control.v1.Policy" },
		{ &slimbridge__control__v1__object__descriptor, "tenant: {}\napp: {id: a}\n",
		  -EINVAL, "2:6: 'tenant' and 'app' are members of the same oneof; set only one" },
		{ KITCHEN, "i32: 2147483648",
		  -EINVAL,
		  "1:6: 'i32' expects an integer in -2147483648..2147483647, got '2147483648'" },
		{ KITCHEN, "i32: -2147483649",
		  -EINVAL,
		  "1:6: 'i32' expects an integer in -2147483648..2147483647, got '-2147483649'" },
		{ KITCHEN, "i64: -9223372036854775809",
		  -EINVAL,
		  "1:6: 'i64' expects an integer in -9223372036854775808..9223372036854775807, got "
		  "'-9223372036854775809'" },
		{ KITCHEN, "u64: 18446744073709551616",
		  -EINVAL,
		  "1:6: 'u64' expects an integer in 0..18446744073709551615, got "
		  "'18446744073709551616'" },
		{ KITCHEN, "u32: 007",
		  -EINVAL, "1:6: 'u32' expects an integer in 0..4294967295, got '007'" },
		{ KITCHEN, "u32: +7",
		  -EINVAL, "1:6: 'u32' expects an integer in 0..4294967295, got '+7'" },
		{ KITCHEN, "u32: 0x10",
		  -EINVAL, "1:6: 'u32' expects an integer in 0..4294967295, got '0x10'" },
		{ KITCHEN, "i32: 1.0",
		  -EINVAL, "1:6: 'i32' expects an integer in -2147483648..2147483647, got '1.0'" },
		{ KITCHEN, "i32: -a",
		  -EINVAL, "1:6: 'i32' expects an integer in -2147483648..2147483647, got '-a'" },
		{ KITCHEN, "i32: [-]",
		  -EINVAL,
		  "1:6: 'i32' expects an integer in -2147483648..2147483647, got a sequence" },
		{ KITCHEN, "ri32: [1, x]",
		  -EINVAL, "1:11: 'ri32' expects an integer in -2147483648..2147483647, got 'x'" },
		{ KITCHEN, "ri32: 1",
		  -EINVAL, "1:7: 'ri32' expects a sequence, got '1'" },
		{ KITCHEN, "colour: PURPLE",
		  -EINVAL, "1:9: 'colour' expects a value of pbconv.test.Colour, got 'PURPLE'" },
		{ KITCHEN, "colour: 1",
		  -EINVAL, "1:9: 'colour' expects a value of pbconv.test.Colour, got '1'" },
		{ KITCHEN, "inner: {n: 1}",
		  -EINVAL, "1:8: missing required field 'name' in pbconv.test.Inner" },
		{ KITCHEN, "inners: [~]",
		  -EINVAL, "1:10: missing required field 'name' in pbconv.test.Inner" },
		{ KITCHEN, "text: a\nnumber: 1",
		  -EINVAL, "2:9: 'text' and 'number' are members of the same oneof; set only one" },
		{ KITCHEN, "nested: {name: a}\ntext: a",
		  -EINVAL, "2:7: 'nested' and 'text' are members of the same oneof; set only one" },
		{ KITCHEN, "d: 1.5",
		  -EINVAL, "1:4: 'd' is of type double, which pbconv does not convert" },
		{ KITCHEN, "raw: aGk=",
		  -EINVAL, "1:6: 'raw' is of type bytes, which pbconv does not convert" },
		{ KITCHEN, "labels: {a: [x]}",
		  -EINVAL, "1:13: 'labels' expects a string, got a sequence" },
		{ KITCHEN, "labels: {? {a: b} : x}",
		  -EINVAL, "1:12: 'labels' keys must be scalars, got a mapping" },
	};

	(void)state;
	check_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_limits(void **state)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m = (ProtobufCMessage *)(uintptr_t)1;
	char deep[2 * PBCONV_MAX_DEPTH + 32];
	size_t n = PBCONV_MAX_INPUT + 1, i;
	char *big = malloc(n);
	int rc;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	rc = pbconv_yaml_parse(big, n, POLICY, &m, err, sizeof(err));
	assert_int_equal(rc, -E2BIG);
	assert_null(m);
	assert_string_equal(err, "1:1: input of 16777217 bytes is over the 16 MiB limit");
	/* 16 MiB exactly is accepted (all blanks: an empty document) */
	rc = pbconv_yaml_parse(big, n - 1, POLICY, &m, err, sizeof(err));
	assert_int_equal(rc, 0);
	protobuf_c_message_free_unpacked(m, NULL);
	free(big);

	/* 32 levels: the root mapping, then 31 flow sequences; not a valid Policy */
	n = (size_t)snprintf(deep, sizeof(deep), "tenants: ");
	for (i = 1; i < PBCONV_MAX_DEPTH; i++) {
		deep[n++] = '[';
	}
	for (i = 1; i < PBCONV_MAX_DEPTH; i++) {
		deep[n++] = ']';
	}
	deep[n] = '\0';
	rc = parse(deep, POLICY, &m, err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "1:11: 'tenants' expects a mapping "
			    "(slimbridge.control.v1.Tenant), got a sequence");
	/* 33 */
	memmove(deep + 10, deep + 9, n - 9 + 1);
	deep[9] = '[';
	memcpy(deep + n + 1, "]", 2);
	rc = parse(deep, POLICY, &m, err);
	assert_int_equal(rc, -E2BIG);
	assert_null(m);
	assert_string_equal(err, "1:41: nesting deeper than 32 levels");
}

static void test_arguments(void **state)
{
	char err[PBCONV_ERR_MAX], small[8];
	ProtobufCMessage *m = NULL;

	(void)state;
	assert_int_equal(pbconv_yaml_parse("a", 1, NULL, &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid arguments");
	assert_int_equal(pbconv_yaml_parse("a", 1, POLICY, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pbconv_yaml_parse(NULL, 1, POLICY, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	/* no room for a message, or a short one: cut and terminated */
	assert_int_equal(pbconv_yaml_parse("x: 1", 4, POLICY, &m, NULL, 0), -EINVAL);
	assert_int_equal(pbconv_yaml_parse("x: 1", 4, POLICY, &m, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "1:1: un");
	/* not NUL-terminated: only len bytes are read */
	assert_int_equal(pbconv_yaml_parse("apps: []xyz", 8, POLICY, &m, err, sizeof(err)), 0);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Every prefix of the full policy: parsed or refused, never half-built. */
static void test_prefixes(void **state)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m;
	size_t n;
	int rc, line, col;

	(void)state;
	for (n = 0; n <= sizeof(full_policy) - 1; n++) {
		m = NULL;
		rc = pbconv_yaml_parse(full_policy, n, POLICY, &m, err, sizeof(err));
		if (rc == 0) {
			assert_non_null(m);
			assert_true(protobuf_c_message_check(m));
			protobuf_c_message_free_unpacked(m, NULL);
			continue;
		}
		assert_int_equal(rc, -EINVAL);
		assert_null(m);
		assert_int_equal(sscanf(err, "%d:%d: ", &line, &col), 2);
		assert_true(line >= 1 && col >= 1);
		assert_null(strchr(err, '\n'));
	}
}

/* Every allocation of a parse, and of a JSON conversion, failing in turn. */
static void test_alloc_failures(void **state)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m, *ok = must_parse(full_policy, POLICY);
	json_t *j;
	long k;
	int rc;

	(void)state;
	json_set_alloc_funcs(json_malloc, json_free);
	for (k = 0;; k++) {
		m = (ProtobufCMessage *)(uintptr_t)1;
		countdown = k;
		rc = parse(full_policy, POLICY, &m, err);
		countdown = -1;
		if (rc == 0) {
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		assert_null(m);
		assert_string_equal(err, "out of memory");
	}
	assert_true(k > 100);
	assert_same(ok, m);
	protobuf_c_message_free_unpacked(m, NULL);
	for (k = 0;; k++) {
		countdown = k;
		errno = 0;
		j = pbconv_to_json(ok);
		countdown = -1;
		if (j != NULL) {
			break;
		}
		assert_int_equal(errno, ENOMEM);
	}
	assert_true(k > 100);
	json_decref(j);
	for (k = 0;; k++) {
		FILE *f = fopen("/dev/null", "w");

		assert_non_null(f);
		countdown = k;
		rc = pbconv_write_yaml(ok, f);
		countdown = -1;
		fclose(f);
		if (rc == 0) {
			break;
		}
		assert_int_equal(rc, -ENOMEM);
	}
	assert_true(k > 0);
	json_set_alloc_funcs(malloc, free);
	protobuf_c_message_free_unpacked(ok, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_policy),
		cmocka_unit_test(test_flow_and_list_forms),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_yaml_output),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_kitchen_values),
		cmocka_unit_test(test_string_quoting),
		cmocka_unit_test(test_map_fallback),
		cmocka_unit_test(test_output_errors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
