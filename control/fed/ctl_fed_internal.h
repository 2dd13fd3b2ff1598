/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_internal.h - inside the federation module: shared by ctl_fed.c
 * (trust domains, taking bundles, publication, the tick), ctl_fed_store.c
 * (the store), ctl_fed_fetch.c (libcurl), ctl_fed_own.c (our bundle file
 * and the HTTP endpoint) and ctl_fed_methods.c (the Bundle* methods).
 */
#ifndef SB_CTL_FED_INTERNAL_H
#define SB_CTL_FED_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.pb-c.h"
#include "ctl_fed.h"
#include "ctl_fed_sched.h"
#include "grpc_server.h"
#include "spiffe_id.h"

#define CTL_FED_ERR_MAX 320		/* bytes of a refresh error */
#define CTL_FED_MAX_TDS 256		/* trust domains (ID_BUNDLE_SET_MAX) */
#define CTL_FED_OK_SAVE_MS 60000	/* the last good refresh is stored at most this often */

typedef Slimbridge__Control__V1__TrustBundle pb_bundle;

struct ctl_fed_xfer;
struct ctl_fed_srv;
struct ctl_fed_call;

/* One trust domain: its current bundle and its refresh state. */
struct ctl_fed_td {
	char td[SPIFFE_TD_MAX + 1];
	bool own;			/* conf->trust_domain */
	char *url;			/* the bundle endpoint; NULL: not polled */
	char *trust;			/* the trust relationship that names it; NULL: own */
	bool claimed;			/* ctl_fed_sync: a trust names it */
	/* The current bundle (src CTL_FED_SRC_NONE: none yet). */
	enum ctl_fed_source src;
	uint8_t *doc;			/* NUL-terminated after doc_len bytes */
	size_t doc_len;
	bool has_seq;
	uint64_t seq;
	bool has_hint;
	uint64_t hint_s;
	uint32_t n_keys, n_ignored;
	uint64_t updated_ms;		/* wall clock: when it became current */
	uint64_t ok_ms;			/* wall clock: the last successful refresh */
	uint64_t ok_saved_ms;		/* ok_ms as last stored */
	bool stale;			/* out of the snapshot (ctl_fed_sched_stale) */
	/* Refreshes. */
	uint64_t next_mono;		/* monotonic ms of the next fetch; 0: none */
	uint64_t next_ms;		/* the same on the wall clock (for the API) */
	uint64_t interval_ms;		/* the delay it was scheduled with */
	uint64_t last_attempt_ms;	/* wall clock */
	uint32_t failures;		/* since the last good refresh */
	char err[CTL_FED_ERR_MAX];	/* why the last refresh failed; "" after a good one */
	struct ctl_fed_xfer *xfer;	/* the fetch in flight, or NULL */
	struct ctl_fed_call *waiters;	/* BundleRefresh calls answered when it is over */
};

struct ctl_fed {
	char *trust_domain;		/* NULL: none */
	char *bundle_file;
	uint32_t retry_min_ms;
	uint64_t max_stale_s;
	struct ctl_state *st;
	struct ctl_fed_td **tds;	/* sorted by trust domain */
	size_t n_tds;
	bool synced;
	uint64_t synced_version;	/* the policy version ctl_fed_sync last followed */
	bool dirty;			/* publish at the end of the tick */
	bool table_set;			/* a BUNDLES table was published (ctl_fed_flush) */
	uint64_t now_mono;		/* of the current tick */
	uint64_t stale_check_mono;
	/* Our bundle file (ctl_fed_own.c). */
	uint64_t file_check_mono;
	bool file_known;
	dev_t file_dev;
	ino_t file_ino;
	off_t file_size;
	int64_t file_mtime_ns;
	struct ctl_fed_srv *srv;	/* the bundle endpoint, or NULL */
	/* Fetches (ctl_fed_fetch.c). */
	void *multi;			/* CURLM */
	uint32_t n_inflight;
	bool curl_ready;
	/* The Bundle* methods (ctl_fed_methods.c). */
	struct ctl_fed_slot *slots;
	bool stopped;
};

struct id_bundle;

/* ---- ctl_fed.c ---- */

/* Wall clock in ms. */
uint64_t ctl_fed_realtime_ms(void);

/* Copies |s| into |out| (|cap| bytes) with all but printable ASCII as '?': peers' text goes to logs. */
void ctl_fed_printable(char *out, size_t cap, const char *s);

/* "none", or |seq| in decimal in |buf|. */
const char *ctl_fed_seq_str(bool has, uint64_t seq, char *buf, size_t cap);

/* The entry of trust domain |td|, or NULL. */
struct ctl_fed_td *ctl_fed_find(struct ctl_fed *f, const char *td);

/* Adds an empty entry for |td| (checked by the caller), kept sorted; NULL without room or memory. */
struct ctl_fed_td *ctl_fed_td_add(struct ctl_fed *f, const char *td);

/* Makes |b| (parsed from |len| bytes at |doc|, copied) |e|'s current bundle. 0 or -ENOMEM. */
int ctl_fed_set_current(struct ctl_fed_td *e, const struct id_bundle *b, const uint8_t *doc,
			size_t len, enum ctl_fed_source src) __attribute__((warn_unused_result));

