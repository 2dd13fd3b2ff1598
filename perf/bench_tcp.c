/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-tcp: TSC cycles of the user-space TCP stack (dataplane/tcp) on one
 * lcore, next to the Linux TCP stack doing the same transfers, in one run.
 * Prints; it asserts nothing.
 *
 * slimbridge: two stacks, A (10.98.0.1) and B (10.98.0.2), run alternately
 * (A then B) on the main lcore. They are linked by two rte_rings made into
 * two ethdev ports with rte_eth_from_rings (net_ring): A's TX ring is B's RX
 * ring and the other way round. Each side's turn is one worker-loop
 * iteration: rte_eth_rx_burst (32), Ethernet stripped (l3_off 14),
 * tcp_stack_input, tcp_stack_tick with a TSC-derived microsecond clock,
 * rte_eth_tx_burst of what env.emit buffered (emit prepends the 14-byte
 * Ethernet header). B, the stack measured, is timed with rte_rdtsc around its
 * whole turn; A's turn is timed separately. MTU 1500, no offloads: the stack
 * computes and verifies TCP checksums in software.
 *
 *   bulk  A sends --bytes (256 MiB) to B on one connection (tcp_conn_write
 *         from a static buffer, rcvbuf/sndbuf 1 MiB, CUBIC); B's app takes
 *         the data with tcp_conn_recv and frees it (discard). Reported: B's
 *         cycles per received data segment and per byte, A's cycles per sent
 *         segment, the run's throughput with both stacks on the core.
 *   rr    A sends a 64-byte request, B echoes it (tcp_conn_send of the
 *         received chain), A sends the next one when the whole reply is in:
 *         one request outstanding, --transactions (200000) round trips.
 *         Reported: B's cycles per transaction, transactions per second.
 *
 * kernel: the same two transfers between two processes with blocking
 * sockets (TCP_NODELAY), in two network namespaces joined by a veth pair
 * (10.99.0.1/24 - 10.99.0.2/24), both processes pinned to the lcore's CPU
 * so that the kernel also does all its work (syscalls, softirqs) on one
 * core. Its cost is the on-CPU time (/proc/PID/schedstat) of the two
 * processes and of that CPU's ksoftirqd, converted to cycles at the TSC
 * rate (plus the CPU's irq and softirq time when the kernel accounts IRQ
 * time apart); the CPU's busy time in /proc/stat, which also counts whatever
 * else ran there, is printed beside it. Bulk runs twice: with veth's default
 * offloads (TSO, GSO, GRO, no checksums at all) and with them off (ethtool
 * -K ... off), the like-for-like case (MTU-sized segments, software
 * checksums). Kernel segments are bytes / MSS.
 *
 * Our figures are TSC cycles, which include any time the thread was
 * preempted; the share of each run the thread was on the CPU is printed, and
 * below 95 % the summary scales our figures by it (and says so).
 *
 * Usage: bench-tcp [EAL args --] [--bytes N] [--transactions K] [--repeat R]
 *                  [--no-kernel] [--no-huge]
 * Each case runs R times (3), fresh connections each time; the median is shown.
 * Needs root for the kernel part. See docs/testing.md for reading the output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "bench_ring.h"
#include "tcp_stack.h"
#include "perf_util.h"

#define BURST BRING_BURST
#define STALL_S 10	/* a transfer with no progress for this long is abandoned */
#define RR_SIZE 64
#define BULK_PORT 5001 /* + 2 x run */
#define RR_PORT 5002
#define REPEAT_MAX 15
#define KPORT 5001
#define KBUF (64 * 1024)

/* <netinet/tcp.h> clashes with tcp_stack.h's state names; the two socket options are ABI. */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif
#ifndef TCP_MAXSEG
#define TCP_MAXSEG 2
#endif

static struct bring_side sa = {.name = "A"}, sb = {.name = "B"};
#define tsc_hz bring_tsc_hz
#define now_us bring_now_us

/* ---- the applications ------------------------------------------------ */

static uint8_t src_buf[KBUF];

static struct {
	uint64_t total;	   /* bytes to move */
	uint64_t written;  /* A: bytes queued */
	uint64_t received; /* B: bytes taken */
	bool kick;	   /* A: try writing at the start of A's next turn */
	bool a_up, b_up, b_eof;
	struct tcp_conn *ca, *cb;
	int err; /* first unexpected |closed| error */
} bulk;

static struct {
	uint64_t k; /* transactions to run */
	uint64_t sent, done;
	uint32_t got; /* bytes of the current reply */
	bool kick;
	bool a_up, b_up;
	struct tcp_conn *ca, *cb;
	struct rte_mbuf *pending; /* B: echo waiting for send space */
	uint64_t bad_writes;
	int err;
} rr;

static bool phase_over; /* closes after this are expected */

/* A connection of an earlier run still closing: drop what it gets, close on EOF. */
static void stale_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	while ((m = tcp_conn_recv(c)) != NULL) {
		rte_pktmbuf_free(m);
	}
	if (tcp_conn_eof(c)) {
		tcp_conn_close(c);
	}
}

static void bulk_pump(void)
{
	while (bulk.ca != NULL && bulk.written < bulk.total) {
		uint32_t off = (uint32_t)(bulk.written % KBUF);
		uint64_t left = bulk.total - bulk.written;
		uint32_t len = (uint32_t)RTE_MIN(left, (uint64_t)(KBUF - off));
		int n = tcp_conn_write(bulk.ca, src_buf + off, len);

		if (n == -ENOBUFS) {
			bulk.kick = true; /* the pool ran dry: retry next turn */
			return;
		}
		if (n <= 0) {
			return; /* -EAGAIN: |writable| follows */
		}
		bulk.written += (uint64_t)n;
	}
	if (bulk.ca != NULL && bulk.written == bulk.total) {
		tcp_conn_shutdown(bulk.ca);
	}
}

static void bulk_pre(void)
{
	if (bulk.kick) {
		bulk.kick = false;
		bulk_pump();
	}
}

static void bulk_a_connected(struct tcp_conn *c)
{
	(void)c;
	bulk.a_up = true;
}

static void bulk_a_writable(struct tcp_conn *c)
{
	(void)c;
	bulk_pump();
}

static void bulk_a_readable(struct tcp_conn *c)
{
	if (c == bulk.ca && tcp_conn_eof(c)) {
		bulk.ca = NULL;
	}
	stale_readable(c); /* A expects nothing but B's FIN */
}

static void bulk_closed(struct tcp_conn *c, int err)
{
	if (c == bulk.ca) {
		bulk.ca = NULL;
	}
	if (c == bulk.cb) {
		bulk.cb = NULL;
	}
	if (err != 0 && !phase_over && bulk.err == 0) {
		bulk.err = err;
	}
}

