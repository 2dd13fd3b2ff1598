/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_bridge_path.c - the "path" section of perf/bench-bridge
 * (bench_bridge_path.h): two SLIM nodes in one thread, each the data plane
 * of one organisation's bridge, fed by in-memory HTTP/2 connections.
 *
 * The world (made once per seal mode, AES-256-GCM or MLS):
 *   node A  acme's bridge: trust domain acme.example, its policy compiled by
 *           the control library (pol_compile) into a snapshot with BUNDLES
 *           (acme's and partner-corp's JWKS), SEALS (trust acme-partner) and
 *           MLS (A's epoch record) tables; identity cache, content rules,
 *           bridge worker and view, bridge status object, audit ring 0.
 *   node B  partner-corp's bridge, the same with trust partner-acme and B's
 *           epoch record; audit ring 1.
 *   The two bridges are the two members of one MLS group (mls_group: create,
 *   add, commit, join; mls_export_group), whose exporter gives the SEALS
 *   secret. A dials B: a SLIM link on an HTTP/2 connection in memory
 *   (slim_node_link_attach_trust: A's trust link), over which B announces
 *   its apps' subscriptions, A sends its sealed records and B acknowledges
 *   each record.
 *   Apps (SLIM client connections with link negotiation and header MAC,
 *   bench_slim_app.c): on A, acme/sales-app/bench-sales (the publisher; its
 *   JWT-SVID in every header), acme/sales-app/bench-peer and
 *   acme/hr-app/bench-hr; on B, partner-corp/partner-app/bench-partner.
 *
 * A turn: the publisher writes |batch| publishes (pre-encoded and signed
 * once), then the wires are pumped until nothing moves; each node's
 * slim_node_poll_end runs after a pass in which it took input (one poll
 * iteration: one record per batch). The TSC is read around every call into
 * a node's HTTP/2 connection (input, output scheduling) and around
 * slim_node_poll_end, and charged to that node: "A" and "B" are the two
 * bridges' cycles per delivered message. The apps' work is not counted.
 * The audit rings are drained by the bench after every turn.
 *
 * Checks on every slice: the subscriber got exactly what was sent, the
 * publisher got nothing back (a denial comes back as an error
 * notification), each node wrote the audit records the path owes. A row
 * that fails prints FAILED and the nodes' drop counters instead of numbers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit_ring.h"
#include "bench_bridge_path.h"
#include "bench_slim_app.h"
#include "bridge.h"
#include "crypto_aead.h"
#include "data_plane.pb-c.h"
#include "grpc_client.h"
#include "grpc_frame.h"
#include "grpc_server.h"
#include "h2_conn.h"
#include "id_b64.h"
#include "id_cache.h"
#include "id_jwt.h"
#include "id_mint.h"
#include "mls_export.h"
#include "mls_group.h"
#include "pbconv.h"
#include "perf_util.h"
#include "pol_compile.h"
#include "pol_model.h"
#include "policy.h"
#include "policy_bundles.h"
#include "policy_mls.h"
#include "policy_rules.h"
#include "policy_seals.h"
#include "seal.h"
#include "slim_mac.h"
#include "slim_node.h"

#define SLICES 9
#define TD_A "acme.example"
#define TD_B "partner.example"
#define KID_A "acme-jwt-1"
#define KID_B "partner-jwt-1"
#define AUDIENCE "slimbridge"
#define GROUP_ID "sbseal:bench-acme-partner"
#define SEAL_LABEL "slimbridge seal v1"
#define TOKEN_A 0x5b01u	/* the data-plane tokens the MLS epochs are made for */
#define TOKEN_B 0x5b02u
#define NAME_ID 1	/* every name's id (id_0 0, id_1 1) */
#define MAX_BATCH 64

/* The content rules both bridges scan with: two patterns the payload never matches. */
#define DLP_RULES \
	"contentRuleSets:\n" \
	"  - id: dlp\n" \
	"    rules:\n" \
	"      - {id: 1, pattern: '\\b\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}\\b', action: block}\n" \
	"      - {id: 2, pattern: 'CONFIDENTIAL', action: block, caseless: true}\n"

static const char *const policy_a =
	"tenants:\n"
	"  - {id: acme, trustDomain: acme.example, settings: {slim: {capabilityEnabled: true}}}\n"
	"  - {id: partner-corp, trustDomain: partner.example, local: false}\n"
	"apps:\n"
	"  - {id: sales-app, tenant: acme}\n"
	"  - {id: hr-app, tenant: acme}\n"
	"  - {id: partner-app, tenant: partner-corp}\n"
	DLP_RULES
	"projects:\n"
	"  - id: sales\n"
	"    app: sales-app\n"
	"    contentRuleSet: dlp\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      allowedOrganizations:\n"
	"        - {organization: 'internal:hr-app', permissions: [task, query]}\n"
	"        - {organization: 'external:partner-corp', permissions: [task, query]}\n"
	"  - id: hr\n"
	"    app: hr-app\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      allowedOrganizations: [{organization: 'internal:sales-app'}]\n"
	"agents:\n"
	"  - {id: bench-sales, app: sales-app, project: sales,\n"
	"     spiffeId: 'spiffe://acme.example/tenant/acme/agent/bench-sales',\n"
	"     slimConfig: {enabled: true, outbound: true, inbound: true}}\n"
	"  - {id: bench-peer, app: sales-app, project: sales,\n"
	"     slimConfig: {enabled: true, outbound: true, inbound: true}}\n"
	"  - {id: bench-hr, app: hr-app, project: hr,\n"
	"     slimConfig: {enabled: true, outbound: true, inbound: true}}\n"
	"  - {id: bench-partner, app: partner-app}\n"
	"trustRelationships:\n"
	"  - {id: acme-partner, tenant: acme, organization: 'external:partner-corp',\n"
	"     peerTrustDomain: partner.example, state: established}\n";

static const char *const policy_b =
	"tenants:\n"
	"  - {id: partner-corp, trustDomain: partner.example,\n"
	"     settings: {slim: {capabilityEnabled: true}}}\n"
	"  - {id: acme, trustDomain: acme.example, local: false}\n"
	"apps:\n"
	"  - {id: partner-app, tenant: partner-corp}\n"
	"  - {id: sales-app, tenant: acme}\n"
	DLP_RULES
	"projects:\n"
	"  - id: partner-api\n"
	"    app: partner-app\n"
	"    contentRuleSet: dlp\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      allowedOrganizations: [{organization: 'external:acme', permissions: [task, query]}]\n"
	"agents:\n"
	"  - {id: bench-partner, app: partner-app, project: partner-api,\n"
	"     spiffeId: 'spiffe://partner.example/tenant/partner-corp/agent/bench-partner',\n"
	"     slimConfig: {enabled: true, outbound: true, inbound: true,\n"
	"                  allowedCallers: [{organization: 'external:acme', permissions: [task, query]}]}}\n"
	"  - {id: bench-sales, app: sales-app}\n"
	"trustRelationships:\n"
	"  - {id: partner-acme, tenant: partner-corp, organization: 'external:acme',\n"
	"     peerTrustDomain: acme.example, state: established}\n";

enum path_kind { P_PLAIN = 0, P_APP, P_ORG, P_MAX };

static const char *const path_names[P_MAX] = {"plain", "cross-app", "cross-org"};

struct agent_name {
	const char *tenant, *app, *agent;
};

static const struct agent_name n_sales = {"acme", "sales-app", "bench-sales"};
static const struct agent_name n_peer = {"acme", "sales-app", "bench-peer"};
static const struct agent_name n_hr = {"acme", "hr-app", "bench-hr"};
static const struct agent_name n_partner = {"partner-corp", "partner-app", "bench-partner"};

struct node;

/*
 * A node's end of one connection. Its output is visited (and timed) only
 * when it may have some: it took input, or the node queued a message on it
 * (the gRPC kick), as a worker visits only connections with work.
 */
struct ep {
	struct h2_conn *h2;
	struct node *node;
	bool dirty;
};

/* One SLIM app: the client end of an OpenChannel call on one of a node's connections. */
struct app {
	struct node *node;
	struct h2_conn *cli;
	struct grpc_sconn *srv;	/* the node's end */
	struct ep ep;		/* ... as the pump sees it */
	uint32_t sid;
	struct grpc_reader rd;
	struct bslim_app link;
	const struct agent_name *name;
	uint64_t got;		/* messages received after negotiation */
	bool check;		/* decode the next one and check it */
	const char *check_err;	/* what was wrong with it (NULL: fine) */
	const char *token;
	uint32_t size;
};

/* One bridge's data plane, one worker. */
struct node {
	const char *label;
	struct crypto_aead_engine *engine;
	struct grpc_server *srv;
	struct slim_node *slim;
	struct pol_image img;
	bool img_ok;
	struct sb_shm_snapshot *snap;
	size_t snap_len;
	struct policy_view view;
	struct policy_rules_counters rctr;
	struct policy_rules_worker *rules;
	struct id_bundle_set bundles;
	struct id_cache *idc;
	struct bridge_status *bs;
	struct bridge_view bv;
	struct bridge_worker *bw;
	struct audit_ring ring;
	uint64_t audited;	/* records the bench drained */
	uint64_t tsc;		/* cycles charged to this node */
};

struct world {
	uint8_t mode;		/* enum sb_pol_seal_mode of the trust */
	char tag[48];		/* shm names: sbbench-<pid>-<mode> */
	char audit_path[96];
	struct audit_shm *audit;
	struct node a, b;
	struct app x, peer, hr, partner;
	struct grpc_cconn *link;	/* A's end of the link */
	struct grpc_sconn *link_srv;	/* B's end */
	struct ep link_a, link_b;
	uint64_t unkicked;		/* output found on an end nobody kicked (pump check) */
	bool noted_records;
	uint64_t clock_ns;
	char token[2048];
	uint8_t *pub[P_MAX];
	size_t pub_len[P_MAX];
	char err[512];
};

static const struct bpath_opts *opt;
static struct h2_pool *pool;
static char failures[8192];	/* details of failed rows, printed after the table */
static size_t failures_len;
static char atexit_paths[8][96];	/* shm objects to remove on any exit */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-bridge: %s: %s\n", what, strerror(err));
	exit(1);
}

static void remove_shm(void)
{
	for (unsigned i = 0; i < sizeof(atexit_paths) / sizeof(atexit_paths[0]); i++) {
		if (atexit_paths[i][0] != '\0') {
			(void)shm_unlink(atexit_paths[i]);
			atexit_paths[i][0] = '\0';
		}
	}
}

static void remember_shm(const char *path)
{
	for (unsigned i = 0; i < sizeof(atexit_paths) / sizeof(atexit_paths[0]); i++) {
		if (atexit_paths[i][0] == '\0') {
			snprintf(atexit_paths[i], sizeof(atexit_paths[i]), "%s", path);
			return;
		}
	}
}

__attribute__((format(printf, 2, 3))) static int fail(struct world *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 1, 2))) static void note_failure(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (failures_len >= sizeof(failures) - 1) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(failures + failures_len, sizeof(failures) - failures_len, fmt, ap);
	va_end(ap);
	if (n > 0) {
		failures_len += (size_t)n;
		if (failures_len >= sizeof(failures)) {
			failures_len = sizeof(failures) - 1;
		}
	}
}

