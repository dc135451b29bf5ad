/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Batched access to the object registry (see registry.h).
 *
 * One unit of history touches and images tens of objects.  A batch
 * resolves them together: parents are added first, every address is
 * looked up with one probe of the partial unique index on live rows
 * (objects_live_key), and the missing rows are written directly (util.h),
 * parents before their sub-objects, their ids drawn from the table's
 * identity in the order the rows are written.  The rare corrections (an
 * OID reused by an object of another kind, a renamed object) are SPI
 * statements run as the extension owner.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "history.h"
#include "image.h"
#include "registry.h"
#include "util.h"

typedef struct RegKey
{
	Oid			classId;
	Oid			objectId;
	int32		subId;
} RegKey;

typedef struct RegIndexEntry
{
	RegKey		key;
	int			pos;
} RegIndexEntry;

static void
reg_key(RegKey *k, const ObjectAddress *a)
{
	memset(k, 0, sizeof(*k));
	k->classId = a->classId;
	k->objectId = a->objectId;
	k->subId = a->objectSubId;
}

void
regbatch_init(RegBatch *b)
{
	HASHCTL		ctl;

	b->n = 0;
	b->cap = 32;
	b->items = palloc(sizeof(RegEntry) * b->cap);
	ctl.keysize = sizeof(RegKey);
	ctl.entrysize = sizeof(RegIndexEntry);
	ctl.hcxt = CurrentMemoryContext;
	b->index = hash_create("migrate registry batch", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

int
regbatch_find(RegBatch *b, const ObjectAddress *addr)
{
	RegKey		key;
	RegIndexEntry *e;

	reg_key(&key, addr);
	e = hash_search(b->index, &key, HASH_FIND, NULL);
	return e ? e->pos : -1;
}

int
regbatch_add(RegBatch *b, const ObjectAddress *addr, const char *kind, char *identity)
{
	RegKey		key;
	RegIndexEntry *e;
	bool		found;
	RegEntry   *r;

	reg_key(&key, addr);
	e = hash_search(b->index, &key, HASH_FIND, NULL);
	if (e)
		return e->pos;
	if (kind == NULL)
		kind = migrate_image_kind(addr);
	if (kind == NULL)
		return -1;
	if (identity == NULL)
		identity = migrate_image_identity(addr);
	if (identity == NULL)
		return -1;
	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->items = repalloc(b->items, sizeof(RegEntry) * b->cap);
	}
	r = &b->items[b->n];
	r->addr = *addr;
	r->kind = kind;
	r->identity = identity;
	r->parent = -1;
	r->id = 0;
	r->created = false;
	r->pending_id = 0;
	e = hash_search(b->index, &key, HASH_ENTER, &found);
	e->pos = b->n;
	return b->n++;
}

/* rare: a registry row whose OID was reused by an object of another kind */
static void
mark_stale(int64 id, int64 unit)
{
	static MigrateQuery q = {
		"UPDATE migrate.objects SET dropped_unit = $2 WHERE id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, INT8OID}
	};
	Datum		v[2] = {Int64GetDatum(id), Int64GetDatum(unit)};
	char		nulls[2] = {' ', unit ? ' ' : 'n'};
	OwnerSwitch sw;

	migrate_become_owner(&sw);
	mq_exec(&q, v, nulls, false, 0);
	migrate_restore_user(&sw);
}

/* rare: the object was renamed since the registry last saw it */
static void
rename_entry(int64 id, const char *identity)
{
	static MigrateQuery q = {
		"UPDATE migrate.objects SET identity = $2 WHERE id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, TEXTOID}
	};
	Datum		v[2] = {Int64GetDatum(id), CStringGetTextDatum(identity)};
	OwnerSwitch sw;

	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, false, 0);
	migrate_restore_user(&sw);
}

/* columns of migrate.objects */
#define OBJ_ID			1
#define OBJ_CLASSID		2
#define OBJ_OBJID		3
#define OBJ_OBJSUBID	4
#define OBJ_KIND		5
#define OBJ_IDENTITY	6
#define OBJ_PARENT		7
#define OBJ_CREATED		8
#define OBJ_DROPPED		9
#define OBJ_NATTS		9

/*
 * The live registry row of each entry: one probe of objects_live_key per
 * address, as the query "... WHERE (classid, objid, objsubid) = ... AND
 * dropped_unit IS NULL LIMIT 1" does.  Entries whose row has another kind
 * (the OID was reused after a drop migrate did not see) get the row marked
 * dropped, and stay unresolved; renamed ones are renamed afterwards.
 */
