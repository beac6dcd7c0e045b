/* SPDX-License-Identifier: MIT */
/*
 * outfile.c --- output files written whole: a temporary file beside the
 * target, renamed into place; what is not a regular file is written as it
 * is or refused, never replaced (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drydock/errors.h>
#include "fe/outfile.h"

static void
release(struct drydock_outfile *of)
{
	free(of->dest);
	free(of->tmp);
	free(of->target);
	of->dest = of->tmp = of->target = NULL;
	of->f = NULL;
}

static int
refuse(const char *dest, const char *what)
{
	drydock_error_set(DRYDOCK_ERRCLASS_INVALID,
	    "'%s' is %s: give a file, a FIFO, a character device or -", dest,
	    what);
	return DRYDOCK_EUNSUPPORTED;
}

/*
 * The kind of dest and, for a regular file, the name the temporary file
 * replaces: a symlink's target, so that the link stays a link.
 */
static int
classify(int *kind, char **target, const char *dest)
{
	struct stat sb, lsb, out;
	int is_link;

	*kind = DRYDOCK_OUTFILE_REPLACE;
	*target = NULL;
	if (strcmp(dest, "-") == 0) {
		*kind = DRYDOCK_OUTFILE_STDOUT;
		return 0;
	}
	is_link = lstat(dest, &lsb) == 0 && S_ISLNK(lsb.st_mode);
	if (stat(dest, &sb) < 0) {
		if (errno != ENOENT) {
			drydock_error_set_os("cannot stat '%s'", dest);
			return DRYDOCK_ERROR;
		}
		if (is_link)
			return refuse(dest, "a symlink to nothing");
		goto replace;
	}
	/* /dev/stdout and its kin, whatever stdout is (pipe, tty, file) */
	if (is_link && fstat(STDOUT_FILENO, &out) == 0 &&
	    out.st_dev == sb.st_dev && out.st_ino == sb.st_ino) {
		*kind = DRYDOCK_OUTFILE_STDOUT;
		return 0;
	}
	if (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode)) {
		*kind = DRYDOCK_OUTFILE_DIRECT;
		return 0;
	}
	if (S_ISDIR(sb.st_mode))
		return refuse(dest, "a directory");
	if (S_ISBLK(sb.st_mode))
		return refuse(dest, "a block device");
	if (!S_ISREG(sb.st_mode))
		return refuse(dest, "a special file");
	if (is_link) {
		if ((*target = realpath(dest, NULL)) == NULL) {
			drydock_error_set_os("cannot resolve '%s'", dest);
			return DRYDOCK_ERROR;
		}
		return 0;
	}
replace:
	if ((*target = strdup(dest)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	return 0;
}

/*
 * Prove dest writable without leaving a trace: a FIFO or a device by its
 * permissions (opening a FIFO now would wait for its reader), a file by a
 * temporary file made beside target and removed at once.
 */
static int
probe(int kind, const char *dest, const char *target)
{
	char *tmp = NULL;
	size_t n;
	int fd;

	if (kind == DRYDOCK_OUTFILE_STDOUT)
		return 0;
	if (kind == DRYDOCK_OUTFILE_DIRECT) {
		if (access(dest, W_OK) != 0)
			goto fail;
		return 0;
	}
	n = strlen(target) + 32;
	if ((tmp = malloc(n)) == NULL)
		goto fail;
	snprintf(tmp, n, "%s.tmp.XXXXXX", target);
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
drydock_outfile_check(int *kind_out, const char *dest)
{
	char *target = NULL;
	int error, kind;

	if ((error = classify(&kind, &target, dest)) == 0)
		error = probe(kind, dest, target);
	free(target);
	if (error == 0 && kind_out != NULL)
		*kind_out = kind;
	return error;
}

/* A FIFO or a device, opened as it is: never created nor truncated. */
static int
open_direct(struct drydock_outfile *of)
{
	struct stat sb;
	int fd;

	/* a FIFO blocks here until a reader opens it, as it should */
	if ((fd = open(of->dest, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) < 0 ||
	    !(S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode))) {
		close(fd);
		errno = EEXIST; /* replaced since it was looked at */
		return -1;
	}
	if ((of->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

static int
open_temp(struct drydock_outfile *of)
{
	mode_t um;
	size_t n;
	int fd;

	n = strlen(of->target) + 32;
	if ((of->tmp = malloc(n)) == NULL)
		return -1;
	snprintf(of->tmp, n, "%s.tmp.XXXXXX", of->target);
	if ((fd = mkstemp(of->tmp)) < 0) {
		free(of->tmp);
		of->tmp = NULL;
		return -1;
	}
	/* mkstemp makes it 0600: give it fopen's mode, 0666 less the umask */
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if ((of->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(of->tmp);
		return -1;
	}
	return 0;
}

int
drydock_outfile_open_ext(
    struct drydock_outfile *of, const char *dest, unsigned flags)
{
	int kind, error;

	memset(of, 0, sizeof(*of));
	of->flags = flags;
	if ((of->dest = strdup(dest)) == NULL) {
		drydock_error_set_os("out of memory");
		return DRYDOCK_ERROR;
	}
	if ((error = classify(&kind, &of->target, dest)) < 0) {
		release(of);
		return error;
	}
	if (kind == DRYDOCK_OUTFILE_STDOUT) {
		of->f = stdout;
		return 0;
	}
	if ((kind == DRYDOCK_OUTFILE_DIRECT ? open_direct(of) : open_temp(of)) <
	    0) {
		drydock_error_set_os("cannot write '%s'", dest);
		release(of);
		return DRYDOCK_ERROR;
	}
	return 0;
}

int
drydock_outfile_open(struct drydock_outfile *of, const char *dest)
{
	return drydock_outfile_open_ext(of, dest, 0);
}

/* Flush, sync when asked, close: 0, or -1 with errno of the first error. */
static int
finish(struct drydock_outfile *of)
{
	int bad = 0, saved = 0;

	if (ferror(of->f)) {
		bad = 1;
		saved = errno != 0 ? errno : EIO; /* an earlier write's */
	}
	if (fflush(of->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (of->f == stdout)
		goto out;
	if (!bad && of->tmp != NULL && (of->flags & DRYDOCK_OUTFILE_SYNC) &&
	    fsync(fileno(of->f)) != 0) {
		bad = 1;
		saved = errno;
	}
	if (fclose(of->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
out:
	of->f = NULL;
	errno = saved;
	return bad ? -1 : 0;
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
	bad = finish(of) != 0;
	if (!bad && of->tmp != NULL && rename(of->tmp, of->target) != 0)
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
