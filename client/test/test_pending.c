/*-------------------------------------------------------------------------
 *
 * test_pending.c
 *	  cmocka tests of the pending-file computation (client/pending.c).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_pending.c
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

/* files 1..4; version 3 has three statements */
static int
setup(void **state)
{
	fake_reset();
	mem_dir_init(&dir);
	mem_dir_add(&dir, "1", "CREATE TABLE a (x int);");
	mem_dir_add(&dir, "2", "CREATE TABLE b (x int);");
	mem_dir_add(&dir, "3", "SELECT 1;\nSELECT 2;\nSELECT 3;");
	mem_dir_add(&dir, "4", "CREATE TABLE d (x int);");
	memset(&opts, 0, sizeof(opts));
	return 0;
}

static int
teardown(void **state)
{
	dir_free(&dir);
	return 0;
}

static const char *
hash_of(const char *version)
{
	return dir_find(&dir, version)->hash;
}

static void
compute(PendingPlan *p)
{
	revisions_sort(&fake->revs);
	pending_compute(&dir, &fake->revs, &opts, p);
}

static void
assert_pending(const PendingPlan *p, const char *const *versions)
{
	int			n = 0;

	while (versions[n])
		n++;
	if (p->error)
		fail_msg("unexpected plan error: %s", p->error);
	assert_int_equal(p->n, n);
	for (n = 0; n < p->n; n++)
		assert_string_equal(p->items[n].file->version, versions[n]);
}

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOTHING ((const char *const[]){NULL})

static void
fresh_database(void **state)
{
	PendingPlan p;

	compute(&p);
	assert_pending(&p, V("1", "2", "3", "4"));
	assert_null(p.current);
	assert_true(p.needs_clean_check);
	assert_int_equal(p.executed, 0);
	pending_free(&p);

	opts.allow_dirty = true;
	compute(&p);
	assert_false(p.needs_clean_check);
	assert_pending(&p, V("1", "2", "3", "4"));
	pending_free(&p);
}

static void
baseline(void **state)
{
	PendingPlan p;

	opts.baseline = "2";
	compute(&p);
	assert_pending(&p, V("3", "4"));
	assert_string_equal(p.baseline, "2");
	assert_string_equal(p.current, "2");
	assert_false(p.needs_clean_check);
	pending_free(&p);

	opts.baseline = "9";
	compute(&p);
	assert_non_null(p.error);
	assert_contains(p.error, "baseline version \"9\" not found");
	pending_free(&p);

	/* with revisions, the baseline is ignored */
	opts.baseline = "3";
	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	compute(&p);
	assert_null(p.baseline);
	assert_pending(&p, V("2", "3", "4"));
	pending_free(&p);
}

static void
applied_history(void **state)
{
	PendingPlan p;

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("2", REV_APPLIED, 1, 1, hash_of("2"));
	compute(&p);
	assert_pending(&p, V("3", "4"));
	assert_string_equal(p.current, "2");
	assert_int_equal(p.executed, 2);
	assert_false(p.needs_clean_check);
	assert_null(p.partial);
	pending_free(&p);

	/* a baseline row covers every file up to it and is not "executed" */
	fake_reset();
	fake_add("2", REV_BASELINE, 0, 0, NULL);
	compute(&p);
	assert_pending(&p, V("3", "4"));
	assert_int_equal(p.executed, 0);
	assert_int_equal(p.out_of_order, 0);
	pending_free(&p);

	/* rows set by hand are complete, whatever their counts */
	fake_reset();
	fake_add("1", REV_SET, 0, 0, NULL);
	fake_add("2", REV_SET, 0, 0, NULL);
	fake_add("3", REV_SET, 0, 0, NULL);
	compute(&p);
	assert_pending(&p, V("4"));
	assert_string_equal(p.current, "3");
	pending_free(&p);
}

static void
edited_file(void **state)
{
	PendingPlan p;

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("2", REV_APPLIED, 1, 1, "h1:somethingelse");
	compute(&p);
	assert_non_null(p.error);
	assert_string_equal(p.error, "migration file \"2_v2.sql\" was changed after it was applied");
	assert_contains(p.error_detail, "h1:somethingelse");
	assert_non_null(p.error_hint);
	pending_free(&p);
}

static void
partial_resume(void **state)
{
	PendingPlan p;
	Revision   *r;

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("2", REV_APPLIED, 1, 1, hash_of("2"));
	r = fake_add("3", REV_APPLIED, 0, 3, hash_of("3"));
	fake_set_partial(r, dir_find(&dir, "3"), 1);
	r->error = xstrdup("ERROR: boom");
	r->error_stmt = xstrdup("SELECT 2;");
	compute(&p);
	assert_pending(&p, V("3", "4"));
	assert_int_equal(p.items[0].start, 1);
	assert_non_null(p.items[0].rev);
	assert_string_equal(p.partial->version, "3");
	assert_string_equal(p.current, "2");
	assert_string_equal(p.last_error->version, "3");
	pending_free(&p);

	/* a failed file (nothing applied) starts over */
	r->applied = 0;
	compute(&p);
	assert_pending(&p, V("3", "4"));
	assert_int_equal(p.items[0].start, 0);
	pending_free(&p);
}

