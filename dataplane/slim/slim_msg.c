/* SPDX-License-Identifier: Apache-2.0 */
/* slim_msg.c - checks on decoded SLIM messages; see slim_msg.h. */
#include "slim_msg.h"

#include <stdint.h>

static bool valid(const ProtobufCMessage *m, unsigned depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const uint8_t *base = (const uint8_t *)m;

	if (depth > SLIM_MSG_MAX_DEPTH) {
		return false;
	}
	for (unsigned i = 0; i < m->n_unknown_fields; i++) {
		if (m->unknown_fields[i].tag == 0) {
			return false;
		}
	}
	for (unsigned f = 0; f < d->n_fields; f++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[f];

		if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
			continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + fd->offset);

			for (size_t k = 0; k < n; k++) {
				if (arr[k] != NULL && !valid(arr[k], depth + 1)) {
					return false;
				}
			}
			continue;
		}
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + fd->quantifier_offset) != fd->id) {
			continue; /* another member of the oneof is set */
		}
		{
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + fd->offset);

			if (sub != NULL && !valid(sub, depth + 1)) {
				return false;
			}
		}
	}
	return true;
}

bool slim_msg_valid(const ProtobufCMessage *m)
{
	return m != NULL && valid(m, 0);
}
