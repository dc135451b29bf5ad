/*-------------------------------------------------------------------------
 *
 * test_fuzz_replay.c
 *	  Replays the fuzzing seed corpora and every saved crash input
 *	  (client/fuzz/corpus/<target>/, client/fuzz/regressions/<target>/)
 *	  through the same targets and property checks the libFuzzer
 *	  harnesses use, so that a bug found once by fuzzing stays fixed.
 *
 * The inputs are found in $MIGRATE_FUZZ_DIR, or in ../fuzz next to the
 * directory holding this program (client/test/ in the source tree).  A
 * missing or empty corpus is a failure, not a skip.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_fuzz_replay.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fuzz/fuzz_targets.c"

static char *fuzz_root;
static const char *current_input;

static void
fuzz_fail(const char *fmt,...)
{
	va_list		ap;
	char		buf[2048];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fail_msg("input %s: property violated: %s", current_input, buf);
}

typedef int (*TargetFn) (const uint8_t *data, size_t size);

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* run every file of root/sub/target through fn; returns the count */
static int
replay_dir(const char *sub, const char *target, TargetFn fn)
{
	char	   *dir = xasprintf("%s/%s/%s", fuzz_root, sub, target);
	DIR		   *dh = opendir(dir);
	struct dirent *de;
	char	  **names = NULL;
	int			n = 0,
				cap = 0,
				k;

	if (dh == NULL)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(dh)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, sizeof(char *) * cap);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_names);
	for (k = 0; k < n; k++)
	{
		char	   *path = path_join(dir, names[k]);
		char	   *data = NULL,
				   *err = NULL;
		size_t		len;

		if (read_file(path, &data, &len, &err) != 0)
			fail_msg("cannot read %s: %s", path, err);
		current_input = path;
		fn((const uint8_t *) data, len);
		current_input = NULL;
		free(data);
		free(path);
		free(names[k]);
	}
	free(names);
	free(dir);
	return n;
}

static void
replay(const char *target, TargetFn fn)
{
	int			seeds = replay_dir("corpus", target, fn);
	int			crashes = replay_dir("regressions", target, fn);

	print_message("%s: %d seed inputs, %d saved crash inputs replayed\n", target, seeds,
				  crashes);
	assert_true(seeds > 0);
}

static void
replay_split(void **state)
{
	replay("split", fuzz_split_one);
}

static void
replay_dir_target(void **state)
{
	replay("dir", fuzz_dir_one);
}

static void
replay_sum(void **state)
{
	replay("sum", fuzz_sum_one);
}

/* the property checks themselves must be able to fail */
static void
checks_can_fail(void **state)
{
	StmtList	l;
	SplitError	err;

	/* a NUL inside a string must be an error, not a shorter statement */
	assert_int_equal(split_sql("SELECT 'a\0b';", 14, DIALECT_POSTGRES, NULL, 1, &l, &err), -1);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(split_sql("SELECT 1;\n/* x\n\0 */", 19, DIALECT_MYSQL, NULL, 1, &l, &err), -1);
	assert_int_equal(err.line, 3);
	/* statements are found in the input, in order */
	assert_int_equal(fuzz_check_split("SELECT 1; SELECT 2;", 19, DIALECT_POSTGRES, NULL), 2);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_split),
		cmocka_unit_test(replay_dir_target),
		cmocka_unit_test(replay_sum),
		cmocka_unit_test(checks_can_fail),
	};
	const char *env = getenv("MIGRATE_FUZZ_DIR");
	FILE	   *devnull = fopen("/dev/null", "w");
	int			rc;

	if (env != NULL)
		fuzz_root = xstrdup(env);
	else
	{
		const char *slash = strrchr(argv[0], '/');
		char	   *bindir = slash ? xstrndup(argv[0], (size_t) (slash - argv[0])) : xstrdup(".");

		fuzz_root = xasprintf("%s/../fuzz", bindir);
		free(bindir);
	}
	log_set_stream(devnull);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_set_stream(NULL);
	fclose(devnull);
	fuzz_dir_cleanup();
	free(fuzz_root);
	return rc;
}
