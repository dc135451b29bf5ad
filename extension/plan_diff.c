/*-------------------------------------------------------------------------
 *
 * plan_diff.c
 *	  The steps that take one object from its live state to its target:
 *	  create, drop, alter or rebuild, per kind, with the checks that guard
 *	  them (see revert.h for the phases and docs/revert.md for the rules).
 *
 * Priorities order the steps of phases 3 and 4 before the dependency
 * edges refine them: rebuild drops (0-99), then creates and alters by kind
 * (schemas, types, sequences, routines, tables, columns, constraints,
 * indexes, foreign keys, views, triggers), decorations (comments, owners,
 * sequence ownership) and, last, the drops of phase 4.  Within a column the
 * order is the safe one: drop the default, then identity and generation,
 * the type, the new default, NOT NULL.
 *
 * Checks of phase 3 run before any phase 3 statement, on the catalog as
 * phase 2 left it: a check on a table whose columns phase 3 changes reads
 * the rows through a derived table that shows them as they will be (the
 * new type through the same cast, a column that comes back with its
 * default or NULL).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/plan_diff.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "image.h"
#include "revert.h"

/* priorities of phase 3 and 4 */
#define P_SCHEMA		110
#define P_EXTENSION		115
#define P_TYPE			120
#define P_TYPE_PART		122
#define P_SEQUENCE		130
#define P_ROUTINE		140
#define P_TABLE			150
#define P_DETACH		148
#define P_COLUMN		160		/* + 0..6 */
#define P_ATTACH		168
#define P_CONSTRAINT	170
#define P_INDEX			175
#define P_FKEY			180
#define P_VIEW			190
#define P_MATVIEW		195
#define P_TRIGGER		198
#define P_DECORATION	250
#define P_LATE_DROP		300

/* column sub-order */
#define C_DROP_DEFAULT	0
#define C_DROP_IDENTITY 1
#define C_TYPE			2
#define C_ADD			3
#define C_IDENTITY		4
#define C_SET_DEFAULT	5
#define C_NOT_NULL		6

static bool
is_kind(RObj *o, const char *kind)
{
	return strcmp(o->kind, kind) == 0;
}

static bool
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static Step *
decoration(Planner *p, RObj *o, char *sql)
{
	Step	   *s = plan_step(p, P_DECORATION, o, sql);

	s->decoration = true;
	return s;
}

/* comment and owner, when the target's differ from what live has */
/* GRANT keywords of aclitem privilege letters */
static const char *
privilege_name(char c)
{
	switch (c)
	{
		case 'r':
			return "SELECT";
		case 'a':
			return "INSERT";
		case 'w':
			return "UPDATE";
		case 'd':
			return "DELETE";
		case 'D':
			return "TRUNCATE";
		case 'x':
			return "REFERENCES";
		case 't':
			return "TRIGGER";
		case 'X':
			return "EXECUTE";
		case 'U':
			return "USAGE";
		case 'C':
			return "CREATE";
		case 'c':
			return "CONNECT";
		case 'T':
			return "TEMPORARY";
		default:
			return NULL;
	}
}

/* "TABLE public.t", "FUNCTION public.f(integer)": what GRANT names */
static char *
grant_target(RObj *o, Jsonb *img)
{
	const char *kw;

	if (is_kind(o, "view") || is_kind(o, "materialized view") || is_kind(o, "table"))
		kw = "TABLE";
	else if (is_kind(o, "enum") || is_kind(o, "composite type"))
		kw = "TYPE";
	else
		kw = ddl_keyword(o->kind);
	return psprintf("%s %s", kw, ddl_object_name(o, img));
}

/* "role" of "role=arw/grantor", quoted; PUBLIC for the empty grantee */
static char *
acl_grantee(const char *item)
{
	const char *eq = strchr(item, '=');
	char	   *name;

	if (eq == NULL || eq == item)
		return pstrdup("PUBLIC");
	name = pnstrdup(item, eq - item);
	if (name[0] == '"')
	{
		/* aclitemout quotes names that need it, doubling inner quotes */
		StringInfoData buf;

		initStringInfo(&buf);
		for (char *c = name + 1; *c && !(*c == '"' && c[1] != '"'); c++)
		{
			if (*c == '"')
				c++;
			appendStringInfoChar(&buf, *c);
		}
		name = buf.data;
	}
	return pstrdup(quote_identifier(name));
}

/*
 * Privileges: when the target's differ from live's, revoke what live
 * grants and grant what the target does (the grantor is the owner, as for
 * a GRANT by the owner or a superuser).
 */
static void
privileges(Planner *p, RObj *o, List *live_items)
{
	List	   *target_items;
	char	   *what;
	ListCell   *lc;
	List	   *revoked = NIL;

	target_items = img_acl_items(o->target);
	if (list_length(target_items) == list_length(live_items))
	{
		bool		same = true;
		ListCell   *a,
				   *b;

		forboth(a, target_items, b, live_items)
			if (strcmp(lfirst(a), lfirst(b)) != 0)
			same = false;
		if (same)
			return;
	}
	what = grant_target(o, o->target);
	foreach(lc, live_items)
	{
		char	   *grantee = acl_grantee(lfirst(lc));

		if (revert_str_member(revoked, grantee))
			continue;
		revoked = lappend(revoked, grantee);
		decoration(p, o, psprintf("REVOKE ALL ON %s FROM %s", what, grantee));
	}
	foreach(lc, target_items)
	{
		char	   *item = lfirst(lc);
		char	   *eq = strchr(item, '=');
		char	   *slash = eq ? strchr(eq, '/') : NULL;
		StringInfoData plain,
					granted;

		if (eq == NULL || slash == NULL)
			continue;
		initStringInfo(&plain);
		initStringInfo(&granted);
		for (char *c = eq + 1; c < slash; c++)
		{
			const char *name = privilege_name(*c);
			bool		option = c[1] == '*';

			if (name == NULL)
				continue;
			appendStringInfo(option ? &granted : &plain, "%s%s",
							 (option ? granted.len : plain.len) ? ", " : "", name);
			if (option)
				c++;
		}
		if (plain.len)
			decoration(p, o, psprintf("GRANT %s ON %s TO %s", plain.data, what, acl_grantee(item)));
		if (granted.len)
			decoration(p, o, psprintf("GRANT %s ON %s TO %s WITH GRANT OPTION", granted.data, what,
									  acl_grantee(item)));
	}
}

static void
decorate(Planner *p, RObj *o, Jsonb *live)
{
	char	   *tc = img_text(o->target, "comment");
	char	   *to = img_text(o->target, "owner");

	if (!streq(tc, img_text(live, "comment")))
		decoration(p, o, ddl_comment(o, o->target, tc));
	if (to != NULL && !streq(to, img_text(live, "owner")))
		decoration(p, o, ddl_owner(o, o->target, to));
	if (!img_same(img_normalize(o->target), img_normalize(live), "acl"))
		privileges(p, o, img_acl_items(live));
}

/* decorations of an object created by the plan: nothing is set yet */
static void
decorate_new(Planner *p, RObj *o)
{
	char	   *tc = img_text(o->target, "comment");
	char	   *to = img_text(o->target, "owner");

	if (tc != NULL)
		decoration(p, o, ddl_comment(o, o->target, tc));
	if (to != NULL && strcmp(to, p->current_user) != 0)
		decoration(p, o, ddl_owner(o, o->target, to));
	if (!img_is_null(o->target, "acl"))
	{
		/* a new object has its owner's default privileges */
		privileges(p, o, img_acl_items(img_without_acl(o->target)));
	}
}

/* ------------------------------------------------------------------------
 * Classification
 * ------------------------------------------------------------------------
 */

/*
 * Objects PostgreSQL makes by itself from another one: the indexes,
 * constraints and triggers a partition gets from its parent, and the
 * columns it inherits.  They are never planned on their own.
 */
bool
diff_is_derived(RObj *o, Jsonb *img)
{
	if (img == NULL)
		return false;
	if (is_kind(o, "index") || is_kind(o, "trigger"))
		return !img_is_null(img, "parent");
	if (is_kind(o, "table constraint"))
		return !img_is_null(img, "parent") ||
			(!img_bool(img, "local") && img_int(img, "inherited", 0) > 0);
	if (is_kind(o, "table column"))
		return !img_bool(img, "local") && img_int(img, "inherited", 0) > 0;
	return false;
}

