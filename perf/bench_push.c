/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-push: policy push propagation, end to end with the real processes.
 * Prints; it asserts nothing.
 *
 * The bench starts a slimbridge-control (a fresh SQLite database in a
 * temporary directory, an API port of its own choice, shm name
 * sbpush-<pid>) and a slimbridge-dataplane on the same name (--no-huge, one
 * net_ring0 port, which receives nothing, --workers worker lcores), both
 * taken from the build tree next to the bench. It applies a synthetic base
 * policy (--agents local agents, with tenants, partners, apps, projects,
 * teams and trusts around them) and waits until the data plane has
 * acknowledged it. Then:
 *
 *   single   --singles times, one agent's slimConfig.outbound is toggled
 *            with the Update RPC;
 *   batch    --batches times, --batch-size agents are toggled at once with
 *            the Apply RPC;
 *   sustained  for --seconds, single-agent Updates back to back (the next
 *            one as soon as the previous answer arrived); the control
 *            process compiles every change and, while the data plane still
 *            holds the other slot, publishes only the newest.
 *
 * Timing of one push: t0 is taken after the request is packed, just before
 * the call starts; t_reply when the gRPC status arrives; t_ack when
 * acked_epoch in /dev/shm/<name>.status (mapped read-only, read under its
 * seqlock) first reaches the push's epoch: every worker then runs on the
 * new snapshot. The status is polled every --poll-us (20 us, nanosleep with
 * a 1 us timer slack); the data plane's main lcore looks at the policy every
 * millisecond and acknowledges one round after its workers passed a
 * quiescent state.
 *
 * Which epoch a push makes: before each single or batch the bench waits
 * until the data plane has acknowledged the epoch in the policy header
 * (/dev/shm/<name>.policy, mapped read-only), so the control process's
 * other slot is free and the change is published as exactly that epoch + 1
 * (during the call, or from its next tick if the slot was not free yet).
 * The bench checks this afterwards against a WatchPolicy stream on the same
 * connection (version of the change -> epoch) and prints how many matched.
 *
 * The control process and the bench are pinned to the CPUs without a
 * worker; the control process's time on a CPU per push (/proc/PID/schedstat)
 * is printed beside the API call, to tell its compile work from waiting.
 *
 * The API client is the project's own: grpc_client (dataplane/grpc) on the
 * sans-I/O HTTP/2 engine, driven here on one persistent blocking-poll TCP
 * connection (h2_sock's loop sends what was queued between runs only after
 * its next epoll wake-up, up to 10 ms later, which would show up as API
 * latency).
 *
 * Usage: bench-push [--agents N] [--singles K] [--batches B] [--batch-size N]
 *                   [--seconds S] [--workers N] [--poll-us N] [--slot-size MIB]
 *                   [--control PATH] [--dataplane PATH] [--db-dir DIR] [--keep-logs]
 *                   [--quick] [--help]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "control.pb-c.h"
#include "grpc_client.h"
#include "h2_buf.h"
#include "shm/audit_abi.h"
#include "shm/shm_abi.h"

#define PROG "bench-push"
#define SVC "/slimbridge.control.v1.ControlService/"
#define RPC_TIMEOUT_MS 600000ull	/* a 100 k-agent Apply takes seconds; stop only if hung */
#define ACK_TIMEOUT_NS (30ull * 1000000000ull)
#define START_TIMEOUT_MS 30000

typedef Slimbridge__Control__V1__Agent pb_agent_t;

struct params {
	uint32_t agents, singles, batches, batch_size, workers, poll_us, slot_mib;
	double seconds;
	const char *control, *dataplane, *db_dir;
	bool keep_logs;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---------------------------------------------------------------- small helpers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n != 0 ? n : 1, sz);

	if (p == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	return p;
}

__attribute__((format(printf, 1, 2))) static char *sdup(const char *fmt, ...)
{
	char buf[160];
	char *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = strdup(buf);
	if (s == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	return s;
}

/* 1234567 -> "1,234,567" in one of eight rotating buffers. */
static const char *num(uint64_t n)
{
	static char buf[8][32];
	static unsigned k;
	char tmp[32], *o = buf[k++ & 7];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	int j = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			o[j++] = ',';
		}
		o[j++] = tmp[i];
	}
	o[j] = '\0';
	return o;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile |q| (0..1] of the |n| sorted values. */
static uint64_t pct(const uint64_t *v, size_t n, double q)
{
	size_t r = (size_t)ceil(q * (double)n);

	if (n == 0) {
		return 0;
	}
	return v[r == 0 ? 0 : (r > n ? n - 1 : r - 1)];
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- the two processes */

struct child {
	const char *what;
	pid_t pid;
	char log[PATH_MAX];
};

static struct {
	char tmp[64];			/* mkdtemp: database, logs, data plane config */
	char db[PATH_MAX];		/* the control's --db; -wal and -shm beside it */
	char shm_name[SB_SHM_NAME_MAX];
	char prefix[64];		/* EAL --file-prefix */
	struct child ctl, dp;
} g = {.ctl = {.what = "slimbridge-control"}, .dp = {.what = "slimbridge-dataplane"}};

/* CPUs without a data-plane worker: the control process and the bench run there. */
static cpu_set_t housekeeping_cpus;
static bool pin_housekeeping;

static pid_t spawn(char *const argv[], const char *log, bool pin)
{
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
			_exit(126);
		}
		/* The children end with us, even if we are killed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (pin && pin_housekeeping) {
			sched_setaffinity(0, sizeof(housekeeping_cpus), &housekeeping_cpus);
		}
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Reads |c|'s log into |buf| (NUL-terminated, truncated to the last |len| - 1 bytes). */
static void read_log(const struct child *c, char *buf, size_t len)
{
	int fd = open(c->log, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0) {
		return;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)(len - 1)) {
		lseek(fd, size - (off_t)(len - 1), SEEK_SET);
	} else {
		lseek(fd, 0, SEEK_SET);
	}
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void print_log(const struct child *c)
{
	static char buf[16384];

	read_log(c, buf, sizeof(buf));
	fprintf(stderr, "---- %s output (%s) ----\n%s%s---- end of %s output ----\n", c->what,
		c->log, buf, buf[0] != '\0' && buf[strlen(buf) - 1] != '\n' ? "\n" : "", c->what);
}

static bool child_alive(struct child *c)
{
	int st;

	if (c->pid <= 0) {
		return false;
	}
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		fprintf(stderr, PROG ": %s (pid %d) exited (%s %d)\n", c->what, (int)c->pid,
			WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		c->pid = 0;
		return false;
	}
	return true;
}

/* Waits until |c|'s output contains |needle|; copies the line from it into |line|. */
static bool wait_output(struct child *c, const char *needle, char *line, size_t len)
{
	static char buf[16384];
	uint64_t deadline = now_ns() + START_TIMEOUT_MS * 1000000ull;

	while (!interrupted) {
		char *p;

		read_log(c, buf, sizeof(buf));
		p = strstr(buf, needle);
		if (p != NULL) {
			char *eol = strchr(p, '\n');

			if (eol != NULL) {
				snprintf(line, len, "%.*s", (int)(eol - p), p);
				return true;
			}
		}
		if (!child_alive(c)) {
			return false;
		}
		if (now_ns() > deadline) {
			fprintf(stderr, PROG ": %s did not print '%s' within %d s\n", c->what, needle,
				START_TIMEOUT_MS / 1000);
			return false;
		}
		sleep_ns(10 * 1000000ull);
	}
	return false;
}

/* SIGTERM, then up to 10 s for the exit, then SIGKILL. */
static void stop_child(struct child *c)
{
	int st;

	if (c->pid <= 0) {
		return;
	}
	kill(c->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			c->pid = 0;
			return;
		}
		sleep_ns(10 * 1000000ull);
	}
	fprintf(stderr, PROG ": %s (pid %d) ignored SIGTERM for 10 s: killing it\n", c->what,
		(int)c->pid);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	c->pid = 0;
}

