/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Applying migration files and recording revisions.
 *
 * The client splits each file into statements and calls:
 *
 *	- tx modes file and all: migrate.apply_file() once per file, inside a
 *	  transaction of its own (file) or one around every file (all).  The
 *	  statements run in one subtransaction, as one unit of history; on error
 *	  the subtransaction is rolled back, the error and the failing statement
 *	  are written to the revisions row, and the failure is returned rather
 *	  than raised, so that the caller's commit keeps the error record (in
 *	  mode all the caller rolls back and calls migrate.record_failure()).
 *	- tx mode none: migrate.begin_file() once, then migrate.apply_statement()
 *	  per statement, each call in a transaction of its own; every statement
 *	  is a unit and advances the revision (applied, running hash) in the
 *	  statement's transaction.  A statement that cannot run inside a
 *	  function (CREATE INDEX CONCURRENTLY, ...) comes back with status
 *	  "toplevel": the client announces it (migrate.expect_toplevel), runs it
 *	  itself, and the ddl_command_end trigger records it in the statement's
 *	  own transaction; migrate.finish_toplevel() records statements that
 *	  fire no trigger.
 *
 * A rerun of a partially applied file continues at statement "applied"
 * after checking that the statements before it still hash to the recorded
 * running hashes ("history changed" otherwise).  txtar checks run before
 * the file's statements; each must return true.
 *
 * User statements run as the caller (these functions are SECURITY
 * INVOKER) under the caller's search_path, passed in explicitly because the
 * client pins its own session path to ''.  Bookkeeping is written as the
 * extension owner (util.h).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "history.h"
#include "leftover.h"
#include "revert.h"
#include "util.h"

PG_FUNCTION_INFO_V1(migrate_apply_file);
PG_FUNCTION_INFO_V1(migrate_begin_file);
PG_FUNCTION_INFO_V1(migrate_apply_statement);
PG_FUNCTION_INFO_V1(migrate_expect_toplevel);
PG_FUNCTION_INFO_V1(migrate_finish_toplevel);
PG_FUNCTION_INFO_V1(migrate_record_failure);
PG_FUNCTION_INFO_V1(migrate_baseline);

#define REV_BASELINE	1
#define REV_APPLIED		2
#define REV_SET			4

/* A file as the client sends it. */
typedef struct FileArgs
{
	char	   *version;
	char	   *description;
	char	   *hash;
	char	   *content;
	List	   *statements;		/* char * */
	ArrayType  *statements_arr;
	ArrayType  *checks_arr;		/* may be NULL */
	ArrayType  *down_arr;		/* may be NULL */
	int			start;
	char	   *search_path;	/* the runner's search_path for its statements */
	char	   *operator_version;
} FileArgs;

/* What an attempt returns. */
typedef struct Outcome
{
	bool		ok;
	bool		toplevel;		/* none mode: run it at top level */
	int			failed_index;	/* -1: none (or a check) */
	char	   *error;
	char	   *error_stmt;
	char	   *sqlstate;
	char	   *detail;
	char	   *hint;
	char	   *search_path_after;
	int64		elapsed_ns;
	int			failed_check;	/* index of the failing check, -1 none */
	int64		checks_ns;		/* time the checks took */
} Outcome;

static int64
elapsed_since(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return (int64) (INSTR_TIME_GET_DOUBLE(now) * 1e9);
}

static char *
arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
	{
		if (what == NULL)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static void
check_version_arg(const char *version)
{
	if (version == NULL || version[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration version must not be empty")));
}

/* ------------------------------------------------------------------------
 * Running user SQL under the runner's search_path
 * ------------------------------------------------------------------------
 */
/*
 * Run the runner's statements in a GUC nest level of their own; leaving it
 * with AtEOXact_GUC(false, ...) undoes every SET they made (including plain
 * SET, which would otherwise outlive the function), so a file's settings
 * last for that file (or, in mode none, that statement).
 */
static int
enter_user_path(const char *path)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("search_path", path ? path : "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

/* Execute one user statement; translate SPI refusals into clear errors. */
static void
exec_user_statement(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc == SPI_ERROR_TRANSACTION)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("transaction control statements are not allowed in a migration file that runs in a transaction"),
				 errdetail("The file runs inside a transaction that migrate manages."),
				 errhint("Remove BEGIN, COMMIT and similar statements, or add the directive \"-- migrate:txmode none\" at the top of the file.")));
	if (rc == SPI_ERROR_COPY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("COPY to or from the client is not supported in a migration file"),
				 errhint("Use INSERT statements, or COPY from a file on the database server.")));
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not execute statement: %s", SPI_result_code_string(rc))));
}