/* ---- SLIM messages the apps send ------------------------------------------ */

static uint64_t comp(const char *s)
{
	return policy_name_hash(s, (uint32_t)strlen(s));
}

struct hdr_names {
	Dataplane__Proto__V1__Name src, dst;
	Dataplane__Proto__V1__EncodedName es, ed;
	Dataplane__Proto__V1__NameId id;
};

static void names_fill(struct hdr_names *hn, const struct agent_name *src, const struct agent_name *dst)
{
	dataplane__proto__v1__name__init(&hn->src);
	dataplane__proto__v1__name__init(&hn->dst);
	dataplane__proto__v1__encoded_name__init(&hn->es);
	dataplane__proto__v1__encoded_name__init(&hn->ed);
	dataplane__proto__v1__name_id__init(&hn->id);
	hn->id.has_id_0 = hn->id.has_id_1 = true;
	hn->id.id_1 = NAME_ID;
	hn->es.has_component_0 = hn->es.has_component_1 = hn->es.has_component_2 = true;
	hn->es.component_0 = comp(src->tenant);
	hn->es.component_1 = comp(src->app);
	hn->es.component_2 = comp(src->agent);
	hn->es.name_id = &hn->id;
	hn->ed = hn->es;
	hn->ed.component_0 = comp(dst->tenant);
	hn->ed.component_1 = comp(dst->app);
	hn->ed.component_2 = comp(dst->agent);
	hn->src.name = &hn->es;
	hn->dst.name = &hn->ed;
}

static uint8_t *frame(const Dataplane__Proto__V1__Message *m, size_t *len)
{
	size_t n = dataplane__proto__v1__message__get_packed_size(m);
	uint8_t *buf = malloc(n + GRPC_PREFIX_LEN);

	if (buf == NULL) {
		die("malloc", ENOMEM);
	}
	grpc_prefix_put(buf, (uint32_t)n);
	dataplane__proto__v1__message__pack(m, buf + GRPC_PREFIX_LEN);
	*len = n + GRPC_PREFIX_LEN;
	return buf;
}

/* Signs |h| for |a|'s link into |mac|. */
static void sign(struct app *a, Dataplane__Proto__V1__SLIMHeader *h, uint8_t mac[SLIM_MAC_LEN])
{
	h->has_header_mac = false;
	if (slim_mac_compute(&a->link.mac, h, mac) != 0) {
		die("slim_mac_compute", EIO);
	}
	h->has_header_mac = true;
	h->header_mac.data = mac;
	h->header_mac.len = SLIM_MAC_LEN;
}

/* A signed Subscribe of |a| to its own name, subscription id 1. */
static uint8_t *enc_subscribe(struct app *a, size_t *len)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Subscribe s = DATAPLANE__PROTO__V1__SUBSCRIBE__INIT;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	uint8_t mac[SLIM_MAC_LEN];
	struct hdr_names hn;

	names_fill(&hn, a->name, a->name);
	h.source = &hn.src;
	h.destination = &hn.dst;
	h.has_fanout = h.has_ttl = true;
	h.fanout = 1;
	h.ttl = 8;
	sign(a, &h, mac);
	s.header = &h;
	s.has_subscription_id = true;
	s.subscription_id = 1;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE;
	m.subscribe = &s;
	return frame(&m, len);
}

/* The payload: text that none of the content rules match. */
static void payload_fill(uint8_t *p, uint32_t n)
{
	static const char text[] = "quarterly pipeline review for the enterprise deal desk; ";

	for (uint32_t i = 0; i < n; i++) {
		p[i] = (uint8_t)text[i % (sizeof(text) - 1)];
	}
}

/* A signed anycast Publish from |a| to |to| with |size| payload bytes and |token| as identity. */
static uint8_t *enc_publish(struct app *a, const struct agent_name *to, const char *token,
			    uint32_t size, size_t *len)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Publish p = DATAPLANE__PROTO__V1__PUBLISH__INIT;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__SessionHeader sh = DATAPLANE__PROTO__V1__SESSION_HEADER__INIT;
	Dataplane__Proto__V1__Content ct = DATAPLANE__PROTO__V1__CONTENT__INIT;
	Dataplane__Proto__V1__ApplicationPayload ap = DATAPLANE__PROTO__V1__APPLICATION_PAYLOAD__INIT;
	uint8_t mac[SLIM_MAC_LEN], *blob = malloc(size + 1), *out;
	struct hdr_names hn;

	if (blob == NULL) {
		die("malloc", ENOMEM);
	}
	payload_fill(blob, size);
	names_fill(&hn, a->name, to);
	h.source = &hn.src;
	h.destination = &hn.dst;
	h.identity = (char *)token;
	h.has_fanout = h.has_ttl = true;
	h.fanout = 1;
	h.ttl = 8;
	sign(a, &h, mac);
	sh.has_session_type = sh.has_session_message_type = sh.has_session_id = sh.has_message_id = true;
	sh.session_type = DATAPLANE__PROTO__V1__SESSION_TYPE__SESSION_TYPE_POINT_TO_POINT;
	sh.session_message_type = 1;
	sh.session_id = 1;
	sh.message_id = 1;
	ap.payload_type = (char *)"bench";
	ap.has_blob = true;
	ap.blob.data = blob;
	ap.blob.len = size;
	ct.content_type_case = DATAPLANE__PROTO__V1__CONTENT__CONTENT_TYPE_APP_PAYLOAD;
	ct.app_payload = &ap;
	p.header = &h;
	p.session = &sh;
	p.msg = &ct;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH;
	m.publish = &p;
	out = frame(&m, len);
	free(blob);
	return out;
}

/* ---- the apps' connections ------------------------------------------------- */

