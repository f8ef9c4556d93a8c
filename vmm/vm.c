/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM: host hooks over libc, the accelerator and the timer service, the
 * device set built from the config, guest creation on the accelerator
 * (RAM, kernel image, vCPUs and their start state), the run loop of the
 * main thread (signals) and shutdown, --stats.
 */
#include "axvm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "boot/arm64_image.h"
#include "boot/multiboot.h"
#include "devices/host_kinds.h"
#include "host_hooks.h"
#include "log.h"
#include "timers.h"
#include "vm_arm64.h"

/* --- host hooks ----------------------------------------------------------- */

static void *hook_guest_mem(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	struct axvm *vm = ctx;

	(void)write; /* all guest RAM is writable */
	return guest_ram_at(&vm->ram, gpa, len);
}

/* Lines no library interrupt controller owns: the accelerator's irqchip (KVM_IRQ_LINE). */
static void hook_irq_set_level(void *ctx, uint32_t irq, bool level)
{
	struct axvm *vm = ctx;

	if (vm->accel && vm->accel->irq_line)
		vm->accel->irq_line(vm, irq, level);
}

static void hook_irq_pulse(void *ctx, uint32_t irq)
{
	hook_irq_set_level(ctx, irq, true);
	hook_irq_set_level(ctx, irq, false);
}

/* A vCPU by the index a device model gave; NULL when there is no such vCPU (yet). */
static struct axvm_vcpu *vcpu_at(struct axvm *vm, uint32_t index)
{
	return vm->vcpus && index < vm->nr_vcpus ? &vm->vcpus[index] : NULL;
}

static void hook_irq_notify(void *ctx, uint32_t index)
{
	struct axvm *vm = ctx;
	struct axvm_vcpu *vcpu = vcpu_at(vm, index);

	if (vcpu && vm->accel && vm->accel->irq_notify)
		vm->accel->irq_notify(vcpu);
}

static void hook_vcpu_startup(void *ctx, uint32_t index, uint8_t vector)
{
	struct axvm *vm = ctx;
	struct axvm_vcpu *vcpu = vcpu_at(vm, index);

	if (vcpu && vm->accel && vm->accel->vcpu_startup)
		vm->accel->vcpu_startup(vcpu, vector);
	else if (!vcpu)
		axvm_debug("startup IPI for vCPU %u, which does not exist", index);
}

/* Time: timers.c's service, whose ctx is the struct axvm_timers. */
static uint64_t hook_now_ns(void *ctx)
{
	return axvm_timers_now_ns(((struct axvm *)ctx)->timers);
}

static void *hook_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	return axvm_timers_timer_create(((struct axvm *)ctx)->timers, fn, arg);
}

static void hook_timer_arm(void *ctx, void *timer, uint64_t deadline_ns)
{
	axvm_timers_timer_arm(((struct axvm *)ctx)->timers, timer, deadline_ns);
}

static void hook_timer_disarm(void *ctx, void *timer)
{
	axvm_timers_timer_disarm(((struct axvm *)ctx)->timers, timer);
}

static void hook_timer_destroy(void *ctx, void *timer)
{
	axvm_timers_timer_destroy(((struct axvm *)ctx)->timers, timer);
}

static const struct ax_char_backend *hook_char_backend(void *ctx, const char *name)
{
	return axvm_backends_char(&((struct axvm *)ctx)->backends, name);
}

static const struct ax_block_backend *hook_block_backend(void *ctx, const char *name)
{
	return axvm_backends_block(&((struct axvm *)ctx)->backends, name);
}

static const struct ax_net_backend *hook_net_backend(void *ctx, const char *name)
{
	return axvm_backends_net(&((struct axvm *)ctx)->backends, name);
}

void axvm_init(struct axvm *vm)
{
	memset(vm, 0, sizeof(*vm));
	atomic_init(&vm->status, -1);
	pthread_mutex_init(&vm->unmapped_lock, NULL);
}

