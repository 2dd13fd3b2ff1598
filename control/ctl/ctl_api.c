/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_api.c - ControlService methods.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "ctl_api.h"
#include "ctl_state.h"
#include "grpc_server.h"
#include "pol_eval.h"
#include "store.h"

#define SVC "/slimbridge.control.v1.ControlService/"

enum method {
	M_APPLY,
	M_CREATE,
	M_UPDATE,
	M_GET,
	M_DELETE,
	M_LIST,
	M_CHECK,
	M_REQUIRED,
	M_WATCH,
	M_STATUS,
	M_CHANGELOG,
	M_MAX,
};

static const char *const method_names[M_MAX] = {
	"Apply", "Create", "Update", "Get", "Delete", "List", "CheckPermission", "IsSlimRequired",
	"WatchPolicy", "Status", "ChangeLog",
};

struct acall {
	struct ctl_api *api;
	struct grpc_call *call;
	enum method m;
	bool answered;
	bool watching;
	bool behind;		/* a version could not be sent (flow control) */
	uint64_t sent_epoch;
	struct acall *next;	/* watchers */
};

struct mslot {
	struct ctl_api *api;
	enum method m;
};

struct ctl_api {
	struct ctl_state *st;
	struct mslot slots[M_MAX];
	struct acall *watchers;
};

static void finish(struct grpc_call *call, int status, const char *msg)
{
	(void)!grpc_call_finish(call, status, msg); /* -EPIPE: already finished */
}

static int send_msg(struct grpc_call *call, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t stackbuf[512];
	uint8_t *b = n <= sizeof(stackbuf) ? stackbuf : malloc(n);
	int rc;

	if (b == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(m, b);
	rc = grpc_call_send(call, b, n);
	if (b != stackbuf) {
		free(b);
	}
	return rc;
}

/* Answers a unary call: the response, or the status for a negative |rc|. */
static void answer(struct acall *ac, const ProtobufCMessage *resp)
{
	int rc = send_msg(ac->call, resp);

	if (rc < 0) {
		finish(ac->call, GRPC_RESOURCE_EXHAUSTED, "cannot send the response");
	}
}

static int status_of(int rc)
{
	switch (rc) {
	case -EINVAL:
		return GRPC_INVALID_ARGUMENT;
	case -ENOENT:
		return GRPC_NOT_FOUND;
	case -EEXIST:
		return GRPC_ALREADY_EXISTS;
	case -ENOMEM:
		return GRPC_RESOURCE_EXHAUSTED;
	default:
		return GRPC_INTERNAL;
	}
}

static ProtobufCMessage *object_msg(const pb_policy *p, enum pol_kind k, int32_t i)
{
	switch (k) {
	case POL_KIND_TENANT:
		return &p->tenants[i]->base;
	case POL_KIND_APP:
		return &p->apps[i]->base;
	case POL_KIND_PROJECT:
		return &p->projects[i]->base;
	case POL_KIND_TEAM:
		return &p->teams[i]->base;
	case POL_KIND_AGENT:
		return &p->agents[i]->base;
	case POL_KIND_TRUST:
		return &p->trustrelationships[i]->base;
	default:
		return &p->contentrulesets[i]->base;
	}
}

/* Sets the oneof member of |o| for kind |k| to |m| (borrowed). */
static void object_set(pb_object *o, enum pol_kind k, ProtobufCMessage *m)
{
	static const Slimbridge__Control__V1__Object__KindCase cases[POL_KIND_MAX] = {
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TENANT,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_APP,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_PROJECT,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TEAM,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_AGENT,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TRUST_RELATIONSHIP,
		SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_CONTENT_RULE_SET,
	};

	o->kind_case = cases[k];
	switch (k) {
	case POL_KIND_TENANT:
		o->tenant = (pb_tenant *)m;
		break;
	case POL_KIND_APP:
		o->app = (pb_app *)m;
		break;
	case POL_KIND_PROJECT:
		o->project = (pb_project *)m;
		break;
	case POL_KIND_TEAM:
		o->team = (pb_team *)m;
		break;
	case POL_KIND_AGENT:
		o->agent = (pb_agent *)m;
		break;
	case POL_KIND_TRUST:
		o->trustrelationship = (pb_trust *)m;
		break;
	default:
		o->contentruleset = (pb_ruleset *)m;
		break;
	}
}

static int parse_kind(struct acall *ac, const char *kind)
{
	int k = pol_kind_parse(kind);

	if (k < 0) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "unknown kind '%s' (tenant, app, project, team, agent, trust, ruleset)",
			 kind != NULL ? kind : "");
		finish(ac->call, GRPC_INVALID_ARGUMENT, msg);
	}
	return k;
}

