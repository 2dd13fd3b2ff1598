/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-aead: throughput of the AEAD engine (dataplane/crypto/crypto_aead.h)
 * next to the two anchors it stands on, in one run, on the same buffers.
 * Prints; it asserts nothing.
 *
 *   engine        crypto_aead_seal_burst / crypto_aead_open_burst on an
 *                 engine with the ipsec-mb backend (--arch), bursts of
 *                 --burst operations: flat buffers, out of place into a
 *                 separate destination, an explicit 12-byte nonce, --aad
 *                 bytes of AAD, a 16-byte tag.
 *   raw job       intel-ipsec-mb's job API with nothing around it: an
 *                 IMB_MGR from alloc_mb_mgr(0) and the init_mb_mgr_* of the
 *                 engine's code path (crypto_aead_engine_arch), the key
 *                 precomputed once (IMB_AES*_GCM_PRE); per message
 *                 IMB_GET_NEXT_JOB, the job filled (IMB_CIPHER_GCM,
 *                 IMB_AUTH_AES_GMAC, CIPHER_HASH to seal, HASH_CIPHER to
 *                 open), IMB_SUBMIT_JOB; IMB_FLUSH_JOB after each group of
 *                 --burst messages. Opening computes the tag into a scratch
 *                 buffer and compares it with CRYPTO_memcmp, as the engine
 *                 must; a mismatch wipes the plaintext.
 *   raw burst     the same manager and jobs through the burst API, the way
 *                 the engine's backend calls it: IMB_GET_NEXT_BURST, fill,
 *                 IMB_SUBMIT_BURST_NOCHECK (IMB_SUBMIT_JOB validates every
 *                 job; this does not), up to IMB_MAX_BURST_SIZE jobs a call.
 *                 The goal's "raw ipsec-mb" is the faster of the two loops.
 *   OpenSSL EVP   per message on one reused EVP_CIPHER_CTX: init, update
 *                 (AAD), update (data), final, GET_TAG (open: SET_TAG, then
 *                 DecryptFinal). By default the cipher is fetched once
 *                 (EVP_CIPHER_fetch) and the key schedule set once, and the
 *                 per-message init only sets the nonce: OpenSSL used as well
 *                 as its API allows. --evp-rekey makes the per-message init
 *                 EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, iv, NULL)
 *                 instead, which also pays an implicit fetch and the key
 *                 schedule on every message (on this VM 3.3x slower at 64 B,
 *                 2.3x at 1 KiB).
 *   engine/ossl   (information only) the engine with the OpenSSL backend.
 *
 * All five walk the same array of struct crypto_aead_op (the anchors read
 * their pointers and lengths from it), so they touch the same memory. A
 * size has a working set of 64 messages (32 at 16 KiB, fewer above, so that
 * source plus destination stay within 1 MiB, half the L2 this VM reports),
 * cycled in order; each message has its own nonce, AAD and tag, and source
 * and destination are offset by 1 KiB + 64 B so that they do not alias in
 * 4 KiB. That is 8 KiB of message bytes at 64 B (in L1), 32 KiB at 256 B,
 * and 64 KiB to 1 MiB from 512 B to 16 KiB (in L2, not L1): where a data
 * plane that just received or built the packet finds it.
 *
 * Timing: TSC cycles (rdtsc), the TSC calibrated against CLOCK_MONOTONIC
 * over 50 ms; the TSC runs at a fixed rate, so turbo or a lower clock shows
 * as more or fewer cycles. Each case first runs 20 ms untimed. Then the
 * five run in turn in slices of at least 1 ms (whole bursts), the order
 * rotating every round, until each has run --seconds. A ratio is the
 * median over the rounds of the ratio of the two slices of one round (a few
 * ms apart), so that a noisy neighbour on a shared machine (a timer tick,
 * another guest or process on the same physical core, which on this VM can
 * halve every column for seconds) moves both sides alike. A column's
 * figure is the 90th percentile of its slices' rates (one slice in ten was
 * faster): the speed of the undisturbed machine, which the median is not
 * when the disturbance comes and goes. GB/s counts message bytes (not
 * AAD or tag), 10^9 bytes per second.
 *
 * Before timing a size, one message is sealed by each of the five and their
 * ciphertexts and tags must be identical; the engine's output must open
 * with each of them, and fail to open with a flipped tag bit. Timed
 * operations must all succeed. Otherwise it prints an error and exits 1: a
 * benchmark of wrong output is useless.
 *
 * Goal (issue 7, printed per row, never asserted): engine >= 0.90 x raw
 * ipsec-mb (the faster loop) at every size, and >= 2.5 x OpenSSL EVP at
 * 1 KiB and below.
 *
 * Usage: bench-aead [--alg A] [--op seal|open|both] [--sizes N,N,...] [--burst N]
 *                   [--seconds S] [--arch auto|sse|avx|avx2|avx512] [--aad N] [--evp-rekey]
 * Pin it to one CPU (taskset -c 1 build/perf/bench-aead).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x86intrin.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto_aead.h"
#include "perf_util.h"

#define DEFAULT_SIZES "64,256,512,1024,1420,4096,16384"
#define MAX_SIZES 32
#define MAX_MSG 65536u		/* largest --sizes entry */
#define MAX_BURST 256u
#define MAX_AAD 4096u
#define NBUF 64u		/* messages in a size's working set */
#define NBUF_MIN 8u
#define WSET_MAX (1u << 20)	/* source + destination bytes of a working set */
#define DST_SKEW 1088u		/* destination block offset from the source's (1 KiB + 64) */
#define IV_LEN 12u
#define TAG_LEN 16u
#define SLICE_S 0.001		/* a timed slice: at least this long, whole bursts */
#define WARM_S 0.020		/* untimed, per implementation and case */
#define GOAL_RAW 0.90
#define GOAL_EVP 2.5
#define GOAL_EVP_MAX_SIZE 1024u

enum impl {
	IM_ENGINE,
	IM_RAW,
	IM_RAW_BURST,
	IM_EVP,
	IM_ENGINE_OSSL,
	IM__MAX,
};

static const char *const impl_name[IM__MAX] = {"engine", "raw ipsec-mb job loop",
					       "raw ipsec-mb burst loop", "OpenSSL EVP",
					       "engine/openssl"};

