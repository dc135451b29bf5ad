/*-------------------------------------------------------------------------
 *
 * driver_sqlite_history.c
 *	  What a migration changed, and the images stored for it.
 *
 * A unit is one apply_file call: a migration file, or the part of it that
 * ran.  While a unit runs, the schema cookie (PRAGMA schema_version) is
 * read after every statement; when it moved, sqlite_master is read again
 * and compared with the previous copy.  That yields, per statement:
 *
 *	- objects that appeared, vanished or whose text changed;
 *	- table renames: a table that vanished and one that appeared with the
 *	  same root page (ALTER TABLE RENAME keeps the b-tree);
 *	- column renames: after an ALTER statement, a table whose columns keep
 *	  their number and differ in exactly one name.
 *
 * Each touched object is followed through the unit by name (SqTouch).  At
 * the end, a table dropped and re-created under the same name within the
 * unit (the usual "create new, copy, drop, rename" rebuild) is one object
 * that changed, not a drop and an unrelated creation.
 *
 * The images of a unit are one row per touched object with its
 * definition before and after the unit (NULL when it did not exist), a
 * description from the pragmas, and the column renames.  The state of an
 * object before the first reverted unit that touched it is what a revert
 * restores.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_sqlite_history.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_sqlite.h"

static int
read_cookie(sqlite3 *db, int64_t *v, char **err)
{
	return sq_query_int(db, "PRAGMA main.schema_version", v, err);
}

int
sq_capture_begin(sqlite3 *db, SqCapture *c, char **err)
{
	int			rc;

	memset(c, 0, sizeof(*c));
	if ((rc = read_cookie(db, &c->schema_version, err)) != SQLITE_OK)
		return rc;
	if ((rc = sq_schema_read(db, &c->start, err)) != SQLITE_OK)
		return rc;
	sq_schema_copy(&c->start, &c->cur);
	return SQLITE_OK;
}

static SqTouch *
touch_by_cur(SqCapture *c, SqKind kind, const char *name)
{
	for (int i = 0; i < c->ntouches; i++)
		if (c->touches[i].cur_name && sq_same_namespace(c->touches[i].kind, kind) &&
			sq_name_eq(c->touches[i].cur_name, name))
			return &c->touches[i];
	return NULL;
}

static SqTouch *
touch_new(SqCapture *c, SqKind kind, const char *start, const char *cur)
{
	SqTouch    *t;

	c->touches = xrealloc(c->touches, sizeof(SqTouch) * (c->ntouches + 1));
	t = &c->touches[c->ntouches++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->start_name = xstrdup(start);
	t->cur_name = xstrdup(cur);
	return t;
}

/* the touch following the object now named name, created if untouched */
static SqTouch *
touch_get(SqCapture *c, SqKind kind, const char *name)
{
	SqTouch    *t = touch_by_cur(c, kind, name);

	return t ? t : touch_new(c, kind, name, name);
}

/*
 * An object that appears under the name an object of the unit's start had
 * before this unit dropped it is that object again (a rebuild: drop and
 * create, or create under a temporary name, drop, rename).  Returns the
 * touch of the dropped object, or NULL.
 */
static SqTouch *
touch_dropped(SqCapture *c, SqKind kind, const char *name)
{
	for (int i = 0; i < c->ntouches; i++)
		if (c->touches[i].start_name && c->touches[i].cur_name == NULL &&
			sq_same_namespace(c->touches[i].kind, kind) &&
			sq_name_eq(c->touches[i].dropped_name, name))
			return &c->touches[i];
	return NULL;
}

static void
touch_add_rename(SqTouch *t, const char *old, const char *new)
{
	t->ren_old = xrealloc(t->ren_old, sizeof(char *) * (t->nren + 1));
	t->ren_new = xrealloc(t->ren_new, sizeof(char *) * (t->nren + 1));
	t->ren_old[t->nren] = xstrdup(old);
	t->ren_new[t->nren] = xstrdup(new);
	t->nren++;
}

