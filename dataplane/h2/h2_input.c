/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_input.c - the receiving side of an HTTP/2 connection: the frame
 * parser (RFC 9113 4.1), read incrementally from input in any pieces, and
 * what each frame does to the connection and its streams (RFC 9113 5, 6).
 *
 * The parser is a state machine (enum rstate) that consumes input one
 * step at a time; a step either eats bytes or moves to the next state.
 * DATA payloads are handed to the app as slices of the input; header block
 * fragments go straight into the HPACK decoder; small frames (SETTINGS
 * entries, PING, WINDOW_UPDATE, ...) are gathered in c->ctrl.
 */
#include <errno.h>
#include <string.h>

#include "h2_internal.h"

#define NEED  (-1L) /* no progress without more input */
#define PAUSE (-2L) /* output over out_high: stop at this frame boundary */

static bool peer_parity(const struct h2_conn *c, uint32_t sid)
{
	return (sid & 1) == (c->conf.server ? 1u : 0u);
}

/* RFC 9113 5.1: a stream nobody has opened yet (and that no higher id closed implicitly). */
static bool is_idle(const struct h2_conn *c, uint32_t sid)
{
	if (peer_parity(c, sid)) {
		return sid > c->last_peer_sid;
	}
	return sid >= c->next_local_sid;
}

static long conn_err(struct h2_conn *c, uint32_t code)
{
	(void)h2_conn_error(c, code);
	return 0;
}

static void to_skip(struct h2_conn *c)
{
	c->rs = RS_SKIP;
}

static void want_ctrl(struct h2_conn *c, uint32_t n)
{
	c->ctrl_got = 0;
	c->ctrl_need = n;
	c->rs = RS_CTRL;
}

/* ---- DATA (RFC 9113 6.1) ------------------------------------------------- */

static long data_head(struct h2_conn *c)
{
	const struct h2_frame_head *fh = &c->fh;
	struct h2_stream *s;
	uint8_t why;

	c->data_slot = H2_NO_SLOT;
	c->data_end = (fh->flags & H2_FLAG_END_STREAM) != 0;
	if (fh->sid == 0) {
		return conn_err(c, H2_PROTOCOL_ERROR);
	}
	if ((fh->flags & H2_FLAG_PADDED) && fh->len < 1) {
		return conn_err(c, H2_FRAME_SIZE_ERROR);
	}
	/* 6.9.1: the whole frame counts against the connection window. */
	if ((int64_t)fh->len > c->recv_window) {
		return conn_err(c, H2_FLOW_CONTROL_ERROR);
	}
	c->recv_window -= fh->len;
	if (fh->len == 0 && !c->data_end) {
		if (c->conf.max_empty_frames != 0 && ++c->empty_frames > c->conf.max_empty_frames) {
			h2_ctr(c, H2_CTR_EMPTY_FRAME_FLOOD);
			return conn_err(c, H2_ENHANCE_YOUR_CALM);
		}
	} else {
		c->empty_frames = 0;
	}
	s = h2_stream_get(c, fh->sid);
	if (s == NULL) {
		if (is_idle(c, fh->sid)) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		why = h2_closed_lookup(c, fh->sid);
		if (why == CLOSED_ENDED) {
			return conn_err(c, H2_STREAM_CLOSED);
		}
		if (why == CLOSED_RESET_PEER ||
		    (why == 0 && fh->sid > c->closed_evicted_max)) {
			h2_stream_error(c, fh->sid, H2_STREAM_CLOSED);
		}
		goto ignore; /* reset by us, or forgotten: in flight, ignored (5.1) */
	}
	if (s->flags & S_REMOTE_END) {
		h2_stream_error(c, fh->sid, H2_STREAM_CLOSED); /* half-closed (remote) */
		goto ignore;
	}
	if (!(s->flags & S_HDR_RECV)) {
		h2_stream_error(c, fh->sid, H2_PROTOCOL_ERROR); /* 8.1: DATA before HEADERS */
		goto ignore;
	}
	if ((int64_t)fh->len > s->recv_window) {
		h2_stream_error(c, fh->sid, H2_FLOW_CONTROL_ERROR);
		goto ignore;
	}
	s->recv_window -= fh->len;
	c->data_slot = h2_slot_of(c, s);
	c->rs = (fh->flags & H2_FLAG_PADDED) ? RS_DATA_PADLEN : RS_DATA;
	return 0;

ignore:
	/* Not delivered: the connection window gets it back at once. */
	h2_recv_consumed(c, 0, fh->len);
	c->data_slot = H2_NO_SLOT;
	to_skip(c);
	return 0;
}

