/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_slim.c - build/perf/bench-slim: cycles per SLIM publish through the
 * node, in memory.
 *
 * Two SLIM connections to one node (slim_node on a gRPC server connection
 * each), their clients in the same thread (h2_conn client side with our own
 * SLIM link negotiation and header MAC): the subscriber subscribes to a name,
 * the publisher sends publishes to it, --batch per turn. Timed with the TSC
 * around the node side's calls: HTTP/2 input, gRPC framing, protobuf-c
 * decode, link MAC check, TTL, route lookup, re-encode with the egress
 * link's MAC, gRPC and HTTP/2 output. The TCP under it is not in this figure
 * (build/perf/bench-tcp gives it per segment). Prints; asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "data_plane.pb-c.h"
#include "grpc_frame.h"
#include "grpc_server.h"
#include "h2_conn.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_node.h"

struct side {
	struct h2_conn *cli;	  /* the app's end */
	struct grpc_sconn *srv;	  /* the node's end */
	uint32_t sid;
	struct grpc_reader rd;	  /* messages the app receives */
	struct slim_x25519 kp;
	struct slim_mac mac;
	char link_id[32];
	bool negotiated;
	uint64_t got, got_bytes;
	uint64_t acks;
};

static struct h2_pool *pool;
static uint64_t node_tsc;

static int app_msg(void *arg, const uint8_t *msg, size_t len, bool compressed)
{
	struct side *s = arg;
	Dataplane__Proto__V1__Message *m;
	const Dataplane__Proto__V1__LinkNegotiationPayload *p;

	(void)compressed;
	if (s->negotiated) {
		/* The router's output: counted, not decoded (that is the app's business). */
		s->got++;
		s->got_bytes += len;
		return 0;
	}
	m = dataplane__proto__v1__message__unpack(NULL, len, msg);
	if (slim_link_check_reply(m, s->link_id, &p) != SLIM_LINK_OK ||
	    slim_link_derive(&s->kp, p->link_ecdh_public_key.data, s->link_id, &s->mac) !=
		    SLIM_LINK_OK) {
		fprintf(stderr, "bench-slim: negotiation failed\n");
		exit(1);
	}
	s->negotiated = true;
	dataplane__proto__v1__message__free_unpacked(m, NULL);
	return 0;
}

static int app_data(struct h2_conn *c, uint32_t sid, void *su, const uint8_t *p, size_t n,
		    bool end, void *user)
{
	struct side *s = user;

	(void)c;
	(void)sid;
	(void)su;
	(void)end;
	return grpc_reader_feed(&s->rd, p, n, app_msg, s) < 0 ? -EIO : 0;
}

static const struct h2_callbacks app_cb = {.on_data = app_data};

static void move(struct h2_conn *from, struct h2_conn *to, bool timed)
{
	struct iovec iov[64];
	unsigned n;

	while ((n = h2_conn_out_iov(from, iov, 64)) > 0) {
		size_t total = 0;
		uint64_t t0 = timed ? __rdtsc() : 0;

		for (unsigned i = 0; i < n; i++) {
			if (h2_conn_recv(to, iov[i].iov_base, iov[i].iov_len) != (long)iov[i].iov_len) {
				fprintf(stderr, "bench-slim: a connection refused input\n");
				exit(1);
			}
			total += iov[i].iov_len;
		}
		h2_conn_out_consume(from, total);
		if (timed) {
			node_tsc += __rdtsc() - t0;
		}
	}
}

/* Client output into the node (timed: the node parses it), node output to the client. */
static void pump(struct side *s)
{
	uint64_t t0;
	struct iovec iov[64];
	unsigned n;

	move(s->cli, grpc_sconn_h2(s->srv), true);
	/* The node's output scheduling is node work too: time h2_conn_out_iov. */
	t0 = __rdtsc();
	n = h2_conn_out_iov(grpc_sconn_h2(s->srv), iov, 64);
	node_tsc += __rdtsc() - t0;
	(void)n;
	move(grpc_sconn_h2(s->srv), s->cli, false);
}

static void send_msg(struct side *s, const Dataplane__Proto__V1__Message *m)
{
	size_t len = dataplane__proto__v1__message__get_packed_size(m);
	uint8_t *buf = malloc(len + GRPC_PREFIX_LEN);
	struct iovec iov = {buf, len + GRPC_PREFIX_LEN};

	grpc_prefix_put(buf, (uint32_t)len);
	dataplane__proto__v1__message__pack(m, buf + GRPC_PREFIX_LEN);
	if (h2_stream_writev(s->cli, s->sid, &iov, 1, false) != 0) {
		fprintf(stderr, "bench-slim: client write failed\n");
		exit(1);
	}
	free(buf);
}

