-- Reverting column changes: the scenario of the reference tool's blog post,
-- added and dropped columns with their data checks, renames, types,
-- defaults, NOT NULL, identity, generated columns and collations.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
-- The rows of a revert, without their durations.
CREATE FUNCTION down(steps int DEFAULT 1, dry_run bool DEFAULT false, allow_loss text[] DEFAULT NULL)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_down(steps, dry_run => dry_run, allow_loss => allow_loss)
$$;
CREATE FUNCTION plan(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_plan(steps)
$$;
CREATE FUNCTION columns_of(t regclass) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod)
		|| CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = t AND attnum > 0 AND NOT attisdropped
$$;

-- Version A drops users.account_name and adds users.account_id; version B
-- adds accounts.plan_id.  Reverting both checks account_id and plan_id for
-- data, re-adds account_name, drops the two columns, in one transaction.
SELECT apply('1', 'CREATE TABLE users (id int PRIMARY KEY, account_name text)',
	'CREATE TABLE accounts (id int PRIMARY KEY)');
SELECT apply('2', 'ALTER TABLE users DROP COLUMN account_name', 'ALTER TABLE users ADD COLUMN account_id int');
SELECT apply('3', 'ALTER TABLE accounts ADD COLUMN plan_id int');
INSERT INTO users VALUES (1, 10), (2, NULL);
INSERT INTO accounts VALUES (10, NULL);
SELECT * FROM plan(2);
-- a dry run runs the checks: account_id holds data
SELECT * FROM down(2, dry_run => true);
-- the revert refuses, naming the column, the check and the rows
SELECT * FROM down(2);
-- with the data gone, it runs; the status shows version 1
UPDATE users SET account_id = NULL;
SELECT * FROM down(2);
SELECT version, state FROM migrate_status();
SELECT columns_of('users') AS users, columns_of('accounts') AS accounts;
SELECT count(*) AS rows_kept FROM users;

-- allow_loss names what may go: the column, or its table.
SELECT apply('2', 'ALTER TABLE users ADD COLUMN score int');
UPDATE users SET score = 7;
SELECT * FROM down(allow_loss => ARRAY['public.users.other']);
SELECT * FROM down(allow_loss => ARRAY['public.users.score']);
SELECT apply('2', 'ALTER TABLE users ADD COLUMN score int');
UPDATE users SET score = 7;
SELECT kind, result FROM down(allow_loss => ARRAY['public.users']) WHERE kind = 'check';

