/*-------------------------------------------------------------------------
 *
 * fakedriver.h
 *	  An in-memory driver for the orchestration tests: it keeps a revisions
 *	  "table", transactions (as snapshots), a lock, and a log of every call,
 *	  and behaves as the contract in migrate.h asks a real driver to.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/fakedriver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_FAKEDRIVER_H
#define MIGRATE_FAKEDRIVER_H

#include "testutil.h"

/* each test uses a part of this file */
#pragma GCC diagnostic ignored "-Wunused-function"

typedef struct FakeDb
{
	RevisionList revs;			/* committed state */
	bool		ready;			/* bookkeeping exists */
	bool		clean;			/* no user objects */
	bool		locked_elsewhere;	/* lock() times out */
	bool		in_all;			/* inside begin_all */
	RevisionList snapshot;		/* state at begin_all */
	/* make statement fail_stmt (0-based) of version fail_version fail */
	const char *fail_version;
	int			fail_stmt;
	bool		fail_conn_lost;
	/* what down() should report: 0 nothing, 1 one version, 2 a failing check */
	int			down_mode;
	DownRequest last_down;
	const char *last_set;
	const char *last_tag;
	StrBuf		calls;			/* "connect prepare(1) lock ..." */
	StrBuf		executed;		/* statements run, one per line */
} FakeDb;

static FakeDb *fake;

