/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for dataplane/bridge/bridge.c's per-worker seal state
 * (bridge.h): two bridges A and B of one trust, each a bridge worker with
 * a view built from a real SEALS table (policy_seals_build, checked and
 * read back as the main lcore does) and its own status slot.
 *
 *  - round trip: A seals N messages (bridge_can_seal, bridge_seal_add,
 *    bridge_flush), B opens them (bridge_open) unchanged and in order; the
 *    status slot counts sealed, records, epoch, sealed_epoch, group tag;
 *    a batch holds one connection's messages and at most SEAL_MAX_BATCH;
 *  - rekey: SEND_PREV keeps A on the previous epoch, B opens both epochs,
 *    clearing the flag moves A on (sealed_epoch restarts); the previous
 *    epoch is forgotten after its window; records of up to SEAL_RX_EPOCHS - 1
 *    epochs back still open after rekeys overtook them, each epoch until its
 *    own window has passed (test_rekey_overtaken);
 *  - group change: the old group's sender goes on for 2 s, then the new
 *    group's; B opens the old group's records within its window only; the
 *    slot's group tag changes and sealed_epoch restarts at equal epochs;
 *  - RECV_ONLY: opens at once, never seals; with an old group, the old
 *    sender goes on past the 2 s until the flag is cleared, and not past
 *    the peer's old-group window;
 *  - bad records: truncated, altered, unknown group, reflected, replayed;
 *  - MLS mode: round trip, one sending worker per epoch, a data-plane
 *    token that is not ours; a worker installing the group late must not
 *    take the epoch from the one that claimed it (test_mls_late_worker).
 *
 * The views are made by hand (one trust, slot 0, trust index 0) rather
 * than through bridge_view_build, which needs a whole policy snapshot:
 * what is under test is the worker's state machine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "bridge.h"
#include "crypto_aead.h"
#include "mls_crypto.h"
#include "mls_export.h"
#include "policy_seals.h"
#include "seal.h"

#define TRUST_ID "acme-partner"
#define PEER_TD "partner.example"
#define G1 "sbseal:acme-partner:1"
#define G2 "sbseal:acme-partner:2"
#define G_OTHER "sbseal:acme-other"
#define CONN 7
#define NS 1000000000ull
#define T0 (1700000000ull * NS)			/* CLOCK_REALTIME-like */
#define SWITCH_NS (2ull * NS)			/* bridge.c's BRIDGE_GROUP_SWITCH_NS */
#define WINDOW_NS ((uint64_t)SB_POL_SEAL_PREV_WINDOW_S * NS)
#define MAX_RECS 32
#define MAX_MSGS 160
#define MSG_MAX 256
#define TOKEN_A 0x5b01u
#define TOKEN_B 0x5b02u

/* A SEALS entry as the control process writes it (mode 0: AES). */
struct ent {
	const char *gid;
	uint64_t epoch, prev;
	const uint8_t *secret, *prev_secret;
	uint16_t flags;
	uint8_t mode;
	const uint8_t *mls_rec;
	size_t mls_rec_len;
};

/* One bridge's worker, its view of the trust and the trust's status slot. */
struct side {
	struct crypto_aead_engine *e;
	struct bridge_worker *bw;
	uint32_t own_leaf;
	uint8_t *tab;			/* the SEALS table of the view */
	size_t tab_len;
	struct bridge_trust t;
	struct bridge_view bv;
	struct sb_bridge_trust st;
	struct sb_bridge_trust *stp;	/* the slot the view points at (&st unless shared) */
};

/* What the workers handed to the emit callback. */
struct emitted {
	uint32_t n;
	uint8_t *rec[MAX_RECS];
	size_t len[MAX_RECS];
	uint32_t count[MAX_RECS], trust[MAX_RECS], conn[MAX_RECS];
	int err[MAX_RECS];
};

struct fx {
	struct side a, b, c;
	struct emitted em;
	uint8_t sec[4][32];		/* seal secrets: G1 epoch 1, G1 epoch 2, G2 epoch 1, spare */
	uint8_t esec[6][32];		/* G1 epochs 1..6 (test_rekey_overtaken) */
	/* MLS: a two-member group's keys (suite 1), each member's epoch record */
	const struct mls_suite *suite;
	uint8_t gc[64], sds[MLS_MAX_HASH], app[2][MLS_MAX_HASH];
	uint8_t priv[2][MLS_MAX_SIG_PRIV], pub[2][MLS_MAX_SIG_PUB];
	size_t priv_len[2], pub_len[2];
	uint8_t mrec[2][2048];
	size_t mrec_len[2];
	struct seal_msg out[SEAL_MAX_BATCH];
};

/* ---- messages ----------------------------------------------------------- */

static uint32_t msg_len(uint32_t i)
{
	return 24 + (i * 37) % 200;
}

static void msg_of(uint32_t i, uint8_t *p)
{
	for (uint32_t j = 0; j < msg_len(i); j++) {
		p[j] = (uint8_t)(i * 131 + j * 7 + 1);
	}
}

static struct seal_route route_of(uint32_t i)
{
	struct seal_route r = {
		.src = {0x1111000000000000ull + i, 0x2222, 0x3333},
		.src_id = {i, ~(uint64_t)i},
		.dst = {0x4444, 0x5555000000000000ull + i, 0x6666},
		.dst_id = {0xfedcba9876543210ull, i * 7},
		.fanout = 1,
		.len = msg_len(i),
	};

