/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-l3: TSC cycles per packet of the data plane's worker loop, side by
 * side with dpdk-testpmd on the same virtual devices, in one run. Prints; it
 * asserts nothing.
 *
 *   answer  net_pcap replaying ICMP echo requests (infinite_rx, TX dropped):
 *           our worker (rx, L2/L3 checks, in-place echo reply, tx) against
 *           testpmd --forward-mode=icmpecho, which does the same job.
 *   drop    net_null (frames not for us): our rx + classify + free against
 *           testpmd io-forward between two net_null ports (rx + tx), the
 *           framework's floor.
 *
 * Usage: bench-l3 [--seconds N] [--size FRAME_BYTES] [--no-huge] [--no-anchors]
 *                 [--testpmd PATH]
 * Hugepages are used when at least 512 are free (scripts/hugepages reserves
 * them); otherwise it runs with --no-huge and says so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "lcore.h"
#include "net/neigh.h"
#include "port/port.h"
#include "perf_util.h"

int sb_logtype;

struct opts {
	unsigned seconds;
	unsigned size;
	unsigned repeat;
	uint64_t packets;	/* stop each case after this many packets (0: use seconds) */
	const char *only;	/* NULL, "answer" or "drop" */
	bool no_huge;
	bool no_anchors;
	const char *testpmd;
	char pcap[128];
	char mem[64];
};

struct result {
	double cycles_per_pkt;
	double mpps;
	uint64_t packets;
	uint64_t replies;
	bool ok;
};

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	}
	if (n & 1) {
		s += (uint32_t)b[n - 1] << 8;
	}
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A pcap file of |count| ICMP echo requests to 192.0.2.1 (broadcast MAC) of |size| bytes. */
static int write_pcap(const char *path, unsigned size, unsigned count)
{
	static const uint8_t ghdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
					 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0};
	uint8_t f[2048];
	FILE *fp = fopen(path, "wb");

	if (fp == NULL) {
		return -errno;
	}
	fwrite(ghdr, 1, sizeof(ghdr), fp);
	for (unsigned i = 0; i < count; i++) {
		uint32_t rec[4] = {0, 0, size, size};
		uint8_t *ip = f + 14, *icmp = ip + 20;

		memset(f, 0, size);
		memset(f, 0xff, 6);				/* broadcast */
		memcpy(f + 6, "\x02\x5b\x00\x00\x00\x02", 6);
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(size - 14));
		ip[8] = 64;
		ip[9] = 1;
		ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = (uint8_t)(2 + i % 200);
		ip[16] = 192, ip[17] = 0, ip[18] = 2, ip[19] = 1;
		put16(ip + 10, csum(ip, 20));
		icmp[0] = 8;
		put16(icmp + 4, (uint16_t)(i >> 16));
		put16(icmp + 6, (uint16_t)i);
		put16(icmp + 2, csum(icmp, size - 34));
		fwrite(rec, 1, sizeof(rec), fp);
		fwrite(f, 1, size, fp);
	}
	return fclose(fp) == 0 ? 0 : -errno;
}

/* Run testpmd for |seconds| and read its "CPU cycles/packet" line. */
static struct result run_testpmd(const struct opts *o, const char *vdevs, const char *mode)
{
	struct result r = {0};
	char cmd[1024], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "sleep %u | %s -l 0,1 %s --no-pci --file-prefix sbbench_tp_%d %s "
		 "--log-level=lib.eal:error -- --forward-mode=%s --record-core-cycles "
		 "--nb-cores=1 --burst=32 --total-num-mbufs=16384 2>&1; "
		 "rm -rf /var/run/dpdk/sbbench_tp_%d",
		 o->seconds + 1, o->testpmd, o->mem, getpid(), vdevs, mode, getpid());
	p = popen(cmd, "r");
	if (p == NULL) {
		return r;
	}
	while (fgets(line, sizeof(line), p) != NULL) {
		char *c = strstr(line, "CPU cycles/packet=");
		char *t = strstr(line, "total io packets=");

		if (c != NULL) {
			r.cycles_per_pkt = strtod(c + strlen("CPU cycles/packet="), NULL);
			r.ok = true;
		}
		if (t != NULL) {
			r.packets = strtoull(t + strlen("total io packets="), NULL, 10);
		}
	}
	pclose(p);
	return r;
}

