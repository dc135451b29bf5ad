/*-------------------------------------------------------------------------
 *
 * driver_sqlite_revert.c
 *	  "migrate down" on SQLite: plan a revert from the live catalog and the
 *	  recorded history, check it against data loss, run it in one
 *	  transaction and verify the result.
 *
 * Which versions: the last N revisions (default 1), or every revision
 * above --to-version / the version of a recorded --to-tag.  Their apply
 * units (driver_sqlite_history.c) say which objects they touched and what
 * each looked like before; the target of every touched object is its
 * state before the first reverted unit that touched it.  Nothing else is
 * ever changed.
 *
 * Segments: versions are reverted newest first.  Consecutive versions
 * without a hand-written down section form one segment whose plan is
 * computed; a completely applied version whose file carried a down section
 * is a segment of its own that runs those statements instead.  Every
 * segment has the same checks (from the difference between the live state
 * and the target) and the same verification.
 *
 * Order: table renames first, while the schema is valid (SQLite rewrites
 * the views, triggers and foreign keys naming them); then triggers, views
 * and indexes that go or change (and views depending on a dropped view,
 * re-created afterwards); tables dropped; tables altered or rebuilt;
 * tables re-created; indexes, views and triggers as recorded.
 *
 * Rehearsal: the whole plan is first run on a scratch database holding the
 * live schema without data (driver_sqlite_schema.c).  Table changes try
 * ALTER TABLE RENAME/DROP/ADD COLUMN there and keep them only when the
 * resulting definition is exactly the target one; otherwise the table is
 * rebuilt: renamed away (with legacy_alter_table on, so that views,
 * triggers and foreign keys elsewhere keep naming it), re-created from its
 * recorded text, refilled with the surviving columns, and the old copy
 * dropped; indexes and triggers on it come back from their texts.  The
 * rehearsal also proves that every view and trigger still compiles and
 * that each touched object ends exactly as recorded.  Plans are thus
 * deterministic: the same state always gives the same statements.
 *
 * Execution: PRAGMA foreign_keys is switched off outside the transaction
 * (it cannot change inside one) and restored afterwards; BEGIN IMMEDIATE;
 * per segment the checks, then the statements; after each segment the
 * catalog is compared with the rehearsed one; PRAGMA foreign_key_check must
 * not report more violations than before; the revision rows go and a unit
 * records the plan; COMMIT.  Any failure rolls everything back.  --dry-run
 * runs the checks and rolls back (when a later segment's checks depend on
 * an earlier segment, that segment runs inside the rolled back
 * transaction).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_sqlite_revert.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "driver_sqlite.h"

typedef enum RvCheckKind
{
	CK_EMPTY,					/* table dropped: must be empty */
	CK_NO_VALUES,				/* column dropped: no non-NULL value */
	CK_NOT_NULL,				/* column becomes NOT NULL: no NULL */
	CK_NOT_NULL_NEW,			/* column re-created NOT NULL without default */
	CK_UNIQUE,					/* key re-created: no duplicates */
	CK_CHECK,					/* CHECK re-created: no violation */
	CK_FK						/* foreign key re-created: no orphan */
} RvCheckKind;

typedef struct RvCheck
{
	RvCheckKind kind;
	char	   *sql;			/* one row, one integer: the blocking rows */
	char	   *what;			/* the object, quoted */
	char	   *loss_key;		/* name for --allow-loss; NULL: cannot be
								 * allowed */
} RvCheck;

typedef struct RvObj
{
	SqKind		kind;
	bool		has_target;
	SqObject	target;			/* the state to restore */
	bool		has_expect;
	SqObject	expect;			/* the state the history says it has now */
	char	  **ren_old;		/* column renames since the target, in order */
	char	  **ren_new;
	int			nren;
	const SqObject *live;		/* in the segment's starting catalog, or NULL */
} RvObj;

typedef struct RvSegment
{
	char	  **versions;		/* newest first */
	int			nversions;
	int64_t    *units;			/* ascending */
	int			nunits;
	bool		handwritten;
	char	  **down;			/* hand-written statements */
	int			ndown;
	RvObj	   *objs;
	int			nobjs;
	SqSchema	start;			/* catalog when the segment starts (rehearsed) */
	SqSchema	predicted;		/* catalog when it ends (rehearsed) */
	char	  **steps;
	int			nsteps;
	RvCheck    *checks;
	int			nchecks;
	char	  **notes;
	int			nnotes;
} RvSegment;

typedef struct RvCtx
{
	SqConn	   *c;
	const DownRequest *req;
	sqlite3    *S;				/* the rehearsal database */
	bool		valid_before;	/* views and triggers compiled before the
								 * revert */
	RvSegment  *segs;
	int			nsegs;
	const char *target_version; /* NULL: below every revision */
	char	  **pending_from;	/* table renames waiting for the drops */
	char	  **pending_to;
	int			npending;
	char	   *error;			/* planning failure, for the log */
	char	   *error_detail;
	char	   *error_hint;
} RvCtx;

/* ------------------------------------------------------------------------
 * Small list helpers
 * ------------------------------------------------------------------------
 */
static void
push_str(char ***arr, int *n, char *s)
{
	*arr = xrealloc(*arr, sizeof(char *) * (*n + 1));
	(*arr)[(*n)++] = s;
}