/* column names of a CREATE TABLE text, through a scratch database */
static int
columns_of_text(const char *sql, SqTable *out, char **err)
{
	sqlite3    *s = sq_scratch_open(err);
	int			rc;
	SqSchema	one;
	SqObject	o;

	if (s == NULL)
		return SQLITE_ERROR;
	memset(&o, 0, sizeof(o));
	o.kind = SQ_TABLE;
	o.sql = (char *) sql;
	one.items = &o;
	one.n = 1;
	rc = sq_scratch_load(s, &one, NULL, err);
	if (rc == SQLITE_OK)
	{
		char	   *name = NULL;
		sqlite3_stmt *st;

		rc = sqlite3_prepare_v2(s, "SELECT name FROM sqlite_master WHERE type = 'table'",
								-1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			name = xstrdup((const char *) sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (name)
			rc = sq_describe_table(s, name, out, err);
		else
		{
			rc = SQLITE_ERROR;
			*err = xstrdup("table definition did not create a table");
		}
		free(name);
	}
	sqlite3_close(s);
	return rc;
}

/* after an ALTER statement: did it rename one column of table name? */
static int
detect_column_rename(sqlite3 *db, SqTouch *t, const SqObject *before,
					 const SqObject *after, char **err)
{
	SqTable		a,
				b;
	int			rc;
	int			diff = -1;
	int			ndiff = 0;

	if ((rc = columns_of_text(before->sql, &a, err)) != SQLITE_OK)
		return rc;
	if ((rc = sq_describe_table(db, after->name, &b, err)) != SQLITE_OK)
	{
		sq_table_free(&a);
		return rc;
	}
	if (a.ncols == b.ncols)
	{
		for (int i = 0; i < a.ncols; i++)
			if (!sq_name_eq(a.cols[i].name, b.cols[i].name))
			{
				diff = i;
				ndiff++;
			}
		if (ndiff == 1)
			touch_add_rename(t, a.cols[diff].name, b.cols[diff].name);
	}
	sq_table_free(&a);
	sq_table_free(&b);
	return SQLITE_OK;
}

int
sq_capture_after(sqlite3 *db, SqCapture *c, const char *stmt, char **err)
{
	int64_t		cookie;
	SqSchema	now;
	int			rc;
	bool	   *renamed_to;
	bool		is_alter;
	char		word[16];

	if ((rc = read_cookie(db, &cookie, err)) != SQLITE_OK)
		return rc;
	if (cookie == c->schema_version)
	{
		/* rows and settings are not part of the history: say so later */
		sq_first_word(stmt, word, sizeof(word));
		if (strcmp(word, "insert") == 0 || strcmp(word, "update") == 0 ||
			strcmp(word, "delete") == 0 || strcmp(word, "replace") == 0 ||
			strcmp(word, "with") == 0 || strcmp(word, "pragma") == 0)
		{
			size_t		n = strlen(c->data_kinds);

			c->data_stmts++;
			if (strstr(c->data_kinds, word) == NULL && n + strlen(word) + 3 < sizeof(c->data_kinds))
				snprintf(c->data_kinds + n, sizeof(c->data_kinds) - n, "%s%s",
						 n ? ", " : "", word);
		}
		return SQLITE_OK;
	}
	c->schema_version = cookie;
	if ((rc = sq_schema_read(db, &now, err)) != SQLITE_OK)
		return rc;
	sq_first_word(stmt, word, sizeof(word));
	is_alter = strcmp(word, "alter") == 0;
	renamed_to = calloc(now.n ? now.n : 1, sizeof(bool));

	/* vanished objects, and renames among them */
	for (int i = 0; i < c->cur.n; i++)
	{
		SqObject   *o = &c->cur.items[i];
		SqObject   *n = sq_schema_find(&now, o->kind, o->name);
		SqTouch    *t;

		if (o->is_shadow || (n && n->kind == o->kind))
			continue;
		t = touch_get(c, o->kind, o->name);
		free(t->dropped_name);
		t->dropped_name = t->cur_name;
		t->cur_name = NULL;
		if (o->kind == SQ_TABLE && o->rootpage > 0)
		{
			for (int j = 0; j < now.n; j++)
			{
				SqObject   *a = &now.items[j];

				if (a->kind == SQ_TABLE && a->rootpage == o->rootpage && !renamed_to[j] &&
					sq_schema_find(&c->cur, SQ_TABLE, a->name) == NULL)
				{
					SqTouch    *was = t->start_name ? NULL : touch_dropped(c, SQ_TABLE, a->name);

					renamed_to[j] = true;
					if (was == NULL)
					{
						t->cur_name = xstrdup(a->name);
						free(t->dropped_name);
						t->dropped_name = NULL;
						break;
					}

					/*
					 * the new copy of a rebuilt table takes the old one's
					 * place
					 */
					was->cur_name = xstrdup(a->name);
					free(t->dropped_name);
					t->dropped_name = NULL;
					for (int k = 0; k < t->nren; k++)
						touch_add_rename(was, t->ren_old[k], t->ren_new[k]);
					break;
				}
			}
		}
	}
	/* appeared and changed objects */
	for (int j = 0; j < now.n; j++)
	{
		SqObject   *n = &now.items[j];
		SqObject   *o = sq_schema_find(&c->cur, n->kind, n->name);

		if (n->is_shadow || renamed_to[j])
			continue;
		if (o == NULL || o->kind != n->kind)
		{
			SqTouch    *was = touch_dropped(c, n->kind, n->name);

			if (was)
				was->cur_name = xstrdup(n->name);
			else
				touch_new(c, n->kind, NULL, n->name);
		}
		else if (strcmp(o->sql, n->sql) != 0)
		{
			SqTouch    *t = touch_get(c, n->kind, n->name);

			if (is_alter && n->kind == SQ_TABLE &&
				(rc = detect_column_rename(db, t, o, n, err)) != SQLITE_OK)
				break;
		}
	}
	free(renamed_to);
	sq_schema_free(&c->cur);
	c->cur = now;
	return rc;
}

/*
 * Net effect of the unit: a table (or view, index, trigger) that was
 * dropped and another one created under the same name is one object.
 */
static void
capture_merge(SqCapture *c)
{
	for (int i = 0; i < c->ntouches; i++)
	{
		SqTouch    *a = &c->touches[i];

		if (a->start_name == NULL || a->cur_name != NULL)
			continue;
		for (int j = 0; j < c->ntouches; j++)
		{
			SqTouch    *b = &c->touches[j];

			if (j == i || b->start_name != NULL || b->cur_name == NULL ||
				!sq_same_namespace(a->kind, b->kind) || !sq_name_eq(a->dropped_name, b->cur_name))
				continue;
			a->cur_name = b->cur_name;
			b->cur_name = NULL;
			for (int k = 0; k < b->nren; k++)
				touch_add_rename(a, b->ren_old[k], b->ren_new[k]);
			break;
		}
	}
}

static void
json_str(StrBuf *b, const char *s)
{
	sb_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == '"' || *p == '\\')
		{
			sb_putc(b, '\\');
			sb_putc(b, (char) *p);
		}
		else if (*p < 0x20)
			sb_printf(b, "\\u%04x", *p);
		else
			sb_putc(b, (char) *p);
	}
	sb_putc(b, '"');
}

