/*-------------------------------------------------------------------------
 *
 * test_split.c
 *	  cmocka tests of the statement splitter (client/split.c).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_split.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"

#define PG DIALECT_POSTGRES
#define MY DIALECT_MYSQL
#define LITE DIALECT_SQLITE

/* split and compare with the expected texts (NULL-terminated) and lines */
static void
check(Dialect d, const char *delim, const char *sql, const char *const *texts,
	  const int *lines)
{
	StmtList	l;
	SplitError	err;
	int			n = 0,
				k;

	while (texts[n])
		n++;
	if (split_sql(sql, strlen(sql), d, delim, 1, &l, &err) != 0)
		fail_msg("unexpected error at line %d: %s\ninput: %s", err.line, err.msg, sql);
	if (l.n != n)
	{
		for (k = 0; k < l.n; k++)
			print_message("got [%d] line %d: %s\n", k, l.items[k].line, l.items[k].text);
		fail_msg("expected %d statements, got %d, input: %s", n, l.n, sql);
	}
	for (k = 0; k < n; k++)
	{
		assert_string_equal(l.items[k].text, texts[k]);
		if (lines)
			assert_int_equal(l.items[k].line, lines[k]);
	}
	stmtlist_free(&l);
}

#define S(...) ((const char *const[]){__VA_ARGS__, NULL})
#define L(...) ((const int[]){__VA_ARGS__})
#define NONE ((const char *const[]){NULL})

static void
check_error(Dialect d, const char *sql, size_t len, int line, const char *msg)
{
	StmtList	l;
	SplitError	err;

	if (split_sql(sql, len, d, NULL, 1, &l, &err) == 0)
		fail_msg("expected an error for: %s (got %d statements)", sql, l.n);
	assert_int_equal(err.line, line);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, msg);
	assert_null(l.items);
}

#define ERR(d, sql, line, msg) check_error(d, sql, strlen(sql), line, msg)

/* ---- PostgreSQL -------------------------------------------------------- */

static void
pg_basic(void **state)
{
	check(PG, NULL, "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);",
		  S("CREATE TABLE a (x int);", "INSERT INTO a VALUES (1);"), L(1, 2));
	/* text after the last delimiter is a statement; the ';' is kept */
	check(PG, NULL, "SELECT 1; SELECT 2", S("SELECT 1;", "SELECT 2"), L(1, 1));
	/* multi-line statements keep their inner newlines and their first line */
	check(PG, NULL, "\n\nSELECT 1,\n  2;\n\nSELECT 3;\n",
		  S("SELECT 1,\n  2;", "SELECT 3;"), L(3, 6));
}

static void
pg_strings(void **state)
{
	check(PG, NULL, "SELECT 'a;b'; SELECT 'it''s;';", S("SELECT 'a;b';", "SELECT 'it''s;';"), NULL);
	/* E'' strings take backslash escapes */
	check(PG, NULL, "SELECT E'a\\';b'; SELECT 2;", S("SELECT E'a\\';b';", "SELECT 2;"), NULL);
	check(PG, NULL, "SELECT e'\\\\'; SELECT 2;", S("SELECT e'\\\\';", "SELECT 2;"), NULL);
	/* standard strings do not: the backslash is an ordinary character */
	check(PG, NULL, "SELECT 'a\\'; SELECT 2;", S("SELECT 'a\\';", "SELECT 2;"), NULL);
	/* a word ending in E is not an E'' prefix */
	check(PG, NULL, "SELECT some'a\\'; SELECT 2;", S("SELECT some'a\\';", "SELECT 2;"), NULL);
	/* U&'' strings: quote doubling only */
	check(PG, NULL, "SELECT U&'d\\0061t;a'; SELECT 1;", S("SELECT U&'d\\0061t;a';", "SELECT 1;"), NULL);
	check(PG, NULL, "SELECT X'1f', B'101;';", S("SELECT X'1f', B'101;';"), NULL);
}

static void
pg_identifiers(void **state)
{
	check(PG, NULL, "CREATE TABLE \"a;b\" (\"x\"\"y;\" int); SELECT 1;",
		  S("CREATE TABLE \"a;b\" (\"x\"\"y;\" int);", "SELECT 1;"), NULL);
	/* backticks mean nothing to PostgreSQL */
	check(PG, NULL, "SELECT `a; SELECT b`;", S("SELECT `a;", "SELECT b`;"), NULL);
}

