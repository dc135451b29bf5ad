/*-------------------------------------------------------------------------
 *
 * my_history.c
 *	  The driver's bookkeeping tables and the history of the schema.
 *
 * Tables (in the target database, or in --revisions-schema):
 *
 *	migrate_revisions			one row per version, same meaning on every engine
 *								(docs/internals.md, "Revisions")
 *	migrate_history_files		text of every applied file, hand-written down part
 *	migrate_history_statements	its statements and their running hashes
 *	migrate_history_units		units of change, in the order they happened:
 *								baseline, apply (one statement), partial (effect of
 *								a failed statement), revert (one revert statement),
 *								drift (changes made outside migrate)
 *	migrate_history_images		per unit, the image of every object it changed
 *								(NULL definition: the object no longer exists)
 *	migrate_history_definitions	images, stored once per content hash
 *	migrate_history_renames		table and column renames a unit performed
 *	migrate_intent				the statement about to run (crash safety)
 *	migrate_revert				the revert in flight
 *	migrate_tags				names for versions
 *
 * The state of an object just before unit U is its latest image in a unit
 * before U; the state now is its latest image overall, provided every change
 * was recorded.  my_hist_sync() makes sure of that at the start of every run.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_history.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "my_int.h"

static const char *const create_tables[] = {
	"CREATE TABLE IF NOT EXISTS %s.`migrate_revisions` ("
	"`version` varchar(255) NOT NULL, "
	"`description` varchar(255) NOT NULL, "
	"`type` bigint unsigned NOT NULL DEFAULT 2, "
	"`applied` bigint NOT NULL DEFAULT 0, "
	"`total` bigint NOT NULL DEFAULT 0, "
	"`executed_at` datetime(6) NOT NULL, "
	"`execution_time` bigint NOT NULL DEFAULT 0, "
	"`error` longtext NULL, "
	"`error_stmt` longtext NULL, "
	"`hash` varchar(255) NOT NULL DEFAULT '', "
	"`partial_hashes` longtext NULL, "
	"`operator_version` varchar(255) NOT NULL DEFAULT '', "
	"PRIMARY KEY (`version`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: one row per applied version'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_files` ("
	"`version` varchar(255) NOT NULL, "
	"`description` varchar(255) NOT NULL, "
	"`hash` varchar(255) NOT NULL, "
	"`content` longtext NOT NULL, "
	"`n_up` int NOT NULL, "
	"`n_down` int NOT NULL, "
	"`has_down` tinyint NOT NULL, "
	"`recorded_at` datetime(6) NOT NULL, "
	"PRIMARY KEY (`version`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: text of applied migration files'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_statements` ("
	"`version` varchar(255) NOT NULL, "
	"`kind` varchar(4) NOT NULL, "
	"`idx` int NOT NULL, "
	"`text` longtext NOT NULL, "
	"`running_hash` varchar(64) NOT NULL, "
	"PRIMARY KEY (`version`, `kind`, `idx`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: statements of applied files (up) and their hand-written down parts'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_units` ("
	"`id` bigint unsigned NOT NULL AUTO_INCREMENT, "
	"`kind` varchar(16) NOT NULL, "
	"`version` varchar(255) NULL, "
	"`stmt_idx` int NULL, "
	"`stmt` longtext NULL, "
	"`created_at` datetime(6) NOT NULL, "
	"`created_by` varchar(400) NOT NULL, "
	"`reverted` tinyint NOT NULL DEFAULT 0, "
	"PRIMARY KEY (`id`), KEY `version` (`version`, `stmt_idx`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: units of schema change, in order'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_images` ("
	"`unit` bigint unsigned NOT NULL, "
	"`kind` varchar(16) NOT NULL, "
	"`name` varchar(64) NOT NULL, "
	"`fp` char(32) NULL, "
	"`def_hash` char(64) NULL, "
	"PRIMARY KEY (`unit`, `kind`, `name`), KEY `object` (`kind`, `name`, `unit`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: image of each object a unit changed (NULL: dropped)'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_definitions` ("
	"`hash` char(64) NOT NULL, "
	"`body` longtext NOT NULL, "
	"PRIMARY KEY (`hash`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: object images by content hash'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_history_renames` ("
	"`unit` bigint unsigned NOT NULL, "
	"`seq` int NOT NULL, "
	"`kind` char(1) NOT NULL, "
	"`table_name` varchar(64) NOT NULL, "
	"`old_name` varchar(64) NOT NULL, "
	"`new_name` varchar(64) NOT NULL, "
	"PRIMARY KEY (`unit`, `seq`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: renames performed by a unit'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_intent` ("
	"`id` tinyint NOT NULL DEFAULT 1, "
	"`phase` varchar(16) NOT NULL, "
	"`version` varchar(255) NOT NULL, "
	"`stmt_idx` int NOT NULL, "
	"`stmt` longtext NOT NULL, "
	"`stmt_hash` char(64) NOT NULL, "
	"`started_at` datetime(6) NOT NULL, "
	"`connection_id` bigint NOT NULL, "
	"PRIMARY KEY (`id`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: the statement being executed'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_revert` ("
	"`id` tinyint NOT NULL DEFAULT 1, "
	"`version` varchar(255) NOT NULL, "
	"`unit` bigint NOT NULL, "
	"`down_done` int NOT NULL DEFAULT 0, "
	"`started_at` datetime(6) NOT NULL, "
	"PRIMARY KEY (`id`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: the revert in flight'",

	"CREATE TABLE IF NOT EXISTS %s.`migrate_tags` ("
	"`name` varchar(255) NOT NULL, "
	"`version` varchar(255) NOT NULL, "
	"`created_at` datetime(6) NOT NULL, "
	"PRIMARY KEY (`name`)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
	"COMMENT='migrate: tags'",
	NULL
};

int
my_hist_prepare(Driver *d, bool create, bool *ready)
{
	MyState    *st = MYSTATE(d);
	long long	n;
	bool		isnull;
	char	   *rdb = my_literal(st, st->rdb);
	char	   *sql = xasprintf("SELECT COUNT(*) FROM information_schema.TABLES "
								"WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'migrate_revisions'", rdb);
	int			rc;

	free(rdb);
	rc = my_query_int(st, sql, &n, &isnull);
	free(sql);
	if (rc != DRV_OK)
		return rc;
	*ready = n > 0;
	if (!create)
		return DRV_OK;

	if (strcmp(st->rdb, st->db) != 0)
	{
		rc = my_execf(st, "CREATE DATABASE IF NOT EXISTS %s "
					  "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", st->qrdb);
		if (rc != DRV_OK)
		{
			log_error_hint("Create the database for --revisions-schema first, or grant CREATE on it.");
			return rc;
		}
	}
	for (int i = 0; create_tables[i]; i++)
	{
		rc = my_execf(st, create_tables[i], st->qrdb);
		if (rc != DRV_OK)
			return rc;
	}
	*ready = true;
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Revisions
 * ------------------------------------------------------------------------
 */
