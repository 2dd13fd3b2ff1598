/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust.c - the trust module's seals: following the trust
 * relationships of the policy (ctl_trust_sync), whether a seal can exist
 * (ctl_trust_prereq) and whether its group is authentic (ctl_trust_auth),
 * the hooks through which ctl_mls hands us the deliveries for seal groups,
 * the SEALS table, and the tick. The control channel is in
 * ctl_trust_seal.c, the data plane's objects in ctl_trust_dp.c, the API in
 * ctl_trust_methods.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ctl/ctl_state.h"
#include "ctl_trust_internal.h"
#include "fed/ctl_fed.h"
#include "mls/ctl_mls.h"
#include "mls_group.h"
#include "policy_seals.h"

#define LOG "slimbridge-control: trust "

uint64_t ctl_trust_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_trust_log(const struct ctl_trust_seal *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, LOG "%s: %s\n", s->id, line);
}

void ctl_trust_failed(struct ctl_trust *t, struct ctl_trust_seal *s, const char *fmt, ...)
{
	va_list ap;
	uint64_t d;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->failures++;
	d = ctl_trust_sched_backoff_ms(s->failures);
	s->next_mono = t->now + d;
	s->next_ms = ctl_trust_realtime_ms() + d;
	s->phase = CTL_TRUST_IDLE;
	/* Once per change of the reason: a peer that is not ready yet retries quietly. */
	if (strcmp(s->err, s->logged) != 0) {
		ctl_trust_log(s, "%s (failure %u, next try in %.2f s)", s->err, s->failures,
			      (double)d / 1000.0);
		snprintf(s->logged, sizeof(s->logged), "%s", s->err);
	}
}

/* ---------------------------------------------------------------- seals */

struct ctl_trust_seal *ctl_trust_find(struct ctl_trust *t, const char *id)
{
	for (size_t i = 0; id != NULL && i < t->n_seals; i++) {
		if (strcmp(t->seals[i]->id, id) == 0) {
			return t->seals[i];
		}
	}
	return NULL;
}

struct ctl_trust_seal *ctl_trust_find_td(struct ctl_trust *t, const char *td)
{
	for (size_t i = 0; td != NULL && i < t->n_seals; i++) {
		if (t->seals[i]->want && t->seals[i]->owner == NULL &&
		    strcmp(t->seals[i]->peer_td, td) == 0) {
			return t->seals[i];
		}
	}
	return NULL;
}

/*
 * One group per peer trust domain: of the wanted trusts naming it, the one
 * with the smallest id holds it and the others share it (their SEALS
 * entries carry its group, epoch and secrets). A trust that starts sharing
 * leaves the group it had.
 */
static void elect_owners(struct ctl_trust *t)
{
	for (size_t i = 0; i < t->n_seals; i++) {
		struct ctl_trust_seal *s = t->seals[i], *o = NULL;

		for (size_t k = 0; s->want && k < t->n_seals; k++) {
			struct ctl_trust_seal *x = t->seals[k];

			if (x != s && x->want && strcmp(x->peer_td, s->peer_td) == 0 &&
			    strcmp(x->id, s->id) < 0 && (o == NULL || strcmp(x->id, o->id) < 0)) {
				o = x;
			}
		}
		if (o != NULL && s->owner != o) {
			if (s->gid[0] != '\0' || s->phase != CTL_TRUST_IDLE) {
				ctl_trust_drop_group(t, s, "another trust relationship holds the seal group");
			}
			ctl_trust_log(s, "shares the seal of trust %s (same peer trust domain %s)",
				      o->id, s->peer_td);
		}
		s->owner = o;
	}
}

static void clear_epoch(struct ctl_trust_seal *s)
{
	if (s->confirm_epoch != 0) {
		s->confirm_epoch = 0;
		s->t->n_confirm--;
	}
	s->peer_installed = 0;
	s->gid[0] = '\0';
	s->epoch = s->prev_epoch = 0;
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	OPENSSL_cleanse(s->prev_secret, sizeof(s->prev_secret));
	s->own_leaf = s->peer_leaf = 0;
	s->send_prev = s->peer_acked = s->peer_asked = false;
	s->ready = false;
}

void ctl_trust_drop_group(struct ctl_trust *t, struct ctl_trust_seal *s, const char *why)
{
	ctl_trust_seal_abandon(s);
	if (s->gid[0] != '\0') {
		ctl_trust_log(s, "seal group %s left at epoch %" PRIu64 ": %s", s->gid, s->epoch, why);
		ctl_mls_managed_drop(t->mls, s->gid);
	}
	clear_epoch(s);
	t->dirty = true;
}

