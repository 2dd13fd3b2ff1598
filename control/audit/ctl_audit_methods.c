/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_methods.c - AuditQuery and AuditStats of the ControlService
 * (proto/control/control.proto). AuditStats answers at once from the
 * writer's counters and the rings; AuditQuery is decoded and checked on the
 * event loop, run over the segment files on the query thread (a query may
 * read gigabytes: never on the loop), and answered by ctl_audit_tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "ctl_audit_internal.h"
#include "grpc_server.h"

#define SVC "/slimbridge.control.v1.ControlService/"
/* The CLI's gRPC client takes messages up to 4 MiB. */
#define ANSWER_MAX ((4u << 20) - (64u << 10))

enum method { M_QUERY, M_STATS, M_MAX };

static const char *const method_names[M_MAX] = {"AuditQuery", "AuditStats"};

struct ctl_audit_slot {
	struct ctl_audit *a;
	enum method m;
};

/* One server call. */
struct ctl_audit_call {
	struct ctl_audit *a;
	struct grpc_call *call;
	enum method m;
	bool got_request;
	bool half_closed;
	bool replied;
	struct ctl_audit_q *q;		/* AuditQuery: the query under way */
};

/* A query handed to the query thread, and its answer. */
struct ctl_audit_q {
	struct ctl_audit_filter f;
	char *strs[4];			/* owned copies behind f's strings */
	struct ctl_audit_call *c;	/* loop thread only; NULL: the call is gone */
	int cancelled;			/* atomic: the call is gone, stop early */
	uint8_t *resp;			/* packed AuditQueryResponse */
	size_t resp_len;
	int status;			/* GRPC_OK or the failure's */
	char msg[300];
	struct ctl_audit_q *next;
};

/* ---------------------------------------------------------------- answers */

static void fail(struct ctl_audit_call *c, int status, const char *msg)
{
	c->replied = true;
	(void)!grpc_call_finish(c->call, status, msg);	/* -EPIPE: already over */
}

static void reply_bytes(struct ctl_audit_call *c, const uint8_t *b, size_t n)
{
	if (grpc_call_send(c->call, b, n) < 0) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "cannot send the response");
		return;
	}
	c->replied = true;
	if (c->half_closed) {
		(void)!grpc_call_finish(c->call, GRPC_OK, NULL);
	}
}

static void reply(struct ctl_audit_call *c, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(n + 1);

	if (b == NULL) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_pack(msg, b);
	reply_bytes(c, b, n);
	free(b);
}

static void q_free(struct ctl_audit_q *q)
{
	if (q == NULL) {
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		free(q->strs[i]);
	}
	for (size_t i = 0; i < q->f.n_project_agents; i++) {
		free(q->f.project_agents[i]);
	}
	free(q->f.project_agents);
	free(q->resp);
	free(q);
}

/* ---------------------------------------------------------------- AuditQuery */

