/*-------------------------------------------------------------------------
 *
 * revert.c
 *	  migrate_down() and migrate_plan(): choosing what to revert, drift,
 *	  segments, the plan hash, the bookkeeping, and the rows returned.
 *
 * A call reverts the newest `steps` revisions, or every revision above
 * to_version, or above the version a tag names.  Revisions of failed or
 * partially applied files count: their committed units are undone.  The
 * versions are grouped into segments (revert.h) and the segments run
 * newest first in the caller's transaction.  migrate_plan() and dry runs
 * run the same code inside a subtransaction that is always rolled back,
 * so what they show is exactly what the revert would do; they run the
 * statements that later segments need to be planned, and no statement of
 * the last segment after its phase 2.
 *
 * When the revert executes, each segment is one unit of history of kind
 * "revert": the event triggers record what its statements touched, stable
 * ids of re-created objects are re-pointed at their new OIDs before the
 * unit is imaged, the reverted revisions are deleted, and a row per
 * version goes to migrate.reverts (which also tells later reverts that the
 * units of those versions were undone).
 *
 * Locking: the runner lock (lock.c) for the transaction, unless the
 * session holds it; in execute mode, ACCESS EXCLUSIVE locks on every
 * relation of a segment, in the order of their names, before its checks.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/revert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "history.h"
#include "image.h"
#include "leftover.h"
#include "revert.h"
#include "util.h"

PG_FUNCTION_INFO_V1(migrate_down);
PG_FUNCTION_INFO_V1(migrate_plan);

#define REV_BASELINE	1
#define REV_SET			4

/* A revision the call reverts. */
typedef struct Reverted
{
	char	   *version;
	char	   *description;
	char	   *hash;
	int			type;
	int			applied;
	int			total;
	char	   *error;
	List	   *down;			/* hand-written statements, NIL: none */
	List	   *units;			/* its live units (int64 boxed), oldest first */
} Reverted;

/* ------------------------------------------------------------------------
 * Rows
 * ------------------------------------------------------------------------
 */
RevertRow *
revert_add_row(Revert *rv, RowKind kind, const char *version, const char *statement,
			   const char *result, int64 duration_us)
{
	RevertRow  *r = palloc0(sizeof(RevertRow));

	r->kind = kind;
	r->version = version ? pstrdup(version) : NULL;
	r->statement = statement ? pstrdup(statement) : NULL;
	r->result = result ? pstrdup(result) : NULL;
	r->duration_us = duration_us;
	r->segment = kind == ROW_DRIFT ? -1 : rv->segment;
	r->seq = rv->nrows++;
	rv->rows = lappend(rv->rows, r);
	return r;
}

char *
revert_temp_name(Revert *rv, const char *name)
{
	char	   *suffix = psprintf("__migrate_%d", ++rv->tempno);
	int			room = NAMEDATALEN - 1 - strlen(suffix);

	return psprintf("%.*s%s", Max(room, 1), name, suffix);
}

/* is s one of a list of C strings? */
bool
revert_str_member(List *strings, const char *s)
{
	ListCell   *lc;

	foreach(lc, strings)
		if (lfirst(lc) != NULL && s != NULL && strcmp(lfirst(lc), s) == 0)
		return true;
	return false;
}

static int
row_group(RowKind k)
{
	switch (k)
	{
		case ROW_DRIFT:
			return 0;
		case ROW_CHECK:
			return 1;
		case ROW_NOTE:
			return 2;
		case ROW_STATEMENT:
			return 3;
		case ROW_VERIFY:
			return 4;
		default:
			return 5;
	}
}

static int
row_cmp(const ListCell *a, const ListCell *b)
{
	RevertRow  *x = lfirst(a);
	RevertRow  *y = lfirst(b);

	if (x->kind == ROW_PLAN || y->kind == ROW_PLAN)
		return (x->kind == ROW_PLAN) - (y->kind == ROW_PLAN);
	if (x->segment != y->segment)
		return x->segment < y->segment ? -1 : 1;
	if (row_group(x->kind) != row_group(y->kind))
		return row_group(x->kind) < row_group(y->kind) ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

static const char *
kind_name(RowKind k)
{
	switch (k)
	{
		case ROW_DRIFT:
			return "drift";
		case ROW_CHECK:
			return "check";
		case ROW_NOTE:
			return "note";
		case ROW_STATEMENT:
			return "statement";
		case ROW_VERIFY:
			return "verify";
		default:
			return "plan";
	}
}

/* "h1:" hash of the plan: the kind, version and text of its checks, notes, statements */
static char *
plan_hash(List *rows)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, rows)
	{
		RevertRow  *r = lfirst(lc);

		if (r->kind != ROW_CHECK && r->kind != ROW_NOTE && r->kind != ROW_STATEMENT)
			continue;
		appendStringInfo(&buf, "%s\t%s\t%s\n", kind_name(r->kind), r->version ? r->version : "",
						 r->statement ? r->statement : "");
	}
	return migrate_h1(buf.data, buf.len);
}

