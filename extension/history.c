/*-------------------------------------------------------------------------
 *
 * history.c
 *	  Units, the object registry, the event triggers that record touches,
 *	  and the images stored at the end of each unit (see history.h).
 *
 * Event triggers.  Three C functions, declared SECURITY DEFINER with a
 * pinned search_path and created ENABLE ALWAYS by the install script:
 *
 *	- migrate.capture_ddl_end (ddl_command_end): reads
 *	  pg_event_trigger_ddl_commands(), including the subcommands of ALTER
 *	  TABLE and the objects of GRANT/REVOKE, and records a touch for each
 *	  tracked object;
 *	- migrate.capture_sql_drop (sql_drop): marks dropped objects (and their
 *	  sub-objects) in the registry and records a touch;
 *	- migrate.capture_table_rewrite (table_rewrite): records the rewrite
 *	  and its reason.
 *
 * Inside a migration unit (apply.c runs the statements) recording fails
 * closed: an error aborts the statement.  Outside one, the statement is
 * drift: it gets a unit of its own (who, when, application, statement
 * text), imaged at ddl_command_end, and any error while recording is
 * turned into a WARNING in a subtransaction so that the user's DDL never
 * fails because of migrate.  CREATE INDEX CONCURRENTLY runs its
 * ddl_command_end without an active snapshot; one is pushed when missing.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/cmdtag.h"
#include "tcop/deparse_utility.h"
#include "tcop/tcopprot.h"
#include "utils/aclchk_internal.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "apply.h"
#include "history.h"
#include "image.h"
#include "leftover.h"
#include "registry.h"
#include "util.h"

PG_FUNCTION_INFO_V1(migrate_capture_ddl_end);
PG_FUNCTION_INFO_V1(migrate_capture_sql_drop);
PG_FUNCTION_INFO_V1(migrate_capture_table_rewrite);
PG_FUNCTION_INFO_V1(migrate_take_baseline_sql);
PG_FUNCTION_INFO_V1(migrate_object_state);
PG_FUNCTION_INFO_V1(migrate_image_sql);
PG_FUNCTION_INFO_V1(migrate_object_image_sql);

bool		migrate_capture = true;

/* The running unit (see history.h). */
typedef struct RunningUnit
{
	int64		id;				/* 0: none */
	const char *kind;			/* one of the UNIT_* constants */
	SubTransactionId subid;		/* level that owns it */
	int			seq;			/* next touch number */
	int			stmt;			/* statement index for the touches, -1 none */
	bool		implicit;		/* opened by a trigger (drift, top-level
								 * statement) */
	bool		flushed;		/* its journal was written before it ended */
} RunningUnit;

static RunningUnit unit = {0, NULL, InvalidSubTransactionId, 0, -1, false, false};
static int	suppress_depth = 0;

/* A top-level statement of a none-mode file the client is about to run. */
typedef struct TopLevel
{
	bool		expected;
	char	   *version;		/* in TopMemoryContext */
	int			index;
	bool		recorded;		/* a trigger recorded it */
	bool		uncommitted;	/* ... in a transaction not yet committed */
	int64		unit;
	bool		cleanup;		/* the drop of a leftover of statement index
								 * (leftover.c), not the statement itself */
	bool		attempt;		/* its attempt is in migrate.attempts */
} TopLevel;

static TopLevel toplevel = {false, NULL, 0, false, false, 0, false, false};

static void journal_reset(void);
static void dropped_reset(void);
static void dropped_subxact(SubXactEvent event, SubTransactionId mySubid,
							SubTransactionId parentSubid);
static void journal_subxact(SubXactEvent event, SubTransactionId mySubid,
							SubTransactionId parentSubid);

/* when the statement that recorded the journal or opened an implicit unit began */
static TimestampTz statement_start = 0;

/* ------------------------------------------------------------------------
 * Transaction callbacks: forget state whose rows were rolled back.
 * ------------------------------------------------------------------------
 */
static void
history_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			unit.id = 0;
			journal_reset();
			dropped_reset();
			suppress_depth = 0;
			if (toplevel.uncommitted)
			{
				toplevel.recorded = false;
				toplevel.uncommitted = false;
			}
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:

			/*
			 * A unit a trigger opened belongs to its statement, which may
			 * commit on the way (DROP INDEX CONCURRENTLY): its
			 * ddl_command_end ends it.  Units of the apply functions never
			 * span a commit.
			 */
			if (!unit.implicit)
			{
				unit.id = 0;
				journal_reset();
			}
			toplevel.uncommitted = false;
			break;
		default:
			break;
	}
}

static void
history_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB || event == SUBXACT_EVENT_COMMIT_SUB)
	{
		journal_subxact(event, mySubid, parentSubid);
		dropped_subxact(event, mySubid, parentSubid);
	}
	if (unit.id == 0 || unit.subid != mySubid)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		unit.id = 0;
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		unit.subid = parentSubid;
}

void
migrate_history_init(void)
{
	RegisterXactCallback(history_xact_callback, NULL);
	RegisterSubXactCallback(history_subxact_callback, NULL);
}

/* ------------------------------------------------------------------------
 * Units
 * ------------------------------------------------------------------------
 */
int64
migrate_unit_current(void)
{
	return unit.id;
}

void
migrate_unit_set_statement(int index)
{
	unit.stmt = index;
}

int
migrate_capture_suppress(void)
{
	return suppress_depth++;
}

void
migrate_capture_restore(int previous)
{
	suppress_depth = previous;
}

static char *
role_name(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/* columns of migrate.units */
#define UNIT_NATTS 10

int64
migrate_unit_begin(const char *kind, const char *version, int step, const char *statement)
{
	Datum		values[UNIT_NATTS];
	bool		nulls[UNIT_NATTS];
	BookRel		units;
	int64		id;

	if (unit.id != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a unit of history is already running in this session"),
				 errdetail("Unit %lld (%s) has not ended.", (long long) unit.id, unit.kind)));

	/*
	 * id, kind, version, step, started_at, role_name, session_role,
	 * application_name, backend_pid, statement
	 */
	memset(nulls, 0, sizeof(nulls));
	values[1] = CStringGetTextDatum(kind);
	if (version)
		values[2] = CStringGetTextDatum(version);
	else
		nulls[2] = true;
	if (step >= 0)
		values[3] = Int32GetDatum(step);
	else
		nulls[3] = true;
	values[4] = TimestampTzGetDatum(GetCurrentTimestamp()); /* clock_timestamp() */
	values[5] = CStringGetTextDatum(role_name(GetOuterUserId()));
	values[6] = CStringGetTextDatum(role_name(GetSessionUserId()));
	if (application_name && application_name[0])
		values[7] = CStringGetTextDatum(application_name);
	else
		nulls[7] = true;
	values[8] = Int32GetDatum(MyProcPid);
	if (statement)
		values[9] = CStringGetTextDatum(statement);
	else
		nulls[9] = true;

	book_open(&units, "units");
	id = book_nextval(&units);
	values[0] = Int64GetDatum(id);
	book_insert(&units, values, nulls);
	book_close(&units);

	unit.id = id;
	unit.kind = kind;
	unit.subid = GetCurrentSubTransactionId();
	unit.seq = 0;
	unit.stmt = -1;
	unit.implicit = false;
	unit.flushed = false;
	dropped_reset();
	return id;
}

/*
 * Objects the running unit dropped, for their tombstones; tagged with the
 * subtransaction that dropped them, as the journal is.
 */
typedef struct DroppedEntry
{
	int64		id;
	SubTransactionId subid;
} DroppedEntry;

static MemoryContext dropped_cxt = NULL;
static List *dropped = NIL;

static void
dropped_reset(void)
{
	dropped = NIL;
	if (dropped_cxt)
		MemoryContextReset(dropped_cxt);
}

