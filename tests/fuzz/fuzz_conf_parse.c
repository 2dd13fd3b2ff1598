/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_conf_parse.c - libFuzzer harness for the YAML configuration parser.
 *
 * conf_parse must answer every document with 0 or -EINVAL (-ENOMEM only if
 * libyaml runs out of memory), never crash, and on failure leave one line of
 * message and the defaults in the struct; on success every value is in its
 * documented range. The custom mutator restarts from a valid document now and
 * then and splices in schema keys, so mutations reach the validators and not
 * only the YAML scanner.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "conf.h"



static const char valid[] =
	"workers: 2\n"
	"burst: 32\n"
	"mempool: {mbufs: 8191, cache: 256}\n"
	"neighbour: {capacity: 1024, timeout: 300}\n"
	"shm: {name: slimbridge}\n"
	"ports:\n"
	"  - name: net_tap0\n"
	"    ipv4: 192.0.2.1/24\n"
	"    ipv6: 2001:db8::1/64\n"
	"    mtu: 1500\n"
	"    rx_desc: 1024\n"
	"    tx_desc: 1024\n"
	"    impair: {drop: 0.01, duplicate: 0.001, reorder: 0.01, seed: 1}\n";

static const char *const tokens[] = {
	"workers: ", "burst: ", "mempool: ", "mbufs: ", "cache: ", "neighbour: ", "capacity: ",
	"timeout: ", "shm: ", "name: ", "ports:\n  - ", "ipv4: ", "ipv6: ", "mtu: ", "rx_desc: ",
	"tx_desc: ", "impair: ", "drop: ", "duplicate: ", "reorder: ", "seed: ", "{", "}", "[",
	"]", ",", "\n", "  ", "- ", ": ", "&a ", "*a", "!!int ", "---\n", "...", "#", "\"", "'",
	"0", "1", "4294967296", "18446744073709551616", "-1", "0.5", "1e-3", "nan", "/", "::",
	"255.255.255.255", "fe80::1", "\t", "\xef\xbb\xbf", "\xff",
};

static bool one_line(const char *s)
{
	size_t n = strnlen(s, CONF_ERR_MAX);

	return n > 0 && n < CONF_ERR_MAX && strchr(s, '\n') == NULL;
}

static void check_ok(const struct conf *c)
{
	CHECK(c->workers <= 127);
	CHECK(c->burst >= 1 && c->burst <= 256);
	CHECK(c->mbufs >= 1023 && c->mbufs <= 1048575);
	CHECK(c->mbuf_cache <= 512);
	CHECK(c->neigh_capacity >= 16 && c->neigh_capacity <= 1048576);
	CHECK(c->neigh_timeout_s >= 1 && c->neigh_timeout_s <= 86400);
	CHECK(c->shm_name[0] != '\0' && memchr(c->shm_name, '\0', CONF_NAME_MAX) != NULL);
	CHECK(c->nb_ports <= CONF_MAX_PORTS);
	for (uint16_t i = 0; i < c->nb_ports; i++) {
		const struct conf_port *p = &c->ports[i];

		CHECK(p->name[0] != '\0' && memchr(p->name, '\0', CONF_NAME_MAX) != NULL);
		CHECK(p->mtu >= 1280 && p->mtu <= 9000);
		CHECK(p->rx_desc >= 64 && (p->rx_desc & (p->rx_desc - 1)) == 0);
		CHECK(p->tx_desc >= 64 && (p->tx_desc & (p->tx_desc - 1)) == 0);
		CHECK(!p->has_ip4 || (p->ip4_prefix >= 1 && p->ip4_prefix <= 32));
		CHECK(!p->has_ip6 || (p->ip6_prefix >= 1 && p->ip6_prefix <= 128));
		CHECK(p->impair.drop >= 0 && p->impair.drop <= 1);
		CHECK(p->impair.duplicate >= 0 && p->impair.duplicate <= 1);
		CHECK(p->impair.reorder >= 0 && p->impair.reorder <= 1);
		CHECK(p->impair.enabled ==
		      (p->impair.drop > 0 || p->impair.duplicate > 0 || p->impair.reorder > 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c, defaults;
	char err[CONF_ERR_MAX];
	int rc;

	if (size > 1 << 16) {
		return 0;
	}
	conf_defaults(&defaults);
	memset(err, 0, sizeof(err));
	rc = conf_parse(&c, "fuzz", (const char *)data, size, err);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		check_ok(&c);
	} else {
		CHECK(one_line(err));
		CHECK(memcmp(&c, &defaults, sizeof(c)) == 0);
	}
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
