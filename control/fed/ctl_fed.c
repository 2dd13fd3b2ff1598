/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed.c - the federation module's trust domains: which ones the policy
 * names (sync_trusts), taking a bundle (ctl_fed_take: id_bundle_parse, then
 * the sequence rule of ctl_fed_sched_judge), the refresh schedule,
 * staleness, publication of the BUNDLES table, and the tick that drives it
 * all. The network is in ctl_fed_fetch.c, our own bundle in
 * ctl_fed_own.c, the store in ctl_fed_store.c, the API in ctl_fed_methods.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl_state.h"
#include "ctl_fed_internal.h"
#include "h2_sock.h"
#include "id_bundle.h"
#include "policy_bundles.h"

#define LOG "slimbridge-control: bundle "
#define LOG_KIDS 8			/* key ids named in a change's log line */

uint64_t ctl_fed_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_fed_printable(char *out, size_t cap, const char *s)
{
	size_t i = 0;

	for (; s != NULL && s[i] != '\0' && i + 1 < cap; i++) {
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	}
	if (cap > 0) {
		out[i] = '\0';
	}
}

const char *ctl_fed_seq_str(bool has, uint64_t seq, char *buf, size_t cap)
{
	if (!has) {
		return "none";
	}
	snprintf(buf, cap, "%" PRIu64, seq);
	return buf;
}

/* ---------------------------------------------------------------- entries */

static int td_cmp(const void *a, const void *b)
{
	return strcmp((*(struct ctl_fed_td *const *)a)->td, (*(struct ctl_fed_td *const *)b)->td);
}

struct ctl_fed_td *ctl_fed_find(struct ctl_fed *f, const char *td)
{
	struct ctl_fed_td key, *k = &key, **r;

	if (td == NULL || strlen(td) > SPIFFE_TD_MAX) {
		return NULL;
	}
	snprintf(key.td, sizeof(key.td), "%s", td);
	r = bsearch(&k, f->tds, f->n_tds, sizeof(*f->tds), td_cmp);
	return r != NULL ? *r : NULL;
}

struct ctl_fed_td *ctl_fed_td_add(struct ctl_fed *f, const char *td)
{
	struct ctl_fed_td *e, **v;

	if (f->n_tds >= CTL_FED_MAX_TDS || strlen(td) > SPIFFE_TD_MAX) {
		return NULL;
	}
	v = realloc(f->tds, (f->n_tds + 1) * sizeof(*v));
	if (v == NULL) {
		return NULL;
	}
	f->tds = v;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return NULL;
	}
	snprintf(e->td, sizeof(e->td), "%s", td);
	f->tds[f->n_tds++] = e;
	qsort(f->tds, f->n_tds, sizeof(*f->tds), td_cmp);
	return e;
}

static void td_free(struct ctl_fed_td *e)
{
	free(e->doc);
	free(e->url);
	free(e->trust);
	free(e);
}

int ctl_fed_set_current(struct ctl_fed_td *e, const struct id_bundle *b, const uint8_t *doc,
		       size_t len, enum ctl_fed_source src)
{
	uint8_t *copy = malloc(len + 1);

	if (copy == NULL) {
		return -ENOMEM;
	}
	memcpy(copy, doc, len);
	copy[len] = '\0';
	free(e->doc);
	e->doc = copy;
	e->doc_len = len;
	e->src = src;
	e->has_seq = b->has_sequence;
	e->seq = b->sequence;
	e->has_hint = b->has_refresh_hint;
	e->hint_s = b->refresh_hint_s;
	e->n_keys = b->n_keys;
	e->n_ignored = b->n_ignored;
	return 0;
}

/* ---------------------------------------------------------------- taking a bundle */

