/* SPDX-License-Identifier: Apache-2.0 */
/* slim_node.c - a SLIM v2 node on gRPC; see slim_node.h. */
#include "slim_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "audit_ring.h"
#include "bridge.h"
#include "breaker.h"
#include "data_plane.pb-c.h"
#include "id_cache.h"
#include "id_jwt.h"
#include "seal.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_msg.h"
#include "slim_route.h"

#include "slim_node_internal.h"

static const char *const ctr_names[SLIM_CTR_MAX] = {
#define _(n, d) #n,
	foreach_slim_counter
#undef _
};

const char *slim_counter_name(enum slim_counter k)
{
	return (unsigned)k < SLIM_CTR_MAX ? ctr_names[k] : NULL;
}


static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t at = (a->used + 15) & ~(size_t)15;

	if (size > a->size || at > a->size - size) {
		return NULL; /* protobuf-c then fails the unpack: a decode error */
	}
	a->used = at + size;
	return a->base + at;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p; /* everything goes at once, at the next message */
}

void slim_node_conf_default(struct slim_node_conf *c)
{
	memset(c, 0, sizeof(*c)); /* worker 0, no peers */
	c->node_id = "slimbridge";
	c->require_header_mac = true;
	c->max_message = 4u << 20;
	c->max_connections = 1024;
}

/* ---- names ---------------------------------------------------------------- */

bool slim_node_name_of(const Dataplane__Proto__V1__Name *pn, struct slim_name *out)
{
	if (pn == NULL || pn->name == NULL) {
		return false;
	}
	out->c[0] = pn->name->component_0;
	out->c[1] = pn->name->component_1;
	out->c[2] = pn->name->component_2;
	if (pn->name->name_id == NULL) {
		out->id_hi = out->id_lo = SLIM_ID_ANY;
	} else {
		out->id_hi = pn->name->name_id->id_0;
		out->id_lo = pn->name->name_id->id_1;
	}
	return true;
}

/* ---- output --------------------------------------------------------------- */




static void tell_others_ack(struct slim_node *n, uint8_t op, const struct slim_name *name,
			    uint32_t g, bool local, uint64_t ack)
{
	struct slim_update u = {.conn = g, .op = op, .local = local, .ack = ack};

	if (n->conf.peer == NULL) {
		return;
	}
	if (name != NULL) {
		memcpy(u.c, name->c, sizeof(u.c));
		u.id_hi = name->id_hi;
		u.id_lo = name->id_lo;
	}
	n->conf.peer->update(n->conf.peer_arg, &u);
}

static void tell_others(struct slim_node *n, uint8_t op, const struct slim_name *name, uint32_t g,
			bool local)
{
	tell_others_ack(n, op, name, g, local, 0);
}

static int send_msg(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m)
{
	size_t len = dataplane__proto__v1__message__get_packed_size(m);

	if (len > n->out_cap) {
		return -EMSGSIZE;
	}
	dataplane__proto__v1__message__pack(m, n->out);
	return c->ccall != NULL ? grpc_ccall_send(c->ccall, n->out, len)
				: grpc_call_send(c->call, n->out, len);
}

static void announce(const struct slim_name *name, uint32_t conn, bool local, void *arg);

/* Announce (or withdraw) |name| to every negotiated node link of ours, as this node. */
static uint32_t link_sub_id(struct slim_node *n, const struct slim_name *name, bool add,
			    uint64_t sub_id);

static void link_sub(struct slim_node *n, const struct slim_name *name, bool add)
{
	(void)link_sub_id(n, name, add, 0);
}

/*
 * Announce (or withdraw) |name| to every negotiated node link of ours, as this
 * node, with subscription id |sub_id| (0: no ack wanted). Returns how many
 * links it went to.
 */
/* Loop prevention (slim.md 1.3): the subscription ids this node forwarded. */
static void fwd_remember(struct slim_node *n, uint64_t id)
{
	n->fwd_ids[n->fwd_next] = id;
	n->fwd_next = (n->fwd_next + 1) % SLIM_FWD_HISTORY;
}

static bool fwd_seen(const struct slim_node *n, uint64_t id)
{
	for (uint32_t i = 0; i < SLIM_FWD_HISTORY; i++) {
		if (n->fwd_ids[i] == id) {
			return true;
		}
	}
	return false;
}

static uint32_t link_sub_id(struct slim_node *n, const struct slim_name *name, bool add,
			    uint64_t sub_id)
{
	uint32_t sent = 0;
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Subscribe sub = DATAPLANE__PROTO__V1__SUBSCRIBE__INIT;
	Dataplane__Proto__V1__Unsubscribe unsub = DATAPLANE__PROTO__V1__UNSUBSCRIBE__INIT;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__Name dst = DATAPLANE__PROTO__V1__NAME__INIT;
	Dataplane__Proto__V1__EncodedName en = DATAPLANE__PROTO__V1__ENCODED_NAME__INIT;
	Dataplane__Proto__V1__NameId id = DATAPLANE__PROTO__V1__NAME_ID__INIT;
	uint8_t mac[SLIM_MAC_LEN];

	en.has_component_0 = en.has_component_1 = en.has_component_2 = true;
	en.component_0 = name->c[0];
	en.component_1 = name->c[1];
	en.component_2 = name->c[2];
	if (!slim_name_id_any(name)) {
		id.has_id_0 = id.has_id_1 = true;
		id.id_0 = name->id_hi;
		id.id_1 = name->id_lo;
		en.name_id = &id;
	}
	dst.name = &en;
	h.destination = &dst;
	h.identity = n->node_id;
	h.has_fanout = h.has_ttl = true;
	h.fanout = 1;
	h.ttl = 8;
	sub.header = &h;
	unsub.header = &h;
	if (sub_id != 0) {
		sub.has_subscription_id = unsub.has_subscription_id = true;
		sub.subscription_id = unsub.subscription_id = sub_id;
	}
	if (add) {
		m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE;
		m.subscribe = &sub;
	} else {
		m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_UNSUBSCRIBE;
		m.unsubscribe = &unsub;
	}
	if (sub_id != 0) {
		fwd_remember(n, sub_id);
	}
	for (uint32_t i = 0; i < n->nb_conns; i++) {
		struct sconn *c = &n->conns[i];

		if (!c->in_use || c->local || !c->negotiated) {
			continue; /* node links only, whichever side dialled */
		}
		h.has_header_mac = false;
		if (slim_mac_compute(&c->mac, &h, mac) != 0) {
			continue;
		}
		h.has_header_mac = true;
		h.header_mac.data = mac;
		h.header_mac.len = sizeof(mac);
		if (send_msg(n, c, &m) == 0) {
			ctr(n, SLIM_CTR_LINK_SUBS_SENT);
			sent++;
		}
	}
	return sent;
}

static void send_ack(struct slim_node *n, struct sconn *c, uint64_t id, bool ok, const char *err)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__SubscriptionAck a = DATAPLANE__PROTO__V1__SUBSCRIPTION_ACK__INIT;

	a.has_subscription_id = true;
	a.subscription_id = id;
	a.has_success = true;
	a.success = ok;
	a.error = ok ? NULL : (char *)err;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIPTION_ACK;
	m.subscription_ack = &a;
	if (send_msg(n, c, &m) == 0) {
		ctr(n, SLIM_CTR_ACKS_SENT);
	} else {
		ctr(n, SLIM_CTR_DROP_EGRESS);
	}
}

/*
 * Send |m| (whose header is |h|) on connection |c|: local-only fields
 * cleared, the link's MAC in place. Only the header changes. Returns 0 or a
 * negative errno.
 */
int slim_node_sign_and_send(struct slim_node *n, struct sconn *c, Dataplane__Proto__V1__Message *m,
			    Dataplane__Proto__V1__SLIMHeader *h)
{
	uint8_t mac[SLIM_MAC_LEN];
	int rc;

	h->has_recv_from = false;
	h->has_forward_to = false;
	h->has_incoming_conn = false;
	h->has_header_mac = false;
	if (slim_mac_compute(&c->mac, h, mac) != 0) {
		return -EINVAL;
	}
	h->has_header_mac = true;
	h->header_mac.data = mac;
	h->header_mac.len = sizeof(mac);
	rc = send_msg(n, c, m);
	h->has_header_mac = false;
	return rc;
}

/* Send |m| on to connection |c|, counted. Returns 0 or a negative errno. */
static int forward(struct slim_node *n, struct sconn *c, Dataplane__Proto__V1__Message *m,
		   Dataplane__Proto__V1__SLIMHeader *h)
{
	int rc = slim_node_sign_and_send(n, c, m, h);

	ctr(n, rc == 0 ? SLIM_CTR_FORWARDED : SLIM_CTR_DROP_EGRESS);
	return rc;
}

/*
 * Another worker owns |g|: hand it the message as it leaves us (TTL set,
 * local flags cleared) without a MAC; that worker signs it for the link.
 */
