-- regress/security/hostile.sql: a schema of trojan operators and functions.
--
-- Schema "evil" (writable by everyone, as an attacker's schema would be)
-- holds look-alikes of the built-in operators and functions that extension
-- code is most likely to use unqualified: =, <>, <, >, ||, ~~ on the common
-- types, and lower, upper, format, quote_ident, length, ... .  Each one does
-- what the built-in does, and first calls evil.spy(), which
--   - advances the sequence evil.canary (not undone by a rollback), and
--   - raises a WARNING "CANARY <what> by <role>".
-- With "evil" ahead of pg_catalog in search_path, any unqualified use of
-- these names resolves to the look-alike.  The suite reads the canary.

CREATE SCHEMA evil;
GRANT USAGE, CREATE ON SCHEMA evil TO PUBLIC;
CREATE SEQUENCE evil.canary;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE evil.canary TO PUBLIC;

CREATE FUNCTION evil.spy(what pg_catalog.text) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM pg_catalog.nextval('evil.canary'::pg_catalog.regclass);
	RAISE WARNING 'CANARY % by %', what, CURRENT_USER;
END
$$;
GRANT EXECUTE ON FUNCTION evil.spy(pg_catalog.text) TO PUBLIC;

-- A row source for pg_temp look-alike tables and views.
CREATE FUNCTION evil.spy_rows(what pg_catalog.text) RETURNS SETOF pg_catalog.text
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM evil.spy(what);
	RETURN;
END
$$;
GRANT EXECUTE ON FUNCTION evil.spy_rows(pg_catalog.text) TO PUBLIC;

DO $gen$
DECLARE
	-- name, argument types, result type
	fns pg_catalog.text[][] := ARRAY[
		['lower', 'text', 'text'], ['upper', 'text', 'text'],
		['format', 'text', 'text'], ['format', 'text,text', 'text'],
		['format', 'text,text,text', 'text'], ['format', 'text,text,text,text', 'text'],
		['quote_ident', 'text', 'text'], ['quote_literal', 'text', 'text'],
		['quote_nullable', 'text', 'text'], ['length', 'text', 'integer'],
		['replace', 'text,text,text', 'text'], ['substr', 'text,integer', 'text'],
		['substr', 'text,integer,integer', 'text'], ['left', 'text,integer', 'text'],
		['right', 'text,integer', 'text'], ['btrim', 'text', 'text'], ['ltrim', 'text', 'text'],
		['rtrim', 'text', 'text'], ['strpos', 'text,text', 'integer'],
		['split_part', 'text,text,integer', 'text'], ['string_to_array', 'text,text', 'text[]'],
		['array_to_string', 'text[],text', 'text'], ['regexp_replace', 'text,text,text', 'text'],
		['md5', 'text', 'text'], ['now', '', 'timestamptz'], ['clock_timestamp', '', 'timestamptz'],
		['current_setting', 'text', 'text'], ['set_config', 'text,text,boolean', 'text'],
		['pg_advisory_lock', 'bigint', 'void'], ['pg_try_advisory_lock', 'bigint', 'boolean'],
		['pg_advisory_unlock', 'bigint', 'boolean'], ['hashtext', 'text', 'integer'],
		['to_jsonb', 'text', 'jsonb'], ['jsonb_typeof', 'jsonb', 'text'],
		['pg_get_viewdef', 'oid', 'text'], ['pg_get_functiondef', 'oid', 'text'],
		['pg_get_indexdef', 'oid', 'text'], ['pg_get_constraintdef', 'oid', 'text'],
		['format_type', 'oid,integer', 'text'], ['pg_backend_pid', '', 'integer'],
		['has_table_privilege', 'text,text', 'boolean'], ['sha256', 'bytea', 'bytea'],
		['encode', 'bytea,text', 'text'], ['convert_to', 'text,name', 'bytea'],
		['array_length', 'text[],integer', 'integer'], ['cardinality', 'text[]', 'integer'],
		['pg_identify_object', 'oid,oid,integer', 'record'],
		['pg_describe_object', 'oid,oid,integer', 'text']];
	-- operator, left type, right type, result type
	ops pg_catalog.text[][] := ARRAY[
		['=', 'text', 'text', 'boolean'], ['<>', 'text', 'text', 'boolean'],
		['<', 'text', 'text', 'boolean'], ['>', 'text', 'text', 'boolean'],
		['||', 'text', 'text', 'text'], ['~~', 'text', 'text', 'boolean'],
		['=', 'name', 'name', 'boolean'], ['=', 'name', 'text', 'boolean'],
		['=', 'integer', 'integer', 'boolean'], ['<>', 'integer', 'integer', 'boolean'],
		['<', 'integer', 'integer', 'boolean'], ['>', 'integer', 'integer', 'boolean'],
		['+', 'integer', 'integer', 'integer'], ['-', 'integer', 'integer', 'integer'],
		['=', 'bigint', 'bigint', 'boolean'], ['<', 'bigint', 'bigint', 'boolean'],
		['+', 'bigint', 'bigint', 'bigint'],
		['=', 'oid', 'oid', 'boolean'], ['<>', 'oid', 'oid', 'boolean'],
		['=', 'boolean', 'boolean', 'boolean'], ['=', '"char"', '"char"', 'boolean'],
		['=', 'jsonb', 'jsonb', 'boolean'], ['->>', 'jsonb', 'text', 'text'],
		['->', 'jsonb', 'text', 'jsonb'], ['@>', 'text[]', 'text[]', 'boolean'],
		['|', 'integer', 'integer', 'integer'], ['&', 'integer', 'integer', 'integer']];
	i integer;
	args pg_catalog.text;
	params pg_catalog.text;
	n integer;
	k integer;
	fname pg_catalog.text;
BEGIN
	FOR i IN 1 .. pg_catalog.array_length(fns, 1) LOOP
		args := fns[i][2];
		n := CASE WHEN args OPERATOR(pg_catalog.=) '' THEN 0
			ELSE pg_catalog.array_length(pg_catalog.string_to_array(args, ','), 1) END;
		params := '';
		FOR k IN 1 .. n LOOP
			params := params OPERATOR(pg_catalog.||) CASE WHEN k OPERATOR(pg_catalog.>) 1 THEN ', ' ELSE '' END
				OPERATOR(pg_catalog.||) '$' OPERATOR(pg_catalog.||) k;
		END LOOP;
		IF fns[i][3] OPERATOR(pg_catalog.=) 'record' THEN
			CONTINUE;	-- look-alikes of record-returning functions need OUT lists; covered by pg_describe_object
		END IF;
		EXECUTE pg_catalog.format(
			'CREATE FUNCTION evil.%I(%s) RETURNS %s LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS %L',
			fns[i][1], args, fns[i][3],
			pg_catalog.format('BEGIN PERFORM evil.spy(%L); %s END',
				fns[i][1] OPERATOR(pg_catalog.||) '(' OPERATOR(pg_catalog.||) args OPERATOR(pg_catalog.||) ')',
				CASE WHEN fns[i][3] OPERATOR(pg_catalog.=) 'void'
					THEN pg_catalog.format('PERFORM pg_catalog.%I(%s); RETURN;', fns[i][1], params)
					ELSE pg_catalog.format('RETURN pg_catalog.%I(%s);', fns[i][1], params) END));
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION evil.%I(%s) TO PUBLIC', fns[i][1], args);
	END LOOP;
	FOR i IN 1 .. pg_catalog.array_length(ops, 1) LOOP
		fname := 'op_' OPERATOR(pg_catalog.||) i;
		EXECUTE pg_catalog.format(
			'CREATE FUNCTION evil.%I(a %s, b %s) RETURNS %s LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS %L',
			fname, ops[i][2], ops[i][3], ops[i][4],
			pg_catalog.format('BEGIN PERFORM evil.spy(%L); RETURN a OPERATOR(pg_catalog.%s) b; END',
				ops[i][1] OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) ops[i][2], ops[i][1]));
		EXECUTE pg_catalog.format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%I)',
			ops[i][1], ops[i][2], ops[i][3], fname);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION evil.%I(%s, %s) TO PUBLIC', fname, ops[i][2], ops[i][3]);
	END LOOP;
END
$gen$;

-- pg_temp look-alikes of the extension's tables and of catalogs, created in
-- each session that calls the extension (temporary objects are per session).
CREATE FUNCTION evil.shadow() RETURNS integer
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	t pg_catalog.text;
	n integer := 0;
BEGIN
	FOREACH t IN ARRAY ARRAY['revisions', 'files', 'runner_functions', 'units', 'objects',
		'touches', 'definitions', 'images', 'depends', 'tags', 'lock_holder', 'drift',
		'pg_class', 'pg_namespace', 'pg_proc', 'pg_depend', 'pg_attribute', 'pg_type',
		'pg_constraint', 'pg_index', 'pg_extension', 'pg_stat_activity', 'pg_roles',
		'pg_event_trigger_ddl_commands', 'pg_event_trigger_dropped_objects']
	LOOP
		EXECUTE pg_catalog.format('CREATE TEMP VIEW %I AS SELECT s AS x FROM evil.spy_rows(%L) s',
			t, 'pg_temp.' OPERATOR(pg_catalog.||) t);
		n := n OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN n;
END
$$;
GRANT EXECUTE ON FUNCTION evil.shadow() TO PUBLIC;
