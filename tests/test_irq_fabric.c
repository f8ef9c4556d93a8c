/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interrupt fabric of a device set: line claims and their conflicts,
 * routing to controller inputs or to the host hooks, wired-OR level lines,
 * and the APIC-bus plumbing (fake local APIC, fake 8259, fake EOI handler).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "core/irq.h"
#include "fake_irq.h"
#include "host_posix.h"

#define KIND_LINE FAKE_LINE_KIND /* fake_irq.h: drives its claimed lines */
#define KIND_CTRL 0x1e1		 /* a controller input: cfg_list [nr_lines] */

#define MAX_LINES	      64
#define AX_ARRAY_SIZE_TEST(a) (sizeof(a) / sizeof((a)[0]))

static struct ax_range range_of(uint64_t base, uint64_t len)
{
	struct ax_range r = { base, base + len - 1 };

	return r;
}

/* --- a controller input recording what reaches it --------------------------- */
struct ctrl_dev {
	struct ax_irq_fabric *fabric;
	char name[AX_NAME_MAX];
	_Atomic int level[MAX_LINES];
	_Atomic unsigned rises[MAX_LINES];
	_Atomic unsigned falls[MAX_LINES];
};

static void ctrl_set_line(void *priv, uint32_t line, bool level)
{
	struct ctrl_dev *c = priv;

	assert_true(line < MAX_LINES);
	/* the fabric delivers changes only: never the same level twice in a row */
	assert_int_not_equal(atomic_exchange(&c->level[line], level), level);
	if (level)
		c->rises[line]++;
	else
		c->falls[line]++;
}

static void ctrl_destroy(void *priv)
{
	struct ctrl_dev *c = priv;

	ax_irq_fabric_remove_input(c->fabric, c);
	free(c);
}

static const struct ax_device_ops ctrl_ops = {
	.read = fake_dev_read,
	.write = fake_dev_write,
	.destroy = ctrl_destroy,
};

static enum ax_err ctrl_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			       struct ax_device_desc *out, struct ax_diag *diag)
{
	struct ctrl_dev *c = calloc(1, sizeof(*c));
	struct ax_irq_input in = { .name = cfg->name,
				   .nr_lines = cfg->cfg_len ? (uint32_t)cfg->cfg_list[0] : 24,
				   .set_line = ctrl_set_line,
				   .priv = c };
	enum ax_err err;

	c->fabric = env->irq_fabric;
	snprintf(c->name, sizeof(c->name), "%s", cfg->name);
	err = ax_irq_fabric_add_input(env->irq_fabric, &in, diag);
	if (err) {
		free(c);
		return err;
	}
	out->name = cfg->name;
	out->type = cfg->emu_type;
	out->bus = AX_BUS_MMIO;
	out->nr_ranges = 1;
	out->ranges[0] = range_of(cfg->base_gpa, cfg->length);
	out->ops = &ctrl_ops;
	out->priv = c;
	return AX_OK;
}

static struct ax_device_kind test_kinds[] = {
	{ 0 }, /* fake_line_kind, filled in by kinds_init */
	{ KIND_CTRL, "ctrl", ctrl_create },
};

static void kinds_init(void)
{
	test_kinds[0] = fake_line_kind;
}

/* --- fixture ------------------------------------------------------------------ */
struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_diag diag;
	uint64_t next_base;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ax_devices_params p = { 0 };

	test_host_init(&f->host, false);
	p.hooks = &f->host.hooks;
	p.max_vcpus = 2;
	kinds_init();
	p.kinds = test_kinds;
	p.nr_kinds = AX_ARRAY_SIZE_TEST(test_kinds);
	if (ax_devices_create(&p, NULL, &f->set, &f->diag) != AX_OK)
		return -1;
	f->next_base = 0x10000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
	free(f);
	return 0;
}

static void assert_msg(const struct ax_diag *diag, const char *text)
{
	if (strcmp(diag->msg, text) != 0)
		fail_msg("message \"%s\"\n   expected \"%s\"", diag->msg, text);
}

/* Adds a device of `kind`; returns its id (0 on failure, with f->diag filled). */
static uint32_t add(struct fixture *f, const char *name, uint32_t kind, uint32_t irq,
		    const uint64_t *cfg, size_t n, enum ax_err expect)
{
	struct ax_emu_config c = { .name = name,
				   .base_gpa = f->next_base,
				   .length = 0x100,
				   .irq_id = irq,
				   .emu_type = kind,
				   .cfg_list = cfg,
				   .cfg_len = n };
	uint32_t id = 0;

	f->next_base += 0x1000;
	memset(&f->diag, 0, sizeof(f->diag));
	assert_int_equal(ax_devices_add_from_config(f->set, &c, &id, &f->diag), expect);
	return expect == AX_OK ? id : 0;
}

static void *priv_of(struct fixture *f, uint32_t id)
{
	void *p = NULL;

	assert_int_equal(ax_devices_priv(f->set, id, &p), AX_OK);
	return p;
}

static struct ax_irq_lines *lines_of(struct fixture *f, uint32_t id)
{
	return fake_line_lines(f->set, id);
}

static const uint64_t LEVEL[] = { AX_IRQ_LEVEL };
static const uint64_t EDGE[] = { AX_IRQ_EDGE };

/* --- routing to the host ---------------------------------------------------- */

