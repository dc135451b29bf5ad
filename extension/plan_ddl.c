/*-------------------------------------------------------------------------
 *
 * plan_ddl.c
 *	  The SQL text of revert steps, built from canonical images.
 *
 * Every name comes from an image: qualified names ("table", "type",
 * "references", ...) are stored already quoted; bare names ("name",
 * "schema") are quoted here with quote_identifier.  Definitions
 * (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef,
 * pg_get_functiondef, pg_get_triggerdef) were produced under an empty
 * search_path, so they can be executed as they are.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/plan_ddl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "revert.h"

char *
ddl_quote_literal(const char *s)
{
	if (s == NULL)
		return pstrdup("NULL");
	return quote_literal_cstr(s);
}

static bool
kind_is(const char *kind, const char *what)
{
	return kind != NULL && strcmp(kind, what) == 0;
}

/* The keyword that names a kind in DDL (DROP <kw>, ALTER <kw>, COMMENT ON <kw>). */
const char *
ddl_keyword(const char *kind)
{
	static const char *const map[][2] = {
		{"schema", "SCHEMA"}, {"table", "TABLE"}, {"view", "VIEW"},
		{"materialized view", "MATERIALIZED VIEW"}, {"sequence", "SEQUENCE"},
		{"index", "INDEX"}, {"function", "FUNCTION"}, {"procedure", "PROCEDURE"},
		{"enum", "TYPE"}, {"composite type", "TYPE"}, {"domain", "DOMAIN"},
		{"trigger", "TRIGGER"}, {"table constraint", "CONSTRAINT"},
		{"domain constraint", "CONSTRAINT"}, {"table column", "COLUMN"},
		{"extension", "EXTENSION"},
	};

	for (int i = 0; i < lengthof(map); i++)
		if (kind_is(kind, map[i][0]))
			return map[i][1];
	elog(ERROR, "no DDL keyword for object kind \"%s\"", kind ? kind : "(null)");
	return NULL;				/* keep compiler quiet */
}

/* "public.f(a integer, b text)" */
static char *
routine_name(Jsonb *img)
{
	char	   *args = img_text(img, "arguments");

	return psprintf("%s(%s)", img_qualified(img), args ? args : "");
}

/*
 * The object's name as DDL writes it after its keyword: "public.t",
 * "public.t.c" (COMMENT ON COLUMN), "c ON public.t" (constraints,
 * triggers), "c ON DOMAIN public.d", "public.f(integer)", "s".
 */
char *
ddl_object_name(RObj *o, Jsonb *img)
{
	const char *kind = o->kind;
	char	   *name = img_text(img, "name");

	if (kind_is(kind, "schema") || kind_is(kind, "extension"))
		return pstrdup(quote_identifier(name));
	if (kind_is(kind, "table column"))
		return psprintf("%s.%s", img_text(img, "table"), quote_identifier(name));
	if (kind_is(kind, "table constraint") || kind_is(kind, "trigger"))
		return psprintf("%s ON %s", quote_identifier(name), img_text(img, "table"));
	if (kind_is(kind, "domain constraint"))
		return psprintf("%s ON DOMAIN %s", quote_identifier(name), img_text(img, "domain"));
	if (kind_is(kind, "function") || kind_is(kind, "procedure"))
		return routine_name(img);
	return img_qualified(img);
}

char *
ddl_drop(RObj *o, Jsonb *img)
{
	const char *kind = o->kind;
	char	   *name = img_text(img, "name");

	if (kind_is(kind, "table column"))
		return psprintf("ALTER TABLE %s DROP COLUMN %s", img_text(img, "table"),
						quote_identifier(name));
	if (kind_is(kind, "table constraint"))
		return psprintf("ALTER TABLE %s DROP CONSTRAINT %s", img_text(img, "table"),
						quote_identifier(name));
	if (kind_is(kind, "domain constraint"))
		return psprintf("ALTER DOMAIN %s DROP CONSTRAINT %s", img_text(img, "domain"),
						quote_identifier(name));
	if (kind_is(kind, "trigger"))
		return psprintf("DROP TRIGGER %s ON %s", quote_identifier(name), img_text(img, "table"));
	return psprintf("DROP %s %s", ddl_keyword(kind), ddl_object_name(o, img));
}

