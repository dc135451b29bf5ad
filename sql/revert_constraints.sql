-- Reverting constraints and indexes: what a revert adds back is checked
-- first (duplicates, orphans, violating rows), in an order that puts keys
-- before the foreign keys that use them.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION down(steps int DEFAULT 1, dry_run bool DEFAULT false, accept_drift bool DEFAULT false)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_down(steps, dry_run => dry_run, accept_drift => accept_drift)
$$;
CREATE FUNCTION plan(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_plan(steps)
$$;

SELECT apply('1', 'CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE, qty int CHECK (qty >= 0))',
	'CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), note text)',
	'CREATE INDEX child_note ON child (lower(note)) WHERE note IS NOT NULL',
	'CREATE TABLE slots (room int, during int4range, EXCLUDE USING gist (during WITH &&))');
INSERT INTO parent VALUES (1, 'a', 1), (2, 'b', 2);
INSERT INTO child VALUES (10, 1, 'x'), (11, 2, 'y');

-- Dropped constraints and indexes come back, each checked first.
SELECT apply('2', 'ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey', 'ALTER TABLE parent DROP CONSTRAINT parent_code_key',
	'ALTER TABLE parent DROP CONSTRAINT parent_qty_check', 'DROP INDEX child_note',
	'ALTER TABLE slots DROP CONSTRAINT slots_during_excl');
SELECT * FROM plan();
-- rows that the constraints would reject
INSERT INTO parent VALUES (3, 'a', -5);
INSERT INTO child VALUES (12, 99, NULL);
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
SELECT * FROM down();
DELETE FROM child WHERE id = 12;
SELECT * FROM down();
UPDATE parent SET code = 'c' WHERE id = 3;
SELECT * FROM down();
UPDATE parent SET qty = 3 WHERE id = 3;
SELECT kind, result FROM down() WHERE kind IN ('check', 'verify');
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN ('parent'::regclass, 'child'::regclass, 'slots'::regclass) ORDER BY 1;
SELECT indexdef FROM pg_indexes WHERE indexname = 'child_note';

-- A primary key put back: no NULL and no duplicate key.
SELECT apply('2', 'ALTER TABLE child DROP CONSTRAINT child_pkey');
INSERT INTO child VALUES (10, 2, 'dup');
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
DELETE FROM child WHERE note = 'dup';
SELECT kind, result FROM down() WHERE kind IN ('check', 'verify');

-- A foreign key with MATCH FULL: partly-NULL keys are orphans too.
SELECT apply('2', 'CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b))',
	'CREATE TABLE refs (x int, y int, FOREIGN KEY (x, y) REFERENCES pairs (a, b) MATCH FULL)');
SELECT apply('3', 'ALTER TABLE refs DROP CONSTRAINT refs_x_y_fkey');
INSERT INTO refs VALUES (1, NULL);
SELECT kind, statement, result FROM down(dry_run => true) WHERE kind = 'check';
DELETE FROM refs;
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Added constraints and indexes are dropped; dropped with what uses them
-- (foreign keys before the key they reference).
SELECT apply('3', 'ALTER TABLE child ADD COLUMN code text',
	'ALTER TABLE child ADD CONSTRAINT child_code_fkey FOREIGN KEY (code) REFERENCES parent (code)',
	'CREATE UNIQUE INDEX parent_upper_code ON parent (upper(code))',
	'ALTER TABLE parent ADD CONSTRAINT parent_qty_small CHECK (qty < 100) NOT VALID');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';

-- A constraint changed: validated back, or dropped and added back.
SELECT apply('3', 'ALTER TABLE parent DROP CONSTRAINT parent_qty_check',
	'ALTER TABLE parent ADD CONSTRAINT parent_qty_check CHECK (qty >= 0) NOT VALID');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT apply('3', 'ALTER TABLE parent DROP CONSTRAINT parent_qty_check',
	'ALTER TABLE parent ADD CONSTRAINT parent_qty_check CHECK (qty > -10)');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
-- a unique index rebuilt on another expression, its name kept
SELECT apply('3', 'CREATE UNIQUE INDEX parent_code_idx ON parent (code)');
SELECT apply('4', 'DROP INDEX parent_code_idx', 'CREATE INDEX parent_code_idx ON parent (lower(code))');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Renamed constraints and indexes get their names back.
SELECT apply('3', 'ALTER TABLE parent RENAME CONSTRAINT parent_pkey TO parent_key', 'ALTER INDEX child_note RENAME TO child_note_idx');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';

-- A key changed under a foreign key: the foreign key, which a migration
-- manages, goes first and comes back after it.
SELECT apply('3', 'ALTER TABLE parent ADD CONSTRAINT parent_code_id UNIQUE (code, id)',
	'ALTER TABLE child ADD COLUMN code text',
	'ALTER TABLE child ADD CONSTRAINT child_pair FOREIGN KEY (code, parent_id) REFERENCES parent (code, id)');
SELECT apply('4', 'ALTER TABLE parent RENAME CONSTRAINT parent_code_id TO parent_pair');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT apply('4', 'ALTER TABLE child DROP CONSTRAINT child_pair', 'ALTER TABLE parent DROP CONSTRAINT parent_code_id',
	'ALTER TABLE parent ADD CONSTRAINT parent_code_id UNIQUE (code, id) INCLUDE (qty)',
	'ALTER TABLE child ADD CONSTRAINT child_pair FOREIGN KEY (code, parent_id) REFERENCES parent (code, id)');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname IN ('parent_code_id', 'child_pair') ORDER BY 1;
-- the same under a foreign key made by hand: refused, naming it
SELECT apply('4', 'ALTER TABLE child DROP CONSTRAINT child_pair', 'ALTER TABLE parent DROP CONSTRAINT parent_code_id',
	'ALTER TABLE parent ADD CONSTRAINT parent_code_id UNIQUE (code, id) INCLUDE (qty)');
ALTER TABLE child ADD CONSTRAINT hand_pair FOREIGN KEY (code, parent_id) REFERENCES parent (code, id);
SELECT kind, statement FROM migrate_plan() WHERE kind = 'drift';
SELECT * FROM down(accept_drift => true);
ALTER TABLE child DROP CONSTRAINT hand_pair;
SELECT kind, result FROM down(accept_drift => true) WHERE kind = 'verify';

DELETE FROM child;
DELETE FROM parent;
SELECT kind, result FROM down((SELECT count(*)::int FROM migrate.revisions), accept_drift => true) WHERE kind = 'verify';
SELECT count(*) AS revisions FROM migrate.revisions;
DROP FUNCTION apply(text, text[]);
DROP FUNCTION down(int, bool, bool);
DROP FUNCTION plan(int);
