/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slimbridge-control: owns desired state (SQLite store), serves the control
 * API (gRPC over h2c on kernel sockets), compiles policy into the
 * shared-memory tables the data plane reads, and publishes every change.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_api.h"
#include "ctl/ctl_state.h"
#include "fed/ctl_fed.h"
#include "mls/ctl_mls.h"
#include "grpc_server.h"
#include "h2_sock.h"
#include "shm/shm_abi.h"
#include "shm/shm_name.h"

#define DEFAULT_SHM_NAME "slimbridge"
#define DEFAULT_SLOT_SIZE (64u << 20)
#define DEFAULT_DB "slimbridge-control.db"
#define DEFAULT_ADDR "127.0.0.1"
#define DEFAULT_PORT 50051

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

struct opts {
	const char *name;
	unsigned long slot_mib;
	const char *db;
	const char *addr;
	unsigned long port;
	int keep;
	int quiet;
	const char *mls_identity;
	const char *mls_endpoint;
	unsigned long mls_timeout_ms;
	const char *trust_domain;
	const char *bundle_file;
	const char *bundle_listen;
	unsigned long bundle_retry_min_ms;
	unsigned long bundle_max_stale_s;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: slimbridge-control [OPTIONS]\n"
		"\n"
		"Owns slimbridge's policy: keeps it in a SQLite database, serves the control\n"
		"API (gRPC slimbridge.control.v1.ControlService over h2c, used by the\n"
		"`slimbridge` CLI), compiles it into permission tables and publishes them to\n"
		"the data plane through POSIX shared memory (/dev/shm/NAME.policy). Runs\n"
		"until SIGINT or SIGTERM.\n"
		"\n"
		"Options:\n"
		"  -d, --db PATH         policy database (created if missing; default: %s)\n"
		"  -l, --listen ADDR     API address (default: %s; :: or 0.0.0.0 for all)\n"
		"  -p, --port PORT       API port (default: %u; 0 picks one and prints it)\n"
		"  -n, --shm-name NAME   shared-memory name, the data plane's shm.name\n"
		"                        (default: %s)\n"
		"  -s, --slot-size MIB   bytes reserved per snapshot slot, in MiB (default: %u)\n"
		"      --keep            leave the policy object in place on exit\n"
		"      --mls-identity ID the identity of this control process in MLS groups\n"
		"                        (default: slimbridge-control/NAME@HOSTNAME)\n"
		"      --mls-endpoint HOST:PORT  where other control processes reach this API\n"
		"                        for MLS deliveries (default: the listen address and\n"
		"                        port; 127.0.0.1 or [::1] when listening on all)\n"
		"      --mls-timeout MS  deadline of each call to another control process\n"
		"                        (default: %u)\n"
		"      --trust-domain TD our SPIFFE trust domain (needed by --bundle-file)\n"
		"      --bundle-file FILE  our trust domain's SPIFFE bundle (JWKS JSON) as our\n"
		"                        SPIRE writes it; read again when it changes (checked\n"
		"                        every second); a file that is not a valid bundle keeps\n"
		"                        the previous one (logged)\n"
		"      --bundle-listen ADDR:PORT  serve that bundle over plain HTTP (GET / or\n"
		"                        /bundle; IP literal, [v6]; port 0 picks one and\n"
		"                        prints it); put a TLS terminator in front for\n"
		"                        https_web (docs/federation.md). Default: not served\n"
		"      --bundle-retry-min MS  first retry after a failed refresh of a peer's\n"
		"                        bundle, doubling up to its refresh interval\n"
		"                        (default: %u)\n"
		"      --bundle-max-stale SECONDS  a peer's bundle not refreshed for this long\n"
		"                        leaves the snapshot until a refresh succeeds\n"
		"                        (default: %u)\n"
		"  -q, --quiet           print errors only\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Peers' SPIFFE bundles are fetched from the bundleEndpoint (http or https) of\n"
		"every trust relationship that is not revoked, every spiffe_refresh_hint\n"
		"seconds (300 without one), kept in the database and published with ours to\n"
		"the data plane (`slimbridge bundle list`; docs/federation.md).\n"
		"\n"
		"Exit status: 0 on a clean stop, 2 on bad usage, 1 on a runtime error.\n",
		DEFAULT_DB, DEFAULT_ADDR, DEFAULT_PORT, DEFAULT_SHM_NAME, DEFAULT_SLOT_SIZE >> 20,
		CTL_MLS_TIMEOUT_MS, CTL_FED_RETRY_MIN_MS, CTL_FED_MAX_STALE_S);
}