static void test_no_controller_lines_reach_host(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 5, LEVEL, 1, AX_OK);
	uint32_t b = add(f, "b", KIND_LINE, 9, EDGE, 1, AX_OK);

	ax_irq_line_set_level(lines_of(f, a), 5, true);
	assert_true(f->host.irq_level[5]);
	ax_irq_line_set_level(lines_of(f, a), 5, true); /* no change: no second call */
	assert_int_equal(f->host.irq_raises[5], 1);
	ax_irq_line_set_level(lines_of(f, a), 5, false);
	assert_false(f->host.irq_level[5]);
	ax_irq_line_pulse(lines_of(f, b), 9);
	assert_int_equal(f->host.irq_pulses[9], 1);
	/* lines the device did not claim are ignored (logged once) */
	unsigned logs = f->host.log_lines;

	ax_irq_line_set_level(lines_of(f, a), 6, true);
	ax_irq_line_set_level(lines_of(f, a), 6, true);
	assert_false(f->host.irq_level[6]);
	assert_int_equal(f->host.log_lines, logs + 1);
	/* a NULL handle is ignored */
	ax_irq_line_set_level(NULL, 5, true);
	ax_irq_line_pulse(NULL, 5);
}

static void test_shared_level_line_is_wired_or(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 5, LEVEL, 1, AX_OK);
	uint32_t b = add(f, "b", KIND_LINE, 5, LEVEL, 1, AX_OK);

	ax_irq_line_set_level(lines_of(f, a), 5, true);
	ax_irq_line_set_level(lines_of(f, b), 5, true);
	assert_int_equal(f->host.irq_raises[5], 1);
	ax_irq_line_set_level(lines_of(f, a), 5, false);
	assert_true(f->host.irq_level[5]);
	/* a repeated level of one claimant changes nothing: b still holds the line */
	ax_irq_line_set_level(lines_of(f, a), 5, false);
	ax_irq_line_set_level(lines_of(f, b), 5, true);
	assert_true(f->host.irq_level[5]);
	ax_irq_line_set_level(lines_of(f, b), 5, false);
	assert_false(f->host.irq_level[5]);
	ax_irq_line_set_level(lines_of(f, b), 5, false);
	ax_irq_line_set_level(lines_of(f, a), 5, true);
	assert_true(f->host.irq_level[5]);
	assert_int_equal(f->host.irq_raises[5], 2);
	ax_irq_line_set_level(lines_of(f, a), 5, false);
	assert_false(f->host.irq_level[5]);
	/* a pulse on a line someone else holds high shows no edge */
	ax_irq_line_set_level(lines_of(f, a), 5, true);
	ax_irq_line_pulse(lines_of(f, b), 5);
	assert_int_equal(f->host.irq_pulses[5], 0);
	/* removing the asserting device drops its level */
	assert_int_equal(ax_devices_remove(f->set, a, NULL), AX_OK);
	assert_false(f->host.irq_level[5]);
	ax_irq_line_set_level(lines_of(f, b), 5, true);
	assert_true(f->host.irq_level[5]);
	assert_int_equal(ax_devices_remove(f->set, b, NULL), AX_OK);
	assert_false(f->host.irq_level[5]);
}

/* --- claims ----------------------------------------------------------------- */

static void test_edge_line_has_one_claimant(void **state)
{
	struct fixture *f = *state;

	add(f, "a", KIND_LINE, 4, EDGE, 1, AX_OK);
	add(f, "b", KIND_LINE, 4, EDGE, 1, AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag, "device \"b\": irq line 4 (edge) is already claimed by device \"a\"");
	add(f, "c", KIND_LINE, 4, LEVEL, 1, AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag,
		   "device \"c\": irq line 4 is already claimed by device \"a\" as an edge line");
	add(f, "d", KIND_LINE, 7, LEVEL, 1, AX_OK);
	add(f, "e", KIND_LINE, 7, EDGE, 1, AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag, "device \"e\": irq line 7 (edge) is already claimed by device \"d\"");
	/* a failed add left nothing behind: the set has a, d */
	assert_int_equal(ax_devices_count(f->set), 2);
	static const uint64_t twice[] = { AX_IRQ_LEVEL, 5 };

	add(f, "g", KIND_LINE, 10, twice, 2, AX_ERR_INVALID_INPUT);
	assert_msg(&f->diag, "device \"g\": irq line 11: trigger 5 is neither level nor edge");
}

static void test_claims_released_with_device(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 4, EDGE, 1, AX_OK);

	assert_int_equal(ax_devices_remove(f->set, a, NULL), AX_OK);
	uint32_t b = add(f, "b", KIND_LINE, 4, EDGE, 1, AX_OK);

	ax_irq_line_pulse(lines_of(f, b), 4);
	assert_int_equal(f->host.irq_pulses[4], 1);
}