static void
partial_history_changed(void **state)
{
	PendingPlan p;
	Revision   *r;
	MigrationFile *f3 = &dir.files[2];

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("2", REV_APPLIED, 1, 1, hash_of("2"));
	r = fake_add("3", REV_APPLIED, 0, 3, "h1:old");
	fake_set_partial(r, f3, 2);

	/* editing statements after the applied ones is fine */
	free(f3->stmts.items[2].text);
	f3->stmts.items[2].text = xstrdup("SELECT 33;");
	compute(&p);
	assert_null(p.error);
	assert_int_equal(p.items[0].start, 2);
	pending_free(&p);

	/* editing an applied one is not */
	free(f3->stmts.items[1].text);
	f3->stmts.items[1].text = xstrdup("SELECT 22;");
	compute(&p);
	assert_non_null(p.error);
	assert_string_equal(p.error, "history changed: statement 2 of \"3_v3.sql\" changed since it was applied");
	assert_contains(p.error_detail, "line 2");
	pending_free(&p);

	/* fewer statements than were applied */
	r->applied = 5;
	r->total = 6;
	compute(&p);
	assert_contains(p.error, "has 3 statements, but 5 of them were applied");
	pending_free(&p);

	/* hashes missing */
	r->applied = 2;
	r->total = 3;
	r->npartial = 1;
	compute(&p);
	assert_contains(p.error, "cannot resume migration file \"3_v3.sql\"");
	r->npartial = 2;
	pending_free(&p);
}

static void
partial_without_file(void **state)
{
	PendingPlan p;

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("7", REV_APPLIED, 1, 4, "h1:x");
	compute(&p);
	assert_non_null(p.error);
	assert_contains(p.error, "version 7 is partially applied, but its file is not in the migration directory");
	pending_free(&p);
}

/* a file renamed after it was applied must not run a second time */
static void
renamed_file(void **state)
{
	PendingPlan p;
	char		h4[64];

	/* version 9 was applied from the content that file 4 now holds */
	strcpy(h4, hash_of("4"));
	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("2", REV_APPLIED, 1, 1, hash_of("2"));
	fake_add("3", REV_APPLIED, 3, 3, hash_of("3"));
	fake_add("9", REV_APPLIED, 1, 1, h4);
	compute(&p);
	assert_non_null(p.error);
	assert_string_equal(p.error, "migration file \"4_v4.sql\" has the content of applied version 9, whose file is missing");
	assert_contains(p.error_detail, "a second time");
	pending_free(&p);

	/* once file 9 is back (same content as file 4), 4 is only out of order */
	mem_dir_add(&dir, "9", "CREATE TABLE d (x int);");
	compute(&p);
	assert_non_null(p.error);
	assert_string_equal(p.error, "migration file \"4_v4.sql\" was added out of order");
	pending_free(&p);
	opts.exec_order = EXEC_LINEAR_SKIP;
	compute(&p);
	assert_null(p.error);
	assert_int_equal(p.skipped, 1);
	pending_free(&p);
}

static void
out_of_order(void **state)
{
	PendingPlan p;

	fake_add("1", REV_APPLIED, 1, 1, hash_of("1"));
	fake_add("3", REV_APPLIED, 3, 3, hash_of("3"));

	opts.exec_order = EXEC_LINEAR;
	compute(&p);
	assert_non_null(p.error);
	assert_string_equal(p.error, "migration file \"2_v2.sql\" was added out of order");
	assert_contains(p.error_detail, "at version 3");
	assert_contains(p.error_hint, "--exec-order non-linear");
	assert_int_equal(p.out_of_order, 1);
	pending_free(&p);

	opts.exec_order = EXEC_LINEAR_SKIP;
	compute(&p);
	assert_pending(&p, V("4"));
	assert_int_equal(p.skipped, 1);
	pending_free(&p);

	opts.exec_order = EXEC_NON_LINEAR;
	compute(&p);
	assert_pending(&p, V("2", "4"));
	assert_true(p.items[0].out_of_order);
	assert_false(p.items[1].out_of_order);
	pending_free(&p);
}

static void
limits(void **state)
{
	PendingPlan p;

	opts.allow_dirty = true;
	opts.amount = 2;
	compute(&p);
	assert_pending(&p, V("1", "2"));
	pending_free(&p);

	opts.amount = 0;
	opts.to_version = "3";
	compute(&p);
	assert_pending(&p, V("1", "2", "3"));
	pending_free(&p);

	opts.to_version = "3.5";
	compute(&p);
	assert_non_null(p.error);
	assert_contains(p.error, "version \"3.5\" not found");
	pending_free(&p);
}

static void
natural_order_of_revisions(void **state)
{
	PendingPlan p;

	teardown(state);
	mem_dir_init(&dir);
	mem_dir_add(&dir, "9", "SELECT 9;");
	mem_dir_add(&dir, "10", "SELECT 10;");
	mem_dir_add(&dir, "11", "SELECT 11;");
	/* the driver returns rows in text order: "10" < "9" */
	fake_add("10", REV_APPLIED, 1, 1, hash_of("10"));
	fake_add("9", REV_APPLIED, 1, 1, hash_of("9"));
	compute(&p);
	assert_string_equal(fake->revs.items[0].version, "9");
	assert_string_equal(p.current, "10");
	assert_pending(&p, V("11"));
	pending_free(&p);
}

static void
errors_of_set_rows_are_settled(void **state)
{
	PendingPlan p;
	Revision   *r;

	r = fake_add("1", REV_APPLIED | REV_SET, 0, 1, hash_of("1"));
	r->error = xstrdup("old failure");
	compute(&p);
	assert_null(p.last_error);
	assert_null(p.partial);
	assert_string_equal(p.current, "1");
	pending_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fresh_database, setup, teardown),
		cmocka_unit_test_setup_teardown(baseline, setup, teardown),
		cmocka_unit_test_setup_teardown(applied_history, setup, teardown),
		cmocka_unit_test_setup_teardown(edited_file, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_history_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_without_file, setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_file, setup, teardown),
		cmocka_unit_test_setup_teardown(out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(limits, setup, teardown),
		cmocka_unit_test_setup_teardown(natural_order_of_revisions, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_of_set_rows_are_settled, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