#define REV_COLUMNS "`version`, `description`, `type`, `applied`, `total`, " \
	"TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', `executed_at`), `execution_time`, " \
	"`error`, `error_stmt`, `hash`, `partial_hashes`"

static void
revision_from_row(char **row, Revision *r)
{
	memset(r, 0, sizeof(*r));
	r->version = xstrdup(row[0]);
	r->description = xstrdup(row[1] ? row[1] : "");
	r->type = row[2] ? atoi(row[2]) : 0;
	r->applied = row[3] ? atoi(row[3]) : 0;
	r->total = row[4] ? atoi(row[4]) : 0;
	r->executed_at_us = row[5] ? atoll(row[5]) : 0;
	r->execution_time_ns = row[6] ? atoll(row[6]) : 0;
	r->error = xstrdup(row[7]);
	r->error_stmt = xstrdup(row[8]);
	r->hash = xstrdup(row[9] ? row[9] : "");
	if (row[10])
	{
		int			n = my_json_array_decode(row[10], &r->partial_hashes);

		r->npartial = n < 0 ? 0 : n;
	}
}

void
my_revision_clear(Revision *r)
{
	free(r->version);
	free(r->description);
	free(r->error);
	free(r->error_stmt);
	free(r->hash);
	for (int i = 0; i < r->npartial; i++)
		free(r->partial_hashes[i]);
	free(r->partial_hashes);
	memset(r, 0, sizeof(*r));
}

int
my_hist_read_revisions(MyState *st, RevisionList *out)
{
	MyRows		rows;
	char	   *sql = xasprintf("SELECT " REV_COLUMNS " FROM %s.`migrate_revisions` ORDER BY `version`",
								st->qrdb);
	int			rc = my_query(st, sql, &rows);

	free(sql);
	memset(out, 0, sizeof(*out));
	if (rc != DRV_OK)
		return rc;
	out->items = xcalloc(1, (rows.nrows + 1) * sizeof(Revision));
	out->n = rows.nrows;
	for (int i = 0; i < rows.nrows; i++)
		revision_from_row(rows.rows[i], &out->items[i]);
	my_rows_free(&rows);
	return DRV_OK;
}

int
my_hist_get_revision(MyState *st, const char *version, Revision *out, bool *found)
{
	MyRows		rows;
	char	   *v = my_literal(st, version);
	char	   *sql = xasprintf("SELECT " REV_COLUMNS " FROM %s.`migrate_revisions` WHERE `version` = %s",
								st->qrdb, v);
	int			rc = my_query(st, sql, &rows);

	free(sql);
	free(v);
	*found = false;
	memset(out, 0, sizeof(*out));
	if (rc != DRV_OK)
		return rc;
	if (rows.nrows == 1)
	{
		revision_from_row(rows.rows[0], out);
		*found = true;
	}
	my_rows_free(&rows);
	return DRV_OK;
}

/* Insert or update a revision row; executed_at is kept from the first write. */
int
my_hist_write_revision(MyState *st, const Revision *r)
{
	StrBuf		sb;
	char	   *ph = r->npartial > 0 ? my_json_array_encode(r->partial_hashes, r->npartial) : NULL;
	int			rc;

	sb_init(&sb);
	sb_printf(&sb, "INSERT INTO %s.`migrate_revisions` (`version`, `description`, `type`, "
			  "`applied`, `total`, `executed_at`, `execution_time`, `error`, `error_stmt`, "
			  "`hash`, `partial_hashes`, `operator_version`) VALUES (", st->qrdb);
	mb_literal(&sb, st, r->version);
	sb_puts(&sb, ", ");
	mb_literal(&sb, st, r->description ? r->description : "");
	sb_printf(&sb, ", %d, %d, %d, ", r->type, r->applied, r->total);
	if (r->executed_at_us > 0)
		sb_printf(&sb, "TIMESTAMPADD(MICROSECOND, %lld, '1970-01-01 00:00:00')",
				  (long long) r->executed_at_us);
	else
		sb_puts(&sb, "UTC_TIMESTAMP(6)");
	sb_printf(&sb, ", %lld, ", (long long) r->execution_time_ns);
	if (r->error)
		mb_literal(&sb, st, r->error);
	else
		sb_puts(&sb, "NULL");
	sb_puts(&sb, ", ");
	if (r->error_stmt)
		mb_literal(&sb, st, r->error_stmt);
	else
		sb_puts(&sb, "NULL");
	sb_puts(&sb, ", ");
	mb_literal(&sb, st, r->hash ? r->hash : "");
	sb_puts(&sb, ", ");
	if (ph)
		mb_literal(&sb, st, ph);
	else
		sb_puts(&sb, "NULL");
	sb_puts(&sb, ", ");
	mb_literal(&sb, st, "migrate " MIGRATE_VERSION);
	sb_puts(&sb, ") ON DUPLICATE KEY UPDATE `description` = VALUES(`description`), "
			"`type` = VALUES(`type`), `applied` = VALUES(`applied`), `total` = VALUES(`total`), "
			"`execution_time` = VALUES(`execution_time`), `error` = VALUES(`error`), "
			"`error_stmt` = VALUES(`error_stmt`), `hash` = VALUES(`hash`), "
			"`partial_hashes` = VALUES(`partial_hashes`), "
			"`operator_version` = VALUES(`operator_version`)");
	rc = my_exec(st, sb.data, NULL);
	sb_free(&sb);
	free(ph);
	return rc;
}

