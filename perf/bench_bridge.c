/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_bridge.c - perf/bench-bridge: the bridge-to-bridge hop on one
 * worker, in inner messages per second and TSC cycles per message, the
 * sealing side and the opening side apart.
 *
 * Paths (the table paths[] below; one row per path and batch size):
 *   seal aes   seal_tx_add of |batch| messages of --size bytes, then
 *              seal_tx_flush (one AES-256-GCM record on the AEAD engine);
 *              opening: seal_rx_open of the record (dataplane/bridge/seal.h).
 *   seal mls   the same in mode MLS: one PrivateMessage batch per record
 *              (mls_protect_batch / mls_unprotect_burst: one signature and
 *              one verification per record), cipher suite --suite.
 * Batches of 1, 8 and 64 messages (MLS: 63, SEAL_MLS_MAX_BATCH).
 *
 * Then the "path" table (bench_bridge_path.c): whole publishes through two
 * SLIM nodes in memory - plain (same app), cross-app (identity, policy,
 * content rules, audit) and cross-org (A seals, B opens; AES and MLS) -
 * in cycles per message of each bridge, msgs/s and the ratio to the plain
 * path measured in the same run (the cost of security).
 *
 * Anchor, in the same run on the same buffers: raw OpenSSL EVP
 * AES-256-GCM of one --size message per call on a reused EVP_CIPHER_CTX
 * (cipher fetched and key schedule set once; per message the nonce, the
 * data, final and the tag; opening: SET_TAG and DecryptFinal). Each row
 * alternates SLICES slices of itself with slices of the anchor, so a noisy
 * neighbour hits both alike; figures are the median slice, "vs EVP" the
 * median of the paired ratios anchor cycles / row cycles per message
 * (1.00: as cheap as a bare GCM call per message; above 1: cheaper, as a
 * batch shares one record's work).
 *
 *   bench-bridge [--time SECONDS] [--size BYTES] [--suite N] [--only seal|path]
 *
 * Prints; asserts nothing (exit 1 only when a path row could not run: it
 * prints FAILED and why). Pin it for steadier figures (taskset -c N).
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

#include "bench_bridge_path.h"
#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_crypto.h"
#include "mls_secret_tree.h"
#include "perf_util.h"
#include "seal.h"

#define SLICES 9
#define MAX_SIZE 16384
#define GID "bench-trust"
#define GID_LEN (sizeof(GID) - 1)

static double tsc_hz;
static double run_time = 1.0;
static uint32_t msg_size = 512;
static uint16_t suite_id = 2;
static bool run_seal = true, run_path = true;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-bridge: %s: %s\n", what, strerror(err));
	exit(1);
}

/* One measurement slice: cycles of each side and messages handled. */
struct slice {
	uint64_t cs, co;	/* sealing side, opening side */
	uint64_t n;
};

/* What every path shares: the worker's engines and buffers. */
struct bench {
	struct crypto_aead_engine *engine;
	struct mls_app_lcore *lc;
	uint8_t secret[32];
	uint8_t *msgs;			/* SEAL_MAX_BATCH messages of msg_size bytes */
	struct seal_route routes[SEAL_MAX_BATCH];
	uint8_t *rec;			/* one record */
	size_t rec_cap;
	uint8_t *scratch;
	struct seal_msg out[SEAL_MAX_BATCH];
	/* MLS: a two-member group, member 0 sending to member 1. */
	const struct mls_suite *suite;
	EVP_PKEY *sig[2];
	uint8_t app[2][MLS_MAX_HASH];
	uint8_t gc[96], sds[MLS_MAX_HASH];
	/* the anchor */
	EVP_CIPHER *evp_cipher;
	EVP_CIPHER_CTX *evp_enc, *evp_dec;
	uint8_t evp_key[32];
	uint8_t *evp_ct;
};

/* One row's state. */
struct run {
	struct seal_tx *tx;
	struct seal_rx *rx;
	uint32_t batch;
};

