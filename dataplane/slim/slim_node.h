/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_node.h - a SLIM v2 node on gRPC: the server side of
 * /dataplane.proto.v1.DataPlaneService/OpenChannel, where each bidi stream
 * is one SLIM connection (shared/reference/slim.md 1.3-1.4, 2.2-2.5).
 *
 * Per connection: link negotiation first (slim_link.h; 5 s, replayed link
 * ids refused), then Subscribe / Unsubscribe / Publish with the per-link
 * header MAC verified (slim_mac.h; required by default, and a Subscribe or
 * Unsubscribe without one is refused), TTL decremented and the message
 * dropped at 0, and the local-only fields (recv_from, forward_to,
 * incoming_conn) ignored on input and cleared on output. Subscriptions go
 * into the node's table (slim_route.h), each answered with a
 * SubscriptionAck when its id is not 0; publishes are routed by fanout
 * (1: anycast or unicast, never back to the sender; more: every match but
 * the sender) and re-signed for each outgoing link. Source, destination,
 * identity, session header, content and metadata are never changed. A
 * connection that goes removes its subscriptions.
 *
 * Messages are decoded with protobuf-c into a per-node arena (reset per
 * message: no malloc per message). Every drop is a counter. A publish that
 * crosses an app or tenant boundary is decided by the permission policy
 * first (slim_node_conf.policy_view); a denial goes back to the sender as an
 * error notification, never a silent drop.
 *
 * Several workers: each runs a node with its own connections and a full
 * replica of the subscription table. Connections are named globally
 * (worker << SLIM_CONN_WORKER_SHIFT | index). A node tells the others about
 * every table change through |peer->update| and applies theirs with
 * slim_node_apply; a publish for another worker's connection goes, encoded
 * with its new TTL and without a MAC, through |peer->deliver| and is sent
 * there by slim_node_deliver (which signs it for that link). How the bytes
 * travel (rte_ring between lcores) is the caller's business.
 *
 * Thread context: one node per worker, on that worker's connections.
 */
#ifndef SB_SLIM_NODE_H
#define SB_SLIM_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "grpc_client.h"
#include "grpc_server.h"
#include "policy.h"
#include "policy_rules.h"

struct id_cache;
struct bridge_worker;
struct bridge_view;
struct audit_ring;
struct sb_bridge_trust;

#define SLIM_OPEN_CHANNEL "/dataplane.proto.v1.DataPlaneService/OpenChannel"

#define foreach_slim_counter                                                                 \
	_(MESSAGES_IN, "messages received")                                                   \
	_(SUBSCRIBES, "subscriptions added")                                                  \
	_(UNSUBSCRIBES, "subscriptions removed")                                              \
	_(PUBLISHES, "publishes received")                                                    \
	_(FORWARDED, "messages sent on to a connection")                                      \
	_(ACKS_SENT, "SubscriptionAck sent")                                                  \
	_(LINKS, "links negotiated")                                                          \
	_(DROP_DECODE, "dropped: not a Message (bad protobuf, wrong generation)")             \
	_(DROP_NEGOTIATION, "connections refused: link negotiation failed or timed out")      \
	_(DROP_BAD_MAC, "dropped: header MAC missing or wrong")                               \
	_(DROP_TTL, "dropped: TTL reached 0")                                                 \
	_(DROP_NO_HEADER, "dropped: no header, no destination name, or no session header")    \
	_(DROP_NO_ROUTE, "dropped: no subscription matches the destination")                  \
	_(DROP_EGRESS, "dropped: the outgoing connection could not take it")                  \
	_(DROP_UNEXPECTED, "dropped: a Link or SubscriptionAck after negotiation")              \
	_(CROSS_OUT, "publishes handed to another worker")                                    \
	_(CROSS_IN, "publishes sent for another worker")                                      \
	_(DROP_CROSS, "dropped: could not be handed to, or sent for, another worker")          \
	_(LINK_SUBS_SENT, "subscriptions announced to other nodes over links")                \
	_(DROP_LOOP, "dropped: a subscription this node forwarded came back (loop)")             \
	_(POLICY_LOCAL, "publishes within one app: not a SLIM boundary, no policy decision")   \
	_(POLICY_ALLOWED, "cross-boundary publishes the policy allowed")                      \
	_(DROP_POLICY, "cross-boundary publishes the policy denied (reasons: deny_*)")         \
	_(DENIALS_SENT, "error notifications sent back to the sender of a denied publish")    \
	_(SEALED, "messages sealed for a peer bridge")                                        \
	_(SEAL_RECORDS, "sealed records sent to peer bridges")                                \
	_(OPENED, "messages received sealed from a peer bridge and opened")                   \
	_(DROP_OPEN, "dropped: a sealed record that did not open (bad, replayed, no key)")     \
	_(OPEN_NO_KEY, "of those: no key for its group or epoch (unknown, or its window over)") \
	_(OPEN_REPLAY, "of those: a record (or MLS generation) already opened")                \
	_(OPEN_BAD, "of those: it failed authentication or does not parse")                   \
	_(DROP_INNER, "dropped: an opened message that does not decode or match its route")   \
	_(AUDITED, "audit records written")                                                   \
	_(DROP_AUDIT, "audit records lost: the ring was full despite the back-pressure check") \
	_(RECORD_ACKS, "acknowledgements of our sealed records received from peer bridges")   \
	_(INFLIGHT_LOST, "sealed messages no longer tracked for an answer (tracking ring full)")