#define UNPACK(T, fn, var) \
	T *var = fn(NULL, len, msg); \
	if (var == NULL) { \
		finish(ac->call, GRPC_INVALID_ARGUMENT, "cannot decode the request"); \
		return; \
	}

static void do_apply(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__ApplyRequest, slimbridge__control__v1__apply_request__unpack,
	       rq);
	Slimbridge__Control__V1__ApplyResponse r = SLIMBRIDGE__CONTROL__V1__APPLY_RESPONSE__INIT;
	Slimbridge__Control__V1__Policy empty = SLIMBRIDGE__CONTROL__V1__POLICY__INIT;
	struct ctl_counts c;
	char err[512];
	int rc;

	rc = ctl_state_apply(ac->api->st, rq->policy != NULL ? rq->policy : &empty, rq->prune,
			     rq->dryrun, &c, err, sizeof(err));
	if (rc < 0) {
		finish(ac->call, status_of(rc), err);
	} else {
		r.has_version = r.has_created = r.has_updated = r.has_unchanged = r.has_deleted = 1;
		r.version = ctl_state_version(ac->api->st);
		r.created = c.created;
		r.updated = c.updated;
		r.unchanged = c.unchanged;
		r.deleted = c.deleted;
		answer(ac, &r.base);
	}
	slimbridge__control__v1__apply_request__free_unpacked(rq, NULL);
}

static void do_put(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__ObjectRequest, slimbridge__control__v1__object_request__unpack,
	       rq);
	Slimbridge__Control__V1__ObjectResponse r = SLIMBRIDGE__CONTROL__V1__OBJECT_RESPONSE__INIT;
	char err[512];
	int rc;

	if (rq->object == NULL) {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "object is missing");
	} else {
		rc = ctl_state_put(ac->api->st, rq->object,
				   ac->m == M_CREATE ? CTL_PUT_CREATE : CTL_PUT_UPDATE, err,
				   sizeof(err));
		if (rc < 0) {
			finish(ac->call, status_of(rc), err);
		} else {
			r.object = rq->object;
			r.has_version = 1;
			r.version = ctl_state_version(ac->api->st);
			answer(ac, &r.base);
		}
	}
	slimbridge__control__v1__object_request__free_unpacked(rq, NULL);
}

static void do_get_delete(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__ObjectRef, slimbridge__control__v1__object_ref__unpack, rq);
	const struct pol_model *m = ctl_state_model(ac->api->st);
	int k = parse_kind(ac, rq->kind);
	char err[600];

	if (k < 0) {
		goto out;
	}
	if (rq->id == NULL || rq->id[0] == '\0') {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "id is missing");
		goto out;
	}
	if (ac->m == M_GET) {
		Slimbridge__Control__V1__ObjectResponse r =
			SLIMBRIDGE__CONTROL__V1__OBJECT_RESPONSE__INIT;
		pb_object o = SLIMBRIDGE__CONTROL__V1__OBJECT__INIT;
		int32_t i = pol_model_find(m, (enum pol_kind)k, rq->id);

		if (i < 0) {
			snprintf(err, sizeof(err), "%s '%s' does not exist", pol_kind_name((enum pol_kind)k),
				 rq->id);
			finish(ac->call, GRPC_NOT_FOUND, err);
			goto out;
		}
		object_set(&o, (enum pol_kind)k, object_msg(m->p, (enum pol_kind)k, i));
		r.object = &o;
		r.has_version = 1;
		r.version = ctl_state_version(ac->api->st);
		answer(ac, &r.base);
	} else {
		Slimbridge__Control__V1__DeleteResponse r =
			SLIMBRIDGE__CONTROL__V1__DELETE_RESPONSE__INIT;
		int rc = ctl_state_delete(ac->api->st, (enum pol_kind)k, rq->id, err, sizeof(err));

		if (rc < 0) {
			finish(ac->call, rc == -EINVAL ? GRPC_FAILED_PRECONDITION : status_of(rc), err);
			goto out;
		}
		r.has_version = 1;
		r.version = ctl_state_version(ac->api->st);
		answer(ac, &r.base);
	}
