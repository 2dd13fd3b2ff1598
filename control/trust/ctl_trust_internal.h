/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_internal.h - inside the trust module: shared by ctl_trust.c
 * (seals, policy, authentication, publication, the tick), ctl_trust_seal.c
 * (the group handshake and rekey over the control channel),
 * ctl_trust_dp.c (the data plane's status and bridge objects) and
 * ctl_trust_methods.c (the Trust* methods).
 */
#ifndef SB_CTL_TRUST_INTERNAL_H
#define SB_CTL_TRUST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "ctl_trust.h"
#include "ctl_trust_key.h"
#include "ctl_trust_sched.h"
#include "shm/bridge_abi.h"

#define CTL_TRUST_TD_MAX 255
#define CTL_TRUST_EP_MAX 80		/* characters of HOST:PORT (CTL_MLS_MAX_ENDPOINT) */
#define CTL_TRUST_WHY_MAX 512
#define CTL_TRUST_ERR_MAX 400
#define CTL_TRUST_SECRET_LEN 32
#define CTL_TRUST_EXPORT_LABEL "slimbridge seal v1"

struct ctl_mls_ocall;
struct mls_group;

/* What a seal is doing over the control channel. */
enum ctl_trust_phase {
	CTL_TRUST_IDLE = 0,
	CTL_TRUST_FETCH,		/* creator: MlsKeyPackage at the peer */
	CTL_TRUST_WELCOME,		/* creator: MlsWelcome at the peer */
	CTL_TRUST_COMMIT_WAIT,		/* creator: a rekey Commit waits (our data plane, or a retry) */
	CTL_TRUST_COMMIT,		/* creator: MlsCommit at the peer */
	CTL_TRUST_VERIFY,		/* creator: MlsGroupGet at the peer (does it have our group?) */
	CTL_TRUST_POKE,			/* joiner: TrustSealPoke at the creator */
};

/* One trust relationship of the policy, and its seal. */
struct ctl_trust_seal {
	struct ctl_trust *t;
	char *id;			/* the trust id */
	uint32_t index;			/* in the model (= the compiled TRUSTS index) */
	bool want;			/* neither revoked nor suspended, with a peer trust domain */
	struct ctl_trust_seal *owner;	/* another wanted trust with the same peer trust domain and
					 * a smaller id, whose group this one shares; NULL: its own */
	const char *off_why;		/* why not wanted */
	char peer_td[CTL_TRUST_TD_MAX + 1];
	bool creator;
	bool mls;			/* mode MLS (the trust's mls), else AES */
	uint32_t interval_s;
	uint32_t rekey_messages;
	bool ep_ok;			/* the SLIM endpoint parsed into |addr| */
	struct ctl_trust_addr addr;
	char control[CTL_TRUST_EP_MAX + 1];	/* the peer's control API; "" none */
	bool prereq_ok;			/* ctl_trust_prereq passed at the last scan */
	bool ready;			/* the SEALS entry is READY */
	bool recv_only;			/* joiner, just joined: published RECV_ONLY (not ready) */
	char why[CTL_TRUST_WHY_MAX];	/* why it is not ready */
	bool seen;			/* ctl_trust_sync: still in the policy */

	/* The group (registered with ctl_mls under |gid|; "" none). */
	char gid[CTL_TRUST_GID_MAX + 1];
	uint64_t epoch;
	uint8_t secret[CTL_TRUST_SECRET_LEN];
	uint64_t prev_epoch;		/* 0: none */
	uint8_t prev_secret[CTL_TRUST_SECRET_LEN];
	uint32_t own_leaf, peer_leaf;
	uint32_t epoch_token;		/* our data plane's reader_token when the epoch began */
	uint64_t epoch_mono;		/* when the epoch began here */
	uint64_t rekey_req_seen;	/* the data plane's rekey_req then */
	bool peer_asked;		/* creator: the peer asked for a rekey of this epoch */
	bool send_prev;			/* creator: the data plane sends with prev_epoch */
	bool peer_acked;		/* creator: the peer took the last Commit */
	uint64_t acked_mono;
	uint64_t peer_installed;	/* creator: the epoch the peer says its data plane has */
	uint64_t confirm_epoch;		/* joiner: an epoch to confirm to the creator (0: none) */
	uint64_t confirm_gen;		/* joiner: the SEALS table generation that carries it */
	uint64_t confirm_pub;		/* joiner: the publication that carries it (0: not yet) */
	uint64_t established_ms;	/* wall clock */
	uint64_t joined_mono;		/* joiner: when it joined (READY a grace later) */
	uint64_t last_rekey_ms;		/* wall clock */
	uint64_t last_rekey_mono;
	char rekey_reason[32];
	uint64_t rekeys;
	uint64_t asked_epoch;		/* joiner: the epoch a rekey was last asked for */
	uint64_t asked_mono;

	/* Work in flight. */
	enum ctl_trust_phase phase;
	struct ctl_mls_ocall *oc;	/* the call in flight, or NULL */
	struct mls_group *pending;	/* creator: the group being established */
	uint8_t *commit;		/* creator: a rekey Commit the peer has not taken */
	size_t commit_len;
	uint64_t commit_pub;		/* the publication epoch that carries it (0: not yet) */
	uint64_t phase_mono;		/* when the phase began */
	uint64_t verify_mono;		/* the last VERIFY started */
	uint32_t failures;		/* since the last success */
	uint64_t next_mono;		/* the next attempt (0: now) */
	uint64_t next_ms;		/* the same on the wall clock */
	char err[CTL_TRUST_ERR_MAX];	/* the last failure */
	char logged[CTL_TRUST_ERR_MAX];	/* the last reason logged (once per change) */
};

/* What the data plane says (ctl_trust_dp.c), as of the last ctl_trust_dp_read. */
struct ctl_trust_dp {
	bool running;			/* its status object is live */
	uint32_t token;			/* reader_token; 0: none */
	bool bridge;			/* its bridge object is live: */
	struct sb_bridge_trust *slots;	/*   a copy of its claimed slots (SB_BRIDGE_MAX_TRUSTS) */
	uint32_t n_slots;
	char why[160];			/* why there is no bridge object */
};

struct ctl_trust_slot;

struct ctl_trust {
	char *td;			/* our trust domain, or NULL */
	char *shm_name;
	bool has_key;
	uint8_t pub[CTL_TRUST_PUB_LEN];	/* the bridge key's public half */
	struct ctl_state *st;
	struct ctl_mls *mls;
	struct ctl_fed *fed;
	struct ctl_trust_seal **seals;	/* in the model's trust order */
	size_t n_seals;
	bool synced;
	uint64_t synced_version;
	uint64_t now;			/* monotonic ms of the current tick */
	uint64_t scan_mono;		/* the next scan */
	bool dirty;			/* publish the SEALS table */
	bool reconcile;			/* drop managed groups no seal holds */
	bool table_set;			/* a SEALS table was published */
	uint64_t table_gen;		/* SEALS tables handed to ctl_state so far */
	uint32_t n_confirm;		/* joiner seals with an epoch to confirm */
	struct ctl_trust_dp dp;
	bool own_key_logged;
	struct ctl_trust_slot *slots;
	bool stopped;
};

/* ---- ctl_trust.c ---- */

/* Wall clock in ms. */
uint64_t ctl_trust_realtime_ms(void);

/*
 * The seal of trust |id|, or NULL; the seal that holds the group with peer
 * trust domain |td| (wanted, not sharing another's), or NULL.
 */
struct ctl_trust_seal *ctl_trust_find(struct ctl_trust *t, const char *id);
struct ctl_trust_seal *ctl_trust_find_td(struct ctl_trust *t, const char *td);

/* Follows the trusts of the current policy (when its version changed). */
void ctl_trust_sync(struct ctl_trust *t);

/*
 * ctl_trust_prereq says whether |s| can have a seal now: 0, or a negative
 * errno with the reason in s->why. Looks at the policy, our key, the
 * endpoints and the peer's bundle (its bridge keys).
 */
int ctl_trust_prereq(struct ctl_trust *t, struct ctl_trust_seal *s);

/*
 * ctl_trust_auth checks group |g| for the seal of |s|: cipher suite 2, two
 * members, our leaf with our bridge key, the other with a bridge key of the
 * peer's current bundle. Fills the leaves. 0, or -EPERM with |why|.
 */
int ctl_trust_auth(struct ctl_trust *t, struct ctl_trust_seal *s, const struct mls_group *g,
		   uint32_t *own_leaf, uint32_t *peer_leaf, char *why, size_t whylen);

/* Takes group |g| (registered under s->gid) as the seal's current epoch (prev kept when it moved on). */
int ctl_trust_take_epoch(struct ctl_trust *t, struct ctl_trust_seal *s, const struct mls_group *g);

/* Forgets the seal's group (left locally: no Commit) and anything in flight. */
void ctl_trust_drop_group(struct ctl_trust *t, struct ctl_trust_seal *s, const char *why);

/* A failed attempt: counted, logged, next try after the backoff. */
void ctl_trust_failed(struct ctl_trust *t, struct ctl_trust_seal *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Logs one line about |s| (prefix "slimbridge-control: trust ID: "). */
void ctl_trust_log(const struct ctl_trust_seal *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Publishes the SEALS table now (if the policy is synced). */
void ctl_trust_publish(struct ctl_trust *t);

/* ---- ctl_trust_seal.c ---- */

/* Drives |s| over the control channel: establish, rekey, verify (creator); poke (joiner). */
void ctl_trust_seal_step(struct ctl_trust *t, struct ctl_trust_seal *s);

/* Forgets |s|'s call in flight and frees what it holds for it. */
void ctl_trust_seal_abandon(struct ctl_trust_seal *s);

/*
 * The peer asked (TrustSealPoke): |group| is what it has ("" none), |rekey|
 * for this epoch, or |installed|: its data plane has |epoch|.
 */
void ctl_trust_seal_poked(struct ctl_trust *t, struct ctl_trust_seal *s, const char *group,
			  uint64_t epoch, bool rekey, bool installed);

/* Joiner: tells the creator once our data plane has the epoch a Commit made (every tick). */
void ctl_trust_seal_confirm(struct ctl_trust *t, struct ctl_trust_seal *s);

/* ---- ctl_trust_dp.c ---- */

/* Reads the data plane's status and bridge objects into t->dp. */
void ctl_trust_dp_read(struct ctl_trust *t);

/*
 * ctl_trust_dp_slot copies trust |id|'s slot of the bridge object (as of
 * the last ctl_trust_dp_read) into |out|: 0, -ENOENT (no slot for it),
 * -ENODEV (no live bridge object; the reason in |why|).
 */
int ctl_trust_dp_slot(const struct ctl_trust *t, const char *id, struct sb_bridge_trust *out,
		      char *why, size_t whylen) __attribute__((warn_unused_result));

/* ---- ctl_trust_methods.c ---- */

int ctl_trust_methods_register(struct ctl_trust *t, struct grpc_server *srv)
	__attribute__((warn_unused_result));

#endif
