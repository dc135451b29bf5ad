/*-------------------------------------------------------------------------
 *
 * test_run.c
 *	  cmocka tests of the commands (client/run.c) against the fake driver:
 *	  the order of driver calls, resume, transaction modes, dry run,
 *	  out-of-order rules, baseline and dirty databases, and what is
 *	  printed.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_run.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fakedriver.h"

static MigrationDir dir;
static Options opts;
static Driver drv;
static ConnUrl url;

/* captured stdout / stderr of the last command */
static char *out;
static char *err;

static int
setup(void **state)
{
	fake_reset();
	mem_dir_init(&dir);
	mem_dir_add(&dir, "1", "CREATE TABLE a (x int);");
	mem_dir_add(&dir, "2", "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);");
	mem_dir_add(&dir, "3", "SELECT 1;\nSELECT 2;\nSELECT 3;");
	memset(&opts, 0, sizeof(opts));
	opts.lock_timeout_ms = 10000;
	memset(&url, 0, sizeof(url));
	url.redacted = "postgres://h/db";
	memset(&drv, 0, sizeof(drv));
	drv.ops = &fake_ops;
	drv.url = &url;
	drv.opts = &opts;
	out = err = NULL;
	return 0;
}

static int
teardown(void **state)
{
	dir_free(&dir);
	free(out);
	free(err);
	out = err = NULL;
	return 0;
}

typedef int (*CmdFn) (Driver *, const MigrationDir *, const Options *, FILE *);

static int
run(CmdFn fn)
{
	char	   *buf = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&buf, &len);
	int			rc;

	free(out);
	free(err);
	sb_free(&fake->calls);
	sb_init(&fake->calls);
	tu_log_start();
	rc = fn(&drv, &dir, &opts, f);
	err = tu_log_stop();
	fclose(f);
	out = buf;
	return rc;
}

static int
count_rows_complete(void)
{
	int			k,
				n = 0;

	for (k = 0; k < fake->revs.n; k++)
		if (revision_complete(&fake->revs.items[k]))
			n++;
	return n;
}

static Revision *
row(const char *version)
{
	int			k;

	for (k = 0; k < fake->revs.n; k++)
		if (strcmp(fake->revs.items[k].version, version) == 0)
			return &fake->revs.items[k];
	return NULL;
}

/* ---- apply ------------------------------------------------------------- */

static void
apply_fresh(void **state)
{
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(fake->calls.data,
						"connect prepare(1) lock(10000) read check_clean "
						"apply(1,file,0) apply(2,file,0) apply(3,file,0) unlock close");
	assert_int_equal(count_rows_complete(), 3);
	assert_string_equal(row("2")->hash, dir_find(&dir, "2")->hash);
	assert_contains(out, "Migrating to version 3 (3 migrations in total):\n");
	assert_null(strstr(out, " from "));
	assert_contains(out, "\n  -- migrating version 1\n    -> CREATE TABLE a (x int);\n  -- ok (1µs)\n");
	assert_contains(out, "  -------------------------\n");
	assert_contains(out, "  -- 3 migrations\n  -- 6 sql statements\n");
	assert_string_equal(err, "");

	/* nothing left */
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(out, "No migration files to execute\n");
	assert_string_equal(fake->calls.data, "connect prepare(1) lock(10000) read unlock close");
}

static void
apply_from_version(void **state)
{
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "Migrating to version 3 from 1 (2 migrations in total):\n");
	/* with revisions there is no clean check */
	assert_null(strstr(fake->calls.data, "check_clean"));
}

static void
apply_amount_and_to_version(void **state)
{
	opts.amount = 1;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "apply(1,file,0) unlock");
	assert_contains(out, "(1 migrations in total)");
	opts.amount = 0;
	opts.to_version = "2";
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "read apply(2,file,0) unlock");
	assert_null(row("3"));
}

