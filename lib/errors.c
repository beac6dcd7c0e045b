/* SPDX-License-Identifier: MIT */
/* errors.c --- the thread-local last error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <drydock/drydock.h>

static _Thread_local struct drydock_error last;

const struct drydock_error *
drydock_error_last(void)
{
	return &last;
}

const char *
drydock_error_message(void)
{
	return last.message;
}

void
drydock_error_set(int klass, const char *fmt, ...)
{
	va_list ap;

	last.klass = klass;
	last.sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(last.message, sizeof(last.message), fmt, ap);
	va_end(ap);
}

void
drydock_error_set_os(const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	last.klass = DRYDOCK_ERRCLASS_OS;
	last.sys_errno = saved;
	va_start(ap, fmt);
	vsnprintf(last.message, sizeof(last.message), fmt, ap);
	va_end(ap);
	n = strlen(last.message);
	if (n < sizeof(last.message))
		snprintf(last.message + n, sizeof(last.message) - n, ": %s",
		    strerror(saved));
	errno = saved;
}

void
drydock_error_clear(void)
{
	last.klass = DRYDOCK_ERRCLASS_NONE;
	last.sys_errno = 0;
	last.message[0] = '\0';
}

void
drydock_error_restore(const struct drydock_error *saved)
{
	if (saved != &last)
		last = *saved;
}

const char *
drydock_error_code_name(int code)
{
	switch (code) {
	case DRYDOCK_OK:
		return "OK";
	case DRYDOCK_ERROR:
		return "ERROR";
	case DRYDOCK_ENOTFOUND:
		return "ENOTFOUND";
	case DRYDOCK_EEXISTS:
		return "EEXISTS";
	case DRYDOCK_ECORRUPT:
		return "ECORRUPT";
	case DRYDOCK_ELOCKED:
		return "ELOCKED";
	case DRYDOCK_EUNSUPPORTED:
		return "EUNSUPPORTED";
	case DRYDOCK_EUNSAFE:
		return "EUNSAFE";
	case DRYDOCK_EINTR:
		return "EINTR";
	case DRYDOCK_EAUTH:
		return "EAUTH";
	case DRYDOCK_EUSER:
		return "EUSER";
	case DRYDOCK_ITEROVER:
		return "ITEROVER";
	default:
		return "UNKNOWN";
	}
}

const char *
drydock_version(void)
{
	return DRYDOCK_VERSION;
}
