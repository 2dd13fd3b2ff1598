/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_h2_servers.c - part 2 of bench-h2: h2load against three HTTP/2
 * servers on this machine, in one run, with the CPU time each server spends
 * per request. Prints; asserts nothing.
 *
 *   h2-echo-server  ours (build/tests/h2-echo-server, kernel sockets)
 *   nghttpd         nghttpd --no-tls, one worker thread (its default)
 *   h2o             h2o 2.x in its default "worker" mode with a generated
 *                   configuration: 127.0.0.1:PORT, cleartext HTTP/2 with
 *                   prior knowledge, num-threads 1, a docroot, no access log
 *                   (none is configured), user nobody when run as root
 *
 * Workloads:
 *   1. GET /healthz: ours answers 200 "ok\n" (text/plain); nghttpd and h2o
 *      serve the file "healthz" holding "ok\n" from a docroot;
 *   2. gRPC unary grpc.testing.TestService/EmptyCall, ours only;
 *   3. gRPC server streaming StreamingOutputCall, 8 responses of 512 bytes
 *      per call, ours only; also shown per response message.
 * The gRPC rows first send one probe call with nghttp (when installed) and
 * need grpc-status 0 in its trailers: h2load sees HTTP status codes, not
 * gRPC ones.
 *
 * Every row starts its server afresh, pinned to server_cpu (stdout and
 * stderr to a log file in the temporary directory), waits until its port
 * accepts connections, then runs h2load -t 1 pinned to client_cpu. The
 * server's CPU time is utime + stime + cutime + cstime from /proc/PID/stat
 * summed over its process tree (the server and every descendant), read just
 * before h2load is started and just after it has exited; its resolution is
 * one clock tick (10 ms at 100 ticks/s). h2o 2.2 in worker mode is one
 * process (a main thread that serves and a helper thread) with one child,
 * the idle crash handler (perl annotate-backtrace-symbols); in master mode it
 * would be a master with a worker child. The tree sum covers both.
 *
 * CPU share is the server's CPU time over the wall time of the h2load run
 * (100 % = one CPU busy all the time).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench_h2_servers.h"

#define DEF_ECHO_SERVER "build/tests/h2-echo-server"
#define DEF_REQUESTS 200000u
#define DEF_CLIENTS 64u
#define DEF_STREAMS 32u

#define TMP_TEMPLATE "/tmp/bench-h2-XXXXXX"
#define READY_MS 5000 /* a server must accept connections within this */
#define STOP_MS 3000  /* SIGTERM, then SIGKILL after this */
#define POLL_MS 10
#define PROBE_S 10	/* nghttp probe time limit */
#define OUT_CAP 65536	/* output kept of a command (its tail) */
#define TAIL_BYTES 1500 /* shown when something failed */

#define STREAM_MSGS 8	/* workload 3: responses per call ... */
#define STREAM_SIZE 512 /* ... of this many payload bytes */
#define GRPC_PFX 5	/* gRPC message prefix: flag, 4-byte length */

enum tool { T_OURS, T_NGHTTPD, T_H2O, T_H2LOAD, T_NGHTTP, T_COUNT };

/* The servers are the first three tools. */
#define SRV_COUNT 3

static const char *const tool_names[T_COUNT] = {"h2-echo-server", "nghttpd", "h2o", "h2load",
						"nghttp"};

struct workload {
	const char *title;
	const char *path; /* request path */
	const char *body; /* file in the temporary directory sent with h2load -d; NULL: GET */
	unsigned msgs;	  /* gRPC responses per call; 0: plain HTTP */
	int servers;	  /* rows: the first |servers| servers */
	bool raw;	  /* the body is sent as it is: no gRPC headers, no probe */
};

static const struct workload workloads[] = {
	{"workload 1: GET /healthz, 3-byte body (nghttpd and h2o serve a file healthz = \"ok\\n\")",
	 "/healthz", NULL, 0, SRV_COUNT},
	{"workload 2: gRPC unary grpc.testing.TestService/EmptyCall (empty request and response)",
	 "/grpc.testing.TestService/EmptyCall", "empty-call.bin", 1, 1},
	{"workload 3: gRPC server streaming StreamingOutputCall, 8 responses x 512 bytes per call",
	 "/grpc.testing.TestService/StreamingOutputCall", "streaming-output.bin", STREAM_MSGS, 1},
};

#define N_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

enum row_state { ROW_SKIPPED, ROW_FAILED, ROW_OK };

/* What a failed row shows under it. */
enum row_detail { DETAIL_NONE, DETAIL_OUTPUT, DETAIL_LOG };

struct row {
	enum row_state state;
	char why[256]; /* skipped or failed: the reason */
	char note[96]; /* printed under the row when not empty */
	enum row_detail detail;
	const char *cmd; /* whose output DETAIL_OUTPUT shows */
	bool measured;	 /* the figures below are valid */
	double rps;	 /* h2load's "finished in ..., X req/s" */
	unsigned long long total, done, ok, failed, s2xx;
	bool traffic; /* hdr and data below were parsed */
	unsigned long long hdr, data;
	double cpu_s;  /* server CPU time during the run */
	double wall_s; /* wall time of the run */
};

struct out {
	char d[OUT_CAP + 1]; /* NUL-terminated; the tail when the output was longer */
	size_t len;
	bool cut;
};

struct bench {
	struct bench_h2_servers_opts o; /* defaults filled in */
	char dir[sizeof(TMP_TEMPLATE)]; /* temporary directory, "" until made */
	char tool[T_COUNT][PATH_MAX];	/* resolved tools, "" when missing */
	long tck;			/* clock ticks per second */
	pid_t server;			/* the running server, 0 when none */
	char log[PATH_MAX];		/* its stdout and stderr */
	unsigned seq;			/* numbers the log files */
	struct out out;
	struct row rows[N_WORKLOADS][SRV_COUNT];
};

