/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h - the data plane's YAML configuration: defaults, parsing, validation.
 *
 * Sans-I/O apart from reading the file: conf_parse takes a YAML document in
 * memory, conf_load reads a file and calls it. Every problem is reported as
 * one line naming the source, line, column and the key path, e.g.
 *
 *   /etc/sb.yaml:4:11: ports[0].ipv4: invalid IPv4 prefix "10.0.0.1/33"
 *                      (expected A.B.C.D/LEN with LEN 1..32)
 *
 * Unknown keys, wrong types and out-of-range values are errors, never
 * ignored. The options and their defaults are documented in
 * docs/configuration.md; keep both in step.
 */
#ifndef SB_CONF_H
#define SB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_PORTS 16
#define CONF_NAME_MAX 64
#define CONF_ERR_MAX 512
#define CONF_TCP_CC_MAX 16	/* congestion[]: the longest name in tcp_cc_names and NUL */

struct conf_impair {
	bool enabled;		/* true when any probability is > 0 */
	double drop;		/* probability 0..1 per packet and direction */
	double duplicate;	/* 0..1 */
	double reorder;		/* 0..1 */
	uint64_t seed;		/* default 1 */
};

struct conf_port {
	char name[CONF_NAME_MAX];	/* DPDK device name, e.g. net_tap0, 0000:03:00.0 */
	bool has_ip4;
	bool has_ip6;
	uint8_t ip4_prefix;
	uint8_t ip6_prefix;
	uint32_t ip4;			/* network byte order */
	uint8_t ip6[16];
	uint16_t mtu;			/* default 1500; 1280..9000 */
	uint16_t rx_desc;		/* default 1024; power of two 64..16384 */
	uint16_t tx_desc;		/* default 1024; power of two 64..16384 */
	struct conf_impair impair;
};

/*
 * tcp: the user-space TCP stack. "Per worker" limits apply to each worker
 * lcore separately. Times are milliseconds (_ms) or seconds (_s).
 */
struct conf_tcp {
	uint32_t rcvbuf;		/* bytes per connection, default 262144, 16384..16777216 */
	uint32_t sndbuf;		/* bytes per connection, default 262144, 16384..16777216 */
	uint32_t max_connections;	/* per worker, default 4096, 16..1048576 */
	char congestion[CONF_TCP_CC_MAX];	/* one of tcp_cc_names, default "cubic" */
	bool nodelay;			/* default true: Nagle off */
	bool syncookies;		/* default true */
	bool keepalive;			/* default false */
	uint32_t syn_backlog;		/* per listener per worker, default 256, 1..65535 */
	uint32_t time_wait_ms;		/* default 60000, 0..600000; 0: no TIME-WAIT hold */
	uint32_t time_wait_max;		/* per worker, default 4096, 0..1048576 */
	uint32_t fin_wait2_ms;		/* default 60000, 1000..600000 */
	uint32_t delack_ms;		/* default 40, 1..500 */
	uint32_t min_rto_ms;		/* default 200, 1..1000 */
	uint32_t persist_max_ms;	/* default 1000, 100..120000 */
	uint32_t keepalive_idle_s;	/* default 7200, 1..86400 */
	uint32_t keepalive_interval_s;	/* default 75, 1..3600 */
	uint32_t keepalive_count;	/* default 9, 1..127 */
	uint16_t eph_lo;		/* ephemeral ports "LO-HI", default 32768-60999, */
	uint16_t eph_hi;		/* 1024 <= eph_lo <= eph_hi <= 65535 */
};

#define CONF_MAX_SLIM_LINKS 8

/* slim.links[]: an outgoing link to another SLIM node. */
struct conf_slim_link {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* network order */
	uint16_t port;
	uint8_t connection_type; /* LinkConnectionType: 0 remote (default), 1 peer, 2 edge */
};

/* slim: the SLIM v2 node (OpenChannel over gRPC on the worker's own TCP). */
struct conf_slim {
	uint16_t nb_links;
	struct conf_slim_link links[CONF_MAX_SLIM_LINKS];
	uint16_t listen_port;		/* default 46357; 0 = off */
	bool require_header_mac;	/* default true */
	uint32_t max_message;		/* bytes, default 4194304, 1024..16777216 */
	char node_id[CONF_NAME_MAX];	/* default "slimbridge"; [A-Za-z0-9_.:-]+ */
	bool enforce_policy;		/* policy: enforce (default) | off */
};

/*
 * crypto: the AEAD engine of every worker (dataplane/crypto/crypto_aead.h).
 * backend: auto (ipsec-mb where the CPU has AES-NI) | ipsec-mb | openssl;
 * arch: ipsec-mb's code path, auto | sse | avx | avx2 | avx512. Values are
 * crypto_aead.h's enum crypto_aead_backend and enum crypto_aead_arch.
 */
