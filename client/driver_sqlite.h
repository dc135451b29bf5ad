/*-------------------------------------------------------------------------
 *
 * driver_sqlite.h
 *	  Internal interfaces of the SQLite driver (driver_sqlite*.c).
 *
 * The driver is split by responsibility:
 *
 *	- driver_sqlite.c: the DriverOps table, the connection, the runner
 *	  lock, the bookkeeping tables and apply.
 *	- driver_sqlite_schema.c: reading sqlite_master, the SQL tokenizer used
 *	  for normalising definitions and for finding column definitions and
 *	  CHECK constraints, table descriptions from the pragmas, and scratch
 *	  databases (an in-memory copy of a schema, without data, on which
 *	  definitions are described and revert plans are rehearsed).
 *	- driver_sqlite_history.c: what a migration changed (per statement
 *	  catalog comparison, renames) and the images stored for it.
 *	- driver_sqlite_revert.c: planning, checking, executing and verifying
 *	  a revert.
 *
 * The canonical state of an object is its row in sqlite_master: SQLite
 * keeps the text of every CREATE statement there (edited in place by ALTER
 * TABLE) and rebuilds its in-memory schema from those texts alone.  So an
 * image is (type, name, table, sql), and anything the pragmas say about an
 * object can be recomputed from its text in a scratch database.
 *
 * Memory: everything returned is malloc'd and owned by the caller; running
 * out of memory ends the program, as in the rest of the client.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_sqlite.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DRIVER_SQLITE_H
#define DRIVER_SQLITE_H

#include <sqlite3.h>

#include "core.h"

/* Bookkeeping tables; never part of a user schema, a plan or a check. */
#define SQ_REVISIONS_TABLE	"migrate_revisions"
#define SQ_UNITS_TABLE		"migrate_history_units"
#define SQ_IMAGES_TABLE		"migrate_history_images"
#define SQ_TAGS_TABLE		"migrate_history_tags"

/* Prefix of the temporary names used while a revert rebuilds a table. */
#define SQ_TEMP_PREFIX		"migrate_old_"

/* ------------------------------------------------------------------------
 * Small helpers (driver_sqlite_schema.c).
 * ------------------------------------------------------------------------
 */
/* "name" with embedded quotes doubled; always quoted, so never a keyword */
extern char *sq_ident(const char *name);
extern void sqb_ident(StrBuf *b, const char *name);

/* case-insensitive (ASCII) equality of SQLite names; NULLs equal */
extern bool sq_name_eq(const char *a, const char *b);

/* natural version order (digit runs compare as numbers) */
extern int	sq_version_cmp(const char *a, const char *b);
extern int64_t sq_now_us(void);
extern int64_t sq_clock_ns(void);

/* ------------------------------------------------------------------------
 * Schema objects (driver_sqlite_schema.c).
 * ------------------------------------------------------------------------
 */
typedef enum SqKind
{
	SQ_TABLE,
	SQ_INDEX,
	SQ_VIEW,
	SQ_TRIGGER
} SqKind;

typedef struct SqObject
{
	SqKind		kind;
	char	   *name;
	char	   *tbl_name;
	char	   *sql;			/* the CREATE text as sqlite_master holds it */
	int64_t		rootpage;
	bool		is_virtual;		/* CREATE VIRTUAL TABLE */
	bool		is_shadow;		/* a virtual table's shadow table */
} SqObject;

typedef struct SqSchema
{
	SqObject   *items;			/* sorted: tables, indexes, views, triggers;
								 * by name */
	int			n;
} SqSchema;

extern const char *sq_kind_name(SqKind k);
extern int	sq_kind_from_name(const char *s);	/* -1 when unknown */

/* tables, indexes and views share a namespace; triggers have their own */
extern bool sq_same_namespace(SqKind a, SqKind b);

/*
 * Read the user objects of the main schema: everything in sqlite_master
 * with a definition, except SQLite's own objects and the bookkeeping
 * tables.  Returns SQLITE_OK or an SQLite error code (message in *err).
 */
extern int	sq_schema_read(sqlite3 *db, SqSchema *out, char **err);
extern void sq_schema_free(SqSchema *s);
extern void sq_schema_copy(const SqSchema *from, SqSchema *to);

/* the object named name in the namespace of kind, or NULL */
extern SqObject *sq_schema_find(const SqSchema *s, SqKind kind, const char *name);
extern void sq_object_copy(const SqObject *from, SqObject *to);
extern void sq_object_free(SqObject *o);

