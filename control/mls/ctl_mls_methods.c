/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_mls_methods.c - the Mls* methods: the answers (MlsGroupState), the
 * delivery methods (MlsKeyPackage, MlsWelcome, MlsCommit), MlsGroupGet,
 * List and Leave, which answer at once, and the checks of Create, Add,
 * Remove and Update before ctl_mls_ops.c runs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_mls_internal.h"

#define KP_LIFETIME_S (30u * 24 * 3600)	/* KeyPackages are valid 30 days */
#define MANAGED_MSG "a seal group of a trust relationship: managed by slimbridge-control itself (slimbridge trust)"

/* ---------------------------------------------------------------- answers */

static int send_msg(struct grpc_call *call, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(n + 1);
	int rc;

	if (b == NULL) {
		return -ENOMEM;
	}
	protobuf_c_message_pack(msg, b);
	rc = grpc_call_send(call, b, n);
	free(b);
	return rc;
}

void ctl_mls_fail(struct ctl_mls_call *c, int status, const char *msg)
{
	if (c->call == NULL) {
		return;
	}
	c->replied = true;
	(void)!grpc_call_finish(c->call, status, msg);	/* -EPIPE: already over */
}

/* Sends |msg| as the response; the call is finished now or at half-close. */
static void reply(struct ctl_mls_call *c, const ProtobufCMessage *msg)
{
	if (c->call == NULL) {
		return;
	}
	if (send_msg(c->call, msg) < 0) {
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "cannot send the response");
		return;
	}
	c->replied = true;
	if (c->half_closed) {
		(void)!grpc_call_finish(c->call, GRPC_OK, NULL);
	}
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Fills |st| for |grp|; the strings are malloc'd into |st| (state_cleanup frees them). */
static int state_fill(const struct ctl_mls_group *grp, pb_mls_state *st)
{
	const struct mls_group *g = grp->g;
	uint32_t leaves = mls_group_n_leaves(g);
	uint8_t auth[MLS_MAX_HASH];
	const struct mls_suite *s = mls_group_suite(g);

	slimbridge__control__v1__mls_group_state__init(st);
	st->group = (char *)grp->name;
	st->has_epoch = st->has_ciphersuite = st->has_ownleaf = 1;
	st->epoch = mls_group_epoch(g);
	st->ciphersuite = s->id;
	st->ownleaf = mls_group_own_leaf(g);
	st->epochauthenticator = malloc(2 * MLS_MAX_HASH + 1);
	st->members = calloc(leaves + 1, sizeof(*st->members));
	if (st->epochauthenticator == NULL || st->members == NULL) {
		return -ENOMEM;
	}
	if (mls_group_epoch_authenticator(g, auth) == 0) {
		hex(auth, s->nh, st->epochauthenticator);
	} else {
		st->epochauthenticator[0] = '\0';	/* removed from the group */
	}
	for (uint32_t leaf = 0; leaf < leaves; leaf++) {
		Slimbridge__Control__V1__MlsMember *mb;
		const uint8_t *id, *pub;
		size_t id_len, pub_len;
		const char *ep;

		if (mls_group_member(g, leaf, &id, &id_len, &pub, &pub_len) < 0) {
			continue;
		}
		mb = calloc(1, sizeof(*mb));
		if (mb == NULL) {
			return -ENOMEM;
		}
		slimbridge__control__v1__mls_member__init(mb);
		st->members[st->n_members++] = mb;
		mb->has_leaf = 1;
		mb->leaf = leaf;
		mb->identity = ctl_mls_member_identity(g, leaf);
		mb->signaturekey = malloc(2 * pub_len + 1);
		if (mb->identity == NULL || mb->signaturekey == NULL) {
			return -ENOMEM;
		}
		hex(pub, pub_len, mb->signaturekey);
		ep = ctl_mls_dir_find(grp, mb->identity);
		mb->endpoint = strdup(ep != NULL ? ep : "");
		if (mb->endpoint == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void state_cleanup(pb_mls_state *st)
{
	for (size_t i = 0; i < st->n_members; i++) {
		free(st->members[i]->identity);
		free(st->members[i]->endpoint);
		free(st->members[i]->signaturekey);
		free(st->members[i]);
	}
	free(st->members);
	free(st->epochauthenticator);
}

void ctl_mls_reply_state(struct ctl_mls_call *c, const struct ctl_mls_group *grp,
			 char *const *undelivered, size_t n)
{
	pb_mls_state st;

	if (state_fill(grp, &st) < 0) {
		state_cleanup(&st);
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	st.undelivered = (char **)undelivered;
	st.n_undelivered = n;
	reply(c, &st.base);
	state_cleanup(&st);
}

/* ---------------------------------------------------------------- methods answered at once */

#define UNPACK(T, fn, var) \
	T *var = fn(NULL, len, msg); \
	if (var == NULL) { \
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request"); \
		return; \
	}

static void do_key_package(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__MlsKeyPackageRequest,
	       slimbridge__control__v1__mls_key_package_request__unpack, rq);
	Slimbridge__Control__V1__MlsKeyPackageResponse r =
		SLIMBRIDGE__CONTROL__V1__MLS_KEY_PACKAGE_RESPONSE__INIT;
	struct ctl_mls *m = c->m;
	uint16_t suite = rq->has_ciphersuite && rq->ciphersuite != 0 ? (uint16_t)rq->ciphersuite
								    : 1;
	struct mls_signer *sg = rq->ciphersuite <= 0xffff ? ctl_mls_signer(m, suite) : NULL;
	uint64_t now = (uint64_t)time(NULL);
	struct mls_kp *kp = NULL;
	const uint8_t *p;
	size_t n;

	slimbridge__control__v1__mls_key_package_request__free_unpacked(rq, NULL);
	if (sg == NULL) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "unsupported cipher suite");
		return;
	}
	if (mls_kp_create(sg, now - 60, now + KP_LIFETIME_S, &kp) < 0) {
		ctl_mls_fail(c, GRPC_INTERNAL, "cannot make a KeyPackage");
		return;
	}
	if (m->n_kps == CTL_MLS_MAX_KPS) {
		/* The oldest was never used: forget it (its private keys are wiped). */
		mls_kp_free(m->kps[0]);
		memmove(m->kps, m->kps + 1, (CTL_MLS_MAX_KPS - 1) * sizeof(m->kps[0]));
		m->n_kps--;
	}
	m->kps[m->n_kps++] = kp;
	p = mls_kp_message(kp, &n);
	r.has_keypackage = 1;
	r.keypackage.data = (uint8_t *)p;
	r.keypackage.len = n;
	r.identity = m->identity;
	r.endpoint = m->endpoint;
	reply(c, &r.base);
}

static void do_welcome(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__MlsWelcomeRequest,
	       slimbridge__control__v1__mls_welcome_request__unpack, rq);
	struct ctl_mls *m = c->m;
	struct ctl_mls_group *grp;
	struct mls_group *g = NULL;
	const uint8_t *gid;
	char name[MLS_GROUP_MAX_ID + 1], why[256] = "";
	size_t gid_len;
	int rc = -ENOENT;
	bool managed;
	uint32_t i;

	for (i = 0; i < m->n_kps && rq->has_welcome; i++) {
		rc = mls_group_join(m->kps[i], rq->welcome.data, rq->welcome.len, NULL, &g);
		if (rc != -ENOENT) {
			break;	/* joined, or the Welcome itself is bad */
		}
	}
	if (rc < 0) {
		ctl_mls_fail(c, rc == -ENOENT ? GRPC_NOT_FOUND : GRPC_INVALID_ARGUMENT,
			     rc == -ENOENT ? "the Welcome is for none of our KeyPackages"
					   : "the Welcome does not verify");
		goto out;
	}
	/* A KeyPackage is used once. */
	mls_kp_free(m->kps[i]);
	memmove(m->kps + i, m->kps + i + 1, (m->n_kps - i - 1) * sizeof(m->kps[0]));
	m->n_kps--;
	gid = mls_group_id(g, &gid_len);
	managed = ctl_mls_is_managed(m, gid, gid_len);
	if (managed ? memchr(gid, '\0', gid_len) != NULL || gid_len > MLS_GROUP_MAX_ID
		    : !ctl_mls_name_ok((const char *)gid, gid_len)) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "the group id is not a group name");
		goto out;
	}
	memcpy(name, gid, gid_len);
	name[gid_len] = '\0';
	if (managed && m->hooks.check(m->hooks.arg, name, g, true, why, sizeof(why)) < 0) {
		ctl_mls_fail(c, GRPC_PERMISSION_DENIED, why);
		goto out;
	}
	grp = ctl_mls_group_find(m, name);
	if (grp != NULL && grp->op != NULL) {
		ctl_mls_fail(c, GRPC_ABORTED, "an operation on this group is in progress");
		goto out;
	}
	if (grp == NULL) {
		grp = ctl_mls_group_add(m, name);
		if (grp == NULL) {
			ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "too many groups");
			goto out;
		}
	}
	/* Joining again (the group was made anew) replaces what we had. */
	mls_group_free(grp->g);
	grp->g = g;
	grp->managed = managed;
	g = NULL;
	if (ctl_mls_dir_take(m, grp, rq->members, rq->n_members) < 0) {
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if (managed) {
		m->hooks.changed(m->hooks.arg, name, grp->g);
	}
	ctl_mls_publish(m);
	ctl_mls_reply_state(c, grp, NULL, 0);
out:
	mls_group_free(g);
	slimbridge__control__v1__mls_welcome_request__free_unpacked(rq, NULL);
}