/* Removes the plain files in |dir|, then |dir|. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 300];

	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
	rmdir(dir);
}

static void cleanup(bool keep_logs)
{
	char path[PATH_MAX];

	stop_child(&g.dp);
	stop_child(&g.ctl);
	if (g.shm_name[0] != '\0') {
		snprintf(path, sizeof(path), "/%s%s", g.shm_name, SB_SHM_POLICY_SUFFIX);
		shm_unlink(path);
		snprintf(path, sizeof(path), "/%s%s", g.shm_name, SB_SHM_STATUS_SUFFIX);
		shm_unlink(path);
		/* The audit rings outlive the processes by design (docs/audit.md); this
		 * run's name is its own, so they go with it. */
		snprintf(path, sizeof(path), "/%s%s", g.shm_name, SB_AUDIT_SUFFIX);
		shm_unlink(path);
	}
	if (g.prefix[0] != '\0') {
		snprintf(path, sizeof(path), "/var/run/dpdk/%s", g.prefix);
		remove_dir(path);
	}
	if (g.db[0] != '\0' && !keep_logs) {
		static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};

		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(path, sizeof(path), "%.*s%s", PATH_MAX - 16, g.db, sfx[i]);
			unlink(path);
		}
	}
	if (g.tmp[0] != '\0') {
		if (keep_logs) {
			fprintf(stderr, PROG ": logs kept in %s\n", g.tmp);
		} else {
			remove_dir(g.tmp);
		}
	}
}

/* ---------------------------------------------------------------- shared memory (read-only) */

static const struct sb_shm_header *hdr;	/* /dev/shm/<name>.policy, first page */
static const struct sb_shm_status *status;	/* /dev/shm/<name>.status */

static const void *map_ro(const char *suffix, size_t len)
{
	char name[SB_SHM_NAME_MAX + 16];
	int fd;
	void *p;

	snprintf(name, sizeof(name), "/%s%s", g.shm_name, suffix);
	fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0) {
		fprintf(stderr, PROG ": cannot open /dev/shm%s: %s\n", name, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, PROG ": cannot map /dev/shm%s: %s\n", name, strerror(errno));
		return NULL;
	}
	return p;
}

static uint64_t policy_epoch(void)
{
	return __atomic_load_n(&hdr->epoch, __ATOMIC_ACQUIRE);
}

/*
 * The data plane's acknowledged epoch for our control process's instance
 * (0 while it has none), read under the status seqlock: seq even and
 * unchanged around the reads (shm_abi.h).
 */
static uint64_t acked_epoch(void)
{
	/* A writer stays odd for a few stores; one that died there leaves no acknowledgement. */
	for (int tries = 0; tries < 100000; tries++) {
		uint32_t s1 = __atomic_load_n(&status->seq, __ATOMIC_ACQUIRE);
		uint64_t inst, acked;

		if (s1 & 1) {
			__builtin_ia32_pause();
			continue;
		}
		inst = __atomic_load_n(&status->instance_id, __ATOMIC_RELAXED);
		acked = __atomic_load_n(&status->acked_epoch, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&status->seq, __ATOMIC_RELAXED) == s1) {
			return inst == hdr->instance_id ? acked : 0;
		}
	}
	return 0;
}

static uint64_t poll_ns = 20000;

/* Polls until acked_epoch >= |epoch|; returns the time it was seen, 0 on timeout or signal. */
static uint64_t wait_acked(uint64_t epoch, uint64_t timeout_ns)
{
	uint64_t t0 = now_ns(), t;

	for (;;) {
		if (acked_epoch() >= epoch) {
			return now_ns();
		}
		t = now_ns();
		if (t - t0 > timeout_ns || interrupted) {
			return 0;
		}
		sleep_ns(poll_ns);
	}
}

/* Time |pid| (its main thread: the control process has one) spent on a CPU, in ns. */
static uint64_t oncpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return 0;
	}
	if (fscanf(f, "%llu", &v) != 1) {
		v = 0;
	}
	fclose(f);
	return v;
}

/* ---------------------------------------------------------------- the gRPC client */

struct rpc_conn {
	int fd;
	struct h2_pool *pool;
	struct grpc_cconn *cc;
	struct h2_conf conf;
	bool failed;
	size_t in_off, in_len;
	uint8_t in[65536];
};

struct watch_ent {
	uint64_t version, epoch;
	uint32_t changes;
};

struct rpc_call {
	const ProtobufCMessageDescriptor *desc;
	ProtobufCMessage *resp;
	bool done;
	int status;
	char message[256];
	/* WatchPolicy: every PolicyVersion received */
	bool watch;
	struct watch_ent *ents;
	size_t nb_ents, cap_ents;
};

static int on_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	struct rpc_call *r = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(r->desc, NULL, len, msg);

	(void)call;
	if (m == NULL) {
		return -EINVAL;
	}
	if (r->watch) {
		const Slimbridge__Control__V1__PolicyVersion *v = (const void *)m;

		if (r->nb_ents == r->cap_ents) {
			struct watch_ent *q;

			r->cap_ents = r->cap_ents != 0 ? 2 * r->cap_ents : 1024;
			q = realloc(r->ents, r->cap_ents * sizeof(*q));
			if (q == NULL) {
				protobuf_c_message_free_unpacked(m, NULL);
				return -ENOMEM;
			}
			r->ents = q;
		}
		r->ents[r->nb_ents++] = (struct watch_ent){v->version, v->epoch, v->changes};
		protobuf_c_message_free_unpacked(m, NULL);
		return 0;
	}
	if (r->resp != NULL) {
		protobuf_c_message_free_unpacked(r->resp, NULL);
	}
	r->resp = m;
	return 0;
}

static void on_done(struct grpc_ccall *call, int st, const char *message,
		    const struct h2_header *trailers, uint32_t n, void *arg)
{
	struct rpc_call *r = arg;

	(void)call;
	(void)trailers;
	(void)n;
	r->status = st;
	snprintf(r->message, sizeof(r->message), "%s", message != NULL ? message : "");
	r->done = true;
}

static const struct grpc_ccall_ops ops = {
	.on_message = on_message,
	.on_done = on_done,
};

static void rpc_close(struct rpc_conn *c)
{
	if (c == NULL) {
		return;
	}
	grpc_cconn_free(c->cc);
	h2_pool_free(c->pool);
	if (c->fd >= 0) {
		close(c->fd);
	}
	free(c);
}

static struct rpc_conn *rpc_connect(uint16_t port)
{
	struct rpc_conn *c = xcalloc(1, sizeof(*c));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	char authority[32];
	int one = 1;

	c->fd = -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	snprintf(authority, sizeof(authority), "127.0.0.1:%u", port);
	h2_conf_default(&c->conf, false);
	c->pool = h2_pool_new(64, true, 1u << 15);	/* up to 256 MiB: a large Apply in one write */
	c->cc = c->pool != NULL ? grpc_cconn_new(&c->conf, c->pool, authority, now_ns() / 1000000)
				: NULL;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cc == NULL || c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) < 0) {
		fprintf(stderr, PROG ": cannot connect to slimbridge-control at %s: %s\n", authority,
			strerror(errno));
		rpc_close(c);
		return NULL;
	}
	return c;
}