/* Fill an Outcome from the error being handled (after CopyErrorData). */
static void
outcome_from_error(Outcome *o, ErrorData *e, const char *stmt, int index)
{
	o->ok = false;
	o->failed_index = index;
	o->error = pstrdup(e->message ? e->message : "unknown error");
	o->error_stmt = stmt ? pstrdup(stmt) : NULL;
	o->sqlstate = pstrdup(unpack_sql_state(e->sqlerrcode));
	o->detail = e->detail ? pstrdup(e->detail) : NULL;
	o->hint = e->hint ? pstrdup(e->hint) : NULL;
	if (e->sqlerrcode == ERRCODE_ACTIVE_SQL_TRANSACTION && o->hint == NULL)
		o->hint = pstrdup("Statements that cannot run inside a transaction block need the directive \"-- migrate:txmode none\" at the top of the file.");
}

/* ------------------------------------------------------------------------
 * Bookkeeping (as the owner, connected to SPI)
 * ------------------------------------------------------------------------
 */
typedef struct RevRow
{
	bool		found;
	int			type;
	int			applied;
	int			total;
	List	   *partial;		/* char * */
} RevRow;

static RevRow
rev_read(const char *version, bool lock)
{
	static MigrateQuery q_lock = {
		"SELECT type, applied, total, partial_hashes FROM migrate.revisions"
		" WHERE version OPERATOR(pg_catalog.=) $1 FOR UPDATE",
		1, {TEXTOID}
	};
	static MigrateQuery q = {
		"SELECT type, applied, total, partial_hashes FROM migrate.revisions"
		" WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(version)};
	RevRow		r = {false, 0, 0, 0, NIL};
	bool		isnull;
	Datum		d;

	mq_exec(lock ? &q_lock : &q, v, NULL, !lock, 1);
	if (SPI_processed == 0)
		return r;
	r.found = true;
	r.type = (int) mq_int64(0, 1, 0);
	r.applied = (int) mq_int64(0, 2, 0);
	r.total = (int) mq_int64(0, 3, 0);
	d = mq_value(0, 4, &isnull);
	if (!isnull)
		r.partial = migrate_text_list(DatumGetArrayTypeP(d));
	return r;
}

static bool
rev_complete(const RevRow *r)
{
	if (r->type & (REV_BASELINE | REV_SET))
		return true;
	return r->applied >= r->total;
}

/*
 * Verify that the first `applied` statements of the file still hash to
 * the running hashes recorded when they were applied.
 */
static void
verify_prefix(const FileArgs *a, const RevRow *r)
{
	int			n = list_length(a->statements);

	if (r->applied > n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("history changed: version \"%s\" had %d statements applied, but the file now has %d",
						a->version, r->applied, n),
				 errhint("Restore the applied statements of the file, or repair the revision with \"migrate set\".")));
	for (int i = 0; i < r->applied; i++)
	{
		const char *recorded = i < list_length(r->partial) ? list_nth(r->partial, i) : NULL;
		char	   *now = migrate_running_hash(a->statements, i);

		if (recorded == NULL || strcmp(recorded, now) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("history changed: statement %d of version \"%s\" differs from the one applied",
							i + 1, a->version),
					 errdetail("Statements that already ran must not be edited; only the statements from the failed one onwards may change."),
					 errhint("Restore statement %d as it was applied, or repair the revision with \"migrate set\".", i + 1)));
	}
}

/*
 * The first attempt of a version: its revision row and its file's text,
 * written directly (migrate.files references the revision, whose row the
 * foreign key check sees when the second table is closed).
 */
static void
rev_insert(const FileArgs *a)
{
	BookRel		b;
	Datum		rv[13];
	bool		rn[13];
	Datum		fv[5];
	bool		fn[5];

	memset(rn, 0, sizeof(rn));
	rv[0] = CStringGetTextDatum(a->version);
	rv[1] = CStringGetTextDatum(a->description);
	rv[2] = Int32GetDatum(2);	/* type: applied */
	rv[3] = Int32GetDatum(0);	/* applied */
	rv[4] = Int32GetDatum(list_length(a->statements));
	rv[5] = TimestampTzGetDatum(GetCurrentTimestamp());
	rv[6] = Int64GetDatum(0);	/* execution_time */
	rn[7] = rn[8] = true;		/* error, error_stmt */
	rv[9] = CStringGetTextDatum(a->hash);
	rn[10] = true;				/* partial_hashes */
	rv[11] = CStringGetTextDatum(a->operator_version);
	rn[12] = true;				/* unit */
	book_open(&b, "revisions");
	book_insert(&b, rv, rn);
	book_close(&b);

	fv[0] = rv[0];
	fv[1] = CStringGetTextDatum(a->content);
	fv[2] = PointerGetDatum(a->statements_arr);
	fn[0] = fn[1] = fn[2] = false;
	fv[3] = PointerGetDatum(a->checks_arr);
	fn[3] = (a->checks_arr == NULL);
	fv[4] = PointerGetDatum(a->down_arr);
	fn[4] = (a->down_arr == NULL);
	book_open(&b, "files");
	book_insert(&b, fv, fn);
	book_close(&b);
}

