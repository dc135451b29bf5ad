/*-------------------------------------------------------------------------
 *
 * my_conn.c
 *	  Connection to MySQL/MariaDB, query helpers, the runner lock.
 *
 * Everything a run does goes through one connection (auto-reconnect off),
 * because GET_LOCK belongs to the session that took it: if the connection
 * drops, the lock is gone, and the driver must notice before it runs the
 * next statement (my_check_alive) instead of silently reconnecting.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_conn.c
 *
 *-------------------------------------------------------------------------
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "core.h"
#include "my_int.h"

/* statements longer than this are shortened in error details */
#define DETAIL_SQL_MAX 300

static char *
short_sql(const char *sql)
{
	size_t		n = strlen(sql);

	if (n <= DETAIL_SQL_MAX)
		return xstrdup(sql);
	return xasprintf("%.*s...", DETAIL_SQL_MAX, sql);
}

bool
my_conn_lost_errno(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST ||
		err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR ||
		err == ER_CONNECTION_KILLED || err == CR_COMMANDS_OUT_OF_SYNC ||
		err == ER_SERVER_SHUTDOWN;
}

static void
log_conn_lost(MyState *st)
{
	log_error("lost the connection to the server");
	log_error_detail("%s.", mysql_error(st->conn));
	log_error_hint("Every statement that completed is recorded; run the same command again to continue.");
}

/* ------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------
 */
static char *
make_lock_name(const char *db)
{
	char	   *name = xasprintf("migrate.%s", db);

	/* user-level lock names are limited to 64 characters */
	if (strlen(name) > 64)
	{
		char		hex[65];

		my_sha256_hex(db, strlen(db), hex);
		free(name);
		name = xasprintf("migrate.%.48s", hex);
	}
	return name;
}

