/*-------------------------------------------------------------------------
 *
 * my_int.h
 *	  Internal declarations of the MySQL/MariaDB driver.
 *
 * The driver is split by responsibility:
 *
 *	my_util.c		string buffers, identifier and literal quoting, a small
 *					MySQL lexer used to classify statements and find the
 *					objects (and renames) a statement names
 *	my_conn.c		connection, queries, error classification, the GET_LOCK
 *					runner lock, connection-loss detection, test hooks
 *	my_catalog.c	snapshots of the target database: a fingerprint of every
 *					object from information_schema, canonical images from
 *					SHOW CREATE, and the parser of table images
 *	my_history.c	bookkeeping tables: revisions, applied files, units of
 *					change with the images they produced, intents, tags
 *	my_apply.c		apply_file and the other forward operations
 *	my_plan.c		the revert planner: live image + recorded image ->
 *					statements and the data checks guarding them
 *	my_down.c		the stepwise revert executor
 *	my_driver.c		the DriverOps table
 *
 * Memory: the client is a short-lived program; allocation failures exit
 * (xmalloc and the string buffer of core.h).  Structures documented as "owned" are released
 * with their *_free function.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MY_INT_H
#define MY_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "core.h"

/* ------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------
 */


/* `name` with embedded backticks doubled */
extern void mb_ident(StrBuf *sb, const char *name);
extern char *my_quote_ident(const char *name);

/* a list of owned strings */
typedef struct MyList
{
	char	  **items;
	int			n;
	int			cap;
} MyList;

extern void ml_add(MyList *l, const char *s);
extern void ml_add_owned(MyList *l, char *s);
extern bool ml_contains(const MyList *l, const char *s);
extern int	ml_index(const MyList *l, const char *s);
extern void ml_free(MyList *l);

/* hex SHA-256 of a string (65 bytes with the terminator) */
extern void my_sha256_hex(const char *data, size_t len, char out[65]);

/* JSON array of strings, for partial_hashes */
extern char *my_json_array_encode(char **items, int n);
extern int	my_json_array_decode(const char *json, char ***items);

/* ------------------------------------------------------------------------
 * Lexer and statement analysis (my_util.c)
 * ------------------------------------------------------------------------
 */
typedef enum TokKind
{
	TK_EOF,
	TK_WORD,					/* keyword or bare identifier */
	TK_QIDENT,					/* `quoted identifier`, text unquoted */
	TK_STRING,					/* 'string' or "string", text unquoted */
	TK_NUMBER,
	TK_PUNCT					/* one character: ( ) , . ; = ... */
} TokKind;

typedef struct Token
{
	TokKind		kind;
	char	   *text;			/* owned */
	int			depth;			/* parenthesis depth at the token */
	size_t		start;			/* byte offsets in the source */
	size_t		end;
} Token;

typedef struct TokList
{
	Token	   *items;
	int			n;
} TokList;

extern void my_lex(const char *sql, TokList *out);
extern void my_toklist_free(TokList *l);
extern bool my_tok_is(const Token *t, const char *word);	/* case-insensitive
															 * keyword */

/* How a statement relates to transactions (see docs/mysql.md). */
typedef enum StmtClass
{
	STMT_DATA,					/* no implicit commit: run in a transaction
								 * with its record */
	STMT_SCHEMA,				/* DDL on objects of the database: effect
								 * visible by introspection */
	STMT_OPAQUE					/* commits implicitly, effect not visible
								 * (accounts, CALL, ...) */
} StmtClass;

extern StmtClass my_stmt_classify(const char *sql);
extern bool my_stmt_is_session_set(const char *sql);

/* One object a statement names, and renames it performs. */
typedef struct StmtTarget
{
	char		kind;			/* 't' table, 'v' view, 'g' trigger, 'p'
								 * procedure, 'f' function, '?' any */
	char	   *name;
} StmtTarget;

typedef struct StmtRename
{
	char		kind;			/* 't' table, 'c' column */
	char	   *table;			/* for columns: the table (name after the
								 * statement) */
	char	   *old_name;
	char	   *new_name;
} StmtRename;

