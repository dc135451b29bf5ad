/*-------------------------------------------------------------------------
 *
 * image.h
 *	  Canonical images of schema objects, read from the live catalog.
 *
 * An image is a jsonb document describing one object by name only (no
 * OIDs), produced with an empty search_path so that every reference to a
 * user object is schema-qualified.  The same code reads the state recorded
 * after every unit of history, the live state a revert is planned from,
 * and the state a revert verifies after executing: two images are equal
 * exactly when the objects are equal as far as migrate knows.  The format
 * of each kind is documented in docs/postgres.md ("Image format").
 *
 * Object addresses: migrate tracks objects at a canonical address
 * (migrate_image_canonical): a column is (pg_class, table, attnum), the
 * index that backs a constraint is the constraint, a default is its column,
 * a composite type is its pg_type row, an identity sequence is its column,
 * an extension member is its extension, and so on.  Internal parts (TOAST
 * tables, array types, row types, _RETURN rules, internal triggers) are not
 * tracked on their own.
 *
 * None of these functions takes locks on relations, except that
 * pg_get_viewdef takes AccessShareLock on the relations a view reads.
 * They run in the caller's memory context and allocate freely there.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/image.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_IMAGE_H
#define MIGRATE_IMAGE_H

#include "catalog/objectaddress.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* A dependency of an imaged object on another tracked object. */
typedef struct ImageDependency
{
	ObjectAddress ref;			/* canonical address of the referenced object */
	char		deptype;		/* pg_depend.deptype: 'n', 'a', ... */
} ImageDependency;

/*
 * Map an address reported by PostgreSQL (event triggers, pg_depend) to the
 * object migrate tracks.  Returns false when the object is not tracked:
 * system objects, temporary objects, objects in the migrate schema or in
 * pg_toast, and internal parts of other objects.  Works only for objects
 * that still exist (the catalog is read).
 */
extern bool migrate_image_canonical(const ObjectAddress *addr, ObjectAddress *out);

/*
 * Kind of a canonical object: "schema", "table", "table column",
 * "table constraint", "domain constraint", "index", "sequence", "view",
 * "materialized view", "function", "procedure", "trigger", "enum",
 * "domain", "composite type", "extension", or for kinds migrate does not
 * image, the name PostgreSQL gives them ("aggregate", "policy", "rule",
 * "range type", ...).  NULL when the object does not exist.
 */
extern const char *migrate_image_kind(const ObjectAddress *addr);

/* Is this kind imaged (true) or only recorded as touched (false)? */
extern bool migrate_image_kind_supported(const char *kind);

/* Identity as pg_identify_object() gives it; NULL when the object is gone. */
extern char *migrate_image_identity(const ObjectAddress *addr);

/*
 * The image of one canonical object, or NULL when the object does not exist
 * or its kind is not imaged.  Sets search_path to '' for the duration when
 * the caller has not already done so (see migrate_image_enter).
 */
extern Jsonb *migrate_image_object(const ObjectAddress *addr);

/*
 * The image text hash used as the key of migrate.definitions: hex SHA-256
 * of the jsonb's canonical text output.
 */
extern char *migrate_image_hash(Jsonb *image);

/*
 * Run a batch of migrate_image_object calls under the fixed settings images
 * are read with (empty search_path, ISO dates, UTC, ...) and a snapshot
 * that sees the transaction's own changes: enter returns a GUC nest level
 * to pass to leave.  migrate_image_object enters by itself when called
 * outside a batch.
 */
extern int	migrate_image_enter(void);
extern void migrate_image_leave(int nestlevel);

/* register the callbacks that reset the batch state on abort (_PG_init) */
extern void migrate_image_init(void);

/*
 * The object a sub-object belongs to: a column, table constraint, index or
 * trigger belongs to its relation, a domain constraint to its domain.
 * InvalidObjectId in classId for top-level objects.
 */
extern ObjectAddress migrate_image_parent(const ObjectAddress *addr);

/*
 * Sub-objects that are imaged with an object: a table's columns,
 * constraints, indexes, triggers, owned (serial) sequences; a view's
 * triggers; a materialized view's indexes; a domain's constraints.
 * Partitions and inheritance children are listed separately
 * (migrate_image_children).  Canonical addresses, palloc'd.
 */
extern List *migrate_image_subobjects(const ObjectAddress *addr);

/* Partitions and inheritance children of a relation (direct ones). */
extern List *migrate_image_children(const ObjectAddress *addr);

/*
 * Tracked objects that depend on this one (and on its columns) through a
 * normal dependency: views, foreign keys of other tables, columns of the
 * type, routines with SQL-standard bodies, ...  Their images can change
 * when this object is renamed, so they are re-imaged with it.
 */
extern List *migrate_image_dependents(const ObjectAddress *addr);

/*
 * Tracked objects this object depends on (pg_depend, canonicalized),
 * excluding itself, its own sub-objects and its parent.  What a planner
 * needs to order creates.
 */
extern List *migrate_image_dependencies(const ObjectAddress *addr);

/*
 * Every tracked object of the database (for a baseline): schemas,
 * relations, types, routines, extensions, and other user objects of the
 * kinds migrate records, as top-level canonical addresses.  Sub-objects
 * are not listed (use migrate_image_subobjects).
 */
extern List *migrate_image_all_objects(void);

/* The top-level tracked objects in one schema (what a schema rename changes). */
extern List *migrate_image_schema_objects(Oid nspid);

/* Is this namespace one whose objects migrate tracks? */
extern bool migrate_image_tracked_namespace(Oid nspid);

#endif							/* MIGRATE_IMAGE_H */
