/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 16550 UART's register map (the datasheet), shared by the x86 guest's
 * uart.h (ports and MMIO) and the Arm guest's uart16550.h (MMIO). Register
 * indexes are before reg_shift.
 */
#ifndef GUEST_UART16550_REGS_H
#define GUEST_UART16550_REGS_H

#define UART_RBR 0 /* receive buffer (read, DLAB=0) */
#define UART_THR 0 /* transmit holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_LCR_WORD_8BITS 0x03 /* 8 data bits, 1 stop bit, no parity */
#define UART_LCR_DLAB	    0x80

#define UART_FCR_ENABLE	  0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DATA_READY 0x01
#define UART_LSR_THRE	    0x20 /* transmit holding register empty */
#define UART_LSR_TEMT	    0x40 /* transmitter empty */

#define UART_IER_RDI  0x01 /* interrupt when received data is available */
#define UART_IER_THRE 0x02 /* interrupt when the transmit holding register empties */

#define UART_IIR_NO_INTERRUPT 0x01
#define UART_IIR_ID_MASK      0x0e
#define UART_IIR_ID_THRE      0x02
#define UART_IIR_FIFO_ENABLED 0xc0

/* 115200 baud from the 1.8432 MHz reference clock. */
#define UART_DIVISOR_115200 1

#endif
