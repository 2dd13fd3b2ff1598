/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what every harness in tests/fuzz shares: the libFuzzer entry points
 * (defined by the harness, or by fuzz_driver.c under gcc) and CHECK, which
 * turns a broken invariant into a crash the fuzzer reports.
 */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			__builtin_trap();				\
		}							\
	} while (0)

#endif
