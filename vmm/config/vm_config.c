/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's VM configuration: the TOML tree from toml.c checked key by key into
 * struct axvm_config. The checks that need no device knowledge happen here,
 * each error naming the file position of the value at fault; device entries
 * go through the library's own ax_emu_config_validate() so that axvm and
 * every other host reject the same entries with the same words.
 */
#include "config/vm_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/emu_type.h>

#include "config/disk_spec.h"
#include "config/toml.h"

#define CONFIG_MAX_BYTES (1u << 20) /* far above any real config; bounds what a file can cost */
#define MAX_CPUS	 64
#define SHOW_MAX	 64 /* characters of a user-supplied string quoted in a message */
/* axvmconfig's MappingFlags: read, write, execute, user, device, uncached */
#define MEM_FLAGS_KNOWN 0x3full

struct loader {
	const char *path;
	struct axvm_config *out;
	char *err;
	size_t err_len;
};

/* Table-specific loader for one key's value. */
typedef bool (*key_loader)(struct loader *ld, const struct toml_node *value);

struct key_rule {
	const char *key;
	key_loader load;
};

/* --- errors ---------------------------------------------------------------------- */

/* Messages are one line: control characters (say, from a quoted key) become '?'. */
static void make_single_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static bool fail(struct loader *ld, struct toml_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail(struct loader *ld, struct toml_pos pos, const char *fmt, ...)
{
	char msg[AXVM_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->err && ld->err_len) {
		snprintf(ld->err, ld->err_len, "%s:%u:%u: %s", ld->path, pos.line, pos.col, msg);
		make_single_line(ld->err);
	}
	return false;
}

static struct axvm_pos to_pos(struct toml_pos pos)
{
	return (struct axvm_pos){ pos.line, pos.col };
}

/* Copies with truncation; callers check lengths first where truncation would matter. */
static void copy_string(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* --- typed values ---------------------------------------------------------------- */

static bool expect_type(struct loader *ld, const struct toml_node *v, enum toml_type type,
			const char *what)
{
	if (v->type == type)
		return true;
	return fail(ld, v->pos, "expected %s for %s, found %s", toml_type_name(type), what,
		    toml_type_name(v->type));
}

static bool get_u64(struct loader *ld, const struct toml_node *v, const char *what, uint64_t *out)
{
	if (!expect_type(ld, v, TOML_INTEGER, what))
		return false;
	if (v->integer.negative)
		return fail(ld, v->pos, "expected a non-negative integer for %s, found -%llu", what,
			    (unsigned long long)v->integer.magnitude);
	*out = v->integer.magnitude;
	return true;
}

static bool get_u32(struct loader *ld, const struct toml_node *v, const char *what, uint32_t *out)
{
	uint64_t value;

	if (!get_u64(ld, v, what, &value))
		return false;
	if (value > UINT32_MAX)
		return fail(ld, v->pos, "%s does not fit in 32 bits (found 0x%llx)", what,
			    (unsigned long long)value);
	*out = (uint32_t)value;
	return true;
}

/* A string that must fit in dst (cap bytes with the NUL). */
static bool get_string(struct loader *ld, const struct toml_node *v, const char *what, char *dst,
		       size_t cap)
{
	if (!expect_type(ld, v, TOML_STRING, what))
		return false;
	if (strlen(v->str) >= cap)
		return fail(ld, v->pos, "%s is longer than %zu characters", what, cap - 1);
	copy_string(dst, cap, v->str);
	return true;
}

/*
 * An array of exactly `n` items (a memory region, a device entry), whose
 * items are returned in `items`. `shape` spells the expected fields.
 */
static bool get_tuple(struct loader *ld, const struct toml_node *v, const char *what,
		      const char *shape, const struct toml_node **items, size_t n)
{
	const struct toml_node *item;
	size_t k = 0;

	if (v->type != TOML_ARRAY)
		return fail(ld, v->pos, "expected an array %s for %s, found %s", shape, what,
			    toml_type_name(v->type));
	if (v->list.count != n)
		return fail(ld, v->pos, "%s has %zu fields, expected %zu: %s", what, v->list.count,
			    n, shape);
	for (item = v->list.first; item; item = item->next)
		items[k++] = item;
	return true;
}

/* --- [base] -------------------------------------------------------------------------- */

static bool load_id(struct loader *ld, const struct toml_node *v)
{
	return get_u64(ld, v, "id", &ld->out->id);
}

static bool load_name(struct loader *ld, const struct toml_node *v)
{
	return get_string(ld, v, "name", ld->out->name, sizeof(ld->out->name));
}

static bool load_vm_type(struct loader *ld, const struct toml_node *v)
{
	return get_u64(ld, v, "vm_type", &ld->out->vm_type);
}

static bool load_cpu_num(struct loader *ld, const struct toml_node *v)
{
	uint64_t n = 0;

	if (!get_u64(ld, v, "cpu_num", &n))
		return false;
	if (n < 1 || n > MAX_CPUS)
		return fail(ld, v->pos, "cpu_num must be between 1 and %d, found %llu", MAX_CPUS,
			    (unsigned long long)n);
	ld->out->cpu_num = (uint32_t)n;
	return true;
}

/* axvm's extension: which accelerator runs the vCPUs (--accel overrides it). */
static bool load_accel(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_STRING, "accel"))
		return false;
	if (strcmp(v->str, "auto") != 0 && strcmp(v->str, "kvm") != 0 && strcmp(v->str, "tcg") != 0)
		return fail(ld, v->pos,
			    "expected \"auto\", \"kvm\" or \"tcg\" for accel, found \"%.*s\"",
			    SHOW_MAX, v->str);
	copy_string(ld->out->accel, sizeof(ld->out->accel), v->str);
	return true;
}

