# regress/mysql/scenarios.pl: scenario tests of the MySQL/MariaDB driver.

use strict;
use warnings;

our ($BIN, $URL, $HOST, $PORT, $USER, $SOCKET, $TMP, $LONG);

# ---- the users / accounts example of the seed ------------------------------

sub t_seed {
	my $dir = mkdir_migrations(
		'20240327000000_init' => "CREATE TABLE accounts (id int PRIMARY KEY, name varchar(50));\n"
			. "CREATE TABLE users (id int PRIMARY KEY, account_name varchar(50));\n",
		'20240328000000_a' => "ALTER TABLE users DROP COLUMN account_name;\n"
			. "ALTER TABLE users ADD COLUMN account_id int;\n",
		'20240329000000_b' => "ALTER TABLE accounts ADD COLUMN plan_id int;\n");
	my $ref = new_db('seedref');
	my ($c, $o, $e) = migrate($ref, $dir, 'apply', '1');
	is_eq($c, 0, "apply the first version to the reference") or print $e;
	my $expected = dump_schema($ref);

	my $db = new_db('seed');
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "apply all") or print $e;
	like($o, qr/Migrating to version 20240329000000 \(3 migrations in total\)/, "apply header");
	like($o, qr/-- 3 migrations\n  -- 5 sql statements/, "apply footer counts");
	sql($db, "INSERT INTO accounts VALUES (1, 'acme', 7); INSERT INTO users VALUES (1, 1)");

	# dry run: the plan and the checks, nothing changed
	my $before = dump_schema($db);
	($c, $o, $e) = migrate($db, $dir, 'down', '2', '--dry-run');
	is_eq($c, 3, "dry run with data reports the failing check");
	like($o, qr/-> SELECT COUNT\(\*\) FROM `accounts` WHERE `plan_id` IS NOT NULL/, "dry run shows the check");
	like($e, qr/column "accounts.plan_id" is not empty: 1 row holds a value/, "check names column and rows");
	is_eq(dump_schema($db), $before, "dry run changed nothing");
	is_eq(applied_sum($db), 5, "dry run kept the revisions");

	# the check stops the revert of the newest version before anything changes
	($c, $o, $e) = migrate($db, $dir, 'down', '2');
	is_eq($c, 3, "revert refused by the check");
	like($e, qr/--allow-loss accounts.plan_id/, "hint names --allow-loss");
	is_eq(dump_schema($db), $before, "refused revert changed nothing");

	sql($db, "UPDATE accounts SET plan_id = NULL");
	($c, $o, $e) = migrate($db, $dir, 'down', '2');
	is_eq($c, 3, "second version blocked by users.account_id");
	like($o, qr/reverting version 20240329000000\n    -> ALTER TABLE `accounts` DROP COLUMN `plan_id`\n  -- ok/,
		"newest version reverted first");
	like($e, qr/column "users.account_id" is not empty/, "account_id check");
	my @revs = revisions($db);
	is_eq(join(',', map { $_->[0] } @revs), '20240327000000,20240328000000', "reverted row is gone, others stay");

	($c, $o, $e) = migrate($db, $dir, 'down', '--allow-loss', 'users.account_id');
	is_eq($c, 0, "revert with --allow-loss") or print $e;
	like($o, qr/allowed by --allow-loss: column "users.account_id" is not empty/, "allowed loss reported");
	like($o, qr/ALTER TABLE `users` DROP COLUMN `account_id`\n    -> ALTER TABLE `users` ADD COLUMN `account_name` varchar\(50\) DEFAULT NULL AFTER `id`/,
		"statement by statement, newest statement first");
	is_eq(dump_schema($db), $expected, "schema back at the first version");
	is_eq(join(',', map { "$_->[0]:$_->[2]/$_->[3]" } revisions($db)), '20240327000000:2/2', "revisions at the first version");

	($c, $o, $e) = migrate($db, $dir, 'down', '--plan-hash', 'abc');
	is_eq($c, 1, "--plan-hash is refused");
	like($e, qr/--plan-hash is not supported on MySQL/, "--plan-hash message");

	# and forward again
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "apply again after the revert") or print $e;
	is_eq(applied_sum($db), 5, "all statements applied again");
}

# ---- each object kind -----------------------------------------------------

