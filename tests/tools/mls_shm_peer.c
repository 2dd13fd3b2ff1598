/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls-shm-peer - a stand-in for the data plane's MLS path (issue 10), for
 * tests: it reads a control process's published policy snapshot the way
 * the data plane does, takes one group's epoch record from the MLS table,
 * builds the fast path's sending and receiving state from it
 * (mls_export_app_new) on an AEAD engine, and protects or unprotects
 * application messages.
 *
 *   mls-shm-peer [--epoch N] [--timeout MS] SHM-NAME protect GROUP HEX...
 *       prints one MLSMessage (hex) per payload, generations 0, 1, ...
 *   mls-shm-peer [--epoch N] [--timeout MS] SHM-NAME unprotect GROUP HEX...
 *       opens each message with one receiver (so a replay is refused) and
 *       prints "LEAF PAYLOAD-HEX" per message, or "drop REASON" and exits 1
 *       at the first that is refused
 *   mls-shm-peer [--epoch N] [--timeout MS] SHM-NAME show GROUP
 *       prints "epoch E own_leaf L members M"
 *
 * Reading: /dev/shm/SHM-NAME.policy is mapped read-only; the active
 * snapshot is copied out under the epoch/in_progress protocol of
 * proto/shm/shm_abi.h and checked as the data plane checks it
 * (shm_snapshot_valid, policy_view_init: the policy tables must still be
 * accepted with the MLS table among them), then policy_mls_check and
 * mls_export_decode; the record's group id and epoch must agree with the
 * table entry. It never writes to shared memory (no N.status: a data plane
 * may be attached at the same time).
 *
 * --epoch N waits (up to --timeout, default 5000 ms) until the group's
 * record is of epoch N: a control process publishes an epoch change right
 * after the commit, and a test may look sooner.
 *
 * Exit status: 0 done, 1 a message refused, 2 usage, 3 no such group or
 * epoch (in time), 4 the snapshot or the record refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto_aead.h"
#include "mls_app.h"
#include "mls_export.h"
#include "policy.h"
#include "policy_mls.h"
#include "shm/shm_abi.h"
#include "shm_snap.h"
#include "shm/shm_name.h"
#include "shm/shm_reader.h"

#define MAX_MSG (1u << 16)

enum { EXIT_DROP = 1, EXIT_USAGE = 2, EXIT_MISSING = 3, EXIT_BAD = 4 };

