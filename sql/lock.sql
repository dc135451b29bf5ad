-- The runner lock: a session advisory lock, taken by polling; a second
-- runner gives up after its timeout with SQLSTATE 55P03 naming the holder.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE EXTENSION IF NOT EXISTS dblink;

SELECT migrate.lock(1000);
SELECT migrate.lock(1000);
SELECT locktype, classid, objid, objsubid, mode, granted FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT role_name = current_user AS by_me, application_name, pid = pg_backend_pid() AS is_me FROM migrate.lock_holder;

-- A second session (through dblink) times out.
SELECT dblink_connect('other', format('dbname=%s port=%s host=%s user=%s application_name=%s',
	current_database(), current_setting('port'),
	coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)),
	current_user, 'second_runner'));
CREATE FUNCTION lock_elsewhere(timeout_ms int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; detail text; hint text;
BEGIN
	PERFORM * FROM dblink('other', format('SELECT migrate.lock(%s)::text', timeout_ms)) AS t(x text);
	RETURN 'locked';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN concat_ws(E'\n', st, msg,
		replace(regexp_replace(regexp_replace(detail, 'Process \d+', 'Process N'), 'since [^)]*\.$', 'since T.'),
			current_user, 'USER'),
		hint);
END $$;
SELECT lock_elsewhere(200);

-- Released, the other session gets it; unlock without holding is false.
SELECT migrate.unlock();
SELECT migrate.unlock();
SELECT lock_elsewhere(1000);
SELECT role_name = current_user AS by_me, application_name FROM migrate.lock_holder;
SELECT * FROM dblink('other', 'SELECT migrate.unlock()::text') AS t(x text);
SELECT count(*) AS holders FROM migrate.lock_holder;
SELECT migrate.lock(-1);
SELECT dblink_disconnect('other');
DROP FUNCTION lock_elsewhere(int);
DROP EXTENSION dblink;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
