/* SPDX-License-Identifier: Apache-2.0 */
#include "telemetry.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "app/grpc_tcp.h"
#include "crypto/crypto_aead.h"
#include "bridge/breaker.h"
#include "slim/slim_node.h"
#include "lcore.h"
#include "tcp/tcp_stack.h"
#include "net/neigh.h"
#include "shm/shm_reader.h"

static struct dp *tdp;

/*
 * Callbacks run on DPDK's telemetry thread, which outlives the data plane's
 * state at shutdown: each one runs under |lock| and only while |live|, and
 * telemetry_quiesce clears |live| before anything is freed.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool live;

static void add_counters(struct rte_tel_data *d, const struct lcore_stats *s)
{
	char name[64];

	rte_tel_data_add_dict_u64(d, "rx_packets", s->rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s->tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
	rte_tel_data_add_dict_u64(d, "polls", s->polls);
	rte_tel_data_add_dict_u64(d, "busy_polls", s->busy_polls);
	rte_tel_data_add_dict_u64(d, "busy_tsc", s->busy_tsc);
	rte_tel_data_add_dict_u64(d, "busy_cycles_per_packet",
				  s->rx_packets ? s->busy_tsc / s->rx_packets : 0);
	for (unsigned i = 0; i < NET_CTR__MAX; i++) {
		rte_tel_data_add_dict_u64(d, net_counter_name(i), s->net.c[i]);
	}
	for (unsigned i = 0; i < DROP__MAX; i++) {
		snprintf(name, sizeof(name), "drop_%s", drop_reason_name(i));
		rte_tel_data_add_dict_u64(d, name, s->drops[i]);
	}
}

static void sum(struct lcore_stats *t, const struct lcore_stats *s)
{
	t->rx_packets += s->rx_packets;
	t->rx_bytes += s->rx_bytes;
	t->tx_packets += s->tx_packets;
	t->tx_bytes += s->tx_bytes;
	t->polls += s->polls;
	t->busy_polls += s->busy_polls;
	t->busy_tsc += s->busy_tsc;
	for (unsigned i = 0; i < NET_CTR__MAX; i++) {
		t->net.c[i] += s->net.c[i];
	}
	for (unsigned i = 0; i < DROP__MAX; i++) {
		t->drops[i] += s->drops[i];
	}
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const per_worker[] = {"rx_packets", "tx_packets", "busy_polls",
						 "policy_epoch", "lcore_id"};
	struct lcore_stats total = {0};
	uint64_t dropped = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		sum(&total, &tdp->lcores[w]->stats);
	}
	for (unsigned i = 0; i < DROP__MAX; i++) {
		dropped += drop_reason_is_consumed(i) ? 0 : total.drops[i];
	}
	rte_tel_data_add_dict_u64(d, "workers", tdp->nb_workers);
	rte_tel_data_add_dict_u64(d, "policy_epoch", tdp->policy_status.epoch);
	rte_tel_data_add_dict_u64(d, "dropped", dropped);
	rte_tel_data_add_dict_u64(d, "neigh_created", tdp->neigh_stats.created);
	rte_tel_data_add_dict_u64(d, "neigh_updated", tdp->neigh_stats.updated);
	rte_tel_data_add_dict_u64(d, "neigh_ignored", tdp->neigh_stats.ignored);
	rte_tel_data_add_dict_u64(d, "neigh_table_full", tdp->neigh_stats.full);
	add_counters(d, &total);
	for (unsigned k = 0; k < RTE_DIM(per_worker); k++) {
		struct rte_tel_data *a = rte_tel_data_alloc();
		char name[64];

		if (a == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (uint16_t w = 0; w < tdp->nb_workers; w++) {
			const struct lcore_ctx *lc = tdp->lcores[w];
			const uint64_t v[] = {lc->stats.rx_packets, lc->stats.tx_packets,
					      lc->stats.busy_polls, lc->stats.policy_epoch,
					      lc->lcore_id};

			rte_tel_data_add_array_u64(a, v[k]);
		}
		snprintf(name, sizeof(name), "per_worker_%s", per_worker[k]);
		rte_tel_data_add_dict_container(d, name, a, 0);
	}
	return 0;
}

static int cmd_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct lcore_ctx *lc;
	unsigned long w;
	char *end;

	(void)cmd;
	if (params == NULL || *params == '\0') {
		return -EINVAL;
	}
	w = strtoul(params, &end, 10);
	if (*end != '\0' || w >= tdp->nb_workers) {
		return -EINVAL;
	}
	lc = tdp->lcores[w];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "worker", w);
	rte_tel_data_add_dict_u64(d, "lcore_id", lc->lcore_id);
	rte_tel_data_add_dict_u64(d, "policy_epoch", lc->stats.policy_epoch);
	add_counters(d, &lc->stats);
	return 0;
}

static int port_param(const char *params, uint16_t *idx)
{
	unsigned long p = 0;
	char *end;

	if (params != NULL && *params != '\0') {
		p = strtoul(params, &end, 10);
		if (*end != '\0') {
			return -EINVAL;
		}
	}
	if (p >= tdp->nb_ports) {
		return -EINVAL;
	}
	*idx = (uint16_t)p;
	return 0;
}

static void fmt_ip(char *buf, size_t len, uint8_t family, const uint8_t *ip)
{
	inet_ntop(family == NET_FAMILY_IP4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)len);
}

static int neigh_entry(const struct net_learn *l, uint64_t age, void *arg)
{
	struct rte_tel_data *a = arg;
	char ip[INET6_ADDRSTRLEN], val[96];
	const uint8_t *m = l->mac;

	fmt_ip(ip, sizeof(ip), l->family, l->ip);
	snprintf(val, sizeof(val), "%s %02x:%02x:%02x:%02x:%02x:%02x %llu", ip, m[0], m[1], m[2],
		 m[3], m[4], m[5], (unsigned long long)(age * 1000 / tdp->tsc_hz));
	/* The array holds at most RTE_TEL_MAX_ARRAY_ENTRIES; stop there. */
	return rte_tel_data_add_array_string(a, val) == 0 ? 0 : 1;
}

