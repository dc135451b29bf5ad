/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Planning and running the revert of one segment (see revert.h).
 *
 * Loading: the revert set is read from migrate.images and migrate.touches
 * (units after the boundary, of kind migration or revert); each object
 * gets its target (latest image at or before the boundary), its latest
 * recorded image, its live address (the registry's OID triple) and the
 * dependencies recorded with its target image.  An object is *planned*
 * when a unit of the segment touched it or created it (the columns of a
 * table a migration created); objects that were only re-imaged (a
 * dependent whose text followed a rename, a column added by hand to a
 * table a migration changed) are not changed by the plan but are verified
 * like the others.
 *
 * Phases (revert.h): phase 1 drops what did not exist at the boundary,
 * dependents first; phase 2 renames back; both run while planning.
 * Phases 3 and 4 are rendered together from the catalog as phase 2 left
 * it, ordered by a topological sort (pg_dump's approach: a priority class
 * per kind of step, names as the tie-break, edges from the live pg_depend
 * for drops and from the dependencies recorded with the target images for
 * creates).  Nothing is ever dropped with CASCADE: a live dependent of
 * something the plan drops or rebuilds is dropped first when it did not
 * exist at the boundary, rebuilt from its image when a migration manages
 * it, and otherwise makes the revert refuse, naming it.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "history.h"
#include "image.h"
#include "revert.h"
#include "util.h"

static void index_live(Planner *p, RObj *y);

typedef struct RObjEntry
{
	int64		id;
	RObj	   *obj;
} RObjEntry;

typedef struct AddrEntry
{
	ObjectAddress addr;
	RObj	   *obj;
} AddrEntry;

/* A live dependent of an object (pg_depend, deptype normal). */
typedef struct LiveDep
{
	ObjectAddress canon;		/* the tracked object that depends */
	ObjectAddress raw;			/* the pg_depend row's depender */
} LiveDep;

/* ------------------------------------------------------------------------
 * The revert set
 * ------------------------------------------------------------------------
 */
static HTAB *
objs_create(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(RObjEntry);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create("migrate revert set", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

RObj *
plan_object(Segment *seg, int64 id)
{
	RObjEntry  *e = hash_search(seg->objs, &id, HASH_FIND, NULL);

	return e ? e->obj : NULL;
}

static RObj *
objs_add(Segment *seg, RObj *o)
{
	bool		found;
	RObjEntry  *e = hash_search(seg->objs, &o->id, HASH_ENTER, &found);

	if (found)
		return e->obj;
	e->obj = o;
	seg->order = lappend(seg->order, o);
	return o;
}

/* the live address of a registry row, when the object still exists */
static void
set_live_address(RObj *o, Oid classid, Oid objid, int32 subid, bool alive)
{
	ObjectAddress a;
	const char *kind;

	o->live = InvalidObjectAddress;
	if (!alive)
		return;
	a.classId = classid;
	a.objectId = objid;
	a.objectSubId = subid;
	kind = migrate_image_kind(&a);
	if (kind != NULL && strcmp(kind, o->kind) == 0)
	{
		o->live = a;
		return;
	}

	/*
	 * A registry row whose OID is gone although no drop was recorded: an
	 * object PostgreSQL rebuilt under a new OID (indexes of a column whose
	 * type changed).  Find it by the names of its latest image, unless
	 * another registry row has it.
	 */
	if (o->latest != NULL && img_resolve(o->kind, o->latest, &a) &&
		migrate_object_id(&a, false) == 0)
		o->live = a;
}

/*
 * Rows of a load query -> RObjs.  SPI is connected; everything kept is
 * allocated in outer, the caller's context.
 */
static void
load_rows(Segment *seg, MemoryContext outer, bool planned_flag, bool rebuilt)
{
	SPITupleTable *tt = SPI_tuptable;
	uint64		n = SPI_processed;
	MemoryContext old = MemoryContextSwitchTo(outer);

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		bool		isnull;
		RObj	   *o;
		Oid			classid,
					objid;
		int32		subid;
		bool		alive;
		Datum		d;
		int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));

		if (plan_object(seg, id) != NULL)
			continue;
		o = palloc0(sizeof(RObj));
		o->id = id;
		o->kind = SPI_getvalue(tup, desc, 2);
		o->identity = SPI_getvalue(tup, desc, 3);
		o->parent = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		if (isnull)
			o->parent = 0;
		classid = DatumGetObjectId(SPI_getbinval(tup, desc, 5, &isnull));
		objid = DatumGetObjectId(SPI_getbinval(tup, desc, 6, &isnull));
		subid = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
		alive = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
		o->target_unit = DatumGetInt64(SPI_getbinval(tup, desc, 9, &isnull));
		if (isnull)
			o->target_unit = 0;
		d = SPI_getbinval(tup, desc, 10, &isnull);
		o->target = isnull ? NULL : DatumGetJsonbPCopy(d);
		d = SPI_getbinval(tup, desc, 11, &isnull);
		o->latest = isnull ? NULL : DatumGetJsonbPCopy(d);
		o->created_unit = DatumGetInt64(SPI_getbinval(tup, desc, 12, &isnull));
		o->version = SPI_getvalue(tup, desc, 13);
		o->planned = planned_flag && DatumGetBool(SPI_getbinval(tup, desc, 14, &isnull));
		o->rebuilt = false;
		(void) rebuilt;
		set_live_address(o, classid, objid, subid, alive);
		o->start = o->live;
		objs_add(seg, o);
	}
	MemoryContextSwitchTo(old);
}

/*
 * SELECT list shared by the loaders: id, kind, identity, parent, OID
 * triple, alive, target unit and body, latest body.  $1 is the boundary.
 */
#define OBJECT_COLUMNS \
	" o.id, o.kind, o.identity, o.parent, o.classid, o.objid, o.objsubid," \
	" o.dropped_unit IS NULL, tgt.unit, td.body, ld.body, COALESCE(o.created_unit, 0)"
#define OBJECT_JOINS \
	" LEFT JOIN LATERAL (SELECT i.unit, i.hash FROM migrate.images i" \
	"   WHERE i.object OPERATOR(pg_catalog.=) o.id AND i.unit OPERATOR(pg_catalog.<=) $1" \
	"   ORDER BY i.unit DESC LIMIT 1) tgt ON true" \
	" LEFT JOIN migrate.definitions td ON td.hash OPERATOR(pg_catalog.=) tgt.hash" \
	" LEFT JOIN LATERAL (SELECT i.hash FROM migrate.images i" \
	"   WHERE i.object OPERATOR(pg_catalog.=) o.id ORDER BY i.unit DESC LIMIT 1) lat ON true" \
	" LEFT JOIN migrate.definitions ld ON ld.hash OPERATOR(pg_catalog.=) lat.hash"

