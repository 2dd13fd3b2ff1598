/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_internal.h - the HTTP/2 connection's inside, shared by h2_conn.c
 * (lifecycle, streams, output), h2_input.c (frame parser and state
 * machine) and h2_hdr.c (HPACK and header validation). Not a public API.
 */
#ifndef SB_H2_INTERNAL_H
#define SB_H2_INTERNAL_H

#include <nghttp2/nghttp2.h>

#include "h2_conn.h"

#define H2_MAX_HEADERS	 128 /* fields in one delivered header list */
#define H2_CLOSED_RING	 256 /* recently closed streams remembered */
#define H2_NO_SLOT	 UINT32_MAX

/* Stream flags. */
#define S_HDR_RECV	0x001 /* the peer's headers (request or final response) arrived */
#define S_HDR_SENT	0x002 /* our headers went out */
#define S_REMOTE_END	0x004 /* END_STREAM received */
#define S_LOCAL_END	0x008 /* END_STREAM queued for output */
#define S_END_PENDING	0x010 /* the app ended the stream; END_STREAM after sndq (and trailers) */
#define S_TRAILERS	0x020 /* trailers wait in trl until sndq is out */
#define S_READY		0x040 /* on the ready list */
#define S_WANT_WRITE	0x080 /* a write was short: |writable| owed */
#define S_PEER		0x100 /* opened by the peer */
#define S_TRL_RECV	0x200 /* the peer's trailers arrived */

struct h2_stream {
	uint32_t sid; /* 0: slot free */
	uint32_t flags;
	int64_t send_window;   /* may go negative after a SETTINGS change (RFC 9113 6.9.2) */
	int64_t recv_window;   /* what the peer may still send us */
	uint32_t recv_unacked; /* consumed, not yet returned by WINDOW_UPDATE */
	int64_t content_length; /* -1: none given */
	uint64_t body_recv;
	uint64_t stall_since_ms; /* data waiting on a zero window since (0: not stalled) */
	void *user;
	struct h2_bq sndq; /* body bytes waiting for window */
	struct h2_bq trl;  /* deferred trailers, as (u32 nlen, u32 vlen, name, value)* */
	uint32_t ready_prev, ready_next;
};

/* Why a stream we no longer hold was closed (RFC 9113 5.1 "closed"). */
enum closed_why {
	CLOSED_ENDED = 1,   /* both END_STREAMs: further frames are STREAM_CLOSED (connection) */
	CLOSED_RESET_US,    /* we sent RST_STREAM: ignore what is still in flight */
	CLOSED_RESET_PEER,  /* the peer reset it: STREAM_CLOSED (stream error) */
};

enum rstate {
	RS_PREFACE,
	RS_HEAD,
	RS_DATA_PADLEN,
	RS_DATA,
	RS_HDR_PADLEN,
	RS_HDR_PRIO,
	RS_HDR_FRAG,
	RS_PADDING,
	RS_CTRL,
	RS_SKIP,
	RS_FAILED,
};

/* The header block being received (HEADERS + CONTINUATION*). */
struct h2_hblock {
	bool active;	    /* CONTINUATION expected (no END_HEADERS yet) */
	uint32_t sid;
	uint32_t slot;	    /* the stream, or H2_NO_SLOT (new stream, or discarded) */
	bool new_stream;    /* a new peer stream: made at END_HEADERS */
	bool discard;	    /* decode (HPACK state) but deliver nothing */
	uint32_t rst_code;  /* a stream error to send at END_HEADERS (0: none) */
	bool final_fed;	    /* the decoder has seen the block's end */
	bool end_stream;
	bool too_large;	    /* over max_header_list (or H2_MAX_HEADERS) */
	uint32_t nb_cont;
	uint32_t comp_bytes;
	uint32_t list_size; /* RFC 9113 6.5.2 size so far */
	uint32_t nb;
	uint32_t used;	    /* bytes of hbuf used */
};

struct h2_conn {
	struct h2_conf conf;
	const struct h2_callbacks *cb;
	void *user;
	struct h2_pool *pool;
	uint64_t now_ms;
	uint64_t stall_scan_ms; /* next look for stalled streams */

	/* Input state (RFC 9113 4.1 framing, read incrementally). */
	enum rstate rs;
	uint32_t preface_got;
	uint8_t head[H2_FRAME_HEAD_LEN];
	uint32_t head_got;
	struct h2_frame_head fh;
	uint32_t rem;	  /* payload bytes left in the current frame */
	uint32_t pad;	  /* padding at its end */
	uint8_t ctrl[16]; /* a small frame's payload (or one SETTINGS entry) */
	uint32_t ctrl_got, ctrl_need;
	uint32_t data_slot; /* stream of the DATA frame being read, or H2_NO_SLOT (ignored) */
	bool data_end;	    /* its END_STREAM flag */
	bool got_settings;  /* the peer's first SETTINGS arrived */
	uint32_t empty_frames;

