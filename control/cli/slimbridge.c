/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slimbridge - the operator CLI: talks to slimbridge-control's API
 * (slimbridge.control.v1.ControlService, gRPC over h2c) with the project's
 * own gRPC client on kernel sockets. Policy files are YAML in the shape of
 * the seeds' examples (docs/policy.md); output is YAML or, with --json,
 * JSON. Exit codes are stable for scripts (see usage()).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "control.pb-c.h"
#include "grpc_client.h"
#include "h2_sock.h"
#include "ctl_audit_query.h"
#include "pbconv.h"

#define SVC "/slimbridge.control.v1.ControlService/"
#define MAX_FILE (64u << 20)

enum {
	EXIT_OK = 0,
	EXIT_NO = 1,		/* check: denied; slim-required: not required */
	EXIT_USAGE = 2,		/* bad arguments, unreadable or invalid file */
	EXIT_REJECTED = 3,	/* the server refused the request (invalid, precondition, exists) */
	EXIT_NOT_FOUND = 4,
	EXIT_UNAVAILABLE = 5,	/* cannot reach the server, timeout, internal error */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: slimbridge [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Operator CLI of slimbridge: manages policy through slimbridge-control's API.\n"
		"\n"
		"Commands:\n"
		"  apply -f FILE [--prune] [--dry-run]   create or update every object in a policy\n"
		"                                        YAML file ('-' reads stdin); --prune also\n"
		"                                        deletes objects of the kinds in the file\n"
		"                                        that it does not name\n"
		"  get KIND [ID]                         one object, or every object of KIND, as\n"
		"                                        policy YAML (re-appliable)\n"
		"  delete KIND ID                        delete one object\n"
		"  check --source A --target B --direction outbound|inbound --op task|query\n"
		"        [--org ORG]                     may A talk to B? (checkPermission)\n"
		"  slim-required --source A --target B   does A -> B cross a SLIM boundary?\n"
		"  status                                policy version, epoch, data plane, counts\n"
		"  changes [--since V] [--limit N]       the change log\n"
		"  watch [--count N]                     print policy versions as they are published\n"
		"  mls create GROUP [--peer HOST:PORT]... [--suite N]\n"
		"                                        make an MLS group here and add the\n"
		"                                        control processes at the peers' API\n"
		"                                        addresses\n"
		"  mls add GROUP --peer HOST:PORT...     add members (their KeyPackages, a Commit)\n"
		"  mls remove GROUP --member ID...       remove members by identity\n"
		"  mls update GROUP                      a Commit with a fresh UpdatePath\n"
		"  mls get GROUP | mls list              epoch, members, epoch authenticator\n"
		"  mls leave GROUP                       forget the group here (no Commit)\n"
		"  bundle list                           SPIFFE trust bundles: ours and each\n"
		"                                        peer trust domain's, with sequence,\n"
		"                                        source, refresh state and last error\n"
		"  bundle get TD                         one trust domain's, with the document\n"
		"  bundle set TD FILE                    override a peer's bundle with FILE (a\n"
		"                                        SPIFFE bundle, JWKS JSON; '-': stdin)\n"
		"                                        until its next successful refresh\n"
		"  bundle refresh TD                     fetch a peer's bundle now (ours: read\n"
		"                                        --bundle-file again) and show the outcome\n"
		"  trust add ORG --trust-domain TD --bundle-endpoint URL --endpoint HOST:PORT\n"
		"        [--control-endpoint HOST:PORT] [--transport grpc|https] [--mls on|off]\n"
		"        [--tenant T] [--id ID] [--failure-threshold N] [--cooldown S]\n"
		"        [--rekey-interval S] [--rekey-messages N] [--content-rule-set RS]\n"
		"                                        create or update the trust relationship\n"
		"                                        with ORG (external:SLUG) in state\n"
		"                                        established; id default TENANT-SLUG,\n"
		"                                        tenant default the only one; the peer's\n"
		"                                        control API default: endpoint's host, port\n"
		"                                        50051; mls default off (AES-256-GCM)\n"
		"  trust list                            every trust: state, seal, breaker\n"
		"  trust get ID                          one trust: its bundle, its seal (group,\n"
		"                                        epoch, mode, rekeys) and the data plane's\n"
		"                                        circuit breaker, link and counters\n"
		"  trust revoke ID                       state revoked: the seal leaves the data\n"
		"                                        plane's snapshot at once, traffic stops\n"
		"  trust delete ID                       revoke, then delete the trust\n"
		"                                        relationship\n"
		"  audit query [--type slim_communication] [--project P] [--since T]\n"
		"        [--until T] [--source S] [--destination D] [--trust ID]\n"
		"        [--decision allowed|denied] [--limit N]\n"
		"                                        audit records, newest first (default\n"
		"                                        limit 100, at most 10000); T: RFC 3339\n"
		"                                        (2024-05-01T12:00:00Z), Unix seconds,\n"
		"                                        or an age (30s, 15m, 2h, 7d); --since\n"
		"                                        takes time >= T, --until time < T;\n"
		"                                        --project --source --destination\n"
		"                                        --trust take fnmatch patterns (acme/*)\n"
		"  audit stats                           the audit writer: counters, rings\n"
		"\n"
		"KIND: tenant app project team agent trust ruleset (plurals accepted).\n"
		"\n"
		"Global options:\n"
		"  -s, --server HOST:PORT  control API (default: $SLIMBRIDGE_SERVER or 127.0.0.1:50051)\n"
		"  -j, --json              JSON output\n"
		"  -t, --timeout MS        deadline per request (default: 10000)\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Exit status: 0 success (check: allowed; slim-required: required), 1 check denied\n"
		"or SLIM not required, 2 bad usage or invalid file, 3 request rejected by the\n"
		"server (invalid policy, object exists or still referred to), 4 not found,\n"
		"5 server unreachable, timeout or internal error.\n");
}

/* ---------------------------------------------------------------- the RPC */

struct rpc {
	const ProtobufCMessageDescriptor *resp_desc;
	ProtobufCMessage *resp;
	int status;
	char message[1024];
	bool done;
	long count;			/* watch: stop after this many (0: never) */
	long seen;
	bool json;
	struct grpc_ccall *call;
	volatile sig_atomic_t stop;
};

static struct h2_conf cconf;
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void print_json(const ProtobufCMessage *m)
{
	json_t *j = pbconv_to_json(m);
	char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	printf("%s\n", s != NULL ? s : "{}");
	free(s);
	json_decref(j);
}

static void print_version(const Slimbridge__Control__V1__PolicyVersion *v, bool json)
{
	if (json) {
		json_t *j = pbconv_to_json(&v->base);
		char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

		printf("%s\n", s != NULL ? s : "{}");
		free(s);
		json_decref(j);
	} else {
		printf("version %llu epoch %llu checksum %016llx bytes %llu changes %u\n",
		       (unsigned long long)v->version, (unsigned long long)v->epoch,
		       (unsigned long long)v->checksum, (unsigned long long)v->snapshotbytes,
		       v->changes);
	}
	fflush(stdout);
}

static int on_message(struct grpc_ccall *call, const uint8_t *msg, size_t len, void *arg)
{
	struct rpc *r = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(r->resp_desc, NULL, len, msg);

	(void)call;
	if (m == NULL) {
		return -EINVAL;
	}
	if (r->count >= 0 && r->resp_desc == &slimbridge__control__v1__policy_version__descriptor) {
		print_version((const Slimbridge__Control__V1__PolicyVersion *)m, r->json);
		protobuf_c_message_free_unpacked(m, NULL);
		if (r->count > 0 && ++r->seen >= r->count) {
			return -ECANCELED;
		}
		return 0;
	}
	if (r->resp != NULL) {
		protobuf_c_message_free_unpacked(r->resp, NULL);
	}
	r->resp = m;
	return 0;
}

static void on_done(struct grpc_ccall *call, int status, const char *message,
		    const struct h2_header *trailers, uint32_t n, void *arg)
{
	struct rpc *r = arg;

	(void)call;
	(void)trailers;
	(void)n;
	r->status = status;
	snprintf(r->message, sizeof(r->message), "%s", message != NULL ? message : "");
	r->done = true;
	r->stop = 1;
}

static const struct grpc_ccall_ops ops = {
	.on_message = on_message,
	.on_done = on_done,
};