#define CONF_CRYPTO_AUTO 0
struct conf_crypto {
	uint8_t backend;		/* default 0 (auto) */
	uint8_t arch;			/* default 0 (auto) */
};

/*
 * identity: JWT-SVID checks on the workers (dataplane/identity/id_cache.h).
 * audience is this bridge's (what tokens sent to it carry in "aud"); the
 * trust bundles come with the policy snapshot (its BUNDLES table).
 */
#define CONF_AUDIENCE_MAX 255
struct conf_identity {
	char audience[CONF_AUDIENCE_MAX + 1];	/* default "slimbridge" */
	uint32_t cache_entries;		/* per worker, default 16384, 64..4194304 */
	uint32_t negative_entries;	/* per worker, default 4096, 64..1048576 */
	uint32_t max_cold;		/* verifications per burst, default 4, 1..64 */
	uint32_t leeway_s;		/* clock skew, default 60, 0..300 */
	char trust_domain[CONF_AUDIENCE_MAX + 1];	/* ours; default "" (then our agents'
							 * tokens cannot verify: set it) */
	bool required;			/* cross-boundary publishes need a token; default true */
};

/*
 * audit: the audit rings to the control process's writer
 * (proto/shm/audit_abi.h, docs/audit.md).
 */
struct conf_audit {
	bool enabled;			/* default true */
	uint32_t ring_size;		/* records per worker, power of 2, default 16384, 1024..1048576 */
};

/* tcp_test_apps: TCP ports of the built-in test servers; 0 = off. Used ports are distinct. */
struct conf_tcp_apps {
	uint16_t echo;			/* returns every byte it receives */
	uint16_t discard;		/* reads and drops */
	uint16_t source;		/* sends bytes 0, 1, ..., 255, 0, 1, ... until closed */
};

struct conf {
	uint16_t workers;		/* 0 (default): one per EAL worker lcore */
	uint16_t burst;			/* rx/tx burst size, default 32, 1..256 */
	uint32_t mbufs;			/* mbufs per port pool, default 8191, 1023..1048575 */
	uint32_t mbuf_cache;		/* per-lcore mempool cache, default 256, 0..512 */
	uint32_t neigh_capacity;	/* entries per port, default 1024, 16..1048576 */
	uint32_t neigh_timeout_s;	/* seconds, default 300, 1..86400 */
	char shm_name[CONF_NAME_MAX];	/* default "slimbridge"; [A-Za-z0-9_.-]+ */
	bool ports_set;			/* false: the key was absent; use every probed port */
	uint16_t nb_ports;
	struct conf_port ports[CONF_MAX_PORTS];
	struct conf_tcp tcp;
	struct conf_tcp_apps tcp_apps;	/* default all 0 (off) */
	uint16_t grpc_test_port;	/* gRPC interop TestService over our TCP; 0 = off (default) */
	struct conf_slim slim;
	struct conf_crypto crypto;
	struct conf_identity identity;
	struct conf_audit audit;
};

/*
 * conf_defaults fills |c| with every default (no ports, the tcp defaults, no
 * TCP test apps). Every ports[] entry, used or not, also holds the per-port
 * defaults (mtu, descriptors, impair off with seed 1), so a caller that uses
 * every probed port (ports_set false) can take its settings from ports[0].
 */
void conf_defaults(struct conf *c);

/*
 * conf_port_defaults fills |p| with the per-port defaults: no name, no
 * addresses, mtu 1500, 1024 RX and TX descriptors, impairment off (seed 1).
 */
void conf_port_defaults(struct conf_port *p);

/*
 * conf_parse parses the YAML document |text| of |len| bytes into |c| (which
 * it first sets to the defaults). |source| names the document in messages.
 * Returns 0, or -EINVAL with a one-line message in |err| (CONF_ERR_MAX bytes);
 * -ENOMEM (with a message) only if libyaml cannot allocate. On failure |c|
 * holds the defaults. An empty or comments-only document yields the
 * defaults. Reentrant; no global state.
 */
int conf_parse(struct conf *c, const char *source, const char *text, size_t len, char *err)
	__attribute__((warn_unused_result));

/*
 * conf_load reads the file at |path| and parses it as conf_parse does.
 * Returns 0, -EINVAL (bad content, or a file over 1 MiB) or the negative
 * errno of the failed open or read, always with a message in |err|.
 */
int conf_load(struct conf *c, const char *path, char *err) __attribute__((warn_unused_result));

#endif
