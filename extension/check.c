/*-------------------------------------------------------------------------
 *
 * check.c
 *	  The data checks of a revert: building them, running them, and what a
 *	  failure means.
 *
 * Every check is a query of the form SELECT NOT EXISTS (...) that stops at
 * the first row that blocks the step; only when it returns false is the
 * blocking count computed (a second query with count(*)).  A check runs in
 * a subtransaction of its own, so that an error raised by the check itself
 * (a cast that fails while testing a narrowing type change) counts as a
 * failed check instead of aborting the revert with an unrelated message.
 *
 * Destructive checks (a table or column that still holds data, a type
 * change that loses values) can be allowed by naming the object, or the
 * table it belongs to, in allow_loss.  Validating checks (NOT NULL,
 * duplicates, orphans, violated CHECK constraints, enum labels in use)
 * cannot be allowed: the statement they guard would fail anyway.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "revert.h"

Check *
check_new(CheckKind kind, const char *version, const char *object, const char *container)
{
	Check	   *c = palloc0(sizeof(Check));

	c->kind = kind;
	c->version = version ? pstrdup(version) : NULL;
	c->object = object ? pstrdup(object) : NULL;
	c->container = container ? pstrdup(container) : NULL;
	c->count = -1;
	c->unit_word = "row";
	c->destructive = (kind == CHECK_TABLE_EMPTY || kind == CHECK_COLUMN_EMPTY ||
					  kind == CHECK_LOSSLESS);
	return c;
}

/*
 * Run one query that returns one value, in a subtransaction.  Returns
 * false and sets *error when the query raised an error.
 */
static bool
run_value(const char *sql, Datum *value, bool *isnull, char **error)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	*isnull = true;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		int			rc;

		SPI_connect();
		rc = SPI_execute(sql, true, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "check did not return one row: %s", sql);
		*value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
		if (!*isnull)
			*value = SPI_datumTransfer(*value, true, sizeof(int64));
		SPI_finish();
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
		*error = pstrdup(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static bool
allowed(Revert *rv, Check *c)
{
	ListCell   *lc;

	if (!c->destructive)
		return false;
	foreach(lc, rv->allow_loss)
	{
		const char *name = lfirst(lc);

		if ((c->object && strcmp(name, c->object) == 0) ||
			(c->container && strcmp(name, c->container) == 0))
			return true;
	}
	return false;
}

/* Run a check (after the locks of its step were taken). */
void
check_run(Revert *rv, Check *c)
{
	Datum		value = (Datum) 0;
	bool		isnull;
	char	   *error = NULL;
	instr_time	start,
				end;

	INSTR_TIME_SET_CURRENT(start);
	c->ran = true;
	if (!run_value(c->sql, &value, &isnull, &error))
	{
		c->passed = false;
		c->error = error;
	}
	else
		c->passed = !isnull && DatumGetBool(value);
	if (!c->passed && c->count_sql && c->error == NULL)
	{
		if (run_value(c->count_sql, &value, &isnull, &error) && !isnull)
			c->count = DatumGetInt64(value);
	}
	if (!c->passed)
		c->allowed = allowed(rv, c);
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, start);
	c->duration_us = (int64) INSTR_TIME_GET_MICROSEC(end);
}

/* Does the outcome stop the revert? */
bool
check_blocks(Revert *rv, Check *c)
{
	return c->ran && !c->passed && !c->allowed;
}

/* "row" or "rows", "group of duplicate rows" or "groups of ..." */
static char *
counted(Check *c)
{
	const char *space;

	if (c->count == 1)
		return pstrdup(c->unit_word);
	space = strchr(c->unit_word, ' ');
	if (space == NULL)
		return psprintf("%ss", c->unit_word);
	return psprintf("%.*ss%s", (int) (space - c->unit_word), c->unit_word, space);
}

static char *
count_text(Check *c)
{
	if (c->count < 0)
		return pstrdup("");
	return psprintf(" (" INT64_FORMAT " %s)", c->count,
					counted(c));
}

/* The result column of a check's row. */
char *
check_result_text(Check *c)
{
	if (!c->ran)
		return pstrdup("not run");
	if (c->passed)
		return pstrdup("ok");
	if (c->error)
		return psprintf("failed: %s: %s", c->what, c->error);
	if (c->allowed)
		return psprintf("loss allowed: %s%s", c->what, count_text(c));
	return psprintf("failed: %s%s", c->what, count_text(c));
}

/* Raise the error of a failed check. */
void
check_raise(Revert *rv, Check *c)
{
	const char *hint;

	if (c->destructive)
		hint = psprintf("Move or delete the data first, or allow the loss of %s (allow_loss => ARRAY['%s'] in SQL, --allow-loss '%s' with the client).",
						c->object ? c->object : "", c->object ? c->object : "",
						c->object ? c->object : "");
	else if (c->kind == CHECK_LABEL_UNUSED)
		hint = "Change the rows that use these labels first.";
	else
		hint = "Fix the rows that block it first; the revert changes no data.";
	if (c->error)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("cannot revert version %s: %s", c->version, c->what),
				 errdetail("The check failed with an error: %s", c->error),
				 errhint("%s", hint),
				 errcontext("revert check: %s", c->sql)));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("cannot revert version %s: %s", c->version, c->what),
			 c->count >= 0
			 ? errdetail(INT64_FORMAT " %s %s.", c->count,
						 counted(c),
						 c->destructive ? "would be lost" : c->count == 1 ? "blocks it" : "block it")
			 : 0,
			 errhint("%s", hint),
			 errcontext("revert check: %s", c->sql)));
}
