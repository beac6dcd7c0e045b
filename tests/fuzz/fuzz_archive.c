/* SPDX-License-Identifier: MIT */
/*
 * fuzz_archive.c --- libFuzzer target for the untrusted tar reader: no
 * crash, leak or undefined behaviour, and every name it hands out is
 * confined (relative, no "", "." or ".." component), links included.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drydock/archive.h>
#include <drydock/errors.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
confined(const char *p)
{
	const char *s;
	size_t n;

	if (p == NULL || *p == '\0' || *p == '/')
		abort();
	for (;;) {
		s = strchr(p, '/');
		n = s != NULL ? (size_t)(s - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		if (s == NULL)
			return;
		p = s + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drydock_archive_reader *r = NULL;
	struct drydock_archive_entry e;
	const void *buf;
	char *all = NULL;
	size_t len;
	int fd, n = 0;

	fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (drydock_archive_reader_open_fd(&r, fd, DRYDOCK_ARCHIVE_LINKS) ==
	    0) {
		while (drydock_archive_reader_next(&e, r) == 0 && n++ < 1000) {
			confined(e.path);
			if (e.type == DRYDOCK_ARCHIVE_SYMLINK ||
			    e.type == DRYDOCK_ARCHIVE_HARDLINK)
				confined(e.target);
			if (n % 2 == 0) {
				if (drydock_archive_reader_read_all(
				        &all, &len, r, 1 << 16) == 0)
					free(all);
				all = NULL;
			} else {
				while (drydock_archive_reader_data(
				           &buf, &len, r) == 0 &&
				    len > 0)
					;
			}
		}
		drydock_archive_reader_free(r);
	}
	close(fd);
	return 0;
}
