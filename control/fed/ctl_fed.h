/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed.h - SPIFFE federation in the control process (docs/federation.md;
 * shared/reference/spiffe.md sections 4 and 5): our trust domain's bundle
 * served at a bundle endpoint, peers' bundles fetched from theirs, both
 * kept in the store and published to the data plane.
 *
 * Our bundle. conf->bundle_file is the bundle of conf->trust_domain as the
 * operator's SPIRE writes it. It is read at start and again whenever its
 * size, mtime or inode change (looked at about once a second from
 * ctl_fed_tick); a file that is not a valid bundle (id_bundle_parse) keeps
 * the previous one and is logged. With conf->listen, libmicrohttpd serves
 * the current document over plain HTTP on its own thread: GET or HEAD of
 * "/" or "/bundle" answers 200 with Content-Type application/json (503
 * until there is one), other paths 404, other methods 405; no client
 * authentication (spec 5.2). TLS for the https_web profile is terminated in
 * front of it (docs/federation.md, "TLS in deployment").
 *
 * Peers' bundles. Every trust relationship of the policy model with a
 * peerTrustDomain and a bundleEndpoint, and whose state is not "revoked",
 * is polled (one endpoint per trust domain: the trust with the smallest id
 * wins) with libcurl's multi interface, driven by ctl_fed_tick: the event
 * loop never waits on the network. http and https (https_web: the system's
 * CA store, the name checked), no redirects followed (spec 5.4 allows
 * following only to valid endpoints; we do not follow at all, and a 3xx is
 * a failed refresh), connect timeout CTL_FED_CONNECT_MS, whole transfer
 * CTL_FED_TOTAL_MS, at most ID_BUNDLE_MAX_BYTES. A response is taken only
 * if id_bundle_parse accepts it for the peer trust domain and
 * ctl_fed_sched_judge does (a sequence never goes backwards). The next
 * refresh follows the current bundle's spiffe_refresh_hint
 * (ctl_fed_sched_interval_ms); a failed one retries after conf->retry_min_ms,
 * doubling, at most the refresh interval. A bundle not refreshed for
 * conf->max_stale_s leaves the snapshot (nothing from that trust domain is
 * trusted) until a refresh succeeds. A trust removed or revoked: polling
 * stops, its bundle is dropped (store and snapshot).
 *
 * The operator may set a peer's bundle (BundleSet): it is current until the
 * next successful refresh (spec 5.5), whatever the sequences; that is also
 * how to recover from a peer whose sequence went backwards for good.
 *
 * Persistence: each trust domain's current bundle is a store object of kind
 * CTL_STATE_KIND_BUNDLE (id the trust domain, a TrustBundle message),
 * written when the document or its source changes (a new policy version and
 * a change-log row: the audit trail); the time of the last successful
 * refresh is a store meta value, written at most once a minute, so that
 * staleness survives a restart. At start the stored bundles are checked
 * again and published.
 *
 * Publication: the BUNDLES table (policy_bundles.h, SB_POL_TABLE_BUNDLES)
 * with our bundle and each current (not stale) peer bundle, through
 * ctl_state_set_table, republished on every change. A process that
 * federates nothing (no trust domain of ours, no trust naming a peer's)
 * publishes no table, as before federation existed; from the first trust
 * domain on, every snapshot carries one, empty when there is no bundle (the
 * data plane then trusts no trust domain).
 *
 * Logging: one line on stderr per change, refusal, failure and drop,
 * "slimbridge-control: bundle TD: ..."; key ids only, never key material.
 *
 * API: BundleList, BundleGet, BundleSet, BundleRefresh
 * (proto/control/control.proto), registered on the control API's server.
 *
 * Thread context: the event loop's thread, except the HTTP server's own
 * thread, which only reads the served document under a mutex.
 */
#ifndef SB_CTL_FED_H
#define SB_CTL_FED_H

#include <stddef.h>
#include <stdint.h>

#define CTL_FED_RETRY_MIN_MS 5000	/* default first retry after a failed refresh */
#define CTL_FED_MAX_STALE_S 86400	/* default age at which an unrefreshed bundle is dropped */
#define CTL_FED_CONNECT_MS 5000
#define CTL_FED_TOTAL_MS 10000
#define CTL_FED_MAX_INFLIGHT 16		/* fetches at once; the others wait their turn */

struct ctl_fed;
struct ctl_state;
struct grpc_server;

struct ctl_fed_conf {
	const char *trust_domain;	/* ours; NULL: none */
	const char *bundle_file;	/* our bundle; NULL: none (needs trust_domain) */
	const char *listen;		/* bundle endpoint ADDR:PORT; NULL: none (needs bundle_file) */
	uint32_t retry_min_ms;		/* 0: CTL_FED_RETRY_MIN_MS */
	uint64_t max_stale_s;		/* 0: CTL_FED_MAX_STALE_S */
};

/*
 * ctl_fed_addr_check: 0 when |s| is ADDR:PORT with an IPv4 literal or a
 * bracketed IPv6 literal and a port 0..65535 (0: any), else -EINVAL.
 */
int ctl_fed_addr_check(const char *s) __attribute__((warn_unused_result));

/*
 * ctl_fed_new loads the stored bundles, reads conf->bundle_file, starts the
 * bundle endpoint, registers the Bundle* methods on |srv| and publishes the
 * BUNDLES table on |st|. Returns NULL with one line in |err|: a bad
 * configuration, the endpoint cannot listen, no memory. An unreadable or
 * invalid bundle file is not fatal (logged; the stored one, if any, serves).
 */
struct ctl_fed *ctl_fed_new(const struct ctl_fed_conf *conf, struct ctl_state *st,
			    struct grpc_server *srv, char *err, size_t errlen);

/* ctl_fed_port returns the bundle endpoint's bound port, 0 when there is none. */
int ctl_fed_port(const struct ctl_fed *f);

/*
 * ctl_fed_tick does the module's work for time |now_ms| (monotonic): follows
 * policy changes, re-reads our bundle file, starts due fetches, takes
 * finished ones, drops stale bundles and publishes what changed. Call on
 * every loop turn (the h2_sock loop hook).
 */
void ctl_fed_tick(struct ctl_fed *f, uint64_t now_ms);

/*
 * ctl_fed_stop answers the BundleRefresh calls still waiting (UNAVAILABLE),
 * cancels the fetches and stops the bundle endpoint: call it before the
 * loop is freed.
 */
void ctl_fed_stop(struct ctl_fed *f);

/* ctl_fed_free frees |f| (after the loop and the server). NULL ok. */
void ctl_fed_free(struct ctl_fed *f);

/*
 * ctl_fed_bundle gives read access to trust domain |td|'s current bundle
 * (ours or a peer's) for other control modules (control/trust: the bridge
 * keys in it): |*doc| (|*len| bytes, NUL-terminated) is valid until the
 * next ctl_fed_tick. Returns 0 when it is in the snapshot (published),
 * -ESTALE when it is kept but out of the snapshot (not refreshed for
 * --bundle-max-stale), -ENOENT when there is none (not federated, or not
 * fetched yet).
 */
int ctl_fed_bundle(struct ctl_fed *f, const char *td, const uint8_t **doc, size_t *len)
	__attribute__((warn_unused_result));

struct Slimbridge__Control__V1__TrustBundle;

/*
 * ctl_fed_bundle_describe fills |b| with |td|'s bundle state as BundleGet
 * answers it without the document (strings point into |f|: valid until
 * the next ctl_fed_tick). -ENOENT when the trust domain is not federated.
 */
int ctl_fed_bundle_describe(struct ctl_fed *f, const char *td,
			    struct Slimbridge__Control__V1__TrustBundle *b)
	__attribute__((warn_unused_result));

#endif