struct proc_ent {
	pid_t pid;
	pid_t ppid;
	char state;
	unsigned long long ticks; /* utime + stime + cutime + cstime */
	unsigned long long start; /* starttime, to tell a reused pid */
	bool in;		  /* in the tree being looked at */
};

/* now_s returns CLOCK_MONOTONIC in seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* sleep_ms sleeps |ms| milliseconds. */
static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/*
 * tool_find resolves |name| (a path when it holds a '/', else looked up in
 * PATH, then in /usr/sbin and /sbin, where nghttpd lives but a non-root
 * PATH may not look) into |out|. Returns true when it is executable.
 */
static bool tool_find(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *save = NULL, *d;

	out[0] = '\0';
	if (strchr(name, '/') != NULL) {
		if (access(name, X_OK) != 0 || (size_t)snprintf(out, len, "%s", name) >= len) {
			out[0] = '\0';
			return false;
		}
		return true;
	}
	if ((size_t)snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin",
			     path != NULL ? path : "/usr/local/bin:/usr/bin:/bin") >=
	    sizeof(dirs)) {
		snprintf(dirs, sizeof(dirs), "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	}
	for (d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, len, "%s/%s", d, name) < len && access(out, X_OK) == 0) {
			return true;
		}
	}
	out[0] = '\0';
	return false;
}

/*
 * cpus_pick checks that this process may run on the CPUs asked for; one it
 * may not is replaced by an allowed one (the client's by one other than the
 * server's when there is one), and the output says so.
 */
static int cpus_pick(struct bench *b)
{
	cpu_set_t set;
	int first = -1, other = -1;

	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		return -errno;
	}
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set)) {
			first = c;
			break;
		}
	}
	if (first < 0) {
		return -EINVAL;
	}
	if (b->o.server_cpu < 0 || b->o.server_cpu >= CPU_SETSIZE ||
	    !CPU_ISSET(b->o.server_cpu, &set)) {
		printf("  note: CPU %d is not available; servers go on CPU %d\n", b->o.server_cpu,
		       first);
		b->o.server_cpu = first;
	}
	if (b->o.client_cpu < 0 || b->o.client_cpu >= CPU_SETSIZE ||
	    !CPU_ISSET(b->o.client_cpu, &set)) {
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (CPU_ISSET(c, &set) && c != b->o.server_cpu) {
				other = c;
				break;
			}
		}
		if (other < 0) {
			other = b->o.server_cpu;
		}
		printf("  note: CPU %d is not available; h2load goes on CPU %d\n", b->o.client_cpu,
		       other);
		b->o.client_cpu = other;
	}
	return 0;
}

/* file_write writes |len| bytes of |data| into the file |name| of the temporary directory. */
static int file_write(const struct bench *b, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	const char *p = data;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->dir, name) >= sizeof(path)) {
		return -ENAMETOOLONG;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		return -errno;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
out:
	if (close(fd) != 0 && rc == 0) {
		rc = -errno;
	}
	return rc;
}

/* varint_put writes |v| as a protobuf varint at |p|; returns the bytes written. */
static size_t varint_put(unsigned char *p, unsigned long v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/*
 * streaming_request builds the gRPC message (5-byte prefix, then the
 * protobuf) of a StreamingOutputCallRequest with |count| response_parameters
 * (field 2, length-delimited) of ResponseParameters{size (field 1, varint) =
 * |size|} into |buf|. Returns its length, 0 when |cap| is too small.
 */
static size_t streaming_request(unsigned char *buf, size_t cap, unsigned count, unsigned size)
{
	unsigned char param[16];
	size_t plen, len = 5;

	param[0] = 1 << 3 | 0; /* field 1, varint */
	plen = 1 + varint_put(param + 1, size);
	for (unsigned i = 0; i < count; i++) {
		if (len + 2 + 10 + plen > cap) {
			return 0;
		}
		buf[len++] = 2 << 3 | 2; /* field 2, length-delimited */
		len += varint_put(buf + len, plen);
		memcpy(buf + len, param, plen);
		len += plen;
	}
	buf[0] = 0; /* not compressed */
	buf[1] = (unsigned char)((len - 5) >> 24);
	buf[2] = (unsigned char)((len - 5) >> 16);
	buf[3] = (unsigned char)((len - 5) >> 8);
	buf[4] = (unsigned char)(len - 5);
	return len;
}

/*
 * dir_make creates the temporary directory (readable by all: h2o reads the
 * docroot as nobody), the docroot with its file healthz and the request
 * bodies of the gRPC workloads.
 */
static int dir_make(struct bench *b)
{
	static const unsigned char empty_call[5]; /* prefix of an empty message */
	unsigned char req[256];
	char path[PATH_MAX];
	size_t len;
	int rc;

	strcpy(b->dir, TMP_TEMPLATE);
	if (mkdtemp(b->dir) == NULL) {
		rc = -errno;
		b->dir[0] = '\0';
		return rc;
	}
	snprintf(path, sizeof(path), "%s/docroot", b->dir);
	if (chmod(b->dir, 0755) != 0 || mkdir(path, 0755) != 0) {
		return -errno;
	}
	rc = file_write(b, "docroot/healthz", "ok\n", 3);
	if (rc == 0) {
		rc = file_write(b, workloads[1].body, empty_call, sizeof(empty_call));
	}
	if (rc == 0) {
		len = streaming_request(req, sizeof(req), STREAM_MSGS, STREAM_SIZE);
		rc = len > 0 ? file_write(b, workloads[2].body, req, len) : -EOVERFLOW;
	}
	return rc;
}

/* rm_one is dir_remove's nftw callback. */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		fprintf(stderr, "bench-h2: cannot remove %s: %s\n", path, strerror(errno));
	}
	return 0;
}

