/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol_testlib.h"

struct sb_shm_snapshot *pol_test_snapshot(const struct pol_image *img)
{
	struct sb_shm_snapshot *s = aligned_alloc(64, (sizeof(*s) + img->len + 63) & ~(size_t)63);

	if (s == NULL) {
		abort();
	}
	memset(s, 0, sizeof(*s));
	s->magic = SB_SHM_SNAP_MAGIC;
	s->epoch = 1;
	s->size = sizeof(*s) + img->len;
	s->nb_tables = img->nb_tables;
	for (uint32_t i = 0; i < img->nb_tables; i++) {
		s->tables[i] = img->tables[i];
		s->tables[i].offset += sizeof(*s);
	}
	memcpy(s + 1, img->data, img->len);
	return s;
}

static void names(const struct pol_model *m, const char *id, uint64_t comp[3])
{
	int32_t a = pol_model_find(m, POL_KIND_AGENT, id);

	if (a < 0) {
		comp[0] = policy_name_hash("nobody", 6);
		comp[1] = policy_name_hash("nowhere", 7);
		comp[2] = policy_name_hash(id, (uint32_t)strlen(id));
		return;
	}
	comp[0] = pol_name_hash(m->p->tenants[m->agent[a].tenant]->id);
	comp[1] = pol_name_hash(m->p->apps[m->agent[a].app]->id);
	comp[2] = pol_name_hash(id);
}

void pol_test_query(const struct pol_model *m, const char *src, const char *dst, unsigned dir,
		    unsigned op, struct policy_query *q)
{
	memset(q, 0, sizeof(*q));
	names(m, src, q->src);
	names(m, dst, q->dst);
	q->dir = (uint8_t)dir;
	q->op = (uint8_t)op;
}

static bool tenant_local(const struct pol_model *m, int32_t agent)
{
	const pb_tenant *t = m->p->tenants[m->agent[agent].tenant];

	return !t->has_local || t->local;
}

void pol_test_reference(const struct pol_model *m, const char *src, const char *dst,
			unsigned dir, unsigned op, struct policy_verdict *out)
{
	int32_t s = pol_model_find(m, POL_KIND_AGENT, src);
	int32_t d = pol_model_find(m, POL_KIND_AGENT, dst);
	struct pol_result r;
	const char *missing;
	char org[POL_ORG_MAX];

	memset(out, 0, sizeof(*out));
	out->trust = POLICY_NO_TRUST;
	out->required = 1;
	if (s < 0 || d < 0) {
		out->level = SB_POL_LEVEL_IDENTITY;
		out->reason = SB_POL_REASON_UNKNOWN_AGENT;
		return;
	}
	if (!pol_org_of(m, s, d, org, sizeof(org))) {
		out->allowed = 1;
		out->required = 0;
		out->reason = SB_POL_REASON_NOT_REQUIRED;
		return;
	}
	if (dir == POLICY_MESSAGE && !tenant_local(m, s) && !tenant_local(m, d)) {
		out->level = SB_POL_LEVEL_IDENTITY;
		out->reason = SB_POL_REASON_UNKNOWN_AGENT;
		return;
	}
	for (unsigned side = 0; side < 2; side++) {
		if (dir != POLICY_MESSAGE && dir != side) {
			continue;
		}
		if (dir == POLICY_MESSAGE && !tenant_local(m, side == 0 ? s : d)) {
			continue;
		}
		if (pol_check(m, src, dst, NULL, (enum sb_pol_dir)side, (enum sb_pol_op)op, &r,
			      &missing) != 0) {
			abort();
		}
		if (!r.allowed) {
			out->level = r.level;
			out->reason = r.reason;
			return;
		}
	}
	out->allowed = 1;
	out->reason = SB_POL_REASON_ALLOWED;
}

int pol_test_world_open(struct pol_test_world *w, pb_policy *p, char *err, size_t errlen)
{
	const char *why = NULL;
	char e[512];

	memset(w, 0, sizeof(*w));
	w->m = pol_model_new(p, e, sizeof(e));
	if (w->m == NULL) {
		snprintf(err, errlen, "the policy does not validate: %s", e);
		return -1;
	}
	if (pol_compile(w->m, 1, &w->img, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "pol_compile: %s", e);
		return -1;
	}
	w->snap = pol_test_snapshot(&w->img);
	if (policy_view_init(&w->v, w->snap, &why) != 0) {
		snprintf(err, errlen, "policy_view_init: %s", why);
		return -1;
	}
	return 0;
}

void pol_test_world_close(struct pol_test_world *w)
{
	free(w->snap);
	pol_image_cleanup(&w->img);
	pol_model_free(w->m);
}

uint64_t pol_test_rng = 1;

uint32_t pol_test_rnd(uint32_t n)
{
	pol_test_rng ^= pol_test_rng >> 12;
	pol_test_rng ^= pol_test_rng << 25;
	pol_test_rng ^= pol_test_rng >> 27;
	return (uint32_t)(((pol_test_rng * 0x2545f4914f6cdd1dULL) >> 32) % n);
}

bool pol_test_chance(unsigned pct)
{
	return pol_test_rnd(100) < pct;
}

char *pol_test_sdup(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strdup(buf);
}
