/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interrupt test doubles: a host kind whose devices claim lines and let the
 * test drive them, and a fake local APIC registered in a set's interrupt
 * fabric that records every message it is given.
 */
#ifndef TESTS_SUPPORT_FAKE_IRQ_H
#define TESTS_SUPPORT_FAKE_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <axdevice/axdevice.h>

#include "core/irq.h"
#include "host_posix.h"

/*
 * Kind FAKE_LINE_KIND: irq_id is the first line; cfg_list gives one
 * trigger (enum ax_irq_trigger) per line, irq_id, irq_id + 1, ...; an empty
 * cfg_list claims irq_id level-triggered. MMIO range from the config.
 */
#define FAKE_LINE_KIND 0x1e0u
extern const struct ax_device_kind fake_line_kind;

struct fake_line_dev {
	struct ax_irq_lines *lines;
	struct ax_irq_fabric *fabric;
};

/* Its ops (reads 0, writes ignored; destroy frees the struct fake_line_dev priv). */
extern const struct ax_device_ops fake_line_ops;
enum ax_err fake_dev_read(void *priv, const struct ax_access *acc, uint64_t *val);
enum ax_err fake_dev_write(void *priv, const struct ax_access *acc, uint64_t val);

/* The lines of fake line device `id`. */
struct ax_irq_lines *fake_line_lines(struct ax_devices *set, uint32_t id);

/* The set's fabric (tests see the set's internals through -Isrc). */
struct ax_irq_fabric *fake_set_fabric(struct ax_devices *set);

#define FAKE_LAPIC_LOG 4096

struct fake_lapic {
	pthread_mutex_t mu;
	struct ax_apic_msg log[FAKE_LAPIC_LOG]; /* the first FAKE_LAPIC_LOG messages */
	unsigned n;				/* messages seen */
	unsigned by_vector[256];
	unsigned pic_changes;
	struct ax_irq_fabric *fabric;
};

/* Registers `l` as the local APIC of `fabric` under `name`. */
void fake_lapic_init(struct fake_lapic *l, struct ax_irq_fabric *fabric, const char *name);
void fake_lapic_fini(struct fake_lapic *l);
/* Messages seen so far, and the last one. */
unsigned fake_lapic_count(struct fake_lapic *l);
struct ax_apic_msg fake_lapic_last(struct fake_lapic *l);

/*
 * A device set for controller tests: host kind fake_line_kind, up to
 * `max_vcpus` vCPUs, and `lapic` registered in its fabric as "lapic"
 * (lapic->fabric is the set's). The destroy takes them down in order.
 */
enum ax_err fake_irq_set_create(struct test_host *host, uint32_t max_vcpus, struct ax_devices **set,
				struct fake_lapic *lapic, struct ax_diag *diag);
void fake_irq_set_destroy(struct test_host *host, struct ax_devices *set, struct fake_lapic *lapic);

#endif
