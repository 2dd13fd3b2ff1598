/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c - the data plane's YAML configuration.
 *
 * The document is read as a stream of libyaml events by a small
 * recursive-descent walker that knows the schema, so every problem is found at
 * the event that causes it and is reported with that event's position and the
 * key path leading to it. The event API is used rather than yaml_parser_load
 * because the loader resolves aliases silently into shared nodes and drops
 * anchors; we want to see both, and reject them: a schema this small does not
 * need them, and refusing them removes the "billion laughs" class of input.
 *
 * The walker stops at the first problem, so there is never a subtree to skip.
 * A first pass over the events checks only the YAML syntax, so that a syntax
 * error is reported as one even where the walk would have tripped earlier.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf.h"
#include "shm/shm_name.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* conf_load refuses larger files */
#define KEY_PATH_MAX	160		/* "ports[15].impair.duplicate" and room to spare */
#define SHOW_MAX	48		/* bytes of a user's value or key quoted in a message */
#define SHOW_BUF	(SHOW_MAX + 4)	/* show() output: value, "...", NUL */
#define DESC_BUF	(SHOW_BUF + 24)	/* describe() output */

struct walker {
	yaml_parser_t yp;
	yaml_event_t ev;		/* the current event, valid while have_ev */
	bool have_ev;
	const char *source;
	const char *text;
	size_t len;
	char *err;
	size_t plen;
	char path[KEY_PATH_MAX];	/* key path of the current node, "" at the top */
};

typedef int (*value_fn)(struct walker *w, unsigned int key, void *arg);

/* Replace control characters so that a message stays on one line. */
static void one_line(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			*s = '?';
		}
	}
}

