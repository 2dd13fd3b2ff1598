/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_mls_ops.c - the MLS operations that call other control processes
 * (Create, Add, Remove, Update), and the outbound gRPC calls they make.
 *
 * An operation runs in two phases, each a set of outbound calls in
 * parallel whose answers drive it on (nothing blocks the event loop):
 *   fetch    (Create, Add) MlsKeyPackage at every peer; any failure ends
 *            the operation with nothing changed (a new group is dropped);
 *   commit   propose, mls_group_commit (the group moves to the new epoch),
 *            publish the epoch record, then deliver: MlsWelcome to the new
 *            members, MlsCommit to every other member of the old epoch.
 *            Failed deliveries are reported, not undone.
 * The caller is answered when the last call of the last phase answers.
 * If it goes away meanwhile the operation still completes.
 *
 * Outbound calls: one connection per call (h2_sock_connect on the control
 * process's loop, after a connect probe bounded by CTL_MLS_CONNECT_MS),
 * a deadline of conf.timeout_ms, GOAWAY once the call is over; the loop
 * closes the connection when both sides are done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_mls_internal.h"
#include "grpc_client.h"
#include "h2_sock.h"

#define SVC "/slimbridge.control.v1.ControlService/"

/* ---------------------------------------------------------------- endpoints */

int ctl_mls_endpoint_parse(const char *ep, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = ep;
	size_t hlen;
	char *end;
	unsigned long p;
	struct in6_addr a6;
	struct in_addr a4;

	if (ep == NULL) {
		return -EINVAL;
	}
	if (ep[0] == '[') {
		const char *close = strchr(ep, ']');

		if (close == NULL || close[1] != ':') {
			return -EINVAL;
		}
		h = ep + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(ep, ':');
		if (colon == NULL) {
			return -EINVAL;
		}
		hlen = (size_t)(colon - ep);
	}
	if (hlen == 0 || hlen >= cap) {
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] == '\0' || p == 0 || p > 65535) {
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1) {
		return -EINVAL;
	}
	*port = (uint16_t)p;
	return 0;
}

/*
 * Tries a non-blocking connect for at most |ms|: h2_sock_connect blocks
 * until connected, so an address that drops SYNs would stall the loop for
 * the kernel's whole retry time without this.
 */
