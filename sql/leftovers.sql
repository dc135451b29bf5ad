-- Leftovers of interrupted index builds in tx mode none: a CREATE INDEX
-- CONCURRENTLY that fails (here on duplicate rows) leaves an invalid index;
-- the rerun drops it (recorded as a step of the resume) and builds it
-- again; what is not provably the statement's own is never dropped; a
-- revert drops the leftovers of the version it undoes.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE TABLE lo (a int, b int, c int, d int, e int);
INSERT INTO lo SELECT 1, 1, 1, 1, 1 FROM generate_series(1, 2);

-- the client's protocol for a statement run at top level
CREATE FUNCTION lo_begin(v text, stmts text[]) RETURNS boolean LANGUAGE sql
	AS $$ SELECT ok FROM migrate.begin_file(v, 'lo', 'h1:' || v, 'x', stmts, NULL, NULL,
		(SELECT coalesce(max(applied), 0) FROM migrate.revisions WHERE version = v), 'public', 'regress') $$;
CREATE FUNCTION lo_failed(v text, stmt text, err text) RETURNS void LANGUAGE sql
	AS $$ SELECT migrate.record_failure(v, 'lo', 'h1:' || v, 1, err, stmt, 1, 'regress') $$;
CREATE VIEW lo_invalid AS
	SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'lo'::regclass AND NOT indisvalid;

