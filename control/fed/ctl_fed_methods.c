/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_methods.c - the Bundle* methods of the ControlService
 * (proto/control/control.proto): BundleList, BundleGet and BundleSet answer
 * at once; BundleRefresh waits for the fetch it starts (or joins) and is
 * answered from ctl_fed_fetched through ctl_fed_answer_waiters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_fed_internal.h"

#define SVC "/slimbridge.control.v1.ControlService/"

enum method { M_LIST, M_GET, M_SET, M_REFRESH, M_MAX };

static const char *const method_names[M_MAX] = {
	"BundleList", "BundleGet", "BundleSet", "BundleRefresh",
};

struct ctl_fed_slot {
	struct ctl_fed *f;
	enum method m;
};

/* One server call of a Bundle* method. */
struct ctl_fed_call {
	struct ctl_fed *f;
	struct grpc_call *call;
	enum method m;
	bool got_request;
	bool half_closed;
	bool replied;			/* the response is sent: finish at half-close */
	struct ctl_fed_td *e;		/* BundleRefresh: waiting on e's fetch */
	struct ctl_fed_call *next;	/* in e->waiters */
};

/* ---------------------------------------------------------------- answers */

/* Ends |c| with |status| (|c| may be freed before this returns). */
static void fail(struct ctl_fed_call *c, int status, const char *msg)
{
	c->replied = true;
	(void)!grpc_call_finish(c->call, status, msg);	/* -EPIPE: already over */
}

/* Sends |msg|; the call is finished now or at half-close (|c| may be freed then). */
static void reply(struct ctl_fed_call *c, const ProtobufCMessage *msg)
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

static void reply_td(struct ctl_fed_call *c, const struct ctl_fed_td *e, bool with_doc)
{
	pb_bundle b;

	ctl_fed_describe(e, with_doc, &b);
	reply(c, &b.base);
}

void ctl_fed_answer_waiters(struct ctl_fed *f, struct ctl_fed_td *e, bool gone)
{
	char msg[400];

	(void)f;
	while (e->waiters != NULL) {
		struct ctl_fed_call *c = e->waiters;

		e->waiters = c->next;
		c->e = NULL;
		c->next = NULL;
		if (gone) {
			snprintf(msg, sizeof(msg), "trust domain '%s' is no longer federated", e->td);
			fail(c, GRPC_NOT_FOUND, msg);
		} else {
			reply_td(c, e, false);
		}
	}
}

void ctl_fed_methods_abandon(struct ctl_fed *f)
{
	for (size_t i = 0; i < f->n_tds; i++) {
		struct ctl_fed_td *e = f->tds[i];

		while (e->waiters != NULL) {
			struct ctl_fed_call *c = e->waiters;

			e->waiters = c->next;
			c->e = NULL;
			fail(c, GRPC_UNAVAILABLE, "shutting down");
		}
	}
}

/* ---------------------------------------------------------------- methods */

static void do_list(struct ctl_fed_call *c)
{
	struct ctl_fed *f = c->f;
	Slimbridge__Control__V1__BundleListResponse r =
		SLIMBRIDGE__CONTROL__V1__BUNDLE_LIST_RESPONSE__INIT;
	pb_bundle *v = calloc(f->n_tds + 1, sizeof(*v));
	pb_bundle **pv = calloc(f->n_tds + 1, sizeof(*pv));

	if (v == NULL || pv == NULL) {
		free(v);
		free(pv);
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < f->n_tds; i++) {
		ctl_fed_describe(f->tds[i], false, &v[i]);
		pv[i] = &v[i];
	}
	r.bundles = pv;
	r.n_bundles = f->n_tds;
	reply(c, &r.base);
	free(pv);
	free(v);
}

/* The entry a request names: NULL after answering NOT_FOUND or INVALID_ARGUMENT. */
static struct ctl_fed_td *named(struct ctl_fed_call *c, const char *td)
{
	struct ctl_fed_td *e;
	char msg[400];

	if (td == NULL || td[0] == '\0') {
		fail(c, GRPC_INVALID_ARGUMENT, "trustDomain is missing");
		return NULL;
	}
	e = ctl_fed_find(c->f, td);
	if (e == NULL) {
		snprintf(msg, sizeof(msg), "no bundle for trust domain '%.255s' (not ours, and no trust relationship names it)",
			 td);
		fail(c, GRPC_NOT_FOUND, msg);
	}
	return e;
}

