/*-------------------------------------------------------------------------
 *
 * plan_image.c
 *	  Reading, comparing and locating canonical images for the revert.
 *
 * Images (image.h) are jsonb documents; the planner reads their fields
 * with the img_* accessors, compares a live image with its target after
 * normalizing what a revert cannot restore (column order), and finds the
 * live object an image describes by its names (img_resolve), which is how
 * a re-created object is found again for verification and for re-pointing
 * its stable id.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/plan_image.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "image.h"
#include "revert.h"

/* ------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------
 */
static bool
img_get(Jsonb *j, const char *key, JsonbValue *v)
{
	if (j == NULL || !JB_ROOT_IS_OBJECT(j))
		return false;
	return getKeyJsonValueFromContainer(&j->root, key, strlen(key), v) != NULL;
}

/* Text of a string value; other scalars as their JSON text; NULL for null. */
char *
img_text(Jsonb *j, const char *key)
{
	JsonbValue	v;

	if (!img_get(j, key, &v))
		return NULL;
	switch (v.type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v.val.string.val, v.val.string.len);
		case jbvBool:
			return pstrdup(v.val.boolean ? "true" : "false");
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v.val.numeric)));
		default:
			{
				Jsonb	   *sub = JsonbValueToJsonb(&v);

				return JsonbToCString(NULL, &sub->root, VARSIZE(sub));
			}
	}
}

bool
img_bool(Jsonb *j, const char *key)
{
	JsonbValue	v;

	return img_get(j, key, &v) && v.type == jbvBool && v.val.boolean;
}

int64
img_int(Jsonb *j, const char *key, int64 dflt)
{
	JsonbValue	v;

	if (!img_get(j, key, &v) || v.type != jbvNumeric)
		return dflt;
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v.val.numeric)));
}

bool
img_is_null(Jsonb *j, const char *key)
{
	JsonbValue	v;

	return !img_get(j, key, &v) || v.type == jbvNull;
}

/* A nested object or array as a Jsonb of its own, or NULL. */
Jsonb *
img_sub(Jsonb *j, const char *key)
{
	JsonbValue	v;

	if (!img_get(j, key, &v) || v.type != jbvBinary)
		return NULL;
	return JsonbValueToJsonb(&v);
}

/* Elements of an array value, each as a Jsonb (objects) */
List *
img_elements(Jsonb *j, const char *key)
{
	Jsonb	   *arr = img_sub(j, key);
	List	   *out = NIL;
	int			n;

	if (arr == NULL || !JB_ROOT_IS_ARRAY(arr))
		return NIL;
	n = JsonContainerSize(&arr->root);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&arr->root, i);

		out = lappend(out, JsonbValueToJsonb(v));
	}
	return out;
}

/* Strings of an array value (NULL elements kept as NULL). */
List *
img_strings(Jsonb *j, const char *key)
{
	Jsonb	   *arr = img_sub(j, key);
	List	   *out = NIL;
	int			n;

	if (arr == NULL || !JB_ROOT_IS_ARRAY(arr))
		return NIL;
	n = JsonContainerSize(&arr->root);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&arr->root, i);

		if (v->type == jbvString)
			out = lappend(out, pnstrdup(v->val.string.val, v->val.string.len));
		else
			out = lappend(out, NULL);
	}
	return out;
}

/* Do both images have the same value under key (both missing or null: yes)? */
bool
img_same(Jsonb *a, Jsonb *b, const char *key)
{
	JsonbValue	va,
				vb;
	bool		ha = img_get(a, key, &va) && va.type != jbvNull;
	bool		hb = img_get(b, key, &vb) && vb.type != jbvNull;
	Jsonb	   *ja,
			   *jb;

	if (!ha || !hb)
		return ha == hb;
	ja = JsonbValueToJsonb(&va);
	jb = JsonbValueToJsonb(&vb);
	return compareJsonbContainers(&ja->root, &jb->root) == 0;
}

bool
img_equal(Jsonb *a, Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return compareJsonbContainers(&a->root, &b->root) == 0;
}

/* schema-qualified, quoted name of an image that has "schema" and "name" */
char *
img_qualified(Jsonb *j)
{
	char	   *schema = img_text(j, "schema");
	char	   *name = img_text(j, "name");

	if (name == NULL)
		return NULL;
	if (schema == NULL)
		return pstrdup(quote_identifier(name));
	return quote_qualified_identifier(schema, name);
}

