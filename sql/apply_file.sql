-- Applying files in tx modes file and all: one unit per file, the error of a
-- failed file recorded, reruns, checks, and the refusals.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;

-- A helper that applies a file the way the client does in mode file.
CREATE FUNCTION apply(v text, stmts text[], checks text[] DEFAULT NULL, start int DEFAULT 0,
		hash text DEFAULT 'h1:test', down text[] DEFAULT NULL)
	RETURNS TABLE (ok boolean, applied int, total int, failed_index int, error text,
		error_stmt text, sqlstate text, hint text, failed_check int)
	LANGUAGE sql AS $$
	SELECT ok, applied, total, failed_index, error, error_stmt, sqlstate, hint, failed_check
	FROM migrate.apply_file(v, 'file ' || v, hash, array_to_string(stmts, E'\n'), stmts, checks,
		down, start, 'file', 'public', 'regress')
$$;

SELECT * FROM apply('1', ARRAY['CREATE TABLE users (id int PRIMARY KEY, account_name text);',
	'CREATE INDEX users_account_name ON users (account_name);']);
SELECT version, description, type, state, applied, total, error FROM migrate_status();
SELECT version, content, statements, checks, down FROM migrate.files;
SELECT kind, version, step FROM migrate.units ORDER BY id;
SELECT stmt, command, kind, identity FROM migrate.touches
WHERE unit = (SELECT unit FROM migrate.revisions WHERE version = '1') ORDER BY seq;

-- A failing statement rolls the whole file back and is recorded.
SELECT * FROM apply('2', ARRAY['CREATE TABLE accounts (id int PRIMARY KEY);',
	'ALTER TABLE users ADD COLUMN account_id int REFERENCES accounts (idx);']);
SELECT to_regclass('accounts') IS NULL AS accounts_rolled_back;
SELECT version, state, applied, total, error, error_stmt FROM migrate_status() WHERE version = '2';
SELECT count(*) AS units_of_failed_file FROM migrate.units WHERE version = '2';

-- Fixed, it runs again from the start and the error is cleared.
SELECT * FROM apply('2', ARRAY['CREATE TABLE accounts (id int PRIMARY KEY);',
	'ALTER TABLE users ADD COLUMN account_id int REFERENCES accounts (id);']);
SELECT version, state, applied, total, error, error_stmt FROM migrate_status() WHERE version = '2';

-- Refusals: a version already applied, a wrong start, a bad mode.
SELECT * FROM apply('2', ARRAY['SELECT 1;']);
SELECT * FROM apply('3', ARRAY['SELECT 1;'], start => 1);
SELECT * FROM migrate.apply_file('3', 'x', 'h1:x', 'x', ARRAY['SELECT 1;'], NULL, NULL, 0, 'none', 'public', 'regress');
SELECT * FROM migrate.apply_file('3', 'x', 'h1:x', 'x', ARRAY['SELECT 1;'], NULL, NULL, 0, 'all', 'public', 'regress');
SELECT * FROM migrate.apply_file('', 'x', 'h1:x', 'x', ARRAY['SELECT 1;'], NULL, NULL, 0, 'file', 'public', 'regress');
SELECT * FROM migrate.apply_file('3', 'x', 'h1:x', 'x', ARRAY['SELECT 1;', NULL], NULL, NULL, 0, 'file', 'public', 'regress');

-- Statements that cannot run in a transaction, transaction control, COPY
-- from the client: clear errors with a hint.
SELECT ok, error, sqlstate, hint FROM apply('3', ARRAY['CREATE INDEX CONCURRENTLY users_c ON users (id);']);
SELECT ok, error, sqlstate, hint FROM apply('3', ARRAY['BEGIN;', 'CREATE TABLE t3 (id int);', 'COMMIT;']);
SELECT ok, error, sqlstate, hint FROM apply('3', ARRAY['COPY users FROM STDIN;']);
SELECT ok, error, error_stmt FROM apply('3', ARRAY['CREATE TABLE t3 (id int', 'SELECT 1;']);