int
diff_drop_priority(RObj *o)
{
	static const struct
	{
		const char *kind;
		int			prio;
	}			map[] = {
		{"trigger", 10}, {"view", 20}, {"materialized view", 20}, {"index", 50},
		{"function", 55}, {"procedure", 55}, {"domain constraint", 57},
		{"table column", 60}, {"table", 70}, {"sequence", 75}, {"composite type", 80},
		{"domain", 82}, {"enum", 84}, {"extension", 88}, {"schema", 90},
	};

	if (is_kind(o, "table constraint"))
	{
		char	   *type = img_text(o->live_img ? o->live_img : o->target, "type");

		return type && strcmp(type, "foreign key") == 0 ? 30 : 40;
	}
	for (int i = 0; i < lengthof(map); i++)
		if (is_kind(o, map[i].kind))
			return map[i].prio;
	return 95;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------
 */
static char *
parent_identity(Planner *p, RObj *o)
{
	RObj	   *t = plan_parent(p, o);

	return t ? t->identity : NULL;
}

static Check *
check_table_empty(Planner *p, RObj *t)
{
	char	   *name = img_qualified(t->live_img);
	Check	   *c = check_new(CHECK_TABLE_EMPTY, t->version, t->identity, NULL);

	c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s) AS is_empty", name);
	c->count_sql = psprintf("SELECT count(*) FROM %s", name);
	c->what = psprintf("table %s is not empty", t->identity);
	return c;
}

static Check *
check_column_empty(Planner *p, RObj *col)
{
	Jsonb	   *img = col->live_img;
	char	   *table = img_text(img, "table");
	char	   *name = pstrdup(quote_identifier(img_text(img, "name")));
	char	   *def = img_text(img, "default");
	Check	   *c = check_new(CHECK_COLUMN_EMPTY, col->version, col->identity,
							  parent_identity(p, col));
	char	   *cond;

	if (def != NULL && !plan_expr_volatile(def, true))
	{
		cond = psprintf("%s IS NOT NULL AND %s IS DISTINCT FROM %s", name, name, def);
		c->what = psprintf("column %s holds values other than its default", col->identity);
	}
	else
	{
		cond = psprintf("%s IS NOT NULL", name);
		c->what = psprintf("column %s holds data", col->identity);
	}
	c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s) AS is_empty", table, cond);
	c->count_sql = psprintf("SELECT count(*) FROM %s WHERE %s", table, cond);
	return c;
}

/* "c::newtype", through text when there is no cast between the types */
static char *
cast_expr(const char *expr, const char *from, const char *to)
{
	Oid			f = plan_type_oid(from);
	Oid			t = plan_type_oid(to);
	Oid			func;

	if (OidIsValid(f) && OidIsValid(t) &&
		find_coercion_pathway(t, f, COERCION_EXPLICIT, &func) != COERCION_PATH_NONE)
		return psprintf("%s::%s", expr, to);
	return psprintf("%s::text::%s", expr, to);
}

/* type changes that keep every value: no check needed */
static bool
widening(const char *from, const char *to)
{
	static const char *const ok[][2] = {
		{"smallint", "integer"}, {"smallint", "bigint"}, {"integer", "bigint"},
		{"character varying", "text"}, {"character", "text"}, {"smallint", "numeric"},
		{"integer", "numeric"}, {"bigint", "numeric"}, {"real", "double precision"},
	};
	int			n,
				m;

	for (int i = 0; i < lengthof(ok); i++)
		if (strcmp(from, ok[i][0]) == 0 && strcmp(to, ok[i][1]) == 0)
			return true;
	/* varchar(n) -> varchar(m >= n) */
	if (sscanf(from, "character varying(%d)", &n) == 1)
	{
		if (strcmp(to, "text") == 0 || strcmp(to, "character varying") == 0)
			return true;
		if (sscanf(to, "character varying(%d)", &m) == 1 && m >= n)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Rows as phase 3 will leave them (for checks)
 * ------------------------------------------------------------------------
 */
typedef struct Source
{
	char	   *from;			/* FROM item */
	List	   *unknown;		/* columns whose values cannot be predicted */
	bool		empty;			/* the table is created by the plan */
} Source;

static RObj *
column_named(Planner *p, RObj *table, const char *name, bool live)
{
	ListCell   *lc;

	foreach(lc, plan_children(p, table, "table column"))
	{
		RObj	   *c = lfirst(lc);
		Jsonb	   *img = live ? c->live_img : c->target;

		if (img != NULL && streq(img_text(img, "name"), name))
			return c;
	}
	return NULL;
}

static Source
table_source(Planner *p, RObj *table)
{
	Source		s = {NULL, NIL, false};
	StringInfoData buf;
	bool		plain = true;
	ListCell   *lc;
	char	   *qname;

	if (table == NULL || table->live_img == NULL || table->dropping)
	{
		s.empty = true;
		return s;
	}
	qname = img_qualified(table->live_img);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	/* live columns, as they will be */
	foreach(lc, img_strings(table->live_img, "columns"))
	{
		char	   *name = lfirst(lc);
		RObj	   *c = column_named(p, table, name, true);
		char	   *qn = pstrdup(quote_identifier(name));

		if (buf.len > 7)
			appendStringInfoString(&buf, ", ");
		if (c != NULL && c->target == NULL)
		{
			plain = false;		/* goes away: leave it out */
			buf.len -= buf.len > 7 ? 2 : 0;
			buf.data[buf.len] = '\0';
			continue;
		}
		if (c != NULL && c->target != NULL &&
			!streq(img_text(c->target, "type"), img_text(c->live_img, "type")) &&
			OidIsValid(plan_type_oid(img_text(c->target, "type"))))
		{
			plain = false;
			appendStringInfo(&buf, "%s AS %s",
							 cast_expr(qn, img_text(c->live_img, "type"), img_text(c->target, "type")),
							 qn);
		}
		else
			appendStringInfoString(&buf, qn);
	}
	/* columns that come back */
	foreach(lc, plan_children(p, table, "table column"))
	{
		RObj	   *c = lfirst(lc);
		char	   *def;
		char	   *type;
		char	   *qn;

		if (c->target == NULL || (c->live_img != NULL && !c->dropping))
			continue;
		plain = false;
		qn = pstrdup(quote_identifier(img_text(c->target, "name")));
		type = img_text(c->target, "type");
		def = img_text(c->target, "generated");
		if (def == NULL)
			def = img_text(c->target, "default");
		if (buf.len > 7)
			appendStringInfoString(&buf, ", ");
		if (!OidIsValid(plan_type_oid(type)))
		{
			/* its type is created by the plan too */
			appendStringInfo(&buf, "NULL AS %s", qn);
			s.unknown = lappend(s.unknown, img_text(c->target, "name"));
		}
		else if (def != NULL && !plan_expr_volatile(def, false))
			appendStringInfo(&buf, "(%s)::%s AS %s", def, type, qn);
		else
		{
			appendStringInfo(&buf, "NULL::%s AS %s", type, qn);
			if (def != NULL || !img_is_null(c->target, "identity"))
				s.unknown = lappend(s.unknown, img_text(c->target, "name"));
		}
	}
	if (plain)
		s.from = qname;
	else
		s.from = psprintf("(%s FROM %s) AS %s", buf.data, qname,
						  quote_identifier(img_text(table->live_img, "name")));
	return s;
}

/* the comma-separated list inside the first parentheses after `after` */
static char *
paren_list(const char *def, const char *after)
{
	const char *s = after ? strstr(def, after) : def;
	const char *open;
	int			depth = 0;
	const char *e;

	if (s == NULL)
		return NULL;
	open = strchr(s, '(');
	if (open == NULL)
		return NULL;
	for (e = open; *e; e++)
	{
		if (*e == '(')
			depth++;
		else if (*e == ')' && --depth == 0)
			break;
		else if (*e == '\'')
		{
			for (e++; *e && *e != '\''; e++)
				;
			if (!*e)
				break;
		}
	}
	if (*e != ')')
		return NULL;
	return pnstrdup(open + 1, e - open - 1);
}

/* split a list at top-level commas */
static List *
split_top(const char *list)
{
	List	   *out = NIL;
	int			depth = 0;
	const char *start = list;
	const char *e;

	for (e = list;; e++)
	{
		if (*e == '\'')
		{
			for (e++; *e && *e != '\''; e++)
				;
			if (!*e)
				break;
			continue;
		}
		if (*e == '(')
			depth++;
		else if (*e == ')')
			depth--;
		else if ((*e == ',' && depth == 0) || *e == '\0')
		{
			while (*start == ' ')
				start++;
			out = lappend(out, pnstrdup(start, e - start));
			start = e + 1;
		}
		if (*e == '\0')
			break;
	}
	return out;
}

static bool
mentions_unknown(List *keys, List *unknown)
{
	ListCell   *lc,
			   *lc2;

	foreach(lc, keys)
		foreach(lc2, unknown)
		if (strcmp(lfirst(lc), quote_identifier(lfirst(lc2))) == 0 ||
			strcmp(lfirst(lc), lfirst(lc2)) == 0)
		return true;
	return false;
}

static Check *
check_unique(Planner *p, RObj *o, RObj *table, List *keys, const char *pred,
			 bool nulls_distinct, bool pk, const char *what)
{
	Source		src = table_source(p, table);
	Check	   *c;
	StringInfoData where;
	StringInfoData group;
	ListCell   *lc;
	char	   *dup;

	if (src.empty || keys == NIL || mentions_unknown(keys, src.unknown))
		return NULL;
	initStringInfo(&where);
	initStringInfo(&group);
	foreach(lc, keys)
	{
		appendStringInfo(&group, "%s%s", group.len ? ", " : "", (char *) lfirst(lc));
		if (nulls_distinct && !pk)
			appendStringInfo(&where, "%s(%s) IS NOT NULL", where.len ? " AND " : "",
							 (char *) lfirst(lc));
	}
	if (pred)
		appendStringInfo(&where, "%s(%s)", where.len ? " AND " : "", pred);
	dup = psprintf("SELECT 1 FROM %s%s%s GROUP BY %s HAVING count(*) > 1", src.from,
				   where.len ? " WHERE " : "", where.data, group.data);
	c = check_new(CHECK_UNIQUE, o->version, o->identity, table->identity);
	c->unit_word = "group of duplicate rows";
	if (pk)
	{
		StringInfoData nulls;

		initStringInfo(&nulls);
		foreach(lc, keys)
			appendStringInfo(&nulls, "%s(%s) IS NULL", nulls.len ? " OR " : "", (char *) lfirst(lc));
		c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s) AND NOT EXISTS (%s) AS no_duplicates",
						  src.from, nulls.data, dup);
		c->what = psprintf("%s: key values are NULL or duplicated", what);
	}
	else
	{
		c->sql = psprintf("SELECT NOT EXISTS (%s) AS no_duplicates", dup);
		c->what = psprintf("%s: key values are duplicated", what);
	}
	c->count_sql = psprintf("SELECT count(*) FROM (%s) AS d", dup);
	return c;
}

