/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Helpers shared by the migrate extension: JSON writer, saved SPI
 *	  queries, owner switching, hashing, version ordering.
 *
 * Nothing here touches the catalog beyond pg_extension and name lookups;
 * every function is safe to call from an event trigger.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/util.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include <openssl/evp.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "common/base64.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"	/* addRTEPermissionInfo */
#endif
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/numeric.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "util.h"

/* ------------------------------------------------------------------------
 * JSON writer
 * ------------------------------------------------------------------------
 */
void
jw_init(JsonWriter *w)
{
	w->state = NULL;
	w->result = NULL;
	w->depth = 0;
	w->in_array[0] = false;
}

/* push a scalar as an array element or as the value of the last key */
static void
jw_scalar(JsonWriter *w, JsonbValue *v)
{
	w->result = pushJsonbValue(&w->state, w->in_array[w->depth] ? WJB_ELEM : WJB_VALUE, v);
}

static void
jw_open(JsonWriter *w, JsonbIteratorToken tok, bool array)
{
	if (w->depth + 1 >= JW_MAX_DEPTH)
		elog(ERROR, "image nesting too deep");
	w->result = pushJsonbValue(&w->state, tok, NULL);
	w->depth++;
	w->in_array[w->depth] = array;
}

static void
jw_close(JsonWriter *w, JsonbIteratorToken tok)
{
	Assert(w->depth > 0);
	w->result = pushJsonbValue(&w->state, tok, NULL);
	w->depth--;
}

void
jw_object_start(JsonWriter *w)
{
	jw_open(w, WJB_BEGIN_OBJECT, false);
}

void
jw_array_start(JsonWriter *w)
{
	jw_open(w, WJB_BEGIN_ARRAY, true);
}

void
jw_object_end(JsonWriter *w)
{
	jw_close(w, WJB_END_OBJECT);
}

void
jw_array_end(JsonWriter *w)
{
	jw_close(w, WJB_END_ARRAY);
}

void
jw_key(JsonWriter *w, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	w->result = pushJsonbValue(&w->state, WJB_KEY, &v);
}

void
jw_string(JsonWriter *w, const char *value)
{
	JsonbValue	v;

	if (value == NULL)
	{
		jw_null(w);
		return;
	}
	v.type = jbvString;
	v.val.string.val = pstrdup(value);
	v.val.string.len = strlen(value);
	jw_scalar(w, &v);
}

void
jw_bool(JsonWriter *w, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	jw_scalar(w, &v);
}

void
jw_int64(JsonWriter *w, int64 value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	jw_scalar(w, &v);
}

void
jw_null(JsonWriter *w)
{
	JsonbValue	v;

	v.type = jbvNull;
	jw_scalar(w, &v);
}

void
jw_kv_string(JsonWriter *w, const char *key, const char *value)
{
	jw_key(w, key);
	jw_string(w, value);
}

void
jw_kv_bool(JsonWriter *w, const char *key, bool value)
{
	jw_key(w, key);
	jw_bool(w, value);
}

void
jw_kv_int64(JsonWriter *w, const char *key, int64 value)
{
	jw_key(w, key);
	jw_int64(w, value);
}

Jsonb *
jw_finish(JsonWriter *w)
{
	Assert(w->depth == 0 && w->result != NULL);
	return JsonbValueToJsonb(w->result);
}

/* ------------------------------------------------------------------------
 * Saved SPI queries
 * ------------------------------------------------------------------------
 */