-- A column added with a constant default: values equal to the default are
-- not data; other values are.
SELECT apply('2', 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true');
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
UPDATE users SET active = false WHERE id = 1;
SELECT kind, result FROM down(dry_run => true) WHERE kind = 'check';
UPDATE users SET active = true;
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
-- a mutable default gives no such relaxation
SELECT apply('2', 'ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now()');
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
UPDATE users SET seen = NULL;
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Renames are renamed back.
SELECT apply('2', 'ALTER TABLE users RENAME COLUMN id TO user_id', 'ALTER TABLE users RENAME TO people');
SELECT * FROM down();
SELECT columns_of('users') AS users;

-- Types: a change back that would change values is refused; the check casts
-- every value the way the statement will, and back.
SELECT apply('2', 'ALTER TABLE users ADD COLUMN code varchar(4)', 'ALTER TABLE users ADD COLUMN n int');
SELECT apply('3', 'ALTER TABLE users ALTER COLUMN code TYPE varchar(10)', 'ALTER TABLE users ALTER COLUMN n TYPE bigint');
UPDATE users SET code = 'abcdefgh', n = 5000000000 WHERE id = 1;
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
SELECT * FROM down();
UPDATE users SET code = 'abcd', n = 5 WHERE id = 1;
SELECT kind, statement, result FROM down() WHERE kind IN ('check', 'statement');
SELECT columns_of('users') AS users;
-- a widening change back needs no check
SELECT apply('3', 'ALTER TABLE users ALTER COLUMN n TYPE smallint');
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
-- integer to text and back is checked the other way: every text must be a number
SELECT apply('3', 'ALTER TABLE users ALTER COLUMN n TYPE text');
UPDATE users SET n = 'five' WHERE id = 1;
SELECT kind, result FROM down(dry_run => true) WHERE kind = 'check';
UPDATE users SET n = '05' WHERE id = 1;
SELECT kind, result FROM down(dry_run => true) WHERE kind = 'check';
UPDATE users SET n = '5' WHERE id = 1;
SELECT kind, result FROM down() WHERE kind IN ('check', 'verify');

-- Defaults and NOT NULL, in the safe order.
SELECT apply('3', 'ALTER TABLE users ALTER COLUMN code SET DEFAULT ''x''',
	'ALTER TABLE users ALTER COLUMN n TYPE text', 'ALTER TABLE users ALTER COLUMN n SET DEFAULT ''0''');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
-- SET NOT NULL back is checked for NULLs
SELECT apply('3', 'UPDATE users SET code = ''c''', 'ALTER TABLE users ALTER COLUMN code SET NOT NULL');
SELECT apply('4', 'ALTER TABLE users ALTER COLUMN code DROP NOT NULL');
UPDATE users SET code = NULL WHERE id = 1;
SELECT * FROM down();
UPDATE users SET code = 'c';
SELECT kind, statement, result FROM down() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT columns_of('users') AS users;

-- A column that comes back NOT NULL without a default needs an empty table.
SELECT apply('3', 'ALTER TABLE users ADD COLUMN must int NOT NULL DEFAULT 0', 'ALTER TABLE users ALTER COLUMN must DROP DEFAULT');
SELECT apply('4', 'ALTER TABLE users DROP COLUMN must');
SELECT * FROM down();
DELETE FROM users;
SELECT kind, statement, result FROM down() WHERE kind IN ('check', 'statement', 'note');
SELECT kind, result FROM down(2) WHERE kind = 'verify';
INSERT INTO users (id) VALUES (1);

-- Identity: dropped, added, switched, with its sequence options.
SELECT apply('3', 'CREATE TABLE ids (a int GENERATED ALWAYS AS IDENTITY (START WITH 5), b int NOT NULL)');
SELECT apply('4', 'ALTER TABLE ids ALTER COLUMN a DROP IDENTITY',
	'ALTER TABLE ids ALTER COLUMN b ADD GENERATED BY DEFAULT AS IDENTITY');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT apply('4', 'ALTER TABLE ids ALTER COLUMN a SET GENERATED BY DEFAULT', 'ALTER TABLE ids ALTER COLUMN a SET INCREMENT BY 3');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT attidentity, pg_get_serial_sequence('ids', 'a') FROM pg_attribute WHERE attrelid = 'ids'::regclass AND attname = 'a';

-- Generated columns: a stored expression cannot change in place, and a
-- generated column holds derived data: no check to drop it.
SELECT apply('4', 'ALTER TABLE ids ADD COLUMN twice int GENERATED ALWAYS AS (b * 2) STORED');
INSERT INTO ids (b) VALUES (4);
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
SELECT apply('4', 'ALTER TABLE ids ADD COLUMN twice int GENERATED ALWAYS AS (b * 2) STORED');
SELECT apply('5', 'ALTER TABLE ids DROP COLUMN twice', 'ALTER TABLE ids ADD COLUMN twice int GENERATED ALWAYS AS (b * 3) STORED');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT twice FROM ids;
-- a column that stopped being generated: its values must still be the expression's
SELECT apply('5', 'ALTER TABLE ids ALTER COLUMN twice DROP EXPRESSION');
UPDATE ids SET twice = 9;
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind IN ('check', 'statement');
UPDATE ids SET twice = b * 2;
SELECT kind, result FROM down() WHERE kind IN ('check', 'verify');
SELECT columns_of('ids') AS ids;

-- Collation: changed back with the type.
SELECT apply('5', 'ALTER TABLE ids ADD COLUMN label text COLLATE "C"');
SELECT apply('6', 'ALTER TABLE ids ALTER COLUMN label TYPE text COLLATE "POSIX"');
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
SELECT collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation WHERE attrelid = 'ids'::regclass AND attname = 'label';

-- Everything back to the start: the tables must be empty to go.
SELECT * FROM down((SELECT count(*)::int FROM migrate.revisions));
DELETE FROM ids;
DELETE FROM users;
DELETE FROM accounts;
SELECT kind, statement FROM down((SELECT count(*)::int FROM migrate.revisions)) WHERE kind IN ('check', 'statement');
SELECT count(*) AS revisions FROM migrate.revisions;
SELECT to_regclass('users') IS NULL AND to_regclass('accounts') IS NULL AND to_regclass('ids') IS NULL AS all_gone;
-- nothing left to revert: no rows
SELECT * FROM down();

DROP FUNCTION apply(text, text[]);
DROP FUNCTION down(int, bool, text[]);
DROP FUNCTION plan(int);
DROP FUNCTION columns_of(regclass);
