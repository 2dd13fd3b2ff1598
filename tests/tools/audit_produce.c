/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit-produce - stands in for the data plane's workers on the audit rings
 * (proto/shm/audit_abi.h), so that tests can drive the control process's
 * audit writer without DPDK (tests/integration/test_audit.py):
 *
 *   audit-produce NAME [--rings N] [--ring-size S] [--count N] [--rate R]
 *                 [--burst B] [--project P] [--decision allowed|denied|mix]
 *
 * Makes or re-attaches /dev/shm/NAME.audit with audit_shm_open, as the data
 * plane does, and runs one thread per ring that produces --count records
 * (default 1000) in bursts of --burst (default 32, at most AUDIT_RESERVE),
 * at --rate records per second per ring (0, the default: as fast as the
 * ring takes them). Before each burst a thread checks audit_ring_free
 * against AUDIT_RESERVE as a worker does; without room it counts a wait
 * (audit_ring_wait) and tries again 20 us later: back-pressure, never a
 * dropped record. audit_ring_slot returning NULL after that check is a
 * bug, counted as "full" (exit status 1).
 *
 * Records: type slim_communication, worker and seq from the ring; source
 * "acme/app<worker>/agent<seq % 10>", destination "partner/app/agent<seq % 7>",
 * trust "t-partner", project --project (default "proj"); decision as
 * --decision (mix: every third denied at the project level, reason "SLIM
 * disabled for this project"); encryption none / aes-256-gcm / MLS epoch
 * seq / 100 in turn; transport grpc, outbound; sizes from seq; session id
 * the worker, message id the seq's low 32 bits; time CLOCK_REALTIME.
 *
 * Output, one JSON line at the end:
 *   {"rings": N, "count": N, "produced": T, "waits": W, "full": 0,
 *    "seconds": S, "first_seq": [..], "last_seq": [..]}
 * ("waits": bursts that found no room, summed over rings).
 * Exit status: 0 done, 1 error or a full ring, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_ring.h"
#include "shm/policy_abi.h"

struct opts {
	const char *name;
	unsigned long rings, ring_size, count, rate, burst;
	const char *project;
	int decision;		/* 0 denied, 1 allowed, 2 mix */
};

struct worker {
	const struct opts *o;
	struct audit_ring ring;
	pthread_t th;
	uint64_t produced, waits, full, first_seq, last_seq;
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};

	nanosleep(&ts, NULL);
}

static void fill(struct worker *w, struct sb_audit_rec *rec)
{
	const struct opts *o = w->o;
	uint64_t seq = rec->seq;
	char s[SB_AUDIT_NAME_MAX];
	bool allowed = o->decision == 1 || (o->decision == 2 && seq % 3 != 0);
	int n;

	rec->type = SB_AUDIT_SLIM_COMMUNICATION;
	rec->decision = allowed ? SB_AUDIT_ALLOWED : SB_AUDIT_DENIED;
	rec->level = allowed ? SB_POL_LEVEL_NONE : SB_POL_LEVEL_PROJECT;
	rec->reason = allowed ? SB_POL_REASON_ALLOWED : SB_POL_REASON_PROJECT_DISABLED;
	rec->enc = (uint8_t)(seq % 3);
	rec->mls_epoch = rec->enc == SB_AUDIT_ENC_MLS ? seq / 100 : 0;
	rec->transport = SB_AUDIT_TR_GRPC;
	rec->dir = SB_AUDIT_DIR_OUT;
	rec->ts_ns = now_ns(CLOCK_REALTIME);
	rec->msg_bytes = (uint32_t)(100 + seq % 1000);
	rec->payload_bytes = rec->msg_bytes - 60;
	rec->sealed_bytes = rec->enc != SB_AUDIT_ENC_NONE ? rec->msg_bytes + 28 : 0;
	rec->batch = rec->enc != SB_AUDIT_ENC_NONE ? 1 : 0;
	rec->session_id = rec->worker;
	rec->message_id = (uint32_t)seq;
	n = snprintf(s, sizeof(s), "acme/app%u/agent%u", rec->worker, (unsigned)(seq % 10));
	audit_copy_str(rec->src, sizeof(rec->src), s, (size_t)n);
	n = snprintf(s, sizeof(s), "partner/app/agent%u", (unsigned)(seq % 7));
	audit_copy_str(rec->dst, sizeof(rec->dst), s, (size_t)n);
	audit_copy_str(rec->trust, sizeof(rec->trust), "t-partner", 9);
	audit_copy_str(rec->project, sizeof(rec->project), o->project, strlen(o->project));
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	while (w->produced < o->count) {
		uint64_t b = o->count - w->produced < o->burst ? o->count - w->produced : o->burst;

		if (o->rate != 0) {
			uint64_t due = t0 + w->produced * 1000000000ull / o->rate;
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (due > now) {
				sleep_ns(due - now);
			}
		}
		if (audit_ring_free(&w->ring) < AUDIT_RESERVE) {
			audit_ring_wait(&w->ring);
			w->waits++;
			sleep_ns(20000);
			continue;
		}
		for (uint64_t i = 0; i < b; i++) {
			struct sb_audit_rec *rec = audit_ring_slot(&w->ring);

			if (rec == NULL) {
				w->full++;
				break;
			}
			fill(w, rec);
			if (w->first_seq == 0) {
				w->first_seq = rec->seq;
			}
			w->last_seq = rec->seq;
			audit_ring_commit(&w->ring);
			w->produced++;
		}
		if (w->full != 0) {
			break;
		}
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: audit-produce NAME [--rings N] [--ring-size S] [--count N] [--rate R]\n"
		   "                     [--burst B] [--project P] [--decision allowed|denied|mix]\n");
}