static int parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '\0' || *out < lo || *out > hi) {
		fprintf(stderr, "slimbridge-control: %s: expected %lu..%lu, got '%s'\n", opt, lo, hi, s);
		return 2;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"port", required_argument, NULL, 'p'},
		{"shm-name", required_argument, NULL, 'n'},
		{"slot-size", required_argument, NULL, 's'},
		{"keep", no_argument, NULL, 'k'},
		{"mls-identity", required_argument, NULL, 'I'},
		{"mls-endpoint", required_argument, NULL, 'E'},
		{"mls-timeout", required_argument, NULL, 'T'},
		{"trust-domain", required_argument, NULL, 'D'},
		{"bundle-file", required_argument, NULL, 'B'},
		{"bundle-listen", required_argument, NULL, 'L'},
		{"bundle-retry-min", required_argument, NULL, 'R'},
		{"bundle-max-stale", required_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:l:p:n:s:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 'l':
			o->addr = optarg;
			break;
		case 'p':
			if (parse_ulong("--port", optarg, 0, 65535, &o->port) != 0) {
				return 2;
			}
			break;
		case 'n':
			o->name = optarg;
			break;
		case 's':
			if (parse_ulong("--slot-size", optarg, 1, 4096, &o->slot_mib) != 0) {
				return 2;
			}
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'I':
			o->mls_identity = optarg;
			break;
		case 'E':
			o->mls_endpoint = optarg;
			break;
		case 'T':
			if (parse_ulong("--mls-timeout", optarg, 1, 600000, &o->mls_timeout_ms) !=
			    0) {
				return 2;
			}
			break;
		case 'D':
			o->trust_domain = optarg;
			break;
		case 'B':
			o->bundle_file = optarg;
			break;
		case 'L':
			if (ctl_fed_addr_check(optarg) < 0) {
				fprintf(stderr,
					"slimbridge-control: --bundle-listen: expected ADDR:PORT (an IP literal, [v6]), got '%s'\n",
					optarg);
				return 2;
			}
			o->bundle_listen = optarg;
			break;
		case 'R':
			if (parse_ulong("--bundle-retry-min", optarg, 100, 86400000,
					&o->bundle_retry_min_ms) != 0) {
				return 2;
			}
			break;
		case 'S':
			if (parse_ulong("--bundle-max-stale", optarg, 1, 315360000,
					&o->bundle_max_stale_s) != 0) {
				return 2;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("slimbridge-control %s (shm ABI %d.%d)\n", SB_VERSION, SB_SHM_ABI_MAJOR,
			       SB_SHM_ABI_MINOR);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slimbridge-control: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->bundle_file != NULL && o->trust_domain == NULL) {
		fprintf(stderr, "slimbridge-control: --bundle-file needs --trust-domain\n");
		return 2;
	}
	if (o->bundle_listen != NULL && o->bundle_file == NULL) {
		fprintf(stderr, "slimbridge-control: --bundle-listen needs --bundle-file\n");
		return 2;
	}
	if (!sb_shm_name_valid(o->name)) {
		fprintf(stderr,
			"slimbridge-control: --shm-name: '%s' is not a valid name (1..%d characters of A-Z a-z 0-9 _ . -)\n",
			o->name, SB_SHM_NAME_MAX - 8);
		return 2;
	}
	return 0;
}

static struct h2_conf h2conf;

static void *sock_accept(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2)
{
	struct grpc_sconn *sc = grpc_sconn_new(arg, &h2conf, pool, now_ms);

	if (sc == NULL) {
		return NULL;
	}
	*h2 = grpc_sconn_h2(sc);
	return sc;
}

static void sock_tick(void *conn, uint64_t now_ms)
{
	grpc_sconn_tick(conn, now_ms);
}

static void sock_close(void *conn)
{
	grpc_sconn_free(conn);
}

static const struct h2_sock_app app = {
	.accept = sock_accept,
	.tick = sock_tick,
	.close = sock_close,
};

/* The MLS defaults: identity from the shm name and host, endpoint from the listen address. */
static void mls_defaults(const struct opts *o, int bound, char *id, size_t idlen, char *ep,
			 size_t eplen)
{
	char host[128] = "localhost";

	if (o->mls_identity == NULL) {
		gethostname(host, sizeof(host) - 1);
		snprintf(id, idlen, "slimbridge-control/%s@%s", o->name, host);
	} else {
		snprintf(id, idlen, "%s", o->mls_identity);
	}
	if (o->mls_endpoint != NULL) {
		snprintf(ep, eplen, "%s", o->mls_endpoint);
	} else if (strcmp(o->addr, "0.0.0.0") == 0) {
		snprintf(ep, eplen, "127.0.0.1:%d", bound);
	} else if (strcmp(o->addr, "::") == 0) {
		snprintf(ep, eplen, "[::1]:%d", bound);
	} else if (strchr(o->addr, ':') != NULL) {
		snprintf(ep, eplen, "[%s]:%d", o->addr, bound);
	} else {
		snprintf(ep, eplen, "%s:%d", o->addr, bound);
	}
}

