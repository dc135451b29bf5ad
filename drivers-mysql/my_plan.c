/*-------------------------------------------------------------------------
 *
 * my_plan.c
 *	  The revert planner: from the live image and the recorded image of
 *	  each object a unit changed, the statements that bring the live state
 *	  back, each with the data checks that must pass before it runs.
 *
 * Tables are changed with one ALTER TABLE each (atomic on MariaDB 10.6 and
 * later and on MySQL 8), so a revert step is all or nothing.  The one
 * exception: a foreign key dropped and re-added under the same name needs
 * the drop in a statement of its own.  Column renames recorded in the
 * history become CHANGE clauses, so data follows the column back.
 *
 * Order of steps within a unit: triggers, views and routines that must go
 * are dropped first; then table renames, creations, alterations (referenced
 * tables first) and drops; then views, routines and triggers are created or
 * replaced.  The executor runs with foreign_key_checks off, and checks for
 * orphan rows itself before a foreign key is added.
 *
 * Objects the driver cannot rebuild (events, sequences, partitioned or
 * system-versioned tables) are never skipped silently: if one differs from
 * its recorded state, the plan carries a refusal.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_plan.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "my_int.h"

/* ------------------------------------------------------------------------
 * Plan construction helpers
 * ------------------------------------------------------------------------
 */
static PlanStep *
add_step(Plan *p, char *sql)
{
	PlanStep   *s;

	p->steps = xrealloc(p->steps, (p->n + 1) * sizeof(PlanStep));
	s = &p->steps[p->n++];
	memset(s, 0, sizeof(*s));
	s->sql = sql;
	return s;
}

