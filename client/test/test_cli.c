/*-------------------------------------------------------------------------
 *
 * test_cli.c
 *	  cmocka tests of URL parsing (client/url.c), durations, and the
 *	  command line (client/options.c).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_cli.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

/* ---- URLs -------------------------------------------------------------- */

static void
url_ok(const char *s, ConnUrl *u)
{
	char	   *err = NULL;

	if (url_parse(s, u, &err) != 0)
		fail_msg("url_parse(\"%s\") failed: %s", s, err);
}

static char *
url_bad(const char *s)
{
	ConnUrl		u;
	char	   *err = NULL;

	if (url_parse(s, &u, &err) == 0)
		fail_msg("url_parse(\"%s\") should fail", s);
	url_free(&u);
	return err;
}

#define assert_str_or_null(a, b) \
	do { if ((b) == NULL) assert_null(a); else assert_string_equal(a, b); } while (0)

static void
postgres_urls(void **state)
{
	ConnUrl		u;

	url_ok("postgres://user:pa%40ss@db.example:5433/app?sslmode=disable", &u);
	assert_int_equal(u.dialect, DIALECT_POSTGRES);
	assert_string_equal(u.user, "user");
	assert_string_equal(u.password, "pa@ss");
	assert_string_equal(u.host, "db.example");
	assert_string_equal(u.port, "5433");
	assert_string_equal(u.dbname, "app");
	assert_string_equal(u.params, "sslmode=disable");
	/* libpq gets the URL unchanged; messages get it without the password */
	assert_string_equal(u.conninfo, "postgres://user:pa%40ss@db.example:5433/app?sslmode=disable");
	assert_string_equal(u.redacted, "postgres://user:xxxxx@db.example:5433/app?sslmode=disable");
	url_free(&u);

	url_ok("postgresql://localhost/db", &u);
	assert_string_equal(u.host, "localhost");
	assert_null(u.port);
	assert_null(u.user);
	assert_null(u.password);
	assert_string_equal(u.redacted, "postgresql://localhost/db");
	url_free(&u);

	url_ok("postgres://", &u);
	assert_null(u.host);
	assert_null(u.dbname);
	assert_string_equal(u.conninfo, "postgres://");
	url_free(&u);

	url_ok("postgres://[::1]:5432/db", &u);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "5432");
	url_free(&u);

	/* several hosts are libpq's business */
	url_ok("postgres://h1:5432,h2:5433/db?target_session_attrs=read-write", &u);
	assert_string_equal(u.host, "h1:5432,h2:5433");
	assert_null(u.port);
	url_free(&u);

	/* a password in the parameters is found and masked */
	url_ok("postgres://u@h/db?password=secret&sslmode=require", &u);
	assert_string_equal(u.password, "secret");
	assert_string_equal(u.redacted, "postgres://u@h/db?password=xxxxx&sslmode=require");
	url_free(&u);
}

static void
mysql_urls(void **state)
{
	ConnUrl		u;

	url_ok("mysql://root:pw@127.0.0.1:3306/app", &u);
	assert_int_equal(u.dialect, DIALECT_MYSQL);
	assert_string_equal(u.user, "root");
	assert_string_equal(u.password, "pw");
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "3306");
	assert_string_equal(u.dbname, "app");
	assert_null(u.conninfo);
	assert_string_equal(u.redacted, "mysql://root:xxxxx@127.0.0.1:3306/app");
	url_free(&u);

	url_ok("mariadb://user@localhost/db?socket=/run/mysqld/mysqld.sock", &u);
	assert_int_equal(u.dialect, DIALECT_MYSQL);
	assert_string_equal(u.socket, "/run/mysqld/mysqld.sock");
	assert_string_equal(u.host, "localhost");
	assert_null(u.port);
	url_free(&u);

	url_ok("mysql://root@127.0.0.1:33061/", &u);
	assert_null(u.dbname);
	url_free(&u);
}

static void
sqlite_urls(void **state)
{
	ConnUrl		u;

	url_ok("sqlite://data/app.db", &u);
	assert_int_equal(u.dialect, DIALECT_SQLITE);
	assert_string_equal(u.dbname, "data/app.db");
	url_free(&u);
	url_ok("sqlite:///var/lib/app.db?_fk=1", &u);
	assert_string_equal(u.dbname, "/var/lib/app.db");
	assert_string_equal(u.params, "_fk=1");
	url_free(&u);
	url_ok("sqlite://:memory:", &u);
	assert_string_equal(u.dbname, ":memory:");
	url_free(&u);
}