/* the check of a re-added constraint, from its definition */
static Check *
constraint_check(Planner *p, RObj *o, RObj *table)
{
	char	   *type = img_text(o->target, "type");
	char	   *def = img_text(o->target, "definition");
	char	   *what;

	if (def == NULL || !img_bool(o->target, "validated") || strstr(def, " NOT VALID") != NULL)
		return NULL;
	what = psprintf("constraint %s cannot be added back", o->identity);
	if (streq(type, "primary key") || streq(type, "unique"))
	{
		bool		nnd = strstr(def, "NULLS NOT DISTINCT") != NULL;
		char	   *list = paren_list(def, streq(type, "unique") && nnd ? "DISTINCT" : NULL);

		return check_unique(p, o, table, list ? split_top(list) : NIL, NULL, !nnd,
							streq(type, "primary key"), what);
	}
	if (streq(type, "check"))
	{
		Source		src = table_source(p, table);
		char	   *expr;
		Check	   *c;

		if (src.empty || strncmp(def, "CHECK ", 6) != 0)
			return NULL;
		expr = paren_list(def, "CHECK");
		if (expr == NULL)
			return NULL;
		c = check_new(CHECK_CONDITION, o->version, o->identity, table->identity);
		c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE NOT (%s)) AS no_violations",
						  src.from, expr);
		c->count_sql = psprintf("SELECT count(*) FROM %s WHERE NOT (%s)", src.from, expr);
		c->what = psprintf("%s: rows violate it", what);
		return c;
	}
	if (streq(type, "foreign key"))
	{
		Source		src = table_source(p, table);
		char	   *cols = paren_list(def, "FOREIGN KEY");
		char	   *refs = paren_list(def, "REFERENCES");
		char	   *reftable = img_text(o->target, "references");
		bool		full = strstr(def, "MATCH FULL") != NULL;
		List	   *cl,
				   *rl;
		StringInfoData notnull,
					match,
					anynull;
		ListCell   *a,
				   *b;
		Check	   *c;
		RObj	   *parent_table = NULL;
		ListCell   *lc;
		char	   *from_orphans;

		if (src.empty || cols == NULL || refs == NULL || reftable == NULL)
			return NULL;
		cl = split_top(cols);
		rl = split_top(refs);
		if (list_length(cl) != list_length(rl) || mentions_unknown(cl, src.unknown))
			return NULL;
		initStringInfo(&notnull);
		initStringInfo(&match);
		initStringInfo(&anynull);
		forboth(a, cl, b, rl)
		{
			appendStringInfo(&notnull, "%schild.%s IS NOT NULL", notnull.len ? " AND " : "",
							 (char *) lfirst(a));
			appendStringInfo(&anynull, "%schild.%s IS NOT NULL", anynull.len ? " OR " : "",
							 (char *) lfirst(a));
			appendStringInfo(&match, "%sparent.%s = child.%s", match.len ? " AND " : "",
							 (char *) lfirst(b), (char *) lfirst(a));
		}
		/* is the referenced table created by this plan (empty)? */
		foreach(lc, p->seg->order)
		{
			RObj	   *t = lfirst(lc);

			if (is_kind(t, "table") && t->target != NULL &&
				streq(img_qualified(t->target), reftable))
				parent_table = t;
		}
		if (parent_table != NULL && (parent_table->live_img == NULL || parent_table->dropping))
			from_orphans = psprintf("%s AS child WHERE %s", src.from,
									full ? anynull.data : notnull.data);
		else if (full)
			from_orphans = psprintf("%s AS child WHERE (%s) AND NOT (%s AND EXISTS (SELECT 1 FROM %s AS parent WHERE %s))",
									src.from, anynull.data, notnull.data, reftable, match.data);
		else
			from_orphans = psprintf("%s AS child WHERE %s AND NOT EXISTS (SELECT 1 FROM %s AS parent WHERE %s)",
									src.from, notnull.data, reftable, match.data);
		/* a derived table already has an alias: name it child instead */
		if (src.from[0] == '(')
		{
			char	   *as = strrchr(src.from, ')');

			from_orphans = psprintf("%.*s) AS child%s", (int) (as - src.from), src.from,
									strstr(from_orphans, " AS child") + 9);
		}
		c = check_new(CHECK_FOREIGN_KEY, o->version, o->identity, table->identity);
		c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s) AS no_orphans", from_orphans);
		c->count_sql = psprintf("SELECT count(*) FROM %s", from_orphans);
		c->what = psprintf("%s: rows reference missing keys", what);
		return c;
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Drops
 * ------------------------------------------------------------------------
 */