/* the recorded dependencies of the target images */
static void
load_target_deps(Segment *seg, MemoryContext outer)
{
	static MigrateQuery q = {
		"SELECT d.object, d.ref FROM migrate.depends d"
		" JOIN (SELECT pg_catalog.unnest($1::pg_catalog.int8[]) AS object,"
		"       pg_catalog.unnest($2::pg_catalog.int8[]) AS unit) t"
		"   ON d.object OPERATOR(pg_catalog.=) t.object AND d.unit OPERATOR(pg_catalog.=) t.unit"
		" ORDER BY d.object, d.ref",
		2, {INT8ARRAYOID, INT8ARRAYOID}
	};
	int			n = list_length(seg->order);
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *units = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;
	ListCell   *lc;
	Datum		v[2];

	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);

		if (o->target == NULL || o->target_deps != NIL)
			continue;
		ids[k] = Int64GetDatum(o->id);
		units[k] = Int64GetDatum(o->target_unit);
		k++;
	}
	if (k == 0)
		return;
	v[0] = PointerGetDatum(construct_array(ids, k, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[1] = PointerGetDatum(construct_array(units, k, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	mq_exec(&q, v, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		RObj	   *o = plan_object(seg, mq_int64(i, 1, 0));
		int64	   *ref;
		MemoryContext old;

		if (o == NULL)
			continue;
		old = MemoryContextSwitchTo(outer);
		ref = palloc(sizeof(int64));
		*ref = mq_int64(i, 2, 0);
		o->target_deps = lappend(o->target_deps, ref);
		MemoryContextSwitchTo(old);
	}
}

/*
 * Load the revert set of a segment: every object imaged or touched by a
 * migration or revert unit after the boundary.
 */
void
plan_load_segment(Revert *rv, Segment *seg)
{
	static MigrateQuery q = {
		"WITH u AS (SELECT id, kind, version FROM migrate.units"
		"   WHERE id OPERATOR(pg_catalog.>) $1 AND kind OPERATOR(pg_catalog.=) ANY ('{migration,revert}')),"
		" r AS (SELECT i.object, i.unit, false AS touched FROM migrate.images i"
		"   WHERE i.unit OPERATOR(pg_catalog.>) $1 AND i.unit OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM u))"
		"  UNION ALL SELECT t.object, t.unit, true FROM migrate.touches t"
		"   WHERE t.unit OPERATOR(pg_catalog.>) $1 AND t.object IS NOT NULL"
		"   AND t.unit OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM u))),"
		" s AS (SELECT r.object,"
		"   pg_catalog.max(r.unit) FILTER (WHERE uu.kind OPERATOR(pg_catalog.=) 'migration'"
		"     AND uu.version OPERATOR(pg_catalog.=) ANY ($2)) AS last_unit,"
		"   pg_catalog.bool_or(r.touched) AS touched"
		"   FROM r JOIN u uu ON uu.id OPERATOR(pg_catalog.=) r.unit GROUP BY r.object)"
		" SELECT" OBJECT_COLUMNS ", lu.version,"
		"   s.touched OR o.created_unit OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM u))"
		" FROM s JOIN migrate.objects o ON o.id OPERATOR(pg_catalog.=) s.object"
		" LEFT JOIN migrate.units lu ON lu.id OPERATOR(pg_catalog.=) s.last_unit"
		OBJECT_JOINS
		" ORDER BY o.id",
		2, {INT8OID, TEXTARRAYOID}
	};
	Datum		v[2];
	OwnerSwitch sw;
	MemoryContext outer = CurrentMemoryContext;

	v[0] = Int64GetDatum(seg->boundary);
	v[1] = PointerGetDatum(migrate_text_array(seg->versions));
	seg->objs = objs_create();
	seg->order = NIL;
	if (!seg->has_units)
		return;
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 0);
	load_rows(seg, outer, true, false);
	load_target_deps(seg, outer);
	migrate_restore_user(&sw);
	SPI_finish();
}

/*
 * Add an object outside the revert set that the plan has to rebuild (a
 * dependent of something it drops or rebuilds), with its registry
 * children (a materialized view's indexes, a view's triggers).
 */
RObj *
plan_add_object(Segment *seg, int64 id, bool children)
{
	static MigrateQuery q = {
		"SELECT" OBJECT_COLUMNS ", NULL::pg_catalog.text, false"
		" FROM migrate.objects o" OBJECT_JOINS
		" WHERE o.id OPERATOR(pg_catalog.=) $2"
		"   OR ($3 AND o.parent OPERATOR(pg_catalog.=) $2 AND o.dropped_unit IS NULL)"
		" ORDER BY o.id",
		3, {INT8OID, INT8OID, BOOLOID}
	};
	Datum		v[3] = {Int64GetDatum(seg->boundary), Int64GetDatum(id), BoolGetDatum(children)};
	OwnerSwitch sw;
	RObj	   *o = plan_object(seg, id);
	MemoryContext outer = CurrentMemoryContext;

	if (o != NULL)
		return o;
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 0);
	load_rows(seg, outer, false, true);
	load_target_deps(seg, outer);
	migrate_restore_user(&sw);
	SPI_finish();
	o = plan_object(seg, id);
	if (o == NULL)
		elog(ERROR, "migrate object %lld vanished", (long long) id);
	return o;
}

/*
 * Does a migration manage this object: did a migration or revert unit
 * touch it, or create it (the columns of a table a migration created)?
 * An object made by hand on a table a migration manages is not managed.
 */
bool
plan_is_managed(int64 id)
{
	static MigrateQuery q = {
		"SELECT EXISTS (SELECT 1 FROM migrate.touches t"
		"   JOIN migrate.units u ON u.id OPERATOR(pg_catalog.=) t.unit"
		"   WHERE u.kind OPERATOR(pg_catalog.=) ANY ('{migration,revert}')"
		"   AND t.object OPERATOR(pg_catalog.=) $1)"
		" OR EXISTS (SELECT 1 FROM migrate.objects o JOIN migrate.units u"
		"   ON u.id OPERATOR(pg_catalog.=) o.created_unit"
		"   WHERE o.id OPERATOR(pg_catalog.=) $1"
		"   AND u.kind OPERATOR(pg_catalog.=) ANY ('{migration,revert}'))",
		1, {INT8OID}
	};
	Datum		v[1] = {Int64GetDatum(id)};
	OwnerSwitch sw;
	bool		result;

	if (id == 0)
		return false;
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	{
		bool		isnull;
		Datum		d = mq_value(0, 1, &isnull);

		result = !isnull && DatumGetBool(d);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return result;
}

char *
plan_segment_label(Segment *seg)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, seg->versions)
		appendStringInfo(&buf, "%s%s", lc == list_head(seg->versions) ? "" : ", ",
						 (char *) lfirst(lc));
	return buf.data;
}