out:
	slimbridge__control__v1__object_ref__free_unpacked(rq, NULL);
}

static void do_list(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__ListRequest, slimbridge__control__v1__list_request__unpack, rq);
	const pb_policy *p = ctl_state_model(ac->api->st)->p;
	Slimbridge__Control__V1__ListResponse r = SLIMBRIDGE__CONTROL__V1__LIST_RESPONSE__INIT;
	Slimbridge__Control__V1__Policy out = *p;	/* borrowed arrays */
	int k = -1;

	if (rq->kind != NULL && rq->kind[0] != '\0') {
		k = parse_kind(ac, rq->kind);
		if (k < 0) {
			goto done;
		}
	}
#define KEEP(kind, field) \
	if (k >= 0 && k != (kind)) { \
		out.n_##field = 0; \
	}
	KEEP(POL_KIND_TENANT, tenants)
	KEEP(POL_KIND_APP, apps)
	KEEP(POL_KIND_PROJECT, projects)
	KEEP(POL_KIND_TEAM, teams)
	KEEP(POL_KIND_AGENT, agents)
	KEEP(POL_KIND_TRUST, trustrelationships)
	KEEP(POL_KIND_RULESET, contentrulesets)
#undef KEEP
	r.policy = &out;
	r.has_version = 1;
	r.version = ctl_state_version(ac->api->st);
	answer(ac, &r.base);
done:
	slimbridge__control__v1__list_request__free_unpacked(rq, NULL);
}

static void do_check(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__CheckPermissionRequest,
	       slimbridge__control__v1__check_permission_request__unpack, rq);
	Slimbridge__Control__V1__CheckPermissionResponse r =
		SLIMBRIDGE__CONTROL__V1__CHECK_PERMISSION_RESPONSE__INIT;
	struct pol_result res;
	const char *missing = NULL;
	enum sb_pol_dir dir;
	enum sb_pol_op op;
	char err[300];
	int rc;

	if (rq->sourceagentid == NULL || rq->targetagentid == NULL) {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "sourceAgentId and targetAgentId are required");
		goto out;
	}
	if (rq->direction == NULL || strcmp(rq->direction, "outbound") == 0) {
		dir = SB_POL_OUTBOUND;
	} else if (strcmp(rq->direction, "inbound") == 0) {
		dir = SB_POL_INBOUND;
	} else {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "direction must be outbound or inbound");
		goto out;
	}
	if (rq->operationtype == NULL || strcmp(rq->operationtype, "task") == 0) {
		op = SB_POL_OP_TASK;
	} else if (strcmp(rq->operationtype, "query") == 0) {
		op = SB_POL_OP_QUERY;
	} else {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "operationType must be task or query");
		goto out;
	}
	rc = pol_check(ctl_state_model(ac->api->st), rq->sourceagentid, rq->targetagentid,
		       rq->targetorganization, dir, op, &res, &missing);
	if (rc == -ENOENT) {
		snprintf(err, sizeof(err), "agent '%s' does not exist", missing);
		finish(ac->call, GRPC_NOT_FOUND, err);
		goto out;
	}
	if (rc < 0) {
		const char *why = "";

		pol_org_valid(rq->targetorganization, true, &why);
		snprintf(err, sizeof(err), "targetOrganization '%s': %s", rq->targetorganization, why);
		finish(ac->call, GRPC_INVALID_ARGUMENT, err);
		goto out;
	}
	r.has_allowed = 1;
	r.allowed = res.allowed;
	r.reason = (char *)pol_reason_text(res.reason);
	r.blockedat = (char *)pol_level_name(res.level);
	r.organization = res.org;
	r.has_version = 1;
	r.version = ctl_state_version(ac->api->st);
	answer(ac, &r.base);
