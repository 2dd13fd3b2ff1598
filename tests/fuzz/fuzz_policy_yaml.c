/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_policy_yaml.c - libFuzzer harness for control/pbconv on the policy
 * document (slimbridge.control.v1.Policy).
 *
 * pbconv_yaml_parse must answer every input with 0, -EINVAL, -E2BIG or
 * -ENOMEM, never crash or leak, and on failure leave *out NULL and one line
 * of message. A parsed policy must pass protobuf_c_message_check, print as
 * JSON (dumped to /dev/null) and as YAML, and the YAML must parse back into
 * the same message: equal packed bytes, and the same YAML when printed again.
 * The custom mutator restarts from a valid policy now and then and splices in
 * field names and YAML punctuation, so mutations reach the descriptor walk
 * and not only libyaml's scanner.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pbconv.h"
#include "control.pb-c.h"

static const char valid[] =
	"tenants:\n"
	"  - id: acme\n"
	"    trustDomain: acme.example\n"
	"    settings: {slim: {capabilityEnabled: true, allowedOrganizations: [external:globex]}}\n"
	"projects:\n"
	"  - id: p\n"
	"    slimConfig:\n"
	"      enabled: true\n"
	"      allowedOrganizations:\n"
	"        - {organization: external:globex, agents: [a], permissions: [task]}\n"
	"    virtualTeam: {roleMappings: {lead: [internal:fin/a]}}\n"
	"agents:\n"
	"  - id: a\n"
	"    slimConfig:\n"
	"      allowedCallers: [{organization: x, permissions: [query]}]\n"
	"      directoryRegistration: {enabled: false, visibility: public}\n"
	"trustRelationships:\n"
	"  - {id: t, circuitBreaker: {failureThreshold: 3, cooldownSeconds: 300}}\n";

static const char *const tokens[] = {
	"tenants:\n  - ", "apps: ", "projects: ", "teams: ", "agents: ", "trustRelationships: ",
	"contentRuleSets: ", "id: ", "name: ", "settings: ", "slim: ", "capabilityEnabled: ",
	"allowedOrganizations: ", "blockedOrganizations: ", "organization: ", "permissions: ",
	"slimConfig: ", "enabled: ", "virtualTeam: ", "roleMappings: ", "localMembers: ",
	"allowedCallers: ", "allowedTargets: ", "directoryRegistration: ", "circuitBreaker: ",
	"failureThreshold: ", "rules: ", "key: ", "value: ", "true", "false", "{", "}", "[", "]",
	",", "\n", "  ", "- ", ": ", "? ", "&a ", "*a", "!!str ", "!!int ", "!x ", "---\n", "...",
	"#", "\"", "'", "\\0", "\\u2028", "|\n", ">-\n", "~", "null", "0", "-1", "4294967296",
	"18446744073709551616", "\t", "\xef\xbb\xbf", "\xc2\x85", "\xff", "%YAML 1.1\n",
};

static FILE *devnull;

static bool one_line(const char *s)
{
	size_t n = strnlen(s, PBCONV_ERR_MAX);

	return n > 0 && n < PBCONV_ERR_MAX && strchr(s, '\n') == NULL;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *p;

	*n = protobuf_c_message_get_packed_size(m);
	p = malloc(*n + 1);
	CHECK(p != NULL);
	CHECK(protobuf_c_message_pack(m, p) == *n);
	return p;
}

static char *print_yaml(const ProtobufCMessage *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	CHECK(f != NULL);
	CHECK(pbconv_write_yaml(m, f) == 0);
	CHECK(fclose(f) == 0);
	return buf;
}

/* Printed as YAML and parsed back, |m| must come out the same. */
static void check_round_trip(const ProtobufCMessage *m)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *again = NULL;
	size_t len, len2, n, n2;
	char *y = print_yaml(m, &len), *y2;
	uint8_t *a, *b;
	int rc;

	rc = pbconv_yaml_parse(y, len, m->descriptor, &again, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "re-parse failed: %s\n---\n%s---\n", err, y);
		abort();
	}
	a = pack(m, &n);
	b = pack(again, &n2);
	if (n != n2 || memcmp(a, b, n) != 0) {
		fprintf(stderr, "round trip changed the message\n---\n%s---\n", y);
		abort();
	}
	y2 = print_yaml(again, &len2);
	if (len != len2 || memcmp(y, y2, len) != 0) {
		fprintf(stderr, "second print differs\n---\n%s---\n%s---\n", y, y2);
		abort();
	}
	free(a);
	free(b);
	free(y);
	free(y2);
	protobuf_c_message_free_unpacked(again, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PBCONV_ERR_MAX];
	ProtobufCMessage *m = (ProtobufCMessage *)(uintptr_t)1;
	json_t *j;
	int rc;

	if (size > 1 << 16) {
		return 0;
	}
	if (devnull == NULL) {
		devnull = fopen("/dev/null", "w");
		CHECK(devnull != NULL);
	}
	memset(err, 'x', sizeof(err));
	rc = pbconv_yaml_parse((const char *)data, size,
			       &slimbridge__control__v1__policy__descriptor, &m, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
	if (rc != 0) {
		CHECK(m == NULL);
		CHECK(one_line(err));
		return 0;
	}
	CHECK(m != NULL && err[0] == '\0');
	CHECK(protobuf_c_message_check(m));
	j = pbconv_to_json(m);
	CHECK(j != NULL);
	CHECK(json_dumpf(j, devnull, JSON_COMPACT) == 0);
	json_decref(j);
	CHECK(pbconv_write_yaml(m, devnull) == 0);
	check_round_trip(m);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed | 1;

	if (size == 0 || rnd(&s) % 8 == 0) {
		size = sizeof(valid) - 1 < max_size ? sizeof(valid) - 1 : max_size;
		memcpy(data, valid, size);
	}
	if (rnd(&s) % 2 == 0) {
		const char *t = tokens[rnd(&s) % (sizeof(tokens) / sizeof(tokens[0]))];
		size_t tl = strlen(t), at = size ? rnd(&s) % (size + 1) : 0;

		if (size + tl <= max_size) {
			memmove(data + at + tl, data + at, size - at);
			memcpy(data + at, t, tl);
			size += tl;
		}
		return size;
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
