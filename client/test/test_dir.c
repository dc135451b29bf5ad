/*-------------------------------------------------------------------------
 *
 * test_dir.c
 *	  cmocka tests of migration directories (client/dir.c): formats, txtar,
 *	  directives, version order, bad files.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_dir.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

/* load a directory without a sum file check */
static int
load(const char *dir, DirFormat fmt, Dialect d, MigrationDir *out)
{
	return dir_load(dir, fmt, d, false, out);
}

/* load expecting failure; returns the log (caller frees) */
static char *
load_fails(const char *dir, DirFormat fmt)
{
	MigrationDir md;
	int			rc;

	tu_log_start();
	rc = load(dir, fmt, DIALECT_POSTGRES, &md);
	if (rc == 0)
	{
		dir_free(&md);
		free(tu_log_stop());
		fail_msg("loading %s should fail", dir);
	}
	return tu_log_stop();
}

/* parse one file held in memory */
static int
parse(const char *text, DirFormat fmt, MigrationFile *f)
{
	memset(f, 0, sizeof(*f));
	return migration_parse(f, "dir/1_x.sql", "1_x.sql", text, strlen(text), fmt,
						   DIALECT_POSTGRES);
}

static char *
parse_fails(const char *text, DirFormat fmt)
{
	MigrationFile f;
	int			rc;

	tu_log_start();
	rc = parse(text, fmt, &f);
	migration_file_free(&f);
	if (rc == 0)
	{
		free(tu_log_stop());
		fail_msg("parsing should fail: %s", text);
	}
	return tu_log_stop();
}

/* ---- versions ---------------------------------------------------------- */

static void
version_order(void **state)
{
	assert_true(version_cmp("2", "10") < 0);
	assert_true(version_cmp("10", "2") > 0);
	assert_true(version_cmp("20260101120000", "20260102000000") < 0);
	assert_true(version_cmp("1.9", "1.10") < 0);
	assert_true(version_cmp("1.2", "1.2.1") < 0);
	assert_true(version_cmp("a", "b") < 0);
	assert_true(version_cmp("v2", "v10") < 0);
	assert_int_equal(version_cmp("7", "7"), 0);
	/* numbers longer than any integer type */
	assert_true(version_cmp("123456789012345678901234567890", "123456789012345678901234567891") < 0);
	assert_true(version_cmp("99999999999999999999", "100000000000000000000") < 0);
	/* "1" and "01" are the same number but a total order keeps them apart */
	assert_true(version_same_number("1", "01"));
	assert_false(version_same_number("1", "10"));
	assert_true(version_cmp("01", "1") != 0);
	assert_int_equal(version_cmp("01", "1"), -version_cmp("1", "01"));
}

static void
names(void **state)
{
	char	   *v,
			   *d,
			   *why;

	assert_int_equal(dir_name_version(FORMAT_NATIVE, "20260101_create_users.sql", &v, &d, &why), 1);
	assert_string_equal(v, "20260101");
	assert_string_equal(d, "create_users");
	free(v);
	free(d);
	assert_int_equal(dir_name_version(FORMAT_NATIVE, "3.sql", &v, &d, &why), 1);
	assert_string_equal(v, "3");
	assert_string_equal(d, "");
	free(v);
	free(d);
	assert_int_equal(dir_name_version(FORMAT_NATIVE, "README.md", &v, &d, &why), 0);
	assert_int_equal(dir_name_version(FORMAT_NATIVE, ".x.sql", &v, &d, &why), 0);
	assert_int_equal(dir_name_version(FORMAT_NATIVE, "_x.sql", &v, &d, &why), -1);
	free(why);

	assert_int_equal(dir_name_version(FORMAT_GOLANG_MIGRATE, "7_add.up.sql", &v, &d, &why), 1);
	assert_string_equal(v, "7");
	assert_string_equal(d, "add");
	free(v);
	free(d);
	assert_int_equal(dir_name_version(FORMAT_GOLANG_MIGRATE, "7_add.down.sql", &v, &d, &why), 0);
	assert_int_equal(dir_name_version(FORMAT_GOLANG_MIGRATE, "x_add.up.sql", &v, &d, &why), -1);
	free(why);
	assert_int_equal(dir_name_version(FORMAT_GOLANG_MIGRATE, "7_add.sql", &v, &d, &why), -1);
	free(why);

	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "V2_1__add_x.sql", &v, &d, &why), 1);
	assert_string_equal(v, "2.1");
	assert_string_equal(d, "add_x");
	free(v);
	free(d);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "sub/V3__y.sql", &v, &d, &why), 1);
	assert_string_equal(v, "3");
	free(v);
	free(d);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "U2__undo.sql", &v, &d, &why), 0);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "R__views.sql", &v, &d, &why), 0);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "B5__base.sql", &v, &d, &why), -1);
	assert_contains(why, "baseline");
	free(why);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "V1_x.sql", &v, &d, &why), -1);
	free(why);
	assert_int_equal(dir_name_version(FORMAT_FLYWAY, "Va__x.sql", &v, &d, &why), -1);
	free(why);
}