static int cmd_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *a;
	uint16_t idx;

	(void)cmd;
	if (port_param(params, &idx) != 0) {
		return -EINVAL;
	}
	a = rte_tel_data_alloc();
	if (a == NULL) {
		return -ENOMEM;
	}
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	neigh_foreach(tdp->ports[idx].neigh, rte_rdtsc(), neigh_entry, a);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "port", tdp->ports[idx].name);
	rte_tel_data_add_dict_u64(d, "count", neigh_count(tdp->ports[idx].neigh));
	rte_tel_data_add_dict_container(d, "entries", a, 0);
	return 0;
}

/* "/slimbridge/resolve,PORT,ADDRESS": worker 0 sends an ARP request or NS for ADDRESS. */
static int cmd_resolve(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lcore_cmd c = {.type = LCORE_CMD_RESOLVE};
	char buf[INET6_ADDRSTRLEN + 8], *addr, *end;
	unsigned long port;

	(void)cmd;
	if (params == NULL || strlen(params) >= sizeof(buf)) {
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	addr = strchr(buf, ',');
	if (addr == NULL) {
		return -EINVAL;
	}
	*addr++ = '\0';
	port = strtoul(buf, &end, 10);
	if (*end != '\0' || port >= tdp->nb_ports) {
		return -EINVAL;
	}
	c.port_idx = (uint16_t)port;
	if (inet_pton(AF_INET, addr, c.ip) == 1) {
		c.family = NET_FAMILY_IP4;
		if (!tdp->ports[port].nif.has_ip4) {
			return -EINVAL; /* no IPv4 address to ask from */
		}
	} else if (inet_pton(AF_INET6, addr, c.ip) == 1) {
		c.family = NET_FAMILY_IP6;
	} else {
		return -EINVAL;
	}
	if (lcore_post(tdp->lcores[0], &c) != 0) {
		return -ENOBUFS;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "queued", addr);
	rte_tel_data_add_dict_u64(d, "worker", 0);
	return 0;
}

/* "/slimbridge/tcp": every worker's TCP counters and connection states. */
static int cmd_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		const struct lcore_ctx *lc = tdp->lcores[w];
		const struct tcp_stack_stats *ts = tcp_stack_stats(lc->tcp);
		struct rte_tel_data *c = rte_tel_data_alloc();
		char key[32];

		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "connections", ts->conns);
		for (int s = TCP_SYN_SENT; s < TCP__STATE_MAX; s++) {
			rte_tel_data_add_dict_u64(c, tcp_state_name((enum tcp_state)s),
						  ts->by_state[s]);
		}
		for (int k = 0; k < TCP_CTR__MAX; k++) {
			rte_tel_data_add_dict_u64(c, tcp_ctr_name((enum tcp_ctr)k), ts->ctr[k]);
		}
		rte_tel_data_add_dict_u64(c, "handoff_out", lc->stats.tcp_handoff_out);
		rte_tel_data_add_dict_u64(c, "handoff_in", lc->stats.tcp_handoff_in);
		rte_tel_data_add_dict_u64(c, "connect_failed", lc->stats.tcp_connect_failed);
		snprintf(key, sizeof(key), "worker_%u", w);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