/* Our worker loop on one port for |seconds|, on this (main) lcore. */
static struct result run_ours(struct dp *dp, const char *port_name, const struct opts *o)
{
	struct result r = {0};
	struct lcore_ctx *lc;
	struct dp_port *p = &dp->ports[0];
	char err[512];
	uint64_t t0, t1, end, busy = 0, pkts = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", port_name);
	p->conf = dp->conf.ports[0];
	if (port_resolve(p->name, &p->port_id, err, sizeof(err)) != 0 ||
	    port_start(p, &dp->conf, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-l3: %s\n", err);
		return r;
	}
	p->neigh = neigh_table_new(1024, dp->tsc_hz * 300);
	dp->nb_ports = 1;
	lc = lcore_ctx_new(dp, 0, rte_lcore_id());
	if (lc == NULL || p->neigh == NULL) {
		fprintf(stderr, "bench-l3: out of memory\n");
		return r;
	}
	/* Warm up (not under --packets, which counts instructions), then measure. */
	for (int i = 0; o->packets == 0 && i < 10000; i++) {
		lcore_poll(lc);
	}
	memset(&lc->stats, 0, sizeof(lc->stats));
	end = o->packets ? UINT64_MAX : rte_rdtsc() + o->seconds * dp->tsc_hz;
	do {
		t0 = rte_rdtsc();
		pkts += lcore_poll(lc);
		t1 = rte_rdtsc();
		busy += t1 - t0;
		/* The main lcore drains learned neighbours as in the real process. */
		if ((pkts & 0xfff) < 32) {
			struct lcore_learn_msg m[64];

			while (rte_ring_dequeue_burst_elem(lc->learn_ring, m, sizeof(m[0]), 64, NULL))
				;
		}
	} while (t1 < end && (o->packets == 0 || pkts < o->packets));
	r.packets = pkts;
	r.replies = lc->stats.net.c[NET_CTR_ICMP_ECHO_REPLY_OUT];
	r.cycles_per_pkt = pkts ? (double)busy / (double)pkts : 0;
	r.mpps = (double)pkts / ((double)busy / (double)dp->tsc_hz) / 1e6;
	r.ok = pkts > 0;
	lcore_ctx_free(lc);
	port_stop(p);
	neigh_table_free(p->neigh);
	p->neigh = NULL;
	return r;
}

static int by_cycles(const void *a, const void *b)
{
	double x = ((const struct result *)a)->cycles_per_pkt;
	double y = ((const struct result *)b)->cycles_per_pkt;

	return (x > y) - (x < y);
}

/* The run with the median cycles per packet (runs that failed sort first). */
static struct result median(struct result *r, unsigned n)
{
	unsigned ok = 0;

	qsort(r, n, sizeof(r[0]), by_cycles);
	for (unsigned i = 0; i < n; i++) {
		ok += r[i].ok;
	}
	if (ok == 0) {
		return r[0];
	}
	return r[n - ok + ok / 2];
}

static void row(const char *name, const struct result *ours, const struct result *tp,
		const char *anchor)
{
	printf("%-8s %12.1f %10.2f %12.1f %-28s %8.2fx\n", name, ours->cycles_per_pkt, ours->mpps,
	       tp->ok ? tp->cycles_per_pkt : 0.0, anchor,
	       tp->ok && tp->cycles_per_pkt > 0 ? ours->cycles_per_pkt / tp->cycles_per_pkt : 0.0);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"seconds", required_argument, NULL, 's'}, {"size", required_argument, NULL, 'b'},
		{"no-huge", no_argument, NULL, 'n'},	  {"testpmd", required_argument, NULL, 't'},
		{"no-anchors", no_argument, NULL, 'A'},	  {"repeat", required_argument, NULL, 'r'},
		{"packets", required_argument, NULL, 'p'},  {"case", required_argument, NULL, 'c'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.seconds = 2, .size = 64, .repeat = 3, .testpmd = "dpdk-testpmd"};
	struct result ours_ans, ours_drop, tp_ans, tp_drop, runs_a[15], runs_d[15];
	static struct dp dp;
	char vdev_pcap[256], prefix[64];
	char *eal[24] = {NULL};
	int c, n = 0;