static PlanCheck *
add_check(PlanStep *s, CheckKind kind, const char *object, const char *table, bool loss)
{
	PlanCheck  *c;

	s->checks = xrealloc(s->checks, (s->nchecks + 1) * sizeof(PlanCheck));
	c = &s->checks[s->nchecks++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->object = xstrdup(object);
	c->table = xstrdup(table);
	c->loss = loss;
	return c;
}

static void
refuse(Plan *p, char *msg)
{
	if (p->refusal == NULL)
		p->refusal = msg;
	else
		free(msg);
}

void
my_plan_free(Plan *p)
{
	for (int i = 0; i < p->n; i++)
	{
		PlanStep   *s = &p->steps[i];

		for (int j = 0; j < s->nchecks; j++)
		{
			PlanCheck  *c = &s->checks[j];

			free(c->object);
			free(c->table);
			free(c->column);
			ml_free(&c->columns);
			free(c->ref_table);
			free(c->setup);
			free(c->sql);
			free(c->cleanup);
		}
		free(s->checks);
		free(s->sql);
		free(s->pre);
	}
	free(p->steps);
	ml_free(&p->notes);
	free(p->refusal);
	memset(p, 0, sizeof(*p));
}

void
my_plan_object_free(PlanObject *o)
{
	free(o->name);
	free(o->live_name);
	free(o->target);
	free(o->live);
	ml_free(&o->col_old);
	ml_free(&o->col_new);
	memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------------------
 * Identifier mapping (column renames)
 * ------------------------------------------------------------------------
 */

/*
 * Rewrite backticked identifiers of text that appear in from[] into the
 * matching to[], only inside parentheses (min_depth >= 1), or only inside
 * the first parenthesised group (first_group).  Column names compare
 * case-insensitively.
 */
static char *
map_idents(const char *text, const MyList *from, const MyList *to, bool first_group)
{
	StrBuf		sb;
	int			depth = 0;
	bool		group_done = false;
	size_t		n = strlen(text);

	sb_init(&sb);
	for (size_t i = 0; i < n; i++)
	{
		char		c = text[i];

		if (c == '\'' || c == '"')
		{
			size_t		j = i + 1;

			while (j < n)
			{
				if (text[j] == '\\' && j + 1 < n)
				{
					j += 2;
					continue;
				}
				if (text[j] == c)
				{
					if (j + 1 < n && text[j + 1] == c)
					{
						j += 2;
						continue;
					}
					break;
				}
				j++;
			}
			sb_put(&sb, text +i, (j < n ? j + 1 : n) - i);
			i = j < n ? j : n;
			continue;
		}
		if (c == '`')
		{
			size_t		j = i + 1;
			StrBuf		id;
			int			k = -1;

			sb_init(&id);
			while (j < n)
			{
				if (text[j] == '`')
				{
					if (j + 1 < n && text[j + 1] == '`')
					{
						sb_putc(&id, '`');
						j += 2;
						continue;
					}
					break;
				}
				sb_putc(&id, text[j++]);
			}
			if (depth > 0 && !(first_group && group_done))
				for (int m = 0; m < from->n; m++)
					if (strcasecmp(from->items[m], id.data) == 0)
					{
						k = m;
						break;
					}
			if (k >= 0)
				mb_ident(&sb, to->items[k]);
			else
				sb_put(&sb, text +i, (j < n ? j + 1 : n) - i);
			sb_free(&id);
			i = j < n ? j : n;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')')
		{
			depth--;
			if (depth == 0)
				group_done = true;
		}
		sb_putc(&sb, c);
	}
	return sb_steal(&sb);
}

static const char *
map_one(const MyList *from, const MyList *to, const char *name)
{
	for (int i = 0; i < from->n; i++)
		if (strcasecmp(from->items[i], name) == 0)
			return to->items[i];
	return name;
}

/* ------------------------------------------------------------------------
 * Column comparison and type widening
 * ------------------------------------------------------------------------
 */

/* the definition with an explicit character set and collation */
static char *
absolute_def(const TableDef *t, const ColDef *c, const char *def)
{
	char	   *cs,
			   *co,
			   *res;
	size_t		tl = strlen(c->type);

	if (!c->textual || c->charset || c->collation || strncmp(def, c->type, tl) != 0)
		return xstrdup(def);
	cs = my_col_effective_charset(t, c);
	co = my_col_effective_collation(t, c);
	if (cs[0] == '\0' || co[0] == '\0')
		res = xstrdup(def);
	else
		res = xasprintf("%s CHARACTER SET %s COLLATE %s%s", c->type, cs, co, def + tl);
	free(cs);
	free(co);
	return res;
}

static bool
same_charset(const TableDef *lt, const ColDef *lc, const TableDef *tt, const ColDef *tc)
{
	char	   *a,
			   *b,
			   *x,
			   *y;
	bool		same;

	if (!lc->textual && !tc->textual)
		return true;
	a = my_col_effective_charset(lt, lc);
	b = my_col_effective_charset(tt, tc);
	x = my_col_effective_collation(lt, lc);
	y = my_col_effective_collation(tt, tc);
	same = a && b && x && y && strcmp(a, b) == 0 && strcmp(x, y) == 0;
	free(a);
	free(b);
	free(x);
	free(y);
	return same;
}

/* text of the definition without explicit charset/collation words, for
 * comparing two columns whose effective charsets were found equal */
static char *
strip_charset(const ColDef *c, const char *def)
{
	TokList		tl;
	StrBuf		sb;
	size_t		pos = 0;

	my_lex(def, &tl);
	sb_init(&sb);
	for (int i = 0; i < tl.n; i++)
	{
		Token	   *k = &tl.items[i];
		int			skip = 0;

		if (k->depth == 0 && my_tok_is(k, "CHARACTER") && i + 2 < tl.n && my_tok_is(&tl.items[i + 1], "SET"))
			skip = 3;
		else if (k->depth == 0 && my_tok_is(k, "COLLATE") && i + 1 < tl.n)
			skip = 2;
		if (skip)
		{
			sb_put(&sb, def + pos, k->start - pos);
			pos = tl.items[i + skip - 1].end;
			i += skip - 1;
		}
	}
	sb_puts(&sb, def + pos);
	my_toklist_free(&tl);
	(void) c;
	return sb_steal(&sb);
}

static bool
col_equal(const TableDef *lt, const ColDef *lc, const char *ldef, const TableDef *tt,
		  const ColDef *tc)
{
	char	   *a,
			   *b;
	bool		eq;

	if (!same_charset(lt, lc, tt, tc))
		return false;
	if (strcmp(ldef, tc->def) == 0)
		return true;
	a = strip_charset(lc, ldef);
	b = strip_charset(tc, tc->def);
	eq = strcmp(a, b) == 0;
	free(a);
	free(b);
	return eq;
}

static const char *const int_types[] = {"tinyint", "smallint", "mediumint", "int", "bigint", NULL};
static const char *const text_types[] = {"tinytext", "text", "mediumtext", "longtext", NULL};
static const char *const blob_types[] = {"tinyblob", "blob", "mediumblob", "longblob", NULL};

static int
rank_in(const char *base, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(base, list[i]) == 0)
			return i;
	return -1;
}

/* numbers inside the parentheses of a type: varchar(20) -> 20; decimal(10,2) */
static int
type_args(const char *type, int *a, int *b)
{
	const char *p = strchr(type, '(');

	*a = *b = -1;
	if (p == NULL)
		return 0;
	return sscanf(p, "(%d,%d)", a, b);
}

/* Is every value of type `from` representable in type `to` (same charset)?
 * Only the common cases; anything else is checked. */
static bool
is_widening(const ColDef *from, const ColDef *to)
{
	bool		fu = strstr(from->type, "unsigned") != NULL;
	bool		tu = strstr(to->type, "unsigned") != NULL;
	int			fa,
				fb,
				ta,
				tb;
	int			r1,
				r2;

	if (strstr(from->type, "zerofill") || strstr(to->type, "zerofill"))
		return false;
	type_args(from->type, &fa, &fb);
	type_args(to->type, &ta, &tb);
	if ((r1 = rank_in(from->base, int_types)) >= 0 && (r2 = rank_in(to->base, int_types)) >= 0)
		return fu == tu ? r2 >= r1 : (fu && !tu && r2 > r1);
	if ((strcmp(from->base, "varchar") == 0 || strcmp(from->base, "char") == 0) &&
		strcmp(to->base, "varchar") == 0)
		return ta >= fa;
	if (strcmp(from->base, "char") == 0 && strcmp(to->base, "char") == 0)
		return ta >= fa;
	if (strcmp(from->base, "varbinary") == 0 && strcmp(to->base, "varbinary") == 0)
		return ta >= fa;
	if ((r1 = rank_in(from->base, text_types)) >= 0 && (r2 = rank_in(to->base, text_types)) >= 0)
		return r2 >= r1;
	if ((r1 = rank_in(from->base, blob_types)) >= 0 && (r2 = rank_in(to->base, blob_types)) >= 0)
		return r2 >= r1;
	if (strcmp(from->base, "varchar") == 0 && rank_in(to->base, text_types) >= 1)
		return true;
	if (strcmp(from->base, "decimal") == 0 && strcmp(to->base, "decimal") == 0 && fu == tu)
	{
		if (fb < 0)
			fb = 0;
		if (tb < 0)
			tb = 0;
		return tb >= fb && (ta - tb) >= (fa - fb);
	}
	if (strcmp(from->base, "float") == 0 && strcmp(to->base, "double") == 0 && fa < 0 && ta < 0)
		return true;
	if ((strcmp(from->base, "datetime") == 0 || strcmp(from->base, "timestamp") == 0 ||
		 strcmp(from->base, "time") == 0) && strcmp(from->base, to->base) == 0)
		return (ta < 0 ? 0 : ta) >= (fa < 0 ? 0 : fa);
	if (strcmp(from->base, "date") == 0 && strcmp(to->base, "datetime") == 0)
		return true;
	return false;
}

typedef enum TypeCat
{
	CAT_NUM,
	CAT_STR,
	CAT_BIN,
	CAT_TIME,
	CAT_OTHER
} TypeCat;

static TypeCat
type_cat(const ColDef *c)
{
	static const char *const num[] = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint",
	"decimal", "numeric", "float", "double", "real", "bit", "boolean", "bool", NULL};
	static const char *const bin[] = {"binary", "varbinary", "tinyblob", "blob", "mediumblob",
	"longblob", NULL};
	static const char *const tim[] = {"date", "datetime", "timestamp", "time", "year", NULL};

	if (c->textual)
		return CAT_STR;
	if (rank_in(c->base, num) >= 0)
		return CAT_NUM;
	if (rank_in(c->base, bin) >= 0)
		return CAT_BIN;
	if (rank_in(c->base, tim) >= 0)
		return CAT_TIME;
	return CAT_OTHER;
}