/* "/slimbridge/tcp_conns,WORKER": up to 32 connections of a worker, one string each. */
static int cmd_tcp_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tcp_conn_info in[32];
	unsigned long w;
	char *end;
	uint32_t n;

	(void)cmd;
	if (params == NULL || *params == '\0') {
		return -EINVAL;
	}
	w = strtoul(params, &end, 10);
	if (*end != '\0' || w >= tdp->nb_workers) {
		return -EINVAL;
	}
	n = tcp_stack_conns_info(tdp->lcores[w]->tcp, in, RTE_DIM(in));
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (uint32_t i = 0; i < n; i++) {
		char line[512];

		snprintf(line, sizeof(line),
			 "%s %u->%u cwnd %u ssth %u snd_wnd %u rcv_wnd %u nxt+%u max+%u sndq %u "
			 "unread %u ooo %u dup %u phase %u flags %#x rexmt %u persist %u dack %u "
			 "srtt %lu rto %lu retrans %lu",
			 tcp_state_name(in[i].state), in[i].lport, in[i].rport, in[i].cwnd,
			 in[i].ssthresh, in[i].snd_wnd, in[i].rcv_wnd, in[i].snd_nxt_off,
			 in[i].snd_max_off, in[i].sndq, in[i].unread, in[i].ooo_segs, in[i].dupacks,
			 in[i].cc_phase, in[i].flags, in[i].rexmt_in_ms, in[i].persist_in_ms,
			 in[i].dack_in_ms, (unsigned long)in[i].srtt_us, (unsigned long)in[i].rto_us,
			 (unsigned long)in[i].retrans);
		line[RTE_TEL_MAX_STRING_LEN - 1] = 0;
		rte_tel_data_add_array_string(d, line);
	}
	return 0;
}

/*
 * "/slimbridge/tcp_connect,WORKER,ADDRESS,PORT": WORKER opens a connection
 * from port 0 to ADDRESS:PORT running the source service (tcp_apps.h).
 */
static int post_connect(uint16_t type, const char *params, struct rte_tel_data *d)
{
	struct lcore_cmd c = {.type = type};
	char buf[INET6_ADDRSTRLEN + 24], *addr, *port, *end;
	unsigned long w, dport;

	if (params == NULL || strlen(params) >= sizeof(buf)) {
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	addr = strchr(buf, ',');
	port = addr != NULL ? strrchr(addr + 1, ',') : NULL;
	if (addr == NULL || port == NULL) {
		return -EINVAL;
	}
	*addr++ = '\0';
	*port++ = '\0';
	w = strtoul(buf, &end, 10);
	if (*end != '\0' || w >= tdp->nb_workers) {
		return -EINVAL;
	}
	dport = strtoul(port, &end, 10);
	if (*end != '\0' || dport == 0 || dport > 65535) {
		return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, c.ip) == 1) {
		c.family = NET_FAMILY_IP4;
	} else if (inet_pton(AF_INET6, addr, c.ip) == 1) {
		c.family = NET_FAMILY_IP6;
	} else {
		return -EINVAL;
	}
	c.port_idx = 0;
	c.dport = (uint16_t)dport;
	if (lcore_post(tdp->lcores[w], &c) != 0) {
		return -ENOBUFS;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "queued", addr);
	rte_tel_data_add_dict_u64(d, "worker", w);
	return 0;
}

static int cmd_tcp_connect(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return post_connect(LCORE_CMD_TCP_CONNECT, params, d);
}

/*
 * "/slimbridge/grpc_call,WORKER,ADDRESS,PORT": WORKER dials ADDRESS:PORT over
 * its own TCP and makes one grpc.testing.TestService/EmptyCall (app/grpc_tcp.h);
 * the outcome shows in /slimbridge/grpc.
 */