void axvm_hooks_init(struct axvm *vm)
{
	axvm_libc_hooks(&vm->hooks, vm);
	vm->hooks.guest_mem = hook_guest_mem;
	vm->hooks.irq_set_level = hook_irq_set_level;
	vm->hooks.irq_pulse = hook_irq_pulse;
	vm->hooks.irq_notify = hook_irq_notify;
	vm->hooks.vcpu_startup = hook_vcpu_startup;
	vm->hooks.char_backend = hook_char_backend;
	vm->hooks.block_backend = hook_block_backend;
	vm->hooks.net_backend = hook_net_backend;
	if (vm->timers) {
		vm->hooks.now_ns = hook_now_ns;
		vm->hooks.timer_create = hook_timer_create;
		vm->hooks.timer_arm = hook_timer_arm;
		vm->hooks.timer_disarm = hook_timer_disarm;
		vm->hooks.timer_destroy = hook_timer_destroy;
	}
}

/* --- devices ---------------------------------------------------------------- */

/*
 * Where an accelerator's own interrupt controllers sit (KVM's in-kernel
 * irqchip: the PC's addresses). A config entry of one of these types is not
 * built then; it must name the same place.
 */
static const struct {
	uint32_t type;
	const char *what;
	uint64_t base;
	bool port;
} accel_irqchip[] = {
	{ AX_EMU_IOAPIC, "I/O APIC", 0xfec00000u, false },
	{ AX_EMU_LAPIC, "local APIC", 0xfee00000u, false },
	{ AX_EMU_PIC8259, "8259 pair", 0x20u, true }, /* master 0x20-0x21, slave 0xa0-0xa1 */
};

/* 1: entry i is an interrupt controller the accelerator provides; 0: not one; -1: err. */
static int accel_irqchip_entry(struct axvm *vm, unsigned i, char *err, size_t err_len)
{
	const struct axvm_config *cfg = vm->cfg;
	const struct ax_emu_config *e = &cfg->emu[i];

	for (size_t k = 0; k < sizeof(accel_irqchip) / sizeof(accel_irqchip[0]); k++) {
		if (e->emu_type != accel_irqchip[k].type)
			continue;
		if (e->base_gpa != accel_irqchip[k].base) {
			snprintf(err, err_len,
				 "%s:%u:%u: emu_devices[%u]: device \"%s\": the %s of accelerator "
				 "%s sits at %s0x%llx, not 0x%llx: move the entry there or use "
				 "--accel tcg",
				 cfg->path, cfg->emu_pos[i].line, cfg->emu_pos[i].col, i, e->name,
				 accel_irqchip[k].what, vm->accel->name,
				 accel_irqchip[k].port ? "port " : "",
				 (unsigned long long)accel_irqchip[k].base,
				 (unsigned long long)e->base_gpa);
			return -1;
		}
		axvm_info("device \"%s\": %s provided by accelerator %s's own irqchip, not built",
			  e->name, accel_irqchip[k].what, vm->accel->name);
		return 1;
	}
	return 0;
}

int axvm_build_devices(struct axvm *vm, char *err, size_t err_len)
{
	const struct axvm_config *cfg = vm->cfg;
	struct ax_devices_params params = {
		.hooks = &vm->hooks,
		.max_vcpus = cfg->cpu_num,
		.kinds = axvm_kinds,
		.nr_kinds = axvm_nr_kinds,
	};
	struct ax_diag diag = { 0 };

	if (ax_devices_create(&params, NULL, &vm->devices, &diag) != AX_OK) {
		snprintf(err, err_len, "%s: %s", cfg->path, diag.msg);
		return -1;
	}
	/* one entry at a time, so that an error points at the entry in the file */
	for (unsigned i = 0, sleep_dev = UINT_MAX; i < cfg->nr_emu; i++) {
		/* the FADT has room for one pair of sleep registers */
		if (cfg->emu[i].emu_type == AXVM_ACPI_SLEEP_TYPE && sleep_dev != UINT_MAX) {
			snprintf(err, err_len,
				 "%s:%u:%u: emu_devices[%u]: device \"%s\": a second acpi-sleep "
				 "device (emu_devices[%u] \"%s\" is the VM's): the FADT has one "
				 "pair of sleep registers",
				 cfg->path, cfg->emu_pos[i].line, cfg->emu_pos[i].col, i,
				 cfg->emu[i].name, sleep_dev, cfg->emu[sleep_dev].name);
			return -1;
		}
		if (cfg->emu[i].emu_type == AXVM_ACPI_SLEEP_TYPE)
			sleep_dev = i;
		if (vm->accel && !vm->accel->uses_library_irqchip) {
			int own = accel_irqchip_entry(vm, i, err, err_len);

			if (own < 0)
				return -1;
			if (own > 0)
				continue;
		}
		if (ax_devices_add_from_config(vm->devices, &cfg->emu[i], NULL, &diag) != AX_OK) {
			snprintf(err, err_len, "%s:%u:%u: emu_devices[%u]: %s", cfg->path,
				 cfg->emu_pos[i].line, cfg->emu_pos[i].col, i, diag.msg);
			return -1;
		}
	}
	return 0;
}