static char *
type_with_charset(const TableDef *t, const ColDef *c)
{
	char	   *cs,
			   *co,
			   *res;

	if (!c->textual)
		return xstrdup(c->type);
	cs = my_col_effective_charset(t, c);
	co = my_col_effective_collation(t, c);
	res = cs[0] && co[0] ? xasprintf("%s CHARACTER SET %s COLLATE %s", c->type, cs, co)
		: xstrdup(c->type);
	free(cs);
	free(co);
	return res;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------
 */
static void
check_table_empty(PlanStep *s, const char *table)
{
	PlanCheck  *c = add_check(s, CHECK_TABLE_EMPTY, table, table, true);
	StrBuf		sb;

	sb_init(&sb);
	sb_puts(&sb, "SELECT COUNT(*) FROM ");
	mb_ident(&sb, table);
	c->sql = sb_steal(&sb);
}

static char *
obj_col(const char *table, const char *col)
{
	return xasprintf("%s.%s", table, col);
}

static void
check_column(PlanStep *s, CheckKind kind, const char *table, const char *col)
{
	char	   *obj = obj_col(table, col);
	PlanCheck  *c = add_check(s, kind, obj, table, kind == CHECK_COLUMN_EMPTY);
	StrBuf		sb;

	free(obj);
	c->column = xstrdup(col);
	ml_add(&c->columns, col);
	sb_init(&sb);
	sb_puts(&sb, "SELECT COUNT(*) FROM ");
	mb_ident(&sb, table);
	sb_puts(&sb, " WHERE ");
	mb_ident(&sb, col);
	sb_puts(&sb, kind == CHECK_COLUMN_EMPTY ? " IS NOT NULL" : " IS NULL");
	c->sql = sb_steal(&sb);
}

static void
check_fit(PlanStep *s, const TableDef *lt, const ColDef *lc, const TableDef *tt,
		  const ColDef *tc)
{
	char	   *obj = obj_col(lt->name, lc->name);
	PlanCheck  *c = add_check(s, CHECK_VALUES_FIT, obj, lt->name, true);
	char	   *src = type_with_charset(lt, lc);
	char	   *dst = type_with_charset(tt, tc);
	TypeCat		a = type_cat(lc),
				b = type_cat(tc);
	StrBuf		sb;

	free(obj);
	c->column = xstrdup(lc->name);
	ml_add(&c->columns, lc->name);
	sb_init(&sb);
	sb_printf(&sb, "CREATE TEMPORARY TABLE `migrate_fit` (`src` %s NULL, `dst` %s NULL)", src, dst);
	sb_puts(&sb, ";\nINSERT IGNORE INTO `migrate_fit` SELECT ");
	mb_ident(&sb, lc->name);
	sb_puts(&sb, ", ");
	mb_ident(&sb, lc->name);
	sb_puts(&sb, " FROM ");
	mb_ident(&sb, lt->name);
	sb_puts(&sb, " WHERE ");
	mb_ident(&sb, lc->name);
	sb_puts(&sb, " IS NOT NULL");
	c->setup = sb_steal(&sb);

	sb_init(&sb);
	sb_puts(&sb, "SELECT COUNT(*) FROM `migrate_fit` WHERE ");
	if (a == b && (a == CAT_NUM || a == CAT_TIME))
		sb_puts(&sb, "NOT (`dst` <=> `src`)");
	else if (a == CAT_STR && b == CAT_STR)
		sb_puts(&sb, "NOT (CONVERT(`dst` USING utf8mb4) COLLATE utf8mb4_bin <=> "
				"CONVERT(`src` USING utf8mb4) COLLATE utf8mb4_bin) "
				"OR CHAR_LENGTH(`dst`) <> CHAR_LENGTH(`src`)");
	else if (a == CAT_BIN && b == CAT_BIN)
		sb_puts(&sb, "NOT (TRIM(TRAILING 0x00 FROM `dst`) <=> TRIM(TRAILING 0x00 FROM `src`))");
	else
		sb_puts(&sb, "NOT (CAST(`dst` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin <=> "
				"CAST(`src` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin)");
	c->sql = sb_steal(&sb);
	c->cleanup = xstrdup("DROP TEMPORARY TABLE IF EXISTS `migrate_fit`");
	free(src);
	free(dst);
}

/* key columns in live terms; NULL when one does not exist live yet */
static void
check_duplicates(PlanStep *s, const TableDef *lt, const KeyDef *k, const MyList *col_old,
				 const MyList *col_new)
{
	StrBuf		sb,
				grp;
	PlanCheck  *c;
	char	   *obj;

	sb_init(&grp);
	for (int i = 0; i < k->ncols; i++)
	{
		const char *live = map_one(col_new, col_old, k->cols[i]);

		if (my_tabledef_col(lt, live) < 0)
		{
			sb_free(&grp);
			return;				/* the column arrives with the step: nothing
								 * to check yet */
		}
		if (i > 0)
			sb_puts(&grp, ", ");
		if (k->prefix[i] > 0)
		{
			sb_puts(&grp, "LEFT(");
			mb_ident(&grp, live);
			sb_printf(&grp, ", %d)", k->prefix[i]);
		}
		else
			mb_ident(&grp, live);
	}
	obj = k->kind == 'P' ? xasprintf("%s.PRIMARY", lt->name) : obj_col(lt->name, k->name);
	c = add_check(s, CHECK_NO_DUPLICATES, obj, lt->name, false);
	free(obj);
	for (int i = 0; i < k->ncols; i++)
		ml_add(&c->columns, map_one(col_new, col_old, k->cols[i]));
	sb_init(&sb);
	sb_puts(&sb, "SELECT COALESCE(SUM(`n`), 0) FROM (SELECT COUNT(*) AS `n` FROM ");
	mb_ident(&sb, lt->name);
	sb_puts(&sb, " WHERE ");
	for (int i = 0; i < k->ncols; i++)
	{
		if (i > 0)
			sb_puts(&sb, " AND ");
		mb_ident(&sb, map_one(col_new, col_old, k->cols[i]));
		sb_puts(&sb, " IS NOT NULL");
	}
	sb_printf(&sb, " GROUP BY %s HAVING COUNT(*) > 1) AS `d`", grp.data);
	c->sql = sb_steal(&sb);
	sb_free(&grp);
}

static void
check_orphans(PlanStep *s, const TableDef *lt, const ConDef *fk, const MyList *col_old,
			  const MyList *col_new)
{
	StrBuf		sb;
	PlanCheck  *c;
	char	   *obj;

	for (int i = 0; i < fk->ncols; i++)
		if (my_tabledef_col(lt, map_one(col_new, col_old, fk->cols[i])) < 0)
			return;
	obj = obj_col(lt->name, fk->name);
	c = add_check(s, CHECK_NO_ORPHANS, obj, lt->name, false);
	free(obj);
	for (int i = 0; i < fk->ncols; i++)
		ml_add(&c->columns, map_one(col_new, col_old, fk->cols[i]));
	c->ref_table = xstrdup(fk->ref_table);
	sb_init(&sb);
	sb_puts(&sb, "SELECT COUNT(*) FROM ");
	mb_ident(&sb, lt->name);
	sb_puts(&sb, " AS `c` WHERE ");
	for (int i = 0; i < fk->ncols; i++)
	{
		sb_puts(&sb, "`c`.");
		mb_ident(&sb, map_one(col_new, col_old, fk->cols[i]));
		sb_puts(&sb, " IS NOT NULL AND ");
	}
	sb_puts(&sb, "NOT EXISTS (SELECT 1 FROM ");
	mb_ident(&sb, fk->ref_table);
	sb_puts(&sb, " AS `p` WHERE ");
	for (int i = 0; i < fk->ncols; i++)
	{
		if (i > 0)
			sb_puts(&sb, " AND ");
		sb_puts(&sb, "`p`.");
		mb_ident(&sb, fk->ref_cols[i]);
		sb_puts(&sb, " = `c`.");
		mb_ident(&sb, map_one(col_new, col_old, fk->cols[i]));
	}
	sb_puts(&sb, ")");
	c->sql = sb_steal(&sb);
}

static void
check_constraint(PlanStep *s, const TableDef *lt, const ConDef *ck, const MyList *col_old,
				 const MyList *col_new)
{
	char	   *wrapped = xasprintf("(%s)", ck->expr);
	char	   *expr = map_idents(wrapped, col_new, col_old, false);
	char	   *obj = obj_col(lt->name, ck->name);
	PlanCheck  *c = add_check(s, CHECK_CONSTRAINT_HOLDS, obj, lt->name, false);
	StrBuf		sb;

	free(obj);
	free(wrapped);
	{
		/* the columns it reads: the backticked identifiers of the expression */
		TokList		tl;

		my_lex(expr, &tl);
		for (int i = 0; i < tl.n; i++)
			if (tl.items[i].kind == TK_QIDENT && !ml_contains(&c->columns, tl.items[i].text))
				ml_add(&c->columns, tl.items[i].text);
		my_toklist_free(&tl);
	}
	sb_init(&sb);
	sb_puts(&sb, "SELECT COUNT(*) FROM ");
	mb_ident(&sb, lt->name);
	sb_printf(&sb, " WHERE NOT %s", expr);
	c->sql = sb_steal(&sb);
	free(expr);
}

/* ------------------------------------------------------------------------
 * Table diff
 * ------------------------------------------------------------------------
 */
static const KeyDef *
find_key(const TableDef *t, const KeyDef *k)
{
	for (int i = 0; i < t->nkeys; i++)
	{
		const KeyDef *o = &t->keys[i];

		if (k->kind == 'P' ? o->kind == 'P' :
			(o->kind != 'P' && o->name && k->name && strcasecmp(o->name, k->name) == 0))
			return o;
	}
	return NULL;
}

static const ConDef *
find_con(const TableDef *t, const ConDef *c)
{
	for (int i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == c->kind && strcasecmp(t->cons[i].name, c->name) == 0)
			return &t->cons[i];
	return NULL;
}

/* the key's definition with live column names mapped to target names */
static char *
key_def_mapped(const KeyDef *k, const MyList *col_old, const MyList *col_new)
{
	return map_idents(k->def, col_old, col_new, true);
}

/* a foreign key's definition with local columns and the referenced table
 * mapped to target names */
static char *
fk_def_mapped(const ConDef *c, const MyList *col_old, const MyList *col_new,
			  const MyList *tbl_old, const MyList *tbl_new)
{
	char	   *d = map_idents(c->def, col_old, col_new, true);
	const char *ref = map_one(tbl_old, tbl_new, c->ref_table);

	if (strcmp(ref, c->ref_table) != 0)
	{
		char	   *qold = my_quote_ident(c->ref_table);
		char	   *qnew = my_quote_ident(ref);
		char	   *p = strstr(d, "REFERENCES ");

		if (p && strncmp(p + 11, qold, strlen(qold)) == 0)
		{
			char	   *nd = xasprintf("%.*s%s%s", (int) (p + 11 - d), d, qnew, p + 11 + strlen(qold));

			free(d);
			d = nd;
		}
		free(qold);
		free(qnew);
	}
	return d;
}

static int
table_opt_index(const TableDef *t, const char *key)
{
	for (int i = 0; i < t->nopts; i++)
		if (strcmp(t->opts[i].key, key) == 0)
			return i;
	return -1;
}

static void
diff_options(const TableDef *l, const TableDef *t, MyList *clauses)
{
	bool		cs_changed;

	for (int i = 0; i < t->nopts; i++)
	{
		const char *k = t->opts[i].key;
		int			j;

		if (strcmp(k, "DEFAULT CHARSET") == 0 || strcmp(k, "CHARSET") == 0 || strcmp(k, "COLLATE") == 0)
			continue;
		j = table_opt_index(l, k);
		if (j < 0 || strcmp(l->opts[j].value, t->opts[i].value) != 0)
			ml_add_owned(clauses, xasprintf("%s=%s", k, t->opts[i].value));
	}
	for (int i = 0; i < l->nopts; i++)
	{
		const char *k = l->opts[i].key;

		if (strcmp(k, "DEFAULT CHARSET") == 0 || strcmp(k, "CHARSET") == 0 || strcmp(k, "COLLATE") == 0)
			continue;
		if (table_opt_index(t, k) >= 0)
			continue;
		if (strcmp(k, "COMMENT") == 0)
			ml_add(clauses, "COMMENT=''");
		else
			ml_add_owned(clauses, xasprintf("%s=DEFAULT", k));
	}
	cs_changed = (l->charset == NULL) != (t->charset == NULL) ||
		(l->charset && strcmp(l->charset, t->charset) != 0) ||
		(l->collation == NULL) != (t->collation == NULL) ||
		(l->collation && strcmp(l->collation, t->collation) != 0);
	if (cs_changed && t->charset)
	{
		if (t->collation)
			ml_add_owned(clauses, xasprintf("DEFAULT CHARSET=%s COLLATE=%s", t->charset, t->collation));
		else
			ml_add_owned(clauses, xasprintf("DEFAULT CHARSET=%s", t->charset));
	}
}

/* longest increasing subsequence of seq[] (target positions in live
 * order); marks stay[target position] for its members */
static void
lis_mark(const int *seq, int n, bool *stay)
{
	int		   *len = xcalloc(1, (n + 1) * sizeof(int));
	int		   *prev = xcalloc(1, (n + 1) * sizeof(int));
	int			best = -1;

	for (int i = 0; i < n; i++)
	{
		len[i] = 1;
		prev[i] = -1;
		for (int j = 0; j < i; j++)
			if (seq[j] < seq[i] && len[j] + 1 > len[i])
			{
				len[i] = len[j] + 1;
				prev[i] = j;
			}
		if (best < 0 || len[i] > len[best])
			best = i;
	}
	for (int i = best; i >= 0; i = prev[i])
		stay[seq[i]] = true;
	free(len);
	free(prev);
}

static void
add_clause_ident(MyList *l, const char *prefix, const char *name, const char *suffix)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_puts(&sb, prefix);
	mb_ident(&sb, name);
	sb_puts(&sb, suffix);
	ml_add_owned(l, sb_steal(&sb));
}