/* ------------------------------------------------------------------------
 * Live state
 * ------------------------------------------------------------------------
 */
static bool
streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_address(const ObjectAddress *a, const ObjectAddress *b)
{
	return a->classId == b->classId && a->objectId == b->objectId &&
		a->objectSubId == b->objectSubId;
}

/*
 * Re-read the live image of every object and index them by address; a no-op
 * when no statement ran since the last time (rv->executed counts them).
 */
static void
refresh_live(Planner *p)
{
	HASHCTL		ctl;
	ListCell   *lc;
	int			nest;

	if (p->byaddr != NULL && p->refreshed_at == p->rv->executed &&
		p->refreshed_objects == list_length(p->seg->order))
		return;
	p->refreshed_at = p->rv->executed;
	p->refreshed_objects = list_length(p->seg->order);

	ctl.keysize = sizeof(ObjectAddress);
	ctl.entrysize = sizeof(AddrEntry);
	ctl.hcxt = CurrentMemoryContext;
	p->byaddr = hash_create("migrate live objects", 256, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CommandCounterIncrement();
	nest = migrate_image_enter();
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);

		o->live_img = NULL;
		if (!img_object_exists(&o->live) ||
			strcmp(migrate_image_kind(&o->live), o->kind) != 0)
		{
			o->live = InvalidObjectAddress;
			continue;
		}
		o->live_img = migrate_image_object(&o->live);
		if (o->live_img == NULL)
		{
			o->live = InvalidObjectAddress;
			continue;
		}
		{
			ObjectAddress key;
			AddrEntry  *e;

			memset(&key, 0, sizeof(key));
			key.classId = o->live.classId;
			key.objectId = o->live.objectId;
			key.objectSubId = o->live.objectSubId;
			e = hash_search(p->byaddr, &key, HASH_ENTER, NULL);
			e->obj = o;
		}
	}
	migrate_image_leave(nest);
}

RObj *
plan_object_at(Planner *p, const ObjectAddress *addr)
{
	ObjectAddress key;
	AddrEntry  *e;

	memset(&key, 0, sizeof(key));
	key.classId = addr->classId;
	key.objectId = addr->objectId;
	key.objectSubId = addr->objectSubId;
	e = hash_search(p->byaddr, &key, HASH_FIND, NULL);
	return e ? e->obj : NULL;
}

/*
 * The object o belongs to (a column's table, ...).  A parent outside the
 * revert set is loaded for reference (checks read its table): it is
 * neither planned nor verified.
 */
RObj *
plan_parent(Planner *p, RObj *o)
{
	RObj	   *parent;

	if (o->parent == 0)
		return NULL;
	parent = plan_object(p->seg, o->parent);
	if (parent == NULL)
	{
		parent = plan_add_object(p->seg, o->parent, false);
		parent->auxiliary = true;
		if (p->byaddr != NULL)
			index_live(p, parent);
	}
	return parent;
}

/* objects of the segment whose registry parent is o (of a kind, or any) */
List *
plan_children(Planner *p, RObj *o, const char *kind)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, p->seg->order)
	{
		RObj	   *c = lfirst(lc);

		if (c->parent == o->id && (kind == NULL || strcmp(c->kind, kind) == 0))
			out = lappend(out, c);
	}
	return out;
}

/*
 * The live dependents of an object that block dropping it (pg_depend
 * deptype normal), on it or on any of its columns, its row type and its
 * array type.
 */
static List *
scan_dependents(List *out, Oid classId, Oid objId, int32 subid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[3];
	int			nkeys = 2;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objId));
	if (subid > 0)
	{
		ScanKeyInit(&keys[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber,
					F_INT4EQ, Int32GetDatum(subid));
		nkeys = 3;
	}
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, nkeys, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		LiveDep    *d;

		if (dep->deptype != DEPENDENCY_NORMAL)
			continue;
		d = palloc0(sizeof(LiveDep));
		d->raw.classId = dep->classid;
		d->raw.objectId = dep->objid;
		d->raw.objectSubId = dep->objsubid;
		out = lappend(out, d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

static List *
live_dependents(const ObjectAddress *addr)
{
	List	   *raw = NIL;
	List	   *out = NIL;
	ListCell   *lc;

	raw = scan_dependents(raw, addr->classId, addr->objectId, addr->objectSubId);
	if (addr->classId == RelationRelationId && addr->objectSubId == 0)
	{
		Oid			rowtype = get_rel_type_id(addr->objectId);

		if (OidIsValid(rowtype))
			raw = scan_dependents(raw, TypeRelationId, rowtype, 0);
	}
	if (addr->classId == TypeRelationId)
	{
		Oid			arr = get_array_type(addr->objectId);

		if (OidIsValid(arr))
			raw = scan_dependents(raw, TypeRelationId, arr, 0);
	}
	if (addr->classId == ConstraintRelationId)
	{
		/* foreign keys depend on the index behind a key */
		HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(addr->objectId));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

			if (con->contype != CONSTRAINT_FOREIGN && OidIsValid(con->conindid))
				raw = scan_dependents(raw, RelationRelationId, con->conindid, 0);
			ReleaseSysCache(tup);
		}
	}
	foreach(lc, raw)
	{
		LiveDep    *d = lfirst(lc);

		if (!migrate_image_canonical(&d->raw, &d->canon))
			d->canon = InvalidObjectAddress;
		else if (same_address(&d->canon, addr))
			continue;
		else
		{
			ObjectAddress parent = migrate_image_parent(&d->canon);

			/* the object's own parts go with it */
			if (same_address(&parent, addr) ||
				(addr->classId == RelationRelationId && addr->objectSubId == 0 &&
				 d->canon.classId == RelationRelationId &&
				 d->canon.objectId == addr->objectId))
				continue;
		}
		out = lappend(out, d);
	}
	return out;
}