/* last value of a sequence, or NULL when nextval was never called */
static char *
sequence_last_value(Oid seqid)
{
	static const char *sql = "SELECT pg_catalog.pg_sequence_last_value($1)::pg_catalog.text";
	Oid			argtypes[1] = {OIDOID};
	Datum		v[1] = {ObjectIdGetDatum(seqid)};
	char	   *result = NULL;
	MemoryContext outer = CurrentMemoryContext;

	SPI_connect();
	if (SPI_execute_with_args(sql, 1, argtypes, v, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (s)
			result = MemoryContextStrdup(outer, s);
	}
	SPI_finish();
	return result;
}
Step *
diff_drop(Planner *p, RObj *o, int prio, bool with_check)
{
	Jsonb	   *img = o->live_img;
	Step	   *s;

	o->dropping = true;
	s = plan_step(p, prio, o, ddl_drop(o, img));
	s->is_drop = true;
	if (with_check && !o->rebuilt)
	{
		if (is_kind(o, "table"))
			s->check = check_table_empty(p, o);
		else if (is_kind(o, "table column") && img_is_null(img, "generated"))
			s->check = check_column_empty(p, o);
	}
	if (is_kind(o, "sequence") && img_is_null(img, "owned_by") && OidIsValid(o->live.objectId))
	{
		Step	   *n = plan_step(p, prio, o, NULL);
		char	   *last = sequence_last_value(o->live.objectId);

		n->note = last
			? psprintf("sequence %s is dropped; its last value was %s", o->identity, last)
			: psprintf("sequence %s is dropped; it was never used", o->identity);
	}
	return s;
}

/* ------------------------------------------------------------------------
 * Creates
 * ------------------------------------------------------------------------
 */
static int
cmp_position(const ListCell *a, const ListCell *b)
{
	RObj	   *x = lfirst(a);
	RObj	   *y = lfirst(b);
	int64		px = img_int(x->target, "position", 0);
	int64		py = img_int(y->target, "position", 0);

	return px < py ? -1 : px > py ? 1 : 0;
}

/*
 * RESET the live options that are not the target's (all of them) and SET
 * the target's: "<prefix> RESET (...)", "<prefix> SET (...)".
 */
static void
options_steps(Planner *p, RObj *o, const char *prefix, Jsonb *l, Jsonb *t, bool as_decoration)
{
	List	   *lo = l ? img_strings(l, "options") : NIL;
	List	   *to = img_strings(t, "options");
	ListCell   *lc;
	StringInfoData reset;

	initStringInfo(&reset);
	foreach(lc, lo)
	{
		char	   *opt = lfirst(lc);
		char	   *eq = strchr(opt, '=');

		appendStringInfo(&reset, "%s%s", reset.len ? ", " : "",
						 eq ? pnstrdup(opt, eq - opt) : opt);
	}
	if (reset.len)
	{
		char	   *sql = psprintf("%s RESET (%s)", prefix, reset.data);

		if (as_decoration)
			decoration(p, o, sql);
		else
			plan_step(p, P_TABLE, o, sql);
	}
	if (to != NIL)
	{
		StringInfoData set;
		char	   *sql;

		initStringInfo(&set);
		foreach(lc, to)
		{
			char	   *opt = lfirst(lc);
			char	   *eq = strchr(opt, '=');

			appendStringInfo(&set, "%s%s = %s", set.len ? ", " : "",
							 eq ? pnstrdup(opt, eq - opt) : opt,
							 eq ? quote_literal_cstr(eq + 1) : "true");
		}
		sql = psprintf("%s SET (%s)", prefix, set.data);
		if (as_decoration)
			decoration(p, o, sql);
		else
			plan_step(p, P_TABLE, o, sql);
	}
}

/* storage, compression, statistics, options and comment of a new column */
static void
column_extras(Planner *p, RObj *col, Jsonb *live)
{
	Jsonb	   *t = col->target;
	char	   *table = img_text(t, "table");
	char	   *name = pstrdup(quote_identifier(img_text(t, "name")));
	char	   *v;

	if (!img_same(t, live, "storage") && (v = img_text(t, "storage")) != NULL)
		decoration(p, col, psprintf("ALTER TABLE %s ALTER COLUMN %s SET STORAGE %s",
									table, name, v));
	if (!img_same(t, live, "compression"))
		decoration(p, col, psprintf("ALTER TABLE %s ALTER COLUMN %s SET COMPRESSION %s", table,
									name, (v = img_text(t, "compression")) ? v : "default"));
	if (!img_same(t, live, "statistics"))
		decoration(p, col, psprintf("ALTER TABLE %s ALTER COLUMN %s SET STATISTICS " INT64_FORMAT,
									table, name, img_int(t, "statistics", -1)));
	if (!img_same(t, live, "options"))
		options_steps(p, col, psprintf("ALTER TABLE %s ALTER COLUMN %s", table, name), live, t, true);
	if (!img_same(t, live, "comment"))
		decoration(p, col, ddl_comment(col, t, img_text(t, "comment")));
	if (!img_same(img_normalize(t), live ? img_normalize(live) : NULL, "acl"))
	{
		/* column privileges: GRANT ... (column) ON TABLE */
		List	   *revoked = NIL;
		ListCell   *lc;

		foreach(lc, live ? img_strings(live, "acl") : NIL)
		{
			char	   *grantee = acl_grantee(lfirst(lc));

			if (revert_str_member(revoked, grantee))
				continue;
			revoked = lappend(revoked, grantee);
			decoration(p, col, psprintf("REVOKE ALL (%s) ON TABLE %s FROM %s", name, table, grantee));
		}
		foreach(lc, img_strings(t, "acl"))
		{
			char	   *item = lfirst(lc);
			char	   *eq = strchr(item, '=');
			char	   *slash = eq ? strchr(eq, '/') : NULL;

			if (eq == NULL || slash == NULL)
				continue;
			for (char *c = eq + 1; c < slash; c++)
			{
				const char *priv = privilege_name(*c);

				if (priv == NULL)
					continue;
				decoration(p, col, psprintf("GRANT %s (%s) ON TABLE %s TO %s%s", priv, name, table,
											acl_grantee(item), c[1] == '*' ? " WITH GRANT OPTION" : ""));
				if (c[1] == '*')
					c++;
			}
		}
	}
}

static void
create_table(Planner *p, RObj *o)
{
	List	   *cols = NIL;
	List	   *imgs = NIL;
	ListCell   *lc;
	Step	   *s;

	if (img_strings(o->target, "inherits") != NIL)
		plan_refuse(o, "it uses table inheritance (INHERITS), which the revert does not handle",
					"Revert this version with a hand-written down section.");
	foreach(lc, plan_children(p, o, "table column"))
	{
		RObj	   *c = lfirst(lc);

		if (c->target != NULL && !diff_is_derived(c, c->target))
			cols = lappend(cols, c);
	}
	list_sort(cols, cmp_position);
	foreach(lc, cols)
		imgs = lappend(imgs, ((RObj *) lfirst(lc))->target);
	s = plan_step(p, P_TABLE, o, ddl_create_table(o->target, imgs));
	foreach(lc, cols)
	{
		RObj	   *c = lfirst(lc);

		c->created = true;
		c->first = c->ready = c->last = c->create_first = s;
		column_extras(p, c, NULL);
	}
	/* columns a partition inherits exist once it is created */
	foreach(lc, plan_children(p, o, "table column"))
	{
		RObj	   *c = lfirst(lc);

		if (!c->created)
		{
			c->created = true;
			c->first = c->ready = c->last = c->create_first = s;
		}
	}
	if (o->start.classId == InvalidOid || o->rebuilt == false)
		plan_note(p, o, "table %s comes back empty: the rows it had are not restored",
				  o->identity);
	decorate_new(p, o);
	if (img_bool(o->target, "row_security"))
		decoration(p, o, psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", img_qualified(o->target)));
	if (img_bool(o->target, "force_row_security"))
		decoration(p, o, psprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY", img_qualified(o->target)));
	if (!streq(img_text(o->target, "replica_identity"), "default") &&
		!streq(img_text(o->target, "replica_identity"), "index"))
		decoration(p, o, psprintf("ALTER TABLE %s REPLICA IDENTITY %s", img_qualified(o->target),
								  streq(img_text(o->target, "replica_identity"), "full") ? "FULL" : "NOTHING"));
}

static void
create_column(Planner *p, RObj *o)
{
	RObj	   *table = plan_parent(p, o);
	Jsonb	   *t = o->target;
	Step	   *s;

	if (diff_is_derived(o, t))
	{
		o->created = true;
		return;
	}
	if (table == NULL || table->target == NULL)
		return;
	s = plan_step(p, P_COLUMN + C_ADD, o,
				  psprintf("ALTER TABLE %s ADD COLUMN %s", img_text(t, "table"),
						   ddl_column_definition(t, true)));
	if (img_bool(t, "not_null") && img_is_null(t, "default") && img_is_null(t, "identity") &&
		img_is_null(t, "generated") && table->live_img != NULL && !table->dropping)
	{
		Check	   *c = check_new(CHECK_EMPTY_FOR_NOT_NULL, o->version, o->identity, table->identity);
		char	   *qt = img_qualified(table->live_img);

		c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s) AS is_empty", qt);
		c->count_sql = psprintf("SELECT count(*) FROM %s", qt);
		c->what = psprintf("column %s comes back NOT NULL without a default value, but table %s is not empty",
						   o->identity, table->identity);
		s->check = c;
	}
	if (img_is_null(t, "generated"))
		plan_note(p, o, "column %s comes back without its old data, as the last column of %s",
				  o->identity, img_text(t, "table"));
	column_extras(p, o, NULL);
}

/*
 * A column that exists as "from" has it (an inherited column, a partition's
 * column): the target's NOT NULL, default, storage, compression,
 * statistics, options and comment where they differ.
 */
static void
column_from(Planner *p, RObj *o, Jsonb *from, const char *qt, const char *qn)
{
	Jsonb	   *t = o->target;

	if (img_bool(t, "not_null") != img_bool(from, "not_null"))
		plan_step(p, P_COLUMN + C_NOT_NULL, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s %s NOT NULL", qt, qn,
						   img_bool(t, "not_null") ? "SET" : "DROP"));
	if (!img_same(t, from, "default"))
		plan_step(p, P_COLUMN + C_SET_DEFAULT, o, img_is_null(t, "default")
				  ? psprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", qt, qn)
				  : psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", qt, qn,
							 img_text(t, "default")));
	column_extras(p, o, from);
}

/*
 * A column a partition inherits comes into existence with the partition,
 * or with its parent's column: NOT NULL, default, storage and compression
 * as the parent's column has them then, and no statistics, options,
 * comment or privileges of its own.  Give it the target's; run after the
 * parent's column is right.
 */
