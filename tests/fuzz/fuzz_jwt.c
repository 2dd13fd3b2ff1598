/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jwt.c - libFuzzer harness for dataplane/identity's JWT-SVID
 * validation (id_jwt_verify) on untrusted tokens.
 *
 * The first byte picks one of four fixed bundle sets (built once from the
 * public JWKs below) and the options: the set (bits 0-1), a required trust
 * domain (bit 2), no leeway (bit 3), and the clock (bits 4-5: a fixed
 * time, 0, or the end of time). The rest is the token. id_jwt_verify must
 * answer every input with a reason, never crash or leak; a token it
 * accepts must carry a valid SPIFFE ID of a trust domain the set has
 * keys for, in the required trust domain when there is one.
 *
 * The corpus (tests/fuzz/corpus/jwt) holds tokens signed with the private
 * halves of these keys (exp in 2100; the private keys were not kept), so
 * mutations start past the signature.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "id_bundle.h"
#include "id_jwt.h"
#include "spiffe_id.h"

#define NOW 1700000000ull

#define JWK_RSA "{\"kty\":\"RSA\",\"use\":\"jwt-svid\",\"kid\":\"rsa\",\"e\":\"AQAB\",\"n\":\"" \
	"swTOnWP37FY7YqgFuHr2IAkoFse72YIXP2m5sXgvqoHuDbrNeOuIQ3yzzZePmhvjscA3YGirDOVSANtyf8i5WW" \
	"CRkn1WID_wgerQD9K4XKgGEA_kgs13mOo-rG5dJT4vtQXo35N7DGTHJGUZLlC3B7gYJcsvzoao6t8-NM6utIvX" \
	"lHg9T1kdtPjCD5eEz0uMvb_Y_B9yEPhjlwya5bc50INo5kiUgIiZJ8VB9Ld_FbtfYK2JSZh6vbd8zvO9NgnfJW" \
	"_UXpsnxEaTX7es1aehIQY78dz9YyaTndwkwgK-uEOXxYvJnWJVJN06ewM1CrnswSt3RaWRz8UM8C1Dh6DbAQ\"}"
#define JWK_P256 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"jwt-svid\",\"kid\":\"p256\"," \
	"\"x\":\"imBDGXKVcQS1A0ItScNX28zdy0JQYRULMVym0i2I544\"," \
	"\"y\":\"IgAwIdl460vWYmXOPJEZJuj5B5unNcXmh4MnM7CD4Q8\"}"
#define JWK_P384 "{\"kty\":\"EC\",\"crv\":\"P-384\",\"use\":\"jwt-svid\",\"kid\":\"p384\"," \
	"\"x\":\"HEMIPxhRfYynCGxaADpT0JvU8QO7gum0TERR7kVZBC0mqQyyuqT8VL8t3d2qtjNt\"," \
	"\"y\":\"jK3kRXjoVy1ZxZstUoP9fEWtauP0hOaBo2U55ELN31YG7oSs3NAgXygRm-pUTvrh\"}"
#define JWK_P521 "{\"kty\":\"EC\",\"crv\":\"P-521\",\"use\":\"jwt-svid\",\"kid\":\"p521\"," \
	"\"x\":\"AUXC2y8aGh1OIpL6FuQERdcEqT3Z0or8PpzG6kpKIyj8mf2yhvEJtSAheFF8vOZ56p_gVpMmC0pl2iYg" \
	"MLT301hP\",\"y\":\"Ad8MrAtnq7wuX8BiDwoM98TImJ-_GbwZPzrG_PmB9LLuyFqHtzUDvU-9t_-hR60heNRZg2" \
	"837Ni2ng3hudJOG8W3\"}"
#define JWK_O1 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"jwt-svid\",\"kid\":\"o1\"," \
	"\"x\":\"kmeC7ajITUCckTUuHfyPUtse6FUCS9tD0bm90MoMiAE\"," \
	"\"y\":\"ap3o0keJly98Zv1hs8f7K5HdgcKSDIC5MIXhYFeqmdg\"}"

/* 0: everything; 1: a map, example.org with two keys; 2: trust nothing; 3: empty set */
static const char map_all[] = "{\"trust_domains\":{"
	"\"example.org\":{\"keys\":[" JWK_RSA "," JWK_P256 "," JWK_P384 "," JWK_P521 "]},"
	"\"other.test\":{\"keys\":[" JWK_O1 "]}}}";
static const char map_two[] = "{\"trust_domains\":{"
	"\"example.org\":{\"spiffe_sequence\":2,\"keys\":[" JWK_P256 "," JWK_RSA "]},"
	"\"empty.test\":{\"keys\":[]}}}";
static const char map_none[] = "{\"trust_domains\":{\"example.org\":{\"keys\":[]}}}";

static struct id_bundle_set sets[4];

static void init(void)
{
	static bool done;

	if (done) {
		return;
	}
	done = true;
	CHECK(id_bundle_map_parse((const uint8_t *)map_all, strlen(map_all), &sets[0], NULL, 0) ==
	      0);
	CHECK(sets[0].n == 2 && sets[0].b[0]->n_keys == 4);
	CHECK(id_bundle_map_parse((const uint8_t *)map_two, strlen(map_two), &sets[1], NULL, 0) ==
	      0);
	CHECK(id_bundle_map_parse((const uint8_t *)map_none, strlen(map_none), &sets[2], NULL,
				  0) == 0);
	id_bundle_set_init(&sets[3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t clocks[4] = { NOW, 0, UINT64_MAX, NOW + 86400 };
	struct id_jwt_result res;
	struct id_jwt_opts o;
	struct spiffe_id id;
	enum id_reason r;
	uint8_t sel;

	init();
	if (size == 0) {
		return 0;
	}
	sel = data[0];
	o = (struct id_jwt_opts){
		.audience = "slimbridge",
		.audience_len = 10,
		.trust_domain = (sel & 4) ? "example.org" : NULL,
		.trust_domain_len = (sel & 4) ? 11 : 0,
		.leeway_s = (sel & 8) ? 0 : ID_LEEWAY_DEFAULT_S,
		.now_s = clocks[(sel >> 4) & 3],
	};
	r = id_jwt_verify(&sets[sel & 3], &o, (const char *)data + 1, size - 1, &res);
	CHECK((unsigned)r < ID_R_COUNT);
	CHECK(id_reason_str(r) != NULL && id_reason_name(r) != NULL);
	CHECK(r != ID_R_INTERNAL);
	if (r != ID_R_OK) {
		return 0;
	}
	/* accepted: a trust domain that has keys, a valid ID, consistent result */
	CHECK((sel & 3) < 2);
	CHECK(size - 1 <= ID_TOKEN_MAX);
	CHECK(res.id_len <= SPIFFE_ID_MAX && strlen(res.id) == res.id_len);
	CHECK(spiffe_id_parse(res.id, res.id_len, &id, NULL) == 0);
	CHECK(id.td_len == res.td_len);
	CHECK(id_bundle_set_get(&sets[sel & 3], id.td, id.td_len) != NULL);
	CHECK(!(sel & 4) || (id.td_len == 11 && memcmp(id.td, "example.org", 11) == 0));
	CHECK(res.alg > ID_ALG_NONE && res.alg <= ID_ALG_PS512);
	CHECK(res.exp + o.leeway_s > o.now_s);
	CHECK(strlen(res.kid) <= ID_KID_MAX);
	/* deterministic: the same answer again */
	CHECK(id_jwt_verify(&sets[sel & 3], &o, (const char *)data + 1, size - 1, NULL) == ID_R_OK);
	return 0;
}