static void
pg_dollar(void **state)
{
	check(PG, NULL,
		  "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;",
		  S("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;", "SELECT 2;"),
		  L(1, 2));
	check(PG, NULL,
		  "DO $body$ BEGIN PERFORM $$;$$; RAISE NOTICE ';'; END $body$;\nSELECT 1;",
		  S("DO $body$ BEGIN PERFORM $$;$$; RAISE NOTICE ';'; END $body$;", "SELECT 1;"), NULL);
	/* a closing tag must match exactly */
	check(PG, NULL, "SELECT $a$ $b$; $A$ ; $a$; SELECT 1;",
		  S("SELECT $a$ $b$; $A$ ; $a$;", "SELECT 1;"), NULL);
	/* $ inside identifiers and positional parameters are not quotes */
	check(PG, NULL, "SELECT a$b$ FROM t; PREPARE p AS SELECT $1; EXECUTE p(1);",
		  S("SELECT a$b$ FROM t;", "PREPARE p AS SELECT $1;", "EXECUTE p(1);"), NULL);
	/* dollar quote spanning lines: the line count goes on */
	check(PG, NULL, "SELECT $$\n;\n;\n$$;\nSELECT 2;", S("SELECT $$\n;\n;\n$$;", "SELECT 2;"), L(1, 5));
}

static void
pg_comments(void **state)
{
	check(PG, NULL, "-- c;\nSELECT 1; /* x; /* nested; */ y; */ SELECT 2;",
		  S("SELECT 1;", "SELECT 2;"), L(2, 2));
	/* comments inside a statement stay in its text */
	check(PG, NULL, "SELECT 1 -- one;\n + 1;", S("SELECT 1 -- one;\n + 1;"), NULL);
	check(PG, NULL, "SELECT /* ; */ 1;", S("SELECT /* ; */ 1;"), NULL);
	/* comments-only input has no statements */
	check(PG, NULL, "-- nothing here\n/* nor here; */\n  \n", NONE, NULL);
	check(PG, NULL, "", NONE, NULL);
}

static void
pg_begin_atomic(void **state)
{
	check(PG, NULL,
		  "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n"
		  "  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND;\nSELECT 3;",
		  S("CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n"
			"  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND;", "SELECT 3;"), L(1, 6));
	check(PG, NULL,
		  "create or replace procedure p() language sql begin atomic insert into t values (1); end;",
		  S("create or replace procedure p() language sql begin atomic insert into t values (1); end;"),
		  NULL);
	/* transaction control outside routines splits normally */
	check(PG, NULL, "BEGIN; SELECT 1; END;", S("BEGIN;", "SELECT 1;", "END;"), NULL);
	/* a qualified name "x.end" is not the END keyword */
	check(PG, NULL,
		  "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.end FROM t; END; SELECT 1;",
		  S("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.end FROM t; END;",
			"SELECT 1;"), NULL);
}

static void
pg_parentheses(void **state)
{
	check(PG, NULL,
		  "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1;",
		  S("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));",
			"SELECT 1;"), NULL);
	/* parentheses inside strings and comments do not count */
	check(PG, NULL, "SELECT '(' /* ( */ ; SELECT ')';", S("SELECT '(' /* ( */ ;", "SELECT ')';"), NULL);
}

static void
pg_layout(void **state)
{
	/* CR LF: trimmed at the ends, kept inside, one line each */
	check(PG, NULL, "SELECT 1;\r\nSELECT\r\n2;\r\n", S("SELECT 1;", "SELECT\r\n2;"), L(1, 2));
	/* a UTF-8 byte order mark is skipped */
	check(PG, NULL, "\xEF\xBB\xBFSELECT 1;", S("SELECT 1;"), L(1));
	/* empty statements vanish */
	check(PG, NULL, ";;; SELECT 1;; ;", S("SELECT 1;"), NULL);
	/* non-ASCII text passes through */
	check(PG, NULL, "SELECT 'é;ü' AS \"naïve\";", S("SELECT 'é;ü' AS \"naïve\";"), NULL);
}