static void
apply_dirty_database(void **state)
{
	fake->clean = false;
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: connected database is not clean: found table \"public.t\"");
	assert_contains(err, "hint: Use --baseline VERSION");
	assert_null(strstr(fake->calls.data, "apply("));
	assert_contains(fake->calls.data, "unlock close");
	assert_int_equal(fake->revs.n, 0);

	/* --allow-dirty applies on top */
	opts.allow_dirty = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_null(strstr(fake->calls.data, "check_clean"));
	assert_int_equal(count_rows_complete(), 3);
}

static void
apply_baseline(void **state)
{
	fake->clean = false;
	opts.baseline = "2";
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(fake->calls.data,
						"connect prepare(1) lock(10000) read baseline(2) apply(3,file,0) unlock close");
	assert_int_equal(row("2")->type, REV_BASELINE);
	assert_null(row("1"));
	assert_contains(out, "Migrating to version 3 from 2 (1 migrations in total):");
}

static void
apply_dry_run_changes_nothing(void **state)
{
	opts.dry_run = true;
	opts.baseline = "1";
	assert_int_equal(run(cmd_apply), EXIT_OK);
	/* no bookkeeping created, no baseline row, nothing applied */
	assert_string_equal(fake->calls.data, "connect prepare(0) close");
	assert_false(fake->ready);
	assert_int_equal(fake->revs.n, 0);
	assert_string_equal(fake->executed.data, "");
	assert_contains(out, "Migrating to version 3 from 1 (2 migrations in total):");
	assert_contains(out, "  -- migrating version 2\n    -> CREATE TABLE b (x int);\n"
					"    -> INSERT INTO b VALUES (1);\n");
	assert_null(strstr(out, "-- ok"));
	assert_contains(out, "  -- dry run: nothing was changed\n");

	/* with bookkeeping and a partial file: shows what a rerun would run */
	fake->ready = true;
	opts.baseline = NULL;
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("2", REV_APPLIED, 1, 1, dir_find(&dir, "2")->hash);
	fake_set_partial(fake_add("3", REV_APPLIED, 0, 3, "h1:x"), dir_find(&dir, "3"), 2);
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(fake->calls.data, "connect prepare(0) lock(10000) read unlock close");
	assert_contains(out, "-- note: resuming: the first 2 statements ran before\n    -> SELECT 3;\n");
	assert_null(strstr(out, "SELECT 1;"));
	assert_int_equal(row("3")->applied, 2);
}

static void
apply_dry_run_checks(void **state)
{
	teardown(state);
	mem_dir_init(&dir);
	mem_dir_add(&dir, "1", "-- migrate:txtar\n-- checks.sql --\nSELECT true;\n-- migration.sql --\nSELECT 1;\n");
	opts.dry_run = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "  -- checks before migrating version 1\n    -> SELECT true;\n"
					"    -- note: checks are not run in a dry run\n\n  -- migrating version 1\n");
	assert_null(strstr(out, "-- ok"));
	opts.json = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "\"title\":\"checks before migrating version 1\",\"version\":\"1\",\"status\":\"planned\"");
}

static void
apply_file_mode_failure(void **state)
{
	fake->fail_version = "2";
	fake->fail_stmt = 1;
	assert_int_equal(run(cmd_apply), EXIT_STEP_FAILED);
	/* file 3 is not attempted */
	assert_contains(fake->calls.data, "apply(1,file,0) apply(2,file,0) unlock close");
	assert_int_equal(row("1")->applied, 1);
	/* file 2 was rolled back and its failure recorded */
	assert_int_equal(row("2")->applied, 0);
	assert_string_equal(row("2")->error, "ERROR: boom");
	assert_contains(out, "    -> INSERT INTO b VALUES (1);\n  -- error: ERROR: boom\n");
	assert_contains(out, "  -- 1 migration ok, 1 with errors\n");
	assert_contains(out, "  -- 2 sql statements ok, 1 with errors\n");
	assert_contains(err, "error: migration \"2_v2.sql\" failed: ERROR: boom");
	assert_contains(err, "detail: The failing statement was: INSERT INTO b VALUES (1);");

	/* fixed: the rerun starts file 2 from the beginning */
	fake->fail_version = NULL;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "read apply(2,file,0) apply(3,file,0) unlock");
	assert_null(row("2")->error);
}