/* A delivered message, checked when asked: a Publish, no error, the payload and identity intact. */
static const char *check_delivered(const struct app *a, const uint8_t *msg, size_t len)
{
	Dataplane__Proto__V1__Message *m = dataplane__proto__v1__message__unpack(NULL, len, msg);
	const Dataplane__Proto__V1__SLIMHeader *h = NULL;
	const Dataplane__Proto__V1__Content *ct = NULL;
	const char *why = NULL;

	if (m != NULL && m->message_type_case == DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH) {
		h = m->publish->header;
		ct = m->publish->msg;
	}
	if (h == NULL) {
		why = "not a Publish";
	} else if (h->has_error && h->error) {
		why = "an error notification";
	} else if (ct == NULL || ct->app_payload == NULL || !ct->app_payload->has_blob ||
		   ct->app_payload->blob.len != a->size) {
		why = "the payload is not the one sent";
	} else if (h->identity == NULL || strcmp(h->identity, a->token) != 0) {
		why = "the identity is not the sender's token";
	}
	if (m != NULL) {
		dataplane__proto__v1__message__free_unpacked(m, NULL);
	}
	return why;
}

static int app_msg(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct app *a = arg;

	(void)compressed;
	if (!a->link.negotiated) {
		if (bslim_link_reply(&a->link, msg, len) != 0) {
			die("an app's link negotiation", EPROTO);
		}
		return 0;
	}
	if (a->check) {
		a->check = false;
		a->check_err = check_delivered(a, msg, len);
	}
	a->got++;
	return 0;
}

static int app_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n, bool end,
		    void *user)
{
	struct app *a = user;

	(void)c;
	(void)sid;
	(void)su;
	(void)end;
	return grpc_reader_feed(&a->rd, p, n, app_msg, a) < 0 ? -EIO : 0;
}

static const struct h2_callbacks app_cb = {.on_data = app_data};

static void kick(void *arg)
{
	((struct ep *)arg)->dirty = true;
}

/*
 * Moves |from|'s output into |to|: the output calls are charged to
 * |*t_from|, the input calls to |*t_to| (NULL: an app's, not counted).
 * Returns whether bytes moved.
 */
static bool move(struct h2_conn *from, struct h2_conn *to, uint64_t *t_from, uint64_t *t_to)
{
	struct iovec iov[64];
	bool moved = false;

	for (;;) {
		uint64_t t0 = __rdtsc(), t1;
		unsigned n = h2_conn_out_iov(from, iov, 64);
		size_t total = 0;

		t1 = __rdtsc();
		if (t_from != NULL) {
			*t_from += t1 - t0;
		}
		if (n == 0) {
			return moved;
		}
		t0 = __rdtsc();
		for (unsigned i = 0; i < n; i++) {
			if (h2_conn_recv(to, iov[i].iov_base, iov[i].iov_len) != (long)iov[i].iov_len) {
				die("h2_conn_recv: a connection refused input", EPROTO);
			}
			total += iov[i].iov_len;
		}
		t1 = __rdtsc();
		if (t_to != NULL) {
			*t_to += t1 - t0;
		}
		t0 = __rdtsc();
		h2_conn_out_consume(from, total);
		t1 = __rdtsc();
		if (t_from != NULL) {
			*t_from += t1 - t0;
		}
		moved = true;
	}
}

/* An app's output into its node. */
static bool move_in(struct app *a)
{
	bool moved = move(a->cli, a->ep.h2, NULL, &a->ep.node->tsc);

	a->ep.dirty |= moved;
	return moved;
}

/* A node's output to its app, when it may have some. */
static bool move_out(struct app *a)
{
	if (!a->ep.dirty) {
		return false;
	}
	a->ep.dirty = false;
	return move(a->ep.h2, a->cli, &a->ep.node->tsc, NULL);
}

/* One node's output to the other over the link. */
static bool move_link(struct ep *from, struct ep *to)
{
	bool moved;

	if (!from->dirty) {
		return false;
	}
	from->dirty = false;
	moved = move(from->h2, to->h2, &from->node->tsc, &to->node->tsc);
	to->dirty |= moved;
	return moved;
}

static void poll_end(struct node *n)
{
	uint64_t t0 = __rdtsc();

	slim_node_poll_end(n->slim);
	n->tsc += __rdtsc() - t0;
}

/* The apps of node |n| in |w| (NULL-terminated). */
static void apps_of(struct world *w, struct node *n, struct app **out)
{
	struct app *all[] = {&w->x, &w->peer, &w->hr, &w->partner};
	unsigned k = 0;

	for (unsigned i = 0; i < 4; i++) {
		if (all[i]->node == n && all[i]->cli != NULL) {
			out[k++] = all[i];
		}
	}
	out[k] = NULL;
}

/*
 * One pass: node A's poll iteration (input from its apps and the link,
 * poll_end, output), then node B's. Returns whether anything moved.
 */
static bool pass(struct world *w)
{
	struct app *as[5], *bs[5];
	bool rx_a = false, rx_b = false, any = false;

	apps_of(w, &w->a, as);
	apps_of(w, &w->b, bs);
	for (unsigned i = 0; as[i] != NULL; i++) {
		rx_a |= move_in(as[i]);
	}
	if (w->link != NULL) {
		rx_a |= move_link(&w->link_b, &w->link_a);
	}
	if (rx_a) {
		poll_end(&w->a);
	}
	for (unsigned i = 0; as[i] != NULL; i++) {
		any |= move_out(as[i]);
	}
	if (w->link != NULL) {
		rx_b |= move_link(&w->link_a, &w->link_b);
	}
	for (unsigned i = 0; bs[i] != NULL; i++) {
		rx_b |= move_in(bs[i]);
	}
	if (rx_b) {
		poll_end(&w->b);
	}
	for (unsigned i = 0; bs[i] != NULL; i++) {
		any |= move_out(bs[i]);
	}
	return any || rx_a || rx_b;
}

/*
 * Passes until nothing moves. Then a check, not timed: output on a node's
 * end that nobody kicked would be missed by the pump; it is counted and
 * moved.
 */
static void settle(struct world *w)
{
	for (int round = 0; round < 1000; round++) {
		struct ep *eps[6] = {&w->x.ep, &w->peer.ep, &w->hr.ep, &w->partner.ep, &w->link_a,
				     &w->link_b};
		bool more = false;

		for (int i = 0; i < 100000 && pass(w); i++) {
		}
		for (int i = 0; i < 6; i++) {
			if (eps[i]->h2 != NULL && h2_conn_out_pending(eps[i]->h2) > 0) {
				eps[i]->dirty = more = true;
				w->unkicked++;
			}
		}
		if (!more) {
			return;
		}
	}
}

/*
 * Sends |n| copies of one framed message from |a|: one write of up to
 * MAX_BATCH; when the stream cannot take that much, a pass lets the node
 * read, and the write is tried again (halved when nothing moved).
 */
static void app_send(struct world *w, struct app *a, const uint8_t *buf, size_t len, uint32_t n)
{
	struct iovec iov[MAX_BATCH];
	uint32_t done = 0;

	for (uint32_t i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = (void *)(uintptr_t)buf;
		iov[i].iov_len = len;
	}
	while (done < n) {
		uint32_t k = n - done < MAX_BATCH ? n - done : MAX_BATCH;
		int tries = 0, rc;

		while ((rc = h2_stream_writev(a->cli, a->sid, iov, k, false)) != 0) {
			if ((rc != -EAGAIN && rc != -ENOBUFS) || ++tries > 1000) {
				die("h2_stream_writev (app)", -rc);
			}
			if (!pass(w) && k > 1) {
				k = (k + 1) / 2;
			}
		}
		done += k;
	}
}

static int app_open(struct world *w, struct app *a, struct node *n, const struct agent_name *name)
{
	static const struct h2_header req[] = {
		{":method", "POST", 7, 4},
		{":scheme", "http", 7, 4},
		{":authority", "bench", 10, 5},
		{":path", SLIM_OPEN_CHANNEL, 5, sizeof(SLIM_OPEN_CHANNEL) - 1},
		{"content-type", "application/grpc", 12, 16},
		{"te", "trailers", 2, 8},
	};
	struct h2_conf sc, cc;
	long sid;
	size_t len;
	uint8_t *buf;

	memset(a, 0, sizeof(*a));
	a->node = n;
	a->name = name;
	a->token = w->token;
	a->size = opt->size;
	h2_conf_default(&sc, true);
	h2_conf_default(&cc, false);
	a->srv = grpc_sconn_new(n->srv, &sc, pool, 0);
	a->cli = h2_conn_new(&cc, &app_cb, a, pool, 0);
	grpc_reader_init(&a->rd, 8u << 20);
	if (a->srv == NULL || a->cli == NULL || bslim_app_init(&a->link) != 0) {
		return fail(w, "app %s/%s/%s: connection set-up failed", name->tenant, name->app,
			    name->agent);
	}
	a->ep = (struct ep){.h2 = grpc_sconn_h2(a->srv), .node = n, .dirty = true};
	grpc_sconn_set_kick(a->srv, kick, &a->ep);
	sid = h2_submit_request(a->cli, req, 6, false, NULL);
	if (sid < 0) {
		return fail(w, "h2_submit_request: %s", strerror((int)-sid));
	}
	a->sid = (uint32_t)sid;
	buf = bslim_link_request(&a->link, &len);
	app_send(w, a, buf, len, 1);
	free(buf);
	settle(w);
	if (!a->link.negotiated) {
		return fail(w, "app %s/%s/%s: no link negotiation reply from node %s", name->tenant,
			    name->app, name->agent, n->label);
	}
	return 0;
}