/* A path: how to set one up, run a slice of it, and tear it down. */
struct path {
	const char *name;
	uint8_t mode;			/* enum sb_pol_seal_mode, for the seal paths */
	void (*setup)(struct bench *b, const struct path *p, uint32_t batch, struct run *r);
	void (*slice)(struct bench *b, struct run *r, double sec, struct slice *out);
	void (*cleanup)(struct run *r);
	uint32_t batches[3];		/* 0: not run */
};

/* ---- the anchor: raw OpenSSL EVP AES-256-GCM per message ------------------ */

static void evp_slice(struct bench *b, struct run *r, double sec, struct slice *out)
{
	uint8_t iv[12] = {0}, tag[16];
	double t0 = perf_now_s();
	int l1, l2;

	(void)r;
	memset(out, 0, sizeof(*out));
	do {
		for (int i = 0; i < 64; i++) {
			uint8_t *pt = b->msgs + (size_t)(i % SEAL_MAX_BATCH) * msg_size;
			uint64_t a, c, d;

			iv[11] = (uint8_t)i;
			iv[10]++;
			a = __rdtsc();
			if (EVP_EncryptInit_ex2(b->evp_enc, NULL, NULL, iv, NULL) != 1 ||
			    EVP_EncryptUpdate(b->evp_enc, b->evp_ct, &l1, pt, (int)msg_size) != 1 ||
			    EVP_EncryptFinal_ex(b->evp_enc, b->evp_ct + l1, &l2) != 1 ||
			    EVP_CIPHER_CTX_ctrl(b->evp_enc, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1) {
				die("EVP seal", EIO);
			}
			c = __rdtsc();
			if (EVP_DecryptInit_ex2(b->evp_dec, NULL, NULL, iv, NULL) != 1 ||
			    EVP_DecryptUpdate(b->evp_dec, b->scratch, &l1, b->evp_ct,
					      (int)msg_size) != 1 ||
			    EVP_CIPHER_CTX_ctrl(b->evp_dec, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
			    EVP_DecryptFinal_ex(b->evp_dec, b->scratch + l1, &l2) != 1) {
				die("EVP open", EIO);
			}
			d = __rdtsc();
			out->cs += c - a;
			out->co += d - c;
			out->n++;
		}
	} while (perf_now_s() - t0 < sec);
}

static void evp_setup(struct bench *b, const struct path *p, uint32_t batch, struct run *r)
{
	(void)b;
	(void)p;
	r->batch = batch;
}

static void no_cleanup(struct run *r)
{
	(void)r;
}

/* ---- the seal paths ------------------------------------------------------ */

static void seal_setup(struct bench *b, const struct path *p, uint32_t batch, struct run *r)
{
	struct seal_keys k = {
		.mode = p->mode,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = 1,
		.own_leaf = 0,
		.secret = b->secret,
	};
	struct mls_app_epoch ep = {
		.suite = b->suite,
		.group_id = (const uint8_t *)GID,
		.group_id_len = GID_LEN,
		.epoch = 1,
		.group_context = b->gc,
		.group_context_len = sizeof(b->gc),
		.sender_data_secret = b->sds,
	};

	memset(r, 0, sizeof(*r));
	r->batch = batch;
	if (p->mode == SB_POL_SEAL_MLS) {
		k.mls_tx = mls_app_sender_new(&ep, 0, b->app[0], 0, b->sig[0]);
		if (k.mls_tx == NULL) {
			die("mls_app_sender_new", errno);
		}
	}
	r->tx = seal_tx_new(&k, b->engine, b->lc);
	if (r->tx == NULL) {
		die("seal_tx_new", EINVAL);
	}
	k.own_leaf = 1;
	k.mls_tx = NULL;
	if (p->mode == SB_POL_SEAL_MLS) {
		k.mls_rx = mls_app_receiver_new(&ep, 2);
		if (k.mls_rx == NULL ||
		    mls_app_receiver_add_member(k.mls_rx, 0, b->app[0], 0, b->sig[0]) < 0) {
			die("mls_app_receiver_new", ENOMEM);
		}
	}
	r->rx = seal_rx_new(b->engine, b->lc);
	if (r->rx == NULL || seal_rx_add_epoch(r->rx, &k) < 0) {
		die("seal_rx", EINVAL);
	}
}

static void seal_cleanup(struct run *r)
{
	seal_tx_free(r->tx);
	seal_rx_free(r->rx);
}

/* seal_slice: records of |batch| messages sealed (add + flush) and opened, timed apart. */
static void seal_slice(struct bench *b, struct run *r, double sec, struct slice *out)
{
	double t0 = perf_now_s();

	memset(out, 0, sizeof(*out));
	do {
		uint64_t a, c, d;
		uint32_t n = 0;
		size_t len = 0;
		int rc;

		a = __rdtsc();
		for (uint32_t i = 0; i < r->batch; i++) {
			rc = seal_tx_add(r->tx, &b->routes[i], b->msgs + (size_t)i * msg_size);
			if (rc < 0) {
				die("seal_tx_add", -rc);
			}
		}
		rc = seal_tx_flush(r->tx, b->rec, b->rec_cap, &len);
		c = __rdtsc();
		if (rc < 0) {
			die("seal_tx_flush", -rc);
		}
		rc = seal_rx_open(r->rx, b->rec, len, b->scratch, b->rec_cap, b->out, &n);
		d = __rdtsc();
		if (rc < 0 || n != r->batch) {
			die("seal_rx_open", rc < 0 ? -rc : EPROTO);
		}
		out->cs += c - a;
		out->co += d - c;
		out->n += r->batch;
	} while (perf_now_s() - t0 < sec);
}

static const struct path anchor = {
	"evp aes-256-gcm (anchor)", 0, evp_setup, evp_slice, no_cleanup, {1, 0, 0},
};

static const struct path paths[] = {
	{"seal aes", SB_POL_SEAL_AES, seal_setup, seal_slice, seal_cleanup, {1, 8, 64}},
	{"seal mls", SB_POL_SEAL_MLS, seal_setup, seal_slice, seal_cleanup,
	 {1, 8, SEAL_MLS_MAX_BATCH}},
};

/* ---- set-up and the runner ------------------------------------------------ */

static void bench_init(struct bench *b)
{
	uint8_t enc[MLS_MAX_HASH];
	struct mls_secret_tree *t;

	memset(b, 0, sizeof(*b));
	b->engine = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO, CRYPTO_AEAD_ARCH_AUTO);
	if (b->engine == NULL) {
		die("crypto_aead_engine_new", errno);
	}
	b->lc = mls_app_lcore_new(b->engine);
	if (b->lc == NULL) {
		die("mls_app_lcore_new", errno);
	}
	b->suite = mls_suite_get(suite_id);
	if (b->suite == NULL) {
		die("cipher suite", ENOTSUP);
	}
	if (mls_random(b->secret, sizeof(b->secret)) < 0 || mls_random(enc, sizeof(enc)) < 0 ||
	    mls_random(b->gc, sizeof(b->gc)) < 0 || mls_random(b->sds, sizeof(b->sds)) < 0 ||
	    mls_random(b->evp_key, sizeof(b->evp_key)) < 0) {
		die("random", EIO);
	}
	t = mls_secret_tree_new(b->suite, enc, 2);
	if (t == NULL) {
		die("mls_secret_tree_new", ENOMEM);
	}
	for (int i = 0; i < 2; i++) {
		if (mls_sig_keygen(b->suite, &b->sig[i], NULL, NULL) < 0 ||
		    mls_secret_tree_leaf_secrets(t, (uint32_t)i, NULL, b->app[i]) < 0) {
			die("keys", EIO);
		}
	}
	mls_secret_tree_free(t);
	b->msgs = malloc((size_t)SEAL_MAX_BATCH * msg_size);
	b->rec_cap = (size_t)SEAL_MAX_BATCH * (msg_size + SEAL_ROUTE_SIZE + 8) + 4096;
	b->rec = malloc(b->rec_cap);
	b->scratch = malloc(b->rec_cap);
	b->evp_ct = malloc(msg_size + 16);
	if (b->msgs == NULL || b->rec == NULL || b->scratch == NULL || b->evp_ct == NULL) {
		die("malloc", ENOMEM);
	}
	for (uint32_t i = 0; i < SEAL_MAX_BATCH; i++) {
		for (uint32_t j = 0; j < msg_size; j++) {
			b->msgs[(size_t)i * msg_size + j] = (uint8_t)(i * 7 + j * 13);
		}
		b->routes[i] = (struct seal_route){
			.src = {0x11, 0x22, 0x33 + i}, .src_id = {i, 0},
			.dst = {0x44, 0x55, 0x66 + i}, .dst_id = {0, i},
			.fanout = 1, .len = msg_size,
		};
	}
	b->evp_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	b->evp_enc = EVP_CIPHER_CTX_new();
	b->evp_dec = EVP_CIPHER_CTX_new();
	if (b->evp_cipher == NULL || b->evp_enc == NULL || b->evp_dec == NULL ||
	    EVP_EncryptInit_ex2(b->evp_enc, b->evp_cipher, b->evp_key, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex2(b->evp_dec, b->evp_cipher, b->evp_key, NULL, NULL) != 1) {
		die("EVP", EIO);
	}
}

static void bench_cleanup(struct bench *b)
{
	EVP_CIPHER_CTX_free(b->evp_enc);
	EVP_CIPHER_CTX_free(b->evp_dec);
	EVP_CIPHER_free(b->evp_cipher);
	EVP_PKEY_free(b->sig[0]);
	EVP_PKEY_free(b->sig[1]);
	mls_app_lcore_free(b->lc);
	crypto_aead_engine_free(b->engine);
	free(b->msgs);
	free(b->rec);
	free(b->scratch);
	free(b->evp_ct);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), perf_cmp_double);
	return v[n / 2];
}

