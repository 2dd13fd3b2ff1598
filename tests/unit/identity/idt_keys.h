/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idt_keys.h - test support for tests/unit/identity (test_id_bundle,
 * test_id_jwt): keys generated with libcrypto, exported as JWK JSON, and
 * JWS compact tokens signed over any header and claims text, so the tests
 * can build the malformed tokens a minting library would refuse to make.
 */
#ifndef SB_IDT_KEYS_H
#define SB_IDT_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "id_sig.h"

/* idt_key_gen: RSA 2048 (|bits| 0) or |bits| for RS/PS, the alg's curve for ES. */
EVP_PKEY *idt_key_gen(enum id_alg alg, int bits);

/*
 * idt_jwk writes the public JWK of |key| (RSA: kty n e; EC: kty crv x y at
 * full width) with "use" and "kid" when not NULL, as a JSON object, into
 * |out| (|cap| bytes). Returns the length or -1.
 */
int idt_jwk(const EVP_PKEY *key, const char *kid, const char *use, char *out, size_t cap);

/*
 * idt_sign signs ASCII(b64(|hdr|) "." b64(|claims|)) with |key| under |alg|
 * (ES: raw r||s) and writes the token into |out|. Returns its length or -1.
 */
int idt_sign(enum id_alg alg, EVP_PKEY *key, const char *hdr, const char *claims, char *out,
	     size_t cap);

/* idt_b64 writes b64url(|s|) (a C string) into |out|; the length or -1. */
int idt_b64(const char *s, char *out, size_t cap);

#endif