# v1 sets up, v2 changes; reverting v2 must give v1's schema back, and
# applying v2 again must give v2's schema again.
sub kind_case {
	my ($name, $v1, $v2, %opt) = @_;
	my $dir = mkdir_migrations('1_base' => $v1, '2_change' => $v2);
	my $db = new_db('kind');
	my ($c, $o, $e) = migrate($db, $dir, 'apply', '1');
	return ok(0, "$name: apply v1", $e) if $c != 0;
	sql($db, $opt{data}) if $opt{data};
	my $d1 = dump_schema($db);
	my $data1 = $opt{query} ? sql($db, $opt{query}) : '';
	($c, $o, $e) = migrate($db, $dir, 'apply');
	return ok(0, "$name: apply v2", $e) if $c != 0;
	my $d2 = dump_schema($db);
	ok($d1 ne $d2, "$name: v2 changes the schema");
	($c, $o, $e) = migrate($db, $dir, 'down');
	ok($c == 0, "$name: revert v2", "$o\n$e") or return;
	is_eq(dump_schema($db), $d1, "$name: reverted schema equals v1");
	is_eq($opt{query} ? sql($db, $opt{query}) : '', $data1, "$name: data kept") if $opt{query};
	is_eq(join(',', map { $_->[0] } revisions($db)), '1', "$name: revisions at v1");
	($c, $o, $e) = migrate($db, $dir, 'apply');
	ok($c == 0, "$name: apply v2 again", $e);
	is_eq(dump_schema($db), $d2, "$name: v2 again equals v2");
	sql($db, $opt{cleanup}) if $opt{cleanup};
	($c, $o, $e) = migrate($db, $dir, 'down', '2');
	ok($c == 0, "$name: revert both", "$o\n$e");
	is_eq(dump_schema($db), "\n", "$name: reverting everything leaves nothing");
}

my $T = "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a int, b varchar(20), c text);\n";

