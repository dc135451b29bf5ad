/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Reading and repairing the revisions: migrate_status(), migrate_tag(),
 *	  migrate.is_clean(), migrate.set_version() and the version sort key.
 *
 * Versions are ordered naturally (migrate_version_cmp): runs of digits
 * compare as numbers, so "10" follows "9" and "1.10" follows "1.9".
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "history.h"
#include "image.h"
#include "revert.h"
#include "util.h"

PG_FUNCTION_INFO_V1(migrate_version_key);
PG_FUNCTION_INFO_V1(migrate_status);
PG_FUNCTION_INFO_V1(migrate_list_revisions);
PG_FUNCTION_INFO_V1(migrate_tag);
PG_FUNCTION_INFO_V1(migrate_is_clean);
PG_FUNCTION_INFO_V1(migrate_set_version);

#define REV_BASELINE	1
#define REV_APPLIED		2
#define REV_SET			4

/*
 * migrate.version_key(version text) RETURNS bytea
 *
 * A byte string whose order is migrate_version_cmp's order (and the
 * client's): each run of digits becomes the byte '0', the run's length
 * without leading zeros, and the digits; any other byte is copied.  As no
 * copied byte is a digit, a run compares with another character exactly as
 * a digit would.  Ties ("1" and "01") are for the caller to break with the
 * text itself.
 */
Datum
migrate_version_key(PG_FUNCTION_ARGS)
{
	char	   *s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	StringInfoData buf;

	initStringInfo(&buf);
	while (*s)
	{
		if (isdigit((unsigned char) *s))
		{
			const char *e;

			while (*s == '0' && isdigit((unsigned char) s[1]))
				s++;
			for (e = s; isdigit((unsigned char) *e); e++)
				;
			if (e - s > 255)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("version has a number longer than 255 digits")));
			appendStringInfoChar(&buf, '0');
			appendStringInfoChar(&buf, (char) (e - s));
			appendBinaryStringInfo(&buf, s, e - s);
			s = (char *) e;
		}
		else
			appendStringInfoChar(&buf, *s++);
	}
	{
		bytea	   *out = palloc(VARHDRSZ + buf.len);

		SET_VARSIZE(out, VARHDRSZ + buf.len);
		memcpy(VARDATA(out), buf.data, buf.len);
		PG_RETURN_BYTEA_P(out);
	}
}

static const char *
type_text(int type)
{
	switch (type)
	{
		case REV_BASELINE:
			return "baseline";
		case REV_APPLIED:
			return "applied";
		case REV_SET:
			return "manually set";
		case REV_APPLIED | REV_SET:
			return "applied + manually set";
		default:
			return psprintf("unknown (%d)", type);
	}
}

/*
 * migrate_status() RETURNS SETOF (version, description, type, state,
 *		applied, total, executed_at, execution_time, error, error_stmt)
 *
 * state: "ok" (complete), "partial" (some statements applied, no error
 * recorded), "failed" (the last attempt failed).
 */