static void
spec(void **state)
{
	char	   *p,
			   *err;
	DirFormat	f;

	assert_int_equal(dir_parse_spec("migrations", &p, &f, &err), 0);
	assert_string_equal(p, "migrations");
	assert_int_equal(f, FORMAT_AUTO);
	free(p);
	assert_int_equal(dir_parse_spec("file://db/m?format=flyway", &p, &f, &err), 0);
	assert_string_equal(p, "db/m");
	assert_int_equal(f, FORMAT_FLYWAY);
	free(p);
	assert_int_equal(dir_parse_spec("file:///abs?format=golang-migrate", &p, &f, &err), 0);
	assert_string_equal(p, "/abs");
	assert_int_equal(f, FORMAT_GOLANG_MIGRATE);
	free(p);
	assert_int_equal(dir_parse_spec("file://x?format=dbmate", &p, &f, &err), 0);
	assert_int_equal(f, FORMAT_DBMATE);
	free(p);
	assert_int_equal(dir_parse_spec("file://x?format=native", &p, &f, &err), 0);
	assert_int_equal(f, FORMAT_NATIVE);
	free(p);
	assert_int_equal(dir_parse_spec("file://x?format=liquibase", &p, &f, &err), -1);
	assert_contains(err, "liquibase");
	free(err);
	assert_int_equal(dir_parse_spec("file://x?version=3", &p, &f, &err), -1);
	free(err);
	assert_int_equal(dir_parse_spec("atlas://app", &p, &f, &err), -1);
	assert_contains(err, "only local directories");
	free(err);
}

/* ---- formats ----------------------------------------------------------- */

static void
native_dir(void **state)
{
	char	   *d = tu_mkdir();
	MigrationDir md;

	tu_write(d, "10_c.sql", "SELECT 10;");
	tu_write(d, "2_b.sql", "SELECT 2;\nSELECT 22;");
	tu_write(d, "1_a.sql", "CREATE TABLE a (x int);");
	tu_write(d, "3.sql", "SELECT 3;");
	tu_write(d, "README.md", "not a migration");
	tu_write(d, ".hidden.sql", "not a migration either");
	assert_int_equal(load(d, FORMAT_AUTO, DIALECT_POSTGRES, &md), 0);
	assert_int_equal(md.format, FORMAT_NATIVE);
	assert_int_equal(md.nfiles, 4);
	assert_string_equal(md.files[0].version, "1");
	assert_string_equal(md.files[0].description, "a");
	assert_string_equal(md.files[1].version, "2");
	assert_int_equal(md.files[1].stmts.n, 2);
	assert_int_equal(md.files[1].stmts.items[1].line, 2);
	assert_string_equal(md.files[2].version, "3");
	assert_string_equal(md.files[3].version, "10");
	assert_string_equal(md.files[3].name, "10_c.sql");
	assert_non_null(strstr(md.files[3].path, "/10_c.sql"));
	/* the file hash is the hash of the statements part */
	{
		char		h[64];

		hash_bytes("SELECT 10;", 10, h);
		assert_string_equal(md.files[3].hash, h);
	}
	assert_non_null(dir_find(&md, "10"));
	assert_null(dir_find(&md, "11"));
	dir_free(&md);
	tu_rmdir(d);
}

