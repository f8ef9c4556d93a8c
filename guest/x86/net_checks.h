/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mode=net: the virtio-net device net0 (platform.h) on a tap whose host side
 * is 10.0.3.1/24: ARP for the host, an ICMP echo request from 10.0.3.15 and
 * its reply checked byte-exact, receive completions by I/O APIC interrupt.
 */
#ifndef GUEST_NET_CHECKS_H
#define GUEST_NET_CHECKS_H

/* Returns the VM's exit status: 0 only if every check passed. */
int net_checks_run(void);

#endif
