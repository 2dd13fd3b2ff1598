/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_aead.h - the AEAD engine: bursts of seal and open operations on
 * AES-128/192/256-GCM (intel-ipsec-mb, or OpenSSL EVP as the fallback) and
 * ChaCha20-Poly1305 (OpenSSL EVP).
 *
 * Every sealed message and every MLS application message goes through
 * crypto_aead_seal_burst / crypto_aead_open_burst. An operation names a key,
 * a nonce, the AAD, the data (a flat buffer or a chain of mbufs, at an
 * offset), in place or out of place, and a tag; each gets its own status.
 *
 * Objects and threads
 *  - struct crypto_aead_engine: one per lcore, made at start-up
 *    (crypto_aead_engine_new). It owns the backend's state (an ipsec-mb
 *    IMB_MGR, OpenSSL contexts) and the per-lcore counters. The backend is
 *    chosen at run time: ipsec-mb with CPU-feature dispatch (AVX-512 with or
 *    without VAES, AVX2, AVX, SSE) or OpenSSL EVP.
 *  - struct crypto_aead_key: a key expanded once (ipsec-mb's precomputed
 *    GCM key data, or an EVP context with the key schedule set), made for
 *    one engine and used by one lcore at a time: its nonce counter and usage
 *    counts are plain memory. Wiped on free.
 *  Making and freeing engines and keys allocates (slow path). The bursts
 *  never allocate, lock or make system calls.
 *
 * Nonces: how they never repeat for a key
 *  - Sealing with CRYPTO_AEAD_F_NONCE_SEQ makes the engine write the 96-bit
 *    nonce  fixed (4 bytes, big-endian) || counter (8 bytes, big-endian)
 *    into op->iv (RFC 5116 section 3.2, a partially implicit nonce).
 *  - Within a key object the counter only grows (it is the number of seals
 *    made so far) and is never reset or decremented; at its limit the key
 *    refuses to seal (-EKEYEXPIRED). A refused seal (status
 *    -EINVAL, -ENOBUFS, -EKEYEXPIRED) does not consume a value.
 *  - Across lcores: each lcore seals with its own key object whose fixed
 *    field is that lcore's index (crypto_aead_key_set_nonce_seq), so two
 *    lcores holding the same key bytes draw from disjoint nonce spaces.
 *  - Across restarts: the bridge never seals with a key it had before a
 *    restart. crypto_aead_key_derive makes the sealing key with HKDF-SHA-256
 *    from the long-term secret and a 128-bit instance salt that each process
 *    draws from the OS RNG at start-up (crypto_aead_instance_salt); the salt
 *    travels with the messages so the receiver derives the same key. A
 *    restarted process draws a new salt, so its counter starting at zero is
 *    the counter of a key no one has used. (Two instances draw the same
 *    salt with probability 2^-128 per pair.)
 *  - Explicit nonces (no flag: MLS, whose secret tree gives every generation
 *    its own key and nonce, RFC 9420 section 9; the vector runner) are the
 *    caller's responsibility.
 *
 * Usage limits: each algorithm carries a confidentiality limit (16-byte
 * blocks sealed: AES-GCM 2^34, after RFC 8446 section 5.5's 2^24.5 full
 * records) and an integrity limit (failed opens: AES-GCM 2^52, ChaCha20-
 * Poly1305 2^36, RFC 9001 section 6.6), besides the nonce counter (2^64 - 1
 * seals, counters 0 .. 2^64 - 2).
 * Past 3/4 of a limit every successful operation on the key (seal or open)
 * carries CRYPTO_AEAD_OUT_REKEY (ask the peer for a new key); at the limit
 * the key refuses with -EKEYEXPIRED (seals past the confidentiality limit
 * or the counter's, opens past the integrity limit).
 * crypto_aead_key_set_limits lowers them. A GCM open checks the tag_len
 * bytes it is given: a tag truncated by the receiver (to a length GCM
 * takes) still opens, as SP 800-38D defines.
 *
 * Tags are compared in constant time (CRYPTO_memcmp); a failed open wipes
 * whatever it wrote to the destination and counts in auth_failures.
 */
#ifndef SB_CRYPTO_AEAD_H
#define SB_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct crypto_aead_engine;
struct crypto_aead_key;

enum crypto_aead_alg {
	CRYPTO_AEAD_AES_128_GCM,
	CRYPTO_AEAD_AES_192_GCM,
	CRYPTO_AEAD_AES_256_GCM,
	CRYPTO_AEAD_CHACHA20_POLY1305,
	CRYPTO_AEAD_ALG__MAX,
};

enum crypto_aead_backend {
	CRYPTO_AEAD_BACKEND_AUTO,	/* ipsec-mb when the CPU has AES-NI, else OpenSSL */
	CRYPTO_AEAD_BACKEND_IPSECMB,
	CRYPTO_AEAD_BACKEND_OPENSSL,
	CRYPTO_AEAD_BACKEND__MAX,
};

/* ipsec-mb's code paths (ignored by the OpenSSL backend). */
enum crypto_aead_arch {
	CRYPTO_AEAD_ARCH_AUTO,		/* the best this CPU runs */
	CRYPTO_AEAD_ARCH_SSE,
	CRYPTO_AEAD_ARCH_AVX,
	CRYPTO_AEAD_ARCH_AVX2,
	CRYPTO_AEAD_ARCH_AVX512,	/* VAES/VPCLMULQDQ kernels where the CPU has them */
	CRYPTO_AEAD_ARCH__MAX,
};

#define CRYPTO_AEAD_NONCE_LEN 12	/* the nonce of CRYPTO_AEAD_F_NONCE_SEQ, ChaCha20's only size */
#define CRYPTO_AEAD_TAG_LEN 16
#define CRYPTO_AEAD_IV_MAX 1024		/* GCM nonces of 1..1024 bytes (SP 800-38D allows any) */
#define CRYPTO_AEAD_SALT_LEN 16
#define CRYPTO_AEAD_BURST_MAX 64	/* ops handed to the backend at once; bursts may be longer */

/*
 * A flat buffer (m == NULL: data; off is not used) or an mbuf chain (m: the
 * bytes start at byte |off| of the chain's data and may cross segments,
 * empty segments included).
 */
struct crypto_aead_buf {
	struct rte_mbuf *m;
	uint8_t *data;
	uint32_t off;
};

/* op->flags (in) */
#define CRYPTO_AEAD_F_NONCE_SEQ 0x01	/* seal: the key's sequence writes the nonce to iv */
#define CRYPTO_AEAD_F_OUT_OF_PLACE 0x02	/* dst is used; otherwise the result replaces src */

/* op->out (out) */
#define CRYPTO_AEAD_OUT_REKEY 0x01	/* the key passed 3/4 of a usage limit */

/*
 * One seal or open. Seal: src holds |len| bytes of plaintext, the
 * ciphertext (same length) goes to dst (or over src), the tag to |tag|.
 * Open: src holds |len| bytes of ciphertext, |tag| the received tag; the
 * plaintext goes to dst (or over src) and is wiped if the tag is wrong.
 */
struct crypto_aead_op {
	struct crypto_aead_key *key;
	struct crypto_aead_buf src;
	struct crypto_aead_buf dst;
	uint32_t len;
	uint32_t aad_len;
	const uint8_t *aad;
	uint8_t *iv;			/* nonce; written by seal with CRYPTO_AEAD_F_NONCE_SEQ */
	uint8_t *tag;			/* seal: written; open: read */
	uint16_t iv_len;		/* 12 with CRYPTO_AEAD_F_NONCE_SEQ */
	uint8_t tag_len;		/* GCM: 4, 8, 12..16; ChaCha20-Poly1305: 16 */
	uint8_t flags;			/* CRYPTO_AEAD_F_* */
	uint8_t out;			/* CRYPTO_AEAD_OUT_* */
	int32_t status;			/* 0, or see crypto_aead_seal_burst */
	void *user;			/* the caller's, untouched */
};

/* Per-engine counters, summed by whoever reads them. */
struct crypto_aead_stats {
	uint64_t seals, opens;		/* successful operations */
	uint64_t seal_bytes, open_bytes;
	uint64_t auth_failures;		/* opens whose tag did not match */
	uint64_t invalid;		/* refused or failed: -EINVAL, -ENOBUFS, -EIO */
	uint64_t expired;		/* refused: -EKEYEXPIRED */
	uint64_t rekey_advised;		/* operations that carried CRYPTO_AEAD_OUT_REKEY */
	uint64_t bursts;
};

/* Per-key usage and limits. */
struct crypto_aead_usage {
	uint64_t seals;			/* = the next nonce counter value */
	uint64_t blocks;		/* 16-byte blocks sealed (ciphertext and AAD, rounded up) */
	uint64_t auth_failures;
	uint64_t max_seals;		/* the limits in force */
	uint64_t max_blocks;
	uint64_t max_auth_failures;
};

/*
 * crypto_aead_engine_new makes an engine for the calling lcore. |arch|
 * applies to ipsec-mb: AUTO takes the best the CPU runs, and a named arch
 * the CPU lacks is refused. Runs a known-answer test on the chosen
 * backend before returning. Returns NULL with errno: ENOTSUP (backend or
 * arch not available on this CPU), ENOMEM, EIO (the self-test failed).
 * Start-up only.
 */
struct crypto_aead_engine *crypto_aead_engine_new(enum crypto_aead_backend backend,
						  enum crypto_aead_arch arch);

/* crypto_aead_engine_free frees |e| (NULL is fine). Its keys must be freed first. */
void crypto_aead_engine_free(struct crypto_aead_engine *e);

/* crypto_aead_engine_backend returns the backend in use (never AUTO). */
enum crypto_aead_backend crypto_aead_engine_backend(const struct crypto_aead_engine *e);

/* crypto_aead_engine_arch returns ipsec-mb's code path in use (AUTO for OpenSSL). */
enum crypto_aead_arch crypto_aead_engine_arch(const struct crypto_aead_engine *e);

/*
 * crypto_aead_engine_describe writes a one-line description of the engine
 * for logs and telemetry ("ipsec-mb 1.3.0 avx512 (vaes, vpclmulqdq)",
 * "openssl OpenSSL 3.0.x ...") into |buf|; returns |buf|.
 */
const char *crypto_aead_engine_describe(const struct crypto_aead_engine *e, char *buf, size_t len);

/* crypto_aead_engine_stats copies the engine's counters. Any thread; torn reads possible. */
void crypto_aead_engine_stats(const struct crypto_aead_engine *e, struct crypto_aead_stats *out);

/*
 * crypto_aead_arch_supported tells whether this CPU runs ipsec-mb's |arch|
 * (AUTO: whether ipsec-mb runs at all).
 */
bool crypto_aead_arch_supported(enum crypto_aead_arch arch);

/* Names for logs, configuration and telemetry ("aes-256-gcm", "ipsec-mb", "avx2"). */
const char *crypto_aead_alg_name(enum crypto_aead_alg alg);
const char *crypto_aead_backend_name(enum crypto_aead_backend b);
const char *crypto_aead_arch_name(enum crypto_aead_arch a);
/* crypto_aead_backend_parse/arch_parse: the enum for a name, or -EINVAL. */
int crypto_aead_backend_parse(const char *name);
int crypto_aead_arch_parse(const char *name);

/* crypto_aead_key_len returns |alg|'s key length in bytes (16, 24 or 32). */
size_t crypto_aead_key_len(enum crypto_aead_alg alg);

/*
 * crypto_aead_key_new expands |raw| (crypto_aead_key_len(alg) bytes) for
 * use with engine |e| only. The caller may wipe |raw| afterwards. Returns
 * NULL with errno EINVAL (bad length or algorithm) or ENOMEM. Slow path.
 */
struct crypto_aead_key *crypto_aead_key_new(struct crypto_aead_engine *e, enum crypto_aead_alg alg,
					    const uint8_t *raw, size_t raw_len)
	__attribute__((warn_unused_result));

/*
 * crypto_aead_key_derive makes the sealing key of one process instance:
 * HKDF-SHA-256 (RFC 5869) with salt |salt| (CRYPTO_AEAD_SALT_LEN bytes,
 * from crypto_aead_instance_salt), input key |secret| and info
 * "slimbridge aead v1" || alg name || |context|, expanded to the
 * algorithm's key length and then as crypto_aead_key_new. The derived
 * bytes are wiped before returning. Returns NULL with errno EINVAL, ENOMEM
 * or EIO (HKDF failed).
 */
struct crypto_aead_key *crypto_aead_key_derive(struct crypto_aead_engine *e,
					       enum crypto_aead_alg alg,
					       const uint8_t *secret, size_t secret_len,
					       const uint8_t salt[CRYPTO_AEAD_SALT_LEN],
					       const uint8_t *context, size_t context_len)
	__attribute__((warn_unused_result));

/*
 * crypto_aead_instance_salt fills |salt| from the OS RNG (OpenSSL
 * RAND_priv_bytes). Returns 0 or -EIO. Start-up only.
 */
int crypto_aead_instance_salt(uint8_t salt[CRYPTO_AEAD_SALT_LEN]) __attribute__((warn_unused_result));

/*
 * crypto_aead_key_set_nonce_seq gives |k| the nonce sequence
 * fixed || counter (see the top of this file); |fixed| is the sealing
 * lcore's index. May be called once per key, before its first seal.
 * Returns 0, or -EALREADY when the key has a sequence or has sealed.
 */
int crypto_aead_key_set_nonce_seq(struct crypto_aead_key *k, uint32_t fixed)
	__attribute__((warn_unused_result));

/*
 * crypto_aead_key_set_limits lowers |k|'s usage limits (a field of 0 keeps
 * the current limit; a value above the algorithm's limit is refused with
 * -EINVAL). Returns 0 or -EINVAL.
 */
int crypto_aead_key_set_limits(struct crypto_aead_key *k, uint64_t max_seals,
			       uint64_t max_blocks, uint64_t max_auth_failures)
	__attribute__((warn_unused_result));

/* crypto_aead_key_usage copies |k|'s usage and limits. */
void crypto_aead_key_usage(const struct crypto_aead_key *k, struct crypto_aead_usage *out);

/* crypto_aead_key_alg returns |k|'s algorithm. */
enum crypto_aead_alg crypto_aead_key_alg(const struct crypto_aead_key *k);

/*
 * crypto_aead_key_rekey puts the new key |raw| (crypto_aead_key_len bytes
 * of |k|'s algorithm) into |k| in place, for engine |e| (the engine |k| was
 * made for): the expanded key material is replaced and the usage counts
 * start from zero, the limits stay. It allocates nothing, takes no lock and
 * makes no system call: MLS gives every message two fresh keys (RFC 9420
 * sections 6.3 and 9), so the data plane rekeys a per-lcore key object per
 * message. A key with a nonce sequence is refused (-EINVAL): its counter
 * must never start again under the same key bytes. Returns 0, -EINVAL or
 * -EIO (OpenSSL failed; the key is then unusable until a successful rekey).
 */
int crypto_aead_key_rekey(struct crypto_aead_engine *e, struct crypto_aead_key *k,
			  const uint8_t *raw, size_t raw_len) __attribute__((warn_unused_result));

/* crypto_aead_key_free wipes and frees |k| (NULL is fine). */
void crypto_aead_key_free(struct crypto_aead_key *k);

/*
 * crypto_aead_seal_burst seals |n| operations (any number; the backend
 * takes them CRYPTO_AEAD_BURST_MAX at a time) and sets each one's status:
 *   0            sealed;
 *   -EINVAL      bad parameters: a key of another engine, an IV or tag length
 *                the algorithm does not take, a 0-byte nonce, a NULL nonce or
 *                tag, a NULL buffer for a non-zero length (a flat NULL buffer
 *                of length 0 is fine);
 *   -ENOBUFS     the mbuf chain (src or dst) holds fewer than off + len bytes;
 *   -EKEYEXPIRED the key reached a usage limit (nothing was written);
 *   -EIO         the backend failed (OpenSSL returned an error; not expected).
 * Returns the number of operations with status 0. Worker lcores: no
 * allocation, lock or system call.
 */
uint16_t crypto_aead_seal_burst(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n);

/*
 * crypto_aead_open_burst opens |n| operations; statuses as for seal, and
 *   -EBADMSG     the tag did not match: the destination bytes written are
 *                wiped (in place: the ciphertext is lost), auth_failures counts;
 *   -EKEYEXPIRED the key reached its integrity limit (failed opens).
 * Returns the number of operations with status 0.
 */
uint16_t crypto_aead_open_burst(struct crypto_aead_engine *e, struct crypto_aead_op *ops, uint16_t n);

#endif