/* ------------------------------------------------------------------------
 * Normalizing for comparison
 * ------------------------------------------------------------------------
 */
static int
cmp_str_cells(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}


/* a copy of the top-level object without the given keys */
Jsonb *
img_without(Jsonb *img, const char *const *keys, int nkeys)
{
	JsonbIterator *it = JsonbIteratorInit(&img->root);
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;
	bool		skip = false;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			skip = false;
			for (int i = 0; i < nkeys; i++)
				if (v.val.string.len == strlen(keys[i]) &&
					strncmp(v.val.string.val, keys[i], v.val.string.len) == 0)
					skip = true;
			if (!skip)
				res = pushJsonbValue(&state, tok, &v);
		}
		else if (tok == WJB_VALUE)
		{
			if (!skip)
				res = pushJsonbValue(&state, tok, &v);
			skip = false;
		}
		else
			res = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(res);
}

/*
 * What a revert can restore, for the final comparison: PostgreSQL cannot
 * reorder the columns of a table, so a re-created column comes back last;
 * the column order ("columns" of a table, "position" of a column) is left
 * out.  An inherited column or constraint (of a partition) keeps whether
 * it is also defined locally only as far as ATTACH PARTITION allows, which
 * changes nothing a user can see: "local" is left out for those.
 */
/*
 * The ACL object type of a kind, for its default privileges; -1 when the
 * kind has none.
 */
static int
acl_objtype(const char *kind)
{
	if (strcmp(kind, "table") == 0 || strcmp(kind, "view") == 0 ||
		strcmp(kind, "materialized view") == 0)
		return OBJECT_TABLE;
	if (strcmp(kind, "sequence") == 0)
		return OBJECT_SEQUENCE;
	if (strcmp(kind, "function") == 0 || strcmp(kind, "procedure") == 0)
		return OBJECT_FUNCTION;
	if (strcmp(kind, "schema") == 0)
		return OBJECT_SCHEMA;
	if (strcmp(kind, "enum") == 0 || strcmp(kind, "composite type") == 0 ||
		strcmp(kind, "domain") == 0)
		return OBJECT_TYPE;
	return -1;
}

/*
 * The privileges of an image as a sorted list of aclitem texts: an "acl"
 * of null stands for the default privileges of its owner, which is what
 * GRANT and REVOKE can give back.
 */
List *
img_acl_items(Jsonb *img)
{
	char	   *kind = img_text(img, "kind");
	char	   *owner = img_text(img, "owner");
	List	   *items;
	Acl		   *acl;
	Oid			ownerid;
	int			objtype;

	if (!img_is_null(img, "acl"))
		return img_strings(img, "acl");
	if (kind == NULL || owner == NULL || (objtype = acl_objtype(kind)) < 0)
		return NIL;
	ownerid = get_role_oid(owner, true);
	if (!OidIsValid(ownerid))
		return NIL;
	acl = acldefault((ObjectType) objtype, ownerid);
	items = NIL;
	for (int i = 0; i < ACL_NUM(acl); i++)
		items = lappend(items, DatumGetCString(DirectFunctionCall1(aclitemout,
																   PointerGetDatum(&ACL_DAT(acl)[i]))));
	list_sort(items, cmp_str_cells);
	return items;
}

static Jsonb *img_with_acl_value(Jsonb *img, List *items, bool null);

static Jsonb *
img_with_acl(Jsonb *img, List *items)
{
	return img_with_acl_value(img, items, false);
}

/* the image with "acl": null (the owner's default privileges) */
Jsonb *
img_without_acl(Jsonb *img)
{
	return img_with_acl_value(img, NIL, true);
}

static Jsonb *
img_with_acl_value(Jsonb *img, List *items, bool null)
{
	JsonbIterator *it = JsonbIteratorInit(&img->root);
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;
	bool		replace = false;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			replace = v.val.string.len == 3 && strncmp(v.val.string.val, "acl", 3) == 0;
			res = pushJsonbValue(&state, tok, &v);
		}
		else if (tok == WJB_VALUE && replace && null)
		{
			JsonbValue	n;

			n.type = jbvNull;
			res = pushJsonbValue(&state, WJB_VALUE, &n);
			replace = false;
		}
		else if (tok == WJB_VALUE && replace)
		{
			ListCell   *lc;

			res = pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
			foreach(lc, items)
			{
				JsonbValue	e;

				e.type = jbvString;
				e.val.string.val = lfirst(lc);
				e.val.string.len = strlen(lfirst(lc));
				res = pushJsonbValue(&state, WJB_ELEM, &e);
			}
			res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
			replace = false;
		}
		else
			res = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(res);
}

