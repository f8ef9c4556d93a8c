/* SPDX-License-Identifier: Apache-2.0 */
#include "pic.h"

#include "cpu.h"

/* 8259A ports and initialisation words (Intel 8259A datasheet). */
#define PIC_MASTER_COMMAND 0x20
#define PIC_MASTER_DATA	   0x21
#define PIC_SLAVE_COMMAND  0xa0
#define PIC_SLAVE_DATA	   0xa1

#define PIC_ICW1_INIT			 0x10
#define PIC_ICW1_NEEDS_ICW4		 0x01
#define PIC_ICW3_MASTER_HAS_SLAVE_ON_IR2 0x04
#define PIC_ICW3_SLAVE_ID_2		 0x02
#define PIC_ICW4_8086_MODE		 0x01
#define PIC_MASK_ALL			 0xff

void pic_remap_and_mask(uint8_t vector_base)
{
	outb(PIC_MASTER_COMMAND, PIC_ICW1_INIT | PIC_ICW1_NEEDS_ICW4);
	outb(PIC_SLAVE_COMMAND, PIC_ICW1_INIT | PIC_ICW1_NEEDS_ICW4);
	outb(PIC_MASTER_DATA, vector_base);
	outb(PIC_SLAVE_DATA, (uint8_t)(vector_base + 8));
	outb(PIC_MASTER_DATA, PIC_ICW3_MASTER_HAS_SLAVE_ON_IR2);
	outb(PIC_SLAVE_DATA, PIC_ICW3_SLAVE_ID_2);
	outb(PIC_MASTER_DATA, PIC_ICW4_8086_MODE);
	outb(PIC_SLAVE_DATA, PIC_ICW4_8086_MODE);
	outb(PIC_MASTER_DATA, PIC_MASK_ALL);
	outb(PIC_SLAVE_DATA, PIC_MASK_ALL);
}