static const struct key_rule base_keys[] = {
	{ "id", load_id },	     { "name", load_name },   { "vm_type", load_vm_type },
	{ "cpu_num", load_cpu_num }, { "accel", load_accel }, { NULL, NULL },
};

/* --- [kernel] -------------------------------------------------------------------------- */

static bool load_kernel_path(struct loader *ld, const struct toml_node *v)
{
	struct axvm_config *out = ld->out;

	if (!get_string(ld, v, "kernel_path", out->kernel_path, sizeof(out->kernel_path)))
		return false;
	if (!out->kernel_path[0])
		return fail(ld, v->pos, "kernel_path must not be empty");
	return true;
}

static bool load_kernel_load_addr(struct loader *ld, const struct toml_node *v)
{
	return get_u64(ld, v, "kernel_load_addr", &ld->out->kernel_load_addr);
}

static bool load_entry_point(struct loader *ld, const struct toml_node *v)
{
	ld->out->has_entry_point = true;
	return get_u64(ld, v, "entry_point", &ld->out->entry_point);
}

static bool load_cmdline(struct loader *ld, const struct toml_node *v)
{
	return get_string(ld, v, "cmdline", ld->out->cmdline, sizeof(ld->out->cmdline));
}

static bool load_ramdisk_path(struct loader *ld, const struct toml_node *v)
{
	struct axvm_config *out = ld->out;

	if (!get_string(ld, v, "ramdisk_path", out->ramdisk_path, sizeof(out->ramdisk_path)))
		return false;
	if (!out->ramdisk_path[0])
		return fail(ld, v->pos, "ramdisk_path must not be empty");
	return true;
}

/* axvmconfig's "memory" means an image linked into the hypervisor: axvm only reads files. */
static bool load_image_location(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_STRING, "image_location"))
		return false;
	if (strcmp(v->str, "fs") != 0)
		return fail(ld, v->pos,
			    "image_location \"%.*s\" is not supported by axvm (only \"fs\")",
			    SHOW_MAX, v->str);
	return true;
}

