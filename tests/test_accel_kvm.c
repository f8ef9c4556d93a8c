/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KVM accelerator without /dev/kvm, so that it cannot rot on machines
 * that have none:
 *
 *   exits: a struct kvm_run filled the way KVM fills it (KVM_EXIT_IO with a
 *     rep count, KVM_EXIT_MMIO reads and writes, HLT, SHUTDOWN, SYSTEM_EVENT,
 *     INTERNAL_ERROR, FAIL_ENTRY, an unknown reason) goes through
 *     axvm_kvm_decode_exit() and the shared loop's axvm_vcpu_exit() into a
 *     real device set built by axvm from a config: UART scratch registers on
 *     the port and MMIO buses, the exit device, unmapped addresses;
 *   CPUID: axvm_kvm_cpuid_adjust() on a kvm_cpuid_entry2 table;
 *   start states: arch/x86/boot_state.c's three, and their KVM layout;
 *   selection: auto, kvm and tcg with the KVM device path pointed at a file
 *     that does not exist and at /dev/null; unknown names; arm64 guests
 *     (KVM runs none here: auto and tcg take TCG) and axvm_guest_arch() on
 *     an arm64 Image, a bzImage, other files and a missing one;
 *   the in-kernel irqchip: I/O APIC and local APIC entries are not built
 *     under KVM, and must sit at the PC's addresses.
 *
 * Expected values come from the KVM API (Documentation/virt/kvm/api.rst),
 * the SDM (reset and mode-switch state), the multiboot and Linux boot
 * protocols and the 16550 (scratch register at offset 7), not from axvm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/accel.h"
#include "accel/kvm/kvm.h"
#include "arch/x86/boot_state.h"
#include "axvm.h"

#define SCRATCH_PORT 0x3ffu /* COM1 + 7 */
#define SCRATCH_MMIO 0xfe000007u
#define EXIT_PORT    0x501u
#define RUN_SIZE     8192u
#define IO_DATA	     4096u /* KVM puts port data after struct kvm_run, at a page offset */

static struct axvm_config cfg; /* large: keep it off the stack */
static struct axvm vm;	       /* zeroed: what axvm_destroy() accepts */
static struct axvm_kvm_vcpu kv;
static char err[AXVM_ERR_MAX];
static union {
	struct kvm_run run;
	uint8_t bytes[RUN_SIZE];
} page __attribute__((aligned(4096)));

static const char config[] = "[base]\ncpu_num = 1\n"
			     "[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 0x1000, 7, 0]]\n"
			     "[devices]\nemu_devices = [\n"
			     "  [\"com1\", 0x3f8, 8, 4, \"console\", [1]],\n"
			     "  [\"uart-mmio\", 0xfe00_0000, 8, 5, \"console\", [0]],\n"
			     "  [\"exit\", 0x501, 1, 0, \"exit\", []],\n"
			     "]\n"
			     "[backends]\ncom1 = \"null\"\nuart-mmio = \"null\"\n";