static void *sock_open(void *arg, struct h2_pool *pool, uint64_t now_ms, struct h2_conn **h2)
{
	struct grpc_cconn *cc = grpc_cconn_new(&cconf, pool, arg, now_ms);

	if (cc != NULL) {
		*h2 = grpc_cconn_h2(cc);
	}
	return cc;
}

static void sock_tick(void *conn, uint64_t now_ms)
{
	grpc_cconn_tick(conn, now_ms);
}

static void sock_close(void *conn)
{
	grpc_cconn_free(conn);
}

static const struct h2_sock_app app = {
	.accept = sock_open,
	.tick = sock_tick,
	.close = sock_close,
};

struct target {
	char host[128];
	uint16_t port;
	char authority[160];
	uint64_t timeout_ms;
	bool timeout_set;	/* -t given */
};

static void stop_hook(void *arg, uint64_t now_ms)
{
	struct rpc *r = arg;

	(void)now_ms;
	if (interrupted && r->call != NULL && !r->done) {
		grpc_ccall_cancel(r->call);
	}
}

static const char *status_name(int s)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
		"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
		"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
		"UNAUTHENTICATED",
	};

	return s >= 0 && s <= 16 ? names[s] : "?";
}

/* Calls |method| with |req|; returns an exit code, the response in r->resp on success. */
static int call(const struct target *t, const char *method, const ProtobufCMessage *req,
		struct rpc *r)
{
	struct h2_sock_loop *l = h2_sock_loop_new(64, 1u << 14);
	struct grpc_cconn *cc;
	size_t n = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(n + 1);
	char path[128];
	int rc, code;

	if (l == NULL || buf == NULL) {
		fprintf(stderr, "slimbridge: out of memory\n");
		free(buf);
		h2_sock_loop_free(l);
		return EXIT_UNAVAILABLE;
	}
	protobuf_c_message_pack(req, buf);
	cc = h2_sock_connect(l, t->host, t->port, &app, (void *)t->authority);
	if (cc == NULL) {
		fprintf(stderr, "slimbridge: cannot connect to slimbridge-control at %s: %s\n",
			t->authority, strerror(errno));
		free(buf);
		h2_sock_loop_free(l);
		return EXIT_UNAVAILABLE;
	}
	snprintf(path, sizeof(path), SVC "%s", method);
	rc = grpc_cconn_start(cc, path, NULL, 0, r->count >= 0 ? 0 : t->timeout_ms, &ops, r, &r->call);
	rc = rc ?: grpc_ccall_send(r->call, buf, n);
	rc = rc ?: grpc_ccall_close_send(r->call);
	free(buf);
	if (rc != 0) {
		fprintf(stderr, "slimbridge: cannot send the request: %s\n", strerror(-rc));
		h2_sock_loop_free(l);
		return EXIT_UNAVAILABLE;
	}
	h2_sock_loop_set_hook(l, stop_hook, r);
	if (h2_sock_loop_run(l, &r->stop) < 0 || !r->done) {
		fprintf(stderr, "slimbridge: connection to %s failed\n", t->authority);
		h2_sock_loop_free(l);
		return EXIT_UNAVAILABLE;
	}
	h2_sock_loop_free(l);
	if (r->status == GRPC_OK) {
		return EXIT_OK;
	}
	if (r->status == GRPC_CANCELLED && (interrupted || (r->count > 0 && r->seen >= r->count))) {
		return EXIT_OK;		/* watch: stopped by us */
	}
	switch (r->status) {
	case GRPC_INVALID_ARGUMENT:
	case GRPC_FAILED_PRECONDITION:
	case GRPC_ALREADY_EXISTS:
		code = EXIT_REJECTED;
		break;
	case GRPC_NOT_FOUND:
		code = EXIT_NOT_FOUND;
		break;
	default:
		code = EXIT_UNAVAILABLE;
		break;
	}
	if (r->json) {
		json_t *j = json_pack("{s:s, s:i, s:s}", "error", status_name(r->status), "code",
				      r->status, "message", r->message);
		char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

		fprintf(stderr, "%s\n", s != NULL ? s : "");
		free(s);
		json_decref(j);
	} else {
		fprintf(stderr, "slimbridge: %s: %s\n", status_name(r->status), r->message);
	}
	return code;
}

/* ---------------------------------------------------------------- commands */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		fprintf(stderr, "slimbridge: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *q;

			cap = cap != 0 ? cap * 2 : 65536;
			if (cap > MAX_FILE + 1) {
				fprintf(stderr, "slimbridge: %s: larger than %u MiB\n", path, MAX_FILE >> 20);
				goto fail;
			}
			q = realloc(b, cap);
			if (q == NULL) {
				fprintf(stderr, "slimbridge: out of memory\n");
				goto fail;
			}
			b = q;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "slimbridge: %s: read error\n", path);
		goto fail;
	}
	if (f != stdin) {
		fclose(f);
	}
	*len = n;
	return b;
fail:
	if (f != stdin) {
		fclose(f);
	}
	free(b);
	return NULL;
}

static int cmd_apply(const struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"prune", no_argument, NULL, 'P'},
		{"dry-run", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__ApplyRequest rq = SLIMBRIDGE__CONTROL__V1__APPLY_REQUEST__INIT;
	const char *file = NULL;
	ProtobufCMessage *pol = NULL;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__apply_response__descriptor,
			.count = -1, .json = json};
	char err[PBCONV_ERR_MAX];
	size_t len;
	char *text;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'P':
			rq.has_prune = rq.prune = 1;
			break;
		case 'D':
			rq.has_dryrun = rq.dryrun = 1;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (file == NULL || optind < argc) {
		fprintf(stderr, "slimbridge: usage: slimbridge apply -f FILE [--prune] [--dry-run]\n");
		return EXIT_USAGE;
	}
	text = read_file(file, &len);
	if (text == NULL) {
		return EXIT_USAGE;
	}
	if (pbconv_yaml_parse(text, len, &slimbridge__control__v1__policy__descriptor, &pol, err,
			      sizeof(err)) < 0) {
		fprintf(stderr, "slimbridge: %s:%s\n", strcmp(file, "-") == 0 ? "<stdin>" : file, err);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	rq.policy = (Slimbridge__Control__V1__Policy *)pol;
	code = call(t, "Apply", &rq.base, &r);
	protobuf_c_message_free_unpacked(pol, NULL);
	if (code == EXIT_OK) {
		const Slimbridge__Control__V1__ApplyResponse *a = (const void *)r.resp;

		if (json) {
			print_json(r.resp);
		} else {
			printf("%s: version %llu (%u created, %u updated, %u unchanged, %u deleted)\n",
			       rq.dryrun ? "dry run, nothing changed" : "applied",
			       (unsigned long long)a->version, a->created, a->updated, a->unchanged,
			       a->deleted);
		}
	}
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
}

static int print_policy(const ProtobufCMessage *p, bool json)
{
	if (json) {
		print_json(p);
		return EXIT_OK;
	}
	if (pbconv_write_yaml(p, stdout) < 0) {
		fprintf(stderr, "slimbridge: cannot print the result\n");
		return EXIT_UNAVAILABLE;
	}
	return EXIT_OK;
}

