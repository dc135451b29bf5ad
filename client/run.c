/*-------------------------------------------------------------------------
 *
 * run.c
 *	  The commands: apply, down, status, set, tag, hash, validate.
 *
 * A database command runs as (docs/internals.md):
 *		load the directory (sum file verified) -> connect -> prepare ->
 *		lock -> read revisions -> compute pending (pending.c) ->
 *		apply_file per file (or down) -> unlock -> close -> summary
 *
 * Everything that reads or writes revisions happens under the runner lock,
 * taken with --lock-timeout (a command that may not create the bookkeeping
 * and finds none has no revisions to read and takes no lock).  --dry-run
 * never changes the database: apply calls prepare(create = false) and
 * treats missing bookkeeping as "no revisions", and prints the statements
 * instead of running them; down passes dry_run to the driver.
 *
 * Exit codes: 0 ok, 1 error, 2 connection lost, 3 a migration step (a
 * statement or a check) failed.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/run.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
exit_for(int drv_rc)
{
	return drv_rc == DRV_CONN_LOST ? EXIT_CONN_LOST : EXIT_ERROR;
}

/* a database session: connected, maybe locked */
typedef struct Session
{
	Driver	   *d;
	bool		connected;
	bool		locked;
} Session;

static int
session_open(Session *s, Driver *d, const Options *o, bool create, bool *ready)
{
	int			rc;
	char		dur[64];

	s->d = d;
	rc = d->ops->connect(d);
	if (rc != DRV_OK)
	{
		d->ops->close(d);		/* frees what a failed connect left */
		return exit_for(rc);
	}
	s->connected = true;
	rc = d->ops->prepare(d, create, ready);
	if (rc != DRV_OK)
		return exit_for(rc);

	/*
	 * Without bookkeeping (and not allowed to create it) there are no
	 * revisions to read or write, so there is nothing to lock; the lock
	 * itself may need the bookkeeping (the extension's functions).
	 */
	if (!*ready && !create)
		return EXIT_OK;
	rc = d->ops->lock(d, o->lock_timeout_ms);
	if (rc == DRV_LOCKED)
	{
		format_duration((int64_t) o->lock_timeout_ms * 1000000, dur, sizeof(dur));
		log_error("could not obtain the migration lock within %s", dur);
		log_error_detail("Another migrate command is working on this database.");
		log_error_hint("Wait for it to finish, or give a longer --lock-timeout.");
		return EXIT_ERROR;
	}
	if (rc != DRV_OK)
		return exit_for(rc);
	s->locked = true;
	return EXIT_OK;
}

static void
session_close(Session *s)
{
	if (s->locked)
		s->d->ops->unlock(s->d);
	if (s->connected)
		s->d->ops->close(s->d);
	s->locked = s->connected = false;
}

static int
read_revs(Driver *d, bool ready, RevisionList *revs)
{
	int			rc;

	memset(revs, 0, sizeof(*revs));
	if (!ready)
		return EXIT_OK;
	rc = d->ops->read_revisions(d, revs);
	if (rc != DRV_OK)
		return exit_for(rc);
	revisions_sort(revs);
	return EXIT_OK;
}

static void
plan_error(const PendingPlan *p)
{
	log_error("%s", p->error);
	if (p->error_detail)
		log_error_detail("%s", p->error_detail);
	if (p->error_hint)
		log_error_hint("%s", p->error_hint);
}

/* effective transaction mode of a file; -1 after logging a conflict */
static int
file_mode(const MigrationFile *f, const Options *o)
{
	if (o->txmode == TXMODE_ALL)
	{
		if (f->txmode != TXMODE_DEFAULT)
		{
			log_error("cannot use the txmode directive \"%s\" of \"%s\" with --tx-mode all",
					  f->txmode == TXMODE_NONE ? "none" : "file", f->name);
			log_error_detail("With --tx-mode all every file runs in the one transaction; a file directive cannot change that.");
			log_error_hint("Run without --tx-mode all, or remove the directive.");
			return -1;
		}
		return TXMODE_ALL;
	}
	if (f->txmode != TXMODE_DEFAULT)
		return f->txmode;
	if (o->txmode != TXMODE_DEFAULT)
		return o->txmode;
	return TXMODE_FILE;
}

