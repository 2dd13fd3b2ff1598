/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_mls.c - perf/bench-mls: the data plane's MLS fast path (mls_app.h)
 * in application messages per second and TSC cycles per message, protect
 * and unprotect, at 64, 512 and 4096 B of payload, for cipher suites 1, 2
 * and 7, unbatched (bursts of 32 PrivateMessages) and batched (8 and 64
 * payloads per PrivateMessage, counted per payload).
 *
 * Anchors, measured in the same run on the same keys: the bare signature
 * (mls_sign_raw: EVP_DigestSign) and verification (EVP_DigestVerify) of a
 * SignContent of the same size, which RFC 9420 requires per PrivateMessage
 * and which no implementation can avoid (../shared/reference/mls.md (e):
 * "signatures set the limit"). The ratio columns say how close protect and
 * unprotect come to that floor (1.00x = all the time is the signature).
 *
 * Group management (mls_group.h, the control process's slow path), for
 * groups of 2, 10, 100 and 1000 members: the time to join from a Welcome,
 * to create a Commit with an UpdatePath (member 0, nothing proposed: an
 * Update-style Commit) and to process it (another member), and the
 * Commit's size. The group is built by Commits of Adds only (up to
 * ADD_BATCH each: MLS_GROUP_MAX_PENDING caps a Commit's proposals), so its
 * parent nodes are blank and every path is encrypted to each other member:
 * the most a Commit can cost at that size.
 *
 *   bench-mls [--suites 1,2,7] [--sizes 64,512,4096] [--time SECONDS]
 *             [--backend auto|ipsec-mb|openssl] [--only app|commit]
 *             [--groups 2,10,100,1000] [--commits N]
 *
 * Prints; asserts nothing. Pin it for steadier figures (taskset -c N).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_crypto.h"
#include "mls_group.h"
#include "mls_secret_tree.h"
#include "perf_util.h"

#define BURST 32
#define MAX_SIZE 4096
#define MAX_LIST 8
#define MAX_GROUP 100000	/* members in --groups */
#define MAX_COMMITS 100		/* --commits */
#define ADD_BATCH 200		/* Adds per Commit while building a group */
#define N_JOINS 3		/* joins timed per size (the same KeyPackage and Welcome) */

struct setup {
	const struct mls_suite *suite;
	struct crypto_aead_engine *engine;
	struct mls_app_lcore *lc;
	EVP_PKEY *sig[2];
	uint8_t app[2][MLS_MAX_HASH];
	uint8_t gid[32], gc[96], sds[MLS_MAX_HASH];
	struct mls_app_epoch ep;
};

struct result {
	double c_per;		/* TSC cycles per message (or per payload when batched) */
	double per_s;		/* messages (payloads) per second */
};

static double tsc_hz;
static double min_time = 0.3;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-mls: %s: %s\n", what, strerror(err));
	exit(1);
}

static void setup_init(struct setup *st, uint16_t suite, enum crypto_aead_backend backend)
{
	uint8_t enc[MLS_MAX_HASH];
	struct mls_secret_tree *t;

	memset(st, 0, sizeof(*st));
	st->suite = mls_suite_get(suite);
	if (st->suite == NULL) {
		die("cipher suite", ENOTSUP);
	}
	st->engine = crypto_aead_engine_new(backend, CRYPTO_AEAD_ARCH_AUTO);
	if (st->engine == NULL) {
		die("crypto_aead_engine_new", errno);
	}
	st->lc = mls_app_lcore_new(st->engine);
	if (st->lc == NULL) {
		die("mls_app_lcore_new", errno);
	}
	if (mls_random(enc, sizeof(enc)) < 0 || mls_random(st->gid, sizeof(st->gid)) < 0 ||
	    mls_random(st->gc, sizeof(st->gc)) < 0 || mls_random(st->sds, sizeof(st->sds)) < 0) {
		die("random", EIO);
	}
	t = mls_secret_tree_new(st->suite, enc, 2);
	if (t == NULL) {
		die("mls_secret_tree_new", ENOMEM);
	}
	for (int i = 0; i < 2; i++) {
		if (mls_sig_keygen(st->suite, &st->sig[i], NULL, NULL) < 0 ||
		    mls_secret_tree_leaf_secrets(t, (uint32_t)i, NULL, st->app[i]) < 0) {
			die("keys", EIO);
		}
	}
	mls_secret_tree_free(t);
	st->ep.suite = st->suite;
	st->ep.group_id = st->gid;
	st->ep.group_id_len = sizeof(st->gid);
	st->ep.epoch = 1;
	st->ep.group_context = st->gc;
	st->ep.group_context_len = sizeof(st->gc);
	st->ep.sender_data_secret = st->sds;
}