static void
apply_none_mode_resume(void **state)
{
	opts.txmode = TXMODE_NONE;
	fake->fail_version = "3";
	fake->fail_stmt = 2;
	assert_int_equal(run(cmd_apply), EXIT_STEP_FAILED);
	assert_int_equal(row("3")->applied, 2);
	assert_int_equal(row("3")->npartial, 2);
	sb_free(&fake->executed);
	sb_init(&fake->executed);

	/* the rerun resumes at the failed statement */
	fake->fail_version = NULL;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "read apply(3,none,2) unlock");
	assert_string_equal(fake->executed.data, "SELECT 3;\n");
	assert_int_equal(row("3")->applied, 3);
	assert_int_equal(row("3")->npartial, 0);
	assert_contains(out, "Migrating to version 3 from 2 (1 migrations in total):");
}

static void
apply_refuses_changed_history(void **state)
{
	MigrationFile *f3 = &dir.files[2];

	opts.txmode = TXMODE_NONE;
	fake->fail_version = "3";
	fake->fail_stmt = 2;
	assert_int_equal(run(cmd_apply), EXIT_STEP_FAILED);
	fake->fail_version = NULL;
	free(f3->stmts.items[0].text);
	f3->stmts.items[0].text = xstrdup("SELECT 100;");
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: history changed: statement 1 of \"3_v3.sql\" changed since it was applied");
	assert_null(strstr(fake->calls.data, "apply("));
	assert_contains(fake->calls.data, "unlock close");
}

static void
apply_refuses_edited_file(void **state)
{
	fake_add("1", REV_APPLIED, 1, 1, "h1:notthesame");
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: migration file \"1_v1.sql\" was changed after it was applied");
	assert_null(strstr(fake->calls.data, "apply("));
}

static void
apply_all_mode(void **state)
{
	opts.txmode = TXMODE_ALL;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(fake->calls.data,
						"connect prepare(1) lock(10000) read check_clean begin_all "
						"apply(1,all,0) apply(2,all,0) apply(3,all,0) commit_all unlock close");
	assert_int_equal(count_rows_complete(), 3);
}

static void
apply_all_mode_failure(void **state)
{
	opts.txmode = TXMODE_ALL;
	fake->fail_version = "2";
	fake->fail_stmt = 0;
	assert_int_equal(run(cmd_apply), EXIT_STEP_FAILED);
	assert_string_equal(fake->calls.data,
						"connect prepare(1) lock(10000) read check_clean begin_all "
						"apply(1,all,0) apply(2,all,0) rollback_all record_failure(2) unlock close");
	/* file 1 was rolled back with the rest; only the failure remains */
	assert_null(row("1"));
	assert_int_equal(fake->revs.n, 1);
	assert_string_equal(row("2")->error, "ERROR: boom");
	assert_string_equal(row("2")->error_stmt, "CREATE TABLE b (x int);");
}

static void
apply_directives(void **state)
{
	teardown(state);
	mem_dir_init(&dir);
	mem_dir_add(&dir, "1", "SELECT 1;");
	mem_dir_add(&dir, "2", "-- migrate:txmode none\nCREATE INDEX CONCURRENTLY i ON t (x);");
	mem_dir_add(&dir, "3", "-- migrate:txmode file\nSELECT 3;");
	/* a directive overrides the default and the flag */
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "apply(1,file,0) apply(2,none,0) apply(3,file,0)");
	fake_reset();
	opts.txmode = TXMODE_NONE;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "apply(1,none,0) apply(2,none,0) apply(3,file,0)");

	/* but not --tx-mode all: refused before anything runs */
	fake_reset();
	opts.txmode = TXMODE_ALL;
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: cannot use the txmode directive \"none\" of \"2_v2.sql\" with --tx-mode all");
	assert_null(strstr(fake->calls.data, "begin_all"));
	assert_null(strstr(fake->calls.data, "apply("));
}

