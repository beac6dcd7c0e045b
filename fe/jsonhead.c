/* SPDX-License-Identifier: MIT */
/* jsonhead.c --- the head of every JSON report (jsonhead.h). */
#include <stdio.h>
#include <time.h>

#include <drydock/drydock.h>

#include "fe/jsonhead.h"

/* "2026-12-06T23:40:38.123Z" */
static json_t *
rfc3339(int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[96];

	if (gmtime_r(&s, &tm) == NULL)
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ns % 1000000000 / 1000000));
	return json_string(buf);
}

void
fe_json_head(
    json_t *root, const char *tool, int schema_version, int64_t started_ns)
{
	json_object_set_new(
	    root, "schema_version", json_integer(schema_version));
	json_object_set_new(root, "tool", json_string(tool));
	json_object_set_new(root, "version", json_string(DRYDOCK_VERSION));
	json_object_set_new(root, "started", rfc3339(started_ns));
	json_object_set_new(
	    root, "finished", rfc3339(drydock_clock_realtime_ns()));
}
