/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust_sched.c - the trust module's rules without I/O (see the header).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_trust_sched.h"

#define PREFIX_LEN (sizeof(CTL_TRUST_GID_PREFIX) - 1)
#define INC_HEX 16

bool ctl_trust_sched_creator(const char *own, const char *peer)
{
	return own != NULL && peer != NULL && strcmp(own, peer) < 0;
}

/* A trust domain as a group id holds it: non-empty, and no separator in it. */
static bool td_ok(const char *td)
{
	return td != NULL && td[0] != '\0' && strpbrk(td, "|:") == NULL;
}

int ctl_trust_sched_group_id(const char *own, const char *peer, uint64_t incarnation, char *out,
			     size_t cap)
{
	const char *lo, *hi;
	int n;

	if (!td_ok(own) || !td_ok(peer) || strcmp(own, peer) == 0 || out == NULL) {
		return -EINVAL;
	}
	lo = strcmp(own, peer) < 0 ? own : peer;
	hi = lo == own ? peer : own;
	if (PREFIX_LEN + strlen(lo) + 1 + strlen(hi) + 1 + INC_HEX > CTL_TRUST_GID_MAX) {
		return -ENAMETOOLONG;
	}
	n = snprintf(out, cap, CTL_TRUST_GID_PREFIX "%s|%s:%016llx", lo, hi,
		     (unsigned long long)incarnation);
	if (n < 0 || (size_t)n >= cap) {
		return -ENOSPC;
	}
	return n;
}

bool ctl_trust_sched_is_seal_group(const uint8_t *gid, size_t len)
{
	return gid != NULL && len >= PREFIX_LEN && memcmp(gid, CTL_TRUST_GID_PREFIX, PREFIX_LEN) == 0;
}

int ctl_trust_sched_group_parse(const char *gid, size_t len, char *lo, char *hi, size_t cap,
				uint64_t *incarnation)
{
	const char *p, *bar, *colon, *end = gid + len;
	uint64_t inc = 0;

	if (!ctl_trust_sched_is_seal_group((const uint8_t *)gid, len) ||
	    len > CTL_TRUST_GID_MAX || len < PREFIX_LEN + 3 + 1 + INC_HEX) {
		return -EINVAL;
	}
	p = gid + PREFIX_LEN;
	bar = memchr(p, '|', (size_t)(end - p));
	colon = end - INC_HEX - 1;
	if (bar == NULL || bar == p || colon <= bar + 1 || *colon != ':' ||
	    memchr(p, ':', (size_t)(colon - p)) != NULL ||
	    memchr(bar + 1, '|', (size_t)(colon - bar - 1)) != NULL ||
	    (size_t)(bar - p) >= cap || (size_t)(colon - bar - 1) >= cap) {
		return -EINVAL;
	}
	for (const char *c = colon + 1; c < end; c++) {
		int v = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;

		if (v < 0) {
			return -EINVAL;
		}
		inc = inc << 4 | (uint64_t)v;
	}
	for (const char *c = p; c < colon; c++) {
		if (*c == '\0') {
			return -EINVAL;
		}
	}
	memcpy(lo, p, (size_t)(bar - p));
	lo[bar - p] = '\0';
	memcpy(hi, bar + 1, (size_t)(colon - bar - 1));
	hi[colon - bar - 1] = '\0';
	if (strcmp(lo, hi) >= 0) {
		return -EINVAL;
	}
	if (incarnation != NULL) {
		*incarnation = inc;
	}
	return 0;
}

int ctl_trust_sched_endpoint(const char *ep, struct ctl_trust_addr *out)
{
	char host[64];
	const char *colon, *h = ep;
	size_t hlen;
	unsigned long port = 0;
	bool v6;

	if (ep == NULL || out == NULL) {
		return -EINVAL;
	}
	v6 = ep[0] == '[';
	if (v6) {
		const char *close = strchr(ep, ']');

		if (close == NULL || close[1] != ':') {
			return -EINVAL;
		}
		h = ep + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strchr(ep, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL) {
			return -EINVAL;
		}
		hlen = (size_t)(colon - ep);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	/* Digits only: no sign, no spaces, no leading zeros beyond "0" itself. */
	if (colon[1] == '\0' || strlen(colon + 1) > 5 || (colon[1] == '0')) {
		return -EINVAL;
	}
	for (const char *c = colon + 1; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			return -EINVAL;
		}
		port = port * 10 + (unsigned long)(*c - '0');
	}
	if (port == 0 || port > 65535) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (!v6 && inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = 4;
	} else if (v6 && inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = 6;
	} else {
		return -EINVAL;
	}
	out->port = (uint16_t)port;
	return 0;
}