static void
bad_urls(void **state)
{
	char	   *e;

	e = url_bad("http://example.com/");
	assert_string_equal(e, "unsupported URL scheme \"http\"");
	free(e);
	e = url_bad("localhost:5432");
	assert_contains(e, "does not start with a scheme");
	free(e);
	e = url_bad("");
	assert_contains(e, "empty URL");
	free(e);
	e = url_bad("sqlite://");
	assert_contains(e, "missing database file path");
	free(e);
	e = url_bad("mysql://u:topsecret@h:99999/db");
	assert_contains(e, "invalid port \"99999\"");
	/* the password never appears in a message */
	assert_null(strstr(e, "topsecret"));
	assert_contains(e, "u:xxxxx@h");
	free(e);
	e = url_bad("postgres://h:abc/db");
	assert_contains(e, "invalid port \"abc\"");
	free(e);
	e = url_bad("mysql://a,b/db");
	assert_contains(e, "several hosts");
	free(e);
	e = url_bad("mysql://u@localhost/db?socket=tmp/x.sock");
	assert_contains(e, "is not absolute");
	free(e);
	e = url_bad("postgres://u%zz@h/db");
	assert_contains(e, "percent-encoding");
	free(e);
	e = url_bad("postgres://u@h/d%0");
	assert_contains(e, "percent-encoding");
	free(e);
	e = url_bad("postgres://[::1/db");
	assert_contains(e, "\"[\"");
	free(e);
}

static void
pg_options(void **state)
{
	ConnUrl		u;
	char	   *err = NULL;

	/* nothing given: libpq's environment */
	assert_int_equal(url_from_pg_options(NULL, NULL, NULL, NULL, &u, &err), 0);
	assert_string_equal(u.conninfo, "");
	assert_contains(u.redacted, "PG*");
	url_free(&u);

	assert_int_equal(url_from_pg_options("mydb", "h", "5432", "bob", &u, &err), 0);
	assert_string_equal(u.conninfo, "dbname='mydb' host='h' port='5432' user='bob'");
	assert_string_equal(u.dbname, "mydb");
	assert_string_equal(u.user, "bob");
	url_free(&u);

	/* quotes and backslashes are escaped */
	assert_int_equal(url_from_pg_options("it's\\", NULL, NULL, NULL, &u, &err), 0);
	assert_string_equal(u.conninfo, "dbname='it\\'s\\\\'");
	url_free(&u);

	/* a conninfo string: options come after it, so they win */
	assert_int_equal(url_from_pg_options("host=x password=secret dbname=y", NULL, "6000", NULL,
										 &u, &err), 0);
	assert_string_equal(u.conninfo, "host=x password=secret dbname=y port='6000'");
	assert_string_equal(u.password, "secret");
	assert_string_equal(u.host, "x");
	assert_string_equal(u.port, "6000");
	assert_null(strstr(u.redacted, "secret"));
	url_free(&u);

	/* a URI: options become parameters, which libpq applies last */
	assert_int_equal(url_from_pg_options("postgres://a@h/db", "h2", NULL, "bob", &u, &err), 0);
	assert_string_equal(u.conninfo, "postgres://a@h/db?host=h2&user=bob");
	assert_string_equal(u.host, "h2");
	url_free(&u);
	assert_int_equal(url_from_pg_options("postgresql://h/db?sslmode=disable", "/run/pg sock", NULL,
										 NULL, &u, &err), 0);
	assert_string_equal(u.conninfo, "postgresql://h/db?sslmode=disable&host=/run/pg%20sock");
	url_free(&u);

	assert_int_equal(url_from_pg_options("host='unterminated", NULL, NULL, NULL, &u, &err), -1);
	assert_contains(err, "invalid connection string");
	free(err);
	url_free(&u);
	assert_int_equal(url_from_pg_options(NULL, NULL, "port", NULL, &u, &err), -1);
	assert_contains(err, "invalid port \"port\"");
	free(err);
	url_free(&u);
}

/* ---- durations --------------------------------------------------------- */

static int
dur(const char *s)
{
	int			ms = -42;
	char	   *err = NULL;

	if (parse_duration_ms(s, &ms, &err) != 0)
	{
		free(err);
		return -1;
	}
	return ms;
}

