/*-------------------------------------------------------------------------
 *
 * history.h
 *	  The history the database keeps of its own schema: units, the object
 *	  registry, touches recorded by the event triggers, and the images
 *	  stored after each unit.
 *
 * A *unit* is one step of history: the baseline, one migration file (file
 * and all modes) or one statement (none mode), one DDL statement run
 * outside any migration (drift), or a revert.  While a unit runs, the event
 * triggers record in migrate.touches which objects each statement touched;
 * when it ends, the touched objects and their sub-objects, partitions and
 * dependents are imaged (image.h) into migrate.definitions and
 * migrate.images.
 *
 * Backend-local state: at most one unit runs at a time in a backend.  It is
 * forgotten when the (sub)transaction that began it aborts, so a failed
 * statement never leaves a half-open unit behind.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/history.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_HISTORY_H
#define MIGRATE_HISTORY_H

#include "catalog/objectaddress.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* GUC migrate.capture (superuser only): record history at all */
extern bool migrate_capture;

/* register the transaction callbacks (from _PG_init) */
extern void migrate_history_init(void);

/* Unit kinds, as stored in migrate.units.kind */
#define UNIT_BASELINE	"baseline"
#define UNIT_MIGRATION	"migration"
#define UNIT_DRIFT		"drift"
#define UNIT_REVERT		"revert"

/*
 * Begin a unit; the event triggers then record touches under it.  version
 * may be NULL (drift, a baseline without a version); step is the statement
 * index for none-mode units, -1 otherwise; statement is the text recorded
 * for drift (NULL otherwise).  Errors if a unit is already running.
 * Writes as the extension owner.  Returns the unit id.
 */
extern int64 migrate_unit_begin(const char *kind, const char *version, int step,
								const char *statement);

/*
 * End the running unit: image every object it touched (with sub-objects,
 * partitions and dependents) and write tombstones for the objects it
 * dropped.  Must run in the same (sub)transaction as the unit's
 * statements.  Returns the unit id.
 */
extern int64 migrate_unit_end(void);

/* The running unit dropped (or found stale) registered object id: its tombstone is due. */
extern void migrate_unit_note_dropped(int64 id);

/* Forget the running unit without imaging (its rows roll back with the caller). */
extern void migrate_unit_abandon(void);

/* The running unit, 0 when none. */
extern int64 migrate_unit_current(void);

/* Statement index recorded with the touches that follow (-1: none). */
extern void migrate_unit_set_statement(int index);

/*
 * Suppress all recording (the event triggers do nothing) until the
 * matching restore; nests.  A revert that wants its DDL recorded under a
 * revert unit uses migrate_unit_begin instead.
 */
extern int	migrate_capture_suppress(void);
extern void migrate_capture_restore(int previous);

/* Registry: id of the tracked object at a canonical address, creating the
 * row when create is true (0 when absent and not created). */
extern int64 migrate_object_id(const ObjectAddress *addr, bool create);

/* Re-point a registry id at a new OID triple (a revert re-created it). */
extern void migrate_object_repoint(int64 id, const ObjectAddress *addr);

/*
 * Let registry row id stand for the live object at addr, which a revert
 * created again; a row the running unit registered for addr meanwhile is
 * merged into it.  False (nothing changed) when addr has an older row.
 */
extern bool migrate_object_takeover(int64 id, const ObjectAddress *addr);

/* Image these canonical objects (and their closure) under unit. */
extern void migrate_image_into_unit(int64 unit, List *addrs);

/*
 * Take a full image of every tracked object in a new unit of kind
 * "baseline" (only changed images are written).  Returns the unit id.
 */
extern int64 migrate_take_baseline(const char *version);

/*
 * Recorded state of a registered object at a unit: its latest image at or
 * before that unit, or NULL (did not exist then, or never imaged).
 */
extern Jsonb *migrate_object_state_at(int64 object, int64 unit);

/* Latest unit id, 0 when there is none. */
extern int64 migrate_last_unit(void);

/*
 * Top-level statements of none-mode files (CREATE INDEX CONCURRENTLY ...)
 * run outside any function, so the extension learns of them through its
 * event triggers: expect() announces the statement; the ddl_command_end
 * trigger records it as a unit and advances the revision in the
 * statement's own transaction; done() reports whether that happened (and
 * forgets the expectation).  With cleanup, the statement is the drop of a
 * leftover of statement index (leftover.c): it is recorded as a unit of
 * that step, with its text, and the revision does not move.  With
 * attempt, the statement's row in migrate.attempts goes when it is
 * recorded.
 */
extern void migrate_toplevel_expect(const char *version, int index, bool cleanup,
									bool attempt);
extern bool migrate_toplevel_done(const char *version, int index, int64 *unit);
extern void migrate_toplevel_forget(void);

#endif							/* MIGRATE_HISTORY_H */
