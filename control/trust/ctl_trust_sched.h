/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_sched.h - the trust module's rules, without I/O
 * (docs/federation.md, "Seal establishment" and "Rekey"): which bridge of
 * a trust creates the seal group, the group's id, the peer's endpoints,
 * when to rekey, how a failed attempt backs off, when a commit may be
 * delivered and how long the committer keeps sending with the previous
 * epoch.
 *
 * Pure functions of their arguments: the unit tests drive them with
 * invented clocks and counters (tests/unit/trust/test_trust_sched.c).
 *
 * Thread context: any.
 */
#ifndef SB_CTL_TRUST_SCHED_H
#define SB_CTL_TRUST_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_TRUST_GID_PREFIX "sbseal:"
#define CTL_TRUST_GID_MAX 255		/* bytes of an MLS group id we make (MLS_GROUP_MAX_ID) */
#define CTL_TRUST_CONTROL_PORT 50051	/* the peer's control API when controlEndpoint is absent */
#define CTL_TRUST_RETRY_MIN_MS 250	/* first retry of a failed establishment */
#define CTL_TRUST_RETRY_MAX_MS 5000	/* the retry interval doubles up to this */
#define CTL_TRUST_DEFAULT_INTERVAL_S 3600	/* default rekeyIntervalSeconds */
#define CTL_TRUST_DEFAULT_MESSAGES 1000000	/* default rekeyMessages */
#define CTL_TRUST_REKEY_MIN_MS 200	/* at most one rekey per trust in this time */
#define CTL_TRUST_SEND_PREV_GRACE_MS 10000	/* send-prev kept at most this long after the
						 * peer's answer when it does not confirm (well
						 * inside the peer's SB_POL_SEAL_PREV_WINDOW_S) */
#define CTL_TRUST_JOIN_GRACE_MS 300	/* a joiner publishes a new group this long after joining */
#define CTL_TRUST_DP_WAIT_MS 2000	/* a commit waits at most this long for our data plane */

/* ---- roles and group ids ---------------------------------------------------- */

/*
 * ctl_trust_sched_creator: true when the bridge of trust domain |own|
 * creates the seal group it shares with |peer|: the one whose trust domain
 * sorts lower (bytewise). Both sides compute the same answer; equal trust
 * domains (a misconfiguration) give false on both.
 */
bool ctl_trust_sched_creator(const char *own, const char *peer);

/*
 * ctl_trust_sched_group_id writes the seal group id of (|own|, |peer|) and
 * |incarnation| into |out| (|cap| bytes, NUL-terminated):
 *   "sbseal:" LOWER "|" HIGHER ":" 16 lowercase hex digits of incarnation
 * where LOWER and HIGHER are the two trust domains in bytewise order. A
 * group made anew for the same pair (after a restart, a revoke, a lost
 * group) has a new random incarnation, so a group id is never reused.
 * Returns the length, or -EINVAL (empty or equal trust domains, or one with
 * '|' or ':' in it), -ENAMETOOLONG (over CTL_TRUST_GID_MAX bytes) or
 * -ENOSPC (|cap|).
 */
int ctl_trust_sched_group_id(const char *own, const char *peer, uint64_t incarnation, char *out,
			     size_t cap) __attribute__((warn_unused_result));

/*
 * ctl_trust_sched_group_parse splits a seal group id: the two trust domains
 * (NUL-terminated into |lo| and |hi|, |cap| bytes each) and the
 * incarnation. Returns 0, or -EINVAL for anything not made by
 * ctl_trust_sched_group_id (which also never accepts lo >= hi).
 */
int ctl_trust_sched_group_parse(const char *gid, size_t len, char *lo, char *hi, size_t cap,
				uint64_t *incarnation) __attribute__((warn_unused_result));

/* ctl_trust_sched_is_seal_group: true when |gid| starts with CTL_TRUST_GID_PREFIX. */
bool ctl_trust_sched_is_seal_group(const uint8_t *gid, size_t len);

/* ---- endpoints -------------------------------------------------------------- */

struct ctl_trust_addr {
	uint8_t family;			/* 4 or 6 */
	uint8_t addr[16];		/* network order; v4 in the first 4 bytes */
	uint16_t port;			/* host order */
};

/*
 * ctl_trust_sched_endpoint parses "HOST:PORT" where HOST is an IPv4
 * literal or a bracketed IPv6 literal ("[::1]:46357") and PORT 1..65535.
 * Returns 0 or -EINVAL (names are not resolved: the data plane dials
 * addresses).
 */
int ctl_trust_sched_endpoint(const char *ep, struct ctl_trust_addr *out)
	__attribute__((warn_unused_result));

/*
 * ctl_trust_sched_control_endpoint writes where the peer's control API is
 * reached: |control| when it is set (checked as above), else the host of
 * |endpoint| with port CTL_TRUST_CONTROL_PORT. Returns 0, -EINVAL (neither
 * parses) or -ENOSPC.
 */