static int probe(const char *host, uint16_t port, int ms)
{
	struct sockaddr_storage ss;
	socklen_t sl, el = sizeof(int);
	struct pollfd pfd;
	int fd, rc, e = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	rc = connect(fd, (struct sockaddr *)&ss, sl);
	if (rc < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto out;
	}
	if (rc < 0) {
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		do {
			rc = poll(&pfd, 1, ms);
		} while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			rc = -ETIMEDOUT;
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
			rc = e != 0 ? -e : -errno;
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- outbound calls */

typedef void (*ocall_done_fn)(void *arg, int status, const char *message, const uint8_t *resp,
			      size_t len);

struct ctl_mls_ocall;

/* The loop's object for one outbound connection (struct ctl_mls's list). */
struct ctl_mls_oconn {
	struct ctl_mls *m;
	struct grpc_cconn *cc;
	struct ctl_mls_ocall *oc;		/* its call, NULL once over */
	bool opened, closed, goaway;
	char authority[CTL_MLS_MAX_ENDPOINT + 1];
	struct ctl_mls_oconn *next;		/* m's list: freed once closed */
};

struct ctl_mls_ocall {
	struct ctl_mls_oconn *conn;
	struct grpc_ccall *call;
	ocall_done_fn done;		/* NULL once abandoned */
	void *arg;
	uint8_t *req, *resp;
	size_t req_len, resp_len;
	bool sent;
};

static struct h2_conf cconf;

static void *oconn_open(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2)
{
	struct ctl_mls_oconn *o = arg;

	o->cc = grpc_cconn_new(&cconf, pool, o->authority, now_ms);
	if (o->cc == NULL) {
		return NULL;
	}
	o->opened = true;
	*h2 = grpc_cconn_h2(o->cc);
	return o;
}

static void oconn_tick(void *conn, uint64_t now_ms)
{
	struct ctl_mls_oconn *o = conn;

	grpc_cconn_tick(o->cc, now_ms);
	if (o->oc == NULL && !o->goaway) {
		/* The call is over: say goodbye; the loop closes once both sides are done. */
		h2_conn_goaway(grpc_cconn_h2(o->cc), 0);
		o->goaway = true;
	}
}

static void oconn_close(void *conn)
{
	struct ctl_mls_oconn *o = conn;

	grpc_cconn_free(o->cc);		/* a call still open ends with CANCELLED */
	o->cc = NULL;
	o->closed = true;
}

static const struct h2_sock_app oconn_app = {
	.accept = oconn_open,
	.tick = oconn_tick,
	.close = oconn_close,
};

/* Frees the connections the loop has closed (or never took). */
static void oconn_reap(struct ctl_mls *m, bool all)
{
	for (struct ctl_mls_oconn **pp = &m->oconns; *pp != NULL;) {
		struct ctl_mls_oconn *o = *pp;

		if (o->closed || all) {
			*pp = o->next;
			free(o);
		} else {
			pp = &o->next;
		}
	}
}

/* Sends the request and half-closes; 0, or a negative errno (the caller cancels). */
static int ocall_send(struct ctl_mls_ocall *oc)
{
	int rc;

	if (oc->sent) {
		return 0;
	}
	rc = grpc_ccall_send(oc->call, oc->req, oc->req_len);
	if (rc == -EAGAIN) {
		return 0;	/* on_writable */
	}
	oc->sent = true;
	return rc < 0 ? rc : grpc_ccall_close_send(oc->call);
}

static int oc_on_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	struct ctl_mls_ocall *oc = arg;

	(void)call;
	if (oc->resp != NULL) {
		return -EINVAL;		/* unary: one message */
	}
	oc->resp = malloc(len + 1);
	if (oc->resp == NULL) {
		return -ENOMEM;
	}
	memcpy(oc->resp, msg, len);
	oc->resp_len = len;
	return 0;
}

static void oc_on_writable(struct grpc_ccall *call, void *arg)
{
	if (ocall_send(arg) < 0) {
		grpc_ccall_cancel(call);
	}
}

static void oc_on_done(struct grpc_ccall *call, int status, const char *message,
		       const struct h2_header *trailers, uint32_t n, void *arg)
{
	struct ctl_mls_ocall *oc = arg;

	(void)call;
	(void)trailers;
	(void)n;
	oc->conn->oc = NULL;
	if (oc->done != NULL) {
		if (status == GRPC_OK && oc->resp == NULL) {
			status = GRPC_INTERNAL;
			message = "no response message";
		}
		oc->done(oc->arg, status, message, oc->resp, oc->resp_len);
	}
	free(oc->req);
	free(oc->resp);
	free(oc);
}

static const struct grpc_ccall_ops ocall_ops = {
	.on_message = oc_on_message,
	.on_writable = oc_on_writable,
	.on_done = oc_on_done,
};

/*
 * Calls |method| at |endpoint| with |req|; |done| gets the outcome exactly
 * once, later (never from inside this function). Returns the call, or NULL
 * with a reason in |why| when it could not start.
 */
static struct ctl_mls_ocall *call_peer(struct ctl_mls *m, const char *endpoint, const char *method,
			       const ProtobufCMessage *req, ocall_done_fn done, void *arg,
			       char *why, size_t whylen)
{
	char host[CTL_MLS_MAX_ENDPOINT + 1], path[128];
	struct ctl_mls_ocall *oc;
	struct ctl_mls_oconn *o;
	uint16_t port;
	int rc;

	oconn_reap(m, false);
	if (cconf.max_frame_size == 0) {
		h2_conf_default(&cconf, false);
	}
	if (ctl_mls_endpoint_parse(endpoint, host, sizeof(host), &port) < 0) {
		snprintf(why, whylen, "not HOST:PORT with an IP address");
		return NULL;
	}
	rc = probe(host, port, CTL_MLS_CONNECT_MS);
	if (rc < 0) {
		snprintf(why, whylen, "cannot connect: %s", strerror(-rc));
		return NULL;
	}
	oc = calloc(1, sizeof(*oc));
	o = calloc(1, sizeof(*o));
	if (oc == NULL || o == NULL) {
		free(oc);
		free(o);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	o->m = m;
	snprintf(o->authority, sizeof(o->authority), "%s", endpoint);
	o->next = m->oconns;
	m->oconns = o;
	if (h2_sock_connect(m->loop, host, port, &oconn_app, o) == NULL) {
		/* Not the loop's (or already closed by it): reaped with the list. */
		o->closed = true;
		free(oc);
		snprintf(why, whylen, "cannot connect: %s", strerror(errno));
		return NULL;
	}
	oc->conn = o;
	oc->done = done;
	oc->arg = arg;
	oc->req_len = protobuf_c_message_get_packed_size(req);
	oc->req = malloc(oc->req_len + 1);
	snprintf(path, sizeof(path), SVC "%s", method);
	if (oc->req == NULL ||
	    grpc_cconn_start(o->cc, path, NULL, 0, m->conf.timeout_ms, &ocall_ops, oc,
			     &oc->call) < 0) {
		free(oc->req);
		free(oc);
		snprintf(why, whylen, "cannot start the call");
		return NULL;	/* the connection says GOAWAY at its next tick */
	}
	protobuf_c_message_pack(req, oc->req);
	o->oc = oc;
	if (ocall_send(oc) < 0) {
		/* Nobody is told: the call's end (now or later) frees it. */
		oc->done = NULL;
		grpc_ccall_cancel(oc->call);
		snprintf(why, whylen, "cannot send the request");
		return NULL;
	}
	return oc;
}

struct ctl_mls_ocall *ctl_mls_call(struct ctl_mls *m, const char *endpoint, const char *method,
				   const ProtobufCMessage *req, ctl_mls_call_done_fn done,
				   void *arg, char *why, size_t whylen)
{
	if (m->stopped) {
		snprintf(why, whylen, "slimbridge-control is stopping");
		return NULL;
	}
	return call_peer(m, endpoint, method, req, done, arg, why, whylen);
}

void ctl_mls_call_forget(struct ctl_mls_ocall *oc)
{
	if (oc != NULL) {
		oc->done = NULL;
	}
}

/* ---------------------------------------------------------------- operations */

/* A peer to fetch a KeyPackage from, or a member to deliver to. */
struct peer {
	struct ctl_mls_op *op;
	char *endpoint;
	char *identity;
	uint8_t *kp;
	size_t kp_len;
	struct ctl_mls_ocall *oc;		/* in flight */
	bool ok;
	char why[192];
};

struct ctl_mls_op {
	struct ctl_mls_op *next;
	struct ctl_mls *m;
	enum ctl_mls_op_kind kind;
	struct ctl_mls_group *grp;
	struct ctl_mls_call *caller;
	struct peer *fetch;
	size_t n_fetch;
	char **ids;
	size_t n_ids;
	struct peer *dl;
	size_t n_dl;
	uint32_t pending;
	char **undelivered;
	size_t n_undelivered;
	struct mls_commit_result cr;
};

static void peers_free(struct peer *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].oc != NULL) {
			p[i].oc->done = NULL;	/* answers nobody now */
		}
		free(p[i].endpoint);
		free(p[i].identity);
		free(p[i].kp);
	}
	free(p);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