	return r;
}

/* ---- sides and views ---------------------------------------------------- */

static void side_init(struct side *s, uint32_t worker, uint32_t token, uint32_t own_leaf)
{
	memset(s, 0, sizeof(*s));
	s->e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	assert_non_null(s->e);
	s->bw = bridge_worker_new(worker, token, s->e);
	assert_non_null(s->bw);
	s->own_leaf = own_leaf;
	/* as bridge_status_slot claims a slot */
	s->st.link = SB_LINK_NONE;
	s->st.threshold = 3;
	snprintf(s->st.trust_id, sizeof(s->st.trust_id), "%s", TRUST_ID);
	s->stp = &s->st;
}

static void side_free(struct side *s)
{
	bridge_worker_free(s->bw);
	crypto_aead_engine_free(s->e);
	if (s->tab != NULL) {
		policy_seals_free(s->tab, s->tab_len);
	}
	memset(s, 0, sizeof(*s));
}

/*
 * side_view: a snapshot whose SEALS table holds entry |e| for the trust,
 * installed in the worker at |now| (bridge_worker_set_view). The previous
 * table is freed afterwards: the worker must not keep pointers into it.
 */
static void side_view(struct side *s, const struct ent *e, uint64_t now)
{
	struct policy_seal_ent se;
	struct policy_seal ps;
	uint8_t *tab = NULL;
	size_t len = 0;
	const char *why = "";

	memset(&se, 0, sizeof(se));
	se.trust_id = TRUST_ID;
	se.trust_id_len = strlen(TRUST_ID);
	se.s.trust = 0;
	se.s.mode = e->mode != 0 ? e->mode : SB_POL_SEAL_AES;
	se.s.state = SB_POL_SEAL_READY;
	se.s.family = 4;
	se.s.addr[0] = 127;
	se.s.addr[3] = 1;
	se.s.port = 0;
	se.s.group_id_len = (uint16_t)strlen(e->gid);
	se.s.peer_td_len = (uint16_t)strlen(PEER_TD);
	se.s.flags = e->flags;
	se.s.own_leaf = s->own_leaf;
	se.s.peer_leaf = 1 - s->own_leaf;
	se.s.epoch = e->epoch;
	se.s.prev_epoch = e->prev;
	if (e->secret != NULL) {
		memcpy(se.s.secret, e->secret, 32);
	}
	if (e->prev_secret != NULL) {
		memcpy(se.s.prev_secret, e->prev_secret, 32);
	}
	se.s.dp_token = e->mode == SB_POL_SEAL_MLS ? (s->own_leaf == 0 ? TOKEN_A : TOKEN_B) : 0;
	se.group_id = (const uint8_t *)e->gid;
	se.peer_td = PEER_TD;
	assert_int_equal(policy_seals_build(&se, 1, &tab, &len), 0);
	assert_int_equal(policy_seals_check(tab, len, &why), 1);
	assert_int_equal(policy_seals_get(tab, 0, &ps), 0);

	memset(&s->t, 0, sizeof(s->t));
	s->t.slot = 0;
	s->t.st = s->stp;
	s->t.trust_id = TRUST_ID;
	s->t.state = SB_POL_TRUST_ESTABLISHED;
	s->t.threshold = 3;
	s->t.cooldown_s = 30;
	s->t.seal = ps.s;
	s->t.group_id = ps.group_id;
	s->t.peer_td = ps.peer_td;
	s->t.peer_td_len = ps.s->peer_td_len;
	s->t.mls_rec = e->mls_rec;
	s->t.mls_rec_len = e->mls_rec_len;
	s->bv.nb = 1;
	s->bv.t = &s->t;
	s->bv.nb_seals = 1;
	bridge_worker_set_view(s->bw, &s->bv, now);
	if (s->tab != NULL) {
		policy_seals_free(s->tab, s->tab_len);
	}
	s->tab = tab;
	s->tab_len = len;
}

/* An AES entry of group |gid|, epoch |epoch| (secret |sec|), no previous epoch. */
static struct ent aes_ent(const char *gid, uint64_t epoch, const uint8_t *sec, uint16_t flags)
{
	struct ent e = {.gid = gid, .epoch = epoch, .secret = sec, .flags = flags};

	return e;
}

/* ---- fixture ------------------------------------------------------------ */

static void emitted_clear(struct emitted *em)
{
	for (uint32_t i = 0; i < em->n; i++) {
		free(em->rec[i]);
	}
	memset(em, 0, sizeof(*em));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mls_random(f->sec, sizeof(f->sec)), 0);
	assert_int_equal(mls_random(f->esec, sizeof(f->esec)), 0);
	side_init(&f->a, 0, TOKEN_A, 0);
	side_init(&f->b, 0, TOKEN_B, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	side_free(&f->a);
	side_free(&f->b);
	if (f->c.bw != NULL) {
		side_free(&f->c);
	}
	emitted_clear(&f->em);
	free(f);
	return 0;
}

/* The emit callback: keeps a copy of every record. */
static void emit(void *arg, uint32_t trust, uint32_t conn, const uint8_t *rec, size_t len,
		 uint32_t count, int err)
{
	struct emitted *em = arg;
	uint32_t i = em->n;

	assert_true(i < MAX_RECS);
	em->rec[i] = malloc(len > 0 ? len : 1);
	assert_non_null(em->rec[i]);
	memcpy(em->rec[i], rec, len);
	em->len[i] = len;
	em->count[i] = count;
	em->trust[i] = trust;
	em->conn[i] = conn;
	em->err[i] = err;
	em->n++;
}

