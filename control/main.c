/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slimbridge-control: owns desired state and publishes it to the data plane
 * through shared memory. This version creates the policy object and publishes
 * an empty snapshot (epoch 1), then keeps the heartbeat until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm/shm_abi.h"
#include "shm/shm_name.h"
#include "shm/shm_writer.h"

#define DEFAULT_SHM_NAME "slimbridge"
#define DEFAULT_SLOT_SIZE (16u << 20)

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: slimbridge-control [OPTIONS]\n"
		"\n"
		"Owns slimbridge's policy and publishes it to the data plane through POSIX\n"
		"shared memory (/dev/shm/NAME.policy). This version publishes an empty policy\n"
		"snapshot and keeps it fresh until stopped with SIGINT or SIGTERM.\n"
		"\n"
		"Options:\n"
		"  -n, --shm-name NAME   shared-memory name, the data plane's shm.name\n"
		"                        (default: %s)\n"
		"  -s, --slot-size MIB   bytes reserved per snapshot slot, in MiB (default: %u)\n"
		"      --keep            leave the policy object in place on exit\n"
		"  -q, --quiet           print errors only\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"Exit status: 0 on a clean stop, 2 on bad usage, 1 on a runtime error.\n",
		DEFAULT_SHM_NAME, DEFAULT_SLOT_SIZE >> 20);
}

static int parse_args(int argc, char **argv, const char **name, unsigned long *slot_mib,
		      int *keep, int *quiet)
{
	static const struct option opts[] = {
		{"shm-name", required_argument, NULL, 'n'},
		{"slot-size", required_argument, NULL, 's'},
		{"keep", no_argument, NULL, 'k'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			*name = optarg;
			break;
		case 's':
			errno = 0;
			*slot_mib = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || *slot_mib < 1 || *slot_mib > 4096) {
				fprintf(stderr, "slimbridge-control: --slot-size: expected 1..4096 (MiB), got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'k':
			*keep = 1;
			break;
		case 'q':
			*quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("slimbridge-control %s (shm ABI %d.%d)\n", SB_VERSION, SB_SHM_ABI_MAJOR,
			       SB_SHM_ABI_MINOR);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "slimbridge-control: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!sb_shm_name_valid(*name)) {
		fprintf(stderr,
			"slimbridge-control: --shm-name: '%s' is not a valid name (1..%d characters of A-Z a-z 0-9 _ . -)\n",
			*name, SB_SHM_NAME_MAX - 8);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = DEFAULT_SHM_NAME;
	unsigned long slot_mib = DEFAULT_SLOT_SIZE >> 20;
	struct shm_writer *w;
	struct sigaction sa;
	uint32_t owner = 0;
	int keep = 0, quiet = 0, err = 0, rc;
	int64_t epoch;

	rc = parse_args(argc, argv, &name, &slot_mib, &keep, &quiet);
	if (rc != 0) {
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	w = shm_writer_create(name, (uint64_t)slot_mib << 20, &err, &owner);
	if (w == NULL) {
		if (err == -EBUSY) {
			fprintf(stderr, "slimbridge-control: /dev/shm/%s%s is owned by a running "
				"slimbridge-control (pid %u); stop it or choose another --shm-name\n",
				name, SB_SHM_POLICY_SUFFIX, owner);
		} else {
			fprintf(stderr, "slimbridge-control: cannot create /dev/shm/%s%s: %s\n", name,
				SB_SHM_POLICY_SUFFIX, strerror(-err));
		}
		return 1;
	}
	/* The empty policy: a valid snapshot with no tables. */
	epoch = shm_writer_publish(w, NULL, 0, NULL, 0);
	if (epoch < 0) {
		fprintf(stderr, "slimbridge-control: publish failed: %s\n", strerror((int)-epoch));
		shm_writer_destroy(w, !keep);
		return 1;
	}
	if (!quiet) {
		printf("slimbridge-control: published empty policy, epoch %lld, instance %016llx, "
		       "on /dev/shm/%s%s\n",
		       (long long)epoch, (unsigned long long)shm_writer_instance(w), name,
		       SB_SHM_POLICY_SUFFIX);
		fflush(stdout);
	}
	while (!quit) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};

		shm_writer_heartbeat(w);
		nanosleep(&ts, NULL);
	}
	if (!quiet) {
		printf("slimbridge-control: stopping (reader acked epoch %llu)\n",
		       (unsigned long long)shm_writer_reader_acked(w));
	}
	shm_writer_destroy(w, !keep);
	return 0;
}