static struct h2_stream *data_stream(struct h2_conn *c)
{
	struct h2_stream *s;

	if (c->data_slot == H2_NO_SLOT) {
		return NULL;
	}
	s = &c->streams[c->data_slot];
	if (s->sid != c->fh.sid) {
		c->data_slot = H2_NO_SLOT; /* reset meanwhile (by the app) */
		return NULL;
	}
	return s;
}

/* Deliver |n| body bytes; |end| when they are the stream's last. */
static void deliver(struct h2_conn *c, const uint8_t *p, size_t n, bool end)
{
	struct h2_stream *s = data_stream(c);
	uint32_t sid = c->fh.sid;
	int rc = 0;

	if (s == NULL) {
		h2_recv_consumed(c, 0, n);
		return;
	}
	s->body_recv += n;
	if (s->content_length >= 0 && s->body_recv > (uint64_t)s->content_length) {
		h2_recv_consumed(c, 0, n);
		h2_stream_error(c, sid, H2_PROTOCOL_ERROR);
		c->data_slot = H2_NO_SLOT;
		return;
	}
	if (end && s->content_length >= 0 && s->body_recv != (uint64_t)s->content_length) {
		h2_recv_consumed(c, 0, n);
		h2_stream_error(c, sid, H2_PROTOCOL_ERROR);
		c->data_slot = H2_NO_SLOT;
		return;
	}
	if (end) {
		s->flags |= S_REMOTE_END;
	}
	if (c->cb->on_data != NULL) {
		rc = c->cb->on_data(c, sid, s->user, p, n, end, c->user);
	}
	h2_recv_consumed(c, sid, n);
	s = data_stream(c);
	if (s == NULL) {
		return;
	}
	if (rc < 0) {
		h2_stream_reset(c, sid, H2_INTERNAL_ERROR);
		c->data_slot = H2_NO_SLOT;
		return;
	}
	if (end) {
		c->data_end = false; /* delivered */
		c->data_slot = H2_NO_SLOT;
		if (s->flags & S_LOCAL_END) {
			h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
		}
	}
}

/* ---- HEADERS / CONTINUATION (RFC 9113 6.2, 6.10) ------------------------ */