out:
	slimbridge__control__v1__check_permission_request__free_unpacked(rq, NULL);
}

static void do_required(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__IsSlimRequiredRequest,
	       slimbridge__control__v1__is_slim_required_request__unpack, rq);
	Slimbridge__Control__V1__IsSlimRequiredResponse r =
		SLIMBRIDGE__CONTROL__V1__IS_SLIM_REQUIRED_RESPONSE__INIT;
	const struct pol_model *m = ctl_state_model(ac->api->st);
	struct pol_result res;
	const char *missing = NULL;
	char reason[300], err[300];
	bool required;

	if (rq->sourceagentid == NULL || rq->targetagentid == NULL) {
		finish(ac->call, GRPC_INVALID_ARGUMENT, "sourceAgentId and targetAgentId are required");
		goto out;
	}
	if (pol_slim_required(m, rq->sourceagentid, rq->targetagentid, &res, &required, &missing) < 0) {
		snprintf(err, sizeof(err), "agent '%s' does not exist", missing);
		finish(ac->call, GRPC_NOT_FOUND, err);
		goto out;
	}
	if (!required) {
		snprintf(reason, sizeof(reason), "Same app: use A2A");
	} else if (strncmp(res.org, "internal:", 9) == 0) {
		snprintf(reason, sizeof(reason), "Different apps of one tenant: SLIM as %s", res.org);
	} else {
		snprintf(reason, sizeof(reason), "Different organizations: SLIM as %s", res.org);
	}
	r.has_required = 1;
	r.required = required;
	r.reason = reason;
	r.organization = res.org;
	answer(ac, &r.base);
out:
	slimbridge__control__v1__is_slim_required_request__free_unpacked(rq, NULL);
}

static void do_status(struct acall *ac)
{
	Slimbridge__Control__V1__StatusResponse r = SLIMBRIDGE__CONTROL__V1__STATUS_RESPONSE__INIT;
	const struct pol_model *m = ctl_state_model(ac->api->st);
	struct store *store = ctl_state_store(ac->api->st);
	struct ctl_pub pub;

	ctl_state_pub(ac->api->st, &pub);
	r.has_version = r.has_epoch = r.has_dataplaneackedepoch = r.has_schemaversion = 1;
	r.has_snapshotbytes = r.has_tenants = r.has_apps = r.has_projects = r.has_teams = 1;
	r.has_agents = r.has_trustrelationships = r.has_contentrulesets = 1;
	r.version = ctl_state_version(ac->api->st);
	r.epoch = pub.epoch;
	r.dataplaneackedepoch = pub.acked_epoch;
	r.store = (char *)store_path(store);
	r.schemaversion = store_schema_version(store);
	r.snapshotbytes = pub.bytes;
	r.tenants = pol_model_count(m, POL_KIND_TENANT);
	r.apps = pol_model_count(m, POL_KIND_APP);
	r.projects = pol_model_count(m, POL_KIND_PROJECT);
	r.teams = pol_model_count(m, POL_KIND_TEAM);
	r.agents = pol_model_count(m, POL_KIND_AGENT);
	r.trustrelationships = pol_model_count(m, POL_KIND_TRUST);
	r.contentrulesets = pol_model_count(m, POL_KIND_RULESET);
	{
		struct ctl_compile_stats cs;

		ctl_state_compile_stats(ac->api->st, &cs);
		r.has_fullcompiles = r.has_patches = r.has_patchfallbacks = 1;
		r.has_lastcompilens = r.has_lastpatched = 1;
		r.fullcompiles = cs.full;
		r.patches = cs.patches;
		r.patchfallbacks = cs.patch_fallbacks;
		r.lastcompilens = cs.last_ns;
		r.lastpatched = cs.last_patched;
	}
	answer(ac, &r.base);
}