static void
dropped_subxact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid)
{
	ListCell   *lc;

	foreach(lc, dropped)
	{
		DroppedEntry *e = lfirst(lc);

		if (e->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			e->subid = parentSubid;
		else
			dropped = foreach_delete_current(dropped, lc);
	}
}

void
migrate_unit_note_dropped(int64 id)
{
	MemoryContext old;
	DroppedEntry *e;

	if (unit.id == 0)
		return;
	if (dropped_cxt == NULL)
		dropped_cxt = AllocSetContextCreate(TopMemoryContext, "migrate dropped objects",
											ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(dropped_cxt);
	e = palloc(sizeof(DroppedEntry));
	e->id = id;
	e->subid = GetCurrentSubTransactionId();
	dropped = lappend(dropped, e);
	MemoryContextSwitchTo(old);
}

void
migrate_unit_abandon(void)
{
	unit.id = 0;
}

int64
migrate_last_unit(void)
{
	static MigrateQuery q = {"SELECT pg_catalog.max(id) FROM migrate.units", 0, {0}};
	OwnerSwitch sw;
	int64		id;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, NULL, NULL, true, 1);
	id = mq_int64(0, 1, 0);
	migrate_restore_user(&sw);
	SPI_finish();
	return id;
}

/* ------------------------------------------------------------------------
 * Registry (callers are connected to SPI and run as the owner)
 * ------------------------------------------------------------------------
 */
static int64 registry_get(const ObjectAddress *addr, const char *kind,
						  const char *identity, bool create);

static void
registry_mark_dropped(int64 id, int64 in_unit)
{
	/* the object and its sub-objects, found through parent links */
	static MigrateQuery tree = {
		"WITH RECURSIVE d(id) AS (SELECT $1::pg_catalog.int8"
		" UNION SELECT c.id FROM d CROSS JOIN LATERAL (SELECT o.id FROM migrate.objects o"
		"   WHERE o.parent OPERATOR(pg_catalog.=) d.id"
		"   AND COALESCE(o.dropped_unit, 0) OPERATOR(pg_catalog.=) 0 OFFSET 0) c)"
		" SELECT id FROM d",
		1, {INT8OID}
	};
	static MigrateQuery mark = {
		"UPDATE migrate.objects SET dropped_unit = $2 WHERE id OPERATOR(pg_catalog.=) $1"
		" AND dropped_unit IS NULL",
		2, {INT8OID, INT8OID}
	};
	Datum		v[2] = {Int64GetDatum(id), Int64GetDatum(in_unit)};
	char		nulls[2] = {' ', in_unit ? ' ' : 'n'};
	List	   *ids = NIL;
	ListCell   *lc;

	mq_exec(&tree, v, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int64	   *p = palloc(sizeof(int64));

		*p = mq_int64(i, 1, 0);
		ids = lappend(ids, p);
	}
	foreach(lc, ids)
	{
		v[0] = Int64GetDatum(*(int64 *) lfirst(lc));
		mq_exec(&mark, v, nulls, false, 0);
		if (SPI_processed > 0 && in_unit != 0 && in_unit == unit.id)
			migrate_unit_note_dropped(*(int64 *) lfirst(lc));
	}
}

static int64
registry_get(const ObjectAddress *addr, const char *kind, const char *identity, bool create)
{
	static MigrateQuery lookup = {
		"SELECT id, kind, identity FROM migrate.objects"
		" WHERE classid OPERATOR(pg_catalog.=) $1 AND objid OPERATOR(pg_catalog.=) $2"
		" AND objsubid OPERATOR(pg_catalog.=) $3 AND dropped_unit IS NULL",
		3, {OIDOID, OIDOID, INT4OID}
	};
	static MigrateQuery rename = {
		"UPDATE migrate.objects SET identity = $2 WHERE id OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, TEXTOID}
	};
	static MigrateQuery insert = {
		"INSERT INTO migrate.objects (classid, objid, objsubid, kind, identity, parent, created_unit)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		7, {OIDOID, OIDOID, INT4OID, TEXTOID, TEXTOID, INT8OID, INT8OID}
	};
	Datum		values[7];
	char		nulls[7] = "       ";
	int64		id = 0;
	int64		parent_id = 0;
	ObjectAddress parent;

	values[0] = ObjectIdGetDatum(addr->classId);
	values[1] = ObjectIdGetDatum(addr->objectId);
	values[2] = Int32GetDatum(addr->objectSubId);
	mq_exec(&lookup, values, NULL, true, 1);
	if (SPI_processed > 0)
	{
		char	   *old_kind = mq_text(0, 2);
		char	   *old_identity = mq_text(0, 3);

		id = mq_int64(0, 1, 0);
		if (kind != NULL && strcmp(old_kind, kind) != 0)
		{
			/* the OID was reused after a drop migrate did not see */
			registry_mark_dropped(id, unit.id);
			id = 0;
		}
		else
		{
			if (identity != NULL && strcmp(old_identity, identity) != 0)
			{
				Datum		rv[2] = {Int64GetDatum(id), CStringGetTextDatum(identity)};

				mq_exec(&rename, rv, NULL, false, 0);
			}
			return id;
		}
	}
	if (!create || kind == NULL || identity == NULL)
		return 0;

	parent = migrate_image_parent(addr);
	if (OidIsValid(parent.classId))
		parent_id = registry_get(&parent, migrate_image_kind(&parent),
								 migrate_image_identity(&parent), true);
	values[3] = CStringGetTextDatum(kind);
	values[4] = CStringGetTextDatum(identity);
	if (parent_id)
		values[5] = Int64GetDatum(parent_id);
	else
		nulls[5] = 'n';
	if (unit.id)
		values[6] = Int64GetDatum(unit.id);
	else
		nulls[6] = 'n';
	mq_exec(&insert, values, nulls, false, 0);
	return mq_int64(0, 1, 0);
}

int64
migrate_object_id(const ObjectAddress *addr, bool create)
{
	OwnerSwitch sw;
	int64		id;
	const char *kind = migrate_image_kind(addr);
	char	   *identity = kind ? migrate_image_identity(addr) : NULL;

	SPI_connect();
	migrate_become_owner(&sw);
	id = registry_get(addr, kind, identity, create && kind != NULL);
	migrate_restore_user(&sw);
	SPI_finish();
	return id;
}

/* callers are connected to SPI and run as the owner */
static void
registry_repoint(int64 id, const ObjectAddress *addr)
{
	static MigrateQuery q = {
		"UPDATE migrate.objects SET classid = $2, objid = $3, objsubid = $4, dropped_unit = NULL,"
		" identity = COALESCE($5, identity) WHERE id OPERATOR(pg_catalog.=) $1",
		5, {INT8OID, OIDOID, OIDOID, INT4OID, TEXTOID}
	};
	char	   *identity = migrate_image_identity(addr);
	Datum		values[5];
	char		nulls[5] = "     ";

	values[0] = Int64GetDatum(id);
	values[1] = ObjectIdGetDatum(addr->classId);
	values[2] = ObjectIdGetDatum(addr->objectId);
	values[3] = Int32GetDatum(addr->objectSubId);
	if (identity)
		values[4] = CStringGetTextDatum(identity);
	else
		nulls[4] = 'n';
	mq_exec(&q, values, nulls, false, 0);
}

void
migrate_object_repoint(int64 id, const ObjectAddress *addr)
{
	OwnerSwitch sw;

	SPI_connect();
	migrate_become_owner(&sw);
	registry_repoint(id, addr);
	migrate_restore_user(&sw);
	SPI_finish();
}

/* ------------------------------------------------------------------------
 * Touches (callers are connected to SPI and run as the owner)
 * ------------------------------------------------------------------------
 */
static void
touch_insert(int64 object, const char *event, const char *command, const char *kind,
			 const char *identity, int detail)
{
	static MigrateQuery q = {
		"INSERT INTO migrate.touches (unit, seq, stmt, object, event, command, kind, identity, detail)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		9, {INT8OID, INT4OID, INT4OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID}
	};
	Datum		values[9];
	char		nulls[9] = "         ";

	values[0] = Int64GetDatum(unit.id);
	values[1] = Int32GetDatum(unit.seq++);
	if (unit.stmt >= 0)
		values[2] = Int32GetDatum(unit.stmt);
	else
		nulls[2] = 'n';
	if (object)
		values[3] = Int64GetDatum(object);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(event);
	values[5] = CStringGetTextDatum(command);
	values[6] = CStringGetTextDatum(kind);
	if (identity)
		values[7] = CStringGetTextDatum(identity);
	else
		nulls[7] = 'n';
	if (detail >= 0)
		values[8] = Int32GetDatum(detail);
	else
		nulls[8] = 'n';
	mq_exec(&q, values, nulls, false, 0);
}

/*
 * Make sure a unit is running before a touch is recorded: a top-level
 * statement the client announced gets a migration unit, anything else a
 * drift unit.  Returns false when recording should not happen.
 */
static void
ensure_unit(void)
{
	if (unit.id != 0)
		return;
	if (toplevel.expected && !toplevel.recorded)
		migrate_unit_begin(UNIT_MIGRATION, toplevel.version, toplevel.index,
						   toplevel.cleanup ? debug_query_string : NULL);
	else
		migrate_unit_begin(UNIT_DRIFT, NULL, -1, debug_query_string);
	unit.implicit = true;
}

/*
 * The journal: touches of the running unit not yet written.  An event
 * trigger only appends to it (it reads pg_event_trigger_ddl_commands()
 * and runs no query); the journal is written in one batch when the unit ends,
 * or before a drop is recorded (which needs the registry current).  Each
 * entry remembers the subtransaction it was recorded in, so that a rolled
 * back subtransaction (a savepoint, an exception block) takes its touches
 * with it, as it takes the DDL.
 */
typedef struct JournalEntry
{
	ObjectAddress addr;			/* canonical; classId invalid when no object */
	const char *kind;
	char	   *identity;
	const char *event;
	char	   *command;
	int			stmt;
	int			detail;
	SubTransactionId subid;
} JournalEntry;

static MemoryContext journal_cxt = NULL;
static List *journal = NIL;

static void
journal_reset(void)
{
	journal = NIL;
	if (journal_cxt)
		MemoryContextReset(journal_cxt);
}

static void
journal_append(const ObjectAddress *addr, const char *kind, char *identity,
			   const char *event, const char *command, int detail)
{
	MemoryContext old;
	JournalEntry *e;

	if (journal_cxt == NULL)
		journal_cxt = AllocSetContextCreate(TopMemoryContext, "migrate journal",
											ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(journal_cxt);
	e = palloc(sizeof(JournalEntry));
	if (addr)
		e->addr = *addr;
	else
		e->addr = InvalidObjectAddress;
	e->kind = pstrdup(kind);
	e->identity = identity ? pstrdup(identity) : NULL;
	e->event = event;
	e->command = pstrdup(command);
	e->stmt = unit.stmt;
	e->detail = detail;
	e->subid = GetCurrentSubTransactionId();
	journal = lappend(journal, e);
	MemoryContextSwitchTo(old);
}

/* subtransaction end: drop or re-tag the entries it recorded */
static void
journal_subxact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid)
{
	ListCell   *lc;

	foreach(lc, journal)
	{
		JournalEntry *e = lfirst(lc);

		if (e->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			e->subid = parentSubid;
		else
			journal = foreach_delete_current(journal, lc);
	}
}

/* a live object reported by ddl_command_end or table_rewrite */
static void
touch_live(const ObjectAddress *reported, const char *event, const char *command, int detail)
{
	ObjectAddress addr;
	const char *kind;
	char	   *identity;

	if (!migrate_image_canonical(reported, &addr))
		return;
	kind = migrate_image_kind(&addr);
	if (kind == NULL)
		return;					/* created and dropped by the same command */
	identity = migrate_image_identity(&addr);
	if (identity == NULL)
		return;
	journal_append(&addr, kind, identity, event, command, detail);
}

/* add the journal's objects to a registry batch; pos[i] per entry (-1: none) */
static int *
journal_add_to(RegBatch *reg)
{
	int		   *pos = palloc(sizeof(int) * Max(list_length(journal), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, journal)
	{
		JournalEntry *e = lfirst(lc);

		pos[i++] = OidIsValid(e->addr.classId)
			? regbatch_add(reg, &e->addr, e->kind, e->identity) : -1;
	}
	return pos;
}

/*
 * Insert the journal's touches, their objects resolved in reg (positions
 * from journal_add_to), and empty the journal.  A unit is running.
 */
static void
journal_write(RegBatch *reg, int *pos)
{
	BookRel		touches;
	ListCell   *lc;
	int			i = 0;

	if (journal == NIL)
		return;
	book_open(&touches, "touches");
	foreach(lc, journal)
	{
		JournalEntry *e = lfirst(lc);
		int64		id = pos[i] >= 0 ? reg->items[pos[i]].id : 0;
		Datum		values[9];
		bool		nulls[9];

		/* unit, seq, stmt, object, event, command, kind, identity, detail */
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(unit.id);
		values[1] = Int32GetDatum(unit.seq + i);
		if (e->stmt >= 0)
			values[2] = Int32GetDatum(e->stmt);
		else
			nulls[2] = true;
		if (id)
			values[3] = Int64GetDatum(id);
		else
			nulls[3] = true;
		values[4] = CStringGetTextDatum(e->event);
		values[5] = CStringGetTextDatum(e->command);
		values[6] = CStringGetTextDatum(e->kind);
		if (e->identity)
			values[7] = CStringGetTextDatum(e->identity);
		else
			nulls[7] = true;
		if (e->detail >= 0)
			values[8] = Int32GetDatum(e->detail);
		else
			nulls[8] = true;
		book_insert(&touches, values, nulls);
		i++;
	}
	book_close(&touches);
	unit.seq += i;
	journal_reset();
}

/*
 * Write the journal now (a drop is about to be recorded, which needs the
 * registry up to date): make sure a unit is running, resolve the objects,
 * insert the touches.  Connected to SPI, as the owner.
 */
static void
journal_flush(void)
{
	RegBatch	reg;
	int		   *pos;

	if (journal == NIL)
		return;
	ensure_unit();
	unit.flushed = true;
	regbatch_init(&reg);
	pos = journal_add_to(&reg);
	regbatch_resolve(&reg, unit.id);
	journal_write(&reg, pos);
}

/* ------------------------------------------------------------------------
 * Event triggers
 * ------------------------------------------------------------------------
 */
typedef enum CaptureEvent
{
	CAPTURE_DDL_END,
	CAPTURE_SQL_DROP,
	CAPTURE_REWRITE
} CaptureEvent;

typedef struct CaptureArgs
{
	CaptureEvent event;
	const char *command;
} CaptureArgs;

static Oid
grant_object_class(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_SEQUENCE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
			return RelationRelationId;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return ProcedureRelationId;
		case OBJECT_SCHEMA:
			return NamespaceRelationId;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return TypeRelationId;
		case OBJECT_LANGUAGE:
			return LanguageRelationId;
		case OBJECT_FDW:
			return ForeignDataWrapperRelationId;
		case OBJECT_FOREIGN_SERVER:
			return ForeignServerRelationId;
		default:
			return InvalidOid;
	}
}

static void
record_collected(CollectedCommand *cmd, const char *command)
{
	ListCell   *lc;

	switch (cmd->type)
	{
		case SCT_AlterTable:
			foreach(lc, cmd->d.alterTable.subcmds)
			{
				CollectedATSubcmd *sub = lfirst(lc);
				AlterTableCmd *atc = (AlterTableCmd *) sub->parsetree;

				if (OidIsValid(sub->address.objectId))
					touch_live(&sub->address, "ddl", command, -1);

				/*
				 * DETACH PARTITION reports only the parent, and the closure
				 * of the parent no longer reaches the partition: record the
				 * partition itself, so that it is imaged as a table of its
				 * own.
				 */

				/*
				 * ENABLE / DISABLE TRIGGER report no address: record the
				 * trigger (by name) so that its state is imaged.
				 */
				if (atc != NULL && IsA(atc, AlterTableCmd) && atc->name != NULL &&
					(atc->subtype == AT_EnableTrig || atc->subtype == AT_EnableAlwaysTrig ||
					 atc->subtype == AT_EnableReplicaTrig || atc->subtype == AT_DisableTrig))
				{
					Oid			trig = get_trigger_oid(cmd->d.alterTable.objectId, atc->name, true);
					ObjectAddress a;

					if (OidIsValid(trig))
					{
						ObjectAddressSet(a, TriggerRelationId, trig);
						touch_live(&a, "ddl", command, -1);
					}
				}
				if (atc != NULL && IsA(atc, AlterTableCmd) &&
					(atc->subtype == AT_EnableTrigAll || atc->subtype == AT_EnableTrigUser ||
					 atc->subtype == AT_DisableTrigAll || atc->subtype == AT_DisableTrigUser))
				{
					ObjectAddress rel;
					ListCell   *lc2;

					ObjectAddressSet(rel, RelationRelationId, cmd->d.alterTable.objectId);
					foreach(lc2, migrate_image_subobjects(&rel))
					{
						ObjectAddress *a = lfirst(lc2);

						if (a->classId == TriggerRelationId)
							touch_live(a, "ddl", command, -1);
					}
				}
				if (atc != NULL && IsA(atc, AlterTableCmd) &&
					(atc->subtype == AT_DetachPartition ||
					 atc->subtype == AT_DetachPartitionFinalize) &&
					atc->def != NULL && IsA(atc->def, PartitionCmd))
				{
					Oid			part = RangeVarGetRelid(((PartitionCmd *) atc->def)->name,
														NoLock, true);
					ObjectAddress a;

					if (OidIsValid(part))
					{
						ObjectAddressSet(a, RelationRelationId, part);
						touch_live(&a, "ddl", command, -1);
					}
				}
			}
			break;
		case SCT_Grant:
			{
				InternalGrant *istmt = cmd->d.grant.istmt;
				Oid			classid = grant_object_class(istmt->objtype);

				if (!OidIsValid(classid))
					break;
				foreach(lc, istmt->objects)
				{
					ObjectAddress a;

					ObjectAddressSet(a, classid, lfirst_oid(lc));
					touch_live(&a, "ddl", command, -1);
				}
			}
			break;
		case SCT_AlterDefaultPrivileges:
			journal_append(NULL, "default acl", NULL, "ddl", command, -1);
			break;
		default:
			break;
	}
}

/*
 * The commands of the statement, from pg_event_trigger_ddl_commands()
 * called directly through fmgr (a query around it would cost an executor
 * start for each DDL statement).  Columns used: classid (1), objid (2),
 * objsubid (3), in_extension (8), command (9).
 */
static void
record_ddl_end(const char *command)
{
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;

	LOCAL_FCINFO(fcinfo, 0);
	TupleTableSlot *slot;

	fmgr_info(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &flinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = CreateStandaloneExprContext();
	rsinfo.allowedModes = (int) SFRM_Materialize;
	rsinfo.returnMode = SFRM_Materialize;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);
	if (rsinfo.returnMode != SFRM_Materialize || rsinfo.setDesc == NULL)
		elog(ERROR, "pg_event_trigger_ddl_commands() did not return a tuplestore");
	if (rsinfo.setResult == NULL)
	{
		FreeExprContext(rsinfo.econtext, true);
		return;
	}
	slot = MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(rsinfo.setResult, true, false, slot))
	{
		bool		isnull;
		Datum		d;
		CollectedCommand *cmd;

		if (DatumGetBool(slot_getattr(slot, 8, &isnull)))
			continue;			/* in_extension */
		d = slot_getattr(slot, 1, &isnull);
		if (!isnull)
		{
			ObjectAddress a;

			a.classId = DatumGetObjectId(d);
			a.objectId = DatumGetObjectId(slot_getattr(slot, 2, &isnull));
			a.objectSubId = DatumGetInt32(slot_getattr(slot, 3, &isnull));
			touch_live(&a, "ddl", command, -1);
		}
		d = slot_getattr(slot, 9, &isnull);
		cmd = isnull ? NULL : (CollectedCommand *) DatumGetPointer(d);
		if (cmd != NULL)
			record_collected(cmd, command);
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(rsinfo.setResult);
	FreeExprContext(rsinfo.econtext, true);
}

static void
record_sql_drop(const char *command)
{
	static MigrateQuery q = {
		"SELECT classid, objid, objsubid, original, normal, is_temporary, object_type,"
		" schema_name, object_identity FROM pg_catalog.pg_event_trigger_dropped_objects()",
		0, {0}
	};
	static MigrateQuery lookup = {
		"SELECT id, identity FROM migrate.objects"
		" WHERE classid OPERATOR(pg_catalog.=) $1 AND objid OPERATOR(pg_catalog.=) $2"
		" AND objsubid OPERATOR(pg_catalog.=) $3 AND dropped_unit IS NULL",
		3, {OIDOID, OIDOID, INT4OID}
	};
	static MigrateQuery insert = {
		"INSERT INTO migrate.objects (classid, objid, objsubid, kind, identity, created_unit, dropped_unit)"
		" VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
		6, {OIDOID, OIDOID, INT4OID, TEXTOID, TEXTOID, INT8OID}
	};
	SPITupleTable *tuptable;
	uint64		n;

	/*
	 * what was created earlier in the unit must be in the registry to be
	 * dropped
	 */
	journal_flush();
	mq_exec(&q, NULL, NULL, true, 0);
	tuptable = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		TupleDesc	desc = tuptable->tupdesc;
		bool		isnull;
		Datum		key[3];
		bool		original,
					normal;
		char	   *kind,
				   *schema,
				   *identity;
		int64		id;

		if (DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull)))
			continue;			/* temporary */
		key[0] = SPI_getbinval(tup, desc, 1, &isnull);
		key[1] = SPI_getbinval(tup, desc, 2, &isnull);
		key[2] = SPI_getbinval(tup, desc, 3, &isnull);
		original = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		normal = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		kind = SPI_getvalue(tup, desc, 7);
		schema = SPI_getvalue(tup, desc, 8);
		identity = SPI_getvalue(tup, desc, 9);

		if (schema != NULL &&
			(strcmp(schema, MIGRATE_SCHEMA) == 0 || strcmp(schema, "pg_toast") == 0 ||
			 strcmp(schema, "pg_catalog") == 0 || strcmp(schema, "information_schema") == 0 ||
			 strncmp(schema, "pg_temp", 7) == 0 || strncmp(schema, "pg_toast_temp", 13) == 0))
			continue;
		if (DatumGetObjectId(key[1]) < FirstNormalObjectId)
			continue;

		mq_exec(&lookup, key, NULL, true, 1);
		if (SPI_processed > 0)
		{
			id = mq_int64(0, 1, 0);
			ensure_unit();
			registry_mark_dropped(id, unit.id);
			touch_insert(id, "drop", command, kind, identity, -1);
			continue;
		}
		/* never tracked: internal parts of other objects are not recorded */
		if (!original && !normal)
			continue;
		if (strcmp(kind, "default value") == 0 || strcmp(kind, "toast table") == 0)
			continue;			/* their column or table carries the change */
		if (creating_extension)
			continue;
		ensure_unit();
		{
			Datum		values[6] = {key[0], key[1], key[2], CStringGetTextDatum(kind),
			CStringGetTextDatum(identity ? identity : ""), Int64GetDatum(unit.id)};

			mq_exec(&insert, values, NULL, false, 0);
			id = mq_int64(0, 1, 0);
		}
		touch_insert(id, "drop", command, kind, identity, -1);
	}
}