static void
group_title(char *buf, size_t n, const char *what, const char *version)
{
	snprintf(buf, n, "%s version %s", what, version);
}

/*
 * What the apply would do with the leftovers of the interrupted statement
 * it resumes at (docs/postgres.md): drop them first, or stop.  Returns
 * false when it would stop.
 */
static bool
dry_run_leftovers(Reporter *r, const Revision *rev)
{
	int			k;

	for (k = 0; k < rev->nleftovers; k++)
	{
		const Leftover *l = &rev->leftovers[k];

		if (l->action == LEFTOVER_REFUSE)
		{
			char	   *note = xasprintf("the apply would stop here: %s", l->message);

			report_note(r, note);
			if (l->hint)
				report_note(r, l->hint);
			free(note);
			return false;
		}
	}
	for (k = 0; k < rev->nleftovers; k++)
	{
		const Leftover *l = &rev->leftovers[k];

		if (l->action == LEFTOVER_DROP)
		{
			char	   *what = xasprintf("dropping %s", l->message);

			report_cleanup(r, what, l->drop);
			free(what);
		}
		else
		{
			char	   *note = xasprintf("%s; it is left in place", l->message);

			report_note(r, note);
			free(note);
		}
	}
	return true;
}

/* list a pending file; false when the apply would stop in it */
static bool
dry_run_file(Reporter *r, const PendingItem *it)
{
	const MigrationFile *f = it->file;
	char		title[512];
	int			k;

	if (f->checks.n > 0)
	{
		group_title(title, sizeof(title), "checks before migrating", f->version);
		report_group(r, title);
		for (k = 0; k < f->checks.n; k++)
			report_check(r, f->checks.items[k].text);
		report_note(r, "checks are not run in a dry run");
		report_group_ok(r, -1);
	}
	group_title(title, sizeof(title), "migrating", f->version);
	report_group(r, title);
	if (it->start > 0)
	{
		char	   *note = xasprintf("resuming: the first %d statement%s ran before",
									 it->start, it->start == 1 ? "" : "s");

		report_note(r, note);
		free(note);
	}
	if (it->rev && it->rev->applied == it->start && !dry_run_leftovers(r, it->rev))
	{
		report_group_ok(r, -1);
		return false;
	}
	for (k = it->start; k < f->stmts.n; k++)
		report_stmt(r, f->stmts.items[k].text);
	report_group_ok(r, -1);
	return true;
}

static void
free_result(ApplyResult *res)
{
	free(res->error);
	free(res->error_stmt);
	memset(res, 0, sizeof(*res));
}

static int
log_step_failure(const MigrationFile *f, const ApplyResult *res)
{
	log_error("migration \"%s\" failed: %s", f->name, res->error ? res->error : "unknown error");
	if (res->error_stmt)
		log_error_detail("The failing statement was: %s", res->error_stmt);
	return EXIT_STEP_FAILED;
}

/* run the pending files; returns an exit code */
static int
apply_items(Driver *d, const PendingPlan *p, const Options *o, Reporter *r)
{
	ApplyResult res;
	int			k,
				rc;

	memset(&res, 0, sizeof(res));
	if (o->txmode == TXMODE_ALL)
	{
		rc = d->ops->begin_all(d);
		if (rc != DRV_OK)
			return exit_for(rc);
		for (k = 0; k < p->n; k++)
		{
			const PendingItem *it = &p->items[k];

			rc = d->ops->apply_file(d, it->file, TXMODE_ALL, it->start, r, &res);
			if (rc != DRV_OK)
			{
				int			code = res.failed ? EXIT_STEP_FAILED : exit_for(rc);

				if (code == EXIT_ERROR && reporter_failures(r) > 0)
					code = EXIT_STEP_FAILED;

				if (rc != DRV_CONN_LOST)
				{
					d->ops->rollback_all(d);
					if (res.failed)
						d->ops->record_failure(d, it->file, &res);
				}
				if (res.failed)
					log_step_failure(it->file, &res);
				free_result(&res);
				return code;
			}
			free_result(&res);
		}
		rc = d->ops->commit_all(d);
		return rc == DRV_OK ? EXIT_OK : exit_for(rc);
	}
	for (k = 0; k < p->n; k++)
	{
		const PendingItem *it = &p->items[k];

		rc = d->ops->apply_file(d, it->file, (TxMode) file_mode(it->file, o), it->start,
								r, &res);
		if (rc != DRV_OK)
		{
			int			code = res.failed ? log_step_failure(it->file, &res) : exit_for(rc);

			/* a failed check is a failed step too */
			if (code == EXIT_ERROR && reporter_failures(r) > 0)
				code = EXIT_STEP_FAILED;
			free_result(&res);
			return code;
		}
		free_result(&res);
	}
	return EXIT_OK;
}