/* Ends |op|: unlinked, detached from its group, caller and calls, freed. */
static void op_end(struct ctl_mls_op *op)
{
	struct ctl_mls *m = op->m;

	for (struct ctl_mls_op **pp = &m->ops; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	}
	if (op->caller != NULL) {
		op->caller->op = NULL;
	}
	if (op->grp != NULL) {
		op->grp->op = NULL;
	}
	peers_free(op->fetch, op->n_fetch);
	peers_free(op->dl, op->n_dl);
	strv_free(op->ids, op->n_ids);
	strv_free(op->undelivered, op->n_undelivered);
	mls_commit_result_free(&op->cr);
	free(op);
}

/* Detaches the caller of |op| (so that answering it cannot reach back into |op|). */
static struct ctl_mls_call *take_caller(struct ctl_mls_op *op)
{
	struct ctl_mls_call *c = op->caller;

	if (c != NULL) {
		c->op = NULL;
		op->caller = NULL;
	}
	return c;
}

/* Ends |op| with an error; a Create's group is dropped (nothing was committed). */
static void op_fail(struct ctl_mls_op *op, int status, const char *msg)
{
	struct ctl_mls_call *c = take_caller(op);
	struct ctl_mls_group *grp = op->grp;

	if (op->kind == CTL_MLS_OP_CREATE && grp != NULL) {
		op->grp = NULL;
		grp->op = NULL;
		ctl_mls_group_drop(op->m, grp);
	}
	op_end(op);
	if (c != NULL) {
		ctl_mls_fail(c, status, msg);
	}
}

