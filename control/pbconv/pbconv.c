/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbconv.c - YAML -> protobuf-c messages, driven by descriptors; the printers
 * (message -> JSON, YAML) are in pbconv_print.c.
 *
 * Parsing reads libyaml's event stream with a recursive walker that follows
 * the message descriptors, as dataplane/conf does, so each problem is
 * reported at the event that causes it. A first pass over the events checks
 * only the syntax and the nesting depth: a syntax error is then reported as
 * one even where the walk would have tripped on a strange value first, and
 * the walk never recurses deeper than PBCONV_MAX_DEPTH.
 *
 * The message under construction is always in the state that
 * protobuf_c_message_free_unpacked expects: a string, array element or
 * sub-message is linked into its parent (count, oneof case) as soon as it is
 * allocated, so an error anywhere frees everything with one call.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "pbconv.h"
#include "pbconv_internal.h"

#define SHOW_MAX	48		/* bytes of a user's key or value quoted in a message */
#define SHOW_BUF	(SHOW_MAX + 4)	/* show() output: value, "...", NUL */
#define YAML_TAG	"tag:yaml.org,2002:"

struct walker {
	yaml_parser_t yp;
	yaml_event_t ev;	/* the current event, valid while have_ev */
	bool have_ev;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
};

static const yaml_mark_t mark_start;	/* 1:1 */

/* ---------------------------------------------------------------- messages */

static void one_line(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			*s = '?';
		}
	}
}

/* Copy at most SHOW_MAX bytes of |s| into |buf|, cut on a UTF-8 boundary and marked "...". */
static const char *show(char *buf, const void *s, size_t n)
{
	const unsigned char *p = s;

	if (n > SHOW_MAX) {
		n = SHOW_MAX;
		while (n > 0 && (p[n] & 0xc0) == 0x80) {
			n--;
		}
		memcpy(buf, s, n);
		memcpy(buf + n, "...", 4);
	} else {
		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	return buf;
}

/* fail_at formats "LINE:COL: what" (or only "what" without a mark) into w->err. */
static int __attribute__((format(printf, 4, 5)))
fail_at(struct walker *w, int rc, const yaml_mark_t *m, const char *fmt, ...)
{
	char what[PBCONV_ERR_MAX];
	va_list ap;

	if (w->err == NULL || w->errlen == 0) {
		return rc;
	}
	va_start(ap, fmt);
	if (vsnprintf(what, sizeof(what), fmt, ap) < 0) {
		snprintf(what, sizeof(what), "invalid document");
	}
	va_end(ap);
	if (m != NULL) {
		snprintf(w->err, w->errlen, "%zu:%zu: %s", m->line + 1, m->column + 1, what);
	} else {
		snprintf(w->err, w->errlen, "%s", what);
	}
	one_line(w->err);
	return rc;
}

#define fail(w, ...) fail_at((w), -EINVAL, &(w)->ev.start_mark, __VA_ARGS__)

static int oom(struct walker *w)
{
	return fail_at(w, -ENOMEM, NULL, "out of memory");
}

/* Report libyaml's own error: its problem at its position. */
static int yaml_fail(struct walker *w)
{
	const yaml_parser_t *yp = &w->yp;
	const char *problem = yp->problem != NULL ? yp->problem : "unknown error";
	yaml_mark_t m = mark_start;
	size_t i;

	if (yp->error == YAML_MEMORY_ERROR) {
		return oom(w);
	}
	if (yp->error == YAML_READER_ERROR) {
		/*
		 * The reader (encoding, control characters) gives a byte offset, not a
		 * mark; count characters, as libyaml's marks do.
		 */
		for (i = 0; i < yp->problem_offset && i < w->len; i++) {
			if (w->text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)w->text[i] & 0xc0) != 0x80) {
				m.column++;
			}
		}
		return fail_at(w, -EINVAL, &m, "invalid YAML: %s", problem);
	}
	if (yp->context != NULL) {
		return fail_at(w, -EINVAL, &yp->problem_mark,
			       "YAML syntax error: %s (%s at %zu:%zu)", problem, yp->context,
			       yp->context_mark.line + 1, yp->context_mark.column + 1);
	}
	return fail_at(w, -EINVAL, &yp->problem_mark, "YAML syntax error: %s", problem);
}

