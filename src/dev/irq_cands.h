/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Candidates for an interrupt controller's highest-priority search, shared
 * by the GICv2 and GICv3 models: a superset of the interrupts that are
 * enabled, pending and inactive, so that an acknowledge looks at what is
 * pending rather than at every id. Ids 0..31 (SGIs and PPIs) are banked
 * per CPU in one word; SPIs (32..1023) sit in a shared bitmap with a
 * summary word of its nonzero words.
 *
 * The owner sets an id's bit on every change that may make it enabled,
 * pending and inactive (where it already decides whom to notify), and the
 * search drops bits that no longer hold (irq_cands_drop): a stale bit costs
 * one look, a missing one would lose an interrupt.
 */
#ifndef AXDEVICE_SRC_DEV_IRQ_CANDS_H
#define AXDEVICE_SRC_DEV_IRQ_CANDS_H

#include <stdint.h>

#define IRQ_CANDS_PRIV	32u
#define IRQ_CANDS_IDS	1024u
#define IRQ_CANDS_WORDS ((IRQ_CANDS_IDS - IRQ_CANDS_PRIV) / 32) /* 31: the summary fits a word */

struct irq_cands_spi {
	uint32_t words[IRQ_CANDS_WORDS];
	uint32_t summary; /* bit w: words[w] may be nonzero */
};

/* `priv`: the CPU's word for ids 0..31. id < IRQ_CANDS_IDS. */
static inline void irq_cands_mark(uint32_t *priv, struct irq_cands_spi *spi, uint32_t id)
{
	if (id < IRQ_CANDS_PRIV) {
		*priv |= 1u << id;
	} else {
		uint32_t w = (id - IRQ_CANDS_PRIV) / 32;

		spi->words[w] |= 1u << (id % 32);
		spi->summary |= 1u << w;
	}
}

static inline void irq_cands_drop(uint32_t *priv, struct irq_cands_spi *spi, uint32_t id)
{
	if (id < IRQ_CANDS_PRIV) {
		*priv &= ~(1u << id);
	} else {
		uint32_t w = (id - IRQ_CANDS_PRIV) / 32;

		spi->words[w] &= ~(1u << (id % 32));
		if (!spi->words[w])
			spi->summary &= ~(1u << w);
	}
}

/* The first candidate id >= from, or IRQ_CANDS_IDS; ascending id order. */
static inline uint32_t irq_cands_next(uint32_t priv, const struct irq_cands_spi *spi, uint32_t from)
{
	if (from < IRQ_CANDS_PRIV) {
		uint32_t bits = priv & (~0u << from);

		if (bits)
			return (uint32_t)__builtin_ctz(bits);
		from = IRQ_CANDS_PRIV;
	}
	if (from >= IRQ_CANDS_IDS)
		return IRQ_CANDS_IDS;

	uint32_t w = (from - IRQ_CANDS_PRIV) / 32; /* <= 30 */
	uint32_t bits = spi->words[w] & (~0u << (from % 32));

	if (bits)
		return IRQ_CANDS_PRIV + 32 * w + (uint32_t)__builtin_ctz(bits);
	for (uint32_t rest = spi->summary & (~0u << w) & ~(1u << w); rest; rest &= rest - 1) {
		uint32_t next = (uint32_t)__builtin_ctz(rest);

		if (spi->words[next])
			return IRQ_CANDS_PRIV + 32 * next +
			       (uint32_t)__builtin_ctz(spi->words[next]);
	}
	return IRQ_CANDS_IDS;
}

/* Forget every candidate (before rebuilding them from the state). */
static inline void irq_cands_clear_spi(struct irq_cands_spi *spi)
{
	for (uint32_t w = 0; w < IRQ_CANDS_WORDS; w++)
		spi->words[w] = 0;
	spi->summary = 0;
}

#endif
