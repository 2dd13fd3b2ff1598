/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port.h - bring DPDK ports up and down for the data plane.
 *
 * A port gets one RX and one TX queue per worker, RSS over all of them when
 * the device offers it, an mbuf pool on its NUMA socket, the configured MTU,
 * and all-multicast (IPv6 neighbour discovery uses solicited-node groups).
 * Start-up only: nothing here runs on a worker.
 */
#ifndef SB_PORT_H
#define SB_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "dp.h"

/*
 * port_resolve finds the DPDK port named |name| (a vdev name such as
 * net_tap0, or a PCI address) and stores its id in |*port_id|. Returns 0, or
 * -ENODEV with a message listing the probed ports in |err| (|errlen| bytes).
 */
int port_resolve(const char *name, uint16_t *port_id, char *err, size_t errlen);

/*
 * port_start configures and starts |p| (port_id, conf, name filled in) with
 * |nb_queues| queue pairs and fills p->nif, p->pool, p->rss. Returns 0,
 * -EINVAL for a configuration the device cannot honour (message names the
 * key), or another negative errno from the device, with a message in |err|.
 */
int port_start(struct dp_port *p, const struct conf *c, uint16_t nb_queues, char *err,
	       size_t errlen);

/* port_stop stops and closes |p| and frees its pool (after the workers stopped). */
void port_stop(struct dp_port *p);

#endif
