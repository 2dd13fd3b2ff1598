/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc_frame.h - gRPC message framing and header values, sans-I/O:
 *   - the length-prefixed message reader, fed body bytes in any pieces;
 *   - grpc-timeout parsing;
 *   - grpc-message percent-encoding and decoding.
 */
#ifndef SB_GRPC_FRAME_H
#define SB_GRPC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grpc_wire.h"

/*
 * A message reader. Messages that arrive whole in one piece are handed
 * out in place (zero-copy); a message split across pieces is gathered in
 * a buffer grown up to |max_msg| bytes.
 */
struct grpc_reader {
	uint32_t max_msg;
	uint8_t prefix[GRPC_PREFIX_LEN];
	uint32_t prefix_got;
	uint32_t need;	  /* length of the message being gathered */
	uint32_t got;	  /* bytes of it gathered */
	bool compressed;
	uint8_t *buf;
	uint32_t cap;
};

/* Called once per complete message; return 0 to go on, < 0 to stop. */
typedef int (*grpc_msg_fn)(void *arg, const uint8_t *msg, size_t len, bool compressed);

/* grpc_prefix_put writes the 5-octet prefix of an uncompressed message of |len| bytes. */
static inline void grpc_prefix_put(uint8_t p[GRPC_PREFIX_LEN], uint32_t len)
{
	p[0] = 0;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
}

/* grpc_reader_init prepares |r| for messages up to |max_msg| bytes. */
void grpc_reader_init(struct grpc_reader *r, uint32_t max_msg);

/* grpc_reader_cleanup frees what |r| holds. */
void grpc_reader_cleanup(struct grpc_reader *r);

/*
 * grpc_reader_feed consumes |n| body bytes, calling |fn| for each complete
 * message. Returns 0, -EMSGSIZE (a message over max_msg: RESOURCE_EXHAUSTED),
 * -EPROTO (a flag byte other than 0 or 1), -ENOMEM, or what |fn| returned.
 */
int grpc_reader_feed(struct grpc_reader *r, const uint8_t *p, size_t n, grpc_msg_fn fn,
		     void *arg) __attribute__((warn_unused_result));

/* grpc_reader_partial says a message is half read (the stream must not end here). */
bool grpc_reader_partial(const struct grpc_reader *r);

/*
 * grpc_timeout_parse reads a grpc-timeout value ("1*8DIGIT unit", unit one
 * of H M S m u n) into milliseconds, rounded up. Returns 0 or -EINVAL.
 */
int grpc_timeout_parse(const char *v, size_t len, uint64_t *ms) __attribute__((warn_unused_result));

/*
 * grpc_message_encode percent-encodes |n| bytes of |msg| into |out| (cap
 * bytes): bytes outside 0x20-0x7E and '%' become %XX. Returns the length,
 * or -ENOSPC.
 */
long grpc_message_encode(const uint8_t *msg, size_t n, char *out, size_t cap);

/* grpc_message_decode undoes it in place (bad escapes are kept as they are); returns the length. */
size_t grpc_message_decode(char *s, size_t n);

#endif