static int cmd_grpc_call(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	return post_connect(LCORE_CMD_GRPC_CALL, params, d);
}

/* Add |value| under "<prefix><name in lower case>" (counter names are upper case X-macros). */
static void add_lower(struct rte_tel_data *c, const char *prefix, const char *name, uint64_t value)
{
	char key[48];
	size_t j = (size_t)snprintf(key, sizeof(key), "%s", prefix);

	for (; *name != 0 && j + 1 < sizeof(key); name++) {
		key[j++] = (char)tolower((unsigned char)*name);
	}
	key[j] = 0;
	rte_tel_data_add_dict_u64(c, key, value);
}

/* Policy denial reasons as counter names (deny_<reason>). */
static const char *const deny_names[SB_POL_REASON_MAX] = {
#define _(n, s) #n,
	foreach_sb_pol_reason
#undef _
};

/* "/slimbridge/slim": each worker's SLIM node, with policy denials by reason. */
static int cmd_slim(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		const struct lcore_ctx *lc = tdp->lcores[w];
		const struct slim_node_stats *ss;
		struct rte_tel_data *c;
		char key[32];

		if (lc->slim == NULL) {
			continue;
		}
		ss = slim_node_stats(lc->slim);
		c = rte_tel_data_alloc();
		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "connections", ss->connections);
		rte_tel_data_add_dict_u64(c, "subscriptions", ss->subscriptions);
		for (int k = 0; k < SLIM_CTR_MAX; k++) {
			add_lower(c, "", slim_counter_name((enum slim_counter)k), ss->ctr[k]);
		}
		for (int k = SB_POL_REASON_NOT_REQUIRED + 1; k < SB_POL_REASON_MAX; k++) {
			add_lower(c, "deny_", deny_names[k], ss->deny[k]);
		}
		rte_tel_data_add_dict_u64(c, "content_scans", lc->rules_ctr.scans);
		rte_tel_data_add_dict_u64(c, "content_bytes", lc->rules_ctr.bytes);
		rte_tel_data_add_dict_u64(c, "content_block_matches",
					  lc->rules_ctr.matches[SB_POL_RULE_BLOCK]);
		rte_tel_data_add_dict_u64(c, "content_audit_matches",
					  lc->rules_ctr.matches[SB_POL_RULE_AUDIT]);
		rte_tel_data_add_dict_u64(c, "content_errors", lc->rules_ctr.errors);
		snprintf(key, sizeof(key), "worker_%u", w);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

static void add_aead(struct rte_tel_data *c, const struct crypto_aead_stats *st)
{
	rte_tel_data_add_dict_u64(c, "seals", st->seals);
	rte_tel_data_add_dict_u64(c, "opens", st->opens);
	rte_tel_data_add_dict_u64(c, "seal_bytes", st->seal_bytes);
	rte_tel_data_add_dict_u64(c, "open_bytes", st->open_bytes);
	rte_tel_data_add_dict_u64(c, "auth_failures", st->auth_failures);
	rte_tel_data_add_dict_u64(c, "invalid", st->invalid);
	rte_tel_data_add_dict_u64(c, "expired", st->expired);
	rte_tel_data_add_dict_u64(c, "rekey_advised", st->rekey_advised);
	rte_tel_data_add_dict_u64(c, "bursts", st->bursts);
}

/* "/slimbridge/crypto": each worker's AEAD engine (backend, code path) and its counters. */
static int cmd_crypto(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct crypto_aead_stats total = { 0 };
	char desc[160];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		const struct lcore_ctx *lc = tdp->lcores[w];
		struct crypto_aead_stats st;
		struct rte_tel_data *c;
		char key[32];

		if (lc->aead == NULL) {
			continue;
		}
		crypto_aead_engine_stats(lc->aead, &st);
		if (w == 0) {
			rte_tel_data_add_dict_string(d, "backend",
				crypto_aead_backend_name(crypto_aead_engine_backend(lc->aead)));
			rte_tel_data_add_dict_string(d, "arch",
				crypto_aead_arch_name(crypto_aead_engine_arch(lc->aead)));
			rte_tel_data_add_dict_string(d, "engine",
				crypto_aead_engine_describe(lc->aead, desc, sizeof(desc)));
		}
		total.seals += st.seals;
		total.opens += st.opens;
		total.seal_bytes += st.seal_bytes;
		total.open_bytes += st.open_bytes;
		total.auth_failures += st.auth_failures;
		total.invalid += st.invalid;
		total.expired += st.expired;
		total.rekey_advised += st.rekey_advised;
		total.bursts += st.bursts;
		c = rte_tel_data_alloc();
		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		add_aead(c, &st);
		snprintf(key, sizeof(key), "worker_%u", w);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	add_aead(d, &total);
	return 0;
}

