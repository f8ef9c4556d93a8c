/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the vhost-user backend lands: says so and fails. */
#include "vhost_user_blk.h"

#include <stdio.h>

int vhost_user_blk_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "axvm: vhost-user-blk: not implemented yet\n");
	return 120;
}
