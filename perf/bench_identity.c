/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_identity.c - perf/bench-identity: the data plane's identity check
 * (dataplane/identity/id_cache.h).
 *
 * Cached: identity_verify_burst on bursts of 32 tokens that are all in the
 * cache (checks per second on one core, TSC cycles per check), for working
 * sets of 1, 1000 and 10000 distinct tokens picked at random (one token:
 * its entry stays in L1; 10000 x (64 B entry + 256 B ID) spill out of L2).
 * Each burst's tokens are first copied into one buffer, as they would sit
 * in the messages the worker has just parsed; the copy is not timed. The
 * tokens are real ES256 JWT-SVIDs (about 300 bytes: hashing the token is
 * most of the cost of a hit).
 *
 * Cold: id_jwt_verify (what a miss costs: base64url, two JSON documents,
 * the SPIFFE ID, the signature) per algorithm, in verifications per second,
 * beside `openssl speed -elapsed` for the bare signature verification of the
 * same algorithm in the same run (RS and PS both against rsa2048: openssl
 * speed has no PSS). The ratio column is ours / openssl's: how close a whole
 * token check comes to its signature alone.
 *
 *   bench-identity [--time SECONDS] [--entries N] [--only cached|cold]
 *                  [--no-openssl]
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
#include <time.h>

#include <openssl/evp.h>

#include "id_cache.h"
#include "id_jwt.h"
#include "id_mint.h"
#include "perf_util.h"

#define BURST 32
#define TD "partner.example"
#define AUD "spiffe://acme.example/bridge"
#define TOKEN_CAP 4096

static double opt_time = 1.0;
static uint32_t opt_entries = 65536;
static const char *opt_only;
static bool opt_openssl = true;

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-identity [--time SECONDS] [--entries N] [--only cached|cold] "
		   "[--no-openssl]\n"
		   "  cached identity checks per second (bursts of 32) and cold JWT-SVID\n"
		   "  verifications per second per algorithm beside `openssl speed`.\n");
}

static struct id_bundle_set *one_bundle(EVP_PKEY *const *keys, const char *const *kids,
					uint32_t n)
{
	struct id_bundle_set *s = calloc(1, sizeof(*s));
	struct id_bundle *b = id_mint_bundle(TD, keys, kids, n, 0);

	if (s == NULL || b == NULL) {
		fprintf(stderr, "bench-identity: out of memory\n");
		exit(1);
	}
	id_bundle_set_init(s);
	if (id_bundle_set_put(s, b) < 0) {
		exit(1);
	}
	return s;
}