static void setup_cleanup(struct setup *st)
{
	EVP_PKEY_free(st->sig[0]);
	EVP_PKEY_free(st->sig[1]);
	mls_app_lcore_free(st->lc);
	crypto_aead_engine_free(st->engine);
}

/* One measurement slice: cycles spent and messages (payloads) handled. */
struct slice {
	uint64_t cp, cu;	/* protect (or sign), unprotect (or verify) cycles */
	uint64_t n;
};

/* anchor_slice: bare signatures and verifications of |tbs| for about |sec| seconds. */
static void anchor_slice(struct setup *st, const uint8_t *tbs, size_t len, double sec,
			 struct slice *out)
{
	uint8_t sig[MLS_MAX_SIG];
	double t0 = perf_now_s();
	size_t sig_len;

	memset(out, 0, sizeof(*out));
	do {
		uint64_t a = __rdtsc(), b, c;

		if (mls_sign_raw(st->suite, st->sig[0], tbs, len, sig, sizeof(sig), &sig_len) < 0) {
			die("mls_sign_raw", EIO);
		}
		b = __rdtsc();
		if (mls_verify_raw(st->suite, st->sig[0], tbs, len, sig, sig_len) < 0) {
			die("mls_verify_raw", EIO);
		}
		c = __rdtsc();
		out->cp += b - a;
		out->cu += c - b;
		out->n++;
	} while (perf_now_s() - t0 < sec);
}

struct bufs {
	uint8_t pt[BURST][MAX_SIZE];
	uint8_t ct[BURST][MAX_SIZE + 1024];
	uint8_t out[BURST][MAX_SIZE + 1024];
	uint8_t bct[MLS_APP_BATCH_MAX * (MAX_SIZE + 8) + 1024];
	uint8_t bout[MLS_APP_BATCH_MAX * (MAX_SIZE + 8) + 1024];
};

/* The sender and receiver of one row; the receiver follows the sender. */
struct pair {
	struct mls_app_sender *s;
	struct mls_app_receiver *r;
};

static void pair_init(struct setup *st, struct pair *p)
{
	p->s = mls_app_sender_new(&st->ep, 1, st->app[1], 0, st->sig[1]);
	p->r = mls_app_receiver_new(&st->ep, 2);
	if (p->s == NULL || p->r == NULL ||
	    mls_app_receiver_add_member(p->r, 1, st->app[1], 0, st->sig[1]) < 0) {
		die("sender/receiver", ENOMEM);
	}
}

static void pair_cleanup(struct pair *p)
{
	mls_app_sender_free(p->s);
	mls_app_receiver_free(p->r);
}

/*
 * row_slice: |per| == 0: bursts of BURST messages through mls_protect_burst
 * and mls_unprotect_burst; otherwise batches of |per| payloads through
 * mls_protect_batch. Protect and unprotect are timed apart; every message
 * made is opened, so both sides see every generation once.
 */
