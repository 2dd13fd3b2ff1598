/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_conf.c - unit tests for dataplane/conf: defaults, the full schema,
 * every error class (with its key path and line), boundaries, conf_load, and
 * a loop of random mutations that must never crash (run it under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define SRC "t.yaml"

static const char full_example[] =
	"workers: 2\n"
	"burst: 64\n"
	"mempool: {mbufs: 16383, cache: 128}\n"
	"neighbour: {capacity: 2048, timeout: 60}\n"
	"shm: {name: sb-test_1.0}\n"
	"ports:\n"
	"  - name: net_tap0\n"
	"    ipv4: 192.0.2.1/24\n"
	"    ipv6: 2001:db8::1/64\n"
	"    mtu: 9000\n"
	"    rx_desc: 2048\n"
	"    tx_desc: 512\n"
	"    impair: {drop: 0.01, duplicate: 0.001, reorder: 0.01, seed: 42}\n"
	"  - name: \"0000:03:00.0\"\n"
	"    impair:\n"
	"      seed: 7\n";

static int parse(struct conf *c, const char *text, char *err)
{
	return conf_parse(c, SRC, text, strlen(text), err);
}

static void assert_defaults(const struct conf *c)
{
	unsigned int i;

	assert_int_equal(c->workers, 0);
	assert_int_equal(c->burst, 32);
	assert_int_equal(c->mbufs, 8191);
	assert_int_equal(c->mbuf_cache, 256);
	assert_int_equal(c->neigh_capacity, 1024);
	assert_int_equal(c->neigh_timeout_s, 300);
	assert_string_equal(c->shm_name, "slimbridge");
	assert_true(c->slim.enforce_policy);
	assert_false(c->ports_set);
	assert_int_equal(c->nb_ports, 0);
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		const struct conf_port *p = &c->ports[i];

		assert_string_equal(p->name, "");
		assert_false(p->has_ip4);
		assert_false(p->has_ip6);
		assert_int_equal(p->mtu, 1500);
		assert_int_equal(p->rx_desc, 1024);
		assert_int_equal(p->tx_desc, 1024);
		assert_false(p->impair.enabled);
		assert_true(p->impair.drop == 0.0);
		assert_true(p->impair.duplicate == 0.0);
		assert_true(p->impair.reorder == 0.0);
		assert_int_equal(p->impair.seed, 1);
	}
	assert_int_equal(c->tcp.rcvbuf, 262144);
	assert_int_equal(c->tcp.sndbuf, 262144);
	assert_int_equal(c->tcp.max_connections, 4096);
	assert_string_equal(c->tcp.congestion, "cubic");
	assert_true(c->tcp.nodelay);
	assert_int_equal(c->tcp.syn_backlog, 256);
	assert_true(c->tcp.syncookies);
	assert_int_equal(c->tcp.time_wait_ms, 60000);
	assert_int_equal(c->tcp.time_wait_max, 4096);
	assert_int_equal(c->tcp.fin_wait2_ms, 60000);
	assert_int_equal(c->tcp.delack_ms, 40);
	assert_int_equal(c->tcp.min_rto_ms, 200);
	assert_int_equal(c->tcp.persist_max_ms, 1000);
	assert_false(c->tcp.keepalive);
	assert_int_equal(c->tcp.keepalive_idle_s, 7200);
	assert_int_equal(c->tcp.keepalive_interval_s, 75);
	assert_int_equal(c->tcp.keepalive_count, 9);
	assert_int_equal(c->tcp.eph_lo, 32768);
	assert_int_equal(c->tcp.eph_hi, 60999);
	assert_int_equal(c->tcp_apps.echo, 0);
	assert_int_equal(c->tcp_apps.discard, 0);
	assert_int_equal(c->tcp_apps.source, 0);
}

static void test_defaults(void **state)
{
	struct conf c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	conf_defaults(&c);
	assert_defaults(&c);
}

static void test_port_defaults(void **state)
{
	struct conf_port p;
	struct conf c;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	conf_port_defaults(&p);
	conf_defaults(&c);
	assert_memory_equal(&p, &c.ports[0], sizeof(p));
	assert_int_equal(p.mtu, 1500);
	assert_int_equal(p.impair.seed, 1);
}

static void test_empty_documents(void **state)
{
	static const char *const docs[] = {
		"", "\n", "   \n\n", "---\n", "---\n...\n", "~\n", "null\n", "{}\n", "--- {}\n",
	};
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(parse(&c, docs[i], err), 0);
		assert_defaults(&c);
	}
	assert_int_equal(conf_parse(&c, SRC, NULL, 0, err), 0);
	assert_defaults(&c);
}

static void test_comments_only(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c;

	(void)state;
	assert_int_equal(parse(&c, "# nothing here\n  # indented comment\n\n# end", err), 0);
	assert_defaults(&c);
}

static void test_full_example(void **state)
{
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const struct conf_port *p;
	char err[CONF_ERR_MAX];
	struct conf c;
	int rc;

	(void)state;
	rc = parse(&c, full_example, err);
	if (rc != 0) {
		print_error("%s\n", err);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.burst, 64);
	assert_int_equal(c.mbufs, 16383);
	assert_int_equal(c.mbuf_cache, 128);
	assert_int_equal(c.neigh_capacity, 2048);
	assert_int_equal(c.neigh_timeout_s, 60);
	assert_string_equal(c.shm_name, "sb-test_1.0");
	assert_true(c.ports_set);
	assert_int_equal(c.nb_ports, 2);

	p = &c.ports[0];
	assert_string_equal(p->name, "net_tap0");
	assert_true(p->has_ip4);
	assert_int_equal(p->ip4_prefix, 24);
	assert_memory_equal(&p->ip4, "\xc0\x00\x02\x01", 4);	/* network byte order */
	assert_true(p->has_ip6);
	assert_int_equal(p->ip6_prefix, 64);
	assert_memory_equal(p->ip6, ip6, 16);
	assert_int_equal(p->mtu, 9000);
	assert_int_equal(p->rx_desc, 2048);
	assert_int_equal(p->tx_desc, 512);
	assert_true(p->impair.enabled);
	assert_true(p->impair.drop == 0.01);
	assert_true(p->impair.duplicate == 0.001);
	assert_true(p->impair.reorder == 0.01);
	assert_int_equal(p->impair.seed, 42);

	p = &c.ports[1];
	assert_string_equal(p->name, "0000:03:00.0");
	assert_false(p->has_ip4);
	assert_false(p->has_ip6);
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(p->rx_desc, 1024);
	assert_int_equal(p->tx_desc, 1024);
	assert_false(p->impair.enabled);	/* a seed alone enables nothing */
	assert_int_equal(p->impair.seed, 7);
}