int slim_node_hand_over(struct slim_node *n, uint32_t g, Dataplane__Proto__V1__Message *m,
			Dataplane__Proto__V1__SLIMHeader *h)
{
	size_t len;

	h->has_recv_from = h->has_forward_to = h->has_incoming_conn = false;
	h->has_header_mac = false;
	len = dataplane__proto__v1__message__get_packed_size(m);
	if (len > n->out_cap) {
		ctr(n, SLIM_CTR_DROP_CROSS);
		return -EMSGSIZE;
	}
	dataplane__proto__v1__message__pack(m, n->out);
	if (n->conf.peer->deliver(n->conf.peer_arg, g, n->out, len) == 0) {
		ctr(n, SLIM_CTR_CROSS_OUT);
		return 0;
	}
	ctr(n, SLIM_CTR_DROP_CROSS);
	return -ENOBUFS;
}

/* ---- input ---------------------------------------------------------------- */

static void refuse(struct slim_node *n, struct sconn *c, int status, const char *why)
{
	ctr(n, SLIM_CTR_DROP_NEGOTIATION);
	if (c->ccall != NULL) {
		grpc_ccall_cancel(c->ccall); /* a link we dialled: the peer gets RST_STREAM */
	} else {
		(void)!grpc_call_finish(c->call, status, why);
	}
}

/* The names |conn| subscribed to, collected before they go. */
struct names {
	uint32_t conn;
	uint32_t nb;
	struct slim_name n[256];
};

static void collect(const struct slim_name *name, uint32_t conn, bool local, void *arg)
{
	struct names *ns = arg;

	if (conn == ns->conn && local && ns->nb < 256) {
		ns->n[ns->nb++] = *name;
	}
}

/* Connection |g| (ours or another worker's) is gone: its routes go, and links hear of it. */
static void conn_gone(struct slim_node *n, uint32_t g)
{
	static struct names ns;

	ns.conn = g;
	ns.nb = 0;
	slim_route_foreach(n->routes, collect, &ns);
	(void)slim_route_del_conn(n->routes, g);
	for (uint32_t i = 0; i < ns.nb; i++) {
		if (!slim_route_has_local(n->routes, &ns.n[i], UINT32_MAX)) {
			link_sub(n, &ns.n[i], false); /* no app of ours wants it any more */
		}
	}
	n->stats.subscriptions = slim_route_count(n->routes);
}

static void negotiate(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *msg)
{
	const Dataplane__Proto__V1__LinkNegotiationPayload *req = NULL;
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Link l = DATAPLANE__PROTO__V1__LINK__INIT;
	Dataplane__Proto__V1__LinkNegotiationPayload r =
		DATAPLANE__PROTO__V1__LINK_NEGOTIATION_PAYLOAD__INIT;
	enum slim_link_err e = slim_link_check_request(msg, &req);
	struct slim_x25519 kp;
	char why[96];

	if (e == SLIM_LINK_NO_KEY && !n->conf.require_header_mac) {
		e = SLIM_LINK_OK; /* MAC not required: a peer without a key is taken as is */
	}
	if (e == SLIM_LINK_OK && !slim_link_seen_add(&n->seen, req->link_id)) {
		e = SLIM_LINK_REPLAY;
	}
	if (e != SLIM_LINK_OK) {
		snprintf(why, sizeof(why), "link negotiation: %s", slim_link_err_name(e));
		refuse(n, c, GRPC_FAILED_PRECONDITION, why);
		return;
	}
	if (slim_x25519_new(&kp) != 0 ||
	    (req->has_link_ecdh_public_key &&
	     slim_link_derive(&kp, req->link_ecdh_public_key.data, req->link_id, &c->mac) !=
		     SLIM_LINK_OK)) {
		slim_x25519_free(&kp);
		refuse(n, c, GRPC_INTERNAL, "link negotiation: key agreement failed");
		return;
	}
	r.link_id = req->link_id;
	r.slim_version = (char *)SB_VERSION;
	r.has_is_reply = true;
	r.is_reply = true;
	r.has_link_ecdh_public_key = true;
	r.link_ecdh_public_key.data = kp.pub;
	r.link_ecdh_public_key.len = sizeof(kp.pub);
	r.has_connection_type = req->has_connection_type;
	r.connection_type = req->connection_type;
	r.node_id = n->node_id;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK;
	m.link = &l;
	l.link_type_case = DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION;
	l.link_negotiation = &r;
	if (send_msg(n, c, &m) != 0) {
		slim_x25519_free(&kp);
		refuse(n, c, GRPC_RESOURCE_EXHAUSTED, "link negotiation: cannot reply");
		return;
	}
	slim_x25519_free(&kp); /* ephemeral: gone once the key is derived */
	c->negotiated = true;
	/* An Edge link is an app's first hop: its subscribers are "local" for anycast. */
	c->local = req->has_connection_type &&
		   req->connection_type == DATAPLANE__PROTO__V1__LINK_CONNECTION_TYPE__LINK_CONNECTION_TYPE_EDGE;
	grpc_call_set_timer(c->call, 0);
	ctr(n, SLIM_CTR_LINKS);
	if (!c->local) {
		slim_route_foreach(n->routes, announce, n); /* another node: what our apps want */
	}
}

/* The checks every routed message passes: header, MAC, TTL (slim.md 1.3 ingress). */
static Dataplane__Proto__V1__SLIMHeader *ingress(struct slim_node *n, struct sconn *c,
						  Dataplane__Proto__V1__SLIMHeader *h)
{
	struct slim_name dst;

	if (h == NULL || !slim_node_name_of(h->destination, &dst)) {
		ctr(n, SLIM_CTR_DROP_NO_HEADER);
		return NULL;
	}
	if (c->mac.ctx != NULL ? !slim_mac_verify(&c->mac, h) : n->conf.require_header_mac) {
		ctr(n, SLIM_CTR_DROP_BAD_MAC);
		return NULL;
	}
	/* Every connection here is a network link: TTL goes down by one, 0 is dropped. */
	if (!h->has_ttl || h->ttl <= 1) {
		ctr(n, SLIM_CTR_DROP_TTL);
		return NULL;
	}
	h->ttl--;
	/* recv_from / forward_to / incoming_conn are local indexes: meaningless from the wire. */
	h->has_recv_from = h->has_forward_to = h->has_incoming_conn = false;
	return h;
}

static void pending_done(struct slim_node *n, struct pending *p, bool ok, const char *err);

/* A free pending slot with a fresh id of ours, or NULL (then the app is acked at once). */
static struct pending *pending_new(struct slim_node *n)
{
	/* Relayed waits have no call of theirs to time them out: they end here. */
	for (uint32_t i = 0; i < SLIM_PENDING_MAX; i++) {
		struct pending *p = &n->pending[i];

		if (p->our_id != 0 && p->relay != 0 && n->now_ms >= p->deadline_ms) {
			pending_done(n, p, false, NULL);
		}
	}
	for (uint32_t i = 0; i < SLIM_PENDING_MAX; i++) {
		if (n->pending[i].our_id == 0) {
			memset(&n->pending[i], 0, sizeof(n->pending[i]));
			/*
			 * Odd multiplier: a bijection of the counter, so our ids never
			 * repeat (within 2^64); the random key makes them unlike other
			 * nodes' ids, which loop prevention compares against.
			 */
			do {
				n->pending[i].our_id = ++n->next_id * 0x9e3779b97f4a7c15ull ^ n->id_key;
			} while (n->pending[i].our_id == 0);
			return &n->pending[i];
		}
	}
	return NULL;
}

/* The app's ack, now that its forwarded subscription is settled. */
static void pending_done(struct slim_node *n, struct pending *p, bool ok, const char *err)
{
	struct sconn *c;

	if (p->relay != 0) {
		/* The app is on another worker: its worker acks it. */
		tell_others_ack(n, SLIM_UPDATE_ACK, NULL, p->origin, ok, p->relay);
		p->our_id = 0;
		return;
	}
	c = conn_of(n, p->origin);

	if (c != NULL && c->negotiated) {
		send_ack(n, c, p->sub_id, ok, err);
	}
	p->our_id = 0;
}

/* One answer (a link's ack, or another worker's relay) for |p|. */
static void pending_answer(struct slim_node *n, struct pending *p, bool ok)
{
	p->failed |= !ok;
	if (--p->waiting == 0) {
		pending_done(n, p, !p->failed, p->failed ? "refused by another node" : NULL);
	}
}

/* A SubscriptionAck from another node for something we announced. */
static void upstream_ack(struct slim_node *n, const Dataplane__Proto__V1__SubscriptionAck *a)
{
	for (uint32_t i = 0; a->has_subscription_id && i < SLIM_PENDING_MAX; i++) {
		struct pending *p = &n->pending[i];

		if (p->our_id != 0 && p->our_id == a->subscription_id) {
			pending_answer(n, p, !a->has_success || a->success);
			return;
		}
	}
}

/* Forwarded subscriptions of |origin| not acked by their deadline fail. */
static void pending_expire(struct slim_node *n, uint32_t origin, uint64_t now_ms)
{
	for (uint32_t i = 0; i < SLIM_PENDING_MAX; i++) {
		struct pending *p = &n->pending[i];

		if (p->our_id != 0 && p->origin == origin && now_ms >= p->deadline_ms) {
			pending_done(n, p, false, "no ack from another node within 5 s");
		}
	}
}