char *
ddl_rename(RObj *o, Jsonb *img, const char *newname)
{
	const char *kind = o->kind;
	char	   *name = img_text(img, "name");

	if (kind_is(kind, "table column"))
		return psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", img_text(img, "table"),
						quote_identifier(name), quote_identifier(newname));
	if (kind_is(kind, "table constraint"))
		return psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", img_text(img, "table"),
						quote_identifier(name), quote_identifier(newname));
	if (kind_is(kind, "domain constraint"))
		return psprintf("ALTER DOMAIN %s RENAME CONSTRAINT %s TO %s", img_text(img, "domain"),
						quote_identifier(name), quote_identifier(newname));
	if (kind_is(kind, "trigger"))
		return psprintf("ALTER TRIGGER %s ON %s RENAME TO %s", quote_identifier(name),
						img_text(img, "table"), quote_identifier(newname));
	return psprintf("ALTER %s %s RENAME TO %s", ddl_keyword(kind), ddl_object_name(o, img),
					quote_identifier(newname));
}

char *
ddl_set_schema(RObj *o, Jsonb *img, const char *schema)
{
	return psprintf("ALTER %s %s SET SCHEMA %s", ddl_keyword(o->kind), ddl_object_name(o, img),
					quote_identifier(schema));
}

char *
ddl_comment(RObj *o, Jsonb *img, const char *comment)
{
	return psprintf("COMMENT ON %s %s IS %s", ddl_keyword(o->kind), ddl_object_name(o, img),
					ddl_quote_literal(comment));
}

char *
ddl_owner(RObj *o, Jsonb *img, const char *owner)
{
	return psprintf("ALTER %s %s OWNER TO %s", ddl_keyword(o->kind), ddl_object_name(o, img),
					quote_identifier(owner));
}

/* ------------------------------------------------------------------------
 * Columns
 * ------------------------------------------------------------------------
 */

/* " (SEQUENCE NAME s START WITH 1 ...)" of an identity column, from its image */
static void
identity_options(StringInfo buf, Jsonb *ident)
{
	char	   *seq = img_text(ident, "sequence");

	appendStringInfoString(buf, " (");
	if (seq)
		appendStringInfo(buf, "SEQUENCE NAME %s ", seq);
	appendStringInfo(buf, "START WITH " INT64_FORMAT " INCREMENT BY " INT64_FORMAT
					 " MINVALUE " INT64_FORMAT " MAXVALUE " INT64_FORMAT " CACHE " INT64_FORMAT
					 "%s)",
					 img_int(ident, "start", 1), img_int(ident, "increment", 1),
					 img_int(ident, "min", 1), img_int(ident, "max", 1),
					 img_int(ident, "cache", 1), img_bool(ident, "cycle") ? " CYCLE" : " NO CYCLE");
}

/* "SEQUENCE NAME ... START WITH ..." for SET options (no parentheses) */
char *
ddl_identity_set_options(Jsonb *ident)
{
	return psprintf("SET START WITH " INT64_FORMAT " SET INCREMENT BY " INT64_FORMAT
					" SET MINVALUE " INT64_FORMAT " SET MAXVALUE " INT64_FORMAT
					" SET CACHE " INT64_FORMAT " SET %s",
					img_int(ident, "start", 1), img_int(ident, "increment", 1),
					img_int(ident, "min", 1), img_int(ident, "max", 1),
					img_int(ident, "cache", 1), img_bool(ident, "cycle") ? "CYCLE" : "NO CYCLE");
}

/* "GENERATED BY DEFAULT AS IDENTITY (...)" */
char *
ddl_identity_clause(Jsonb *ident)
{
	StringInfoData buf;
	char	   *gen = img_text(ident, "generated");

	initStringInfo(&buf);
	appendStringInfo(&buf, "GENERATED %s AS IDENTITY",
					 gen && strcmp(gen, "always") == 0 ? "ALWAYS" : "BY DEFAULT");
	identity_options(&buf, ident);
	return buf.data;
}

