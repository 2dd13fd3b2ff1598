/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-mac: is a burst engine for SLIM's per-link header MAC worth building?
 * Cycles per message of HMAC-SHA256 over the canonical header preimage
 * (dataplane/slim/slim_mac.h), one message at a time as the node does it
 * today, beside intel-ipsec-mb's multi-buffer HMAC-SHA256 on bursts of 1, 8,
 * 16, 32 and 64 messages. Prints; it asserts nothing about speed.
 *
 *   anchor        slim_mac_compute per message: slim_mac_preimage into its
 *                 stack buffer, then EVP_MAC_init (same key) / update / final.
 *   mb job        per burst: slim_mac_preimage of each message into a
 *                 per-slot scratch buffer, IMB_GET_NEXT_JOB, the job filled
 *                 (IMB_CIPHER_NULL, IMB_AUTH_HMAC_SHA_256, ipad/opad hashes
 *                 precomputed once per key with IMB_SHA256_ONE_BLOCK: 1.3 has
 *                 no imb_hmac_ipad_opad), IMB_SUBMIT_JOB_NOCHECK; then
 *                 IMB_FLUSH_JOB until the queue is empty. Lanes: 8 on AVX2,
 *                 16 on AVX-512; a burst below that is finished by the flush.
 *   mb hash-burst the same preimages and job fields in an array of IMB_JOB,
 *                 one IMB_SUBMIT_HASH_BURST_NOCHECK(..., IMB_AUTH_HMAC_SHA_256)
 *                 (synchronous, 1.3's hash burst API). Printed as n/a if the
 *                 library refuses it.
 * Both multi-buffer columns include building the preimages, as an engine
 * would; "preimage" lines give that cost alone.
 *
 * Preimages: real Dataplane__Proto__V1__SLIMHeader values, 64 per kind
 * (agents acme/sales-app/agent_0..63 publishing to acme/sales-app/agent_x),
 * link id in the node's form (12 characters of node id, '-', 24 hex digits):
 *   enc        encoded names (hashed components + name id) only, no identity
 *   enc+str    encoded and string names, no identity
 *   enc+str+id both names and a ~700-byte JWT-SVID-shaped identity string
 *
 * Timing: TSC cycles (perf_util.h). The thread is pinned to the CPU it
 * starts on (run it under taskset -c N). Each case runs 10 ms untimed, then
 * the implementations take turns in slices of at least 0.5 ms of whole
 * bursts, the order rotating each round, until each has run --time seconds;
 * a column is the median of its slices' cycles per message, a ratio the
 * median over the rounds of anchor / multi-buffer (slices of one round are
 * a few ms apart, so a noisy neighbour moves both alike).
 *
 * Correctness: before timing, and on the last slice of every case, every
 * MAC of every multi-buffer path must equal slim_mac_compute's for the same
 * header and key, and every job must complete; otherwise it says so and
 * exits 1.
 *
 * Usage: bench-mac [--time S] [--arch auto|sse|avx|avx2|avx512] [--help]
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x86intrin.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "perf_util.h"
#include "slim_mac.h"

#define NMSG 64u		/* headers per kind, cycled in order */
#define PRE_CAP 4096u		/* scratch bytes per burst slot */
#define MAX_SLICES 4096u
#define SLICE_S 0.0005
#define WARM_S 0.010
#define NKIND 3
#define NBURST 5

static const uint32_t bursts[NBURST] = {1, 8, 16, 32, 64};
static const char *const kind_name[NKIND] = {"enc", "enc+str", "enc+str+id"};

enum impl { IM_ANCHOR, IM_JOB, IM_HBURST, IM__MAX };
static const char *const impl_name[IM__MAX] = {"anchor", "mb job", "mb hash-burst"};

/* One header and everything it points to. */
struct hdr {
	Dataplane__Proto__V1__SLIMHeader h;
	Dataplane__Proto__V1__Name src, dst;
	Dataplane__Proto__V1__EncodedName es, ed;
	Dataplane__Proto__V1__NameId ids, idd;
	Dataplane__Proto__V1__StringName ss, sd;
	char agent[16];
};

struct bench {
	double tsc_hz, seconds;
	struct slim_mac mac;
	IMB_MGR *mgr;
	const char *arch_name;
	uint8_t ipad[IMB_SHA256_DIGEST_SIZE_IN_BYTES] __attribute__((aligned(16)));
	uint8_t opad[IMB_SHA256_DIGEST_SIZE_IN_BYTES] __attribute__((aligned(16)));
	bool hburst_ok;
	struct hdr hdr[NKIND][NMSG];
	uint8_t *pre;				/* NMSG slots of PRE_CAP bytes */
	IMB_JOB jobs[NMSG];			/* for the hash burst API */
	uint8_t out[IM__MAX][NMSG][SLIM_MAC_LEN];
	uint32_t pos[IM__MAX];
	uint64_t fail;
};

static const uint8_t key[SLIM_KEY_LEN] = {
	0x8a, 0x1f, 0x32, 0x07, 0xc4, 0x5e, 0x90, 0x6b, 0x11, 0xd3, 0x7c, 0x28, 0x4f, 0xe6, 0x03, 0x9d,
	0x5a, 0xb2, 0x64, 0x0e, 0xf1, 0x38, 0xc9, 0x77, 0x2d, 0x80, 0x1b, 0xae, 0x46, 0xdc, 0x95, 0x3c,
};
static const char link_id[] = "bridge-eu-01-3f9a0c5e71d2b8446e0a9c17";

static void die(const char *what)
{
	fprintf(stderr, "bench-mac: %s\n", what);
	exit(1);
}

/* FNV-1a 64: a stand-in for the control plane's component hash (only the bytes' count matters). */
static uint64_t comp(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	}
	return h;
}