int ctl_trust_sched_control_endpoint(const char *endpoint, const char *control, char *out,
				     size_t cap)
{
	struct ctl_trust_addr a;
	char host[INET6_ADDRSTRLEN];
	int n;

	if (control != NULL && control[0] != '\0') {
		if (ctl_trust_sched_endpoint(control, &a) < 0) {
			return -EINVAL;
		}
		n = snprintf(out, cap, "%s", control);
	} else {
		if (ctl_trust_sched_endpoint(endpoint, &a) < 0) {
			return -EINVAL;
		}
		inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.addr, host, sizeof(host));
		n = snprintf(out, cap, a.family == 4 ? "%s:%d" : "[%s]:%d", host,
			     CTL_TRUST_CONTROL_PORT);
	}
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

uint64_t ctl_trust_sched_backoff_ms(uint32_t failures)
{
	uint64_t d = CTL_TRUST_RETRY_MIN_MS;

	if (failures == 0) {
		return 0;
	}
	for (uint32_t i = 1; i < failures && d < CTL_TRUST_RETRY_MAX_MS; i++) {
		d *= 2;
	}
	return d < CTL_TRUST_RETRY_MAX_MS ? d : CTL_TRUST_RETRY_MAX_MS;
}

enum ctl_trust_rekey ctl_trust_sched_rekey(const struct ctl_trust_rekey_in *in)
{
	if (in->last_rekey_ms != 0 && in->now_ms < in->last_rekey_ms + CTL_TRUST_REKEY_MIN_MS) {
		return CTL_TRUST_REKEY_NONE;
	}
	if (in->mls && in->dp_token != 0 && in->dp_token != in->epoch_token) {
		return CTL_TRUST_REKEY_DATAPLANE;
	}
	if (in->rekey_req != in->rekey_req_seen) {
		return CTL_TRUST_REKEY_REQUEST;
	}
	if (in->peer_asked) {
		return CTL_TRUST_REKEY_PEER;
	}
	if (in->rekey_messages != 0 && in->counters && in->sealed_epoch >= in->rekey_messages) {
		return CTL_TRUST_REKEY_MESSAGES;
	}
	if (in->interval_s != 0 && in->now_ms >= in->epoch_ms &&
	    in->now_ms - in->epoch_ms >= (uint64_t)in->interval_s * 1000) {
		return CTL_TRUST_REKEY_INTERVAL;
	}
	return CTL_TRUST_REKEY_NONE;
}

const char *ctl_trust_sched_rekey_name(enum ctl_trust_rekey r)
{
	switch (r) {
	case CTL_TRUST_REKEY_INTERVAL:
		return "interval";
	case CTL_TRUST_REKEY_MESSAGES:
		return "messages";
	case CTL_TRUST_REKEY_DATAPLANE:
		return "data plane";
	case CTL_TRUST_REKEY_REQUEST:
		return "data plane request";
	case CTL_TRUST_REKEY_PEER:
		return "peer";
	default:
		return "";
	}
}

bool ctl_trust_sched_deliver_now(uint64_t dp_acked, uint64_t pub_epoch, uint64_t waited_ms)
{
	if (dp_acked == 0) {
		return true;
	}
	if (pub_epoch != 0 && dp_acked >= pub_epoch) {
		return true;
	}
	return waited_ms >= CTL_TRUST_DP_WAIT_MS;
}

bool ctl_trust_sched_confirm_now(uint64_t dp_acked, uint64_t pub_epoch)
{
	return dp_acked == 0 || (pub_epoch != 0 && dp_acked >= pub_epoch);
}

bool ctl_trust_sched_send_prev(bool peer_acked, bool peer_installed, uint64_t acked_ms,
			       uint64_t now_ms)
{
	if (!peer_acked) {
		return true;
	}
	return !peer_installed && now_ms < acked_ms + CTL_TRUST_SEND_PREV_GRACE_MS;
}
