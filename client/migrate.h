/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  Types shared by the migrate client core and its database drivers.
 *
 * The client is split in three layers:
 *
 *	- the core (every C file in client/ except main.c and driver_*.c): command
 *	  line, migration directories and their formats, the sum file, statement
 *	  splitting, pending-file computation, and output.  It never talks to a
 *	  database library, so the cmocka tests link it alone.
 *	- drivers (client/driver_pg.c, client/driver_sqlite.c and
 *	  drivers-mysql/): each fills a DriverOps table, in the manner of
 *	  pg_dump's archive formats.
 *	- main.c: picks the command and wires the two together.
 *
 * Memory: the client is a short-lived program.  Objects returned by loaders
 * are owned by the caller and released with the matching *_free function;
 * on an unrecoverable error the program exits.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/migrate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MIGRATE_VERSION
#define MIGRATE_VERSION "1.0"
#endif

/* Exit codes (see docs/cli.md). */
#define EXIT_OK				0
#define EXIT_ERROR			1
#define EXIT_CONN_LOST		2
#define EXIT_STEP_FAILED	3

/* Return codes of driver operations. */
#define DRV_OK				0
#define DRV_ERROR			(-1)	/* message already logged */
#define DRV_CONN_LOST		(-2)	/* connection lost; message logged */
#define DRV_LOCKED			(-3)	/* lock not obtained within the timeout */

typedef enum Dialect
{
	DIALECT_POSTGRES,
	DIALECT_MYSQL,
	DIALECT_SQLITE
} Dialect;

typedef enum TxMode
{
	TXMODE_DEFAULT = 0,			/* no directive in the file / no flag */
	TXMODE_FILE,
	TXMODE_ALL,
	TXMODE_NONE
} TxMode;

typedef enum ExecOrder
{
	EXEC_LINEAR = 0,
	EXEC_LINEAR_SKIP,
	EXEC_NON_LINEAR
} ExecOrder;

/* Revision types, bit flags (compatible with the reference tool). */
#define REV_BASELINE		1
#define REV_APPLIED			2
#define REV_SET				4

/* One statement of a migration file, as the splitter returns it. */
typedef struct Stmt
{
	char	   *text;			/* trimmed text, delimiter kept when it is ';' */
	int			line;			/* 1-based line of its first character */
} Stmt;

typedef struct StmtList
{
	Stmt	   *items;
	int			n;
} StmtList;

/* One migration file, loaded and split. */
typedef struct MigrationFile
{
	char	   *path;			/* path as given (dir + name), for messages */
	char	   *name;			/* file name inside the directory */
	char	   *version;
	char	   *description;
	char	   *content;		/* the statements part of the file
								 * (NUL-terminated) */
	size_t		content_len;
	StmtList	stmts;			/* what apply executes */
	StmtList	checks;			/* txtar checks.sql: assertions run before
								 * applying */
	StmtList	down;			/* txtar down.sql: hand-written revert */
	bool		has_down;
	TxMode		txmode;			/* from a file directive, TXMODE_DEFAULT if
								 * none */
	char		hash[64];		/* "h1:" + base64(sha256(content)) */
} MigrationFile;

typedef enum DirFormat
{
	FORMAT_AUTO = 0,
	FORMAT_NATIVE,				/* <version>_<name>.sql (also atlas) */
	FORMAT_GOLANG_MIGRATE,		/* <version>_<name>.up.sql */
	FORMAT_FLYWAY,				/* V<version>__<name>.sql */
	FORMAT_DBMATE				/* -- migrate:up / -- migrate:down */
} DirFormat;

typedef struct MigrationDir
{
	char	   *path;
	DirFormat	format;
	MigrationFile *files;		/* sorted by version */
	int			nfiles;
	char	   *sum_path;		/* migrate.sum or atlas.sum that was verified */
} MigrationDir;

/*
 * What an interrupted statement of a partially applied file left behind,
 * which the next apply deals with before it runs the statement again
 * (PostgreSQL: the invalid index of an interrupted CREATE INDEX
 * CONCURRENTLY or REINDEX CONCURRENTLY; see docs/postgres.md).
 */
typedef enum LeftoverAction
{
	LEFTOVER_DROP = 0,			/* the next apply drops it, then runs the
								 * statement */
	LEFTOVER_REFUSE,			/* in the way and not provably the statement's
								 * own: the next apply stops */
	LEFTOVER_KEEP				/* not in the way, not provably its own: left
								 * alone */
} LeftoverAction;

typedef struct Leftover
{
	LeftoverAction action;
	char	   *message;		/* what it is, or (refuse) why the apply stops */
	char	   *detail;			/* may be NULL */
	char	   *hint;			/* may be NULL */
	char	   *drop;			/* the statement that drops it */
} Leftover;

