/*-------------------------------------------------------------------------
 *
 * my_catalog.c
 *	  What the target database contains: fingerprints, images, and the
 *	  parser of table images.
 *
 * Two levels of introspection:
 *
 *	- a fingerprint of every object, computed by one query over
 *	  information_schema (tables, columns, indexes, constraints, views,
 *	  triggers, routines, events).  It is cheap enough to take after every
 *	  statement, and tells which objects a statement changed.
 *	- an image of an object: its canonical definition, from SHOW CREATE,
 *	  normalised (the AUTO_INCREMENT counter of a table is dropped).  Images
 *	  are what the history stores and what the revert planner compares.
 *	  Views, triggers and routines carry the session settings they were
 *	  created under as "-- key: value" header lines.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "my_int.h"

static const char *const kind_names[OBJ_NKINDS] = {
	"table", "view", "trigger", "procedure", "function", "event", "sequence"
};

static const char kind_letters[OBJ_NKINDS] = {'t', 'v', 'g', 'p', 'f', 'e', 's'};

const char *
my_obj_kind_name(ObjKind k)
{
	return kind_names[k];
}

int
my_obj_kind_from_name(const char *s)
{
	for (int i = 0; i < OBJ_NKINDS; i++)
		if (strcmp(kind_names[i], s) == 0)
			return i;
	return -1;
}

char
my_obj_kind_letter(ObjKind k)
{
	return kind_letters[k];
}

/* The driver's own tables, never part of a snapshot. */
static const char *const bookkeeping[] = {
	"migrate_revisions", "migrate_history_files", "migrate_history_statements",
	"migrate_history_units", "migrate_history_images", "migrate_history_definitions",
	"migrate_history_renames", "migrate_intent", "migrate_revert", "migrate_tags", NULL
};

