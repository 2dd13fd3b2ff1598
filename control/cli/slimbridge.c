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
	if (b->has_nextrefreshms) {
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
