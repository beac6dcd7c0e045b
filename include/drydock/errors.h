/* SPDX-License-Identifier: MIT */
/*
 * errors.h --- return codes and the thread-local last error of libdrydock.
 *
 * Every function that can fail returns 0 or a negative code from enum
 * drydock_error_code and records a message that drydock_error_last() reads.
 */
#ifndef DRYDOCK_ERRORS_H
#define DRYDOCK_ERRORS_H

#include <drydock/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum drydock_error_code {
	DRYDOCK_OK = 0,
	DRYDOCK_ERROR = -1,        /* generic; details in the message */
	DRYDOCK_ENOTFOUND = -3,    /* no such object */
	DRYDOCK_EEXISTS = -4,      /* the object exists already */
	DRYDOCK_ECORRUPT = -5,     /* unparsable, or digest mismatch */
	DRYDOCK_ELOCKED = -6,      /* another run holds the store lock */
	DRYDOCK_EUNSUPPORTED = -7, /* valid but not handled (algorithm...) */
	DRYDOCK_EUNSAFE = -8,      /* symlink, '..' or other escape refused */
	DRYDOCK_EINTR = -9,        /* interrupted by a signal */
	DRYDOCK_EAUTH = -10,       /* a registry refused the credentials */
	DRYDOCK_EUSER = -30,       /* reserved for callbacks */
	DRYDOCK_ITEROVER = -31     /* end of a pull iteration */
};

enum drydock_error_class {
	DRYDOCK_ERRCLASS_NONE = 0,
	DRYDOCK_ERRCLASS_OS,       /* a system call failed; errno saved */
	DRYDOCK_ERRCLASS_INVALID,  /* bad argument or input syntax */
	DRYDOCK_ERRCLASS_STORE,    /* storage layout problem */
	DRYDOCK_ERRCLASS_DIGEST,   /* digest syntax or mismatch */
	DRYDOCK_ERRCLASS_MANIFEST, /* manifest JSON */
	DRYDOCK_ERRCLASS_JSON,     /* jansson */
	DRYDOCK_ERRCLASS_SQLITE,   /* sqlite */
	DRYDOCK_ERRCLASS_SSL,      /* OpenSSL */
	DRYDOCK_ERRCLASS_ARCHIVE,  /* libarchive */
	DRYDOCK_ERRCLASS_CONFIG,   /* registry config.yml */
	DRYDOCK_ERRCLASS_CALLBACK, /* a callback returned an error */
	DRYDOCK_ERRCLASS_HTTP,     /* libcurl, or a registry's answer */
	DRYDOCK_ERRCLASS_AUTH      /* credentials, helpers, tokens */
};

#define DRYDOCK_ERROR_MSGMAX 1024

struct drydock_error {
	int klass;                          /* enum drydock_error_class */
	int sys_errno;                      /* errno at the time, or 0 */
	char message[DRYDOCK_ERROR_MSGMAX]; /* lower case, no full stop */
};

/*
 * The last error recorded on this thread.
 *
 * @return a borrowed pointer, valid until the next libdrydock call on this
 * thread; never NULL (message is "" when nothing failed).
 */
DRYDOCK_EXTERN const struct drydock_error *drydock_error_last(void);

/* The message of the last error, never NULL. */
DRYDOCK_EXTERN const char *drydock_error_message(void);

/*
 * Record an error: printf-style message.  errno is not saved.
 */
DRYDOCK_EXTERN void drydock_error_set(int klass, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Record an OS error: the message gets ": strerror(errno)" appended and
 * errno is saved in sys_errno.  errno is preserved across the call.
 */
DRYDOCK_EXTERN void drydock_error_set_os(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Forget the last error. */
DRYDOCK_EXTERN void drydock_error_clear(void);

/*
 * Put back an error saved by copying *drydock_error_last(), after cleanup
 * that may have set another one (libgit2's git_error_restore).  Class and
 * sys_errno come back with the message, so callers can still tell a full
 * disk from bad input.
 */
DRYDOCK_EXTERN void drydock_error_restore(const struct drydock_error *saved);

/* Name of an error code ("ENOTFOUND"), for reports. */
DRYDOCK_EXTERN const char *drydock_error_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif
