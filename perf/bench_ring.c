/* SPDX-License-Identifier: Apache-2.0 */
/* bench_ring.c - two TCP stacks on one lcore linked by net_ring (bench_ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "bench_ring.h"
#include "perf_util.h"

uint64_t bring_tsc_hz;
uint64_t bring_tsc_per_us = 1;

static char run_dir[96]; /* EAL's /var/run/dpdk/<prefix>, removed at exit */
static struct rte_ring *ring_ab, *ring_ba;

void bring_remove_run_dir(void)
{
	if (run_dir[0] != '\0') {
		rmdir(run_dir);
	}
}

void bring_eal_defaults_help(FILE *f, const char *tag)
{
	fprintf(f,
		"EAL arguments before '--' replace the defaults, which are:\n"
		"  -l 1 (0 on a one-CPU machine) [--no-huge] -m 1024 --no-pci --no-telemetry "
		"--no-shconf\n"
		"  --file-prefix sb%s_<pid> [--huge-unlink] --log-level lib.eal:error\n"
		"(--no-huge when fewer than 512 hugepages are free; scripts/hugepages reserves "
		"them).\n",
		tag);
}

int bring_eal_init(int argc, char **argv, int dd, const char *tag, bool *no_huge, bool *user_eal)
{
	char **eargv = calloc((size_t)argc + 24, sizeof(*eargv));
	static char prefix[64], lcore[16];
	int eargc = 0;

	if (eargv == NULL) {
		return -1;
	}
	eargv[eargc++] = argv[0];
	*user_eal = dd > 1;
	if (*user_eal) {
		for (int i = 1; i < dd; i++) {
			eargv[eargc++] = argv[i];
		}
	} else {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		char t[32];
		size_t j = 0;

		if (!*no_huge && !perf_hugepages_free()) {
			*no_huge = true;
			printf("note: fewer than 512 free hugepages (run scripts/hugepages); "
			       "using --no-huge\n");
		}
		for (const char *c = tag; *c != '\0' && j + 1 < sizeof(t); c++) {
			if (*c != '-') {
				t[j++] = *c;
			}
		}
		t[j] = '\0';
		snprintf(lcore, sizeof(lcore), "%ld", ncpu > 1 ? 1L : 0L);
		snprintf(prefix, sizeof(prefix), "sb%s_%d", t, (int)getpid());
		eargv[eargc++] = "-l";
		eargv[eargc++] = lcore;
		eargv[eargc++] = *no_huge ? "--no-huge" : "--huge-unlink";
		eargv[eargc++] = "-m";
		eargv[eargc++] = "1024";
		eargv[eargc++] = "--no-pci";
		eargv[eargc++] = "--no-telemetry";
		eargv[eargc++] = "--no-shconf";
		eargv[eargc++] = "--file-prefix";
		eargv[eargc++] = prefix;
		eargv[eargc++] = "--log-level";
		eargv[eargc++] = "lib.eal:error";
		snprintf(run_dir, sizeof(run_dir), "/var/run/dpdk/%s", prefix);
	}
	eargv[eargc] = NULL;
	atexit(bring_remove_run_dir);
	if (rte_eal_init(eargc, eargv) < 0) {
		fprintf(stderr, "%s: EAL init failed: %s\n", tag, rte_strerror(rte_errno));
		return -1;
	}
	/* EAL keeps pointers into eargv: it stays allocated. */
	bring_tsc_hz = rte_get_tsc_hz();
	bring_tsc_per_us = RTE_MAX(bring_tsc_hz / 1000000, (uint64_t)1);
	return 0;
}

char **bring_split_args(int argc, char **argv, int *dd, int *oargc)
{
	char **o = calloc((size_t)argc + 1, sizeof(*o));

	*dd = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*dd = i;
			break;
		}
	}
	if (o == NULL) {
		return NULL;
	}
	o[0] = argv[0];
	*oargc = 1;
	for (int i = *dd >= 0 ? *dd + 1 : 1; i < argc; i++) {
		o[(*oargc)++] = argv[i];
	}
	return o;
}

void bring_stack_conf(struct tcp_stack_conf *c)
{
	tcp_stack_conf_defaults(c);
	c->rcvbuf = 1 << 20;
	c->sndbuf = 1 << 20;
	for (unsigned i = 0; i < sizeof(c->secret); i += 8) {
		uint64_t r = rte_rand();

		memcpy(c->secret + i, &r, 8);
	}
	c->seed = (uint32_t)rte_rand();
}