/* ---------------------------------------------------------------- events */

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

static bool tag_is(const yaml_char_t *tag, const char *name)
{
	size_t n = sizeof(YAML_TAG) - 1;

	return strncmp((const char *)tag, YAML_TAG, n) == 0 &&
	       strcmp((const char *)tag + n, name) == 0;
}

/*
 * check_node refuses aliases and anchors (a policy needs no shared nodes, and
 * refusing them removes "billion laughs") and any tag but the standard ones
 * that fit the node.
 */
static int check_node(struct walker *w)
{
	const yaml_char_t *anchor = NULL;
	const yaml_char_t *tag = NULL;
	char buf[SHOW_BUF];
	bool ok;

	switch (w->ev.type) {
	case YAML_ALIAS_EVENT:
		return fail(w, "aliases and anchors are not accepted");
	case YAML_SCALAR_EVENT:
		anchor = w->ev.data.scalar.anchor;
		tag = w->ev.data.scalar.tag;
		ok = tag == NULL || tag_is(tag, "str") || tag_is(tag, "int") ||
		     tag_is(tag, "bool") || tag_is(tag, "null") || tag_is(tag, "float");
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = w->ev.data.sequence_start.anchor;
		tag = w->ev.data.sequence_start.tag;
		ok = tag == NULL || tag_is(tag, "seq");
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = w->ev.data.mapping_start.anchor;
		tag = w->ev.data.mapping_start.tag;
		ok = tag == NULL || tag_is(tag, "map");
		break;
	default:
		return 0;
	}
	if (anchor != NULL) {
		return fail(w, "aliases and anchors are not accepted");
	}
	if (!ok) {
		return fail(w, "tag '%s' is not accepted",
			    show(buf, tag, strlen((const char *)tag)));
	}
	return 0;
}

/* Move to the next event and, if it is a node, vet it. */
static int next_node(struct walker *w)
{
	int rc = next(w);

	return rc != 0 ? rc : check_node(w);
}

static const char *sval(const struct walker *w)
{
	return (const char *)w->ev.data.scalar.value;
}

static size_t slen(const struct walker *w)
{
	return w->ev.data.scalar.length;
}

/* Typed by its text: plain, or tagged with a standard tag other than !!str. */
static bool is_plain(const struct walker *w)
{
	const yaml_char_t *tag = w->ev.data.scalar.tag;

	if (tag != NULL) {
		return !tag_is(tag, "str");
	}
	return w->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_text(const struct walker *w, const char *s)
{
	return slen(w) == strlen(s) && memcmp(sval(w), s, slen(w)) == 0;
}

/* YAML's null: a plain "", "~" or "null" (the core schema's spellings). */
static bool is_null(const struct walker *w)
{
	return w->ev.type == YAML_SCALAR_EVENT && is_plain(w) &&
	       (is_text(w, "") || is_text(w, "~") || is_text(w, "null") || is_text(w, "Null") ||
		is_text(w, "NULL"));
}

/* What the current node is, for "expects X, got Y". */
static const char *describe(const struct walker *w, char *buf, size_t n)
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
		snprintf(buf, n, "%s'%s'", is_plain(w) ? "" : "the string ",
			 show(v, sval(w), slen(w)));
		return buf;
	default:
		return "nothing";
	}
}

/* ---------------------------------------------------------------- YAML -> message */

static const char *type_name(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_FLOAT:
		return "float";
	case PROTOBUF_C_TYPE_DOUBLE:
		return "double";
	case PROTOBUF_C_TYPE_BYTES:
		return "bytes";
	default:
		return "this type";
	}
}

static int new_message(struct walker *w, const ProtobufCMessageDescriptor *d,
		       ProtobufCMessage **out)
{
	*out = malloc(d->sizeof_message);
	if (*out == NULL) {
		return oom(w);
	}
	protobuf_c_message_init(d, *out);
	return 0;
}

