/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_apps.h - the TCP test services of the data plane (`tcp_test_apps` in
 * the configuration), run on every worker's stack:
 *   echo    (RFC 862)  every byte received is sent back, zero-copy: the
 *                      received mbufs are queued for sending as they are;
 *                      when the send buffer is full the service stops
 *                      reading, so the peer's window closes (back-pressure);
 *   discard (RFC 863)  every byte received is freed;
 *   source             an endless byte pattern 0, 1, ..., 255, 0, ... from the
 *                      first byte of each connection (RFC 864 chargen without
 *                      lines), as fast as the window allows; received bytes
 *                      are discarded.
 * Each closes its side when the peer closes. No allocation: per-connection
 * state lives in the connection's user pointer.
 *
 * The source service also opens outbound connections (tcp_apps_connect):
 * what the bridge does when it dials a peer, for tests and benchmarks.
 */
#ifndef SB_TCP_APPS_H
#define SB_TCP_APPS_H

#include <stdint.h>

#include "conf/conf.h"
#include "tcp/tcp_stack.h"

/*
 * tcp_apps_listen opens the listeners |apps| asks for on |st| (IPv4 and
 * IPv6 wildcard on each configured port number). Returns 0 or the first
 * negative errno of tcp_listen.
 */
int tcp_apps_listen(struct tcp_stack *st, const struct conf_tcp_apps *apps);

/*
 * tcp_apps_connect opens an outbound connection from |port_idx| to
 * |dst|:|dport| (|family| TCP_KEY_V4/V6) that runs the source service:
 * it sends the pattern until the peer closes. Returns tcp_connect's result.
 */
int tcp_apps_connect(struct tcp_stack *st, uint16_t port_idx, uint8_t family, const uint8_t *dst,
		     uint16_t dport);

#endif
