/*-------------------------------------------------------------------------
 *
 * leftover.c
 *	  What an interrupted index build of a tx mode none file left behind:
 *	  the invalid index of a CREATE INDEX CONCURRENTLY or REINDEX
 *	  CONCURRENTLY that was killed, cancelled, crashed or failed.  A rerun
 *	  drops it before it runs the statement again, as PostgreSQL's
 *	  documentation advises; a revert of the version drops it with the rest.
 *
 * Such a statement commits its first steps before it finishes, and the
 * ddl_command_end trigger that records it (history.c) only runs in its
 * last transaction: interrupted, it leaves an invalid index that no
 * revision and no unit knows, and the same statement run again fails with
 * "relation already exists" (or, without a name, builds a second index
 * beside the invalid one).
 *
 * Only an index that is provably the statement's own is dropped.  Before
 * the client runs such a statement, migrate.expect_toplevel records the
 * attempt in migrate.attempts, in a transaction that commits before the
 * statement starts: the table the statement works on (resolved under the
 * runner's search_path), the attempt's transaction id, the OID counter and
 * the last unit of history.  An index is the statement's own when:
 *
 *	- it is invalid and belongs to that table;
 *	- it is what the statement creates: the index of the name it gives; for
 *	  CREATE INDEX without a name, an index of the same access method,
 *	  uniqueness, key and INCLUDE columns (expressions count as such) and
 *	  with a predicate when the statement has one; for REINDEX, an index
 *	  named as REINDEX CONCURRENTLY names its copies (<name>_ccnew[N],
 *	  <name>_ccold[N]) after an index of the table;
 *	- it was created after the attempt began: its OID was handed out after
 *	  the attempt (the counter only moves forward, wrap-around aside) and
 *	  its pg_class row was written by a later transaction;
 *	- the migration history did not record it at or before the attempt's
 *	  last unit (it may have been imaged since, as a part of its table);
 *	- no session is building it right now (pg_stat_progress_create_index).
 *
 * An index in the way of the statement (the name it creates) that fails
 * any of these is never dropped: the rerun stops, naming it and the
 * command that drops it.  A valid index of that name stops the rerun of
 * the same statement too, with a clearer message than PostgreSQL's.  Other
 * invalid indexes that look like the statement's but are not provably its
 * own are left alone and reported.
 *
 * The client drops a leftover with DROP INDEX CONCURRENTLY at top level,
 * announced with migrate.expect_cleanup: the event triggers record the
 * drop as a migration unit of the interrupted statement's version and
 * step, whose statement column holds the DROP, without advancing the
 * revision.  A revert drops it with a plain DROP INDEX, inside its own
 * transaction and unit.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/leftover.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/lwlock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/xid8.h"

#include "history.h"
#include "leftover.h"
#include "revert.h"
#include "util.h"

PG_FUNCTION_INFO_V1(migrate_leftovers);
PG_FUNCTION_INFO_V1(migrate_expect_cleanup);

/* A statement that builds indexes concurrently, parsed. */
typedef struct Build
{
	IndexStmt  *create;			/* CREATE INDEX CONCURRENTLY, or NULL */
	ReindexStmt *reindex;		/* REINDEX INDEX|TABLE (CONCURRENTLY), or NULL */
} Build;

/* A recorded attempt (a row of migrate.attempts) of a statement not done. */
typedef struct Attempt
{
	char	   *version;
	int			step;
	char	   *statement;
	Oid			relid;
	FullTransactionId xid;
	Oid			next_oid;
	int64		unit;
	char	   *current;		/* the statement recorded at that step now */
	Build		build;
} Attempt;

const char *
migrate_leftover_action_name(LeftoverAction action)
{
	switch (action)
	{
		case LEFTOVER_DROP:
			return "drop";
		case LEFTOVER_REFUSE:
			return "refuse";
		case LEFTOVER_KEEP:
			return "keep";
	}
	return "keep";
}

/* ------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------
 */
static bool
reindex_concurrently(ReindexStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->params)
	{
		DefElem    *opt = lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0)
			return defGetBoolean(opt);
	}
	return false;
}

/*
 * Does sql (one statement) build indexes concurrently in a way this file
 * handles?  REINDEX SCHEMA, DATABASE and SYSTEM are not handled (their
 * leftovers may be on any table).
 */