/* A JWT-SVID-shaped string: header.payload.signature in base64url, |len| bytes in all. */
static char *jwt_like(size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char head[] = "eyJhbGciOiJFUzI1NiIsImtpZCI6InNwaWZmZS1hY21lLTIwMjUiLCJ0eXAiOiJKV1QifQ";
	char *s = malloc(len + 1);
	uint64_t x = 0x243f6a8885a308d3ull;
	size_t sig_at = len - 86;	/* ES256: 64 bytes of signature, 86 characters */

	if (s == NULL) {
		die("out of memory");
	}
	memcpy(s, head, sizeof(head) - 1);
	s[sizeof(head) - 1] = '.';
	for (size_t i = sizeof(head); i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s[i] = b64[x & 63];
	}
	s[sig_at - 1] = '.';
	s[len] = '\0';
	return s;
}

static void hdr_fill(struct hdr *m, int kind, unsigned i, const char *jwt)
{
	memset(m, 0, sizeof(*m));
	dataplane__proto__v1__slimheader__init(&m->h);
	dataplane__proto__v1__name__init(&m->src);
	dataplane__proto__v1__name__init(&m->dst);
	dataplane__proto__v1__encoded_name__init(&m->es);
	dataplane__proto__v1__encoded_name__init(&m->ed);
	dataplane__proto__v1__name_id__init(&m->ids);
	dataplane__proto__v1__name_id__init(&m->idd);
	dataplane__proto__v1__string_name__init(&m->ss);
	dataplane__proto__v1__string_name__init(&m->sd);
	snprintf(m->agent, sizeof(m->agent), "agent_%u", i);

	m->ids.has_id_0 = m->ids.has_id_1 = true;
	m->ids.id_0 = 0x5eed0000u + i;
	m->ids.id_1 = 7;
	m->idd = m->ids;
	m->idd.id_0 = 0x5eedffffu;
	m->es.has_component_0 = m->es.has_component_1 = m->es.has_component_2 = true;
	m->es.component_0 = comp("acme");
	m->es.component_1 = comp("sales-app");
	m->es.component_2 = comp(m->agent);
	m->es.name_id = &m->ids;
	m->ed = m->es;
	m->ed.component_2 = comp("agent_x");
	m->ed.name_id = &m->idd;
	m->src.name = &m->es;
	m->dst.name = &m->ed;
	if (kind >= 1) {
		m->ss.str_component_0 = (char *)"acme";
		m->ss.str_component_1 = (char *)"sales-app";
		m->ss.str_component_2 = m->agent;
		m->sd = m->ss;
		m->sd.str_component_2 = (char *)"agent_x";
		m->src.str_name = &m->ss;
		m->dst.str_name = &m->sd;
	}
	m->h.source = &m->src;
	m->h.destination = &m->dst;
	m->h.identity = kind >= 2 ? (char *)jwt : NULL;
	m->h.has_fanout = m->h.has_ttl = true;
	m->h.fanout = 1;
	m->h.ttl = 8;
	m->h.has_recv_from = true;
	m->h.recv_from = 0x10000u + i;
	m->h.version = (char *)"2.3.0";
}

