/*-------------------------------------------------------------------------
 *
 * image.c
 *	  Canonical images of schema objects (see image.h for the contract and
 *	  docs/postgres.md for the format of each kind).
 *
 * Design: catalog rows are read through the syscache and index scans (no
 * relation is opened, so imaging thousands of tables takes no relation
 * locks); the text of definitions comes from the same deparse functions
 * pg_dump uses (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef,
 * pg_get_functiondef, pg_get_triggerdef, pg_get_expr, format_type), called
 * under an empty search_path so that user objects come out qualified.
 * Images hold names, never OIDs, so that an object re-created by a revert
 * images exactly like the original.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/image.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "miscadmin.h"
#include "rewrite/rewriteSupport.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "image.h"
#include "util.h"

static bool canonical_relation(Oid relid, int32 subid, ObjectAddress *out);
static bool canonical_type(Oid typid, ObjectAddress *out);

/* ------------------------------------------------------------------------
 * Tracking rules
 * ------------------------------------------------------------------------
 */
bool
migrate_image_tracked_namespace(Oid nspid)
{
	char	   *name;

	if (!OidIsValid(nspid))
		return false;
	if (nspid == PG_CATALOG_NAMESPACE || nspid == PG_TOAST_NAMESPACE)
		return false;
	if (nspid < FirstNormalObjectId && nspid != PG_PUBLIC_NAMESPACE)
		return false;
	if (isAnyTempNamespace(nspid))
		return false;
	name = get_namespace_name(nspid);
	if (name == NULL)
		return false;
	if (strcmp(name, "information_schema") == 0 || strcmp(name, MIGRATE_SCHEMA) == 0)
		return false;
	return true;
}

/*
 * A copy of the pg_trigger row of trigoid, or NULL (PostgreSQL 15 has no
 * syscache on trigger OIDs).  Free with heap_freetuple.
 */
static HeapTuple
trigger_tuple(Oid trigoid)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	HeapTuple	copy = NULL;

	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(trigoid));
	scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		copy = heap_copytuple(tup);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return copy;
}

/* relation a rule belongs to, and its name (InvalidOid when gone) */
static Oid
rule_relation(Oid ruleoid, char **rulename)
{
	Relation	rel = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			relid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ruleoid));
	scan = systable_beginscan(rel, RewriteOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tup);

		relid = rw->ev_class;
		*rulename = pstrdup(NameStr(rw->rulename));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

/* namespace an object lives in (relation's for triggers, rules, policies) */
static Oid
object_namespace(const ObjectAddress *addr)
{
	switch (addr->classId)
	{
		case NamespaceRelationId:
			return addr->objectId;
		case TriggerRelationId:
			{
				HeapTuple	tup = trigger_tuple(addr->objectId);
				Oid			relid;

				if (tup == NULL)
					return InvalidOid;
				relid = ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid;
				heap_freetuple(tup);
				return get_rel_namespace(relid);
			}
		case RewriteRelationId:
			{
				char	   *rulename;
				Oid			relid = rule_relation(addr->objectId, &rulename);

				return OidIsValid(relid) ? get_rel_namespace(relid) : InvalidOid;
			}
		case PolicyRelationId:
			{
				Relation	rel = table_open(PolicyRelationId, AccessShareLock);
				ScanKeyData key;
				SysScanDesc scan;
				HeapTuple	tup;
				Oid			relid = InvalidOid;

				ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber,
							F_OIDEQ, ObjectIdGetDatum(addr->objectId));
				scan = systable_beginscan(rel, PolicyOidIndexId, true, NULL, 1, &key);
				tup = systable_getnext(scan);
				if (HeapTupleIsValid(tup))
					relid = ((Form_pg_policy) GETSTRUCT(tup))->polrelid;
				systable_endscan(scan);
				table_close(rel, AccessShareLock);
				return OidIsValid(relid) ? get_rel_namespace(relid) : InvalidOid;
			}
		default:
			if (is_objectclass_supported(addr->classId))
				return get_object_namespace(addr);
			return InvalidOid;
	}
}

/* classes whose objects have no namespace at all */
static bool
class_has_namespace(Oid classId)
{
	switch (classId)
	{
		case NamespaceRelationId:
		case TriggerRelationId:
		case RewriteRelationId:
		case PolicyRelationId:
			return true;
		default:
			if (!is_objectclass_supported(classId))
				return false;
			return get_object_attnum_namespace(classId) != InvalidAttrNumber;
	}
}

static bool
canonical_relation(Oid relid, int32 subid, ObjectAddress *out)
{
	char		relkind = get_rel_relkind(relid);
	Oid			other;
	int32		col;

	switch (relkind)
	{
		case '\0':
		case RELKIND_TOASTVALUE:
			return false;
		case RELKIND_COMPOSITE_TYPE:
			return canonical_type(get_rel_type_id(relid), out);
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			other = get_index_constraint(relid);
			if (OidIsValid(other))
				ObjectAddressSet(*out, ConstraintRelationId, other);
			else
				ObjectAddressSet(*out, RelationRelationId, relid);
			return true;
		case RELKIND_SEQUENCE:
			if (sequenceIsOwned(relid, DEPENDENCY_INTERNAL, &other, &col))
				ObjectAddressSubSet(*out, RelationRelationId, other, col);
			else
				ObjectAddressSet(*out, RelationRelationId, relid);
			return true;
		case RELKIND_VIEW:
		case RELKIND_MATVIEW:
			ObjectAddressSet(*out, RelationRelationId, relid);
			return true;
		default:
			ObjectAddressSubSet(*out, RelationRelationId, relid, Max(subid, 0));
			return true;
	}
}

static bool
canonical_type(Oid typid, ObjectAddress *out)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	bool		result = true;

	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	if (IsTrueArrayType(typ))
		result = canonical_type(typ->typelem, out);
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		result = canonical_type(get_multirange_range(typid), out);
	else if (OidIsValid(typ->typrelid) && get_rel_relkind(typ->typrelid) != RELKIND_COMPOSITE_TYPE)
		result = canonical_relation(typ->typrelid, 0, out);
	else
		ObjectAddressSet(*out, TypeRelationId, typid);
	ReleaseSysCache(tup);
	return result;
}

