/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_methods.c - the Trust* methods of the ControlService
 * (proto/control/control.proto), all answered at once: TrustStatus (the
 * relationship, its peer's bundle, its seal and the data plane's view of
 * it), TrustRevoke (the seal leaves the snapshot, then the state change is
 * published) and TrustSealPoke (the peer bridge's control process: see
 * ctl_trust_seal.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_state.h"
#include "ctl_trust_internal.h"
#include "fed/ctl_fed.h"
#include "grpc_server.h"
#include "mls/ctl_mls.h"
#include "mls_group.h"

#define SVC "/slimbridge.control.v1.ControlService/"

enum method { M_STATUS, M_REVOKE, M_POKE, M_MAX };

static const char *const method_names[M_MAX] = {"TrustStatus", "TrustRevoke", "TrustSealPoke"};

struct ctl_trust_slot {
	struct ctl_trust *t;
	enum method m;
};

struct call {
	struct ctl_trust *t;
	struct grpc_call *call;
	enum method m;
	bool got_request;
	bool half_closed;
	bool replied;
};

typedef Slimbridge__Control__V1__TrustStatus pb_status;

/* ---------------------------------------------------------------- answers */

static void fail(struct call *c, int status, const char *msg)
{
	c->replied = true;
	(void)!grpc_call_finish(c->call, status, msg);
}

static void reply(struct call *c, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(n + 1);
	int rc;

	if (b == NULL) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_pack(msg, b);
	rc = grpc_call_send(c->call, b, n);
	free(b);
	if (rc < 0) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "cannot send the response");
		return;
	}
	c->replied = true;
	if (c->half_closed) {
		(void)!grpc_call_finish(c->call, GRPC_OK, NULL);
	}
}

/* ---------------------------------------------------------------- TrustStatus */

/* One trust's answer and the storage its fields point into. */
struct status_buf {
	pb_status ts;
	Slimbridge__Control__V1__TrustBundle b;
	Slimbridge__Control__V1__SealState seal;
	Slimbridge__Control__V1__TrustBridge br;
	char auth[2 * MLS_MAX_HASH + 1];
	char note[CTL_TRUST_WHY_MAX];
	char role[200];
};

static const char *breaker_name(uint8_t v)
{
	return v == SB_BREAKER_CLOSED ? "closed" : v == SB_BREAKER_OPEN ? "open"
		 : v == SB_BREAKER_HALF_OPEN ? "half-open" : "?";
}

static const char *link_name(uint8_t v)
{
	static const char *const n[] = {"down", "connecting", "up", "none"};

	return v < 4 ? n[v] : "?";
}

static const char *failure_name(uint8_t v)
{
	static const char *const n[] = {"none", "link-down", "negotiation", "peer-error",
					"timeout"};

	return v < 5 ? n[v] : "?";
}

