/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm_name.h - the one rule for shm.name, shared by both processes: 1 to
 * SB_SHM_NAME_MAX - 8 characters of [A-Za-z0-9_.-], not starting with '.',
 * so that "/" + name + ".policy" names a valid POSIX shared-memory object.
 */
#ifndef SB_SHM_NAME_H
#define SB_SHM_NAME_H

#include <stdbool.h>
#include <string.h>

#include "shm_abi.h"

static inline bool sb_shm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SB_SHM_NAME_MAX - 8 || name[0] == '.') {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-')) {
			return false;
		}
	}
	return true;
}

#endif