static long headers_head(struct h2_conn *c)
{
	const struct h2_frame_head *fh = &c->fh;
	struct h2_hblock *hb = &c->hb;
	uint32_t need = ((fh->flags & H2_FLAG_PADDED) ? 1 : 0) + ((fh->flags & H2_FLAG_PRIORITY) ? 5 : 0);
	struct h2_stream *s;

	if (fh->sid == 0) {
		return conn_err(c, H2_PROTOCOL_ERROR);
	}
	if (fh->len < need) {
		return conn_err(c, H2_FRAME_SIZE_ERROR);
	}
	memset(hb, 0, sizeof(*hb));
	hb->sid = fh->sid;
	hb->slot = H2_NO_SLOT;
	hb->end_stream = (fh->flags & H2_FLAG_END_STREAM) != 0;
	hb->comp_bytes = fh->len;
	if (c->conf.max_header_block != 0 && hb->comp_bytes > c->conf.max_header_block) {
		h2_ctr(c, H2_CTR_CONTINUATION_FLOOD);
		return conn_err(c, H2_ENHANCE_YOUR_CALM);
	}
	s = h2_stream_get(c, fh->sid);
	if (s != NULL) {
		hb->slot = h2_slot_of(c, s);
		if (s->flags & S_REMOTE_END) {
			hb->discard = true;
			hb->rst_code = H2_STREAM_CLOSED; /* 5.1 half-closed (remote) */
		}
	} else if (!peer_parity(c, fh->sid)) {
		if (c->conf.server || is_idle(c, fh->sid)) {
			return conn_err(c, H2_PROTOCOL_ERROR); /* 5.1.1: bad stream id */
		}
		{
			uint8_t why = h2_closed_lookup(c, fh->sid);

			if (why != CLOSED_RESET_US &&
			    !(why == 0 && fh->sid <= c->closed_evicted_max)) {
				return conn_err(c, H2_STREAM_CLOSED);
			}
		}
		hb->discard = true;
	} else if (!c->conf.server) {
		return conn_err(c, H2_PROTOCOL_ERROR); /* a server stream without PUSH_PROMISE */
	} else if (fh->sid <= c->last_peer_sid) {
		uint8_t why = h2_closed_lookup(c, fh->sid);

		if (why == CLOSED_ENDED) {
			return conn_err(c, H2_STREAM_CLOSED);
		}
		if (why == 0 && fh->sid > c->closed_evicted_max) {
			return conn_err(c, H2_PROTOCOL_ERROR); /* 5.1.1: ids only grow */
		}
		hb->discard = true;
		if (why == CLOSED_RESET_PEER) {
			hb->rst_code = H2_STREAM_CLOSED;
		}
	} else {
		c->last_peer_sid = fh->sid;
		if (c->goaway_sent && fh->sid > c->goaway_last_sent) {
			hb->discard = true; /* 6.8: after our GOAWAY, new streams are ignored */
		} else if (c->nb_peer_open >= c->conf.max_concurrent_streams || c->nb_free == 0) {
			/* 5.1.2: over the limit we advertised. */
			h2_ctr(c, H2_CTR_REFUSED_STREAMS);
			hb->discard = true;
			hb->rst_code = H2_REFUSED_STREAM;
		} else {
			hb->new_stream = true;
		}
	}
	if (fh->flags & H2_FLAG_PADDED) {
		c->rs = RS_HDR_PADLEN;
	} else if (fh->flags & H2_FLAG_PRIORITY) {
		want_ctrl(c, 5);
		c->rs = RS_HDR_PRIO;
	} else {
		c->rs = RS_HDR_FRAG;
	}
	return 0;
}

static long continuation_head(struct h2_conn *c)
{
	struct h2_hblock *hb = &c->hb;

	if (!hb->active) {
		return conn_err(c, H2_PROTOCOL_ERROR); /* 6.10: no header block open */
	}
	hb->nb_cont++;
	hb->comp_bytes += c->fh.len;
	if ((c->conf.max_continuations != 0 && hb->nb_cont > c->conf.max_continuations) ||
	    (c->conf.max_header_block != 0 && hb->comp_bytes > c->conf.max_header_block)) {
		h2_ctr(c, H2_CTR_CONTINUATION_FLOOD);
		return conn_err(c, H2_ENHANCE_YOUR_CALM);
	}
	c->rs = RS_HDR_FRAG;
	return 0;
}

static int deliver_headers(struct h2_conn *c, struct h2_stream *s, unsigned flags)
{
	uint32_t sid = s->sid;
	int rc = 0;

	if (c->cb->on_headers != NULL) {
		rc = c->cb->on_headers(c, sid, s->user, c->hv, c->hb.nb, flags, c->user);
	}
	if (rc < 0 && h2_stream_get(c, sid) == s) {
		h2_stream_reset(c, sid, H2_INTERNAL_ERROR);
		return -1;
	}
	return h2_stream_get(c, sid) == s ? 0 : -1;
}

/* A server's answer to a request whose header list is over our limit (RFC 9113 10.5.1). */
static void refuse_too_large(struct h2_conn *c, uint32_t sid, bool end_stream)
{
	static const struct h2_header h431[] = {{":status", "431", 7, 3}};
	struct h2_stream *s = h2_stream_open(c, sid, true);

	if (s == NULL) {
		h2_stream_error(c, sid, H2_REFUSED_STREAM);
		return;
	}
	s->flags |= S_HDR_RECV;
	if (h2_encode_block(c, sid, h431, 1, true) < 0) {
		h2_stream_error(c, sid, H2_INTERNAL_ERROR);
		return;
	}
	s->flags |= S_HDR_SENT | S_LOCAL_END;
	if (end_stream) {
		h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
	} else {
		h2_stream_reset(c, sid, H2_NO_ERROR); /* 8.1: the rest of the request is not needed */
	}
}