static int bulk_b_accept(struct tcp_conn *c, void *arg)
{
	(void)arg;
	bulk.cb = c;
	bulk.b_up = true;
	return 0;
}

static void bulk_b_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	if (c != bulk.cb) {
		stale_readable(c);
		return;
	}
	while ((m = tcp_conn_recv(c)) != NULL) {
		bulk.received += rte_pktmbuf_pkt_len(m);
		rte_pktmbuf_free(m);
	}
	if (tcp_conn_eof(c)) {
		bulk.b_eof = true;
		bulk.cb = NULL;
		tcp_conn_close(c);
	}
}

static const struct tcp_app_ops bulk_a_ops = {
	.connected = bulk_a_connected,
	.readable = bulk_a_readable,
	.writable = bulk_a_writable,
	.closed = bulk_closed,
};

static const struct tcp_app_ops bulk_b_ops = {
	.accept = bulk_b_accept,
	.readable = bulk_b_readable,
	.closed = bulk_closed,
};

static void rr_send(void)
{
	static const uint8_t req[RR_SIZE] = "bench-tcp request";

	if (rr.ca != NULL && rr.sent < rr.k) {
		if (tcp_conn_write(rr.ca, req, RR_SIZE) == RR_SIZE) {
			rr.sent++;
		} else {
			rr.bad_writes++;
			rr.kick = true;
		}
	}
}

static void rr_pre(void)
{
	if (rr.kick) {
		rr.kick = false;
		rr_send();
	}
}

static void rr_a_connected(struct tcp_conn *c)
{
	(void)c;
	rr.a_up = true;
}

static void rr_a_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	if (c != rr.ca) {
		stale_readable(c);
		return;
	}
	while ((m = tcp_conn_recv(c)) != NULL) {
		rr.got += rte_pktmbuf_pkt_len(m);
		rte_pktmbuf_free(m);
	}
	while (rr.got >= RR_SIZE) {
		rr.got -= RR_SIZE;
		rr.done++;
		rr_send();
	}
	if (tcp_conn_eof(c)) {
		rr.ca = NULL;
		tcp_conn_close(c);
	}
}

static void rr_closed(struct tcp_conn *c, int err)
{
	if (c == rr.ca) {
		rr.ca = NULL;
	}
	if (c == rr.cb) {
		rr.cb = NULL;
	}
	if (err != 0 && !phase_over && rr.err == 0) {
		rr.err = err;
	}
}

static int rr_b_accept(struct tcp_conn *c, void *arg)
{
	(void)arg;
	rr.cb = c;
	rr.b_up = true;
	return 0;
}

static void rr_b_readable(struct tcp_conn *c)
{
	struct rte_mbuf *m;

	if (c != rr.cb) {
		stale_readable(c);
		return;
	}
	if (rr.pending != NULL) {
		if (tcp_conn_send(c, rr.pending) != 0) {
			return; /* still no room: |writable| follows */
		}
		rr.pending = NULL;
	}
	while ((m = tcp_conn_recv(c)) != NULL) {
		int rc = tcp_conn_send(c, m); /* echo, zero-copy */

		if (rc == -EAGAIN) {
			rr.pending = m;
			return;
		}
		if (rc != 0) {
			rte_pktmbuf_free(m);
		}
	}
	if (tcp_conn_eof(c)) {
		rr.cb = NULL;
		tcp_conn_close(c);
	}
}

static const struct tcp_app_ops rr_a_ops = {
	.connected = rr_a_connected,
	.readable = rr_a_readable,
	.closed = rr_closed,
};

static const struct tcp_app_ops rr_b_ops = {
	.accept = rr_b_accept,
	.readable = rr_b_readable,
	.writable = rr_b_readable,
	.closed = rr_closed,
};

/* ---- the driver loop ------------------------------------------------- */

/*
 * Run A's and B's turns alternately until |done|() is true. Returns the TSC
 * cycles it took, or 0 when |progress|() did not move for STALL_S seconds or
 * |failed|() became true.
 */
static uint64_t run_until(bool (*done)(void), uint64_t (*progress)(void), bool (*failed)(void),
			  const char *what)
{
	uint64_t start = rte_rdtsc(), last_tsc = start, last = progress();

	for (uint64_t i = 1;; i++) {
		uint64_t now = now_us();

		bring_turn_timed(&sa, now);
		bring_turn_timed(&sb, now);
		if (done()) {
			return RTE_MAX(rte_rdtsc() - start, (uint64_t)1);
		}
		if ((i & 1023) == 0) {
			uint64_t p = progress(), t = rte_rdtsc();

			if (failed()) {
				fprintf(stderr, "bench-tcp: %s: the connection failed\n", what);
				return 0;
			}
			if (p != last) {
				last = p;
				last_tsc = t;
			} else if (t - last_tsc > STALL_S * tsc_hz) {
				fprintf(stderr, "bench-tcp: %s stalled: no progress for %d s\n",
					what, STALL_S);
				fprintf(stderr, "stack A:\n");
				tcp_stack_dump(stderr, sa.st, 4);
				fprintf(stderr, "stack B:\n");
				tcp_stack_dump(stderr, sb.st, 4);
				return 0;
			}
		}
	}
}

/* Run both sides for |us| microseconds (closing handshakes); nothing is asserted. */
static void run_for(uint64_t us)
{
	uint64_t end = now_us() + us;

	while (now_us() < end) {
		uint64_t now = now_us();

		bring_turn(&sa, now);
		bring_turn(&sb, now);
	}
}

static bool bulk_connected(void)
{
	return bulk.a_up && bulk.b_up;
}

static bool bulk_done(void)
{
	return bulk.received >= bulk.total;
}

static uint64_t bulk_progress(void)
{
	return bulk.received + (uint64_t)bulk.a_up + (uint64_t)bulk.b_up;
}

static bool bulk_failed(void)
{
	return bulk.err != 0;
}

static bool rr_connected(void)
{
	return rr.a_up && rr.b_up;
}

static bool rr_done(void)
{
	return rr.done >= rr.k;
}

static uint64_t rr_progress(void)
{
	return rr.done + (uint64_t)rr.a_up + (uint64_t)rr.b_up;
}

static bool rr_failed(void)
{
	return rr.err != 0;
}

struct sb_result {
	bool ok;
	uint64_t wall;	  /* TSC cycles of the whole phase (both sides, the clock, the loop) */
	struct bring_side a, b; /* the sides' counters for the phase */
	uint64_t b_seg_in, b_seg_out, a_seg_out, a_retrans, b_retrans;
	uint16_t mss;
	uint64_t sched0_ns; /* this thread's on-CPU time at the phase start */
	double cpu_share;   /* the share of the phase this thread was on the CPU */
};