enum slim_counter {
#define _(n, d) SLIM_CTR_##n,
	foreach_slim_counter
#undef _
		SLIM_CTR_MAX
};

struct slim_node_stats {
	uint64_t ctr[SLIM_CTR_MAX];
	uint64_t id_deny[32];		/* identity refusals by enum id_reason (id_jwt.h) */
	uint64_t deny[SB_POL_REASON_MAX];	/* denied publishes by reason (policy_abi.h) */
	uint64_t connections;	/* open now */
	uint64_t subscriptions; /* (name, connection) pairs now */
};

#define SLIM_CONN_WORKER_SHIFT 20 /* global connection id: worker << 20 | index */

/* A change of the subscription table, for the other workers' replicas. */
enum slim_update_op {
	SLIM_UPDATE_ADD = 1,
	SLIM_UPDATE_DEL,
	SLIM_UPDATE_DEL_CONN,
	SLIM_UPDATE_ACK, /* to |conn|'s worker: the other nodes' answer for relay |ack| */
};

struct slim_update {
	uint64_t c[3];
	uint64_t id_hi, id_lo;
	/*
	 * ADD / DEL of an app subscription with an id: non-zero when the app's
	 * worker waits for the receiver's answer (an ACK update carrying it)
	 * before it acks the app; ACK: that relay id.
	 */
	uint64_t ack;
	uint32_t conn; /* global */
	uint8_t op;    /* enum slim_update_op */
	uint8_t local; /* ADD / DEL: an app's; ACK: success */
	uint8_t pad[2];
};

struct slim_node_peer_ops {
	/* Hand an encoded Message (no MAC, TTL set) to global connection |conn|'s worker. */
	int (*deliver)(void *arg, uint32_t conn, const uint8_t *msg, size_t len);
	/* Tell every other worker about a table change. */
	void (*update)(void *arg, const struct slim_update *u);
};