/* A VM with one vCPU whose KVM state is `kv` and whose kvm_run is `page`. */
static int setup(void **state)
{
	(void)state;
	axvm_init(&vm);
	axvm_hooks_init(&vm);
	if (axvm_config_parse("t.toml", config, strlen(config), &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	vm.cfg = &cfg;
	vm.nr_vcpus = 1;
	vm.vcpus = calloc(1, sizeof(*vm.vcpus));
	assert_non_null(vm.vcpus);
	if (axvm_backends_open(&vm.backends, &cfg, err, sizeof(err)) != 0 ||
	    axvm_build_devices(&vm, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	memset(&kv, 0, sizeof(kv));
	kv.fd = -1; /* every ioctl fails: nothing reaches a real KVM */
	kv.run = &page.run;
	kv.run_size = sizeof(page);
	vm.vcpus[0] = (struct axvm_vcpu){ .vm = &vm, .id = 0, .accel = &kv };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	axvm_destroy(&vm);
	axvm_init(&vm);
	return 0;
}

static struct axvm_vcpu *vcpu0(void)
{
	return &vm.vcpus[0];
}

/* Decodes what is in `page` and lets the shared loop handle it; returns the reason. */
static enum axvm_exit_reason step(void)
{
	struct axvm_exit exit;

	memset(&exit, 0xa5, sizeof(exit));
	axvm_kvm_decode_exit(vcpu0(), &exit);
	axvm_vcpu_exit(vcpu0(), &exit);
	return exit.reason;
}

static void io_exit(uint16_t port, uint8_t size, bool out, uint32_t count, const uint8_t *data)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_IO;
	page.run.io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	page.run.io.size = size;
	page.run.io.port = port;
	page.run.io.count = count;
	page.run.io.data_offset = IO_DATA;
	if (data)
		memcpy(page.bytes + IO_DATA, data, (size_t)size * count);
}

static void mmio_exit(uint64_t gpa, uint32_t len, bool write, uint64_t value)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_MMIO;
	page.run.mmio.phys_addr = gpa;
	page.run.mmio.len = len;
	page.run.mmio.is_write = write;
	for (uint32_t i = 0; i < len; i++)
		page.run.mmio.data[i] = (uint8_t)(value >> (8 * i));
}

static uint64_t mmio_data(uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)page.run.mmio.data[i] << (8 * i);
	return v;
}

static void test_io_decode(void **state)
{
	static const uint8_t byte = 0x5a;
	struct axvm_exit exit;

	(void)state;
	io_exit(SCRATCH_PORT, 1, true, 1, &byte);
	axvm_kvm_decode_exit(vcpu0(), &exit);
	assert_int_equal(exit.reason, AXVM_EXIT_IO);
	assert_int_equal(exit.io.port, SCRATCH_PORT);
	assert_int_equal(exit.io.size, 1);
	assert_true(exit.io.write);
	assert_int_equal(exit.io.count, 1);
	assert_ptr_equal(exit.io.data, page.bytes + IO_DATA);
}

static void test_io_write_then_read(void **state)
{
	static const uint8_t byte = 0x5a;

	(void)state;
	io_exit(SCRATCH_PORT, 1, true, 1, &byte);
	assert_int_equal(step(), AXVM_EXIT_IO);
	io_exit(SCRATCH_PORT, 1, false, 1, NULL);
	assert_int_equal(step(), AXVM_EXIT_IO);
	assert_int_equal(page.bytes[IO_DATA], 0x5a);
	assert_int_equal(atomic_load(&vcpu0()->exits[EXIT_IO]), 2);
	assert_int_equal(atomic_load(&vm.status), -1); /* nothing stopped the VM */
}

/* rep outsb / insb: `count` elements back to back, one device access each. */
static void test_io_rep(void **state)
{
	static const uint8_t bytes[3] = { 0x11, 0x22, 0x33 };

	(void)state;
	io_exit(SCRATCH_PORT, 1, true, 3, bytes);
	assert_int_equal(step(), AXVM_EXIT_IO);
	io_exit(SCRATCH_PORT, 1, false, 4, NULL);
	memset(page.bytes + IO_DATA, 0, 4);
	assert_int_equal(step(), AXVM_EXIT_IO);
	for (int i = 0; i < 4; i++)
		assert_int_equal(page.bytes[IO_DATA + i], 0x33); /* the last one written */
	/* one exit each, whatever the count */
	assert_int_equal(atomic_load(&vcpu0()->exits[EXIT_IO]), 2);
}

static void test_io_unmapped_reads_ones(void **state)
{
	(void)state;
	io_exit(0x1234, 2, false, 2, NULL);
	assert_int_equal(step(), AXVM_EXIT_IO);
	for (int i = 0; i < 4; i++)
		assert_int_equal(page.bytes[IO_DATA + i], 0xff);
	io_exit(0x1234, 4, true, 1, (const uint8_t[]){ 1, 2, 3, 4 }); /* dropped */
	assert_int_equal(step(), AXVM_EXIT_IO);
	assert_int_equal(atomic_load(&vm.status), -1);
}

static void test_io_exit_device(void **state)
{
	static const uint8_t status = 42;

	(void)state;
	io_exit(EXIT_PORT, 1, true, 1, &status);
	assert_int_equal(step(), AXVM_EXIT_IO);
	assert_int_equal(atomic_load(&vm.status), 42);
	assert_true(atomic_load(&vm.stop));
	assert_non_null(strstr(vm.stop_reason, "guest exited with status 42"));
}

static void test_mmio(void **state)
{
	struct axvm_exit exit;

	(void)state;
	mmio_exit(SCRATCH_MMIO, 1, true, 0xc3);
	axvm_kvm_decode_exit(vcpu0(), &exit);
	assert_int_equal(exit.reason, AXVM_EXIT_MMIO);
	assert_int_equal(exit.mmio.gpa, SCRATCH_MMIO);
	assert_int_equal(exit.mmio.len, 1);
	assert_true(exit.mmio.write);
	assert_ptr_equal(exit.mmio.data, page.run.mmio.data);
	axvm_vcpu_exit(vcpu0(), &exit);

	mmio_exit(SCRATCH_MMIO, 1, false, 0);
	assert_int_equal(step(), AXVM_EXIT_MMIO);
	assert_int_equal(mmio_data(1), 0xc3);

	mmio_exit(0xdead0000u, 4, false, 0); /* unmapped: all-ones */
	assert_int_equal(step(), AXVM_EXIT_MMIO);
	assert_int_equal(mmio_data(4), 0xffffffffu);
	mmio_exit(0xdead0000u, 8, true, 0x1122334455667788ull); /* unmapped: dropped */
	assert_int_equal(step(), AXVM_EXIT_MMIO);
	assert_int_equal(atomic_load(&vcpu0()->exits[EXIT_MMIO]), 4);
	assert_int_equal(atomic_load(&vm.status), -1);
}

static void simple_exit(uint32_t reason)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = reason;
}

