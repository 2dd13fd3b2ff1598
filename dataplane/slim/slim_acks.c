/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slim_acks.c - acknowledgements of sealed records between bridges
 * (docs/wire.md, "Record acknowledgements"): the messages sealed on our
 * trust links are remembered until the peer bridge acknowledges their
 * record; a refused record, or a link that dies first, tells each sender
 * (an error notification, UNAVAILABLE) and audits each message. Part of
 * the SLIM node (slim_node_internal.h); one node per lcore, no locks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit_ring.h"
#include "breaker.h"
#include "policy.h"
#include "slim_node_internal.h"

#define SEAL_ACK_TYPE "application/x-slimbridge-seal-ack-v1"

/* Remember a message sealed for the trust link |link| (ours, on this worker). */
void slim_acks_track(struct slim_node *n, uint32_t link, uint32_t from, uint32_t trust,
		     const Dataplane__Proto__V1__Message *m,
		     const Dataplane__Proto__V1__SLIMHeader *h, size_t msg_bytes)
{
	struct sconn *lc = conn_of(n, link);
	const Dataplane__Proto__V1__SessionHeader *sh = m->publish->session;
	const char *rpc = slim_node_meta_get(m, "rpc-id");
	struct slim_name a = {0}, b = {0};
	struct inflight *e;
	const char *tn;

	if (n->inflight == NULL || lc == NULL) {
		return; /* a record that leaves from another worker is not tracked here */
	}
	if (n->if_n == SLIM_INFLIGHT_MAX) {
		n->if_head = (n->if_head + 1) % SLIM_INFLIGHT_MAX; /* oldest forgotten (counted) */
		n->if_n--;
		ctr(n, SLIM_CTR_INFLIGHT_LOST);
	}
	e = &n->inflight[(n->if_head + n->if_n) % SLIM_INFLIGHT_MAX];
	memset(e, 0, sizeof(*e));
	n->if_n++;
	e->rec = lc->recs_sent + 1; /* the batch it is in leaves as the next record */
	e->link = link;
	e->from = from;
	e->trust = trust;
	(void)slim_node_name_of(h->source, &a);
	(void)slim_node_name_of(h->destination, &b);
	memcpy(e->src, a.c, sizeof(a.c));
	e->src[3] = a.id_hi;
	e->src[4] = a.id_lo;
	memcpy(e->dst, b.c, sizeof(b.c));
	e->dst[3] = b.id_hi;
	e->dst[4] = b.id_lo;
	if (sh != NULL) {
		e->session_type = sh->has_session_type ? (uint8_t)sh->session_type : 0;
		e->session_msg_type = sh->has_session_message_type ? (uint8_t)sh->session_message_type : 0;
		e->session_id = sh->session_id;
		e->message_id = sh->message_id;
		e->has_session_ids = (uint8_t)((sh->has_session_id ? 1 : 0) | (sh->has_message_id ? 2 : 0));
	}
	if (rpc != NULL) {
		snprintf(e->rpc_id, sizeof(e->rpc_id), "%s", rpc);
	}
	slim_node_name_str(n, e->src_s, sizeof(e->src_s), h->source, &a);
	slim_node_name_str(n, e->dst_s, sizeof(e->dst_s), h->destination, &b);
	tn = trust_name(n, trust);
	snprintf(e->trust_s, sizeof(e->trust_s), "%s", tn);
	e->msg_bytes = (uint32_t)msg_bytes;
}

static void fill_name(Dataplane__Proto__V1__Name *nm, Dataplane__Proto__V1__EncodedName *en,
		      Dataplane__Proto__V1__NameId *id, const uint64_t v[5])
{
	en->has_component_0 = en->has_component_1 = en->has_component_2 = true;
	en->component_0 = v[0];
	en->component_1 = v[1];
	en->component_2 = v[2];
	if (v[3] != SLIM_ID_ANY || v[4] != SLIM_ID_ANY) {
		id->has_id_0 = id->has_id_1 = true;
		id->id_0 = v[3];
		id->id_1 = v[4];
		en->name_id = id;
	}
	nm->name = en;
}