/* Copy at most SHOW_MAX bytes of |s| into |buf|, marking a cut with "...". */
static const char *show(char *buf, const void *s, size_t n)
{
	if (n > SHOW_MAX) {
		memcpy(buf, s, SHOW_MAX);
		memcpy(buf + SHOW_MAX, "...", 4);
	} else {
		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	return buf;
}

static void mark_of_offset(const struct walker *w, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < w->len; i++) {
		if (w->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/*
 * fail_at formats "<source>:<line>:<col>: <path>: <what>" into w->err; with
 * no mark the position is left out, with an empty path the path is.
 */
static int __attribute__((format(printf, 3, 4)))
fail_at(struct walker *w, const yaml_mark_t *m, const char *fmt, ...)
{
	char what[CONF_ERR_MAX];
	char where[64] = "";
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n < 0) {
		what[0] = '\0';
	}
	if (m != NULL) {
		n = snprintf(where, sizeof(where), ":%zu:%zu", m->line + 1, m->column + 1);
		if (n < 0) {
			where[0] = '\0';
		}
	}
	if (w->plen > 0) {
		n = snprintf(w->err, CONF_ERR_MAX, "%s%s: %s: %s", w->source, where, w->path, what);
	} else {
		n = snprintf(w->err, CONF_ERR_MAX, "%s%s: %s", w->source, where, what);
	}
	if (n < 0) {
		snprintf(w->err, CONF_ERR_MAX, "%s: invalid configuration", w->source);
	}
	one_line(w->err);
	return -EINVAL;
}

#define fail(w, ...) fail_at((w), &(w)->ev.start_mark, __VA_ARGS__)

/* Report libyaml's own error: its problem text at its position. */
static int yaml_fail(struct walker *w)
{
	const yaml_parser_t *yp = &w->yp;
	const char *problem = yp->problem != NULL ? yp->problem : "unknown error";
	char ctx[96] = "";
	size_t line, col;

	w->plen = 0;
	if (yp->error == YAML_MEMORY_ERROR) {
		snprintf(w->err, CONF_ERR_MAX, "%s: out of memory while parsing YAML", w->source);
		return -ENOMEM;
	}
	if (yp->error == YAML_READER_ERROR) {
		/* The reader (encoding, control characters) gives a byte offset, not a mark. */
		mark_of_offset(w, yp->problem_offset, &line, &col);
		snprintf(w->err, CONF_ERR_MAX, "%s:%zu:%zu: YAML error: %s", w->source, line, col,
			 problem);
		one_line(w->err);
		return -EINVAL;
	}
	if (yp->context != NULL) {
		snprintf(ctx, sizeof(ctx), " (%s at %zu:%zu)", yp->context,
			 yp->context_mark.line + 1, yp->context_mark.column + 1);
	}
	snprintf(w->err, CONF_ERR_MAX, "%s:%zu:%zu: YAML syntax error: %s%s", w->source,
		 yp->problem_mark.line + 1, yp->problem_mark.column + 1, problem, ctx);
	one_line(w->err);
	return -EINVAL;
}

static int next(struct walker *w)
{
	if (w->have_ev) {
		yaml_event_delete(&w->ev);
		w->have_ev = false;
	}
	if (!yaml_parser_parse(&w->yp, &w->ev)) {
		return yaml_fail(w);
	}
	w->have_ev = true;
	return 0;
}

static size_t push_key(struct walker *w, const void *key, size_t n)
{
	size_t old = w->plen;
	char buf[SHOW_BUF];
	int r;

	r = snprintf(w->path + old, sizeof(w->path) - old, "%s%s", old > 0 ? "." : "",
		     show(buf, key, n));
	if (r > 0) {
		w->plen = strnlen(w->path, sizeof(w->path));
	}
	return old;
}

static size_t push_index(struct walker *w, unsigned int i)
{
	size_t old = w->plen;
	int r;

	r = snprintf(w->path + old, sizeof(w->path) - old, "[%u]", i);
	if (r > 0) {
		w->plen = strnlen(w->path, sizeof(w->path));
	}
	return old;
}

static void pop(struct walker *w, size_t old)
{
	w->plen = old;
	w->path[old] = '\0';
}

static const char *sval(const struct walker *w)
{
	return (const char *)w->ev.data.scalar.value;
}

static size_t slen(const struct walker *w)
{
	return w->ev.data.scalar.length;
}

static bool is_plain(const struct walker *w)
{
	return w->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain empty, "~" or "null" scalar: YAML's null, as in "key:" with no value. */
static bool is_null(const struct walker *w)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (w->ev.type != YAML_SCALAR_EVENT || !is_plain(w)) {
		return false;
	}
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		if (slen(w) == strlen(nulls[i]) && memcmp(sval(w), nulls[i], slen(w)) == 0) {
			return true;
		}
	}
	return false;
}

/* What the current node is, for "expected X, got Y". */
static const char *describe(const struct walker *w, char buf[DESC_BUF])
{
	char v[SHOW_BUF];

	switch (w->ev.type) {
	case YAML_SEQUENCE_START_EVENT:
		return "a sequence";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SCALAR_EVENT:
		if (is_null(w)) {
			return "null";
		}
		snprintf(buf, DESC_BUF, "%s\"%s\"", is_plain(w) ? "" : "the string ",
			 show(v, sval(w), slen(w)));
		return buf;
	default:
		return "no value";
	}
}

/*
 * check_node rejects what the schema never needs: aliases, anchors and
 * explicit tags. Every node event goes through it before it is looked at.
 */
static int check_node(struct walker *w)
{
	const yaml_char_t *anchor = NULL;
	const yaml_char_t *tag = NULL;
	char buf[SHOW_BUF];

	switch (w->ev.type) {
	case YAML_ALIAS_EVENT:
		anchor = w->ev.data.alias.anchor;
		return fail(w, "YAML aliases are not supported (*%s)",
			    show(buf, anchor, strlen((const char *)anchor)));
	case YAML_SCALAR_EVENT:
		anchor = w->ev.data.scalar.anchor;
		tag = w->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = w->ev.data.sequence_start.anchor;
		tag = w->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = w->ev.data.mapping_start.anchor;
		tag = w->ev.data.mapping_start.tag;
		break;
	default:
		return 0;
	}
	if (anchor != NULL) {
		return fail(w, "YAML anchors are not supported (&%s)",
			    show(buf, anchor, strlen((const char *)anchor)));
	}
	if (tag != NULL) {
		return fail(w, "YAML tags are not supported (%s)",
			    show(buf, tag, strlen((const char *)tag)));
	}
	return 0;
}

/* Move to the next node event and vet it. */
static int next_node(struct walker *w)
{
	int rc = next(w);

	if (rc == 0) {
		rc = check_node(w);
	}
	return rc;
}

/* get_uint reads a decimal integer min..max: digits only, no sign, no leading zero. */
static int get_uint(struct walker *w, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[DESC_BUF];
	const char *s;
	uint64_t v = 0;
	bool overflow = false;
	size_t i, n;

	if (w->ev.type != YAML_SCALAR_EVENT || is_null(w) || !is_plain(w)) {
		return fail(w, "expected an integer, got %s", describe(w, buf));
	}
	s = sval(w);
	n = slen(w);
	if (n > 1 && s[0] == '0') {
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			break;
		}
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
			overflow = true;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (n == 0 || i != n) {
		return fail(w, "invalid integer \"%s\" (expected a decimal integer %" PRIu64
			    "..%" PRIu64 ")", show(buf, sval(w), slen(w)), min, max);
	}
	if (overflow || v < min || v > max) {
		return fail(w, "%s is out of range (expected %" PRIu64 "..%" PRIu64 ")",
			    show(buf, s, n), min, max);
	}
	*out = v;
	return 0;
}

static int get_u16(struct walker *w, uint16_t min, uint16_t max, uint16_t *out)
{
	uint64_t v;
	int rc = get_uint(w, min, max, &v);

	if (rc == 0) {
		*out = (uint16_t)v;
	}
	return rc;
}

static int get_u32(struct walker *w, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = get_uint(w, min, max, &v);

	if (rc == 0) {
		*out = (uint32_t)v;
	}
	return rc;
}

/*
 * get_bool reads a plain true or false (YAML 1.2's core schema spellings).
 * YAML 1.1's yes/no/on/off are refused: they are too easy to write by mistake.
 */
static int get_bool(struct walker *w, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char buf[DESC_BUF];
	size_t i;

	if (w->ev.type != YAML_SCALAR_EVENT || is_null(w) || !is_plain(w)) {
		return fail(w, "expected true or false, got %s", describe(w, buf));
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (slen(w) == strlen(yes[i]) && memcmp(sval(w), yes[i], slen(w)) == 0) {
			*out = true;
			return 0;
		}
		if (slen(w) == strlen(no[i]) && memcmp(sval(w), no[i], slen(w)) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(w, "invalid boolean \"%s\" (expected true or false)",
		    show(buf, sval(w), slen(w)));
}

/* Descriptor ring sizes: a power of two 64..16384. */
static int get_desc(struct walker *w, uint16_t *out)
{
	uint64_t v;
	int rc = get_uint(w, 64, 16384, &v);

	if (rc != 0) {
		return rc;
	}
	if ((v & (v - 1)) != 0) {
		return fail(w, "%" PRIu64 " is not a power of two "
			    "(expected a power of two 64..16384)", v);
	}
	*out = (uint16_t)v;
	return 0;
}

/*
 * get_prob reads a probability 0..1 as a plain decimal number. The character
 * check keeps strtod from accepting hex floats, "inf" and "nan".
 */
static int get_prob(struct walker *w, double *out)
{
	char buf[DESC_BUF];
	char num[40];
	const char *s;
	char *end;
	bool digit = false;
	size_t i, n;
	double d;

	if (w->ev.type != YAML_SCALAR_EVENT || is_null(w) || !is_plain(w)) {
		return fail(w, "expected a number, got %s", describe(w, buf));
	}
	s = sval(w);
	n = slen(w);
	for (i = 0; i < n && n < sizeof(num); i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digit = true;
		} else if (strchr(".eE+-", s[i]) == NULL || s[i] == '\0') {
			break;
		}
	}
	if (n >= sizeof(num) || i != n || !digit) {
		goto invalid;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	errno = 0;
	d = strtod(num, &end);
	if (end != num + n || !isfinite(d)) {
		goto invalid;
	}
	if (d < 0.0 || d > 1.0) {
		return fail(w, "%s is out of range (expected 0..1)", num);
	}
	*out = d == 0.0 ? 0.0 : d;	/* no -0 */
	return 0;

invalid:
	return fail(w, "invalid probability \"%s\" (expected a decimal number 0..1)",
		    show(buf, s, n));
}

/* get_str borrows the current scalar (plain or quoted; not null) as |*s|, |*n|. */
static int get_str(struct walker *w, const char **s, size_t *n)
{
	char buf[DESC_BUF];

	if (w->ev.type != YAML_SCALAR_EVENT || is_null(w)) {
		return fail(w, "expected a string, got %s", describe(w, buf));
	}
	*s = sval(w);
	*n = slen(w);
	return 0;
}

/* True when |s| is 1..CONF_NAME_MAX-1 bytes, each a letter, digit or in |extra|. */
static bool name_ok(const char *s, size_t n, const char *extra)
{
	size_t i;

	if (n == 0 || n >= CONF_NAME_MAX) {
		return false;
	}
	for (i = 0; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			     (s[i] >= '0' && s[i] <= '9');

		if (!alnum && (s[i] == '\0' || strchr(extra, s[i]) == NULL)) {
			return false;
		}
	}
	return true;
}

/*
 * get_name reads a name of 1..CONF_NAME_MAX-1 characters of [A-Za-z0-9_.:-]
 * into |out| (CONF_NAME_MAX bytes); |what| names it in the error.
 */
static int get_name(struct walker *w, const char *what, char *out)
{
	char buf[SHOW_BUF];
	const char *s;
	size_t n;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	if (!name_ok(s, n, "_.:-")) {
		return fail(w, "invalid %s \"%s\" (expected 1..%d characters of "
			    "[A-Za-z0-9_.:-])", what, show(buf, s, n), CONF_NAME_MAX - 1);
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/*
 * walk_map walks the mapping at the current event, calling |fn| with the
 * index of each key (in |keys|, NULL-terminated) once the value's first event
 * is current; |fn| consumes the value. Unknown and repeated keys are errors.
 * |seen| (optional) returns a bit per key found.
 */
static int walk_map(struct walker *w, const char *const *keys, value_fn fn, void *arg,
		    uint32_t *seen)
{
	char buf[DESC_BUF];
	char list[320];
	uint32_t found = 0;
	unsigned int k;
	size_t old, used;
	int rc;

	if (w->ev.type != YAML_MAPPING_START_EVENT) {
		return fail(w, "expected a mapping, got %s", describe(w, buf));
	}
	for (;;) {
		rc = next_node(w);
		if (rc != 0) {
			return rc;
		}
		if (w->ev.type == YAML_MAPPING_END_EVENT) {
			break;
		}
		if (w->ev.type != YAML_SCALAR_EVENT) {
			return fail(w, "expected a key, got %s", describe(w, buf));
		}
		for (k = 0; keys[k] != NULL; k++) {
			if (slen(w) == strlen(keys[k]) && memcmp(sval(w), keys[k], slen(w)) == 0) {
				break;
			}
		}
		old = push_key(w, sval(w), slen(w));
		if (keys[k] == NULL) {
			list[0] = '\0';
			used = 0;
			for (k = 0; keys[k] != NULL && used < sizeof(list); k++) {
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 k > 0 ? ", " : "", keys[k]);
			}
			return fail(w, "unknown key (expected one of: %s)", list);
		}
		if (found & (UINT32_C(1) << k)) {
			return fail(w, "duplicate key");
		}
		found |= UINT32_C(1) << k;
		rc = next_node(w);
		if (rc == 0) {
			rc = fn(w, k, arg);
		}
		if (rc != 0) {
			return rc;
		}
		pop(w, old);
	}
	if (seen != NULL) {
		*seen = found;
	}
	return 0;
}

/* mempool: {mbufs, cache} */
static const char *const mempool_keys[] = { "mbufs", "cache", NULL };

static int mempool_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf *c = arg;

	if (key == 0) {
		return get_u32(w, 1023, 1048575, &c->mbufs);
	}
	return get_u32(w, 0, 512, &c->mbuf_cache);
}

/* neighbour: {capacity, timeout} */
static const char *const neigh_keys[] = { "capacity", "timeout", NULL };

static int neigh_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf *c = arg;

	if (key == 0) {
		return get_u32(w, 16, 1048576, &c->neigh_capacity);
	}
	return get_u32(w, 1, 86400, &c->neigh_timeout_s);
}

/* shm: {name} */
static const char *const shm_keys[] = { "name", NULL };

static int shm_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf *c = arg;
	char buf[SHOW_BUF];
	const char *s;
	size_t n;
	int rc;

	(void)key;
	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	/* The rule both processes share (proto/shm/shm_name.h): the suffixed name must fit. */
	if (n < CONF_NAME_MAX) {
		memcpy(c->shm_name, s, n);
		c->shm_name[n] = '\0';
	}
	if (n >= CONF_NAME_MAX || strlen(c->shm_name) != n || !sb_shm_name_valid(c->shm_name)) {
		c->shm_name[0] = '\0';
		return fail(w,
			    "invalid name \"%s\" (expected 1..%d characters of [A-Za-z0-9_.-], "
			    "not starting with '.')",
			    show(buf, s, n), SB_SHM_NAME_MAX - 8);
	}
	return 0;
}

/* ports[i].impair: {drop, duplicate, reorder, seed} */
static const char *const impair_keys[] = { "drop", "duplicate", "reorder", "seed", NULL };

static int impair_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_impair *im = arg;

	switch (key) {
	case 0:
		return get_prob(w, &im->drop);
	case 1:
		return get_prob(w, &im->duplicate);
	case 2:
		return get_prob(w, &im->reorder);
	default:
		return get_uint(w, 0, UINT64_MAX, &im->seed);
	}
}

