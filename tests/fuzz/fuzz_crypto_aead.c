/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_crypto_aead.c - the AEAD engine's open path on untrusted bytes: the
 * nonce, AAD, ciphertext and tag of a sealed message all come off the wire,
 * in mbuf chains cut wherever the NIC and the reassembly left them. Each
 * input is opened on ipsec-mb (the code path the input picks among those
 * the CPU runs) and on OpenSSL; both must give the same status, the same
 * plaintext when the tag matches, an all-zero destination when it does not,
 * and nothing written at all when they refuse the parameters. Then the
 * same bytes are sealed as plaintext on both: the same status, ciphertext
 * and tag; the other backend opens the result back to the input (with
 * another layout), and a flipped tag bit fails with the destination wiped.
 * Every byte around the operation's range (segment headroom and tailroom,
 * the rest of the chain), the nonce, the AAD and an open's tag must be left
 * as they were. Fake mbufs over exact-size allocations, no EAL.
 *
 * Input: a 12-byte header (algorithm, backend code path and layout bits,
 * nonce, tag and AAD lengths, chain cuts, offsets), then the key, nonce,
 * AAD and tag bytes, and the rest is the message. Short inputs read as
 * zeros.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "crypto_aead.h"
#include "fuzz.h"

#define ENG_MAX 5
#define SEG_MAX 4
#define PAT 0xa5		/* what every byte outside an op's range holds */

/* [0]: OpenSSL; then ipsec-mb at every code path the CPU runs. */
static struct crypto_aead_engine *eng[ENG_MAX];
static unsigned int neng;

/* Keys for the current input's key bytes, on every engine (remade when they change). */
static struct crypto_aead_key *keys[ENG_MAX];
static enum crypto_aead_alg key_alg;
static uint8_t key_raw[32];
static bool have_keys;

static void init(void)
{
	static const enum crypto_aead_arch archs[] = {
		CRYPTO_AEAD_ARCH_SSE, CRYPTO_AEAD_ARCH_AVX, CRYPTO_AEAD_ARCH_AVX2,
		CRYPTO_AEAD_ARCH_AVX512,
	};

	if (neng != 0) {
		return;
	}
	eng[0] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_OPENSSL, CRYPTO_AEAD_ARCH_AUTO);
	CHECK(eng[0] != NULL);
	neng = 1;
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (crypto_aead_arch_supported(archs[i])) {
			eng[neng] = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_IPSECMB, archs[i]);
			CHECK(eng[neng] != NULL);
			neng++;
		}
	}
}

static void set_keys(enum crypto_aead_alg alg, const uint8_t *raw)
{
	size_t klen = crypto_aead_key_len(alg);
	struct crypto_aead_usage u;

	if (have_keys) {
		/* A long run on one key would reach its limits: start afresh well before. */
		crypto_aead_key_usage(keys[0], &u);
		if (alg == key_alg && memcmp(raw, key_raw, klen) == 0 &&
		    u.blocks < (UINT64_C(1) << 30) && u.auth_failures < (UINT64_C(1) << 30)) {
			return;
		}
		for (unsigned int i = 0; i < neng; i++) {
			crypto_aead_key_free(keys[i]);
		}
	}
	for (unsigned int i = 0; i < neng; i++) {
		keys[i] = crypto_aead_key_new(eng[i], alg, raw, klen);
		CHECK(keys[i] != NULL);
	}
	key_alg = alg;
	memcpy(key_raw, raw, klen);
	have_keys = true;
}

/* ---- Input ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t rd8(struct reader *r)
{
	if (r->left == 0) {
		return 0;
	}
	r->left--;
	return *r->p++;
}

/* rd_bytes copies |n| bytes (zeros past the end). */
static void rd_bytes(struct reader *r, uint8_t *out, size_t n)
{
	size_t k = n < r->left ? n : r->left;

	memcpy(out, r->p, k);
	memset(out + k, 0, n - k);
	r->p += k;
	r->left -= k;
}

/* Where an op's bytes lie: flat, or a chain cut at up to three points. */
struct layout {
	bool chain;
	bool null_if_empty;	/* flat, 0 bytes: a NULL pointer */
	uint8_t off;		/* chain: bytes before the op's */
	uint8_t ncut;
	uint8_t cut[3];		/* cut points, in 255ths of the chain */
	uint8_t shrink;		/* the chain this much shorter than off + len */
	uint8_t head;		/* headroom per segment */
};

