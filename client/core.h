/*-------------------------------------------------------------------------
 *
 * core.h
 *	  Internal interfaces of the migrate client core.
 *
 * migrate.h is the contract between the core and the database drivers;
 * this header declares what the core's own files (and main.c, and the
 * cmocka tests) share among themselves: memory and string helpers, the
 * command line, URL and duration parsing, the statement splitter,
 * migration directories, the sum file, pending-file computation, output,
 * and the commands.
 *
 * Nothing declared here talks to a database library; everything is
 * reentrant except the logging settings (verbosity, output stream), which
 * are process-wide by nature.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/core.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CORE_H
#define MIGRATE_CORE_H

#include <stdio.h>

#include "migrate.h"

/* ------------------------------------------------------------------------
 * util.c: memory (exits on exhaustion), strings, files.
 * ------------------------------------------------------------------------
 */
extern void *xmalloc(size_t n);
extern void *xcalloc(size_t n, size_t size);
extern void *xrealloc(void *p, size_t n);
extern char *xstrdup(const char *s);
extern char *xstrndup(const char *s, size_t n);
extern char *xasprintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));

typedef struct StrBuf
{
	char	   *data;			/* always NUL-terminated once initialized */
	size_t		len;
	size_t		cap;
} StrBuf;

extern void sb_init(StrBuf *sb);
extern void sb_put(StrBuf *sb, const char *s, size_t n);
extern void sb_puts(StrBuf *sb, const char *s);
extern void sb_putc(StrBuf *sb, char c);
extern void sb_printf(StrBuf *sb, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern char *sb_steal(StrBuf *sb);	/* returns data, leaves sb empty */
extern void sb_reset(StrBuf *sb);	/* empties, keeps the allocation */
extern void sb_free(StrBuf *sb);

/*
 * Read a whole file.  Returns 0 and sets *data (NUL-terminated, caller
 * frees) and *len, or -1 with *err set to the system's reason (caller
 * frees).
 */
extern int	read_file(const char *path, char **data, size_t *len, char **err);
extern int	write_file_atomic(const char *path, const char *data, size_t len, char **err);
extern char *path_join(const char *dir, const char *name);
extern bool is_directory(const char *path);
extern bool path_exists(const char *path);

/* 1-based line of byte offset off in s[0..len) */
extern int	line_at(const char *s, size_t len, size_t off);

/*
 * Check that s[0..len) is valid UTF-8 without NUL bytes.  On failure
 * returns false and sets *bad to the offset of the first bad byte and
 * *is_nul to whether it is a NUL byte.
 */
extern bool text_check(const char *s, size_t len, size_t *bad, bool *is_nul);

/* ------------------------------------------------------------------------
 * log.c: process-wide logging settings (see migrate.h for the calls).
 * ------------------------------------------------------------------------
 */
extern void log_set_verbosity(int level);	/* 0 default, 1 -v, 2 -vv */
extern int	log_get_verbosity(void);
extern void log_set_stream(FILE *f);	/* default stderr; tests capture */
extern int	log_error_count(void);	/* errors logged so far */
extern const char *log_last_error(void);	/* primary message, or NULL */
extern void log_raw(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------------
 * hash.c
 * ------------------------------------------------------------------------
 */
/* base64 (standard alphabet, padded) of sha256(data); out holds 45 bytes */
extern void sha256_base64(const void *data, size_t len, char out[45]);

/* every running hash of stmts at once: out[i] = hash_running(stmts, i) */
extern void hash_running_all(const StmtList *stmts, char (*out)[64]);

/* an incremental SHA-256 whose intermediate digests can be read */
extern void *hash_chain_new(void);
extern void hash_chain_update(void *chain, const void *data, size_t len);
extern void hash_chain_peek(void *chain, char out[45]);
extern void hash_chain_free(void *chain);

/* ------------------------------------------------------------------------
 * Durations and versions (options.c, dir.c).
 * ------------------------------------------------------------------------
 */
/*
 * Parse a duration such as "10s", "500ms", "2m", "1m30s", "1.5s" into
 * milliseconds.  Returns 0, or -1 with *err set (caller frees).
 */
extern int	parse_duration_ms(const char *s, int *ms, char **err);

/* Go-style duration text: "624.004µs", "5.412737ms", "1m2.5s" */
extern void format_duration(int64_t ns, char *buf, size_t size);

/*
 * Natural version order: runs of digits compare as numbers (so "2" < "10"
 * and timestamps order as expected), everything else byte by byte.
 * version_cmp breaks ties between "1" and "01" by byte order, so it is a
 * total order; version_same_number tells whether two different strings
 * name the same version number ("1" and "01").
 */
extern int	version_cmp(const char *a, const char *b);
extern bool version_same_number(const char *a, const char *b);

/* ------------------------------------------------------------------------
 * url.c
 * ------------------------------------------------------------------------
 */
/* Parse a --url.  Returns 0, or -1 with *err set (caller frees). */
extern int	url_parse(const char *s, ConnUrl *out, char **err);

/*
 * PostgreSQL connection from the usual tool options: dbname may be a
 * conninfo string or a URI (as psql's -d); host, port and user override.
 * Any may be NULL; with all NULL, libpq's PG* environment applies.
 */
extern int	url_from_pg_options(const char *dbname, const char *host,
								const char *port, const char *user,
								ConnUrl *out, char **err);

/* merge -h/-p/-U into an already parsed postgres URL */
extern int	url_pg_override(ConnUrl *u, const char *host, const char *port,
							const char *user, char **err);
extern void url_free(ConnUrl *u);

/*
 * value of key in a query string "a=1&b=2", percent-decoded; NULL if absent
 * or badly encoded (caller frees)
 */
extern char *url_query_param(const char *params, const char *key);

extern const char *dialect_name(Dialect d);

/* ------------------------------------------------------------------------
 * split.c: the statement splitter.  Pure: no global state, no I/O.
 * ------------------------------------------------------------------------
 */
typedef struct SplitError
{
	int			line;			/* 1-based */
	char		msg[256];
} SplitError;

/*
 * Split text[0..len) into statements of the given dialect.  delimiter is
 * the initial delimiter (NULL or ";" for the default); first_line is the
 * line number of text[0] in its file.  Returns 0 and fills *out (caller
 * frees with stmtlist_free), or -1 and fills *err (nothing to free).
 */
extern int	split_sql(const char *text, size_t len, Dialect dialect,
					  const char *delimiter, int first_line,
					  StmtList *out, SplitError *err);
extern void stmtlist_free(StmtList *l);

/* ------------------------------------------------------------------------
 * dir.c: migration directories and files.
 * ------------------------------------------------------------------------
 */
extern const char *dir_format_name(DirFormat f);

/*
 * Parse a --dir value: "path", "file://path" or "file://path?format=X".
 * Returns 0, or -1 with *err set (caller frees).
 */
extern int	dir_parse_spec(const char *spec, char **path, DirFormat *format,
						   char **err);

/*
 * Parse one migration file held in memory: format rules (dbmate sections,
 * txtar), directives, splitting.  name is the file name inside the
 * directory, path the name used in messages.  Errors are logged; returns
 * 0 or -1.
 */
extern int	migration_parse(MigrationFile *f, const char *path, const char *name,
							const char *data, size_t len, DirFormat format,
							Dialect dialect);
extern void migration_file_free(MigrationFile *f);

/* One file of a directory listing, before parsing. */
typedef struct DirEntry
{
	char	   *name;			/* relative to the directory */
	char	   *version;
	char	   *description;
	char	   *data;			/* raw bytes (NUL-terminated) */
	size_t		len;
} DirEntry;

/*
 * List the migration files of a directory (format detected when
 * FORMAT_AUTO; *format receives the result).  Entries are sorted by
 * version; duplicate versions are an error naming both files.  Errors are
 * logged; returns 0 or -1.
 */
extern int	dir_list(const char *path, DirFormat *format, DirEntry **entries,
					 int *n);
extern void dir_entries_free(DirEntry *entries, int n);

/*
 * Version and description from a file name under a format's rules.
 * Returns 1 if the name is a migration file, 0 if the format ignores it
 * (other files, golang-migrate down files, Flyway undo files), -1 if the
 * name looks like a migration file but breaks the format's rules (*why
 * set, caller frees).
 */
extern int	dir_name_version(DirFormat format, const char *name, char **version,
							 char **description, char **why);

/*
 * Load a directory: list, verify the sum file (unless verify_sum is
 * false), parse and split every file.  Errors are logged; returns 0 or -1.
 */
extern int	dir_load(const char *path, DirFormat format, Dialect dialect,
					 bool verify_sum, MigrationDir *out);
extern void dir_free(MigrationDir *d);
extern const MigrationFile *dir_find(const MigrationDir *d, const char *version);

/* ------------------------------------------------------------------------
 * sumfile.c: migrate.sum / atlas.sum.
 * ------------------------------------------------------------------------
 */
typedef struct SumLine
{
	char	   *name;
	char		hash[64];		/* "h1:..." cumulative */
} SumLine;

typedef struct SumFile
{
	char		header[64];		/* "h1:..." */
	SumLine    *lines;
	int			n;
} SumFile;

#define SUM_FILE_NAME		"migrate.sum"
#define ATLAS_SUM_FILE_NAME	"atlas.sum"

/*
 * Compute the sum of files (name, bytes) given in any order; the sum
 * orders them by name (byte order), as the reference tool does.
 */
extern void sum_compute(const DirEntry *entries, int n, SumFile *out);
extern char *sum_format(const SumFile *s);

/* Returns 0, or -1 with *err set (caller frees). */
extern int	sum_parse(const char *text, size_t len, SumFile *out, char **err);
extern void sum_free(SumFile *s);

/*
 * Compare the expected sum (file contents) with the recorded one.  Returns
 * true when they match; otherwise appends one sentence per problem to
 * *problems ("File "x.sql" was edited." ...).
 */
extern bool sum_compare(const SumFile *computed, const SumFile *recorded,
						StrBuf *problems);

/*
 * Verify the sum file of a directory against its entries; logs the error
 * with detail and hint.  *used receives the path of the sum file checked.
 */
extern int	sum_verify_dir(const char *dirpath, const DirEntry *entries, int n,
						   char **used);

/* Write migrate.sum for a directory. */
extern int	sum_write_dir(const char *dirpath, const DirEntry *entries, int n);

/* ------------------------------------------------------------------------
 * pending.c: what apply would do, given the directory and the revisions.
 * ------------------------------------------------------------------------
 */
typedef struct PendingItem
{
	const MigrationFile *file;
	const Revision *rev;		/* existing row (partially applied), or NULL */
	int			start;			/* first statement to run */
	bool		out_of_order;
} PendingItem;

typedef struct PendingPlan
{
	PendingItem *items;
	int			n;
	const char *current;		/* current version (NULL: none applied) */
	const Revision *current_rev;
	int			executed;		/* rows of files run in full or in part */
	const Revision *partial;	/* partially applied / failed row, or NULL */
	const Revision *last_error; /* row carrying the last error, or NULL */
	int			out_of_order;	/* files added out of order */
	int			skipped;		/* ...of which skipped by linear-skip */
	bool		needs_clean_check;	/* no revisions: database must be clean */
	const char *baseline;		/* baseline to record before applying */
	/* why apply must refuse (NULL when fine); detail and hint may be NULL */
	char	   *error;
	char	   *error_detail;
	char	   *error_hint;
} PendingPlan;

/*
 * Compute the pending files.  revs must be sorted with revisions_sort.
 * Never fails hard: problems are returned in plan->error so that status
 * can display them and apply refuse.
 */
extern void pending_compute(const MigrationDir *dir, const RevisionList *revs,
							const Options *opts, PendingPlan *plan);
extern void pending_free(PendingPlan *plan);
extern void revisions_sort(RevisionList *revs);
extern void revisions_free(RevisionList *revs);
extern bool revision_complete(const Revision *r);

/* ------------------------------------------------------------------------
 * report.c: the Reporter (see migrate.h for the calls drivers make).
 * ------------------------------------------------------------------------
 */
typedef enum ReportKind
{
	REPORT_APPLY,
	REPORT_DOWN,
	REPORT_STATUS,
	REPORT_OTHER
} ReportKind;

extern Reporter *reporter_new(FILE *out, bool json, bool dry_run, ReportKind kind);
extern void reporter_free(Reporter *r);

/* name, value pairs printed at the top of the JSON document */
extern void reporter_set(Reporter *r, const char *key, const char *value);
extern void reporter_set_error(Reporter *r, const char *error);

/* counts so far */
extern int	reporter_groups(const Reporter *r);
extern int	reporter_failures(const Reporter *r);
extern bool reporter_has_header(const Reporter *r);

/* "No migration files to execute" / "Nothing to revert" */
extern void report_nothing(Reporter *r, const char *message);

/* footer of apply / down (text), or the JSON document */
extern void report_finish(Reporter *r, int64_t total_ns);

/* What status shows; filled by the status command. */
typedef struct StatusView
{
	const char *current;		/* NULL: no migration applied yet */
	int			current_applied;	/* statements applied of a partial file */
	const char *next;			/* NULL: already at latest */
	int			next_left;		/* statements left in a partial next file */
	int			executed;
	bool		last_partial;
	int			pending;
	int			out_of_order;
	const char *problem;		/* why apply would refuse, or NULL */
	const char *error;			/* last error, or NULL */
	const char *error_stmt;
	const RevisionList *revs;
	const PendingPlan *plan;
} StatusView;

extern void report_status(Reporter *r, const StatusView *v);

/* JSON string escaping */
extern void json_string(StrBuf *sb, const char *s);

/* ------------------------------------------------------------------------
 * options.c: the command line.
 * ------------------------------------------------------------------------
 */
typedef enum Command
{
	CMD_NONE = 0,
	CMD_APPLY,
	CMD_DOWN,
	CMD_STATUS,
	CMD_HASH,
	CMD_VALIDATE,
	CMD_SET,
	CMD_TAG,
	CMD_VERSION,
	CMD_HELP
} Command;

typedef struct CliArgs
{
	Command		command;
	Options		opts;
	const char *arg;			/* set: version; tag: name; help: topic */
	char	   *dir_path;		/* --dir without file:// and ?format= */
	DirFormat	dir_format;
	bool		dir_given;		/* --dir was on the command line */
	/* PostgreSQL connection options, merged into url */
	const char *pg_dbname;
	const char *pg_host;
	const char *pg_port;
	const char *pg_user;
	ConnUrl		url;
	bool		have_url;		/* url is parsed */
	int			exit_now;		/* -1: run the command; else exit code */
} CliArgs;

/*
 * Parse argv.  Prints help / version / errors itself; when args->exit_now
 * is not -1 the caller exits with that code.
 */
extern void cli_parse(int argc, char **argv, CliArgs *args);
extern void cli_free(CliArgs *args);
extern void cli_usage(FILE *out, const char *topic);
extern const char *command_name(Command c);

/* ------------------------------------------------------------------------
 * run.c: the commands.
 * ------------------------------------------------------------------------
 */
/* A way to make drivers: main.c provides the real one, tests a fake. */
typedef bool (*DriverFactory) (Dialect dialect, Driver *d);

extern int	run_command(CliArgs *args, DriverFactory factory, FILE *out);
extern int	cmd_apply(Driver *d, const MigrationDir *dir, const Options *o, FILE *out);
extern int	cmd_down(Driver *d, const MigrationDir *dir, const Options *o, FILE *out);
extern int	cmd_status(Driver *d, const MigrationDir *dir, const Options *o, FILE *out);

/* gitref.c: --to-tag as a git ref of the directory's repository */
/*
 * If ref names a commit in the git repository holding dirpath, set
 * *version to the last migration version present in the directory at that
 * commit and return 1; return 0 if ref is not a git ref there (or git or
 * the repository is missing); -1 on error (logged).
 */
extern int	gitref_version(const char *dirpath, DirFormat format, const char *ref,
						   char **version);

#endif							/* MIGRATE_CORE_H */