/*
 * seal_msgs: side |s| at |now| seals messages first..first+n-1 on
 * connection |conn| as the SLIM node does (bridge_can_seal, then
 * bridge_seal_add, per message) and flushes. The records go to f->em.
 */
static void seal_msgs(struct fx *f, struct side *s, uint32_t first, uint32_t n, uint32_t conn,
		      uint64_t now, bool flush)
{
	uint8_t msg[MSG_MAX];

	bridge_worker_clock(s->bw, now);
	for (uint32_t i = first; i < first + n; i++) {
		struct seal_route r = route_of(i);

		assert_int_equal(bridge_can_seal(s->bw, &s->bv, 0), SB_POL_REASON_ALLOWED);
		msg_of(i, msg);
		assert_int_equal(bridge_seal_add(s->bw, &s->bv, 0, conn, &r, msg, emit, &f->em), 0);
	}
	if (flush) {
		bridge_flush(s->bw, &s->bv, emit, &f->em);
	}
}

/* seal_one_record: seal_msgs, checking that it made exactly one record of |n|; returns its index. */
static uint32_t seal_one_record(struct fx *f, struct side *s, uint32_t first, uint32_t n,
				uint64_t now)
{
	uint32_t before = f->em.n;

	seal_msgs(f, s, first, n, CONN, now, true);
	assert_int_equal(f->em.n, before + 1);
	assert_int_equal(f->em.err[before], 0);
	assert_int_equal(f->em.count[before], n);
	assert_int_equal(f->em.trust[before], 0);
	assert_int_equal(f->em.conn[before], CONN);
	assert_true(f->em.len[before] > 0);
	return before;
}

/* The group id and epoch record |i| says it is of. */
static void assert_record_of(struct fx *f, uint32_t i, const char *gid, uint64_t epoch)
{
	struct seal_info info;

	assert_int_equal(seal_peek(f->em.rec[i], f->em.len[i], &info), 0);
	assert_int_equal(info.group_id_len, strlen(gid));
	assert_memory_equal(info.group_id, gid, strlen(gid));
	assert_int_equal(info.epoch, epoch);
}

/* side |s| opens record |i|: messages first..first+n-1, unchanged and in order, epoch |epoch|. */
static void open_ok(struct fx *f, struct side *s, uint32_t i, uint32_t first, uint32_t n,
		    uint64_t epoch, uint8_t mode)
{
	uint8_t msg[MSG_MAX];
	uint32_t trust = 99, got = 0;
	uint64_t ep = 0;
	uint8_t md = 0;

	assert_int_equal(bridge_open(s->bw, &s->bv, f->em.rec[i], f->em.len[i], &trust, f->out, &got,
				     &ep, &md),
			 0);
	assert_int_equal(trust, 0);
	assert_int_equal(got, n);
	assert_int_equal(ep, epoch);
	assert_int_equal(md, mode);
	for (uint32_t k = 0; k < n; k++) {
		struct seal_route r = route_of(first + k);

		msg_of(first + k, msg);
		assert_int_equal(f->out[k].len, msg_len(first + k));
		assert_memory_equal(f->out[k].msg, msg, msg_len(first + k));
		assert_memory_equal(&f->out[k].route, &r, sizeof(r));
	}
}

/* side |s| refuses |len| bytes at |rec| with a negative errno and delivers nothing; returns it. */
static int open_fails(struct fx *f, struct side *s, const uint8_t *rec, size_t len)
{
	uint64_t before = s->stp->opened_msgs, ep = 0;
	uint32_t trust = 0, got = 0;
	uint8_t md = 0;
	int rc = bridge_open(s->bw, &s->bv, rec, len, &trust, f->out, &got, &ep, &md);

	assert_true(rc < 0);
	assert_int_equal(got, 0);
	assert_int_equal(s->stp->opened_msgs, before);
	return rc;
}

static uint32_t tag_of(const char *gid)
{
	return sb_bridge_group_tag((const uint8_t *)gid, strlen(gid));
}

/* The status slot's claim of |worker| on epoch |epoch| of |gid| (bridge_abi.h). */
static uint64_t claim_of(const char *gid, uint64_t epoch, uint32_t worker)
{
	return (uint64_t)(tag_of(gid) & 0xffffu) << 48 | epoch << 16 | (worker + 1);
}

static uint64_t send_epoch(struct side *s, uint8_t *mode)
{
	return bridge_send_epoch(s->bw, s->t.slot, mode);
}