static void rd_layout(struct reader *r, struct layout *l, bool chain, bool may_shrink)
{
	uint8_t b = rd8(r);

	l->chain = chain;
	l->null_if_empty = (b & 0x80) != 0;
	l->ncut = b & 3;
	l->head = (b >> 2) & 7;
	l->off = rd8(r) & 0x3f;
	for (int i = 0; i < 3; i++) {
		l->cut[i] = rd8(r);
	}
	/* One input in 16 gets a chain too short, when it may. */
	l->shrink = may_shrink && (b & 0x60) == 0x60 && (l->off & 0x30) == 0x30 ?
		    (uint8_t)(1 + (l->cut[0] & 7)) : 0;
}

/* ---- Buffers: fake mbufs over exact-size allocations ---- */

struct fbuf {
	struct rte_mbuf m[SEG_MAX];
	struct rte_mbuf msave[SEG_MAX];
	uint8_t *mem[SEG_MAX];
	uint32_t head[SEG_MAX], dlen[SEG_MAX];
	unsigned int nseg;
	bool chain, null_data;
	uint32_t off, len;
};

static void fb_make(struct fbuf *f, const struct layout *l, uint32_t len)
{
	uint32_t total = l->chain ? l->off + len : len, cut[SEG_MAX + 1], x;
	unsigned int i, j;

	memset(f, 0, sizeof(*f));
	f->len = len;
	f->chain = l->chain;
	if (!l->chain) {
		f->nseg = 1;
		f->dlen[0] = len;
		f->null_data = l->null_if_empty && len == 0;
		f->mem[0] = f->null_data ? NULL : malloc(len != 0 ? len : 1);
		CHECK(f->null_data || f->mem[0] != NULL);
		if (!f->null_data) {
			memset(f->mem[0], PAT, len);
		}
		return;
	}
	total -= l->shrink <= total ? l->shrink : total;
	f->off = l->off;
	f->nseg = l->ncut + 1u;
	cut[0] = 0;
	cut[f->nseg] = total;
	for (i = 1; i < f->nseg; i++) {
		cut[i] = (uint32_t)((uint64_t)l->cut[i - 1] * total / 255);
		for (j = i; j > 1 && cut[j - 1] > cut[j]; j--) {
			x = cut[j];
			cut[j] = cut[j - 1];
			cut[j - 1] = x;
		}
	}
	for (i = 0; i < f->nseg; i++) {
		struct rte_mbuf *m = &f->m[i];
		uint32_t size;

		f->dlen[i] = cut[i + 1] - cut[i];
		f->head[i] = l->head * (i + 1) % 11;
		size = f->head[i] + f->dlen[i];
		f->mem[i] = malloc(size != 0 ? size : 1);
		CHECK(f->mem[i] != NULL);
		memset(f->mem[i], PAT, size);
		m->buf_addr = f->mem[i];
		m->buf_len = (uint16_t)size;
		m->data_off = (uint16_t)f->head[i];
		m->data_len = (uint16_t)f->dlen[i];
		m->pkt_len = f->dlen[i];
		m->refcnt = 1;
		m->nb_segs = 1;
		m->port = RTE_MBUF_PORT_INVALID;
		m->next = i + 1 < f->nseg ? &f->m[i + 1] : NULL;
	}
	f->m[0].nb_segs = (uint16_t)f->nseg;
	f->m[0].pkt_len = total;
	memcpy(f->msave, f->m, sizeof(f->m));
}

static void fb_free(struct fbuf *f)
{
	for (unsigned int i = 0; i < f->nseg; i++) {
		free(f->mem[i]);
	}
}

/*
 * fb_range copies |in| into the op's range (or fills it with |fill| when in
 * is NULL), or with |out| copies the range out; returns the bytes the
 * buffer holds of it (less than len on a short chain).
 */
static uint32_t fb_range(struct fbuf *f, const uint8_t *in, int fill, uint8_t *out)
{
	uint32_t pos = 0, done = 0, skip, take;

	for (unsigned int i = 0; i < f->nseg && done < f->len; pos += f->dlen[i], i++) {
		uint8_t *p;

		if (f->mem[i] == NULL || pos + f->dlen[i] <= f->off) {
			continue;
		}
		skip = pos < f->off ? f->off - pos : 0;
		take = f->dlen[i] - skip;
		if (take > f->len - done) {
			take = f->len - done;
		}
		p = f->mem[i] + f->head[i] + skip;
		if (out != NULL) {
			memcpy(out + done, p, take);
		} else if (in != NULL) {
			memcpy(p, in + done, take);
		} else {
			memset(p, fill, take);
		}
		done += take;
	}
	return done;
}

