/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_slim_message.c - SLIM message decoding (protobuf-c, the node's
 * decoder), on untrusted bytes. Whatever decodes and passes slim_msg_valid
 * (as the node requires) must re-encode to bytes
 * that decode to the same encoding again (what the node forwards is stable),
 * its routing header must yield a MAC preimage, and the link checks must
 * give an answer without reading outside the message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "data_plane.pb-c.h"
#include "fuzz.h"
#include "slim_link.h"
#include "slim_mac.h"
#include "slim_msg.h"

static void header(const Dataplane__Proto__V1__SLIMHeader *h)
{
	static uint8_t buf[16384];

	if (h != NULL) {
		long n = slim_mac_preimage("fuzz-link", 9, h, buf, sizeof(buf));

		CHECK(n >= 15 || n == -ENOSPC);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Dataplane__Proto__V1__Message *m = dataplane__proto__v1__message__unpack(NULL, size, data);
	const Dataplane__Proto__V1__LinkNegotiationPayload *lp;
	Dataplane__Proto__V1__Message *again;
	uint8_t *a, *b;
	size_t la, lb;

	if (m == NULL) {
		return 0;
	}
	if (!slim_msg_valid(&m->base)) {
		dataplane__proto__v1__message__free_unpacked(m, NULL); /* the node refuses it */
		return 0;
	}
	la = dataplane__proto__v1__message__get_packed_size(m);
	a = malloc(la + 1);
	CHECK(a != NULL);
	CHECK(dataplane__proto__v1__message__pack(m, a) == la);
	again = dataplane__proto__v1__message__unpack(NULL, la, a);
	CHECK(again != NULL);
	lb = dataplane__proto__v1__message__get_packed_size(again);
	b = malloc(lb + 1);
	CHECK(b != NULL);
	CHECK(dataplane__proto__v1__message__pack(again, b) == lb);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	switch (m->message_type_case) {
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_SUBSCRIBE:
		header(m->subscribe->header);
		break;
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_UNSUBSCRIBE:
		header(m->unsubscribe->header);
		break;
	case DATAPLANE__PROTO__V1__MESSAGE__MESSAGE_TYPE_PUBLISH:
		header(m->publish->header);
		break;
	default:
		break;
	}
	(void)slim_link_check_request(m, &lp);
	(void)slim_link_check_reply(m, "fuzz-link", &lp);
	free(a);
	free(b);
	dataplane__proto__v1__message__free_unpacked(again, NULL);
	dataplane__proto__v1__message__free_unpacked(m, NULL);
	return 0;
}