static void do_commit(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__MlsCommitRequest,
	       slimbridge__control__v1__mls_commit_request__unpack, rq);
	struct ctl_mls *m = c->m;
	struct ctl_mls_group *grp = rq->group != NULL ? ctl_mls_group_find(m, rq->group) : NULL;
	struct mls_group *saved = NULL;
	struct mls_group_event ev;
	char why[320], name[MLS_GROUP_MAX_ID + 1];
	bool managed;
	int rc;

	if (grp == NULL) {
		ctl_mls_fail(c, GRPC_NOT_FOUND, "no such group");
		goto out;
	}
	if (grp->op != NULL) {
		ctl_mls_fail(c, GRPC_ABORTED, "an operation on this group is in progress");
		goto out;
	}
	/* A managed group's change is vetted: keep a copy to go back to. */
	if (grp->managed && mls_group_copy(grp->g, &saved) < 0) {
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	rc = rq->has_message ? mls_group_handle(grp->g, rq->message.data, rq->message.len, &ev)
			     : -EBADMSG;
	if (rc < 0) {
		snprintf(why, sizeof(why), "the message was refused (%s) at epoch %llu",
			 strerror(-rc), (unsigned long long)mls_group_epoch(grp->g));
		ctl_mls_fail(c, rc == -ESTALE ? GRPC_FAILED_PRECONDITION : GRPC_INVALID_ARGUMENT,
			     why);
		goto out;
	}
	if (grp->managed) {
		if (ev.type != MLS_GROUP_EV_COMMIT) {
			snprintf(why, sizeof(why), "group %s takes Commits only", grp->name);
			rc = -EPERM;
		} else if (ev.removed) {
			rc = 0;		/* out of the group: dropped below */
		} else {
			rc = m->hooks.check(m->hooks.arg, grp->name, grp->g, false, why,
					    sizeof(why));
		}
		if (rc < 0) {
			mls_group_free(grp->g);		/* undone: back to the copy */
			grp->g = saved;
			saved = NULL;
			ctl_mls_fail(c, GRPC_PERMISSION_DENIED, why);
			goto out;
		}
	}
	if (ev.type == MLS_GROUP_EV_COMMIT && !ev.removed &&
	    ctl_mls_dir_take(m, grp, rq->members, rq->n_members) < 0) {
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	ctl_mls_reply_state(c, grp, NULL, 0);
	managed = grp->managed;
	snprintf(name, sizeof(name), "%s", grp->name);
	if (ev.removed) {
		ctl_mls_group_drop(m, grp);	/* removed: nothing more to send or receive */
		grp = NULL;
	}
	if (managed) {
		m->hooks.changed(m->hooks.arg, name, grp != NULL ? grp->g : NULL);
	}
	if (ev.type == MLS_GROUP_EV_COMMIT) {
		ctl_mls_publish(m);
	}
out:
	mls_group_free(saved);
	slimbridge__control__v1__mls_commit_request__free_unpacked(rq, NULL);
}

static void do_get_leave(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	UNPACK(Slimbridge__Control__V1__MlsGroupRef, slimbridge__control__v1__mls_group_ref__unpack,
	       rq);
	struct ctl_mls_group *grp = rq->group != NULL ? ctl_mls_group_find(c->m, rq->group) : NULL;

	if (grp == NULL) {
		ctl_mls_fail(c, GRPC_NOT_FOUND, "no such group");
	} else if (c->method == CTL_MLS_M_GET) {
		ctl_mls_reply_state(c, grp, NULL, 0);
	} else if (grp->managed) {
		ctl_mls_fail(c, GRPC_FAILED_PRECONDITION, MANAGED_MSG);
	} else if (grp->op != NULL) {
		ctl_mls_fail(c, GRPC_ABORTED, "an operation on this group is in progress");
	} else {
		ctl_mls_reply_state(c, grp, NULL, 0);
		ctl_mls_group_drop(c->m, grp);
		ctl_mls_publish(c->m);
	}
	slimbridge__control__v1__mls_group_ref__free_unpacked(rq, NULL);
}

static void do_list(struct ctl_mls_call *c)
{
	Slimbridge__Control__V1__MlsGroupListResponse r =
		SLIMBRIDGE__CONTROL__V1__MLS_GROUP_LIST_RESPONSE__INIT;
	struct ctl_mls *m = c->m;
	pb_mls_state *st = calloc(m->n_groups + 1, sizeof(*st));
	pb_mls_state **v = calloc(m->n_groups + 1, sizeof(*v));
	bool ok = st != NULL && v != NULL;

	for (size_t i = 0; ok && i < m->n_groups; i++) {
		ok = state_fill(m->groups[i], &st[i]) == 0;
		v[i] = &st[i];
		r.n_groups = i + 1;
	}
	r.groups = v;
	if (ok) {
		reply(c, &r.base);
	} else {
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < r.n_groups; i++) {
		state_cleanup(&st[i]);
	}
	free(v);
	free(st);
}

/* Create, Add, Remove, Update: checked here, run by ctl_mls_ops.c. */
static void do_operation(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	struct ctl_mls *m = c->m;
	ProtobufCMessage *rq = NULL;
	struct ctl_mls_group *grp;
	const char *group = NULL;
	char **peers = NULL, **ids = NULL;
	size_t n_peers = 0, n_ids = 0;
	uint16_t suite = 1;
	enum ctl_mls_op_kind kind;

	switch (c->method) {
	case CTL_MLS_M_CREATE: {
		Slimbridge__Control__V1__MlsGroupCreateRequest *r =
			slimbridge__control__v1__mls_group_create_request__unpack(NULL, len, msg);

		rq = r != NULL ? &r->base : NULL;
		if (r != NULL) {
			group = r->group;
			peers = r->peers;
			n_peers = r->n_peers;
			if (r->has_ciphersuite && r->ciphersuite != 0) {
				suite = r->ciphersuite <= 0xffff ? (uint16_t)r->ciphersuite : 0;
			}
		}
		kind = CTL_MLS_OP_CREATE;
		break;
	}
	case CTL_MLS_M_ADD: {
		Slimbridge__Control__V1__MlsGroupAddRequest *r =
			slimbridge__control__v1__mls_group_add_request__unpack(NULL, len, msg);

		rq = r != NULL ? &r->base : NULL;
		if (r != NULL) {
			group = r->group;
			peers = r->peers;
			n_peers = r->n_peers;
		}
		kind = CTL_MLS_OP_ADD;
		break;
	}
	case CTL_MLS_M_REMOVE: {
		Slimbridge__Control__V1__MlsGroupRemoveRequest *r =
			slimbridge__control__v1__mls_group_remove_request__unpack(NULL, len, msg);

		rq = r != NULL ? &r->base : NULL;
		if (r != NULL) {
			group = r->group;
			ids = r->identities;
			n_ids = r->n_identities;
		}
		kind = CTL_MLS_OP_REMOVE;
		break;
	}
	default: {
		Slimbridge__Control__V1__MlsGroupRef *r =
			slimbridge__control__v1__mls_group_ref__unpack(NULL, len, msg);

		rq = r != NULL ? &r->base : NULL;
		if (r != NULL) {
			group = r->group;
		}
		kind = CTL_MLS_OP_UPDATE;
		break;
	}
	}
	if (rq == NULL) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request");
		return;
	}
	grp = group != NULL ? ctl_mls_group_find(m, group) : NULL;
	if (group != NULL && ctl_mls_is_managed(m, (const uint8_t *)group, strlen(group))) {
		ctl_mls_fail(c, GRPC_FAILED_PRECONDITION, MANAGED_MSG);
	} else if (group == NULL || !ctl_mls_name_ok(group, strlen(group))) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT,
			     "group: 1..64 characters of A-Z a-z 0-9 . _ : - expected");
	} else if (kind == CTL_MLS_OP_CREATE && grp != NULL) {
		ctl_mls_fail(c, GRPC_ALREADY_EXISTS, "the group exists");
	} else if (kind != CTL_MLS_OP_CREATE && grp == NULL) {
		ctl_mls_fail(c, GRPC_NOT_FOUND, "no such group");
	} else if (grp != NULL && grp->op != NULL) {
		ctl_mls_fail(c, GRPC_ABORTED, "an operation on this group is in progress");
	} else if (n_peers > CTL_MLS_MAX_PEERS || n_ids > CTL_MLS_MAX_PEERS) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "too many peers in one request");
	} else if ((kind == CTL_MLS_OP_ADD && n_peers == 0) ||
		   (kind == CTL_MLS_OP_REMOVE && n_ids == 0)) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "nobody to add or remove");
	} else if (kind == CTL_MLS_OP_CREATE && ctl_mls_signer(m, suite) == NULL) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "unsupported cipher suite");
	} else {
		if (kind == CTL_MLS_OP_CREATE) {
			grp = ctl_mls_group_add(m, group);
		}
		if (grp == NULL) {
			ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "too many groups");
		} else {
			ctl_mls_op_start(m, c, kind, grp, peers, n_peers, ids, n_ids, suite);
		}
	}
	protobuf_c_message_free_unpacked(rq, NULL);
}

void ctl_mls_method(struct ctl_mls_call *c, const uint8_t *msg, size_t len)
{
	switch (c->method) {
	case CTL_MLS_M_KEY_PACKAGE:
		do_key_package(c, msg, len);
		break;
	case CTL_MLS_M_WELCOME:
		do_welcome(c, msg, len);
		break;
	case CTL_MLS_M_COMMIT:
		do_commit(c, msg, len);
		break;
	case CTL_MLS_M_GET:
	case CTL_MLS_M_LEAVE:
		do_get_leave(c, msg, len);
		break;
	case CTL_MLS_M_LIST:
		do_list(c);
		break;
	default:
		do_operation(c, msg, len);
		break;
	}
}