static void test_hlt(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_HLT);
	assert_int_equal(step(), AXVM_EXIT_HALT);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_GUEST);
	assert_non_null(strstr(vm.stop_reason, "vCPU 0 halted"));
}

static void test_shutdown(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_SHUTDOWN);
	assert_int_equal(step(), AXVM_EXIT_SHUTDOWN);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_GUEST);
	assert_non_null(strstr(vm.stop_reason, "shut down"));
}

static void test_intr_is_nothing(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_INTR);
	assert_int_equal(step(), AXVM_EXIT_NONE);
	assert_int_equal(atomic_load(&vm.status), -1);
}

static void test_system_event(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_SYSTEM_EVENT);
	page.run.system_event.type = KVM_SYSTEM_EVENT_RESET;
	assert_int_equal(step(), AXVM_EXIT_FAILED);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_GUEST);
	assert_non_null(strstr(vm.stop_reason, "system event 2"));
}

/* Not an emulation failure: reported with its suberror, status 122. */
static void test_internal_error(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_INTERNAL_ERROR);
	page.run.internal.suberror = KVM_INTERNAL_ERROR_SIMUL_EX;
	assert_int_equal(step(), AXVM_EXIT_FAILED);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_VCPU);
	assert_non_null(strstr(vm.stop_reason, "KVM internal error (suberror 2)"));
	assert_int_equal(atomic_load(&kv.bp_delivered), 0);
}

/* An emulation failure whose registers cannot be read: nothing emulated, reported. */
static void test_emulation_failure_unreadable(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_INTERNAL_ERROR);
	page.run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	assert_int_equal(step(), AXVM_EXIT_FAILED);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_VCPU);
	assert_non_null(strstr(vm.stop_reason, "suberror 1"));
}

static void test_fail_entry(void **state)
{
	(void)state;
	simple_exit(KVM_EXIT_FAIL_ENTRY);
	page.run.fail_entry.hardware_entry_failure_reason = 0x21;
	assert_int_equal(step(), AXVM_EXIT_FAILED);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_VCPU);
	assert_non_null(strstr(vm.stop_reason, "VM entry failed (reason 0x21)"));
}

static void test_unknown_reason(void **state)
{
	(void)state;
	simple_exit(0x7777);
	assert_int_equal(step(), AXVM_EXIT_FAILED);
	assert_int_equal(atomic_load(&vm.status), AXVM_STATUS_VCPU);
	assert_int_equal(atomic_load(&vcpu0()->exits[EXIT_OTHER]), 1);
	assert_non_null(strstr(vm.stop_reason, "unhandled exit reason 30583"));
}