/* Appends "; kids a b c" (printable, at most LOG_KIDS) to |out|. */
static void kids(const struct id_bundle *b, char *out, size_t cap)
{
	size_t n = strlen(out);

	for (uint32_t i = 0; i < b->n_keys && i < LOG_KIDS && n + 2 < cap; i++) {
		char k[72];

		ctl_fed_printable(k, sizeof(k), b->keys[i].kid);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i == 0 ? "; kids " : " ", k);
		n = n < cap ? n : cap - 1;
	}
	if (b->n_keys > LOG_KIDS && n + 2 < cap) {
		snprintf(out + n, cap - n, " ...");
	}
}

int ctl_fed_take(struct ctl_fed *f, struct ctl_fed_td *e, const uint8_t *doc, size_t len,
		 enum ctl_fed_source src, const char *origin, char *why, size_t whylen)
{
	struct id_bundle *b = NULL;
	struct ctl_fed_ver cur, got;
	enum ctl_fed_verdict v;
	char perr[256] = "", s1[24], s2[24], extra[700] = "";
	int rc = id_bundle_parse(e->td, strlen(e->td), doc, len, &b, perr, sizeof(perr));

	if (rc < 0) {
		ctl_fed_printable(extra, sizeof(extra), perr);
		snprintf(why, whylen, "not a valid bundle: %s", extra[0] != '\0' ? extra : strerror(-rc));
		return rc;
	}
	cur = (struct ctl_fed_ver){.src = e->src, .has_seq = e->has_seq, .seq = e->seq,
				   .doc = e->doc, .len = e->doc_len};
	got = (struct ctl_fed_ver){.src = src, .has_seq = b->has_sequence, .seq = b->sequence,
				   .doc = doc, .len = len};
	v = ctl_fed_sched_judge(&cur, &got);
	switch (v) {
	case CTL_FED_OLDER:
		snprintf(why, whylen, "refused: sequence %" PRIu64 " is older than the current %" PRIu64,
			 b->sequence, e->seq);
		rc = -ESTALE;
		break;
	case CTL_FED_CONFLICT:
		snprintf(why, whylen,
			 "refused: sequence %" PRIu64 " is the current one but the document differs",
			 b->sequence);
		rc = -ESTALE;
		break;
	case CTL_FED_SAME:
		e->ok_ms = ctl_fed_realtime_ms();
		if (e->src != src) {
			fprintf(stderr, LOG "%s: sequence %s, %u keys, unchanged, now from %s (was %s)\n",
				e->td, ctl_fed_seq_str(e->has_seq, e->seq, s1, sizeof(s1)), e->n_keys,
				ctl_fed_source_name(src), ctl_fed_source_name(e->src));
			e->src = src;
			ctl_fed_save(f, e);
		} else {
			ctl_fed_save_ok(f, e);
		}
		if (e->stale) {
			fprintf(stderr, LOG "%s: back in the snapshot (sequence %s)\n", e->td,
				ctl_fed_seq_str(e->has_seq, e->seq, s1, sizeof(s1)));
			e->stale = false;
			f->dirty = true;
		}
		break;
	default:
		if (b->n_ignored > 0) {
			char w[100];

			ctl_fed_printable(w, sizeof(w), b->ignored_why);
			snprintf(extra, sizeof(extra), ", %u JWKs ignored (%s)", b->n_ignored, w);
		}
		if (src == CTL_FED_SRC_FILE && e->has_seq && b->has_sequence && b->sequence < e->seq) {
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 ", the sequence went backwards: peers that saw %" PRIu64 " refuse it",
				 e->seq);
		}
		kids(b, extra, sizeof(extra));
		fprintf(stderr, LOG "%s: sequence %s -> %s, %u keys (%s)%s\n", e->td,
			e->src == CTL_FED_SRC_NONE ? "none" : ctl_fed_seq_str(e->has_seq, e->seq, s1, sizeof(s1)),
			ctl_fed_seq_str(b->has_sequence, b->sequence, s2, sizeof(s2)), b->n_keys, origin, extra);
		rc = ctl_fed_set_current(e, b, doc, len, src);
		if (rc < 0) {
			snprintf(why, whylen, "out of memory");
			break;
		}
		e->updated_ms = e->ok_ms = ctl_fed_realtime_ms();
		e->stale = false;
		f->dirty = true;
		ctl_fed_save(f, e);
		if (e->own) {
			ctl_fed_serve_set(f, e->doc, e->doc_len);
		}
		break;
	}
	id_bundle_free(b);
	return rc;
}