/* measure: one row (path |p|, |batch|), slices alternating with the anchor's. */
static void measure(struct bench *b, const struct path *p, uint32_t batch)
{
	double rs[SLICES], ro[SLICES], fs[SLICES], fo[SLICES];
	struct run r, ar;
	struct slice warm;

	p->setup(b, p, batch, &r);
	anchor.setup(b, &anchor, 1, &ar);
	p->slice(b, &r, 0.02, &warm);
	for (int i = 0; i < SLICES; i++) {
		struct slice a, x;

		anchor.slice(b, &ar, run_time / SLICES / 2, &a);
		p->slice(b, &r, run_time / SLICES / 2, &x);
		rs[i] = (double)x.cs / (double)x.n;
		ro[i] = (double)x.co / (double)x.n;
		fs[i] = ((double)a.cs / (double)a.n) / rs[i];
		fo[i] = ((double)a.co / (double)a.n) / ro[i];
	}
	{
		double cs = median(rs, SLICES), co = median(ro, SLICES);

		printf("| %s | %u | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", p->name, batch,
		       tsc_hz / cs, cs, median(fs, SLICES), tsc_hz / co, co, median(fo, SLICES));
	}
	fflush(stdout);
	p->cleanup(&r);
	anchor.cleanup(&ar);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-bridge [--time SECONDS] [--size BYTES] [--suite N] [--only seal|path]\n"
		"                    [--rows PREFIX]\n"
		"The bridge-to-bridge hop on one worker: inner messages per second and TSC\n"
		"cycles per message through seal_tx (add + flush) and seal_rx_open, AES-256-GCM\n"
		"and MLS, batches of 1, 8 and 64 (MLS 63), beside raw OpenSSL EVP AES-256-GCM of\n"
		"one message per call (seal); then whole publishes through two SLIM nodes in\n"
		"memory: plain, cross-app and cross-org (AES, MLS) with identity, policy,\n"
		"content rules, seal and audit, beside the plain path (path). Prints, asserts\n"
		"nothing.\n"
		"  --time   seconds per row, anchor or paired plain slices included (default 1)\n"
		"  --size   inner message bytes / path payload bytes (1..%d, default 512)\n"
		"  --suite  MLS cipher suite of the MLS rows (1-7, default 2: the trust groups')\n"
		"  --only   run one table: seal or path (default both)\n"
		"  --rows   path table: only the rows whose name starts with PREFIX (plain,\n"
		"           cross-app, cross-org, cross-org aes, cross-org mls): to profile one path\n",
		MAX_SIZE);
}

