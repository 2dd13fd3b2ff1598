/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_sched.h - the federation module's rules, without I/O: which
 * bundle is current (shared/reference/spiffe.md 5.5: spiffe_sequence
 * orders bundles; without one the newest retrieval counts; an operator's
 * override stays current until the next successful refresh), when the next
 * refresh is due (the bundle's spiffe_refresh_hint, clamped), how a failed
 * refresh backs off (exponential, never faster than the first retry and
 * never slower than the refresh interval), and when a bundle that could
 * not be refreshed is too old to trust.
 *
 * Pure functions of their arguments: the unit tests drive them with
 * invented clocks (tests/unit/control/test_fed_sched.c).
 *
 * Thread context: any.
 */
#ifndef SB_CTL_FED_SCHED_H
#define SB_CTL_FED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_FED_HINT_DEFAULT_S 300	/* no spiffe_refresh_hint: about 5 minutes (spec 5.5) */
#define CTL_FED_HINT_MIN_S 1
#define CTL_FED_HINT_MAX_S 86400	/* a hint is clamped to [MIN, MAX] */

/* Where a bundle came from. */
enum ctl_fed_source {
	CTL_FED_SRC_NONE = 0,		/* no bundle */
	CTL_FED_SRC_FILE,		/* our own, from --bundle-file */
	CTL_FED_SRC_FETCH,		/* a peer's, from its bundle endpoint */
	CTL_FED_SRC_OVERRIDE,		/* set by the operator (BundleSet) */
};

/* ctl_fed_source_name: "", "file", "fetch", "override". */
const char *ctl_fed_source_name(enum ctl_fed_source s);

/* ctl_fed_source_parse: the inverse of ctl_fed_source_name; CTL_FED_SRC_NONE if unknown. */
enum ctl_fed_source ctl_fed_source_parse(const char *s);

/* What the rules look at in a bundle (the current one, or one just obtained). */
struct ctl_fed_ver {
	enum ctl_fed_source src;	/* CTL_FED_SRC_NONE: there is no current bundle */
	bool has_seq;
	uint64_t seq;			/* spiffe_sequence */
	const uint8_t *doc;		/* the document, compared byte for byte */
	size_t len;
};

enum ctl_fed_verdict {
	CTL_FED_NEW,			/* no current bundle: take it */
	CTL_FED_NEWER,			/* a change: take it */
	CTL_FED_SAME,			/* the current document byte for byte: a confirmation */
	CTL_FED_OLDER,			/* refused: a lower spiffe_sequence than the current */
	CTL_FED_CONFLICT,		/* refused: the current spiffe_sequence, another document */
};

/*
 * ctl_fed_sched_judge says what to do with |got| (src FETCH, FILE or
 * OVERRIDE) given the current bundle |cur|. A fetched bundle is refused
 * (OLDER, CONFLICT) when both carry a sequence and it does not advance,
 * unless the current one is an override (the fetch replaces it). A file or
 * an override is never refused: our own trust domain's file is the
 * authority on it, and the operator on an override.
 */
enum ctl_fed_verdict ctl_fed_sched_judge(const struct ctl_fed_ver *cur,
					 const struct ctl_fed_ver *got);

/* ctl_fed_sched_refused: true for OLDER and CONFLICT. */
bool ctl_fed_sched_refused(enum ctl_fed_verdict v);

/*
 * ctl_fed_sched_interval_ms returns the refresh interval of a bundle with
 * (|has_hint|) refresh hint |hint_s|: CTL_FED_HINT_DEFAULT_S without one,
 * else the hint clamped to [CTL_FED_HINT_MIN_S, CTL_FED_HINT_MAX_S]; in ms.
 */
uint64_t ctl_fed_sched_interval_ms(bool has_hint, uint64_t hint_s);

/*
 * ctl_fed_sched_backoff_ms returns the delay before the next try after
 * |failures| (>= 1) consecutive failed refreshes: |min_ms| doubled for each
 * failure after the first, at most |cap_ms| (the refresh interval: a
 * failing endpoint is never polled faster than a healthy one would be once
 * the backoff has grown). |failures| 0 gives |cap_ms|; the result is at
 * least 1.
 */
uint64_t ctl_fed_sched_backoff_ms(uint32_t failures, uint64_t min_ms, uint64_t cap_ms);

/*
 * ctl_fed_sched_stale: true when more than |max_stale_s| seconds passed
 * from |ok_ms| (the last successful refresh) to |now_ms| (both wall clock,
 * ms). False when |ok_ms| is 0 (unknown) or in the future (the clock was
 * set back: keep trusting rather than drop on a clock step).
 */
bool ctl_fed_sched_stale(uint64_t ok_ms, uint64_t now_ms, uint64_t max_stale_s);

#endif