/* One size's buffers: |nbuf| messages of |size| bytes, |stride| apart. */
struct wset {
	uint32_t size, nbuf, stride, nops;
	uint8_t *pt_blk, *ct_blk, *out_blk;	/* as allocated */
	uint8_t *pt, *ct, *out;			/* plaintext, ciphertext, opened plaintext */
	uint8_t *aad, *iv, *tag;
	uint32_t aad_stride;
	/* nops = lcm(nbuf, burst) operations, op i on message i % nbuf; [1] for engine/ossl */
	struct crypto_aead_op *ops[2];
	uint8_t *gbuf;				/* the guard's outputs: IM__MAX + 1 */
};

struct bench {
	/* configuration */
	enum crypto_aead_alg alg;
	enum crypto_aead_arch arch;
	uint32_t burst, aad_len;
	double seconds;
	bool evp_rekey;
	double tsc_hz;
	uint8_t key[32];
	size_t key_len;
	/* the implementations */
	struct crypto_aead_engine *eng, *eng_ossl;
	struct crypto_aead_key *k_imb, *k_ossl;
	IMB_MGR *mgr;
	struct gcm_key_data *gkey;
	EVP_CIPHER_CTX *evp;
	EVP_CIPHER *evp_fetched;
	const EVP_CIPHER *evp_legacy;		/* EVP_aes_*_gcm(): --evp-rekey */
	uint8_t scratch_tag[MAX_BURST][TAG_LEN];	/* raw open: computed tags */
	/* the case being measured */
	bool open;
	struct wset w;
	uint32_t pos[IM__MAX];			/* next op of each implementation */
	uint64_t fail[IM__MAX];			/* timed operations that did not succeed */
	uint64_t renewed;			/* engine keys replaced at a usage limit */
};

/* Result of one case: TSC cycles per operation (0: not run). */
/*
 * Result of one case. cyc_op: TSC cycles per operation, from the 90th
 * percentile of the slices' rates (0: not run). ratio: the engine's throughput over each one's,
 * slice against slice within a round (a few ms apart), median over the
 * rounds; raw_ratio and raw_extra: against the faster raw loop of each
 * round, as a ratio and as engine cycles per op above it.
 */
struct result {
	double cyc_op[IM__MAX];
	double ratio[IM__MAX];
	double raw_ratio, raw_extra;
};

/* ---------------------------------------------------------------- small helpers */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(rnd64() >> 56);
	}
}

static void *xalloc(size_t align, size_t n)
{
	void *p = aligned_alloc(align, (n + align - 1) / align * align);

	if (p == NULL) {
		fprintf(stderr, "bench-aead: out of memory\n");
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The CPU as /proc/cpuinfo names it, and the flags that decide AES-GCM's code path. */
static void print_cpu(void)
{
	static const char *const want[] = {"aes", "pclmulqdq", "avx", "avx2", "avx512f",
					   "vaes", "vpclmulqdq", "constant_tsc", "nonstop_tsc"};
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096], model[256] = "?";
	int family = -1, mod = -1, stepping = -1;
	bool have[sizeof(want) / sizeof(want[0])] = {false};
	bool flags_seen = false;
	cpu_set_t set;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ':');

		if (v == NULL) {
			if (flags_seen) {
				break;		/* the first processor's block is enough */
			}
			continue;
		}
		v += 2;
		v[strcspn(v, "\n")] = '\0';
		if (strncmp(line, "model name", 10) == 0) {
			snprintf(model, sizeof(model), "%s", v);
		} else if (strncmp(line, "cpu family", 10) == 0) {
			family = atoi(v);
		} else if (strncmp(line, "model\t", 6) == 0) {
			mod = atoi(v);
		} else if (strncmp(line, "stepping", 8) == 0) {
			stepping = atoi(v);
		} else if (strncmp(line, "flags", 5) == 0) {
			flags_seen = true;
			for (char *t = strtok(v, " "); t != NULL; t = strtok(NULL, " ")) {
				for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
					if (strcmp(t, want[i]) == 0) {
						have[i] = true;
					}
				}
			}
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	printf("CPU:            %s (family %d model %d stepping %d);", model, family, mod,
	       stepping);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		printf(" %s%s", have[i] ? "" : "-", want[i]);
	}
	printf("\n");
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		printf("                running on CPU %d, allowed on %d CPU(s)%s\n",
		       sched_getcpu(), CPU_COUNT(&set),
		       CPU_COUNT(&set) > 1 ? " (not pinned: taskset -c N gives steadier figures)"
					   : "");
	}
}

/* ---------------------------------------------------------------- the implementations */

typedef uint32_t (*burst_fn)(struct bench *b, struct crypto_aead_op *ops, uint32_t n);

static uint32_t engine_seal(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return crypto_aead_seal_burst(b->eng, ops, (uint16_t)n);
}

static uint32_t engine_open(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return crypto_aead_open_burst(b->eng, ops, (uint16_t)n);
}

static uint32_t eossl_seal(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return crypto_aead_seal_burst(b->eng_ossl, ops, (uint16_t)n);
}

static uint32_t eossl_open(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return crypto_aead_open_burst(b->eng_ossl, ops, (uint16_t)n);
}

/* A job the manager handed back: 1 when it succeeded (and, opening, its tag matched). */
static inline __attribute__((always_inline)) uint32_t raw_done(IMB_JOB *job, const bool open)
{
	const struct crypto_aead_op *op = job->user_data;

	if (job->status != IMB_STATUS_COMPLETED) {
		return 0;
	}
	if (open && CRYPTO_memcmp(job->auth_tag_output, op->tag, TAG_LEN) != 0) {
		memset(job->dst, 0, op->len);
		return 0;
	}
	return 1;
}

static inline __attribute__((always_inline)) void
raw_fill(const struct bench *b, IMB_JOB *job, struct crypto_aead_op *op, uint8_t *tag,
	 const bool open)
{
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->cipher_direction = open ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	job->chain_order = open ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	job->key_len_in_bytes = b->key_len;
	job->enc_keys = b->gkey;
	job->dec_keys = b->gkey;
	job->src = op->src.data;
	job->dst = op->dst.data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->iv;
	job->iv_len_in_bytes = IV_LEN;
	job->u.GCM.aad = op->aad;
	job->u.GCM.aad_len_in_bytes = op->aad_len;
	job->auth_tag_output = open ? tag : op->tag;
	job->auth_tag_output_len_in_bytes = TAG_LEN;
	job->user_data = op;
}

/* The job API as issue 7 names it: IMB_SUBMIT_JOB (which validates each job). */
static inline __attribute__((always_inline)) uint32_t
raw_jobs(struct bench *b, struct crypto_aead_op *ops, uint32_t n, const bool open)
{
	IMB_MGR *mgr = b->mgr;
	uint32_t ok = 0;
	IMB_JOB *job;

	for (uint32_t i = 0; i < n; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		raw_fill(b, job, &ops[i], b->scratch_tag[i], open);
		job = IMB_SUBMIT_JOB(mgr);
		if (job != NULL) {
			ok += raw_done(job, open);
		}
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL) {
		ok += raw_done(job, open);
	}
	return ok;
}

