/*-------------------------------------------------------------------------
 *
 * my_apply.c
 *	  Applying migration files on MySQL/MariaDB, statement by statement.
 *
 * Every statement is executed under one of two protocols (docs/mysql.md,
 * "Crash safety"):
 *
 *	- a statement that does not commit implicitly (INSERT, UPDATE, SET, ...)
 *	  runs inside a transaction together with its progress record, so the
 *	  two become durable together or not at all;
 *	- a statement that commits implicitly (DDL) is preceded by an intent
 *	  record naming it, committed on its own.  After it, the objects it
 *	  changed are imaged, and the unit, the revision row and the removal of
 *	  the intent are committed together.  A run that finds an intent left by
 *	  an interrupted run decides by introspection whether the statement took
 *	  effect (my_hist_sync), and never runs it again if it did.
 *
 * MySQL has no transactional DDL, so --tx-mode file and all cannot make a
 * file atomic here; every mode records progress after every statement.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_apply.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "my_int.h"

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the in-memory revision row after statement k of f succeeded */
static void
rev_advance(Revision *rev, const MigrationFile *f, int k)
{
	char		h[64];

	hash_running(&f->stmts, k, h);
	rev->partial_hashes = xrealloc(rev->partial_hashes, (rev->npartial + 1) * sizeof(char *));
	rev->partial_hashes[rev->npartial++] = xstrdup(h);
	rev->applied = k + 1;
	free(rev->error);
	free(rev->error_stmt);
	rev->error = rev->error_stmt = NULL;
}

static void
rev_fail(Revision *rev, const char *err, const char *stmt, int64_t elapsed)
{
	free(rev->error);
	free(rev->error_stmt);
	rev->error = xstrdup(err);
	rev->error_stmt = xstrdup(stmt);
	rev->execution_time_ns = elapsed;
}

/* a copy of rev without partial hashes when the file is complete */
static int
write_rev(MyState *st, Revision *rev)
{
	if (rev->applied >= rev->total)
	{
		for (int i = 0; i < rev->npartial; i++)
			free(rev->partial_hashes[i]);
		free(rev->partial_hashes);
		rev->partial_hashes = NULL;
		rev->npartial = 0;
	}
	return my_hist_write_revision(st, rev);
}

static void
log_stmt_failure(const MigrationFile *f, int k, const char *err)
{
	log_error("statement %d of version %s failed: %s", k + 1, f->version, err);
	if (k == 0)
		log_error_detail("No statement of the file was applied; the failure is recorded.");
	else
		log_error_detail("The %d statement%s before it %s recorded as applied; the failure is recorded too.",
						 k, k == 1 ? "" : "s", k == 1 ? "is" : "are");
	log_error_hint("Fix the statement (or the data) and run the same command again to continue from it, "
				   "or revert what was applied with \"migrate down\".");
}

static void
log_lost_during(const MigrationFile *f, int k)
{
	log_error("lost the connection to the server while running statement %d of version %s",
			  k + 1, f->version);
	log_error_detail("Whether the statement took effect is checked by introspection when the command runs again.");
	log_error_hint("Run the same command again to continue.");
}

/*
 * Statement k of f under the data protocol: one transaction for the
 * statement, its unit and the revision row.
 */
static int
run_data_stmt(Driver *d, const MigrationFile *f, int k, Revision *rev, char **errmsg)
{
	MyState    *st = MYSTATE(d);
	const char *sql = f->stmts.items[k].text;
	int			rc;

	my_test_hook(st, KILL_BEFORE);
	rc = my_begin(st);
	if (rc != DRV_OK)
		return rc;
	rc = my_exec(st, sql, errmsg);
	if (rc != DRV_OK)
	{
		my_rollback(st);
		return rc;
	}
	my_test_hook(st, KILL_WINDOW);
	rc = my_hist_record_unit(st, UNIT_APPLY, f->version, k, sql, NULL, 0, NULL, NULL);
	if (rc == DRV_OK)
	{
		rev_advance(rev, f, k);
		rc = write_rev(st, rev);
	}
	if (rc == DRV_OK)
		rc = my_commit(st);
	else
		my_rollback(st);
	if (rc == DRV_OK)
		my_test_hook(st, KILL_AFTER);
	return rc;
}

/*
 * Statement k of f under the intent protocol.  On a statement error the
 * error is recorded (with the effect, if any, as a partial unit) and
 * DRV_ERROR returned with *errmsg set.
 */
