/*-------------------------------------------------------------------------
 *
 * revert.h
 *	  The revert: migrate_down() and migrate_plan() (revert.c), the planner
 *	  of one segment (plan.c), the SQL text of its steps (plan_ddl.c),
 *	  reading and comparing images (plan_image.c), the data checks
 *	  (check.c), and executing and verifying (exec.c).
 *
 * Vocabulary (docs/revert.md has the user's view, docs/internals.md the
 * design):
 *
 *	- A *segment* reverts one or more consecutive versions at once: every
 *	  computed version of a call goes into one merged segment, except that
 *	  a version with a hand-written down section is a segment of its own.
 *	  Segments run newest first, each planned from the state the previous
 *	  one left.
 *	- The *boundary* of a segment is the last unit of history before the
 *	  first unit of its oldest version; the *target* of an object is its
 *	  image at the boundary (NULL: it did not exist then).
 *	- The *revert set* of a segment is every object imaged or touched by a
 *	  migration or revert unit after the boundary, plus the dependents the
 *	  plan has to rebuild.
 *
 * A segment runs in four phases, each rendered from the live catalog as it
 * is when the phase starts: (1) drops of objects that did not exist at the
 * boundary (and of what depends on them), (2) renames back to the target
 * names, (3) creates, alters and rebuilds, (4) drops of types, routines,
 * sequences and schemas that did not exist at the boundary.  Phases 1 and
 * 2 are executed while planning (inside a subtransaction that is rolled
 * back for migrate_plan and dry runs), because phase 3 compares images
 * whose text embeds the names phase 2 restores.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/revert.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_REVERT_H
#define MIGRATE_REVERT_H

#include "catalog/objectaddress.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"

/* What a call does. */
typedef enum RevertMode
{
	REVERT_PLAN,				/* compute the plan; run no check; roll back */
	REVERT_DRY_RUN,				/* plan and run the checks; roll back */
	REVERT_EXECUTE				/* plan, check, execute, verify, record */
} RevertMode;

/* Kinds of output rows (the "kind" column). */
typedef enum RowKind
{
	ROW_DRIFT,
	ROW_CHECK,
	ROW_NOTE,
	ROW_STATEMENT,
	ROW_VERIFY,
	ROW_PLAN
} RowKind;

/* One output row of migrate_down() / migrate_plan(). */
typedef struct RevertRow
{
	RowKind		kind;
	char	   *version;
	char	   *statement;
	char	   *result;
	char	   *detail;			/* for messages: what a drift row is about */
	int64		duration_us;	/* -1: none */
	int			segment;		/* index of the segment, for ordering */
	int			seq;			/* order of creation */
} RevertRow;

/* A data check guarding a step (check.c). */
typedef enum CheckKind
{
	CHECK_TABLE_EMPTY,			/* drop table */
	CHECK_COLUMN_EMPTY,			/* drop column */
	CHECK_LOSSLESS,				/* narrowing a column type */
	CHECK_NO_NULLS,				/* SET NOT NULL */
	CHECK_EMPTY_FOR_NOT_NULL,	/* a NOT NULL column without default comes
								 * back */
	CHECK_UNIQUE,				/* PK, UNIQUE, unique index */
	CHECK_CONDITION,			/* CHECK constraint */
	CHECK_FOREIGN_KEY,			/* foreign key */
	CHECK_LABEL_UNUSED			/* enum labels that go away */
} CheckKind;

typedef struct Check
{
	CheckKind	kind;
	bool		destructive;	/* a failure can be allowed with allow_loss */
	char	   *object;			/* identity the check is about (allow_loss) */
	char	   *container;		/* identity of its table, or NULL */
	char	   *sql;			/* SELECT NOT EXISTS (...) AS ... */
	char	   *count_sql;		/* SELECT count(*) ... of what blocks */
	char	   *what;			/* "table public.logs is not empty" */
	const char *unit_word;		/* "row", "group of duplicate rows": singular */
	char	   *version;
	/* outcome */
	bool		ran;
	bool		passed;
	bool		allowed;
	int64		count;			/* -1 unknown */
	char	   *error;			/* the check itself failed (cast error, ...) */
	int64		duration_us;
} Check;