static char *
position_clause(const TableDef *t, int ti)
{
	StrBuf		sb;

	sb_init(&sb);
	if (ti == 0)
		sb_puts(&sb, " FIRST");
	else
	{
		sb_puts(&sb, " AFTER ");
		mb_ident(&sb, t->cols[ti - 1].name);
	}
	return sb_steal(&sb);
}

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
allowed(const MyList *allow, const char *object)
{
	for (int i = 0; allow && i < allow->n; i++)
		if (strcmp(allow->items[i], object) == 0 || strcasecmp(allow->items[i], object) == 0)
			return true;
	return false;
}

/*
 * ALTER TABLE steps bringing live table l to target t.  col_old/col_new
 * map live column names to target names (recorded renames).
 */
static void
diff_table(Plan *p, const TableDef *l, const TableDef *t, const MyList *col_old_in,
		   const MyList *col_new_in, const MyList *tbl_old, const MyList *tbl_new,
		   const MyList *allow)
{
	MyList		col_old = {0},
				col_new = {0};
	MyList		drops_fk = {0},
				drops_idx = {0},
				drops = {0},
				cols = {0},
				adds = {0},
				opts = {0};
	int		   *matched = xcalloc(1, (t->ncols + 1) * sizeof(int));
	bool	   *stay = xcalloc(1, (t->ncols + 1) * sizeof(bool));
	int		   *seq = xcalloc(1, (l->ncols + 1) * sizeof(int));
	int			nseq = 0;
	PlanStep	tmp = {0};		/* collects the checks */
	bool		relax = false;
	bool		fk_same_name = false;
	bool		moves = false;	/* a key or check dropped and added under its
								 * name */
	int			first_step;
	bool		table_cs_changed = !same_str(l->charset, t->charset) || !same_str(l->collation, t->collation);

	/* keep only renames that make sense on these two images */
	for (int i = 0; i < col_old_in->n; i++)
	{
		const char *o = col_old_in->items[i],
				   *n = col_new_in->items[i];

		if (my_tabledef_col(l, o) >= 0 && my_tabledef_col(t, n) >= 0 &&
			(strcasecmp(o, n) == 0 || (my_tabledef_col(l, n) < 0 && my_tabledef_col(t, o) < 0)))
		{
			ml_add(&col_old, o);
			ml_add(&col_new, n);
		}
	}

	/* columns: match live to target */
	for (int i = 0; i < t->ncols; i++)
		matched[i] = -1;
	for (int li = 0; li < l->ncols; li++)
	{
		const ColDef *lc = &l->cols[li];
		int			ti = my_tabledef_col(t, map_one(&col_old, &col_new, lc->name));

		if (ti < 0)
		{
			add_clause_ident(&drops, "DROP COLUMN ", lc->name, "");
			if (!lc->generated)
				check_column(&tmp, CHECK_COLUMN_EMPTY, l->name, lc->name);
			continue;
		}
		matched[ti] = li;
		seq[nseq++] = ti;
	}
	lis_mark(seq, nseq, stay);

	for (int ti = 0; ti < t->ncols; ti++)
	{
		const ColDef *tc = &t->cols[ti];
		char	   *pos = position_clause(t, ti);
		char	   *adef = table_cs_changed ? absolute_def(t, tc, tc->def) : xstrdup(tc->def);
		StrBuf		sb;

		sb_init(&sb);
		if (matched[ti] < 0)
		{
			sb_puts(&sb, "ADD COLUMN ");
			mb_ident(&sb, tc->name);
			sb_printf(&sb, " %s%s", adef, pos);
			ml_add_owned(&cols, sb_steal(&sb));
		}
		else
		{
			const ColDef *lc = &l->cols[matched[ti]];
			char	   *ldef = map_idents(lc->def, &col_old, &col_new, false);
			bool		renamed = strcmp(lc->name, tc->name) != 0;
			bool		moved = !stay[ti];
			bool		changed = !col_equal(l, lc, ldef, t, tc);

			if (changed && (tc->generated || (lc->generated && lc->generated != 2)))
			{
				/*
				 * generated columns cannot be modified into or between
				 * expressions: drop and add back
				 */
				add_clause_ident(&drops, "DROP COLUMN ", lc->name, "");
				if (!lc->generated)
					check_column(&tmp, CHECK_COLUMN_EMPTY, l->name, lc->name);
				sb_puts(&sb, "ADD COLUMN ");
				mb_ident(&sb, tc->name);
				sb_printf(&sb, " %s%s", adef, pos);
				ml_add_owned(&cols, sb_steal(&sb));
			}
			else if (renamed || changed || moved)
			{
				if (renamed)
				{
					sb_puts(&sb, "CHANGE COLUMN ");
					mb_ident(&sb, lc->name);
					sb_putc(&sb, ' ');
				}
				else
					sb_puts(&sb, "MODIFY COLUMN ");
				mb_ident(&sb, tc->name);
				sb_printf(&sb, " %s%s", adef, moved ? pos : "");
				ml_add_owned(&cols, sb_steal(&sb));
				if (changed && !tc->generated)
				{
					if (!lc->not_null && tc->not_null)
						check_column(&tmp, CHECK_NO_NULLS, l->name, lc->name);
					if ((strcasecmp(lc->type, tc->type) != 0 || !same_charset(l, lc, t, tc)) &&
						!(same_charset(l, lc, t, tc) && is_widening(lc, tc)))
					{
						char	   *obj = obj_col(l->name, lc->name);

						check_fit(&tmp, l, lc, t, tc);
						if (allowed(allow, obj))
							relax = true;
						free(obj);
					}
				}
			}
			free(ldef);
		}
		if (sb.data)
			sb_free(&sb);
		free(pos);
		free(adef);
	}

	/*
	 * Indexes.  SHOW CREATE lists them sorted by category and, within a
	 * category, in the order they were added; the kept live keys of a
	 * category must form a prefix of the target's, and everything after is
	 * dropped and added again in the target order.
	 */
	{
		bool	   *lkeep = xcalloc(1, (l->nkeys + 1) * sizeof(bool));
		bool	   *tkeep = xcalloc(1, (t->nkeys + 1) * sizeof(bool));

		for (int cat = 0; cat < KEY_CATEGORIES; cat++)
		{
			int			last = -1;
			bool		broken = false;

			for (int j = 0; j < t->nkeys; j++)
			{
				const KeyDef *tk = &t->keys[j];
				const KeyDef *lk;
				int			li;

				if (my_key_category(t, tk) != cat)
					continue;
				lk = broken ? NULL : find_key(l, tk);
				li = lk ? (int) (lk - l->keys) : -1;
				if (lk)
				{
					char	   *ld = key_def_mapped(lk, &col_old, &col_new);

					if (strcmp(ld, tk->def) != 0 || li < last)
						lk = NULL;
					free(ld);
				}
				if (lk == NULL)
				{
					broken = true;
					continue;
				}
				lkeep[li] = tkeep[j] = true;
				last = li;
			}
		}
		for (int i = 0; i < l->nkeys; i++)
		{
			if (lkeep[i])
				continue;
			if (l->keys[i].kind == 'P')
				ml_add(&drops, "DROP PRIMARY KEY");
			else
			{
				add_clause_ident(&drops_idx, "DROP INDEX ", l->keys[i].name, "");
				if (find_key(t, &l->keys[i]))
					moves = true;
			}
		}
		for (int j = 0; j < t->nkeys; j++)
		{
			const KeyDef *tk = &t->keys[j];
			const KeyDef *lk = find_key(l, tk);
			char	   *ld = lk ? key_def_mapped(lk, &col_old, &col_new) : NULL;

			if (tkeep[j])
			{
				free(ld);
				continue;
			}
			ml_add_owned(&adds, xasprintf("ADD %s", tk->def));
			/* a key that only moves needs no check */
			if ((tk->kind == 'P' || tk->kind == 'U') && !(ld && strcmp(ld, tk->def) == 0))
				check_duplicates(&tmp, l, tk, &col_old, &col_new);
			free(ld);
		}
		free(lkeep);
		free(tkeep);
	}

	/*
	 * Constraints.  Foreign keys are listed by name, so only their
	 * definitions matter; checks are listed in the order they were added,
	 * handled like the keys of one category.
	 */
	{
		bool	   *lkeep = xcalloc(1, (l->ncons + 1) * sizeof(bool));
		bool	   *tkeep = xcalloc(1, (t->ncons + 1) * sizeof(bool));
		int			last = -1;
		bool		broken = false;

		for (int j = 0; j < t->ncons; j++)
		{
			const ConDef *tc = &t->cons[j];
			const ConDef *lc = find_con(l, tc);
			int			li = lc ? (int) (lc - l->cons) : -1;
			char	   *ld;

			if (lc == NULL)
			{
				if (tc->kind == 'C')
					broken = true;
				continue;
			}
			ld = lc->kind == 'F' ? fk_def_mapped(lc, &col_old, &col_new, tbl_old, tbl_new)
				: map_idents(lc->def, &col_old, &col_new, false);
			if (strcmp(ld, tc->def) == 0 && (tc->kind == 'F' || (!broken && li > last)))
			{
				lkeep[li] = tkeep[j] = true;
				if (tc->kind == 'C')
					last = li;
			}
			else if (tc->kind == 'C')
				broken = true;
			free(ld);
		}
		for (int i = 0; i < l->ncons; i++)
		{
			const ConDef *lc = &l->cons[i];

			if (lkeep[i])
				continue;
			if (lc->kind == 'F')
			{
				add_clause_ident(&drops_fk, "DROP FOREIGN KEY ", lc->name, "");
				if (find_con(t, lc))
					fk_same_name = true;
			}
			else
			{
				add_clause_ident(&drops_idx, "DROP CONSTRAINT ", lc->name, "");
				if (find_con(t, lc))
					moves = true;
			}
		}
		for (int j = 0; j < t->ncons; j++)
		{
			const ConDef *tc = &t->cons[j];
			const ConDef *lc = find_con(l, tc);
			char	   *ld = NULL;

			if (tkeep[j])
				continue;
			ml_add_owned(&adds, xasprintf("ADD %s", tc->def));
			if (lc)
				ld = lc->kind == 'F' ? fk_def_mapped(lc, &col_old, &col_new, tbl_old, tbl_new)
					: map_idents(lc->def, &col_old, &col_new, false);
			if (ld == NULL || strcmp(ld, tc->def) != 0)
			{
				if (tc->kind == 'F')
					check_orphans(&tmp, l, tc, &col_old, &col_new);
				else
					check_constraint(&tmp, l, tc, &col_old, &col_new);
			}
			free(ld);
		}
		free(lkeep);
		free(tkeep);
	}

	diff_options(l, t, &opts);

	first_step = p->n;
	if (fk_same_name || moves)
	{
		/*
		 * MariaDB refuses to drop and re-add a foreign key of the same name
		 * in one statement, and a key dropped and re-added under its name in
		 * one statement keeps its place in the key list: the drops go first,
		 * in a statement of their own.
		 */
		StrBuf		sb;
		bool		first = true;

		sb_init(&sb);
		sb_puts(&sb, "ALTER TABLE ");
		mb_ident(&sb, l->name);
		for (int i = 0; i < drops_fk.n; i++, first = false)
			sb_printf(&sb, "%s %s", first ? "" : ",", drops_fk.items[i]);
		for (int i = 0; i < drops_idx.n; i++, first = false)
			sb_printf(&sb, "%s %s", first ? "" : ",", drops_idx.items[i]);
		add_step(p, sb_steal(&sb));
		ml_free(&drops_fk);
		ml_free(&drops_idx);
	}
	if (drops_fk.n + drops_idx.n + drops.n + cols.n + adds.n + opts.n > 0)
	{
		StrBuf		sb;
		PlanStep   *s;
		MyList	   *parts[] = {&drops_fk, &drops_idx, &drops, &cols, &adds, &opts};
		bool		first = true;

		sb_init(&sb);
		sb_puts(&sb, "ALTER TABLE ");
		mb_ident(&sb, l->name);
		for (int g = 0; g < 6; g++)
			for (int i = 0; i < parts[g]->n; i++)
			{
				sb_printf(&sb, "%s %s", first ? "" : ",", parts[g]->items[i]);
				first = false;
			}
		s = add_step(p, sb_steal(&sb));
		s->relax_strict = relax;
	}
	if (p->n > first_step)
	{
		/* the checks guard the table's first statement */
		p->steps[first_step].checks = tmp.checks;
		p->steps[first_step].nchecks = tmp.nchecks;
		tmp.checks = NULL;
		tmp.nchecks = 0;
	}
	for (int j = 0; j < tmp.nchecks; j++)
	{
		free(tmp.checks[j].object);
		free(tmp.checks[j].table);
		free(tmp.checks[j].column);
		ml_free(&tmp.checks[j].columns);
		free(tmp.checks[j].ref_table);
		free(tmp.checks[j].setup);
		free(tmp.checks[j].sql);
		free(tmp.checks[j].cleanup);
	}
	free(tmp.checks);
	ml_free(&drops_fk);
	ml_free(&drops_idx);
	ml_free(&drops);
	ml_free(&cols);
	ml_free(&adds);
	ml_free(&opts);
	ml_free(&col_old);
	ml_free(&col_new);
	free(matched);
	free(stay);
	free(seq);
}

