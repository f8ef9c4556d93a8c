/* SPDX-License-Identifier: Apache-2.0 */
#ifndef GUEST_SMP_CHECKS_H
#define GUEST_SMP_CHECKS_H

/* The second CPU: started by INIT + startup IPIs, then IPIs both ways. */
void smp_checks_run(void);

/* The AP's C entry, from ap_trampoline.S. */
void ap_main(void) __attribute__((noreturn));

#endif