/* ---- 1. round trip ------------------------------------------------------ */

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct ent e = aes_ent(G1, 1, f->sec[0], 0);
	uint8_t mode = 0;
	uint32_t r;

	side_view(&f->a, &e, T0);
	side_view(&f->b, &e, T0);
	assert_int_equal(send_epoch(&f->a, &mode), 1);
	assert_int_equal(mode, SB_POL_SEAL_AES);

	r = seal_one_record(f, &f->a, 0, 20, T0 + 1);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 0, 20, 1, SB_POL_SEAL_AES);

	/* A's slot: what control's `trust get` and rekey-by-count read. */
	assert_int_equal(f->a.st.sealed, 20);
	assert_int_equal(f->a.st.records, 1);
	assert_int_equal(f->a.st.epoch, 1);
	assert_int_equal(f->a.st.sealed_epoch, 20);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	assert_int_equal(f->b.st.opened_msgs, 20);
	assert_int_equal(f->b.st.sealed, 0);

	/* Nothing queued: a flush emits nothing. */
	bridge_flush(f->a.bw, &f->a.bv, emit, &f->em);
	assert_int_equal(f->em.n, 1);

	/* A second record follows on; B opens it too, the counters add up. */
	r = seal_one_record(f, &f->a, 20, 3, T0 + 2);
	open_ok(f, &f->b, r, 20, 3, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.sealed, 23);
	assert_int_equal(f->a.st.records, 2);
	assert_int_equal(f->a.st.sealed_epoch, 23);
	assert_int_equal(f->b.st.opened_msgs, 23);

	/* Both ways: B seals, A opens. */
	r = seal_one_record(f, &f->b, 100, 4, T0 + 3);
	open_ok(f, &f->a, r, 100, 4, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.opened_msgs, 4);
}

/* A batch holds one connection's messages, and at most SEAL_MAX_BATCH. */
static void test_batches(void **state)
{
	struct fx *f = *state;
	struct ent e = aes_ent(G1, 1, f->sec[0], 0);

	side_view(&f->a, &e, T0);
	side_view(&f->b, &e, T0);

	/* 3 for connection 7, then 2 for connection 9: the first batch leaves when the second starts. */
	seal_msgs(f, &f->a, 0, 3, 7, T0, false);
	assert_int_equal(f->em.n, 0);
	seal_msgs(f, &f->a, 3, 2, 9, T0, true);
	assert_int_equal(f->em.n, 2);
	assert_int_equal(f->em.conn[0], 7);
	assert_int_equal(f->em.count[0], 3);
	assert_int_equal(f->em.conn[1], 9);
	assert_int_equal(f->em.count[1], 2);
	open_ok(f, &f->b, 0, 0, 3, 1, SB_POL_SEAL_AES);
	open_ok(f, &f->b, 1, 3, 2, 1, SB_POL_SEAL_AES);

	/* SEAL_MAX_BATCH + 6 messages: two records, in order. */
	seal_msgs(f, &f->a, 10, SEAL_MAX_BATCH + 6, CONN, T0, true);
	assert_int_equal(f->em.n, 4);
	assert_int_equal(f->em.err[2], 0);
	assert_int_equal(f->em.count[2], SEAL_MAX_BATCH);
	assert_int_equal(f->em.count[3], 6);
	open_ok(f, &f->b, 2, 10, SEAL_MAX_BATCH, 1, SB_POL_SEAL_AES);
	open_ok(f, &f->b, 3, 10 + SEAL_MAX_BATCH, 6, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.sealed, 5 + SEAL_MAX_BATCH + 6);
	assert_int_equal(f->a.st.records, 4);
}

/* ---- 2. rekey with SEND_PREV -------------------------------------------- */

static void test_rekey_send_prev(void **state)
{
	struct fx *f = *state;
	struct ent e1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent e2 = {.gid = G1, .epoch = 2, .prev = 1, .secret = f->sec[1],
			 .prev_secret = f->sec[0]};
	struct ent e2p = e2;
	uint8_t mode = 0;
	uint32_t r;

	e2p.flags = SB_POL_SEAL_F_SEND_PREV;
	side_view(&f->a, &e1, T0);
	side_view(&f->b, &e1, T0);
	r = seal_one_record(f, &f->a, 0, 3, T0);
	open_ok(f, &f->b, r, 0, 3, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.sealed_epoch, 3);

	/* A committed epoch 2 but the peer may not have it: A goes on with epoch 1. */
	side_view(&f->a, &e2p, T0 + NS);
	assert_int_equal(send_epoch(&f->a, &mode), 1);
	r = seal_one_record(f, &f->a, 3, 2, T0 + NS);
	assert_record_of(f, r, G1, 1);
	assert_int_equal(f->a.st.epoch, 1);
	assert_int_equal(f->a.st.sealed_epoch, 5);

	/* B has epoch 2 (prev 1, no flag): it still opens epoch-1 records. */
	side_view(&f->b, &e2, T0 + 2 * NS);
	open_ok(f, &f->b, r, 3, 2, 1, SB_POL_SEAL_AES);

	/* A fresh worker given the SEND_PREV entry seals with epoch 1 too (prev_secret). */
	side_init(&f->c, 1, TOKEN_A, 0);
	f->c.stp = &f->a.st;
	side_view(&f->c, &e2p, T0 + 2 * NS);
	assert_int_equal(send_epoch(&f->c, &mode), 1);
	r = seal_one_record(f, &f->c, 50, 2, T0 + 2 * NS);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 50, 2, 1, SB_POL_SEAL_AES);

	/* The flag cleared: A seals with epoch 2, sealed_epoch starts again. */
	side_view(&f->a, &e2, T0 + 3 * NS);
	assert_int_equal(send_epoch(&f->a, &mode), 2);
	assert_int_equal(mode, SB_POL_SEAL_AES);
	r = seal_one_record(f, &f->a, 5, 4, T0 + 3 * NS);
	assert_record_of(f, r, G1, 2);
	assert_int_equal(f->a.st.epoch, 2);
	assert_int_equal(f->a.st.sealed_epoch, 4);
	assert_int_equal(f->a.st.sealed, 3 + 2 + 2 + 4);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	open_ok(f, &f->b, r, 5, 4, 2, SB_POL_SEAL_AES);

	/* An epoch-1 record sealed late still opens within B's window... */
	r = seal_one_record(f, &f->c, 60, 1, T0 + 3 * NS);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 60, 1, 1, SB_POL_SEAL_AES);
	/* ...and not once the window (from when B saw epoch 2) has passed. */
	r = seal_one_record(f, &f->c, 61, 1, T0 + 3 * NS);
	side_view(&f->b, &e2, T0 + 2 * NS + WINDOW_NS + 1);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r], f->em.len[r]), -EKEYEXPIRED);
}