static void
free_strs(char **arr, int n)
{
	for (int i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

static void
seg_note(RvSegment *s, char *note)
{
	push_str(&s->notes, &s->nnotes, note);
}

static void
plan_fail(RvCtx *x, char *msg, char *detail, char *hint)
{
	if (x->error == NULL)
	{
		x->error = msg;
		x->error_detail = detail;
		x->error_hint = hint;
	}
	else
	{
		free(msg);
		free(detail);
		free(hint);
	}
}

/*
 * A quoted identifier for building one statement.  The result lives in a
 * small ring of buffers (reused after 16 calls), so that calls can be
 * nested in sq_asprintf arguments without freeing each one.
 */
static const char *
q(const char *name)
{
	static char *ring[16];
	static int	next;
	char	   *r;

	free(ring[next]);
	r = ring[next] = sq_ident(name);
	next = (next + 1) % 16;
	return r;
}

/* "name" or "table"."column" for messages and --allow-loss keys */
static char *
qual(const char *table, const char *column)
{
	return column ? xasprintf("\"%s\".\"%s\"", table, column) : xasprintf("\"%s\"", table);
}

/* ------------------------------------------------------------------------
 * Choosing the versions and building the segments
 * ------------------------------------------------------------------------
 */
static int
rev_cmp(const void *a, const void *b)
{
	return sq_version_cmp(((const Revision *) a)->version, ((const Revision *) b)->version);
}

static int
lookup_tag(SqConn *c, const char *tag, char **version)
{
	sqlite3_stmt *st;
	int			rc;

	*version = NULL;
	rc = sqlite3_prepare_v2(c->db, "SELECT version FROM " SQ_TAGS_TABLE " WHERE name = ?1",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the tags", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = xstrdup((const char *) sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return DRV_OK;
}

/* the live apply units of a version, ascending; *down: latest down section */
static int
version_units(SqConn *c, const char *version, int64_t **units, int *n, char **down,
			  int *data_stmts, char **data_kinds)
{
	sqlite3_stmt *st;
	int			rc;

	*units = NULL;
	*n = 0;
	*down = NULL;
	*data_stmts = 0;
	*data_kinds = NULL;
	rc = sqlite3_prepare_v2(c->db, "SELECT id, down, data_stmts, data_kinds FROM " SQ_UNITS_TABLE
							" WHERE kind = 'apply' AND version = ?1 AND reverted_by IS NULL"
							" ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the history", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	sqlite3_bind_text(st, 1, version, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		*units = xrealloc(*units, sizeof(int64_t) * (*n + 1));
		(*units)[(*n)++] = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		{
			free(*down);
			*down = xstrdup((const char *) sqlite3_column_text(st, 1));
		}
		*data_stmts += sqlite3_column_int(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		{
			free(*data_kinds);
			*data_kinds = xstrdup((const char *) sqlite3_column_text(st, 3));
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		sq_log_sqlite_error(c, "reading the history", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	return DRV_OK;
}

static int
parse_down(SqConn *c, const char *json, RvSegment *s)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(c->db, "SELECT value FROM json_each(?1) ORDER BY key", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return DRV_ERROR;
	sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		push_str(&s->down, &s->ndown, xstrdup((const char *) sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return DRV_OK;
}

static int
unit_cmp(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* group the versions to revert (newest first) into segments */
static int
build_segments(RvCtx *x, Revision *revs, int from, int to)
{
	RvSegment  *cur = NULL;

	for (int i = to - 1; i >= from; i--)
	{
		Revision   *rv = &revs[i];
		int64_t    *units;
		int			n;
		char	   *down;
		bool		own;
		int			ndata;
		char	   *kinds;

		if (version_units(x->c, rv->version, &units, &n, &down, &ndata, &kinds) != DRV_OK)
			return DRV_ERROR;
		own = down != NULL && n > 0 && rv->applied == rv->total;
		if (own || cur == NULL || cur->handwritten)
		{
			x->segs = xrealloc(x->segs, sizeof(RvSegment) * (x->nsegs + 1));
			cur = &x->segs[x->nsegs++];
			memset(cur, 0, sizeof(*cur));
			cur->handwritten = own;
			if (own && parse_down(x->c, down, cur) != DRV_OK)
			{
				free(units);
				free(down);
				return DRV_ERROR;
			}
		}
		push_str(&cur->versions, &cur->nversions, xstrdup(rv->version));
		if (down && !own && n > 0)
			seg_note(cur, xasprintf("version %s was only partly applied: its hand-written down "
									"statements are not used, the revert is computed",
									rv->version));
		if (rv->type & REV_SET && n == 0)
			seg_note(cur, xasprintf("version %s was marked applied by hand: nothing recorded "
									"to undo", rv->version));
		else if (n == 0)
			seg_note(cur, xasprintf("version %s changed nothing that was kept (it failed and "
									"was rolled back, or had no statements)", rv->version));
		if (ndata > 0 && !own)
			seg_note(cur, xasprintf("version %s ran %d statement%s that changed rows or settings "
									"(%s); the revert restores the schema, not those changes",
									rv->version, ndata, ndata == 1 ? "" : "s",
									kinds ? kinds : "data"));
		free(kinds);
		cur->units = xrealloc(cur->units, sizeof(int64_t) * (cur->nunits + n + 1));
		if (n > 0)
			memcpy(cur->units + cur->nunits, units, sizeof(int64_t) * n);
		cur->nunits += n;
		free(units);
		free(down);
		/* a hand-written segment holds one version only */
		if (own)
			cur = NULL;
	}
	for (int i = 0; i < x->nsegs; i++)
		if (x->segs[i].nunits > 1)
			qsort(x->segs[i].units, x->segs[i].nunits, sizeof(int64_t), unit_cmp);
	return DRV_OK;
}

/*
 * A version that is kept but was applied after one that is reverted, and
 * touched the same objects, would be undone too: refuse.
 */
static int
check_interleaving(RvCtx *x)
{
	int64_t		first = -1;
	StrBuf		in;
	sqlite3_stmt *st;
	int			rc;
	SqConn	   *c = x->c;

	sb_init(&in);
	for (int i = 0; i < x->nsegs; i++)
		for (int k = 0; k < x->segs[i].nunits; k++)
		{
			int64_t		u = x->segs[i].units[k];

			if (first < 0 || u < first)
				first = u;
			sb_printf(&in, "%s%lld", in.len ? ", " : "", (long long) u);
		}
	if (first < 0)
	{
		sb_free(&in);
		return DRV_OK;
	}
	{
		char	   *sql = xasprintf(
									"SELECT u.version, coalesce(a.after_name, a.before_name)"
									"  FROM " SQ_UNITS_TABLE " AS u JOIN " SQ_IMAGES_TABLE " AS a ON a.unit = u.id"
									" WHERE u.kind = 'apply' AND u.reverted_by IS NULL AND u.id > %lld"
									"   AND u.id NOT IN (%s)"
									"   AND EXISTS (SELECT 1 FROM " SQ_IMAGES_TABLE " AS b"
									"                WHERE b.unit IN (%s) AND"
									"                      (b.before_name = a.before_name COLLATE NOCASE OR"
									"                       b.after_name = a.after_name COLLATE NOCASE OR"
									"                       b.after_name = a.before_name COLLATE NOCASE OR"
									"                       b.before_name = a.after_name COLLATE NOCASE))"
									" ORDER BY u.id LIMIT 1",
									(long long) first, in.data, in.data);

		rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
		free(sql);
	}
	sb_free(&in);
	if (rc != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "reading the history", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
	{
		log_error("cannot revert: version %s, which stays applied, was applied after a reverted "
				  "version and changed \"%s\" too", sqlite3_column_text(st, 0),
				  sqlite3_column_text(st, 1));
		log_error_detail("The migrations were applied out of order (--exec-order non-linear).");
		log_error_hint("Revert version %s as well, or revert to a version below it.",
					   sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return DRV_ERROR;
	}
	sqlite3_finalize(st);
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Objects of a segment
 * ------------------------------------------------------------------------
 */
static RvObj *
obj_by_expect(RvSegment *s, SqKind kind, const char *name)
{
	for (int i = 0; i < s->nobjs; i++)
		if (s->objs[i].has_expect && sq_same_namespace(s->objs[i].kind, kind) &&
			sq_name_eq(s->objs[i].expect.name, name))
			return &s->objs[i];
	return NULL;
}

static const char *
obj_name(const RvObj *o)
{
	return o->has_target ? o->target.name : o->expect.name;
}

static int
obj_cmp(const void *a, const void *b)
{
	const RvObj *x = a,
			   *y = b;

	if (x->kind != y->kind)
		return (int) x->kind - (int) y->kind;
	return sqlite3_stricmp(obj_name(x), obj_name(y));
}

static void
obj_free(RvObj *o)
{
	sq_object_free(&o->target);
	sq_object_free(&o->expect);
	free_strs(o->ren_old, o->nren);
	free_strs(o->ren_new, o->nren);
}

/* follow the segment's units and collect every touched object */
static int
collect_objects(RvCtx *x, RvSegment *s)
{
	for (int u = 0; u < s->nunits; u++)
	{
		SqImage    *imgs;
		int			n;
		char	   *err = NULL;
		int		   *idx;

		if (sq_images_read(x->c->db, s->units[u], &imgs, &n, &err) != SQLITE_OK)
		{
			sq_log_sqlite_error(x->c, "reading the history", err);
			free(err);
			return DRV_ERROR;
		}
		/* look every image up first: renames within a unit may swap names */
		idx = xmalloc(sizeof(int) * (n ? n : 1));
		for (int i = 0; i < n; i++)
		{
			RvObj	   *o = imgs[i].has_before ?
			obj_by_expect(s, imgs[i].before.kind, imgs[i].before.name) : NULL;

			idx[i] = o ? (int) (o - s->objs) : -1;
		}
		for (int i = 0; i < n; i++)
		{
			SqImage    *img = &imgs[i];
			RvObj	   *o;

			if (idx[i] < 0)
			{
				s->objs = xrealloc(s->objs, sizeof(RvObj) * (s->nobjs + 1));
				o = &s->objs[s->nobjs++];
				memset(o, 0, sizeof(*o));
				o->kind = img->kind;
				o->has_target = img->has_before;
				if (img->has_before)
					sq_object_copy(&img->before, &o->target);
			}
			else
			{
				o = &s->objs[idx[i]];
				if (img->has_before && !sq_sql_equal(o->expect.sql, img->before.sql))
					seg_note(s, xasprintf("%s \"%s\" was changed outside the migrations between "
										  "two reverted versions", sq_kind_name(o->kind),
										  img->before.name));
				sq_object_free(&o->expect);
			}
			o->has_expect = img->has_after;
			if (img->has_after)
			{
				sq_object_copy(&img->after, &o->expect);
				o->kind = img->after.kind;
			}
			for (int k = 0; k < img->nren; k++)
			{
				o->ren_old = xrealloc(o->ren_old, sizeof(char *) * (o->nren + 1));
				o->ren_new = xrealloc(o->ren_new, sizeof(char *) * (o->nren + 1));
				o->ren_old[o->nren] = xstrdup(img->ren_old[k]);
				o->ren_new[o->nren++] = xstrdup(img->ren_new[k]);
			}
		}
		free(idx);
		sq_images_free(imgs, n);
	}
	/* objects created and dropped within the segment need nothing */
	for (int i = 0; i < s->nobjs; i++)
		if (!s->objs[i].has_target && !s->objs[i].has_expect)
		{
			obj_free(&s->objs[i]);
			s->objs[i--] = s->objs[--s->nobjs];
		}
	if (s->nobjs > 1)
		qsort(s->objs, s->nobjs, sizeof(RvObj), obj_cmp);
	return DRV_OK;
}

/* the current name of a target column (NULL when it is gone) */
static const char *
map_column(const RvObj *o, const char *target_col, const SqTable *live)
{
	const char *cur = target_col;

	for (int k = 0; k < o->nren; k++)
		if (sq_name_eq(cur, o->ren_old[k]))
			cur = o->ren_new[k];
	return live && sq_column_index(live, cur) >= 0 ? cur : NULL;
}

/*
 * Column mapping of a table: map[i] = index in live of target column i, or
 * -1.  A live column claimed twice goes to the target column that reached
 * it through renames.
 */
static int *
column_map(const RvObj *o, const SqTable *target, const SqTable *live)
{
	int		   *map = xmalloc(sizeof(int) * (target->ncols ? target->ncols : 1));

	for (int i = 0; i < target->ncols; i++)
	{
		const char *m = map_column(o, target->cols[i].name, live);

		map[i] = m ? sq_column_index(live, m) : -1;
	}
	for (int i = 0; i < target->ncols; i++)
		for (int j = 0; j < target->ncols; j++)
			if (i != j && map[i] >= 0 && map[i] == map[j])
			{
				bool		i_renamed = !sq_name_eq(target->cols[i].name, live->cols[map[i]].name);

				if (i_renamed)
					map[j] = -1;
				else
					map[i] = -1;
			}
	return map;
}

/* describe a CREATE TABLE text (and optionally an index on it) */
static int
describe_text(const char *table_sql, const char *index_sql, SqTable *out, char **err)
{
	sqlite3    *s = sq_scratch_open(err);
	int			rc;
	sqlite3_stmt *st;
	char	   *name = NULL;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return SQLITE_ERROR;
	rc = sq_exec(s, table_sql, err);
	if (rc == SQLITE_OK && index_sql)
		rc = sq_exec(s, index_sql, err);
	if (rc == SQLITE_OK)
	{
		rc = sqlite3_prepare_v2(s, "SELECT name FROM sqlite_master WHERE type = 'table'"
								" AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			name = xstrdup((const char *) sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (name)
			rc = sq_describe_table(s, name, out, err);
		else
		{
			rc = SQLITE_ERROR;
			*err = xstrdup("the definition creates no table");
		}
	}
	free(name);
	sqlite3_close(s);
	return rc;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------
 */
static void
add_check(RvSegment *s, RvCheckKind kind, char *sql, char *what, char *loss_key)
{
	RvCheck    *c;

	for (int i = 0; i < s->nchecks; i++)
		if (strcmp(s->checks[i].sql, sql) == 0)
		{
			free(sql);
			free(what);
			free(loss_key);
			return;
		}
	s->checks = xrealloc(s->checks, sizeof(RvCheck) * (s->nchecks + 1));
	c = &s->checks[s->nchecks++];
	c->kind = kind;
	c->sql = sql;
	c->what = what;
	c->loss_key = loss_key;
}

/*
 * The rows a table would hold after the revert, under the target's column
 * names: SELECT "live" AS "target", <default> AS "new", ... FROM "live".
 * Generated target columns are left out.
 */
static char *
would_be(const RvObj *o, const SqTable *t, const SqTable *l, const int *map)
{
	StrBuf		b;
	bool		first = true;

	sb_init(&b);
	sb_puts(&b, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
	{
		if (t->cols[i].hidden >= 2)
			continue;
		if (!first)
			sb_puts(&b, ", ");
		first = false;
		if (map[i] >= 0)
			sqb_ident(&b, l->cols[map[i]].name);
		else if (t->cols[i].dflt)
			sb_printf(&b, "(%s)", t->cols[i].dflt);
		else
			sb_puts(&b, "NULL");
		sb_puts(&b, " AS ");
		sqb_ident(&b, t->cols[i].name);
	}
	sb_puts(&b, " FROM ");
	sqb_ident(&b, o->live->name);
	return sb_steal(&b);
}

static bool
has_generated(const SqTable *t)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].hidden >= 2)
			return true;
	return false;
}

/* does live already enforce the target key (same columns, mapped)? */
static bool
live_has_key(const SqKey *tk, const SqTable *t, const SqTable *l, const int *map)
{
	for (int k = 0; k < l->nkeys; k++)
	{
		const SqKey *lk = &l->keys[k];
		bool		same = lk->unique && lk->ncols == tk->ncols && !lk->partial;

		for (int i = 0; same && i < tk->ncols; i++)
		{
			int			ti = tk->cols[i] ? sq_column_index(t, tk->cols[i]) : -1;

			same = ti >= 0 && map[ti] >= 0 && lk->cols[i] &&
				sq_name_eq(lk->cols[i], l->cols[map[ti]].name) &&
				sqlite3_stricmp(lk->colls[i] ? lk->colls[i] : "", tk->colls[i] ? tk->colls[i] : "") == 0;
		}
		if (same)
			return true;
	}
	return false;
}

static void
unique_check(RvSegment *s, const RvObj *o, const SqKey *k, const char *rows_sql,
			 const char *tname, const char *where)
{
	StrBuf		sql,
				what;

	for (int i = 0; i < k->ncols; i++)
		if (k->cols[i] == NULL)
		{
			seg_note(s, xasprintf("the expression key %s of table \"%s\" is checked by SQLite "
								  "when it is created", k->name, tname));
			return;
		}
	sb_init(&sql);
	sb_init(&what);
	sb_printf(&sql, "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM (%s) WHERE ",
			  rows_sql);
	for (int i = 0; i < k->ncols; i++)
	{
		if (i)
			sb_puts(&sql, " AND ");
		sqb_ident(&sql, k->cols[i]);
		sb_puts(&sql, " IS NOT NULL");
	}
	if (where)
		sb_printf(&sql, " AND (%s)", where);
	sb_puts(&sql, " GROUP BY ");
	sb_puts(&what, k->origin == 'p' ? "PRIMARY KEY (" : "UNIQUE (");
	for (int i = 0; i < k->ncols; i++)
	{
		if (i)
		{
			sb_puts(&sql, ", ");
			sb_puts(&what, ", ");
		}
		sqb_ident(&sql, k->cols[i]);
		sb_puts(&what, k->cols[i]);
		if (k->colls[i] && sqlite3_stricmp(k->colls[i], "BINARY") != 0)
			sb_printf(&sql, " COLLATE %s", k->colls[i]);
	}
	sb_puts(&sql, " HAVING count(*) > 1)");
	if (k->origin == 'c')
		sb_printf(&what, ") of index \"%s\" on \"%s\"", k->name, tname);
	else
		sb_printf(&what, ") of table \"%s\"", tname);
	add_check(s, CK_UNIQUE, sb_steal(&sql), sb_steal(&what), NULL);
	(void) o;
}

/* a default that is one literal: number, string, blob, NULL, TRUE, FALSE */
static bool
constant_default(const char *dflt)
{
	size_t		pos = 0;
	SqToken		t;
	int			n = 0;
	bool		ok = true;

	if (dflt == NULL)
		return false;
	while ((t = sq_next_token(dflt, &pos)).type != TK_EOF)
	{
		if (t.type == TK_SPACE || t.type == TK_COMMENT ||
			(t.type == TK_PUNCT && (t.start[0] == '(' || t.start[0] == ')')))
			continue;
		if (t.type == TK_OP && (t.start[0] == '-' || t.start[0] == '+') && t.len == 1 && n == 0)
			continue;
		n++;
		ok &= t.type == TK_STRING || t.type == TK_NUMBER || t.type == TK_BLOB ||
			sq_token_is(&t, "null") || sq_token_is(&t, "true") || sq_token_is(&t, "false");
	}
	return ok && n == 1;
}

/*
 * Dropping a column loses its values; values equal to the column's
 * constant default carry no information and do not block.
 */
static void
dropped_column_check(RvSegment *s, const char *table, const SqColumn *col)
{
	const char *qt = q(table),
			   *qc = q(col->name);
	char	   *sql = constant_default(col->dflt) ?
	xasprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL AND %s IS NOT (%s)",
			  qt, qc, qc, col->dflt) :
	xasprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL", qt, qc);

	add_check(s, CK_NO_VALUES, sql, qual(table, col->name),
			  xasprintf("%s.%s", table, col->name));
}

/* checks for a table that stays (possibly renamed, altered or rebuilt) */
static void
table_checks(RvSegment *s, const RvObj *o, const SqTable *t, const SqTable *l,
			 const int *map)
{
	char	   *rows = would_be(o, t, l, map);
	SqTableText tt,
				lt;
	const char *ln = o->live->name;
	const char *tn = o->target.name;

	/* dropped columns */
	for (int j = 0; j < l->ncols; j++)
	{
		bool		kept = false;

		for (int i = 0; i < t->ncols; i++)
			kept |= map[i] == j;
		if (kept || l->cols[j].hidden >= 2)
			continue;
		dropped_column_check(s, ln, &l->cols[j]);
	}
	for (int i = 0; i < t->ncols; i++)
		if (map[i] < 0 && t->cols[i].hidden < 2)
			seg_note(s, xasprintf("column \"%s\".\"%s\" comes back without its old values "
								  "(it gets %s)", tn, t->cols[i].name,
								  t->cols[i].dflt ? "its default" : "NULL"));
	/* NOT NULL */
	for (int i = 0; i < t->ncols; i++)
	{
		const SqColumn *tc = &t->cols[i];

		if (!tc->notnull || tc->hidden >= 2)
			continue;
		if (map[i] >= 0 && !l->cols[map[i]].notnull)
			add_check(s, CK_NOT_NULL,
					  xasprintf("SELECT count(*) FROM %s WHERE %s IS NULL", q(ln),
								q(l->cols[map[i]].name)),
					  qual(tn, tc->name), NULL);
		else if (map[i] < 0 && tc->dflt == NULL)
			add_check(s, CK_NOT_NULL_NEW, xasprintf("SELECT count(*) FROM %s", q(ln)),
					  qual(tn, tc->name), NULL);
	}
	/* keys of the table itself */
	for (int k = 0; k < t->nkeys; k++)
	{
		const SqKey *tk = &t->keys[k];

		if (!tk->unique || tk->origin == 'c' || live_has_key(tk, t, l, map))
			continue;
		unique_check(s, o, tk, rows, tn, NULL);
	}
	/* CHECK constraints the live table does not have */
	sq_parse_create_table(o->target.sql, &tt);
	sq_parse_create_table(o->live->sql, &lt);
	for (int i = 0; i < tt.nchecks; i++)
	{
		bool		have = false;

		for (int j = 0; j < lt.nchecks; j++)
			have |= strcmp(tt.checks[i], lt.checks[j]) == 0;
		if (have)
			continue;
		if (has_generated(t))
		{
			seg_note(s, xasprintf("CHECK (%s) of table \"%s\" is enforced by SQLite when the "
								  "rows are copied", tt.checks[i], tn));
			continue;
		}
		add_check(s, CK_CHECK,
				  xasprintf("SELECT count(*) FROM (%s) WHERE NOT (%s)", rows, tt.checks[i]),
				  xasprintf("CHECK (%s) of table \"%s\"", tt.checks[i], tn), NULL);
	}
	sq_table_text_free(&tt);
	sq_table_text_free(&lt);
	free(rows);
}

/* where the rows of a parent table are now, in target column names */
static char *
parent_rows(RvCtx *x, RvSegment *s, const char *parent, const SqSchema *live)
{
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *p = &s->objs[i];
		SqTable		t,
					l;
		char	   *err = NULL;
		char	   *rows = NULL;

		if (p->kind != SQ_TABLE || !p->has_target || !sq_name_eq(p->target.name, parent))
			continue;
		if (p->live == NULL || p->live->kind != SQ_TABLE)
			return xstrdup(""); /* re-created: empty */
		if (describe_text(p->target.sql, NULL, &t, &err) != SQLITE_OK)
		{
			free(err);
			return NULL;
		}
		if (sq_describe_table(x->S, p->live->name, &l, &err) == SQLITE_OK)
		{
			int		   *map = column_map(p, &t, &l);

			rows = would_be(p, &t, &l, map);
			free(map);
			sq_table_free(&l);
		}
		free(err);
		sq_table_free(&t);
		return rows;
	}
	{
		SqObject   *o = sq_schema_find(live, SQ_TABLE, parent);

		if (o == NULL || o->kind != SQ_TABLE)
			return NULL;
		return xasprintf("SELECT * FROM %s", q(o->name));
	}
}

/* the name a live table will have after the revert (renamed tables) */
static const char *
target_table_name(const RvSegment *s, const char *live)
{
	for (int i = 0; i < s->nobjs; i++)
	{
		const RvObj *o = &s->objs[i];

		if (o->live && o->live->kind == SQ_TABLE && sq_name_eq(o->live->name, live) &&
			o->has_target && o->target.kind == SQ_TABLE)
			return o->target.name;
	}
	return live;
}

static void
fk_checks(RvCtx *x, RvSegment *s, const RvObj *o, const SqTable *t, const SqTable *l,
		  const int *map, const SqSchema *live)
{
	char	   *rows = l ? would_be(o, t, l, map) : NULL;

	if (rows == NULL)
		return;
	for (int f = 0; f < t->nfks; f++)
	{
		const SqForeignKey *fk = &t->fks[f];
		bool		have = false;
		char	   *prows;
		StrBuf		sql,
					what;
		SqTable		pt;
		char	   *err = NULL;
		bool		pt_ok = false;

		/* an equal foreign key on the same (mapped) columns already holds */
		for (int g = 0; g < l->nfks && !have; g++)
		{
			const SqForeignKey *lf = &l->fks[g];
			bool		same = lf->ncols == fk->ncols &&
			sq_name_eq(target_table_name(s, lf->parent), fk->parent);

			for (int i = 0; same && i < fk->ncols; i++)
			{
				int			ti = sq_column_index(t, fk->from[i]);

				same = ti >= 0 && map[ti] >= 0 && sq_name_eq(lf->from[i], l->cols[map[ti]].name) &&
					sq_name_eq(lf->to[i], fk->to[i]);
			}
			have = same;
		}
		if (have)
			continue;
		prows = parent_rows(x, s, fk->parent, live);
		if (prows == NULL)
			continue;			/* no such parent: foreign_key_check reports
								 * it */
		/* referenced columns default to the parent's primary key */
		for (int i = 0; i < fk->ncols; i++)
			if (fk->to[i] == NULL)
			{
				RvObj	   *p = NULL;
				SqObject   *po = sq_schema_find(live, SQ_TABLE, fk->parent);

				for (int k = 0; k < s->nobjs; k++)
					if (s->objs[k].has_target && sq_name_eq(s->objs[k].target.name, fk->parent))
						p = &s->objs[k];
				if (p)
					pt_ok = describe_text(p->target.sql, NULL, &pt, &err) == SQLITE_OK;
				else if (po)
					pt_ok = sq_describe_table(x->S, po->name, &pt, &err) == SQLITE_OK;
				free(err);
				break;
			}
		sb_init(&sql);
		sb_init(&what);
		sb_printf(&sql, "SELECT count(*) FROM (%s) AS c WHERE ", rows);
		for (int i = 0; i < fk->ncols; i++)
		{
			sb_puts(&sql, "c.");
			sqb_ident(&sql, fk->from[i]);
			sb_puts(&sql, " IS NOT NULL AND ");
		}
		if (prows[0] == '\0')
			sb_puts(&sql, "1");
		else
		{
			sb_printf(&sql, "NOT EXISTS (SELECT 1 FROM (%s) AS p WHERE ", prows);
			for (int i = 0; i < fk->ncols; i++)
			{
				const char *to = fk->to[i];

				if (to == NULL && pt_ok)
					for (int k = 0; k < pt.ncols; k++)
						if (pt.cols[k].pk == i + 1)
							to = pt.cols[k].name;
				if (i)
					sb_puts(&sql, " AND ");
				sb_puts(&sql, "p.");
				sqb_ident(&sql, to ? to : "rowid");
				sb_puts(&sql, " = c.");
				sqb_ident(&sql, fk->from[i]);
			}
			sb_putc(&sql, ')');
		}
		sb_puts(&what, "FOREIGN KEY (");
		for (int i = 0; i < fk->ncols; i++)
			sb_printf(&what, "%s%s", i ? ", " : "", fk->from[i]);
		sb_printf(&what, ") REFERENCES %s of table \"%s\"", fk->parent, o->target.name);
		add_check(s, CK_FK, sb_steal(&sql), sb_steal(&what), NULL);
		if (pt_ok)
			sq_table_free(&pt);
		free(prows);
	}
	free(rows);
}

/* the WHERE clause of a partial index text, normalised; NULL when none */
static char *
index_where(const char *sql)
{
	size_t		pos = 0;
	int			depth = 0;
	SqToken		t;

	while ((t = sq_next_token(sql, &pos)).type != TK_EOF)
	{
		if (t.type == TK_PUNCT && t.start[0] == '(')
			depth++;
		else if (t.type == TK_PUNCT && t.start[0] == ')')
			depth--;
		else if (depth == 0 && sq_token_is(&t, "where"))
			return sq_normalize(sql + pos);
	}
	return NULL;
}

/* unique indexes the revert creates: no duplicates in the rows they index */
static void
index_checks(RvCtx *x, RvSegment *s, const RvObj *ix)
{
	RvObj	   *tab = NULL;
	SqTable		t,
				l;
	char	   *err = NULL;
	const char *table_sql = NULL;
	const char *live_name = NULL;

	if (!ix->has_target || (ix->live && sq_sql_equal(ix->live->sql, ix->target.sql)))
		return;
	for (int i = 0; i < s->nobjs; i++)
		if (s->objs[i].kind == SQ_TABLE && s->objs[i].has_target &&
			sq_name_eq(s->objs[i].target.name, ix->target.tbl_name))
			tab = &s->objs[i];
	if (tab)
	{
		if (tab->live == NULL)
			return;				/* the table comes back empty */
		table_sql = tab->target.sql;
		live_name = tab->live->name;
	}
	else
	{
		SqObject   *o = sq_schema_find(&s->start, SQ_TABLE, ix->target.tbl_name);

		if (o == NULL || o->kind != SQ_TABLE)
			return;
		table_sql = o->sql;
		live_name = o->name;
	}
	if (describe_text(table_sql, ix->target.sql, &t, &err) != SQLITE_OK)
	{
		free(err);
		return;
	}
	if (sq_describe_table(x->S, live_name, &l, &err) == SQLITE_OK)
	{
		RvObj		ident;
		int		   *map;
		char	   *rows;

		memset(&ident, 0, sizeof(ident));
		ident.live = sq_schema_find(&s->start, SQ_TABLE, live_name);
		map = column_map(tab ? tab : &ident, &t, &l);
		rows = would_be(tab ? tab : &ident, &t, &l, map);
		for (int k = 0; k < t.nkeys; k++)
			if (t.keys[k].unique && sq_name_eq(t.keys[k].name, ix->target.name))
			{
				char	   *where = t.keys[k].partial ? index_where(ix->target.sql) : NULL;

				unique_check(s, tab, &t.keys[k], rows, ix->target.tbl_name, where);
				free(where);
			}
		free(rows);
		free(map);
		sq_table_free(&l);
	}
	free(err);
	sq_table_free(&t);
}

/* ------------------------------------------------------------------------
 * Rehearsal of the steps
 * ------------------------------------------------------------------------
 */

/* run a step on the rehearsal database and add it to the plan */
static bool
step(RvCtx *x, RvSegment *s, char *sql)
{
	char	   *err = NULL;

	if (sq_exec(x->S, sql, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert of version %s: %s", s->versions[0], err),
				  xasprintf("The statement that fails on the recorded schema is: %s", sql),
				  NULL);
		free(err);
		free(sql);
		return false;
	}
	push_str(&s->steps, &s->nsteps, sql);
	return true;
}

static char *
free_name(RvCtx *x, const char *base)
{
	for (int i = 0;; i++)
	{
		char	   *n = i ? xasprintf("%s%s_%d", SQ_TEMP_PREFIX, base, i) :
		xasprintf("%s%s", SQ_TEMP_PREFIX, base);
		int64_t		k = 0;
		char	   *lit = sqlite3_mprintf("SELECT count(*) FROM sqlite_master WHERE name = %Q COLLATE NOCASE", n);

		sq_query_int(x->S, lit, &k, NULL);
		sqlite3_free(lit);
		if (k == 0)
			return n;
		free(n);
	}
}

static bool
is_integer_pk_alias(const SqTable *t)
{
	int			npk = 0;
	int			at = -1;

	if (t->without_rowid)
		return false;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].pk)
		{
			npk++;
			at = i;
		}
	return npk == 1 && t->cols[at].type && sqlite3_stricmp(t->cols[at].type, "INTEGER") == 0;
}

static bool
has_word(const char *sql, const char *word)
{
	size_t		pos = 0;
	SqToken		t;

	while ((t = sq_next_token(sql, &pos)).type != TK_EOF)
		if (sq_token_is(&t, word))
			return true;
	return false;
}

/*
 * Rebuild table o->target.name (live under that name in the rehearsal):
 * rename away, create the target, copy, drop the old copy.  Indexes and
 * triggers that were on it and are not managed come back afterwards from
 * their live texts (added to *again).
 */
static bool
rebuild_table(RvCtx *x, RvSegment *s, const RvObj *o, const SqTable *t, const SqTable *l,
			  const int *map, SqSchema *again)
{
	const char *name = o->target.name;
	char	   *old = free_name(x, name);
	StrBuf		ins,
				sel;
	bool		any = false;
	bool		rowid = !t->without_rowid && !l->without_rowid && !is_integer_pk_alias(t);
	SqSchema	cur;
	char	   *err = NULL;

	/*
	 * dependents the table drop takes along; managed ones are handled by the
	 * caller
	 */
	if (sq_schema_read(x->S, &cur, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
		free(err);
		free(old);
		return false;
	}
	for (int i = 0; i < cur.n; i++)
	{
		SqObject   *d = &cur.items[i];

		if ((d->kind == SQ_INDEX || d->kind == SQ_TRIGGER) && sq_name_eq(d->tbl_name, name) &&
			obj_by_expect(s, d->kind, d->name) == NULL)
		{
			again->items = xrealloc(again->items, sizeof(SqObject) * (again->n + 1));
			sq_object_copy(d, &again->items[again->n++]);
		}
	}
	sq_schema_free(&cur);

	sb_init(&ins);
	sb_init(&sel);
	sb_printf(&ins, "INSERT INTO %s (", q(name));
	if (rowid)
	{
		sb_puts(&ins, "rowid");
		sb_puts(&sel, "rowid");
		any = true;
	}
	for (int i = 0; i < t->ncols; i++)
	{
		if (map[i] < 0 || t->cols[i].hidden >= 2)
			continue;
		if (any)
		{
			sb_puts(&ins, ", ");
			sb_puts(&sel, ", ");
		}
		sqb_ident(&ins, t->cols[i].name);
		sqb_ident(&sel, l->cols[map[i]].name);
		any = true;
	}
	sb_printf(&ins, ") SELECT %s FROM %s", sel.data, q(old));
	sb_free(&sel);

	if (!step(x, s, xstrdup("PRAGMA legacy_alter_table = ON")) ||
		!step(x, s, xasprintf("ALTER TABLE %s RENAME TO %s", q(name), q(old))) ||
		!step(x, s, xstrdup(o->target.sql)) ||
		(any && !step(x, s, sb_steal(&ins))))
	{
		sb_free(&ins);
		free(old);
		return false;
	}
	sb_free(&ins);
	if (has_word(o->target.sql, "autoincrement"))
	{
		char	   *a = sqlite3_mprintf("UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence"
										" WHERE name IN (%Q, %Q)) WHERE name = %Q", name, old, name);
		char	   *b = sqlite3_mprintf("INSERT INTO sqlite_sequence (name, seq) SELECT %Q, seq"
										" FROM sqlite_sequence WHERE name = %Q AND NOT EXISTS"
										" (SELECT 1 FROM sqlite_sequence WHERE name = %Q)",
										name, old, name);
		bool		ok = step(x, s, xstrdup(a)) && step(x, s, xstrdup(b));

		sqlite3_free(a);
		sqlite3_free(b);
		if (!ok)
		{
			free(old);
			return false;
		}
	}
	if (!step(x, s, xasprintf("DROP TABLE %s", q(old))) ||
		!step(x, s, xstrdup("PRAGMA legacy_alter_table = OFF")))
	{
		free(old);
		return false;
	}
	free(old);
	return true;
}

/*
 * Try to reach the target with ALTER TABLE ... RENAME/DROP/ADD COLUMN.
 * Works in a savepoint of the rehearsal database; returns true and keeps
 * the steps when the table ends exactly as the target.
 */
static bool
alter_table(RvCtx *x, RvSegment *s, const RvObj *o, const SqTable *t, const SqTable *l,
			const int *map)
{
	const char *name = o->target.name;
	int			last = -1;
	bool		adding = false;
	int			mark = s->nsteps;
	SqTableText tt;
	char	  **tmp_from = NULL;
	int			ntmp = 0;
	bool		ok = true;
	char	   *now = NULL;

	/* kept columns in the same order, new ones only at the end */
	for (int i = 0; i < t->ncols; i++)
	{
		if (map[i] < 0)
			adding = true;
		else if (adding || map[i] < last)
			return false;
		else
			last = map[i];
	}
	sq_parse_create_table(o->target.sql, &tt);
	if (!tt.ok)
	{
		sq_table_text_free(&tt);
		return false;
	}
	sq_exec(x->S, "SAVEPOINT migrate_alter", NULL);
	/* drops first: they free names that renames may need */
	for (int j = 0; ok && j < l->ncols; j++)
	{
		bool		kept = false;

		for (int i = 0; i < t->ncols; i++)
			kept |= map[i] == j;
		if (!kept)
			ok = step(x, s, xasprintf("ALTER TABLE %s DROP COLUMN %s", q(name),
									  q(l->cols[j].name)));
	}
	/* renames, through temporary names when they collide */
	for (int i = 0; ok && i < t->ncols; i++)
	{
		const char *from = map[i] >= 0 ? l->cols[map[i]].name : NULL;
		bool		clash = false;

		if (from == NULL || sq_name_eq(from, t->cols[i].name))
			continue;
		for (int j = 0; j < l->ncols; j++)
			clash |= j != map[i] && sq_name_eq(l->cols[j].name, t->cols[i].name);
		if (clash)
		{
			char	   *tmp = xasprintf("%s%d", SQ_TEMP_PREFIX, ntmp);

			ok = step(x, s, xasprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", q(name),
									  q(from), q(tmp)));
			push_str(&tmp_from, &ntmp, tmp);
		}
		else
			ok = step(x, s, xasprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", q(name),
									  q(from), q(t->cols[i].name)));
	}
	for (int i = 0, k = 0; ok && i < t->ncols; i++)
	{
		const char *from = map[i] >= 0 ? l->cols[map[i]].name : NULL;
		bool		clash = false;

		if (from == NULL || sq_name_eq(from, t->cols[i].name))
			continue;
		for (int j = 0; j < l->ncols; j++)
			clash |= j != map[i] && sq_name_eq(l->cols[j].name, t->cols[i].name);
		if (clash)
			ok = step(x, s, xasprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", q(name),
									  q(tmp_from[k++]), q(t->cols[i].name)));
	}
	/* additions, with their definitions as the target text has them */
	for (int i = 0; ok && i < t->ncols; i++)
	{
		const char *def = NULL;

		if (map[i] >= 0)
			continue;
		for (int k = 0; k < tt.ncols; k++)
			if (sq_name_eq(tt.cols[k].name, t->cols[i].name))
				def = tt.cols[k].text;
		ok = def != NULL &&
			step(x, s, xasprintf("ALTER TABLE %s ADD COLUMN %s", q(name), def));
	}
	free_strs(tmp_from, ntmp);
	sq_table_text_free(&tt);
	if (ok)
	{
		char	   *lit = sqlite3_mprintf("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %Q", name);
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(x->S, lit, -1, &st, NULL) == SQLITE_OK &&
			sqlite3_step(st) == SQLITE_ROW)
			now = xstrdup((const char *) sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_free(lit);
		ok = now && sq_sql_equal(now, o->target.sql);
		free(now);
	}
	if (ok)
	{
		sq_exec(x->S, "RELEASE migrate_alter", NULL);
		return true;
	}
	/* not this way: forget the steps and the failure */
	sq_exec(x->S, "ROLLBACK TO migrate_alter; RELEASE migrate_alter", NULL);
	while (s->nsteps > mark)
		free(s->steps[--s->nsteps]);
	free(x->error);
	free(x->error_detail);
	free(x->error_hint);
	x->error = x->error_detail = x->error_hint = NULL;
	return false;
}

/* the name currently used by an object of the rehearsal database */
static SqObject *
rehearsal_find(RvCtx *x, SqSchema *tmp, SqKind kind, const char *name)
{
	char	   *err = NULL;

	sq_schema_free(tmp);
	if (sq_schema_read(x->S, tmp, &err) != SQLITE_OK)
	{
		free(err);
		return NULL;
	}
	return sq_schema_find(tmp, kind, name);
}

/*
 * Table renames come first, while the schema is still valid: ALTER TABLE
 * RENAME (legacy_alter_table off) also rewrites the views, triggers and
 * foreign keys that name the table, which brings the managed ones back to
 * their recorded text.  A table whose target name is still taken goes to a
 * temporary name and gets its own after the drops (x->pending_*).
 */
static bool
plan_renames(RvCtx *x, RvSegment *s)
{
	SqSchema	tmp = {0};

	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];

		if (o->live == NULL || o->live->kind != SQ_TABLE || !o->has_target ||
			o->target.kind != SQ_TABLE || sq_name_eq(o->live->name, o->target.name))
			continue;
		if (rehearsal_find(x, &tmp, SQ_TABLE, o->target.name) != NULL)
		{
			char	   *t = free_name(x, o->target.name);

			if (!step(x, s, xasprintf("ALTER TABLE %s RENAME TO %s", q(o->live->name), q(t))))
			{
				free(t);
				sq_schema_free(&tmp);
				return false;
			}
			x->pending_from = xrealloc(x->pending_from, sizeof(char *) * (x->npending + 1));
			x->pending_to = xrealloc(x->pending_to, sizeof(char *) * (x->npending + 1));
			x->pending_from[x->npending] = t;
			x->pending_to[x->npending++] = xstrdup(o->target.name);
		}
		else if (!step(x, s, xasprintf("ALTER TABLE %s RENAME TO %s", q(o->live->name),
									   q(o->target.name))))
		{
			sq_schema_free(&tmp);
			return false;
		}
	}
	sq_schema_free(&tmp);
	return true;
}

static bool
plan_tables(RvCtx *x, RvSegment *s, SqSchema *again)
{
	SqSchema	tmp = {0};

	/* tables that go */
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];

		if (o->live == NULL || o->live->kind != SQ_TABLE ||
			(o->has_target && o->target.kind == SQ_TABLE))
			continue;
		for (int k = 0; k < s->start.n; k++)
		{
			SqObject   *d = &s->start.items[k];

			if ((d->kind == SQ_INDEX || d->kind == SQ_TRIGGER) &&
				sq_name_eq(d->tbl_name, o->live->name) && obj_by_expect(s, d->kind, d->name) == NULL)
				seg_note(s, xasprintf("%s \"%s\" (not created by a migration) goes with table \"%s\"",
									  sq_kind_name(d->kind), d->name, o->live->name));
		}
		if (!step(x, s, xasprintf("DROP TABLE %s", q(o->live->name))))
			return false;
	}
	/* renames that had to wait for the drops above */
	for (int i = 0; i < x->npending; i++)
		if (!step(x, s, xasprintf("ALTER TABLE %s RENAME TO %s", q(x->pending_from[i]),
								  q(x->pending_to[i]))))
			return false;
	free_strs(x->pending_from, x->npending);
	free_strs(x->pending_to, x->npending);
	x->pending_from = x->pending_to = NULL;
	x->npending = 0;
	/* tables that stay: alter in place or rebuild */
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];
		SqObject   *now;
		SqTable		t,
					l;
		char	   *err = NULL;
		int		   *map;
		bool		ok;

		if (o->live == NULL || o->live->kind != SQ_TABLE || !o->has_target ||
			o->target.kind != SQ_TABLE)
			continue;
		now = rehearsal_find(x, &tmp, SQ_TABLE, o->target.name);
		if (now == NULL)
		{
			plan_fail(x, xasprintf("cannot plan the revert: table \"%s\" is missing after the renames",
								   o->target.name), NULL, NULL);
			return false;
		}
		if (sq_sql_equal(now->sql, o->target.sql))
			continue;
		if (describe_text(o->target.sql, NULL, &t, &err) != SQLITE_OK)
		{
			plan_fail(x, xasprintf("cannot plan the revert: the recorded definition of table "
								   "\"%s\" does not load: %s", o->target.name, err), NULL, NULL);
			free(err);
			return false;
		}
		if (sq_describe_table(x->S, o->target.name, &l, &err) != SQLITE_OK)
		{
			plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
			free(err);
			sq_table_free(&t);
			return false;
		}
		map = column_map(o, &t, &l);
		ok = alter_table(x, s, o, &t, &l, map) || rebuild_table(x, s, o, &t, &l, map, again);
		free(map);
		sq_table_free(&t);
		sq_table_free(&l);
		if (!ok)
			return false;
	}
	/* tables that come back */
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];

		if (!o->has_target || o->target.kind != SQ_TABLE ||
			(o->live != NULL && o->live->kind == SQ_TABLE))
			continue;
		if (o->target.is_virtual)
			continue;
		if (!step(x, s, xstrdup(o->target.sql)))
			return false;
		seg_note(s, xasprintf("table \"%s\" comes back empty: its rows were not kept",
							  o->target.name));
	}
	sq_schema_free(&tmp);
	return true;
}