static void
record_rewrite(const char *command)
{
	static MigrateQuery q = {
		"SELECT pg_catalog.pg_event_trigger_table_rewrite_oid(),"
		" pg_catalog.pg_event_trigger_table_rewrite_reason()",
		0, {0}
	};
	ObjectAddress a;

	mq_exec(&q, NULL, NULL, true, 1);
	ObjectAddressSet(a, RelationRelationId, (Oid) mq_int64(0, 1, 0));
	touch_live(&a, "rewrite", command, (int) mq_int64(0, 2, -1));
}

/* one event: record, and at ddl_command_end close a drift or top-level unit */
static void
capture_record(CaptureArgs *args)
{
	OwnerSwitch sw;
	bool		closes;

	if (args->event == CAPTURE_DDL_END)
	{
		/* reads the commands and appends to the journal: no query */
		record_ddl_end(args->command);
	}
	else
	{
		SPI_connect();
		migrate_become_owner(&sw);
		if (args->event == CAPTURE_SQL_DROP)
			record_sql_drop(args->command);
		else
			record_rewrite(args->command);
		migrate_restore_user(&sw);
		SPI_finish();
	}

	/*
	 * Outside the apply functions, the statement is its own unit (drift, or
	 * an announced top-level statement), which ends here.
	 */
	closes = args->event == CAPTURE_DDL_END &&
		(unit.id != 0 ? unit.implicit : journal != NIL);
	if (!closes)
		return;
	ensure_unit();

	if (strcmp(unit.kind, UNIT_MIGRATION) == 0)
	{
		int64		id = migrate_unit_end();

		/* the drop of a leftover is a step of the resume, not the statement */
		if (!toplevel.cleanup)
			migrate_revision_advance(toplevel.version, toplevel.index, id, 0);
		if (!toplevel.cleanup && toplevel.attempt)
			migrate_attempt_forget(toplevel.version, toplevel.index);
		toplevel.recorded = true;
		toplevel.uncommitted = true;
		toplevel.unit = id;
	}
	else
		migrate_unit_end();
}

