/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm-bundles - prints the BUNDLES table (SB_POL_TABLE_BUNDLES) of a
 * control process's published policy snapshot, for tests
 * (tests/integration/test_federation.py):
 *
 *   shm-bundles SHM-NAME
 *
 * One JSON object per trust domain, one per line, in table order:
 *   {"td": "a.example", "sequence": 2, "length": 412, "keys": 2,
 *    "document": "{...}"}
 * ("keys": the jwt-svid keys id_bundle_parse keeps, as the data plane would
 * parse the document). The first line is {"epoch": E, "bundles": N}.
 *
 * Reading: /dev/shm/SHM-NAME.policy is mapped read-only and the active
 * snapshot copied out under the epoch/in_progress protocol of
 * proto/shm/shm_abi.h; it must pass shm_snapshot_valid and policy_view_init
 * (the policy tables still accepted with the extra tables among them), then
 * policy_bundles_check. It never writes to shared memory.
 *
 * Exit status: 0 printed, 2 usage, 3 no policy object or no BUNDLES table,
 * 4 the snapshot or the table refused (or a document that does not parse).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "id_bundle.h"
#include "policy.h"
#include "policy_bundles.h"
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

int main(int argc, char **argv)
{
	struct sb_shm_snapshot *s;
	struct policy_view v;
	const char *why = "";
	const void *tab;
	uint64_t size = 0;
	int n, code = 0;

	if (argc != 2 || !sb_shm_name_valid(argv[1])) {
		fprintf(stderr, "usage: shm-bundles SHM-NAME\n");
		return EXIT_USAGE;
	}
	s = shm_snap_read(argv[1], &why);
	if (s == NULL) {
		fprintf(stderr, "shm-bundles: %s\n", why);
		return EXIT_MISSING;
	}
	if (policy_view_init(&v, s, &why) != 0) {
		fprintf(stderr, "shm-bundles: %s\n", why);
		free(s);
		return EXIT_BAD;
	}
	tab = policy_bundles_table(s, &size);
	if (tab == NULL) {
		fprintf(stderr, "shm-bundles: no BUNDLES table in the snapshot\n");
		free(s);
		return EXIT_MISSING;
	}
	n = policy_bundles_check(tab, size, &why);
	if (n < 0) {
		fprintf(stderr, "shm-bundles: %s\n", why);
		free(s);
		return EXIT_BAD;
	}
	print_line(json_pack("{s:I, s:i}", "epoch", (json_int_t)s->epoch, "bundles", n));
	for (uint32_t i = 0; i < (uint32_t)n; i++) {
		struct policy_bundle b;
		struct id_bundle *ib = NULL;
		char err[256] = "";

		if (policy_bundles_get(tab, i, &b) < 0 ||
		    id_bundle_parse(b.td, b.td_len, b.json, b.json_len, &ib, err, sizeof(err)) < 0) {
			fprintf(stderr, "shm-bundles: bundle %u: %s\n", i, err[0] ? err : "unreadable");
			code = EXIT_BAD;
			continue;
		}
		print_line(json_pack("{s:s%, s:I, s:I, s:i, s:s%}", "td", b.td, b.td_len, "sequence",
				     (json_int_t)b.sequence, "length", (json_int_t)b.json_len, "keys",
				     (int)ib->n_keys, "document", (const char *)b.json, b.json_len));
		id_bundle_free(ib);
	}
	free(s);
	return code;
}