int
my_hist_delete_revision(MyState *st, const char *version)
{
	char	   *v = my_literal(st, version);
	int			rc = my_execf(st, "DELETE FROM %s.`migrate_revisions` WHERE `version` = %s",
							  st->qrdb, v);

	free(v);
	return rc;
}

/* ------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------
 */
static int
insert_statements(MyState *st, const char *version, const char *kind, const StmtList *l)
{
	StrBuf		sb;
	int			rc = DRV_OK;

	if (l->n == 0)
		return DRV_OK;
	sb_init(&sb);
	sb_printf(&sb, "INSERT INTO %s.`migrate_history_statements` "
			  "(`version`, `kind`, `idx`, `text`, `running_hash`) VALUES ", st->qrdb);
	for (int i = 0; i < l->n; i++)
	{
		char		h[64];

		hash_running(l, i, h);
		if (i > 0)
			sb_puts(&sb, ", ");
		sb_putc(&sb, '(');
		mb_literal(&sb, st, version);
		sb_printf(&sb, ", '%s', %d, ", kind, i);
		mb_literal(&sb, st, l->items[i].text);
		sb_puts(&sb, ", ");
		mb_literal(&sb, st, h);
		sb_putc(&sb, ')');
	}
	rc = my_exec(st, sb.data, NULL);
	sb_free(&sb);
	return rc;
}

/*
 * Store the text of a file and its statements, replacing what an earlier
 * application of the same version stored (after a revert, a file may be
 * applied again, possibly edited).
 */
int
my_hist_register_file(MyState *st, const MigrationFile *f)
{
	StrBuf		sb;
	char	   *v = my_literal(st, f->version);
	int			rc;

	rc = my_begin(st);
	if (rc == DRV_OK)
		rc = my_execf(st, "DELETE FROM %s.`migrate_history_statements` WHERE `version` = %s",
					  st->qrdb, v);
	if (rc == DRV_OK)
	{
		sb_init(&sb);
		sb_printf(&sb, "REPLACE INTO %s.`migrate_history_files` (`version`, `description`, "
				  "`hash`, `content`, `n_up`, `n_down`, `has_down`, `recorded_at`) VALUES (%s, ",
				  st->qrdb, v);
		mb_literal(&sb, st, f->description ? f->description : "");
		sb_puts(&sb, ", ");
		mb_literal(&sb, st, f->hash);
		sb_puts(&sb, ", ");
		mb_literal(&sb, st, f->content ? f->content : "");
		sb_printf(&sb, ", %d, %d, %d, UTC_TIMESTAMP(6))", f->stmts.n, f->down.n, f->has_down ? 1 : 0);
		rc = my_exec(st, sb.data, NULL);
		sb_free(&sb);
	}
	if (rc == DRV_OK)
		rc = insert_statements(st, f->version, "up", &f->stmts);
	if (rc == DRV_OK && f->has_down)
		rc = insert_statements(st, f->version, "down", &f->down);
	if (rc == DRV_OK)
		rc = my_commit(st);
	else
		my_rollback(st);
	free(v);
	return rc;
}

