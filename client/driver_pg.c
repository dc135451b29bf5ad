/*-------------------------------------------------------------------------
 *
 * driver_pg.c
 *	  The PostgreSQL driver: talks to the migrate extension with libpq.
 *
 * The extension does the work (docs/postgres.md): this driver connects,
 * makes sure the extension is installed and matches the client, takes the
 * runner lock, and calls the extension's functions for each file:
 *
 *	- tx mode file: BEGIN; migrate.apply_file(..., 'file'); COMMIT.  A
 *	  failure comes back as a row (the extension rolled its subtransaction
 *	  back and wrote the error into the revision), so the COMMIT keeps the
 *	  error record.
 *	- tx mode all: the core wraps the files in begin_all/commit_all; after
 *	  a failure it rolls back and calls record_failure.
 *	- tx mode none: migrate.begin_file, then migrate.apply_statement per
 *	  statement, each in its own transaction.  A statement the extension
 *	  cannot run inside a function (CREATE INDEX CONCURRENTLY, VACUUM,
 *	  transaction control) is announced with migrate.expect_toplevel and run
 *	  here at top level under the runner's search_path; the extension's
 *	  event trigger records it in the statement's own transaction, and
 *	  migrate.finish_toplevel covers statements that fire no trigger.
 *	  Before a resumed file runs its first statement again, what an
 *	  interruption of that statement left behind (the invalid index of a
 *	  CREATE INDEX CONCURRENTLY) is dropped here, or the file stops, as
 *	  migrate.leftovers() judges it.
 *
 * Session: after connecting, the driver reads the session's search_path
 * (or the search_path parameter of a postgres:// URL, which libpq itself
 * does not accept) as the path the runner's statements run under, then
 * pins its own path to '' (as pg_dump does); every name it sends is
 * qualified.  Values go as query parameters, identifiers through
 * PQescapeIdentifier.  A lost connection is DRV_CONN_LOST.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_pg.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#include "core.h"

#define OPERATOR_VERSION "migrate " MIGRATE_VERSION

typedef struct PgState
{
	PGconn	   *conn;
	char	   *conninfo;		/* what libpq gets (URL without search_path) */
	char	   *url_path;		/* search_path parameter of the URL, or NULL */
	char	   *user_path;		/* search_path for the runner's statements */
	char	   *target_schema;	/* where CREATE EXTENSION puts the user
								 * functions */
	char	   *ext_schema;		/* quoted schema of the installed extension */
	char	   *ext_version;
	char	   *role;
	char	   *dbname;
	int			apply_prepared; /* migrate.apply_file call: 0 not yet, 1
								 * prepared, -1 do not */
} PgState;

static PgState *
st(Driver *d)
{
	return (PgState *) d->priv;
}

/* ------------------------------------------------------------------------
 * Errors and queries
 * ------------------------------------------------------------------------
 */
static bool
conn_lost(PGconn *conn, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(conn) == CONNECTION_BAD)
		return true;
	/* admin shutdown, crash shutdown, connection exceptions */
	return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
					 strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

static int
log_lost(PGconn *conn)
{
	const char *msg = PQerrorMessage(conn);
	char	   *copy = xstrdup(msg && *msg ? msg : "no message");
	size_t		n = strlen(copy);

	while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == ' '))
		copy[--n] = '\0';
	log_error("connection to the server was lost");
	log_error_detail("%s", copy);
	log_error_hint("Run the command again: what was committed is recorded, and a file interrupted in tx mode none resumes at the statement that did not finish.");
	free(copy);
	return DRV_CONN_LOST;
}

/* log the server's error of res: message, detail, hint */
static void
log_server_error(PGconn *conn, const PGresult *res, const char *context)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	if (primary == NULL)
		primary = PQerrorMessage(conn);
	if (context)
		log_error("%s: %s", context, primary);
	else
		log_error("%s", primary);
	if (detail)
		log_error_detail("%s", detail);
	if (hint)
		log_error_hint("%s", hint);
}

static const char *
sqlstate_of(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/*
 * Run sql with text parameters, or the statement prepared as stmt_name
 * from it when stmt_name is not NULL.  Returns the result (caller clears) when
 * it succeeded; otherwise NULL after setting *rc: DRV_CONN_LOST (logged),
 * or DRV_ERROR with the failed result in *failed when failed is not NULL
 * (not logged; caller clears), logged otherwise.
 */
static PGresult *
pg_run_as(Driver *d, const char *stmt_name, const char *sql, int n,
		  const char *const *values, int *rc, PGresult **failed)
{
	PGconn	   *conn = st(d)->conn;
	PGresult   *res;
	ExecStatusType s;

	log_echo(d, sql);
	if (stmt_name != NULL)
		res = PQexecPrepared(conn, stmt_name, n, values, NULL, NULL, 0);
	else
		res = n > 0 ? PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0) : PQexec(conn, sql);
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
	{
		*rc = DRV_OK;
		return res;
	}
	if (conn_lost(conn, res))
	{
		PQclear(res);
		*rc = log_lost(conn);
		return NULL;
	}
	*rc = DRV_ERROR;
	if (failed)
		*failed = res;
	else
	{
		log_server_error(conn, res, NULL);
		PQclear(res);
	}
	return NULL;
}

/* pg_run_as with sql parsed for this call (no prepared statement) */
static PGresult *
pg_run(Driver *d, const char *sql, int n, const char *const *values, int *rc,
	   PGresult **failed)
{
	return pg_run_as(d, NULL, sql, n, values, rc, failed);
}

/* run a command whose result is not needed; DRV_* */
static int
pg_do(Driver *d, const char *sql, int n, const char *const *values)
{
	int			rc;
	PGresult   *res = pg_run(d, sql, n, values, &rc, NULL);

	PQclear(res);
	return rc;
}

static char *
value_or_null(const PGresult *res, int row, const char *col)
{
	int			c = PQfnumber(res, col);

	if (c < 0 || PQgetisnull(res, row, c))
		return NULL;
	return xstrdup(PQgetvalue(res, row, c));
}

static long long
number_or(const PGresult *res, int row, const char *col, long long dflt)
{
	int			c = PQfnumber(res, col);

	if (c < 0 || PQgetisnull(res, row, c))
		return dflt;
	return strtoll(PQgetvalue(res, row, c), NULL, 10);
}

static bool
bool_of(const PGresult *res, int row, const char *col)
{
	int			c = PQfnumber(res, col);

	return c >= 0 && !PQgetisnull(res, row, c) && PQgetvalue(res, row, c)[0] == 't';
}

/* a text[] literal of statements (NULL when there are none and empty_null) */
static char *
text_array(const StmtList *l, bool empty_null)
{
	StrBuf		sb;
	int			k;

	if (l->n == 0 && empty_null)
		return NULL;
	sb_init(&sb);
	sb_putc(&sb, '{');
	for (k = 0; k < l->n; k++)
	{
		const char *p;

		if (k > 0)
			sb_putc(&sb, ',');
		sb_putc(&sb, '"');
		for (p = l->items[k].text; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, '}');
	return sb_steal(&sb);
}

/* error text of a failed step: the message, then DETAIL and HINT lines */
static char *
step_error(const char *message, const char *detail, const char *hint)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_puts(&sb, message ? message : "unknown error");
	if (detail)
	{
		sb_puts(&sb, "\nDETAIL: ");
		sb_puts(&sb, detail);
	}
	if (hint)
	{
		sb_puts(&sb, "\nHINT: ");
		sb_puts(&sb, hint);
	}
	return sb_steal(&sb);
}

/* ------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------
 */