void
diff_derived_column_created(Planner *p, RObj *o)
{
	static const char *const own[] = {"comment", "acl", "statistics", "options"};
	RObj	   *table = plan_parent(p, o);
	Jsonb	   *t = o->target;
	char	   *of = table && table->target ? img_text(table->target, "partition_of") : NULL;
	char	   *name = img_text(t, "name");
	char	   *qt = img_text(t, "table");
	char	   *qn = pstrdup(quote_identifier(name));
	RObj	   *pc = NULL;
	Jsonb	   *base = NULL;
	ListCell   *lc;

	if (of == NULL)
		return;
	foreach(lc, p->seg->order)
	{
		RObj	   *c = lfirst(lc);

		if (is_kind(c, "table column") && c->target != NULL &&
			streq(img_text(c->target, "table"), of) && streq(img_text(c->target, "name"), name))
			pc = c;
	}
	if (pc != NULL)
		base = pc->target;
	else
	{
		Oid			relid = relation_by_name(of);
		AttrNumber	attnum = OidIsValid(relid) ? get_attnum(relid, name) : InvalidAttrNumber;

		if (attnum != InvalidAttrNumber)
		{
			ObjectAddress addr;

			ObjectAddressSubSet(addr, RelationRelationId, relid, attnum);
			base = migrate_image_object(&addr);
		}
	}
	if (base == NULL)
		return;
	base = img_without(base, own, lengthof(own));
	column_from(p, o, base, qt, qn);
	if (pc != NULL && pc->last != NULL && o->first != NULL)
		plan_after(o->first, pc->last);
}

static void
create_constraint(Planner *p, RObj *o)
{
	RObj	   *table = plan_parent(p, o);
	Jsonb	   *t = o->target;
	char	   *type = img_text(t, "type");
	Step	   *s;

	if (diff_is_derived(o, t))
	{
		o->created = true;
		return;
	}
	if (is_kind(o, "domain constraint"))
	{
		s = plan_step(p, P_TYPE_PART, o,
					  psprintf("ALTER DOMAIN %s ADD CONSTRAINT %s %s", img_text(t, "domain"),
							   quote_identifier(img_text(t, "name")), img_text(t, "definition")));
		decorate_new(p, o);
		return;
	}
	s = plan_step(p, streq(type, "foreign key") ? P_FKEY : P_CONSTRAINT, o,
				  psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", img_text(t, "table"),
						   quote_identifier(img_text(t, "name")), img_text(t, "definition")));
	if (table != NULL && table->live_img != NULL && !table->dropping)
		s->check = constraint_check(p, o, table);
	decorate_new(p, o);
}

static void
index_extras(Planner *p, RObj *o, Jsonb *live)
{
	Jsonb	   *t = o->target;
	char	   *table = img_text(t, "table");
	char	   *name = pstrdup(quote_identifier(img_text(t, "name")));

	if (img_bool(t, "clustered") && !img_bool(live, "clustered"))
		decoration(p, o, psprintf("ALTER TABLE %s CLUSTER ON %s", table, name));
	if (img_bool(t, "replica_identity") && !img_bool(live, "replica_identity"))
		decoration(p, o, psprintf("ALTER TABLE %s REPLICA IDENTITY USING INDEX %s", table, name));
	if (!img_same(t, live, "comment"))
		decoration(p, o, ddl_comment(o, t, img_text(t, "comment")));
}

static void
create_index(Planner *p, RObj *o)
{
	RObj	   *table = plan_parent(p, o);
	Jsonb	   *t = o->target;
	Step	   *s;
	char	   *def;

	if (diff_is_derived(o, t))
	{
		o->created = true;
		return;
	}
	def = ddl_definition(t);
	/* an index on a partitioned table is made for its partitions too */
	{
		char	   *only = strstr(def, " ON ONLY ");

		if (only != NULL)
			def = psprintf("%.*s ON %s", (int) (only - def), def, only + 9);
	}
	s = plan_step(p, P_INDEX, o, def);
	if (img_bool(t, "unique") && table != NULL && table->live_img != NULL && !table->dropping)
	{
		char	   *keys = paren_list(def, " USING ");
		char	   *pred = strstr(def, " WHERE ");
		bool		nnd = strstr(def, " NULLS NOT DISTINCT") != NULL;

		s->check = check_unique(p, o, table, keys ? split_top(keys) : NIL,
								pred ? pred + 7 : NULL, !nnd, false,
								psprintf("unique index %s cannot be created again", o->identity));
	}
	index_extras(p, o, NULL);
}

static void
create_trigger(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	char	   *enabled = img_text(t, "enabled");

	if (diff_is_derived(o, t))
	{
		o->created = true;
		return;
	}
	plan_step(p, P_TRIGGER, o, ddl_definition(t));
	if (!streq(enabled, "origin"))
		decoration(p, o, psprintf("ALTER TABLE %s %s TRIGGER %s", img_text(t, "table"),
								  streq(enabled, "disabled") ? "DISABLE" :
								  streq(enabled, "replica") ? "ENABLE REPLICA" : "ENABLE ALWAYS",
								  quote_identifier(img_text(t, "name"))));
	if (img_text(t, "comment"))
		decoration(p, o, ddl_comment(o, t, img_text(t, "comment")));
}

static void
view_column_extras(Planner *p, RObj *o, Jsonb *live)
{
	List	   *tcols = img_elements(o->target, "columns");
	List	   *lcols = live ? img_elements(live, "columns") : NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, tcols)
	{
		Jsonb	   *tc = lfirst(lc);
		Jsonb	   *lcol = i < list_length(lcols) ? list_nth(lcols, i) : NULL;
		char	   *name = pstrdup(quote_identifier(img_text(tc, "name")));
		char	   *def = img_text(tc, "default");

		i++;
		if (!img_same(tc, lcol, "default"))
			decoration(p, o, def
					   ? psprintf("ALTER VIEW %s ALTER COLUMN %s SET DEFAULT %s",
								  img_qualified(o->target), name, def)
					   : psprintf("ALTER VIEW %s ALTER COLUMN %s DROP DEFAULT",
								  img_qualified(o->target), name));
		if (!img_same(tc, lcol, "comment"))
			decoration(p, o, psprintf("COMMENT ON COLUMN %s.%s IS %s", img_qualified(o->target),
									  name, ddl_quote_literal(img_text(tc, "comment"))));
	}
}

void
diff_create(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Step	   *s;

	o->created = true;
	if (is_kind(o, "schema"))
	{
		plan_step(p, P_SCHEMA, o, psprintf("CREATE SCHEMA %s", quote_identifier(img_text(t, "name"))));
		decorate_new(p, o);
	}
	else if (is_kind(o, "extension"))
		plan_step(p, P_EXTENSION, o, ddl_create_extension(t));
	else if (is_kind(o, "enum"))
	{
		plan_step(p, P_TYPE, o, ddl_create_enum(t));
		decorate_new(p, o);
	}
	else if (is_kind(o, "composite type"))
	{
		ListCell   *lc;

		plan_step(p, P_TYPE, o, ddl_create_composite(t));
		decorate_new(p, o);
		foreach(lc, img_elements(t, "attributes"))
		{
			Jsonb	   *a = lfirst(lc);

			if (img_text(a, "comment"))
				decoration(p, o, psprintf("COMMENT ON COLUMN %s.%s IS %s", img_qualified(t),
										  quote_identifier(img_text(a, "name")),
										  ddl_quote_literal(img_text(a, "comment"))));
		}
	}
	else if (is_kind(o, "domain"))
	{
		plan_step(p, P_TYPE, o, ddl_create_domain(t));
		decorate_new(p, o);
	}
	else if (is_kind(o, "sequence"))
	{
		char	   *owned = img_text(t, "owned_by");

		plan_step(p, P_SEQUENCE, o, ddl_create_sequence(t));
		if (owned)
			decoration(p, o, psprintf("ALTER SEQUENCE %s OWNED BY %s", img_qualified(t), owned));
		decorate_new(p, o);
		plan_note(p, o, "sequence %s comes back at its start value", o->identity);
	}
	else if (is_kind(o, "function") || is_kind(o, "procedure"))
	{
		s = plan_step(p, P_ROUTINE, o, ddl_definition(t));
		s->function_body = true;
		decorate_new(p, o);
	}
	else if (is_kind(o, "table"))
		create_table(p, o);
	else if (is_kind(o, "table column"))
	{
		RObj	   *table = plan_parent(p, o);

		/* a table the plan creates brings its columns */
		if (table != NULL && table->target != NULL &&
			(table->live_img == NULL || table->dropping || table->parked))
		{
			o->created = false;
			return;
		}
		create_column(p, o);
	}
	else if (is_kind(o, "table constraint") || is_kind(o, "domain constraint"))
		create_constraint(p, o);
	else if (is_kind(o, "index"))
		create_index(p, o);
	else if (is_kind(o, "trigger"))
		create_trigger(p, o);
	else if (is_kind(o, "view"))
	{
		plan_step(p, P_VIEW, o, ddl_create_view(t, false));
		decorate_new(p, o);
		view_column_extras(p, o, NULL);
	}
	else if (is_kind(o, "materialized view"))
	{
		plan_step(p, P_MATVIEW, o, ddl_create_matview(t));
		decorate_new(p, o);
		view_column_extras(p, o, NULL);
		if (img_bool(t, "populated"))
			plan_note(p, o, "materialized view %s is computed again", o->identity);
	}
	else
		plan_refuse(o, "the revert cannot create objects of this kind",
					"Revert this version with a hand-written down section.");
}