static int cmd_get_delete(const struct target *t, bool json, bool del, int argc, char **argv)
{
	Slimbridge__Control__V1__ObjectRef ref = SLIMBRIDGE__CONTROL__V1__OBJECT_REF__INIT;
	struct rpc r = {.count = -1, .json = json};
	int code;

	if (argc < 2 || argc > 3 || (del && argc != 3)) {
		fprintf(stderr, "slimbridge: usage: slimbridge %s KIND %s\n", del ? "delete" : "get",
			del ? "ID" : "[ID]");
		return EXIT_USAGE;
	}
	if (!del && argc == 2) {
		Slimbridge__Control__V1__ListRequest lr = SLIMBRIDGE__CONTROL__V1__LIST_REQUEST__INIT;

		lr.kind = argv[1];
		r.resp_desc = &slimbridge__control__v1__list_response__descriptor;
		code = call(t, "List", &lr.base, &r);
		if (code == EXIT_OK) {
			const Slimbridge__Control__V1__ListResponse *lp = (const void *)r.resp;
			Slimbridge__Control__V1__Policy empty = SLIMBRIDGE__CONTROL__V1__POLICY__INIT;

			code = print_policy(lp->policy != NULL ? &lp->policy->base : &empty.base, json);
		}
		goto out;
	}
	ref.kind = argv[1];
	ref.id = argv[2];
	r.resp_desc = del ? &slimbridge__control__v1__delete_response__descriptor :
			    &slimbridge__control__v1__object_response__descriptor;
	code = call(t, del ? "Delete" : "Get", &ref.base, &r);
	if (code != EXIT_OK) {
		goto out;
	}
	if (del) {
		const Slimbridge__Control__V1__DeleteResponse *d = (const void *)r.resp;

		if (json) {
			print_json(r.resp);
		} else {
			printf("deleted %s %s: version %llu\n", argv[1], argv[2],
			       (unsigned long long)d->version);
		}
	} else {
		/* As a one-object policy document, so that it can be applied again. */
		const Slimbridge__Control__V1__ObjectResponse *o = (const void *)r.resp;
		const Slimbridge__Control__V1__Object *ob = o->object;
		Slimbridge__Control__V1__Policy p = SLIMBRIDGE__CONTROL__V1__POLICY__INIT;
		void *one[1];

		if (ob == NULL) {
			goto out;
		}
		if (json) {
			print_json(&ob->base);
			goto out;
		}
		/* The members share a union: the case says which one is set. */
#define ONE(member, field) \
	if (ob->kind_case == SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_##member) { \
		one[0] = ob->tenant; \
		p.n_##field = 1; \
		p.field = (void *)one; \
	}
		ONE(TENANT, tenants)
		ONE(APP, apps)
		ONE(PROJECT, projects)
		ONE(TEAM, teams)
		ONE(AGENT, agents)
		ONE(TRUST_RELATIONSHIP, trustrelationships)
		ONE(CONTENT_RULE_SET, contentrulesets)
#undef ONE
		code = print_policy(&p.base, false);
	}
out:
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
}

static int cmd_check(const struct target *t, bool json, bool required_only, int argc, char **argv)
{
	static const struct option opts[] = {
		{"source", required_argument, NULL, 's'},
		{"target", required_argument, NULL, 't'},
		{"org", required_argument, NULL, 'o'},
		{"direction", required_argument, NULL, 'd'},
		{"op", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	const char *src = NULL, *dst = NULL, *org = NULL, *dir = NULL, *op = NULL;
	struct rpc r = {.count = -1, .json = json};
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			src = optarg;
			break;
		case 't':
			dst = optarg;
			break;
		case 'o':
			org = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'p':
			op = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (src == NULL || dst == NULL || optind < argc ||
	    (!required_only && (dir == NULL || op == NULL))) {
		fprintf(stderr, required_only ?
			"slimbridge: usage: slimbridge slim-required --source A --target B\n" :
			"slimbridge: usage: slimbridge check --source A --target B --direction outbound|inbound --op task|query [--org ORG]\n");
		return EXIT_USAGE;
	}
	if (dir != NULL && strcmp(dir, "outbound") != 0 && strcmp(dir, "inbound") != 0) {
		fprintf(stderr, "slimbridge: --direction: outbound or inbound, not '%s'\n", dir);
		return EXIT_USAGE;
	}
	if (op != NULL && strcmp(op, "task") != 0 && strcmp(op, "query") != 0) {
		fprintf(stderr, "slimbridge: --op: task or query, not '%s'\n", op);
		return EXIT_USAGE;
	}
	if (required_only) {
		Slimbridge__Control__V1__IsSlimRequiredRequest rq =
			SLIMBRIDGE__CONTROL__V1__IS_SLIM_REQUIRED_REQUEST__INIT;
		const Slimbridge__Control__V1__IsSlimRequiredResponse *a;

		rq.sourceagentid = (char *)src;
		rq.targetagentid = (char *)dst;
		r.resp_desc = &slimbridge__control__v1__is_slim_required_response__descriptor;
		code = call(t, "IsSlimRequired", &rq.base, &r);
		if (code != EXIT_OK) {
			goto out;
		}
		a = (const void *)r.resp;
		if (json) {
			print_json(r.resp);
		} else {
			printf("%s: %s\n", a->required ? "required" : "not required", a->reason);
		}
		code = a->required ? EXIT_OK : EXIT_NO;
	} else {
		Slimbridge__Control__V1__CheckPermissionRequest rq =
			SLIMBRIDGE__CONTROL__V1__CHECK_PERMISSION_REQUEST__INIT;
		const Slimbridge__Control__V1__CheckPermissionResponse *a;

		rq.sourceagentid = (char *)src;
		rq.targetagentid = (char *)dst;
		rq.targetorganization = (char *)org;
		rq.direction = (char *)dir;
		rq.operationtype = (char *)op;
		r.resp_desc = &slimbridge__control__v1__check_permission_response__descriptor;
		code = call(t, "CheckPermission", &rq.base, &r);
		if (code != EXIT_OK) {
			goto out;
		}
		a = (const void *)r.resp;
		if (json) {
			print_json(r.resp);
		} else if (a->allowed) {
			printf("allowed: %s (%s)\n", a->reason, a->organization);
		} else {
			printf("denied: %s (blocked at %s; %s)\n", a->reason, a->blockedat,
			       a->organization);
		}
		code = a->allowed ? EXIT_OK : EXIT_NO;
	}
out:
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
}

static int cmd_simple(const struct target *t, bool json, const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"limit", required_argument, NULL, 'l'},
		{"count", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__StatusRequest sr = SLIMBRIDGE__CONTROL__V1__STATUS_REQUEST__INIT;
	Slimbridge__Control__V1__ChangeLogRequest cr =
		SLIMBRIDGE__CONTROL__V1__CHANGE_LOG_REQUEST__INIT;
	Slimbridge__Control__V1__WatchPolicyRequest wr =
		SLIMBRIDGE__CONTROL__V1__WATCH_POLICY_REQUEST__INIT;
	struct rpc r = {.count = -1, .json = json};
	long count = 0;
	int c, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || optarg[0] == '\0' || optarg[0] == '-') {
			fprintf(stderr, "slimbridge: --%s: expected a number, got '%s'\n",
				opts[c == 's' ? 0 : c == 'l' ? 1 : 2].name, optarg);
			return EXIT_USAGE;
		}
		switch (c) {
		case 's':
			cr.has_sinceversion = 1;
			cr.sinceversion = v;
			break;
		case 'l':
			cr.has_limit = 1;
			cr.limit = (uint32_t)(v > 10000 ? 10000 : v);
			break;
		case 'c':
			count = (long)v;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slimbridge: %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "status") == 0) {
		r.resp_desc = &slimbridge__control__v1__status_response__descriptor;
		code = call(t, "Status", &sr.base, &r);
		if (code == EXIT_OK) {
			const Slimbridge__Control__V1__StatusResponse *s = (const void *)r.resp;

			if (json) {
				print_json(r.resp);
			} else {
				printf("version %llu, epoch %llu, data plane acked epoch %llu\n"
				       "store %s (schema %u), snapshot %llu bytes\n"
				       "%u tenants, %u apps, %u projects, %u teams, %u agents, "
				       "%u trust relationships, %u content rule sets\n",
				       (unsigned long long)s->version, (unsigned long long)s->epoch,
				       (unsigned long long)s->dataplaneackedepoch, s->store,
				       s->schemaversion, (unsigned long long)s->snapshotbytes,
				       s->tenants, s->apps, s->projects, s->teams, s->agents,
				       s->trustrelationships, s->contentrulesets);
			}
		}
	} else if (strcmp(cmd, "changes") == 0) {
		r.resp_desc = &slimbridge__control__v1__change_log_response__descriptor;
		code = call(t, "ChangeLog", &cr.base, &r);
		if (code == EXIT_OK) {
			const Slimbridge__Control__V1__ChangeLogResponse *l = (const void *)r.resp;

			if (json) {
				print_json(r.resp);
			}
			for (size_t i = 0; !json && i < l->n_changes; i++) {
				printf("%llu %llu %s %s %s\n", (unsigned long long)l->changes[i]->version,
				       (unsigned long long)l->changes[i]->timens, l->changes[i]->op,
				       l->changes[i]->kind, l->changes[i]->id);
			}
		}
	} else {
		r.resp_desc = &slimbridge__control__v1__policy_version__descriptor;
		r.count = count;
		code = call(t, "WatchPolicy", &wr.base, &r);
	}
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
}