/* --- the guest ------------------------------------------------------------------ */

static int read_file(const char *what, const char *path, uint8_t **data, size_t *size, char *err,
		     size_t err_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, err_len, "%s %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*size = (size_t)st.st_size;
	*data = malloc(*size ? *size : 1);
	for (size_t done = 0; *data && done < *size;) {
		ssize_t n = read(fd, *data + done, *size - done);

		if (n <= 0) {
			snprintf(err, err_len, "%s %s: short read", what, path);
			free(*data);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	if (!*data) {
		snprintf(err, err_len, "%s %s: out of memory", what, path);
		return -1;
	}
	return 0;
}

/*
 * ACPI tables for a Linux guest at BZIMAGE_ACPI_GPA (reserved in its e820 map):
 * CPUs, the in-kernel I/O APIC and PICs, one LNRO0005 device per virtio-mmio
 * entry of the config, COM1 when a console sits at port 0x3f8, the sleep
 * registers and \_S5 when the config has an acpi-sleep device (at most one,
 * axvm_build_devices() made sure). Returns the RSDP's address, 0 with err on
 * failure.
 */
static uint64_t build_acpi(struct axvm *vm, char *err, size_t err_len)
{
	const struct axvm_config *cfg = vm->cfg;
	struct acpi_virtio_mmio virtio[AXVM_MAX_DEVICES];
	struct acpi_vm_desc desc = {
		.nr_cpus = cfg->cpu_num,
		.ioapic_id = 0,
		.pcat_compat = true,
		.virtio = virtio,
	};
	struct acpi_layout layout;
	uint8_t *buf = guest_ram_at(&vm->ram, BZIMAGE_ACPI_GPA, BZIMAGE_ACPI_MAX);

	for (unsigned i = 0; i < cfg->nr_emu; i++) {
		const struct ax_emu_config *e = &cfg->emu[i];

		if (e->emu_type == AX_EMU_VIRTIO_BLK || e->emu_type == AX_EMU_VIRTIO_CONSOLE ||
		    e->emu_type == AX_EMU_VIRTIO_NET)
			virtio[desc.nr_virtio++] =
				(struct acpi_virtio_mmio){ e->base_gpa, e->length, e->irq_id };
		/* cfg_list [bus = 1 (port), ...]: the PC's COM1 */
		if (e->emu_type == AX_EMU_CONSOLE && e->base_gpa == 0x3f8 && e->cfg_len > 0 &&
		    e->cfg_list[0] == 1)
			desc.com1 = true;
		/* the device checked that its two ports lie in 0x1..0xffff */
		if (e->emu_type == AXVM_ACPI_SLEEP_TYPE)
			desc.sleep_port = (uint16_t)e->base_gpa;
	}
	if (!buf) {
		snprintf(err, err_len, "no guest RAM at 0x%x for the ACPI tables",
			 BZIMAGE_ACPI_GPA);
		return 0;
	}
	if (acpi_build(&desc, buf, BZIMAGE_ACPI_MAX, BZIMAGE_ACPI_GPA, &layout) != 0) {
		snprintf(err, err_len, "ACPI tables: %s", strerror(errno));
		return 0;
	}
	axvm_debug("ACPI: %zu bytes at 0x%x, %u virtio-mmio device(s)%s%s", layout.total,
		   BZIMAGE_ACPI_GPA, desc.nr_virtio, desc.com1 ? ", COM1" : "",
		   desc.sleep_port ? ", sleep registers and \\_S5 (power-off)" : "");
	return BZIMAGE_ACPI_GPA + layout.rsdp.off;
}

static int load_linux(struct axvm *vm, const uint8_t *image, size_t size, char *err, size_t err_len)
{
	const struct axvm_config *cfg = vm->cfg;
	struct bzimage_args args = { .cmdline = cfg->cmdline };
	uint8_t *initrd = NULL;
	char why[256];
	int ret;

	args.acpi_rsdp = build_acpi(vm, err, err_len);
	if (!args.acpi_rsdp)
		return -1;
	if (cfg->ramdisk_path[0]) {
		if (read_file("ramdisk", cfg->ramdisk_path, &initrd, &args.initrd_size, err,
			      err_len) != 0)
			return -1;
		args.initrd = initrd;
	}
	ret = bzimage_load(&vm->ram, image, size, &args, &vm->linux_entry, why, sizeof(why));
	free(initrd);
	if (ret != 0) {
		snprintf(err, err_len, "kernel %s: %s", cfg->kernel_path, why);
		return -1;
	}
	vm->linux_guest = true;
	axvm_debug("bzImage: protocol %u.%02u, kernel at 0x%llx, entry 0x%llx, initrd at 0x%llx "
		   "(%zu bytes)",
		   (unsigned)(vm->linux_entry.protocol >> 8),
		   (unsigned)(vm->linux_entry.protocol & 0xffu),
		   (unsigned long long)vm->linux_entry.load_addr,
		   (unsigned long long)vm->linux_entry.entry,
		   (unsigned long long)vm->linux_entry.initrd_addr, args.initrd_size);
	return 0;
}

int axvm_guest_arch(const struct axvm_config *cfg, enum axvm_arch *arch, char *err, size_t err_len)
{
	uint8_t head[ARM64_IMAGE_HEADER_SIZE];
	FILE *f = fopen(cfg->kernel_path, "rb");
	size_t n;

	if (!f) {
		snprintf(err, err_len, "kernel %s: %s", cfg->kernel_path, strerror(errno));
		return -1;
	}
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	*arch = arm64_image_detect(head, n) ? AXVM_ARCH_ARM64 : AXVM_ARCH_X86_64;
	return 0;
}

/* The loader is chosen by content: an arm64 Image, a bzImage ("HdrS") or a multiboot v1 ELF32. */
static int load_kernel(struct axvm *vm, struct multiboot_entry *entry, char *err, size_t err_len)
{
	uint8_t *image;
	size_t size;
	char why[256];
	int ret;

	if (read_file("kernel", vm->cfg->kernel_path, &image, &size, err, err_len) != 0)
		return -1;
	if (vm->arch == AXVM_ARCH_ARM64) {
		/* axvm_guest_arch() saw its header: the file is taken as an Image or refused */
		ret = axvm_arm64_load(vm, image, size, err, err_len);
		free(image);
		return ret;
	}
	if (bzimage_detect(image, size)) {
		ret = load_linux(vm, image, size, err, err_len);
		free(image);
		return ret;
	}
	ret = multiboot_load(&vm->ram, image, size, vm->cfg->cmdline, entry, why, sizeof(why));
	free(image);
	if (ret != 0)
		snprintf(err, err_len, "kernel %s: %s", vm->cfg->kernel_path, why);
	return ret;
}

int axvm_create(struct axvm *vm, char *err, size_t err_len, int *status)
{
	const struct axvm_accel *accel = vm->accel;
	struct multiboot_entry entry;

	if (accel->vm_create(vm, err, err_len, status) != 0)
		return -1;
	*status = AXVM_STATUS_CONFIG;
	if (load_kernel(vm, &entry, err, err_len) != 0)
		return -1;
	if (vm->arch == AXVM_ARCH_ARM64) {
		/* axvm_arm64_load() set vm->arm64_boot */
	} else if (vm->linux_guest) {
		x86_boot_state_linux64(&vm->boot, vm->linux_entry.entry, vm->linux_entry.zero_page,
				       vm->linux_entry.cr3, vm->linux_entry.gdt_base,
				       vm->linux_entry.gdt_limit);
	} else {
		x86_boot_state_multiboot(&vm->boot, entry.entry, entry.info);
	}
	*status = AXVM_STATUS_VCPU;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		if (accel->vcpu_create(&vm->vcpus[i], err, err_len) != 0)
			return -1;
	}
	/* the boot CPU starts the kernel; the others wait for INIT/SIPI or PSCI CPU_ON */
	if (vm->arch == AXVM_ARCH_ARM64
		    ? accel->vcpu_set_state_arm64(&vm->vcpus[0], &vm->arm64_boot, err, err_len) != 0
		    : accel->vcpu_set_state(&vm->vcpus[0], &vm->boot, err, err_len) != 0)
		return -1;
	for (uint32_t i = 1; i < vm->nr_vcpus; i++)
		if (accel->vcpu_set_waiting(&vm->vcpus[i], err, err_len) != 0)
			return -1;
	return 0;
}

/* --- stopping ------------------------------------------------------------------ */

void axvm_request_stop(struct axvm *vm, int status, const char *fmt, ...)
{
	int unset = -1;

	if (atomic_compare_exchange_strong(&vm->status, &unset, status)) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
		va_end(ap);
	}
	atomic_store(&vm->stop, true);
	for (uint32_t i = 0; vm->accel && vm->vcpus && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].accel)
			vm->accel->vcpu_kick(&vm->vcpus[i]);
}