/* dir_remove removes the temporary directory and everything in it. */
static void dir_remove(struct bench *b)
{
	if (b->dir[0] == '\0') {
		return;
	}
	nftw(b->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	b->dir[0] = '\0';
}

/* proc_stat reads /proc/|pid|/stat into |e|. Returns 0 or a negative errno. */
static int proc_stat(pid_t pid, struct proc_ent *e)
{
	char path[64], buf[1024];
	long long cut, cst;
	unsigned long long ut, st;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return n < 0 ? -errno : -ESRCH;
	}
	buf[n] = '\0';
	/* The command name, in parentheses, may hold anything: parse after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 1,
		   " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %*d %*d"
		   " %llu",
		   &e->state, &e->ppid, &ut, &st, &cut, &cst, &e->start) != 7) {
		return -EBADMSG;
	}
	e->pid = pid;
	e->ticks = ut + st + (unsigned long long)(cut > 0 ? cut : 0) +
		   (unsigned long long)(cst > 0 ? cst : 0);
	e->in = false;
	return 0;
}

/*
 * proc_tree finds |root| and all its descendants in /proc. On success
 * *|out| (to free) holds them, |root| first, and the count is returned;
 * -ESRCH when |root| is gone, or another negative errno.
 */
static int proc_tree(pid_t root, struct proc_ent **out)
{
	struct proc_ent *v = NULL, *nv;
	size_t n = 0, cap = 0, k;
	struct dirent *de;
	bool more;
	DIR *d;
	int rc;

	*out = NULL;
	d = opendir("/proc");
	if (d == NULL) {
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0) {
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		if (proc_stat((pid_t)pid, &v[n]) == 0) {
			v[n].in = pid == root;
			n++;
		}
	}
	/* Mark the children of marked processes until nothing changes. */
	do {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (v[i].in) {
				continue;
			}
			for (size_t j = 0; j < n; j++) {
				if (v[j].in && v[j].pid == v[i].ppid) {
					v[i].in = more = true;
					break;
				}
			}
		}
	} while (more);
	/* Keep the marked ones, the root first. */
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].in && v[i].pid == root) {
			struct proc_ent t = v[k];

			v[k++] = v[i];
			v[i] = t;
			break;
		}
	}
	if (k == 0) {
		rc = -ESRCH;
		goto fail;
	}
	for (size_t i = 1; i < n; i++) {
		if (v[i].in) {
			v[k++] = v[i];
		}
	}
	closedir(d);
	*out = v;
	return (int)k;
fail:
	closedir(d);
	free(v);
	return rc;
}

/* tree_ticks sums the CPU ticks of |root|'s process tree into *|ticks|. Returns 0 or -errno. */
static int tree_ticks(pid_t root, unsigned long long *ticks)
{
	struct proc_ent *v;
	int n = proc_tree(root, &v);

	if (n < 0) {
		return n;
	}
	*ticks = 0;
	for (int i = 0; i < n; i++) {
		*ticks += v[i].ticks;
	}
	free(v);
	return 0;
}

/* proc_alive tells whether |e|'s process still runs (same start time, not a zombie). */
static bool proc_alive(const struct proc_ent *e)
{
	struct proc_ent now = {0};

	return proc_stat(e->pid, &now) == 0 && now.start == e->start && now.state != 'Z';
}

/*
 * reap waits up to |ms| milliseconds (negative: for ever) for the child |pid|
 * to exit and reaps it; its wait status goes to *|status| when not NULL.
 * Returns true when it was reaped (or is not our child any more).
 */
static bool reap(pid_t pid, int ms, int *status)
{
	double end = now_s() + ms / 1e3;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, ms < 0 ? 0 : WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD)) {
			if (status != NULL) {
				*status = r == pid ? st : -1;
			}
			return true;
		}
		if (r < 0 && errno != EINTR) {
			return false;
		}
		if (ms >= 0) {
			if (now_s() >= end) {
				return false;
			}
			sleep_ms(POLL_MS);
		}
	}
}

/*
 * child_exec is spawn's child: pinned to |cpu|, stdin from /dev/null,
 * stdout and stderr to |out_fd|, then execvp(|argv|). On failure it writes
 * errno into |err_fd| and exits.
 */
static void __attribute__((noreturn))
child_exec(char *const argv[], int cpu, int out_fd, int err_fd, pid_t parent)
{
	cpu_set_t set;
	int nul, err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
		_exit(127);
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	nul = open("/dev/null", O_RDONLY);
	if (sched_setaffinity(0, sizeof(set), &set) == 0 && nul >= 0 &&
	    dup2(nul, STDIN_FILENO) >= 0 && dup2(out_fd, STDOUT_FILENO) >= 0 &&
	    dup2(out_fd, STDERR_FILENO) >= 0) {
		execvp(argv[0], argv);
	}
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0) {
		/* Nothing more to do: the parent sees EOF, then our exit status. */
	}
	_exit(127);
}

/*
 * spawn forks and runs |argv| (execvp) pinned to |cpu|, stdin from
 * /dev/null, stdout and stderr to |out_fd|, and killed should this process
 * die first (PR_SET_PDEATHSIG; the kernel drops it when the program changes
 * its user, as h2o does, but interrupting from the terminal still stops it:
 * it stays in our process group). Returns 0 with *|pid| set, or the
 * negative errno of the failed exec (or affinity) in the child.
 */