/* Writes what the engine queued; false once the socket failed. */
static bool rpc_flush(struct rpc_conn *c, bool *blocked)
{
	struct h2_conn *h2 = grpc_cconn_h2(c->cc);

	*blocked = false;
	for (;;) {
		struct iovec iov[64];
		unsigned n = h2_conn_out_iov(h2, iov, 64);
		ssize_t w;

		if (n == 0) {
			return true;
		}
		w = writev(c->fd, iov, (int)n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				*blocked = true;
				return true;
			}
			return false;
		}
		h2_conn_out_consume(h2, (size_t)w);
	}
}

/* One turn: send, wait up to |timeout_ms| for input, feed it, send again. */
static bool rpc_turn(struct rpc_conn *c, int timeout_ms)
{
	struct h2_conn *h2 = grpc_cconn_h2(c->cc);
	struct pollfd pfd = {.fd = c->fd};
	bool blocked;

	if (c->failed || !rpc_flush(c, &blocked)) {
		goto fail;
	}
	pfd.events = (short)((c->in_off == c->in_len ? POLLIN : 0) | (blocked ? POLLOUT : 0));
	if (c->in_off < c->in_len && !blocked) {
		timeout_ms = 0;	/* input the engine did not take yet: feed it now */
	}
	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
		goto fail;
	}
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t r = read(c->fd, c->in, sizeof(c->in));

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			goto fail;
		}
		if (r > 0) {
			c->in_off = 0;
			c->in_len = (size_t)r;
		}
	}
	while (c->in_off < c->in_len) {
		long k = h2_conn_recv(h2, c->in + c->in_off, c->in_len - c->in_off);

		if (k < 0) {
			goto fail;
		}
		if (k == 0) {
			break;	/* output over its mark: send first */
		}
		c->in_off += (size_t)k;
	}
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = 0;
	}
	grpc_cconn_tick(c->cc, now_ns() / 1000000);
	if (!rpc_flush(c, &blocked)) {
		goto fail;
	}
	return true;
fail:
	if (!c->failed) {
		fprintf(stderr, PROG ": the connection to slimbridge-control failed\n");
	}
	c->failed = true;
	return false;
}

/* Starts |method| with the packed request |buf| (|len| bytes). */
static bool rpc_start(struct rpc_conn *c, const char *method, const uint8_t *buf, size_t len,
		      struct rpc_call *r)
{
	struct grpc_ccall *call;
	char path[128];
	int rc;

	r->done = false;
	r->status = -1;
	snprintf(path, sizeof(path), SVC "%s", method);
	rc = grpc_cconn_start(c->cc, path, NULL, 0, r->watch ? 0 : RPC_TIMEOUT_MS, &ops, r, &call);
	rc = rc ?: grpc_ccall_send(call, buf, len);
	rc = rc ?: grpc_ccall_close_send(call);
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot send the %s request: %s\n", method, strerror(-rc));
		return false;
	}
	return true;
}

/* Runs the connection until |r| is done; false on a failed connection or a signal. */
static bool rpc_wait(struct rpc_conn *c, struct rpc_call *r)
{
	while (!r->done) {
		if (interrupted || !rpc_turn(c, 100)) {
			return false;
		}
	}
	return true;
}

/* Packs |req| into |*buf| (grown as needed); returns its length. */
static size_t pack(const ProtobufCMessage *req, uint8_t **buf, size_t *cap)
{
	size_t n = protobuf_c_message_get_packed_size(req);

	if (n + 1 > *cap) {
		free(*buf);
		*cap = n + 1;
		*buf = xcalloc(1, *cap);
	}
	protobuf_c_message_pack(req, *buf);
	return n;
}

/* A unary call; returns true with r->resp on OK, else prints the status. */
static bool rpc_unary(struct rpc_conn *c, const char *method, const uint8_t *buf, size_t len,
		      struct rpc_call *r)
{
	if (!rpc_start(c, method, buf, len, r) || !rpc_wait(c, r)) {
		return false;
	}
	if (r->status != GRPC_OK || r->resp == NULL) {
		fprintf(stderr, PROG ": %s: gRPC status %d: %s\n", method, r->status, r->message);
		return false;
	}
	return true;
}

static void rpc_reset(struct rpc_call *r)
{
	if (r->resp != NULL) {
		protobuf_c_message_free_unpacked(r->resp, NULL);
	}
	r->resp = NULL;
}

/* ---------------------------------------------------------------- the synthetic policy */

/*
 * Local tenant t has apps t<t>-app<k> of about 100 agents each, ten apps a
 * tenant; every app has two projects (p0 allows the next app, the tenant's
 * partner through an agents: list and the next tenant; p1 the previous app
 * and the partner's any agent) and two teams (team1 narrows to its
 * tenant's apps and the partner). Each local tenant has a partner tenant
 * p<t> (local: false, one app, two agents) and trusts it and the next local
 * tenant. Agents: slimConfig enabled 97 %, outbound 91 %, inbound 92 %; one
 * in eight has allowedTargets, one in eight allowedCallers. No "*" with an
 * agents: list: compile stays linear in agents.
 */
struct world {
	uint32_t nt, apt, na, nb_local;
	Slimbridge__Control__V1__Policy pol;
	pb_agent_t **local;	/* the agents the bench changes */
};

static char **strv1(size_t *n, const char *s)
{
	char **v = xcalloc(1, sizeof(char *));

	v[0] = strdup(s);
	*n = 1;
	return v;
}

static Slimbridge__Control__V1__OrgRule *org_rule(char *org, const char *agent, const char *perm)
{
	Slimbridge__Control__V1__OrgRule *r = xcalloc(1, sizeof(*r));

	slimbridge__control__v1__org_rule__init(r);
	r->organization = org;
	if (agent != NULL) {
		r->agents = strv1(&r->n_agents, agent);
	}
	if (perm != NULL) {
		r->permissions = strv1(&r->n_permissions, perm);
	}
	return r;
}

static Slimbridge__Control__V1__ScopeSlimConfig *scope(void)
{
	Slimbridge__Control__V1__ScopeSlimConfig *sc = xcalloc(1, sizeof(*sc));

	slimbridge__control__v1__scope_slim_config__init(sc);
	sc->has_enabled = 1;
	sc->enabled = 1;
	sc->allowedorganizations = xcalloc(6, sizeof(void *));
	return sc;
}

#define ADD_RULE(sc, r) ((sc)->allowedorganizations[(sc)->n_allowedorganizations++] = (r))