/* A plain decimal integer: '-' where |neg_ok|, then digits without a leading zero. */
static bool parse_dec(const char *s, size_t n, bool neg_ok, bool *neg, uint64_t *mag)
{
	uint64_t v = 0;
	size_t i = 0;

	*neg = n > 0 && s[0] == '-' && neg_ok;
	if (*neg) {
		i++;
	}
	if (i == n || (s[i] == '0' && n - i > 1)) {
		return false;
	}
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
			return false;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*mag = v;
	return true;
}

static int get_int(struct walker *w, const char *name, const ProtobufCFieldDescriptor *f,
		   void *dst)
{
	char buf[SHOW_BUF + 16], nb[SHOW_BUF];
	int64_t min = 0;
	uint64_t max, mag = 0;
	bool neg = false, ok;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		min = INT32_MIN;
		max = INT32_MAX;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		min = INT64_MIN;
		max = INT64_MAX;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		max = UINT32_MAX;
		break;
	default:
		max = UINT64_MAX;
		break;
	}
	ok = w->ev.type == YAML_SCALAR_EVENT && is_plain(w) &&
	     parse_dec(sval(w), slen(w), min < 0, &neg, &mag) &&
	     (neg ? mag <= (uint64_t)-(min + 1) + 1 : mag <= max);
	if (!ok) {
		return fail(w, "'%s' expects an integer in %" PRId64 "..%" PRIu64 ", got %s",
			    show(nb, name, strlen(name)), min, max, describe(w, buf, sizeof(buf)));
	}
	if (type_size(f->type) == sizeof(uint32_t)) {
		uint32_t v = neg ? (uint32_t)(0u - (uint32_t)mag) : (uint32_t)mag;

		memcpy(dst, &v, sizeof(v));
	} else {
		uint64_t v = neg ? 0u - mag : mag;

		memcpy(dst, &v, sizeof(v));
	}
	return 0;
}

/* get_scalar converts the current node into the storage of one value of |f| at |dst|. */
static int get_scalar(struct walker *w, const char *name, const ProtobufCFieldDescriptor *f,
		      void *dst)
{
	char buf[SHOW_BUF + 16], nb[SHOW_BUF];
	const ProtobufCEnumValue *ev;
	char *s;

	show(nb, name, strlen(name));
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (w->ev.type != YAML_SCALAR_EVENT) {
			return fail(w, "'%s' expects a string, got %s", nb,
				    describe(w, buf, sizeof(buf)));
		}
		/* A C string cannot hold NUL, which a "\0" escape can put into a scalar. */
		if (strlen(sval(w)) != slen(w)) {
			return fail(w, "'%s' holds a NUL character", nb);
		}
		s = malloc(slen(w) + 1);
		if (s == NULL) {
			return oom(w);
		}
		memcpy(s, sval(w), slen(w) + 1);
		*(char **)dst = s;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (w->ev.type != YAML_SCALAR_EVENT || !is_plain(w) ||
		    !(is_text(w, "true") || is_text(w, "false"))) {
			return fail(w, "'%s' expects true or false, got %s", nb,
				    describe(w, buf, sizeof(buf)));
		}
		*(protobuf_c_boolean *)dst = is_text(w, "true");
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		ev = NULL;
		if (w->ev.type == YAML_SCALAR_EVENT && is_plain(w) && strlen(sval(w)) == slen(w)) {
			ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, sval(w));
		}
		if (ev == NULL) {
			return fail(w, "'%s' expects a value of %s, got %s", nb,
				    ((const ProtobufCEnumDescriptor *)f->descriptor)->name,
				    describe(w, buf, sizeof(buf)));
		}
		*(int *)dst = ev->value;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
		return fail(w, "'%s' is of type %s, which pbconv does not convert", nb,
			    type_name(f->type));
	default:
		return get_int(w, name, f, dst);
	}
}

static int fill_message(struct walker *w, ProtobufCMessage *m, unsigned int depth);

/* A message's node must be a mapping or null. */
static int expect_message(struct walker *w, const char *name, const ProtobufCFieldDescriptor *f)
{
	char buf[SHOW_BUF + 16], nb[SHOW_BUF];

	if (w->ev.type == YAML_MAPPING_START_EVENT || is_null(w)) {
		return 0;
	}
	return fail(w, "'%s' expects a mapping (%s), got %s", show(nb, name, strlen(name)),
		    msg_desc(f)->name, describe(w, buf, sizeof(buf)));
}