struct slim_node_conf {
	const char *node_id;	 /* sent in our link replies */
	bool require_header_mac; /* default true */
	uint32_t max_message;	 /* bytes (default 4 MiB) */
	uint32_t max_connections;	/* per worker, < 2^20 */
	uint32_t worker;		/* this node's worker index */
	uint32_t nb_workers;		/* workers with a node (1: no peers) */
	const struct slim_node_peer_ops *peer; /* NULL: a single worker */
	void *peer_arg;
	/*
	 * Permissions (policy.h): with |policy_view| set, every publish whose
	 * source and destination differ in tenant or app (SLIM name components 0
	 * and 1) is decided on the view it returns (NULL: the empty policy, which
	 * denies). A denied publish is not routed; the sender gets an error
	 * notification (SLIMHeader.error, source and destination swapped, the
	 * reason in metadata slimbridge-error / slimbridge-blocked-at and
	 * slimrpc-code 7) and deny[reason] counts it. An allowed publish with
	 * an application payload is then scanned with the content rule sets
	 * the verdict names (the source's and the target's projects, the
	 * trust; |*rules|, this worker's objects of the same snapshot): a
	 * block rule denies it (CONTENT_BLOCKED, metadata slimbridge-rule-id),
	 * a scan that fails denies it too (CONTENT_ERROR: fail closed), audit
	 * rules only count. The view and |*rules| must stay valid until the
	 * worker's next quiescent point (RCU). NULL: no decisions.
	 */
	const struct policy_view *(*policy_view)(void *arg, const struct policy_rules_worker **rules);
	void *policy_arg;
	/*
	 * The federation bridge (docs/wire.md, docs/architecture.md "Bridge").
	 * |identity|: every cross-boundary publish must carry a JWT-SVID in
	 * SLIMHeader.identity that verifies (id_cache.h) and names its source
	 * agent (spiffe://TD/tenant/{tenant}/agent/{agent}, components hashed as
	 * SLIM names are, TD ours for our agents, the trust's peer trust domain
	 * for messages that arrive sealed). NULL: no identity check.
	 * |bridge| and |bridge_view| (the view of the same policy slot as
	 * policy_view): messages for another organisation go through its
	 * circuit breaker and are sealed for the peer bridge; sealed records
	 * from a peer bridge are opened and each message decided again here.
	 * |audit|: one record per cross-boundary message. |clock_ns|: the
	 * caller's CLOCK_REALTIME in ns, refreshed every poll.
	 */
	struct id_cache *identity;
	const char *trust_domain;
	struct bridge_worker *bridge;
	const struct bridge_view *(*bridge_view)(void *arg);
	struct audit_ring *audit;
	const uint64_t *clock_ns;
};

struct slim_node;

/* slim_node_conf_default fills |c| with the defaults. */
void slim_node_conf_default(struct slim_node_conf *c);

/*
 * slim_node_new makes a node with |conf| and registers OpenChannel on |srv|
 * (which must outlive it). Returns NULL on failure.
 */
struct slim_node *slim_node_new(const struct slim_node_conf *conf, struct grpc_server *srv);

/* slim_node_free frees |n| (its connections must be gone). Accepts NULL. */
void slim_node_free(struct slim_node *n);

/* slim_node_stats returns |n|'s counters (read racily from other threads). */
const struct slim_node_stats *slim_node_stats(const struct slim_node *n);

/*
 * slim_node_link_attach makes |cc| - a client connection the caller dialled
 * to another SLIM node - a link of LinkConnectionType |conn_type|: an
 * OpenChannel call, our negotiation request (we are the initiator), then
 * messages as on any connection. Once negotiated, the subscriptions of our
 * apps (Edge connections, on every worker) are announced over it, and later
 * ones follow as they come and go. Publishes that arrive over a node link
 * go to apps only, never to another node link (one hop, as SLIM's peer
 * rule). Returns 0 or a negative errno; the link ends with |cc|.
 */
int slim_node_link_attach(struct slim_node *n, struct grpc_cconn *cc, uint8_t conn_type)
	__attribute__((warn_unused_result));

/*
 * slim_node_link_attach_trust: slim_node_link_attach for the link to a
 * trust's peer bridge. Once negotiated, its connection is published in
 * |tst| (link_conn, link up): the node sends every sealed record for that
 * trust on it. It is withdrawn when the link ends.
 */
int slim_node_link_attach_trust(struct slim_node *n, struct grpc_cconn *cc, uint8_t conn_type,
				struct sb_bridge_trust *tst) __attribute__((warn_unused_result));

/*
 * slim_node_apply applies another worker's table change |u| at |now_ms|
 * (the workers' millisecond clock, as grpc_tcp_tick's): a route added or
 * removed, announced over our node links when it is an app's, and, when the
 * app's worker waits for them (|u->ack|), our links' acks relayed back as
 * an ACK update; or such an ACK for one of our apps.
 */
void slim_node_apply(struct slim_node *n, const struct slim_update *u, uint64_t now_ms);

/*
 * slim_node_deliver sends the Message |msg| that another worker routed to
 * our connection |conn| (global id): decoded, signed for that link, sent.
 */
void slim_node_deliver(struct slim_node *n, uint32_t conn, const uint8_t *msg, size_t len);

/*
 * slim_node_poll_end: the end of a poll iteration: seals the batches opened
 * during it (one record per peer bridge and connection) and sends them.
 */
void slim_node_poll_end(struct slim_node *n);

/* slim_counter_name returns the counter's name. */
const char *slim_counter_name(enum slim_counter k);

#endif