/* The query thread's half: run the query, pack the answer. */
static void run_query(struct ctl_audit *a, struct ctl_audit_q *q)
{
	Slimbridge__Control__V1__AuditQueryResponse r =
		SLIMBRIDGE__CONTROL__V1__AUDIT_QUERY_RESPONSE__INIT;
	struct ctl_audit_result res;
	Slimbridge__Control__V1__AuditRecord *v = NULL, **pv = NULL;
	char (*times)[CTL_AUDIT_TIME_MAX] = NULL, (*encs)[CTL_AUDIT_ENC_MAX] = NULL;
	size_t total = 0;
	int rc;

	rc = ctl_audit_query_run(a->dir, &q->f, &res, q->msg, sizeof(q->msg));
	if (rc < 0) {
		q->status = rc == -ENOMEM ? GRPC_RESOURCE_EXHAUSTED : GRPC_INTERNAL;
		return;
	}
	v = calloc(res.n + 1, sizeof(*v));
	pv = calloc(res.n + 1, sizeof(*pv));
	times = calloc(res.n + 1, sizeof(*times));
	encs = calloc(res.n + 1, sizeof(*encs));
	if (v == NULL || pv == NULL || times == NULL || encs == NULL) {
		q->status = GRPC_RESOURCE_EXHAUSTED;
		snprintf(q->msg, sizeof(q->msg), "out of memory");
		goto out;
	}
	r.has_truncated = r.has_segmentsread = r.has_corruptskipped = 1;
	r.truncated = res.truncated;
	r.segmentsread = res.segments_read;
	r.corruptskipped = res.corrupt;
	for (size_t i = 0; i < res.n; i++) {
		struct sb_audit_rec *rec = &res.recs[i];
		Slimbridge__Control__V1__AuditRecord *o = &v[i];
		size_t sz;

		ctl_audit_text_clean(rec->src, sizeof(rec->src));
		ctl_audit_text_clean(rec->dst, sizeof(rec->dst));
		ctl_audit_text_clean(rec->trust, sizeof(rec->trust));
		ctl_audit_text_clean(rec->project, sizeof(rec->project));
		slimbridge__control__v1__audit_record__init(o);
		o->time = (char *)ctl_audit_time_text(rec->ts_ns, times[i], sizeof(times[i]));
		o->has_timens = o->has_worker = o->has_seq = 1;
		o->timens = rec->ts_ns;
		o->worker = rec->worker;
		o->seq = rec->seq;
		o->type = (char *)ctl_audit_type_name(rec->type);
		o->source = rec->src;
		o->destination = rec->dst;
		o->trust = rec->trust;
		o->project = rec->project;
		o->transport = (char *)ctl_audit_transport_name(rec->transport);
		o->direction = (char *)ctl_audit_dir_name(rec->dir);
		o->encryption = (char *)ctl_audit_enc_text(rec, encs[i], sizeof(encs[i]));
		o->decision = (char *)ctl_audit_decision_name(rec->decision);
		o->reason = (char *)ctl_audit_reason_text(rec->reason);
		o->level = (char *)ctl_audit_level_name(rec->level);
		o->has_ruleid = o->has_messagebytes = o->has_payloadbytes = o->has_sealedbytes = 1;
		o->has_batch = o->has_sessionid = o->has_messageid = o->has_flags = 1;
		o->ruleid = rec->rule_id;
		o->messagebytes = rec->msg_bytes;
		o->payloadbytes = rec->payload_bytes;
		o->sealedbytes = rec->sealed_bytes;
		o->batch = rec->batch;
		o->sessionid = rec->session_id;
		o->messageid = rec->message_id;
		o->flags = rec->flags;
		/* The answer must fit the client's 4 MiB: cut it there (truncated). */
		sz = protobuf_c_message_get_packed_size(&o->base) + 6;
		if (total + sz > ANSWER_MAX) {
			r.truncated = 1;
			break;
		}
		total += sz;
		pv[r.n_records++] = o;
	}
	r.records = pv;
	q->resp_len = protobuf_c_message_get_packed_size(&r.base);
	q->resp = malloc(q->resp_len + 1);
	if (q->resp == NULL) {
		q->status = GRPC_RESOURCE_EXHAUSTED;
		snprintf(q->msg, sizeof(q->msg), "out of memory");
		goto out;
	}
	protobuf_c_message_pack(&r.base, q->resp);
	q->status = GRPC_OK;
out:
	free(encs);
	free(times);
	free(pv);
	free(v);
	free(res.recs);
}