/* ---------------------------------------------------------------- schedule */

static void schedule(struct ctl_fed *f, struct ctl_fed_td *e, uint64_t delay_ms)
{
	e->interval_ms = delay_ms;
	e->next_mono = f->now_mono + delay_ms;
	e->next_ms = ctl_fed_realtime_ms() + delay_ms;
}

/* A refresh failed for |why|: count it, log it, back off. */
static void failed(struct ctl_fed *f, struct ctl_fed_td *e, const char *why)
{
	uint64_t cap = ctl_fed_sched_interval_ms(e->src != CTL_FED_SRC_NONE && e->has_hint, e->hint_s);
	uint64_t d;

	e->failures++;
	ctl_fed_printable(e->err, sizeof(e->err), why);
	d = ctl_fed_sched_backoff_ms(e->failures, f->retry_min_ms, cap);
	schedule(f, e, d);
	fprintf(stderr, LOG "%s: refresh from %s failed: %s (failure %u, next try in %.1f s)\n",
		e->td, e->url, e->err, e->failures, (double)d / 1000.0);
}

void ctl_fed_fetched(struct ctl_fed *f, struct ctl_fed_td *e, bool ok, const uint8_t *body,
		     size_t len, const char *why)
{
	char origin[600], msg[CTL_FED_ERR_MAX];

	if (!ok) {
		failed(f, e, why);
	} else {
		snprintf(origin, sizeof(origin), "from %s", e->url);
		if (ctl_fed_take(f, e, body, len, CTL_FED_SRC_FETCH, origin, msg, sizeof(msg)) < 0) {
			failed(f, e, msg);
		} else {
			if (e->failures > 0) {
				fprintf(stderr, LOG "%s: refresh from %s succeeded after %u failures\n",
					e->td, e->url, e->failures);
			}
			e->failures = 0;
			e->err[0] = '\0';
			schedule(f, e, ctl_fed_sched_interval_ms(e->has_hint, e->hint_s));
		}
	}
	ctl_fed_answer_waiters(f, e, false);
}

