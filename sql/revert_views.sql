-- Reverting views, materialized views, functions, procedures and
-- triggers; what a column type change cannot survive is rebuilt around it.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION down(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_down(steps)
$$;
CREATE FUNCTION plan(steps int DEFAULT 1)
	RETURNS TABLE (version text, kind text, statement text, result text) LANGUAGE sql AS $$
	SELECT version, kind, statement, result FROM migrate_plan(steps)
$$;

SELECT apply('1', 'CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2), status text)',
	'CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100',
	'CREATE FUNCTION order_total() RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT sum(amount) FROM orders $$',
	'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.status := coalesce(NEW.status, ''new''); RETURN NEW; END $$',
	'CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch()');
INSERT INTO orders VALUES (1, 150, NULL), (2, 20, 'paid');

-- Views: replaced in place when the old columns stay, else dropped and
-- made again; a view on a view follows.
SELECT apply('2', 'CREATE OR REPLACE VIEW big_orders AS SELECT id, amount, status FROM orders WHERE amount > 100',
	'CREATE VIEW big_paid AS SELECT id FROM big_orders WHERE status = ''paid''');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT apply('2', 'DROP VIEW big_orders', 'CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 500',
	'COMMENT ON VIEW big_orders IS ''large''', 'CREATE MATERIALIZED VIEW order_stats AS SELECT count(*) AS n FROM orders',
	'CREATE UNIQUE INDEX order_stats_n ON order_stats (n)');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT pg_get_viewdef('big_orders'::regclass) AS big_orders;

-- A column whose type changes back: the views using it are dropped before
-- and made again after, in dependency order.
SELECT apply('2', 'CREATE VIEW order_amounts AS SELECT id, amount FROM orders',
	'CREATE VIEW order_amounts_big AS SELECT id FROM order_amounts WHERE amount > 10',
	'CREATE MATERIALIZED VIEW amount_summary AS SELECT max(amount) AS top FROM orders');
SELECT apply('3', 'DROP VIEW order_amounts_big', 'DROP VIEW order_amounts', 'DROP VIEW big_orders',
	'DROP MATERIALIZED VIEW amount_summary',
	'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2)',
	'CREATE VIEW order_amounts AS SELECT id, amount FROM orders',
	'CREATE VIEW order_amounts_big AS SELECT id FROM order_amounts WHERE amount > 10',
	'CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100',
	'CREATE MATERIALIZED VIEW amount_summary AS SELECT max(amount) AS top FROM orders');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement', 'note');
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'amount';
SELECT * FROM amount_summary;
-- the migration changed the column only: the views (made by version 2) are
-- rebuilt around the type change
SELECT apply('3', 'ALTER TABLE orders ALTER COLUMN status TYPE varchar(20)');
SELECT kind, statement FROM plan() WHERE kind IN ('check', 'statement');
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT kind, result FROM down() WHERE kind = 'verify';

-- Functions and procedures: replaced, restored after a signature change,
-- dropped; bodies are not validated when made again.
SELECT apply('2', 'CREATE OR REPLACE FUNCTION order_total() RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM orders $$',
	'CREATE PROCEDURE archive(before int) LANGUAGE sql AS $$ DELETE FROM orders WHERE id < before $$',
	'COMMENT ON FUNCTION order_total() IS ''all orders''');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT prosrc FROM pg_proc WHERE proname = 'order_total';
SELECT apply('2', 'DROP FUNCTION order_total()', 'CREATE FUNCTION order_total() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders $$');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down() WHERE kind = 'verify';
-- a routine with a SQL-standard body depends on the columns it reads
SELECT apply('2', 'CREATE FUNCTION paid_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM orders WHERE status = ''paid''; END');
SELECT apply('3', 'ALTER TABLE orders RENAME COLUMN status TO state');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down(2) WHERE kind = 'verify';
SELECT to_regproc('paid_count') IS NULL AS gone_with_its_version;

-- Triggers: dropped, disabled, rebuilt with another definition.
SELECT apply('2', 'ALTER TABLE orders DISABLE TRIGGER orders_touch',
	'CREATE TRIGGER orders_touch_update BEFORE UPDATE OF status ON orders FOR EACH ROW EXECUTE FUNCTION touch()');
SELECT * FROM plan();
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT apply('2', 'DROP TRIGGER orders_touch ON orders',
	'CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch()');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal;
-- a function dropped with its trigger, and both back
SELECT apply('2', 'DROP FUNCTION touch() CASCADE');
SELECT kind, statement FROM plan() WHERE kind = 'statement';
SELECT kind, result FROM down() WHERE kind = 'verify';
INSERT INTO orders (id, amount) VALUES (3, 1);
SELECT status FROM orders WHERE id = 3;

DELETE FROM orders;
SELECT kind, result FROM down() WHERE kind = 'verify';
SELECT count(*) AS revisions FROM migrate.revisions;
DROP FUNCTION apply(text, text[]);
DROP FUNCTION down(int);
DROP FUNCTION plan(int);