/* ------------------------------------------------------------------------
 * Non-table objects
 * ------------------------------------------------------------------------
 */

/* Views, triggers and routines compare by body and sql_mode; the client
 * character set they were created under is restored when possible but is
 * not part of the comparison. */
bool
my_image_equal(ObjKind kind, const char *a, const char *b)
{
	char	   *ma,
			   *mb;
	bool		eq;

	if (a == NULL || b == NULL)
		return a == b;
	if (kind == OBJ_SEQUENCE)
		return strcmp(a, b) == 0;
	if (kind == OBJ_TABLE)
	{
		char	   *ca,
				   *cb;

		if (strcmp(a, b) == 0)
			return true;
		/* equal up to the order of keys across categories */
		ca = my_table_canonical(a);
		cb = my_table_canonical(b);
		eq = strcmp(ca, cb) == 0;
		free(ca);
		free(cb);
		return eq;
	}
	if (strcmp(my_image_body(a), my_image_body(b)) != 0)
		return false;
	ma = my_image_meta(a, "sql_mode");
	mb = my_image_meta(b, "sql_mode");
	eq = (ma == NULL && mb == NULL) || (ma && mb && strcmp(ma, mb) == 0);
	free(ma);
	free(mb);
	return eq;
}

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s >= 0x80)
			return false;
	return true;
}

