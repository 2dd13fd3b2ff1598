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

#include "audit/ctl_audit.h"
#include "ctl/ctl_api.h"
#include "ctl/ctl_state.h"
#include "policy/pol_model.h"
#include "fed/ctl_fed.h"
#include "mls/ctl_mls.h"
#include "trust/ctl_trust.h"
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
	const char *audit_dir;
	unsigned long audit_segment_mb;
	unsigned long audit_keep;
	int audit_fsync;
	int no_audit;
	const char *bridge_key;
	int print_bridge_jwk;
};

/* Long-only options without a letter. */
enum {
	OPT_AUDIT_DIR = 0x100,
	OPT_AUDIT_SEGMENT_MB,
	OPT_AUDIT_KEEP,
	OPT_AUDIT_FSYNC,
	OPT_NO_AUDIT,
	OPT_BRIDGE_KEY = 0x200,		/* trust seals */
	OPT_PRINT_BRIDGE_JWK,
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
		"      --audit-dir DIR   where the audit writer keeps its segment files\n"
		"                        (made 0700 if missing; default: audit-NAME next to\n"
		"                        the --db file)\n"
		"      --audit-segment-mb MB  start a new segment before one would exceed this\n"
		"                        (default: %u)\n"
		"      --audit-keep N    segments kept; the oldest beyond N are removed\n"
		"                        (default: %u)\n"
		"      --audit-fsync always|interval|never  always: fdatasync before the\n"
		"                        records leave the ring; interval: fdatasync at most\n"
		"                        every second while records are written (and when a\n"
		"                        segment is closed); never: the kernel decides\n"
		"                        (default: interval)\n"
		"      --no-audit        do not drain the data plane's audit rings (it then\n"
		"                        stops taking traffic once they are full); AuditQuery\n"
		"                        still reads --audit-dir\n"
		"      --bridge-key FILE  this bridge's key (PEM, P-256 private key) for the\n"
		"                        seals of its trust relationships: it signs in their\n"
		"                        MLS groups, and its public JWK must be in our bundle\n"
		"                        (--bundle-file) with \"use\": \"slimbridge-bridge\".\n"
		"                        Default: none (no seal is made)\n"
		"      --print-bridge-jwk  print the JWK of --bridge-key to add to our bundle,\n"
		"                        and exit\n"
		"  -q, --quiet           print errors only\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Peers' SPIFFE bundles are fetched from the bundleEndpoint (http or https) of\n"
		"every trust relationship that is not revoked, every spiffe_refresh_hint\n"
		"seconds (300 without one), kept in the database and published with ours to\n"
		"the data plane (`slimbridge bundle list`; docs/federation.md).\n"
		"\n"
		"Audit: a writer thread drains /dev/shm/NAME.audit (the data plane's audit\n"
		"rings) into append-only segment files; a ring's records are released only\n"
		"once written, so none is lost (`slimbridge audit query`; docs/audit.md).\n"
		"\n"
		"Exit status: 0 on a clean stop, 2 on bad usage, 1 on a runtime error.\n",
		DEFAULT_DB, DEFAULT_ADDR, DEFAULT_PORT, DEFAULT_SHM_NAME, DEFAULT_SLOT_SIZE >> 20,
		CTL_MLS_TIMEOUT_MS, CTL_FED_RETRY_MIN_MS, CTL_FED_MAX_STALE_S, CTL_AUDIT_SEGMENT_MB,
		CTL_AUDIT_KEEP);
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
		{"audit-dir", required_argument, NULL, OPT_AUDIT_DIR},
		{"audit-segment-mb", required_argument, NULL, OPT_AUDIT_SEGMENT_MB},
		{"audit-keep", required_argument, NULL, OPT_AUDIT_KEEP},
		{"audit-fsync", required_argument, NULL, OPT_AUDIT_FSYNC},
		{"no-audit", no_argument, NULL, OPT_NO_AUDIT},
		{"bridge-key", required_argument, NULL, OPT_BRIDGE_KEY},
		{"print-bridge-jwk", no_argument, NULL, OPT_PRINT_BRIDGE_JWK},
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
		case OPT_AUDIT_DIR:
			if (optarg[0] == '\0') {
				fprintf(stderr, "slimbridge-control: --audit-dir: empty\n");
				return 2;
			}
			o->audit_dir = optarg;
			break;
		case OPT_AUDIT_SEGMENT_MB:
			if (parse_ulong("--audit-segment-mb", optarg, 1, 4096, &o->audit_segment_mb) !=
			    0) {
				return 2;
			}
			break;
		case OPT_AUDIT_KEEP:
			if (parse_ulong("--audit-keep", optarg, 1, 1000000, &o->audit_keep) != 0) {
				return 2;
			}
			break;
		case OPT_AUDIT_FSYNC:
			o->audit_fsync = ctl_audit_fsync_parse(optarg);
			if (o->audit_fsync < 0) {
				fprintf(stderr,
					"slimbridge-control: --audit-fsync: always, interval or never, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_NO_AUDIT:
			o->no_audit = 1;
			break;
		case OPT_BRIDGE_KEY:
			o->bridge_key = optarg;
			break;
		case OPT_PRINT_BRIDGE_JWK:
			o->print_bridge_jwk = 1;
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
	struct ctl_audit *audit;
	struct ctl_trust *trust;
};

static void loop_hook(void *arg, uint64_t now_ms)
{
	struct hook *h = arg;

	/* Federation first: a bundle it publishes goes out to watchers in the same turn. */
	ctl_fed_tick(h->fed, now_ms);
	ctl_trust_tick(h->trust, now_ms);	/* after federation: it reads the bundles */
	ctl_api_tick(h->api, now_ms);
	ctl_audit_tick(h->audit, now_ms);
}

/* The agents of |project| as "tenant/app/agent", for the audit query's project filter. */
static int project_agents(void *arg, const char *project, char ***out, size_t *n)
{
	const struct pol_model *m = ctl_state_model(arg);
	char **v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (m == NULL || m->p->n_agents == 0) {
		return 0;
	}
	v = calloc(m->p->n_agents, sizeof(*v));
	if (v == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->p->n_agents; i++) {
		const struct pol_agent_ref *r = &m->agent[i];

		if (r->project < 0 || r->tenant < 0 || r->app < 0 ||
		    strcmp(m->p->projects[r->project]->id, project) != 0) {
			continue;
		}
		if (asprintf(&v[k], "%s/%s/%s", m->p->tenants[r->tenant]->id, m->p->apps[r->app]->id,
			     m->p->agents[i]->id) < 0) {
			v[k] = NULL;
			for (size_t j = 0; j < k; j++) {
				free(v[j]);
			}
			free(v);
			return -ENOMEM;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.name = DEFAULT_SHM_NAME,
		.slot_mib = DEFAULT_SLOT_SIZE >> 20,
		.db = DEFAULT_DB,
		.addr = DEFAULT_ADDR,
		.port = DEFAULT_PORT,
		.audit_segment_mb = CTL_AUDIT_SEGMENT_MB,
		.audit_keep = CTL_AUDIT_KEEP,
		.audit_fsync = CTL_AUDIT_FSYNC_INTERVAL,
	};
	struct ctl_conf conf;
	struct ctl_state *st;
	struct grpc_server *srv = NULL;
	struct ctl_api *api = NULL;
	struct ctl_mls *mls = NULL;
	struct ctl_fed *fed = NULL;
	struct ctl_audit *audit = NULL;
	struct ctl_trust *trust = NULL;
	char audit_dir[4096];
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
	if (o.print_bridge_jwk) {
		if (o.bridge_key == NULL) {
			fprintf(stderr, "slimbridge-control: --print-bridge-jwk needs --bridge-key\n");
			return 2;
		}
		if (ctl_trust_print_jwk(o.bridge_key, stdout, err, sizeof(err)) < 0) {
			fprintf(stderr, "slimbridge-control: %s\n", err);
			return 1;
		}
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	conf = (struct ctl_conf){.db_path = o.db, .shm_name = o.name,
				 .slot_size = (uint64_t)o.slot_mib << 20, .hold = true};
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
	if (o.audit_dir != NULL) {
		snprintf(audit_dir, sizeof(audit_dir), "%s", o.audit_dir);
	} else {
		ctl_audit_default_dir(o.db, o.name, audit_dir, sizeof(audit_dir));
	}
	audit = ctl_audit_new(&(struct ctl_audit_conf){.shm_name = o.name, .dir = audit_dir,
						       .segment_bytes = (uint64_t)o.audit_segment_mb << 20,
						       .keep = (uint32_t)o.audit_keep,
						       .fsync = (enum ctl_audit_fsync)o.audit_fsync,
						       .disabled = o.no_audit, .quiet = o.quiet,
						       .project_agents = project_agents,
						       .project_arg = st},
			      srv, err, sizeof(err));
	if (audit == NULL) {
		fprintf(stderr, "slimbridge-control: audit: %s\n", err);
		goto out;
	}
	trust = ctl_trust_new(&(struct ctl_trust_conf){.trust_domain = o.trust_domain,
						      .bridge_key = o.bridge_key,
						      .shm_name = o.name},
			      st, mls, fed, srv, err, sizeof(err));
	if (trust == NULL) {
		fprintf(stderr, "slimbridge-control: %s\n", err);
		goto out;
	}
	hook = (struct hook){.api = api, .fed = fed, .audit = audit, .trust = trust};
	h2_sock_loop_set_hook(loop, loop_hook, &hook);
	/* The first snapshot carries the tables the modules loaded from the store (bundles, ...). */
	ctl_state_release(st);
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
		if (o.no_audit) {
			printf("slimbridge-control: audit writer off (--no-audit); queries read %s\n",
			       audit_dir);
		} else {
			printf("slimbridge-control: audit from /dev/shm/%s%s into %s (%lu MiB segments, keep %lu, fsync %s)\n",
			       o.name, SB_AUDIT_SUFFIX, audit_dir, o.audit_segment_mb, o.audit_keep,
			       ctl_audit_fsync_name((enum ctl_audit_fsync)o.audit_fsync));
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
	ctl_trust_stop(trust);
	ctl_audit_stop(audit);
	ctl_fed_stop(fed);
	ctl_mls_stop(mls);
	h2_sock_loop_free(loop);
	ctl_trust_free(trust);
	ctl_fed_free(fed);
	ctl_audit_free(audit);
	ctl_mls_free(mls);
	ctl_api_free(api);
	grpc_server_free(srv);
	ctl_state_close(st, !o.keep);
	return status;
}