/* END_HEADERS: the block is decoded; act on it. */
static void hblock_done(struct h2_conn *c)
{
	struct h2_hblock *hb = &c->hb;
	struct h2_stream *s;
	int64_t cl = -1;
	int status = 0;
	unsigned flags = hb->end_stream ? H2_HDR_END_STREAM : 0;

	hb->active = false;
	if (c->failed) {
		return;
	}
	if (hb->rst_code != 0) {
		h2_stream_error(c, hb->sid, hb->rst_code);
		return;
	}
	if (hb->discard) {
		return;
	}
	if (hb->too_large) {
		h2_ctr(c, H2_CTR_HEADER_LIST_TOO_LARGE);
		if (hb->new_stream) {
			refuse_too_large(c, hb->sid, hb->end_stream);
		} else {
			h2_stream_error(c, hb->sid, H2_PROTOCOL_ERROR);
		}
		return;
	}
	if (hb->new_stream) {
		/* A request (server side; clients get no new peer streams). */
		if (h2_hdr_check_request(c->hv, hb->nb, &cl) < 0 ||
		    (hb->end_stream && cl > 0)) {
			h2_stream_error(c, hb->sid, H2_PROTOCOL_ERROR); /* 8.1.1 malformed */
			return;
		}
		s = h2_stream_open(c, hb->sid, true);
		if (s == NULL) {
			h2_stream_error(c, hb->sid, H2_REFUSED_STREAM);
			return;
		}
		h2_ctr(c, H2_CTR_STREAMS_OPENED);
		s->flags |= S_HDR_RECV;
		s->content_length = cl;
		if (hb->end_stream) {
			s->flags |= S_REMOTE_END;
		}
		if (deliver_headers(c, s, flags) == 0 && hb->end_stream && (s->flags & S_LOCAL_END)) {
			h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
		}
		return;
	}
	s = h2_stream_get(c, hb->sid);
	if (s == NULL) {
		return; /* reset while its block was arriving */
	}
	if (s->flags & S_HDR_RECV) {
		/* Trailers (8.1): they end the stream and carry no pseudo-headers. */
		if (!hb->end_stream || h2_hdr_check_trailers(c->hv, hb->nb) < 0) {
			h2_stream_error(c, s->sid, H2_PROTOCOL_ERROR);
			return;
		}
		if (s->content_length >= 0 && s->body_recv != (uint64_t)s->content_length) {
			h2_stream_error(c, s->sid, H2_PROTOCOL_ERROR);
			return;
		}
		s->flags |= S_REMOTE_END | S_TRL_RECV;
		if (deliver_headers(c, s, flags | H2_HDR_TRAILERS) == 0 && (s->flags & S_LOCAL_END)) {
			h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
		}
		return;
	}
	/* A response on a stream we opened. */
	if (h2_hdr_check_response(c->hv, hb->nb, &status, &cl) < 0 ||
	    (status < 200 && hb->end_stream)) {
		h2_stream_error(c, s->sid, H2_PROTOCOL_ERROR);
		return;
	}
	if (status < 200) {
		(void)deliver_headers(c, s, H2_HDR_INFORMATIONAL);
		return;
	}
	s->flags |= S_HDR_RECV;
	if (hb->end_stream) {
		s->flags |= S_REMOTE_END; /* content-length may describe a HEAD or 304 (8.1.1) */
	} else {
		s->content_length = cl;
	}
	if (deliver_headers(c, s, flags) == 0 && hb->end_stream && (s->flags & S_LOCAL_END)) {
		h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
	}
}

/* ---- small frames -------------------------------------------------------- */