/* ---------------------------------------------------------------- mls */

static void print_mls_state(const Slimbridge__Control__V1__MlsGroupState *g)
{
	printf("group %s epoch %llu suite %u own leaf %u\nepoch authenticator %s\n", g->group,
	       (unsigned long long)g->epoch, g->ciphersuite, g->ownleaf,
	       g->epochauthenticator != NULL ? g->epochauthenticator : "");
	for (size_t i = 0; i < g->n_members; i++) {
		printf("member %u %s %s\n", g->members[i]->leaf, g->members[i]->identity,
		       g->members[i]->endpoint != NULL && g->members[i]->endpoint[0] != '\0'
			       ? g->members[i]->endpoint
			       : "-");
	}
	for (size_t i = 0; i < g->n_undelivered; i++) {
		printf("undelivered %s\n", g->undelivered[i]);
	}
}

static int cmd_mls(const struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"peer", required_argument, NULL, 'p'},
		{"member", required_argument, NULL, 'm'},
		{"suite", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__MlsGroupCreateRequest cr =
		SLIMBRIDGE__CONTROL__V1__MLS_GROUP_CREATE_REQUEST__INIT;
	Slimbridge__Control__V1__MlsGroupAddRequest ar =
		SLIMBRIDGE__CONTROL__V1__MLS_GROUP_ADD_REQUEST__INIT;
	Slimbridge__Control__V1__MlsGroupRemoveRequest rr =
		SLIMBRIDGE__CONTROL__V1__MLS_GROUP_REMOVE_REQUEST__INIT;
	Slimbridge__Control__V1__MlsGroupRef ref = SLIMBRIDGE__CONTROL__V1__MLS_GROUP_REF__INIT;
	Slimbridge__Control__V1__MlsGroupListRequest lr =
		SLIMBRIDGE__CONTROL__V1__MLS_GROUP_LIST_REQUEST__INIT;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__mls_group_state__descriptor,
			.count = -1, .json = json};
	char *peers[64], *members[64];
	size_t n_peers = 0, n_members = 0;
	const ProtobufCMessage *req = &ref.base;
	const char *sub, *method, *group = NULL;
	int c, code;

	if (argc < 2) {
		goto usage;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;	/* a full restart: options may follow GROUP */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'p':
		case 'm':
			if ((c == 'p' ? n_peers : n_members) == 64) {
				fprintf(stderr, "slimbridge: mls: at most 64 --peer or --member\n");
				return EXIT_USAGE;
			}
			if (c == 'p') {
				peers[n_peers++] = optarg;
			} else {
				members[n_members++] = optarg;
			}
			break;
		case 's':
			cr.has_ciphersuite = 1;
			cr.ciphersuite = (uint32_t)strtoul(optarg, &end, 10);
			if (*end != '\0' || cr.ciphersuite < 1 || cr.ciphersuite > 7) {
				fprintf(stderr, "slimbridge: --suite: 1..7 expected, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (strcmp(sub, "list") != 0) {
		if (optind >= argc) {
			goto usage;
		}
		group = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "slimbridge: mls %s: unexpected argument '%s'\n", sub, argv[optind]);
		return EXIT_USAGE;
	}
	ref.group = (char *)group;
	if (strcmp(sub, "create") == 0) {
		cr.group = (char *)group;
		cr.peers = peers;
		cr.n_peers = n_peers;
		req = &cr.base;
		method = "MlsGroupCreate";
	} else if (strcmp(sub, "add") == 0 && n_peers > 0) {
		ar.group = (char *)group;
		ar.peers = peers;
		ar.n_peers = n_peers;
		req = &ar.base;
		method = "MlsGroupAdd";
	} else if (strcmp(sub, "remove") == 0 && n_members > 0) {
		rr.group = (char *)group;
		rr.identities = members;
		rr.n_identities = n_members;
		req = &rr.base;
		method = "MlsGroupRemove";
	} else if (strcmp(sub, "update") == 0) {
		method = "MlsGroupUpdate";
	} else if (strcmp(sub, "get") == 0) {
		method = "MlsGroupGet";
	} else if (strcmp(sub, "leave") == 0) {
		method = "MlsGroupLeave";
	} else if (strcmp(sub, "list") == 0) {
		req = &lr.base;
		method = "MlsGroupList";
		r.resp_desc = &slimbridge__control__v1__mls_group_list_response__descriptor;
	} else {
		goto usage;
	}
	code = call(t, method, req, &r);
	if (code == EXIT_OK && json) {
		print_json(r.resp);
	} else if (code == EXIT_OK && strcmp(sub, "list") == 0) {
		const Slimbridge__Control__V1__MlsGroupListResponse *l = (const void *)r.resp;

		for (size_t i = 0; i < l->n_groups; i++) {
			print_mls_state(l->groups[i]);
		}
	} else if (code == EXIT_OK) {
		print_mls_state((const void *)r.resp);
	}
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
usage:
	fprintf(stderr, "slimbridge: usage: slimbridge mls create GROUP [--peer HOST:PORT]... "
			"[--suite N] | add GROUP --peer HOST:PORT... | remove GROUP --member ID... "
			"| update GROUP | get GROUP | leave GROUP | list\n");
	return EXIT_USAGE;
}

/* ---------------------------------------------------------------- bundle */

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "N.N s ago" / "in N.N s" for a wall-clock time in ms. */
static const char *when(uint64_t ms, char *buf, size_t cap)
{
	uint64_t now = realtime_ms();

	if (ms == 0) {
		return "never";
	}
	if (ms <= now) {
		snprintf(buf, cap, "%.1f s ago", (double)(now - ms) / 1000.0);
	} else {
		snprintf(buf, cap, "in %.1f s", (double)(ms - now) / 1000.0);
	}
	return buf;
}

static void print_bundle_line(const Slimbridge__Control__V1__TrustBundle *b)
{
	char seq[24] = "none", w[48];

	if (b->has_sequence) {
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)b->sequence);
	}
	printf("%s %s source %s sequence %s keys %u %s failures %u next %s\n", b->trustdomain,
	       b->own ? "own" : "peer", b->source != NULL ? b->source : "-",
	       b->source != NULL ? seq : "-", b->keys, b->published ? "published" : "unpublished",
	       b->failures, b->has_nextrefreshms ? when(b->nextrefreshms, w, sizeof(w)) : "-");
	if (b->lasterror != NULL && b->lasterror[0] != '\0') {
		printf("  last error: %s\n", b->lasterror);
	}
}

static void print_bundle(const Slimbridge__Control__V1__TrustBundle *b)
{
	char w[48];

	printf("trust domain: %s\n", b->trustdomain);
	if (b->own) {
		printf("ours (--trust-domain, --bundle-file)\n");
	} else {
		printf("peer (trust relationship '%s')\n", b->trust != NULL ? b->trust : "");
	}
	if (b->url != NULL) {
		printf("url: %s\n", b->url);
	}
	if (b->source != NULL) {
		printf("source: %s\n", b->source);
		if (b->has_sequence) {
			printf("sequence: %llu\n", (unsigned long long)b->sequence);
		} else {
			printf("sequence: none\n");
		}
		if (b->has_refreshhint) {
			printf("refresh hint: %llu s\n", (unsigned long long)b->refreshhint);
		}
		printf("keys: %u (jwt-svid)%s\n", b->keys, b->ignoredkeys > 0 ? ", others ignored" : "");
		printf("updated: %s\n", when(b->updatedatms, w, sizeof(w)));
		printf("last good refresh: %s\n", when(b->fetchedatms, w, sizeof(w)));
	} else {
		printf("source: none (no bundle yet)\n");
	}
	printf("published: %s\n", b->published ? "yes" : "no");
	if (b->has_lastattemptms) {
		printf("last attempt: %s\n", when(b->lastattemptms, w, sizeof(w)));
	}
	if (b->refreshing) {
		printf("next refresh: now (a fetch is in flight)\n");
	} else if (b->has_nextrefreshms) {
		printf("next refresh: %s (after %.1f s)\n", when(b->nextrefreshms, w, sizeof(w)),
		       (double)b->intervalms / 1000.0);
	}
	printf("failures: %u\n", b->failures);
	if (b->lasterror != NULL && b->lasterror[0] != '\0') {
		printf("last error: %s\n", b->lasterror);
	}
	if (b->document != NULL) {
		printf("document:\n%s%s", b->document,
		       b->document[0] != '\0' && b->document[strlen(b->document) - 1] == '\n' ? ""
											  : "\n");
	}
}

