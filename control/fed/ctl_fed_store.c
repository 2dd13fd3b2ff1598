/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_store.c - the federation module's bundles in the control
 * process's store: one object of kind CTL_STATE_KIND_BUNDLE per trust
 * domain (a TrustBundle message), written when its document or source
 * changes, and the meta value META_OK + trust domain with the time of the
 * last good refresh (no new version: it changes on every refresh).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_state.h"
#include "ctl_fed_internal.h"
#include "id_bundle.h"
#include "store.h"

#define LOG "slimbridge-control: bundle "
#define META_OK "bundle.ok."		/* + trust domain: ms of the last good refresh */

/*
 * Ends a transaction of ours. Our writes advance the store version; when
 * the module had followed the policy up to the version before them, it
 * still has (they are not policy changes), so the trusts are not followed
 * again for them.
 */
static void tx_end(struct ctl_fed *f, struct store *s, uint64_t before, const char *td)
{
	int rc = store_commit(s);

	if (rc < 0) {
		fprintf(stderr, LOG "%s: not stored: %s\n", td, store_error(s));
		return;
	}
	if (f->synced && f->synced_version == before) {
		f->synced_version = store_version(s);
	}
}

static void meta_key(char *key, size_t cap, const char *td)
{
	snprintf(key, cap, META_OK "%s", td);
}

void ctl_fed_save(struct ctl_fed *f, struct ctl_fed_td *e)
{
	struct store *s = ctl_state_store(f->st);
	uint64_t before = store_version(s);
	pb_bundle b = SLIMBRIDGE__CONTROL__V1__TRUST_BUNDLE__INIT;
	char key[sizeof(META_OK) + SPIFFE_TD_MAX], ok[24];
	uint8_t *buf;
	size_t n;

	b.trustdomain = e->td;
	b.document = (char *)e->doc;
	b.source = (char *)ctl_fed_source_name(e->src);
	b.has_updatedatms = b.has_fetchedatms = 1;
	b.updatedatms = e->updated_ms;
	b.fetchedatms = e->ok_ms;
	b.has_sequence = e->has_seq;
	b.sequence = e->seq;
	b.has_refreshhint = e->has_hint;
	b.refreshhint = e->hint_s;
	n = protobuf_c_message_get_packed_size(&b.base);
	buf = malloc(n + 1);
	if (buf == NULL) {
		fprintf(stderr, LOG "%s: not stored: out of memory\n", e->td);
		return;
	}
	protobuf_c_message_pack(&b.base, buf);
	meta_key(key, sizeof(key), e->td);
	snprintf(ok, sizeof(ok), "%" PRIu64, e->ok_ms);
	if (store_begin(s) < 0) {
		fprintf(stderr, LOG "%s: not stored: %s\n", e->td, store_error(s));
	} else if (store_put(s, CTL_STATE_KIND_BUNDLE, e->td, buf, n, NULL) < 0 ||
		   store_meta_set(s, key, ok) < 0) {
		fprintf(stderr, LOG "%s: not stored: %s\n", e->td, store_error(s));
		store_rollback(s);
	} else {
		tx_end(f, s, before, e->td);
		e->ok_saved_ms = e->ok_ms;
	}
	free(buf);
}

void ctl_fed_save_ok(struct ctl_fed *f, struct ctl_fed_td *e)
{
	struct store *s = ctl_state_store(f->st);
	char key[sizeof(META_OK) + SPIFFE_TD_MAX], ok[24];

	if (e->ok_ms < e->ok_saved_ms + CTL_FED_OK_SAVE_MS) {
		return;
	}
	meta_key(key, sizeof(key), e->td);
	snprintf(ok, sizeof(ok), "%" PRIu64, e->ok_ms);
	if (store_begin(s) < 0 || store_meta_set(s, key, ok) < 0) {
		store_rollback(s);
		return;		/* only staleness after a restart is at stake: try next time */
	}
	if (store_commit(s) == 0) {
		e->ok_saved_ms = e->ok_ms;
	}
}

void ctl_fed_unstore(struct ctl_fed *f, const char *td)
{
	struct store *s = ctl_state_store(f->st);
	uint64_t before = store_version(s);
	char key[sizeof(META_OK) + SPIFFE_TD_MAX];
	int rc;

	meta_key(key, sizeof(key), td);
	if (store_begin(s) < 0) {
		fprintf(stderr, LOG "%s: not removed from the store: %s\n", td, store_error(s));
		return;
	}
	rc = store_delete(s, CTL_STATE_KIND_BUNDLE, td);
	if ((rc < 0 && rc != -ENOENT) || store_meta_set(s, key, NULL) < 0) {
		fprintf(stderr, LOG "%s: not removed from the store: %s\n", td, store_error(s));
		store_rollback(s);
		return;
	}
	tx_end(f, s, before, td);
}