/* ---------------------------------------------------------------- ipsec-mb */

static void mb_setup(struct bench *b, const char *arch)
{
	uint8_t blk[64] __attribute__((aligned(16)));
	IMB_ARCH got = IMB_ARCH_NONE;

	b->mgr = alloc_mb_mgr(0);
	if (b->mgr == NULL) {
		die("alloc_mb_mgr failed");
	}
	if (strcmp(arch, "auto") == 0) {
		init_mb_mgr_auto(b->mgr, &got);
	} else if (strcmp(arch, "sse") == 0) {
		init_mb_mgr_sse(b->mgr);
		got = IMB_ARCH_SSE;
	} else if (strcmp(arch, "avx") == 0) {
		init_mb_mgr_avx(b->mgr);
		got = IMB_ARCH_AVX;
	} else if (strcmp(arch, "avx2") == 0) {
		init_mb_mgr_avx2(b->mgr);
		got = IMB_ARCH_AVX2;
	} else {
		init_mb_mgr_avx512(b->mgr);
		got = IMB_ARCH_AVX512;
	}
	if (imb_get_errno(b->mgr) != 0) {
		fprintf(stderr, "bench-mac: init_mb_mgr (%s): %s\n", arch,
			imb_get_strerror(imb_get_errno(b->mgr)));
		exit(1);
	}
	b->arch_name = got == IMB_ARCH_AVX512 ? "avx512 (16 lanes)"
		     : got == IMB_ARCH_AVX2   ? "avx2 (8 lanes)"
		     : got == IMB_ARCH_AVX    ? "avx (4 lanes)"
		     : got == IMB_ARCH_SSE    ? "sse (4 lanes, or SHA-NI)"
					      : "other";
	/* HMAC with a 32-byte key: one block of key || zeros, xor ipad / opad, hashed once. */
	memset(blk, 0, sizeof(blk));
	memcpy(blk, key, sizeof(key));
	for (size_t i = 0; i < sizeof(blk); i++) {
		blk[i] ^= 0x36;
	}
	IMB_SHA256_ONE_BLOCK(b->mgr, blk, b->ipad);
	for (size_t i = 0; i < sizeof(blk); i++) {
		blk[i] ^= 0x36 ^ 0x5c;
	}
	IMB_SHA256_ONE_BLOCK(b->mgr, blk, b->opad);
	OPENSSL_cleanse(blk, sizeof(blk));
}

static void job_fill(struct bench *b, IMB_JOB *j, const uint8_t *src, size_t len, uint8_t *tag)
{
	j->cipher_mode = IMB_CIPHER_NULL;
	j->cipher_direction = IMB_DIR_ENCRYPT;
	j->chain_order = IMB_ORDER_HASH_CIPHER;
	j->hash_alg = IMB_AUTH_HMAC_SHA_256;
	j->enc_keys = j->dec_keys = NULL;
	j->key_len_in_bytes = 0;
	j->src = src;
	j->dst = NULL;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = 0;
	j->iv = NULL;
	j->iv_len_in_bytes = 0;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = SLIM_MAC_LEN;
	j->u.HMAC._hashed_auth_key_xor_ipad = b->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = b->opad;
}

static size_t preimage(struct bench *b, const struct hdr *m, unsigned slot)
{
	long n = slim_mac_preimage(b->mac.link_id, b->mac.link_id_len, &m->h, b->pre + (size_t)slot * PRE_CAP,
				   PRE_CAP);

	if (n < 0) {
		die("slim_mac_preimage: no space");
	}
	return (size_t)n;
}

/* ---------------------------------------------------------------- one burst each */

static void run_anchor(struct bench *b, int kind, uint32_t burst)
{
	uint32_t p = b->pos[IM_ANCHOR];

	for (uint32_t i = 0; i < burst; i++) {
		if (slim_mac_compute(&b->mac, &b->hdr[kind][p + i].h, b->out[IM_ANCHOR][p + i]) != 0) {
			b->fail++;
		}
	}
	b->pos[IM_ANCHOR] = (p + burst) % NMSG;
}