/* The same document in flow style gives the same result. */
static void test_flow_style(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf a, b;

	(void)state;
	assert_int_equal(parse(&a, full_example, err), 0);
	assert_int_equal(parse(&b,
			       "{workers: 2, burst: 64, mempool: {mbufs: 16383, cache: 128},"
			       " neighbour: {capacity: 2048, timeout: 60},"
			       " shm: {name: sb-test_1.0},"
			       " ports: [{name: net_tap0, ipv4: 192.0.2.1/24, ipv6: 2001:db8::1/64,"
			       " mtu: 9000, rx_desc: 2048, tx_desc: 512, impair: {drop: 0.01,"
			       " duplicate: 0.001, reorder: 0.01, seed: 42}},"
			       " {name: '0000:03:00.0', impair: {seed: 7}}]}",
			       err),
			 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* slim.policy both ways. */
	assert_int_equal(parse(&a, "slim: {policy: off}\n", err), 0);
	assert_false(a.slim.enforce_policy);
	assert_int_equal(parse(&a, "slim: {policy: enforce}\n", err), 0);
	assert_true(a.slim.enforce_policy);
	/* crypto: auto/auto by default; the names are crypto_aead.h's, in its enum order. */
	assert_int_equal(a.crypto.backend, 0);
	assert_int_equal(a.crypto.arch, 0);
	assert_int_equal(parse(&a, "crypto: {backend: openssl, arch: avx2}\n", err), 0);
	assert_int_equal(a.crypto.backend, 2);
	assert_int_equal(a.crypto.arch, 3);
	assert_int_equal(parse(&a, "crypto: {backend: ipsec-mb, arch: avx512}\n", err), 0);
	assert_int_equal(a.crypto.backend, 1);
	assert_int_equal(a.crypto.arch, 4);
	/* identity: defaults, every key, and the limits */
	assert_string_equal(a.identity.audience, "slimbridge");
	assert_int_equal(a.identity.cache_entries, 16384);
	assert_int_equal(a.identity.max_cold, 4);
	assert_int_equal(parse(&a, "identity: {audience: \"spiffe://acme.example/bridge\", "
				   "cache_entries: 1024, negative_entries: 128, max_cold: 8, "
				   "leeway_s: 30}\n", err), 0);
	assert_string_equal(a.identity.audience, "spiffe://acme.example/bridge");
	assert_int_equal(a.identity.cache_entries, 1024);
	assert_int_equal(a.identity.negative_entries, 128);
	assert_int_equal(a.identity.max_cold, 8);
	assert_int_equal(a.identity.leeway_s, 30);
	assert_int_not_equal(parse(&a, "identity: {max_cold: 0}\n", err), 0);
	assert_int_not_equal(parse(&a, "identity: {audience: \"\"}\n", err), 0);
	assert_int_not_equal(parse(&a, "identity: {leeway_s: 301}\n", err), 0);
	/* identity: our trust domain and whether tokens are required; audit rings */
	assert_int_equal(parse(&a, "{}\n", err), 0);
	assert_string_equal(a.identity.trust_domain, "");
	assert_true(a.identity.required);
	assert_true(a.audit.enabled);
	assert_int_equal(a.audit.ring_size, 16384);
	assert_int_equal(parse(&a, "identity: {trust_domain: acme.example, required: false}\n"
				   "audit: {enabled: false, ring_size: 1024}\n", err), 0);
	assert_string_equal(a.identity.trust_domain, "acme.example");
	assert_false(a.identity.required);
	assert_false(a.audit.enabled);
	assert_int_equal(a.audit.ring_size, 1024);
	assert_int_not_equal(parse(&a, "identity: {trust_domain: \"spiffe://acme.example\"}\n", err), 0);
	assert_int_not_equal(parse(&a, "audit: {ring_size: 3000}\n", err), 0);
	assert_int_not_equal(parse(&a, "audit: {ring_size: 512}\n", err), 0);
}

struct err_case {
	const char *yaml;
	unsigned int line;
	const char *path;	/* "" when the message names no key */
	const char *what;
};

static const struct err_case err_cases[] = {
	/* the top level */
	{ "- a\n- b\n", 1, "", "expected a mapping at the top level, got a sequence" },
	{ "\n42\n", 2, "", "expected a mapping at the top level, got \"42\"" },
	{ "? [a]\n: 1\n", 1, "", "expected a key, got a sequence" },
	{ "workers: 1\n---\nworkers: 2\n", 2, "", "a second YAML document" },
	/* unknown keys, at every level */
	{ "workers: 1\nworker: 2\n", 2, "worker",
	  "worker: unknown key (expected one of: workers, burst, mempool, neighbour, shm, ports, "
	  "tcp, tcp_test_apps, grpc_test_port, slim, crypto, identity, audit)" },
	{ "tcp:\n  rcvbuff: 65536\n", 2, "tcp.rcvbuff",
	  "tcp.rcvbuff: unknown key (expected one of: rcvbuf, sndbuf, max_connections, "
	  "congestion, nodelay, syn_backlog, syncookies, time_wait_ms, time_wait_max, "
	  "fin_wait2_ms, delack_ms, min_rto_ms, persist_max_ms, keepalive, keepalive_idle_s, "
	  "keepalive_interval_s, keepalive_count, ephemeral_ports)" },
	{ "tcp: {Nodelay: true}\n", 1, "tcp.Nodelay", "unknown key" },
	{ "tcp_test_apps: {chargen: 19}\n", 1, "tcp_test_apps.chargen",
	  "unknown key (expected one of: echo, discard, source)" },
	{ "tcp_apps: {echo: 7}\n", 1, "tcp_apps", "unknown key" },
	{ "mempool:\n  mbuf: 2000\n", 2, "mempool.mbuf",
	  "unknown key (expected one of: mbufs, cache)" },
	{ "neighbour: {cap: 20}\n", 1, "neighbour.cap",
	  "unknown key (expected one of: capacity, timeout)" },
	{ "shm:\n  path: x\n", 2, "shm.path", "unknown key (expected one of: name)" },
	{ "ports:\n  - name: a\n  - name: b\n    impairment: {}\n", 4, "ports[1].impairment",
	  "ports[1].impairment: unknown key (expected one of: name, ipv4, ipv6, mtu, rx_desc, "
	  "tx_desc, impair)" },
	{ "ports:\n  - name: a\n    impair:\n      loss: 0.1\n", 4, "ports[0].impair.loss",
	  "unknown key (expected one of: drop, duplicate, reorder, seed)" },
	{ "Workers: 1\n", 1, "Workers", "unknown key" },
	/* wrong node types */
	{ "workers: [1]\n", 1, "workers", "workers: expected an integer, got a sequence" },
	{ "\nburst: {a: 1}\n", 2, "burst", "expected an integer, got a mapping" },
	{ "workers:\n", 1, "workers", "expected an integer, got null" },
	{ "workers: \"2\"\n", 1, "workers", "expected an integer, got the string \"2\"" },
	{ "mempool: 5\n", 1, "mempool", "expected a mapping, got \"5\"" },
	{ "neighbour: []\n", 1, "neighbour", "expected a mapping, got a sequence" },
	{ "shm:\n", 1, "shm", "expected a mapping, got null" },
	{ "ports: {name: a}\n", 1, "ports", "expected a sequence of ports, got a mapping" },
	{ "ports:\n  - net_tap0\n", 2, "ports[0]", "expected a mapping, got \"net_tap0\"" },
	{ "ports:\n  - name: [a]\n", 2, "ports[0].name", "expected a string, got a sequence" },
	{ "ports:\n  - name: a\n    ipv4:\n", 3, "ports[0].ipv4", "expected a string, got null" },
	{ "ports:\n  - name: a\n    impair: {drop: [0.1]}\n", 3, "ports[0].impair.drop",
	  "expected a number, got a sequence" },
	{ "ports:\n  - name: a\n    impair: 0.1\n", 3, "ports[0].impair",
	  "expected a mapping, got \"0.1\"" },
	{ "tcp: 1\n", 1, "tcp", "expected a mapping, got \"1\"" },
	{ "tcp:\n", 1, "tcp", "expected a mapping, got null" },
	{ "tcp_test_apps: [7, 9]\n", 1, "tcp_test_apps", "expected a mapping, got a sequence" },
	{ "tcp: {rcvbuf: [1]}\n", 1, "tcp.rcvbuf", "expected an integer, got a sequence" },
	{ "tcp: {congestion: [cubic]}\n", 1, "tcp.congestion", "expected a string, got a sequence" },
	{ "tcp:\n  congestion:\n", 2, "tcp.congestion", "expected a string, got null" },
	{ "tcp: {ephemeral_ports: {a: 1}}\n", 1, "tcp.ephemeral_ports",
	  "expected a string, got a mapping" },
	{ "tcp_test_apps: {echo: \"7\"}\n", 1, "tcp_test_apps.echo",
	  "expected an integer, got the string \"7\"" },
	/* integers */
	{ "workers: -1\n", 1, "workers",
	  "invalid integer \"-1\" (expected a decimal integer 0..127)" },
	{ "workers: +1\n", 1, "workers", "invalid integer \"+1\"" },
	{ "workers: 0x10\n", 1, "workers", "invalid integer \"0x10\"" },
	{ "workers: 010\n", 1, "workers", "invalid integer \"010\"" },
	{ "workers: 1.0\n", 1, "workers", "invalid integer \"1.0\"" },
	{ "workers: 1_0\n", 1, "workers", "invalid integer \"1_0\"" },
	{ "workers: two\n", 1, "workers", "invalid integer \"two\"" },
	{ "workers: 128\n", 1, "workers", "128 is out of range (expected 0..127)" },
	{ "burst: 0\n", 1, "burst", "0 is out of range (expected 1..256)" },
	{ "burst: 99999999999999999999999\n", 1, "burst", "out of range (expected 1..256)" },
	{ "mempool:\n  cache: 513\n", 2, "mempool.cache", "513 is out of range (expected 0..512)" },
	{ "ports:\n  - name: a\n    rx_desc: 100\n", 3, "ports[0].rx_desc",
	  "100 is not a power of two (expected a power of two 64..16384)" },
	{ "ports:\n  - name: a\n    tx_desc: 32768\n", 3, "ports[0].tx_desc",
	  "32768 is out of range (expected 64..16384)" },
	{ "ports:\n  - name: a\n    mtu: 1279\n", 3, "ports[0].mtu",
	  "1279 is out of range (expected 1280..9000)" },
	/* probabilities and the seed */
	{ "ports:\n- name: a\n  impair: {drop: nan}\n", 3, "ports[0].impair.drop",
	  "invalid probability \"nan\" (expected a decimal number 0..1)" },
	{ "ports:\n- name: a\n  impair: {drop: .nan}\n", 3, "ports[0].impair.drop",
	  "invalid probability" },
	{ "ports:\n- name: a\n  impair: {drop: inf}\n", 3, "ports[0].impair.drop",
	  "invalid probability \"inf\"" },
	{ "ports:\n- name: a\n  impair: {reorder: .inf}\n", 3, "ports[0].impair.reorder",
	  "invalid probability" },
	{ "ports:\n- name: a\n  impair: {drop: 1e400}\n", 3, "ports[0].impair.drop",
	  "invalid probability" },
	{ "ports:\n- name: a\n  impair: {drop: 0x1p-3}\n", 3, "ports[0].impair.drop",
	  "invalid probability" },
	{ "ports:\n- name: a\n  impair: {drop: 1..0}\n", 3, "ports[0].impair.drop",
	  "invalid probability" },
	{ "ports:\n- name: a\n  impair: {drop: \"0.1\"}\n", 3, "ports[0].impair.drop",
	  "expected a number, got the string \"0.1\"" },
	{ "ports:\n- name: a\n  impair: {duplicate: 1.5}\n", 3, "ports[0].impair.duplicate",
	  "1.5 is out of range (expected 0..1)" },
	{ "ports:\n- name: a\n  impair: {drop: -0.1}\n", 3, "ports[0].impair.drop",
	  "-0.1 is out of range (expected 0..1)" },
	{ "ports:\n- name: a\n  impair: {seed: -1}\n", 3, "ports[0].impair.seed",
	  "invalid integer \"-1\"" },
	{ "ports:\n- name: a\n  impair: {seed: 18446744073709551616}\n", 3, "ports[0].impair.seed",
	  "18446744073709551616 is out of range (expected 0..18446744073709551615)" },
	/* tcp */
	{ "tcp:\n  rcvbuf: 16383\n", 2, "tcp.rcvbuf",
	  "tcp.rcvbuf: 16383 is out of range (expected 16384..16777216)" },
	{ "tcp:\n  sndbuf: 16777217\n", 2, "tcp.sndbuf",
	  "tcp.sndbuf: 16777217 is out of range (expected 16384..16777216)" },
	{ "tcp: {max_connections: 15}\n", 1, "tcp.max_connections",
	  "15 is out of range (expected 16..1048576)" },
	{ "tcp: {syn_backlog: 0}\n", 1, "tcp.syn_backlog", "0 is out of range (expected 1..65535)" },
	{ "tcp: {time_wait_ms: 600001}\n", 1, "tcp.time_wait_ms",
	  "600001 is out of range (expected 0..600000)" },
	{ "tcp: {time_wait_max: 1048577}\n", 1, "tcp.time_wait_max",
	  "1048577 is out of range (expected 0..1048576)" },
	{ "tcp: {fin_wait2_ms: 999}\n", 1, "tcp.fin_wait2_ms",
	  "999 is out of range (expected 1000..600000)" },
	{ "tcp: {delack_ms: 501}\n", 1, "tcp.delack_ms", "501 is out of range (expected 1..500)" },
	{ "tcp: {min_rto_ms: 0}\n", 1, "tcp.min_rto_ms", "0 is out of range (expected 1..1000)" },
	{ "tcp: {keepalive_idle_s: 86401}\n", 1, "tcp.keepalive_idle_s",
	  "86401 is out of range (expected 1..86400)" },
	{ "tcp: {keepalive_interval_s: 3601}\n", 1, "tcp.keepalive_interval_s",
	  "3601 is out of range (expected 1..3600)" },
	{ "tcp: {keepalive_count: 128}\n", 1, "tcp.keepalive_count",
	  "128 is out of range (expected 1..127)" },
	{ "tcp: {delack_ms: -1}\n", 1, "tcp.delack_ms",
	  "invalid integer \"-1\" (expected a decimal integer 1..500)" },
	{ "tcp:\n  congestion: bbr\n", 2, "tcp.congestion",
	  "tcp.congestion: unknown congestion control \"bbr\" (expected one of: newreno, cubic)" },
	{ "tcp: {congestion: CUBIC}\n", 1, "tcp.congestion",
	  "unknown congestion control \"CUBIC\"" },
	{ "tcp: {congestion: \"\"}\n", 1, "tcp.congestion", "unknown congestion control \"\"" },
	{ "tcp: {congestion: cubic2}\n", 1, "tcp.congestion", "unknown congestion control" },
	{ "tcp: {congestion: newrenonewrenonewreno}\n", 1, "tcp.congestion",
	  "unknown congestion control" },
	{ "tcp: {nodelay: yes}\n", 1, "tcp.nodelay",
	  "tcp.nodelay: invalid boolean \"yes\" (expected true or false)" },
	{ "tcp: {syncookies: 1}\n", 1, "tcp.syncookies", "invalid boolean \"1\"" },
	{ "tcp: {keepalive: off}\n", 1, "tcp.keepalive", "invalid boolean \"off\"" },
	{ "tcp: {keepalive: \"true\"}\n", 1, "tcp.keepalive",
	  "expected true or false, got the string \"true\"" },
	{ "tcp:\n  nodelay:\n", 2, "tcp.nodelay", "expected true or false, got null" },
	{ "tcp: {nodelay: [true]}\n", 1, "tcp.nodelay", "expected true or false, got a sequence" },
	{ "tcp:\n  ephemeral_ports: 60999-32768\n", 2, "tcp.ephemeral_ports",
	  "tcp.ephemeral_ports: empty port range \"60999-32768\": 60999 is greater than 32768" },
	{ "tcp: {ephemeral_ports: 1023-2000}\n", 1, "tcp.ephemeral_ports",
	  "port 1023 is out of range (expected LO-HI with 1024 <= LO <= HI <= 65535)" },
	{ "tcp: {ephemeral_ports: 2000-65536}\n", 1, "tcp.ephemeral_ports",
	  "port 65536 is out of range" },
	{ "tcp: {ephemeral_ports: 0-2000}\n", 1, "tcp.ephemeral_ports", "port 0 is out of range" },
	{ "tcp: {ephemeral_ports: 40000}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range \"40000\" (expected LO-HI with 1024 <= LO <= HI <= 65535)" },
	{ "tcp: {ephemeral_ports: 40000-}\n", 1, "tcp.ephemeral_ports", "invalid port range" },
	{ "tcp: {ephemeral_ports: -40000}\n", 1, "tcp.ephemeral_ports", "invalid port range" },
	{ "tcp: {ephemeral_ports: 02000-3000}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp: {ephemeral_ports: 2000-3000-4000}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp: {ephemeral_ports: 2000--3000}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp: {ephemeral_ports: \"2000 - 3000\"}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp: {ephemeral_ports: 100000-200000}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp: {ephemeral_ports: 0x400-0x500}\n", 1, "tcp.ephemeral_ports",
	  "invalid port range" },
	{ "tcp:\n  delack_ms: 10\n  delack_ms: 20\n", 3, "tcp.delack_ms", "duplicate key" },
	/* tcp_test_apps */
	{ "tcp_test_apps:\n  echo: 7\n  discard: 7\n", 3, "tcp_test_apps.discard",
	  "tcp_test_apps.discard: duplicate port 7 (also tcp_test_apps.echo)" },
	{ "tcp_test_apps: {source: 19, echo: 7, discard: 19}\n", 1, "tcp_test_apps.discard",
	  "duplicate port 19 (also tcp_test_apps.source)" },
	{ "tcp_test_apps: {echo: 65536}\n", 1, "tcp_test_apps.echo",
	  "65536 is out of range (expected 0..65535)" },
	{ "tcp_test_apps: {source: -19}\n", 1, "tcp_test_apps.source", "invalid integer" },
	{ "tcp_test_apps: {echo: 7, echo: 8}\n", 1, "tcp_test_apps.echo", "duplicate key" },
	/* slim */
	{ "slim: {links: [{endpoint: 10.0.0.1}]}\n", 1, "slim.links[0].endpoint",
	  "invalid endpoint" },
	{ "slim: {links: [{endpoint: \"10.0.0.1:0\"}]}\n", 1, "slim.links[0].endpoint",
	  "invalid endpoint port" },
	{ "slim: {links: [{endpoint: \"10.0.0.1:123456789\"}]}\n", 1, "slim.links[0].endpoint",
	  "invalid endpoint port" },
	{ "slim: {links: [{endpoint: \"host:46357\"}]}\n", 1, "slim.links[0].endpoint",
	  "invalid endpoint address" },
	{ "slim: {links: [{connection_type: remote}]}\n", 1, "slim.links[0]",
	  "missing required key \"endpoint\"" },
	{ "slim: {links: [{endpoint: \"[2001:db8::1]:1\", connection_type: x}]}\n", 1,
	  "slim.links[0].connection_type", "unknown connection type" },
	{ "slim: {node_id: \"a b\"}\n", 1, "slim.node_id", "invalid node id" },
	{ "slim: {policy: permissive}\n", 1, "slim.policy",
	  "unknown policy mode \"permissive\" (expected enforce or off)" },
	{ "slim: {policy: [enforce]}\n", 1, "slim.policy", "expected a string" },
	/* crypto */
	{ "crypto: {backend: qat}\n", 1, "crypto.backend",
	  "unknown crypto backend \"qat\" (expected one of auto, ipsec-mb, openssl)" },
	{ "crypto: {arch: neon}\n", 1, "crypto.arch",
	  "unknown crypto arch \"neon\" (expected one of auto, sse, avx, avx2, avx512)" },
	{ "crypto: {engine: x}\n", 1, "crypto.engine", "unknown key (expected one of: backend, arch)" },
	/* grpc_test_port */
	{ "grpc_test_port: 65536\n", 1, "grpc_test_port", "65536 is out of range (expected 0..65535)" },
	{ "tcp_test_apps: {echo: 8080}\ngrpc_test_port: 8080\n", 2, "grpc_test_port",
	  "port 8080 is both grpc_test_port and a tcp_test_apps port" },
	{ "grpc_test_port: 9\ntcp_test_apps: {discard: 9}\n", 2, "tcp_test_apps",
	  "port 9 is both grpc_test_port and a tcp_test_apps port" },
	/* duplicate keys */
	{ "workers: 1\nworkers: 2\n", 2, "workers", "workers: duplicate key" },
	{ "ports:\n  - name: a\n    ipv4: 10.0.0.1/8\n    ipv4: 10.0.0.2/8\n", 4, "ports[0].ipv4",
	  "ports[0].ipv4: duplicate key" },
	{ "ports:\n- name: a\n  impair:\n    seed: 1\n    seed: 2\n", 5, "ports[0].impair.seed",
	  "duplicate key" },
	{ "mempool: {cache: 1, cache: 2}\n", 1, "mempool.cache", "duplicate key" },
	/* ports */
	{ "ports:\n  - name: a\n  - name: b\n  - name: a\n", 4, "ports[2].name",
	  "duplicate port name \"a\" (also ports[0])" },
	{ "ports:\n  - mtu: 1500\n", 2, "ports[0]", "missing required key \"name\"" },
	{ "ports: []\n", 1, "ports", "empty list" },
	{ "ports:\n", 1, "ports", "expected a sequence of ports, got null" },
	{ "ports:\n  - name: \"a b\"\n", 2, "ports[0].name", "invalid device name \"a b\"" },
	{ "ports:\n  - name: \"\"\n", 2, "ports[0].name", "invalid device name \"\"" },
	{ "ports:\n  - name: net_tap0,iface=x\n", 2, "ports[0].name", "invalid device name" },
	{ "ports:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
	  "ports[0].name", "invalid device name" },
	/* IPv4 */
	{ "ports:\n- name: a\n  ipv4: 10.0.0.1/33\n", 3, "ports[0].ipv4",
	  "ports[0].ipv4: invalid IPv4 prefix \"10.0.0.1/33\" "
	  "(expected A.B.C.D/LEN with LEN 1..32)" },
	{ "ports:\n- name: a\n  ipv4: 10.0.0.1/0\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 10.0.0.1/08\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 10.0.0.1\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 10.0.0.1/\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: /8\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 10.0.0.256/8\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 10.0.1/8\n", 3, "ports[0].ipv4", "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 2001:db8::1/64\n", 3, "ports[0].ipv4",
	  "invalid IPv4 prefix" },
	{ "ports:\n- name: a\n  ipv4: 0.0.0.0/8\n", 3, "ports[0].ipv4", "0.0.0.0 is not a usable" },
	{ "ports:\n- name: a\n  ipv4: 224.0.0.1/4\n", 3, "ports[0].ipv4",
	  "224.0.0.1 is a multicast address" },
	{ "ports:\n- name: a\n  ipv4: 239.255.255.255/8\n", 3, "ports[0].ipv4", "multicast" },
	{ "ports:\n- name: a\n  ipv4: 255.255.255.255/32\n", 3, "ports[0].ipv4", "broadcast" },
	{ "ports:\n- name: a\n  ipv4: 127.0.0.1/8\n", 3, "ports[0].ipv4",
	  "127.0.0.1 is a loopback address" },
	{ "ports:\n- name: a\n  ipv4: 127.255.0.9/16\n", 3, "ports[0].ipv4", "loopback" },
	/* IPv6 */
	{ "ports:\n- name: a\n  ipv6: 2001:db8::1/129\n", 3, "ports[0].ipv6",
	  "invalid IPv6 prefix \"2001:db8::1/129\" (expected ADDRESS/LEN with LEN 1..128)" },
	{ "ports:\n- name: a\n  ipv6: 2001:db8::1/0\n", 3, "ports[0].ipv6", "invalid IPv6 prefix" },
	{ "ports:\n- name: a\n  ipv6: 2001:db8::1\n", 3, "ports[0].ipv6", "invalid IPv6 prefix" },
	{ "ports:\n- name: a\n  ipv6: 2001:db8::g/64\n", 3, "ports[0].ipv6",
	  "invalid IPv6 prefix" },
	{ "ports:\n- name: a\n  ipv6: 2001:db8:::1/64\n", 3, "ports[0].ipv6",
	  "invalid IPv6 prefix" },
	{ "ports:\n- name: a\n  ipv6: 192.0.2.1/24\n", 3, "ports[0].ipv6", "invalid IPv6 prefix" },
	{ "ports:\n- name: a\n  ipv6: ::/64\n", 3, "ports[0].ipv6", ":: is the unspecified" },
	{ "ports:\n- name: a\n  ipv6: ::1/128\n", 3, "ports[0].ipv6", "::1 is the loopback" },
	{ "ports:\n- name: a\n  ipv6: ff02::1/64\n", 3, "ports[0].ipv6",
	  "ff02::1 is a multicast address" },
	{ "ports:\n- name: a\n  ipv6: fe80::1/64\n", 3, "ports[0].ipv6",
	  "fe80::1 is a link-local address" },
	{ "ports:\n- name: a\n  ipv6: febf::1/64\n", 3, "ports[0].ipv6", "link-local" },
	/* shm.name */
	{ "shm: {name: a/b}\n", 1, "shm.name",
	  "invalid name \"a/b\" (expected 1..56 characters of [A-Za-z0-9_.-], not starting with '.')" },
	{ "shm: {name: \"\"}\n", 1, "shm.name", "invalid name \"\"" },
	{ "shm: {name: ..}\n", 1, "shm.name", "invalid name \"..\"" },
	{ "shm: {name: .hidden}\n", 1, "shm.name", "not starting with '.'" },
	{ "shm:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2, "shm.name",
	  "1..56 characters" },
	{ "shm: {name: \"a b\"}\n", 1, "shm.name", "invalid name" },
	{ "shm:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
	  "shm.name", "invalid name" },
	/* anchors, aliases, tags */
	{ "mempool: &m {mbufs: 2000}\nneighbour: *m\n", 1, "mempool",
	  "YAML anchors are not supported (&m)" },
	{ "workers: 1\nburst: *b\n", 2, "burst", "YAML aliases are not supported (*b)" },
	{ "ports:\n  - *p\n", 2, "ports[0]", "YAML aliases are not supported" },
	{ "ports:\n  - &p name: a\n", 2, "ports[0]", "YAML anchors are not supported (&p)" },
	{ "workers: !!int 2\n", 1, "workers", "YAML tags are not supported" },
	/* YAML syntax, with libyaml's own words */
	{ "workers: 2\n  burst: 3\n", 2, "", "YAML syntax error: mapping values are not allowed" },
	{ "ports: [a\n", 2, "", "YAML syntax error: did not find expected ',' or ']'" },
	{ "workers: 'x\n", 2, "", "YAML syntax error: found unexpected end of stream" },
	{ "workers: 1\nburst: \x01\n", 2, "", "YAML error: control characters are not allowed" },
	{ "workers: 1\n\n\xff\n", 3, "", "YAML error: invalid leading UTF-8 octet" },
};

static void check_error(const char *yaml, size_t len, unsigned int line, const char *path,
			const char *what)
{
	char err[CONF_ERR_MAX];
	char where[64];
	struct conf c;
	int rc;

	memset(err, 'x', sizeof(err));
	rc = conf_parse(&c, SRC, yaml, len, err);
	snprintf(where, sizeof(where), SRC ":%u:", line);
	if (rc != -EINVAL || strncmp(err, where, strlen(where)) != 0 || strstr(err, path) == NULL ||
	    strstr(err, what) == NULL) {
		print_error("document:\n%s\nrc %d, message: %s\nwanted %s ... %s ... %s\n",
			    yaml, rc, err, where, path, what);
	}
	assert_int_equal(rc, -EINVAL);
	assert_true(strncmp(err, where, strlen(where)) == 0);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, what));
	assert_true(strlen(err) < CONF_ERR_MAX);
	assert_null(strchr(err, '\n'));
	/* A failed parse leaves the defaults. */
	assert_defaults(&c);
}

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *e = &err_cases[i];

		check_error(e->yaml, strlen(e->yaml), e->line, e->path, e->what);
	}
}