/* Append one value to repeated |f| of |m|, growing the array by doubling |*cap|. */
static void *append(struct walker *w, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		    size_t *cap)
{
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	void **arr = (void **)((char *)m + f->offset);
	size_t esz = type_size(f->type), nc;
	void *p;

	if (*n == *cap) {
		nc = *cap == 0 ? 4 : *cap * 2;
		if (nc > SIZE_MAX / esz || (p = realloc(*arr, nc * esz)) == NULL) {
			oom(w);
			return NULL;
		}
		*arr = p;
		*cap = nc;
	}
	return (char *)*arr + *n * esz;
}

/* fill_repeated reads a sequence (the current event is its start) into repeated |f|. */
static int fill_repeated(struct walker *w, const char *name, ProtobufCMessage *m,
			 const ProtobufCFieldDescriptor *f, unsigned int depth)
{
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	size_t cap = 0;
	void *slot;
	int rc;

	for (;;) {
		rc = next_node(w);
		if (rc != 0 || w->ev.type == YAML_SEQUENCE_END_EVENT) {
			return rc;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			rc = expect_message(w, name, f);
			if (rc != 0) {
				return rc;
			}
		}
		slot = append(w, m, f, &cap);
		if (slot == NULL) {
			return -ENOMEM;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			rc = new_message(w, msg_desc(f), (ProtobufCMessage **)slot);
			if (rc == 0) {
				(*n)++;
				rc = fill_message(w, *(ProtobufCMessage **)slot, depth + 1);
			}
		} else {
			rc = get_scalar(w, name, f, slot);
			if (rc == 0) {
				(*n)++;
			}
		}
		if (rc != 0) {
			return rc;
		}
	}
}

/*
 * fill_map reads a mapping {k: v} or {k: [a, b]} (the current event is its
 * start) into the repeated key/value entries |f|. |keys| is a JSON object
 * used as a hash set, to find a duplicate key in linear time.
 */
static int fill_map(struct walker *w, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		    unsigned int depth)
{
	const ProtobufCFieldDescriptor *kf, *vf;
	size_t *n = (size_t *)((char *)m + f->quantifier_offset);
	char buf[SHOW_BUF + 16], nb[SHOW_BUF];
	ProtobufCMessage *e;
	json_t *keys = json_object();
	size_t cap = 0;
	void *slot;
	int rc = 0;

	if (keys == NULL) {
		return oom(w);
	}
	map_fields(msg_desc(f), &kf, &vf);
	show(nb, f->name, strlen(f->name));
	for (;;) {
		rc = next_node(w);
		if (rc != 0 || w->ev.type == YAML_MAPPING_END_EVENT) {
			break;
		}
		if (w->ev.type != YAML_SCALAR_EVENT) {
			rc = fail(w, "'%s' keys must be scalars, got %s", nb,
				  describe(w, buf, sizeof(buf)));
			break;
		}
		if (strlen(sval(w)) == slen(w) && json_object_get(keys, sval(w)) != NULL) {
			rc = fail(w, "duplicate key '%s'", show(buf, sval(w), slen(w)));
			break;
		}
		slot = append(w, m, f, &cap);
		if (slot == NULL || new_message(w, msg_desc(f), (ProtobufCMessage **)slot) != 0) {
			rc = -ENOMEM;
			break;
		}
		e = *(ProtobufCMessage **)slot;
		(*n)++;
		rc = get_scalar(w, f->name, kf, (char *)e + kf->offset);
		if (rc == 0 && json_object_set_new_nocheck(keys, sval(w), json_null()) != 0) {
			rc = oom(w);
		}
		if (rc == 0) {
			rc = next_node(w);
		}
		if (rc != 0) {
			break;
		}
		if (vf->label != PROTOBUF_C_LABEL_REPEATED) {
			rc = get_scalar(w, f->name, vf, (char *)e + vf->offset);
		} else if (w->ev.type == YAML_SEQUENCE_START_EVENT) {
			rc = fill_repeated(w, f->name, e, vf, depth + 1);
		} else {
			rc = fail(w, "'%s' expects a sequence for each key, got %s", nb,
				  describe(w, buf, sizeof(buf)));
		}
		if (rc != 0) {
			break;
		}
	}
	json_decref(keys);
	return rc;
}