static void do_get_refresh(struct ctl_fed_call *c, const uint8_t *msg, size_t len)
{
	Slimbridge__Control__V1__BundleRef *rq =
		slimbridge__control__v1__bundle_ref__unpack(NULL, len, msg);
	struct ctl_fed_td *e;
	char why[CTL_FED_ERR_MAX], err[400];

	if (rq == NULL) {
		fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request");
		return;
	}
	e = named(c, rq->trustdomain);
	slimbridge__control__v1__bundle_ref__free_unpacked(rq, NULL);
	if (e == NULL) {
		return;
	}
	if (c->m == M_GET) {
		reply_td(c, e, true);
		return;
	}
	if (e->own) {
		/* Read the file again now; the answer tells how it went (lastError). */
		if (c->f->bundle_file == NULL) {
			fail(c, GRPC_FAILED_PRECONDITION, "our own bundle has no --bundle-file");
			return;
		}
		(void)ctl_fed_own_check(c->f, true, why, sizeof(why));
		ctl_fed_flush(c->f);
		reply_td(c, e, false);
		return;
	}
	if (e->url == NULL) {
		snprintf(err, sizeof(err), "trust domain '%s' has no bundle endpoint (trust '%s')",
			 e->td, e->trust != NULL ? e->trust : "");
		fail(c, GRPC_FAILED_PRECONDITION, err);
		return;
	}
	if (!ctl_fed_refresh_now(c->f, e)) {
		reply_td(c, e, false);	/* could not start: counted as a failure, lastError says why */
		return;
	}
	c->e = e;
	c->next = e->waiters;
	e->waiters = c;
}

static void do_set(struct ctl_fed_call *c, const uint8_t *msg, size_t len)
{
	Slimbridge__Control__V1__BundleSetRequest *rq =
		slimbridge__control__v1__bundle_set_request__unpack(NULL, len, msg);
	struct ctl_fed_td *e;
	char why[CTL_FED_ERR_MAX], err[400];
	int rc;

	if (rq == NULL) {
		fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request");
		return;
	}
	if (rq->trustdomain == NULL || rq->trustdomain[0] == '\0' || !rq->has_document) {
		fail(c, GRPC_INVALID_ARGUMENT, "trustDomain and document are required");
		goto out;
	}
	e = ctl_fed_find(c->f, rq->trustdomain);
	if (e == NULL || e->own) {
		snprintf(err, sizeof(err),
			 e != NULL ? "'%.255s' is our own trust domain: its bundle comes from --bundle-file"
				   : "no trust relationship (not revoked) has peerTrustDomain '%.255s'",
			 rq->trustdomain);
		fail(c, GRPC_FAILED_PRECONDITION, err);
		goto out;
	}
	rc = ctl_fed_take(c->f, e, rq->document.data, rq->document.len, CTL_FED_SRC_OVERRIDE,
			  "operator override", why, sizeof(why));
	if (rc < 0) {
		fail(c, rc == -ENOMEM ? GRPC_RESOURCE_EXHAUSTED : GRPC_INVALID_ARGUMENT, why);
		goto out;
	}
	ctl_fed_flush(c->f);
	reply_td(c, e, false);
out:
	slimbridge__control__v1__bundle_set_request__free_unpacked(rq, NULL);
}

/* ---------------------------------------------------------------- call plumbing */

static int on_start(struct grpc_call *call, void *arg)
{
	struct ctl_fed_slot *sl = arg;
	struct ctl_fed_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return -ENOMEM;
	}
	c->f = sl->f;
	c->call = call;
	c->m = sl->m;
	grpc_call_set_user(call, c);
	return 0;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct ctl_fed_call *c = grpc_call_user(call);

	(void)arg;
	if (c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "more than one request message");
		return 0;
	}
	c->got_request = true;
	if (c->f->stopped) {
		fail(c, GRPC_UNAVAILABLE, "shutting down");
		return 0;
	}
	switch (c->m) {
	case M_LIST:
		do_list(c);
		break;
	case M_SET:
		do_set(c, msg, len);
		break;
	default:
		do_get_refresh(c, msg, len);
		break;
	}
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct ctl_fed_call *c = grpc_call_user(call);

	(void)arg;
	c->half_closed = true;
	if (!c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "no request message");
	} else if (c->replied) {
		(void)!grpc_call_finish(call, GRPC_OK, NULL);
	}
	/* Otherwise a fetch answers later. */
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	struct ctl_fed_call *c = grpc_call_user(call);

	(void)status;
	(void)arg;
	if (c == NULL) {
		return;
	}
	if (c->e != NULL) {
		for (struct ctl_fed_call **pp = &c->e->waiters; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		}
	}
	free(c);
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_done = on_done,
};

int ctl_fed_methods_register(struct ctl_fed *f, struct grpc_server *srv)
{
	char path[128];
	int rc;

	f->slots = calloc(M_MAX, sizeof(*f->slots));
	if (f->slots == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i < M_MAX; i++) {
		f->slots[i].f = f;
		f->slots[i].m = (enum method)i;
		snprintf(path, sizeof(path), SVC "%s", method_names[i]);
		rc = grpc_server_add(srv, path, &ops, &f->slots[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}
