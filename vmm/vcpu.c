/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vCPUs: creation, CPUID, the multiboot start state, and the exit loop that
 * routes every port and MMIO exit to the device set with the vCPU id in the
 * access context. Unmapped (or refused) reads return all-ones and writes
 * are dropped, each logged once per address.
 */
#include "axvm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "le.h"
#include "log.h"
#include "boot/multiboot.h"
#include "accel/kvm/x86_exception.h"

#define CPUID_MAX_ENTRIES 256

/*
 * CPUID for a Linux (bzImage) guest: KVM_GET_SUPPORTED_CPUID, then this mask.
 * The nested paravirtual KVM this project runs on (kvm_pvm) stops with
 * KVM_EXIT_INTERNAL_ERROR (suberror 1, emulation failure) on some
 * instructions it must emulate; Linux picks its code paths from CPUID, so
 * hiding a feature keeps the kernel off the instruction:
 *
 *   leaf     reg  bit  feature   why it is hidden / set
 *   1        ECX  13   CX16      lock cmpxchg16b (SLUB's double cmpxchg) fails to emulate
 *   1        ECX  26   XSAVE     xsave/xrstor (FPU context switch) fail to emulate;
 *   1        ECX  27   OSXSAVE   Linux falls back to fxsave/fxrstor
 *   1        ECX  28   AVX       needs XSAVE (Linux's cpuid_deps would drop it anyway)
 *   0xd      all  -    XSAVE     state components: the leaf is zeroed
 *   1        ECX  31   HYPERVISOR set, so that Linux looks for KVM's leaves (kvm-clock)
 *
 * The multiboot demo guest keeps the plain supported set.
 *
 * Caveat, measured on this project's AMD host under kvm_pvm: the guest's
 * CPUID instruction is not intercepted (no CPUID faulting), so the guest
 * sees the host's raw leaves whatever KVM_SET_CPUID2 says (a probe: leaf 1
 * ECX 0xf7f81203 in the guest, XSAVE set, while the set table had it clear).
 * There the mask has no effect and the kernel command line must do it:
 * "noxsave" (configs/linux.toml). On ordinary KVM the mask applies.
 */
#define LINUX_CPUID1_ECX_HIDE ((1u << 13) | (1u << 26) | (1u << 27) | (1u << 28))
#define LINUX_CPUID1_ECX_SET  (1u << 31)

static void mask_cpuid_for_linux(struct kvm_cpuid_entry2 *e)
{
	if (e->function == 1) {
		e->ecx &= ~LINUX_CPUID1_ECX_HIDE;
		e->ecx |= LINUX_CPUID1_ECX_SET;
	}
	if (e->function == 0xd)
		e->eax = e->ebx = e->ecx = e->edx = 0;
}

static int set_cpuid(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	struct kvm_cpuid2 *cpuid =
		calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	int ret = -1;

	if (!cpuid) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) != 0) {
		snprintf(err, err_len, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		/* each vCPU reports its own APIC id */
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu->id << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = vcpu->id;
		if (vcpu->vm->linux_guest)
			mask_cpuid_for_linux(e);
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_CPUID2: %s", vcpu->id, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(cpuid);
	return ret;
}

int axvm_vcpu_create(struct axvm *vm, struct axvm_vcpu *vcpu, uint32_t id, char *err,
		     size_t err_len)
{
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0 || size <= 0) {
		snprintf(err, err_len, "vCPU %u: KVM_CREATE_VCPU: %s", id, strerror(errno));
		return -1;
	}
	vcpu->run_size = (size_t)size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		snprintf(err, err_len, "vCPU %u: mmap of kvm_run: %s", id, strerror(errno));
		return -1;
	}
	return set_cpuid(vcpu, err, err_len);
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
}

static int get_sregs(struct axvm_vcpu *vcpu, struct kvm_sregs *sregs, char *err, size_t err_len)
{
	if (ioctl(vcpu->fd, KVM_GET_SREGS, sregs) == 0)
		return 0;
	snprintf(err, err_len, "vCPU %u: KVM_GET_SREGS: %s", vcpu->id, strerror(errno));
	return -1;
}