/* ------------------------------------------------------------------------
 * What to revert
 * ------------------------------------------------------------------------
 */
static List *
read_revisions(void)
{
	static MigrateQuery q = {
		"SELECT r.version, r.description, r.hash, r.type, r.applied, r.total, r.error, f.down"
		" FROM migrate.revisions r LEFT JOIN migrate.files f ON f.version OPERATOR(pg_catalog.=) r.version"
		" ORDER BY migrate.version_key(r.version) DESC, r.version DESC",
		0, {0}
	};
	OwnerSwitch sw;
	List	   *out = NIL;
	MemoryContext outer = CurrentMemoryContext;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, NULL, NULL, true, 0);
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Reverted   *r = palloc0(sizeof(Reverted));
			bool		isnull;
			Datum		d;

			r->version = mq_text(i, 1);
			r->description = mq_text(i, 2);
			r->hash = mq_text(i, 3);
			r->type = (int) mq_int64(i, 4, 0);
			r->applied = (int) mq_int64(i, 5, 0);
			r->total = (int) mq_int64(i, 6, 0);
			r->error = mq_text(i, 7);
			d = mq_value(i, 8, &isnull);
			if (!isnull)
				r->down = migrate_text_list(DatumGetArrayTypePCopy(d));
			out = lappend(out, r);
		}
		MemoryContextSwitchTo(old);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return out;
}

static char *
tag_version(const char *tag)
{
	static MigrateQuery q = {
		"SELECT version FROM migrate.tags WHERE name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(tag)};
	OwnerSwitch sw;
	char	   *version = NULL;
	MemoryContext outer = CurrentMemoryContext;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	if (SPI_processed > 0)
		version = MemoryContextStrdup(outer, mq_text(0, 1));
	migrate_restore_user(&sw);
	SPI_finish();
	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tag \"%s\" is not recorded in this database", tag),
				 errhint("SELECT * FROM migrate.tags lists the tags; the client also accepts a git ref of the migration directory.")));
	return version;
}

/* the units of a version since it was last reverted */
static void
read_units(Reverted *r)
{
	static MigrateQuery q = {
		"SELECT u.id FROM migrate.units u WHERE u.kind OPERATOR(pg_catalog.=) 'migration'"
		" AND u.version OPERATOR(pg_catalog.=) $1"
		" AND u.id OPERATOR(pg_catalog.>) COALESCE((SELECT pg_catalog.max(x.unit) FROM migrate.reverts x"
		"     WHERE x.version OPERATOR(pg_catalog.=) $1), 0)"
		" ORDER BY u.id",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(r->version)};
	OwnerSwitch sw;
	MemoryContext outer = CurrentMemoryContext;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		int64	   *u = palloc(sizeof(int64));

		*u = mq_int64(i, 1, 0);
		r->units = lappend(r->units, u);
		MemoryContextSwitchTo(old);
	}
	migrate_restore_user(&sw);
	SPI_finish();
}

/* Refuse when a version not reverted has units after the boundary. */
static void
check_linear(Segment *seg, ArrayType *reverted)
{
	static MigrateQuery q = {
		"SELECT u.version FROM migrate.units u WHERE u.kind OPERATOR(pg_catalog.=) 'migration'"
		" AND u.id OPERATOR(pg_catalog.>) $1 AND u.version OPERATOR(pg_catalog.<>) ALL ($2)"
		" AND EXISTS (SELECT 1 FROM migrate.revisions rv WHERE rv.version OPERATOR(pg_catalog.=) u.version)"
		" AND u.id OPERATOR(pg_catalog.>) COALESCE((SELECT pg_catalog.max(x.unit) FROM migrate.reverts x"
		"     WHERE x.version OPERATOR(pg_catalog.=) u.version), 0)"
		" ORDER BY u.id LIMIT 1",
		2, {INT8OID, TEXTARRAYOID}
	};
	Datum		v[2] = {Int64GetDatum(seg->boundary), PointerGetDatum(reverted)};
	OwnerSwitch sw;
	char	   *other = NULL;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	if (SPI_processed > 0)
		other = pstrdup(mq_text(0, 1));
	migrate_restore_user(&sw);
	SPI_finish();
	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot revert version %s: version %s was applied after it and is not reverted",
						(char *) llast(seg->versions), other),
				 errdetail("Versions were applied out of order; a revert undoes history from the end."),
				 errhint("Revert version %s as well, or revert to a version after it.", other)));
}