static void
apply_out_of_order(void **state)
{
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("3", REV_APPLIED, 3, 3, dir_find(&dir, "3")->hash);
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: migration file \"2_v2.sql\" was added out of order");
	opts.exec_order = EXEC_LINEAR_SKIP;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_string_equal(out, "No migration files to execute\n");
	opts.exec_order = EXEC_NON_LINEAR;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(fake->calls.data, "read apply(2,file,0) unlock");
}

static void
apply_lock_timeout(void **state)
{
	fake->locked_elsewhere = true;
	opts.lock_timeout_ms = 1500;
	assert_int_equal(run(cmd_apply), EXIT_ERROR);
	assert_contains(err, "error: could not obtain the migration lock within 1.5s");
	assert_string_equal(fake->calls.data, "connect prepare(1) lock(1500) close");
}

static void
apply_connection_lost(void **state)
{
	fake->fail_version = "2";
	fake->fail_stmt = 0;
	fake->fail_conn_lost = true;
	assert_int_equal(run(cmd_apply), EXIT_CONN_LOST);
}

static void
apply_json(void **state)
{
	opts.json = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	/* exactly one document, on one line */
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_null(strchr(out, '\n') == out + strlen(out) - 1 ? NULL : "more than one line");
	assert_contains(out, "{\"command\":\"apply\",\"driver\":\"fake\",\"url\":\"postgres://h/db\",\"dir\":\"mem\"");
	assert_contains(out, "\"current\":null,\"target\":\"3\",\"total\":3,\"dry_run\":false");
	assert_contains(out, "{\"title\":\"migrating version 2\",\"version\":\"2\",\"status\":\"ok\"");
	assert_contains(out, "\"statements\":[\"CREATE TABLE b (x int);\",\"INSERT INTO b VALUES (1);\"]");
	assert_contains(out, "\"counts\":{\"migrations\":3,\"migrations_failed\":0,\"statements\":6");
	assert_contains(out, "\"error\":null}\n");

	fake->fail_version = "1";
	fake->fail_stmt = 0;
	fake_reset();
	fake->fail_version = "1";
	assert_int_equal(run(cmd_apply), EXIT_STEP_FAILED);
	assert_contains(out, "\"status\":\"error\"");
	assert_contains(out, "\"error\":\"ERROR: boom\",\"error_statement\":\"CREATE TABLE a (x int);\"");
	assert_contains(out, "\"error\":\"migration \\\"1_v1.sql\\\" failed: ERROR: boom\"}");

	fake_reset();
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("2", REV_APPLIED, 2, 2, dir_find(&dir, "2")->hash);
	fake_add("3", REV_APPLIED, 3, 3, dir_find(&dir, "3")->hash);
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "\"message\":\"No migration files to execute\"");
}

/* ---- down -------------------------------------------------------------- */