int
my_connect(Driver *d)
{
	const ConnUrl *u = d->url;
	MyState    *st = xcalloc(1, sizeof(MyState));
	unsigned int timeout = 10;
	my_bool		off = 0;
	const char *socket = u->socket; /* url_parse took it from ?socket= too */
	const char *host;
	unsigned int port = 0;
	const char *info;

	d->priv = st;
	if (u->dbname == NULL || u->dbname[0] == '\0')
	{
		log_error("the URL \"%s\" names no database", u->redacted ? u->redacted : "");
		log_error_hint("Add the database to the URL, as in mysql://user@127.0.0.1:3306/appdb.");
		return DRV_ERROR;
	}
	st->db = xstrdup(u->dbname);
	st->rdb = xstrdup(d->opts && d->opts->revisions_schema ? d->opts->revisions_schema : u->dbname);
	st->qdb = my_quote_ident(st->db);
	st->qrdb = my_quote_ident(st->rdb);
	st->lock_name = make_lock_name(st->db);

	if (u->params)
	{
		char	   *param_timeout = url_query_param(u->params, "connect_timeout");

		if (param_timeout)
			timeout = (unsigned int) atoi(param_timeout);
		free(param_timeout);
	}

	st->conn = mysql_init(NULL);
	if (st->conn == NULL)
	{
		log_error("out of memory");
		return DRV_ERROR;
	}
	mysql_optionsv(st->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(st->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(st->conn, MYSQL_OPT_RECONNECT, &off);
	mysql_optionsv(st->conn, MYSQL_OPT_LOCAL_INFILE, &off);

	host = u->host && u->host[0] ? u->host : (socket ? "localhost" : "127.0.0.1");
	if (u->port && u->port[0])
		port = (unsigned int) atoi(u->port);

	if (!mysql_real_connect(st->conn, host, u->user, u->password, st->db, port, socket,
							CLIENT_MULTI_RESULTS))
	{
		unsigned int err = mysql_errno(st->conn);

		if (err == ER_BAD_DB_ERROR)
		{
			log_error("database \"%s\" does not exist", st->db);
			log_error_detail("%s.", mysql_error(st->conn));
			log_error_hint("Create it first, for example with CREATE DATABASE %s.", st->qdb);
		}
		else
		{
			log_error("could not connect to the MySQL server at \"%s\"",
					  u->redacted ? u->redacted : host);
			log_error_detail("%s.", mysql_error(st->conn));
			if (err == ER_ACCESS_DENIED_ERROR)
				log_error_hint("Check the user name and password in the URL.");
			else
				log_error_hint("Check that the server is running and accepts connections at that address.");
		}
		return DRV_ERROR;
	}

	info = mysql_get_server_info(st->conn);
	st->mariadb = info && strstr(info, "MariaDB") != NULL;
	st->server_version = mysql_get_server_version(st->conn);
	if (st->mariadb && st->server_version < 100500)
	{
		log_error("MariaDB %s is too old", info);
		log_error_detail("The driver needs MariaDB 10.5 or later (RENAME COLUMN, CHECK constraints in information_schema).");
		return DRV_ERROR;
	}
	if (!st->mariadb && st->server_version < 80000)
	{
		log_error("MySQL %s is too old", info);
		log_error_detail("The driver needs MySQL 8.0 or later.");
		return DRV_ERROR;
	}
	if (!st->mariadb)
		log_warning("connected to MySQL %s; the driver is developed and tested with MariaDB, and some of "
					"its catalog queries may not work on MySQL", info);
	if (my_query_str(st, "SELECT @@SESSION.sql_mode", &st->saved_sql_mode) != DRV_OK)
		return DRV_ERROR;
	return DRV_OK;
}

void
my_close(Driver *d)
{
	MyState    *st = MYSTATE(d);

	if (st == NULL)
		return;
	if (st->conn)
		mysql_close(st->conn);
	my_snapshot_free(&st->known);
	free(st->db);
	free(st->rdb);
	free(st->qdb);
	free(st->qrdb);
	free(st->lock_name);
	free(st->saved_sql_mode);
	free(st);
	d->priv = NULL;
}

/* ------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------
 */
static void
drain_results(MyState *st)
{
	do
	{
		MYSQL_RES  *res = mysql_store_result(st->conn);

		if (res)
			mysql_free_result(res);
	} while (mysql_next_result(st->conn) == 0);
}

static int
fail(MyState *st, const char *sql, char **errmsg)
{
	unsigned int err = mysql_errno(st->conn);

	if (errmsg)
		*errmsg = xasprintf("ERROR %u (%s): %s", err, mysql_sqlstate(st->conn),
							mysql_error(st->conn));
	if (my_conn_lost_errno(err))
	{
		if (errmsg == NULL)
			log_conn_lost(st);
		return DRV_CONN_LOST;
	}
	if (errmsg == NULL)
	{
		char	   *s = short_sql(sql);

		log_error("query failed: %s", mysql_error(st->conn));
		log_error_detail("The statement was: %s", s);
		free(s);
	}
	return DRV_ERROR;
}

int
my_exec(MyState *st, const char *sql, char **errmsg)
{
	int			status;

	if (errmsg)
		*errmsg = NULL;
	if (mysql_real_query(st->conn, sql, strlen(sql)) != 0)
		return fail(st, sql, errmsg);
	/* consume every result set (SELECT, CALL), checking each for errors */
	for (;;)
	{
		MYSQL_RES  *res = mysql_store_result(st->conn);

		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(st->conn) != 0)
			return fail(st, sql, errmsg);
		status = mysql_next_result(st->conn);
		if (status > 0)
			return fail(st, sql, errmsg);
		if (status < 0)
			break;
	}
	return DRV_OK;
}

int
my_execf(MyState *st, const char *fmt,...)
{
	StrBuf		sb;
	va_list		ap;
	int			n,
				rc;

	sb_init(&sb);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	sb.data = xrealloc(sb.data, n + 1);
	va_start(ap, fmt);
	vsnprintf(sb.data, n + 1, fmt, ap);
	va_end(ap);
	rc = my_exec(st, sb.data, NULL);
	sb_free(&sb);
	return rc;
}

int
my_query(MyState *st, const char *sql, MyRows *out)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	int			rc = DRV_OK;

	memset(out, 0, sizeof(*out));
	if (mysql_real_query(st->conn, sql, strlen(sql)) != 0)
		return fail(st, sql, NULL);
	res = mysql_store_result(st->conn);
	if (res == NULL)
	{
		if (mysql_field_count(st->conn) != 0)
			return fail(st, sql, NULL);
		drain_results(st);
		return DRV_OK;
	}
	out->ncols = mysql_num_fields(res);
	out->nrows = (int) mysql_num_rows(res);
	out->rows = xcalloc(1, (out->nrows + 1) * sizeof(char **));
	out->lengths = xcalloc(1, (out->nrows + 1) * sizeof(unsigned long *));
	for (int i = 0; (row = mysql_fetch_row(res)) != NULL; i++)
	{
		unsigned long *len = mysql_fetch_lengths(res);

		out->rows[i] = xcalloc(1, out->ncols * sizeof(char *));
		out->lengths[i] = xcalloc(1, out->ncols * sizeof(unsigned long));
		for (int j = 0; j < out->ncols; j++)
		{
			out->rows[i][j] = row[j] ? xstrndup(row[j], len[j]) : NULL;
			out->lengths[i][j] = len[j];
		}
	}
	mysql_free_result(res);
	drain_results(st);
	return rc;
}

