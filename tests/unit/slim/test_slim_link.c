/* SPDX-License-Identifier: Apache-2.0 */
/* test_slim_link.c - link negotiation checks, key agreement and the header MAC. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "slim_link.h"
#include "slim_mac.h"

static void test_semver(void **state)
{
	(void)state;
	assert_true(slim_semver_ok("2.3.0"));
	assert_true(slim_semver_ok("0.1.0"));
	assert_true(slim_semver_ok("1.0.0-rc.1+build.5"));
	assert_true(slim_semver_ok("10.20.30-alpha-1"));
	assert_false(slim_semver_ok("v2.3.0"));
	assert_false(slim_semver_ok("2.3"));
	assert_false(slim_semver_ok("2.03.0"));
	assert_false(slim_semver_ok("2.3.0-"));
	assert_false(slim_semver_ok("2.3.0+"));
	assert_false(slim_semver_ok("2.3.0-a..b"));
	assert_false(slim_semver_ok(""));
	assert_false(slim_semver_ok(NULL));
}

/* Both ends derive the same key: a MAC made by one verifies at the other. */
static void test_key_agreement_and_mac(void **state)
{
	struct slim_x25519 a, b;
	struct slim_mac ma, mb;
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__Name dst = DATAPLANE__PROTO__V1__NAME__INIT;
	Dataplane__Proto__V1__EncodedName en = DATAPLANE__PROTO__V1__ENCODED_NAME__INIT;
	uint8_t mac[SLIM_MAC_LEN];

	(void)state;
	assert_int_equal(slim_x25519_new(&a), 0);
	assert_int_equal(slim_x25519_new(&b), 0);
	assert_int_equal(slim_link_derive(&a, b.pub, "link-1", &ma), SLIM_LINK_OK);
	assert_int_equal(slim_link_derive(&b, a.pub, "link-1", &mb), SLIM_LINK_OK);
	en.has_component_0 = en.has_component_1 = en.has_component_2 = true;
	en.component_0 = 1;
	en.component_1 = 2;
	en.component_2 = 3;
	dst.name = &en;
	h.destination = &dst;
	h.identity = (char *)"alice";
	h.has_fanout = h.has_ttl = true;
	h.fanout = 1;
	h.ttl = 7;
	assert_int_equal(slim_mac_compute(&ma, &h, mac), 0);
	h.has_header_mac = true;
	h.header_mac.data = mac;
	h.header_mac.len = sizeof(mac);
	assert_true(slim_mac_verify(&mb, &h));
	/* Anything the MAC covers changes it: ttl, identity, a flag. */
	h.ttl = 6;
	assert_false(slim_mac_verify(&mb, &h));
	h.ttl = 7;
	h.has_recv_from = true;
	assert_false(slim_mac_verify(&mb, &h));
	h.has_recv_from = false;
	assert_true(slim_mac_verify(&mb, &h));
	mac[31] ^= 1;
	assert_false(slim_mac_verify(&mb, &h));
	/* Another link id, another key. */
	slim_mac_cleanup(&mb);
	assert_int_equal(slim_link_derive(&b, a.pub, "link-2", &mb), SLIM_LINK_OK);
	mac[31] ^= 1;
	assert_false(slim_mac_verify(&mb, &h));
	slim_mac_cleanup(&ma);
	slim_mac_cleanup(&mb);
	slim_x25519_free(&a);
	slim_x25519_free(&b);
}

/* The preimage, byte for byte as slim.md 2.5 spells it. */
static void test_preimage_bytes(void **state)
{
	Dataplane__Proto__V1__SLIMHeader h = DATAPLANE__PROTO__V1__SLIMHEADER__INIT;
	Dataplane__Proto__V1__Name src = DATAPLANE__PROTO__V1__NAME__INIT;
	Dataplane__Proto__V1__StringName sn = DATAPLANE__PROTO__V1__STRING_NAME__INIT;
	uint8_t buf[256];
	static const uint8_t want[] = {
		'S', 'L', 'I', 'M', '-', 'D', 'P', '-', 'H', 'D', 'R', '-', 'v', '1', 0,
		2, 0, 0, 0, 'L', '1',          /* link id */
		1, 0, 1, 1, 0, 0, 0, 'a', 0, 0, 0, 0, 1, 0, 0, 0, 'c', /* source: strings only */
		0,                             /* no destination */
		1, 0, 0, 0, 'i',               /* identity */
		0, 1, 0, 0,                    /* fanout 256 */
		1, 5, 0, 0, 0, 0, 0, 0, 0,     /* recv_from 5 */
		0,                             /* no forward_to */
		1, 1,                          /* error true */
		3, 0, 0, 0,                    /* ttl */
	};
	long n;

	(void)state;
	sn.str_component_0 = (char *)"a";
	sn.str_component_1 = (char *)"";
	sn.str_component_2 = (char *)"c";
	src.str_name = &sn;
	h.source = &src;
	h.identity = (char *)"i";
	h.has_fanout = true;
	h.fanout = 256;
	h.has_recv_from = true;
	h.recv_from = 5;
	h.has_error = h.error = true;
	h.has_ttl = true;
	h.ttl = 3;
	n = slim_mac_preimage("L1", 2, &h, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(slim_mac_preimage("L1", 2, &h, buf, 10), -ENOSPC);
}

static void test_negotiation_checks(void **state)
{
	Dataplane__Proto__V1__Message m = DATAPLANE__PROTO__V1__MESSAGE__INIT;
	Dataplane__Proto__V1__Link l = DATAPLANE__PROTO__V1__LINK__INIT;
	Dataplane__Proto__V1__LinkNegotiationPayload p =
		DATAPLANE__PROTO__V1__LINK_NEGOTIATION_PAYLOAD__INIT;
	const Dataplane__Proto__V1__LinkNegotiationPayload *out;
	uint8_t key[32] = {9};
	struct slim_link_seen seen;

	(void)state;
	assert_int_equal(slim_link_check_request(NULL, &out), SLIM_LINK_NOT_LINK);
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_NOT_LINK);
	m.message_type_case = DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_LINK;
	m.link = &l;
	l.link_type_case = DATAPLANE__PROTO__V1__LINK__LINK_TYPE_LINK_NEGOTIATION;
	l.link_negotiation = &p;
	p.link_id = (char *)"";
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_BAD_ID);
	p.link_id = (char *)"abc";
	p.slim_version = (char *)"2.x";
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_BAD_VERSION);
	p.slim_version = (char *)"2.3.0";
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_NO_KEY);
	p.has_link_ecdh_public_key = true;
	p.link_ecdh_public_key.data = key;
	p.link_ecdh_public_key.len = 31;
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_NO_KEY);
	p.link_ecdh_public_key.len = 32;
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_OK);
	p.has_is_reply = p.is_reply = true;
	assert_int_equal(slim_link_check_request(&m, &out), SLIM_LINK_WRONG_DIRECTION);
	assert_int_equal(slim_link_check_reply(&m, "abc", &out), SLIM_LINK_OK);
	assert_int_equal(slim_link_check_reply(&m, "abd", &out), SLIM_LINK_ID_MISMATCH);
	memset(&seen, 0, sizeof(seen));
	assert_true(slim_link_seen_add(&seen, "abc"));
	assert_false(slim_link_seen_add(&seen, "abc"));
	assert_true(slim_link_seen_add(&seen, "abd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semver),
		cmocka_unit_test(test_key_agreement_and_mac),
		cmocka_unit_test(test_preimage_bytes),
		cmocka_unit_test(test_negotiation_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
