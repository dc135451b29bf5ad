-- Reverting tables, schemas, partitions and sequences; unmanaged objects
-- are left alone, and a revert that would have to touch one refuses.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION down(steps int DEFAULT 1, dry_run bool DEFAULT false, allow_loss text[] DEFAULT NULL,
		accept_drift bool DEFAULT false)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result
	FROM migrate_down(steps, dry_run => dry_run, allow_loss => allow_loss, accept_drift => accept_drift)
$$;
CREATE FUNCTION plan(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_plan(steps)
$$;

-- Created before any migration, by hand: never touched by a revert.
CREATE TABLE by_hand (id int PRIMARY KEY, note text);
INSERT INTO by_hand VALUES (1, 'kept');

-- Tables and a schema; a dropped table must be empty.
SELECT apply('1', 'CREATE SCHEMA app', 'CREATE TABLE app.items (id serial PRIMARY KEY, name text NOT NULL)',
	'COMMENT ON TABLE app.items IS ''things''');
SELECT apply('2', 'CREATE TABLE app.logs (at timestamptz, line text)', 'CREATE UNLOGGED TABLE scratch (x int)');
INSERT INTO app.logs VALUES ('2020-01-01', 'hello');
SELECT * FROM plan();
SELECT * FROM down();
SELECT kind, statement, result FROM down(allow_loss => ARRAY['app.logs']) WHERE kind = 'check';
SELECT to_regclass('app.logs') IS NULL AS logs_gone, to_regclass('scratch') IS NULL AS scratch_gone,
	(SELECT count(*) FROM by_hand) AS by_hand_rows;

-- A dropped table comes back empty, with what belonged to it.
INSERT INTO app.items (name) VALUES ('a'), ('b');
SELECT apply('2', 'DROP TABLE app.items');
SELECT * FROM down();
SELECT column_name, column_default FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'items' ORDER BY ordinal_position;
SELECT obj_description('app.items'::regclass, 'pg_class') AS comment, pg_get_serial_sequence('app.items', 'id') AS sequence;
SELECT count(*) AS rows_back FROM app.items;

-- Renames and schema moves, including a swap of two names.
SELECT apply('2', 'CREATE TABLE app.a (x int)', 'CREATE TABLE app.b (y int)');
SELECT apply('3', 'ALTER TABLE app.a RENAME TO tmp', 'ALTER TABLE app.b RENAME TO a', 'ALTER TABLE app.tmp RENAME TO b',
	'ALTER TABLE app.items SET SCHEMA public', 'ALTER SCHEMA app RENAME TO application');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT attrelid::regclass, attname FROM pg_attribute WHERE attrelid IN ('app.a'::regclass, 'app.b'::regclass) AND attnum = 1 ORDER BY 1;
SELECT to_regclass('app.items') IS NOT NULL AS items_back_in_app;

-- A name taken back from a table created in its place.
SELECT apply('3', 'ALTER TABLE app.a RENAME TO a_old', 'CREATE TABLE app.a (z int)');
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
SELECT attname FROM pg_attribute WHERE attrelid = 'app.a'::regclass AND attnum = 1;

-- Persistence.
SELECT apply('3', 'ALTER TABLE app.a SET UNLOGGED');
SELECT kind, statement FROM down() WHERE kind = 'statement';
SELECT relpersistence FROM pg_class WHERE oid = 'app.a'::regclass;

-- Partitions: added, dropped, detached, attached.
SELECT apply('3', 'CREATE TABLE app.events (k int NOT NULL, v text) PARTITION BY RANGE (k)',
	'CREATE TABLE app.events_0 PARTITION OF app.events FOR VALUES FROM (0) TO (100)',
	'CREATE INDEX events_v ON app.events (v)');
INSERT INTO app.events VALUES (1, 'one');
SELECT apply('4', 'CREATE TABLE app.events_100 PARTITION OF app.events FOR VALUES FROM (100) TO (200)',
	'ALTER TABLE app.events DETACH PARTITION app.events_0');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'app.events'::regclass ORDER BY 1;
SELECT count(*) AS rows_of_events FROM app.events;
SELECT apply('4', 'CREATE TABLE app.loose (k int NOT NULL, v text)',
	'ALTER TABLE app.events ATTACH PARTITION app.loose FOR VALUES FROM (500) TO (600)');
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
-- a partitioned table that goes takes its partitions: one check covers them
SELECT * FROM down(dry_run => true);
DELETE FROM app.events;

-- Sequences: options, ownership, and a sequence that goes (its value noted).
SELECT apply('4', 'CREATE SEQUENCE app.counter START WITH 10', 'ALTER SEQUENCE app.counter OWNED BY app.a.x');
SELECT nextval('app.counter');
SELECT apply('5', 'ALTER SEQUENCE app.counter INCREMENT BY 5 MAXVALUE 1000', 'ALTER SEQUENCE app.counter OWNED BY NONE');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT seqincrement, seqmax FROM pg_sequence WHERE seqrelid = 'app.counter'::regclass;
SELECT kind, statement FROM down() WHERE kind IN ('note', 'statement');
SELECT apply('4', 'CREATE SEQUENCE app.counter START WITH 10');
SELECT nextval('app.counter');
SELECT kind, statement FROM down() WHERE kind IN ('note', 'statement');

-- Tables that reference each other go together: the key between them is
-- dropped first, on its own (there is no CASCADE to do it).
SELECT apply('4', 'CREATE TABLE app.parents (id int PRIMARY KEY, favourite int)',
             'CREATE TABLE app.children (id int PRIMARY KEY, parent int REFERENCES app.parents)',
             'ALTER TABLE app.parents ADD FOREIGN KEY (favourite) REFERENCES app.children');
SELECT kind, statement FROM down() WHERE kind IN ('check', 'statement');
SELECT to_regclass('app.parents') IS NULL AND to_regclass('app.children') IS NULL AS both_gone;

-- Unmanaged objects: a view made by hand on a table a revert would drop
-- makes it refuse, naming the view; the view is not touched.
SELECT apply('4', 'CREATE TABLE app.report_source (n int)');
CREATE VIEW app.hand_report AS SELECT n FROM app.report_source;
SELECT * FROM down(accept_drift => true);
SELECT to_regclass('app.hand_report') IS NOT NULL AS view_kept;
DROP VIEW app.hand_report;

-- Drift: a managed table changed outside migrations is reported first and
-- the revert refuses unless the drift is accepted.
ALTER TABLE app.report_source ADD COLUMN by_hand int;
SELECT version, kind, statement, regexp_replace(result, 'by .* at [0-9-]+ [0-9:]+ UTC', 'by (role) at (time)') AS result FROM migrate_plan() WHERE kind = 'drift';
SELECT * FROM down();
SELECT kind, statement FROM down(accept_drift => true) WHERE kind IN ('drift', 'statement');
SELECT to_regclass('app.report_source') IS NULL AS gone;

-- Everything back: the schema goes last, empty.
SELECT kind, statement FROM down((SELECT count(*)::int FROM migrate.revisions)) WHERE kind = 'statement';
SELECT to_regnamespace('app') IS NULL AS schema_gone, (SELECT note FROM by_hand) AS by_hand_untouched;
-- drift before the first version (by_hand) is not the revert's business
SELECT count(*) AS revisions FROM migrate.revisions;

DROP TABLE by_hand;
DROP FUNCTION apply(text, text[]);
DROP FUNCTION down(int, bool, text[], bool);
DROP FUNCTION plan(int);
