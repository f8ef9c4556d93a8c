/* SPDX-License-Identifier: Apache-2.0 */
/* The legacy 8259A pair: moved off the exception vectors and fully masked. */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include <stdint.h>

/* Remaps the master to vectors [base, base+8) and the slave to [base+8, base+16), masks all. */
void pic_remap_and_mask(uint8_t vector_base);

#endif