/*
 * Create or update the revisions row and the stored text for an attempt
 * at a file; checks the applied prefix.
 */
static void
rev_begin(const FileArgs *a)
{
	/* a later attempt: the revision row and the file's text, in one statement */
	static MigrateQuery upd = {
		"WITH r AS (UPDATE migrate.revisions SET description = $2, total = $3, hash = $4,"
		"   operator_version = $5, execution_time = 0, type = type OPERATOR(pg_catalog.|) 2"
		"   WHERE version OPERATOR(pg_catalog.=) $1)"
		" INSERT INTO migrate.files (version, content, statements, checks, down)"
		" VALUES ($1, $6, $7, $8, $9) ON CONFLICT (version) DO UPDATE"
		" SET content = excluded.content, statements = excluded.statements,"
		" checks = excluded.checks, down = excluded.down",
		9, {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID}
	};
	RevRow		r = rev_read(a->version, true);
	Datum		v[9];
	char		nulls[9] = "         ";

	if (r.found && rev_complete(&r))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("version \"%s\" is already applied", a->version),
				 errhint("SELECT * FROM migrate_status() shows the recorded versions.")));
	if ((r.found ? r.applied : 0) != a->start)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version \"%s\" has %d statements applied, not %d",
						a->version, r.found ? r.applied : 0, a->start),
				 errdetail("The client asked to start at statement %d.", a->start + 1),
				 errhint("Another runner may have changed the revisions; run the command again.")));
	if (!r.found)
	{
		rev_insert(a);
		return;
	}
	verify_prefix(a, &r);

	v[0] = CStringGetTextDatum(a->version);
	v[1] = CStringGetTextDatum(a->description);
	v[2] = Int32GetDatum(list_length(a->statements));
	v[3] = CStringGetTextDatum(a->hash);
	v[4] = CStringGetTextDatum(a->operator_version);
	v[5] = CStringGetTextDatum(a->content);
	v[6] = PointerGetDatum(a->statements_arr);
	if (a->checks_arr)
		v[7] = PointerGetDatum(a->checks_arr);
	else
		nulls[7] = 'n';
	if (a->down_arr)
		v[8] = PointerGetDatum(a->down_arr);
	else
		nulls[8] = 'n';
	mq_exec(&upd, v, nulls, false, 0);
}

static void
rev_set_error(const char *version, const char *error, const char *stmt, int64 elapsed_ns)
{
	static MigrateQuery q = {
		"UPDATE migrate.revisions SET error = $2, error_stmt = $3,"
		" execution_time = execution_time OPERATOR(pg_catalog.+) $4"
		" WHERE version OPERATOR(pg_catalog.=) $1",
		4, {TEXTOID, TEXTOID, TEXTOID, INT8OID}
	};
	Datum		v[4];
	char		nulls[4] = "    ";

	v[0] = CStringGetTextDatum(version);
	v[1] = CStringGetTextDatum(error);
	if (stmt)
		v[2] = CStringGetTextDatum(stmt);
	else
		nulls[2] = 'n';
	v[3] = Int64GetDatum(elapsed_ns);
	mq_exec(&q, v, nulls, false, 0);
}

static void
rev_complete_file(const char *version, int total, int64 unit_id, int64 elapsed_ns)
{
	static MigrateQuery q = {
		"UPDATE migrate.revisions SET applied = $2, partial_hashes = NULL, error = NULL,"
		" error_stmt = NULL, execution_time = execution_time OPERATOR(pg_catalog.+) $4,"
		" unit = COALESCE($3, unit)"
		" WHERE version OPERATOR(pg_catalog.=) $1",
		4, {TEXTOID, INT4OID, INT8OID, INT8OID}
	};
	Datum		v[4];
	char		nulls[4] = "    ";

	v[0] = CStringGetTextDatum(version);
	v[1] = Int32GetDatum(total);
	if (unit_id)
		v[2] = Int64GetDatum(unit_id);
	else
		nulls[2] = 'n';
	v[3] = Int64GetDatum(elapsed_ns);
	mq_exec(&q, v, nulls, false, 0);
}