static void
			fake_call(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
fake_call(const char *fmt,...)
{
	va_list		ap;
	char		buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fake->calls.len)
		sb_putc(&fake->calls, ' ');
	sb_puts(&fake->calls, buf);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
rev_copy(Revision *dst, const Revision *src)
{
	int			k;

	*dst = *src;
	dst->version = dup_or_null(src->version);
	dst->description = dup_or_null(src->description);
	dst->error = dup_or_null(src->error);
	dst->error_stmt = dup_or_null(src->error_stmt);
	dst->hash = dup_or_null(src->hash);
	dst->partial_hashes = src->npartial ? xmalloc(sizeof(char *) * src->npartial) : NULL;
	for (k = 0; k < src->npartial; k++)
		dst->partial_hashes[k] = xstrdup(src->partial_hashes[k]);
	dst->leftovers = src->nleftovers ? xmalloc(sizeof(Leftover) * src->nleftovers) : NULL;
	for (k = 0; k < src->nleftovers; k++)
	{
		dst->leftovers[k].action = src->leftovers[k].action;
		dst->leftovers[k].message = dup_or_null(src->leftovers[k].message);
		dst->leftovers[k].detail = dup_or_null(src->leftovers[k].detail);
		dst->leftovers[k].hint = dup_or_null(src->leftovers[k].hint);
		dst->leftovers[k].drop = dup_or_null(src->leftovers[k].drop);
	}
}

static void
revs_copy(RevisionList *dst, const RevisionList *src)
{
	int			k;

	dst->n = src->n;
	dst->items = xcalloc(src->n ? src->n : 1, sizeof(Revision));
	for (k = 0; k < src->n; k++)
		rev_copy(&dst->items[k], &src->items[k]);
}

static Revision *
fake_row(const char *version)
{
	int			k;

	for (k = 0; k < fake->revs.n; k++)
		if (strcmp(fake->revs.items[k].version, version) == 0)
			return &fake->revs.items[k];
	fake->revs.items = xrealloc(fake->revs.items, sizeof(Revision) * (fake->revs.n + 1));
	memset(&fake->revs.items[fake->revs.n], 0, sizeof(Revision));
	fake->revs.items[fake->revs.n].version = xstrdup(version);
	return &fake->revs.items[fake->revs.n++];
}

/* add a revision row by hand (tests set up histories with it) */
static Revision *
fake_add(const char *version, int type, int applied, int total, const char *hash)
{
	Revision   *r = fake_row(version);

	r->description = xstrdup("");
	r->type = type;
	r->applied = applied;
	r->total = total;
	r->hash = dup_or_null(hash);
	return r;
}

static void
fake_set_partial(Revision *r, const MigrationFile *f, int applied)
{
	char		(*h)[64] = xmalloc(sizeof(*h) * (f->stmts.n ? f->stmts.n : 1));
	int			k;

	hash_running_all(&f->stmts, h);
	r->applied = applied;
	r->npartial = applied;
	r->partial_hashes = xmalloc(sizeof(char *) * (applied ? applied : 1));
	for (k = 0; k < applied; k++)
		r->partial_hashes[k] = xstrdup(h[k]);
	free(h);
}

static int
f_connect(Driver *d)
{
	fake_call("connect");
	return DRV_OK;
}

static void
f_close(Driver *d)
{
	fake_call("close");
}

static int
f_lock(Driver *d, int timeout_ms)
{
	fake_call("lock(%d)", timeout_ms);
	return fake->locked_elsewhere ? DRV_LOCKED : DRV_OK;
}

static void
f_unlock(Driver *d)
{
	fake_call("unlock");
}

static int
f_prepare(Driver *d, bool create, bool *ready)
{
	fake_call("prepare(%d)", create);
	if (create)
		fake->ready = true;
	*ready = fake->ready;
	return DRV_OK;
}

static int
f_read(Driver *d, RevisionList *out)
{
	fake_call("read");
	revs_copy(out, &fake->revs);
	return DRV_OK;
}

static int
f_check_clean(Driver *d, bool *clean, char **reason)
{
	fake_call("check_clean");
	*clean = fake->clean;
	if (!fake->clean)
		*reason = xstrdup("found table \"public.t\"");
	return DRV_OK;
}

static int
f_baseline(Driver *d, const char *version, const char *desc)
{
	fake_call("baseline(%s)", version);
	fake_add(version, REV_BASELINE, 0, 0, NULL);
	return DRV_OK;
}

static int
f_begin_all(Driver *d)
{
	fake_call("begin_all");
	fake->in_all = true;
	revs_copy(&fake->snapshot, &fake->revs);
	return DRV_OK;
}

static int
f_commit_all(Driver *d)
{
	fake_call("commit_all");
	fake->in_all = false;
	revisions_free(&fake->snapshot);
	return DRV_OK;
}

static int
f_rollback_all(Driver *d)
{
	fake_call("rollback_all");
	fake->in_all = false;
	revisions_free(&fake->revs);
	fake->revs = fake->snapshot;
	memset(&fake->snapshot, 0, sizeof(fake->snapshot));
	return DRV_OK;
}

static const char *
mode_name(TxMode m)
{
	return m == TXMODE_NONE ? "none" : m == TXMODE_ALL ? "all" : m == TXMODE_FILE ? "file" : "default";
}

static void
row_error(Revision *r, const char *error, const char *stmt)
{
	free(r->error);
	free(r->error_stmt);
	r->error = dup_or_null(error);
	r->error_stmt = dup_or_null(stmt);
}

static int
f_apply(Driver *d, const MigrationFile *f, TxMode mode, int start, Reporter *r,
		ApplyResult *res)
{
	RevisionList before;
	char		title[256];
	char		(*h)[64];
	Revision   *row;
	int			k;

	fake_call("apply(%s,%s,%d)", f->version, mode_name(mode), start);
	memset(res, 0, sizeof(*res));
	if (mode == TXMODE_FILE)
		revs_copy(&before, &fake->revs);
	h = xmalloc(sizeof(*h) * (f->stmts.n ? f->stmts.n : 1));
	hash_running_all(&f->stmts, h);
	snprintf(title, sizeof(title), "migrating version %s", f->version);
	report_group(r, title);
	row = fake_row(f->version);
	if (row->description == NULL)
		row->description = xstrdup(f->description);
	row->type |= REV_APPLIED;
	row->total = f->stmts.n;
	free(row->hash);
	row->hash = xstrdup(f->hash);
	for (k = start; k < f->stmts.n; k++)
	{
		report_stmt(r, f->stmts.items[k].text);
		if (fake->fail_version && strcmp(fake->fail_version, f->version) == 0 &&
			fake->fail_stmt == k)
		{
			res->failed = true;
			res->error = xstrdup("ERROR: boom");
			res->error_stmt = xstrdup(f->stmts.items[k].text);
			res->applied = k - start;
			report_group_error(r, res->error_stmt, res->error);
			free(h);
			if (fake->fail_conn_lost)
			{
				res->failed = false;
				if (mode == TXMODE_FILE)
					revisions_free(&before);
				return DRV_CONN_LOST;
			}
			if (mode == TXMODE_FILE)
			{
				/* the transaction rolls back; the failure is recorded after */
				revisions_free(&fake->revs);
				fake->revs = before;
				row = fake_row(f->version);
				row->description = xstrdup(f->description);
				row->type = REV_APPLIED;
				row->total = f->stmts.n;
				row->hash = xstrdup(f->hash);
				row->applied = start;
			}
			if (mode != TXMODE_ALL)
				row_error(row, res->error, res->error_stmt);
			return DRV_ERROR;
		}
		sb_puts(&fake->executed, f->stmts.items[k].text);
		sb_putc(&fake->executed, '\n');
		row->applied = k + 1;
		row->partial_hashes = xrealloc(row->partial_hashes, sizeof(char *) * (k + 1));
		if (row->npartial <= k)
			row->partial_hashes[row->npartial++] = xstrdup(h[k]);
		res->applied++;
	}
	free(h);
	row_error(row, NULL, NULL);
	for (k = 0; k < row->npartial; k++)
		free(row->partial_hashes[k]);
	free(row->partial_hashes);
	row->partial_hashes = NULL;
	row->npartial = 0;
	row->applied = row->total;
	if (mode == TXMODE_FILE)
		revisions_free(&before);
	res->elapsed_ns = 1000;
	report_group_ok(r, res->elapsed_ns);
	return DRV_OK;
}

static int
f_record_failure(Driver *d, const MigrationFile *f, const ApplyResult *res)
{
	Revision   *row;

	fake_call("record_failure(%s)", f->version);
	row = fake_row(f->version);
	row->description = xstrdup(f->description);
	row->type = REV_APPLIED;
	row->total = f->stmts.n;
	row->hash = xstrdup(f->hash);
	row_error(row, res->error, res->error_stmt);
	return DRV_OK;
}

static int
f_down(Driver *d, const DownRequest *req, Reporter *r)
{
	fake_call("down(steps=%d,to=%s,tag=%s,dry=%d)", req->steps,
			  req->to_version ? req->to_version : "-", req->to_tag ? req->to_tag : "-",
			  req->dry_run);
	fake->last_down = *req;
	if (fake->down_mode == 0)
		return DRV_OK;
	report_down_header(r, "3", "2", 1);
	report_group(r, "checks before reverting version 3");
	report_check(r, "SELECT NOT EXISTS (SELECT 1 FROM \"t\") AS \"is_empty\"");
	if (fake->down_mode == 2)
	{
		report_check_failed(r, "SELECT NOT EXISTS (SELECT 1 FROM \"t\") AS \"is_empty\"",
							"table \"t\" has 3 rows");
		return DRV_ERROR;
	}
	report_group_ok(r, 2000);
	report_group(r, "reverting version 3");
	report_stmt(r, "DROP TABLE \"t\"");
	report_group_ok(r, 3000);
	return DRV_OK;
}

static int
f_set(Driver *d, const char *version, const MigrationDir *dir)
{
	fake_call("set(%s)", version);
	fake->last_set = version;
	return DRV_OK;
}

static int
f_tag(Driver *d, const char *name)
{
	fake_call("tag(%s)", name);
	fake->last_tag = name;
	return DRV_OK;
}

static const DriverOps fake_ops = {
	.name = "fake",
	.dialect = DIALECT_POSTGRES,
	.connect = f_connect,
	.close = f_close,
	.lock = f_lock,
	.unlock = f_unlock,
	.prepare = f_prepare,
	.read_revisions = f_read,
	.check_clean = f_check_clean,
	.write_baseline = f_baseline,
	.begin_all = f_begin_all,
	.commit_all = f_commit_all,
	.rollback_all = f_rollback_all,
	.apply_file = f_apply,
	.record_failure = f_record_failure,
	.down = f_down,
	.set_version = f_set,
	.tag = f_tag,
};

static void
fake_reset(void)
{
	if (fake)
	{
		revisions_free(&fake->revs);
		revisions_free(&fake->snapshot);
		sb_free(&fake->calls);
		sb_free(&fake->executed);
		free(fake);
	}
	fake = xcalloc(1, sizeof(FakeDb));
	fake->clean = true;
	sb_init(&fake->calls);
	sb_init(&fake->executed);
}

static bool
fake_factory(Dialect dialect, Driver *d)
{
	d->ops = &fake_ops;
	return true;
}

/* ---- building directories in memory ---- */

static void
mem_dir_add(MigrationDir *dir, const char *version, const char *text)
{
	MigrationFile *f;
	char	   *name = xasprintf("%s_v%s.sql", version, version);

	dir->files = xrealloc(dir->files, sizeof(MigrationFile) * (dir->nfiles + 1));
	f = &dir->files[dir->nfiles++];
	memset(f, 0, sizeof(*f));
	f->version = xstrdup(version);
	f->description = xasprintf("v%s", version);
	if (migration_parse(f, name, name, text, strlen(text), FORMAT_NATIVE, DIALECT_POSTGRES) != 0)
		fail_msg("test file %s does not parse", name);
	free(name);
}

static void
mem_dir_init(MigrationDir *dir)
{
	memset(dir, 0, sizeof(*dir));
	dir->path = xstrdup("mem");
	dir->format = FORMAT_NATIVE;
}

#endif							/* MIGRATE_FAKEDRIVER_H */