static void row_slice(struct setup *st, struct pair *pr, struct bufs *b, size_t size,
		      uint16_t per, double sec, struct slice *out)
{
	struct mls_app_msg pm[BURST], um[BURST];
	struct mls_app_payload p[MLS_APP_BATCH_MAX];
	double t0 = perf_now_s();

	memset(out, 0, sizeof(*out));
	for (uint16_t i = 0; i < per; i++) {
		p[i].p = b->pt[i % BURST];
		p[i].len = (uint32_t)size;
	}
	do {
		uint64_t a, c, d;

		if (per == 0) {
			for (int i = 0; i < BURST; i++) {
				memset(&pm[i], 0, sizeof(pm[i]));
				pm[i].in = b->pt[i];
				pm[i].in_len = (uint32_t)size;
				pm[i].out = b->ct[i];
				pm[i].out_cap = sizeof(b->ct[i]);
			}
			a = __rdtsc();
			if (mls_protect_burst(st->lc, pr->s, pm, BURST) != BURST) {
				die("mls_protect_burst", -pm[0].status);
			}
			c = __rdtsc();
			for (int i = 0; i < BURST; i++) {
				memset(&um[i], 0, sizeof(um[i]));
				um[i].in = b->ct[i];
				um[i].in_len = pm[i].out_len;
				um[i].out = b->out[i];
				um[i].out_cap = sizeof(b->out[i]);
			}
			d = __rdtsc();
			if (mls_unprotect_burst(st->lc, pr->r, um, BURST) != BURST) {
				die("mls_unprotect_burst", -um[0].status);
			}
			out->n += BURST;
		} else {
			size_t len;
			int rc;

			a = __rdtsc();
			rc = mls_protect_batch(st->lc, pr->s, p, per, b->bct, sizeof(b->bct), &len);
			c = __rdtsc();
			if (rc < 0) {
				die("mls_protect_batch", -rc);
			}
			memset(&um[0], 0, sizeof(um[0]));
			um[0].in = b->bct;
			um[0].in_len = (uint32_t)len;
			um[0].out = b->bout;
			um[0].out_cap = sizeof(b->bout);
			d = __rdtsc();
			if (mls_unprotect_burst(st->lc, pr->r, um, 1) != 1) {
				die("mls_unprotect_burst (batch)", -um[0].status);
			}
			out->n += per;
		}
		out->cu += __rdtsc() - d;
		out->cp += c - a;
	} while (perf_now_s() - t0 < sec);
}

#define SLICES 9

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), perf_cmp_double);
	return v[n / 2];
}

/*
 * measure runs SLICES pairs of slices (anchor, row) alternately, so that
 * noise from other tenants hits both alike, and prints one row: the median
 * slice's messages/s and cycles per message, and the median of the paired
 * ratios anchor cost / row cost (per payload, the anchor's signature
 * shared by |per| payloads when batched).
 */
static void measure(struct setup *st, struct bufs *b, size_t size, uint16_t per)
{
	double rp[SLICES], ru[SLICES], fp[SLICES], fu[SLICES], sp[SLICES], su[SLICES];
	size_t tbs_len = (per == 0 ? size : size * per + 2u * per) + 150;
	uint8_t *tbs = calloc(1, tbs_len);
	struct pair pr;
	char mode[32];

	if (tbs == NULL) {
		die("calloc", ENOMEM);
	}
	pair_init(st, &pr);
	for (int i = 0; i < SLICES; i++) {
		struct slice a, r;
		int k = per == 0 ? 1 : per;

		anchor_slice(st, tbs, tbs_len, min_time / SLICES, &a);
		row_slice(st, &pr, b, size, per, min_time / SLICES, &r);
		sp[i] = (double)a.cp / (double)a.n;
		su[i] = (double)a.cu / (double)a.n;
		rp[i] = (double)r.cp / (double)r.n;
		ru[i] = (double)r.cu / (double)r.n;
		fp[i] = sp[i] / k / rp[i];
		fu[i] = su[i] / k / ru[i];
	}
	if (per == 0) {
		snprintf(mode, sizeof(mode), "unbatched");
	} else {
		snprintf(mode, sizeof(mode), "batch %u", per);
	}
	{
		double cs = median(sp, SLICES), cv = median(su, SLICES);
		double cp = median(rp, SLICES), cu = median(ru, SLICES);

		printf("| %zu | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f | %.2f |\n", size,
		       mode, tsc_hz / cp, cp, cs, median(fp, SLICES), tsc_hz / cu, cu, cv,
		       median(fu, SLICES));
	}
	fflush(stdout);
	pair_cleanup(&pr);
	free(tbs);
}

/* ---- group management: join, Commit create and process ------------------------ */

static int n_commits = 5;

static void check(const char *what, int rc)
{
	if (rc < 0) {
		die(what, -rc);
	}
}

static double ms_of(uint64_t cycles)
{
	return (double)cycles / tsc_hz * 1e3;
}

/*
 * build_group makes a group of |n| members as member 0 sees it, by
 * Commits of up to ADD_BATCH Adds; the last Commit adds member n-1,
 * whose KeyPackage (|*kp|) and Welcome (|*welcome|, the tree in it) come
 * back for joining. The other members never join: nothing here needs
 * their state.
 */
