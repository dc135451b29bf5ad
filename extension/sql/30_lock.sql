-- The runner lock (extension/lock.c).

CREATE TABLE migrate.lock_holder (
	pid integer NOT NULL,
	backend_start timestamptz,
	acquired_at timestamptz NOT NULL,
	application_name pg_catalog.text,
	role_name pg_catalog.text NOT NULL
);
REVOKE ALL ON TABLE migrate.lock_holder FROM PUBLIC;
COMMENT ON TABLE migrate.lock_holder IS 'the session holding the runner lock, so that a waiter can name it';

CREATE FUNCTION migrate.lock(timeout_ms integer) RETURNS void
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_lock';
COMMENT ON FUNCTION migrate.lock(integer)
	IS 'take the runner lock (session advisory lock), waiting at most timeout_ms; SQLSTATE 55P03 after';

CREATE FUNCTION migrate.unlock() RETURNS boolean
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_unlock';
COMMENT ON FUNCTION migrate.unlock() IS 'release the runner lock; false when this session did not hold it';

-- Runners only (migrate.allow_runner): the lock serializes them.
REVOKE ALL ON FUNCTION migrate.lock(integer), migrate.unlock() FROM PUBLIC;
INSERT INTO migrate.runner_functions (fn) VALUES
	('migrate.lock(integer)'), ('migrate.unlock()');