/*
 * A remembered message did not make it (its record was refused, or the
 * link died before the peer acknowledged it): tell its sender, audit it.
 */
static void inflight_fail(struct slim_node *n, const struct inflight *e, uint8_t reason)
{
	Dataplane__Proto__V1__NameId si = DATAPLANE__PROTO__V1__NAME_ID__INIT,
				     di = DATAPLANE__PROTO__V1__NAME_ID__INIT;
	Dataplane__Proto__V1__Message__MetadataEntry me[4], *mp[4];
	const char *text = policy_reason_text(reason);
	struct sconn *to = conn_of(n, e->from);
	struct sb_audit_rec *r;
	struct pubmsg o;
	size_t k = 0;

	slim_node_pubmsg_init(&o, "slimbridge/policy-denied", text, strlen(text), true);
	fill_name(&o.sn, &o.se, &si, e->dst);	/* swapped, as every error notification */
	fill_name(&o.dn, &o.de, &di, e->src);
	o.h.source = &o.sn;
	o.h.destination = &o.dn;
	o.sh.has_session_type = e->session_type != 0;
	o.sh.session_type = e->session_type;
	o.sh.has_session_message_type = e->session_msg_type != 0;
	o.sh.session_message_type = e->session_msg_type;
	o.sh.has_session_id = (e->has_session_ids & 1) != 0;
	o.sh.session_id = e->session_id;
	o.sh.has_message_id = (e->has_session_ids & 2) != 0;
	o.sh.message_id = e->message_id;
	for (size_t i = 0; i < 4; i++) {
		dataplane__proto__v1__message__metadata_entry__init(&me[i]);
		mp[i] = &me[i];
	}
	me[k].key = (char *)"slimbridge-error";
	me[k++].value = (char *)text;
	me[k].key = (char *)"slimbridge-blocked-at";
	me[k++].value = (char *)policy_level_name(SB_POL_LEVEL_BRIDGE);
	me[k].key = (char *)"slimrpc-code";
	me[k++].value = (char *)"14"; /* UNAVAILABLE: it may be sent again */
	if (e->rpc_id[0] != '\0') {
		me[k].key = (char *)"rpc-id";
		me[k++].value = (char *)e->rpc_id;
	}
	o.m.n_metadata = k;
	o.m.metadata = mp;
	n->stats.deny[reason]++;
	if (to != NULL && to->negotiated) {
		ctr(n, slim_node_sign_and_send(n, to, &o.m, &o.h) == 0 ? SLIM_CTR_DENIALS_SENT : SLIM_CTR_DROP_EGRESS);
	} else if (!is_mine(n, e->from) && n->conf.peer != NULL) {
		(void)slim_node_hand_over(n, e->from, &o.m, &o.h);
	}
	if (n->conf.audit != NULL && (r = audit_ring_slot(n->conf.audit)) != NULL) {
		r->type = SB_AUDIT_SLIM_COMMUNICATION;
		r->decision = SB_AUDIT_DENIED;
		r->level = SB_POL_LEVEL_BRIDGE;
		r->reason = reason;
		r->transport = SB_AUDIT_TR_GRPC;
		r->dir = SB_AUDIT_DIR_OUT;
		r->ts_ns = now_ns(n);
		r->msg_bytes = e->msg_bytes;
		r->flags = SB_AUDIT_F_UNDELIVERED;
		r->session_id = e->session_id;
		r->message_id = e->message_id;
		memcpy(r->src, e->src_s, sizeof(r->src));
		memcpy(r->dst, e->dst_s, sizeof(r->dst));
		memcpy(r->trust, e->trust_s, sizeof(r->trust));
		audit_ring_commit(n->conf.audit);
		ctr(n, SLIM_CTR_AUDITED);
	} else if (n->conf.audit != NULL) {
		ctr(n, SLIM_CTR_DROP_AUDIT); /* a link's whole table failed at once: counted, never silent */
	}
}