/*
 * split_prefix splits "ADDR/LEN" into a NUL-terminated |addr| and |plen|
 * 1..|max| (decimal, no leading zero). False when malformed.
 */
static bool split_prefix(const char *s, size_t n, char *addr, size_t asize, unsigned int max,
			 unsigned int *plen)
{
	const char *slash = memchr(s, '/', n);
	size_t alen, llen, i;
	unsigned int v = 0;

	if (slash == NULL) {
		return false;
	}
	alen = (size_t)(slash - s);
	llen = n - alen - 1;
	if (alen == 0 || alen >= asize || llen == 0 || llen > 3 || slash[1] == '0') {
		return false;
	}
	for (i = 0; i < llen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned int)(slash[1 + i] - '0');
	}
	if (v < 1 || v > max) {
		return false;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	/* inet_pton stops at a NUL: one inside the scalar must not pass. */
	if (strlen(addr) != alen) {
		return false;
	}
	*plen = v;
	return true;
}

static int get_ip4(struct walker *w, struct conf_port *port)
{
	char buf[SHOW_BUF];
	char addr[INET_ADDRSTRLEN];
	const char *s;
	unsigned int plen;
	uint32_t a;
	size_t n;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	if (!split_prefix(s, n, addr, sizeof(addr), 32, &plen) ||
	    inet_pton(AF_INET, addr, &port->ip4) != 1) {
		return fail(w, "invalid IPv4 prefix \"%s\" (expected A.B.C.D/LEN with LEN 1..32)",
			    show(buf, s, n));
	}
	a = ntohl(port->ip4);
	if (a == 0) {
		return fail(w, "0.0.0.0 is not a usable address");
	}
	if (a == UINT32_MAX) {
		return fail(w, "255.255.255.255 is the broadcast address, not a usable one");
	}
	if ((a >> 28) == 0xe) {
		return fail(w, "%s is a multicast address (224.0.0.0/4)", addr);
	}
	if ((a >> 24) == 127) {
		return fail(w, "%s is a loopback address (127.0.0.0/8)", addr);
	}
	port->has_ip4 = true;
	port->ip4_prefix = (uint8_t)plen;
	return 0;
}