/* read a password from the terminal without echo; NULL when there is none */
static char *
prompt_password(void)
{
	FILE	   *tty = fopen("/dev/tty", "r+");
	struct termios old,
				noecho;
	char		buf[1024];
	bool		restore = false;
	size_t		n;

	if (tty == NULL)
		return NULL;
	fputs("Password: ", tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0)
	{
		noecho = old;
		noecho.c_lflag &= ~ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &noecho) == 0;
	}
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return xstrdup(buf);
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
uri_decode(const char *s, size_t n)
{
	char	   *out = xmalloc(n + 1);
	size_t		i,
				o = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '%' && i + 2 < n && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0)
		{
			out[o++] = (char) (hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]));
			i += 2;
		}
		else if (s[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * libpq rejects unknown URI parameters, but URLs written for the reference
 * tool carry ?search_path=...: take it out of the URI and remember it.
 */
static void
split_search_path(const char *conninfo, char **libpq_part, char **path)
{
	const char *q;
	StrBuf		sb;
	const char *p;
	bool		first = true;

	*path = NULL;
	if ((strncmp(conninfo, "postgres://", 11) != 0 &&
		 strncmp(conninfo, "postgresql://", 13) != 0) ||
		(q = strchr(conninfo, '?')) == NULL)
	{
		*libpq_part = xstrdup(conninfo);
		return;
	}
	sb_init(&sb);
	sb_put(&sb, conninfo, (size_t) (q - conninfo));
	for (p = q + 1; *p;)
	{
		const char *end = strchr(p, '&');
		size_t		len = end ? (size_t) (end - p) : strlen(p);

		if (len > 12 && strncmp(p, "search_path=", 12) == 0)
		{
			free(*path);
			*path = uri_decode(p + 12, len - 12);
		}
		else if (len > 0)
		{
			sb_putc(&sb, first ? '?' : '&');
			sb_put(&sb, p, len);
			first = false;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	*libpq_part = sb_steal(&sb);
}

static PGconn *
try_connect(PgState *s, const char *password)
{
	const char *keys[4] = {"dbname", "fallback_application_name", NULL, NULL};
	const char *values[4] = {s->conninfo, "migrate", NULL, NULL};

	if (password)
	{
		keys[2] = "password";
		values[2] = password;
	}
	return PQconnectdbParams(keys, values, 1);
}

static int
read_session(Driver *d)
{
	PgState    *s = st(d);
	int			rc;
	PGresult   *res;

	res = pg_run(d, "SELECT pg_catalog.current_setting('search_path') AS path,"
				 " pg_catalog.current_schema() AS schema,"
				 " CURRENT_USER AS role, pg_catalog.current_database() AS db",
				 0, NULL, &rc, NULL);
	if (res == NULL)
		return rc;
	s->user_path = s->url_path ? xstrdup(s->url_path) : value_or_null(res, 0, "path");
	s->target_schema = value_or_null(res, 0, "schema");
	s->role = value_or_null(res, 0, "role");
	s->dbname = value_or_null(res, 0, "db");
	PQclear(res);
	if (s->url_path)
	{
		const char *v[1] = {s->url_path};

		/* the schema CREATE EXTENSION uses: the first of the URL's path */
		res = pg_run(d, "SELECT (pg_catalog.current_schemas(false))[1] AS schema"
					 " FROM (SELECT pg_catalog.set_config('search_path', $1, false)) s",
					 1, v, &rc, NULL);
		if (res == NULL)
			return rc;
		free(s->target_schema);
		s->target_schema = value_or_null(res, 0, "schema");
		PQclear(res);
	}
	return pg_do(d, "SELECT pg_catalog.set_config('search_path', '', false)", 0, NULL);
}

static int
pg_connect(Driver *d)
{
	PgState    *s = xcalloc(1, sizeof(PgState));
	char	   *password = NULL;
	int			prompt = d->opts ? d->opts->prompt_password : PROMPT_AUTO;

	d->priv = s;
	split_search_path(d->url && d->url->conninfo ? d->url->conninfo : "", &s->conninfo,
					  &s->url_path);
	if (prompt == PROMPT_ALWAYS)
		password = prompt_password();
	s->conn = try_connect(s, password);
	if (s->conn && PQstatus(s->conn) == CONNECTION_BAD &&
		PQconnectionNeedsPassword(s->conn) && password == NULL && prompt != PROMPT_NEVER)
	{
		password = prompt_password();
		if (password)
		{
			PQfinish(s->conn);
			s->conn = try_connect(s, password);
		}
	}
	if (password)
	{
		memset(password, 0, strlen(password));
		free(password);
	}
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
	{
		const char *msg = s->conn ? PQerrorMessage(s->conn) : "out of memory";
		char	   *copy = xstrdup(msg);
		size_t		n = strlen(copy);

		while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == ' '))
			copy[--n] = '\0';
		log_error("could not connect to %s", d->url && d->url->redacted && *d->url->redacted
				  ? d->url->redacted : "the database");
		log_error_detail("%s", copy);
		if (s->conn && PQconnectionNeedsPassword(s->conn))
			log_error_hint("Give the password in the URL, in PGPASSWORD or ~/.pgpass, or run interactively to be asked for it.");
		free(copy);
		return DRV_ERROR;
	}
	if (d->opts && d->opts->revisions_schema)
		log_warning("--revisions-schema is ignored on PostgreSQL: the revisions live in the schema \"migrate\" of the extension");
	return read_session(d);
}

static void
pg_close(Driver *d)
{
	PgState    *s = st(d);

	if (s == NULL)
		return;
	if (s->conn)
		PQfinish(s->conn);
	free(s->conninfo);
	free(s->url_path);
	free(s->user_path);
	free(s->target_schema);
	free(s->ext_schema);
	free(s->ext_version);
	free(s->role);
	free(s->dbname);
	free(s);
	d->priv = NULL;
}

/* ------------------------------------------------------------------------
 * The extension
 * ------------------------------------------------------------------------
 */

/* find the installed extension; *found false when missing */
static int
find_extension(Driver *d, bool *found)
{
	PgState    *s = st(d);
	int			rc;
	PGresult   *res = pg_run(d, "SELECT e.extversion, pg_catalog.quote_ident(n.nspname) AS schema"
							 " FROM pg_catalog.pg_extension e"
							 " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
							 " WHERE e.extname OPERATOR(pg_catalog.=) 'migrate'",
							 0, NULL, &rc, NULL);

	if (res == NULL)
		return rc;
	*found = PQntuples(res) > 0;
	if (*found)
	{
		free(s->ext_version);
		free(s->ext_schema);
		s->ext_version = value_or_null(res, 0, "extversion");
		s->ext_schema = value_or_null(res, 0, "schema");
	}
	PQclear(res);
	return DRV_OK;
}

/* the handshake: client, SQL script and library must agree */
static int
handshake(Driver *d)
{
	PgState    *s = st(d);
	int			rc;
	PGresult   *res = pg_run(d, "SELECT migrate.version() AS version", 0, NULL, &rc, NULL);
	char	   *lib;

	if (res == NULL)
		return rc;
	lib = value_or_null(res, 0, "version");
	PQclear(res);
	if (lib == NULL || strcmp(lib, s->ext_version) != 0)
	{
		log_error("the migrate extension in database \"%s\" is at version %s but its library is %s",
				  s->dbname, s->ext_version, lib ? lib : "unknown");
		log_error_detail("The extension's files on the server were updated without updating the extension in this database.");
		log_error_hint("A superuser must run ALTER EXTENSION migrate UPDATE in database \"%s\".", s->dbname);
		free(lib);
		return DRV_ERROR;
	}
	free(lib);
	if (strcmp(s->ext_version, MIGRATE_VERSION) != 0)
	{
		log_error("this client is version %s but the migrate extension in database \"%s\" is version %s",
				  MIGRATE_VERSION, s->dbname, s->ext_version);
		if (version_cmp(MIGRATE_VERSION, s->ext_version) > 0)
			log_error_hint("Install migrate %s on the server, then have a superuser run ALTER EXTENSION migrate UPDATE in database \"%s\".",
						   MIGRATE_VERSION, s->dbname);
		else
			log_error_hint("Use migrate client version %s with this database.", s->ext_version);
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* can the connected role run migrations here? */
static int
check_runner(Driver *d)
{
	PgState    *s = st(d);
	int			rc;
	PGresult   *res = pg_run(d, "SELECT pg_catalog.has_function_privilege('migrate.lock(integer)', 'EXECUTE') AS ok",
							 0, NULL, &rc, NULL);
	bool		ok;

	if (res == NULL)
		return rc;
	ok = bool_of(res, 0, "ok");
	PQclear(res);
	if (ok)
		return DRV_OK;
	log_error("role \"%s\" may not run migrations in database \"%s\"", s->role, s->dbname);
	log_error_detail("The migrate extension is installed, but the role was not named as a runner.");
	log_error_hint("A superuser must run SELECT migrate.allow_runner('%s'); in database \"%s\".",
				   s->role, s->dbname);
	return DRV_ERROR;
}

/* the advisory lock CREATE EXTENSION runs under ("migr", "crea") */
#define CREATE_LOCK_KEY1	0x6d696772
#define CREATE_LOCK_KEY2	0x63726561

static int
create_extension(Driver *d)
{
	PgState    *s = st(d);
	int			rc;
	PGresult   *res;
	bool		available,
				superuser;
	char	   *sql;
	char	   *schema;

	res = pg_run(d, "SELECT EXISTS (SELECT FROM pg_catalog.pg_available_extensions"
				 "   WHERE name OPERATOR(pg_catalog.=) 'migrate') AS available,"
				 " (SELECT rolsuper FROM pg_catalog.pg_roles"
				 "   WHERE rolname OPERATOR(pg_catalog.=) CURRENT_USER) AS superuser",
				 0, NULL, &rc, NULL);
	if (res == NULL)
		return rc;
	available = bool_of(res, 0, "available");
	superuser = bool_of(res, 0, "superuser");
	PQclear(res);
	if (!available)
	{
		log_error("the migrate extension is not installed on the database server");
		log_error_detail("Database \"%s\" has no extension \"migrate\" and the server has no files to create it.",
						 s->dbname);
		log_error_hint("Install the extension on the server (make install), then run the command again.");
		return DRV_ERROR;
	}
	if (!superuser)
	{
		log_error("the migrate extension is missing in database \"%s\"", s->dbname);
		log_error_detail("Role \"%s\" may not create it: CREATE EXTENSION migrate needs a superuser.",
						 s->role);
		log_error_hint("A superuser must run CREATE EXTENSION migrate in database \"%s\" (and SELECT migrate.allow_runner('%s'); to let this role run migrations).",
					   s->dbname, s->role);
		return DRV_ERROR;
	}
	if (s->target_schema == NULL)
	{
		log_error("cannot create the migrate extension: no schema of the search_path exists");
		log_error_hint("Create the schema named first in the search_path, or give ?search_path=SCHEMA in the URL.");
		return DRV_ERROR;
	}
	schema = PQescapeIdentifier(s->conn, s->target_schema, strlen(s->target_schema));
	if (schema == NULL)
	{
		log_error("could not quote schema name \"%s\": %s", s->target_schema, PQerrorMessage(s->conn));
		return DRV_ERROR;
	}

	/*
	 * Runners that start together on a database without the extension all get
	 * here: IF NOT EXISTS does not stop two concurrent CREATE EXTENSIONs (the
	 * second fails on pg_extension's unique index).  A transaction lock makes
	 * them take turns, and each one's CREATE EXTENSION then sees what the one
	 * before it committed.
	 */
	sql = xasprintf("BEGIN;"
					" SET LOCAL client_min_messages = warning;"
					" SELECT pg_catalog.pg_advisory_xact_lock(%d, %d);"
					" CREATE EXTENSION IF NOT EXISTS migrate SCHEMA %s;"
					" COMMIT",
					CREATE_LOCK_KEY1, CREATE_LOCK_KEY2, schema);
	PQfreemem(schema);
	rc = pg_do(d, sql, 0, NULL);
	free(sql);
	if (rc == DRV_ERROR)
		(void) pg_do(d, "ROLLBACK", 0, NULL);
	if (rc == DRV_OK)
		log_info("created the migrate extension in database \"%s\"", s->dbname);
	return rc;
}

static int
pg_prepare(Driver *d, bool create, bool *ready)
{
	bool		found = false;
	int			rc;

	*ready = false;
	rc = find_extension(d, &found);
	if (rc != DRV_OK)
		return rc;
	if (!found)
	{
		if (!create)
			return DRV_OK;
		rc = create_extension(d);
		if (rc != DRV_OK)
			return rc;
		rc = find_extension(d, &found);
		if (rc != DRV_OK)
			return rc;
		if (!found)
		{
			log_error("the migrate extension was not created");
			return DRV_ERROR;
		}
	}
	rc = handshake(d);
	if (rc == DRV_OK)
		rc = check_runner(d);
	if (rc == DRV_OK)
		*ready = true;
	return rc;
}

/* ------------------------------------------------------------------------
 * Lock, revisions, baseline
 * ------------------------------------------------------------------------
 */
static int
pg_lock(Driver *d, int timeout_ms)
{
	char		ms[32];
	const char *v[1] = {ms};
	int			rc;
	PGresult   *failed = NULL;
	PGresult   *res;

	snprintf(ms, sizeof(ms), "%d", timeout_ms < 0 ? 0 : timeout_ms);
	res = pg_run(d, "SELECT migrate.lock($1::integer)", 1, v, &rc, &failed);
	if (res)
	{
		PQclear(res);
		return DRV_OK;
	}
	if (failed == NULL)
		return rc;
	if (strcmp(sqlstate_of(failed), "55P03") == 0)
	{
		const char *detail = PQresultErrorField(failed, PG_DIAG_MESSAGE_DETAIL);
		char		dur[64];

		/*
		 * The whole story, the holder included, is told here: DRV_ERROR
		 * rather than DRV_LOCKED, whose generic message the core would add.
		 */
		format_duration((int64_t) (timeout_ms < 0 ? 0 : timeout_ms) * 1000000, dur, sizeof(dur));
		log_error("could not obtain the migration lock within %s", dur);
		log_error_detail("%s", detail ? detail : "Another migrate command is working on this database.");
		log_error_hint("Wait for it to finish, or give a longer --lock-timeout.");
		PQclear(failed);
		return DRV_ERROR;
	}
	log_server_error(st(d)->conn, failed, "could not take the migration lock");
	PQclear(failed);
	return DRV_ERROR;
}

static void
pg_unlock(Driver *d)
{
	PgState    *s = st(d);

	if (s == NULL || s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return;
	/* a transaction block left open by a failure would refuse the call */
	if (PQtransactionStatus(s->conn) == PQTRANS_INERROR ||
		PQtransactionStatus(s->conn) == PQTRANS_INTRANS)
		(void) pg_do(d, "ROLLBACK", 0, NULL);
	(void) pg_do(d, "SELECT migrate.unlock()", 0, NULL);
}

/* split "h1:a h1:b" (hashes never contain spaces) */
static void
split_hashes(const char *s, Revision *r)
{
	const char *p = s;

	r->partial_hashes = NULL;
	r->npartial = 0;
	if (s == NULL || *s == '\0')
		return;
	while (*p)
	{
		const char *end = strchr(p, ' ');
		size_t		len = end ? (size_t) (end - p) : strlen(p);

		r->partial_hashes = xrealloc(r->partial_hashes, sizeof(char *) * (r->npartial + 1));
		r->partial_hashes[r->npartial++] = xstrndup(p, len);
		p += len;
		while (*p == ' ')
			p++;
	}
}

static LeftoverAction
leftover_action(const char *s)
{
	if (s && strcmp(s, "drop") == 0)
		return LEFTOVER_DROP;
	if (s && strcmp(s, "refuse") == 0)
		return LEFTOVER_REFUSE;
	return LEFTOVER_KEEP;
}

/*
 * The leftovers of interrupted statements (migrate.leftovers()), attached
 * to their partially applied revisions; asked only when there is one.
 */
static int
read_leftovers(Driver *d, RevisionList *out)
{
	PGresult   *res;
	bool		partial = false;
	int			rc,
				k,
				j;

	for (k = 0; k < out->n; k++)
		if (!(out->items[k].type & (REV_BASELINE | REV_SET)) &&
			out->items[k].applied < out->items[k].total)
			partial = true;
	if (!partial)
		return DRV_OK;
	res = pg_run(d, "SELECT version, action, message, detail, hint, drop_statement"
				 " FROM migrate.leftovers()", 0, NULL, &rc, NULL);
	if (res == NULL)
		return rc;
	for (j = 0; j < PQntuples(res); j++)
	{
		for (k = 0; k < out->n; k++)
		{
			Revision   *r = &out->items[k];
			Leftover   *l;
			char	   *action;

			if (strcmp(r->version, PQgetvalue(res, j, 0)) != 0)
				continue;
			r->leftovers = xrealloc(r->leftovers, sizeof(Leftover) * (r->nleftovers + 1));
			l = &r->leftovers[r->nleftovers++];
			action = value_or_null(res, j, "action");
			l->action = leftover_action(action);
			free(action);
			l->message = value_or_null(res, j, "message");
			l->detail = value_or_null(res, j, "detail");
			l->hint = value_or_null(res, j, "hint");
			l->drop = value_or_null(res, j, "drop_statement");
			break;
		}
	}
	PQclear(res);
	return DRV_OK;
}

static int
pg_read_revisions(Driver *d, RevisionList *out)
{
	int			rc;
	PGresult   *res = pg_run(d, "SELECT version, description, type, applied, total,"
							 " (pg_catalog.date_part('epoch', executed_at) OPERATOR(pg_catalog.*) 1000000)::bigint AS executed_at_us,"
							 " execution_time, error, error_stmt, hash,"
							 " pg_catalog.array_to_string(partial_hashes, ' ') AS partial_hashes"
							 " FROM migrate.list_revisions()",
							 0, NULL, &rc, NULL);
	int			n,
				k;

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return rc;
	n = PQntuples(res);
	out->items = xcalloc(n > 0 ? n : 1, sizeof(Revision));
	out->n = n;
	for (k = 0; k < n; k++)
	{
		Revision   *r = &out->items[k];
		char	   *hashes = value_or_null(res, k, "partial_hashes");

		r->version = value_or_null(res, k, "version");
		r->description = value_or_null(res, k, "description");
		r->type = (int) number_or(res, k, "type", 0);
		r->applied = (int) number_or(res, k, "applied", 0);
		r->total = (int) number_or(res, k, "total", 0);
		r->executed_at_us = number_or(res, k, "executed_at_us", 0);
		r->execution_time_ns = number_or(res, k, "execution_time", 0);
		r->error = value_or_null(res, k, "error");
		r->error_stmt = value_or_null(res, k, "error_stmt");
		r->hash = value_or_null(res, k, "hash");
		split_hashes(hashes, r);
		free(hashes);
	}
	PQclear(res);
	rc = read_leftovers(d, out);
	if (rc != DRV_OK)
		revisions_free(out);
	return rc;
}

/*
 * Without the extension (a dry run on a new database) the same question is
 * asked of the catalog directly: user relations, types, routines, schemas
 * other than public, and extensions, not counting extension members.
 */
#define CLEAN_FALLBACK_SQL \
	"WITH o(what) AS (" \
	" SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'" \
	"   WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END" \
	"   OPERATOR(pg_catalog.||) ' \"' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname)" \
	"   OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) OPERATOR(pg_catalog.||) '\"'" \
	" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace" \
	" WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,S,f}'::\"char\"[])" \
	" AND c.oid OPERATOR(pg_catalog.>=) 16384 AND n.nspname !~ '^(pg_|information_schema$)'" \
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass" \
	"   AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) ANY ('{e,i,a}'::\"char\"[]))" \
	" UNION ALL SELECT 'function \"' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text OPERATOR(pg_catalog.||) '\"'" \
	" FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace" \
	" WHERE p.oid OPERATOR(pg_catalog.>=) 16384 AND n.nspname !~ '^(pg_|information_schema$)'" \
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass" \
	"   AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')" \
	" UNION ALL SELECT 'type \"' OPERATOR(pg_catalog.||) t.oid::pg_catalog.regtype::pg_catalog.text OPERATOR(pg_catalog.||) '\"'" \
	" FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace" \
	" WHERE t.oid OPERATOR(pg_catalog.>=) 16384 AND n.nspname !~ '^(pg_|information_schema$)'" \
	" AND t.typtype OPERATOR(pg_catalog.=) ANY ('{e,d,r,b}'::\"char\"[])" \
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass" \
	"   AND d.objid OPERATOR(pg_catalog.=) t.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')" \
	" UNION ALL SELECT 'schema \"' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '\"'" \
	" FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.>=) 16384" \
	" AND n.nspname !~ '^(pg_|information_schema$)'" \
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass" \
	"   AND d.objid OPERATOR(pg_catalog.=) n.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')" \
	" UNION ALL SELECT 'extension \"' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.extname) OPERATOR(pg_catalog.||) '\"'" \
	" FROM pg_catalog.pg_extension e WHERE e.oid OPERATOR(pg_catalog.>=) 16384)" \
	" SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 0 AS clean," \
	" CASE pg_catalog.count(*) WHEN 0 THEN NULL WHEN 1 THEN 'found ' OPERATOR(pg_catalog.||) pg_catalog.min(what)" \
	"   WHEN 2 THEN 'found ' OPERATOR(pg_catalog.||) pg_catalog.min(what) OPERATOR(pg_catalog.||) ' and 1 other object'" \
	"   ELSE 'found ' OPERATOR(pg_catalog.||) pg_catalog.min(what) OPERATOR(pg_catalog.||) ' and '" \
	"     OPERATOR(pg_catalog.||) (pg_catalog.count(*) OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.||) ' other objects' END AS reason" \
	" FROM o"

static int
pg_check_clean(Driver *d, bool *clean, char **reason)
{
	int			rc;
	bool		found = false;
	PGresult   *res;

	rc = find_extension(d, &found);
	if (rc != DRV_OK)
		return rc;
	res = pg_run(d, found ? "SELECT clean, reason FROM migrate.is_clean()" : CLEAN_FALLBACK_SQL,
				 0, NULL, &rc, NULL);
	if (res == NULL)
		return rc;
	*clean = bool_of(res, 0, "clean");
	*reason = value_or_null(res, 0, "reason");
	PQclear(res);
	return DRV_OK;
}

static int
pg_write_baseline(Driver *d, const char *version, const char *description)
{
	const char *v[3] = {version, description ? description : "", OPERATOR_VERSION};

	return pg_do(d, "SELECT migrate.baseline($1, $2, $3)", 3, v);
}

static int
pg_begin_all(Driver *d)
{
	return pg_do(d, "BEGIN", 0, NULL);
}

static int
pg_commit_all(Driver *d)
{
	int			rc;
	PGresult   *res = pg_run(d, "COMMIT", 0, NULL, &rc, NULL);
	bool		rolled_back;

	if (res == NULL)
		return rc;
	rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
	PQclear(res);
	if (rolled_back)
	{
		log_error("the transaction around the migration files was rolled back");
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
pg_rollback_all(Driver *d)
{
	return pg_do(d, "ROLLBACK", 0, NULL);
}

/* ------------------------------------------------------------------------
 * Applying files
 * ------------------------------------------------------------------------
 */
static void
title_for(char *buf, size_t n, const char *what, const MigrationFile *f)
{
	snprintf(buf, n, "%s version %s", what, f->version);
}

/* a failure the extension raised (not returned): roll back and log */
static int
call_failed(Driver *d, PGresult *failed, bool in_tx, const MigrationFile *f)
{
	char		ctx[512];

	snprintf(ctx, sizeof(ctx), "cannot apply \"%s\"", f->name);
	log_server_error(st(d)->conn, failed, ctx);
	PQclear(failed);
	if (in_tx)
		(void) pg_do(d, "ROLLBACK", 0, NULL);
	return DRV_ERROR;
}

static void
fail_result(ApplyResult *res, const char *message, const char *detail, const char *hint,
			const char *stmt)
{
	res->failed = true;
	res->error = step_error(message, detail, hint);
	res->error_stmt = stmt ? xstrdup(stmt) : NULL;
}

/* report the checks group, given how the checks ended */
static void
report_checks(Reporter *r, const MigrationFile *f, int failed_check, const char *error,
			  int64_t elapsed)
{
	char		title[512];
	int			k;

	if (f->checks.n == 0)
		return;
	title_for(title, sizeof(title), "checks before migrating", f);
	report_group(r, title);
	for (k = 0; k < f->checks.n && (failed_check < 0 || k < failed_check); k++)
		report_check(r, f->checks.items[k].text);
	if (failed_check >= 0 && failed_check < f->checks.n)
		report_check_failed(r, f->checks.items[failed_check].text, error);
	else
		report_group_ok(r, elapsed);
}

/*
 * The call of migrate.apply_file.  In tx mode file it is prepared once per
 * session (outside any transaction, so that a failure to prepare costs
 * nothing: the plain call then reports what is wrong): parsing and planning
 * the call anew for every file costs the server about as much as a small
 * file's DDL.  In mode all a failed call aborts the caller's transaction,
 * where a dropped prepared statement could not be replaced, so the call is
 * not prepared there.
 */
#define APPLY_FILE_CALL \
	"SELECT ok, applied, total, failed_index, error, error_stmt, sqlstate," \
	" detail, hint, elapsed_ns, failed_check, checks_ns" \
	" FROM migrate.apply_file($1, $2, $3, $4, $5::text[], $6::text[], $7::text[]," \
	" $8::integer, $9, $10, $11)"
#define APPLY_FILE_STMT "migrate_apply_file_call"

static void
prepare_apply_file(Driver *d)
{
	PgState    *s = st(d);
	PGresult   *res;

	if (s->apply_prepared != 0)
		return;
	res = PQprepare(s->conn, APPLY_FILE_STMT, APPLY_FILE_CALL, 11, NULL);
	s->apply_prepared = res && PQresultStatus(res) == PGRES_COMMAND_OK ? 1 : -1;
	PQclear(res);
}

static PGresult *
run_apply_file(Driver *d, bool own_tx, const char *const *v, int *rc, PGresult **failed)
{
	bool		prepared = own_tx && st(d)->apply_prepared == 1;

	return pg_run_as(d, prepared ? APPLY_FILE_STMT : NULL, APPLY_FILE_CALL, 11, v, rc, failed);
}

/* tx modes file and all: the whole file in one call */
static int
apply_in_transaction(Driver *d, const MigrationFile *f, TxMode mode, int start,
					 Reporter *r, ApplyResult *res)
{
	PgState    *s = st(d);
	char	   *stmts = text_array(&f->stmts, false);
	char	   *checks = text_array(&f->checks, true);
	char	   *down = f->has_down ? text_array(&f->down, false) : NULL;
	char		startbuf[16];
	const char *v[11];
	PGresult   *row;
	PGresult   *failed = NULL;
	char		title[512];
	int			rc,
				k,
				failed_index,
				failed_check;
	bool		own_tx = mode != TXMODE_ALL;

	snprintf(startbuf, sizeof(startbuf), "%d", start);
	v[0] = f->version;
	v[1] = f->description ? f->description : "";
	v[2] = f->hash;
	v[3] = f->content ? f->content : "";
	v[4] = stmts;
	v[5] = checks;
	v[6] = down;
	v[7] = startbuf;
	v[8] = mode == TXMODE_ALL ? "all" : "file";
	v[9] = s->user_path;
	v[10] = OPERATOR_VERSION;

	if (own_tx)
		prepare_apply_file(d);
	if (own_tx && (rc = pg_do(d, "BEGIN", 0, NULL)) != DRV_OK)
		goto out;
	row = run_apply_file(d, own_tx, v, &rc, &failed);
	if (row == NULL && failed != NULL && own_tx && s->apply_prepared == 1 &&
		strcmp(sqlstate_of(failed), "26000") == 0)
	{
		/*
		 * An earlier file deallocated the prepared call (DEALLOCATE ALL):
		 * nothing ran, so roll back, prepare it again and retry once.
		 */
		PQclear(failed);
		failed = NULL;
		s->apply_prepared = 0;
		if ((rc = pg_do(d, "ROLLBACK", 0, NULL)) != DRV_OK)
			goto out;
		prepare_apply_file(d);
		if ((rc = pg_do(d, "BEGIN", 0, NULL)) != DRV_OK)
			goto out;
		row = run_apply_file(d, own_tx, v, &rc, &failed);
	}
	if (row == NULL)
	{
		if (failed)
			rc = call_failed(d, failed, own_tx, f);
		goto out;
	}
	/* in mode file, commit even after a failure: it keeps the error record */
	if (own_tx && (rc = pg_commit_all(d)) != DRV_OK)
	{
		PQclear(row);
		goto out;
	}
	failed_index = (int) number_or(row, 0, "failed_index", -1);
	failed_check = (int) number_or(row, 0, "failed_check", -1);
	res->elapsed_ns = number_or(row, 0, "elapsed_ns", 0);
	if (bool_of(row, 0, "ok"))
	{
		report_checks(r, f, -1, NULL, number_or(row, 0, "checks_ns", 0));
		title_for(title, sizeof(title), "migrating", f);
		report_group(r, title);
		for (k = start; k < f->stmts.n; k++)
			report_stmt(r, f->stmts.items[k].text);
		res->applied = f->stmts.n - start;
		report_group_ok(r, res->elapsed_ns);
		rc = DRV_OK;
	}
	else
	{
		char	   *error = value_or_null(row, 0, "error");
		char	   *detail = value_or_null(row, 0, "detail");
		char	   *hint = value_or_null(row, 0, "hint");
		char	   *stmt = value_or_null(row, 0, "error_stmt");

		fail_result(res, error, detail, hint, stmt);
		if (failed_check >= 0)
			report_checks(r, f, failed_check, res->error, 0);
		else
		{
			report_checks(r, f, -1, NULL, number_or(row, 0, "checks_ns", 0));
			title_for(title, sizeof(title), "migrating", f);
			report_group(r, title);
			for (k = start; k < f->stmts.n && (failed_index < 0 || k <= failed_index); k++)
				report_stmt(r, f->stmts.items[k].text);
			report_group_error(r, stmt, res->error);
		}
		free(error);
		free(detail);
		free(hint);
		free(stmt);
		rc = DRV_ERROR;
	}
	PQclear(row);

out:
	free(stmts);
	free(checks);
	free(down);
	return rc;
}

/*
 * Record the failure of statement sql of f after the transaction it ran in
 * ended (migrate.record_failure).  Returns DRV_ERROR, or DRV_CONN_LOST.
 */
static int
record_toplevel_failure(Driver *d, const MigrationFile *f, const char *message,
						const char *sql, const char *elapsed)
{
	char		total[16];
	const char *v[8];
	int			rc;

	snprintf(total, sizeof(total), "%d", f->stmts.n);
	v[0] = f->version;
	v[1] = f->description ? f->description : "";
	v[2] = f->hash;
	v[3] = total;
	v[4] = message;
	v[5] = sql;
	v[6] = elapsed;
	v[7] = OPERATOR_VERSION;
	rc = pg_do(d, "SELECT migrate.record_failure($1, $2, $3, $4::integer, $5, $6, $7::bigint, $8)",
			   8, v);
	return rc == DRV_CONN_LOST ? rc : DRV_ERROR;
}

/*
 * Before statement start of f runs again: deal with what an interruption
 * of it left behind, as migrate.leftovers() judges it (docs/postgres.md).
 * A leftover in the way that is not provably the statement's own stops the
 * file, recorded as its error; the statement's own leftovers are dropped
 * with DROP INDEX CONCURRENTLY at top level (outside any transaction, like
 * the statement), each announced with migrate.expect_cleanup so that the
 * history records the drop as a step of the resume.  Returns DRV_OK,
 * DRV_CONN_LOST, or DRV_ERROR with the failure in res.
 */
static int
clean_leftovers(Driver *d, const MigrationFile *f, int start, Reporter *r, ApplyResult *res)
{
	const char *stmt = f->stmts.items[start].text;
	const char *v[1] = {f->version};
	char		step[16];
	PGresult   *rows;
	int			rc = DRV_OK,
				k;

	rows = pg_run(d, "SELECT step, index_oid, action, message, detail, hint, drop_statement"
				  " FROM migrate.leftovers($1)", 1, v, &rc, NULL);
	if (rows == NULL)
		return rc;
	snprintf(step, sizeof(step), "%d", start);
	/* refusals first: nothing is dropped when the file stops anyway */
	for (k = 0; k < PQntuples(rows); k++)
		if (strcmp(PQgetvalue(rows, k, 0), step) == 0 &&
			strcmp(PQgetvalue(rows, k, 2), "refuse") == 0)
		{
			fail_result(res, PQgetvalue(rows, k, 3),
						PQgetisnull(rows, k, 4) ? NULL : PQgetvalue(rows, k, 4),
						PQgetisnull(rows, k, 5) ? NULL : PQgetvalue(rows, k, 5), stmt);
			report_group_error(r, stmt, res->error);
			rc = record_toplevel_failure(d, f, PQgetvalue(rows, k, 3), stmt, "0");
			PQclear(rows);
			return rc;
		}
	for (k = 0; k < PQntuples(rows) && rc == DRV_OK; k++)
	{
		const char *cv[3] = {f->version, step, PQgetvalue(rows, k, 1)};
		PGresult   *sql;
		PGresult   *failed = NULL;
		PGresult   *out;
		char	   *what;

		if (strcmp(PQgetvalue(rows, k, 0), step) != 0)
			continue;
		if (strcmp(PQgetvalue(rows, k, 2), "drop") != 0)
		{
			char	   *note = xasprintf("%s; it is left in place", PQgetvalue(rows, k, 3));

			report_note(r, note);
			free(note);
			continue;
		}
		what = xasprintf("dropping %s", PQgetvalue(rows, k, 3));
		report_cleanup(r, what, PQgetvalue(rows, k, 6));
		free(what);
		sql = pg_run(d, "SELECT migrate.expect_cleanup($1, $2::integer, $3::oid)", 3, cv, &rc, NULL);
		if (sql == NULL)
			break;
		out = pg_run(d, PQgetvalue(sql, 0, 0), 0, NULL, &rc, &failed);
		PQclear(out);
		if (failed)
		{
			const char *primary = PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY);

			fail_result(res, primary ? primary : "unknown error",
						PQresultErrorField(failed, PG_DIAG_MESSAGE_DETAIL),
						PQresultErrorField(failed, PG_DIAG_MESSAGE_HINT), PQgetvalue(sql, 0, 0));
			report_group_error(r, PQgetvalue(rows, k, 6), res->error);
			rc = record_toplevel_failure(d, f, primary ? primary : "unknown error",
										 PQgetvalue(sql, 0, 0), "0");
			PQclear(failed);
		}
		PQclear(sql);
	}
	PQclear(rows);
	return rc;
}

/*
 * Run a statement the extension could not run inside a function, at top
 * level under the runner's search_path.  Returns DRV_OK, DRV_CONN_LOST, or
 * DRV_ERROR with the failure in res (and recorded).
 */
static int
run_toplevel(Driver *d, const MigrationFile *f, int index, const char *path,
			 Reporter *r, ApplyResult *res)
{
	PgState    *s = st(d);
	const char *sql = f->stmts.items[index].text;
	char		idx[16];
	const char *v[3];
	const char *pv[1] = {path ? path : ""};
	PGresult   *failed = NULL;
	PGresult   *out;
	int			rc;
	int64_t		t0 = 0;
	char		elapsed[32];
	struct timespec ts;

	snprintf(idx, sizeof(idx), "%d", index);
	v[0] = f->version;
	v[1] = idx;
	v[2] = pv[0];
	if ((rc = pg_do(d, "SELECT migrate.expect_toplevel($1, $2::integer, $3)", 3, v)) != DRV_OK)
		return rc;
	if ((rc = pg_do(d, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, pv)) != DRV_OK)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
	out = pg_run(d, sql, 0, NULL, &rc, &failed);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	res->elapsed_ns += (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec - t0;
	snprintf(elapsed, sizeof(elapsed), "%lld",
			 (long long) ((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec - t0));
	if (rc == DRV_CONN_LOST)
		return rc;
	PQclear(out);
	if (failed)
	{
		const char *primary = PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY);
		char	   *message = xstrdup(primary ? primary : "unknown error");

		fail_result(res, message, PQresultErrorField(failed, PG_DIAG_MESSAGE_DETAIL),
					PQresultErrorField(failed, PG_DIAG_MESSAGE_HINT), sql);
		PQclear(failed);
		/* inside a transaction block the file opened itself: give it up */
		if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			(void) pg_do(d, "ROLLBACK", 0, NULL);
		(void) pg_do(d, "SELECT pg_catalog.set_config('search_path', '', false)", 0, NULL);
		rc = record_toplevel_failure(d, f, message, sql, elapsed);
		free(message);
		report_group_error(r, sql, res->error);
		return rc;
	}
	if ((rc = pg_do(d, "SELECT pg_catalog.set_config('search_path', '', false)", 0, NULL)) != DRV_OK)
		return rc;
	v[0] = f->version;
	v[1] = idx;
	v[2] = elapsed;
	return pg_do(d, "SELECT migrate.finish_toplevel($1, $2::integer, $3::bigint)", 3, v);
}

/* tx mode none: one statement per call, each in its own transaction */
static int
apply_statements(Driver *d, const MigrationFile *f, int start, Reporter *r, ApplyResult *res)
{
	PgState    *s = st(d);
	char	   *stmts = text_array(&f->stmts, false);
	char	   *checks = text_array(&f->checks, true);
	char	   *down = f->has_down ? text_array(&f->down, false) : NULL;
	char	   *path = s->user_path ? xstrdup(s->user_path) : NULL;
	char		startbuf[16];
	char		title[512];
	const char *v[10];
	PGresult   *row;
	PGresult   *failed = NULL;
	int			rc,
				k;

	snprintf(startbuf, sizeof(startbuf), "%d", start);
	v[0] = f->version;
	v[1] = f->description ? f->description : "";
	v[2] = f->hash;
	v[3] = f->content ? f->content : "";
	v[4] = stmts;
	v[5] = checks;
	v[6] = down;
	v[7] = startbuf;
	v[8] = s->user_path;
	v[9] = OPERATOR_VERSION;
	row = pg_run(d, "SELECT ok, failed_check, error, error_stmt, detail, hint, checks_ns"
				 " FROM migrate.begin_file($1, $2, $3, $4, $5::text[], $6::text[], $7::text[],"
				 " $8::integer, $9, $10)",
				 10, v, &rc, &failed);
	free(stmts);
	free(checks);
	free(down);
	if (row == NULL)
	{
		free(path);
		return failed ? call_failed(d, failed, false, f) : rc;
	}
	if (!bool_of(row, 0, "ok"))
	{
		char	   *error = value_or_null(row, 0, "error");
		char	   *detail = value_or_null(row, 0, "detail");
		char	   *hint = value_or_null(row, 0, "hint");
		char	   *stmt = value_or_null(row, 0, "error_stmt");

		fail_result(res, error, detail, hint, stmt);
		report_checks(r, f, (int) number_or(row, 0, "failed_check", 0), res->error, 0);
		free(error);
		free(detail);
		free(hint);
		free(stmt);
		free(path);
		PQclear(row);
		return DRV_ERROR;
	}
	report_checks(r, f, -1, NULL, number_or(row, 0, "checks_ns", 0));
	PQclear(row);

	title_for(title, sizeof(title), "migrating", f);
	report_group(r, title);
	if (start > 0)
	{
		char	   *note = xasprintf("resuming: the first %d statement%s ran before",
									 start, start == 1 ? "" : "s");

		report_note(r, note);
		free(note);
	}
	if (start < f->stmts.n && (rc = clean_leftovers(d, f, start, r, res)) != DRV_OK)
	{
		free(path);
		return rc;
	}
	for (k = start; k < f->stmts.n; k++)
	{
		char		idx[16];
		const char *sv[3];
		char	   *status;

		report_stmt(r, f->stmts.items[k].text);
		snprintf(idx, sizeof(idx), "%d", k);
		sv[0] = f->version;
		sv[1] = idx;
		sv[2] = path;
		row = pg_run(d, "SELECT status, error, detail, hint, search_path_after, elapsed_ns"
					 " FROM migrate.apply_statement($1, $2::integer, $3)",
					 3, sv, &rc, &failed);
		if (row == NULL)
		{
			free(path);
			return failed ? call_failed(d, failed, false, f) : rc;
		}
		status = value_or_null(row, 0, "status");
		res->elapsed_ns += number_or(row, 0, "elapsed_ns", 0);
		if (status && strcmp(status, "ok") == 0)
		{
			free(path);
			path = value_or_null(row, 0, "search_path_after");
			res->applied++;
		}
		else if (status && strcmp(status, "toplevel") == 0)
		{
			rc = run_toplevel(d, f, k, path, r, res);
			if (rc != DRV_OK)
			{
				free(status);
				free(path);
				PQclear(row);
				return rc;
			}
			res->applied++;
		}
		else
		{
			char	   *error = value_or_null(row, 0, "error");
			char	   *detail = value_or_null(row, 0, "detail");
			char	   *hint = value_or_null(row, 0, "hint");

			fail_result(res, error, detail, hint, f->stmts.items[k].text);
			report_group_error(r, f->stmts.items[k].text, res->error);
			free(error);
			free(detail);
			free(hint);
			free(status);
			free(path);
			PQclear(row);
			return DRV_ERROR;
		}
		free(status);
		PQclear(row);
	}
	free(path);
	report_group_ok(r, res->elapsed_ns);
	return DRV_OK;
}

static int
pg_apply_file(Driver *d, const MigrationFile *f, TxMode mode, int start, Reporter *r,
			  ApplyResult *res)
{
	memset(res, 0, sizeof(*res));
	if (mode == TXMODE_NONE)
		return apply_statements(d, f, start, r, res);
	return apply_in_transaction(d, f, mode == TXMODE_ALL ? TXMODE_ALL : TXMODE_FILE, start, r, res);
}

static int
pg_record_failure(Driver *d, const MigrationFile *f, const ApplyResult *res)
{
	char		total[16];
	char		elapsed[32];
	const char *v[8];

	snprintf(total, sizeof(total), "%d", f->stmts.n);
	snprintf(elapsed, sizeof(elapsed), "%lld", (long long) res->elapsed_ns);
	v[0] = f->version;
	v[1] = f->description ? f->description : "";
	v[2] = f->hash;
	v[3] = total;
	v[4] = res->error ? res->error : "unknown error";
	v[5] = res->error_stmt;
	v[6] = elapsed;
	v[7] = OPERATOR_VERSION;
	return pg_do(d, "SELECT migrate.record_failure($1, $2, $3, $4::integer, $5, $6, $7::bigint, $8)",
				 8, v);
}

/* ------------------------------------------------------------------------
 * set, tag, down
 * ------------------------------------------------------------------------
 */

/* a text[] literal of one field of every file of the directory */
static char *
dir_array(const MigrationDir *dir, int field)
{
	StrBuf		sb;
	int			k;

	sb_init(&sb);
	sb_putc(&sb, '{');
	for (k = 0; k < dir->nfiles; k++)
	{
		const MigrationFile *f = &dir->files[k];
		const char *val = field == 0 ? f->version : field == 1 ? f->description : f->hash;
		const char *p;

		if (k > 0)
			sb_putc(&sb, ',');
		sb_putc(&sb, '"');
		for (p = val ? val : ""; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, '}');
	return sb_steal(&sb);
}

static int
pg_set_version(Driver *d, const char *version, const MigrationDir *dir)
{
	char	   *versions = dir_array(dir, 0);
	char	   *descriptions = dir_array(dir, 1);
	char	   *hashes = dir_array(dir, 2);
	const char *v[5] = {version, versions, descriptions, hashes, OPERATOR_VERSION};
	int			rc;
	PGresult   *res;

	res = pg_run(d, "SELECT action, version, description FROM migrate.set_version($1,"
				 " $2::text[], $3::text[], $4::text[], $5)",
				 5, v, &rc, NULL);
	free(versions);
	free(descriptions);
	free(hashes);
	if (res == NULL)
		return rc;
	for (int k = 0; k < PQntuples(res); k++)
		log_info("%s %s (%s)", PQgetvalue(res, k, 0), PQgetvalue(res, k, 1), PQgetvalue(res, k, 2));
	PQclear(res);
	return DRV_OK;
}

static int
pg_tag(Driver *d, const char *name)
{
	PgState    *s = st(d);
	char	   *sql = xasprintf("SELECT %s.migrate_tag($1)", s->ext_schema);
	const char *v[1] = {name};
	int			rc = pg_do(d, sql, 1, v);

	free(sql);
	return rc;
}

/* a text[] literal of the --allow-loss names, or NULL */
static char *
names_array(char **names, int n)
{
	StrBuf		sb;
	int			k;

	if (n == 0)
		return NULL;
	sb_init(&sb);
	sb_putc(&sb, '{');
	for (k = 0; k < n; k++)
	{
		const char *p;

		if (k > 0)
			sb_putc(&sb, ',');
		sb_putc(&sb, '"');
		for (p = names[k]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, '}');
	return sb_steal(&sb);
}

/*
 * down: the revert is computed and run by the extension's migrate_down(),
 * in one transaction of this session, under the runner's search_path (a
 * hand-written down section uses it; the plan itself qualifies every
 * name).  Its rows (version, kind, statement, result, duration) end each
 * segment with a "verify" row whose version lists the versions the segment
 * reverted, and the call with a "plan" row (the version left current and
 * the plan's hash).  They are reported in the reference shape: per
 * segment, "checks before reverting version(s) ..." with the checks and
 * "reverting version(s) ..." with notes and statements.
 *
 * A revert that fails raises an error and changes nothing; the plan is then
 * asked for with migrate_plan() (nothing runs) and reported up to the
 * check or statement the error names.
 */
typedef struct DownRow
{
	const char *version;
	const char *kind;
	const char *statement;
	const char *result;
	int64_t		duration_ns;
} DownRow;

/* "00:00:00.001234" (interval) -> nanoseconds */
static int64_t
interval_ns(const char *s)
{
	int			h = 0,
				m = 0;
	double		sec = 0;

	if (s == NULL || sscanf(s, "%d:%d:%lf", &h, &m, &sec) != 3)
		return 0;
	return ((int64_t) h * 3600 + m * 60) * 1000000000LL + (int64_t) (sec * 1e9);
}

static DownRow *
down_rows(PGresult *res, int *n)
{
	DownRow    *rows = xcalloc(PQntuples(res) + 1, sizeof(DownRow));
	int			k;

	for (k = 0; k < PQntuples(res); k++)
	{
		rows[k].version = PQgetisnull(res, k, 0) ? NULL : PQgetvalue(res, k, 0);
		rows[k].kind = PQgetvalue(res, k, 1);
		rows[k].statement = PQgetisnull(res, k, 2) ? NULL : PQgetvalue(res, k, 2);
		rows[k].result = PQgetisnull(res, k, 3) ? NULL : PQgetvalue(res, k, 3);
		rows[k].duration_ns = PQgetisnull(res, k, 4) ? -1 : interval_ns(PQgetvalue(res, k, 4));
	}
	*n = k;
	return rows;
}

static int
count_versions(const char *list)
{
	int			n = list && list[0] ? 1 : 0;

	for (; list && *list; list++)
		if (*list == ',')
			n++;
	return n;
}

/* first version of "3, 2" */
static char *
first_version(const char *list)
{
	const char *comma = strchr(list, ',');

	return comma ? xasprintf("%.*s", (int) (comma - list), list) : xstrdup(list);
}

/*
 * Report rows.  When the revert failed, fail_sql names the check or
 * statement the error came from (NULL: unknown) and fail_msg the error;
 * reporting stops there.
 */
static void
down_report(Reporter *r, DownRow *rows, int n, bool ran, bool check_failed,
			const char *fail_sql, const char *fail_msg)
{
	const char *target = NULL;
	char	   *current = NULL;
	int			total = 0;
	int			k,
				seg_start = 0;
	bool		stopped = false;

	for (k = 0; k < n; k++)
	{
		if (strcmp(rows[k].kind, "verify") == 0 && rows[k].version)
		{
			if (current == NULL)
				current = first_version(rows[k].version);
			total += count_versions(rows[k].version);
		}
		if (strcmp(rows[k].kind, "plan") == 0)
			target = rows[k].version;
	}
	report_down_header(r, current, target ? target : "", total);
	free(current);

	/* changes made outside migrations, before anything */
	for (k = 0; k < n; k++)
	{
		char	   *note;

		if (strcmp(rows[k].kind, "drift") != 0)
			continue;
		if (k == 0 || strcmp(rows[k - 1].kind, "drift") != 0)
		{
			report_group(r, "changes made outside migrations");
			report_group_versions(r, 0);
		}
		note = xasprintf("%s: %s", rows[k].statement ? rows[k].statement : "",
						 rows[k].result ? rows[k].result : "");
		report_note(r, note);
		free(note);
		report_group_ok(r, -1);
	}

	/* segments: rows up to each verify row */
	for (k = 0; k < n && !stopped; k++)
	{
		const char *label;
		char	   *title;
		int			j,
					nversions;
		int64_t		elapsed = 0;
		bool		any = false;
		bool		seg_failed = false;

		if (strcmp(rows[k].kind, "verify") != 0)
			continue;
		label = rows[k].version ? rows[k].version : "";
		nversions = count_versions(label);
		/* checks */
		for (j = seg_start; j < k; j++)
			if (strcmp(rows[j].kind, "check") == 0)
				any = true;
		if (any)
		{
			title = xasprintf("checks before reverting version%s %s", nversions > 1 ? "s" : "", label);
			report_group(r, title);
			report_group_versions(r, nversions);
			free(title);
			for (j = seg_start; j < k && !stopped; j++)
			{
				if (strcmp(rows[j].kind, "check") != 0)
					continue;
				if (check_failed && fail_sql && strcmp(fail_sql, rows[j].statement) == 0)
				{
					report_check_failed(r, rows[j].statement, fail_msg);
					stopped = true;
					break;
				}
				if (rows[j].result && strncmp(rows[j].result, "failed", 6) == 0)
				{
					report_check_failed(r, rows[j].statement, rows[j].result + 8);
					seg_failed = true;
					continue;
				}
				report_check(r, rows[j].statement);
				if (rows[j].result && strncmp(rows[j].result, "loss allowed", 12) == 0)
					report_note(r, rows[j].result);
				if (rows[j].duration_ns > 0)
					elapsed += rows[j].duration_ns;
			}
			if (!stopped)
				report_group_ok(r, elapsed);
			if (stopped)
				break;
		}
		/* notes and statements */
		title = xasprintf("reverting version%s %s", nversions > 1 ? "s" : "", label);
		report_group(r, title);

		/*
		 * a dry run shows what a failed check stops: its versions count once,
		 * as failed
		 */
		report_group_versions(r, seg_failed ? 0 : nversions);
		free(title);
		elapsed = 0;
		for (j = seg_start; j < k; j++)
		{
			if (strcmp(rows[j].kind, "note") == 0)
				report_note(r, rows[j].statement);
			else if (strcmp(rows[j].kind, "statement") == 0)
			{
				if (!check_failed && fail_sql && strcmp(fail_sql, rows[j].statement) == 0)
				{
					report_group_error(r, rows[j].statement, fail_msg);
					stopped = true;
					break;
				}
				report_stmt(r, rows[j].statement);
				if (rows[j].duration_ns > 0)
					elapsed += rows[j].duration_ns;
			}
		}
		if (stopped)
			break;
		if (fail_msg && !check_failed && fail_sql == NULL)
		{
			/* the error came from verification or bookkeeping */
			report_group_error(r, NULL, fail_msg);
			stopped = true;
			break;
		}
		if (rows[k].result && strcmp(rows[k].result, "not run: a check failed") == 0)
			stopped = true;
		/* a reviewed plan can be pinned: show its hash on a dry run */
		if (!ran && fail_msg == NULL)
		{
			int			j2;

			for (j2 = k + 1; j2 < n; j2++)
				if (strcmp(rows[j2].kind, "verify") == 0)
					break;
			if (j2 == n)
				for (j2 = 0; j2 < n; j2++)
					if (strcmp(rows[j2].kind, "plan") == 0 && rows[j2].result)
					{
						char	   *note = xasprintf("plan hash %s (--plan-hash %s runs exactly this plan)",
													 rows[j2].result, rows[j2].result);

						report_note(r, note);
						free(note);
					}
		}
		report_group_ok(r, ran ? elapsed : -1);
		seg_start = k + 1;
	}
}

/* the check or statement an error of migrate_down() names in its context */
static char *
failing_sql(const PGresult *res, bool *is_check)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *p;
	const char *e;

	*is_check = false;
	if (ctx == NULL)
		return NULL;
	if ((p = strstr(ctx, "revert check: ")) != NULL)
	{
		*is_check = true;
		p += 14;
	}
	else if ((p = strstr(ctx, ", statement: ")) != NULL && strstr(ctx, "revert of version") != NULL)
		p += 13;
	else
		return NULL;
	/* the context line ends at a newline (more context lines may follow) */
	e = strchr(p, '\n');
	while (e != NULL && e[1] != '\0' && strncmp(e + 1, "PL/pgSQL", 8) != 0 &&
		   strncmp(e + 1, "SQL ", 4) != 0 && strchr(e + 1, '\n') != NULL)
		e = strchr(e + 1, '\n');
	return e ? xasprintf("%.*s", (int) (e - p), p) : xstrdup(p);
}

static int
pg_down(Driver *d, const DownRequest *req, Reporter *r)
{
	PgState    *s = st(d);
	const char *lv[1] = {s->ext_schema};
	char	   *sql;
	char	   *allow = names_array(req->allow_loss, req->nallow_loss);
	char		steps[16];
	const char *v[7];
	const char *pv[1];
	PGresult   *res;
	PGresult   *failed = NULL;
	bool		present;
	int			rc,
				n;
	DownRow    *rows;

	res = pg_run(d, "SELECT pg_catalog.to_regprocedure(pg_catalog.format("
				 "'%s.migrate_down(integer, text, text, boolean, text[], boolean, text)', $1::text))"
				 " IS NOT NULL AS present",
				 1, lv, &rc, NULL);
	if (res == NULL)
	{
		free(allow);
		return rc;
	}
	present = bool_of(res, 0, "present");
	PQclear(res);
	if (!present)
	{
		log_error("the migrate extension in database \"%s\" cannot revert migrations", s->dbname);
		log_error_detail("Extension version %s has no function migrate_down(); it records history and applies migrations only.",
						 s->ext_version);
		log_error_hint("Install a migrate version that provides migrate_down() on the server, then have a superuser run ALTER EXTENSION migrate UPDATE.");
		free(allow);
		return DRV_ERROR;
	}

	snprintf(steps, sizeof(steps), "%d", req->steps);
	v[0] = req->steps > 0 ? steps : NULL;
	v[1] = req->to_version;
	v[2] = req->to_tag;
	v[3] = req->dry_run ? "true" : "false";
	v[4] = allow;
	v[5] = req->accept_drift ? "true" : "false";
	v[6] = req->plan_hash;
	sql = xasprintf("SELECT version, kind, statement, result, duration"
					" FROM %s.migrate_down(steps => COALESCE($1::integer, 1), to_version => $2,"
					" to_tag => $3, dry_run => $4::boolean, allow_loss => $5::text[],"
					" accept_drift => $6::boolean, plan_hash => $7)", s->ext_schema);
	if ((rc = pg_do(d, "BEGIN", 0, NULL)) != DRV_OK)
	{
		free(sql);
		free(allow);
		return rc;
	}
	pv[0] = s->user_path ? s->user_path : "";
	if ((rc = pg_do(d, "SELECT pg_catalog.set_config('search_path', $1, true)", 1, pv)) != DRV_OK)
	{
		free(sql);
		free(allow);
		return rc;
	}
	res = pg_run(d, sql, 7, v, &rc, &failed);
	free(sql);
	free(allow);
	if (res == NULL)
	{
		bool		is_check;
		char	   *fail_sql;
		const char *primary;
		char	   *msg;
		PGresult   *plan = NULL;
		PGresult   *plan_failed = NULL;

		if (failed == NULL)
			return rc == DRV_CONN_LOST ? rc : DRV_ERROR;
		(void) pg_do(d, "ROLLBACK", 0, NULL);
		fail_sql = failing_sql(failed, &is_check);
		primary = PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY);
		msg = xstrdup(primary ? primary : "error");
		/* show the plan up to the step that failed */
		if (fail_sql != NULL)
		{
			char	   *plan_sql = xasprintf("SELECT version, kind, statement, result, duration"
											 " FROM %s.migrate_plan(steps => COALESCE($1::integer, 1),"
											 " to_version => $2, to_tag => $3)", s->ext_schema);

			plan = pg_run(d, plan_sql, 3, v, &rc, &plan_failed);
			free(plan_sql);
			if (plan_failed)
				PQclear(plan_failed);
		}
		if (plan != NULL)
		{
			rows = down_rows(plan, &n);
			down_report(r, rows, n, false, is_check, fail_sql, msg);
			free(rows);
			PQclear(plan);
		}
		{
			const char *primary = PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY);

			/* the extension's refusals already say "cannot revert ..." */
			log_server_error(s->conn, failed,
							 primary && strncmp(primary, "cannot revert", 13) == 0 ? NULL : "cannot revert");
		}
		PQclear(failed);
		free(fail_sql);
		free(msg);
		return DRV_ERROR;
	}
	rows = down_rows(res, &n);
	if (n > 0)
	{
		bool		blocked = false;
		int			k;

		for (k = 0; k < n; k++)
			if (strcmp(rows[k].kind, "check") == 0 && rows[k].result &&
				strncmp(rows[k].result, "failed", 6) == 0)
				blocked = true;
		down_report(r, rows, n, !req->dry_run, false, NULL, NULL);
		if (blocked)
		{
			for (k = 0; k < n; k++)
				if (strcmp(rows[k].kind, "check") == 0 && rows[k].result &&
					strncmp(rows[k].result, "failed", 6) == 0)
				{
					log_error("the revert would stop: %s", rows[k].result + 8);
					break;
				}
		}
		free(rows);
		PQclear(res);
		if (blocked)
		{
			(void) pg_do(d, "ROLLBACK", 0, NULL);
			return DRV_ERROR;
		}
	}
	else
	{
		free(rows);
		PQclear(res);
	}
	return req->dry_run ? pg_do(d, "ROLLBACK", 0, NULL) : pg_commit_all(d);
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------
 */
static const DriverOps pg_ops = {
	.name = "postgres",
	.dialect = DIALECT_POSTGRES,
	.connect = pg_connect,
	.close = pg_close,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.prepare = pg_prepare,
	.read_revisions = pg_read_revisions,
	.check_clean = pg_check_clean,
	.write_baseline = pg_write_baseline,
	.begin_all = pg_begin_all,
	.commit_all = pg_commit_all,
	.rollback_all = pg_rollback_all,
	.apply_file = pg_apply_file,
	.record_failure = pg_record_failure,
	.down = pg_down,
	.set_version = pg_set_version,
	.tag = pg_tag,
};

void
migrate_driver_init_postgres(Driver *d)
{
	d->ops = &pg_ops;
	d->priv = NULL;
}