int
mq_exec(MigrateQuery *q, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc;

	if (q->plan == NULL)
	{
		/*
		 * Generic plans: the bookkeeping queries are index probes whatever
		 * the parameters are, and planning them anew at every call would cost
		 * more than running them.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(q->sql, q->nargs, q->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "could not prepare bookkeeping query: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep bookkeeping query plan");
		q->plan = plan;
	}

	/*
	 * Always non-read-only: bookkeeping reads must see rows written earlier
	 * in the same command (a read-only execution keeps the caller's
	 * snapshot).  read_only only documents the caller's intent.
	 */
	(void) read_only;
	rc = SPI_execute_plan(q->plan, values, nulls, false, count);
	if (rc < 0)
		elog(ERROR, "bookkeeping query failed: %s (%s)",
			 SPI_result_code_string(rc), q->sql);
	return rc;
}

Datum
mq_value(int row, int col, bool *isnull)
{
	if (SPI_tuptable == NULL || row >= SPI_processed)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

char *
mq_text(int row, int col)
{
	bool		isnull;
	Datum		d = mq_value(row, col, &isnull);

	if (isnull)
		return NULL;
	return TextDatumGetCString(d);
}

int64
mq_int64(int row, int col, int64 if_null)
{
	bool		isnull;
	Datum		d = mq_value(row, col, &isnull);

	if (isnull)
		return if_null;
	switch (SPI_gettypeid(SPI_tuptable->tupdesc, col))
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/* ------------------------------------------------------------------------
 * Direct row access (see util.h)
 * ------------------------------------------------------------------------
 */
Oid
book_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(MIGRATE_SCHEMA, false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("bookkeeping relation \"%s.%s\" does not exist", MIGRATE_SCHEMA, name),
				 errhint("The migrate extension may be damaged; reinstall it.")));
	return relid;
}

/*
 * An executor state for writing one table, set up as the logical
 * replication apply worker sets up its own: a one-entry range table (for
 * the error messages of constraint checks), a result relation with its
 * indexes (prepared for conflict checks), and an AFTER trigger query level.
 */
void
book_open(BookRel *b, const char *table)
{
	RangeTblEntry *rte;
	TupleDesc	desc;

	b->rel = table_open(book_relid(table), RowExclusiveLock);
	desc = RelationGetDescr(b->rel);
	b->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(b->rel);
	rte->relkind = b->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
#if PG_VERSION_NUM >= 160000
	{
		List	   *perminfos = NIL;

		/* PostgreSQL 16 keeps permissions apart from the range table */
		(void) addRTEPermissionInfo(&perminfos, rte);
		ExecInitRangeTable(b->estate, list_make1(rte), perminfos);
	}
#else
	ExecInitRangeTable(b->estate, list_make1(rte));
#endif
	b->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(b->rri, b->rel, 1, NULL, 0);

	/*
	 * listed as opened, so that AFTER triggers (the foreign key checks of
	 * migrate.files) find it instead of opening the table a second time
	 */
	b->estate->es_opened_result_relations =
		lappend(b->estate->es_opened_result_relations, b->rri);
	ExecOpenIndices(b->rri, true);
	b->estate->es_output_cid = GetCurrentCommandId(true);
	b->slot = ExecInitExtraTupleSlot(b->estate, desc, &TTSOpsVirtual);
	b->idseq = InvalidOid;
	if (desc->natts > 0 && TupleDescAttr(desc, 0)->attidentity)
	{
		/*
		 * The install script names the identity sequences <table>_id_seq
		 * (pg_extension_config_dump lists them so); finding one by name is a
		 * syscache probe, where getIdentitySequence() scans pg_depend.
		 */
		char	   *seqname = psprintf("%s_%s_seq", table,
									   NameStr(TupleDescAttr(desc, 0)->attname));

		b->idseq = book_relid(seqname);
		pfree(seqname);
	}
	AfterTriggerBeginQuery();
}

void
book_close(BookRel *b)
{
	AfterTriggerEndQuery(b->estate);
	/* its indexes, and any relation a trigger opened */
	ExecCloseResultRelations(b->estate);
	ExecResetTupleTable(b->estate->es_tupleTable, false);
	FreeExecutorState(b->estate);
	table_close(b->rel, NoLock);
	b->rel = NULL;
}

int64
book_nextval(BookRel *b)
{
	if (!OidIsValid(b->idseq))
		elog(ERROR, "bookkeeping table \"%s\" has no identity column",
			 RelationGetRelationName(b->rel));
	return nextval_internal(b->idseq, false);
}

static void
book_fill_slot(BookRel *b, Datum *values, bool *nulls)
{
	TupleTableSlot *slot = b->slot;
	int			natts = RelationGetDescr(b->rel)->natts;

	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * natts);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * natts);
	ExecStoreVirtualTuple(slot);
}

void
book_insert(BookRel *b, Datum *values, bool *nulls)
{
	book_fill_slot(b, values, nulls);
	ExecSimpleRelationInsert(b->rri, b->estate, b->slot);
	ResetPerTupleExprContext(b->estate);
}

