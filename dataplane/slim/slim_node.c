/* SPDX-License-Identifier: Apache-2.0 */
/* slim_node.c - a SLIM v2 node on gRPC; see slim_node.h. */
#include "slim_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "data_plane.pb-c.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_msg.h"
#include "slim_route.h"

#define SLIM_DEFAULT_TTL 8 /* SLIM's DEFAULT_TTL (slim.md 1.2) */
#define MAX_FANOUT 256 /* connections one multicast reaches at most */
#define SLIM_PENDING_MAX 256 /* app subscriptions waiting for other nodes' acks */
#define SLIM_ACK_WAIT_MS 5000 /* as SLIM: 5 s for the upstream ack */
#define SLIM_FWD_HISTORY 1024 /* subscription ids we forwarded, remembered for loop checks */

struct sconn {
	bool in_use;
	bool negotiated;
	bool local;	  /* an app (Edge link) rather than another node */
	bool initiator;	  /* a link we dialled (client side) */
	struct grpc_call *call;	  /* server side */
	struct grpc_ccall *ccall; /* client side (a link we dialled) */
	struct slim_mac mac;
	struct slim_x25519 kp;	  /* initiator: our key until the reply */
	char link_id[40];
};

/* A bump allocator for protobuf-c: reset per message, never freed piecemeal. */
struct arena {
	uint8_t *base;
	size_t size, used;
};

struct slim_node {
	struct slim_node_conf conf;
	char node_id[64];
	struct slim_route *routes;
	struct sconn *conns;
	uint32_t nb_conns;
	struct slim_link_seen seen;
	struct arena arena;
	ProtobufCAllocator pba;
	uint8_t *out;	  /* one encoded message */
	size_t out_cap;
	struct slim_node_stats stats;
	/* App subscriptions forwarded to other nodes, acked once those nodes have acked. */
	struct pending {
		uint64_t our_id;   /* 0: free */
		uint32_t origin;   /* global connection of the app */
		uint64_t sub_id;   /* the app's subscription id */
		uint32_t waiting;  /* acks still due */
		bool failed;
		uint64_t deadline_ms;
		uint64_t relay;	   /* non-zero: the app is on another worker; answer it this way */
	} pending[SLIM_PENDING_MAX];
	uint64_t next_id;
	uint64_t id_key;			/* random: our ids differ from other nodes' */
	uint64_t fwd_ids[SLIM_FWD_HISTORY];	/* the last ids we forwarded (0: none) */
	uint32_t fwd_next;
	uint64_t now_ms; /* the last time a callback saw */
};

static const char *const ctr_names[SLIM_CTR_MAX] = {
#define _(n, d) #n,
	foreach_slim_counter
#undef _
};

const char *slim_counter_name(enum slim_counter k)
{
	return (unsigned)k < SLIM_CTR_MAX ? ctr_names[k] : NULL;
}