typedef struct StmtInfo
{
	bool		parsed;			/* false: targets unknown */
	StmtTarget *targets;
	int			ntargets;
	StmtRename *renames;
	int			nrenames;
} StmtInfo;

extern void my_stmt_analyze(const char *sql, const char *dbname, StmtInfo *out);
extern void my_stmt_info_free(StmtInfo *si);

/* ------------------------------------------------------------------------
 * Objects and snapshots (my_catalog.c)
 * ------------------------------------------------------------------------
 */
typedef enum ObjKind
{
	OBJ_TABLE,
	OBJ_VIEW,
	OBJ_TRIGGER,
	OBJ_PROCEDURE,
	OBJ_FUNCTION,
	OBJ_EVENT,
	OBJ_SEQUENCE,
	OBJ_NKINDS
} ObjKind;

extern const char *my_obj_kind_name(ObjKind k); /* "table", "view", ... */
extern int	my_obj_kind_from_name(const char *s);	/* -1 when unknown */
extern char my_obj_kind_letter(ObjKind k);	/* matches StmtTarget.kind */

typedef struct SnapObj
{
	ObjKind		kind;
	char	   *name;
	char		fp[33];			/* fingerprint from information_schema */
	char	   *image;			/* canonical definition; NULL until loaded */
	char		hash[65];		/* sha256 of image, "" until loaded */
} SnapObj;

typedef struct Snapshot
{
	SnapObj    *items;			/* sorted by (kind, name) */
	int			n;
} Snapshot;

extern void my_snapshot_free(Snapshot *s);
extern SnapObj *my_snapshot_find(const Snapshot *s, ObjKind kind, const char *name);
extern void my_snapshot_put(Snapshot *s, ObjKind kind, const char *name, const char *fp,
							const char *image);
extern void my_snapshot_remove(Snapshot *s, ObjKind kind, const char *name);
extern void my_snapshot_copy(Snapshot *dst, const Snapshot *src);

/* ------------------------------------------------------------------------
 * Driver state
 * ------------------------------------------------------------------------
 */
typedef struct MyState
{
	MYSQL	   *conn;
	char	   *db;				/* target database */
	char	   *rdb;			/* database holding the bookkeeping tables */
	char	   *qdb;			/* `db` */
	char	   *qrdb;			/* `rdb` */
	char	   *lock_name;
	bool		locked;
	bool		synced;			/* history brought up to date with the live
								 * schema in this run */
	bool		mariadb;
	unsigned long server_version;
	Snapshot	known;			/* state recorded in history (fingerprints,
								 * images on demand) */
	int			stmts_executed; /* for the test hooks */
	char	   *saved_sql_mode;
} MyState;

#define MYSTATE(d) ((MyState *) (d)->priv)

/* ------------------------------------------------------------------------
 * Connection and queries (my_conn.c)
 * ------------------------------------------------------------------------
 */
typedef struct MyRows
{
	int			nrows;
	int			ncols;
	char	 ***rows;			/* rows[i][j], NULL for SQL NULL */
	unsigned long **lengths;
} MyRows;

extern int	my_connect(Driver *d);
extern void my_close(Driver *d);
extern int	my_lock(Driver *d, int timeout_ms);
extern void my_unlock(Driver *d);

/* a lost connection (CR_SERVER_GONE_ERROR, CR_SERVER_LOST, ...) */
extern bool my_conn_lost_errno(unsigned int err);

/*
 * Run a statement whose result (if any) is discarded.  On error: when quiet
 * is false the error is logged (with the statement as context); the return
 * value is DRV_CONN_LOST for a lost connection, DRV_ERROR otherwise.  The
 * server's error text is left in *errmsg when errmsg is not NULL (owned).
 */
