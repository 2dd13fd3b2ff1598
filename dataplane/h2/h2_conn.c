/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h2_conn.c - HTTP/2 connection lifecycle, streams, flow control and output
 * scheduling (h2_conn.h). Frame parsing is in h2_input.c, HPACK and header
 * rules in h2_hdr.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "h2_internal.h"

static const char *const ctr_names[H2_CTR_MAX][2] = {
#define _(n, d) {#n, d},
	foreach_h2_counter
#undef _
};

const char *h2_counter_name(enum h2_counter k, const char **desc)
{
	if ((unsigned)k >= H2_CTR_MAX) {
		return NULL;
	}
	if (desc != NULL) {
		*desc = ctr_names[k][1];
	}
	return ctr_names[k][0];
}

const char *h2_error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR",	  "PROTOCOL_ERROR",	"INTERNAL_ERROR",    "FLOW_CONTROL_ERROR",
		"SETTINGS_TIMEOUT", "STREAM_CLOSED",	"FRAME_SIZE_ERROR",  "REFUSED_STREAM",
		"CANCEL",	  "COMPRESSION_ERROR", "CONNECT_ERROR",	    "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "UNKNOWN";
}

void h2_conf_default(struct h2_conf *c, bool server)
{
	memset(c, 0, sizeof(*c));
	c->server = server;
	c->max_concurrent_streams = 100;
	c->initial_window = 1u << 20;
	c->conn_window = 16u << 20;
	c->max_frame_size = H2_DEFAULT_FRAME_SIZE;
	c->max_header_list = 16384;
	c->header_table_size = H2_DEFAULT_HEADER_TABLE;
	c->max_streams_local = 100;
	c->stream_buf_max = 256u << 10;
	c->conn_buf_max = 1u << 20;
	c->out_high = 256u << 10;
	c->settings_timeout_ms = 10000;
	c->stall_timeout_ms = 30000;
	c->reset_burst = 1000;
	c->reset_rate = 100;
	c->max_control_queued = 1000;
	c->max_continuations = 32;
	c->max_header_block = 64u << 10;
	c->max_empty_frames = 100;
}

/* ---- stream table ------------------------------------------------------- */

static uint32_t map_hash(uint32_t sid)
{
	return sid * 2654435761u;
}

static void map_put(struct h2_conn *c, uint32_t sid, uint32_t slot)
{
	uint32_t i = map_hash(sid) & c->map_mask;

	while (c->map[i] != H2_NO_SLOT) {
		i = (i + 1) & c->map_mask;
	}
	c->map[i] = slot;
}

static uint32_t map_find(const struct h2_conn *c, uint32_t sid)
{
	uint32_t i = map_hash(sid) & c->map_mask;

	while (c->map[i] != H2_NO_SLOT) {
		if (c->streams[c->map[i]].sid == sid) {
			return i;
		}
		i = (i + 1) & c->map_mask;
	}
	return H2_NO_SLOT;
}