static void ctr(struct slim_node *n, enum slim_counter k)
{
	n->stats.ctr[k]++;
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

static bool name_of(const Dataplane__Proto__V1__Name *pn, struct slim_name *out)
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

static uint32_t gconn(const struct slim_node *n, const struct sconn *c)
{
	return n->conf.worker << SLIM_CONN_WORKER_SHIFT | (uint32_t)(c - n->conns);
}

static bool is_mine(const struct slim_node *n, uint32_t g)
{
	return g >> SLIM_CONN_WORKER_SHIFT == n->conf.worker;
}

/* Our connection with global id |g|, or NULL (another worker's, or gone). */
static struct sconn *conn_of(struct slim_node *n, uint32_t g)
{
	uint32_t i = g & ((1u << SLIM_CONN_WORKER_SHIFT) - 1);

	return is_mine(n, g) && i < n->nb_conns && n->conns[i].in_use ? &n->conns[i] : NULL;
}

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
static int sign_and_send(struct slim_node *n, struct sconn *c, Dataplane__Proto__V1__Message *m,
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

/* Send |m| on to connection |c|, counted. */
static void forward(struct slim_node *n, struct sconn *c, Dataplane__Proto__V1__Message *m,
		    Dataplane__Proto__V1__SLIMHeader *h)
{
	ctr(n, sign_and_send(n, c, m, h) == 0 ? SLIM_CTR_FORWARDED : SLIM_CTR_DROP_EGRESS);
}

/*
 * Another worker owns |g|: hand it the message as it leaves us (TTL set,
 * local flags cleared) without a MAC; that worker signs it for the link.
 */
static void hand_over(struct slim_node *n, uint32_t g, Dataplane__Proto__V1__Message *m,
		      Dataplane__Proto__V1__SLIMHeader *h)
{
	size_t len;

	h->has_recv_from = h->has_forward_to = h->has_incoming_conn = false;
	h->has_header_mac = false;
	len = dataplane__proto__v1__message__get_packed_size(m);
	if (len > n->out_cap) {
		ctr(n, SLIM_CTR_DROP_CROSS);
		return;
	}
	dataplane__proto__v1__message__pack(m, n->out);
	if (n->conf.peer->deliver(n->conf.peer_arg, g, n->out, len) == 0) {
		ctr(n, SLIM_CTR_CROSS_OUT);
	} else {
		ctr(n, SLIM_CTR_DROP_CROSS);
	}
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

	if (h == NULL || !name_of(h->destination, &dst)) {
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
	(void)name_of(h->destination, &name);
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

static const char *meta_get(const Dataplane__Proto__V1__Message *m, const char *key)
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
	const char *method = meta_get(m, "method"), *slash;

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

/*
 * Tell the sender of a denied publish why, on the connection it came from:
 * source and destination swapped, SLIMHeader.error set, its session header
 * and rpc-id kept so an SDK can match it to the call.
 */
static void deny_back(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *in,
		      const Dataplane__Proto__V1__SLIMHeader *ih, const struct policy_verdict *v,
		      const struct policy_rules_hit *hit)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Publish p = DATAPLANE__PROTO__V1__PUBLISH__INIT;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__Content ct = DATAPLANE__PROTO__V1__CONTENT__INIT;
	Dataplane__Proto__V1__ApplicationPayload ap = DATAPLANE__PROTO__V1__APPLICATION_PAYLOAD__INIT;
	Dataplane__Proto__V1__Message__MetadataEntry e[5], *ep[5];
	const char *reason = policy_reason_text(v->reason);
	const char *rpc_id = meta_get(in, "rpc-id");
	char rule[16];
	size_t ne = 0;

	h.source = ih->destination;
	h.destination = ih->source;
	h.has_fanout = true;
	h.fanout = 1;
	h.has_ttl = true;
	h.ttl = SLIM_DEFAULT_TTL;
	h.has_error = true;
	h.error = true;
	ap.payload_type = (char *)"slimbridge/policy-denied";
	ap.has_blob = true;
	ap.blob.data = (uint8_t *)reason;
	ap.blob.len = strlen(reason);
	ct.content_type_case = DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD;
	ct.app_payload = &ap;
	p.header = &h;
	p.session = in->publish->session;
	p.msg = &ct;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH;
	m.publish = &p;
	for (size_t i = 0; i < 5; i++) {
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
	m.n_metadata = ne;
	m.metadata = ep;
	ctr(n, sign_and_send(n, c, &m, &h) == 0 ? SLIM_CTR_DENIALS_SENT : SLIM_CTR_DROP_EGRESS);
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

/*
 * The permission decision for a publish (BRIEF steps 4 and 5): true to
 * route it. Within one app (same tenant and app components) it is not a
 * SLIM boundary.
 */
static bool permitted(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m,
		      const Dataplane__Proto__V1__SLIMHeader *h)
{
	const struct policy_rules_worker *rw = NULL;
	const struct policy_view *view;
	struct policy_rules_hit hit;
	struct policy_query q;
	struct policy_verdict v;
	struct slim_name src, dst;

	if (!name_of(h->source, &src) || !name_of(h->destination, &dst)) {
		ctr(n, SLIM_CTR_DROP_NO_HEADER);
		return false;
	}
	if (src.c[0] == dst.c[0] && src.c[1] == dst.c[1]) {
		ctr(n, SLIM_CTR_POLICY_LOCAL);
		return true;
	}
	view = n->conf.policy_view(n->conf.policy_arg, &rw);
	if (view == NULL) {
		view = &empty_policy;
		rw = NULL;
	}
	memcpy(q.src, src.c, sizeof(q.src));
	memcpy(q.dst, dst.c, sizeof(q.dst));
	q.dir = POLICY_MESSAGE;
	q.op = op_of(m);
	if (policy_decide_burst(view, &q, 1, &v) == 1) {
		if (content_ok(rw, m, &v, &hit)) {
			ctr(n, SLIM_CTR_POLICY_ALLOWED);
			return true;
		}
		ctr(n, SLIM_CTR_DROP_POLICY);
		n->stats.deny[v.reason]++;
		deny_back(n, c, m, h, &v, v.reason == SB_POL_REASON_CONTENT_BLOCKED ? &hit : NULL);
		return false;
	}
	ctr(n, SLIM_CTR_DROP_POLICY);
	n->stats.deny[v.reason < SB_POL_REASON_MAX ? v.reason : SB_POL_REASON_UNKNOWN_AGENT]++;
	deny_back(n, c, m, h, &v, NULL);
	return false;
}

static void publish(struct slim_node *n, struct sconn *c, uint32_t ci,
		    Dataplane__Proto__V1__Message *m)
{
	Dataplane__Proto__V1__Publish *p = m->publish;
	Dataplane__Proto__V1__SLIMHeader *h;
	struct slim_name dst;
	uint32_t to[MAX_FANOUT], nb;

	ctr(n, SLIM_CTR_PUBLISHES);
	if (p->session == NULL) {
		ctr(n, SLIM_CTR_DROP_NO_HEADER);
		return;
	}
	h = ingress(n, c, p->header);
	if (h == NULL) {
		return;
	}
	if (n->conf.policy_view != NULL && !permitted(n, c, m, h)) {
		return;
	}
	(void)name_of(h->destination, &dst);
	/* From another node: to our apps only, never on to another node (one hop). */
	if (!h->has_fanout || h->fanout <= 1) {
		nb = slim_route_anycast(n->routes, &dst, ci, !c->local, &to[0]) ? 1 : 0;
	} else {
		nb = slim_route_multicast(n->routes, &dst, ci, !c->local, to, MAX_FANOUT);
	}
	if (nb == 0) {
		ctr(n, SLIM_CTR_DROP_NO_ROUTE); /* SLIM drops it too (errors go to in-process apps only) */
		return;
	}
	for (uint32_t i = 0; i < nb; i++) {
		struct sconn *out = conn_of(n, to[i]);

		if (out != NULL && out->negotiated) {
			forward(n, out, m, h);
		} else if (!is_mine(n, to[i]) && n->conf.peer != NULL) {
			hand_over(n, to[i], m, h);
		}
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
		publish(n, c, ci, m);
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
	n->out_cap = (size_t)conf->max_message + 4096;
	n->out = malloc(n->out_cap);
	if (n->conns == NULL || n->routes == NULL || n->arena.base == NULL || n->out == NULL) {
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
	forward(n, c, m, m->publish->header);
}

const struct slim_node_stats *slim_node_stats(const struct slim_node *n)
{
	return &n->stats;
}