static void world_build(struct world *w, uint32_t agents)
{
	Slimbridge__Control__V1__Policy *p = &w->pol;
	uint32_t nt, na, apt, nb_trusts, ai = 0;

	slimbridge__control__v1__policy__init(p);
	na = agents / 100 != 0 ? agents / 100 : 1;
	nt = na / 10 != 0 ? na / 10 : 1;
	apt = (na + nt - 1) / nt;
	na = apt * nt;
	w->nt = nt;
	w->apt = apt;
	w->na = na;
	w->nb_local = agents;
	nb_trusts = nt * (nt >= 2 ? 2 : 1);

	p->n_tenants = 2 * nt;
	p->tenants = xcalloc(p->n_tenants, sizeof(void *));
	p->n_apps = na + nt;
	p->apps = xcalloc(p->n_apps, sizeof(void *));
	p->n_projects = p->n_teams = 2 * na;
	p->projects = xcalloc(p->n_projects, sizeof(void *));
	p->teams = xcalloc(p->n_teams, sizeof(void *));
	p->n_agents = agents + 2 * nt;
	p->agents = xcalloc(p->n_agents, sizeof(void *));
	p->n_trustrelationships = nb_trusts;
	p->trustrelationships = xcalloc(nb_trusts, sizeof(void *));
	w->local = (pb_agent_t **)p->agents;

	for (uint32_t t = 0; t < nt; t++) {
		Slimbridge__Control__V1__Tenant *lt = xcalloc(1, sizeof(*lt)), *pt;
		Slimbridge__Control__V1__App *pa;

		slimbridge__control__v1__tenant__init(lt);
		lt->id = sdup("t%u", t);
		lt->trustdomain = sdup("t%u.example", t);
		lt->settings = xcalloc(1, sizeof(*lt->settings));
		slimbridge__control__v1__tenant_settings__init(lt->settings);
		lt->settings->slim = xcalloc(1, sizeof(*lt->settings->slim));
		slimbridge__control__v1__tenant_slim__init(lt->settings->slim);
		lt->settings->slim->has_capabilityenabled = 1;
		lt->settings->slim->capabilityenabled = 1;
		p->tenants[t] = lt;

		pt = xcalloc(1, sizeof(*pt));
		slimbridge__control__v1__tenant__init(pt);
		pt->id = sdup("p%u", t);
		pt->trustdomain = sdup("p%u.example", t);
		pt->has_local = 1;
		pt->local = 0;
		p->tenants[nt + t] = pt;

		pa = xcalloc(1, sizeof(*pa));
		slimbridge__control__v1__app__init(pa);
		pa->id = sdup("p%u-app", t);
		pa->tenant = sdup("p%u", t);
		p->apps[na + t] = pa;
		for (uint32_t k = 0; k < 2; k++) {
			pb_agent_t *x = xcalloc(1, sizeof(*x));

			slimbridge__control__v1__agent__init(x);
			x->id = sdup("p%u-ag%u", t, k);
			x->app = sdup("p%u-app", t);
			p->agents[agents + 2 * t + k] = x;
		}
	}
	for (uint32_t t = 0, n = 0; t < nt; t++) {
		const char *peers[2] = {"p", "t"};

		for (uint32_t k = 0; k < (nt >= 2 ? 2u : 1u); k++) {
			Slimbridge__Control__V1__TrustRelationship *x = xcalloc(1, sizeof(*x));
			uint32_t peer = k == 0 ? t : (t + 1) % nt;

			slimbridge__control__v1__trust_relationship__init(x);
			x->id = sdup("tr-t%u-%s%u", t, peers[k], peer);
			x->tenant = sdup("t%u", t);
			x->organization = sdup("external:%s%u", peers[k], peer);
			x->peertrustdomain = sdup("%s%u.example", peers[k], peer);
			x->endpoint = sdup("%s%u.example:46357", peers[k], peer);
			x->transport = strdup("grpc");
			x->state = strdup("established");
			p->trustrelationships[n++] = x;
		}
	}
	for (uint32_t a = 0; a < na; a++) {
		uint32_t t = a / apt, k = a % apt;
		uint32_t next = t * apt + (k + 1) % apt, prev = t * apt + (k + apt - 1) % apt;
		Slimbridge__Control__V1__App *x = xcalloc(1, sizeof(*x));

		slimbridge__control__v1__app__init(x);
		x->id = sdup("t%u-app%u", t, k);
		x->tenant = sdup("t%u", t);
		p->apps[a] = x;
		for (uint32_t j = 0; j < 2; j++) {
			Slimbridge__Control__V1__Project *pr = xcalloc(1, sizeof(*pr));
			Slimbridge__Control__V1__Team *tm = xcalloc(1, sizeof(*tm));
			Slimbridge__Control__V1__ScopeSlimConfig *sc = scope();

			slimbridge__control__v1__project__init(pr);
			pr->id = sdup("t%u-app%u-p%u", t, k, j);
			pr->app = sdup("t%u-app%u", t, k);
			if (apt >= 2) {
				ADD_RULE(sc, org_rule(sdup("internal:t%u-app%u", t,
							   (j == 0 ? next : prev) % apt),
						      NULL, j == 0 ? NULL : "query"));
			}
			if (j == 0) {
				char ag[32];

				snprintf(ag, sizeof(ag), "p%u-ag0", t);
				ADD_RULE(sc, org_rule(sdup("external:p%u", t), ag, NULL));
				if (nt >= 2) {
					ADD_RULE(sc, org_rule(sdup("external:t%u", (t + 1) % nt), NULL,
							      NULL));
				}
			} else {
				ADD_RULE(sc, org_rule(sdup("external:p%u", t), NULL, "task"));
			}
			pr->slimconfig = sc;
			p->projects[2 * a + j] = pr;

			slimbridge__control__v1__team__init(tm);
			tm->id = sdup("t%u-app%u-team%u", t, k, j);
			tm->app = sdup("t%u-app%u", t, k);
			if (j == 1) {
				sc = scope();
				ADD_RULE(sc, org_rule(sdup("internal:t%u-*", t), NULL, NULL));
				ADD_RULE(sc, org_rule(sdup("external:p%u", t), NULL, NULL));
				tm->slimconfig = sc;
			}
			p->teams[2 * a + j] = tm;
		}
	}
	/* Agents spread evenly over the apps. */
	for (uint32_t a = 0; a < na; a++) {
		uint32_t t = a / apt, k = a % apt;
		uint32_t end = (uint32_t)((uint64_t)agents * (a + 1) / na);

		for (uint32_t j = 0; ai < end; ai++, j++) {
			pb_agent_t *x = xcalloc(1, sizeof(*x));
			Slimbridge__Control__V1__AgentSlimConfig *sc = xcalloc(1, sizeof(*sc));
			uint32_t h = (uint32_t)(ai * 2654435761u) >> 8;

			slimbridge__control__v1__agent__init(x);
			slimbridge__control__v1__agent_slim_config__init(sc);
			x->id = sdup("t%u-app%u-ag%u", t, k, j);
			x->app = sdup("t%u-app%u", t, k);
			x->project = sdup("t%u-app%u-p%u", t, k, j & 1);
			x->team = sdup("t%u-app%u-team%u", t, k, (j >> 1) & 1);
			x->namespace_ = sdup("ns%u", ai % 4);
			sc->has_enabled = sc->has_outbound = sc->has_inbound = 1;
			sc->enabled = h % 33 != 0;
			sc->outbound = h % 11 != 0;
			sc->inbound = h % 13 != 0;
			if (ai % 8 == 3 && apt >= 2) {
				Slimbridge__Control__V1__TargetRule *r = xcalloc(1, sizeof(*r));

				slimbridge__control__v1__target_rule__init(r);
				r->organization = sdup("internal:t%u-app%u", t, (k + 1) % apt);
				sc->allowedtargets = xcalloc(1, sizeof(void *));
				sc->allowedtargets[sc->n_allowedtargets++] = r;
			}
			if (ai % 8 == 5) {
				Slimbridge__Control__V1__CallerRule *r = xcalloc(1, sizeof(*r));

				slimbridge__control__v1__caller_rule__init(r);
				r->organization = sdup("external:p%u", t);
				r->permissions = strv1(&r->n_permissions, "query");
				sc->allowedcallers = xcalloc(1, sizeof(void *));
				sc->allowedcallers[sc->n_allowedcallers++] = r;
			}
			x->slimconfig = sc;
			p->agents[ai] = x;
		}
	}
}

