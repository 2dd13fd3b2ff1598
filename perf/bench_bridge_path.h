/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_bridge_path.h - the "path" section of perf/bench-bridge: whole
 * publishes through real SLIM nodes in memory (HTTP/2, gRPC, protobuf-c,
 * link MAC, route), one process, one thread, TSC cycles per message:
 *
 *   plain      app -> node A -> app of the same app (no policy decision);
 *   cross-app  acme/sales-app agent -> node A -> acme/hr-app agent: identity
 *              (JWT-SVID, cached), policy, content rules, audit, plain delivery;
 *   cross-org  acme agent -> node A (identity, policy, content, breaker, seal
 *              into a record, AES-256-GCM or MLS) -> the record over a SLIM link
 *              in memory -> node B (open, identity against acme's bundle,
 *              policy, content, audit) -> partner-corp agent.
 *
 * Each row's slices alternate with slices of the plain path at the same
 * batch in the same world, so "plain / row" is a paired ratio (the cost of
 * security). Prints; asserts nothing. A path that does not deliver prints
 * FAILED with the nodes' drop counters instead of a number.
 */
#ifndef SB_BENCH_BRIDGE_PATH_H
#define SB_BENCH_BRIDGE_PATH_H

#include <stdint.h>

struct bpath_opts {
	double run_time;	/* seconds per row, plain slices included */
	uint32_t size;		/* application payload bytes */
	uint16_t suite;		/* MLS cipher suite of the trust's group */
	double tsc_hz;
	const char *rows;	/* only rows whose name starts with this (NULL: all) */
};

/* bench_bridge_path runs the section and prints its table. Returns 0, or 1 when a row failed. */
int bench_bridge_path(const struct bpath_opts *o);

#endif