/*
 * Rekeys overtaking records: the Commit travels on the control channel, the
 * records on the link, so a receiver can be two or three epochs on when
 * records of an older one arrive (the peer held its input, its TCP queue
 * full). B keeps SEAL_RX_EPOCHS epochs, each until its window after the
 * epoch that superseded it arrived; one more epoch drops the lowest.
 */
static void test_rekey_overtaken(void **state)
{
	struct fx *f = *state;
	struct ent e[6];
	uint32_t r[6][3];

	for (uint32_t i = 0; i < 6; i++) {
		e[i] = aes_ent(G1, i + 1, f->esec[i], 0);
		if (i > 0) {
			e[i].prev = i;
			e[i].prev_secret = f->esec[i - 1];
		}
	}
	/* A seals three records with each of epochs 1..4 (its control rekeyed; the link is slow). */
	for (uint32_t i = 0; i < 4; i++) {
		side_view(&f->a, &e[i], T0 + i * NS);
		for (uint32_t k = 0; k < 3; k++) {
			r[i][k] = seal_one_record(f, &f->a, 10 * i + k, 1, T0 + i * NS);
			assert_record_of(f, r[i][k], G1, i + 1);
		}
	}
	/* B took epochs 1..4 at T0, T0+1 s, ... before any of those records arrived. */
	for (uint32_t i = 0; i < 4; i++) {
		side_view(&f->b, &e[i], T0 + i * NS);
	}
	for (uint32_t i = 0; i < 4; i++) {
		open_ok(f, &f->b, r[i][0], 10 * i, 1, i + 1, SB_POL_SEAL_AES);
	}
	/* Epoch 5: epoch 1 (the lowest) makes room; 2..4 still open. */
	side_view(&f->b, &e[4], T0 + 4 * NS);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r[0][1]], f->em.len[r[0][1]]), -EKEYEXPIRED);
	open_ok(f, &f->b, r[1][1], 11, 1, 2, SB_POL_SEAL_AES);
	/* Epoch 2 was superseded at T0+2 s (epoch 3 arrived): past its window it is gone; */
	side_view(&f->b, &e[4], T0 + 2 * NS + WINDOW_NS + 1);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r[1][2]], f->em.len[r[1][2]]), -EKEYEXPIRED);
	/* epoch 3 (superseded at T0+3 s) and epoch 4 (at T0+4 s) are not yet. */
	open_ok(f, &f->b, r[2][1], 21, 1, 3, SB_POL_SEAL_AES);
	open_ok(f, &f->b, r[3][1], 31, 1, 4, SB_POL_SEAL_AES);
	/* Past epoch 4's window only the newest, epoch 5, opens: it has no window. */
	side_view(&f->b, &e[4], T0 + 4 * NS + WINDOW_NS + 1);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r[2][2]], f->em.len[r[2][2]]), -EKEYEXPIRED);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r[3][2]], f->em.len[r[3][2]]), -EKEYEXPIRED);
	side_view(&f->a, &e[4], T0 + 4 * NS + WINDOW_NS + 1);
	r[4][0] = seal_one_record(f, &f->a, 50, 2, T0 + 4 * NS + WINDOW_NS + 1);
	assert_record_of(f, r[4][0], G1, 5);
	open_ok(f, &f->b, r[4][0], 50, 2, 5, SB_POL_SEAL_AES);
}

/* ---- 3. group change ---------------------------------------------------- */