static void
durations(void **state)
{
	char		b[64];

	assert_int_equal(dur("10s"), 10000);
	assert_int_equal(dur("500ms"), 500);
	assert_int_equal(dur("2m"), 120000);
	assert_int_equal(dur("1h"), 3600000);
	assert_int_equal(dur("1m30s"), 90000);
	assert_int_equal(dur("1.5s"), 1500);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("0s"), 0);
	assert_int_equal(dur("250us"), 1);	/* rounded up: never "no wait" by
										 * accident */
	assert_int_equal(dur("250µs"), 1);
	assert_int_equal(dur("3000000ns"), 3);
	assert_int_equal(dur(""), -1);
	assert_int_equal(dur("10"), -1);
	assert_int_equal(dur("s"), -1);
	assert_int_equal(dur("-1s"), -1);
	assert_int_equal(dur("10x"), -1);
	assert_int_equal(dur("1.s"), 1000);
	assert_int_equal(dur("."), -1);
	assert_int_equal(dur("10 s"), -1);
	assert_int_equal(dur("999999999h"), -1);

	format_duration(0, b, sizeof(b));
	assert_string_equal(b, "0s");
	format_duration(999, b, sizeof(b));
	assert_string_equal(b, "999ns");
	format_duration(1000, b, sizeof(b));
	assert_string_equal(b, "1µs");
	format_duration(624004, b, sizeof(b));
	assert_string_equal(b, "624.004µs");
	format_duration(5412737, b, sizeof(b));
	assert_string_equal(b, "5.412737ms");
	format_duration(1000000, b, sizeof(b));
	assert_string_equal(b, "1ms");
	format_duration(22138088, b, sizeof(b));
	assert_string_equal(b, "22.138088ms");
	format_duration(1500000000, b, sizeof(b));
	assert_string_equal(b, "1.5s");
	format_duration(62500000000LL, b, sizeof(b));
	assert_string_equal(b, "1m2.5s");
	format_duration(3600000000000LL, b, sizeof(b));
	assert_string_equal(b, "1h0m0s");
	format_duration(-1500000, b, sizeof(b));
	assert_string_equal(b, "-1.5ms");
}

/* ---- command line ------------------------------------------------------ */

static int
parse_argv(CliArgs *a, char **log,...)
{
	char	   *argv[32];
	int			argc = 0;
	va_list		ap;
	const char *s;
	FILE	   *saved = stdout;

	argv[argc++] = "migrate";
	va_start(ap, log);
	while ((s = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *) s;
	va_end(ap);
	argv[argc] = NULL;
	/* help goes to stdout: keep the test output readable */
	stdout = fopen("/dev/null", "w");
	tu_log_start();
	cli_parse(argc, argv, a);
	*log = tu_log_stop();
	fclose(stdout);
	stdout = saved;
	log_set_verbosity(0);
	return a->exit_now;
}

#define PARSE(a, log, ...) parse_argv(a, log, __VA_ARGS__, NULL)

static void
cli_commands(void **state)
{
	CliArgs		a;
	char	   *log;

	assert_int_equal(PARSE(&a, &log, "apply", "--url", "postgres://h/db",
						   "--dir", "file://m?format=flyway", "3"), -1);
	assert_int_equal(a.command, CMD_APPLY);
	assert_int_equal(a.opts.amount, 3);
	assert_string_equal(a.dir_path, "m");
	assert_int_equal(a.dir_format, FORMAT_FLYWAY);
	assert_true(a.have_url);
	assert_int_equal(a.url.dialect, DIALECT_POSTGRES);
	assert_int_equal(a.opts.lock_timeout_ms, 10000);
	assert_int_equal(a.opts.txmode, TXMODE_DEFAULT);
	assert_int_equal(a.opts.exec_order, EXEC_LINEAR);
	free(log);
	cli_free(&a);

	/* options before the command; defaults */
	assert_int_equal(PARSE(&a, &log, "--url", "sqlite://x.db", "status"), -1);
	assert_int_equal(a.command, CMD_STATUS);
	assert_string_equal(a.dir_path, "migrations");
	assert_int_equal(a.dir_format, FORMAT_AUTO);
	assert_false(a.dir_given);
	free(log);
	cli_free(&a);

	assert_int_equal(PARSE(&a, &log, "down", "--to-version", "5", "--allow-loss", "public.t",
						   "--allow-loss", "public.u", "--dry-run", "--accept-drift",
						   "--plan-hash", "abc", "--lock-timeout", "2m", "-v", "-v",
						   "--format", "json", "-d", "dbname=x", "-h", "y", "-w"), -1);
	assert_int_equal(a.command, CMD_DOWN);
	assert_string_equal(a.opts.to_version, "5");
	assert_int_equal(a.opts.nallow_loss, 2);
	assert_string_equal(a.opts.allow_loss[1], "public.u");
	assert_true(a.opts.dry_run);
	assert_true(a.opts.accept_drift);
	assert_string_equal(a.opts.plan_hash, "abc");
	assert_int_equal(a.opts.lock_timeout_ms, 120000);
	assert_int_equal(a.opts.verbose, 2);
	assert_true(a.opts.json);
	assert_int_equal(a.opts.prompt_password, PROMPT_NEVER);
	assert_string_equal(a.url.conninfo, "dbname=x host='y'");
	free(log);
	cli_free(&a);

	assert_int_equal(PARSE(&a, &log, "apply", "--tx-mode", "none", "--exec-order", "non-linear",
						   "--baseline", "3", "--echo"), -1);
	assert_int_equal(a.opts.txmode, TXMODE_NONE);
	assert_int_equal(a.opts.exec_order, EXEC_NON_LINEAR);
	assert_string_equal(a.opts.baseline, "3");
	assert_true(a.opts.echo);
	/* no URL: PostgreSQL from the environment */
	assert_true(a.have_url);
	assert_string_equal(a.url.conninfo, "");
	free(log);
	cli_free(&a);

	assert_int_equal(PARSE(&a, &log, "set", "20260101"), -1);
	assert_string_equal(a.arg, "20260101");
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "tag", "v1.2", "-W"), -1);
	assert_string_equal(a.arg, "v1.2");
	assert_int_equal(a.opts.prompt_password, PROMPT_ALWAYS);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "hash", "--dir", "x"), -1);
	assert_int_equal(a.command, CMD_HASH);
	assert_false(a.have_url);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "validate", "--url", "mysql://h/db"), -1);
	assert_int_equal(a.url.dialect, DIALECT_MYSQL);
	free(log);
	cli_free(&a);
}