bool
my_is_bookkeeping_table(MyState *st, const char *name)
{
	if (strcmp(st->rdb, st->db) != 0)
		return false;
	for (int i = 0; bookkeeping[i]; i++)
		if (strcmp(bookkeeping[i], name) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------
 */
static int
obj_cmp(ObjKind ak, const char *an, ObjKind bk, const char *bn)
{
	if (ak != bk)
		return (int) ak - (int) bk;
	return strcmp(an, bn);
}

static int
snapshot_pos(const Snapshot *s, ObjKind kind, const char *name, bool *found)
{
	int			lo = 0,
				hi = s->n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = obj_cmp(s->items[mid].kind, s->items[mid].name, kind, name);

		if (c == 0)
		{
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

SnapObj *
my_snapshot_find(const Snapshot *s, ObjKind kind, const char *name)
{
	bool		found;
	int			pos = snapshot_pos(s, kind, name, &found);

	return found ? &s->items[pos] : NULL;
}

void
my_snapshot_put(Snapshot *s, ObjKind kind, const char *name, const char *fp, const char *image)
{
	bool		found;
	int			pos = snapshot_pos(s, kind, name, &found);
	SnapObj    *o;

	if (!found)
	{
		s->items = xrealloc(s->items, (s->n + 1) * sizeof(SnapObj));
		memmove(&s->items[pos + 1], &s->items[pos], (s->n - pos) * sizeof(SnapObj));
		s->n++;
		o = &s->items[pos];
		memset(o, 0, sizeof(*o));
		o->kind = kind;
		o->name = xstrdup(name);
	}
	else
		o = &s->items[pos];
	snprintf(o->fp, sizeof(o->fp), "%s", fp ? fp : "");
	if (image != o->image)
	{
		free(o->image);
		o->image = xstrdup(image);
	}
	if (o->image)
		my_sha256_hex(o->image, strlen(o->image), o->hash);
	else
		o->hash[0] = '\0';
}

void
my_snapshot_remove(Snapshot *s, ObjKind kind, const char *name)
{
	bool		found;
	int			pos = snapshot_pos(s, kind, name, &found);

	if (!found)
		return;
	free(s->items[pos].name);
	free(s->items[pos].image);
	memmove(&s->items[pos], &s->items[pos + 1], (s->n - pos - 1) * sizeof(SnapObj));
	s->n--;
}

void
my_snapshot_copy(Snapshot *dst, const Snapshot *src)
{
	my_snapshot_free(dst);
	dst->items = xcalloc(1, (src->n + 1) * sizeof(SnapObj));
	dst->n = src->n;
	for (int i = 0; i < src->n; i++)
	{
		dst->items[i] = src->items[i];
		dst->items[i].name = xstrdup(src->items[i].name);
		dst->items[i].image = xstrdup(src->items[i].image);
	}
}

void
my_snapshot_free(Snapshot *s)
{
	for (int i = 0; i < s->n; i++)
	{
		free(s->items[i].name);
		free(s->items[i].image);
	}
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

/* ------------------------------------------------------------------------
 * Fingerprints
 * ------------------------------------------------------------------------
 */

/* above this many tables with CHECK constraints, read CHECK_CONSTRAINTS */
#define CHECK_TABLES_BY_IMAGE 8

/*
 * One query returning, for every column, index part, foreign key part,
 * view, trigger, routine, parameter and event of the database, a row
 * (kind letter, object name, part letter, sort key, sort number, text).
 * The client sorts the rows and hashes them per object: no grouping is
 * asked of the server, which keeps its internal temporary tables few and
 * small.  Columns that change without a change of definition (row counts,
 * AUTO_INCREMENT counters, update times) are left out.
 */
static char *
fingerprint_sql(MyState *st, bool tables_only)
{
	StrBuf		sb;
	char	   *db = my_literal(st, st->db);
	char	   *dbt;

	/* the bookkeeping tables are filtered out before the server opens them */
	if (strcmp(st->rdb, st->db) == 0)
	{
		StrBuf		b;

		sb_init(&b);
		sb_printf(&b, "%s AND TABLE_NAME NOT IN (", db);
		for (int i = 0; bookkeeping[i]; i++)
			sb_printf(&b, "%s'%s'", i ? ", " : "", bookkeeping[i]);
		sb_putc(&b, ')');
		dbt = sb_steal(&b);
	}
	else
		dbt = xstrdup(db);

	sb_init(&sb);
	sb_printf(&sb,
			  "SELECT CASE TABLE_TYPE WHEN 'VIEW' THEN 'v' WHEN 'SEQUENCE' THEN 's' ELSE 't' END, "
			  "TABLE_NAME, 'a', '', 0, CONCAT_WS('|', TABLE_TYPE, IFNULL(ENGINE, '~'), "
			  "IFNULL(TABLE_COLLATION, '~'), IFNULL(CREATE_OPTIONS, '~'), TABLE_COMMENT) "
			  "FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s%s", dbt,
			  tables_only ? " AND TABLE_TYPE <> 'VIEW'" : "");
	sb_printf(&sb,
			  " UNION ALL SELECT 't', TABLE_NAME, 'b', '', ORDINAL_POSITION, CONCAT_WS('|', COLUMN_NAME, "
			  "IFNULL(COLUMN_DEFAULT, '~'), IS_NULLABLE, COLUMN_TYPE, "
			  "IFNULL(CHARACTER_SET_NAME, '~'), IFNULL(COLLATION_NAME, '~'), EXTRA, COLUMN_COMMENT, "
			  "IFNULL(GENERATION_EXPRESSION, '~')) "
			  "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s", dbt);
	sb_printf(&sb,
			  " UNION ALL SELECT 't', TABLE_NAME, 'c', INDEX_NAME, SEQ_IN_INDEX, CONCAT_WS('|', "
			  "NON_UNIQUE, COLUMN_NAME, IFNULL(SUB_PART, '~'), INDEX_TYPE, "
			  "IFNULL(COLLATION, '~'), INDEX_COMMENT, IFNULL(COMMENT, '~')%s) "
			  "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s",
			  st->mariadb && st->server_version >= 100600 ? ", IGNORED" : "", dbt);
	sb_printf(&sb,
			  " UNION ALL SELECT 'k', TABLE_NAME, 'e', CONSTRAINT_NAME, 0, '' "
			  "FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = %s "
			  "AND CONSTRAINT_TYPE = 'CHECK'", dbt);
	sb_printf(&sb,
			  " UNION ALL SELECT 't', TABLE_NAME, 'f', CONSTRAINT_NAME, 0, CONCAT_WS('|', "
			  "UPDATE_RULE, DELETE_RULE, REFERENCED_TABLE_NAME, MATCH_OPTION) "
			  "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s", db);
	sb_printf(&sb,
			  " UNION ALL SELECT 't', TABLE_NAME, 'g', CONSTRAINT_NAME, ORDINAL_POSITION, CONCAT_WS('|', "
			  "COLUMN_NAME, IFNULL(REFERENCED_TABLE_SCHEMA, '~'), "
			  "IFNULL(REFERENCED_TABLE_NAME, '~'), IFNULL(REFERENCED_COLUMN_NAME, '~')) "
			  "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
			  "AND REFERENCED_TABLE_NAME IS NOT NULL", dbt);
	sb_printf(&sb,
			  " UNION ALL SELECT 'g', TRIGGER_NAME, 'a', '', 0, CONCAT_WS('|', EVENT_MANIPULATION, "
			  "EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, ACTION_TIMING, "
			  "IFNULL(CREATED, '~'), SQL_MODE, DEFINER) "
			  "FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = %s", db);
	if (!tables_only)
	{
		/* after a statement on tables only, views and routines cannot change */
		sb_printf(&sb,
				  " UNION ALL SELECT 'v', TABLE_NAME, 'b', '', 0, CONCAT_WS('|', VIEW_DEFINITION, "
				  "CHECK_OPTION, DEFINER, SECURITY_TYPE, ALGORITHM) "
				  "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s", db);
		sb_printf(&sb,
				  " UNION ALL SELECT IF(ROUTINE_TYPE = 'PROCEDURE', 'p', 'f'), ROUTINE_NAME, 'a', '', 0, "
				  "CONCAT_WS('|', IFNULL(ROUTINE_DEFINITION, '~'), IFNULL(DTD_IDENTIFIER, '~'), "
				  "IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, CREATED, LAST_ALTERED, SQL_MODE, "
				  "ROUTINE_COMMENT, DEFINER) "
				  "FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", db);
		sb_printf(&sb,
				  " UNION ALL SELECT IF(ROUTINE_TYPE = 'PROCEDURE', 'p', 'f'), SPECIFIC_NAME, 'b', '', "
				  "ORDINAL_POSITION, CONCAT_WS('|', IFNULL(PARAMETER_MODE, '~'), "
				  "IFNULL(PARAMETER_NAME, '~'), DTD_IDENTIFIER) "
				  "FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = %s", db);
		sb_printf(&sb,
				  " UNION ALL SELECT 'e', EVENT_NAME, 'a', '', 0, CONCAT_WS('|', EVENT_DEFINITION, EVENT_TYPE, "
				  "IFNULL(EXECUTE_AT, '~'), IFNULL(INTERVAL_VALUE, '~'), IFNULL(INTERVAL_FIELD, '~'), "
				  "STATUS, ON_COMPLETION, LAST_ALTERED, DEFINER, SQL_MODE) "
				  "FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s", db);
	}
	free(db);
	free(dbt);
	return sb_steal(&sb);
}

static ObjKind
letter_kind(char c)
{
	for (int i = 0; i < OBJ_NKINDS; i++)
		if (kind_letters[i] == c)
			return (ObjKind) i;
	return OBJ_TABLE;
}

/* fingerprint rows: kind, name, part, key, number, text */
static int
fp_row_cmp(const void *a, const void *b)
{
	char	  **x = *(char ***) a;
	char	  **y = *(char ***) b;
	int			c;

	/*
	 * kind letters that map to one kind compare equal here: the object key is
	 * (kind, name), the rest orders the parts
	 */
	if ((c = (int) letter_kind(x[0][0]) - (int) letter_kind(y[0][0])) != 0)
		return c;
	for (int i = 1; i <= 3; i++)
		if ((c = strcmp(x[i] ? x[i] : "", y[i] ? y[i] : "")) != 0)
			return c;
	if ((c = (int) (atoll(x[4] ? x[4] : "0") - atoll(y[4] ? y[4] : "0"))) != 0)
		return c;
	return strcmp(x[5] ? x[5] : "", y[5] ? y[5] : "");
}

static int
check_row_cmp(const void *a, const void *b)
{
	char	  **x = *(char ***) a;
	char	  **y = *(char ***) b;
	int			c;

	for (int i = 0; i < 3; i++)
		if ((c = strcmp(x[i] ? x[i] : "", y[i] ? y[i] : "")) != 0)
			return c;
	return 0;
}

/* add "part:text" to the accumulation of (kind, name) in tmp */
static void
fp_add(Snapshot *tmp, ObjKind k, const char *name, const char *part)
{
	SnapObj    *o = my_snapshot_find(tmp, k, name);
	StrBuf		sb;

	sb_init(&sb);
	if (o && o->image)
		sb_puts(&sb, o->image);
	sb_puts(&sb, part);
	my_snapshot_put(tmp, k, name, "", sb.data);
	sb_free(&sb);
}

/*
 * Fingerprints of every object in the target database, without images.
 * The driver's bookkeeping tables are left out.  tables_only: tables,
 * sequences and triggers only (after a statement that can change nothing
 * else).
 */
int
my_catalog_fingerprints(MyState *st, bool tables_only, Snapshot *out)
{
	char	   *sql = fingerprint_sql(st, tables_only);
	MyRows		r;
	int			rc;
	Snapshot	tmp = {0};
	MyList		with_checks = {0};
	char	  **images;
	char	 ***sorted;

	memset(out, 0, sizeof(*out));
	rc = my_query(st, sql, &r);
	free(sql);
	if (rc != DRV_OK)
		return rc;

	sorted = xcalloc(1, (r.nrows + 1) * sizeof(char **));
	for (int i = 0; i < r.nrows; i++)
		sorted[i] = r.rows[i];
	qsort(sorted, r.nrows, sizeof(char **), fp_row_cmp);

	/*
	 * accumulate the rows per object, in a temporary snapshot whose image
	 * field holds the accumulation
	 */
	for (int i = 0; i < r.nrows; i++)
	{
		char	  **row = sorted[i];
		ObjKind		k;
		char	   *part;

		if (row[0] == NULL || row[1] == NULL)
			continue;
		if (row[0][0] == 'k')
		{
			if (!my_is_bookkeeping_table(st, row[1]) && !ml_contains(&with_checks, row[1]))
				ml_add(&with_checks, row[1]);
			continue;
		}
		k = letter_kind(row[0][0]);
		if ((k == OBJ_TABLE || k == OBJ_SEQUENCE || k == OBJ_VIEW) &&
			my_is_bookkeeping_table(st, row[1]))
			continue;
		part = xasprintf("%s:%s:%s:%s;", row[2] ? row[2] : "", row[3] ? row[3] : "",
						 row[4] ? row[4] : "", row[5] ? row[5] : "~");
		fp_add(&tmp, k, row[1], part);
		free(part);
	}
	free(sorted);
	my_rows_free(&r);

	/*
	 * CHECK constraint clauses.  information_schema.CHECK_CONSTRAINTS cannot
	 * be restricted to one database (it reads every database's tables), so
	 * when few tables have checks they contribute their whole image instead
	 * (one SHOW CREATE each); with many, the one query is cheaper.
	 */
	images = xcalloc(1, (with_checks.n + 1) * sizeof(char *));
	if (with_checks.n > CHECK_TABLES_BY_IMAGE)
	{
		char	   *db = my_literal(st, st->db);
		char	   *q = xasprintf("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE "
								  "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s",
								  db);

		free(db);
		rc = my_query(st, q, &r);
		free(q);
		if (rc == DRV_OK)
		{
			sorted = xcalloc(1, (r.nrows + 1) * sizeof(char **));
			for (int i = 0; i < r.nrows; i++)
				sorted[i] = r.rows[i];
			qsort(sorted, r.nrows, sizeof(char **), check_row_cmp);
			for (int i = 0; i < r.nrows; i++)
			{
				char	  **row = sorted[i];
				char	   *part;

				if (row[0] == NULL || my_snapshot_find(&tmp, OBJ_TABLE, row[0]) == NULL)
					continue;
				part = xasprintf("e:%s:%s;", row[1] ? row[1] : "", row[2] ? row[2] : "~");
				fp_add(&tmp, OBJ_TABLE, row[0], part);
				free(part);
			}
			free(sorted);
			my_rows_free(&r);
		}
	}
	else
		for (int i = 0; i < with_checks.n; i++)
		{
			SnapObj    *o = my_snapshot_find(&tmp, OBJ_TABLE, with_checks.items[i]);
			char		hex[65];
			char	   *part;

			rc = my_catalog_image(st, OBJ_TABLE, with_checks.items[i], &images[i]);
			if (rc != DRV_OK)
				break;
			if (o == NULL || images[i] == NULL)
				continue;
			my_sha256_hex(images[i], strlen(images[i]), hex);
			part = xasprintf("e:%s;", hex);
			fp_add(&tmp, OBJ_TABLE, with_checks.items[i], part);
			free(part);
		}

	/*
	 * hash the accumulations; a "table" without a TABLES row is the column
	 * list of a view
	 */
	for (int i = 0; rc == DRV_OK && i < tmp.n; i++)
	{
		char		hex[65];

		if (tmp.items[i].kind == OBJ_TABLE && strncmp(tmp.items[i].image, "a:", 2) != 0)
			continue;
		my_sha256_hex(tmp.items[i].image, strlen(tmp.items[i].image), hex);
		hex[32] = '\0';
		my_snapshot_put(out, tmp.items[i].kind, tmp.items[i].name, hex, NULL);
	}
	for (int i = 0; i < with_checks.n; i++)
	{
		if (rc == DRV_OK && images[i] && my_snapshot_find(out, OBJ_TABLE, with_checks.items[i]))
		{
			SnapObj    *o = my_snapshot_find(out, OBJ_TABLE, with_checks.items[i]);
			char		fp[33];

			memcpy(fp, o->fp, sizeof(fp));
			my_snapshot_put(out, OBJ_TABLE, with_checks.items[i], fp, images[i]);
		}
		free(images[i]);
	}
	free(images);
	ml_free(&with_checks);
	my_snapshot_free(&tmp);
	if (rc != DRV_OK)
		my_snapshot_free(out);
	return rc;
}

/* ------------------------------------------------------------------------
 * Images
 * ------------------------------------------------------------------------
 */

/* Drop " AUTO_INCREMENT=n" from the table options line. */
static void
normalize_table_image(char *img)
{
	char	   *opts = strstr(img, "\n) ");
	char	   *p;

	if (opts == NULL)
		return;
	while ((p = strstr(opts, " AUTO_INCREMENT=")) != NULL)
	{
		char	   *q = p + strlen(" AUTO_INCREMENT=");

		if (!isdigit((unsigned char) *q))
		{
			opts = q;
			continue;
		}
		while (isdigit((unsigned char) *q))
			q++;
		memmove(p, q, strlen(q) + 1);
	}
}

int
my_catalog_image(MyState *st, ObjKind kind, const char *name, char **image)
{
	StrBuf		sb;
	MyRows		r;
	char	   *err = NULL;
	int			rc;
	static const char *const show[OBJ_NKINDS] = {
		"TABLE", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "SEQUENCE"
	};

	*image = NULL;
	sb_init(&sb);
	sb_printf(&sb, "SHOW CREATE %s %s.", show[kind], st->qdb);
	mb_ident(&sb, name);
	if (mysql_real_query(st->conn, sb.data, sb.len) != 0)
	{
		unsigned int e = mysql_errno(st->conn);

		/* the object does not exist (any more) */
		if (e == 1146 || e == 1305 || e == 1360 || e == 1539 || e == 1347)
		{
			sb_free(&sb);
			return DRV_OK;
		}
		rc = my_exec(st, sb.data, &err);	/* re-run to classify and report */
		if (rc != DRV_OK)
		{
			if (rc == DRV_CONN_LOST)
				log_error("lost the connection to the server");
			else
				log_error("could not read the definition of %s \"%s\": %s",
						  my_obj_kind_name(kind), name, err);
			free(err);
		}
		sb_free(&sb);
		return rc == DRV_OK ? DRV_ERROR : rc;
	}
	{
		MYSQL_RES  *res = mysql_store_result(st->conn);

		memset(&r, 0, sizeof(r));
		if (res)
		{
			MYSQL_ROW	row = mysql_fetch_row(res);
			unsigned long *len = row ? mysql_fetch_lengths(res) : NULL;
			MYSQL_FIELD *fields = mysql_fetch_fields(res);
			int			nf = mysql_num_fields(res);
			StrBuf		img;

			sb_init(&img);
			if (row)
			{
				const char *body = NULL;
				size_t		bodylen = 0;

				for (int j = 0; j < nf; j++)
				{
					const char *fn = fields[j].name;

					if (strncasecmp(fn, "Create ", 7) == 0 ||
						strcasecmp(fn, "SQL Original Statement") == 0)
					{
						body = row[j];
						bodylen = len[j];
					}
					else if (kind != OBJ_TABLE && kind != OBJ_SEQUENCE &&
							 (strcasecmp(fn, "sql_mode") == 0 ||
							  strcasecmp(fn, "character_set_client") == 0 ||
							  strcasecmp(fn, "collation_connection") == 0 ||
							  strcasecmp(fn, "time_zone") == 0))
						sb_printf(&img, "-- %s: %s\n", fn, row[j] ? row[j] : "");
				}
				if (body)
				{
					sb_put(&img, body, bodylen);
					if (kind == OBJ_TABLE)
						normalize_table_image(img.data);
					*image = sb_steal(&img);
				}
			}
			if (img.data)
				sb_free(&img);
			mysql_free_result(res);
		}
		while (mysql_next_result(st->conn) == 0)
		{
			MYSQL_RES  *more = mysql_store_result(st->conn);

			if (more)
				mysql_free_result(more);
		}
	}
	sb_free(&sb);
	return DRV_OK;
}

int
my_catalog_load_images(MyState *st, Snapshot *s)
{
	for (int i = 0; i < s->n; i++)
	{
		char	   *img;
		int			rc;

		if (s->items[i].image)
			continue;
		rc = my_catalog_image(st, s->items[i].kind, s->items[i].name, &img);
		if (rc != DRV_OK)
			return rc;
		if (img == NULL)
			img = xstrdup("");	/* vanished meanwhile: an empty image never
								 * matches */
		my_snapshot_put(s, s->items[i].kind, s->items[i].name, s->items[i].fp, img);
		free(img);
	}
	return DRV_OK;
}

/* Image header lines ("-- key: value"). */
char *
my_image_meta(const char *image, const char *key)
{
	const char *p = image;
	size_t		klen = strlen(key);

	while (p && strncmp(p, "-- ", 3) == 0)
	{
		const char *eol = strchr(p, '\n');

		if (strncmp(p + 3, key, klen) == 0 && p[3 + klen] == ':')
		{
			const char *v = p + 3 + klen + 1;

			while (*v == ' ')
				v++;
			return xstrndup(v, eol ? (size_t) (eol - v) : strlen(v));
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

const char *
my_image_body(const char *image)
{
	const char *p = image;

	while (p && strncmp(p, "-- ", 3) == 0)
	{
		const char *eol = strchr(p, '\n');

		if (eol == NULL)
			return "";
		p = eol + 1;
	}
	return p ? p : "";
}

/* ------------------------------------------------------------------------
 * Table image parser
 * ------------------------------------------------------------------------
 */
static const char *const textual_types[] = {
	"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", NULL
};

static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char) *s))
		s++, n--;
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* split "a, b(c, d), 'e,f'" at top-level commas, between start and end */
static void
split_items(const char *s, size_t start, size_t end, MyList *out)
{
	int			depth = 0;
	size_t		item = start;

	for (size_t i = start; i < end; i++)
	{
		char		c = s[i];

		if (c == '\'' || c == '"' || c == '`')
		{
			for (i++; i < end; i++)
			{
				if (s[i] == '\\' && c != '`')
				{
					i++;
					continue;
				}
				if (s[i] == c)
				{
					if (i + 1 < end && s[i + 1] == c)
					{
						i++;
						continue;
					}
					break;
				}
			}
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		else if (c == ',' && depth == 0)
		{
			ml_add_owned(out, trim_dup(s + item, i - item));
			item = i + 1;
		}
	}
	if (end > item)
	{
		char	   *last = trim_dup(s + item, end - item);

		if (last[0])
			ml_add_owned(out, last);
		else
			free(last);
	}
}

/* position of the parenthesis that closes the one at open */
static size_t
match_paren(const char *s, size_t open)
{
	int			depth = 0;
	size_t		n = strlen(s);

	for (size_t i = open; i < n; i++)
	{
		char		c = s[i];

		if (c == '\'' || c == '"' || c == '`')
		{
			for (i++; i < n; i++)
			{
				if (s[i] == '\\' && c != '`')
				{
					i++;
					continue;
				}
				if (s[i] == c)
				{
					if (s[i + 1] == c)
					{
						i++;
						continue;
					}
					break;
				}
			}
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return i;
	}
	return n;
}

static void
parse_column(TableDef *t, const char *item)
{
	TokList		tl;
	ColDef	   *c;
	size_t		name_end;
	const char *def;

	my_lex(item, &tl);
	t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof(ColDef));
	c = &t->cols[t->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(tl.items[0].text);
	name_end = tl.items[0].end;
	def = item + name_end;
	while (isspace((unsigned char) *def))
		def++;
	c->def = xstrdup(def);

	/* the type: first word, its parenthesised arguments, unsigned/zerofill */
	if (tl.n > 1 && tl.items[1].kind == TK_WORD)
	{
		int			i = 2;
		size_t		tend = tl.items[1].end;

		c->base = xstrdup(tl.items[1].text);
		for (char *p = c->base; *p; p++)
			*p = tolower((unsigned char) *p);
		if (i < tl.n && tl.items[i].kind == TK_PUNCT && tl.items[i].text[0] == '(')
		{
			while (i < tl.n && !(tl.items[i].kind == TK_PUNCT && tl.items[i].text[0] == ')' &&
								 tl.items[i].depth == 0))
				i++;
			if (i < tl.n)
				tend = tl.items[i].end, i++;
		}
		while (i < tl.n && (my_tok_is(&tl.items[i], "unsigned") || my_tok_is(&tl.items[i], "zerofill") ||
							my_tok_is(&tl.items[i], "signed")))
			tend = tl.items[i].end, i++;
		c->type = trim_dup(item + tl.items[1].start, tend - tl.items[1].start);
	}
	else
	{
		c->base = xstrdup("");
		c->type = xstrdup("");
	}
	for (int i = 0; textual_types[i]; i++)
		if (strcmp(c->base, textual_types[i]) == 0)
			c->textual = true;

	for (int i = 2; i < tl.n; i++)
	{
		Token	   *k = &tl.items[i];

		if (k->depth != 0 || k->kind != TK_WORD)
			continue;
		if (my_tok_is(k, "NOT") && i + 1 < tl.n && my_tok_is(&tl.items[i + 1], "NULL"))
			c->not_null = true;
		else if (my_tok_is(k, "AUTO_INCREMENT"))
			c->auto_inc = true;
		else if (my_tok_is(k, "CHARACTER") && i + 2 < tl.n && my_tok_is(&tl.items[i + 1], "SET"))
			c->charset = xstrdup(tl.items[i + 2].text);
		else if (my_tok_is(k, "COLLATE") && i + 1 < tl.n)
			c->collation = xstrdup(tl.items[i + 1].text);
		else if (my_tok_is(k, "VIRTUAL") && c->generated)
			c->generated = 1;
		else if ((my_tok_is(k, "STORED") || my_tok_is(k, "PERSISTENT")) && c->generated)
			c->generated = 2;
		else if (my_tok_is(k, "GENERATED") || (my_tok_is(k, "AS") && i + 1 < tl.n &&
											   tl.items[i + 1].kind == TK_PUNCT &&
											   tl.items[i + 1].text[0] == '('))
		{
			if (!c->generated)
				c->generated = 1;
		}
		else if (my_tok_is(k, "DEFAULT") || my_tok_is(k, "COMMENT"))
			i++;				/* skip the value: DEFAULT NULL is not NOT
								 * NULL */
	}
	my_toklist_free(&tl);
}

/* `a`(10) DESC, `b` -> names and prefix lengths */
static void
parse_key_columns(const char *list, char ***cols, int **prefix, int *ncols)
{
	MyList		items = {0};

	split_items(list, 0, strlen(list), &items);
	*cols = xcalloc(1, (items.n + 1) * sizeof(char *));
	*prefix = xcalloc(1, (items.n + 1) * sizeof(int));
	*ncols = items.n;
	for (int i = 0; i < items.n; i++)
	{
		TokList		tl;

		my_lex(items.items[i], &tl);
		(*cols)[i] = xstrdup(tl.n > 0 ? tl.items[0].text : "");
		if (tl.n > 3 && tl.items[1].kind == TK_PUNCT && tl.items[1].text[0] == '(' &&
			tl.items[2].kind == TK_NUMBER)
			(*prefix)[i] = atoi(tl.items[2].text);
		my_toklist_free(&tl);
	}
	ml_free(&items);
}

static void
parse_key(TableDef *t, const char *item, char kind)
{
	KeyDef	   *k;
	const char *open = strchr(item, '(');
	TokList		tl;

	/* the name comes before the column list (not for PRIMARY KEY) */
	t->keys = xrealloc(t->keys, (t->nkeys + 1) * sizeof(KeyDef));
	k = &t->keys[t->nkeys++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->def = xstrdup(item);
	if (kind != 'P')
	{
		my_lex(item, &tl);
		for (int i = 0; i < tl.n; i++)
			if (tl.items[i].kind == TK_QIDENT)
			{
				k->name = xstrdup(tl.items[i].text);
				open = item + tl.items[i].end;
				open = strchr(open, '(');
				break;
			}
		my_toklist_free(&tl);
	}
	if (open)
	{
		size_t		o = open - item;
		size_t		cl = match_paren(item, o);
		char	   *list = xstrndup(item + o + 1, cl > o ? cl - o - 1 : 0);

		parse_key_columns(list, &k->cols, &k->prefix, &k->ncols);
		free(list);
	}
}

static char **
names_in(const char *list, int *n)
{
	int		   *prefix;
	char	  **cols;

	parse_key_columns(list, &cols, &prefix, n);
	free(prefix);
	return cols;
}

static void
parse_constraint(TableDef *t, const char *item)
{
	TokList		tl;
	ConDef	   *c;

	my_lex(item, &tl);
	t->cons = xrealloc(t->cons, (t->ncons + 1) * sizeof(ConDef));
	c = &t->cons[t->ncons++];
	memset(c, 0, sizeof(*c));
	c->def = xstrdup(item);
	c->name = xstrdup(tl.n > 1 ? tl.items[1].text : "");
	if (tl.n > 3 && my_tok_is(&tl.items[2], "FOREIGN"))
	{
		const char *p = item + tl.items[3].end; /* after KEY */
		size_t		o = strchr(p, '(') - item;
		size_t		cl = match_paren(item, o);
		char	   *list = xstrndup(item + o + 1, cl - o - 1);

		c->kind = 'F';
		c->cols = names_in(list, &c->ncols);
		free(list);
		for (int i = 0; i < tl.n; i++)
			if (my_tok_is(&tl.items[i], "REFERENCES") && i + 1 < tl.n)
			{
				int			j = i + 1;
				int			nref;

				if (j + 2 < tl.n && tl.items[j + 1].kind == TK_PUNCT && tl.items[j + 1].text[0] == '.')
					j += 2;
				c->ref_table = xstrdup(tl.items[j].text);
				o = tl.items[j].end;
				o = strchr(item + o, '(') - item;
				cl = match_paren(item, o);
				list = xstrndup(item + o + 1, cl - o - 1);
				c->ref_cols = names_in(list, &nref);
				free(list);
				break;
			}
	}
	else
	{
		const char *open = strchr(item, '(');

		c->kind = 'C';
		if (open)
		{
			size_t		o = open - item;
			size_t		cl = match_paren(item, o);

			c->expr = xstrndup(item + o + 1, cl - o - 1);
		}
		else
			c->expr = xstrdup("1");
	}
	my_toklist_free(&tl);
}

static void
parse_options(TableDef *t, const char *s)
{
	const char *p = s;

	for (;;)
	{
		const char *k;
		char	   *key,
				   *val;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (strncmp(p, "PARTITION", 9) == 0 || strncmp(p, "/*!50100 PARTITION", 18) == 0 ||
			strncmp(p, "/*!50500 PARTITION", 18) == 0)
		{
			t->unsupported = xstrdup("it is partitioned");
			break;
		}
		if (strncmp(p, "WITH SYSTEM VERSIONING", 22) == 0)
		{
			t->unsupported = xstrdup("it is system-versioned");
			p += 22;
			continue;
		}
		k = p;
		while (*p && *p != '=' && *p != '\n')
			p++;
		if (*p != '=')
		{
			free(t->unsupported);
			t->unsupported = xasprintf("its options end with \"%s\", which the driver does not know", k);
			break;
		}
		key = trim_dup(k, p - k);
		p++;
		if (*p == '\'')
		{
			const char *v = p++;

			while (*p)
			{
				if (*p == '\\' && p[1])
				{
					p += 2;
					continue;
				}
				if (*p == '\'')
				{
					if (p[1] == '\'')
					{
						p += 2;
						continue;
					}
					p++;
					break;
				}
				p++;
			}
			val = xstrndup(v, p - v);
		}
		else
		{
			const char *v = p;

			while (*p && !isspace((unsigned char) *p))
				p++;
			val = xstrndup(v, p - v);
		}
		t->opts = xrealloc(t->opts, (t->nopts + 1) * sizeof(TableOpt));
		t->opts[t->nopts].key = key;
		t->opts[t->nopts].value = val;
		t->nopts++;
	}
}

/*
 * Parse a normalised SHOW CREATE TABLE image.  Never fails: elements the
 * driver does not understand are recorded in t->unsupported, so that the
 * planner refuses such a table instead of guessing.
 */
TableDef *
my_tabledef_parse(const char *image)
{
	TableDef   *t = xcalloc(1, sizeof(TableDef));
	const char *open = strchr(image, '(');
	TokList		tl;
	MyList		items = {0};
	size_t		o,
				cl;

	my_lex(image, &tl);
	if (tl.n > 2 && my_tok_is(&tl.items[0], "CREATE") && my_tok_is(&tl.items[1], "TABLE"))
		t->name = xstrdup(tl.items[2].text);
	else
	{
		t->name = xstrdup("?");
		t->unsupported = xstrdup("its definition is not a CREATE TABLE statement");
	}
	if (open == NULL || t->unsupported)
	{
		my_toklist_free(&tl);
		if (t->unsupported == NULL)
			t->unsupported = xstrdup("its definition has no column list");
		return t;
	}
	/* the column list opens after the name */
	o = tl.items[2].end;
	while (image[o] && image[o] != '(')
		o++;
	my_toklist_free(&tl);
	cl = match_paren(image, o);
	split_items(image, o + 1, cl, &items);
	for (int i = 0; i < items.n; i++)
	{
		const char *it = items.items[i];

		if (it[0] == '`')
			parse_column(t, it);
		else if (strncmp(it, "PRIMARY KEY", 11) == 0)
			parse_key(t, it, 'P');
		else if (strncmp(it, "UNIQUE KEY", 10) == 0)
			parse_key(t, it, 'U');
		else if (strncmp(it, "KEY", 3) == 0)
			parse_key(t, it, 'K');
		else if (strncmp(it, "FULLTEXT KEY", 12) == 0)
			parse_key(t, it, 'F');
		else if (strncmp(it, "SPATIAL KEY", 11) == 0)
			parse_key(t, it, 'S');
		else if (strncmp(it, "CONSTRAINT", 10) == 0)
			parse_constraint(t, it);
		else if (t->unsupported == NULL)
			t->unsupported = xasprintf("its definition contains \"%.60s\"", it);
	}
	ml_free(&items);
	if (image[cl] == ')')
		parse_options(t, image + cl + 1);
	for (int i = 0; i < t->nopts; i++)
	{
		if (strcmp(t->opts[i].key, "DEFAULT CHARSET") == 0 || strcmp(t->opts[i].key, "CHARSET") == 0)
			t->charset = xstrdup(t->opts[i].value);
		else if (strcmp(t->opts[i].key, "COLLATE") == 0)
			t->collation = xstrdup(t->opts[i].value);
	}
	return t;
}

void
my_tabledef_free(TableDef *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->ncols; i++)
	{
		ColDef	   *c = &t->cols[i];

		free(c->name);
		free(c->def);
		free(c->type);
		free(c->base);
		free(c->charset);
		free(c->collation);
	}
	for (int i = 0; i < t->nkeys; i++)
	{
		KeyDef	   *k = &t->keys[i];

		free(k->name);
		free(k->def);
		for (int j = 0; j < k->ncols; j++)
			free(k->cols[j]);
		free(k->cols);
		free(k->prefix);
	}
	for (int i = 0; i < t->ncons; i++)
	{
		ConDef	   *c = &t->cons[i];

		free(c->name);
		free(c->def);
		for (int j = 0; j < c->ncols; j++)
		{
			free(c->cols[j]);
			if (c->ref_cols)
				free(c->ref_cols[j]);
		}
		free(c->cols);
		free(c->ref_cols);
		free(c->ref_table);
		free(c->expr);
	}
	for (int i = 0; i < t->nopts; i++)
	{
		free(t->opts[i].key);
		free(t->opts[i].value);
	}
	free(t->cols);
	free(t->keys);
	free(t->cons);
	free(t->opts);
	free(t->name);
	free(t->charset);
	free(t->collation);
	free(t->unsupported);
	free(t);
}

/*
 * The order in which MariaDB sorts keys: primary key; unique keys on NOT
 * NULL columns (whole columns, then prefixes); unique keys with nullable
 * columns (likewise); plain keys; full-text keys.  Within a category, the
 * order the keys were added in.
 */
int
my_key_category(const TableDef *t, const KeyDef *k)
{
	bool		nullable = false,
				part = false;

	if (k->kind == 'P')
		return 0;
	if (k->kind == 'F')
		return 6;
	if (k->kind != 'U')
		return 5;
	for (int i = 0; i < k->ncols; i++)
	{
		int			c = my_tabledef_col(t, k->cols[i]);

		if (c < 0 || !t->cols[c].not_null)
			nullable = true;
		if (k->prefix[i] > 0)
			part = true;
	}
	return 1 + (nullable ? 2 : 0) + (part ? 1 : 0);
}

/*
 * The image with its keys in category order (stable within a category).
 * MariaDB sorts keys by category only when an ALTER rebuilds the key list,
 * so after a column's nullability changed, SHOW CREATE TABLE may list keys
 * out of category order, an order no single statement can produce again;
 * two images that differ only so describe the same table.
 */
char *
my_table_canonical(const char *image)
{
	TableDef   *t = my_tabledef_parse(image);
	const char *open = strstr(image, " (\n");
	const char *close = strstr(image, "\n) ");
	StrBuf		sb;
	MyList		items = {0};
	int		   *cat;
	int			nkeys = 0;

	if (t->unsupported || open == NULL || close == NULL || close < open)
	{
		my_tabledef_free(t);
		return xstrdup(image);
	}
	split_items(image, open + 3 - image, close - image, &items);
	cat = xcalloc(1, (items.n + 1) * sizeof(int));
	for (int i = 0; i < items.n; i++)
	{
		cat[i] = -1;
		for (int k = 0; k < t->nkeys; k++)
			if (strcmp(t->keys[k].def, items.items[i]) == 0)
			{
				cat[i] = my_key_category(t, &t->keys[k]);
				nkeys++;
				break;
			}
	}
	sb_init(&sb);
	sb_put(&sb, image, open + 3 - image);
	{
		bool		first = true;
		int			i = 0;

		/* items before the keys, the keys by category, the rest */
		for (; i < items.n && cat[i] < 0; i++, first = false)
			sb_printf(&sb, "%s  %s", first ? "" : ",\n", items.items[i]);
		for (int c = 0; c < KEY_CATEGORIES; c++)
			for (int j = i; j < items.n; j++)
				if (cat[j] == c)
				{
					sb_printf(&sb, "%s  %s", first ? "" : ",\n", items.items[j]);
					first = false;
				}
		for (int j = i; j < items.n; j++)
			if (cat[j] < 0)
			{
				sb_printf(&sb, "%s  %s", first ? "" : ",\n", items.items[j]);
				first = false;
			}
	}
	sb_puts(&sb, close);
	free(cat);
	ml_free(&items);
	my_tabledef_free(t);
	(void) nkeys;
	return sb_steal(&sb);
}

/* column names are case-insensitive in MySQL */
int
my_tabledef_col(const TableDef *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcasecmp(t->cols[i].name, name) == 0)
			return i;
	return -1;
}

const char *
my_tabledef_opt(const TableDef *t, const char *key)
{
	for (int i = 0; i < t->nopts; i++)
		if (strcmp(t->opts[i].key, key) == 0)
			return t->opts[i].value;
	return NULL;
}

char *
my_col_effective_charset(const TableDef *t, const ColDef *c)
{
	if (!c->textual)
		return NULL;
	if (c->charset)
		return xstrdup(c->charset);
	if (c->collation)
	{
		const char *u = strchr(c->collation, '_');

		return u ? xstrndup(c->collation, u - c->collation) : xstrdup(c->collation);
	}
	return xstrdup(t->charset ? t->charset : "");
}

char *
my_col_effective_collation(const TableDef *t, const ColDef *c)
{
	if (!c->textual)
		return NULL;
	if (c->collation)
		return xstrdup(c->collation);
	return xstrdup(t->collation ? t->collation : "");
}