/* statements of a recorded file (migrate.files) */
static List *
stored_statements(const char *version)
{
	static MigrateQuery q = {
		"SELECT statements FROM migrate.files WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(version)};
	bool		isnull;
	Datum		d;

	mq_exec(&q, v, NULL, true, 1);
	d = mq_value(0, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version \"%s\" has no recorded file text", version),
				 errhint("Start the file with migrate.begin_file() first.")));
	return migrate_text_list(DatumGetArrayTypeP(d));
}

void
migrate_revision_advance(const char *version, int index, int64 unit_id, int64 elapsed_ns)
{
	static MigrateQuery q = {
		"UPDATE migrate.revisions SET applied = $2,"
		" partial_hashes = CASE WHEN $2 OPERATOR(pg_catalog.>=) total THEN NULL"
		"   ELSE pg_catalog.array_append(COALESCE(partial_hashes, '{}'), $3) END,"
		" error = NULL, error_stmt = NULL,"
		" execution_time = execution_time OPERATOR(pg_catalog.+) $5,"
		" unit = COALESCE($4, unit)"
		" WHERE version OPERATOR(pg_catalog.=) $1",
		5, {TEXTOID, INT4OID, TEXTOID, INT8OID, INT8OID}
	};
	OwnerSwitch sw;
	RevRow		r;
	List	   *stmts;
	Datum		v[5];
	char		nulls[5] = "     ";

	SPI_connect();
	migrate_become_owner(&sw);
	r = rev_read(version, true);
	if (!r.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version \"%s\" is not recorded", version)));
	if (r.applied != index)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("statement %d of version \"%s\" is not the next one to record",
						index + 1, version),
				 errdetail("The revision records %d applied statements.", r.applied)));
	stmts = stored_statements(version);
	if (index >= list_length(stmts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version \"%s\" has no statement %d", version, index + 1)));
	v[0] = CStringGetTextDatum(version);
	v[1] = Int32GetDatum(index + 1);
	v[2] = CStringGetTextDatum(migrate_running_hash(stmts, index));
	if (unit_id)
		v[3] = Int64GetDatum(unit_id);
	else
		nulls[3] = 'n';
	v[4] = Int64GetDatum(elapsed_ns);
	mq_exec(&q, v, nulls, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------
 */

/* Run txtar checks (each must return true); errors propagate. */
static void
run_checks(const FileArgs *a, volatile int *failed)
{
	List	   *checks = migrate_text_list(a->checks_arr);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, checks)
	{
		const char *sql = lfirst(lc);
		int			rc;
		bool		isnull = true;
		bool		value = false;

		*failed = i++;
		if (sql == NULL)
			continue;
		rc = SPI_execute(sql, true, 2);
		if (rc != SPI_OK_SELECT || SPI_processed != 1 || SPI_tuptable->tupdesc->natts != 1 ||
			SPI_gettypeid(SPI_tuptable->tupdesc, 1) != BOOLOID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("check must return exactly one boolean value"),
					 errdetail("A check in checks.sql is a query such as SELECT NOT EXISTS (...).")));
		value = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull || !value)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("check failed before migrating version \"%s\"", a->version),
					 errdetail("The check returned %s.", isnull ? "null" : "false")));
	}
	*failed = -1;
}

/* ------------------------------------------------------------------------
 * Attempts
 * ------------------------------------------------------------------------
 */

/*
 * Run fn in a subtransaction; on error roll it back and describe the error
 * in *o (the statement that failed is o->error_stmt when fn set
 * *failing_stmt before raising).
 */
typedef void (*AttemptFn) (void *arg, Outcome *o);

static bool
attempt(AttemptFn fn, void *arg, Outcome *o, const char **failing_stmt, int *failing_index)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg, o);
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
		outcome_from_error(o, edata, *failing_stmt, *failing_index);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

typedef struct FileRun
{
	FileArgs   *args;
	bool		statements;		/* false: begin_file (checks only) */
	const char *failing_stmt;
	int			failing_index;
	int			failed_check;
	int64		checks_ns;
	int64		unit;
} FileRun;

