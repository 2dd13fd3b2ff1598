/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_sched.c - bundle ordering, refresh interval, backoff and
 * staleness (ctl_fed_sched.h).
 */
#include <string.h>

#include "ctl_fed_sched.h"

static const char *const source_names[] = {
	[CTL_FED_SRC_NONE] = "",
	[CTL_FED_SRC_FILE] = "file",
	[CTL_FED_SRC_FETCH] = "fetch",
	[CTL_FED_SRC_OVERRIDE] = "override",
};

const char *ctl_fed_source_name(enum ctl_fed_source s)
{
	return (unsigned)s <= CTL_FED_SRC_OVERRIDE ? source_names[s] : "";
}

enum ctl_fed_source ctl_fed_source_parse(const char *s)
{
	for (int i = CTL_FED_SRC_FILE; s != NULL && i <= CTL_FED_SRC_OVERRIDE; i++) {
		if (strcmp(s, source_names[i]) == 0) {
			return (enum ctl_fed_source)i;
		}
	}
	return CTL_FED_SRC_NONE;
}

enum ctl_fed_verdict ctl_fed_sched_judge(const struct ctl_fed_ver *cur,
					 const struct ctl_fed_ver *got)
{
	if (cur->src == CTL_FED_SRC_NONE) {
		return CTL_FED_NEW;
	}
	if (cur->len == got->len && (got->len == 0 || memcmp(cur->doc, got->doc, got->len) == 0)) {
		return CTL_FED_SAME;
	}
	if (got->src != CTL_FED_SRC_FETCH || cur->src == CTL_FED_SRC_OVERRIDE) {
		return CTL_FED_NEWER;
	}
	/* Spec 5.5: without a sequence on either side, the newest retrieval counts. */
	if (!got->has_seq || !cur->has_seq || got->seq > cur->seq) {
		return CTL_FED_NEWER;
	}
	return got->seq < cur->seq ? CTL_FED_OLDER : CTL_FED_CONFLICT;
}

bool ctl_fed_sched_refused(enum ctl_fed_verdict v)
{
	return v == CTL_FED_OLDER || v == CTL_FED_CONFLICT;
}

uint64_t ctl_fed_sched_interval_ms(bool has_hint, uint64_t hint_s)
{
	uint64_t s = has_hint ? hint_s : CTL_FED_HINT_DEFAULT_S;

	if (s < CTL_FED_HINT_MIN_S) {
		s = CTL_FED_HINT_MIN_S;
	} else if (s > CTL_FED_HINT_MAX_S) {
		s = CTL_FED_HINT_MAX_S;
	}
	return s * 1000;
}

uint64_t ctl_fed_sched_backoff_ms(uint32_t failures, uint64_t min_ms, uint64_t cap_ms)
{
	uint64_t d = min_ms != 0 ? min_ms : 1;

	if (cap_ms == 0) {
		cap_ms = 1;
	}
	if (failures == 0) {
		return cap_ms;
	}
	for (uint32_t i = 1; i < failures && d < cap_ms; i++) {
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	}
	if (d > cap_ms) {
		d = cap_ms;
	}
	return d;
}

bool ctl_fed_sched_stale(uint64_t ok_ms, uint64_t now_ms, uint64_t max_stale_s)
{
	if (ok_ms == 0 || now_ms <= ok_ms) {
		return false;
	}
	return now_ms - ok_ms > (max_stale_s > UINT64_MAX / 1000 ? UINT64_MAX : max_stale_s * 1000);
}