static void
describe(Reporter *r, Driver *d, const MigrationDir *dir, const char *command)
{
	reporter_set(r, "command", command);
	reporter_set(r, "driver", d->ops->name);
	reporter_set(r, "url", d->url ? d->url->redacted : NULL);
	if (dir)
		reporter_set(r, "dir", dir->path);
}

static int
finish(Reporter *r, int code, int64_t t0)
{
	if (code != EXIT_OK)
		reporter_set_error(r, log_last_error() ? log_last_error() : "failed");
	report_finish(r, now_ns() - t0);
	reporter_free(r);
	return code;
}

int
cmd_apply(Driver *d, const MigrationDir *dir, const Options *o, FILE *out)
{
	Reporter   *r = reporter_new(out, o->json, o->dry_run, REPORT_APPLY);
	int64_t		t0 = now_ns();
	Session		s;
	bool		ready = false;
	RevisionList revs;
	PendingPlan p;
	int			code,
				k;

	memset(&s, 0, sizeof(s));
	memset(&revs, 0, sizeof(revs));
	memset(&p, 0, sizeof(p));
	describe(r, d, dir, "apply");

	code = session_open(&s, d, o, !o->dry_run, &ready);
	if (code != EXIT_OK)
		goto out;
	if (!ready && !o->dry_run)
	{
		log_error("the driver did not make the revisions bookkeeping ready");
		code = EXIT_ERROR;
		goto out;
	}
	if (!ready)
		log_info("the database has no revisions bookkeeping yet; the dry run treats it as empty");
	code = read_revs(d, ready, &revs);
	if (code != EXIT_OK)
		goto out;
	pending_compute(dir, &revs, o, &p);
	if (p.error)
	{
		plan_error(&p);
		code = EXIT_ERROR;
		goto out;
	}
	if (revs.n > 0 && o->baseline)
		log_info("--baseline is ignored: the database already has revisions");
	for (k = 0; k < p.n; k++)
		if (file_mode(p.items[k].file, o) < 0)
		{
			code = EXIT_ERROR;
			goto out;
		}
	if (p.needs_clean_check)
	{
		bool		clean = true;
		char	   *reason = NULL;
		int			rc = d->ops->check_clean(d, &clean, &reason);

		if (rc != DRV_OK)
		{
			free(reason);
			code = exit_for(rc);
			goto out;
		}
		if (!clean)
		{
			log_error("connected database is not clean: %s", reason ? reason : "it has objects");
			log_error_detail("The database has no migration revisions but is not empty.");
			log_error_hint("Use --baseline VERSION to record the existing schema as that version, or --allow-dirty to apply on top of it.");
			free(reason);
			code = EXIT_ERROR;
			goto out;
		}
		free(reason);
	}
	if (p.baseline)
	{
		const MigrationFile *bf = dir_find(dir, p.baseline);

		if (o->dry_run)
			log_info("dry run: baseline version %s would be recorded", p.baseline);
		else
		{
			int			rc = d->ops->write_baseline(d, bf->version, bf->description);

			if (rc != DRV_OK)
			{
				code = exit_for(rc);
				goto out;
			}
		}
	}
	if (p.n == 0)
	{
		report_nothing(r, "No migration files to execute");
		goto out;
	}
	report_apply_header(r, p.current, p.items[p.n - 1].file->version, p.n);
	if (o->dry_run)
	{
		for (k = 0; k < p.n; k++)
			if (!dry_run_file(r, &p.items[k]))
				break;
	}
	else
		code = apply_items(d, &p, o, r);

out:
	session_close(&s);
	pending_free(&p);
	revisions_free(&revs);
	return finish(r, code, t0);
}