static void side_tx(struct bring_side *s)
{
	uint16_t sent = 0;

	while (sent < s->ntx) {
		uint16_t n = rte_eth_tx_burst(s->port, 0, s->txb + sent, s->ntx - sent);

		if (n == 0) {
			break;
		}
		sent += n;
	}
	if (sent < s->ntx) {
		rte_pktmbuf_free_bulk(s->txb + sent, s->ntx - sent);
		s->link_drops += s->ntx - sent;
	}
	s->tx_pkts += sent;
	s->ntx = 0;
}

static void side_emit(void *arg, struct rte_mbuf *m, uint16_t port_idx, uint8_t family,
		      const uint8_t *dst)
{
	struct bring_side *s = arg;
	struct rte_ether_hdr *eh =
		(struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr));

	(void)port_idx;
	(void)dst;
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		s->link_drops++;
		return;
	}
	rte_ether_addr_copy(&s->peer_mac, &eh->dst_addr);
	rte_ether_addr_copy(&s->mac, &eh->src_addr);
	eh->ether_type =
		rte_cpu_to_be_16(family == TCP_KEY_V4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	m->l2_len = sizeof(*eh);
	s->txb[s->ntx++] = m;
	if (s->ntx == BRING_TXB_MAX) {
		side_tx(s);
	}
}

uint32_t bring_turn(struct bring_side *s, uint64_t now)
{
	struct rte_mbuf *m[BRING_BURST];
	struct tcp_pkt p[BRING_BURST];
	uint16_t miss[BRING_BURST], np = 0, n;
	uint64_t tx0 = s->tx_pkts;

	if (s->pre != NULL) {
		s->pre();
	}
	n = rte_eth_rx_burst(s->port, 0, m, BRING_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *b = m[i];
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(b, const struct rte_ether_hdr *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
		uint16_t ihl, tot;
		const uint8_t *tcp;

		if (rte_pktmbuf_data_len(b) < sizeof(*eh) + sizeof(*ip) + 20 ||
		    eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		    ip->next_proto_id != IPPROTO_TCP) {
			goto bad;
		}
		ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
		tot = rte_be_to_cpu_16(ip->total_length);
		if (ihl < 20 || tot < ihl + 20 || sizeof(*eh) + tot > rte_pktmbuf_pkt_len(b) ||
		    sizeof(*eh) + ihl + 20 > rte_pktmbuf_data_len(b)) {
			goto bad;
		}
		tcp = (const uint8_t *)ip + ihl;
		if (tot - ihl > (tcp[12] >> 4) * 4) {
			s->data_segs_in++;
		}
		p[np++] = (struct tcp_pkt){
			.m = b,
			.l3_off = sizeof(*eh),
			.l4_off = (uint16_t)(sizeof(*eh) + ihl),
			.l4_len = (uint16_t)(tot - ihl),
			.family = TCP_KEY_V4,
			.port_idx = 0,
		};
		continue;
	bad:
		s->not_tcp++;
		rte_pktmbuf_free(b);
	}
	if (np > 0) {
		uint16_t nm = tcp_stack_input(s->st, p, np, miss, now);

		for (uint16_t i = 0; i < nm; i++) {
			rte_pktmbuf_free(p[miss[i]].m);
		}
		s->misses += nm;
	}
	tcp_stack_tick(s->st, now);
	side_tx(s);
	return n + (uint32_t)(s->tx_pkts - tx0);
}

void bring_reset(struct bring_side *s)
{
	s->cycles = s->busy_cycles = s->turns = s->busy_turns = 0;
	s->data_segs_in = s->link_drops = s->not_tcp = s->misses = 0;
	s->st0 = *tcp_stack_stats(s->st);
}

uint64_t bring_ctr(const struct bring_side *s, enum tcp_ctr c)
{
	return tcp_stack_stats(s->st)->ctr[c] - s->st0.ctr[c];
}

static int port_make(struct bring_side *s, const char *name, struct rte_ring *rx,
		     struct rte_ring *tx)
{
	struct rte_eth_conf conf;
	int socket = (int)rte_socket_id();
	int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)socket);

	if (port < 0) {
		fprintf(stderr, "rte_eth_from_rings(%s): %s\n", name, rte_strerror(rte_errno));
		return -1;
	}
	s->port = (uint16_t)port;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(s->port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(s->port, 0, BRING_RING_SIZE, (unsigned)socket, NULL, s->pool) !=
		    0 ||
	    rte_eth_tx_queue_setup(s->port, 0, BRING_RING_SIZE, (unsigned)socket, NULL) != 0 ||
	    rte_eth_dev_start(s->port) != 0) {
		fprintf(stderr, "cannot start port %s\n", name);
		return -1;
	}
	s->port_up = true;
	return 0;
}