static void
duplicate_versions(void **state)
{
	char	   *d = tu_mkdir();
	char	   *log;

	tu_write(d, "1_a.sql", "SELECT 1;");
	tu_write(d, "01_b.sql", "SELECT 1;");
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "duplicate migration version");
	assert_contains(log, "\"01_b.sql\"");
	assert_contains(log, "\"1_a.sql\"");
	free(log);
	tu_rmdir(d);
}

static void
golang_migrate_dir(void **state)
{
	char	   *d = tu_mkdir();
	MigrationDir md;
	char	   *log;

	tu_write(d, "1_init.up.sql", "CREATE TABLE t (x int);");
	tu_write(d, "1_init.down.sql", "DROP TABLE t;");
	tu_write(d, "2_more.up.sql", "ALTER TABLE t ADD y int;");
	tu_write(d, "2_more.down.sql", "ALTER TABLE t DROP y;");
	assert_int_equal(load(d, FORMAT_AUTO, DIALECT_POSTGRES, &md), 0);
	assert_int_equal(md.format, FORMAT_GOLANG_MIGRATE);
	assert_int_equal(md.nfiles, 2);
	assert_string_equal(md.files[0].name, "1_init.up.sql");
	assert_string_equal(md.files[0].description, "init");
	assert_string_equal(md.files[1].version, "2");
	assert_false(md.files[1].has_down);
	dir_free(&md);
	/* a file breaking the naming rules is refused, naming it */
	tu_write(d, "3_oops.sql", "SELECT 1;");
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "\"3_oops.sql\" does not follow the golang-migrate naming rules");
	free(log);
	tu_rmdir(d);
}

static void
flyway_dir(void **state)
{
	char	   *d = tu_mkdir();
	MigrationDir md;
	char	   *log;

	tu_write(d, "V1__init.sql", "CREATE TABLE t (x int);");
	tu_write(d, "V1.1__x.sql", "SELECT 11;");
	tu_write(d, "V2_1__y.sql", "SELECT 21;");
	tu_write(d, "U1__init.sql", "DROP TABLE t;");
	tu_write(d, "R__views.sql", "CREATE VIEW v AS SELECT 1;");
	tu_write(d, "more/V10__z.sql", "SELECT 10;");
	tu_write(d, ".git/V99__no.sql", "SELECT 99;");
	tu_log_start();
	assert_int_equal(load(d, FORMAT_AUTO, DIALECT_POSTGRES, &md), 0);
	log = tu_log_stop();
	/* repeatable files are skipped, and the user is told */
	assert_contains(log, "repeatable migration \"R__views.sql\" is skipped");
	free(log);
	assert_int_equal(md.format, FORMAT_FLYWAY);
	assert_int_equal(md.nfiles, 4);
	assert_string_equal(md.files[0].version, "1");
	assert_string_equal(md.files[1].version, "1.1");
	assert_string_equal(md.files[2].version, "2.1");
	assert_string_equal(md.files[3].version, "10");
	assert_string_equal(md.files[3].name, "more/V10__z.sql");
	dir_free(&md);
	tu_write(d, "B5__base.sql", "SELECT 5;");
	log = load_fails(d, FORMAT_FLYWAY);
	assert_contains(log, "B5__base.sql");
	assert_contains(log, "baseline migrations");
	free(log);
	tu_rmdir(d);
}

