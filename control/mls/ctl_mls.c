/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_mls.c - the MLS module's state (signers, KeyPackages waiting for a
 * Welcome, groups and their delivery directories), the publication of the
 * epoch records, and the server side of the Mls* calls. The methods that
 * answer at once are in ctl_mls_methods.c, the operations that call other
 * control processes in ctl_mls_ops.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_mls_internal.h"
#include "ctl/ctl_state.h"
#include "mls_export.h"
#include "policy_mls.h"

#define SVC "/slimbridge.control.v1.ControlService/"


static const char *const method_names[CTL_MLS_M_MAX] = {
	"MlsKeyPackage", "MlsWelcome", "MlsCommit", "MlsGroupCreate", "MlsGroupAdd",
	"MlsGroupRemove", "MlsGroupUpdate", "MlsGroupGet", "MlsGroupList", "MlsGroupLeave",
};

struct ctl_mls_slot {
	struct ctl_mls *m;
	enum ctl_mls_method method;
};

/* ---------------------------------------------------------------- groups */

bool ctl_mls_name_ok(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > CTL_MLS_MAX_NAME) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-')) {
			return false;
		}
	}
	return true;
}

struct ctl_mls_group *ctl_mls_group_find(struct ctl_mls *m, const char *name)
{
	for (size_t i = 0; i < m->n_groups; i++) {
		if (strcmp(m->groups[i]->name, name) == 0) {
			return m->groups[i];
		}
	}
	return NULL;
}

struct ctl_mls_group *ctl_mls_group_add(struct ctl_mls *m, const char *name)
{
	struct ctl_mls_group *grp, **v;

	if (m->n_groups >= CTL_MLS_MAX_GROUPS || strlen(name) > MLS_GROUP_MAX_ID) {
		return NULL;
	}
	v = realloc(m->groups, (m->n_groups + 1) * sizeof(*v));
	if (v == NULL) {
		return NULL;
	}
	m->groups = v;
	grp = calloc(1, sizeof(*grp));
	if (grp == NULL) {
		return NULL;
	}
	snprintf(grp->name, sizeof(grp->name), "%s", name);
	m->groups[m->n_groups++] = grp;
	return grp;
}

static void dir_free(struct ctl_mls_ep *eps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(eps[i].identity);
		free(eps[i].endpoint);
	}
	free(eps);
}

void ctl_mls_group_drop(struct ctl_mls *m, struct ctl_mls_group *grp)
{
	for (size_t i = 0; i < m->n_groups; i++) {
		if (m->groups[i] == grp) {
			m->groups[i] = m->groups[--m->n_groups];
			break;
		}
	}
	mls_group_free(grp->g);
	dir_free(grp->eps, grp->n_eps);
	free(grp);
}

struct mls_signer *ctl_mls_signer(struct ctl_mls *m, uint16_t id)
{
	const struct mls_suite *s = mls_suite_get(id);

	if (s == NULL || id >= sizeof(m->signers) / sizeof(m->signers[0])) {
		return NULL;
	}
	if (m->signers[id] == NULL &&
	    mls_signer_new(s, (const uint8_t *)m->identity, strlen(m->identity), NULL, 0,
			   &m->signers[id]) < 0) {
		return NULL;
	}
	return m->signers[id];
}

char *ctl_mls_member_identity(const struct mls_group *g, uint32_t leaf)
{
	const uint8_t *id, *pub;
	size_t id_len, pub_len;
	char *s, *p;

	if (mls_group_member(g, leaf, &id, &id_len, &pub, &pub_len) < 0) {
		return NULL;
	}
	/* Identities come from other members: anything but printable ASCII is escaped. */
	s = malloc(id_len * 4 + 1);
	if (s == NULL) {
		return NULL;
	}
	p = s;
	for (size_t i = 0; i < id_len; i++) {
		if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\\') {
			*p++ = (char)id[i];
		} else {
			p += sprintf(p, "\\x%02x", id[i]);
		}
	}
	*p = '\0';
	return s;
}

const char *ctl_mls_dir_find(const struct ctl_mls_group *grp, const char *identity)
{
	for (size_t i = 0; i < grp->n_eps; i++) {
		if (strcmp(grp->eps[i].identity, identity) == 0) {
			return grp->eps[i].endpoint;
		}
	}
	return NULL;
}