/* The position is "line:column", both 1-based, at the offending value. */
static void test_error_format(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c;

	(void)state;
	assert_int_equal(parse(&c, "workers: 1\nports:\n  - name: a\n    mtu: 99\n", err), -EINVAL);
	assert_string_equal(err,
			    SRC ":4:10: ports[0].mtu: 99 is out of range (expected 1280..9000)");
	assert_int_equal(conf_parse(&c, NULL, "burst: x", 8, err), -EINVAL);
	assert_string_equal(err, "<config>:1:8: burst: invalid integer \"x\" "
			    "(expected a decimal integer 1..256)");
}

static void test_too_many_ports(void **state)
{
	char doc[2048];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "ports:\n");
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "  - name: net_null%d\n", i);
	}
	{
		char err[CONF_ERR_MAX];
		struct conf c;

		assert_int_equal(conf_parse(&c, SRC, doc, n, err), 0);
		assert_int_equal(c.nb_ports, CONF_MAX_PORTS);
		assert_string_equal(c.ports[CONF_MAX_PORTS - 1].name, "net_null15");
	}
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "  - name: net_null%d\n", i);
	check_error(doc, n, CONF_MAX_PORTS + 2, "ports[16]", "too many ports (at most 16)");
}

/* A NUL byte inside the text is libyaml's "control character", never a truncation. */
static void test_nul_byte(void **state)
{
	static const char doc[] = "shm: {name: ab\0c}\n";

	(void)state;
	check_error(doc, sizeof(doc) - 1, 1, "", "control characters are not allowed");
}