/*
 * The burst API, as the engine's backend calls it: IMB_GET_NEXT_BURST, the
 * jobs filled, IMB_SUBMIT_BURST_NOCHECK (no validation), IMB_MAX_BURST_SIZE
 * jobs at a time.
 */
static inline __attribute__((always_inline)) uint32_t
raw_bursts(struct bench *b, struct crypto_aead_op *ops, uint32_t n, const bool open)
{
	IMB_MGR *mgr = b->mgr;
	IMB_JOB *jobs[IMB_MAX_BURST_SIZE];
	uint32_t ok = 0;

	for (uint32_t i = 0; i < n; i += IMB_MAX_BURST_SIZE) {
		uint32_t m = n - i < IMB_MAX_BURST_SIZE ? n - i : IMB_MAX_BURST_SIZE;
		uint32_t got, done;

		got = IMB_GET_NEXT_BURST(mgr, m, jobs);
		if (got < m) {
			IMB_FLUSH_BURST(mgr, IMB_MAX_JOBS, jobs);	/* not with GCM */
			got = IMB_GET_NEXT_BURST(mgr, m, jobs);
		}
		for (uint32_t j = 0; j < got; j++) {
			raw_fill(b, jobs[j], &ops[i + j], b->scratch_tag[i + j], open);
		}
		done = IMB_SUBMIT_BURST_NOCHECK(mgr, got, jobs);
		if (done < got) {
			done += IMB_FLUSH_BURST(mgr, got - done, jobs + done);
		}
		for (uint32_t j = 0; j < done; j++) {
			ok += raw_done(jobs[j], open);
		}
	}
	return ok;
}

static uint32_t raw_seal(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return raw_jobs(b, ops, n, false);
}

static uint32_t raw_open(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return raw_jobs(b, ops, n, true);
}

static uint32_t rawb_seal(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return raw_bursts(b, ops, n, false);
}

static uint32_t rawb_open(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	return raw_bursts(b, ops, n, true);
}

/* The per-message init: the nonce only, or (--evp-rekey) cipher, key and nonce. */
static inline __attribute__((always_inline)) int evp_init(struct bench *b, const uint8_t *iv,
							  const bool open)
{
	const EVP_CIPHER *c = b->evp_rekey ? b->evp_legacy : NULL;
	const uint8_t *k = b->evp_rekey ? b->key : NULL;

	return open ? EVP_DecryptInit_ex2(b->evp, c, k, iv, NULL)
		    : EVP_EncryptInit_ex2(b->evp, c, k, iv, NULL);
}

static uint32_t evp_seal(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	EVP_CIPHER_CTX *ctx = b->evp;
	uint32_t ok = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		int l1 = 0, l2 = 0;

		if (evp_init(b, op->iv, false) == 1 &&
		    (op->aad_len == 0 ||
		     EVP_EncryptUpdate(ctx, NULL, &l1, op->aad, (int)op->aad_len) == 1) &&
		    EVP_EncryptUpdate(ctx, op->dst.data, &l1, op->src.data, (int)op->len) == 1 &&
		    EVP_EncryptFinal_ex(ctx, op->dst.data + l1, &l2) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, op->tag) == 1) {
			ok++;
		}
	}
	return ok;
}

static uint32_t evp_open(struct bench *b, struct crypto_aead_op *ops, uint32_t n)
{
	EVP_CIPHER_CTX *ctx = b->evp;
	uint32_t ok = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct crypto_aead_op *op = &ops[i];
		int l1 = 0, l2 = 0;

		if (evp_init(b, op->iv, true) == 1 &&
		    (op->aad_len == 0 ||
		     EVP_DecryptUpdate(ctx, NULL, &l1, op->aad, (int)op->aad_len) == 1) &&
		    EVP_DecryptUpdate(ctx, op->dst.data, &l1, op->src.data, (int)op->len) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, op->tag) == 1 &&
		    EVP_DecryptFinal_ex(ctx, op->dst.data + l1, &l2) == 1) {
			ok++;
		} else {
			memset(op->dst.data, 0, op->len);
		}
	}
	return ok;
}

static const burst_fn impl_fn[IM__MAX][2] = {
	[IM_ENGINE] = {engine_seal, engine_open},
	[IM_RAW] = {raw_seal, raw_open},
	[IM_RAW_BURST] = {rawb_seal, rawb_open},
	[IM_EVP] = {evp_seal, evp_open},
	[IM_ENGINE_OSSL] = {eossl_seal, eossl_open},
};

static bool impl_active(const struct bench *b, enum impl im)
{
	return im != IM_ENGINE_OSSL || b->eng_ossl != NULL;
}

/* ---------------------------------------------------------------- set-up */

static struct crypto_aead_key *new_key(struct bench *b, struct crypto_aead_engine *e)
{
	struct crypto_aead_key *k = crypto_aead_key_new(e, b->alg, b->key, b->key_len);

	if (k == NULL) {
		fprintf(stderr, "bench-aead: crypto_aead_key_new: %s\n", strerror(errno));
		exit(1);
	}
	return k;
}

static int raw_init(struct bench *b)
{
	b->mgr = alloc_mb_mgr(0);
	if (b->mgr == NULL) {
		fprintf(stderr, "bench-aead: alloc_mb_mgr failed\n");
		return -1;
	}
	switch (crypto_aead_engine_arch(b->eng)) {
	case CRYPTO_AEAD_ARCH_SSE:
		init_mb_mgr_sse(b->mgr);
		break;
	case CRYPTO_AEAD_ARCH_AVX:
		init_mb_mgr_avx(b->mgr);
		break;
	case CRYPTO_AEAD_ARCH_AVX2:
		init_mb_mgr_avx2(b->mgr);
		break;
	case CRYPTO_AEAD_ARCH_AVX512:
		init_mb_mgr_avx512(b->mgr);
		break;
	default:
		fprintf(stderr, "bench-aead: the engine reports no ipsec-mb code path (%s)\n",
			crypto_aead_arch_name(crypto_aead_engine_arch(b->eng)));
		return -1;
	}
	if (imb_get_errno(b->mgr) != 0) {
		fprintf(stderr, "bench-aead: init_mb_mgr_%s: %s\n",
			crypto_aead_arch_name(crypto_aead_engine_arch(b->eng)),
			imb_get_strerror(imb_get_errno(b->mgr)));
		return -1;
	}
	b->gkey = xalloc(64, sizeof(*b->gkey));
	switch (b->alg) {
	case CRYPTO_AEAD_AES_128_GCM:
		IMB_AES128_GCM_PRE(b->mgr, b->key, b->gkey);
		break;
	case CRYPTO_AEAD_AES_192_GCM:
		IMB_AES192_GCM_PRE(b->mgr, b->key, b->gkey);
		break;
	default:
		IMB_AES256_GCM_PRE(b->mgr, b->key, b->gkey);
		break;
	}
	return 0;
}