static void usage(FILE *f)
{
	fprintf(f, "usage: mls-shm-peer [--epoch N] [--timeout MS] SHM-NAME protect GROUP HEX...\n"
		   "       mls-shm-peer [OPTIONS] SHM-NAME unprotect GROUP HEX...\n"
		   "       mls-shm-peer [OPTIONS] SHM-NAME show GROUP\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Finds |group|'s record in the snapshot; 0 with |*snap| (to free) and
 * |rec| filled, or an exit code with a message printed.
 */
static int find_record(const char *shm, const char *group, uint64_t want_epoch,
		       uint64_t timeout_ms, struct sb_shm_snapshot **snap,
		       struct mls_export_rec *rec)
{
	uint64_t deadline = now_ms() + timeout_ms;
	const char *why = "";
	int code;

	for (;;) {
		struct sb_shm_snapshot *s = shm_snap_read(shm, &why);
		struct policy_mls_group g;
		struct policy_view v;
		const void *tab;
		uint64_t size = 0;
		int rc;

		code = EXIT_MISSING;
		if (s == NULL) {
			goto retry;
		}
		code = EXIT_BAD;
		if (policy_view_init(&v, s, &why) != 0) {
			goto fail;
		}
		code = EXIT_MISSING;
		tab = policy_mls_table(s, &size);
		if (tab == NULL) {
			why = "no MLS table in the snapshot";
			goto retry_free;
		}
		code = EXIT_BAD;
		if (policy_mls_check(tab, size, &why) < 0) {
			goto fail;
		}
		code = EXIT_MISSING;
		if (policy_mls_find(tab, (const uint8_t *)group, strlen(group), &g) < 0) {
			why = "no such group in the MLS table";
			goto retry_free;
		}
		if (want_epoch != UINT64_MAX && g.epoch != want_epoch) {
			why = "the group's record is of another epoch";
			goto retry_free;
		}
		code = EXIT_BAD;
		rc = mls_export_decode(g.rec, g.rec_len, rec);
		if (rc < 0) {
			why = "the epoch record does not decode";
			goto fail;
		}
		if (rec->epoch != g.epoch || rec->group_id_len != g.id_len ||
		    memcmp(rec->group_id, g.id, g.id_len) != 0) {
			why = "the epoch record disagrees with its table entry";
			goto fail;
		}
		*snap = s;
		return 0;
retry_free:
		free(s);
retry:
		if (now_ms() >= deadline) {
			fprintf(stderr, "mls-shm-peer: %s\n", why);
			return code;
		}
		usleep(20000);
		continue;
fail:
		free(s);
		fprintf(stderr, "mls-shm-peer: %s\n", why);
		return code;
	}
}

static int hex_decode(const char *h, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(h);

	if (n % 2 != 0 || n / 2 > cap) {
		return -EINVAL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1) {
			return -EINVAL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void hex_print(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%02x", p[i]);
	}
}

static int run(const struct mls_export_rec *rec, const char *cmd, char **hexes, int n)
{
	struct crypto_aead_engine *e = crypto_aead_engine_new(CRYPTO_AEAD_BACKEND_AUTO,
							      CRYPTO_AEAD_ARCH_AUTO);
	struct mls_app_lcore *lc = e != NULL ? mls_app_lcore_new(e) : NULL;
	struct mls_app_sender *snd = NULL;
	struct mls_app_receiver *rcv = NULL;
	bool protect = strcmp(cmd, "protect") == 0;
	uint8_t *in = malloc(MAX_MSG), *out = malloc(MAX_MSG + 4096);
	int code = 0, rc;

	if (lc == NULL || in == NULL || out == NULL) {
		fprintf(stderr, "mls-shm-peer: cannot make the AEAD engine\n");
		code = EXIT_BAD;
		goto out;
	}
	rc = mls_export_app_new(rec, 0, protect ? &snd : NULL, protect ? NULL : &rcv);
	if (rc < 0) {
		fprintf(stderr, "mls-shm-peer: cannot build the fast-path state: %s\n",
			strerror(-rc));
		code = EXIT_BAD;
		goto out;
	}
	for (int i = 0; i < n && code == 0; i++) {
		struct mls_app_msg m = {.out = out, .out_cap = MAX_MSG + 4096};
		size_t len;

		if (hex_decode(hexes[i], in, MAX_MSG, &len) < 0) {
			fprintf(stderr, "mls-shm-peer: '%.40s': not hex\n", hexes[i]);
			code = EXIT_USAGE;
			break;
		}
		m.in = in;
		m.in_len = (uint32_t)len;
		if (protect) {
			if (mls_protect_burst(lc, snd, &m, 1) != 1) {
				fprintf(stderr, "mls-shm-peer: protect failed: %s\n",
					mls_app_drop_name(m.drop));
				code = EXIT_BAD;
				break;
			}
			hex_print(out, m.out_len);
			printf("\n");
		} else if (mls_unprotect_burst(lc, rcv, &m, 1) != 1) {
			printf("drop %s\n", mls_app_drop_name(m.drop));
			code = EXIT_DROP;
		} else {
			printf("%u ", m.leaf);
			hex_print(m.payload, m.payload_len);
			printf("\n");
		}
	}
out:
	mls_app_sender_free(snd);
	mls_app_receiver_free(rcv);
	mls_app_lcore_free(lc);
	crypto_aead_engine_free(e);
	free(in);
	free(out);
	return code;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"epoch", required_argument, NULL, 'e'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t want = UINT64_MAX, timeout = 5000;
	struct sb_shm_snapshot *snap = NULL;
	struct mls_export_rec rec;
	const char *shm, *cmd, *group;
	int c, code;

	while ((c = getopt_long(argc, argv, "+e:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			want = strtoull(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtoull(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	shm = argv[optind];
	cmd = argv[optind + 1];
	group = argv[optind + 2];
	if (!sb_shm_name_valid(shm) ||
	    (strcmp(cmd, "protect") != 0 && strcmp(cmd, "unprotect") != 0 &&
	     strcmp(cmd, "show") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	code = find_record(shm, group, want, timeout, &snap, &rec);
	if (code != 0) {
		return code;
	}
	if (strcmp(cmd, "show") == 0) {
		printf("epoch %llu own_leaf %u members %u\n", (unsigned long long)rec.epoch,
		       rec.own_leaf, rec.n_members);
	} else {
		code = run(&rec, cmd, argv + optind + 3, argc - optind - 3);
	}
	/* The copy holds the epoch's secrets. */
	explicit_bzero(snap, snap->size);
	free(snap);
	return code;
}
