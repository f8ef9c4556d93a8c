/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A second CPU through the local APIC (Intel SDM vol. 3, 9.4 and 10.6): the
 * boot CPU starts APIC id 1 with the INIT, startup, startup sequence, the AP
 * enables its own local APIC and says so, then one fixed IPI goes each way.
 * With a single vCPU nothing answers and the checks fail: configs/demo.toml
 * gives the VM two.
 */
#include "smp_checks.h"

#include "clock.h"
#include "cpu.h"
#include "interrupts.h"
#include "lapic.h"
#include "string.h"
#include "tap.h"

#define AP_APIC_ID	    1u
#define TRAMPOLINE_VECTOR   0x07u /* the AP starts at 0x7000, below the multiboot info at 0x9000 */
#define TRAMPOLINE_ADDRESS  (TRAMPOLINE_VECTOR << 12)
#define AP_STACK_SIZE	    0x4000u
#define AP_START_TIMEOUT_MS 10000u /* as long as Linux waits (do_boot_cpu) */
#define IPI_TIMEOUT_MS	    10000u

#define VECTOR_TO_AP  0x62u
#define VECTOR_TO_BSP 0x63u

#define LAPIC_REG_ICR_LOW	0x300u
#define LAPIC_REG_ICR_HIGH	0x310u
#define LAPIC_ICR_INIT		(5u << 8)
#define LAPIC_ICR_STARTUP	(6u << 8)
#define LAPIC_ICR_LEVEL_ASSERT	(1u << 14)
#define LAPIC_ICR_DELIVERY_BUSY (1u << 12)
#define LAPIC_ICR_DEST_SHIFT	24

extern const char ap_trampoline[], ap_gdt_pointer[], ap_trampoline_end[];

uint32_t ap_stack_top; /* read by ap_trampoline.S */
static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t ap_alive;
static volatile uint32_t ap_apic_id_seen;
static volatile bool ap_got_ipi, bsp_got_ipi;

static void send_ipi(uint8_t dest, uint32_t low)
{
	uint64_t deadline = clock_deadline_ms(10);

	lapic_write(LAPIC_REG_ICR_HIGH, (uint32_t)dest << LAPIC_ICR_DEST_SHIFT);
	lapic_write(LAPIC_REG_ICR_LOW, low);
	while ((lapic_read(LAPIC_REG_ICR_LOW) & LAPIC_ICR_DELIVERY_BUSY) &&
	       !clock_expired(deadline))
		cpu_relax();
}

static void delay_us(uint32_t us)
{
	/* clock_deadline_ms has millisecond granularity: round up */
	uint64_t deadline = clock_deadline_ms((us + 999) / 1000);

	while (!clock_expired(deadline))
		cpu_relax();
}

static void on_ipi_at_ap(struct interrupt_frame *frame)
{
	(void)frame;
	ap_got_ipi = true;
	lapic_eoi();
	send_ipi(0, VECTOR_TO_BSP); /* fixed, physical, to the boot CPU */
}

static void on_ipi_at_bsp(struct interrupt_frame *frame)
{
	(void)frame;
	bsp_got_ipi = true;
	lapic_eoi();
}

void ap_main(void)
{
	interrupts_load();
	if (lapic_enable(VECTOR_LAPIC_SPURIOUS)) {
		ap_apic_id_seen = lapic_id();
		memory_barrier();
		ap_alive = 1;
	}
	/* serve IPIs until the VM ends */
	for (;;)
		interrupts_enable_and_halt();
}

static bool wait_for(volatile bool *flag, uint32_t ms)
{
	uint64_t deadline = clock_deadline_ms(ms);

	interrupts_enable();
	while (!*flag && !clock_expired(deadline))
		cpu_relax();
	interrupts_disable();
	return *flag;
}

void smp_checks_run(void)
{
	uint64_t deadline;

	tap_section("second CPU: INIT + startup IPIs, IPIs both ways");
	memcpy((void *)TRAMPOLINE_ADDRESS, ap_trampoline,
	       /* two symbols of one assembler block: their distance, as addresses */
	       (size_t)((uintptr_t)ap_trampoline_end - (uintptr_t)ap_trampoline));
	/* the AP loads the GDT this CPU runs on */
	__asm__ volatile(
		"sgdt %0"
		: "=m"(*(char(*)[6])(TRAMPOLINE_ADDRESS + (ap_gdt_pointer - ap_trampoline)))
		:
		: "memory");
	ap_stack_top = (uint32_t)(uintptr_t)(ap_stack + AP_STACK_SIZE);
	interrupt_set_handler(VECTOR_TO_AP, on_ipi_at_ap);
	interrupt_set_handler(VECTOR_TO_BSP, on_ipi_at_bsp);

	send_ipi(AP_APIC_ID, LAPIC_ICR_INIT | LAPIC_ICR_LEVEL_ASSERT);
	delay_us(10000);
	for (int i = 0; i < 2 && !ap_alive; i++) {
		send_ipi(AP_APIC_ID, LAPIC_ICR_STARTUP | TRAMPOLINE_VECTOR);
		delay_us(200);
	}
	deadline = clock_deadline_ms(AP_START_TIMEOUT_MS);
	while (!ap_alive && !clock_expired(deadline))
		cpu_relax();
	if (!check(ap_alive, "APIC id 1 started by INIT + startup IPI", "no sign of life in %u ms",
		   AP_START_TIMEOUT_MS))
		return;
	check_eq32(ap_apic_id_seen, AP_APIC_ID, "the second CPU reads its own APIC id");

	send_ipi(AP_APIC_ID, VECTOR_TO_AP);
	check(wait_for(&bsp_got_ipi, IPI_TIMEOUT_MS) && ap_got_ipi,
	      "a fixed IPI reaches APIC id 1 and its answer comes back",
	      "AP got it: %s, answer: %s", ap_got_ipi ? "yes" : "no", bsp_got_ipi ? "yes" : "no");
}
