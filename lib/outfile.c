/* SPDX-License-Identifier: MIT */
/*
 * outfile.c --- report and metrics files written whole: a temporary file
 * beside the target, renamed into place (outfile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include <drydock/outfile.h>

static void
release(struct drydock_outfile *of)
{
	free(of->dest);
	free(of->tmp);
	of->dest = of->tmp = NULL;
	of->f = NULL;
}

int
drydock_outfile_open(struct drydock_outfile *of, const char *dest)
{
	struct stat sb;
	mode_t um;
	size_t n;
	int fd;

	memset(of, 0, sizeof(*of));
	if ((of->dest = strdup(dest)) == NULL)
		goto oom;
	if (strcmp(dest, "-") == 0) {
		of->f = stdout;
		return 0;
	}
	if (stat(dest, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* a FIFO, /dev/stdout and the like: written as it is */
		if ((of->f = fopen(dest, "w")) == NULL)
			goto fail;
		return 0;
	}
	n = strlen(dest) + 32;
	if ((of->tmp = malloc(n)) == NULL)
		goto oom;
	snprintf(of->tmp, n, "%s.tmp.XXXXXX", dest);
	if ((fd = mkstemp(of->tmp)) < 0)
		goto fail;
	/* mkstemp makes it 0600: give it fopen's mode, 0666 less the umask */
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if ((of->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(of->tmp);
		goto fail;
	}
	return 0;
fail:
	drydock_error_set_os("cannot write '%s'", dest);
	release(of);
	return DRYDOCK_ERROR;
oom:
	drydock_error_set_os("out of memory");
	release(of);
	return DRYDOCK_ERROR;
}

int
drydock_outfile_check(const char *dest)
{
	struct stat sb;
	char *tmp = NULL;
	size_t n;
	int fd;

	if (strcmp(dest, "-") == 0)
		return 0;
	if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (stat(dest, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		/* written as it is; opening a FIFO would wait for a reader */
		if (access(dest, W_OK) != 0)
			goto fail;
		return 0;
	}
	n = strlen(dest) + 32;
	if ((tmp = malloc(n)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	snprintf(tmp, n, "%s.tmp.XXXXXX", dest);
	if ((fd = mkstemp(tmp)) < 0)
		goto fail;
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
fail:
	drydock_error_set_os("cannot write '%s'", dest);
	free(tmp);
	return DRYDOCK_ERROR;
}

int
drydock_outfile_commit(struct drydock_outfile *of)
{
	int bad, saved;

	if (of->f == NULL) {
		drydock_error_set(
		    DRYDOCK_ERRCLASS_INVALID, "output file not open");
		return DRYDOCK_ERROR;
	}
	bad = ferror(of->f) != 0;
	if (of->f == stdout)
		bad |= fflush(stdout) != 0;
	else
		bad |= fclose(of->f) != 0;
	of->f = NULL;
	if (!bad && of->tmp != NULL && rename(of->tmp, of->dest) != 0)
		bad = 1;
	if (bad) {
		saved = errno;
		if (of->tmp != NULL)
			unlink(of->tmp);
		errno = saved;
		drydock_error_set_os("cannot write '%s'", of->dest);
		release(of);
		return DRYDOCK_ERROR;
	}
	release(of);
	return 0;
}

void
drydock_outfile_abort(struct drydock_outfile *of)
{
	if (of == NULL)
		return;
	if (of->f != NULL && of->f != stdout)
		fclose(of->f);
	if (of->tmp != NULL)
		unlink(of->tmp);
	release(of);
}