/* ------------------------------------------------------------------------
 * Refusals and notes
 * ------------------------------------------------------------------------
 */
void
plan_refuse(RObj *o, const char *why, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot revert %s \"%s\": %s", o->kind, o->identity, why),
			 hint ? errhint("%s", hint) : 0));
}

static void
refuse_dependent(RObj *x, const ObjectAddress *dep, const char *why)
{
	char	   *desc = getObjectDescription(dep, true);

	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot revert %s \"%s\": %s depends on it", x->kind, x->identity,
					desc ? desc : "an object"),
			 errdetail("%s", why),
			 errhint("Drop or change %s by hand, or revert with a hand-written down section.",
					 desc ? desc : "that object")));
}

void
plan_note(Planner *p, RObj *o, const char *fmt,...)
{
	StringInfoData buf;
	va_list		args;
	Step	   *s;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	s = plan_step(p, 1000, o, NULL);
	s->note = buf.data;
	s->decoration = true;
}

/* ------------------------------------------------------------------------
 * Steps
 * ------------------------------------------------------------------------
 */
Step *
plan_step(Planner *p, int prio, RObj *o, char *sql)
{
	Step	   *s = palloc0(sizeof(Step));

	s->prio = prio;
	s->key = o ? o->identity : "";
	s->seq = p->seq++;
	s->sql = sql;
	s->obj = o;
	p->steps = lappend(p->steps, s);
	if (o != NULL && sql != NULL)
	{
		/* the steps of one object keep their order */
		if (o->last != NULL)
			plan_after(s, o->last);
		if (o->first == NULL)
			o->first = s;
		o->last = s;
	}
	return s;
}

void
plan_after(Step *s, Step *pred)
{
	if (s == NULL || pred == NULL || s == pred)
		return;
	s->after = list_append_unique_ptr(s->after, pred);
}

static int
step_cmp(const Step *a, const Step *b)
{
	int			c;

	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	c = strcmp(a->key, b->key);
	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

/*
 * Order steps: Kahn's algorithm, always taking the smallest ready step
 * (priority, key, creation order), so that the result is the priority
 * order changed only where an edge requires it.  A cycle is an error
 * naming the steps in it.
 */
List *
plan_toposort(List *steps)
{
	return plan_toposort_try(steps, NULL);
}

/* the same; with cycle given, a cycle sets it and returns NIL */
List *
plan_toposort_try(List *steps, bool *cycle)
{
	List	   *ready = NIL;
	List	   *out = NIL;
	ListCell   *lc;
	int			total = list_length(steps);

	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);

		s->npred = 0;
		s->succ = NIL;
		s->done = false;
	}
	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, s->after)
		{
			Step	   *pred = lfirst(lc2);

			if (!list_member_ptr(steps, pred))
				continue;
			s->npred++;
			pred->succ = lappend(pred->succ, s);
		}
	}
	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);

		if (s->npred == 0)
			ready = lappend(ready, s);
	}
	while (ready != NIL)
	{
		Step	   *best = NULL;
		ListCell   *lc2;

		foreach(lc2, ready)
		{
			Step	   *s = lfirst(lc2);

			if (best == NULL || step_cmp(s, best) < 0)
				best = s;
		}
		ready = list_delete_ptr(ready, best);
		best->done = true;
		out = lappend(out, best);
		foreach(lc2, best->succ)
		{
			Step	   *s = lfirst(lc2);

			if (--s->npred == 0)
				ready = lappend(ready, s);
		}
	}
	if (cycle != NULL)
		*cycle = list_length(out) != total;
	if (list_length(out) != total && cycle != NULL)
		return NIL;
	if (list_length(out) != total)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		foreach(lc, steps)
		{
			Step	   *s = lfirst(lc);

			if (!s->done && s->sql)
				appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", s->sql);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("the revert plan has a dependency cycle"),
				 errdetail("These statements depend on each other: %s", buf.data),
				 errhint("Revert these versions with a hand-written down section.")));
	}
	return out;
}

/* ------------------------------------------------------------------------
 * Helpers for expressions and types
 * ------------------------------------------------------------------------
 */
Oid
plan_type_oid(const char *type)
{
	Oid			typid = InvalidOid;
	int32		typmod;

	if (type == NULL)
		return InvalidOid;
	PG_TRY();
	{
		parseTypeString(type, &typid, &typmod, true);
	}
	PG_CATCH();
	{
		FlushErrorState();
		typid = InvalidOid;
	}
	PG_END_TRY();
	return typid;
}

/*
 * Is an expression (a default, as pg_get_expr wrote it) volatile, or
 * mutable when mutable_too?  Decided on its parsed and analyzed tree; an
 * expression that does not parse here counts as volatile.
 */
bool
plan_expr_volatile(const char *expr, bool mutable_too)
{
	bool		result = true;
	MemoryContext cxt = CurrentMemoryContext;

	if (expr == NULL)
		return false;
	PG_TRY();
	{
		List	   *raw = raw_parser(psprintf("SELECT %s", expr), RAW_PARSE_DEFAULT);
		RawStmt    *rs = linitial_node(RawStmt, raw);
		SelectStmt *sel = (SelectStmt *) rs->stmt;
		ResTarget  *rt = linitial_node(ResTarget, sel->targetList);
		ParseState *ps = make_parsestate(NULL);
		Node	   *node = transformExpr(ps, rt->val, EXPR_KIND_SELECT_TARGET);

		result = mutable_too ? contain_mutable_functions(node)
			: contain_volatile_functions(node);
		free_parsestate(ps);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		result = true;
	}
	PG_END_TRY();
	return result;
}

/* ------------------------------------------------------------------------
 * Dependents of what the plan drops or rebuilds
 * ------------------------------------------------------------------------
 */
static bool
is_kind(RObj *o, const char *kind)
{
	return strcmp(o->kind, kind) == 0;
}

/* objects whose drop belongs to phase 4 */
static bool
late_kind(RObj *o)
{
	return is_kind(o, "schema") || is_kind(o, "sequence") || is_kind(o, "function") ||
		is_kind(o, "procedure") || is_kind(o, "enum") || is_kind(o, "domain") ||
		is_kind(o, "composite type") || is_kind(o, "extension");
}