Datum
migrate_status(PG_FUNCTION_ARGS)
{
	static MigrateQuery q = {
		"SELECT version, description, type, applied, total, executed_at, execution_time,"
		" error, error_stmt FROM migrate.revisions"
		" ORDER BY migrate.version_key(version), version",
		0, {0}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	OwnerSwitch sw;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, NULL, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[10];
		bool		nulls[10];
		int			type = (int) mq_int64(i, 3, 0);
		int			applied = (int) mq_int64(i, 4, 0);
		int			total = (int) mq_int64(i, 5, 0);
		char	   *error = mq_text(i, 8);
		bool		complete = (type & (REV_BASELINE | REV_SET)) || applied >= total;
		Interval   *iv = palloc0(sizeof(Interval));
		bool		isnull;

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(mq_text(i, 1));
		values[1] = CStringGetTextDatum(mq_text(i, 2));
		values[2] = CStringGetTextDatum(type_text(type));
		values[3] = CStringGetTextDatum(complete ? "ok" : error ? "failed" : "partial");
		values[4] = Int32GetDatum(applied);
		values[5] = Int32GetDatum(total);
		values[6] = mq_value(i, 6, &isnull);
		iv->time = mq_int64(i, 7, 0) / 1000;
		values[7] = IntervalPGetDatum(iv);
		if (error)
			values[8] = CStringGetTextDatum(error);
		else
			nulls[8] = true;
		values[9] = mq_value(i, 9, &isnull);
		nulls[9] = isnull;
		if (!isnull)
			values[9] = CStringGetTextDatum(mq_text(i, 9));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return (Datum) 0;
}

/*
 * migrate.list_revisions() RETURNS SETOF (version, description, type,
 *		applied, total, executed_at, execution_time, error, error_stmt, hash,
 *		partial_hashes)
 *
 * The revisions table in version order, for runners (who cannot read the
 * table itself).
 */
Datum
migrate_list_revisions(PG_FUNCTION_ARGS)
{
	static MigrateQuery q = {
		"SELECT version, description, type, applied, total, executed_at, execution_time,"
		" error, error_stmt, hash, partial_hashes FROM migrate.revisions"
		" ORDER BY migrate.version_key(version), version",
		0, {0}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	OwnerSwitch sw;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&q, NULL, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[11];
		bool		nulls[11];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return (Datum) 0;
}

/*
 * migrate_tag(name text) RETURNS text
 *
 * Remember the current version (the highest complete revision) under a
 * name, as a revert target.  Returns the version.
 */
Datum
migrate_tag(PG_FUNCTION_ARGS)
{
	static MigrateQuery current = {
		"SELECT version, unit FROM migrate.revisions"
		" WHERE applied OPERATOR(pg_catalog.>=) total OR (type OPERATOR(pg_catalog.&) 5) OPERATOR(pg_catalog.<>) 0"
		" ORDER BY migrate.version_key(version) DESC, version DESC LIMIT 1",
		0, {0}
	};
	static MigrateQuery exists = {
		"SELECT version FROM migrate.tags WHERE name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	static MigrateQuery ins = {
		"INSERT INTO migrate.tags (name, version, unit, created_at, created_by)"
		" VALUES ($1, $2, $3, pg_catalog.clock_timestamp(), $4)",
		4, {TEXTOID, TEXTOID, INT8OID, TEXTOID}
	};
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *version;
	bool		isnull;
	Datum		unit;
	Datum		v[4];
	char		nulls[4] = "    ";
	OwnerSwitch sw;

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tag name must not be empty")));
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&current, NULL, NULL, true, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot tag: no migration has been applied yet")));
	version = mq_text(0, 1);
	unit = mq_value(0, 2, &isnull);
	v[0] = CStringGetTextDatum(name);
	mq_exec(&exists, v, NULL, true, 1);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("tag \"%s\" already exists", name),
				 errdetail("It names version \"%s\".", mq_text(0, 1)),
				 errhint("Choose another name; tags are never moved.")));
	v[1] = CStringGetTextDatum(version);
	if (isnull)
		nulls[2] = 'n';
	else
		v[2] = unit;
	v[3] = CStringGetTextDatum(GetUserNameFromId(GetOuterUserId(), false));
	mq_exec(&ins, v, nulls, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(version));
}

/*
 * migrate.is_clean(OUT clean bool, OUT reason text)
 *
 * Clean means: no tracked user object other than the schema "public"
 * (tables, views, sequences, types, routines, other schemas, extensions
 * other than migrate).  reason names the first object found, in a stable
 * order, and how many there are.
 */