static void
down_requests(void **state)
{
	fake->ready = true;
	fake->down_mode = 1;
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_string_equal(fake->calls.data,
						"connect prepare(0) lock(10000) down(steps=1,to=-,tag=-,dry=0) unlock close");
	assert_ptr_equal(fake->last_down.dir, &dir);
	assert_contains(out, "Migrating down from version 3 to 2 (1 migration in total):\n");
	assert_contains(out, "\n  -- checks before reverting version 3\n"
					"    -> SELECT NOT EXISTS (SELECT 1 FROM \"t\") AS \"is_empty\"\n  -- ok (2µs)\n");
	assert_contains(out, "\n  -- reverting version 3\n    -> DROP TABLE \"t\"\n  -- ok (3µs)\n");
	assert_contains(out, "  -- 1 migration\n  -- 1 check\n  -- 1 sql statement\n");

	opts.amount = 2;
	opts.dry_run = true;
	opts.allow_loss = (char *[])
	{
		"public.t"
	};
	opts.nallow_loss = 1;
	opts.accept_drift = true;
	opts.plan_hash = "h1:abc";
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_contains(fake->calls.data, "down(steps=2,to=-,tag=-,dry=1)");
	assert_int_equal(fake->last_down.nallow_loss, 1);
	assert_true(fake->last_down.accept_drift);
	assert_string_equal(fake->last_down.plan_hash, "h1:abc");
	/* in a dry run the checks ran, the statements did not */
	assert_contains(out, "-- ok (2µs)");
	assert_null(strstr(out, "-- ok (3µs)"));
	assert_contains(out, "-- dry run: nothing was changed");

	opts.amount = 0;
	opts.dry_run = false;
	opts.to_version = "1";
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_contains(fake->calls.data, "down(steps=0,to=1,tag=-,dry=0)");
	opts.to_version = NULL;
	opts.to_tag = "release-1";
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_contains(fake->calls.data, "down(steps=0,to=-,tag=release-1,dry=0)");
}

static void
down_nothing(void **state)
{
	/* no bookkeeping at all */
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_string_equal(out, "Nothing to revert: no migration was applied to this database\n");
	assert_null(strstr(fake->calls.data, "down("));
	/* the driver found nothing to do */
	fake->ready = true;
	assert_int_equal(run(cmd_down), EXIT_OK);
	assert_string_equal(out, "Nothing to revert\n");
}

static void
down_check_fails(void **state)
{
	fake->ready = true;
	fake->down_mode = 2;
	assert_int_equal(run(cmd_down), EXIT_STEP_FAILED);
	assert_contains(out, "  -- check failed: table \"t\" has 3 rows\n");
	assert_contains(out, "  -- 1 migration with errors\n  -- 1 check with errors\n");
}

/* ---- status ------------------------------------------------------------ */

static void
status_text(void **state)
{
	Revision   *r;

	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_string_equal(fake->calls.data, "connect prepare(0) close");
	assert_string_equal(out,
						"Migration Status: PENDING\n"
						"  -- Current Version: No migration applied yet\n"
						"  -- Next Version:    1\n"
						"  -- Executed Files:  0\n"
						"  -- Pending Files:   3\n"
						"       1_v1.sql\n"
						"       2_v2.sql\n"
						"       3_v3.sql\n");

	fake->ready = true;
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("2", REV_APPLIED, 2, 2, dir_find(&dir, "2")->hash);
	r = fake_add("3", REV_APPLIED, 0, 3, "h1:x");
	fake_set_partial(r, dir_find(&dir, "3"), 1);
	r->error = xstrdup("ERROR: relation \"x\" does not exist");
	r->error_stmt = xstrdup("SELECT\n2;");
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_string_equal(out,
						"Migration Status: PENDING\n"
						"  -- Current Version: 3 (1 statement applied)\n"
						"  -- Next Version:    3 (2 statements left)\n"
						"  -- Executed Files:  3 (last one partially)\n"
						"  -- Pending Files:   1\n"
						"       3_v3.sql\n"
						"\n"
						"Last migration attempt had errors:\n"
						"  -- SQL:   SELECT 2;\n"
						"  -- ERROR: ERROR: relation \"x\" does not exist\n");

	r->applied = 3;
	free(r->error);
	r->error = NULL;
	free(r->hash);
	r->hash = xstrdup(dir_find(&dir, "3")->hash);
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_string_equal(out,
						"Migration Status: OK\n"
						"  -- Current Version: 3\n"
						"  -- Next Version:    Already at latest version\n"
						"  -- Executed Files:  3\n"
						"  -- Pending Files:   0\n");
}