static void test_host_added_device_claims_take_part(void **state)
{
	struct fixture *f = *state;
	struct ax_device_desc d = { 0 };
	uint32_t id;

	add(f, "a", KIND_LINE, 4, EDGE, 1, AX_OK);
	d.name = "hostdev";
	d.bus = AX_BUS_PORT;
	d.nr_ranges = 1;
	d.ranges[0] = range_of(0x3f8, 8);
	d.ops = &fake_line_ops;
	d.nr_irqs = 1;
	d.irqs[0].line = 4;
	d.irqs[0].trigger = AX_IRQ_LEVEL;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag,
		   "device \"hostdev\": irq line 4 is already claimed by device \"a\" as an edge "
		   "line");
	assert_int_equal(ax_devices_count(f->set), 1);
	d.irqs[0].line = 3;
	d.removable = true;
	d.priv = calloc(1, sizeof(struct fake_line_dev));
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_OK);
	add(f, "b", KIND_LINE, 3, EDGE, 1, AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag,
		   "device \"b\": irq line 3 (edge) is already claimed by device \"hostdev\"");
	assert_int_equal(ax_devices_remove(f->set, id, NULL), AX_OK);
	add(f, "b", KIND_LINE, 3, EDGE, 1, AX_OK);
	d.nr_irqs = AX_DEVICE_MAX_IRQS + 1;
	d.name = "toomany";
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
}

/* --- controller inputs ------------------------------------------------------ */

static void test_controller_owns_its_lines(void **state)
{
	struct fixture *f = *state;
	static const uint64_t n24[] = { 24 };
	uint32_t io = add(f, "ioapic", KIND_CTRL, 0, n24, 1, AX_OK);
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	uint32_t b = add(f, "b", KIND_LINE, 4, LEVEL, 1, AX_OK);
	uint32_t e = add(f, "e", KIND_LINE, 23, EDGE, 1, AX_OK);
	struct ctrl_dev *c = priv_of(f, io);

	ax_irq_line_set_level(lines_of(f, a), 4, true);
	ax_irq_line_set_level(lines_of(f, b), 4, true);
	assert_int_equal(c->level[4], 1);
	assert_int_equal(c->rises[4], 1);
	assert_false(f->host.irq_level[4]); /* the host never sees an owned line */
	ax_irq_line_set_level(lines_of(f, a), 4, false);
	assert_int_equal(c->level[4], 1);
	ax_irq_line_set_level(lines_of(f, b), 4, false);
	assert_int_equal(c->level[4], 0);
	ax_irq_line_pulse(lines_of(f, e), 23);
	assert_int_equal(c->rises[23], 1);
	assert_int_equal(c->falls[23], 1);
	assert_int_equal(f->host.irq_pulses[23], 0);
	/* beyond the controller's lines: a config error naming it */
	add(f, "x", KIND_LINE, 30, LEVEL, 1, AX_ERR_INVALID_INPUT);
	assert_msg(&f->diag, "device \"x\": irq line 30: the set's interrupt controllers "
			     "(\"ioapic\", 24 lines) have no such line");
}

static void test_controller_after_devices(void **state)
{
	struct fixture *f = *state;
	static const uint64_t n24[] = { 24 }, n16[] = { 16 };
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	uint32_t x = add(f, "x", KIND_LINE, 30, LEVEL, 1, AX_OK);

	/* a line asserted before the controller came reaches it (and leaves the host) */
	ax_irq_line_set_level(lines_of(f, a), 4, true);
	assert_true(f->host.irq_level[4]);
	add(f, "ioapic", KIND_CTRL, 0, n24, 1, AX_ERR_INVALID_INPUT);
	assert_msg(&f->diag, "device \"ioapic\": device \"x\" claims irq line 30: the set's "
			     "interrupt controllers (\"ioapic\", 24 lines) have no such line");
	assert_int_equal(ax_devices_remove(f->set, x, NULL), AX_OK);
	uint32_t io = add(f, "ioapic", KIND_CTRL, 0, n24, 1, AX_OK);
	struct ctrl_dev *c = priv_of(f, io);

	assert_false(f->host.irq_level[4]);
	assert_int_equal(c->level[4], 1);
	/* ISA lines go to both controllers; a third owner is refused, naming both */
	uint32_t pic = add(f, "pic", KIND_CTRL, 0, n16, 1, AX_OK);
	struct ctrl_dev *p = priv_of(f, pic);

	assert_int_equal(p->level[4], 1);
	ax_irq_line_set_level(lines_of(f, a), 4, false);
	assert_int_equal(c->level[4], 0);
	assert_int_equal(p->level[4], 0);
	add(f, "third", KIND_CTRL, 0, n16, 1, AX_ERR_ADDR_IN_USE);
	assert_msg(&f->diag, "device \"third\": irq line 0 is already owned by interrupt "
			     "controllers \"ioapic\" and \"pic\" (at most two per line)");
	add(f, "y", KIND_LINE, 40, LEVEL, 1, AX_ERR_INVALID_INPUT);
	assert_msg(&f->diag, "device \"y\": irq line 40: the set's interrupt controllers "
			     "(\"ioapic\", 24 lines; \"pic\", 16 lines) have no such line");
	/* line 20 is the I/O APIC's alone */
	uint32_t z = add(f, "z", KIND_LINE, 20, LEVEL, 1, AX_OK);

	ax_irq_line_set_level(lines_of(f, z), 20, true);
	assert_int_equal(c->level[20], 1);
	assert_int_equal(p->rises[20], 0);
}