static void bench_cached(double tsc_hz)
{
	static const uint32_t sets[] = { 1, 1000, 10000 };
	EVP_PKEY *key = id_mint_key(ID_ALG_ES256);
	const char *kid = "k1";
	struct id_bundle_set *bs = one_bundle(&key, &kid, 1);
	uint64_t now = (uint64_t)time(NULL);
	uint32_t max_set = sets[sizeof(sets) / sizeof(sets[0]) - 1];
	char (*toks)[TOKEN_CAP] = malloc((size_t)max_set * TOKEN_CAP);
	uint32_t *lens = malloc(max_set * sizeof(uint32_t));

	if (key == NULL || toks == NULL || lens == NULL) {
		fprintf(stderr, "bench-identity: set-up failed\n");
		exit(1);
	}
	for (uint32_t i = 0; i < max_set; i++) {
		char sub[128];
		int n;

		snprintf(sub, sizeof(sub), "spiffe://" TD "/ns/sales/agent/agent-%05u", i);
		n = id_mint_token(ID_ALG_ES256, key, kid, sub, AUD, now + 3600, NULL, toks[i],
				  TOKEN_CAP);
		if (n < 0) {
			fprintf(stderr, "bench-identity: minting failed\n");
			exit(1);
		}
		lens[i] = (uint32_t)n;
	}
	printf("cached identity checks, bursts of %d, ES256 tokens of %u bytes, cache %u entries\n",
	       BURST, lens[0], opt_entries);
	printf("  %-10s %14s %12s %10s\n", "tokens", "checks/s", "cycles/check", "hit rate");
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		uint32_t nt = sets[s];
		struct id_cache *c = id_cache_new(&(struct id_cache_conf){ .entries = opt_entries,
			.neg_entries = 1024, .max_cold = BURST, .leeway_s = 60, .audience = AUD },
			0x9e3779b97f4a7c15ULL);
		const char *tp[BURST];
		uint32_t tl[BURST];
		static char hot[BURST][TOKEN_CAP / 4];
		uint64_t rng = 0x2545f4914f6cdd1dULL;
		struct id_verdict v[BURST];
		struct id_cache_stats st;
		uint64_t checks = 0, cyc = 0;
		double t0;

		if (c == NULL) {
			fprintf(stderr, "bench-identity: id_cache_new: %s\n", strerror(errno));
			exit(1);
		}
		id_cache_set_bundles(c, bs);
		/* warm: every token verified once (the cold path) */
		for (uint32_t i = 0; i < nt; i += BURST) {
			uint16_t n = (uint16_t)(nt - i < BURST ? nt - i : BURST);

			for (uint16_t k = 0; k < n; k++) {
				tp[k] = toks[i + k];
				tl[k] = lens[i + k];
			}
			(void)identity_verify_burst(c, tp, tl, n, now, v);
		}
		id_cache_get_stats(c, &st);
		{
			uint64_t base_hits = st.hits;

			t0 = perf_now_s();
			while (perf_now_s() - t0 < opt_time) {
				for (int rep = 0; rep < 64; rep++) {
					uint64_t c0;

					for (int k = 0; k < BURST; k++) {
						uint32_t i;

						rng ^= rng << 13;
						rng ^= rng >> 7;
						rng ^= rng << 17;
						i = (uint32_t)(rng % nt);
						memcpy(hot[k], toks[i], lens[i]);
						tp[k] = hot[k];
						tl[k] = lens[i];
					}
					c0 = __rdtsc();
					(void)identity_verify_burst(c, tp, tl, BURST, now, v);
					cyc += __rdtsc() - c0;
					checks += BURST;
				}
			}
			id_cache_get_stats(c, &st);
			printf("  %-10u %14.0f %12.1f %9.1f%%\n", nt,
			       (double)checks / ((double)cyc / tsc_hz), (double)cyc / (double)checks,
			       100.0 * (double)(st.hits - base_hits) / (double)checks);
		}
		id_cache_free(c);
	}
	printf("  (goal: >= 20 M cached checks/s per core; cycles at %.2f GHz TSC)\n", tsc_hz / 1e9);
	free(toks);
	free(lens);
	id_bundle_set_clear(bs);
	free(bs);
	EVP_PKEY_free(key);
}

/* openssl speed's verify/s for |what| (rsa2048, ecdsap256 ...), or 0. */
static double openssl_verify_per_s(const char *what)
{
	char cmd[256], line[512];
	double best = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl speed -elapsed -seconds %d %s 2>/dev/null",
		 opt_time < 1.0 ? 1 : (int)opt_time, what);
	p = popen(cmd, "r");
	if (p == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), p) != NULL) {
		double a, b, sign_s, verify_s;
		const char *at = strrchr(line, ')');

		/* "rsa 2048 bits 0.002320s 0.000074s    431.0  13485.1" and
		 * " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40637.4  13458.5" */
		if (at == NULL) {
			at = strstr(line, "bits");
			at = at != NULL ? at + 4 : NULL;
		} else {
			at++;
		}
		if (at != NULL && sscanf(at, "%lfs %lfs %lf %lf", &a, &b, &sign_s, &verify_s) == 4) {
			best = verify_s;
		}
	}
	pclose(p);
	return best;
}