static void
index_live(Planner *p, RObj *y)
{
	AddrEntry  *e;
	ObjectAddress key;

	if (!OidIsValid(y->live.classId))
		return;
	if (y->live_img == NULL)
	{
		int			nest = migrate_image_enter();

		y->live_img = migrate_image_object(&y->live);
		migrate_image_leave(nest);
	}
	memset(&key, 0, sizeof(key));
	key.classId = y->live.classId;
	key.objectId = y->live.objectId;
	key.objectSubId = y->live.objectSubId;
	e = hash_search(p->byaddr, &key, HASH_ENTER, NULL);
	e->obj = y;
}

/* the object of the segment at a live address, loading it when needed */
static RObj *
dependent_object(Planner *p, const ObjectAddress *canon)
{
	RObj	   *y = plan_object_at(p, canon);
	int64		id;

	if (y != NULL)
		return y;
	id = migrate_object_id(canon, false);
	if (id == 0)
		return NULL;
	y = plan_object(p->seg, id);
	if (y == NULL)
	{
		y = plan_add_object(p->seg, id, true);

		/*
		 * with its children (a view's triggers, a materialized view's
		 * indexes)
		 */
		{
			ListCell   *lc;

			foreach(lc, p->seg->order)
			{
				RObj	   *c = lfirst(lc);

				if (c->parent == y->id || c == y)
					index_live(p, c);
			}
		}
	}
	return y;
}

static void
refuse_unmanaged(RObj *x, const ObjectAddress *dep)
{
	refuse_dependent(x, dep, "No migration created or changed it, and migrate never drops or changes objects it does not manage.");
}

static void handle_dependents(Planner *p, RObj *x, Step *xstep);

/* drop y (and what depends on it) before xstep; rebuilt when it has a target */
static void
drop_before(Planner *p, RObj *y, Step *xstep, const ObjectAddress *canon, RObj *x)
{
	Step	   *ys;

	if (!y->planned && !plan_is_managed(y->id))
		refuse_unmanaged(x, canon);
	if (y->target != NULL)
		y->rebuilt = true;
	ys = diff_drop(p, y, diff_drop_priority(y) + (p->phase == 4 ? 200 : 0), false);
	handle_dependents(p, y, ys);
	plan_after(xstep, ys);
}

/*
 * y depends on x, which xstep drops: make y stop depending on x first.  It
 * is dropped (it did not exist at the boundary), rebuilt (a migration
 * manages it), loses its default (phase 3 sets the target's), or, in
 * phase 3, changes anyway (its steps run first); anything else is refused.
 */
static void
handle_dependent(Planner *p, RObj *x, Step *xstep, LiveDep *d)
{
	RObj	   *y;
	RObj	   *yp;

	if (!OidIsValid(d->canon.classId))
		refuse_dependent(x, &d->raw, "migrate does not track that object, so it never drops it.");
	y = dependent_object(p, &d->canon);
	if (y == NULL)
		refuse_unmanaged(x, &d->canon);
	if (y == x)
		return;
	yp = plan_parent(p, y);
	if (yp != NULL && yp->dropping && yp->first != NULL && p->split_fkeys &&
		is_kind(y, "table constraint") && y->live_img != NULL &&
		streq_null(img_text(y->live_img, "type"), "foreign key"))
	{
		/* tables that reference each other: the key goes first, alone */
		if (y->first == NULL)
		{
			Step	   *ys = diff_drop(p, y, diff_drop_priority(y), false);

			plan_after(yp->first, ys);
		}
		plan_after(xstep, y->first);
		return;
	}
	if (yp != NULL && yp->dropping && yp->first != NULL)
	{
		plan_after(xstep, yp->first);
		return;
	}
	if (y->dropping)
	{
		if (y->first != NULL)
			plan_after(xstep, y->first->is_drop ? y->first : y->last);
		return;
	}
	/* in phases 3 and 4, a column the plan changes anyway changes first */
	if (p->phase >= 3 && y->last != NULL && is_kind(y, "table column"))
	{
		plan_after(xstep, y->last);
		return;
	}
	if (is_kind(y, "table column") && y->live_img != NULL && img_is_null(y->live_img, "generated"))
	{
		if (d->raw.classId == AttrDefaultRelationId)
		{
			Step	   *s = plan_step(p, p->phase >= 3 ? 35 + (p->phase == 4 ? 200 : 0) : 35, y,
									  psprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
											   img_text(y->live_img, "table"),
											   quote_identifier(img_text(y->live_img, "name"))));

			plan_after(xstep, s);
			if (!y->planned)
			{
				if (!plan_is_managed(y->id))
					refuse_unmanaged(x, &d->canon);
				y->planned = true;	/* phase 3 puts its default back */
			}
			return;
		}
		refuse_dependent(x, &d->canon, "It holds data, which the revert does not drop to make way for another change.");
	}
	if (is_kind(y, "table"))
		refuse_dependent(x, &d->canon, "A table is never dropped to make way for another change.");
	drop_before(p, y, xstep, &d->canon, x);
}

static void
handle_dependents(Planner *p, RObj *x, Step *xstep)
{
	ListCell   *lc;

	if (!OidIsValid(x->live.classId))
		return;
	foreach(lc, live_dependents(&x->live))
		handle_dependent(p, x, xstep, lfirst(lc));
}

/*
 * Rebuild o in phase 3: drop it (after its dependents, which are rebuilt
 * or dropped in turn); the creates of phase 3 make it again from its
 * target image.
 */
void
plan_rebuild(Planner *p, RObj *o)
{
	Step	   *drop;

	if (o->dropping)
		return;
	o->rebuilt = true;
	drop = diff_drop(p, o, diff_drop_priority(o), false);
	handle_dependents(p, o, drop);
}

/*
 * Live dependents of a column that a type change cannot survive (views,
 * triggers, routines, generated columns using it) are dropped before
 * `before` and created again after `after`.  Indexes and constraints are
 * rebuilt by PostgreSQL itself.
 */
void
plan_rebuild_dependents(Planner *p, RObj *o, Step *before, Step *after)
{
	ListCell   *lc;

	foreach(lc, live_dependents(&o->live))
	{
		LiveDep    *d = lfirst(lc);
		RObj	   *y;
		const char *k;

		if (!OidIsValid(d->canon.classId))
			refuse_dependent(o, &d->raw, "migrate does not track that object, so it never drops it.");
		k = migrate_image_kind(&d->canon);
		if (k && (strcmp(k, "index") == 0 || strcmp(k, "table constraint") == 0))
			continue;
		y = dependent_object(p, &d->canon);
		if (y == NULL)
			refuse_unmanaged(o, &d->canon);
		if (y == o)
			continue;
		if (!y->dropping)
		{
			if (!y->planned && !plan_is_managed(y->id))
				refuse_unmanaged(o, &d->canon);
			if (is_kind(y, "table column") && !img_is_null(y->live_img, "generated") && y->target)
				plan_rebuild(p, y);
			else if (is_kind(y, "table column") || is_kind(y, "table"))
				refuse_dependent(o, &d->canon, "It holds data, which the revert does not drop to make way for another change.");
			else if (y->target != NULL)
				plan_rebuild(p, y);
			else
				drop_before(p, y, before, &d->canon, o);
		}
		if (y->first != NULL)
			plan_after(before, y->first);
		y->wait_for = lappend(y->wait_for, after);
	}
}

