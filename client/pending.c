/*-------------------------------------------------------------------------
 *
 * pending.c
 *	  Which migration files apply must run, from the directory and the
 *	  revisions the database recorded (docs/internals.md, "Revisions").
 *
 *	- The current version is the highest version whose row is complete
 *	  (applied = total, or a baseline / set-by-hand row).
 *	- A row with applied < total is a partially applied file (or one that
 *	  failed before its first statement): it is pending again and resumes
 *	  at statement `applied`, once the running hashes of the statements
 *	  already applied match partial_hashes.
 *	- A complete row whose file hash differs from the file: the file was
 *	  edited after it was applied; refused.
 *	- A file without a row whose hash is that of an applied version whose
 *	  file is missing: the file was renamed after it was applied, and
 *	  would run again; refused.
 *	- Files above the current version are pending, in version order.
 *	  Files below it without a row (and above the first row, which may be
 *	  a baseline) were added out of order: --exec-order linear refuses,
 *	  linear-skip skips them, non-linear applies them first.
 *	- No rows at all: the database must be clean, unless --baseline V
 *	  (recorded first; files up to V count as applied) or --allow-dirty.
 *	- --to-version V keeps files up to V; an amount N keeps the first N.
 *
 * The computation is pure; problems are returned in the plan (error,
 * detail, hint) so that status can show them and apply refuse.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/pending.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

bool
revision_complete(const Revision *r)
{
	if (r->type & (REV_BASELINE | REV_SET))
		return true;
	return r->applied >= r->total;
}

static int
cmp_rev(const void *a, const void *b)
{
	return version_cmp(((const Revision *) a)->version, ((const Revision *) b)->version);
}

void
revisions_sort(RevisionList *revs)
{
	if (revs->n > 1)
		qsort(revs->items, revs->n, sizeof(Revision), cmp_rev);
}

void
revisions_free(RevisionList *revs)
{
	int			k,
				j;

	for (k = 0; k < revs->n; k++)
	{
		Revision   *r = &revs->items[k];

		free(r->version);
		free(r->description);
		free(r->error);
		free(r->error_stmt);
		free(r->hash);
		for (j = 0; j < r->npartial; j++)
			free(r->partial_hashes[j]);
		free(r->partial_hashes);
		for (j = 0; j < r->nleftovers; j++)
		{
			free(r->leftovers[j].message);
			free(r->leftovers[j].detail);
			free(r->leftovers[j].hint);
			free(r->leftovers[j].drop);
		}
		free(r->leftovers);
	}
	free(revs->items);
	revs->items = NULL;
	revs->n = 0;
}

static const Revision *
find_rev(const RevisionList *revs, const char *version)
{
	int			lo = 0,
				hi = revs->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = version_cmp(revs->items[mid].version, version);

		if (c == 0)
			return &revs->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static void
plan_fail(PendingPlan *p, char *error, char *detail, char *hint)
{
	if (p->error != NULL)
	{
		/* keep the first problem */
		free(error);
		free(detail);
		free(hint);
		return;
	}
	p->error = error;
	p->error_detail = detail;
	p->error_hint = hint;
}

static void
add_item(PendingItem **items, int *n, int *cap, const MigrationFile *f,
		 const Revision *r, int start, bool ooo)
{
	if (*n == *cap)
	{
		*cap = *cap ? *cap * 2 : 16;
		*items = xrealloc(*items, sizeof(PendingItem) * *cap);
	}
	(*items)[*n].file = f;
	(*items)[*n].rev = r;
	(*items)[*n].start = start;
	(*items)[*n].out_of_order = ooo;
	(*n)++;
}

/*
 * A partially applied file may be resumed only if the statements already
 * applied are unchanged.  Returns the statement to start at, or -1 after
 * recording the problem.
 */