/* statements of a recorded file, kind "up" or "down", with their running hashes */
int
my_hist_file_statements(MyState *st, const char *version, const char *kind, MyList *stmts,
						MyList *hashes)
{
	MyRows		r;
	char	   *v = my_literal(st, version);
	char	   *sql = xasprintf("SELECT `text`, `running_hash` FROM %s.`migrate_history_statements` "
								"WHERE `version` = %s AND `kind` = '%s' ORDER BY `idx`",
								st->qrdb, v, kind);
	int			rc = my_query(st, sql, &r);

	free(sql);
	free(v);
	memset(stmts, 0, sizeof(*stmts));
	if (hashes)
		memset(hashes, 0, sizeof(*hashes));
	if (rc != DRV_OK)
		return rc;
	for (int i = 0; i < r.nrows; i++)
	{
		ml_add(stmts, r.rows[i][0]);
		if (hashes)
			ml_add(hashes, r.rows[i][1]);
	}
	my_rows_free(&r);
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Units and images
 * ------------------------------------------------------------------------
 */

/* Latest recorded state of every object (images left unloaded). */
int
my_hist_load_known(MyState *st)
{
	MyRows		r;
	char	   *sql = xasprintf(
								"SELECT i.`kind`, i.`name`, i.`fp`, i.`def_hash` "
								"FROM %s.`migrate_history_images` i "
								"JOIN (SELECT `kind`, `name`, MAX(`unit`) AS `u` "
								"FROM %s.`migrate_history_images` GROUP BY `kind`, `name`) m "
								"ON i.`kind` = m.`kind` AND i.`name` = m.`name` AND i.`unit` = m.`u` "
								"WHERE i.`def_hash` IS NOT NULL", st->qrdb, st->qrdb);
	int			rc = my_query(st, sql, &r);

	free(sql);
	my_snapshot_free(&st->known);
	if (rc != DRV_OK)
		return rc;
	for (int i = 0; i < r.nrows; i++)
	{
		int			k = my_obj_kind_from_name(r.rows[i][0]);
		SnapObj    *o;

		if (k < 0)
			continue;
		my_snapshot_put(&st->known, (ObjKind) k, r.rows[i][1], r.rows[i][2], NULL);
		o = my_snapshot_find(&st->known, (ObjKind) k, r.rows[i][1]);
		snprintf(o->hash, sizeof(o->hash), "%s", r.rows[i][3]);
	}
	my_rows_free(&r);
	return DRV_OK;
}

char *
my_hist_definition(MyState *st, const char *hash)
{
	char	   *h = my_literal(st, hash);
	char	   *sql = xasprintf("SELECT `body` FROM %s.`migrate_history_definitions` WHERE `hash` = %s",
								st->qrdb, h);
	char	   *body = NULL;

	(void) my_query_str(st, sql, &body);
	free(sql);
	free(h);
	return body;
}

/*
 * Record a unit with the images of the objects it changed and the renames
 * the statement performed.  The caller owns the transaction.
 */
int
my_hist_record_unit(MyState *st, const char *kind, const char *version, int stmt_idx,
					const char *stmt, const UnitImage *imgs, int nimgs, const StmtInfo *si,
					long long *unit_id)
{
	StrBuf		sb;
	int			rc;
	long long	id;
	bool		isnull;

	sb_init(&sb);
	sb_printf(&sb, "INSERT INTO %s.`migrate_history_units` (`kind`, `version`, `stmt_idx`, "
			  "`stmt`, `created_at`, `created_by`) VALUES ('%s', ", st->qrdb, kind);
	if (version)
		mb_literal(&sb, st, version);
	else
		sb_puts(&sb, "NULL");
	if (stmt_idx >= 0)
		sb_printf(&sb, ", %d, ", stmt_idx);
	else
		sb_puts(&sb, ", NULL, ");
	if (stmt)
		mb_literal(&sb, st, stmt);
	else
		sb_puts(&sb, "NULL");
	sb_puts(&sb, ", UTC_TIMESTAMP(6), CURRENT_USER())");
	rc = my_exec(st, sb.data, NULL);
	if (rc == DRV_OK)
		rc = my_query_int(st, "SELECT LAST_INSERT_ID()", &id, &isnull);
	if (rc != DRV_OK)
	{
		sb_free(&sb);
		return rc;
	}
	if (unit_id)
		*unit_id = id;

	if (nimgs > 0)
	{
		bool		any = false;

		sb_reset(&sb);
		sb_printf(&sb, "INSERT IGNORE INTO %s.`migrate_history_definitions` (`hash`, `body`) VALUES ",
				  st->qrdb);
		for (int i = 0; i < nimgs; i++)
		{
			char		h[65];

			if (imgs[i].image == NULL)
				continue;
			my_sha256_hex(imgs[i].image, strlen(imgs[i].image), h);
			if (any)
				sb_puts(&sb, ", ");
			sb_printf(&sb, "('%s', ", h);
			mb_literal(&sb, st, imgs[i].image);
			sb_putc(&sb, ')');
			any = true;
		}
		if (any)
			rc = my_exec(st, sb.data, NULL);

		sb_reset(&sb);
		sb_printf(&sb, "INSERT INTO %s.`migrate_history_images` (`unit`, `kind`, `name`, `fp`, "
				  "`def_hash`) VALUES ", st->qrdb);
		for (int i = 0; i < nimgs && rc == DRV_OK; i++)
		{
			char		h[65];

			if (i > 0)
				sb_puts(&sb, ", ");
			sb_printf(&sb, "(%lld, '%s', ", id, my_obj_kind_name(imgs[i].kind));
			mb_literal(&sb, st, imgs[i].name);
			sb_puts(&sb, ", ");
			if (imgs[i].fp)
				mb_literal(&sb, st, imgs[i].fp);
			else
				sb_puts(&sb, "NULL");
			if (imgs[i].image)
			{
				my_sha256_hex(imgs[i].image, strlen(imgs[i].image), h);
				sb_printf(&sb, ", '%s')", h);
			}
			else
				sb_puts(&sb, ", NULL)");
		}
		if (rc == DRV_OK)
			rc = my_exec(st, sb.data, NULL);
	}

	if (rc == DRV_OK && si && si->nrenames > 0)
	{
		sb_reset(&sb);
		sb_printf(&sb, "INSERT INTO %s.`migrate_history_renames` (`unit`, `seq`, `kind`, "
				  "`table_name`, `old_name`, `new_name`) VALUES ", st->qrdb);
		for (int i = 0; i < si->nrenames; i++)
		{
			if (i > 0)
				sb_puts(&sb, ", ");
			sb_printf(&sb, "(%lld, %d, '%c', ", id, i, si->renames[i].kind);
			mb_literal(&sb, st, si->renames[i].table);
			sb_puts(&sb, ", ");
			mb_literal(&sb, st, si->renames[i].old_name);
			sb_puts(&sb, ", ");
			mb_literal(&sb, st, si->renames[i].new_name);
			sb_putc(&sb, ')');
		}
		rc = my_exec(st, sb.data, NULL);
	}
	sb_free(&sb);
	return rc;
}

void
my_unitref_clear(UnitRef *u)
{
	free(u->kind);
	free(u->version);
	free(u->stmt);
	memset(u, 0, sizeof(*u));
}

static void
unitref_from_row(char **row, UnitRef *u)
{
	u->id = atoll(row[0]);
	u->kind = xstrdup(row[1]);
	u->version = xstrdup(row[2]);
	u->stmt_idx = row[3] ? atoi(row[3]) : -1;
	u->stmt = xstrdup(row[4]);
}

/* the most recent unit of this kind for (version, statement) */
int
my_hist_latest_unit(MyState *st, const char *kind, const char *version, int idx, UnitRef *out,
					bool *found)
{
	MyRows		r;
	char	   *v = my_literal(st, version);
	char	   *sql = xasprintf("SELECT `id`, `kind`, `version`, `stmt_idx`, `stmt` "
								"FROM %s.`migrate_history_units` WHERE `kind` = '%s' "
								"AND `version` = %s AND `stmt_idx` = %d ORDER BY `id` DESC LIMIT 1",
								st->qrdb, kind, v, idx);
	int			rc = my_query(st, sql, &r);

	free(sql);
	free(v);
	memset(out, 0, sizeof(*out));
	*found = false;
	if (rc != DRV_OK)
		return rc;
	if (r.nrows == 1)
	{
		unitref_from_row(r.rows[0], out);
		*found = true;
	}
	my_rows_free(&r);
	return DRV_OK;
}

void
my_unit_images_free(UnitImage *imgs, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(imgs[i].name);
		free(imgs[i].fp);
		free(imgs[i].image);
	}
	free(imgs);
}