/*
 * INSERT ... ON CONFLICT DO NOTHING, done as the executor does it: check
 * the unique indexes first (waiting for a transaction that is inserting a
 * conflicting row), then insert speculatively and confirm; a conflict that
 * appeared in between makes the insertion go back and check again.
 */
bool
book_insert_unless_conflict(BookRel *b, Datum *values, bool *nulls)
{
	Relation	rel = b->rel;
	TupleTableSlot *slot = b->slot;

	/*
	 * BEFORE triggers would complicate the speculative insertion: none
	 * expected
	 */
	if (rel->rd_rel->relhastriggers)
		elog(ERROR, "conflict-checked insert into \"%s\" is not supported",
			 RelationGetRelationName(rel));
	book_fill_slot(b, values, nulls);
	if (rel->rd_att->constr)
		ExecConstraints(b->rri, slot, b->estate);
	for (;;)
	{
		ItemPointerData conflict_tid;
		uint32		token;
		bool		spec_conflict = false;
		List	   *recheck;

		if (!ExecCheckIndexConstraints(b->rri, slot, b->estate, &conflict_tid, NIL))
		{
			ResetPerTupleExprContext(b->estate);
			return false;
		}
		token = SpeculativeInsertionLockAcquire(GetCurrentTransactionId());
		table_tuple_insert_speculative(rel, slot, b->estate->es_output_cid, 0, NULL, token);
#if PG_VERSION_NUM >= 160000
		recheck = ExecInsertIndexTuples(b->rri, slot, b->estate, false, true,
										&spec_conflict, NIL, false);
#else
		recheck = ExecInsertIndexTuples(b->rri, slot, b->estate, false, true,
										&spec_conflict, NIL);
#endif
		table_tuple_complete_speculative(rel, slot, token, !spec_conflict);
		SpeculativeInsertionLockRelease(GetCurrentTransactionId());
		list_free(recheck);
		ResetPerTupleExprContext(b->estate);
		if (!spec_conflict)
			return true;
	}
}

void
book_snapshot_push(void)
{
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
}

void
book_snapshot_pop(void)
{
	PopActiveSnapshot();
}

void
book_scan_begin(BookScan *s, Relation heap, const char *index, int nkeys,
				const Oid *argtypes, const Datum *keys, bool backward)
{
	ScanKeyData skeys[INDEX_MAX_KEYS];

	Assert(nkeys <= INDEX_MAX_KEYS);
	s->heap = heap;
	s->index = index_open(book_relid(index), AccessShareLock);
	for (int i = 0; i < nkeys; i++)
	{
		RegProcedure proc;

		switch (argtypes[i])
		{
			case INT8OID:
				proc = F_INT8EQ;
				break;
			case INT4OID:
				proc = F_INT4EQ;
				break;
			case OIDOID:
				proc = F_OIDEQ;
				break;
			default:
				elog(ERROR, "unsupported key type %u in a bookkeeping scan", argtypes[i]);
		}
		ScanKeyInit(&skeys[i], i + 1, BTEqualStrategyNumber, proc, keys[i]);
	}
	s->slot = table_slot_create(heap, NULL);
	s->scan = index_beginscan(heap, s->index, GetActiveSnapshot(), nkeys, 0);
	index_rescan(s->scan, skeys, nkeys, NULL, 0);
	s->backward = backward;
}

bool
book_scan_next(BookScan *s)
{
	return index_getnext_slot(s->scan, s->backward ? BackwardScanDirection : ForwardScanDirection,
							  s->slot);
}

Datum
book_scan_get(BookScan *s, int attnum, bool *isnull)
{
	return slot_getattr(s->slot, attnum, isnull);
}

void
book_scan_end(BookScan *s)
{
	index_endscan(s->scan);
	ExecDropSingleTupleTableSlot(s->slot);
	index_close(s->index, AccessShareLock);
}

/* ------------------------------------------------------------------------
 * Extension owner
 * ------------------------------------------------------------------------
 */
/*
 * OID of the migrate extension.  Every event trigger call asks, so the
 * answer is kept for the current command of the current transaction: the
 * catalog a command sees changes only when the command counter advances.
 */