static char *
renames_json(const SqTouch *t)
{
	StrBuf		b;

	if (t->nren == 0)
		return NULL;
	sb_init(&b);
	sb_putc(&b, '[');
	for (int i = 0; i < t->nren; i++)
	{
		if (i)
			sb_putc(&b, ',');
		sb_putc(&b, '[');
		json_str(&b, t->ren_old[i]);
		sb_putc(&b, ',');
		json_str(&b, t->ren_new[i]);
		sb_putc(&b, ']');
	}
	sb_putc(&b, ']');
	return sb_steal(&b);
}

/* description of a definition that is no longer live */
static char *
detail_of_text(const SqObject *o, const SqSchema *schema)
{
	char	   *err = NULL;
	sqlite3    *s;
	SqSchema	part;
	SqObject	items[2];
	char	   *detail = NULL;

	if (o->kind != SQ_TABLE && o->kind != SQ_INDEX)
		return NULL;
	if (o->is_virtual || (s = sq_scratch_open(&err)) == NULL)
	{
		free(err);
		return NULL;
	}
	part.items = items;
	part.n = 0;
	if (o->kind == SQ_INDEX)
	{
		SqObject   *t = sq_schema_find(schema, SQ_TABLE, o->tbl_name);

		if (t == NULL || t->kind != SQ_TABLE)
		{
			sqlite3_close(s);
			return NULL;
		}
		items[part.n++] = *t;
	}
	items[part.n++] = *o;
	if (sq_scratch_load(s, &part, NULL, &err) == SQLITE_OK)
	{
		if (o->kind == SQ_INDEX)
			detail = sq_describe_index(s, o->name);
		else
		{
			SqTable		t;

			if (sq_describe_table(s, o->name, &t, &err) == SQLITE_OK)
			{
				detail = t.detail;
				t.detail = NULL;
				sq_table_free(&t);
			}
		}
	}
	free(err);
	sqlite3_close(s);
	return detail;
}