/* ------------------------------------------------------------------------
 * Phase 1: drops of what did not exist at the boundary
 * ------------------------------------------------------------------------
 */
static char *
column_ident(Jsonb *img)
{
	return psprintf("%s.%s", img_text(img, "table"), quote_identifier(img_text(img, "name")));
}

/* does o go away with something else the plan drops? */
static bool
goes_with_other(Planner *p, RObj *o)
{
	RObj	   *parent = plan_parent(p, o);
	char	   *of;
	ListCell   *lc;

	if (parent != NULL && parent->dropping)
		return true;
	if (o->live_img == NULL)
		return false;
	/* a partition goes with its partitioned table */
	of = img_text(o->live_img, "partition_of");
	if (of != NULL)
	{
		foreach(lc, p->seg->order)
		{
			RObj	   *t = lfirst(lc);

			if (t->dropping && is_kind(t, "table") && t->live_img != NULL &&
				strcmp(img_qualified(t->live_img), of) == 0)
				return true;
		}
	}
	/* an owned sequence goes with its column or table */
	of = is_kind(o, "sequence") ? img_text(o->live_img, "owned_by") : NULL;
	if (of != NULL)
	{
		foreach(lc, p->seg->order)
		{
			RObj	   *t = lfirst(lc);
			char	   *id;

			if (!t->dropping || t->live_img == NULL)
				continue;
			if (is_kind(t, "table column"))
			{
				if (strcmp(column_ident(t->live_img), of) == 0)
					return true;
			}
			else if (is_kind(t, "table"))
			{
				id = img_qualified(t->live_img);
				if (strncmp(of, id, strlen(id)) == 0 && of[strlen(id)] == '.')
					return true;
			}
		}
	}
	return false;
}

/*
 * Plan the drops; when tables to drop reference each other, a second
 * attempt drops the foreign keys between them first.
 */
static List *
plan_drops(Planner *p)
{
	ListCell   *lc;
	List	   *drops = NIL;
	bool		changed;

	p->steps = NIL;
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);

		o->first = o->last = o->ready = o->create_first = NULL;
		o->dropping = o->implied = false;
		if (o->planned && o->live_img != NULL && o->target == NULL && !late_kind(o))
			o->dropping = true;
	}
	/* parts of what goes go with it */
	do
	{
		changed = false;
		foreach(lc, p->seg->order)
		{
			RObj	   *o = lfirst(lc);

			if (o->dropping && !o->implied &&
				(goes_with_other(p, o) || diff_is_derived(o, o->live_img)))
			{
				o->implied = true;
				changed = true;
			}
		}
	} while (changed);
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);

		if (o->dropping && !o->implied)
			drops = lappend(drops, diff_drop(p, o, diff_drop_priority(o), true));
	}
	/* what depends on them goes first */
	foreach(lc, drops)
	{
		Step	   *s = lfirst(lc);

		handle_dependents(p, s->obj, s);
	}
	return p->steps;
}

static void
phase_drops(Planner *p)
{
	List	   *order;
	bool		cycle = false;

	p->phase = 1;
	p->split_fkeys = false;
	order = plan_toposort_try(plan_drops(p), &cycle);
	if (cycle)
	{
		p->split_fkeys = true;
		order = plan_toposort(plan_drops(p));
	}
	exec_steps(p->rv, p->seg, order, true);
	p->steps = NIL;
}

/* ------------------------------------------------------------------------
 * Phase 2: renames
 * ------------------------------------------------------------------------
 */
typedef enum NameScope
{
	SCOPE_SCHEMA,				/* schema names */
	SCOPE_RELATION,				/* relations and types in a schema */
	SCOPE_ROUTINE,				/* routines in a schema, by signature */
	SCOPE_COLUMN,				/* columns of a table */
	SCOPE_CONSTRAINT,			/* constraints of a table or domain */
	SCOPE_TRIGGER,				/* triggers of a table */
	SCOPE_NONE
} NameScope;

static NameScope
scope_of(RObj *o)
{
	if (is_kind(o, "schema"))
		return SCOPE_SCHEMA;
	if (is_kind(o, "table") || is_kind(o, "view") || is_kind(o, "materialized view") ||
		is_kind(o, "sequence") || is_kind(o, "index") || is_kind(o, "enum") ||
		is_kind(o, "domain") || is_kind(o, "composite type"))
		return SCOPE_RELATION;
	if (is_kind(o, "function") || is_kind(o, "procedure"))
		return SCOPE_ROUTINE;
	if (is_kind(o, "table column"))
		return SCOPE_COLUMN;
	if (is_kind(o, "table constraint") || is_kind(o, "domain constraint"))
		return SCOPE_CONSTRAINT;
	if (is_kind(o, "trigger"))
		return SCOPE_TRIGGER;
	return SCOPE_NONE;
}

/* the container a name is unique in, from an image */
static char *
scope_key(RObj *o, Jsonb *img)
{
	switch (scope_of(o))
	{
		case SCOPE_SCHEMA:
			return pstrdup("");
		case SCOPE_RELATION:
			return img_text(img, "schema");
		case SCOPE_ROUTINE:
			return psprintf("%s(%s)", img_text(img, "schema"), img_text(img, "arguments"));
		case SCOPE_COLUMN:
		case SCOPE_TRIGGER:
			return img_text(img, "table");
		case SCOPE_CONSTRAINT:
			return img_text(img, "table") ? img_text(img, "table") : img_text(img, "domain");
		default:
			return NULL;
	}
}

/*
 * The live object of the segment that has `name` in the scope img gives
 * for o; NULL when the name is free, or held by an object outside the
 * segment (*foreign).
 */