/* ------------------------------------------------------------------------
 * Drift
 * ------------------------------------------------------------------------
 */

/*
 * Report schema changes made outside migrations since `boundary` to the
 * objects the revert works on: drift units (recorded by the event
 * triggers) and differences between the live catalog and the latest
 * recorded image (changes nothing recorded).  Returns how many.
 */
static int
report_drift(Revert *rv, int64 boundary)
{
	static MigrateQuery q = {
		"WITH u AS (SELECT id FROM migrate.units WHERE id OPERATOR(pg_catalog.>) $1"
		"   AND kind OPERATOR(pg_catalog.=) ANY ('{migration,revert}')),"
		" r AS (SELECT i.object FROM migrate.images i"
		"   WHERE i.unit OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM u))"
		"  UNION SELECT t.object FROM migrate.touches t"
		"   WHERE t.unit OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM u)) AND t.object IS NOT NULL)"
		" SELECT d.id, pg_catalog.to_char(d.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',"
		"   d.role_name, d.statement,"
		"   pg_catalog.string_agg(DISTINCT t.identity, ', ' ORDER BY t.identity)"
		" FROM migrate.units d JOIN migrate.touches t ON t.unit OPERATOR(pg_catalog.=) d.id"
		" WHERE d.kind OPERATOR(pg_catalog.=) 'drift' AND d.id OPERATOR(pg_catalog.>) $1"
		" AND (t.object IN (SELECT object FROM r)"
		"   OR t.object IN (SELECT o.id FROM migrate.objects o WHERE o.parent IN (SELECT object FROM r)))"
		/* a later revert that touched the object settled it */
		" AND NOT EXISTS (SELECT 1 FROM migrate.touches t2 JOIN migrate.units rv"
		"   ON rv.id OPERATOR(pg_catalog.=) t2.unit AND rv.kind OPERATOR(pg_catalog.=) 'revert'"
		"   WHERE rv.id OPERATOR(pg_catalog.>) d.id AND (t2.object OPERATOR(pg_catalog.=) t.object"
		"     OR t2.object OPERATOR(pg_catalog.=) (SELECT o2.parent FROM migrate.objects o2"
		"        WHERE o2.id OPERATOR(pg_catalog.=) t.object)))"
		" GROUP BY d.id ORDER BY d.id",
		1, {INT8OID}
	};
	Datum		v[1] = {Int64GetDatum(boundary)};
	OwnerSwitch sw;
	int			n = 0;
	Segment		all;
	ListCell   *lc;
	MemoryContext outer = CurrentMemoryContext;
	List	   *found = NIL;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		char	   *stmt = mq_text(i, 4);

		found = lappend(found, psprintf("%s|%s|%s", stmt ? stmt : "(statement not recorded)",
										psprintf("touching %s", mq_text(i, 5)),
										psprintf("by %s at %s", mq_text(i, 3), mq_text(i, 2))));
		MemoryContextSwitchTo(old);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	foreach(lc, found)
	{
		char	   *s = lfirst(lc);
		char	   *bar = strchr(s, '|');
		char	   *bar2 = strchr(bar + 1, '|');

		*bar = '\0';
		*bar2 = '\0';
		revert_add_row(rv, ROW_DRIFT, NULL, s, psprintf("%s, %s", bar + 1, bar2 + 1), -1)->detail =
			pstrdup(bar + 1);
		n++;
	}

	/* changes no unit recorded: the live image differs from the latest one */
	memset(&all, 0, sizeof(all));
	all.boundary = boundary;
	all.has_units = true;
	plan_load_segment(rv, &all);
	{
		int			nest = migrate_image_enter();

		foreach(lc, all.order)
		{
			RObj	   *o = lfirst(lc);
			Jsonb	   *live;

			if (!OidIsValid(o->live.classId) || o->latest == NULL ||
				!migrate_image_kind_supported(o->kind))
				continue;
			live = migrate_image_object(&o->live);
			if (live != NULL && !img_equal(live, o->latest))
			{
				revert_add_row(rv, ROW_DRIFT, NULL,
							   psprintf("%s %s changed outside any recorded statement", o->kind,
										o->identity),
							   img_differences(o->latest, live), -1)->detail =
					psprintf("%s %s", o->kind, o->identity);
				n++;
			}
		}
		migrate_image_leave(nest);
	}
	return n;
}

/* ------------------------------------------------------------------------
 * Segments
 * ------------------------------------------------------------------------
 */