/* Loads a start state: segments and control registers first, then the registers. */
static int load_state(struct axvm_vcpu *vcpu, const struct kvm_sregs *sregs,
		      const struct kvm_regs *regs, char *err, size_t err_len)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_SREGS: %s", vcpu->id, strerror(errno));
		return -1;
	}
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_REGS: %s", vcpu->id, strerror(errno));
		return -1;
	}
	return 0;
}

int axvm_vcpu_boot_state(struct axvm_vcpu *vcpu, uint32_t entry, uint32_t ebx, char *err,
			 size_t err_len)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (get_sregs(vcpu, &sregs, err, err_len) != 0)
		return -1;
	/* multiboot v1: 32-bit protected mode, flat segments, paging off */
	flat_segment(&sregs.cs, 0x08, 0xb); /* execute/read, accessed */
	flat_segment(&sregs.ds, 0x10, 0x3); /* read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = (sregs.cr0 | 0x1) & ~0x80000000ull; /* PE on, PG off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	regs.rip = entry;
	regs.rax = MULTIBOOT_BOOTLOADER_MAGIC;
	regs.rbx = ebx;
	regs.rflags = 0x2; /* bit 1 is always set; interrupts off */
	return load_state(vcpu, &sregs, &regs, err, err_len);
}

int axvm_vcpu_boot_state_linux(struct axvm_vcpu *vcpu, const struct bzimage_entry *e, char *err,
			       size_t err_len)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (get_sregs(vcpu, &sregs, err, err_len) != 0)
		return -1;
	/* 64-bit boot protocol: long mode, identity paging, __BOOT_CS / __BOOT_DS, flat */
	flat_segment(&sregs.cs, BZIMAGE_BOOT_CS, 0xb); /* execute/read, accessed */
	sregs.cs.l = 1;
	sregs.cs.db = 0;
	flat_segment(&sregs.ds, BZIMAGE_BOOT_DS, 0x3); /* read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = e->gdt_base;
	sregs.gdt.limit = e->gdt_limit;
	/* PE, ET, NE, PG; caches on (CD and NW clear) */
	sregs.cr0 = 0x1ull | 0x10ull | 0x20ull | 0x80000000ull;
	sregs.cr3 = e->cr3;
	sregs.cr4 = 0x20;	    /* PAE */
	sregs.efer = 0x100 | 0x400; /* LME | LMA */
	regs.rip = e->entry;
	regs.rsi = e->zero_page;
	regs.rsp = e->zero_page - 0x10; /* the kernel sets its own stack; a sane one meanwhile */
	regs.rflags = 0x2;		/* interrupts off */
	return load_state(vcpu, &sregs, &regs, err, err_len);
}

void axvm_vcpu_kick(struct axvm_vcpu *vcpu)
{
	if (vcpu->run)
		vcpu->run->immediate_exit = 1;
	if (vcpu->started)
		pthread_kill(vcpu->thread, SIGUSR1);
}

/* One access, either direction; unmapped or refused ones read as all-ones. */
static void route_access(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len,
			 bool write, uint8_t *data)
{
	struct axvm *vm = vcpu->vm;
	enum ax_err err;

	if (write) {
		err = ax_devices_handle_write(vm->devices, bus, vcpu->id, addr, len,
					      le_load(data, len));
	} else {
		uint64_t v = 0;

		err = ax_devices_handle_read(vm->devices, bus, vcpu->id, addr, len, &v);
		le_store(data, len, err == AX_OK ? v : ~UINT64_C(0));
	}
	if (err != AX_OK)
		axvm_log_unmapped(vm, bus, addr, write, err);
}

static void handle_io(struct axvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	/* rep ins/outs arrive as `count` elements back to back */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		route_access(vcpu, AX_BUS_PORT, run->io.port, run->io.size, write, data);
}

static void handle_mmio(struct axvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	route_access(vcpu, AX_BUS_MMIO, run->mmio.phys_addr, run->mmio.len, run->mmio.is_write,
		     run->mmio.data);
}