/* Toggles agent |i|'s slimConfig.outbound: a real change every time. */
static pb_agent_t *toggle(struct world *w, uint32_t i)
{
	pb_agent_t *a = w->local[i % w->nb_local];

	a->slimconfig->outbound = !a->slimconfig->outbound;
	return a;
}

/* ---------------------------------------------------------------- measurements */

struct push {
	uint64_t version;	/* store version after the change (the reply's) */
	uint64_t epoch;		/* the epoch it was expected to make */
	uint64_t api_ns, ack_ns;	/* reply - t0, ack - t0 */
	bool in_call;		/* header.epoch had it already when the reply arrived */
};

struct bench {
	struct params pr;
	struct world w;
	struct rpc_conn *c;
	struct rpc_call watch;
	uint8_t *buf;
	size_t cap;
	uint64_t snapshot_bytes;
};

/* Waits until the data plane has acknowledged the epoch in the policy header. */
static bool quiesce(uint64_t *epoch)
{
	for (;;) {
		uint64_t e = policy_epoch();

		if (wait_acked(e, ACK_TIMEOUT_NS) == 0) {
			if (!interrupted) {
				fprintf(stderr, PROG ": the data plane never acknowledged epoch %llu "
					"(acked %llu after %llu s)\n", (unsigned long long)e,
					(unsigned long long)acked_epoch(),
					(unsigned long long)(ACK_TIMEOUT_NS / 1000000000ull));
			}
			return false;
		}
		if (policy_epoch() == e) {
			*epoch = e;
			return true;
		}
	}
}

/*
 * One push of the packed request in b->buf (|len| bytes) through |method|:
 * t0, the call, then polling acked_epoch until it reaches the expected epoch.
 */
static bool push_one(struct bench *b, const char *method, size_t len,
		     const ProtobufCMessageDescriptor *desc, uint32_t expect_updated, struct push *out)
{
	struct rpc_call r = {.desc = desc};
	uint64_t before, t0, t1, t2;
	bool ok;

	if (!quiesce(&before)) {
		return false;
	}
	out->epoch = before + 1;
	t0 = now_ns();
	ok = rpc_unary(b->c, method, b->buf, len, &r);
	t1 = now_ns();
	if (!ok) {
		rpc_reset(&r);
		return false;
	}
	out->in_call = policy_epoch() >= out->epoch;
	if (desc == &slimbridge__control__v1__apply_response__descriptor) {
		const Slimbridge__Control__V1__ApplyResponse *a = (const void *)r.resp;
		static bool warned;

		out->version = a->version;
		if (a->updated != expect_updated && !warned) {
			fprintf(stderr, PROG ": Apply updated %u objects, not %u\n", a->updated,
				expect_updated);
			warned = true;
		}
	} else {
		out->version = ((const Slimbridge__Control__V1__ObjectResponse *)r.resp)->version;
	}
	rpc_reset(&r);
	t2 = wait_acked(out->epoch, ACK_TIMEOUT_NS);
	if (t2 == 0) {
		if (!interrupted) {
			fprintf(stderr, PROG ": epoch %llu (version %llu) was never acknowledged: "
				"policy header at epoch %llu, acked %llu after %llu s\n",
				(unsigned long long)out->epoch, (unsigned long long)out->version,
				(unsigned long long)policy_epoch(), (unsigned long long)acked_epoch(),
				(unsigned long long)(ACK_TIMEOUT_NS / 1000000000ull));
		}
		return false;
	}
	out->api_ns = t1 - t0;
	out->ack_ns = t2 - t0;
	return true;
}

static size_t pack_update(struct bench *b, uint32_t i)
{
	Slimbridge__Control__V1__ObjectRequest rq = SLIMBRIDGE__CONTROL__V1__OBJECT_REQUEST__INIT;
	Slimbridge__Control__V1__Object o = SLIMBRIDGE__CONTROL__V1__OBJECT__INIT;

	o.kind_case = SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_AGENT;
	o.agent = toggle(&b->w, i);
	rq.object = &o;
	return pack(&rq.base, &b->buf, &b->cap);
}

static size_t pack_batch(struct bench *b, uint32_t first, uint32_t n)
{
	Slimbridge__Control__V1__ApplyRequest rq = SLIMBRIDGE__CONTROL__V1__APPLY_REQUEST__INIT;
	Slimbridge__Control__V1__Policy p = SLIMBRIDGE__CONTROL__V1__POLICY__INIT;
	pb_agent_t **v = xcalloc(n, sizeof(*v));
	size_t len;

	for (uint32_t k = 0; k < n; k++) {
		v[k] = toggle(&b->w, first + k);
	}
	p.n_agents = n;
	p.agents = v;
	rq.policy = &p;
	len = pack(&rq.base, &b->buf, &b->cap);
	free(v);
	return len;
}

/* Keeps the connection turning until WatchPolicy reported |version| or newer (2 s at most). */
static void drain_watch(struct bench *b, uint64_t version)
{
	uint64_t deadline = now_ns() + 2000000000ull;

	while (now_ns() < deadline && !interrupted) {
		if (b->watch.nb_ents > 0 && b->watch.ents[b->watch.nb_ents - 1].version >= version) {
			return;
		}
		if (!rpc_turn(b->c, 10)) {
			return;
		}
	}
}

/* How many of |n| pushes WatchPolicy reported under the epoch the bench expected. */
static size_t watch_matches(const struct bench *b, const struct push *p, size_t n, size_t *seen)
{
	size_t ok = 0;

	*seen = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < b->watch.nb_ents; j++) {
			if (b->watch.ents[j].version == p[i].version) {
				(*seen)++;
				ok += b->watch.ents[j].epoch == p[i].epoch;
				break;
			}
		}
	}
	return ok;
}

static void print_row(const char *what, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("  %-26s %10.0f %10.0f %10.0f %10.0f %10.0f\n", what, pct(v, n, 0.5) / 1e3,
	       pct(v, n, 0.9) / 1e3, pct(v, n, 0.99) / 1e3, n > 0 ? v[n - 1] / 1e3 : 0.0,
	       n > 0 ? v[0] / 1e3 : 0.0);
}

static void report(struct bench *b, const char *title, const struct push *p, size_t n,
		   size_t wanted, uint64_t ctl_cpu_ns)
{
	uint64_t *api = xcalloc(n, sizeof(uint64_t)), *after = xcalloc(n, sizeof(uint64_t));
	uint64_t *ack = xcalloc(n, sizeof(uint64_t));
	size_t in_call = 0, seen, ok;

	drain_watch(b, n > 0 ? p[n - 1].version : 0);
	ok = watch_matches(b, p, n, &seen);
	for (size_t i = 0; i < n; i++) {
		api[i] = p[i].api_ns;
		ack[i] = p[i].ack_ns;
		after[i] = p[i].ack_ns - p[i].api_ns;
		in_call += p[i].in_call;
	}
	printf("\n%s: %s pushes%s\n", title, num(n),
	       n < wanted ? " (stopped early, see the message above)" : "");
	printf("  %-26s %10s %10s %10s %10s %10s\n", "microseconds", "p50", "p90", "p99", "max",
	       "min");
	print_row("API call (RPC round trip)", api, n);
	print_row("reply -> acknowledged", after, n);
	print_row("push (call -> every worker)", ack, n);
	printf("  published during the call: %s of %s; epoch as expected (WatchPolicy): %s of %s "
	       "reported\n", num(in_call), num(n), num(ok), num(seen));
	if (n > 0) {
		uint64_t sum = 0;

		for (size_t i = 0; i < n; i++) {
			sum += p[i].api_ns;
		}
		printf("  slimbridge-control on a CPU: %.0f us per push (mean API call %.0f us)\n",
		       (double)ctl_cpu_ns / (double)n / 1e3, (double)sum / (double)n / 1e3);
	}
	free(api);
	free(after);
	free(ack);
}