void
my_rows_free(MyRows *r)
{
	for (int i = 0; i < r->nrows; i++)
	{
		for (int j = 0; j < r->ncols; j++)
			free(r->rows[i][j]);
		free(r->rows[i]);
		free(r->lengths[i]);
	}
	free(r->rows);
	free(r->lengths);
	memset(r, 0, sizeof(*r));
}

int
my_query_int(MyState *st, const char *sql, long long *val, bool *isnull)
{
	MyRows		r;
	int			rc = my_query(st, sql, &r);

	*val = 0;
	if (isnull)
		*isnull = true;
	if (rc != DRV_OK)
		return rc;
	if (r.nrows > 0 && r.ncols > 0 && r.rows[0][0])
	{
		*val = strtoll(r.rows[0][0], NULL, 10);
		if (isnull)
			*isnull = false;
	}
	my_rows_free(&r);
	return DRV_OK;
}

int
my_query_str(MyState *st, const char *sql, char **val)
{
	MyRows		r;
	int			rc = my_query(st, sql, &r);

	*val = NULL;
	if (rc != DRV_OK)
		return rc;
	if (r.nrows > 0 && r.ncols > 0 && r.rows[0][0])
		*val = xstrdup(r.rows[0][0]);
	my_rows_free(&r);
	return DRV_OK;
}

/* A string literal through mysql_real_escape_string, in quotes. */
void
mb_literal(StrBuf *sb, MyState *st, const char *s)
{
	size_t		n = strlen(s);
	char	   *buf = xcalloc(1, 2 * n + 1);
	unsigned long len = mysql_real_escape_string(st->conn, buf, s, n);

	sb_putc(sb, '\'');
	sb_put(sb, buf, len);
	sb_putc(sb, '\'');
	free(buf);
}

char *
my_literal(MyState *st, const char *s)
{
	StrBuf		sb;

	sb_init(&sb);
	if (s == NULL)
		sb_puts(&sb, "NULL");
	else
		mb_literal(&sb, st, s);
	return sb_steal(&sb);
}

int
my_begin(MyState *st)
{
	return my_exec(st, "START TRANSACTION", NULL);
}

int
my_commit(MyState *st)
{
	return my_exec(st, "COMMIT", NULL);
}

void
my_rollback(MyState *st)
{
	char	   *err = NULL;

	(void) my_exec(st, "ROLLBACK", &err);
	free(err);
}

/* ------------------------------------------------------------------------
 * The runner lock
 * ------------------------------------------------------------------------
 */
static void
describe_holder(MyState *st)
{
	StrBuf		sb;
	long long	holder;
	bool		isnull;
	MyRows		r;

	sb_init(&sb);
	sb_puts(&sb, "SELECT IS_USED_LOCK(");
	mb_literal(&sb, st, st->lock_name);
	sb_puts(&sb, ")");
	if (my_query_int(st, sb.data, &holder, &isnull) != DRV_OK || isnull)
	{
		log_error_detail("Another session held the lock \"%s\" while this run waited for it.",
						 st->lock_name);
		sb_free(&sb);
		return;
	}
	sb_reset(&sb);
	sb_printf(&sb, "SELECT USER, HOST, COMMAND, TIME, LEFT(COALESCE(INFO, ''), 120) "
			  "FROM information_schema.PROCESSLIST WHERE ID = %lld", holder);
	if (my_query(st, sb.data, &r) == DRV_OK && r.nrows == 1)
	{
		const char *info = r.rows[0][4] ? r.rows[0][4] : "";

		log_error_detail("The lock \"%s\" is held by connection %lld (%s@%s, %s for %s s%s%s%s).",
						 st->lock_name, holder,
						 r.rows[0][0] ? r.rows[0][0] : "?",
						 r.rows[0][1] ? r.rows[0][1] : "?",
						 r.rows[0][2] ? r.rows[0][2] : "?",
						 r.rows[0][3] ? r.rows[0][3] : "?",
						 info[0] ? ", running \"" : "", info, info[0] ? "\"" : "");
		my_rows_free(&r);
	}
	else
		log_error_detail("The lock \"%s\" is held by connection %lld.", st->lock_name, holder);
	sb_free(&sb);
}

