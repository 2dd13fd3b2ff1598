/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svid_verify.c - build/tests/svid-verify: validate one JWT-SVID against a
 * SPIFFE bundle or bundle map with dataplane/identity (id_jwt_verify), for
 * tests/integration/test_svid.py, which mints its tokens independently.
 *
 *   svid-verify --bundle FILE --audience AUD [--trust-domain TD] [--now UNIX]
 *               [--leeway S] TOKEN|-
 *
 * Exit status: 0 and the SPIFFE ID on stdout (valid); 1 and
 * "svid-verify: rejected: <reason>" on stderr (refused); 2 for a usage
 * error or a bundle that cannot be read or parsed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "id_bundle.h"
#include "id_jwt.h"

#define PROG "svid-verify"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --bundle FILE --audience AUD [--trust-domain TD] [--now UNIX]\n"
		"                   [--leeway S] TOKEN\n"
		"  --bundle FILE        a SPIFFE bundle (JWKS; needs --trust-domain) or a bundle\n"
		"                       map {\"trust_domains\": {...}}\n"
		"  --audience AUD       our audience: the token's aud must contain it\n"
		"  --trust-domain TD    the bundle's trust domain; with a map, the only trust\n"
		"                       domain accepted\n"
		"  --now UNIX           the clock, Unix seconds (default: now)\n"
		"  --leeway S           clock skew allowed, seconds (default %d)\n"
		"  TOKEN                the JWT-SVID, or - to read it from stdin\n"
		"Prints the SPIFFE ID and exits 0, or prints the reason and exits 1; 2 for\n"
		"usage errors and unreadable bundles.\n",
		ID_LEEWAY_DEFAULT_S);
}

/* read_all reads at most |max| bytes of |f| into a malloc'd buffer; NULL if more. */
static uint8_t *read_all(FILE *f, size_t max, size_t *len)
{
	uint8_t *buf = malloc(max + 1);
	size_t n;

	if (buf == NULL) {
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* parse_u64 reads a whole decimal number no larger than |max|. */
static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s[0] < '0' || s[0] > '9') {
		return -EINVAL;
	}
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max) {
		return -EINVAL;
	}
	*v = x;
	return 0;
}

/* is_map: the document is an object with a top-level "trust_domains". */
static int is_map(const uint8_t *doc, size_t len)
{
	json_t *root = json_loadb((const char *)doc, len, 0, NULL);
	int map = json_is_object(root) && json_object_get(root, "trust_domains") != NULL;

	json_decref(root);
	return map;
}

/* load_bundles fills |set| from |path|. 0, or a message on stderr and -1. */
static int load_bundles(const char *path, const char *td, struct id_bundle_set *set)
{
	struct id_bundle *b = NULL;
	char err[256] = "";
	uint8_t *doc;
	size_t len = 0;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	doc = read_all(f, ID_BUNDLE_MAP_MAX_BYTES, &len);
	fclose(f);
	if (doc == NULL) {
		fprintf(stderr, PROG ": %s: unreadable or larger than %u bytes\n", path,
			ID_BUNDLE_MAP_MAX_BYTES);
		return -1;
	}
	if (is_map(doc, len)) {
		rc = id_bundle_map_parse(doc, len, set, err, sizeof(err));
	} else if (td == NULL) {
		fprintf(stderr, PROG ": %s is not a bundle map: a single bundle needs "
			"--trust-domain (its trust domain)\n", path);
		free(doc);
		return -1;
	} else {
		rc = id_bundle_parse(td, strlen(td), doc, len, &b, err, sizeof(err));
		if (rc == 0) {
			rc = id_bundle_set_put(set, b);
			if (rc < 0) {
				id_bundle_free(b);
			}
		}
	}
	free(doc);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s: invalid bundle: %s (%s)\n", path, err, strerror(-rc));
		return -1;
	}
	return 0;
}

/* read_token: argv's TOKEN, or stdin's for "-" without its trailing newline. */
static char *read_token(const char *arg, size_t *len)
{
	char *tok;

	if (strcmp(arg, "-") != 0) {
		*len = strlen(arg);
		return strdup(arg);
	}
	/* A little more than ID_TOKEN_MAX, so that id_jwt_verify says TOO_LARGE. */
	tok = (char *)read_all(stdin, 4 * ID_TOKEN_MAX, len);
	if (tok == NULL) {
		return NULL;
	}
	if (*len > 0 && tok[*len - 1] == '\n') {
		(*len)--;
		if (*len > 0 && tok[*len - 1] == '\r') {
			(*len)--;
		}
	}
	return tok;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "audience", required_argument, NULL, 'a' },
		{ "trust-domain", required_argument, NULL, 't' },
		{ "now", required_argument, NULL, 'n' },
		{ "leeway", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = NULL, *aud = NULL, *td = NULL;
	uint64_t now = (uint64_t)time(NULL), leeway = ID_LEEWAY_DEFAULT_S;
	struct id_bundle_set *set;
	struct id_jwt_result res;
	struct id_jwt_opts o;
	enum id_reason r;
	size_t tok_len;
	char *tok;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'a':
			aud = optarg;
			break;
		case 't':
			td = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, INT64_MAX, &now) < 0) {
				fprintf(stderr, PROG ": --now: not a Unix time: %s\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_u64(optarg, UINT32_MAX, &leeway) < 0) {
				fprintf(stderr, PROG ": --leeway: not a number of seconds: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (bundle == NULL || aud == NULL || optind + 1 != argc) {
		fprintf(stderr, PROG ": %s\n",
			bundle == NULL ? "--bundle is required"
			: aud == NULL  ? "--audience is required"
				       : "exactly one TOKEN (or -) is required");
		usage(stderr);
		return 2;
	}
	if (strlen(aud) == 0 || strlen(aud) > ID_AUDIENCE_MAX) {
		fprintf(stderr, PROG ": --audience must be 1..%d bytes\n", ID_AUDIENCE_MAX);
		return 2;
	}
	if (td != NULL && spiffe_td_check(td, strlen(td), NULL) < 0) {
		fprintf(stderr, PROG ": --trust-domain: not a trust domain name: %s\n", td);
		return 2;
	}
	set = malloc(sizeof(*set));
	if (set == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return 2;
	}
	id_bundle_set_init(set);
	if (load_bundles(bundle, td, set) < 0) {
		free(set);
		return 2;
	}
	tok = read_token(argv[optind], &tok_len);
	if (tok == NULL) {
		fprintf(stderr, PROG ": cannot read the token\n");
		id_bundle_set_clear(set);
		free(set);
		return 2;
	}
	o = (struct id_jwt_opts){
		.audience = aud,
		.audience_len = strlen(aud),
		.trust_domain = td,
		.trust_domain_len = td != NULL ? strlen(td) : 0,
		.leeway_s = (uint32_t)leeway,
		.now_s = now,
	};
	r = id_jwt_verify(set, &o, tok, tok_len, &res);
	free(tok);
	id_bundle_set_clear(set);
	free(set);
	if (r != ID_R_OK) {
		fprintf(stderr, PROG ": rejected: %s\n", id_reason_str(r));
		return 1;
	}
	printf("%s\n", res.id);
	return 0;
}
