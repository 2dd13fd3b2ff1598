/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_driver.c - a stand-in for libFuzzer's main(), so every harness builds
 * and runs under gcc (meson -Dfuzz=false, the default) as a meson test.
 *
 *   fuzz_x [-runs=N] [-seed=S] [-max_len=L] [FILE|DIR ...]
 *
 * With files or directories, it replays each file once (a crash reproducer,
 * or a corpus) and exits. Without, it runs N (default 200000) inputs from a
 * fixed-seed xorshift generator: one in eight is random bytes, the rest are
 * successive mutations of the previous input through the harness's
 * LLVMFuzzerCustomMutator when it has one (which may start over from a valid
 * message), else through the simple LLVMFuzzerMutate below. Any other
 * -flag=value is accepted and ignored, as libFuzzer's are.
 *
 * A harness signals a bug by crashing or aborting; the run then fails.
 * Deterministic for a given seed, so a failure reproduces.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_RUNS 200000
#define DEFAULT_MAX_LEN 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
	__attribute__((weak));
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static size_t below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

/* libFuzzer's mutation primitive, much simplified: 1-4 random edits. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x20};
	size_t edits = 1 + below(4), e, pos, n;

	for (e = 0; e < edits; e++) {
		switch (below(8)) {
		case 0:		/* flip a bit */
			if (size != 0) {
				data[below(size)] ^= (uint8_t)(1u << below(8));
			}
			break;
		case 1:		/* random byte */
			if (size != 0) {
				data[below(size)] = (uint8_t)rng();
			}
			break;
		case 2:		/* interesting byte */
			if (size != 0) {
				data[below(size)] = interesting[below(sizeof(interesting))];
			}
			break;
		case 3:		/* interesting big-endian 16-bit value */
			if (size >= 2) {
				uint16_t v = (uint16_t)(rng() & 1 ? size - below(64) :
							    below(3) * 0x7fff);

				pos = below(size - 1);
				data[pos] = (uint8_t)(v >> 8);
				data[pos + 1] = (uint8_t)v;
			}
			break;
		case 4:		/* insert bytes */
			n = 1 + below(8);
			if (size + n <= max_size) {
				pos = below(size + 1);
				memmove(data + pos + n, data + pos, size - pos);
				for (size_t i = 0; i < n; i++) {
					data[pos + i] = (uint8_t)rng();
				}
				size += n;
			}
			break;
		case 5:		/* erase bytes */
			if (size != 0) {
				pos = below(size);
				n = 1 + below(size - pos < 8 ? size - pos : 8);
				memmove(data + pos, data + pos + n, size - pos - n);
				size -= n;
			}
			break;
		case 6:		/* truncate */
			size = below(size + 1);
			break;
		default:	/* append */
			n = 1 + below(32);
			while (n-- != 0 && size < max_size) {
				data[size++] = (uint8_t)rng();
			}
			break;
		}
	}
	return size;
}

static int run_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "fuzz_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int run_path(const char *path, uint8_t *buf, size_t cap, unsigned long *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char child[4096];

	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path, buf, cap);
	}
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "fuzz_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (run_file(child, buf, cap) != 0) {
				closedir(d);
				return -1;
			}
		}
	}
	closedir(d);
	return 0;
}

static void fuzz(unsigned long runs, size_t max_len, uint8_t *cur, uint8_t *in)
{
	size_t size = 0;
	unsigned long i;

	for (i = 0; i < runs; i++) {
		if (rng() % 8 == 0) {
			size = rng() % 4 == 0 ? below(max_len + 1) : below(129);
			for (size_t j = 0; j < size; j++) {
				cur[j] = (uint8_t)rng();
			}
		} else if (LLVMFuzzerCustomMutator != NULL) {
			size = LLVMFuzzerCustomMutator(cur, size, max_len, (unsigned int)rng());
		} else {
			size = LLVMFuzzerMutate(cur, size, max_len);
		}
		/* The harness gets its own copy, as libFuzzer does. */
		memcpy(in, cur, size);
		LLVMFuzzerTestOneInput(in, size);
	}
}

int main(int argc, char **argv)
{
	unsigned long runs = DEFAULT_RUNS, count = 0;
	size_t max_len = DEFAULT_MAX_LEN;
	uint8_t *cur, *in;
	int i, files = 0, rc = 0;
	clock_t t0 = clock();
	uint64_t seed0;

	if (LLVMFuzzerInitialize != NULL) {
		LLVMFuzzerInitialize(&argc, &argv);
	}
	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0) {
			runs = strtoul(argv[i] + 6, NULL, 10);
		} else if (strncmp(argv[i], "-seed=", 6) == 0) {
			rng_state = strtoull(argv[i] + 6, NULL, 0) | 1;
		} else if (strncmp(argv[i], "-max_len=", 9) == 0) {
			max_len = strtoul(argv[i] + 9, NULL, 10);
		} else if (argv[i][0] != '-') {
			files++;
		}
	}
	seed0 = rng_state;
	if (max_len == 0 || max_len > (1u << 20)) {
		max_len = DEFAULT_MAX_LEN;
	}
	cur = calloc(1, max_len + 1);
	in = calloc(1, max_len + 1);
	if (cur == NULL || in == NULL) {
		fprintf(stderr, "fuzz_driver: out of memory\n");
		return 1;
	}

	if (files != 0) {
		for (i = 1; i < argc && rc == 0; i++) {
			if (argv[i][0] != '-') {
				rc = run_path(argv[i], cur, max_len, &count);
			}
		}
		printf("fuzz_driver: replayed %lu input(s)\n", count);
	} else {
		fuzz(runs, max_len, cur, in);
		printf("fuzz_driver: done %lu runs in %.1f s (seed 0x%" PRIx64 ")\n", runs,
		       (double)(clock() - t0) / CLOCKS_PER_SEC, seed0);
	}
	free(cur);
	free(in);
	return rc == 0 ? 0 : 1;
}