static int get_ip6(struct walker *w, struct conf_port *port)
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t zero[16];
	char buf[SHOW_BUF];
	char addr[INET6_ADDRSTRLEN];
	const char *s;
	unsigned int plen;
	size_t n;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	if (!split_prefix(s, n, addr, sizeof(addr), 128, &plen) ||
	    inet_pton(AF_INET6, addr, port->ip6) != 1) {
		return fail(w, "invalid IPv6 prefix \"%s\" (expected ADDRESS/LEN with LEN 1..128)",
			    show(buf, s, n));
	}
	if (memcmp(port->ip6, zero, 16) == 0) {
		return fail(w, ":: is the unspecified address, not a usable one");
	}
	if (memcmp(port->ip6, loopback, 16) == 0) {
		return fail(w, "::1 is the loopback address, not a usable one");
	}
	if (port->ip6[0] == 0xff) {
		return fail(w, "%s is a multicast address (ff00::/8)", addr);
	}
	if (port->ip6[0] == 0xfe && (port->ip6[1] & 0xc0) == 0x80) {
		return fail(w, "%s is a link-local address (fe80::/10); the port derives its own",
			    addr);
	}
	port->has_ip6 = true;
	port->ip6_prefix = (uint8_t)plen;
	return 0;
}

/*
 * tcp: the TCP stack's settings. The congestion control names are those of
 * tcp_cc_names in dataplane/tcp/tcp_cc.c, copied here so that the
 * configuration library stays free of the TCP stack and DPDK: keep the two
 * lists in step (tcp_cc_ops_by_name must accept every name listed here).
 */
static const char *const tcp_cc_allowed[] = { "newreno", "cubic", NULL };

enum {
	TK_RCVBUF, TK_SNDBUF, TK_MAX_CONN, TK_CONGESTION, TK_NODELAY, TK_SYN_BACKLOG,
	TK_SYNCOOKIES, TK_TW_MS, TK_TW_MAX, TK_FW2_MS, TK_DELACK_MS, TK_MIN_RTO_MS, TK_PERSIST_MAX_MS,
	TK_KEEPALIVE, TK_KA_IDLE, TK_KA_INTVL, TK_KA_COUNT, TK_EPHEMERAL
};
static const char *const tcp_keys[] = {
	"rcvbuf", "sndbuf", "max_connections", "congestion", "nodelay", "syn_backlog",
	"syncookies", "time_wait_ms", "time_wait_max", "fin_wait2_ms", "delack_ms",
	"min_rto_ms", "persist_max_ms", "keepalive", "keepalive_idle_s", "keepalive_interval_s",
	"keepalive_count", "ephemeral_ports", NULL
};

static int get_congestion(struct walker *w, struct conf_tcp *t)
{
	char buf[SHOW_BUF];
	char list[64];
	size_t used = 0;
	const char *s;
	unsigned int i;
	size_t n;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; tcp_cc_allowed[i] != NULL; i++) {
		if (n == strlen(tcp_cc_allowed[i]) && memcmp(s, tcp_cc_allowed[i], n) == 0) {
			memcpy(t->congestion, s, n);
			t->congestion[n] = '\0';
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; tcp_cc_allowed[i] != NULL && used < sizeof(list); i++) {
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i > 0 ? ", " : "", tcp_cc_allowed[i]);
	}
	return fail(w, "unknown congestion control \"%s\" (expected one of: %s)",
		    show(buf, s, n), list);
}

