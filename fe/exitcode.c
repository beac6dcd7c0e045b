/* SPDX-License-Identifier: MIT */
/* exitcode.c --- errors as exit statuses (exitcode.h). */
#include <drydock/drydock.h>

#include "fe/exit.h"

#include "fe/exitcode.h"

int
fe_exit_for(int error)
{
	if (error == 0)
		return DRYDOCK_EXIT_OK;
	if (error == DRYDOCK_EINTR)
		return DRYDOCK_EXIT_INTERRUPTED;
	return DRYDOCK_EXIT_OPERATIONAL;
}
