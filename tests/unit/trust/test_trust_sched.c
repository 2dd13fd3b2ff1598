/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trust_sched.c - the trust module's rules without I/O
 * (control/trust/ctl_trust_sched.c): who creates the seal group (both
 * sides agree, exactly one creates), the group id and its parse (round
 * trip, refusals), endpoints (IPv4, bracketed IPv6, what is refused) and
 * the control endpoint's default, the retry backoff, every rekey trigger
 * and its precedence, the minimum spacing between rekeys, when a Commit
 * may be delivered and how long send-prev lasts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_trust_sched.h"

static void test_creator(void **state)
{
	(void)state;
	assert_true(ctl_trust_sched_creator("a.example", "b.example"));
	assert_false(ctl_trust_sched_creator("b.example", "a.example"));
	/* Bytewise: a prefix sorts first. */
	assert_true(ctl_trust_sched_creator("partner", "partner.example"));
	assert_false(ctl_trust_sched_creator("partner.example", "partner"));
	/* Equal (a misconfiguration): neither creates. */
	assert_false(ctl_trust_sched_creator("a.example", "a.example"));
	assert_false(ctl_trust_sched_creator(NULL, "a.example"));
}

static void test_group_id(void **state)
{
	char a[CTL_TRUST_GID_MAX + 1], b[CTL_TRUST_GID_MAX + 1];
	char lo[256], hi[256], big[200];
	uint64_t inc = 0;
	int n;

	(void)state;
	n = ctl_trust_sched_group_id("b.example", "a.example", 0x0123456789abcdefull, a, sizeof(a));
	assert_int_equal(n, (int)strlen("sbseal:a.example|b.example:0123456789abcdef"));
	assert_string_equal(a, "sbseal:a.example|b.example:0123456789abcdef");
	/* The same id from either side. */
	assert_int_equal(ctl_trust_sched_group_id("a.example", "b.example", 0x0123456789abcdefull, b,
						  sizeof(b)), n);
	assert_string_equal(a, b);
	assert_true(ctl_trust_sched_is_seal_group((const uint8_t *)a, strlen(a)));
	assert_false(ctl_trust_sched_is_seal_group((const uint8_t *)"sbseal", 6));
	assert_false(ctl_trust_sched_is_seal_group((const uint8_t *)"team-x", 6));
	assert_int_equal(ctl_trust_sched_group_parse(a, strlen(a), lo, hi, sizeof(lo), &inc), 0);
	assert_string_equal(lo, "a.example");
	assert_string_equal(hi, "b.example");
	assert_true(inc == 0x0123456789abcdefull);
	/* Refused to make: equal, empty, separators in a trust domain, too long, no room. */
	assert_int_equal(ctl_trust_sched_group_id("a", "a", 1, a, sizeof(a)), -EINVAL);
	assert_int_equal(ctl_trust_sched_group_id("", "a", 1, a, sizeof(a)), -EINVAL);
	assert_int_equal(ctl_trust_sched_group_id("a|b", "c", 1, a, sizeof(a)), -EINVAL);
	assert_int_equal(ctl_trust_sched_group_id("a:b", "c", 1, a, sizeof(a)), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ctl_trust_sched_group_id(big, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 1,
						  a, sizeof(a)),
			 -ENAMETOOLONG);
	assert_int_equal(ctl_trust_sched_group_id("a.example", "b.example", 1, a, 20), -ENOSPC);
	/* Refused to parse: anything ctl_trust_sched_group_id would not make. */
	static const char *const bad[] = {
		"sbseal:a.example|b.example:0123456789abcde",	/* 15 digits */
		"sbseal:a.example|b.example:0123456789abcdeF",	/* upper case */
		"sbseal:a.example|b.example-0123456789abcdef",	/* no ':' */
		"sbseal:a.exampleb.example:0123456789abcdef",	/* no '|' */
		"sbseal:|b.example:0123456789abcdef",		/* empty low */
		"sbseal:a.example|:0123456789abcdef",		/* empty high */
		"sbseal:b.example|a.example:0123456789abcdef",	/* not in order */
		"sbseal:a.example|a.example:0123456789abcdef",	/* equal */
		"sbseal:a|b|c:0123456789abcdef",		/* two '|' */
		"sbseal:a:x|c:0123456789abcdef",		/* ':' inside */
		"team:a.example|b.example:0123456789abcdef",	/* not ours */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_trust_sched_group_parse(bad[i], strlen(bad[i]), lo, hi,
							     sizeof(lo), NULL),
				 -EINVAL);
	}
	/* A NUL inside is refused; so is a trust domain larger than |cap|. */
	memcpy(a, "sbseal:a\0example|b.example:0123456789abcdef", 44);
	assert_int_equal(ctl_trust_sched_group_parse(a, 44, lo, hi, sizeof(lo), NULL), -EINVAL);
	strcpy(a, "sbseal:a.example|b.example:0123456789abcdef");
	assert_int_equal(ctl_trust_sched_group_parse(a, strlen(a), lo, hi, 5, NULL), -EINVAL);
}