static List *
make_segments(List *reverted, const char *below)
{
	List	   *segs = NIL;
	Segment    *cur = NULL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, reverted)
	{
		Reverted   *r = lfirst(lc);
		bool		handwritten = r->down != NIL && r->error == NULL && r->applied >= r->total &&
		r->units != NIL;

		if (cur == NULL || handwritten || cur->handwritten)
		{
			cur = palloc0(sizeof(Segment));
			cur->index = i++;
			cur->handwritten = handwritten;
			cur->down = handwritten ? r->down : NIL;
			segs = lappend(segs, cur);
		}
		cur->versions = lappend(cur->versions, r->version);

		/*
		 * a down section written for a complete version does not fit a
		 * partial one
		 */
		if (r->down != NIL && !handwritten)
			cur->unused_down = lappend(cur->unused_down, r->version);
		if (r->units != NIL)
		{
			int64		first = *(int64 *) linitial(r->units);

			if (!cur->has_units || first - 1 < cur->boundary)
				cur->boundary = first - 1;
			cur->has_units = true;
		}
	}
	/* a segment reverts to the newest version of the next one */
	for (int k = 0; k < list_length(segs); k++)
	{
		Segment    *s = list_nth(segs, k);

		s->target_version = k + 1 < list_length(segs)
			? pstrdup(linitial(((Segment *) list_nth(segs, k + 1))->versions))
			: (below ? pstrdup(below) : NULL);
	}
	return segs;
}

/* ACCESS EXCLUSIVE on every relation of the segment, in name order */
static void
lock_relations(Segment *seg)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);
		Oid			relid = InvalidOid;

		if (!OidIsValid(o->live.classId))
			continue;
		if (o->live.classId == RelationRelationId)
			relid = o->live.objectId;
		if (OidIsValid(relid) && !list_member_oid(names, relid))
			names = lappend_oid(names, relid);
	}
	{
		int			n = list_length(names);
		char	  **keys = palloc(sizeof(char *) * Max(n, 1));
		Oid		   *oids = palloc(sizeof(Oid) * Max(n, 1));
		int			i = 0;

		foreach(lc, names)
		{
			oids[i] = lfirst_oid(lc);
			keys[i] = migrate_qualified_relname(oids[i]);
			i++;
		}
		/* simple insertion sort by name: a few hundred at most */
		for (int a = 1; a < n; a++)
			for (int b = a; b > 0 && strcmp(keys[b - 1] ? keys[b - 1] : "", keys[b] ? keys[b] : "") > 0; b--)
			{
				char	   *tk = keys[b];
				Oid			to = oids[b];

				keys[b] = keys[b - 1];
				oids[b] = oids[b - 1];
				keys[b - 1] = tk;
				oids[b - 1] = to;
			}
		for (i = 0; i < n; i++)
			LockRelationOid(oids[i], AccessExclusiveLock);
	}
}

/* the checks a hand-written down gets: data it would drop */
static void
handwritten_checks(Revert *rv, Segment *seg)
{
	Planner		p;
	ListCell   *lc;
	List	   *steps = NIL;

	memset(&p, 0, sizeof(p));
	p.rv = rv;
	p.seg = seg;
	p.phase = 1;
	{
		int			nest = migrate_image_enter();

		foreach(lc, seg->order)
		{
			RObj	   *o = lfirst(lc);

			if (OidIsValid(o->live.classId))
				o->live_img = migrate_image_object(&o->live);
		}
		migrate_image_leave(nest);
	}
	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);

		if (o->planned && o->live_img != NULL && o->target == NULL)
			o->dropping = true;
	}
	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);
		RObj	   *parent = plan_parent(&p, o);
		Step	   *s;

		if (!o->dropping || (parent != NULL && parent->dropping))
			continue;
		if (strcmp(o->kind, "table") != 0 && strcmp(o->kind, "table column") != 0)
			continue;
		s = diff_drop(&p, o, 0, true);
		if (s->check == NULL)
			continue;
		s->sql = NULL;			/* only its check */
		steps = lappend(steps, s);
	}
	exec_steps(rv, seg, steps, false);
}