static void run_job(struct bench *b, int kind, uint32_t burst)
{
	uint32_t p = b->pos[IM_JOB], done = 0;
	IMB_JOB *j;

	for (uint32_t i = 0; i < burst; i++) {
		size_t n = preimage(b, &b->hdr[kind][p + i], i);

		j = IMB_GET_NEXT_JOB(b->mgr);
		job_fill(b, j, b->pre + (size_t)i * PRE_CAP, n, b->out[IM_JOB][p + i]);
		j = IMB_SUBMIT_JOB_NOCHECK(b->mgr);
		for (; j != NULL; j = IMB_GET_COMPLETED_JOB(b->mgr)) {
			done++;
			b->fail += j->status != IMB_STATUS_COMPLETED;
		}
	}
	while ((j = IMB_FLUSH_JOB(b->mgr)) != NULL) {
		done++;
		b->fail += j->status != IMB_STATUS_COMPLETED;
	}
	b->fail += done != burst;
	b->pos[IM_JOB] = (p + burst) % NMSG;
}

static void run_hburst(struct bench *b, int kind, uint32_t burst)
{
	uint32_t p = b->pos[IM_HBURST], done;

	for (uint32_t i = 0; i < burst; i++) {
		size_t n = preimage(b, &b->hdr[kind][p + i], i);

		job_fill(b, &b->jobs[i], b->pre + (size_t)i * PRE_CAP, n, b->out[IM_HBURST][p + i]);
	}
	done = IMB_SUBMIT_HASH_BURST_NOCHECK(b->mgr, b->jobs, burst, IMB_AUTH_HMAC_SHA_256);
	b->fail += done != burst;
	for (uint32_t i = 0; i < done; i++) {
		b->fail += b->jobs[i].status != IMB_STATUS_COMPLETED;
	}
	b->pos[IM_HBURST] = (p + burst) % NMSG;
}

static void run_one(struct bench *b, enum impl im, int kind, uint32_t burst)
{
	switch (im) {
	case IM_ANCHOR:
		run_anchor(b, kind, burst);
		break;
	case IM_JOB:
		run_job(b, kind, burst);
		break;
	default:
		run_hburst(b, kind, burst);
		break;
	}
}

/* check runs every implementation over all NMSG headers of |kind| and compares the MACs. */
static void check(struct bench *b, int kind, uint32_t burst, const char *when)
{
	memset(b->out, 0, sizeof(b->out));
	for (int im = 0; im < IM__MAX; im++) {
		if (im == IM_HBURST && !b->hburst_ok) {
			continue;
		}
		b->pos[im] = 0;
		b->fail = 0;
		for (uint32_t k = 0; k < NMSG / burst; k++) {
			run_one(b, (enum impl)im, kind, burst);
		}
		if (b->fail != 0) {
			fprintf(stderr, "bench-mac: %s: %s failed %llu times (%s, burst %u)\n", when,
				impl_name[im], (unsigned long long)b->fail, kind_name[kind], burst);
			exit(1);
		}
	}
	for (int im = IM_JOB; im < IM__MAX; im++) {
		if (im == IM_HBURST && !b->hburst_ok) {
			continue;
		}
		for (uint32_t i = 0; i < NMSG; i++) {
			if (memcmp(b->out[IM_ANCHOR][i], b->out[im][i], SLIM_MAC_LEN) != 0) {
				fprintf(stderr,
					"bench-mac: %s: MISMATCH: %s's MAC differs from slim_mac_compute's "
					"(%s, burst %u, message %u)\n",
					when, impl_name[im], kind_name[kind], burst, i);
				exit(1);
			}
		}
	}
}

/* ---------------------------------------------------------------- timing */

/* One slice of whole bursts, at least SLICE_S long; returns cycles per message. */
static double slice(struct bench *b, enum impl im, int kind, uint32_t burst, uint64_t min_cyc)
{
	uint64_t t0 = __rdtsc(), t1, n = 0;

	do {
		run_one(b, im, kind, burst);
		n += burst;
		t1 = __rdtsc();
	} while (t1 - t0 < min_cyc);
	return (double)(t1 - t0) / (double)n;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), perf_cmp_double);
	return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

struct result {
	double cyc[IM__MAX];		/* median c/msg */
	double ratio[IM__MAX];		/* median over rounds of anchor / this */
};