static void seal_free(struct ctl_trust_seal *s)
{
	ctl_trust_seal_abandon(s);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static bool state_is(const pb_trust *tr, const char *st)
{
	return tr->state != NULL && strcmp(tr->state, st) == 0;
}

/* Takes the trust's settings into |s|; a change that ends its group drops it. */
static void follow(struct ctl_trust *t, struct ctl_trust_seal *s, const pb_trust *tr, uint32_t i)
{
	const char *td = tr->peertrustdomain != NULL ? tr->peertrustdomain : "";
	bool want = td[0] != '\0' && strlen(td) <= CTL_TRUST_TD_MAX && !state_is(tr, "revoked") &&
		    !state_is(tr, "suspended");
	bool mls = tr->has_mls && tr->mls;
	struct ctl_trust_addr a;
	char control[CTL_TRUST_EP_MAX + 1] = "";

	s->t = t;
	s->index = i;
	s->off_why = td[0] == '\0'		      ? "the trust relationship has no peerTrustDomain"
		     : strlen(td) > CTL_TRUST_TD_MAX ? "the peerTrustDomain is too long"
		     : state_is(tr, "revoked")	      ? "the trust relationship is revoked"
						      : "the trust relationship is suspended";
	if (strcmp(td, s->peer_td) != 0 || !want) {
		if (s->gid[0] != '\0' || s->phase != CTL_TRUST_IDLE) {
			ctl_trust_drop_group(t, s, want ? "the peer trust domain changed"
							: s->off_why);
		}
		snprintf(s->peer_td, sizeof(s->peer_td), "%.*s", CTL_TRUST_TD_MAX, td);
		s->failures = 0;
		s->next_mono = 0;
		s->err[0] = s->logged[0] = '\0';
	}
	s->want = want;
	s->creator = t->td != NULL && ctl_trust_sched_creator(t->td, s->peer_td);
	if (mls != s->mls && s->gid[0] != '\0') {
		(void)ctl_mls_managed_export(t->mls, s->gid, mls);
	}
	s->mls = mls;
	s->interval_s = tr->has_rekeyintervalseconds ? tr->rekeyintervalseconds
						      : CTL_TRUST_DEFAULT_INTERVAL_S;
	s->rekey_messages = tr->has_rekeymessages ? tr->rekeymessages : CTL_TRUST_DEFAULT_MESSAGES;
	s->ep_ok = tr->endpoint != NULL && ctl_trust_sched_endpoint(tr->endpoint, &a) == 0;
	if (s->ep_ok) {
		s->addr = a;
	}
	if (ctl_trust_sched_control_endpoint(tr->endpoint, tr->controlendpoint, control,
					     sizeof(control)) < 0) {
		control[0] = '\0';
	}
	snprintf(s->control, sizeof(s->control), "%s", control);
	t->dirty = true;
}

void ctl_trust_sync(struct ctl_trust *t)
{
	const pb_policy *p = ctl_state_model(t->st)->p;
	size_t n = p->n_trustrelationships;
	struct ctl_trust_seal **v = calloc(n + 1, sizeof(*v));

	if (v == NULL) {
		fprintf(stderr, LOG "trust relationships not followed: out of memory\n");
		return;
	}
	for (size_t i = 0; i < t->n_seals; i++) {
		t->seals[i]->seen = false;
	}
	for (size_t i = 0; i < n; i++) {
		const pb_trust *tr = p->trustrelationships[i];
		struct ctl_trust_seal *s = ctl_trust_find(t, tr->id);

		if (s == NULL) {
			s = calloc(1, sizeof(*s));
			if (s == NULL || (s->id = strdup(tr->id)) == NULL) {
				free(s);
				fprintf(stderr, LOG "%s: not followed: out of memory\n", tr->id);
				continue;
			}
		} else if (s->seen) {
			continue;	/* ids are unique in a valid model */
		}
		s->seen = true;
		follow(t, s, tr, (uint32_t)i);
		v[i] = s;
	}
	for (size_t i = 0; i < t->n_seals; i++) {
		struct ctl_trust_seal *s = t->seals[i];

		if (!s->seen) {
			if (s->gid[0] != '\0' || s->phase != CTL_TRUST_IDLE) {
				ctl_trust_drop_group(t, s, "the trust relationship was deleted");
			}
			free(s->id);
			seal_free(s);
		}
	}
	/* Compact (an allocation failure above leaves a hole). */
	t->n_seals = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] != NULL) {
			v[t->n_seals++] = v[i];
		}
	}
	free(t->seals);
	t->seals = v;
	elect_owners(t);
	t->synced = true;
	t->synced_version = ctl_state_version(t->st);
	t->dirty = t->reconcile = true;
	t->scan_mono = 0;	/* look at them now */
}

