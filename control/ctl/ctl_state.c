/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_state.c - store, model and publication.
 *
 * A candidate policy is assembled as protobuf bytes: a Policy message is
 * the concatenation of its repeated fields, so the candidate is every
 * unchanged object's packed bytes plus the new ones, each behind its
 * Policy field tag, unpacked once and validated by pol_model_new. The
 * store keeps the same per-object bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_state.h"
#include "pol_compile.h"
#include "shm/shm_writer.h"
#include "store.h"

/* One extra table (ctl_state_set_table): a copy, wiped when dropped. */
struct extra {
	uint32_t kind;
	uint8_t *data;
	size_t len;
	uint64_t count;
};

struct ctl_state {
	struct store *store;
	struct pol_model *model;
	struct shm_writer *shm;
	struct pol_db *db;		/* the compiled policy, patched by single changes */
	bool has_pending;		/* db's image is newer than the published snapshot */
	uint64_t pending_version;
	uint32_t pending_changes;
	struct ctl_pub pub;
	struct ctl_pub hist[CTL_PUB_HISTORY];	/* the last publications, by epoch % size */
	struct ctl_compile_stats cstats;
	uint64_t last_heartbeat_ms;
	bool published_since_tick;
	bool hold;			/* ctl_conf.hold until ctl_state_release */
	/* The extra tables published after the policy's (ctl_state_set_table), by kind. */
	struct extra x[CTL_STATE_MAX_EXTRA];
	uint32_t nb_x;
};

/* ---------------------------------------------------------------- bytes */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n) {
			cap *= 2;
		}
		q = realloc(b->p, cap);
		if (q == NULL) {
			return -ENOMEM;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int buf_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0) {
			tmp[n] |= 0x80;
		}
		n++;
	} while (v != 0);
	return buf_put(b, tmp, n);
}

/* Appends one object of kind |k| as Policy field k + 1 (length-delimited). */
static int buf_object(struct buf *b, enum pol_kind k, const void *bytes, size_t len)
{
	if (buf_varint(b, ((uint64_t)k + 1) << 3 | 2) < 0 || buf_varint(b, len) < 0 ||
	    buf_put(b, bytes, len) < 0) {
		return -ENOMEM;
	}
	return 0;
}

/* Every kind message starts with `optional string id = 1`. */
struct any_obj {
	ProtobufCMessage base;
	char *id;
};

static ProtobufCMessage **objs(const pb_policy *p, enum pol_kind k, size_t *n)
{
	switch (k) {
	case POL_KIND_TENANT:
		*n = p->n_tenants;
		return (ProtobufCMessage **)p->tenants;
	case POL_KIND_APP:
		*n = p->n_apps;
		return (ProtobufCMessage **)p->apps;
	case POL_KIND_PROJECT:
		*n = p->n_projects;
		return (ProtobufCMessage **)p->projects;
	case POL_KIND_TEAM:
		*n = p->n_teams;
		return (ProtobufCMessage **)p->teams;
	case POL_KIND_AGENT:
		*n = p->n_agents;
		return (ProtobufCMessage **)p->agents;
	case POL_KIND_TRUST:
		*n = p->n_trustrelationships;
		return (ProtobufCMessage **)p->trustrelationships;
	case POL_KIND_RULESET:
		*n = p->n_contentrulesets;
		return (ProtobufCMessage **)p->contentrulesets;
	default:
		*n = 0;
		return NULL;
	}
}

static const char *obj_id(const ProtobufCMessage *m)
{
	return ((const struct any_obj *)m)->id;
}

static int pack_obj(const ProtobufCMessage *m, struct buf *b)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	b->len = 0;
	if (b->cap < n + 1) {
		uint8_t *q = realloc(b->p, n + 1);

		if (q == NULL) {
			return -ENOMEM;
		}
		b->p = q;
		b->cap = n + 1;
	}
	b->len = protobuf_c_message_pack(m, b->p);
	return 0;
}

/* ---------------------------------------------------------------- change sets */

struct change {
	enum pol_kind kind;
	const char *id;
	const ProtobufCMessage *obj;	/* NULL: delete */
};

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	if (x->kind != y->kind) {
		return x->kind < y->kind ? -1 : 1;
	}
	return strcmp(x->id, y->id);
}