static void
file_run(void *arg, Outcome *o)
{
	FileRun    *run = arg;
	FileArgs   *a = run->args;
	int			nest;
	volatile int check_failed = -1;
	ListCell   *lc;
	volatile int i = 0;

	/* checks first, as the runner, under its search_path */
	if (a->checks_arr != NULL)
	{
		instr_time	start;

		INSTR_TIME_SET_CURRENT(start);
		nest = enter_user_path(a->search_path);
		PG_TRY();
		{
			run_checks(a, &check_failed);
		}
		PG_CATCH();
		{
			if (check_failed >= 0)
			{
				run->failing_stmt = list_nth(migrate_text_list(a->checks_arr), check_failed);
				run->failed_check = check_failed;
			}
			PG_RE_THROW();
		}
		PG_END_TRY();
		AtEOXact_GUC(false, nest);
		run->checks_ns = elapsed_since(start);
	}
	if (!run->statements)
		return;

	run->unit = migrate_unit_begin(UNIT_MIGRATION, a->version, -1, NULL);
	nest = enter_user_path(a->search_path);
	foreach(lc, a->statements)
	{
		const char *sql = lfirst(lc);

		if (i >= a->start)
		{
			run->failing_stmt = sql;
			run->failing_index = i;
			migrate_unit_set_statement(i);
			exec_user_statement(sql);
			CHECK_FOR_INTERRUPTS();
		}
		i++;
	}
	run->failing_stmt = NULL;
	run->failing_index = -1;
	AtEOXact_GUC(false, nest);
	migrate_unit_set_statement(-1);
	migrate_unit_end();
}

static void
file_args_from_call(FunctionCallInfo fcinfo, FileArgs *a, int search_path_arg, int opver_arg)
{
	a->version = arg_text(fcinfo, 0, "version");
	check_version_arg(a->version);
	a->description = arg_text(fcinfo, 1, "description");
	a->hash = arg_text(fcinfo, 2, "hash");
	a->content = arg_text(fcinfo, 3, "content");
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statements must not be null")));
	a->statements_arr = PG_GETARG_ARRAYTYPE_P(4);
	a->statements = migrate_text_list(a->statements_arr);
	{
		ListCell   *lc;

		foreach(lc, a->statements)
			if (lfirst(lc) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("statements must not contain null elements")));
	}
	a->checks_arr = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	a->down_arr = PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6);
	a->start = PG_ARGISNULL(7) ? 0 : PG_GETARG_INT32(7);
	if (a->start < 0 || a->start > list_length(a->statements))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start %d is out of range for a file of %d statements",
						a->start, list_length(a->statements))));
	a->search_path = arg_text(fcinfo, search_path_arg, NULL);
	a->operator_version = arg_text(fcinfo, opver_arg, NULL);
	if (a->operator_version == NULL)
		a->operator_version = psprintf("migrate %s", MIGRATE_VERSION);
}

static Datum
outcome_tuple(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

static void
set_text(Datum *values, bool *nulls, int i, const char *s)
{
	if (s == NULL)
		nulls[i] = true;
	else
		values[i] = CStringGetTextDatum(s);
}

/*
 * migrate.apply_file(version, description, hash, content, statements text[],
 *		checks text[], down text[], start int, mode text, search_path text,
 *		operator_version text)
 *	RETURNS (ok, applied, total, failed_index, error, error_stmt, sqlstate,
 *		detail, hint, elapsed_ns, failed_check, checks_ns)
 *
 * Applies statements [start, n) of a file as one unit in a subtransaction
 * of the caller's transaction.  Invalid calls (a version already applied,
 * a changed history, a wrong start) raise errors; a failing check or
 * statement is returned, recorded in the revisions row when mode is
 * "file".
 */
Datum
migrate_apply_file(PG_FUNCTION_ARGS)
{
	FileArgs	a;
	FileRun		run;
	Outcome		o;
	char	   *mode;
	instr_time	start;
	OwnerSwitch sw;
	Datum		values[12];
	bool		nulls[12];

	INSTR_TIME_SET_CURRENT(start);
	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	file_args_from_call(fcinfo, &a, 9, 10);
	mode = arg_text(fcinfo, 8, "mode");
	if (strcmp(mode, "file") != 0 && strcmp(mode, "all") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid transaction mode \"%s\" for migrate.apply_file", mode),
				 errhint("Use \"file\" or \"all\"; files in mode \"none\" go through migrate.begin_file and migrate.apply_statement.")));
	if (IsTransactionBlock() == false && strcmp(mode, "all") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("transaction mode \"all\" needs a transaction block around the calls")));

	memset(&o, 0, sizeof(o));
	o.ok = true;
	o.failed_index = -1;
	memset(&run, 0, sizeof(run));
	run.args = &a;
	run.statements = true;
	run.failing_index = -1;
	run.failed_check = -1;

	SPI_connect();
	migrate_become_owner(&sw);
	rev_begin(&a);
	migrate_restore_user(&sw);

	if (!attempt(file_run, &run, &o, &run.failing_stmt, &run.failing_index))
	{
		o.elapsed_ns = elapsed_since(start);
		if (strcmp(mode, "file") == 0)
		{
			migrate_become_owner(&sw);
			rev_set_error(a.version, o.error, o.error_stmt, o.elapsed_ns);
			migrate_restore_user(&sw);
		}
	}
	else
	{
		o.elapsed_ns = elapsed_since(start);
		migrate_become_owner(&sw);
		rev_complete_file(a.version, list_length(a.statements), run.unit, o.elapsed_ns);
		migrate_restore_user(&sw);
	}
	SPI_finish();

	memset(nulls, 0, sizeof(nulls));
	values[0] = BoolGetDatum(o.ok);
	values[1] = Int32GetDatum(o.ok ? list_length(a.statements) : a.start);
	values[2] = Int32GetDatum(list_length(a.statements));
	if (o.failed_index >= 0)
		values[3] = Int32GetDatum(o.failed_index);
	else
		nulls[3] = true;
	set_text(values, nulls, 4, o.error);
	set_text(values, nulls, 5, o.error_stmt);
	set_text(values, nulls, 6, o.sqlstate);
	set_text(values, nulls, 7, o.detail);
	set_text(values, nulls, 8, o.hint);
	values[9] = Int64GetDatum(o.elapsed_ns);
	if (run.failed_check >= 0 && !o.ok)
		values[10] = Int32GetDatum(run.failed_check);
	else
		nulls[10] = true;
	values[11] = Int64GetDatum(run.checks_ns);
	PG_RETURN_DATUM(outcome_tuple(fcinfo, values, nulls));
}