static bool check_mem_values(struct loader *ld, const struct toml_node **f, unsigned idx,
			     const struct axvm_mem_region *r)
{
	if (r->size == 0)
		return fail(ld, f[1]->pos, "memory_regions[%u]: size must not be zero", idx);
	if (r->size - 1 > UINT64_MAX - r->gpa)
		return fail(ld, f[1]->pos,
			    "memory_regions[%u]: gpa 0x%llx + size 0x%llx wraps around the "
			    "address space",
			    idx, (unsigned long long)r->gpa, (unsigned long long)r->size);
	if (r->flags & ~MEM_FLAGS_KNOWN)
		return fail(ld, f[2]->pos,
			    "memory_regions[%u]: flags 0x%llx has unknown bits (known: 0x1 read, "
			    "0x2 write, 0x4 execute, 0x8 user, 0x10 device, 0x20 uncached)",
			    idx, (unsigned long long)r->flags);
	if (r->map_type == 1)
		return fail(ld, f[3]->pos, "map_type 1 (identical) is not supported by axvm");
	if (r->map_type != 0)
		return fail(ld, f[3]->pos,
			    "map_type %llu is not supported by axvm (only 0, memory it allocates)",
			    (unsigned long long)r->map_type);
	return true;
}

static bool load_mem_region(struct loader *ld, const struct toml_node *v, unsigned idx,
			    struct axvm_mem_region *r)
{
	static const char *const field[] = { "gpa", "size", "flags", "map_type" };
	uint64_t *value[] = { &r->gpa, &r->size, &r->flags, &r->map_type };
	const struct toml_node *f[4];
	char what[64];

	snprintf(what, sizeof(what), "memory_regions[%u]", idx);
	if (!get_tuple(ld, v, what, "[gpa, size, flags, map_type]", f, 4))
		return false;
	for (unsigned k = 0; k < 4; k++) {
		snprintf(what, sizeof(what), "%s in memory_regions[%u]", field[k], idx);
		if (!get_u64(ld, f[k], what, value[k]))
			return false;
	}
	r->pos = to_pos(v->pos);
	return check_mem_values(ld, f, idx, r);
}

/* Inclusive ends: a region may end at the very top of the address space. */
static bool regions_overlap(const struct axvm_mem_region *a, const struct axvm_mem_region *b)
{
	return a->gpa <= b->gpa + (b->size - 1) && b->gpa <= a->gpa + (a->size - 1);
}

static bool load_memory_regions(struct loader *ld, const struct toml_node *v)
{
	struct axvm_config *out = ld->out;

	if (!expect_type(ld, v, TOML_ARRAY, "memory_regions"))
		return false;
	if (v->list.count == 0)
		return fail(ld, v->pos, "memory_regions must list at least one region");
	for (const struct toml_node *e = v->list.first; e; e = e->next) {
		unsigned i = out->nr_mem;
		struct axvm_mem_region *r = &out->mem[i];

		if (i == AXVM_MAX_MEM_REGIONS)
			return fail(ld, e->pos, "too many memory regions (at most %d)",
				    AXVM_MAX_MEM_REGIONS);
		if (!load_mem_region(ld, e, i, r))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (regions_overlap(&out->mem[j], r))
				return fail(ld, e->pos,
					    "memory_regions[%u] [0x%llx, 0x%llx] overlaps "
					    "memory_regions[%u] [0x%llx, 0x%llx]",
					    i, (unsigned long long)r->gpa,
					    (unsigned long long)(r->gpa + (r->size - 1)), j,
					    (unsigned long long)out->mem[j].gpa,
					    (unsigned long long)(out->mem[j].gpa +
								 (out->mem[j].size - 1)));
		out->nr_mem++;
	}
	return true;
}