/* does sql name (as a bare or quoted identifier) any of names? */
static bool
mentions(const char *sql, char **names, int n)
{
	size_t		pos = 0;
	SqToken		t;

	while ((t = sq_next_token(sql, &pos)).type != TK_EOF)
	{
		char	   *id;
		bool		hit = false;

		if (t.type != TK_WORD && t.type != TK_QIDENT)
			continue;
		id = sq_token_ident(&t);
		for (int i = 0; i < n && !hit; i++)
			hit = sq_name_eq(id, names[i]);
		free(id);
		if (hit)
			return true;
	}
	return false;
}

/*
 * Drop the triggers, views and indexes that go or change.  Views and
 * triggers that depend on a dropped view go too (a later ALTER TABLE would
 * find them broken); those the revert does not manage come back afterwards
 * from their current text (*again).
 */
static bool
plan_drops(RvCtx *x, RvSegment *s, SqSchema *again)
{
	static const SqKind drop_order[] = {SQ_TRIGGER, SQ_VIEW, SQ_INDEX};
	SqSchema	cur;
	char	   *err = NULL;
	bool	   *drop;
	char	  **views = NULL;
	int			nviews = 0;
	bool		grew = true;
	bool		ok = true;

	if (sq_schema_read(x->S, &cur, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
		free(err);
		return false;
	}
	drop = calloc(cur.n ? cur.n : 1, sizeof(bool));
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];
		SqObject   *now;

		if (o->live == NULL || o->live->kind == SQ_TABLE)
			continue;
		now = sq_schema_find(&cur, o->live->kind, o->live->name);
		if (now == NULL || now->kind != o->live->kind)
			continue;
		if (o->has_target && o->target.kind == now->kind && sq_name_eq(o->target.name, now->name) &&
			sq_sql_equal(o->target.sql, now->sql))
			continue;
		drop[now - cur.items] = true;
	}
	while (grew)
	{
		grew = false;
		free(views);
		views = NULL;
		nviews = 0;
		for (int i = 0; i < cur.n; i++)
			if (drop[i] && cur.items[i].kind == SQ_VIEW)
				push_str(&views, &nviews, cur.items[i].name);
		for (int i = 0; i < cur.n && nviews > 0; i++)
		{
			SqObject   *d = &cur.items[i];
			RvObj	   *o;

			if (drop[i] || (d->kind != SQ_VIEW && d->kind != SQ_TRIGGER))
				continue;
			if (!mentions(d->sql, views, nviews) &&
				!(d->kind == SQ_TRIGGER && mentions(d->tbl_name, views, nviews)))
				continue;
			drop[i] = grew = true;
			o = obj_by_expect(s, d->kind, d->name);
			if (o == NULL || !o->has_target)
			{
				again->items = xrealloc(again->items, sizeof(SqObject) * (again->n + 1));
				sq_object_copy(d, &again->items[again->n++]);
			}
		}
	}
	free(views);
	for (int k = 0; k < 3 && ok; k++)
		for (int i = 0; i < cur.n && ok; i++)
			if (drop[i] && cur.items[i].kind == drop_order[k])
				ok = step(x, s, xasprintf("DROP %s %s", k == 0 ? "TRIGGER" : k == 1 ? "VIEW" : "INDEX",
										  q(cur.items[i].name)));
	free(drop);
	sq_schema_free(&cur);
	return ok;
}

