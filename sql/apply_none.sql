-- Tx mode none: one statement per call and per transaction, progress and the
-- running hash recorded with each statement, resume after a failure, and
-- statements that must run at top level.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;

-- begin_file records the attempt and runs the checks.
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('1', 'none', 'h1:one', 'x',
	ARRAY['CREATE TABLE n1 (id int);', 'INSERT INTO n1 VALUES (1);', 'CREATE INDEX CONCURRENTLY n1_id ON n1 (id);',
	      'ALTER TABLE n1 ADD COLUMN v text;', 'VACUUM n1;', 'ALTER TABLE n1 ADD COLUMN w int;'],
	ARRAY['SELECT true'], NULL, 0, 'public', 'regress');
SELECT version, state, applied, total FROM migrate_status();

SELECT status, error FROM migrate.apply_statement('1', 0, 'public');
SELECT status, error FROM migrate.apply_statement('1', 1, 'public');
SELECT version, state, applied, total FROM migrate_status();
SELECT array_length(partial_hashes, 1) AS running_hashes FROM migrate.revisions;
SELECT kind, version, step FROM migrate.units WHERE kind = 'migration' ORDER BY id;

-- Out of order calls are refused.
SELECT * FROM migrate.apply_statement('1', 3, 'public');
SELECT * FROM migrate.apply_statement('9', 0, 'public');

-- CREATE INDEX CONCURRENTLY cannot run in a function: the client runs it at
-- top level, announced, and the event trigger records it with the statement.
SELECT status, error, sqlstate FROM migrate.apply_statement('1', 2, 'public');
SELECT applied FROM migrate.revisions;
SELECT migrate.expect_toplevel('1', 2);
CREATE INDEX CONCURRENTLY n1_id ON n1 (id);
SELECT applied FROM migrate.revisions;
SELECT migrate.finish_toplevel('1', 2, 1000);
SELECT kind, version, step FROM migrate.units WHERE kind = 'migration' ORDER BY id;
SELECT u.step, t.command, t.kind, t.identity FROM migrate.touches t JOIN migrate.units u ON u.id = t.unit
WHERE u.step = 2;

-- A statement that fails is recorded; the applied prefix stays.
ALTER TABLE n1 ADD COLUMN v int;
SELECT status, error FROM migrate.apply_statement('1', 3, 'public');
SELECT version, state, applied, total, error FROM migrate_status();
ALTER TABLE n1 DROP COLUMN v;
SELECT status, error FROM migrate.apply_statement('1', 3, 'public');
SELECT version, state, applied, total, error FROM migrate_status();

-- A statement that fires no event trigger (VACUUM) is recorded by
-- finish_toplevel itself.
SELECT status FROM migrate.apply_statement('1', 4, 'public');
SELECT migrate.expect_toplevel('1', 4);
VACUUM n1;
SELECT migrate.finish_toplevel('1', 4, 1000);

-- The last statement fails; a rerun that edited an applied statement is
-- refused ("history changed"); editing from the failed statement on is fine.
ALTER TABLE n1 ADD COLUMN w int;
SELECT status, error FROM migrate.apply_statement('1', 5, 'public');
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('1', 'none', 'h1:edited', 'x',
	ARRAY['CREATE TABLE n1 (id bigint);', 'INSERT INTO n1 VALUES (1);', 'CREATE INDEX CONCURRENTLY n1_id ON n1 (id);',
	      'ALTER TABLE n1 ADD COLUMN v text;', 'VACUUM n1;', 'ALTER TABLE n1 ADD COLUMN w int;'],
	NULL, NULL, 5, 'public', 'regress');
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('1', 'none', 'h1:short', 'x',
	ARRAY['CREATE TABLE n1 (id int);', 'INSERT INTO n1 VALUES (1);'],
	NULL, NULL, 2, 'public', 'regress');
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('1', 'none', 'h1:fixed', 'x',
	ARRAY['CREATE TABLE n1 (id int);', 'INSERT INTO n1 VALUES (1);', 'CREATE INDEX CONCURRENTLY n1_id ON n1 (id);',
	      'ALTER TABLE n1 ADD COLUMN v text;', 'VACUUM n1;', 'ALTER TABLE n1 ADD COLUMN w2 int;', 'SELECT 1;'],
	NULL, NULL, 5, 'public', 'regress');
SELECT version, state, applied, total, error FROM migrate_status();
SELECT status, error FROM migrate.apply_statement('1', 5, 'public');
SELECT status, error FROM migrate.apply_statement('1', 6, 'public');
SELECT version, state, applied, total, error FROM migrate_status();
SELECT hash, partial_hashes IS NULL AS running_hashes_cleared FROM migrate.revisions;
SELECT migrate_object_state('table', 'public.n1', '1') ->> 'columns' AS columns_at_1;

-- SET search_path in a none-mode file carries to the next statement through
-- the path the call returns.
CREATE SCHEMA none_s;
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('2', 'paths', 'h1:two', 'x',
	ARRAY['SET search_path = none_s;', 'CREATE TABLE in_none_s (id int);'], NULL, NULL, 0, 'public', 'regress');
SELECT status, search_path_after FROM migrate.apply_statement('2', 0, 'public');
SHOW search_path;
SELECT status, search_path_after FROM migrate.apply_statement('2', 1, 'none_s');
SELECT to_regclass('none_s.in_none_s') IS NOT NULL AS created_in_none_s;

-- A failing top-level statement is recorded after the client rolled back.
SELECT ok, failed_check, error, error_stmt FROM migrate.begin_file('3', 'cic fails', 'h1:three', 'x',
	ARRAY['CREATE INDEX CONCURRENTLY n1_missing ON n1 (missing);'], NULL, NULL, 0, 'public', 'regress');
SELECT status FROM migrate.apply_statement('3', 0, 'public');
SELECT migrate.expect_toplevel('3', 0);
CREATE INDEX CONCURRENTLY n1_missing ON n1 (missing);
SELECT migrate.record_failure('3', 'cic fails', 'h1:three', 1, 'column "missing" does not exist',
	'CREATE INDEX CONCURRENTLY n1_missing ON n1 (missing);', 1000, 'regress');
SELECT version, state, applied, total, error FROM migrate_status() WHERE version = '3';
-- Later DDL is drift again, not a step of version 3.
CREATE TABLE after_toplevel (id int);
SELECT count(*) AS drift_units FROM migrate.drift WHERE identity = 'public.after_toplevel';

DROP TABLE n1, after_toplevel;
DROP SCHEMA none_s CASCADE;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