static void bench_cold(void)
{
	static const struct {
		enum id_alg alg;
		const char *speed;
	} algs[] = {
		{ ID_ALG_RS256, "rsa2048" }, { ID_ALG_RS384, "rsa2048" }, { ID_ALG_RS512, "rsa2048" },
		{ ID_ALG_PS256, "rsa2048" }, { ID_ALG_PS384, "rsa2048" }, { ID_ALG_PS512, "rsa2048" },
		{ ID_ALG_ES256, "ecdsap256" }, { ID_ALG_ES384, "ecdsap384" },
		{ ID_ALG_ES512, "ecdsap521" },
	};
	double rsa = -1, p256 = -1, p384 = -1, p521 = -1;
	uint64_t now = (uint64_t)time(NULL);

	printf("cold JWT-SVID verifications (id_jwt_verify: a cache miss), one core\n");
	printf("  %-6s %12s %12s %18s %8s\n", "alg", "token bytes", "verify/s", "openssl verify/s",
	       "ratio");
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		EVP_PKEY *key = id_mint_key(algs[a].alg);
		const char *kid = "k1";
		struct id_bundle_set *bs = one_bundle(&key, &kid, 1);
		struct id_jwt_opts o = { .audience = AUD, .audience_len = strlen(AUD),
					 .leeway_s = 60, .now_s = now };
		char tok[TOKEN_CAP];
		int len = id_mint_token(algs[a].alg, key, kid, "spiffe://" TD "/ns/sales/agent/a1", AUD,
					now + 3600, NULL, tok, sizeof(tok));
		uint64_t n = 0;
		double t0, dt, ref = 0, *cachep;

		if (len < 0 || id_jwt_verify(bs, &o, tok, (size_t)len, NULL) != ID_R_OK) {
			fprintf(stderr, "bench-identity: %s token does not verify\n",
				id_alg_name(algs[a].alg));
			exit(1);
		}
		t0 = perf_now_s();
		do {
			for (int k = 0; k < 16; k++) {
				(void)id_jwt_verify(bs, &o, tok, (size_t)len, NULL);
			}
			n += 16;
			dt = perf_now_s() - t0;
		} while (dt < opt_time);
		if (opt_openssl) {
			cachep = strcmp(algs[a].speed, "rsa2048") == 0 ? &rsa
				 : strcmp(algs[a].speed, "ecdsap256") == 0 ? &p256
				 : strcmp(algs[a].speed, "ecdsap384") == 0 ? &p384 : &p521;
			if (*cachep < 0) {
				*cachep = openssl_verify_per_s(algs[a].speed);
			}
			ref = *cachep;
		}
		if (ref > 0) {
			printf("  %-6s %12d %12.0f %12.0f %-5s %7.2fx\n", id_alg_name(algs[a].alg), len,
			       (double)n / dt, ref, algs[a].speed + (algs[a].speed[0] == 'e' ? 5 : 0),
			       (double)n / dt / ref);
		} else {
			printf("  %-6s %12d %12.0f %18s %8s\n", id_alg_name(algs[a].alg), len,
			       (double)n / dt, "-", "-");
		}
		id_bundle_set_clear(bs);
		free(bs);
		EVP_PKEY_free(key);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "time", required_argument, NULL, 't' },
		{ "entries", required_argument, NULL, 'e' },
		{ "only", required_argument, NULL, 'o' },
		{ "no-openssl", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 't':
			opt_time = strtod(optarg, NULL);
			if (!(opt_time > 0 && opt_time <= 60)) {
				fprintf(stderr, "bench-identity: --time takes 0 < SECONDS <= 60\n");
				return 2;
			}
			break;
		case 'e':
			opt_entries = (uint32_t)strtoul(optarg, NULL, 10);
			if (opt_entries < 64 || opt_entries > (1u << 24)) {
				fprintf(stderr, "bench-identity: --entries takes 64 .. 16777216\n");
				return 2;
			}
			break;
		case 'o':
			opt_only = optarg;
			if (strcmp(optarg, "cached") != 0 && strcmp(optarg, "cold") != 0) {
				fprintf(stderr, "bench-identity: --only takes cached or cold\n");
				return 2;
			}
			break;
		case 'n':
			opt_openssl = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (opt_only == NULL || strcmp(opt_only, "cached") == 0) {
		bench_cached(perf_tsc_hz());
	}
	if (opt_only == NULL || strcmp(opt_only, "cold") == 0) {
		bench_cold();
	}
	return 0;
}