static void fill_seal(struct ctl_trust *t, struct ctl_trust_seal *self, struct status_buf *x)
{
	Slimbridge__Control__V1__SealState *se = &x->seal;
	/* A trust that shares another's group shows that group. */
	struct ctl_trust_seal *s = self->owner != NULL ? self->owner : self;
	struct mls_group *g = s->gid[0] != '\0' ? ctl_mls_managed_get(t->mls, s->gid) : NULL;
	uint8_t auth[MLS_MAX_HASH];

	slimbridge__control__v1__seal_state__init(se);
	if (!self->ready && self->why[0] == '\0') {
		(void)ctl_trust_prereq(t, self);	/* not looked at yet: say why now */
	}
	se->state = self->ready ? "ready" : "none";
	se->mode = s->mls ? "mls" : "aes";
	if (self->owner != NULL) {
		snprintf(x->role, sizeof(x->role), "%s, shared with trust %s",
			 s->creator ? "creator" : "joiner", s->id);
		se->role = x->role;
	} else {
		se->role = s->creator ? "creator" : "joiner";
	}
	se->controlendpoint = s->control[0] != '\0' ? s->control : NULL;
	se->reason = !self->ready ? self->why : NULL;
	se->has_failures = se->has_rekeys = se->has_rekeyintervalseconds = se->has_rekeymessages = 1;
	se->failures = s->failures;
	se->rekeys = s->rekeys;
	se->rekeyintervalseconds = s->interval_s;
	se->rekeymessages = s->rekey_messages;
	if (s->err[0] != '\0') {
		se->lasterror = s->err;
	}
	if (s->failures > 0 && s->next_mono > t->now) {
		se->has_nextattemptms = 1;
		se->nextattemptms = s->next_ms;
	}
	if (s->gid[0] != '\0') {
		se->group = s->gid;
		se->has_epoch = se->has_ownleaf = se->has_peerleaf = se->has_sendprev = 1;
		se->epoch = s->epoch;
		se->ownleaf = s->own_leaf;
		se->peerleaf = s->peer_leaf;
		se->sendprev = s->send_prev;
		if (s->prev_epoch != 0) {
			se->has_prevepoch = 1;
			se->prevepoch = s->prev_epoch;
		}
		se->has_dptoken = 1;
		se->dptoken = s->epoch_token;
	}
	if (s->established_ms != 0) {
		se->has_establishedatms = 1;
		se->establishedatms = s->established_ms;
	}
	if (s->last_rekey_ms != 0) {
		se->has_lastrekeyatms = 1;
		se->lastrekeyatms = s->last_rekey_ms;
		se->lastrekeyreason = s->rekey_reason;
	}
	if (g != NULL && mls_group_epoch_authenticator(g, auth) == 0) {
		for (size_t i = 0; i < mls_group_suite(g)->nh; i++) {
			snprintf(x->auth + 2 * i, 3, "%02x", auth[i]);
		}
		se->epochauthenticator = x->auth;
	}
	x->ts.seal = se;
}

static void fill_bridge(struct ctl_trust *t, const char *id, struct status_buf *x)
{
	Slimbridge__Control__V1__TrustBridge *br = &x->br;
	struct sb_bridge_trust sl;
	int rc = ctl_trust_dp_slot(t, id, &sl, x->note, sizeof(x->note));

	slimbridge__control__v1__trust_bridge__init(br);
	br->has_running = 1;
	br->running = rc != -ENODEV;
	x->ts.bridge = br;
	if (rc < 0) {
		br->note = x->note;
		return;
	}
	br->breaker = (char *)breaker_name(sl.breaker);
	br->link = (char *)link_name(sl.link);
	br->lastfailure = (char *)failure_name(sl.last_failure);
	br->has_failures = br->has_threshold = br->has_opened = br->has_epoch = 1;
	br->has_sealedepoch = br->has_sealed = br->has_records = br->has_openedmessages = 1;
	br->has_denied = 1;
	br->failures = sl.failures;
	br->threshold = sl.threshold;
	br->opened = sl.opened;
	br->epoch = sl.epoch;
	br->sealedepoch = sl.sealed_epoch;
	br->sealed = sl.sealed;
	br->records = sl.records;
	br->openedmessages = sl.opened_msgs;
	br->denied = sl.denied;
	if (sl.breaker == SB_BREAKER_OPEN && sl.open_until_ns != 0) {
		br->has_openuntilms = 1;
		br->openuntilms = sl.open_until_ns / 1000000;
	}
	if (sl.gone) {
		br->note = "the data plane's policy no longer has this trust";
	}
}

static void fill_status(struct ctl_trust *t, const pb_trust *tr, struct ctl_trust_seal *s,
			struct status_buf *x)
{
	const uint8_t *doc;
	size_t len;
	bool match;
	int n;

	slimbridge__control__v1__trust_status__init(&x->ts);
	x->ts.trust = (pb_trust *)tr;
	if (s != NULL) {
		x->ts.has_index = 1;
		x->ts.index = s->index;
		fill_seal(t, s, x);
	}
	if (tr->peertrustdomain != NULL &&
	    ctl_fed_bundle_describe(t->fed, tr->peertrustdomain, &x->b) == 0) {
		x->ts.bundle = &x->b;
		if (ctl_fed_bundle(t->fed, tr->peertrustdomain, &doc, &len) != -ENOENT &&
		    (n = ctl_trust_key_in_bundle(doc, len, NULL, 0, &match)) >= 0) {
			x->ts.has_bridgekeys = 1;
			x->ts.bridgekeys = (uint32_t)n;
		}
	}
	fill_bridge(t, tr->id, x);
}