void axvm_log_unmapped(struct axvm *vm, enum ax_bus bus, uint64_t addr, bool write, enum ax_err err)
{
	uint64_t key = ((uint64_t)bus << 62) ^ addr;
	bool first = true;

	pthread_mutex_lock(&vm->unmapped_lock);
	for (unsigned i = 0; i < vm->nr_unmapped_seen && first; i++)
		first = vm->unmapped_seen[i] != key;
	if (first && vm->nr_unmapped_seen < AXVM_UNMAPPED_LOG_SLOTS)
		vm->unmapped_seen[vm->nr_unmapped_seen++] = key;
	else if (first)
		first = false; /* the table is full: stay quiet rather than flood */
	pthread_mutex_unlock(&vm->unmapped_lock);
	if (first)
		axvm_warn("%s %s at %s 0x%llx: %s (%s); %s", write ? "write" : "read",
			  err == AX_ERR_NOT_FOUND ? "unmapped" : "refused",
			  bus == AX_BUS_PORT ? "port" : "address", (unsigned long long)addr,
			  ax_err_name(err), write ? "dropped" : "reads as all-ones",
			  "logged once per address");
}

/* --- running ------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static struct timespec stop_signal_at;
static volatile sig_atomic_t profile_snapshot_wanted;

static void on_profile_snapshot(int sig)
{
	(void)sig;
	profile_snapshot_wanted = 1;
}

/*
 * SIGINT/SIGTERM: the first asks the main thread to stop the VM cleanly; a
 * second one exits at once, so that axvm can be stopped even if it is wedged.
 * A repeat within a second is the same request, not a second one: GNU
 * timeout(1) signals the child and then its whole process group.
 */