	while ((c = getopt_long(argc, argv, "s:b:nt:h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.seconds = (unsigned)atoi(optarg);
			break;
		case 'b':
			o.size = (unsigned)atoi(optarg);
			break;
		case 'n':
			o.no_huge = true;
			break;
		case 't':
			o.testpmd = optarg;
			break;
		case 'A':
			o.no_anchors = true;
			break;
		case 'r':
			o.repeat = (unsigned)atoi(optarg);
			break;
		case 'p':
			o.packets = strtoull(optarg, NULL, 10);
			o.no_anchors = true;
			break;
		case 'c':
			o.only = optarg;
			break;
		default:
			printf("Usage: bench-l3 [--seconds N (2)] [--repeat R (3)] "
			       "[--size FRAME_BYTES 64..1514 (64)] [--no-huge] [--no-anchors] "
			       "[--testpmd PATH] [--case answer|drop] [--packets N]\n"
			       "Each case runs R times for N seconds; the median is printed.\n"
			       "--packets N stops each case after N packets, without anchors or\n"
			       "warm-up: for counting instructions under callgrind (perf/callgrind-l3).\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (o.only != NULL && strcmp(o.only, "answer") != 0 && strcmp(o.only, "drop") != 0) {
		fprintf(stderr, "bench-l3: --case is answer or drop\n");
		return 2;
	}
	if (o.seconds < 1 || o.size < 64 || o.size > 1514 || o.repeat < 1 || o.repeat > 15) {
		fprintf(stderr, "bench-l3: --seconds >= 1, --size 64..1514, --repeat 1..15\n");
		return 2;
	}
	if (!o.no_huge && !perf_hugepages_free()) {
		o.no_huge = true;
		printf("note: fewer than 512 free hugepages (run scripts/hugepages); using --no-huge\n");
	}
	snprintf(o.mem, sizeof(o.mem), "%s", o.no_huge ? "--no-huge -m 1024" : "-m 1024");
	snprintf(o.pcap, sizeof(o.pcap), "/tmp/sb-bench-l3-%d.pcap", getpid());
	if (write_pcap(o.pcap, o.size, 1024) != 0) {
		fprintf(stderr, "bench-l3: cannot write %s\n", o.pcap);
		return 1;
	}
	snprintf(vdev_pcap, sizeof(vdev_pcap), "--vdev net_pcap0,rx_pcap=%s,infinite_rx=1", o.pcap);

	/* Anchors first, each in its own process on lcore 1 (--no-anchors: for profiling us). */
	memset(&tp_ans, 0, sizeof(tp_ans));
	memset(&tp_drop, 0, sizeof(tp_drop));
	if (!o.no_anchors) {
		for (unsigned i = 0; i < o.repeat; i++) {
			runs_a[i] = run_testpmd(&o, vdev_pcap, "icmpecho");
			runs_d[i] = run_testpmd(&o, "--vdev net_null0 --vdev net_null1", "io");
		}
		tp_ans = median(runs_a, o.repeat);
		tp_drop = median(runs_d, o.repeat);
	}

	snprintf(prefix, sizeof(prefix), "sbbench_%d", getpid());
	snprintf(vdev_pcap, sizeof(vdev_pcap), "net_pcap0,rx_pcap=%s,infinite_rx=1", o.pcap);
	eal[n++] = argv[0];
	eal[n++] = "-l";
	eal[n++] = "1";
	if (o.no_huge) {
		eal[n++] = "--no-huge";
	}
	eal[n++] = "-m";
	eal[n++] = "1024";
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--no-shconf"; /* leaves nothing in /var/run/dpdk but the directory */
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--vdev";
	eal[n++] = vdev_pcap;
	eal[n++] = "--vdev";
	eal[n++] = "net_null0";
	eal[n++] = "--log-level=lib.eal:error";
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "bench-l3: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	sb_logtype = RTE_LOGTYPE_USER1;
	dp.tsc_hz = rte_get_tsc_hz();
	conf_defaults(&dp.conf);
	dp.conf.nb_ports = 1;
	conf_port_defaults(&dp.conf.ports[0]);
	dp.conf.ports[0].has_ip4 = true;
	dp.conf.ports[0].ip4 = htonl(0xc0000201); /* 192.0.2.1 */
	dp.conf.ports[0].ip4_prefix = 24;
	dp.nb_workers = 1;
	dp.qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.qsbr, 1);

	memset(runs_a, 0, sizeof(runs_a));
	memset(runs_d, 0, sizeof(runs_d));
	for (unsigned i = 0; i < o.repeat; i++) {
		if (o.only == NULL || strcmp(o.only, "answer") == 0) {
			runs_a[i] = run_ours(&dp, "net_pcap0", &o);
		}
		if (o.only == NULL || strcmp(o.only, "drop") == 0) {
			runs_d[i] = run_ours(&dp, "net_null0", &o);
		}
	}
	ours_ans = median(runs_a, o.repeat);
	ours_drop = median(runs_d, o.repeat);

	printf("\nbench-l3: TSC %.0f MHz, median of %u runs of %u s per case, %u-byte frames, "
	       "burst %u, %s\n",
	       dp.tsc_hz / 1e6, o.repeat, o.seconds, o.size, dp.conf.burst,
	       o.no_huge ? "no hugepages" : "hugepages");
	printf("%-8s %12s %10s %12s %-28s %9s\n", "case", "ours c/pkt", "ours Mpps", "anchor c/pkt",
	       "anchor", "ratio");
	if (ours_ans.ok) {
		row("answer", &ours_ans, &tp_ans, "testpmd icmpecho, net_pcap");
	}
	if (ours_drop.ok) {
		row("drop", &ours_drop, &tp_drop, "testpmd io-fwd, 2x net_null");
	}
	if (ours_ans.ok) {
		printf("answer: %llu echo replies for %llu requests received\n",
		       (unsigned long long)ours_ans.replies, (unsigned long long)ours_ans.packets);
	}
	printf("ratio = our cycles per packet / testpmd's (lower is better; 1.0 = as cheap)\n");
	if (!o.no_anchors && (!tp_ans.ok || !tp_drop.ok)) {
		printf("note: testpmd did not report cycles for a case (is '%s' installed?)\n",
		       o.testpmd);
	}
	unlink(o.pcap);
	rte_free(dp.qsbr);
	rte_eal_cleanup();
	snprintf(prefix, sizeof(prefix), "/var/run/dpdk/sbbench_%d", getpid());
	rmdir(prefix);
	return 0;
}
