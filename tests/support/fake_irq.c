/* SPDX-License-Identifier: Apache-2.0 */
/* Interrupt test doubles: see fake_irq.h. */
#include "fake_irq.h"

#include <stdlib.h>
#include <string.h>

#include "core/set.h"

enum ax_err fake_dev_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)priv;
	(void)acc;
	*val = 0;
	return AX_OK;
}

enum ax_err fake_dev_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	(void)priv;
	(void)acc;
	(void)val;
	return AX_OK;
}

static void fl_destroy(void *priv)
{
	free(priv);
}

const struct ax_device_ops fake_line_ops = {
	.read = fake_dev_read,
	.write = fake_dev_write,
	.destroy = fl_destroy,
};

static enum ax_err fake_line_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				    struct ax_device_desc *out, struct ax_diag *diag)
{
	struct fake_line_dev *d = calloc(1, sizeof(*d));

	(void)diag;
	if (!d)
		return AX_ERR_NO_MEMORY;
	d->lines = env->irq_lines;
	d->fabric = env->irq_fabric;
	out->name = cfg->name;
	out->type = cfg->emu_type;
	out->bus = AX_BUS_MMIO;
	out->removable = true;
	out->nr_ranges = 1;
	out->ranges[0].base = cfg->base_gpa;
	out->ranges[0].last = cfg->base_gpa + cfg->length - 1;
	out->ops = &fake_line_ops;
	out->priv = d;
	out->nr_irqs = cfg->cfg_len ? (uint32_t)cfg->cfg_len : 1;
	for (uint32_t i = 0; i < out->nr_irqs && i < AX_DEVICE_MAX_IRQS; i++) {
		out->irqs[i].line = cfg->irq_id + i;
		out->irqs[i].trigger =
			cfg->cfg_len ? (enum ax_irq_trigger)cfg->cfg_list[i] : AX_IRQ_LEVEL;
	}
	return AX_OK;
}

const struct ax_device_kind fake_line_kind = { FAKE_LINE_KIND, "fake-line", fake_line_create };

struct ax_irq_lines *fake_line_lines(struct ax_devices *set, uint32_t id)
{
	void *priv = NULL;

	if (ax_devices_priv(set, id, &priv) != AX_OK || !priv)
		return NULL;
	return ((struct fake_line_dev *)priv)->lines;
}

struct ax_irq_fabric *fake_set_fabric(struct ax_devices *set)
{
	return set->irq_fabric;
}

static void lapic_deliver(void *priv, const struct ax_apic_msg *msg)
{
	struct fake_lapic *l = priv;

	pthread_mutex_lock(&l->mu);
	if (l->n < FAKE_LAPIC_LOG)
		l->log[l->n] = *msg;
	l->n++;
	l->by_vector[msg->vector]++;
	pthread_mutex_unlock(&l->mu);
}

static bool lapic_pending(void *priv, uint32_t vcpu)
{
	(void)priv;
	(void)vcpu;
	return false;
}

static enum ax_err lapic_ack(void *priv, uint32_t vcpu, uint32_t *vector)
{
	(void)priv;
	(void)vcpu;
	(void)vector;
	return AX_ERR_NOT_FOUND;
}

static void lapic_pic_changed(void *priv)
{
	struct fake_lapic *l = priv;

	pthread_mutex_lock(&l->mu);
	l->pic_changes++;
	pthread_mutex_unlock(&l->mu);
}

void fake_lapic_init(struct fake_lapic *l, struct ax_irq_fabric *fabric, const char *name)
{
	struct ax_apic_ops ops = { .priv = l,
				   .deliver = lapic_deliver,
				   .pending = lapic_pending,
				   .ack = lapic_ack,
				   .pic_changed = lapic_pic_changed };

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	l->fabric = fabric;
	if (ax_irq_fabric_set_lapic(fabric, name, &ops, NULL) != AX_OK)
		abort();
}

void fake_lapic_fini(struct fake_lapic *l)
{
	ax_irq_fabric_clear_lapic(l->fabric, l);
	pthread_mutex_destroy(&l->mu);
}

unsigned fake_lapic_count(struct fake_lapic *l)
{
	unsigned n;

	pthread_mutex_lock(&l->mu);
	n = l->n;
	pthread_mutex_unlock(&l->mu);
	return n;
}

struct ax_apic_msg fake_lapic_last(struct fake_lapic *l)
{
	struct ax_apic_msg m = { 0 };

	pthread_mutex_lock(&l->mu);
	if (l->n && l->n <= FAKE_LAPIC_LOG)
		m = l->log[l->n - 1];
	pthread_mutex_unlock(&l->mu);
	return m;
}

enum ax_err fake_irq_set_create(struct test_host *host, uint32_t max_vcpus, struct ax_devices **set,
				struct fake_lapic *lapic, struct ax_diag *diag)
{
	static const struct ax_device_kind kinds[] = {
		{ FAKE_LINE_KIND, "fake-line", fake_line_create },
	};
	struct ax_devices_params p = { 0 };
	enum ax_err err;

	test_host_init(host, false);
	p.hooks = &host->hooks;
	p.max_vcpus = max_vcpus;
	p.kinds = kinds;
	p.nr_kinds = 1;
	err = ax_devices_create(&p, NULL, set, diag);
	if (err == AX_OK)
		fake_lapic_init(lapic, fake_set_fabric(*set), "lapic");
	return err;
}

void fake_irq_set_destroy(struct test_host *host, struct ax_devices *set, struct fake_lapic *lapic)
{
	fake_lapic_fini(lapic);
	ax_devices_destroy(set);
	test_host_fini(host);
}