static void test_endpoint(void **state)
{
	struct ctl_trust_addr a;
	char out[96];

	(void)state;
	assert_int_equal(ctl_trust_sched_endpoint("10.1.2.3:46357", &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.addr[0], 10);
	assert_int_equal(a.addr[3], 3);
	assert_int_equal(a.addr[4], 0);
	assert_int_equal(a.port, 46357);
	assert_int_equal(ctl_trust_sched_endpoint("[2001:db8::1]:443", &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.addr[0], 0x20);
	assert_int_equal(a.addr[15], 1);
	assert_int_equal(a.port, 443);
	static const char *const bad[] = {
		"10.1.2.3", "10.1.2.3:", "10.1.2.3:0", "10.1.2.3:65536", "10.1.2.3:+80",
		"10.1.2.3: 80", "10.1.2.3:080", "partner.example:443", "2001:db8::1:443",
		"[2001:db8::1]443", "[10.1.2.3]:80", ":80", "[]:80", "10.1.2.300:80", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_trust_sched_endpoint(bad[i], &a), -EINVAL);
	}
	assert_int_equal(ctl_trust_sched_endpoint(NULL, &a), -EINVAL);
	/* The control API: given, or the endpoint's host at port 50051. */
	assert_int_equal(ctl_trust_sched_control_endpoint("10.1.2.3:46357", NULL, out, sizeof(out)),
			 0);
	assert_string_equal(out, "10.1.2.3:50051");
	assert_int_equal(ctl_trust_sched_control_endpoint("[2001:db8::1]:46357", "", out,
							  sizeof(out)),
			 0);
	assert_string_equal(out, "[2001:db8::1]:50051");
	assert_int_equal(ctl_trust_sched_control_endpoint("10.1.2.3:46357", "127.0.0.1:7000", out,
							  sizeof(out)),
			 0);
	assert_string_equal(out, "127.0.0.1:7000");
	assert_int_equal(ctl_trust_sched_control_endpoint("10.1.2.3:46357", "host:7000", out,
							  sizeof(out)),
			 -EINVAL);
	assert_int_equal(ctl_trust_sched_control_endpoint(NULL, NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(ctl_trust_sched_control_endpoint("10.1.2.3:1", NULL, out, 8), -ENOSPC);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(ctl_trust_sched_backoff_ms(0), 0);
	assert_int_equal(ctl_trust_sched_backoff_ms(1), CTL_TRUST_RETRY_MIN_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(2), 2 * CTL_TRUST_RETRY_MIN_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(3), 4 * CTL_TRUST_RETRY_MIN_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(5), 16 * CTL_TRUST_RETRY_MIN_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(6), CTL_TRUST_RETRY_MAX_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(1000), CTL_TRUST_RETRY_MAX_MS);
	assert_int_equal(ctl_trust_sched_backoff_ms(UINT32_MAX), CTL_TRUST_RETRY_MAX_MS);
}

/* A seal at epoch start 100 000 ms, last rekey then, nothing asking. */
static struct ctl_trust_rekey_in quiet(void)
{
	return (struct ctl_trust_rekey_in){
		.now_ms = 100000 + 10,
		.epoch_ms = 100000,
		.last_rekey_ms = 100000,
		.interval_s = 3600,
		.rekey_messages = 1000,
		.counters = true,
		.sealed_epoch = 10,
		.mls = true,
		.dp_token = 7,
		.epoch_token = 7,
		.rekey_req = 3,
		.rekey_req_seen = 3,
	};
}

static void test_rekey(void **state)
{
	struct ctl_trust_rekey_in in = quiet();

	(void)state;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.now_ms = 100000 + 5000;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);

	/* Interval: at exactly interval_s after the epoch began; never with 0. */
	in = quiet();
	in.now_ms = 100000 + 3600 * 1000 - 1;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.now_ms++;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_INTERVAL);
	in.interval_s = 0;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);

	/* Messages: when the data plane sends with this epoch and has sealed enough. */
	in = quiet();
	in.now_ms = 100000 + 2000;
	in.sealed_epoch = 999;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.sealed_epoch = 1000;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_MESSAGES);
	in.counters = false;	/* the counters are another epoch's */
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.counters = true;
	in.rekey_messages = 0;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);

	/* A new data plane: MLS mode only, and only when one runs. */
	in = quiet();
	in.now_ms = 100000 + 2000;
	in.dp_token = 8;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_DATAPLANE);
	in.mls = false;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.mls = true;
	in.dp_token = 0;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.epoch_token = 0;	/* published before any data plane ran; one runs now */
	in.dp_token = 9;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_DATAPLANE);

	/* The data plane's request counter moved; the peer asked. */
	in = quiet();
	in.now_ms = 100000 + 2000;
	in.rekey_req = 4;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_REQUEST);
	in = quiet();
	in.now_ms = 100000 + 2000;
	in.peer_asked = true;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_PEER);

	/* Precedence: DATAPLANE, REQUEST, PEER, MESSAGES, INTERVAL. */
	in = quiet();
	in.now_ms = 100000 + 3600 * 1000;
	in.sealed_epoch = 5000;
	in.peer_asked = true;
	in.rekey_req = 9;
	in.dp_token = 8;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_DATAPLANE);
	in.dp_token = 7;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_REQUEST);
	in.rekey_req = 3;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_PEER);
	in.peer_asked = false;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_MESSAGES);
	in.sealed_epoch = 0;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_INTERVAL);

	/* Never within CTL_TRUST_REKEY_MIN_MS of the last rekey, whatever asks. */
	in = quiet();
	in.dp_token = 8;
	in.rekey_req = 4;
	in.peer_asked = true;
	in.sealed_epoch = 1 << 20;
	in.interval_s = 1;
	in.now_ms = in.last_rekey_ms + CTL_TRUST_REKEY_MIN_MS - 1;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_NONE);
	in.now_ms++;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_DATAPLANE);
	in.last_rekey_ms = 0;	/* never rekeyed: no spacing */
	in.now_ms = 100000;
	assert_int_equal(ctl_trust_sched_rekey(&in), CTL_TRUST_REKEY_DATAPLANE);

	assert_string_equal(ctl_trust_sched_rekey_name(CTL_TRUST_REKEY_INTERVAL), "interval");
	assert_string_equal(ctl_trust_sched_rekey_name(CTL_TRUST_REKEY_MESSAGES), "messages");
	assert_string_equal(ctl_trust_sched_rekey_name(CTL_TRUST_REKEY_DATAPLANE), "data plane");
	assert_string_equal(ctl_trust_sched_rekey_name(CTL_TRUST_REKEY_PEER), "peer");
	assert_string_equal(ctl_trust_sched_rekey_name(CTL_TRUST_REKEY_NONE), "");
}