static void op_finish(struct ctl_mls_op *op)
{
	struct ctl_mls_call *c = take_caller(op);

	if (c != NULL) {
		ctl_mls_reply_state(c, op->grp, op->undelivered, op->n_undelivered);
	}
	op_end(op);
}

static int undelivered_add(struct ctl_mls_op *op, const struct peer *p)
{
	char **v = realloc(op->undelivered, (op->n_undelivered + 1) * sizeof(*v));
	size_t n;

	if (v == NULL) {
		return -ENOMEM;
	}
	op->undelivered = v;
	n = strlen(p->identity) + strlen(p->endpoint) + strlen(p->why) + 8;
	v[op->n_undelivered] = malloc(n);
	if (v[op->n_undelivered] == NULL) {
		return -ENOMEM;
	}
	snprintf(v[op->n_undelivered++], n, "%s (%s): %s", p->identity, p->endpoint, p->why);
	return 0;
}

static void deliver_done(void *arg, int status, const char *message, const uint8_t *resp,
			 size_t len)
{
	struct peer *p = arg;
	struct ctl_mls_op *op = p->op;

	(void)resp;
	(void)len;
	p->oc = NULL;
	if (status != GRPC_OK) {
		snprintf(p->why, sizeof(p->why), "status %d: %s", status, message);
		(void)!undelivered_add(op, p);
	}
	if (--op->pending == 0) {
		op_finish(op);
	}
}