static int evp_setup(struct bench *b)
{
	static const char *const fetch_name[] = {
		[CRYPTO_AEAD_AES_128_GCM] = "AES-128-GCM",
		[CRYPTO_AEAD_AES_192_GCM] = "AES-192-GCM",
		[CRYPTO_AEAD_AES_256_GCM] = "AES-256-GCM",
	};

	b->evp_legacy = b->alg == CRYPTO_AEAD_AES_128_GCM   ? EVP_aes_128_gcm()
			: b->alg == CRYPTO_AEAD_AES_192_GCM ? EVP_aes_192_gcm()
							    : EVP_aes_256_gcm();
	b->evp_fetched = EVP_CIPHER_fetch(NULL, fetch_name[b->alg], NULL);
	b->evp = EVP_CIPHER_CTX_new();
	if (b->evp_fetched == NULL || b->evp == NULL) {
		fprintf(stderr, "bench-aead: OpenSSL: no %s\n", fetch_name[b->alg]);
		return -1;
	}
	return 0;
}

/*
 * The EVP context holds one direction's key schedule: set it (cipher
 * fetched once, key, no nonce yet) for sealing or opening. --evp-rekey
 * sets everything per message instead.
 */
static void evp_direction(struct bench *b, bool open)
{
	int rc;

	if (b->evp_rekey) {
		return;
	}
	rc = open ? EVP_DecryptInit_ex2(b->evp, b->evp_fetched, b->key, NULL, NULL)
		  : EVP_EncryptInit_ex2(b->evp, b->evp_fetched, b->key, NULL, NULL);
	if (rc != 1) {
		fprintf(stderr, "bench-aead: EVP init failed\n");
		exit(1);
	}
}

static void op_init(const struct bench *b, struct crypto_aead_op *op, struct crypto_aead_key *k,
		    uint32_t m, uint8_t *src, uint8_t *dst, uint8_t *tag)
{
	const struct wset *w = &b->w;

	memset(op, 0, sizeof(*op));
	op->key = k;
	op->src.data = src;
	op->dst.data = dst;
	op->len = w->size;
	op->aad_len = b->aad_len;
	op->aad = w->aad + (size_t)m * w->aad_stride;
	op->iv = w->iv + (size_t)m * 16;
	op->tag = tag != NULL ? tag : w->tag + (size_t)m * TAG_LEN;
	op->iv_len = IV_LEN;
	op->tag_len = TAG_LEN;
	op->flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
}

static uint8_t *msg(const struct wset *w, uint8_t *base, uint32_t m)
{
	return base + (size_t)m * w->stride;
}

static void wset_free(struct wset *w)
{
	free(w->pt_blk);
	free(w->ct_blk);
	free(w->out_blk);
	free(w->aad);
	free(w->iv);
	free(w->tag);
	free(w->ops[0]);
	free(w->ops[1]);
	free(w->gbuf);
	memset(w, 0, sizeof(*w));
}

/* The working set of |size|-byte messages; the op arrays are filled by ops_fill. */
static void wset_make(struct bench *b, uint32_t size)
{
	struct wset *w = &b->w;
	size_t blk;

	wset_free(w);
	w->size = size;
	w->nbuf = NBUF;
	while (w->nbuf > NBUF_MIN && 2ull * w->nbuf * size > WSET_MAX) {
		w->nbuf /= 2;
	}
	w->stride = (size + 63) / 64 * 64 + 64;
	blk = (size_t)w->nbuf * w->stride + 4096;
	w->pt_blk = xalloc(4096, blk);
	w->ct_blk = xalloc(4096, blk + DST_SKEW);
	w->out_blk = xalloc(4096, blk + 2 * DST_SKEW);
	w->pt = w->pt_blk;
	w->ct = w->ct_blk + DST_SKEW;
	w->out = w->out_blk + 2 * DST_SKEW;
	w->aad_stride = b->aad_len == 0 ? 16 : (b->aad_len + 15) / 16 * 16;
	w->aad = xalloc(64, (size_t)w->nbuf * w->aad_stride);
	w->iv = xalloc(64, (size_t)w->nbuf * 16);
	w->tag = xalloc(64, (size_t)w->nbuf * TAG_LEN);
	fill_random(w->pt, (size_t)w->nbuf * w->stride);
	fill_random(w->aad, (size_t)w->nbuf * w->aad_stride);
	fill_random(w->iv, (size_t)w->nbuf * 16);
	w->nops = w->nbuf / gcd(w->nbuf, b->burst) * b->burst;
	w->ops[0] = xalloc(64, sizeof(struct crypto_aead_op) * w->nops);
	w->ops[1] = xalloc(64, sizeof(struct crypto_aead_op) * w->nops);
	w->gbuf = xalloc(64, (size_t)(IM__MAX + 1) * w->stride);
	for (int i = 0; i < IM__MAX; i++) {
		b->pos[i] = 0;
	}
}

/* Seal: plaintext -> ciphertext. Open: ciphertext (sealed beforehand) -> out. */
static void ops_fill(struct bench *b)
{
	struct wset *w = &b->w;

	for (uint32_t i = 0; i < w->nops; i++) {
		uint32_t m = i % w->nbuf;
		uint8_t *src = b->open ? msg(w, w->ct, m) : msg(w, w->pt, m);
		uint8_t *dst = b->open ? msg(w, w->out, m) : msg(w, w->ct, m);

		op_init(b, &w->ops[0][i], b->k_imb, m, src, dst, NULL);
		op_init(b, &w->ops[1][i], b->k_ossl, m, src, dst, NULL);
	}
}

/*
 * The engines' keys count what they seal and refuse at the algorithm's
 * limit (AES-GCM: 2^34 blocks); a long run replaces a key past half of it.
 */