static void
dbmate_dir(void **state)
{
	char	   *d = tu_mkdir();
	MigrationDir md;

	tu_write(d, "20200101000000_t.sql",
			 "-- migrate:up\nCREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n\n"
			 "-- migrate:down\nDROP TABLE t;\n");
	tu_write(d, "20200102000000_idx.sql",
			 "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
	assert_int_equal(load(d, FORMAT_AUTO, DIALECT_POSTGRES, &md), 0);
	assert_int_equal(md.format, FORMAT_DBMATE);
	assert_int_equal(md.nfiles, 2);
	assert_int_equal(md.files[0].stmts.n, 2);
	assert_int_equal(md.files[0].stmts.items[0].line, 2);
	assert_int_equal(md.files[0].stmts.items[1].line, 3);
	assert_true(md.files[0].has_down);
	assert_int_equal(md.files[0].down.n, 1);
	assert_string_equal(md.files[0].down.items[0].text, "DROP TABLE t;");
	assert_int_equal(md.files[0].down.items[0].line, 6);
	/* the hash covers the up part only */
	{
		const char *up = "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n\n";
		char		h[64];

		hash_bytes(up, strlen(up), h);
		assert_string_equal(md.files[0].hash, h);
	}
	assert_int_equal(md.files[0].txmode, TXMODE_DEFAULT);
	assert_int_equal(md.files[1].txmode, TXMODE_NONE);
	assert_false(md.files[1].has_down);
	dir_free(&md);
	tu_rmdir(d);
}

static void
dbmate_errors(void **state)
{
	char	   *log;

	log = parse_fails("CREATE TABLE t (x int);\n", FORMAT_DBMATE);
	assert_contains(log, "has no \"-- migrate:up\" line");
	free(log);
	log = parse_fails("-- migrate:up\nSELECT 1;\n-- migrate:up\n", FORMAT_DBMATE);
	assert_contains(log, "dir/1_x.sql:3: a second \"-- migrate:up\" line");
	free(log);
	log = parse_fails("-- migrate:up nonsense\nSELECT 1;\n", FORMAT_DBMATE);
	assert_contains(log, "dir/1_x.sql:1: unsupported dbmate option \"nonsense\"");
	free(log);
	log = parse_fails("-- migrate:up\nSELECT 'x;\n-- migrate:down\n", FORMAT_DBMATE);
	assert_contains(log, "dir/1_x.sql:2: unterminated quoted string");
	free(log);
}

/* ---- txtar ------------------------------------------------------------- */

static const char txtar[] =
"-- migrate:txtar\n"			/* 1 */
"A comment about this file.\n"	/* 2 */
"-- checks.sql --\n"			/* 3 */
"SELECT NOT EXISTS (SELECT 1 FROM t);\n"	/* 4 */
"-- checks/more.sql --\n"		/* 5 */
"SELECT true;\n"				/* 6 */
"-- migration.sql --\n"			/* 7 */
"-- migrate:txmode none\n"		/* 8 */
"DROP TABLE t;\n"				/* 9 */
"CREATE INDEX CONCURRENTLY i ON u (x);\n"	/* 10 */
"-- down.sql --\n"				/* 11 */
"CREATE TABLE t (x int);\n";	/* 12 */

static void
txtar_file(void **state)
{
	MigrationFile f;
	const char *mig = "-- migrate:txmode none\nDROP TABLE t;\nCREATE INDEX CONCURRENTLY i ON u (x);\n";
	char		h[64];

	assert_int_equal(parse(txtar, FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.checks.n, 2);
	assert_string_equal(f.checks.items[0].text, "SELECT NOT EXISTS (SELECT 1 FROM t);");
	assert_int_equal(f.checks.items[0].line, 4);
	assert_int_equal(f.checks.items[1].line, 6);
	assert_int_equal(f.stmts.n, 2);
	assert_string_equal(f.stmts.items[0].text, "DROP TABLE t;");
	assert_int_equal(f.stmts.items[0].line, 9);
	assert_int_equal(f.stmts.items[1].line, 10);
	assert_int_equal(f.txmode, TXMODE_NONE);
	assert_true(f.has_down);
	assert_int_equal(f.down.n, 1);
	assert_int_equal(f.down.items[0].line, 12);
	/* content and hash are the migration section */
	assert_string_equal(f.content, mig);
	hash_bytes(mig, strlen(mig), h);
	assert_string_equal(f.hash, h);
	migration_file_free(&f);

	/* the atlas spelling and a migration-only file */
	assert_int_equal(parse("-- atlas:txtar\n\n-- migration.sql --\nSELECT 1;\n", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.stmts.n, 1);
	assert_int_equal(f.stmts.items[0].line, 4);
	assert_false(f.has_down);
	assert_int_equal(f.checks.n, 0);
	migration_file_free(&f);
}

static void
txtar_errors(void **state)
{
	char	   *log;

	log = parse_fails("-- migrate:txtar\n-- checks.sql --\nSELECT 1;\n", FORMAT_NATIVE);
	assert_contains(log, "no \"migration.sql\" section");
	free(log);
	log = parse_fails("-- migrate:txtar\n-- migration.sql --\nSELECT 1;\n-- up.sql --\nSELECT 2;\n",
					  FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:4: unknown section \"up.sql\"");
	free(log);
	log = parse_fails("-- migrate:txtar\n-- migration.sql --\nSELECT 1;\n-- migration.sql --\n",
					  FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:4: section \"migration.sql\" appears twice");
	free(log);
	log = parse_fails("-- migrate:txtar\n-- migration.sql --\nSELECT 1;\n-- down.sql --\n"
					  "-- migrate:txmode none\nSELECT 2;\n", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:5: a txmode directive is only allowed in the migration part");
	free(log);
	log = parse_fails("-- migrate:txtar\n-- migration.sql --\nSELECT 1;\n-- checks.sql --\nSELECT (1;\n",
					  FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:5: unbalanced parentheses");
	free(log);
}

/* ---- directives -------------------------------------------------------- */

static void
directives(void **state)
{
	MigrationFile f;

	/* no blank line needed after the directive */
	assert_int_equal(parse("-- migrate:txmode none\nCREATE INDEX CONCURRENTLY i ON t (x);", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.txmode, TXMODE_NONE);
	migration_file_free(&f);
	assert_int_equal(parse("-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY i ON t (x);", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.txmode, TXMODE_NONE);
	migration_file_free(&f);
	assert_int_equal(parse("-- A comment first.\n--migrate:txmode file\nSELECT 1;", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.txmode, TXMODE_FILE);
	migration_file_free(&f);

	/*
	 * after the first statement a directive is an ordinary comment, and the
	 * user is told
	 */
	{
		char	   *log;

		tu_log_start();
		assert_int_equal(parse("/* header */\n-- migrate:txmode none\nSELECT 2;\n-- just a comment\n",
							   FORMAT_NATIVE, &f), 0);
		log = tu_log_stop();
		assert_int_equal(f.txmode, TXMODE_DEFAULT);
		assert_string_equal(log, "migrate: warning: dir/1_x.sql:2: directive is ignored: "
							"directives belong in the comment lines at the top of the file\n");
		free(log);
		migration_file_free(&f);
	}
	/* delimiter, with escapes */
	assert_int_equal(parse("-- migrate:delimiter //\nSELECT 1; SELECT 2//\nSELECT 3//", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_string_equal(f.stmts.items[0].text, "SELECT 1; SELECT 2");
	migration_file_free(&f);
	assert_int_equal(parse("-- atlas:delimiter \\nGO\nSELECT 1;\nGO\nSELECT 2;\nGO\n", FORMAT_NATIVE, &f), 0);
	assert_int_equal(f.stmts.n, 2);
	assert_string_equal(f.stmts.items[1].text, "SELECT 2;");
	assert_int_equal(f.stmts.items[1].line, 4);
	migration_file_free(&f);
	/* directives the client does not use are accepted */
	assert_int_equal(parse("-- atlas:sum ignore\n-- atlas:nolint\nSELECT 1;", FORMAT_NATIVE, &f), 0);
	migration_file_free(&f);
}

static void
directive_errors(void **state)
{
	char	   *log;

	log = parse_fails("-- migrate:txmode all\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:1: txmode \"all\" is not allowed in a file directive");
	free(log);
	log = parse_fails("-- comment\n-- atlas:txmode sometimes\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:2: invalid txmode \"sometimes\"");
	free(log);
	log = parse_fails("-- migrate:txmode none\n-- migrate:txmode file\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:2: more than one txmode directive");
	free(log);
	log = parse_fails("\n-- migrate:transaction off\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:2: unknown directive \"migrate:transaction\"");
	free(log);
	log = parse_fails("-- migrate:delimiter\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:1: delimiter directive without a delimiter");
	free(log);
	log = parse_fails("-- atlas:checkpoint\nSELECT 1;", FORMAT_NATIVE);
	assert_contains(log, "checkpoint files");
	free(log);
	log = parse_fails("SELECT 1;\nSELECT 'x", FORMAT_NATIVE);
	assert_contains(log, "dir/1_x.sql:2: unterminated quoted string");
	free(log);
	/* an unknown atlas: directive is reported but allowed */
	{
		MigrationFile f;

		tu_log_start();
		assert_int_equal(parse("-- atlas:frobnicate\nSELECT 1;", FORMAT_NATIVE, &f), 0);
		log = tu_log_stop();
		assert_contains(log, "warning: dir/1_x.sql:1: directive \"atlas:frobnicate\" is not supported");
		free(log);
		migration_file_free(&f);
	}
}

/* ---- bad files --------------------------------------------------------- */

static void
bad_bytes(void **state)
{
	char	   *d = tu_mkdir();
	char	   *log;

	tu_write(d, "1_a.sql", "SELECT 1;\nSELECT '\xff';\n");
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "1_a.sql:2: file is not valid UTF-8");
	free(log);
	tu_remove(d, "1_a.sql");
	tu_write_bytes(d, "1_a.sql", "SELECT 1;\n\n\nSELECT\0 2;", 20);
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "1_a.sql:4: file contains a NUL byte");
	free(log);
	tu_remove(d, "1_a.sql");
	/* overlong encoding and a surrogate are not UTF-8 either */
	tu_write(d, "1_a.sql", "SELECT '\xc0\xaf';");
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "not valid UTF-8");
	free(log);
	tu_write(d, "1_a.sql", "SELECT '\xed\xa0\x80';");
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "not valid UTF-8");
	free(log);
	/* a BOM is fine and not part of the content */
	{
		MigrationDir md;

		tu_write(d, "1_a.sql", "\xEF\xBB\xBFSELECT 1;");
		assert_int_equal(load(d, FORMAT_AUTO, DIALECT_POSTGRES, &md), 0);
		assert_string_equal(md.files[0].content, "SELECT 1;");
		dir_free(&md);
	}
	tu_rmdir(d);
}

static void
unreadable(void **state)
{
	char	   *d = tu_mkdir();
	char	   *link = path_join(d, "2_gone.sql");
	char	   *log;

	tu_write(d, "1_a.sql", "SELECT 1;");
	/* a dangling symbolic link cannot be read, whoever runs the test */
	assert_int_equal(symlink("/nonexistent/nowhere.sql", link), 0);
	log = load_fails(d, FORMAT_AUTO);
	assert_contains(log, "could not read migration file");
	assert_contains(log, "2_gone.sql");
	assert_contains(log, "No such file or directory");
	free(log);
	free(link);
	{
		char	   *missing = path_join(d, "nope");

		log = load_fails(missing, FORMAT_AUTO);
		assert_contains(log, "does not exist");
		free(log);
		free(missing);
	}
	tu_rmdir(d);
}

static void
mysql_dialect_file(void **state)
{
	char	   *d = tu_mkdir();
	MigrationDir md;

	tu_write(d, "1_proc.sql",
			 "# MySQL comment\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nCALL p();\n");
	assert_int_equal(load(d, FORMAT_AUTO, DIALECT_MYSQL, &md), 0);
	assert_int_equal(md.files[0].stmts.n, 2);
	assert_int_equal(md.files[0].stmts.items[0].line, 3);
	assert_string_equal(md.files[0].stmts.items[1].text, "CALL p();");
	dir_free(&md);
	tu_rmdir(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_order),
		cmocka_unit_test(names),
		cmocka_unit_test(spec),
		cmocka_unit_test(native_dir),
		cmocka_unit_test(duplicate_versions),
		cmocka_unit_test(golang_migrate_dir),
		cmocka_unit_test(flyway_dir),
		cmocka_unit_test(dbmate_dir),
		cmocka_unit_test(dbmate_errors),
		cmocka_unit_test(txtar_file),
		cmocka_unit_test(txtar_errors),
		cmocka_unit_test(directives),
		cmocka_unit_test(directive_errors),
		cmocka_unit_test(bad_bytes),
		cmocka_unit_test(unreadable),
		cmocka_unit_test(mysql_dialect_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