/* a computed plan for segment s, rehearsed on x->S */
static bool
plan_computed(RvCtx *x, RvSegment *s)
{
	static const SqKind create_order[] = {SQ_INDEX, SQ_VIEW, SQ_TRIGGER};
	SqSchema	again = {0};
	SqSchema	now = {0};
	char	   *err = NULL;

	if (!plan_renames(x, s) || !plan_drops(x, s, &again))
	{
		sq_schema_free(&again);
		return false;
	}
	if (!plan_tables(x, s, &again))
	{
		sq_schema_free(&again);
		return false;
	}

	/*
	 * indexes, views and triggers as recorded, then unmanaged ones rebuilds
	 * took along
	 */
	if (sq_schema_read(x->S, &now, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
		free(err);
		sq_schema_free(&again);
		return false;
	}
	for (int d = 0; d < 3; d++)
	{
		for (int i = 0; i < s->nobjs; i++)
		{
			RvObj	   *o = &s->objs[i];
			SqObject   *have;

			if (!o->has_target || o->target.kind != create_order[d])
				continue;
			have = sq_schema_find(&now, o->target.kind, o->target.name);
			if (have && have->kind == o->target.kind && sq_sql_equal(have->sql, o->target.sql))
				continue;
			if (have && !step(x, s, xasprintf("DROP %s %s", sq_kind_name(have->kind), q(have->name))))
				goto fail;
			if (!step(x, s, xstrdup(o->target.sql)))
				goto fail;
		}
		for (int i = 0; i < again.n; i++)
		{
			SqObject   *a = &again.items[i];

			if (a->kind != create_order[d])
				continue;
			if (!step(x, s, xstrdup(a->sql)))
			{
				free(x->error_hint);
				x->error_hint = xasprintf("%s \"%s\" was not created by a migration; the revert "
										  "has to re-create it and cannot put it back as it is.",
										  sq_kind_name(a->kind), a->name);
				goto fail;
			}
			seg_note(s, xasprintf("%s \"%s\" (not created by a migration) is re-created as it was",
								  sq_kind_name(a->kind), a->name));
		}
	}
	sq_schema_free(&now);
	sq_schema_free(&again);
	return true;

fail:
	sq_schema_free(&now);
	sq_schema_free(&again);
	return false;
}

static bool
plan_handwritten(RvCtx *x, RvSegment *s)
{
	for (int i = 0; i < s->ndown; i++)
	{
		char	   *err = NULL;

		if (sq_exec(x->S, s->down[i], &err) != SQLITE_OK)
		{
			plan_fail(x, xasprintf("the hand-written down statements of version %s fail on the "
								   "recorded schema: %s", s->versions[0], err),
					  xasprintf("The failing statement is: %s", s->down[i]),
					  xstrdup("Fix the down section of the migration file, or remove it to let "
							  "migrate compute the revert."));
			free(err);
			return false;
		}
		push_str(&s->steps, &s->nsteps, xstrdup(s->down[i]));
	}
	return true;
}

/* after the rehearsal, every touched object must be as recorded */
static bool
plan_matches_target(RvCtx *x, RvSegment *s)
{
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];
		SqObject   *have;
		char	   *why = NULL;

		if (o->has_target)
		{
			have = sq_schema_find(&s->predicted, o->target.kind, o->target.name);
			if (have == NULL || have->kind != o->target.kind)
				why = xasprintf("%s \"%s\" would be missing", sq_kind_name(o->target.kind),
								o->target.name);
			else if (!sq_sql_equal(have->sql, o->target.sql))
				why = xasprintf("%s \"%s\" would be\n  %s\ninstead of\n  %s",
								sq_kind_name(o->target.kind), o->target.name, have->sql,
								o->target.sql);
		}
		else if (o->live)
		{
			bool		taken = false;

			have = sq_schema_find(&s->predicted, o->live->kind, o->live->name);
			for (int k = 0; k < s->nobjs; k++)
				taken |= s->objs[k].has_target && have &&
					sq_same_namespace(s->objs[k].target.kind, have->kind) &&
					sq_name_eq(s->objs[k].target.name, have->name);
			if (have && !taken && have->kind == o->live->kind)
				why = xasprintf("%s \"%s\" would still exist", sq_kind_name(o->live->kind),
								o->live->name);
		}
		if (why)
		{
			plan_fail(x, xasprintf(s->handwritten ?
								   "the hand-written down statements of version %s do not restore the recorded state" :
								   "cannot plan the revert of version %s: the plan does not reach the recorded state",
								   s->versions[0]),
					  xasprintf("After the statements, %s.", why),
					  s->handwritten ?
					  xstrdup("Fix the down section of the migration file, or remove it to let "
							  "migrate compute the revert.") : NULL);
			free(why);
			return false;
		}
	}
	return true;
}