static const struct key_rule kernel_keys[] = {
	{ "kernel_path", load_kernel_path },	   { "kernel_load_addr", load_kernel_load_addr },
	{ "entry_point", load_entry_point },	   { "cmdline", load_cmdline },
	{ "ramdisk_path", load_ramdisk_path },	   { "image_location", load_image_location },
	{ "memory_regions", load_memory_regions }, { NULL, NULL },
};

/* --- [devices] ------------------------------------------------------------------------- */

/*
 * axvm's host kinds by config name. The kind table (host_kinds.c) has the same
 * names, but the loader is also built without the devices (the fuzzers).
 */
static const struct {
	const char *name;
	uint32_t type;
} host_types[] = {
	{ AXVM_EXIT_DEVICE_NAME, AXVM_EXIT_DEVICE_TYPE },
	{ AXVM_ACPI_SLEEP_NAME, AXVM_ACPI_SLEEP_TYPE },
};
#define NR_HOST_TYPES (sizeof(host_types) / sizeof(host_types[0]))

/* "console, gicd-v2, ..., exit, acpi-sleep": the names an emu_type string may use. */
static void known_type_names(char *buf, size_t cap)
{
	size_t used = 0;
	enum ax_emu_type t;

	buf[0] = '\0';
	for (size_t i = 0; ax_emu_type_by_index(i, &t) == AX_OK && used < cap; i++) {
		const char *name = ax_emu_type_short_name(t);

		if (name)
			used += (size_t)snprintf(buf + used, cap - used, "%s, ", name);
	}
	for (size_t i = 0; i < NR_HOST_TYPES && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", host_types[i].name,
					 i + 1 < NR_HOST_TYPES ? ", " : "");
}

#define NUMBERING_2025 "axvmconfig-2025"

/*
 * An integer emu_type under emu_type_numbering = "axvmconfig-2025": the
 * library maps upstream's number to ours or says why it cannot.
 */
static bool map_axvmconfig_2025(struct loader *ld, const struct toml_node *v, unsigned idx,
				const char *name, uint32_t *out)
{
	const char *upstream = NULL, *why = NULL;
	enum ax_emu_type type;
	enum ax_err e = ax_emu_type_from_axvmconfig_2025(*out, &type, &upstream, &why);

	if (e == AX_OK) {
		*out = (uint32_t)type;
		return true;
	}
	if (e == AX_ERR_UNSUPPORTED)
		return fail(ld, v->pos,
			    "emu_devices[%u] \"%.*s\": emu_type 0x%x is upstream's %s "
			    "(emu_type_numbering = \"" NUMBERING_2025 "\"): %s",
			    idx, SHOW_MAX, name, *out, upstream, why);
	return fail(ld, v->pos,
		    "emu_devices[%u] \"%.*s\": emu_type 0x%x is not a device type in upstream's "
		    "2025 numbering (emu_type_numbering = \"" NUMBERING_2025 "\"; our own "
		    "types keep their names, e.g. \"lapic\")",
		    idx, SHOW_MAX, name, *out);
}

static bool get_emu_type(struct loader *ld, const struct toml_node *v, unsigned idx,
			 const char *name, uint32_t *out)
{
	char what[64];
	enum ax_emu_type type;

	snprintf(what, sizeof(what), "emu_type in emu_devices[%u]", idx);
	if (v->type == TOML_INTEGER) {
		if (!get_u32(ld, v, what, out))
			return false;
		if (ld->out->emu_numbering == AXVM_NUMBERING_AXVMCONFIG_2025)
			return map_axvmconfig_2025(ld, v, idx, name, out);
		return true; /* the seeds' numbering: the library validates the number */
	}
	if (v->type != TOML_STRING)
		return fail(ld, v->pos, "expected an integer or a string for %s, found %s", what,
			    toml_type_name(v->type));
	for (size_t i = 0; i < NR_HOST_TYPES; i++) {
		if (strcmp(v->str, host_types[i].name) == 0) {
			*out = host_types[i].type;
			return true;
		}
	}
	if (ax_emu_type_from_short_name(v->str, &type) != AX_OK) {
		char known[256];

		known_type_names(known, sizeof(known));
		return fail(ld, v->pos, "unknown emu_type \"%.*s\" in emu_devices[%u] (known: %s)",
			    SHOW_MAX, v->str, idx, known);
	}
	*out = (uint32_t)type;
	return true;
}

