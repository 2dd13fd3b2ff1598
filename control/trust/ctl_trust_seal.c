/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_seal.c - the seal's control channel: the control API of each
 * bridge (ControlService over h2c), called through ctl_mls_call
 * (docs/federation.md, "Seal establishment", has the sequence).
 *
 * Creator (the lower trust domain):
 *   establish  MlsKeyPackage (suite 2) at the peer; a new group
 *              "sbseal:LOW|HIGH:INC" with our bridge key; Add; the peer's
 *              leaf checked against its bundle (ctl_trust_auth); MlsWelcome;
 *              on its answer the group is registered with ctl_mls and the
 *              seal published. A failure drops the group and retries after
 *              ctl_trust_sched_backoff_ms.
 *   rekey      a Commit with an UpdatePath on a copy of the group, which
 *              replaces it at once; the new epoch is published with
 *              send-prev; the Commit goes to the peer (MlsCommit) once our
 *              data plane has that publication (ctl_trust_sched_deliver_now);
 *              send-prev is cleared once the peer says its data plane has
 *              the new epoch (or a grace after its answer). An
 *              unreachable peer gets the same Commit again with backoff.
 *   verify     MlsGroupGet at the peer, when it says it has another group
 *              (TrustSealPoke) or refuses a Commit: same group and epoch
 *              authenticator, or the group is made anew.
 * Joiner: TrustSealPoke at the creator while it has no group (with
 * backoff); to say that its data plane has the epoch a Commit made (the
 * creator then clears send-prev at once instead of after its grace); and
 * to ask for a rekey for its own reasons (a new data plane in MLS mode, the
 * data plane's request, messages sealed), at most once per
 * CTL_TRUST_REKEY_MIN_MS per epoch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_state.h"
#include "ctl_trust_internal.h"
#include "grpc_wire.h"
#include "mls/ctl_mls.h"
#include "mls_group.h"

/* A call that failed on the way (the peer down, slow, busy): try the same again later. */
static bool transient(int status)
{
	return status == GRPC_UNAVAILABLE || status == GRPC_DEADLINE_EXCEEDED ||
	       status == GRPC_CANCELLED || status == GRPC_ABORTED ||
	       status == GRPC_RESOURCE_EXHAUSTED || status == GRPC_UNKNOWN ||
	       status == GRPC_INTERNAL;
}

void ctl_trust_seal_abandon(struct ctl_trust_seal *s)
{
	if (s->oc != NULL) {
		ctl_mls_call_forget(s->oc);
		s->oc = NULL;
	}
	mls_group_free(s->pending);
	s->pending = NULL;
	free(s->commit);
	s->commit = NULL;
	s->commit_len = 0;
	s->phase = CTL_TRUST_IDLE;
}

/* Starts |method| at the peer's control API; false (and a failure counted) when it cannot start. */
static bool start(struct ctl_trust *t, struct ctl_trust_seal *s, enum ctl_trust_phase phase,
		  const char *method, const ProtobufCMessage *req, ctl_mls_call_done_fn done)
{
	char why[200];

	s->phase = phase;
	s->phase_mono = t->now;
	s->oc = ctl_mls_call(t->mls, s->control, method, req, done, s, why, sizeof(why));
	if (s->oc == NULL) {
		ctl_trust_failed(t, s, "%s at %s: %s", method, s->control, why);
		return false;
	}
	return true;
}

/* The call ended: the seal is looked at again at once. */
static struct ctl_trust *ended(struct ctl_trust_seal *s)
{
	s->oc = NULL;
	s->t->scan_mono = 0;
	return s->t;
}

/* ---------------------------------------------------------------- establish */

static void welcome_done(void *arg, int status, const char *message, const uint8_t *resp,
			 size_t len)
{
	struct ctl_trust_seal *s = arg;
	struct ctl_trust *t = ended(s);
	struct mls_group *g = s->pending;
	char name[CTL_TRUST_GID_MAX + 1];
	size_t gid_len;
	const uint8_t *gid;
	int rc;

	(void)resp;
	(void)len;
	s->pending = NULL;
	s->phase = CTL_TRUST_IDLE;
	if (status != GRPC_OK) {
		mls_group_free(g);
		ctl_trust_failed(t, s, "the bridge of %s refused the Welcome (status %d: %s)",
				 s->peer_td, status, message);
		return;
	}
	gid = mls_group_id(g, &gid_len);
	snprintf(name, sizeof(name), "%.*s", (int)gid_len, (const char *)gid);
	rc = ctl_mls_managed_put(t->mls, name, g, s->control, s->mls);
	if (rc < 0) {
		mls_group_free(g);
		ctl_trust_failed(t, s, "cannot keep the seal group: %s", strerror(-rc));
		return;
	}
	snprintf(s->gid, sizeof(s->gid), "%s", name);
	if (ctl_trust_take_epoch(t, s, g) < 0) {
		ctl_trust_drop_group(t, s, "cannot export the seal secret");
		ctl_trust_failed(t, s, "cannot export the seal secret");
		return;
	}
	s->established_ms = ctl_trust_realtime_ms();
	s->last_rekey_mono = t->now;
	s->failures = 0;
	s->err[0] = s->logged[0] = '\0';
	ctl_trust_log(s, "seal group %s made with the bridge of %s at epoch %" PRIu64 " (mode %s)",
		      name, s->peer_td, s->epoch, s->mls ? "mls" : "aes");
}

static void fetch_done(void *arg, int status, const char *message, const uint8_t *resp,
		       size_t len)
{
	struct ctl_trust_seal *s = arg;
	struct ctl_trust *t = ended(s);
	Slimbridge__Control__V1__MlsKeyPackageResponse *r = NULL;
	Slimbridge__Control__V1__MlsWelcomeRequest wr =
		SLIMBRIDGE__CONTROL__V1__MLS_WELCOME_REQUEST__INIT;
	Slimbridge__Control__V1__MlsEndpoint me = SLIMBRIDGE__CONTROL__V1__MLS_ENDPOINT__INIT;
	Slimbridge__Control__V1__MlsEndpoint *dir[1] = {&me};
	struct mls_commit_opts o = {.tree_in_welcome = true};
	struct mls_commit_result cr = {0};
	struct mls_group *g = NULL;
	char gid[CTL_TRUST_GID_MAX + 1], why[CTL_TRUST_WHY_MAX];
	uint32_t own, peer;
	uint64_t inc;
	int rc;

	s->phase = CTL_TRUST_IDLE;
	if (status != GRPC_OK) {
		ctl_trust_failed(t, s, "no KeyPackage from %s (status %d: %s)", s->control, status,
				 message);
		return;
	}
	r = slimbridge__control__v1__mls_key_package_response__unpack(NULL, len, resp);
	if (r == NULL || !r->has_keypackage || r->keypackage.len == 0) {
		ctl_trust_failed(t, s, "a malformed KeyPackage response from %s", s->control);
		goto out;
	}
	if (mls_random(&inc, sizeof(inc)) < 0 ||
	    ctl_trust_sched_group_id(t->td, s->peer_td, inc, gid, sizeof(gid)) < 0) {
		ctl_trust_failed(t, s, "cannot name the seal group");
		goto out;
	}
	rc = mls_group_create(ctl_mls_signer_get(t->mls, CTL_TRUST_SUITE), (const uint8_t *)gid,
			      strlen(gid), &g);
	if (rc < 0) {
		ctl_trust_failed(t, s, "cannot make the seal group: %s", strerror(-rc));
		goto out;
	}
	rc = mls_group_propose_add(g, r->keypackage.data, r->keypackage.len);
	if (rc < 0) {
		ctl_trust_failed(t, s, "the KeyPackage of %s is refused: %s", s->control,
				 strerror(-rc));
		goto out;
	}
	rc = mls_group_commit(g, &o, &cr);
	if (rc < 0) {
		ctl_trust_failed(t, s, "cannot commit the Add: %s", strerror(-rc));
		goto out;
	}
	/* The peer's key must be the bridge key of its trust domain's bundle. */
	if (ctl_trust_auth(t, s, g, &own, &peer, why, sizeof(why)) < 0) {
		ctl_trust_failed(t, s, "the KeyPackage of %s: %s", s->control, why);
		goto out;
	}
	me.identity = (char *)ctl_mls_identity(t->mls);
	me.endpoint = (char *)ctl_mls_endpoint(t->mls);
	wr.has_welcome = 1;
	wr.welcome.data = cr.welcome;
	wr.welcome.len = cr.welcome_len;
	wr.members = dir;
	wr.n_members = 1;
	s->pending = g;
	g = NULL;
	(void)start(t, s, CTL_TRUST_WELCOME, "MlsWelcome", &wr.base, welcome_done);
	if (s->oc == NULL) {
		mls_group_free(s->pending);
		s->pending = NULL;
	}
out:
	mls_commit_result_free(&cr);
	mls_group_free(g);
	slimbridge__control__v1__mls_key_package_response__free_unpacked(r, NULL);
}

static void establish(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	Slimbridge__Control__V1__MlsKeyPackageRequest kr =
		SLIMBRIDGE__CONTROL__V1__MLS_KEY_PACKAGE_REQUEST__INIT;

	kr.has_ciphersuite = 1;
	kr.ciphersuite = CTL_TRUST_SUITE;
	(void)start(t, s, CTL_TRUST_FETCH, "MlsKeyPackage", &kr.base, fetch_done);
}

/* ---------------------------------------------------------------- verify */

/* The group is broken at the peer: leave it and make a new one now. */
static void anew(struct ctl_trust *t, struct ctl_trust_seal *s, const char *why)
{
	ctl_trust_drop_group(t, s, why);
	s->next_mono = 0;
	s->failures = 0;
}

static void commit_acked(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	free(s->commit);
	s->commit = NULL;
	s->commit_len = 0;
	s->peer_acked = true;
	s->acked_mono = t->now;
	s->failures = 0;
	s->err[0] = s->logged[0] = '\0';
	s->phase = CTL_TRUST_IDLE;
}

static void verify_done(void *arg, int status, const char *message, const uint8_t *resp,
			size_t len)
{
	struct ctl_trust_seal *s = arg;
	struct ctl_trust *t = ended(s);
	Slimbridge__Control__V1__MlsGroupState *st = NULL;
	uint8_t auth[MLS_MAX_HASH];
	char hex[2 * MLS_MAX_HASH + 1], why[CTL_TRUST_WHY_MAX];
	struct mls_group *g = ctl_mls_managed_get(t->mls, s->gid);
	size_t nh;

	s->phase = CTL_TRUST_IDLE;
	if (g == NULL) {
		return;		/* dropped meanwhile */
	}
	if (status != GRPC_OK) {
		if (transient(status)) {
			if (s->commit != NULL) {
				ctl_trust_failed(t, s, "cannot check the seal group at %s (status %d: %s)",
						 s->control, status, message);
				s->phase = CTL_TRUST_COMMIT_WAIT;
			}
			return;
		}
		snprintf(why, sizeof(why), "the bridge of %s does not have it (status %d: %s)",
			 s->peer_td, status, message);
		anew(t, s, why);
		return;
	}
	st = slimbridge__control__v1__mls_group_state__unpack(NULL, len, resp);
	nh = mls_group_suite(g)->nh;
	if (mls_group_epoch_authenticator(g, auth) < 0) {
		hex[0] = '\0';
	} else {
		for (size_t i = 0; i < nh; i++) {
			snprintf(hex + 2 * i, 3, "%02x", auth[i]);
		}
	}
	if (st != NULL && st->has_epoch && st->epoch == s->epoch && st->epochauthenticator != NULL &&
	    strcmp(st->epochauthenticator, hex) == 0) {
		if (s->commit != NULL) {
			commit_acked(t, s);	/* it had taken the Commit; its answer was lost */
		}
	} else {
		snprintf(why, sizeof(why), "the bridge of %s is at epoch %" PRIu64 " of it, we at %" PRIu64,
			 s->peer_td, st != NULL ? st->epoch : 0, s->epoch);
		anew(t, s, why);
	}
	slimbridge__control__v1__mls_group_state__free_unpacked(st, NULL);
}

static void verify(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	Slimbridge__Control__V1__MlsGroupRef ref = SLIMBRIDGE__CONTROL__V1__MLS_GROUP_REF__INIT;

	ref.group = s->gid;
	s->verify_mono = t->now;
	if (!start(t, s, CTL_TRUST_VERIFY, "MlsGroupGet", &ref.base, verify_done) &&
	    s->commit != NULL) {
		s->phase = CTL_TRUST_COMMIT_WAIT;
	}
}

/* ---------------------------------------------------------------- rekey */

static void commit_done(void *arg, int status, const char *message, const uint8_t *resp,
			size_t len)
{
	struct ctl_trust_seal *s = arg;
	struct ctl_trust *t = ended(s);

	(void)resp;
	(void)len;
	if (status == GRPC_OK) {
		commit_acked(t, s);
		return;
	}
	if (transient(status)) {
		ctl_trust_failed(t, s, "the Commit of epoch %" PRIu64 " did not reach %s (status %d: %s)",
				 s->epoch, s->control, status, message);
		s->phase = CTL_TRUST_COMMIT_WAIT;	/* the same Commit again after the backoff */
		return;
	}
	ctl_trust_log(s, "the bridge of %s refused the Commit of epoch %" PRIu64 " (status %d: %s): checking its group",
		      s->peer_td, s->epoch, status, message);
	s->phase = CTL_TRUST_IDLE;
	verify(t, s);
}

/* Delivers the rekey Commit once our data plane has the new epoch (or after the backoff). */
static void commit_wait(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	Slimbridge__Control__V1__MlsCommitRequest cr =
		SLIMBRIDGE__CONTROL__V1__MLS_COMMIT_REQUEST__INIT;
	struct ctl_pub pub;

	ctl_state_pub(t->st, &pub);
	if (s->commit_pub == 0 && !pub.pending) {
		s->commit_pub = pub.epoch;
	}
	if (t->now < s->next_mono ||
	    !ctl_trust_sched_deliver_now(pub.acked_epoch, s->commit_pub, t->now - s->phase_mono)) {
		return;
	}
	cr.group = s->gid;
	cr.has_message = 1;
	cr.message.data = s->commit;
	cr.message.len = s->commit_len;
	if (!start(t, s, CTL_TRUST_COMMIT, "MlsCommit", &cr.base, commit_done)) {
		s->phase = CTL_TRUST_COMMIT_WAIT;
	}
}

static void rekey(struct ctl_trust *t, struct ctl_trust_seal *s, enum ctl_trust_rekey why)
{
	struct mls_group *g = ctl_mls_managed_get(t->mls, s->gid), *copy = NULL;
	struct mls_commit_opts o = {.force_path = true};
	struct mls_commit_result cr = {0};
	struct ctl_pub pub;
	uint64_t old = s->epoch;
	int rc;

	if (g == NULL) {
		return;
	}
	rc = mls_group_copy(g, &copy);
	rc = rc < 0 ? rc : mls_group_commit(copy, &o, &cr);
	if (rc == 0) {
		rc = ctl_mls_managed_put(t->mls, s->gid, copy, s->control, s->mls);
	}
	if (rc < 0) {
		mls_group_free(copy);
		mls_commit_result_free(&cr);
		ctl_trust_failed(t, s, "cannot rekey (%s): %s", ctl_trust_sched_rekey_name(why),
				 strerror(-rc));
		return;
	}
	/* The group is at the new epoch from here on; the old one stays as prev. */
	if (ctl_trust_take_epoch(t, s, copy) < 0) {
		mls_commit_result_free(&cr);
		anew(t, s, "cannot export the seal secret");
		return;
	}
	s->commit = cr.commit;
	s->commit_len = cr.commit_len;
	cr.commit = NULL;
	mls_commit_result_free(&cr);
	s->send_prev = true;
	s->peer_acked = false;
	s->rekeys++;
	s->last_rekey_ms = ctl_trust_realtime_ms();
	s->last_rekey_mono = t->now;
	snprintf(s->rekey_reason, sizeof(s->rekey_reason), "%s", ctl_trust_sched_rekey_name(why));
	ctl_trust_log(s, "rekey (%s): epoch %" PRIu64 " -> %" PRIu64, s->rekey_reason, old,
		      s->epoch);
	/* Publish now (send-prev): the Commit waits for our data plane to have it. */
	ctl_trust_publish(t);
	ctl_state_pub(t->st, &pub);
	s->commit_pub = pub.pending ? 0 : pub.epoch;
	s->phase = CTL_TRUST_COMMIT_WAIT;
	s->phase_mono = t->now;
	s->next_mono = 0;
	commit_wait(t, s);
}

/* What the rekey rule sees of |s| and our data plane now. */
static void rekey_in(struct ctl_trust *t, const struct ctl_trust_seal *s,
		     struct ctl_trust_rekey_in *in)
{
	struct sb_bridge_trust slot;
	char why[CTL_TRUST_WHY_MAX];
	bool have = ctl_trust_dp_slot(t, s->id, &slot, why, sizeof(why)) == 0;

	*in = (struct ctl_trust_rekey_in){
		.now_ms = t->now,
		.epoch_ms = s->epoch_mono,
		.last_rekey_ms = s->last_rekey_mono,
		.interval_s = s->creator ? s->interval_s : 0,	/* the creator keeps time */
		.rekey_messages = s->rekey_messages,
		/* the data plane's count is of this group's epoch (a re-made group's restart at 1) */
		.counters = have && slot.epoch == s->epoch &&
			    slot.group_tag == sb_bridge_group_tag((const uint8_t *)s->gid, strlen(s->gid)),
		.sealed_epoch = have ? slot.sealed_epoch : 0,
		.mls = s->mls,
		.dp_token = t->dp.token,
		.epoch_token = s->epoch_token,
		.rekey_req = have ? slot.rekey_req : s->rekey_req_seen,
		.rekey_req_seen = s->rekey_req_seen,
		.peer_asked = s->creator && s->peer_asked,
	};
}

/* ---------------------------------------------------------------- joiner */

static void poke_done(void *arg, int status, const char *message, const uint8_t *resp,
		      size_t len)
{
	struct ctl_trust_seal *s = arg;
	struct ctl_trust *t = ended(s);
	uint64_t d;

	(void)resp;
	(void)len;
	s->phase = CTL_TRUST_IDLE;
	if (status != GRPC_OK) {
		ctl_trust_failed(t, s, "TrustSealPoke at %s: status %d: %s", s->control, status,
				 message);
		return;
	}
	if (s->gid[0] == '\0') {
		/* Asked: the Welcome should follow; ask again after the backoff if it does not. */
		s->failures++;
		d = ctl_trust_sched_backoff_ms(s->failures);
		s->next_mono = t->now + d;
		s->next_ms = ctl_trust_realtime_ms() + d;
	}
}

static void poke(struct ctl_trust *t, struct ctl_trust_seal *s, bool rekey_asked,
		 const char *reason, bool installed)
{
	Slimbridge__Control__V1__TrustSealPokeRequest rq =
		SLIMBRIDGE__CONTROL__V1__TRUST_SEAL_POKE_REQUEST__INIT;

	rq.trustdomain = t->td;
	if (s->gid[0] != '\0') {
		rq.group = s->gid;
		rq.has_epoch = 1;
		rq.epoch = s->epoch;
	}
	rq.has_rekey = 1;
	rq.rekey = rekey_asked;
	rq.reason = (char *)reason;
	if (installed) {
		rq.has_installed = 1;
		rq.installed = 1;
	}
	(void)start(t, s, CTL_TRUST_POKE, "TrustSealPoke", &rq.base, poke_done);
}

void ctl_trust_seal_confirm(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	struct ctl_pub pub;

	if (s->creator || s->gid[0] == '\0') {
		return;
	}
	ctl_state_pub(t->st, &pub);
	if (s->confirm_pub == 0) {
		/* The SEALS table with the epoch must have gone out first. */
		if (t->table_gen < s->confirm_gen || pub.pending) {
			return;
		}
		s->confirm_pub = pub.epoch;
	}
	if (s->phase != CTL_TRUST_IDLE || !ctl_trust_sched_confirm_now(pub.acked_epoch, s->confirm_pub)) {
		return;
	}
	s->confirm_epoch = 0;
	t->n_confirm--;
	poke(t, s, false, "installed", true);	/* a failure: the creator's grace covers it */
}

/* ---------------------------------------------------------------- the step */

void ctl_trust_seal_step(struct ctl_trust *t, struct ctl_trust_seal *s)
{
	struct ctl_trust_rekey_in in;
	enum ctl_trust_rekey r;

	if (s->phase == CTL_TRUST_COMMIT_WAIT) {
		commit_wait(t, s);
		return;
	}
	if (s->phase != CTL_TRUST_IDLE || !s->prereq_ok) {
		return;
	}
	if (s->gid[0] == '\0') {
		if (t->now >= s->next_mono) {
			if (s->creator) {
				establish(t, s);
			} else {
				poke(t, s, false, "", false);
			}
		}
		return;
	}
	if (!s->ready) {
		return;
	}
	if (s->creator && s->send_prev &&
	    !ctl_trust_sched_send_prev(s->peer_acked, s->peer_installed == s->epoch, s->acked_mono,
				       t->now)) {
		s->send_prev = false;
		t->dirty = true;
	}
	if (s->creator && s->send_prev) {
		/*
		 * The last rekey is not through: our data plane still seals with
		 * the previous epoch. Another now would leave the peer with the
		 * two newest, and our records in the older one would not open.
		 */
		return;
	}
	rekey_in(t, s, &in);
	if (!s->creator) {
		in.last_rekey_ms = s->epoch_mono;	/* ask no sooner than that after an epoch began */
	}
	r = ctl_trust_sched_rekey(&in);
	if (r == CTL_TRUST_REKEY_NONE) {
		return;
	}
	if (s->creator) {
		rekey(t, s, r);
	} else if (s->asked_epoch != s->epoch || t->now >= s->asked_mono + CTL_TRUST_REKEY_MIN_MS) {
		s->asked_epoch = s->epoch;
		s->asked_mono = t->now;
		ctl_trust_log(s, "asking the bridge of %s for a rekey (%s) at epoch %" PRIu64,
			      s->peer_td, ctl_trust_sched_rekey_name(r), s->epoch);
		poke(t, s, true, ctl_trust_sched_rekey_name(r), false);
	}
}

void ctl_trust_seal_poked(struct ctl_trust *t, struct ctl_trust_seal *s, const char *group,
			  uint64_t epoch, bool rekey_asked, bool installed)
{
	t->scan_mono = 0;
	if (s->gid[0] != '\0' && group != NULL && strcmp(group, s->gid) == 0) {
		if (installed && epoch == s->epoch) {
			s->peer_installed = epoch;	/* send-prev can go (ctl_trust_seal_step) */
		}
		if (rekey_asked && epoch == s->epoch) {
			s->peer_asked = true;
		}
		return;
	}
	if (s->phase != CTL_TRUST_IDLE) {
		return;		/* establishing, or a Commit on its way */
	}
	if (s->gid[0] == '\0') {
		s->next_mono = 0;	/* the peer is ready: try now */
	} else if (t->now >= s->verify_mono + CTL_TRUST_REKEY_MIN_MS) {
		verify(t, s);	/* does it have ours? */
	}
}