int
my_lock(Driver *d, int timeout_ms)
{
	MyState    *st = MYSTATE(d);
	StrBuf		sb;
	long long	got;
	bool		isnull;
	int			rc;

	sb_init(&sb);
	sb_puts(&sb, "SELECT GET_LOCK(");
	mb_literal(&sb, st, st->lock_name);
	sb_printf(&sb, ", %.3f)", timeout_ms < 0 ? -1.0 : timeout_ms / 1000.0);
	rc = my_query_int(st, sb.data, &got, &isnull);
	sb_free(&sb);
	if (rc != DRV_OK)
		return rc;
	if (isnull)
	{
		log_error("could not take the migration lock \"%s\"", st->lock_name);
		log_error_detail("GET_LOCK returned NULL (the server refused the lock, or a deadlock was detected).");
		return DRV_ERROR;
	}
	if (got != 1)
	{
		char		dur[64];

		format_duration((int64_t) timeout_ms * 1000000, dur, sizeof(dur));
		log_error("could not obtain the migration lock within %s", dur);
		describe_holder(st);
		log_error_hint("Another migrate run is working on database \"%s\": wait for it to finish, or give a longer --lock-timeout.",
					   st->db);

		/*
		 * the whole story is told: DRV_ERROR rather than DRV_LOCKED, whose
		 * generic message the client core would add
		 */
		return DRV_ERROR;
	}
	st->locked = true;
	return DRV_OK;
}

void
my_unlock(Driver *d)
{
	MyState    *st = MYSTATE(d);
	StrBuf		sb;
	char	   *err = NULL;

	if (st == NULL || !st->locked)
		return;
	sb_init(&sb);
	sb_puts(&sb, "SELECT RELEASE_LOCK(");
	mb_literal(&sb, st, st->lock_name);
	sb_puts(&sb, ")");
	(void) my_exec(st, sb.data, &err);
	free(err);
	sb_free(&sb);
	st->locked = false;
}

/*
 * Before every statement: the connection must still be up and this session
 * must still hold the lock (a killed connection, a wait_timeout or a server
 * restart lose it).  One round trip.
 */
int
my_check_alive(Driver *d)
{
	MyState    *st = MYSTATE(d);
	StrBuf		sb;
	long long	mine;
	bool		isnull;
	int			rc;
	char	   *err = NULL;

	if (!st->locked)
		return DRV_OK;
	sb_init(&sb);
	sb_puts(&sb, "SELECT IS_USED_LOCK(");
	mb_literal(&sb, st, st->lock_name);
	sb_puts(&sb, ") = CONNECTION_ID()");
	if (mysql_real_query(st->conn, sb.data, sb.len) != 0)
	{
		rc = fail(st, sb.data, &err);
		if (rc == DRV_CONN_LOST)
			log_conn_lost(st);
		else
			log_error("could not check the migration lock: %s", err);
		free(err);
		sb_free(&sb);
		st->locked = false;
		return rc == DRV_CONN_LOST ? DRV_CONN_LOST : DRV_ERROR;
	}
	{
		MYSQL_RES  *res = mysql_store_result(st->conn);
		MYSQL_ROW	row = res ? mysql_fetch_row(res) : NULL;

		isnull = row == NULL || row[0] == NULL;
		mine = isnull ? 0 : atoll(row[0]);
		if (res)
			mysql_free_result(res);
		drain_results(st);
	}
	sb_free(&sb);
	if (isnull || mine != 1)
	{
		log_error("the migration lock \"%s\" is no longer held by this run", st->lock_name);
		log_error_detail("The server released it; another run may have started.");
		log_error_hint("Run the same command again; it continues from what is recorded.");
		st->locked = false;
		return DRV_CONN_LOST;
	}
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Test hook
 *
 * MIGRATE_MYSQL_TEST_KILL=POINT:N, POINT one of before, window, after: the
 * client kills itself with SIGKILL at that point of the N-th statement it
 * executes in this process (migration statements, revert statements and
 * hand-written down statements alike).  For the crash tests only; see
 * docs/mysql.md.
 * ------------------------------------------------------------------------
 */
void
my_test_hook(MyState *st, KillPoint where)
{
	static int	parsed = 0;
	static KillPoint kp;
	static int	kn;
	const char *env;

	if (parsed == 0)
	{
		char		point[16];

		parsed = -1;
		env = getenv("MIGRATE_MYSQL_TEST_KILL");
		if (env && sscanf(env, "%15[a-z]:%d", point, &kn) == 2)
		{
			if (strcmp(point, "before") == 0)
				kp = KILL_BEFORE, parsed = 1;
			else if (strcmp(point, "window") == 0)
				kp = KILL_WINDOW, parsed = 1;
			else if (strcmp(point, "after") == 0)
				kp = KILL_AFTER, parsed = 1;
		}
	}
	if (parsed == 1 && kp == where && kn == st->stmts_executed)
	{
		fflush(stdout);
		fflush(stderr);
		raise(SIGKILL);
	}
}