/* fb_outside_ok: every byte outside the op's range is PAT, the mbuf headers as made. */
static bool fb_outside_ok(struct fbuf *f)
{
	fb_range(f, NULL, PAT, NULL);
	for (unsigned int i = 0; i < f->nseg; i++) {
		uint32_t size = f->head[i] + f->dlen[i];

		for (uint32_t j = 0; f->mem[i] != NULL && j < size; j++) {
			if (f->mem[i][j] != PAT) {
				return false;
			}
		}
	}
	return !f->chain || memcmp(f->m, f->msave, sizeof(f->m)) == 0;
}

static void fb_set_buf(struct fbuf *f, struct crypto_aead_buf *b)
{
	if (f->chain) {
		b->m = &f->m[0];
		b->data = NULL;
		b->off = f->off;
	} else {
		b->m = NULL;
		b->data = f->mem[0];
		b->off = 0;
	}
}

/* ---- One operation ---- */

struct params {
	const uint8_t *iv, *aad;
	uint32_t len, aad_len;
	uint16_t iv_len;
	uint8_t tag_len;
	bool oop;
	struct layout src, dst;
};

struct result {
	int status;
	uint8_t *out;		/* the destination range after the op (len bytes) */
	uint8_t tag[256];	/* seal: the tag written */
};

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != v) {
			return false;
		}
	}
	return true;
}

/*
 * run_op runs one seal or open of |in| on engine |ei|, checks everything
 * the status implies about the buffers, and leaves the status, the
 * destination's bytes and the seal's tag in |r|.
 */
static void run_op(unsigned int ei, bool seal, const struct params *p, const uint8_t *in,
		   const uint8_t *tag_in, struct result *r)
{
	uint8_t *iv = malloc(p->iv_len != 0 ? p->iv_len : 1);
	uint8_t *aad = malloc(p->aad_len != 0 ? p->aad_len : 1);
	uint8_t *tag = malloc(p->tag_len != 0 ? p->tag_len : 1);
	uint8_t *src_after = malloc(p->len != 0 ? p->len : 1);
	struct crypto_aead_op op;
	struct fbuf src, dst;
	uint32_t held_d, held_s;
	uint16_t n;

	CHECK(iv != NULL && aad != NULL && tag != NULL && src_after != NULL);
	r->out = malloc(p->len != 0 ? p->len : 1);
	CHECK(r->out != NULL);
	memcpy(iv, p->iv, p->iv_len);
	memcpy(aad, p->aad, p->aad_len);
	if (seal) {
		memset(tag, 0x5a, p->tag_len);
	} else {
		memcpy(tag, tag_in, p->tag_len);
	}
	fb_make(&src, &p->src, p->len);
	fb_range(&src, in, 0, NULL);
	if (p->oop) {
		fb_make(&dst, &p->dst, p->len);
	}
	memset(&op, 0, sizeof(op));
	op.key = keys[ei];
	fb_set_buf(&src, &op.src);
	if (p->oop) {
		fb_set_buf(&dst, &op.dst);
		op.flags = CRYPTO_AEAD_F_OUT_OF_PLACE;
	}
	op.len = p->len;
	op.aad = aad;
	op.aad_len = p->aad_len;
	op.iv = iv;
	op.iv_len = p->iv_len;
	op.tag = tag;
	op.tag_len = p->tag_len;
	if (seal) {
		n = crypto_aead_seal_burst(eng[ei], &op, 1);
	} else {
		n = crypto_aead_open_burst(eng[ei], &op, 1);
	}
	r->status = op.status;
	CHECK(n == (op.status == 0));
	CHECK(op.status == 0 || op.status == -EINVAL || op.status == -ENOBUFS ||
	      (!seal && op.status == -EBADMSG));
	memset(r->out, PAT, p->len);
	held_d = fb_range(p->oop ? &dst : &src, NULL, 0, r->out);
	held_s = fb_range(&src, NULL, 0, src_after);
	if (op.status == -EBADMSG) {
		CHECK(held_d == p->len && all(r->out, p->len, 0));	/* wiped */
	} else if (op.status != 0) {
		/* Refused: nothing written (of what the buffers hold). */
		CHECK(p->oop ? all(r->out, held_d, PAT) : memcmp(r->out, in, held_d) == 0);
	}
	if (p->oop) {
		CHECK(memcmp(src_after, in, held_s) == 0);
		CHECK(fb_outside_ok(&dst));
	}
	CHECK(fb_outside_ok(&src));
	CHECK(memcmp(iv, p->iv, p->iv_len) == 0);
	CHECK(memcmp(aad, p->aad, p->aad_len) == 0);
	if (seal && op.status == 0) {
		memcpy(r->tag, tag, p->tag_len);
	} else {
		CHECK(seal ? all(tag, p->tag_len, 0x5a) : memcmp(tag, tag_in, p->tag_len) == 0);
	}
	fb_free(&src);
	if (p->oop) {
		fb_free(&dst);
	}
	free(iv);
	free(aad);
	free(tag);
	free(src_after);
}