static long settings_entry(struct h2_conn *c)
{
	uint16_t id = (uint16_t)(c->ctrl[0] << 8 | c->ctrl[1]);
	uint32_t v = h2_get32(c->ctrl + 2);

	switch (id) {
	case H2_SETTINGS_HEADER_TABLE_SIZE:
		c->peer_header_table = v;
		if (nghttp2_hd_deflate_change_table_size(c->deflater, v) != 0) {
			return conn_err(c, H2_INTERNAL_ERROR);
		}
		break;
	case H2_SETTINGS_ENABLE_PUSH:
		/* 6.5.2: 0 or 1, and a server never enables push. */
		if (v > 1 || (!c->conf.server && v != 0)) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		break;
	case H2_SETTINGS_MAX_CONCURRENT_STREAMS:
		c->peer_max_streams = v;
		break;
	case H2_SETTINGS_INITIAL_WINDOW_SIZE:
		if (v > H2_MAX_WINDOW) {
			return conn_err(c, H2_FLOW_CONTROL_ERROR);
		}
		/* Applied once at the end of the frame: one pass over the streams, not one per entry. */
		c->pending_window = v;
		c->pending_window_set = true;
		break;
	case H2_SETTINGS_MAX_FRAME_SIZE:
		if (v < H2_DEFAULT_FRAME_SIZE || v > H2_MAX_FRAME_SIZE_LIMIT) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		c->peer_max_frame = v;
		break;
	default:
		break; /* MAX_HEADER_LIST_SIZE is advisory; unknown ids are ignored */
	}
	return 0;
}

static void rst_received(struct h2_conn *c, uint32_t code)
{
	struct h2_stream *s = h2_stream_get(c, c->fh.sid);

	h2_ctr(c, H2_CTR_RESETS_RECEIVED);
	if (s == NULL) {
		return; /* closed: 5.1 allows a late RST_STREAM */
	}
	/*
	 * Rapid reset (CVE-2023-44487): a peer that opens and cancels streams
	 * costs us work per stream without ever holding one open. Resets of
	 * streams we have not finished draw from a token bucket.
	 */
	if ((s->flags & S_PEER) && !(s->flags & S_LOCAL_END) && c->conf.reset_burst != 0) {
		uint64_t cap = (uint64_t)c->conf.reset_burst * 1000;

		c->reset_tokens += (c->now_ms - c->reset_refill_ms) * c->conf.reset_rate;
		c->reset_refill_ms = c->now_ms;
		if (c->reset_tokens > cap) {
			c->reset_tokens = cap;
		}
		if (c->reset_tokens < 1000) {
			h2_ctr(c, H2_CTR_RAPID_RESET);
			(void)h2_conn_error(c, H2_ENHANCE_YOUR_CALM);
			return;
		}
		c->reset_tokens -= 1000;
	}
	h2_stream_close(c, s, code, CLOSED_RESET_PEER);
}

static void goaway_received(struct h2_conn *c, uint32_t last, uint32_t code)
{
	c->goaway_recv = true;
	c->goaway_last_recv = last;
	/* 6.8: streams we opened above |last| were not processed; the app may retry them. */
	for (uint32_t i = 0; i < c->nb_slots; i++) {
		struct h2_stream *s = &c->streams[i];

		if (s->sid != 0 && !(s->flags & S_PEER) && s->sid > last) {
			h2_stream_close(c, s, H2_REFUSED_STREAM, CLOSED_RESET_PEER);
		}
	}
	if (c->cb->on_goaway != NULL) {
		c->cb->on_goaway(c, last, code, c->user);
	}
}

static void window_update(struct h2_conn *c, uint32_t inc)
{
	struct h2_stream *s;

	if (c->fh.sid == 0) {
		if (inc == 0) {
			(void)h2_conn_error(c, H2_PROTOCOL_ERROR);
			return;
		}
		if (c->send_window + inc > H2_MAX_WINDOW) {
			(void)h2_conn_error(c, H2_FLOW_CONTROL_ERROR);
			return;
		}
		c->send_window += inc;
		return;
	}
	s = h2_stream_get(c, c->fh.sid);
	if (s == NULL) {
		return; /* closed: 5.1 allows a late WINDOW_UPDATE */
	}
	if (inc == 0) {
		h2_stream_error(c, s->sid, H2_PROTOCOL_ERROR);
		return;
	}
	if (s->send_window + inc > H2_MAX_WINDOW) {
		h2_stream_error(c, s->sid, H2_FLOW_CONTROL_ERROR);
		return;
	}
	s->send_window += inc;
	if (s->sndq.bytes > 0 || (s->flags & S_END_PENDING)) {
		s->stall_since_ms = 0;
		h2_ready_add(c, s);
	}
}