static void
run_handwritten(Revert *rv, Segment *seg, bool execute, const char *search_path)
{
	ListCell   *lc;

	handwritten_checks(rv, seg);
	if (rv->stopped)
		return;
	foreach(lc, seg->down)
	{
		char	   *sql = lfirst(lc);
		RevertRow  *row;

		if (sql == NULL)
			continue;
		row = revert_add_row(rv, ROW_STATEMENT, linitial(seg->versions), sql,
							 execute && rv->mode == REVERT_EXECUTE ? "ok" : "planned", -1);
		if (execute)
		{
			int			nest = NewGUCNestLevel();
			int			rc;

			ErrorContextCallback cb;

			(void) set_config_option("search_path", search_path ? search_path : "",
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
			exec_push_context(&cb, linitial(seg->versions), sql);
			SPI_connect();
			PG_TRY();
			{
				rc = SPI_execute(sql, false, 0);
			}
			PG_CATCH();
			{
				ErrorData  *e;

				MemoryContextSwitchTo(ErrorContext);
				e = CopyErrorData();
				if (e->sqlerrcode == ERRCODE_ACTIVE_SQL_TRANSACTION)
				{
					FlushErrorState();
					ereport(ERROR,
							(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
							 errmsg("the hand-written down section of version %s cannot run inside a transaction",
									(char *) linitial(seg->versions)),
							 errdetail("Statement: %s", sql),
							 errhint("Use the plain form of the statement (CREATE INDEX without CONCURRENTLY, ...) in down.sql.")));
				}
				PG_RE_THROW();
			}
			PG_END_TRY();
			if (rc == SPI_ERROR_TRANSACTION)
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("transaction control statements cannot be part of a hand-written down section"),
						 errdetail("Statement: %s", sql)));
			SPI_finish();
			error_context_stack = cb.previous;
			AtEOXact_GUC(false, nest);
			CommandCounterIncrement();
		}
		(void) row;
	}
}

/* ------------------------------------------------------------------------
 * Bookkeeping
 * ------------------------------------------------------------------------
 */
static void
repoint_objects(Segment *seg)
{
	ListCell   *lc;

	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);
		ObjectAddress a;

		if (o->target == NULL || !migrate_image_kind_supported(o->kind))
			continue;
		if (img_resolve(o->kind, o->target, &a))
			(void) migrate_object_takeover(o->id, &a);
	}
}

static void
record_reverted(Revert *rv, List *segs, List *reverted, const char *hash)
{
	static MigrateQuery del = {
		"DELETE FROM migrate.revisions WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	static MigrateQuery ins = {
		"INSERT INTO migrate.reverts (unit, version, description, hash, target_version,"
		" handwritten, plan_hash, reverted_at, role_name)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, pg_catalog.clock_timestamp(), $8)",
		8, {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID}
	};
	OwnerSwitch sw;
	ListCell   *lc;
	char	   *role = GetUserNameFromId(GetOuterUserId(), false);

	SPI_connect();
	migrate_become_owner(&sw);
	foreach(lc, segs)
	{
		Segment    *seg = lfirst(lc);
		ListCell   *lv;

		foreach(lv, seg->versions)
		{
			char	   *version = lfirst(lv);
			Reverted   *r = NULL;
			ListCell   *lr;
			Datum		v[8];
			char		nulls[8] = "        ";

			foreach(lr, reverted)
				if (strcmp(((Reverted *) lfirst(lr))->version, version) == 0)
				r = lfirst(lr);
			v[0] = CStringGetTextDatum(version);
			mq_exec(&del, v, NULL, false, 0);
			v[0] = Int64GetDatum(seg->unit);
			v[1] = CStringGetTextDatum(version);
			v[2] = CStringGetTextDatum(r && r->description ? r->description : "");
			v[3] = CStringGetTextDatum(r && r->hash ? r->hash : "");
			if (seg->target_version)
				v[4] = CStringGetTextDatum(seg->target_version);
			else
				nulls[4] = 'n';
			v[5] = BoolGetDatum(seg->handwritten);
			v[6] = CStringGetTextDatum(hash);
			v[7] = CStringGetTextDatum(role);
			mq_exec(&ins, v, nulls, false, 0);
		}
	}
	migrate_restore_user(&sw);
	SPI_finish();
}

/* ------------------------------------------------------------------------
 * Running the segments
 * ------------------------------------------------------------------------
 */
/* how many objects the verification compares */
static int
verifiable(Segment *seg)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);

		if (migrate_image_kind_supported(o->kind) && !o->auxiliary)
			n++;
	}
	return n;
}

/*
 * The invalid indexes an interrupted CREATE INDEX CONCURRENTLY or REINDEX
 * CONCURRENTLY of a reverted (partially applied) version left behind
 * belong to that version, which the revert undoes: they go first, with a
 * plain DROP INDEX inside the revert's transaction, before the segment's
 * live state is read.  Leftovers that are not provably the statement's own
 * (leftover.c) are left alone, with a note.  Like phase 1, this runs while
 * planning too (rolled back with the rest).
 */