static bool
canonical_attrdef(Oid attrdefoid, ObjectAddress *out)
{
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(attrdefoid));
	scan = systable_beginscan(rel, AttrDefaultOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_attrdef ad = (Form_pg_attrdef) GETSTRUCT(tup);

		found = canonical_relation(ad->adrelid, ad->adnum, out);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

static bool
canonical_trigger(Oid trigoid, ObjectAddress *out)
{
	HeapTuple	tup = trigger_tuple(trigoid);
	Form_pg_trigger trg;
	bool		result = true;

	if (tup == NULL)
		return false;
	trg = (Form_pg_trigger) GETSTRUCT(tup);
	if (trg->tgisinternal)
	{
		if (OidIsValid(trg->tgconstraint))
			ObjectAddressSet(*out, ConstraintRelationId, trg->tgconstraint);
		else
			result = false;
	}
	else
		ObjectAddressSet(*out, TriggerRelationId, trigoid);
	heap_freetuple(tup);
	return result;
}

static bool
canonical_rule(Oid ruleoid, ObjectAddress *out)
{
	char	   *rulename;
	Oid			relid = rule_relation(ruleoid, &rulename);

	if (!OidIsValid(relid))
		return false;
	if (strcmp(rulename, ViewSelectRuleName) == 0)
		return canonical_relation(relid, 0, out);
	ObjectAddressSet(*out, RewriteRelationId, ruleoid);
	return true;
}

bool
migrate_image_canonical(const ObjectAddress *addr, ObjectAddress *out)
{
	ObjectAddress cur;
	bool		ok;
	Oid			ext;
	Oid			nsp;

	if (!OidIsValid(addr->classId) || !OidIsValid(addr->objectId))
		return false;
	if (addr->objectId < FirstNormalObjectId &&
		!(addr->classId == NamespaceRelationId && addr->objectId == PG_PUBLIC_NAMESPACE))
		return false;

	switch (addr->classId)
	{
		case RelationRelationId:
			ok = canonical_relation(addr->objectId, addr->objectSubId, &cur);
			break;
		case TypeRelationId:
			ok = canonical_type(addr->objectId, &cur);
			break;
		case AttrDefaultRelationId:
			ok = canonical_attrdef(addr->objectId, &cur);
			break;
		case TriggerRelationId:
			ok = canonical_trigger(addr->objectId, &cur);
			break;
		case RewriteRelationId:
			ok = canonical_rule(addr->objectId, &cur);
			break;
		default:
			cur = *addr;
			ok = true;
			break;
	}
	if (!ok)
		return false;

	/* extension members are tracked as their extension */
	if (cur.classId != ExtensionRelationId)
	{
		ext = getExtensionOfObject(cur.classId, cur.objectId);
		if (OidIsValid(ext))
			ObjectAddressSet(cur, ExtensionRelationId, ext);
	}
	if (cur.classId == ExtensionRelationId)
	{
		if (cur.objectId == migrate_extension_oid(true) || cur.objectId < FirstNormalObjectId)
			return false;
		*out = cur;
		return true;
	}

	if (class_has_namespace(cur.classId))
	{
		nsp = object_namespace(&cur);
		if (!migrate_image_tracked_namespace(nsp))
			return false;
	}
	*out = cur;
	return true;
}

/* ------------------------------------------------------------------------
 * Kinds and identities
 * ------------------------------------------------------------------------
 */
static const char *
relation_kind(Oid relid, int32 subid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		return NULL;
	if (subid > 0)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(subid));
		bool		dropped;

		if (!HeapTupleIsValid(tup))
			return NULL;
		dropped = ((Form_pg_attribute) GETSTRUCT(tup))->attisdropped;
		ReleaseSysCache(tup);
		if (dropped)
			return NULL;
		return relkind == RELKIND_FOREIGN_TABLE ? "foreign table column" : "table column";
	}
	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			return "table";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_SEQUENCE:
			return "sequence";
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			return "index";
		case RELKIND_COMPOSITE_TYPE:
			return "composite type";
		default:
			return "relation";
	}
}

static const char *
type_kind(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	char		typtype;

	if (!HeapTupleIsValid(tup))
		return NULL;
	typtype = ((Form_pg_type) GETSTRUCT(tup))->typtype;
	ReleaseSysCache(tup);
	switch (typtype)
	{
		case TYPTYPE_ENUM:
			return "enum";
		case TYPTYPE_DOMAIN:
			return "domain";
		case TYPTYPE_COMPOSITE:
			return "composite type";
		case TYPTYPE_RANGE:
			return "range type";
		case TYPTYPE_MULTIRANGE:
			return "multirange type";
		case TYPTYPE_PSEUDO:
			return "pseudo type";
		default:
			return "base type";
	}
}

const char *
migrate_image_kind(const ObjectAddress *addr)
{
	switch (addr->classId)
	{
		case NamespaceRelationId:
			return SearchSysCacheExists1(NAMESPACEOID, ObjectIdGetDatum(addr->objectId))
				? "schema" : NULL;
		case RelationRelationId:
			return relation_kind(addr->objectId, addr->objectSubId);
		case TypeRelationId:
			return type_kind(addr->objectId);
		case ConstraintRelationId:
			{
				HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(addr->objectId));
				bool		domain;

				if (!HeapTupleIsValid(tup))
					return NULL;
				domain = OidIsValid(((Form_pg_constraint) GETSTRUCT(tup))->contypid);
				ReleaseSysCache(tup);
				return domain ? "domain constraint" : "table constraint";
			}
		case ProcedureRelationId:
			{
				HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(addr->objectId));
				char		prokind;

				if (!HeapTupleIsValid(tup))
					return NULL;
				prokind = ((Form_pg_proc) GETSTRUCT(tup))->prokind;
				ReleaseSysCache(tup);
				if (prokind == PROKIND_PROCEDURE)
					return "procedure";
				if (prokind == PROKIND_AGGREGATE)
					return "aggregate";
				return "function";
			}
		case TriggerRelationId:
			{
				HeapTuple	tup = trigger_tuple(addr->objectId);

				if (tup == NULL)
					return NULL;
				heap_freetuple(tup);
				return "trigger";
			}
		case ExtensionRelationId:
			return get_extension_name(addr->objectId) != NULL ? "extension" : NULL;
		default:
			if (getObjectIdentity(addr, true) == NULL)
				return NULL;
			return getObjectTypeDescription(addr, true);
	}
}

bool
migrate_image_kind_supported(const char *kind)
{
	static const char *const supported[] = {
		"schema", "table", "table column", "table constraint", "domain constraint",
		"index", "sequence", "view", "materialized view", "function", "procedure",
		"trigger", "enum", "domain", "composite type", "extension", NULL
	};

	if (kind == NULL)
		return false;
	for (int i = 0; supported[i]; i++)
		if (strcmp(kind, supported[i]) == 0)
			return true;
	return false;
}

char *
migrate_image_identity(const ObjectAddress *addr)
{
	return getObjectIdentity(addr, true);
}

char *
migrate_image_hash(Jsonb *image)
{
	char	   *text = JsonbToCString(NULL, &image->root, VARSIZE(image));

	return migrate_sha256_hex(text, strlen(text));
}

/*
 * Images are read under fixed settings, so that the same object gives the
 * same text whatever the session's settings are: an empty search_path
 * (user objects come out qualified), and the output settings pg_dump pins
 * (dates, intervals, floats, bytea, time zone, identifier quoting).  The
 * snapshot sees everything the current transaction did so far: deparse
 * functions that query the catalog through SPI (pg_get_viewdef) use the
 * active snapshot, which in an event trigger predates the command.
 */
static int	image_depth = 0;

static const char *const image_settings[][2] = {
	{"search_path", ""},
	{"DateStyle", "ISO, YMD"},
	{"IntervalStyle", "postgres"},
	{"extra_float_digits", "3"},
	{"bytea_output", "hex"},
	{"TimeZone", "UTC"},
	{"quote_all_identifiers", "off"},
};

/* an error inside an image batch leaves it: forget the depth on abort */
static void
image_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		image_depth = 0;
}

static void
image_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		image_depth = 0;
}

void
migrate_image_init(void)
{
	RegisterXactCallback(image_xact_callback, NULL);
	RegisterSubXactCallback(image_subxact_callback, NULL);
}