/* Answers TrustStatus for trust |id| (NULL: all). */
static void answer_status(struct call *c, const char *id)
{
	struct ctl_trust *t = c->t;
	const pb_policy *p = ctl_state_model(t->st)->p;
	Slimbridge__Control__V1__TrustStatusResponse r =
		SLIMBRIDGE__CONTROL__V1__TRUST_STATUS_RESPONSE__INIT;
	struct status_buf *x = calloc(p->n_trustrelationships + 1, sizeof(*x));
	pb_status **v = calloc(p->n_trustrelationships + 1, sizeof(*v));
	char msg[200];

	if (x == NULL || v == NULL) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	ctl_trust_dp_read(t);	/* the data plane as it is now */
	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		const pb_trust *tr = p->trustrelationships[i];

		if (id != NULL && strcmp(tr->id, id) != 0) {
			continue;
		}
		fill_status(t, tr, ctl_trust_find(t, tr->id), &x[r.n_trusts]);
		v[r.n_trusts] = &x[r.n_trusts].ts;
		r.n_trusts++;
	}
	if (id != NULL && r.n_trusts == 0) {
		snprintf(msg, sizeof(msg), "no trust relationship '%.128s'", id);
		fail(c, GRPC_NOT_FOUND, msg);
		goto out;
	}
	r.trusts = v;
	reply(c, &r.base);
out:
	free(v);
	free(x);
}

/* ---------------------------------------------------------------- methods */

static void do_status(struct call *c, const uint8_t *msg, size_t len)
{
	Slimbridge__Control__V1__TrustStatusRequest *rq =
		slimbridge__control__v1__trust_status_request__unpack(NULL, len, msg);

	if (rq == NULL) {
		fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request");
		return;
	}
	answer_status(c, rq->id != NULL && rq->id[0] != '\0' ? rq->id : NULL);
	slimbridge__control__v1__trust_status_request__free_unpacked(rq, NULL);
}

static void do_revoke(struct call *c, const uint8_t *msg, size_t len)
{
	struct ctl_trust *t = c->t;
	Slimbridge__Control__V1__TrustRef *rq =
		slimbridge__control__v1__trust_ref__unpack(NULL, len, msg);
	const struct pol_model *m = ctl_state_model(t->st);
	Slimbridge__Control__V1__Object o = SLIMBRIDGE__CONTROL__V1__OBJECT__INIT;
	pb_trust copy;
	struct ctl_trust_seal *s;
	char err[600];
	int32_t i;
	int rc;

	if (rq == NULL || rq->id == NULL || rq->id[0] == '\0') {
		fail(c, GRPC_INVALID_ARGUMENT, "id is missing");
		goto out;
	}
	i = pol_model_find(m, POL_KIND_TRUST, rq->id);
	if (i < 0) {
		snprintf(err, sizeof(err), "no trust relationship '%.128s'", rq->id);
		fail(c, GRPC_NOT_FOUND, err);
		goto out;
	}
	/* First the seal leaves the snapshot (traffic stops now), then the state changes. */
	s = ctl_trust_find(t, rq->id);
	if (s != NULL) {
		if (s->gid[0] != '\0' || s->phase != CTL_TRUST_IDLE) {
			ctl_trust_drop_group(t, s, "revoked by the operator");
		}
		s->want = false;
		s->ready = false;
		s->off_why = "the trust relationship is revoked";
		ctl_trust_publish(t);
	}
	copy = *m->p->trustrelationships[i];
	if (copy.state == NULL || strcmp(copy.state, "revoked") != 0) {
		copy.state = "revoked";
		o.kind_case = SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TRUST_RELATIONSHIP;
		o.trustrelationship = &copy;
		rc = ctl_state_put(t->st, &o, CTL_PUT_UPDATE, err, sizeof(err));
		if (rc < 0) {
			fail(c, rc == -ENOENT ? GRPC_NOT_FOUND
				: rc == -EINVAL ? GRPC_INVALID_ARGUMENT : GRPC_INTERNAL, err);
			goto out;
		}
		fprintf(stderr, "slimbridge-control: trust %s: revoked (policy version %llu)\n",
			rq->id, (unsigned long long)ctl_state_version(t->st));
	}
	ctl_trust_sync(t);
	answer_status(c, rq->id);
out:
	slimbridge__control__v1__trust_ref__free_unpacked(rq, NULL);
}