static bool run_singles(struct bench *b)
{
	struct push *p = xcalloc(b->pr.singles, sizeof(*p));
	uint64_t cpu0 = oncpu_ns(g.ctl.pid);
	size_t n = 0;
	bool ok = true;

	for (; n < b->pr.singles; n++) {
		size_t len = pack_update(b, (uint32_t)(n * 7919u));

		if (!push_one(b, "Update", len, &slimbridge__control__v1__object_response__descriptor,
			      1, &p[n])) {
			ok = false;
			break;
		}
	}
	report(b, "single change (Update of one agent)", p, n, b->pr.singles,
	       oncpu_ns(g.ctl.pid) - cpu0);
	free(p);
	return ok;
}

static bool run_batches(struct bench *b)
{
	struct push *p = xcalloc(b->pr.batches, sizeof(*p));
	uint64_t cpu0 = oncpu_ns(g.ctl.pid);
	char title[96];
	size_t n = 0;
	bool ok = true;

	for (; n < b->pr.batches; n++) {
		size_t len = pack_batch(b, (uint32_t)(n * b->pr.batch_size), b->pr.batch_size);

		if (!push_one(b, "Apply", len, &slimbridge__control__v1__apply_response__descriptor,
			      b->pr.batch_size, &p[n])) {
			ok = false;
			break;
		}
	}
	snprintf(title, sizeof(title), "%s-change batch (Apply of %s agents)", num(b->pr.batch_size),
		 num(b->pr.batch_size));
	report(b, title, p, n, b->pr.batches, oncpu_ns(g.ctl.pid) - cpu0);
	free(p);
	return ok;
}

static bool run_sustained(struct bench *b)
{
	uint64_t e0, a0, t0, t_end, t_last = 0, version = 0, a1, e1, t_ack, epoch_last, changes = 0;
	uint64_t w0 = b->watch.nb_ents, cpu0, cpu1;
	uint64_t *api = xcalloc(1u << 20, sizeof(uint64_t));

	if (!quiesce(&e0)) {
		free(api);
		return false;
	}
	a0 = acked_epoch();
	cpu0 = oncpu_ns(g.ctl.pid);
	t0 = now_ns();
	t_end = t0 + (uint64_t)(b->pr.seconds * 1e9);
	while (!interrupted) {
		struct rpc_call r = {.desc = &slimbridge__control__v1__object_response__descriptor};
		size_t len = pack_update(b, (uint32_t)(changes * 7919u + 1));
		uint64_t t = now_ns();

		if (t >= t_end) {
			break;
		}
		if (!rpc_unary(b->c, "Update", b->buf, len, &r)) {
			rpc_reset(&r);
			free(api);
			return false;
		}
		t_last = now_ns();
		if (changes < (1u << 20)) {
			api[changes] = t_last - t;
		}
		version = ((const Slimbridge__Control__V1__ObjectResponse *)r.resp)->version;
		rpc_reset(&r);
		changes++;
	}
	t_end = now_ns();
	cpu1 = oncpu_ns(g.ctl.pid);
	a1 = acked_epoch();
	e1 = policy_epoch();
	/* The last change: which epoch holds it (WatchPolicy), and when that is acknowledged. */
	drain_watch(b, version);
	epoch_last = 0;
	for (size_t j = w0; j < b->watch.nb_ents; j++) {
		if (b->watch.ents[j].version >= version) {
			epoch_last = b->watch.ents[j].epoch;
			break;
		}
	}
	t_ack = epoch_last != 0 ? wait_acked(epoch_last, ACK_TIMEOUT_NS) : 0;
	{
		double s = (double)(t_end - t0) / 1e9;
		size_t n = changes < (1u << 20) ? changes : (1u << 20);

		printf("\nsustained: Updates of one agent back to back for %.1f s\n", s);
		printf("  %s changes applied (%.0f/s); %s epochs published (%.0f/s), %s acknowledged "
		       "by the data plane (%.0f/s)\n", num(changes), changes / s, num(e1 - e0),
		       (e1 - e0) / s, num(a1 - a0), (a1 - a0) / s);
		printf("  %.2f changes per published epoch; slimbridge-control on a CPU %.0f %% of the "
		       "time, %.0f us per change\n",
		       e1 > e0 ? (double)changes / (double)(e1 - e0) : 0.0,
		       100.0 * (double)(cpu1 - cpu0) / (double)(t_end - t0),
		       changes > 0 ? (double)(cpu1 - cpu0) / (double)changes / 1e3 : 0.0);
		if (t_ack != 0) {
			printf("  last change (version %s) in epoch %s, acknowledged %.0f us after its "
			       "reply\n", num(version), num(epoch_last), (t_ack - t_last) / 1e3);
		} else {
			printf("  last change (version %s): %s\n", num(version),
			       epoch_last == 0 ? "WatchPolicy never reported it" :
						 "its epoch was never acknowledged");
		}
		printf("  %-26s %10s %10s %10s %10s %10s\n", "microseconds", "p50", "p90", "p99",
		       "max", "min");
		print_row("API call (RPC round trip)", api, n);
	}
	free(api);
	return t_ack != 0;
}

/* ---------------------------------------------------------------- set-up */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"Policy push propagation, end to end: starts slimbridge-control and\n"
		"slimbridge-dataplane (--no-huge, one net_ring0 port), applies a synthetic\n"
		"policy, then times pushes from the API call until every data-plane worker\n"
		"runs on the new epoch (acked_epoch in /dev/shm/NAME.status). Prints; asserts\n"
		"nothing. Needs root (DPDK).\n"
		"\n"
		"  --agents N       local agents of the base policy (10000), about 100 per app,\n"
		"                   10 apps per tenant, plus 2 partner agents per tenant\n"
		"  --singles K      single-agent Updates timed one at a time (200; 0 skips)\n"
		"  --batches B      Applies of --batch-size changed agents timed (10; 0 skips)\n"
		"  --batch-size N   agents changed per batch (10000; at most --agents)\n"
		"  --seconds S      sustained phase: back-to-back Updates for S seconds (5; 0 skips)\n"
		"  --workers N      data-plane worker lcores (1)\n"
		"  --poll-us N      acked_epoch polling interval in microseconds (20)\n"
		"  --slot-size MIB  control's --slot-size (default: 64 + 1 per 1024 agents)\n"
		"  --control PATH   slimbridge-control (default: ../control/ next to this binary)\n"
		"  --dataplane PATH slimbridge-dataplane (default: ../dataplane/ next to this binary)\n"
		"  --db-dir DIR     directory of the control's SQLite database (default: a\n"
		"                   temporary directory under /tmp); the store commits every\n"
		"                   change with synchronous=FULL, so on a disk the fsyncs are part\n"
		"                   of the API call: /dev/shm shows the cost without them\n"
		"  --keep-logs      keep the temporary directory with both processes' output\n"
		"  --quick          a smoke run: 1000 agents, 20 singles, 2 batches of 1000,\n"
		"                   1 s sustained\n"
		"  --help           this text\n"
		"\n"
		"Exit status: 0 when every push was acknowledged, 1 when a process failed to\n"
		"start or a push was never acknowledged (30 s), 2 on bad usage.\n");
}