int
my_hist_unit_images(MyState *st, long long unit, UnitImage **imgs, int *n)
{
	MyRows		r;
	char	   *sql = xasprintf("SELECT i.`kind`, i.`name`, i.`fp`, d.`body` "
								"FROM %s.`migrate_history_images` i "
								"LEFT JOIN %s.`migrate_history_definitions` d ON d.`hash` = i.`def_hash` "
								"WHERE i.`unit` = %lld ORDER BY i.`kind`, i.`name`",
								st->qrdb, st->qrdb, unit);
	int			rc = my_query(st, sql, &r);

	free(sql);
	*imgs = NULL;
	*n = 0;
	if (rc != DRV_OK)
		return rc;
	*imgs = xcalloc(1, (r.nrows + 1) * sizeof(UnitImage));
	for (int i = 0; i < r.nrows; i++)
	{
		int			k = my_obj_kind_from_name(r.rows[i][0]);

		if (k < 0)
			continue;
		(*imgs)[*n].kind = (ObjKind) k;
		(*imgs)[*n].name = xstrdup(r.rows[i][1]);
		(*imgs)[*n].fp = xstrdup(r.rows[i][2]);
		(*imgs)[*n].image = xstrdup(r.rows[i][3]);
		(*n)++;
	}
	my_rows_free(&r);
	return DRV_OK;
}

/* The image of an object just before a unit (NULL: it did not exist). */
int
my_hist_image_before(MyState *st, long long unit, ObjKind kind, const char *name, char **image)
{
	MyRows		r;
	char	   *nm = my_literal(st, name);
	char	   *sql = xasprintf("SELECT d.`body` FROM %s.`migrate_history_images` i "
								"LEFT JOIN %s.`migrate_history_definitions` d ON d.`hash` = i.`def_hash` "
								"WHERE i.`kind` = '%s' AND i.`name` = %s AND i.`unit` < %lld "
								"ORDER BY i.`unit` DESC LIMIT 1",
								st->qrdb, st->qrdb, my_obj_kind_name(kind), nm, unit);
	int			rc = my_query(st, sql, &r);

	free(sql);
	free(nm);
	*image = NULL;
	if (rc != DRV_OK)
		return rc;
	if (r.nrows == 1 && r.rows[0][0])
		*image = xstrdup(r.rows[0][0]);
	my_rows_free(&r);
	return DRV_OK;
}

/* units after unit that changed the object */
int
my_hist_units_after(MyState *st, long long unit, ObjKind kind, const char *name, UnitRef **units,
					int *n)
{
	MyRows		r;
	char	   *nm = my_literal(st, name);
	char	   *sql = xasprintf("SELECT u.`id`, u.`kind`, u.`version`, u.`stmt_idx`, u.`stmt` "
								"FROM %s.`migrate_history_images` i "
								"JOIN %s.`migrate_history_units` u ON u.`id` = i.`unit` "
								"WHERE i.`kind` = '%s' AND i.`name` = %s AND i.`unit` > %lld "
								"ORDER BY u.`id`",
								st->qrdb, st->qrdb, my_obj_kind_name(kind), nm, unit);
	int			rc = my_query(st, sql, &r);

	free(sql);
	free(nm);
	*units = NULL;
	*n = 0;
	if (rc != DRV_OK)
		return rc;
	*units = xcalloc(1, (r.nrows + 1) * sizeof(UnitRef));
	for (int i = 0; i < r.nrows; i++)
		unitref_from_row(r.rows[i], &(*units)[i]);
	*n = r.nrows;
	my_rows_free(&r);
	return DRV_OK;
}

int
my_hist_unit_renames(MyState *st, long long unit, StmtRename **renames, int *n)
{
	MyRows		r;
	char	   *sql = xasprintf("SELECT `kind`, `table_name`, `old_name`, `new_name` "
								"FROM %s.`migrate_history_renames` WHERE `unit` = %lld ORDER BY `seq`",
								st->qrdb, unit);
	int			rc = my_query(st, sql, &r);

	free(sql);
	*renames = NULL;
	*n = 0;
	if (rc != DRV_OK)
		return rc;
	*renames = xcalloc(1, (r.nrows + 1) * sizeof(StmtRename));
	for (int i = 0; i < r.nrows; i++)
	{
		(*renames)[i].kind = r.rows[i][0][0];
		(*renames)[i].table = xstrdup(r.rows[i][1]);
		(*renames)[i].old_name = xstrdup(r.rows[i][2]);
		(*renames)[i].new_name = xstrdup(r.rows[i][3]);
	}
	*n = r.nrows;
	my_rows_free(&r);
	return DRV_OK;
}

/* ------------------------------------------------------------------------
 * Intent and revert state
 * ------------------------------------------------------------------------
 */
void
my_intent_clear(Intent *in)
{
	free(in->phase);
	free(in->version);
	free(in->stmt);
	free(in->stmt_hash);
	memset(in, 0, sizeof(*in));
}

