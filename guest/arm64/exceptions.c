/* SPDX-License-Identifier: Apache-2.0 */
#include "exceptions.h"

#include "console.h"
#include "cpu.h"
#include "gic.h"
#include "platform.h"
#include "psci.h"

#define VECTOR_CUR_SPX_SYNC 4u
#define VECTOR_CUR_SPX_IRQ  5u

/* ESR_EL1 (Arm ARM D17.2.40): exception class and instruction length. */
#define ESR_EC_SHIFT		 26
#define ESR_EC_MASK		 0x3fu
#define ESR_EC_DATA_ABORT_CUR_EL 0x25u
#define ESR_IL			 (1u << 25)

#define EXIT_UNEXPECTED_EXCEPTION 2u

static const char *const vector_names[16] = {
	"sync (SP_EL0)", "IRQ (SP_EL0)", "FIQ (SP_EL0)", "SError (SP_EL0)",
	"sync (SP_ELx)", "IRQ (SP_ELx)", "FIQ (SP_ELx)", "SError (SP_ELx)",
	"sync (EL0 64)", "IRQ (EL0 64)", "FIQ (EL0 64)", "SError (EL0 64)",
	"sync (EL0 32)", "IRQ (EL0 32)", "FIQ (EL0 32)", "SError (EL0 32)",
};

static volatile bool probe_armed[PLATFORM_CPUS];
static volatile unsigned probe_aborts[PLATFORM_CPUS];

void exceptions_probe_begin(void)
{
	unsigned cpu = cpu_index() % PLATFORM_CPUS;

	probe_aborts[cpu] = 0;
	probe_armed[cpu] = true;
}

unsigned exceptions_probe_end(void)
{
	unsigned cpu = cpu_index() % PLATFORM_CPUS;

	probe_armed[cpu] = false;
	return probe_aborts[cpu];
}

void exception_dispatch(uint64_t index, struct exception_frame *frame)
{
	uint64_t esr = read_sysreg(esr_el1);
	uint32_t ec = (uint32_t)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
	unsigned cpu = cpu_index() % PLATFORM_CPUS;

	if (index == VECTOR_CUR_SPX_IRQ) {
		irq_dispatch();
		return;
	}
	if (index == VECTOR_CUR_SPX_SYNC && ec == ESR_EC_DATA_ABORT_CUR_EL && probe_armed[cpu]) {
		probe_aborts[cpu]++;
		frame->elr += (esr & ESR_IL) ? 4 : 2;
		return;
	}
	console_printf("\nFAIL: unexpected exception %s on CPU %u: ESR 0x%llx ELR 0x%llx "
		       "FAR 0x%llx SPSR 0x%llx\n",
		       vector_names[index & 15], cpu, (unsigned long long)esr,
		       (unsigned long long)frame->elr, (unsigned long long)read_sysreg(far_el1),
		       (unsigned long long)frame->spsr);
	psci_system_off(EXIT_UNEXPECTED_EXCEPTION);
}
