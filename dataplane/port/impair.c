/* SPDX-License-Identifier: Apache-2.0 */
#include "impair.h"

#include <rte_mbuf.h>

#include "conf/conf.h"

static uint32_t scale(double p)
{
	if (p <= 0.0) {
		return 0;
	}
	if (p >= 1.0) {
		return UINT32_MAX;
	}
	return (uint32_t)(p * 4294967296.0);
}

/* splitmix64 turns (seed, stream) into a well-mixed non-zero state. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void impair_init(struct impair *im, const struct conf_impair *c, uint64_t stream_id)
{
	*im = (struct impair){0};
	im->enabled = c->enabled;
	im->p_drop = scale(c->drop);
	im->p_dup = scale(c->duplicate);
	im->p_reorder = scale(c->reorder);
	im->rng = mix(c->seed ^ mix(stream_id)) | 1;
}

static uint32_t next32(struct impair *im)
{
	/* xorshift64* (Vigna) */
	im->rng ^= im->rng >> 12;
	im->rng ^= im->rng << 25;
	im->rng ^= im->rng >> 27;
	return (uint32_t)((im->rng * 0x2545f4914f6cdd1dull) >> 32);
}

enum impair_action impair_decide(struct impair *im)
{
	/* One draw per test so the three rates are independent of each other. */
	if (im->p_drop != 0 && next32(im) < im->p_drop) {
		return IMPAIR_DROP;
	}
	if (im->p_dup != 0 && next32(im) < im->p_dup) {
		return IMPAIR_DUPLICATE;
	}
	if (im->p_reorder != 0 && next32(im) < im->p_reorder) {
		return IMPAIR_REORDER;
	}
	return IMPAIR_PASS;
}

uint16_t impair_burst(struct impair *im, struct rte_mbuf **pkts, uint16_t n, uint16_t cap,
		      uint64_t now)
{
	struct rte_mbuf *out[IMPAIR_BURST_MAX];
	uint16_t nout = 0;

	if (n > RTE_DIM(out)) {
		return n;
	}
	if (cap > RTE_DIM(out)) {
		cap = RTE_DIM(out);
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *dup;

		switch (impair_decide(im)) {
		case IMPAIR_DROP:
			rte_pktmbuf_free(m);
			im->dropped++;
			continue;
		case IMPAIR_DUPLICATE:
			out[nout++] = m;
			/* Room for the copy, every packet still to come and a held one? */
			if (nout + 1 + (n - i - 1) + (im->held != NULL) > cap) {
				break;
			}
			dup = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (dup != NULL) {
				out[nout++] = dup;
				im->duplicated++;
			}
			break;
		case IMPAIR_REORDER:
			if (im->held == NULL) {
				im->held = m;
				im->held_since = now;
				im->reordered++;
				continue;
			}
			out[nout++] = m;
			break;
		case IMPAIR_PASS:
			out[nout++] = m;
			break;
		}
		/* A held packet goes out right after the packet that overtook it. */
		if (im->held != NULL && out[nout - 1] != im->held && nout + 1 + (n - i - 1) <= cap) {
			out[nout++] = im->held;
			im->held = NULL;
		}
	}
	memcpy(pkts, out, nout * sizeof(pkts[0]));
	return nout;
}

struct rte_mbuf *impair_flush(struct impair *im, uint64_t now, uint64_t hold_tsc)
{
	struct rte_mbuf *m = im->held;

	if (m == NULL || (int64_t)(now - im->held_since) < (int64_t)hold_tsc) {
		return NULL;
	}
	im->held = NULL;
	return m;
}

void impair_release(struct impair *im)
{
	rte_pktmbuf_free(im->held);
	im->held = NULL;
}