static int spawn(char *const argv[], int cpu, int out_fd, pid_t *pid)
{
	pid_t parent = getpid(), p;
	int ep[2], err = 0;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) != 0) {
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p < 0) {
		err = errno;
		close(ep[0]);
		close(ep[1]);
		return -err;
	}
	if (p == 0) {
		close(ep[0]);
		child_exec(argv, cpu, out_fd, ep[1], parent);
	}
	close(ep[1]);
	do {
		n = read(ep[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(err)) {
		reap(p, -1, NULL);
		return -(err ? err : ENOEXEC);
	}
	*pid = p;
	return 0;
}

/* port_pick finds a free TCP port on 127.0.0.1 (bound to port 0, then closed). */
static int port_pick(unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd, rc = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		rc = -errno;
		goto out;
	}
	*port = ntohs(a.sin_port);
out:
	close(fd);
	return rc;
}

/* port_accepts tells whether a TCP connection to 127.0.0.1:|port| succeeds. */
static bool port_accepts(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0) {
		return false;
	}
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* tail_print prints the last TAIL_BYTES of |s| (|len| bytes), whole lines, indented. */
static void tail_print(const char *s, size_t len)
{
	size_t i = len > TAIL_BYTES ? len - TAIL_BYTES : 0;

	if (i > 0) {
		while (i < len && s[i - 1] != '\n') {
			i++;
		}
	}
	while (i < len) {
		size_t e = i;

		while (e < len && s[e] != '\n') {
			e++;
		}
		printf("      | ");
		for (size_t k = i; k < e; k++) {
			putchar(s[k] == '\t' || (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '.');
		}
		putchar('\n');
		i = e + 1;
	}
}

/* log_tail prints the tail of the log file |path|, or says that it is empty. */
static void log_tail(const char *path)
{
	char buf[TAIL_BYTES];
	size_t n = 0;
	FILE *f = fopen(path, "re");

	if (f != NULL) {
		if (fseek(f, -(long)sizeof(buf), SEEK_END) != 0) {
			rewind(f);
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	printf("    server log (%s):%s\n", path, n == 0 ? " empty" : "");
	tail_print(buf, n);
}

/*
 * server_stop stops the running server, if any: SIGTERM, SIGKILL after
 * STOP_MS, reaped; then any of its descendants still running (such as h2o's
 * crash handler) the same way, by pid.
 */
static void server_stop(struct bench *b)
{
	struct proc_ent *v = NULL;
	int n;

	if (b->server <= 0) {
		return;
	}
	n = proc_tree(b->server, &v);
	kill(b->server, SIGTERM);
	if (!reap(b->server, STOP_MS, NULL)) {
		kill(b->server, SIGKILL);
		reap(b->server, -1, NULL);
	}
	b->server = 0;
	if (n > 1) {
		double end = now_s() + STOP_MS / 1e3;
		bool left;

		do {
			left = false;
			for (int i = 1; i < n; i++) {
				left |= proc_alive(&v[i]);
			}
			if (left) {
				sleep_ms(POLL_MS);
			}
		} while (left && now_s() < end);
		for (int i = 1; i < n; i++) {
			if (proc_alive(&v[i])) {
				kill(v[i].pid, SIGKILL);
			}
		}
	}
	free(v);
}

/* h2o_config writes the h2o configuration for |port| into the file |name|. */
static int h2o_config(const struct bench *b, const char *name, unsigned port)
{
	char conf[1024];
	int len;

	/* No access-log directive: h2o then logs no requests. */
	len = snprintf(conf, sizeof(conf),
		       "listen:\n"
		       "  host: 127.0.0.1\n"
		       "  port: %u\n"
		       "num-threads: 1\n"
		       "%s"
		       "hosts:\n"
		       "  default:\n"
		       "    paths:\n"
		       "      /:\n"
		       "        file.dir: %s/docroot\n",
		       port, geteuid() == 0 ? "user: nobody\n" : "", b->dir);
	if (len < 0 || (size_t)len >= sizeof(conf)) {
		return -ENAMETOOLONG;
	}
	return file_write(b, name, conf, (size_t)len);
}

/*
 * server_gone tells whether the server has exited, reaping it then (and
 * b->server = 0) with |why| saying how and |when|.
 */
static bool server_gone(struct bench *b, const char *when, char *why, size_t wlen)
{
	int st;

	if (!reap(b->server, 0, &st)) {
		return false;
	}
	b->server = 0;
	if (WIFEXITED(st)) {
		snprintf(why, wlen, "the server exited with status %d %s", WEXITSTATUS(st), when);
	} else {
		snprintf(why, wlen, "the server died %s (signal %d)", when,
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	return true;
}

/*
 * server_start starts server |t| on a free port, pinned to the server CPU,
 * and waits until the port accepts connections. Returns 0 with *|port| set
 * and b->server running, or a negative errno with |why| saying what failed
 * (the server is stopped then).
 */
static int server_start(struct bench *b, enum tool t, unsigned *port, char *why, size_t wlen)
{
	char conf[PATH_MAX], docroot[PATH_MAX], portstr[16], name[32];
	char *argv[10];
	double end;
	int fd, rc;

	rc = port_pick(port);
	if (rc < 0) {
		snprintf(why, wlen, "no free port: %s", strerror(-rc));
		return rc;
	}
	snprintf(portstr, sizeof(portstr), "%u", *port);
	snprintf(docroot, sizeof(docroot), "%s/docroot", b->dir);
	argv[0] = b->tool[t];
	switch (t) {
	case T_OURS:
		argv[1] = "--port";
		argv[2] = portstr;
		argv[3] = "--addr";
		argv[4] = "127.0.0.1";
		argv[5] = NULL;
		break;
	case T_NGHTTPD:
		argv[1] = "--no-tls";
		argv[2] = "-a";
		argv[3] = "127.0.0.1";
		argv[4] = "-d";
		argv[5] = docroot;
		argv[6] = portstr;
		argv[7] = NULL;
		break;
	case T_H2O:
		snprintf(name, sizeof(name), "h2o-%u.conf", b->seq);
		rc = h2o_config(b, name, *port);
		if (rc < 0) {
			snprintf(why, wlen, "cannot write the h2o configuration: %s",
				 strerror(-rc));
			return rc;
		}
		snprintf(conf, sizeof(conf), "%s/%s", b->dir, name);
		argv[1] = "-c";
		argv[2] = conf;
		argv[3] = NULL;
		break;
	default:
		return -EINVAL;
	}
	snprintf(b->log, sizeof(b->log), "%s/%s-%u.log", b->dir, tool_names[t], b->seq++);
	fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, wlen, "cannot create its log file: %s", strerror(-rc));
		return rc;
	}
	rc = spawn(argv, b->o.server_cpu, fd, &b->server);
	close(fd);
	if (rc < 0) {
		b->server = 0;
		snprintf(why, wlen, "cannot start %s: %s", argv[0], strerror(-rc));
		return rc;
	}
	end = now_s() + READY_MS / 1e3;
	while (!port_accepts(*port)) {
		if (server_gone(b, "at start", why, wlen)) {
			return -ECHILD;
		}
		if (now_s() >= end) {
			snprintf(why, wlen, "port %u did not accept connections within %d ms",
				 *port, READY_MS);
			server_stop(b);
			return -ETIMEDOUT;
		}
		sleep_ms(POLL_MS);
	}
	return 0;
}

/*
 * capture runs |argv| pinned to |cpu| with its stdout and stderr into
 * b->out (the last OUT_CAP bytes), for at most |limit_s| seconds (then it is
 * killed). Its wait status goes to *|status| and the wall time from fork to
 * exit to *|wall|. Returns 0, -ETIMEDOUT or another negative errno.
 */
static int capture(struct bench *b, char *const argv[], int cpu, double limit_s, int *status,
		   double *wall)
{
	struct out *o = &b->out;
	double t0, end;
	int pfd[2], rc;
	pid_t pid;

	o->len = 0;
	o->cut = false;
	o->d[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		return -errno;
	}
	t0 = now_s();
	rc = spawn(argv, cpu, pfd[1], &pid);
	close(pfd[1]);
	if (rc < 0) {
		close(pfd[0]);
		return rc;
	}
	end = t0 + limit_s;
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		double left = end - now_s();
		ssize_t n;

		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)(left * 1e3) + 1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			break;
		}
		if (p.revents == 0) {
			continue;
		}
		if (o->len == OUT_CAP) {
			/* Keep the tail: drop the older half. */
			memmove(o->d, o->d + OUT_CAP / 2, OUT_CAP / 2);
			o->len = OUT_CAP / 2;
			o->cut = true;
		}
		n = read(pfd[0], o->d + o->len, OUT_CAP - o->len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		o->len += (size_t)n;
	}
	close(pfd[0]);
	o->d[o->len] = '\0';
	if (rc < 0) {
		kill(pid, SIGKILL);
	}
	reap(pid, -1, status);
	*wall = now_s() - t0;
	return rc;
}

/* line_find returns the start of the line of b->out that begins with |prefix|, or NULL. */
static const char *line_find(const struct out *o, const char *prefix)
{
	size_t plen = strlen(prefix);

	for (const char *p = o->d; *p != '\0'; p++) {
		if (strncmp(p, prefix, plen) == 0) {
			return p;
		}
		p = strchr(p, '\n');
		if (p == NULL) {
			break;
		}
	}
	return NULL;
}

/*
 * h2load_parse reads h2load's summary in b->out into |r|: req/s, request
 * counts, 2xx count and bytes. Returns 0, or -EBADMSG when the "finished" or
 * "requests:" line is missing or not understood.
 */
static int h2load_parse(const struct out *o, struct row *r)
{
	unsigned long long started, errored, timeout, s3, s4, s5;
	const char *l;

	l = line_find(o, "finished in ");
	if (l == NULL || (l = strstr(l, ", ")) == NULL || sscanf(l, ", %lf req/s", &r->rps) != 1) {
		return -EBADMSG;
	}
	l = line_find(o, "requests: ");
	if (l == NULL ||
	    sscanf(l,
		   "requests: %llu total, %llu started, %llu done, %llu succeeded, %llu failed,"
		   " %llu errored, %llu timeout",
		   &r->total, &started, &r->done, &r->ok, &r->failed, &errored, &timeout) != 7) {
		return -EBADMSG;
	}
	l = line_find(o, "status codes: ");
	if (l == NULL || sscanf(l, "status codes: %llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx", &r->s2xx,
				&s3, &s4, &s5) != 4) {
		r->s2xx = r->ok; /* older h2load: take its word */
	}
	l = line_find(o, "traffic: ");
	r->traffic = l != NULL && sscanf(l,
					 "traffic: %*s (%llu) total, %*s (%llu) headers"
					 " (space savings %*[^)]), %*s (%llu) data",
					 &started, &r->hdr, &r->data) == 3;
	return 0;
}

/*
 * grpc_probe sends one call of workload |w| to 127.0.0.1:|port| with nghttp
 * and checks that its trailers say grpc-status 0. Returns 0 (also when
 * nghttp is not installed: |note| says so), or a negative errno with |why|.
 */
static int grpc_probe(struct bench *b, const struct workload *w, unsigned port, char *note,
		      size_t nlen, char *why, size_t wlen)
{
	static const char key[] = "grpc-status: ";
	char url[128], body[PATH_MAX];
	char *argv[] = {b->tool[T_NGHTTP], "-v", "-d", body, "-H", NULL, "-H", NULL, url, NULL};
	const char *p;
	double wall;
	int rc, st;

	if (b->tool[T_NGHTTP][0] == '\0') {
		snprintf(note, nlen, "grpc-status not checked (nghttp not found)");
		return 0;
	}
	argv[5] = "content-type: application/grpc";
	argv[7] = "te: trailers";
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, w->path);
	snprintf(body, sizeof(body), "%s/%s", b->dir, w->body);
	rc = capture(b, argv, b->o.client_cpu, PROBE_S, &st, &wall);
	if (rc < 0) {
		snprintf(why, wlen, "nghttp probe: %s", strerror(-rc));
		return rc;
	}
	p = memmem(b->out.d, b->out.len, key, sizeof(key) - 1);
	if (p == NULL) {
		snprintf(why, wlen,
			 "nghttp probe: no grpc-status in the response (nghttp status %d)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -EPROTO;
	}
	if (strncmp(p + sizeof(key) - 1, "0\n", 2) != 0) {
		snprintf(why, wlen, "nghttp probe: grpc-status %.8s", p + sizeof(key) - 1);
		return -EPROTO;
	}
	snprintf(note, nlen, "a probe call (nghttp) got grpc-status 0");
	return 0;
}

/*
 * row_run measures server |t| on workload |w| into |r|.
 * Failures land in the row; it returns nothing.
 */
static void row_run(struct bench *b, enum tool t, const struct workload *w, struct row *r)
{
	char n[16], c[16], m[16], url[128], body[PATH_MAX];
	char *argv[20]; /* at most 17 used */
	unsigned long long t0 = 0, t1 = 0;
	unsigned port = 0;
	int a = 0, rc, st;

	memset(r, 0, sizeof(*r));
	r->state = ROW_SKIPPED;
	if (b->tool[T_H2LOAD][0] == '\0') {
		snprintf(r->why, sizeof(r->why), "h2load not found");
		return;
	}
	if (b->tool[t][0] == '\0') {
		snprintf(r->why, sizeof(r->why), "%s not found",
			 t == T_OURS ? b->o.echo_server : tool_names[t]);
		return;
	}
	r->state = ROW_FAILED;
	if (server_start(b, t, &port, r->why, sizeof(r->why)) < 0) {
		r->detail = DETAIL_LOG;
		return;
	}
	if (w->body != NULL && !w->raw &&
	    grpc_probe(b, w, port, r->note, sizeof(r->note), r->why, sizeof(r->why)) < 0) {
		r->detail = DETAIL_OUTPUT;
		r->cmd = "nghttp";
		goto stop;
	}
	r->cmd = "h2load";
	snprintf(n, sizeof(n), "%u", b->o.requests);
	snprintf(c, sizeof(c), "%u", b->o.clients);
	snprintf(m, sizeof(m), "%u", b->o.streams);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, w->path);
	argv[a++] = b->tool[T_H2LOAD];
	argv[a++] = "-n";
	argv[a++] = n;
	argv[a++] = "-c";
	argv[a++] = c;
	argv[a++] = "-m";
	argv[a++] = m;
	argv[a++] = "-t";
	argv[a++] = "1";
	if (w->body != NULL) {
		snprintf(body, sizeof(body), "%s/%s", b->dir, w->body);
		argv[a++] = "-d";
		argv[a++] = body;
		if (!w->raw) {
			argv[a++] = "-H";
			argv[a++] = "content-type: application/grpc";
			argv[a++] = "-H";
			argv[a++] = "te: trailers";
		}
	}
	argv[a++] = url;
	argv[a] = NULL;

	rc = tree_ticks(b->server, &t0);
	if (rc == 0) {
		rc = capture(b, argv, b->o.client_cpu, 60.0 + b->o.requests / 2000.0, &st,
			     &r->wall_s);
	}
	if (rc == 0) {
		rc = tree_ticks(b->server, &t1);
	}
	if (server_gone(b, "during the run", r->why, sizeof(r->why))) {
		r->detail = DETAIL_LOG;
		goto stop;
	}
	if (rc < 0) {
		snprintf(r->why, sizeof(r->why), "%s",
			 rc == -ETIMEDOUT ? "h2load ran out of time and was killed"
					  : strerror(-rc));
		r->detail = rc == -ETIMEDOUT ? DETAIL_OUTPUT : DETAIL_NONE;
		goto stop;
	}
	r->cpu_s = (double)(t1 - t0) / (double)b->tck;
	if (h2load_parse(&b->out, r) < 0) {
		snprintf(r->why, sizeof(r->why), "h2load output not understood (status %d)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		r->detail = DETAIL_OUTPUT;
		goto stop;
	}
	r->measured = r->done > 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(r->why, sizeof(r->why), "h2load exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		r->detail = DETAIL_OUTPUT;
	} else if (r->failed > 0 || r->done < r->total || r->ok < r->total || r->s2xx < r->done) {
		snprintf(r->why, sizeof(r->why), "%llu of %llu done, %llu failed, %llu not 2xx",
			 r->done, r->total, r->failed,
			 r->done - (r->s2xx < r->done ? r->s2xx : r->done));
	} else {
		r->state = ROW_OK;
		snprintf(r->why, sizeof(r->why), "%llu ok", r->ok);
	}
stop:
	server_stop(b);
}

/*
 * row_print prints the row |r| of server |t| and, under a failed one, the
 * tail of the server's log or of the command's output (b->out: call it right
 * after row_run).
 */
static void row_print(const struct bench *b, enum tool t, const struct workload *w,
		      const struct row *r)
{
	char cyc[24] = "-", hdr[24] = "-", data[24] = "-";
	double us;

	if (!r->measured) {
		printf("  %-14s %s: %s\n", tool_names[t],
		       r->state == ROW_SKIPPED ? "skipped" : "FAILED", r->why);
		goto note;
	}
	us = r->cpu_s * 1e6 / (double)r->done;
	if (b->o.tsc_ghz > 0) {
		snprintf(cyc, sizeof(cyc), "%.0f", us * 1e3 * b->o.tsc_ghz);
	}
	if (r->traffic) {
		snprintf(hdr, sizeof(hdr), "%.1f", (double)r->hdr / (double)r->done);
		snprintf(data, sizeof(data), "%.1f", (double)r->data / (double)r->done);
	}
	printf("  %-14s %9.0f %8.2f %10s %8.1f %% %9s %10s  %s%s\n", tool_names[t], r->rps, us, cyc,
	       r->wall_s > 0 ? 100.0 * r->cpu_s / r->wall_s : 0.0, hdr, data,
	       r->state == ROW_OK ? "" : "FAILED: ", r->why);
	if (w->msgs > 1) {
		if (b->o.tsc_ghz > 0) {
			snprintf(cyc, sizeof(cyc), "%.0f", us * 1e3 * b->o.tsc_ghz / w->msgs);
		}
		printf("  %-14s %9.0f %8.2f %10s  per response message (%u per call)\n", "",
		       r->rps * w->msgs, us / w->msgs, cyc, w->msgs);
	}
note:
	if (r->note[0] != '\0') {
		printf("  %-14s %s\n", "", r->note);
	}
	if (r->detail == DETAIL_LOG) {
		log_tail(b->log);
	} else if (r->detail == DETAIL_OUTPUT) {
		printf("    %s output%s:\n", r->cmd, b->out.cut ? " (tail)" : "");
		tail_print(b->out.d, b->out.len);
	}
}

/* summary_print prints workload 1's CPU per request of nghttpd and h2o relative to ours. */
static void summary_print(const struct bench *b)
{
	const struct row *ours = &b->rows[0][T_OURS];

	printf("\nsummary: server CPU per request on workload 1 relative to ours "
	       "(> 1: ours is cheaper)\n");
	for (int t = T_NGHTTPD; t < SRV_COUNT; t++) {
		const struct row *r = &b->rows[0][t];

		printf("  %-7s / %s  ", tool_names[t], tool_names[T_OURS]);
		if (ours->state != ROW_OK || r->state != ROW_OK) {
			printf("n/a (%s row %s)\n",
			       ours->state != ROW_OK ? tool_names[T_OURS] : tool_names[t],
			       (ours->state != ROW_OK ? ours->state : r->state) == ROW_SKIPPED
				       ? "skipped"
				       : "failed");
		} else if (ours->cpu_s <= 0) {
			printf("n/a (ours used less than one clock tick; raise the request "
			       "count)\n");
		} else {
			printf("%.2f\n",
			       (r->cpu_s / (double)r->done) / (ours->cpu_s / (double)ours->done));
		}
	}
}

/* bench_new allocates the state for |o| with the defaults filled in and the tools found. */
static struct bench *bench_new(const struct bench_h2_servers_opts *o)
{
	struct bench *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		return NULL;
	}
	b->o = *o;
	if (b->o.echo_server == NULL || b->o.echo_server[0] == '\0') {
		b->o.echo_server = DEF_ECHO_SERVER;
	}
	b->o.requests = b->o.requests ? b->o.requests : DEF_REQUESTS;
	b->o.clients = b->o.clients ? b->o.clients : DEF_CLIENTS;
	b->o.streams = b->o.streams ? b->o.streams : DEF_STREAMS;
	b->tck = sysconf(_SC_CLK_TCK);
	if (b->tck <= 0) {
		b->tck = 100;
	}
	tool_find(b->o.echo_server, b->tool[T_OURS], PATH_MAX);
	for (int t = T_NGHTTPD; t < T_COUNT; t++) {
		tool_find(tool_names[t], b->tool[t], PATH_MAX);
	}
	return b;
}