/* ------------------------------------------------------------------------
 * Alters
 * ------------------------------------------------------------------------
 */
/*
 * A column of an enum the plan rebuilds (its live type is the old enum,
 * renamed away; its target the new one): no row may use a label that goes.
 */
static Check *
enum_label_check(Planner *p, RObj *col, RObj *table, const char *ltype, const char *ttype,
				 const char *qt, const char *qn)
{
	bool		array = false;
	char	   *base = pstrdup(ttype);
	size_t		len = strlen(base);
	ListCell   *lc;
	RObj	   *e = NULL;
	List	   *gone = NIL;
	StringInfoData labels;
	Check	   *c;
	char	   *cond;

	if (len > 2 && strcmp(base + len - 2, "[]") == 0)
	{
		array = true;
		base[len - 2] = '\0';
	}
	foreach(lc, p->seg->order)
	{
		RObj	   *x = lfirst(lc);

		if (x->parked && is_kind(x, "enum") && x->target != NULL && x->live_img != NULL &&
			streq(img_qualified(x->target), base))
			e = x;
	}
	if (e == NULL)
		return NULL;
	foreach(lc, img_strings(e->live_img, "labels"))
		if (!revert_str_member(img_strings(e->target, "labels"), lfirst(lc)))
		gone = lappend(gone, lfirst(lc));
	c = check_new(CHECK_LABEL_UNUSED, col->version, col->identity, table ? table->identity : NULL);
	if (gone == NIL)
	{
		c->sql = NULL;
		return NULL;
	}
	initStringInfo(&labels);
	foreach(lc, gone)
		appendStringInfo(&labels, "%s%s", labels.len ? ", " : "", quote_literal_cstr(lfirst(lc)));
	cond = array
		? psprintf("%s::text[] && ARRAY[%s]", qn, labels.data)
		: psprintf("%s::text IN (%s)", qn, labels.data);
	c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s) AS label_unused", qt, cond);
	c->count_sql = psprintf("SELECT count(*) FROM %s WHERE %s", qt, cond);
	c->what = psprintf("column %s uses label%s %s of type %s, which version %s did not have",
					   col->identity, list_length(gone) > 1 ? "s" : "", labels.data, base,
					   p->seg->target_version ? p->seg->target_version : "0");
	(void) ltype;
	return c;
}

static void
diff_column(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	RObj	   *table = plan_parent(p, o);
	char	   *qt = img_text(t, "table");
	char	   *qn = pstrdup(quote_identifier(img_text(t, "name")));
	char	   *ttype = img_text(t, "type");
	char	   *ltype = img_text(l, "type");
	bool		type_changes;
	bool		default_changes;
	Jsonb	   *tid = img_sub(t, "identity");
	Jsonb	   *lid = img_sub(l, "identity");
	Step	   *s;
	Step	   *type_step = NULL;
	Check	   *c;

	if (diff_is_derived(o, t) && diff_is_derived(o, l))
	{
		/*
		 * an inherited column: its own default, NOT NULL, comment and storage
		 * only
		 */
		column_from(p, o, l, qt, qn);
		return;
	}
	/* a generated column cannot change its expression: rebuild it */
	if (!img_same(t, l, "generated"))
	{
		if (img_is_null(t, "generated"))
			plan_step(p, P_COLUMN + C_DROP_IDENTITY, o,
					  psprintf("ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION", qt, qn));
		else
		{
			Step	   *drop;

			/*
			 * A plain column becomes generated again: its values are replaced
			 * by the expression's, so they must equal them.
			 */
			plan_rebuild(p, o);
			drop = o->first;
			if (img_is_null(l, "generated") && drop != NULL && table != NULL)
			{
				char	   *expr = img_text(t, "generated");
				char	   *cond = psprintf("%s IS DISTINCT FROM (%s)", qn, expr);

				c = check_new(CHECK_LOSSLESS, o->version, o->identity, table->identity);
				c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s) AS lossless", qt, cond);
				c->count_sql = psprintf("SELECT count(*) FROM %s WHERE %s", qt, cond);
				c->what = psprintf("column %s holds values other than its generation expression %s",
								   o->identity, expr);
				drop->check = c;
			}
			return;
		}
	}
	type_changes = !streq(ttype, ltype) || !img_same(t, l, "collation");
	default_changes = !img_same(t, l, "default");
	/* the safe order: default, identity, type, default, NOT NULL */
	if (!img_is_null(l, "default") && (default_changes || type_changes))
		plan_step(p, P_COLUMN + C_DROP_DEFAULT, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", qt, qn));
	if (lid != NULL && tid == NULL)
		plan_step(p, P_COLUMN + C_DROP_IDENTITY, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY", qt, qn));
	if (type_changes)
	{
		char	   *coll = img_text(t, "collation");
		char	   *usingexpr = cast_expr(qn, ltype, ttype);

		type_step = plan_step(p, P_COLUMN + C_TYPE, o,
							  psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s%s%s USING %s",
									   qt, qn, ttype, coll ? " COLLATE " : "", coll ? coll : "",
									   usingexpr));
		if (!streq(ttype, ltype) && (c = enum_label_check(p, o, table, ltype, ttype, qt, qn)) != NULL)
			type_step->check = c;
		else if (!streq(ttype, ltype) && !widening(ltype, ttype) && OidIsValid(plan_type_oid(ttype)))
		{
			char	   *back = psprintf("(%s)", cast_expr(psprintf("(%s)", usingexpr), ttype, ltype));
			char	   *cond = psprintf("%s IS NOT NULL AND %s IS DISTINCT FROM %s", qn, back, qn);

			c = check_new(CHECK_LOSSLESS, o->version, o->identity, table ? table->identity : NULL);
			c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s) AS lossless", qt, cond);
			c->count_sql = psprintf("SELECT count(*) FROM %s WHERE %s", qt, cond);
			c->what = psprintf("changing column %s back to type %s would change values",
							   o->identity, ttype);
			type_step->check = c;
		}
		/* what cannot survive a type change is rebuilt around it */
		plan_rebuild_dependents(p, o, type_step, type_step);
	}
	if (tid != NULL && lid == NULL)
		plan_step(p, P_COLUMN + C_IDENTITY, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s ADD %s", qt, qn, ddl_identity_clause(tid)));
	else if (tid != NULL && lid != NULL && !img_equal(tid, lid))
	{
		char	   *tseq = img_text(tid, "sequence");
		char	   *lseq = img_text(lid, "sequence");

		if (!img_same(tid, lid, "generated"))
			plan_step(p, P_COLUMN + C_IDENTITY, o,
					  psprintf("ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s", qt, qn,
							   streq(img_text(tid, "generated"), "always") ? "ALWAYS" : "BY DEFAULT"));
		if (tseq && lseq && strcmp(tseq, lseq) != 0)
		{
			List	   *names = list_make1(tseq);
			char	   *dot = strrchr(tseq, '.');

			(void) names;
			plan_step(p, P_COLUMN + C_IDENTITY, o,
					  psprintf("ALTER SEQUENCE %s RENAME TO %s", lseq, dot ? dot + 1 : tseq));
		}
		plan_step(p, P_COLUMN + C_IDENTITY, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s %s", qt, qn, ddl_identity_set_options(tid)));
	}
	if (!img_is_null(t, "default") && (default_changes || type_changes || img_is_null(l, "default")))
		plan_step(p, P_COLUMN + C_SET_DEFAULT, o,
				  psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", qt, qn,
						   img_text(t, "default")));
	if (img_bool(t, "not_null") != img_bool(l, "not_null"))
	{
		s = plan_step(p, P_COLUMN + C_NOT_NULL, o,
					  psprintf("ALTER TABLE %s ALTER COLUMN %s %s NOT NULL", qt, qn,
							   img_bool(t, "not_null") ? "SET" : "DROP"));
		if (img_bool(t, "not_null") && table != NULL)
		{
			Source		src = table_source(p, table);
			Check	   *c;

			if (!src.empty)
			{
				c = check_new(CHECK_NO_NULLS, o->version, o->identity, table->identity);
				c->sql = psprintf("SELECT NOT EXISTS (SELECT 1 FROM %s WHERE %s IS NULL) AS no_nulls",
								  src.from, qn);
				c->count_sql = psprintf("SELECT count(*) FROM %s WHERE %s IS NULL", src.from, qn);
				c->what = psprintf("column %s cannot be NOT NULL again: it has NULL values",
								   o->identity);
				s->check = c;
			}
		}
	}
	column_extras(p, o, l);
}