int
migrate_image_enter(void)
{
	int			nestlevel;

	CommandCounterIncrement();
	if (ActiveSnapshotSet())
	{
		PushCopiedSnapshot(GetActiveSnapshot());
		UpdateActiveSnapshotCommandId();
	}
	else
		PushActiveSnapshot(GetTransactionSnapshot());
	nestlevel = NewGUCNestLevel();
	for (int i = 0; i < lengthof(image_settings); i++)
	{
		const char *now = GetConfigOption(image_settings[i][0], false, false);

		/*
		 * setting TimeZone or search_path is not free: skip what is already
		 * so
		 */
		if (now != NULL && strcmp(now, image_settings[i][1]) == 0)
			continue;
		(void) set_config_option(image_settings[i][0], image_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}
	image_depth++;
	return nestlevel;
}

void
migrate_image_leave(int nestlevel)
{
	image_depth--;
	AtEOXact_GUC(false, nestlevel);
	PopActiveSnapshot();
}

/* ------------------------------------------------------------------------
 * Small writers
 * ------------------------------------------------------------------------
 */
static int
cmp_cstring_cells(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* "key": sorted array of aclitem texts, or null for the default privileges */
static void
write_acl(JsonWriter *w, const char *key, Datum acl, bool isnull)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			n;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	List	   *items = NIL;
	ListCell   *lc;

	jw_key(w, key);
	if (isnull)
	{
		jw_null(w);
		return;
	}
	arr = DatumGetArrayTypeP(acl);
	get_typlenbyvalalign(ACLITEMOID, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ACLITEMOID, typlen, typbyval, typalign, &elems, NULL, &n);
	for (int i = 0; i < n; i++)
		items = lappend(items, DatumGetCString(DirectFunctionCall1(aclitemout, elems[i])));
	list_sort(items, cmp_cstring_cells);
	jw_array_start(w);
	foreach(lc, items)
		jw_string(w, lfirst(lc));
	jw_array_end(w);
}

/*
 * "key": sorted text[] (reloptions, attoptions), or null.  Options whose
 * name starts with "pg_" are the server's own bookkeeping, not something a
 * migration sets (some builds keep a per-attribute "pg_attver" that differs
 * between two otherwise identical columns); they are left out.
 */
static void
write_options(JsonWriter *w, const char *key, Datum options, bool isnull)
{
	List	   *items = NIL;
	ListCell   *lc;

	jw_key(w, key);
	if (!isnull)
	{
		foreach(lc, migrate_text_list(DatumGetArrayTypeP(options)))
		{
			char	   *opt = lfirst(lc);

			if (opt != NULL && strncmp(opt, "pg_", 3) != 0)
				items = lappend(items, opt);
		}
	}
	if (items == NIL)
	{
		jw_null(w);
		return;
	}
	list_sort(items, cmp_cstring_cells);
	jw_array_start(w);
	foreach(lc, items)
		jw_string(w, lfirst(lc));
	jw_array_end(w);
}

static void
write_owner(JsonWriter *w, Oid owner)
{
	jw_kv_string(w, "owner", GetUserNameFromId(owner, true));
}

static void
write_comment(JsonWriter *w, Oid objoid, Oid classoid, int32 subid)
{
	jw_kv_string(w, "comment", GetComment(objoid, classoid, subid));
}

static char *
expr_text(Datum nodetree, Oid relid)
{
	return TextDatumGetCString(DirectFunctionCall2(pg_get_expr, nodetree,
												   ObjectIdGetDatum(relid)));
}

static const char *
persistence_name(char p)
{
	switch (p)
	{
		case RELPERSISTENCE_UNLOGGED:
			return "unlogged";
		case RELPERSISTENCE_TEMP:
			return "temporary";
		default:
			return "permanent";
	}
}

static char *
column_identity(Oid relid, AttrNumber attnum)
{
	char	   *rel = migrate_qualified_relname(relid);
	char	   *att = get_attname(relid, attnum, true);

	if (rel == NULL || att == NULL)
		return NULL;
	return psprintf("%s.%s", rel, quote_identifier(att));
}

/* collation, when it differs from the type's default */
static const char *
collation_if_not_default(Oid collid, Oid typid)
{
	if (!OidIsValid(collid) || collid == get_typcollation(typid))
		return NULL;
	return generate_collation_name(collid);
}

/* ------------------------------------------------------------------------
 * Relations
 * ------------------------------------------------------------------------
 */
static void
write_inherits(JsonWriter *w, Oid relid)
{
	Relation	rel = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
	jw_key(w, "inherits");
	jw_array_start(w);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		jw_string(w, migrate_qualified_relname(((Form_pg_inherits) GETSTRUCT(tup))->inhparent));
	jw_array_end(w);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* names of the live columns of a relation, in order */
static void
write_column_names(JsonWriter *w, Oid relid, int natts)
{
	jw_key(w, "columns");
	jw_array_start(w);
	for (int i = 1; i <= natts; i++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tup))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (!att->attisdropped)
			jw_string(w, NameStr(att->attname));
		ReleaseSysCache(tup);
	}
	jw_array_end(w);
}

static void
write_relation_common(JsonWriter *w, HeapTuple tup, Form_pg_class rel)
{
	bool		isnull;
	Datum		d;

	jw_kv_string(w, "schema", get_namespace_name(rel->relnamespace));
	jw_kv_string(w, "name", NameStr(rel->relname));
	write_owner(w, rel->relowner);
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &isnull);
	write_acl(w, "acl", d, isnull);
	write_comment(w, rel->oid, RelationRelationId, 0);
}

static void
image_table(JsonWriter *w, HeapTuple tup, Form_pg_class rel)
{
	bool		isnull;
	Datum		d;
	const char *ri;

	jw_kv_string(w, "kind", "table");
	write_relation_common(w, tup, rel);
	jw_kv_string(w, "persistence", persistence_name(rel->relpersistence));
	jw_kv_bool(w, "partitioned", rel->relkind == RELKIND_PARTITIONED_TABLE);
	jw_key(w, "partition_key");
	if (rel->relkind == RELKIND_PARTITIONED_TABLE)
		jw_string(w, TextDatumGetCString(DirectFunctionCall1(pg_get_partkeydef,
															 ObjectIdGetDatum(rel->oid))));
	else
		jw_null(w);
	if (rel->relispartition)
	{
		jw_kv_string(w, "partition_of",
					 migrate_qualified_relname(get_partition_parent(rel->oid, true)));
		d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relpartbound, &isnull);
		jw_kv_string(w, "partition_bound", isnull ? NULL : expr_text(d, rel->oid));
		jw_key(w, "inherits");
		jw_array_start(w);
		jw_array_end(w);
	}
	else
	{
		jw_kv_string(w, "partition_of", NULL);
		jw_kv_string(w, "partition_bound", NULL);
		write_inherits(w, rel->oid);
	}
	jw_kv_string(w, "access_method", OidIsValid(rel->relam) ? get_am_name(rel->relam) : NULL);
	jw_kv_string(w, "tablespace", OidIsValid(rel->reltablespace)
				 ? get_tablespace_name(rel->reltablespace) : NULL);
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions, &isnull);
	write_options(w, "options", d, isnull);
	switch (rel->relreplident)
	{
		case REPLICA_IDENTITY_NOTHING:
			ri = "nothing";
			break;
		case REPLICA_IDENTITY_FULL:
			ri = "full";
			break;
		case REPLICA_IDENTITY_INDEX:
			ri = "index";
			break;
		default:
			ri = "default";
			break;
	}
	jw_kv_string(w, "replica_identity", ri);
	jw_kv_bool(w, "row_security", rel->relrowsecurity);
	jw_kv_bool(w, "force_row_security", rel->relforcerowsecurity);
	write_column_names(w, rel->oid, rel->relnatts);
}