/* set_field reads the current node into field |f| of |m|, which is still unset. */
static int set_field(struct walker *w, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		     unsigned int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *kf, *vf, *other;
	char buf[SHOW_BUF + 16], nb[SHOW_BUF], ob[SHOW_BUF];
	char *base = (char *)m;
	uint32_t *cs = NULL;
	int rc;

	show(nb, f->name, strlen(f->name));
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (w->ev.type == YAML_SEQUENCE_START_EVENT) {
			return fill_repeated(w, f->name, m, f, depth);
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && map_fields(msg_desc(f), &kf, &vf)) {
			if (w->ev.type == YAML_MAPPING_START_EVENT) {
				return fill_map(w, m, f, depth);
			}
			return fail(w, "'%s' expects a mapping or a sequence, got %s", nb,
				    describe(w, buf, sizeof(buf)));
		}
		return fail(w, "'%s' expects a sequence, got %s", nb,
			    describe(w, buf, sizeof(buf)));
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		cs = (uint32_t *)(base + f->quantifier_offset);
		if (*cs != 0) {
			other = protobuf_c_message_descriptor_get_field(d, *cs);
			return fail(w, "'%s' and '%s' are members of the same oneof; set only one",
				    show(ob, other != NULL ? other->name : "?",
					 other != NULL ? strlen(other->name) : 1), nb);
		}
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		rc = expect_message(w, f->name, f);
		if (rc == 0) {
			rc = new_message(w, msg_desc(f), (ProtobufCMessage **)(base + f->offset));
		}
		if (rc != 0) {
			return rc;
		}
		if (cs != NULL) {
			*cs = f->id;
		}
		return fill_message(w, *(ProtobufCMessage **)(base + f->offset), depth + 1);
	}
	rc = get_scalar(w, f->name, f, base + f->offset);
	if (rc != 0) {
		return rc;
	}
	if (cs != NULL) {
		*cs = f->id;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0) {
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	}
	return 0;
}

/*
 * fill_message reads a mapping, or null for an empty message, into |m|; the
 * current event is the node's first. |seen| marks the fields given, by index
 * in the descriptor, for duplicates and required fields.
 */
static int fill_message(struct walker *w, ProtobufCMessage *m, unsigned int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	yaml_mark_t start = w->ev.start_mark;
	bool mapping = w->ev.type == YAML_MAPPING_START_EVENT;
	char buf[SHOW_BUF + 16];
	bool *seen;
	unsigned int i;
	int rc = 0;

	/* A backstop: check_syntax has refused deeper nesting already. */
	if (depth > PBCONV_MAX_DEPTH) {
		return fail_at(w, -E2BIG, &start, "nesting deeper than %d levels",
			       PBCONV_MAX_DEPTH);
	}
	seen = calloc(d->n_fields + 1, sizeof(*seen));
	if (seen == NULL) {
		return oom(w);
	}
	while (mapping) {
		rc = next_node(w);
		if (rc != 0 || w->ev.type == YAML_MAPPING_END_EVENT) {
			break;
		}
		if (w->ev.type != YAML_SCALAR_EVENT) {
			rc = fail(w, "keys of %s must be scalars, got %s", d->name,
				  describe(w, buf, sizeof(buf)));
			break;
		}
		f = NULL;
		if (strlen(sval(w)) == slen(w)) {
			f = protobuf_c_message_descriptor_get_field_by_name(d, sval(w));
		}
		if (f == NULL) {
			rc = fail(w, "unknown field '%s' in %s", show(buf, sval(w), slen(w)),
				  d->name);
			break;
		}
		if (seen[f - d->fields]) {
			rc = fail(w, "duplicate key '%s'", show(buf, sval(w), slen(w)));
			break;
		}
		seen[f - d->fields] = true;
		rc = next_node(w);
		if (rc == 0) {
			rc = set_field(w, m, f, depth);
		}
		if (rc != 0) {
			break;
		}
	}
	for (i = 0; rc == 0 && i < d->n_fields; i++) {
		if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i]) {
			rc = fail_at(w, -EINVAL, &start, "missing required field '%s' in %s",
				     d->fields[i].name, d->name);
		}
	}
	free(seen);
	return rc;
}

