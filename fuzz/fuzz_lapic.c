/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the local APIC through the device set's dispatch, the
 * interrupt fabric (I/O APIC messages, a fake 8259) and a fake clock.
 * Random register accesses (any vCPU, width and offset), bus messages,
 * acknowledges, clock advances (on time or late), stale timer runs, 8259
 * INTR changes and resets. Oracle, after every step and for every vCPU:
 *  - vectors 0-15 are never in IRR or ISR;
 *  - ISR bits are set only by an acknowledge, which sets exactly the bit
 *    of the vector it returned and clears it from IRR;
 *  - ack returns the highest IRR vector, and only when its class is above
 *    the PPR class (or the 8259's vector through LINT0 ExtINT on vCPU 0);
 *    otherwise NotFound;
 *  - ax_devices_irq_pending says exactly that;
 *  - PPR follows TPR and the highest ISR vector (SDM 10.8.3.1);
 *  - writes to read-only registers (version, APR, PPR, RRD, ISR, TMR, IRR,
 *    current count) change nothing;
 *  - during a clock advance, a vCPU is notified only if its timer was armed
 *    with an unmasked LVT, and never before that deadline.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/lapic.h>

#include "core/irq.h"
#include "core/set.h"
#include "fake_clock.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE	 0xfee00000ull
#define MAX_CPUS 4u

static struct fake_clock clk;
static struct ax_devices *set;
static struct ax_lapic *lapic;
static uint32_t nr_cpus;
static bool pic_intr;
static uint8_t pic_vector;
static uint64_t first_notify[MAX_CPUS]; /* during an advance: clock at the first notify */

static bool fake_intr(void *priv)
{
	(void)priv;
	return pic_intr;
}

static uint8_t fake_ack(void *priv)
{
	(void)priv;
	pic_intr = false;
	return pic_vector;
}

static void fake_eoi(void *priv, uint8_t vector)
{
	(void)priv;
	FUZZ_CHECK(vector >= 16);
}

/* Runs on the advancing thread (this one) from the timer callback. */
static void on_notify(void *arg, uint32_t vcpu)
{
	(void)arg;
	FUZZ_CHECK(vcpu < nr_cpus);
	if (first_notify[vcpu] == UINT64_MAX)
		first_notify[vcpu] = fake_clock_now(&clk);
}

static struct ax_lapic_state snap(uint32_t cpu)
{
	struct ax_lapic_state s;

	FUZZ_CHECK(ax_lapic_snapshot(lapic, cpu, &s) == AX_OK);
	return s;
}

static int highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

static bool extint(const struct ax_lapic_state *s, uint32_t cpu)
{
	return cpu == 0 && pic_intr && !(s->lvt_lint0 & 0x10000u) &&
	       ((s->lvt_lint0 >> 8) & 7u) == 7u;
}

/* The vector an acknowledge must return, or -1. */
static int expected_ack(const struct ax_lapic_state *s, uint32_t cpu)
{
	int irrv = highest(s->irr);

	if (extint(s, cpu))
		return pic_vector;
	if (irrv >= 0 && ((uint32_t)irrv & 0xf0u) > (s->ppr & 0xf0u))
		return irrv;
	return -1;
}

static void check_cpu(uint32_t cpu, const struct ax_lapic_state *before)
{
	struct ax_lapic_state s = snap(cpu);
	int isrv = highest(s.isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;

	FUZZ_CHECK((s.irr[0] & 0xffffu) == 0 && (s.isr[0] & 0xffffu) == 0);
	FUZZ_CHECK(s.ppr == ((s.tpr & 0xf0u) >= isr_class ? s.tpr : isr_class));
	for (unsigned n = 0; n < 8; n++)
		FUZZ_CHECK((s.isr[n] & ~before->isr[n]) == 0); /* only ack sets ISR bits */
	FUZZ_CHECK(ax_devices_irq_pending(set, cpu) == (expected_ack(&s, cpu) >= 0));
}

static uint32_t gen_off(struct fin *in)
{
	static const uint16_t regs[] = { 0x20,	0x30,  0x80,  0x90,  0xa0,  0xb0,  0xc0,  0xd0,
					 0xe0,	0xf0,  0x100, 0x170, 0x180, 0x200, 0x270, 0x280,
					 0x2f0, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360,
					 0x370, 0x380, 0x390, 0x3e0, 0x3f0, 0x300, 0x380, 0x320 };
	uint8_t sel = fin_u8(in);

	if ((sel & 0xe0) == 0xe0)
		return fin_u16(in) & 0xfff; /* anywhere in the frame */
	return regs[sel & 31];
}

/* Values that mean something in APIC registers. */
static uint32_t gen_val(struct fin *in)
{
	uint8_t sel = fin_u8(in);
	uint32_t v = fin_u32(in);

	switch (sel & 3) {
	case 0:
		return v & 0x000cffffu; /* an ICR/LVT-shaped value, unmasked */
	case 1:
		return (v & 0xff) | 0x100u; /* SVR enabled with a vector, or a small count */
	case 2:
		return v & 0xff000000u; /* ID, LDR, ICR high */
	default:
		return v;
	}
}

static bool read_only(uint32_t off)
{
	return off == 0x30 || off == 0x90 || off == 0xa0 || off == 0xc0 || off == 0x390 ||
	       (off >= 0x100 && off < 0x280);
}

static void guest_write(struct fin *in, uint32_t cpu)
{
	uint32_t off = gen_off(in);
	unsigned width = fin_bool(in) ? fin_width(in) : 4;
	uint32_t val = gen_val(in);
	bool ok_shape = width == 4 && off % 16 == 0 && cpu < nr_cpus;

	struct ax_lapic_state before[MAX_CPUS];
	enum ax_err err;

	for (uint32_t c = 0; c < nr_cpus; c++)
		before[c] = snap(c);
	err = ax_devices_handle_mmio_write(set, cpu, BASE + off, width, val);
	if (!ok_shape) { /* InvalidInput, or BadAddress past the frame */
		FUZZ_CHECK(err != AX_OK);
		return;
	}
	FUZZ_CHECK(err == AX_OK);
	if (read_only(off)) {
		struct ax_lapic_state s = snap(cpu);

		FUZZ_CHECK(memcmp(s.irr, before[cpu].irr, sizeof(s.irr)) == 0);
		FUZZ_CHECK(memcmp(s.isr, before[cpu].isr, sizeof(s.isr)) == 0);
		FUZZ_CHECK(memcmp(s.tmr, before[cpu].tmr, sizeof(s.tmr)) == 0);
		FUZZ_CHECK(s.tpr == before[cpu].tpr && s.ppr == before[cpu].ppr);
	}
	for (uint32_t c = 0; c < nr_cpus; c++)
		check_cpu(c, &before[c]);
}

static void guest_read(struct fin *in, uint32_t cpu)
{
	uint32_t off = gen_off(in);
	unsigned width = fin_bool(in) ? fin_width(in) : 4;
	uint64_t v = 0;
	enum ax_err err = ax_devices_handle_mmio_read(set, cpu, BASE + off, width, &v);

	if (width != 4 || off % 16 || cpu >= nr_cpus) {
		FUZZ_CHECK(err != AX_OK && v == 0);
		return;
	}
	FUZZ_CHECK(err == AX_OK);
	if (off == 0x30)
		FUZZ_CHECK(v == AX_LAPIC_VERSION);
	if (off == 0xe0)
		FUZZ_CHECK((v & 0x0fffffffu) == 0x0fffffffu);
	if (off == 0x300)
		FUZZ_CHECK((v & (1u << 12)) == 0); /* delivery status idle */
}

static void do_ack(uint32_t cpu)
{
	struct ax_lapic_state before, after;
	uint32_t vector = 0;
	enum ax_err err;
	bool was_extint;
	int want;

	if (cpu >= nr_cpus) {
		FUZZ_CHECK(ax_devices_irq_ack(set, cpu, &vector) == AX_ERR_NOT_FOUND);
		return;
	}
	before = snap(cpu);
	want = expected_ack(&before, cpu);
	was_extint = extint(&before, cpu); /* the 8259's ack drops INTR */
	err = ax_devices_irq_ack(set, cpu, &vector);
	after = snap(cpu);
	if (want < 0) {
		FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
		FUZZ_CHECK(memcmp(after.irr, before.irr, sizeof(after.irr)) == 0);
		FUZZ_CHECK(memcmp(after.isr, before.isr, sizeof(after.isr)) == 0);
		return;
	}
	FUZZ_CHECK(err == AX_OK && vector == (uint32_t)want);
	if (was_extint) {
		FUZZ_CHECK(memcmp(after.isr, before.isr, sizeof(after.isr)) == 0);
		return;
	}
	FUZZ_CHECK(vector >= 16 && (vector & 0xf0u) > (before.ppr & 0xf0u));
	for (unsigned n = 0; n < 8; n++) {
		uint32_t bit = vector / 32 == n ? 1u << (vector % 32) : 0;

		FUZZ_CHECK(after.isr[n] == (before.isr[n] | bit));
		FUZZ_CHECK(after.irr[n] == (before.irr[n] & ~bit));
	}
}

static void do_advance(struct fin *in)
{
	struct ax_lapic_state before[MAX_CPUS];
	uint64_t ns;
	uint8_t sel = fin_u8(in);

	switch (sel & 3) {
	case 0:
		ns = fin_u8(in);
		break;
	case 1:
		ns = (uint64_t)fin_u16(in) * 16;
		break;
	case 2:
		ns = (uint64_t)fin_u16(in) * 4096;
		break;
	default: /* up to 67 ms: at most ~670 periodic expiries of the shortest period */
		ns = fin_u32(in) & 0x3ffffffu;
		break;
	}
	fake_clock_set_late(&clk, sel & 4);
	for (uint32_t c = 0; c < nr_cpus; c++) {
		before[c] = snap(c);
		first_notify[c] = UINT64_MAX;
	}
	clk.on_notify = on_notify;
	fake_clock_advance(&clk, ns);
	clk.on_notify = NULL;
	for (uint32_t c = 0; c < nr_cpus; c++) {
		if (first_notify[c] == UINT64_MAX)
			continue;
		/* only the timer runs during an advance: armed, unmasked, due */
		FUZZ_CHECK(before[c].timer_deadline_ns != 0);
		FUZZ_CHECK(!(before[c].lvt_timer & 0x10000u));
		FUZZ_CHECK(first_notify[c] >= before[c].timer_deadline_ns);
	}
	for (uint32_t c = 0; c < nr_cpus; c++)
		check_cpu(c, &before[c]);
}

static void do_message(struct fin *in)
{
	static const enum ax_apic_delivery modes[8] = { AX_APIC_FIXED,	 AX_APIC_FIXED,
							AX_APIC_LOWEST,	 AX_APIC_SMI,
							AX_APIC_NMI,	 AX_APIC_INIT,
							AX_APIC_STARTUP, AX_APIC_EXTINT };
	uint8_t sel = fin_u8(in);
	struct ax_apic_msg msg = {
		.vector = fin_u8(in),
		.delivery = modes[sel & 7],
		.logical = sel & 8,
		.dest = (sel & 16) ? fin_u8(in) : (uint8_t)(fin_u8(in) % (MAX_CPUS + 1)),
		.level_trigger = sel & 32,
	};
	struct ax_lapic_state before[MAX_CPUS];

	for (uint32_t c = 0; c < nr_cpus; c++)
		before[c] = snap(c);
	ax_irq_fabric_apic_deliver(set->irq_fabric, &msg);
	for (uint32_t c = 0; c < nr_cpus; c++)
		check_cpu(c, &before[c]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t hz_choices[4] = { 1000000000, 100000000, 1000, 1ull << 34 };
	struct fin in = { data, size };
	uint8_t cfgb = fin_u8(&in);
	uint64_t cfg_list[1] = { hz_choices[(cfgb >> 2) & 3] };
	struct ax_emu_config emu = { "lapic", BASE, 0x1000, 0, AX_EMU_LAPIC, cfg_list, 1 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &clk.host.hooks };
	struct ax_pic_ops pic = { NULL, fake_intr, fake_ack };
	struct ax_ioapic_eoi eoi = { NULL, fake_eoi };
	unsigned steps = 0;

	nr_cpus = 1 + (cfgb & 3);
	params.max_vcpus = nr_cpus;
	pic_intr = false;
	pic_vector = 0x20;
	fake_clock_init(&clk, 1000000, (cfgb & 0x30) == 0x30 ? FAKE_CLOCK_NO_TIMERS : 0);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, NULL) == AX_OK);
	FUZZ_CHECK(ax_lapic_from_device(set, 1, &lapic) == AX_OK);
	FUZZ_CHECK(ax_irq_fabric_set_pic(set->irq_fabric, "pic", &pic, NULL) == AX_OK);
	FUZZ_CHECK(ax_irq_fabric_add_ioapic_eoi(set->irq_fabric, &eoi, NULL) == AX_OK);

	while (fin_left(&in) && steps++ < 200) {
		uint8_t op = fin_u8(&in);
		uint32_t cpu = (op >> 4) % (nr_cpus + 1); /* nr_cpus: an absent vCPU */

		switch (op & 15) {
		case 0:
		case 1:
		case 2:
		case 3:
			guest_write(&in, cpu);
			break;
		case 4:
			guest_read(&in, cpu);
			break;
		case 5:
		case 6:
			do_ack(cpu);
			break;
		case 7:
			if (cpu < nr_cpus) { /* EOI: the common guest write */
				struct ax_lapic_state b = snap(cpu);

				FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, BASE + 0xb0, 4,
									0) == AX_OK);
				check_cpu(cpu, &b);
			}
			break;
		case 8:
		case 9:
			do_advance(&in);
			break;
		case 10:
			do_message(&in);
			break;
		case 11: {
			struct ax_lapic_state b = snap(0);

			pic_intr = fin_bool(&in);
			pic_vector = fin_u8(&in);
			ax_irq_fabric_pic_changed(set->irq_fabric);
			check_cpu(0, &b);
			break;
		}
		case 12: { /* a stale callback run never fires anything */
			struct ax_lapic_state b[MAX_CPUS];

			for (uint32_t c = 0; c < nr_cpus; c++) {
				b[c] = snap(c);
				first_notify[c] = UINT64_MAX;
			}
			clk.on_notify = on_notify;
			fake_clock_fire_stale(&clk);
			clk.on_notify = NULL;
			for (uint32_t c = 0; c < nr_cpus; c++) {
				if (first_notify[c] != UINT64_MAX)
					FUZZ_CHECK(b[c].timer_deadline_ns != 0 &&
						   fake_clock_now(&clk) >= b[c].timer_deadline_ns);
				check_cpu(c, &b[c]);
			}
			break;
		}
		case 13:
			if ((fin_u8(&in) & 7) == 0)
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
			break;
		default: /* enable the APIC and unmask a periodic timer: reach delivery quickly */
			if (cpu < nr_cpus) {
				FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, BASE + 0xf0, 4,
									0x1ff) == AX_OK);
				FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, BASE + 0x320, 4,
									0x20000u | fin_u8(&in)) ==
					   AX_OK);
			}
			break;
		}
	}
	ax_irq_fabric_clear_pic(set->irq_fabric, NULL);
	ax_irq_fabric_remove_ioapic_eoi(set->irq_fabric, NULL);
	ax_devices_destroy(set);
	set = NULL;
	fake_clock_fini(&clk);
	return 0;
}