static void do_poke(struct call *c, const uint8_t *msg, size_t len)
{
	struct ctl_trust *t = c->t;
	Slimbridge__Control__V1__TrustSealPokeRequest *rq =
		slimbridge__control__v1__trust_seal_poke_request__unpack(NULL, len, msg);
	Slimbridge__Control__V1__TrustSealPokeResponse r =
		SLIMBRIDGE__CONTROL__V1__TRUST_SEAL_POKE_RESPONSE__INIT;
	struct ctl_trust_seal *s;
	char err[400];

	if (rq == NULL || rq->trustdomain == NULL || rq->trustdomain[0] == '\0') {
		fail(c, GRPC_INVALID_ARGUMENT, "trustDomain is missing");
		goto out;
	}
	if (t->td == NULL) {
		fail(c, GRPC_FAILED_PRECONDITION, "this bridge has no --trust-domain");
		goto out;
	}
	s = ctl_trust_find_td(t, rq->trustdomain);
	if (s == NULL) {
		snprintf(err, sizeof(err),
			 "no trust relationship with %.255s here (or it is revoked or suspended)",
			 rq->trustdomain);
		fail(c, GRPC_NOT_FOUND, err);
		goto out;
	}
	if (!s->creator) {
		snprintf(err, sizeof(err),
			 "the seal group of %s and %.255s is made by the bridge of the lower trust domain, not this one",
			 t->td, rq->trustdomain);
		fail(c, GRPC_FAILED_PRECONDITION, err);
		goto out;
	}
	ctl_trust_seal_poked(t, s, rq->group, rq->has_epoch ? rq->epoch : 0,
			     rq->has_rekey && rq->rekey, rq->has_installed && rq->installed);
	if (s->gid[0] != '\0') {
		r.group = s->gid;
		r.has_epoch = 1;
		r.epoch = s->epoch;
	}
	reply(c, &r.base);
out:
	slimbridge__control__v1__trust_seal_poke_request__free_unpacked(rq, NULL);
}

/* ---------------------------------------------------------------- call plumbing */

static int on_start(struct grpc_call *call, void *arg)
{
	struct ctl_trust_slot *sl = arg;
	struct call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return -ENOMEM;
	}
	c->t = sl->t;
	c->call = call;
	c->m = sl->m;
	grpc_call_set_user(call, c);
	return 0;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct call *c = grpc_call_user(call);
	struct ctl_trust *t = c->t;

	(void)arg;
	if (c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "more than one request message");
		return 0;
	}
	c->got_request = true;
	if (t->stopped) {
		fail(c, GRPC_UNAVAILABLE, "shutting down");
		return 0;
	}
	/* Methods run between ticks: follow a policy change made since the last one. */
	if (!t->synced || ctl_state_version(t->st) != t->synced_version) {
		ctl_trust_sync(t);
	}
	switch (c->m) {
	case M_STATUS:
		do_status(c, msg, len);
		break;
	case M_REVOKE:
		do_revoke(c, msg, len);
		break;
	default:
		do_poke(c, msg, len);
		break;
	}
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct call *c = grpc_call_user(call);

	(void)arg;
	c->half_closed = true;
	if (!c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "no request message");
	} else if (c->replied) {
		(void)!grpc_call_finish(call, GRPC_OK, NULL);
	}
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	(void)status;
	(void)arg;
	free(grpc_call_user(call));
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_done = on_done,
};

int ctl_trust_methods_register(struct ctl_trust *t, struct grpc_server *srv)
{
	char path[128];
	int rc;

	t->slots = calloc(M_MAX, sizeof(*t->slots));
	if (t->slots == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i < M_MAX; i++) {
		t->slots[i].t = t;
		t->slots[i].m = (enum method)i;
		snprintf(path, sizeof(path), SVC "%s", method_names[i]);
		rc = grpc_server_add(srv, path, &ops, &t->slots[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}