static void test_controller_created_in_config(void **state)
{
	struct test_host host;
	static const uint64_t n24[] = { 24 };
	struct ax_emu_config entries[] = {
		{ .name = "uart",
		  .base_gpa = 0x1000,
		  .length = 8,
		  .irq_id = 30,
		  .emu_type = KIND_LINE },
		{ .name = "ioapic",
		  .base_gpa = 0xfec00000,
		  .length = 0x1000,
		  .emu_type = KIND_CTRL,
		  .cfg_list = n24,
		  .cfg_len = 1 },
	};
	struct ax_vm_device_config cfg = { entries, 2 };
	struct ax_devices_params p = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct ax_devices *set = NULL;
	struct ax_diag diag = { 0 };

	(void)state;
	test_host_init(&host, false);
	kinds_init();
	p.kinds = test_kinds;
	p.nr_kinds = AX_ARRAY_SIZE_TEST(test_kinds);
	/* order-independent: the controller coming second fails, naming the device */
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_ERR_INVALID_INPUT);
	assert_msg(&diag, "emu_devices[1]: device \"ioapic\": device \"uart\" claims irq line 30: "
			  "the set's interrupt controllers (\"ioapic\", 24 lines) have no such "
			  "line");
	assert_null(set);
	entries[0].irq_id = 3;
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_OK);
	ax_devices_destroy(set);
	test_host_fini(&host);
}

/* --- the APIC bus ------------------------------------------------------------ */
struct bus_lapic {
	struct ax_apic_msg last;
	unsigned delivered, pic_changes;
	uint32_t pending_vcpu;
};

static void fl_deliver(void *priv, const struct ax_apic_msg *msg)
{
	struct bus_lapic *l = priv;

	l->last = *msg;
	l->delivered++;
}

static bool fl_pending(void *priv, uint32_t vcpu)
{
	return vcpu == ((struct bus_lapic *)priv)->pending_vcpu;
}

static enum ax_err fl_ack(void *priv, uint32_t vcpu, uint32_t *vector)
{
	(void)priv;
	*vector = 0x30 + vcpu;
	return AX_OK;
}

static void fl_pic_changed(void *priv)
{
	((struct bus_lapic *)priv)->pic_changes++;
}

struct fake_eoi {
	uint8_t last;
	unsigned eois;
};

static void fe_eoi(void *priv, uint8_t vector)
{
	struct fake_eoi *e = priv;

	e->last = vector;
	e->eois++;
}

static bool fp_intr(void *priv)
{
	(void)priv;
	return true;
}

static uint8_t fp_ack(void *priv)
{
	(void)priv;
	return 0x21;
}

static void test_apic_bus(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_fabric *fab;
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	struct bus_lapic l = { .pending_vcpu = 1 };
	struct bus_lapic l2 = { 0 };
	struct fake_eoi e1 = { 0 }, e2 = { 0 };
	struct ax_apic_ops ops = { .priv = &l,
				   .deliver = fl_deliver,
				   .pending = fl_pending,
				   .ack = fl_ack,
				   .pic_changed = fl_pic_changed };
	struct ax_apic_msg msg = { .vector = 0x41, .delivery = AX_APIC_FIXED, .dest = 1 };
	struct ax_pic_ops pic = { .priv = &e1, .intr = fp_intr, .ack = fp_ack };
	struct ax_ioapic_eoi eoi1 = { .priv = &e1, .eoi = fe_eoi };
	struct ax_ioapic_eoi eoi2 = { .priv = &e2, .eoi = fe_eoi };
	uint32_t vec = 0;

	fab = ((struct fake_line_dev *)priv_of(f, a))->fabric;
	assert_non_null(fab);
	/* nothing registered */
	assert_false(ax_devices_irq_pending(f->set, 1));
	assert_int_equal(ax_devices_irq_ack(f->set, 1, &vec), AX_ERR_NOT_FOUND);
	ax_irq_fabric_apic_deliver(fab, &msg);
	assert_int_equal(ax_irq_fabric_dropped(fab), 1);
	assert_false(ax_irq_fabric_pic_intr(fab));
	assert_int_equal(ax_irq_fabric_pic_ack(fab), 0x0f);
	ax_irq_fabric_pic_changed(fab);
	ax_irq_fabric_apic_eoi(fab, 0x41);

	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic", &ops, &f->diag), AX_OK);
	ops.priv = &l2;
	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic2", &ops, &f->diag),
			 AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag,
		   "device \"lapic2\": the set already has a local APIC, device \"lapic\"");
	assert_true(ax_devices_irq_pending(f->set, 1));
	assert_false(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 2, &vec), AX_OK);
	assert_int_equal(vec, 0x32);
	ax_irq_fabric_apic_deliver(fab, &msg);
	assert_int_equal(l.delivered, 1);
	assert_int_equal(l.last.vector, 0x41);
	assert_int_equal(ax_irq_fabric_dropped(fab), 1);
	ax_irq_fabric_pic_changed(fab);
	assert_int_equal(l.pic_changes, 1);

	assert_int_equal(ax_irq_fabric_set_pic(fab, "pic", &pic, &f->diag), AX_OK);
	assert_int_equal(ax_irq_fabric_set_pic(fab, "pic2", &pic, &f->diag), AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag, "device \"pic2\": the set already has an 8259 pair, device \"pic\"");
	assert_true(ax_irq_fabric_pic_intr(fab));
	assert_int_equal(ax_irq_fabric_pic_ack(fab), 0x21);

	assert_int_equal(ax_irq_fabric_add_ioapic_eoi(fab, &eoi1, NULL), AX_OK);
	assert_int_equal(ax_irq_fabric_add_ioapic_eoi(fab, &eoi2, NULL), AX_OK);
	ax_irq_fabric_apic_eoi(fab, 0x41);
	assert_int_equal(e1.eois, 1);
	assert_int_equal(e2.eois, 1);
	assert_int_equal(e2.last, 0x41);
	ax_irq_fabric_remove_ioapic_eoi(fab, &e1);
	ax_irq_fabric_apic_eoi(fab, 0x42);
	assert_int_equal(e1.eois, 1);
	assert_int_equal(e2.eois, 2);
	ax_irq_fabric_remove_ioapic_eoi(fab, &e2);

	/* cleared registrations are never called again; clearing a stranger is a no-op */
	ax_irq_fabric_clear_lapic(fab, &l2);
	assert_true(ax_devices_irq_pending(f->set, 1));
	ax_irq_fabric_clear_lapic(fab, &l);
	assert_false(ax_devices_irq_pending(f->set, 1));
	ax_irq_fabric_apic_deliver(fab, &msg);
	assert_int_equal(l.delivered, 1);
	assert_int_equal(ax_irq_fabric_dropped(fab), 2);
	ax_irq_fabric_clear_pic(fab, &e1);
	assert_false(ax_irq_fabric_pic_intr(fab));
	/* a new local APIC may come after the old one went */
	ops.priv = &l2;
	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic2", &ops, &f->diag), AX_OK);
	ax_irq_fabric_clear_lapic(fab, &l2);
}