my @kinds = (
	['table create', "CREATE TABLE keep (id int);\n", "CREATE TABLE t2 (id int PRIMARY KEY, x varchar(3) NOT NULL DEFAULT 'z') COMMENT 'hello';\n"],
	['table drop', $T . "CREATE TABLE gone (id int PRIMARY KEY, v decimal(8,2) DEFAULT 1.50);\n", "DROP TABLE gone;\n"],
	['table rename', $T, "RENAME TABLE t TO t_renamed;\n", data => "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", query => "SELECT * FROM t ORDER BY id",
		cleanup => "DELETE FROM t_renamed"],
	['table rename by alter', $T, "ALTER TABLE t RENAME TO t3, ADD COLUMN z int;\n", data => "INSERT INTO t (a) VALUES (5)", query => "SELECT id, a FROM t", cleanup => "DELETE FROM t3"],
	['table options', $T, "ALTER TABLE t COMMENT 'new comment', ROW_FORMAT=COMPRESSED;\n"],
	['table charset', $T, "ALTER TABLE t DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\nALTER TABLE t ADD COLUMN d varchar(5);\n"],
	['column add', $T, "ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 3 COMMENT 'd' AFTER id, ADD COLUMN e varchar(10) FIRST;\n"],
	['column drop', $T, "ALTER TABLE t DROP COLUMN c;\nALTER TABLE t DROP COLUMN b;\n"],
	['column type', $T, "ALTER TABLE t MODIFY a bigint unsigned, MODIFY b varchar(200);\n", data => "INSERT INTO t (a, b) VALUES (4, 'q')", query => "SELECT a, b FROM t", cleanup => "DELETE FROM t"],
	['column default and null', $T, "ALTER TABLE t MODIFY a int NOT NULL DEFAULT 7, ALTER b SET DEFAULT 'x';\n"],
	['column auto_increment', $T, "ALTER TABLE t MODIFY id int NOT NULL;\n"],
	['column generated', $T, "ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) VIRTUAL, ADD COLUMN s int AS (a * 2) STORED;\n"],
	['column generated expression', $T . "ALTER TABLE t ADD COLUMN g int AS (a + 1) VIRTUAL;\n", "ALTER TABLE t DROP COLUMN g;\nALTER TABLE t ADD COLUMN g int AS (a + 2) STORED;\n"],
	['column charset and collation', $T, "ALTER TABLE t MODIFY b varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n"],
	['column comment', $T, "ALTER TABLE t MODIFY a int COMMENT 'the a';\n"],
	['column position', $T, "ALTER TABLE t MODIFY c text FIRST;\nALTER TABLE t MODIFY a int AFTER c;\n"],
	['column rename', $T . "CREATE INDEX ia ON t (a, b);\nALTER TABLE t ADD CONSTRAINT ck_a CHECK (a > 0);\n",
		"ALTER TABLE t RENAME COLUMN a TO a2;\nALTER TABLE t CHANGE b bee varchar(30) NOT NULL DEFAULT '';\n",
		data => "INSERT INTO t (a, b) VALUES (1, 'one'), (2, 'two')", query => "SELECT * FROM t ORDER BY id",
		cleanup => "DELETE FROM t"],
	['index unique, fulltext, prefix', $T, "CREATE UNIQUE INDEX u_b ON t (b);\nCREATE FULLTEXT INDEX ft_c ON t (c);\nCREATE INDEX p_c ON t (c(10), a);\n"],
	['index drop and change', $T . "CREATE INDEX i1 ON t (a);\nCREATE INDEX i2 ON t (b);\n", "DROP INDEX i1 ON t;\nALTER TABLE t DROP INDEX i2, ADD INDEX i2 (b, a) COMMENT 'two';\n"],
	['keys listed out of category order', "CREATE TABLE t (id int PRIMARY KEY, a int, b int, UNIQUE KEY u1 (a), UNIQUE KEY u2 (b));\n"
		. "ALTER TABLE t MODIFY b int NOT NULL;\n", "ALTER TABLE t ADD KEY k (a);\n"],
	['primary key', $T, "ALTER TABLE t MODIFY id int NOT NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (id, a);\n"],
	['foreign key', $T . "CREATE TABLE p (id int PRIMARY KEY);\n",
		"ALTER TABLE t ADD CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE;\n"],
	['foreign key change', $T . "CREATE TABLE p (id int PRIMARY KEY);\nALTER TABLE t ADD CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id);\n",
		"ALTER TABLE t DROP FOREIGN KEY fk_a;\nALTER TABLE t ADD CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id) ON DELETE SET NULL;\n"],
	['foreign key parent renamed', $T . "CREATE TABLE p (id int PRIMARY KEY);\nALTER TABLE t ADD CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id);\n",
		"RENAME TABLE p TO parent;\n"],
	['check constraint', $T, "ALTER TABLE t ADD CONSTRAINT ck1 CHECK (a > 0);\nALTER TABLE t ADD CONSTRAINT ck2 CHECK (CHAR_LENGTH(b) < 10);\n"],
	['check constraint drop', $T . "ALTER TABLE t ADD CONSTRAINT ck1 CHECK (a > 0);\n", "ALTER TABLE t DROP CONSTRAINT ck1;\n"],
	['view', $T, "CREATE VIEW v1 AS SELECT id, a FROM t WHERE a > 1;\nCREATE VIEW v2 AS SELECT id FROM v1;\n"],
	['view replace and drop', $T . "CREATE VIEW v1 AS SELECT id, a FROM t;\nCREATE VIEW v2 AS SELECT a FROM t;\n",
		"CREATE OR REPLACE VIEW v1 AS SELECT id FROM t WHERE id > 10;\nDROP VIEW v2;\n"],
	['trigger', $T, "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.a = COALESCE(NEW.a, 0);\n"],
	['trigger drop', $T . "CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1;\n", "DROP TRIGGER t_bi;\n"],
	['procedure and function', $T,
		"CREATE PROCEDURE p1(IN x int) SELECT x + 1;\nCREATE FUNCTION f1(x int) RETURNS int DETERMINISTIC RETURN x * 2;\n"],
	['routine replace', $T . "CREATE FUNCTION f1(x int) RETURNS int DETERMINISTIC RETURN x * 2;\n",
		"DROP FUNCTION f1;\nCREATE FUNCTION f1(x int, y int) RETURNS bigint DETERMINISTIC RETURN x * y;\n"],
	['compound routine and trigger bodies', $T,
		"DELIMITER //\nCREATE PROCEDURE p2(IN n int)\nBEGIN\n  DECLARE i int DEFAULT 0;\n  WHILE i < n DO\n    SET i = i + 1;\n  END WHILE;\n  SELECT i;\nEND//\n"
		. "CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN\n    SET NEW.a = 0;\n  END IF;\nEND//\nDELIMITER ;\n"],
	['identifiers that need quoting', "CREATE TABLE `we``ird` (`co``l` int, `\xc3\xbcber` varchar(5), `select` int);\n",
		"ALTER TABLE `we``ird` RENAME COLUMN `co``l` TO `c``2`, ADD KEY `k``1` (`\xc3\xbcber`), ADD COLUMN `n\xc3\xa4me` int;\n"
		. "RENAME TABLE `we``ird` TO `str\xc3\xa4nge``name`;\n",
		data => "INSERT INTO `we``ird` VALUES (1, 'a', 2)", query => "SELECT * FROM `we``ird`",
		cleanup => "DELETE FROM `str\xc3\xa4nge``name`"],
	['several changes in one statement', $T,
		"ALTER TABLE t ADD COLUMN d int AFTER id, DROP COLUMN c, MODIFY b varchar(40) NOT NULL DEFAULT '', ADD KEY kd (d), COMMENT 'multi';\n"],
);