/* One row of the revisions table, engine independent. */
typedef struct Revision
{
	char	   *version;
	char	   *description;
	int			type;			/* REV_* bits */
	int			applied;		/* statements applied */
	int			total;			/* statements in the file */
	int64_t		executed_at_us; /* Unix epoch, microseconds */
	int64_t		execution_time_ns;
	char	   *error;			/* NULL when none */
	char	   *error_stmt;
	char	   *hash;			/* file hash ("h1:...") */
	char	  **partial_hashes; /* running hash after each applied statement */
	int			npartial;

	/*
	 * what an interruption of statement `applied` left behind (partially
	 * applied rows only; drivers that have none leave these zero)
	 */
	Leftover   *leftovers;
	int			nleftovers;
} Revision;

typedef struct RevisionList
{
	Revision   *items;			/* ordered by version */
	int			n;
} RevisionList;

/* A parsed --url. */
typedef struct ConnUrl
{
	Dialect		dialect;
	char	   *raw;			/* as given (never printed: may hold a
								 * password) */
	char	   *redacted;		/* for messages */
	char	   *user;
	char	   *password;
	char	   *host;
	char	   *port;
	char	   *socket;			/* unix socket path, when given */
	char	   *dbname;			/* database / schema; for sqlite the file path */
	char	   *params;			/* query string after '?', unparsed */
	char	   *conninfo;		/* postgres: conninfo/URI passed to libpq as
								 * is */
} ConnUrl;

/* Options shared by all commands (filled by the command line parser). */
typedef struct Options
{
	const char *url;
	const char *dir;
	const char *revisions_schema;
	const char *baseline;
	const char *to_version;
	const char *to_tag;
	const char *plan_hash;
	char	  **allow_loss;
	int			nallow_loss;
	int			amount;			/* positional N; 0 = not given */
	TxMode		txmode;
	ExecOrder	exec_order;
	int			lock_timeout_ms;
	bool		dry_run;
	bool		allow_dirty;
	bool		accept_drift;
	bool		json;			/* --format json */
	bool		echo;			/* --echo: print SQL sent to the server */
	int			verbose;
	/* password prompting: PROMPT_* (-w never, -W always, default when needed) */
	int			prompt_password;
} Options;

#define PROMPT_AUTO			0
#define PROMPT_NEVER		1	/* -w / --no-password */
#define PROMPT_ALWAYS		2	/* -W / --password */

/* ------------------------------------------------------------------------
 * Output.  The core owns the presentation (text or JSON); drivers report
 * what they do through these calls and never print to stdout themselves.
 *
 * Who calls what:
 *	- apply: the core prints the header and the footer.  Inside apply_file
 *	  the driver reports the groups of that file: when f->checks has
 *	  statements, report_group("checks before migrating version V"),
 *	  report_check per assertion and report_group_ok or
 *	  report_check_failed; then report_group("migrating version V"),
 *	  report_stmt before each statement it executes (statements below
 *	  `start` are not reported), and finally report_group_ok(elapsed) or
 *	  report_group_error(failing statement, error text).
 *	- down: the driver calls report_down_header once it knows the target,
 *	  then for each version "checks before reverting version V" /
 *	  "reverting version V" groups the same way; the core prints the footer.
 *	  When nothing is to be reverted the driver reports nothing and returns
 *	  DRV_OK; the core then prints "Nothing to revert".
 *	- Titles are given without the leading "-- ".
 * ------------------------------------------------------------------------
 */
typedef struct Reporter Reporter;

/* "Migrating to version X from Y (N migrations in total):" and friends */
extern void report_apply_header(Reporter *r, const char *current, const char *target, int n);
extern void report_down_header(Reporter *r, const char *current, const char *target, int n);

/* A group of lines: "-- migrating version V", "-- checks before reverting version V", ... */
extern void report_group(Reporter *r, const char *title);

/* the current group stands for n migrations (default one; 0 for a group
 * that only informs, such as drift); a revert that undoes several versions
 * in one transaction reports them in one group */
extern void report_group_versions(Reporter *r, int n);
extern void report_check(Reporter *r, const char *sql);
extern void report_stmt(Reporter *r, const char *sql);
extern void report_note(Reporter *r, const char *text); /* "-- note: ..." inside
														 * a group */

/* "-- <what>" and "-> <sql>": a statement run before the file's own to clean
 * up after an interrupted attempt (dropping a leftover); not counted as a
 * statement of the file */
extern void report_cleanup(Reporter *r, const char *what, const char *sql);
extern void report_group_ok(Reporter *r, int64_t elapsed_ns);	/* < 0: listed, not run */
extern void report_group_error(Reporter *r, const char *stmt, const char *error);
extern void report_check_failed(Reporter *r, const char *sql, const char *error);

/* ------------------------------------------------------------------------
 * Drivers.
 * ------------------------------------------------------------------------
 */
typedef struct Driver Driver;

/* What "migrate down" asks a driver to do. */
typedef struct DownRequest
{
	int			steps;			/* number of versions to revert (default 1) */
	const char *to_version;		/* or: revert everything applied after this */
	const char *to_tag;			/* or: a tag recorded in the database */
	bool		dry_run;		/* plan and run the checks, change nothing */
	char	  **allow_loss;		/* objects whose data may be lost */
	int			nallow_loss;
	bool		accept_drift;
	const char *plan_hash;		/* refuse if the plan differs from this */

	/*
	 * the migration directory when one was given or found (verified), for
	 * drivers that use hand-written down sections; may be NULL
	 */
	const struct MigrationDir *dir;
} DownRequest;