/* The first stop wins: a later exit does not overwrite status or reason. */
static void test_first_stop_wins(void **state)
{
	static const uint8_t status = 7;

	(void)state;
	io_exit(EXIT_PORT, 1, true, 1, &status);
	step();
	simple_exit(KVM_EXIT_SHUTDOWN);
	step();
	assert_int_equal(atomic_load(&vm.status), 7);
	assert_null(strstr(vm.stop_reason, "shut down"));
}

/* --- CPUID ----------------------------------------------------------------- */

#define ECX_CX16       (1u << 13)
#define ECX_XSAVE      (1u << 26)
#define ECX_OSXSAVE    (1u << 27)
#define ECX_AVX	       (1u << 28)
#define ECX_HYPERVISOR (1u << 31)
#define ECX_SSE3       (1u << 0)

static void cpuid_table(struct kvm_cpuid_entry2 *t)
{
	memset(t, 0, 6 * sizeof(*t));
	t[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f, .ebx = 0x68747541 };
	t[1] = (struct kvm_cpuid_entry2){
		.function = 1,
		.ebx = 0x00020800u, /* APIC id 0, 2 logical CPUs, CLFLUSH 8 */
		.ecx = ECX_SSE3 | ECX_CX16 | ECX_XSAVE | ECX_OSXSAVE | ECX_AVX,
		.edx = 0x178bfbffu,
	};
	t[2] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .edx = 0 };
	t[3] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1, .edx = 0 };
	t[4] = (struct kvm_cpuid_entry2){
		.function = 0xd, .eax = 7, .ebx = 0x340, .ecx = 0x340, .edx = 0
	};
	t[5] = (struct kvm_cpuid_entry2){ .function = 0x1f, .edx = 0 };
}

static void test_cpuid_apic_ids(void **state)
{
	struct kvm_cpuid_entry2 t[6];

	(void)state;
	cpuid_table(t);
	axvm_kvm_cpuid_adjust(t, 6, 3, false);
	assert_int_equal(t[1].ebx, 0x03020800u); /* bits 31:24: initial APIC id */
	assert_int_equal(t[2].edx, 3);		 /* x2APIC id, every subleaf */
	assert_int_equal(t[3].edx, 3);
	assert_int_equal(t[5].edx, 3);
	/* the multiboot guest keeps the supported features */
	assert_int_equal(t[1].ecx, ECX_SSE3 | ECX_CX16 | ECX_XSAVE | ECX_OSXSAVE | ECX_AVX);
	assert_int_equal(t[4].eax, 7);
	assert_int_equal(t[0].eax, 0x1f);
	assert_int_equal(t[1].edx, 0x178bfbffu);
}

static void test_cpuid_linux_mask(void **state)
{
	struct kvm_cpuid_entry2 t[6];

	(void)state;
	cpuid_table(t);
	axvm_kvm_cpuid_adjust(t, 6, 0, true);
	assert_int_equal(t[1].ecx, ECX_SSE3 | ECX_HYPERVISOR);
	assert_int_equal(t[1].ebx, 0x00020800u);
	assert_int_equal(t[4].eax | t[4].ebx | t[4].ecx | t[4].edx, 0); /* XSAVE leaf gone */
	assert_int_equal(t[1].edx, 0x178bfbffu);
	assert_int_equal(t[0].ebx, 0x68747541);
}

/* --- start states ---------------------------------------------------------- */

static void assert_flat(const struct x86_segment *s, uint16_t selector, uint8_t type)
{
	assert_int_equal(s->selector, selector);
	assert_int_equal(s->base, 0);
	assert_int_equal(s->limit, 0xffffffffu);
	assert_int_equal(s->type, type);
	assert_int_equal(s->present, 1);
	assert_int_equal(s->s, 1);
	assert_int_equal(s->g, 1);
	assert_int_equal(s->dpl, 0);
}

static void test_boot_state_multiboot(void **state)
{
	struct x86_boot_state s;

	(void)state;
	memset(&s, 0xa5, sizeof(s));
	x86_boot_state_multiboot(&s, 0x100000, 0x9000);
	/* multiboot 1 §3.2: EAX magic, EBX info, 32-bit protected mode, paging off */
	assert_int_equal(s.rip, 0x100000);
	assert_int_equal(s.rax, 0x2badb002u);
	assert_int_equal(s.rbx, 0x9000);
	assert_int_equal(s.rflags, 0x2); /* IF clear */
	assert_true(s.cr0 & 0x1);
	assert_false(s.cr0 & 0x80000000u);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.cr4, 0);
	assert_flat(&s.cs, 0x08, 0xb);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.cs.l, 0);
	assert_flat(&s.ds, 0x10, 0x3);
	assert_memory_equal(&s.ss, &s.ds, sizeof(s.ds));
	assert_memory_equal(&s.es, &s.ds, sizeof(s.ds));
	assert_memory_equal(&s.fs, &s.ds, sizeof(s.ds));
	assert_memory_equal(&s.gs, &s.ds, sizeof(s.ds));
}

