/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_wire.h - HTTP/2 wire constants (RFC 9113): frame types and flags,
 * settings identifiers, error codes, and the 9-octet frame header.
 *
 * All multi-octet fields are big-endian on the wire; h2_frame_head_encode
 * and h2_frame_head_decode convert. Header-only, no state.
 */
#ifndef SB_H2_WIRE_H
#define SB_H2_WIRE_H

#include <stdint.h>

/* RFC 9113 3.4: the client connection preface. */
#define H2_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

#define H2_FRAME_HEAD_LEN 9

/* RFC 9113 6: frame types. */
enum h2_frame_type {
	H2_DATA = 0x0,
	H2_HEADERS = 0x1,
	H2_PRIORITY = 0x2,
	H2_RST_STREAM = 0x3,
	H2_SETTINGS = 0x4,
	H2_PUSH_PROMISE = 0x5,
	H2_PING = 0x6,
	H2_GOAWAY = 0x7,
	H2_WINDOW_UPDATE = 0x8,
	H2_CONTINUATION = 0x9,
};

/* Frame flags (the meaning depends on the type). */
#define H2_FLAG_END_STREAM  0x01 /* DATA, HEADERS */
#define H2_FLAG_ACK	    0x01 /* SETTINGS, PING */
#define H2_FLAG_END_HEADERS 0x04 /* HEADERS, PUSH_PROMISE, CONTINUATION */
#define H2_FLAG_PADDED	    0x08 /* DATA, HEADERS, PUSH_PROMISE */
#define H2_FLAG_PRIORITY    0x20 /* HEADERS */

/* RFC 9113 6.5.2: settings identifiers. */
enum h2_setting_id {
	H2_SETTINGS_HEADER_TABLE_SIZE = 0x1,
	H2_SETTINGS_ENABLE_PUSH = 0x2,
	H2_SETTINGS_MAX_CONCURRENT_STREAMS = 0x3,
	H2_SETTINGS_INITIAL_WINDOW_SIZE = 0x4,
	H2_SETTINGS_MAX_FRAME_SIZE = 0x5,
	H2_SETTINGS_MAX_HEADER_LIST_SIZE = 0x6,
};

/* RFC 9113 7: error codes. */
enum h2_error {
	H2_NO_ERROR = 0x0,
	H2_PROTOCOL_ERROR = 0x1,
	H2_INTERNAL_ERROR = 0x2,
	H2_FLOW_CONTROL_ERROR = 0x3,
	H2_SETTINGS_TIMEOUT = 0x4,
	H2_STREAM_CLOSED = 0x5,
	H2_FRAME_SIZE_ERROR = 0x6,
	H2_REFUSED_STREAM = 0x7,
	H2_CANCEL = 0x8,
	H2_COMPRESSION_ERROR = 0x9,
	H2_CONNECT_ERROR = 0xa,
	H2_ENHANCE_YOUR_CALM = 0xb,
	H2_INADEQUATE_SECURITY = 0xc,
	H2_HTTP_1_1_REQUIRED = 0xd,
};

/* RFC 9113 6.5.2 defaults and bounds. */
#define H2_DEFAULT_WINDOW	  65535u
#define H2_MAX_WINDOW		  0x7fffffffu
#define H2_DEFAULT_FRAME_SIZE	  16384u
#define H2_MAX_FRAME_SIZE_LIMIT	  16777215u
#define H2_DEFAULT_HEADER_TABLE	  4096u
#define H2_STREAM_ID_MAX	  0x7fffffffu

struct h2_frame_head {
	uint32_t len; /* 24 bits */
	uint8_t type;
	uint8_t flags;
	uint32_t sid; /* 31 bits; the reserved bit is dropped (RFC 9113 4.1) */
};

/* h2_frame_head_decode reads the 9 octets at |p| into |h|. */
static inline void h2_frame_head_decode(const uint8_t *p, struct h2_frame_head *h)
{
	h->len = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	h->type = p[3];
	h->flags = p[4];
	h->sid = ((uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8]) &
		 H2_STREAM_ID_MAX;
}

/* h2_frame_head_encode writes a frame header into the 9 octets at |p|. */
static inline void h2_frame_head_encode(uint8_t *p, uint32_t len, uint8_t type, uint8_t flags,
					uint32_t sid)
{
	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	p[3] = type;
	p[4] = flags;
	p[5] = (uint8_t)(sid >> 24) & 0x7f;
	p[6] = (uint8_t)(sid >> 16);
	p[7] = (uint8_t)(sid >> 8);
	p[8] = (uint8_t)sid;
}

static inline void h2_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t h2_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* h2_error_name returns the RFC name of |code| ("UNKNOWN" for others). */
const char *h2_error_name(uint32_t code);

#endif