sub kind_tests {
	return map {
		my $k = $_;
		["kind: $k->[0]", sub { kind_case(@$k) }]
	} @kinds;
}

# ---- each check failing ------------------------------------------------------

# v2 loosens something, data then blocks the revert; nothing may change
sub check_case {
	my ($name, $v1, $v2, $data, $re, $allow) = @_;
	my $dir = mkdir_migrations('1_base' => $v1, '2_change' => $v2);
	my $db = new_db('check');
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	return ok(0, "$name: apply", $e) if $c != 0;
	sql($db, $data);
	my $before = dump_schema($db);
	my $rows = sql($db, "SELECT * FROM t ORDER BY 1");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 3, "$name: revert refused with exit code 3");
	like($e, $re, "$name: message names object, check and rows");
	like($o, qr/-- check failed: /, "$name: check failure in the output");
	is_eq(dump_schema($db), $before, "$name: schema unchanged");
	is_eq(sql($db, "SELECT * FROM t ORDER BY 1"), $rows, "$name: data unchanged");
	is_eq(applied_sum($db), scalar(() = ($v1 . $v2) =~ /;\n/g), "$name: revisions unchanged");
	if ($allow) {
		($c, $o, $e) = migrate($db, $dir, 'down', '--allow-loss', $allow);
		is_eq($c, 0, "$name: --allow-loss $allow lets the revert run") or print "$o\n$e";
	}
}

my @checks = (
	['drop table: table is empty', "CREATE TABLE keep (id int);\n", "CREATE TABLE t (id int);\n",
		"INSERT INTO t VALUES (1), (2)", qr/table "t" is not empty: 2 rows would be lost/, 't'],
	['drop column: column is empty', "CREATE TABLE t (id int);\n", "ALTER TABLE t ADD COLUMN x int;\n",
		"INSERT INTO t VALUES (1, NULL), (2, 5), (3, 6)", qr/column "t.x" is not empty: 2 rows hold a value/, 't.x'],
	['not null: no NULLs', "CREATE TABLE t (id int, x int NOT NULL);\n", "ALTER TABLE t MODIFY x int NULL;\n",
		"INSERT INTO t VALUES (1, NULL), (2, 3)", qr/column "t.x" has 1 NULL value and would become NOT NULL/],
	['unique: no duplicates', "CREATE TABLE t (id int, x int, UNIQUE KEY ux (x));\n", "ALTER TABLE t DROP INDEX ux;\n",
		"INSERT INTO t VALUES (1, 4), (2, 4), (3, 4), (4, 5)", qr/key "t.ux" would not be unique: 3 rows share a value/],
	['primary key: no duplicates', "CREATE TABLE t (id int NOT NULL, PRIMARY KEY (id));\n", "ALTER TABLE t DROP PRIMARY KEY;\n",
		"INSERT INTO t VALUES (1), (1)", qr/key "t.PRIMARY" would not be unique: 2 rows share a value/],
	['narrowing: values fit', "CREATE TABLE t (id int, s varchar(5), n smallint);\n",
		"ALTER TABLE t MODIFY s varchar(50), MODIFY n int;\n",
		"INSERT INTO t VALUES (1, 'short', 1), (2, 'much too long', 2)",
		qr/column "t.s" has 1 value that the restored type cannot hold/, 't.s'],
	['narrowing: numbers fit', "CREATE TABLE t (id int, n smallint);\n", "ALTER TABLE t MODIFY n int;\n",
		"INSERT INTO t VALUES (1, 5), (2, 70000)", qr/column "t.n" has 1 value that the restored type cannot hold/],
	['foreign key: no orphans', "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int, pid int, CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id));\n",
		"ALTER TABLE t DROP FOREIGN KEY fk;\n", "INSERT INTO t VALUES (1, 99)",
		qr/foreign key "t.fk" would not hold: 1 row has no parent row in "p"/],
	['check constraint: rows satisfy it', "CREATE TABLE t (id int, x int, CONSTRAINT ck CHECK (x > 0));\n",
		"ALTER TABLE t DROP CONSTRAINT ck;\n", "INSERT INTO t VALUES (1, -1), (2, 1)",
		qr/check constraint "t.ck" would not hold: 1 row violates it/],
);

