/*-------------------------------------------------------------------------
 *
 * util.h
 *	  Small helpers shared by the migrate extension's C files: a JSON writer
 *	  for canonical images, saved SPI queries on the bookkeeping tables,
 *	  switching to the extension owner for bookkeeping writes, hashing and
 *	  version ordering.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/util.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_UTIL_H
#define MIGRATE_UTIL_H

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* Name of the bookkeeping schema (fixed: the extension is not relocatable). */
#define MIGRATE_SCHEMA "migrate"

/* ------------------------------------------------------------------------
 * JSON writer: builds a jsonb value directly (no text to parse); jsonb
 * orders keys itself, so writers need not care about key order.
 * ------------------------------------------------------------------------
 */
#define JW_MAX_DEPTH 16

typedef struct JsonWriter
{
	struct JsonbParseState *state;
	JsonbValue *result;
	int			depth;
	bool		in_array[JW_MAX_DEPTH];
} JsonWriter;

extern void jw_init(JsonWriter *w);
extern void jw_object_start(JsonWriter *w);
extern void jw_object_end(JsonWriter *w);
extern void jw_array_start(JsonWriter *w);
extern void jw_array_end(JsonWriter *w);
extern void jw_key(JsonWriter *w, const char *key);
extern void jw_string(JsonWriter *w, const char *value);	/* NULL: null */
extern void jw_bool(JsonWriter *w, bool value);
extern void jw_int64(JsonWriter *w, int64 value);
extern void jw_null(JsonWriter *w);

/* key + value shorthands */
extern void jw_kv_string(JsonWriter *w, const char *key, const char *value);
extern void jw_kv_bool(JsonWriter *w, const char *key, bool value);
extern void jw_kv_int64(JsonWriter *w, const char *key, int64 value);
extern Jsonb *jw_finish(JsonWriter *w);

/* ------------------------------------------------------------------------
 * Saved SPI queries.  A MigrateQuery is declared static next to its use;
 * the plan is prepared on first use and kept for the life of the backend
 * (the plan cache revalidates it if the tables are re-created).
 * ------------------------------------------------------------------------
 */
#define MQ_MAX_ARGS 12

typedef struct MigrateQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[MQ_MAX_ARGS];
	SPIPlanPtr	plan;
} MigrateQuery;

/* run q with values/nulls (nulls: 'n' = NULL, ' ' = not null; NULL = none) */
extern int	mq_exec(MigrateQuery *q, Datum *values, const char *nulls,
					bool read_only, long count);

/* value of column col (1-based) of row 0 of the last result, or isnull */
extern Datum mq_value(int row, int col, bool *isnull);
extern char *mq_text(int row, int col); /* palloc'd in the caller's context,
										 * or NULL */
extern int64 mq_int64(int row, int col, int64 if_null);

/* ------------------------------------------------------------------------
 * Direct row access to the bookkeeping tables.  Recording a unit of history
 * writes tens of rows; through SPI each statement costs an executor start
 * and end, which cost more than the rows.  These helpers write rows the way
 * the executor's own INSERT does (ExecSimpleRelationInsert: NOT NULL and
 * CHECK constraints, unique and partial indexes, row triggers), and read
 * rows with plain index scans.  No privilege is checked: only the
 * extension's C code calls them, on its own tables.
 *
 * Visibility follows SPI's non-read-only statements: book_snapshot_push()
 * advances the command counter and takes a new snapshot, so that a read
 * sees every row written before it in the transaction, and rows other
 * sessions committed (in READ COMMITTED).
 *
 * BookRel handles are opened and closed in LIFO order (each one is an
 * executor "query" for AFTER triggers).
 * ------------------------------------------------------------------------
 */
typedef struct BookRel
{
	Relation	rel;
	struct EState *estate;
	struct ResultRelInfo *rri;
	struct TupleTableSlot *slot;
	Oid			idseq;			/* sequence of the identity column, or
								 * InvalidOid */
} BookRel;

