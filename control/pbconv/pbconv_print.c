/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbconv_print.c - protobuf-c messages -> JSON (jansson) and YAML (libyaml's
 * emitter, which decides the quoting), in the shape pbconv_yaml_parse reads.
 *
 * A field is printed when present as the wire format sees it: has_ set,
 * non-NULL and non-default strings and messages, non-empty repeated fields,
 * the selected oneof member. Strings are checked for UTF-8 first, so that a
 * bad one is reported as EILSEQ and not as a failed allocation.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "pbconv.h"
#include "pbconv_internal.h"

/* utf8_ok: well-formed UTF-8, no overlong forms, surrogates or values over U+10FFFF. */
static bool utf8_ok(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t v, min;
	size_t k, j;

	while (*s != 0) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			k = 1, v = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			k = 2, v = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			k = 3, v = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (j = 1; j <= k; j++) {
			if ((s[j] & 0xc0) != 0x80) {	/* also stops at the NUL */
				return false;
			}
			v = v << 6 | (s[j] & 0x3f);
		}
		if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
			return false;
		}
		s += k + 1;
	}
	return true;
}

/* value_ptr: where the |i|th value of |f| in |m| is stored. */
static const void *value_ptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
			     size_t i)
{
	const char *p = (const char *)m + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		p = *(const char *const *)p + i * type_size(f->type);
	}
	return p;
}

/* field_count: the number of values of |f| present in |m| (0 or 1 unless repeated). */
static size_t field_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *p = base + f->offset;
	uint64_t zero = 0;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)(base + f->quantifier_offset) != f->id) {
			return 0;
		}
	} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		return *(const void *const *)p == NULL ? 0 :
		       *(const size_t *)(base + f->quantifier_offset);
	} else if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0) {
			return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
		}
		/* proto3 scalars without presence: absent when zero, as on the wire. */
		return f->label != PROTOBUF_C_LABEL_NONE ||
		       memcmp(p, &zero, type_size(f->type)) != 0;
	}
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(const char *const *)p;

		return s != NULL && s != f->default_value &&
		       (f->label != PROTOBUF_C_LABEL_NONE || s[0] != '\0');
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		return *(const void *const *)p != NULL;
	}
	return 1;
}

/*
 * map_form: 1 if repeated message |f| of |m| is written as a mapping: key/value
 * entries, each with a valid UTF-8 key (and its value, if singular), keys
 * distinct. 0 if not, -ENOMEM.
 */
static int map_form(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCFieldDescriptor *kf, *vf;
	const ProtobufCMessage *e;
	size_t i, n = field_count(m, f);
	json_t *keys;
	const char *k;
	int rc = 1;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE || !map_fields(msg_desc(f), &kf, &vf)) {
		return 0;
	}
	keys = json_object();
	if (keys == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n && rc == 1; i++) {
		e = *(const ProtobufCMessage *const *)value_ptr(m, f, i);
		if (e == NULL || field_count(e, kf) == 0 ||
		    (vf->label != PROTOBUF_C_LABEL_REPEATED && field_count(e, vf) == 0)) {
			rc = 0;
			break;
		}
		k = *(const char *const *)value_ptr(e, kf, 0);
		if (!utf8_ok(k) || json_object_get(keys, k) != NULL) {
			rc = 0;
		} else if (json_object_set_new_nocheck(keys, k, json_null()) != 0) {
			rc = -ENOMEM;
		}
	}
	json_decref(keys);
	return rc;
}

static json_t *message_json(const ProtobufCMessage *m, int *e);

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *p, int *e)
{
	const ProtobufCEnumValue *ev;
	char num[24];
	uint64_t u;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		u = *(const uint64_t *)p;
		if (u <= INT64_MAX) {
			return json_integer((json_int_t)u);
		}
		snprintf(num, sizeof(num), "%" PRIu64, u);
		return json_string(num);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		return ev != NULL ? json_string(ev->name) : json_integer(*(const int *)p);
	case PROTOBUF_C_TYPE_STRING:
		if (!utf8_ok(*(const char *const *)p)) {
			*e = EILSEQ;
			return NULL;
		}
		return json_string(*(const char *const *)p);
	case PROTOBUF_C_TYPE_MESSAGE:
		return message_json(*(const ProtobufCMessage *const *)p, e);
	default:
		*e = ENOTSUP;
		return NULL;
	}
}