static RObj *
name_holder(Planner *p, RObj *o, Jsonb *img, const char *name, bool *foreign)
{
	char	   *key = scope_key(o, img);
	NameScope	sc = scope_of(o);
	ListCell   *lc;
	Oid			nsp;

	*foreign = false;
	foreach(lc, p->seg->order)
	{
		RObj	   *y = lfirst(lc);
		char	   *ykey;
		char	   *yname;

		if (y == o || y->live_img == NULL || scope_of(y) != sc)
			continue;
		ykey = scope_key(y, y->live_img);
		yname = img_text(y->live_img, "name");
		if (ykey && key && yname && strcmp(ykey, key) == 0 && strcmp(yname, name) == 0)
			return y;
	}
	switch (sc)
	{
		case SCOPE_SCHEMA:
			*foreign = OidIsValid(get_namespace_oid(name, true));
			break;
		case SCOPE_RELATION:
			nsp = key ? get_namespace_oid(key, true) : InvalidOid;
			if (OidIsValid(nsp))
				*foreign = OidIsValid(get_relname_relid(name, nsp)) ||
					OidIsValid(GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											   CStringGetDatum(name), ObjectIdGetDatum(nsp)));
			break;
		default:
			break;
	}
	return NULL;
}

static void
reimage(RObj *o)
{
	int			nest;

	CommandCounterIncrement();
	nest = migrate_image_enter();
	o->live_img = migrate_image_object(&o->live);
	migrate_image_leave(nest);
}

/* run one step of phase 2 now */
static void
run_now(Planner *p, RObj *o, char *sql)
{
	Step	   *s = plan_step(p, 0, o, sql);

	exec_steps(p->rv, p->seg, list_make1(s), true);
	p->steps = NIL;
	o->first = o->last = NULL;
	reimage(o);
}

/* give o (live) a temporary name */
static void
park(Planner *p, RObj *o)
{
	run_now(p, o, ddl_rename(o, o->live_img,
							 revert_temp_name(p->rv, img_text(o->live_img, "name"))));
}

/* make name free in the scope img gives for o, parking what holds it */
static void
free_name(Planner *p, RObj *o, Jsonb *img, const char *name, List *pending)
{
	bool		foreign;
	RObj	   *y = name_holder(p, o, img, name, &foreign);

	if (foreign)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("cannot revert %s \"%s\": the name \"%s\" is taken by an object no migration created",
						o->kind, o->identity, name),
				 errhint("Rename or drop that object by hand, then run the revert again.")));
	if (y == NULL)
		return;
	if (list_member_ptr(pending, y))
	{
		park(p, y);
		return;
	}
	if (y->target == NULL || y->parked)
	{
		park(p, y);
		y->parked = true;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("cannot revert %s \"%s\": %s \"%s\" has the name \"%s\" it needs",
					o->kind, o->identity, y->kind, y->identity, name),
			 errhint("Revert these versions with a hand-written down section.")));
}

static bool
in_schema_scope(RObj *o)
{
	return scope_of(o) == SCOPE_RELATION || scope_of(o) == SCOPE_ROUTINE;
}

static bool
needs_rename(RObj *o)
{
	if (o->live_img == NULL || o->target == NULL || scope_of(o) == SCOPE_NONE || o->parked)
		return false;
	if (!streq_null(img_text(o->live_img, "name"), img_text(o->target, "name")))
		return true;
	return in_schema_scope(o) && !is_kind(o, "index") &&
		!streq_null(img_text(o->live_img, "schema"), img_text(o->target, "schema"));
}

static void
rename_one(Planner *p, RObj *o, List *pending)
{
	char	   *tname = img_text(o->target, "name");
	char	   *tschema = img_text(o->target, "schema");

	if (!streq_null(img_text(o->live_img, "name"), tname))
	{
		free_name(p, o, o->live_img, tname, pending);
		run_now(p, o, ddl_rename(o, o->live_img, tname));
	}
	if (in_schema_scope(o) && !is_kind(o, "index") &&
		!streq_null(img_text(o->live_img, "schema"), tschema))
	{
		free_name(p, o, o->target, tname, pending);
		run_now(p, o, ddl_set_schema(o, o->live_img, tschema));
	}
}

static int
rename_level(NameScope sc)
{
	switch (sc)
	{
		case SCOPE_SCHEMA:
			return 0;
		case SCOPE_RELATION:
		case SCOPE_ROUTINE:
			return 1;
		default:
			return 2;
	}
}

/*
 * A type that cannot be changed in place (an enum losing labels) is
 * renamed out of the way: phase 3 creates it again and converts what uses
 * it, phase 4 drops the old one.  What uses it joins the plan.
 */
static void
park_for_rebuild(Planner *p, RObj *o)
{
	ListCell   *lc;

	park(p, o);
	o->parked = true;
	foreach(lc, live_dependents(&o->live))
	{
		LiveDep    *d = lfirst(lc);
		RObj	   *y;

		if (!OidIsValid(d->canon.classId))
			refuse_dependent(o, &d->raw, "migrate does not track that object, so it never changes it.");
		y = dependent_object(p, &d->canon);
		if (y == NULL || (!y->planned && !plan_is_managed(y->id)))
			refuse_unmanaged(o, &d->canon);
		if (y->target == NULL)
			continue;
		y->planned = true;
	}
}

static void
phase_renames(Planner *p)
{
	ListCell   *lc;

	p->phase = 2;
	for (int level = 0; level <= 2; level++)
	{
		List	   *pending = NIL;

		refresh_live(p);
		foreach(lc, p->seg->order)
		{
			RObj	   *o = lfirst(lc);

			if (o->planned && !o->dropping && needs_rename(o) &&
				rename_level(scope_of(o)) == level)
				pending = lappend(pending, o);
		}
		while (pending != NIL)
		{
			RObj	   *o = linitial(pending);

			pending = list_delete_first(pending);
			rename_one(p, o, pending);
		}
	}
	refresh_live(p);
	/* types rebuilt under their own name */
	for (int i = 0; i < list_length(p->seg->order); i++)
	{
		RObj	   *o = list_nth(p->seg->order, i);

		if (o->planned && !o->dropping && !o->parked && diff_needs_park(o))
			park_for_rebuild(p, o);
	}
	/* names phase 3 creates must be free: park what holds them */
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);

		if (o->target != NULL && (o->live_img == NULL || o->parked) &&
			(scope_of(o) == SCOPE_SCHEMA || in_schema_scope(o)) && !is_kind(o, "index"))
			free_name(p, o, o->target, img_text(o->target, "name"), NIL);
	}
}

/* ------------------------------------------------------------------------
 * Phases 3 and 4
 * ------------------------------------------------------------------------
 */