static void subscribe(struct slim_node *n, struct sconn *c, uint32_t ci, uint64_t sub_id,
		      Dataplane__Proto__V1__SLIMHeader *hdr, bool add)
{
	Dataplane__Proto__V1__SLIMHeader *h = ingress(n, c, hdr);
	struct slim_name name;
	int rc;

	if (h == NULL) {
		if (sub_id != 0) {
			send_ack(n, c, sub_id, false, "refused: header, MAC or TTL");
		}
		return;
	}
	if (!c->local && sub_id != 0 && fwd_seen(n, sub_id)) {
		/*
		 * Our own forwarded subscription came back round a loop of
		 * nodes: dropped, as SLIM does. It is in place here already, so
		 * the sender is told it succeeded (and stops waiting on us).
		 */
		ctr(n, SLIM_CTR_DROP_LOOP);
		send_ack(n, c, sub_id, true, NULL);
		return;
	}
	(void)slim_node_name_of(h->destination, &name);
	if (add) {
		rc = slim_route_add(n->routes, &name, ci, c->local);
		ctr(n, SLIM_CTR_SUBSCRIBES);
	} else {
		rc = slim_route_del(n->routes, &name, ci);
		rc = rc == -ENOENT ? 0 : rc; /* unsubscribing what is not there is done */
		ctr(n, SLIM_CTR_UNSUBSCRIBES);
	}
	if (rc == 0) {
		/* An app's subscription is announced to the nodes we link to (withdrawn with the last one). */
		bool announce = c->local && (add || !slim_route_has_local(n->routes, &name, UINT32_MAX));
		struct pending *p = announce && sub_id != 0 ? pending_new(n) : NULL;
		/* The other workers announce it over their node links and answer us. */
		uint32_t others = p != NULL && n->conf.peer != NULL && n->conf.nb_workers > 1
					  ? n->conf.nb_workers - 1
					  : 0;

		tell_others_ack(n, add ? SLIM_UPDATE_ADD : SLIM_UPDATE_DEL, &name, ci, c->local,
				others > 0 ? p->our_id : 0);
		if (announce) {
			uint32_t sent = link_sub_id(n, &name, add, p != NULL ? p->our_id : 0);

			if (p != NULL && sent + others > 0) {
				/* The app hears back once the other nodes have taken it (or failed to). */
				p->origin = ci;
				p->sub_id = sub_id;
				p->waiting = sent + others;
				p->deadline_ms = grpc_call_now(c->call) + SLIM_ACK_WAIT_MS;
				grpc_call_set_timer(c->call, p->deadline_ms);
				n->stats.subscriptions = slim_route_count(n->routes);
				return;
			}
			if (p != NULL) {
				p->our_id = 0; /* no link to wait for */
			}
		}
	}
	n->stats.subscriptions = slim_route_count(n->routes);
	if (sub_id != 0) {
		send_ack(n, c, sub_id, rc == 0, rc == 0 ? NULL : "out of memory");
	}
}

/* ---- permissions ---------------------------------------------------------- */

/* The empty policy: denies every cross-boundary message (no agent is known). */
static const struct policy_view empty_policy;

const char *slim_node_meta_get(const Dataplane__Proto__V1__Message *m, const char *key)
{
	for (size_t i = 0; i < m->n_metadata; i++) {
		if (m->metadata[i]->key != NULL && strcmp(m->metadata[i]->key, key) == 0) {
			return m->metadata[i]->value;
		}
	}
	return NULL;
}

/*
 * The operation a publish asks for: SLIMRPC's `method` metadata (A2A
 * methods, with or without their service path) that reads - Get*, List* -
 * is a query; anything else, a method or not, is a task (the stronger
 * permission, so an unlabelled message never gets by on query rights).
 */
static uint8_t op_of(const Dataplane__Proto__V1__Message *m)
{
	const char *method = slim_node_meta_get(m, "method"), *slash;

	if (method == NULL) {
		return SB_POL_OP_TASK;
	}
	slash = strrchr(method, '/');
	if (slash != NULL) {
		method = slash + 1;
	}
	if (strncmp(method, "Get", 3) == 0 || strncmp(method, "List", 4) == 0) {
		return SB_POL_OP_QUERY;
	}
	return SB_POL_OP_TASK;
}


/* fanout 1, SLIM's default TTL, a point-to-point session, payload |ptype| |blob|. */
void slim_node_pubmsg_init(struct pubmsg *o, const char *ptype, const void *blob, size_t len,
			   bool error)
{
	dataplane__proto__v1__message__init(&o->m);
	dataplane__proto__v1__publish__init(&o->p);
	dataplane__proto__v1__slimheader__init(&o->h);
	dataplane__proto__v1__session_header__init(&o->sh);
	dataplane__proto__v1__content__init(&o->ct);
	dataplane__proto__v1__application_payload__init(&o->ap);
	dataplane__proto__v1__name__init(&o->sn);
	dataplane__proto__v1__name__init(&o->dn);
	dataplane__proto__v1__encoded_name__init(&o->se);
	dataplane__proto__v1__encoded_name__init(&o->de);
	o->h.has_fanout = true;
	o->h.fanout = 1;
	o->h.has_ttl = true;
	o->h.ttl = SLIM_DEFAULT_TTL;
	o->h.has_error = error;
	o->h.error = error;
	o->sh.has_session_type = true;
	o->sh.session_type = DATAPLANE__PROTO__V1__SESSION_TYPE__SESSION_TYPE_POINT_TO_POINT;
	o->ap.payload_type = (char *)ptype;
	o->ap.has_blob = true;
	o->ap.blob.data = (uint8_t *)blob;
	o->ap.blob.len = len;
	o->ct.content_type_case = DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD;
	o->ct.app_payload = &o->ap;
	o->p.header = &o->h;
	o->p.session = &o->sh;
	o->p.msg = &o->ct;
	o->m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH;
	o->m.publish = &o->p;
}

/*
 * Bridge-to-bridge names (docs/wire.md): source "slimbridge"/"bridge"/
 * |node| (0: none given), destination the same with 0: the peer consumes it.
 */
void slim_node_pubmsg_bridge_names(struct pubmsg *o, uint64_t node)
{
	o->se.has_component_0 = o->se.has_component_1 = o->se.has_component_2 = true;
	o->se.component_0 = policy_name_hash("slimbridge", 10);
	o->se.component_1 = policy_name_hash("bridge", 6);
	o->se.component_2 = node;
	o->de = o->se;
	o->de.component_2 = 0;
	o->sn.name = &o->se;
	o->dn.name = &o->de;
	o->h.source = &o->sn;
	o->h.destination = &o->dn;
}

/* ---- the bridge: audit, identity, seal ------------------------------------- */

/* How a message travels, for its audit record and its way out. */
struct hop {
	uint32_t from_trust;	/* POLICY_NO_TRUST: from our own agent; else opened from that trust */
	uint8_t enc;		/* enum sb_audit_enc of the sealed hop, if any */
	uint64_t epoch;
	uint32_t sealed_bytes;
	uint16_t batch;
};



/*
 * "tenant/app/agent": our agent's ids from the policy, else the StringName
 * the sender gave, else the hashes.
 */
void slim_node_name_str(const struct slim_node *n, char *dst, size_t cap,
			const Dataplane__Proto__V1__Name *pn, const struct slim_name *nm)
{
	const Dataplane__Proto__V1__StringName *sn = pn != NULL ? pn->str_name : NULL;

	if (n->pv != NULL && policy_agent_name(n->pv, nm->c, dst, cap)) {
		return;
	}
	if (sn != NULL && sn->str_component_0 != NULL && sn->str_component_1 != NULL &&
	    sn->str_component_2 != NULL) {
		snprintf(dst, cap, "%s/%s/%s", sn->str_component_0, sn->str_component_1,
			 sn->str_component_2);
	} else {
		snprintf(dst, cap, "%016llx/%016llx/%016llx", (unsigned long long)nm->c[0],
			 (unsigned long long)nm->c[1], (unsigned long long)nm->c[2]);
	}
}