/* Messages stay on one line and within CONF_ERR_MAX, whatever the input holds. */
static void test_hostile_messages(void **state)
{
	char doc[4096];
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	assert_int_equal(parse(&c, "\"a\\nb\\u0001\": 1\n", err), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "a?b?: unknown key"));

	/* An explicit key: libyaml limits implicit ones to 1024 characters. */
	memcpy(doc, "? ", 2);
	for (i = 2; i < 3000; i++) {
		doc[i] = 'k';
	}
	memcpy(doc + i, "\n: 1\n", 6);
	assert_int_equal(parse(&c, doc, err), -EINVAL);
	assert_true(strlen(err) < CONF_ERR_MAX);
	assert_non_null(strstr(err, "kkk...: unknown key"));

	memcpy(doc, "workers: ", 9);
	memcpy(doc + i, "\n", 2);
	assert_int_equal(parse(&c, doc, err), -EINVAL);
	assert_non_null(strstr(err, "...\" (expected a decimal integer 0..127)"));

	/* A source name with a newline in it. */
	assert_int_equal(conf_parse(&c, "a\nb", "workers: x", 10, err), -EINVAL);
	assert_null(strchr(err, '\n'));
}

struct bound {
	const char *fmt;	/* document with one %s */
	const char *min, *max, *below, *above;
	uint64_t min_v, max_v;
	uint64_t (*get)(const struct conf *c);
};