static void
diff_table(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	char	   *q = img_qualified(t);
	char	   *v;

	if (!img_same(t, l, "partitioned") || !img_same(t, l, "partition_key"))
		plan_refuse(o, "its partitioning changed, which a revert cannot undo without moving its data",
					"Revert this version with a hand-written down section.");
	if (!img_same(t, l, "inherits"))
		plan_refuse(o, "its table inheritance (INHERITS) changed, which the revert does not handle",
					"Revert this version with a hand-written down section.");
	if (!img_same(t, l, "partition_of") || !img_same(t, l, "partition_bound"))
	{
		if (!img_is_null(l, "partition_of"))
			plan_step(p, P_DETACH, o, psprintf("ALTER TABLE %s DETACH PARTITION %s",
											   img_text(l, "partition_of"), q));
		if (!img_is_null(t, "partition_of"))
			o->attach = plan_step(p, P_ATTACH, o, psprintf("ALTER TABLE %s ATTACH PARTITION %s %s",
														   img_text(t, "partition_of"), q,
														   img_text(t, "partition_bound")));
	}
	if (!img_same(t, l, "persistence"))
		plan_step(p, P_TABLE, o, psprintf("ALTER TABLE %s SET %s", q,
										  streq(img_text(t, "persistence"), "unlogged") ? "UNLOGGED" : "LOGGED"));
	if (!img_same(t, l, "access_method") && (v = img_text(t, "access_method")) != NULL)
		plan_step(p, P_TABLE, o, psprintf("ALTER TABLE %s SET ACCESS METHOD %s", q, quote_identifier(v)));
	if (!img_same(t, l, "tablespace"))
		plan_step(p, P_TABLE, o, psprintf("ALTER TABLE %s SET TABLESPACE %s", q,
										  (v = img_text(t, "tablespace")) ? quote_identifier(v) : "pg_default"));
	if (!img_same(t, l, "options"))
		options_steps(p, o, psprintf("ALTER TABLE %s", q), l, t, false);
	if (!img_same(t, l, "replica_identity") && !streq(img_text(t, "replica_identity"), "index"))
		decoration(p, o, psprintf("ALTER TABLE %s REPLICA IDENTITY %s", q,
								  streq(img_text(t, "replica_identity"), "full") ? "FULL" :
								  streq(img_text(t, "replica_identity"), "nothing") ? "NOTHING" : "DEFAULT"));
	if (img_bool(t, "row_security") != img_bool(l, "row_security"))
		decoration(p, o, psprintf("ALTER TABLE %s %s ROW LEVEL SECURITY", q,
								  img_bool(t, "row_security") ? "ENABLE" : "DISABLE"));
	if (img_bool(t, "force_row_security") != img_bool(l, "force_row_security"))
		decoration(p, o, psprintf("ALTER TABLE %s %sFORCE ROW LEVEL SECURITY", q,
								  img_bool(t, "force_row_security") ? "" : "NO "));
	decorate(p, o, l);
}

/* definitions equal once " NOT VALID" is left out */
static bool
same_definition(Jsonb *a, Jsonb *b)
{
	char	   *x = img_text(a, "definition");
	char	   *y = img_text(b, "definition");
	char	   *nv;

	if (x == NULL || y == NULL)
		return x == y;
	if ((nv = strstr(x, " NOT VALID")) != NULL)
		*nv = '\0';
	if ((nv = strstr(y, " NOT VALID")) != NULL)
		*nv = '\0';
	return strcmp(x, y) == 0;
}

static void
diff_constraint(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	bool		domain = is_kind(o, "domain constraint");

	if (diff_is_derived(o, t))
		return;
	if (!same_definition(t, l) || !img_same(t, l, "type") ||
		(!img_bool(t, "validated") && img_bool(l, "validated")))
	{
		plan_rebuild(p, o);
		return;
	}
	if (img_bool(t, "validated") && !img_bool(l, "validated"))
	{
		Step	   *s = plan_step(p, domain ? P_TYPE_PART : P_CONSTRAINT, o,
								  psprintf("ALTER %s %s VALIDATE CONSTRAINT %s",
										   domain ? "DOMAIN" : "TABLE",
										   img_text(t, domain ? "domain" : "table"),
										   quote_identifier(img_text(t, "name"))));

		if (!domain)
		{
			Jsonb	   *save = o->target;
			char	   *def = img_text(t, "definition");
			char	   *nv = strstr(def, " NOT VALID");

			(void) save;
			if (nv)
				*nv = '\0';
			s->check = constraint_check(p, o, plan_parent(p, o));
		}
	}
	decorate(p, o, l);
}

static void
diff_index(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;

	if (diff_is_derived(o, t))
		return;
	if (!img_same(t, l, "definition") || !img_same(t, l, "tablespace") ||
		(img_bool(t, "valid") && !img_bool(l, "valid")))
	{
		plan_rebuild(p, o);
		return;
	}
	if (!img_bool(t, "clustered") && img_bool(l, "clustered"))
		decoration(p, o, psprintf("ALTER TABLE %s SET WITHOUT CLUSTER", img_text(t, "table")));
	index_extras(p, o, l);
}

static void
diff_trigger(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;

	if (diff_is_derived(o, t))
		return;
	if (!img_same(t, l, "definition"))
	{
		plan_rebuild(p, o);
		return;
	}
	if (!img_same(t, l, "enabled"))
	{
		char	   *enabled = img_text(t, "enabled");

		plan_step(p, P_TRIGGER, o, psprintf("ALTER TABLE %s %s TRIGGER %s", img_text(t, "table"),
											streq(enabled, "disabled") ? "DISABLE" :
											streq(enabled, "replica") ? "ENABLE REPLICA" :
											streq(enabled, "always") ? "ENABLE ALWAYS" : "ENABLE",
											quote_identifier(img_text(t, "name"))));
	}
	if (!img_same(t, l, "comment"))
		decoration(p, o, ddl_comment(o, t, img_text(t, "comment")));
}

/* can CREATE OR REPLACE VIEW turn live into target (columns kept, added at the end)? */
static bool
view_replaceable(Jsonb *t, Jsonb *l)
{
	List	   *tc = img_elements(t, "columns");
	List	   *lcols = img_elements(l, "columns");
	ListCell   *a,
			   *b;

	if (list_length(tc) < list_length(lcols))
		return false;
	forboth(a, lcols, b, tc)
	{
		if (!img_same(lfirst(a), lfirst(b), "name") || !img_same(lfirst(a), lfirst(b), "type") ||
			!img_same(lfirst(a), lfirst(b), "collation"))
			return false;
	}
	return true;
}

static void
diff_view(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	bool		mat = is_kind(o, "materialized view");

	if (mat)
	{
		if (!img_same(t, l, "definition") || !img_same(t, l, "options") ||
			!img_same(t, l, "access_method") || !img_same(t, l, "tablespace") ||
			!view_replaceable(t, l) || !view_replaceable(l, t))
		{
			plan_rebuild(p, o);
			return;
		}
		if (img_bool(t, "populated") != img_bool(l, "populated"))
			plan_step(p, P_MATVIEW, o, psprintf("REFRESH MATERIALIZED VIEW %s%s", img_qualified(t),
												img_bool(t, "populated") ? "" : " WITH NO DATA"));
	}
	else if (!img_same(t, l, "definition") || !img_same(t, l, "options"))
	{
		if (!view_replaceable(t, l))
		{
			plan_rebuild(p, o);
			return;
		}
		plan_step(p, P_VIEW, o, ddl_create_view(t, true));
	}
	view_column_extras(p, o, l);
	decorate(p, o, l);
}

static void
diff_routine(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	Step	   *s;

	if (!img_same(t, l, "arguments") || !img_same(t, l, "result") || !img_same(t, l, "language"))
	{
		plan_rebuild(p, o);
		return;
	}
	if (!img_same(t, l, "definition"))
	{
		s = plan_step(p, P_ROUTINE, o, ddl_definition(t));
		s->function_body = true;
	}
	decorate(p, o, l);
}

static void
diff_sequence(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	static const char *const opts[] = {"type", "start", "increment", "min", "max", "cache", "cycle"};

	for (int i = 0; i < lengthof(opts); i++)
		if (!img_same(t, l, opts[i]))
		{
			plan_step(p, P_SEQUENCE, o, ddl_alter_sequence(t));
			break;
		}
	if (!img_same(t, l, "persistence"))
		plan_step(p, P_SEQUENCE, o, psprintf("ALTER SEQUENCE %s SET %s", img_qualified(t),
											 streq(img_text(t, "persistence"), "unlogged") ? "UNLOGGED" : "LOGGED"));
	if (!img_same(t, l, "owned_by"))
		decoration(p, o, psprintf("ALTER SEQUENCE %s OWNED BY %s", img_qualified(t),
								  img_text(t, "owned_by") ? img_text(t, "owned_by") : "NONE"));
	decorate(p, o, l);
}