/* One audit record for a cross-boundary message (BRIEF step 9). */
static void audit(struct slim_node *n, const Dataplane__Proto__V1__Message *m,
		  const Dataplane__Proto__V1__SLIMHeader *h, const struct policy_verdict *v,
		  const struct hop *hp, uint8_t dir, uint32_t trust, uint32_t rule, size_t msg_bytes,
		  uint16_t flags)
{
	struct sb_audit_rec *r;
	const Dataplane__Proto__V1__Content *ct = m->publish != NULL ? m->publish->msg : NULL;
	const Dataplane__Proto__V1__SessionHeader *sh = m->publish != NULL ? m->publish->session : NULL;
	struct slim_name src = {0}, dst = {0};
	const char *tn;

	if (n->conf.audit == NULL) {
		return;
	}
	r = audit_ring_slot(n->conf.audit);
	if (r == NULL) {
		ctr(n, SLIM_CTR_DROP_AUDIT);
		return;
	}
	(void)slim_node_name_of(h->source, &src);
	(void)slim_node_name_of(h->destination, &dst);
	r->type = SB_AUDIT_SLIM_COMMUNICATION;
	r->decision = v->allowed ? SB_AUDIT_ALLOWED : SB_AUDIT_DENIED;
	r->level = v->allowed ? 0 : v->level;
	r->reason = v->reason;
	r->enc = v->allowed ? hp->enc : SB_AUDIT_ENC_NONE;
	r->transport = dir == SB_AUDIT_DIR_LOCAL ? SB_AUDIT_TR_LOCAL : SB_AUDIT_TR_GRPC;
	r->dir = dir;
	r->rule_id = rule;
	r->ts_ns = now_ns(n);
	r->mls_epoch = r->enc != SB_AUDIT_ENC_NONE ? hp->epoch : 0;
	r->msg_bytes = (uint32_t)msg_bytes;
	if (ct != NULL && ct->content_type_case == DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD &&
	    ct->app_payload != NULL && ct->app_payload->has_blob) {
		r->payload_bytes = (uint32_t)ct->app_payload->blob.len;
	}
	r->sealed_bytes = hp->sealed_bytes;
	r->batch = hp->batch;
	r->flags = flags;
	if (sh != NULL) {
		r->session_id = sh->session_id;
		r->message_id = sh->message_id;
	}
	slim_node_name_str(n, r->src, sizeof(r->src), h->source, &src);
	slim_node_name_str(n, r->dst, sizeof(r->dst), h->destination, &dst);
	tn = trust_name(n, trust);
	if (tn[0] == '\0' && src.c[0] == dst.c[0]) {
		/* between two apps of one tenant: the relationship is internal:{target app} */
		const char *a = strchr(r->dst, '/'), *b = a != NULL ? strchr(a + 1, '/') : NULL;

		if (b != NULL) {
			snprintf(r->trust, sizeof(r->trust), "internal:%.*s", (int)(b - a - 1), a + 1);
		}
	} else {
		audit_copy_str(r->trust, sizeof(r->trust), tn, strlen(tn));
	}
	audit_ring_commit(n->conf.audit);
	ctr(n, SLIM_CTR_AUDITED);
}

/* The route of an inner message: its names, as the seal's clear header carries them. */
static void route_of(const Dataplane__Proto__V1__SLIMHeader *h, size_t len, struct seal_route *r)
{
	struct slim_name s = {0}, d = {0};

	(void)slim_node_name_of(h->source, &s);
	(void)slim_node_name_of(h->destination, &d);
	memcpy(r->src, s.c, sizeof(r->src));
	r->src_id[0] = s.id_hi;
	r->src_id[1] = s.id_lo;
	memcpy(r->dst, d.c, sizeof(r->dst));
	r->dst_id[0] = d.id_hi;
	r->dst_id[1] = d.id_lo;
	r->fanout = h->has_fanout ? h->fanout : 0;
	r->len = (uint32_t)len;
}

static void send_record(struct slim_node *n, uint32_t g, const uint8_t *rec, size_t len);

/* A sealed record is ready (bridge_flush): off it goes to connection |conn|. */
static void emit_record(void *arg, uint32_t trust, uint32_t conn, const uint8_t *rec, size_t len,
			uint32_t count, int err)
{
	struct slim_node *n = arg;

	if (err != 0) {
		/* The batch could not be sealed: each message was audited as sealed; count it. */
		n->stats.deny[SB_POL_REASON_SEAL_FAILED] += count;
		if (n->bv != NULL && trust < n->bv->nb && n->bv->t[trust].st != NULL) {
			__atomic_add_fetch(&n->bv->t[trust].st->denied, count, __ATOMIC_RELAXED);
		}
		return;
	}
	send_record(n, conn, rec, len);
}

/*
 * Seal |m| (header |h|, TTL already set) for |trust| towards connection
 * |g|. Returns 0 or a negative errno (the caller denies).
 */
static int seal_out(struct slim_node *n, uint32_t g, uint32_t trust, Dataplane__Proto__V1__Message *m,
		    Dataplane__Proto__V1__SLIMHeader *h)
{
	struct seal_route r;
	size_t len;
	int rc;

	h->has_recv_from = h->has_forward_to = h->has_incoming_conn = false;
	h->has_header_mac = false;
	len = dataplane__proto__v1__message__get_packed_size(m);
	if (len > n->seal_in_cap || len > SEAL_MAX_INNER) {
		return -EMSGSIZE;
	}
	dataplane__proto__v1__message__pack(m, n->seal_in);
	route_of(h, len, &r);
	rc = bridge_seal_add(n->conf.bridge, n->bv, trust, g, &r, n->seal_in, emit_record, n);
	if (rc == 0) {
		n->sealed_out = true;
		ctr(n, SLIM_CTR_SEALED);
	}
	return rc;
}

/*
 * Tell the sender of a denied publish why, on the connection it came from:
 * source and destination swapped, SLIMHeader.error set, its session header
 * and rpc-id kept so an SDK can match it to the call. A message that came
 * sealed from a peer bridge gets its answer sealed back the same way.
 */
static void deny_back(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *in,
		      const Dataplane__Proto__V1__SLIMHeader *ih, const struct policy_verdict *v,
		      const struct policy_rules_hit *hit, const struct hop *hp, const char *detail)
{
	Dataplane__Proto__V1__Message__MetadataEntry e[6], *ep[6];
	const char *reason = policy_reason_text(v->reason);
	const char *rpc_id = slim_node_meta_get(in, "rpc-id");
	struct pubmsg o;
	char rule[16];
	size_t ne = 0;

	slim_node_pubmsg_init(&o, "slimbridge/policy-denied", reason, strlen(reason), true);
	o.h.source = ih->destination;
	o.h.destination = ih->source;
	o.p.session = in->publish->session;
	for (size_t i = 0; i < 6; i++) {
		dataplane__proto__v1__message__metadata_entry__init(&e[i]);
		ep[i] = &e[i];
	}
	e[ne].key = (char *)"slimbridge-error";
	e[ne++].value = (char *)reason;
	e[ne].key = (char *)"slimbridge-blocked-at";
	e[ne++].value = (char *)policy_level_name(v->level);
	e[ne].key = (char *)"slimrpc-code";
	e[ne++].value = (char *)"7"; /* PERMISSION_DENIED */
	if (rpc_id != NULL) {
		e[ne].key = (char *)"rpc-id";
		e[ne++].value = (char *)rpc_id;
	}
	if (hit != NULL) {
		snprintf(rule, sizeof(rule), "%u", hit->rule_id);
		e[ne].key = (char *)"slimbridge-rule-id";
		e[ne++].value = rule;
	}
	if (detail != NULL) {
		e[ne].key = (char *)"slimbridge-detail";
		e[ne++].value = (char *)detail;
	}
	o.m.n_metadata = ne;
	o.m.metadata = ep;
	if (hp->from_trust != POLICY_NO_TRUST) {
		ctr(n, seal_out(n, gconn(n, c), hp->from_trust, &o.m, &o.h) == 0 ? SLIM_CTR_DENIALS_SENT
									      : SLIM_CTR_DROP_EGRESS);
		return;
	}
	ctr(n, slim_node_sign_and_send(n, c, &o.m, &o.h) == 0 ? SLIM_CTR_DENIALS_SENT : SLIM_CTR_DROP_EGRESS);
}

/*
 * Content rules (BRIEF step 5) on an allowed publish: each distinct rule set
 * the verdict names scans the application payload. Returns false with |*v|
 * turned into a denial (and |*hit| the block rule) when it must not go on.
 */
static bool content_ok(const struct policy_rules_worker *rw, const Dataplane__Proto__V1__Message *m,
		       struct policy_verdict *v, struct policy_rules_hit *hit)
{
	const Dataplane__Proto__V1__Content *ct = m->publish->msg;
	const uint32_t sets[3] = {v->rs_src, v->rs_dst, v->rs_trust};

	if (rw == NULL || ct == NULL ||
	    ct->content_type_case != DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD ||
	    ct->app_payload == NULL || !ct->app_payload->has_blob) {
		return true;	/* commands and empty messages carry no payload to scan */
	}
	for (unsigned i = 0; i < 3; i++) {
		int rc;

		if (sets[i] == POLICY_RULESET_NONE || (i > 0 && sets[i] == sets[0]) ||
		    (i > 1 && sets[i] == sets[1])) {
			continue;
		}
		rc = policy_rules_scan(rw, sets[i], ct->app_payload->blob.data,
				       (uint32_t)ct->app_payload->blob.len, hit);
		if (rc < 0 || (rc == 1 && hit->action == SB_POL_RULE_BLOCK)) {
			v->allowed = 0;
			v->level = SB_POL_LEVEL_CONTENT;
			v->reason = rc < 0 ? SB_POL_REASON_CONTENT_ERROR : SB_POL_REASON_CONTENT_BLOCKED;
			return false;
		}
	}
	return true;
}