struct clog {
	Slimbridge__Control__V1__Change **v;
	size_t n, cap;
};

static int clog_one(const struct store_change *c, void *arg)
{
	struct clog *l = arg;
	Slimbridge__Control__V1__Change *x;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 64;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (p == NULL) {
			return -ENOMEM;
		}
		l->v = p;
		l->cap = cap;
	}
	x = malloc(sizeof(*x));
	if (x == NULL) {
		return -ENOMEM;
	}
	slimbridge__control__v1__change__init(x);
	x->has_version = x->has_timens = 1;
	x->version = c->version;
	x->timens = c->time_ns;
	x->op = strdup(store_op_name(c->op));
	x->kind = strdup(c->kind);
	x->id = strdup(c->id);
	l->v[l->n++] = x;
	return x->op == NULL || x->kind == NULL || x->id == NULL ? -ENOMEM : 0;
}

static void do_changelog(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__ChangeLogRequest,
	       slimbridge__control__v1__change_log_request__unpack, rq);
	Slimbridge__Control__V1__ChangeLogResponse r =
		SLIMBRIDGE__CONTROL__V1__CHANGE_LOG_RESPONSE__INIT;
	struct clog l = {0};
	uint32_t limit = rq->has_limit && rq->limit > 0 ? rq->limit : 100;
	int rc;

	if (limit > 10000) {
		limit = 10000;
	}
	rc = store_changes(ctl_state_store(ac->api->st), rq->sinceversion, limit, clog_one, &l);
	if (rc < 0) {
		finish(ac->call, GRPC_INTERNAL, "cannot read the change log");
	} else {
		r.n_changes = l.n;
		r.changes = l.v;
		answer(ac, &r.base);
	}
	for (size_t i = 0; i < l.n; i++) {
		slimbridge__control__v1__change__free_unpacked(l.v[i], NULL);
	}
	free(l.v);
	slimbridge__control__v1__change_log_request__free_unpacked(rq, NULL);
}

/* ---------------------------------------------------------------- WatchPolicy */

/* Sends every publication after the last one sent, in order, until the stream is full. */
static void watch_send(struct acall *ac)
{
	struct ctl_pub pub;

	while (ctl_state_pub_after(ac->api->st, ac->sent_epoch, &pub)) {
		Slimbridge__Control__V1__PolicyVersion v =
			SLIMBRIDGE__CONTROL__V1__POLICY_VERSION__INIT;
		int rc;

		v.has_version = v.has_epoch = v.has_publishedns = v.has_checksum = 1;
		v.has_snapshotbytes = v.has_changes = 1;
		v.version = pub.version;
		v.epoch = pub.epoch;
		v.publishedns = pub.published_ns;
		v.checksum = pub.checksum;
		v.snapshotbytes = pub.bytes;
		v.changes = pub.changes;
		rc = send_msg(ac->call, &v.base);
		if (rc == -EAGAIN) {
			ac->behind = true;	/* on_writable goes on from here */
			return;
		}
		if (rc < 0) {
			finish(ac->call, GRPC_RESOURCE_EXHAUSTED, "watcher cannot keep up");
			return;
		}
		ac->sent_epoch = pub.epoch;
	}
	ac->behind = false;
}

static void do_watch(struct acall *ac, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__WatchPolicyRequest,
	       slimbridge__control__v1__watch_policy_request__unpack, rq);
	struct ctl_pub pub;

	ctl_state_pub(ac->api->st, &pub);
	ac->watching = true;
	ac->next = ac->api->watchers;
	ac->api->watchers = ac;
	ac->sent_epoch = pub.epoch;	/* fromVersion newer than the current: wait */
	if (pub.epoch > 0 && rq->fromversion == 0) {
		ac->sent_epoch = pub.epoch - 1;	/* the current one first */
	} else if (pub.epoch > 0 && rq->fromversion <= pub.version) {
		/* The first kept publication of fromVersion or later. */
		struct ctl_pub h;
		uint64_t e = pub.epoch > CTL_PUB_HISTORY ? pub.epoch - CTL_PUB_HISTORY : 0;

		while (ctl_state_pub_after(ac->api->st, e, &h) && h.version < rq->fromversion) {
			e = h.epoch;
		}
		ac->sent_epoch = e;
	}
	watch_send(ac);
	slimbridge__control__v1__watch_policy_request__free_unpacked(rq, NULL);
}