/* text of the default or generation expression of a column, or NULL */
static char *
column_default(Oid relid, AttrNumber attnum)
{
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *result = NULL;

	ScanKeyInit(&keys[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	scan = systable_beginscan(rel, AttrDefaultIndexId, true, NULL, 2, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_attrdef_adbin, RelationGetDescr(rel), &isnull);

		if (!isnull)
			result = expr_text(d, relid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* the options of a sequence, as keys of the current object */
static void
write_sequence_options(JsonWriter *w, Oid seqid)
{
	HeapTuple	tup = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	Form_pg_sequence seq;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for sequence %u", seqid);
	seq = (Form_pg_sequence) GETSTRUCT(tup);
	jw_kv_string(w, "type", format_type_be(seq->seqtypid));
	jw_kv_int64(w, "start", seq->seqstart);
	jw_kv_int64(w, "increment", seq->seqincrement);
	jw_kv_int64(w, "min", seq->seqmin);
	jw_kv_int64(w, "max", seq->seqmax);
	jw_kv_int64(w, "cache", seq->seqcache);
	jw_kv_bool(w, "cycle", seq->seqcycle);
	ReleaseSysCache(tup);
}

static int
column_position(Oid relid, AttrNumber attnum)
{
	int			pos = 0;

	for (int i = 1; i <= attnum; i++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));

		if (!HeapTupleIsValid(tup))
			continue;
		if (!((Form_pg_attribute) GETSTRUCT(tup))->attisdropped)
			pos++;
		ReleaseSysCache(tup);
	}
	return pos;
}

static const char *
storage_name(char c)
{
	switch (c)
	{
		case TYPSTORAGE_PLAIN:
			return "plain";
		case TYPSTORAGE_EXTERNAL:
			return "external";
		case TYPSTORAGE_MAIN:
			return "main";
		default:
			return "extended";
	}
}

static void
image_column(JsonWriter *w, Oid relid, HeapTuple tup)
{
	Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);
	bool		isnull;
	Datum		d;
	char	   *expr = NULL;

	if (att->atthasdef)
		expr = column_default(relid, att->attnum);
	jw_kv_string(w, "kind", "table column");
	jw_kv_string(w, "table", migrate_qualified_relname(relid));
	jw_kv_string(w, "name", NameStr(att->attname));
	jw_kv_int64(w, "position", column_position(relid, att->attnum));
	jw_kv_string(w, "type", format_type_extended(att->atttypid, att->atttypmod,
												 FORMAT_TYPE_TYPEMOD_GIVEN));
	jw_kv_string(w, "collation", collation_if_not_default(att->attcollation, att->atttypid));
	jw_kv_bool(w, "not_null", att->attnotnull);
	jw_kv_string(w, "default", att->attgenerated ? NULL : expr);
	jw_kv_string(w, "generated", att->attgenerated ? expr : NULL);
	jw_key(w, "identity");
	if (att->attidentity)
	{
		Oid			seqid = getIdentitySequence(relid, att->attnum, true);

		jw_object_start(w);
		jw_kv_string(w, "generated", att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS
					 ? "always" : "by default");
		if (OidIsValid(seqid))
		{
			jw_kv_string(w, "sequence", migrate_qualified_relname(seqid));
			write_sequence_options(w, seqid);
		}
		jw_object_end(w);
	}
	else
		jw_null(w);
	jw_kv_bool(w, "local", att->attislocal);
	jw_kv_int64(w, "inherited", att->attinhcount);
	jw_kv_string(w, "storage", att->attstorage != get_typstorage(att->atttypid)
				 ? storage_name(att->attstorage) : NULL);
	jw_kv_string(w, "compression", att->attcompression == 'p' ? "pglz"
				 : att->attcompression == 'l' ? "lz4" : NULL);
	jw_key(w, "statistics");
	if (att->attstattarget >= 0)
		jw_int64(w, att->attstattarget);
	else
		jw_null(w);
	d = SysCacheGetAttr(ATTNUM, tup, Anum_pg_attribute_attoptions, &isnull);
	write_options(w, "options", d, isnull);
	d = SysCacheGetAttr(ATTNUM, tup, Anum_pg_attribute_attacl, &isnull);
	write_acl(w, "acl", d, isnull);
	write_comment(w, relid, RelationRelationId, att->attnum);
}

static void
image_index(JsonWriter *w, HeapTuple reltup, Form_pg_class rel)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(rel->oid));
	Form_pg_index idx;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for index %u", rel->oid);
	idx = (Form_pg_index) GETSTRUCT(tup);
	jw_kv_string(w, "kind", "index");
	jw_kv_string(w, "schema", get_namespace_name(rel->relnamespace));
	jw_kv_string(w, "name", NameStr(rel->relname));
	jw_kv_string(w, "table", migrate_qualified_relname(idx->indrelid));
	jw_kv_string(w, "definition",
				 TextDatumGetCString(DirectFunctionCall3(pg_get_indexdef_ext,
														 ObjectIdGetDatum(rel->oid),
														 Int32GetDatum(0),
														 BoolGetDatum(false))));
	jw_kv_bool(w, "unique", idx->indisunique);
	jw_kv_bool(w, "valid", idx->indisvalid);
	jw_kv_bool(w, "clustered", idx->indisclustered);
	jw_kv_bool(w, "replica_identity", idx->indisreplident);
	jw_kv_string(w, "parent", rel->relispartition
				 ? migrate_qualified_relname(get_partition_parent(rel->oid, true)) : NULL);
	jw_kv_string(w, "tablespace", OidIsValid(rel->reltablespace)
				 ? get_tablespace_name(rel->reltablespace) : NULL);
	write_comment(w, rel->oid, RelationRelationId, 0);
	ReleaseSysCache(tup);
}

static void
image_sequence(JsonWriter *w, HeapTuple reltup, Form_pg_class rel)
{
	Oid			tab;
	int32		col;

	jw_kv_string(w, "kind", "sequence");
	write_relation_common(w, reltup, rel);
	jw_kv_string(w, "persistence", persistence_name(rel->relpersistence));
	write_sequence_options(w, rel->oid);
	jw_kv_string(w, "owned_by", sequenceIsOwned(rel->oid, DEPENDENCY_AUTO, &tab, &col)
				 ? column_identity(tab, col) : NULL);
}

static void
write_view_columns(JsonWriter *w, Oid relid, int natts)
{
	jw_key(w, "columns");
	jw_array_start(w);
	for (int i = 1; i <= natts; i++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tup))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (!att->attisdropped)
		{
			jw_object_start(w);
			jw_kv_string(w, "name", NameStr(att->attname));
			jw_kv_string(w, "type", format_type_extended(att->atttypid, att->atttypmod,
														 FORMAT_TYPE_TYPEMOD_GIVEN));
			jw_kv_string(w, "collation",
						 collation_if_not_default(att->attcollation, att->atttypid));
			jw_kv_string(w, "default", att->atthasdef ? column_default(relid, i) : NULL);
			write_comment(w, relid, RelationRelationId, i);
			jw_object_end(w);
		}
		ReleaseSysCache(tup);
	}
	jw_array_end(w);
}

