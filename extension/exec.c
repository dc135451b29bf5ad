/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  Running the steps of a revert and verifying the result.
 *
 * Steps run as the caller, through SPI, under fixed settings: an empty
 * search_path (every name in a plan is qualified) and
 * check_function_bodies off (routines are created before what their bodies
 * use, as pg_dump does).  The checks of a batch of steps run first, then
 * the statements; a check that blocks raises an error when the revert
 * executes, and is reported (stopping the dry run when it is not a loss
 * that could be allowed) otherwise.
 *
 * Verification re-reads every object of the segment with the image code
 * the history uses and compares it with its target: an object that should
 * exist is found by the names of its target image, one that should not
 * must be gone.  Any difference is an error: the caller's transaction
 * rolls back and nothing happened.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/exec.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "image.h"
#include "revert.h"

int
exec_enter_settings(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("search_path", "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("check_function_bodies", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
exec_leave_settings(int nestlevel)
{
	AtEOXact_GUC(false, nestlevel);
}

typedef struct ExecContext
{
	const char *version;
	const char *sql;
} ExecContext;

static void
exec_error_context(void *arg)
{
	ExecContext *c = arg;

	errcontext("revert of version %s, statement: %s", c->version, c->sql);
}

/* the same context around a statement run elsewhere (hand-written downs) */
void
exec_push_context(ErrorContextCallback *cb, const char *version, const char *sql)
{
	ExecContext *c = palloc(sizeof(ExecContext));

	c->version = version;
	c->sql = sql;
	cb->callback = exec_error_context;
	cb->arg = c;
	cb->previous = error_context_stack;
	error_context_stack = cb;
}

/* Execute one statement of a revert; errors propagate with context. */
void
exec_statement(Revert *rv, Segment *seg, const char *version, const char *sql,
			   bool function_body)
{
	ErrorContextCallback cb;
	ExecContext ctx;
	int			nest;
	int			rc;

	ctx.version = version;
	ctx.sql = sql;
	cb.callback = exec_error_context;
	cb.arg = &ctx;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	nest = exec_enter_settings();
	SPI_connect();
	rc = SPI_execute(sql, false, 0);
	if (rc == SPI_ERROR_TRANSACTION)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("transaction control statements cannot be part of a revert")));
	if (rc < 0)
		elog(ERROR, "could not execute revert statement: %s", SPI_result_code_string(rc));
	SPI_finish();
	exec_leave_settings(nest);
	error_context_stack = cb.previous;
	CommandCounterIncrement();
	rv->executed++;
}

static const char *
step_version(Segment *seg, Step *s)
{
	if (s->obj && s->obj->version && revert_str_member(seg->versions, s->obj->version))
		return s->obj->version;
	if (s->check && s->check->version)
		return s->check->version;
	return linitial(seg->versions);
}

/*
 * Report and run a batch of steps, in order: rows first, then the checks
 * (unless planning only), then, when `execute`, the statements.
 */
void
exec_steps(Revert *rv, Segment *seg, List *steps, bool execute)
{
	ListCell   *lc;
	List	   *stmt_rows = NIL;

	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);
		const char *version = step_version(seg, s);

		if (s->check)
		{
			s->check->version = (char *) version;
			s->check->ran = false;
		}
		if (s->note)
			revert_add_row(rv, ROW_NOTE, version, s->note, NULL, -1);
		if (s->sql)
			s->row = revert_add_row(rv, ROW_STATEMENT, version, s->sql,
									rv->mode == REVERT_EXECUTE ? "pending" : "planned", -1);
		stmt_rows = lappend(stmt_rows, s);
	}

	/* checks */
	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);
		RevertRow  *row;

		if (s->check == NULL)
			continue;
		row = revert_add_row(rv, ROW_CHECK, s->check->version, s->check->sql, NULL, -1);
		if (rv->mode == REVERT_PLAN)
		{
			row->result = pstrdup("not run");
			continue;
		}
		check_run(rv, s->check);
		row->result = check_result_text(s->check);
		row->duration_us = s->check->duration_us;
		if (check_blocks(rv, s->check))
		{
			if (rv->mode == REVERT_EXECUTE)
				check_raise(rv, s->check);
			rv->failed_checks++;
			if (!s->check->destructive)
				rv->stopped = true;
		}
	}
	if (!execute || rv->stopped)
		return;

	/* statements */
	foreach(lc, steps)
	{
		Step	   *s = lfirst(lc);
		instr_time	start,
					end;

		if (s->sql == NULL)
			continue;
		CHECK_FOR_INTERRUPTS();
		INSTR_TIME_SET_CURRENT(start);
		exec_statement(rv, seg, s->row->version, s->sql, s->function_body);
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		if (rv->mode == REVERT_EXECUTE)
		{
			s->row->result = pstrdup("ok");
			s->row->duration_us = (int64) INSTR_TIME_GET_MICROSEC(end);
		}
	}
}

/* ------------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------------
 */

/*
 * Compare every object of the segment with its target.  Returns the
 * number of objects compared; raises an error naming the first objects
 * that differ.
 */
int
exec_verify(Revert *rv, Segment *seg)
{
	ListCell   *lc;
	StringInfoData errors;
	int			nerrors = 0;
	int			n = 0;
	int			nest;

	initStringInfo(&errors);
	CommandCounterIncrement();
	nest = migrate_image_enter();
	foreach(lc, seg->order)
	{
		RObj	   *o = lfirst(lc);
		ObjectAddress a;
		Jsonb	   *live;
		char	   *diff = NULL;

		if (!migrate_image_kind_supported(o->kind) || o->auxiliary)
			continue;
		n++;
		if (o->target == NULL)
		{
			if (OidIsValid(o->start.classId) && img_object_exists(&o->start) &&
				strcmp(migrate_image_kind(&o->start), o->kind) == 0)
				diff = pstrdup("it still exists, but did not exist then");
		}
		else if (!img_resolve(o->kind, o->target, &a))
			diff = pstrdup("it does not exist");
		else
		{
			live = migrate_image_object(&a);
			if (!img_equal(img_normalize(live), img_normalize(o->target)))
				diff = img_differences(img_normalize(o->target), img_normalize(live));
		}
		if (diff != NULL)
		{
			nerrors++;
			if (nerrors <= 5)
				appendStringInfo(&errors, "%s%s \"%s\": %s", errors.len ? "\n" : "",
								 o->kind, o->identity, diff);
		}
	}
	migrate_image_leave(nest);
	if (nerrors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the revert of version %s did not restore the state of version %s",
						plan_segment_label(seg),
						seg->target_version ? seg->target_version : "(none)"),
				 errdetail("%d object%s differ%s:\n%s", nerrors, nerrors == 1 ? "" : "s",
						   nerrors == 1 ? "s" : "", errors.data),
				 seg->handwritten
				 ? errhint("Nothing was changed: the hand-written down section of version %s does not undo what the version did.",
						   (char *) linitial(seg->versions))
				 : errhint("Nothing was changed. Please report this, with the output of migrate_plan(), as a bug.")));
	return n;
}