static uint64_t read_schedstat(pid_t pid);

static void phase_start(struct sb_result *r)
{
	bring_reset(&sa);
	bring_reset(&sb);
	r->sched0_ns = read_schedstat(getpid()); /* the main lcore is the main thread */
}

static void phase_end(struct sb_result *r, uint64_t wall)
{
	uint64_t sched1 = read_schedstat(getpid());

	r->cpu_share = wall == 0 || r->sched0_ns == 0 ? 0
						      : (double)(sched1 - r->sched0_ns) / 1e9 *
								(double)tsc_hz / (double)wall;
	r->ok = wall != 0;
	r->wall = wall;
	r->a = sa;
	r->b = sb;
	r->b_seg_in = bring_ctr(&sb, TCP_CTR_SEG_IN);
	r->b_seg_out = bring_ctr(&sb, TCP_CTR_SEG_OUT);
	r->a_seg_out = bring_ctr(&sa, TCP_CTR_SEG_OUT);
	r->a_retrans = bring_ctr(&sa, TCP_CTR_RETRANS);
	r->b_retrans = bring_ctr(&sb, TCP_CTR_RETRANS);
}

static struct sb_result run_bulk(uint64_t bytes, uint16_t port)
{
	struct sb_result r = {0};
	struct tcp_conn_info ci;
	static const uint8_t dst[4] = {10, 98, 0, 2};
	uint64_t wall;

	memset(&bulk, 0, sizeof(bulk));
	bulk.total = bytes;
	for (uint32_t i = 0; i < KBUF; i++) {
		src_buf[i] = (uint8_t)(i * 131 + 7);
	}
	phase_over = false;
	if (tcp_listen(sb.st, TCP_KEY_V4, NULL, port, &bulk_b_ops, NULL) != 0 ||
	    tcp_connect(sa.st, 0, TCP_KEY_V4, dst, port, &bulk_a_ops, NULL, &bulk.ca) != 0) {
		fprintf(stderr, "bench-tcp: bulk: listen/connect failed\n");
		return r;
	}
	tcp_stack_flush(sa.st);
	if (run_until(bulk_connected, bulk_progress, bulk_failed, "bulk handshake") == 0) {
		return r;
	}
	tcp_conn_info(bulk.ca, &ci);
	r.mss = ci.smss;
	phase_start(&r);
	sa.pre = bulk_pre;
	bulk.kick = true; /* the first writes happen in A's first timed turn */
	wall = run_until(bulk_done, bulk_progress, bulk_failed, "bulk transfer");
	phase_end(&r, wall);
	sa.pre = NULL;
	if (r.ok && bulk.received != bulk.total) {
		fprintf(stderr, "bench-tcp: bulk: B received %llu bytes, A sent %llu\n",
			(unsigned long long)bulk.received, (unsigned long long)bulk.total);
		r.ok = false;
	}
	if (!r.ok) {
		fprintf(stderr, "bench-tcp: bulk: B has %llu of %llu bytes\n",
			(unsigned long long)bulk.received, (unsigned long long)bulk.total);
	}
	phase_over = true;
	run_for(20000); /* FINs */
	return r;
}

static struct sb_result run_rr(uint64_t k, uint16_t port)
{
	struct sb_result r = {0};
	static const uint8_t dst[4] = {10, 98, 0, 2};
	uint64_t wall;

	memset(&rr, 0, sizeof(rr));
	rr.k = k;
	phase_over = false;
	if (tcp_listen(sb.st, TCP_KEY_V4, NULL, port, &rr_b_ops, NULL) != 0 ||
	    tcp_connect(sa.st, 0, TCP_KEY_V4, dst, port, &rr_a_ops, NULL, &rr.ca) != 0) {
		fprintf(stderr, "bench-tcp: rr: listen/connect failed\n");
		return r;
	}
	tcp_stack_flush(sa.st);
	if (run_until(rr_connected, rr_progress, rr_failed, "rr handshake") == 0) {
		return r;
	}
	phase_start(&r);
	sa.pre = rr_pre;
	rr.kick = true;
	wall = run_until(rr_done, rr_progress, rr_failed, "rr transactions");
	phase_end(&r, wall);
	sa.pre = NULL;
	if (!r.ok) {
		fprintf(stderr, "bench-tcp: rr: %llu of %llu transactions done\n",
			(unsigned long long)rr.done, (unsigned long long)rr.k);
	}
	phase_over = true;
	if (rr.ca != NULL) {
		tcp_conn_close(rr.ca);
		rr.ca = NULL;
	}
	run_for(20000);
	rte_pktmbuf_free(rr.pending);
	rr.pending = NULL;
	return r;
}

/* ---- kernel reference ------------------------------------------------ */

struct ksnap {
	uint64_t wall_ns;
	uint64_t cpu_busy; /* jiffies: user + nice + system + irq + softirq of the CPU */
	uint64_t cpu_steal;
	uint64_t cpu_irq;	 /* jiffies: irq + softirq of the CPU */
	uint64_t cli_ns, srv_ns; /* on-CPU time of the two processes (schedstat) */
	uint64_t ksoft_ns;	 /* ... and of the CPU's ksoftirqd */
	uint64_t cli_in, cli_out, srv_in, srv_out; /* Tcp InSegs / OutSegs per namespace */
};

struct kres {
	int ok;
	char err[200];
	int mss;
	struct ksnap s[3]; /* before bulk, after bulk, after the transactions */
};

static char ns_a[32], ns_b[32], veth_a[16], veth_b[16];
static bool ns_made;
static pid_t ksoftirqd;	  /* the pinned CPU's (0: not found) */
static int irq_time_acct; /* CONFIG_IRQ_TIME_ACCOUNTING: 1 yes, 0 no, -1 unknown */
static pid_t kids[2];