/* first non-drop step and "ready" step of every object */
static void
mark_ready(Planner *p)
{
	ListCell   *lc;

	foreach(lc, p->steps)
	{
		Step	   *s = lfirst(lc);

		if (s->obj == NULL || s->sql == NULL || s->is_drop)
			continue;
		if (s->obj->create_first == NULL)
			s->obj->create_first = s;
		if (!s->decoration)
			s->obj->ready = s;
	}
}

/* edges from the recorded dependencies of target images */
static void
target_edges(Planner *p)
{
	ListCell   *lc;

	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);
		ListCell   *lc2;
		RObj	   *parent;

		if (o->create_first == NULL)
			continue;
		foreach(lc2, o->target_deps)
		{
			RObj	   *d = plan_object(p->seg, *(int64 *) lfirst(lc2));

			if (d == NULL || d == o || d->ready == NULL)
				continue;

			/*
			 * a sequence's owner column comes later (OWNED BY is a
			 * decoration)
			 */
			if (is_kind(o, "sequence") && (is_kind(d, "table column") || is_kind(d, "table")))
				continue;
			plan_after(o->create_first, d->ready);
		}
		/* the parts of an object created (or rebuilt) here follow it */
		parent = plan_parent(p, o);
		if (parent != NULL && parent->ready != NULL && parent->ready != o->create_first &&
			(parent->created || parent->rebuilt))
			plan_after(o->create_first, parent->ready);
		/* a table is attached as a partition once its columns are right */
		if (parent != NULL && parent->attach != NULL && o->last != NULL)
			plan_after(parent->attach, o->last);
		foreach(lc2, o->wait_for)
			plan_after(o->create_first, lfirst(lc2));
	}
}

/* drops: dependents first, from the live catalog */
static void
drop_edges(Planner *p)
{
	ListCell   *lc;
	List	   *drops = NIL;

	foreach(lc, p->steps)
	{
		Step	   *s = lfirst(lc);

		if (s->is_drop)
			drops = lappend(drops, s);
	}
	foreach(lc, drops)
	{
		Step	   *x = lfirst(lc);
		ListCell   *lc2;

		if (!OidIsValid(x->obj->live.classId))
			continue;
		foreach(lc2, live_dependents(&x->obj->live))
		{
			LiveDep    *d = lfirst(lc2);
			RObj	   *y = OidIsValid(d->canon.classId) ? plan_object_at(p, &d->canon) : NULL;
			ListCell   *lc3;

			if (y == NULL)
				continue;
			foreach(lc3, drops)
			{
				Step	   *ys = lfirst(lc3);

				if (ys->obj == y)
					plan_after(x, ys);
			}
		}
	}
}

static void
phase_reconcile(Planner *p, bool execute)
{
	List	   *late = NIL;
	ListCell   *lc;

	p->phase = 3;
	p->steps = NIL;
	refresh_live(p);
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);

		o->first = o->last = o->ready = o->create_first = NULL;
		o->attach = NULL;
		o->created = false;
		o->wait_for = NIL;
		if (o->live_img != NULL && !o->parked)
			o->dropping = false;
	}
	/* alters and rebuilds of what exists in both states */
	for (int i = 0; i < list_length(p->seg->order); i++)
	{
		RObj	   *o = list_nth(p->seg->order, i);

		if (o->dropping || o->parked || o->live_img == NULL || o->target == NULL)
			continue;
		if (img_equal(img_normalize(o->live_img), img_normalize(o->target)))
			continue;
		if (!o->planned)
		{
			RObj	   *par = o->parent ? plan_object(p->seg, o->parent) : NULL;

			/*
			 * GRANT on columns records their table: a column of a planned
			 * table whose privileges alone differ gets them back.
			 */
			if (par == NULL || !par->planned || !is_kind(o, "table column") ||
				!img_equal(img_without_acl(img_normalize(o->live_img)),
						   img_without_acl(img_normalize(o->target))))
				continue;
		}
		diff_object(p, o);
	}
	/* creates, including what is rebuilt */
	for (int i = 0; i < list_length(p->seg->order); i++)
	{
		RObj	   *o = list_nth(p->seg->order, i);

		if (o->target == NULL || o->created)
			continue;
		if (o->live_img != NULL && !o->dropping && !o->parked)
			continue;
		if (!o->planned && !o->rebuilt)
		{
			RObj	   *par = o->parent ? plan_object(p->seg, o->parent) : NULL;

			/* the parts of a rebuilt or re-created object come back with it */
			if (par == NULL || par->target == NULL ||
				!(par->rebuilt || par->live_img == NULL || par->dropping))
				continue;
		}
		diff_create(p, o);
	}
	/* columns a partition inherits, made with it or with the parent's column */
	foreach(lc, p->seg->order)
	{
		RObj	   *o = lfirst(lc);
		RObj	   *par;

		if (!o->created || !is_kind(o, "table column") || !diff_is_derived(o, o->target))
			continue;
		par = plan_parent(p, o);
		if (o->live_img == NULL || (par != NULL && par->created))
			diff_derived_column_created(p, o);
	}
	mark_ready(p);
	/* phase 4: drops of what did not exist at the boundary */
	p->phase = 4;
	for (int i = 0; i < list_length(p->seg->order); i++)
	{
		RObj	   *o = list_nth(p->seg->order, i);

		if (o->live_img == NULL || o->dropping)
			continue;
		if (!(o->parked || (o->planned && o->target == NULL)))
			continue;
		if (goes_with_other(p, o) || diff_is_derived(o, o->live_img))
			continue;
		late = lappend(late, diff_drop(p, o, 300 + diff_drop_priority(o), true));
	}
	foreach(lc, late)
	{
		Step	   *s = lfirst(lc);

		handle_dependents(p, s->obj, s);
	}
	mark_ready(p);
	target_edges(p);
	drop_edges(p);
	exec_steps(p->rv, p->seg, plan_toposort(p->steps), execute);
}

/*
 * Plan the segment, running phases 1 and 2; phases 3 and 4 run when
 * `execute`, and are only planned (their checks run) otherwise.
 */
void
plan_run_segment(Revert *rv, Segment *seg, bool execute)
{
	Planner		p;

	memset(&p, 0, sizeof(p));
	p.rv = rv;
	p.seg = seg;
	p.current_user = GetUserNameFromId(GetUserId(), false);
	refresh_live(&p);
	phase_drops(&p);
	if (rv->stopped)
		return;
	phase_renames(&p);
	phase_reconcile(&p, execute);
}