/*
 * migrate.begin_file(version, description, hash, content, statements,
 *		checks, down, start, search_path, operator_version)
 *	RETURNS (ok, failed_check, error, error_stmt, sqlstate, detail, hint, checks_ns)
 *
 * txmode none: records the attempt (the revisions row and the file's
 * text), verifies the applied prefix and runs the checks.  A failing check
 * is recorded in the row and returned.
 */
Datum
migrate_begin_file(PG_FUNCTION_ARGS)
{
	FileArgs	a;
	FileRun		run;
	Outcome		o;
	OwnerSwitch sw;
	instr_time	start;
	Datum		values[8];
	bool		nulls[8];

	INSTR_TIME_SET_CURRENT(start);
	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	file_args_from_call(fcinfo, &a, 8, 9);
	memset(&o, 0, sizeof(o));
	o.ok = true;
	o.failed_index = -1;
	memset(&run, 0, sizeof(run));
	run.args = &a;
	run.statements = false;
	run.failing_index = -1;
	run.failed_check = -1;

	SPI_connect();
	migrate_become_owner(&sw);
	rev_begin(&a);
	migrate_restore_user(&sw);
	if (a.checks_arr != NULL &&
		!attempt(file_run, &run, &o, &run.failing_stmt, &run.failing_index))
	{
		migrate_become_owner(&sw);
		rev_set_error(a.version, o.error, o.error_stmt, elapsed_since(start));
		migrate_restore_user(&sw);
	}
	SPI_finish();

	memset(nulls, 0, sizeof(nulls));
	values[0] = BoolGetDatum(o.ok);
	if (run.failed_check >= 0 && !o.ok)
		values[1] = Int32GetDatum(run.failed_check);
	else
		nulls[1] = true;
	set_text(values, nulls, 2, o.error);
	set_text(values, nulls, 3, o.error_stmt);
	set_text(values, nulls, 4, o.sqlstate);
	set_text(values, nulls, 5, o.detail);
	set_text(values, nulls, 6, o.hint);
	values[7] = Int64GetDatum(run.checks_ns);
	PG_RETURN_DATUM(outcome_tuple(fcinfo, values, nulls));
}

typedef struct StmtRun
{
	const char *version;
	int			index;
	const char *sql;
	const char *search_path;
	char	   *path_after;
	int64		unit;
} StmtRun;

static void
statement_run(void *arg, Outcome *o)
{
	StmtRun    *run = arg;
	int			nest;

	run->unit = migrate_unit_begin(UNIT_MIGRATION, run->version, run->index, NULL);
	migrate_unit_set_statement(run->index);
	nest = enter_user_path(run->search_path);
	exec_user_statement(run->sql);
	run->path_after = pstrdup(GetConfigOption("search_path", false, false));
	AtEOXact_GUC(false, nest);
	migrate_unit_end();
}

/*
 * migrate.apply_statement(version text, index int, search_path text)
 *	RETURNS (status, error, sqlstate, detail, hint, search_path_after, elapsed_ns)
 *
 * txmode none: runs statement index of the recorded file as a unit and
 * advances the revision.  status is "ok", "failed" (recorded in the row),
 * or "toplevel" when the statement cannot run inside a function: nothing
 * was recorded, the client runs it itself (see migrate.expect_toplevel).
 * search_path_after is the path after the statement, for the next call.
 */