-- 1. The statement fails half way: its invalid index is its own leftover.
SELECT lo_begin('1', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY lo_a ON lo (a);']);
SELECT status FROM migrate.apply_statement('1', 0, 'public');
SELECT migrate.expect_toplevel('1', 0, 'public');
SELECT version, step, statement, relid::regclass FROM migrate.attempts;
CREATE UNIQUE INDEX CONCURRENTLY lo_a ON lo (a);
SELECT lo_failed('1', 'CREATE UNIQUE INDEX CONCURRENTLY lo_a ON lo (a);', 'duplicate');
SELECT * FROM lo_invalid;
SELECT version, step, index_name, action, message, detail, hint, drop_statement FROM migrate.leftovers();
-- Only a leftover the list says to drop may be announced.
SELECT migrate.expect_cleanup('1', 0, 'lo'::regclass);
-- The rerun: the data fixed, the leftover dropped, the statement again.
DELETE FROM lo WHERE ctid = (SELECT max(ctid) FROM lo);
SELECT lo_begin('1', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY lo_a ON lo (a);']);
SELECT migrate.expect_cleanup('1', 0, index_oid) FROM migrate.leftovers('1') \gexec
SELECT * FROM lo_invalid;
SELECT kind, version, step, statement FROM migrate.units WHERE kind = 'migration' ORDER BY id;
SELECT u.step, t.event, t.kind, t.identity FROM migrate.touches t JOIN migrate.units u ON u.id = t.unit
WHERE u.version = '1';
SELECT applied, total FROM migrate.revisions WHERE version = '1';
SELECT status FROM migrate.apply_statement('1', 0, 'public');
SELECT migrate.expect_toplevel('1', 0, 'public');
CREATE UNIQUE INDEX CONCURRENTLY lo_a ON lo (a);
SELECT migrate.finish_toplevel('1', 0, 1000);
SELECT version, state, applied, total, error FROM migrate_status();
SELECT indisvalid FROM pg_index WHERE indexrelid = 'lo_a'::regclass;
SELECT count(*) AS attempts FROM migrate.attempts;
INSERT INTO lo SELECT 2, 1, 1, 1, 1;

-- 2. A valid index of that name is never dropped: the same statement is
-- refused with a clear message; an edited statement is not in its way.
SELECT lo_begin('2', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY lo_b ON lo (b);']);
SELECT migrate.expect_toplevel('2', 0, 'public');
CREATE UNIQUE INDEX CONCURRENTLY lo_b ON lo (b);
SELECT lo_failed('2', 'CREATE UNIQUE INDEX CONCURRENTLY lo_b ON lo (b);', 'duplicate');
DROP INDEX lo_b;
CREATE INDEX lo_b ON lo (b);
SELECT step, index_name, action, message, detail, hint FROM migrate.leftovers('2');
SELECT lo_begin('2', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY lo_b2 ON lo (b);']);
SELECT count(*) AS in_the_way FROM migrate.leftovers('2');
-- The revert of version 2 has nothing to drop (the valid index is not its own).
SELECT kind, statement FROM migrate_down() WHERE kind <> 'plan';
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indexrelid = 'lo_b'::regclass;
DROP INDEX lo_b;

-- 3. An invalid index of that name that existed before the statement ran
-- is refused, with the command that drops it.
CREATE UNIQUE INDEX CONCURRENTLY lo_c ON lo (c);
SELECT lo_begin('3', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY lo_c ON lo (c);']);
SELECT migrate.expect_toplevel('3', 0, 'public');
CREATE UNIQUE INDEX CONCURRENTLY lo_c ON lo (c);
SELECT lo_failed('3', 'CREATE UNIQUE INDEX CONCURRENTLY lo_c ON lo (c);', 'exists');
SELECT step, index_name, action, message, detail, hint FROM migrate.leftovers('3');
SELECT migrate.expect_cleanup('3', 0, 'lo_c'::regclass);
-- The revert leaves it in place too, and says so.
SELECT kind, statement FROM migrate_down() WHERE kind <> 'plan';
SELECT * FROM lo_invalid;
DROP INDEX lo_c;

-- 4. An index the history recorded before the statement ran (here renamed
-- into the statement's name afterwards) is refused.
CREATE UNIQUE INDEX CONCURRENTLY lo_old ON lo (d);
COMMENT ON INDEX lo_old IS 'recorded as drift';
SELECT lo_begin('4', ARRAY['CREATE INDEX CONCURRENTLY lo_d ON lo (nope);']);
SELECT migrate.expect_toplevel('4', 0, 'public');
CREATE INDEX CONCURRENTLY lo_d ON lo (nope);
SELECT lo_failed('4', 'CREATE INDEX CONCURRENTLY lo_d ON lo (nope);', 'no column');
ALTER INDEX lo_old RENAME TO lo_d;
SELECT step, index_name, action, message, detail FROM migrate.leftovers('4');
SELECT kind, statement FROM migrate_down() WHERE kind <> 'plan';
DROP INDEX lo_d;

-- 5. Without a name: the invalid index of the same shape the statement
-- created is its own; one made before the statement ran is left alone.
CREATE UNIQUE INDEX CONCURRENTLY lo_e_before ON lo (e) INCLUDE (a);
SELECT lo_begin('5', ARRAY['CREATE UNIQUE INDEX CONCURRENTLY ON lo USING btree ((e)) INCLUDE (a);']);
SELECT migrate.expect_toplevel('5', 0, 'public');
CREATE UNIQUE INDEX CONCURRENTLY ON lo USING btree ((e)) INCLUDE (a);
SELECT lo_failed('5', 'CREATE UNIQUE INDEX CONCURRENTLY ON lo USING btree ((e)) INCLUDE (a);', 'duplicate');
CREATE UNIQUE INDEX CONCURRENTLY lo_e_other ON lo (e, b);
SELECT * FROM lo_invalid ORDER BY 1;
SELECT step, index_name, action, message FROM migrate.leftovers('5') ORDER BY index_name;
-- The revert drops the statement's own leftover, and only that one.
SELECT kind, statement FROM migrate_down() WHERE kind <> 'plan';
SELECT * FROM lo_invalid ORDER BY 1;
SELECT count(*) AS attempts FROM migrate.attempts;
DROP INDEX lo_e_before, lo_e_other;

-- 6. REINDEX CONCURRENTLY that fails while it builds the copy leaves
-- <name>_ccnew behind, which is its own.
CREATE FUNCTION lo_boom(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF current_setting('lo.boom', true) = 'on' THEN
		RAISE EXCEPTION 'boom';
	END IF;
	RETURN $1;
END $$;
CREATE INDEX lo_f ON lo (lo_boom(a));
SELECT lo_begin('6', ARRAY['REINDEX INDEX CONCURRENTLY lo_f;']);
SELECT migrate.expect_toplevel('6', 0, 'public');
SET lo.boom = on;
REINDEX INDEX CONCURRENTLY lo_f;
RESET lo.boom;
SELECT lo_failed('6', 'REINDEX INDEX CONCURRENTLY lo_f;', 'boom');
SELECT * FROM lo_invalid;
SELECT step, index_name, action, message FROM migrate.leftovers('6');
SELECT migrate.expect_cleanup('6', 0, index_oid) FROM migrate.leftovers('6') \gexec
SELECT * FROM lo_invalid;
SELECT kind, version, step, statement FROM migrate.units
WHERE kind = 'migration' AND version = '6' ORDER BY id;
SELECT migrate.expect_toplevel('6', 0, 'public');
REINDEX INDEX CONCURRENTLY lo_f;
SELECT migrate.finish_toplevel('6', 0, 1000);
SELECT version, state, applied, total FROM migrate_status() WHERE version = '6';
SELECT count(*) AS attempts FROM migrate.attempts;

DROP TABLE lo CASCADE;
DROP FUNCTION lo_boom(int), lo_begin(text, text[]), lo_failed(text, text, text);
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