int
cmd_down(Driver *d, const MigrationDir *dir, const Options *o, FILE *out)
{
	Reporter   *r = reporter_new(out, o->json, o->dry_run, REPORT_DOWN);
	int64_t		t0 = now_ns();
	Session		s;
	bool		ready = false;
	DownRequest req;
	int			code,
				rc;

	memset(&s, 0, sizeof(s));
	describe(r, d, dir, "down");
	code = session_open(&s, d, o, false, &ready);
	if (code != EXIT_OK)
		goto out;
	if (!ready)
	{
		report_nothing(r, "Nothing to revert: no migration was applied to this database");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.steps = o->to_version || o->to_tag ? 0 : (o->amount > 0 ? o->amount : 1);
	req.to_version = o->to_version;
	req.to_tag = o->to_tag;
	req.dry_run = o->dry_run;
	req.allow_loss = o->allow_loss;
	req.nallow_loss = o->nallow_loss;
	req.accept_drift = o->accept_drift;
	req.plan_hash = o->plan_hash;
	req.dir = dir;
	rc = d->ops->down(d, &req, r);
	if (rc == DRV_OK)
	{
		if (!reporter_has_header(r) && reporter_groups(r) == 0)
			report_nothing(r, "Nothing to revert");
		code = EXIT_OK;
	}
	else if (rc == DRV_CONN_LOST)
		code = EXIT_CONN_LOST;
	else
		code = reporter_failures(r) > 0 ? EXIT_STEP_FAILED : EXIT_ERROR;

out:
	session_close(&s);
	return finish(r, code, t0);
}

int
cmd_status(Driver *d, const MigrationDir *dir, const Options *o, FILE *out)
{
	Reporter   *r = reporter_new(out, o->json, false, REPORT_STATUS);
	int64_t		t0 = now_ns();
	Session		s;
	bool		ready = false;
	RevisionList revs;
	PendingPlan p;
	StatusView	v;
	Options		so = *o;
	int			code;

	memset(&s, 0, sizeof(s));
	memset(&revs, 0, sizeof(revs));
	memset(&p, 0, sizeof(p));
	describe(r, d, dir, "status");
	code = session_open(&s, d, o, false, &ready);
	if (code != EXIT_OK)
		goto out;
	code = read_revs(d, ready, &revs);
	if (code != EXIT_OK)
		goto out;
	/* status shows every pending file, whatever an apply would limit */
	so.amount = 0;
	so.to_version = NULL;
	so.baseline = NULL;
	so.allow_dirty = true;
	pending_compute(dir, &revs, &so, &p);

	memset(&v, 0, sizeof(v));
	v.current = p.current;
	v.executed = p.executed;
	v.pending = p.n;
	v.out_of_order = p.out_of_order - p.skipped;
	v.plan = &p;
	v.revs = &revs;
	v.problem = p.error;
	/* a file stopped part way: the reference tool's "(N statements applied)" */
	if (p.partial && p.partial->applied > 0 &&
		(p.current == NULL || version_cmp(p.partial->version, p.current) > 0))
	{
		v.last_partial = true;
		v.current = p.partial->version;
		v.current_applied = p.partial->applied;
	}
	if (p.n > 0)
	{
		v.next = p.items[0].file->version;
		if (p.items[0].rev)
			v.next_left = p.items[0].rev->total - p.items[0].rev->applied;
	}
	if (p.last_error)
	{
		v.error = p.last_error->error;
		v.error_stmt = p.last_error->error_stmt;
	}
	report_status(r, &v);

out:
	session_close(&s);
	code = finish(r, code, t0);
	pending_free(&p);
	revisions_free(&revs);
	return code;
}

static int
cmd_set(Driver *d, const MigrationDir *dir, const Options *o, const char *version, FILE *out)
{
	Reporter   *r = reporter_new(out, o->json, false, REPORT_OTHER);
	int64_t		t0 = now_ns();
	Session		s;
	bool		ready = false;
	const MigrationFile *f = dir_find(dir, version);
	int			code,
				rc;

	memset(&s, 0, sizeof(s));
	describe(r, d, dir, "set");
	if (f == NULL)
	{
		log_error("version \"%s\" not found in the migration directory \"%s\"", version, dir->path);
		code = EXIT_ERROR;
		goto out;
	}
	code = session_open(&s, d, o, true, &ready);
	if (code != EXIT_OK)
		goto out;
	rc = d->ops->set_version(d, f->version, dir);
	if (rc != DRV_OK)
	{
		code = exit_for(rc);
		goto out;
	}
	reporter_set(r, "current", f->version);
	if (!o->json)
		fprintf(out, "Current version is %s\n", f->version);

out:
	session_close(&s);
	return finish(r, code, t0);
}

static int
cmd_tag(Driver *d, const Options *o, const char *name, FILE *out)
{
	Reporter   *r = reporter_new(out, o->json, false, REPORT_OTHER);
	int64_t		t0 = now_ns();
	Session		s;
	bool		ready = false;
	RevisionList revs;
	const char *current = NULL;
	int			code,
				rc,
				k;

	memset(&s, 0, sizeof(s));
	memset(&revs, 0, sizeof(revs));
	describe(r, d, NULL, "tag");
	code = session_open(&s, d, o, false, &ready);
	if (code != EXIT_OK)
		goto out;
	code = read_revs(d, ready, &revs);
	if (code != EXIT_OK)
		goto out;
	for (k = 0; k < revs.n; k++)
		if (revision_complete(&revs.items[k]))
			current = revs.items[k].version;
	if (current == NULL)
	{
		log_error("cannot tag: no migration has been applied to this database");
		code = EXIT_ERROR;
		goto out;
	}
	rc = d->ops->tag(d, name);
	if (rc != DRV_OK)
	{
		code = exit_for(rc);
		goto out;
	}
	reporter_set(r, "tag", name);
	reporter_set(r, "version", current);
	if (!o->json)
		fprintf(out, "Tagged version %s as \"%s\"\n", current, name);

out:
	session_close(&s);
	code = finish(r, code, t0);
	revisions_free(&revs);
	return code;
}

/* ---- commands without a database --------------------------------------- */

static int
cmd_hash(const CliArgs *a, FILE *out)
{
	DirEntry   *entries;
	int			n;
	DirFormat	format = a->dir_format;
	char	   *path;
	int			rc;

	if (dir_list(a->dir_path, &format, &entries, &n) != 0)
		return EXIT_ERROR;
	rc = sum_write_dir(a->dir_path, entries, n);
	path = path_join(a->dir_path, SUM_FILE_NAME);
	if (rc == 0 && a->opts.json)
	{
		StrBuf		sb;

		sb_init(&sb);
		sb_puts(&sb, "{\"command\":\"hash\",\"dir\":");
		json_string(&sb, a->dir_path);
		sb_puts(&sb, ",\"format\":");
		json_string(&sb, dir_format_name(format));
		sb_puts(&sb, ",\"sum_file\":");
		json_string(&sb, path);
		sb_printf(&sb, ",\"files\":%d,\"error\":null}\n", n);
		fputs(sb.data, out);
		sb_free(&sb);
	}
	free(path);
	dir_entries_free(entries, n);
	return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

static int
cmd_validate(const CliArgs *a, FILE *out)
{
	MigrationDir dir;
	Dialect		dialect = a->have_url ? a->url.dialect : DIALECT_POSTGRES;
	int			k,
				stmts = 0;

	if (dir_load(a->dir_path, a->dir_format, dialect, true, &dir) != 0)
		return EXIT_ERROR;
	for (k = 0; k < dir.nfiles; k++)
		stmts += dir.files[k].stmts.n;
	if (a->opts.json)
	{
		StrBuf		sb;

		sb_init(&sb);
		sb_puts(&sb, "{\"command\":\"validate\",\"dir\":");
		json_string(&sb, dir.path);
		sb_puts(&sb, ",\"format\":");
		json_string(&sb, dir_format_name(dir.format));
		sb_puts(&sb, ",\"dialect\":");
		json_string(&sb, dialect_name(dialect));
		sb_puts(&sb, ",\"sum_file\":");
		json_string(&sb, dir.sum_path);
		sb_printf(&sb, ",\"files\":%d,\"statements\":%d,\"error\":null}\n", dir.nfiles, stmts);
		fputs(sb.data, out);
		sb_free(&sb);
	}
	else
		fprintf(out, "Migration directory \"%s\" is valid: %d file%s, %d statement%s (%s format, %s dialect)\n",
				dir.path, dir.nfiles, dir.nfiles == 1 ? "" : "s", stmts, stmts == 1 ? "" : "s",
				dir_format_name(dir.format), dialect_name(dialect));
	dir_free(&dir);
	return EXIT_OK;
}

static void
json_failure(const CliArgs *a, FILE *out)
{
	StrBuf		sb;

	if (!a->opts.json)
		return;
	sb_init(&sb);
	sb_printf(&sb, "{\"command\":\"%s\",\"error\":", command_name(a->command));
	json_string(&sb, log_last_error() ? log_last_error() : "failed");
	sb_puts(&sb, "}\n");
	fputs(sb.data, out);
	sb_free(&sb);
}

/*
 * --to-tag: a git ref of the directory's repository becomes --to-version
 * (the last version present at that ref); anything else stays a tag for
 * the driver to look up.
 */
static int
resolve_to_tag(const CliArgs *a, Options *o)
{
	char	   *version = NULL;
	int			r;

	if (o->to_tag == NULL || !is_directory(a->dir_path))
		return 0;
	r = gitref_version(a->dir_path, a->dir_format, o->to_tag, &version);
	if (r < 0)
		return -1;
	if (r > 0)
	{
		log_info("git ref \"%s\" has version %s as its last migration", o->to_tag, version);
		o->to_version = version;
		o->to_tag = NULL;
	}
	return 0;
}

int
run_command(CliArgs *a, DriverFactory factory, FILE *out)
{
	Driver		d;
	MigrationDir dir;
	bool		have_dir = false;
	Options		o = a->opts;
	int			code = EXIT_ERROR;
	char	   *resolved = NULL;

	memset(&dir, 0, sizeof(dir));
	switch (a->command)
	{
		case CMD_VERSION:
			if (a->opts.json)
				fprintf(out, "{\"command\":\"version\",\"version\":\"%s\",\"error\":null}\n",
						MIGRATE_VERSION);
			else
				fprintf(out, "migrate %s\n", MIGRATE_VERSION);
			return EXIT_OK;
		case CMD_HELP:
			cli_usage(out, a->arg);
			return EXIT_OK;
		case CMD_HASH:
			code = cmd_hash(a, out);
			if (code != EXIT_OK)
				json_failure(a, out);
			return code;
		case CMD_VALIDATE:
			code = cmd_validate(a, out);
			if (code != EXIT_OK)
				json_failure(a, out);
			return code;
		case CMD_NONE:
			return EXIT_ERROR;
		default:
			break;
	}

	/* database commands */
	if (a->command == CMD_APPLY || a->command == CMD_STATUS || a->command == CMD_SET ||
		(a->command == CMD_DOWN && (a->dir_given || is_directory(a->dir_path))))
	{
		if (dir_load(a->dir_path, a->dir_format, a->url.dialect, true, &dir) != 0)
		{
			json_failure(a, out);
			return EXIT_ERROR;
		}
		have_dir = true;
	}
	if (a->command == CMD_DOWN)
	{
		if (resolve_to_tag(a, &o) != 0)
		{
			json_failure(a, out);
			goto done;
		}
		if (o.to_version != a->opts.to_version)
			resolved = (char *) o.to_version;
	}

	memset(&d, 0, sizeof(d));
	d.url = &a->url;
	d.opts = &o;
	if (!factory(a->url.dialect, &d))
	{
		json_failure(a, out);
		goto done;
	}
	d.url = &a->url;
	d.opts = &o;
	switch (a->command)
	{
		case CMD_APPLY:
			code = cmd_apply(&d, &dir, &o, out);
			break;
		case CMD_DOWN:
			code = cmd_down(&d, have_dir ? &dir : NULL, &o, out);
			break;
		case CMD_STATUS:
			code = cmd_status(&d, &dir, &o, out);
			break;
		case CMD_SET:
			code = cmd_set(&d, &dir, &o, a->arg, out);
			break;
		case CMD_TAG:
			code = cmd_tag(&d, &o, a->arg, out);
			break;
		default:
			break;
	}

done:
	free(resolved);
	if (have_dir)
		dir_free(&dir);
	return code;
}