static void measure(struct bench *b, int kind, uint32_t burst, struct result *r)
{
	static double s[IM__MAX][MAX_SLICES], q[IM__MAX][MAX_SLICES];
	uint64_t min_cyc = (uint64_t)(SLICE_S * b->tsc_hz);
	uint64_t spent[IM__MAX] = {0}, budget = (uint64_t)(b->seconds * b->tsc_hz);
	unsigned rounds = 0;
	int nim = b->hburst_ok ? IM__MAX : IM_HBURST;

	check(b, kind, burst, "before timing");
	for (int im = 0; im < nim; im++) {
		uint64_t t0 = __rdtsc();

		while (__rdtsc() - t0 < (uint64_t)(WARM_S * b->tsc_hz)) {
			run_one(b, (enum impl)im, kind, burst);
		}
	}
	b->fail = 0;
	while (rounds < MAX_SLICES && spent[IM_ANCHOR] < budget) {
		double c[IM__MAX];

		for (int k = 0; k < nim; k++) {
			int im = (k + (int)rounds) % nim;
			uint64_t t0 = __rdtsc();

			c[im] = slice(b, (enum impl)im, kind, burst, min_cyc);
			spent[im] += __rdtsc() - t0;
			s[im][rounds] = c[im];
		}
		for (int im = 1; im < nim; im++) {
			q[im][rounds] = c[IM_ANCHOR] / c[im];
		}
		rounds++;
	}
	if (b->fail != 0) {
		fprintf(stderr, "bench-mac: %llu timed operations failed (%s, burst %u)\n",
			(unsigned long long)b->fail, kind_name[kind], burst);
		exit(1);
	}
	memset(r, 0, sizeof(*r));
	for (int im = 0; im < nim; im++) {
		r->cyc[im] = median(s[im], rounds);
		r->ratio[im] = im == IM_ANCHOR ? 1.0 : median(q[im], rounds);
	}
	check(b, kind, burst, "after timing");
}

static double preimage_cost(struct bench *b, int kind)
{
	double v[64];
	uint64_t min_cyc = (uint64_t)(SLICE_S * b->tsc_hz);

	for (unsigned r = 0; r < 64; r++) {
		uint64_t t0 = __rdtsc(), t1, n = 0;

		do {
			for (unsigned i = 0; i < NMSG; i++) {
				(void)preimage(b, &b->hdr[kind][i], i);
			}
			n += NMSG;
			t1 = __rdtsc();
		} while (t1 - t0 < min_cyc);
		v[r] = (double)(t1 - t0) / (double)n;
	}
	return median(v, 64);
}

/* ---------------------------------------------------------------- main */

static void usage(const char *argv0)
{
	printf("Usage: %s [--time S] [--arch A] [--help]\n"
	       "  --time S    timed seconds per implementation, preimage kind and burst (0.1)\n"
	       "  --arch A    intel-ipsec-mb code path: auto (default: init_mb_mgr_auto), sse,\n"
	       "              avx, avx2, avx512\n"
	       "  --help      this text\n"
	       "Prints TSC cycles per message of SLIM's header MAC (HMAC-SHA256 over\n"
	       "slim_mac_preimage): slim_mac_compute one at a time beside intel-ipsec-mb's\n"
	       "multi-buffer HMAC-SHA256 (job API and hash burst API) in bursts of\n"
	       "1, 8, 16, 32 and 64, and the ratio anchor / multi-buffer. Asserts nothing\n"
	       "about speed; exits 1 if any multi-buffer MAC differs from slim_mac_compute's.\n"
	       "Pin it: taskset -c 1 %s\n",
	       argv0, argv0);
}