static void
cli_help_version(void **state)
{
	CliArgs		a;
	char	   *log;

	assert_int_equal(PARSE(&a, &log, "--help"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "-?"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "--version"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "-V"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "help", "down"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "apply", "--help"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "status", "-?"), 0);
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "help", "frobnicate"), 1);
	assert_contains(log, "unknown command \"frobnicate\"");
	free(log);
	cli_free(&a);
}

static void
expect_error(const char *msg,...)
{
	char	   *argv[32];
	int			argc = 0;
	va_list		ap;
	const char *s;
	CliArgs		a;
	char	   *log;
	FILE	   *saved = stdout;

	argv[argc++] = "migrate";
	va_start(ap, msg);
	while ((s = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *) s;
	va_end(ap);
	argv[argc] = NULL;
	stdout = fopen("/dev/null", "w");
	tu_log_start();
	cli_parse(argc, argv, &a);
	log = tu_log_stop();
	fclose(stdout);
	stdout = saved;
	log_set_verbosity(0);
	if (a.exit_now != 1)
		fail_msg("expected exit 1 for \"%s\", got %d", argv[1], a.exit_now);
	assert_contains(log, msg);
	assert_contains(log, "\nTry \"migrate --help\" for more information.\n");
	free(log);
	cli_free(&a);
}

#define EXPECT_ERROR(msg, ...) expect_error(msg, __VA_ARGS__, NULL)

static void
cli_errors(void **state)
{
	EXPECT_ERROR("no command given", "--url", "postgres://h/db");
	EXPECT_ERROR("unknown command \"upgrade\"", "upgrade");
	EXPECT_ERROR("unrecognized option \"--bogus\"", "apply", "--bogus");
	EXPECT_ERROR("invalid option \"-x\"", "apply", "-x");
	EXPECT_ERROR("option \"--url\" needs a value", "apply", "--url");
	EXPECT_ERROR("invalid value \"sometimes\" for option --tx-mode", "apply", "--tx-mode", "sometimes");
	EXPECT_ERROR("Valid values are \"linear\", \"linear-skip\" and \"non-linear\".", "apply",
				 "--exec-order", "random");
	EXPECT_ERROR("invalid value \"xml\" for option --format", "status", "--format", "xml");
	EXPECT_ERROR("invalid duration \"10\" for option --lock-timeout", "apply", "--lock-timeout", "10");
	EXPECT_ERROR("--baseline and --allow-dirty cannot be used together", "apply", "--baseline", "1",
				 "--allow-dirty");
	EXPECT_ERROR("an amount cannot be combined with --to-version", "down", "2", "--to-version", "1");
	EXPECT_ERROR("an amount cannot be combined with --to-tag", "down", "2", "--to-tag", "v1");
	EXPECT_ERROR("--to-version and --to-tag cannot be used together", "down", "--to-version", "1",
				 "--to-tag", "v1");
	EXPECT_ERROR("option --allow-loss cannot be used with \"migrate apply\"", "apply",
				 "--allow-loss", "t");
	EXPECT_ERROR("option --to-tag cannot be used with \"migrate apply\"", "apply", "--to-tag", "x");
	EXPECT_ERROR("option --tx-mode cannot be used with \"migrate down\"", "down", "--tx-mode", "all");
	EXPECT_ERROR("option --url cannot be used with \"migrate hash\"", "hash", "--url", "sqlite://x");
	EXPECT_ERROR("option --dry-run cannot be used with \"migrate status\"", "status", "--dry-run");
	EXPECT_ERROR("invalid amount \"abc\"", "apply", "abc");
	EXPECT_ERROR("invalid amount \"0\"", "down", "0");
	EXPECT_ERROR("too many command-line arguments (first is \"4\")", "apply", "3", "4");
	EXPECT_ERROR("too many command-line arguments (first is \"x\")", "status", "x");
	EXPECT_ERROR("\"migrate set\" needs a version", "set");
	EXPECT_ERROR("\"migrate tag\" needs a tag name", "tag");
	EXPECT_ERROR("--url and -d/--dbname cannot be used together", "status", "--url",
				 "postgres://h/db", "-d", "x");
	EXPECT_ERROR("only apply to PostgreSQL", "status", "--url", "mysql://h/db", "-h", "x");
	EXPECT_ERROR("-w/--no-password and -W/--password cannot be used together", "status", "-w", "-W");
	EXPECT_ERROR("unsupported URL scheme \"oracle\"", "status", "--url", "oracle://h/db");
	EXPECT_ERROR("unknown directory format \"yaml\"", "status", "--dir", "file://m?format=yaml");
	EXPECT_ERROR("invalid port \"x\"", "status", "-p", "x");
}

static void
cli_password_warning(void **state)
{
	CliArgs		a;
	char	   *log;

	assert_int_equal(PARSE(&a, &log, "status", "--url", "postgres://u:pw@h/db"), -1);
	assert_contains(log, "warning: a password given on the command line");
	assert_null(strstr(log, "pw@"));
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "status", "-d", "host=h password=pw"), -1);
	assert_contains(log, "warning: a password given on the command line");
	free(log);
	cli_free(&a);
	assert_int_equal(PARSE(&a, &log, "status", "--url", "postgres://u@h/db"), -1);
	assert_null(strstr(log, "warning"));
	free(log);
	cli_free(&a);
}