static int
run_schema_stmt(Driver *d, const MigrationFile *f, int k, Revision *rev, char **errmsg,
				int64_t t0)
{
	MyState    *st = MYSTATE(d);
	const char *sql = f->stmts.items[k].text;
	int			erc,
				rc;
	UnitImage  *imgs = NULL;
	int			nimgs = 0;
	StmtInfo	si;

	rc = my_hist_write_intent(st, "apply", f->version, k, sql);
	if (rc != DRV_OK)
		return rc;
	my_test_hook(st, KILL_BEFORE);
	erc = my_exec(st, sql, errmsg);
	if (erc == DRV_CONN_LOST)
		return erc;
	my_test_hook(st, KILL_WINDOW);

	my_stmt_analyze(sql, st->db, &si);
	rc = my_hist_capture_changes(st, my_stmt_tables_only(&si), &imgs, &nimgs);
	if (rc != DRV_OK)
	{
		my_stmt_info_free(&si);
		return rc;
	}
	rc = my_begin(st);
	if (rc == DRV_OK)
	{
		if (erc == DRV_OK)
			rc = my_hist_record_unit(st, UNIT_APPLY, f->version, k, sql, imgs, nimgs, &si, NULL);
		else if (nimgs > 0)
			rc = my_hist_record_unit(st, UNIT_PARTIAL, f->version, k, sql, imgs, nimgs, &si, NULL);
	}
	if (rc == DRV_OK)
	{
		if (erc == DRV_OK)
			rev_advance(rev, f, k);
		else
			rev_fail(rev, *errmsg, sql, now_ns() - t0);
		rc = write_rev(st, rev);
	}
	if (rc == DRV_OK)
		rc = my_hist_clear_intent(st);
	if (rc == DRV_OK)
		rc = my_commit(st);
	else
		my_rollback(st);
	my_stmt_info_free(&si);
	my_unit_images_free(imgs, nimgs);
	if (rc != DRV_OK)
		return rc;
	my_test_hook(st, KILL_AFTER);
	return erc;
}