static void
drop_leftovers(Revert *rv, Segment *seg)
{
	ListCell   *lv;

	foreach(lv, seg->versions)
	{
		char	   *version = lfirst(lv);
		ListCell   *lc;

		foreach(lc, migrate_leftovers_list(version))
		{
			Leftover   *l = lfirst(lc);
			char	   *sql;

			if (l->action != LEFTOVER_DROP)
			{
				/* a valid index in the way of a rerun is no leftover */
				if (get_index_isvalid(l->indexoid))
					continue;
				revert_add_row(rv, ROW_NOTE, version,
							   psprintf("%s; it is left in place: %s If it is not needed, drop it with: %s;",
										l->message, l->detail ? l->detail : "", l->drop_sql),
							   NULL, -1);
				continue;
			}
			sql = psprintf("DROP INDEX %s", l->index);
			revert_add_row(rv, ROW_NOTE, version, psprintf("dropping %s", l->message), NULL, -1);
			revert_add_row(rv, ROW_STATEMENT, version, sql,
						   rv->mode == REVERT_EXECUTE ? "ok" : "planned", -1);
			SPI_connect();
			if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
				elog(ERROR, "could not drop index %s", l->index);
			SPI_finish();
			CommandCounterIncrement();
		}
	}
}

static void
run_segment(Revert *rv, Segment *seg, bool last, const char *search_path)
{
	bool		execute = rv->mode == REVERT_EXECUTE || !last;
	char	   *label = plan_segment_label(seg);
	int			n;
	int			suppressed = 0;

	rv->segment = seg->index;
	{
		ListCell   *lc;

		foreach(lc, seg->unused_down)
			revert_add_row(rv, ROW_NOTE, lfirst(lc),
						   psprintf("the hand-written down section of version %s is not used: the version was not applied completely, so the revert is computed from what it did",
									(char *) lfirst(lc)), NULL, -1);
	}

	/*
	 * A segment that runs is a unit of history; one that is only planned
	 * (rolled back anyway) records nothing, which also spares its event
	 * trigger work.
	 */
	if (execute)
		seg->unit = migrate_unit_begin(UNIT_REVERT, linitial(seg->versions), -1, NULL);
	else
		suppressed = migrate_capture_suppress();
	drop_leftovers(rv, seg);
	plan_load_segment(rv, seg);
	if (!seg->has_units)
	{
		revert_add_row(rv, ROW_NOTE, linitial(seg->versions),
					   psprintf("version%s %s changed nothing in the schema (failed, set by hand, or without statements): only the revision goes",
								list_length(seg->versions) > 1 ? "s" : "", label), NULL, -1);
	}
	else
	{
		ListCell   *lc;

		foreach(lc, seg->order)
		{
			RObj	   *o = lfirst(lc);

			/*
			 * Kinds the revert does not handle matter when such an object
			 * exists now or existed at the boundary; parts of other objects
			 * recorded only when they were dropped do not.
			 */
			if (o->planned && !seg->handwritten && !migrate_image_kind_supported(o->kind) &&
				(OidIsValid(o->live.classId) ||
				 (o->created_unit != 0 && o->created_unit <= seg->boundary)))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot revert version %s: it changed %s \"%s\", which the revert does not handle",
								o->version ? o->version : label, o->kind, o->identity),
						 errhint("Give version %s a hand-written down section (txtar down.sql or a dbmate \"-- migrate:down\" part).",
								 o->version ? o->version : label)));
		}
		if (rv->mode == REVERT_EXECUTE)
			lock_relations(seg);
		if (seg->handwritten)
			run_handwritten(rv, seg, execute, search_path);
		else
			plan_run_segment(rv, seg, execute);
	}
	if (!execute)
		migrate_capture_restore(suppressed);
	if (rv->stopped)
	{
		if (execute)
			migrate_unit_abandon();
		revert_add_row(rv, ROW_VERIFY, label, "not run: a check failed", NULL, -1);
		return;
	}
	if (!execute)
	{
		n = verifiable(seg);
		revert_add_row(rv, ROW_VERIFY, label,
					   psprintf("%d object%s will be compared with version %s", n, n == 1 ? "" : "s",
								seg->target_version ? seg->target_version : "0 (before the first migration)"),
					   "planned", -1);
		return;
	}
	n = exec_verify(rv, seg);
	repoint_objects(seg);
	migrate_unit_end();
	revert_add_row(rv, ROW_VERIFY, label,
				   psprintf("%d object%s compared with version %s", n, n == 1 ? "" : "s",
							seg->target_version ? seg->target_version : "0 (before the first migration)"),
				   "ok", -1);
}

static void
run_segments(Revert *rv, List *segs, const char *search_path)
{
	ListCell   *lc;

	rv->nsegments = list_length(segs);
	foreach(lc, segs)
	{
		Segment    *seg = lfirst(lc);

		run_segment(rv, seg, lnext(segs, lc) == NULL, search_path);
		if (rv->stopped)
			break;
	}
}

/* run the segments inside a subtransaction that is rolled back */
static void
run_rolled_back(Revert *rv, List *segs, const char *search_path)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		run_segments(rv, segs, search_path);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		PG_RE_THROW();
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------
 */
