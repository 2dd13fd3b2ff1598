/* SPDX-License-Identifier: Apache-2.0 */
/* perf_util.h - small helpers shared by the benchmarks in perf/. */
#ifndef SB_PERF_UTIL_H
#define SB_PERF_UTIL_H

#include <stdbool.h>
#include <stdio.h>

/*
 * perf_hugepages_free returns true when at least 512 2 MiB hugepages are free
 * (scripts/hugepages reserves them); benchmarks fall back to --no-huge otherwise.
 */
static inline bool perf_hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;

	if (f == NULL) {
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1) {
			break;
		}
	}
	fclose(f);
	return n >= 512;
}

#endif