/* map_json: key/value entries |f| of |m|, checked by map_form, as an object. */
static json_t *map_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int *e)
{
	const ProtobufCFieldDescriptor *kf, *vf;
	const ProtobufCMessage *ent;
	json_t *o = json_object(), *v, *x;
	size_t i, j, n = field_count(m, f);

	map_fields(msg_desc(f), &kf, &vf);
	for (i = 0; i < n && o != NULL; i++) {
		ent = *(const ProtobufCMessage *const *)value_ptr(m, f, i);
		if (vf->label == PROTOBUF_C_LABEL_REPEATED) {
			v = json_array();
			for (j = 0; j < field_count(ent, vf) && v != NULL; j++) {
				x = value_json(vf, value_ptr(ent, vf, j), e);
				if (json_array_append_new(v, x) != 0) {
					json_decref(v);
					v = NULL;
				}
			}
		} else {
			v = value_json(vf, value_ptr(ent, vf, 0), e);
		}
		if (v == NULL || json_object_set_new(o, *(const char *const *)value_ptr(ent, kf, 0),
						     v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

static json_t *message_json(const ProtobufCMessage *m, int *e)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	json_t *o = json_object(), *v, *x;
	size_t i, n;
	unsigned int k;
	int mf;

	for (k = 0; k < d->n_fields && o != NULL; k++) {
		f = &d->fields[k];
		n = field_count(m, f);
		if (n == 0) {
			continue;
		}
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			v = value_json(f, value_ptr(m, f, 0), e);
		} else if ((mf = map_form(m, f)) != 0) {
			v = mf > 0 ? map_json(m, f, e) : NULL;
		} else {
			v = json_array();
			for (i = 0; i < n && v != NULL; i++) {
				x = value_json(f, value_ptr(m, f, i), e);
				if (json_array_append_new(v, x) != 0) {
					json_decref(v);
					v = NULL;
				}
			}
		}
		if (v == NULL || json_object_set_new_nocheck(o, f->name, v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

json_t *pbconv_to_json(const ProtobufCMessage *m)
{
	int e = 0;
	json_t *j;

	if (m == NULL) {
		errno = EINVAL;
		return NULL;
	}
	j = message_json(m, &e);
	if (j == NULL) {
		errno = e != 0 ? e : ENOMEM;
	}
	return j;
}

/* Strings that YAML (1.1 or 1.2) would read as null, a bool or a number. */
static bool looks_typed(const char *s, size_t n)
{
	static const char *const words[] = {
		"~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
		".inf", "-.inf", "+.inf", ".nan",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (n == strlen(words[i]) && strncasecmp(s, words[i], n) == 0) {
			return true;
		}
	}
	if (n > 1 && (s[0] == '-' || s[0] == '+' || s[0] == '.')) {
		s++;
	}
	return (s[0] >= '0' && s[0] <= '9') || (s[0] == '.' && s[1] >= '0' && s[1] <= '9');
}

/*
 * str_style: a type-like or empty string is single-quoted for other YAML
 * readers' sake; control characters and the characters libyaml treats as
 * line breaks or a byte-order mark get double quotes, whose escapes survive a
 * round trip; libyaml picks the rest.
 */
static yaml_scalar_style_t str_style(const char *s, size_t n)
{
	static const char *const special[] = { "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9",
						"\xef\xbb\xbf" };
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		}
	}
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		if (strstr(s, special[i]) != NULL) {
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		}
	}
	if (n == 0 || looks_typed(s, n)) {
		return YAML_SINGLE_QUOTED_SCALAR_STYLE;
	}
	return YAML_ANY_SCALAR_STYLE;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev, int init_ok)
{
	if (!init_ok) {
		return -ENOMEM;
	}
	/* The emitter owns the event from here, emitted or not. */
	if (yaml_emitter_emit(em, ev)) {
		return 0;
	}
	return em->error == YAML_MEMORY_ERROR ? -ENOMEM :
	       em->error == YAML_WRITER_ERROR ? -EIO : -EINVAL;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	size_t n = strlen(s);

	if (!utf8_ok(s)) {
		return -EILSEQ;
	}
	if (n > INT_MAX) {
		return -E2BIG;
	}
	return emit(em, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
							  (int)n, 1, 1, style));
}

static int emit_start(yaml_emitter_t *em, bool mapping, bool flow)
{
	yaml_event_t ev;

	if (mapping) {
		return emit(em, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
				flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
	}
	return emit(em, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static int emit_end(yaml_emitter_t *em, bool mapping)
{
	yaml_event_t ev;

	if (mapping) {
		return emit(em, &ev, yaml_mapping_end_event_initialize(&ev));
	}
	return emit(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

static int emit_message(yaml_emitter_t *em, const ProtobufCMessage *m);

static int emit_value(yaml_emitter_t *em, const ProtobufCFieldDescriptor *f, const void *p)
{
	const ProtobufCEnumValue *ev;
	const char *s;
	char num[24];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(num, sizeof(num), "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(num, sizeof(num), "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(num, sizeof(num), "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		return emit_scalar(em, *(const protobuf_c_boolean *)p ? "true" : "false",
				   YAML_PLAIN_SCALAR_STYLE);
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		if (ev != NULL) {
			return emit_scalar(em, ev->name, YAML_ANY_SCALAR_STYLE);
		}
		snprintf(num, sizeof(num), "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING:
		s = *(const char *const *)p;
		return emit_scalar(em, s, str_style(s, strlen(s)));
	case PROTOBUF_C_TYPE_MESSAGE:
		return emit_message(em, *(const ProtobufCMessage *const *)p);
	default:
		return -ENOTSUP;
	}
	return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
}

/* emit_values: the values of |f| in |m|; a repeated one as a sequence, flow unless of messages. */
static int emit_values(yaml_emitter_t *em, const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *f)
{
	size_t i, n = field_count(m, f);
	int rc;

	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		return emit_value(em, f, value_ptr(m, f, 0));
	}
	rc = emit_start(em, false, f->type != PROTOBUF_C_TYPE_MESSAGE);
	for (i = 0; i < n && rc == 0; i++) {
		rc = emit_value(em, f, value_ptr(m, f, i));
	}
	return rc != 0 ? rc : emit_end(em, false);
}

static int emit_map(yaml_emitter_t *em, const ProtobufCMessage *m,
		    const ProtobufCFieldDescriptor *f)
{
	const ProtobufCFieldDescriptor *kf, *vf;
	const ProtobufCMessage *e;
	size_t i, n = field_count(m, f);
	const char *k;
	int rc;

	map_fields(msg_desc(f), &kf, &vf);
	rc = emit_start(em, true, false);
	for (i = 0; i < n && rc == 0; i++) {
		e = *(const ProtobufCMessage *const *)value_ptr(m, f, i);
		k = *(const char *const *)value_ptr(e, kf, 0);
		rc = emit_scalar(em, k, str_style(k, strlen(k)));
		if (rc == 0) {
			rc = emit_values(em, e, vf);
		}
	}
	return rc != 0 ? rc : emit_end(em, true);
}

static int emit_message(yaml_emitter_t *em, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	unsigned int k;
	int rc, mf;

	rc = emit_start(em, true, false);
	for (k = 0; k < d->n_fields && rc == 0; k++) {
		f = &d->fields[k];
		if (field_count(m, f) == 0) {
			continue;
		}
		rc = emit_scalar(em, f->name, YAML_ANY_SCALAR_STYLE);
		if (rc != 0) {
			break;
		}
		mf = f->label == PROTOBUF_C_LABEL_REPEATED ? map_form(m, f) : 0;
		if (mf < 0) {
			rc = mf;
		} else if (mf > 0) {
			rc = emit_map(em, m, f);
		} else {
			rc = emit_values(em, m, f);
		}
	}
	return rc != 0 ? rc : emit_end(em, true);
}

int pbconv_write_yaml(const ProtobufCMessage *m, FILE *f)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc;

	if (m == NULL || f == NULL) {
		return -EINVAL;
	}
	if (!yaml_emitter_initialize(&em)) {
		return -ENOMEM;
	}
	yaml_emitter_set_output_file(&em, f);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_width(&em, -1);	/* never fold a long string */
	rc = emit(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (rc == 0) {
		rc = emit(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	}
	if (rc == 0) {
		rc = emit_message(&em, m);
	}
	if (rc == 0) {
		rc = emit(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
	}
	if (rc == 0) {
		rc = emit(&em, &ev, yaml_stream_end_event_initialize(&ev));
	}
	if (rc == 0 && !yaml_emitter_flush(&em)) {
		rc = em.error == YAML_MEMORY_ERROR ? -ENOMEM : -EIO;
	}
	yaml_emitter_delete(&em);
	return rc;
}