typedef struct Request
{
	int			steps;
	char	   *to_version;
	char	   *to_tag;
	RevertMode	mode;
	List	   *allow_loss;
	bool		accept_drift;
	char	   *plan_hash;
} Request;

/* the reverted revisions, newest first; *below is the version left current */
static List *
choose(Request *req, List *revs, char **below)
{
	List	   *out = NIL;
	ListCell   *lc;
	char	   *to = req->to_version;
	int			n = 0;

	*below = NULL;
	if (req->to_tag)
		to = tag_version(req->to_tag);
	if (to != NULL)
	{
		bool		found = false;

		foreach(lc, revs)
			if (strcmp(((Reverted *) lfirst(lc))->version, to) == 0)
			found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("version \"%s\" is not recorded in this database", to),
					 errhint("SELECT * FROM migrate_status() lists the versions a revert can go back to.")));
	}
	else if (revs == NIL)
		return NIL;				/* nothing applied: nothing to revert */
	else if (req->steps > list_length(revs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot revert %d versions: only %d %s recorded", req->steps,
						list_length(revs), list_length(revs) == 1 ? "is" : "are"),
				 errhint("SELECT * FROM migrate_status() lists them.")));
	foreach(lc, revs)
	{
		Reverted   *r = lfirst(lc);

		if (to != NULL ? migrate_version_cmp(r->version, to) <= 0 : n >= req->steps)
		{
			*below = r->version;
			break;
		}
		if (r->type & REV_BASELINE)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot revert version %s: it is the baseline of this database", r->version),
					 errdetail("A baseline records a schema that existed before migrate; there is no earlier state to go back to."),
					 errhint("Revert to version %s or later.", r->version)));
		out = lappend(out, r);
		n++;
	}
	return out;
}

static void
emit_rows(FunctionCallInfo fcinfo, List *rows)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;
	int			step = 0;

	foreach(lc, rows)
	{
		RevertRow  *r = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = r->version ? CStringGetTextDatum(r->version) : (Datum) 0;
		nulls[0] = r->version == NULL;
		values[1] = Int32GetDatum(++step);
		values[2] = CStringGetTextDatum(kind_name(r->kind));
		values[3] = r->statement ? CStringGetTextDatum(r->statement) : (Datum) 0;
		nulls[3] = r->statement == NULL;
		values[4] = r->result ? CStringGetTextDatum(r->result) : (Datum) 0;
		nulls[4] = r->result == NULL;
		if (r->duration_us >= 0)
		{
			Interval   *iv = palloc0(sizeof(Interval));

			iv->time = r->duration_us;
			values[5] = IntervalPGetDatum(iv);
		}
		else
			nulls[5] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static void
revert_call(FunctionCallInfo fcinfo, Request *req)
{
	Revert	   *rv = palloc0(sizeof(Revert));
	List	   *revs;
	List	   *reverted;
	List	   *segs;
	char	   *below;
	char	   *hash;
	ListCell   *lc;
	int64		min_boundary = -1;
	int			ndrift;
	char	   *search_path = pstrdup(namespace_search_path ? namespace_search_path : "");
	int			nest;

	InitMaterializedSRF(fcinfo, 0);
	migrate_lock_for_transaction();

	/*
	 * from here on every name is qualified: nothing resolves through the
	 * caller's path
	 */
	nest = exec_enter_settings();
	rv->mode = req->mode;
	rv->allow_loss = req->allow_loss;
	rv->accept_drift = req->accept_drift;

	revs = read_revisions();
	reverted = choose(req, revs, &below);
	if (reverted == NIL)
	{
		exec_leave_settings(nest);
		return;					/* nothing to revert: no rows */
	}
	foreach(lc, reverted)
		read_units(lfirst(lc));
	segs = make_segments(reverted, below);
	{
		int			n = list_length(reverted);
		Datum	   *d = palloc(sizeof(Datum) * n);
		int			i = 0;
		ArrayType  *arr;

		foreach(lc, reverted)
			d[i++] = CStringGetTextDatum(((Reverted *) lfirst(lc))->version);
		arr = construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
		foreach(lc, segs)
		{
			Segment    *seg = lfirst(lc);

			if (!seg->has_units)
				continue;
			check_linear(seg, arr);
			if (min_boundary < 0 || seg->boundary < min_boundary)
				min_boundary = seg->boundary;
		}
	}

	/* drift first: reported before anything runs */
	ndrift = min_boundary >= 0 ? report_drift(rv, min_boundary) : 0;
	if (ndrift > 0)
	{
		foreach(lc, rv->rows)
		{
			RevertRow  *r = lfirst(lc);

			if (r->kind == ROW_DRIFT)
				r->result = psprintf("%s%s", r->result,
									 req->accept_drift ? " (accepted)" : " (not accepted)");
		}
		if (!req->accept_drift && req->mode == REVERT_EXECUTE)
		{
			RevertRow  *first = linitial(rv->rows);

			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot revert: the schema was changed outside migrations since version %s",
							below ? below : "0"),
					 errdetail("%d change%s to objects the revert works on, the first: %s (%s).",
							   ndrift, ndrift == 1 ? "" : "s", first->statement,
							   first->detail ? first->detail : first->result),
					 errhint("Review them with SELECT * FROM migrate_plan(...), then pass accept_drift => true to revert anyway.")));
		}
	}

	/* a reviewed plan: the plan now must have the same hash */
	if (req->plan_hash != NULL && req->mode == REVERT_EXECUTE)
	{
		Revert	   *probe = palloc0(sizeof(Revert));

		*probe = *rv;
		probe->mode = REVERT_PLAN;
		probe->rows = NIL;
		probe->nrows = 0;
		run_rolled_back(probe, segs, search_path);
		list_sort(probe->rows, row_cmp);
		hash = plan_hash(probe->rows);
		if (strcmp(hash, req->plan_hash) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the revert plan changed since it was reviewed"),
					 errdetail("The reviewed plan has hash %s; the plan now has hash %s.",
							   req->plan_hash, hash),
					 errhint("Review the plan again with SELECT * FROM migrate_plan(...).")));
		/* plan again from the start, for real */
		segs = make_segments(reverted, below);
	}

	if (req->mode == REVERT_EXECUTE)
		run_segments(rv, segs, search_path);
	else
		run_rolled_back(rv, segs, search_path);

	list_sort(rv->rows, row_cmp);
	hash = plan_hash(rv->rows);
	if (req->mode == REVERT_EXECUTE)
		record_reverted(rv, segs, reverted, hash);
	{
		int			n = list_length(reverted);
		RevertRow  *r;

		r = revert_add_row(rv, ROW_PLAN, below,
						   psprintf("revert %d version%s: from version %s to version %s%s", n,
									n == 1 ? "" : "s", ((Reverted *) linitial(reverted))->version,
									below ? below : "0 (before the first migration)",
									rv->stopped ? " (stopped: a check failed)" : ""),
						   hash, -1);
		(void) r;
	}
	exec_leave_settings(nest);
	emit_rows(fcinfo, rv->rows);
}