static struct mls_group *build_group(const struct mls_suite *s, unsigned n, struct mls_kp **kp,
				     uint8_t **welcome, size_t *welcome_len)
{
	struct mls_commit_opts o = {.tree_in_welcome = true};
	struct mls_signer *sg;
	struct mls_group *g;
	uint8_t gid[16];
	char id[32];

	check("mls_random", mls_random(gid, sizeof(gid)));
	check("mls_signer_new", mls_signer_new(s, (const uint8_t *)"member-0", 8, NULL, 0, &sg));
	check("mls_group_create", mls_group_create(sg, gid, sizeof(gid), &g));
	mls_signer_free(sg);
	*kp = NULL;
	*welcome = NULL;
	for (unsigned i = 1; i < n;) {
		unsigned end = i + ADD_BATCH < n ? i + ADD_BATCH : n;
		struct mls_commit_result r;

		for (; i < end; i++) {
			struct mls_kp *k;
			const uint8_t *m;
			size_t len;

			snprintf(id, sizeof(id), "member-%u", i);
			check("mls_signer_new",
			      mls_signer_new(s, (const uint8_t *)id, strlen(id), NULL, 0, &sg));
			check("mls_kp_create", mls_kp_create(sg, 0, UINT64_MAX, &k));
			mls_signer_free(sg);
			m = mls_kp_message(k, &len);
			check("mls_group_propose_add", mls_group_propose_add(g, m, len));
			if (i == n - 1) {
				*kp = k;
			} else {
				mls_kp_free(k);
			}
		}
		check("mls_group_commit (adds)", mls_group_commit(g, &o, &r));
		if (i == n) {
			*welcome = r.welcome;
			*welcome_len = r.welcome_len;
			r.welcome = NULL;
		}
		mls_commit_result_free(&r);
	}
	return g;
}

/*
 * group_row builds a group of |n|, times N_JOINS joins of its last member
 * from the Welcome, then --commits Commits with an UpdatePath by member 0,
 * each processed by the joined member in turn, and prints one row
 * (medians).
 */
static void group_row(const struct mls_suite *s, unsigned n)
{
	double join[N_JOINS], create[MAX_COMMITS], process[MAX_COMMITS], bytes[MAX_COMMITS];
	struct mls_commit_opts o = {.force_path = true};
	struct mls_group *g, *rx = NULL;
	double t0 = perf_now_s(), build_s;
	uint8_t *welcome, a0[MLS_MAX_HASH], a1[MLS_MAX_HASH];
	size_t welcome_len = 0;
	struct mls_kp *kp;

	g = build_group(s, n, &kp, &welcome, &welcome_len);
	build_s = perf_now_s() - t0;
	for (int j = 0; j < N_JOINS; j++) {
		struct mls_group *x;
		uint64_t c0 = __rdtsc();

		check("mls_group_join", mls_group_join(kp, welcome, welcome_len, NULL, &x));
		join[j] = (double)(__rdtsc() - c0);
		if (rx == NULL) {
			rx = x;
		} else {
			mls_group_free(x);
		}
	}
	for (int k = 0; k < n_commits; k++) {
		struct mls_commit_result r;
		uint64_t c0 = __rdtsc(), c1, c2;

		check("mls_group_commit", mls_group_commit(g, &o, &r));
		c1 = __rdtsc();
		check("mls_group_handle", mls_group_handle(rx, r.commit, r.commit_len, NULL));
		c2 = __rdtsc();
		create[k] = (double)(c1 - c0);
		process[k] = (double)(c2 - c1);
		bytes[k] = (double)r.commit_len;
		mls_commit_result_free(&r);
	}
	/* the receiver followed: both are in the same epoch */
	check("mls_group_epoch_authenticator", mls_group_epoch_authenticator(g, a0));
	check("mls_group_epoch_authenticator", mls_group_epoch_authenticator(rx, a1));
	if (memcmp(a0, a1, s->nh) != 0) {
		die("receiver and committer disagree", EPROTO);
	}
	{
		double jc = median(join, N_JOINS), cc = median(create, n_commits);
		double pc = median(process, n_commits);

		printf("| %u | %.1f | %.2f | %.0f | %.2f | %.0f | %.0f | %.2f | %.0f |\n", n,
		       build_s, ms_of((uint64_t)jc), jc, ms_of((uint64_t)cc), cc,
		       median(bytes, n_commits), ms_of((uint64_t)pc), pc);
	}
	fflush(stdout);
	free(welcome);
	mls_kp_free(kp);
	mls_group_free(rx);
	mls_group_free(g);
}