static bool parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '\0' || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s: expected %u..%u, got '%s'\n", opt, lo, hi, s);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static int parse_args(int argc, char **argv, struct params *pr)
{
	static const struct option opts[] = {
		{"agents", required_argument, NULL, 'a'},
		{"singles", required_argument, NULL, 's'},
		{"batches", required_argument, NULL, 'b'},
		{"batch-size", required_argument, NULL, 'B'},
		{"seconds", required_argument, NULL, 'S'},
		{"workers", required_argument, NULL, 'w'},
		{"poll-us", required_argument, NULL, 'p'},
		{"slot-size", required_argument, NULL, 'z'},
		{"control", required_argument, NULL, 'C'},
		{"dataplane", required_argument, NULL, 'D'},
		{"db-dir", required_argument, NULL, 'd'},
		{"keep-logs", no_argument, NULL, 'k'},
		{"quick", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool ok = true;
	int c;

	while (ok && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			ok = parse_u32("agents", optarg, 1, 10000000, &pr->agents);
			break;
		case 's':
			ok = parse_u32("singles", optarg, 0, 1000000, &pr->singles);
			break;
		case 'b':
			ok = parse_u32("batches", optarg, 0, 100000, &pr->batches);
			break;
		case 'B':
			ok = parse_u32("batch-size", optarg, 1, 10000000, &pr->batch_size);
			break;
		case 'S': {
			char *end;

			pr->seconds = strtod(optarg, &end);
			ok = *end == '\0' && optarg[0] != '\0' && pr->seconds >= 0 && pr->seconds <= 3600;
			if (!ok) {
				fprintf(stderr, PROG ": --seconds: expected 0..3600, got '%s'\n", optarg);
			}
			break;
		}
		case 'w':
			ok = parse_u32("workers", optarg, 1, 127, &pr->workers);
			break;
		case 'p':
			ok = parse_u32("poll-us", optarg, 1, 1000000, &pr->poll_us);
			break;
		case 'z':
			ok = parse_u32("slot-size", optarg, 1, 4096, &pr->slot_mib);
			break;
		case 'C':
			pr->control = optarg;
			break;
		case 'D':
			pr->dataplane = optarg;
			break;
		case 'd':
			pr->db_dir = optarg;
			break;
		case 'k':
			pr->keep_logs = true;
			break;
		case 'q':
			pr->agents = 1000;
			pr->singles = 20;
			pr->batches = 2;
			pr->batch_size = 1000;
			pr->seconds = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ok) {
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* |name| in ../|sub|/ next to this binary. */
static const char *sibling(const char *sub, const char *name)
{
	static char out[2][PATH_MAX];
	static int k;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash, *o = out[k++ & 1];

	if (n <= 0) {
		return name;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL) {
		*slash = '\0';
	}
	snprintf(o, PATH_MAX, "%.*s/../%s/%s", PATH_MAX - 64, exe, sub, name);
	return o;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "?");
	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && p != NULL) {
			p += 2;
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

/* What kind of file system holds |path|'s directory. */
static const char *fs_name(const char *path)
{
	char dir[PATH_MAX], *slash;
	struct statfs sf;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
	}
	if (statfs(dir, &sf) < 0) {
		return "?";
	}
	switch ((unsigned long)sf.f_type) {
	case 0x01021994ul:
		return "tmpfs: no disk writes";
	case 0xef53ul:
		return "ext4: every commit is fsynced";
	case 0x58465342ul:
		return "xfs: every commit is fsynced";
	case 0x9123683eul:
		return "btrfs: every commit is fsynced";
	case 0x794c7630ul:
		return "overlayfs: every commit is fsynced";
	default:
		return "every commit is fsynced";
	}
}

static bool start_processes(const struct params *pr, char *lcores, size_t lcores_len,
			    uint16_t *port)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char conf[PATH_MAX], line[512], slot[16];
	const char *p;
	FILE *f;
	int n;

	snprintf(conf, sizeof(conf), "%s/dataplane.yaml", g.tmp);
	if (pr->db_dir != NULL) {
		snprintf(g.db, sizeof(g.db), "%.*s/sbpush-%d.db", PATH_MAX - 32, pr->db_dir,
			 (int)getpid());
	} else {
		snprintf(g.db, sizeof(g.db), "%s/policy.db", g.tmp);
	}
	snprintf(g.ctl.log, sizeof(g.ctl.log), "%s/control.log", g.tmp);
	snprintf(g.dp.log, sizeof(g.dp.log), "%s/dataplane.log", g.tmp);
	f = fopen(conf, "w");
	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", conf, strerror(errno));
		return false;
	}
	fprintf(f, "workers: %u\nshm:\n  name: %s\nports:\n  - name: net_ring0\n"
		"    ipv4: 192.0.2.1/24\n", pr->workers, g.shm_name);
	fclose(f);
	/*
	 * The main lcore on CPU 0, the workers on the other CPUs (sharing them if
	 * too few). The control process and the bench stay off the workers' CPUs,
	 * as on a deployment, where a busy-polling worker would halve them.
	 */
	n = snprintf(lcores, lcores_len, "0@0");
	CPU_ZERO(&housekeeping_cpus);
	for (long cpu = 0; cpu < ncpu && cpu < CPU_SETSIZE; cpu++) {
		CPU_SET((int)cpu, &housekeeping_cpus);
	}
	for (uint32_t i = 1; i <= pr->workers && n > 0 && (size_t)n < lcores_len; i++) {
		long cpu = ncpu > 1 ? 1 + (long)(i - 1) % (ncpu - 1) : 0;

		n += snprintf(lcores + n, lcores_len - (size_t)n, ",%u@%ld", i, cpu);
		CPU_CLR((int)cpu, &housekeeping_cpus);
	}
	pin_housekeeping = CPU_COUNT(&housekeeping_cpus) > 0;
	if (pin_housekeeping) {
		sched_setaffinity(0, sizeof(housekeeping_cpus), &housekeeping_cpus);
	}
	{
		char *argv[] = {(char *)pr->dataplane, "--no-huge", "-m", "256", "--no-pci",
				"--file-prefix", g.prefix, "--lcores", lcores, "--vdev", "net_ring0",
				"--", "--config", conf, NULL};

		g.dp.pid = spawn(argv, g.dp.log, false);
	}
	if (g.dp.pid < 0 || !wait_output(&g.dp, "ready", line, sizeof(line))) {
		fprintf(stderr, PROG ": slimbridge-dataplane did not start (%s)\n", pr->dataplane);
		print_log(&g.dp);
		return false;
	}
	snprintf(slot, sizeof(slot), "%u", pr->slot_mib);
	{
		char *argv[] = {(char *)pr->control, "--shm-name", g.shm_name, "--db", g.db,
				"--listen", "127.0.0.1", "--port", "0", "--slot-size", slot, NULL};

		g.ctl.pid = spawn(argv, g.ctl.log, true);
	}
	if (g.ctl.pid < 0 || !wait_output(&g.ctl, "API on", line, sizeof(line)) ||
	    (p = strstr(line, " port ")) == NULL || atoi(p + 6) <= 0 || atoi(p + 6) > 65535) {
		fprintf(stderr, PROG ": slimbridge-control did not start (%s)\n", pr->control);
		print_log(&g.ctl);
		return false;
	}
	*port = (uint16_t)atoi(p + 6);
	hdr = map_ro(SB_SHM_POLICY_SUFFIX, sizeof(*hdr));
	status = map_ro(SB_SHM_STATUS_SUFFIX, sizeof(*status));
	return hdr != NULL && status != NULL;
}

/* Applies the whole base policy and waits for its acknowledgement. */
static bool apply_base(struct bench *b)
{
	Slimbridge__Control__V1__ApplyRequest rq = SLIMBRIDGE__CONTROL__V1__APPLY_REQUEST__INIT;
	Slimbridge__Control__V1__StatusRequest sq = SLIMBRIDGE__CONTROL__V1__STATUS_REQUEST__INIT;
	struct rpc_call r = {.desc = &slimbridge__control__v1__apply_response__descriptor};
	uint64_t t0, t1, t2, e;
	size_t len, base_len;

	rq.policy = &b->w.pol;
	len = pack(&rq.base, &b->buf, &b->cap);
	base_len = len;
	t0 = now_ns();
	if (!rpc_unary(b->c, "Apply", b->buf, len, &r)) {
		rpc_reset(&r);
		return false;
	}
	t1 = now_ns();
	rpc_reset(&r);
	if (!quiesce(&e)) {
		return false;
	}
	t2 = now_ns();
	r = (struct rpc_call){.desc = &slimbridge__control__v1__status_response__descriptor};
	len = pack(&sq.base, &b->buf, &b->cap);
	if (!rpc_unary(b->c, "Status", b->buf, len, &r)) {
		rpc_reset(&r);
		return false;
	}
	b->snapshot_bytes = ((const Slimbridge__Control__V1__StatusResponse *)r.resp)->snapshotbytes;
	rpc_reset(&r);
	printf("base policy: Apply of %s objects (%.1f MiB request) took %.3f s, acknowledged "
	       "(epoch %llu) %.3f s after the call; snapshot %.1f MiB\n",
	       num(b->w.pol.n_tenants + b->w.pol.n_apps + b->w.pol.n_projects + b->w.pol.n_teams +
		   b->w.pol.n_agents + b->w.pol.n_trustrelationships),
	       (double)base_len / 1048576.0,
	       (t1 - t0) / 1e9, (unsigned long long)e, (t2 - t0) / 1e9,
	       (double)b->snapshot_bytes / 1048576.0);
	return true;
}

int main(int argc, char **argv)
{
	struct bench b = {.pr = {.agents = 10000, .singles = 200, .batches = 10,
				 .batch_size = 10000, .seconds = 5, .workers = 1, .poll_us = 20}};
	struct params *pr = &b.pr;
	char lcores[1024], model[128];
	struct sigaction sa;
	uint16_t port;
	bool ok = false;
	int rc;

	rc = parse_args(argc, argv, pr);
	if (rc != 0) {
		return rc;
	}
	if (pr->batch_size > pr->agents) {
		pr->batch_size = pr->agents;
	}
	if (pr->slot_mib == 0) {
		/* This policy compiles to about 300 bytes per agent (29 MiB at 100 k): 1 KiB reserved. */
		pr->slot_mib = 64 + pr->agents / 1024;
	}
	if (pr->control == NULL) {
		pr->control = sibling("control", "slimbridge-control");
	}
	if (pr->dataplane == NULL) {
		pr->dataplane = sibling("dataplane", "slimbridge-dataplane");
	}
	poll_ns = (uint64_t)pr->poll_us * 1000;
	prctl(PR_SET_TIMERSLACK, 1000UL);	/* 1 us: nanosleep(20 us) sleeps about that */

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(g.shm_name, sizeof(g.shm_name), "sbpush-%d", (int)getpid());
	snprintf(g.prefix, sizeof(g.prefix), "sbpush-%d", (int)getpid());
	snprintf(g.tmp, sizeof(g.tmp), "/tmp/sbpush-XXXXXX");
	if (mkdtemp(g.tmp) == NULL) {
		fprintf(stderr, PROG ": mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	world_build(&b.w, pr->agents);
	cpu_model(model, sizeof(model));
	if (!start_processes(pr, lcores, sizeof(lcores), &port)) {
		goto out;
	}
	printf("bench-push: policy push propagation, API call -> every data-plane worker on the "
	       "new epoch\n");
	printf("machine: %ld CPUs (%s)\n", sysconf(_SC_NPROCESSORS_ONLN), model);
	printf("data plane: %s, %u worker%s, --lcores %s, --no-huge, net_ring0 (no traffic)\n",
	       pr->dataplane, pr->workers, pr->workers == 1 ? "" : "s", lcores);
	printf("control: %s, --slot-size %u MiB, API 127.0.0.1:%u, shm %s\n", pr->control,
	       pr->slot_mib, port, g.shm_name);
	if (pin_housekeeping) {
		char cpus[256];
		int k = 0;

		cpus[0] = '\0';
		for (int cpu = 0; cpu < CPU_SETSIZE && k < (int)sizeof(cpus) - 8; cpu++) {
			if (CPU_ISSET(cpu, &housekeeping_cpus)) {
				k += snprintf(cpus + k, sizeof(cpus) - (size_t)k, "%s%d", k > 0 ? "," : "",
					      cpu);
			}
		}
		printf("control and bench pinned to CPU %s (no worker there)\n", cpus);
	} else {
		printf("control and bench not pinned: every CPU has a worker\n");
	}
	printf("store: %s (%s)\n", g.db, fs_name(g.db));
	printf("policy: %s local agents (+%s partner agents), %s local tenants (+%s partners), "
	       "%s apps, %s projects, %s teams, %s trusts\n", num(pr->agents),
	       num(2 * b.w.nt), num(b.w.nt), num(b.w.nt), num(b.w.na), num(b.w.pol.n_projects),
	       num(b.w.pol.n_teams), num(b.w.pol.n_trustrelationships));
	printf("runs: %s singles, %s batches of %s, %.1f s sustained; acked_epoch polled every "
	       "%u us\n\n", num(pr->singles), num(pr->batches), num(pr->batch_size), pr->seconds,
	       pr->poll_us);
	fflush(stdout);

	b.c = rpc_connect(port);
	if (b.c == NULL) {
		goto out;
	}
	{
		Slimbridge__Control__V1__WatchPolicyRequest wq =
			SLIMBRIDGE__CONTROL__V1__WATCH_POLICY_REQUEST__INIT;
		size_t len = pack(&wq.base, &b.buf, &b.cap);

		b.watch = (struct rpc_call){.desc = &slimbridge__control__v1__policy_version__descriptor,
					    .watch = true};
		if (!rpc_start(b.c, "WatchPolicy", b.buf, len, &b.watch)) {
			goto out;
		}
	}
	if (!apply_base(&b)) {
		goto out;
	}
	fflush(stdout);
	ok = true;
	if (ok && pr->singles > 0) {
		ok = run_singles(&b);
		fflush(stdout);
	}
	if (ok && pr->batches > 0) {
		ok = run_batches(&b);
		fflush(stdout);
	}
	if (ok && pr->seconds > 0) {
		ok = run_sustained(&b);
		fflush(stdout);
	}
	if (b.watch.done && b.watch.status != GRPC_OK) {
		printf("note: WatchPolicy ended early: gRPC status %d: %s\n", b.watch.status,
		       b.watch.message);
	}
out:
	if (interrupted) {
		fprintf(stderr, PROG ": interrupted\n");
		ok = false;
	}
	if (!ok && !interrupted && g.ctl.pid > 0 && g.dp.pid > 0) {
		print_log(&g.ctl);
		print_log(&g.dp);
	}
	rpc_close(b.c);
	free(b.watch.ents);
	free(b.buf);
	cleanup(pr->keep_logs);
	if (ok) {
		printf("\n(bench-push prints; it asserts nothing)\n");
	}
	return ok ? 0 : 1;
}
