/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jwks.c - libFuzzer harness for dataplane/identity's SPIFFE bundle
 * parsers on untrusted JSON: the same bytes as one bundle (id_bundle_parse)
 * and as a bundle map (id_bundle_map_parse).
 *
 * Each must answer with 0, -EBADMSG, -E2BIG or -ENOMEM, never crash or
 * leak. A parsed bundle has at most ID_BUNDLE_MAX_KEYS keys, each with a
 * key, a 1..ID_KID_MAX-byte kid found by id_bundle_find, a type that fits
 * its curve, and no kid twice; parsing again gives the same keys_digest. A
 * parsed map is a set sorted by trust domain in which each one is found; a
 * refused map leaves the set empty.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "id_bundle.h"

static void check_bundle(const struct id_bundle *b)
{
	CHECK(b->n_keys <= ID_BUNDLE_MAX_KEYS);
	CHECK(strlen(b->ignored_why) < sizeof(b->ignored_why));
	CHECK((b->n_ignored == 0) == (b->ignored_why[0] == '\0'));
	for (uint32_t i = 0; i < b->n_keys; i++) {
		const struct id_jwk *k = &b->keys[i];

		CHECK(k->key != NULL);
		CHECK(k->kid_len >= 1 && k->kid_len <= ID_KID_MAX && strlen(k->kid) == k->kid_len);
		CHECK(id_bundle_find(b, k->kid, k->kid_len) == k);
		CHECK(k->kty == ID_KTY_RSA || k->kty == ID_KTY_EC);
		CHECK((k->kty == ID_KTY_EC) == (k->curve_nid != 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct id_bundle_set set;
	struct id_bundle *b = NULL, *again = NULL;
	char err[128];
	int rc;

	rc = id_bundle_parse("example.org", 11, data, size, &b, err, sizeof(err));
	CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
	CHECK((rc == 0) == (b != NULL));
	if (rc == 0) {
		check_bundle(b);
		CHECK(b->td_len == 11 && strcmp(b->td, "example.org") == 0);
		CHECK(id_bundle_parse("example.org", 11, data, size, &again, NULL, 0) == 0);
		CHECK(memcmp(again->keys_digest, b->keys_digest, 32) == 0);
		CHECK(again->n_keys == b->n_keys && again->n_ignored == b->n_ignored);
		id_bundle_free(again);
		id_bundle_free(b);
	} else {
		CHECK(err[0] != '\0');
	}

	rc = id_bundle_map_parse(data, size, &set, err, sizeof(err));
	CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
	if (rc != 0) {
		CHECK(set.n == 0 && err[0] != '\0');
		return 0;
	}
	CHECK(set.n <= ID_BUNDLE_SET_MAX);
	for (uint32_t i = 0; i < set.n; i++) {
		const struct id_bundle *s = set.b[i];

		check_bundle(s);
		CHECK(spiffe_td_check(s->td, s->td_len, NULL) == 0);
		CHECK(id_bundle_set_get(&set, s->td, s->td_len) == s);
		if (i > 0) {
			const struct id_bundle *p = set.b[i - 1];
			size_t n = p->td_len < s->td_len ? p->td_len : s->td_len;
			int c = memcmp(p->td, s->td, n);

			CHECK(c < 0 || (c == 0 && p->td_len < s->td_len));
		}
	}
	id_bundle_set_clear(&set);
	return 0;
}
