-- Reverting enum, domain and composite types.  An enum cannot lose a label
-- in place: it is made again and its columns converted, once no row uses
-- the labels that go.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION down(steps int DEFAULT 1, dry_run bool DEFAULT false)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_down(steps, dry_run => dry_run)
$$;
CREATE FUNCTION plan(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_plan(steps)
$$;

SELECT apply('1', 'CREATE TYPE mood AS ENUM (''sad'', ''ok'', ''happy'')',
	'CREATE TABLE people (id int PRIMARY KEY, mood mood DEFAULT ''ok'', moods mood[])',
	'CREATE VIEW moody AS SELECT id, mood FROM people WHERE mood <> ''ok''',
	'CREATE DOMAIN posint AS integer CHECK (VALUE > 0)',
	'CREATE TYPE pair AS (a int, b text)');
INSERT INTO people VALUES (1, 'sad', '{sad,happy}');

-- Labels added: the enum is rebuilt, its columns (and the view on one of
-- them) follow; rows must not use the labels that go.
SELECT apply('2', 'ALTER TYPE mood ADD VALUE ''angry''', 'ALTER TYPE mood ADD VALUE ''calm'' BEFORE ''ok''');
SELECT * FROM plan();
INSERT INTO people VALUES (2, 'angry', NULL), (3, 'ok', '{calm}');
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
SELECT * FROM down();
DELETE FROM people WHERE id IN (2, 3);
SELECT kind, result FROM down() WHERE kind IN ('check', 'verify');
SELECT enum_range(NULL::mood), (SELECT mood FROM people WHERE id = 1), pg_get_viewdef('moody'::regclass) IS NOT NULL AS view_back;

-- A label renamed is renamed back; a label removed (by a rebuild in the
-- migration) is added back.
SELECT apply('2', 'ALTER TYPE mood RENAME VALUE ''happy'' TO ''glad''');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Domains: default, NOT NULL, constraints; a domain of a version goes.
SELECT apply('2', 'ALTER DOMAIN posint SET DEFAULT 1', 'ALTER DOMAIN posint SET NOT NULL',
	'ALTER DOMAIN posint ADD CONSTRAINT small CHECK (VALUE < 1000)', 'ALTER DOMAIN posint RENAME CONSTRAINT posint_check TO positive',
	'CREATE DOMAIN code AS text COLLATE "C" CHECK (length(VALUE) = 3)');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT pg_get_constraintdef(oid), conname FROM pg_constraint WHERE contypid = 'posint'::regtype;
SELECT apply('2', 'ALTER DOMAIN posint DROP CONSTRAINT posint_check');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Composite types: attributes added, dropped, changed, renamed type.
SELECT apply('2', 'ALTER TYPE pair ADD ATTRIBUTE c date', 'ALTER TYPE pair DROP ATTRIBUTE b',
	'ALTER TYPE pair ALTER ATTRIBUTE a TYPE bigint', 'ALTER TYPE pair RENAME TO duo');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT format_type('pair'::regtype, NULL), (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'pair'::regclass AND NOT attisdropped) AS attributes;

-- A type in use that a version made: dropped after what uses it.
SELECT apply('2', 'CREATE TYPE level AS ENUM (''low'', ''high'')', 'ALTER TABLE people ADD COLUMN level level',
	'CREATE FUNCTION is_high(l level) RETURNS boolean LANGUAGE sql AS $$ SELECT l = ''high'' $$');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
-- an enum a version dropped and made again under the same name
SELECT apply('2', 'DROP VIEW moody', 'ALTER TABLE people DROP COLUMN mood', 'ALTER TABLE people DROP COLUMN moods',
	'DROP TYPE mood', 'CREATE TYPE mood AS ENUM (''up'', ''down'')', 'ALTER TABLE people ADD COLUMN mood mood');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
UPDATE people SET mood = NULL;
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT enum_range(NULL::mood);

DELETE FROM people;
SELECT kind, statement FROM down() WHERE kind = 'statement';
DROP FUNCTION apply(text, text[]);
DROP FUNCTION down(int, bool);
DROP FUNCTION plan(int);