static List *
text_array_arg(FunctionCallInfo fcinfo, int n)
{
	List	   *out = NIL;
	ListCell   *lc;

	if (PG_ARGISNULL(n))
		return NIL;
	foreach(lc, migrate_text_list(PG_GETARG_ARRAYTYPE_P(n)))
		if (lfirst(lc) != NULL)
		out = lappend(out, lfirst(lc));
	return out;
}

static void
request_common(FunctionCallInfo fcinfo, Request *req)
{
	memset(req, 0, sizeof(*req));
	req->steps = PG_ARGISNULL(0) ? 1 : PG_GETARG_INT32(0);
	req->to_version = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	req->to_tag = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (req->to_version && req->to_tag)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("to_version and to_tag cannot both be given")));
	if (req->steps < 1 && req->to_version == NULL && req->to_tag == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must be at least 1, not %d", req->steps)));
}

/*
 * migrate_down(steps int DEFAULT 1, to_version text DEFAULT NULL,
 *		to_tag text DEFAULT NULL, dry_run bool DEFAULT false,
 *		allow_loss text[] DEFAULT NULL, accept_drift bool DEFAULT false,
 *		plan_hash text DEFAULT NULL)
 *	RETURNS SETOF (version, step, kind, statement, result, duration)
 *
 * Revert in the caller's transaction (see the file header).
 */
Datum
migrate_down(PG_FUNCTION_ARGS)
{
	Request		req;

	request_common(fcinfo, &req);
	req.mode = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3) ? REVERT_DRY_RUN : REVERT_EXECUTE;
	req.allow_loss = text_array_arg(fcinfo, 4);
	req.accept_drift = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
	req.plan_hash = PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6));
	revert_call(fcinfo, &req);
	return (Datum) 0;
}

/*
 * migrate_plan(steps int DEFAULT 1, to_version text DEFAULT NULL,
 *		to_tag text DEFAULT NULL)
 *	RETURNS SETOF (version, step, kind, statement, result, duration)
 *
 * The plan migrate_down() would run, with its checks (not run) and its
 * hash; nothing changes.
 */
Datum
migrate_plan(PG_FUNCTION_ARGS)
{
	Request		req;

	request_common(fcinfo, &req);
	req.mode = REVERT_PLAN;
	revert_call(fcinfo, &req);
	return (Datum) 0;
}