static void test_group_change(void **state)
{
	struct fx *f = *state;
	struct ent g1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent g2 = aes_ent(G2, 1, f->sec[2], 0);
	const uint64_t t1 = T0 + 10 * NS;
	uint8_t mode = 0;
	uint32_t r, kept;

	side_view(&f->a, &g1, T0);
	side_view(&f->b, &g1, T0);
	r = seal_one_record(f, &f->a, 0, 2, T0);
	open_ok(f, &f->b, r, 0, 2, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	assert_int_equal(f->a.st.sealed_epoch, 2);

	/* The group is re-made (new id, epochs from 1 again); both bridges get it at t1. */
	side_view(&f->a, &g2, t1);
	side_view(&f->b, &g2, t1);

	/* For 2 s A goes on with the old group, which B still opens. */
	r = seal_one_record(f, &f->a, 2, 3, t1);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 2, 3, 1, SB_POL_SEAL_AES);
	/* Another snapshot during the grace changes nothing. */
	side_view(&f->a, &g2, t1 + NS);
	r = seal_one_record(f, &f->a, 5, 1, t1 + SWITCH_NS - 1);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 5, 1, 1, SB_POL_SEAL_AES);
	kept = seal_one_record(f, &f->a, 6, 1, t1 + SWITCH_NS - 1);	/* opened late, below */
	assert_record_of(f, kept, G1, 1);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	assert_int_equal(f->a.st.sealed_epoch, 7);

	/* At 2 s: the new group. Same epoch number, other group: sealed_epoch starts again. */
	r = seal_one_record(f, &f->a, 10, 4, t1 + SWITCH_NS);
	assert_record_of(f, r, G2, 1);
	assert_int_equal(send_epoch(&f->a, &mode), 1);
	open_ok(f, &f->b, r, 10, 4, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.group_tag, tag_of(G2));
	assert_int_equal(f->a.st.epoch, 1);
	assert_int_equal(f->a.st.sealed_epoch, 4);
	assert_int_equal(f->a.st.sealed, 11);
	assert_int_equal(f->a.st.records, 5);

	/* B's old-group window: over SB_POL_SEAL_PREV_WINDOW_S after it got the new group. */
	side_view(&f->b, &g2, t1 + WINDOW_NS + 1);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[kept], f->em.len[kept]), -ENOKEY);
	r = seal_one_record(f, &f->a, 20, 2, t1 + WINDOW_NS + 1);
	assert_record_of(f, r, G2, 1);
	open_ok(f, &f->b, r, 20, 2, 1, SB_POL_SEAL_AES);
}

/* ---- 4. RECV_ONLY ------------------------------------------------------- */

static void test_recv_only_new_group(void **state)
{
	struct fx *f = *state;
	struct ent g1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent g1ro = aes_ent(G1, 1, f->sec[0], SB_POL_SEAL_F_RECV_ONLY);
	struct seal_route rt = route_of(0);
	uint8_t msg[MSG_MAX], mode = 0xff;
	uint32_t r;

	/* B just joined the group: it opens A's records at once. */
	side_view(&f->a, &g1, T0);
	side_view(&f->b, &g1ro, T0);
	r = seal_one_record(f, &f->a, 0, 5, T0);
	open_ok(f, &f->b, r, 0, 5, 1, SB_POL_SEAL_AES);

	/* ...but seals nothing with it: denied before queueing, and queueing fails too. */
	bridge_worker_clock(f->b.bw, T0 + 5 * NS);
	assert_int_equal(bridge_can_seal(f->b.bw, &f->b.bv, 0),
			 SB_POL_REASON_TRUST_NOT_ESTABLISHED);
	msg_of(0, msg);
	assert_int_equal(bridge_seal_add(f->b.bw, &f->b.bv, 0, CONN, &rt, msg, emit, &f->em),
			 -ENOKEY);
	assert_int_equal(send_epoch(&f->b, &mode), 0);
	bridge_flush(f->b.bw, &f->b.bv, emit, &f->em);
	assert_int_equal(f->em.n, 1);
	assert_int_equal(f->b.st.sealed, 0);
	assert_int_equal(f->b.st.records, 0);

	/* The flag cleared: B seals with the group, A opens. */
	side_view(&f->b, &g1, T0 + 6 * NS);
	r = seal_one_record(f, &f->b, 30, 2, T0 + 6 * NS);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->a, r, 30, 2, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->b.st.group_tag, tag_of(G1));
}

static void test_recv_only_keeps_old_sender(void **state)
{
	struct fx *f = *state;
	struct ent g1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent g2 = aes_ent(G2, 1, f->sec[2], 0);
	struct ent g2ro = aes_ent(G2, 1, f->sec[2], SB_POL_SEAL_F_RECV_ONLY);
	const uint64_t t1 = T0 + 10 * NS;
	uint32_t r;

	side_view(&f->a, &g1, T0);
	side_view(&f->b, &g1, T0);
	r = seal_one_record(f, &f->a, 0, 2, T0);
	open_ok(f, &f->b, r, 0, 2, 1, SB_POL_SEAL_AES);

	/* A joined the new group (receive-only), B made it. */
	side_view(&f->a, &g2ro, t1);
	side_view(&f->b, &g2, t1);

	/* Past the 2 s switch A still seals with the old group, which B opens. */
	r = seal_one_record(f, &f->a, 2, 3, t1 + SWITCH_NS + NS);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 2, 3, 1, SB_POL_SEAL_AES);
	/* and another snapshot, still receive-only, changes nothing */
	side_view(&f->a, &g2ro, t1 + 4 * NS);
	r = seal_one_record(f, &f->a, 5, 1, t1 + 5 * NS);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 5, 1, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	assert_int_equal(f->a.st.sealed_epoch, 6);

	/* B's records of the new group open on A at once. */
	r = seal_one_record(f, &f->b, 40, 2, t1 + 5 * NS);
	assert_record_of(f, r, G2, 1);
	open_ok(f, &f->a, r, 40, 2, 1, SB_POL_SEAL_AES);

	/* The flag cleared: A's next seal is of the new group. */
	side_view(&f->a, &g2, t1 + 6 * NS);
	r = seal_one_record(f, &f->a, 10, 2, t1 + 6 * NS);
	assert_record_of(f, r, G2, 1);
	open_ok(f, &f->b, r, 10, 2, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->a.st.group_tag, tag_of(G2));
	assert_int_equal(f->a.st.epoch, 1);
	assert_int_equal(f->a.st.sealed_epoch, 2);
}

