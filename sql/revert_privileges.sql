-- Owners and privileges of the objects a version changed come back.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE ROLE migrate_regress_reader;
CREATE ROLE migrate_regress_owner;

SELECT apply('1', 'CREATE SCHEMA shop', 'CREATE TABLE shop.items (id int, price int)',
	'CREATE FUNCTION shop.cheap() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
	'GRANT USAGE ON SCHEMA shop TO migrate_regress_reader',
	'GRANT SELECT ON shop.items TO migrate_regress_reader');
SELECT apply('2', 'REVOKE SELECT ON shop.items FROM migrate_regress_reader',
	'GRANT INSERT, UPDATE ON shop.items TO migrate_regress_reader WITH GRANT OPTION',
	'GRANT SELECT (price) ON shop.items TO PUBLIC',
	'REVOKE EXECUTE ON FUNCTION shop.cheap() FROM PUBLIC',
	'ALTER TABLE shop.items OWNER TO migrate_regress_owner',
	'ALTER SCHEMA shop OWNER TO migrate_regress_owner');
SELECT kind, replace(statement, current_user, '(me)') AS statement FROM migrate_plan() WHERE kind = 'statement';
SELECT kind, result FROM migrate_down() WHERE kind = 'verify';
SELECT replace(relowner::regrole::text, current_user, '(me)') AS owner, replace(relacl::text, current_user, '(me)') AS acl FROM pg_class WHERE oid = 'shop.items'::regclass;
SELECT attacl FROM pg_attribute WHERE attrelid = 'shop.items'::regclass AND attname = 'price';
SELECT replace(proacl::text, current_user, '(me)') AS acl FROM pg_proc WHERE proname = 'cheap';
SELECT replace(nspowner::regrole::text, current_user, '(me)') AS owner FROM pg_namespace WHERE nspname = 'shop';

-- an object that comes back gets its owner and privileges back
SELECT apply('2', 'DROP TABLE shop.items');
SELECT kind, replace(statement, current_user, '(me)') AS statement FROM migrate_plan() WHERE kind = 'statement';
SELECT kind, result FROM migrate_down() WHERE kind = 'verify';
SELECT replace(relacl::text, current_user, '(me)') AS acl FROM pg_class WHERE oid = 'shop.items'::regclass;

SELECT kind, result FROM migrate_down() WHERE kind = 'verify';
DROP ROLE migrate_regress_reader;
DROP ROLE migrate_regress_owner;
DROP FUNCTION apply(text, text[]);