int
my_hist_read_intent(MyState *st, Intent *out)
{
	MyRows		r;
	char	   *sql = xasprintf("SELECT `phase`, `version`, `stmt_idx`, `stmt`, `stmt_hash` "
								"FROM %s.`migrate_intent` WHERE `id` = 1", st->qrdb);
	int			rc = my_query(st, sql, &r);

	free(sql);
	memset(out, 0, sizeof(*out));
	if (rc != DRV_OK)
		return rc;
	if (r.nrows == 1)
	{
		out->present = true;
		out->phase = xstrdup(r.rows[0][0]);
		out->version = xstrdup(r.rows[0][1]);
		out->stmt_idx = atoi(r.rows[0][2]);
		out->stmt = xstrdup(r.rows[0][3]);
		out->stmt_hash = xstrdup(r.rows[0][4]);
	}
	my_rows_free(&r);
	return DRV_OK;
}

/* Record, in its own committed transaction, the statement about to run. */
int
my_hist_write_intent(MyState *st, const char *phase, const char *version, int idx, const char *stmt)
{
	StrBuf		sb;
	char		h[65];
	int			rc;

	my_sha256_hex(stmt, strlen(stmt), h);
	sb_init(&sb);
	sb_printf(&sb, "REPLACE INTO %s.`migrate_intent` (`id`, `phase`, `version`, `stmt_idx`, "
			  "`stmt`, `stmt_hash`, `started_at`, `connection_id`) VALUES (1, '%s', ",
			  st->qrdb, phase);
	mb_literal(&sb, st, version);
	sb_printf(&sb, ", %d, ", idx);
	mb_literal(&sb, st, stmt);
	sb_printf(&sb, ", '%s', UTC_TIMESTAMP(6), CONNECTION_ID())", h);
	rc = my_exec(st, sb.data, NULL);
	sb_free(&sb);
	return rc;
}

int
my_hist_clear_intent(MyState *st)
{
	return my_execf(st, "DELETE FROM %s.`migrate_intent` WHERE `id` = 1", st->qrdb);
}

void
my_revert_state_clear(RevertState *rs)
{
	free(rs->version);
	memset(rs, 0, sizeof(*rs));
}

int
my_hist_read_revert(MyState *st, RevertState *out)
{
	MyRows		r;
	char	   *sql = xasprintf("SELECT `version`, `unit`, `down_done` FROM %s.`migrate_revert` "
								"WHERE `id` = 1", st->qrdb);
	int			rc = my_query(st, sql, &r);

	free(sql);
	memset(out, 0, sizeof(*out));
	if (rc != DRV_OK)
		return rc;
	if (r.nrows == 1)
	{
		out->present = true;
		out->version = xstrdup(r.rows[0][0]);
		out->unit = atoll(r.rows[0][1]);
		out->down_done = atoi(r.rows[0][2]);
	}
	my_rows_free(&r);
	return DRV_OK;
}

int
my_hist_write_revert(MyState *st, const char *version, long long unit, int down_done)
{
	char	   *v = my_literal(st, version);
	int			rc = my_execf(st, "REPLACE INTO %s.`migrate_revert` (`id`, `version`, `unit`, "
							  "`down_done`, `started_at`) VALUES (1, %s, %lld, %d, UTC_TIMESTAMP(6))",
							  st->qrdb, v, unit, down_done);

	free(v);
	return rc;
}

int
my_hist_clear_revert(MyState *st)
{
	return my_execf(st, "DELETE FROM %s.`migrate_revert` WHERE `id` = 1", st->qrdb);
}

/* ------------------------------------------------------------------------
 * Tags
 * ------------------------------------------------------------------------
 */
int
my_hist_tag(MyState *st, const char *name, const char *version)
{
	char	   *n = my_literal(st, name);
	char	   *v = my_literal(st, version);
	int			rc = my_execf(st, "REPLACE INTO %s.`migrate_tags` (`name`, `version`, `created_at`) "
							  "VALUES (%s, %s, UTC_TIMESTAMP(6))", st->qrdb, n, v);

	free(n);
	free(v);
	return rc;
}

int
my_hist_tag_version(MyState *st, const char *name, char **version)
{
	char	   *n = my_literal(st, name);
	char	   *sql = xasprintf("SELECT `version` FROM %s.`migrate_tags` WHERE `name` = %s",
								st->qrdb, n);
	int			rc = my_query_str(st, sql, version);

	free(sql);
	free(n);
	return rc;
}

/* ------------------------------------------------------------------------
 * Keeping the history in step with the live schema
 * ------------------------------------------------------------------------
 */

/*
 * Compare a fresh fingerprint snapshot with st->known; return the changed
 * objects with their live images (NULL image: the object is gone), and make
 * st->known the live state.  Objects whose fingerprint changed but whose
 * image did not are not reported.
 */
int
my_hist_capture_changes(MyState *st, bool tables_only, UnitImage **imgs, int *n)
{
	Snapshot	live;
	int			rc;
	int			cap;

	*imgs = NULL;
	*n = 0;
	rc = my_catalog_fingerprints(st, tables_only, &live);
	if (rc != DRV_OK)
		return rc;
	if (tables_only)
	{
		/* what the partial fingerprint leaves out is as it was */
		for (int i = 0; i < st->known.n; i++)
		{
			SnapObj    *k = &st->known.items[i];

			if (k->kind != OBJ_TABLE && k->kind != OBJ_SEQUENCE && k->kind != OBJ_TRIGGER)
				my_snapshot_put(&live, k->kind, k->name, k->fp, NULL);
		}
	}
	cap = live.n + st->known.n + 1;
	*imgs = xcalloc(1, cap * sizeof(UnitImage));

	/* changed or new */
	for (int i = 0; i < live.n; i++)
	{
		SnapObj    *lo = &live.items[i];
		SnapObj    *ko = my_snapshot_find(&st->known, lo->kind, lo->name);
		char	   *img;
		char		h[65];

		if (ko && strcmp(ko->fp, lo->fp) == 0)
			continue;
		if (lo->image)
			img = xstrdup(lo->image), rc = DRV_OK;
		else
			rc = my_catalog_image(st, lo->kind, lo->name, &img);
		if (rc != DRV_OK)
		{
			my_snapshot_free(&live);
			return rc;
		}
		if (img == NULL)
			continue;			/* dropped between the two queries; seen next
								 * time */
		my_sha256_hex(img, strlen(img), h);
		if (ko && strcmp(ko->hash, h) == 0)
		{
			/* same definition: remember the new fingerprint only */
			snprintf(ko->fp, sizeof(ko->fp), "%s", lo->fp);
			free(img);
			continue;
		}
		(*imgs)[*n].kind = lo->kind;
		(*imgs)[*n].name = xstrdup(lo->name);
		(*imgs)[*n].fp = xstrdup(lo->fp);
		(*imgs)[*n].image = img;
		(*n)++;
	}
	/* gone */
	for (int i = 0; i < st->known.n; i++)
	{
		SnapObj    *ko = &st->known.items[i];

		if (my_snapshot_find(&live, ko->kind, ko->name))
			continue;
		(*imgs)[*n].kind = ko->kind;
		(*imgs)[*n].name = xstrdup(ko->name);
		(*imgs)[*n].fp = NULL;
		(*imgs)[*n].image = NULL;
		(*n)++;
	}
	/* st->known becomes the live state */
	for (int i = 0; i < *n; i++)
	{
		UnitImage  *u = &(*imgs)[i];

		if (u->image)
			my_snapshot_put(&st->known, u->kind, u->name, u->fp, u->image);
		else
			my_snapshot_remove(&st->known, u->kind, u->name);
	}
	my_snapshot_free(&live);
	return DRV_OK;
}