int bench_h2_servers_run(const struct bench_h2_servers_opts *o)
{
	struct bench *b;
	bool failed = false;
	int rc;

	if (o == NULL || o->tsc_ghz < 0) {
		return -EINVAL;
	}
	b = bench_new(o);
	if (b == NULL) {
		return -ENOMEM;
	}
	printf("bench-h2 servers: h2load -n %u -c %u -m %u -t 1, plain HTTP/2 on 127.0.0.1\n",
	       b->o.requests, b->o.clients, b->o.streams);
	rc = cpus_pick(b);
	if (rc < 0) {
		fprintf(stderr, "bench-h2: sched_getaffinity: %s\n", strerror(-rc));
		goto out;
	}
	printf("  servers on CPU %d, h2load on CPU %d%s; server CPU = utime+stime of its process\n"
	       "  tree (/proc/PID/stat, %ld ticks/s) over the h2load run; CPU share = that / wall "
	       "time\n",
	       b->o.server_cpu, b->o.client_cpu,
	       b->o.server_cpu == b->o.client_cpu ? " (shared)" : "", b->tck);
	rc = dir_make(b);
	if (rc < 0) {
		fprintf(stderr, "bench-h2: temporary directory %s: %s\n",
			b->dir[0] ? b->dir : TMP_TEMPLATE, strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < N_WORKLOADS; i++) {
		const struct workload *w = &workloads[i];

		printf("\n%s\n  %-14s %9s %8s %10s %10s %9s %10s  %s\n", w->title, "server",
		       "req/s", "us/req", "cycles/req", "CPU share", "hdr B/req", "data B/req",
		       "requests");
		for (int t = 0; t < w->servers; t++) {
			row_run(b, (enum tool)t, w, &b->rows[i][t]);
			row_print(b, (enum tool)t, w, &b->rows[i][t]);
			failed |= b->rows[i][t].state == ROW_FAILED;
		}
	}
	summary_print(b);
	rc = failed ? -EIO : 0;
out:
	server_stop(b);
	dir_remove(b);
	fflush(stdout);
	free(b);
	return rc;
}

/* framed writes |count| gRPC messages of |size| bytes (pattern) into |name|. */
static int framed_write(const struct bench *b, const char *name, unsigned count, uint32_t size)
{
	size_t one = GRPC_PFX + (size_t)size, len = one * count;
	unsigned char *buf = malloc(len);
	int rc;

	if (buf == NULL) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < count; i++) {
		unsigned char *m = buf + one * i;

		m[0] = 0;
		m[1] = (unsigned char)(size >> 24);
		m[2] = (unsigned char)(size >> 16);
		m[3] = (unsigned char)(size >> 8);
		m[4] = (unsigned char)size;
		for (uint32_t k = 0; k < size; k++) {
			m[GRPC_PFX + k] = (unsigned char)(i + k);
		}
	}
	rc = file_write(b, name, buf, len);
	free(buf);
	return rc;
}