int ctl_mls_dir_rebuild(struct ctl_mls *m, struct ctl_mls_group *grp,
			const struct ctl_mls_ep *extra, size_t n)
{
	uint32_t leaves = mls_group_n_leaves(grp->g);
	struct ctl_mls_ep *eps = calloc(leaves + 1, sizeof(*eps));
	size_t k = 0;

	if (eps == NULL) {
		return -ENOMEM;
	}
	for (uint32_t leaf = 0; leaf < leaves; leaf++) {
		char *id = ctl_mls_member_identity(grp->g, leaf);
		const char *ep;

		if (id == NULL) {
			continue;	/* blank */
		}
		ep = leaf == mls_group_own_leaf(grp->g) ? m->endpoint : ctl_mls_dir_find(grp, id);
		for (size_t i = 0; ep == NULL && i < n; i++) {
			if (strcmp(extra[i].identity, id) == 0) {
				ep = extra[i].endpoint;
			}
		}
		eps[k].identity = id;
		eps[k].endpoint = strdup(ep != NULL ? ep : "");
		if (eps[k++].endpoint == NULL) {
			dir_free(eps, k);
			return -ENOMEM;
		}
	}
	dir_free(grp->eps, grp->n_eps);
	grp->eps = eps;
	grp->n_eps = k;
	return 0;
}

int ctl_mls_dir_take(struct ctl_mls *m, struct ctl_mls_group *grp,
		    Slimbridge__Control__V1__MlsEndpoint *const *v, size_t n)
{
	struct ctl_mls_ep *extra;
	size_t k = 0;
	int rc;

	if (n == 0) {
		return ctl_mls_dir_rebuild(m, grp, NULL, 0);
	}
	extra = calloc(n, sizeof(*extra));
	if (extra == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i]->identity != NULL && v[i]->endpoint != NULL &&
		    strlen(v[i]->endpoint) <= CTL_MLS_MAX_ENDPOINT) {
			extra[k].identity = v[i]->identity;
			extra[k++].endpoint = v[i]->endpoint;
		}
	}
	/* What the delivery says wins over what we knew. */
	dir_free(grp->eps, grp->n_eps);
	grp->eps = NULL;
	grp->n_eps = 0;
	rc = ctl_mls_dir_rebuild(m, grp, extra, k);
	free(extra);
	return rc;
}

Slimbridge__Control__V1__MlsEndpoint **ctl_mls_dir_pb(const struct ctl_mls_group *grp,
						      Slimbridge__Control__V1__MlsEndpoint *store)
{
	Slimbridge__Control__V1__MlsEndpoint **v = calloc(grp->n_eps + 1, sizeof(*v));

	if (v == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < grp->n_eps; i++) {
		slimbridge__control__v1__mls_endpoint__init(&store[i]);
		store[i].identity = grp->eps[i].identity;
		store[i].endpoint = grp->eps[i].endpoint;
		v[i] = &store[i];
	}
	return v;
}

/* ---------------------------------------------------------------- publication */

void ctl_mls_publish(struct ctl_mls *m)
{
	struct policy_mls_ent *e = calloc(m->n_groups + 1, sizeof(*e));
	uint8_t **recs = calloc(m->n_groups + 1, sizeof(*recs));
	uint8_t *tab = NULL;
	size_t tab_len = 0;
	uint32_t n = 0;
	int rc = -ENOMEM;

	if (e == NULL || recs == NULL) {
		goto out;
	}
	for (size_t i = 0; i < m->n_groups; i++) {
		struct ctl_mls_group *grp = m->groups[i];

		if (!mls_group_active(grp->g) || grp->no_export) {
			continue;
		}
		rc = mls_export_group(grp->g, &recs[n], &e[n].rec_len);
		if (rc < 0) {
			goto out;
		}
		e[n].id = mls_group_id(grp->g, &e[n].id_len);
		e[n].epoch = mls_group_epoch(grp->g);
		e[n].rec = recs[n];
		n++;
	}
	rc = policy_mls_build(e, n, &tab, &tab_len);
	if (rc == 0) {
		rc = ctl_state_set_table(m->st, SB_POL_TABLE_MLS, tab, tab_len, n);
	}
out:
	if (rc < 0) {
		fprintf(stderr, "slimbridge-control: MLS epoch records not published: %s\n",
			strerror(-rc));
	}
	policy_mls_free(tab, tab_len);
	for (uint32_t i = 0; recs != NULL && i < n; i++) {
		mls_export_free(recs[i], e[i].rec_len);
	}
	free(recs);
	free(e);
}

/* ---------------------------------------------------------------- managed groups */

bool ctl_mls_is_managed(const struct ctl_mls *m, const uint8_t *gid, size_t len)
{
	return m->hooks.owns != NULL && m->hooks.owns(m->hooks.arg, gid, len);
}

void ctl_mls_set_hooks(struct ctl_mls *m, const struct ctl_mls_hooks *h)
{
	if (h != NULL) {
		m->hooks = *h;
	} else {
		memset(&m->hooks, 0, sizeof(m->hooks));
	}
}

