/* SPDX-License-Identifier: MIT */
/* dockerarchive.c --- docker-archive export and import (not written yet). */
#include "migrate.h"

int
mig_docker_export(struct mig_run *run)
{
	(void)run;
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "docker-archive export is not implemented yet");
	return DRYDOCK_EUNSUPPORTED;
}

int
mig_docker_import(struct mig_run *run)
{
	(void)run;
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "docker-archive import is not implemented yet");
	return DRYDOCK_EUNSUPPORTED;
}