/*
 * Run capture_record in a subtransaction and turn any error into a
 * WARNING: recording must never make the user's DDL fail.
 */
static void
capture_guarded(CaptureArgs *args)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		capture_record(args);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not record schema change in migrate history: %s", edata->message),
				 errdetail("The statement itself succeeded; migrate may not know about this change."),
				 errhint("Call migrate.take_baseline() to re-image the database.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static bool
capture_active(void)
{
	if (!migrate_capture || suppress_depth > 0)
		return false;
	if (!IsTransactionState())
		return false;
	/* the extension may be being dropped, or not be installed */
	return OidIsValid(migrate_extension_oid(true));
}

static Datum
capture_entry(FunctionCallInfo fcinfo, CaptureEvent event)
{
	EventTriggerData *trigdata;
	CaptureArgs args;
	bool		pushed = false;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function must be called as an event trigger")));
	if (!capture_active())
		PG_RETURN_NULL();

	trigdata = (EventTriggerData *) fcinfo->context;

	/*
	 * what a trigger opened for an earlier statement that never ended is
	 * stale
	 */
	if (statement_start != GetCurrentStatementStartTimestamp())
	{
		if (unit.id != 0 && unit.implicit)
			unit.id = 0;
		if (unit.id == 0)
			journal_reset();
		statement_start = GetCurrentStatementStartTimestamp();
	}
	args.event = event;
	args.command = GetCommandTagName(trigdata->tag);

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	/* inside a migration step or a revert, recording fails closed */
	if (unit.id != 0 && !unit.implicit)
		capture_record(&args);
	else
		capture_guarded(&args);
	if (pushed)
		PopActiveSnapshot();
	PG_RETURN_NULL();
}

Datum
migrate_capture_ddl_end(PG_FUNCTION_ARGS)
{
	return capture_entry(fcinfo, CAPTURE_DDL_END);
}

Datum
migrate_capture_sql_drop(PG_FUNCTION_ARGS)
{
	return capture_entry(fcinfo, CAPTURE_SQL_DROP);
}

Datum
migrate_capture_table_rewrite(PG_FUNCTION_ARGS)
{
	return capture_entry(fcinfo, CAPTURE_REWRITE);
}

/* ------------------------------------------------------------------------
 * Top-level statements of none-mode files
 * ------------------------------------------------------------------------
 */
void
migrate_toplevel_expect(const char *version, int index, bool cleanup, bool attempt)
{
	migrate_toplevel_forget();
	toplevel.version = MemoryContextStrdup(TopMemoryContext, version);
	toplevel.index = index;
	toplevel.cleanup = cleanup;
	toplevel.attempt = attempt;
	toplevel.expected = true;
	toplevel.recorded = false;
	toplevel.uncommitted = false;
	toplevel.unit = 0;
}

bool
migrate_toplevel_done(const char *version, int index, int64 *unit_out)
{
	bool		done = toplevel.expected && toplevel.recorded && !toplevel.uncommitted &&
	toplevel.version != NULL && strcmp(toplevel.version, version) == 0 &&
	toplevel.index == index;

	if (unit_out)
		*unit_out = done ? toplevel.unit : 0;
	return done;
}

void
migrate_toplevel_forget(void)
{
	if (toplevel.version)
		pfree(toplevel.version);
	toplevel.version = NULL;
	toplevel.expected = false;
	toplevel.recorded = false;
	toplevel.uncommitted = false;
	toplevel.unit = 0;
	toplevel.cleanup = false;
	toplevel.attempt = false;
}

/* ------------------------------------------------------------------------
 * Closure of a unit's touched objects
 * ------------------------------------------------------------------------
 */
typedef struct ClosureKey
{
	Oid			classId;
	Oid			objectId;
	int32		subId;
} ClosureKey;

typedef struct ClosureEntry
{
	ClosureKey	key;
	bool		expanded;
} ClosureEntry;

typedef struct Closure
{
	HTAB	   *hash;
	List	   *order;			/* ObjectAddress *, in insertion order */
	bool		dependents;		/* also add objects that depend on each one */
	bool		rebuilds;		/* may PostgreSQL have rebuilt sub-objects? */
} Closure;

static void
closure_init(Closure *c, bool dependents)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(ClosureKey);
	ctl.entrysize = sizeof(ClosureEntry);
	ctl.hcxt = CurrentMemoryContext;
	c->hash = hash_create("migrate closure", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	c->order = NIL;
	c->dependents = dependents;
	c->rebuilds = true;
}

static ClosureEntry *
closure_add(Closure *c, const ObjectAddress *a)
{
	ClosureKey	key;
	ClosureEntry *e;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.classId = a->classId;
	key.objectId = a->objectId;
	key.subId = a->objectSubId;
	e = hash_search(c->hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		ObjectAddress *copy = palloc(sizeof(ObjectAddress));

		*copy = *a;
		e->expanded = false;
		c->order = lappend(c->order, copy);
	}
	return e;
}

static void
closure_add_dependents(Closure *c, const ObjectAddress *a)
{
	ListCell   *lc;

	foreach(lc, migrate_image_dependents(a))
	{
		ObjectAddress *d = lfirst(lc);
		ObjectAddress parent = migrate_image_parent(d);

		if (OidIsValid(parent.classId))
			closure_add(c, &parent);
		closure_add(c, d);
	}
}

static void
closure_expand(Closure *c, const ObjectAddress *a)
{
	ObjectAddress parent = migrate_image_parent(a);
	ClosureEntry *e;
	ListCell   *lc;

	CHECK_FOR_INTERRUPTS();
	if (OidIsValid(parent.classId))
	{
		closure_add(c, a);
		closure_expand(c, &parent);
		return;
	}
	e = closure_add(c, a);
	if (e->expanded)
		return;
	e->expanded = true;
	foreach(lc, migrate_image_subobjects(a))
	{
		ObjectAddress *sub = lfirst(lc);

		closure_add(c, sub);
		/* a table's columns were covered by the table's own dependents */
		if (c->dependents && !(sub->classId == RelationRelationId && sub->objectSubId > 0))
			closure_add_dependents(c, sub);
	}
	foreach(lc, migrate_image_children(a))
		closure_expand(c, (ObjectAddress *) lfirst(lc));
	if (c->dependents)
		closure_add_dependents(c, a);
}

/* ------------------------------------------------------------------------
 * Storing images
 * ------------------------------------------------------------------------
 */
typedef struct ImageItem
{
	ObjectAddress addr;
	const char *kind;
	char	   *identity;
	Jsonb	   *body;			/* NULL: kind not imaged */
	char	   *hash;
	List	   *deps;			/* ImageDependency * */
} ImageItem;

/*
 * Latest recorded hash of a registered object (NULL for a tombstone or
 * when it has no image): the last row of images_pkey (object, unit) for
 * the object, as "ORDER BY unit DESC LIMIT 1" reads it.  *found tells
 * whether there is an image at all.  Under a snapshot from
 * book_snapshot_push().
 */
static char *
latest_hash(Relation images, int64 object, bool *found)
{
	static const Oid keytype[1] = {INT8OID};
	Datum		key[1] = {Int64GetDatum(object)};
	BookScan	scan;
	char	   *hash = NULL;

	*found = false;
	book_scan_begin(&scan, images, "images_pkey", 1, keytype, key, true);
	if (book_scan_next(&scan))
	{
		bool		isnull;
		Datum		d = book_scan_get(&scan, 4, &isnull);

		*found = true;
		if (!isnull)
			hash = TextDatumGetCString(d);
	}
	book_scan_end(&scan);
	return hash;
}

/*
 * Store the images of items[0..n) that changed since their latest image,
 * with their dependencies: one registry batch, then the rows written
 * directly (util.h): definitions once per content hash (an existing one is
 * kept, as ON CONFLICT DO NOTHING would, also when another transaction is
 * storing the same definition), images, dependencies.
 */
static void
store_items(int64 unit_id, ImageItem *items, int n, bool with_journal)
{
	RegBatch	reg;
	int		   *pos = palloc(sizeof(int) * Max(n, 1));
	bool	   *changed = palloc0(sizeof(bool) * Max(n, 1));
	int		   *journal_pos = NULL;
	int			nimg = 0;
	BookRel		rel;

	if (n == 0 && !with_journal)
		return;
	regbatch_init(&reg);
	for (int i = 0; i < n; i++)
	{
		ListCell   *lc;

		pos[i] = regbatch_add(&reg, &items[i].addr, items[i].kind, items[i].identity);
		foreach(lc, items[i].deps)
			(void) regbatch_add(&reg, &((ImageDependency *) lfirst(lc))->ref, NULL, NULL);
	}
	/* the unit's touches go with its first batch of images */
	if (with_journal)
		journal_pos = journal_add_to(&reg);
	regbatch_resolve(&reg, unit_id);
	if (with_journal)
		journal_write(&reg, journal_pos);

	/*
	 * Which images changed: an object registered by this batch has none yet;
	 * any other is compared with its latest recorded hash.
	 */
	book_snapshot_push();
	rel.rel = table_open(book_relid("images"), AccessShareLock);
	for (int i = 0; i < n; i++)
	{
		char	   *prev;
		bool		found;

		if (items[i].body == NULL || pos[i] < 0)
			continue;
		changed[i] = true;
		if (reg.items[pos[i]].created)
			continue;
		prev = latest_hash(rel.rel, reg.items[pos[i]].id, &found);
		if (found && prev != NULL && strcmp(prev, items[i].hash) == 0)
			changed[i] = false; /* unchanged */
	}
	table_close(rel.rel, NoLock);
	book_snapshot_pop();
	for (int i = 0; i < n; i++)
		nimg += changed[i] ? 1 : 0;
	if (nimg == 0)
		return;

	/* definitions: content-addressed, each stored once */
	book_open(&rel, "definitions");
	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (!changed[i])
			continue;
		values[0] = CStringGetTextDatum(items[i].hash);
		values[1] = CStringGetTextDatum(items[i].kind);
		values[2] = JsonbPGetDatum(items[i].body);
		(void) book_insert_unless_conflict(&rel, values, nulls);
	}
	book_close(&rel);

	/* images: object, unit, identity, hash */
	book_open(&rel, "images");
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (!changed[i])
			continue;
		values[0] = Int64GetDatum(reg.items[pos[i]].id);
		values[1] = Int64GetDatum(unit_id);
		values[2] = CStringGetTextDatum(items[i].identity);
		values[3] = CStringGetTextDatum(items[i].hash);
		book_insert(&rel, values, nulls);
	}
	book_close(&rel);

	/*
	 * Dependencies of each new image on other registered objects.  A plain
	 * insert (the statement this replaces said ON CONFLICT DO NOTHING): the
	 * key (object, unit, ref) cannot repeat.  Only this transaction writes
	 * rows of this unit; one image's references are distinct objects
	 * (migrate_image_dependencies removes duplicate addresses, and distinct
	 * live addresses have distinct registry rows); and a second image of the
	 * same object in the same unit fails on images_pkey above first.
	 */
	book_open(&rel, "depends");
	for (int i = 0; i < n; i++)
	{
		int64		id;
		ListCell   *lc;

		if (!changed[i])
			continue;
		id = reg.items[pos[i]].id;
		foreach(lc, items[i].deps)
		{
			ImageDependency *d = lfirst(lc);
			int			rp = regbatch_find(&reg, &d->ref);
			int64		ref = rp >= 0 ? reg.items[rp].id : 0;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (ref == 0 || ref == id)
				continue;
			values[0] = Int64GetDatum(id);
			values[1] = Int64GetDatum(unit_id);
			values[2] = Int64GetDatum(ref);
			values[3] = CharGetDatum(d->deptype);
			book_insert(&rel, values, nulls);
		}
	}
	book_close(&rel);
}