/* The old group's sender never outlives the peer's old-group window. */
static void test_recv_only_old_sender_ends(void **state)
{
	struct fx *f = *state;
	struct ent g1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent g2ro = aes_ent(G2, 1, f->sec[2], SB_POL_SEAL_F_RECV_ONLY);
	const uint64_t t1 = T0 + 10 * NS;
	struct seal_route rt = route_of(0);
	uint8_t msg[MSG_MAX];
	uint32_t r;

	side_view(&f->a, &g1, T0);
	r = seal_one_record(f, &f->a, 0, 1, T0);
	side_view(&f->a, &g2ro, t1);
	r = seal_one_record(f, &f->a, 1, 1, t1 + 10 * NS);
	assert_record_of(f, r, G1, 1);

	/* The peer drops the old group SB_POL_SEAL_PREV_WINDOW_S after it got the new one. */
	bridge_worker_clock(f->a.bw, t1 + WINDOW_NS);
	assert_int_equal(bridge_can_seal(f->a.bw, &f->a.bv, 0),
			 SB_POL_REASON_TRUST_NOT_ESTABLISHED);
	msg_of(0, msg);
	assert_int_equal(bridge_seal_add(f->a.bw, &f->a.bv, 0, CONN, &rt, msg, emit, &f->em),
			 -ENOKEY);
	bridge_flush(f->a.bw, &f->a.bv, emit, &f->em);
	assert_int_equal(f->em.n, 2);

	/* The flag cleared later: A seals with the new group. */
	side_view(&f->a, &(struct ent){.gid = G2, .epoch = 1, .secret = f->sec[2]}, t1 + WINDOW_NS + NS);
	r = seal_one_record(f, &f->a, 2, 1, t1 + WINDOW_NS + NS);
	assert_record_of(f, r, G2, 1);
}

/* ---- 5. bad records ----------------------------------------------------- */

static void test_bad_records(void **state)
{
	struct fx *f = *state;
	struct ent g1 = aes_ent(G1, 1, f->sec[0], 0);
	struct ent other = aes_ent(G_OTHER, 1, f->sec[0], 0);
	static const size_t cuts[] = {0, 1, 4, 9, 30};
	uint8_t *bad;
	size_t len;
	uint32_t r, rb, ro;

	side_view(&f->a, &g1, T0);
	side_view(&f->b, &g1, T0);
	r = seal_one_record(f, &f->a, 0, 3, T0);
	len = f->em.len[r];
	bad = malloc(len);
	assert_non_null(bad);

	/* Truncated: every cut refused. */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		(void)open_fails(f, &f->b, f->em.rec[r], cuts[i]);
	}
	(void)open_fails(f, &f->b, f->em.rec[r], len / 2);
	(void)open_fails(f, &f->b, f->em.rec[r], len - 17);
	(void)open_fails(f, &f->b, f->em.rec[r], len - 1);

	/* One byte changed: in the ciphertext, the tag, a route. */
	{
		/* the first route starts after magic .. seq: 4+1+1+2+1 + group id + 8+4+16+8 */
		const size_t route0 = 45 + strlen(G1);
		const size_t pos[] = {len - 16 - 1, len - 16 - 20, len - 1, len - 16, route0 + 3,
				      route0 + SEAL_ROUTE_SIZE - 1};

		for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
			memcpy(bad, f->em.rec[r], len);
			bad[pos[i]] ^= 0x01;
			assert_int_equal(open_fails(f, &f->b, bad, len), -EBADMSG);
		}
	}

	/* A record of a group B does not know. */
	side_init(&f->c, 1, TOKEN_A, 0);
	side_view(&f->c, &other, T0);
	ro = seal_one_record(f, &f->c, 0, 3, T0);
	assert_record_of(f, ro, G_OTHER, 1);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[ro], f->em.len[ro]), -ENOKEY);

	/* B's own record reflected back to it. */
	rb = seal_one_record(f, &f->b, 0, 3, T0);
	(void)open_fails(f, &f->b, f->em.rec[rb], f->em.len[rb]);

	/* None of that hurt: the real record opens, once. */
	open_ok(f, &f->b, r, 0, 3, 1, SB_POL_SEAL_AES);
	assert_int_equal(f->b.st.opened_msgs, 3);
	assert_int_equal(open_fails(f, &f->b, f->em.rec[r], len), -EALREADY);
	assert_int_equal(f->b.st.opened_msgs, 3);
	free(bad);
}

/* ---- MLS mode ----------------------------------------------------------- */

/* Member |own|'s epoch record of G1 epoch 1 into f->mrec[own]. */
static void mls_record(struct fx *f, uint32_t own)
{
	struct mls_export_member m[2];
	struct mls_export_rec rec = {
		.suite = f->suite,
		.group_id = (const uint8_t *)G1,
		.group_id_len = strlen(G1),
		.epoch = 1,
		.own_leaf = own,
		.n_leaves = 2,
		.group_context = f->gc,
		.group_context_len = sizeof(f->gc),
		.sender_data_secret = f->sds,
		.sig_priv = f->priv[own],
		.sig_priv_len = f->priv_len[own],
		.n_members = 2,
	};

	for (uint32_t i = 0; i < 2; i++) {
		m[i] = (struct mls_export_member){i, f->app[i], f->pub[i], f->pub_len[i]};
	}
	assert_int_equal(mls_export_encode(&rec, m, 2, f->mrec[own], sizeof(f->mrec[own]),
					   &f->mrec_len[own]),
			 0);
}