/* Linear probing deletion by backward shift (no tombstones). */
static void map_del(struct h2_conn *c, uint32_t sid)
{
	uint32_t i = map_find(c, sid), j;

	if (i == H2_NO_SLOT) {
		return;
	}
	j = i;
	for (;;) {
		uint32_t k;

		c->map[i] = H2_NO_SLOT;
		for (;;) {
			j = (j + 1) & c->map_mask;
			if (c->map[j] == H2_NO_SLOT) {
				return;
			}
			k = map_hash(c->streams[c->map[j]].sid) & c->map_mask;
			/* Move j back to i unless its home k lies cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) {
				continue;
			}
			break;
		}
		c->map[i] = c->map[j];
		i = j;
	}
}

struct h2_stream *h2_stream_get(struct h2_conn *c, uint32_t sid)
{
	uint32_t i;

	if (sid == 0) {
		return NULL;
	}
	i = map_find(c, sid);
	return i == H2_NO_SLOT ? NULL : &c->streams[c->map[i]];
}

struct h2_stream *h2_stream_open(struct h2_conn *c, uint32_t sid, bool peer)
{
	struct h2_stream *s;
	uint32_t slot;

	if (c->nb_free == 0) {
		return NULL;
	}
	slot = c->free_slots[--c->nb_free];
	s = &c->streams[slot];
	memset(s, 0, sizeof(*s));
	s->sid = sid;
	s->flags = peer ? S_PEER : 0;
	s->send_window = c->peer_initial_window;
	s->recv_window = c->conf.initial_window;
	s->content_length = -1;
	s->ready_prev = s->ready_next = H2_NO_SLOT;
	h2_bq_init(&s->sndq);
	h2_bq_init(&s->trl);
	map_put(c, sid, slot);
	if (peer) {
		c->nb_peer_open++;
	} else {
		c->nb_local_open++;
	}
	return s;
}

static void ready_del(struct h2_conn *c, struct h2_stream *s)
{
	uint32_t slot = h2_slot_of(c, s);

	if (!(s->flags & S_READY)) {
		return;
	}
	if (s->ready_prev != H2_NO_SLOT) {
		c->streams[s->ready_prev].ready_next = s->ready_next;
	} else {
		c->ready_head = s->ready_next;
	}
	if (s->ready_next != H2_NO_SLOT) {
		c->streams[s->ready_next].ready_prev = s->ready_prev;
	} else {
		c->ready_tail = s->ready_prev;
	}
	(void)slot;
	s->ready_prev = s->ready_next = H2_NO_SLOT;
	s->flags &= ~S_READY;
}

void h2_ready_add(struct h2_conn *c, struct h2_stream *s)
{
	uint32_t slot = h2_slot_of(c, s);

	if (s->flags & S_READY) {
		return;
	}
	s->flags |= S_READY;
	s->ready_next = H2_NO_SLOT;
	s->ready_prev = c->ready_tail;
	if (c->ready_tail != H2_NO_SLOT) {
		c->streams[c->ready_tail].ready_next = slot;
	} else {
		c->ready_head = slot;
	}
	c->ready_tail = slot;
}

uint8_t h2_closed_lookup(const struct h2_conn *c, uint32_t sid)
{
	for (uint32_t i = 0; i < H2_CLOSED_RING; i++) {
		if (c->closed[i].sid == sid) {
			return c->closed[i].why;
		}
	}
	return 0;
}

void h2_closed_note(struct h2_conn *c, uint32_t sid, uint8_t why)
{
	if (c->closed[c->closed_pos].sid > c->closed_evicted_max) {
		c->closed_evicted_max = c->closed[c->closed_pos].sid; /* forgotten: ignored from now */
	}
	c->closed[c->closed_pos].sid = sid;
	c->closed[c->closed_pos].why = why;
	c->closed_pos = (c->closed_pos + 1) % H2_CLOSED_RING;
}

void h2_stream_close(struct h2_conn *c, struct h2_stream *s, uint32_t error, uint8_t why)
{
	uint32_t sid = s->sid;
	void *user = s->user;

	ready_del(c, s);
	c->sndq_bytes -= s->sndq.bytes;
	h2_bq_clear(&s->sndq, c->pool);
	h2_bq_clear(&s->trl, c->pool);
	map_del(c, sid);
	if (s->flags & S_PEER) {
		c->nb_peer_open--;
	} else {
		c->nb_local_open--;
	}
	s->sid = 0;
	c->free_slots[c->nb_free++] = h2_slot_of(c, s);
	h2_closed_note(c, sid, why);
	if (c->cb->on_close != NULL) {
		c->cb->on_close(c, sid, user, error, c->user);
	}
}

/* ---- output ------------------------------------------------------------- */

int h2_out_frame(struct h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		 size_t n)
{
	uint8_t head[H2_FRAME_HEAD_LEN];

	if (!h2_bq_room(&c->out, c->pool, H2_FRAME_HEAD_LEN + n)) {
		return -ENOBUFS;
	}
	h2_frame_head_encode(head, (uint32_t)n, type, flags, sid);
	if (h2_bq_append(&c->out, c->pool, head, sizeof(head)) < 0 ||
	    (n > 0 && h2_bq_append(&c->out, c->pool, p, n) < 0)) {
		return -ENOBUFS;
	}
	return 0;
}

/*
 * A frame the peer made us queue (ACK, RST_STREAM) while it may not be
 * reading: too many since the output was last empty is a flood (the
 * SETTINGS/PING/reset floods of CVE-2019-9512/9514/9515).
 */
int h2_out_control(struct h2_conn *c)
{
	c->ctrl_queued++;
	if (c->conf.max_control_queued != 0 && c->ctrl_queued > c->conf.max_control_queued) {
		h2_ctr(c, H2_CTR_CONTROL_FLOOD);
		return h2_conn_error(c, H2_ENHANCE_YOUR_CALM);
	}
	return 0;
}

static void close_all(struct h2_conn *c, uint32_t error)
{
	for (uint32_t i = 0; i < c->nb_slots; i++) {
		if (c->streams[i].sid != 0) {
			h2_stream_close(c, &c->streams[i], error, CLOSED_RESET_US);
		}
	}
}

int h2_conn_error(struct h2_conn *c, uint32_t code)
{
	uint8_t p[8];

	if (c->failed) {
		return -EPROTO;
	}
	/* 6.8: a second GOAWAY never names a higher stream than the first. */
	if (!c->goaway_sent) {
		c->goaway_last_sent = c->last_peer_sid;
	}
	h2_put32(p, c->goaway_last_sent);
	h2_put32(p + 4, code);
	(void)h2_out_frame(c, H2_GOAWAY, 0, 0, p, sizeof(p));
	h2_ctr(c, H2_CTR_CONN_ERRORS_SENT);
	c->failed = true;
	c->goaway_sent = true;
	c->rs = RS_FAILED;
	close_all(c, code);
	return -EPROTO;
}

static void send_rst(struct h2_conn *c, uint32_t sid, uint32_t code)
{
	struct h2_stream *s = h2_stream_get(c, sid);
	uint8_t p[4];

	h2_put32(p, code);
	if (h2_out_frame(c, H2_RST_STREAM, 0, sid, p, sizeof(p)) < 0) {
		/* The peer would never learn: the connection cannot go on. */
		(void)h2_conn_error(c, H2_INTERNAL_ERROR);
		return;
	}
	if (s != NULL) {
		h2_stream_close(c, s, code, CLOSED_RESET_US);
	} else {
		h2_closed_note(c, sid, CLOSED_RESET_US);
	}
}

void h2_stream_error(struct h2_conn *c, uint32_t sid, uint32_t code)
{
	h2_ctr(c, H2_CTR_STREAM_ERRORS_SENT);
	send_rst(c, sid, code);
	(void)h2_out_control(c); /* the peer made us send it */
}

static int send_window_update(struct h2_conn *c, uint32_t sid, uint32_t inc)
{
	uint8_t p[4];

	h2_put32(p, inc);
	return h2_out_frame(c, H2_WINDOW_UPDATE, 0, sid, p, sizeof(p));
}

/*
 * Flow-control credit: once half a window has been consumed, give it back
 * in one WINDOW_UPDATE (a frame per half window, not per DATA frame).
 */
void h2_recv_consumed(struct h2_conn *c, uint32_t sid, size_t n)
{
	struct h2_stream *s = sid != 0 ? h2_stream_get(c, sid) : NULL;

	if (n == 0 || c->failed) {
		return;
	}
	c->recv_unacked += (uint32_t)n;
	if (c->recv_unacked >= c->conf.conn_window / 2) {
		if (send_window_update(c, 0, c->recv_unacked) == 0) {
			c->recv_window += c->recv_unacked;
			c->recv_unacked = 0;
		}
	}
	if (s == NULL || (s->flags & S_REMOTE_END)) {
		return;
	}
	s->recv_unacked += (uint32_t)n;
	if (s->recv_unacked >= c->conf.initial_window / 2) {
		if (send_window_update(c, s->sid, s->recv_unacked) == 0) {
			s->recv_window += s->recv_unacked;
			s->recv_unacked = 0;
		}
	}
}

/* RFC 9113 6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE shifts every stream's send window. */
void h2_apply_peer_window(struct h2_conn *c, uint32_t value)
{
	int64_t delta = (int64_t)value - (int64_t)c->peer_initial_window;

	c->peer_initial_window = value;
	for (uint32_t i = 0; i < c->nb_slots; i++) {
		struct h2_stream *s = &c->streams[i];

		if (s->sid == 0) {
			continue;
		}
		s->send_window += delta;
		if (s->send_window > H2_MAX_WINDOW) {
			(void)h2_conn_error(c, H2_FLOW_CONTROL_ERROR);
			return;
		}
		if (s->send_window > 0 && (s->sndq.bytes > 0 || (s->flags & S_END_PENDING))) {
			h2_ready_add(c, s);
		}
	}
}

static int send_settings(struct h2_conn *c)
{
	uint8_t p[6 * 6], *q = p;
	struct {
		uint16_t id;
		uint32_t v;
		bool send;
	} set[] = {
		{H2_SETTINGS_HEADER_TABLE_SIZE, c->conf.header_table_size,
		 c->conf.header_table_size != H2_DEFAULT_HEADER_TABLE},
		{H2_SETTINGS_ENABLE_PUSH, 0, true},
		{H2_SETTINGS_MAX_CONCURRENT_STREAMS, c->conf.max_concurrent_streams, true},
		{H2_SETTINGS_INITIAL_WINDOW_SIZE, c->conf.initial_window, true},
		{H2_SETTINGS_MAX_FRAME_SIZE, c->conf.max_frame_size,
		 c->conf.max_frame_size != H2_DEFAULT_FRAME_SIZE},
		{H2_SETTINGS_MAX_HEADER_LIST_SIZE, c->conf.max_header_list, true},
	};

	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		if (!set[i].send) {
			continue;
		}
		q[0] = (uint8_t)(set[i].id >> 8);
		q[1] = (uint8_t)set[i].id;
		h2_put32(q + 2, set[i].v);
		q += 6;
	}
	c->settings_unacked = true;
	c->settings_sent_ms = c->now_ms;
	return h2_out_frame(c, H2_SETTINGS, 0, 0, p, (size_t)(q - p));
}