static void
image_view(JsonWriter *w, HeapTuple reltup, Form_pg_class rel)
{
	bool		isnull;
	Datum		d;
	bool		matview = rel->relkind == RELKIND_MATVIEW;

	jw_kv_string(w, "kind", matview ? "materialized view" : "view");
	write_relation_common(w, reltup, rel);
	jw_kv_string(w, "definition",
				 TextDatumGetCString(DirectFunctionCall2(pg_get_viewdef_ext,
														 ObjectIdGetDatum(rel->oid),
														 BoolGetDatum(false))));
	d = SysCacheGetAttr(RELOID, reltup, Anum_pg_class_reloptions, &isnull);
	write_options(w, "options", d, isnull);
	write_view_columns(w, rel->oid, rel->relnatts);
	if (matview)
	{
		jw_kv_bool(w, "populated", rel->relispopulated);
		jw_kv_string(w, "access_method", OidIsValid(rel->relam) ? get_am_name(rel->relam) : NULL);
		jw_kv_string(w, "tablespace", OidIsValid(rel->reltablespace)
					 ? get_tablespace_name(rel->reltablespace) : NULL);
	}
}

static bool
image_relation(JsonWriter *w, Oid relid, int32 subid)
{
	HeapTuple	tup;
	Form_pg_class rel;
	bool		ok = true;

	if (subid > 0)
	{
		HeapTuple	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(subid));

		if (!HeapTupleIsValid(atttup))
			return false;
		if (((Form_pg_attribute) GETSTRUCT(atttup))->attisdropped)
			ok = false;
		else
			image_column(w, relid, atttup);
		ReleaseSysCache(atttup);
		return ok;
	}
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	rel = (Form_pg_class) GETSTRUCT(tup);
	switch (rel->relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			image_table(w, tup, rel);
			break;
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			image_index(w, tup, rel);
			break;
		case RELKIND_SEQUENCE:
			image_sequence(w, tup, rel);
			break;
		case RELKIND_VIEW:
		case RELKIND_MATVIEW:
			image_view(w, tup, rel);
			break;
		default:
			ok = false;
			break;
	}
	ReleaseSysCache(tup);
	return ok;
}

/* ------------------------------------------------------------------------
 * Constraints
 * ------------------------------------------------------------------------
 */
static const char *
constraint_type_name(char contype)
{
	switch (contype)
	{
		case CONSTRAINT_PRIMARY:
			return "primary key";
		case CONSTRAINT_UNIQUE:
			return "unique";
		case CONSTRAINT_CHECK:
			return "check";
		case CONSTRAINT_FOREIGN:
			return "foreign key";
		case CONSTRAINT_EXCLUSION:
			return "exclusion";
		case CONSTRAINT_TRIGGER:
			return "trigger";
		default:
			return "other";
	}
}

static bool
image_constraint(JsonWriter *w, Oid conoid)
{
	HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	Form_pg_constraint con;
	char	   *def;
	bool		domain;

	if (!HeapTupleIsValid(tup))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	domain = OidIsValid(con->contypid);
	def = TextDatumGetCString(DirectFunctionCall2(pg_get_constraintdef_ext,
												  ObjectIdGetDatum(conoid),
												  BoolGetDatum(false)));
	jw_kv_string(w, "kind", domain ? "domain constraint" : "table constraint");
	if (domain)
		jw_kv_string(w, "domain", migrate_qualified_typname(con->contypid));
	else
		jw_kv_string(w, "table", migrate_qualified_relname(con->conrelid));
	jw_kv_string(w, "name", NameStr(con->conname));
	jw_kv_string(w, "type", constraint_type_name(con->contype));
	jw_kv_string(w, "definition", def);
	jw_kv_bool(w, "validated", con->convalidated);
	if (!domain)
	{
		jw_kv_bool(w, "deferrable", con->condeferrable);
		jw_kv_bool(w, "deferred", con->condeferred);
		jw_kv_bool(w, "local", con->conislocal);
		jw_kv_int64(w, "inherited", con->coninhcount);
		jw_kv_bool(w, "no_inherit", con->connoinherit);
		jw_kv_string(w, "references", con->contype == CONSTRAINT_FOREIGN
					 ? migrate_qualified_relname(con->confrelid) : NULL);
		jw_kv_string(w, "index", con->contype != CONSTRAINT_FOREIGN && OidIsValid(con->conindid)
					 ? migrate_qualified_relname(con->conindid) : NULL);
		if (OidIsValid(con->conparentid))
		{
			ObjectAddress parent;

			ObjectAddressSet(parent, ConstraintRelationId, con->conparentid);
			jw_kv_string(w, "parent", getObjectIdentity(&parent, true));
		}
		else
			jw_kv_string(w, "parent", NULL);
	}
	write_comment(w, conoid, ConstraintRelationId, 0);
	ReleaseSysCache(tup);
	return true;
}

/* ------------------------------------------------------------------------
 * Routines, triggers
 * ------------------------------------------------------------------------
 */
static bool
image_routine(JsonWriter *w, Oid procoid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(procoid));
	Form_pg_proc proc;
	bool		isnull;
	Datum		d;

	if (!HeapTupleIsValid(tup))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prokind == PROKIND_AGGREGATE)
	{
		ReleaseSysCache(tup);
		return false;
	}
	jw_kv_string(w, "kind", proc->prokind == PROKIND_PROCEDURE ? "procedure" : "function");
	jw_kv_string(w, "schema", get_namespace_name(proc->pronamespace));
	jw_kv_string(w, "name", NameStr(proc->proname));
	jw_kv_string(w, "arguments",
				 TextDatumGetCString(DirectFunctionCall1(pg_get_function_identity_arguments,
														 ObjectIdGetDatum(procoid))));
	jw_kv_string(w, "result", proc->prokind == PROKIND_PROCEDURE ? NULL
				 : TextDatumGetCString(DirectFunctionCall1(pg_get_function_result,
														   ObjectIdGetDatum(procoid))));
	jw_kv_string(w, "language", get_language_name(proc->prolang, true));
	jw_kv_string(w, "definition",
				 TextDatumGetCString(DirectFunctionCall1(pg_get_functiondef,
														 ObjectIdGetDatum(procoid))));
	write_owner(w, proc->proowner);
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proacl, &isnull);
	write_acl(w, "acl", d, isnull);
	write_comment(w, procoid, ProcedureRelationId, 0);
	ReleaseSysCache(tup);
	return true;
}

static bool
image_trigger(JsonWriter *w, Oid trigoid)
{
	HeapTuple	tup = trigger_tuple(trigoid);
	Form_pg_trigger trg;
	const char *enabled;

	if (tup == NULL)
		return false;
	trg = (Form_pg_trigger) GETSTRUCT(tup);
	switch (trg->tgenabled)
	{
		case TRIGGER_DISABLED:
			enabled = "disabled";
			break;
		case TRIGGER_FIRES_ON_REPLICA:
			enabled = "replica";
			break;
		case TRIGGER_FIRES_ALWAYS:
			enabled = "always";
			break;
		default:
			enabled = "origin";
			break;
	}
	jw_kv_string(w, "kind", "trigger");
	jw_kv_string(w, "table", migrate_qualified_relname(trg->tgrelid));
	jw_kv_string(w, "name", NameStr(trg->tgname));
	jw_kv_string(w, "definition",
				 TextDatumGetCString(DirectFunctionCall2(pg_get_triggerdef_ext,
														 ObjectIdGetDatum(trigoid),
														 BoolGetDatum(false))));
	jw_kv_string(w, "enabled", enabled);
	if (OidIsValid(trg->tgparentid))
	{
		ObjectAddress parent;

		ObjectAddressSet(parent, TriggerRelationId, trg->tgparentid);
		jw_kv_string(w, "parent", getObjectIdentity(&parent, true));
	}
	else
		jw_kv_string(w, "parent", NULL);
	write_comment(w, trigoid, TriggerRelationId, 0);
	heap_freetuple(tup);
	return true;
}

