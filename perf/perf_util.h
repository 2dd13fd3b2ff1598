/* SPDX-License-Identifier: Apache-2.0 */
/* perf_util.h - small helpers shared by the benchmarks in perf/. */
#ifndef SB_PERF_UTIL_H
#define SB_PERF_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <x86intrin.h>

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

/* perf_now_s returns CLOCK_MONOTONIC in seconds. */
static inline double perf_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* perf_cmp_double orders doubles for qsort. */
static inline int perf_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* perf_tsc_hz: TSC ticks per second against CLOCK_MONOTONIC over ~50 ms (median of three 17 ms spans). */
static inline double perf_tsc_hz(void)
{
	double hz[3];

	for (int i = 0; i < 3; i++) {
		struct timespec req = {0, 17 * 1000 * 1000};
		double t0 = perf_now_s();
		uint64_t c0 = __rdtsc();
		double t1;
		uint64_t c1;

		nanosleep(&req, NULL);
		t1 = perf_now_s();
		c1 = __rdtsc();
		hz[i] = (double)(c1 - c0) / (t1 - t0);
	}
	qsort(hz, 3, sizeof(hz[0]), perf_cmp_double);
	return hz[1];
}

#endif