/* image one object into an item (search_path must be '') */
static bool
make_item(const ObjectAddress *a, ImageItem *item)
{
	item->addr = *a;
	item->kind = migrate_image_kind(a);
	if (item->kind == NULL)
		return false;
	item->identity = migrate_image_identity(a);
	if (item->identity == NULL)
		return false;
	item->body = NULL;
	item->hash = NULL;
	item->deps = NIL;
	if (migrate_image_kind_supported(item->kind))
	{
		item->body = migrate_image_object(a);
		if (item->body != NULL)
		{
			item->hash = migrate_image_hash(item->body);
			item->deps = migrate_image_dependencies(a);
		}
	}
	return true;
}

/*
 * Sub-objects that PostgreSQL re-creates under a new OID without reporting
 * a drop (ALTER COLUMN TYPE rebuilds the indexes and constraints on the
 * column; REINDEX CONCURRENTLY swaps indexes) would otherwise stay in the
 * registry at an OID that no longer exists.  Before storing a closure, the
 * registered sub-objects of its top-level objects are checked: one whose
 * OID is gone is re-pointed at the live object of the same kind and
 * identity when there is one (it is the same object, rebuilt), and
 * recorded as dropped by this unit otherwise.
 */
typedef struct RebuiltKey
{
	char		name[NAMEDATALEN * 4];
} RebuiltKey;