/* Is |s| (|len| bytes) the SLIM component |h|? (XXH64 over the bytes and 0xFF, policy.h) */
static bool comp_is(const char *s, size_t len, uint64_t h)
{
	return len > 0 && policy_name_hash(s, (uint32_t)len) == h;
}

/*
 * BRIEF step 1: the sender's JWT-SVID. Verified (cache first), then its
 * SPIFFE ID must be spiffe://TD/tenant/{tenant}/agent/{agent} with TD ours
 * (our agent) or the trust's peer trust domain (sealed from that trust),
 * and {tenant} and {agent} the source name's components 0 and 2. Returns
 * an sb_pol_reason (ALLOWED when it passes); |*detail| names an id_jwt
 * refusal.
 */
static uint8_t identity_check(struct slim_node *n, const Dataplane__Proto__V1__SLIMHeader *h,
			      const struct slim_name *src, const struct hop *hp, const char **detail)
{
	const char *tok = h->identity;
	uint32_t len = tok != NULL ? (uint32_t)strlen(tok) : 0;
	const char *want_td = n->conf.trust_domain;
	size_t want_td_len = want_td != NULL ? strlen(want_td) : 0;
	struct id_verdict iv;
	const char *path, *t, *a, *end;

	if (len == 0) {
		return SB_POL_REASON_IDENTITY_MISSING;
	}
	(void)identity_verify_burst(n->conf.identity, &tok, &len, 1, now_ns(n) / 1000000000ull, &iv);
	if (iv.state != ID_V_OK) {
		if (iv.reason < 32) {
			n->stats.id_deny[iv.reason]++;
		}
		*detail = iv.state == ID_V_PENDING ? "PENDING" : id_reason_name(iv.reason);
		return SB_POL_REASON_IDENTITY_INVALID;
	}
	if (hp->from_trust != POLICY_NO_TRUST) {
		want_td_len = 0;
		want_td = n->conf.bridge != NULL ? bridge_peer_td(n->conf.bridge, n->bv, hp->from_trust,
								  &want_td_len)
						 : NULL;
	}
	/* spiffe://TD/tenant/T/agent/A */
	if (want_td == NULL || iv.td_len != want_td_len || memcmp(iv.id + 9, want_td, want_td_len) != 0) {
		*detail = "trust domain";
		return SB_POL_REASON_IDENTITY_MISMATCH;
	}
	path = iv.id + 9 + iv.td_len;
	end = iv.id + iv.id_len;
	if (end - path < 8 || strncmp(path, "/tenant/", 8) != 0) {
		*detail = "path";
		return SB_POL_REASON_IDENTITY_MISMATCH;
	}
	t = path + 8;
	a = memchr(t, '/', (size_t)(end - t));
	if (a == NULL || !comp_is(t, (size_t)(a - t), src->c[0]) || end - a < 8 ||
	    strncmp(a, "/agent/", 7) != 0 || memchr(a + 7, '/', (size_t)(end - a - 7)) != NULL ||
	    !comp_is(a + 7, (size_t)(end - a - 7), src->c[2])) {
		*detail = "agent";
		return SB_POL_REASON_IDENTITY_MISMATCH;
	}
	return SB_POL_REASON_ALLOWED;
}

static void deny(struct policy_verdict *v, uint8_t level, uint8_t reason)
{
	v->allowed = 0;
	v->level = level;
	v->reason = reason;
}

/*
 * The decision for a cross-boundary publish (BRIEF steps 1-6), into |*v|:
 * true to route it. Within one app (same tenant and app components) it is
 * not a SLIM boundary: |*local| set, no decision, no audit.
 */
static bool permitted(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m,
		      const Dataplane__Proto__V1__SLIMHeader *h, const struct hop *hp,
		      struct policy_verdict *v, bool *local, size_t msg_bytes)
{
	const struct policy_rules_worker *rw = NULL;
	const struct policy_view *view;
	struct policy_rules_hit hit;
	struct policy_query q;
	struct slim_name src, dst;
	const char *detail = NULL;
	bool content_hit = false;
	uint8_t why;

	*local = false;
	if (!slim_node_name_of(h->source, &src) || !slim_node_name_of(h->destination, &dst)) {
		ctr(n, SLIM_CTR_DROP_NO_HEADER);
		return false;
	}
	if (src.c[0] == dst.c[0] && src.c[1] == dst.c[1]) {
		*local = true;
		ctr(n, SLIM_CTR_POLICY_LOCAL);
		return true;
	}
	memset(v, 0, sizeof(*v));
	v->trust = POLICY_NO_TRUST;
	view = n->conf.policy_view != NULL ? n->conf.policy_view(n->conf.policy_arg, &rw) : NULL;
	if (view == NULL) {
		view = &empty_policy;
		rw = NULL;
	}
	n->pv = view;
	/* 1. Identity. */
	if (n->conf.identity != NULL) {
		why = identity_check(n, h, &src, hp, &detail);
		if (why != SB_POL_REASON_ALLOWED) {
			deny(v, SB_POL_LEVEL_IDENTITY, why);
			goto denied;
		}
	}
	/* 2-4. SLIM required, trust, the four levels. */
	memcpy(q.src, src.c, sizeof(q.src));
	memcpy(q.dst, dst.c, sizeof(q.dst));
	q.dir = POLICY_MESSAGE;
	q.op = op_of(m);
	if (policy_decide_burst(view, &q, 1, v) != 1) {
		goto denied;
	}
	/* A sealed message comes from its trust's organisation, nowhere else. */
	if (hp->from_trust != POLICY_NO_TRUST && v->trust != hp->from_trust) {
		deny(v, SB_POL_LEVEL_TRUST, SB_POL_REASON_NO_TRUST);
		goto denied;
	}
	/* 5. Content. */
	if (!content_ok(rw, m, v, &hit)) {
		content_hit = v->reason == SB_POL_REASON_CONTENT_BLOCKED;
		goto denied;
	}
	/* 6. Circuit breaker and seal keys, for a message to another organisation. */
	if (hp->from_trust == POLICY_NO_TRUST && v->trust != POLICY_NO_TRUST && n->conf.bridge != NULL) {
		const struct bridge_trust *bt = n->bv != NULL && v->trust < n->bv->nb ? &n->bv->t[v->trust] : NULL;

		if (bt != NULL && bt->st != NULL && breaker_check(bt->st, now_ns(n)) == BREAKER_DENY) {
			deny(v, SB_POL_LEVEL_BRIDGE, SB_POL_REASON_CIRCUIT_OPEN);
			goto denied;
		}
		why = bridge_can_seal(n->conf.bridge, n->bv, v->trust);
		if (why != SB_POL_REASON_ALLOWED) {
			deny(v, why == SB_POL_REASON_TRUST_NOT_ESTABLISHED ? SB_POL_LEVEL_TRUST
									   : SB_POL_LEVEL_BRIDGE, why);
			goto denied;
		}
	}
	ctr(n, SLIM_CTR_POLICY_ALLOWED);
	return true;

denied:
	ctr(n, SLIM_CTR_DROP_POLICY);
	n->stats.deny[v->reason < SB_POL_REASON_MAX ? v->reason : SB_POL_REASON_UNKNOWN_AGENT]++;
	if (n->bv != NULL && v->trust < n->bv->nb && n->bv->t[v->trust].st != NULL) {
		__atomic_add_fetch(&n->bv->t[v->trust].st->denied, 1, __ATOMIC_RELAXED);
	}
	audit(n, m, h, v, hp, hp->from_trust != POLICY_NO_TRUST ? SB_AUDIT_DIR_IN :
			       v->trust != POLICY_NO_TRUST ? SB_AUDIT_DIR_OUT : SB_AUDIT_DIR_LOCAL,
	      v->trust, content_hit ? hit.rule_id : 0, msg_bytes, 0);
	if (!(h->has_error && h->error)) {	/* an error notification is never answered */
		deny_back(n, c, m, h, v, content_hit ? &hit : NULL, hp, detail);
	}
	return false;
}

/*
 * Route an allowed publish (|v| its verdict unless |local|) to every match.
 * A message for another organisation goes sealed on a node link; one from a
 * peer bridge, or to an app, goes as it is.
 */
