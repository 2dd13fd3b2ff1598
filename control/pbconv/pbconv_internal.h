/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbconv_internal.h - descriptor helpers shared by pbconv.c (YAML -> message)
 * and pbconv_print.c (message -> JSON, YAML). Not part of the API.
 */
#ifndef SB_PBCONV_INTERNAL_H
#define SB_PBCONV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

static inline size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:		/* 32-bit integers, enums (int-sized), float */
		return sizeof(uint32_t);
	}
}

static inline const ProtobufCMessageDescriptor *msg_desc(const ProtobufCFieldDescriptor *f)
{
	return (const ProtobufCMessageDescriptor *)f->descriptor;
}

/*
 * map_fields: whether |d| is a key/value entry (exactly the fields `key`, a
 * singular string, and `value`, a string or repeated string, neither in a
 * oneof) that YAML and JSON write as a mapping; if so, its two fields.
 */
static inline bool map_fields(const ProtobufCMessageDescriptor *d,
			      const ProtobufCFieldDescriptor **k,
			      const ProtobufCFieldDescriptor **v)
{
	bool two = d->n_fields == 2;

	*k = two ? protobuf_c_message_descriptor_get_field_by_name(d, "key") : NULL;
	*v = two ? protobuf_c_message_descriptor_get_field_by_name(d, "value") : NULL;
	return *k != NULL && *v != NULL && (*k)->type == PROTOBUF_C_TYPE_STRING &&
	       (*k)->label != PROTOBUF_C_LABEL_REPEATED && (*v)->type == PROTOBUF_C_TYPE_STRING &&
	       ((*k)->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0 &&
	       ((*v)->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0;
}

#endif
