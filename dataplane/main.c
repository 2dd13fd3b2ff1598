/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slimbridge-dataplane: EAL init, configuration, ports, worker launch, and
 * the main lcore's housekeeping loop (neighbour learning and expiry, policy
 * attachment, status heartbeat). Packets are handled in lcore.c.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include "conf/conf.h"
#include "dp.h"
#include "lcore.h"
#include "net/neigh.h"
#include "policy/policy_bundles.h"
#include "port/port.h"
#include "shm/shm_reader.h"
#include "stats/telemetry.h"
#include "util/log.h"

#define EXIT_USAGE 2
#define PROG "slimbridge-dataplane"

static_assert(CONF_NAME_MAX >= RTE_ETH_NAME_MAX_LEN, "port names fit conf names");

struct dp dp_g;
int sb_logtype;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [EAL options] -- [--config FILE]\n"
		"\n"
		"slimbridge's kernel-bypass data plane. Worker lcores poll the configured DPDK\n"
		"ports (one RX/TX queue pair each per port, RSS across them) and answer ARP,\n"
		"ICMP echo, IPv6 neighbour discovery and ICMPv6 echo on the configured addresses;\n"
		"the main lcore does housekeeping and attaches to the policy that\n"
		"slimbridge-control publishes in shared memory.\n"
		"\n"
		"Application options (after --):\n"
		"  -c, --config FILE   YAML configuration (default: built-in defaults, every\n"
		"                      probed port, no addresses); see docs/configuration.md\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Common EAL options (see the DPDK documentation for all):\n"
		"  -l 0-1 | --lcores MAP   lcores; the first is the main lcore, the rest run\n"
		"                          workers (config 'workers' may use fewer)\n"
		"  --vdev net_tap0,iface=sb0   create a virtual device (net_tap, net_ring, ...)\n"
		"  --no-huge -m 512        run without hugepages on 512 MiB of memory\n"
		"  --file-prefix NAME      run several instances side by side\n"
		"\n"
		"Telemetry: /slimbridge/stats, /slimbridge/lcore,N, /slimbridge/neigh,PORT,\n"
		"/slimbridge/policy, /slimbridge/ports on the DPDK telemetry socket.\n"
		"Stops cleanly on SIGINT or SIGTERM.\n"
		"\n"
		"Exit status: 0 after a clean stop, 2 for bad usage or configuration\n"
		"(unknown key, bad value, missing device), 1 for run-time failures.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	dp_g.quit = 1;
}

/* Index of "--" in argv, or argc when absent. */
static int find_separator(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			return i;
		}
	}
	return argc;
}

/* Help and version work without EAL (no privileges, hugepages or devices needed). */
static void early_flags(int argc, char **argv, int sep)
{
	for (int i = 1; i < argc; i++) {
		/* Before "--", -h belongs to EAL too; answer it with the full picture. */
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (i > sep && (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0)) {
			printf(PROG " %s (DPDK %s)\n", SB_VERSION, rte_version());
			exit(0);
		}
	}
}

static int parse_app_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		default:
			fprintf(stderr, "Try '" PROG " -- --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'; try '" PROG " -- --help'\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Fill dp->ports from the configuration, or from every probed port. */
static int select_ports(struct dp *dp, char *err, size_t errlen)
{
	uint16_t pid;

	if (!dp->conf.ports_set) {
		RTE_ETH_FOREACH_DEV(pid) {
			struct dp_port *p;

			if (dp->nb_ports == CONF_MAX_PORTS) {
				break;
			}
			p = &dp->ports[dp->nb_ports++];
			conf_port_defaults(&p->conf);
			p->port_id = pid;
			rte_eth_dev_get_name_by_port(pid, p->name);
			memcpy(p->conf.name, p->name, sizeof(p->conf.name));
		}
		if (dp->nb_ports == 0) {
			snprintf(err, errlen,
				 "ports: no DPDK ports; create one with an EAL option (e.g. "
				 "--vdev net_tap0) and list it under 'ports' with its addresses");
			return -ENODEV;
		}
		SB_LOG(WARNING, "no 'ports' in the configuration: using every probed port "
				"without IP addresses");
		return 0;
	}
	for (uint16_t i = 0; i < dp->conf.nb_ports; i++) {
		struct dp_port *p = &dp->ports[i];
		char why[384];
		int rc;

		p->conf = dp->conf.ports[i];
		memcpy(p->name, p->conf.name, sizeof(p->name));
		rc = port_resolve(p->name, &p->port_id, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "ports[%u].name: %s", i, why);
			return rc;
		}
	}
	dp->nb_ports = dp->conf.nb_ports;
	if (dp->nb_ports == 0) {
		snprintf(err, errlen, "ports: the list is empty; name at least one DPDK port");
		return -ENODEV;
	}
	return 0;
}