static void test_boot_state_linux64(void **state)
{
	struct x86_boot_state s;

	(void)state;
	x86_boot_state_linux64(&s, 0x1000200, 0x7000, 0x9000, 0x6000, 0x1f);
	/* Documentation/x86/boot.rst, 64-bit protocol: long mode, paging, RSI = boot_params */
	assert_int_equal(s.rip, 0x1000200);
	assert_int_equal(s.rsi, 0x7000);
	assert_int_equal(s.cr3, 0x9000);
	assert_int_equal(s.gdt_base, 0x6000);
	assert_int_equal(s.gdt_limit, 0x1f);
	assert_int_equal(s.cr0 & 0x80000001u, 0x80000001u); /* PG | PE */
	assert_false(s.cr0 & 0x60000000u);		    /* caches on */
	assert_true(s.cr4 & 0x20);			    /* PAE */
	assert_int_equal(s.efer & 0x500, 0x500);	    /* LME | LMA */
	assert_int_equal(s.rflags, 0x2);
	assert_int_equal(s.cs.selector, 0x10); /* __BOOT_CS */
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.ds.selector, 0x18); /* __BOOT_DS */
	assert_int_equal(s.ss.selector, 0x18);
	assert_true(s.rsp < 0x7000);
}

static void test_boot_state_sipi(void **state)
{
	struct x86_boot_state s;

	(void)state;
	x86_boot_state_sipi(&s, 0x07);
	/* SDM 8.4.4.1 / 10.4.7.3: real mode at CS:IP = VV00:0000 */
	assert_int_equal(s.cs.selector, 0x0700);
	assert_int_equal(s.cs.base, 0x7000);
	assert_int_equal(s.cs.limit, 0xffff);
	assert_int_equal(s.rip, 0);
	assert_false(s.cr0 & 0x1);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.ds.base, 0);
	assert_int_equal(s.ds.limit, 0xffff);
	assert_int_equal(s.rflags, 0x2);
}

static void test_boot_state_to_kvm(void **state)
{
	struct x86_boot_state s;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	(void)state;
	x86_boot_state_linux64(&s, 0x1000200, 0x7000, 0x9000, 0x6000, 0x1f);
	memset(&sregs, 0, sizeof(sregs));
	sregs.idt.base = 0x1234; /* what KVM_GET_SREGS said: kept */
	sregs.apic_base = 0xfee00900u;
	sregs.tr.selector = 0x28;
	memset(&regs, 0xa5, sizeof(regs));
	axvm_kvm_state_from_boot(&s, &sregs, &regs);
	assert_int_equal(sregs.idt.base, 0x1234);
	assert_int_equal(sregs.apic_base, 0xfee00900u);
	assert_int_equal(sregs.tr.selector, 0x28);
	assert_int_equal(sregs.cs.selector, 0x10);
	assert_int_equal(sregs.cs.l, 1);
	assert_int_equal(sregs.cs.db, 0);
	assert_int_equal(sregs.cs.limit, 0xffffffffu);
	assert_int_equal(sregs.cs.g, 1);
	assert_int_equal(sregs.cs.type, 0xb);
	assert_int_equal(sregs.ss.selector, 0x18);
	assert_int_equal(sregs.gdt.base, 0x6000);
	assert_int_equal(sregs.gdt.limit, 0x1f);
	assert_int_equal(sregs.cr0, s.cr0);
	assert_int_equal(sregs.cr3, 0x9000);
	assert_int_equal(sregs.cr4, s.cr4);
	assert_int_equal(sregs.efer, s.efer);
	assert_int_equal(regs.rip, 0x1000200);
	assert_int_equal(regs.rsi, 0x7000);
	assert_int_equal(regs.rsp, s.rsp);
	assert_int_equal(regs.rflags, 0x2);
	assert_int_equal(regs.rax, 0);
	assert_int_equal(regs.rcx | regs.rdx | regs.rdi | regs.rbp | regs.r8 | regs.r15, 0);

	x86_boot_state_multiboot(&s, 0x100000, 0x9000);
	axvm_kvm_state_from_boot(&s, &sregs, &regs);
	assert_int_equal(regs.rax, 0x2badb002u);
	assert_int_equal(regs.rbx, 0x9000);
	assert_int_equal(sregs.cs.db, 1);
	assert_int_equal(sregs.cs.l, 0);
	assert_int_equal(sregs.efer, 0);
}