/* ------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------
 */
typedef struct EnumLabel
{
	float4		order;
	char	   *label;
} EnumLabel;

static int
cmp_enum_label(const void *a, const void *b)
{
	float4		x = ((const EnumLabel *) a)->order;
	float4		y = ((const EnumLabel *) b)->order;

	return x < y ? -1 : x > y ? 1 : 0;
}

static void
write_enum_labels(JsonWriter *w, Oid typid)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(typid));
	EnumLabel  *labels = palloc(sizeof(EnumLabel) * Max(list->n_members, 1));

	for (int i = 0; i < list->n_members; i++)
	{
		Form_pg_enum en = (Form_pg_enum) GETSTRUCT(&list->members[i]->tuple);

		labels[i].order = en->enumsortorder;
		labels[i].label = pstrdup(NameStr(en->enumlabel));
	}
	qsort(labels, list->n_members, sizeof(EnumLabel), cmp_enum_label);
	jw_key(w, "labels");
	jw_array_start(w);
	for (int i = 0; i < list->n_members; i++)
		jw_string(w, labels[i].label);
	jw_array_end(w);
	ReleaseSysCacheList(list);
}

static void
write_composite_attributes(JsonWriter *w, Oid relid)
{
	int			natts = 0;
	HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	if (HeapTupleIsValid(reltup))
	{
		natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
		ReleaseSysCache(reltup);
	}
	jw_key(w, "attributes");
	jw_array_start(w);
	for (int i = 1; i <= natts; i++)
	{
		HeapTuple	tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tup))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (!att->attisdropped)
		{
			jw_object_start(w);
			jw_kv_string(w, "name", NameStr(att->attname));
			jw_kv_string(w, "type", format_type_extended(att->atttypid, att->atttypmod,
														 FORMAT_TYPE_TYPEMOD_GIVEN));
			jw_kv_string(w, "collation",
						 collation_if_not_default(att->attcollation, att->atttypid));
			write_comment(w, relid, RelationRelationId, i);
			jw_object_end(w);
		}
		ReleaseSysCache(tup);
	}
	jw_array_end(w);
}

static bool
image_type(JsonWriter *w, Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	bool		isnull;
	Datum		d;
	bool		ok = true;

	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	switch (typ->typtype)
	{
		case TYPTYPE_ENUM:
			jw_kv_string(w, "kind", "enum");
			write_enum_labels(w, typid);
			break;
		case TYPTYPE_COMPOSITE:
			jw_kv_string(w, "kind", "composite type");
			write_composite_attributes(w, typ->typrelid);
			break;
		case TYPTYPE_DOMAIN:
			jw_kv_string(w, "kind", "domain");
			jw_kv_string(w, "type", format_type_extended(typ->typbasetype, typ->typtypmod,
														 FORMAT_TYPE_TYPEMOD_GIVEN));
			jw_kv_string(w, "collation",
						 collation_if_not_default(typ->typcollation, typ->typbasetype));
			jw_kv_bool(w, "not_null", typ->typnotnull);
			d = SysCacheGetAttr(TYPEOID, tup, Anum_pg_type_typdefaultbin, &isnull);
			jw_kv_string(w, "default", isnull ? NULL : expr_text(d, InvalidOid));
			break;
		default:
			ok = false;
			break;
	}
	if (ok)
	{
		jw_kv_string(w, "schema", get_namespace_name(typ->typnamespace));
		jw_kv_string(w, "name", NameStr(typ->typname));
		write_owner(w, typ->typowner);
		d = SysCacheGetAttr(TYPEOID, tup, Anum_pg_type_typacl, &isnull);
		write_acl(w, "acl", d, isnull);
		write_comment(w, typid, TypeRelationId, 0);
	}
	ReleaseSysCache(tup);
	return ok;
}

/* ------------------------------------------------------------------------
 * Schemas, extensions
 * ------------------------------------------------------------------------
 */
static bool
image_schema(JsonWriter *w, Oid nspid)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspid));
	Form_pg_namespace nsp;
	bool		isnull;
	Datum		d;

	if (!HeapTupleIsValid(tup))
		return false;
	nsp = (Form_pg_namespace) GETSTRUCT(tup);
	jw_kv_string(w, "kind", "schema");
	jw_kv_string(w, "name", NameStr(nsp->nspname));
	write_owner(w, nsp->nspowner);
	d = SysCacheGetAttr(NAMESPACEOID, tup, Anum_pg_namespace_nspacl, &isnull);
	write_acl(w, "acl", d, isnull);
	write_comment(w, nspid, NamespaceRelationId, 0);
	ReleaseSysCache(tup);
	return true;
}

static bool
image_extension(JsonWriter *w, Oid extoid)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);
		bool		isnull;
		Datum		v = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		found = true;
		jw_kv_string(w, "kind", "extension");
		jw_kv_string(w, "name", NameStr(ext->extname));
		jw_kv_string(w, "schema", get_namespace_name(ext->extnamespace));
		jw_kv_string(w, "version", isnull ? NULL : TextDatumGetCString(v));
		write_comment(w, extoid, ExtensionRelationId, 0);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* ------------------------------------------------------------------------
 * The image of one object
 * ------------------------------------------------------------------------
 */
Jsonb *
migrate_image_object(const ObjectAddress *addr)
{
	JsonWriter	w;
	bool		ok;
	int			nestlevel = -1;
	Jsonb	   *result;

	if (image_depth == 0)
		nestlevel = migrate_image_enter();

	jw_init(&w);
	jw_object_start(&w);
	switch (addr->classId)
	{
		case RelationRelationId:
			ok = image_relation(&w, addr->objectId, addr->objectSubId);
			break;
		case ConstraintRelationId:
			ok = image_constraint(&w, addr->objectId);
			break;
		case ProcedureRelationId:
			ok = image_routine(&w, addr->objectId);
			break;
		case TriggerRelationId:
			ok = image_trigger(&w, addr->objectId);
			break;
		case TypeRelationId:
			ok = image_type(&w, addr->objectId);
			break;
		case NamespaceRelationId:
			ok = image_schema(&w, addr->objectId);
			break;
		case ExtensionRelationId:
			ok = image_extension(&w, addr->objectId);
			break;
		default:
			ok = false;
			break;
	}
	jw_object_end(&w);
	result = ok ? jw_finish(&w) : NULL;

	if (nestlevel >= 0)
		migrate_image_leave(nestlevel);
	return result;
}

/* ------------------------------------------------------------------------
 * Structure: parents, sub-objects, children
 * ------------------------------------------------------------------------
 */
ObjectAddress
migrate_image_parent(const ObjectAddress *addr)
{
	ObjectAddress parent = InvalidObjectAddress;

	switch (addr->classId)
	{
		case RelationRelationId:
			if (addr->objectSubId > 0)
				ObjectAddressSet(parent, RelationRelationId, addr->objectId);
			else if (get_rel_relkind(addr->objectId) == RELKIND_INDEX ||
					 get_rel_relkind(addr->objectId) == RELKIND_PARTITIONED_INDEX)
			{
				HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(addr->objectId));

				if (HeapTupleIsValid(tup))
				{
					ObjectAddressSet(parent, RelationRelationId,
									 ((Form_pg_index) GETSTRUCT(tup))->indrelid);
					ReleaseSysCache(tup);
				}
			}
			break;
		case ConstraintRelationId:
			{
				HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(addr->objectId));

				if (HeapTupleIsValid(tup))
				{
					Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

					if (OidIsValid(con->contypid))
						ObjectAddressSet(parent, TypeRelationId, con->contypid);
					else
						ObjectAddressSet(parent, RelationRelationId, con->conrelid);
					ReleaseSysCache(tup);
				}
			}
			break;
		case TriggerRelationId:
			{
				HeapTuple	tup = trigger_tuple(addr->objectId);

				if (tup != NULL)
				{
					ObjectAddressSet(parent, RelationRelationId,
									 ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid);
					heap_freetuple(tup);
				}
			}
			break;
		default:
			break;
	}
	return parent;
}