/* "/slimbridge/grpc": gRPC over each worker's TCP. */
static int cmd_grpc(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		const struct lcore_ctx *lc = tdp->lcores[w];
		const struct grpc_tcp_stats *gs = grpc_tcp_stats(lc->grpc);
		struct rte_tel_data *c = rte_tel_data_alloc();
		char key[32];

		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "accepted", gs->accepted);
		rte_tel_data_add_dict_u64(c, "dialled", gs->dialled);
		rte_tel_data_add_dict_u64(c, "calls_ok", gs->calls_ok);
		rte_tel_data_add_dict_u64(c, "calls_failed", gs->calls_failed + lc->stats.grpc_call_failed);
		rte_tel_data_add_dict_int(c, "last_status", (int)gs->last_status);
		for (int k = 0; k < H2_CTR_MAX; k++) {
			add_lower(c, "h2_", h2_counter_name((enum h2_counter)k, NULL), gs->h2.ctr[k]);
		}
		snprintf(key, sizeof(key), "worker_%u", w);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

static const char *const state_names[] = {"absent", "attached", "waiting", "invalid"};

static int cmd_policy(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_policy_status *st = &tdp->policy_status;
	char inst[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&st->lock);
	rte_tel_data_add_dict_string(d, "shm_name", tdp->conf.shm_name);
	rte_tel_data_add_dict_string(d, "state", state_names[st->state]);
	rte_tel_data_add_dict_u64(d, "epoch", st->epoch);
	snprintf(inst, sizeof(inst), "%016llx", (unsigned long long)st->instance);
	rte_tel_data_add_dict_string(d, "instance", inst);
	rte_tel_data_add_dict_u64(d, "acked_epoch", st->acked_epoch);
	rte_tel_data_add_dict_u64(d, "writer_pid", st->writer_pid);
	rte_tel_data_add_dict_u64(d, "writer_heartbeat_age_ms", st->heartbeat_age_ms);
	rte_tel_data_add_dict_u64(d, "policy_version", st->policy_version);
	rte_tel_data_add_dict_u64(d, "refused", st->refused);
	rte_tel_data_add_dict_string(d, "error", st->error);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/*
 * "/slimbridge/identity": the audience, the trust bundles of the snapshot in
 * use (the status lock keeps its slot from being reused while it is read),
 * and the identity caches' counters summed over the workers.
 */
static int cmd_identity(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_policy_status *st = &tdp->policy_status;
	struct id_cache_stats sum = { 0 };
	const struct dp_policy *pol;
	struct rte_tel_data *bl, *rs;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "audience", tdp->conf.identity.audience);
	bl = rte_tel_data_alloc();
	rs = rte_tel_data_alloc();
	if (bl == NULL || rs == NULL) {
		rte_tel_data_free(bl);
		rte_tel_data_free(rs);
		return -ENOMEM;
	}
	/* a list: trust domains have dots, which DPDK refuses in dictionary names */
	rte_tel_data_start_array(bl, RTE_TEL_CONTAINER);
	pthread_mutex_lock(&st->lock);
	pol = __atomic_load_n(&tdp->policy, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; pol != NULL && i < pol->bundles.n; i++) {
		const struct id_bundle *b = pol->bundles.b[i];
		struct rte_tel_data *e = rte_tel_data_alloc();

		if (e == NULL) {
			break;
		}
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "trust_domain", b->td);
		rte_tel_data_add_dict_u64(e, "sequence", b->sequence);
		rte_tel_data_add_dict_u64(e, "refresh_hint_s", b->refresh_hint_s);
		rte_tel_data_add_dict_u64(e, "jwt_keys", b->n_keys);
		rte_tel_data_add_dict_u64(e, "ignored_keys", b->n_ignored);
		if (rte_tel_data_add_array_container(bl, e, 0) != 0) {
			rte_tel_data_free(e);
		}
	}
	pthread_mutex_unlock(&st->lock);
	rte_tel_data_add_dict_container(d, "bundles", bl, 0);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		struct id_cache_stats one;

		if (tdp->lcores[w]->idc == NULL) {
			continue;
		}
		/* the worker's own counters, read with plain 64-bit loads */
		id_cache_get_stats(tdp->lcores[w]->idc, &one);
		sum.lookups += one.lookups;
		sum.hits += one.hits;
		sum.neg_hits += one.neg_hits;
		sum.cold_ok += one.cold_ok;
		sum.cold_bad += one.cold_bad;
		sum.pending += one.pending;
		sum.evictions += one.evictions;
		sum.uncacheable += one.uncacheable;
		sum.invalidations += one.invalidations;
		for (int r = 0; r < ID_R_COUNT; r++) {
			sum.reasons[r] += one.reasons[r];
		}
	}
	rte_tel_data_add_dict_u64(d, "lookups", sum.lookups);
	rte_tel_data_add_dict_u64(d, "hits", sum.hits);
	rte_tel_data_add_dict_u64(d, "negative_hits", sum.neg_hits);
	rte_tel_data_add_dict_u64(d, "verified_ok", sum.cold_ok);
	rte_tel_data_add_dict_u64(d, "verified_refused", sum.cold_bad);
	rte_tel_data_add_dict_u64(d, "pending", sum.pending);
	rte_tel_data_add_dict_u64(d, "evictions", sum.evictions);
	rte_tel_data_add_dict_u64(d, "uncacheable", sum.uncacheable);
	rte_tel_data_add_dict_u64(d, "invalidations", sum.invalidations);
	rte_tel_data_start_dict(rs);
	for (int r = 1; r < ID_R_COUNT; r++) {
		rte_tel_data_add_dict_u64(rs, id_reason_name((enum id_reason)r), sum.reasons[r]);
	}
	rte_tel_data_add_dict_container(d, "refused_by_reason", rs, 0);
	return 0;
}