int bench_h2_servers_stream(const struct bench_h2_servers_opts *o, const uint32_t *sizes,
			    unsigned n, unsigned msgs, double *cyc)
{
	struct bench *b;
	bool failed = false;
	int rc;

	if (o == NULL || o->tsc_ghz < 0 || msgs == 0 || (n > 0 && (sizes == NULL || cyc == NULL))) {
		return -EINVAL;
	}
	b = bench_new(o);
	if (b == NULL) {
		return -ENOMEM;
	}
	if (o->requests == 0) {
		printf("h2load -n (1 GiB each way) ");
	} else {
		printf("h2load -n %u ", b->o.requests);
	}
	printf("-c %u -m %u -t 1 POSTs %u gRPC-framed messages per request to\n"
	       "nghttpd, which answers each with a file of %u framed messages of the same size\n"
	       "(plain HTTP/2 on 127.0.0.1); per message = nghttpd's CPU / (requests x %u), each\n"
	       "message in and out once, as a router forwards it\n",
	       b->o.clients, b->o.streams, msgs, msgs, msgs);
	rc = cpus_pick(b);
	if (rc < 0) {
		goto out;
	}
	printf("  nghttpd on CPU %d, h2load on CPU %d%s; CPU = utime+stime (/proc/PID/stat)\n",
	       b->o.server_cpu, b->o.client_cpu,
	       b->o.server_cpu == b->o.client_cpu ? " (shared)" : "");
	rc = dir_make(b);
	if (rc < 0) {
		goto out;
	}
	printf("  %7s %9s %11s %9s %12s %10s  %s\n", "payload", "req/s", "msgs/s", "us/msg",
	       "cycles/msg", "CPU share", "requests");
	for (unsigned i = 0; i < n; i++) {
		char title[64], path[64], body[64], file[80];
		struct workload w = {title, path, body, msgs, 1, true};
		struct row r;

		cyc[i] = 0;
		if (o->requests == 0) {
			uint64_t q = (1ull << 30) / ((uint64_t)msgs * (GRPC_PFX + sizes[i]));

			b->o.requests = (unsigned)(q < 1000 ? 1000 : q > 2000000 ? 2000000 : q);
		}
		snprintf(title, sizeof(title), "stream %u B", sizes[i]);
		snprintf(path, sizeof(path), "/stream-%u.bin", sizes[i]);
		snprintf(body, sizeof(body), "stream-req-%u.bin", sizes[i]);
		snprintf(file, sizeof(file), "docroot%s", path);
		rc = framed_write(b, body, msgs, sizes[i]);
		if (rc == 0) {
			rc = framed_write(b, file, msgs, sizes[i]);
		}
		if (rc < 0) {
			goto out;
		}
		row_run(b, T_NGHTTPD, &w, &r);
		if (!r.measured || r.state != ROW_OK) {
			printf("  %5u B %s: %s\n", sizes[i],
			       r.state == ROW_SKIPPED ? "skipped" : "FAILED", r.why);
			if (r.detail == DETAIL_LOG) {
				log_tail(b->log);
			} else if (r.detail == DETAIL_OUTPUT) {
				tail_print(b->out.d, b->out.len);
			}
			failed |= r.state == ROW_FAILED;
			continue;
		}
		{
			double per = r.cpu_s / ((double)r.done * msgs);

			cyc[i] = per * 1e9 * b->o.tsc_ghz;
			printf("  %5u B %9.0f %11.0f %9.3f %12.0f %8.1f %%  %s\n", sizes[i], r.rps,
			       r.rps * msgs, per * 1e6, cyc[i],
			       r.wall_s > 0 ? 100.0 * r.cpu_s / r.wall_s : 0.0, r.why);
		}
	}
	rc = failed ? -EIO : 0;
out:
	if (rc < 0 && rc != -EIO) {
		fprintf(stderr, "bench-h2 stream: %s\n", strerror(-rc));
	}
	server_stop(b);
	dir_remove(b);
	fflush(stdout);
	free(b);
	return rc;
}