static bool
parse_build(const char *sql, Build *b)
{
	List	   *raw;
	Node	   *stmt;

	memset(b, 0, sizeof(*b));
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		return false;
	stmt = ((RawStmt *) linitial(raw))->stmt;
	if (IsA(stmt, IndexStmt) && ((IndexStmt *) stmt)->concurrent)
		b->create = (IndexStmt *) stmt;
	else if (IsA(stmt, ReindexStmt) && reindex_concurrently((ReindexStmt *) stmt) &&
			 (((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_INDEX ||
			  ((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_TABLE))
		b->reindex = (ReindexStmt *) stmt;
	return b->create != NULL || b->reindex != NULL;
}

/* the table a build works on, resolved as the runner would; InvalidOid if none */
static Oid
build_relid(const Build *b, const char *search_path)
{
	int			nest = NewGUCNestLevel();
	Oid			relid = InvalidOid;
	char		kind;

	(void) set_config_option("search_path", search_path ? search_path : "", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (b->create)
		relid = RangeVarGetRelid(b->create->relation, NoLock, true);
	else if (b->reindex->kind == REINDEX_OBJECT_TABLE)
		relid = RangeVarGetRelid(b->reindex->relation, NoLock, true);
	else
	{
		Oid			index = RangeVarGetRelid(b->reindex->relation, NoLock, true);

		if (OidIsValid(index) && get_rel_relkind(index) == RELKIND_INDEX)
			relid = IndexGetRelation(index, true);
	}
	AtEOXact_GUC(false, nest);
	kind = OidIsValid(relid) ? get_rel_relkind(relid) : '\0';
	return kind == RELKIND_RELATION || kind == RELKIND_MATVIEW ? relid : InvalidOid;
}

static const char *
build_name(const Build *b)
{
	return b->create ? "CREATE INDEX CONCURRENTLY" : "REINDEX CONCURRENTLY";
}

/* ------------------------------------------------------------------------
 * Attempts
 * ------------------------------------------------------------------------
 */
static Oid
read_next_oid(void)
{
	Oid			next;

	LWLockAcquire(OidGenLock, LW_SHARED);
	next = ShmemVariableCache->nextOid;
	LWLockRelease(OidGenLock);
	return next;
}

bool
migrate_attempt_record(const char *version, int step, const char *sql, const char *search_path)
{
	static MigrateQuery del = {
		"DELETE FROM migrate.attempts WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	static MigrateQuery ins = {
		"INSERT INTO migrate.attempts (version, step, statement, relid, xid, next_oid, unit,"
		" attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, pg_catalog.clock_timestamp())",
		7, {TEXTOID, INT4OID, TEXTOID, OIDOID, XID8OID, OIDOID, INT8OID}
	};
	Build		b;
	Oid			relid;
	Datum		v[7];
	OwnerSwitch sw;

	/* in a transaction block the statement fails before it builds anything */
	if (sql == NULL || IsTransactionBlock() || !parse_build(sql, &b))
		return false;
	relid = build_relid(&b, search_path);
	if (!OidIsValid(relid))
		return false;			/* no such table: the statement fails at once */
	v[0] = CStringGetTextDatum(version);
	v[1] = Int32GetDatum(step);
	v[2] = CStringGetTextDatum(sql);
	v[3] = ObjectIdGetDatum(relid);
	v[4] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	v[5] = ObjectIdGetDatum(read_next_oid());
	v[6] = Int64GetDatum(migrate_last_unit());

	SPI_connect();
	migrate_become_owner(&sw);
	/* one row per version: only the statement at its resume point matters */
	mq_exec(&del, v, NULL, false, 0);
	mq_exec(&ins, v, NULL, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
	return true;
}

void
migrate_attempt_forget(const char *version, int step)
{
	static MigrateQuery del = {
		"DELETE FROM migrate.attempts WHERE version OPERATOR(pg_catalog.=) $1"
		" AND step OPERATOR(pg_catalog.=) $2",
		2, {TEXTOID, INT4OID}
	};
	Datum		v[2] = {CStringGetTextDatum(version), Int32GetDatum(step)};

	mq_write_as_owner(&del, v, NULL);
}

/* the attempts at the resume point of partially applied versions (SPI connected) */
static List *
read_attempts(const char *version, MemoryContext cxt)
{
	static MigrateQuery q = {
		"SELECT a.version, a.step, a.statement, a.relid, a.xid, a.next_oid, a.unit,"
		" f.statements[a.step OPERATOR(pg_catalog.+) 1]"
		" FROM migrate.attempts a"
		" JOIN migrate.revisions r ON r.version OPERATOR(pg_catalog.=) a.version"
		" LEFT JOIN migrate.files f ON f.version OPERATOR(pg_catalog.=) a.version"
		" WHERE r.applied OPERATOR(pg_catalog.=) a.step"
		" AND r.applied OPERATOR(pg_catalog.<) r.total"
		" AND (r.type OPERATOR(pg_catalog.&) 5) OPERATOR(pg_catalog.=) 0"
		" AND ($1::pg_catalog.text IS NULL OR a.version OPERATOR(pg_catalog.=) $1)"
		" ORDER BY migrate.version_key(a.version)",
		1, {TEXTOID}
	};
	Datum		v[1];
	char		nulls[1] = {' '};
	List	   *out = NIL;

	if (version)
		v[0] = CStringGetTextDatum(version);
	else
		nulls[0] = 'n';
	mq_exec(&q, v, nulls, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		Attempt    *a = palloc0(sizeof(Attempt));
		bool		isnull;

		a->version = mq_text(i, 1);
		a->step = (int) mq_int64(i, 2, 0);
		a->statement = mq_text(i, 3);
		a->relid = DatumGetObjectId(mq_value(i, 4, &isnull));
		a->xid = DatumGetFullTransactionId(mq_value(i, 5, &isnull));
		a->next_oid = DatumGetObjectId(mq_value(i, 6, &isnull));
		a->unit = mq_int64(i, 7, 0);
		a->current = mq_text(i, 8);
		out = lappend(out, a);
		MemoryContextSwitchTo(old);
	}
	return out;
}

/* ------------------------------------------------------------------------
 * Is an index the statement's own?
 * ------------------------------------------------------------------------
 */

/* the process building index right now, or 0 */
static int
being_built_by(Oid index)
{
	static MigrateQuery q = {
		"SELECT pid FROM pg_catalog.pg_stat_progress_create_index"
		" WHERE index_relid OPERATOR(pg_catalog.=) $1 LIMIT 1",
		1, {OIDOID}
	};
	Datum		v[1] = {ObjectIdGetDatum(index)};

	mq_exec(&q, v, NULL, true, 1);
	return SPI_processed > 0 ? (int) mq_int64(0, 1, 0) : 0;
}

/* did the history record index at or before unit? */
static bool
recorded_by(Oid index, int64 unit)
{
	static MigrateQuery q = {
		"SELECT 1 FROM migrate.objects WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
		" AND objid OPERATOR(pg_catalog.=) $1 AND objsubid OPERATOR(pg_catalog.=) 0"
		" AND dropped_unit IS NULL AND (created_unit IS NULL OR created_unit OPERATOR(pg_catalog.<=) $2)",
		2, {OIDOID, INT8OID}
	};
	Datum		v[2] = {ObjectIdGetDatum(index), Int64GetDatum(unit)};

	mq_exec(&q, v, NULL, true, 1);
	return SPI_processed > 0;
}

/* was oid handed out at or after from (the OID counter then)? */
static bool
oid_handed_out_since(Oid oid, Oid from)
{
	Oid			now = read_next_oid();

	if (from <= now)
		return oid >= from && oid < now;
	/* the counter wrapped around since */
	return oid >= from || oid < now;
}

/* was index's pg_class row written by a transaction after attempt? */
static bool
written_after(Oid index, FullTransactionId attempt)
{
	FullTransactionId next = ReadNextFullTransactionId();
	HeapTuple	tup;
	TransactionId xmin;

	/* 32-bit ids compare correctly only within 2^31 of each other */
	if (U64FromFullTransactionId(next) - U64FromFullTransactionId(attempt) >=
		(UINT64CONST(1) << 31))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tup))
		return false;
	/* a frozen row reads as FrozenTransactionId: old, so not after */
	xmin = HeapTupleHeaderGetXmin(tup->t_data);
	ReleaseSysCache(tup);
	return TransactionIdIsNormal(xmin) &&
		TransactionIdFollows(xmin, XidFromFullTransactionId(attempt));
}

/*
 * Why index is not provably created by the attempt: NULL when it is;
 * otherwise the detail sentence, and *pid when a session builds it now.
 */
static char *
not_own(const Attempt *a, Oid index, int *pid)
{
	*pid = being_built_by(index);
	if (*pid != 0)
		return psprintf("Process %d is building it right now.", *pid);
	if (recorded_by(index, a->unit))
		return psprintf("The migration history recorded it before statement %d of version \"%s\" was run.",
						a->step + 1, a->version);
	if (!oid_handed_out_since(index, a->next_oid) || !written_after(index, a->xid))
		return psprintf("It existed before statement %d of version \"%s\" was run.",
						a->step + 1, a->version);
	return NULL;
}

/* the attribute an index element names (0: an expression); false if unknown */
static bool
elem_attnum(Oid relid, IndexElem *e, AttrNumber *attnum)
{
	const char *name = e->name;
	Node	   *expr = e->expr;

	/* "(column)" and "(column COLLATE c)" index the column itself */
	if (name == NULL && expr != NULL && IsA(expr, CollateClause))
		expr = ((CollateClause *) expr)->arg;
	if (name == NULL && expr != NULL && IsA(expr, ColumnRef) &&
		list_length(((ColumnRef *) expr)->fields) == 1 &&
		IsA(linitial(((ColumnRef *) expr)->fields), String))
		name = strVal(linitial(((ColumnRef *) expr)->fields));
	*attnum = name ? get_attnum(relid, name) : 0;
	return name == NULL || *attnum != InvalidAttrNumber;
}

/* is index what CREATE INDEX stmt (without a name) builds on relid? */
static bool
matches_create(Oid index, Oid relid, IndexStmt *stmt)
{
	List	   *elems = list_concat_copy(stmt->indexParams, stmt->indexIncludingParams);
	const char *am = stmt->accessMethod ? stmt->accessMethod : DEFAULT_INDEX_TYPE;
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	Form_pg_index ix;
	bool		ok,
				nopred;
	ListCell   *lc;
	int			i = 0;

	if (!HeapTupleIsValid(tup))
		return false;
	ix = (Form_pg_index) GETSTRUCT(tup);
	(void) SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indpred, &nopred);
	ok = ix->indrelid == relid && ix->indisunique == stmt->unique &&
		ix->indnkeyatts == list_length(stmt->indexParams) &&
		ix->indnatts == list_length(elems) && nopred == (stmt->whereClause == NULL);
	foreach(lc, elems)
	{
		AttrNumber	attnum;

		if (!ok)
			break;
		ok = elem_attnum(relid, lfirst(lc), &attnum) && ix->indkey.values[i++] == attnum;
	}
	ReleaseSysCache(tup);
	if (ok)
	{
		HeapTuple	ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(index));

		ok = HeapTupleIsValid(ctup) &&
			strcmp(get_am_name(((Form_pg_class) GETSTRUCT(ctup))->relam), am) == 0;
		if (HeapTupleIsValid(ctup))
			ReleaseSysCache(ctup);
	}
	return ok;
}

/*
 * Is name what REINDEX CONCURRENTLY calls the copy of an index, or the old
 * index it replaced: one of names with "_ccnew" or "_ccold" and maybe a
 * number (ChooseRelationName)?
 */
static bool
reindex_copy_name(const char *name, List *names)
{
	const char *label = strrchr(name, '_');
	const char *p;
	ListCell   *lc;

	if (label == NULL || (strncmp(label + 1, "ccnew", 5) != 0 && strncmp(label + 1, "ccold", 5) != 0))
		return false;
	label++;
	for (p = label + 5; *p; p++)
		if (!isdigit((unsigned char) *p))
			return false;
	foreach(lc, names)
	{
		if (strcmp(makeObjectName(lfirst(lc), NULL, label), name) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Verdicts
 * ------------------------------------------------------------------------
 */
static Leftover *
new_leftover(const Attempt *a, Oid index, LeftoverAction action)
{
	Leftover   *l = palloc0(sizeof(Leftover));

	l->version = a->version;
	l->step = a->step;
	l->statement = a->statement;
	l->indexoid = index;
	l->index = migrate_qualified_relname(index);
	l->action = action;
	l->drop_sql = psprintf("DROP INDEX CONCURRENTLY %s", l->index);
	return l;
}

static Leftover *
own_leftover(const Attempt *a, Oid index)
{
	Leftover   *l = new_leftover(a, index, LEFTOVER_DROP);

	l->message = psprintf("invalid index \"%s\" left by an interrupted %s",
						  l->index, build_name(&a->build));
	l->detail = psprintf("Statement %d of version \"%s\" created it and did not finish.",
						 a->step + 1, a->version);
	return l;
}

/* a valid index of the name the statement gives, in the way of the same statement */
static Leftover *
refuse_valid(const Attempt *a, Oid index)
{
	Leftover   *l = new_leftover(a, index, LEFTOVER_REFUSE);

	l->message = psprintf("index \"%s\" already exists and is valid", l->index);
	l->detail = psprintf("Statement %d of version \"%s\" builds an index of that name and was interrupted before it was recorded; migrate never drops a valid index.",
						 a->step + 1, a->version);
	l->hint = pstrdup("If it is the index the statement builds, remove the statement from the file (statements from the interrupted one on may change); otherwise drop or rename the index.");
	return l;
}

/*
 * An invalid index of the name the statement gives that is not provably
 * its own: on another table (indrelid), being built by pid, or why.
 */
static Leftover *
refuse_invalid(const Attempt *a, Oid index, Oid indrelid, int pid, const char *why)
{
	Leftover   *l = new_leftover(a, index, LEFTOVER_REFUSE);

	if (pid != 0)
	{
		l->message = psprintf("index \"%s\" is being built by process %d", l->index, pid);
		l->detail = psprintf("Statement %d of version \"%s\" builds an index of that name; migrate does not drop an index another session is building.",
							 a->step + 1, a->version);
		l->hint = pstrdup("Wait for that build to finish, or cancel it, then run the command again.");
		return l;
	}
	l->message = psprintf("invalid index \"%s\" is not what the interrupted statement left behind",
						  l->index);
	if (indrelid != a->relid)
		l->detail = psprintf("It belongs to table \"%s\"; statement %d of version \"%s\" builds an index of that name on table \"%s\".",
							 migrate_qualified_relname(indrelid), a->step + 1, a->version,
							 migrate_qualified_relname(a->relid));
	else
		l->detail = psprintf("%s Statement %d builds an index of that name; migrate drops only the invalid index the statement itself left.",
							 why, a->step + 1);
	l->hint = psprintf("If the index is not needed, drop it with: %s; then run the command again.",
					   l->drop_sql);
	return l;
}

/* the index of the name a CREATE INDEX CONCURRENTLY gives, when there is one */
static Leftover *
judge_named(const Attempt *a, MemoryContext cxt)
{
	Oid			index = get_relname_relid(a->build.create->idxname, get_rel_namespace(a->relid));
	HeapTuple	tup;
	Oid			indrelid;
	bool		valid;
	char	   *why = NULL;
	int			pid = 0;
	Leftover   *l;
	MemoryContext old;

	if (!OidIsValid(index) || get_rel_relkind(index) != RELKIND_INDEX)
		return NULL;			/* free, or not an index: nothing of ours */
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tup))
		return NULL;
	indrelid = ((Form_pg_index) GETSTRUCT(tup))->indrelid;
	valid = ((Form_pg_index) GETSTRUCT(tup))->indisvalid;
	ReleaseSysCache(tup);
	/* a valid index is in the way only of the same statement run again */
	if (valid && (a->current == NULL || strcmp(a->current, a->statement) != 0))
		return NULL;
	if (!valid && indrelid == a->relid)
		why = not_own(a, index, &pid);

	old = MemoryContextSwitchTo(cxt);
	if (valid)
		l = refuse_valid(a, index);
	else if (indrelid == a->relid && why == NULL)
		l = own_leftover(a, index);
	else
		l = refuse_invalid(a, index, indrelid, pid, why);
	MemoryContextSwitchTo(old);
	return l;
}

/* the invalid indexes of a table, and the names of its valid ones (SPI connected) */
static void
table_indexes(Oid relid, List **invalid, List **valid_names)
{
	static MigrateQuery q = {
		"SELECT indexrelid, indisvalid FROM pg_catalog.pg_index"
		" WHERE indrelid OPERATOR(pg_catalog.=) $1 ORDER BY indexrelid",
		1, {OIDOID}
	};
	Datum		v[1] = {ObjectIdGetDatum(relid)};

	*invalid = NIL;
	*valid_names = NIL;
	mq_exec(&q, v, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			index = DatumGetObjectId(mq_value(i, 1, &isnull));

		if (DatumGetBool(mq_value(i, 2, &isnull)))
			*valid_names = lappend(*valid_names, get_rel_name(index));
		else
			*invalid = lappend_oid(*invalid, index);
	}
}

/* invalid indexes an unnamed CREATE INDEX or a REINDEX may have left */
static List *
judge_unnamed(const Attempt *a, MemoryContext cxt)
{
	List	   *invalid;
	List	   *names;
	List	   *out = NIL;
	ListCell   *lc;

	table_indexes(a->relid, &invalid, &names);
	foreach(lc, invalid)
	{
		Oid			index = lfirst_oid(lc);
		char	   *why;
		int			pid;
		MemoryContext old;

		if (a->build.create ? !matches_create(index, a->relid, a->build.create)
			: !reindex_copy_name(get_rel_name(index), names))
			continue;
		why = not_own(a, index, &pid);
		old = MemoryContextSwitchTo(cxt);
		if (why == NULL)
			out = lappend(out, own_leftover(a, index));
		else
		{
			Leftover   *l = new_leftover(a, index, LEFTOVER_KEEP);

			/* not in the way: the statement chooses another name */
			l->message = psprintf("invalid index \"%s\" looks like what the interrupted %s builds",
								  l->index, build_name(&a->build));
			l->detail = pstrdup(why);
			l->hint = psprintf("If it is not needed, drop it with: %s;", l->drop_sql);
			out = lappend(out, l);
		}
		MemoryContextSwitchTo(old);
	}
	return out;
}

List *
migrate_leftovers_list(const char *version)
{
	MemoryContext cxt = CurrentMemoryContext;
	OwnerSwitch sw;
	List	   *attempts;
	List	   *out = NIL;
	ListCell   *lc;

	SPI_connect();
	/* as the owner: the bookkeeping, and every session's build progress */
	migrate_become_owner(&sw);
	attempts = read_attempts(version, cxt);
	foreach(lc, attempts)
	{
		Attempt    *a = lfirst(lc);

		if (get_rel_name(a->relid) == NULL || !parse_build(a->statement, &a->build))
			continue;			/* the table is gone, and its indexes with it */
		if (a->build.create && a->build.create->idxname)
		{
			Leftover   *l = judge_named(a, cxt);

			if (l)
				out = lappend(out, l);
		}
		else
			out = list_concat(out, judge_unnamed(a, cxt));
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return out;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

/*
 * migrate.leftovers(for_version text DEFAULT NULL)
 *	RETURNS SETOF (version, step, statement, index_oid, index_name, action,
 *		message, detail, hint, drop_statement)
 *
 * The leftovers of the interrupted index builds of partially applied
 * versions (of for_version only, when given), with what the next apply
 * does with each: drop, refuse (it stops) or keep.
 */
Datum
migrate_leftovers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *version = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, migrate_leftovers_list(version))
	{
		Leftover   *l = lfirst(lc);
		Datum		values[10];
		bool		nulls[10];

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(l->version);
		values[1] = Int32GetDatum(l->step);
		values[2] = CStringGetTextDatum(l->statement);
		values[3] = ObjectIdGetDatum(l->indexoid);
		values[4] = CStringGetTextDatum(l->index);
		values[5] = CStringGetTextDatum(migrate_leftover_action_name(l->action));
		values[6] = CStringGetTextDatum(l->message);
		nulls[7] = l->detail == NULL;
		values[7] = l->detail ? CStringGetTextDatum(l->detail) : (Datum) 0;
		nulls[8] = l->hint == NULL;
		values[8] = l->hint ? CStringGetTextDatum(l->hint) : (Datum) 0;
		values[9] = CStringGetTextDatum(l->drop_sql);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * migrate.expect_cleanup(version text, step int, index_oid oid) RETURNS text
 *
 * Announce that the client is about to drop index, a leftover that
 * migrate.leftovers() says to drop before statement step of version runs
 * again; returns the DROP INDEX CONCURRENTLY statement to run at top
 * level.  The event triggers record the drop as a migration unit of that
 * version and step (with the DROP as its statement) without advancing the
 * revision.
 */
Datum
migrate_expect_cleanup(PG_FUNCTION_ARGS)
{
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			step = PG_GETARG_INT32(1);
	Oid			index = PG_GETARG_OID(2);
	ListCell   *lc;

	/* reads revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	foreach(lc, migrate_leftovers_list(version))
	{
		Leftover   *l = lfirst(lc);

		if (l->step == step && l->indexoid == index && l->action == LEFTOVER_DROP)
		{
			migrate_toplevel_expect(version, step, true, false);
			PG_RETURN_TEXT_P(cstring_to_text(l->drop_sql));
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("relation \"%s\" is not a leftover of statement %d of version \"%s\" that may be dropped",
					OidIsValid(index) && get_rel_name(index) ? migrate_qualified_relname(index)
					: psprintf("%u", index), step + 1, version),
			 errhint("SELECT * FROM migrate.leftovers() lists the leftovers and what the next apply does with each.")));
	PG_RETURN_NULL();
}
