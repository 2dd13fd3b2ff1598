/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_rules.c - the RULES table: checks, per-worker databases, scans.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "policy.h"
#include "policy_rules.h"

const char *policy_rules_action_name(unsigned action)
{
	return action == SB_POL_RULE_BLOCK ? "block" : action == SB_POL_RULE_AUDIT ? "audit" : "?";
}

/* ---------------------------------------------------------------- checking the table */

/* [off, off + n) inside [0, len), without overflow. */
static bool inside(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

int policy_rules_check(const uint8_t *t, uint64_t len, uint64_t strings_len,
		       uint32_t *nb_rulesets, const char **why)
{
	struct sb_pol_rules_hdr hdr;
	uint64_t fixed, total_rules = 0;

	*nb_rulesets = 0;
	if (len < sizeof(hdr) || ((uintptr_t)t & 7) != 0) {
		*why = "policy snapshot: RULES table too short";
		return -EINVAL;
	}
	memcpy(&hdr, t, sizeof(hdr));
	if (hdr.nb_rulesets > (len - sizeof(hdr)) / sizeof(struct sb_pol_ruleset)) {
		*why = "policy snapshot: RULES table: more rule sets than fit";
		return -EINVAL;
	}
	fixed = sizeof(hdr) + (uint64_t)hdr.nb_rulesets * sizeof(struct sb_pol_ruleset);
	for (uint32_t i = 0; i < hdr.nb_rulesets; i++) {
		const struct sb_pol_ruleset *rs =
			(const struct sb_pol_ruleset *)(t + sizeof(hdr)) + i;
		const struct sb_pol_rule *rules;
		size_t hs_size;

		if (rs->name >= strings_len) {
			*why = "policy snapshot: RULES table: a rule set name is out of range";
			return -EINVAL;
		}
		if (rs->rules_off % 8 != 0 || rs->rules_off < fixed ||
		    !inside(rs->rules_off, (uint64_t)rs->nb_rules * sizeof(struct sb_pol_rule), len)) {
			*why = "policy snapshot: RULES table: a rule array is out of range";
			return -EINVAL;
		}
		rules = (const struct sb_pol_rule *)(t + rs->rules_off);
		for (uint32_t j = 0; j < rs->nb_rules; j++) {
			if (rules[j].action > SB_POL_RULE_AUDIT ||
			    (j > 0 && rules[j].id <= rules[j - 1].id)) {
				*why = "policy snapshot: RULES table: rules not sorted by id or bad action";
				return -EINVAL;
			}
		}
		total_rules += rs->nb_rules;
		if (rs->nb_rules == 0) {
			if (rs->blob_off != 0 || rs->blob_len != 0) {
				*why = "policy snapshot: RULES table: a database for a set without rules";
				return -EINVAL;
			}
			continue;
		}
		if (rs->blob_len == 0 || rs->blob_off % 8 != 0 || rs->blob_off < fixed ||
		    !inside(rs->blob_off, rs->blob_len, len)) {
			*why = "policy snapshot: RULES table: a database is out of range";
			return -EINVAL;
		}
		if (hs_serialized_database_size((const char *)t + rs->blob_off, rs->blob_len,
						&hs_size) != HS_SUCCESS ||
		    hs_size == 0) {
			*why = "policy snapshot: RULES table: a database is truncated or not a hyperscan database";
			return -EINVAL;
		}
	}
	if (total_rules != hdr.nb_rules) {
		*why = "policy snapshot: RULES table: rule count mismatch";
		return -EINVAL;
	}
	*nb_rulesets = hdr.nb_rulesets;
	return 0;
}

/* ---------------------------------------------------------------- per-worker objects */

#define DB_ALIGN 64

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static const struct sb_pol_ruleset *ruleset_at(const struct policy_view *v, uint32_t i)
{
	return (const struct sb_pol_ruleset *)(v->rules + sizeof(struct sb_pol_rules_hdr)) + i;
}

int policy_rules_worker_new(const struct policy_view *v, unsigned worker,
			    struct policy_rules_counters *ctr, struct policy_rules_worker **out,
			    const char **why)
{
	uint32_t n = v->rules != NULL ? v->nb_rulesets : 0;
	struct policy_rules_worker *w;
	size_t size, rules_at, db_at;
	uint8_t *mem;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		*why = "out of memory for the content rule sets";
		return -ENOMEM;
	}
	w->worker = worker;
	w->ctr = ctr != NULL ? ctr : &w->own;
	w->nb_rulesets = n;
	/* One allocation: set[n], then every rule array, then the databases. */
	size = (size_t)n * sizeof(struct policy_rules_db);
	rules_at = size;
	for (uint32_t i = 0; i < n; i++) {
		size += (size_t)ruleset_at(v, i)->nb_rules * sizeof(struct sb_pol_rule);
	}
	db_at = align_up(size, DB_ALIGN);
	size = db_at;
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_pol_ruleset *rs = ruleset_at(v, i);
		size_t hs_size;

		if (rs->nb_rules == 0) {
			continue;
		}
		if (hs_serialized_database_size((const char *)v->rules + rs->blob_off, rs->blob_len,
						&hs_size) != HS_SUCCESS) {
			*why = "content rule set: not a hyperscan database";
			free(w);
			return -EINVAL;
		}
		size = align_up(size + hs_size, DB_ALIGN);
	}
	mem = aligned_alloc(DB_ALIGN, align_up(size > 0 ? size : 1, DB_ALIGN));
	if (mem == NULL) {
		*why = "out of memory for the content rule sets";
		free(w);
		return -ENOMEM;
	}
	memset(mem, 0, size);
	w->mem = mem;
	w->set = (struct policy_rules_db *)mem;
	for (uint32_t i = 0; i < n; i++) {
		const struct sb_pol_ruleset *rs = ruleset_at(v, i);
		struct policy_rules_db *d = &w->set[i];
		size_t hs_size;
		hs_error_t hr;

		d->name = rs->name;
		d->nb_rules = rs->nb_rules;
		d->rules = (const struct sb_pol_rule *)(mem + rules_at);
		memcpy(mem + rules_at, v->rules + rs->rules_off,
		       (size_t)rs->nb_rules * sizeof(struct sb_pol_rule));
		rules_at += (size_t)rs->nb_rules * sizeof(struct sb_pol_rule);
		if (rs->nb_rules == 0) {
			continue;
		}
		(void)hs_serialized_database_size((const char *)v->rules + rs->blob_off,
						  rs->blob_len, &hs_size);
		hr = hs_deserialize_database_at((const char *)v->rules + rs->blob_off, rs->blob_len,
						(hs_database_t *)(mem + db_at));
		if (hr != HS_SUCCESS) {
			*why = hr == HS_DB_PLATFORM_ERROR ? "content rule set: database built for another CPU" :
			       hr == HS_DB_VERSION_ERROR ? "content rule set: database built by another hyperscan version" :
			       "content rule set: hyperscan refuses the database";
			policy_rules_worker_free(w);
			return -EINVAL;
		}
		d->db = (struct hs_database *)(mem + db_at);
		db_at = align_up(db_at + hs_size, DB_ALIGN);
		hr = hs_alloc_scratch(d->db, &w->scratch);
		if (hr != HS_SUCCESS) {
			*why = hr == HS_NOMEM ? "out of memory for the content rule sets" :
			       "content rule set: hyperscan cannot make scratch space";
			policy_rules_worker_free(w);
			return hr == HS_NOMEM ? -ENOMEM : -EINVAL;
		}
	}
	*out = w;
	return 0;
}