/* The integer fields of an entry: base_gpa, length, irq_id, emu_type. */
static bool get_emu_numbers(struct loader *ld, const struct toml_node **f, unsigned idx,
			    struct ax_emu_config *c)
{
	char what[64];

	snprintf(what, sizeof(what), "base_gpa in emu_devices[%u]", idx);
	if (!get_u64(ld, f[1], what, &c->base_gpa))
		return false;
	snprintf(what, sizeof(what), "length in emu_devices[%u]", idx);
	if (!get_u64(ld, f[2], what, &c->length))
		return false;
	snprintf(what, sizeof(what), "irq_id in emu_devices[%u]", idx);
	if (!get_u32(ld, f[3], what, &c->irq_id))
		return false;
	return get_emu_type(ld, f[4], idx, f[0]->str, &c->emu_type);
}

/* Stores cfg_list values; the library has already checked how many there are. */
static bool get_cfg_list(struct loader *ld, const struct toml_node *list, unsigned idx,
			 uint64_t *dst)
{
	unsigned k = 0;

	for (const struct toml_node *v = list->list.first; v; v = v->next, k++) {
		char what[64];

		snprintf(what, sizeof(what), "cfg_list[%u] in emu_devices[%u]", k, idx);
		if (!get_u64(ld, v, what, &dst[k]))
			return false;
	}
	return true;
}

static bool check_unique_name(struct loader *ld, const struct toml_node *entry, unsigned idx,
			      const char *name)
{
	for (unsigned j = 0; j < idx; j++)
		if (strcmp(ld->out->emu_name[j], name) == 0)
			return fail(ld, entry->pos,
				    "emu_devices[%u] \"%s\": name: already used by emu_devices[%u]",
				    idx, name, j);
	return true;
}

/* One ["name", base_gpa, length, irq_id, emu_type, [cfg...]] entry into slot idx. */
static bool load_emu_device(struct loader *ld, const struct toml_node *v, unsigned idx)
{
	struct axvm_config *out = ld->out;
	struct ax_emu_config c = { 0 };
	const struct toml_node *f[6];
	struct ax_diag diag = { 0 };
	char what[64];

	snprintf(what, sizeof(what), "emu_devices[%u]", idx);
	if (!get_tuple(ld, v, what, "[name, base_gpa, length, irq_id, emu_type, cfg_list]", f, 6))
		return false;
	snprintf(what, sizeof(what), "name in emu_devices[%u]", idx);
	if (!expect_type(ld, f[0], TOML_STRING, what) || !get_emu_numbers(ld, f, idx, &c))
		return false;
	snprintf(what, sizeof(what), "cfg_list in emu_devices[%u]", idx);
	if (!expect_type(ld, f[5], TOML_ARRAY, what))
		return false;
	/* The library reads neither name nor cfg_list beyond the length checks it does. */
	c.name = f[0]->str;
	c.cfg_list = out->emu_cfg[idx];
	c.cfg_len = f[5]->list.count;
	if (ax_emu_config_validate(&c, idx, &diag) != AX_OK)
		return fail(ld, v->pos, "%s", diag.msg);
	if (!check_unique_name(ld, v, idx, c.name) ||
	    !get_cfg_list(ld, f[5], idx, out->emu_cfg[idx]))
		return false;
	copy_string(out->emu_name[idx], AX_NAME_MAX, c.name);
	c.name = out->emu_name[idx];
	out->emu[idx] = c;
	out->emu_pos[idx] = to_pos(v->pos);
	return true;
}