/* --- the real models together: local APIC, I/O APIC, 8259 ---------------------- */
/* --- Arm: CPU interface and PPI sink -------------------------------------------- */
struct fake_cpu_if {
	uint32_t pending_vcpu;
	unsigned acks;
};

static bool fc_pending(void *priv, uint32_t vcpu)
{
	return vcpu == ((struct fake_cpu_if *)priv)->pending_vcpu;
}

static enum ax_err fc_ack(void *priv, uint32_t vcpu, uint32_t *intid)
{
	((struct fake_cpu_if *)priv)->acks++;
	*intid = 27 + vcpu;
	return AX_OK;
}

struct fake_ppi {
	uint32_t vcpu, intid;
	bool level;
	unsigned calls;
};

static void fpp_set(void *priv, uint32_t vcpu, uint32_t intid, bool level)
{
	struct fake_ppi *p = priv;

	p->vcpu = vcpu;
	p->intid = intid;
	p->level = level;
	p->calls++;
}

static void test_arm_cpu_irq(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	struct ax_irq_fabric *fab = ((struct fake_line_dev *)priv_of(f, a))->fabric;
	struct fake_cpu_if c = { .pending_vcpu = 1 }, c2 = { 0 };
	struct ax_cpu_irq_ops ops = { .priv = &c, .pending = fc_pending, .ack = fc_ack };
	struct bus_lapic l = { 0 };
	struct ax_apic_ops lops = {
		.priv = &l, .deliver = fl_deliver, .pending = fl_pending, .ack = fl_ack
	};
	uint32_t intid = 0;

	/* invalid registrations */
	struct ax_cpu_irq_ops bad = { .priv = &c };
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &bad, &f->diag),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, NULL, &ops, &f->diag),
			 AX_ERR_INVALID_INPUT);

	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &ops, &f->diag), AX_OK);
	assert_true(ax_devices_irq_pending(f->set, 1));
	assert_false(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 1, &intid), AX_OK);
	assert_int_equal(intid, 28);
	assert_int_equal(c.acks, 1);
	assert_int_equal(ax_devices_irq_ack(f->set, 1, NULL), AX_ERR_INVALID_INPUT);

	/* one per set; and never next to a local APIC, in either order */
	ops.priv = &c2;
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic2", &ops, &f->diag),
			 AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag, "device \"gic2\": the set already has an Arm CPU interrupt "
			     "controller, device \"gic\"");
	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic", &lops, &f->diag),
			 AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag, "device \"lapic\": the set already has an Arm CPU interrupt "
			     "controller, device \"gic\" (one CPU interrupt controller per set)");

	/* clearing a stranger is a no-op; clearing it stops every call */
	ax_irq_fabric_clear_cpu_irq(fab, &c2);
	assert_true(ax_devices_irq_pending(f->set, 1));
	ax_irq_fabric_clear_cpu_irq(fab, &c);
	assert_false(ax_devices_irq_pending(f->set, 1));
	assert_int_equal(ax_devices_irq_ack(f->set, 1, &intid), AX_ERR_NOT_FOUND);
	assert_int_equal(c.acks, 1);

	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic", &lops, &f->diag), AX_OK);
	ops.priv = &c;
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &ops, &f->diag),
			 AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag, "device \"gic\": the set already has a local APIC, device "
			     "\"lapic\" (one CPU interrupt controller per set)");
	ax_irq_fabric_clear_lapic(fab, &l);

	/* ack may be NULL: Unsupported */
	ops.ack = NULL;
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &ops, &f->diag), AX_OK);
	assert_true(ax_devices_irq_pending(f->set, 1));
	assert_int_equal(ax_devices_irq_ack(f->set, 1, &intid), AX_ERR_UNSUPPORTED);
	ax_irq_fabric_clear_cpu_irq(fab, &c);
}