Oid
migrate_extension_oid(bool missing_ok)
{
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static CommandId cached_cid = InvalidCommandId;
	static Oid	cached_oid = InvalidOid;
	CommandId	cid = GetCurrentCommandId(false);

	if (cached_lxid != MyProc->lxid || cached_cid != cid)
	{
		cached_oid = get_extension_oid("migrate", true);
		cached_lxid = MyProc->lxid;
		cached_cid = cid;
	}
	if (!OidIsValid(cached_oid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"migrate\" does not exist")));
	return cached_oid;
}

/*
 * Owner of the migrate extension.  The extension is created by a superuser
 * (superuser = true in the control file); ownership may later be moved.
 */
Oid
migrate_extension_owner(void)
{
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static Oid	cached_owner = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	/* asked many times per statement: remember it for the transaction */
	if (cached_lxid == MyProc->lxid && OidIsValid(cached_owner))
		return cached_owner;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("migrate"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"migrate\" is not installed in this database"),
				 errhint("A superuser must run CREATE EXTENSION migrate in this database.")));
	cached_lxid = MyProc->lxid;
	cached_owner = owner;
	return owner;
}

void
migrate_become_owner(OwnerSwitch *s)
{
	Oid			owner = migrate_extension_owner();

	GetUserIdAndSecContext(&s->saved_user, &s->saved_sec);
	SetUserIdAndSecContext(owner, s->saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	s->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The bookkeeping queries are index probes.  Their plans are kept for the
	 * backend's life, and the tables grow quickly between analyzes, so keep
	 * the planner from choosing a sequential scan, or a hash or merge join
	 * over whole tables, on statistics that say a table is tiny. (Queries
	 * that look for live registry rows by anything but their OID triple write
	 * COALESCE(dropped_unit, 0) = 0, so that the partial index on live rows
	 * is not mistaken for a cheap way to read them all.)
	 */
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_hashjoin", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The disabled plan types make a plan that still needs one (a scan of the
	 * one-row lock_holder table) look enormously expensive, which would have
	 * the server JIT-compile a query that reads a few rows.
	 */
	(void) set_config_option("jit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

void
migrate_restore_user(OwnerSwitch *s)
{
	AtEOXact_GUC(false, s->nestlevel);
	SetUserIdAndSecContext(s->saved_user, s->saved_sec);
}

/*
 * One writing statement on the bookkeeping tables, as the extension's
 * owner, in an SPI connection of its own.
 */
void
mq_write_as_owner(MigrateQuery *q, Datum *values, const char *nulls)
{
	OwnerSwitch sw;

	SPI_connect();
	migrate_become_owner(&sw);
	mq_exec(q, values, nulls, false, 0);
	migrate_restore_user(&sw);
	SPI_finish();
}

/* ------------------------------------------------------------------------
 * Hashing
 * ------------------------------------------------------------------------
 */
/*
 * SHA-256 through OpenSSL's EVP interface, with the algorithm fetched once
 * per backend and one digest context reused for every hash.  Creating a
 * context and looking the algorithm up again for each of the many small
 * texts hashed per migration (pg_cryptohash_create/init) costs several
 * times the hashing itself.  OpenSSL allocates with malloc, so nothing here
 * is lost when an error unwinds between init and final: the next call
 * initializes the same context again.
 */
static EVP_MD_CTX *
sha256_begin(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	static EVP_MD *md = NULL;
#else
	static const EVP_MD *md = NULL;
#endif
	static EVP_MD_CTX *ctx = NULL;

	if (md == NULL)
	{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
		md = EVP_sha256();
#endif
		if (md == NULL)
			elog(ERROR, "could not load the SHA-256 implementation of OpenSSL");
	}
	if (ctx == NULL)
	{
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (!EVP_DigestInit_ex2(ctx, md, NULL))
#else
	if (!EVP_DigestInit_ex(ctx, md, NULL))
#endif
		elog(ERROR, "could not initialize SHA-256");
	return ctx;
}

static void
sha256_add(EVP_MD_CTX *ctx, const char *data, size_t len)
{
	if (!EVP_DigestUpdate(ctx, data, len))
		elog(ERROR, "could not compute SHA-256");
}

static void
sha256_end(EVP_MD_CTX *ctx, uint8 *out)
{
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(ctx, out, &n) || n != PG_SHA256_DIGEST_LENGTH)
		elog(ERROR, "could not compute SHA-256");
}

static void
sha256_parts(List *parts, int upto, uint8 *out)
{
	EVP_MD_CTX *ctx = sha256_begin();
	ListCell   *lc;
	int			i = 0;

	foreach(lc, parts)
	{
		const char *s = lfirst(lc);

		if (i++ > upto)
			break;
		if (s != NULL)
			sha256_add(ctx, s, strlen(s));
	}
	sha256_end(ctx, out);
}

static void
sha256_bytes(const char *data, size_t len, uint8 *out)
{
	EVP_MD_CTX *ctx = sha256_begin();

	sha256_add(ctx, data, len);
	sha256_end(ctx, out);
}

char *
migrate_sha256_hex(const char *data, size_t len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";
	char	   *out = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	sha256_bytes(data, len, digest);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return out;
}

static char *
h1_of_digest(const uint8 *digest)
{
	int			enclen = pg_b64_enc_len(PG_SHA256_DIGEST_LENGTH);
	char	   *out = palloc(enclen + 4);
	int			n;

	memcpy(out, "h1:", 3);
	n = pg_b64_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, out + 3, enclen);
	if (n < 0)
		elog(ERROR, "could not encode hash");
	out[3 + n] = '\0';
	return out;
}

char *
migrate_h1(const char *data, size_t len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	sha256_bytes(data, len, digest);
	return h1_of_digest(digest);
}

char *
migrate_running_hash(List *statements, int upto)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	sha256_parts(statements, upto, digest);
	return h1_of_digest(digest);
}