Jsonb *
img_normalize(Jsonb *img)
{
	char	   *kind;
	static const char *const table_keys[] = {"columns"};
	static const char *const column_keys[] = {"position"};
	static const char *const inherited_column_keys[] = {"position", "local"};
	static const char *const inherited_keys[] = {"local"};

	if (img == NULL)
		return NULL;
	kind = img_text(img, "kind");
	if (kind == NULL)
		return img;
	if (img_is_null(img, "acl") && acl_objtype(kind) >= 0 && !img_is_null(img, "owner"))
		img = img_with_acl(img, img_acl_items(img));
	if (strcmp(kind, "table") == 0)
		return img_without(img, table_keys, 1);
	if (strcmp(kind, "table column") == 0)
	{
		/* no column privileges: never granted, or all revoked */
		if (!img_is_null(img, "acl") && img_strings(img, "acl") == NIL)
			img = img_without_acl(img);
		if (img_int(img, "inherited", 0) > 0)
			return img_without(img, inherited_column_keys, 2);
		return img_without(img, column_keys, 1);
	}
	if (strcmp(kind, "table constraint") == 0 && img_int(img, "inherited", 0) > 0)
		return img_without(img, inherited_keys, 1);
	return img;
}

/* "key: expected X, found Y" for every differing top-level key */
char *
img_differences(Jsonb *expected, Jsonb *found)
{
	StringInfoData buf;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *keys = NIL;
	ListCell   *lc;

	initStringInfo(&buf);
	if (expected == NULL || found == NULL)
		return pstrdup(expected == NULL ? "it should not exist" : "it does not exist");
	for (int pass = 0; pass < 2; pass++)
	{
		it = JsonbIteratorInit(pass == 0 ? &expected->root : &found->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
			{
				char	   *k = pnstrdup(v.val.string.val, v.val.string.len);
				bool		seen = false;

				foreach(lc, keys)
					if (strcmp(lfirst(lc), k) == 0)
					seen = true;
				if (!seen)
					keys = lappend(keys, k);
			}
		}
	}
	foreach(lc, keys)
	{
		char	   *k = lfirst(lc);
		char	   *a,
				   *b;

		if (img_same(expected, found, k))
			continue;
		a = img_text(expected, k);
		b = img_text(found, k);
		if (buf.len > 0)
			appendStringInfoString(&buf, "; ");
		appendStringInfo(&buf, "%s: expected %s, found %s", k,
						 a ? a : "null", b ? b : "null");
	}
	return buf.data;
}

/* ------------------------------------------------------------------------
 * Finding the live object an image describes
 * ------------------------------------------------------------------------
 */
static List *
qualified_name_list(const char *s)
{
#if PG_VERSION_NUM >= 160000
	return stringToQualifiedNameList(s, NULL);
#else
	return stringToQualifiedNameList(s);
#endif
}

/* relation named by a qualified, quoted name; InvalidOid when none */
Oid
relation_by_name(const char *qualified)
{
	List	   *names;

	if (qualified == NULL)
		return InvalidOid;
	names = qualified_name_list(qualified);
	return RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
}

static Oid
type_by_name(const char *qualified)
{
	TypeName   *tn;

	if (qualified == NULL)
		return InvalidOid;
	tn = makeTypeNameFromNameList(qualified_name_list(qualified));
	return LookupTypeNameOid(NULL, tn, true);
}