static void app_close(struct app *a)
{
	grpc_sconn_free(a->srv);
	h2_conn_free(a->cli);
	grpc_reader_cleanup(&a->rd);
	bslim_app_cleanup(&a->link);
	memset(a, 0, sizeof(*a));
}

/* ---- the bridges' state ----------------------------------------------------- */

/* A JWKS holding |key| (EC P-256) for JWT-SVIDs under |kid|. */
static int jwks_of(EVP_PKEY *key, const char *kid, char *out, size_t cap)
{
	BIGNUM *x = NULL, *y = NULL;
	uint8_t xb[32], yb[32];
	char xs[64], ys[64];
	int rc = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, xb, 32) == 32 && BN_bn2binpad(y, yb, 32) == 32 &&
	    id_b64url_encode(xb, 32, xs, sizeof(xs)) > 0 && id_b64url_encode(yb, 32, ys, sizeof(ys)) > 0) {
		int n = snprintf(out, cap,
				 "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"jwt-svid\","
				 "\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}]}",
				 kid, xs, ys);

		rc = n > 0 && (size_t)n < cap ? 0 : -1;
	}
	BN_free(x);
	BN_free(y);
	return rc;
}

/* Two members of one MLS group (suite |suite|), epoch 1: each one's epoch record, and the seal secret. */
static int mls_pair(struct world *w, uint8_t **rec_a, size_t *len_a, uint8_t **rec_b, size_t *len_b,
		    uint8_t secret[32])
{
	const struct mls_suite *s = mls_suite_get(opt->suite);
	struct mls_signer *sa = NULL, *sb = NULL;
	struct mls_group *ga = NULL, *gb = NULL;
	struct mls_kp *kp = NULL;
	struct mls_commit_result cr;
	struct mls_commit_opts co = {.tree_in_welcome = true};
	const uint8_t *kpm;
	size_t kplen;
	int rc;

	memset(&cr, 0, sizeof(cr));
	if (s == NULL) {
		return fail(w, "mls_suite_get(%u): no such suite", opt->suite);
	}
	rc = mls_signer_new(s, (const uint8_t *)"bridge.acme.example", 19, NULL, 0, &sa);
	if (rc == 0) {
		rc = mls_signer_new(s, (const uint8_t *)"bridge.partner.example", 22, NULL, 0, &sb);
	}
	if (rc == 0) {
		rc = mls_group_create(sa, (const uint8_t *)GROUP_ID, sizeof(GROUP_ID) - 1, &ga);
	}
	if (rc == 0) {
		rc = mls_kp_create(sb, 0, UINT64_MAX, &kp);
	}
	if (rc == 0) {
		kpm = mls_kp_message(kp, &kplen);
		rc = mls_group_propose_add(ga, kpm, kplen);
	}
	if (rc == 0) {
		rc = mls_group_commit(ga, &co, &cr);
	}
	if (rc == 0) {
		rc = cr.welcome != NULL ? mls_group_join(kp, cr.welcome, cr.welcome_len, NULL, &gb)
					: -EPROTO;
	}
	if (rc == 0) {
		rc = mls_group_export_secret(ga, SEAL_LABEL, sizeof(SEAL_LABEL) - 1,
					     (const uint8_t *)GROUP_ID, sizeof(GROUP_ID) - 1, secret, 32);
	}
	if (rc == 0) {
		rc = mls_export_group(ga, rec_a, len_a);
	}
	if (rc == 0) {
		rc = mls_export_group(gb, rec_b, len_b);
	}
	mls_commit_result_free(&cr);
	mls_kp_free(kp);
	mls_group_free(ga);
	mls_group_free(gb);
	mls_signer_free(sa);
	mls_signer_free(sb);
	return rc == 0 ? 0 : fail(w, "the trust's MLS group (create, add, commit, join, export): %s",
				  strerror(-rc));
}

/* An extra snapshot table. */
struct xtab {
	uint32_t kind;
	const uint8_t *data;
	size_t len;
	uint64_t count;
};

/* The snapshot as the control process publishes it: the policy tables, then the extra ones (64-aligned). */
static struct sb_shm_snapshot *snap_build(const struct pol_image *img, const struct xtab *x, uint32_t nx,
					  size_t *out_len)
{
	struct sb_shm_snapshot *s;
	size_t off = img->len, total;

	for (uint32_t i = 0; i < nx; i++) {
		off = ((off + 63) & ~(size_t)63) + x[i].len;
	}
	total = sizeof(*s) + off;
	s = aligned_alloc(64, (total + 63) & ~(size_t)63);
	if (s == NULL || img->nb_tables + nx > SB_SHM_MAX_TABLES) {
		die("snapshot", ENOMEM);
	}
	memset(s, 0, (total + 63) & ~(size_t)63);
	s->magic = SB_SHM_SNAP_MAGIC;
	s->epoch = 1;
	s->size = total;
	s->nb_tables = img->nb_tables + nx;
	for (uint32_t i = 0; i < img->nb_tables; i++) {
		s->tables[i] = img->tables[i];
		s->tables[i].offset += sizeof(*s);
	}
	memcpy(s + 1, img->data, img->len);
	off = img->len;
	for (uint32_t i = 0; i < nx; i++) {
		off = (off + 63) & ~(size_t)63;
		memcpy((uint8_t *)(s + 1) + off, x[i].data, x[i].len);
		s->tables[img->nb_tables + i] = (struct sb_shm_table){
			.kind = x[i].kind, .offset = sizeof(*s) + off, .size = x[i].len, .count = x[i].count,
		};
		off += x[i].len;
	}
	*out_len = (total + 63) & ~(size_t)63;
	return s;
}

