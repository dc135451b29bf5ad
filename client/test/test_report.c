/*-------------------------------------------------------------------------
 *
 * test_report.c
 *	  cmocka tests of the output (client/report.c): text layout, plurals,
 *	  multi-line statements and errors, JSON escaping.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_report.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

static char *buf;
static size_t len;
static FILE *f;

static Reporter *
start(bool json, bool dry_run, ReportKind kind)
{
	buf = NULL;
	f = open_memstream(&buf, &len);
	return reporter_new(f, json, dry_run, kind);
}

static char *
finish(Reporter *r, int64_t ns)
{
	report_finish(r, ns);
	reporter_free(r);
	fclose(f);
	return buf;
}

static void
apply_text(void **state)
{
	Reporter   *r = start(false, false, REPORT_APPLY);
	char	   *s;

	report_apply_header(r, "1", "2", 1);
	report_group(r, "checks before migrating version 2");
	report_check(r, "SELECT true;");
	report_group_ok(r, 624004);
	report_group(r, "migrating version 2");
	report_stmt(r, "CREATE TABLE t (\n  a int\n);");
	report_note(r, "something worth knowing");
	report_group_ok(r, 5412737);
	s = finish(r, 22138088);
	assert_string_equal(s,
						"Migrating to version 2 from 1 (1 migrations in total):\n"
						"\n"
						"  -- checks before migrating version 2\n"
						"    -> SELECT true;\n"
						"  -- ok (624.004µs)\n"
						"\n"
						"  -- migrating version 2\n"
						"    -> CREATE TABLE t (\n"
						"         a int\n"
						"       );\n"
						"    -- note: something worth knowing\n"
						"  -- ok (5.412737ms)\n"
						"\n"
						"  -------------------------\n"
						"  -- 22.138088ms\n"
						"  -- 1 migration\n"
						"  -- 1 check\n"
						"  -- 1 sql statement\n");
	free(s);
}

static void
errors_text(void **state)
{
	Reporter   *r = start(false, false, REPORT_APPLY);
	char	   *s;

	report_apply_header(r, NULL, "3", 2);
	report_group(r, "migrating version 2");
	report_stmt(r, "SELECT 1;");
	report_group_ok(r, 1000);
	report_group(r, "migrating version 3");
	report_stmt(r, "SELECT 2;");
	/* the failing statement differs from the last reported: shown too */
	report_group_error(r, "SELECT x;", "ERROR:  column \"x\" does not exist\nLINE 1: SELECT x;");
	assert_int_equal(reporter_failures(r), 1);
	s = finish(r, 2000000);
	assert_contains(s, "    -> SELECT 2;\n    -> SELECT x;\n"
					"  -- error: ERROR:  column \"x\" does not exist\n     LINE 1: SELECT x;\n");
	assert_contains(s, "  -- 1 migration ok, 1 with errors\n");
	assert_contains(s, "  -- 2 sql statements ok, 1 with errors\n");
	free(s);

	/* all failed */
	r = start(false, false, REPORT_APPLY);
	report_apply_header(r, NULL, "1", 1);
	report_group(r, "migrating version 1");
	report_stmt(r, "SELECT 1;");
	report_group_error(r, "SELECT 1;", "boom");
	s = finish(r, 1);
	assert_contains(s, "    -> SELECT 1;\n  -- error: boom\n");
	assert_contains(s, "  -- 1 migration with errors\n  -- 1 sql statement with errors\n");
	free(s);
}

static void
down_text(void **state)
{
	Reporter   *r = start(false, false, REPORT_DOWN);
	char	   *s;

	report_down_header(r, "3", "1", 2);
	report_group(r, "reverting version 3");
	report_stmt(r, "DROP TABLE a");
	report_group_ok(r, 10);
	report_group(r, "reverting version 2");
	report_stmt(r, "DROP TABLE b");
	report_stmt(r, "DROP TABLE c");
	report_group_ok(r, 20);
	s = finish(r, 100);
	assert_string_equal(s,
						"Migrating down from version 3 to 1 (2 migrations in total):\n"
						"\n"
						"  -- reverting version 3\n"
						"    -> DROP TABLE a\n"
						"  -- ok (10ns)\n"
						"\n"
						"  -- reverting version 2\n"
						"    -> DROP TABLE b\n"
						"    -> DROP TABLE c\n"
						"  -- ok (20ns)\n"
						"\n"
						"  -------------------------\n"
						"  -- 100ns\n"
						"  -- 2 migrations\n"
						"  -- 3 sql statements\n");
	free(s);

	r = start(false, false, REPORT_DOWN);
	report_down_header(r, "1", NULL, 1);
	s = finish(r, 1);
	assert_contains(s, "Migrating down from version 1 to the state before the first migration (1 migration in total):\n");
	free(s);
}

static void
json_escaping(void **state)
{
	StrBuf		sb;

	sb_init(&sb);
	json_string(&sb, "a\"b\\c\nd\te\x01" "f é");
	assert_string_equal(sb.data, "\"a\\\"b\\\\c\\nd\\te\\u0001f é\"");
	sb_free(&sb);
	sb_init(&sb);
	json_string(&sb, NULL);
	assert_string_equal(sb.data, "null");
	sb_free(&sb);
}

static void
json_document(void **state)
{
	Reporter   *r = start(true, true, REPORT_DOWN);
	char	   *s;

	reporter_set(r, "command", "down");
	report_down_header(r, "2", "1", 1);
	report_group(r, "reverting version 2");
	report_stmt(r, "DROP TABLE \"t\"");
	report_note(r, "data of \"t\" is archived");
	report_group_ok(r, 0);
	reporter_set_error(r, NULL);
	s = finish(r, 5);
	/* nothing was printed before the document, and it is one line */
	assert_int_equal(s[0], '{');
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	assert_contains(s, "{\"command\":\"down\",\"current\":\"2\",\"target\":\"1\",\"total\":1,\"dry_run\":true");
	assert_contains(s, "\"statements\":[\"DROP TABLE \\\"t\\\"\"]");
	assert_contains(s, "\"notes\":[\"data of \\\"t\\\" is archived\"]");
	assert_contains(s, "\"status\":\"planned\"");
	assert_contains(s, "\"elapsed_ns\":5,\"elapsed\":\"5ns\",\"error\":null}");
	free(s);
}

static void
nothing(void **state)
{
	Reporter   *r = start(false, false, REPORT_APPLY);
	char	   *s;

	report_nothing(r, "No migration files to execute");
	s = finish(r, 1);
	/* no header: no footer either */
	assert_string_equal(s, "No migration files to execute\n");
	free(s);
}

static void
echo(void **state)
{
	Options		o;
	Driver		d;
	char	   *log;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	d.opts = &o;
	tu_log_start();
	log_echo(&d, "SELECT 1");
	o.echo = true;
	log_echo(&d, "SELECT 2");
	log_echo(NULL, "SELECT 3");
	log = tu_log_stop();
	assert_string_equal(log, "SELECT 2\n");
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply_text),
		cmocka_unit_test(errors_text),
		cmocka_unit_test(down_text),
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(json_document),
		cmocka_unit_test(nothing),
		cmocka_unit_test(echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
