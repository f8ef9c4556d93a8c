/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm PrimeCell UART (PL011, ARM DDI 0183): the "console" device kind
 * (EmuDeviceType Console = 0) with cfg_list model 1.
 *
 * Config entry (struct ax_emu_config):
 *   cfg_list = [bus, reg_shift, model] = [0, 2, 1]:
 *     bus        must be 0 (MMIO): the PL011 is an APB peripheral;
 *     reg_shift  must be 2: its registers are 32-bit words 4 bytes apart;
 *     model      1 (AX_CONSOLE_MODEL_PL011). The 16550 is the default and is
 *                selected by leaving the third value out (uart16550.h), so
 *                every console config written before the PL011 existed keeps
 *                its meaning, and a third value other than 1 stays an error.
 *   Other combinations are refused with a message naming the device.
 *   length must cover the 4 KiB register page (0x1000: the identification
 *   registers sit at 0xfe0-0xffc); offsets past it are BadAddress.
 *   irq_id is the level-triggered line the model claims (irq.h): its level is
 *   (UARTMIS != 0), driven only when it changes.
 *
 * Register map (offset, access, bits kept; reset value):
 *   0x000 DR        RW  read: data[7:0] + FE/PE/BE/OE [11:8] (0 when the RX
 *                       FIFO is empty); write: data[7:0]
 *   0x004 RSR/ECR   RW  read: FE/PE/BE/OE [3:0]; any write clears them
 *   0x018 FR        RO  CTS DSR DCD BUSY RXFE TXFF RXFF TXFE RI; 0x90 | modem lines
 *   0x020 ILPR      RW  [7:0]; 0 (IrDA is not emulated)
 *   0x024 IBRD      RW  [15:0]; 0
 *   0x028 FBRD      RW  [5:0]; 0
 *   0x02c LCR_H     RW  [7:0]; 0. Writing it latches IBRD/FBRD into the baud
 *                       generator (the receive timeout uses the latched pair)
 *   0x030 CR        RW  [15:0] without the reserved [6:3]; 0x0300 (TXE|RXE)
 *   0x034 IFLS      RW  [5:0]; 0x12 (both FIFOs at 1/2)
 *   0x038 IMSC      RW  [10:0]; 0
 *   0x03c RIS       RO  [10:0]; 0
 *   0x040 MIS       RO  RIS & IMSC
 *   0x044 ICR       WO  clears the RIS bits written as 1; reads as 0
 *   0x048 DMACR     RW  [2:0]; 0. DMA is not supported: the bits are stored
 *                       and read back and nothing else happens
 *   0xfe0-0xfec PeriphID0-3 RO  0x11 0x10 0x34 0x00: part 0x011, designer 0x41
 *                       (Arm), revision 3 = r1p5; what QEMU's model shows and
 *                       Linux's amba bus matches (0x00041011, mask 0x000fffff)
 *   0xff0-0xffc CellID0-3   RO  0x0d 0xf0 0x05 0xb1
 *   Anything else in 0x000-0xfff is reserved: BadAddress, counted.
 * Access widths: an access starts at a register's offset (else BadAddress).
 * Registers of 8 significant bits or fewer (DR, RSR/ECR, FR, ILPR, FBRD,
 * LCR_H, IFLS, DMACR, the IDs) take 1-, 2- and 4-byte accesses (Linux's
 * earlycon uses byte accesses on DR and FR); the wider ones (IBRD, CR, IMSC,
 * RIS, MIS, ICR) take 2 and 4 bytes, since a byte write would have to invent
 * the upper bits. A write narrower than 4 bytes writes the register
 * zero-extended (APB has no byte lanes). Any other width is InvalidInput.
 * Writes to read-only registers and reads of ICR are ignored (read 0) and
 * counted, not refused. Refused accesses are counted too (bad_accesses).
 *
 * FIFOs: 32 entries each with LCR_H.FEN set, one (a holding register) with
 * it clear; changing FEN empties both, as on QEMU's model. Trigger levels
 * (IFLS): RX interrupt at >= 1/8, 1/4, 1/2, 3/4, 7/8 full (4, 8, 16, 24, 28
 * entries); TX interrupt at <= the same fractions. The reserved encodings
 * 5-7 read back as written and act as 7/8.
 *
 * Interrupts (RIS bits; MIS = RIS & IMSC; the line is MIS != 0):
 *   RX  set when a character arrives and the RX FIFO holds >= its trigger
 *       level (FEN clear: one character); cleared when a DR read takes it
 *       below that level, or by ICR.
 *   RT  receive timeout: set when the RX FIFO is not empty and no character
 *       has arrived for 32 bit periods at the latched baud rate, computed
 *       from a UARTCLK of AX_PL011_CLOCK_HZ (24 MHz, QEMU virt's apb_pclk);
 *       with IBRD latched as 0 (unprogrammed) the period is that of 115200
 *       baud. Cleared when the RX FIFO empties, or by ICR. Runs on the host
 *       time hooks (now_ns + timer_*). Without them the timeout has zero
 *       length: RT is set as soon as a character arrives, so a guest still
 *       sees every byte below the RX trigger level.
 *   TX  follows the PL011 rule (a transition, not a level): set when data
 *       leaves the TX FIFO and it is then at or below its trigger level
 *       (FEN clear: empty). Enabling TXIM on an idle UART raises nothing;
 *       the driver writes data first. Cleared by filling the FIFO above the
 *       level (FEN clear: by a write), or by ICR.
 *   CTS/DSR/DCD/RI modem interrupts: set on any change of that input line.
 *   OE  when a character arrives at a full RX FIFO (loopback only: the host
 *       side never overruns, see below); FE, PE, BE are never raised.
 *
 * Transmission is instantaneous: a DR write goes to the char backend the host
 * binds to the device's name (hooks->char_backend, looked up every time) or,
 * with CR.LBE, into the RX FIFO. It happens even with CR.UARTEN or CR.TXE
 * clear (counted as tx_while_disabled), as QEMU does: Linux's earlycon writes
 * to a PL011 that no firmware enabled. Without a backend the bytes are
 * discarded and counted. A backend that takes fewer bytes leaves the rest in
 * the TX FIFO (FR.TXFE clear, FR.BUSY set) until ax_pl011_poll_tx() gets them
 * out; a DR write into a full TX FIFO loses the byte (tx_dropped).
 *
 * Reception: ax_pl011_push_input() takes only what fits (32 or 1 entries)
 * and only while CR.UARTEN and CR.RXE are set and CR.LBE is clear; it
 * returns the count and the host keeps the rest, so input never overruns.
 * Parity, framing, break, word length, stop bits, IrDA and hardware flow
 * control (CTSEn/RTSEn) are stored and read back but change no byte.
 *
 * Modem lines: the host sets the inputs (AX_PL011_LINE_*; default CTS, DSR
 * and DCD: a connected terminal). In loopback CR.RTS drives CTS, CR.DTR
 * DSR, CR.Out1 DCD and CR.Out2 RI.
 *
 * Reset: the values above, both FIFOs empty, the line low, the receive
 * timeout disarmed; the host's modem lines and the counters are kept.
 *
 * Threads: every guest access, the timeout callback and every function below
 * take a per-device spinlock. The char backend's write and the line's level
 * change run with that lock held: they must not block for long and must not
 * call back into the same UART.
 */
#ifndef AXDEVICE_PL011_H
#define AXDEVICE_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

/* cfg_list[2] of a console entry: which UART model it builds. */
#define AX_CONSOLE_MODEL_16550 0 /* the default: written by omitting cfg_list[2] */
#define AX_CONSOLE_MODEL_PL011 1

/* The only reg_shift a PL011 console takes (cfg_list[1]). */
#define AX_PL011_REG_SHIFT 2
/* The register page a PL011 entry's length must cover. */
#define AX_PL011_MMIO_SIZE 0x1000u
/* UARTCLK assumed when turning IBRD/FBRD into a bit period. */
#define AX_PL011_CLOCK_HZ 24000000u

#define AX_PL011_FIFO_SIZE 32

/* Modem input lines (ax_pl011_set_modem_lines). */
#define AX_PL011_LINE_CTS	 0x01
#define AX_PL011_LINE_DSR	 0x02
#define AX_PL011_LINE_DCD	 0x04
#define AX_PL011_LINE_RI	 0x08
#define AX_PL011_LINES_CONNECTED (AX_PL011_LINE_CTS | AX_PL011_LINE_DSR | AX_PL011_LINE_DCD)

struct ax_pl011;

/* A snapshot, read without the side effects of guest reads. */
struct ax_pl011_status {
	uint16_t fr, rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, mis, dmacr;
	uint16_t ibrd_latched, fbrd_latched; /* what the last LCR_H write latched */
	bool irq_level;			     /* as last driven on the line */
	size_t rx_count;		     /* characters waiting for the guest */
	size_t rx_capacity;		     /* 32 with FEN, 1 without */
	size_t tx_count;		     /* bytes the backend has not taken yet */
	uint64_t rx_timeout_ns;		     /* the current receive timeout (0: no time hooks) */
	bool rx_timeout_armed;		     /* a timeout deadline is pending */
	uint64_t rx_bytes;		     /* accepted from the host */
	uint64_t tx_bytes;		     /* taken by the char backend */
	uint64_t tx_discarded;		     /* transmitted with no backend bound */
	uint64_t tx_dropped;		     /* written to DR while the TX FIFO was full */
	uint64_t tx_while_disabled;	     /* written to DR with UARTEN or TXE clear */
	uint64_t rx_overruns;		     /* loopback characters lost to a full RX FIFO */
	uint64_t rx_timeouts;		     /* RT raised */
	uint64_t bad_accesses;		     /* refused: bad width, offset or reserved register */
	uint64_t ignored_accesses;	     /* writes to read-only registers, reads of ICR */
};

/*
 * The PL011 behind device `id` of `set`, valid until that device is removed.
 * InvalidInput when that device is not a PL011 built by this library (a
 * 16550 console, say); NotFound for a bad id.
 */
enum ax_err ax_pl011_from_device(struct ax_devices *set, uint32_t id, struct ax_pl011 **out);

/*
 * Offers `len` input bytes to the guest; returns how many were taken (0 when
 * the RX FIFO is full, the receiver is disabled or the UART is in loopback).
 */
size_t ax_pl011_push_input(struct ax_pl011 *uart, const uint8_t *buf, size_t len);

/* Offers the TX FIFO to the char backend again; returns the bytes still waiting. */
size_t ax_pl011_poll_tx(struct ax_pl011 *uart);

/* Sets the modem input lines (AX_PL011_LINE_* bits; others ignored). */
void ax_pl011_set_modem_lines(struct ax_pl011 *uart, uint8_t lines);

void ax_pl011_query(struct ax_pl011 *uart, struct ax_pl011_status *out);

#endif