static void
status_after_rollback(void **state)
{
	Revision   *r;

	/* --tx-mode all failed in file 2: file 1 was rolled back with it */
	fake->ready = true;
	r = fake_add("2", REV_APPLIED, 0, 2, dir_find(&dir, "2")->hash);
	r->error = xstrdup("ERROR: boom");
	r->error_stmt = xstrdup("INSERT INTO b VALUES (1);");
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_string_equal(out,
						"Migration Status: PENDING\n"
						"  -- Current Version: No migration applied yet\n"
						"  -- Next Version:    1\n"
						"  -- Executed Files:  0\n"
						"  -- Pending Files:   3\n"
						"       1_v1.sql\n"
						"       2_v2.sql\n"
						"       3_v3.sql\n"
						"\n"
						"Last migration attempt had errors:\n"
						"  -- SQL:   INSERT INTO b VALUES (1);\n"
						"  -- ERROR: ERROR: boom\n");
	/* once file 1 is in, file 2 is next, with all its statements left */
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out, "  -- Current Version: 1\n  -- Next Version:    2 (2 statements left)\n"
					"  -- Executed Files:  1\n");
}

/* a leftover of an interrupted statement, as the PostgreSQL driver reads it */
static void
add_leftover(Revision *r, LeftoverAction action, const char *message, const char *detail,
			 const char *hint, const char *drop)
{
	Leftover   *l;

	r->leftovers = xrealloc(r->leftovers, sizeof(Leftover) * (r->nleftovers + 1));
	l = &r->leftovers[r->nleftovers++];
	l->action = action;
	l->message = xstrdup(message);
	l->detail = detail ? xstrdup(detail) : NULL;
	l->hint = hint ? xstrdup(hint) : NULL;
	l->drop = xstrdup(drop);
}

static void
status_and_dry_run_leftovers(void **state)
{
	Revision   *r;

	fake->ready = true;
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("2", REV_APPLIED, 2, 2, dir_find(&dir, "2")->hash);
	r = fake_add("3", REV_APPLIED, 0, 3, "h1:x");
	fake_set_partial(r, dir_find(&dir, "3"), 1);
	add_leftover(r, LEFTOVER_DROP,
				 "invalid index \"public.t_a\" left by an interrupted CREATE INDEX CONCURRENTLY",
				 "Statement 2 of version \"3\" created it and did not finish.", NULL,
				 "DROP INDEX CONCURRENTLY public.t_a");
	add_leftover(r, LEFTOVER_KEEP,
				 "invalid index \"public.t_old\" looks like what the interrupted CREATE INDEX CONCURRENTLY builds",
				 "It existed before statement 2 of version \"3\" was run.",
				 "If it is not needed, drop it with: DROP INDEX CONCURRENTLY public.t_old;",
				 "DROP INDEX CONCURRENTLY public.t_old");
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out,
					"       3_v3.sql\n"
					"  -- Leftover:        invalid index \"public.t_a\" left by an interrupted CREATE INDEX CONCURRENTLY\n"
					"                      Statement 2 of version \"3\" created it and did not finish.\n"
					"                      The next apply drops it, then runs the statement again.\n"
					"  -- Leftover:        invalid index \"public.t_old\" looks like what the interrupted CREATE INDEX CONCURRENTLY builds\n"
					"                      It existed before statement 2 of version \"3\" was run.\n"
					"                      The next apply leaves it in place. If it is not needed, drop it with: DROP INDEX CONCURRENTLY public.t_old;\n");

	/* the dry run shows the drop before the statements it would run again */
	opts.dry_run = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out,
					"    -- note: resuming: the first 1 statement ran before\n"
					"    -- dropping invalid index \"public.t_a\" left by an interrupted CREATE INDEX CONCURRENTLY\n"
					"    -> DROP INDEX CONCURRENTLY public.t_a\n"
					"    -- note: invalid index \"public.t_old\" looks like what the interrupted CREATE INDEX CONCURRENTLY builds; it is left in place\n"
					"    -> SELECT 2;\n    -> SELECT 3;\n");
	/* ... which is not a statement of the file */
	assert_contains(out, "  -- 2 sql statements\n");
	assert_string_equal(fake->executed.data, "");
	opts.json = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "\"statements\":[\"SELECT 2;\",\"SELECT 3;\"],\"notes\":[\"resuming: the first 1 statement ran before\","
					"\"dropping invalid index \\\"public.t_a\\\" left by an interrupted CREATE INDEX CONCURRENTLY\",");
	assert_contains(out, "\"cleanup\":[\"DROP INDEX CONCURRENTLY public.t_a\"]");
	opts.dry_run = false;
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out, "\"leftovers\":[{\"version\":\"3\",\"statement\":2,\"action\":\"drop\","
					"\"message\":\"invalid index \\\"public.t_a\\\" left by an interrupted CREATE INDEX CONCURRENTLY\",");
	assert_contains(out, "\"action\":\"keep\"");
	opts.json = false;

	/* one in the way that is not the statement's own: the apply would stop */
	r = row("3");
	r->leftovers[0].action = LEFTOVER_REFUSE;
	free(r->leftovers[0].message);
	r->leftovers[0].message = xstrdup("invalid index \"public.t_a\" is not what the interrupted statement left behind");
	r->leftovers[0].hint = xstrdup("If the index is not needed, drop it with: DROP INDEX CONCURRENTLY public.t_a; then run the command again.");
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out, "                      The next apply stops here. If the index is not needed, drop it with: "
					"DROP INDEX CONCURRENTLY public.t_a; then run the command again.\n");
	opts.dry_run = true;
	assert_int_equal(run(cmd_apply), EXIT_OK);
	assert_contains(out, "    -- note: the apply would stop here: invalid index \"public.t_a\" is not what the interrupted statement left behind\n"
					"    -- note: If the index is not needed, drop it with: DROP INDEX CONCURRENTLY public.t_a; then run the command again.\n");
	assert_null(strstr(out, "-> SELECT 2;"));
	assert_null(strstr(out, "-> DROP"));
}