-- txtar checks run first; each must return true.
SELECT ok, failed_index, failed_check, error, error_stmt, sqlstate FROM apply('3', ARRAY['CREATE TABLE t3 (id int);'],
	checks => ARRAY['SELECT true', 'SELECT NOT EXISTS (SELECT FROM users)', 'SELECT count(*) = 1 FROM users']);
SELECT ok, error, error_stmt FROM apply('3', ARRAY['CREATE TABLE t3 (id int);'], checks => ARRAY['SELECT 1']);
SELECT ok, error, error_stmt FROM apply('3', ARRAY['CREATE TABLE t3 (id int);'], checks => ARRAY['SELECT 1/0 = 1']);
SELECT ok, error, error_stmt FROM apply('3', ARRAY['CREATE TABLE t3 (id int);'], checks => ARRAY['DELETE FROM users RETURNING true']);
SELECT to_regclass('t3') IS NULL AS t3_not_created;
SELECT * FROM apply('3', ARRAY['CREATE TABLE t3 (id int);'],
	checks => ARRAY['SELECT NOT EXISTS (SELECT FROM users)'], down => ARRAY['DROP TABLE t3;']);
SELECT checks, down FROM migrate.files WHERE version = '3';

-- The runner's search_path applies to its statements; SET inside a file lasts
-- for the file.
CREATE SCHEMA app;
SELECT ok, error FROM migrate.apply_file('4', 'app', 'h1:x', 'x',
	ARRAY['CREATE TABLE in_app (id int);', 'SET search_path = public;', 'CREATE TABLE in_public (id int);'],
	NULL, NULL, 0, 'file', 'app', 'regress');
SELECT to_regclass('app.in_app') IS NOT NULL AS in_app, to_regclass('public.in_public') IS NOT NULL AS in_public;
SHOW search_path;

-- Mode all: the client wraps the files in one transaction; after a failure
-- it rolls back and records the error.
BEGIN;
SELECT ok FROM migrate.apply_file('5', 'five', 'h1:5', 'x', ARRAY['CREATE TABLE t5 (id int);'],
	NULL, NULL, 0, 'all', 'public', 'regress');
SELECT ok, error FROM migrate.apply_file('6', 'six', 'h1:6', 'x', ARRAY['CREATE TABLE t5 (id int);'],
	NULL, NULL, 0, 'all', 'public', 'regress');
ROLLBACK;
SELECT migrate.record_failure('6', 'six', 'h1:6', 1, 'relation "t5" already exists',
	'CREATE TABLE t5 (id int);', 1000, 'regress');
SELECT version, type, state, applied, total, error, error_stmt FROM migrate_status() WHERE version >= '5';
SELECT to_regclass('t5') IS NULL AS t5_rolled_back;

-- DDL undone by an exception block inside a migration leaves no touch.
SELECT ok FROM migrate.apply_file('7', 'blocks', 'h1:7', 'x',
	ARRAY[$$DO $d$ BEGIN CREATE TABLE kept (id int); BEGIN CREATE TABLE gone (id int); RAISE EXCEPTION 'undo'; EXCEPTION WHEN OTHERS THEN NULL; END; END $d$;$$],
	NULL, NULL, 0, 'file', 'public', 'regress');
SELECT kind, identity FROM migrate.touches WHERE unit = (SELECT unit FROM migrate.revisions WHERE version = '7');
SELECT count(*) AS gone_recorded FROM migrate.objects WHERE identity LIKE 'public.gone%';

-- Versions sort naturally.
SELECT v FROM unnest(ARRAY['10', '9', '1.10', '1.9', '1.9a', '1-9', '20260101120000', 'v2', '01', '1', '.5']) v
ORDER BY migrate.version_key(v), v;

DROP FUNCTION apply(text, text[], text[], int, text, text[]);
DROP SCHEMA app CASCADE;
DROP TABLE users, accounts, t3, in_public, kept;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
