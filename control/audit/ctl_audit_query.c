/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_audit_query.c - audit queries over segment files, and record texts.
 */
#include "ctl_audit_query.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_audit_log.h"
#include "shm/policy_abi.h"

/* ---------------------------------------------------------------- texts */

static const char *const reason_texts[SB_POL_REASON_MAX] = {
#define _(n, s) [SB_POL_REASON_##n] = s,
	foreach_sb_pol_reason
#undef _
};

static const char *const level_names[SB_POL_LEVEL_MAX] = {
#define _(n, s) [SB_POL_LEVEL_##n] = s,
	foreach_sb_pol_level
#undef _
};

const char *ctl_audit_type_name(uint16_t type)
{
	return type == SB_AUDIT_SLIM_COMMUNICATION ? "slim_communication" : "unknown";
}

int ctl_audit_type_parse(const char *s)
{
	return strcmp(s, "slim_communication") == 0 ? SB_AUDIT_SLIM_COMMUNICATION : -EINVAL;
}

const char *ctl_audit_decision_name(uint8_t decision)
{
	return decision == SB_AUDIT_ALLOWED ? "allowed" : decision == SB_AUDIT_DENIED ? "denied"
										       : "unknown";
}

const char *ctl_audit_reason_text(uint8_t reason)
{
	return reason < SB_POL_REASON_MAX ? reason_texts[reason] : "unknown reason";
}

const char *ctl_audit_level_name(uint8_t level)
{
	return level < SB_POL_LEVEL_MAX ? level_names[level] : "unknown";
}

const char *ctl_audit_transport_name(uint8_t transport)
{
	switch (transport) {
	case SB_AUDIT_TR_LOCAL:
		return "local";
	case SB_AUDIT_TR_GRPC:
		return "grpc";
	case SB_AUDIT_TR_HTTPS:
		return "https";
	default:
		return "unknown";
	}
}

const char *ctl_audit_dir_name(uint8_t dir)
{
	switch (dir) {
	case SB_AUDIT_DIR_LOCAL:
		return "local";
	case SB_AUDIT_DIR_OUT:
		return "outbound";
	case SB_AUDIT_DIR_IN:
		return "inbound";
	default:
		return "unknown";
	}
}

const char *ctl_audit_enc_text(const struct sb_audit_rec *rec, char *buf, size_t cap)
{
	switch (rec->enc) {
	case SB_AUDIT_ENC_NONE:
		snprintf(buf, cap, "none");
		break;
	case SB_AUDIT_ENC_AES_GCM:
		snprintf(buf, cap, "aes-256-gcm");
		break;
	case SB_AUDIT_ENC_MLS:
		snprintf(buf, cap, "mls epoch %" PRIu64, rec->mls_epoch);
		break;
	default:
		snprintf(buf, cap, "unknown (%u)", rec->enc);
		break;
	}
	return buf;
}

const char *ctl_audit_time_text(uint64_t ns, char *buf, size_t cap)
{
	time_t sec = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char day[32];

	if (gmtime_r(&sec, &tm) == NULL || strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, cap, "?");
		return buf;
	}
	snprintf(buf, cap, "%s.%09uZ", day, (unsigned)(ns % 1000000000ull));
	return buf;
}

/* |n| digits at |s| as a number; false if any is not a digit. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* ".ddd" (1..9 digits) into ns; advances |*p|. */
static bool fraction(const char **p, uint64_t *ns)
{
	const char *s = *p;
	uint64_t v = 0, scale = 100000000ull;
	int n = 0;

	*ns = 0;
	if (*s != '.') {
		return true;
	}
	s++;
	while (*s >= '0' && *s <= '9') {
		if (n++ < 9) {
			v += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
		s++;
	}
	if (n == 0) {
		return false;
	}
	*ns = v;
	*p = s;
	return true;
}

int ctl_audit_time_parse(const char *s, uint64_t *ns)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t off = 0;
	uint64_t frac;
	time_t t;
	const char *p;

	if (s == NULL || *s == '\0') {
		return -EINVAL;
	}
	if (strlen(s) < 20 || s[4] != '-') {
		/* Unix seconds, with an optional fraction. */
		uint64_t v = 0;

		for (p = s; *p >= '0' && *p <= '9'; p++) {
			if (v > (UINT64_MAX / 1000000000ull - 10) / 10) {
				return -EINVAL;
			}
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (p == s || !fraction(&p, &frac) || *p != '\0') {
			return -EINVAL;
		}
		*ns = v * 1000000000ull + frac;
		return 0;
	}
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec)) {
		return -EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
		return -EINVAL;
	}
	p = s + 19;
	if (!fraction(&p, &frac)) {
		return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
		   digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
		off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p != '\0') {
		return -EINVAL;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;	/* a leap second is its second's last instant */
	t = timegm(&tm);
	if (t == (time_t)-1 || (int64_t)t - off < 0) {
		return -EINVAL;
	}
	*ns = (uint64_t)((int64_t)t - off) * 1000000000ull + frac;
	return 0;
}

