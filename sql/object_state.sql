-- migrate_object_state(kind, identity, version): the recorded image of an
-- object at a version, found by the name it had then or its latest name.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, stmts text[]) RETURNS boolean LANGUAGE sql AS $$
	SELECT ok FROM migrate.apply_file(v, 'v' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
SELECT apply('1', ARRAY['CREATE TABLE a (id int);', 'CREATE TYPE color AS ENUM (''red'');']);
SELECT apply('2', ARRAY['ALTER TABLE a RENAME TO b;', 'ALTER TABLE b ADD COLUMN note text;']);
SELECT apply('3', ARRAY['DROP TABLE b;', 'CREATE TABLE a (id bigint);']);

-- "public.a" at version 1 is the first table; at version 3 the second one.
SELECT migrate_object_state('table', 'public.a', '1') -> 'columns' AS first_a,
	migrate_object_state('table column', 'public.a.id', '1') ->> 'type' AS first_type,
	migrate_object_state('table column', 'public.a.id', '3') ->> 'type' AS second_type;
-- The renamed table, by its name at version 2, and by its later name at version 1.
SELECT migrate_object_state('table', 'public.b', '2') -> 'columns' AS at_2,
	migrate_object_state('table', 'public.b', '1') ->> 'name' AS b_at_1;
-- Dropped at version 3: NULL then; not yet created: NULL.
SELECT migrate_object_state('table', 'public.b', '3') IS NULL AS gone_at_3,
	migrate_object_state('table column', 'public.b.note', '1') IS NULL AS not_yet;
-- No version: the latest recorded state.
SELECT migrate_object_state('table column', 'public.a.id') ->> 'type' AS latest;
-- "type" matches any type kind.
SELECT migrate_object_state('type', 'public.color', '1') ->> 'kind' AS kind;
-- Unknown objects and versions are errors, not NULL.
SELECT migrate_object_state('table', 'public.nope', '1');
SELECT migrate_object_state('table', 'public.a', '42');
SELECT migrate_object_state('index', 'public.a', '1');
SELECT migrate_object_state(NULL, 'public.a', '1') IS NULL AS null_kind;

DROP TABLE a;
DROP TYPE color;
DROP FUNCTION apply(text, text[]);
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