static uint64_t get_workers(const struct conf *c) { return c->workers; }
static uint64_t get_burst(const struct conf *c) { return c->burst; }
static uint64_t get_mbufs(const struct conf *c) { return c->mbufs; }
static uint64_t get_cache(const struct conf *c) { return c->mbuf_cache; }
static uint64_t get_ncap(const struct conf *c) { return c->neigh_capacity; }
static uint64_t get_ntmo(const struct conf *c) { return c->neigh_timeout_s; }
static uint64_t get_mtu(const struct conf *c) { return c->ports[0].mtu; }
static uint64_t get_rxd(const struct conf *c) { return c->ports[0].rx_desc; }
static uint64_t get_txd(const struct conf *c) { return c->ports[0].tx_desc; }
static uint64_t get_seed(const struct conf *c) { return c->ports[0].impair.seed; }
static uint64_t get_ip4_prefix(const struct conf *c) { return c->ports[0].ip4_prefix; }
static uint64_t get_ip6_prefix(const struct conf *c) { return c->ports[0].ip6_prefix; }
static uint64_t get_rcvbuf(const struct conf *c) { return c->tcp.rcvbuf; }
static uint64_t get_sndbuf(const struct conf *c) { return c->tcp.sndbuf; }
static uint64_t get_maxconn(const struct conf *c) { return c->tcp.max_connections; }
static uint64_t get_backlog(const struct conf *c) { return c->tcp.syn_backlog; }
static uint64_t get_tw_ms(const struct conf *c) { return c->tcp.time_wait_ms; }
static uint64_t get_tw_max(const struct conf *c) { return c->tcp.time_wait_max; }
static uint64_t get_fw2_ms(const struct conf *c) { return c->tcp.fin_wait2_ms; }
static uint64_t get_delack(const struct conf *c) { return c->tcp.delack_ms; }
static uint64_t get_min_rto(const struct conf *c) { return c->tcp.min_rto_ms; }
static uint64_t get_persist_max(const struct conf *c) { return c->tcp.persist_max_ms; }
static uint64_t get_ka_idle(const struct conf *c) { return c->tcp.keepalive_idle_s; }
static uint64_t get_ka_intvl(const struct conf *c) { return c->tcp.keepalive_interval_s; }
static uint64_t get_ka_count(const struct conf *c) { return c->tcp.keepalive_count; }
static uint64_t get_eph_lo(const struct conf *c) { return c->tcp.eph_lo; }
static uint64_t get_eph_hi(const struct conf *c) { return c->tcp.eph_hi; }
static uint64_t get_echo(const struct conf *c) { return c->tcp_apps.echo; }
static uint64_t get_discard(const struct conf *c) { return c->tcp_apps.discard; }
static uint64_t get_source(const struct conf *c) { return c->tcp_apps.source; }