static void renew_keys(struct bench *b)
{
	struct crypto_aead_key **kp[2] = {&b->k_imb, &b->k_ossl};
	struct crypto_aead_engine *e[2] = {b->eng, b->eng_ossl};

	for (int j = 0; j < 2; j++) {
		struct crypto_aead_usage u;
		struct crypto_aead_key *k;

		if (*kp[j] == NULL) {
			continue;
		}
		crypto_aead_key_usage(*kp[j], &u);
		if (u.blocks < u.max_blocks / 2 && u.seals < u.max_seals / 2) {
			continue;
		}
		k = new_key(b, e[j]);
		for (uint32_t i = 0; i < b->w.nops; i++) {
			b->w.ops[j][i].key = k;
		}
		crypto_aead_key_free(*kp[j]);
		*kp[j] = k;
		b->renewed++;
	}
}

/* ---------------------------------------------------------------- the correctness guard */

static void hexdiff(const char *what, const uint8_t *a, const uint8_t *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != x[i]) {
			fprintf(stderr, "  %s differs first at byte %zu: %02x vs %02x\n", what, i,
				a[i], x[i]);
			return;
		}
	}
}

/*
 * Message 0 of the working set sealed by each implementation: identical
 * ciphertexts and tags; the engine's output opened by each: the plaintext;
 * with a flipped tag bit: refused. Returns false (after saying why) if not.
 */
static bool guard(struct bench *b)
{
	struct wset *w = &b->w;
	uint8_t tags[IM__MAX][TAG_LEN], t[TAG_LEN];
	uint8_t *open_out = msg(w, w->gbuf, IM__MAX);
	bool was_open = b->open;
	bool good = true;

	b->open = false;
	for (int im = 0; im < IM__MAX; im++) {
		struct crypto_aead_op op;

		if (!impl_active(b, im)) {
			continue;
		}
		evp_direction(b, false);
		op_init(b, &op, im == IM_ENGINE_OSSL ? b->k_ossl : b->k_imb, 0, msg(w, w->pt, 0),
			msg(w, w->gbuf, im), tags[im]);
		if (impl_fn[im][0](b, &op, 1) != 1) {
			fprintf(stderr, "bench-aead: %u B: %s could not seal (status %d)\n",
				w->size, impl_name[im], op.status);
			good = false;
		} else if (im != IM_ENGINE &&
			   (memcmp(msg(w, w->gbuf, im), msg(w, w->gbuf, 0), w->size) != 0 ||
			    memcmp(tags[im], tags[0], TAG_LEN) != 0)) {
			fprintf(stderr, "bench-aead: %u B: %s and %s seal differently\n", w->size,
				impl_name[im], impl_name[IM_ENGINE]);
			hexdiff("ciphertext", msg(w, w->gbuf, 0), msg(w, w->gbuf, im), w->size);
			hexdiff("tag", tags[0], tags[im], TAG_LEN);
			good = false;
		}
	}
	b->open = true;
	for (int im = 0; good && im < IM__MAX; im++) {
		struct crypto_aead_key *k = im == IM_ENGINE_OSSL ? b->k_ossl : b->k_imb;
		bool engine = im == IM_ENGINE || im == IM_ENGINE_OSSL;
		struct crypto_aead_op op;
		uint32_t n;

		if (!impl_active(b, im)) {
			continue;
		}
		evp_direction(b, true);
		memcpy(t, tags[0], TAG_LEN);
		op_init(b, &op, k, 0, msg(w, w->gbuf, 0), open_out, t);
		memset(open_out, 0xa5, w->size);
		if (impl_fn[im][1](b, &op, 1) != 1 ||
		    memcmp(open_out, msg(w, w->pt, 0), w->size) != 0) {
			fprintf(stderr, "bench-aead: %u B: %s could not open the engine's output "
				"(status %d)\n", w->size, impl_name[im], op.status);
			good = false;
			break;
		}
		t[TAG_LEN - 1] ^= 0x01;
		op_init(b, &op, k, 0, msg(w, w->gbuf, 0), open_out, t);
		n = impl_fn[im][1](b, &op, 1);
		if (n != 0 || (engine && op.status != -EBADMSG)) {
			fprintf(stderr, "bench-aead: %u B: %s accepted a wrong tag (status %d)\n",
				w->size, impl_name[im], op.status);
			good = false;
		}
	}
	b->open = was_open;
	evp_direction(b, b->open);
	return good;
}

/* Opening needs valid ciphertexts and tags: every message sealed once (raw ipsec-mb). */
static void seal_all(struct bench *b)
{
	struct wset *w = &b->w;

	for (uint32_t m = 0; m < w->nbuf; m++) {
		struct crypto_aead_op op;

		op_init(b, &op, b->k_imb, m, msg(w, w->pt, m), msg(w, w->ct, m), NULL);
		if (raw_seal(b, &op, 1) != 1) {
			fprintf(stderr, "bench-aead: sealing the working set failed\n");
			exit(1);
		}
	}
}

/* ---------------------------------------------------------------- timing */

/* Runs |im| in whole bursts for at least |min_cyc| TSC cycles; returns operations per cycle. */
static double run_slice(struct bench *b, enum impl im, uint64_t min_cyc)
{
	const burst_fn fn = impl_fn[im][b->open];
	struct crypto_aead_op *ops = b->w.ops[im == IM_ENGINE_OSSL];
	const uint32_t n = b->burst, nops = b->w.nops;
	uint32_t pos = b->pos[im];
	uint64_t done = 0, ok = 0, t0, t;

	t0 = __rdtsc();
	do {
		ok += fn(b, ops + pos, n);
		pos += n;
		if (pos == nops) {
			pos = 0;
		}
		done += n;
		t = __rdtsc();
	} while (t - t0 < min_cyc);
	b->pos[im] = pos;
	b->fail[im] += done - ok;
	return (double)done / (double)(t - t0);
}

