/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bridge.c - the status object, the per-snapshot seal view and the
 * per-worker seal state of the federation bridge (bridge.h).
 */
#include "bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "breaker.h"
#include "mls_app.h"
#include "mls_export.h"
#include "policy.h"
#include "policy_mls.h"
#include "policy_seals.h"

/* ---- status object ---------------------------------------------------------- */

struct bridge_status {
	struct sb_bridge_hdr *h;
	struct sb_bridge_trust *t;
	size_t size;
	char path[SB_SHM_NAME_MAX + 16];
};

int bridge_status_open(const char *name, struct bridge_status **out, char *err, size_t errlen)
{
	struct bridge_status *b = calloc(1, sizeof(*b));
	int fd, e;

	if (b == NULL) {
		snprintf(err, errlen, "bridge status: out of memory");
		return -ENOMEM;
	}
	snprintf(b->path, sizeof(b->path), "/%s%s", name, SB_BRIDGE_SUFFIX);
	b->size = sizeof(struct sb_bridge_hdr) + SB_BRIDGE_MAX_TRUSTS * sizeof(struct sb_bridge_trust);
	(void)shm_unlink(b->path); /* a previous run's: its counters meant that run */
	fd = shm_open(b->path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "bridge status %s: %s", b->path, strerror(e));
		free(b);
		return -e;
	}
	(void)fchmod(fd, 0644); /* whatever the umask: readable by operators, no secrets */
	if (ftruncate(fd, (off_t)b->size) != 0) {
		e = errno;
		close(fd);
		shm_unlink(b->path);
		snprintf(err, errlen, "bridge status %s: %s", b->path, strerror(e));
		free(b);
		return -e;
	}
	b->h = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (b->h == MAP_FAILED) {
		shm_unlink(b->path);
		snprintf(err, errlen, "bridge status %s: %s", b->path, strerror(e));
		free(b);
		return -e;
	}
	b->t = (struct sb_bridge_trust *)(b->h + 1);
	b->h->size = (uint32_t)b->size;
	b->h->nb_slots = SB_BRIDGE_MAX_TRUSTS;
	b->h->pid = (uint32_t)getpid();
	__atomic_store_n(&b->h->magic, SB_BRIDGE_MAGIC, __ATOMIC_RELEASE);
	*out = b;
	return 0;
}

void bridge_status_close(struct bridge_status *b)
{
	if (b == NULL) {
		return;
	}
	munmap(b->h, b->size);
	shm_unlink(b->path);
	free(b);
}

uint32_t bridge_status_slot(struct bridge_status *b, const char *trust_id)
{
	uint32_t free_slot = BRIDGE_NO_SLOT;

	for (uint32_t i = 0; i < SB_BRIDGE_MAX_TRUSTS; i++) {
		if (b->t[i].trust_id[0] == '\0') {
			if (free_slot == BRIDGE_NO_SLOT) {
				free_slot = i;
			}
			continue;
		}
		if (strncmp(b->t[i].trust_id, trust_id, SB_BRIDGE_TRUST_ID_MAX) == 0) {
			b->t[i].gone = 0;
			return i;
		}
	}
	if (free_slot != BRIDGE_NO_SLOT) {
		struct sb_bridge_trust *t = &b->t[free_slot];

		memset(t, 0, sizeof(*t));
		t->link = SB_LINK_NONE;
		t->threshold = BREAKER_DEFAULT_THRESHOLD;
		snprintf(t->trust_id, sizeof(t->trust_id), "%s", trust_id);
	}
	return free_slot;
}

struct sb_bridge_trust *bridge_status_trust(struct bridge_status *b, uint32_t slot)
{
	return slot < SB_BRIDGE_MAX_TRUSTS ? &b->t[slot] : NULL;
}

void bridge_status_sweep(struct bridge_status *b, const uint64_t *live)
{
	for (uint32_t i = 0; i < SB_BRIDGE_MAX_TRUSTS; i++) {
		if (b->t[i].trust_id[0] != '\0' && !(live[i / 64] >> (i % 64) & 1)) {
			b->t[i].gone = 1;
			b->t[i].link = SB_LINK_NONE;
		}
	}
}

