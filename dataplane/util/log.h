/* SPDX-License-Identifier: Apache-2.0 */
/* log.h - the data plane's log type on top of rte_log (slow path only). */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <rte_log.h>

extern int sb_logtype;

#define SB_LOG(level, fmt, ...)							\
	rte_log(RTE_LOG_##level, sb_logtype, "slimbridge: " fmt "\n", ##__VA_ARGS__)

#endif