static const struct bound bounds[] = {
	{ "workers: %s", "0", "127", NULL, "128", 0, 127, get_workers },
	{ "burst: %s", "1", "256", "0", "257", 1, 256, get_burst },
	{ "mempool: {mbufs: %s}", "1023", "1048575", "1022", "1048576", 1023, 1048575, get_mbufs },
	{ "mempool: {cache: %s}", "0", "512", NULL, "513", 0, 512, get_cache },
	{ "neighbour: {capacity: %s}", "16", "1048576", "15", "1048577", 16, 1048576, get_ncap },
	{ "neighbour: {timeout: %s}", "1", "86400", "0", "86401", 1, 86400, get_ntmo },
	{ "ports: [{name: a, mtu: %s}]", "1280", "9000", "1279", "9001", 1280, 9000, get_mtu },
	{ "ports: [{name: a, rx_desc: %s}]", "64", "16384", "32", "32768", 64, 16384, get_rxd },
	{ "ports: [{name: a, tx_desc: %s}]", "64", "16384", "63", "16385", 64, 16384, get_txd },
	{ "ports: [{name: a, impair: {seed: %s}}]", "0", "18446744073709551615", NULL,
	  "18446744073709551616", 0, UINT64_MAX, get_seed },
	{ "ports: [{name: a, ipv4: 10.1.2.3/%s}]", "1", "32", "0", "33", 1, 32, get_ip4_prefix },
	{ "ports: [{name: a, ipv6: '2001:db8::1/%s'}]", "1", "128", "0", "129", 1, 128,
	  get_ip6_prefix },
	{ "tcp: {rcvbuf: %s}", "16384", "16777216", "16383", "16777217", 16384, 16777216,
	  get_rcvbuf },
	{ "tcp: {sndbuf: %s}", "16384", "16777216", "16383", "16777217", 16384, 16777216,
	  get_sndbuf },
	{ "tcp: {max_connections: %s}", "16", "1048576", "15", "1048577", 16, 1048576,
	  get_maxconn },
	{ "tcp: {syn_backlog: %s}", "1", "65535", "0", "65536", 1, 65535, get_backlog },
	{ "tcp: {time_wait_ms: %s}", "0", "600000", NULL, "600001", 0, 600000, get_tw_ms },
	{ "tcp: {time_wait_max: %s}", "0", "1048576", NULL, "1048577", 0, 1048576, get_tw_max },
	{ "tcp: {fin_wait2_ms: %s}", "1000", "600000", "999", "600001", 1000, 600000, get_fw2_ms },
	{ "tcp: {delack_ms: %s}", "1", "500", "0", "501", 1, 500, get_delack },
	{ "tcp: {min_rto_ms: %s}", "1", "1000", "0", "1001", 1, 1000, get_min_rto },
	{ "tcp: {persist_max_ms: %s}", "100", "120000", "99", "120001", 100, 120000, get_persist_max },
	{ "tcp: {keepalive_idle_s: %s}", "1", "86400", "0", "86401", 1, 86400, get_ka_idle },
	{ "tcp: {keepalive_interval_s: %s}", "1", "3600", "0", "3601", 1, 3600, get_ka_intvl },
	{ "tcp: {keepalive_count: %s}", "1", "127", "0", "128", 1, 127, get_ka_count },
	{ "tcp: {ephemeral_ports: %s-65535}", "1024", "65535", "1023", "65536", 1024, 65535,
	  get_eph_lo },
	{ "tcp: {ephemeral_ports: 1024-%s}", "1024", "65535", "1023", "65536", 1024, 65535,
	  get_eph_hi },
	{ "tcp_test_apps: {echo: %s}", "0", "65535", NULL, "65536", 0, 65535, get_echo },
	{ "tcp_test_apps: {discard: %s}", "0", "65535", NULL, "65536", 0, 65535, get_discard },
	{ "tcp_test_apps: {source: %s}", "0", "65535", NULL, "65536", 0, 65535, get_source },
};

static int parse_with(struct conf *c, const char *fmt, const char *v, char *err)
{
	char doc[256];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(doc, sizeof(doc), fmt, v);
#pragma GCC diagnostic pop
	return parse(c, doc, err);
}

static void test_boundaries(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		const struct bound *b = &bounds[i];

		assert_int_equal(parse_with(&c, b->fmt, b->min, err), 0);
		assert_int_equal(b->get(&c), b->min_v);
		assert_int_equal(parse_with(&c, b->fmt, b->max, err), 0);
		assert_int_equal(b->get(&c), b->max_v);
		if (b->below != NULL) {
			assert_int_equal(parse_with(&c, b->fmt, b->below, err), -EINVAL);
			assert_non_null(strstr(err, SRC ":1:"));
		}
		assert_int_equal(parse_with(&c, b->fmt, b->above, err), -EINVAL);
		assert_non_null(strstr(err, SRC ":1:"));
	}
}

static void test_probabilities(void **state)
{
	static const struct {
		const char *v;
		double d;
	} ok[] = {
		{ "0", 0.0 }, { "1", 1.0 }, { "0.0", 0.0 }, { "1.0", 1.0 }, { "1e-9", 1e-9 },
		{ ".5", 0.5 }, { "5e-1", 0.5 }, { "-0", 0.0 }, { "0.999999", 0.999999 },
	};
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_with(&c, "ports: [{name: a, impair: {drop: %s}}]", ok[i].v,
					    err), 0);
		assert_true(c.ports[0].impair.drop == ok[i].d);
		assert_true(c.ports[0].impair.enabled == (ok[i].d > 0.0));
		assert_false(signbit(c.ports[0].impair.drop));
	}
	assert_int_equal(parse_with(&c, "ports: [{name: a, impair: {drop: %s}}]", "1.0000001", err),
			 -EINVAL);
	assert_int_equal(parse(&c, "ports: [{name: a, impair: {drop: 0, duplicate: 0, "
			       "reorder: 0}}]", err), 0);
	assert_false(c.ports[0].impair.enabled);
	assert_int_equal(parse(&c, "ports: [{name: a, impair: {reorder: 0.25}}]", err), 0);
	assert_true(c.ports[0].impair.enabled);
	assert_int_equal(c.ports[0].impair.seed, 1);
}