static void
pg_first_line(void **state)
{
	StmtList	l;
	SplitError	err;
	const char *sql = "SELECT 1;\n\nSELECT 2;";

	assert_int_equal(split_sql(sql, strlen(sql), PG, NULL, 10, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].line, 10);
	assert_int_equal(l.items[1].line, 12);
	stmtlist_free(&l);
	assert_int_equal(split_sql("SELECT 'x", 9, PG, NULL, 7, &l, &err), -1);
	assert_int_equal(err.line, 7);
}

static void
pg_not_nul_terminated(void **state)
{
	/* the splitter reads only len bytes */
	char		buf[16];
	StmtList	l;
	SplitError	err;

	memcpy(buf, "SELECT 1;SELECT 'xxxxx", 16);
	assert_int_equal(split_sql(buf, 9, PG, NULL, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].text, "SELECT 1;");
	stmtlist_free(&l);
	/* a dollar quote whose closing tag lies beyond len is unterminated */
	memcpy(buf, "SELECT $$ x $$;", 16);
	assert_int_equal(split_sql(buf, 13, PG, NULL, 1, &l, &err), -1);
}

static void
custom_delimiter(void **state)
{
	/* a custom delimiter is removed from the text */
	check(PG, "//", "SELECT 1; SELECT 2//\nSELECT 3//", S("SELECT 1; SELECT 2", "SELECT 3"), L(1, 2));
	/* a word delimiter must stand alone */
	check(PG, "GO", "SELECT 1\nGO\nSELECT GOOD, ALGO\nGO\n", S("SELECT 1", "SELECT GOOD, ALGO"), L(1, 3));
	/* a delimiter holding a newline */
	check(PG, "\nGO", "SELECT 1;\nGO\nSELECT 2;\nGO", S("SELECT 1;", "SELECT 2;"), L(1, 3));
	/* a delimiter that looks like a comment is still a delimiter */
	check(PG, "-- end", "SELECT 1 -- end\nSELECT 2", S("SELECT 1", "SELECT 2"), L(1, 2));
	/* quotes still protect the delimiter */
	check(MY, "$$", "SELECT '$$' $$ SELECT 2 $$", S("SELECT '$$'", "SELECT 2"), NULL);
}

/* ---- MySQL / MariaDB ---------------------------------------------------- */

static void
mysql_delimiter_command(void **state)
{
	check(MY, NULL,
		  "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\nSELECT 3;",
		  S("CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3;"), L(2, 4));
	check(MY, NULL, "delimiter $$\nSELECT 1; SELECT 2$$\ndelimiter ;\nSELECT 3;",
		  S("SELECT 1; SELECT 2", "SELECT 3;"), L(2, 4));
	check(MY, NULL, "DELIMITER '%%'\nSELECT 1%%\nDELIMITER ;\r\nSELECT 2;",
		  S("SELECT 1", "SELECT 2;"), NULL);
	/* "delimiter" as an identifier inside a statement is not the command */
	check(MY, NULL, "SELECT delimiter FROM t;", S("SELECT delimiter FROM t;"), NULL);
}

static void
mysql_strings(void **state)
{
	check(MY, NULL, "SELECT 'a\\';b'; SELECT \"x\\\";y\"; SELECT 'c''d;';",
		  S("SELECT 'a\\';b';", "SELECT \"x\\\";y\";", "SELECT 'c''d;';"), NULL);
	check(MY, NULL, "CREATE TABLE `a;b` (`x``y` int); SELECT 1;",
		  S("CREATE TABLE `a;b` (`x``y` int);", "SELECT 1;"), NULL);
}

static void
mysql_comments(void **state)
{
	check(MY, NULL, "# c;\nSELECT 1; -- c;\nSELECT 2;", S("SELECT 1;", "SELECT 2;"), L(2, 3));
	/* "--" without a following blank is two minus signs */
	check(MY, NULL, "SELECT 1--1;\nSELECT 2;", S("SELECT 1--1;", "SELECT 2;"), NULL);
	/* comments do not nest in MySQL */
	check(MY, NULL, "/* a /* b */ SELECT 1;", S("SELECT 1;"), NULL);
	/* # is no comment in PostgreSQL */
	check(PG, NULL, "SELECT 1 # 2; SELECT 3;", S("SELECT 1 # 2;", "SELECT 3;"), NULL);
}