static void route(struct slim_node *n, struct sconn *c, uint32_t ci, Dataplane__Proto__V1__Message *m,
		  Dataplane__Proto__V1__SLIMHeader *h, const struct policy_verdict *v, bool local,
		  const struct hop *hp, size_t msg_bytes)
{
	struct slim_name dst;
	uint32_t to[MAX_FANOUT], nb;
	bool cross = !local && v != NULL;
	bool out_trust = cross && hp->from_trust == POLICY_NO_TRUST && v->trust != POLICY_NO_TRUST &&
			 n->conf.bridge != NULL;
	bool apps_only = !c->local || hp->from_trust != POLICY_NO_TRUST;
	bool sealed_once = false;

	(void)slim_node_name_of(h->destination, &dst);
	/* From another node: to our apps only, never on to another node (one hop). */
	if (!h->has_fanout || h->fanout <= 1) {
		nb = slim_route_anycast(n->routes, &dst, ci, apps_only, &to[0]) ? 1 : 0;
	} else {
		nb = slim_route_multicast(n->routes, &dst, ci, apps_only, to, MAX_FANOUT);
	}
	if (nb == 0) {
		ctr(n, SLIM_CTR_DROP_NO_ROUTE); /* SLIM drops it too (errors go to in-process apps only) */
		if (out_trust) {
			/* Another organisation's agent we have no way to: the peer bridge is not there. */
			struct policy_verdict d = *v;
			const struct bridge_trust *bt = n->bv != NULL && v->trust < n->bv->nb ? &n->bv->t[v->trust] : NULL;

			if (bt != NULL && bt->st != NULL) {
				(void)breaker_failure(bt->st, SB_FAIL_LINK_DOWN, bt->threshold, bt->cooldown_s,
						      now_ns(n));
				__atomic_add_fetch(&bt->st->denied, 1, __ATOMIC_RELAXED);
			}
			deny(&d, SB_POL_LEVEL_BRIDGE, SB_POL_REASON_PEER_UNREACHABLE);
			n->stats.deny[d.reason]++;
			audit(n, m, h, &d, hp, SB_AUDIT_DIR_OUT, v->trust, 0, msg_bytes, 0);
			if (!(h->has_error && h->error)) {
				deny_back(n, c, m, h, &d, NULL, hp, NULL);
			}
		} else if (cross) {
			struct policy_verdict d = *v;

			d.allowed = 1;
			audit(n, m, h, &d, hp, hp->from_trust != POLICY_NO_TRUST ? SB_AUDIT_DIR_IN : SB_AUDIT_DIR_LOCAL,
			      v->trust, 0, msg_bytes, SB_AUDIT_F_UNDELIVERED);
		}
		return;
	}
	for (uint32_t i = 0; i < nb; i++) {
		struct sconn *out = conn_of(n, to[i]);
		bool seal = out_trust && (out == NULL || !out->local);

		if (seal && sealed_once) {
			continue;	/* every match behind the peer bridge: one record entry */
		}
		if (seal) {	/* sealed here; a record for another worker's link goes there sealed */
			struct hop sh = *hp;
			uint8_t mode = 0;
			const struct bridge_trust *bt = &n->bv->t[v->trust];
			uint32_t link = bt->st != NULL ? __atomic_load_n(&bt->st->link_conn, __ATOMIC_ACQUIRE) : 0;

			sealed_once = true;

			/*
			 * The destination is reachable through the peer bridge; the
			 * record leaves on our own link to it (one connection per
			 * trust: records stay in order, and the link's liveness is
			 * ours to watch), not on whichever link announced the name.
			 */
			if (link == 0) {
				struct policy_verdict d = *v;

				if (bt->st != NULL) {
					(void)breaker_failure(bt->st, SB_FAIL_LINK_DOWN, bt->threshold,
							      bt->cooldown_s, now_ns(n));
					__atomic_add_fetch(&bt->st->denied, 1, __ATOMIC_RELAXED);
				}
				deny(&d, SB_POL_LEVEL_BRIDGE, SB_POL_REASON_PEER_UNREACHABLE);
				n->stats.deny[d.reason]++;
				audit(n, m, h, &d, hp, SB_AUDIT_DIR_OUT, v->trust, 0, msg_bytes, 0);
				deny_back(n, c, m, h, &d, NULL, hp, NULL);
				break; /* one denial per message */
			}
			to[i] = link - 1;

			sh.epoch = bridge_send_epoch(n->conf.bridge, bt->slot, &mode);
			sh.enc = mode == SB_POL_SEAL_MLS ? SB_AUDIT_ENC_MLS : SB_AUDIT_ENC_AES_GCM;
			if (seal_out(n, to[i], v->trust, m, h) == 0) {
				slim_acks_track(n, to[i], ci, v->trust, m, h, msg_bytes);
				audit(n, m, h, v, &sh, SB_AUDIT_DIR_OUT, v->trust, 0, msg_bytes, 0);
				if (bt->st != NULL) {
					breaker_success(bt->st);
				}
			} else {
				struct policy_verdict d = *v;

				deny(&d, SB_POL_LEVEL_BRIDGE, SB_POL_REASON_SEAL_FAILED);
				n->stats.deny[d.reason]++;
				audit(n, m, h, &d, hp, SB_AUDIT_DIR_OUT, v->trust, 0, msg_bytes, 0);
				deny_back(n, c, m, h, &d, NULL, hp, NULL);
			}
			continue;
		}
		{
			int rc = -ENOTCONN;

			if (out != NULL && out->negotiated) {
				rc = forward(n, out, m, h);
			} else if (!is_mine(n, to[i]) && n->conf.peer != NULL) {
				rc = slim_node_hand_over(n, to[i], m, h);
			}
			if (cross) {
				audit(n, m, h, v, hp,
				      hp->from_trust != POLICY_NO_TRUST ? SB_AUDIT_DIR_IN : SB_AUDIT_DIR_LOCAL,
				      v->trust, 0, msg_bytes, rc == 0 ? 0 : SB_AUDIT_F_UNDELIVERED);
			}
		}
	}
}

static bool is_sealed(const Dataplane__Proto__V1__Message *m)
{
	const Dataplane__Proto__V1__Content *ct = m->publish->msg;

	return ct != NULL && ct->content_type_case == DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD &&
	       ct->app_payload != NULL && ct->app_payload->payload_type != NULL &&
	       strcmp(ct->app_payload->payload_type, SEAL_PAYLOAD_TYPE) == 0 && ct->app_payload->has_blob;
}

static bool same_route(const struct seal_route *r, const Dataplane__Proto__V1__SLIMHeader *h, size_t len)
{
	struct seal_route x;

	route_of(h, len, &x);
	return memcmp(&x, r, sizeof(x)) == 0;
}

/*
 * A sealed record from a peer bridge: opened (all or nothing), then each
 * message checked against its route and decided again here as if its
 * sender were one of our links' apps, and delivered to our apps unchanged.
 */
static void open_record(struct slim_node *n, struct sconn *c, uint32_t ci,
			const Dataplane__Proto__V1__Message *outer)
{
	const ProtobufCBinaryData *b = &outer->publish->msg->app_payload->blob;
	struct seal_msg in[SEAL_MAX_BATCH];
	uint32_t trust = POLICY_NO_TRUST, nin = 0;
	uint64_t epoch = 0;
	uint8_t mode = 0;
	struct hop hp;
	int rc;

	if (n->conf.bridge == NULL || n->bv == NULL) {
		c->recs_recv++;
		slim_acks_send(n, c, c->recs_recv, false);
		ctr(n, SLIM_CTR_DROP_OPEN);
		return;
	}
	rc = bridge_open(n->conf.bridge, n->bv, b->data, b->len, &trust, in, &nin, &epoch, &mode);
	/* Every record is acknowledged on its link, refused ones too (docs/wire.md). */
	c->recs_recv++;
	slim_acks_send(n, c, c->recs_recv, rc == 0);
	if (rc != 0) {
		ctr(n, SLIM_CTR_DROP_OPEN);
		ctr(n, rc == -ENOKEY || rc == -EKEYEXPIRED ? SLIM_CTR_OPEN_NO_KEY
		       : rc == -EALREADY || rc == -ENOENT ? SLIM_CTR_OPEN_REPLAY
							 : SLIM_CTR_OPEN_BAD);
		return;
	}
	hp.from_trust = trust;
	hp.enc = mode == SB_POL_SEAL_MLS ? SB_AUDIT_ENC_MLS : SB_AUDIT_ENC_AES_GCM;
	hp.epoch = epoch;
	hp.sealed_bytes = (uint32_t)b->len;
	hp.batch = (uint16_t)nin;
	for (uint32_t i = 0; i < nin; i++) {
		Dataplane__Proto__V1__Message *m =
			dataplane__proto__v1__message__unpack(&n->pba, in[i].len, in[i].msg);
		Dataplane__Proto__V1__SLIMHeader *h;
		struct policy_verdict v;
		bool local;

		if (m == NULL || !slim_msg_valid(&m->base) ||
		    m->message_type_case != DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH ||
		    m->publish->header == NULL || m->publish->session == NULL ||
		    !same_route(&in[i].route, m->publish->header, in[i].len)) {
			ctr(n, SLIM_CTR_DROP_INNER);
			continue;
		}
		ctr(n, SLIM_CTR_OPENED);
		h = m->publish->header;
		if (!h->has_ttl || h->ttl <= 1) {
			ctr(n, SLIM_CTR_DROP_TTL);
			continue;
		}
		h->ttl--;
		h->has_recv_from = h->has_forward_to = h->has_incoming_conn = false;
		if (h->has_error && h->error) {
			/* The peer bridge's answer to one of ours: to our app, no decision. */
			route(n, c, ci, m, h, NULL, true, &hp, in[i].len);
			continue;
		}
		if (permitted(n, c, m, h, &hp, &v, &local, in[i].len)) {
			route(n, c, ci, m, h, &v, local, &hp, in[i].len);
		}
	}
}