extern int	my_exec(MyState *st, const char *sql, char **errmsg);
extern int	my_execf(MyState *st, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern int	my_query(MyState *st, const char *sql, MyRows *out);
extern void my_rows_free(MyRows *r);

/* first column of the first row; *isnull when NULL or no row */
extern int	my_query_int(MyState *st, const char *sql, long long *val, bool *isnull);
extern int	my_query_str(MyState *st, const char *sql, char **val);
extern char *my_literal(MyState *st, const char *s);	/* 'escaped' (owned) */
extern void mb_literal(StrBuf *sb, MyState *st, const char *s);
extern int	my_begin(MyState *st);
extern int	my_commit(MyState *st);
extern void my_rollback(MyState *st);

/* is the connection alive and the lock still ours?  logs and returns
 * DRV_CONN_LOST when not */
extern int	my_check_alive(Driver *d);

/* test hooks (MIGRATE_MYSQL_TEST_KILL, see docs/mysql.md) */
typedef enum KillPoint
{
	KILL_BEFORE,				/* intent recorded, statement not run */
	KILL_WINDOW,				/* statement ran, its record not written */
	KILL_AFTER					/* statement and record done */
} KillPoint;

extern void my_test_hook(MyState *st, KillPoint where);

/* ------------------------------------------------------------------------
 * Catalog (my_catalog.c)
 * ------------------------------------------------------------------------
 */
extern bool my_is_bookkeeping_table(MyState *st, const char *name);

/* fingerprints of every object of the target database */
/* tables_only: tables, sequences and triggers only (after a statement that
 * can change nothing else) */
extern int	my_catalog_fingerprints(MyState *st, bool tables_only, Snapshot *out);

/* canonical image of one object; *image NULL when it does not exist */
extern int	my_catalog_image(MyState *st, ObjKind kind, const char *name, char **image);

/* load the images of every object of s that has none */
extern int	my_catalog_load_images(MyState *st, Snapshot *s);

/* Parsed table image. */
typedef struct ColDef
{
	char	   *name;
	char	   *def;			/* text after the name, as SHOW CREATE prints
								 * it */
	char	   *type;			/* "varchar(20)", "int(10) unsigned", ... */
	char	   *base;			/* lower-case base type name: "varchar" */
	char	   *charset;		/* explicit, or NULL */
	char	   *collation;		/* explicit, or NULL */
	bool		textual;		/* charset applies */
	bool		not_null;
	bool		auto_inc;
	int			generated;		/* 0 no, 1 virtual, 2 stored */
} ColDef;

typedef struct KeyDef
{
	char		kind;			/* 'P' primary, 'U' unique, 'K' plain, 'F'
								 * fulltext, 'S' spatial */
	char	   *name;			/* NULL for the primary key */
	char	   *def;			/* the whole line */
	char	  **cols;
	int		   *prefix;			/* prefix length or 0 */
	int			ncols;
} KeyDef;

typedef struct ConDef
{
	char		kind;			/* 'F' foreign key, 'C' check */
	char	   *name;
	char	   *def;			/* the whole line */
	char	  **cols;			/* foreign key: local columns */
	int			ncols;
	char	   *ref_table;
	char	  **ref_cols;
	char	   *expr;			/* check: the expression */
} ConDef;

typedef struct TableOpt
{
	char	   *key;			/* upper case: ENGINE, DEFAULT CHARSET,
								 * COMMENT, ... */
	char	   *value;			/* as printed (strings keep their quotes) */
} TableOpt;

typedef struct TableDef
{
	char	   *name;
	ColDef	   *cols;
	int			ncols;
	KeyDef	   *keys;
	int			nkeys;
	ConDef	   *cons;
	int			ncons;
	TableOpt   *opts;
	int			nopts;
	char	   *charset;		/* table default */
	char	   *collation;
	char	   *unsupported;	/* why the revert cannot handle this table, or
								 * NULL */
} TableDef;

extern TableDef *my_tabledef_parse(const char *image);

#define KEY_CATEGORIES 7
extern int	my_key_category(const TableDef *t, const KeyDef *k);
extern char *my_table_canonical(const char *image);
extern void my_tabledef_free(TableDef *t);
extern int	my_tabledef_col(const TableDef *t, const char *name);
extern const char *my_tabledef_opt(const TableDef *t, const char *key);
extern char *my_col_effective_charset(const TableDef *t, const ColDef *c);
extern char *my_col_effective_collation(const TableDef *t, const ColDef *c);

/* non-table images: "-- key: value" header lines, then the statement */
extern char *my_image_meta(const char *image, const char *key);
extern const char *my_image_body(const char *image);

/* ------------------------------------------------------------------------
 * History (my_history.c)
 * ------------------------------------------------------------------------
 */
#define UNIT_BASELINE	"baseline"
#define UNIT_APPLY		"apply"
#define UNIT_PARTIAL	"partial"	/* effect of a statement that failed */
#define UNIT_REVERT		"revert"
#define UNIT_DRIFT		"drift"

typedef struct Intent
{
	bool		present;
	char	   *phase;			/* "apply", "revert", "down" */
	char	   *version;
	int			stmt_idx;
	char	   *stmt;
	char	   *stmt_hash;
} Intent;

typedef struct UnitRef
{
	long long	id;
	char	   *kind;
	char	   *version;
	int			stmt_idx;
	char	   *stmt;
} UnitRef;

/* one object changed by a unit: its image after the unit (NULL = absent) */
typedef struct UnitImage
{
	ObjKind		kind;
	char	   *name;
	char	   *fp;				/* NULL when absent */
	char	   *image;			/* NULL when absent */
} UnitImage;

extern int	my_hist_prepare(Driver *d, bool create, bool *ready);
extern int	my_hist_read_revisions(MyState *st, RevisionList *out);
extern int	my_hist_get_revision(MyState *st, const char *version, Revision *out, bool *found);
extern void my_revision_clear(Revision *r);
extern int	my_hist_write_revision(MyState *st, const Revision *r);
extern int	my_hist_delete_revision(MyState *st, const char *version);
extern int	my_hist_register_file(MyState *st, const MigrationFile *f);
extern int	my_hist_file_statements(MyState *st, const char *version, const char *kind,
									MyList *stmts, MyList *hashes);
extern int	my_hist_load_known(MyState *st);
extern int	my_hist_record_unit(MyState *st, const char *kind, const char *version, int stmt_idx,
								const char *stmt, const UnitImage *imgs, int nimgs,
								const StmtInfo *si, long long *unit_id);
extern int	my_hist_read_intent(MyState *st, Intent *out);
extern int	my_hist_write_intent(MyState *st, const char *phase, const char *version, int idx,
								 const char *stmt);
extern int	my_hist_clear_intent(MyState *st);
extern void my_intent_clear(Intent *in);
extern int	my_hist_latest_unit(MyState *st, const char *kind, const char *version, int idx,
								UnitRef *out, bool *found);
extern void my_unitref_clear(UnitRef *u);
extern int	my_hist_unit_images(MyState *st, long long unit, UnitImage **imgs, int *n);
extern int	my_hist_image_before(MyState *st, long long unit, ObjKind kind, const char *name,
								 char **image);
extern int	my_hist_units_after(MyState *st, long long unit, ObjKind kind, const char *name,
								UnitRef **units, int *n);
extern int	my_hist_unit_renames(MyState *st, long long unit, StmtRename **renames, int *n);
extern void my_unit_images_free(UnitImage *imgs, int n);
extern char *my_hist_definition(MyState *st, const char *hash);

/* revert in flight */
typedef struct RevertState
{
	bool		present;
	char	   *version;
	long long	unit;			/* unit being undone; -1 for a hand-written
								 * down */
	int			down_done;		/* hand-written down: statements done */
} RevertState;

extern int	my_hist_read_revert(MyState *st, RevertState *out);
extern int	my_hist_write_revert(MyState *st, const char *version, long long unit, int down_done);
extern int	my_hist_clear_revert(MyState *st);
extern void my_revert_state_clear(RevertState *rs);

extern int	my_hist_version_units(MyState *st, const char *version, UnitRef **units, int *n);
extern int	my_hist_mark_reverted(MyState *st, long long unit);
extern int	my_hist_has_down(MyState *st, const char *version, bool *has);
extern void my_unitrefs_free(UnitRef *u, int n);

extern int	my_hist_tag(MyState *st, const char *name, const char *version);
extern int	my_hist_tag_version(MyState *st, const char *name, char **version);

/*
 * Bring the recorded history up to date with the live schema: resolve an
 * interrupted statement (intent) and record drift.  Runs once per run,
 * under the lock.
 */
extern int	my_hist_sync(Driver *d, Reporter *r);

/*
 * Take a snapshot after a statement and compute what changed against
 * st->known: the changed objects with their new images.  st->known is
 * updated.
 */
extern int	my_hist_capture_changes(MyState *st, bool tables_only, UnitImage **imgs, int *n);
extern bool my_stmt_tables_only(const StmtInfo *si);
extern int	my_hist_capture_objects(MyState *st, const ObjKind *kinds, char **names, int nnames,
									UnitImage **imgs, int *n);

/* ------------------------------------------------------------------------
 * Apply and down (my_apply.c, my_down.c)
 * ------------------------------------------------------------------------
 */
extern int	my_apply_file(Driver *d, const MigrationFile *f, TxMode mode, int start,
						  Reporter *r, ApplyResult *res);
extern int	my_record_failure(Driver *d, const MigrationFile *f, const ApplyResult *res);
extern int	my_check_clean(Driver *d, bool *clean, char **reason);
extern int	my_write_baseline(Driver *d, const char *version, const char *description);
extern int	my_set_version(Driver *d, const char *version, const MigrationDir *dir);
extern int	my_tag(Driver *d, const char *name);
extern int	my_down(Driver *d, const DownRequest *req, Reporter *r);

/* run one statement with the intent protocol and record its unit */
extern int	my_run_recorded(Driver *d, const char *phase, const char *version, int idx,
							const char *sql, const char *unit_kind, char **errmsg,
							bool *changed);

/* ------------------------------------------------------------------------
 * Planning (my_plan.c)
 * ------------------------------------------------------------------------
 */
typedef enum CheckKind
{
	CHECK_TABLE_EMPTY,
	CHECK_COLUMN_EMPTY,
	CHECK_NO_NULLS,
	CHECK_NO_DUPLICATES,
	CHECK_VALUES_FIT,
	CHECK_NO_ORPHANS,
	CHECK_CONSTRAINT_HOLDS
} CheckKind;

typedef struct PlanCheck
{
	CheckKind	kind;
	char	   *object;			/* "users" or "users.account_id" (--allow-loss
								 * name) */
	char	   *table;			/* table the check reads (live name) */
	char	   *column;			/* column it reads, when one */
	MyList		columns;		/* every column of table it reads */
	char	   *ref_table;		/* foreign key: the parent table */
	char	   *setup;			/* statements run first (temporary table), or
								 * NULL */
	char	   *sql;			/* returns the number of blocking rows */
	char	   *cleanup;
	bool		loss;			/* data loss that --allow-loss may accept */
} PlanCheck;

typedef struct PlanStep
{
	char	   *sql;
	PlanCheck  *checks;
	int			nchecks;
	char	   *pre;			/* session settings to run first (views,
								 * triggers, routines) */
	bool		relax_strict;	/* run without strict sql_mode (allowed loss) */
} PlanStep;

typedef struct Plan
{
	PlanStep   *steps;
	int			n;
	MyList		notes;			/* things the plan cannot do, said aloud */
	char	   *refusal;		/* when set, the plan must not run */
} Plan;

/* target and live images of one object touched by a unit */
typedef struct PlanObject
{
	ObjKind		kind;
	char	   *name;			/* name in the target state */
	char	   *live_name;		/* name in the live state (differs after a
								 * rename) */
	char	   *target;			/* image, NULL = must not exist */
	char	   *live;			/* image, NULL = does not exist */
	MyList		col_old;		/* column renames: live name -> target name */
	MyList		col_new;
} PlanObject;

extern void my_plan_compute(MyState *st, PlanObject *objs, int nobjs, const MyList *allow_loss,
							Plan *out);
extern void my_plan_free(Plan *p);
extern void my_plan_object_free(PlanObject *o);
extern char *my_check_describe(const PlanCheck *c, long long rows);
extern const char *my_check_kind_text(CheckKind k);
extern bool my_image_equal(ObjKind kind, const char *a, const char *b);

#endif							/* MY_INT_H */