/* The bytes in c->ctrl are complete. */
static long ctrl_done(struct h2_conn *c)
{
	const struct h2_frame_head *fh = &c->fh;

	c->rem -= c->ctrl_need;
	switch (fh->type) {
	case H2_PRIORITY:
		/* 5.3.1: a stream cannot depend on itself; otherwise ignored (RFC 9113 5.3.2). */
		if ((h2_get32(c->ctrl) & H2_STREAM_ID_MAX) == fh->sid) {
			h2_stream_error(c, fh->sid, H2_PROTOCOL_ERROR);
		}
		break;
	case H2_RST_STREAM:
		rst_received(c, h2_get32(c->ctrl));
		break;
	case H2_SETTINGS:
		if (settings_entry(c) != 0 || c->failed) {
			return 0;
		}
		if (c->rem > 0) {
			want_ctrl(c, 6);
			return 0;
		}
		if (c->pending_window_set) {
			c->pending_window_set = false;
			h2_apply_peer_window(c, c->pending_window);
			if (c->failed) {
				return 0;
			}
		}
		c->got_settings = true;
		if (h2_out_frame(c, H2_SETTINGS, H2_FLAG_ACK, 0, NULL, 0) < 0) {
			return conn_err(c, H2_INTERNAL_ERROR);
		}
		(void)h2_out_control(c);
		break;
	case H2_PING:
		if (!(fh->flags & H2_FLAG_ACK)) {
			if (h2_out_frame(c, H2_PING, H2_FLAG_ACK, 0, c->ctrl, 8) < 0) {
				return conn_err(c, H2_INTERNAL_ERROR);
			}
			(void)h2_out_control(c);
		}
		break;
	case H2_GOAWAY:
		goaway_received(c, h2_get32(c->ctrl) & H2_STREAM_ID_MAX, h2_get32(c->ctrl + 4));
		to_skip(c); /* debug data */
		return 0;
	case H2_WINDOW_UPDATE:
		window_update(c, h2_get32(c->ctrl) & H2_MAX_WINDOW);
		break;
	default:
		break;
	}
	if (!c->failed) {
		to_skip(c); /* rem is 0: the frame ends */
	}
	return 0;
}

/* ---- frame header -------------------------------------------------------- */

static long frame_head(struct h2_conn *c)
{
	struct h2_frame_head *fh = &c->fh;

	h2_frame_head_decode(c->head, fh);
	c->rem = fh->len;
	c->pad = 0;
	h2_ctr(c, H2_CTR_FRAMES_IN);
	/* 3.4: the peer's first frame is its SETTINGS. */
	if (!c->got_settings && (fh->type != H2_SETTINGS || (fh->flags & H2_FLAG_ACK))) {
		return conn_err(c, H2_PROTOCOL_ERROR);
	}
	if (fh->len > c->conf.max_frame_size) {
		return conn_err(c, H2_FRAME_SIZE_ERROR); /* 4.2 */
	}
	/* 6.10: nothing may come between a header block's frames. */
	if (c->hb.active && (fh->type != H2_CONTINUATION || fh->sid != c->hb.sid)) {
		return conn_err(c, H2_PROTOCOL_ERROR);
	}
	switch (fh->type) {
	case H2_DATA:
		return data_head(c);
	case H2_HEADERS:
		return headers_head(c);
	case H2_CONTINUATION:
		return continuation_head(c);
	case H2_PRIORITY:
		if (fh->sid == 0) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		if (fh->len != 5) {
			h2_stream_error(c, fh->sid, H2_FRAME_SIZE_ERROR); /* 6.3 */
			to_skip(c);
			return 0;
		}
		want_ctrl(c, 5);
		return 0;
	case H2_RST_STREAM:
		if (fh->sid == 0 || is_idle(c, fh->sid)) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		if (fh->len != 4) {
			return conn_err(c, H2_FRAME_SIZE_ERROR);
		}
		want_ctrl(c, 4);
		return 0;
	case H2_SETTINGS:
		if (fh->sid != 0) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		if (fh->flags & H2_FLAG_ACK) {
			if (fh->len != 0) {
				return conn_err(c, H2_FRAME_SIZE_ERROR);
			}
			if (c->settings_unacked &&
			    nghttp2_hd_inflate_change_table_size(c->inflater,
								 c->conf.header_table_size) != 0) {
				return conn_err(c, H2_INTERNAL_ERROR);
			}
			c->settings_unacked = false;
			to_skip(c);
			return 0;
		}
		if (fh->len % 6 != 0) {
			return conn_err(c, H2_FRAME_SIZE_ERROR);
		}
		if (fh->len == 0) {
			c->ctrl_need = 0;
			c->rs = RS_CTRL;
			c->ctrl_got = 0;
			return 0;
		}
		want_ctrl(c, 6);
		return 0;
	case H2_PUSH_PROMISE:
		/* 8.4: clients cannot push, and we told servers not to (ENABLE_PUSH 0). */
		return conn_err(c, H2_PROTOCOL_ERROR);
	case H2_PING:
		if (fh->sid != 0) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		if (fh->len != 8) {
			return conn_err(c, H2_FRAME_SIZE_ERROR);
		}
		want_ctrl(c, 8);
		return 0;
	case H2_GOAWAY:
		if (fh->sid != 0) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		if (fh->len < 8) {
			return conn_err(c, H2_FRAME_SIZE_ERROR);
		}
		want_ctrl(c, 8);
		return 0;
	case H2_WINDOW_UPDATE:
		if (fh->len != 4) {
			return conn_err(c, H2_FRAME_SIZE_ERROR);
		}
		if (fh->sid != 0 && is_idle(c, fh->sid)) {
			return conn_err(c, H2_PROTOCOL_ERROR);
		}
		want_ctrl(c, 4);
		return 0;
	default:
		to_skip(c); /* 4.1: unknown types are ignored */
		return 0;
	}
}