void ctl_audit_text_clean(char *s, size_t cap)
{
	size_t i = 0;

	while (i < cap && s[i] != '\0') {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
					: (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n != 0 && i + n <= cap;

		for (size_t k = 1; ok && k < n; k++) {
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		}
		/* Overlong forms and surrogates are not UTF-8 either. */
		if (ok && n == 2 && c < 0xc2) {
			ok = false;
		} else if (ok && n == 3) {
			unsigned char c1 = (unsigned char)s[i + 1];

			ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
		} else if (ok && n == 4) {
			unsigned char c1 = (unsigned char)s[i + 1];

			ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
		}
		if (!ok || (n == 1 && (c < 0x20 || c == 0x7f))) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}

/* ---------------------------------------------------------------- filter */

static bool str_match(const char *pattern, const char *s)
{
	return pattern == NULL || fnmatch(pattern, s, 0) == 0;
}

/* The record is the project's: by its own field, or one of its agents at either end. */
static bool project_match(const struct ctl_audit_filter *f, const struct sb_audit_rec *rec)
{
	if (f->project == NULL || f->project[0] == '\0' || str_match(f->project, rec->project)) {
		return true;
	}
	for (size_t i = 0; i < f->n_project_agents; i++) {
		const char *a = f->project_agents[i];

		if (strncmp(a, rec->src, sizeof(rec->src)) == 0 ||
		    strncmp(a, rec->dst, sizeof(rec->dst)) == 0) {
			return true;
		}
	}
	return false;
}

bool ctl_audit_filter_match(const struct ctl_audit_filter *f, const struct sb_audit_rec *rec)
{
	if (f->type != 0 && rec->type != f->type) {
		return false;
	}
	if (f->decision >= 0 && rec->decision != (uint8_t)f->decision) {
		return false;
	}
	if ((f->has_since && rec->ts_ns < f->since_ns) || (f->has_until && rec->ts_ns >= f->until_ns)) {
		return false;
	}
	return project_match(f, rec) && str_match(f->source, rec->src) &&
	       str_match(f->destination, rec->dst) && str_match(f->trust, rec->trust);
}

/* ---------------------------------------------------------------- run */

static int cmp_newest(const void *a, const void *b)
{
	const struct sb_audit_rec *x = a, *y = b;

	if (x->ts_ns != y->ts_ns) {
		return x->ts_ns > y->ts_ns ? -1 : 1;
	}
	if (x->worker != y->worker) {
		return x->worker < y->worker ? -1 : 1;
	}
	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

int ctl_audit_query_run(const char *dir, const struct ctl_audit_filter *f,
			struct ctl_audit_result *res, char *err, size_t errlen)
{
	size_t want = (size_t)f->limit + 1, have = 0, n_segs = 0;
	struct sb_audit_rec *ring = NULL;
	uint64_t *segs = NULL, next_created = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = ctl_audit_log_list(dir, &segs, &n_segs);
	if (rc < 0) {
		snprintf(err, errlen, "cannot list %s: %s", dir, strerror(-rc));
		return rc;
	}
	res->recs = malloc(want * sizeof(*res->recs));
	ring = malloc(want * sizeof(*ring));
	if (res->recs == NULL || ring == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = n_segs; i-- > 0 && have < want;) {
		struct ctl_audit_seg_map m;
		struct ctl_audit_seg_reader r;
		struct sb_audit_rec rec;
		size_t room = want - have, in_ring = 0, pos = 0;

		if (f->has_since && next_created != 0 &&
		    next_created + CTL_AUDIT_SINCE_MARGIN_NS <= f->since_ns) {
			break;
		}
		rc = ctl_audit_log_map(dir, segs[i], &m);
		if (rc == -ENOENT) {
			next_created = 0;	/* removed by retention meanwhile */
			continue;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot read segment %" PRIu64 ": %s", segs[i], strerror(-rc));
			goto out;
		}
		res->segments_read++;
		/* Keep the last |room| matches of this segment: they are the newest. */
		ctl_audit_seg_reader_init(&r, m.b, m.len, m.hdr_len);
		while (ctl_audit_seg_next(&r, &rec) == 1) {
			if (!ctl_audit_filter_match(f, &rec)) {
				continue;
			}
			ring[pos] = rec;
			pos = pos + 1 == room ? 0 : pos + 1;
			if (in_ring < room) {
				in_ring++;
			}
		}
		res->corrupt += r.corrupt;
		next_created = m.hdr_ok ? m.hdr.created_ns : 0;
		ctl_audit_log_unmap(&m);
		for (size_t k = 0; k < in_ring; k++) {
			pos = pos == 0 ? room - 1 : pos - 1;
			res->recs[have++] = ring[pos];
		}
	}
	rc = 0;
	res->truncated = have > f->limit;
	res->n = have > f->limit ? f->limit : have;
	qsort(res->recs, res->n, sizeof(*res->recs), cmp_newest);
out:
	if (rc < 0) {
		free(res->recs);
		memset(res, 0, sizeof(*res));
	}
	free(ring);
	free(segs);
	return rc;
}