/* ------------------------------------------------------------------------
 * SQL text (driver_sqlite_schema.c).
 * ------------------------------------------------------------------------
 */
typedef enum SqTokType
{
	TK_SPACE,
	TK_COMMENT,
	TK_WORD,					/* bare word: keyword or identifier */
	TK_QIDENT,					/* "x", [x] or `x` */
	TK_STRING,					/* 'x' */
	TK_BLOB,					/* x'...' */
	TK_NUMBER,
	TK_VARIABLE,				/* ?, ?1, :a, @a, $a */
	TK_PUNCT,					/* ( ) , ; . */
	TK_OP,						/* operators */
	TK_EOF
} SqTokType;

typedef struct SqToken
{
	SqTokType	type;
	const char *start;
	size_t		len;
} SqToken;

/* next token of s at *pos; advances *pos */
extern SqToken sq_next_token(const char *s, size_t *pos);

/* the identifier a token names: unquoted, quotes undoubled (malloc'd) */
extern char *sq_token_ident(const SqToken *t);
extern bool sq_token_is(const SqToken *t, const char *word);

/*
 * Canonical text of a definition for comparisons: comments dropped,
 * whitespace reduced to single spaces where tokens need one, identifiers
 * and keywords lower-cased and unquoted when quoting is not needed.
 * String literals are kept as they are.
 */
extern char *sq_normalize(const char *sql);
extern bool sq_sql_equal(const char *a, const char *b);

/* The parts of a CREATE TABLE text. */
typedef struct SqColumnDef
{
	char	   *name;
	char	   *text;			/* the whole definition, as written */
} SqColumnDef;

typedef struct SqTableText
{
	SqColumnDef *cols;
	int			ncols;
	char	  **checks;			/* CHECK expressions (normalised), table and
								 * column ones */
	int			nchecks;
	bool		ok;				/* false when the text could not be parsed */
} SqTableText;

extern void sq_parse_create_table(const char *sql, SqTableText *out);
extern void sq_table_text_free(SqTableText *t);

/* the first keyword of a statement, lower case, comments skipped ("" when none) */
extern void sq_first_word(const char *sql, char *out, size_t size);

/* ------------------------------------------------------------------------
 * Table descriptions from the pragmas (driver_sqlite_schema.c).
 * ------------------------------------------------------------------------
 */
typedef struct SqColumn
{
	char	   *name;
	char	   *type;
	bool		notnull;
	char	   *dflt;			/* default expression text, NULL when none */
	int			pk;				/* 1-based position in the primary key, 0 */
	int			hidden;			/* 0 normal, 1 hidden, 2 virtual generated, 3
								 * stored generated */
} SqColumn;

typedef struct SqKey
{
	char	  **cols;			/* column names; NULL entry for an expression */
	char	  **colls;			/* collation of each column */
	int			ncols;
	bool		unique;
	char		origin;			/* 'c' CREATE INDEX, 'u' UNIQUE, 'p' PRIMARY
								 * KEY */
	bool		partial;
	char	   *name;
} SqKey;

typedef struct SqForeignKey
{
	char	   *parent;
	char	  **from;
	char	  **to;				/* NULL entries: the parent's primary key */
	int			ncols;
	char	   *on_update;
	char	   *on_delete;
} SqForeignKey;

typedef struct SqTable
{
	char	   *name;
	SqColumn   *cols;
	int			ncols;
	SqKey	   *keys;			/* every index of the table (pragma
								 * index_list) */
	int			nkeys;
	SqForeignKey *fks;
	int			nfks;
	bool		without_rowid;
	bool		strict;
	char	   *detail;			/* canonical one-line-per-item description */
} SqTable;

/* describe a table (or a view's columns) of main; SQLITE_OK or an error */
extern int	sq_describe_table(sqlite3 *db, const char *name, SqTable *out, char **err);
extern void sq_table_free(SqTable *t);
extern int	sq_column_index(const SqTable *t, const char *name);

/* canonical description of an index; NULL on error */
extern char *sq_describe_index(sqlite3 *db, const char *name);

/* ------------------------------------------------------------------------
 * Scratch databases (driver_sqlite_schema.c).
 * ------------------------------------------------------------------------
 */
/* an empty in-memory database; NULL with *err set on failure */
extern sqlite3 *sq_scratch_open(char **err);