static int
check_partial(PendingPlan *p, const MigrationFile *f, const Revision *r)
{
	char		(*hashes)[64];
	int			k;

	if (r->applied <= 0)
		return 0;
	if (r->applied > f->stmts.n)
	{
		plan_fail(p, xasprintf("history changed: migration file \"%s\" has %d statements, but %d of them were applied",
							   f->name, f->stmts.n, r->applied),
				  xstrdup("Statements that were applied must stay in the file unchanged."),
				  xstrdup("Restore the statements that were applied, or revert the version with \"migrate down\"."));
		return -1;
	}
	if (r->npartial < r->applied)
	{
		plan_fail(p, xasprintf("cannot resume migration file \"%s\": %d statements were applied but only %d statement hashes were recorded",
							   f->name, r->applied, r->npartial),
				  NULL,
				  xstrdup("Use \"migrate set\" to record the version by hand once the database is as it should be."));
		return -1;
	}
	hashes = xmalloc(sizeof(*hashes) * (f->stmts.n ? f->stmts.n : 1));
	hash_running_all(&f->stmts, hashes);
	for (k = 0; k < r->applied; k++)
	{
		if (r->partial_hashes[k] == NULL || strcmp(hashes[k], r->partial_hashes[k]) != 0)
		{
			plan_fail(p, xasprintf("history changed: statement %d of \"%s\" changed since it was applied",
								   k + 1, f->name),
					  xasprintf("The statement on line %d no longer matches what the database recorded for version %s.",
								f->stmts.items[k].line, f->version),
					  xstrdup("Only the statements after the ones applied may be edited; restore the others."));
			free(hashes);
			return -1;
		}
	}
	free(hashes);
	return r->applied;
}

/*
 * A file that has no row but the content of an applied version whose file
 * is gone was renamed (or copied) after it was applied: running it would
 * run the same statements a second time.  Returns that revision or NULL.
 */
static const Revision *
renamed_from(const MigrationDir *dir, const RevisionList *revs, const MigrationFile *f)
{
	int			k;

	for (k = 0; k < revs->n; k++)
	{
		const Revision *r = &revs->items[k];

		if ((r->type & REV_APPLIED) && r->hash && strcmp(r->hash, f->hash) == 0 &&
			revision_complete(r) && dir_find(dir, r->version) == NULL)
			return r;
	}
	return NULL;
}