static void test_arm_ppi_sink(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	struct ax_irq_fabric *fab = ((struct fake_line_dev *)priv_of(f, a))->fabric;
	struct fake_ppi p = { 0 }, p2 = { 0 };
	struct ax_ppi_sink sink = { .priv = &p, .set_ppi = fpp_set };
	struct ax_ppi_sink bad = { .priv = &p };

	/* no sink: dropped and counted, whatever the vcpu and intid */
	ax_irq_fabric_set_ppi(fab, 0, 27, true);
	ax_irq_fabric_set_ppi(fab, UINT32_MAX, UINT32_MAX, false);
	assert_int_equal(ax_irq_fabric_ppi_dropped(fab), 2);
	ax_irq_fabric_set_ppi(NULL, 0, 27, true);
	assert_int_equal(ax_irq_fabric_ppi_dropped(NULL), 0);

	assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic", &bad, &f->diag),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic", &sink, &f->diag), AX_OK);
	sink.priv = &p2;
	assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic2", &sink, &f->diag),
			 AX_ERR_ALREADY_EXISTS);
	assert_msg(&f->diag, "device \"gic2\": the set already has a PPI sink, device \"gic\"");
	ax_irq_fabric_set_ppi(fab, 1, 30, true);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.vcpu, 1);
	assert_int_equal(p.intid, 30);
	assert_true(p.level);
	/* vcpu bounds are the sink's business: passed through as is */
	ax_irq_fabric_set_ppi(fab, UINT32_MAX, 27, false);
	assert_int_equal(p.calls, 2);
	assert_int_equal(p.vcpu, UINT32_MAX);
	assert_false(p.level);
	assert_int_equal(ax_irq_fabric_ppi_dropped(fab), 2);

	ax_irq_fabric_clear_ppi_sink(fab, &p2);
	ax_irq_fabric_set_ppi(fab, 0, 27, true);
	assert_int_equal(p.calls, 3);
	ax_irq_fabric_clear_ppi_sink(fab, &p);
	ax_irq_fabric_set_ppi(fab, 0, 27, true);
	assert_int_equal(p.calls, 3);
	assert_int_equal(ax_irq_fabric_ppi_dropped(fab), 3);
	/* a new sink may come after the old one went */
	assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic2", &sink, &f->diag), AX_OK);
	ax_irq_fabric_clear_ppi_sink(fab, &p2);
}

static void mmio_w32(struct ax_devices *set, uint64_t addr, uint32_t v)
{
	assert_int_equal(ax_devices_handle_mmio_write(set, 0, addr, AX_WIDTH_DWORD, v), AX_OK);
}

static void port_w8(struct ax_devices *set, uint16_t port, uint8_t v)
{
	assert_int_equal(ax_devices_handle_port_write(set, 0, port, AX_WIDTH_BYTE, v), AX_OK);
}

static void test_pc_interrupt_controllers(void **state)
{
	struct fixture *f = *state;
	struct ax_emu_config ctrls[] = {
		{ .name = "lapic",
		  .base_gpa = 0xfee00000,
		  .length = 0x1000,
		  .emu_type = AX_EMU_LAPIC },
		{ .name = "ioapic",
		  .base_gpa = 0xfec00000,
		  .length = 0x1000,
		  .emu_type = AX_EMU_IOAPIC },
		{ .name = "pic", .base_gpa = 0x20, .length = 2, .emu_type = AX_EMU_PIC8259 },
	};
	uint32_t vec = 0;

	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ax_devices_add_from_config(f->set, &ctrls[i], NULL, &f->diag),
				 AX_OK);
	struct ax_irq_lines *disk = lines_of(f, add(f, "disk", KIND_LINE, 10, LEVEL, 1, AX_OK));
	struct ax_irq_lines *kbd = lines_of(f, add(f, "kbd", KIND_LINE, 1, EDGE, 1, AX_OK));

	/* what every OS does first: remap the 8259 to 0x20/0x28 and mask it */
	port_w8(f->set, 0x20, 0x11);
	port_w8(f->set, 0x21, 0x20);
	port_w8(f->set, 0x21, 0x04);
	port_w8(f->set, 0x21, 0x01);
	port_w8(f->set, 0x21, 0xff);
	mmio_w32(f->set, 0xfee000f0, 0x1ff); /* SVR: APIC enabled */
	/* I/O APIC pin 10: level, vector 0x51, physical destination APIC 0 */
	mmio_w32(f->set, 0xfec00000, 0x10 + 2 * 10);
	mmio_w32(f->set, 0xfec00010, 0x8051);
	assert_false(ax_devices_irq_pending(f->set, 0));
	ax_irq_line_set_level(disk, 10, true);
	assert_true(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 0, &vec), AX_OK);
	assert_int_equal(vec, 0x51);
	assert_false(ax_devices_irq_pending(f->set, 0));
	/* EOI with the line still high: the I/O APIC sends it again */
	mmio_w32(f->set, 0xfee000b0, 0);
	assert_true(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 0, &vec), AX_OK);
	assert_int_equal(vec, 0x51);
	ax_irq_line_set_level(disk, 10, false);
	mmio_w32(f->set, 0xfee000b0, 0);
	assert_false(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 0, &vec), AX_ERR_NOT_FOUND);
	/* the 8259 through LINT0 (ExtINT, virtual wire): unmask IRQ 1 */
	port_w8(f->set, 0x21, 0xfd);
	ax_irq_line_pulse(kbd, 1);
	assert_true(ax_devices_irq_pending(f->set, 0));
	assert_int_equal(ax_devices_irq_ack(f->set, 0, &vec), AX_OK);
	assert_int_equal(vec, 0x21);
	assert_false(ax_devices_irq_pending(f->set, 0));
	port_w8(f->set, 0x20, 0x20);
	/* the I/O APIC's pin 1 is still masked: the edge reached only the 8259 */
	assert_false(ax_devices_irq_pending(f->set, 1));
	assert_false(f->host.irq_level[10]);
	assert_int_equal(f->host.irq_pulses[1], 0);
}