/* parse_port reads 1..5 decimal digits, no leading zero, as a value 0..99999. */
static bool parse_port(const char *s, size_t n, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0')) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* ephemeral_ports: "LO-HI", 1024 <= LO <= HI <= 65535. */
static int get_ephemeral(struct walker *w, struct conf_tcp *t)
{
	char buf[SHOW_BUF];
	const char *s, *dash;
	unsigned int lo, hi;
	size_t n;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	dash = memchr(s, '-', n);
	if (dash == NULL || !parse_port(s, (size_t)(dash - s), &lo) ||
	    !parse_port(dash + 1, n - (size_t)(dash - s) - 1, &hi)) {
		return fail(w, "invalid port range \"%s\" (expected LO-HI with "
			    "1024 <= LO <= HI <= 65535)", show(buf, s, n));
	}
	if (lo < 1024 || lo > 65535 || hi < 1024 || hi > 65535) {
		return fail(w, "port %u is out of range (expected LO-HI with "
			    "1024 <= LO <= HI <= 65535)", lo < 1024 || lo > 65535 ? lo : hi);
	}
	if (lo > hi) {
		return fail(w, "empty port range \"%s\": %u is greater than %u (expected LO-HI "
			    "with 1024 <= LO <= HI <= 65535)", show(buf, s, n), lo, hi);
	}
	t->eph_lo = (uint16_t)lo;
	t->eph_hi = (uint16_t)hi;
	return 0;
}

static int tcp_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_tcp *t = arg;

	switch (key) {
	case TK_RCVBUF:
		return get_u32(w, 16384, 16777216, &t->rcvbuf);
	case TK_SNDBUF:
		return get_u32(w, 16384, 16777216, &t->sndbuf);
	case TK_MAX_CONN:
		return get_u32(w, 16, 1048576, &t->max_connections);
	case TK_CONGESTION:
		return get_congestion(w, t);
	case TK_NODELAY:
		return get_bool(w, &t->nodelay);
	case TK_SYN_BACKLOG:
		return get_u32(w, 1, 65535, &t->syn_backlog);
	case TK_SYNCOOKIES:
		return get_bool(w, &t->syncookies);
	case TK_TW_MS:
		return get_u32(w, 0, 600000, &t->time_wait_ms);
	case TK_TW_MAX:
		return get_u32(w, 0, 1048576, &t->time_wait_max);
	case TK_FW2_MS:
		return get_u32(w, 1000, 600000, &t->fin_wait2_ms);
	case TK_DELACK_MS:
		return get_u32(w, 1, 500, &t->delack_ms);
	case TK_MIN_RTO_MS:
		return get_u32(w, 1, 1000, &t->min_rto_ms);
	case TK_PERSIST_MAX_MS:
		return get_u32(w, 100, 120000, &t->persist_max_ms);
	case TK_KEEPALIVE:
		return get_bool(w, &t->keepalive);
	case TK_KA_IDLE:
		return get_u32(w, 1, 86400, &t->keepalive_idle_s);
	case TK_KA_INTVL:
		return get_u32(w, 1, 3600, &t->keepalive_interval_s);
	case TK_KA_COUNT:
		return get_u32(w, 1, 127, &t->keepalive_count);
	default:
		return get_ephemeral(w, t);
	}
}

/* tcp_test_apps: {echo, discard, source}, each a port 1..65535 or 0 (off), distinct. */
static const char *const tcp_app_keys[] = { "echo", "discard", "source", NULL };

static int tcp_app_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_tcp_apps *a = arg;
	uint16_t *ports[] = { &a->echo, &a->discard, &a->source };
	unsigned int i;
	int rc;

	rc = get_u16(w, 0, 65535, ports[key]);
	if (rc != 0 || *ports[key] == 0) {
		return rc;
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (i != key && *ports[i] == *ports[key]) {
			return fail(w, "duplicate port %u (also tcp_test_apps.%s)",
				    (unsigned int)*ports[key], tcp_app_keys[i]);
		}
	}
	return 0;
}

struct port_walk {
	struct conf *c;
	unsigned int idx;
};

enum { P_NAME, P_IPV4, P_IPV6, P_MTU, P_RX_DESC, P_TX_DESC, P_IMPAIR };
static const char *const port_keys[] = {
	"name", "ipv4", "ipv6", "mtu", "rx_desc", "tx_desc", "impair", NULL
};

static int port_name(struct walker *w, struct conf *c, unsigned int idx)
{
	struct conf_port *port = &c->ports[idx];
	unsigned int i;
	int rc;

	rc = get_name(w, "device name", port->name);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < idx; i++) {
		if (strcmp(c->ports[i].name, port->name) == 0) {
			return fail(w, "duplicate port name \"%s\" (also ports[%u])", port->name,
				    i);
		}
	}
	return 0;
}

static int port_value(struct walker *w, unsigned int key, void *arg)
{
	struct port_walk *pw = arg;
	struct conf_port *port = &pw->c->ports[pw->idx];
	int rc;

	switch (key) {
	case P_NAME:
		return port_name(w, pw->c, pw->idx);
	case P_IPV4:
		return get_ip4(w, port);
	case P_IPV6:
		return get_ip6(w, port);
	case P_MTU:
		return get_u16(w, 1280, 9000, &port->mtu);
	case P_RX_DESC:
		return get_desc(w, &port->rx_desc);
	case P_TX_DESC:
		return get_desc(w, &port->tx_desc);
	default:
		rc = walk_map(w, impair_keys, impair_value, &port->impair, NULL);
		port->impair.enabled = port->impair.drop > 0.0 || port->impair.duplicate > 0.0 ||
				       port->impair.reorder > 0.0;
		return rc;
	}
}

static int walk_ports(struct walker *w, struct conf *c)
{
	struct port_walk pw = { .c = c };
	char buf[DESC_BUF];
	yaml_mark_t start, item;
	uint32_t seen;
	unsigned int i;
	size_t old;
	int rc;

	if (w->ev.type != YAML_SEQUENCE_START_EVENT) {
		return fail(w, "expected a sequence of ports, got %s", describe(w, buf));
	}
	start = w->ev.start_mark;
	for (i = 0;; i++) {
		rc = next(w);
		if (rc != 0) {
			return rc;
		}
		if (w->ev.type == YAML_SEQUENCE_END_EVENT) {
			break;
		}
		old = push_index(w, i);
		if (i >= CONF_MAX_PORTS) {
			return fail(w, "too many ports (at most %d)", CONF_MAX_PORTS);
		}
		rc = check_node(w);
		if (rc != 0) {
			return rc;
		}
		item = w->ev.start_mark;
		pw.idx = i;
		rc = walk_map(w, port_keys, port_value, &pw, &seen);
		if (rc != 0) {
			return rc;
		}
		if (!(seen & (UINT32_C(1) << P_NAME))) {
			return fail_at(w, &item, "missing required key \"name\"");
		}
		pop(w, old);
	}
	if (i == 0) {
		return fail_at(w, &start,
			       "empty list (leave the key out to use every probed port)");
	}
	c->ports_set = true;
	c->nb_ports = (uint16_t)i;
	return 0;
}