/* ---------------------------------------------------------------- checks */

int ctl_trust_prereq(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	const uint8_t *doc;
	size_t len;
	char gid[CTL_TRUST_GID_MAX + 1];
	bool match = false;
	int n, rc;

	if (!s->want) {
		snprintf(s->why, sizeof(s->why), "%s", s->off_why);
		return -EPERM;
	}
	if (t->td == NULL) {
		snprintf(s->why, sizeof(s->why), "slimbridge-control has no --trust-domain");
		return -EPERM;
	}
	if (!t->has_key) {
		snprintf(s->why, sizeof(s->why), "slimbridge-control has no --bridge-key");
		return -EPERM;
	}
	if (strcmp(s->peer_td, t->td) == 0) {
		snprintf(s->why, sizeof(s->why), "the peer trust domain is our own");
		return -EINVAL;
	}
	if (!s->ep_ok) {
		snprintf(s->why, sizeof(s->why),
			 "endpoint: HOST:PORT with an IP address expected (names are not resolved)");
		return -EINVAL;
	}
	if (s->control[0] == '\0') {
		snprintf(s->why, sizeof(s->why),
			 "controlEndpoint: HOST:PORT with an IP address expected");
		return -EINVAL;
	}
	if (ctl_trust_sched_group_id(t->td, s->peer_td, 0, gid, sizeof(gid)) < 0) {
		snprintf(s->why, sizeof(s->why),
			 "the two trust domains do not fit a seal group id (%d bytes)",
			 CTL_TRUST_GID_MAX);
		return -EINVAL;
	}
	/* Our own bundle, when we have it: the peer checks our key against it. */
	if (ctl_fed_bundle(t->fed, t->td, &doc, &len) == 0 &&
	    ctl_trust_key_in_bundle(doc, len, t->pub, sizeof(t->pub), &match) >= 0 && !match) {
		snprintf(s->why, sizeof(s->why),
			 "our bundle (%s) has no slimbridge-bridge key for --bridge-key: the peer would refuse our key (slimbridge-control --print-bridge-jwk)",
			 t->td);
		return -ENOKEY;
	}
	rc = ctl_fed_bundle(t->fed, s->peer_td, &doc, &len);
	if (rc == -ENOENT) {
		snprintf(s->why, sizeof(s->why),
			 "no bundle of %s yet (fetched from the trust's bundleEndpoint)", s->peer_td);
		return rc;
	}
	if (rc == -ESTALE) {
		snprintf(s->why, sizeof(s->why), "the bundle of %s is stale (--bundle-max-stale)",
			 s->peer_td);
		return rc;
	}
	n = ctl_trust_key_in_bundle(doc, len, NULL, 0, &match);
	if (n <= 0) {
		snprintf(s->why, sizeof(s->why),
			 "the bundle of %s has no slimbridge-bridge key: its bridge cannot be authenticated",
			 s->peer_td);
		return -ENOKEY;
	}
	return 0;
}

static const uint8_t *leaf_key(const struct mls_group *g, uint32_t leaf, size_t *len)
{
	const uint8_t *id, *pub;
	size_t id_len;

	if (mls_group_member(g, leaf, &id, &id_len, &pub, len) < 0) {
		return NULL;
	}
	return pub;
}