/* Run argv (no shell); quiet unless |loud|. Returns the exit status or -1. */
static int run_cmd(char *const argv[], bool loud)
{
	pid_t p = fork();
	int st;

	if (p < 0) {
		return -1;
	}
	if (p == 0) {
		if (!loud) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(p, &st, 0) < 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void netns_teardown(void)
{
	if (!ns_made) {
		return;
	}
	ns_made = false;
	for (int i = 0; i < 2; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	}
	run_cmd((char *[]){"ip", "netns", "del", ns_a, NULL}, false);
	run_cmd((char *[]){"ip", "netns", "del", ns_b, NULL}, false);
}

static void on_signal(int sig)
{
	netns_teardown();
	bring_remove_run_dir();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int netns_setup(void)
{
	char *cmds[][14] = {
		{"ip", "netns", "add", ns_a, NULL},
		{"ip", "netns", "add", ns_b, NULL},
		{"ip", "link", "add", veth_a, "netns", ns_a, "type", "veth", "peer", "name", veth_b,
		 "netns", ns_b, NULL},
		{"ip", "-n", ns_a, "addr", "add", "10.99.0.1/24", "dev", veth_a, NULL},
		{"ip", "-n", ns_b, "addr", "add", "10.99.0.2/24", "dev", veth_b, NULL},
		{"ip", "-n", ns_a, "link", "set", veth_a, "up", NULL},
		{"ip", "-n", ns_b, "link", "set", veth_b, "up", NULL},
		{"ip", "-n", ns_a, "link", "set", "lo", "up", NULL},
		{"ip", "-n", ns_b, "link", "set", "lo", "up", NULL},
	};

	snprintf(ns_a, sizeof(ns_a), "sbbench_a_%d", (int)getpid());
	snprintf(ns_b, sizeof(ns_b), "sbbench_b_%d", (int)getpid());
	snprintf(veth_a, sizeof(veth_a), "sbva%d", (int)getpid() % 10000000);
	snprintf(veth_b, sizeof(veth_b), "sbvb%d", (int)getpid() % 10000000);
	ns_made = true; /* tear down whatever part gets made */
	for (unsigned i = 0; i < RTE_DIM(cmds); i++) {
		if (run_cmd(cmds[i], true) != 0) {
			fprintf(stderr,
				"bench-tcp: kernel: '%s %s %s %s ...' failed (root and iproute2 "
				"needed)\n",
				cmds[i][0], cmds[i][1], cmds[i][2], cmds[i][3]);
			return -1;
		}
	}
	return 0;
}

/* Turn veth offloads off on both ends (checksums, TSO, GSO, GRO). Returns 0 when ethtool did. */
static int veth_offloads_off(void)
{
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		char *argv[] = {"ip",
				"netns",
				"exec",
				i ? ns_b : ns_a,
				"ethtool",
				"-K",
				i ? veth_b : veth_a,
				"tx",
				"off",
				"rx",
				"off",
				"tso",
				"off",
				"gso",
				"off",
				"gro",
				"off",
				NULL};

		rc |= run_cmd(argv, false);
	}
	return rc;
}

/* The rest runs in the forked children: system calls and static buffers only. */

static char kbuf[KBUF];

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, got = 0;

	if (fd < 0) {
		return -1;
	}
	while (got < (ssize_t)cap - 1 && (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0) {
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Tcp InSegs and OutSegs from |path| (a /proc/.../net/snmp, per network namespace). */
static void read_snmp(const char *path, uint64_t *in, uint64_t *out)
{
	static char b[16384];
	char *hdr, *val, *save1, *save2, *h, *v;

	*in = *out = 0;
	if (read_file(path, b, sizeof(b)) <= 0 || (hdr = strstr(b, "\nTcp: ")) == NULL ||
	    (val = strstr(hdr + 1, "\nTcp: ")) == NULL) {
		return;
	}
	hdr++;
	val++;
	*strchrnul(hdr, '\n') = '\0';
	*strchrnul(val, '\n') = '\0';
	h = strtok_r(hdr, " ", &save1);
	v = strtok_r(val, " ", &save2);
	while (h != NULL && v != NULL) {
		if (strcmp(h, "InSegs") == 0) {
			*in = strtoull(v, NULL, 10);
		} else if (strcmp(h, "OutSegs") == 0) {
			*out = strtoull(v, NULL, 10);
		}
		h = strtok_r(NULL, " ", &save1);
		v = strtok_r(NULL, " ", &save2);
	}
}

static uint64_t read_schedstat(pid_t pid)
{
	char path[64], b[128];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (read_file(path, b, sizeof(b)) <= 0) {
		return 0;
	}
	return strtoull(b, NULL, 10);
}

static void read_cpu(int cpu, uint64_t *busy, uint64_t *steal, uint64_t *irq)
{
	static char b[65536];
	char key[32], *p;
	uint64_t f[8] = {0};

	*busy = *steal = *irq = 0;
	if (read_file("/proc/stat", b, sizeof(b)) <= 0) {
		return;
	}
	snprintf(key, sizeof(key), "\ncpu%d ", cpu);
	if ((p = strstr(b, key)) == NULL) {
		return;
	}
	p += strlen(key);
	for (int i = 0; i < 8; i++) {
		f[i] = strtoull(p, &p, 10);
	}
	/* user nice system idle iowait irq softirq steal */
	*busy = f[0] + f[1] + f[2] + f[5] + f[6];
	*steal = f[7];
	*irq = f[5] + f[6];
}

static void snap(struct ksnap *s, int cpu, pid_t srv)
{
	struct timespec ts;
	char path[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	read_cpu(cpu, &s->cpu_busy, &s->cpu_steal, &s->cpu_irq);
	s->cli_ns = read_schedstat(getpid());
	s->srv_ns = read_schedstat(srv);
	s->ksoft_ns = ksoftirqd > 0 ? read_schedstat(ksoftirqd) : 0;
	read_snmp("/proc/self/net/snmp", &s->cli_in, &s->cli_out);
	snprintf(path, sizeof(path), "/proc/%d/net/snmp", (int)srv);
	read_snmp(path, &s->srv_in, &s->srv_out);
}

/* Enter network namespace |ns|, pin to |cpu|. */
static int kid_enter(const char *ns, int cpu)
{
	char path[64];
	cpu_set_t set;
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		return -1;
	}
	close(fd);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void sock_opts(int fd)
{
	struct timeval tv = {.tv_sec = STALL_S};
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Server (namespace B): take |bytes|, answer one byte, then echo until EOF. */
static void kernel_server(int cpu, uint64_t bytes)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(KPORT)};
	int one = 1, ls, fd;
	uint64_t got = 0;

	if (kid_enter(ns_b, cpu) != 0) {
		_exit(10);
	}
	a.sin_addr.s_addr = htonl(0x0a630002u); /* 10.99.0.2 */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sock_opts(ls); /* SO_RCVTIMEO bounds accept */
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4) != 0) {
		_exit(11);
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		_exit(12);
	}
	sock_opts(fd);
	while (got < bytes) {
		ssize_t n = read(fd, kbuf, (size_t)RTE_MIN((uint64_t)KBUF, bytes - got));

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			_exit(13);
		}
		got += (uint64_t)n;
	}
	if (write_full(fd, "k", 1) != 0) {
		_exit(14);
	}
	for (;;) {
		ssize_t n = read(fd, kbuf, RR_SIZE);

		if (n == 0) {
			_exit(0);
		}
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			_exit(15);
		}
		if (write_full(fd, kbuf, (size_t)n) != 0) {
			_exit(16);
		}
	}
}