/*
 * Filled by apply_file.  error and error_stmt are malloc'd (the core frees
 * them); elapsed_ns is the time the call spent executing.
 */
typedef struct ApplyResult
{
	int			applied;		/* statements that ran in this call */
	int64_t		elapsed_ns;
	bool		failed;
	char	   *error;
	char	   *error_stmt;
} ApplyResult;

typedef struct DriverOps
{
	const char *name;			/* "postgres", "mysql", "sqlite" */
	Dialect		dialect;
	/* connect using d->url and d->opts; DRV_OK or DRV_ERROR (message logged) */
	int			(*connect) (Driver *d);
	void		(*close) (Driver *d);

	/*
	 * take / release the runner lock; DRV_LOCKED after timeout_ms (the core
	 * reports it).  Not called when prepare(create=false) found no
	 * bookkeeping: there are no revisions to protect then
	 */
	int			(*lock) (Driver *d, int timeout_ms);
	void		(*unlock) (Driver *d);

	/*
	 * make the bookkeeping ready (extension / tables); with create == false
	 * only report whether it is there (*ready) and change nothing
	 */
	int			(*prepare) (Driver *d, bool create, bool *ready);

	/*
	 * every row (any order: the core sorts them); all strings and arrays
	 * malloc'd, one allocation each, freed by the core with free()
	 */
	int			(*read_revisions) (Driver *d, RevisionList *out);

	/*
	 * is the database empty of user objects?  *reason says what was found
	 * (malloc'd).  Called when there are no revisions, possibly before the
	 * bookkeeping exists (an apply dry run on a fresh database calls it after
	 * prepare(create=false) found nothing), so it must not need the
	 * bookkeeping; the bookkeeping itself does not count as user objects
	 */
	int			(*check_clean) (Driver *d, bool *clean, char **reason);
	int			(*write_baseline) (Driver *d, const char *version, const char *description);
	/* tx-mode all: one transaction around several apply_file calls */
	int			(*begin_all) (Driver *d);
	int			(*commit_all) (Driver *d);
	int			(*rollback_all) (Driver *d);

	/*
	 * apply statements [start, n) of f; records progress in the revisions
	 * table as the mode requires; reports every statement.  mode is the
	 * effective mode of this file: TXMODE_FILE (own transaction), TXMODE_NONE
	 * (no transaction, progress recorded per statement) or TXMODE_ALL (inside
	 * begin_all; no transaction of its own).  Returns DRV_OK, or DRV_ERROR
	 * with res->failed set when a statement failed (res->error,
	 * res->error_stmt), DRV_ERROR without it for other errors, DRV_CONN_LOST
	 */
	int			(*apply_file) (Driver *d, const MigrationFile *f, TxMode mode, int start,
							   Reporter *r, ApplyResult *res);

	/*
	 * after a failure in tx-mode all: record the error outside the rolled
	 * back transaction
	 */
	int			(*record_failure) (Driver *d, const MigrationFile *f, const ApplyResult *res);
	/* compute and (unless dry_run) execute a revert, reporting as it goes */
	int			(*down) (Driver *d, const DownRequest *req, Reporter *r);
	/* "migrate set": make the revisions table say version is current */
	int			(*set_version) (Driver *d, const char *version, const MigrationDir *dir);
	/* record a tag for the current version */
	int			(*tag) (Driver *d, const char *name);
} DriverOps;

struct Driver
{
	const DriverOps *ops;
	const ConnUrl *url;
	const Options *opts;
	void	   *priv;			/* driver state (connection, ...) */
};

/* Each driver provides one init function (see STYLE.md rule 22). */
extern void migrate_driver_init_postgres(Driver *d);
extern void migrate_driver_init_mysql(Driver *d);
extern void migrate_driver_init_sqlite(Driver *d);

/* ------------------------------------------------------------------------
 * Logging, in the manner of pg_log_error (common/logging.h): messages to
 * stderr, data to stdout.  The primary message is lower case, no period;
 * detail and hint are full sentences.
 * ------------------------------------------------------------------------
 */
extern void log_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void log_error_detail(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void log_error_hint(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void log_warning(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void log_info(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void log_debug(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* --echo: drivers pass every SQL text they send; printed on stderr when
 * d->opts->echo is set, nothing otherwise */
extern void log_echo(const Driver *d, const char *sql);

/* ------------------------------------------------------------------------
 * Hashing (OpenSSL libcrypto): "h1:" + base64(sha256(...)).
 * ------------------------------------------------------------------------
 */
/* hash of a byte string; out must hold 64 bytes */
extern void hash_bytes(const void *data, size_t len, char out[64]);

/* running hash of stmts[0..i], i.e. the state after statement i was applied */
extern void hash_running(const StmtList *stmts, int i, char out[64]);

#endif							/* MIGRATE_H */