typedef struct RebuiltEntry
{
	RebuiltKey	key;
	ObjectAddress addr;
} RebuiltEntry;

static void
rebuilt_key(RebuiltKey *k, const char *kind, const char *identity)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s|%s", kind, identity);
}

/*
 * Can the registry row id take over the live object at addr?  Yes when addr
 * is not registered, or was registered by this very unit (its touches were
 * recorded under a new id while the statement ran; they move to id and the
 * new row goes).
 */
static bool
registry_merge_into(int64 id, const ObjectAddress *addr, int64 unit_id)
{
	static MigrateQuery created = {
		"SELECT created_unit FROM migrate.objects WHERE id OPERATOR(pg_catalog.=) $1",
		1, {INT8OID}
	};
	static MigrateQuery move = {
		"UPDATE migrate.touches SET object = $2 WHERE object OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, INT8OID}
	};
	static MigrateQuery del = {
		"DELETE FROM migrate.objects WHERE id OPERATOR(pg_catalog.=) $1"
		" AND NOT EXISTS (SELECT FROM migrate.images i WHERE i.object OPERATOR(pg_catalog.=) $1)"
		" AND NOT EXISTS (SELECT FROM migrate.objects c WHERE c.parent OPERATOR(pg_catalog.=) $1)",
		1, {INT8OID}
	};
	int64		other = registry_get(addr, NULL, NULL, false);
	Datum		v[2];

	if (other == 0)
		return true;
	v[0] = Int64GetDatum(other);
	mq_exec(&created, v, NULL, true, 1);
	if (mq_int64(0, 1, -1) != unit_id)
		return false;
	mq_exec(&del, v, NULL, false, 0);
	if (SPI_processed == 0)
		return false;
	v[1] = Int64GetDatum(id);
	mq_exec(&move, v, NULL, false, 0);
	return true;
}

static void
reconcile_rebuilt(int64 unit_id, Closure *c)
{
	static MigrateQuery children = {
		"SELECT c.id, c.classid, c.objid, c.objsubid, c.kind, c.identity"
		" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]),"
		"   pg_catalog.unnest($2::pg_catalog.oid[]), pg_catalog.unnest($3::pg_catalog.int4[]))"
		"   x(classid, objid, objsubid)"
		" CROSS JOIN LATERAL (SELECT p.id FROM migrate.objects p"
		"   WHERE p.classid OPERATOR(pg_catalog.=) x.classid AND p.objid OPERATOR(pg_catalog.=) x.objid"
		"   AND p.objsubid OPERATOR(pg_catalog.=) x.objsubid AND p.dropped_unit IS NULL LIMIT 1) p"
		" CROSS JOIN LATERAL (SELECT * FROM migrate.objects c WHERE c.parent OPERATOR(pg_catalog.=) p.id"
		"   AND COALESCE(c.dropped_unit, 0) OPERATOR(pg_catalog.=) 0 OFFSET 0) c",
		3, {OIDARRAYOID, OIDARRAYOID, INT4ARRAYOID}
	};
	HASHCTL		ctl;
	HTAB	   *byname;
	ListCell   *lc;
	List	   *parents = NIL;
	OwnerSwitch sw;

	ctl.keysize = sizeof(RebuiltKey);
	ctl.entrysize = sizeof(RebuiltEntry);
	ctl.hcxt = CurrentMemoryContext;
	byname = hash_create("migrate rebuilt", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, c->order)
	{
		ObjectAddress *a = lfirst(lc);
		ObjectAddress parent = migrate_image_parent(a);
		const char *kind;
		char	   *identity;
		RebuiltKey	key;
		RebuiltEntry *e;
		bool		found;

		if (!OidIsValid(parent.classId))
		{
			parents = lappend(parents, a);
			continue;
		}
		if (a->classId == RelationRelationId && a->objectSubId > 0)
			continue;			/* columns keep their attnum */
		kind = migrate_image_kind(a);
		identity = kind ? migrate_image_identity(a) : NULL;
		if (identity == NULL)
			continue;
		rebuilt_key(&key, kind, identity);
		e = hash_search(byname, &key, HASH_ENTER, &found);
		e->addr = *a;
	}

	if (parents == NIL)
		return;
	migrate_become_owner(&sw);
	{
		int			np = list_length(parents);
		Datum	   *c = palloc(sizeof(Datum) * np);
		Datum	   *o = palloc(sizeof(Datum) * np);
		Datum	   *sub = palloc(sizeof(Datum) * np);
		Datum		v[3];
		SPITupleTable *tt;
		uint64		n;
		int			k = 0;

		foreach(lc, parents)
		{
			ObjectAddress *a = lfirst(lc);

			c[k] = ObjectIdGetDatum(a->classId);
			o[k] = ObjectIdGetDatum(a->objectId);
			sub[k] = Int32GetDatum(a->objectSubId);
			k++;
		}
		v[0] = PointerGetDatum(migrate_array(c, NULL, np, OIDOID));
		v[1] = PointerGetDatum(migrate_array(o, NULL, np, OIDOID));
		v[2] = PointerGetDatum(migrate_array(sub, NULL, np, INT4OID));
		mq_exec(&children, v, NULL, true, 0);
		tt = SPI_tuptable;
		n = SPI_processed;
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
			ObjectAddress old;
			RebuiltKey	key;
			RebuiltEntry *e;

			old.classId = DatumGetObjectId(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
			old.objectId = DatumGetObjectId(SPI_getbinval(tt->vals[i], tt->tupdesc, 3, &isnull));
			old.objectSubId = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 4, &isnull));
			if (migrate_image_kind(&old) != NULL)
				continue;		/* still there */
			rebuilt_key(&key, SPI_getvalue(tt->vals[i], tt->tupdesc, 5),
						SPI_getvalue(tt->vals[i], tt->tupdesc, 6));
			e = hash_search(byname, &key, HASH_FIND, NULL);
			if (e != NULL && registry_merge_into(id, &e->addr, unit_id))
				registry_repoint(id, &e->addr);
			else
				registry_mark_dropped(id, unit_id);
		}
	}
	migrate_restore_user(&sw);
}

#define IMAGE_BATCH 128

/* image the objects of a closure, in batches, and store what changed */
static void
store_closure(int64 unit_id, Closure *c)
{
	MemoryContext batchcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate images",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;
	ImageItem  *items = palloc(sizeof(ImageItem) * IMAGE_BATCH);
	ListCell   *lc = list_head(c->order);

	if (c->rebuilds)
		reconcile_rebuilt(unit_id, c);
	while (lc != NULL)
	{
		int			n = 0;
		int			nest;

		oldcxt = MemoryContextSwitchTo(batchcxt);
		nest = migrate_image_enter();
		while (lc != NULL && n < IMAGE_BATCH)
		{
			if (make_item((ObjectAddress *) lfirst(lc), &items[n]))
				n++;
			lc = lnext(c->order, lc);
		}
		migrate_image_leave(nest);

		store_items(unit_id, items, n, journal != NIL);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(batchcxt);
	}
	MemoryContextDelete(batchcxt);
}