/* slim.links[]: {endpoint: "IP:PORT" or "[IPv6]:PORT", connection_type}. */
static const char *const slim_link_keys[] = { "endpoint", "connection_type", NULL };

static int slim_link_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_slim_link *l = arg;
	char buf[SHOW_BUF], host[64];
	const char *s, *colon;
	size_t n, hl;
	unsigned long port;
	char *end;
	int rc;

	rc = get_str(w, &s, &n);
	if (rc != 0) {
		return rc;
	}
	if (key == 1) {
		static const char *const types[] = { "remote", "peer", "edge" };

		for (unsigned int i = 0; i < 3; i++) {
			if (strlen(types[i]) == n && memcmp(s, types[i], n) == 0) {
				l->connection_type = (uint8_t)i;
				return 0;
			}
		}
		return fail(w, "unknown connection type \"%s\" (expected remote, peer or edge)",
			    show(buf, s, n));
	}
	colon = n > 0 ? memrchr(s, ':', n) : NULL;
	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(host) || colon + 1 == s + n) {
		return fail(w, "invalid endpoint \"%s\" (expected IP:PORT or [IPv6]:PORT)",
			    show(buf, s, n));
	}
	hl = (size_t)(colon - s);
	if (n - hl - 1 > 5) {
		return fail(w, "invalid endpoint port in \"%s\"", show(buf, s, n));
	}
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	memcpy(buf, colon + 1, n - hl - 1);
	buf[n - hl - 1] = '\0';
	port = strtoul(buf, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535 || buf[0] == '0') {
		return fail(w, "invalid endpoint port in \"%s\"", show(buf, s, n));
	}
	l->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, l->addr) == 1) {
		l->family = 4;
	} else if (inet_pton(AF_INET6, host, l->addr) == 1) {
		l->family = 6;
	} else {
		return fail(w, "invalid endpoint address \"%s\" (an IPv4 or IPv6 literal)",
			    show(buf, s, n));
	}
	return 0;
}

static int walk_slim_links(struct walker *w, struct conf_slim *sl)
{
	char buf[DESC_BUF];
	yaml_mark_t item;
	uint32_t seen;
	size_t old;
	int rc;

	if (w->ev.type != YAML_SEQUENCE_START_EVENT) {
		return fail(w, "expected a sequence of links, got %s", describe(w, buf));
	}
	for (unsigned int i = 0;; i++) {
		rc = next(w);
		if (rc != 0) {
			return rc;
		}
		if (w->ev.type == YAML_SEQUENCE_END_EVENT) {
			return 0;
		}
		old = push_index(w, i);
		if (i >= CONF_MAX_SLIM_LINKS) {
			return fail(w, "too many links (at most %d)", CONF_MAX_SLIM_LINKS);
		}
		rc = check_node(w);
		if (rc != 0) {
			return rc;
		}
		item = w->ev.start_mark;
		memset(&sl->links[i], 0, sizeof(sl->links[i]));
		rc = walk_map(w, slim_link_keys, slim_link_value, &sl->links[i], &seen);
		if (rc != 0) {
			return rc;
		}
		if (!(seen & 1u)) {
			return fail_at(w, &item, "missing required key \"endpoint\"");
		}
		sl->nb_links = (uint16_t)(i + 1);
		pop(w, old);
	}
}

/* slim: {listen_port, require_header_mac, max_message, node_id, links, policy}. */
static const char *const slim_keys[] = {
	"listen_port", "require_header_mac", "max_message", "node_id", "links", "policy", NULL
};

/* slim.policy: enforce | off. */
static int get_slim_policy(struct walker *w, bool *enforce)
{
	char buf[SHOW_BUF];
	const char *s;
	size_t n;
	int rc = get_str(w, &s, &n);

	if (rc != 0) {
		return rc;
	}
	if (n == 7 && memcmp(s, "enforce", 7) == 0) {
		*enforce = true;
		return 0;
	}
	if (n == 3 && memcmp(s, "off", 3) == 0) {
		*enforce = false;
		return 0;
	}
	return fail(w, "unknown policy mode \"%s\" (expected enforce or off)", show(buf, s, n));
}

static int slim_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_slim *sl = arg;

	switch (key) {
	case 0:
		return get_u16(w, 0, 65535, &sl->listen_port);
	case 1:
		return get_bool(w, &sl->require_header_mac);
	case 2:
		return get_u32(w, 1024, 16777216, &sl->max_message);
	case 3:
		return get_name(w, "node id", sl->node_id);
	case 5:
		return get_slim_policy(w, &sl->enforce_policy);
	default:
		return walk_slim_links(w, sl);
	}
}

/* A scalar that must be one of |names| (NULL-terminated); its index goes to |out|. */
static int get_choice(struct walker *w, const char *what, const char *const *names, uint8_t *out)
{
	char buf[SHOW_BUF], list[128] = "";
	const char *s;
	size_t n, used = 0;
	int rc = get_str(w, &s, &n);

	if (rc != 0) {
		return rc;
	}
	for (unsigned i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == n && memcmp(s, names[i], n) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
					 "%s%s", i > 0 ? ", " : "", names[i]);
	}
	return fail(w, "unknown %s \"%s\" (expected one of %s)", what, show(buf, s, n), list);
}

/* crypto: {backend, arch}; the names are crypto_aead.h's, in its enum order. */
static const char *const crypto_keys[] = { "backend", "arch", NULL };
static const char *const crypto_backends[] = { "auto", "ipsec-mb", "openssl", NULL };
static const char *const crypto_archs[] = { "auto", "sse", "avx", "avx2", "avx512", NULL };

