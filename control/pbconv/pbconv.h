/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbconv.h - YAML and JSON <-> protobuf-c messages, driven by the message
 * descriptors, so one converter serves every message of the control API
 * (slimbridge.control.v1): `slimbridge apply -f policy.yaml` parses into a
 * Policy, `get` prints messages as JSON or YAML.
 *
 * The YAML shape is the message's: a mapping whose keys are the field names
 * exactly as in the .proto (descriptor `name`, e.g. capabilityEnabled).
 *
 *   string             any scalar, as text (quoted or not)
 *   bool               plain true or false, nothing else
 *   (s|u)int32/64,
 *   (s)fixed32/64      a plain decimal integer, range-checked
 *   enum               a plain value name as in the .proto
 *   message            a mapping; null (~, empty) or {} is an empty message
 *   repeated           a sequence (block or flow), never a bare scalar
 *   key/value entries  a repeated message whose type has exactly the two fields
 *                      `key` (string) and `value` (string or repeated string)
 *                      may also be written as a mapping: {k: v} or {k: [a, b]}
 *   oneof              at most one member set
 *
 * float, double and bytes fields are not converted: the parser refuses them
 * and the printers fail on a message where one is present.
 *
 * Aliases, anchors, tags other than the standard !!str !!int !!bool !!null
 * !!float !!map !!seq, unknown and duplicate keys, a second document and
 * missing proto2 required fields are errors. Error messages are one line,
 * "LINE:COL: what" (1-based, from libyaml's marks), e.g.
 *
 *   12:5: unknown field 'enabeld' in slimbridge.control.v1.AgentSlimConfig
 *   3:20: 'capabilityEnabled' expects true or false, got 'yes please'
 *
 * so that a caller can prefix the file name. Nothing here keeps state: every
 * function may be called from any thread.
 */
#ifndef SB_PBCONV_H
#define SB_PBCONV_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#define PBCONV_MAX_INPUT (16u << 20)	/* bytes of YAML pbconv_yaml_parse accepts */
#define PBCONV_MAX_DEPTH 32		/* nested mappings and sequences, the root counting 1 */
#define PBCONV_ERR_MAX 256		/* err buffer size that holds messages whole (see below) */

/*
 * pbconv_yaml_parse parses the single YAML document in |buf| (|len| bytes,
 * need not be NUL-terminated) into a new message of type |desc|.
 *
 * An empty stream, a document holding only null and {} all give an empty
 * message. On success returns 0 and stores the message in |*out|; the caller
 * owns it and frees it with protobuf_c_message_free_unpacked(*out, NULL)
 * (every part is allocated with malloc, as the default allocator does).
 *
 * On failure |*out| is NULL, nothing is left allocated, and when |errlen| > 0
 * |err| holds a NUL-terminated one-line message, cut to |errlen| bytes
 * (PBCONV_ERR_MAX holds any message about slimbridge.control.v1 whole: keys
 * and values are quoted up to 48 bytes, message type names in full). Returns:
 *   -EINVAL  the YAML is invalid or does not fit the message ("LINE:COL: what"),
 *            or |desc| or |out| is NULL, or |buf| is NULL with |len| > 0;
 *   -E2BIG   |len| is over PBCONV_MAX_INPUT ("1:1: ...") or collections nest
 *            deeper than PBCONV_MAX_DEPTH ("LINE:COL: ..." of the first too deep);
 *   -ENOMEM  out of memory.
 */
int pbconv_yaml_parse(const char *buf, size_t len, const ProtobufCMessageDescriptor *desc,
		      ProtobufCMessage **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * pbconv_to_json returns a new JSON object holding the present fields of |m|
 * (has_ set, non-NULL strings and messages, repeated fields with at least one
 * element; the member set for a oneof), keyed by the field names of the
 * .proto in field-number order. Bools are JSON booleans, integers JSON
 * integers except a uint64/fixed64 over INT64_MAX, which is a decimal string;
 * enums are value names (an unknown value is its number); repeated fields are
 * arrays; key/value entries (see above) are an object when every entry has a
 * key, the keys are distinct and each singular value is set, else an array.
 *
 * |m| must be a well-formed message (protobuf_c_message_check accepts it):
 * what pbconv_yaml_parse or protobuf_c_message_unpack returns, or one built
 * with the generated __INIT macros.
 *
 * The caller owns the result (json_decref). Returns NULL with errno ENOMEM on
 * allocation failure, EILSEQ if a string is not valid UTF-8, ENOTSUP if a
 * float, double or bytes field is present, EINVAL if |m| is NULL.
 */
json_t *pbconv_to_json(const ProtobufCMessage *m) __attribute__((warn_unused_result));

/*
 * pbconv_write_yaml writes |m| to |f| as one YAML document in the shape
 * pbconv_yaml_parse reads, so that parsing the output gives a message equal
 * to |m| (fields as pbconv_to_json selects them; key/value entries as a
 * mapping under the same conditions; scalar lists in flow style; strings that
 * YAML would read as another type quoted). An enum value without a name is
 * written as its number, which does not parse back. |m| must be well-formed,
 * as for pbconv_to_json.
 *
 * Returns 0, or -EINVAL if |m| or |f| is NULL, -EILSEQ if a string is not
 * valid UTF-8, -ENOTSUP if a float, double or bytes field is present, -E2BIG
 * if a string is over INT_MAX bytes, -ENOMEM, or -EIO if writing |f| failed.
 * On failure |f| may hold part of the document. Does not close |f|.
 */
int pbconv_write_yaml(const ProtobufCMessage *m, FILE *f) __attribute__((warn_unused_result));

#endif