static void
store_tombstones(int64 unit_id)
{
	static MigrateQuery q = {
		"INSERT INTO migrate.images (object, unit, identity, hash)"
		" SELECT o.id, $1, o.identity, NULL FROM pg_catalog.unnest($2::pg_catalog.int8[]) x(id)"
		" CROSS JOIN LATERAL (SELECT * FROM migrate.objects o WHERE o.id OPERATOR(pg_catalog.=) x.id"
		"   AND o.dropped_unit OPERATOR(pg_catalog.=) $1 LIMIT 1) o"
		" WHERE (SELECT i.hash FROM migrate.images i WHERE i.object OPERATOR(pg_catalog.=) o.id"
		"   ORDER BY i.unit DESC LIMIT 1) IS NOT NULL",
		2, {INT8OID, INT8ARRAYOID}
	};
	Datum		v[2];
	Datum	   *ids;
	int			n = 0;
	ListCell   *lc;
	OwnerSwitch sw;

	if (dropped == NIL)
		return;
	ids = palloc(sizeof(Datum) * list_length(dropped));
	foreach(lc, dropped)
		ids[n++] = Int64GetDatum(((DroppedEntry *) lfirst(lc))->id);
	v[0] = Int64GetDatum(unit_id);
	v[1] = PointerGetDatum(migrate_array(ids, NULL, n, INT8OID));
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, false, 0);
	migrate_restore_user(&sw);
	dropped_reset();
}

/* the live objects touched in a unit, expanded into c */
static void
closure_of_unit(int64 unit_id, Closure *c)
{
	static MigrateQuery q = {
		"SELECT o.classid, o.objid, o.objsubid, o.kind,"
		" (SELECT i.identity FROM migrate.images i WHERE i.object OPERATOR(pg_catalog.=) o.id"
		"  ORDER BY i.unit DESC LIMIT 1),"
		" EXISTS (SELECT FROM migrate.touches t WHERE t.unit OPERATOR(pg_catalog.=) $1"
		"  AND t.command OPERATOR(pg_catalog.=) ANY ('{ALTER TABLE,ALTER FOREIGN TABLE,ALTER INDEX,"
		"ALTER DOMAIN,ALTER TYPE,ALTER MATERIALIZED VIEW}'::pg_catalog.text[]))"
		" FROM (SELECT DISTINCT t.object FROM migrate.touches t"
		"   WHERE t.unit OPERATOR(pg_catalog.=) $1 AND t.object IS NOT NULL) t"
		" CROSS JOIN LATERAL (SELECT * FROM migrate.objects o WHERE o.id OPERATOR(pg_catalog.=) t.object"
		"   AND COALESCE(o.dropped_unit, 0) OPERATOR(pg_catalog.=) 0 LIMIT 1) o",
		1, {INT8OID}
	};
	Datum		v[1] = {Int64GetDatum(unit_id)};
	OwnerSwitch sw;
	List	   *live = NIL;
	List	   *renamed_schemas = NIL;
	ListCell   *lc;

	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 0);
	/* only ALTER commands make PostgreSQL rebuild sub-objects under new OIDs */
	c->rebuilds = false;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		ObjectAddress *a = palloc(sizeof(ObjectAddress));
		char	   *kind = mq_text(i, 4);

		if (DatumGetBool(mq_value(i, 6, &isnull)))
			c->rebuilds = true;
		a->classId = (Oid) mq_int64(i, 1, 0);
		a->objectId = (Oid) mq_int64(i, 2, 0);
		a->objectSubId = (int32) mq_int64(i, 3, 0);
		live = lappend(live, a);
		if (strcmp(kind, "schema") == 0)
		{
			/* renamed since its last image? */
			char	   *now = migrate_image_identity(a);
			char	   *before = mq_text(i, 5);

			if (now != NULL && before != NULL && strcmp(now, before) != 0)
				renamed_schemas = lappend(renamed_schemas, a);
		}
	}
	migrate_restore_user(&sw);

	foreach(lc, live)
		closure_expand(c, (ObjectAddress *) lfirst(lc));
	/* a renamed schema changes the identity of everything in it */
	foreach(lc, renamed_schemas)
	{
		ListCell   *lc2;

		foreach(lc2, migrate_image_schema_objects(((ObjectAddress *) lfirst(lc))->objectId))
			closure_expand(c, (ObjectAddress *) lfirst(lc2));
	}
}

/*
 * The closure of a unit whose journal was never written (no drop came
 * between): straight from the journal, with no query.  A touched schema
 * whose name changed since its last image brings in everything it holds.
 */
static void
closure_from_journal(Closure *c)
{
	static MigrateQuery last_name = {
		"SELECT (SELECT i.identity FROM migrate.images i WHERE i.object OPERATOR(pg_catalog.=) o.id"
		"   ORDER BY i.unit DESC LIMIT 1)"
		" FROM migrate.objects o WHERE o.classid OPERATOR(pg_catalog.=) $1"
		" AND o.objid OPERATOR(pg_catalog.=) $2 AND o.objsubid OPERATOR(pg_catalog.=) 0"
		" AND o.dropped_unit IS NULL",
		2, {OIDOID, OIDOID}
	};
	static const char *const rebuilding[] = {
		"ALTER TABLE", "ALTER FOREIGN TABLE", "ALTER INDEX", "ALTER DOMAIN", "ALTER TYPE",
		"ALTER MATERIALIZED VIEW", NULL
	};
	List	   *live = NIL;
	ListCell   *lc;

	c->rebuilds = false;
	foreach(lc, journal)
	{
		JournalEntry *e = lfirst(lc);

		for (int i = 0; rebuilding[i]; i++)
			if (strcmp(e->command, rebuilding[i]) == 0)
				c->rebuilds = true;
		if (!OidIsValid(e->addr.classId) || migrate_image_kind(&e->addr) == NULL)
			continue;
		live = lappend(live, &e->addr);
		if (strcmp(e->kind, "schema") == 0)
		{
			Datum		v[2] = {ObjectIdGetDatum(e->addr.classId), ObjectIdGetDatum(e->addr.objectId)};
			OwnerSwitch sw;
			char	   *before;

			migrate_become_owner(&sw);
			mq_exec(&last_name, v, NULL, true, 1);
			before = SPI_processed > 0 ? mq_text(0, 1) : NULL;
			migrate_restore_user(&sw);
			if (before != NULL && strcmp(before, e->identity) != 0)
			{
				ListCell   *lc2;

				foreach(lc2, migrate_image_schema_objects(e->addr.objectId))
					closure_expand(c, (ObjectAddress *) lfirst(lc2));
			}
		}
	}
	foreach(lc, live)
		closure_expand(c, (ObjectAddress *) lfirst(lc));
}

int64
migrate_unit_end(void)
{
	int64		id = unit.id;
	Closure		c;
	OwnerSwitch sw;

	if (id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no unit of history is running in this session")));
	SPI_connect();
	closure_init(&c, true);
	if (!unit.flushed)
		closure_from_journal(&c);
	else
	{
		migrate_become_owner(&sw);
		journal_flush();
		migrate_restore_user(&sw);
		closure_of_unit(id, &c);
	}
	store_closure(id, &c);

	/*
	 * nothing to image (the touched objects are gone): the touches still
	 * count
	 */
	if (journal != NIL)
	{
		migrate_become_owner(&sw);
		journal_flush();
		migrate_restore_user(&sw);
	}
	store_tombstones(id);
	SPI_finish();
	unit.id = 0;
	return id;
}

void
migrate_image_into_unit(int64 unit_id, List *addrs)
{
	Closure		c;
	ListCell   *lc;

	SPI_connect();
	closure_init(&c, true);
	foreach(lc, addrs)
		closure_expand(&c, (ObjectAddress *) lfirst(lc));
	store_closure(unit_id, &c);
	SPI_finish();
}

int64
migrate_take_baseline(const char *version)
{
	Closure		c;
	ListCell   *lc;
	int64		id;

	id = migrate_unit_begin(UNIT_BASELINE, version, -1, NULL);
	SPI_connect();
	closure_init(&c, false);
	foreach(lc, migrate_image_all_objects())
		closure_expand(&c, (ObjectAddress *) lfirst(lc));
	store_closure(id, &c);
	SPI_finish();
	unit.id = 0;
	return id;
}

/* ------------------------------------------------------------------------
 * Reading recorded state
 * ------------------------------------------------------------------------
 */
Jsonb *
migrate_object_state_at(int64 object, int64 at_unit)
{
	static MigrateQuery q = {
		"SELECT d.body FROM (SELECT hash FROM migrate.images"
		"  WHERE object OPERATOR(pg_catalog.=) $1 AND unit OPERATOR(pg_catalog.<=) $2"
		"  ORDER BY unit DESC LIMIT 1) i"
		" LEFT JOIN migrate.definitions d ON d.hash OPERATOR(pg_catalog.=) i.hash",
		2, {INT8OID, INT8OID}
	};
	Datum		v[2] = {Int64GetDatum(object), Int64GetDatum(at_unit)};
	OwnerSwitch sw;
	bool		isnull;
	Jsonb	   *result = NULL;
	Datum		d;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	d = mq_value(0, 1, &isnull);
	if (!isnull)
		result = (Jsonb *) SPI_datumTransfer(d, false, -1);
	migrate_restore_user(&sw);
	SPI_finish();
	return result;
}

/*
 * migrate.take_baseline(version text DEFAULT NULL) RETURNS bigint
 *
 * Re-image every tracked object in a new baseline unit; returns its id.
 */
Datum
migrate_take_baseline_sql(PG_FUNCTION_ARGS)
{
	char	   *version = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_INT64(migrate_take_baseline(version));
}

/* unit of the last step of a recorded version (error when unknown) */
static int64
version_unit(const char *version)
{
	static MigrateQuery q = {
		"SELECT unit FROM migrate.revisions WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(version)};
	bool		found;
	int64		u;

	mq_exec(&q, v, NULL, true, 1);
	found = SPI_processed > 0;
	u = mq_int64(0, 1, 0);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version \"%s\" is not recorded in this database", version),
				 errhint("SELECT * FROM migrate_status() lists the recorded versions.")));
	return u;
}

