-- DDL run outside any migration is drift: a unit of its own with who, when
-- (not shown: it varies), which application and the statement, imaged at once.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE TABLE drift_t (id serial PRIMARY KEY, name text);
SELECT unit, role_name = current_user AS by_me, session_role = session_user AS session_me,
	application_name, statement, command, event, kind, identity
FROM migrate.drift ORDER BY unit, identity;
SELECT migrate_object_state('table', 'public.drift_t') ->> 'columns' AS columns_now;

-- Renames keep the object's identity in the registry current.
ALTER TABLE drift_t RENAME COLUMN name TO title;
SELECT o.kind, o.identity FROM migrate.objects o
WHERE o.identity LIKE 'public.drift_t%' AND o.dropped_unit IS NULL ORDER BY 1, 2;
SELECT migrate_object_state('table column', 'public.drift_t.title') ->> 'name' AS renamed;

-- A rolled back statement leaves no trace.
BEGIN;
CREATE TABLE drift_rolled_back (id int);
ROLLBACK;
SELECT count(*) AS recorded FROM migrate.drift WHERE identity LIKE '%rolled_back%';

-- A savepoint rolled back, and one released.
BEGIN;
SAVEPOINT a;
CREATE TABLE drift_sp_gone (id int);
ROLLBACK TO SAVEPOINT a;
SAVEPOINT b;
CREATE TABLE drift_sp_kept (id int);
RELEASE SAVEPOINT b;
COMMIT;
SELECT identity FROM migrate.drift WHERE identity LIKE '%drift_sp%';

-- Temporary objects are not recorded.
CREATE TEMP TABLE drift_temp (id int);
DROP TABLE drift_temp;
SELECT count(*) AS recorded FROM migrate.drift WHERE identity LIKE '%drift_temp%';

-- CREATE INDEX CONCURRENTLY runs its end trigger in a transaction of its
-- own, without a snapshot; it is recorded too.
CREATE INDEX CONCURRENTLY drift_t_title ON drift_t (title);
SELECT command, kind, identity FROM migrate.drift WHERE identity = 'public.drift_t_title';
SELECT migrate_object_state('index', 'public.drift_t_title') ->> 'definition' AS definition;
-- DROP INDEX CONCURRENTLY commits between its sql_drop and its
-- ddl_command_end: still one unit, with the tombstone.
DROP INDEX CONCURRENTLY drift_t_title;
SELECT count(DISTINCT unit) AS units, string_agg(command || ' ' || event, ', ') AS touches
FROM migrate.drift WHERE identity = 'public.drift_t_title' AND command = 'DROP INDEX';
SELECT migrate_object_state('index', 'public.drift_t_title') AS dropped;
CREATE INDEX CONCURRENTLY drift_t_title ON drift_t (title);

-- Drops leave tombstones for the object and what belonged to it.
DROP TABLE drift_t;
SELECT o.kind, i.identity, i.hash IS NULL AS tombstone
FROM migrate.images i JOIN migrate.objects o ON o.id = i.object
WHERE i.unit = (SELECT max(unit) FROM migrate.drift) ORDER BY 1, 2;
SELECT migrate_object_state('table', 'public.drift_t') AS now_gone;

-- The triggers fire whatever session_replication_role is.
SET session_replication_role = replica;
CREATE TABLE drift_replica (id int);
RESET session_replication_role;
SELECT identity FROM migrate.drift WHERE identity = 'public.drift_replica';

-- A superuser can switch capture off (e.g. while restoring a dump).
SET migrate.capture = off;
CREATE TABLE drift_uncaptured (id int);
RESET migrate.capture;
SELECT count(*) AS recorded FROM migrate.drift WHERE identity LIKE '%uncaptured%';
CREATE ROLE migrate_regress_plain;
SET ROLE migrate_regress_plain;
SET migrate.capture = off;
RESET ROLE;
DROP ROLE migrate_regress_plain;

-- Recording must never make DDL fail outside a migration: when it breaks,
-- the statement succeeds with a warning.  Inside a migration it fails closed.
CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql
	AS $$ BEGIN RAISE EXCEPTION 'touch refused'; END $$;
CREATE TRIGGER refuse BEFORE INSERT ON migrate.touches FOR EACH ROW EXECUTE FUNCTION public.refuse();
CREATE TABLE drift_despite_error (id int);
SELECT to_regclass('drift_despite_error') IS NOT NULL AS table_exists;
SELECT ok, error, error_stmt FROM migrate.apply_file('1', 'closed', 'h1:x', 'x',
	ARRAY['CREATE TABLE migration_fails_closed (id int);'], NULL, NULL, 0, 'file', 'public', 'test');
SELECT to_regclass('migration_fails_closed') IS NULL AS table_absent;
DROP TRIGGER refuse ON migrate.touches;
DROP FUNCTION public.refuse();

-- A renamed schema changes every identity in it: its contents are re-imaged.
CREATE SCHEMA drift_s;
CREATE TABLE drift_s.t (id int);
CREATE VIEW drift_s.v AS SELECT id FROM drift_s.t;
ALTER SCHEMA drift_s RENAME TO drift_s2;
SELECT kind, identity FROM migrate.objects
WHERE identity LIKE 'drift_s%' AND dropped_unit IS NULL ORDER BY 1, 2;
SELECT migrate_object_state('view', 'drift_s2.v') ->> 'definition' AS view_definition;

DROP SCHEMA drift_s2 CASCADE;
DROP TABLE drift_sp_kept, drift_replica, drift_uncaptured, drift_despite_error;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