/* does the statement name tables (and triggers) only? */
bool
my_stmt_tables_only(const StmtInfo *si)
{
	if (!si->parsed || si->ntargets == 0)
		return false;
	for (int i = 0; i < si->ntargets; i++)
		if (si->targets[i].kind != 't' && si->targets[i].kind != 'g')
			return false;
	return true;
}

/*
 * Like my_hist_capture_changes, for the named objects only (SHOW CREATE of
 * each, compared with st->known).  Used after revert statements the driver
 * planned itself, whose objects it knows; the full capture at the end of
 * each reverted version picks up anything else.
 */
int
my_hist_capture_objects(MyState *st, const ObjKind *kinds, char **names, int nnames,
						UnitImage **imgs, int *n)
{
	int			rc = DRV_OK;

	*imgs = xcalloc(1, (nnames + 1) * sizeof(UnitImage));
	*n = 0;
	for (int i = 0; i < nnames && rc == DRV_OK; i++)
	{
		SnapObj    *ko = my_snapshot_find(&st->known, kinds[i], names[i]);
		char	   *img = NULL;
		char		h[65];
		bool		dup = false;

		for (int j = 0; j < *n; j++)
			if ((*imgs)[j].kind == kinds[i] && strcmp((*imgs)[j].name, names[i]) == 0)
				dup = true;
		if (dup)
			continue;
		if ((rc = my_catalog_image(st, kinds[i], names[i], &img)) != DRV_OK)
			break;
		if (img == NULL && ko == NULL)
			continue;
		if (img)
		{
			my_sha256_hex(img, strlen(img), h);
			if (ko && strcmp(ko->hash, h) == 0)
			{
				free(img);
				continue;
			}
		}
		(*imgs)[*n].kind = kinds[i];
		(*imgs)[*n].name = xstrdup(names[i]);
		/* the fingerprint is refreshed by the next full capture */
		(*imgs)[*n].fp = img ? xstrdup("") : NULL;
		(*imgs)[*n].image = img;
		(*n)++;
	}
	for (int i = 0; i < *n; i++)
	{
		UnitImage  *u = &(*imgs)[i];

		if (u->image)
			my_snapshot_put(&st->known, u->kind, u->name, "", u->image);
		else
			my_snapshot_remove(&st->known, u->kind, u->name);
	}
	return rc;
}

static bool
targets_touched(const StmtInfo *si, const UnitImage *imgs, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < si->ntargets; j++)
			if (si->targets[j].kind == my_obj_kind_letter(imgs[i].kind) &&
				strcmp(si->targets[j].name, imgs[i].name) == 0)
				return true;
	return false;
}

/* revision row after statement idx of version took effect */
static int
advance_revision(MyState *st, const char *version, int idx)
{
	Revision	r;
	bool		found;
	MyList		stmts,
				hashes;
	int			rc;

	rc = my_hist_get_revision(st, version, &r, &found);
	if (rc != DRV_OK || !found)
		return rc;
	rc = my_hist_file_statements(st, version, "up", &stmts, &hashes);
	if (rc != DRV_OK)
	{
		my_revision_clear(&r);
		return rc;
	}
	for (int i = 0; i < r.npartial; i++)
		free(r.partial_hashes[i]);
	free(r.partial_hashes);
	r.applied = idx + 1;
	r.partial_hashes = NULL;
	r.npartial = 0;
	if (r.applied < r.total)
	{
		r.partial_hashes = xcalloc(1, (r.applied + 1) * sizeof(char *));
		for (int i = 0; i < r.applied && i < hashes.n; i++)
			r.partial_hashes[r.npartial++] = xstrdup(hashes.items[i]);
	}
	free(r.error);
	free(r.error_stmt);
	r.error = r.error_stmt = NULL;
	rc = my_hist_write_revision(st, &r);
	my_revision_clear(&r);
	ml_free(&stmts);
	ml_free(&hashes);
	return rc;
}

static void
log_drift(const UnitImage *imgs, int n)
{
	StrBuf		sb;

	sb_init(&sb);
	for (int i = 0; i < n && i < 8; i++)
		sb_printf(&sb, "%s%s \"%s\" (%s)", i ? ", " : "", my_obj_kind_name(imgs[i].kind), imgs[i].name,
				  imgs[i].image ? "changed" : "dropped");
	if (n > 8)
		sb_printf(&sb, " and %d more", n - 8);
	log_warning("%d object%s changed outside migrate since the last recorded change: %s",
				n, n == 1 ? "" : "s", sb.data);
	sb_free(&sb);
}

