/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM vCPUs: the vCPU fd and its kvm_run mapping, CPUID, the start state,
 * KVM_RUN and the decoding of its exits into struct axvm_exit, kicks,
 * --profile samples and --stats counters.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm.h"
#include "accel/kvm/kvm_stats.h"
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

void axvm_kvm_cpuid_adjust(struct kvm_cpuid_entry2 *entries, uint32_t n, uint32_t vcpu_id,
			   bool linux_guest)
{
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		/* each vCPU reports its own APIC id */
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu_id << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = vcpu_id;
		if (!linux_guest)
			continue;
		if (e->function == 1) {
			e->ecx &= ~LINUX_CPUID1_ECX_HIDE;
			e->ecx |= LINUX_CPUID1_ECX_SET;
		}
		if (e->function == 0xd)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

static int set_cpuid(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	const struct axvm_kvm_vm *kvm = vcpu->vm->accel_vm;
	struct kvm_cpuid2 *cpuid =
		calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	int ret = -1;

	if (!cpuid) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) != 0) {
		snprintf(err, err_len, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto out;
	}
	axvm_kvm_cpuid_adjust(cpuid->entries, cpuid->nent, vcpu->id, vcpu->vm->linux_guest);
	if (ioctl(axvm_kvm_vcpu(vcpu)->fd, KVM_SET_CPUID2, cpuid) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_CPUID2: %s", vcpu->id, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(cpuid);
	return ret;
}

int axvm_kvm_vcpu_create(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	const struct axvm_kvm_vm *kvm = vcpu->vm->accel_vm;
	struct axvm_kvm_vcpu *kv = calloc(1, sizeof(*kv));
	int size = ioctl(kvm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (!kv) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	vcpu->accel = kv;
	kv->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->id);
	if (kv->fd < 0 || size <= 0) {
		snprintf(err, err_len, "vCPU %u: KVM_CREATE_VCPU: %s", vcpu->id, strerror(errno));
		return -1;
	}
	kv->run_size = (size_t)size;
	kv->run = mmap(NULL, kv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kv->fd, 0);
	if (kv->run == MAP_FAILED) {
		kv->run = NULL;
		snprintf(err, err_len, "vCPU %u: mmap of kvm_run: %s", vcpu->id, strerror(errno));
		return -1;
	}
	return set_cpuid(vcpu, err, err_len);
}

void axvm_kvm_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);

	if (!kv)
		return;
	if (kv->run)
		munmap(kv->run, kv->run_size);
	if (kv->fd >= 0)
		close(kv->fd);
	free(kv);
	vcpu->accel = NULL;
}

static struct kvm_segment kvm_segment_from(const struct x86_segment *s)
{
	return (struct kvm_segment){
		.base = s->base,
		.limit = s->limit,
		.selector = s->selector,
		.type = s->type,
		.present = s->present,
		.dpl = s->dpl,
		.db = s->db,
		.s = s->s,
		.l = s->l,
		.g = s->g,
	};
}

void axvm_kvm_state_from_boot(const struct x86_boot_state *s, struct kvm_sregs *sregs,
			      struct kvm_regs *regs)
{
	sregs->cs = kvm_segment_from(&s->cs);
	sregs->ds = kvm_segment_from(&s->ds);
	sregs->es = kvm_segment_from(&s->es);
	sregs->fs = kvm_segment_from(&s->fs);
	sregs->gs = kvm_segment_from(&s->gs);
	sregs->ss = kvm_segment_from(&s->ss);
	sregs->gdt.base = s->gdt_base;
	sregs->gdt.limit = s->gdt_limit;
	sregs->cr0 = s->cr0;
	sregs->cr3 = s->cr3;
	sregs->cr4 = s->cr4;
	sregs->efer = s->efer;
	*regs = (struct kvm_regs){
		.rip = s->rip,
		.rsp = s->rsp,
		.rflags = s->rflags,
		.rax = s->rax,
		.rbx = s->rbx,
		.rsi = s->rsi,
	};
}

/* Segments and control registers first, then the registers. */
int axvm_kvm_vcpu_set_state(struct axvm_vcpu *vcpu, const struct x86_boot_state *s, char *err,
			    size_t err_len)
{
	int fd = axvm_kvm_vcpu(vcpu)->fd;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_SREGS, &sregs) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_GET_SREGS: %s", vcpu->id, strerror(errno));
		return -1;
	}
	axvm_kvm_state_from_boot(s, &sregs, &regs);
	if (ioctl(fd, KVM_SET_SREGS, &sregs) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_SREGS: %s", vcpu->id, strerror(errno));
		return -1;
	}
	if (ioctl(fd, KVM_SET_REGS, &regs) != 0) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_REGS: %s", vcpu->id, strerror(errno));
		return -1;
	}
	return 0;
}

int axvm_kvm_vcpu_set_waiting(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	/* with the in-kernel irqchip an AP starts out waiting for INIT/SIPI: nothing to do */
	(void)vcpu;
	(void)err;
	(void)err_len;
	return 0;
}