static void open_side(struct side *s, struct grpc_server *srv, int idx)
{
	static const struct h2_header req[] = {
		{":method", "POST", 7, 4},
		{":scheme", "http", 7, 4},
		{":authority", "bench", 10, 5},
		{":path", SLIM_OPEN_CHANNEL, 5, sizeof(SLIM_OPEN_CHANNEL) - 1},
		{"content-type", "application/grpc", 12, 16},
		{"te", "trailers", 2, 8},
	};
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Link l = DATAPLANE__PROTO__V1__LINK__INIT;
	Dataplane__Proto__V1__LinkNegotiationPayload p =
		DATAPLANE__PROTO__V1__LINK_NEGOTIATION_PAYLOAD__INIT;
	struct h2_conf sc, cc;
	long sid;

	h2_conf_default(&sc, true);
	h2_conf_default(&cc, false);
	s->srv = grpc_sconn_new(srv, &sc, pool, 0);
	s->cli = h2_conn_new(&cc, &app_cb, s, pool, 0);
	grpc_reader_init(&s->rd, 8u << 20);
	if (s->srv == NULL || s->cli == NULL || slim_x25519_new(&s->kp) != 0) {
		fprintf(stderr, "bench-slim: setup failed\n");
		exit(1);
	}
	sid = h2_submit_request(s->cli, req, 6, false, NULL);
	s->sid = (uint32_t)sid;
	static unsigned seq;

	snprintf(s->link_id, sizeof(s->link_id), "bench-link-%d-%ld-%u", idx, (long)time(NULL), seq++);
	p.link_id = s->link_id;
	p.slim_version = (char *)"2.3.0";
	p.has_is_reply = true;
	p.has_link_ecdh_public_key = true;
	p.link_ecdh_public_key.data = s->kp.pub;
	p.link_ecdh_public_key.len = sizeof(s->kp.pub);
	p.has_connection_type = true;
	p.connection_type = DATAPLANE__PROTO__V1__LINK_CONNECTION_TYPE__LINK_CONNECTION_TYPE_EDGE;
	l.link_type_case = DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION;
	l.link_negotiation = &p;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK;
	m.link = &l;
	send_msg(s, &m);
	pump(s);
	if (!s->negotiated) {
		fprintf(stderr, "bench-slim: no negotiation reply\n");
		exit(1);
	}
}

/* A header to name (1, 2, 3, id 7), MAC'd for |s|'s link. */
static void sign(struct side *s, Dataplane__Proto__V1__SLIMHeader *h, uint8_t mac[SLIM_MAC_LEN])
{
	h->has_header_mac = false;
	if (slim_mac_compute(&s->mac, h, mac) != 0) {
		exit(1);
	}
	h->has_header_mac = true;
	h->header_mac.data = mac;
	h->header_mac.len = SLIM_MAC_LEN;
}

static double run(struct grpc_server *srv, uint64_t n, uint32_t size, unsigned batch,
		  double ghz, double *msgs_per_s)
{
	struct side sub = {0}, pubr = {0};
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Subscribe s = DATAPLANE__PROTO__V1__SUBSCRIBE__INIT;
	Dataplane__Proto__V1__Publish p = DATAPLANE__PROTO__V1__PUBLISH__INIT;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__Name dst = DATAPLANE__PROTO__V1__NAME__INIT, src = dst;
	Dataplane__Proto__V1__EncodedName ed = DATAPLANE__PROTO__V1__ENCODED_NAME__INIT, es = ed;
	Dataplane__Proto__V1__NameId id = DATAPLANE__PROTO__V1__NAME_ID__INIT;
	Dataplane__Proto__V1__SessionHeader sh = DATAPLANE__PROTO__V1__SESSION_HEADER__INIT;
	Dataplane__Proto__V1__Content ct = DATAPLANE__PROTO__V1__CONTENT__INIT;
	Dataplane__Proto__V1__ApplicationPayload ap = DATAPLANE__PROTO__V1__APPLICATION_PAYLOAD__INIT;
	uint8_t mac[SLIM_MAC_LEN], *blob = calloc(1, size), *enc;
	size_t len;
	struct iovec iov[64];
	uint64_t sent = 0, t0, t1;

	open_side(&sub, srv, 1);
	open_side(&pubr, srv, 2);
	ed.has_component_0 = ed.has_component_1 = ed.has_component_2 = true;
	ed.component_0 = 1;
	ed.component_1 = 2;
	ed.component_2 = 3;
	id.has_id_0 = id.has_id_1 = true;
	id.id_1 = 7;
	ed.name_id = &id;
	dst.name = &ed;
	es = ed;
	es.component_2 = 4;
	src.name = &es;
	h.source = &src;
	h.destination = &dst;
	h.identity = (char *)"spiffe://acme.example/tenant/acme/agent/bench";
	h.has_fanout = h.has_ttl = true;
	h.fanout = 1;
	h.ttl = 8;
	h.version = (char *)"2.3.0";
	/* Subscribe, with an ack. */
	sign(&sub, &h, mac);
	s.header = &h;
	s.has_subscription_id = true;
	s.subscription_id = 1;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE;
	m.subscribe = &s;
	send_msg(&sub, &m);
	pump(&sub);
	/* One publish, encoded once and sent n times. */
	sign(&pubr, &h, mac);
	sh.has_session_type = sh.has_session_message_type = sh.has_session_id = sh.has_message_id = true;
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
	p.header = &h;
	p.session = &sh;
	p.msg = &ct;
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH;
	m.publish = &p;
	len = dataplane__proto__v1__message__get_packed_size(&m);
	enc = malloc(len + GRPC_PREFIX_LEN);
	grpc_prefix_put(enc, (uint32_t)len);
	dataplane__proto__v1__message__pack(&m, enc + GRPC_PREFIX_LEN);
	sub.got = sub.got_bytes = 0;
	node_tsc = 0;
	t0 = __rdtsc();
	while (sent < n) {
		unsigned k = 0;

		for (; k < batch && sent + k < n; k++) {
			iov[k].iov_base = enc;
			iov[k].iov_len = len + GRPC_PREFIX_LEN;
		}
		if (h2_stream_writev(pubr.cli, pubr.sid, iov, k, false) != 0) {
			fprintf(stderr, "bench-slim: publisher write failed\n");
			exit(1);
		}
		sent += k;
		pump(&pubr);
		pump(&sub);
	}
	t1 = __rdtsc();
	if (sub.got != n) {
		fprintf(stderr, "bench-slim: %lu of %lu publishes arrived\n", (unsigned long)sub.got,
			(unsigned long)n);
		exit(1);
	}
	*msgs_per_s = (double)n / ((double)(t1 - t0) / (ghz * 1e9));
	grpc_sconn_free(sub.srv);
	grpc_sconn_free(pubr.srv);
	h2_conn_free(sub.cli);
	h2_conn_free(pubr.cli);
	grpc_reader_cleanup(&sub.rd);
	grpc_reader_cleanup(&pubr.rd);
	slim_mac_cleanup(&sub.mac);
	slim_mac_cleanup(&pubr.mac);
	slim_x25519_free(&sub.kp);
	slim_x25519_free(&pubr.kp);
	free(enc);
	free(blob);
	return (double)node_tsc / (double)n;
}