/* SET statements restoring the session a view/trigger/routine was made in */
static char *
session_for(const char *image)
{
	char	   *mode = my_image_meta(image, "sql_mode");
	char	   *cs = my_image_meta(image, "character_set_client");
	char	   *co = my_image_meta(image, "collation_connection");
	StrBuf		sb;

	sb_init(&sb);
	if (mode)
		sb_printf(&sb, "SET SESSION sql_mode = '%s'", mode);
	if (cs && co && is_ascii(my_image_body(image)) && strspn(cs, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(cs)
		&& strspn(co, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(co))
		sb_printf(&sb, "%sSET SESSION character_set_client = %s, collation_connection = %s",
				  sb.len ? ";\n" : "", cs, co);
	free(mode);
	free(cs);
	free(co);
	if (sb.len == 0)
	{
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb);
}

/* "CREATE OR REPLACE ..." from a stored CREATE statement */
static char *
or_replace(const char *body)
{
	if (strncasecmp(body, "CREATE ", 7) == 0 && strncasecmp(body + 7, "OR REPLACE", 10) != 0)
		return xasprintf("CREATE OR REPLACE %s", body + 7);
	return xstrdup(body);
}

static char *
drop_stmt(ObjKind kind, const char *name)
{
	static const char *const what[OBJ_NKINDS] = {
		"TABLE", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "SEQUENCE"
	};
	StrBuf		sb;

	sb_init(&sb);
	sb_printf(&sb, "DROP %s ", what[kind]);
	mb_ident(&sb, name);
	return sb_steal(&sb);
}

/* views mentioning another view of the list come after it */
static void
order_views(PlanObject **v, int n)
{
	for (int pass = 0; pass < n; pass++)
	{
		bool		moved = false;

		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
			{
				char	   *q = my_quote_ident(v[j]->name);

				if (v[i]->target && strstr(my_image_body(v[i]->target), q))
				{
					PlanObject *t = v[i];

					v[i] = v[j];
					v[j] = t;
					moved = true;
				}
				free(q);
			}
		if (!moved)
			break;
	}
}

/* ------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------
 */

/* tables referenced by others first */
static void
order_tables(PlanObject **t, int n)
{
	for (int pass = 0; pass < n; pass++)
	{
		bool		moved = false;

		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
			{
				char	   *q = xasprintf("REFERENCES `%s`", t[j]->name);
				bool		refs = (t[i]->target && strstr(t[i]->target, q)) ||
				(t[i]->live && strstr(t[i]->live, q));

				free(q);
				if (refs)
				{
					PlanObject *x = t[i];

					t[i] = t[j];
					t[j] = x;
					moved = true;
				}
			}
		if (!moved)
			break;
	}
}

/*
 * Compute the steps that bring every object of objs from its live image to
 * its target image.  Unchanged objects produce nothing.  The plan is
 * deterministic: the same inputs give the same statements.
 */
void
my_plan_compute(MyState *st, PlanObject *objs, int nobjs, const MyList *allow_loss, Plan *out)
{
	PlanObject **tables = xcalloc(1, (nobjs + 1) * sizeof(PlanObject *));
	PlanObject **views = xcalloc(1, (nobjs + 1) * sizeof(PlanObject *));
	int			ntables = 0,
				nviews = 0;
	MyList		tbl_old = {0},
				tbl_new = {0};

	(void) st;
	memset(out, 0, sizeof(*out));

	for (int i = 0; i < nobjs; i++)
	{
		PlanObject *o = &objs[i];

		if (o->kind == OBJ_TABLE && o->live_name && strcmp(o->live_name, o->name) != 0)
		{
			ml_add(&tbl_old, o->live_name);
			ml_add(&tbl_new, o->name);
		}
	}

	/* 1. triggers, routines and views that must go or be replaced by drop */
	for (int i = 0; i < nobjs; i++)
	{
		PlanObject *o = &objs[i];

		if (my_image_equal(o->kind, o->live, o->target))
			continue;
		if (o->kind == OBJ_EVENT || o->kind == OBJ_SEQUENCE)
		{
			refuse(out, xasprintf("%s \"%s\" differs from its recorded state, and the driver does not "
								  "revert %ss", my_obj_kind_name(o->kind), o->name,
								  my_obj_kind_name(o->kind)));
			continue;
		}
		if ((o->kind == OBJ_TRIGGER || o->kind == OBJ_VIEW || o->kind == OBJ_PROCEDURE ||
			 o->kind == OBJ_FUNCTION) && o->live && o->target == NULL)
			add_step(out, drop_stmt(o->kind, o->live_name ? o->live_name : o->name));
	}

	/* 2. tables */
	for (int i = 0; i < nobjs; i++)
		if (objs[i].kind == OBJ_TABLE)
			tables[ntables++] = &objs[i];
	order_tables(tables, ntables);

	for (int i = 0; i < ntables; i++)
	{
		PlanObject *o = tables[i];
		const char *lname = o->live_name ? o->live_name : o->name;

		if (o->live && o->target && strcmp(lname, o->name) != 0)
		{
			StrBuf		sb;

			sb_init(&sb);
			sb_puts(&sb, "RENAME TABLE ");
			mb_ident(&sb, lname);
			sb_puts(&sb, " TO ");
			mb_ident(&sb, o->name);
			add_step(out, sb_steal(&sb));
		}
	}
	for (int i = 0; i < ntables; i++)
	{
		PlanObject *o = tables[i];

		if (o->live == NULL && o->target)
		{
			TableDef   *t = my_tabledef_parse(o->target);

			if (t->unsupported)
				refuse(out, xasprintf("table \"%s\" cannot be re-created: %s", o->name, t->unsupported));
			else
				add_step(out, xstrdup(o->target));
			my_tabledef_free(t);
		}
	}
	for (int i = 0; i < ntables; i++)
	{
		PlanObject *o = tables[i];
		TableDef   *l,
				   *t;
		const char *lname = o->live_name ? o->live_name : o->name;

		if (o->live == NULL || o->target == NULL)
			continue;
		l = my_tabledef_parse(o->live);
		t = my_tabledef_parse(o->target);
		if (strcmp(lname, o->name) != 0)
		{
			/* planned after the rename step above */
			free(l->name);
			l->name = xstrdup(o->name);
		}
		if (l->unsupported || t->unsupported)
		{
			if (strcmp(o->live, o->target) != 0 || strcmp(lname, o->name) != 0)
				refuse(out, xasprintf("table \"%s\" cannot be reverted: %s", o->name,
									  l->unsupported ? l->unsupported : t->unsupported));
		}
		else
			diff_table(out, l, t, &o->col_old, &o->col_new, &tbl_old, &tbl_new, allow_loss);
		my_tabledef_free(l);
		my_tabledef_free(t);
	}
	for (int i = ntables - 1; i >= 0; i--)
	{
		PlanObject *o = tables[i];

		if (o->live && o->target == NULL)
		{
			const char *lname = o->live_name ? o->live_name : o->name;
			PlanStep   *s = add_step(out, drop_stmt(OBJ_TABLE, lname));

			check_table_empty(s, lname);
		}
	}

	/* 3. views, routines, triggers: (re)create */
	for (int i = 0; i < nobjs; i++)
		if (objs[i].kind == OBJ_VIEW && objs[i].target &&
			!my_image_equal(OBJ_VIEW, objs[i].live, objs[i].target))
			views[nviews++] = &objs[i];
	order_views(views, nviews);
	for (int i = 0; i < nviews; i++)
	{
		PlanStep   *s = add_step(out, or_replace(my_image_body(views[i]->target)));

		s->pre = session_for(views[i]->target);
	}
	{
		static const ObjKind order[] = {OBJ_FUNCTION, OBJ_PROCEDURE, OBJ_TRIGGER};

		for (int k = 0; k < 3; k++)
			for (int i = 0; i < nobjs; i++)
			{
				PlanObject *o = &objs[i];
				PlanStep   *s;

				if (o->kind != order[k] || o->target == NULL ||
					my_image_equal(o->kind, o->live, o->target))
					continue;
				s = add_step(out, or_replace(my_image_body(o->target)));
				s->pre = session_for(o->target);
			}
	}

	ml_free(&tbl_old);
	ml_free(&tbl_new);
	free(tables);
	free(views);
}

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------
 */
const char *
my_check_kind_text(CheckKind k)
{
	switch (k)
	{
		case CHECK_TABLE_EMPTY:
			return "table is empty";
		case CHECK_COLUMN_EMPTY:
			return "column is empty";
		case CHECK_NO_NULLS:
			return "no NULL values";
		case CHECK_NO_DUPLICATES:
			return "no duplicate values";
		case CHECK_VALUES_FIT:
			return "values fit the restored type";
		case CHECK_NO_ORPHANS:
			return "no rows without a parent";
		case CHECK_CONSTRAINT_HOLDS:
			return "no rows violating the constraint";
	}
	return "?";
}

char *
my_check_describe(const PlanCheck *c, long long rows)
{
	switch (c->kind)
	{
		case CHECK_TABLE_EMPTY:
			return xasprintf("table \"%s\" is not empty: %lld row%s would be lost", c->object, rows,
							 rows == 1 ? "" : "s");
		case CHECK_COLUMN_EMPTY:
			return xasprintf("column \"%s\" is not empty: %lld row%s hold%s a value that would be lost",
							 c->object, rows, rows == 1 ? "" : "s", rows == 1 ? "s" : "");
		case CHECK_NO_NULLS:
			return xasprintf("column \"%s\" has %lld NULL value%s and would become NOT NULL",
							 c->object, rows, rows == 1 ? "" : "s");
		case CHECK_NO_DUPLICATES:
			return xasprintf("key \"%s\" would not be unique: %lld row%s share%s a value",
							 c->object, rows, rows == 1 ? "" : "s", rows == 1 ? "s" : "");
		case CHECK_VALUES_FIT:
			return xasprintf("column \"%s\" has %lld value%s that the restored type cannot hold",
							 c->object, rows, rows == 1 ? "" : "s");
		case CHECK_NO_ORPHANS:
			return xasprintf("foreign key \"%s\" would not hold: %lld row%s ha%s no parent row in \"%s\"",
							 c->object, rows, rows == 1 ? "" : "s", rows == 1 ? "s" : "ve",
							 c->ref_table ? c->ref_table : "?");
		case CHECK_CONSTRAINT_HOLDS:
			return xasprintf("check constraint \"%s\" would not hold: %lld row%s violate%s it",
							 c->object, rows, rows == 1 ? "" : "s", rows == 1 ? "s" : "");
	}
	return xstrdup("?");
}