/* Who gets the Commit: every member of the current epoch but this one. */
static int targets(struct ctl_mls_op *op)
{
	const struct mls_group *g = op->grp->g;
	uint32_t leaves = mls_group_n_leaves(g), own = mls_group_own_leaf(g);

	op->dl = calloc(leaves + op->n_fetch + 1, sizeof(*op->dl));
	if (op->dl == NULL) {
		return -ENOMEM;
	}
	for (uint32_t leaf = 0; leaf < leaves; leaf++) {
		struct peer *p = &op->dl[op->n_dl];
		const char *ep;

		if (leaf == own || (p->identity = ctl_mls_member_identity(g, leaf)) == NULL) {
			continue;
		}
		ep = ctl_mls_dir_find(op->grp, p->identity);
		p->op = op;
		p->endpoint = strdup(ep != NULL ? ep : "");
		op->n_dl++;
		if (p->endpoint == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* Sends the Welcome to the new members and the Commit to |op->dl|. */
static void deliver(struct ctl_mls_op *op)
{
	Slimbridge__Control__V1__MlsEndpoint *store = calloc(op->grp->n_eps + 1, sizeof(*store));
	Slimbridge__Control__V1__MlsEndpoint **dir = store != NULL ? ctl_mls_dir_pb(op->grp, store)
								   : NULL;
	Slimbridge__Control__V1__MlsWelcomeRequest wr =
		SLIMBRIDGE__CONTROL__V1__MLS_WELCOME_REQUEST__INIT;
	Slimbridge__Control__V1__MlsCommitRequest cr =
		SLIMBRIDGE__CONTROL__V1__MLS_COMMIT_REQUEST__INIT;
	size_t n_new = op->cr.welcome != NULL ? op->n_fetch : 0;

	if (dir == NULL) {
		free(store);
		op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory (the commit stands)");
		return;
	}
	wr.has_welcome = 1;
	wr.welcome.data = op->cr.welcome;
	wr.welcome.len = op->cr.welcome_len;
	wr.members = dir;
	wr.n_members = op->grp->n_eps;
	cr.group = op->grp->name;
	cr.has_message = 1;
	cr.message.data = op->cr.commit;
	cr.message.len = op->cr.commit_len;
	cr.members = dir;
	cr.n_members = op->grp->n_eps;
	/* Count first: a call's answer never comes before call_peer returns. */
	for (size_t i = 0; i < n_new + op->n_dl; i++) {
		struct peer *p = i < n_new ? &op->fetch[i] : &op->dl[i - n_new];

		if (p->endpoint[0] == '\0') {
			snprintf(p->why, sizeof(p->why), "no endpoint known");
			(void)!undelivered_add(op, p);
			continue;
		}
		p->oc = call_peer(op->m, p->endpoint, i < n_new ? "MlsWelcome" : "MlsCommit",
				  i < n_new ? &wr.base : &cr.base, deliver_done, p, p->why,
				  sizeof(p->why));
		if (p->oc == NULL) {
			(void)!undelivered_add(op, p);
		} else {
			op->pending++;
		}
	}
	free(dir);
	free(store);
	if (op->pending == 0) {
		op_finish(op);
	}
}

/* Proposals, the Commit, the new epoch's record; then the deliveries. */
static void op_commit(struct ctl_mls_op *op)
{
	struct mls_group *g = op->grp->g;
	struct mls_commit_opts o = {.tree_in_welcome = true,
				    .force_path = op->kind == CTL_MLS_OP_UPDATE};
	struct ctl_mls_ep *extra = NULL;
	char why[256];
	int rc = 0;

	if (targets(op) < 0) {
		op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < op->n_fetch && rc == 0; i++) {
		rc = mls_group_propose_add(g, op->fetch[i].kp, op->fetch[i].kp_len);
		if (rc < 0) {
			snprintf(why, sizeof(why), "%s: its KeyPackage is refused: %s",
				 op->fetch[i].endpoint, strerror(-rc));
		}
	}
	for (size_t i = 0; i < op->n_ids && rc == 0; i++) {
		rc = mls_group_find_member(g, (const uint8_t *)op->ids[i], strlen(op->ids[i]));
		if (rc == (int)mls_group_own_leaf(g)) {
			rc = -EINVAL;
			snprintf(why, sizeof(why),
				 "a member cannot remove itself (use MlsGroupLeave)");
		} else if (rc < 0) {
			snprintf(why, sizeof(why), "%s: not a member", op->ids[i]);
		} else {
			rc = mls_group_propose_remove(g, (uint32_t)rc);
			snprintf(why, sizeof(why), "cannot remove %s: %s", op->ids[i],
				 strerror(-rc));
		}
	}
	if (rc == 0) {
		rc = mls_group_commit(g, &o, &op->cr);
		snprintf(why, sizeof(why), "the commit failed: %s", strerror(-rc));
	}
	if (rc < 0) {
		int status = rc == -ENOENT   ? GRPC_NOT_FOUND
			     : rc == -ENOMEM ? GRPC_RESOURCE_EXHAUSTED
					     : GRPC_INVALID_ARGUMENT;

		mls_group_clear_proposals(g);
		op_fail(op, status, why);
		return;
	}
	/* The group is at the new epoch from here on. */
	extra = calloc(op->n_fetch + 1, sizeof(*extra));
	for (size_t i = 0; extra != NULL && i < op->n_fetch; i++) {
		extra[i].identity = op->fetch[i].identity;
		extra[i].endpoint = op->fetch[i].endpoint;
	}
	rc = extra != NULL ? ctl_mls_dir_rebuild(op->m, op->grp, extra, op->n_fetch) : -ENOMEM;
	free(extra);
	ctl_mls_publish(op->m);
	if (rc < 0) {
		op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory (the commit stands)");
		return;
	}
	deliver(op);
}

static void fetch_done(void *arg, int status, const char *message, const uint8_t *resp,
		       size_t len)
{
	struct peer *p = arg;
	struct ctl_mls_op *op = p->op;

	p->oc = NULL;
	if (status == GRPC_OK) {
		Slimbridge__Control__V1__MlsKeyPackageResponse *r =
			slimbridge__control__v1__mls_key_package_response__unpack(NULL, len, resp);

		if (r != NULL && r->has_keypackage && r->keypackage.len > 0 &&
		    r->identity != NULL) {
			p->kp = malloc(r->keypackage.len);
			p->identity = strdup(r->identity);
			if (p->kp != NULL && p->identity != NULL) {
				memcpy(p->kp, r->keypackage.data, r->keypackage.len);
				p->kp_len = r->keypackage.len;
				p->ok = true;
			}
		}
		if (!p->ok) {
			snprintf(p->why, sizeof(p->why), "a malformed KeyPackage response");
		}
		slimbridge__control__v1__mls_key_package_response__free_unpacked(r, NULL);
	} else {
		snprintf(p->why, sizeof(p->why), "status %d: %s", status, message);
	}
	if (--op->pending > 0) {
		return;
	}
	for (size_t i = 0; i < op->n_fetch; i++) {
		if (!op->fetch[i].ok) {
			char why[320];

			snprintf(why, sizeof(why), "peer %s: no KeyPackage: %s",
				 op->fetch[i].endpoint, op->fetch[i].why);
			op_fail(op, GRPC_UNAVAILABLE, why);
			return;
		}
	}
	op_commit(op);
}

void ctl_mls_op_start(struct ctl_mls *m, struct ctl_mls_call *c, enum ctl_mls_op_kind kind,
		      struct ctl_mls_group *grp, char *const *peers, size_t n_peers,
		      char *const *ids, size_t n_ids, uint16_t suite)
{
	Slimbridge__Control__V1__MlsKeyPackageRequest kr =
		SLIMBRIDGE__CONTROL__V1__MLS_KEY_PACKAGE_REQUEST__INIT;
	struct ctl_mls_op *op = calloc(1, sizeof(*op));
	char host[CTL_MLS_MAX_ENDPOINT + 1];
	uint16_t port;

	if (op == NULL) {
		if (kind == CTL_MLS_OP_CREATE) {
			ctl_mls_group_drop(m, grp);
		}
		ctl_mls_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	op->m = m;
	op->kind = kind;
	op->grp = grp;
	op->caller = c;
	c->op = op;
	grp->op = op;
	op->next = m->ops;
	m->ops = op;
	if (kind == CTL_MLS_OP_CREATE &&
	    mls_group_create(ctl_mls_signer(m, suite), (const uint8_t *)grp->name,
			     strlen(grp->name), &grp->g) < 0) {
		op_fail(op, GRPC_INTERNAL, "cannot make the group");
		return;
	}
	if (kind == CTL_MLS_OP_CREATE && ctl_mls_dir_rebuild(m, grp, NULL, 0) < 0) {
		op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	op->fetch = calloc(n_peers + 1, sizeof(*op->fetch));
	op->ids = calloc(n_ids + 1, sizeof(*op->ids));
	if (op->fetch == NULL || op->ids == NULL) {
		op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (size_t i = 0; i < n_ids; i++) {
		op->ids[op->n_ids] = strdup(ids[i]);
		if (op->ids[op->n_ids++] == NULL) {
			op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory");
			return;
		}
	}
	for (size_t i = 0; i < n_peers; i++) {
		if (strlen(peers[i]) > CTL_MLS_MAX_ENDPOINT ||
		    ctl_mls_endpoint_parse(peers[i], host, sizeof(host), &port) < 0) {
			char why[160];

			snprintf(why, sizeof(why),
				 "peer '%.80s': HOST:PORT with an IP address expected", peers[i]);
			op_fail(op, GRPC_INVALID_ARGUMENT, why);
			return;
		}
		op->fetch[op->n_fetch].op = op;
		op->fetch[op->n_fetch].endpoint = strdup(peers[i]);
		if (op->fetch[op->n_fetch++].endpoint == NULL) {
			op_fail(op, GRPC_RESOURCE_EXHAUSTED, "out of memory");
			return;
		}
	}
	if (kind == CTL_MLS_OP_CREATE && n_peers == 0) {
		ctl_mls_publish(m);
		op_finish(op);
		return;
	}
	if (n_peers == 0) {
		op_commit(op);
		return;
	}
	kr.has_ciphersuite = 1;
	kr.ciphersuite = mls_group_suite(grp->g)->id;
	for (size_t i = 0; i < op->n_fetch; i++) {
		struct peer *p = &op->fetch[i];

		p->oc = call_peer(m, p->endpoint, "MlsKeyPackage", &kr.base, fetch_done, p, p->why,
				  sizeof(p->why));
		if (p->oc != NULL) {
			op->pending++;
		}
	}
	if (op->pending == 0) {
		char why[320];

		snprintf(why, sizeof(why), "peer %s: no KeyPackage: %s", op->fetch[0].endpoint,
			 op->fetch[0].why);
		op_fail(op, GRPC_UNAVAILABLE, why);
		return;
	}
	/*
	 * A peer that could not be called fails the operation once the others
	 * have answered (fetch_done looks at every peer).
	 */
}

void ctl_mls_caller_gone(struct ctl_mls_op *op)
{
	op->caller = NULL;	/* it completes all the same */
}

void ctl_mls_op_abandon(struct ctl_mls *m)
{
	while (m->ops != NULL) {
		struct ctl_mls_op *op = m->ops;
		struct ctl_mls_call *c = take_caller(op);

		op_end(op);
		if (c != NULL) {
			ctl_mls_fail(c, GRPC_UNAVAILABLE, "slimbridge-control is stopping");
		}
	}
}

void ctl_mls_ops_cleanup(struct ctl_mls *m)
{
	oconn_reap(m, true);
}
