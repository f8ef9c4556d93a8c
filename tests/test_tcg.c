/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCG accelerator (vmm/accel/tcg/) end to end: tiny hand-assembled x86
 * guests (bytes below, source in the comments) on Unicorn, with a real
 * device set (the library's local APIC, probe devices on ports and MMIO),
 * the real exit handlers (vmm/vcpu.c) and the POSIX timers (vmm/timers.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <axdevice/axdevice.h>

#include "accel/accel.h"
#include "accel/tcg/tcg.h"
#include "axvm.h"
#include "config/vm_config.h"
#include "host_posix.h"
#include "probe_device.h"
#include "timers.h"

#define RAM_SIZE   0x100000u
#define CODE	   0x3000u
#define AP_CODE	   0x5000u /* startup IPI vector 5 */
#define PROBE_MMIO 0xfe000000u

/*
 * At 0x3000, 32-bit: lgdt [0xf00]; lidt [0xf08]; ljmp 0x08:reload;
 * reload: ds = ss = 0x10, esp = 0x9000;
 *   al = 0x5a; out 0x80, al; in al, 0x80; [0x100] = al
 *   [0xfe000010] = 0x11223344; [0x104] = [0xfe000020]; [0x108] = [0xfd000000] (unmapped)
 *   APIC SVR = 0x1ff; ICR = 0x40040 (self IPI, vector 0x40); sti; hlt; cli
 *   LVT timer = 0x41, divide by 1, initial count 1000000 (1 ms); sti;
 *   1: cmp dword [0x110], 0; je 1b          (taken by the block hook)
 *   cli; initial count 5000000 (5 ms);
 *   2: cmp dword [0x110], 2; je 3f; sti; hlt; cli; jmp 2b   (taken after a HLT sleep)
 *   3: hlt (IF = 0: the VM stops)
 * 0x3100 handler40: inc dword [0x10c]; EOI; iret
 * 0x3111 handler41: inc dword [0x110]; EOI; iret
 */
static const uint8_t guest_g[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0x0f, 0x01, 0x1d, 0x08, 0x0f, 0x00, 0x00, 0xea,
	0x15, 0x30, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc,
	0x00, 0x90, 0x00, 0x00, 0xb0, 0x5a, 0xe6, 0x80, 0xe4, 0x80, 0xa2, 0x00, 0x01, 0x00, 0x00,
	0xb8, 0x44, 0x33, 0x22, 0x11, 0xa3, 0x10, 0x00, 0x00, 0xfe, 0xa1, 0x20, 0x00, 0x00, 0xfe,
	0xa3, 0x04, 0x01, 0x00, 0x00, 0xa1, 0x00, 0x00, 0x00, 0xfd, 0xa3, 0x08, 0x01, 0x00, 0x00,
	0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x03, 0xe0,
	0xfe, 0x40, 0x00, 0x04, 0x00, 0xfb, 0xf4, 0xfa, 0xc7, 0x05, 0x20, 0x03, 0xe0, 0xfe, 0x41,
	0x00, 0x00, 0x00, 0xc7, 0x05, 0xe0, 0x03, 0xe0, 0xfe, 0x0b, 0x00, 0x00, 0x00, 0xc7, 0x05,
	0x80, 0x03, 0xe0, 0xfe, 0x40, 0x42, 0x0f, 0x00, 0xfb, 0x83, 0x3d, 0x10, 0x01, 0x00, 0x00,
	0x00, 0x74, 0xf7, 0xfa, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0x40, 0x4b, 0x4c, 0x00, 0x83,
	0x3d, 0x10, 0x01, 0x00, 0x00, 0x02, 0x74, 0x05, 0xfb, 0xf4, 0xfa, 0xeb, 0xf2, 0xf4,
};
static const uint8_t guest_handlers[] = {
	0xff, 0x05, 0x0c, 0x01, 0x00, 0x00, 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe,
	0x00, 0x00, 0x00, 0x00, 0xcf, 0xff, 0x05, 0x10, 0x01, 0x00, 0x00, 0xc7,
	0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xcf,
};

/*
 * BSP at 0x3000: the same prologue; APIC on; ICR high = APIC ID 1; INIT; startup vector 5;
 * 1: cmp byte [0x114], 1; jne 1b; cli; hlt
 */
static const uint8_t guest_smp[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0x0f, 0x01, 0x1d, 0x08, 0x0f, 0x00, 0x00, 0xea,
	0x15, 0x30, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc,
	0x00, 0x90, 0x00, 0x00, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7,
	0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe,
	0x00, 0x45, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x05, 0x46, 0x00, 0x00, 0x80,
	0x3d, 0x14, 0x01, 0x00, 0x00, 0x01, 0x75, 0xf7, 0xfa, 0xf4,
};

/*
 * AP at 0x5000, real mode: mov ax, 0x10; mov ds, ax (base 0x100: a real-mode segment load);
 * eax = 1; cpuid; shr ebx, 24; out 0x82, bl (its APIC ID); byte [0x14] = 1; 1: jmp 1b
 */
static const uint8_t guest_ap[] = {
	0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x66,
	0xc1, 0xeb, 0x18, 0x88, 0xd8, 0xe6, 0x82, 0xc6, 0x06, 0x14, 0x00, 0x01, 0xeb, 0xfe,
};

/*
 * Two vCPUs, one counter: the BSP starts the AP (as guest_smp), then both run
 *   ecx = 1000000; 1: lock inc dword [0x200]; dec ecx; jnz 1b
 * the AP then sets byte [0x114] = 1 and spins; the BSP waits for it; cli; hlt.
 */
static const uint8_t guest_lock_bsp[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0x0f, 0x01, 0x1d, 0x08, 0x0f, 0x00, 0x00, 0xea,
	0x15, 0x30, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc,
	0x00, 0x90, 0x00, 0x00, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7,
	0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe,
	0x00, 0x45, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x05, 0x46, 0x00, 0x00, 0xb9,
	0x40, 0x42, 0x0f, 0x00, 0xf0, 0xff, 0x05, 0x00, 0x02, 0x00, 0x00, 0x49, 0x75, 0xf6, 0x80,
	0x3d, 0x14, 0x01, 0x00, 0x00, 0x01, 0x75, 0xf7, 0xfa, 0xf4,
};
static const uint8_t guest_lock_ap[] = {
	0x66, 0xb9, 0x40, 0x42, 0x0f, 0x00, 0x66, 0xf0, 0xff, 0x06, 0x00, 0x02,
	0x66, 0x49, 0x75, 0xf6, 0xc6, 0x06, 0x14, 0x01, 0x01, 0xeb, 0xfe,
};

/*
 * 64-bit, started in the Linux boot protocol's long mode (identity paging, CS 0x10):
 *   lidt [0xf08]; rsi = 0xfee00000; APIC on; LVT timer periodic vector 0x41, divide 1,
 *   100 us; rsp = 0x8008 (not 16-byte aligned); sti;
 *   rcx = 30000000; 1: add rax, rbx; inc rbx; cmp rbx, rcx; jb 1b
 *   cli; timer off; [0x118] = rax; [0x120] = rsp; hlt
 * 0x3100 handler: inc dword [0x110]; [0x128] = rsp; EOI; iretq
 */
static const uint8_t guest_long[] = {
	0x0f, 0x01, 0x1c, 0x25, 0x08, 0x0f, 0x00, 0x00, 0xbe, 0x00, 0x00, 0xe0, 0xfe, 0xc7,
	0x86, 0xf0, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, 0xc7, 0x86, 0xe0, 0x03, 0x00,
	0x00, 0x0b, 0x00, 0x00, 0x00, 0xc7, 0x86, 0x20, 0x03, 0x00, 0x00, 0x41, 0x00, 0x02,
	0x00, 0xc7, 0x86, 0x80, 0x03, 0x00, 0x00, 0xa0, 0x86, 0x01, 0x00, 0x48, 0xc7, 0xc4,
	0x08, 0x80, 0x00, 0x00, 0xfb, 0x48, 0xc7, 0xc1, 0x80, 0xc3, 0xc9, 0x01, 0x31, 0xc0,
	0x31, 0xdb, 0x48, 0x01, 0xd8, 0x48, 0xff, 0xc3, 0x48, 0x39, 0xcb, 0x72, 0xf5, 0xfa,
	0xc7, 0x86, 0x80, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0x04, 0x25,
	0x18, 0x01, 0x00, 0x00, 0x48, 0x89, 0x24, 0x25, 0x20, 0x01, 0x00, 0x00, 0xf4,
};
static const uint8_t guest_long_handler[] = {
	0xff, 0x04, 0x25, 0x10, 0x01, 0x00, 0x00, 0x48, 0x89, 0x24, 0x25, 0x28, 0x01, 0x00,
	0x00, 0xc7, 0x86, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0xcf,
};

/* lgdt [0xf00]; ljmp 0x08:reload; reload: ds = 0x10; int3 */
static const uint8_t guest_exc[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0xea, 0x0e, 0x30, 0x00,
	0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xcc,
};

/*
 * Interrupts that end HLT sleeps, 2000 of them: prologue; APIC on; divide by 1;
 * LVT timer periodic, vector 0x41; 100 us;
 *   1: sti; hlt; cli; cmp dword [0x110], 2000; jb 1b
 *   timer off; hlt
 */
static const uint8_t guest_hlt_loop[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0x0f, 0x01, 0x1d, 0x08, 0x0f, 0x00, 0x00, 0xea,
	0x15, 0x30, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc,
	0x00, 0x90, 0x00, 0x00, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7,
	0x05, 0xe0, 0x03, 0xe0, 0xfe, 0x0b, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x20, 0x03, 0xe0, 0xfe,
	0x41, 0x00, 0x02, 0x00, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0xa0, 0x86, 0x01, 0x00, 0xfb,
	0xf4, 0xfa, 0x81, 0x3d, 0x10, 0x01, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x00, 0x72, 0xf1, 0xc7,
	0x05, 0x80, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xf4,
};

/*
 * Interrupts into a busy loop: prologue; APIC on; LVT timer periodic, vector 0x41
 * (handler41: inc dword [0x110]; EOI; iret), divide by 1, 100 us; sti;
 *   ecx = 30000000; eax = ebx = 0; 1: add eax, ebx; inc ebx; cmp ebx, ecx; jb 1b
 *   cli; timer off; [0x118] = eax; hlt
 * Every interrupt is entered from the block hook at some block of the loop: a lost
 * or replayed instruction, or a frame with the wrong flags, changes the sum.
 */
static const uint8_t guest_busy[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0x0f, 0x01, 0x1d, 0x08, 0x0f, 0x00, 0x00,
	0xea, 0x15, 0x30, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e,
	0xd0, 0xbc, 0x00, 0x90, 0x00, 0x00, 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01,
	0x00, 0x00, 0xc7, 0x05, 0xe0, 0x03, 0xe0, 0xfe, 0x0b, 0x00, 0x00, 0x00, 0xc7, 0x05,
	0x20, 0x03, 0xe0, 0xfe, 0x41, 0x00, 0x02, 0x00, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe,
	0xa0, 0x86, 0x01, 0x00, 0xfb, 0xb9, 0x80, 0xc3, 0xc9, 0x01, 0x31, 0xc0, 0x31, 0xdb,
	0x01, 0xd8, 0x43, 0x39, 0xcb, 0x72, 0xf9, 0xfa, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe,
	0x00, 0x00, 0x00, 0x00, 0xa3, 0x18, 0x01, 0x00, 0x00, 0xf4,
};

/*
 * MMIO widths as Unicorn makes them: lgdt; ljmp; ds = 0x10;
 *   eax = [0xfe000002] (unaligned); [0x100] = eax; [0xfe000041] = eax (unaligned);
 *   cr4 |= OSFXSR; movq xmm0, [0xfe000008]; movq [0xfe000010], xmm0; cli; hlt
 */
static const uint8_t guest_widths[] = {
	0x0f, 0x01, 0x15, 0x00, 0x0f, 0x00, 0x00, 0xea, 0x0e, 0x30, 0x00, 0x00, 0x08,
	0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xa1, 0x02, 0x00, 0x00, 0xfe, 0xa3,
	0x00, 0x01, 0x00, 0x00, 0xa3, 0x41, 0x00, 0x00, 0xfe, 0x0f, 0x20, 0xe0, 0x0d,
	0x00, 0x02, 0x00, 0x00, 0x0f, 0x22, 0xe0, 0xf3, 0x0f, 0x7e, 0x05, 0x08, 0x00,
	0x00, 0xfe, 0x66, 0x0f, 0xd6, 0x05, 0x10, 0x00, 0x00, 0xfe, 0xfa, 0xf4,
};

struct fixture {
	struct axvm vm;
	struct axvm_vcpu vcpus[2];
	struct test_host host;
	struct ax_host_hooks hooks;
	struct axvm_timers *timers;
	uint8_t *ram;
	struct probe port80, port82, mmio;
	bool ipi_storm; /* run_vm_from: another CPU's APIC sends IPIs to vCPU 0 meanwhile */
	_Atomic uint32_t storm_bursts;
};

static struct fixture *fx; /* for the host hooks */

static void hook_irq_notify(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	if (vcpu < fx->vm.nr_vcpus)
		axvm_accel_tcg.irq_notify(&fx->vcpus[vcpu]);
}

static void hook_vcpu_startup(void *ctx, uint32_t vcpu, uint8_t vector)
{
	(void)ctx;
	if (vcpu < fx->vm.nr_vcpus)
		axvm_accel_tcg.vcpu_startup(&fx->vcpus[vcpu], vector);
}

static uint64_t hook_now(void *ctx)
{
	(void)ctx;
	return axvm_timers_now_ns(fx->timers);
}

static void *hook_timer_create(void *ctx, void (*fn)(void *), void *arg)
{
	(void)ctx;
	return axvm_timers_timer_create(fx->timers, fn, arg);
}

static void hook_timer_arm(void *ctx, void *t, uint64_t deadline)
{
	(void)ctx;
	axvm_timers_timer_arm(fx->timers, t, deadline);
}

static void hook_timer_disarm(void *ctx, void *t)
{
	(void)ctx;
	axvm_timers_timer_disarm(fx->timers, t);
}

static void hook_timer_destroy(void *ctx, void *t)
{
	(void)ctx;
	axvm_timers_timer_destroy(fx->timers, t);
}

static void put32(uint32_t at, uint32_t v)
{
	memcpy(fx->ram + at, &v, 4);
}

static uint32_t get32(uint32_t at)
{
	uint32_t v;

	memcpy(&v, fx->ram + at, 4);
	return v;
}

/* GDT (null, flat code 0x08, flat data 0x10), IDT gates 0x40 and 0x41, their pointers. */
static void guest_tables(void)
{
	static const uint8_t gdt[24] = { 0, 0,	  0,	0, 0,	 0,    0, 0, 0xff, 0xff, 0,    0,
					 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0,	   0x93, 0xcf, 0 };
	const uint32_t handlers[2] = { CODE + 0x100, CODE + 0x111 };

	memcpy(fx->ram + 0x1000, gdt, sizeof(gdt));
	fx->ram[0xf00] = 23; /* lgdt operand: limit, base */
	put32(0xf02, 0x1000);
	fx->ram[0xf08] = 0xff; /* lidt operand: limit 0x7ff, base 0x2000 */
	fx->ram[0xf09] = 0x07;
	put32(0xf0a, 0x2000);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t at = 0x2000 + (0x40 + i) * 8;

		put32(at, (handlers[i] & 0xffff) | 0x08u << 16);
		put32(at + 4, (handlers[i] & 0xffff0000u) | 0x8e00u); /* 32-bit interrupt gate */
	}
}

static int setup(void **state)
{
	static const struct ax_emu_config lapic = {
		.name = "lapic", .base_gpa = 0xfee00000, .length = 0x1000, .emu_type = AX_EMU_LAPIC
	};
	struct ax_vm_device_config cfg = { &lapic, 1 };
	struct ax_devices_params params = { .max_vcpus = 2 };
	struct ax_device_desc d;
	struct ax_diag diag = { 0 };

	/* also links tcg_vm.o ahead of accel.c's weak "not built" stand-in */
	assert_non_null(strstr(tcg_engine_version(), "Unicorn 2."));
	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	*state = fx;
	test_host_init(&fx->host, false);
	fx->hooks = fx->host.hooks;
	fx->hooks.irq_notify = hook_irq_notify;
	fx->hooks.vcpu_startup = hook_vcpu_startup;
	fx->hooks.now_ns = hook_now;
	fx->hooks.timer_create = hook_timer_create;
	fx->hooks.timer_arm = hook_timer_arm;
	fx->hooks.timer_disarm = hook_timer_disarm;
	fx->hooks.timer_destroy = hook_timer_destroy;
	fx->timers = axvm_timers_create();
	assert_non_null(fx->timers);
	params.hooks = &fx->hooks;
	if (ax_devices_create(&params, &cfg, &fx->vm.devices, &diag) != AX_OK)
		fail_msg("device set: %s", diag.msg);
	fx->port80.read_value = 0x77;
	fx->mmio.read_value = 0xcafef00d;
	d = probe_desc("port80", &fx->port80, AX_BUS_PORT, 0x80, 1);
	assert_int_equal(ax_devices_add(fx->vm.devices, &d, NULL, &diag), AX_OK);
	d = probe_desc("port82", &fx->port82, AX_BUS_PORT, 0x82, 1);
	assert_int_equal(ax_devices_add(fx->vm.devices, &d, NULL, &diag), AX_OK);
	d = probe_desc("mmio", &fx->mmio, AX_BUS_MMIO, PROBE_MMIO, 0x1000);
	assert_int_equal(ax_devices_add(fx->vm.devices, &d, NULL, &diag), AX_OK);

	fx->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(fx->ram);
	memset(fx->ram, 0, RAM_SIZE);
	fx->vm.ram.regions[0] =
		(struct guest_ram_region){ .gpa = 0, .size = RAM_SIZE, .host = fx->ram };
	fx->vm.ram.nr = 1;
	fx->vm.accel = &axvm_accel_tcg;
	fx->vm.vcpus = fx->vcpus;
	atomic_init(&fx->vm.status, -1);
	pthread_mutex_init(&fx->vm.unmapped_lock, NULL);
	guest_tables();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* as axvm_destroy: the models (and their timer callbacks) before the vCPUs */
	ax_devices_destroy(fx->vm.devices);
	for (uint32_t i = 0; i < fx->vm.nr_vcpus; i++)
		axvm_accel_tcg.vcpu_destroy(&fx->vcpus[i]);
	if (fx->vm.accel_vm)
		axvm_accel_tcg.vm_destroy(&fx->vm);
	axvm_timers_destroy(fx->timers);
	pthread_mutex_destroy(&fx->vm.unmapped_lock);
	free(fx->ram);
	test_host_fini(&fx->host);
	free(fx);
	fx = NULL;
	return 0;
}

/*
 * As vCPU 1's local APIC (no vCPU runs it): fixed IPIs, vector 0x41, to APIC ID 0,
 * in bursts. After each burst it waits (up to 20 ms) until vCPU 0 has gone to sleep
 * on HLT, so the next burst's first IPI notifies a sleeping vCPU: a storm that never
 * pauses leaves an interrupt pending at every HLT and the sleep path untested on a
 * slow host (ASan, a loaded machine).
 */
static void *ipi_storm(void *arg)
{
	(void)arg;
	while (!atomic_load(&fx->vm.stop)) {
		uint64_t slept =
			atomic_load(&((struct tcg_vcpu *)fx->vcpus[0].accel)->stats.hlt_sleeps);
		struct timespec us = { 0, 50000 };

		for (int i = 0; i < 64; i++) {
			ax_devices_handle_mmio_write(fx->vm.devices, 1, 0xfee00310, 4, 0);
			ax_devices_handle_mmio_write(fx->vm.devices, 1, 0xfee00300, 4, 0x41);
		}
		for (int i = 0; i < 400 && !atomic_load(&fx->vm.stop); i++) {
			if (atomic_load(
				    &((struct tcg_vcpu *)fx->vcpus[0].accel)->stats.hlt_sleeps) !=
			    slept)
				break;
			nanosleep(&us, NULL);
		}
		atomic_fetch_add(&fx->storm_bursts, 1);
	}
	return NULL;
}

/* Creates n vCPUs (the BSP in state s, APs waiting), runs them to the stop. */
static void run_vm_from(uint32_t n, const struct x86_boot_state *s)
{
	pthread_t th[2], storm;
	char err[256];
	struct timespec until;

	int status;

	fx->vm.nr_vcpus = n;
	assert_int_equal(axvm_accel_tcg.vm_create(&fx->vm, err, sizeof(err), &status), 0);
	for (uint32_t i = 0; i < n; i++) {
		fx->vcpus[i].vm = &fx->vm;
		fx->vcpus[i].id = i;
		assert_int_equal(axvm_accel_tcg.vcpu_create(&fx->vcpus[i], err, sizeof(err)), 0);
	}
	if (axvm_accel_tcg.vcpu_set_state(&fx->vcpus[0], s, err, sizeof(err)) != 0)
		fail_msg("set_state: %s", err);
	for (uint32_t i = 1; i < n; i++)
		assert_int_equal(axvm_accel_tcg.vcpu_set_waiting(&fx->vcpus[i], err, sizeof(err)),
				 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(pthread_create(&th[i], NULL, axvm_vcpu_thread, &fx->vcpus[i]), 0);
	if (fx->ipi_storm)
		assert_int_equal(pthread_create(&storm, NULL, ipi_storm, NULL), 0);
	/* a watchdog: a guest that never stops is a failure, not a hang */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 20;
	for (;;) {
		struct timespec now, ms = { 0, 1000000 };

		if (atomic_load(&fx->vm.stop))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec)
			axvm_request_stop(&fx->vm, 99, "test watchdog: the guest did not stop");
		nanosleep(&ms, NULL);
	}
	for (uint32_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (fx->ipi_storm)
		pthread_join(storm, NULL);
}

/* The BSP at CODE in multiboot's 32-bit state. */
static void run_vm(uint32_t n)
{
	struct x86_boot_state s;

	x86_boot_state_multiboot(&s, CODE, 0);
	run_vm_from(n, &s);
}

static struct tcg_vcpu *tcg(uint32_t i)
{
	return fx->vcpus[i].accel;
}

static void test_port_mmio_interrupts_hlt(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_g, sizeof(guest_g));
	memcpy(fx->ram + CODE + 0x100, guest_handlers, sizeof(guest_handlers));
	run_vm(1);
	if (!strstr(fx->vm.stop_reason, "halted with interrupts disabled"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_int_equal(atomic_load(&fx->vm.status), AXVM_STATUS_GUEST);
	/* port: OUT reached the device with its value, IN returned the device's */
	assert_int_equal(fx->port80.writes, 1);
	assert_int_equal(fx->port80.last_write, 0x5a);
	assert_int_equal(fx->port80.reads, 1);
	assert_int_equal(fx->ram[0x100], 0x77);
	/* MMIO: a 4-byte store and load, and an unmapped load reading all-ones */
	assert_int_equal(fx->mmio.writes, 1);
	assert_int_equal(fx->mmio.last_write, 0x11223344);
	assert_int_equal(fx->mmio.reads, 1);
	assert_int_equal(fx->mmio.last.width, 4);
	assert_int_equal(fx->mmio.last.offset, 0x20);
	assert_int_equal(get32(0x104), 0xcafef00d);
	assert_int_equal(get32(0x108), 0xffffffff);
	/* the self IPI, taken after sti; hlt, and two timer interrupts */
	assert_int_equal(get32(0x10c), 1);
	assert_int_equal(get32(0x110), 2);
	assert_int_equal(atomic_load(&tcg(0)->stats.irqs), 3);
	assert_true(atomic_load(&tcg(0)->stats.hlt_sleeps) >= 1);
	assert_int_equal(atomic_load(&tcg(0)->stats.pio), 2);
}

static void test_interrupts_into_busy_loop(void **state)
{
	const uint64_t n = 30000000;

	(void)state;
	memcpy(fx->ram + CODE, guest_busy, sizeof(guest_busy));
	memcpy(fx->ram + CODE + 0x100, guest_handlers, sizeof(guest_handlers));
	run_vm(1);
	if (!strstr(fx->vm.stop_reason, "halted with interrupts disabled"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_int_equal(get32(0x118), (uint32_t)(n * (n - 1) / 2));
	assert_true(get32(0x110) > 0);
	assert_int_equal(atomic_load(&tcg(0)->stats.irqs), get32(0x110));
}

/*
 * The local APIC notifies a vCPU with the target's bank lock held (a timer expiry,
 * an IPI); a vCPU going to sleep on HLT asks the APIC whether something is pending.
 * With IPIs from another APIC in a tight loop both happen all the time: neither may
 * wait for a lock the other holds.
 */
static void test_ipis_and_timer_wake_hlt_sleeps(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_hlt_loop, sizeof(guest_hlt_loop));
	memcpy(fx->ram + CODE + 0x100, guest_handlers, sizeof(guest_handlers));
	fx->ipi_storm = true;
	run_vm(1);
	if (!strstr(fx->vm.stop_reason, "halted with interrupts disabled"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_true(get32(0x110) >= 2000);
	assert_int_equal(atomic_load(&tcg(0)->stats.irqs), get32(0x110));
	/* every burst but the one the stop cut short ended with vCPU 0 asleep */
	assert_true(atomic_load(&fx->storm_bursts) >= 2);
	assert_true(atomic_load(&tcg(0)->stats.hlt_sleeps) >= 1);
}

/*
 * axvm_destroy with the APIC timer still firing (the vCPU threads are gone, the
 * timer thread is not): the device set goes first, so no timer callback can
 * notify a vCPU being destroyed (TSan sees the callback's notify racing with the
 * vCPU's destroy otherwise; ASan a use after free when the timing is unlucky).
 */
static void test_destroy_while_apic_timer_fires(void **state)
{
	static const char text[] = "[base]\ncpu_num = 1\n"
				   "[kernel]\nkernel_path = \"k\"\n"
				   "memory_regions = [[0, 0x1000, 7, 0]]\n"
				   "[devices]\nemu_devices = [\n"
				   "  [\"lapic\", 0xfee0_0000, 0x1000, 0, \"lapic\", []],\n"
				   "]\n";
	static struct axvm_config c; /* large: off the stack */
	static struct axvm v;
	struct timespec ms = { 0, 1000000 };
	char err[AXVM_ERR_MAX];
	int status;

	(void)state;
	axvm_init(&v);
	v.timers = axvm_timers_create();
	assert_non_null(v.timers);
	axvm_hooks_init(&v);
	if (axvm_config_parse("t.toml", text, strlen(text), &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	v.cfg = &c;
	v.nr_vcpus = 1;
	v.accel = &axvm_accel_tcg;
	if (axvm_build_devices(&v, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(v.accel->vm_create(&v, err, sizeof(err), &status), 0);
	v.vcpus = calloc(1, sizeof(*v.vcpus));
	assert_non_null(v.vcpus);
	v.vcpus[0].vm = &v;
	assert_int_equal(v.accel->vcpu_create(&v.vcpus[0], err, sizeof(err)), 0);
	/* as the guest would: APIC on, periodic timer, vector 0x41, divide by 1, 100 us */
	assert_int_equal(ax_devices_handle_mmio_write(v.devices, 0, 0xfee000f0, 4, 0x1ff), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(v.devices, 0, 0xfee003e0, 4, 0xb), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(v.devices, 0, 0xfee00320, 4, 0x20041), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(v.devices, 0, 0xfee00380, 4, 100000), AX_OK);
	for (unsigned i = 0; i < 5; i++)
		nanosleep(&ms, NULL); /* the timer fires and notifies vCPU 0 */
	assert_true(atomic_load(&((struct tcg_vcpu *)v.vcpus[0].accel)->attn) & TCG_ATTN_IRQ);
	axvm_destroy(&v);
	axvm_init(&v);
}

static void put64(uint32_t at, uint64_t v)
{
	memcpy(fx->ram + at, &v, 8);
}

static uint64_t get64(uint32_t at)
{
	uint64_t v;

	memcpy(&v, fx->ram + at, 8);
	return v;
}

/* Long mode: 64-bit gates, the SS:RSP frame on a 16-byte aligned stack, iretq. */
static void test_long_mode_interrupts(void **state)
{
	const uint64_t n = 30000000;
	struct x86_boot_state s;

	(void)state;
	/* identity paging with 2 MiB pages: the first GiB and the local APIC's page */
	put64(0x10000, 0x11003);
	put64(0x11000, 0x12003);
	put64(0x11000 + 3 * 8, 0x13003);
	for (uint32_t i = 0; i < 512; i++)
		put64(0x12000 + i * 8, (uint64_t)i << 21 | 0x83);
	put64(0x13000 + 0x1f7 * 8, 0xfee00000ull | 0x9b); /* cache disabled */
	/* GDT: 0x10 64-bit code, 0x18 data (the boot protocol's selectors) */
	put64(0x1000 + 0x10, 0x00af9b000000ffffull);
	put64(0x1000 + 0x18, 0x00cf93000000ffffull);
	/* IDT: a 16-byte interrupt gate for 0x41; lidt operand limit 0xfff, base 0x2000 */
	memset(fx->ram + 0x2000 + 0x41 * 16, 0, 16);
	put32(0x2000 + 0x41 * 16, ((CODE + 0x100) & 0xffff) | 0x10u << 16);
	put32(0x2000 + 0x41 * 16 + 4, ((CODE + 0x100) & 0xffff0000u) | 0x8e00u);
	fx->ram[0xf08] = 0xff;
	fx->ram[0xf09] = 0x0f;
	put64(0xf0a, 0x2000);
	memcpy(fx->ram + CODE, guest_long, sizeof(guest_long));
	memcpy(fx->ram + CODE + 0x100, guest_long_handler, sizeof(guest_long_handler));
	x86_boot_state_linux64(&s, CODE, 0x7000, 0x10000, 0x1000, 0x1f);
	run_vm_from(1, &s);
	if (!strstr(fx->vm.stop_reason, "halted with interrupts disabled"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_true(get32(0x110) > 0);
	assert_int_equal(get64(0x118), n * (n - 1) / 2);
	assert_int_equal(get64(0x120), 0x8008);	      /* iretq restored RSP */
	assert_int_equal(get64(0x128), 0x8000 - 40);  /* frame below the aligned RSP */
	assert_int_equal(get64(0x8000 - 16), 0x8008); /* the pushed RSP ... */
	assert_int_equal(get64(0x8000 - 8), 0x18);    /* ... and SS */
	assert_int_equal(get64(0x8000 - 32), 0x10);   /* CS */
}

/* What the guest then sees is documented in tcg_vcpu.c; this keeps the facts true. */
static void test_mmio_widths(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_widths, sizeof(guest_widths));
	run_vm(1);
	if (!strstr(fx->vm.stop_reason, "halted with interrupts disabled"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	/* the unaligned load: aligned 4-byte loads at 0 and 4, the middle bytes kept */
	assert_int_equal(get32(0x100), 0xf00dcafe);
	/* ... and an 8-byte load: two 4-byte loads */
	assert_int_equal(fx->mmio.reads, 4);
	/* the unaligned store: four 1-byte stores; the 8-byte store: two 4-byte ones */
	assert_int_equal(fx->mmio.writes, 6);
	assert_int_equal(fx->mmio.last.width, 4);
	assert_int_equal(fx->mmio.last.offset, 0x14);
	assert_int_equal(fx->mmio.last_write, 0xcafef00d);
}

static void test_startup_ipi_second_engine(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_smp, sizeof(guest_smp));
	memcpy(fx->ram + AP_CODE, guest_ap, sizeof(guest_ap));
	run_vm(2);
	if (!strstr(fx->vm.stop_reason, "vCPU 0 halted"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_int_equal(fx->port82.writes, 1);
	assert_int_equal(fx->port82.last_write, 1); /* CPUID leaf 1: APIC ID 1 */
	assert_int_equal(fx->port82.last.vcpu, 1);
	assert_int_equal(fx->ram[0x114], 1);
	assert_int_equal(fx->port80.writes, 0);
}

/* Unicorn's LOCK is not atomic across engines: the vCPUs take turns (tcg.h, engine lock). */
static void test_locked_increments_from_two_vcpus(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_lock_bsp, sizeof(guest_lock_bsp));
	memcpy(fx->ram + AP_CODE, guest_lock_ap, sizeof(guest_lock_ap));
	run_vm(2);
	if (!strstr(fx->vm.stop_reason, "vCPU 0 halted"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
	assert_int_equal(get32(0x200), 2000000);
	/* the BSP's wait for the AP's flag needs the AP to run: turns were taken */
	assert_true(atomic_load(&tcg(0)->stats.yields) + atomic_load(&tcg(1)->stats.yields) > 0);
}

static void test_guest_exception_stops_vm(void **state)
{
	(void)state;
	memcpy(fx->ram + CODE, guest_exc, sizeof(guest_exc));
	run_vm(1);
	assert_int_equal(atomic_load(&fx->vm.status), AXVM_STATUS_VCPU);
	if (!strstr(fx->vm.stop_reason, "#BP (vector 3)") ||
	    !strstr(fx->vm.stop_reason, "does not deliver exceptions"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
}

static void test_unmapped_fetch_stops_vm(void **state)
{
	static const uint8_t jump_far[] = { 0xe9, 0xfb, 0xff, 0xff, 0x3f }; /* jmp 0x40003000 */

	(void)state;
	memcpy(fx->ram + CODE, jump_far, sizeof(jump_far));
	run_vm(1);
	assert_int_equal(atomic_load(&fx->vm.status), AXVM_STATUS_VCPU);
	if (!strstr(fx->vm.stop_reason, "vCPU 0: TCG:"))
		fail_msg("stop reason: %s", fx->vm.stop_reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_mmio_interrupts_hlt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupts_into_busy_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipis_and_timer_wake_hlt_sleeps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_long_mode_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_ipi_second_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_increments_from_two_vcpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_exception_stops_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_fetch_stops_vm, setup, teardown),
		cmocka_unit_test(test_destroy_while_apic_timer_fires),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