int ctl_trust_auth(struct ctl_trust *t, struct ctl_trust_seal *s, const struct mls_group *g,
		   uint32_t *own_leaf, uint32_t *peer_leaf, char *why, size_t whylen)
{
	uint32_t own = mls_group_own_leaf(g), peer = UINT32_MAX, leaves = mls_group_n_leaves(g);
	const uint8_t *pub, *doc;
	size_t len, dlen;
	bool match = false;

	if (mls_group_suite(g)->id != CTL_TRUST_SUITE) {
		snprintf(why, whylen, "cipher suite %u, not %d", mls_group_suite(g)->id,
			 CTL_TRUST_SUITE);
		return -EPERM;
	}
	if (!mls_group_active(g) || mls_group_n_members(g) != 2) {
		snprintf(why, whylen, "a seal group has exactly two members, this one %u",
			 mls_group_n_members(g));
		return -EPERM;
	}
	pub = leaf_key(g, own, &len);
	if (pub == NULL || len != sizeof(t->pub) || CRYPTO_memcmp(pub, t->pub, len) != 0) {
		snprintf(why, whylen, "our leaf is not signed with our bridge key");
		return -EPERM;
	}
	for (uint32_t leaf = 0; leaf < leaves && peer == UINT32_MAX; leaf++) {
		if (leaf != own && leaf_key(g, leaf, &len) != NULL) {
			peer = leaf;
		}
	}
	pub = peer != UINT32_MAX ? leaf_key(g, peer, &len) : NULL;
	if (pub == NULL || ctl_fed_bundle(t->fed, s->peer_td, &doc, &dlen) < 0 ||
	    ctl_trust_key_in_bundle(doc, dlen, pub, len, &match) < 0 || !match) {
		snprintf(why, whylen,
			 "the peer's signature key is not a slimbridge-bridge key of the current bundle of %s",
			 s->peer_td);
		return -EPERM;
	}
	*own_leaf = own;
	*peer_leaf = peer;
	return 0;
}

int ctl_trust_take_epoch(struct ctl_trust *t, struct ctl_trust_seal *s, const struct mls_group *g)
{
	uint8_t secret[CTL_TRUST_SECRET_LEN];
	uint64_t e = mls_group_epoch(g);
	struct sb_bridge_trust slot;
	char why[CTL_TRUST_WHY_MAX];
	size_t gid_len;
	const uint8_t *gid = mls_group_id(g, &gid_len);
	int rc;

	rc = mls_group_export_secret(g, CTL_TRUST_EXPORT_LABEL, strlen(CTL_TRUST_EXPORT_LABEL), gid,
				     gid_len, secret, sizeof(secret));
	if (rc < 0) {
		return rc;
	}
	if (s->epoch != 0 && e > s->epoch) {
		s->prev_epoch = s->epoch;
		memcpy(s->prev_secret, s->secret, sizeof(s->secret));
	} else if (e != s->epoch) {
		s->prev_epoch = 0;
		OPENSSL_cleanse(s->prev_secret, sizeof(s->prev_secret));
	}
	memcpy(s->secret, secret, sizeof(secret));
	OPENSSL_cleanse(secret, sizeof(secret));
	s->epoch = e;
	s->own_leaf = mls_group_own_leaf(g);
	for (uint32_t leaf = 0; leaf < mls_group_n_leaves(g); leaf++) {
		size_t len;

		if (leaf != s->own_leaf && leaf_key(g, leaf, &len) != NULL) {
			s->peer_leaf = leaf;
		}
	}
	/* The data plane this epoch is for, and its requests so far. */
	ctl_trust_dp_read(t);
	s->epoch_token = t->dp.token;
	s->rekey_req_seen = ctl_trust_dp_slot(t, s->id, &slot, why, sizeof(why)) == 0
				    ? slot.rekey_req : 0;
	s->epoch_mono = t->now;
	s->peer_asked = false;
	t->dirty = true;
	return 0;
}

/* ---------------------------------------------------------------- ctl_mls's hooks */

static bool hook_owns(void *arg, const uint8_t *gid, size_t len)
{
	(void)arg;
	return ctl_trust_sched_is_seal_group(gid, len);
}

/* The seal a group id is for, or NULL with |why|. */
static struct ctl_trust_seal *seal_of_group(struct ctl_trust *t, const char *name, char *why,
					    size_t whylen)
{
	char lo[CTL_TRUST_TD_MAX + 1], hi[CTL_TRUST_TD_MAX + 1];
	struct ctl_trust_seal *s;
	const char *peer;

	if (ctl_trust_sched_group_parse(name, strlen(name), lo, hi, sizeof(lo), NULL) < 0) {
		snprintf(why, whylen, "not a seal group id");
		return NULL;
	}
	if (t->td == NULL || (strcmp(lo, t->td) != 0 && strcmp(hi, t->td) != 0)) {
		snprintf(why, whylen, "a seal group of trust domains %s and %s: neither is ours", lo,
			 hi);
		return NULL;
	}
	peer = strcmp(lo, t->td) == 0 ? hi : lo;
	s = ctl_trust_find_td(t, peer);
	if (s == NULL) {
		snprintf(why, whylen,
			 "no trust relationship with %s here (or it is revoked or suspended)", peer);
	}
	return s;
}