/* An object of a segment's revert set (plan.c). */
typedef struct RObj
{
	int64		id;				/* migrate.objects.id */
	char	   *kind;			/* registry kind */
	char	   *identity;		/* registry identity (its latest name) */
	int64		parent;			/* registry parent, 0 for none */
	Jsonb	   *target;			/* image at the boundary, NULL: absent */
	int64		target_unit;	/* unit of that image */
	int64		created_unit;	/* unit that registered it (0: unknown) */
	Jsonb	   *latest;			/* latest recorded image, NULL: none/tombstone */
	List	   *target_deps;	/* int64 ids the target depends on (boxed) */
	ObjectAddress live;			/* live address (classId invalid: absent) */
	Jsonb	   *live_img;		/* live image, refreshed per phase */
	char	   *version;		/* reverted version that last touched it */
	bool		planned;		/* touched by the segment: the plan may change
								 * it */
	bool		auxiliary;		/* loaded only as the parent of another object */
	bool		rebuilt;		/* dropped and created again by the plan */
	bool		dropping;		/* dropped by the plan */
	bool		implied;		/* goes away with what it belongs to */
	bool		created;		/* created by phase 3 */
	bool		parked;			/* renamed out of the way, dropped in phase 4 */
	ObjectAddress start;		/* live address when the segment started */
	struct Step *first;			/* its first step of the current phase */
	struct Step *ready;			/* the step after which dependents may follow */
	struct Step *last;			/* its last step */
	struct Step *create_first;	/* its first step that is not a drop */
	struct Step *attach;		/* its ATTACH PARTITION step */
	List	   *wait_for;		/* Step * its re-creation must follow */
} RObj;

/* One step of a plan (plan.c orders them, exec.c runs them). */
typedef struct Step
{
	int			prio;			/* ordering class, lower first */
	char	   *key;			/* tie-break */
	int			seq;			/* creation order, last tie-break */
	char	   *sql;			/* statement; NULL for a note-only step */
	RObj	   *obj;			/* what it is about, or NULL */
	Check	   *check;			/* guard, or NULL */
	char	   *note;			/* note shown with it, or NULL */
	List	   *after;			/* Step * that must run first */
	bool		function_body;	/* creates a routine */
	bool		decoration;		/* comment, owner, ...: dependents need not
								 * wait */
	bool		is_drop;		/* removes its object */
	struct RevertRow *row;		/* its output row */
	/* toposort state */
	int			npred;
	List	   *succ;
	bool		done;
} Step;

/* A segment of the revert. */
typedef struct Segment
{
	int			index;
	List	   *versions;		/* char *, newest first */
	char	   *target_version; /* the version reverted to, NULL: none left */
	int64		boundary;		/* last unit before the segment (0: none) */
	bool		has_units;		/* some version changed the schema */
	bool		handwritten;
	List	   *down;			/* hand-written statements */
	List	   *unused_down;	/* versions whose down section is not used
								 * (partial) */
	HTAB	   *objs;			/* int64 id -> RObjEntry */
	List	   *order;			/* RObj *, by id */
	int64		unit;			/* revert unit (execute mode), 0 none */
	List	   *created_temp;	/* temporary names given in this segment */
} Segment;

/* Planning state of one phase of a segment (plan.c, plan_diff.c). */
typedef struct Planner
{
	struct Revert *rv;
	Segment    *seg;
	List	   *steps;			/* Step * */
	int			seq;
	int			phase;
	bool		split_fkeys;	/* phase 1: foreign keys between dropped
								 * tables dropped on their own (breaks cycles) */
	HTAB	   *byaddr;			/* live address -> RObj */
	char	   *current_user;
	int64		refreshed_at;	/* rv->executed when live images were read */
	int			refreshed_objects;	/* objects there were then */
} Planner;

/* The whole call. */
typedef struct Revert
{
	RevertMode	mode;
	List	   *allow_loss;		/* char * identities */
	bool		accept_drift;
	char	   *plan_hash;		/* the caller's, or NULL */
	List	   *rows;			/* RevertRow * */
	int			nrows;
	int			segment;		/* the segment being planned */
	int			tempno;			/* counter for temporary names */
	bool		stopped;		/* dry run: a check failed, the rest is not
								 * run */
	int			failed_checks;	/* dry run: checks that would block */
	int64		executed;		/* statements run so far */
	int			nsegments;
	List	   *reverted;		/* char * versions, newest first */
	char	   *from_version;
	char	   *to_version;
} Revert;

/* ---- lock.c ---- */
extern void migrate_lock_for_transaction(void);

/* ---- revert.c ---- */
extern RevertRow *revert_add_row(Revert *rv, RowKind kind, const char *version,
								 const char *statement, const char *result,
								 int64 duration_us);
extern char *revert_temp_name(Revert *rv, const char *name);
extern bool revert_str_member(List *strings, const char *s);