int main(int argc, char **argv)
{
	const char *rows = NULL;
	static const struct option opts[] = {
		{"time", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 'z'},
		{"suite", required_argument, NULL, 's'},
		{"only", required_argument, NULL, 'o'},
		{"rows", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench b;
	char desc[256];
	long v;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			run_time = atof(optarg);
			if (run_time <= 0 || run_time > 60) {
				fprintf(stderr, "bench-bridge: --time takes 0 < SECONDS <= 60\n");
				return 2;
			}
			break;
		case 'z':
			v = atol(optarg);
			if (v < 1 || v > MAX_SIZE) {
				fprintf(stderr, "bench-bridge: --size takes 1..%d bytes\n", MAX_SIZE);
				return 2;
			}
			msg_size = (uint32_t)v;
			break;
		case 's':
			v = atol(optarg);
			if (v < 1 || v > 7) {
				fprintf(stderr, "bench-bridge: --suite takes 1-7\n");
				return 2;
			}
			suite_id = (uint16_t)v;
			break;
		case 'o':
			if (strcmp(optarg, "seal") == 0) {
				run_path = false;
			} else if (strcmp(optarg, "path") == 0) {
				run_seal = false;
			} else {
				fprintf(stderr, "bench-bridge: --only takes seal or path\n");
				return 2;
			}
			break;
		case 'r': {
			static const char *const names[] = {"plain", "cross-app", "cross-org aes",
							    "cross-org mls"};
			bool any = false;

			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				any |= strncmp(names[i], optarg, strlen(optarg)) == 0;
			}
			if (!any || optarg[0] == '\0') {
				fprintf(stderr, "bench-bridge: --rows: no row starts with '%s' (plain, "
						"cross-app, cross-org aes, cross-org mls)\n", optarg);
				return 2;
			}
			rows = optarg;
			break;
		}
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
	tsc_hz = perf_tsc_hz();
	bench_init(&b);
	printf("bench-bridge:");
	for (int i = 0; i < argc; i++) {
		printf(" %s", argv[i]);
	}
	printf("\nOpenSSL:        %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("AEAD engine:    %s\n", crypto_aead_engine_describe(b.engine, desc, sizeof(desc)));
	printf("MLS suite:      %u %s\n", b.suite->id, b.suite->name);
	printf("TSC:            %.4f GHz\n", tsc_hz / 1e9);
	if (run_seal) {
		printf("method:         one thread; %u-byte inner messages, each with its %d-byte route;\n"
		       "                a row alternates %d slices with %d of the anchor (%.2f s in all);\n"
		       "                figures are the median slice, per inner message. seal = add +\n"
		       "                flush, open = seal_rx_open. vs EVP = anchor c/msg / row c/msg\n"
		       "                (median of the paired slices).\n\n",
		       msg_size, SEAL_ROUTE_SIZE, SLICES, SLICES, run_time);
		printf("| path | batch | seal msg/s | seal c/msg | vs EVP | open msg/s | open c/msg | "
		       "vs EVP |\n");
		printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
		measure(&b, &anchor, 1);
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			for (int j = 0; j < 3 && paths[i].batches[j] != 0; j++) {
				measure(&b, &paths[i], paths[i].batches[j]);
			}
		}
		printf("\nmsg/s: inner messages per second on one core = TSC Hz / c/msg.\n");
	}
	if (run_path) {
		const struct bpath_opts po = {
			.run_time = run_time, .size = msg_size, .suite = suite_id, .tsc_hz = tsc_hz,
			.rows = rows,
		};

		rc = bench_bridge_path(&po);
	}
	bench_cleanup(&b);
	return rc;
}