static bool load_emu_devices(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_ARRAY, "emu_devices"))
		return false;
	for (const struct toml_node *e = v->list.first; e; e = e->next) {
		if (ld->out->nr_emu == AXVM_MAX_DEVICES)
			return fail(ld, e->pos, "too many emu_devices (at most %d)",
				    AXVM_MAX_DEVICES);
		if (!load_emu_device(ld, e, ld->out->nr_emu))
			return false;
		ld->out->nr_emu++;
	}
	return true;
}

static bool load_passthrough_devices(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_ARRAY, "passthrough_devices"))
		return false;
	if (v->list.count)
		return fail(
			ld, v->list.first->pos,
			"passthrough_devices are not supported by axvm: the list must be empty");
	return true;
}

static bool load_interrupt_mode(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_STRING, "interrupt_mode"))
		return false;
	if (strcmp(v->str, "no_irq") == 0)
		ld->out->interrupt_mode = AXVM_IRQ_NONE;
	else if (strcmp(v->str, "emulated") == 0)
		ld->out->interrupt_mode = AXVM_IRQ_EMULATED;
	else if (strcmp(v->str, "passthrough") == 0)
		return fail(ld, v->pos, "interrupt_mode \"passthrough\" is not supported by axvm");
	else
		return fail(ld, v->pos,
			    "expected \"no_irq\", \"emulated\" or \"passthrough\" for "
			    "interrupt_mode, found \"%.*s\"",
			    SHOW_MAX, v->str);
	return true;
}

/*
 * axvm's extension: how integer emu_types are read. load_document() reads it
 * before the other keys of [devices], so it may follow emu_devices.
 */
static bool load_emu_type_numbering(struct loader *ld, const struct toml_node *v)
{
	if (!expect_type(ld, v, TOML_STRING, "emu_type_numbering"))
		return false;
	if (strcmp(v->str, "seeds") == 0)
		ld->out->emu_numbering = AXVM_NUMBERING_SEEDS;
	else if (strcmp(v->str, NUMBERING_2025) == 0)
		ld->out->emu_numbering = AXVM_NUMBERING_AXVMCONFIG_2025;
	else
		return fail(ld, v->pos,
			    "expected \"seeds\" or \"" NUMBERING_2025 "\" for emu_type_numbering, "
			    "found \"%.*s\"",
			    SHOW_MAX, v->str);
	return true;
}

static bool numbering_already_read(struct loader *ld, const struct toml_node *v)
{
	(void)ld;
	(void)v;
	return true;
}

static const struct key_rule devices_keys[] = {
	{ "emu_type_numbering", numbering_already_read },
	{ "emu_devices", load_emu_devices },
	{ "passthrough_devices", load_passthrough_devices },
	{ "interrupt_mode", load_interrupt_mode },
	{ NULL, NULL },
};

/* --- [backends] and command-line overrides ------------------------------------------- */

/* Whether spec is "stdio", "null", "file:PATH[,OPTION...]" (config/disk_spec.h) or "tap:...";
 * else says why in `why`. */
static bool backend_spec_ok(const char *spec, char *why, size_t cap)
{
	struct axvm_disk_spec disk;

	if (strcmp(spec, "stdio") == 0 || strcmp(spec, "null") == 0)
		return true;
	/* a net backend: its name and options are checked where the tap opens (tap.c) */
	if (strncmp(spec, "tap:", 4) == 0)
		return true;
	if (strncmp(spec, "file:", 5) != 0) {
		snprintf(why, cap,
			 "expected \"stdio\", \"null\", \"file:PATH\", \"file:PATH,ro\" or "
			 "\"tap:NAME[,mac=MAC]\"");
		return false;
	}
	return axvm_disk_spec_parse(spec + 5, &disk, why, cap) == 0;
}