/* Up to 16 bytes at the guest virtual address rip, as hex, for the stop reason. */
static void insn_bytes(struct axvm_vcpu *vcpu, uint64_t rip, char *out, size_t len)
{
	struct kvm_translation tr = { .linear_address = rip };
	const uint8_t *p = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (ioctl(axvm_kvm_vcpu(vcpu)->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid)
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
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kvm_vcpu_events ev = { 0 };
	char bytes[64];

	ioctl(kv->fd, KVM_GET_REGS, &regs);
	ioctl(kv->fd, KVM_GET_SREGS, &sregs);
	ioctl(kv->fd, KVM_GET_VCPU_EVENTS, &ev);
	insn_bytes(vcpu, regs.rip, bytes, sizeof(bytes));
	axvm_request_stop(vcpu->vm, AXVM_STATUS_VCPU,
			  "vCPU %u: KVM internal error (suberror %u) at rip 0x%llx%s%s (CPL %u, "
			  "rflags 0x%llx, interrupt shadow %s, cr0 0x%llx, cr4 0x%llx)",
			  vcpu->id, kv->run->internal.suberror, (unsigned long long)regs.rip,
			  bytes[0] ? ", bytes" : "", bytes, sregs.cs.selector & 3u,
			  (unsigned long long)regs.rflags, shadow_name(ev.interrupt.shadow),
			  (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr4);
}

void axvm_kvm_decode_exit(struct axvm_vcpu *vcpu, struct axvm_exit *exit)
{
	struct axvm *vm = vcpu->vm;
	struct kvm_run *run = axvm_kvm_vcpu(vcpu)->run;

	exit->reason = AXVM_EXIT_NONE;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = AXVM_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = AXVM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.len = (uint8_t)run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_HLT:
		exit->reason = AXVM_EXIT_HALT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = AXVM_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		axvm_request_stop(vm, AXVM_STATUS_GUEST, "vCPU %u: system event %u", vcpu->id,
				  run->system_event.type);
		exit->reason = AXVM_EXIT_FAILED;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		/* 1: #BP delivered or instruction executed (run again); -1: stopped; 0: neither */
		switch (x86_handle_emulation_failure(vcpu)) {
		case 1:
			break;
		case 0:
			internal_error(vcpu);
			exit->reason = AXVM_EXIT_FAILED;
			break;
		default:
			exit->reason = AXVM_EXIT_FAILED;
			break;
		}
		break;
	case KVM_EXIT_FAIL_ENTRY:
		axvm_request_stop(
			vm, AXVM_STATUS_VCPU, "vCPU %u: VM entry failed (reason 0x%llx)", vcpu->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		exit->reason = AXVM_EXIT_FAILED;
		break;
	default:
		atomic_fetch_add_explicit(&vcpu->exits[EXIT_OTHER], 1, memory_order_relaxed);
		axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: unhandled exit reason %u",
				  vcpu->id, run->exit_reason);
		exit->reason = AXVM_EXIT_FAILED;
		break;
	}
}

/*
 * --profile: the guest's RIP, unless the vCPU has not started yet (an AP
 * waiting for INIT/SIPI sits at the reset vector, which is no guest code).
 * A halted vCPU counts at its HLT: idle time shows where the guest idles.
 */
static void sample(struct axvm_vcpu *vcpu)
{
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);
	struct kvm_mp_state mp;
	struct kvm_regs regs;

	if (ioctl(kv->fd, KVM_GET_MP_STATE, &mp) == 0 &&
	    (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
	     mp.mp_state == KVM_MP_STATE_INIT_RECEIVED ||
	     mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED))
		return;
	if (ioctl(kv->fd, KVM_GET_REGS, &regs) == 0)
		axvm_profile_sample(vcpu->vm->profile, regs.rip);
}

void axvm_kvm_vcpu_run(struct axvm_vcpu *vcpu, struct axvm_exit *exit)
{
	struct axvm *vm = vcpu->vm;
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);

	exit->reason = AXVM_EXIT_NONE;
	if (atomic_load(&vm->stop))
		return;
	if (ioctl(kv->fd, KVM_RUN, 0) != 0) {
		if (errno == EINTR || errno == EAGAIN) {
			/* a kick, or --profile's sampling signal: record where the guest was */
			if (vm->profile)
				sample(vcpu);
			return;
		}
		axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: KVM_RUN: %s", vcpu->id,
				  strerror(errno));
		exit->reason = AXVM_EXIT_FAILED;
		return;
	}
	axvm_kvm_decode_exit(vcpu, exit);
}

void axvm_kvm_vcpu_kick(struct axvm_vcpu *vcpu)
{
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);

	if (kv && kv->run)
		kv->run->immediate_exit = 1;
	if (vcpu->started)
		pthread_kill(vcpu->thread, SIGUSR1);
}

void axvm_kvm_vcpu_sample(struct axvm_vcpu *vcpu)
{
	/* KVM_RUN returns EINTR; axvm_kvm_vcpu_run reads RIP */
	if (vcpu->started)
		pthread_kill(vcpu->thread, SIGUSR1);
}

void axvm_kvm_print_stats(struct axvm_vcpu *vcpu, FILE *out, const char *prefix)
{
	struct axvm_kvm_vcpu *kv = axvm_kvm_vcpu(vcpu);
	uint64_t emulated = 0;
	char kvm_prefix[64];

	if (!kv)
		return;
	for (int k = 0; k < X86_INSN_KINDS; k++)
		emulated += atomic_load(&kv->insn_emulated[k]);
	/* what axvm executed itself after a KVM emulation failure (x86_exception.c) */
	fprintf(out, "%s emulated bp_emulated=%llu insn_emulated=%llu insn_emulated_if0=%llu",
		prefix, (unsigned long long)atomic_load(&kv->bp_delivered),
		(unsigned long long)emulated,
		(unsigned long long)atomic_load(&kv->insn_emulated_if0));
	for (int k = X86_INSN_NONE + 1; k < X86_INSN_KINDS; k++)
		if (atomic_load(&kv->insn_emulated[k]))
			fprintf(out, " %s=%llu", x86_insn_kind_name((enum x86_insn_kind)k),
				(unsigned long long)atomic_load(&kv->insn_emulated[k]));
	fputc('\n', out);
	snprintf(kvm_prefix, sizeof(kvm_prefix), "%s kvm", prefix);
	if (kv->fd >= 0)
		axvm_kvm_stats_print(out, kv->fd, kvm_prefix);
}