Datum
migrate_apply_statement(PG_FUNCTION_ARGS)
{
	StmtRun		run;
	Outcome		o;
	OwnerSwitch sw;
	RevRow		r;
	List	   *stmts;
	instr_time	start;
	const char *failing;
	int			failing_index;
	const char *status;
	Datum		values[7];
	bool		nulls[7];

	INSTR_TIME_SET_CURRENT(start);
	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	memset(&run, 0, sizeof(run));
	run.version = arg_text(fcinfo, 0, "version");
	check_version_arg(run.version);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("index must not be null")));
	run.index = PG_GETARG_INT32(1);
	run.search_path = arg_text(fcinfo, 2, NULL);

	SPI_connect();
	migrate_become_owner(&sw);
	r = rev_read(run.version, true);
	if (!r.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version \"%s\" is not recorded", run.version),
				 errhint("Start the file with migrate.begin_file() first.")));
	if (r.applied != run.index)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("statement %d of version \"%s\" is not the next one to apply",
						run.index + 1, run.version),
				 errdetail("The revision records %d applied statements.", r.applied)));
	stmts = stored_statements(run.version);
	if (run.index < 0 || run.index >= list_length(stmts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("version \"%s\" has no statement %d", run.version, run.index + 1)));
	run.sql = list_nth(stmts, run.index);
	migrate_restore_user(&sw);

	memset(&o, 0, sizeof(o));
	o.ok = true;
	failing = run.sql;
	failing_index = run.index;
	if (attempt(statement_run, &run, &o, &failing, &failing_index))
	{
		o.elapsed_ns = elapsed_since(start);
		migrate_revision_advance(run.version, run.index, run.unit, o.elapsed_ns);
		status = "ok";
	}
	else if (strcmp(o.sqlstate, "25001") == 0)
	{
		/*
		 * cannot run inside a function or transaction block: the client runs
		 * it
		 */
		o.elapsed_ns = elapsed_since(start);
		status = "toplevel";
	}
	else
	{
		o.elapsed_ns = elapsed_since(start);
		migrate_become_owner(&sw);
		rev_set_error(run.version, o.error, o.error_stmt, o.elapsed_ns);
		migrate_restore_user(&sw);
		status = "failed";
	}
	SPI_finish();

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(status);
	set_text(values, nulls, 1, strcmp(status, "toplevel") == 0 ? NULL : o.error);
	set_text(values, nulls, 2, o.sqlstate);
	set_text(values, nulls, 3, o.detail);
	set_text(values, nulls, 4, o.hint);
	set_text(values, nulls, 5, run.path_after ? run.path_after : run.search_path);
	values[6] = Int64GetDatum(o.elapsed_ns);
	PG_RETURN_DATUM(outcome_tuple(fcinfo, values, nulls));
}

/*
 * migrate.expect_toplevel(version text, index int, search_path text DEFAULT NULL)
 *	RETURNS void
 *
 * Announce that the client is about to run statement index of version
 * outside any function (under search_path); the event triggers record it
 * as that statement's unit, in its own transaction.  A statement that
 * builds indexes concurrently is first recorded in migrate.attempts, in
 * this call's transaction, so that what an interruption of it leaves
 * behind can be told apart later (leftover.c).
 */
Datum
migrate_expect_toplevel(PG_FUNCTION_ARGS)
{
	char	   *version = arg_text(fcinfo, 0, "version");
	char	   *search_path = arg_text(fcinfo, 2, NULL);
	int			index;
	OwnerSwitch sw;
	RevRow		r;
	List	   *stmts = NIL;
	bool		attempt;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("index must not be null")));
	index = PG_GETARG_INT32(1);
	/* writes migrate.attempts: runners take turns */
	migrate_lock_for_transaction();
	SPI_connect();
	migrate_become_owner(&sw);
	r = rev_read(version, false);
	if (r.found && r.applied == index)
		stmts = stored_statements(version);
	migrate_restore_user(&sw);
	SPI_finish();
	if (!r.found || r.applied != index || index < 0 || index >= list_length(stmts))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("statement %d of version \"%s\" is not the next one to apply",
						index + 1, version)));
	attempt = migrate_attempt_record(version, index, list_nth(stmts, index), search_path);
	migrate_toplevel_expect(version, index, false, attempt);
	PG_RETURN_VOID();
}

/*
 * migrate.finish_toplevel(version text, index int, elapsed_ns bigint) RETURNS text
 *
 * After the client ran an announced statement successfully: "recorded"
 * when its event trigger recorded it (in the statement's transaction),
 * "advanced" when it fired none (VACUUM, REINDEX ...) and the revision is
 * advanced now.
 */