/* True when the current policy still has |s|'s trust, wanting a seal with its peer trust domain. */
static bool model_wants(struct ctl_trust *t, const struct ctl_trust_seal *s)
{
	const pb_policy *p = ctl_state_model(t->st)->p;

	for (size_t i = 0; i < p->n_trustrelationships; i++) {
		const pb_trust *tr = p->trustrelationships[i];

		if (strcmp(tr->id, s->id) == 0) {
			return tr->peertrustdomain != NULL &&
			       strcmp(tr->peertrustdomain, s->peer_td) == 0 &&
			       !state_is(tr, "revoked") && !state_is(tr, "suspended");
		}
	}
	return false;
}

static int hook_check(void *arg, const char *name, const struct mls_group *g, bool joined,
		      char *why, size_t whylen)
{
	struct ctl_trust *t = arg;
	struct ctl_trust_seal *s;
	uint32_t own, peer;

	if (t->stopped) {
		snprintf(why, whylen, "slimbridge-control is stopping");
		return -EPERM;
	}
	/*
	 * No ctl_trust_sync here (it may drop groups, and ctl_mls is in the
	 * middle of a delivery): the seals are the last tick's, and the
	 * current policy must still want this one.
	 */
	s = seal_of_group(t, name, why, whylen);
	if (s == NULL) {
		goto refused;
	}
	if (!model_wants(t, s)) {
		snprintf(why, whylen, "the trust relationship with %s has just been revoked, suspended or deleted",
			 s->peer_td);
		goto refused_s;
	}
	if (joined && s->creator) {
		snprintf(why, whylen, "this bridge (%s) creates the seal group with %s", t->td,
			 s->peer_td);
		goto refused_s;
	}
	if (!joined && strcmp(name, s->gid) != 0) {
		snprintf(why, whylen, "%s is not our seal group with %s", name, s->peer_td);
		goto refused_s;
	}
	if (ctl_trust_prereq(t, s) < 0) {
		snprintf(why, whylen, "%s", s->why);
		goto refused_s;
	}
	if (ctl_trust_auth(t, s, g, &own, &peer, why, whylen) < 0) {
		goto refused_s;
	}
	return 0;
refused_s:
	ctl_trust_log(s, "refused %s for %s: %s", joined ? "a Welcome" : "a Commit", name, why);
	return -EPERM;
refused:
	fprintf(stderr, "slimbridge-control: seal group %s: refused %s: %s\n", name,
		joined ? "a Welcome" : "a Commit", why);
	return -EPERM;
}

static void hook_changed(void *arg, const char *name, const struct mls_group *g)
{
	struct ctl_trust *t = arg;
	char why[CTL_TRUST_WHY_MAX];
	struct ctl_trust_seal *s = seal_of_group(t, name, why, sizeof(why));
	bool joined;
	uint64_t old;

	t->reconcile = true;
	if (s == NULL) {
		return;
	}
	if (g == NULL) {
		if (strcmp(name, s->gid) == 0) {
			ctl_trust_log(s, "removed from seal group %s", name);
			ctl_trust_seal_abandon(s);
			clear_epoch(s);
			t->dirty = true;
		}
		return;
	}
	joined = strcmp(name, s->gid) != 0;
	old = joined ? 0 : s->epoch;
	if (joined) {
		/* A new group (incarnation): the old one is dropped by the reconciliation. */
		clear_epoch(s);
		snprintf(s->gid, sizeof(s->gid), "%s", name);
		(void)ctl_mls_managed_export(t->mls, name, s->mls);	/* MLS table: MLS mode only */
	}
	if (ctl_trust_take_epoch(t, s, g) < 0) {
		ctl_trust_log(s, "cannot export the seal secret of %s", name);
		clear_epoch(s);
		return;
	}
	s->phase = s->phase == CTL_TRUST_POKE ? s->phase : CTL_TRUST_IDLE;
	s->failures = 0;
	s->err[0] = s->logged[0] = '\0';
	if (joined) {
		s->established_ms = ctl_trust_realtime_ms();
		s->joined_mono = t->now;
		ctl_trust_log(s, "seal group %s joined at epoch %" PRIu64 " (mode %s, peer %s)", name,
			      s->epoch, s->mls ? "mls" : "aes", s->peer_td);
	} else {
		s->last_rekey_ms = ctl_trust_realtime_ms();
		s->last_rekey_mono = t->now;
		s->rekeys++;
		snprintf(s->rekey_reason, sizeof(s->rekey_reason), "peer's commit");
		/* Once our data plane has it, the creator may send with it. */
		if (s->confirm_epoch == 0) {
			t->n_confirm++;
		}
		s->confirm_epoch = s->epoch;
		s->confirm_gen = t->table_gen + 1;
		s->confirm_pub = 0;
		ctl_trust_log(s, "seal epoch %" PRIu64 " -> %" PRIu64 " (the peer's commit)", old,
			      s->epoch);
	}
	t->scan_mono = 0;
}

