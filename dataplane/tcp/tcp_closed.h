/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_closed.h - what the data plane does with a TCP segment for one of our
 * addresses when no connection or listener owns its port: RFC 9293 3.10.7.1
 * ("If the state is CLOSED"): an incoming RST is discarded, anything else is
 * answered with a reset. Sans-I/O over the flat frame net_input accepted.
 */
#ifndef SB_TCP_CLOSED_H
#define SB_TCP_CLOSED_H

#include <stdint.h>

#include "net/net.h"

/*
 * tcp_closed_input takes a frame of net_input's NET_VERDICT_LOCAL result
 * |res| (l4_proto TCP) and verifies the TCP checksum and header. Then:
 *   - an RST is dropped (DROP_TCP_RST_NO_CONN), never answered;
 *   - otherwise the frame is rewritten in place into the reset, back to
 *     where the segment came from, and |res| becomes NET_VERDICT_TX with its
 *     length: <SEQ=SEG.ACK><CTL=RST> when the segment carried an ACK, else
 *     <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (SYN and FIN count in
 *     SEG.LEN); no options, no payload, window 0, TTL/hop limit 64.
 * A bad checksum or header turns |res| into a drop with its reason. The reply
 * is never longer than the segment it answers, so |frame| needs no tailroom.
 * Counts NET_CTR_TCP_RST_OUT in |ctr| (which may be NULL).
 */
void tcp_closed_input(const struct net_if *nif, uint8_t *frame, struct net_counters *ctr,
		      struct net_result *res);

#endif