static void mls_group(struct fx *f)
{
	f->suite = mls_suite_get(1);
	assert_non_null(f->suite);
	assert_int_equal(mls_random(f->gc, sizeof(f->gc)), 0);
	assert_int_equal(mls_random(f->sds, sizeof(f->sds)), 0);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY *k;

		assert_int_equal(mls_random(f->app[i], sizeof(f->app[i])), 0);
		assert_int_equal(mls_sig_keygen(f->suite, &k, f->priv[i], &f->priv_len[i]), 0);
		assert_int_equal(mls_sig_pub_raw(f->suite, k, f->pub[i], sizeof(f->pub[i]),
						 &f->pub_len[i]),
				 0);
		EVP_PKEY_free(k);
	}
	mls_record(f, 0);
	mls_record(f, 1);
}

static struct ent mls_ent(struct fx *f, uint32_t own)
{
	struct ent e = {.gid = G1, .epoch = 1, .secret = f->sec[0], .mode = SB_POL_SEAL_MLS,
			.mls_rec = f->mrec[own], .mls_rec_len = f->mrec_len[own]};

	return e;
}

static void test_mls(void **state)
{
	struct fx *f = *state;
	struct ent ea, eb;
	uint8_t mode = 0;
	uint64_t req;
	uint32_t r;

	mls_group(f);
	ea = mls_ent(f, 0);
	eb = mls_ent(f, 1);
	/* A's second worker (same data plane, same slot) installs the snapshot too. */
	side_init(&f->c, 1, TOKEN_A, 0);
	f->c.stp = &f->a.st;
	side_view(&f->a, &ea, T0);
	side_view(&f->c, &ea, T0);
	side_view(&f->b, &eb, T0);
	assert_int_equal(send_epoch(&f->a, &mode), 1);
	assert_int_equal(mode, SB_POL_SEAL_MLS);

	r = seal_one_record(f, &f->a, 0, 5, T0);
	assert_record_of(f, r, G1, 1);
	open_ok(f, &f->b, r, 0, 5, 1, SB_POL_SEAL_MLS);
	assert_int_equal(f->a.st.sealed_epoch, 5);
	assert_int_equal(f->a.st.group_tag, tag_of(G1));
	assert_int_equal(f->a.st.mls_claim, claim_of(G1, 1, 0));

	/* One sender per epoch: worker 1 is refused and asks for a rekey. */
	req = f->a.st.rekey_req;
	assert_int_equal(bridge_can_seal(f->c.bw, &f->c.bv, 0), SB_POL_REASON_SEAL_FAILED);
	assert_true(f->a.st.rekey_req > req);
	/* worker 0 goes on */
	r = seal_one_record(f, &f->a, 5, 2, T0 + NS);
	open_ok(f, &f->b, r, 5, 2, 1, SB_POL_SEAL_MLS);

	/* B's data plane is not the one B's epoch was made for: no sending, a rekey asked. */
	side_free(&f->c);
	side_init(&f->c, 0, 0x7777u, 1);
	side_view(&f->c, &eb, T0);
	assert_int_equal(send_epoch(&f->c, &mode), 0);
	req = f->c.st.rekey_req;
	assert_int_equal(bridge_can_seal(f->c.bw, &f->c.bv, 0),
			 SB_POL_REASON_TRUST_NOT_ESTABLISHED);
	assert_true(f->c.st.rekey_req > req);
	/* it still opens A's records */
	r = seal_one_record(f, &f->a, 7, 1, T0 + 2 * NS);
	open_ok(f, &f->c, r, 7, 1, 1, SB_POL_SEAL_MLS);
}

/*
 * One sender per MLS epoch when workers install a snapshot at different
 * times: worker 0 installs the group and seals (claims the epoch), worker
 * 1 installs the same snapshot one poll iteration later. Worker 1 must
 * not seal in that epoch: its sender starts at generation 0 as worker
 * 0's did, and the peer refuses repeated generations. (A worker's first
 * look at a group once reset the claim, so the late worker took the epoch
 * over and sealed generation 0 again: refused by the peer.)
 */
static void test_mls_late_worker(void **state)
{
	struct fx *f = *state;
	struct ent ea, eb;
	uint32_t r;

	mls_group(f);
	ea = mls_ent(f, 0);
	eb = mls_ent(f, 1);
	side_init(&f->c, 1, TOKEN_A, 0);
	f->c.stp = &f->a.st;
	side_view(&f->a, &ea, T0);
	side_view(&f->b, &eb, T0);
	r = seal_one_record(f, &f->a, 0, 2, T0);
	open_ok(f, &f->b, r, 0, 2, 1, SB_POL_SEAL_MLS);
	assert_int_equal(f->a.st.mls_claim, claim_of(G1, 1, 0));

	side_view(&f->c, &ea, T0 + 1000);
	assert_int_equal(bridge_can_seal(f->c.bw, &f->c.bv, 0), SB_POL_REASON_SEAL_FAILED);
	assert_int_equal(f->a.st.mls_claim, claim_of(G1, 1, 0));
	r = seal_one_record(f, &f->a, 2, 1, T0 + 2000);
	open_ok(f, &f->b, r, 2, 1, 1, SB_POL_SEAL_MLS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_send_prev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_overtaken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_only_new_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_only_keeps_old_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_only_old_sender_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mls_late_worker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
