/*-------------------------------------------------------------------------
 *
 * driver_sqlite.c
 *	  The SQLite driver of the migrate client (libsqlite3): connection,
 *	  runner lock, bookkeeping tables and apply.  The revert lives in
 *	  driver_sqlite_revert.c.
 *
 * URL: sqlite://relative/path.db, sqlite:///absolute/path.db or
 * sqlite://:memory:, with an optional ?mode=ro (read-only) or
 * ?mode=memory.  A file that does not exist is created by the first
 * command that writes (apply); status and down on a missing file change
 * nothing and find nothing.
 *
 * Bookkeeping: everything lives in the database file itself, in four
 * tables that the driver never counts as user objects:
 *
 *	migrate_revisions		one row per version, the same columns and meaning
 *							as on every engine (docs/internals.md, "Revisions")
 *	migrate_history_units	one row per apply_file call (the file's text and
 *							its hand-written down statements), per revert and
 *							per "migrate set"
 *	migrate_history_images	per unit, the definition of every object it
 *							touched, before and after (driver_sqlite_history.c)
 *	migrate_history_tags	names given to versions by "migrate tag"
 *
 * Transactions: tx-mode file runs each file in BEGIN IMMEDIATE ... COMMIT
 * together with its revision row and its images, so a failed file leaves
 * nothing behind but the error recorded afterwards.  tx-mode all wraps
 * several files in one such transaction (begin_all/commit_all).  In
 * tx-mode none each statement commits on its own together with its
 * bookkeeping, except statements that SQLite refuses inside a transaction
 * (VACUUM, some PRAGMAs, ATTACH/DETACH), which run alone and are recorded
 * right after.
 *
 * Locking: SQLite serialises writers per transaction, but a run spans many
 * transactions.  Runners are kept apart by an exclusive flock(2) on a
 * companion file "<database>-migrate-lock", held from lock() to unlock().
 * The kernel releases it when the process ends, so a crashed runner never
 * leaves a stale lock; a second runner polls until --lock-timeout and then
 * fails with "locked", naming the holder (the lock file records its pid,
 * host and start time).  Every bookkeeping transaction also waits on
 * SQLite's own lock (sqlite3_busy_timeout) rather than failing at once.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_sqlite.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "driver_sqlite.h"

#define SQ_MIN_BUSY_MS		5000

static const char *const bookkeeping_ddl =
"CREATE TABLE IF NOT EXISTS " SQ_REVISIONS_TABLE " (\n"
"    version          TEXT PRIMARY KEY,\n"
"    description      TEXT NOT NULL DEFAULT '',\n"
"    type             INTEGER NOT NULL DEFAULT 2,\n"
"    applied          INTEGER NOT NULL DEFAULT 0,\n"
"    total            INTEGER NOT NULL DEFAULT 0,\n"
"    executed_at      INTEGER NOT NULL,          -- Unix epoch, microseconds\n"
"    execution_time   INTEGER NOT NULL DEFAULT 0, -- nanoseconds\n"
"    error            TEXT,\n"
"    error_stmt       TEXT,\n"
"    hash             TEXT NOT NULL DEFAULT '',\n"
"    partial_hashes   TEXT,                      -- JSON array\n"
"    operator_version TEXT NOT NULL\n"
");\n"
"CREATE TABLE IF NOT EXISTS " SQ_UNITS_TABLE " (\n"
"    id          INTEGER PRIMARY KEY,\n"
"    kind        TEXT NOT NULL CHECK (kind IN ('apply', 'revert', 'set')),\n"
"    version     TEXT NOT NULL,   -- apply: the file's; revert, set: the target\n"
"    file_name   TEXT,\n"
"    file_hash   TEXT,\n"
"    first_stmt  INTEGER,\n"
"    last_stmt   INTEGER,\n"
"    content     TEXT,            -- apply: the file; revert: the plan executed\n"
"    down        TEXT,            -- hand-written down statements (JSON array)\n"
"    started_at  INTEGER NOT NULL,\n"
"    finished_at INTEGER,\n"
"    reverted_by INTEGER REFERENCES " SQ_UNITS_TABLE " (id),\n"
"    data_stmts  INTEGER NOT NULL DEFAULT 0, -- statements that changed rows or settings\n"
"    data_kinds  TEXT\n"
");\n"
"CREATE TABLE IF NOT EXISTS " SQ_IMAGES_TABLE " (\n"
"    unit           INTEGER NOT NULL REFERENCES " SQ_UNITS_TABLE " (id),\n"
"    seq            INTEGER NOT NULL,\n"
"    before_type    TEXT,\n"
"    before_name    TEXT,\n"
"    before_tbl     TEXT,\n"
"    before_sql     TEXT,\n"
"    before_detail  TEXT,\n"
"    after_type     TEXT,\n"
"    after_name     TEXT,\n"
"    after_tbl      TEXT,\n"
"    after_sql      TEXT,\n"
"    after_detail   TEXT,\n"
"    column_renames TEXT,             -- JSON array of [old, new]\n"
"    PRIMARY KEY (unit, seq)\n"
");\n"
"CREATE TABLE IF NOT EXISTS " SQ_TAGS_TABLE " (\n"
"    name       TEXT PRIMARY KEY,\n"
"    version    TEXT NOT NULL,\n"
"    created_at INTEGER NOT NULL\n"
");\n";

static SqConn *
conn(Driver *d)
{
	return (SqConn *) d->priv;
}

void
sq_log_sqlite_error(SqConn *c, const char *what, const char *err)
{
	log_error("%s on SQLite database \"%s\" failed: %s", what, c->path, err ? err : "unknown error");
}

/* run sql on the connection; log and return DRV_ERROR on failure */
static int
run(SqConn *c, const char *what, const char *sql)
{
	char	   *err = NULL;

	if (sq_exec(c->db, sql, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, what, err);
		free(err);
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * URL and connection
 * ------------------------------------------------------------------------
 */
static int
parse_params(SqConn *c, const char *params, const char *url)
{
	const char *p = params;

	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		n = amp ? (size_t) (amp - p) : strlen(p);
		char	   *kv = xstrndup(p, n);
		char	   *eq = strchr(kv, '=');
		const char *val = eq ? eq + 1 : "";

		if (eq)
			*eq = '\0';
		if (strcmp(kv, "mode") == 0 && strcmp(val, "ro") == 0)
			c->readonly = true;
		else if (strcmp(kv, "mode") == 0 && strcmp(val, "memory") == 0)
			c->memory = true;
		else if (strcmp(kv, "mode") == 0 && (strcmp(val, "rw") == 0 || strcmp(val, "rwc") == 0))
			;
		else if (strcmp(kv, "foreign_keys") == 0 &&
				 (strcmp(val, "on") == 0 || strcmp(val, "1") == 0 || strcmp(val, "true") == 0))
			c->foreign_keys = 1;
		else if (strcmp(kv, "foreign_keys") == 0 &&
				 (strcmp(val, "off") == 0 || strcmp(val, "0") == 0 || strcmp(val, "false") == 0))
			c->foreign_keys = 0;
		else if (n > 0)
		{
			log_error("unsupported parameter \"%s\" in SQLite URL \"%s\"", kv, url);
			log_error_hint("The SQLite driver accepts mode=ro, mode=rw, mode=rwc, mode=memory and foreign_keys=on|off.");
			free(kv);
			return DRV_ERROR;
		}
		free(kv);
		p = amp ? amp + 1 : NULL;
	}
	return DRV_OK;
}

/* the path and parameters url_parse found and decoded */
static int
parse_url(SqConn *c, const ConnUrl *u)
{
	const char *redacted = u->redacted ? u->redacted : "";

	if (u->dbname == NULL || u->dbname[0] == '\0')
	{
		log_error("SQLite URL \"%s\" names no database file", redacted);
		log_error_hint("Use sqlite://path/to/file.db, sqlite:///absolute/path.db or sqlite://:memory:.");
		return DRV_ERROR;
	}
	c->path = xstrdup(u->dbname);
	if (strcmp(c->path, ":memory:") == 0)
		c->memory = true;
	return parse_params(c, u->params, redacted);
}

static int
open_db(SqConn *c, const char *name, int flags)
{
	int			rc;

	rc = sqlite3_open_v2(name, &c->db, flags, NULL);
	if (rc != SQLITE_OK)
	{
		const char *msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);

		log_error("could not open SQLite database \"%s\": %s", c->path, msg);
		if (!c->memory)
		{
			char	   *dir = xstrdup(c->path);
			char	   *slash = strrchr(dir, '/');
			struct stat sb;

			if (slash)
				*slash = '\0';
			if (slash && dir[0] && stat(dir, &sb) != 0)
				log_error_detail("The directory \"%s\" does not exist.", dir);
			free(dir);
		}
		sqlite3_close(c->db);
		c->db = NULL;
		return DRV_ERROR;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, c->busy_ms);
	if (c->foreign_keys >= 0)
		sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_FKEY, c->foreign_keys, NULL);
	return DRV_OK;
}