sub check_tests {
	return map {
		my $k = $_;
		["check: $k->[0]", sub { check_case(@$k) }]
	} @checks;
}

# ---- a failed, partially applied migration ------------------------------------

sub t_failed_partial {
	my $dir = mkdir_migrations(
		'1_base' => "CREATE TABLE t (id int PRIMARY KEY, a int);\n",
		'2_broken' => "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX ib ON t (b);\nALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN c int;\n");
	my $ref = new_db('failref');
	migrate($ref, $dir, 'apply', '1');
	my $d1 = dump_schema($ref);
	my $db = new_db('fail');
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 3, "apply fails at the third statement");
	like($o, qr/-- error: ERROR 1060 .*Duplicate column name 'a'/, "error shown");
	is_eq(join(',', map { "$_->[0]:$_->[2]/$_->[3]" } revisions($db)), '1:1/1,2:2/4', "revisions: 2 of 4 applied");
	($c, $o, $e) = migrate($db, $dir, 'status');
	like($o, qr/Last migration attempt had errors/, "status shows the error");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 0, "revert of the partially applied version") or print "$o\n$e";
	like($o, qr/DROP INDEX `ib`.*DROP COLUMN `b`/s, "the applied statements are undone, newest first");
	is_eq(dump_schema($db), $d1, "schema back at version 1");
	is_eq(join(',', map { $_->[0] } revisions($db)), '1', "the partial row is gone");
}

# ---- history changed ------------------------------------------------------------

sub t_history_changed {
	my $dir = mkdir_migrations(
		'1_a' => "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ADD COLUMN x int;\n");
	my $db = new_db('hist');
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 3, "third statement fails");
	# edit an applied statement: refused
	write_file("$dir/1_a.sql", "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ADD COLUMN y int;\n");
	rehash($dir);
	my $before = dump_schema($db);
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 1, "edited applied statement refused");
	like($e, qr/history changed|was edited after it was applied|changed since/i, "history changed message");
	is_eq(dump_schema($db), $before, "nothing ran");
	# fix only the failing statement: resumes there
	write_file("$dir/1_a.sql", "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN x int;\nALTER TABLE t ADD COLUMN y int;\n");
	rehash($dir);
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "fixed file resumes") or print "$o\n$e";
	ok($o !~ /CREATE TABLE t/ && $o =~ /ADD COLUMN y/, "only the fixed statement ran", $o);
}

# ---- hand-written down ---------------------------------------------------------------

sub t_handwritten_down {
	my $txtar = "-- atlas:txtar\n\n-- migration.sql --\nALTER TABLE t ADD COLUMN x int;\nUPDATE t SET x = id * 10;\n"
		. "-- down.sql --\nALTER TABLE t DROP COLUMN x;\n";
	my $dir = mkdir_migrations('1_base' => "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1), (2);\n",
		'2_x' => $txtar);
	my $db = new_db('down');
	my ($c, $o, $e) = migrate($db, $dir, 'apply', '1');
	my $d1 = dump_schema($db);
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "apply txtar") or print $e;
	# the computed checks guard the hand-written down too
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 3, "hand-written down blocked by the data check");
	like($e, qr/column "t.x" is not empty/, "check of the computed plan");
	($c, $o, $e) = migrate($db, $dir, 'down', '--allow-loss', 't.x');
	is_eq($c, 0, "hand-written down runs") or print "$o\n$e";
	like($o, qr/reverting version 2 \(hand-written down\)\n    -> ALTER TABLE t DROP COLUMN x;/, "the hand-written statement is used");
	is_eq(dump_schema($db), $d1, "verified back at version 1");

	# a wrong hand-written down is caught by the verification
	my $bad = "-- migrate:up\nALTER TABLE t ADD COLUMN y int, ADD COLUMN z int;\n-- migrate:down\nALTER TABLE t DROP COLUMN y;\n";
	my $dir2 = mkdir_migrations('1_base' => "-- migrate:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
	write_file("$dir2/2_yz.sql", $bad);
	rehash($dir2);
	my $db2 = new_db('down');
	($c, $o, $e) = migrate($db2, "$dir2", 'apply');
	is_eq($c, 0, "apply dbmate-style file") or print $e;
	($c, $o, $e) = migrate($db2, $dir2, 'down');
	is_eq($c, 1, "incomplete hand-written down fails verification");
	like($e, qr/hand-written down of version 2 did not restore table "t"/, "verification message");
	is_eq(join(',', map { $_->[0] } revisions($db2)), '1,2', "version 2 still recorded");
	sql($db2, "ALTER TABLE t DROP COLUMN z");
	($c, $o, $e) = migrate($db2, $dir2, 'down');
	is_eq($c, 0, "after fixing by hand the rerun finishes") or print "$o\n$e";
	is_eq(join(',', map { $_->[0] } revisions($db2)), '1', "version 2 reverted");
}