/* "name type [COLLATE c] [GENERATED ...] [DEFAULT e] [NOT NULL]" */
char *
ddl_column_definition(Jsonb *col, bool with_not_null)
{
	StringInfoData buf;
	char	   *collation = img_text(col, "collation");
	char	   *generated = img_text(col, "generated");
	char	   *def = img_text(col, "default");
	Jsonb	   *ident = img_sub(col, "identity");

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", quote_identifier(img_text(col, "name")),
					 img_text(col, "type"));
	if (collation)
		appendStringInfo(&buf, " COLLATE %s", collation);
	if (generated)
		appendStringInfo(&buf, " GENERATED ALWAYS AS (%s) STORED", generated);
	if (ident)
		appendStringInfo(&buf, " %s", ddl_identity_clause(ident));
	if (def)
		appendStringInfo(&buf, " DEFAULT %s", def);
	if (with_not_null && img_bool(col, "not_null"))
		appendStringInfoString(&buf, " NOT NULL");
	return buf.data;
}

/* ------------------------------------------------------------------------
 * Creating objects
 * ------------------------------------------------------------------------
 */
static void
append_options(StringInfo buf, Jsonb *img)
{
	List	   *opts = img_strings(img, "options");
	ListCell   *lc;

	if (opts == NIL)
		return;
	appendStringInfoString(buf, " WITH (");
	foreach(lc, opts)
	{
		char	   *opt = lfirst(lc);
		char	   *eq = strchr(opt, '=');

		if (lc != list_head(opts))
			appendStringInfoString(buf, ", ");
		if (eq)
			appendStringInfo(buf, "%s = %s", pnstrdup(opt, eq - opt),
							 quote_literal_cstr(eq + 1));
		else
			appendStringInfoString(buf, opt);
	}
	appendStringInfoChar(buf, ')');
}

/*
 * CREATE TABLE from the table's image and the images of its columns (in
 * position order).  A partition is created with PARTITION OF: its columns
 * come from the parent.
 */
char *
ddl_create_table(Jsonb *table, List *columns)
{
	StringInfoData buf;
	char	   *persistence = img_text(table, "persistence");
	char	   *partition_of = img_text(table, "partition_of");
	char	   *partkey = img_text(table, "partition_key");
	char	   *am = img_text(table, "access_method");
	char	   *tablespace = img_text(table, "tablespace");
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sTABLE %s",
					 persistence && strcmp(persistence, "unlogged") == 0 ? "UNLOGGED " : "",
					 img_qualified(table));
	if (partition_of)
		appendStringInfo(&buf, " PARTITION OF %s", partition_of);
	appendStringInfoString(&buf, " (");
	foreach(lc, columns)
	{
		Jsonb	   *col = lfirst(lc);

		if (partition_of != NULL)
			continue;			/* the parent's columns */
		appendStringInfo(&buf, "%s\n    %s", first ? "" : ",", ddl_column_definition(col, true));
		first = false;
	}
	appendStringInfoString(&buf, first ? ")" : "\n)");
	if (partition_of)
	{
		/* "( )" is not valid for PARTITION OF: drop it */
		buf.len -= first ? 3 : 0;
		buf.data[buf.len] = '\0';
		appendStringInfo(&buf, " %s", img_text(table, "partition_bound"));
	}
	if (partkey)
		appendStringInfo(&buf, " PARTITION BY %s", partkey);
	if (am && strcmp(am, "heap") != 0)
		appendStringInfo(&buf, " USING %s", quote_identifier(am));
	append_options(&buf, table);
	if (tablespace)
		appendStringInfo(&buf, " TABLESPACE %s", quote_identifier(tablespace));
	return buf.data;
}

char *
ddl_create_sequence(Jsonb *seq)
{
	char	   *persistence = img_text(seq, "persistence");

	return psprintf("CREATE %sSEQUENCE %s AS %s START WITH " INT64_FORMAT
					" INCREMENT BY " INT64_FORMAT " MINVALUE " INT64_FORMAT
					" MAXVALUE " INT64_FORMAT " CACHE " INT64_FORMAT "%s",
					persistence && strcmp(persistence, "unlogged") == 0 ? "UNLOGGED " : "",
					img_qualified(seq), img_text(seq, "type"),
					img_int(seq, "start", 1), img_int(seq, "increment", 1),
					img_int(seq, "min", 1), img_int(seq, "max", 1),
					img_int(seq, "cache", 1), img_bool(seq, "cycle") ? " CYCLE" : "");
}