static void test_deliver_send_prev(void **state)
{
	(void)state;
	/* No data plane: deliver at once. */
	assert_true(ctl_trust_sched_deliver_now(0, 0, 0));
	/* One that has not acknowledged the publication with the new epoch: wait. */
	assert_false(ctl_trust_sched_deliver_now(5, 6, 0));
	assert_false(ctl_trust_sched_deliver_now(5, 0, 10));	/* not even published yet */
	assert_true(ctl_trust_sched_deliver_now(6, 6, 0));
	assert_true(ctl_trust_sched_deliver_now(7, 6, 0));
	/* ... but not for ever. */
	assert_false(ctl_trust_sched_deliver_now(5, 6, CTL_TRUST_DP_WAIT_MS - 1));
	assert_true(ctl_trust_sched_deliver_now(5, 6, CTL_TRUST_DP_WAIT_MS));

	/* The joiner confirms an epoch only once its data plane has it (or it has none). */
	assert_true(ctl_trust_sched_confirm_now(0, 6));
	assert_false(ctl_trust_sched_confirm_now(5, 6));
	assert_false(ctl_trust_sched_confirm_now(5, 0));	/* not even published yet */
	assert_true(ctl_trust_sched_confirm_now(6, 6));
	assert_true(ctl_trust_sched_confirm_now(7, 6));

	/* Send-prev: until the peer answered and confirmed, or a grace after its answer. */
	assert_true(ctl_trust_sched_send_prev(false, false, 0, 1000000));
	assert_true(ctl_trust_sched_send_prev(false, true, 0, 1000000));	/* confirmed first */
	assert_false(ctl_trust_sched_send_prev(true, true, 5000, 5000));
	assert_true(ctl_trust_sched_send_prev(true, false, 5000, 5000));
	assert_true(ctl_trust_sched_send_prev(true, false, 5000,
					      5000 + CTL_TRUST_SEND_PREV_GRACE_MS - 1));
	assert_false(ctl_trust_sched_send_prev(true, false, 5000,
					       5000 + CTL_TRUST_SEND_PREV_GRACE_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creator),
		cmocka_unit_test(test_group_id),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_deliver_send_prev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
