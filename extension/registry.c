/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Batched access to the object registry (see registry.h).
 *
 * One unit of history touches and images tens of objects; asking the
 * registry about each one separately costs an executor start per query.
 * A batch resolves them all with one lookup, one insert and, when needed,
 * one update of parents and one of identities.
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
	e = hash_search(b->index, &key, HASH_ENTER, &found);
	e->pos = b->n;
	return b->n++;
}

/* arrays of the addresses of entries[from..n) */
static void
address_arrays(RegBatch *b, int from, Datum *classids, Datum *objids, Datum *subids)
{
	int			n = b->n - from;
	Datum	   *c = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *o = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *s = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		c[i] = ObjectIdGetDatum(b->items[from + i].addr.classId);
		o[i] = ObjectIdGetDatum(b->items[from + i].addr.objectId);
		s[i] = Int32GetDatum(b->items[from + i].addr.objectSubId);
	}
	*classids = PointerGetDatum(migrate_array(c, NULL, n, OIDOID));
	*objids = PointerGetDatum(migrate_array(o, NULL, n, OIDOID));
	*subids = PointerGetDatum(migrate_array(s, NULL, n, INT4OID));
}

static void
mark_stale(int64 id, int64 unit)
{
	static MigrateQuery q = {
		"UPDATE migrate.objects SET dropped_unit = $2 WHERE id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, INT8OID}
	};
	Datum		v[2] = {Int64GetDatum(id), Int64GetDatum(unit)};
	char		nulls[2] = {' ', unit ? ' ' : 'n'};

	mq_exec(&q, v, nulls, false, 0);
}

void
regbatch_resolve(RegBatch *b, int64 unit)
{
	/* one index probe per address (LIMIT 1 keeps the planner from joining
	 * the whole registry) */
	static MigrateQuery lookup = {
		"SELECT o.id, x.ord::pg_catalog.int4, o.kind, o.identity"
		" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]),"
		"   pg_catalog.unnest($2::pg_catalog.oid[]), pg_catalog.unnest($3::pg_catalog.int4[]))"
		"   WITH ORDINALITY x(classid, objid, objsubid, ord)"
		" CROSS JOIN LATERAL (SELECT r.id, r.kind, r.identity FROM migrate.objects r"
		"   WHERE r.classid OPERATOR(pg_catalog.=) x.classid AND r.objid OPERATOR(pg_catalog.=) x.objid"
		"   AND r.objsubid OPERATOR(pg_catalog.=) x.objsubid AND r.dropped_unit IS NULL LIMIT 1) o",
		3, {OIDARRAYOID, OIDARRAYOID, INT4ARRAYOID}
	};
	static MigrateQuery insert = {
		"INSERT INTO migrate.objects (classid, objid, objsubid, kind, identity, parent, created_unit)"
		" SELECT x.classid, x.objid, x.objsubid, x.kind, x.identity, x.parent, $7"
		" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]),"
		"   pg_catalog.unnest($2::pg_catalog.oid[]), pg_catalog.unnest($3::pg_catalog.int4[]),"
		"   pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.text[]),"
		"   pg_catalog.unnest($6::pg_catalog.int8[]))"
		"   x(classid, objid, objsubid, kind, identity, parent)"
		" RETURNING id, classid, objid, objsubid",
		7, {OIDARRAYOID, OIDARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8OID}
	};
	static MigrateQuery rename = {
		"UPDATE migrate.objects SET identity = $2 WHERE id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, TEXTOID}
	};
	Datum		v[7];
	char		nulls[7] = "       ";
	int			nren = 0;
	Datum	   *ren_ids;
	Datum	   *ren_names;

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

	address_arrays(b, 0, &v[0], &v[1], &v[2]);
	mq_exec(&lookup, v, NULL, true, 0);
	ren_ids = palloc(sizeof(Datum) * b->n);
	ren_names = palloc(sizeof(Datum) * b->n);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		int64		id = mq_int64(r, 1, 0);
		int			pos = (int) mq_int64(r, 2, 0) - 1;
		char	   *kind = mq_text(r, 3);
		char	   *identity = mq_text(r, 4);
		RegEntry   *e = &b->items[pos];

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
		{
			ren_ids[nren] = Int64GetDatum(id);
			ren_names[nren] = CStringGetTextDatum(e->identity);
			nren++;
		}
	}

	/*
	 * Insert the missing ones, parents before their sub-objects so that
	 * every row is written once, with its parent (a parent is always a
	 * top-level object, so two passes do).
	 */
	for (int pass = 0; pass < 3; pass++)
	{
		Datum	   *c = palloc(sizeof(Datum) * b->n);
		Datum	   *o = palloc(sizeof(Datum) * b->n);
		Datum	   *sub = palloc(sizeof(Datum) * b->n);
		Datum	   *k = palloc(sizeof(Datum) * b->n);
		Datum	   *t = palloc(sizeof(Datum) * b->n);
		Datum	   *par = palloc(sizeof(Datum) * b->n);
		bool	   *parnull = palloc(sizeof(bool) * b->n);
		int			nmissing = 0;

		for (int i = 0; i < b->n; i++)
		{
			RegEntry   *e = &b->items[i];

			if (e->id != 0)
				continue;
			if (e->parent >= 0 && b->items[e->parent].id == 0)
				continue;		/* next pass */
			c[nmissing] = ObjectIdGetDatum(e->addr.classId);
			o[nmissing] = ObjectIdGetDatum(e->addr.objectId);
			sub[nmissing] = Int32GetDatum(e->addr.objectSubId);
			k[nmissing] = CStringGetTextDatum(e->kind);
			t[nmissing] = CStringGetTextDatum(e->identity);
			parnull[nmissing] = e->parent < 0;
			par[nmissing] = e->parent >= 0 ? Int64GetDatum(b->items[e->parent].id) : (Datum) 0;
			nmissing++;
		}
		if (nmissing == 0)
			break;
		v[0] = PointerGetDatum(migrate_array(c, NULL, nmissing, OIDOID));
		v[1] = PointerGetDatum(migrate_array(o, NULL, nmissing, OIDOID));
		v[2] = PointerGetDatum(migrate_array(sub, NULL, nmissing, INT4OID));
		v[3] = PointerGetDatum(migrate_array(k, NULL, nmissing, TEXTOID));
		v[4] = PointerGetDatum(migrate_array(t, NULL, nmissing, TEXTOID));
		v[5] = PointerGetDatum(migrate_array(par, parnull, nmissing, INT8OID));
		if (unit)
			v[6] = Int64GetDatum(unit);
		else
			nulls[6] = 'n';
		mq_exec(&insert, v, nulls, false, 0);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			ObjectAddress a;
			int			pos;

			a.classId = (Oid) mq_int64(r, 2, 0);
			a.objectId = (Oid) mq_int64(r, 3, 0);
			a.objectSubId = (int32) mq_int64(r, 4, 0);
			pos = regbatch_find(b, &a);
			if (pos >= 0)
			{
				b->items[pos].id = mq_int64(r, 1, 0);
				b->items[pos].created = true;
			}
		}
	}

	/* renames are rare: one probe each */
	for (int i = 0; i < nren; i++)
	{
		Datum		rv[2] = {ren_ids[i], ren_names[i]};

		mq_exec(&rename, rv, NULL, false, 0);
	}
}