static bool
plan_segment(RvCtx *x, RvSegment *s)
{
	char	   *err = NULL;
	StrBuf		drift;
	int			ndrift = 0;

	if (collect_objects(x, s) != DRV_OK)
		return false;
	if (sq_schema_read(x->S, &s->start, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
		free(err);
		return false;
	}
	/* where each object is now; what changed outside the migrations */
	sb_init(&drift);
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];

		o->live = o->has_expect ? sq_schema_find(&s->start, o->expect.kind, o->expect.name) : NULL;
		if (o->live && o->live->kind != o->expect.kind)
			o->live = NULL;
		if (o->has_expect && o->live == NULL)
			sb_printf(&drift, "\n%s \"%s\" was dropped outside the migrations.",
					  sq_kind_name(o->expect.kind), o->expect.name), ndrift++;
		else if (o->has_expect && !sq_sql_equal(o->live->sql, o->expect.sql))
			sb_printf(&drift, "\n%s \"%s\" was changed outside the migrations.",
					  sq_kind_name(o->expect.kind), o->expect.name), ndrift++;
		if ((o->has_target && o->target.is_virtual) || (o->live && (o->live->is_virtual || o->live->is_shadow)))
		{
			plan_fail(x, xasprintf("cannot revert version %s: virtual table \"%s\" is not covered",
								   s->versions[0], obj_name(o)),
					  xstrdup("The SQLite driver reverts tables, columns, indexes, views and triggers; "
							  "virtual tables and their shadow tables are left to the user."),
					  xstrdup("Drop or re-create the virtual table by hand, then run \"migrate set\" "
							  "to record the version."));
			sb_free(&drift);
			return false;
		}
	}
	if (ndrift > 0 && !x->req->accept_drift)
	{
		plan_fail(x, xasprintf("cannot revert version %s: %d object%s changed outside the migrations",
							   s->versions[0], ndrift, ndrift > 1 ? "s" : ""),
				  xasprintf("%s", drift.data + 1),
				  xstrdup("Review the changes; pass --accept-drift to revert from the current "
						  "state anyway."));
		sb_free(&drift);
		return false;
	}
	if (ndrift > 0)
		seg_note(s, xasprintf("accepted drift:%s", drift.data));
	sb_free(&drift);

	/* checks, from the live rows before the segment */
	for (int i = 0; i < s->nobjs; i++)
	{
		RvObj	   *o = &s->objs[i];
		SqTable		t,
					l;

		if (o->live && o->live->kind == SQ_TABLE &&
			!(o->has_target && o->target.kind == SQ_TABLE))
		{
			add_check(s, CK_EMPTY, xasprintf("SELECT count(*) FROM %s", q(o->live->name)),
					  qual(o->live->name, NULL), xstrdup(o->live->name));
			continue;
		}
		if (o->live && o->live->kind == SQ_TABLE && o->has_target && o->target.kind == SQ_TABLE &&
			!(sq_name_eq(o->live->name, o->target.name) && sq_sql_equal(o->live->sql, o->target.sql)))
		{
			if (describe_text(o->target.sql, NULL, &t, &err) != SQLITE_OK)
			{
				plan_fail(x, xasprintf("cannot plan the revert: the recorded definition of "
									   "table \"%s\" does not load: %s", o->target.name, err),
						  NULL, NULL);
				free(err);
				return false;
			}
			if (sq_describe_table(x->S, o->live->name, &l, &err) == SQLITE_OK)
			{
				int		   *map = column_map(o, &t, &l);

				table_checks(s, o, &t, &l, map);
				fk_checks(x, s, o, &t, &l, map, &s->start);
				free(map);
				sq_table_free(&l);
			}
			free(err);
			err = NULL;
			sq_table_free(&t);
		}
	}
	for (int i = 0; i < s->nobjs; i++)
		if (s->objs[i].has_target && s->objs[i].target.kind == SQ_INDEX)
			index_checks(x, s, &s->objs[i]);

	/* the statements, rehearsed */
	if (!(s->handwritten ? plan_handwritten(x, s) : plan_computed(x, s)))
		return false;
	if (sq_schema_read(x->S, &s->predicted, &err) != SQLITE_OK)
	{
		plan_fail(x, xasprintf("cannot plan the revert: %s", err), NULL, NULL);
		free(err);
		return false;
	}
	if (!plan_matches_target(x, s))
		return false;
	if (x->valid_before && !sq_schema_valid(x->S, &err))
	{
		plan_fail(x, xasprintf("cannot revert version %s: the result would break the schema: %s",
							   s->versions[0], err),
				  xstrdup("A view or trigger that stays would refer to something the revert "
						  "removes or changes."),
				  xstrdup("Drop or change that view or trigger first."));
		free(err);
		return false;
	}
	return true;
}