/* The nonce lengths (2 bytes each) an input can name beyond the common 12. */
static const uint16_t iv_lens[] = {
	0, 1, 8, 11, 13, 16, 17, 32, 60, 64, 127, 128, 129, 200, 255, 256, 300, 1024, 1025,
	2000,
};

static const uint8_t tag_lens[] = {4, 8, 12, 13, 14, 15, 16, 0, 1, 3, 5, 7, 9, 11, 17, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader rd = { data, size };
	struct result a, b, c;
	struct params p;
	uint8_t ctl, raw[32], *iv, *aad, tag[32], flipped[32], *msg;
	enum crypto_aead_alg alg;
	unsigned int ie;
	uint8_t v;

	init();
	memset(&p, 0, sizeof(p));
	/* ctl: algorithm (2 bits), ipsec-mb code path (2), out of place, src/dst chained. */
	ctl = rd8(&rd);
	alg = (enum crypto_aead_alg)(ctl & 3);
	ie = neng > 1 ? 1 + ((ctl >> 2) & 3) % (neng - 1) : 0;
	p.oop = (ctl & 0x10) != 0;
	v = rd8(&rd);
	p.iv_len = v < 0xc0 ? CRYPTO_AEAD_NONCE_LEN : iv_lens[v % (sizeof(iv_lens) / 2)];
	v = rd8(&rd);
	p.tag_len = v < 0x80 ? CRYPTO_AEAD_TAG_LEN : tag_lens[v & 15];
	p.aad_len = rd8(&rd);
	p.aad_len = p.aad_len < 0xf0 ? p.aad_len % 81 : (p.aad_len & 15) * 100;
	rd_layout(&rd, &p.src, (ctl & 0x20) != 0, true);
	rd_layout(&rd, &p.dst, (ctl & 0x40) != 0, true);
	rd_bytes(&rd, raw, crypto_aead_key_len(alg));
	iv = malloc(p.iv_len != 0 ? p.iv_len : 1);
	aad = malloc(p.aad_len != 0 ? p.aad_len : 1);
	CHECK(iv != NULL && aad != NULL);
	rd_bytes(&rd, iv, p.iv_len);
	rd_bytes(&rd, aad, p.aad_len);
	rd_bytes(&rd, tag, p.tag_len);
	p.iv = iv;
	p.aad = aad;
	p.len = (uint32_t)rd.left;
	msg = malloc(p.len != 0 ? p.len : 1);
	CHECK(msg != NULL);
	rd_bytes(&rd, msg, p.len);
	set_keys(alg, raw);

	/* The wire's bytes, opened on both backends. */
	run_op(0, false, &p, msg, tag, &a);
	run_op(ie, false, &p, msg, tag, &b);
	CHECK(a.status == b.status);
	CHECK(a.status != 0 || memcmp(a.out, b.out, p.len) == 0);
	free(a.out);
	free(b.out);

	/* The same bytes as plaintext: both seal alike, each opens the other's. */
	run_op(0, true, &p, msg, NULL, &a);
	run_op(ie, true, &p, msg, NULL, &b);
	CHECK(a.status == b.status);
	if (a.status == 0) {
		struct params q = p;

		CHECK(memcmp(a.out, b.out, p.len) == 0);
		CHECK(memcmp(a.tag, b.tag, p.tag_len) == 0);
		/* Opened with the layouts swapped, by the other backend. */
		q.src = p.dst;
		q.dst = p.src;
		q.src.shrink = 0;
		q.dst.shrink = 0;
		run_op(ie, false, &q, a.out, a.tag, &c);
		CHECK(c.status == 0 && memcmp(c.out, msg, p.len) == 0);
		free(c.out);
		run_op(0, false, &q, b.out, b.tag, &c);
		CHECK(c.status == 0 && memcmp(c.out, msg, p.len) == 0);
		free(c.out);
		/* One tag bit off: refused on both, the destination wiped. */
		memcpy(flipped, a.tag, p.tag_len);
		flipped[(ctl ^ p.len) % p.tag_len] ^= (uint8_t)(1u << (p.len % 8));
		run_op(ie, false, &q, a.out, flipped, &c);
		CHECK(c.status == -EBADMSG);
		free(c.out);
		run_op(0, false, &q, a.out, flipped, &c);
		CHECK(c.status == -EBADMSG);
		free(c.out);
	}
	free(a.out);
	free(b.out);
	free(msg);
	free(iv);
	free(aad);
	return 0;
}
