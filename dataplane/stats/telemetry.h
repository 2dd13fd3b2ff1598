/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry.h - the data plane's DPDK telemetry commands. Query them with
 * dpdk-telemetry.py or any client of /var/run/dpdk/<prefix>/dpdk_telemetry.v2:
 *
 *   /slimbridge/stats            totals over all workers, every drop reason and
 *                                handled-frame counter, busy cycles per packet,
 *                                the attached policy epoch, plus per-worker
 *                                arrays of the main counters (index = worker)
 *   /slimbridge/lcore,<worker>   the same counters for one worker
 *   /slimbridge/neigh,<port>     the neighbour cache of a port (default 0):
 *                                port, count, entries ["address mac age_ms", ...]
 *   /slimbridge/resolve,<p>,<ip> worker 0 sends an ARP request / neighbour
 *                                solicitation for <ip> on port <p>; the answer is
 *                                learned into /slimbridge/neigh
 *   /slimbridge/policy           shared-memory attachment: state, epoch,
 *                                instance, writer pid, heartbeat age, error
 *   /slimbridge/ports            configured ports by name ([A-Za-z0-9_] only, other
 *                                characters become _): id, queues, RSS, MAC, addresses
 * plus DPDK's own /ethdev/stats, /ethdev/xstats, /eal/..., /mempool/...
 *
 * Callbacks run on the telemetry thread, only read worker state, and are
 * serialised with shutdown by telemetry_quiesce.
 */
#ifndef SB_TELEMETRY_H
#define SB_TELEMETRY_H

struct dp;

/* telemetry_register registers the commands above for |dp|. Returns 0 or a negative errno. */
int telemetry_register(struct dp *dp);

/*
 * telemetry_quiesce makes every command answer -EBUSY from now on and waits
 * for a command in progress to finish; call it before freeing what the
 * commands read. DPDK's telemetry thread keeps running until the process
 * exits.
 */
void telemetry_quiesce(void);

#endif