static void
segment_free(RvSegment *s)
{
	free_strs(s->versions, s->nversions);
	free(s->units);
	free_strs(s->down, s->ndown);
	for (int i = 0; i < s->nobjs; i++)
		obj_free(&s->objs[i]);
	free(s->objs);
	sq_schema_free(&s->start);
	sq_schema_free(&s->predicted);
	free_strs(s->steps, s->nsteps);
	for (int i = 0; i < s->nchecks; i++)
	{
		free(s->checks[i].sql);
		free(s->checks[i].what);
		free(s->checks[i].loss_key);
	}
	free(s->checks);
	free_strs(s->notes, s->nnotes);
}

/* ------------------------------------------------------------------------
 * Execution
 * ------------------------------------------------------------------------
 */
static char *
versions_title(const RvSegment *s, const char *prefix)
{
	StrBuf		b;

	sb_init(&b);
	sb_printf(&b, "%s version%s ", prefix, s->nversions > 1 ? "s" : "");
	for (int i = 0; i < s->nversions; i++)
		sb_printf(&b, "%s%s", i == 0 ? "" : (i == s->nversions - 1 ? " and " : ", "),
				  s->versions[i]);
	return sb_steal(&b);
}

static bool
loss_allowed(const DownRequest *req, const char *key)
{
	const char *dot;

	if (key == NULL)
		return false;
	dot = strchr(key, '.');
	for (int i = 0; i < req->nallow_loss; i++)
	{
		const char *a = req->allow_loss[i];

		if (sq_name_eq(a, key))
			return true;
		/* "table" allows losing any of its columns too */
		if (dot && strlen(a) == (size_t) (dot - key) && sqlite3_strnicmp(a, key, (int) (dot - key)) == 0)
			return true;
	}
	return false;
}