static void
status_problem_and_json(void **state)
{
	fake->ready = true;
	fake_add("1", REV_APPLIED, 1, 1, dir_find(&dir, "1")->hash);
	fake_add("3", REV_APPLIED, 3, 3, dir_find(&dir, "3")->hash);
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out, "  -- Pending Files:   0 (1 out of order)\n");
	assert_contains(out, "  -- Problem:         migration file \"2_v2.sql\" was added out of order\n");

	opts.json = true;
	assert_int_equal(run(cmd_status), EXIT_OK);
	assert_contains(out, "{\"command\":\"status\",\"driver\":\"fake\"");
	assert_contains(out, "\"status\":\"OK\",\"current\":\"3\",\"next\":null,\"executed\":2");
	assert_contains(out, "\"problem\":\"migration file \\\"2_v2.sql\\\" was added out of order\"");
	assert_contains(out, "\"revisions\":[{\"version\":\"1\"");
	assert_contains(out, ",\"error\":null}\n");
}

/* ---- run_command: set, tag, missing drivers ----------------------------- */

static bool
no_driver(Dialect dialect, Driver *d)
{
	log_error("this client was built without the %s driver", dialect_name(dialect));
	return false;
}

static int
run_cli(DriverFactory factory, Command cmd, const char *arg, const char *dirpath)
{
	CliArgs		a;
	char	   *buf = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&buf, &len);
	int			rc;

	memset(&a, 0, sizeof(a));
	a.command = cmd;
	a.arg = arg;
	a.opts = opts;
	a.dir_path = (char *) dirpath;
	a.dir_format = FORMAT_AUTO;
	a.url.dialect = DIALECT_POSTGRES;
	a.url.redacted = "postgres://h/db";
	a.have_url = true;
	free(out);
	free(err);
	sb_free(&fake->calls);
	sb_init(&fake->calls);
	tu_log_start();
	rc = run_command(&a, factory, f);
	err = tu_log_stop();
	fclose(f);
	out = buf;
	return rc;
}

