/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drop.h - every reason the data plane drops a packet, as one X-macro list.
 *
 * A dropped packet is a counter, never an error return. Each entry expands to
 * an enum value DROP_<NAME> and a counter name "<name>" that appears in
 * telemetry (/slimbridge/stats "drops") and in docs/drop-reasons.md. Add new
 * reasons at the end of their group; names are part of the telemetry surface.
 */
#ifndef SB_DROP_H
#define SB_DROP_H

#include <stdbool.h>

#define foreach_drop(_)							\
	/* Ethernet */							\
	_(ETH_TOO_SHORT, "eth_too_short")				\
	_(ETH_NOT_FOR_US, "eth_not_for_us")				\
	_(ETH_UNKNOWN_TYPE, "eth_unknown_ethertype")			\
	_(ETH_VLAN, "eth_vlan_unsupported")				\
	_(ETH_BAD_SRC, "eth_bad_source")				\
	/* ARP */							\
	_(ARP_MALFORMED, "arp_malformed")				\
	_(ARP_NOT_FOR_US, "arp_not_for_us")				\
	_(ARP_BAD_OP, "arp_bad_op")					\
	_(ARP_BAD_SENDER, "arp_bad_sender")				\
	/* IPv4 */							\
	_(IP4_TOO_SHORT, "ip4_too_short")				\
	_(IP4_BAD_VERSION, "ip4_bad_version")				\
	_(IP4_BAD_IHL, "ip4_bad_ihl")					\
	_(IP4_BAD_LEN, "ip4_bad_total_length")				\
	_(IP4_BAD_CSUM, "ip4_bad_checksum")				\
	_(IP4_FRAGMENT, "ip4_fragment")					\
	_(IP4_OPTIONS, "ip4_options")					\
	_(IP4_BAD_SRC, "ip4_bad_source")				\
	_(IP4_NOT_FOR_US, "ip4_not_for_us")				\
	_(IP4_UNKNOWN_PROTO, "ip4_unknown_protocol")			\
	/* ICMP */							\
	_(ICMP_TOO_SHORT, "icmp_too_short")				\
	_(ICMP_BAD_CSUM, "icmp_bad_checksum")				\
	_(ICMP_UNHANDLED, "icmp_unhandled_type")			\
	/* IPv6 */							\
	_(IP6_TOO_SHORT, "ip6_too_short")				\
	_(IP6_BAD_VERSION, "ip6_bad_version")				\
	_(IP6_BAD_LEN, "ip6_bad_payload_length")			\
	_(IP6_BAD_SRC, "ip6_bad_source")				\
	_(IP6_NOT_FOR_US, "ip6_not_for_us")				\
	_(IP6_FRAGMENT, "ip6_fragment")					\
	_(IP6_EXT_HDR, "ip6_extension_header")				\
	_(IP6_UNKNOWN_PROTO, "ip6_unknown_protocol")			\
	/* ICMPv6 and neighbour discovery */				\
	_(ICMP6_TOO_SHORT, "icmp6_too_short")				\
	_(ICMP6_BAD_CSUM, "icmp6_bad_checksum")				\
	_(ICMP6_UNHANDLED, "icmp6_unhandled_type")			\
	_(NDP_BAD_HOP_LIMIT, "ndp_bad_hop_limit")			\
	_(NDP_MALFORMED, "ndp_malformed")				\
	_(NDP_NOT_FOR_US, "ndp_not_for_us")				\
	/* TCP (dataplane/tcp/tcp_wire.h) */				\
	_(TCP_TOO_SHORT, "tcp_too_short")				\
	_(TCP_BAD_OFFSET, "tcp_bad_data_offset")			\
	_(TCP_BAD_CSUM, "tcp_bad_checksum")				\
	_(TCP_BAD_OPTION, "tcp_bad_option")				\
	_(TCP_BAD_FLAGS, "tcp_bad_flags")				\
	_(TCP_RST_NO_CONN, "tcp_rst_no_connection")			\
	_(TCP_NO_NEIGH, "tcp_no_neighbour")				\
	_(TCP_HANDOFF_FULL, "tcp_handoff_ring_full")			\
	/* Transport: no listener yet for this protocol/port */	\
	_(L4_NO_HANDLER, "l4_no_handler")				\
	/* Port I/O */							\
	_(IMPAIR, "impair_drop")					\
	_(TX_FULL, "tx_queue_full")					\
	_(NO_MBUF, "no_mbuf")						\
	_(NEIGH_RING_FULL, "neigh_ring_full")				\
	_(NO_TAILROOM, "no_tailroom")					\
	/* Consumed (not errors): handled, nothing to send */		\
	_(CONSUMED_ARP_REPLY, "consumed_arp_reply")			\
	_(CONSUMED_NDP_NA, "consumed_ndp_na")				\
	_(CONSUMED_ARP_GRATUITOUS, "consumed_arp_gratuitous")

enum drop_reason {
#define _(sym, str) DROP_##sym,
	foreach_drop(_)
#undef _
	DROP__MAX
};

/*
 * drop_reason_is_consumed returns true for the CONSUMED_* reasons: frames that
 * were fully handled (a learned ARP reply, say) and not lost. Telemetry's
 * "dropped" total leaves them out.
 */
bool drop_reason_is_consumed(enum drop_reason r);

/*
 * drop_reason_name returns the telemetry name of |r|, or "unknown" when |r| is
 * out of range. The string is static.
 */
const char *drop_reason_name(enum drop_reason r);

#endif