static int cmd_bundle(struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__BundleRef ref = SLIMBRIDGE__CONTROL__V1__BUNDLE_REF__INIT;
	Slimbridge__Control__V1__BundleListRequest lr =
		SLIMBRIDGE__CONTROL__V1__BUNDLE_LIST_REQUEST__INIT;
	Slimbridge__Control__V1__BundleSetRequest sr =
		SLIMBRIDGE__CONTROL__V1__BUNDLE_SET_REQUEST__INIT;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__trust_bundle__descriptor,
			.count = -1};
	const ProtobufCMessage *req = &ref.base;
	const char *sub, *method, *td = NULL, *file = NULL;
	char *doc = NULL;
	size_t doc_len = 0;
	int c, code, want;

	if (argc < 2) {
		goto usage;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;	/* a full restart: --json may follow the arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			goto usage;
		}
		json = true;
	}
	r.json = json;
	want = strcmp(sub, "list") == 0 ? 0 : strcmp(sub, "set") == 0 ? 2 : 1;
	if (argc - optind != want) {
		goto usage;
	}
	if (want > 0) {
		td = argv[optind];
	}
	if (want > 1) {
		file = argv[optind + 1];
	}
	ref.trustdomain = (char *)td;
	if (strcmp(sub, "list") == 0) {
		req = &lr.base;
		method = "BundleList";
		r.resp_desc = &slimbridge__control__v1__bundle_list_response__descriptor;
	} else if (strcmp(sub, "get") == 0) {
		method = "BundleGet";
	} else if (strcmp(sub, "refresh") == 0) {
		method = "BundleRefresh";
		/* The answer waits for the fetch, which may take up to 10 s of its own. */
		if (!t->timeout_set) {
			t->timeout_ms = 30000;
		}
	} else if (strcmp(sub, "set") == 0) {
		doc = read_file(file, &doc_len);
		if (doc == NULL) {
			return EXIT_USAGE;
		}
		sr.trustdomain = (char *)td;
		sr.has_document = 1;
		sr.document.data = (uint8_t *)doc;
		sr.document.len = doc_len;
		req = &sr.base;
		method = "BundleSet";
	} else {
		goto usage;
	}
	code = call(t, method, req, &r);
	free(doc);
	if (code == EXIT_OK && json) {
		print_json(r.resp);
	} else if (code == EXIT_OK && strcmp(sub, "list") == 0) {
		const Slimbridge__Control__V1__BundleListResponse *l = (const void *)r.resp;

		for (size_t i = 0; i < l->n_bundles; i++) {
			print_bundle_line(l->bundles[i]);
		}
	} else if (code == EXIT_OK && strcmp(sub, "get") == 0) {
		print_bundle((const void *)r.resp);
	} else if (code == EXIT_OK) {
		print_bundle_line((const void *)r.resp);
	}
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
usage:
	fprintf(stderr, "slimbridge: usage: slimbridge bundle list | get TD | set TD FILE | "
			"refresh TD [--json]\n");
	return EXIT_USAGE;
}

/* ---------------------------------------------------------------- audit */

/* An audit time: RFC 3339, Unix seconds, or an age ("15m": 15 minutes ago). */
static int audit_time(const char *opt, const char *s, int64_t *ns)
{
	static const struct {
		char unit;
		uint64_t ns;
	} units[] = {{'s', 1000000000ull}, {'m', 60000000000ull}, {'h', 3600000000000ull},
		     {'d', 86400000000000ull}};
	size_t n = strlen(s);
	uint64_t v;

	for (size_t i = 0; n > 1 && i < sizeof(units) / sizeof(units[0]); i++) {
		char *end;
		unsigned long long k;
		struct timespec ts;
		uint64_t now;

		if (s[n - 1] != units[i].unit || s[0] < '0' || s[0] > '9') {
			continue;
		}
		errno = 0;
		k = strtoull(s, &end, 10);
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (errno != 0 || end != s + n - 1 || k > now / units[i].ns) {
			break;
		}
		*ns = (int64_t)(now - k * units[i].ns);
		return 0;
	}
	if (ctl_audit_time_parse(s, &v) < 0 || v > INT64_MAX) {
		fprintf(stderr,
			"slimbridge: %s: expected RFC 3339 (2024-05-01T12:00:00Z), Unix seconds or an age (15m), got '%s'\n",
			opt, s);
		return -EINVAL;
	}
	*ns = (int64_t)v;
	return 0;
}

static void print_audit_record(const Slimbridge__Control__V1__AuditRecord *r)
{
	const char *trust = r->trust != NULL && r->trust[0] != '\0' ? r->trust : "-";

	printf("%s %s %s -> %s trust %s %s %s", r->time, r->decision, r->source, r->destination,
	       trust, r->encryption, r->reason);
	if (r->level != NULL && r->level[0] != '\0') {
		printf(" (at %s)", r->level);
	}
	if (r->ruleid != 0) {
		printf(" rule %u", r->ruleid);
	}
	printf(" %u bytes\n", r->messagebytes);
}

static void print_audit_stats(const Slimbridge__Control__V1__AuditStatsResponse *s)
{
	printf("writer %s, %s %s, directory %s, fsync %s\n", s->enabled ? "on" : "off (--no-audit)",
	       s->attached ? "attached to" : "waiting for", s->shmobject, s->directory, s->fsync);
	printf("records %llu, bytes %llu, segments %u (created %llu, removed %llu), fsyncs %llu\n",
	       (unsigned long long)s->records, (unsigned long long)s->bytes, s->segments,
	       (unsigned long long)s->segmentscreated, (unsigned long long)s->segmentsremoved,
	       (unsigned long long)s->fsyncs);
	printf("gaps %llu, duplicates skipped %llu, seq restarts %llu, write errors %llu, "
	       "torn bytes cut %llu, corrupt at start %llu, ring errors %llu, attaches %llu\n",
	       (unsigned long long)s->gaps, (unsigned long long)s->duplicatesskipped,
	       (unsigned long long)s->seqrestarts, (unsigned long long)s->writeerrors,
	       (unsigned long long)s->tornbytescut, (unsigned long long)s->corruptatstart,
	       (unsigned long long)s->ringerrors, (unsigned long long)s->attaches);
	for (size_t i = 0; i < s->n_rings; i++) {
		const Slimbridge__Control__V1__AuditRing *r = s->rings[i];

		printf("ring %u: head %llu tail %llu unread %llu of %u, producer waits %llu\n", r->worker,
		       (unsigned long long)r->head, (unsigned long long)r->tail,
		       (unsigned long long)(r->head - r->tail), r->size, (unsigned long long)r->waits);
	}
}

