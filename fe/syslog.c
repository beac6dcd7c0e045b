/* SPDX-License-Identifier: MIT */
/*
 * syslog.c --- the run's log line (syslog.h).  Written to the /dev/log
 * datagram socket in the format syslog(3) uses (RFC 3164: "<PRI>Mmm dd
 * hh:mm:ss TAG[PID]: message"), which syslogd and systemd-journald read
 * alike.  Not syslog(3) itself: the test build sends to a socket the test
 * listens on (DRYDOCK_TEST_SYSLOG), and a registry host without a log
 * daemon (a container) loses the line quietly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fe/err.h"
#include "fe/syslog.h"

static const char *
log_socket(void)
{
#ifdef DRYDOCK_TEST_HOOKS
	const char *p = getenv("DRYDOCK_TEST_SYSLOG");

	if (p != NULL && *p != '\0')
		return p;
#endif
	return "/dev/log";
}

void
fe_syslog_run(int warning, const char *fmt, ...)
{
	struct sockaddr_un sa;
	char msg[1024], line[1200], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "<%d>%s %s[%ld]: %s",
	    LOG_DAEMON | (warning ? LOG_WARNING : LOG_INFO), stamp,
	    fe_progname(), (long)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(log_socket()) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, log_socket());
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	(void)sendto(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}