static int find_device(const struct axvm_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->nr_emu; i++)
		if (strcmp(cfg->emu_name[i], name) == 0)
			return (int)i;
	return -1;
}

_Static_assert(AXVM_MAX_DEVICES <= AXVM_MAX_BACKENDS, "one binding per device must fit");

static unsigned find_binding(const struct axvm_config *cfg, const char *device)
{
	unsigned i = 0;

	while (i < cfg->nr_backends && strcmp(cfg->backends[i].device, device) != 0)
		i++;
	return i;
}

const struct axvm_backend_binding *axvm_config_backend(const struct axvm_config *cfg,
						       const char *device)
{
	unsigned i = find_binding(cfg, device);

	return i < cfg->nr_backends ? &cfg->backends[i] : NULL;
}

/*
 * Adds or replaces. Only devices in emu_devices get bindings, at most one
 * each, so AXVM_MAX_DEVICES <= AXVM_MAX_BACKENDS leaves room.
 */
static void bind_backend(struct axvm_config *cfg, const char *device, const char *spec,
			 struct axvm_pos pos)
{
	unsigned i = find_binding(cfg, device);
	struct axvm_backend_binding *b = &cfg->backends[i];

	if (i == cfg->nr_backends)
		cfg->nr_backends++;
	copy_string(b->device, sizeof(b->device), device);
	copy_string(b->spec, sizeof(b->spec), spec);
	b->pos = pos;
}

static bool load_backend(struct loader *ld, const struct toml_node *v)
{
	char what[AX_NAME_MAX + 32], why[192];

	if (find_device(ld->out, v->key) < 0)
		return fail(ld, v->key_pos,
			    "backend for unknown device '%.*s' (not in emu_devices)", SHOW_MAX,
			    v->key);
	snprintf(what, sizeof(what), "the backend of '%s'", v->key);
	if (!expect_type(ld, v, TOML_STRING, what))
		return false;
	if (!backend_spec_ok(v->str, why, sizeof(why)))
		return fail(ld, v->pos, "invalid backend \"%.*s\" for '%s': %s", SHOW_MAX, v->str,
			    v->key, why);
	bind_backend(ld->out, v->key, v->str, to_pos(v->pos));
	return true;
}

int axvm_config_override_backend(struct axvm_config *cfg, const char *arg, char *err,
				 size_t err_len)
{
	const char *eq = strchr(arg, '=');
	char name[AX_NAME_MAX], why[192];
	size_t name_len = eq ? (size_t)(eq - arg) : 0;

	if (!eq || name_len == 0) {
		snprintf(err, err_len, "backend override \"%.*s\": expected NAME=SPEC", SHOW_MAX,
			 arg);
		return -1;
	}
	if (name_len < sizeof(name)) {
		memcpy(name, arg, name_len);
		name[name_len] = '\0';
	}
	if (name_len >= sizeof(name) || find_device(cfg, name) < 0) {
		snprintf(err, err_len, "backend override \"%.*s\": no device named \"%.*s\" in %s",
			 SHOW_MAX, arg, (int)(name_len < SHOW_MAX ? name_len : SHOW_MAX), arg,
			 cfg->path);
		return -1;
	}
	if (!backend_spec_ok(eq + 1, why, sizeof(why))) {
		snprintf(err, err_len, "backend override \"%.*s\": %s", SHOW_MAX, arg, why);
		return -1;
	}
	bind_backend(cfg, name, eq + 1, (struct axvm_pos){ 0, 0 });
	return 0;
}

/* --- the document ------------------------------------------------------------------------ */

static bool load_keys(struct loader *ld, const struct toml_node *table,
		      const struct key_rule *rules)
{
	for (const struct toml_node *v = table->list.first; v; v = v->next) {
		const struct key_rule *r = rules;

		while (r->key && strcmp(r->key, v->key) != 0)
			r++;
		if (!r->key)
			return fail(ld, v->key_pos, "unsupported key '%.*s' in [%s]", SHOW_MAX,
				    v->key, table->key);
		if (!r->load(ld, v))
			return false;
	}
	return true;
}