/*
 * Settle the remembered messages of |link|: those in records up to |upto|
 * (all of them with |all|). |fail_rec| (non-zero): that record was refused;
 * |reason| for failures. Returns how many failed.
 */
uint32_t slim_acks_settle(struct slim_node *n, uint32_t link, uint64_t upto, bool all,
			  uint64_t fail_rec, uint8_t reason)
{
	uint32_t failed = 0;

	for (uint32_t i = 0; i < n->if_n; i++) {
		struct inflight *e = &n->inflight[(n->if_head + i) % SLIM_INFLIGHT_MAX];

		if (e->rec == 0 || e->link != link || (!all && e->rec > upto)) {
			continue;
		}
		if (all || e->rec == fail_rec) {
			inflight_fail(n, e, reason);
			failed++;
		}
		e->rec = 0; /* settled */
	}
	while (n->if_n > 0 && n->inflight[n->if_head].rec == 0) {
		n->if_head = (n->if_head + 1) % SLIM_INFLIGHT_MAX;
		n->if_n--;
	}
	return failed;
}

/* Tell the peer bridge we took its record number |count| on |c| (|ok|: it opened). */
void slim_acks_send(struct slim_node *n, struct sconn *c, uint64_t count, bool ok)
{
	struct pubmsg o;
	uint8_t body[9];

	for (int i = 0; i < 8; i++) {
		body[i] = (uint8_t)(count >> (56 - 8 * i));
	}
	body[8] = ok ? 1 : 0;
	slim_node_pubmsg_init(&o, SEAL_ACK_TYPE, body, sizeof(body), false);
	slim_node_pubmsg_bridge_names(&o, 0);
	(void)slim_node_sign_and_send(n, c, &o.m, &o.h);
}

bool slim_acks_is_ack(const Dataplane__Proto__V1__Message *m)
{
	const Dataplane__Proto__V1__Content *ct = m->publish->msg;

	return ct != NULL && ct->content_type_case == DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD &&
	       ct->app_payload != NULL && ct->app_payload->payload_type != NULL &&
	       strcmp(ct->app_payload->payload_type, SEAL_ACK_TYPE) == 0 && ct->app_payload->has_blob;
}

/* The cooldown of the trust whose status slot is |st| (the default when the view has none). */
static uint32_t cooldown_of(const struct slim_node *n, const struct sb_bridge_trust *st)
{
	for (uint32_t i = 0; n->bv != NULL && i < n->bv->nb; i++) {
		if (n->bv->t[i].st == st) {
			return n->bv->t[i].cooldown_s;
		}
	}
	return BREAKER_DEFAULT_COOLDOWN_S;
}

/* The peer bridge acknowledged our records on our trust link |c|. */
void slim_acks_got(struct slim_node *n, struct sconn *c, const Dataplane__Proto__V1__Message *m)
{
	const ProtobufCBinaryData *b = &m->publish->msg->app_payload->blob;
	uint64_t count = 0;
	bool ok;

	if (c->tst == NULL || b->len != 9) {
		ctr(n, SLIM_CTR_DROP_UNEXPECTED);
		return;
	}
	for (int i = 0; i < 8; i++) {
		count = count << 8 | b->data[i];
	}
	ok = b->data[8] == 1;
	ctr(n, SLIM_CTR_RECORD_ACKS);
	if (!ok) {
		/* The peer could not open it: a delivery failure for every message in it. */
		uint32_t f = slim_acks_settle(n, gconn(n, c), count, false, count,
					      SB_POL_REASON_SEAL_FAILED);

		(void)f;
		(void)breaker_failure(c->tst, SB_FAIL_PEER_ERROR, c->tst->threshold, cooldown_of(n, c->tst),
				      now_ns(n));
		return;
	}
	(void)slim_acks_settle(n, gconn(n, c), count, false, 0, 0);
	breaker_success(c->tst);
}