static int cmd_audit(const struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"type", required_argument, NULL, 'y'},
		{"project", required_argument, NULL, 'p'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"source", required_argument, NULL, 'S'},
		{"destination", required_argument, NULL, 'D'},
		{"trust", required_argument, NULL, 'T'},
		{"decision", required_argument, NULL, 'd'},
		{"limit", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__AuditQueryRequest rq =
		SLIMBRIDGE__CONTROL__V1__AUDIT_QUERY_REQUEST__INIT;
	Slimbridge__Control__V1__AuditStatsRequest sr =
		SLIMBRIDGE__CONTROL__V1__AUDIT_STATS_REQUEST__INIT;
	struct rpc r = {.count = -1};
	const char *sub;
	int c, code;

	if (argc < 2) {
		goto usage;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "query") != 0 && strcmp(sub, "stats") != 0) {
		goto usage;
	}
	optind = 0;	/* a full restart */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long long v;

		if (c != 'j' && c != '?' && strcmp(sub, "stats") == 0) {
			goto usage;
		}
		switch (c) {
		case 'y':
			if (ctl_audit_type_parse(optarg) < 0) {
				fprintf(stderr, "slimbridge: --type: slim_communication, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			rq.type = optarg;
			break;
		case 'p':
			rq.project = optarg;
			break;
		case 's':
			if (audit_time("--since", optarg, &rq.sincens) < 0) {
				return EXIT_USAGE;
			}
			rq.has_sincens = 1;
			break;
		case 'u':
			if (audit_time("--until", optarg, &rq.untilns) < 0) {
				return EXIT_USAGE;
			}
			rq.has_untilns = 1;
			break;
		case 'S':
			rq.source = optarg;
			break;
		case 'D':
			rq.destination = optarg;
			break;
		case 'T':
			rq.trust = optarg;
			break;
		case 'd':
			if (strcmp(optarg, "allowed") != 0 && strcmp(optarg, "denied") != 0) {
				fprintf(stderr, "slimbridge: --decision: allowed or denied, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			rq.decision = optarg;
			break;
		case 'l':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || v < 1 ||
			    v > CTL_AUDIT_LIMIT_MAX) {
				fprintf(stderr, "slimbridge: --limit: 1..%d, not '%s'\n",
					CTL_AUDIT_LIMIT_MAX, optarg);
				return EXIT_USAGE;
			}
			rq.has_limit = 1;
			rq.limit = (uint32_t)v;
			break;
		case 'j':
			json = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slimbridge: audit %s: unexpected argument '%s'\n", sub, argv[optind]);
		return EXIT_USAGE;
	}
	if (rq.has_sincens && rq.has_untilns && rq.untilns <= rq.sincens) {
		fprintf(stderr, "slimbridge: --until must be later than --since\n");
		return EXIT_USAGE;
	}
	r.json = json;
	if (strcmp(sub, "stats") == 0) {
		r.resp_desc = &slimbridge__control__v1__audit_stats_response__descriptor;
		code = call(t, "AuditStats", &sr.base, &r);
		if (code == EXIT_OK && json) {
			print_json(r.resp);
		} else if (code == EXIT_OK) {
			print_audit_stats((const void *)r.resp);
		}
	} else {
		r.resp_desc = &slimbridge__control__v1__audit_query_response__descriptor;
		code = call(t, "AuditQuery", &rq.base, &r);
		if (code == EXIT_OK && json) {
			print_json(r.resp);
		} else if (code == EXIT_OK) {
			const Slimbridge__Control__V1__AuditQueryResponse *q = (const void *)r.resp;

			for (size_t i = 0; i < q->n_records; i++) {
				print_audit_record(q->records[i]);
			}
			if (q->truncated) {
				fprintf(stderr, "slimbridge: more records match: narrow the query, raise "
						"--limit, or page with --until the oldest time shown\n");
			}
		}
	}
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
usage:
	fprintf(stderr, "slimbridge: usage: slimbridge audit query [--type slim_communication] "
			"[--project P] [--since T] [--until T] [--source S] [--destination D] "
			"[--trust ID] [--decision allowed|denied] [--limit N] [--json] | "
			"audit stats [--json]\n");
	return EXIT_USAGE;
}

/* ---------------------------------------------------------------- trust */

/* "partner-corp" or "external:partner-corp" -> "external:partner-corp" in |out|; -EINVAL otherwise. */
static int trust_org(const char *arg, char *out, size_t cap)
{
	const char *slug = strncmp(arg, "external:", 9) == 0 ? arg + 9 : arg;

	if (slug[0] == '\0' || strchr(slug, ':') != NULL || strlen(slug) + 10 > cap) {
		return -EINVAL;
	}
	snprintf(out, cap, "external:%s", slug);
	return 0;
}

static int trust_num(const char *opt, const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '\0' || s[0] == '-' || v > max) {
		fprintf(stderr, "slimbridge: --%s: expected 0..%lu, got '%s'\n", opt, max, s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The policy's objects of |kind| (List); NULL after printing why. */
static Slimbridge__Control__V1__ListResponse *trust_list_kind(const struct target *t,
							      const char *kind, int *code)
{
	Slimbridge__Control__V1__ListRequest lr = SLIMBRIDGE__CONTROL__V1__LIST_REQUEST__INIT;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__list_response__descriptor,
			.count = -1};

	lr.kind = (char *)kind;
	*code = call(t, "List", &lr.base, &r);
	if (*code != EXIT_OK) {
		if (r.resp != NULL) {
			protobuf_c_message_free_unpacked(r.resp, NULL);
		}
		return NULL;
	}
	return (Slimbridge__Control__V1__ListResponse *)r.resp;
}

static int trust_add(const struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust-domain", required_argument, NULL, 'd'},
		{"bundle-endpoint", required_argument, NULL, 'b'},
		{"endpoint", required_argument, NULL, 'e'},
		{"control-endpoint", required_argument, NULL, 'c'},
		{"transport", required_argument, NULL, 't'},
		{"mls", required_argument, NULL, 'm'},
		{"tenant", required_argument, NULL, 'T'},
		{"id", required_argument, NULL, 'i'},
		{"failure-threshold", required_argument, NULL, 'f'},
		{"cooldown", required_argument, NULL, 'C'},
		{"rekey-interval", required_argument, NULL, 'r'},
		{"rekey-messages", required_argument, NULL, 'n'},
		{"content-rule-set", required_argument, NULL, 'R'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__TrustRelationship tr =
		SLIMBRIDGE__CONTROL__V1__TRUST_RELATIONSHIP__INIT;
	Slimbridge__Control__V1__CircuitBreaker cb = SLIMBRIDGE__CONTROL__V1__CIRCUIT_BREAKER__INIT;
	Slimbridge__Control__V1__Object ob = SLIMBRIDGE__CONTROL__V1__OBJECT__INIT;
	Slimbridge__Control__V1__ObjectRequest rq = SLIMBRIDGE__CONTROL__V1__OBJECT_REQUEST__INIT;
	Slimbridge__Control__V1__ListResponse *tenants = NULL, *trusts = NULL;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__object_response__descriptor,
			.count = -1};
	const char *td = NULL, *bundle = NULL, *ep = NULL, *cep = NULL, *transport = NULL;
	const char *mls = NULL, *tenant = NULL, *id = NULL, *rs = NULL;
	uint32_t threshold = 0, cooldown = 0, interval = 0, messages = 0;
	bool has_threshold = false, has_cooldown = false, has_interval = false, has_messages = false;
	bool exists = false;
	char org[160], idbuf[300];
	int c, code;

	optind = 0;	/* options may come before or after ORG */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			td = optarg;
			break;
		case 'b':
			bundle = optarg;
			break;
		case 'e':
			ep = optarg;
			break;
		case 'c':
			cep = optarg;
			break;
		case 't':
			transport = optarg;
			break;
		case 'm':
			mls = optarg;
			break;
		case 'T':
			tenant = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'R':
			rs = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			if (trust_num("failure-threshold", optarg, 1000, &threshold) < 0) {
				return EXIT_USAGE;
			}
			has_threshold = true;
			break;
		case 'C':
			if (trust_num("cooldown", optarg, 86400 * 365, &cooldown) < 0) {
				return EXIT_USAGE;
			}
			has_cooldown = true;
			break;
		case 'r':
			if (trust_num("rekey-interval", optarg, UINT32_MAX, &interval) < 0) {
				return EXIT_USAGE;
			}
			has_interval = true;
			break;
		case 'n':
			if (trust_num("rekey-messages", optarg, UINT32_MAX, &messages) < 0) {
				return EXIT_USAGE;
			}
			has_messages = true;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || trust_org(argv[optind], org, sizeof(org)) < 0) {
		goto usage;
	}
	if (mls != NULL && strcmp(mls, "on") != 0 && strcmp(mls, "off") != 0) {
		fprintf(stderr, "slimbridge: --mls: on or off, not '%s'\n", mls);
		return EXIT_USAGE;
	}
	if (transport != NULL && strcmp(transport, "grpc") != 0 && strcmp(transport, "https") != 0) {
		fprintf(stderr, "slimbridge: --transport: grpc or https, not '%s'\n", transport);
		return EXIT_USAGE;
	}
	/* The tenant: given, or the only one there is. */
	if (tenant == NULL) {
		tenants = trust_list_kind(t, "tenant", &code);
		if (tenants == NULL) {
			return code;
		}
		if (tenants->policy == NULL || tenants->policy->n_tenants != 1) {
			fprintf(stderr, "slimbridge: trust add: --tenant is needed (%zu tenants)\n",
				tenants->policy != NULL ? tenants->policy->n_tenants : 0);
			code = EXIT_USAGE;
			goto out;
		}
		tenant = tenants->policy->tenants[0]->id;
	}
	if (id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "%s-%s", tenant, org + 9);
		id = idbuf;
	}
	/* An existing relationship is updated: what is not given stays as it is. */
	trusts = trust_list_kind(t, "trust", &code);
	if (trusts == NULL) {
		goto out;
	}
	for (size_t i = 0; trusts->policy != NULL && i < trusts->policy->n_trustrelationships; i++) {
		const Slimbridge__Control__V1__TrustRelationship *x =
			trusts->policy->trustrelationships[i];

		if (x->id != NULL && strcmp(x->id, id) == 0) {
			tr = *x;
			if (x->circuitbreaker != NULL) {
				cb = *x->circuitbreaker;
			}
			exists = true;
		}
	}
	if (!exists && (td == NULL || bundle == NULL || ep == NULL)) {
		fprintf(stderr, "slimbridge: trust add: a new trust relationship needs --trust-domain, --bundle-endpoint and --endpoint\n");
		code = EXIT_USAGE;
		goto out;
	}
	tr.id = (char *)id;
	tr.tenant = (char *)tenant;
	tr.organization = org;
	tr.state = "established";	/* (re)established: a revoked one comes back */
	if (td != NULL) {
		tr.peertrustdomain = (char *)td;
	}
	if (bundle != NULL) {
		tr.bundleendpoint = (char *)bundle;
	}
	if (ep != NULL) {
		tr.endpoint = (char *)ep;
	}
	if (cep != NULL) {
		tr.controlendpoint = (char *)cep;
	}
	if (transport != NULL || tr.transport == NULL) {
		tr.transport = (char *)(transport != NULL ? transport : "grpc");
	}
	if (mls != NULL || !tr.has_mls) {
		tr.has_mls = 1;
		tr.mls = mls != NULL && strcmp(mls, "on") == 0;
	}
	if (rs != NULL) {
		tr.contentruleset = (char *)rs;
	}
	if (has_interval) {
		tr.has_rekeyintervalseconds = 1;
		tr.rekeyintervalseconds = interval;
	}
	if (has_messages) {
		tr.has_rekeymessages = 1;
		tr.rekeymessages = messages;
	}
	if (has_threshold) {
		cb.has_failurethreshold = 1;
		cb.failurethreshold = threshold;
	}
	if (has_cooldown) {
		cb.has_cooldownseconds = 1;
		cb.cooldownseconds = cooldown;
	}
	tr.circuitbreaker = cb.has_failurethreshold || cb.has_cooldownseconds ? &cb : NULL;
	ob.kind_case = SLIMBRIDGE__CONTROL__V1__OBJECT__KIND_TRUST_RELATIONSHIP;
	ob.trustrelationship = &tr;
	rq.object = &ob;
	r.json = json;
	code = call(t, exists ? "Update" : "Create", &rq.base, &r);
	if (code == EXIT_OK && json) {
		print_json(r.resp);
	} else if (code == EXIT_OK) {
		printf("trust %s %s: %s (%s) at %s, bundle %s, mls %s (version %llu)\n", id,
		       exists ? "updated" : "created", org, tr.peertrustdomain, tr.endpoint,
		       tr.bundleendpoint, tr.mls ? "on" : "off",
		       (unsigned long long)((Slimbridge__Control__V1__ObjectResponse *)r.resp)->version);
	}
out:
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	if (trusts != NULL) {
		protobuf_c_message_free_unpacked(&trusts->base, NULL);
	}
	if (tenants != NULL) {
		protobuf_c_message_free_unpacked(&tenants->base, NULL);
	}
	return code;
usage:
	fprintf(stderr, "slimbridge: usage: slimbridge trust add ORG --trust-domain TD --bundle-endpoint URL --endpoint HOST:PORT [--control-endpoint HOST:PORT] [--transport grpc] [--mls on|off] [--tenant T] [--id ID] [--failure-threshold N] [--cooldown S] [--rekey-interval S] [--rekey-messages N] [--content-rule-set RS]\n");
	return EXIT_USAGE;
}

static void print_trust_line(const Slimbridge__Control__V1__TrustStatus *s)
{
	const Slimbridge__Control__V1__TrustRelationship *tr = s->trust;
	const Slimbridge__Control__V1__SealState *se = s->seal;
	const Slimbridge__Control__V1__TrustBridge *br = s->bridge;

	printf("%s %s %s state %s seal %s", tr->id, tr->organization,
	       tr->peertrustdomain != NULL ? tr->peertrustdomain : "-",
	       tr->state != NULL ? tr->state : "pending", se != NULL ? se->state : "none");
	if (se != NULL && se->group != NULL) {
		printf(" mode %s epoch %llu", se->mode, (unsigned long long)se->epoch);
	}
	if (br != NULL && br->running && br->breaker != NULL) {
		printf(" breaker %s link %s", br->breaker, br->link);
	} else {
		printf(" data plane -");
	}
	printf("\n");
	if (se != NULL && se->reason != NULL && se->reason[0] != '\0') {
		printf("  %s\n", se->reason);
	}
}

static void print_trust(const Slimbridge__Control__V1__TrustStatus *s)
{
	const Slimbridge__Control__V1__TrustRelationship *tr = s->trust;
	const Slimbridge__Control__V1__SealState *se = s->seal;
	const Slimbridge__Control__V1__TrustBridge *br = s->bridge;
	const Slimbridge__Control__V1__TrustBundle *b = s->bundle;
	char w[48];

	printf("trust: %s\n", tr->id);
	printf("tenant: %s\norganization: %s\n", tr->tenant, tr->organization);
	printf("peer trust domain: %s\n", tr->peertrustdomain != NULL ? tr->peertrustdomain : "-");
	printf("endpoint: %s (%s)\n", tr->endpoint != NULL ? tr->endpoint : "-",
	       tr->transport != NULL ? tr->transport : "grpc");
	printf("bundle endpoint: %s\n", tr->bundleendpoint != NULL ? tr->bundleendpoint : "-");
	printf("state: %s\n", tr->state != NULL ? tr->state : "pending");
	printf("mls: %s\n", tr->has_mls && tr->mls ? "on" : "off");
	printf("circuit breaker: threshold %u, cooldown %u s\n",
	       tr->circuitbreaker != NULL && tr->circuitbreaker->has_failurethreshold
		       ? tr->circuitbreaker->failurethreshold : 3,
	       tr->circuitbreaker != NULL && tr->circuitbreaker->has_cooldownseconds
		       ? tr->circuitbreaker->cooldownseconds : 300);
	if (tr->contentruleset != NULL && tr->contentruleset[0] != '\0') {
		printf("content rule set: %s\n", tr->contentruleset);
	}
	if (s->has_index) {
		printf("index: %u\n", s->index);
	}
	if (b == NULL) {
		printf("bundle: none\n");
	} else if (b->source == NULL) {
		printf("bundle: none yet%s%s\n", b->lasterror != NULL ? " (last error: " : "",
		       b->lasterror != NULL ? b->lasterror : "");
	} else {
		printf("bundle: sequence %llu, %s, last good refresh %s, bridge keys %u%s%s\n",
		       (unsigned long long)b->sequence, b->published ? "published" : "unpublished",
		       when(b->fetchedatms, w, sizeof(w)), s->bridgekeys,
		       b->lasterror != NULL ? ", last error: " : "",
		       b->lasterror != NULL ? b->lasterror : "");
	}
	if (se == NULL) {
		printf("seal: none\n");
	} else {
		printf("seal: %s", se->state);
		if (se->reason != NULL && se->reason[0] != '\0') {
			printf(" (%s)", se->reason);
		}
		printf("\n  mode: %s, role: %s, control endpoint: %s\n", se->mode, se->role,
		       se->controlendpoint != NULL ? se->controlendpoint : "-");
		if (se->group != NULL) {
			printf("  group: %s\n", se->group);
			printf("  epoch: %llu", (unsigned long long)se->epoch);
			if (se->has_prevepoch) {
				printf(" (previous %llu%s)", (unsigned long long)se->prevepoch,
				       se->sendprev ? ", still sending with it" : "");
			}
			printf("\n  leaves: own %u, peer %u\n", se->ownleaf, se->peerleaf);
			if (se->epochauthenticator != NULL) {
				printf("  epoch authenticator: %s\n", se->epochauthenticator);
			}
		}
		if (se->has_establishedatms) {
			printf("  established: %s\n", when(se->establishedatms, w, sizeof(w)));
		}
		printf("  rekey: every %u s or %u messages (0: never); %llu rekeys", se->rekeyintervalseconds,
		       se->rekeymessages, (unsigned long long)se->rekeys);
		if (se->has_lastrekeyatms) {
			printf(", last %s (%s)", when(se->lastrekeyatms, w, sizeof(w)),
			       se->lastrekeyreason != NULL ? se->lastrekeyreason : "");
		}
		printf("\n");
		if (se->failures > 0 || se->lasterror != NULL) {
			printf("  failures: %u%s%s\n", se->failures, se->lasterror != NULL ? ", last: " : "",
			       se->lasterror != NULL ? se->lasterror : "");
		}
		if (se->has_nextattemptms) {
			printf("  next attempt: %s\n", when(se->nextattemptms, w, sizeof(w)));
		}
	}
	if (br == NULL || !br->running) {
		printf("data plane: %s\n", br != NULL && br->note != NULL ? br->note
							: "the data plane is not running");
		return;
	}
	if (br->breaker == NULL) {
		printf("data plane: running; %s\n", br->note != NULL ? br->note : "no slot");
		return;
	}
	printf("circuit breaker: %s (failures %u/%u, opened %llu times", br->breaker, br->failures,
	       br->threshold, (unsigned long long)br->opened);
	if (br->has_openuntilms) {
		printf(", open until %s", when(br->openuntilms, w, sizeof(w)));
	}
	printf(")\nlink: %s, last failure %s\n", br->link, br->lastfailure);
	printf("counters: epoch %llu, sealed %llu (%llu in this epoch), records %llu, opened %llu, denied %llu\n",
	       (unsigned long long)br->epoch, (unsigned long long)br->sealed,
	       (unsigned long long)br->sealedepoch, (unsigned long long)br->records,
	       (unsigned long long)br->openedmessages, (unsigned long long)br->denied);
	if (br->note != NULL) {
		printf("note: %s\n", br->note);
	}
}

static int cmd_trust(const struct target *t, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	Slimbridge__Control__V1__TrustStatusRequest sr =
		SLIMBRIDGE__CONTROL__V1__TRUST_STATUS_REQUEST__INIT;
	Slimbridge__Control__V1__TrustRef ref = SLIMBRIDGE__CONTROL__V1__TRUST_REF__INIT;
	Slimbridge__Control__V1__ObjectRef oref = SLIMBRIDGE__CONTROL__V1__OBJECT_REF__INIT;
	struct rpc r = {.resp_desc = &slimbridge__control__v1__trust_status_response__descriptor,
			.count = -1};
	const Slimbridge__Control__V1__TrustStatusResponse *st;
	const char *sub;
	int c, code, want;

	if (argc < 2) {
		goto usage;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "add") == 0) {
		return trust_add(t, json, argc, argv);
	}
	optind = 0;	/* a full restart: --json may follow the arguments */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			goto usage;
		}
		json = true;
	}
	r.json = json;
	want = strcmp(sub, "list") == 0 ? 0 : 1;
	if (argc - optind != want) {
		goto usage;
	}
	if (strcmp(sub, "list") == 0 || strcmp(sub, "get") == 0) {
		sr.id = want > 0 ? argv[optind] : NULL;
		code = call(t, "TrustStatus", &sr.base, &r);
	} else if (strcmp(sub, "revoke") == 0) {
		ref.id = argv[optind];
		code = call(t, "TrustRevoke", &ref.base, &r);
	} else if (strcmp(sub, "delete") == 0) {
		/*
		 * Revoked first: its seal leaves the snapshot while the other
		 * trusts keep their indices, then the object goes.
		 */
		ref.id = argv[optind];
		code = call(t, "TrustRevoke", &ref.base, &r);
		if (r.resp != NULL) {
			protobuf_c_message_free_unpacked(r.resp, NULL);
		}
		r = (struct rpc){.count = -1, .json = json};	/* a call per struct rpc */
		if (code != EXIT_OK) {
			goto out;
		}
		oref.kind = "trust";
		oref.id = argv[optind];
		r.resp_desc = &slimbridge__control__v1__delete_response__descriptor;
		code = call(t, "Delete", &oref.base, &r);
		if (code == EXIT_OK && json) {
			print_json(r.resp);
		} else if (code == EXIT_OK) {
			printf("trust %s deleted: version %llu\n", argv[optind],
			       (unsigned long long)((Slimbridge__Control__V1__DeleteResponse *)r.resp)
				       ->version);
		}
		goto out;
	} else {
		goto usage;
	}
	if (code != EXIT_OK) {
		goto out;
	}
	st = (const void *)r.resp;
	if (json) {
		print_json(r.resp);
	} else if (strcmp(sub, "revoke") == 0) {
		printf("trust %s revoked: its seal left the snapshot first\n", argv[optind]);
	}
	for (size_t i = 0; !json && strcmp(sub, "revoke") != 0 && i < st->n_trusts; i++) {
		if (strcmp(sub, "list") == 0) {
			print_trust_line(st->trusts[i]);
		} else {
			print_trust(st->trusts[i]);
		}
	}
