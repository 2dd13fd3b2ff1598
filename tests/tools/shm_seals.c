/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm-seals - prints the SEALS table (SB_POL_TABLE_SEALS) of a control
 * process's published policy snapshot, for tests
 * (tests/integration/test_trust.py):
 *
 *   shm-seals SHM-NAME
 *
 * The first line is {"epoch": E, "seals": N}; then one JSON object per
 * seal, one per line, in table order:
 *   {"trust": "acme-partner", "index": 0, "index_ok": true, "mode": "aes",
 *    "state": "ready", "family": 4, "addr": "127.0.0.1", "port": 46357,
 *    "group": "sbseal:...", "peer_td": "b.example", "own_leaf": 0,
 *    "peer_leaf": 1, "epoch": 1, "prev_epoch": 0, "send_prev": false,
 *    "secret": "hex", "prev_secret": "hex", "rekey_messages": 1000000,
 *    "dp_token": 0, "mls_record": false}
 * ("index_ok": the TRUSTS entry at "index" of the same snapshot has this
 * trust id; "mls_record": the MLS table has an epoch record for the group.)
 * Secrets are printed: this is a test tool, and the policy object it reads
 * is readable only by the control process's group (mode 0640).
 *
 * Reading as shm-bundles does: the active snapshot copied out under the
 * epoch/in_progress protocol, shm_snapshot_valid, policy_view_init, then
 * policy_seals_check. It never writes to shared memory.
 *
 * Exit status: 0 printed, 2 usage, 3 no policy object or no SEALS table,
 * 4 the snapshot or the table refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "policy.h"
#include "policy_mls.h"
#include "policy_seals.h"
#include "shm/shm_abi.h"
#include "shm_snap.h"
#include "shm/shm_name.h"
#include "shm/shm_reader.h"

enum { EXIT_USAGE = 2, EXIT_MISSING = 3, EXIT_BAD = 4 };

static int print_line(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	if (s == NULL) {
		return -ENOMEM;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	}
}

int main(int argc, char **argv)
{
	struct sb_shm_snapshot *s;
	struct policy_view v;
	const char *why = "";
	const void *tab, *mls;
	uint64_t size = 0, msize = 0;
	int n;

	if (argc != 2 || !sb_shm_name_valid(argv[1])) {
		fprintf(stderr, "usage: shm-seals SHM-NAME\n");
		return EXIT_USAGE;
	}
	s = shm_snap_read(argv[1], &why);
	if (s == NULL) {
		fprintf(stderr, "shm-seals: %s\n", why);
		return EXIT_MISSING;
	}
	if (policy_view_init(&v, s, &why) != 0) {
		fprintf(stderr, "shm-seals: %s\n", why);
		free(s);
		return EXIT_BAD;
	}
	tab = policy_seals_table(s, &size);
	if (tab == NULL) {
		fprintf(stderr, "shm-seals: no SEALS table in the snapshot\n");
		free(s);
		return EXIT_MISSING;
	}
	n = policy_seals_check(tab, size, &why);
	if (n < 0) {
		fprintf(stderr, "shm-seals: %s\n", why);
		free(s);
		return EXIT_BAD;
	}
	mls = policy_mls_table(s, &msize);
	if (mls != NULL && policy_mls_check(mls, msize, &why) < 0) {
		mls = NULL;
	}
	print_line(json_pack("{s:I, s:i}", "epoch", (json_int_t)s->epoch, "seals", n));
	for (uint32_t i = 0; i < (uint32_t)n; i++) {
		struct policy_seal ps;
		struct policy_mls_group g;
		char addr[INET6_ADDRSTRLEN] = "", sec[65], prev[65];
		const char *name;
		bool index_ok;

		if (policy_seals_get(tab, i, &ps) < 0) {
			free(s);
			return EXIT_BAD;
		}
		name = ps.s->trust < v.nb_trusts ? policy_string(&v, v.trusts[ps.s->trust].name) : "";
		index_ok = strlen(name) == ps.trust_id_len &&
			   memcmp(name, ps.trust_id, ps.trust_id_len) == 0;
		inet_ntop(ps.s->family == 4 ? AF_INET : AF_INET6, ps.s->addr, addr, sizeof(addr));
		hex(ps.s->secret, sizeof(ps.s->secret), sec);
		hex(ps.s->prev_secret, sizeof(ps.s->prev_secret), prev);
		print_line(json_pack("{s:s%, s:i, s:b, s:s, s:s, s:i, s:s, s:i, s:s%, s:s%, s:i, s:i,"
				     " s:I, s:I, s:b, s:s, s:s, s:I, s:I, s:b}",
				     "trust", ps.trust_id, ps.trust_id_len, "index", (int)ps.s->trust,
				     "index_ok", index_ok,
				     "mode", ps.s->mode == SB_POL_SEAL_MLS ? "mls" : "aes",
				     "state", ps.s->state == SB_POL_SEAL_READY ? "ready" : "none",
				     "family", (int)ps.s->family, "addr", addr, "port", (int)ps.s->port,
				     "group", (const char *)ps.group_id, (size_t)ps.s->group_id_len,
				     "peer_td", ps.peer_td, (size_t)ps.s->peer_td_len,
				     "own_leaf", (int)ps.s->own_leaf, "peer_leaf", (int)ps.s->peer_leaf,
				     "epoch", (json_int_t)ps.s->epoch,
				     "prev_epoch", (json_int_t)ps.s->prev_epoch,
				     "send_prev", (ps.s->flags & SB_POL_SEAL_F_SEND_PREV) != 0,
				     "secret", sec, "prev_secret", prev,
				     "rekey_messages", (json_int_t)ps.s->rekey_messages,
				     "dp_token", (json_int_t)ps.s->dp_token,
				     "mls_record", mls != NULL &&
						   policy_mls_find(mls, ps.group_id, ps.s->group_id_len,
								   &g) == 0));
	}
	free(s);
	return 0;
}