#define KFAIL(...)                                                                                 \
	do {                                                                                       \
		snprintf(r.err, sizeof(r.err), __VA_ARGS__);                                       \
		goto out;                                                                          \
	} while (0)

/* Client (namespace A): |bytes| to the server, then |k| 64-byte round trips. */
static void kernel_client(int cpu, uint64_t bytes, uint64_t k, pid_t srv, int pipe_w)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(KPORT)};
	struct kres r;
	socklen_t sl = sizeof(r.mss);
	uint64_t sent = 0;
	char req[RR_SIZE] = "kernel request", rsp[RR_SIZE];
	int fd = -1;

	memset(&r, 0, sizeof(r));
	if (kid_enter(ns_a, cpu) != 0) {
		KFAIL("client: cannot enter %s: %s", ns_a, strerror(errno));
	}
	a.sin_addr.s_addr = htonl(0x0a630002u);
	for (int tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			KFAIL("client: socket: %s", strerror(errno));
		}
		sock_opts(fd);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			break;
		}
		close(fd);
		fd = -1;
		if (tries == 500) {
			KFAIL("client: connect: %s", strerror(errno));
		}
		usleep(10000);
	}
	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &r.mss, &sl);
	for (uint32_t i = 0; i < KBUF; i++) {
		kbuf[i] = (char)(i * 131 + 7);
	}
	snap(&r.s[0], cpu, srv);
	while (sent < bytes) {
		size_t len = (size_t)RTE_MIN((uint64_t)KBUF, bytes - sent);

		if (write_full(fd, kbuf, len) != 0) {
			KFAIL("bulk: write after %llu bytes: %s (stalled %d s?)",
			      (unsigned long long)sent, strerror(errno), STALL_S);
		}
		sent += len;
	}
	if (read_full(fd, rsp, 1) != 0) {
		KFAIL("bulk: no acknowledgement from the server: %s", strerror(errno));
	}
	snap(&r.s[1], cpu, srv);
	for (uint64_t i = 0; i < k; i++) {
		if (write_full(fd, req, RR_SIZE) != 0 || read_full(fd, rsp, RR_SIZE) != 0) {
			KFAIL("rr: transaction %llu: %s", (unsigned long long)i, strerror(errno));
		}
	}
	snap(&r.s[2], cpu, srv);
	r.ok = 1;
out:
	if (fd >= 0) {
		close(fd);
	}
	if (write(pipe_w, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
		_exit(2);
	}
	_exit(r.ok ? 0 : 1);
}

/* The pid of ksoftirqd/|cpu| (0: not found), from /proc/<pid>/comm. */
static pid_t find_ksoftirqd(int cpu)
{
	char want[32], path[300], comm[64];
	pid_t found = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (d == NULL) {
		return 0;
	}
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (found == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9') {
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_file(path, comm, sizeof(comm)) > 0 && strcmp(comm, want) == 0) {
			found = (pid_t)atoi(e->d_name);
		}
	}
	closedir(d);
	return found;
}

/* Whether the running kernel has CONFIG_IRQ_TIME_ACCOUNTING (1), not (0), or unknown (-1). */
static int find_irq_time_acct(void)
{
	FILE *f = popen("(zcat /proc/config.gz || cat /boot/config-$(uname -r)) 2>/dev/null | "
			"grep IRQ_TIME_ACCOUNTING",
			"r");
	char line[128];
	int r = -1;

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "CONFIG_IRQ_TIME_ACCOUNTING=y", 28) == 0) {
			r = 1;
		} else if (strstr(line, "# CONFIG_IRQ_TIME_ACCOUNTING is not set") != NULL) {
			r = 0;
		}
	}
	pclose(f);
	return r;
}

/* One kernel run: server and client forked and pinned to |cpu|. */
static int kernel_run(int cpu, uint64_t bytes, uint64_t k, struct kres *r)
{
	int pfd[2], st[2] = {0, 0};
	struct pollfd pl;
	ssize_t n = -1;

	memset(r, 0, sizeof(*r));
	if (pipe(pfd) != 0) {
		return -1;
	}
	fflush(NULL);
	kids[0] = fork();
	if (kids[0] == 0) {
		close(pfd[0]);
		kernel_server(cpu, bytes);
	}
	kids[1] = kids[0] > 0 ? fork() : -1;
	if (kids[1] == 0) {
		close(pfd[0]);
		kernel_client(cpu, bytes, k, kids[0], pfd[1]);
	}
	close(pfd[1]);
	pl = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	/* The children give up after STALL_S without progress; this is a backstop. */
	if (kids[0] > 0 && kids[1] > 0 && poll(&pl, 1, 600 * 1000) == 1) {
		n = read(pfd[0], r, sizeof(*r));
	}
	close(pfd[0]);
	for (int i = 0; i < 2; i++) {
		if (kids[i] > 0) {
			if (n != (ssize_t)sizeof(*r)) {
				kill(kids[i], SIGKILL);
			}
			waitpid(kids[i], &st[i], 0);
			kids[i] = 0;
		}
	}
	if (n != (ssize_t)sizeof(*r)) {
		snprintf(r->err, sizeof(r->err), "no result from the client");
		r->ok = 0;
	}
	if (r->ok && !(WIFEXITED(st[0]) && WEXITSTATUS(st[0]) == 0)) {
		snprintf(r->err, sizeof(r->err), "server exited with status %d",
			 WIFEXITED(st[0]) ? WEXITSTATUS(st[0]) : -1);
		r->ok = 0;
	}
	return r->ok ? 0 : -1;
}

struct kcost {
	double wall_s;
	double cpu_cycles;  /* the CPU's busy time (/proc/stat) at the TSC rate */
	double task_cycles; /* the kernel's cost: see kcost() */
	uint64_t steal;	    /* jiffies stolen by the hypervisor meanwhile */
	uint64_t srv_in, cli_out, cli_in, srv_out;
};

static struct kcost kcost(const struct ksnap *a, const struct ksnap *b)
{
	double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
	struct kcost c;