# ---- objects made outside migrations, drift --------------------------------------------

sub t_outside_objects {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\n", '2_b' => "ALTER TABLE t ADD COLUMN x int;\n");
	my $db = new_db('drift');
	migrate($db, $dir, 'apply', '1');
	sql($db, "CREATE TABLE mine (id int); CREATE VIEW myview AS SELECT 1 AS one");
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "apply with objects made outside") or print $e;
	($c, $o, $e) = migrate($db, $dir, 'down', '2');
	is_eq($c, 0, "revert everything") or print "$o\n$e";
	is_eq(sql_value($db, "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
		. "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrate\\_%'"), 'mine,myview',
		"objects made outside migrations are left alone");

	# drift on a touched object refuses, --accept-drift overrides
	($c, $o, $e) = migrate($db, $dir, 'apply', '--allow-dirty');
	is_eq($c, 0, "apply again next to the outside objects") or print $e;
	sql($db, "ALTER TABLE t ADD COLUMN extra int");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 1, "drift on a touched object refuses the revert");
	like($e, qr/table "t" changed after statement 1 of version 2 was applied/, "drift message");
	like($e, qr/changed by a change made outside migrate/, "drift is explained");
	($c, $o, $e) = migrate($db, $dir, 'down', '--accept-drift');
	is_eq($c, 0, "--accept-drift") or print "$o\n$e";
	like(sql($db, "SHOW CREATE TABLE t"), qr/`id` int\(11\) DEFAULT NULL\n\)/, "table back at version 1");
}

# ---- lock ----------------------------------------------------------------------------