static int side_make(struct bring_side *s, int id, const struct tcp_stack_conf *conf,
		     const char *tag)
{
	char name[48];
	struct tcp_stack_env env = {.emit = side_emit, .arg = s};
	struct tcp_stack_port port = {.has_ip4 = true, .mtu = 1500, .rss = NULL};

	snprintf(name, sizeof(name), "%s_pool_%c", tag, 'a' + id);
	s->pool = rte_pktmbuf_pool_create(name, BRING_POOL_SIZE, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (s->pool == NULL) {
		fprintf(stderr, "mempool of %u mbufs: %s\n", BRING_POOL_SIZE,
			rte_strerror(rte_errno));
		return -1;
	}
	env.pool = s->pool;
	s->mac = (struct rte_ether_addr){{0x02, 0x5b, 0, 0, 0, (uint8_t)(1 + id)}};
	s->peer_mac = (struct rte_ether_addr){{0x02, 0x5b, 0, 0, 0, (uint8_t)(2 - id)}};
	snprintf(name, sizeof(name), "%s_%c", tag, 'a' + id);
	s->st = tcp_stack_new(name, (int)rte_socket_id(), conf, &env, bring_now_us());
	if (s->st == NULL) {
		fprintf(stderr, "tcp_stack_new: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	port.ip4 = htonl(0x0a620001u + (uint32_t)id); /* 10.98.0.1, 10.98.0.2 */
	if (tcp_stack_set_port(s->st, 0, &port) != 0) {
		fprintf(stderr, "tcp_stack_set_port failed\n");
		return -1;
	}
	return 0;
}

int bring_pair_make(struct bring_side *a, struct bring_side *b, const struct tcp_stack_conf *conf,
		    const char *tag)
{
	char name[48];

	snprintf(name, sizeof(name), "%s_ab", tag);
	ring_ab = rte_ring_create(name, BRING_RING_SIZE, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "%s_ba", tag);
	ring_ba = rte_ring_create(name, BRING_RING_SIZE, (int)rte_socket_id(),
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ring_ab == NULL || ring_ba == NULL) {
		fprintf(stderr, "rte_ring_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (side_make(a, 0, conf, tag) != 0 || side_make(b, 1, conf, tag) != 0) {
		return -1;
	}
	snprintf(name, sizeof(name), "net_ring_%s_a", tag);
	if (port_make(a, name, ring_ba, ring_ab) != 0) {
		return -1;
	}
	snprintf(name, sizeof(name), "net_ring_%s_b", tag);
	return port_make(b, name, ring_ab, ring_ba);
}

void bring_pair_free(struct bring_side *a, struct bring_side *b)
{
	struct bring_side *s[2] = {a, b};

	/* The stacks first: they reset what is left (their RSTs go nowhere). */
	for (int i = 0; i < 2; i++) {
		tcp_stack_free(s[i]->st);
		s[i]->st = NULL;
	}
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *m[BRING_BURST];
		uint16_t n;

		rte_pktmbuf_free_bulk(s[i]->txb, s[i]->ntx);
		s[i]->ntx = 0;
		if (!s[i]->port_up) {
			continue;
		}
		s[i]->port_up = false;
		while ((n = rte_eth_rx_burst(s[i]->port, 0, m, BRING_BURST)) > 0) {
			rte_pktmbuf_free_bulk(m, n);
		}
		rte_eth_dev_stop(s[i]->port);
		rte_eth_dev_close(s[i]->port);
	}
	rte_ring_free(ring_ab);
	rte_ring_free(ring_ba);
	ring_ab = ring_ba = NULL;
	for (int i = 0; i < 2; i++) {
		rte_mempool_free(s[i]->pool);
		s[i]->pool = NULL;
	}
}