/* --- selection ------------------------------------------------------------- */

static const char *const real_kvm_path = "/dev/kvm";

static int restore_kvm_path(void **state)
{
	(void)state;
	axvm_kvm_path = real_kvm_path;
	return 0;
}

/* auto without a usable KVM: TCG, if this axvm has it; else both reasons. */
static void assert_auto_without_kvm(void)
{
	char why[256];
	int status = 0;
	const struct axvm_accel *a =
		axvm_accel_select("auto", AXVM_ARCH_X86_64, err, sizeof(err), &status);

	if (axvm_accel_tcg.available(why, sizeof(why))) {
		assert_ptr_equal(a, &axvm_accel_tcg);
		assert_string_equal(a->name, "tcg");
		assert_true(a->uses_library_irqchip);
	} else {
		assert_null(a);
		assert_int_equal(status, AXVM_STATUS_NO_ACCEL);
		assert_non_null(strstr(err, "tcg"));
	}
}

static void test_select_no_kvm_device(void **state)
{
	int status = 0;

	(void)state;
	axvm_kvm_path = "/nonexistent/kvm";
	assert_false(axvm_accel_kvm.available(err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/kvm"));
	assert_auto_without_kvm();
	assert_ptr_not_equal(axvm_accel_select(NULL, AXVM_ARCH_X86_64, err, sizeof(err), &status),
			     &axvm_accel_kvm);
	/* asked for by name: 121, and the message says KVM */
	assert_null(axvm_accel_select("kvm", AXVM_ARCH_X86_64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_NO_ACCEL);
	assert_non_null(strstr(err, "KVM is not available"));
}

/* A device node that opens but is not KVM. */
static void test_select_not_kvm(void **state)
{
	int status = 0;

	(void)state;
	axvm_kvm_path = "/dev/null";
	assert_false(axvm_accel_kvm.available(err, sizeof(err)));
	assert_non_null(strstr(err, "not a KVM device"));
	assert_auto_without_kvm();
	assert_null(axvm_accel_select("kvm", AXVM_ARCH_X86_64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_NO_ACCEL);
}

static void test_select_names(void **state)
{
	int status = 0;

	(void)state;
	assert_true(axvm_accel_name_valid("auto"));
	assert_true(axvm_accel_name_valid("kvm"));
	assert_true(axvm_accel_name_valid("tcg"));
	assert_false(axvm_accel_name_valid("KVM"));
	assert_false(axvm_accel_name_valid(""));
	assert_null(axvm_accel_select("hvf", AXVM_ARCH_X86_64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_CONFIG);
	assert_non_null(strstr(err, "unknown accelerator \"hvf\""));
	assert_string_equal(axvm_accel_kvm.name, "kvm");
	assert_false(axvm_accel_kvm.uses_library_irqchip);
}

/* Where this machine has KVM, auto takes it. */
static void test_select_real_kvm(void **state)
{
	int status = 0;

	(void)state;
	axvm_kvm_path = real_kvm_path;
	if (!axvm_accel_kvm.available(err, sizeof(err)))
		skip();
	assert_ptr_equal(axvm_accel_select("auto", AXVM_ARCH_X86_64, err, sizeof(err), &status),
			 &axvm_accel_kvm);
	assert_ptr_equal(axvm_accel_select("kvm", AXVM_ARCH_X86_64, err, sizeof(err), &status),
			 &axvm_accel_kvm);
}

/* An arm64 guest: KVM here runs x86-64 guests only, whatever /dev/kvm says. */
static void test_select_arm64(void **state)
{
	char why[256];
	int status = 0;

	(void)state;
	assert_true(axvm_accel_tcg.arches & AXVM_ARCH_ARM64);
	assert_false(axvm_accel_kvm.arches & AXVM_ARCH_ARM64);
	err[0] = '\0';
	assert_null(axvm_accel_select("kvm", AXVM_ARCH_ARM64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_NO_ACCEL);
	assert_int_equal(status, 121);
	if (!strstr(err, "runs no arm64 guest") || !strstr(err, "accelerator kvm"))
		fail_msg("kvm for arm64: \"%s\"", err);
	/* the reason is the architecture, with a working /dev/kvm too */
	axvm_kvm_path = "/dev/null";
	err[0] = '\0';
	assert_null(axvm_accel_select("kvm", AXVM_ARCH_ARM64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_NO_ACCEL);
	assert_non_null(strstr(err, "runs no arm64 guest"));
	axvm_kvm_path = real_kvm_path;
	/* auto and tcg: the software CPU, wherever KVM works or not */
	assert_true(axvm_accel_tcg.available(why, sizeof(why)));
	status = 0;
	assert_ptr_equal(axvm_accel_select("auto", AXVM_ARCH_ARM64, err, sizeof(err), &status),
			 &axvm_accel_tcg);
	assert_ptr_equal(axvm_accel_select(NULL, AXVM_ARCH_ARM64, err, sizeof(err), &status),
			 &axvm_accel_tcg);
	assert_ptr_equal(axvm_accel_select("tcg", AXVM_ARCH_ARM64, err, sizeof(err), &status),
			 &axvm_accel_tcg);
	/* an unknown name stays a usage error for arm64 too */
	assert_null(axvm_accel_select("hvf", AXVM_ARCH_ARM64, err, sizeof(err), &status));
	assert_int_equal(status, AXVM_STATUS_CONFIG);
}

/* A temporary kernel file of `n` bytes (`bytes`), its path in cfg.kernel_path. */
static void write_kernel(const uint8_t *bytes, size_t n)
{
	FILE *f;
	int fd;

	snprintf(cfg.kernel_path, sizeof(cfg.kernel_path), "/tmp/axvm-arch-XXXXXX");
	fd = mkstemp(cfg.kernel_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int guest_arch(enum axvm_arch *arch)
{
	int ret;

	err[0] = '\0';
	ret = axvm_guest_arch(&cfg, arch, err, sizeof(err));
	unlink(cfg.kernel_path);
	return ret;
}

static void test_guest_arch(void **state)
{
	uint8_t img[4096];
	enum axvm_arch arch;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* Documentation/arm64/booting.rst: the magic "ARM\x64" at 0x38 of a 64-byte header */
	memset(img, 0, sizeof(img));
	img[0] = 0x10; /* code0: b 0x40 */
	img[3] = 0x14;
	img[0x18] = 0xa; /* flags: 4K pages, anywhere */
	memcpy(img + 0x38, "ARM\x64", 4);
	write_kernel(img, sizeof(img));
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_ARM64);
	/* the header alone is enough */
	write_kernel(img, 64);
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_ARM64);

	/* a bzImage: "HdrS" at 0x202, boot flag 0xaa55 at 0x1fe */
	memset(img, 0, sizeof(img));
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	memcpy(img + 0x202, "HdrS", 4);
	write_kernel(img, sizeof(img));
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_X86_64);

	/* anything else (a multiboot ELF, text, a magic at the wrong place, too short) */
	memset(img, 0, sizeof(img));
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	memcpy(img + 0x3c, "ARM\x64", 4);
	write_kernel(img, sizeof(img));
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_X86_64);
	memset(img, 0, sizeof(img));
	memcpy(img + 0x38, "ARM\x64", 4);
	write_kernel(img, 0x3c); /* the magic cut off by the end of the file */
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_X86_64);
	write_kernel(img, 0);
	arch = (enum axvm_arch)0;
	assert_int_equal(guest_arch(&arch), 0);
	assert_int_equal(arch, AXVM_ARCH_X86_64);

	/* a missing file: -1, the path in the message */
	snprintf(cfg.kernel_path, sizeof(cfg.kernel_path), "/nonexistent/axvm-kernel.img");
	arch = (enum axvm_arch)0;
	err[0] = '\0';
	assert_int_equal(axvm_guest_arch(&cfg, &arch, err, sizeof(err)), -1);
	if (!strstr(err, "/nonexistent/axvm-kernel.img"))
		fail_msg("missing kernel: \"%s\"", err);
}

/* --- the in-kernel irqchip --------------------------------------------------- */

static int build_with_kvm(const char *ioapic_base, const char *lapic_base)
{
	char text[1024];

	axvm_destroy(&vm);
	axvm_init(&vm);
	axvm_hooks_init(&vm);
	vm.accel = &axvm_accel_kvm; /* no VM is created: only the device set is built */
	snprintf(text, sizeof(text),
		 "[base]\ncpu_num = 1\n[kernel]\nkernel_path = \"k\"\n"
		 "memory_regions = [[0, 0x1000, 7, 0]]\n[devices]\nemu_devices = [\n"
		 "  [\"io-apic\", %s, 0x1000, 0, \"ioapic\", []],\n"
		 "  [\"apic\", %s, 0x1000, 0, \"lapic\", []],\n"
		 "  [\"exit\", 0x501, 1, 0, \"exit\", []],\n]\n",
		 ioapic_base, lapic_base);
	if (axvm_config_parse("t.toml", text, strlen(text), &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	vm.cfg = &cfg;
	vm.nr_vcpus = 1;
	err[0] = '\0';
	return axvm_build_devices(&vm, err, sizeof(err));
}

static void test_kvm_irqchip_entries_not_built(void **state)
{
	struct ax_device_info info;

	(void)state;
	assert_int_equal(build_with_kvm("0xfec0_0000", "0xfee0_0000"), 0);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "io-apic", &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "apic", &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "exit", &info), AX_OK);
	vm.accel = NULL;
}

static void test_kvm_irqchip_misplaced(void **state)
{
	(void)state;
	assert_int_equal(build_with_kvm("0xfec0_0000", "0xfed0_0000"), -1);
	assert_non_null(strstr(err, "t.toml:9:"));
	assert_non_null(strstr(err, "emu_devices[1]"));
	assert_non_null(strstr(err, "device \"apic\""));
	assert_non_null(strstr(err, "0xfee00000"));
	assert_int_equal(build_with_kvm("0xfec1_0000", "0xfee0_0000"), -1);
	assert_non_null(strstr(err, "device \"io-apic\""));
	assert_non_null(strstr(err, "0xfec00000"));
	vm.accel = NULL;
}

/* Without an accelerator (axvm check) the same entries are built. */
static void test_check_builds_irqchips(void **state)
{
	struct ax_device_info info;

	(void)state;
	build_with_kvm("0xfec0_0000", "0xfed0_0000");
	axvm_destroy(&vm);
	axvm_init(&vm);
	axvm_hooks_init(&vm);
	vm.cfg = &cfg;
	vm.nr_vcpus = 1;
	assert_int_equal(axvm_build_devices(&vm, err, sizeof(err)), 0);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "io-apic", &info), AX_OK);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "apic", &info), AX_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_write_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_rep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_unmapped_reads_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_exit_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intr_is_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emulation_failure_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_stop_wins, setup, teardown),
		cmocka_unit_test(test_cpuid_apic_ids),
		cmocka_unit_test(test_cpuid_linux_mask),
		cmocka_unit_test(test_boot_state_multiboot),
		cmocka_unit_test(test_boot_state_linux64),
		cmocka_unit_test(test_boot_state_sipi),
		cmocka_unit_test(test_boot_state_to_kvm),
		cmocka_unit_test_teardown(test_select_no_kvm_device, restore_kvm_path),
		cmocka_unit_test_teardown(test_select_not_kvm, restore_kvm_path),
		cmocka_unit_test(test_select_names),
		cmocka_unit_test_teardown(test_select_real_kvm, restore_kvm_path),
		cmocka_unit_test_teardown(test_select_arm64, restore_kvm_path),
		cmocka_unit_test(test_guest_arch),
		cmocka_unit_test_teardown(test_kvm_irqchip_entries_not_built, teardown),
		cmocka_unit_test_teardown(test_kvm_irqchip_misplaced, teardown),
		cmocka_unit_test_teardown(test_check_builds_irqchips, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