static int parse_list(const char *arg, unsigned long *out, int max)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0;

	if (copy == NULL) {
		return -1;
	}
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		char *end;

		if (n == max) {
			free(copy);
			return -1;
		}
		out[n] = strtoul(t, &end, 10);
		if (*end != '\0' || end == t) {
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-mls [--suites 1,2,7] [--sizes 64,512,4096] [--time SECONDS]\n"
		"                 [--backend auto|ipsec-mb|openssl] [--only app|commit]\n"
		"                 [--groups 2,10,100,1000] [--commits N]\n"
		"MLS application messages (RFC 9420 PrivateMessage) through mls_protect_burst /\n"
		"mls_unprotect_burst and mls_protect_batch: messages/s and TSC cycles per message\n"
		"(per payload when batched), beside a bare signature and verification of the same\n"
		"size on the same key (the floor every PrivateMessage pays). Then group\n"
		"management (mls_group.h): join, Commit create and process times by group size.\n"
		"Prints, asserts nothing.\n"
		"  --suites   cipher suites (1-7)          --sizes  payload bytes (1..%d)\n"
		"  --time     seconds per row and per anchor (default 0.3)\n"
		"  --only     one section: app (application messages) or commit (groups)\n"
		"  --groups   group sizes (2..%d)\n"
		"  --commits  Commits timed per group size (1..%d, default 5)\n",
		MAX_SIZE, MAX_GROUP, MAX_COMMITS);
}

/* print_method_app says how the application-message rows are measured. */
static void print_method_app(void)
{
	printf("method:         one lcore; unbatched = bursts of %d PrivateMessages; batch N = N\n"
	       "                payloads in one PrivateMessage (figures per payload). Each row\n"
	       "                alternates %d slices of the row and %d of its anchor (%.2f s in\n"
	       "                all); figures are the median slice. Anchor: EVP_DigestSign and\n"
	       "                EVP_DigestVerify (mls_sign_raw/mls_verify_raw) of a SignContent as\n"
	       "                long as the message's, on the same key: the signature every\n"
	       "                PrivateMessage pays. floor = anchor cycles / row cycles per\n"
	       "                payload (median of the paired slices; 1.00 = nothing but the\n"
	       "                signature).\n", BURST, SLICES, SLICES, 2 * min_time);
}