static int select_workers(struct dp *dp, char *err, size_t errlen)
{
	unsigned int lcore, avail = rte_lcore_count() - 1;
	uint16_t w = 0;

	if (avail == 0) {
		snprintf(err, errlen,
			 "workers: EAL gave no worker lcore; give it at least two (e.g. -l 0-1): "
			 "the first is the main lcore, which does housekeeping only");
		return -EINVAL;
	}
	if (dp->conf.workers > avail) {
		snprintf(err, errlen,
			 "workers: %u requested but EAL gave %u worker lcore%s; add lcores with -l "
			 "or --lcores (e.g. --lcores 0@0,1@1,2@1 shares CPUs)",
			 dp->conf.workers, avail, avail == 1 ? "" : "s");
		return -EINVAL;
	}
	dp->nb_workers = dp->conf.workers ? dp->conf.workers : (uint16_t)avail;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w == dp->nb_workers) {
			break;
		}
		dp->worker_lcore[w++] = lcore;
	}
	if (avail > dp->nb_workers) {
		SB_LOG(NOTICE, "%u of %u worker lcores stay idle (workers: %u)", avail - dp->nb_workers,
		       avail, dp->nb_workers);
	}
	return 0;
}

static int setup(struct dp *dp, char *err, size_t errlen)
{
	uint32_t owner = 0;
	size_t qsz;
	int rc;

	rc = select_workers(dp, err, errlen);
	if (rc != 0) {
		return rc;
	}
	rc = select_ports(dp, err, errlen);
	if (rc != 0) {
		return rc;
	}
	qsz = rte_rcu_qsbr_get_memsize(dp->nb_workers);
	dp->qsbr = rte_zmalloc("sb_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, dp->nb_workers) != 0) {
		snprintf(err, errlen, "cannot allocate the RCU state (give EAL more memory with -m)");
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < dp->nb_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		p->neigh = neigh_table_new(dp->conf.neigh_capacity,
					   (uint64_t)dp->conf.neigh_timeout_s * dp->tsc_hz);
		if (p->neigh == NULL) {
			snprintf(err, errlen, "neighbour.capacity: cannot allocate %u entries: %s",
				 dp->conf.neigh_capacity, strerror(errno));
			return -ENOMEM;
		}
		rc = port_start(p, &dp->conf, dp->nb_workers, err, errlen);
		if (rc != 0) {
			return rc;
		}
	}
	/* New policy objects are looked for every 100 ms; the header is read every ms. */
	dp->shm = shm_reader_new(dp->conf.shm_name, dp->nb_workers, 100, &owner);
	if (dp->shm == NULL && errno == EBUSY) {
		snprintf(err, errlen,
			 "shm.name: \"%s\" is in use by another slimbridge-dataplane (pid %u); "
			 "give each data plane its own shm.name",
			 dp->conf.shm_name, owner);
		return -EINVAL;
	}
	if (dp->shm == NULL) {
		rc = -errno;
		snprintf(err, errlen, "shm.name: cannot create /dev/shm/%s%s: %s", dp->conf.shm_name,
			 SB_SHM_STATUS_SUFFIX, strerror(errno));
		return rc;
	}
	/* The bridge's status object and the audit rings (proto/shm/bridge_abi.h, audit_abi.h). */
	rc = bridge_status_open(dp->conf.shm_name, &dp->bstatus, err, errlen);
	if (rc != 0) {
		return rc;
	}
	if (dp->conf.audit.enabled) {
		rc = audit_shm_open(dp->conf.shm_name, dp->nb_workers, dp->conf.audit.ring_size,
				    &dp->audit, err, errlen);
		if (rc != 0) {
			return rc;
		}
	}
	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		dp->lcores[w] = lcore_ctx_new(dp, w, dp->worker_lcore[w]);
		if (dp->lcores[w] == NULL) {
			snprintf(err, errlen, "worker %u: cannot allocate its state: %s", w,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	rc = telemetry_register(dp);
	if (rc != 0) {
		snprintf(err, errlen, "telemetry: cannot register commands: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* Frees the content rule objects of |slot| (no worker may hold it). */
static void rules_free(struct dp *dp, struct dp_policy *slot)
{
	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		policy_rules_worker_free(slot->rules[w]);
		slot->rules[w] = NULL;
	}
}

static void teardown(struct dp *dp)
{
	telemetry_quiesce();
	/* The workers have stopped: no snapshot is in use any more. */
	rules_free(dp, &dp->policy_slots[0]);
	rules_free(dp, &dp->policy_slots[1]);
	id_bundle_set_clear(&dp->policy_slots[0].bundles);
	id_bundle_set_clear(&dp->policy_slots[1].bundles);
	bridge_view_free(&dp->policy_slots[0].bridge);
	bridge_view_free(&dp->policy_slots[1].bridge);
	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		lcore_ctx_free(dp->lcores[w]);
		dp->lcores[w] = NULL;
	}
	for (uint16_t i = 0; i < dp->nb_ports; i++) {
		port_stop(&dp->ports[i]);
		neigh_table_free(dp->ports[i].neigh);
		dp->ports[i].neigh = NULL;
	}
	shm_reader_free(dp->shm);
	dp->shm = NULL;
	bridge_status_close(dp->bstatus);
	dp->bstatus = NULL;
	audit_shm_close(dp->audit);	/* the object stays: the writer drains what is left */
	dp->audit = NULL;
	rte_free(dp->qsbr);
	dp->qsbr = NULL;
}

/* Move what the workers learned into the neighbour tables (single writer). */
static void drain_learned(struct dp *dp, uint64_t now)
{
	struct dp_neigh_stats *ns = &dp->neigh_stats;
	struct lcore_learn_msg msgs[64];

	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		unsigned int n = rte_ring_dequeue_burst_elem(dp->lcores[w]->learn_ring, msgs,
							     sizeof(msgs[0]), RTE_DIM(msgs), NULL);

		for (unsigned int i = 0; i < n; i++) {
			const struct net_learn *l = &msgs[i].learn;
			struct neigh_table *t;

			if (msgs[i].port_idx >= dp->nb_ports) {
				continue;
			}
			t = dp->ports[msgs[i].port_idx].neigh;
			if (l->how == LCORE_LEARN_PENDING) {
				/* An answer may create an entry for 3 s after we asked. */
				neigh_expect(t, l->family, l->ip, now, now + 3 * dp->tsc_hz);
				continue;
			}
			switch (neigh_apply(t, l, now)) {
			case NEIGH_CREATED:
				ns->created++;
				break;
			case NEIGH_UPDATED:
				ns->updated++;
				break;
			case NEIGH_IGNORED:
				ns->ignored++;
				break;
			case -ENOSPC:
				ns->full++;
				if (now >= ns->next_full_log) {
					SB_LOG(WARNING, "port %s: neighbour table full (%llu refused so far)",
					       dp->ports[msgs[i].port_idx].name,
					       (unsigned long long)ns->full);
					ns->next_full_log = now + 10 * dp->tsc_hz;
				}
				break;
			default:
				break;
			}
		}
	}
}

/*
 * Policy hand-over: a new snapshot goes into the policy slot the workers are
 * not using, the RCU pointer is swapped, and once every worker has passed a
 * quiescent state the epoch is acknowledged to the control process.
 */
struct policy_sync {
	bool pending;
	uint64_t token;
	uint64_t epoch;
	unsigned int next_slot;
};

/*
 * Each worker's copy of |slot|'s content rule sets (hyperscan databases and
 * scratch of its own). The slot's previous objects are past their grace
 * period: a new snapshot is taken only once the last one was acknowledged.
 */
static int rules_for_workers(struct dp *dp, struct dp_policy *slot, const char **why)
{
	rules_free(dp, slot);
	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		int rc = policy_rules_worker_new(&slot->view, w, &dp->lcores[w]->rules_ctr,
						 &slot->rules[w], why);

		if (rc != 0) {
			rules_free(dp, slot);
			return rc;
		}
	}
	return 0;
}

/*
 * The trust bundles of |snap| into |slot| (its previous set is past its
 * grace period, as its rules are). A table that fails its checks, or a
 * document id_bundle_parse refuses, refuses the snapshot: the control
 * process validated every bundle with the same parser, so either is
 * corruption or version skew, and the workers keep the last good set.
 */
static int bundles_for_slot(struct dp_policy *slot, const struct sb_shm_snapshot *snap,
			    const char **why)
{
	static char err[160];
	uint64_t size = 0;
	const void *tab = policy_bundles_table(snap, &size);
	int n;

	id_bundle_set_clear(&slot->bundles);
	if (tab == NULL) {
		return 0;
	}
	n = policy_bundles_check(tab, size, why);
	if (n < 0) {
		return n;
	}
	for (uint32_t i = 0; i < (uint32_t)n; i++) {
		struct policy_bundle pb = { .td = "?", .td_len = 1 };
		struct id_bundle *b = NULL;
		char perr[120] = "no such entry";
		int rc = policy_bundles_get(tab, i, &pb);

		if (rc == 0) {
			rc = id_bundle_parse(pb.td, pb.td_len, pb.json, pb.json_len, &b, perr,
					     sizeof(perr));
		}
		if (rc == 0) {
			rc = id_bundle_set_put(&slot->bundles, b);
			if (rc < 0) {
				id_bundle_free(b);
				snprintf(perr, sizeof(perr), "too many trust domains");
			}
		}
		if (rc < 0) {
			snprintf(err, sizeof(err), "BUNDLES table: trust domain %.*s: %s",
				 (int)(pb.td_len < 64 ? pb.td_len : 64), pb.td, perr);
			*why = err;
			id_bundle_set_clear(&slot->bundles);
			return rc;
		}
	}
	return 0;
}

/* The seals of |snap| for the workers (the slot's previous view is past its grace period). */
static int bridge_for_slot(struct dp *dp, struct dp_policy *slot, const struct sb_shm_snapshot *snap,
			   const char **why)
{
	bridge_view_free(&slot->bridge);
	return bridge_view_build(&slot->bridge, snap, &slot->view, dp->bstatus, why);
}

static void poll_policy(struct dp *dp, struct policy_sync *ps)
{
	struct dp_policy_status *st = &dp->policy_status;
	const struct sb_shm_snapshot *snap;
	uint64_t epoch;
	int rc;

	if (ps->pending) {
		if (rte_rcu_qsbr_check(dp->qsbr, ps->token, false) != 1) {
			return;
		}
		/* Under the lock: telemetry decides on the old view while holding it. */
		pthread_mutex_lock(&st->lock);
		shm_reader_ack(dp->shm, ps->epoch);
		ps->pending = false;
		st->acked_epoch = ps->epoch;
		pthread_mutex_unlock(&st->lock);
		SB_LOG(INFO, "policy epoch %llu in use by all %u workers",
		       (unsigned long long)ps->epoch, dp->nb_workers);
	}
	rc = shm_reader_poll(dp->shm, &snap, &epoch);
	if (rc == 1) {
		struct dp_policy *slot = &dp->policy_slots[ps->next_slot];
		const char *why = NULL;

		/*
		 * A snapshot that fails its checks (checksum, sizes, indices) is
		 * never handed to the workers: they keep the last good one. The
		 * refusal goes to N.status, so the control process rewrites the
		 * refused slot with its next snapshot and never the one the
		 * workers still read.
		 */
		if (policy_view_init(&slot->view, snap, &why) != 0 ||
		    rules_for_workers(dp, slot, &why) != 0 ||
		    bundles_for_slot(slot, snap, &why) != 0 ||
		    bridge_for_slot(dp, slot, snap, &why) != 0) {
			shm_reader_refuse(dp->shm, epoch);
			pthread_mutex_lock(&st->lock);
			st->refused++;
			snprintf(st->error, sizeof(st->error), "epoch %llu refused: %s",
				 (unsigned long long)epoch, why);
			pthread_mutex_unlock(&st->lock);
			SB_LOG(ERR, "policy epoch %llu refused, keeping the previous one: %s",
			       (unsigned long long)epoch, why);
			return;
		}
		slot->snap = snap;
		slot->epoch = epoch;
		__atomic_store_n(&dp->policy, slot, __ATOMIC_RELEASE);
		ps->next_slot ^= 1;
		ps->token = rte_rcu_qsbr_start(dp->qsbr);
		ps->epoch = epoch;
		ps->pending = true;
		pthread_mutex_lock(&st->lock);
		st->policy_version = slot->view.version;
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_lock(&st->lock);
	st->state = (int)shm_reader_state(dp->shm);
	st->epoch = shm_reader_epoch(dp->shm);
	st->instance = shm_reader_instance(dp->shm);
	st->writer_pid = shm_reader_writer_pid(dp->shm);
	st->heartbeat_age_ms = shm_reader_writer_heartbeat_age_ms(dp->shm);
	{
		/* A good snapshot clears a refusal; the reader's own errors always show. */
		const char *e = shm_reader_error(dp->shm);

		if (e[0] != '\0' || rc == 1) {
			snprintf(st->error, sizeof(st->error), "%s", e);
		}
	}
	pthread_mutex_unlock(&st->lock);
}

/*
 * Once a second: say so when a worker has held its input back for its
 * audit ring in the last second and still does (the audit writer is behind
 * or gone), and when it takes input again. The worker only counts (no
 * syscalls there); this reads its counters.
 */
static void audit_hold_watch(struct dp *dp, uint64_t *last_waits, bool *held)
{
	for (uint16_t w = 0; w < dp->nb_workers && w < RTE_MAX_LCORE; w++) {
		const struct lcore_ctx *lc = dp->lcores[w];
		uint64_t waits, paused_ms, now_ms;
		bool holding;

		if (lc == NULL || !lc->audit_on) {
			continue;
		}
		waits = __atomic_load_n(&lc->stats.audit_waits, __ATOMIC_RELAXED);
		paused_ms = __atomic_load_n(&lc->rx_paused_ms, __ATOMIC_RELAXED);
		now_ms = rte_rdtsc() / lc->tsc_per_us / 1000;
		holding = waits != last_waits[w] && now_ms - paused_ms < 100;
		if (holding && !held[w]) {
			SB_LOG(WARNING, "worker %u: audit ring full: holding input back until the "
					"audit writer (slimbridge-control) drains it",
			       (unsigned)w);
		} else if (!holding && held[w]) {
			SB_LOG(NOTICE, "worker %u: audit ring drained: taking input again", (unsigned)w);
		}
		held[w] = holding;
		last_waits[w] = waits;
	}
}

/* The main lcore: housekeeping every millisecond until a signal arrives. */
static void housekeeping(struct dp *dp)
{
	static uint64_t last_waits[RTE_MAX_LCORE];
	static bool held[RTE_MAX_LCORE];
	const uint64_t ms = dp->tsc_hz / 1000;
	uint64_t next_heartbeat = 0, next_expire = 0, now;
	struct policy_sync ps = {0};
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000 * 1000};

	while (!dp->quit) {
		now = rte_rdtsc();
		drain_learned(dp, now);
		/* Every round: a new policy reaches the workers within about a millisecond. */
		poll_policy(dp, &ps);
		if (now >= next_heartbeat) {
			struct timespec mt;

			shm_reader_heartbeat(dp->shm);
			clock_gettime(CLOCK_MONOTONIC, &mt);
			bridge_status_heartbeat(dp->bstatus,
						(uint64_t)mt.tv_sec * 1000000000ull + (uint64_t)mt.tv_nsec);
			next_heartbeat = now + 100 * ms;
		}
		if (now >= next_expire) {
			for (uint16_t i = 0; i < dp->nb_ports; i++) {
				neigh_expire(dp->ports[i].neigh, now);
			}
			next_expire = now + 1000 * ms;
			audit_hold_watch(dp, last_waits, held);
		}
		nanosleep(&tick, NULL);
	}
}

int main(int argc, char **argv)
{
	struct dp *dp = &dp_g;
	const char *config = NULL;
	struct sigaction sa;
	char err[CONF_ERR_MAX + 128];
	int sep = find_separator(argc, argv);
	int eal_args, rc;

	early_flags(argc, argv, sep);

	/* Configuration first: a bad file is reported before EAL takes the machine. */
	if (sep < argc) {
		argv[sep] = argv[0]; /* the app part becomes its own argv */
		rc = parse_app_args(argc - sep, argv + sep, &config);
		argv[sep] = (char *)"--";
		if (rc != 0) {
			return EXIT_USAGE;
		}
	}
	if (config != NULL) {
		rc = conf_load(&dp->conf, config, err);
	} else {
		conf_defaults(&dp->conf);
		rc = 0;
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_USAGE;
	}

	eal_args = rte_eal_init(sep, argv);
	if (eal_args < 0) {
		int e = rte_errno;

		fprintf(stderr, PROG ": EAL initialisation failed: %s\n", rte_strerror(e));
		return e == EINVAL ? EXIT_USAGE : EXIT_FAILURE;
	}
	sb_logtype = rte_log_register_type_and_pick_level("slimbridge", RTE_LOG_INFO);
	if (sb_logtype < 0) {
		sb_logtype = RTE_LOGTYPE_USER1;
	}
	dp->tsc_hz = rte_get_tsc_hz();
	pthread_mutex_init(&dp->policy_status.lock, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = setup(dp, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		teardown(dp);
		rte_eal_cleanup();
		return rc == -EINVAL || rc == -ENODEV ? EXIT_USAGE : EXIT_FAILURE;
	}
	for (uint16_t w = 0; w < dp->nb_workers; w++) {
		rc = rte_eal_remote_launch(lcore_main, dp->lcores[w], dp->worker_lcore[w]);
		if (rc != 0) {
			fprintf(stderr, PROG ": cannot launch worker %u on lcore %u: %s\n", w,
				dp->worker_lcore[w], strerror(-rc));
			dp->quit = 1;
			break;
		}
	}
	if (!dp->quit) {
		printf(PROG ": ready: %u worker%s, %u port%s, shm %s\n", dp->nb_workers,
		       dp->nb_workers == 1 ? "" : "s", dp->nb_ports, dp->nb_ports == 1 ? "" : "s",
		       dp->conf.shm_name);
		fflush(stdout);
		housekeeping(dp);
	}
	rte_eal_mp_wait_lcore();
	teardown(dp);
	rte_eal_cleanup();
	printf(PROG ": stopped\n");
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