/* The frame's last byte is in. */
static void frame_end(struct h2_conn *c)
{
	c->rs = RS_HEAD;
	if (c->fh.type == H2_DATA && c->data_slot != H2_NO_SLOT && c->data_end) {
		deliver(c, NULL, 0, true); /* END_STREAM after padding */
	} else if (c->fh.type == H2_HEADERS || c->fh.type == H2_CONTINUATION) {
		if (c->fh.flags & H2_FLAG_END_HEADERS) {
			hblock_done(c);
		} else {
			c->hb.active = true;
		}
	}
	if (c->failed) {
		c->rs = RS_FAILED;
	}
}

/* ---- the state machine --------------------------------------------------- */

static long step(struct h2_conn *c, const uint8_t *p, size_t avail)
{
	size_t k;

	switch (c->rs) {
	case RS_PREFACE:
		if (avail == 0) {
			return NEED;
		}
		k = H2_PREFACE_LEN - c->preface_got;
		k = k < avail ? k : avail;
		if (memcmp(p, &H2_PREFACE[c->preface_got], k) != 0) {
			return conn_err(c, H2_PROTOCOL_ERROR); /* 3.4 */
		}
		c->preface_got += (uint32_t)k;
		if (c->preface_got == H2_PREFACE_LEN) {
			c->rs = RS_HEAD;
		}
		return (long)k;
	case RS_HEAD:
		if (c->head_got == 0 && c->out.bytes >= c->conf.out_high) {
			return PAUSE;
		}
		if (avail == 0) {
			return NEED;
		}
		k = H2_FRAME_HEAD_LEN - c->head_got;
		k = k < avail ? k : avail;
		memcpy(c->head + c->head_got, p, k);
		c->head_got += (uint32_t)k;
		if (c->head_got == H2_FRAME_HEAD_LEN) {
			c->head_got = 0;
			(void)frame_head(c);
		}
		return (long)k;
	case RS_DATA_PADLEN:
	case RS_HDR_PADLEN:
		if (avail == 0) {
			return NEED;
		}
		c->pad = p[0];
		c->rem -= 1;
		if (c->rs == RS_DATA_PADLEN) {
			/* 6.1: padding as long as the payload or longer */
			if (c->pad > c->rem) {
				(void)h2_conn_error(c, H2_PROTOCOL_ERROR);
				return 1;
			}
			/* The pad length octet counts in both windows (6.1, 6.9.1). */
			h2_recv_consumed(c, c->data_slot != H2_NO_SLOT ? c->fh.sid : 0, 1);
			c->rs = RS_DATA;
			return 1;
		}
		if (c->pad > c->rem - ((c->fh.flags & H2_FLAG_PRIORITY) ? 5 : 0)) {
			(void)h2_conn_error(c, H2_PROTOCOL_ERROR); /* 6.2 */
			return 1;
		}
		if (c->fh.flags & H2_FLAG_PRIORITY) {
			want_ctrl(c, 5);
			c->rs = RS_HDR_PRIO;
		} else {
			c->rs = RS_HDR_FRAG;
		}
		return 1;
	case RS_HDR_PRIO:
		if (c->ctrl_got < 5) {
			if (avail == 0) {
				return NEED;
			}
			k = 5 - c->ctrl_got;
			k = k < avail ? k : avail;
			memcpy(c->ctrl + c->ctrl_got, p, k);
			c->ctrl_got += (uint32_t)k;
			return (long)k;
		}
		c->rem -= 5;
		if ((h2_get32(c->ctrl) & H2_STREAM_ID_MAX) == c->fh.sid && c->hb.rst_code == 0) {
			c->hb.rst_code = H2_PROTOCOL_ERROR; /* 5.3.1, after the block is decoded */
			c->hb.discard = true;
		}
		c->rs = RS_HDR_FRAG;
		return 0;
	case RS_HDR_FRAG: {
		uint32_t want = c->rem - c->pad;
		bool last = (c->fh.flags & H2_FLAG_END_HEADERS) != 0;

		if (want == 0) {
			if (last && !c->hb.final_fed) {
				c->hb.final_fed = true;
				if (h2_hb_feed(c, NULL, 0, true) < 0) {
					return 0;
				}
			}
			c->rs = RS_PADDING;
			return 0;
		}
		if (avail == 0) {
			return NEED;
		}
		k = want < avail ? want : avail;
		if (last && k == want) {
			c->hb.final_fed = true;
		}
		if (h2_hb_feed(c, p, k, last && k == want) < 0) {
			return 0;
		}
		c->rem -= (uint32_t)k;
		return (long)k;
	}
	case RS_DATA: {
		uint32_t want = c->rem - c->pad;

		if (want == 0) {
			c->rs = RS_PADDING;
			return 0;
		}
		if (avail == 0) {
			return NEED;
		}
		k = want < avail ? want : avail;
		c->rem -= (uint32_t)k;
		deliver(c, p, k, c->data_end && c->rem == 0);
		return (long)k;
	}
	case RS_PADDING:
	case RS_SKIP:
		if (c->rem == 0) {
			frame_end(c);
			return 0;
		}
		if (avail == 0) {
			return NEED;
		}
		k = c->rem < avail ? c->rem : avail;
		c->rem -= (uint32_t)k;
		if (c->rs == RS_PADDING && c->fh.type == H2_DATA) {
			/* Padding counts in flow control (6.1): give it back to both windows. */
			h2_recv_consumed(c, c->data_slot != H2_NO_SLOT ? c->fh.sid : 0, k);
		}
		return (long)k;
	case RS_CTRL:
		if (c->ctrl_got < c->ctrl_need) {
			if (avail == 0) {
				return NEED;
			}
			k = c->ctrl_need - c->ctrl_got;
			k = k < avail ? k : avail;
			memcpy(c->ctrl + c->ctrl_got, p, k);
			c->ctrl_got += (uint32_t)k;
			return (long)k;
		}
		if (c->ctrl_need == 0) {
			/* An empty SETTINGS frame. */
			c->got_settings = true;
			if (h2_out_frame(c, H2_SETTINGS, H2_FLAG_ACK, 0, NULL, 0) < 0) {
				return conn_err(c, H2_INTERNAL_ERROR);
			}
			(void)h2_out_control(c);
			to_skip(c);
			return 0;
		}
		return ctrl_done(c);
	case RS_FAILED:
	default:
		return 0;
	}
}

long h2_input(struct h2_conn *c, const uint8_t *in, size_t n)
{
	size_t used = 0;

	for (;;) {
		long k;

		if (c->failed) {
			return -EPROTO;
		}
		k = step(c, in + used, n - used);
		if (k == NEED || k == PAUSE) {
			break;
		}
		used += (size_t)k;
	}
	return (long)used;
}