/* ---------------------------------------------------------------- publication */

/* Whether |s| has a usable seal now; its reason otherwise. Drops a group that is no longer authentic. */
static void evaluate(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	bool was = s->ready, was_recv = s->recv_only;
	struct mls_group *g;
	uint32_t own, peer;
	char why[CTL_TRUST_WHY_MAX];

	s->ready = false;
	s->recv_only = false;
	s->prereq_ok = ctl_trust_prereq(t, s) == 0;
	if (!s->prereq_ok) {
		goto out;
	}
	if (s->gid[0] == '\0') {
		if (s->creator && s->phase == CTL_TRUST_FETCH) {
			snprintf(s->why, sizeof(s->why), "establishing: asking %s for a KeyPackage",
				 s->control);
		} else if (s->creator && s->phase == CTL_TRUST_WELCOME) {
			snprintf(s->why, sizeof(s->why), "establishing: Welcome sent to %s",
				 s->control);
		} else if (s->err[0] != '\0') {
			snprintf(s->why, sizeof(s->why), "not established: %s", s->err);
		} else {
			snprintf(s->why, sizeof(s->why), s->creator ? "establishing"
				 : "waiting for the Welcome of the bridge of %s", s->peer_td);
		}
		goto out;
	}
	g = ctl_mls_managed_get(t->mls, s->gid);
	if (g == NULL) {
		clear_epoch(s);
		snprintf(s->why, sizeof(s->why), "the seal group is gone");
		goto out;
	}
	if (ctl_trust_auth(t, s, g, &own, &peer, why, sizeof(why)) < 0) {
		snprintf(s->why, sizeof(s->why), "%s", why);
		ctl_trust_drop_group(t, s, why);
		goto out;
	}
	if (!s->creator && s->epoch == 1 && t->now < s->joined_mono + CTL_TRUST_JOIN_GRACE_MS) {
		/*
		 * Just joined: the creator publishes the group once our answer
		 * reaches it. Our data plane gets it at once, receive-only, so it
		 * opens the creator's first records (and those of an epoch 1 our
		 * data plane would otherwise never see, if a Commit came first).
		 */
		snprintf(s->why, sizeof(s->why), "joined: ready once the creator has published it");
		s->recv_only = true;
		goto out;
	}
	s->why[0] = '\0';
	s->ready = true;
out:
	if (s->recv_only != was_recv) {
		t->dirty = true;
	}
	if (s->ready != was) {
		t->dirty = true;
		if (s->ready) {
			ctl_trust_log(s, "seal ready: group %s epoch %" PRIu64 " mode %s", s->gid,
				      s->epoch, s->mls ? "mls" : "aes");
		} else if (was) {
			ctl_trust_log(s, "seal not ready: %s", s->why);
		}
	}
}