out:
	if (r.resp != NULL) {
		protobuf_c_message_free_unpacked(r.resp, NULL);
	}
	return code;
usage:
	fprintf(stderr, "slimbridge: usage: slimbridge trust add ORG ... | list | get ID | revoke ID | "
			"delete ID [--json]\n");
	return EXIT_USAGE;
}

static int parse_server(const char *s, struct target *t)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || colon == s) {
		return -EINVAL;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535) {
		return -EINVAL;
	}
	snprintf(t->host, sizeof(t->host), "%.*s", (int)(colon - s), s);
	if (t->host[0] == '[') {
		size_t n = strlen(t->host);

		if (n < 3 || t->host[n - 1] != ']') {
			return -EINVAL;
		}
		memmove(t->host, t->host + 1, n - 2);
		t->host[n - 2] = '\0';
	}
	if (strcmp(t->host, "localhost") == 0) {
		snprintf(t->host, sizeof(t->host), "127.0.0.1");
	}
	t->port = (uint16_t)port;
	snprintf(t->authority, sizeof(t->authority), "%s", s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *server = getenv("SLIMBRIDGE_SERVER");
	struct target t = {.timeout_ms = 10000};
	struct sigaction sa;
	bool json = false;
	const char *cmd;
	int c;

	if (server == NULL || server[0] == '\0') {
		server = "127.0.0.1:50051";
	}
	/* Options before the command only ("+"): the command parses its own. */
	while ((c = getopt_long(argc, argv, "+s:jt:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't': {
			char *end;

			t.timeout_ms = strtoull(optarg, &end, 10);
			t.timeout_set = true;
			if (*end != '\0' || t.timeout_ms == 0) {
				fprintf(stderr, "slimbridge: --timeout: milliseconds > 0, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("slimbridge %s\n", SB_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (parse_server(server, &t) < 0) {
		fprintf(stderr, "slimbridge: --server: expected HOST:PORT (an IP literal or localhost), got '%s'\n",
			server);
		return EXIT_USAGE;
	}
	h2_conf_default(&cconf, false);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "apply") == 0) {
		return cmd_apply(&t, json, argc, argv);
	}
	if (strcmp(cmd, "get") == 0 || strcmp(cmd, "delete") == 0) {
		return cmd_get_delete(&t, json, cmd[0] == 'd', argc, argv);
	}
	if (strcmp(cmd, "check") == 0) {
		return cmd_check(&t, json, false, argc, argv);
	}
	if (strcmp(cmd, "mls") == 0) {
		return cmd_mls(&t, json, argc, argv);
	}
	if (strcmp(cmd, "bundle") == 0) {
		return cmd_bundle(&t, json, argc, argv);
	}
	if (strcmp(cmd, "trust") == 0) {
		return cmd_trust(&t, json, argc, argv);
	}
	if (strcmp(cmd, "audit") == 0) {
		return cmd_audit(&t, json, argc, argv);
	}
	if (strcmp(cmd, "slim-required") == 0) {
		return cmd_check(&t, json, true, argc, argv);
	}
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "changes") == 0 || strcmp(cmd, "watch") == 0) {
		return cmd_simple(&t, json, cmd, argc, argv);
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "slimbridge: unknown command '%s' (slimbridge --help lists them)\n", cmd);
	return EXIT_USAGE;
}