/* ------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------
 */
static int
natural_cmp(const char *a, const char *b)
{
	while (*a && *b)
	{
		if (isdigit((unsigned char) *a) && isdigit((unsigned char) *b))
		{
			const char *ea,
					   *eb;
			size_t		la,
						lb;
			int			c;

			while (*a == '0' && isdigit((unsigned char) a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char) b[1]))
				b++;
			for (ea = a; isdigit((unsigned char) *ea); ea++)
				;
			for (eb = b; isdigit((unsigned char) *eb); eb++)
				;
			la = ea - a;
			lb = eb - b;
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char) *a < (unsigned char) *b ? -1 : 1;
		a++;
		b++;
	}
	if (*a)
		return 1;
	if (*b)
		return -1;
	return 0;
}

/* total order: natural order, then byte order ("01" before "1") */
int
migrate_version_cmp(const char *a, const char *b)
{
	int			c = natural_cmp(a, b);

	if (c != 0)
		return c;
	c = strcmp(a, b);
	return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/* ------------------------------------------------------------------------
 * Arrays and names
 * ------------------------------------------------------------------------
 */
ArrayType *
migrate_text_array(List *strings)
{
	int			n = list_length(strings);
	Datum	   *elems = palloc0(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc0(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	ListCell   *lc;
	int			i = 0;

	foreach(lc, strings)
	{
		const char *s = lfirst(lc);

		if (s == NULL)
			nulls[i] = true;
		else
			elems[i] = CStringGetTextDatum(s);
		i++;
	}
	if (n == 0)
		return construct_empty_array(TEXTOID);
	return construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

List *
migrate_text_list(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *out = NIL;

	if (array == NULL)
		return NIL;
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("expected a one-dimensional text array")));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		out = lappend(out, nulls[i] ? NULL : TextDatumGetCString(elems[i]));
	return out;
}

ArrayType *
migrate_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	if (n == 0)
		return construct_empty_array(elemtype);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return construct_md_array(elems, nulls, 1, dims, lbs, elemtype, typlen, typbyval, typalign);
}

char *
migrate_qualified_relname(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		return NULL;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
}

char *
migrate_qualified_typname(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	char	   *out;

	if (!HeapTupleIsValid(tup))
		return NULL;
	typ = (Form_pg_type) GETSTRUCT(tup);
	out = quote_qualified_identifier(get_namespace_name(typ->typnamespace),
									 NameStr(typ->typname));
	ReleaseSysCache(tup);
	return out;
}
