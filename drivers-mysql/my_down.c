/*-------------------------------------------------------------------------
 *
 * my_down.c
 *	  Reverting migrations on MySQL/MariaDB: newest version first, one
 *	  version at a time, statement by statement.
 *
 * A version is reverted by undoing its units (one per applied statement,
 * plus the effect of a failed statement) from the newest to the oldest.
 * Undoing a unit means bringing every object it changed back to the image
 * recorded just before it; the statements are planned from the live schema
 * (my_plan.c), one at a time: after each step the live images are read
 * again and the rest is re-planned, so an interrupted revert simply
 * continues, and nothing already done is done again.  When a unit is
 * undone and verified, the revision row says one statement fewer is
 * applied (and the row goes with the last one), in the same transaction
 * that marks the unit reverted: the revisions table tells the truth after
 * every step.
 *
 * A version whose file had a hand-written down part runs those statements
 * instead, with the same checks and a verification of the result.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_down.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "my_int.h"

#define MAX_STEPS_PER_UNIT 64

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * Object state: live, or simulated (dry run, and checks planned ahead)
 * ------------------------------------------------------------------------
 */
typedef struct Model
{
	bool		simulate;		/* false: always read the live schema */
	Snapshot	present;		/* simulated or cached images */
	MyList		absent;			/* "kind:name" known not to exist */
} Model;

static char *
model_key(ObjKind k, const char *name)
{
	return xasprintf("%s:%s", my_obj_kind_name(k), name);
}

static int
model_get(MyState *st, Model *m, ObjKind kind, const char *name, char **image)
{
	SnapObj    *o;
	char	   *key;
	int			rc;

	*image = NULL;
	if (!m->simulate)
		return my_catalog_image(st, kind, name, image);
	key = model_key(kind, name);
	if (ml_contains(&m->absent, key))
	{
		free(key);
		return DRV_OK;
	}
	if ((o = my_snapshot_find(&m->present, kind, name)) != NULL)
	{
		*image = xstrdup(o->image);
		free(key);
		return DRV_OK;
	}
	rc = my_catalog_image(st, kind, name, image);
	if (rc == DRV_OK)
	{
		if (*image)
			my_snapshot_put(&m->present, kind, name, "", *image);
		else
			ml_add(&m->absent, key);
	}
	free(key);
	return rc;
}

static void
model_set(Model *m, ObjKind kind, const char *name, const char *image)
{
	char	   *key = model_key(kind, name);
	int			i = ml_index(&m->absent, key);

	if (image)
	{
		if (i >= 0)
		{
			free(m->absent.items[i]);
			m->absent.items[i] = m->absent.items[--m->absent.n];
		}
		my_snapshot_put(&m->present, kind, name, "", image);
	}
	else
	{
		my_snapshot_remove(&m->present, kind, name);
		if (i < 0)
			ml_add(&m->absent, key);
	}
	free(key);
}

static void
model_free(Model *m)
{
	my_snapshot_free(&m->present);
	ml_free(&m->absent);
}

/* ------------------------------------------------------------------------
 * The objects of a unit
 * ------------------------------------------------------------------------
 */
typedef struct UnitObjects
{
	PlanObject *objs;
	int			n;
	char	  **after;			/* image after the unit, per object (live
								 * name) */
} UnitObjects;

static void
unit_objects_free(UnitObjects *uo)
{
	for (int i = 0; i < uo->n; i++)
	{
		my_plan_object_free(&uo->objs[i]);
		free(uo->after[i]);
	}
	free(uo->objs);
	free(uo->after);
	memset(uo, 0, sizeof(*uo));
}

