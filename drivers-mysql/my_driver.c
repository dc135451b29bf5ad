/*-------------------------------------------------------------------------
 *
 * my_driver.c
 *	  The MySQL/MariaDB driver's operations table.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_driver.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "my_int.h"

static int
my_prepare(Driver *d, bool create, bool *ready)
{
	return my_hist_prepare(d, create, ready);
}

static int
my_read_revisions(Driver *d, RevisionList *out)
{
	return my_hist_read_revisions(MYSTATE(d), out);
}

/*
 * MySQL commits DDL implicitly, so one transaction around several files
 * means nothing; progress is recorded after every statement instead.
 */
static int
my_begin_all(Driver *d)
{
	(void) d;
	log_warning("--tx-mode all has no effect on MySQL: every DDL statement commits on its own, "
				"so progress is recorded after each statement");
	return DRV_OK;
}

static int
my_noop(Driver *d)
{
	(void) d;
	return DRV_OK;
}

static const DriverOps mysql_ops = {
	.name = "mysql",
	.dialect = DIALECT_MYSQL,
	.connect = my_connect,
	.close = my_close,
	.lock = my_lock,
	.unlock = my_unlock,
	.prepare = my_prepare,
	.read_revisions = my_read_revisions,
	.check_clean = my_check_clean,
	.write_baseline = my_write_baseline,
	.begin_all = my_begin_all,
	.commit_all = my_noop,
	.rollback_all = my_noop,
	.apply_file = my_apply_file,
	.record_failure = my_record_failure,
	.down = my_down,
	.set_version = my_set_version,
	.tag = my_tag,
};

void
migrate_driver_init_mysql(Driver *d)
{
	d->ops = &mysql_ops;
	d->priv = NULL;
}
