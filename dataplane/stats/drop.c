/* SPDX-License-Identifier: Apache-2.0 */
#include "drop.h"

#include <string.h>

static const char *const names[DROP__MAX] = {
#define _(sym, str) [DROP_##sym] = str,
	foreach_drop(_)
#undef _
};

const char *drop_reason_name(enum drop_reason r)
{
	if ((unsigned)r >= DROP__MAX)
		return "unknown";
	return names[r];
}

bool drop_reason_is_consumed(enum drop_reason r)
{
	return (unsigned)r < DROP__MAX && strncmp(names[r], "consumed_", 9) == 0;
}