static int
find_obj(UnitObjects *uo, ObjKind kind, const char *name)
{
	for (int i = 0; i < uo->n; i++)
		if (uo->objs[i].kind == kind && strcmp(uo->objs[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Target (image before the unit), after-image and current image of every
 * object the unit changed, with its recorded renames folded in.
 */
static int
load_unit_objects(MyState *st, const UnitRef *u, Model *m, UnitObjects *uo)
{
	UnitImage  *imgs;
	int			nimgs,
				rc;
	StmtRename *ren;
	int			nren;

	memset(uo, 0, sizeof(*uo));
	if ((rc = my_hist_unit_images(st, u->id, &imgs, &nimgs)) != DRV_OK)
		return rc;
	if ((rc = my_hist_unit_renames(st, u->id, &ren, &nren)) != DRV_OK)
	{
		my_unit_images_free(imgs, nimgs);
		return rc;
	}
	uo->objs = xcalloc(1, (nimgs + 1) * sizeof(PlanObject));
	uo->after = xcalloc(1, (nimgs + 1) * sizeof(char *));
	for (int i = 0; i < nimgs && rc == DRV_OK; i++)
	{
		PlanObject *o = &uo->objs[uo->n];

		o->kind = imgs[i].kind;
		o->name = xstrdup(imgs[i].name);
		o->live_name = xstrdup(imgs[i].name);
		uo->after[uo->n] = xstrdup(imgs[i].image);
		uo->n++;
		rc = my_hist_image_before(st, u->id, o->kind, o->name, &o->target);
	}

	/* table renames: old (gone after) + new (absent before) = one object */
	for (int i = 0; i < nren && rc == DRV_OK; i++)
	{
		int			a,
					b;

		if (ren[i].kind != 't')
			continue;
		a = find_obj(uo, OBJ_TABLE, ren[i].old_name);
		b = find_obj(uo, OBJ_TABLE, ren[i].new_name);
		if (a < 0 || b < 0 || uo->after[a] != NULL || uo->objs[b].target != NULL)
			continue;
		free(uo->objs[a].live_name);
		uo->objs[a].live_name = xstrdup(ren[i].new_name);
		free(uo->after[a]);
		uo->after[a] = uo->after[b];
		uo->after[b] = NULL;
		my_plan_object_free(&uo->objs[b]);
		uo->objs[b] = uo->objs[--uo->n];
		uo->after[b] = uo->after[uo->n];
	}
	/* column renames, attached to the table by its name after the unit */
	for (int i = 0; i < nren; i++)
	{
		if (ren[i].kind != 'c')
			continue;
		for (int j = 0; j < uo->n; j++)
			if (uo->objs[j].kind == OBJ_TABLE && strcmp(uo->objs[j].live_name, ren[i].table) == 0)
			{
				ml_add(&uo->objs[j].col_old, ren[i].new_name);
				ml_add(&uo->objs[j].col_new, ren[i].old_name);
			}
	}
	/* current state */
	for (int i = 0; i < uo->n && rc == DRV_OK; i++)
	{
		PlanObject *o = &uo->objs[i];

		rc = model_get(st, m, o->kind, o->live_name, &o->live);
		if (rc == DRV_OK && o->live == NULL && strcmp(o->live_name, o->name) != 0)
		{
			/* renamed back already (an interrupted revert) */
			rc = model_get(st, m, o->kind, o->name, &o->live);
			if (o->live)
			{
				free(o->live_name);
				o->live_name = xstrdup(o->name);
			}
		}
	}
	for (int i = 0; i < nren; i++)
	{
		free(ren[i].table);
		free(ren[i].old_name);
		free(ren[i].new_name);
	}
	free(ren);
	my_unit_images_free(imgs, nimgs);
	return rc;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------
 */
typedef struct DownCtx
{
	Driver	   *d;
	MyState    *st;
	const DownRequest *req;
	Reporter   *r;
	MyList		allow;
	MyList		ran;			/* checks already passed for this version */
	bool		dry;
	int			nchecks;
	int			nstmts;
} DownCtx;

static bool
loss_allowed(DownCtx *c, const char *object)
{
	for (int i = 0; i < c->allow.n; i++)
		if (strcasecmp(c->allow.items[i], object) == 0)
			return true;
	return false;
}

/* run setup statements separated by ";\n" */
static int
run_script(MyState *st, const char *script, char **err)
{
	char	   *copy = xstrdup(script);
	char	   *p = copy;
	int			rc = DRV_OK;

	while (p && *p && rc == DRV_OK)
	{
		char	   *sep = strstr(p, ";\n");

		if (sep)
			*sep = '\0';
		rc = my_exec(st, p, err);
		p = sep ? sep + 2 : NULL;
	}
	free(copy);
	return rc;
}

static void
report_script(Reporter *r, const char *script)
{
	char	   *copy = xstrdup(script);
	char	   *p = copy;

	while (p && *p)
	{
		char	   *sep = strstr(p, ";\n");

		if (sep)
			*sep = '\0';
		report_check(r, p);
		p = sep ? sep + 2 : NULL;
	}
	free(copy);
}

/*
 * Run one check.  DRV_OK when it passes (or the loss is allowed),
 * DRV_ERROR with everything logged when it blocks.
 */
static int
run_check(DownCtx *c, const PlanCheck *chk, const char *version)
{
	MyState    *st = c->st;
	long long	rows = 0;
	bool		isnull;
	char	   *err = NULL;
	int			rc;

	if (ml_contains(&c->ran, chk->sql) && chk->setup == NULL)
		return DRV_OK;
	if (chk->setup)
		report_script(c->r, chk->setup);
	report_check(c->r, chk->sql);
	c->nchecks++;
	if (chk->setup)
	{
		rc = run_script(st, chk->setup, &err);
		if (rc != DRV_OK)
		{
			if (rc != DRV_CONN_LOST)
			{
				report_check_failed(c->r, chk->sql, err);
				log_error("could not check %s of \"%s\": %s", my_check_kind_text(chk->kind), chk->object, err);
				log_error_detail("The revert of version %s stops before changing \"%s\".", version,
								 chk->table);
			}
			if (chk->cleanup)
				(void) run_script(st, chk->cleanup, NULL);
			free(err);
			return rc;
		}
	}
	rc = my_exec(st, "DO 0", NULL); /* keep the error state clean */
	{
		MyRows		r;

		rc = my_query(st, chk->sql, &r);
		if (rc == DRV_OK)
		{
			isnull = r.nrows == 0 || r.rows[0][0] == NULL;
			rows = isnull ? 0 : atoll(r.rows[0][0]);
			my_rows_free(&r);
		}
	}
	if (chk->cleanup)
		(void) run_script(st, chk->cleanup, NULL);
	if (rc != DRV_OK)
		return rc;
	if (rows > 0)
	{
		char	   *what = my_check_describe(chk, rows);

		if (chk->loss && loss_allowed(c, chk->object))
		{
			char	   *note = xasprintf("allowed by --allow-loss: %s", what);

			report_note(c->r, note);
			free(note);
			free(what);
			ml_add(&c->ran, chk->sql);
			return DRV_OK;
		}
		report_check_failed(c->r, chk->sql, what);
		log_error("cannot revert version %s: %s", version, what);
		log_error_detail("The check \"%s\" failed on \"%s\"; nothing was changed by this step.",
						 my_check_kind_text(chk->kind), chk->object);
		if (chk->loss)
			log_error_hint("Move or delete the data first, or run again with --allow-loss %s to accept losing it.",
						   chk->object);
		else
			log_error_hint("Fix the rows that block it, then run the same command again.");
		free(what);
		return DRV_ERROR;
	}
	ml_add(&c->ran, chk->sql);
	return DRV_OK;
}

/* can the check run against the live schema now? */
static bool
check_runnable(MyState *st, const Snapshot *live, const PlanCheck *chk)
{
	SnapObj    *t = my_snapshot_find(live, OBJ_TABLE, chk->table);
	bool		ok = t != NULL;

	if (ok && chk->columns.n > 0)
	{
		char	   *img = NULL;
		TableDef   *td;

		if (my_catalog_image(st, OBJ_TABLE, chk->table, &img) != DRV_OK || img == NULL)
			return false;
		td = my_tabledef_parse(img);
		for (int i = 0; i < chk->columns.n && ok; i++)
			ok = my_tabledef_col(td, chk->columns.items[i]) >= 0;
		my_tabledef_free(td);
		free(img);
	}
	if (ok && chk->ref_table)
		ok = my_snapshot_find(live, OBJ_TABLE, chk->ref_table) != NULL;
	return ok;
}

/* ------------------------------------------------------------------------
 * Executing one revert statement
 * ------------------------------------------------------------------------
 */
static int
restore_session(MyState *st)
{
	char	   *mode = my_literal(st, st->saved_sql_mode ? st->saved_sql_mode : "");
	int			rc = my_execf(st, "SET SESSION sql_mode = %s", mode);

	free(mode);
	if (rc == DRV_OK)
		rc = my_exec(st, "SET NAMES utf8mb4", NULL);
	return rc;
}

/*
 * Run sql (a planned revert step, or a hand-written down statement) with
 * the intent protocol; record a revert unit with what it changed.  phase
 * "revert": idx is the applied statement being undone; phase "down": idx is
 * the down statement, and the revert state advances in the same
 * transaction.
 */
static int
exec_step(DownCtx *c, const char *phase, const char *version, int idx, const char *sql,
		  const char *pre, bool relax, const UnitObjects *objs, char **errmsg)
{
	MyState    *st = c->st;
	int			rc,
				erc;
	UnitImage  *imgs = NULL;
	int			nimgs = 0;
	StmtInfo	si;
	bool		data = strcmp(phase, "down") == 0 && my_stmt_classify(sql) == STMT_DATA;

	*errmsg = NULL;
	st->stmts_executed++;
	c->nstmts++;
	if (data)
	{
		my_test_hook(st, KILL_BEFORE);
		if ((rc = my_begin(st)) != DRV_OK)
			return rc;
		erc = my_exec(st, sql, errmsg);
		if (erc != DRV_OK)
		{
			my_rollback(st);
			return erc;
		}
		my_test_hook(st, KILL_WINDOW);
		rc = my_hist_record_unit(st, UNIT_REVERT, version, idx, sql, NULL, 0, NULL, NULL);
		if (rc == DRV_OK)
			rc = my_hist_write_revert(st, version, -1, idx + 1);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
		if (rc == DRV_OK)
			my_test_hook(st, KILL_AFTER);
		return rc;
	}

	if ((rc = my_hist_write_intent(st, phase, version, idx, sql)) != DRV_OK)
		return rc;
	my_test_hook(st, KILL_BEFORE);
	if (pre && (rc = run_script(st, pre, NULL)) != DRV_OK)
		return rc;
	if (relax && (rc = my_exec(st, "SET SESSION sql_mode = REPLACE(REPLACE(@@SESSION.sql_mode, "
							   "'STRICT_TRANS_TABLES', ''), 'STRICT_ALL_TABLES', '')", NULL)) != DRV_OK)
		return rc;
	erc = my_exec(st, sql, errmsg);
	if (erc == DRV_CONN_LOST)
		return erc;
	if ((pre || relax) && (rc = restore_session(st)) != DRV_OK)
		return rc;
	my_test_hook(st, KILL_WINDOW);

	my_stmt_analyze(sql, st->db, &si);
	if (objs)
	{
		/* a planned step: the unit's objects, under both names */
		ObjKind    *kinds = xcalloc(1, (2 * objs->n + 1) * sizeof(ObjKind));
		char	  **names = xcalloc(1, (2 * objs->n + 1) * sizeof(char *));
		int			nn = 0;

		for (int i = 0; i < objs->n; i++)
		{
			kinds[nn] = objs->objs[i].kind;
			names[nn++] = objs->objs[i].name;
			kinds[nn] = objs->objs[i].kind;
			names[nn++] = objs->objs[i].live_name;
		}
		rc = my_hist_capture_objects(st, kinds, names, nn, &imgs, &nimgs);
		free(kinds);
		free(names);
	}
	else
		rc = my_hist_capture_changes(st, my_stmt_tables_only(&si), &imgs, &nimgs);
	if (rc != DRV_OK)
	{
		my_stmt_info_free(&si);
		return rc;
	}
	rc = my_begin(st);
	if (rc == DRV_OK && (erc == DRV_OK || nimgs > 0))
		rc = my_hist_record_unit(st, UNIT_REVERT, version, idx, sql, imgs, nimgs, &si, NULL);
	if (rc == DRV_OK && erc == DRV_OK && strcmp(phase, "down") == 0)
		rc = my_hist_write_revert(st, version, -1, idx + 1);
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

/* ------------------------------------------------------------------------
 * Revision bookkeeping
 * ------------------------------------------------------------------------
 */

/*
 * Record rev (read by the caller) with its first applied statements done:
 * the running hashes of that prefix come from the recorded file.
 */
static int
write_applied(MyState *st, Revision *rev, int applied)
{
	MyList		stmts,
				hashes;
	int			rc = my_hist_file_statements(st, rev->version, "up", &stmts, &hashes);

	if (rc != DRV_OK)
		return rc;
	for (int i = 0; i < rev->npartial; i++)
		free(rev->partial_hashes[i]);
	free(rev->partial_hashes);
	rev->partial_hashes = xcalloc(1, (applied + 1) * sizeof(char *));
	rev->npartial = 0;
	for (int i = 0; i < applied && i < hashes.n; i++)
		rev->partial_hashes[rev->npartial++] = xstrdup(hashes.items[i]);
	rev->applied = applied;
	rc = my_hist_write_revision(st, rev);
	ml_free(&stmts);
	ml_free(&hashes);
	return rc;
}

/*
 * After the unit u of version was undone: mark it, and make the revision
 * row say how many statements remain applied (the row goes with the last).
 */
static int
complete_unit(DownCtx *c, const char *version, const UnitRef *u, int remaining_units)
{
	MyState    *st = c->st;
	Revision	rev;
	bool		found;
	int			rc;

	rc = my_hist_get_revision(st, version, &rev, &found);
	if (rc != DRV_OK)
		return rc;
	rc = my_begin(st);
	if (rc == DRV_OK)
		rc = my_hist_mark_reverted(st, u->id);
	if (rc == DRV_OK && found)
	{
		if (remaining_units == 0)
			rc = my_hist_delete_revision(st, version);
		else
		{
			int			applied = rev.applied;

			if (strcmp(u->kind, UNIT_APPLY) == 0 && u->stmt_idx < applied)
				applied = u->stmt_idx;
			rc = write_applied(st, &rev, applied);
		}
	}
	if (rc == DRV_OK)
		rc = my_hist_clear_revert(st);
	if (rc == DRV_OK)
		rc = my_commit(st);
	else
		my_rollback(st);
	if (found)
		my_revision_clear(&rev);
	return rc;
}

/* ------------------------------------------------------------------------
 * Drift
 * ------------------------------------------------------------------------
 */

/*
 * Before undoing u, every object it changed must look as u left it (or be
 * on its way back, when this very unit's revert was interrupted).
 */
static int
check_drift(DownCtx *c, const char *version, const UnitRef *u, UnitObjects *uo,
			const RevertState *rs)
{
	MyState    *st = c->st;

	for (int i = 0; i < uo->n; i++)
	{
		PlanObject *o = &uo->objs[i];
		UnitRef    *later;
		int			nlater;
		StrBuf		who;
		int			rc;

		if (my_image_equal(o->kind, o->live, uo->after[i]))
			continue;
		if (rs->present && rs->unit == u->id)
			continue;			/* this unit's revert was interrupted */
		if (c->req->accept_drift)
		{
			char	   *note = xasprintf("%s \"%s\" changed since version %s was applied; "
										 "--accept-drift: it is brought back anyway",
										 my_obj_kind_name(o->kind), o->live_name, version);

			report_note(c->r, note);
			free(note);
			continue;
		}
		rc = my_hist_units_after(st, u->id, o->kind, o->live_name, &later, &nlater);
		if (rc != DRV_OK)
			return rc;
		sb_init(&who);
		for (int j = 0; j < nlater; j++)
		{
			if (strcmp(later[j].kind, UNIT_DRIFT) == 0)
				sb_printf(&who, "%sa change made outside migrate", who.len ? ", " : "");
			else if (later[j].version && strcmp(later[j].version, version) != 0 &&
					 strcmp(later[j].kind, UNIT_APPLY) == 0)
				sb_printf(&who, "%sversion %s", who.len ? ", " : "", later[j].version);
		}
		my_unitrefs_free(later, nlater);
		log_error("%s \"%s\" changed after statement %d of version %s was applied",
				  my_obj_kind_name(o->kind), o->live_name, u->stmt_idx + 1, version);
		if (who.len)
			log_error_detail("Its live definition differs from the one recorded then; it was changed by %s.",
							 who.data);
		else
			log_error_detail("Its live definition differs from the one recorded then.");
		log_error_hint("Revert the later change first, or run again with --accept-drift to bring it back "
					   "to its state before version %s anyway.", version);
		sb_free(&who);
		return DRV_ERROR;
	}
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Reverting one version by computation
 * ------------------------------------------------------------------------
 */
static void
report_plan_notes(DownCtx *c, const char *version, const UnitRef *u, const UnitObjects *uo)
{
	if (uo->n == 0 && u->stmt)
	{
		char	   *note = xasprintf("statement %d of version %s changed no schema object; "
									 "data it changed is not restored", u->stmt_idx + 1, version);

		report_note(c->r, note);
		free(note);
	}
}

static int
plan_unit(DownCtx *c, const UnitRef *u, Model *m, UnitObjects *uo, Plan *p)
{
	int			rc = load_unit_objects(c->st, u, m, uo);

	if (rc != DRV_OK)
		return rc;
	my_plan_compute(c->st, uo->objs, uo->n, &c->allow, p);
	return DRV_OK;
}

static int
refuse_plan(const char *version, const UnitRef *u, const Plan *p)
{
	log_error("cannot revert statement %d of version %s", u->stmt_idx + 1, version);
	log_error_detail("The %s.", p->refusal);
	log_error_hint("Revert this statement by hand, then run \"migrate set\" to record the version you reached.");
	return DRV_ERROR;
}

/* Dry run, and the checks group: plan every unit ahead on a model. */
static int
plan_version_ahead(DownCtx *c, const char *version, UnitRef *units, int nunits, Model *m,
				   const RevertState *rs, Plan *all)
{
	int			rc = DRV_OK;

	memset(all, 0, sizeof(*all));
	for (int i = 0; i < nunits && rc == DRV_OK; i++)
	{
		UnitObjects uo;
		Plan		p;

		if ((rc = plan_unit(c, &units[i], m, &uo, &p)) != DRV_OK)
			break;
		if (i == 0 || c->dry)
			rc = check_drift(c, version, &units[i], &uo, rs);
		if (rc == DRV_OK && p.refusal)
			rc = refuse_plan(version, &units[i], &p);
		if (rc == DRV_OK)
		{
			/* append the steps; the model moves to the unit's targets */
			all->steps = xrealloc(all->steps, (all->n + p.n + 1) * sizeof(PlanStep));
			if (p.n > 0)
				memcpy(&all->steps[all->n], p.steps, p.n * sizeof(PlanStep));
			all->n += p.n;
			free(p.steps);
			p.steps = NULL;
			p.n = 0;
			for (int j = 0; j < uo.n; j++)
			{
				if (strcmp(uo.objs[j].live_name, uo.objs[j].name) != 0)
					model_set(m, uo.objs[j].kind, uo.objs[j].live_name, NULL);
				model_set(m, uo.objs[j].kind, uo.objs[j].name, uo.objs[j].target);
			}
		}
		my_plan_free(&p);
		unit_objects_free(&uo);
	}
	return rc;
}

static int
run_checks_ahead(DownCtx *c, const char *version, const Plan *all, bool *deferred)
{
	Snapshot	live = {0};
	int			rc;
	bool		any = false;
	int64_t		t0 = now_ns();

	*deferred = false;
	if (c->st->synced)
		my_snapshot_copy(&live, &c->st->known); /* kept up to date by every
												 * capture */
	else if ((rc = my_catalog_fingerprints(c->st, true, &live)) != DRV_OK)
		return rc;
	for (int i = 0; i < all->n && rc == DRV_OK; i++)
		for (int j = 0; j < all->steps[i].nchecks && rc == DRV_OK; j++)
		{
			const PlanCheck *chk = &all->steps[i].checks[j];

			if (!check_runnable(c->st, &live, chk))
			{
				*deferred = true;
				continue;
			}
			if (!any)
			{
				char	   *title = xasprintf("checks before reverting version %s", version);

				report_group(c->r, title);
				free(title);
				any = true;
			}
			rc = run_check(c, chk, version);
		}
	my_snapshot_free(&live);
	if (rc == DRV_OK && any)
		report_group_ok(c->r, now_ns() - t0);
	return rc;
}

/* every object of the unit equals its recorded state before the unit */
static int
verify_unit(const char *version, const UnitRef *u, const UnitObjects *uo)
{
	int			rc = DRV_OK;

	for (int i = 0; rc == DRV_OK && i < uo->n; i++)
	{
		PlanObject *o = &uo->objs[i];

		if (!my_image_equal(o->kind, o->live, o->target) || strcmp(o->live_name, o->name) != 0)
		{
			log_error("the revert of statement %d of version %s did not restore %s \"%s\"",
					  u->stmt_idx + 1, version, my_obj_kind_name(o->kind), o->name);
			log_error_detail("Recorded: %s\nLive: %s", o->target ? o->target : "(absent)",
							 o->live ? o->live : "(absent)");
			log_error_hint("The revision row still counts this statement as applied; restore the "
						   "object by hand and run the command again.");
			rc = DRV_ERROR;
		}
	}
	return rc;
}

/* Undo unit u on the live schema, one planned statement at a time. */
static int
undo_unit(DownCtx *c, const char *version, const UnitRef *u, int remaining, const RevertState *rs)
{
	MyState    *st = c->st;
	char	   *last = NULL;
	int			rc = DRV_OK;
	bool		started = rs->present && rs->unit == u->id;

	for (int iter = 0; iter < MAX_STEPS_PER_UNIT; iter++)
	{
		Model		m = {0};
		UnitObjects uo;
		Plan		p;
		PlanStep   *s;
		char	   *err = NULL;

		if ((rc = plan_unit(c, u, &m, &uo, &p)) != DRV_OK)
		{
			model_free(&m);
			break;
		}
		if (iter == 0 && rc == DRV_OK)
		{
			rc = check_drift(c, version, u, &uo, rs);
			report_plan_notes(c, version, u, &uo);
		}
		if (rc == DRV_OK && p.refusal)
			rc = refuse_plan(version, u, &p);
		if (rc == DRV_OK && p.n == 0)
			rc = verify_unit(version, u, &uo);
		if (rc != DRV_OK || p.n == 0)
		{
			my_plan_free(&p);
			unit_objects_free(&uo);
			model_free(&m);
			break;
		}
		s = &p.steps[0];
		if (last && strcmp(last, s->sql) == 0)
		{
			log_error("the revert of statement %d of version %s makes no progress", u->stmt_idx + 1, version);
			log_error_detail("The statement \"%s\" ran without bringing the schema closer to its recorded state.",
							 s->sql);
			rc = DRV_ERROR;
		}
		for (int j = 0; rc == DRV_OK && j < s->nchecks; j++)
			rc = run_check(c, &s->checks[j], version);
		if (rc == DRV_OK && !started)
		{
			rc = my_hist_write_revert(st, version, u->id, 0);
			started = true;
		}
		if (rc == DRV_OK)
			rc = my_check_alive(c->d);
		if (rc == DRV_OK)
		{
			report_stmt(c->r, s->sql);
			rc = exec_step(c, "revert", version, u->stmt_idx, s->sql, s->pre, s->relax_strict, &uo, &err);
			if (rc == DRV_CONN_LOST)
			{
				log_error("lost the connection to the server while reverting version %s", version);
				log_error_detail("Every completed step is recorded; the interrupted one is checked when the command runs again.");
				log_error_hint("Run the same command again to continue.");
			}
			else if (rc != DRV_OK && err)
			{
				report_group_error(c->r, s->sql, err);
				log_error("reverting statement %d of version %s failed: %s", u->stmt_idx + 1, version, err);
				log_error_detail("The revision row still counts this statement as applied; the steps "
								 "done so far are recorded.");
				log_error_hint("Fix the cause and run the same command again to continue.");
			}
		}
		free(err);
		free(last);
		last = xstrdup(s->sql);
		my_plan_free(&p);
		unit_objects_free(&uo);
		model_free(&m);
		if (rc != DRV_OK)
			break;
	}
	free(last);
	if (rc == DRV_OK)
		rc = complete_unit(c, version, u, remaining);
	return rc;
}

/* ------------------------------------------------------------------------
 * Hand-written down
 * ------------------------------------------------------------------------
 */

/* every object the units of the version changed, with its state before
 * the version (the earliest unit's before-image) */
static int
version_targets(MyState *st, UnitRef *units, int nunits, Snapshot *targets, MyList *absent)
{
	int			rc = DRV_OK;

	memset(targets, 0, sizeof(*targets));
	memset(absent, 0, sizeof(*absent));
	/* oldest first, so that the first seen is the earliest unit */
	for (int i = nunits - 1; i >= 0 && rc == DRV_OK; i--)
	{
		UnitImage  *imgs;
		int			n;

		if ((rc = my_hist_unit_images(st, units[i].id, &imgs, &n)) != DRV_OK)
			break;
		for (int j = 0; j < n && rc == DRV_OK; j++)
		{
			char	   *key = model_key(imgs[j].kind, imgs[j].name);
			char	   *before = NULL;

			if (my_snapshot_find(targets, imgs[j].kind, imgs[j].name) == NULL && !ml_contains(absent, key))
			{
				rc = my_hist_image_before(st, units[i].id, imgs[j].kind, imgs[j].name, &before);
				if (before)
					my_snapshot_put(targets, imgs[j].kind, imgs[j].name, "", before);
				else
					ml_add(absent, key);
				free(before);
			}
			free(key);
		}
		my_unit_images_free(imgs, n);
	}
	return rc;
}

/* how many applied statements are still in effect, judged by introspection */
static int
applied_in_effect(DownCtx *c, UnitRef *units, int nunits, int applied, int *out)
{
	int			rc = DRV_OK;

	*out = applied;
	for (int i = 0; i < nunits; i++)
	{
		Model		m = {0};
		UnitObjects uo;
		bool		undone = true;

		if ((rc = load_unit_objects(c->st, &units[i], &m, &uo)) != DRV_OK)
		{
			model_free(&m);
			break;
		}
		for (int j = 0; j < uo.n && undone; j++)
			if (!my_image_equal(uo.objs[j].kind, uo.objs[j].live, uo.objs[j].target) ||
				strcmp(uo.objs[j].live_name, uo.objs[j].name) != 0)
				undone = false;
		unit_objects_free(&uo);
		model_free(&m);
		if (!undone)
			break;
		if (strcmp(units[i].kind, UNIT_APPLY) == 0 && units[i].stmt_idx < *out)
			*out = units[i].stmt_idx;
	}
	return rc;
}

static int
set_applied(MyState *st, const char *version, int applied)
{
	Revision	rev;
	bool		found;
	int			rc = my_hist_get_revision(st, version, &rev, &found);

	if (rc != DRV_OK || !found || rev.applied == applied)
	{
		if (found)
			my_revision_clear(&rev);
		return rc;
	}
	rc = write_applied(st, &rev, applied);
	my_revision_clear(&rev);
	return rc;
}

static int
revert_with_down(DownCtx *c, const Revision *row, UnitRef *units, int nunits,
				 const RevertState *rs)
{
	MyState    *st = c->st;
	const char *version = row->version;
	MyList		downs,
				hashes;
	Snapshot	targets;
	MyList		absent;
	int			rc,
				start = 0;
	int64_t		t0 = now_ns();
	char	   *title;

	if ((rc = my_hist_file_statements(st, version, "down", &downs, &hashes)) != DRV_OK)
		return rc;
	if (rs->present && strcmp(rs->version, version) == 0 && rs->unit < 0)
		start = rs->down_done;

	/* the checks of the computed plan guard the hand-written one too */
	if (start == 0)
	{
		Model		m = {true};
		Plan		all;
		bool		deferred;

		rc = plan_version_ahead(c, version, units, nunits, &m, rs, &all);
		if (rc == DRV_OK)
			rc = run_checks_ahead(c, version, &all, &deferred);
		my_plan_free(&all);
		model_free(&m);
	}
	title = xasprintf("reverting version %s (hand-written down)", version);
	if (rc == DRV_OK)
		report_group(c->r, title);
	free(title);
	if (rc == DRV_OK && start > 0)
	{
		char	   *note = xasprintf("%d of %d down statements ran before; continuing", start, downs.n);

		report_note(c->r, note);
		free(note);
	}
	if (c->dry)
	{
		for (int i = start; rc == DRV_OK && i < downs.n; i++)
			report_stmt(c->r, downs.items[i]);
		if (rc == DRV_OK)
			report_group_ok(c->r, 0);
		ml_free(&downs);
		ml_free(&hashes);
		return rc;
	}
	if (rc == DRV_OK && start == 0)
		rc = my_hist_write_revert(st, version, -1, 0);
	for (int i = start; rc == DRV_OK && i < downs.n; i++)
	{
		char	   *err = NULL;
		int			applied;

		if ((rc = my_check_alive(c->d)) != DRV_OK)
			break;
		report_stmt(c->r, downs.items[i]);
		rc = exec_step(c, "down", version, i, downs.items[i], NULL, false, NULL, &err);
		if (rc != DRV_OK)
		{
			if (err && rc != DRV_CONN_LOST)
			{
				report_group_error(c->r, downs.items[i], err);
				log_error("down statement %d of version %s failed: %s", i + 1, version, err);
				log_error_detail("The %d down statement%s before it ran and are recorded.", i, i == 1 ? "" : "s");
				log_error_hint("Fix the cause and run the same command again to continue from this statement.");
			}
			else if (rc == DRV_CONN_LOST)
				log_error_hint("Run the same command again to continue.");
			free(err);
			break;
		}
		rc = applied_in_effect(c, units, nunits, row->applied, &applied);
		if (rc == DRV_OK)
			rc = set_applied(st, version, applied);
	}
	/* verification: every object is back to its state before the version */
	if (rc == DRV_OK)
		rc = version_targets(st, units, nunits, &targets, &absent);
	if (rc == DRV_OK)
	{
		for (int i = 0; i < targets.n && rc == DRV_OK; i++)
		{
			char	   *img;

			if ((rc = my_catalog_image(st, targets.items[i].kind, targets.items[i].name, &img)) != DRV_OK)
				break;
			if (!my_image_equal(targets.items[i].kind, img, targets.items[i].image))
			{
				log_error("the hand-written down of version %s did not restore %s \"%s\"", version,
						  my_obj_kind_name(targets.items[i].kind), targets.items[i].name);
				log_error_detail("Recorded before version %s: %s\nLive: %s", version,
								 targets.items[i].image, img ? img : "(absent)");
				log_error_hint("Fix the object by hand, then run the same command again to finish.");
				rc = DRV_ERROR;
			}
			free(img);
		}
		for (int i = 0; i < absent.n && rc == DRV_OK; i++)
		{
			char	   *colon = strchr(absent.items[i], ':');
			int			k;
			char	   *img;

			*colon = '\0';
			k = my_obj_kind_from_name(absent.items[i]);
			*colon = ':';
			if ((rc = my_catalog_image(st, (ObjKind) k, colon + 1, &img)) != DRV_OK)
				break;
			if (img)
			{
				log_error("the hand-written down of version %s left %s \"%s\" in place", version,
						  my_obj_kind_name((ObjKind) k), colon + 1);
				log_error_detail("It did not exist before version %s.", version);
				log_error_hint("Fix the object by hand, then run the same command again to finish.");
				rc = DRV_ERROR;
			}
			free(img);
		}
		my_snapshot_free(&targets);
		ml_free(&absent);
	}
	if (rc == DRV_OK)
	{
		rc = my_begin(st);
		for (int i = 0; i < nunits && rc == DRV_OK; i++)
			rc = my_hist_mark_reverted(st, units[i].id);
		if (rc == DRV_OK)
			rc = my_hist_delete_revision(st, version);
		if (rc == DRV_OK)
			rc = my_hist_clear_revert(st);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
	}
	if (rc == DRV_OK)
		report_group_ok(c->r, now_ns() - t0);
	ml_free(&downs);
	ml_free(&hashes);
	return rc;
}

/* ------------------------------------------------------------------------
 * One version
 * ------------------------------------------------------------------------
 */

/*
 * The planned steps are imaged object by object; at the end of the run,
 * anything else they changed (a child table whose foreign key follows a
 * renamed parent, triggers of a dropped table) is recorded as one more
 * revert unit, of the last version reverted.  Should the run die before,
 * the next run records it as drift, which changes nothing for later
 * reverts: they compare live definitions, not units.
 */
static int
capture_rest(DownCtx *c, const char *version)
{
	MyState    *st = c->st;
	UnitImage  *imgs;
	int			n,
				rc;

	if ((rc = my_hist_capture_changes(st, false, &imgs, &n)) != DRV_OK)
		return rc;
	if (n > 0)
	{
		rc = my_begin(st);
		if (rc == DRV_OK)
			rc = my_hist_record_unit(st, UNIT_REVERT, version, -1, NULL, imgs, n, NULL, NULL);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
	}
	my_unit_images_free(imgs, n);
	return rc;
}
static int
revert_version(DownCtx *c, const Revision *row, Model *dry_model)
{
	MyState    *st = c->st;
	UnitRef    *units;
	int			nunits,
				rc;
	bool		has_down;
	RevertState rs;
	int64_t		t0 = now_ns();

	if ((rc = my_hist_version_units(st, row->version, &units, &nunits)) != DRV_OK)
		return rc;
	if ((rc = my_hist_read_revert(st, &rs)) != DRV_OK)
	{
		my_unitrefs_free(units, nunits);
		return rc;
	}
	/* every applied statement must have its history */
	if ((row->type & REV_SET) && !(row->type & REV_APPLIED))
	{
		log_error("cannot revert version %s: it was marked as applied by \"migrate set\"", row->version);
		log_error_detail("What the version changed was never recorded, so no revert can be computed for it.");
		log_error_hint("Revert it by hand, then run \"migrate set\" with the version you reached.");
		my_unitrefs_free(units, nunits);
		my_revert_state_clear(&rs);
		return DRV_ERROR;
	}
	for (int k = 0; k < row->applied; k++)
	{
		bool		have = false;

		for (int i = 0; i < nunits; i++)
			if (strcmp(units[i].kind, UNIT_APPLY) == 0 && units[i].stmt_idx == k)
				have = true;
		if (!have)
		{
			log_error("cannot revert version %s: statement %d has no recorded history", row->version, k + 1);
			if (row->type & REV_SET)
				log_error_detail("The version was marked as applied by \"migrate set\"; what it changed was never recorded.");
			else
				log_error_detail("It was applied without this driver recording what it changed.");
			log_error_hint("Revert it by hand, then run \"migrate set\" with the version you reached.");
			my_unitrefs_free(units, nunits);
			my_revert_state_clear(&rs);
			return DRV_ERROR;
		}
	}
	ml_free(&c->ran);
	if ((rc = my_hist_has_down(st, row->version, &has_down)) == DRV_OK && has_down)
	{
		rc = revert_with_down(c, row, units, nunits, &rs);
		my_unitrefs_free(units, nunits);
		my_revert_state_clear(&rs);
		return rc;
	}

	{
		Model		local = {true};
		Model	   *m = c->dry ? dry_model : &local;
		Plan		all;
		bool		deferred = false;
		char	   *title;

		rc = plan_version_ahead(c, row->version, units, nunits, m, &rs, &all);
		if (rc == DRV_OK)
			rc = run_checks_ahead(c, row->version, &all, &deferred);
		title = xasprintf("reverting version %s", row->version);
		if (rc == DRV_OK)
			report_group(c->r, title);
		free(title);
		if (rc == DRV_OK && c->dry)
		{
			for (int i = 0; i < all.n; i++)
				report_stmt(c->r, all.steps[i].sql);
			if (deferred)
				report_note(c->r, "some checks read objects that earlier steps re-create; they run right before their step");
			report_group_ok(c->r, 0);
		}
		my_plan_free(&all);
		model_free(&local);
	}
	if (rc == DRV_OK && !c->dry)
	{
		for (int i = 0; i < nunits && rc == DRV_OK; i++)
			rc = undo_unit(c, row->version, &units[i], nunits - i - 1, &rs);
		if (rc == DRV_OK && nunits == 0)
		{
			/* nothing took effect (the first statement failed): the row goes */
			rc = my_hist_delete_revision(st, row->version);
		}

		if (rc == DRV_OK)
			report_group_ok(c->r, now_ns() - t0);
	}
	my_unitrefs_free(units, nunits);
	my_revert_state_clear(&rs);
	return rc;
}

/* ------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------
 */

int
my_down(Driver *d, const DownRequest *req, Reporter *r)
{
	MyState    *st = MYSTATE(d);
	RevisionList revs;
	DownCtx		c;
	int			rc,
				first,
				n;
	char	   *to_version = NULL;
	const char *current,
			   *target = NULL;
	Model		dry_model = {true};

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.st = st;
	c.req = req;
	c.r = r;
	c.dry = req->dry_run || (d->opts && d->opts->dry_run);
	for (int i = 0; i < req->nallow_loss; i++)
		ml_add(&c.allow, req->allow_loss[i]);

	if (req->plan_hash)
	{
		log_error("--plan-hash is not supported on MySQL");
		log_error_detail("MySQL reverts are planned again after every statement, so no plan exists to pin in advance.");
		log_error_hint("Review the plan with --dry-run, then run the revert without --plan-hash.");
		ml_free(&c.allow);
		return DRV_ERROR;
	}
	if (!c.dry && (rc = my_hist_sync(d, r)) != DRV_OK)
		return rc;
	if ((rc = my_execf(st, "USE %s", st->qdb)) != DRV_OK)
		return rc;
	if ((rc = my_hist_read_revisions(st, &revs)) != DRV_OK)
		return rc;

	if (req->to_tag)
	{
		if ((rc = my_hist_tag_version(st, req->to_tag, &to_version)) != DRV_OK)
			goto out;
		if (to_version == NULL)
		{
			log_error("tag \"%s\" does not exist", req->to_tag);
			log_error_hint("Tags are recorded with \"migrate tag NAME\" on database \"%s\".", st->db);
			rc = DRV_ERROR;
			goto out;
		}
	}
	else if (req->to_version)
		to_version = xstrdup(req->to_version);

	/* the rows to revert: revs[first .. revs.n) */
	if (to_version)
	{
		first = revs.n;
		while (first > 0 && strcmp(revs.items[first - 1].version, to_version) > 0)
			first--;
	}
	else
	{
		int			steps = req->steps > 0 ? req->steps : 1;

		first = revs.n - steps < 0 ? 0 : revs.n - steps;
	}
	n = revs.n - first;
	current = revs.n > 0 ? revs.items[revs.n - 1].version : NULL;
	for (int i = first - 1; i >= 0; i--)
		if (revision_complete(&revs.items[i]) || revs.items[i].applied > 0)
		{
			target = revs.items[i].version;
			break;
		}
	for (int i = first; i < revs.n; i++)
		if ((revs.items[i].type & REV_BASELINE) && !(revs.items[i].type & REV_APPLIED))
		{
			log_error("cannot revert version %s: it is the baseline", revs.items[i].version);
			log_error_detail("The state of the database before the baseline was never recorded.");
			log_error_hint("Choose a target at or above version %s.", revs.items[i].version);
			rc = DRV_ERROR;
			goto out;
		}

	if (n == 0)
	{
		rc = DRV_OK;			/* the core says "Nothing to revert" */
		goto out;
	}
	report_down_header(r, current, target, n);
	if ((rc = my_exec(st, "SET SESSION foreign_key_checks = 0", NULL)) != DRV_OK)
		goto out;
	for (int i = revs.n - 1; i >= first && rc == DRV_OK; i--)
	{
		rc = revert_version(&c, &revs.items[i], &dry_model);
		if (!c.dry && (rc == DRV_OK || rc == DRV_ERROR))
		{
			/*
			 * record what the planned steps changed besides their objects
			 * (after the last version reverted, or the one that stopped)
			 */
			if (rc != DRV_OK || i == first)
			{
				int			rc2 = capture_rest(&c, revs.items[i].version);

				if (rc == DRV_OK)
					rc = rc2;
			}
		}
	}
	if (rc != DRV_CONN_LOST)
	{
		int			rc2 = my_exec(st, "SET SESSION foreign_key_checks = 1", NULL);

		if (rc == DRV_OK)
			rc = rc2;
	}

out:
	for (int i = 0; i < revs.n; i++)
		my_revision_clear(&revs.items[i]);
	free(revs.items);
	free(to_version);
	ml_free(&c.allow);
	ml_free(&c.ran);
	model_free(&dry_model);
	return rc;
}