static const char tcp_example[] =
	"tcp:\n"
	"  rcvbuf: 1048576\n"
	"  sndbuf: 65536\n"
	"  max_connections: 100000\n"
	"  congestion: newreno\n"
	"  nodelay: false\n"
	"  syn_backlog: 1024\n"
	"  syncookies: false\n"
	"  time_wait_ms: 0\n"
	"  time_wait_max: 0\n"
	"  fin_wait2_ms: 1000\n"
	"  delack_ms: 1\n"
	"  min_rto_ms: 1000\n"
	"  keepalive: true\n"
	"  keepalive_idle_s: 60\n"
	"  keepalive_interval_s: 10\n"
	"  keepalive_count: 3\n"
	"  ephemeral_ports: 40000-40000\n"
	"tcp_test_apps:\n"
	"  echo: 7\n"
	"  discard: 9\n"
	"  source: 19\n";

static void test_tcp(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c, d;
	int rc;

	(void)state;
	rc = parse(&c, tcp_example, err);
	if (rc != 0) {
		print_error("%s\n", err);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(c.tcp.rcvbuf, 1048576);
	assert_int_equal(c.tcp.sndbuf, 65536);
	assert_int_equal(c.tcp.max_connections, 100000);
	assert_string_equal(c.tcp.congestion, "newreno");
	assert_false(c.tcp.nodelay);
	assert_int_equal(c.tcp.syn_backlog, 1024);
	assert_false(c.tcp.syncookies);
	assert_int_equal(c.tcp.time_wait_ms, 0);
	assert_int_equal(c.tcp.time_wait_max, 0);
	assert_int_equal(c.tcp.fin_wait2_ms, 1000);
	assert_int_equal(c.tcp.delack_ms, 1);
	assert_int_equal(c.tcp.min_rto_ms, 1000);
	assert_true(c.tcp.keepalive);
	assert_int_equal(c.tcp.keepalive_idle_s, 60);
	assert_int_equal(c.tcp.keepalive_interval_s, 10);
	assert_int_equal(c.tcp.keepalive_count, 3);
	assert_int_equal(c.tcp.eph_lo, 40000);
	assert_int_equal(c.tcp.eph_hi, 40000);
	assert_int_equal(c.tcp_apps.echo, 7);
	assert_int_equal(c.tcp_apps.discard, 9);
	assert_int_equal(c.tcp_apps.source, 19);
	/* Nothing else moved. */
	conf_defaults(&d);
	d.tcp = c.tcp;
	d.tcp_apps = c.tcp_apps;
	assert_memory_equal(&c, &d, sizeof(c));

	/* The same in flow style. */
	assert_int_equal(parse(&d,
			       "{tcp: {rcvbuf: 1048576, sndbuf: 65536, max_connections: 100000,"
			       " congestion: 'newreno', nodelay: false, syn_backlog: 1024,"
			       " syncookies: false, time_wait_ms: 0, time_wait_max: 0,"
			       " fin_wait2_ms: 1000, delack_ms: 1, min_rto_ms: 1000, keepalive: true,"
			       " keepalive_idle_s: 60, keepalive_interval_s: 10, keepalive_count: 3,"
			       " ephemeral_ports: \"40000-40000\"},"
			       " tcp_test_apps: {echo: 7, discard: 9, source: 19}}",
			       err),
			 0);
	assert_memory_equal(&c, &d, sizeof(c));

	/* An empty tcp mapping keeps every default. */
	assert_int_equal(parse(&c, "tcp: {}\ntcp_test_apps: {}\n", err), 0);
	assert_defaults(&c);
}

static void test_tcp_values(void **state)
{
	static const struct {
		const char *v;
		bool b;
	} bools[] = {
		{ "true", true }, { "True", true }, { "TRUE", true },
		{ "false", false }, { "False", false }, { "FALSE", false },
	};
	static const char *const bad_bools[] = {
		"yes", "no", "on", "off", "y", "n", "1", "0", "tRUE", "truee", "'true'", "~",
	};
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		assert_int_equal(parse_with(&c, "tcp: {nodelay: %s}", bools[i].v, err), 0);
		assert_true(c.tcp.nodelay == bools[i].b);
		assert_int_equal(parse_with(&c, "tcp: {syncookies: %s}", bools[i].v, err), 0);
		assert_true(c.tcp.syncookies == bools[i].b);
		assert_int_equal(parse_with(&c, "tcp: {keepalive: %s}", bools[i].v, err), 0);
		assert_true(c.tcp.keepalive == bools[i].b);
	}
	for (i = 0; i < sizeof(bad_bools) / sizeof(bad_bools[0]); i++) {
		assert_int_equal(parse_with(&c, "tcp: {keepalive: %s}", bad_bools[i], err), -EINVAL);
		assert_non_null(strstr(err, SRC ":1:18: tcp.keepalive: "));
		assert_non_null(strstr(err, "true or false"));
	}

	/* Every congestion control the stack knows (tcp_cc_names), quoted or not. */
	assert_int_equal(parse(&c, "tcp: {congestion: newreno}", err), 0);
	assert_string_equal(c.tcp.congestion, "newreno");
	assert_int_equal(parse(&c, "tcp: {congestion: \"cubic\"}", err), 0);
	assert_string_equal(c.tcp.congestion, "cubic");
	assert_int_equal(parse(&c, "tcp:\n  congestion: 'newreno'\n", err), 0);
	assert_string_equal(c.tcp.congestion, "newreno");

	/* Port ranges: a single port, the widest, quoted. */
	assert_int_equal(parse(&c, "tcp: {ephemeral_ports: 1024-65535}", err), 0);
	assert_int_equal(c.tcp.eph_lo, 1024);
	assert_int_equal(c.tcp.eph_hi, 65535);
	assert_int_equal(parse(&c, "tcp: {ephemeral_ports: '50000-50000'}", err), 0);
	assert_int_equal(c.tcp.eph_lo, 50000);
	assert_int_equal(c.tcp.eph_hi, 50000);

	/* The exact message, with the column of the value. */
	assert_int_equal(parse(&c, "tcp:\n  ephemeral_ports: 5000-4000\n", err), -EINVAL);
	assert_string_equal(err, SRC ":2:20: tcp.ephemeral_ports: empty port range \"5000-4000\": "
			    "5000 is greater than 4000 (expected LO-HI with 1024 <= LO <= HI <= "
			    "65535)");
	assert_int_equal(parse(&c, "tcp:\n  min_rto_ms: 1001\n", err), -EINVAL);
	assert_string_equal(err, SRC ":2:15: tcp.min_rto_ms: 1001 is out of range "
			    "(expected 1..1000)");
}

static void test_tcp_apps(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c;

	(void)state;
	/* Flow style, as in the documentation. */
	assert_int_equal(parse(&c, "tcp_test_apps: {echo: 7, discard: 9, source: 19}", err), 0);
	assert_int_equal(c.tcp_apps.echo, 7);
	assert_int_equal(c.tcp_apps.discard, 9);
	assert_int_equal(c.tcp_apps.source, 19);

	/* Any subset; absent is off. */
	assert_int_equal(parse(&c, "tcp_test_apps: {source: 65535}", err), 0);
	assert_int_equal(c.tcp_apps.echo, 0);
	assert_int_equal(c.tcp_apps.discard, 0);
	assert_int_equal(c.tcp_apps.source, 65535);

	/* 0 is off, and several apps may be off at once. */
	assert_int_equal(parse(&c, "tcp_test_apps: {echo: 0, discard: 0, source: 1}", err), 0);
	assert_int_equal(c.tcp_apps.echo, 0);
	assert_int_equal(c.tcp_apps.discard, 0);
	assert_int_equal(c.tcp_apps.source, 1);

	/* Used ports must differ, whatever the key order. */
	assert_int_equal(parse(&c, "tcp_test_apps:\n  source: 5000\n  echo: 5000\n", err),
			 -EINVAL);
	assert_string_equal(err, SRC ":3:9: tcp_test_apps.echo: duplicate port 5000 "
			    "(also tcp_test_apps.source)");
	assert_defaults(&c);
	assert_int_equal(parse(&c, "tcp_test_apps: {echo: 7, discard: 9, source: 7}", err),
			 -EINVAL);
	assert_string_equal(err, SRC ":1:46: tcp_test_apps.source: duplicate port 7 "
			    "(also tcp_test_apps.echo)");
}