	c.wall_s = (double)(b->wall_ns - a->wall_ns) / 1e9;
	c.cpu_cycles = (double)(b->cpu_busy - a->cpu_busy) * tick * (double)tsc_hz;
	/*
	 * On-CPU time of the two processes and the CPU's ksoftirqd, which holds
	 * the softirq work done on their behalf unless the kernel accounts IRQ
	 * time apart (CONFIG_IRQ_TIME_ACCOUNTING): then /proc/stat's irq and
	 * softirq time of the CPU is added.
	 */
	c.task_cycles = (a->cli_ns == 0 || a->srv_ns == 0)
				? 0
				: (double)((b->cli_ns - a->cli_ns) + (b->srv_ns - a->srv_ns) +
					   (b->ksoft_ns - a->ksoft_ns)) /
					  1e9 * (double)tsc_hz;
	if (irq_time_acct == 1) {
		c.task_cycles += (double)(b->cpu_irq - a->cpu_irq) * tick * (double)tsc_hz;
	}
	c.steal = b->cpu_steal - a->cpu_steal;
	c.srv_in = b->srv_in - a->srv_in;
	c.srv_out = b->srv_out - a->srv_out;
	c.cli_in = b->cli_in - a->cli_in;
	c.cli_out = b->cli_out - a->cli_out;
	return c;
}

/* ---- main ------------------------------------------------------------ */

/* The index of the median of |key|[0..n) (the lower one of two). */
static unsigned median_idx(const double *key, unsigned n)
{
	unsigned idx[REPEAT_MAX];

	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;

		while (j > 0 && key[idx[j - 1]] > key[i]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return idx[(n - 1) / 2];
}

static void min_max(const double *v, unsigned n, double *lo, double *hi)
{
	*lo = *hi = v[0];
	for (unsigned i = 1; i < n; i++) {
		*lo = RTE_MIN(*lo, v[i]);
		*hi = RTE_MAX(*hi, v[i]);
	}
}

static uint64_t parse_size(const char *s, bool *ok)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10, end++;
		break;
	case 'm':
	case 'M':
		v <<= 20, end++;
		break;
	case 'g':
	case 'G':
		v <<= 30, end++;
		break;
	default:
		break;
	}
	*ok = *end == '\0' && v > 0 && s[0] != '-';
	return v;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL args --] [--bytes N] [--transactions K] [--repeat R] "
		"[--no-kernel]\n"
		"       [--no-huge]\n"
		"\n"
		"Cycles of the user-space TCP stack (receiver B of two stacks on one lcore, "
		"linked\n"
		"by two rte_rings) next to Linux TCP over a veth pair between two network\n"
		"namespaces, both pinned to the same CPU. Prints; asserts nothing.\n"
		"\n"
		"  --bytes N          bulk transfer size, suffix k/m/g (default 256m)\n"
		"  --transactions K   64-byte request/response round trips (default 200000)\n"
		"  --repeat R         runs of each case, the median is shown (default 3, 1..15)\n"
		"  --no-kernel        skip the Linux reference (needs root and ip; ethtool for "
		"the\n"
		"                     run with offloads off)\n"
		"  --no-huge          do not use hugepages even if 512 are free\n"
		"  --help             this text\n"
		"\n",
		prog);
	bring_eal_defaults_help(f, "bench-tcp");
	fprintf(f,
		"The kernel part runs on the main lcore's CPU. A transfer with no progress for\n"
		"%d s is abandoned with a message and exit status 1.\n",
		STALL_S);
}