/* ---- plan.c ---- */
extern void plan_load_segment(Revert *rv, Segment *seg);
extern RObj *plan_object(Segment *seg, int64 id);
extern RObj *plan_add_object(Segment *seg, int64 id, bool children);
extern void plan_run_segment(Revert *rv, Segment *seg, bool execute);
extern List *plan_toposort(List *steps);
extern List *plan_toposort_try(List *steps, bool *cycle);
extern bool plan_is_managed(int64 id);
extern char *plan_segment_label(Segment *seg);
extern Step *plan_step(Planner *p, int prio, RObj *o, char *sql);
extern void plan_after(Step *s, Step *pred);
extern void plan_rebuild(Planner *p, RObj *o);
extern void plan_rebuild_dependents(Planner *p, RObj *o, Step *before, Step *after);
extern RObj *plan_object_at(Planner *p, const ObjectAddress *addr);
extern RObj *plan_parent(Planner *p, RObj *o);
extern List *plan_children(Planner *p, RObj *o, const char *kind);
extern void plan_note(Planner *p, RObj *o, const char *fmt,...) pg_attribute_printf(3, 4);
extern void plan_refuse(RObj *o, const char *why, const char *hint) pg_attribute_noreturn();
extern Oid	plan_type_oid(const char *type);
extern bool plan_expr_volatile(const char *expr, bool mutable_too);

/* ---- plan_diff.c ---- */
extern void diff_object(Planner *p, RObj *o);
extern void diff_create(Planner *p, RObj *o);
extern void diff_derived_column_created(Planner *p, RObj *o);
extern Step *diff_drop(Planner *p, RObj *o, int prio, bool with_check);
extern bool diff_is_derived(RObj *o, Jsonb *img);
extern bool diff_needs_park(RObj *o);
extern int	diff_drop_priority(RObj *o);

/* ---- plan_ddl.c ---- */
extern const char *ddl_keyword(const char *kind);
extern char *ddl_object_name(RObj *o, Jsonb *img);
extern char *ddl_drop(RObj *o, Jsonb *img);
extern char *ddl_rename(RObj *o, Jsonb *img, const char *newname);
extern char *ddl_set_schema(RObj *o, Jsonb *img, const char *schema);
extern char *ddl_comment(RObj *o, Jsonb *img, const char *comment);
extern char *ddl_owner(RObj *o, Jsonb *img, const char *owner);
extern char *ddl_column_definition(Jsonb *col, bool with_not_null);
extern char *ddl_quote_literal(const char *s);
extern char *ddl_identity_set_options(Jsonb *ident);
extern char *ddl_identity_clause(Jsonb *ident);
extern char *ddl_create_table(Jsonb *table, List *columns);
extern char *ddl_create_sequence(Jsonb *seq);
extern char *ddl_alter_sequence(Jsonb *seq);
extern char *ddl_create_view(Jsonb *view, bool replace);
extern char *ddl_create_matview(Jsonb *view);
extern char *ddl_definition(Jsonb *img);
extern char *ddl_create_enum(Jsonb *img);
extern char *ddl_create_composite(Jsonb *img);
extern char *ddl_create_domain(Jsonb *img);
extern char *ddl_create_extension(Jsonb *img);

/* ---- plan_image.c ---- */
extern char *img_text(Jsonb *j, const char *key);
extern bool img_bool(Jsonb *j, const char *key);
extern int64 img_int(Jsonb *j, const char *key, int64 dflt);
extern bool img_is_null(Jsonb *j, const char *key);
extern Jsonb *img_sub(Jsonb *j, const char *key);
extern List *img_strings(Jsonb *j, const char *key);
extern List *img_elements(Jsonb *j, const char *key);
extern bool img_same(Jsonb *a, Jsonb *b, const char *key);
extern bool img_equal(Jsonb *a, Jsonb *b);
extern Jsonb *img_normalize(Jsonb *img);
extern List *img_acl_items(Jsonb *img);
extern Jsonb *img_without_acl(Jsonb *img);
extern Jsonb *img_without(Jsonb *img, const char *const *keys, int nkeys);
extern Oid	relation_by_name(const char *qualified);
extern char *img_differences(Jsonb *expected, Jsonb *found);
extern char *img_qualified(Jsonb *j);
extern bool img_resolve(const char *kind, Jsonb *img, ObjectAddress *out);
extern bool img_object_exists(const ObjectAddress *addr);

/* ---- check.c ---- */
extern Check *check_new(CheckKind kind, const char *version, const char *object,
						const char *container);
extern void check_run(Revert *rv, Check *c);
extern char *check_result_text(Check *c);
extern bool check_blocks(Revert *rv, Check *c);
extern void check_raise(Revert *rv, Check *c);

/* ---- exec.c ---- */
extern void exec_statement(Revert *rv, Segment *seg, const char *version, const char *sql,
						   bool function_body);
extern void exec_steps(Revert *rv, Segment *seg, List *steps, bool execute);
extern int	exec_verify(Revert *rv, Segment *seg);
extern void exec_push_context(ErrorContextCallback *cb, const char *version, const char *sql);
extern int	exec_enter_settings(void);
extern void exec_leave_settings(int nestlevel);

#endif							/* MIGRATE_REVERT_H */
