-- Images of schemas, types (enum, domain, composite), views, materialized
-- views, routines and triggers, with comments and privileges; kinds that are
-- not imaged are still recorded as touched, with their kind.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE ROLE migrate_regress_reader;

CREATE FUNCTION apply(v text, stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error || ' in: ' || error_stmt END
	FROM migrate.apply_file(v, 'v' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION state(kind text, identity text, v text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
	SELECT regexp_replace((migrate_object_state(kind, identity, v) - 'owner')::text,
		current_user, 'OWNER', 'g')::jsonb
$$;
CREATE FUNCTION show(kind text, identity text, v text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
	SELECT jsonb_pretty(state(kind, identity, v))
$$;

SELECT apply('1', ARRAY[
	$$CREATE SCHEMA shop;$$,
	$$COMMENT ON SCHEMA shop IS 'the shop';$$,
	$$GRANT USAGE ON SCHEMA shop TO migrate_regress_reader;$$,
	$$CREATE TYPE shop.mood AS ENUM ('sad', 'ok');$$,
	$$CREATE DOMAIN shop.qty AS integer DEFAULT 1 NOT NULL CONSTRAINT qty_positive CHECK (VALUE > 0);$$,
	$$CREATE TYPE shop.pair AS (a integer, b text COLLATE "C");$$,
	$$CREATE TABLE shop.items (id int PRIMARY KEY, name text, qty shop.qty, mood shop.mood);$$,
	$$CREATE VIEW shop.happy AS SELECT id, name FROM shop.items WHERE mood = 'ok' WITH LOCAL CHECK OPTION;$$,
	$$CREATE MATERIALIZED VIEW shop.totals AS SELECT mood, sum(qty) AS total FROM shop.items GROUP BY mood WITH NO DATA;$$,
	$$CREATE UNIQUE INDEX totals_mood ON shop.totals (mood);$$,
	$$CREATE FUNCTION shop.double(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x * 2;$$,
	$$CREATE FUNCTION shop.stamp() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $f$;$$,
	$$CREATE PROCEDURE shop.restock(n integer) LANGUAGE sql BEGIN ATOMIC UPDATE shop.items SET qty = qty + n; END;$$,
	$$CREATE TRIGGER items_stamp BEFORE INSERT OR UPDATE OF name ON shop.items FOR EACH ROW EXECUTE FUNCTION shop.stamp();$$,
	$$COMMENT ON FUNCTION shop.double(integer) IS 'twice';$$,
	$$REVOKE EXECUTE ON FUNCTION shop.double(integer) FROM PUBLIC;$$,
	$$GRANT SELECT ON shop.happy TO migrate_regress_reader;$$
]);
SELECT show('schema', 'shop', '1');
SELECT show('enum', 'shop.mood', '1');
SELECT show('domain', 'shop.qty', '1');
SELECT show('domain constraint', 'qty_positive on shop.qty', '1');
SELECT show('composite type', 'shop.pair', '1');
SELECT show('view', 'shop.happy', '1');
SELECT show('materialized view', 'shop.totals', '1');
SELECT state('index', 'shop.totals_mood', '1') ->> 'definition' AS matview_index;
SELECT show('function', 'shop.double(integer)', '1');
SELECT show('procedure', 'shop.restock(integer)', '1');
SELECT show('trigger', 'items_stamp on shop.items', '1');
-- "type" finds every kind of type.
SELECT state('type', 'shop.mood', '1') ->> 'kind' AS enum_kind, state('type', 'shop.qty', '1') ->> 'kind' AS domain_kind;

SELECT apply('2', ARRAY[
	$$ALTER TYPE shop.mood ADD VALUE 'happy' BEFORE 'ok';$$,
	$$ALTER TYPE shop.mood RENAME VALUE 'sad' TO 'blue';$$,
	$$ALTER DOMAIN shop.qty DROP DEFAULT;$$,
	$$ALTER DOMAIN shop.qty ADD CONSTRAINT qty_small CHECK (VALUE < 1000) NOT VALID;$$,
	$$ALTER TYPE shop.pair ADD ATTRIBUTE c date;$$,
	$$CREATE OR REPLACE FUNCTION shop.double(x integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN x + x;$$,
	$$ALTER TRIGGER items_stamp ON shop.items RENAME TO items_lower;$$,
	$$ALTER TABLE shop.items DISABLE TRIGGER items_lower;$$,
	$$REFRESH MATERIALIZED VIEW shop.totals;$$,
	$$ALTER VIEW shop.happy RENAME COLUMN name TO label;$$,
	$$ALTER TABLE shop.items RENAME COLUMN name TO title;$$
]);
SELECT state('enum', 'shop.mood', '1') -> 'labels' AS labels_at_1, state('enum', 'shop.mood', '2') -> 'labels' AS labels_at_2;
SELECT state('domain', 'shop.qty', '2') ->> 'default' AS default_at_2,
	state('domain constraint', 'qty_small on shop.qty', '2') ->> 'validated' AS qty_small_validated,
	state('domain constraint', 'qty_small on shop.qty', '1') AS qty_small_at_1;
SELECT state('composite type', 'shop.pair', '2') -> 'attributes' AS attributes_at_2;
SELECT state('function', 'shop.double(integer)', '2') ->> 'definition' AS double_at_2;
SELECT state('trigger', 'items_lower on shop.items', '2') ->> 'enabled' AS enabled,
	state('trigger', 'items_stamp on shop.items', '1') ->> 'name' AS old_name_at_1;
SELECT state('materialized view', 'shop.totals', '1') ->> 'populated' AS populated_at_1,
	state('materialized view', 'shop.totals', '2') ->> 'populated' AS populated_at_2;
-- Renaming a column re-images what depends on it (the view's text, the
-- trigger's column list), though the migration did not touch them directly.
SELECT state('view', 'shop.happy', '2') ->> 'definition' AS view_at_2,
	state('view', 'shop.happy', '2') -> 'columns' -> 1 ->> 'name' AS view_column;
SELECT state('trigger', 'items_lower on shop.items', '2') ->> 'definition' AS trigger_at_2;

-- Dependencies recorded for creates: the view on the table, the trigger on
-- its function, the column on its type.
SELECT o.identity, r.identity AS depends_on, d.deptype
FROM migrate.depends d JOIN migrate.objects o ON o.id = d.object JOIN migrate.objects r ON r.id = d.ref
WHERE d.unit = (SELECT unit FROM migrate.revisions WHERE version = '1')
AND o.kind IN ('view', 'trigger', 'table column', 'materialized view', 'procedure')
ORDER BY 1, 2;

-- Kinds that are not imaged are recorded as touched with their kind, so a
-- revert can refuse them by name.
SELECT apply('3', ARRAY[
	$$CREATE AGGREGATE shop.total(integer) (SFUNC = int4pl, STYPE = integer);$$,
	$$CREATE POLICY items_all ON shop.items USING (true);$$,
	$$CREATE RULE items_log AS ON DELETE TO shop.items DO ALSO NOTIFY items;$$,
	$$CREATE STATISTICS shop.items_stats ON id, qty FROM shop.items;$$,
	$$CREATE TYPE shop.span AS RANGE (subtype = integer);$$,
	$$ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO migrate_regress_reader;$$
]);
SELECT DISTINCT t.kind, t.identity, i.hash IS NOT NULL AS imaged
FROM migrate.touches t LEFT JOIN migrate.images i ON i.object = t.object AND i.unit = t.unit
WHERE t.unit = (SELECT unit FROM migrate.revisions WHERE version = '3')
ORDER BY 1, 2;

DROP SCHEMA shop CASCADE;
DROP FUNCTION apply(text, text[]);
DROP FUNCTION show(text, text, text);
DROP FUNCTION state(text, text, text);
DROP ROLE migrate_regress_reader;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