/*
 * Enum labels: added labels that the target lacks cannot be removed in
 * place; the enum is then rebuilt (renamed away, created again, its
 * columns converted, the old one dropped).  Labels renamed in place are
 * renamed back; labels the target has and live lacks are added.
 */
static bool
enum_alterable(List *tl, List *ll, bool *renames)
{
	ListCell   *lc;

	*renames = false;
	if (list_length(tl) == list_length(ll))
	{
		int			differ = 0;
		ListCell   *a,
				   *b;

		forboth(a, tl, b, ll)
			if (strcmp(lfirst(a), lfirst(b)) != 0)
			differ++;
		if (differ > 0)
		{
			/* renamed labels: none of the new names is in the target */
			forboth(a, tl, b, ll)
				if (strcmp(lfirst(a), lfirst(b)) != 0 && revert_str_member(tl, lfirst(b)))
				return false;
			*renames = true;
			return true;
		}
	}
	/* every live label must be in the target, in the same order */
	{
		int			last = -1;

		foreach(lc, ll)
		{
			int			pos = -1;
			int			i = 0;
			ListCell   *lc2;

			foreach(lc2, tl)
			{
				if (strcmp(lfirst(lc2), lfirst(lc)) == 0)
					pos = i;
				i++;
			}
			if (pos < 0 || pos < last)
				return false;
			last = pos;
		}
	}
	return true;
}

bool
diff_needs_park(RObj *o)
{
	bool		renames;

	if (o->live_img == NULL || o->target == NULL)
		return false;
	if (is_kind(o, "enum"))
		return !enum_alterable(img_strings(o->target, "labels"), img_strings(o->live_img, "labels"),
							   &renames);
	if (is_kind(o, "domain"))
		return !img_same(o->target, o->live_img, "type") ||
			!img_same(o->target, o->live_img, "collation");
	return false;
}

static void
diff_enum(Planner *p, RObj *o)
{
	List	   *tl = img_strings(o->target, "labels");
	List	   *ll = img_strings(o->live_img, "labels");
	bool		renames;
	char	   *q = img_qualified(o->target);

	if (!enum_alterable(tl, ll, &renames))
		plan_refuse(o, "its labels cannot be restored in place", NULL);
	if (renames)
	{
		ListCell   *a,
				   *b;

		forboth(a, tl, b, ll)
			if (strcmp(lfirst(a), lfirst(b)) != 0)
			plan_step(p, P_TYPE, o, psprintf("ALTER TYPE %s RENAME VALUE %s TO %s", q,
											 quote_literal_cstr(lfirst(b)),
											 quote_literal_cstr(lfirst(a))));
	}
	else
	{
		ListCell   *lc;
		char	   *prev = NULL;

		foreach(lc, tl)
		{
			if (!revert_str_member(ll, lfirst(lc)))
				plan_step(p, P_TYPE, o, prev
						  ? psprintf("ALTER TYPE %s ADD VALUE %s AFTER %s", q,
									 quote_literal_cstr(lfirst(lc)), quote_literal_cstr(prev))
						  : psprintf("ALTER TYPE %s ADD VALUE %s BEFORE %s", q,
									 quote_literal_cstr(lfirst(lc)),
									 quote_literal_cstr(linitial(ll))));
			prev = lfirst(lc);
		}
	}
	decorate(p, o, o->live_img);
}

static void
diff_domain(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	char	   *q = img_qualified(t);

	if (!img_same(t, l, "default"))
		plan_step(p, P_TYPE, o, img_is_null(t, "default")
				  ? psprintf("ALTER DOMAIN %s DROP DEFAULT", q)
				  : psprintf("ALTER DOMAIN %s SET DEFAULT %s", q, img_text(t, "default")));
	if (img_bool(t, "not_null") != img_bool(l, "not_null"))
		plan_step(p, P_TYPE, o, psprintf("ALTER DOMAIN %s %s NOT NULL", q,
										 img_bool(t, "not_null") ? "SET" : "DROP"));
	decorate(p, o, l);
}

static void
diff_composite(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	List	   *ta = img_elements(t, "attributes");
	List	   *la = img_elements(l, "attributes");
	char	   *q = img_qualified(t);
	ListCell   *lc;
	List	   *kept = NIL;

	/* attributes live has and the target lacks go; the rest must be in order */
	foreach(lc, la)
	{
		Jsonb	   *a = lfirst(lc);
		bool		found = false;
		ListCell   *lc2;

		foreach(lc2, ta)
			if (img_same(a, lfirst(lc2), "name"))
			found = true;
		if (!found)
			plan_step(p, P_TYPE, o, psprintf("ALTER TYPE %s DROP ATTRIBUTE %s", q,
											 quote_identifier(img_text(a, "name"))));
		else
			kept = lappend(kept, a);
	}
	{
		int			i = 0;

		foreach(lc, ta)
		{
			Jsonb	   *a = lfirst(lc);
			Jsonb	   *have = i < list_length(kept) ? list_nth(kept, i) : NULL;

			if (have != NULL && img_same(a, have, "name"))
			{
				if (!img_same(a, have, "type") || !img_same(a, have, "collation"))
					plan_step(p, P_TYPE, o, psprintf("ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s%s%s", q,
													 quote_identifier(img_text(a, "name")),
													 img_text(a, "type"),
													 img_text(a, "collation") ? " COLLATE " : "",
													 img_text(a, "collation") ? img_text(a, "collation") : ""));
				i++;
				continue;
			}
			if (have != NULL)
				plan_refuse(o, "its attributes cannot be put back in their order in place",
							"Revert this version with a hand-written down section.");
			plan_step(p, P_TYPE, o, psprintf("ALTER TYPE %s ADD ATTRIBUTE %s %s%s%s", q,
											 quote_identifier(img_text(a, "name")), img_text(a, "type"),
											 img_text(a, "collation") ? " COLLATE " : "",
											 img_text(a, "collation") ? img_text(a, "collation") : ""));
		}
	}
	foreach(lc, ta)
	{
		Jsonb	   *a = lfirst(lc);
		Jsonb	   *have = NULL;
		ListCell   *lc2;

		foreach(lc2, la)
			if (img_same(a, lfirst(lc2), "name"))
			have = lfirst(lc2);
		if (!img_same(a, have, "comment"))
			decoration(p, o, psprintf("COMMENT ON COLUMN %s.%s IS %s", q,
									  quote_identifier(img_text(a, "name")),
									  ddl_quote_literal(img_text(a, "comment"))));
	}
	decorate(p, o, l);
}

static void
diff_extension(Planner *p, RObj *o)
{
	Jsonb	   *t = o->target;
	Jsonb	   *l = o->live_img;
	char	   *name = pstrdup(quote_identifier(img_text(t, "name")));

	if (!img_same(t, l, "schema"))
		plan_step(p, P_EXTENSION, o, psprintf("ALTER EXTENSION %s SET SCHEMA %s", name,
											  quote_identifier(img_text(t, "schema"))));
	if (!img_same(t, l, "version"))
		plan_step(p, P_EXTENSION, o, psprintf("ALTER EXTENSION %s UPDATE TO %s", name,
											  quote_literal_cstr(img_text(t, "version"))));
	if (!img_same(t, l, "comment"))
		decoration(p, o, ddl_comment(o, t, img_text(t, "comment")));
}

/* Steps that take o, present in both states, to its target. */
void
diff_object(Planner *p, RObj *o)
{
	if (is_kind(o, "table"))
		diff_table(p, o);
	else if (is_kind(o, "table column"))
		diff_column(p, o);
	else if (is_kind(o, "table constraint") || is_kind(o, "domain constraint"))
		diff_constraint(p, o);
	else if (is_kind(o, "index"))
		diff_index(p, o);
	else if (is_kind(o, "trigger"))
		diff_trigger(p, o);
	else if (is_kind(o, "view") || is_kind(o, "materialized view"))
		diff_view(p, o);
	else if (is_kind(o, "function") || is_kind(o, "procedure"))
		diff_routine(p, o);
	else if (is_kind(o, "sequence"))
		diff_sequence(p, o);
	else if (is_kind(o, "enum"))
		diff_enum(p, o);
	else if (is_kind(o, "domain"))
		diff_domain(p, o);
	else if (is_kind(o, "composite type"))
		diff_composite(p, o);
	else if (is_kind(o, "extension"))
		diff_extension(p, o);
	else if (is_kind(o, "schema"))
		decorate(p, o, o->live_img);
	else
		plan_refuse(o, "the revert cannot change objects of this kind",
					"Revert this version with a hand-written down section.");
}