static int num(const char *opt, const char *s, unsigned long lo, unsigned long hi,
	       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] < '0' || s[0] > '9' || *out < lo || *out > hi) {
		fprintf(stderr, "audit-produce: %s: %lu..%lu, not '%s'\n", opt, lo, hi, s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"rings", required_argument, NULL, 'r'},
		{"ring-size", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'c'},
		{"rate", required_argument, NULL, 'R'},
		{"burst", required_argument, NULL, 'b'},
		{"project", required_argument, NULL, 'p'},
		{"decision", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.rings = 1, .ring_size = SB_AUDIT_DEFAULT_RING, .count = 1000, .burst = 32,
			 .project = "proj", .decision = 2};
	struct audit_shm *shm;
	struct worker *w;
	uint64_t t0, produced = 0, waits = 0, full = 0;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rc = num("--rings", optarg, 1, SB_AUDIT_MAX_RINGS, &o.rings);
			break;
		case 's':
			rc = num("--ring-size", optarg, 1024, 1u << 20, &o.ring_size);
			break;
		case 'c':
			rc = num("--count", optarg, 0, 1ul << 40, &o.count);
			break;
		case 'R':
			rc = num("--rate", optarg, 0, 1ul << 32, &o.rate);
			break;
		case 'b':
			rc = num("--burst", optarg, 1, AUDIT_RESERVE, &o.burst);
			break;
		case 'p':
			o.project = optarg;
			rc = 0;
			break;
		case 'd':
			o.decision = strcmp(optarg, "denied") == 0 ? 0 : strcmp(optarg, "allowed") == 0 ? 1
								 : strcmp(optarg, "mix") == 0 ? 2 : -1;
			rc = o.decision < 0 ? -1 : 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (rc < 0) {
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.name = argv[optind];
	rc = audit_shm_open(o.name, (uint32_t)o.rings, (uint32_t)o.ring_size, &shm, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "audit-produce: %s\n", err);
		return 1;
	}
	w = calloc(o.rings, sizeof(*w));
	if (w == NULL) {
		fprintf(stderr, "audit-produce: out of memory\n");
		audit_shm_close(shm);
		return 1;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	for (uint32_t i = 0; i < o.rings; i++) {
		w[i].o = &o;
		audit_shm_ring(shm, i, &w[i].ring);
		if (pthread_create(&w[i].th, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "audit-produce: cannot start a thread\n");
			return 1;
		}
	}
	for (uint32_t i = 0; i < o.rings; i++) {
		pthread_join(w[i].th, NULL);
		produced += w[i].produced;
		waits += w[i].waits;
		full += w[i].full;
	}
	printf("{\"rings\": %lu, \"count\": %lu, \"produced\": %" PRIu64 ", \"waits\": %" PRIu64
	       ", \"full\": %" PRIu64 ", \"seconds\": %.3f, \"first_seq\": [",
	       o.rings, o.count, produced, waits, full,
	       (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	for (uint32_t i = 0; i < o.rings; i++) {
		printf("%s%" PRIu64, i != 0 ? ", " : "", w[i].first_seq);
	}
	printf("], \"last_seq\": [");
	for (uint32_t i = 0; i < o.rings; i++) {
		printf("%s%" PRIu64, i != 0 ? ", " : "", w[i].last_seq);
	}
	printf("]}\n");
	free(w);
	audit_shm_close(shm);
	return full != 0 ? 1 : 0;
}