static void pin(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1) {
		printf("pinned: CPU %d (by the caller)\n", cpu);
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == 0) {
		printf("pinned: CPU %d (to the one it started on; use taskset to choose)\n", cpu);
	} else {
		printf("pinned: no (%s)\n", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"time", required_argument, NULL, 't'},
		{"arch", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct bench bench;
	struct bench *b = &bench;
	const char *arch = "auto";
	char *jwt, *end;
	int c;

	b->seconds = 0.1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			b->seconds = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(b->seconds > 0 && b->seconds <= 60)) {
				die("--time: seconds in (0, 60]");
			}
			break;
		case 'a':
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "sse") != 0 &&
			    strcmp(optarg, "avx") != 0 && strcmp(optarg, "avx2") != 0 &&
			    strcmp(optarg, "avx512") != 0) {
				die("--arch: auto, sse, avx, avx2 or avx512");
			}
			arch = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			fprintf(stderr, "bench-mac: unknown or incomplete option (try --help)\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bench-mac: unexpected argument %s (try --help)\n", argv[optind]);
		return 2;
	}

	pin();
	b->tsc_hz = perf_tsc_hz();
	if (slim_mac_init(&b->mac, key, link_id, strlen(link_id)) != 0) {
		die("slim_mac_init failed");
	}
	mb_setup(b, arch);
	b->pre = aligned_alloc(64, (size_t)NMSG * PRE_CAP);
	if (b->pre == NULL) {
		die("out of memory");
	}
	jwt = jwt_like(700);
	for (int k = 0; k < NKIND; k++) {
		for (unsigned i = 0; i < NMSG; i++) {
			hdr_fill(&b->hdr[k][i], k, i, jwt);
		}
	}
	/* The hash burst API: used if it completes a burst; otherwise printed as n/a. */
	b->hburst_ok = true;
	b->fail = 0;
	run_hburst(b, 0, 8);
	b->pos[IM_HBURST] = 0;
	if (b->fail != 0) {
		printf("hash burst API: refused (%s); column n/a\n",
		       imb_get_strerror(imb_get_errno(b->mgr)));
		b->hburst_ok = false;
	}

	printf("TSC: %.3f GHz; OpenSSL %s; intel-ipsec-mb %s (header %s), arch %s\n",
	       b->tsc_hz / 1e9, OpenSSL_version(OPENSSL_VERSION_STRING), imb_get_version_str(),
	       IMB_VERSION_STR, b->arch_name);
	printf("link id: %s (%zu bytes); --time %.3g s per cell and implementation\n\n", link_id,
	       strlen(link_id), b->seconds);
	printf("preimages (slim_mac_preimage); with ipad/opad precomputed an HMAC-SHA256 of n bytes\n"
	       "is ceil((n + 9) / 64) + 1 SHA-256 compressions:\n");
	for (int k = 0; k < NKIND; k++) {
		size_t lo_n = SIZE_MAX, hi_n = 0;

		for (unsigned i = 0; i < NMSG; i++) {
			size_t n = preimage(b, &b->hdr[k][i], 0);

			lo_n = n < lo_n ? n : lo_n;
			hi_n = n > hi_n ? n : hi_n;
		}
		printf("  %-11s %zu..%zu bytes (%zu compressions), preimage build alone %.0f c/msg\n",
		       kind_name[k], lo_n, hi_n, (hi_n + 9 + 63) / 64 + 1, preimage_cost(b, k));
	}
	printf("\n| preimage | bytes | burst | c/msg anchor | c/msg mb job | c/msg mb hash-burst "
	       "| ratio job | ratio hash-burst |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	for (int k = 0; k < NKIND; k++) {
		size_t n = preimage(b, &b->hdr[k][NMSG - 1], 0);

		for (int bi = 0; bi < NBURST; bi++) {
			struct result r;

			measure(b, k, bursts[bi], &r);
			printf("| %s | %zu | %u | %.0f | %.0f | ", kind_name[k], n, bursts[bi],
			       r.cyc[IM_ANCHOR], r.cyc[IM_JOB]);
			if (b->hburst_ok) {
				printf("%.0f | %.2f | %.2f |\n", r.cyc[IM_HBURST], r.ratio[IM_JOB],
				       r.ratio[IM_HBURST]);
			} else {
				printf("n/a | %.2f | n/a |\n", r.ratio[IM_JOB]);
			}
			fflush(stdout);
		}
	}
	printf("\nratio = anchor c/msg / multi-buffer c/msg (median over rounds; > 1: multi-buffer "
	       "faster). All multi-buffer MACs equal slim_mac_compute's.\n");
	free(jwt);
	free(b->pre);
	free_mb_mgr(b->mgr);
	slim_mac_cleanup(&b->mac);
	OPENSSL_cleanse(b->ipad, sizeof(b->ipad));
	OPENSSL_cleanse(b->opad, sizeof(b->opad));
	return 0;
}