/*
 * Called once per run, under the lock, before anything else touches the
 * schema.  Records the baseline the first time, then resolves an
 * interrupted statement and records drift (see docs/mysql.md, "Crash
 * safety" and "Drift").
 */
int
my_hist_sync(Driver *d, Reporter *r)
{
	MyState    *st = MYSTATE(d);
	long long	nunits;
	bool		isnull;
	char	   *sql;
	int			rc;
	UnitImage  *imgs;
	int			n;
	Intent		in;

	if (st->synced)
		return DRV_OK;
	sql = xasprintf("SELECT COUNT(*) FROM %s.`migrate_history_units`", st->qrdb);
	rc = my_query_int(st, sql, &nunits, &isnull);
	free(sql);
	if (rc != DRV_OK)
		return rc;
	rc = my_hist_load_known(st);
	if (rc != DRV_OK)
		return rc;
	rc = my_hist_capture_changes(st, false, &imgs, &n);
	if (rc != DRV_OK)
		return rc;

	if (nunits == 0)
	{
		/* first use: what exists now was made outside migrate */
		rc = my_begin(st);
		if (rc == DRV_OK)
			rc = my_hist_record_unit(st, UNIT_BASELINE, NULL, -1, NULL, imgs, n, NULL, NULL);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
		my_unit_images_free(imgs, n);
		st->synced = rc == DRV_OK;
		return rc;
	}

	rc = my_hist_read_intent(st, &in);
	if (rc != DRV_OK)
	{
		my_unit_images_free(imgs, n);
		return rc;
	}
	if (in.present)
	{
		StmtInfo	si;
		bool		took_effect;

		my_stmt_analyze(in.stmt, st->db, &si);
		took_effect = n > 0 && (!si.parsed || targets_touched(&si, imgs, n));
		rc = my_begin(st);
		if (rc == DRV_OK && took_effect)
		{
			const char *kind = strcmp(in.phase, "apply") == 0 ? UNIT_APPLY : UNIT_REVERT;

			rc = my_hist_record_unit(st, kind, in.version, in.stmt_idx, in.stmt, imgs, n, &si, NULL);
			if (rc == DRV_OK && strcmp(in.phase, "apply") == 0)
				rc = advance_revision(st, in.version, in.stmt_idx);
			if (rc == DRV_OK && strcmp(in.phase, "down") == 0)
				rc = my_hist_write_revert(st, in.version, -1, in.stmt_idx + 1);
		}
		if (rc == DRV_OK)
			rc = my_hist_clear_intent(st);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
		if (rc == DRV_OK && !took_effect && my_stmt_classify(in.stmt) == STMT_OPAQUE)
			log_warning("statement %d of version %s may have run before the previous run was interrupted; "
						"its effect cannot be inspected, so it runs again", in.stmt_idx + 1, in.version);
		if (rc == DRV_OK && took_effect)
		{
			char	   *note = xasprintf("statement %d of version %s took effect before the previous "
										 "run was interrupted; recorded without running it again",
										 in.stmt_idx + 1, in.version);

			if (r)
				report_note(r, note);
			log_info("%s", note);
			free(note);
			my_unit_images_free(imgs, n);
			imgs = NULL;
			n = 0;
		}
		my_stmt_info_free(&si);
	}
	my_intent_clear(&in);
	if (rc == DRV_OK && n > 0)
	{
		log_drift(imgs, n);
		rc = my_begin(st);
		if (rc == DRV_OK)
			rc = my_hist_record_unit(st, UNIT_DRIFT, NULL, -1, NULL, imgs, n, NULL, NULL);
		if (rc == DRV_OK)
			rc = my_commit(st);
		else
			my_rollback(st);
	}
	my_unit_images_free(imgs, n);
	st->synced = rc == DRV_OK;
	return rc;
}

/* ------------------------------------------------------------------------
 * Units of a version still in effect
 * ------------------------------------------------------------------------
 */

/* apply and partial units of version not reverted yet, newest first */
int
my_hist_version_units(MyState *st, const char *version, UnitRef **units, int *n)
{
	MyRows		r;
	char	   *v = my_literal(st, version);
	char	   *sql = xasprintf("SELECT `id`, `kind`, `version`, `stmt_idx`, `stmt` "
								"FROM %s.`migrate_history_units` WHERE `version` = %s "
								"AND `kind` IN ('apply', 'partial') AND `reverted` = 0 "
								"ORDER BY `id` DESC", st->qrdb, v);
	int			rc = my_query(st, sql, &r);

	free(sql);
	free(v);
	*units = NULL;
	*n = 0;
	if (rc != DRV_OK)
		return rc;
	*units = xcalloc(1, (r.nrows + 1) * sizeof(UnitRef));
	for (int i = 0; i < r.nrows; i++)
		unitref_from_row(r.rows[i], &(*units)[i]);
	*n = r.nrows;
	my_rows_free(&r);
	return DRV_OK;
}

int
my_hist_mark_reverted(MyState *st, long long unit)
{
	return my_execf(st, "UPDATE %s.`migrate_history_units` SET `reverted` = 1 WHERE `id` = %lld",
					st->qrdb, unit);
}

/* does the recorded file of version carry a hand-written down part? */
int
my_hist_has_down(MyState *st, const char *version, bool *has)
{
	long long	v;
	bool		isnull;
	char	   *lit = my_literal(st, version);
	char	   *sql = xasprintf("SELECT `has_down` FROM %s.`migrate_history_files` WHERE `version` = %s",
								st->qrdb, lit);
	int			rc = my_query_int(st, sql, &v, &isnull);

	free(sql);
	free(lit);
	*has = rc == DRV_OK && !isnull && v != 0;
	return rc;
}

void
my_unitrefs_free(UnitRef *u, int n)
{
	for (int i = 0; i < n; i++)
		my_unitref_clear(&u[i]);
	free(u);
}
