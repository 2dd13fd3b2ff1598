/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_node_internal.h - what the files of the SLIM node share (not a
 * contract for anyone else; slim_node.h is): the node's and a connection's
 * state, and the helpers the record-acknowledgement file (slim_acks.c) uses
 * from slim_node.c. One node belongs to one lcore: nothing here locks.
 */
#ifndef SB_SLIM_NODE_INTERNAL_H
#define SB_SLIM_NODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_ring.h"
#include "bridge.h"
#include "data_plane.pb-c.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_node.h"
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
	struct sb_bridge_trust *tst; /* a trust's link we dialled: its status slot */
	uint64_t recs_sent;	  /* sealed records sent on it (numbered from 1) */
	uint64_t recs_recv;	  /* sealed records received on it (what we ack) */
};

/*
 * A message sealed into a record on one of our trust links, remembered
 * until the peer bridge acknowledges the record (docs/wire.md, "Record
 * acknowledgements"): if the record is refused or the link dies first, the
 * sender is told (an error notification) and the breaker counts a failure.
 * Just what the notification needs: names, session header, rpc-id.
 */
#define SLIM_INFLIGHT_MAX 4096
#define SLIM_RPC_ID_MAX 64
struct inflight {
	uint64_t rec;		/* the record's number on |link| */
	uint32_t link;		/* global connection of the trust link */
	uint32_t from;		/* global connection the message came from */
	uint32_t trust;		/* trust index (of the view then: for audit names only) */
	uint64_t src[5], dst[5];	/* components 0..2, id_hi, id_lo */
	uint32_t session_id, message_id;
	uint8_t session_type, session_msg_type, has_session_ids;
	char rpc_id[SLIM_RPC_ID_MAX];
	char src_s[SB_AUDIT_NAME_MAX], dst_s[SB_AUDIT_NAME_MAX], trust_s[SB_AUDIT_SHORT_MAX];
	uint32_t msg_bytes;
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
	uint8_t *seal_in;	/* one inner message, encoded for sealing */
	size_t seal_in_cap;
	const struct bridge_view *bv;	/* the bridge view of the message in hand */
	const struct policy_view *pv;	/* and its policy view (names for audit records) */
	struct inflight *inflight;	/* ring of SLIM_INFLIGHT_MAX, oldest at head */
	uint32_t if_head, if_n;
	bool sealed_out;	/* batches opened since the last poll_end */
};

/*
 * A Publish this node makes itself (denials, sealed records, record acks):
 * every part in one place, linked by pubmsg_init; the caller sets the
 * names, the session header's ids and the metadata.
 */
struct pubmsg {
	Dataplane__Proto__V1__Message m;
	Dataplane__Proto__V1__Publish p;
	Dataplane__Proto__V1__SLIMHeader h;
	Dataplane__Proto__V1__SessionHeader sh;
	Dataplane__Proto__V1__Content ct;
	Dataplane__Proto__V1__ApplicationPayload ap;
	Dataplane__Proto__V1__Name sn, dn;
	Dataplane__Proto__V1__EncodedName se, de;
};

static inline void ctr(struct slim_node *n, enum slim_counter k)
{
	n->stats.ctr[k]++;
}

static inline uint32_t gconn(const struct slim_node *n, const struct sconn *c)
{
	return n->conf.worker << SLIM_CONN_WORKER_SHIFT | (uint32_t)(c - n->conns);
}

static inline bool is_mine(const struct slim_node *n, uint32_t g)
{
	return g >> SLIM_CONN_WORKER_SHIFT == n->conf.worker;
}

/* Our connection with global id |g|, or NULL (another worker's, or gone). */
static inline struct sconn *conn_of(struct slim_node *n, uint32_t g)
{
	uint32_t i = g & ((1u << SLIM_CONN_WORKER_SHIFT) - 1);

	return is_mine(n, g) && i < n->nb_conns && n->conns[i].in_use ? &n->conns[i] : NULL;
}

static inline uint64_t now_ns(const struct slim_node *n)
{
	return n->conf.clock_ns != NULL ? *n->conf.clock_ns : 0;
}

static inline const char *trust_name(const struct slim_node *n, uint32_t trust)
{
	return n->bv != NULL && trust < n->bv->nb ? n->bv->t[trust].trust_id : "";
}

/* ---- slim_node.c ---- */

/* Sign |m| (header |h|) with |c|'s link MAC and send it. 0 or a negative errno. */
int slim_node_sign_and_send(struct slim_node *n, struct sconn *c, Dataplane__Proto__V1__Message *m,
			    Dataplane__Proto__V1__SLIMHeader *h);
/* Hand |m| to the worker that owns global connection |g|. 0 or a negative errno. */
int slim_node_hand_over(struct slim_node *n, uint32_t g, Dataplane__Proto__V1__Message *m,
			Dataplane__Proto__V1__SLIMHeader *h);
bool slim_node_name_of(const Dataplane__Proto__V1__Name *pn, struct slim_name *out);
/* "tenant/app/agent" of |pn| (|nm| its parsed form) for audit records and logs. */
void slim_node_name_str(const struct slim_node *n, char *dst, size_t cap,
			const Dataplane__Proto__V1__Name *pn, const struct slim_name *nm);
const char *slim_node_meta_get(const Dataplane__Proto__V1__Message *m, const char *key);
void slim_node_pubmsg_init(struct pubmsg *o, const char *ptype, const void *blob, size_t len,
			   bool error);
void slim_node_pubmsg_bridge_names(struct pubmsg *o, uint64_t node);

/* ---- slim_acks.c: acknowledgements of sealed records (docs/wire.md) ---- */

/* Remember a message sealed for our trust link |link|: answered once its record is. */
void slim_acks_track(struct slim_node *n, uint32_t link, uint32_t from, uint32_t trust,
		     const Dataplane__Proto__V1__Message *m, const Dataplane__Proto__V1__SLIMHeader *h,
		     size_t msg_bytes);
/*
 * Settle the remembered messages of |link| in records up to |upto| (all with
 * |all|); those of record |fail_rec| (non-zero), or all with |all|, failed
 * for |reason|: each sender is told and each message audited. Returns how many failed.
 */
uint32_t slim_acks_settle(struct slim_node *n, uint32_t link, uint64_t upto, bool all,
			  uint64_t fail_rec, uint8_t reason);
/* Tell the peer bridge we took its record number |count| on |c| (|ok|: it opened). */
void slim_acks_send(struct slim_node *n, struct sconn *c, uint64_t count, bool ok);
/* Is |m| a record acknowledgement? */
bool slim_acks_is_ack(const Dataplane__Proto__V1__Message *m);
/* The peer bridge acknowledged (or refused) our records on our trust link |c|. */
void slim_acks_got(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m);

#endif