static List *
add_address(List *list, Oid classId, Oid objectId, int32 subId)
{
	ObjectAddress *a = palloc(sizeof(ObjectAddress));

	a->classId = classId;
	a->objectId = objectId;
	a->objectSubId = subId;
	return lappend(list, a);
}

/*
 * The constraints whose key column keycol (conrelid or contypid) is oid,
 * read through the index indexid that starts with that column.
 */
static List *
constraints_of(List *out, AttrNumber keycol, Oid indexid, Oid oid)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, keycol, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(oid));
	scan = systable_beginscan(rel, indexid, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		out = add_address(out, ConstraintRelationId, ((Form_pg_constraint) GETSTRUCT(tup))->oid, 0);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

/* indexes that do not back a constraint */
static List *
relation_indexes(List *out, Oid relid)
{
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Oid			idx = ((Form_pg_index) GETSTRUCT(tup))->indexrelid;

		if (!OidIsValid(get_index_constraint(idx)))
			out = add_address(out, RelationRelationId, idx, 0);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

/* user triggers (internal ones belong to their constraint) */
static List *
relation_triggers(List *out, Oid relid)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_trigger_tgrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, TriggerRelidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_trigger trg = (Form_pg_trigger) GETSTRUCT(tup);

		if (!trg->tgisinternal)
			out = add_address(out, TriggerRelationId, trg->oid, 0);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

List *
migrate_image_subobjects(const ObjectAddress *addr)
{
	List	   *out = NIL;
	char		relkind;

	if (addr->classId == TypeRelationId)
	{
		if (get_typtype(addr->objectId) == TYPTYPE_DOMAIN)
			out = constraints_of(out, Anum_pg_constraint_contypid,
								 ConstraintTypidIndexId, addr->objectId);
		return out;
	}
	if (addr->classId != RelationRelationId || addr->objectSubId != 0)
		return NIL;

	relkind = get_rel_relkind(addr->objectId);
	if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE)
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(addr->objectId));
		int			natts = 0;
		ListCell   *lc;

		if (HeapTupleIsValid(tup))
		{
			natts = ((Form_pg_class) GETSTRUCT(tup))->relnatts;
			ReleaseSysCache(tup);
		}
		for (int i = 1; i <= natts; i++)
		{
			HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(addr->objectId),
											  Int16GetDatum(i));

			if (!HeapTupleIsValid(att))
				continue;
			if (!((Form_pg_attribute) GETSTRUCT(att))->attisdropped)
				out = add_address(out, RelationRelationId, addr->objectId, i);
			ReleaseSysCache(att);
		}
		out = constraints_of(out, Anum_pg_constraint_conrelid,
							 ConstraintRelidTypidNameIndexId, addr->objectId);
		out = relation_indexes(out, addr->objectId);
		out = relation_triggers(out, addr->objectId);
		foreach(lc, getOwnedSequences(addr->objectId))
		{
			Oid			seq = lfirst_oid(lc);
			Oid			tab;
			int32		col;

			if (sequenceIsOwned(seq, DEPENDENCY_AUTO, &tab, &col))
				out = add_address(out, RelationRelationId, seq, 0);
		}
	}
	else if (relkind == RELKIND_VIEW)
		out = relation_triggers(out, addr->objectId);
	else if (relkind == RELKIND_MATVIEW)
		out = relation_indexes(out, addr->objectId);
	return out;
}

List *
migrate_image_children(const ObjectAddress *addr)
{
	List	   *out = NIL;
	ListCell   *lc;
	char		relkind;

	if (addr->classId != RelationRelationId || addr->objectSubId != 0)
		return NIL;
	relkind = get_rel_relkind(addr->objectId);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		return NIL;
	foreach(lc, find_inheritance_children(addr->objectId, NoLock))
		out = add_address(out, RelationRelationId, lfirst_oid(lc), 0);
	return out;
}

/* ------------------------------------------------------------------------
 * Dependencies
 * ------------------------------------------------------------------------
 */
static bool
same_address(const ObjectAddress *a, const ObjectAddress *b)
{
	return a->classId == b->classId && a->objectId == b->objectId &&
		a->objectSubId == b->objectSubId;
}

/*
 * Scan pg_depend on (classid, objid), optionally restricted to one objsubid
 * (subid >= 0), from the depender side (refs = true: what it depends on) or
 * the referenced side (refs = false: what depends on it).
 */
typedef struct DepRow
{
	ObjectAddress other;
	char		deptype;
} DepRow;

static List *
scan_depend(Oid classId, Oid objId, int32 subid, bool refs, List *out)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[3];
	int			nkeys = 2;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&keys[0], refs ? Anum_pg_depend_classid : Anum_pg_depend_refclassid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(classId));
	ScanKeyInit(&keys[1], refs ? Anum_pg_depend_objid : Anum_pg_depend_refobjid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(objId));
	if (subid >= 0)
	{
		ScanKeyInit(&keys[2], refs ? Anum_pg_depend_objsubid : Anum_pg_depend_refobjsubid,
					BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(subid));
		nkeys = 3;
	}
	scan = systable_beginscan(rel, refs ? DependDependerIndexId : DependReferenceIndexId,
							  true, NULL, nkeys, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		DepRow	   *row = palloc(sizeof(DepRow));

		if (refs)
		{
			row->other.classId = dep->refclassid;
			row->other.objectId = dep->refobjid;
			row->other.objectSubId = dep->refobjsubid;
		}
		else
		{
			row->other.classId = dep->classid;
			row->other.objectId = dep->objid;
			row->other.objectSubId = dep->objsubid;
		}
		row->deptype = dep->deptype;
		out = lappend(out, row);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

/* pg_depend rows (depender side) that make up one canonical object */
static List *
object_dependency_rows(const ObjectAddress *addr)
{
	List	   *rows = NIL;

	switch (addr->classId)
	{
		case RelationRelationId:
			if (addr->objectSubId > 0)
			{
				Oid			ad = InvalidOid;
				HeapTuple	att = SearchSysCache2(ATTNUM, ObjectIdGetDatum(addr->objectId),
												  Int16GetDatum(addr->objectSubId));

				/* a column has a pg_attrdef row exactly when atthasdef is set */
				if (HeapTupleIsValid(att))
				{
					if (((Form_pg_attribute) GETSTRUCT(att))->atthasdef)
						ad = GetAttrDefaultOid(addr->objectId, addr->objectSubId);
					ReleaseSysCache(att);
				}
				rows = scan_depend(RelationRelationId, addr->objectId, addr->objectSubId, true, rows);
				if (OidIsValid(ad))
					rows = scan_depend(AttrDefaultRelationId, ad, -1, true, rows);
			}
			else
			{
				char		relkind = get_rel_relkind(addr->objectId);

				if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX)
					rows = scan_depend(RelationRelationId, addr->objectId, -1, true, rows);
				else
					rows = scan_depend(RelationRelationId, addr->objectId, 0, true, rows);
				if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
				{
					Oid			rule = get_rewrite_oid(addr->objectId, ViewSelectRuleName, true);

					if (OidIsValid(rule))
						rows = scan_depend(RewriteRelationId, rule, -1, true, rows);
				}
			}
			break;
		case ConstraintRelationId:
			{
				HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(addr->objectId));

				rows = scan_depend(ConstraintRelationId, addr->objectId, -1, true, rows);
				if (HeapTupleIsValid(tup))
				{
					Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

					if (con->contype != CONSTRAINT_FOREIGN && OidIsValid(con->conindid))
						rows = scan_depend(RelationRelationId, con->conindid, -1, true, rows);
					ReleaseSysCache(tup);
				}
			}
			break;
		case TypeRelationId:
			{
				HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(addr->objectId));

				rows = scan_depend(TypeRelationId, addr->objectId, -1, true, rows);
				if (HeapTupleIsValid(tup))
				{
					Oid			typrelid = ((Form_pg_type) GETSTRUCT(tup))->typrelid;

					if (OidIsValid(typrelid))
						rows = scan_depend(RelationRelationId, typrelid, -1, true, rows);
					ReleaseSysCache(tup);
				}
			}
			break;
		default:
			rows = scan_depend(addr->classId, addr->objectId, -1, true, rows);
			break;
	}
	return rows;
}