/* check that the applied prefix of f is what was applied */
static int
verify_prefix(const MigrationFile *f, const Revision *rev)
{
	int			n = rev->applied < rev->npartial ? rev->applied : rev->npartial;

	for (int i = 0; i < n && i < f->stmts.n; i++)
	{
		char		h[64];

		hash_running(&f->stmts, i, h);
		if (strcmp(h, rev->partial_hashes[i]) != 0)
		{
			log_error("history changed: statement %d of version %s was edited after it was applied",
					  i + 1, f->version);
			log_error_detail("File \"%s\" no longer matches the %d statement%s recorded as applied.",
							 f->path ? f->path : f->name, rev->applied, rev->applied == 1 ? "" : "s");
			log_error_hint("Restore the applied statements as they were; only the statements after "
						   "them may change.");
			return DRV_ERROR;
		}
	}
	if (rev->applied > f->stmts.n)
	{
		log_error("history changed: version %s has %d statements, but %d are recorded as applied",
				  f->version, f->stmts.n, rev->applied);
		log_error_hint("Restore the file as it was applied.");
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* txtar checks.sql: every assertion must be true before the file runs */
static int
run_file_checks(Driver *d, const MigrationFile *f, Reporter *r, ApplyResult *res)
{
	MyState    *st = MYSTATE(d);
	int64_t		t0 = now_ns();
	char	   *title = xasprintf("checks before migrating version %s", f->version);

	report_group(r, title);
	free(title);
	for (int i = 0; i < f->checks.n; i++)
	{
		const char *sql = f->checks.items[i].text;
		MyRows		rows;
		int			rc;
		bool		ok;

		report_check(r, sql);
		rc = my_query(st, sql, &rows);
		if (rc != DRV_OK)
			return rc;
		ok = rows.nrows > 0 && rows.ncols > 0 && rows.rows[0][0] &&
			strcmp(rows.rows[0][0], "0") != 0 && rows.rows[0][0][0] != '\0';
		my_rows_free(&rows);
		if (!ok)
		{
			char	   *msg = xasprintf("check assertion %d of %d returned false", i + 1, f->checks.n);

			report_check_failed(r, sql, msg);
			log_error("check %d of version %s failed", i + 1, f->version);
			log_error_detail("The assertion \"%s\" is not true; no statement of the file ran.", sql);
			res->failed = true;
			res->error = msg;
			res->error_stmt = xstrdup(sql);
			return DRV_ERROR;
		}
	}
	report_group_ok(r, now_ns() - t0);
	return DRV_OK;
}

/* Re-run the session settings (SET ...) of the applied prefix. */
static int
replay_session(Driver *d, const MigrationFile *f, int start, Reporter *r)
{
	MyState    *st = MYSTATE(d);
	int			replayed = 0;

	for (int i = 0; i < start; i++)
	{
		const char *sql = f->stmts.items[i].text;
		int			rc;

		if (!my_stmt_is_session_set(sql))
			continue;
		rc = my_exec(st, sql, NULL);
		if (rc != DRV_OK)
			return rc;
		replayed++;
	}
	if (replayed > 0)
	{
		char	   *note = xasprintf("%d session setting%s of the applied statements set again "
									 "for this connection", replayed, replayed == 1 ? "" : "s");

		report_note(r, note);
		free(note);
	}
	return DRV_OK;
}

int
my_apply_file(Driver *d, const MigrationFile *f, TxMode mode, int start, Reporter *r,
			  ApplyResult *res)
{
	MyState    *st = MYSTATE(d);
	Revision	rev;
	bool		found;
	int			rc;
	int64_t		t0 = now_ns();
	char	   *title;
	RevertState rs;

	(void) mode;
	memset(res, 0, sizeof(*res));
	title = xasprintf("migrating version %s", f->version);

	if (d->opts && d->opts->dry_run)
	{
		report_group(r, title);
		for (int k = start; k < f->stmts.n; k++)
			report_stmt(r, f->stmts.items[k].text);
		report_group_ok(r, 0);
		free(title);
		return DRV_OK;
	}

	if ((rc = my_hist_sync(d, r)) != DRV_OK)
		goto out;
	if ((rc = my_hist_read_revert(st, &rs)) != DRV_OK)
		goto out;
	if (rs.present)
	{
		log_error("a revert of version %s is in progress", rs.version);
		log_error_detail("A previous \"migrate down\" stopped before it finished; the schema is between two versions.");
		log_error_hint("Run \"migrate down\" again to finish it before applying.");
		my_revert_state_clear(&rs);
		rc = DRV_ERROR;
		goto out;
	}

	if ((rc = my_hist_get_revision(st, f->version, &rev, &found)) != DRV_OK)
		goto out;
	if (!found)
	{
		memset(&rev, 0, sizeof(rev));
		rev.version = xstrdup(f->version);
	}
	else if ((rc = verify_prefix(f, &rev)) != DRV_OK)
		goto out_rev;
	if (found && rev.applied > start)
		start = rev.applied;	/* an interrupted statement was found to have
								 * run */
	free(rev.description);
	rev.description = xstrdup(f->description ? f->description : "");
	free(rev.hash);
	rev.hash = xstrdup(f->hash);
	rev.type |= REV_APPLIED;
	rev.total = f->stmts.n;
	rev.applied = start;
	if (rev.npartial > start)
	{
		for (int i = start; i < rev.npartial; i++)
			free(rev.partial_hashes[i]);
		rev.npartial = start;
	}

	if ((rc = my_hist_register_file(st, f)) != DRV_OK)
		goto out_rev;
	if ((rc = write_rev(st, &rev)) != DRV_OK)
		goto out_rev;

	if (start == 0 && f->checks.n > 0)
	{
		rc = run_file_checks(d, f, r, res);
		if (rc != DRV_OK)
		{
			if (res->failed)
			{
				rev_fail(&rev, res->error, res->error_stmt, now_ns() - t0);
				(void) write_rev(st, &rev);
			}
			goto out_rev;
		}
	}

	report_group(r, title);
	if (start > 0 && (rc = replay_session(d, f, start, r)) != DRV_OK)
		goto out_rev;

	for (int k = start; k < f->stmts.n; k++)
	{
		const char *sql = f->stmts.items[k].text;
		char	   *err = NULL;

		if ((rc = my_check_alive(d)) != DRV_OK)
			goto out_rev;
		report_stmt(r, sql);
		st->stmts_executed++;
		if (my_stmt_classify(sql) == STMT_DATA)
			rc = run_data_stmt(d, f, k, &rev, &err);
		else
			rc = run_schema_stmt(d, f, k, &rev, &err, t0);
		if (rc == DRV_CONN_LOST)
		{
			log_lost_during(f, k);
			free(err);
			goto out_rev;
		}
		if (rc != DRV_OK)
		{
			if (err)
			{
				/*
				 * the statement itself failed (a data statement's failure is
				 * recorded here, outside its rolled back transaction)
				 */
				if (my_stmt_classify(sql) == STMT_DATA)
				{
					rev_fail(&rev, err, sql, now_ns() - t0);
					(void) write_rev(st, &rev);
				}
				report_group_error(r, sql, err);
				log_stmt_failure(f, k, err);
				res->failed = true;
				res->error = err;
				res->error_stmt = xstrdup(sql);
			}
			goto out_rev;
		}
		res->applied++;
	}
	rev.execution_time_ns = now_ns() - t0;
	rc = write_rev(st, &rev);
	if (rc == DRV_OK)
		report_group_ok(r, now_ns() - t0);

out_rev:
	my_revision_clear(&rev);
out:
	res->elapsed_ns = now_ns() - t0;
	free(title);
	return rc;
}

/* Progress is recorded after every statement, inside any mode. */
int
my_record_failure(Driver *d, const MigrationFile *f, const ApplyResult *res)
{
	(void) d;
	(void) f;
	(void) res;
	return DRV_OK;
}

int
my_check_clean(Driver *d, bool *clean, char **reason)
{
	MyState    *st = MYSTATE(d);
	Snapshot	s;
	int			rc = my_catalog_fingerprints(st, false, &s);

	*clean = true;
	if (reason)
		*reason = NULL;
	if (rc != DRV_OK)
		return rc;
	if (s.n > 0)
	{
		*clean = false;
		if (reason)
			*reason = xasprintf("database \"%s\" contains %s \"%s\"%s", st->db,
								my_obj_kind_name(s.items[0].kind), s.items[0].name,
								s.n > 1 ? " and other objects" : "");
	}
	my_snapshot_free(&s);
	return DRV_OK;
}

int
my_write_baseline(Driver *d, const char *version, const char *description)
{
	MyState    *st = MYSTATE(d);
	Revision	rev;
	int			rc;

	if (d->opts && d->opts->dry_run)
		return DRV_OK;
	memset(&rev, 0, sizeof(rev));
	rev.version = xstrdup(version);
	rev.description = xstrdup(description ? description : "");
	rev.type = REV_BASELINE;
	rev.hash = xstrdup("");
	rc = my_hist_sync(d, NULL);
	if (rc == DRV_OK)
		rc = my_hist_write_revision(st, &rev);
	my_revision_clear(&rev);
	return rc;
}


/*
 * "migrate set VERSION": rows above VERSION go, files up to VERSION
 * without a row are marked as set by hand, a partial row at or below it is
 * marked complete.  Nothing is executed and no history is recorded for the
 * versions marked by hand: they cannot be reverted by computation.
 */
int
my_set_version(Driver *d, const char *version, const MigrationDir *dir)
{
	MyState    *st = MYSTATE(d);
	RevisionList revs;
	int			rc;

	if ((rc = my_hist_read_revisions(st, &revs)) != DRV_OK)
		return rc;
	rc = my_begin(st);
	for (int i = 0; i < revs.n && rc == DRV_OK; i++)
	{
		Revision   *r = &revs.items[i];

		if (strcmp(r->version, version) > 0)
			rc = my_hist_delete_revision(st, r->version);
		else if (!revision_complete(r))
		{
			r->type |= REV_SET;
			r->applied = r->total;
			free(r->error);
			free(r->error_stmt);
			r->error = r->error_stmt = NULL;
			rc = write_rev(st, r);
		}
	}
	for (int i = 0; dir && i < dir->nfiles && rc == DRV_OK; i++)
	{
		const MigrationFile *f = &dir->files[i];
		bool		have = false;

		if (strcmp(f->version, version) > 0)
			continue;
		for (int j = 0; j < revs.n; j++)
			if (strcmp(revs.items[j].version, f->version) == 0)
				have = true;
		if (!have)
		{
			Revision	r;

			memset(&r, 0, sizeof(r));
			r.version = xstrdup(f->version);
			r.description = xstrdup(f->description ? f->description : "");
			r.type = REV_SET;
			r.hash = xstrdup(f->hash);
			rc = my_hist_write_revision(st, &r);
			my_revision_clear(&r);
		}
	}
	if (rc == DRV_OK)
		rc = my_commit(st);
	else
		my_rollback(st);
	for (int i = 0; i < revs.n; i++)
		my_revision_clear(&revs.items[i]);
	free(revs.items);
	return rc;
}

int
my_tag(Driver *d, const char *name)
{
	MyState    *st = MYSTATE(d);
	RevisionList revs;
	const char *current = NULL;
	int			rc;

	if ((rc = my_hist_read_revisions(st, &revs)) != DRV_OK)
		return rc;
	for (int i = 0; i < revs.n; i++)
		if (revision_complete(&revs.items[i]))
			current = revs.items[i].version;
	if (current == NULL)
	{
		log_error("no version to tag");
		log_error_detail("Database \"%s\" has no applied migration.", st->db);
		rc = DRV_ERROR;
	}
	else
		rc = my_hist_tag(st, name, current);
	for (int i = 0; i < revs.n; i++)
		my_revision_clear(&revs.items[i]);
	free(revs.items);
	return rc;
}