static Oid
function_by_image(Jsonb *img)
{
	char	   *schema = img_text(img, "schema");
	char	   *name = img_text(img, "name");
	char	   *args = img_text(img, "arguments");
	Oid			nsp = schema ? get_namespace_oid(schema, true) : InvalidOid;
	CatCList   *list;
	Oid			result = InvalidOid;
	int			nest;

	if (!OidIsValid(nsp) || name == NULL)
		return InvalidOid;
	nest = migrate_image_enter();
	list = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
	for (int i = 0; i < list->n_members && !OidIsValid(result); i++)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(&list->members[i]->tuple);
		char	   *have;

		if (proc->pronamespace != nsp)
			continue;
		have = TextDatumGetCString(DirectFunctionCall1(pg_get_function_identity_arguments,
													   ObjectIdGetDatum(proc->oid)));
		if (strcmp(have, args ? args : "") == 0)
			result = proc->oid;
	}
	ReleaseSysCacheList(list);
	migrate_image_leave(nest);
	return result;
}

/*
 * Find the live object that an image of this kind describes, by its names.
 * Returns false when there is none.
 */
bool
img_resolve(const char *kind, Jsonb *img, ObjectAddress *out)
{
	char	   *name = img_text(img, "name");
	char	   *schema = img_text(img, "schema");
	Oid			nsp = InvalidOid;
	Oid			relid;
	Oid			oid = InvalidOid;

	*out = InvalidObjectAddress;
	if (img == NULL || name == NULL)
		return false;
	if (schema != NULL)
	{
		nsp = get_namespace_oid(schema, true);
		if (!OidIsValid(nsp))
			return false;
	}

	if (strcmp(kind, "schema") == 0)
	{
		oid = get_namespace_oid(name, true);
		ObjectAddressSet(*out, NamespaceRelationId, oid);
	}
	else if (strcmp(kind, "table") == 0 || strcmp(kind, "view") == 0 ||
			 strcmp(kind, "materialized view") == 0 || strcmp(kind, "sequence") == 0 ||
			 strcmp(kind, "index") == 0)
	{
		oid = get_relname_relid(name, nsp);
		ObjectAddressSet(*out, RelationRelationId, oid);
	}
	else if (strcmp(kind, "table column") == 0)
	{
		AttrNumber	att;

		relid = relation_by_name(img_text(img, "table"));
		if (!OidIsValid(relid))
			return false;
		att = get_attnum(relid, name);
		if (att == InvalidAttrNumber)
			return false;
		ObjectAddressSubSet(*out, RelationRelationId, relid, att);
		oid = relid;
	}
	else if (strcmp(kind, "table constraint") == 0)
	{
		relid = relation_by_name(img_text(img, "table"));
		if (OidIsValid(relid))
			oid = get_relation_constraint_oid(relid, name, true);
		ObjectAddressSet(*out, ConstraintRelationId, oid);
	}
	else if (strcmp(kind, "domain constraint") == 0)
	{
		Oid			typid = type_by_name(img_text(img, "domain"));

		if (OidIsValid(typid))
			oid = get_domain_constraint_oid(typid, name, true);
		ObjectAddressSet(*out, ConstraintRelationId, oid);
	}
	else if (strcmp(kind, "trigger") == 0)
	{
		relid = relation_by_name(img_text(img, "table"));
		if (OidIsValid(relid))
			oid = get_trigger_oid(relid, name, true);
		ObjectAddressSet(*out, TriggerRelationId, oid);
	}
	else if (strcmp(kind, "function") == 0 || strcmp(kind, "procedure") == 0)
	{
		oid = function_by_image(img);
		ObjectAddressSet(*out, ProcedureRelationId, oid);
	}
	else if (strcmp(kind, "enum") == 0 || strcmp(kind, "domain") == 0 ||
			 strcmp(kind, "composite type") == 0)
	{
		oid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							  CStringGetDatum(name), ObjectIdGetDatum(nsp));
		ObjectAddressSet(*out, TypeRelationId, oid);
	}
	else if (strcmp(kind, "extension") == 0)
	{
		oid = get_extension_oid(name, true);
		ObjectAddressSet(*out, ExtensionRelationId, oid);
	}
	if (!OidIsValid(oid))
	{
		*out = InvalidObjectAddress;
		return false;
	}
	/* the name must belong to an object of the same kind */
	{
		const char *have = migrate_image_kind(out);

		if (have == NULL || strcmp(have, kind) != 0)
		{
			*out = InvalidObjectAddress;
			return false;
		}
	}
	return true;
}

bool
img_object_exists(const ObjectAddress *addr)
{
	if (!OidIsValid(addr->classId))
		return false;
	return migrate_image_kind(addr) != NULL;
}