/* Edge addresses that are fine: network and broadcast of their own prefix, 240/4. */
static void test_addresses_accepted(void **state)
{
	static const char *const ok4[] = {
		"10.0.0.0/8", "10.255.255.255/8", "192.0.2.255/24", "223.255.255.255/8",
		"240.0.0.1/4", "126.255.255.255/8", "128.0.0.1/16", "0.0.0.1/32", "1.2.3.4/32",
	};
	static const char *const ok6[] = {
		"2001:db8::/32", "fd00::1/8", "fec0::1/10", "::2/128", "::ffff:192.0.2.1/96",
		"2001:db8:0:0:0:0:0:1/1",
	};
	char err[CONF_ERR_MAX];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok4) / sizeof(ok4[0]); i++) {
		if (parse_with(&c, "ports: [{name: a, ipv4: '%s'}]", ok4[i], err) != 0) {
			print_error("%s: %s\n", ok4[i], err);
			fail();
		}
		assert_true(c.ports[0].has_ip4);
	}
	for (i = 0; i < sizeof(ok6) / sizeof(ok6[0]); i++) {
		if (parse_with(&c, "ports: [{name: a, ipv6: '%s'}]", ok6[i], err) != 0) {
			print_error("%s: %s\n", ok6[i], err);
			fail();
		}
		assert_true(c.ports[0].has_ip6);
	}
}

static void test_load_example(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c, d;
	int rc;

	(void)state;
	rc = conf_load(&c, CONF_EXAMPLE, err);
	if (rc != 0) {
		print_error("%s\n", err);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.nb_ports, 2);
	assert_string_equal(c.ports[0].name, "net_tap0");
	assert_true(c.ports[0].has_ip6);
	assert_string_equal(c.ports[1].name, "net_tap1");
	assert_false(c.ports[1].impair.enabled);
	/* The example spells out every tcp key with its default value. */
	conf_defaults(&d);
	assert_memory_equal(&c.tcp, &d.tcp, sizeof(c.tcp));
	/* tcp_test_apps is commented out there: the test servers stay off. */
	assert_int_equal(c.tcp_apps.echo, 0);
	assert_int_equal(c.tcp_apps.discard, 0);
	assert_int_equal(c.tcp_apps.source, 0);
}

static void test_load_missing(void **state)
{
	char err[CONF_ERR_MAX];
	struct conf c;

	(void)state;
	assert_int_equal(conf_load(&c, "/nonexistent/x.yaml", err), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot read: No such file or directory");
	assert_defaults(&c);
	assert_int_equal(conf_load(&c, "/", err), -EISDIR);
	assert_non_null(strstr(err, "/: cannot read: "));
}

/* Writes |n| bytes of |fill| (or |text| when given) to a new temporary file. */
static void write_tmp(char *path, const char *text, size_t n, char fill)
{
	char chunk[4096];
	size_t done, k;
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_conf_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	if (text != NULL) {
		assert_int_equal(fwrite(text, 1, n, f), n);
	} else {
		memset(chunk, fill, sizeof(chunk));
		chunk[0] = '#';
		chunk[sizeof(chunk) - 1] = '\n';
		for (done = 0; done < n; done += k) {
			k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
			assert_int_equal(fwrite(chunk, 1, k, f), k);
		}
	}
	assert_int_equal(fclose(f), 0);
}

static void test_load_files(void **state)
{
	static const char bad[] = "workers: 1\nburst: 1000\n";
	char path[64], want[128];
	char err[CONF_ERR_MAX];
	struct conf c;

	(void)state;
	write_tmp(path, full_example, strlen(full_example), 0);
	assert_int_equal(conf_load(&c, path, err), 0);
	assert_int_equal(c.nb_ports, 2);
	unlink(path);

	write_tmp(path, bad, strlen(bad), 0);
	assert_int_equal(conf_load(&c, path, err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:8: burst: 1000 is out of range (expected 1..256)", path);
	assert_string_equal(err, want);
	unlink(path);

	/* Exactly the limit is fine (comments only), one byte more is not. */
	write_tmp(path, NULL, 1024 * 1024, ' ');
	assert_int_equal(conf_load(&c, path, err), 0);
	unlink(path);
	write_tmp(path, NULL, 1024 * 1024 + 1, ' ');
	assert_int_equal(conf_load(&c, path, err), -EINVAL);
	snprintf(want, sizeof(want), "%s: file too large", path);
	assert_non_null(strstr(err, want));
	unlink(path);
}

/* xorshift64*: a fixed seed keeps failures reproducible. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static size_t mutate(char *buf, size_t n, size_t cap, uint64_t *s)
{
	static const char alpha[] = "-:[]{},&*!|>'\"#%@`?0123456789.eE+ \n\t\n  abcnx/\\\xff\x80~";
	unsigned int rounds = 1 + (unsigned int)(rnd(s) % 4);
	size_t pos, k;

	while (rounds-- > 0 && n > 0) {
		pos = (size_t)(rnd(s) % n);
		switch (rnd(s) % 7) {
		case 0:		/* replace a byte with a YAML-ish one */
			buf[pos] = alpha[rnd(s) % (sizeof(alpha) - 1)];
			break;
		case 1:		/* replace a byte with any byte */
			buf[pos] = (char)(rnd(s) & 0xff);
			break;
		case 2:		/* insert */
			if (n < cap) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = alpha[rnd(s) % (sizeof(alpha) - 1)];
				n++;
			}
			break;
		case 3:		/* delete a run */
			k = 1 + (size_t)(rnd(s) % 16);
			k = k > n - pos ? n - pos : k;
			memmove(buf + pos, buf + pos + k, n - pos - k);
			n -= k;
			break;
		case 4:		/* duplicate a run elsewhere */
			k = 1 + (size_t)(rnd(s) % 40);
			k = k > n - pos ? n - pos : k;
			if (n + k <= cap) {
				size_t at = (size_t)(rnd(s) % (n + 1));
				char tmp[40];

				memcpy(tmp, buf + pos, k);
				memmove(buf + at + k, buf + at, n - at);
				memcpy(buf + at, tmp, k);
				n += k;
			}
			break;
		case 5:		/* truncate */
			n = pos;
			break;
		default:	/* change a digit */
			for (k = pos; k < n; k++) {
				if (buf[k] >= '0' && buf[k] <= '9') {
					buf[k] = (char)('0' + rnd(s) % 10);
					break;
				}
			}
			break;
		}
	}
	return n;
}

static void test_mutations(void **state)
{
	char buf[4096];
	char err[CONF_ERR_MAX];
	unsigned int accepted = 0;
	uint64_t s = UINT64_C(0x5eed5eed12345678);
	struct conf c;
	size_t n;
	int i, rc;

	(void)state;
	for (i = 0; i < 10000; i++) {
		n = strlen(full_example);
		memcpy(buf, full_example, n);
		n = mutate(buf, n, sizeof(buf), &s);
		err[0] = '\0';
		rc = conf_parse(&c, "fuzz", buf, n, err);
		if (rc != 0 && rc != -EINVAL) {
			print_error("iteration %d: rc %d: %s\n", i, rc, err);
		}
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			accepted++;
			assert_true(c.nb_ports <= CONF_MAX_PORTS);
			assert_true(c.burst >= 1 && c.burst <= 256);
			continue;
		}
		assert_true(err[0] != '\0');
		assert_true(strncmp(err, "fuzz", 4) == 0);
		assert_true(strlen(err) < CONF_ERR_MAX);
		assert_null(strchr(err, '\n'));
	}
	/* Some mutations (a digit, a comment) leave a valid document. */
	assert_true(accepted > 0 && accepted < 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_port_defaults),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_comments_only),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_flow_style),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_too_many_ports),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_probabilities),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_values),
		cmocka_unit_test(test_tcp_apps),
		cmocka_unit_test(test_addresses_accepted),
		cmocka_unit_test(test_load_example),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