static void on_stop_signal(int sig)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	if (stop_signal) {
		if (now.tv_sec - stop_signal_at.tv_sec > 1 ||
		    (now.tv_sec - stop_signal_at.tv_sec == 1 &&
		     now.tv_nsec >= stop_signal_at.tv_nsec))
			_exit(AXVM_STATUS_SIGNAL + sig);
		return;
	}
	stop_signal_at = now;
	stop_signal = sig;
}

int axvm_run(struct axvm *vm)
{
	sigset_t stop_signals;
	struct sigaction stop = { .sa_handler = on_stop_signal };
	struct sigaction snapshot = { .sa_handler = on_profile_snapshot, .sa_flags = SA_RESTART };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct timespec t0, t1;

	if (vm->profile)
		sigaction(SIGUSR2, &snapshot, NULL);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	/* vCPU threads inherit a mask without SIGINT/SIGTERM: only this thread takes them */
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, axvm_vcpu_thread, &vm->vcpus[i]) !=
		    0) {
			axvm_request_stop(vm, AXVM_STATUS_VCPU, "cannot start vCPU %u thread", i);
			break;
		}
		vm->vcpus[i].started = true;
	}
	pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
	if (vm->profile)
		tick.tv_nsec = 1000 * 1000 * 1000 / AXVM_PROFILE_HZ;
	while (!atomic_load(&vm->stop)) {
		nanosleep(&tick, NULL); /* a signal cuts the sleep short */
		if (profile_snapshot_wanted) {
			char err[128];

			profile_snapshot_wanted = 0;
			if (axvm_profile_snapshot(vm->profile, err, sizeof(err)) != 0)
				axvm_warn("%s", err);
		}
		for (uint32_t i = 0; vm->profile && vm->accel->vcpu_sample && i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].started)
				vm->accel->vcpu_sample(&vm->vcpus[i]);
		if (stop_signal)
			axvm_request_stop(vm, AXVM_STATUS_SIGNAL + stop_signal, "stopped by %s",
					  stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	}
	for (uint32_t i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vm->run_seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return atomic_load(&vm->status);
}