List *
migrate_image_dependencies(const ObjectAddress *addr)
{
	List	   *rows = object_dependency_rows(addr);
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, rows)
	{
		DepRow	   *row = lfirst(lc);
		ObjectAddress ref;
		ListCell   *lc2;
		bool		dup = false;

		if (row->deptype == DEPENDENCY_EXTENSION || row->deptype == DEPENDENCY_AUTO_EXTENSION)
			continue;
		if (!migrate_image_canonical(&row->other, &ref))
			continue;
		if (same_address(&ref, addr))
			continue;
		foreach(lc2, out)
		{
			ImageDependency *d = lfirst(lc2);

			if (same_address(&d->ref, &ref))
			{
				dup = true;
				break;
			}
		}
		if (!dup)
		{
			ImageDependency *d = palloc(sizeof(ImageDependency));

			d->ref = ref;
			d->deptype = row->deptype;
			out = lappend(out, d);
		}
	}
	return out;
}

List *
migrate_image_dependents(const ObjectAddress *addr)
{
	List	   *rows = NIL;
	List	   *out = NIL;
	ListCell   *lc;

	switch (addr->classId)
	{
		case RelationRelationId:
			/* dependents of the relation and of any of its columns */
			rows = scan_depend(RelationRelationId, addr->objectId,
							   addr->objectSubId > 0 ? addr->objectSubId : -1, false, rows);
			if (addr->objectSubId == 0)
			{
				Oid			rowtype = get_rel_type_id(addr->objectId);

				if (OidIsValid(rowtype))
					rows = scan_depend(TypeRelationId, rowtype, -1, false, rows);
			}
			break;
		case TypeRelationId:
			{
				Oid			arr = get_array_type(addr->objectId);

				rows = scan_depend(TypeRelationId, addr->objectId, -1, false, rows);
				if (OidIsValid(arr))
					rows = scan_depend(TypeRelationId, arr, -1, false, rows);
			}
			break;
		case NamespaceRelationId:

			/*
			 * everything in a schema depends on it; callers expand schemas
			 * themselves
			 */
			return NIL;
		default:
			rows = scan_depend(addr->classId, addr->objectId, -1, false, rows);
			break;
	}
	foreach(lc, rows)
	{
		DepRow	   *row = lfirst(lc);
		ObjectAddress dep;
		ObjectAddress parent;
		ListCell   *lc2;
		bool		dup = false;

		if (row->deptype != DEPENDENCY_NORMAL)
			continue;
		if (!migrate_image_canonical(&row->other, &dep))
			continue;
		if (same_address(&dep, addr))
			continue;
		parent = migrate_image_parent(&dep);
		if (same_address(&parent, addr))
			continue;
		foreach(lc2, out)
		{
			if (same_address((ObjectAddress *) lfirst(lc2), &dep))
			{
				dup = true;
				break;
			}
		}
		if (!dup)
			out = add_address(out, dep.classId, dep.objectId, dep.objectSubId);
	}
	return out;
}

/* ------------------------------------------------------------------------
 * Every tracked object (baseline)
 * ------------------------------------------------------------------------
 */
static List *
scan_catalog(List *out, Oid catalog, AttrNumber oidatt, AttrNumber nspatt,
			 bool (*keep) (HeapTuple tup), Oid only_nsp)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Oid			oid = DatumGetObjectId(heap_getattr(tup, oidatt, RelationGetDescr(rel), &isnull));
		ObjectAddress addr;
		ObjectAddress canon;

		if (oid < FirstNormalObjectId && !(catalog == NamespaceRelationId && oid == PG_PUBLIC_NAMESPACE))
			continue;
		if (nspatt != InvalidAttrNumber)
		{
			Oid			nsp = DatumGetObjectId(heap_getattr(tup, nspatt, RelationGetDescr(rel), &isnull));

			if (OidIsValid(only_nsp) ? nsp != only_nsp : !migrate_image_tracked_namespace(nsp))
				continue;
		}
		if (keep != NULL && !keep(tup))
			continue;
		ObjectAddressSet(addr, catalog, oid);
		if (!migrate_image_canonical(&addr, &canon))
			continue;
		if (!same_address(&addr, &canon))
			continue;			/* listed through what it belongs to */
		out = add_address(out, canon.classId, canon.objectId, canon.objectSubId);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return out;
}

static bool
keep_relation(HeapTuple tup)
{
	char		relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;

	return relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
		relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW ||
		relkind == RELKIND_SEQUENCE || relkind == RELKIND_FOREIGN_TABLE;
}

static bool
keep_type(HeapTuple tup)
{
	Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);

	if (IsTrueArrayType(typ))
		return false;
	switch (typ->typtype)
	{
		case TYPTYPE_ENUM:
		case TYPTYPE_DOMAIN:
		case TYPTYPE_RANGE:
		case TYPTYPE_BASE:
			return true;
		case TYPTYPE_COMPOSITE:
			return get_rel_relkind(typ->typrelid) == RELKIND_COMPOSITE_TYPE;
		default:
			return false;
	}
}

static List *
scan_objects(Oid only_nsp)
{
	List	   *out = NIL;

	if (!OidIsValid(only_nsp))
	{
		out = scan_catalog(out, NamespaceRelationId, Anum_pg_namespace_oid,
						   InvalidAttrNumber, NULL, InvalidOid);
		out = scan_catalog(out, ExtensionRelationId, Anum_pg_extension_oid,
						   InvalidAttrNumber, NULL, InvalidOid);
	}
	out = scan_catalog(out, TypeRelationId, Anum_pg_type_oid, Anum_pg_type_typnamespace,
					   keep_type, only_nsp);
	out = scan_catalog(out, ProcedureRelationId, Anum_pg_proc_oid, Anum_pg_proc_pronamespace,
					   NULL, only_nsp);
	out = scan_catalog(out, RelationRelationId, Anum_pg_class_oid, Anum_pg_class_relnamespace,
					   keep_relation, only_nsp);
	return out;
}

List *
migrate_image_all_objects(void)
{
	return scan_objects(InvalidOid);
}

List *
migrate_image_schema_objects(Oid nspid)
{
	return scan_objects(nspid);
}