static const struct change *change_find(const struct change *c, size_t n, enum pol_kind k,
					const char *id)
{
	struct change key = {.kind = k, .id = id};

	return bsearch(&key, c, n, sizeof(*c), change_cmp);
}

/*
 * Builds the candidate model from the current one and |c| (sorted). With
 * prune[k], current objects of kind k that |c| does not name are deleted
 * and listed in |pruned|.
 */
static struct pol_model *candidate(const struct ctl_state *s, const struct change *c, size_t n,
				   const bool prune[POL_KIND_MAX], struct change **pruned,
				   size_t *nb_pruned, char *err, size_t errlen)
{
	struct buf b = {0}, tmp = {0};
	pb_policy *p;
	struct pol_model *m = NULL;

	*pruned = NULL;
	*nb_pruned = 0;
	for (int k = 0; k < POL_KIND_MAX; k++) {
		size_t cnt;
		ProtobufCMessage **cur = objs(s->model->p, (enum pol_kind)k, &cnt);

		for (size_t i = 0; i < cnt; i++) {
			const char *id = obj_id(cur[i]);

			if (change_find(c, n, (enum pol_kind)k, id) != NULL) {
				continue;
			}
			if (prune[k]) {
				struct change *q = realloc(*pruned, (*nb_pruned + 1) * sizeof(**pruned));

				if (q == NULL) {
					goto nomem;
				}
				*pruned = q;
				q[(*nb_pruned)++] = (struct change){.kind = (enum pol_kind)k, .id = id};
				continue;
			}
			if (pack_obj(cur[i], &tmp) < 0 || buf_object(&b, (enum pol_kind)k, tmp.p, tmp.len) < 0) {
				goto nomem;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (c[i].kind != (enum pol_kind)k || c[i].obj == NULL) {
				continue;
			}
			if (pack_obj(c[i].obj, &tmp) < 0 || buf_object(&b, (enum pol_kind)k, tmp.p, tmp.len) < 0) {
				goto nomem;
			}
		}
	}
	p = slimbridge__control__v1__policy__unpack(NULL, b.len, b.p);
	if (p == NULL) {
		snprintf(err, errlen, "internal error: cannot assemble the policy");
		goto out;
	}
	m = pol_model_new(p, err, errlen);
	if (m == NULL) {
		slimbridge__control__v1__policy__free_unpacked(p, NULL);
	}
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	free(b.p);
	free(tmp.p);
	if (m == NULL) {
		free(*pruned);
		*pruned = NULL;
		*nb_pruned = 0;
	}
	return m;
}

/* ---------------------------------------------------------------- publication */

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Records s->pub as published (WatchPolicy sends every one from the history). */
static void published(struct ctl_state *s)
{
	s->pub.pending = false;
	s->pub.acked_epoch = 0;
	s->hist[s->pub.epoch % CTL_PUB_HISTORY] = s->pub;
	s->published_since_tick = true;
}

/* The bytes the extra tables take after the policy's |len| bytes (each 64-byte aligned). */
static size_t extra_end(const struct ctl_state *s, size_t len)
{
	size_t off = len;

	for (uint32_t i = 0; i < s->nb_x; i++) {
		off = ((off + 63) & ~(size_t)63) + s->x[i].len;
	}
	return off;
}

/*
 * Publishes the image with the extra tables appended (each 64-byte aligned
 * after the data before it, in kind order). They go into one buffer for
 * shm_writer_publish; the extra tables' bytes in it are wiped afterwards.
 */
static int64_t publish_with_extra(struct ctl_state *s, const struct pol_image *img)
{
	struct sb_shm_table t[SB_SHM_MAX_TABLES];
	size_t total = extra_end(s, img->len), off = img->len;
	uint8_t *d;
	int64_t epoch;

	if (img->nb_tables + s->nb_x > SB_SHM_MAX_TABLES) {
		return -E2BIG;
	}
	d = calloc(1, total);
	if (d == NULL) {
		return -ENOMEM;
	}
	memcpy(d, img->data, img->len);
	memcpy(t, img->tables, img->nb_tables * sizeof(t[0]));
	for (uint32_t i = 0; i < s->nb_x; i++) {
		off = (off + 63) & ~(size_t)63;
		memcpy(d + off, s->x[i].data, s->x[i].len);
		t[img->nb_tables + i] = (struct sb_shm_table){.kind = s->x[i].kind, .offset = off,
							      .size = s->x[i].len,
							      .count = s->x[i].count};
		off += s->x[i].len;
	}
	epoch = shm_writer_publish(s->shm, t, img->nb_tables + s->nb_x, d, total);
	explicit_bzero(d + img->len, total - img->len);
	free(d);
	return epoch;
}

static void try_publish(struct ctl_state *s)
{
	const struct pol_image *img;
	int64_t epoch;

	if (!s->has_pending || s->db == NULL || s->hold) {
		return;
	}
	img = pol_db_image(s->db);
	if (s->shm == NULL) {
		/* No shared memory (tests): the compiled snapshot counts as published. */
		epoch = (int64_t)s->pub.epoch + 1;
	} else {
		epoch = s->nb_x > 0 ? publish_with_extra(s, img)
				     : shm_writer_publish(s->shm, img->tables, img->nb_tables,
							  img->data, img->len);
		if (epoch == -EAGAIN) {
			return;		/* the data plane still reads the other slot: next tick */
		}
		if (epoch < 0) {
			fprintf(stderr, "slimbridge-control: publishing version %llu failed: %s\n",
				(unsigned long long)s->pending_version, strerror((int)-epoch));
			s->has_pending = false;
			return;
		}
	}
	s->pub.version = s->pending_version;
	s->pub.epoch = (uint64_t)epoch;
	s->pub.checksum = img->checksum;
	s->pub.bytes = extra_end(s, img->len);
	s->pub.changes = s->pending_changes;
	s->pub.published_ns = realtime_ns();
	s->has_pending = false;
	published(s);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Compiles the current model and publishes it: the compiled state is
 * patched with |edits| when there are any (objects changed in place), and
 * compiled in full otherwise or when the patch cannot be applied.
 */
static int compile_and_publish(struct ctl_state *s, uint32_t changes, const struct pol_edit *edits,
			       size_t nb_edits, char *err, size_t errlen)
{
	uint64_t version = store_version(s->store), t0 = mono_ns();
	int rc = -EAGAIN;

	if (edits != NULL && s->db != NULL) {
		rc = pol_db_patch(s->db, s->model, edits, nb_edits, version);
		if (rc == 0) {
			s->cstats.patches++;
			s->cstats.last_ns = mono_ns() - t0;
			s->cstats.last_patched = true;
		}
	}
	if (rc < 0) {
		struct pol_db *db;

		if (edits != NULL && s->db != NULL) {
			s->cstats.patch_fallbacks++;
		}
		pol_db_free(s->db);
		s->db = NULL;
		rc = pol_db_new(s->model, version, &db, err, errlen);
		if (rc < 0) {
			s->has_pending = false;
			return rc;
		}
		s->db = db;
		s->cstats.full++;
		s->cstats.last_ns = mono_ns() - t0;
		s->cstats.last_patched = false;
	}
	if (s->has_pending) {
		changes += s->pending_changes;
	}
	s->has_pending = true;
	s->pending_version = version;
	s->pending_changes = changes;
	try_publish(s);
	return 0;
}

/* ---------------------------------------------------------------- changes */

static int commit_changes(struct ctl_state *s, struct pol_model *m, const struct change *c,
			  size_t n, const struct change *pruned, size_t nb_pruned,
			  struct ctl_counts *counts, char *err, size_t errlen)
{
	struct buf tmp = {0};
	uint32_t changed;
	int rc;

	rc = store_begin(s->store);
	if (rc < 0) {
		goto store_err;
	}
	for (size_t i = 0; i < n + nb_pruned; i++) {
		const struct change *x = i < n ? &c[i] : &pruned[i - n];
		const char *kind = pol_kind_name(x->kind);

		if (x->obj == NULL) {
			rc = store_delete(s->store, kind, x->id);
			if (rc < 0) {
				goto rollback;
			}
			counts->deleted++;
			continue;
		}
		{
			enum store_op op;

			if (pack_obj(x->obj, &tmp) < 0) {
				rc = -ENOMEM;
				goto rollback;
			}
			rc = store_put(s->store, kind, x->id, tmp.p, tmp.len, &op);
			if (rc < 0) {
				goto rollback;
			}
			counts->created += op == STORE_OP_CREATE;
			counts->updated += op == STORE_OP_UPDATE;
			counts->unchanged += op == STORE_OP_UNCHANGED;
		}
	}
	rc = store_commit(s->store);
	if (rc < 0) {
		goto store_err;
	}
	free(tmp.p);
	pol_model_free(s->model);
	s->model = m;
	changed = counts->created + counts->updated + counts->deleted;
	if (changed > 0) {
		char cerr[256] = "";

		if (compile_and_publish(s, changed, NULL, 0, cerr, sizeof(cerr)) < 0) {
			/* The store has it; the data plane keeps the previous snapshot. */
			fprintf(stderr, "slimbridge-control: version %llu not published: %s\n",
				(unsigned long long)store_version(s->store), cerr);
		}
	}
	return 0;
rollback:
	store_rollback(s->store);
store_err:
	free(tmp.p);
	pol_model_free(m);
	snprintf(err, errlen, "store: %s", store_error(s->store));
	return -EIO;
}

/*
 * One object's change applied in place (pol_model_edit_check accepted it):
 * the store first, then the model, then a patch of the compiled image.
 * Returns -EAGAIN when the change needs a candidate model instead.
 */
static int in_place(struct ctl_state *s, const struct change *c, enum store_op *opp, char *err,
		    size_t errlen)
{
	struct buf tmp = {0};
	struct pol_edit e;
	enum store_op op = STORE_OP_UPDATE;
	int rc = pol_model_edit_check(s->model, c->kind, c->obj, c->id, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = store_begin(s->store);
	if (rc < 0) {
		goto store_err;
	}
	if (c->obj == NULL) {
		rc = store_delete(s->store, pol_kind_name(c->kind), c->id);
	} else if (pack_obj(c->obj, &tmp) < 0) {
		store_rollback(s->store);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	} else {
		rc = store_put(s->store, pol_kind_name(c->kind), c->id, tmp.p, tmp.len, &op);
	}
	free(tmp.p);
	if (rc < 0) {
		store_rollback(s->store);
		goto store_err;
	}
	rc = store_commit(s->store);
	if (rc < 0) {
		goto store_err;
	}
	*opp = op;
	if (op == STORE_OP_UNCHANGED) {
		return 0;
	}
	if (pol_model_edit(s->model, c->kind, c->obj, c->id, &e) < 0) {
		/* The store has it; rebuild the model from every object instead. */
		bool prune_k[POL_KIND_MAX] = {false};
		struct change *pruned;
		size_t nb_pruned;
		struct pol_model *m = candidate(s, c, 1, prune_k, &pruned, &nb_pruned, err, errlen);

		if (m == NULL) {
			return -ENOMEM;
		}
		pol_model_free(s->model);
		s->model = m;
		pol_db_free(s->db);
		s->db = NULL;
	}
	{
		char cerr[256] = "";

		if (compile_and_publish(s, 1, s->db != NULL ? &e : NULL, 1, cerr, sizeof(cerr)) < 0) {
			fprintf(stderr, "slimbridge-control: version %llu not published: %s\n",
				(unsigned long long)store_version(s->store), cerr);
		}
	}
	return 0;
store_err:
	snprintf(err, errlen, "store: %s", store_error(s->store));
	return -EIO;
}

int ctl_state_apply(struct ctl_state *s, const pb_policy *p, bool prune, bool dry_run,
		    struct ctl_counts *counts, char *err, size_t errlen)
{
	bool prune_k[POL_KIND_MAX] = {false};
	struct change *c, *pruned = NULL;
	size_t n = 0, nb_pruned = 0;
	struct pol_model *m;
	int rc;

	memset(counts, 0, sizeof(*counts));
	c = calloc(p->n_tenants + p->n_apps + p->n_projects + p->n_teams + p->n_agents +
			   p->n_trustrelationships + p->n_contentrulesets + 1,
		   sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int k = 0; k < POL_KIND_MAX; k++) {
		size_t cnt;
		ProtobufCMessage **o = objs(p, (enum pol_kind)k, &cnt);

		prune_k[k] = prune && cnt > 0;
		for (size_t i = 0; i < cnt; i++) {
			const char *id = obj_id(o[i]);

			if (id == NULL || id[0] == '\0') {
				snprintf(err, errlen, "%ss[%zu]: id is missing", pol_kind_name((enum pol_kind)k), i);
				free(c);
				return -EINVAL;
			}
			c[n++] = (struct change){.kind = (enum pol_kind)k, .id = id, .obj = o[i]};
		}
	}
	qsort(c, n, sizeof(*c), change_cmp);
	for (size_t i = 1; i < n; i++) {
		if (change_cmp(&c[i - 1], &c[i]) == 0) {
			snprintf(err, errlen, "duplicate %s id '%s'", pol_kind_name(c[i].kind), c[i].id);
			free(c);
			return -EINVAL;
		}
	}
	/* One object (what `slimbridge apply` of a one-object file sends): in place if it can be. */
	if (n == 1 && !prune && !dry_run) {
		enum store_op op = STORE_OP_UPDATE;

		rc = in_place(s, &c[0], &op, err, errlen);
		if (rc != -EAGAIN) {
			if (rc == 0) {
				counts->created += op == STORE_OP_CREATE;
				counts->updated += op == STORE_OP_UPDATE;
				counts->unchanged += op == STORE_OP_UNCHANGED;
			}
			free(c);
			return rc == -ENOENT ? -EINVAL : rc;
		}
		err[0] = '\0';
	}
	m = candidate(s, c, n, prune_k, &pruned, &nb_pruned, err, errlen);
	if (m == NULL) {
		free(c);
		return -EINVAL;
	}
	if (dry_run) {
		for (size_t i = 0; i < n; i++) {
			if (pol_model_find(s->model, c[i].kind, c[i].id) >= 0) {
				counts->updated++;
			} else {
				counts->created++;
			}
		}
		counts->deleted = (uint32_t)nb_pruned;
		pol_model_free(m);
		free(c);
		free(pruned);
		return 0;
	}
	rc = commit_changes(s, m, c, n, pruned, nb_pruned, counts, err, errlen);
	free(c);
	free(pruned);
	return rc;
}

int ctl_state_put(struct ctl_state *s, const pb_object *o, enum ctl_put_mode mode, char *err,
		  size_t errlen)
{
	bool prune_k[POL_KIND_MAX] = {false};
	struct ctl_counts counts = {0};
	struct change c, *pruned;
	size_t nb_pruned;
	struct pol_model *m;
	const char *id;
	int k = pol_object_kind(o, &id);
	ProtobufCMessage *msg;
	enum store_op op;
	int rc;

	if (k < 0) {
		snprintf(err, errlen, "object: no kind set");
		return -EINVAL;
	}
	if (id == NULL || id[0] == '\0') {
		snprintf(err, errlen, "%s: id is missing", pol_kind_name((enum pol_kind)k));
		return -EINVAL;
	}
	if (mode == CTL_PUT_CREATE && pol_model_find(s->model, (enum pol_kind)k, id) >= 0) {
		snprintf(err, errlen, "%s '%s' already exists", pol_kind_name((enum pol_kind)k), id);
		return -EEXIST;
	}
	if (mode == CTL_PUT_UPDATE && pol_model_find(s->model, (enum pol_kind)k, id) < 0) {
		snprintf(err, errlen, "%s '%s' does not exist", pol_kind_name((enum pol_kind)k), id);
		return -ENOENT;
	}
	switch (k) {
	case POL_KIND_TENANT:
		msg = &o->tenant->base;
		break;
	case POL_KIND_APP:
		msg = &o->app->base;
		break;
	case POL_KIND_PROJECT:
		msg = &o->project->base;
		break;
	case POL_KIND_TEAM:
		msg = &o->team->base;
		break;
	case POL_KIND_AGENT:
		msg = &o->agent->base;
		break;
	case POL_KIND_TRUST:
		msg = &o->trustrelationship->base;
		break;
	default:
		msg = &o->contentruleset->base;
		break;
	}
	c = (struct change){.kind = (enum pol_kind)k, .id = id, .obj = msg};
	rc = in_place(s, &c, &op, err, errlen);
	if (rc != -EAGAIN) {
		return rc;
	}
	m = candidate(s, &c, 1, prune_k, &pruned, &nb_pruned, err, errlen);
	if (m == NULL) {
		return -EINVAL;
	}
	return commit_changes(s, m, &c, 1, NULL, 0, &counts, err, errlen);
}

int ctl_state_delete(struct ctl_state *s, enum pol_kind k, const char *id, char *err,
		     size_t errlen)
{
	bool prune_k[POL_KIND_MAX] = {false};
	struct ctl_counts counts = {0};
	struct change c = {.kind = k, .id = id, .obj = NULL}, *pruned;
	size_t nb_pruned;
	struct pol_model *m;
	char why[512];
	enum store_op op;
	int rc;

	if (pol_model_find(s->model, k, id) < 0) {
		snprintf(err, errlen, "%s '%s' does not exist", pol_kind_name(k), id);
		return -ENOENT;
	}
	rc = in_place(s, &c, &op, why, sizeof(why));
	if (rc != -EAGAIN) {
		if (rc == -EINVAL && strncmp(why, "cannot delete", 13) != 0) {
			snprintf(err, errlen, "cannot delete %s '%s': %s", pol_kind_name(k), id, why);
		} else if (rc < 0) {
			snprintf(err, errlen, "%s", why);
		}
		return rc;
	}
	m = candidate(s, &c, 1, prune_k, &pruned, &nb_pruned, why, sizeof(why));
	if (m == NULL) {
		snprintf(err, errlen, "cannot delete %s '%s': %s", pol_kind_name(k), id, why);
		return -EINVAL;
	}
	return commit_changes(s, m, &c, 1, NULL, 0, &counts, err, errlen);
}

/* ---------------------------------------------------------------- open/close */

static int load_one(const char *kind, const char *id, const void *spec, size_t len, void *arg)
{
	int k;

	(void)id;
	if (strcmp(kind, CTL_STATE_KIND_BUNDLE) == 0) {
		return 0;	/* the federation module's (ctl_fed.h), not policy */
	}
	k = pol_kind_parse(kind);
	if (k < 0) {
		return -EINVAL;
	}
	return buf_object(arg, (enum pol_kind)k, spec, len);
}

struct ctl_state *ctl_state_open(const struct ctl_conf *conf, char *err, size_t errlen)
{
	struct ctl_state *s = calloc(1, sizeof(*s));
	struct buf b = {0};
	pb_policy *p;
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->hold = conf->hold;
	s->store = store_open(conf->db_path, err, errlen);
	if (s->store == NULL) {
		free(s);
		return NULL;
	}
	rc = store_foreach(s->store, NULL, load_one, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot load the stored policy: %s", conf->db_path,
			 rc == -EINVAL ? "unknown object kind" : store_error(s->store));
		goto fail;
	}
	p = slimbridge__control__v1__policy__unpack(NULL, b.len, b.p != NULL ? b.p : (uint8_t *)"");
	if (p == NULL) {
		snprintf(err, errlen, "%s: a stored object does not decode", conf->db_path);
		goto fail;
	}
	{
		char why[400];

		s->model = pol_model_new(p, why, sizeof(why));
		if (s->model == NULL) {
			slimbridge__control__v1__policy__free_unpacked(p, NULL);
			snprintf(err, errlen, "%s: the stored policy does not validate: %s",
				 conf->db_path, why);
			goto fail;
		}
	}
	if (conf->shm_name != NULL) {
		uint32_t owner = 0;
		int e = 0;

		s->shm = shm_writer_create(conf->shm_name, conf->slot_size, &e, &owner);
		if (s->shm == NULL) {
			if (e == -EBUSY) {
				snprintf(err, errlen,
					 "/dev/shm/%s%s is owned by a running slimbridge-control (pid %u); stop it or choose another --shm-name",
					 conf->shm_name, SB_SHM_POLICY_SUFFIX, owner);
			} else {
				snprintf(err, errlen, "cannot create /dev/shm/%s%s: %s", conf->shm_name,
					 SB_SHM_POLICY_SUFFIX, strerror(-e));
			}
			goto fail;
		}
	}
	if (compile_and_publish(s, 0, NULL, 0, err, errlen) < 0) {
		goto fail;
	}
	free(b.p);
	return s;
fail:
	free(b.p);
	ctl_state_close(s, true);
	return NULL;
}

void ctl_state_release(struct ctl_state *s)
{
	s->hold = false;
	try_publish(s);
}

void ctl_state_close(struct ctl_state *s, bool unlink_shm)
{
	if (s == NULL) {
		return;
	}
	pol_db_free(s->db);
	shm_writer_destroy(s->shm, unlink_shm);
	for (uint32_t i = 0; i < s->nb_x; i++) {
		explicit_bzero(s->x[i].data, s->x[i].len);
		free(s->x[i].data);
	}
	pol_model_free(s->model);
	store_close(s->store);
	free(s);
}

const struct pol_model *ctl_state_model(const struct ctl_state *s)
{
	return s->model;
}

uint64_t ctl_state_version(const struct ctl_state *s)
{
	return store_version(s->store);
}

void ctl_state_pub(const struct ctl_state *s, struct ctl_pub *pub)
{
	*pub = s->pub;
	pub->pending = s->has_pending;
	pub->acked_epoch = s->shm != NULL ? shm_writer_reader_acked(s->shm) : 0;
}

bool ctl_state_pub_after(const struct ctl_state *s, uint64_t epoch, struct ctl_pub *pub)
{
	uint64_t e = epoch + 1, oldest;

	if (s->pub.epoch == 0 || epoch >= s->pub.epoch) {
		return false;
	}
	oldest = s->pub.epoch >= CTL_PUB_HISTORY ? s->pub.epoch - CTL_PUB_HISTORY + 1 : 1;
	if (e < oldest) {
		e = oldest;	/* further behind than the history: skip to the oldest kept */
	}
	*pub = s->hist[e % CTL_PUB_HISTORY];
	return true;
}

bool ctl_state_tick(struct ctl_state *s, uint64_t now_ms)
{
	bool r;

	if (s->has_pending) {
		try_publish(s);
	}
	if (s->shm != NULL && now_ms - s->last_heartbeat_ms >= 500) {
		shm_writer_heartbeat(s->shm);
		s->last_heartbeat_ms = now_ms;
	}
	r = s->published_since_tick;
	s->published_since_tick = false;
	return r;
}

void ctl_state_compile_stats(const struct ctl_state *s, struct ctl_compile_stats *st)
{
	*st = s->cstats;
}

int ctl_state_set_table(struct ctl_state *s, uint32_t kind, const void *data, size_t len,
			uint64_t count)
{
	uint8_t *copy = NULL;
	uint32_t i;

	if (kind <= SB_POL_TABLE_RULES || (len > 0 && data == NULL)) {
		return -EINVAL;
	}
	for (i = 0; i < s->nb_x && s->x[i].kind < kind; i++) {
	}
	if ((i == s->nb_x || s->x[i].kind != kind) && len > 0 && s->nb_x == CTL_STATE_MAX_EXTRA) {
		return -EINVAL;		/* a new kind, and no room for it */
	}
	if (len > 0) {
		copy = malloc(len);
		if (copy == NULL) {
			return -ENOMEM;
		}
		memcpy(copy, data, len);
	}
	if (i < s->nb_x && s->x[i].kind == kind) {
		explicit_bzero(s->x[i].data, s->x[i].len);
		free(s->x[i].data);
		if (len == 0) {
			memmove(&s->x[i], &s->x[i + 1], (s->nb_x - i - 1) * sizeof(s->x[0]));
			s->nb_x--;
		}
	} else if (len > 0) {
		memmove(&s->x[i + 1], &s->x[i], (s->nb_x - i) * sizeof(s->x[0]));
		s->nb_x++;
	}
	if (len > 0) {
		s->x[i] = (struct extra){.kind = kind, .data = copy, .len = len, .count = count};
	}
	if (!s->has_pending) {
		s->pending_changes = 0;	/* no policy object changed */
	}
	s->has_pending = true;
	s->pending_version = store_version(s->store);
	try_publish(s);
	return 0;
}

struct store *ctl_state_store(const struct ctl_state *s)
{
	return s->store;
}