/* --- threads ----------------------------------------------------------------- */
#define RACE_DEVS  4
#define RACE_ITERS 20000

struct race_arg {
	struct ax_irq_lines *lines;
	unsigned seed;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	unsigned s = a->seed;

	for (unsigned i = 0; i < RACE_ITERS; i++) {
		s = s * 1103515245u + 12345u;
		ax_irq_line_set_level(a->lines, 6, (s >> 16) & 1);
	}
	ax_irq_line_set_level(a->lines, 6, false);
	return NULL;
}

static void test_threads_share_a_level_line(void **state)
{
	struct fixture *f = *state;
	static const uint64_t n24[] = { 24 };
	uint32_t io = add(f, "ioapic", KIND_CTRL, 0, n24, 1, AX_OK);
	struct ctrl_dev *c = priv_of(f, io);
	pthread_t t[RACE_DEVS];
	struct race_arg args[RACE_DEVS];
	char name[8];

	for (unsigned i = 0; i < RACE_DEVS; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		args[i].lines = lines_of(f, add(f, name, KIND_LINE, 6, LEVEL, 1, AX_OK));
		args[i].seed = i + 1;
	}
	for (unsigned i = 0; i < RACE_DEVS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &args[i]), 0);
	for (unsigned i = 0; i < RACE_DEVS; i++)
		pthread_join(t[i], NULL);
	/* every rise was followed by a fall, in order (ctrl_set_line checks the alternation) */
	assert_int_equal(c->level[6], 0);
	assert_int_equal(c->rises[6], c->falls[6]);
}

/* Threads setting and clearing bits of one cause word (a completion raising, a vCPU acking). */
struct causes_arg {
	struct ax_irq_lines *lines;
	_Atomic uint32_t *causes;
	unsigned seed;
};

static void *causes_thread(void *p)
{
	struct causes_arg *a = p;
	unsigned s = a->seed;

	for (unsigned i = 0; i < RACE_ITERS; i++) {
		uint32_t bits;

		s = s * 1103515245u + 12345u;
		bits = 1u << ((s >> 20) & 3);
		if ((s >> 16) & 1)
			ax_irq_line_update(a->lines, 7, a->causes, bits, 0);
		else
			ax_irq_line_update(a->lines, 7, a->causes, 0, bits);
	}
	return NULL;
}

static void test_threads_update_one_cause_word(void **state)
{
	struct fixture *f = *state;
	static const uint64_t n24[] = { 24 };
	uint32_t io = add(f, "ioapic", KIND_CTRL, 0, n24, 1, AX_OK);
	struct ctrl_dev *c = priv_of(f, io);
	struct ax_irq_lines *lines = lines_of(f, add(f, "dev", KIND_LINE, 7, LEVEL, 1, AX_OK));
	_Atomic uint32_t causes = 0;
	struct causes_arg args[2] = { { lines, &causes, 1 }, { lines, &causes, 2 } };
	pthread_t t[2];

	/* a change of no bit is nothing; the word follows even for an unclaimed line */
	ax_irq_line_update(lines, 7, &causes, 0, 1);
	assert_int_equal(c->rises[7] + c->falls[7], 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, causes_thread, &args[i]), 0);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* ctrl_set_line checked the alternation; the line ends as the word says */
	assert_int_equal(c->level[7], atomic_load(&causes) != 0);
	ax_irq_line_update(lines, 7, &causes, 0, ~0u);
	assert_int_equal(atomic_load(&causes), 0);
	assert_int_equal(c->level[7], 0);
	assert_int_equal(c->rises[7], c->falls[7]);
	ax_irq_line_update(lines, 8, &causes, 2, 0);
	assert_int_equal(atomic_load(&causes), 2);
	assert_int_equal(c->level[8], 0);
	ax_irq_line_update(NULL, 7, &causes, 0, 2);
	assert_int_equal(atomic_load(&causes), 0);
}

/* A local APIC cleared while vCPUs ask for interrupts is never called after the clear. */
struct drain_lapic {
	_Atomic bool alive;
	_Atomic unsigned late_calls, calls;
};

static bool dl_pending(void *priv, uint32_t vcpu)
{
	struct drain_lapic *d = priv;

	(void)vcpu;
	if (!atomic_load(&d->alive))
		atomic_fetch_add(&d->late_calls, 1);
	atomic_fetch_add(&d->calls, 1);
	return false;
}

static enum ax_err dl_ack(void *priv, uint32_t vcpu, uint32_t *vector)
{
	(void)vector;
	dl_pending(priv, vcpu);
	return AX_ERR_NOT_FOUND;
}

static void dl_deliver(void *priv, const struct ax_apic_msg *msg)
{
	(void)msg;
	dl_pending(priv, 0);
}

struct drain_arg {
	struct ax_devices *set;
	struct ax_irq_fabric *fab;
	uint32_t vcpu;
	_Atomic bool *stop;
};