void bridge_status_heartbeat(struct bridge_status *b, uint64_t now_ns)
{
	__atomic_store_n(&b->h->heartbeat_ns, now_ns, __ATOMIC_RELEASE);
}

/* ---- per-snapshot view ------------------------------------------------------ */

int bridge_view_build(struct bridge_view *bv, const struct sb_shm_snapshot *s,
		      const struct policy_view *pv, struct bridge_status *bs, const char **why)
{
	uint64_t live[SB_BRIDGE_MAX_TRUSTS / 64] = {0};
	const void *seals = NULL, *mls = NULL;
	uint64_t ssize = 0, msize = 0;
	int n_seals = 0;

	memset(bv, 0, sizeof(*bv));
	if (pv == NULL || pv->nb_trusts == 0) {
		if (bs != NULL) {
			bridge_status_sweep(bs, live);
		}
		return 0;
	}
	if (s != NULL) {
		seals = policy_seals_table(s, &ssize);
	}
	if (seals != NULL) {
		n_seals = policy_seals_check(seals, ssize, why);
		if (n_seals < 0) {
			return -EINVAL;
		}
		mls = policy_mls_table(s, &msize);
		if (mls != NULL && policy_mls_check(mls, msize, why) < 0) {
			return -EINVAL;
		}
	}
	bv->t = calloc(pv->nb_trusts, sizeof(*bv->t));
	if (bv->t == NULL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	bv->nb = pv->nb_trusts;
	for (uint32_t i = 0; i < pv->nb_trusts; i++) {
		const struct sb_pol_trust *tr = &pv->trusts[i];
		struct bridge_trust *t = &bv->t[i];

		t->trust_id = policy_string(pv, tr->name);
		t->state = tr->state;
		t->threshold = tr->failure_threshold != 0 ? tr->failure_threshold : BREAKER_DEFAULT_THRESHOLD;
		t->cooldown_s = tr->cooldown_s != 0 ? tr->cooldown_s : BREAKER_DEFAULT_COOLDOWN_S;
		t->slot = bs != NULL ? bridge_status_slot(bs, t->trust_id) : BRIDGE_NO_SLOT;
		t->st = bs != NULL ? bridge_status_trust(bs, t->slot) : NULL;
		if (t->slot != BRIDGE_NO_SLOT) {
			live[t->slot / 64] |= 1ull << (t->slot % 64);
			t->st->threshold = t->threshold;
		}
	}
	for (int k = 0; k < n_seals; k++) {
		struct policy_seal ps;
		struct bridge_trust *t;

		if (policy_seals_get(seals, (uint32_t)k, &ps) != 0) {
			*why = "SEALS: an entry cannot be read";
			free(bv->t);
			memset(bv, 0, sizeof(*bv));
			return -EINVAL;
		}
		/*
		 * By its index, else by its id: a policy change can renumber the
		 * trusts one publication before the SEALS table follows. A seal
		 * whose trust is gone is ignored (the policy denies that trust).
		 */
		t = ps.s->trust < bv->nb ? &bv->t[ps.s->trust] : NULL;
		if (t == NULL || strlen(t->trust_id) != ps.trust_id_len ||
		    memcmp(t->trust_id, ps.trust_id, ps.trust_id_len) != 0) {
			t = NULL;
			for (uint32_t j = 0; j < bv->nb && t == NULL; j++) {
				if (strlen(bv->t[j].trust_id) == ps.trust_id_len &&
				    memcmp(bv->t[j].trust_id, ps.trust_id, ps.trust_id_len) == 0) {
					t = &bv->t[j];
				}
			}
			if (t == NULL) {
				continue;
			}
		}
		t->seal = ps.s;
		t->group_id = ps.group_id;
		t->peer_td = ps.peer_td;
		t->peer_td_len = ps.s->peer_td_len;
		if (ps.s->mode == SB_POL_SEAL_MLS && mls != NULL) {
			struct policy_mls_group g;

			if (policy_mls_find(mls, ps.group_id, ps.s->group_id_len, &g) == 0) {
				t->mls_rec = g.rec;
				t->mls_rec_len = g.rec_len;
			}
		}
		bv->nb_seals++;
	}
	if (bs != NULL) {
		bridge_status_sweep(bs, live);
	}
	return 0;
}

void bridge_view_free(struct bridge_view *bv)
{
	free(bv->t);
	memset(bv, 0, sizeof(*bv));
}

/* ---- per worker ------------------------------------------------------------- */

struct bw_trust {
	uint8_t group[SB_POL_MLS_MAX_ID];	/* the MLS group of the state below */
	uint16_t group_len;
	char peer_td[256];		/* the peer's trust domain, as the last seal said */
	uint16_t peer_td_len;
	/* The group before (a re-made seal): records in flight under it still open. */
	uint8_t old_group[SB_POL_MLS_MAX_ID];
	uint16_t old_group_len;
	struct seal_rx *old_rx;
	uint64_t old_until_ns;
	struct seal_tx *tx;
	uint64_t tx_epoch;		/* epoch of |tx| */
	uint32_t tx_tag;		/* sb_bridge_group_tag of |tx|'s group */
	uint8_t tx_mode;
	/*
	 * A new group's sender, waiting until |switch_ns| while |tx| (the old
	 * group's) goes on: the peer bridge needs a moment to install the new
	 * group, and still opens the old one's records meanwhile (old_rx).
	 */
	struct seal_tx *next_tx;
	uint64_t next_epoch;
	uint8_t next_mode;
	uint64_t switch_ns;
	uint64_t old_tx_until_ns;	/* no new sender yet (receive-only): the old one goes on until */
	bool tx_blocked;		/* MLS epoch not ours to send with */
	struct seal_rx *rx;
	/*
	 * Epochs installed in |rx| (0: none), and when each one stops opening:
	 * 0 for the newest, else SB_POL_SEAL_PREV_WINDOW_S after the epoch that
	 * superseded it arrived. More than the previous one: a rekey's Commit
	 * travels on the control channel and can overtake records of two
	 * epochs back still queued on the link (a peer that held its input).
	 */
	uint64_t rx_epoch[SEAL_RX_EPOCHS];
	uint64_t rx_until_ns[SEAL_RX_EPOCHS];
	uint32_t conn;			/* connection of the open batch */
};

struct bridge_worker {
	uint64_t now_ns;		/* bridge_worker_clock */
	uint32_t worker;
	uint32_t token;
	struct crypto_aead_engine *e;
	struct mls_app_lcore *lc;
	uint8_t *rec;			/* one record */
	size_t rec_cap;
	uint8_t *scratch;		/* opened inner messages */
	size_t scratch_cap;
	struct bw_trust t[SB_BRIDGE_MAX_TRUSTS];
};

#define BRIDGE_REC_CAP (SEAL_MAX_INNER + 64 * 1024)
#define BRIDGE_GROUP_SWITCH_NS (2ull * 1000000000ull) /* old group's sender kept this long */
/* ...or, while the new group is receive-only here, up to this (inside the peer's old-group window) */
#define BRIDGE_OLD_TX_MAX_NS ((uint64_t)(SB_POL_SEAL_PREV_WINDOW_S - 5) * 1000000000ull)

struct bridge_worker *bridge_worker_new(uint32_t worker, uint32_t reader_token,
					struct crypto_aead_engine *e)
{
	struct bridge_worker *bw = calloc(1, sizeof(*bw));

	if (bw == NULL) {
		return NULL;
	}
	bw->worker = worker;
	bw->token = reader_token;
	bw->e = e;
	bw->lc = mls_app_lcore_new(e);
	bw->rec_cap = BRIDGE_REC_CAP;
	bw->rec = malloc(bw->rec_cap);
	bw->scratch_cap = BRIDGE_REC_CAP;
	bw->scratch = malloc(bw->scratch_cap);
	if (bw->lc == NULL || bw->rec == NULL || bw->scratch == NULL) {
		bridge_worker_free(bw);
		return NULL;
	}
	return bw;
}

void bridge_worker_free(struct bridge_worker *bw)
{
	if (bw == NULL) {
		return;
	}
	for (uint32_t i = 0; i < SB_BRIDGE_MAX_TRUSTS; i++) {
		seal_tx_free(bw->t[i].tx);
		seal_tx_free(bw->t[i].next_tx);
		seal_rx_free(bw->t[i].rx);
		seal_rx_free(bw->t[i].old_rx);
	}
	mls_app_lcore_free(bw->lc);
	if (bw->scratch != NULL) {
		OPENSSL_cleanse(bw->scratch, bw->scratch_cap);
	}
	free(bw->rec);
	free(bw->scratch);
	free(bw);
}

/* The keys of epoch |epoch| of seal |t| (secret: current or previous). */
static bool keys_of(const struct bridge_trust *t, uint64_t epoch, struct seal_keys *k)
{
	const struct sb_pol_seal *s = t->seal;

	memset(k, 0, sizeof(*k));
	k->mode = s->mode;
	k->group_id = t->group_id;
	k->group_id_len = s->group_id_len;
	k->own_leaf = s->own_leaf;
	k->epoch = epoch;
	if (epoch == s->epoch) {
		k->secret = s->secret;
	} else if (epoch == s->prev_epoch && s->prev_epoch != 0) {
		k->secret = s->prev_secret;
	} else {
		return false;
	}
	return true;
}

/* The claim of |worker| on the MLS epoch |epoch| of the group tagged |tag| (bridge_abi.h). */
static uint64_t mls_claim_of(uint32_t tag, uint64_t epoch, uint32_t worker)
{
	return (uint64_t)(tag & 0xffffu) << 48 | (epoch & 0xffffffffull) << 16 | (worker + 1);
}

static bool rx_has(const struct bw_trust *w, uint64_t epoch)
{
	for (uint32_t i = 0; i < SEAL_RX_EPOCHS; i++) {
		if (w->rx_epoch[i] == epoch) {
			return true;
		}
	}
	return false;
}

/*
 * |epoch| was installed in |w->rx| at |now_ns| as the newest: every older one
 * not yet on its way out opens for SB_POL_SEAL_PREV_WINDOW_S more. The slot
 * taken is the one seal_rx_add_epoch dropped for it, if it dropped one (the
 * lowest epoch: both sides keep the same set).
 */
static void rx_added(struct bw_trust *w, uint64_t epoch, uint64_t now_ns)
{
	uint32_t slot = SEAL_RX_EPOCHS;

	for (uint32_t i = 0; i < SEAL_RX_EPOCHS; i++) {
		if (w->rx_epoch[i] == 0) {
			if (slot == SEAL_RX_EPOCHS) {
				slot = i;
			}
			continue;
		}
		if (w->rx_until_ns[i] == 0) {
			w->rx_until_ns[i] = now_ns + (uint64_t)SB_POL_SEAL_PREV_WINDOW_S * 1000000000ull;
		}
	}
	if (slot == SEAL_RX_EPOCHS) {
		slot = 0;
		for (uint32_t i = 1; i < SEAL_RX_EPOCHS; i++) {
			if (w->rx_epoch[i] < w->rx_epoch[slot]) {
				slot = i;
			}
		}
	}
	w->rx_epoch[slot] = epoch;
	w->rx_until_ns[slot] = 0;
}

/* MLS objects of the current epoch from the MLS table's record. */
static int mls_objs(const struct bridge_trust *t, struct mls_app_sender **tx,
		    struct mls_app_receiver **rx)
{
	struct mls_export_rec r;

	if (t->mls_rec == NULL || mls_export_decode(t->mls_rec, t->mls_rec_len, &r) != 0 ||
	    r.epoch != t->seal->epoch) {
		return -ENOKEY;
	}
	return mls_export_app_new(&r, 0, tx, rx);
}

void bridge_worker_set_view(struct bridge_worker *bw, const struct bridge_view *bv,
			    uint64_t now_ns)
{
	bw->now_ns = now_ns;
	for (uint32_t i = 0; bv != NULL && i < bv->nb; i++) {
		const struct bridge_trust *t = &bv->t[i];
		struct bw_trust *w;
		struct seal_keys k;

		if (t->slot == BRIDGE_NO_SLOT || t->seal == NULL || t->seal->state != SB_POL_SEAL_READY) {
			continue;
		}
		w = &bw->t[t->slot];
		/*
		 * Another group for this trust (re-added, a peer or control process
		 * restarted): its epochs start again at 1, so nothing of the old
		 * group's state may be taken for the new one's.
		 */
		if (w->group_len != t->seal->group_id_len ||
		    memcmp(w->group, t->group_id, w->group_len) != 0) {
			struct seal_rx *keep = w->rx;
			struct seal_tx *keep_tx = w->next_tx != NULL ? w->next_tx : w->tx;
			uint64_t keep_epoch = w->next_tx != NULL ? w->next_epoch : w->tx_epoch;
			uint32_t keep_tag = w->next_tx != NULL ? sb_bridge_group_tag(w->group, w->group_len)
							       : w->tx_tag;
			uint8_t keep_mode = w->next_tx != NULL ? w->next_mode : w->tx_mode;
			uint8_t kg[SB_POL_MLS_MAX_ID];
			uint16_t kl = w->group_len;

			memcpy(kg, w->group, kl);
			if (w->next_tx != NULL) {
				seal_tx_free(w->tx);
			}
			seal_rx_free(w->old_rx);
			memset(w, 0, sizeof(*w));
			/*
			 * An MLS sender of the old group goes on only on the worker
			 * that holds the old group's claim (one sender per epoch).
			 */
			bool mine = keep_mode == SB_POL_SEAL_AES ||
				    (t->st != NULL &&
				     __atomic_load_n(&t->st->mls_claim, __ATOMIC_ACQUIRE) ==
					     mls_claim_of(keep_tag, keep_epoch, bw->worker));

			if (keep_tx != NULL && mine) {
				w->tx = keep_tx;
				w->tx_epoch = keep_epoch;
				w->tx_tag = keep_tag;
				w->tx_mode = keep_mode;
				w->switch_ns = now_ns + BRIDGE_GROUP_SWITCH_NS;
				w->old_tx_until_ns = now_ns + BRIDGE_OLD_TX_MAX_NS;
			} else {
				seal_tx_free(keep_tx);
			}
			if (keep != NULL) {
				w->old_rx = keep;
				memcpy(w->old_group, kg, kl);
				w->old_group_len = kl;
				w->old_until_ns = now_ns + (uint64_t)SB_POL_SEAL_PREV_WINDOW_S * 1000000000ull;
			}
			/*
			 * The claims name the group (its tag), so a claim of the old
			 * group's epoch 1 is not one of the new group's epoch 1: no
			 * reset here (another worker may have claimed the new group's
			 * epoch already).
			 */
			memcpy(w->group, t->group_id, t->seal->group_id_len);
			w->group_len = t->seal->group_id_len;
		}
		if (t->peer_td_len < sizeof(w->peer_td)) {
			memcpy(w->peer_td, t->peer_td, t->peer_td_len);
			w->peer_td_len = t->peer_td_len;
		}
		/* Receiving: the newest epoch, and the previous one within its window. */
		if (w->rx == NULL) {
			w->rx = seal_rx_new(bw->e, bw->lc);
		}
		if (w->rx != NULL && !rx_has(w, t->seal->epoch) && keys_of(t, t->seal->epoch, &k)) {
			struct mls_app_receiver *mrx = NULL;

			if (k.mode != SB_POL_SEAL_MLS || mls_objs(t, NULL, &mrx) == 0) {
				k.mls_rx = mrx;
				if (seal_rx_add_epoch(w->rx, &k) == 0) {
					rx_added(w, t->seal->epoch, now_ns);
				}
			}
		}
		/*
		 * Sending: the epoch the SEALS entry says (the previous one while
		 * the peer catches up); nothing yet with a receive-only entry (a
		 * group just joined: the creator may not have it published).
		 */
		if (!(t->seal->flags & SB_POL_SEAL_F_RECV_ONLY)) {
			uint64_t want = (t->seal->flags & SB_POL_SEAL_F_SEND_PREV) && t->seal->prev_epoch != 0 ?
						t->seal->prev_epoch :
						t->seal->epoch;

			if (w->switch_ns == 0 && w->tx != NULL && w->tx_epoch == want) {
				continue;
			}
			if (w->switch_ns == 0 && w->tx != NULL && want == t->seal->prev_epoch) {
				continue; /* still sending with what we have */
			}
			if (w->switch_ns != 0 && w->next_tx != NULL) {
				continue;
			}
			if (!keys_of(t, want, &k)) {
				continue;
			}
			if (k.mode == SB_POL_SEAL_MLS) {
				struct mls_app_sender *mtx = NULL;

				w->tx_blocked = t->seal->dp_token != bw->token || want != t->seal->epoch ||
						mls_objs(t, &mtx, NULL) != 0;
				if (w->tx_blocked) {
					continue;
				}
				k.mls_tx = mtx;
			}
			if (w->switch_ns != 0) {
				/* the old group's sender goes on until switch_ns */
				if (w->next_tx == NULL) {
					w->next_tx = seal_tx_new(&k, bw->e, bw->lc);
					w->next_epoch = want;
					w->next_mode = k.mode;
				}
				continue;
			}
			seal_tx_free(w->tx);
			w->tx = seal_tx_new(&k, bw->e, bw->lc);
			w->tx_epoch = w->tx != NULL ? want : 0;
			w->tx_tag = sb_bridge_group_tag(w->group, w->group_len);
			w->tx_mode = k.mode;
		}
	}
	/* The previous epoch's and group's windows: forget them once they have passed. */
	for (uint32_t s = 0; s < SB_BRIDGE_MAX_TRUSTS; s++) {
		struct bw_trust *w = &bw->t[s];

		if (w->old_rx != NULL && now_ns > w->old_until_ns) {
			seal_rx_free(w->old_rx);
			w->old_rx = NULL;
			w->old_group_len = 0;
		}

		for (uint32_t i = 0; w->rx != NULL && i < SEAL_RX_EPOCHS; i++) {
			if (w->rx_epoch[i] != 0 && w->rx_until_ns[i] != 0 && now_ns > w->rx_until_ns[i]) {
				seal_rx_drop_epoch(w->rx, w->rx_epoch[i]);
				w->rx_epoch[i] = w->rx_until_ns[i] = 0;
			}
		}
	}
}

/* The old group's grace is over and its batch is out: the new group's sender takes over. */
static void maybe_switch(struct bridge_worker *bw, struct bw_trust *w)
{
	if (w->switch_ns == 0 || bw->now_ns < w->switch_ns ||
	    (w->tx != NULL && seal_tx_pending(w->tx) > 0)) {
		return;
	}
	if (w->next_tx == NULL && w->tx != NULL && bw->now_ns < w->old_tx_until_ns) {
		return; /* the new group is not ours to send with yet: the peer still opens the old */
	}
	seal_tx_free(w->tx);
	w->tx = w->next_tx;
	w->tx_epoch = w->next_tx != NULL ? w->next_epoch : 0;
	w->tx_tag = sb_bridge_group_tag(w->group, w->group_len);
	w->tx_mode = w->next_mode;
	w->next_tx = NULL;
	w->switch_ns = 0;
}

void bridge_worker_clock(struct bridge_worker *bw, uint64_t now_ns)
{
	bw->now_ns = now_ns;
}

uint8_t bridge_can_seal(struct bridge_worker *bw, const struct bridge_view *bv, uint32_t trust)
{
	const struct bridge_trust *t;
	struct bw_trust *w;

	if (bv == NULL || trust >= bv->nb) {
		return SB_POL_REASON_TRUST_NOT_ESTABLISHED;
	}
	t = &bv->t[trust];
	if (t->slot == BRIDGE_NO_SLOT) {
		return SB_POL_REASON_TRUST_NOT_ESTABLISHED;
	}
	w = &bw->t[t->slot];
	maybe_switch(bw, w);
	/*
	 * No seal in this snapshot (a restarted control process has not made
	 * the new group yet): an established trust keeps the keys it has. A
	 * revoked or suspended one never gets here (the policy denied it).
	 */
	if ((t->seal == NULL || t->seal->state != SB_POL_SEAL_READY) &&
	    !(t->state == SB_POL_TRUST_ESTABLISHED && w->tx != NULL)) {
		return SB_POL_REASON_TRUST_NOT_ESTABLISHED;
	}
	if (w->tx == NULL) {
		if (w->tx_blocked && t->st != NULL) {
			__atomic_add_fetch(&t->st->rekey_req, 1, __ATOMIC_RELAXED);
		}
		return SB_POL_REASON_TRUST_NOT_ESTABLISHED;
	}
	if (w->tx_mode == SB_POL_SEAL_MLS && t->st != NULL) {
		/* One worker per MLS epoch: the first claims it. */
		uint64_t want = mls_claim_of(w->tx_tag, w->tx_epoch, bw->worker);
		uint64_t cur = __atomic_load_n(&t->st->mls_claim, __ATOMIC_ACQUIRE);

		if (cur != want) {
			if ((cur >> 16) == (want >> 16) ||
			    !__atomic_compare_exchange_n(&t->st->mls_claim, &cur, want, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_add_fetch(&t->st->rekey_req, 1, __ATOMIC_RELAXED);
				return SB_POL_REASON_SEAL_FAILED;
			}
		}
	}
	return SB_POL_REASON_ALLOWED;
}

static void flush_one(struct bridge_worker *bw, const struct bridge_view *bv, uint32_t trust,
		      struct bw_trust *w, bridge_emit_fn emit, void *arg)
{
	uint32_t count = seal_tx_pending(w->tx);
	size_t len = 0;
	int rc;

	if (count == 0) {
		return;
	}
	rc = seal_tx_flush(w->tx, bw->rec, bw->rec_cap, &len);
	if (rc == 0 && bv->t[trust].st != NULL) {
		struct sb_bridge_trust *st = bv->t[trust].st;

		__atomic_add_fetch(&st->sealed, count, __ATOMIC_RELAXED);
		__atomic_add_fetch(&st->records, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&st->epoch, __ATOMIC_RELAXED) != w->tx_epoch ||
		    __atomic_load_n(&st->group_tag, __ATOMIC_RELAXED) != w->tx_tag) {
			__atomic_store_n(&st->group_tag, w->tx_tag, __ATOMIC_RELAXED);
			__atomic_store_n(&st->epoch, w->tx_epoch, __ATOMIC_RELAXED);
			__atomic_store_n(&st->sealed_epoch, 0, __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&st->sealed_epoch, count, __ATOMIC_RELAXED);
	}
	emit(arg, trust, w->conn, bw->rec, len, count, rc);
	maybe_switch(bw, w);
}

int bridge_seal_add(struct bridge_worker *bw, const struct bridge_view *bv, uint32_t trust,
		    uint32_t conn, const struct seal_route *r, const uint8_t *msg, bridge_emit_fn emit,
		    void *arg)
{
	struct bw_trust *w;
	int rc;

	if (bv == NULL || trust >= bv->nb || bv->t[trust].slot == BRIDGE_NO_SLOT) {
		return -ENOKEY;
	}
	w = &bw->t[bv->t[trust].slot];
	if (w->tx == NULL) {
		return -ENOKEY;
	}
	if (seal_tx_pending(w->tx) > 0 && w->conn != conn) {
		flush_one(bw, bv, trust, w, emit, arg);
	}
	w->conn = conn;
	rc = seal_tx_add(w->tx, r, msg);
	if (rc == -ENOSPC) {
		flush_one(bw, bv, trust, w, emit, arg);
		w->conn = conn;
		rc = seal_tx_add(w->tx, r, msg);
	}
	return rc;
}

void bridge_flush(struct bridge_worker *bw, const struct bridge_view *bv, bridge_emit_fn emit,
		  void *arg)
{
	for (uint32_t i = 0; bv != NULL && i < bv->nb; i++) {
		const struct bridge_trust *t = &bv->t[i];

		if (t->slot != BRIDGE_NO_SLOT && bw->t[t->slot].tx != NULL) {
			flush_one(bw, bv, i, &bw->t[t->slot], emit, arg);
		}
	}
}

uint64_t bridge_send_epoch(const struct bridge_worker *bw, uint32_t slot, uint8_t *mode)
{
	if (slot >= SB_BRIDGE_MAX_TRUSTS || bw->t[slot].tx == NULL) {
		*mode = 0;
		return 0;
	}
	*mode = bw->t[slot].tx_mode;
	return bw->t[slot].tx_epoch;
}

int bridge_open(struct bridge_worker *bw, const struct bridge_view *bv, const uint8_t *rec,
		size_t len, uint32_t *trust, struct seal_msg *out, uint32_t *n, uint64_t *epoch,
		uint8_t *mode)
{
	struct seal_info info;
	int rc = seal_peek(rec, len, &info);

	if (rc != 0) {
		return rc;
	}
	for (uint32_t i = 0; bv != NULL && i < bv->nb; i++) {
		const struct bridge_trust *t = &bv->t[i];
		struct seal_rx *rx;
		struct bw_trust *w;

		if (t->slot == BRIDGE_NO_SLOT || t->state != SB_POL_TRUST_ESTABLISHED) {
			continue;
		}
		/* The trust's group as this worker holds it (the snapshot may be between seals). */
		w = &bw->t[t->slot];
		if (w->group_len == info.group_id_len &&
		    memcmp(w->group, info.group_id, info.group_id_len) == 0) {
			rx = w->rx;
		} else if (w->old_rx != NULL && w->old_group_len == info.group_id_len &&
			   memcmp(w->old_group, info.group_id, info.group_id_len) == 0) {
			rx = w->old_rx;
		} else {
			continue;
		}
		if (rx == NULL) {
			return -ENOKEY;
		}
		if (len > bw->scratch_cap) {
			return -EMSGSIZE;
		}
		rc = seal_rx_open(rx, rec, len, bw->scratch, bw->scratch_cap, out, n);
		if (rc == 0) {
			*trust = i;
			*epoch = info.epoch;
			*mode = info.mode;
			if (t->st != NULL) {
				__atomic_add_fetch(&t->st->opened_msgs, *n, __ATOMIC_RELAXED);
			}
		}
		return rc;
	}
	return -ENOKEY;
}

const char *bridge_peer_td(const struct bridge_worker *bw, const struct bridge_view *bv,
			   uint32_t trust, size_t *len)
{
	const struct bridge_trust *t;
	const struct bw_trust *w;

	if (bv == NULL || trust >= bv->nb) {
		return NULL;
	}
	t = &bv->t[trust];
	if (t->seal != NULL) {
		*len = t->peer_td_len;
		return t->peer_td;
	}
	if (t->slot == BRIDGE_NO_SLOT) {
		return NULL;
	}
	w = &bw->t[t->slot];
	if (w->peer_td_len == 0) {
		return NULL;
	}
	*len = w->peer_td_len;
	return w->peer_td;
}