Datum
migrate_finish_toplevel(PG_FUNCTION_ARGS)
{
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			index = PG_GETARG_INT32(1);
	int64		elapsed = PG_GETARG_INT64(2);
	int64		u;
	const char *result;

	if (migrate_toplevel_done(version, index, &u))
	{
		static MigrateQuery q = {
			"UPDATE migrate.revisions SET execution_time = execution_time OPERATOR(pg_catalog.+) $2"
			" WHERE version OPERATOR(pg_catalog.=) $1",
			2, {TEXTOID, INT8OID}
		};
		Datum		v[2] = {CStringGetTextDatum(version), Int64GetDatum(elapsed)};

		mq_write_as_owner(&q, v, NULL);
		result = "recorded";
	}
	else
	{
		migrate_revision_advance(version, index, 0, elapsed);
		/* REINDEX fires no trigger: its attempt row goes here */
		migrate_attempt_forget(version, index);
		result = "advanced";
	}
	migrate_toplevel_forget();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * migrate.record_failure(version, description, hash, total, error,
 *		error_stmt, elapsed_ns, operator_version) RETURNS void
 *
 * Record the error of a failed attempt whose transaction the client rolled
 * back (tx mode all, or a top-level statement of a none-mode file).  The
 * row is created when the rollback removed it.
 */
Datum
migrate_record_failure(PG_FUNCTION_ARGS)
{
	static MigrateQuery q = {
		"INSERT INTO migrate.revisions AS r (version, description, type, applied, total,"
		" executed_at, execution_time, error, error_stmt, hash, operator_version)"
		" VALUES ($1, $2, 2, 0, $4, pg_catalog.clock_timestamp(), $7, $5, $6, $3, $8)"
		" ON CONFLICT (version) DO UPDATE SET error = excluded.error,"
		" error_stmt = excluded.error_stmt, execution_time = excluded.execution_time",
		8, {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT8OID, TEXTOID}
	};
	Datum		v[8];
	char		nulls[8] = "        ";
	char	   *version = arg_text(fcinfo, 0, "version");

	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	check_version_arg(version);
	v[0] = CStringGetTextDatum(version);
	v[1] = CStringGetTextDatum(arg_text(fcinfo, 1, "description"));
	v[2] = CStringGetTextDatum(PG_ARGISNULL(2) ? "" : arg_text(fcinfo, 2, NULL));
	v[3] = Int32GetDatum(PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3));
	v[4] = CStringGetTextDatum(PG_ARGISNULL(4) ? "unknown error" : arg_text(fcinfo, 4, NULL));
	if (PG_ARGISNULL(5))
		nulls[5] = 'n';
	else
		v[5] = PG_GETARG_DATUM(5);
	v[6] = Int64GetDatum(PG_ARGISNULL(6) ? 0 : PG_GETARG_INT64(6));
	v[7] = CStringGetTextDatum(PG_ARGISNULL(7) ? psprintf("migrate %s", MIGRATE_VERSION)
							   : arg_text(fcinfo, 7, NULL));

	migrate_toplevel_forget();
	mq_write_as_owner(&q, v, nulls);
	PG_RETURN_VOID();
}

/*
 * migrate.baseline(version text, description text, operator_version text)
 *		RETURNS bigint
 *
 * First run on a database that already holds its schema: re-image every
 * tracked object (a baseline unit) and record version as the baseline
 * (type 1), so that its state is the state at version.  Refused when
 * revisions exist.  Returns the unit.
 */
Datum
migrate_baseline(PG_FUNCTION_ARGS)
{
	static MigrateQuery any = {"SELECT 1 FROM migrate.revisions LIMIT 1", 0, {0}};
	static MigrateQuery ins = {
		"INSERT INTO migrate.revisions (version, description, type, applied, total, executed_at,"
		" execution_time, hash, operator_version, unit)"
		" VALUES ($1, $2, 1, 0, 0, pg_catalog.clock_timestamp(), 0, '', $3, $4)",
		4, {TEXTOID, TEXTOID, TEXTOID, INT8OID}
	};
	char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
	OwnerSwitch sw;
	bool		exists;
	int64		u;
	Datum		v[4];

	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();

	check_version_arg(version);
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&any, NULL, NULL, true, 1);
	exists = SPI_processed > 0;
	migrate_restore_user(&sw);
	if (exists)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot record baseline version \"%s\": the database already has revisions",
						version),
				 errhint("A baseline is only for the first run on a database that already holds its schema.")));
	u = migrate_take_baseline(version);
	v[0] = CStringGetTextDatum(version);
	v[1] = PG_GETARG_DATUM(1);
	v[2] = PG_GETARG_DATUM(2);
	v[3] = Int64GetDatum(u);
	migrate_become_owner(&sw);
	mq_exec(&ins, v, NULL, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
	PG_RETURN_INT64(u);
}
