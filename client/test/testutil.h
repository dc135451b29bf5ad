/*-------------------------------------------------------------------------
 *
 * testutil.h
 *	  Helpers shared by the cmocka tests: scratch directories, files, and
 *	  capturing what the client logs.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/testutil.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_TESTUTIL_H
#define MIGRATE_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

/* a fresh scratch directory under $TMPDIR (removed by tu_rmdir) */
static inline char *
tu_mkdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char	   *p = xasprintf("%s/migrate-test.XXXXXX", base);

	if (mkdtemp(p) == NULL)
	{
		perror("mkdtemp");
		exit(2);
	}
	return p;
}

static inline void
tu_write(const char *dir, const char *name, const char *content)
{
	char	   *p = path_join(dir, name);
	FILE	   *f;

	/* create parent directories of nested names (Flyway trees) */
	{
		char	   *slash = strrchr(p, '/');

		if (slash && strchr(name, '/'))
		{
			char	   *parent = xstrndup(p, (size_t) (slash - p));

			mkdir(parent, 0755);
			free(parent);
		}
	}
	f = fopen(p, "wb");
	if (f == NULL)
	{
		perror(p);
		exit(2);
	}
	fwrite(content, 1, strlen(content), f);
	fclose(f);
	free(p);
}

static inline void
tu_write_bytes(const char *dir, const char *name, const char *content, size_t len)
{
	char	   *p = path_join(dir, name);
	FILE	   *f = fopen(p, "wb");

	fwrite(content, 1, len, f);
	fclose(f);
	free(p);
}

static inline void
tu_remove(const char *dir, const char *name)
{
	char	   *p = path_join(dir, name);

	unlink(p);
	free(p);
}

static inline void
tu_rmdir(char *dir)
{
	char	   *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(dir);
}

/* ---- log capture ---- */
static char *tu_log_buf;
static size_t tu_log_len;
static FILE *tu_log_stream;

static inline void
tu_log_start(void)
{
	tu_log_stream = open_memstream(&tu_log_buf, &tu_log_len);
	log_set_stream(tu_log_stream);
}

/* stop capturing; returns what was logged (caller frees) */
static inline char *
tu_log_stop(void)
{
	char	   *s;

	fflush(tu_log_stream);
	fclose(tu_log_stream);
	log_set_stream(NULL);
	s = tu_log_buf;
	tu_log_buf = NULL;
	return s;
}

#define assert_contains(hay, needle) \
	do { \
		if (strstr((hay), (needle)) == NULL) \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

#endif							/* MIGRATE_TESTUTIL_H */