	/* Header block decoding. */
	nghttp2_hd_inflater *inflater;
	nghttp2_hd_deflater *deflater;
	struct h2_hblock hb;
	char *hbuf;	    /* decoded names and values */
	uint32_t hbuf_len;
	struct h2_header *hv; /* H2_MAX_HEADERS */

	/* Settings. */
	uint32_t peer_max_streams;
	uint32_t peer_initial_window;
	uint32_t peer_max_frame;
	uint32_t peer_header_table;
	bool settings_unacked;
	bool pending_window_set;  /* SETTINGS_INITIAL_WINDOW_SIZE seen in the frame being read */
	uint32_t pending_window;
	uint64_t settings_sent_ms;

	/* Flow control (RFC 9113 6.9). */
	int64_t send_window; /* connection, ours to spend */
	int64_t recv_window; /* connection, what the peer may still send */
	uint32_t recv_unacked;

	/* Streams. */
	struct h2_stream *streams;
	uint32_t nb_slots;
	uint32_t *free_slots;
	uint32_t nb_free;
	uint32_t *map; /* sid -> slot, open addressing, linear probing */
	uint32_t map_mask;
	uint32_t nb_peer_open, nb_local_open;
	uint32_t last_peer_sid;	 /* highest stream id the peer used */
	uint32_t next_local_sid; /* next id we open */
	uint32_t ready_head, ready_tail;
	struct {
		uint32_t sid;
		uint8_t why;
	} closed[H2_CLOSED_RING];
	uint32_t closed_pos;
	uint32_t closed_evicted_max; /* highest id the ring forgot: frames to it are ignored */

	/* GOAWAY. */
	bool goaway_sent, goaway_recv;
	uint32_t goaway_last_sent; /* peer streams above it are ignored */
	uint32_t goaway_last_recv;
	bool failed;

	/* Output. */
	struct h2_bq out;
	uint32_t ctrl_queued; /* ACKs/RSTs since the output was last empty */
	size_t sndq_bytes;    /* all streams' queued body bytes */
	bool pool_starved;    /* a write failed on the pool: |writable| for all who wait */

	/* Rapid reset budget (token bucket, tokens scaled by 1000). */
	uint64_t reset_tokens;
	uint64_t reset_refill_ms;

	struct h2_stats stats;
};

/* h2_conn.c */
struct h2_stream *h2_stream_get(struct h2_conn *c, uint32_t sid);
struct h2_stream *h2_stream_open(struct h2_conn *c, uint32_t sid, bool peer);
void h2_stream_close(struct h2_conn *c, struct h2_stream *s, uint32_t error, uint8_t why);
uint8_t h2_closed_lookup(const struct h2_conn *c, uint32_t sid);
void h2_closed_note(struct h2_conn *c, uint32_t sid, uint8_t why);
int h2_out_frame(struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		 size_t n);
int h2_conn_error(struct h2_conn *c, uint32_t code);
void h2_stream_error(struct h2_conn *c, uint32_t sid, uint32_t code);
void h2_ready_add(struct h2_conn *c, struct h2_stream *s);
void h2_recv_consumed(struct h2_conn *c, uint32_t sid, size_t n);
void h2_apply_peer_window(struct h2_conn *c, uint32_t value);
int h2_out_control(struct h2_conn *c);

static inline uint32_t h2_slot_of(const struct h2_conn *c, const struct h2_stream *s)
{
	return (uint32_t)(s - c->streams);
}

static inline void h2_ctr(struct h2_conn *c, enum h2_counter k)
{
	c->stats.ctr[k]++;
	if (c->conf.totals != NULL) {
		c->conf.totals->ctr[k]++;
	}
}

/* h2_hdr.c */
int h2_hb_feed(struct h2_conn *c, const uint8_t *p, size_t n, bool final);
int h2_hdr_check_request(const struct h2_header *h, uint32_t n, int64_t *content_length);
int h2_hdr_check_response(const struct h2_header *h, uint32_t n, int *status,
			  int64_t *content_length);
int h2_hdr_check_trailers(const struct h2_header *h, uint32_t n);
int h2_encode_block(struct h2_conn *c, uint32_t sid, const struct h2_header *h, uint32_t n,
		    bool end_stream);

/* h2_input.c */
long h2_input(struct h2_conn *c, const uint8_t *in, size_t n);

#endif