/* "tenant/app/agent" -> SLIM name components (what a client's EncodedName holds). */
static int parse_name(char *s, uint64_t comp[3])
{
	char *save = NULL;

	for (int i = 0; i < 3; i++) {
		char *part = strtok_r(i == 0 ? s : NULL, "/", &save);

		if (part == NULL || part[0] == '\0') {
			return -EINVAL;
		}
		comp[i] = policy_name_hash(part, (uint32_t)strlen(part));
	}
	return strtok_r(NULL, "/", &save) == NULL ? 0 : -EINVAL;
}

/*
 * The data plane's own decision for one message, on the snapshot the
 * workers use, through policy_decide_burst: what a SLIM message from SRC to
 * DST would get. Holding the status lock keeps the snapshot from being
 * acknowledged (and so rewritten) while it is read.
 */
static int cmd_policy_check(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_policy_status *st = &tdp->policy_status;
	char buf[512], *f[4], *save = NULL;
	struct policy_query q = {0};
	struct policy_verdict v;
	const struct dp_policy *pol;
	int n = 0;

	(void)cmd;
	if (params == NULL || strlen(params) >= sizeof(buf)) {
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	for (char *t = strtok_r(buf, ",", &save); t != NULL && n < 4; t = strtok_r(NULL, ",", &save)) {
		f[n++] = t;
	}
	if (n != 4 || parse_name(f[0], q.src) < 0 || parse_name(f[1], q.dst) < 0) {
		return -EINVAL;
	}
	if (strcmp(f[2], "outbound") == 0) {
		q.dir = POLICY_OUTBOUND;
	} else if (strcmp(f[2], "inbound") == 0) {
		q.dir = POLICY_INBOUND;
	} else if (strcmp(f[2], "message") == 0) {
		q.dir = POLICY_MESSAGE;
	} else {
		return -EINVAL;
	}
	if (strcmp(f[3], "task") == 0) {
		q.op = SB_POL_OP_TASK;
	} else if (strcmp(f[3], "query") == 0) {
		q.op = SB_POL_OP_QUERY;
	} else {
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&st->lock);
	pol = __atomic_load_n(&tdp->policy, __ATOMIC_ACQUIRE);
	if (pol != NULL) {
		policy_decide_burst(&pol->view, &q, 1, &v);
	} else {
		struct policy_view empty;
		const char *why;

		(void)!policy_view_init(&empty, NULL, &why);
		policy_decide_burst(&empty, &q, 1, &v);
	}
	rte_tel_data_add_dict_u64(d, "epoch", pol != NULL ? pol->epoch : 0);
	rte_tel_data_add_dict_u64(d, "version", pol != NULL ? pol->view.version : 0);
	pthread_mutex_unlock(&st->lock);
	rte_tel_data_add_dict_int(d, "allowed", v.allowed);
	rte_tel_data_add_dict_int(d, "required", v.required);
	rte_tel_data_add_dict_string(d, "reason", policy_reason_text(v.reason));
	rte_tel_data_add_dict_string(d, "blockedAt", policy_level_name(v.level));
	if (v.trust != POLICY_NO_TRUST && pol != NULL) {
		rte_tel_data_add_dict_string(d, "trust",
					     policy_string(&pol->view, pol->view.trusts[v.trust].name));
	}
	return 0;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < tdp->nb_ports; i++) {
		const struct dp_port *p = &tdp->ports[i];
		struct rte_tel_data *a = rte_tel_data_alloc();
		char buf[96], ip[INET6_ADDRSTRLEN], key[CONF_NAME_MAX];
		const uint8_t *m = p->nif.mac;

		if (a == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
		snprintf(buf, sizeof(buf), "port_id=%u", p->port_id);
		rte_tel_data_add_array_string(a, buf);
		snprintf(buf, sizeof(buf), "queues=%u", p->nb_queues);
		rte_tel_data_add_array_string(a, buf);
		rte_tel_data_add_array_string(a, p->rss ? "rss=on" : "rss=off");
		snprintf(buf, sizeof(buf), "mac=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		rte_tel_data_add_array_string(a, buf);
		if (p->nif.has_ip4) {
			fmt_ip(ip, sizeof(ip), NET_FAMILY_IP4, (const uint8_t *)&p->nif.ip4);
			snprintf(buf, sizeof(buf), "ipv4=%s/%u", ip, p->nif.ip4_prefix);
			rte_tel_data_add_array_string(a, buf);
		}
		if (p->nif.has_ip6) {
			fmt_ip(ip, sizeof(ip), NET_FAMILY_IP6, p->nif.ip6);
			snprintf(buf, sizeof(buf), "ipv6=%s/%u", ip, p->nif.ip6_prefix);
			rte_tel_data_add_array_string(a, buf);
		}
		fmt_ip(ip, sizeof(ip), NET_FAMILY_IP6, p->nif.ip6_ll);
		snprintf(buf, sizeof(buf), "ipv6_ll=%s", ip);
		rte_tel_data_add_array_string(a, buf);
		snprintf(buf, sizeof(buf), "impair=%s", p->conf.impair.enabled ? "on" : "off");
		rte_tel_data_add_array_string(a, buf);
		/* Telemetry names allow only [A-Za-z0-9_/]: a PCI address becomes 0000_03_00_0. */
		snprintf(key, sizeof(key), "%s", p->name);
		for (char *k = key; *k != '\0'; k++) {
			if (!isalnum((unsigned char)*k) && *k != '_') {
				*k = '_';
			}
		}
		rte_tel_data_add_dict_container(d, key, a, 0);
	}
	return 0;
}

/* "/slimbridge/bridge": per trust, its circuit breaker, link and seal counters (bridge_abi.h). */
static const char *link_name(unsigned l)
{
	static const char *const names[] = {"down", "connecting", "up", "none"};

	return l < 4 ? names[l] : "?";
}

static int cmd_bridge(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *tl = rte_tel_data_alloc();
	uint64_t waits = 0;

	(void)cmd;
	(void)params;
	if (tl == NULL) {
		return -ENOMEM;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_start_array(tl, RTE_TEL_CONTAINER);
	for (uint32_t i = 0; tdp->bstatus != NULL && i < SB_BRIDGE_MAX_TRUSTS; i++) {
		const struct sb_bridge_trust *t = bridge_status_trust(tdp->bstatus, i);
		struct rte_tel_data *e;

		if (t == NULL || t->trust_id[0] == '\0') {
			continue;
		}
		e = rte_tel_data_alloc();
		if (e == NULL) {
			break;
		}
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "trust", t->trust_id);
		rte_tel_data_add_dict_string(e, "breaker", breaker_state_name(t->breaker));
		rte_tel_data_add_dict_string(e, "link", link_name(t->link));
		rte_tel_data_add_dict_u64(e, "failures", t->failures);
		rte_tel_data_add_dict_u64(e, "threshold", t->threshold);
		rte_tel_data_add_dict_u64(e, "opened", t->opened);
		rte_tel_data_add_dict_u64(e, "gone", t->gone);
		rte_tel_data_add_dict_u64(e, "epoch", t->epoch);
		rte_tel_data_add_dict_u64(e, "sealed", t->sealed);
		rte_tel_data_add_dict_u64(e, "records", t->records);
		rte_tel_data_add_dict_u64(e, "opened_msgs", t->opened_msgs);
		rte_tel_data_add_dict_u64(e, "denied", t->denied);
		if (rte_tel_data_add_array_container(tl, e, 0) != 0) {
			rte_tel_data_free(e);
		}
	}
	rte_tel_data_add_dict_container(d, "trusts", tl, 0);
	for (uint16_t w = 0; w < tdp->nb_workers; w++) {
		waits += tdp->lcores[w]->stats.audit_waits;
	}
	rte_tel_data_add_dict_u64(d, "audit_waits", waits);
	rte_tel_data_add_dict_u64(d, "audit", tdp->audit != NULL);
	return 0;
}

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
} cmds[] = {
	{"/slimbridge/stats", cmd_stats,
	 "Data-plane totals, drop reasons and per-worker counters. No parameters."},
	{"/slimbridge/lcore", cmd_lcore, "Counters of one worker. Parameter: worker index."},
	{"/slimbridge/neigh", cmd_neigh,
	 "Neighbour cache of a port: entries \"address mac age_ms\". Parameter: port index (0)."},
	{"/slimbridge/resolve", cmd_resolve,
	 "Resolve an address from worker 0 (ARP request or NS); the answer appears in "
	 "/slimbridge/neigh. Parameters: port index, address."},
	{"/slimbridge/policy", cmd_policy, "Shared-memory policy attachment. No parameters."},
	{"/slimbridge/policy_check", cmd_policy_check,
	 "Decide one message. Params: src t/app/agent,dst t/app/agent,"
	 "outbound|inbound|message,task|query"},
	{"/slimbridge/ports", cmd_ports, "Configured ports. No parameters."},
	{"/slimbridge/tcp", cmd_tcp,
	 "TCP counters and connection states of every worker. No parameters."},
	{"/slimbridge/tcp_conns", cmd_tcp_conns,
	 "Connections of one worker (up to 32), one line each. Parameter: worker index."},
	{"/slimbridge/tcp_connect", cmd_tcp_connect,
	 "Open an outbound TCP connection running the source service. Parameters: worker, "
	 "address, port."},
	{"/slimbridge/grpc", cmd_grpc,
	 "gRPC over each worker's TCP: connections, dialled calls. No parameters."},
	{"/slimbridge/slim", cmd_slim,
	 "SLIM node of each worker: connections, subscriptions, message counters. No parameters."},
	{"/slimbridge/crypto", cmd_crypto,
	 "AEAD engine of the workers: backend, code path, seals, opens, auth failures; totals "
	 "and per worker. No parameters."},
	{"/slimbridge/identity", cmd_identity,
	 "JWT-SVID checks: audience, bundles in use, identity cache hits, verifications, "
	 "refusals by reason. No parameters."},
	{"/slimbridge/bridge", cmd_bridge,
	 "Per trust: circuit breaker, peer link, seal epoch and counters; audit waits. No parameters."},
	{"/slimbridge/grpc_call", cmd_grpc_call,
	 "Dial a gRPC server over the worker's TCP, make one EmptyCall. Parameters: worker, "
	 "address, port."},
};

static int dispatch(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = -EBUSY;

	pthread_mutex_lock(&lock);
	if (live) {
		rc = -EINVAL;
		for (unsigned i = 0; i < RTE_DIM(cmds); i++) {
			if (strcmp(cmd, cmds[i].cmd) == 0) {
				rc = cmds[i].fn(cmd, params, d);
				break;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int telemetry_register(struct dp *dp)
{
	pthread_mutex_lock(&lock);
	tdp = dp;
	live = true;
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < RTE_DIM(cmds); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, dispatch, cmds[i].help);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

void telemetry_quiesce(void)
{
	pthread_mutex_lock(&lock);
	live = false;
	pthread_mutex_unlock(&lock);
}