static int crypto_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_crypto *cr = arg;

	if (key == 0) {
		return get_choice(w, "crypto backend", crypto_backends, &cr->backend);
	}
	return get_choice(w, "crypto arch", crypto_archs, &cr->arch);
}

/* identity: {audience, cache_entries, negative_entries, max_cold, leeway_s}. */
static const char *const identity_keys[] = { "audience", "cache_entries", "negative_entries",
					     "max_cold", "leeway_s", "trust_domain", "required",
					     NULL };

static int identity_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_identity *id = arg;
	char buf[SHOW_BUF];
	const char *s;
	size_t n;
	int rc;

	switch (key) {
	case 0:
		rc = get_str(w, &s, &n);
		if (rc != 0) {
			return rc;
		}
		if (n == 0 || n > CONF_AUDIENCE_MAX || memchr(s, '\0', n) != NULL) {
			return fail(w, "identity audience \"%s\" must be 1..%d bytes", show(buf, s, n),
				    CONF_AUDIENCE_MAX);
		}
		memcpy(id->audience, s, n);
		id->audience[n] = '\0';
		return 0;
	case 1:
		return get_u32(w, 64, 4u << 20, &id->cache_entries);
	case 2:
		return get_u32(w, 64, 1u << 20, &id->negative_entries);
	case 3:
		return get_u32(w, 1, 64, &id->max_cold);
	case 4:
		return get_u32(w, 0, 300, &id->leeway_s);
	case 5:
		rc = get_str(w, &s, &n);
		if (rc != 0) {
			return rc;
		}
		if (n == 0 || n > CONF_AUDIENCE_MAX || memchr(s, '\0', n) != NULL ||
		    memchr(s, '/', n) != NULL || memchr(s, ':', n) != NULL) {
			return fail(w, "identity trust_domain \"%s\" must be a trust domain name (1..%d bytes, no / or :)",
				    show(buf, s, n), CONF_AUDIENCE_MAX);
		}
		memcpy(id->trust_domain, s, n);
		id->trust_domain[n] = '\0';
		return 0;
	default:
		return get_bool(w, &id->required);
	}
}

/* audit: {enabled, ring_size}. */
static const char *const audit_keys[] = { "enabled", "ring_size", NULL };

static int audit_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf_audit *a = arg;
	int rc;

	if (key == 0) {
		return get_bool(w, &a->enabled);
	}
	rc = get_u32(w, 1024, 1u << 20, &a->ring_size);
	if (rc == 0 && (a->ring_size & (a->ring_size - 1)) != 0) {
		return fail(w, "audit ring_size %u must be a power of two", a->ring_size);
	}
	return rc;
}

enum { T_WORKERS, T_BURST, T_MEMPOOL, T_NEIGHBOUR, T_SHM, T_PORTS, T_TCP, T_TCP_APPS, T_GRPC_TEST,
       T_SLIM, T_CRYPTO, T_IDENTITY, T_AUDIT };
static const char *const top_keys[] = {
	"workers", "burst", "mempool", "neighbour", "shm", "ports", "tcp", "tcp_test_apps",
	"grpc_test_port", "slim", "crypto", "identity", "audit", NULL
};

static int top_value(struct walker *w, unsigned int key, void *arg)
{
	struct conf *c = arg;
	int rc;

	switch (key) {
	case T_WORKERS:
		return get_u16(w, 0, 127, &c->workers);
	case T_BURST:
		return get_u16(w, 1, 256, &c->burst);
	case T_MEMPOOL:
		return walk_map(w, mempool_keys, mempool_value, c, NULL);
	case T_NEIGHBOUR:
		return walk_map(w, neigh_keys, neigh_value, c, NULL);
	case T_SHM:
		return walk_map(w, shm_keys, shm_value, c, NULL);
	case T_PORTS:
		return walk_ports(w, c);
	case T_TCP:
		return walk_map(w, tcp_keys, tcp_value, &c->tcp, NULL);
	case T_GRPC_TEST:
		rc = get_u16(w, 0, 65535, &c->grpc_test_port);
		break;
	case T_SLIM:
		rc = walk_map(w, slim_keys, slim_value, &c->slim, NULL);
		break;
	case T_CRYPTO:
		return walk_map(w, crypto_keys, crypto_value, &c->crypto, NULL);
	case T_IDENTITY:
		return walk_map(w, identity_keys, identity_value, &c->identity, NULL);
	case T_AUDIT:
		return walk_map(w, audit_keys, audit_value, &c->audit, NULL);
	default:
		rc = walk_map(w, tcp_app_keys, tcp_app_value, &c->tcp_apps, NULL);
		break;
	}
	/* The servers' ports differ, whichever key came first. */
	if (rc == 0 && c->grpc_test_port != 0 &&
	    (c->grpc_test_port == c->tcp_apps.echo || c->grpc_test_port == c->tcp_apps.discard ||
	     c->grpc_test_port == c->tcp_apps.source)) {
		return fail(w, "port %u is both grpc_test_port and a tcp_test_apps port",
			    (unsigned int)c->grpc_test_port);
	}
	if (rc == 0 && c->slim.listen_port != 0 &&
	    (c->slim.listen_port == c->grpc_test_port || c->slim.listen_port == c->tcp_apps.echo ||
	     c->slim.listen_port == c->tcp_apps.discard || c->slim.listen_port == c->tcp_apps.source)) {
		return fail(w, "port %u is both slim.listen_port and another server's port",
			    (unsigned int)c->slim.listen_port);
	}
	return rc;
}