void ctl_api_tick(struct ctl_api *a, uint64_t now_ms)
{
	if (!ctl_state_tick(a->st, now_ms)) {
		return;
	}
	for (struct acall *w = a->watchers; w != NULL; w = w->next) {
		watch_send(w);
	}
}

/* ---------------------------------------------------------------- call plumbing */

static int on_start(struct grpc_call *call, void *arg)
{
	struct mslot *ms = arg;
	struct acall *ac = calloc(1, sizeof(*ac));

	if (ac == NULL) {
		return -ENOMEM;
	}
	ac->api = ms->api;
	ac->call = call;
	ac->m = ms->m;
	grpc_call_set_user(call, ac);
	return 0;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct acall *ac = grpc_call_user(call);

	(void)arg;
	if (ac->answered) {
		finish(call, GRPC_INVALID_ARGUMENT, "more than one request message");
		return 0;
	}
	ac->answered = true;
	switch (ac->m) {
	case M_APPLY:
		do_apply(ac, msg, len);
		break;
	case M_CREATE:
	case M_UPDATE:
		do_put(ac, msg, len);
		break;
	case M_GET:
	case M_DELETE:
		do_get_delete(ac, msg, len);
		break;
	case M_LIST:
		do_list(ac, msg, len);
		break;
	case M_CHECK:
		do_check(ac, msg, len);
		break;
	case M_REQUIRED:
		do_required(ac, msg, len);
		break;
	case M_WATCH:
		do_watch(ac, msg, len);
		break;
	case M_STATUS:
		do_status(ac);
		break;
	case M_CHANGELOG:
		do_changelog(ac, msg, len);
		break;
	default:
		finish(call, GRPC_UNIMPLEMENTED, "unknown method");
		break;
	}
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct acall *ac = grpc_call_user(call);

	(void)arg;
	if (!ac->answered) {
		finish(call, GRPC_INVALID_ARGUMENT, "no request message");
	} else if (ac->m != M_WATCH) {
		finish(call, GRPC_OK, NULL);
	}
}

static void on_writable(struct grpc_call *call, void *arg)
{
	struct acall *ac = grpc_call_user(call);

	(void)arg;
	if (ac->watching && ac->behind) {
		watch_send(ac);
	}
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	struct acall *ac = grpc_call_user(call);

	(void)status;
	(void)arg;
	if (ac == NULL) {
		return;
	}
	if (ac->watching) {
		for (struct acall **pp = &ac->api->watchers; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == ac) {
				*pp = ac->next;
				break;
			}
		}
	}
	free(ac);
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_writable = on_writable,
	.on_done = on_done,
};

struct ctl_api *ctl_api_new(struct grpc_server *srv, struct ctl_state *st)
{
	struct ctl_api *a = calloc(1, sizeof(*a));
	char path[128];

	if (a == NULL) {
		return NULL;
	}
	a->st = st;
	for (int m = 0; m < M_MAX; m++) {
		a->slots[m].api = a;
		a->slots[m].m = (enum method)m;
		snprintf(path, sizeof(path), SVC "%s", method_names[m]);
		if (grpc_server_add(srv, path, &ops, &a->slots[m]) < 0) {
			free(a);
			return NULL;
		}
	}
	/* An Apply of a large policy is one message: allow 64 MiB. */
	grpc_server_set_max_message(srv, 64u << 20);
	return a;
}

void ctl_api_free(struct ctl_api *a)
{
	free(a);
}