static double median(double *v, uint32_t n)
{
	qsort(v, n, sizeof(double), perf_cmp_double);
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void measure(struct bench *b, struct result *res)
{
	uint64_t slice = (uint64_t)(b->tsc_hz * SLICE_S), warm = (uint64_t)(b->tsc_hz * WARM_S);
	uint32_t rounds = (uint32_t)(b->seconds / SLICE_S + 0.5);
	double *rate[IM__MAX], *tmp;

	if (rounds < 5) {
		rounds = 5;
	}
	for (int im = 0; im < IM__MAX; im++) {
		rate[im] = xalloc(64, sizeof(double) * rounds);
		res->cyc_op[im] = 0;
		if (impl_active(b, im)) {
			run_slice(b, im, warm);
		}
	}
	for (uint32_t r = 0; r < rounds; r++) {
		renew_keys(b);
		for (int k = 0; k < IM__MAX; k++) {
			enum impl im = (enum impl)((r + k) % IM__MAX);

			if (impl_active(b, im)) {
				rate[im][r] = run_slice(b, im, slice);
			}
		}
	}
	tmp = xalloc(64, sizeof(double) * rounds);
	for (uint32_t r = 0; r < rounds; r++) {
		double raw = rate[IM_RAW][r] > rate[IM_RAW_BURST][r] ? rate[IM_RAW][r]
								       : rate[IM_RAW_BURST][r];

		tmp[r] = rate[IM_ENGINE][r] / raw;
	}
	res->raw_ratio = median(tmp, rounds);
	for (uint32_t r = 0; r < rounds; r++) {
		double raw = rate[IM_RAW][r] > rate[IM_RAW_BURST][r] ? rate[IM_RAW][r]
								       : rate[IM_RAW_BURST][r];

		tmp[r] = 1.0 / rate[IM_ENGINE][r] - 1.0 / raw;
	}
	res->raw_extra = median(tmp, rounds);
	for (int im = 0; im < IM__MAX; im++) {
		res->ratio[im] = 0;
		if (!impl_active(b, im)) {
			continue;
		}
		for (uint32_t r = 0; r < rounds; r++) {
			tmp[r] = rate[IM_ENGINE][r] / rate[im][r];
		}
		res->ratio[im] = median(tmp, rounds);
		qsort(rate[im], rounds, sizeof(double), perf_cmp_double);
		res->cyc_op[im] = 1.0 / rate[im][(rounds - 1) * 9 / 10];
	}
	for (int im = 0; im < IM__MAX; im++) {
		free(rate[im]);
	}
	free(tmp);
}

/* ---------------------------------------------------------------- output */

/* The table's columns: a markdown table, each column as wide as its heading (at least 7). */
enum col {
	C_BYTES, C_MSGS, C_ENG, C_ENG_CB, C_ENG_CO, C_ENG_MOPS, C_JOB, C_JOB_CB, C_BURST,
	C_BURST_CB, C_EVP, C_EVP_CB, C_OSSL, C_OVH, C_R_JOB, C_R_BURST, C_R_EVP, C_GOAL, C__MAX,
};

static const char *const col_name[C__MAX] = {
	[C_BYTES] = "bytes", [C_MSGS] = "msgs",
	[C_ENG] = "engine GB/s", [C_ENG_CB] = "c/B", [C_ENG_CO] = "c/op", [C_ENG_MOPS] = "Mop/s",
	[C_JOB] = "job GB/s", [C_JOB_CB] = "c/B",
	[C_BURST] = "burst GB/s", [C_BURST_CB] = "c/B",
	[C_EVP] = "EVP GB/s", [C_EVP_CB] = "c/B",
	[C_OSSL] = "eng-ossl GB/s", [C_OVH] = "eng-raw c/op",
	[C_R_JOB] = "eng/job", [C_R_BURST] = "eng/burst", [C_R_EVP] = "eng/EVP",
	[C_GOAL] = "goal",
};

static int col_width(enum col c)
{
	int w = (int)strlen(col_name[c]);

	return c == C_GOAL ? 0 : w < 7 ? 7 : w;
}

static void print_cells(char cell[C__MAX][32])
{
	for (int c = 0; c < C__MAX; c++) {
		printf(c == C_GOAL ? "| %-*s |\n" : "| %*s ", col_width(c), cell[c]);
	}
}

static void print_table_head(const struct bench *b)
{
	char cell[C__MAX][32];

	printf("\n## %s %s, burst %u, AAD %u B, TSC cycles\n\n", crypto_aead_alg_name(b->alg),
	       b->open ? "open" : "seal", b->burst, b->aad_len);
	for (int c = 0; c < C__MAX; c++) {
		snprintf(cell[c], sizeof(cell[c]), "%s", col_name[c]);
	}
	print_cells(cell);
	for (int c = 0; c < C__MAX; c++) {
		int w = col_width(c) < 3 ? 3 : col_width(c);

		memset(cell[c], '-', (size_t)w);
		cell[c][c == C_GOAL ? 0 : w - 1] = c == C_GOAL ? '-' : ':';
		cell[c][w] = '\0';
	}
	print_cells(cell);
}

static double gbps(const struct bench *b, double cyc_op)
{
	return cyc_op > 0 ? b->w.size * b->tsc_hz / cyc_op / 1e9 : 0;
}

/* One size's row; returns whether the goal is met. */
static bool print_row(const struct bench *b, const struct result *res)
{
	const double *c = res->cyc_op;
	uint32_t size = b->w.size;
	double r_raw = res->raw_ratio;
	double r_evp = res->ratio[IM_EVP];
	bool raw_ok = r_raw >= GOAL_RAW;
	bool evp_ok = size > GOAL_EVP_MAX_SIZE || r_evp >= GOAL_EVP;
	char cell[C__MAX][32];

#define CELL(col, ...) snprintf(cell[col], sizeof(cell[col]), __VA_ARGS__)
	CELL(C_BYTES, "%u", size);
	CELL(C_MSGS, "%u", b->w.nbuf);
	CELL(C_ENG, "%.2f", gbps(b, c[IM_ENGINE]));
	CELL(C_ENG_CB, "%.3f", c[IM_ENGINE] / size);
	CELL(C_ENG_CO, "%.1f", c[IM_ENGINE]);
	CELL(C_ENG_MOPS, "%.2f", b->tsc_hz / c[IM_ENGINE] / 1e6);
	CELL(C_JOB, "%.2f", gbps(b, c[IM_RAW]));
	CELL(C_JOB_CB, "%.3f", c[IM_RAW] / size);
	CELL(C_BURST, "%.2f", gbps(b, c[IM_RAW_BURST]));
	CELL(C_BURST_CB, "%.3f", c[IM_RAW_BURST] / size);
	CELL(C_EVP, "%.2f", gbps(b, c[IM_EVP]));
	CELL(C_EVP_CB, "%.3f", c[IM_EVP] / size);
	if (c[IM_ENGINE_OSSL] > 0) {
		CELL(C_OSSL, "%.2f", gbps(b, c[IM_ENGINE_OSSL]));
	} else {
		CELL(C_OSSL, "n/a");
	}
	CELL(C_OVH, "%+.1f", res->raw_extra);
	CELL(C_R_JOB, "%.3fx", res->ratio[IM_RAW]);
	CELL(C_R_BURST, "%.3fx", res->ratio[IM_RAW_BURST]);
	CELL(C_R_EVP, "%.2fx", r_evp);
	CELL(C_GOAL, "%s%s%s%s", raw_ok && evp_ok ? "ok" : "below:", raw_ok ? "" : " raw",
	     evp_ok ? "" : " EVP", size > GOAL_EVP_MAX_SIZE ? " (raw only)" : "");
#undef CELL
	print_cells(cell);
	fflush(stdout);
	return raw_ok && evp_ok;
}

static void print_legend(void)
{
	printf("\nGB/s: 10^9 message bytes per second; c/B, c/op: TSC cycles (90th percentile "
	       "slice). engine: "
	       "crypto_aead_*_burst on ipsec-mb; job, burst: raw ipsec-mb through IMB_SUBMIT_JOB "
	       "and IMB_SUBMIT_BURST_NOCHECK;\nEVP: OpenSSL EVP per message; eng-ossl: the "
	       "engine on its OpenSSL backend (information only); eng-raw c/op: the engine's "
	       "cycles per op above the faster raw loop;\neng/job, eng/burst, eng/EVP: "
	       "throughput ratios, slice against slice in each round, median over the rounds "
	       "(so not quite the quotient of the columns). Goal: the engine >= %.2f x the faster raw loop at every size, "
	       ">= %.1f x EVP up to %u B.\n",
	       GOAL_RAW, GOAL_EVP, GOAL_EVP_MAX_SIZE);
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [options]\n"
		"  --alg A           aes-256-gcm (default), aes-192-gcm or aes-128-gcm\n"
		"  --op OP           seal (default), open (valid ciphertexts, tags checked) or\n"
		"                    both (two tables)\n"
		"  --sizes N,N,...   message bytes, 1..%u, at most %d sizes\n"
		"                    (default " DEFAULT_SIZES ")\n"
		"  --burst N         operations per engine call and per group of the raw\n"
		"                    loops (32; 1..%u)\n"
		"  --seconds S       timed seconds per implementation and size (0.3)\n"
		"  --arch A          ipsec-mb code path of the engine and the raw loops: auto\n"
		"                    (default), sse, avx, avx2, avx512\n"
		"  --aad N           AAD bytes per message (16; 0..%u)\n"
		"  --evp-rekey       EVP anchor: EVP_*Init_ex2(ctx, EVP_aes_*_gcm(), key, iv) per\n"
		"                    message (implicit fetch and key schedule each time) instead\n"
		"                    of a cipher fetched once and a key set once per context\n"
		"  --help            this text\n"
		"Prints GB/s and TSC cycles per byte of the engine, raw intel-ipsec-mb (job\n"
		"and burst API) and OpenSSL EVP, the engine's cycles per operation, and the\n"
		"ratios against the goal (>= %.2f x the faster raw loop; >= %.1f x EVP up to\n"
		"%u B). Asserts nothing; exits 1 if the implementations disagree on an output\n"
		"or a timed operation fails.\n",
		argv0, MAX_MSG, MAX_SIZES, MAX_BURST, MAX_AAD, GOAL_RAW, GOAL_EVP,
		GOAL_EVP_MAX_SIZE);
}

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static int parse_sizes(const char *s, uint32_t *sizes)
{
	int n = 0;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		char item[16];

		if (n == MAX_SIZES || len == 0 || len >= sizeof(item)) {
			return -1;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		if (!parse_u32(item, 1, MAX_MSG, &sizes[n++])) {
			return -1;
		}
		if (comma == NULL) {
			return n;
		}
		s = comma + 1;
	}
}