void
pending_compute(const MigrationDir *dir, const RevisionList *revs,
				const Options *opts, PendingPlan *p)
{
	PendingItem *ooo = NULL,
			   *rest = NULL;
	int			nooo = 0,
				cooo = 0,
				nrest = 0,
				crest = 0,
				k;
	const char *first = NULL;
	const char *to = opts->to_version;

	memset(p, 0, sizeof(*p));

	for (k = 0; k < revs->n; k++)
	{
		const Revision *r = &revs->items[k];

		if (revision_complete(r))
		{
			p->current = r->version;
			p->current_rev = r;
		}
		else if (p->partial == NULL)
			p->partial = r;
		if (r->error && r->error[0] && !(r->type & REV_SET))
			p->last_error = r;
		/* a file rolled back after failing (nothing applied) was not executed */
		if (r->type != REV_BASELINE && (revision_complete(r) || r->applied > 0))
			p->executed++;
	}
	if (revs->n > 0)
		first = revs->items[0].version;

	if (revs->n == 0)
	{
		if (opts->baseline)
		{
			const MigrationFile *bf = dir_find(dir, opts->baseline);

			if (bf == NULL)
				plan_fail(p, xasprintf("baseline version \"%s\" not found in the migration directory",
									   opts->baseline),
						  NULL,
						  xstrdup("The baseline must be the version of one of the migration files."));
			else
			{
				p->baseline = bf->version;
				p->current = bf->version;
				first = bf->version;
			}
		}
		else if (!opts->allow_dirty)
			p->needs_clean_check = true;
	}

	if (to && dir_find(dir, to) == NULL)
		plan_fail(p, xasprintf("version \"%s\" not found in the migration directory", to),
				  NULL, NULL);

	for (k = 0; k < dir->nfiles; k++)
	{
		const MigrationFile *f = &dir->files[k];
		const Revision *r = find_rev(revs, f->version);

		if (r != NULL)
		{
			if (revision_complete(r))
			{
				if ((r->type & REV_APPLIED) && r->hash && r->hash[0] &&
					strcmp(r->hash, f->hash) != 0)
					plan_fail(p, xasprintf("migration file \"%s\" was changed after it was applied",
										   f->name),
							  xasprintf("Version %s was applied from a file hashing to %s; the file now hashes to %s.",
										f->version, r->hash, f->hash),
							  xstrdup("Restore the file as it was applied, or revert the version with \"migrate down\" before changing it."));
				continue;
			}
			else
			{
				int			start = check_partial(p, f, r);

				if (start < 0)
					continue;
				if (p->current && version_cmp(f->version, p->current) < 0)
					add_item(&ooo, &nooo, &cooo, f, r, start, true);
				else
					add_item(&rest, &nrest, &crest, f, r, start, false);
			}
			continue;
		}
		{
			const Revision *was = renamed_from(dir, revs, f);

			if (was != NULL)
			{
				plan_fail(p, xasprintf("migration file \"%s\" has the content of applied version %s, whose file is missing",
									   f->name, was->version),
						  xasprintf("A file renamed after it was applied would run its statements a second time (version %s was applied from a file hashing to %s).",
									was->version, was->hash),
						  xstrdup("Give the file back the name it was applied under; if the statements are meant to run again, change the file."));
				continue;
			}
		}
		if (p->current && version_cmp(f->version, p->current) <= 0)
		{
			/* files below the first row (or the baseline) are covered by it */
			if (first == NULL || version_cmp(f->version, first) <= 0)
				continue;
			p->out_of_order++;
			if (opts->exec_order == EXEC_LINEAR)
				plan_fail(p, xasprintf("migration file \"%s\" was added out of order", f->name),
						  xasprintf("The database is at version %s, and version %s, which is lower, was never applied.",
									p->current, f->version),
						  xstrdup("Use --exec-order non-linear to apply it anyway, or --exec-order linear-skip to skip it; or give the file a version above the current one."));
			else if (opts->exec_order == EXEC_LINEAR_SKIP)
				p->skipped++;
			else
				add_item(&ooo, &nooo, &cooo, f, NULL, 0, true);
			continue;
		}
		add_item(&rest, &nrest, &crest, f, NULL, 0, false);
	}

	/* partially applied rows whose file is gone cannot be resumed */
	for (k = 0; k < revs->n; k++)
	{
		const Revision *r = &revs->items[k];

		if (!revision_complete(r) && dir_find(dir, r->version) == NULL)
			plan_fail(p, xasprintf("version %s is partially applied, but its file is not in the migration directory",
								   r->version),
					  xasprintf("%d of %d statements were applied.", r->applied, r->total),
					  xstrdup("Restore the file to finish it, or use \"migrate set\" or \"migrate down\" to settle the version."));
	}

	/* out-of-order files first, then the rest */
	p->items = xmalloc(sizeof(PendingItem) * (nooo + nrest + 1));
	for (k = 0; k < nooo; k++)
		p->items[p->n++] = ooo[k];
	for (k = 0; k < nrest; k++)
		p->items[p->n++] = rest[k];
	free(ooo);
	free(rest);

	if (to)
	{
		int			keep = 0;

		for (k = 0; k < p->n; k++)
			if (version_cmp(p->items[k].file->version, to) <= 0)
				p->items[keep++] = p->items[k];
		p->n = keep;
	}
	if (opts->amount > 0 && p->n > opts->amount)
		p->n = opts->amount;
}

void
pending_free(PendingPlan *p)
{
	free(p->items);
	free(p->error);
	free(p->error_detail);
	free(p->error_hint);
	memset(p, 0, sizeof(*p));
}