struct h2_conn *h2_conn_new(const struct h2_conf *conf, const struct h2_callbacks *cb,
			    void *user, struct h2_pool *pool, uint64_t now_ms)
{
	struct h2_conn *c;
	uint32_t map_size = 16;

	if (conf == NULL || cb == NULL || pool == NULL || conf->initial_window > H2_MAX_WINDOW ||
	    conf->conn_window > H2_MAX_WINDOW || conf->conn_window < H2_DEFAULT_WINDOW ||
	    conf->max_frame_size < H2_DEFAULT_FRAME_SIZE ||
	    conf->max_frame_size > H2_MAX_FRAME_SIZE_LIMIT || conf->max_concurrent_streams == 0 ||
	    conf->max_header_list < 1024) {
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->conf = *conf;
	c->cb = cb;
	c->user = user;
	c->pool = pool;
	c->now_ms = now_ms;
	c->rs = conf->server ? RS_PREFACE : RS_HEAD;
	c->peer_max_streams = UINT32_MAX;
	c->peer_initial_window = H2_DEFAULT_WINDOW;
	c->peer_max_frame = H2_DEFAULT_FRAME_SIZE;
	c->peer_header_table = H2_DEFAULT_HEADER_TABLE;
	c->send_window = H2_DEFAULT_WINDOW;
	c->recv_window = conf->conn_window;
	c->next_local_sid = conf->server ? 2 : 1;
	c->ready_head = c->ready_tail = H2_NO_SLOT;
	c->reset_tokens = (uint64_t)conf->reset_burst * 1000;
	c->reset_refill_ms = now_ms;
	c->data_slot = H2_NO_SLOT;
	h2_bq_init(&c->out);

	/* Room for the peer's streams, ours, and the ones closing. */
	c->nb_slots = conf->max_concurrent_streams + conf->max_streams_local + 8;
	while (map_size < 2 * c->nb_slots) {
		map_size <<= 1;
	}
	c->map_mask = map_size - 1;
	c->streams = calloc(c->nb_slots, sizeof(*c->streams));
	c->free_slots = calloc(c->nb_slots, sizeof(*c->free_slots));
	c->map = malloc(map_size * sizeof(*c->map));
	c->hbuf_len = conf->max_header_list + 1024;
	c->hbuf = malloc(c->hbuf_len);
	c->hv = calloc(H2_MAX_HEADERS, sizeof(*c->hv));
	if (c->streams == NULL || c->free_slots == NULL || c->map == NULL || c->hbuf == NULL ||
	    c->hv == NULL) {
		goto out_free;
	}
	memset(c->map, 0xff, map_size * sizeof(*c->map));
	for (uint32_t i = 0; i < c->nb_slots; i++) {
		c->free_slots[c->nb_free++] = c->nb_slots - 1 - i;
	}
	if (nghttp2_hd_inflate_new(&c->inflater) != 0) {
		goto out_free;
	}
	/* A smaller table than the default applies once the peer has our SETTINGS (ACK). */
	if (nghttp2_hd_inflate_change_table_size(c->inflater,
						 conf->header_table_size > H2_DEFAULT_HEADER_TABLE
							 ? conf->header_table_size
							 : H2_DEFAULT_HEADER_TABLE) != 0 ||
	    nghttp2_hd_deflate_new(&c->deflater, H2_DEFAULT_HEADER_TABLE) != 0) {
		goto out_free_hd;
	}
	if (!conf->server && h2_bq_append(&c->out, pool, H2_PREFACE, H2_PREFACE_LEN) < 0) {
		goto out_free_hd;
	}
	if (send_settings(c) < 0) {
		goto out_free_hd;
	}
	if (conf->conn_window > H2_DEFAULT_WINDOW &&
	    send_window_update(c, 0, conf->conn_window - H2_DEFAULT_WINDOW) < 0) {
		goto out_free_hd;
	}
	return c;

out_free_hd:
	h2_bq_clear(&c->out, pool);
	nghttp2_hd_inflate_del(c->inflater);
	nghttp2_hd_deflate_del(c->deflater);
out_free:
	free(c->hv);
	free(c->hbuf);
	free(c->map);
	free(c->free_slots);
	free(c->streams);
	free(c);
	return NULL;
}

void h2_conn_free(struct h2_conn *c)
{
	if (c == NULL) {
		return;
	}
	close_all(c, H2_CANCEL);
	h2_bq_clear(&c->out, c->pool);
	nghttp2_hd_inflate_del(c->inflater);
	nghttp2_hd_deflate_del(c->deflater);
	free(c->hv);
	free(c->hbuf);
	free(c->map);
	free(c->free_slots);
	free(c->streams);
	free(c);
}

long h2_conn_recv(struct h2_conn *c, const uint8_t *in, size_t n)
{
	if (c->failed) {
		return -EPROTO;
	}
	return h2_input(c, in, n);
}

/* Emit deferred trailers of |s| (its data is out): HPACK runs now, in output order. */
static int emit_trailers(struct h2_conn *c, struct h2_stream *s)
{
	struct h2_header h[H2_MAX_HEADERS];
	uint8_t *buf = h2_pool_scratch(c->pool) + h2_pool_scratch_len(c->pool) / 2;
	size_t len = s->trl.bytes, off = 0;
	uint32_t n = 0;
	struct iovec iov[16];
	unsigned k = h2_bq_iov(&s->trl, iov, 16);
	size_t at = 0;
	int rc;

	if (len > h2_pool_scratch_len(c->pool) / 2) {
		return -ENOBUFS;
	}
	for (unsigned i = 0; i < k; i++) {
		memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	while (off + 8 <= len && n < H2_MAX_HEADERS) {
		uint32_t nl = h2_get32(buf + off), vl = h2_get32(buf + off + 4);

		h[n].name = (const char *)buf + off + 8;
		h[n].name_len = nl;
		h[n].value = (const char *)buf + off + 8 + nl;
		h[n].value_len = vl;
		off += 8 + nl + vl;
		n++;
	}
	rc = h2_encode_block(c, s->sid, h, n, true);
	if (rc == 0 || rc != -ENOBUFS) {
		/* Sent, or never sendable (-EINVAL): the caller resets the stream then. */
		h2_bq_clear(&s->trl, c->pool);
		s->flags &= ~S_TRAILERS;
	}
	return rc;
}

/* After END_STREAM went out: the stream may be closed both ways now. */
static void local_end(struct h2_conn *c, struct h2_stream *s)
{
	s->flags |= S_LOCAL_END;
	s->flags &= ~S_END_PENDING;
	ready_del(c, s);
	if (s->flags & S_REMOTE_END) {
		h2_stream_close(c, s, H2_NO_ERROR, CLOSED_ENDED);
	}
}

/* Move DATA from the ready streams into the output, a frame per stream per turn. */
static void schedule(struct h2_conn *c)
{
	uint32_t notify[64], nb_notify = 0;

	while (c->ready_head != H2_NO_SLOT && c->out.bytes < c->conf.out_high && !c->failed) {
		struct h2_stream *s = &c->streams[c->ready_head];
		size_t n = s->sndq.bytes;
		int64_t win = s->send_window < c->send_window ? s->send_window : c->send_window;
		uint8_t flags = 0;
		uint8_t head[H2_FRAME_HEAD_LEN];

		if (n > c->peer_max_frame) {
			n = c->peer_max_frame;
		}
		if (n > 0 && win <= 0) {
			if (c->send_window <= 0) {
				break; /* the connection window: everyone waits */
			}
			ready_del(c, s); /* back on WINDOW_UPDATE */
			if (s->stall_since_ms == 0) {
				s->stall_since_ms = c->now_ms ? c->now_ms : 1;
			}
			continue;
		}
		if (n > 0 && (int64_t)n > win) {
			n = (size_t)win;
		}
		if (n > 0) {
			/* A smaller frame when the pool is short: what it moves frees sndq chunks. */
			size_t room = (c->out.tail != NULL ? H2_CHUNK_SIZE - c->out.tail->len : 0) +
				      (size_t)h2_pool_avail(c->pool) * H2_CHUNK_SIZE;

			if (room < H2_FRAME_HEAD_LEN + 1) {
				break;
			}
			if (n > room - H2_FRAME_HEAD_LEN) {
				n = room - H2_FRAME_HEAD_LEN;
			}
		}
		if (n == s->sndq.bytes && (s->flags & S_END_PENDING) && !(s->flags & S_TRAILERS)) {
			flags = H2_FLAG_END_STREAM;
		}
		if (n > 0 || flags != 0) {
			if (!h2_bq_room(&c->out, c->pool, H2_FRAME_HEAD_LEN + n)) {
				break;
			}
			h2_frame_head_encode(head, (uint32_t)n, H2_DATA, flags, s->sid);
			if (h2_bq_append(&c->out, c->pool, head, sizeof(head)) < 0 ||
			    h2_bq_move(&c->out, &s->sndq, c->pool, n) < 0) {
				break; /* room was checked: not reached */
			}
			s->send_window -= (int64_t)n;
			c->send_window -= (int64_t)n;
			c->sndq_bytes -= n;
			s->stall_since_ms = 0;
		}
		if ((s->flags & S_WANT_WRITE) && s->sndq.bytes < c->conf.stream_buf_max / 2 &&
		    nb_notify < 64) {
			s->flags &= ~S_WANT_WRITE;
			notify[nb_notify++] = s->sid;
		}
		if (s->sndq.bytes == 0 && (s->flags & S_TRAILERS)) {
			int rc = emit_trailers(c, s);

			if (rc == -ENOBUFS) {
				break; /* kept: again when the output drains */
			}
			if (rc < 0) {
				send_rst(c, s->sid, H2_INTERNAL_ERROR);
				continue;
			}
			local_end(c, s);
			continue;
		}
		if (flags & H2_FLAG_END_STREAM) {
			local_end(c, s);
			continue;
		}
		ready_del(c, s);
		if (s->sndq.bytes > 0) {
			h2_ready_add(c, s); /* round robin: to the back */
		}
	}
	if (c->pool_starved && h2_pool_avail(c->pool) > 2 * H2_POOL_RESERVE &&
	    c->sndq_bytes < c->conf.conn_buf_max / 2) {
		/* Chunks are back: everyone who got -ENOBUFS may write again. */
		c->pool_starved = false;
		for (uint32_t i = 0; i < c->nb_slots && nb_notify < 64; i++) {
			struct h2_stream *s = &c->streams[i];

			if (s->sid != 0 && (s->flags & S_WANT_WRITE) &&
			    s->sndq.bytes < c->conf.stream_buf_max / 2) {
				s->flags &= ~S_WANT_WRITE;
				notify[nb_notify++] = s->sid;
			}
		}
	}
	for (uint32_t i = 0; i < nb_notify; i++) {
		struct h2_stream *s = h2_stream_get(c, notify[i]);

		if (s != NULL && c->cb->on_writable != NULL) {
			c->cb->on_writable(c, s->sid, s->user, c->user);
		}
	}
}

unsigned h2_conn_out_iov(struct h2_conn *c, struct iovec *iov, unsigned max)
{
	schedule(c);
	return h2_bq_iov(&c->out, iov, max);
}

void h2_conn_out_consume(struct h2_conn *c, size_t n)
{
	if (n > c->out.bytes) {
		n = c->out.bytes;
	}
	h2_bq_consume(&c->out, c->pool, n);
	if (c->out.bytes == 0) {
		c->ctrl_queued = 0; /* the peer reads what we send */
	}
}

size_t h2_conn_out_pending(struct h2_conn *c)
{
	schedule(c);
	return c->out.bytes;
}

int h2_conn_tick(struct h2_conn *c, uint64_t now_ms)
{
	if (c->failed) {
		return -EPROTO;
	}
	if (now_ms > c->now_ms) {
		c->now_ms = now_ms;
	}
	if (c->settings_unacked && c->conf.settings_timeout_ms != 0 &&
	    c->now_ms - c->settings_sent_ms > c->conf.settings_timeout_ms) {
		h2_ctr(c, H2_CTR_SETTINGS_TIMEOUTS);
		return h2_conn_error(c, H2_SETTINGS_TIMEOUT);
	}
	if (c->conf.stall_timeout_ms == 0 || c->nb_peer_open + c->nb_local_open == 0 ||
	    c->now_ms < c->stall_scan_ms) {
		return 0;
	}
	/* Stalls are counted in tens of seconds: look once a second, not every tick. */
	c->stall_scan_ms = c->now_ms + 1000;
	for (uint32_t i = 0; i < c->nb_slots; i++) {
		struct h2_stream *s = &c->streams[i];

		if (s->sid == 0) {
			continue;
		}
		if (s->stall_since_ms == 0 && s->sndq.bytes > 0 &&
		    (s->send_window <= 0 || c->send_window <= 0)) {
			s->stall_since_ms = c->now_ms ? c->now_ms : 1;
		}
		if (s->stall_since_ms != 0 &&
		    c->now_ms - s->stall_since_ms > c->conf.stall_timeout_ms) {
			h2_ctr(c, H2_CTR_STALLED_STREAMS);
			send_rst(c, s->sid, H2_CANCEL);
		}
	}
	return 0;
}

bool h2_conn_done(const struct h2_conn *c)
{
	if (c->out.bytes > 0) {
		return false;
	}
	if (c->failed) {
		return true;
	}
	return (c->goaway_sent || c->goaway_recv) && c->nb_peer_open + c->nb_local_open == 0;
}

bool h2_conn_failed(const struct h2_conn *c)
{
	return c->failed;
}

void h2_conn_goaway(struct h2_conn *c, uint32_t error)
{
	uint8_t p[8];

	if (c->goaway_sent) {
		return;
	}
	h2_put32(p, c->last_peer_sid);
	h2_put32(p + 4, error);
	if (h2_out_frame(c, H2_GOAWAY, 0, 0, p, sizeof(p)) == 0) {
		c->goaway_sent = true;
		c->goaway_last_sent = c->last_peer_sid;
	}
}

int h2_conn_ping(struct h2_conn *c, const uint8_t opaque[8])
{
	return h2_out_frame(c, H2_PING, 0, 0, opaque, 8);
}

const struct h2_stats *h2_conn_stats(const struct h2_conn *c)
{
	return &c->stats;
}

uint32_t h2_conn_nb_streams(const struct h2_conn *c)
{
	return c->nb_peer_open + c->nb_local_open;
}

/* ---- submitting --------------------------------------------------------- */

long h2_submit_request(struct h2_conn *c, const struct h2_header *h, uint32_t n,
		       bool end_stream, void *stream_user)
{
	struct h2_stream *s;
	uint32_t sid = c->next_local_sid;
	int rc;

	if (c->conf.server || h == NULL || n == 0) {
		return -EINVAL;
	}
	if (c->failed || c->goaway_recv || c->goaway_sent || sid > H2_STREAM_ID_MAX) {
		return -ENOTCONN;
	}
	if (c->nb_local_open >= c->peer_max_streams || c->nb_local_open >= c->conf.max_streams_local) {
		return -EAGAIN;
	}
	s = h2_stream_open(c, sid, false);
	if (s == NULL) {
		return -EAGAIN;
	}
	c->next_local_sid += 2;
	s->user = stream_user;
	rc = h2_encode_block(c, sid, h, n, end_stream);
	if (rc < 0) {
		/* Nothing went out: the id is burnt, the stream never existed for the peer. */
		s->user = NULL;
		h2_stream_close(c, s, H2_INTERNAL_ERROR, CLOSED_RESET_US);
		return rc;
	}
	s->flags |= S_HDR_SENT;
	if (end_stream) {
		s->flags |= S_LOCAL_END;
	}
	return sid;
}

int h2_submit_headers(struct h2_conn *c, uint32_t sid, const struct h2_header *h, uint32_t n,
		      bool end_stream)
{
	struct h2_stream *s = h2_stream_get(c, sid);
	int rc;

	if (h == NULL || n == 0 || n > H2_MAX_HEADERS) {
		return -EINVAL;
	}
	if (s == NULL || c->failed) {
		return -ENOENT;
	}
	if (s->flags & (S_LOCAL_END | S_END_PENDING)) {
		return -EPIPE;
	}
	if (s->flags & S_HDR_SENT) {
		/* Trailers: after the data still queued, encoded when they leave. */
		size_t need = 0;

		if (!end_stream) {
			return -EINVAL;
		}
		if (s->sndq.bytes > 0) {
			for (uint32_t i = 0; i < n; i++) {
				need += 8 + h[i].name_len + h[i].value_len;
			}
			if (need > h2_pool_scratch_len(c->pool) / 2) {
				return -EINVAL;
			}
			if (!h2_bq_room(&s->trl, c->pool, need)) {
				s->flags |= S_WANT_WRITE;
				c->pool_starved = true;
				return -ENOBUFS;
			}
			for (uint32_t i = 0; i < n; i++) {
				uint8_t l[8];

				h2_put32(l, h[i].name_len);
				h2_put32(l + 4, h[i].value_len);
				if (h2_bq_append(&s->trl, c->pool, l, 8) < 0 ||
				    h2_bq_append(&s->trl, c->pool, h[i].name, h[i].name_len) < 0 ||
				    h2_bq_append(&s->trl, c->pool, h[i].value, h[i].value_len) < 0) {
					h2_bq_clear(&s->trl, c->pool);
					return -ENOBUFS;
				}
			}
			s->flags |= S_TRAILERS | S_END_PENDING;
			h2_ready_add(c, s);
			return 0;
		}
	}
	rc = h2_encode_block(c, sid, h, n, end_stream);
	if (rc == -ENOBUFS) {
		s->flags |= S_WANT_WRITE; /* |writable| once the pool recovers */
		c->pool_starved = true;
	}
	if (rc < 0) {
		return rc;
	}
	s->flags |= S_HDR_SENT;
	if (end_stream) {
		local_end(c, s);
	}
	return 0;
}

int h2_stream_writev(struct h2_conn *c, uint32_t sid, const struct iovec *iov, unsigned nb,
		     bool end_stream)
{
	struct h2_stream *s = h2_stream_get(c, sid);
	size_t total = 0;

	if (s == NULL || c->failed) {
		return -ENOENT;
	}
	if (!(s->flags & S_HDR_SENT)) {
		return -EINVAL;
	}
	if (s->flags & (S_LOCAL_END | S_END_PENDING)) {
		return -EPIPE;
	}
	for (unsigned i = 0; i < nb; i++) {
		total += iov[i].iov_len;
	}
	if (total > 0 && (s->sndq.bytes >= c->conf.stream_buf_max ||
			  c->sndq_bytes >= c->conf.conn_buf_max)) {
		s->flags |= S_WANT_WRITE;
		if (s->sndq.bytes == 0) {
			c->pool_starved = true; /* the others' data drains: ask again then */
		}
		return -EAGAIN;
	}
	if (total > 0 && (h2_pool_avail(c->pool) < H2_POOL_RESERVE + (total / H2_CHUNK_SIZE + 1) ||
			  !h2_bq_room(&s->sndq, c->pool, total))) {
		s->flags |= S_WANT_WRITE;
		c->pool_starved = true;
		return -ENOBUFS;
	}
	for (unsigned i = 0; i < nb; i++) {
		if (iov[i].iov_len > 0 &&
		    h2_bq_append(&s->sndq, c->pool, iov[i].iov_base, iov[i].iov_len) < 0) {
			return -ENOBUFS; /* room was checked: not reached */
		}
	}
	c->sndq_bytes += total;
	if (end_stream) {
		s->flags |= S_END_PENDING;
	}
	if (total > 0 || end_stream) {
		h2_ready_add(c, s);
	}
	return 0;
}

void h2_stream_reset(struct h2_conn *c, uint32_t sid, uint32_t error)
{
	if (h2_stream_get(c, sid) == NULL || c->failed) {
		return;
	}
	send_rst(c, sid, error);
}

int h2_stream_set_user(struct h2_conn *c, uint32_t sid, void *stream_user)
{
	struct h2_stream *s = h2_stream_get(c, sid);

	if (s == NULL) {
		return -ENOENT;
	}
	s->user = stream_user;
	return 0;
}

size_t h2_stream_queued(const struct h2_conn *c, uint32_t sid)
{
	struct h2_stream *s = h2_stream_get((struct h2_conn *)c, sid);

	if (s == NULL) {
		return 0;
	}
	return s->sndq.bytes + ((s->flags & S_TRAILERS) ? 1 : 0);
}

long h2_stream_send_window(const struct h2_conn *c, uint32_t sid)
{
	struct h2_stream *s = h2_stream_get((struct h2_conn *)c, sid);
	int64_t w;

	if (s == NULL) {
		return -ENOENT;
	}
	w = s->send_window < c->send_window ? s->send_window : c->send_window;
	return w > 0 ? (long)w : 0;
}