/* make sure the file is an SQLite database before anything else runs */
static int
probe_db(SqConn *c)
{
	int64_t		n;
	char	   *err = NULL;

	if (sq_query_int(c->db, "SELECT count(*) FROM main.sqlite_master", &n, &err) != SQLITE_OK)
	{
		log_error("could not read SQLite database \"%s\": %s", c->path, err);
		if (sqlite3_errcode(c->db) == SQLITE_NOTADB)
			log_error_hint("Check the path: the file exists but is not an SQLite database.");
		free(err);
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
sq_connect(Driver *d)
{
	SqConn	   *c = xmalloc(sizeof(SqConn));
	struct stat sb;

	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	c->foreign_keys = -1;
	c->lock_timeout_ms = d->opts ? d->opts->lock_timeout_ms : 0;
	c->busy_ms = c->lock_timeout_ms > SQ_MIN_BUSY_MS ? c->lock_timeout_ms : SQ_MIN_BUSY_MS;
	d->priv = c;
	if (parse_url(c, d->url) != DRV_OK)
		return DRV_ERROR;
	if (c->memory)
	{
		if (open_db(c, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != DRV_OK)
			return DRV_ERROR;
	}
	else if (stat(c->path, &sb) != 0)
	{
		/*
		 * Nothing there yet: stand in with an empty in-memory database until
		 * prepare() is asked to create the bookkeeping, so that read-only
		 * commands leave no file behind.
		 */
		c->missing = true;
		if (open_db(c, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != DRV_OK)
			return DRV_ERROR;
	}
	else
	{
		if (S_ISDIR(sb.st_mode))
		{
			log_error("SQLite database \"%s\" is a directory", c->path);
			return DRV_ERROR;
		}
		if (open_db(c, c->path, c->readonly ? SQLITE_OPEN_READONLY :
					SQLITE_OPEN_READWRITE) != DRV_OK)
			return DRV_ERROR;
	}
	return DRV_OK;
}

static void
			sq_unlock(Driver *d);

static void
sq_close(Driver *d)
{
	SqConn	   *c = conn(d);

	if (c == NULL)
		return;
	sq_unlock(d);
	if (c->db)
		sqlite3_close(c->db);
	free(c->path);
	free(c->lock_path);
	free(c);
	d->priv = NULL;
}

/* ------------------------------------------------------------------------
 * Runner lock
 * ------------------------------------------------------------------------
 */
static void
lock_holder(int fd, char *buf, size_t size)
{
	ssize_t		n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = '\0';
}

/*
 * Take the runner lock; after timeout_ms, DRV_ERROR with the holder
 * reported.
 */
static int
take_lock(SqConn *c, int timeout_ms)
{
	int64_t		deadline = sq_clock_ns() + (int64_t) (timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	int			sleep_ms = 5;
	char		info[256];
	char		dur[64];
	char		host[128];
	time_t		now;
	struct tm	tm;

	if (c->memory || c->missing || c->lock_fd >= 0)
		return DRV_OK;
	free(c->lock_path);
	c->lock_path = xasprintf("%s-migrate-lock", c->path);
	c->lock_fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->lock_fd < 0 && c->readonly)
		return DRV_OK;			/* a read-only database cannot be migrated
								 * anyway */
	if (c->lock_fd < 0)
	{
		log_error("could not open lock file \"%s\": %s", c->lock_path, strerror(errno));
		log_error_hint("The directory of the database must be writable.");
		return DRV_ERROR;
	}
	while (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0)
	{
		if (errno != EWOULDBLOCK && errno != EINTR)
		{
			log_error("could not lock \"%s\": %s", c->lock_path, strerror(errno));
			close(c->lock_fd);
			c->lock_fd = -1;
			return DRV_ERROR;
		}
		if (sq_clock_ns() >= deadline)
		{
			lock_holder(c->lock_fd, info, sizeof(info));
			close(c->lock_fd);
			c->lock_fd = -1;

			/*
			 * The whole story, the holder included, is told here: DRV_ERROR
			 * rather than DRV_LOCKED, whose generic message the core would
			 * add.
			 */
			format_duration((int64_t) timeout_ms * 1000000, dur, sizeof(dur));
			log_error("could not obtain the migration lock within %s", dur);
			log_error_detail("SQLite database \"%s\" is locked by %s.", c->path,
							 info[0] ? info : "another migrate run");
			log_error_hint("Wait for it to finish, or give a longer --lock-timeout.");
			return DRV_ERROR;
		}
		usleep((useconds_t) sleep_ms * 1000);
		if (sleep_ms < 100)
			sleep_ms *= 2;
	}
	/* record who holds it, for the message a waiting runner prints */
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "unknown host");
	host[sizeof(host) - 1] = '\0';
	now = time(NULL);
	gmtime_r(&now, &tm);
	snprintf(info, sizeof(info), "process %ld on %s since %04d-%02d-%02d %02d:%02d:%02d UTC\n",
			 (long) getpid(), host, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (ftruncate(c->lock_fd, 0) == 0 &&
		pwrite(c->lock_fd, info, strlen(info), 0) < 0)
		log_debug("could not write lock holder to \"%s\"", c->lock_path);
	return DRV_OK;
}

static int
sq_lock(Driver *d, int timeout_ms)
{
	return take_lock(conn(d), timeout_ms);
}

static void
sq_unlock(Driver *d)
{
	SqConn	   *c = conn(d);

	if (c->lock_fd < 0)
		return;
	if (ftruncate(c->lock_fd, 0) != 0)
		log_debug("could not clear lock file \"%s\"", c->lock_path);
	flock(c->lock_fd, LOCK_UN);
	close(c->lock_fd);
	c->lock_fd = -1;
}

/* ------------------------------------------------------------------------
 * Bookkeeping
 * ------------------------------------------------------------------------
 */
int
sq_bookkeeping_ready(SqConn *c, bool *ready)
{
	int64_t		n;
	char	   *err = NULL;

	if (sq_query_int(c->db,
					 "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name IN ('"
					 SQ_REVISIONS_TABLE "', '" SQ_UNITS_TABLE "', '" SQ_IMAGES_TABLE "', '"
					 SQ_TAGS_TABLE "')", &n, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the catalog", err);
		free(err);
		return DRV_ERROR;
	}
	*ready = n == 4;
	return DRV_OK;
}

static int
sq_prepare(Driver *d, bool create, bool *ready)
{
	SqConn	   *c = conn(d);
	bool		have;

	int			rc;

	if (c->missing && create)
	{
		sqlite3_close(c->db);
		c->db = NULL;
		if (open_db(c, c->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != DRV_OK)
			return DRV_ERROR;
		c->missing = false;
	}

	/*
	 * Every command takes the runner lock before it reads anything, so that a
	 * second runner waits here, on the lock file, and not on SQLite's own
	 * lock while the first one is in the middle of a long transaction.
	 */
	if ((rc = take_lock(c, c->lock_timeout_ms)) != DRV_OK)
		return rc;
	if (!c->memory && !c->missing && probe_db(c) != DRV_OK)
		return DRV_ERROR;
	if (sq_bookkeeping_ready(c, &have) != DRV_OK)
		return DRV_ERROR;
	if (!have && create)
	{
		if (c->readonly)
		{
			log_error("SQLite database \"%s\" was opened read-only", c->path);
			log_error_hint("Remove mode=ro from the URL to let migrate create its tables.");
			return DRV_ERROR;
		}
		if (run(c, "creating the migrate tables", "BEGIN IMMEDIATE") != DRV_OK)
			return DRV_ERROR;
		if (run(c, "creating the migrate tables", bookkeeping_ddl) != DRV_OK)
		{
			sq_exec(c->db, "ROLLBACK", NULL);
			return DRV_ERROR;
		}
		if (run(c, "creating the migrate tables", "COMMIT") != DRV_OK)
		{
			sq_exec(c->db, "ROLLBACK", NULL);
			return DRV_ERROR;
		}
		have = true;
	}
	c->ready = have;
	if (ready)
		*ready = have;
	return DRV_OK;
}

static char *
text_or_null(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? xstrdup((const char *) v) : NULL;
}

static int
read_partial_hashes(SqConn *c, const char *json, Revision *r)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(c->db, "SELECT value FROM json_each(?1) ORDER BY key", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		r->partial_hashes = xrealloc(r->partial_hashes, sizeof(char *) * (r->npartial + 1));
		r->partial_hashes[r->npartial++] = text_or_null(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
sq_read_revisions_raw(SqConn *c, RevisionList *out)
{
	sqlite3_stmt *st;
	int			rc;

	out->items = NULL;
	out->n = 0;
	if (!c->ready)
		return DRV_OK;
	rc = sqlite3_prepare_v2(c->db,
							"SELECT version, description, type, applied, total, executed_at,"
							"       execution_time, error, error_stmt, hash, partial_hashes"
							"  FROM " SQ_REVISIONS_TABLE, -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the revisions", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		Revision   *r;
		const char *ph = (const char *) sqlite3_column_text(st, 10);

		out->items = xrealloc(out->items, sizeof(Revision) * (out->n + 1));
		r = &out->items[out->n++];
		memset(r, 0, sizeof(*r));
		r->version = text_or_null(st, 0);
		r->description = text_or_null(st, 1);
		r->type = sqlite3_column_int(st, 2);
		r->applied = sqlite3_column_int(st, 3);
		r->total = sqlite3_column_int(st, 4);
		r->executed_at_us = sqlite3_column_int64(st, 5);
		r->execution_time_ns = sqlite3_column_int64(st, 6);
		r->error = text_or_null(st, 7);
		r->error_stmt = text_or_null(st, 8);
		r->hash = text_or_null(st, 9);
		if (ph && read_partial_hashes(c, ph, r) != SQLITE_OK)
		{
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "reading the revisions", sqlite3_errmsg(c->db));
		sq_revisions_free(out);
		return DRV_ERROR;
	}
	return DRV_OK;
}

void
sq_revisions_free(RevisionList *l)
{
	for (int i = 0; i < l->n; i++)
	{
		Revision   *r = &l->items[i];

		free(r->version);
		free(r->description);
		free(r->error);
		free(r->error_stmt);
		free(r->hash);
		for (int k = 0; k < r->npartial; k++)
			free(r->partial_hashes[k]);
		free(r->partial_hashes);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
sq_read_revisions(Driver *d, RevisionList *out)
{
	return sq_read_revisions_raw(conn(d), out);
}

static int
sq_check_clean(Driver *d, bool *clean, char **reason)
{
	SqConn	   *c = conn(d);
	SqSchema	s;
	char	   *err = NULL;

	if (sq_schema_read(c->db, &s, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the catalog", err);
		free(err);
		return DRV_ERROR;
	}
	*clean = s.n == 0;
	if (reason && s.n == 1)
		*reason = xasprintf("found %s \"%s\"", sq_kind_name(s.items[0].kind),
							s.items[0].name);
	else if (reason && s.n > 1)
		*reason = xasprintf("found %s \"%s\" and %d more objects",
							sq_kind_name(s.items[0].kind), s.items[0].name, s.n - 1);
	else if (reason)
		*reason = NULL;
	sq_schema_free(&s);
	return DRV_OK;
}

static int
sq_write_baseline(Driver *d, const char *version, const char *description)
{
	SqConn	   *c = conn(d);
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(c->db,
							"INSERT INTO " SQ_REVISIONS_TABLE
							" (version, description, type, applied, total, executed_at,"
							"  hash, operator_version) VALUES (?1, ?2, 1, 0, 0, ?3, '', ?4)",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, version, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, description ? description : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, sq_now_us());
		sqlite3_bind_text(st, 4, "migrate " MIGRATE_VERSION, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "recording the baseline", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
sq_begin_all(Driver *d)
{
	SqConn	   *c = conn(d);

	if (run(c, "starting the transaction", "BEGIN IMMEDIATE") != DRV_OK)
		return DRV_ERROR;
	c->in_all = true;
	return DRV_OK;
}

static int
sq_commit_all(Driver *d)
{
	SqConn	   *c = conn(d);

	c->in_all = false;
	if (run(c, "committing the transaction", "COMMIT") != DRV_OK)
	{
		sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
sq_rollback_all(Driver *d)
{
	SqConn	   *c = conn(d);

	c->in_all = false;
	if (sqlite3_get_autocommit(c->db))
		return DRV_OK;
	return run(c, "rolling back the transaction", "ROLLBACK");
}

/* ------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------
 */

/* statements SQLite refuses (or ignores) inside a transaction */
static bool
needs_autocommit(const char *word)
{
	return strcmp(word, "vacuum") == 0 || strcmp(word, "pragma") == 0 ||
		strcmp(word, "attach") == 0 || strcmp(word, "detach") == 0;
}

/* statements that would end or nest the transaction the driver opened */
static bool
is_tx_control(const char *sql)
{
	char		word[16];

	sq_first_word(sql, word, sizeof(word));
	if (strcmp(word, "rollback") == 0)
	{
		/* ROLLBACK TO savepoint is fine */
		size_t		pos = 0;
		SqToken		t;
		int			seen = 0;

		while ((t = sq_next_token(sql, &pos)).type != TK_EOF)
		{
			if (t.type == TK_SPACE || t.type == TK_COMMENT)
				continue;
			if (++seen == 2)
				return !sq_token_is(&t, "to") && !sq_token_is(&t, "transaction");
		}
		return true;
	}
	return strcmp(word, "begin") == 0 || strcmp(word, "commit") == 0 ||
		strcmp(word, "end") == 0;
}

/* execute every statement in sql; the error message in *err */
static int
exec_stmt(sqlite3 *db, const char *sql, char **err)
{
	const char *p = sql;

	while (p && *p)
	{
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int			rc = sqlite3_prepare_v2(db, p, -1, &st, &tail);

		if (rc != SQLITE_OK)
		{
			*err = xstrdup(sqlite3_errmsg(db));
			return rc;
		}
		if (st)
		{
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc != SQLITE_DONE)
			{
				*err = xstrdup(sqlite3_errmsg(db));
				sqlite3_finalize(st);
				return rc;
			}
			sqlite3_finalize(st);
		}
		if (tail == p)
			break;
		p = tail;
	}
	return SQLITE_OK;
}


static char *
partial_hashes_json(const MigrationFile *f, int applied)
{
	StrBuf		b;
	char		h[64];

	sb_init(&b);
	sb_putc(&b, '[');
	for (int i = 0; i < applied; i++)
	{
		hash_running(&f->stmts, i, h);
		if (i)
			sb_putc(&b, ',');
		json_string(&b, h);
	}
	sb_putc(&b, ']');
	return sb_steal(&b);
}

static char *
down_json(const MigrationFile *f)
{
	StrBuf		b;

	if (!f->has_down)
		return NULL;
	sb_init(&b);
	sb_putc(&b, '[');
	for (int i = 0; i < f->down.n; i++)
	{
		if (i)
			sb_putc(&b, ',');
		json_string(&b, f->down.items[i].text);
	}
	sb_putc(&b, ']');
	return sb_steal(&b);
}

/*
 * Write the revision row of f: applied statements so far, the error (or
 * none).  Keeps executed_at of an existing row.
 */
static int
write_revision(SqConn *c, const MigrationFile *f, int applied, int64_t elapsed_ns,
			   const char *error, const char *error_stmt)
{
	sqlite3_stmt *st;
	int			rc;
	char	   *ph = applied < f->stmts.n ? partial_hashes_json(f, applied) : NULL;

	rc = sqlite3_prepare_v2(c->db,
							"INSERT INTO " SQ_REVISIONS_TABLE
							" (version, description, type, applied, total, executed_at,"
							"  execution_time, error, error_stmt, hash, partial_hashes,"
							"  operator_version)"
							" VALUES (?1, ?2, 2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
							" ON CONFLICT (version) DO UPDATE SET"
							"  description = excluded.description, type = type | 2,"
							"  applied = excluded.applied, total = excluded.total,"
							"  execution_time = excluded.execution_time,"
							"  error = excluded.error, error_stmt = excluded.error_stmt,"
							"  hash = excluded.hash, partial_hashes = excluded.partial_hashes,"
							"  operator_version = excluded.operator_version",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, f->version, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, f->description ? f->description : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, applied);
		sqlite3_bind_int(st, 4, f->stmts.n);
		sqlite3_bind_int64(st, 5, sq_now_us());
		sqlite3_bind_int64(st, 6, elapsed_ns);
		if (error)
			sqlite3_bind_text(st, 7, error, -1, SQLITE_TRANSIENT);
		if (error_stmt)
			sqlite3_bind_text(st, 8, error_stmt, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, f->hash, -1, SQLITE_TRANSIENT);
		if (ph)
			sqlite3_bind_text(st, 10, ph, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 11, "migrate " MIGRATE_VERSION, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	free(ph);
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "recording the revision", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* insert the unit row of an apply; *unit receives its id */
static int
insert_unit(SqConn *c, const MigrationFile *f, int first, int64_t *unit)
{
	sqlite3_stmt *st;
	int			rc;
	char	   *down = down_json(f);

	rc = sqlite3_prepare_v2(c->db,
							"INSERT INTO " SQ_UNITS_TABLE
							" (kind, version, file_name, file_hash, first_stmt, last_stmt,"
							"  content, down, started_at)"
							" VALUES ('apply', ?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)", -1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, f->version, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, f->name ? f->name : f->path, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, f->hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, first);
		sqlite3_bind_text(st, 5, f->content ? f->content : "", -1, SQLITE_TRANSIENT);
		if (down)
			sqlite3_bind_text(st, 6, down, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 7, sq_now_us());
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	free(down);
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "recording the migration", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	*unit = sqlite3_last_insert_rowid(c->db);
	return DRV_OK;
}

static int
finish_unit(SqConn *c, int64_t unit, int last, bool done, const SqCapture *cap)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(c->db, "UPDATE " SQ_UNITS_TABLE " SET last_stmt = ?1,"
							" finished_at = ?2, data_stmts = ?3, data_kinds = ?4 WHERE id = ?5",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_int(st, 1, last);
		if (done)
			sqlite3_bind_int64(st, 2, sq_now_us());
		sqlite3_bind_int(st, 3, cap->data_stmts);
		if (cap->data_kinds[0])
			sqlite3_bind_text(st, 4, cap->data_kinds, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, unit);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "recording the migration", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* record what the unit changed; logs on failure */
static int
write_images(SqConn *c, SqCapture *cap, int64_t unit)
{
	char	   *err = NULL;

	if (sq_capture_write(c->db, cap, unit, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "recording the history", err);
		free(err);
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* txtar checks.sql: every assertion must return a true first column */
static int
run_file_checks(SqConn *c, const MigrationFile *f, Reporter *r, ApplyResult *res)
{
	char	   *title = xasprintf("checks before migrating version %s", f->version);
	int64_t		t0 = sq_clock_ns();

	report_group(r, title);
	free(title);
	for (int i = 0; i < f->checks.n; i++)
	{
		const char *sql = f->checks.items[i].text;
		sqlite3_stmt *st = NULL;
		char	   *msg = NULL;
		int			rc;

		report_check(r, sql);
		rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
		if (rc == SQLITE_OK && st != NULL)
		{
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
			{
				if (sqlite3_column_type(st, 0) == SQLITE_NULL || sqlite3_column_int64(st, 0) == 0)
					msg = xasprintf("check assertion \"%s\" returned false", sql);
			}
			else if (rc == SQLITE_DONE)
				msg = xasprintf("check assertion \"%s\" returned no row", sql);
			else
				msg = xstrdup(sqlite3_errmsg(c->db));
		}
		else
			msg = xstrdup(st == NULL && rc == SQLITE_OK ? "empty check statement" :
						  sqlite3_errmsg(c->db));
		sqlite3_finalize(st);
		if (msg)
		{
			report_check_failed(r, sql, msg);
			res->failed = true;
			res->error = msg;
			res->error_stmt = xstrdup(sql);
			return DRV_ERROR;
		}
	}
	report_group_ok(r, sq_clock_ns() - t0);
	return DRV_OK;
}

/* a statement failed: report, roll back as the mode requires, record */
static int
apply_failed(SqConn *c, const MigrationFile *f, TxMode mode, int applied, int64_t t0,
			 const char *stmt, char *msg, Reporter *r, ApplyResult *res)
{
	res->failed = true;
	res->error = msg;
	res->error_stmt = xstrdup(stmt);
	res->elapsed_ns = sq_clock_ns() - t0;
	report_group_error(r, stmt, msg);
	if (mode == TXMODE_ALL)
		return DRV_ERROR;		/* the core rolls back and calls
								 * record_failure */
	if (!sqlite3_get_autocommit(c->db))
		sq_exec(c->db, "ROLLBACK", NULL);
	if (run(c, "recording the error", "BEGIN IMMEDIATE") == DRV_OK)
	{
		if (write_revision(c, f, applied, res->elapsed_ns, msg, stmt) == DRV_OK)
			run(c, "recording the error", "COMMIT");
		else
			sq_exec(c->db, "ROLLBACK", NULL);
	}
	return DRV_ERROR;
}

static int
apply_none(SqConn *c, const MigrationFile *f, int start, Reporter *r, ApplyResult *res)
{
	int64_t		t0 = sq_clock_ns();
	int64_t		unit;
	SqCapture	cap;
	char	   *err = NULL;

	if (run(c, "recording the migration", "BEGIN IMMEDIATE") != DRV_OK)
		return DRV_ERROR;
	if (insert_unit(c, f, start, &unit) != DRV_OK ||
		write_revision(c, f, start, 0, NULL, NULL) != DRV_OK ||
		run(c, "recording the migration", "COMMIT") != DRV_OK)
	{
		sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	if (sq_capture_begin(c->db, &cap, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the catalog", err);
		free(err);
		return DRV_ERROR;
	}
	for (int i = start; i < f->stmts.n; i++)
	{
		const char *sql = f->stmts.items[i].text;
		char		word[16];
		bool		alone;

		sq_first_word(sql, word, sizeof(word));
		alone = needs_autocommit(word) || is_tx_control(sql);
		report_stmt(r, sql);
		if (!alone && run(c, "starting the transaction", "BEGIN IMMEDIATE") != DRV_OK)
			goto fail;
		if (exec_stmt(c->db, sql, &err) != SQLITE_OK)
		{
			sq_capture_free(&cap);
			res->applied = i - start;
			return apply_failed(c, f, TXMODE_NONE, i, t0, sql, err, r, res);
		}
		if (alone && sqlite3_get_autocommit(c->db) &&
			run(c, "starting the transaction", "BEGIN IMMEDIATE") != DRV_OK)
			goto fail;
		if (sq_capture_after(c->db, &cap, sql, &err) != SQLITE_OK)
		{
			sq_log_sqlite_error(c, "reading the catalog", err);
			free(err);
			sq_exec(c->db, "ROLLBACK", NULL);
			goto fail;
		}
		if (write_images(c, &cap, unit) != DRV_OK ||
			write_revision(c, f, i + 1, sq_clock_ns() - t0, NULL, NULL) != DRV_OK ||
			finish_unit(c, unit, i + 1, i + 1 == f->stmts.n, &cap) != DRV_OK ||
			run(c, "recording the migration", "COMMIT") != DRV_OK)
		{
			sq_exec(c->db, "ROLLBACK", NULL);
			goto fail;
		}
		res->applied = i + 1 - start;
	}
	sq_capture_free(&cap);
	res->elapsed_ns = sq_clock_ns() - t0;
	report_group_ok(r, res->elapsed_ns);
	return DRV_OK;

fail:
	sq_capture_free(&cap);
	return DRV_ERROR;
}

static int
apply_tx(SqConn *c, const MigrationFile *f, TxMode mode, int start, Reporter *r,
		 ApplyResult *res)
{
	int64_t		t0 = sq_clock_ns();
	int64_t		unit;
	SqCapture	cap;
	char	   *err = NULL;

	if (mode == TXMODE_FILE && run(c, "starting the transaction", "BEGIN IMMEDIATE") != DRV_OK)
		return DRV_ERROR;
	if (mode == TXMODE_ALL && sqlite3_get_autocommit(c->db))
	{
		log_error("internal error: tx-mode all without a transaction");
		return DRV_ERROR;
	}
	if (sq_capture_begin(c->db, &cap, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the catalog", err);
		free(err);
		if (mode == TXMODE_FILE)
			sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	for (int i = start; i < f->stmts.n; i++)
	{
		const char *sql = f->stmts.items[i].text;

		report_stmt(r, sql);
		if (is_tx_control(sql))
		{
			sq_capture_free(&cap);
			err = xstrdup("transaction control statements are not allowed in a migration run in a transaction");
			return apply_failed(c, f, mode, start, t0, sql, err, r, res);
		}
		if (exec_stmt(c->db, sql, &err) != SQLITE_OK ||
			(sqlite3_get_autocommit(c->db) &&
			 (err = xstrdup("the statement ended the migration's transaction")) != NULL))
		{
			sq_capture_free(&cap);
			return apply_failed(c, f, mode, start, t0, sql, err, r, res);
		}
		if (sq_capture_after(c->db, &cap, sql, &err) != SQLITE_OK)
		{
			sq_log_sqlite_error(c, "reading the catalog", err);
			free(err);
			goto fail;
		}
	}
	res->applied = f->stmts.n - start;
	res->elapsed_ns = sq_clock_ns() - t0;
	if (insert_unit(c, f, start, &unit) != DRV_OK ||
		finish_unit(c, unit, f->stmts.n, true, &cap) != DRV_OK ||
		write_images(c, &cap, unit) != DRV_OK ||
		write_revision(c, f, f->stmts.n, res->elapsed_ns, NULL, NULL) != DRV_OK)
		goto fail;
	sq_capture_free(&cap);
	if (mode == TXMODE_FILE && run(c, "committing the migration", "COMMIT") != DRV_OK)
	{
		sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	report_group_ok(r, res->elapsed_ns);
	return DRV_OK;

fail:
	sq_capture_free(&cap);
	if (mode == TXMODE_FILE)
		sq_exec(c->db, "ROLLBACK", NULL);
	return DRV_ERROR;
}

static int
sq_apply_file(Driver *d, const MigrationFile *f, TxMode mode, int start, Reporter *r,
			  ApplyResult *res)
{
	SqConn	   *c = conn(d);
	char	   *title;

	res->applied = 0;
	res->failed = false;
	res->elapsed_ns = 0;
	if (start == 0 && f->checks.n > 0 && run_file_checks(c, f, r, res) != DRV_OK)
		return DRV_ERROR;
	title = xasprintf("migrating version %s", f->version);
	report_group(r, title);
	free(title);
	if (start > 0)
	{
		char	   *note = xasprintf("resuming: the first %d statement%s ran before", start,
									 start == 1 ? "" : "s");

		report_note(r, note);
		free(note);
	}
	if (d->opts && d->opts->dry_run)
	{
		for (int i = start; i < f->stmts.n; i++)
			report_stmt(r, f->stmts.items[i].text);
		report_group_ok(r, 0);
		return DRV_OK;
	}
	if (!c->ready)
	{
		log_error("internal error: apply before the migrate tables exist");
		return DRV_ERROR;
	}
	if (mode == TXMODE_NONE)
		return apply_none(c, f, start, r, res);
	return apply_tx(c, f, mode == TXMODE_ALL ? TXMODE_ALL : TXMODE_FILE, start, r, res);
}

static int
sq_record_failure(Driver *d, const MigrationFile *f, const ApplyResult *res)
{
	SqConn	   *c = conn(d);

	if (!sqlite3_get_autocommit(c->db))
		sq_exec(c->db, "ROLLBACK", NULL);
	if (run(c, "recording the error", "BEGIN IMMEDIATE") != DRV_OK)
		return DRV_ERROR;
	if (write_revision(c, f, 0, res->elapsed_ns, res->error, res->error_stmt) != DRV_OK)
	{
		sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	return run(c, "recording the error", "COMMIT");
}

/* ------------------------------------------------------------------------
 * set, tag
 * ------------------------------------------------------------------------
 */
static int
set_version_tx(SqConn *c, const char *version, const MigrationDir *dir)
{
	RevisionList revs;
	bool		known = false;
	int			rc = DRV_OK;
	int64_t		unit = 0;

	if (sq_read_revisions_raw(c, &revs) != DRV_OK)
		return DRV_ERROR;
	for (int i = 0; i < revs.n; i++)
		if (strcmp(revs.items[i].version, version) == 0)
			known = true;
	for (int i = 0; dir && i < dir->nfiles; i++)
		if (strcmp(dir->files[i].version, version) == 0)
			known = true;
	if (!known)
	{
		log_error("version \"%s\" is neither applied nor in the migration directory", version);
		sq_revisions_free(&revs);
		return DRV_ERROR;
	}
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(c->db, "INSERT INTO " SQ_UNITS_TABLE
							   " (kind, version, started_at, finished_at) VALUES ('set', ?1, ?2, ?2)",
							   -1, &st, NULL) != SQLITE_OK)
			rc = DRV_ERROR;
		else
		{
			sqlite3_bind_text(st, 1, version, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 2, sq_now_us());
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = DRV_ERROR;
			sqlite3_finalize(st);
		}
		unit = sqlite3_last_insert_rowid(c->db);
	}
	for (int i = 0; rc == DRV_OK && i < revs.n; i++)
	{
		Revision   *rv = &revs.items[i];
		sqlite3_stmt *st;
		int			cmp = sq_version_cmp(rv->version, version);
		const char *q = cmp > 0 ?
		"DELETE FROM " SQ_REVISIONS_TABLE " WHERE version = ?1" :
		"UPDATE " SQ_REVISIONS_TABLE " SET type = type | 4 WHERE version = ?1"
		" AND (applied < total OR error IS NOT NULL)";

		if (sqlite3_prepare_v2(c->db, q, -1, &st, NULL) != SQLITE_OK)
		{
			rc = DRV_ERROR;
			break;
		}
		sqlite3_bind_text(st, 1, rv->version, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = DRV_ERROR;
		sqlite3_finalize(st);
		if (rc == DRV_OK && cmp > 0)
		{
			/* the schema keeps what those versions did: forget their history */
			if (sqlite3_prepare_v2(c->db, "UPDATE " SQ_UNITS_TABLE " SET reverted_by = ?2"
								   " WHERE kind = 'apply' AND version = ?1 AND reverted_by IS NULL",
								   -1, &st, NULL) != SQLITE_OK)
				rc = DRV_ERROR;
			else
			{
				sqlite3_bind_text(st, 1, rv->version, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(st, 2, unit);
				if (sqlite3_step(st) != SQLITE_DONE)
					rc = DRV_ERROR;
				sqlite3_finalize(st);
			}
		}
	}
	for (int i = 0; rc == DRV_OK && dir && i < dir->nfiles; i++)
	{
		const MigrationFile *f = &dir->files[i];
		sqlite3_stmt *st;

		if (sq_version_cmp(f->version, version) > 0)
			continue;
		if (sqlite3_prepare_v2(c->db, "INSERT INTO " SQ_REVISIONS_TABLE
							   " (version, description, type, applied, total, executed_at,"
							   "  hash, operator_version) VALUES (?1, ?2, 4, 0, 0, ?3, ?4, ?5)"
							   " ON CONFLICT (version) DO NOTHING", -1, &st, NULL) != SQLITE_OK)
		{
			rc = DRV_ERROR;
			break;
		}
		sqlite3_bind_text(st, 1, f->version, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, f->description ? f->description : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, sq_now_us());
		sqlite3_bind_text(st, 4, f->hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, "migrate " MIGRATE_VERSION, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = DRV_ERROR;
		sqlite3_finalize(st);
	}
	if (rc != DRV_OK)
		sq_log_sqlite_error(c, "setting the version", sqlite3_errmsg(c->db));
	sq_revisions_free(&revs);
	return rc;
}

static int
sq_set_version(Driver *d, const char *version, const MigrationDir *dir)
{
	SqConn	   *c = conn(d);

	if (run(c, "setting the version", "BEGIN IMMEDIATE") != DRV_OK)
		return DRV_ERROR;
	if (set_version_tx(c, version, dir) != DRV_OK)
	{
		sq_exec(c->db, "ROLLBACK", NULL);
		return DRV_ERROR;
	}
	return run(c, "setting the version", "COMMIT");
}

static int
sq_tag(Driver *d, const char *name)
{
	SqConn	   *c = conn(d);
	RevisionList revs;
	const char *current = NULL;
	sqlite3_stmt *st;
	int			rc;

	if (sq_read_revisions_raw(c, &revs) != DRV_OK)
		return DRV_ERROR;
	for (int i = 0; i < revs.n; i++)
	{
		Revision   *rv = &revs.items[i];
		bool		complete = rv->applied == rv->total || (rv->type & (REV_BASELINE | REV_SET));

		if (complete && (current == NULL || sq_version_cmp(rv->version, current) > 0))
			current = rv->version;
	}
	if (current == NULL)
	{
		log_error("cannot tag SQLite database \"%s\": no migration applied yet", c->path);
		sq_revisions_free(&revs);
		return DRV_ERROR;
	}
	rc = sqlite3_prepare_v2(c->db, "INSERT INTO " SQ_TAGS_TABLE " (name, version, created_at)"
							" VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE"
							" SET version = excluded.version, created_at = excluded.created_at",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, current, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, sq_now_us());
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	sq_revisions_free(&revs);
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "recording the tag", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
sq_down_op(Driver *d, const DownRequest *req, Reporter *r)
{
	return sq_down(d, req, r);
}

static const DriverOps sqlite_ops = {
	.name = "sqlite",
	.dialect = DIALECT_SQLITE,
	.connect = sq_connect,
	.close = sq_close,
	.lock = sq_lock,
	.unlock = sq_unlock,
	.prepare = sq_prepare,
	.read_revisions = sq_read_revisions,
	.check_clean = sq_check_clean,
	.write_baseline = sq_write_baseline,
	.begin_all = sq_begin_all,
	.commit_all = sq_commit_all,
	.rollback_all = sq_rollback_all,
	.apply_file = sq_apply_file,
	.record_failure = sq_record_failure,
	.down = sq_down_op,
	.set_version = sq_set_version,
	.tag = sq_tag,
};

void
migrate_driver_init_sqlite(Driver *d)
{
	d->ops = &sqlite_ops;
	d->priv = NULL;
}