bool ctl_fed_refresh_now(struct ctl_fed *f, struct ctl_fed_td *e)
{
	char why[CTL_FED_ERR_MAX];

	if (e->xfer != NULL) {
		return true;
	}
	e->last_attempt_ms = ctl_fed_realtime_ms();
	if (ctl_fed_fetch_start(f, e, why, sizeof(why)) < 0) {
		failed(f, e, why);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- following the policy */

static void set_url(struct ctl_fed *f, struct ctl_fed_td *e, const char *url, const char *trust)
{
	char *copy = NULL;

	if ((url == NULL && e->url == NULL) || (url != NULL && e->url != NULL && strcmp(url, e->url) == 0)) {
		return;
	}
	if (url != NULL && (copy = strdup(url)) == NULL) {
		fprintf(stderr, LOG "%s: out of memory\n", e->td);
		return;
	}
	ctl_fed_fetch_cancel(f, e);
	free(e->url);
	e->url = copy;
	e->failures = 0;
	e->err[0] = '\0';
	if (copy != NULL) {
		fprintf(stderr, LOG "%s: polling %s (trust '%s')\n", e->td, copy, trust);
		schedule(f, e, 0);
	} else {
		fprintf(stderr, LOG "%s: no bundle endpoint any more (trust '%s'): not polled\n", e->td,
			trust);
		e->next_mono = e->next_ms = e->interval_ms = 0;
	}
	ctl_fed_answer_waiters(f, e, false);
}

static int trust_cmp(const void *a, const void *b)
{
	return strcmp((*(pb_trust *const *)a)->id, (*(pb_trust *const *)b)->id);
}

static bool revoked(const pb_trust *t)
{
	return t->state != NULL && strcmp(t->state, "revoked") == 0;
}

/* Drops |e| (no trust names it any more). */
static void drop(struct ctl_fed *f, struct ctl_fed_td *e, pb_trust *const *v, size_t n)
{
	const char *why = "no trust relationship names it any more";
	char buf[300];

	for (size_t i = 0; i < n; i++) {
		if (v[i]->peertrustdomain != NULL && strcmp(v[i]->peertrustdomain, e->td) == 0 &&
		    revoked(v[i])) {
			snprintf(buf, sizeof(buf), "trust '%s' is revoked", v[i]->id);
			why = buf;
			break;
		}
	}
	fprintf(stderr, LOG "%s: dropped, polling stopped: %s\n", e->td, why);
	ctl_fed_fetch_cancel(f, e);
	ctl_fed_answer_waiters(f, e, true);
	ctl_fed_unstore(f, e->td);
	for (size_t i = 0; i < f->n_tds; i++) {
		if (f->tds[i] == e) {
			memmove(&f->tds[i], &f->tds[i + 1], (f->n_tds - i - 1) * sizeof(f->tds[0]));
			f->n_tds--;
			break;
		}
	}
	if (e->src != CTL_FED_SRC_NONE && !e->stale) {
		f->dirty = true;
	}
	td_free(e);
}

/*
 * Follows the trust relationships of the current policy: one entry per
 * peer trust domain named by a trust that is not revoked (the trust with
 * the smallest id gives the endpoint), polling what they name, dropping
 * what none names any more.
 */
static void sync_trusts(struct ctl_fed *f)
{
	const pb_policy *p = ctl_state_model(f->st)->p;
	size_t n = p->n_trustrelationships;
	pb_trust **v = calloc(n + 1, sizeof(*v));

	if (v == NULL) {
		fprintf(stderr, LOG "trust relationships not followed: out of memory\n");
		return;
	}
	memcpy(v, p->trustrelationships, n * sizeof(*v));
	qsort(v, n, sizeof(*v), trust_cmp);
	for (size_t i = 0; i < f->n_tds; i++) {
		f->tds[i]->claimed = f->tds[i]->own;
	}
	for (size_t i = 0; i < n; i++) {
		const char *td = v[i]->peertrustdomain, *url = v[i]->bundleendpoint, *why = "";
		char uwhy[200];
		struct ctl_fed_td *e;

		if (td == NULL || td[0] == '\0' || revoked(v[i])) {
			continue;
		}
		if (spiffe_td_check(td, strlen(td), &why) < 0) {
			fprintf(stderr, LOG "%.255s: trust '%s': not a trust domain (%s): no bundle kept\n",
				td, v[i]->id, why);
			continue;
		}
		if (f->trust_domain != NULL && strcmp(td, f->trust_domain) == 0) {
			fprintf(stderr, LOG "%s: trust '%s' names our own trust domain: ignored\n", td,
				v[i]->id);
			continue;
		}
		e = ctl_fed_find(f, td);
		if (e == NULL && (e = ctl_fed_td_add(f, td)) == NULL) {
			fprintf(stderr, LOG "%s: trust '%s': out of memory or more than %d trust domains\n",
				td, v[i]->id, CTL_FED_MAX_TDS);
			continue;
		}
		if (!f->table_set) {
			f->dirty = true;	/* the first table: trust nothing from it yet */
		}
		if (url != NULL && url[0] == '\0') {
			url = NULL;
		}
		if (e->claimed) {
			/* An earlier trust (smaller id) has it. */
			if (url != NULL && (e->url == NULL || strcmp(url, e->url) != 0)) {
				fprintf(stderr, LOG "%s: trust '%s' names another bundle endpoint (%s); trust '%s''s is used\n",
					td, v[i]->id, url, e->trust);
			}
			continue;
		}
		e->claimed = true;
		if (e->trust == NULL || strcmp(e->trust, v[i]->id) != 0) {
			char *t = strdup(v[i]->id);

			if (t != NULL) {
				free(e->trust);
				e->trust = t;
			}
		}
		if (url != NULL && ctl_fed_fetch_url_check(url, uwhy, sizeof(uwhy)) < 0) {
			fprintf(stderr, LOG "%s: trust '%s': bundleEndpoint '%s': %s: not polled\n", td,
				v[i]->id, url, uwhy);
			url = NULL;
		}
		set_url(f, e, url, v[i]->id);
	}
	for (size_t i = f->n_tds; i-- > 0;) {
		if (!f->tds[i]->claimed) {
			drop(f, f->tds[i], v, n);
		}
	}
	free(v);
}

/* ---------------------------------------------------------------- staleness, publication */

static void check_stale(struct ctl_fed *f)
{
	uint64_t now = ctl_fed_realtime_ms();

	for (size_t i = 0; i < f->n_tds; i++) {
		struct ctl_fed_td *e = f->tds[i];
		char sq[24];

		/* Our own bundle is read, not refreshed; a peer's without an endpoint is the operator's. */
		if (e->own || e->url == NULL || e->src == CTL_FED_SRC_NONE || e->stale ||
		    !ctl_fed_sched_stale(e->ok_ms, now, f->max_stale_s)) {
			continue;
		}
		e->stale = true;
		f->dirty = true;
		fprintf(stderr, LOG "%s: dropped from the snapshot: no good refresh for %.0f s "
				"(--bundle-max-stale %" PRIu64 "); nothing from %s is trusted until one "
				"succeeds (kept: sequence %s)\n",
			e->td, (double)(now - e->ok_ms) / 1000.0, f->max_stale_s, e->td,
			ctl_fed_seq_str(e->has_seq, e->seq, sq, sizeof(sq)));
	}
}

void ctl_fed_flush(struct ctl_fed *f)
{
	struct policy_bundle *v;
	uint8_t *tab = NULL;
	size_t len = 0;
	uint32_t n = 0;
	int rc;

	if (!f->dirty) {
		return;
	}
	f->dirty = false;
	if (!f->table_set && f->n_tds == 0) {
		/*
		 * Nothing federated yet (no trust domain of ours, no trust naming
		 * a peer's): the snapshots carry no BUNDLES table, as before
		 * federation existed. Once one was published, every change
		 * publishes one, empty if need be, so that the data plane drops
		 * what it must.
		 */
		return;
	}
	v = calloc(f->n_tds + 1, sizeof(*v));
	if (v == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f->n_tds; i++) {
		const struct ctl_fed_td *e = f->tds[i];

		if (e->src == CTL_FED_SRC_NONE || e->stale) {
			continue;
		}
		v[n++] = (struct policy_bundle){.td = e->td, .td_len = strlen(e->td),
						.sequence = e->has_seq ? e->seq : 0,
						.json = e->doc, .json_len = e->doc_len};
	}
	rc = policy_bundles_build(v, n, &tab, &len);
	if (rc == 0) {
		rc = ctl_state_set_table(f->st, SB_POL_TABLE_BUNDLES, tab, len, n);
	}
	if (rc == 0) {
		f->table_set = true;
	}
	policy_bundles_free(tab, len);
	free(v);
out:
	if (rc < 0) {
		fprintf(stderr, "slimbridge-control: the BUNDLES table is not published: %s\n",
			strerror(-rc));
	}
}

/* ---------------------------------------------------------------- the API's view */

void ctl_fed_describe(const struct ctl_fed_td *e, bool with_doc, pb_bundle *b)
{
	slimbridge__control__v1__trust_bundle__init(b);
	b->trustdomain = (char *)e->td;
	b->has_own = b->has_published = b->has_failures = 1;
	b->own = e->own;
	b->published = e->src != CTL_FED_SRC_NONE && !e->stale;
	b->failures = e->failures;
	b->trust = e->trust;
	b->url = e->url;
	if (e->err[0] != '\0') {
		b->lasterror = (char *)e->err;
	}
	if (e->src != CTL_FED_SRC_NONE) {
		b->source = (char *)ctl_fed_source_name(e->src);
		b->has_sequence = e->has_seq;
		b->sequence = e->seq;
		b->has_refreshhint = e->has_hint;
		b->refreshhint = e->hint_s;
		b->has_keys = b->has_ignoredkeys = b->has_updatedatms = b->has_fetchedatms = 1;
		b->keys = e->n_keys;
		b->ignoredkeys = e->n_ignored;
		b->updatedatms = e->updated_ms;
		b->fetchedatms = e->ok_ms;
		if (with_doc) {
			b->document = (char *)e->doc;
		}
	}
	if (e->last_attempt_ms != 0) {
		b->has_lastattemptms = 1;
		b->lastattemptms = e->last_attempt_ms;
	}
	if (e->xfer != NULL) {
		/* The next refresh is scheduled when this one ends; the one scheduled
		 * before is due (it is this fetch), so it is not shown. */
		b->has_refreshing = b->refreshing = 1;
	} else if (e->url != NULL && e->next_mono != 0) {
		b->has_nextrefreshms = 1;
		b->nextrefreshms = e->next_ms;
	}
	if (e->url != NULL && e->next_mono != 0) {
		b->has_intervalms = 1;
		b->intervalms = e->interval_ms;
	}
}

/* ---------------------------------------------------------------- lifetime */

struct ctl_fed *ctl_fed_new(const struct ctl_fed_conf *conf, struct ctl_state *st,
			    struct grpc_server *srv, char *err, size_t errlen)
{
	struct ctl_fed *f;
	const char *why = "";
	char owhy[CTL_FED_ERR_MAX];

	if (conf->bundle_file != NULL && conf->trust_domain == NULL) {
		snprintf(err, errlen, "--bundle-file needs --trust-domain");
		return NULL;
	}
	if (conf->listen != NULL && conf->bundle_file == NULL) {
		snprintf(err, errlen, "--bundle-listen needs --bundle-file");
		return NULL;
	}
	if (conf->trust_domain != NULL &&
	    spiffe_td_check(conf->trust_domain, strlen(conf->trust_domain), &why) < 0) {
		snprintf(err, errlen, "--trust-domain '%.255s': %s", conf->trust_domain, why);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		goto nomem;
	}
	f->st = st;
	f->retry_min_ms = conf->retry_min_ms != 0 ? conf->retry_min_ms : CTL_FED_RETRY_MIN_MS;
	f->max_stale_s = conf->max_stale_s != 0 ? conf->max_stale_s : CTL_FED_MAX_STALE_S;
	f->now_mono = h2_sock_now_ms();
	if ((conf->trust_domain != NULL && (f->trust_domain = strdup(conf->trust_domain)) == NULL) ||
	    (conf->bundle_file != NULL && (f->bundle_file = strdup(conf->bundle_file)) == NULL) ||
	    ctl_fed_fetch_init(f) < 0) {
		goto nomem;
	}
	if (ctl_fed_load(f, err, errlen) < 0) {
		goto fail;
	}
	if (f->trust_domain != NULL && ctl_fed_find(f, f->trust_domain) == NULL &&
	    ctl_fed_td_add(f, f->trust_domain) == NULL) {
		goto nomem;
	}
	if (f->trust_domain != NULL) {
		ctl_fed_find(f, f->trust_domain)->own = true;
	}
	sync_trusts(f);
	f->synced = true;
	f->synced_version = ctl_state_version(st);
	if (f->bundle_file != NULL) {
		(void)ctl_fed_own_check(f, true, owhy, sizeof(owhy));	/* logged; not fatal */
		f->file_check_mono = f->now_mono + 1000;
	}
	check_stale(f);
	if (conf->listen != NULL) {
		struct ctl_fed_td *own = ctl_fed_find(f, f->trust_domain);

		if (ctl_fed_serve_start(f, conf->listen, err, errlen) < 0) {
			goto fail;
		}
		if (own->src != CTL_FED_SRC_NONE) {
			ctl_fed_serve_set(f, own->doc, own->doc_len);
		}
	}
	if (ctl_fed_methods_register(f, srv) < 0) {
		snprintf(err, errlen, "cannot register the Bundle* methods");
		goto fail;
	}
	f->dirty = true;
	ctl_fed_flush(f);
	return f;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	ctl_fed_free(f);
	return NULL;
}

int ctl_fed_bundle(struct ctl_fed *f, const char *td, const uint8_t **doc, size_t *len)
{
	struct ctl_fed_td *e = f != NULL ? ctl_fed_find(f, td) : NULL;

	if (e == NULL || e->src == CTL_FED_SRC_NONE) {
		return -ENOENT;
	}
	*doc = e->doc;
	*len = e->doc_len;
	return e->stale ? -ESTALE : 0;
}

int ctl_fed_bundle_describe(struct ctl_fed *f, const char *td, pb_bundle *b)
{
	struct ctl_fed_td *e = f != NULL ? ctl_fed_find(f, td) : NULL;

	if (e == NULL) {
		return -ENOENT;
	}
	ctl_fed_describe(e, false, b);
	return 0;
}

int ctl_fed_port(const struct ctl_fed *f)
{
	return f != NULL ? ctl_fed_serve_port(f) : 0;
}

void ctl_fed_tick(struct ctl_fed *f, uint64_t now_ms)
{
	char why[CTL_FED_ERR_MAX];

	if (f == NULL || f->stopped) {
		return;
	}
	f->now_mono = now_ms;
	if (ctl_state_version(f->st) != f->synced_version) {
		sync_trusts(f);
		f->synced_version = ctl_state_version(f->st);
	}
	if (f->bundle_file != NULL && now_ms >= f->file_check_mono) {
		f->file_check_mono = now_ms + 1000;
		(void)ctl_fed_own_check(f, false, why, sizeof(why));
	}
	if (now_ms >= f->stale_check_mono) {
		f->stale_check_mono = now_ms + 1000;
		check_stale(f);
	}
	for (size_t i = 0; i < f->n_tds && f->n_inflight < CTL_FED_MAX_INFLIGHT; i++) {
		struct ctl_fed_td *e = f->tds[i];

		if (e->url != NULL && e->xfer == NULL && e->next_mono != 0 && now_ms >= e->next_mono) {
			(void)ctl_fed_refresh_now(f, e);
		}
	}
	ctl_fed_fetch_poll(f);
	ctl_fed_flush(f);
}

void ctl_fed_stop(struct ctl_fed *f)
{
	if (f == NULL || f->stopped) {
		return;
	}
	f->stopped = true;
	ctl_fed_methods_abandon(f);
	for (size_t i = 0; i < f->n_tds; i++) {
		ctl_fed_fetch_cancel(f, f->tds[i]);
	}
	ctl_fed_serve_stop(f);
}

void ctl_fed_free(struct ctl_fed *f)
{
	if (f == NULL) {
		return;
	}
	ctl_fed_stop(f);
	ctl_fed_fetch_cleanup(f);
	for (size_t i = 0; i < f->n_tds; i++) {
		td_free(f->tds[i]);
	}
	free(f->tds);
	free(f->slots);
	free(f->trust_domain);
	free(f->bundle_file);
	free(f);
}
