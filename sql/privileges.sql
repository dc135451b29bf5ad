-- Only the owner writes the bookkeeping; PUBLIC can ask for the version and
-- nothing else; runners are named explicitly.
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
CREATE ROLE migrate_regress_runner LOGIN;
CREATE ROLE migrate_regress_nobody LOGIN;
GRANT CREATE ON SCHEMA public TO migrate_regress_runner, migrate_regress_nobody;

-- Every function of the extension pins its search_path; SECURITY DEFINER is
-- used only for the event triggers, and none of them is executable by PUBLIC.
-- migrate_down() and migrate_plan() pin it inside instead (they run a
-- hand-written down section under the caller's path): they are checked by
-- the revert tests.
SELECT p.oid::regprocedure AS function_without_pinned_path
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'migrate'
WHERE NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
AND p.proname NOT IN ('migrate_down', 'migrate_plan');
SELECT p.oid::regprocedure AS security_definer, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'migrate'
WHERE p.prosecdef ORDER BY 1::text;
-- Functions PUBLIC may execute.
SELECT p.oid::regprocedure AS public_function
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'migrate'
WHERE has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY 1::text;
-- Tables PUBLIC may touch in any way.
SELECT c.oid::regclass AS public_table
FROM pg_class c WHERE c.relnamespace = 'migrate'::regnamespace
AND (has_table_privilege('public', c.oid, 'SELECT') OR has_table_privilege('public', c.oid, 'INSERT')
  OR has_table_privilege('public', c.oid, 'UPDATE') OR has_table_privilege('public', c.oid, 'DELETE'));

SET ROLE migrate_regress_nobody;
SELECT migrate.version() IS NOT NULL AS handshake_works;
SELECT * FROM migrate.revisions;
INSERT INTO migrate.units (kind, started_at, role_name, session_role, backend_pid) VALUES ('drift', now(), 'x', 'x', 0);
DELETE FROM migrate.images;
SELECT * FROM migrate_status();
SELECT * FROM migrate.apply_file('1', 'x', 'h1:x', 'x', ARRAY['SELECT 1'], NULL, NULL, 0, 'file', 'public', 'test');
SELECT migrate.lock(0);
SELECT migrate.allow_runner('migrate_regress_nobody');
-- DDL by an unprivileged role is recorded (as drift) through the event
-- triggers, which run as the extension owner.
CREATE TABLE nobody_table (id int);
RESET ROLE;
SELECT CASE WHEN role_name = current_user THEN 'me' ELSE role_name END AS role_name, kind, identity FROM migrate.drift;
DROP TABLE nobody_table;

-- A runner can apply and read status, still not write the tables directly.
SELECT migrate.allow_runner('migrate_regress_runner');
SET ROLE migrate_regress_runner;
SELECT migrate.lock(0);
SELECT ok, applied, error FROM migrate.apply_file('1', 'runner table', 'h1:x', 'CREATE TABLE runner_t (id int);',
	ARRAY['CREATE TABLE runner_t (id int);'], NULL, NULL, 0, 'file', 'public', 'test');
SELECT version, type, state FROM migrate_status();
SELECT migrate.unlock();
UPDATE migrate.revisions SET applied = 0;
RESET ROLE;
SELECT migrate.disallow_runner('migrate_regress_runner');
SET ROLE migrate_regress_runner;
SELECT * FROM migrate_status();
RESET ROLE;

-- A search_path hijack attempt: a role's own "=" operator and functions
-- in a schema first on the path do not change what the bookkeeping does.
CREATE SCHEMA evil;
CREATE TABLE evil.canary (what text);
CREATE FUNCTION evil.texteq_hook(text, text) RETURNS boolean LANGUAGE sql
	AS $$ INSERT INTO evil.canary VALUES ('=' ) RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_hook);
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql
	AS $$ INSERT INTO evil.canary VALUES ('clock_timestamp') RETURNING now() $$;
SET search_path = evil, pg_catalog, public;
-- the hijack works on ordinary queries under this path ...
SELECT 'a'::text = 'a'::text AS hijacked;
SELECT count(*) AS canary_rows FROM evil.canary;
TRUNCATE evil.canary;
-- ... but not on the bookkeeping, the images or the event triggers.
SELECT ok FROM migrate.apply_file('2', 'hijack', 'h1:y', 'CREATE TABLE hijack_t (id int);',
	ARRAY['CREATE TABLE public.hijack_t (id int);'], NULL, NULL, 0, 'file', 'public', 'test');
SELECT version, state FROM migrate_status();
SELECT migrate_object_state('table', 'public.hijack_t', '2') ->> 'name' AS recorded;
CREATE TABLE public.drift_under_evil_path (id int);
SELECT kind, identity FROM migrate.drift WHERE identity LIKE '%evil_path%';
RESET search_path;
SELECT count(*) AS canary_rows FROM evil.canary;

DROP SCHEMA evil CASCADE;
DROP TABLE runner_t, hijack_t, drift_under_evil_path;
REVOKE CREATE ON SCHEMA public FROM migrate_regress_runner, migrate_regress_nobody;
DROP ROLE migrate_regress_runner;
DROP ROLE migrate_regress_nobody;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
