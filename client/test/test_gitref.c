/*-------------------------------------------------------------------------
 *
 * test_gitref.c
 *	  cmocka tests of "down --to-tag" with git refs (client/gitref.c),
 *	  against a scratch git repository.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_gitref.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fakedriver.h"

static char *repo;
static char *mdir;

static void
			sh(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt,...)
{
	va_list		ap;
	char		cmd[2048];

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

#define GIT "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main -C '%s' "

/*
 * A repository whose db/migrations directory did not exist at tag
 * "empty", had versions 1 and 2 at tag v1, and 1, 2, 10 at HEAD.
 */
static int
setup(void **state)
{
	fake_reset();
	repo = tu_mkdir();
	mdir = path_join(repo, "db/migrations");
	sh("git init -q '%s'", repo);
	/* a first commit from before the directory existed */
	sh(GIT "commit -q --allow-empty -m empty && " GIT "tag empty", repo, repo);
	sh("mkdir -p '%s'", mdir);
	tu_write(mdir, "1_a.sql", "SELECT 1;");
	tu_write(mdir, "2_b.sql", "SELECT 2;");
	tu_write(repo, "README", "x");
	sh(GIT "add -A && " GIT "commit -q -m one && " GIT "tag v1", repo, repo, repo);
	tu_write(mdir, "10_c.sql", "SELECT 10;");
	sh(GIT "add -A && " GIT "commit -q -m two", repo, repo);
	return 0;
}

static int
teardown(void **state)
{
	free(mdir);
	tu_rmdir(repo);
	return 0;
}

static void
resolves_refs(void **state)
{
	char	   *v = NULL;

	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "v1", &v), 1);
	assert_string_equal(v, "2");
	free(v);
	/* natural order: 10 is after 2 */
	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "HEAD", &v), 1);
	assert_string_equal(v, "10");
	free(v);
	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "HEAD~1", &v), 1);
	assert_string_equal(v, "2");
	free(v);
	/* not a ref: a tag for the database to know */
	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "release-7", &v), 0);
	assert_null(v);
	/* characters a shell would interpret are passed through untouched */
	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "v1; touch /tmp/migrate-pwned", &v), 0);
	assert_false(path_exists("/tmp/migrate-pwned"));
}

static void
outside_a_repository(void **state)
{
	char	   *d = tu_mkdir();
	char	   *v = NULL;

	tu_write(d, "1_a.sql", "SELECT 1;");
	assert_int_equal(gitref_version(d, FORMAT_AUTO, "HEAD", &v), 0);
	assert_null(v);
	tu_rmdir(d);
}

static void
ref_without_migrations(void **state)
{
	char	   *v = NULL;
	char	   *log;

	tu_log_start();
	assert_int_equal(gitref_version(mdir, FORMAT_AUTO, "empty", &v), -1);
	log = tu_log_stop();
	assert_contains(log, "git ref \"empty\" has no migration files in");
	free(log);
}

static void
down_to_git_tag(void **state)
{
	CliArgs		a;
	char	   *buf = NULL;
	size_t		len = 0;
	FILE	   *f;
	char	   *log;
	DirEntry   *e;
	int			n;
	DirFormat	fmt = FORMAT_AUTO;

	assert_int_equal(dir_list(mdir, &fmt, &e, &n), 0);
	assert_int_equal(sum_write_dir(mdir, e, n), 0);
	dir_entries_free(e, n);
	fake->ready = true;

	memset(&a, 0, sizeof(a));
	a.command = CMD_DOWN;
	a.opts.to_tag = "v1";
	a.opts.lock_timeout_ms = 10000;
	a.dir_path = mdir;
	a.dir_given = true;
	a.url.redacted = "postgres://h/db";
	a.have_url = true;
	f = open_memstream(&buf, &len);
	tu_log_start();
	assert_int_equal(run_command(&a, fake_factory, f), EXIT_OK);
	log = tu_log_stop();
	fclose(f);
	free(buf);
	free(log);
	/* the git tag became a version; the driver never saw the tag */
	assert_contains(fake->calls.data, "down(steps=0,to=2,tag=-,dry=0)");

	/* a name git does not know goes to the driver as a tag */
	sb_free(&fake->calls);
	sb_init(&fake->calls);
	a.opts.to_tag = "nightly";
	buf = NULL;
	f = open_memstream(&buf, &len);
	tu_log_start();
	assert_int_equal(run_command(&a, fake_factory, f), EXIT_OK);
	log = tu_log_stop();
	fclose(f);
	free(buf);
	free(log);
	assert_contains(fake->calls.data, "down(steps=0,to=-,tag=nightly,dry=0)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(resolves_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(outside_a_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(ref_without_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(down_to_git_tag, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