static void
help_mentions_every_option(void **state)
{
	/* the help text lists every long option the parser accepts */
	static const char *const opts[] = {
		"--url", "--dbname", "--host", "--port", "--username", "--no-password", "--password",
		"--dir", "--revisions-schema", "--dry-run", "--tx-mode", "--exec-order", "--baseline",
		"--allow-dirty", "--lock-timeout", "--to-version", "--to-tag", "--allow-loss",
		"--accept-drift", "--plan-hash", "--format", "--echo", "--verbose", "--version", "--help",
		NULL
	};
	char	   *buf = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&buf, &len);
	int			k;

	cli_usage(f, NULL);
	fclose(f);
	for (k = 0; opts[k]; k++)
		assert_contains(buf, opts[k]);
	assert_contains(buf, "apply [N]");
	assert_contains(buf, "help [COMMAND]");
	free(buf);
	/* a command's help lists its options and not the others */
	f = open_memstream(&buf, &len);
	cli_usage(f, "apply");
	fclose(f);
	assert_contains(buf, "--tx-mode");
	assert_contains(buf, "--baseline");
	assert_null(strstr(buf, "--allow-loss"));
	assert_null(strstr(buf, "--to-tag"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(postgres_urls),
		cmocka_unit_test(mysql_urls),
		cmocka_unit_test(sqlite_urls),
		cmocka_unit_test(bad_urls),
		cmocka_unit_test(pg_options),
		cmocka_unit_test(durations),
		cmocka_unit_test(cli_commands),
		cmocka_unit_test(cli_help_version),
		cmocka_unit_test(cli_errors),
		cmocka_unit_test(cli_password_warning),
		cmocka_unit_test(help_mentions_every_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