Datum
migrate_is_clean(PG_FUNCTION_ARGS)
{
	List	   *objects = migrate_image_all_objects();
	ListCell   *lc;
	char	   *first = NULL;
	int			count = 0;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	foreach(lc, objects)
	{
		ObjectAddress *a = lfirst(lc);
		const char *kind;
		char	   *what;

		if (a->classId == NamespaceRelationId && a->objectId == PG_PUBLIC_NAMESPACE)
			continue;
		kind = migrate_image_kind(a);
		if (kind == NULL)
			continue;
		what = psprintf("%s \"%s\"", kind, migrate_image_identity(a));
		if (first == NULL || strcmp(what, first) < 0)
			first = what;
		count++;
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = BoolGetDatum(count == 0);
	if (count == 0)
		nulls[1] = true;
	else if (count == 1)
		values[1] = CStringGetTextDatum(psprintf("found %s", first));
	else
		values[1] = CStringGetTextDatum(psprintf("found %s and %d other object%s",
												 first, count - 1, count - 1 == 1 ? "" : "s"));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * migrate.set_version(version, versions text[], descriptions text[],
 *		hashes text[], operator_version) RETURNS SETOF (action, version, description)
 *
 * "migrate set": make the revisions say that version is the current one,
 * without running anything.  versions/descriptions/hashes list the files
 * of the directory up to and including version.  Rows above version are
 * removed ("-"); files without a row get a row of type "manually set"
 * ("+"); a partial or failed row at or below version is marked as set
 * ("~").
 */
Datum
migrate_set_version(PG_FUNCTION_ARGS)
{
	static MigrateQuery rows = {
		"SELECT version, description, applied, total, type FROM migrate.revisions",
		0, {0}
	};
	static MigrateQuery del = {
		"DELETE FROM migrate.revisions WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	static MigrateQuery mark = {
		"UPDATE migrate.revisions SET type = type OPERATOR(pg_catalog.|) 4, error = NULL,"
		" error_stmt = NULL WHERE version OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}
	};
	static MigrateQuery ins = {
		"INSERT INTO migrate.revisions (version, description, type, applied, total, executed_at,"
		" execution_time, hash, operator_version, unit)"
		" VALUES ($1, $2, 4, 0, 0, pg_catalog.clock_timestamp(), 0, $3, $4, $5)",
		5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID}
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target;
	List	   *versions,
			   *descriptions,
			   *hashes;
	char	   *opver;
	OwnerSwitch sw;
	SPITupleTable *tt;
	uint64		n;
	int64		last_unit;
	ListCell   *lv,
			   *ld,
			   *lh;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version, versions, descriptions and hashes must not be null")));
	/* writes revisions: runners take turns (see migrate_lock_for_transaction) */
	migrate_lock_for_transaction();
	target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	versions = migrate_text_list(PG_GETARG_ARRAYTYPE_P(1));
	descriptions = migrate_text_list(PG_GETARG_ARRAYTYPE_P(2));
	hashes = migrate_text_list(PG_GETARG_ARRAYTYPE_P(3));
	opver = PG_ARGISNULL(4) ? psprintf("migrate %s", MIGRATE_VERSION)
		: text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (list_length(versions) != list_length(descriptions) ||
		list_length(versions) != list_length(hashes))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("versions, descriptions and hashes must have the same length")));

	InitMaterializedSRF(fcinfo, 0);
	last_unit = migrate_last_unit();
	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(&rows, NULL, NULL, false, 0);
	tt = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		char	   *version = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
		char	   *description = SPI_getvalue(tt->vals[i], tt->tupdesc, 2);
		int			applied = atoi(SPI_getvalue(tt->vals[i], tt->tupdesc, 3));
		int			total = atoi(SPI_getvalue(tt->vals[i], tt->tupdesc, 4));
		int			type = atoi(SPI_getvalue(tt->vals[i], tt->tupdesc, 5));
		Datum		v[3];
		bool		nulls[3] = {false, false, false};
		const char *action = NULL;

		if (migrate_version_cmp(version, target) > 0)
		{
			Datum		k[1] = {CStringGetTextDatum(version)};

			mq_exec(&del, k, NULL, false, 0);
			action = "-";
		}
		else if (!(type & (REV_BASELINE | REV_SET)) && applied < total)
		{
			Datum		k[1] = {CStringGetTextDatum(version)};

			mq_exec(&mark, k, NULL, false, 0);
			action = "~";
		}
		if (action)
		{
			v[0] = CStringGetTextDatum(action);
			v[1] = CStringGetTextDatum(version);
			v[2] = CStringGetTextDatum(description);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	}
	forthree(lv, versions, ld, descriptions, lh, hashes)
	{
		static MigrateQuery has = {
			"SELECT 1 FROM migrate.revisions WHERE version OPERATOR(pg_catalog.=) $1",
			1, {TEXTOID}
		};
		char	   *version = lfirst(lv);
		Datum		v[5];
		char		vn[5] = "     ";
		bool		nulls[3] = {false, false, false};

		if (version == NULL || migrate_version_cmp(version, target) > 0)
			continue;
		v[0] = CStringGetTextDatum(version);
		mq_exec(&has, v, NULL, true, 1);
		if (SPI_processed > 0)
			continue;
		v[1] = CStringGetTextDatum(lfirst(ld) ? (char *) lfirst(ld) : "");
		v[2] = CStringGetTextDatum(lfirst(lh) ? (char *) lfirst(lh) : "");
		v[3] = CStringGetTextDatum(opver);
		if (last_unit)
			v[4] = Int64GetDatum(last_unit);
		else
			vn[4] = 'n';
		mq_exec(&ins, v, vn, false, 0);
		v[0] = CStringGetTextDatum("+");
		v[1] = CStringGetTextDatum(version);
		v[2] = CStringGetTextDatum(lfirst(ld) ? (char *) lfirst(ld) : "");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	migrate_restore_user(&sw);
	SPI_finish();
	return (Datum) 0;
}