static void publish(struct slim_node *n, struct sconn *c, uint32_t ci,
		    Dataplane__Proto__V1__Message *m, size_t len)
{
	Dataplane__Proto__V1__Publish *p = m->publish;
	Dataplane__Proto__V1__SLIMHeader *h;
	const struct hop hp = {.from_trust = POLICY_NO_TRUST};
	struct policy_verdict v;
	bool local = true;

	ctr(n, SLIM_CTR_PUBLISHES);
	if (p->session == NULL) {
		ctr(n, SLIM_CTR_DROP_NO_HEADER);
		return;
	}
	h = ingress(n, c, p->header);
	if (h == NULL) {
		return;
	}
	n->pv = NULL;	/* set by permitted() from this message's view */
	if (n->conf.bridge != NULL) {
		bridge_worker_clock(n->conf.bridge, now_ns(n));
	}
	if (n->conf.bridge_view != NULL) {
		n->bv = n->conf.bridge_view(n->conf.policy_arg);
	}
	if (!c->local && slim_acks_is_ack(m)) {
		slim_acks_got(n, c, m);
		return;
	}
	if (!c->local && is_sealed(m)) {
		open_record(n, c, ci, m);
		return;
	}
	if (n->conf.policy_view != NULL && !permitted(n, c, m, h, &hp, &v, &local, len)) {
		return;
	}
	route(n, c, ci, m, h, n->conf.policy_view != NULL ? &v : NULL, local || n->conf.policy_view == NULL,
	      &hp, len);
}

void slim_node_poll_end(struct slim_node *n)
{
	if (!n->sealed_out || n->conf.bridge == NULL) {
		return;
	}
	n->sealed_out = false;
	bridge_worker_clock(n->conf.bridge, now_ns(n));
	if (n->conf.bridge_view != NULL) {
		n->bv = n->conf.bridge_view(n->conf.policy_arg);
	}
	bridge_flush(n->conf.bridge, n->bv, emit_record, n);
}

/*
 * The outer Publish of a sealed record: from our node to the peer bridge's,
 * names "slimbridge/bridge/<node id>" (docs/wire.md), sent on |g| (or handed
 * to its worker).
 */
static void send_record(struct slim_node *n, uint32_t g, const uint8_t *rec, size_t len)
{
	struct pubmsg o;
	struct sconn *out = conn_of(n, g);

	slim_node_pubmsg_init(&o, SEAL_PAYLOAD_TYPE, rec, len, false);
	slim_node_pubmsg_bridge_names(&o, policy_name_hash(n->node_id, (uint32_t)strlen(n->node_id)));
	if (out != NULL && out->negotiated) {
		if (slim_node_sign_and_send(n, out, &o.m, &o.h) == 0) {
			out->recs_sent++;
			ctr(n, SLIM_CTR_SEAL_RECORDS);
			return;
		}
		ctr(n, SLIM_CTR_DROP_EGRESS);
		if (out->tst != NULL) {
			/* the record is lost: so are its messages, each told */
			(void)slim_acks_settle(n, g, out->recs_sent + 1, false, out->recs_sent + 1,
					       SB_POL_REASON_SEAL_FAILED);
		}
	} else if (!is_mine(n, g) && n->conf.peer != NULL) {
		slim_node_hand_over(n, g, &o.m, &o.h);
		ctr(n, SLIM_CTR_SEAL_RECORDS);
	} else {
		ctr(n, SLIM_CTR_DROP_EGRESS);
	}
}

/* Our link request was answered: key the MAC, then tell the other node what our apps want. */
static void negotiated_link(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m)
{
	const Dataplane__Proto__V1__LinkNegotiationPayload *p = NULL;
	enum slim_link_err e = slim_link_check_reply(m, c->link_id, &p);

	if (e == SLIM_LINK_OK) {
		e = slim_link_derive(&c->kp, p->link_ecdh_public_key.data, c->link_id, &c->mac);
	}
	slim_x25519_free(&c->kp);
	if (e != SLIM_LINK_OK) {
		refuse(n, c, GRPC_FAILED_PRECONDITION, slim_link_err_name(e));
		return;
	}
	c->negotiated = true;
	ctr(n, SLIM_CTR_LINKS);
	if (c->tst != NULL) {
		/* A trust's link: sealed records for the peer bridge leave on it from now on. */
		__atomic_store_n(&c->tst->link_conn, gconn(n, c) + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&c->tst->link, (uint8_t)SB_LINK_UP, __ATOMIC_RELEASE);
		breaker_success(c->tst);
	}
	slim_route_foreach(n->routes, announce, n);
}

static void announce(const struct slim_name *name, uint32_t conn, bool local, void *arg)
{
	(void)conn;
	if (local) {
		link_sub(arg, name, true); /* duplicates are idempotent at the other end */
	}
}

/* One received message on connection |c| (either side). */
static void process(struct slim_node *n, struct sconn *c, const uint8_t *msg, size_t len)
{
	uint32_t ci = gconn(n, c);
	Dataplane__Proto__V1__Message *m;

	n->arena.used = 0;
	m = dataplane__proto__v1__message__unpack(&n->pba, len, msg);
	ctr(n, SLIM_CTR_MESSAGES_IN);
	if (m == NULL || !slim_msg_valid(&m->base)) {
		ctr(n, SLIM_CTR_DROP_DECODE);
		if (c->ccall != NULL) {
			grpc_ccall_cancel(c->ccall);
		} else {
			(void)!grpc_call_finish(c->call, GRPC_INVALID_ARGUMENT,
						"not a dataplane.proto.v1.Message (or another wire generation)");
		}
		return;
	}
	if (!c->negotiated) {
		if (c->initiator) {
			negotiated_link(n, c, m);
		} else {
			negotiate(n, c, m);
		}
		return;
	}
	switch (m->message_type_case) {
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE:
		subscribe(n, c, ci, m->subscribe->has_subscription_id ? m->subscribe->subscription_id : 0,
			  m->subscribe->header, true);
		break;
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_UNSUBSCRIBE:
		subscribe(n, c, ci,
			  m->unsubscribe->has_subscription_id ? m->unsubscribe->subscription_id : 0,
			  m->unsubscribe->header, false);
		break;
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH:
		publish(n, c, ci, m, len);
		break;
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIPTION_ACK:
		if (!c->local) {
			upstream_ack(n, m->subscription_ack); /* another node acked an announcement */
			break;
		}
		ctr(n, SLIM_CTR_DROP_UNEXPECTED);
		break;
	default:
		ctr(n, SLIM_CTR_DROP_UNEXPECTED);
		break;
	}
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct slim_node *n = arg;

	n->now_ms = grpc_call_now(call);
	process(arg, grpc_call_user(call), msg, len);
	return 0;
}

static int on_start(struct grpc_call *call, void *arg)
{
	struct slim_node *n = arg;

	for (uint32_t i = 0; i < n->nb_conns; i++) {
		struct sconn *c = &n->conns[i];

		if (!c->in_use) {
			memset(c, 0, sizeof(*c));
			c->in_use = true;
			c->call = call;
			grpc_call_set_user(call, c);
			grpc_call_set_timer(call, grpc_call_now(call) + SLIM_NEGOTIATION_MS);
			n->stats.connections++;
			return 0;
		}
	}
	return -ENOSPC;
}

static void on_timer(struct grpc_call *call, void *arg)
{
	struct slim_node *n = arg;
	struct sconn *c = grpc_call_user(call);

	n->now_ms = grpc_call_now(call);
	if (c != NULL && !c->negotiated) {
		refuse(n, c, GRPC_DEADLINE_EXCEEDED, "link negotiation: no Link within 5 s");
		return;
	}
	if (c != NULL) {
		pending_expire(n, gconn(n, c), grpc_call_now(call));
	}
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	(void)arg;
	(void)!grpc_call_finish(call, GRPC_OK, NULL); /* the client is done: so are we */
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	struct slim_node *n = arg;
	struct sconn *c = grpc_call_user(call);

	(void)status;
	if (c == NULL) {
		return;
	}
	conn_gone(n, gconn(n, c));
	tell_others(n, SLIM_UPDATE_DEL_CONN, NULL, gconn(n, c), false);
	slim_mac_cleanup(&c->mac);
	c->in_use = false;
	c->call = NULL;
	n->stats.connections--;
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_timer = on_timer,
	.on_done = on_done,
};

/* ---- links we dial ---------------------------------------------------------- */

static int link_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	process(arg, grpc_ccall_user(call), msg, len);
	return 0;
}