char *
ddl_alter_sequence(Jsonb *seq)
{
	return psprintf("ALTER SEQUENCE %s AS %s START WITH " INT64_FORMAT
					" INCREMENT BY " INT64_FORMAT " MINVALUE " INT64_FORMAT
					" MAXVALUE " INT64_FORMAT " CACHE " INT64_FORMAT " %s",
					img_qualified(seq), img_text(seq, "type"),
					img_int(seq, "start", 1), img_int(seq, "increment", 1),
					img_int(seq, "min", 1), img_int(seq, "max", 1),
					img_int(seq, "cache", 1), img_bool(seq, "cycle") ? "CYCLE" : "NO CYCLE");
}

/* a view definition from pg_get_viewdef, without its final semicolon */
static char *
view_query(Jsonb *view)
{
	char	   *def = img_text(view, "definition");
	int			n = strlen(def);

	while (n > 0 && (def[n - 1] == ';' || def[n - 1] == ' ' || def[n - 1] == '\n'))
		n--;
	def[n] = '\0';
	return def;
}

char *
ddl_create_view(Jsonb *view, bool replace)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sVIEW %s", replace ? "OR REPLACE " : "",
					 img_qualified(view));
	append_options(&buf, view);
	appendStringInfo(&buf, " AS\n%s", view_query(view));
	return buf.data;
}

char *
ddl_create_matview(Jsonb *view)
{
	StringInfoData buf;
	char	   *am = img_text(view, "access_method");
	char	   *tablespace = img_text(view, "tablespace");

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE MATERIALIZED VIEW %s", img_qualified(view));
	if (am && strcmp(am, "heap") != 0)
		appendStringInfo(&buf, " USING %s", quote_identifier(am));
	append_options(&buf, view);
	if (tablespace)
		appendStringInfo(&buf, " TABLESPACE %s", quote_identifier(tablespace));
	appendStringInfo(&buf, " AS\n%s\nWITH %sDATA", view_query(view),
					 img_bool(view, "populated") ? "" : "NO ");
	return buf.data;
}

/* a definition from pg_get_*def, without trailing white space */
char *
ddl_definition(Jsonb *img)
{
	char	   *def = img_text(img, "definition");
	int			n = strlen(def);

	while (n > 0 && (def[n - 1] == ' ' || def[n - 1] == '\n'))
		n--;
	def[n] = '\0';
	return def;
}

char *
ddl_create_enum(Jsonb *img)
{
	StringInfoData buf;
	ListCell   *lc;
	List	   *labels = img_strings(img, "labels");

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TYPE %s AS ENUM (", img_qualified(img));
	foreach(lc, labels)
		appendStringInfo(&buf, "%s%s", lc == list_head(labels) ? "" : ", ",
						 quote_literal_cstr(lfirst(lc)));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

char *
ddl_create_composite(Jsonb *img)
{
	StringInfoData buf;
	ListCell   *lc;
	List	   *attrs = img_elements(img, "attributes");

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TYPE %s AS (", img_qualified(img));
	foreach(lc, attrs)
	{
		Jsonb	   *a = lfirst(lc);
		char	   *coll = img_text(a, "collation");

		appendStringInfo(&buf, "%s%s %s", lc == list_head(attrs) ? "" : ", ",
						 quote_identifier(img_text(a, "name")), img_text(a, "type"));
		if (coll)
			appendStringInfo(&buf, " COLLATE %s", coll);
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

char *
ddl_create_domain(Jsonb *img)
{
	StringInfoData buf;
	char	   *coll = img_text(img, "collation");
	char	   *def = img_text(img, "default");

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE DOMAIN %s AS %s", img_qualified(img), img_text(img, "type"));
	if (coll)
		appendStringInfo(&buf, " COLLATE %s", coll);
	if (def)
		appendStringInfo(&buf, " DEFAULT %s", def);
	if (img_bool(img, "not_null"))
		appendStringInfoString(&buf, " NOT NULL");
	return buf.data;
}

char *
ddl_create_extension(Jsonb *img)
{
	char	   *schema = img_text(img, "schema");
	char	   *version = img_text(img, "version");
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE EXTENSION %s", quote_identifier(img_text(img, "name")));
	if (schema)
		appendStringInfo(&buf, " WITH SCHEMA %s", quote_identifier(schema));
	if (version)
		appendStringInfo(&buf, " VERSION %s", quote_literal_cstr(version));
	return buf.data;
}
