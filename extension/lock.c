/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The runner lock: one migration runner per database at a time.
 *
 * A session-level advisory lock (the key is visible in pg_locks as
 * locktype advisory, classid 1835624306, objid 1635018017, objsubid 2).
 * migrate.lock() never blocks in the lock manager: it polls with a
 * conditional acquire and an increasing sleep (10 ms doubling to 500 ms,
 * with jitter), so that a runner waiting for the lock holds no lock-queue
 * entry that a concurrent CREATE INDEX CONCURRENTLY of the holder would
 * have to wait for.  After the timeout it fails with SQLSTATE 55P03 and
 * names the holder.  The holder records itself in migrate.lock_holder (as
 * the extension owner) so that a waiter can say since when it holds it.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/wait_event.h"

#include "util.h"

PG_FUNCTION_INFO_V1(migrate_lock);
PG_FUNCTION_INFO_V1(migrate_unlock);

/* for migrate_down() and migrate_plan() (revert.c) */
extern void migrate_lock_for_transaction(void);

#define MIGRATE_LOCK_KEY1	0x6d696772	/* "migr" */
#define MIGRATE_LOCK_KEY2	0x61746521	/* "ate!" */

static void
lock_tag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, MIGRATE_LOCK_KEY1, MIGRATE_LOCK_KEY2, 2);
}

static void
record_holder(void)
{
	static MigrateQuery del = {
		"DELETE FROM migrate.lock_holder", 0, {0}
	};
	static MigrateQuery ins = {
		"INSERT INTO migrate.lock_holder (pid, backend_start, acquired_at, application_name, role_name)"
		" SELECT a.pid, a.backend_start, pg_catalog.clock_timestamp(), a.application_name, $1"
		" FROM pg_catalog.pg_stat_activity a WHERE a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()",
		1, {TEXTOID}
	};
	Datum		v[1] = {CStringGetTextDatum(GetUserNameFromId(GetOuterUserId(), false))};
	OwnerSwitch sw;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&del, NULL, NULL, false, 0);
	mq_exec(&ins, v, NULL, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
}

static void
report_timeout(int timeout_ms)
{
	static MigrateQuery q = {
		"SELECT l.pid, a.application_name, h.role_name,"
		" pg_catalog.to_char(COALESCE(h.acquired_at, a.backend_start),"
		"   'YYYY-MM-DD HH24:MI:SS TZ')"
		" FROM pg_catalog.pg_locks l"
		" LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid"
		" LEFT JOIN migrate.lock_holder h ON h.pid OPERATOR(pg_catalog.=) l.pid"
		"   AND h.backend_start OPERATOR(pg_catalog.=) a.backend_start"
		" WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted"
		" AND l.database OPERATOR(pg_catalog.=) $1 AND l.classid OPERATOR(pg_catalog.=) $2"
		" AND l.objid OPERATOR(pg_catalog.=) $3 AND l.objsubid OPERATOR(pg_catalog.=) 2"
		" LIMIT 1",
		3, {OIDOID, OIDOID, OIDOID}
	};
	Datum		v[3] = {ObjectIdGetDatum(MyDatabaseId), ObjectIdGetDatum(MIGRATE_LOCK_KEY1),
	ObjectIdGetDatum(MIGRATE_LOCK_KEY2)};
	OwnerSwitch sw;
	char	   *detail = NULL;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, v, NULL, true, 1);
	if (SPI_processed > 0)
	{
		char	   *app = mq_text(0, 2);
		char	   *role = mq_text(0, 3);
		char	   *since = mq_text(0, 4);

		detail = psprintf("Process %lld (application \"%s\"%s%s%s) holds it%s%s.",
						  (long long) mq_int64(0, 1, 0),
						  app ? app : "",
						  role ? ", role \"" : "", role ? role : "", role ? "\"" : "",
						  since ? " since " : "", since ? since : "");
	}
	migrate_restore_user(&sw);
	SPI_finish();
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("could not obtain the migration lock within %d ms", timeout_ms),
			 detail ? errdetail_internal("%s", detail)
			 : errdetail("The holder released it while this message was being prepared."),
			 errhint("Another migration runner is working on this database; wait for it to finish, or wait longer (--lock-timeout).")));
}

/*
 * migrate.lock(timeout_ms integer) RETURNS void
 *
 * Take the runner lock for the session, waiting at most timeout_ms
 * (0: try once).  Taking it again in the same session is a no-op.
 */
Datum
migrate_lock(PG_FUNCTION_ARGS)
{
	int			timeout_ms = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT32(0);
	LOCKTAG		tag;
	instr_time	start;
	long		delay = 10;

	if (timeout_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lock timeout must not be negative")));
	lock_tag(&tag);
	if (LockHeldByMe(&tag, ExclusiveLock))
		PG_RETURN_VOID();

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		instr_time	now;
		long		waited;
		long		sleep;

		if (LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL)
			break;
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		waited = (long) INSTR_TIME_GET_MILLISEC(now);
		if (waited >= timeout_ms)
			report_timeout(timeout_ms);
		sleep = delay + (long) pg_prng_uint64_range(&pg_global_prng_state, 0, delay / 2);
		sleep = Min(sleep, timeout_ms - waited);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(sleep, 1), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		delay = Min(delay * 2, 500);
	}
	record_holder();
	PG_RETURN_VOID();
}

/*
 * migrate.unlock() RETURNS boolean
 *
 * Release the runner lock; false when this session did not hold it.
 */
Datum
migrate_unlock(PG_FUNCTION_ARGS)
{
	static MigrateQuery del = {
		"DELETE FROM migrate.lock_holder WHERE pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()",
		0, {0}
	};
	LOCKTAG		tag;
	bool		held;

	lock_tag(&tag);
	held = LockHeldByMe(&tag, ExclusiveLock);
	if (held)
	{
		LockRelease(&tag, ExclusiveLock, true);
		if (IsTransactionState())
		{
			mq_write_as_owner(&del, NULL, NULL);
		}
	}
	PG_RETURN_BOOL(held);
}

/*
 * Take the runner lock until the end of the transaction, unless this
 * session holds it already (a client that called migrate.lock()).  Used by
 * migrate_down() and migrate_plan(), and by every function that writes the
 * revisions (apply_file, begin_file, apply_statement, record_failure,
 * baseline, set_version), so that direct calls cannot interleave with a
 * runner or a revert.  Does not wait: another runner holding it is an
 * error that names it.
 */
void
migrate_lock_for_transaction(void)
{
	LOCKTAG		tag;

	lock_tag(&tag);
	if (LockHeldByMe(&tag, ExclusiveLock))
		return;
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		report_timeout(0);
}