sub t_lock {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\n");
	my $db = new_db('lock');
	my $pid = fork();
	if ($pid == 0) {
		open STDOUT, '>', '/dev/null';
		exec(sql_cmd($db), '-e', "SELECT GET_LOCK('migrate.$db', 10), SLEEP(4)");
		exit 127;
	}
	# wait until the other session holds the lock
	for (1 .. 50) {
		last if sql_value($db, "SELECT IS_USED_LOCK('migrate.$db') IS NOT NULL") eq '1';
		select(undef, undef, undef, 0.1);
	}
	my ($c, $o, $e) = migrate($db, $dir, 'apply', '--lock-timeout', '1s');
	is_eq($c, 1, "second runner gives up after the timeout");
	like($e, qr/is held by connection \d+ \(\Q$USER\E\@[^,]+, Query for \d+ s, running "SELECT GET_LOCK/, "the holder is named");
	is_eq(scalar(revisions($db)), 0, "nothing applied while locked");
	waitpid($pid, 0);
	($c, $o, $e) = migrate($db, $dir, 'apply', '--lock-timeout', '5s');
	is_eq($c, 0, "applies once the lock is free") or print $e;
}

# ---- concurrent runners: exactly one applies -------------------------------------

sub t_concurrent {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\nDO SLEEP(1);\nALTER TABLE t ADD COLUMN x int;\n");
	my $db = new_db('conc');
	my @pids;
	for my $i (1 .. 4) {
		my $pid = fork();
		if ($pid == 0) {
			my ($c, $o, $e) = migrate($db, $dir, 'apply', '--lock-timeout', '20s');
			write_file("$TMP/conc-$db-$i.out", "$c\n$o");
			exit 0;
		}
		push @pids, $pid;
	}
	waitpid($_, 0) for @pids;
	my ($ran, $nothing, $bad) = (0, 0, 0);
	for my $i (1 .. 4) {
		open my $fh, '<', "$TMP/conc-$db-$i.out" or die;
		local $/;
		my $r = <$fh>;
		if ($r =~ /^0\n/ && $r =~ /CREATE TABLE t/) { $ran++ }
		elsif ($r =~ /^0\n/ && $r =~ /No migration files to execute/) { $nothing++ }
		else { $bad++ }
	}
	is_eq("$ran/$nothing/$bad", "1/3/0", "one runner applies, the others find nothing to do");
	is_eq(join(',', map { "$_->[0]:$_->[2]/$_->[3]" } revisions($db)), '1:3/3', "one complete revision");
}

# ---- lost connection -------------------------------------------------------------------

sub t_lost_connection {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\nDO SLEEP(5);\nCREATE TABLE u (id int);\n");
	my $db = new_db('lost');
	my $pid = fork();
	if ($pid == 0) {
		my $id = '';
		for (1 .. 100) {
			$id = sql_value($db, "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(5)%'");
			last if $id ne '';
			select(undef, undef, undef, 0.05);
		}
		sql($db, "KILL CONNECTION $id", 1) if $id ne '';
		exit 0;
	}
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	waitpid($pid, 0);
	is_eq($c, 2, "a killed connection ends the run with exit code 2");
	like($e, qr/lost the connection/, "says the connection was lost");
	is_eq(join(',', map { "$_->[2]/$_->[3]" } revisions($db)), '1/3', "the statement before is recorded");
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "rerun finishes") or print $e;
	ok($o !~ /CREATE TABLE t/, "the first statement is not run again", $o);
}

# the lock is checked before every statement: a migration that releases it
# (as a killed or timed-out session would lose it) stops the run
sub t_lock_lost {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\nDO RELEASE_LOCK(CONCAT('migrate.', DATABASE()));\n"
		. "CREATE TABLE u (id int);\n");
	my $db = new_db('locklost');
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 2, "losing the lock ends the run with exit code 2");
	like($e, qr/the migration lock "migrate\.\Q$db\E" is no longer held by this run/, "lost lock message");
	ok($o !~ /CREATE TABLE u/, "the statement after it did not run", $o);
	is_eq(join(',', map { "$_->[2]/$_->[3]" } revisions($db)), '2/3', "the statements before it are recorded");
}

# ---- baseline ----------------------------------------------------------------------

sub t_baseline {
	my $dir = mkdir_migrations('1_existing' => "CREATE TABLE legacy (id int);\n", '2_new' => "ALTER TABLE legacy ADD COLUMN x int;\n");
	my $db = new_db('base');
	sql($db, "CREATE TABLE legacy (id int)");
	my ($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 1, "a database with objects and no revisions is refused");
	like($e, qr/not clean/, "not clean message");
	($c, $o, $e) = migrate($db, $dir, 'apply', '--baseline', '1');
	is_eq($c, 0, "apply with --baseline") or print $e;
	like($o, qr/ALTER TABLE legacy ADD COLUMN x int/, "the version after the baseline runs");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 0, "revert the version after the baseline") or print "$o\n$e";
	like(sql($db, "SHOW CREATE TABLE legacy"), qr/`id` int\(11\) DEFAULT NULL\n\)/, "legacy table as before");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 1, "the baseline cannot be reverted");
	like($e, qr/cannot revert version 1: it is the baseline/, "baseline message");
	ok(sql_value($db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'legacy'"),
		"the legacy table stays");
}

# ---- URL forms --------------------------------------------------------------------------

sub t_urls {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\n");
	my $db = new_db('url');
	my ($c, $o, $e) = run_cmd(undef, $BIN, 'apply', '--url', "mariadb://$USER\@$HOST:$PORT/$db", '--dir', $dir);
	is_eq($c, 0, "mariadb:// URL") or print $e;
	if ($SOCKET && -S $SOCKET) {
		($c, $o, $e) = run_cmd(undef, $BIN, 'status', '--url', "mysql://$USER\@localhost/$db?socket=$SOCKET", '--dir', $dir);
		is_eq($c, 0, "socket URL") or print $e;
		like($o, qr/Current Version: 1/, "status through the socket");
	}
	($c, $o, $e) = run_cmd(undef, $BIN, 'status', '--url', "mysql://$USER\@$HOST:$PORT/no_such_db_$$", '--dir', $dir);
	is_eq($c, 1, "missing database");
	like($e, qr/database "no_such_db_\d+" does not exist/, "missing database message");
	($c, $o, $e) = run_cmd(undef, $BIN, 'status', '--url', "mysql://$USER\@127.0.0.1:1/x", '--dir', $dir);
	is_eq($c, 1, "unreachable server");
	like($e, qr/could not connect/, "unreachable server message");
}

