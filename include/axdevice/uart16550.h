/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550A UART: the "console" device kind (EmuDeviceType Console = 0).
 *
 * Guest side: the eight 16550A registers (RBR/THR, IER, IIR/FCR, LCR, MCR,
 * LSR, MSR, SCR; DLL/DLM behind LCR.DLAB) with 16-byte RX and TX FIFOs. It
 * passes Linux's 8250 autodetection as a plain PORT_16550A.
 *
 * Config entry (struct ax_emu_config):
 *   cfg_list = [bus, reg_shift] or [bus, reg_shift, model], all optional:
 *     bus        0 = MMIO (default), 1 = x86 port I/O
 *     reg_shift  0 (default): registers 1 byte apart, 1-byte accesses only;
 *                2: registers 4 bytes apart, 1- or 4-byte accesses at the
 *                register's offset, the register in the low byte.
 *     model      absent: this 16550A; 1 (AX_CONSOLE_MODEL_PL011): an Arm
 *                PL011 instead, only as [0, 2, 1] (pl011.h). Any other third
 *                value, or a fourth, is refused, so every 16550 config written
 *                before the PL011 existed keeps its meaning and its errors.
 *   length must cover 8 << reg_shift bytes (ports must stay below 0x10000).
 *   irq_id is the level-triggered line the model claims (irq.h), driven only
 *   when the level changes: to the set's I/O APIC / 8259 model when one owns
 *   it, else through hooks->irq_set_level.
 * An access of another width is InvalidInput; an offset between two
 * registers (reg_shift 2) or past the eighth is BadAddress.
 *
 * Interrupt wiring: on the port bus the model is wired like a PC COM port:
 * the line reaches the interrupt controller only while MCR.OUT2 is set and
 * MCR.LOOP is clear (loopback forces the OUT pins inactive). Linux, DOS and
 * BIOS drivers set OUT2 for this reason. On MMIO the line follows the
 * pending sources alone, as on SoCs where OUT2 is not connected.
 *
 * Power-on / reset state: IER=0, IIR=0x01, FCR=0 (FIFOs off), LCR=0, MCR=0,
 * LSR=0x60, SCR=0, divisor 0x000c (9600 baud from 1.8432 MHz), both FIFOs
 * empty, no interrupt pending. MSR shows the host's modem input lines
 * (by default DCD|DSR|CTS: a connected terminal, MSR=0xb0) with no delta
 * bits. Reset keeps the host's modem lines and the counters.
 *
 * Output: bytes written to THR go at once to the char backend the host binds
 * to the device's name (hooks->char_backend, looked up at every transmit, so
 * it may be bound late). Without a backend they are discarded and counted.
 * A backend that takes fewer bytes leaves the rest in the TX FIFO (LSR THRE
 * and TEMT stay clear) until ax_uart16550_poll_tx() gets them out. Resetting
 * or switching the FIFOs (FCR) discards them, as on hardware. A THR write
 * into a full TX FIFO loses the byte (counted as tx_dropped).
 *
 * Input: the host pushes bytes with ax_uart16550_push_input(), which takes
 * only what fits (16 bytes with FIFOs on, 1 with them off, none in loopback)
 * and returns the count, so nothing is lost; the host retries the rest
 * later. LSR.OE therefore only happens in loopback, when the guest sends
 * more than the RX FIFO holds.
 *
 * Receive timeout is simplified: with FIFOs on, IIR reports a character
 * timeout (0xcc) whenever the RX FIFO holds data below the trigger level.
 * Reading an empty RBR returns 0. Parity, framing and break are not
 * emulated; writes to LSR and MSR are ignored.
 *
 * Threads: every guest access and every function below takes a per-device
 * spinlock, so they may run concurrently from any thread. The char
 * backend's write and the line's level change (hooks->irq_set_level) run with that lock held: they
 * must not block for long and must not call back into the same UART.
 */
#ifndef AXDEVICE_UART16550_H
#define AXDEVICE_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

/* cfg_list[0] values. */
#define AX_UART16550_BUS_MMIO 0
#define AX_UART16550_BUS_PORT 1

/* Modem input lines, as in the top half of MSR. */
#define AX_UART16550_LINE_CTS 0x10
#define AX_UART16550_LINE_DSR 0x20
#define AX_UART16550_LINE_RI  0x40
#define AX_UART16550_LINE_DCD 0x80
#define AX_UART16550_LINES_CONNECTED                                                               \
	(AX_UART16550_LINE_DCD | AX_UART16550_LINE_DSR | AX_UART16550_LINE_CTS)

#define AX_UART16550_FIFO_SIZE 16

struct ax_uart16550;

/* A snapshot, read without the side effects of guest reads. */
struct ax_uart16550_status {
	uint8_t ier, iir, fcr, lcr, mcr, lsr, msr, scr;
	uint16_t divisor;      /* DLM:DLL */
	bool irq_level;	       /* as last reported through irq_set_level */
	size_t rx_count;       /* bytes waiting for the guest */
	size_t rx_capacity;    /* what the RX side holds in the current mode */
	size_t tx_count;       /* bytes the backend has not taken yet */
	uint64_t rx_bytes;     /* accepted from the host */
	uint64_t tx_bytes;     /* taken by the char backend */
	uint64_t tx_discarded; /* transmitted with no backend bound */
	uint64_t tx_dropped;   /* written to THR while the TX FIFO was full */
	uint64_t rx_overruns;  /* loopback bytes lost to a full RX FIFO (LSR.OE) */
};

/*
 * The UART behind device `id` of `set`, valid until that device is removed.
 * InvalidInput when that device is not a 16550A built by this library;
 * NotFound for a bad id.
 */
enum ax_err ax_uart16550_from_device(struct ax_devices *set, uint32_t id,
				     struct ax_uart16550 **out);

/*
 * Offers `len` input bytes to the guest; returns how many were taken (0 when
 * the RX FIFO is full or the UART is in loopback). Raises the receive
 * interrupt as the guest configured it.
 */
size_t ax_uart16550_push_input(struct ax_uart16550 *uart, const uint8_t *buf, size_t len);

/* Offers the TX FIFO to the char backend again; returns the bytes still waiting. */
size_t ax_uart16550_poll_tx(struct ax_uart16550 *uart);

/*
 * Sets the modem input lines (AX_UART16550_LINE_* bits; others ignored).
 * Changes set MSR delta bits and may raise the modem status interrupt; in
 * loopback they take effect when loopback ends.
 */
void ax_uart16550_set_modem_lines(struct ax_uart16550 *uart, uint8_t lines);

void ax_uart16550_query(struct ax_uart16550 *uart, struct ax_uart16550_status *out);

#endif
