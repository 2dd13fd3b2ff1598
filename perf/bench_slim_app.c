/* SPDX-License-Identifier: Apache-2.0 */
/* bench_slim_app.c - the SLIM app side of bench-slim (bench_slim_app.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_slim_app.h"
#include "data_plane.pb-c.h"
#include "grpc_frame.h"

int bslim_app_init(struct bslim_app *a)
{
	static unsigned seq;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = slim_x25519_new(&a->kp);
	if (rc != 0) {
		return rc;
	}
	snprintf(a->link_id, sizeof(a->link_id), "bench-link-%ld-%u", (long)time(NULL), seq++);
	return 0;
}

void bslim_app_cleanup(struct bslim_app *a)
{
	slim_mac_cleanup(&a->mac);
	slim_x25519_free(&a->kp);
	a->negotiated = false;
}

static uint8_t *frame(const Dataplane__Proto__V1__Message *m, size_t *len)
{
	size_t n = dataplane__proto__v1__message__get_packed_size(m);
	uint8_t *buf = malloc(n + GRPC_PREFIX_LEN);

	if (buf == NULL) {
		fprintf(stderr, "bench-slim: out of memory\n");
		exit(1);
	}
	grpc_prefix_put(buf, (uint32_t)n);
	dataplane__proto__v1__message__pack(m, buf + GRPC_PREFIX_LEN);
	*len = n + GRPC_PREFIX_LEN;
	return buf;
}

uint8_t *bslim_link_request(struct bslim_app *a, size_t *len)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Link l = DATAPLANE__PROTO__V1__LINK__INIT;
	Dataplane__Proto__V1__LinkNegotiationPayload p =
		DATAPLANE__PROTO__V1__LINK_NEGOTIATION_PAYLOAD__INIT;

	p.link_id = a->link_id;
	p.slim_version = (char *)"2.3.0";
	p.has_is_reply = true;
	p.has_link_ecdh_public_key = true;
	p.link_ecdh_public_key.data = a->kp.pub;
	p.link_ecdh_public_key.len = sizeof(a->kp.pub);
	p.has_connection_type = true;
	p.connection_type = DATAPLANE__PROTO__V1__LINK_CONNECTION_TYPE__LINK_CONNECTION_TYPE_EDGE;
	l.link_type_case = DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION;
	l.link_negotiation = &p;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK;
	m.link = &l;
	return frame(&m, len);
}

int bslim_link_reply(struct bslim_app *a, const uint8_t *msg, size_t len)
{
	Dataplane__Proto__V1__Message *m = dataplane__proto__v1__message__unpack(NULL, len, msg);
	const Dataplane__Proto__V1__LinkNegotiationPayload *p;
	int rc = -EPROTO;

	if (m != NULL && slim_link_check_reply(m, a->link_id, &p) == SLIM_LINK_OK &&
	    slim_link_derive(&a->kp, p->link_ecdh_public_key.data, a->link_id, &a->mac) ==
		    SLIM_LINK_OK) {
		a->negotiated = true;
		rc = 0;
	}
	if (m != NULL) {
		dataplane__proto__v1__message__free_unpacked(m, NULL);
	}
	return rc;
}

/* The benchmark's header: to (1, 2, 3, id 7) from (1, 2, 4, id 7), TTL 8, signed for |a|. */
struct bench_hdr {
	Dataplane__Proto__V1__SLIMHeader h;
	Dataplane__Proto__V1__Name dst, src;
	Dataplane__Proto__V1__EncodedName ed, es;
	Dataplane__Proto__V1__NameId id;
	uint8_t mac[SLIM_MAC_LEN];
};

static void header(struct bslim_app *a, struct bench_hdr *b)
{
	*b = (struct bench_hdr){
		.h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT,
		.dst = DATAPLANE__PROTO__V1__NAME__INIT,
		.ed = DATAPLANE__PROTO__V1__ENCODED_NAME__INIT,
		.id = DATAPLANE__PROTO__V1__NAME_ID__INIT,
	};
	b->ed.has_component_0 = b->ed.has_component_1 = b->ed.has_component_2 = true;
	b->ed.component_0 = 1;
	b->ed.component_1 = 2;
	b->ed.component_2 = 3;
	b->id.has_id_0 = b->id.has_id_1 = true;
	b->id.id_1 = 7;
	b->ed.name_id = &b->id;
	b->es = b->ed;
	b->es.component_2 = 4;
	b->src = b->dst;
	b->dst.name = &b->ed;
	b->src.name = &b->es;
	b->h.source = &b->src;
	b->h.destination = &b->dst;
	b->h.identity = (char *)"spiffe://acme.example/tenant/acme/agent/bench";
	b->h.has_fanout = b->h.has_ttl = true;
	b->h.fanout = 1;
	b->h.ttl = 8;
	b->h.version = (char *)"2.3.0";
	if (slim_mac_compute(&a->mac, &b->h, b->mac) != 0) {
		fprintf(stderr, "bench-slim: slim_mac_compute failed\n");
		exit(1);
	}
	b->h.has_header_mac = true;
	b->h.header_mac.data = b->mac;
	b->h.header_mac.len = SLIM_MAC_LEN;
}

uint8_t *bslim_subscribe(struct bslim_app *a, size_t *len)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Subscribe s = DATAPLANE__PROTO__V1__SUBSCRIBE__INIT;
	struct bench_hdr b;

	header(a, &b);
	s.header = &b.h;
	s.has_subscription_id = true;
	s.subscription_id = 1;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE;
	m.subscribe = &s;
	return frame(&m, len);
}

uint8_t *bslim_publish(struct bslim_app *a, uint32_t size, size_t *len)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Publish p = DATAPLANE__PROTO__V1__PUBLISH__INIT;
	Dataplane__Proto__V1__SessionHeader sh = DATAPLANE__PROTO__V1__SESSION_HEADER__INIT;
	Dataplane__Proto__V1__Content ct = DATAPLANE__PROTO__V1__CONTENT__INIT;
	Dataplane__Proto__V1__ApplicationPayload ap = DATAPLANE__PROTO__V1__APPLICATION_PAYLOAD__INIT;
	uint8_t *blob = calloc(1, size + 1), *out;
	struct bench_hdr b;

	if (blob == NULL) {
		fprintf(stderr, "bench-slim: out of memory\n");
		exit(1);
	}
	header(a, &b);
	sh.has_session_type = sh.has_session_message_type = sh.has_session_id =
		sh.has_message_id = true;
	sh.session_type = 1;
	sh.session_message_type = 1;
	sh.session_id = 1;
	sh.message_id = 1;
	ap.payload_type = (char *)"bench";
	ap.has_blob = true;
	ap.blob.data = blob;
	ap.blob.len = size;
	ct.content_type_case = DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD;
	ct.app_payload = &ap;
	p.header = &b.h;
	p.session = &sh;
	p.msg = &ct;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH;
	m.publish = &p;
	out = frame(&m, len);
	free(blob);
	return out;
}

bool bslim_is_ack(const uint8_t *msg, size_t len)
{
	Dataplane__Proto__V1__Message *m = dataplane__proto__v1__message__unpack(NULL, len, msg);
	bool ok = m != NULL &&
		  m->message_type_case ==
			  DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIPTION_ACK &&
		  m->subscription_ack->has_success && m->subscription_ack->success;

	if (m != NULL) {
		dataplane__proto__v1__message__free_unpacked(m, NULL);
	}
	return ok;
}