void *ctl_audit_querier(void *arg)
{
	struct ctl_audit *a = arg;

	pthread_mutex_lock(&a->q_lock);
	for (;;) {
		struct ctl_audit_q *q;

		while (a->q_head == NULL && !a->q_stop) {
			pthread_cond_wait(&a->q_cond, &a->q_lock);
		}
		if (a->q_stop) {
			break;
		}
		q = a->q_head;
		a->q_head = q->next;
		if (a->q_head == NULL) {
			a->q_tail = NULL;
		}
		q->next = NULL;
		pthread_mutex_unlock(&a->q_lock);
		if (!__atomic_load_n(&q->cancelled, __ATOMIC_ACQUIRE)) {
			run_query(a, q);
		}
		pthread_mutex_lock(&a->q_lock);
		q->next = a->done;
		a->done = q;
	}
	pthread_mutex_unlock(&a->q_lock);
	return NULL;
}

static bool dup_str(struct ctl_audit_q *q, int i, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL || s[0] == '\0') {
		return true;
	}
	q->strs[i] = strdup(s);
	*out = q->strs[i];
	return q->strs[i] != NULL;
}

static void do_query(struct ctl_audit_call *c, const uint8_t *msg, size_t len)
{
	Slimbridge__Control__V1__AuditQueryRequest *rq =
		slimbridge__control__v1__audit_query_request__unpack(NULL, len, msg);
	struct ctl_audit *a = c->a;
	struct ctl_audit_q *q;
	char err[200];

	if (rq == NULL) {
		fail(c, GRPC_INVALID_ARGUMENT, "cannot decode the request");
		return;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	q->f.decision = -1;
	q->f.limit = CTL_AUDIT_LIMIT_DEFAULT;
	if (rq->type != NULL && rq->type[0] != '\0') {
		int t = ctl_audit_type_parse(rq->type);

		if (t < 0) {
			snprintf(err, sizeof(err), "unknown audit record type '%.64s' (slim_communication)",
				 rq->type);
			fail(c, GRPC_INVALID_ARGUMENT, err);
			goto out;
		}
		q->f.type = (uint16_t)t;
	}
	if (rq->decision != NULL && rq->decision[0] != '\0') {
		if (strcmp(rq->decision, "allowed") == 0) {
			q->f.decision = SB_AUDIT_ALLOWED;
		} else if (strcmp(rq->decision, "denied") == 0) {
			q->f.decision = SB_AUDIT_DENIED;
		} else {
			snprintf(err, sizeof(err), "decision: allowed or denied, not '%.64s'",
				 rq->decision);
			fail(c, GRPC_INVALID_ARGUMENT, err);
			goto out;
		}
	}
	if ((rq->has_sincens && rq->sincens < 0) || (rq->has_untilns && rq->untilns < 0)) {
		fail(c, GRPC_INVALID_ARGUMENT, "sinceNs and untilNs are Unix nanoseconds (>= 0)");
		goto out;
	}
	q->f.has_since = rq->has_sincens;
	q->f.since_ns = (uint64_t)rq->sincens;
	q->f.has_until = rq->has_untilns;
	q->f.until_ns = (uint64_t)rq->untilns;
	if (rq->has_limit && rq->limit != 0) {
		if (rq->limit > CTL_AUDIT_LIMIT_MAX) {
			snprintf(err, sizeof(err), "limit: at most %d, not %u", CTL_AUDIT_LIMIT_MAX,
				 rq->limit);
			fail(c, GRPC_INVALID_ARGUMENT, err);
			goto out;
		}
		q->f.limit = rq->limit;
	}
	if (!dup_str(q, 0, rq->project, &q->f.project) || !dup_str(q, 1, rq->source, &q->f.source) ||
	    !dup_str(q, 2, rq->destination, &q->f.destination) ||
	    !dup_str(q, 3, rq->trust, &q->f.trust)) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if (q->f.project != NULL && a->conf.project_agents != NULL &&
	    a->conf.project_agents(a->conf.project_arg, q->f.project, &q->f.project_agents,
				   &q->f.n_project_agents) != 0) {
		fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	q->c = c;
	c->q = q;
	pthread_mutex_lock(&a->q_lock);
	if (a->q_tail != NULL) {
		a->q_tail->next = q;
	} else {
		a->q_head = q;
	}
	a->q_tail = q;
	pthread_cond_signal(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
	q = NULL;
out:
	q_free(q);
	slimbridge__control__v1__audit_query_request__free_unpacked(rq, NULL);
}

void ctl_audit_tick(struct ctl_audit *a, uint64_t now_ms)
{
	struct ctl_audit_q *done;

	(void)now_ms;
	pthread_mutex_lock(&a->q_lock);
	done = a->done;
	a->done = NULL;
	pthread_mutex_unlock(&a->q_lock);
	while (done != NULL) {
		struct ctl_audit_q *q = done;
		struct ctl_audit_call *c = q->c;

		done = q->next;
		if (c != NULL) {
			c->q = NULL;
			if (q->status == GRPC_OK) {
				reply_bytes(c, q->resp, q->resp_len);
			} else {
				fail(c, q->status, q->msg);
			}
		}
		q_free(q);
	}
}

void ctl_audit_methods_abandon(struct ctl_audit *a)
{
	struct ctl_audit_q *lists[2];

	ctl_audit_tick(a, 0);	/* what is answered goes out */
	pthread_mutex_lock(&a->q_lock);
	lists[0] = a->q_head;
	lists[1] = a->done;
	a->q_head = a->q_tail = a->done = NULL;
	pthread_mutex_unlock(&a->q_lock);
	for (int k = 0; k < 2; k++) {
		while (lists[k] != NULL) {
			struct ctl_audit_q *q = lists[k];

			lists[k] = q->next;
			if (q->c != NULL) {
				q->c->q = NULL;
				fail(q->c, GRPC_UNAVAILABLE, "shutting down");
			}
			q_free(q);
		}
	}
}

/* ---------------------------------------------------------------- AuditStats */

static void do_stats(struct ctl_audit_call *c)
{
	struct ctl_audit *a = c->a;
	Slimbridge__Control__V1__AuditStatsResponse r =
		SLIMBRIDGE__CONTROL__V1__AUDIT_STATS_RESPONSE__INIT;
	Slimbridge__Control__V1__AuditRing rv[SB_AUDIT_MAX_RINGS], *pv[SB_AUDIT_MAX_RINGS];
	struct ctl_audit_log_stats ls;
	char obj[SB_SHM_NAME_MAX + 32];
	const struct ctl_audit_counters *k = &a->cnt;

	pthread_mutex_lock(&a->stats_lock);
	ls = a->lst;
	pthread_mutex_unlock(&a->stats_lock);
	snprintf(obj, sizeof(obj), "/dev/shm%s", a->obj);
	r.has_enabled = r.has_attached = 1;
	r.enabled = a->log != NULL;
	r.directory = a->dir;
	r.shmobject = obj;
	r.fsync = (char *)ctl_audit_fsync_name(a->conf.fsync);
	r.has_records = r.has_bytes = r.has_segmentscreated = r.has_segmentsremoved = 1;
	r.has_segments = r.has_fsyncs = r.has_gaps = r.has_duplicatesskipped = 1;
	r.has_seqrestarts = r.has_writeerrors = r.has_tornbytescut = r.has_corruptatstart = 1;
	r.has_attaches = r.has_ringerrors = 1;
	r.records = __atomic_load_n(&k->records, __ATOMIC_RELAXED);
	r.bytes = ls.bytes;
	r.segmentscreated = ls.segments_created;
	r.segmentsremoved = ls.segments_removed;
	r.segments = ls.segments;
	r.fsyncs = ls.fsyncs;
	r.gaps = __atomic_load_n(&k->gaps, __ATOMIC_RELAXED);
	r.duplicatesskipped = __atomic_load_n(&k->duplicates, __ATOMIC_RELAXED);
	r.seqrestarts = __atomic_load_n(&k->seq_restarts, __ATOMIC_RELAXED);
	r.writeerrors = ls.write_errors;
	r.tornbytescut = ls.torn_bytes_cut;
	r.corruptatstart = ls.corrupt_at_open;
	r.attaches = __atomic_load_n(&k->attaches, __ATOMIC_RELAXED);
	r.ringerrors = __atomic_load_n(&k->ring_errors, __ATOMIC_RELAXED);
	pthread_mutex_lock(&a->shm_lock);
	if (a->hdr != NULL) {
		const struct sb_audit_hdr *h = a->hdr;

		r.attached = 1;
		for (uint32_t i = 0; i < h->nb_rings; i++) {
			const struct sb_audit_ring *ring =
				(const void *)((const uint8_t *)h + h->ring_offset +
					       (uint64_t)i * h->ring_stride);
			Slimbridge__Control__V1__AuditRing *o = &rv[i];

			slimbridge__control__v1__audit_ring__init(o);
			o->has_worker = o->has_head = o->has_tail = o->has_waits = o->has_size = 1;
			o->worker = i;
			o->head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
			o->tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
			o->waits = __atomic_load_n(&ring->waits, __ATOMIC_RELAXED);
			o->size = h->ring_size;
			pv[i] = o;
		}
		r.n_rings = h->nb_rings;
		r.rings = pv;
	}
	pthread_mutex_unlock(&a->shm_lock);
	reply(c, &r.base);
}

/* ---------------------------------------------------------------- call plumbing */

static int on_start(struct grpc_call *call, void *arg)
{
	struct ctl_audit_slot *sl = arg;
	struct ctl_audit_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return -ENOMEM;
	}
	c->a = sl->a;
	c->call = call;
	c->m = sl->m;
	grpc_call_set_user(call, c);
	return 0;
}

static int on_message(struct grpc_call *call, const uint8_t *msg, size_t len, void *arg)
{
	struct ctl_audit_call *c = grpc_call_user(call);

	(void)arg;
	if (c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "more than one request message");
		return 0;
	}
	c->got_request = true;
	if (__atomic_load_n(&c->a->stop, __ATOMIC_ACQUIRE)) {
		fail(c, GRPC_UNAVAILABLE, "shutting down");
		return 0;
	}
	if (c->m == M_QUERY) {
		do_query(c, msg, len);
	} else {
		do_stats(c);
	}
	return 0;
}

static void on_half_close(struct grpc_call *call, void *arg)
{
	struct ctl_audit_call *c = grpc_call_user(call);

	(void)arg;
	c->half_closed = true;
	if (!c->got_request) {
		fail(c, GRPC_INVALID_ARGUMENT, "no request message");
	} else if (c->replied) {
		(void)!grpc_call_finish(call, GRPC_OK, NULL);
	}
	/* Otherwise the query thread's answer comes through ctl_audit_tick. */
}

static void on_done(struct grpc_call *call, int status, void *arg)
{
	struct ctl_audit_call *c = grpc_call_user(call);

	(void)status;
	(void)arg;
	if (c == NULL) {
		return;
	}
	if (c->q != NULL) {
		/* The query goes on to the done list; its answer is dropped there. */
		c->q->c = NULL;
		__atomic_store_n(&c->q->cancelled, 1, __ATOMIC_RELEASE);
	}
	free(c);
}

static const struct grpc_method_ops ops = {
	.on_start = on_start,
	.on_message = on_message,
	.on_half_close = on_half_close,
	.on_done = on_done,
};

int ctl_audit_methods_register(struct ctl_audit *a, struct grpc_server *srv)
{
	char path[128];
	int rc;

	a->slots = calloc(M_MAX, sizeof(*a->slots));
	if (a->slots == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i < M_MAX; i++) {
		a->slots[i].a = a;
		a->slots[i].m = (enum method)i;
		snprintf(path, sizeof(path), SVC "%s", method_names[i]);
		rc = grpc_server_add(srv, path, &ops, &a->slots[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}