/*
 * migrate_object_state(kind text, identity text, version text DEFAULT NULL)
 *		RETURNS jsonb
 *
 * The recorded image of an object as it was when version's last step
 * ended (the latest recorded state when version is NULL); NULL when the
 * object did not exist then.  identity is matched against the name the
 * object had at that version first, then against its latest name.  kind
 * "type" matches every type kind.
 */
Datum
migrate_object_state(PG_FUNCTION_ARGS)
{
	static MigrateQuery at_version = {
		"SELECT c.object, l.hash FROM"
		" (SELECT DISTINCT i.object FROM migrate.images i"
		"   JOIN migrate.objects o ON o.id OPERATOR(pg_catalog.=) i.object"
		"   WHERE i.identity OPERATOR(pg_catalog.=) $2 AND i.unit OPERATOR(pg_catalog.<=) $3"
		"   AND (o.kind OPERATOR(pg_catalog.=) $1 OR ($1 OPERATOR(pg_catalog.=) 'type' AND o.classid"
		"        OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass))) c"
		" CROSS JOIN LATERAL (SELECT identity, hash FROM migrate.images"
		"   WHERE object OPERATOR(pg_catalog.=) c.object AND unit OPERATOR(pg_catalog.<=) $3"
		"   ORDER BY unit DESC LIMIT 1) l"
		" WHERE l.identity OPERATOR(pg_catalog.=) $2 AND l.hash IS NOT NULL",
		3, {TEXTOID, TEXTOID, INT8OID}
	};
	static MigrateQuery by_name = {
		"SELECT o.id FROM migrate.objects o WHERE o.identity OPERATOR(pg_catalog.=) $2"
		" AND (o.kind OPERATOR(pg_catalog.=) $1 OR ($1 OPERATOR(pg_catalog.=) 'type' AND o.classid"
		"      OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass))"
		" ORDER BY o.dropped_unit DESC NULLS FIRST, o.id DESC LIMIT 1",
		2, {TEXTOID, TEXTOID}
	};
	text	   *kind;
	text	   *identity;
	int64		at;
	int64		object = 0;
	OwnerSwitch sw;
	Datum		v[3];
	Jsonb	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	kind = PG_GETARG_TEXT_PP(0);
	identity = PG_GETARG_TEXT_PP(1);

	SPI_connect();
	migrate_become_owner(&sw);
	if (PG_ARGISNULL(2))
	{
		static MigrateQuery last = {"SELECT pg_catalog.max(id) FROM migrate.units", 0, {0}};

		mq_exec(&last, NULL, NULL, true, 1);
		at = mq_int64(0, 1, 0);
	}
	else
		at = version_unit(text_to_cstring(PG_GETARG_TEXT_PP(2)));

	v[0] = PointerGetDatum(kind);
	v[1] = PointerGetDatum(identity);
	v[2] = Int64GetDatum(at);
	mq_exec(&at_version, v, NULL, true, 0);
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("%s \"%s\" is ambiguous at this version",
						text_to_cstring(kind), text_to_cstring(identity))));
	if (SPI_processed == 1)
		object = mq_int64(0, 1, 0);
	else
	{
		mq_exec(&by_name, v, NULL, true, 1);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no %s \"%s\" is recorded in the migrate history",
							text_to_cstring(kind), text_to_cstring(identity)),
					 errhint("Identities are written as pg_identify_object() gives them, e.g. \"public.users\" or \"public.users.id\".")));
		object = mq_int64(0, 1, 0);
	}
	migrate_restore_user(&sw);
	SPI_finish();

	result = migrate_object_state_at(object, at);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(result);
}

/*
 * migrate.image(classid oid, objid oid, objsubid integer DEFAULT 0) RETURNS jsonb
 *
 * The live image of an object (canonicalized first), or NULL.
 */
Datum
migrate_image_sql(PG_FUNCTION_ARGS)
{
	ObjectAddress a;
	ObjectAddress canon;
	Jsonb	   *img;

	a.classId = PG_GETARG_OID(0);
	a.objectId = PG_GETARG_OID(1);
	a.objectSubId = PG_GETARG_INT32(2);
	if (!migrate_image_canonical(&a, &canon))
		PG_RETURN_NULL();
	img = migrate_image_object(&canon);
	if (img == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(img);
}

/*
 * migrate.object_image(object bigint) RETURNS jsonb
 *
 * The live image of a registered object, or NULL when it no longer exists.
 */
Datum
migrate_object_image_sql(PG_FUNCTION_ARGS)
{
	static MigrateQuery q = {
		"SELECT classid, objid, objsubid FROM migrate.objects"
		" WHERE id OPERATOR(pg_catalog.=) $1 AND dropped_unit IS NULL",
		1, {INT8OID}
	};
	Datum		v[1] = {PG_GETARG_DATUM(0)};
	OwnerSwitch sw;
	ObjectAddress a = InvalidObjectAddress;
	bool		found;
	Jsonb	   *img;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	found = SPI_processed > 0;
	if (found)
	{
		a.classId = (Oid) mq_int64(0, 1, 0);
		a.objectId = (Oid) mq_int64(0, 2, 0);
		a.objectSubId = (int32) mq_int64(0, 3, 0);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	if (!found)
		PG_RETURN_NULL();
	img = migrate_image_object(&a);
	if (img == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(img);
}

/*
 * Let registry row id stand for the live object at addr (a revert created
 * it again under a new OID).  A row that the running unit registered for
 * addr in the meantime is merged into id: its touches move, its children
 * follow, it goes.  Returns false, changing nothing, when addr belongs to
 * an older registry row.
 */
bool
migrate_object_takeover(int64 id, const ObjectAddress *addr)
{
	static MigrateQuery other = {
		"SELECT id, created_unit FROM migrate.objects"
		" WHERE classid OPERATOR(pg_catalog.=) $1 AND objid OPERATOR(pg_catalog.=) $2"
		" AND objsubid OPERATOR(pg_catalog.=) $3 AND dropped_unit IS NULL",
		3, {OIDOID, OIDOID, INT4OID}
	};
	static MigrateQuery move_touches = {
		"UPDATE migrate.touches SET object = $2 WHERE object OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, INT8OID}
	};
	static MigrateQuery move_children = {
		"UPDATE migrate.objects SET parent = $2 WHERE parent OPERATOR(pg_catalog.=) $1",
		2, {INT8OID, INT8OID}
	};
	static MigrateQuery forget = {
		"DELETE FROM migrate.objects WHERE id OPERATOR(pg_catalog.=) $1"
		" AND NOT EXISTS (SELECT FROM migrate.images i WHERE i.object OPERATOR(pg_catalog.=) $1)",
		1, {INT8OID}
	};
	Datum		v[3];
	OwnerSwitch sw;
	bool		ok = true;

	SPI_connect();
	migrate_become_owner(&sw);
	v[0] = ObjectIdGetDatum(addr->classId);
	v[1] = ObjectIdGetDatum(addr->objectId);
	v[2] = Int32GetDatum(addr->objectSubId);
	mq_exec(&other, v, NULL, true, 1);
	if (SPI_processed > 0)
	{
		int64		oid_row = mq_int64(0, 1, 0);
		int64		created = mq_int64(0, 2, 0);

		if (oid_row == id)
			ok = true;
		else if (unit.id != 0 && created == unit.id)
		{
			Datum		m[2] = {Int64GetDatum(oid_row), Int64GetDatum(id)};

			mq_exec(&move_touches, m, NULL, false, 0);
			mq_exec(&move_children, m, NULL, false, 0);
			mq_exec(&forget, m, NULL, false, 0);
			ok = SPI_processed > 0;
		}
		else
			ok = false;
	}
	if (ok)
	{
		migrate_restore_user(&sw);
		SPI_finish();
		migrate_object_repoint(id, addr);
		return true;
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return false;
}