static char *
disk_dir(void)
{
	char	   *d = tu_mkdir();
	DirEntry   *e;
	int			n;
	DirFormat	fmt = FORMAT_AUTO;

	tu_write(d, "1_a.sql", "CREATE TABLE a (x int);\n");
	tu_write(d, "2_b.sql", "CREATE TABLE b (x int);\n");
	assert_int_equal(dir_list(d, &fmt, &e, &n), 0);
	assert_int_equal(sum_write_dir(d, e, n), 0);
	dir_entries_free(e, n);
	return d;
}

static void
set_and_tag(void **state)
{
	char	   *d = disk_dir();

	assert_int_equal(run_cli(fake_factory, CMD_SET, "2", d), EXIT_OK);
	assert_string_equal(fake->calls.data, "connect prepare(1) lock(10000) set(2) unlock close");
	assert_string_equal(out, "Current version is 2\n");
	assert_int_equal(run_cli(fake_factory, CMD_SET, "5", d), EXIT_ERROR);
	assert_contains(err, "version \"5\" not found in the migration directory");
	assert_null(strstr(fake->calls.data, "set("));

	/* tagging needs an applied version */
	assert_int_equal(run_cli(fake_factory, CMD_TAG, "v1", d), EXIT_ERROR);
	assert_contains(err, "cannot tag: no migration has been applied");
	fake_add("1", REV_APPLIED, 1, 1, "h1:x");
	assert_int_equal(run_cli(fake_factory, CMD_TAG, "v1", d), EXIT_OK);
	assert_string_equal(fake->calls.data, "connect prepare(0) lock(10000) read tag(v1) unlock close");
	assert_string_equal(out, "Tagged version 1 as \"v1\"\n");
	tu_rmdir(d);
}

static void
missing_driver_and_directory(void **state)
{
	char	   *d = disk_dir();

	assert_int_equal(run_cli(no_driver, CMD_APPLY, NULL, d), EXIT_ERROR);
	assert_contains(err, "built without the postgres driver");
	/* a tampered directory stops the command before the driver is made */
	tu_write(d, "2_b.sql", "DROP TABLE a;\n");
	assert_int_equal(run_cli(fake_factory, CMD_APPLY, NULL, d), EXIT_ERROR);
	assert_contains(err, "File \"2_b.sql\" was edited.");
	assert_string_equal(fake->calls.data, "");
	/* down needs no directory when none is there */
	assert_int_equal(run_cli(fake_factory, CMD_DOWN, NULL, "/nonexistent/migrations"), EXIT_OK);
	assert_contains(fake->calls.data, "prepare(0)");
	tu_rmdir(d);
}

static void
apply_through_run_command(void **state)
{
	char	   *d = disk_dir();

	assert_int_equal(run_cli(fake_factory, CMD_APPLY, NULL, d), EXIT_OK);
	assert_contains(fake->calls.data, "apply(1,file,0) apply(2,file,0)");
	assert_int_equal(run_cli(fake_factory, CMD_STATUS, NULL, d), EXIT_OK);
	assert_contains(out, "Migration Status: OK\n  -- Current Version: 2\n");
	tu_rmdir(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(apply_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_from_version, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_amount_and_to_version, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_dirty_database, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_baseline, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_dry_run_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_file_mode_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_none_mode_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_refuses_changed_history, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_refuses_edited_file, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_all_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_all_mode_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_directives, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_lock_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_connection_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_json, setup, teardown),
		cmocka_unit_test_setup_teardown(down_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(down_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(down_check_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(status_text, setup, teardown),
		cmocka_unit_test_setup_teardown(status_after_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(status_problem_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(status_and_dry_run_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(set_and_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_driver_and_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(apply_through_run_command, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