/* Key-less rules: every member of [backends] names a device. */
static bool load_backends(struct loader *ld, const struct toml_node *table)
{
	for (const struct toml_node *v = table->list.first; v; v = v->next)
		if (!load_backend(ld, v))
			return false;
	return true;
}

static bool require(struct loader *ld, const struct toml_node *root, const char *table,
		    const char *key)
{
	const struct toml_node *t = toml_get(root, table);

	if (!t)
		return fail(ld, (struct toml_pos){ 1, 1 }, "missing table [%s] (it must set %s)",
			    table, key);
	if (!toml_get(t, key))
		return fail(ld, t->key_pos, "missing required key '%s' in [%s]", key, table);
	return true;
}

static bool load_document(struct loader *ld, const struct toml_node *root)
{
	static const struct {
		const char *name;
		const struct key_rule *keys;
	} tables[] = { { "base", base_keys },
		       { "kernel", kernel_keys },
		       { "devices", devices_keys } };
	const struct toml_node *backends = NULL;

	for (const struct toml_node *t = root->list.first; t; t = t->next) {
		size_t k = 0;

		if (t->type != TOML_TABLE)
			return fail(ld, t->key_pos,
				    "unsupported key '%.*s' outside any table (expected [base], "
				    "[kernel], [devices] or [backends] first)",
				    SHOW_MAX, t->key);
		if (strcmp(t->key, "backends") == 0) {
			backends = t; /* once every device is known */
			continue;
		}
		while (k < sizeof(tables) / sizeof(tables[0]) && strcmp(tables[k].name, t->key))
			k++;
		if (k == sizeof(tables) / sizeof(tables[0]))
			return fail(ld, t->key_pos,
				    "unsupported table [%.*s] (expected [base], [kernel], "
				    "[devices] or [backends])",
				    SHOW_MAX, t->key);
		if (tables[k].keys == devices_keys && toml_get(t, "emu_type_numbering") &&
		    !load_emu_type_numbering(ld, toml_get(t, "emu_type_numbering")))
			return false;
		if (!load_keys(ld, t, tables[k].keys))
			return false;
	}
	return require(ld, root, "base", "cpu_num") && require(ld, root, "kernel", "kernel_path") &&
	       require(ld, root, "kernel", "memory_regions") &&
	       (!backends || load_backends(ld, backends));
}

int axvm_config_parse(const char *path, const char *text, size_t len, struct axvm_config *out,
		      char *err, size_t err_len)
{
	struct loader ld = { .path = path, .out = out, .err = err, .err_len = err_len };
	struct toml_error terr;
	struct toml_node *root;
	bool ok;

	memset(out, 0, sizeof(*out));
	copy_string(out->path, sizeof(out->path), path);
	out->interrupt_mode = AXVM_IRQ_EMULATED;
	root = toml_parse(text, len, &terr);
	if (!root) {
		fail(&ld, terr.pos, "%s", terr.msg);
		return -1;
	}
	ok = load_document(&ld, root);
	toml_free(root);
	return ok ? 0 : -1;
}

int axvm_config_load(const char *path, struct axvm_config *out, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* One byte more than allowed tells a file at the limit from a larger one. */
	text = malloc(CONFIG_MAX_BYTES + 1);
	if (!text) {
		snprintf(err, err_len, "%s: out of memory", path);
	} else {
		len = fread(text, 1, CONFIG_MAX_BYTES + 1, f);
		if (ferror(f))
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
		else if (len > CONFIG_MAX_BYTES)
			snprintf(err, err_len, "%s: larger than %u bytes, not a VM config", path,
				 CONFIG_MAX_BYTES);
		else
			ret = axvm_config_parse(path, text, len, out, err, err_len);
	}
	free(text);
	fclose(f);
	return ret;
}
