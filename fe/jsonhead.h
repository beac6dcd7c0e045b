/* SPDX-License-Identifier: MIT */
/*
 * jsonhead.h --- the fields every tool's JSON report starts with, written
 * once: schema_version, tool, version, and when the run started and
 * finished (RFC 3339, UTC, milliseconds).  docs/reports.md says what a
 * schema_version bump means; docs/schemas/ holds each report's schema.
 */
#ifndef FE_JSONHEAD_H
#define FE_JSONHEAD_H

#include <stdint.h>

#include <jansson.h>

/* started_ns: CLOCK_REALTIME when the run began; finished is now. */
void fe_json_head(
    json_t *root, const char *tool, int schema_version, int64_t started_ns);

#endif