struct loaded {
	char **ids;
	pb_bundle **b;
	size_t n;
};

static int load_one(const char *kind, const char *id, const void *spec, size_t len, void *arg)
{
	struct loaded *l = arg;
	pb_bundle *b = slimbridge__control__v1__trust_bundle__unpack(NULL, len, spec);
	char **ids = realloc(l->ids, (l->n + 1) * sizeof(*ids));
	pb_bundle **bs = ids != NULL ? realloc(l->b, (l->n + 1) * sizeof(*bs)) : NULL;

	(void)kind;
	if (ids != NULL) {
		l->ids = ids;
	}
	if (bs != NULL) {
		l->b = bs;
	}
	if (ids == NULL || bs == NULL || (ids[l->n] = strdup(id)) == NULL) {
		if (b != NULL) {
			slimbridge__control__v1__trust_bundle__free_unpacked(b, NULL);
		}
		return -ENOMEM;
	}
	bs[l->n++] = b;		/* NULL: does not decode */
	return 0;
}

/* Takes one stored bundle back; false when it is no good any more (then unstored). */
static bool restore(struct ctl_fed *f, const char *td, const pb_bundle *pb)
{
	struct store *s = ctl_state_store(f->st);
	char key[sizeof(META_OK) + SPIFFE_TD_MAX], ok[24] = "", why[256] = "", sq[24];
	const char *tdwhy = "";
	struct id_bundle *b = NULL;
	struct ctl_fed_td *e;
	enum ctl_fed_source src;
	uint64_t ok_ms;

	if (pb == NULL || pb->document == NULL) {
		snprintf(why, sizeof(why), "does not decode");
	} else if (spiffe_td_check(td, strlen(td), &tdwhy) < 0) {
		snprintf(why, sizeof(why), "not a trust domain: %s", tdwhy);
	} else if (id_bundle_parse(td, strlen(td), (const uint8_t *)pb->document,
				   strlen(pb->document), &b, why, sizeof(why)) < 0) {
		/* why is set */
	} else if ((src = ctl_fed_source_parse(pb->source)) == CTL_FED_SRC_NONE) {
		snprintf(why, sizeof(why), "unknown source '%.20s'", pb->source != NULL ? pb->source : "");
	} else if ((e = ctl_fed_td_add(f, td)) == NULL ||
		   ctl_fed_set_current(e, b, (const uint8_t *)pb->document, strlen(pb->document), src) < 0) {
		snprintf(why, sizeof(why), "out of memory or too many trust domains");
	} else {
		meta_key(key, sizeof(key), td);
		ok_ms = pb->fetchedatms;
		if (store_meta_get(s, key, ok, sizeof(ok)) == 0 && strtoull(ok, NULL, 10) > ok_ms) {
			ok_ms = strtoull(ok, NULL, 10);
		}
		e->own = f->trust_domain != NULL && strcmp(td, f->trust_domain) == 0;
		e->updated_ms = pb->updatedatms;
		e->ok_ms = e->ok_saved_ms = ok_ms;
		fprintf(stderr, LOG "%s: sequence %s, %u keys, from the store (%s, last good %s %.0f s ago)\n",
			td, ctl_fed_seq_str(e->has_seq, e->seq, sq, sizeof(sq)), e->n_keys,
			ctl_fed_source_name(src), src == CTL_FED_SRC_FILE ? "read" : "refresh",
			ok_ms != 0 && ctl_fed_realtime_ms() > ok_ms
				? (double)(ctl_fed_realtime_ms() - ok_ms) / 1000.0 : 0.0);
		id_bundle_free(b);
		return true;
	}
	id_bundle_free(b);
	fprintf(stderr, LOG "%s: the stored bundle is dropped: %s\n", td, why);
	ctl_fed_unstore(f, td);
	return false;
}

int ctl_fed_load(struct ctl_fed *f, char *err, size_t errlen)
{
	struct loaded l = {0};
	int rc = store_foreach(ctl_state_store(f->st), CTL_STATE_KIND_BUNDLE, load_one, &l);

	if (rc < 0) {
		snprintf(err, errlen, "cannot load the stored bundles: %s",
			 rc == -ENOMEM ? "out of memory" : store_error(ctl_state_store(f->st)));
	}
	for (size_t i = 0; i < l.n; i++) {
		if (rc == 0) {
			restore(f, l.ids[i], l.b[i]);
		}
		if (l.b[i] != NULL) {
			slimbridge__control__v1__trust_bundle__free_unpacked(l.b[i], NULL);
		}
		free(l.ids[i]);
	}
	free(l.ids);
	free(l.b);
	return rc;
}