# ---- --revisions-schema, set, tag ----------------------------------------------

sub t_revisions_schema {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\n", '2_b' => "ALTER TABLE t ADD COLUMN x int;\n");
	my $db = new_db('rs');
	my $book = "${db}_book";
	push @main::created_dbs, $book;
	my ($c, $o, $e) = migrate($db, $dir, 'apply', '--revisions-schema', $book);
	is_eq($c, 0, "apply with --revisions-schema") or print $e;
	is_eq(sql_value($db, "SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"),
		't', "the target database holds only the migrated table");
	is_eq(sql_value($book, "SELECT GROUP_CONCAT(version ORDER BY version) FROM migrate_revisions"), '1,2',
		"revisions in the other database");
	($c, $o, $e) = migrate($db, $dir, 'down', '--revisions-schema', $book);
	is_eq($c, 0, "revert with --revisions-schema") or print "$o\n$e";
	like(sql($db, "SHOW CREATE TABLE t"), qr/`id` int\(11\) DEFAULT NULL\n\)/, "column removed");
	($c, $o, $e) = migrate($db, $dir, 'status');
	like($o, qr/No migration applied yet|Pending Files:   2/, "without the flag the target database has no revisions");
}

sub t_set_and_tag {
	my $dir = mkdir_migrations('1_a' => "CREATE TABLE t (id int);\n", '2_b' => "ALTER TABLE t ADD COLUMN x int;\n",
		'3_c' => "ALTER TABLE t ADD COLUMN y int;\n");
	my $db = new_db('tag');
	my ($c, $o, $e) = migrate($db, $dir, 'apply', '1');
	($c, $o, $e) = migrate($db, undef, 'tag', 'first');
	is_eq($c, 0, "tag the first version") or print $e;
	($c, $o, $e) = migrate($db, $dir, 'apply');
	($c, $o, $e) = migrate($db, $dir, 'down', '--to-tag', 'first');
	is_eq($c, 0, "down --to-tag") or print "$o\n$e";
	is_eq(join(',', map { $_->[0] } revisions($db)), '1', "back at the tagged version");
	($c, $o, $e) = migrate($db, $dir, 'down', '--to-tag', 'nosuchtag');
	is_eq($c, 1, "unknown tag");
	like($e, qr/tag "nosuchtag" does not exist/, "unknown tag message");

	# set: versions marked by hand cannot be reverted by computation
	sql($db, "ALTER TABLE t ADD COLUMN x int");
	($c, $o, $e) = migrate($db, $dir, 'set', '2');
	is_eq($c, 0, "set 2") or print $e;
	is_eq(join(',', map { "$_->[0]:$_->[1]" } revisions($db)), '1:2,2:4', "version 2 marked as set by hand");
	($c, $o, $e) = migrate($db, $dir, 'down');
	is_eq($c, 1, "a version set by hand is not reverted");
	like($e, qr/cannot revert version 2: it was marked as applied by "migrate set"/, "set-by-hand message");
	($c, $o, $e) = migrate($db, $dir, 'apply');
	is_eq($c, 0, "apply after set") or print $e;
	like($o, qr/ADD COLUMN y/, "only version 3 runs");
}

sub scenario_tests {
	return (
		['seed: users and accounts', \&t_seed],
		kind_tests(),
		check_tests(),
		['failed, partially applied migration', \&t_failed_partial],
		['history changed', \&t_history_changed],
		['hand-written down', \&t_handwritten_down],
		['objects made outside migrations, drift', \&t_outside_objects],
		['lock held by another session', \&t_lock],
		['concurrent runners', \&t_concurrent],
		['lost connection', \&t_lost_connection],
		['lock lost between statements', \&t_lock_lost],
		['baseline', \&t_baseline],
		['URL forms and connection errors', \&t_urls],
		['--revisions-schema', \&t_revisions_schema],
		['set and tag', \&t_set_and_tag],
	);
}

1;
