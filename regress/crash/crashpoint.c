/*-------------------------------------------------------------------------
 *
 * crashpoint.c
 *	  Test-only server module for the crash-consistency tests: stops a
 *	  backend at a chosen statement so that the test can kill it there.
 *
 * Not part of the product and never installed: regress/crash/run builds it
 * into a scratch directory and the TAP tests load it by absolute path into
 * the one session under test, through the connection option
 * session_preload_libraries (a superuser setting), together with:
 *
 *	crashpoint.stop_at = N	(0: never stop; count only)
 *
 * Every statement the session executes is counted, top-level and nested
 * alike: the client's calls, the migration statements the extension runs
 * through SPI, and the extension's own bookkeeping queries.  Each one is
 * logged as "crashpoint N: <first line of its text>".  When the count
 * reaches stop_at, before the statement runs, the backend logs
 * "crashpoint N reached" and waits (wait event "Extension") until it is
 * killed; the test sees the wait in pg_stat_activity and sends SIGKILL, or
 * shuts the server down in immediate mode.  So a kill point is "after
 * statement N-1 finished, before statement N starts", at every statement
 * boundary of an apply or a revert.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  regress/crash/crashpoint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static int	crashpoint_stop_at = 0;
static int	crashpoint_count = 0;
static ExecutorStart_hook_type prev_executor_start = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static void
crashpoint_hit(const char *text)
{
	int			len = 0;

	crashpoint_count++;
	if (text !=NULL)
		while (text[len] != '\0' && text[len] != '\n' && len < 200)
			len++;
	elog(LOG, "crashpoint %d: %.*s", crashpoint_count, len, text ? text : "");
	if (crashpoint_stop_at <= 0 || crashpoint_count != crashpoint_stop_at)
		return;
	elog(LOG, "crashpoint %d reached", crashpoint_count);
	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
crashpoint_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		crashpoint_hit(queryDesc->sourceText);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
crashpoint_process_utility(PlannedStmt *pstmt, const char *queryString,
						   bool readOnlyTree, ProcessUtilityContext context,
						   ParamListInfo params, QueryEnvironment *queryEnv,
						   DestReceiver *dest, QueryCompletion *qc)
{
	crashpoint_hit(queryString);
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("crashpoint.stop_at",
							"Statement number at which the session stops until killed (0: never).",
							NULL, &crashpoint_stop_at, 0, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("crashpoint");
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = crashpoint_executor_start;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = crashpoint_process_utility;
}