static void
mysql_compound(void **state)
{
	check(MY, NULL,
		  "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
		  "  IF NEW.a > 0 THEN SET NEW.b = 1; END IF;\nEND;\nSELECT 1;",
		  S("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
			"  IF NEW.a > 0 THEN SET NEW.b = 1; END IF;\nEND;", "SELECT 1;"), L(1, 4));
	check(MY, NULL,
		  "CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; "
		  "lbl: LOOP SET i = i + 1; IF i > 3 THEN LEAVE lbl; END IF; END LOOP lbl; "
		  "WHILE i > 0 DO SET i = i - 1; END WHILE; "
		  "REPEAT SET i = i + 1; UNTIL i > 2 END REPEAT; "
		  "CASE i WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE; "
		  "SELECT CASE WHEN i = 1 THEN 'a' ELSE 'b' END; END; SELECT 9;",
		  S("CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; "
			"lbl: LOOP SET i = i + 1; IF i > 3 THEN LEAVE lbl; END IF; END LOOP lbl; "
			"WHILE i > 0 DO SET i = i - 1; END WHILE; "
			"REPEAT SET i = i + 1; UNTIL i > 2 END REPEAT; "
			"CASE i WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE; "
			"SELECT CASE WHEN i = 1 THEN 'a' ELSE 'b' END; END;", "SELECT 9;"), NULL);
	/* MariaDB anonymous block */
	check(MY, NULL, "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
		  S("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END;", "SELECT 3;"), NULL);
	/* a transaction is not a block */
	check(MY, NULL, "BEGIN; INSERT INTO t VALUES (1); COMMIT;",
		  S("BEGIN;", "INSERT INTO t VALUES (1);", "COMMIT;"), NULL);
	/* a CASE expression outside routines is just balanced */
	check(MY, NULL, "CREATE VIEW v AS SELECT CASE WHEN a THEN 1 END AS c FROM t; SELECT 1;",
		  S("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 END AS c FROM t;", "SELECT 1;"), NULL);
}

/* ---- SQLite ------------------------------------------------------------ */

static void
sqlite_trigger(void **state)
{
	check(LITE, NULL,
		  "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (new.x);\n"
		  "  UPDATE c SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;\nEND;\nSELECT 1;",
		  S("CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (new.x);\n"
			"  UPDATE c SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;\nEND;", "SELECT 1;"), L(1, 5));
	check(LITE, NULL, "CREATE TABLE [a;b] (x); SELECT `c;d`; SELECT \"e;f\";",
		  S("CREATE TABLE [a;b] (x);", "SELECT `c;d`;", "SELECT \"e;f\";"), NULL);
	/* BEGIN TRANSACTION is not a block */
	check(LITE, NULL, "BEGIN TRANSACTION; SELECT 1; END TRANSACTION;",
		  S("BEGIN TRANSACTION;", "SELECT 1;", "END TRANSACTION;"), NULL);
}

/* ---- malformed input --------------------------------------------------- */

static void
errors(void **state)
{
	ERR(PG, "SELECT 1;\nSELECT 'abc;\n", 2, "unterminated quoted string");
	ERR(PG, "SELECT E'abc\\'", 1, "unterminated quoted string");
	ERR(PG, "\n\nSELECT \"abc", 3, "unterminated quoted identifier");
	ERR(PG, "SELECT 1;\n/* abc\n", 2, "unterminated /* comment");
	ERR(PG, "/* a /* b */", 1, "unterminated /* comment");
	ERR(PG, "SELECT 1;\nSELECT $tag$abc;\n$tagx$", 2, "unterminated dollar-quoted string $tag$");
	ERR(PG, "SELECT (1;\nSELECT 2;", 1, "\"(\" is never closed");
	ERR(PG, "SELECT 1;\nSELECT 1);", 2, "\")\" without a matching \"(\"");
	ERR(PG, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1;", 2,
		"BEGIN without a matching END");
	ERR(MY, "SELECT `abc", 1, "unterminated quoted identifier");
	ERR(MY, "SELECT 'a\\'", 1, "unterminated quoted string");
	ERR(MY, "SELECT \"a", 1, "unterminated quoted string");
	ERR(MY, "SELECT 1;\nDELIMITER \n", 2, "DELIMITER command without a delimiter");
	ERR(MY, "DELIMITER 'x\n", 1, "unterminated quoted delimiter");
	ERR(MY, "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW\nBEGIN SET NEW.a = 1;", 2,
		"BEGIN without a matching END");
	ERR(LITE, "SELECT [abc", 1, "unterminated quoted identifier");
	check_error(PG, "SELECT 1;\n\0SELECT 2;", 20, 2, "NUL byte");
}