int ctl_mls_set_signer_key(struct ctl_mls *m, uint16_t suite, const uint8_t *priv, size_t len)
{
	const struct mls_suite *s = mls_suite_get(suite);
	struct mls_signer *sg = NULL;
	int rc;

	if (s == NULL || suite >= sizeof(m->signers) / sizeof(m->signers[0]) || priv == NULL) {
		return -EINVAL;
	}
	rc = mls_signer_new(s, (const uint8_t *)m->identity, strlen(m->identity), priv, len, &sg);
	if (rc < 0) {
		return rc;
	}
	mls_signer_free(m->signers[suite]);
	m->signers[suite] = sg;
	return 0;
}

const struct mls_signer *ctl_mls_signer_get(struct ctl_mls *m, uint16_t suite)
{
	return ctl_mls_signer(m, suite);
}

const char *ctl_mls_identity(const struct ctl_mls *m)
{
	return m->identity;
}

const char *ctl_mls_endpoint(const struct ctl_mls *m)
{
	return m->endpoint;
}

static struct ctl_mls_group *managed_find(struct ctl_mls *m, const char *name)
{
	struct ctl_mls_group *grp = name != NULL ? ctl_mls_group_find(m, name) : NULL;

	return grp != NULL && grp->managed ? grp : NULL;
}

int ctl_mls_managed_put(struct ctl_mls *m, const char *name, struct mls_group *g,
			const char *peer_endpoint, bool export)
{
	struct ctl_mls_group *grp;
	struct ctl_mls_ep peer = {0};
	uint32_t leaves;
	size_t gid_len;
	const uint8_t *gid;

	if (name == NULL || g == NULL || name[0] == '\0' || strlen(name) > MLS_GROUP_MAX_ID) {
		return -EINVAL;
	}
	gid = mls_group_id(g, &gid_len);
	if (gid_len != strlen(name) || memcmp(gid, name, gid_len) != 0) {
		return -EINVAL;
	}
	grp = ctl_mls_group_find(m, name);
	if (grp != NULL && grp->op != NULL) {
		return -EBUSY;
	}
	if (grp == NULL && (grp = ctl_mls_group_add(m, name)) == NULL) {
		return m->n_groups >= CTL_MLS_MAX_GROUPS ? -ENOSPC : -ENOMEM;
	}
	mls_group_free(grp->g);
	grp->g = g;
	grp->managed = true;
	grp->no_export = !export;
	/* The directory: us, and the other member at |peer_endpoint|. */
	leaves = mls_group_n_leaves(g);
	for (uint32_t leaf = 0; peer_endpoint != NULL && leaf < leaves; leaf++) {
		if (leaf != mls_group_own_leaf(g) && peer.identity == NULL) {
			peer.identity = ctl_mls_member_identity(g, leaf);
		}
	}
	peer.endpoint = (char *)peer_endpoint;
	dir_free(grp->eps, grp->n_eps);
	grp->eps = NULL;
	grp->n_eps = 0;
	/* Best effort: the managing module knows where its peer is. */
	(void)!ctl_mls_dir_rebuild(m, grp, &peer, peer.identity != NULL ? 1 : 0);
	free(peer.identity);
	ctl_mls_publish(m);
	return 0;
}

struct mls_group *ctl_mls_managed_get(struct ctl_mls *m, const char *name)
{
	struct ctl_mls_group *grp = managed_find(m, name);

	return grp != NULL ? grp->g : NULL;
}

int ctl_mls_managed_export(struct ctl_mls *m, const char *name, bool export)
{
	struct ctl_mls_group *grp = managed_find(m, name);

	if (grp == NULL) {
		return -ENOENT;
	}
	if (grp->no_export == !export) {
		return 0;
	}
	grp->no_export = !export;
	ctl_mls_publish(m);
	return 0;
}

void ctl_mls_managed_drop(struct ctl_mls *m, const char *name)
{
	struct ctl_mls_group *grp = managed_find(m, name);

	if (grp == NULL || grp->op != NULL) {
		return;
	}
	ctl_mls_group_drop(m, grp);
	ctl_mls_publish(m);
}

char **ctl_mls_managed_names(struct ctl_mls *m, size_t *n)
{
	char **v = calloc(m->n_groups + 1, sizeof(*v));

	*n = 0;
	if (v == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < m->n_groups; i++) {
		if (!m->groups[i]->managed) {
			continue;
		}
		v[*n] = strdup(m->groups[i]->name);
		if (v[*n] == NULL) {
			ctl_mls_names_free(v, *n);
			*n = 0;
			return NULL;
		}
		(*n)++;
	}
	return v;
}