struct hook {
	struct ctl_api *api;
	struct ctl_fed *fed;
};

static void loop_hook(void *arg, uint64_t now_ms)
{
	struct hook *h = arg;

	/* Federation first: a bundle it publishes goes out to watchers in the same turn. */
	ctl_fed_tick(h->fed, now_ms);
	ctl_api_tick(h->api, now_ms);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.name = DEFAULT_SHM_NAME,
		.slot_mib = DEFAULT_SLOT_SIZE >> 20,
		.db = DEFAULT_DB,
		.addr = DEFAULT_ADDR,
		.port = DEFAULT_PORT,
	};
	struct ctl_conf conf;
	struct ctl_state *st;
	struct grpc_server *srv = NULL;
	struct ctl_api *api = NULL;
	struct ctl_mls *mls = NULL;
	struct ctl_fed *fed = NULL;
	struct hook hook;
	struct h2_sock_loop *loop = NULL;
	char mls_id[1100], mls_ep[160];
	struct sigaction sa;
	struct ctl_pub pub;
	char err[600];
	int rc, bound, status = 1;

	rc = parse_args(argc, argv, &o);
	if (rc != 0) {
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	conf = (struct ctl_conf){.db_path = o.db, .shm_name = o.name,
				 .slot_size = (uint64_t)o.slot_mib << 20};
	st = ctl_state_open(&conf, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "slimbridge-control: %s\n", err);
		return 1;
	}
	h2_conf_default(&h2conf, true);
	srv = grpc_server_new();
	api = srv != NULL ? ctl_api_new(srv, st) : NULL;
	loop = api != NULL ? h2_sock_loop_new(256, 1u << 16) : NULL;
	if (loop == NULL) {
		fprintf(stderr, "slimbridge-control: out of memory\n");
		goto out;
	}
	bound = h2_sock_listen(loop, o.addr, (uint16_t)o.port, &app, srv);
	if (bound < 0) {
		fprintf(stderr, "slimbridge-control: cannot listen on %s port %lu: %s\n", o.addr, o.port,
			strerror(-bound));
		goto out;
	}
	mls_defaults(&o, bound, mls_id, sizeof(mls_id), mls_ep, sizeof(mls_ep));
	mls = ctl_mls_new(&(struct ctl_mls_conf){.identity = mls_id, .endpoint = mls_ep,
						 .timeout_ms = (uint32_t)o.mls_timeout_ms},
			  st, srv, loop, err, sizeof(err));
	if (mls == NULL) {
		fprintf(stderr, "slimbridge-control: %s\n", err);
		goto out;
	}
	fed = ctl_fed_new(&(struct ctl_fed_conf){.trust_domain = o.trust_domain,
						 .bundle_file = o.bundle_file,
						 .listen = o.bundle_listen,
						 .retry_min_ms = (uint32_t)o.bundle_retry_min_ms,
						 .max_stale_s = o.bundle_max_stale_s},
			  st, srv, err, sizeof(err));
	if (fed == NULL) {
		fprintf(stderr, "slimbridge-control: %s\n", err);
		goto out;
	}
	hook = (struct hook){.api = api, .fed = fed};
	h2_sock_loop_set_hook(loop, loop_hook, &hook);
	ctl_state_pub(st, &pub);
	if (!o.quiet) {
		printf("slimbridge-control: policy version %llu from %s, published as epoch %llu on "
		       "/dev/shm/%s%s; API on %s port %d\n",
		       (unsigned long long)ctl_state_version(st), o.db, (unsigned long long)pub.epoch,
		       o.name, SB_SHM_POLICY_SUFFIX, o.addr, bound);
		printf("slimbridge-control: MLS member '%s', deliveries at %s\n", mls_id, mls_ep);
		if (o.bundle_listen != NULL) {
			printf("slimbridge-control: bundle of %s served at %s (port %d)\n",
			       o.trust_domain, o.bundle_listen, ctl_fed_port(fed));
		}
		fflush(stdout);
	}
	rc = h2_sock_loop_run(loop, &quit);
	if (rc < 0) {
		fprintf(stderr, "slimbridge-control: event loop failed: %s\n", strerror(-rc));
		goto out;
	}
	ctl_state_pub(st, &pub);
	if (!o.quiet) {
		printf("slimbridge-control: stopping (data plane acked epoch %llu)\n",
		       (unsigned long long)pub.acked_epoch);
	}
	status = 0;
out:
	ctl_fed_stop(fed);
	ctl_mls_stop(mls);
	h2_sock_loop_free(loop);
	ctl_fed_free(fed);
	ctl_mls_free(mls);
	ctl_api_free(api);
	grpc_server_free(srv);
	ctl_state_close(st, !o.keep);
	return status;
}