static double tsc_ghz(void)
{
	struct timespec a, z, d = {0, 200000000};
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&d, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &z);
	return (double)(t1 - t0) / ((double)(z.tv_sec - a.tv_sec) * 1e9 + (double)(z.tv_nsec - a.tv_nsec));
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"messages", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"repeat", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const uint32_t sizes[] = {64, 512, 4096};
	unsigned long n = 300000, batch = 32, repeat = 3;
	struct grpc_server *srv;
	struct slim_node_conf nc;
	struct slim_node *node;
	double ghz;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'h':
			printf("Usage: %s [--messages N] [--batch K] [--repeat R]\n"
			       "Cycles per SLIM publish through the node (HTTP/2, gRPC, decode, MAC check,\n"
			       "route, re-encode and re-sign, output) in memory, at 64, 512 and 4096 bytes.\n"
			       "Prints; asserts nothing.\n", argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	if (n == 0 || batch == 0 || batch > 64 || repeat == 0 || repeat > 15) {
		fprintf(stderr, "bench-slim: bad arguments\n");
		return 2;
	}
	ghz = tsc_ghz();
	pool = h2_pool_new(4096, true, 1u << 16);
	srv = grpc_server_new();
	slim_node_conf_default(&nc);
	node = srv != NULL ? slim_node_new(&nc, srv) : NULL;
	if (pool == NULL || node == NULL) {
		fprintf(stderr, "bench-slim: setup failed\n");
		return 1;
	}
	printf("bench-slim: TSC %.0f MHz; %lu publishes per run from one connection to a subscriber\n"
	       "on another, %lu per client write, one node in memory (no TCP), median of %lu runs\n",
	       ghz * 1000, n, batch, repeat);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double c[15], r[15];

		for (unsigned long k = 0; k < repeat; k++) {
			c[k] = run(srv, n, sizes[i], (unsigned)batch, ghz, &r[k]);
		}
		qsort(c, repeat, sizeof(double), cmp);
		qsort(r, repeat, sizeof(double), cmp);
		printf("  %4u B payload: node %6.0f cycles/message (runs %.0f..%.0f), %.2f M msg/s per core "
		       "at that cost; whole loop %.2f M msg/s\n",
		       sizes[i], c[repeat / 2], c[0], c[repeat - 1], ghz * 1e3 / c[repeat / 2],
		       r[repeat / 2] / 1e6);
	}
	printf("  anchors (shared/reference/performance.md): gRPC C++ streaming ~20,000 cycles/message;\n"
	       "  target: >= 1.5 M SLIM messages/s per worker (policy and AES-GCM included)\n");
	slim_node_free(node);
	grpc_server_free(srv);
	h2_pool_free(pool);
	return 0;
}