/* A stream holds nothing (defaults) or one document whose root is a mapping or null. */
static int walk_stream(struct walker *w, struct conf *c)
{
	char buf[DESC_BUF];
	int rc;

	rc = next(w);			/* STREAM-START */
	if (rc == 0) {
		rc = next(w);
	}
	if (rc != 0 || w->ev.type == YAML_STREAM_END_EVENT) {
		return rc;
	}
	rc = next_node(w);		/* after DOCUMENT-START: the root node */
	if (rc != 0) {
		return rc;
	}
	if (w->ev.type == YAML_MAPPING_START_EVENT) {
		rc = walk_map(w, top_keys, top_value, c, NULL);
	} else if (!is_null(w)) {
		rc = fail(w, "expected a mapping at the top level, got %s", describe(w, buf));
	}
	if (rc == 0) {
		rc = next(w);		/* DOCUMENT-END */
	}
	if (rc == 0) {
		rc = next(w);
	}
	if (rc == 0 && w->ev.type == YAML_DOCUMENT_START_EVENT) {
		rc = fail(w, "a second YAML document (only one is allowed)");
	}
	return rc;
}

/*
 * check_syntax reads the whole stream once before the schema walk, so that a
 * syntax error anywhere is reported as such: the walk stops at its first
 * problem, and a mis-indented line often first shows up as a strange value
 * ("workers: 2\n  burst: 3" is the scalar "2 burst" before libyaml sees the
 * second colon).
 */
static int check_syntax(struct walker *w, struct conf *c)
{
	int rc;

	(void)c;
	do {
		rc = next(w);
	} while (rc == 0 && w->ev.type != YAML_STREAM_END_EVENT);
	return rc;
}

/* run_pass runs |pass| over the text with a fresh libyaml parser. */
static int run_pass(struct walker *w, int (*pass)(struct walker *w, struct conf *c),
		    struct conf *c)
{
	int rc;

	if (!yaml_parser_initialize(&w->yp)) {
		snprintf(w->err, CONF_ERR_MAX, "%s: out of memory while parsing YAML", w->source);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&w->yp, (const unsigned char *)w->text, w->len);
	w->plen = 0;
	w->path[0] = '\0';
	rc = pass(w, c);
	if (w->have_ev) {
		yaml_event_delete(&w->ev);
		w->have_ev = false;
	}
	yaml_parser_delete(&w->yp);
	return rc;
}

void conf_port_defaults(struct conf_port *p)
{
	memset(p, 0, sizeof(*p));
	p->mtu = 1500;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->impair.seed = 1;
}

void conf_defaults(struct conf *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->workers = 0;
	c->burst = 32;
	c->mbufs = 8191;
	c->mbuf_cache = 256;
	c->neigh_capacity = 1024;
	c->neigh_timeout_s = 300;
	snprintf(c->shm_name, sizeof(c->shm_name), "%s", "slimbridge");
	c->tcp.rcvbuf = 262144;
	c->tcp.sndbuf = 262144;
	c->tcp.max_connections = 4096;
	snprintf(c->tcp.congestion, sizeof(c->tcp.congestion), "%s", "cubic");
	c->tcp.nodelay = true;
	c->tcp.syncookies = true;
	c->tcp.keepalive = false;
	c->tcp.syn_backlog = 256;
	c->tcp.time_wait_ms = 60000;
	c->tcp.time_wait_max = 4096;
	c->tcp.fin_wait2_ms = 60000;
	c->tcp.delack_ms = 40;
	c->tcp.min_rto_ms = 200;
	c->tcp.persist_max_ms = 1000;
	c->tcp.keepalive_idle_s = 7200;
	c->tcp.keepalive_interval_s = 75;
	c->tcp.keepalive_count = 9;
	c->tcp.eph_lo = 32768;
	c->tcp.eph_hi = 60999;
	c->tcp_apps.echo = 0;
	c->tcp_apps.discard = 0;
	c->tcp_apps.source = 0;
	c->grpc_test_port = 0;
	c->slim.listen_port = 46357;
	c->slim.require_header_mac = true;
	c->slim.enforce_policy = true;
	c->slim.max_message = 4u << 20;
	snprintf(c->slim.node_id, sizeof(c->slim.node_id), "slimbridge");
	c->crypto.backend = CONF_CRYPTO_AUTO;
	c->crypto.arch = CONF_CRYPTO_AUTO;
	snprintf(c->identity.audience, sizeof(c->identity.audience), "slimbridge");
	c->identity.cache_entries = 16384;
	c->identity.negative_entries = 4096;
	c->identity.max_cold = 4;
	c->identity.leeway_s = 60;
	c->identity.required = true;
	c->audit.enabled = true;
	c->audit.ring_size = 16384;
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		conf_port_defaults(&c->ports[i]);
	}
}

int conf_parse(struct conf *c, const char *source, const char *text, size_t len, char *err)
{
	struct walker w;
	struct conf tmp;
	int rc;

	conf_defaults(c);
	err[0] = '\0';
	memset(&w, 0, sizeof(w));
	w.source = source != NULL ? source : "<config>";
	w.err = err;
	if (text == NULL) {
		if (len != 0) {
			return fail_at(&w, NULL, "no text");
		}
		text = "";
	}
	w.text = text;
	w.len = len;
	rc = run_pass(&w, check_syntax, NULL);
	if (rc == 0) {
		conf_defaults(&tmp);
		rc = run_pass(&w, walk_stream, &tmp);
	}
	if (rc == 0) {
		*c = tmp;
	}
	return rc;
}

int conf_load(struct conf *c, const char *path, char *err)
{
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	conf_defaults(c);
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, CONF_ERR_MAX, "%s: cannot read: %s", path, strerror(-rc));
		goto out_msg;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		snprintf(err, CONF_ERR_MAX, "%s: cannot read: %s", path, strerror(ENOMEM));
		goto out_close;
	}
	errno = 0;
	n = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = errno != 0 ? -errno : -EIO;
		snprintf(err, CONF_ERR_MAX, "%s: cannot read: %s", path, strerror(-rc));
		goto out_free;
	}
	if (n > CONF_FILE_MAX) {
		rc = -EINVAL;
		snprintf(err, CONF_ERR_MAX, "%s: file too large (limit %d bytes)", path,
			 CONF_FILE_MAX);
		goto out_free;
	}
	rc = conf_parse(c, path, buf, n, err);
out_free:
	free(buf);
out_close:
	fclose(f);
out_msg:
	if (rc != 0) {
		one_line(err);
	}
	return rc;
}