/*
 * ctl_fed_take offers |len| bytes at |doc| from |src| (FILE, FETCH or
 * OVERRIDE; |origin| names it in the log: a URL, "file PATH", "operator
 * override") as |e|'s bundle. Returns 0 when it is current now (a change,
 * logged, stored, published; or a confirmation of the current one), or
 * -EBADMSG / -E2BIG (not a valid bundle), -ESTALE (refused by the sequence
 * rule), -ENOMEM, with the reason in |why|. Schedules nothing and counts no
 * failure (the caller does).
 */
int ctl_fed_take(struct ctl_fed *f, struct ctl_fed_td *e, const uint8_t *doc, size_t len,
		 enum ctl_fed_source src, const char *origin, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* ctl_fed_fetched: |e|'s fetch ended with |body| (|ok|) or the error |why|. */
void ctl_fed_fetched(struct ctl_fed *f, struct ctl_fed_td *e, bool ok, const uint8_t *body,
		     size_t len, const char *why);

/*
 * ctl_fed_refresh_now starts fetching |e| now unless a fetch is in flight.
 * Returns true when one is in flight after the call; false when it could
 * not start (counted and logged as a failed refresh).
 */
bool ctl_fed_refresh_now(struct ctl_fed *f, struct ctl_fed_td *e);

/* ctl_fed_flush publishes the BUNDLES table if a bundle changed since the last time. */
void ctl_fed_flush(struct ctl_fed *f);

/* Fills |b| with |e|'s state (strings point into |e|; |with_doc|: the document too). */
void ctl_fed_describe(const struct ctl_fed_td *e, bool with_doc, pb_bundle *b);

/* ---- ctl_fed_store.c ---- */

/* Stores |e|'s bundle and the time of its last good refresh (failures are logged). */
void ctl_fed_save(struct ctl_fed *f, struct ctl_fed_td *e);

/* Stores the time of |e|'s last good refresh, at most once per CTL_FED_OK_SAVE_MS. */
void ctl_fed_save_ok(struct ctl_fed *f, struct ctl_fed_td *e);

/* Removes trust domain |td|'s bundle from the store. */
void ctl_fed_unstore(struct ctl_fed *f, const char *td);

/*
 * ctl_fed_load takes every stored bundle back (each checked again with
 * id_bundle_parse; one that fails is dropped and logged). 0, or a negative
 * errno with |err| when the store cannot be read.
 */
int ctl_fed_load(struct ctl_fed *f, char *err, size_t errlen) __attribute__((warn_unused_result));

/* ---- ctl_fed_fetch.c ---- */

/* Sets libcurl up (once per process) and makes the multi handle. 0 or -ENOMEM. */
int ctl_fed_fetch_init(struct ctl_fed *f) __attribute__((warn_unused_result));

/* Cancels every fetch and frees the multi handle. */
void ctl_fed_fetch_cleanup(struct ctl_fed *f);

/*
 * ctl_fed_fetch_url_check: 0 when |url| is an http or https URL without
 * userinfo (spec 5.1), else -EINVAL with the reason in |why|.
 */
int ctl_fed_fetch_url_check(const char *url, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* Starts fetching e->url. 0, or a negative errno with |why|. */
int ctl_fed_fetch_start(struct ctl_fed *f, struct ctl_fed_td *e, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* Cancels |e|'s fetch (if any); ctl_fed_fetched is not called. */
void ctl_fed_fetch_cancel(struct ctl_fed *f, struct ctl_fed_td *e);

/* Drives the transfers; each one that ends goes to ctl_fed_fetched. */
void ctl_fed_fetch_poll(struct ctl_fed *f);

/* ---- ctl_fed_own.c ---- */

/* Starts the endpoint at |listen|. 0, or a negative errno with |err|. */
int ctl_fed_serve_start(struct ctl_fed *f, const char *listen, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The bound port, 0 without an endpoint. */
int ctl_fed_serve_port(const struct ctl_fed *f);

/* Serves |len| bytes at |doc| from now on (copied; len 0: nothing, 503). */
void ctl_fed_serve_set(struct ctl_fed *f, const uint8_t *doc, size_t len);

/* Stops the endpoint and frees it. */
void ctl_fed_serve_stop(struct ctl_fed *f);

/*
 * ctl_fed_own_check reads the bundle file when it changed (|force|: in any
 * case) and offers it as our bundle. Returns 0 (read and taken, or
 * unchanged), or a negative errno with the reason in |why| (logged).
 */
int ctl_fed_own_check(struct ctl_fed *f, bool force, char *why, size_t whylen);

/* ---- ctl_fed_methods.c ---- */

/* Registers the Bundle* methods on |srv|. 0 or a negative errno. */
int ctl_fed_methods_register(struct ctl_fed *f, struct grpc_server *srv)
	__attribute__((warn_unused_result));

/* Answers |e|'s waiting BundleRefresh calls with its state now (NOT_FOUND with |gone|). */
void ctl_fed_answer_waiters(struct ctl_fed *f, struct ctl_fed_td *e, bool gone);

/* Answers every waiting call UNAVAILABLE. */
void ctl_fed_methods_abandon(struct ctl_fed *f);

#endif