static char *
check_message(const RvCheck *c, int64_t n, const char *target)
{
	switch (c->kind)
	{
		case CK_EMPTY:
			return xasprintf("table %s holds %lld row%s that dropping it would lose", c->what,
							 (long long) n, n == 1 ? "" : "s");
		case CK_NO_VALUES:
			return xasprintf("column %s holds %lld value%s that dropping it would lose",
							 c->what, (long long) n, n == 1 ? "" : "s");
		case CK_NOT_NULL:
			return xasprintf("column %s has %lld NULL value%s but is NOT NULL at version %s",
							 c->what, (long long) n, n == 1 ? "" : "s", target ? target : "(none)");
		case CK_NOT_NULL_NEW:
			return xasprintf("column %s comes back NOT NULL without a default, and %lld row%s would have no value",
							 c->what, (long long) n, n == 1 ? "" : "s");
		case CK_UNIQUE:
			return xasprintf("%s: %lld row%s have duplicate values", c->what, (long long) n,
							 n == 1 ? "" : "s");
		case CK_CHECK:
			return xasprintf("%s: %lld row%s violate it", c->what, (long long) n, n == 1 ? "" : "s");
		case CK_FK:
			return xasprintf("%s: %lld row%s reference no parent row", c->what, (long long) n,
							 n == 1 ? "" : "s");
	}
	return NULL;
}

/* run the checks of a segment; false when one blocks */
static bool
run_checks(RvCtx *x, RvSegment *s, Reporter *r, int *failures)
{
	char	   *title = versions_title(s, "checks before reverting");
	int64_t		t0 = sq_clock_ns();
	bool		ok = true;

	report_group(r, title);
	free(title);
	for (int i = 0; i < s->nchecks; i++)
	{
		RvCheck    *c = &s->checks[i];
		int64_t		n = 0;
		char	   *err = NULL;
		char	   *msg;

		report_check(r, c->sql);
		if (sq_query_int(x->c->db, c->sql, &n, &err) != SQLITE_OK)
		{
			report_check_failed(r, c->sql, err);
			log_error("check on SQLite database \"%s\" failed: %s", x->c->path, err);
			log_error_detail("The check was: %s", c->sql);
			free(err);
			(*failures)++;
			ok = false;
			continue;
		}
		if (n == 0)
			continue;
		msg = check_message(c, n, x->target_version);
		if (loss_allowed(x->req, c->loss_key))
		{
			char	   *note = xasprintf("loss allowed by --allow-loss: %s", msg);

			report_note(r, note);
			free(note);
			free(msg);
			continue;
		}
		report_check_failed(r, c->sql, msg);
		log_error("cannot revert: %s", msg);
		log_error_detail("The revert changes nothing while a check fails.");
		if (c->loss_key)
			log_error_hint("Remove the data first, or pass --allow-loss %s to accept losing it.",
						   c->loss_key);
		else
			log_error_hint("Fix the %lld blocking row%s first.", (long long) n, n == 1 ? "" : "s");
		free(msg);
		(*failures)++;
		ok = false;
	}
	if (ok)
		report_group_ok(r, sq_clock_ns() - t0);
	return ok;
}

/* compare the real catalog with the rehearsed one */
static bool
verify_segment(RvCtx *x, RvSegment *s)
{
	SqSchema	real;
	char	   *err = NULL;
	StrBuf		diff;

	if (sq_schema_read(x->c->db, &real, &err) != SQLITE_OK)
	{
		log_error("verification after the revert failed: %s", err);
		free(err);
		return false;
	}
	sb_init(&diff);
	for (int i = 0; i < s->predicted.n; i++)
	{
		SqObject   *p = &s->predicted.items[i];
		SqObject   *o = sq_schema_find(&real, p->kind, p->name);

		if (o == NULL || o->kind != p->kind)
			sb_printf(&diff, " %s \"%s\" is missing.", sq_kind_name(p->kind), p->name);
		else if (!sq_sql_equal(o->sql, p->sql))
			sb_printf(&diff, " %s \"%s\" differs.", sq_kind_name(p->kind), p->name);
		else if (p->kind == SQ_TABLE && !p->is_virtual && !p->is_shadow)
		{
			SqTable		a,
						b;
			char	   *e1 = NULL,
					   *e2 = NULL;

			if (sq_describe_table(x->c->db, o->name, &a, &e1) == SQLITE_OK &&
				sq_describe_table(x->S, p->name, &b, &e2) == SQLITE_OK)
			{
				if (strcmp(a.detail, b.detail) != 0)
					sb_printf(&diff, " table \"%s\" differs in its columns or keys.", p->name);
				sq_table_free(&a);
				sq_table_free(&b);
			}
			else if (e1 == NULL)
				sq_table_free(&a);
			free(e1);
			free(e2);
		}
	}
	for (int i = 0; i < real.n; i++)
	{
		SqObject   *o = &real.items[i];
		SqObject   *p = sq_schema_find(&s->predicted, o->kind, o->name);

		if (p == NULL || p->kind != o->kind)
			sb_printf(&diff, " %s \"%s\" should not exist.", sq_kind_name(o->kind), o->name);
	}
	sq_schema_free(&real);
	if (diff.len > 0)
	{
		char	   *t = versions_title(s, "reverting");

		log_error("verification failed after %s: the schema is not the recorded one", t);
		log_error_detail("%s", diff.data + 1);
		log_error_hint("Nothing was changed.  Report this with the output of \"migrate down --dry-run\".");
		free(t);
		sb_free(&diff);
		return false;
	}
	sb_free(&diff);
	return true;
}

typedef struct FkCount
{
	char	   *table;
	char	   *parent;
	int64_t		n;
} FkCount;

/*
 * PRAGMA foreign_key_check, table by table: a table whose foreign keys
 * cannot be checked at all ("foreign key mismatch": the parent columns are
 * not a key) gets one entry with n = -1 and parent NULL.
 */
static int
fk_counts(SqConn *c, FkCount **out, int *n)
{
	sqlite3_stmt *tabs,
			   *st;
	int			rc;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(c->db, "SELECT name FROM main.sqlite_master WHERE type = 'table'"
							" AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
							-1, &tabs, NULL);
	if (rc != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "checking foreign keys", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	while (sqlite3_step(tabs) == SQLITE_ROW)
	{
		const char *table = (const char *) sqlite3_column_text(tabs, 0);

		rc = sqlite3_prepare_v2(c->db, "SELECT parent, count(*) FROM pragma_foreign_key_check(?1, 'main')"
								" GROUP BY 1 ORDER BY 1", -1, &st, NULL);
		if (rc == SQLITE_OK)
		{
			sqlite3_bind_text(st, 1, table, -1, SQLITE_TRANSIENT);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			{
				*out = xrealloc(*out, sizeof(FkCount) * (*n + 1));
				(*out)[*n].table = xstrdup(table);
				(*out)[*n].parent = xstrdup((const char *) sqlite3_column_text(st, 0));
				(*out)[*n].n = sqlite3_column_int64(st, 1);
				(*n)++;
			}
			sqlite3_finalize(st);
		}
		if (rc != SQLITE_DONE)
		{
			*out = xrealloc(*out, sizeof(FkCount) * (*n + 1));
			(*out)[*n].table = xstrdup(table);
			(*out)[*n].parent = xstrdup(sqlite3_errmsg(c->db));
			(*out)[*n].n = -1;
			(*n)++;
		}
	}
	sqlite3_finalize(tabs);
	return DRV_OK;
}

static void
fk_free(FkCount *f, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(f[i].table);
		free(f[i].parent);
	}
	free(f);
}

/* foreign_key_check after the revert must not report more than before */
static bool
fk_verify(RvCtx *x, FkCount *before, int nbefore)
{
	FkCount    *after;
	int			nafter;
	bool		ok = true;

	if (fk_counts(x->c, &after, &nafter) != DRV_OK)
		return false;
	for (int i = 0; i < nafter; i++)
	{
		int64_t		was = 0;
		bool		broken_before = false;

		for (int k = 0; k < nbefore; k++)
		{
			if (strcmp(before[k].table, after[i].table) != 0)
				continue;
			if (before[k].n < 0)
				broken_before = true;
			else if (after[i].n >= 0 && strcmp(before[k].parent, after[i].parent) == 0)
				was = before[k].n;
		}
		if (after[i].n < 0 && !broken_before)
		{
			log_error("cannot revert: the foreign keys of table \"%s\" could not be checked after the revert: %s",
					  after[i].table, after[i].parent);
			log_error_detail("Everything was rolled back.");
			ok = false;
		}
		else if (after[i].n > was)
		{
			log_error("cannot revert: foreign key check failed: table \"%s\" would have %lld row%s "
					  "referencing missing rows of \"%s\"", after[i].table,
					  (long long) (after[i].n - was), after[i].n - was == 1 ? "" : "s",
					  after[i].parent);
			log_error_detail("PRAGMA foreign_key_check reported it after the revert statements; "
							 "everything was rolled back.");
			ok = false;
		}
	}
	fk_free(after, nafter);
	return ok;
}

