/* SPDX-License-Identifier: MIT */
/* drydock.h --- the whole public API of libdrydock. */
#ifndef DRYDOCK_H
#define DRYDOCK_H

#define DRYDOCK_VERSION "0.1.0"

#include <drydock/common.h>
#include <drydock/archive.h>
#include <drydock/blobcopy.h>
#include <drydock/bytes.h>
#include <drydock/clock.h>
#include <drydock/digest.h>
#include <drydock/digestmap.h>
#include <drydock/duration.h>
#include <drydock/errors.h>
#include <drydock/http.h>
#include <drydock/journal.h>
#include <drydock/link.h>
#include <drydock/manifest.h>
#include <drydock/ocilayout.h>
#include <drydock/pathcheck.h>
#include <drydock/quarantine.h>
#include <drydock/reference.h>
#include <drydock/regauth.h>
#include <drydock/regconfig.h>
#include <drydock/regwrite.h>
#include <drydock/s3.h>
#include <drydock/state.h>
#include <drydock/store.h>
#include <drydock/walk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string. */
DRYDOCK_EXTERN const char *drydock_version(void);

#ifdef __cplusplus
}
#endif

#endif