/* open migrate.<table> for writing (RowExclusiveLock, kept to the end of the transaction) */
extern void book_open(BookRel *b, const char *table);
extern void book_close(BookRel *b);

/* next value of the table's identity column (its first column) */
extern int64 book_nextval(BookRel *b);

/* insert a row; values/nulls in the table's column order */
extern void book_insert(BookRel *b, Datum *values, bool *nulls);

/* insert a row unless it conflicts with a unique index (ON CONFLICT DO NOTHING); true if inserted */
extern bool book_insert_unless_conflict(BookRel *b, Datum *values, bool *nulls);

/* a snapshot for reads, as an SPI statement takes one; pop it afterwards */
extern void book_snapshot_push(void);
extern void book_snapshot_pop(void);

/*
 * Index scan of migrate.<table> through migrate.<index> with equality keys
 * on the index's leading columns (argtypes: INT8OID, INT4OID, OIDOID),
 * under the active snapshot.
 */
typedef struct BookScan
{
	Relation	heap;
	Relation	index;
	struct IndexScanDescData *scan;
	struct TupleTableSlot *slot;
	bool		backward;
} BookScan;

extern void book_scan_begin(BookScan *s, Relation heap, const char *index, int nkeys,
							const Oid *argtypes, const Datum *keys, bool backward);

/* next visible row, or false; read its columns with book_scan_get */
extern bool book_scan_next(BookScan *s);
extern Datum book_scan_get(BookScan *s, int attnum, bool *isnull);
extern void book_scan_end(BookScan *s);

/* the OID of migrate.<name> (a table or an index) */
extern Oid	book_relid(const char *name);

/* ------------------------------------------------------------------------
 * Extension owner.  Bookkeeping tables are writable only by the owner; C
 * code that records something on behalf of a runner switches to the owner
 * for the duration of the write (in the manner of pg_cron), with
 * search_path pinned to "pg_catalog, pg_temp" so that the bookkeeping
 * queries resolve the same way whatever the session's path is.  A switch
 * must be undone in LIFO order; an error undoes it with the transaction.
 * ------------------------------------------------------------------------
 */
typedef struct OwnerSwitch
{
	Oid			saved_user;
	int			saved_sec;
	int			nestlevel;		/* GUC nest level of the pinned search_path */
} OwnerSwitch;

extern Oid	migrate_extension_oid(bool missing_ok);
extern Oid	migrate_extension_owner(void);
extern void migrate_become_owner(OwnerSwitch *s);
extern void migrate_restore_user(OwnerSwitch *s);

/* mq_exec of a writing query as the owner, connecting to SPI and finishing */
extern void mq_write_as_owner(MigrateQuery *q, Datum *values, const char *nulls);

/* ------------------------------------------------------------------------
 * Hashing.
 * ------------------------------------------------------------------------
 */
/* hex sha256 of data (64 characters) */
extern char *migrate_sha256_hex(const char *data, size_t len);

/* "h1:" + base64(sha256(data)) */
extern char *migrate_h1(const char *data, size_t len);

/* running hash of statements[0..upto] (inclusive), as the client computes it */
extern char *migrate_running_hash(List *statements, int upto);

/* ------------------------------------------------------------------------
 * Versions and arrays.
 * ------------------------------------------------------------------------
 */
/* natural order: digit runs compare as numbers, the rest byte by byte */
extern int	migrate_version_cmp(const char *a, const char *b);

/* text[] <-> List of char * (NULL elements kept as NULL) */
extern ArrayType *migrate_text_array(List *strings);
extern List *migrate_text_list(ArrayType *array);

/* a one-dimensional array of n elements of elemtype (nulls may be NULL) */
extern ArrayType *migrate_array(Datum *elems, bool *nulls, int n, Oid elemtype);

/* qualified, quoted name of a relation or type */
extern char *migrate_qualified_relname(Oid relid);
extern char *migrate_qualified_typname(Oid typid);

#endif							/* MIGRATE_UTIL_H */