static void *drain_caller(void *p)
{
	struct drain_arg *a = p;
	uint32_t v;
	struct ax_apic_msg msg = { .vector = 0x40 };

	while (!atomic_load(a->stop)) {
		ax_devices_irq_pending(a->set, a->vcpu);
		(void)ax_devices_irq_ack(a->set, a->vcpu, &v);
		ax_irq_fabric_apic_deliver(a->fab, &msg);
	}
	return NULL;
}

static void test_threads_clear_lapic_while_called(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	struct ax_irq_fabric *fab = ((struct fake_line_dev *)priv_of(f, a))->fabric;
	static struct drain_lapic d;
	struct ax_apic_ops ops = {
		.priv = &d, .deliver = dl_deliver, .pending = dl_pending, .ack = dl_ack
	};
	_Atomic bool stop = false;
	pthread_t t[2];
	struct drain_arg args[2];

	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < 2; i++) {
		args[i] = (struct drain_arg){ f->set, fab, i, &stop };
		assert_int_equal(pthread_create(&t[i], NULL, drain_caller, &args[i]), 0);
	}
	/* the callers are running before the churn starts */
	atomic_store(&d.alive, true);
	assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic", &ops, NULL), AX_OK);
	while (atomic_load(&d.calls) < 100)
		sched_yield();
	ax_irq_fabric_clear_lapic(fab, &d);
	atomic_store(&d.alive, false);
	for (unsigned round = 0; round < 2000; round++) {
		atomic_store(&d.alive, true);
		assert_int_equal(ax_irq_fabric_set_lapic(fab, "lapic", &ops, NULL), AX_OK);
		ax_irq_fabric_clear_lapic(fab, &d);
		atomic_store(&d.alive, false);
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&d.late_calls), 0);
}

static void dl_set_ppi(void *priv, uint32_t vcpu, uint32_t intid, bool level)
{
	(void)intid;
	(void)level;
	dl_pending(priv, vcpu);
}

static void *arm_drain_caller(void *p)
{
	struct drain_arg *a = p;
	uint32_t v;

	while (!atomic_load(a->stop)) {
		ax_devices_irq_pending(a->set, a->vcpu);
		(void)ax_devices_irq_ack(a->set, a->vcpu, &v);
		ax_irq_fabric_set_ppi(a->fab, a->vcpu, 27, a->vcpu & 1);
	}
	return NULL;
}

static void test_threads_clear_cpu_irq_while_called(void **state)
{
	struct fixture *f = *state;
	uint32_t a = add(f, "a", KIND_LINE, 4, LEVEL, 1, AX_OK);
	struct ax_irq_fabric *fab = ((struct fake_line_dev *)priv_of(f, a))->fabric;
	static struct drain_lapic d;
	struct ax_cpu_irq_ops ops = { .priv = &d, .pending = dl_pending, .ack = dl_ack };
	struct ax_ppi_sink sink = { .priv = &d, .set_ppi = dl_set_ppi };
	_Atomic bool stop = false;
	pthread_t t[2];
	struct drain_arg args[2];

	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < 2; i++) {
		args[i] = (struct drain_arg){ f->set, fab, i, &stop };
		assert_int_equal(pthread_create(&t[i], NULL, arm_drain_caller, &args[i]), 0);
	}
	atomic_store(&d.alive, true);
	assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &ops, NULL), AX_OK);
	assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic", &sink, NULL), AX_OK);
	while (atomic_load(&d.calls) < 100)
		sched_yield();
	ax_irq_fabric_clear_cpu_irq(fab, &d);
	ax_irq_fabric_clear_ppi_sink(fab, &d);
	atomic_store(&d.alive, false);
	for (unsigned round = 0; round < 2000; round++) {
		atomic_store(&d.alive, true);
		assert_int_equal(ax_irq_fabric_set_cpu_irq(fab, "gic", &ops, NULL), AX_OK);
		assert_int_equal(ax_irq_fabric_set_ppi_sink(fab, "gic", &sink, NULL), AX_OK);
		ax_irq_fabric_clear_ppi_sink(fab, &d);
		ax_irq_fabric_clear_cpu_irq(fab, &d);
		atomic_store(&d.alive, false);
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&d.late_calls), 0);
	/* with no sink a PPI is dropped and counted (whether the callers above ever ran
	 * between a clear and a set depends on the machine's load: do it once here) */
	{
		uint64_t dropped = ax_irq_fabric_ppi_dropped(fab);

		ax_irq_fabric_set_ppi(fab, 0, 27, true);
		assert_int_equal(ax_irq_fabric_ppi_dropped(fab), dropped + 1);
		assert_int_equal(atomic_load(&d.late_calls), 0);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_no_controller_lines_reach_host),
		T(test_shared_level_line_is_wired_or),
		T(test_edge_line_has_one_claimant),
		T(test_claims_released_with_device),
		T(test_host_added_device_claims_take_part),
		T(test_controller_owns_its_lines),
		T(test_controller_after_devices),
		cmocka_unit_test(test_controller_created_in_config),
		T(test_apic_bus),
		T(test_pc_interrupt_controllers),
		T(test_threads_share_a_level_line),
		T(test_threads_update_one_cause_word),
		T(test_threads_clear_lapic_while_called),
		T(test_arm_cpu_irq),
		T(test_arm_ppi_sink),
		T(test_threads_clear_cpu_irq_while_called),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