static int parse_arch(const char *s, enum crypto_aead_arch *out)
{
	static const struct {
		const char *name;
		enum crypto_aead_arch arch;
	} t[] = {
		{"auto", CRYPTO_AEAD_ARCH_AUTO}, {"sse", CRYPTO_AEAD_ARCH_SSE},
		{"avx", CRYPTO_AEAD_ARCH_AVX},	 {"avx2", CRYPTO_AEAD_ARCH_AVX2},
		{"avx512", CRYPTO_AEAD_ARCH_AVX512},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].arch;
			return 0;
		}
	}
	return -1;
}

static int parse_alg(const char *s, enum crypto_aead_alg *out)
{
	if (strcmp(s, "aes-256-gcm") == 0) {
		*out = CRYPTO_AEAD_AES_256_GCM;
	} else if (strcmp(s, "aes-192-gcm") == 0) {
		*out = CRYPTO_AEAD_AES_192_GCM;
	} else if (strcmp(s, "aes-128-gcm") == 0) {
		*out = CRYPTO_AEAD_AES_128_GCM;
	} else {
		return -1;
	}
	return 0;
}

static void print_engine_stats(const char *name, const struct crypto_aead_engine *e)
{
	struct crypto_aead_stats st;

	if (e == NULL) {
		return;
	}
	crypto_aead_engine_stats(e, &st);
	printf("%s counters: seals %llu, opens %llu, auth_failures %llu (the guard's wrong "
	       "tags: one per size and table), invalid %llu, expired %llu, rekey_advised %llu, "
	       "bursts %llu\n",
	       name, (unsigned long long)st.seals, (unsigned long long)st.opens,
	       (unsigned long long)st.auth_failures, (unsigned long long)st.invalid,
	       (unsigned long long)st.expired, (unsigned long long)st.rekey_advised,
	       (unsigned long long)st.bursts);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"alg", required_argument, NULL, 'A'},
		{"op", required_argument, NULL, 'o'},
		{"sizes", required_argument, NULL, 'z'},
		{"burst", required_argument, NULL, 'b'},
		{"seconds", required_argument, NULL, 's'},
		{"arch", required_argument, NULL, 'a'},
		{"aad", required_argument, NULL, 'd'},
		{"evp-rekey", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench;
	struct bench *b = &bench;
	uint32_t sizes[MAX_SIZES];
	int nsizes = 0, c, ossl_errno = 0;
	bool do_seal = true, do_open = false, ok = true;
	const char *sizes_arg = DEFAULT_SIZES;
	char *end;
	char desc[256];
	unsigned rows = 0, rows_ok = 0;
	uint64_t fails = 0;

	b->alg = CRYPTO_AEAD_AES_256_GCM;
	b->arch = CRYPTO_AEAD_ARCH_AUTO;
	b->burst = 32;
	b->aad_len = 16;
	b->seconds = 0.3;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 'A':
			bad = parse_alg(optarg, &b->alg) == 0 ? NULL : "--alg";
			break;
		case 'o':
			if (strcmp(optarg, "seal") == 0 || strcmp(optarg, "open") == 0 ||
			    strcmp(optarg, "both") == 0) {
				do_seal = optarg[0] != 'o';
				do_open = optarg[0] != 's';
			} else {
				bad = "--op";
			}
			break;
		case 'z':
			sizes_arg = optarg;
			break;
		case 'b':
			bad = parse_u32(optarg, 1, MAX_BURST, &b->burst) ? NULL : "--burst";
			break;
		case 's':
			b->seconds = strtod(optarg, &end);
			bad = *optarg != '\0' && *end == '\0' && b->seconds > 0 && b->seconds <= 600
				      ? NULL
				      : "--seconds";
			break;
		case 'a':
			bad = parse_arch(optarg, &b->arch) == 0 ? NULL : "--arch";
			break;
		case 'd':
			bad = parse_u32(optarg, 0, MAX_AAD, &b->aad_len) ? NULL : "--aad";
			break;
		case 'r':
			b->evp_rekey = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			fprintf(stderr, "bench-aead: unknown option or missing value: %s\n",
				argv[optind - 1]);
			ok = false;
			break;
		}
		if (bad != NULL) {
			fprintf(stderr, "bench-aead: bad value for %s: '%s'\n", bad, optarg);
			ok = false;
		}
	}
	nsizes = parse_sizes(sizes_arg, sizes);
	if (nsizes < 0) {
		fprintf(stderr, "bench-aead: bad value for --sizes: '%s'\n", sizes_arg);
		ok = false;
	}
	if (ok && optind != argc) {
		fprintf(stderr, "bench-aead: unexpected argument: %s\n", argv[optind]);
		ok = false;
	}
	if (!ok) {
		usage(stderr, argv[0]);
		return 2;
	}

	b->key_len = crypto_aead_key_len(b->alg);
	fill_random(b->key, sizeof(b->key));
	b->eng = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_IPSECMB, b->arch);
	if (b->eng == NULL) {
		fprintf(stderr, "bench-aead: crypto_aead_engine_new(ipsec-mb, %s): %s\n",
			crypto_aead_arch_name(b->arch), strerror(errno));
		return 1;
	}
	b->eng_ossl = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_OPENSSL, CRYPTO_AEAD_ARCH_AUTO);
	ossl_errno = errno;
	if (raw_init(b) != 0 || evp_setup(b) != 0) {
		return 1;
	}
	b->k_imb = new_key(b, b->eng);
	if (b->eng_ossl != NULL) {
		b->k_ossl = new_key(b, b->eng_ossl);
	}
	b->tsc_hz = perf_tsc_hz();

	printf("bench-aead:");
	for (int i = 0; i < argc; i++) {
		printf(" %s", argv[i]);
	}
	printf("\n");
	printf("engine:         %s\n", crypto_aead_engine_describe(b->eng, desc, sizeof(desc)));
	if (b->eng_ossl != NULL) {
		printf("engine/openssl: %s (information only)\n",
		       crypto_aead_engine_describe(b->eng_ossl, desc, sizeof(desc)));
	} else {
		printf("engine/openssl: not available (%s)\n", strerror(ossl_errno));
	}
	printf("raw ipsec-mb:   intel-ipsec-mb %s (built against %s), init_mb_mgr_%s; job: "
	       "IMB_SUBMIT_JOB per message, IMB_FLUSH_JOB per group of %u; burst: "
	       "IMB_SUBMIT_BURST_NOCHECK\n",
	       imb_get_version_str(), IMB_VERSION_STR,
	       crypto_aead_arch_name(crypto_aead_engine_arch(b->eng)), b->burst);
	printf("OpenSSL EVP:    %s; %s\n", OpenSSL_version(OPENSSL_VERSION),
	       b->evp_rekey ? "per message EVP_*Init_ex2(ctx, EVP_aes_*_gcm(), key, iv) "
			      "(--evp-rekey: implicit fetch and key schedule each time)"
			    : "cipher fetched once, key schedule set once, per message "
			      "EVP_*Init_ex2(ctx, NULL, NULL, iv) + AAD + data + final + tag");
	print_cpu();
	printf("TSC:            %.4f GHz, calibrated against CLOCK_MONOTONIC over 50 ms; "
	       "every cycle figure is TSC cycles\n",
	       b->tsc_hz / 1e9);
	printf("method:         %s, %u B nonce, %u B AAD, %u B tag, out of place, flat buffers; "
	       "%.2f s per implementation and size in slices of >= %.0f ms, the five "
	       "rotating; columns: 90th percentile slice, ratios: median of paired slices; "
	       "%.0f ms warm-up; up to %u messages per size cycled "
	       "(source + destination <= %u KiB)\n",
	       crypto_aead_alg_name(b->alg), IV_LEN, b->aad_len, TAG_LEN, b->seconds,
	       SLICE_S * 1e3, WARM_S * 1e3, NBUF, WSET_MAX >> 10);
	fflush(stdout);

	for (int pass = 0; pass < 2; pass++) {
		if ((pass == 0 && !do_seal) || (pass == 1 && !do_open)) {
			continue;
		}
		b->open = pass == 1;
		print_table_head(b);
		for (int s = 0; s < nsizes; s++) {
			struct result res;

			wset_make(b, sizes[s]);
			if (!guard(b)) {
				fprintf(stderr, "bench-aead: outputs differ; not timing a "
					"benchmark of wrong output\n");
				return 1;
			}
			seal_all(b);
			ops_fill(b);
			evp_direction(b, b->open);
			measure(b, &res);
			rows++;
			rows_ok += print_row(b, &res);
		}
		print_legend();
	}
	printf("\ngoal met in %u of %u rows\n", rows_ok, rows);
	for (int im = 0; im < IM__MAX; im++) {
		if (b->fail[im] != 0) {
			fprintf(stderr, "bench-aead: %s: %llu timed operations failed\n",
				impl_name[im], (unsigned long long)b->fail[im]);
		}
		fails += b->fail[im];
	}
	print_engine_stats("engine", b->eng);
	print_engine_stats("engine/openssl", b->eng_ossl);
	if (b->renewed != 0) {
		printf("engine keys replaced at half their usage limit: %llu\n",
		       (unsigned long long)b->renewed);
	}

	wset_free(&b->w);
	crypto_aead_key_free(b->k_imb);
	crypto_aead_key_free(b->k_ossl);
	crypto_aead_engine_free(b->eng);
	crypto_aead_engine_free(b->eng_ossl);
	free_mb_mgr(b->mgr);
	free(b->gkey);
	EVP_CIPHER_CTX_free(b->evp);
	EVP_CIPHER_free(b->evp_fetched);
	return fails != 0 ? 1 : 0;
}