static int
record_revert(RvCtx *x, const char *plan, Revision *revs, int from, int to)
{
	SqConn	   *c = x->c;
	sqlite3_stmt *st;
	int64_t		unit;
	int			rc;

	rc = sqlite3_prepare_v2(c->db, "INSERT INTO " SQ_UNITS_TABLE
							" (kind, version, content, started_at, finished_at)"
							" VALUES ('revert', ?1, ?2, ?3, ?3)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, x->target_version ? x->target_version : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, plan, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, sq_now_us());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	unit = sqlite3_last_insert_rowid(c->db);
	for (int i = from; i < to; i++)
	{
		rc = sqlite3_prepare_v2(c->db, "DELETE FROM " SQ_REVISIONS_TABLE " WHERE version = ?1",
								-1, &st, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, revs[i].version, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (int i = 0; i < x->nsegs; i++)
		for (int k = 0; k < x->segs[i].nunits; k++)
		{
			rc = sqlite3_prepare_v2(c->db, "UPDATE " SQ_UNITS_TABLE " SET reverted_by = ?1 WHERE id = ?2",
									-1, &st, NULL);
			if (rc != SQLITE_OK)
				goto fail;
			sqlite3_bind_int64(st, 1, unit);
			sqlite3_bind_int64(st, 2, x->segs[i].units[k]);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				goto fail;
		}
	return DRV_OK;

fail:
	sq_log_sqlite_error(c, "recording the revert", sqlite3_errmsg(c->db));
	return DRV_ERROR;
}

static char *
plan_text(RvCtx *x)
{
	StrBuf		b;

	sb_init(&b);
	for (int i = 0; i < x->nsegs; i++)
	{
		RvSegment  *s = &x->segs[i];
		char	   *t = versions_title(s, "reverting");

		sb_printf(&b, "-- %s%s\n", t, s->handwritten ? " (hand-written)" : "");
		free(t);
		for (int k = 0; k < s->nchecks; k++)
			sb_printf(&b, "-- check: %s;\n", s->checks[k].sql);
		for (int k = 0; k < s->nsteps; k++)
			sb_printf(&b, "%s;\n", s->steps[k]);
	}
	return sb_steal(&b);
}

/* execute the planned segments in one transaction */
static int
execute(RvCtx *x, Reporter *r, const char *plan, const char *plan_hash,
		Revision *revs, int from, int to)
{
	SqConn	   *c = x->c;
	bool		dry = x->req->dry_run;
	FkCount    *fk_before = NULL;
	int			nfk_before = 0;
	int			failures = 0;
	bool		ran = false;
	int			rc = DRV_ERROR;

	if (sq_exec(c->db, "BEGIN IMMEDIATE", NULL) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "starting the revert", sqlite3_errmsg(c->db));
		return DRV_ERROR;
	}
	if (fk_counts(c, &fk_before, &nfk_before) != DRV_OK)
		goto out;
	for (int i = 0; i < x->nsegs; i++)
	{
		RvSegment  *s = &x->segs[i];
		bool		run_stmts = !dry || i + 1 < x->nsegs;
		char	   *title;
		int64_t		t0;

		if (s->nchecks > 0 && !run_checks(x, s, r, &failures))
			goto out;
		title = versions_title(s, "reverting");
		report_group(r, title);
		free(title);
		if (i == 0)
		{
			char	   *n = xasprintf("plan hash %s", plan_hash);

			report_note(r, n);
			free(n);
		}
		if (s->handwritten)
			report_note(r, "hand-written down statements from the migration file");
		for (int k = 0; k < s->nnotes; k++)
			report_note(r, s->notes[k]);
		if (s->nsteps == 0)
			report_note(r, "nothing to undo");
		if (dry && run_stmts)
			report_note(r, "dry run: these statements run inside a transaction that is rolled "
						"back, so that the checks of the next versions see their effect");
		t0 = sq_clock_ns();
		for (int k = 0; k < s->nsteps; k++)
		{
			char	   *err = NULL;

			report_stmt(r, s->steps[k]);
			if (run_stmts && sq_exec(c->db, s->steps[k], &err) != SQLITE_OK)
			{
				report_group_error(r, s->steps[k], err);
				log_error("revert of SQLite database \"%s\" failed: %s", c->path, err);
				log_error_detail("The failing statement was: %s", s->steps[k]);
				log_error_hint("Everything was rolled back; the database is as it was.");
				free(err);
				goto out;
			}
			ran |= run_stmts;
		}
		if (run_stmts && !verify_segment(x, s))
			goto out;
		report_group_ok(r, sq_clock_ns() - t0);
	}
	if (ran && !fk_verify(x, fk_before, nfk_before))
		goto out;
	if (dry)
	{
		rc = DRV_OK;
		goto out;
	}
	if (record_revert(x, plan, revs, from, to) != DRV_OK)
		goto out;
	if (sq_exec(c->db, "COMMIT", NULL) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "committing the revert", sqlite3_errmsg(c->db));
		goto out;
	}
	rc = DRV_OK;

out:
	if (!sqlite3_get_autocommit(c->db))
		sq_exec(c->db, "ROLLBACK", NULL);
	fk_free(fk_before, nfk_before);
	return rc;
}

/* ------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------
 */

/* which revisions to revert: [*from, *to) of revs (sorted) */
static int
choose_versions(RvCtx *x, Revision *revs, int n, int *from, int *to)
{
	const DownRequest *req = x->req;
	char	   *tag_version = NULL;
	const char *target = req->to_version;

	*to = n;
	*from = n;
	if (req->to_tag)
	{
		if (lookup_tag(x->c, req->to_tag, &tag_version) != DRV_OK)
			return DRV_ERROR;
		if (tag_version == NULL)
		{
			log_error("tag \"%s\" is not recorded in SQLite database \"%s\"", req->to_tag, x->c->path);
			log_error_hint("\"migrate tag NAME\" records the current version under a name.");
			return DRV_ERROR;
		}
		target = tag_version;
	}
	if (target)
	{
		int			at = -1;

		for (int i = 0; i < n; i++)
			if (strcmp(revs[i].version, target) == 0)
				at = i;
		if (at < 0)
		{
			log_error("version \"%s\" is not applied to SQLite database \"%s\"", target, x->c->path);
			log_error_hint("\"migrate status\" lists the applied versions.");
			free(tag_version);
			return DRV_ERROR;
		}
		*from = at + 1;
	}
	else
	{
		int			steps = req->steps > 0 ? req->steps : 1;

		*from = n - steps < 0 ? 0 : n - steps;
	}
	free(tag_version);
	for (int i = *from; i < *to; i++)
		if (revs[i].type & REV_BASELINE)
		{
			log_error("cannot revert version %s of SQLite database \"%s\": it is the baseline",
					  revs[i].version, x->c->path);
			log_error_detail("The baseline stands for the schema that existed before migrate "
							 "managed it; there is nothing recorded to undo it.");
			return DRV_ERROR;
		}
	return DRV_OK;
}

int
sq_down(Driver *d, const DownRequest *req, Reporter *r)
{
	SqConn	   *c = (SqConn *) d->priv;
	RvCtx		x;
	RevisionList revs;
	SqSchema	live;
	bool		ready;
	int			from,
				to;
	int			rc = DRV_ERROR;
	char	   *err = NULL;
	char	   *plan = NULL;
	char		hash[64];
	int64_t		fk_on = 0;
	int			legacy = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.req = req;
	if (sq_bookkeeping_ready(c, &ready) != DRV_OK)
		return DRV_ERROR;
	if (!ready)
		return DRV_OK;			/* nothing was ever applied */
	c->ready = true;
	if (sq_read_revisions_raw(c, &revs) != DRV_OK)
		return DRV_ERROR;
	if (revs.n > 1)
		qsort(revs.items, revs.n, sizeof(Revision), rev_cmp);
	if (choose_versions(&x, revs.items, revs.n, &from, &to) != DRV_OK)
		goto done;
	if (from >= to)
	{
		rc = DRV_OK;
		goto done;
	}
	x.target_version = from > 0 ? revs.items[from - 1].version : NULL;
	if (build_segments(&x, revs.items, from, to) != DRV_OK || check_interleaving(&x) != DRV_OK)
		goto done;

	/* rehearse every segment on a copy of the schema */
	if ((x.S = sq_scratch_open(&err)) == NULL ||
		sq_schema_read(c->db, &live, &err) != SQLITE_OK)
	{
		sq_log_sqlite_error(c, "planning the revert", err);
		goto done;
	}
	{
		char	   *skipped = NULL;

		if (sq_scratch_load(x.S, &live, &skipped, &err) != SQLITE_OK)
		{
			log_error("cannot plan the revert: the schema of \"%s\" does not load into a scratch "
					  "database: %s", c->path, err);
			sq_schema_free(&live);
			goto done;
		}
		if (skipped)
			seg_note(&x.segs[0], xasprintf("virtual tables left out of the rehearsal (their "
										   "module is not available): %s", skipped));
		free(skipped);
	}
	sq_schema_free(&live);
	sqlite3_db_config(x.S, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0, NULL);
	x.valid_before = sq_schema_valid(x.S, &err);
	if (!x.valid_before)
	{
		seg_note(&x.segs[0], xasprintf("the schema already has an invalid view or trigger (%s): "
									   "the revert does not check that views and triggers "
									   "still compile", err));
		free(err);
		err = NULL;
	}
	for (int i = 0; i < x.nsegs; i++)
		if (!plan_segment(&x, &x.segs[i]))
		{
			log_error("%s", x.error ? x.error : "cannot plan the revert");
			if (x.error_detail)
				log_error_detail("%s", x.error_detail);
			if (x.error_hint)
				log_error_hint("%s", x.error_hint);
			goto done;
		}
	plan = plan_text(&x);
	hash_bytes(plan, strlen(plan), hash);
	if (req->plan_hash && strcmp(req->plan_hash, hash) != 0)
	{
		log_error("the revert plan changed since it was reviewed");
		log_error_detail("The plan now hashes to %s, not %s.", hash, req->plan_hash);
		log_error_hint("Run \"migrate down --dry-run\" again and review the new plan.");
		goto done;
	}

	report_down_header(r, revs.items[to - 1].version, x.target_version, to - from);

	/* foreign keys cannot be switched inside a transaction: do it around it */
	sq_query_int(c->db, "PRAGMA foreign_keys", &fk_on, NULL);
	if (fk_on)
		sq_exec(c->db, "PRAGMA foreign_keys = OFF", NULL);
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &legacy);
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0, NULL);
	rc = execute(&x, r, plan, hash, revs.items, from, to);
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, legacy, NULL);
	if (fk_on)
		sq_exec(c->db, "PRAGMA foreign_keys = ON", NULL);

done:
	free(err);
	free(plan);
	free(x.error);
	free(x.error_detail);
	free(x.error_hint);
	free_strs(x.pending_from, x.npending);
	free_strs(x.pending_to, x.npending);
	for (int i = 0; i < x.nsegs; i++)
		segment_free(&x.segs[i]);
	free(x.segs);
	if (x.S)
		sqlite3_close(x.S);
	sq_revisions_free(&revs);
	return rc;
}