void ctl_trust_publish(struct ctl_trust *t)
{
	struct policy_seal_ent *e = calloc(t->n_seals + 1, sizeof(*e));
	uint8_t *tab = NULL;
	size_t len = 0;
	uint32_t n = 0;
	int rc;

	if (e == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	t->dirty = false;
	for (size_t i = 0; i < t->n_seals; i++) {
		const struct ctl_trust_seal *self = t->seals[i];
		const struct ctl_trust_seal *s = self->owner != NULL ? self->owner : self;
		struct policy_seal_ent *x = &e[n];

		/* The group's fields from its holder; the trust's own from |self|. */
		if (!(self->ready || self->recv_only) || !(s->ready || s->recv_only) ||
		    s->gid[0] == '\0' || s->epoch == 0) {
			continue;
		}
		x->trust_id = self->id;
		x->trust_id_len = strlen(self->id);
		x->group_id = (const uint8_t *)s->gid;
		x->peer_td = self->peer_td;
		x->s.trust = self->index;
		x->s.mode = s->mls ? SB_POL_SEAL_MLS : SB_POL_SEAL_AES;
		x->s.state = SB_POL_SEAL_READY;
		x->s.transport = 0;
		x->s.family = self->addr.family;
		memcpy(x->s.addr, self->addr.addr, sizeof(x->s.addr));
		x->s.port = self->addr.port;
		x->s.group_id_len = (uint16_t)strlen(s->gid);
		x->s.peer_td_len = (uint16_t)strlen(self->peer_td);
		x->s.flags = (uint16_t)((s->send_prev && s->prev_epoch != 0 ? SB_POL_SEAL_F_SEND_PREV : 0) |
					(s->recv_only ? SB_POL_SEAL_F_RECV_ONLY : 0));
		x->s.own_leaf = s->own_leaf;
		x->s.peer_leaf = s->peer_leaf;
		x->s.epoch = s->epoch;
		x->s.prev_epoch = s->prev_epoch;
		memcpy(x->s.secret, s->secret, sizeof(x->s.secret));
		if (s->prev_epoch != 0) {
			memcpy(x->s.prev_secret, s->prev_secret, sizeof(x->s.prev_secret));
		}
		x->s.rekey_messages = s->rekey_messages;
		x->s.dp_token = s->epoch_token;
		n++;
	}
	if (n == 0 && !t->table_set) {
		rc = 0;		/* no seal has ever been published: no table, as before seals */
		goto out;
	}
	rc = policy_seals_build(e, n, &tab, &len);
	if (rc == 0) {
		rc = ctl_state_set_table(t->st, SB_POL_TABLE_SEALS, tab, len, n);
	}
	if (rc == 0) {
		t->table_set = true;
		t->table_gen++;
	}
out:
	if (rc < 0) {
		t->dirty = true;	/* try again at the next tick */
		fprintf(stderr, LOG "the SEALS table is not published: %s\n", strerror(-rc));
	}
	if (e != NULL) {
		OPENSSL_cleanse(e, (t->n_seals + 1) * sizeof(*e));
	}
	free(e);
	policy_seals_free(tab, len);
}

/* Drops the managed groups that no seal holds any more (an old incarnation, a deleted trust). */
static void reconcile(struct ctl_trust *t)
{
	size_t n;
	char **names = ctl_mls_managed_names(t->mls, &n);

	t->reconcile = false;
	for (size_t i = 0; i < n; i++) {
		bool held = false;

		for (size_t k = 0; k < t->n_seals && !held; k++) {
			held = strcmp(t->seals[k]->gid, names[i]) == 0;
		}
		if (!held) {
			fprintf(stderr, "slimbridge-control: seal group %s: no trust relationship holds it: left\n",
				names[i]);
			ctl_mls_managed_drop(t->mls, names[i]);
		}
	}
	ctl_mls_names_free(names, n);
}

/* A trust that shares another's group: ready when its own settings are and the holder's seal is. */
static void evaluate_shared(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	bool was = s->ready, was_recv = s->recv_only;

	s->prereq_ok = ctl_trust_prereq(t, s) == 0;
	s->ready = s->prereq_ok && s->owner->ready;
	s->recv_only = s->prereq_ok && s->owner->recv_only;
	if (s->recv_only != was_recv) {
		t->dirty = true;
	}
	if (s->prereq_ok && !s->ready) {
		snprintf(s->why, sizeof(s->why), "shares the seal of trust %.64s: %.400s",
			 s->owner->id, s->owner->why);
	} else if (s->ready) {
		s->why[0] = '\0';
	}
	if (s->ready != was) {
		t->dirty = true;
		ctl_trust_log(s, "seal %s (shared with trust %s)", s->ready ? "ready" : "not ready",
			      s->owner->id);
	}
}

/* ---------------------------------------------------------------- tick */

static void scan(struct ctl_trust *t)
{
	ctl_trust_dp_read(t);
	for (size_t i = 0; i < t->n_seals; i++) {
		struct ctl_trust_seal *s = t->seals[i];

		if (s->owner != NULL) {
			continue;	/* below, once the holders are done */
		}
		evaluate(t, s);
		if (s->want) {
			ctl_trust_seal_step(t, s);
		}
	}
	for (size_t i = 0; i < t->n_seals; i++) {
		if (t->seals[i]->owner != NULL) {
			evaluate_shared(t, t->seals[i]);
		}
	}
}

void ctl_trust_tick(struct ctl_trust *t, uint64_t now_ms)
{
	if (t == NULL || t->stopped) {
		return;
	}
	t->now = now_ms;
	if (!t->synced || ctl_state_version(t->st) != t->synced_version) {
		ctl_trust_sync(t);
	}
	if (now_ms >= t->scan_mono) {
		t->scan_mono = now_ms + CTL_TRUST_SCAN_MS;
		scan(t);
	}
	if (t->reconcile) {
		reconcile(t);
	}
	if (t->dirty) {
		ctl_trust_publish(t);
	}
	/*
	 * What waits on our own data plane is looked at every turn, not every
	 * scan: a joiner's confirmation, a creator's Commit (a rekey takes a
	 * few milliseconds, not a scan period).
	 */
	for (size_t i = 0; i < t->n_seals; i++) {
		struct ctl_trust_seal *s = t->seals[i];

		if (s->confirm_epoch != 0) {
			ctl_trust_seal_confirm(t, s);
		}
		if (s->phase == CTL_TRUST_COMMIT_WAIT) {
			ctl_trust_seal_step(t, s);
		}
	}
}

/* ---------------------------------------------------------------- lifetime */

struct ctl_trust *ctl_trust_new(const struct ctl_trust_conf *conf, struct ctl_state *st,
				struct ctl_mls *mls, struct ctl_fed *fed, struct grpc_server *srv,
				char *err, size_t errlen)
{
	struct ctl_mls_hooks hooks;
	uint8_t priv[CTL_TRUST_PRIV_LEN];
	char kid[40];
	struct ctl_trust *t = calloc(1, sizeof(*t));

	if (t == NULL || (conf->trust_domain != NULL &&
			  (t->td = strdup(conf->trust_domain)) == NULL) ||
	    (t->shm_name = strdup(conf->shm_name != NULL ? conf->shm_name : "")) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	t->st = st;
	t->mls = mls;
	t->fed = fed;
	if (conf->bridge_key != NULL) {
		if (ctl_trust_key_load(conf->bridge_key, priv, t->pub, err, errlen) < 0) {
			goto fail;
		}
		if (ctl_mls_set_signer_key(mls, CTL_TRUST_SUITE, priv, sizeof(priv)) < 0) {
			OPENSSL_cleanse(priv, sizeof(priv));
			snprintf(err, errlen, "bridge key %s: cannot sign with it", conf->bridge_key);
			goto fail;
		}
		OPENSSL_cleanse(priv, sizeof(priv));
		t->has_key = true;
		if (ctl_trust_key_kid(t->pub, kid, sizeof(kid)) == 0) {
			fprintf(stderr, "slimbridge-control: bridge key %s (kid %s) signs our seal groups%s\n",
				conf->bridge_key, kid,
				t->td == NULL ? "; no --trust-domain: no seal can be made" : "");
		}
	}
	if (ctl_trust_methods_register(t, srv) < 0) {
		snprintf(err, errlen, "cannot register the Trust* methods");
		goto fail;
	}
	hooks = (struct ctl_mls_hooks){.owns = hook_owns, .check = hook_check,
				       .changed = hook_changed, .arg = t};
	ctl_mls_set_hooks(mls, &hooks);
	return t;
fail:
	ctl_trust_free(t);
	return NULL;
}

void ctl_trust_stop(struct ctl_trust *t)
{
	if (t == NULL || t->stopped) {
		return;
	}
	t->stopped = true;
	for (size_t i = 0; i < t->n_seals; i++) {
		ctl_trust_seal_abandon(t->seals[i]);
	}
}

void ctl_trust_free(struct ctl_trust *t)
{
	if (t == NULL) {
		return;
	}
	ctl_trust_stop(t);
	if (t->mls != NULL) {
		ctl_mls_set_hooks(t->mls, NULL);
	}
	for (size_t i = 0; i < t->n_seals; i++) {
		free(t->seals[i]->id);
		seal_free(t->seals[i]);
	}
	free(t->seals);
	free(t->slots);
	free(t->dp.slots);
	free(t->td);
	free(t->shm_name);
	free(t);
}

int ctl_trust_print_jwk(const char *path, FILE *out, char *err, size_t errlen)
{
	uint8_t priv[CTL_TRUST_PRIV_LEN], pub[CTL_TRUST_PUB_LEN];
	char *jwk;
	int rc = ctl_trust_key_load(path, priv, pub, err, errlen);

	OPENSSL_cleanse(priv, sizeof(priv));
	if (rc < 0) {
		return rc;
	}
	jwk = ctl_trust_key_jwk(pub);
	if (jwk == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fprintf(out, "%s\n", jwk);
	free(jwk);
	return 0;
}