static double per(double cycles, double n)
{
	return n > 0 ? cycles / n : 0;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bytes", required_argument, NULL, 'b'},
		{"transactions", required_argument, NULL, 't'},
		{"no-kernel", no_argument, NULL, 'K'},
		{"no-huge", no_argument, NULL, 'n'},
		{"repeat", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t bytes = 256ull << 20, k = 200000;
	unsigned repeat = 3;
	static struct sb_result bruns[REPEAT_MAX], rruns[REPEAT_MAX];
	static struct kres kruns[2][REPEAT_MAX];
	double key[REPEAT_MAX], b_lo = 0, b_hi = 0, t_lo = 0, t_hi = 0;
	bool no_kernel = false, no_huge = false, user_eal = false, ok;
	int dd, oargc, c, cpu = -1, rc = 0;
	char **oargv;
	struct tcp_stack_conf conf;
	struct sb_result rb = {0}, rt = {0};
	struct kres kr[2], krr;
	bool k_ok[2] = {false, false}, k_ran[2] = {false, false};

	setvbuf(stdout, NULL, _IOLBF, 0); /* keeps stdout and stderr in order */
	/* Options: everything after '--', or everything when there is no '--'. */
	oargv = bring_split_args(argc, argv, &dd, &oargc);
	if (oargv == NULL) {
		return 1;
	}
	while ((c = getopt_long(oargc, oargv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bytes = parse_size(optarg, &ok);
			if (!ok) {
				fprintf(stderr, "bench-tcp: --bytes: a positive size, e.g. 64m\n");
				return 2;
			}
			break;
		case 't':
			k = parse_size(optarg, &ok);
			if (!ok) {
				fprintf(stderr, "bench-tcp: --transactions: a positive number\n");
				return 2;
			}
			break;
		case 'K':
			no_kernel = true;
			break;
		case 'n':
			no_huge = true;
			break;
		case 'r':
			repeat = (unsigned)strtoul(optarg, NULL, 10);
			if (repeat < 1 || repeat > REPEAT_MAX) {
				fprintf(stderr, "bench-tcp: --repeat 1..%d\n", REPEAT_MAX);
				return 2;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < oargc) {
		fprintf(stderr, "bench-tcp: unexpected argument '%s'\n", oargv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (bring_eal_init(argc, argv, dd, "bench-tcp", &no_huge, &user_eal) != 0) {
		return 1;
	}
	{
		cpu_set_t set;

		if (sched_getaffinity(0, sizeof(set), &set) == 0) {
			for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++) {
				if (CPU_ISSET(i, &set)) {
					cpu = i;
				}
			}
		}
		if (cpu < 0) {
			cpu = 0;
		}
	}

	/* Two stacks, two ports over two rings: A's TX ring is B's RX ring. */
	bring_stack_conf(&conf);
	if (bring_pair_make(&sa, &sb, &conf, "benchtcp") != 0) {
		return 1;
	}

	printf("bench-tcp: TSC %.0f MHz, lcore %u on CPU %d, %s; bulk %llu bytes, "
	       "%llu transactions of %d bytes\n",
	       tsc_hz / 1e6, rte_lcore_id(), cpu,
	       user_eal ? "EAL arguments as given" : (no_huge ? "no hugepages" : "hugepages"),
	       (unsigned long long)bytes, (unsigned long long)k, RR_SIZE);

	/* Each run opens fresh connections; the median run (by B's cycles) is reported. */
	for (unsigned i = 0; i < repeat && rc == 0; i++) {
		bruns[i] = run_bulk(bytes, (uint16_t)(BULK_PORT + 2 * i));
		rruns[i] = bruns[i].ok ? run_rr(k, (uint16_t)(RR_PORT + 2 * i)) : rruns[i];
		if (!bruns[i].ok || !rruns[i].ok) {
			rc = 1;
		}
	}
	if (rc == 0) {
		for (unsigned i = 0; i < repeat; i++) {
			key[i] = per((double)bruns[i].b.cycles, (double)bruns[i].b.data_segs_in);
		}
		rb = bruns[median_idx(key, repeat)];
		min_max(key, repeat, &b_lo, &b_hi);
		for (unsigned i = 0; i < repeat; i++) {
			key[i] = per((double)rruns[i].b.cycles, (double)k);
		}
		rt = rruns[median_idx(key, repeat)];
		min_max(key, repeat, &t_lo, &t_hi);
	}

	/* The kernel reference, forked; the lcore's CPU is idle meanwhile. */
	if (rc == 0 && !no_kernel) {
		atexit(netns_teardown);
		ksoftirqd = find_ksoftirqd(cpu);
		irq_time_acct = find_irq_time_acct();
		if (netns_setup() == 0) {
			for (int v = 0; v < 2; v++) {
				if (v == 1 && veth_offloads_off() != 0) {
					printf("note: ethtool could not turn veth offloads off; "
					       "no like-for-like kernel bulk run\n");
					break;
				}
				k_ran[v] = k_ok[v] = true;
				for (unsigned i = 0; i < repeat && k_ok[v]; i++) {
					/* The transactions run with the default offloads only. */
					if (kernel_run(cpu, bytes, v == 0 ? k : 0, &kruns[v][i]) !=
					    0) {
						k_ok[v] = false;
						kr[v] = kruns[v][i]; /* for its message */
					}
				}
				if (!k_ok[v]) {
					continue;
				}
				for (unsigned i = 0; i < repeat; i++) {
					key[i] = kcost(&kruns[v][i].s[0], &kruns[v][i].s[1])
							 .task_cycles;
				}
				kr[v] = kruns[v][median_idx(key, repeat)];
				if (v == 0) {
					for (unsigned i = 0; i < repeat; i++) {
						key[i] = kcost(&kruns[0][i].s[1], &kruns[0][i].s[2])
								 .task_cycles;
					}
					krr = kruns[0][median_idx(key, repeat)];
				}
			}
		}
		netns_teardown();
	}

	if (rb.ok && rt.ok) {
		const struct sb_result *b = &rb, *t = &rt;
		double bsegs = (double)b->b.data_segs_in;
		double sec = (double)b->wall / (double)tsc_hz;
		double b_alone = (double)bytes * 8 / ((double)b->b.cycles / (double)tsc_hz) / 1e9;
		double tsec = (double)t->wall / (double)tsc_hz;
		double b_seg = per((double)b->b.cycles, bsegs),
		       ab_seg = per((double)b->wall, bsegs);
		double b_tx = per((double)t->b.cycles, (double)k),
		       ab_tx = per((double)t->wall, (double)k);
		bool busy_cpu = false;
		/*
		 * TSC cycles count the time the thread was preempted too. When another
		 * process shared the CPU, the summary scales our figures by the share of
		 * the run the thread was on the CPU (preemption lands in A's and B's
		 * turns in proportion to their length), as the kernel's are on-CPU time.
		 */
		double bscale = b->cpu_share > 0 && b->cpu_share < 0.95 ? b->cpu_share : 1;
		double tscale = t->cpu_share > 0 && t->cpu_share < 0.95 ? t->cpu_share : 1;

		printf("\nslimbridge: stacks A (10.98.0.1) and B (10.98.0.2) alternating on one "
		       "lcore "
		       "over two rte_rings\n(rte_eth_from_rings), burst %d, MTU 1500 (MSS %u), "
		       "%s, rcvbuf/sndbuf 1 MiB, software checksums;\nthe run with the median B "
		       "cycles of %u is shown, 'runs' is the range over all of them\n",
		       BURST, b->mss, conf.cc->name, repeat);
		printf("bulk A -> B: %llu bytes in %.0f data segments, %.3f s, %.2f Gbit/s with "
		       "both "
		       "stacks on the core\n",
		       (unsigned long long)bytes, bsegs, sec, (double)bytes * 8 / sec / 1e9);
		printf("  B receive  %8.0f cycles/data segment, %.2f cycles/byte, runs %.0f..%.0f; "
		       "B alone: %.1f Gbit/s\n",
		       b_seg, per((double)b->b.cycles, (double)bytes), b_lo, b_hi, b_alone);
		printf("             %llu segments in, %llu out (ACKs), %.1f data segments per "
		       "ACK; "
		       "%.0f%% of B's turns idle\n",
		       (unsigned long long)b->b_seg_in, (unsigned long long)b->b_seg_out,
		       ratio(bsegs, (double)b->b_seg_out),
		       100.0 * (1 - ratio((double)b->b.busy_turns, (double)b->b.turns)));
		printf("  A send     %8.0f cycles/segment sent (%llu segments, %llu retransmitted; "
		       "tcp_conn_write copies in)\n",
		       per((double)b->a.cycles, (double)b->a_seg_out),
		       (unsigned long long)b->a_seg_out, (unsigned long long)b->a_retrans);
		printf("  A+B loop   %8.0f cycles/data segment (both turns, clock, loop); link "
		       "drops "
		       "%llu, not TCP %llu, unmatched %llu\n",
		       ab_seg, (unsigned long long)(b->a.link_drops + b->b.link_drops),
		       (unsigned long long)(b->a.not_tcp + b->b.not_tcp),
		       (unsigned long long)(b->a.misses + b->b.misses));
		printf("rr %d-byte echo, one outstanding: %llu transactions, %.3f s, %.0f "
		       "transactions/s with both stacks on the core\n",
		       RR_SIZE, (unsigned long long)k, tsec, (double)k / tsec);
		printf("  B echo     %8.0f cycles/transaction, runs %.0f..%.0f; B alone: %.0f "
		       "transactions/s\n",
		       b_tx, t_lo, t_hi, ratio((double)tsc_hz, b_tx));
		printf("             %.2f segments in + %.2f out per transaction\n",
		       ratio((double)t->b_seg_in, (double)k),
		       ratio((double)t->b_seg_out, (double)k));
		printf("  A client   %8.0f cycles/transaction\n",
		       per((double)t->a.cycles, (double)k));
		printf("  A+B loop   %8.0f cycles/transaction\n", ab_tx);
		printf("the lcore thread was on its CPU for %.0f%% (bulk) and %.0f%% (rr) of these "
		       "runs\n",
		       100 * b->cpu_share, 100 * t->cpu_share);
		if (bscale < 1 || tscale < 1) {
			printf("  note: another process shared CPU %d and the figures above "
			       "include the "
			       "time it ran;\n  scaled by the on-CPU share (an estimate, used in "
			       "the "
			       "summary): B %.0f cycles/data segment,\n  %.0f cycles/transaction; "
			       "rerun on a quiet CPU before quoting numbers\n",
			       cpu, b_seg * bscale, b_tx * tscale);
		}

		if (k_ran[0] || k_ran[1]) {
			printf("\nkernel: two processes, blocking sockets, TCP_NODELAY, veth pair "
			       "between two network namespaces,\nboth pinned to CPU %d. Cycles: "
			       "on-CPU time of the two processes and ksoftirqd/%d%s%s,\n[in "
			       "brackets: "
			       "CPU %d's busy time in /proc/stat, which also counts anything else "
			       "running there];\nmedian of %u runs, 'runs' is the range\n",
			       cpu, cpu, ksoftirqd > 0 ? "" : " (not found)",
			       irq_time_acct == 1 ? ", plus its irq and softirq time (the kernel "
						    "accounts IRQ time apart)"
			       : irq_time_acct == 0
				       ? " (softirqs are charged to them)"
				       : " (kernel config unknown: if it has "
					 "IRQ_TIME_ACCOUNTING, softirq time is missing)",
			       cpu, repeat);
		}
		for (int v = 0; v < 2; v++) {
			const char *what = v == 0 ? "veth defaults: TSO/GSO/GRO, no checksums"
						  : "offloads off: MSS-sized segments, checksums";

			if (!k_ran[v]) {
				continue;
			}
			if (!k_ok[v]) {
				printf("  %s run failed: %s\n", v == 0 ? "first" : "second",
				       kr[v].err);
				continue;
			}
			{
				struct kcost kb = kcost(&kr[v].s[0], &kr[v].s[1]);
				double segs = (double)bytes / (double)RTE_MAX(kr[v].mss, 1), mn, mx;

				for (unsigned i = 0; i < repeat; i++) {
					key[i] = per(kcost(&kruns[v][i].s[0], &kruns[v][i].s[1])
							     .task_cycles,
						     segs);
				}
				min_max(key, repeat, &mn, &mx);
				busy_cpu |= kb.cpu_cycles > 1.25 * kb.task_cycles;
				printf("  bulk (%s): %.3f s, %.2f Gbit/s\n    %8.0f [%.0f] "
				       "cycles/segment (bytes / MSS %d), runs %.0f..%.0f; InSegs "
				       "%llu, "
				       "OutSegs %llu, steal %llu ticks\n",
				       what, kb.wall_s, (double)bytes * 8 / kb.wall_s / 1e9,
				       per(kb.task_cycles, segs), per(kb.cpu_cycles, segs),
				       kr[v].mss, mn, mx, (unsigned long long)kb.srv_in,
				       (unsigned long long)kb.cli_out,
				       (unsigned long long)kb.steal);
			}
			if (v == 0) {
				struct kcost kt = kcost(&krr.s[1], &krr.s[2]);
				double mn, mx;

				for (unsigned i = 0; i < repeat; i++) {
					key[i] = per(kcost(&kruns[0][i].s[1], &kruns[0][i].s[2])
							     .task_cycles,
						     (double)k);
				}
				min_max(key, repeat, &mn, &mx);
				busy_cpu |= kt.cpu_cycles > 1.25 * kt.task_cycles;
				printf("  rr: %.3f s, %.0f transactions/s\n    %8.0f [%.0f] "
				       "cycles/transaction, runs %.0f..%.0f; %.2f segments in + "
				       "%.2f "
				       "out per transaction at the server, steal %llu ticks\n",
				       kt.wall_s, (double)k / kt.wall_s,
				       per(kt.task_cycles, (double)k),
				       per(kt.cpu_cycles, (double)k), mn, mx,
				       ratio((double)kt.srv_in, (double)k),
				       ratio((double)kt.srv_out, (double)k),
				       (unsigned long long)kt.steal);
			}
		}
		if (busy_cpu) {
			printf("  note: CPU %d was busier than the kernel's own work accounts for: "
			       "other processes ran there\n  (the bracketed figures include "
			       "them)\n",
			       cpu);
		}

		if (!k_ok[0] && !k_ok[1]) {
			printf("\n(no kernel reference: %s)\n",
			       no_kernel ? "--no-kernel" : "it failed, see above");
		} else {
			printf("\nsummary: cycles, lower is better; ratio = kernel / "
			       "slimbridge%s\n",
			       bscale < 1 || tscale < 1 ? "; ours scaled by the on-CPU share" : "");
			b_seg *= bscale;
			ab_seg *= bscale;
			b_tx *= tscale;
			ab_tx *= tscale;
		}
		for (int v = 0; v < 2; v++) {
			double kseg;

			if (!k_ok[v]) {
				continue;
			}
			kseg = per(kcost(&kr[v].s[0], &kr[v].s[1]).task_cycles,
				   (double)bytes / (double)RTE_MAX(kr[v].mss, 1));
			printf("bulk: slimbridge B rx: %.0f cycles/segment ... kernel (%s, both "
			       "ends): "
			       "%.0f cycles/segment ... ratio %.2fx;\n      A+B: %.0f "
			       "cycles/segment, "
			       "ratio kernel/(A+B) %.2fx\n",
			       b_seg, v == 0 ? "veth offloads" : "no offloads", kseg,
			       ratio(kseg, b_seg), ab_seg, ratio(kseg, ab_seg));
		}
		if (k_ok[0]) {
			double ktx = per(kcost(&krr.s[1], &krr.s[2]).task_cycles, (double)k);

			printf("rr:   slimbridge B: %.0f cycles/transaction ... kernel (both "
			       "ends): %.0f "
			       "cycles/transaction ... ratio %.2fx;\n      A+B: %.0f "
			       "cycles/transaction, ratio kernel/(A+B) %.2fx\n",
			       b_tx, ktx, ratio(ktx, b_tx), ab_tx, ratio(ktx, ab_tx));
		}
		if (k_ok[0] || k_ok[1]) {
			printf("The kernel figures cover both ends of each transfer on one CPU, as "
			       "A+B "
			       "does; B is the receiving\n(or echoing) stack alone.\n");
		}
	}

	bring_pair_free(&sa, &sb);
	rte_eal_cleanup();
	free(oargv);
	return rc;
}