/* ---- robustness -------------------------------------------------------- */

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Random inputs over an alphabet of the splitter's special characters:
 * every call must either fail with a line inside the input or return
 * non-empty statements with non-decreasing lines inside the input.
 */
static void
random_inputs(void **state)
{
	static const char *const pieces[] = {
		"'", "\"", "`", "$", "$$", "$a$", "(", ")", ";", "--", "#", "/*", "*/", "\\",
		"\n", "\r\n", " ", "E", "e'", "BEGIN", "END", "CASE", "CREATE", "FUNCTION",
		"TRIGGER", "IF", "ATOMIC", "DELIMITER ", "//", "[", "]", "x", "1", "é", "NOT", "."
	};
	uint32_t	seed = 12345;
	int			iter;

	for (iter = 0; iter < 20000; iter++)
	{
		char		buf[256];
		size_t		len = 0;
		int			parts = (int) (next_rand(&seed) % 40),
					k,
					lines = 1;
		Dialect		d = (Dialect) (next_rand(&seed) % 3);
		StmtList	l;
		SplitError	err;

		for (k = 0; k < parts; k++)
		{
			const char *p = pieces[next_rand(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t		n = strlen(p);

			if (len + n >= sizeof(buf))
				break;
			memcpy(buf + len, p, n);
			len += n;
		}
		for (k = 0; k < (int) len; k++)
			if (buf[k] == '\n')
				lines++;
		if (split_sql(buf, len, d, next_rand(&seed) % 5 == 0 ? "//" : NULL, 1, &l, &err) == 0)
		{
			int			prev = 1;

			for (k = 0; k < l.n; k++)
			{
				assert_true(strlen(l.items[k].text) > 0);
				assert_true(l.items[k].line >= prev && l.items[k].line <= lines);
				prev = l.items[k].line;
			}
			stmtlist_free(&l);
		}
		else
		{
			assert_true(err.line >= 1 && err.line <= lines);
			assert_true(err.msg[0] != '\0');
		}
	}
}

/* the statements, concatenated, are the input minus what lies between them */
static void
texts_come_from_input(void **state)
{
	const char *sql = "-- head\nSELECT 1;\n/* mid */ INSERT INTO t VALUES ('a;b');\n  SELECT $$;$$;";
	StmtList	l;
	SplitError	err;
	const char *pos = sql;
	int			k;

	assert_int_equal(split_sql(sql, strlen(sql), PG, NULL, 1, &l, &err), 0);
	assert_int_equal(l.n, 3);
	for (k = 0; k < l.n; k++)
	{
		const char *at = strstr(pos, l.items[k].text);

		assert_non_null(at);
		pos = at + strlen(l.items[k].text);
	}
	stmtlist_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pg_basic),
		cmocka_unit_test(pg_strings),
		cmocka_unit_test(pg_identifiers),
		cmocka_unit_test(pg_dollar),
		cmocka_unit_test(pg_comments),
		cmocka_unit_test(pg_begin_atomic),
		cmocka_unit_test(pg_parentheses),
		cmocka_unit_test(pg_layout),
		cmocka_unit_test(pg_first_line),
		cmocka_unit_test(pg_not_nul_terminated),
		cmocka_unit_test(custom_delimiter),
		cmocka_unit_test(mysql_delimiter_command),
		cmocka_unit_test(mysql_strings),
		cmocka_unit_test(mysql_comments),
		cmocka_unit_test(mysql_compound),
		cmocka_unit_test(sqlite_trigger),
		cmocka_unit_test(errors),
		cmocka_unit_test(random_inputs),
		cmocka_unit_test(texts_come_from_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