static void link_done(struct grpc_ccall *call, int status, const char *message,
		      const struct h2_header *trl, uint32_t nt, void *arg)
{
	struct slim_node *n = arg;
	struct sconn *c = grpc_ccall_user(call);

	(void)status;
	(void)message;
	(void)trl;
	(void)nt;
	if (c == NULL || !c->in_use) {
		return;
	}
	if (c->tst != NULL) {
		uint32_t mine = gconn(n, c) + 1;

		/* Records the peer never acknowledged: their senders are told. */
		(void)slim_acks_settle(n, gconn(n, c), 0, true, 0, SB_POL_REASON_PEER_UNREACHABLE);

		(void)__atomic_compare_exchange_n(&c->tst->link_conn, &mine, 0, false, __ATOMIC_ACQ_REL,
						  __ATOMIC_ACQUIRE);
		__atomic_store_n(&c->tst->link, (uint8_t)SB_LINK_DOWN, __ATOMIC_RELEASE);
		c->tst = NULL;
	}
	conn_gone(n, gconn(n, c));
	tell_others(n, SLIM_UPDATE_DEL_CONN, NULL, gconn(n, c), false);
	slim_mac_cleanup(&c->mac);
	slim_x25519_free(&c->kp);
	c->in_use = false;
	c->ccall = NULL;
	n->stats.connections--;
}

static const struct grpc_ccall_ops link_ops = {
	.on_message = link_message,
	.on_done = link_done,
};

int slim_node_link_attach(struct slim_node *n, struct grpc_cconn *cc, uint8_t conn_type)
{
	return slim_node_link_attach_trust(n, cc, conn_type, NULL);
}

int slim_node_link_attach_trust(struct slim_node *n, struct grpc_cconn *cc, uint8_t conn_type,
				struct sb_bridge_trust *tst)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Link l = DATAPLANE__PROTO__V1__LINK__INIT;
	Dataplane__Proto__V1__LinkNegotiationPayload p =
		DATAPLANE__PROTO__V1__LINK_NEGOTIATION_PAYLOAD__INIT;
	struct sconn *c = NULL;
	uint8_t rnd[12];
	int rc;

	for (uint32_t i = 0; i < n->nb_conns && c == NULL; i++) {
		if (!n->conns[i].in_use) {
			c = &n->conns[i];
		}
	}
	if (c == NULL) {
		return -ENOSPC;
	}
	memset(c, 0, sizeof(*c));
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || slim_x25519_new(&c->kp) != 0) {
		return -EIO;
	}
	/* A fresh link id per dial (the responder refuses replays): node id and 96 random bits. */
	snprintf(c->link_id, sizeof(c->link_id), "%.12s-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x",
		 n->node_id, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8],
		 rnd[9], rnd[10], rnd[11]);
	c->in_use = true;
	c->initiator = true;
	c->tst = tst;
	c->local = conn_type == DATAPLANE__PROTO__V1__LINK_CONNECTION_TYPE__LINK_CONNECTION_TYPE_EDGE;
	rc = grpc_cconn_start(cc, SLIM_OPEN_CHANNEL, NULL, 0, 0, &link_ops, n, &c->ccall);
	if (rc != 0) {
		slim_x25519_free(&c->kp);
		c->in_use = false;
		return rc;
	}
	grpc_ccall_set_user(c->ccall, c);
	n->stats.connections++;
	p.link_id = c->link_id;
	p.slim_version = (char *)SB_VERSION;
	p.has_is_reply = true;
	p.has_link_ecdh_public_key = true;
	p.link_ecdh_public_key.data = c->kp.pub;
	p.link_ecdh_public_key.len = sizeof(c->kp.pub);
	p.has_connection_type = true;
	p.connection_type = conn_type;
	p.node_id = n->node_id;
	l.link_type_case = DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION;
	l.link_negotiation = &p;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK;
	m.link = &l;
	if (send_msg(n, c, &m) != 0) {
		grpc_ccall_cancel(c->ccall); /* link_done frees |c| */
		return -ENOBUFS;
	}
	return 0;
}

struct slim_node *slim_node_new(const struct slim_node_conf *conf, struct grpc_server *srv)
{
	struct slim_node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		return NULL;
	}
	n->conf = *conf;
	snprintf(n->node_id, sizeof(n->node_id), "%s", conf->node_id ? conf->node_id : "slimbridge");
	n->nb_conns = conf->max_connections;
	n->conns = calloc(n->nb_conns, sizeof(*n->conns));
	n->routes = slim_route_new();
	/* Decoded fields (bytes copied) fit in twice the message plus the structs. */
	n->arena.size = 2 * (size_t)conf->max_message + (256u << 10);
	n->arena.base = malloc(n->arena.size);
	n->out_cap = (size_t)conf->max_message + 4096 + (conf->bridge != NULL ? SEAL_MAX_INNER + 65536 : 0);
	n->out = malloc(n->out_cap);
	n->seal_in_cap = conf->bridge != NULL ? (size_t)conf->max_message + 4096 : 0;
	n->seal_in = n->seal_in_cap > 0 ? malloc(n->seal_in_cap) : NULL;
	n->inflight = conf->bridge != NULL ? calloc(SLIM_INFLIGHT_MAX, sizeof(*n->inflight)) : NULL;
	if (n->conns == NULL || n->routes == NULL || n->arena.base == NULL || n->out == NULL ||
	    (n->seal_in_cap > 0 && n->seal_in == NULL) || (conf->bridge != NULL && n->inflight == NULL)) {
		goto out_free;
	}
	if (RAND_bytes((unsigned char *)&n->id_key, sizeof(n->id_key)) != 1) {
		goto out_free;
	}
	n->pba.alloc = arena_alloc;
	n->pba.free = arena_free;
	n->pba.allocator_data = &n->arena;
	grpc_server_set_max_message(srv, conf->max_message);
	if (grpc_server_add(srv, SLIM_OPEN_CHANNEL, &ops, n) != 0) {
		goto out_free;
	}
	return n;

out_free:
	slim_node_free(n);
	return NULL;
}

void slim_node_free(struct slim_node *n)
{
	if (n == NULL) {
		return;
	}
	for (uint32_t i = 0; n->conns != NULL && i < n->nb_conns; i++) {
		slim_mac_cleanup(&n->conns[i].mac);
	}
	free(n->conns);
	slim_route_free(n->routes);
	free(n->arena.base);
	free(n->out);
	free(n->seal_in);
	free(n->inflight);
	free(n);
}

void slim_node_apply(struct slim_node *n, const struct slim_update *u, uint64_t now_ms)
{
	struct slim_name name = {{u->c[0], u->c[1], u->c[2]}, u->id_hi, u->id_lo};

	n->now_ms = now_ms;
	switch (u->op) {
	case SLIM_UPDATE_ADD:
	case SLIM_UPDATE_DEL: {
		bool add = u->op == SLIM_UPDATE_ADD, announce;

		if (add) {
			(void)!slim_route_add(n->routes, &name, u->conn, u->local != 0);
		} else {
			(void)slim_route_del(n->routes, &name, u->conn);
		}
		announce = u->local &&
			   (add || !slim_route_has_local(n->routes, &name, UINT32_MAX));
		if (u->ack != 0) {
			/* The app's worker waits for our node links' acks: relay them. */
			struct pending *p = announce ? pending_new(n) : NULL;
			uint32_t sent = announce ? link_sub_id(n, &name, add, p != NULL ? p->our_id : 0)
						 : 0;

			if (p != NULL && sent > 0) {
				p->origin = u->conn;
				p->relay = u->ack;
				p->waiting = sent;
				p->deadline_ms = n->now_ms + SLIM_ACK_WAIT_MS;
			} else {
				if (p != NULL) {
					p->our_id = 0;
				}
				tell_others_ack(n, SLIM_UPDATE_ACK, NULL, u->conn, true, u->ack);
			}
		} else if (announce) {
			link_sub(n, &name, add);
		}
		break;
	}
	case SLIM_UPDATE_ACK:
		if (u->conn >> SLIM_CONN_WORKER_SHIFT != n->conf.worker) {
			break; /* another worker's */
		}
		for (uint32_t i = 0; i < SLIM_PENDING_MAX; i++) {
			struct pending *p = &n->pending[i];

			if (p->our_id != 0 && p->relay == 0 && p->our_id == u->ack) {
				pending_answer(n, p, u->local != 0);
				break;
			}
		}
		break;
	case SLIM_UPDATE_DEL_CONN:
		conn_gone(n, u->conn);
		break;
	default:
		break;
	}
	n->stats.subscriptions = slim_route_count(n->routes);
}

void slim_node_deliver(struct slim_node *n, uint32_t g, const uint8_t *msg, size_t len)
{
	struct sconn *c = conn_of(n, g);
	Dataplane__Proto__V1__Message *m;

	if (c == NULL || !c->negotiated) {
		ctr(n, SLIM_CTR_DROP_CROSS); /* gone meanwhile */
		return;
	}
	n->arena.used = 0;
	m = dataplane__proto__v1__message__unpack(&n->pba, len, msg);
	if (m == NULL || m->message_type_case != DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH ||
	    m->publish->header == NULL) {
		ctr(n, SLIM_CTR_DROP_CROSS); /* we encoded it: not reached */
		return;
	}
	ctr(n, SLIM_CTR_CROSS_IN);
	if (forward(n, c, m, m->publish->header) == 0 && c->tst != NULL && is_sealed(m)) {
		c->recs_sent++; /* a record another worker sealed: numbered like ours */
	}
}

const struct slim_node_stats *slim_node_stats(const struct slim_node *n)
{
	return &n->stats;
}