static void
lookup_entries(RegBatch *b, Relation objects, int64 unit, int *nren, int *ren)
{
	static const Oid keytypes[3] = {OIDOID, OIDOID, INT4OID};

	book_snapshot_push();
	for (int i = 0; i < b->n; i++)
	{
		RegEntry   *e = &b->items[i];
		Datum		keys[3];
		BookScan	scan;
		bool		found = false;
		int64		id = 0;
		char	   *kind = NULL;
		char	   *identity = NULL;

		keys[0] = ObjectIdGetDatum(e->addr.classId);
		keys[1] = ObjectIdGetDatum(e->addr.objectId);
		keys[2] = Int32GetDatum(e->addr.objectSubId);
		book_scan_begin(&scan, objects, "objects_live_key", 3, keytypes, keys, false);
		while (book_scan_next(&scan))
		{
			bool		isnull;

			(void) book_scan_get(&scan, OBJ_DROPPED, &isnull);
			if (!isnull)
				continue;
			id = DatumGetInt64(book_scan_get(&scan, OBJ_ID, &isnull));
			kind = TextDatumGetCString(book_scan_get(&scan, OBJ_KIND, &isnull));
			identity = TextDatumGetCString(book_scan_get(&scan, OBJ_IDENTITY, &isnull));
			found = true;
			break;
		}
		book_scan_end(&scan);
		if (!found)
			continue;
		if (strcmp(kind, e->kind) != 0)
		{
			/* the OID was reused after a drop migrate did not see */
			mark_stale(id, unit);
			if (unit != 0)
				migrate_unit_note_dropped(id);
			continue;
		}
		e->id = id;
		if (strcmp(identity, e->identity) != 0)
			ren[(*nren)++] = i;
	}
	book_snapshot_pop();
}

void
regbatch_resolve(RegBatch *b, int64 unit)
{
	BookRel		objects;
	int			nren = 0;
	int		   *ren;

	if (b->n == 0)
		return;

	/* parents first: they may add entries, which need parents too */
	for (int i = 0; i < b->n; i++)
	{
		ObjectAddress parent = migrate_image_parent(&b->items[i].addr);

		if (OidIsValid(parent.classId))
		{
			int			pos = regbatch_add(b, &parent, NULL, NULL);

			b->items[i].parent = pos;	/* regbatch_add may move items */
		}
	}

	ren = palloc(sizeof(int) * b->n);
	book_open(&objects, "objects");
	lookup_entries(b, objects.rel, unit, &nren, ren);

	/*
	 * Insert the missing ones, parents before their sub-objects so that every
	 * row is written once, with its parent (a parent is always a top-level
	 * object, so two passes do).  Ids come from the table's identity in the
	 * order the rows are written.
	 */
	for (int pass = 0; pass < 3; pass++)
	{
		bool		any = false;

		for (int i = 0; i < b->n; i++)
		{
			RegEntry   *e = &b->items[i];
			Datum		values[OBJ_NATTS];
			bool		nulls[OBJ_NATTS];

			if (e->id != 0)
				continue;
			if (e->parent >= 0 && b->items[e->parent].id == 0)
				continue;		/* next pass */
			if (e->created)
				continue;		/* written earlier in this pass */
			memset(nulls, 0, sizeof(nulls));
			values[OBJ_ID - 1] = Int64GetDatum(book_nextval(&objects));
			values[OBJ_CLASSID - 1] = ObjectIdGetDatum(e->addr.classId);
			values[OBJ_OBJID - 1] = ObjectIdGetDatum(e->addr.objectId);
			values[OBJ_OBJSUBID - 1] = Int32GetDatum(e->addr.objectSubId);
			values[OBJ_KIND - 1] = CStringGetTextDatum(e->kind);
			values[OBJ_IDENTITY - 1] = CStringGetTextDatum(e->identity);
			if (e->parent >= 0)
				values[OBJ_PARENT - 1] = Int64GetDatum(b->items[e->parent].id);
			else
				nulls[OBJ_PARENT - 1] = true;
			if (unit)
				values[OBJ_CREATED - 1] = Int64GetDatum(unit);
			else
				nulls[OBJ_CREATED - 1] = true;
			nulls[OBJ_DROPPED - 1] = true;
			e->created = true;
			e->pending_id = DatumGetInt64(values[OBJ_ID - 1]);
			book_insert(&objects, values, nulls);
			any = true;
		}
		if (!any)
			break;
		/* rows of this pass are parents of the next one */
		for (int i = 0; i < b->n; i++)
			if (b->items[i].created && b->items[i].id == 0)
				b->items[i].id = b->items[i].pending_id;
	}
	book_close(&objects);

	/* renames are rare: one statement each */
	for (int i = 0; i < nren; i++)
		rename_entry(b->items[ren[i]].id, b->items[ren[i]].identity);
}