/*
 * Create every object of schema in the scratch database: tables, then
 * indexes, views and triggers.  Virtual tables are created when their
 * module is available (their shadow tables come with them); a failure on
 * one of them is remembered in *skipped (names, comma-separated) rather
 * than failing the load.  Returns SQLITE_OK or an error (message in *err).
 */
extern int	sq_scratch_load(sqlite3 *scratch, const SqSchema *schema, char **skipped,
							char **err);

/* run one statement (or several) on db; SQLITE_OK or an error in *err */
extern int	sq_exec(sqlite3 *db, const char *sql, char **err);

/* first column of the first row as an integer; SQLITE_OK or an error */
extern int	sq_query_int(sqlite3 *db, const char *sql, int64_t *out, char **err);

/*
 * Check that every view and trigger of db still compiles (the same test
 * ALTER TABLE RENAME makes).  Returns true when they do; otherwise false
 * with the first problem in *err.
 */
extern bool sq_schema_valid(sqlite3 *db, char **err);

/* ------------------------------------------------------------------------
 * History (driver_sqlite_history.c).
 * ------------------------------------------------------------------------
 */

/*
 * One touched object of a unit: the name it had at the start of the unit
 * (NULL when the unit created it) and at the end (NULL when the unit
 * dropped it), and the column renames the unit made to it.
 */
typedef struct SqTouch
{
	SqKind		kind;
	char	   *start_name;
	char	   *cur_name;
	char	   *dropped_name;	/* the name it had when the unit dropped it */
	char	  **ren_old;		/* column renames, in order */
	char	  **ren_new;
	int			nren;
} SqTouch;

typedef struct SqCapture
{
	SqSchema	start;			/* catalog at the start of the unit */
	SqSchema	cur;			/* catalog after the last statement */
	int64_t		schema_version;
	SqTouch    *touches;
	int			ntouches;
	int			data_stmts;		/* statements that changed rows or settings */
	char		data_kinds[64]; /* their first words, e.g. "insert, pragma" */
} SqCapture;

extern int	sq_capture_begin(sqlite3 *db, SqCapture *c, char **err);

/* before a statement: remember the schema cookie */
extern int	sq_capture_before(sqlite3 *db, SqCapture *c, char **err);

/* after a statement that succeeded: record what it changed */
extern int	sq_capture_after(sqlite3 *db, SqCapture *c, const char *stmt, char **err);

/* write the images of the unit (replacing any written before) */
extern int	sq_capture_write(sqlite3 *db, SqCapture *c, int64_t unit, char **err);
extern void sq_capture_free(SqCapture *c);

/* One image pair as stored. */
typedef struct SqImage
{
	int64_t		unit;
	SqKind		kind;
	bool		has_before;
	SqObject	before;
	bool		has_after;
	SqObject	after;
	char	  **ren_old;
	char	  **ren_new;
	int			nren;
} SqImage;

extern int	sq_images_read(sqlite3 *db, int64_t unit, SqImage **out, int *n, char **err);
extern void sq_images_free(SqImage *imgs, int n);

/* ------------------------------------------------------------------------
 * Driver state and the parts of driver_sqlite.c the revert uses.
 * ------------------------------------------------------------------------
 */
typedef struct SqConn
{
	sqlite3    *db;
	char	   *path;			/* file name (or ":memory:") for messages */
	char	   *open_name;		/* what sqlite3_open_v2 receives */
	int			open_flags;
	bool		memory;
	bool		missing;		/* the file did not exist: db is a stand-in */
	bool		readonly;
	int			foreign_keys;	/* ?foreign_keys=on|off: 1, 0; -1 when not
								 * given */
	bool		ready;			/* bookkeeping tables exist */
	bool		in_all;			/* inside begin_all */
	int			lock_timeout_ms;
	int			busy_ms;		/* sqlite3_busy_timeout */
	int			lock_fd;		/* runner lock, -1 when not held */
	char	   *lock_path;
} SqConn;

extern int	sq_bookkeeping_ready(SqConn *c, bool *ready);
extern int	sq_read_revisions_raw(SqConn *c, RevisionList *out);
extern void sq_revisions_free(RevisionList *l);
extern void sq_log_sqlite_error(SqConn *c, const char *what, const char *err);

/* driver_sqlite_revert.c */
extern int	sq_down(Driver *d, const DownRequest *req, Reporter *r);

#endif							/* DRIVER_SQLITE_H */