/* Up to 16 bytes at the guest virtual address rip, as hex, for the stop reason. */
static void insn_bytes(struct axvm_vcpu *vcpu, uint64_t rip, char *out, size_t len)
{
	struct kvm_translation tr = { .linear_address = rip };
	const uint8_t *p = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid)
		p = guest_ram_at(&vcpu->vm->ram, tr.physical_address, 16);
	for (unsigned i = 0; p && i < 16 && used + 4 < len; i++)
		used += (size_t)snprintf(out + used, len - used, " %02x", p[i]);
}

static const char *shadow_name(unsigned shadow)
{
	if (shadow & KVM_X86_SHADOW_INT_MOV_SS)
		return "mov ss";
	return (shadow & KVM_X86_SHADOW_INT_STI) ? "sti" : "none";
}

/* The stop reason says where and in which state: the evidence for a host KVM's gap. */
static void internal_error(struct axvm_vcpu *vcpu)
{
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kvm_vcpu_events ev = { 0 };
	char bytes[64];

	ioctl(vcpu->fd, KVM_GET_REGS, &regs);
	ioctl(vcpu->fd, KVM_GET_SREGS, &sregs);
	ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev);
	insn_bytes(vcpu, regs.rip, bytes, sizeof(bytes));
	axvm_request_stop(vcpu->vm, AXVM_STATUS_VCPU,
			  "vCPU %u: KVM internal error (suberror %u) at rip 0x%llx%s%s (CPL %u, "
			  "rflags 0x%llx, interrupt shadow %s, cr0 0x%llx, cr4 0x%llx)",
			  vcpu->id, vcpu->run->internal.suberror, (unsigned long long)regs.rip,
			  bytes[0] ? ", bytes" : "", bytes, sregs.cs.selector & 3u,
			  (unsigned long long)regs.rflags, shadow_name(ev.interrupt.shadow),
			  (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr4);
}

void *axvm_vcpu_thread(void *arg)
{
	struct axvm_vcpu *vcpu = arg;
	struct axvm *vm = vcpu->vm;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	while (!atomic_load(&vm->stop)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) != 0) {
			if (errno == EINTR || errno == EAGAIN) {
				struct kvm_regs regs;

				if (vm->profile && ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
					axvm_profile_sample(vm->profile, regs.rip);
				continue;
			}
			axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: KVM_RUN: %s", vcpu->id,
					  strerror(errno));
			break;
		}
		switch (vcpu->run->exit_reason) {
		case KVM_EXIT_IO:
			atomic_fetch_add_explicit(&vcpu->exits[EXIT_IO], 1, memory_order_relaxed);
			handle_io(vcpu);
			break;
		case KVM_EXIT_MMIO:
			atomic_fetch_add_explicit(&vcpu->exits[EXIT_MMIO], 1, memory_order_relaxed);
			handle_mmio(vcpu);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			axvm_request_stop(vm, AXVM_STATUS_GUEST, "vCPU %u halted", vcpu->id);
			break;
		case KVM_EXIT_SHUTDOWN:
			axvm_request_stop(vm, AXVM_STATUS_GUEST,
					  "vCPU %u: guest shut down (triple fault?)", vcpu->id);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			axvm_request_stop(vm, AXVM_STATUS_GUEST, "vCPU %u: system event %u",
					  vcpu->id, vcpu->run->system_event.type);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			if (x86_handle_emulation_failure(vcpu) ==
			    0) /* 1: #BP delivered, -1: stopped */
				internal_error(vcpu);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			axvm_request_stop(vm, AXVM_STATUS_VCPU,
					  "vCPU %u: VM entry failed (reason 0x%llx)", vcpu->id,
					  (unsigned long long)vcpu->run->fail_entry
						  .hardware_entry_failure_reason);
			break;
		default:
			atomic_fetch_add_explicit(&vcpu->exits[EXIT_OTHER], 1,
						  memory_order_relaxed);
			axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: unhandled exit reason %u",
					  vcpu->id, vcpu->run->exit_reason);
			break;
		}
	}
	return NULL;
}