/* walk_stream: nothing (an empty message) or one document, a mapping or null. */
static int walk_stream(struct walker *w, ProtobufCMessage *m)
{
	char buf[SHOW_BUF + 16];
	int rc;

	rc = next(w);			/* STREAM-START */
	if (rc == 0) {
		rc = next(w);
	}
	if (rc != 0 || w->ev.type == YAML_STREAM_END_EVENT) {
		return rc;
	}
	rc = next_node(w);		/* after DOCUMENT-START: the root node */
	if (rc == 0 && w->ev.type != YAML_MAPPING_START_EVENT && !is_null(w)) {
		rc = fail(w, "expected a mapping (%s), got %s", m->descriptor->name,
			  describe(w, buf, sizeof(buf)));
	}
	if (rc == 0) {
		rc = fill_message(w, m, 1);
	}
	if (rc == 0) {
		rc = next(w);		/* DOCUMENT-END */
	}
	if (rc == 0) {
		rc = next(w);
	}
	if (rc == 0 && w->ev.type == YAML_DOCUMENT_START_EVENT) {
		rc = fail(w, "a second YAML document (only one is accepted)");
	}
	return rc;
}

/* check_syntax reads the whole stream for libyaml's errors and the depth limit. */
static int check_syntax(struct walker *w, ProtobufCMessage *m)
{
	unsigned int depth = 0;
	int rc;

	(void)m;
	do {
		rc = next(w);
		if (rc != 0) {
			break;
		}
		if (w->ev.type == YAML_SEQUENCE_START_EVENT ||
		    w->ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > PBCONV_MAX_DEPTH) {
				return fail_at(w, -E2BIG, &w->ev.start_mark,
					       "nesting deeper than %d levels", PBCONV_MAX_DEPTH);
			}
		} else if (w->ev.type == YAML_SEQUENCE_END_EVENT ||
			   w->ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
	} while (w->ev.type != YAML_STREAM_END_EVENT);
	return rc;
}

static int run_pass(struct walker *w, int (*pass)(struct walker *w, ProtobufCMessage *m),
		    ProtobufCMessage *m)
{
	int rc;

	if (!yaml_parser_initialize(&w->yp)) {
		return oom(w);
	}
	yaml_parser_set_input_string(&w->yp, (const unsigned char *)w->text, w->len);
	rc = pass(w, m);
	if (w->have_ev) {
		yaml_event_delete(&w->ev);
		w->have_ev = false;
	}
	yaml_parser_delete(&w->yp);
	return rc;
}

int pbconv_yaml_parse(const char *buf, size_t len, const ProtobufCMessageDescriptor *desc,
		      ProtobufCMessage **out, char *err, size_t errlen)
{
	struct walker w;
	ProtobufCMessage *m = NULL;
	int rc;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = err != NULL ? errlen : 0;
	if (w.errlen > 0) {
		err[0] = '\0';
	}
	if (out != NULL) {
		*out = NULL;
	}
	if (out == NULL || desc == NULL || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC ||
	    (buf == NULL && len != 0)) {
		return fail_at(&w, -EINVAL, NULL, "invalid arguments");
	}
	if (len > PBCONV_MAX_INPUT) {
		return fail_at(&w, -E2BIG, &mark_start,
			       "input of %zu bytes is over the %u MiB limit", len,
			       PBCONV_MAX_INPUT >> 20);
	}
	w.text = buf != NULL ? buf : "";
	w.len = len;
	rc = run_pass(&w, check_syntax, NULL);
	if (rc == 0) {
		rc = new_message(&w, desc, &m);
	}
	if (rc == 0) {
		rc = run_pass(&w, walk_stream, m);
	}
	if (rc != 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return rc;
	}
	*out = m;
	return 0;
}