static char *
detail_live(sqlite3 *db, const SqObject *o)
{
	char	   *err = NULL;

	if (o->kind == SQ_INDEX)
		return sq_describe_index(db, o->name);
	if (o->kind == SQ_TABLE && !o->is_virtual)
	{
		SqTable		t;
		char	   *d;

		if (sq_describe_table(db, o->name, &t, &err) != SQLITE_OK)
		{
			free(err);
			return NULL;
		}
		d = t.detail;
		t.detail = NULL;
		sq_table_free(&t);
		return d;
	}
	return NULL;
}

static void
bind_object(sqlite3_stmt *st, int col, const SqObject *o, char *detail)
{
	if (o == NULL)
	{
		for (int i = 0; i < 5; i++)
			sqlite3_bind_null(st, col + i);
		return;
	}
	sqlite3_bind_text(st, col, sq_kind_name(o->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, col + 1, o->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, col + 2, o->tbl_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, col + 3, o->sql, -1, SQLITE_TRANSIENT);
	if (detail)
		sqlite3_bind_text(st, col + 4, detail, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col + 4);
}

int
sq_capture_write(sqlite3 *db, SqCapture *c, int64_t unit, char **err)
{
	sqlite3_stmt *del,
			   *ins;
	int			rc;
	int			seq = 0;

	capture_merge(c);
	rc = sqlite3_prepare_v2(db, "DELETE FROM " SQ_IMAGES_TABLE " WHERE unit = ?1", -1, &del, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_int64(del, 1, unit);
	rc = sqlite3_step(del);
	sqlite3_finalize(del);
	if (rc != SQLITE_DONE)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	rc = sqlite3_prepare_v2(db,
							"INSERT INTO " SQ_IMAGES_TABLE
							" (unit, seq, before_type, before_name, before_tbl, before_sql,"
							"  before_detail, after_type, after_name, after_tbl, after_sql,"
							"  after_detail, column_renames)"
							" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
							-1, &ins, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	for (int i = 0; i < c->ntouches; i++)
	{
		SqTouch    *t = &c->touches[i];
		SqObject   *b = t->start_name ? sq_schema_find(&c->start, t->kind, t->start_name) : NULL;
		SqObject   *a = t->cur_name ? sq_schema_find(&c->cur, t->kind, t->cur_name) : NULL;
		char	   *bd,
				   *ad,
				   *ren;

		if (a == NULL && b == NULL)
			continue;
		if (a && b && a->kind == b->kind && strcmp(a->sql, b->sql) == 0 &&
			sq_name_eq(a->name, b->name) && t->nren == 0)
			continue;
		bd = b ? detail_of_text(b, &c->start) : NULL;
		ad = a ? detail_live(db, a) : NULL;
		ren = renames_json(t);
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, unit);
		sqlite3_bind_int(ins, 2, ++seq);
		bind_object(ins, 3, b, bd);
		bind_object(ins, 8, a, ad);
		if (ren)
			sqlite3_bind_text(ins, 13, ren, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(ins, 13);
		rc = sqlite3_step(ins);
		free(bd);
		free(ad);
		free(ren);
		if (rc != SQLITE_DONE)
		{
			*err = xstrdup(sqlite3_errmsg(db));
			sqlite3_finalize(ins);
			return rc;
		}
	}
	sqlite3_finalize(ins);
	return SQLITE_OK;
}

void
sq_capture_free(SqCapture *c)
{
	for (int i = 0; i < c->ntouches; i++)
	{
		SqTouch    *t = &c->touches[i];

		free(t->start_name);
		free(t->cur_name);
		free(t->dropped_name);
		for (int k = 0; k < t->nren; k++)
		{
			free(t->ren_old[k]);
			free(t->ren_new[k]);
		}
		free(t->ren_old);
		free(t->ren_new);
	}
	free(c->touches);
	sq_schema_free(&c->start);
	sq_schema_free(&c->cur);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------------
 * Reading images back
 * ------------------------------------------------------------------------
 */
static bool
read_object(sqlite3_stmt *st, int col, SqObject *o)
{
	const char *type = (const char *) sqlite3_column_text(st, col);

	memset(o, 0, sizeof(*o));
	if (type == NULL)
		return false;
	o->kind = (SqKind) sq_kind_from_name(type);
	o->name = xstrdup((const char *) sqlite3_column_text(st, col + 1));
	o->tbl_name = xstrdup((const char *) sqlite3_column_text(st, col + 2));
	o->sql = xstrdup((const char *) sqlite3_column_text(st, col + 3));
	o->is_virtual = o->sql && sqlite3_strnicmp(o->sql, "CREATE VIRTUAL", 14) == 0;
	return true;
}

static int
read_renames(sqlite3 *db, const char *json, SqImage *img, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(db,
							"SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')"
							"  FROM json_each(?1) ORDER BY key", -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		img->ren_old = xrealloc(img->ren_old, sizeof(char *) * (img->nren + 1));
		img->ren_new = xrealloc(img->ren_new, sizeof(char *) * (img->nren + 1));
		img->ren_old[img->nren] = xstrdup((const char *) sqlite3_column_text(st, 0));
		img->ren_new[img->nren] = xstrdup((const char *) sqlite3_column_text(st, 1));
		img->nren++;
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
sq_images_read(sqlite3 *db, int64_t unit, SqImage **out, int *n, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(db,
							"SELECT before_type, before_name, before_tbl, before_sql,"
							"       after_type, after_name, after_tbl, after_sql, column_renames"
							"  FROM " SQ_IMAGES_TABLE " WHERE unit = ?1 ORDER BY seq",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_int64(st, 1, unit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		SqImage    *img;
		const char *ren = (const char *) sqlite3_column_text(st, 8);

		*out = xrealloc(*out, sizeof(SqImage) * (*n + 1));
		img = &(*out)[(*n)++];
		memset(img, 0, sizeof(*img));
		img->unit = unit;
		img->has_before = read_object(st, 0, &img->before);
		img->has_after = read_object(st, 4, &img->after);
		img->kind = img->has_after ? img->after.kind : img->before.kind;
		if (ren && (rc = read_renames(db, ren, img, err)) != SQLITE_OK)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
	{
		if (*err == NULL)
			*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	return SQLITE_OK;
}

void
sq_images_free(SqImage *imgs, int n)
{
	for (int i = 0; i < n; i++)
	{
		sq_object_free(&imgs[i].before);
		sq_object_free(&imgs[i].after);
		for (int k = 0; k < imgs[i].nren; k++)
		{
			free(imgs[i].ren_old[k]);
			free(imgs[i].ren_new[k]);
		}
		free(imgs[i].ren_old);
		free(imgs[i].ren_new);
	}
	free(imgs);
}