void policy_rules_worker_free(struct policy_rules_worker *w)
{
	if (w == NULL) {
		return;
	}
	/* The databases live in |mem| (hs_deserialize_database_at): no hs_free_database. */
	hs_free_scratch(w->scratch);
	free(w->mem);
	free(w);
}

/* ---------------------------------------------------------------- scanning */

struct scan_ctx {
	const struct policy_rules_db *d;
	struct policy_rules_hit *hit;
	uint32_t ruleset;
	int found;			/* 0, or 1 + the reported action */
};

static const struct sb_pol_rule *rule_find(const struct policy_rules_db *d, uint32_t id)
{
	uint32_t lo = 0, hi = d->nb_rules;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->rules[mid].id == id) {
			return &d->rules[mid];
		}
		if (d->rules[mid].id < id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *arg)
{
	struct scan_ctx *c = arg;
	const struct sb_pol_rule *r = rule_find(c->d, id);
	/* An id the table does not list cannot come from a checked table: block. */
	uint8_t action = r != NULL ? r->action : SB_POL_RULE_BLOCK;

	(void)from;
	(void)flags;
	if (action == SB_POL_RULE_AUDIT && c->found != 0) {
		return 0;	/* an audit match is already held; look on for a block */
	}
	c->hit->ruleset = c->ruleset;
	c->hit->rule_id = id;
	c->hit->offset = to;
	c->hit->action = action;
	c->found = 1 + action;
	return action == SB_POL_RULE_BLOCK;	/* non-zero ends the scan */
}

int policy_rules_scan(const struct policy_rules_worker *w, uint32_t ruleset, const uint8_t *data,
		      uint32_t len, struct policy_rules_hit *hit)
{
	struct policy_rules_counters *ctr = w->ctr;
	struct scan_ctx c;
	hs_error_t hr;

	if (ruleset == POLICY_RULESET_NONE) {
		return 0;
	}
	if (ruleset >= w->nb_rulesets) {
		ctr->errors++;
		return -EINVAL;
	}
	c.d = &w->set[ruleset];
	if (c.d->db == NULL) {
		return 0;
	}
	ctr->scans++;
	if (len == 0) {
		return 0;	/* no accepted pattern matches the empty buffer */
	}
	c.hit = hit;
	c.ruleset = ruleset;
	c.found = 0;
	ctr->bytes += len;
	hr = hs_scan(c.d->db, (const char *)data, len, 0, w->scratch, on_match, &c);
	if (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED) {
		ctr->errors++;
		return -EIO;
	}
	if (c.found == 0) {
		return 0;
	}
	ctr->matches[c.found - 1]++;
	return 1;
}

uint16_t policy_rules_scan_burst(const struct policy_rules_worker *w,
				 const struct policy_rules_req *req, uint16_t n,
				 struct policy_rules_hit *hit, int8_t *rc)
{
	uint16_t blocked = 0;

	for (uint16_t i = 0; i < n; i++) {
		int r = policy_rules_scan(w, req[i].ruleset, req[i].data, req[i].len, &hit[i]);

		rc[i] = (int8_t)r;
		blocked += r == 1 && hit[i].action == SB_POL_RULE_BLOCK;
	}
	return blocked;
}