void ctl_mls_names_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i]);
	}
	free(v);
}

/* ---------------------------------------------------------------- call plumbing */

static int on_start(struct grpc_call *call, void *arg)
{
	struct ctl_mls_slot *sl = arg;
	struct ctl_mls_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return -ENOMEM;
	}
	c->m = sl->m;
	c->call = call;
	c->method = sl->method;
	grpc_call_set_user(call, c);
	return 0;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct ctl_mls_call *c = grpc_call_user(call);

	(void)arg;
	if (c->got_request) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "more than one request message");
		return 0;
	}
	c->got_request = true;
	if (c->m->stopped) {
		ctl_mls_fail(c, GRPC_UNAVAILABLE, "shutting down");
		return 0;
	}
	ctl_mls_method(c, msg, len);
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct ctl_mls_call *c = grpc_call_user(call);

	(void)arg;
	c->half_closed = true;
	if (!c->got_request) {
		ctl_mls_fail(c, GRPC_INVALID_ARGUMENT, "no request message");
	} else if (c->replied) {
		(void)!grpc_call_finish(call, GRPC_OK, NULL);
	}
	/* Otherwise an operation answers later. */
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	struct ctl_mls_call *c = grpc_call_user(call);

	(void)status;
	(void)arg;
	if (c == NULL) {
		return;
	}
	if (c->op != NULL) {
		ctl_mls_caller_gone(c->op);
	}
	free(c);
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_done = on_done,
};

struct ctl_mls *ctl_mls_new(const struct ctl_mls_conf *conf, struct ctl_state *st,
			    struct grpc_server *srv, struct h2_sock_loop *loop, char *err,
			    size_t errlen)
{
	struct ctl_mls *m;
	char host[CTL_MLS_MAX_ENDPOINT + 1], path[128];
	uint16_t port;

	if (conf->identity == NULL || conf->identity[0] == '\0' ||
	    strlen(conf->identity) > MLS_GROUP_MAX_IDENTITY) {
		snprintf(err, errlen, "MLS identity: 1..%d bytes expected", MLS_GROUP_MAX_IDENTITY);
		return NULL;
	}
	if (conf->endpoint == NULL || strlen(conf->endpoint) > CTL_MLS_MAX_ENDPOINT ||
	    ctl_mls_endpoint_parse(conf->endpoint, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen, "MLS endpoint '%s': HOST:PORT expected (IP literal host)",
			 conf->endpoint != NULL ? conf->endpoint : "");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m != NULL) {
		m->slots = calloc(CTL_MLS_M_MAX, sizeof(*m->slots));
		m->identity = strdup(conf->identity);
		m->endpoint = strdup(conf->endpoint);
	}
	if (m == NULL || m->slots == NULL || m->identity == NULL || m->endpoint == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->conf = *conf;
	if (m->conf.timeout_ms == 0) {
		m->conf.timeout_ms = CTL_MLS_TIMEOUT_MS;
	}
	m->st = st;
	m->loop = loop;
	if (ctl_mls_signer(m, 1) == NULL) {
		snprintf(err, errlen, "cannot make the MLS signing key");
		goto fail;
	}
	for (int i = 0; i < CTL_MLS_M_MAX; i++) {
		m->slots[i].m = m;
		m->slots[i].method = (enum ctl_mls_method)i;
		snprintf(path, sizeof(path), SVC "%s", method_names[i]);
		if (grpc_server_add(srv, path, &ops, &m->slots[i]) < 0) {
			snprintf(err, errlen, "cannot register %s", path);
			goto fail;
		}
	}
	return m;
fail:
	ctl_mls_free(m);
	return NULL;
}

void ctl_mls_stop(struct ctl_mls *m)
{
	if (m == NULL) {
		return;
	}
	m->stopped = true;
	ctl_mls_op_abandon(m);
}

void ctl_mls_free(struct ctl_mls *m)
{
	if (m == NULL) {
		return;
	}
	ctl_mls_op_abandon(m);
	ctl_mls_ops_cleanup(m);
	while (m->n_groups > 0) {
		ctl_mls_group_drop(m, m->groups[0]);
	}
	free(m->groups);
	for (uint32_t i = 0; i < m->n_kps; i++) {
		mls_kp_free(m->kps[i]);
	}
	for (size_t i = 0; i < sizeof(m->signers) / sizeof(m->signers[0]); i++) {
		mls_signer_free(m->signers[i]);
	}
	free(m->identity);
	free(m->endpoint);
	free(m->slots);
	free(m);
}
