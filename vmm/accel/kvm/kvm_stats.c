/* SPDX-License-Identifier: Apache-2.0 */
#include "accel/kvm/kvm_stats.h"

#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Reads the whole stats file: header, descriptors and data (a few KiB). */
static uint8_t *read_all(int fd, size_t *len)
{
	size_t cap = 16384, used = 0;
	uint8_t *buf = malloc(cap);

	while (buf) {
		ssize_t n = pread(fd, buf + used, cap - used, (off_t)used);

		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == cap) {
			uint8_t *bigger = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	*len = used;
	return buf;
}

int axvm_kvm_stats_print(FILE *out, int vcpu_fd, const char *prefix)
{
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	struct kvm_stats_header h;
	uint8_t *buf;
	size_t len = 0;

	if (fd < 0)
		return -1;
	buf = read_all(fd, &len);
	close(fd);
	if (!buf || len < sizeof(h)) {
		free(buf);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));

	size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;

	fputs(prefix, out);
	for (uint32_t i = 0; i < h.num_desc; i++) {
		size_t at = (size_t)h.desc_offset + i * desc_size;
		struct kvm_stats_desc d;
		uint64_t sum = 0, v;

		if (at + desc_size > len)
			break;
		memcpy(&d, buf + at, sizeof(d));

		const char *name = (const char *)buf + at + sizeof(d);
		size_t data = (size_t)h.data_offset + d.offset;

		if ((d.flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_INSTANT ||
		    data + 8ull * d.size > len)
			continue; /* a current value, not a count; or a malformed entry */
		for (uint16_t k = 0; k < d.size; k++) {
			memcpy(&v, buf + data + 8ull * k, sizeof(v));
			sum += v;
		}
		if (sum)
			fprintf(out, " %.*s=%llu", (int)strnlen(name, h.name_size), name,
				(unsigned long long)sum);
	}
	fputc('\n', out);
	free(buf);
	return 0;
}