/* The index of trust |id| in the image's TRUSTS table, or -1. */
static int trust_index(const struct pol_image *img, const char *id)
{
	uint64_t tsz = 0, ssz = 0;
	const struct sb_pol_trust *t = pol_image_table(img, SB_POL_TABLE_TRUSTS, &tsz);
	const char *str = pol_image_table(img, SB_POL_TABLE_STRINGS, &ssz);

	for (uint64_t i = 0; t != NULL && str != NULL && i < tsz / sizeof(*t); i++) {
		if (t[i].name < ssz && strcmp(str + t[i].name, id) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* What one node is made of. */
struct node_spec {
	const char *label;	/* "A" / "B" */
	const char *yaml;
	const char *td;		/* our trust domain */
	const char *trust_id;
	const char *peer_td;
	uint32_t own_leaf;
	uint32_t token;
	const uint8_t *bundles;	/* BUNDLES table */
	size_t bundles_len;
	const uint8_t *mls_rec;	/* this bridge's epoch record */
	size_t mls_rec_len;
	const uint8_t *secret;
	uint32_t ring;
};

static const struct policy_view *cb_policy(void *arg, const struct policy_rules_worker **rules)
{
	struct node *n = arg;

	*rules = n->rules;
	return &n->view;
}

static const struct bridge_view *cb_bridge(void *arg)
{
	return &((struct node *)arg)->bv;
}

/* The trust bundles of the snapshot into |n->bundles| (as the data plane's main lcore reads them). */
static int bundles_read(struct world *w, struct node *n)
{
	uint64_t size = 0;
	const void *tab = policy_bundles_table(n->snap, &size);
	const char *why = "";
	int cnt;

	id_bundle_set_init(&n->bundles);
	if (tab == NULL) {
		return fail(w, "node %s: no BUNDLES table in the snapshot", n->label);
	}
	cnt = policy_bundles_check(tab, size, &why);
	if (cnt < 0) {
		return fail(w, "node %s: policy_bundles_check: %s", n->label, why);
	}
	for (uint32_t i = 0; i < (uint32_t)cnt; i++) {
		struct policy_bundle pb;
		struct id_bundle *b = NULL;
		char perr[160] = "";
		int rc = policy_bundles_get(tab, i, &pb);

		if (rc == 0) {
			rc = id_bundle_parse(pb.td, pb.td_len, pb.json, pb.json_len, &b, perr, sizeof(perr));
		}
		if (rc == 0) {
			rc = id_bundle_set_put(&n->bundles, b);
			if (rc != 0) {
				id_bundle_free(b);
			}
		}
		if (rc != 0) {
			return fail(w, "node %s: bundle %u: %s %s", n->label, i, strerror(-rc), perr);
		}
	}
	return 0;
}

static int node_open(struct world *w, struct node *n, const struct node_spec *sp)
{
	ProtobufCMessage *msg = NULL;
	struct pol_model *m;
	struct slim_node_conf nc;
	struct policy_seal_ent se;
	uint8_t *seals = NULL, *mlst = NULL;
	size_t seals_len = 0, mlst_len = 0;
	struct xtab x[3];
	uint32_t nx = 0;
	const char *why = "";
	char err[512] = "", name[64];
	int ti, rc;

	n->label = sp->label;
	rc = pbconv_yaml_parse(sp->yaml, strlen(sp->yaml), &slimbridge__control__v1__policy__descriptor,
			       &msg, err, sizeof(err));
	if (rc != 0) {
		return fail(w, "node %s: the policy does not parse: %s", n->label, err);
	}
	m = pol_model_new((pb_policy *)msg, err, sizeof(err));
	if (m == NULL) {
		protobuf_c_message_free_unpacked(msg, NULL);
		return fail(w, "node %s: the policy does not validate: %s", n->label, err);
	}
	rc = pol_compile(m, 1, &n->img, err, sizeof(err));
	pol_model_free(m);
	if (rc != 0) {
		return fail(w, "node %s: pol_compile: %s (%s)", n->label, strerror(-rc), err);
	}
	n->img_ok = true;
	ti = trust_index(&n->img, sp->trust_id);
	if (ti < 0) {
		return fail(w, "node %s: trust %s not in the compiled TRUSTS", n->label, sp->trust_id);
	}
	/* SEALS: the trust's entry, READY, for this data plane's token. */
	memset(&se, 0, sizeof(se));
	se.trust_id = sp->trust_id;
	se.trust_id_len = strlen(sp->trust_id);
	se.s.trust = (uint32_t)ti;
	se.s.mode = w->mode;
	se.s.state = SB_POL_SEAL_READY;
	se.s.family = 4;
	se.s.addr[0] = 127;
	se.s.addr[3] = 1;
	se.s.port = 0;	/* no endpoint to dial: the bench carries the link itself */
	se.s.group_id_len = sizeof(GROUP_ID) - 1;
	se.s.peer_td_len = (uint16_t)strlen(sp->peer_td);
	se.s.own_leaf = sp->own_leaf;
	se.s.peer_leaf = 1 - sp->own_leaf;
	se.s.epoch = 1;
	memcpy(se.s.secret, sp->secret, 32);
	se.s.dp_token = sp->token;
	se.group_id = (const uint8_t *)GROUP_ID;
	se.peer_td = sp->peer_td;
	rc = policy_seals_build(&se, 1, &seals, &seals_len);
	OPENSSL_cleanse(&se, sizeof(se));
	if (rc != 0) {
		return fail(w, "node %s: policy_seals_build: %s", n->label, strerror(-rc));
	}
	{
		struct policy_mls_ent me = {
			.id = (const uint8_t *)GROUP_ID, .id_len = sizeof(GROUP_ID) - 1, .epoch = 1,
			.rec = sp->mls_rec, .rec_len = sp->mls_rec_len,
		};

		rc = policy_mls_build(&me, 1, &mlst, &mlst_len);
		if (rc != 0) {
			policy_seals_free(seals, seals_len);
			return fail(w, "node %s: policy_mls_build: %s", n->label, strerror(-rc));
		}
	}
	x[nx++] = (struct xtab){SB_POL_TABLE_MLS, mlst, mlst_len, 1};
	x[nx++] = (struct xtab){SB_POL_TABLE_BUNDLES, sp->bundles, sp->bundles_len, 2};
	x[nx++] = (struct xtab){SB_POL_TABLE_SEALS, seals, seals_len, 1};
	n->snap = snap_build(&n->img, x, nx, &n->snap_len);
	policy_seals_free(seals, seals_len);
	policy_mls_free(mlst, mlst_len);
	/* What the data plane's main lcore does with a new snapshot. */
	rc = policy_view_init(&n->view, n->snap, &why);
	if (rc != 0) {
		return fail(w, "node %s: policy_view_init: %s", n->label, why);
	}
	rc = policy_rules_worker_new(&n->view, 0, &n->rctr, &n->rules, &why);
	if (rc != 0) {
		return fail(w, "node %s: policy_rules_worker_new: %s (%s)", n->label, strerror(-rc), why);
	}
	if (bundles_read(w, n) != 0) {
		return -1;
	}
	snprintf(name, sizeof(name), "%s-%s", w->tag, sp->label);
	{
		char path[96];

		snprintf(path, sizeof(path), "/%s%s", name, SB_BRIDGE_SUFFIX);
		remember_shm(path);
	}
	rc = bridge_status_open(name, &n->bs, err, sizeof(err));
	if (rc != 0) {
		return fail(w, "node %s: bridge_status_open: %s", n->label, err);
	}
	rc = bridge_view_build(&n->bv, n->snap, &n->view, n->bs, &why);
	if (rc != 0) {
		return fail(w, "node %s: bridge_view_build: %s (%s)", n->label, strerror(-rc), why);
	}
	/* The worker's side. */
	n->engine = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	if (n->engine == NULL) {
		return fail(w, "node %s: crypto_aead_engine_new: %s", n->label, strerror(errno));
	}
	n->idc = id_cache_new(&(struct id_cache_conf){
		.entries = 16384, .neg_entries = 4096, .max_cold = 4, .leeway_s = 60,
		.audience = AUDIENCE}, 0x5eed0000u + sp->ring);
	if (n->idc == NULL) {
		return fail(w, "node %s: id_cache_new: %s", n->label, strerror(errno));
	}
	id_cache_set_bundles(n->idc, &n->bundles);
	n->bw = bridge_worker_new(0, sp->token, n->engine);
	if (n->bw == NULL) {
		return fail(w, "node %s: bridge_worker_new: out of memory", n->label);
	}
	bridge_worker_set_view(n->bw, &n->bv, w->clock_ns);
	audit_shm_ring(w->audit, sp->ring, &n->ring);
	n->srv = grpc_server_new();
	if (n->srv == NULL) {
		return fail(w, "node %s: grpc_server_new failed", n->label);
	}
	slim_node_conf_default(&nc);
	nc.node_id = sp->ring == 0 ? "bench-bridge-a" : "bench-bridge-b";
	nc.policy_view = cb_policy;
	nc.policy_arg = n;
	nc.identity = n->idc;
	nc.trust_domain = sp->td;
	nc.bridge = n->bw;
	nc.bridge_view = cb_bridge;
	nc.audit = &n->ring;
	nc.clock_ns = &w->clock_ns;
	n->slim = slim_node_new(&nc, n->srv);
	if (n->slim == NULL) {
		return fail(w, "node %s: slim_node_new failed", n->label);
	}
	return 0;
}

static void node_close(struct node *n)
{
	slim_node_free(n->slim);
	grpc_server_free(n->srv);
	bridge_worker_free(n->bw);
	id_cache_free(n->idc);
	crypto_aead_engine_free(n->engine);
	bridge_view_free(&n->bv);
	bridge_status_close(n->bs);
	id_bundle_set_clear(&n->bundles);
	policy_rules_worker_free(n->rules);
	if (n->snap != NULL) {
		OPENSSL_cleanse(n->snap, n->snap_len);	/* SEALS and MLS hold secrets */
		free(n->snap);
	}
	if (n->img_ok) {
		pol_image_cleanup(&n->img);
	}
	memset(n, 0, sizeof(*n));
}

static void world_close(struct world *w)
{
	for (int i = 0; i < P_MAX; i++) {
		free(w->pub[i]);
	}
	/* Connections first (their calls end into the nodes), then the nodes. */
	if (w->link != NULL) {
		grpc_cconn_free(w->link);
	}
	grpc_sconn_free(w->link_srv);
	if (w->x.cli != NULL) {
		app_close(&w->x);
	}
	if (w->peer.cli != NULL) {
		app_close(&w->peer);
	}
	if (w->hr.cli != NULL) {
		app_close(&w->hr);
	}
	if (w->partner.cli != NULL) {
		app_close(&w->partner);
	}
	node_close(&w->a);
	node_close(&w->b);
	audit_shm_close(w->audit);
	if (w->audit_path[0] != '\0') {
		(void)shm_unlink(w->audit_path);
	}
	OPENSSL_cleanse(w->token, sizeof(w->token));
}

static void clock_tick(struct world *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	w->clock_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Builds everything for seal mode |mode|. 0, or -1 with w->err. */
static int world_open(struct world *w, uint8_t mode)
{
	EVP_PKEY *ka = NULL, *kb = NULL;
	char jwks_a[512], jwks_b[512], err[256];
	uint8_t *rec_a = NULL, *rec_b = NULL, *btab = NULL, secret[32];
	size_t len_a = 0, len_b = 0, blen = 0;
	struct h2_conf cc, sc;
	uint8_t *buf;
	size_t len;
	int rc = -1;

	memset(w, 0, sizeof(*w));
	w->mode = mode;
	clock_tick(w);
	snprintf(w->tag, sizeof(w->tag), "sbbench-%ld-%s", (long)getpid(),
		 mode == SB_POL_SEAL_MLS ? "mls" : "aes");
	snprintf(w->audit_path, sizeof(w->audit_path), "/%s%s", w->tag, SB_AUDIT_SUFFIX);
	remember_shm(w->audit_path);
	if (audit_shm_open(w->tag, 2, 4096, &w->audit, err, sizeof(err)) != 0) {
		w->audit_path[0] = '\0';
		return fail(w, "audit_shm_open: %s", err);
	}
	/* Identity: each organisation's JWT-SVID key, both bundles in both snapshots. */
	ka = id_mint_key(ID_ALG_ES256);
	kb = id_mint_key(ID_ALG_ES256);
	if (ka == NULL || kb == NULL || jwks_of(ka, KID_A, jwks_a, sizeof(jwks_a)) != 0 ||
	    jwks_of(kb, KID_B, jwks_b, sizeof(jwks_b)) != 0) {
		fail(w, "JWT-SVID keys and JWKS");
		goto out;
	}
	{
		const struct policy_bundle pb[2] = {
			{.td = TD_A, .td_len = sizeof(TD_A) - 1, .sequence = 1,
			 .json = (const uint8_t *)jwks_a, .json_len = strlen(jwks_a)},
			{.td = TD_B, .td_len = sizeof(TD_B) - 1, .sequence = 1,
			 .json = (const uint8_t *)jwks_b, .json_len = strlen(jwks_b)},
		};

		rc = policy_bundles_build(pb, 2, &btab, &blen);
		if (rc != 0) {
			fail(w, "policy_bundles_build: %s", strerror(-rc));
			goto out;
		}
	}
	if (id_mint_token(ID_ALG_ES256, ka, KID_A, "spiffe://" TD_A "/tenant/acme/agent/bench-sales",
			  AUDIENCE, w->clock_ns / 1000000000ull + 3600, NULL, w->token,
			  sizeof(w->token)) < 0) {
		rc = fail(w, "id_mint_token failed");
		goto out;
	}
	rc = mls_pair(w, &rec_a, &len_a, &rec_b, &len_b, secret);
	if (rc != 0) {
		goto out;
	}
	{
		const struct node_spec sa = {
			.label = "A", .yaml = policy_a, .td = TD_A, .trust_id = "acme-partner",
			.peer_td = TD_B, .own_leaf = 0, .token = TOKEN_A, .bundles = btab,
			.bundles_len = blen, .mls_rec = rec_a, .mls_rec_len = len_a, .secret = secret,
			.ring = 0,
		};
		const struct node_spec sb = {
			.label = "B", .yaml = policy_b, .td = TD_B, .trust_id = "partner-acme",
			.peer_td = TD_A, .own_leaf = 1, .token = TOKEN_B, .bundles = btab,
			.bundles_len = blen, .mls_rec = rec_b, .mls_rec_len = len_b, .secret = secret,
			.ring = 1,
		};

		rc = node_open(w, &w->a, &sa);
		if (rc == 0) {
			rc = node_open(w, &w->b, &sb);
		}
	}
	if (rc != 0) {
		goto out;
	}
	/* The link: A dials B (as a worker dials a trust's peer endpoint). */
	h2_conf_default(&cc, false);
	h2_conf_default(&sc, true);
	w->link = grpc_cconn_new(&cc, pool, "bench-bridge-b", 0);
	w->link_srv = grpc_sconn_new(w->b.srv, &sc, pool, 0);
	if (w->link == NULL || w->link_srv == NULL) {
		rc = fail(w, "the link's connections could not be made");
		goto out;
	}
	w->link_a = (struct ep){.h2 = grpc_cconn_h2(w->link), .node = &w->a, .dirty = true};
	w->link_b = (struct ep){.h2 = grpc_sconn_h2(w->link_srv), .node = &w->b, .dirty = true};
	grpc_cconn_set_kick(w->link, kick, &w->link_a);
	grpc_sconn_set_kick(w->link_srv, kick, &w->link_b);
	{
		/* A's link to B is its trust's link: A's sealed records leave on it. */
		struct sb_bridge_trust *tst = NULL;

		for (uint32_t i = 0; i < w->a.bv.nb && tst == NULL; i++) {
			if (w->a.bv.t[i].seal != NULL) {
				tst = w->a.bv.t[i].st;
			}
		}
		rc = slim_node_link_attach_trust(w->a.slim, w->link, 0 /* remote */, tst);
	}
	if (rc != 0) {
		rc = fail(w, "slim_node_link_attach_trust: %s", strerror(-rc));
		goto out;
	}
	settle(w);
	/* The apps, then the subscriptions (B's announced to A over the link). */
	rc = app_open(w, &w->x, &w->a, &n_sales);
	if (rc == 0) {
		rc = app_open(w, &w->peer, &w->a, &n_peer);
	}
	if (rc == 0) {
		rc = app_open(w, &w->hr, &w->a, &n_hr);
	}
	if (rc == 0) {
		rc = app_open(w, &w->partner, &w->b, &n_partner);
	}
	if (rc != 0) {
		goto out;
	}
	if (slim_node_stats(w->a.slim)->ctr[SLIM_CTR_LINKS] != 4 ||
	    slim_node_stats(w->b.slim)->ctr[SLIM_CTR_LINKS] != 2) {
		rc = fail(w, "links negotiated: node A %llu of 4, node B %llu of 2",
			  (unsigned long long)slim_node_stats(w->a.slim)->ctr[SLIM_CTR_LINKS],
			  (unsigned long long)slim_node_stats(w->b.slim)->ctr[SLIM_CTR_LINKS]);
		goto out;
	}
	{
		/* The publisher subscribes to its own name too, as a SLIM app does for its answers. */
		struct app *subs[] = {&w->x, &w->peer, &w->hr, &w->partner};

		for (unsigned i = 0; i < 4; i++) {
			buf = enc_subscribe(subs[i], &len);
			app_send(w, subs[i], buf, len, 1);
			free(buf);
			settle(w);
		}
	}
	w->pub[P_PLAIN] = enc_publish(&w->x, &n_peer, w->token, opt->size, &w->pub_len[P_PLAIN]);
	w->pub[P_APP] = enc_publish(&w->x, &n_hr, w->token, opt->size, &w->pub_len[P_APP]);
	w->pub[P_ORG] = enc_publish(&w->x, &n_partner, w->token, opt->size, &w->pub_len[P_ORG]);
	rc = 0;
out:
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	policy_bundles_free(btab, blen);
	mls_export_free(rec_a, len_a);
	mls_export_free(rec_b, len_b);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/* ---- measuring --------------------------------------------------------------- */

static struct app *subscriber(struct world *w, int path)
{
	return path == P_PLAIN ? &w->peer : path == P_APP ? &w->hr : &w->partner;
}

/* The consumer side of both audit rings: everything written is taken. */
static void audit_drain(struct world *w)
{
	struct node *ns[2] = {&w->a, &w->b};

	for (int i = 0; i < 2; i++) {
		struct sb_audit_ring *r = ns[i]->ring.r;
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		ns[i]->audited += head - r->tail;
		__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
	}
}

/*
 * One slice: the cycles charged to A and B and the messages, over the
 * turns kept. On a shared machine the TSC also counts the time the thread
 * was not running (preempted inside a timed call), so each turn's cycles
 * are scaled by the share of the turn's TSC time the thread ran
 * (CLOCK_THREAD_CPUTIME_ID: 1 when it was never preempted; expected value
 * right when preemption falls anywhere in the turn alike). A turn still
 * costing more than PREEMPT_FACTOR times the slice's median turn is left
 * out (|dropped|).
 */
#define PREEMPT_FACTOR 10
#define TURNS_MAX (1u << 17)

struct slice {
	double ca, cb;
	uint64_t n;
	uint64_t turns, dropped;
	double cpu, wall;	/* the thread's CPU time and TSC time over the slice, in cycles */
};

struct turn {
	double a, b;
};

static struct turn *turn_log;	/* TURNS_MAX per slice */
static double *turn_tot;

/* Sums the turns of a slice into |out|, leaving the preempted ones out. */
static void slice_sum(uint64_t turns, uint32_t batch, struct slice *out)
{
	double med, lim;

	for (uint64_t i = 0; i < turns; i++) {
		turn_tot[i] = turn_log[i].a + turn_log[i].b;
	}
	qsort(turn_tot, turns, sizeof(double), perf_cmp_double);
	med = turn_tot[turns / 2];
	lim = med * PREEMPT_FACTOR;
	out->ca = out->cb = 0;
	out->n = out->dropped = 0;
	out->turns = turns;
	for (uint64_t i = 0; i < turns; i++) {
		if (turn_log[i].a + turn_log[i].b > lim) {
			out->dropped++;
			continue;
		}
		out->ca += turn_log[i].a;
		out->cb += turn_log[i].b;
		out->n += batch;
	}
}

/* Appends the nodes' non-zero drop and denial counters to the failure notes. */
static void node_diag(const struct node *n)
{
	const struct slim_node_stats *st = slim_node_stats(n->slim);

	note_failure("    node %s:", n->label);
	for (int k = 0; k < SLIM_CTR_MAX; k++) {
		const char *name = slim_counter_name(k);

		if (st->ctr[k] != 0 && (strncmp(name, "DROP_", 5) == 0 || k == SLIM_CTR_SEALED ||
					k == SLIM_CTR_SEAL_RECORDS || k == SLIM_CTR_OPENED ||
					k == SLIM_CTR_AUDITED || k == SLIM_CTR_POLICY_ALLOWED ||
					k == SLIM_CTR_DENIALS_SENT || k == SLIM_CTR_FORWARDED)) {
			note_failure(" %s=%llu", name, (unsigned long long)st->ctr[k]);
		}
	}
	for (int r = 0; r < SB_POL_REASON_MAX; r++) {
		if (st->deny[r] != 0) {
			note_failure(" deny[\"%s\"]=%llu", policy_reason_text((unsigned)r),
				     (unsigned long long)st->deny[r]);
		}
	}
	for (int r = 0; r < 32 && r < ID_R_COUNT; r++) {
		if (st->id_deny[r] != 0) {
			note_failure(" identity[%s]=%llu", id_reason_name((enum id_reason)r),
				     (unsigned long long)st->id_deny[r]);
		}
	}
	if (n->rctr.errors != 0) {
		note_failure(" content-scan-errors=%llu", (unsigned long long)n->rctr.errors);
	}
	for (uint32_t i = 0; i < n->bv.nb; i++) {
		const struct sb_bridge_trust *t = n->bv.t[i].st;

		if (t != NULL) {
			note_failure(" trust %s: sealed=%llu records=%llu opened=%llu denied=%llu "
				     "rekey_req=%llu breaker=%u",
				     t->trust_id, (unsigned long long)t->sealed,
				     (unsigned long long)t->records, (unsigned long long)t->opened_msgs,
				     (unsigned long long)t->denied, (unsigned long long)t->rekey_req,
				     t->breaker);
		}
	}
	note_failure("\n");
}

/*
 * One slice of |path| at |batch| for about |sec| seconds (at least one
 * turn). Returns 0, or -1 after noting what went wrong.
 */
static int slice_run(struct world *w, int path, uint32_t batch, double sec, struct slice *out,
		     const char *row)
{
	struct app *sub = subscriber(w, path);
	uint64_t got0 = sub->got, back0 = w->x.got;
	uint64_t au_a0 = w->a.audited, au_b0 = w->b.audited, sent = 0, turns = 0;
	uint64_t rec0 = slim_node_stats(w->a.slim)->ctr[SLIM_CTR_SEAL_RECORDS], recs;
	uint64_t want_a = path == P_PLAIN ? 0 : 1, want_b = path == P_ORG ? 1 : 0;
	double t0 = perf_now_s();

	out->cpu = out->wall = 0;
	do {
		uint64_t a0 = w->a.tsc, b0 = w->b.tsc, w0, w1;
		struct timespec c0, c1;
		double cpu, f;

		clock_tick(w);
		w0 = __rdtsc();
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		app_send(w, &w->x, w->pub[path], w->pub_len[path], batch);
		settle(w);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		w1 = __rdtsc();
		cpu = ((double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9) *
		      opt->tsc_hz;
		f = w1 > w0 && cpu < (double)(w1 - w0) ? cpu / (double)(w1 - w0) : 1.0;
		out->cpu += cpu < (double)(w1 - w0) ? cpu : (double)(w1 - w0);
		out->wall += (double)(w1 - w0);
		turn_log[turns].a = (double)(w->a.tsc - a0) * f;
		turn_log[turns].b = (double)(w->b.tsc - b0) * f;
		audit_drain(w);
		sent += batch;
		turns++;
	} while (turns < TURNS_MAX && perf_now_s() - t0 < sec);
	slice_sum(turns, batch, out);
	if (sub->got - got0 != sent || w->x.got != back0 || w->a.audited - au_a0 != want_a * sent ||
	    w->b.audited - au_b0 != want_b * sent || sub->check_err != NULL) {
		note_failure("  %s, batch %u: %llu sent, %llu delivered, %llu answered back to the "
			     "sender (denials), audit records A %llu (want %llu) B %llu (want %llu)%s%s\n",
			     row, batch, (unsigned long long)sent, (unsigned long long)(sub->got - got0),
			     (unsigned long long)(w->x.got - back0),
			     (unsigned long long)(w->a.audited - au_a0),
			     (unsigned long long)(want_a * sent),
			     (unsigned long long)(w->b.audited - au_b0),
			     (unsigned long long)(want_b * sent),
			     sub->check_err != NULL ? "; first delivered message: " : "",
			     sub->check_err != NULL ? sub->check_err : "");
		node_diag(&w->a);
		node_diag(&w->b);
		return -1;
	}
	recs = slim_node_stats(w->a.slim)->ctr[SLIM_CTR_SEAL_RECORDS] - rec0;
	if (path == P_ORG && recs != turns && !w->noted_records) {
		/* Not a failure: the seal's limits split the batch (SEAL_MAX_INNER, MLS payload). */
		w->noted_records = true;
		note_failure("  note: %s, batch %u: %llu records for %llu turns (not one per turn)\n", row,
			     batch, (unsigned long long)recs, (unsigned long long)turns);
	}
	return 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), perf_cmp_double);
	return v[n / 2];
}

static void print_failed(const char *row, uint32_t batch)
{
	printf("| %s | %u | FAILED | - | - | - | - | - | - | - | - |\n", row, batch);
	fflush(stdout);
}

/*
 * One row: |path| at |batch|, its slices alternating with plain slices at
 * the same batch (path plain: its own slices only). A, B and total are
 * those of the slice with the median total (so A + B = total); plain c/msg
 * the median of the plain slices; the ratios the medians of the paired
 * ratios. Returns 0 or -1.
 */
static int measure_row(struct world *w, int path, uint32_t batch, const char *row)
{
	struct slice s[SLICES], p[SLICES];
	double ct[SLICES], cp[SLICES], fr[SLICES], cost[SLICES];
	double per = path == P_PLAIN ? opt->run_time / SLICES : opt->run_time / SLICES / 2;
	struct slice warm;
	uint64_t turns = 0, dropped = 0;
	double cpu = 0, wall = 0;
	int mid = 0;

	/* Warm-up (the first message verifies the token cold), the first delivery decoded and checked. */
	subscriber(w, path)->check = true;
	if (slice_run(w, path, batch, 0.02, &warm, row) != 0 ||
	    (path != P_PLAIN && slice_run(w, P_PLAIN, batch, 0.02, &warm, row) != 0)) {
		print_failed(row, batch);
		return -1;
	}
	for (int i = 0; i < SLICES; i++) {
		if (path != P_PLAIN && slice_run(w, P_PLAIN, batch, per, &p[i], "plain (paired)") != 0) {
			print_failed(row, batch);
			return -1;
		}
		if (slice_run(w, path, batch, per, &s[i], row) != 0) {
			print_failed(row, batch);
			return -1;
		}
		if (path == P_PLAIN) {
			p[i] = s[i];
		}
		turns += s[i].turns + (path != P_PLAIN ? p[i].turns : 0);
		dropped += s[i].dropped + (path != P_PLAIN ? p[i].dropped : 0);
		ct[i] = (s[i].ca + s[i].cb) / (double)s[i].n;
		cp[i] = (p[i].ca + p[i].cb) / (double)p[i].n;
		cpu += s[i].cpu + (path != P_PLAIN ? p[i].cpu : 0);
		wall += s[i].wall + (path != P_PLAIN ? p[i].wall : 0);
		fr[i] = cp[i] / ct[i];
		cost[i] = ct[i] / cp[i];
	}
	{
		double sorted[SLICES], t;
		char b[32] = "-";

		memcpy(sorted, ct, sizeof(sorted));
		t = median(sorted, SLICES);
		for (int i = 0; i < SLICES; i++) {
			if (ct[i] == t) {
				mid = i;
			}
		}
		if (path == P_ORG) {
			snprintf(b, sizeof(b), "%.0f", s[mid].cb / (double)s[mid].n);
		}
		printf("| %s | %u | %.0f | %.0f | %s | %.0f | %.0f | %.3f | %.2f | %.0f%% | %.1f%% |\n",
		       row, batch, opt->tsc_hz / t, s[mid].ca / (double)s[mid].n, b, t,
		       median(cp, SLICES), median(fr, SLICES), median(cost, SLICES),
		       wall > 0 ? 100.0 * cpu / wall : 0.0, 100.0 * (double)dropped / (double)turns);
		fflush(stdout);
	}
	return 0;
}

/* What the identity caches did in world |w|: the token verified once per bridge, then hits. */
static void world_notes(struct world *w, char *out, size_t cap)
{
	struct id_cache_stats ia, ib;
	const struct slim_node_stats *sa = slim_node_stats(w->a.slim), *sb = slim_node_stats(w->b.slim);

	id_cache_get_stats(w->a.idc, &ia);
	id_cache_get_stats(w->b.idc, &ib);
	snprintf(out, cap,
		 "  %s world: identity A %llu cold verification(s), %llu cache hits; B %llu cold, %llu "
		 "hits; A sealed %llu messages in %llu records, B opened %llu; audit records A %llu, "
		 "B %llu; content scans A %llu, B %llu; unkicked output %llu; a cross-org publish is "
		 "%zu bytes framed (token %zu)\n",
		 w->mode == SB_POL_SEAL_MLS ? "mls" : "aes", (unsigned long long)ia.cold_ok,
		 (unsigned long long)ia.hits, (unsigned long long)ib.cold_ok,
		 (unsigned long long)ib.hits, (unsigned long long)sa->ctr[SLIM_CTR_SEALED],
		 (unsigned long long)sa->ctr[SLIM_CTR_SEAL_RECORDS],
		 (unsigned long long)sb->ctr[SLIM_CTR_OPENED], (unsigned long long)w->a.audited,
		 (unsigned long long)w->b.audited, (unsigned long long)w->a.rctr.scans,
		 (unsigned long long)w->b.rctr.scans, (unsigned long long)w->unkicked,
		 w->pub_len[P_ORG], strlen(w->token));
}

/* --rows: is the row |name| one to run? */
static bool wanted(const char *name)
{
	return opt->rows == NULL || strncmp(name, opt->rows, strlen(opt->rows)) == 0;
}

int bench_bridge_path(const struct bpath_opts *o)
{
	static const uint32_t batches[3] = {1, 8, 64};
	struct world *w = calloc(1, sizeof(*w));
	char notes[2][640] = {"", ""};
	int rc = 0;

	opt = o;
	atexit(remove_shm);
	pool = h2_pool_new(4096, true, 1u << 16);
	turn_log = malloc(TURNS_MAX * sizeof(*turn_log));
	turn_tot = malloc(TURNS_MAX * sizeof(*turn_tot));
	if (w == NULL || pool == NULL || turn_log == NULL || turn_tot == NULL) {
		die("set-up", ENOMEM);
	}
	printf("\npath: whole publishes through SLIM nodes in memory (HTTP/2, gRPC, protobuf-c, "
	       "link MAC, route),\n"
	       "      %u-byte payloads, the sender's JWT-SVID in every header; one thread; "
	       "cycles of each\n"
	       "      bridge's node calls per delivered message (the apps' work not counted). "
	       "Each row's\n"
	       "      slices alternate with plain slices at the same batch: plain c/msg is theirs,\n"
	       "      plain/row and row/plain the medians of the paired ratios. Per turn (one batch\n"
	       "      written and carried through) the cycles are scaled by the share of the turn\n"
	       "      the thread ran (\"ran\": over the row's and its plain slices' turns; 100%%\n"
	       "      on a quiet core); a turn still over %dx the slice's median is left out.\n"
	       "      plain      acme/sales-app -> node A -> acme/sales-app (same app: no policy "
	       "decision)\n"
	       "      cross-app  acme/sales-app -> node A -> acme/hr-app: identity, policy, "
	       "content rules, audit\n"
	       "      cross-org  acme/sales-app -> node A (identity, policy, content, breaker, "
	       "seal) -> record\n"
	       "                 over a SLIM link -> node B (open, identity against acme's "
	       "bundle, policy,\n"
	       "                 content, audit) -> partner-corp/partner-app; MLS suite %u\n\n",
	       o->size, PREEMPT_FACTOR, o->suite);
	printf("| path | batch | msgs/s | c/msg A | c/msg B | c/msg total | plain c/msg | "
	       "plain/row | row/plain | ran | left out |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	for (int m = 0; m < 2; m++) {
		uint8_t mode = m == 0 ? SB_POL_SEAL_AES : SB_POL_SEAL_MLS;
		const char *org = mode == SB_POL_SEAL_MLS ? "cross-org mls" : "cross-org aes";
		bool want_plain = wanted(path_names[P_PLAIN]), want_app = wanted(path_names[P_APP]);

		if (!wanted(org) && (mode == SB_POL_SEAL_MLS || (!want_plain && !want_app))) {
			continue;	/* --rows: nothing of this world */
		}
		if (world_open(w, mode) != 0) {
			note_failure("  world (seal mode %s): %s\n", mode == SB_POL_SEAL_MLS ? "mls" : "aes",
				     w->err);
			for (int j = 0; j < 3; j++) {
				uint32_t b = mode == SB_POL_SEAL_MLS && batches[j] == 64 ? SEAL_MLS_MAX_BATCH
											   : batches[j];

				if (mode == SB_POL_SEAL_AES) {
					print_failed(path_names[P_PLAIN], b);
					print_failed(path_names[P_APP], b);
				}
				print_failed(org, b);
			}
			world_close(w);
			rc = 1;
			continue;
		}
		for (int j = 0; j < 3; j++) {
			uint32_t b = mode == SB_POL_SEAL_MLS && batches[j] == 64 ? SEAL_MLS_MAX_BATCH
										   : batches[j];

			if (mode == SB_POL_SEAL_AES && want_plain) {
				rc |= measure_row(w, P_PLAIN, b, path_names[P_PLAIN]) != 0;
			}
			if (mode == SB_POL_SEAL_AES && want_app) {
				rc |= measure_row(w, P_APP, b, path_names[P_APP]) != 0;
			}
			if (wanted(org)) {
				rc |= measure_row(w, P_ORG, b, org) != 0;
			}
		}
		world_notes(w, notes[m], sizeof(notes[m]));
		world_close(w);
	}
	printf("\nmsgs/s: messages per second on one core = TSC Hz / c/msg total (for cross-org, "
	       "both bridges'\nwork on that core; each bridge alone: TSC Hz / its column). "
	       "plain/row: how many times\ncheaper the plain path is; row/plain: what security "
	       "costs, in plain paths.\nA cross-org row is two hops (bridges A and B) against "
	       "plain's one: its A and B columns\nbeside plain c/msg are the cost per bridge.\n");
	printf("\n%s%s", notes[0], notes[1]);
	if (failures_len > 0) {
		printf("\nfailures and notes:\n%s", failures);
	}
	free(w);
	free(turn_log);
	free(turn_tot);
	h2_pool_free(pool);
	pool = NULL;
	return rc;
}