void axvm_destroy(struct axvm *vm)
{
	/*
	 * The device set first: its timer callbacks and backend threads notify vCPUs
	 * (irq_notify) until the models are gone, and before the timers, as the models
	 * destroy theirs. The backends' I/O threads (taps) before it: they call into the
	 * models.
	 */
	axvm_backends_unbind(&vm->backends);
	ax_devices_destroy(vm->devices);
	vm->devices = NULL;
	for (uint32_t i = 0; vm->accel && vm->vcpus && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].accel)
			vm->accel->vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	if (vm->accel && vm->accel_vm)
		vm->accel->vm_destroy(vm);
	if (vm->timers)
		axvm_timers_destroy(vm->timers);
	vm->timers = NULL;
	axvm_backends_close(&vm->backends);
	guest_ram_unmap(&vm->ram);
	pthread_mutex_destroy(&vm->unmapped_lock);
}

/* --- stats --------------------------------------------------------------------- */

static enum ax_err print_device(const struct ax_device_info *info, void *arg)
{
	struct axvm *vm = arg;
	struct ax_device_stats st;
	const char *type = axvm_kind_name(info->type);

	char ops[320];

	if (ax_devices_stats(vm->devices, info->id, &st) == AX_OK)
		fprintf(stderr, "axvm: stats: device %s (%s) reads=%llu writes=%llu errors=%llu\n",
			info->name, type ? type : "?", (unsigned long long)st.reads,
			(unsigned long long)st.writes, (unsigned long long)st.errors);
	if (axvm_backends_format_ops(&vm->backends, info->name, ops, sizeof(ops)) > 0)
		fprintf(stderr, "axvm: stats: backend %s %s\n", info->name, ops);
	return AX_OK;
}

void axvm_print_stats(struct axvm *vm, double seconds)
{
	ax_devices_foreach(vm->devices, AX_BUS_COUNT, print_device, vm);
	for (unsigned b = 0; b < AX_BUS_COUNT; b++) {
		struct ax_device_stats st;

		if (ax_devices_unmapped_stats(vm->devices, (enum ax_bus)b, &st) == AX_OK &&
		    st.reads + st.writes)
			fprintf(stderr, "axvm: stats: unmapped %s reads=%llu writes=%llu\n",
				ax_bus_name((enum ax_bus)b), (unsigned long long)st.reads,
				(unsigned long long)st.writes);
	}
	if (vm->accel)
		fprintf(stderr, "axvm: stats: accel=%s\n", vm->accel->name);
	for (uint32_t i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		struct axvm_vcpu *v = &vm->vcpus[i];
		uint64_t io = atomic_load(&v->exits[EXIT_IO]),
			 mmio = atomic_load(&v->exits[EXIT_MMIO]);
		uint64_t other = atomic_load(&v->exits[EXIT_OTHER]);
		char prefix[48];

		fprintf(stderr,
			"axvm: stats: vcpu%u exits=%llu io=%llu mmio=%llu other=%llu "
			"seconds=%.6f\n",
			i, (unsigned long long)(io + mmio + other), (unsigned long long)io,
			(unsigned long long)mmio, (unsigned long long)other, seconds);
		snprintf(prefix, sizeof(prefix), "axvm: stats: vcpu%u", i);
		if (vm->accel->print_stats && v->accel)
			vm->accel->print_stats(v, stderr, prefix);
		/* interrupts the guest acknowledged at the GIC CPU interface (Arm models only) */
		struct ax_irq_ack_stats acks;

		if (ax_devices_irq_ack_stats(vm->devices, i, &acks) == AX_OK)
			fprintf(stderr,
				"%s gic acked_sgi=%llu acked_ppi=%llu acked_spi=%llu "
				"spurious=%llu\n",
				prefix, (unsigned long long)acks.sgi, (unsigned long long)acks.ppi,
				(unsigned long long)acks.spi, (unsigned long long)acks.spurious);
	}
}