int ctl_trust_sched_control_endpoint(const char *endpoint, const char *control, char *out,
				     size_t cap) __attribute__((warn_unused_result));

/* ---- retries ---------------------------------------------------------------- */

/*
 * ctl_trust_sched_backoff_ms: the delay before the next establishment
 * attempt after |failures| (>= 1) consecutive failed ones:
 * CTL_TRUST_RETRY_MIN_MS doubled per failure after the first, at most
 * CTL_TRUST_RETRY_MAX_MS. 0 failures: 0 (now).
 */
uint64_t ctl_trust_sched_backoff_ms(uint32_t failures);

/* ---- rekey ------------------------------------------------------------------ */

enum ctl_trust_rekey {
	CTL_TRUST_REKEY_NONE = 0,
	CTL_TRUST_REKEY_INTERVAL,	/* rekeyIntervalSeconds since the epoch began */
	CTL_TRUST_REKEY_MESSAGES,	/* our data plane sealed rekeyMessages in the epoch */
	CTL_TRUST_REKEY_DATAPLANE,	/* MLS: the data plane is not the one the epoch was made for */
	CTL_TRUST_REKEY_REQUEST,	/* the data plane asked (its rekey_req counter moved) */
	CTL_TRUST_REKEY_PEER,		/* the peer bridge asked (its own reasons) */
};

/* What the rekey rule looks at, for one seal. Times: monotonic ms. */
struct ctl_trust_rekey_in {
	uint64_t now_ms;
	uint64_t epoch_ms;		/* when the current epoch began here */
	uint64_t last_rekey_ms;		/* the last rekey (or establishment); 0: none */
	uint32_t interval_s;		/* 0: no rekey by time */
	uint32_t rekey_messages;	/* 0: no rekey by count */
	bool counters;			/* our data plane sends with the current epoch: */
	uint64_t sealed_epoch;		/*   messages it sealed in it */
	bool mls;			/* mode MLS (data-plane tokens matter) */
	uint32_t dp_token;		/* our data plane's reader_token now; 0: none running */
	uint32_t epoch_token;		/* the token the current epoch was published for */
	uint64_t rekey_req;		/* the data plane's rekey_req counter now */
	uint64_t rekey_req_seen;	/* its value when the current epoch began */
	bool peer_asked;		/* the peer bridge asked for a rekey of this epoch */
};

/*
 * ctl_trust_sched_rekey says whether a seal should move to a new epoch now
 * and why; the reasons are looked at in the order DATAPLANE, REQUEST, PEER,
 * MESSAGES, INTERVAL and the first that holds is the answer. Never within
 * CTL_TRUST_REKEY_MIN_MS of the last rekey: a data plane or a peer that
 * keeps asking cannot make the bridges commit in a loop.
 */
enum ctl_trust_rekey ctl_trust_sched_rekey(const struct ctl_trust_rekey_in *in);

/* ctl_trust_sched_rekey_name: "", "interval", "messages", "data plane", "data plane request", "peer". */
const char *ctl_trust_sched_rekey_name(enum ctl_trust_rekey r);

/*
 * ctl_trust_sched_deliver_now: may the committer deliver a Commit now? Only
 * once its own data plane has the new epoch (it receives with it as soon as
 * the peer switches): true when no data plane is attached (|dp_acked| 0),
 * when it acknowledged publication |pub_epoch| (which carries the new
 * epoch; 0: not yet published), or after CTL_TRUST_DP_WAIT_MS of waiting
 * (a stuck data plane must not stop the seal).
 */
bool ctl_trust_sched_deliver_now(uint64_t dp_acked, uint64_t pub_epoch, uint64_t waited_ms);

/*
 * ctl_trust_sched_confirm_now: may the joiner tell the creator that its
 * data plane has the epoch of publication |pub_epoch|? Only when it does
 * (|dp_acked| >= |pub_epoch|) or when no data plane is attached (0): the
 * creator then seals with that epoch, and a data plane that has not got it
 * yet would refuse every record. A slow data plane is covered by the
 * creator's CTL_TRUST_SEND_PREV_GRACE_MS, never by a confirmation.
 */
bool ctl_trust_sched_confirm_now(uint64_t dp_acked, uint64_t pub_epoch);

/*
 * ctl_trust_sched_send_prev: does the committer still send with the
 * previous epoch? Until the peer has answered the Commit (|peer_acked|)
 * and either confirmed that its data plane has the new epoch
 * (|peer_installed|: TrustSealPoke with installed) or
 * CTL_TRUST_SEND_PREV_GRACE_MS have passed since |acked_ms| (a peer that
 * never confirms).
 */
bool ctl_trust_sched_send_prev(bool peer_acked, bool peer_installed, uint64_t acked_ms,
			       uint64_t now_ms);

#endif
