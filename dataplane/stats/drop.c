/* SPDX-License-Identifier: Apache-2.0 */
#include "drop.h"

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
