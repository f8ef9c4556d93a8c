/* SPDX-License-Identifier: Apache-2.0 */
#include "profile.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Open addressing over RIPs; when full, further new addresses count as "other". */
#define SLOTS (1u << 16)

struct slot {
	uint64_t rip;
	uint64_t count;
};

struct axvm_profile {
	FILE *out;
	pthread_mutex_t lock; /* vCPU threads sample at 1 kHz each: a mutex costs nothing here */
	struct slot slots[SLOTS];
	uint64_t used, total, other;
};

struct axvm_profile *axvm_profile_open(const char *path, char *err, size_t err_len)
{
	struct axvm_profile *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, err_len, "--profile: out of memory");
		return NULL;
	}
	p->out = fopen(path, "w");
	if (!p->out) {
		snprintf(err, err_len, "--profile %s: %s", path, strerror(errno));
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void axvm_profile_sample(struct axvm_profile *p, uint64_t rip)
{
	uint64_t h = rip * 0x9e3779b97f4a7c15ull;

	pthread_mutex_lock(&p->lock);
	p->total++;
	for (unsigned i = 0, s = (unsigned)(h >> 48); i < SLOTS; i++, s = (s + 1) & (SLOTS - 1)) {
		if (p->slots[s].count && p->slots[s].rip == rip) {
			p->slots[s].count++;
			goto out;
		}
		if (!p->slots[s].count) {
			if (p->used == SLOTS / 2)
				break; /* keep probes short: half full is full */
			p->slots[s] = (struct slot){ .rip = rip, .count = 1 };
			p->used++;
			goto out;
		}
	}
	p->other++;
out:
	pthread_mutex_unlock(&p->lock);
}

static int by_count(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->rip < y->rip ? -1 : x->rip > y->rip;
}

/* Rewrites FILE with the counts so far, most frequent first. */
int axvm_profile_snapshot(struct axvm_profile *p, char *err, size_t err_len)
{
	struct slot *copy = malloc(sizeof(p->slots));
	uint64_t total, other;

	if (!copy) {
		snprintf(err, err_len, "--profile: out of memory");
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(copy, p->slots, sizeof(p->slots));
	total = p->total;
	other = p->other;
	pthread_mutex_unlock(&p->lock);
	qsort(copy, SLOTS, sizeof(copy[0]), by_count);

	rewind(p->out);
	if (ftruncate(fileno(p->out), 0) != 0) {
		snprintf(err, err_len, "--profile: %s", strerror(errno));
		free(copy);
		return -1;
	}
	fprintf(p->out, "# samples %llu (%llu not counted by address: table full)\n",
		(unsigned long long)total, (unsigned long long)other);
	for (unsigned i = 0; i < SLOTS && copy[i].count; i++)
		fprintf(p->out, "%llu 0x%llx\n", (unsigned long long)copy[i].count,
			(unsigned long long)copy[i].rip);
	free(copy);
	if (fflush(p->out) != 0 || ferror(p->out)) {
		snprintf(err, err_len, "--profile: writing failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int axvm_profile_close(struct axvm_profile *p, char *err, size_t err_len)
{
	int rc = axvm_profile_snapshot(p, err, err_len);

	if (fclose(p->out) != 0 && rc == 0) {
		snprintf(err, err_len, "--profile: writing failed: %s", strerror(errno));
		rc = -1;
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
	return rc;
}