/* print_method_groups says how the group rows are measured. */
static void print_method_groups(void)
{
	printf("\ngroups:         one thread. Member 0 builds a group of n with Commits of up to\n"
	       "                %d Adds (no UpdatePath: parent nodes stay blank, so every path\n"
	       "                below is encrypted to all n-1 others, the dearest case); the\n"
	       "                last one adds the receiver, the tree in its Welcome.\n"
	       "                join = the receiver's mls_group_join (median of %d). Then %d\n"
	       "                Commits with an UpdatePath and no proposals (force_path,\n"
	       "                PublicMessage) by member 0: commit = mls_group_commit, process =\n"
	       "                the receiver's mls_group_handle of each in turn (medians).\n"
	       "                build s = wall time to make the group (KeyPackages, Adds,\n"
	       "                Commits), not a result.\n",
	       ADD_BATCH, N_JOINS, n_commits);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"suites", required_argument, NULL, 's'},
		{"sizes", required_argument, NULL, 'z'},
		{"time", required_argument, NULL, 't'},
		{"backend", required_argument, NULL, 'b'},
		{"only", required_argument, NULL, 'o'},
		{"groups", required_argument, NULL, 'g'},
		{"commits", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long suites[MAX_LIST] = {1, 2, 7}, sizes[MAX_LIST] = {64, 512, 4096};
	unsigned long groups[MAX_LIST] = {2, 10, 100, 1000};
	int n_suites = 3, n_sizes = 3, n_groups = 4, c, backend = CRYPTO_AEAD_BACKEND_AUTO;
	bool do_app = true, do_commit = true;
	struct bufs *b;
	char desc[256];

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			n_suites = parse_list(optarg, suites, MAX_LIST);
			for (int i = 0; i < n_suites; i++) {
				if (suites[i] < 1 || suites[i] > 7) {
					n_suites = -1;
				}
			}
			if (n_suites <= 0) {
				fprintf(stderr, "bench-mls: --suites takes suite numbers 1-7\n");
				return 2;
			}
			break;
		case 'z':
			n_sizes = parse_list(optarg, sizes, MAX_LIST);
			for (int i = 0; i < n_sizes; i++) {
				if (sizes[i] < 1 || sizes[i] > MAX_SIZE) {
					n_sizes = -1;
				}
			}
			if (n_sizes <= 0) {
				fprintf(stderr, "bench-mls: --sizes takes sizes of 1..%d bytes\n",
					MAX_SIZE);
				return 2;
			}
			break;
		case 't':
			min_time = atof(optarg);
			if (min_time <= 0 || min_time > 60) {
				fprintf(stderr, "bench-mls: --time takes 0 < SECONDS <= 60\n");
				return 2;
			}
			break;
		case 'b':
			backend = crypto_aead_backend_parse(optarg);
			if (backend < 0) {
				fprintf(stderr, "bench-mls: --backend: auto, ipsec-mb or openssl\n");
				return 2;
			}
			break;
		case 'o':
			do_app = strcmp(optarg, "app") == 0;
			do_commit = strcmp(optarg, "commit") == 0;
			if (!do_app && !do_commit) {
				fprintf(stderr, "bench-mls: --only: app or commit\n");
				return 2;
			}
			break;
		case 'g':
			n_groups = parse_list(optarg, groups, MAX_LIST);
			for (int i = 0; i < n_groups; i++) {
				if (groups[i] < 2 || groups[i] > MAX_GROUP) {
					n_groups = -1;
				}
			}
			if (n_groups <= 0) {
				fprintf(stderr, "bench-mls: --groups takes 2..%d members\n",
					MAX_GROUP);
				return 2;
			}
			break;
		case 'c':
			n_commits = atoi(optarg);
			if (n_commits < 1 || n_commits > MAX_COMMITS) {
				fprintf(stderr, "bench-mls: --commits takes 1..%d\n", MAX_COMMITS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		die("calloc", ENOMEM);
	}
	for (int i = 0; i < BURST; i++) {
		for (int j = 0; j < MAX_SIZE; j++) {
			b->pt[i][j] = (uint8_t)(i + j * 13);
		}
	}
	tsc_hz = perf_tsc_hz();
	printf("bench-mls:");
	for (int i = 0; i < argc; i++) {
		printf(" %s", argv[i]);
	}
	printf("\nOpenSSL:        %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("TSC:            %.4f GHz\n", tsc_hz / 1e9);
	if (do_app) {
		print_method_app();
	}
	for (int si = 0; do_app && si < n_suites; si++) {
		struct setup st;

		setup_init(&st, (uint16_t)suites[si], (enum crypto_aead_backend)backend);
		printf("\n## suite %lu %s\nAEAD engine: %s\n\n", suites[si], st.suite->name,
		       crypto_aead_engine_describe(st.engine, desc, sizeof(desc)));
		printf("| bytes | mode | protect msg/s | c/msg | sign c | floor | "
		       "unprotect msg/s | c/msg | verify c | floor |\n");
		printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (int zi = 0; zi < n_sizes; zi++) {
			measure(&st, b, sizes[zi], 0);
			measure(&st, b, sizes[zi], 8);
			measure(&st, b, sizes[zi], 64);
		}
		setup_cleanup(&st);
	}
	if (do_app) {
		printf("\nmsg/s: messages (payloads) per second on one core = TSC Hz / c/msg.\n");
	}
	if (do_commit) {
		print_method_groups();
	}
	for (int si = 0; do_commit && si < n_suites; si++) {
		const struct mls_suite *s = mls_suite_get((uint16_t)suites[si]);

		if (s == NULL) {
			die("cipher suite", ENOTSUP);
		}
		printf("\n## groups, suite %lu %s\n\n", suites[si], s->name);
		printf("| members | build s | join ms | join c | commit ms | commit c | "
		       "commit bytes | process ms | process c |\n");
		printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (int gi = 0; gi < n_groups; gi++) {
			group_row(s, (unsigned)groups[gi]);
		}
	}
	free(b);
	return 0;
}
