# regress/crash/CrashLib.pm: shared code of the crash-consistency TAP tests.
#
# A kill point is a statement number of the session under test, counted by
# the test-only module crashpoint.so (see crashpoint.c): the session stops
# before that statement and the test kills its backend with SIGKILL, or
# shuts the server down in immediate mode.  After recovery the database
# must be exactly in one of the recorded states (its dump equals the dump
# of a reference database taken after some statement prefix of the
# migrations), the revisions table must say the same, and running the same
# command again must reach the final state.  The one thing allowed beside
# a recorded state is the invalid index of an interrupted CREATE INDEX
# CONCURRENTLY, the statement the revisions say comes next: PostgreSQL
# commits the start of such a build before it finishes, so no kill point
# can avoid it, and the rerun must drop it and build it again (see
# try_point).
#
# Environment (set by regress/crash/run): MIGRATE_BIN, CRASHPOINT_SO,
# CRASH_PORT, MIGRATE_LONG, CRASH_POINTS (how many kill points per scenario
# in a default run).

package CrashLib;

use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use IPC::Run;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our $bin = $ENV{MIGRATE_BIN} or die "MIGRATE_BIN is not set";
our $crashpoint = $ENV{CRASHPOINT_SO} or die "CRASHPOINT_SO is not set";
our $long = ($ENV{MIGRATE_LONG} // '0') eq '1';

our %figures = (points => 0, half => 0, converged => 0, immediate => 0, sigkill => 0, leftover => 0);

sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name, port => $ENV{CRASH_PORT});
	$node->init;
	$node->append_conf('postgresql.conf', <<'EOF');
restart_after_crash = on
log_statement = none
log_min_messages = warning
log_min_error_statement = panic
max_connections = 30
shared_buffers = 16MB
EOF
	$node->start;
	return $node;
}

# a connection string for the migrate client (libpq keywords, as psql -d)
sub conninfo
{
	my ($node, $db) = @_;
	return "host=" . $node->host . " port=" . $node->port . " dbname=$db";
}

# the content of a database: schema and data of everything but the
# bookkeeping, as pg_dump writes it, without comments and settings; in list
# context also the dump, and the invalid indexes (a comma-separated list)
sub fingerprint
{
	my ($node, $db) = @_;
	my ($out, $err);
	IPC::Run::run([ $node->installed_command('pg_dump'), '-d', conninfo($node, $db),
		'-N', 'migrate', '--no-owner', '--quote-all-identifiers' ], '>', \$out, '2>', \$err)
	  or die "pg_dump $db failed: $err";
	# left out: comments, settings, pg_dump's random \restrict keys, and
	# sequence positions (after a crash a sequence may have skipped ahead
	# by the values it logs in advance; that is not a schema change)
	my @lines = grep {
		$_ ne '' && !/^--/ && !/^SET / && !/^SELECT pg_catalog\.set_config/
		  && !/^\\(un)?restrict / && !/^SELECT pg_catalog\.setval\(/
	} split /\n/, $out;
	# pg_dump leaves out invalid indexes (what an interrupted CREATE INDEX
	# CONCURRENTLY leaves behind); they are part of the state all the same
	my $invalid = sql($node, $db,
		"SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY indexrelid::regclass::text)"
		  . " FROM pg_index WHERE NOT indisvalid");
	push @lines, "invalid indexes: $invalid" if $invalid ne '';
	return (md5_hex(join("\n", @lines)), join("\n", @lines), $invalid);
}

# the fingerprint a dump would have without its invalid indexes
sub without_invalid
{
	my ($dump) = @_;
	return md5_hex(join("\n", grep { !/^invalid indexes: / } split /\n/, $dump));
}

# the index the statement after state "V:k" builds concurrently, or undef
sub next_cic_index
{
	my ($label, $files) = @_;
	my ($v, $k) = split /:/, $label;
	for my $f (@$files)
	{
		next unless version_of($f->[0]) eq $v;
		my $stmt = $f->[1][$k] // '';
		return $stmt =~ /^CREATE (?:UNIQUE )?INDEX CONCURRENTLY (\w+) ON /i ? $1 : undef;
	}
	return undef;
}

# psql -At, one connection, returns stdout (dies on error)
sub sql
{
	my ($node, $db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# A copy of the template (see make_template).
sub create_copy
{
	my ($node, $db, $template) = @_;
	sql($node, 'postgres', "CREATE DATABASE \"$db\" TEMPLATE \"$template\"");
}

# The template every kill point starts from: the extension created, and
# every sequence set to its own value.  PostgreSQL 15's CREATE DATABASE
# (strategy WAL_LOG) copies a sequence page as it is in memory, with the
# values it may still hand out without a new WAL record: after a crash the
# copy gives those values out again (reported upstream as "sequence value
# may rollback after CREATE DATABASE TEMPLATE with WAL_LOG strategy"), and
# a rerun would hit a duplicate migrate.units id.  setval() leaves nothing
# pre-logged, so the copies log their first nextval().
sub make_template
{
	my ($node, $template) = @_;
	sql($node, 'postgres', "CREATE DATABASE \"$template\"");
	sql($node, $template, 'CREATE EXTENSION migrate');
	reset_sequences($node, $template);
}

sub reset_sequences
{
	my ($node, $db) = @_;
	sql($node, $db, <<'SQL');
DO $$
DECLARE
	r record;
	v bigint;
	c boolean;
BEGIN
	FOR r IN SELECT seqrelid::regclass AS s FROM pg_catalog.pg_sequence LOOP
		EXECUTE pg_catalog.format('SELECT last_value, is_called FROM %s', r.s) INTO v, c;
		PERFORM pg_catalog.setval(r.s, v, c);
	END LOOP;
END
$$;
SQL
}

# write the migration files of a fixture: [ [name, [statements...], header], ... ]
sub write_dir
{
	my ($dir, $files) = @_;
	mkdir $dir;
	for my $f (@$files)
	{
		my ($name, $stmts, $header) = @$f;
		open my $h, '>', "$dir/$name" or die "$dir/$name: $!";
		print $h $header if defined $header;
		print $h "$_\n" for @$stmts;
		close $h;
	}
	my ($out, $err);
	IPC::Run::run([ $bin, 'hash', '--dir', $dir ], '>', \$out, '2>', \$err)
	  or die "migrate hash failed: $err";
}

sub version_of { my ($name) = @_; $name =~ /^([^_]+)_/; return $1; }

# Reference states: starting from a copy of $template, run the statements
# one by one; returns { fingerprint => [labels] } and the final fingerprint.
# A label is "V:k": files before V complete, k statements of V applied.
sub references
{
	my ($node, $template, $files) = @_;
	my %ref;
	my $db = "ref_$$";
	create_copy($node, $db, $template);
	my ($fp) = fingerprint($node, $db);
	push @{ $ref{$fp} }, version_of($files->[0][0]) . ":0";
	my $final;
	for my $i (0 .. $#$files)
	{
		my ($name, $stmts) = @{ $files->[$i] };
		my $v = version_of($name);
		for my $k (1 .. scalar @$stmts)
		{
			sql($node, $db, $stmts->[ $k - 1 ]);
			($fp) = fingerprint($node, $db);
			# after the last statement of a file: also "next file, nothing yet"
			push @{ $ref{$fp} }, "$v:$k";
			push @{ $ref{$fp} }, version_of($files->[ $i + 1 ][0]) . ":0"
			  if $k == scalar @$stmts && $i < $#$files;
			$final = $fp;
		}
	}
	sql($node, 'postgres', "DROP DATABASE \"$db\"");
	return (\%ref, $final);
}

# revisions as "V:applied/total" in version order
sub revisions
{
	my ($node, $db) = @_;
	my $r = sql($node, $db,
		"SELECT string_agg(version || ':' || applied || '/' || total, ' ' ORDER BY migrate.version_key(version))"
		  . " FROM migrate.revisions WHERE type & 2 = 2");
	return $r;
}

# do the revisions say state "V:k"?
sub revisions_agree
{
	my ($revs, $label, $files) = @_;
	my ($v, $k) = split /:/, $label;
	my @want;
	for my $f (@$files)
	{
		my $fv = version_of($f->[0]);
		my $total = scalar @{ $f->[1] };
		if ($fv eq $v)
		{
			# nothing of V yet: no row, or (tx mode none) a row with 0 applied
			return 1 if $k == 0 && (join(' ', @want) eq $revs || join(' ', @want, "$fv:0/$total") eq $revs);
			push @want, "$fv:$k/$total";
			return join(' ', @want) eq $revs;
		}
		push @want, "$fv:$total/$total";
	}
	return 0;
}

# exit code of a finished harness (128 + signal when killed)
sub exit_code
{
	my ($h) = @_;
	my $r = $h->full_result(0);
	return $r & 127 ? 128 + ($r & 127) : $r >> 8;
}

sub run_client
{
	my ($node, $db, $dir, $args, $opts) = @_;
	my @cmd = ($bin, @{ $args // ['apply'] }, '--dir', $dir, '-d', conninfo($node, $db));
	my ($out, $err) = ('', '');
	local $ENV{PGOPTIONS} = $opts if defined $opts;
	my $h = IPC::Run::start(\@cmd, '>', \$out, '2>', \$err);
	return ($h, \$out, \$err);
}

# poll a query until it returns a non-empty value; undef after $secs
sub poll_value
{
	my ($node, $sql, $secs, $stop) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		# psql may exit before it reads its input while the server is
		# restarting; IPC::Run then dies with EPIPE: that is "not yet"
		my ($ret, $out, $err) = (1, undef, undef);
		eval { ($ret, $out, $err) = $node->psql('postgres', $sql); 1 } or $ret = 1;
		return $out if $ret == 0 && defined $out && $out ne '';
		return undef if $stop && $stop->();
		usleep(20_000);
	}
	return undef;
}

sub wait_ready
{
	my ($node) = @_;
	my $v = poll_value($node, 'SELECT 1', 60);
	die "server did not come back after the crash" unless defined $v;
}

# Count the statements a command executes (its kill points).
sub count_points
{
	my ($node, $template, $dir, $args) = @_;
	my $db = "count_$$";
	create_copy($node, $db, $template);
	my $log_start = -s $node->logfile;
	my ($h, $out, $err) = run_client($node, $db, $dir, $args,
		"-c session_preload_libraries=$crashpoint -c crashpoint.stop_at=0");
	$h->finish;
	die "counting run failed: $$err" if exit_code($h) != 0;
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile, $log_start);
	my @n = ($log =~ /crashpoint (\d+): /g);
	sql($node, 'postgres', "DROP DATABASE \"$db\"");
	return scalar @n;
}

# the kill points to try out of 1..$n: all of them in a long run, else
# $want spread evenly (always including the first and the last)
sub choose_points
{
	my ($n, $want) = @_;
	return (1 .. $n) if $long || $want >= $n;
	my %p;
	for my $i (0 .. $want - 1)
	{
		$p{ 1 + int($i * ($n - 1) / ($want - 1) + 0.5) } = 1;
	}
	return sort { $a <=> $b } keys %p;
}

# One kill point: copy the template, start the command stopping at
# statement $point, kill the backend there (or shut the server down in
# immediate mode), recover, check the state, rerun, check convergence.
sub try_point
{
	my (%a) = @_;
	my ($node, $template, $dir, $args, $point, $refs, $final, $files, $how) =
	  @a{qw(node template dir args point refs final files how)};
	my $db = "kp_$point";
	my $t0 = time();
	sql($node, 'postgres', "DROP DATABASE IF EXISTS \"$db\"");
	create_copy($node, $db, $template);
	my ($h, $out, $err) = run_client($node, $db, $dir, $args,
		"-c session_preload_libraries=$crashpoint -c crashpoint.stop_at=$point");
	my $pid = poll_value($node,
		"SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND wait_event = 'Extension'",
		60, sub { !$h->pumpable });
	my $label = "$a{name} kill point $point";
	if (!defined $pid)
	{
		$h->finish;
		fail("$label: the session never stopped (exit code " . exit_code($h) . "): $$err");
		return;
	}
	$figures{points}++;
	if ($how eq 'immediate')
	{
		$node->stop('immediate');
		$node->start;
		$figures{immediate}++;
	}
	else
	{
		kill 'KILL', $pid;
		$figures{sigkill}++;
	}
	$h->finish;
	my $rc = exit_code($h);
	wait_ready($node);
	# 2: connection lost.  0 only when everything was done already (the
	# kill hit the unlock at the very end)
	ok($rc == 2 || $rc == 0, "$label: the client exits with 2 (connection lost) or 0 (done), got $rc");
	if ($rc == 0)
	{
		my ($fp0) = fingerprint($node, $db);
		is($fp0, $final, "$label: the client said it was done, and it was");
	}

	# the state after recovery is a recorded one, and the revisions say so
	my ($fp, $dump, $invalid) = fingerprint($node, $db);
	my $revs = revisions($node, $db);
	my $labels = $refs->{$fp};
	my $ok = 0;
	my $leftover;
	if ($labels)
	{
		for my $l (@$labels)
		{
			$ok = 1 if revisions_agree($revs, $l, $files);
		}
	}
	elsif ($invalid ne '' && ($labels = $refs->{ without_invalid($dump) }))
	{
		# A recorded state plus the invalid index of the interrupted CREATE
		# INDEX CONCURRENTLY that the revisions say comes next: its first
		# transaction committed, its last (which records it) did not.  That
		# is the state PostgreSQL itself leaves, not a half-applied
		# migration: the index is unusable, and the rerun drops it and
		# builds it again (checked below, with the convergence).
		for my $l (@$labels)
		{
			my $index = next_cic_index($l, $files);
			if (revisions_agree($revs, $l, $files) && defined $index && $index eq $invalid)
			{
				$ok = 1;
				$leftover = $index;
			}
		}
	}
	if (!$ok)
	{
		$figures{half}++;
		fail("$label: half-applied state (states @{[ $labels ? join(',', @$labels) : 'none' ]}, revisions \"$revs\")");
		diag($dump) unless $labels;
	}
	else
	{
		$figures{leftover}++ if defined $leftover;
		pass("$label: state " . join(',', @$labels) . " with revisions \"$revs\""
			  . (defined $leftover ? " and the invalid index $leftover of the interrupted statement" : ""));
	}

	# the same command again converges
	($h, $out, $err) = run_client($node, $db, $dir, $args);
	$h->finish;
	my ($fp2) = fingerprint($node, $db);
	my $revs2 = revisions($node, $db);
	my $final_label = $a{final_label}
	  // version_of($files->[-1][0]) . ":" . scalar(@{ $files->[-1][1] });
	my $complete = revisions_agree($revs2, $final_label, $files);
	# a leftover is dropped by the rerun, which says so
	my $dropped = !defined $leftover
	  || $$out =~ /-- dropping invalid index "public\.\Q$leftover\E" left by an interrupted CREATE INDEX CONCURRENTLY/;
	if (exit_code($h) == 0 && $fp2 eq $final && $complete && $dropped)
	{
		$figures{converged}++;
		pass("$label: the rerun converged");
	}
	else
	{
		fail("$label: the rerun did not converge (exit code " . exit_code($h) . ", revisions \"$revs2\""
			  . ($dropped ? "" : ", no drop of the leftover reported") . "): $$err");
	}
	sql($node, 'postgres', "DROP DATABASE \"$db\"");
	note(sprintf("%s: %.2f s", $label, time() - $t0));
}

# The apply fixture: tables, an enum, identity, data, a foreign key, an
# index, a function, a view, a grant, column changes with a rewrite, a
# constraint, a comment; then a file in tx mode none (by directive) with a
# statement that runs outside a transaction.
sub apply_files
{
	my @common = (
		[ '10_users.sql', [
			"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');",
			"CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, mood mood DEFAULT 'ok');",
			"INSERT INTO users (name) VALUES ('ada'), ('grace');",
		] ],
		[ '20_posts.sql', [
			"CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, body text);",
			"CREATE INDEX posts_user_id ON posts (user_id);",
			"INSERT INTO posts SELECT id, id, 'hello; world' FROM users;",
			"CREATE FUNCTION post_count(u bigint) RETURNS bigint LANGUAGE sql STABLE AS \$\$ SELECT count(*) FROM posts WHERE user_id = u \$\$;",
			"CREATE VIEW user_stats AS SELECT id, name, post_count(id) AS posts FROM users;",
			"GRANT SELECT ON user_stats TO PUBLIC;",
		] ],
		[ '30_alter.sql', [
			"ALTER TABLE users ADD COLUMN email text;",
			"UPDATE users SET email = name || '\@example.com';",
			"ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
			"ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
			"ALTER TABLE posts ALTER COLUMN body TYPE varchar(200);",
			"COMMENT ON TABLE posts IS 'posts; with a semicolon';",
		] ],
	);
	my @none_file = (
		[ '40_concurrently.sql', [
			"CREATE INDEX CONCURRENTLY posts_body ON posts (body);",
			"ALTER TABLE posts ADD COLUMN created_on date DEFAULT '2026-01-01';",
			"INSERT INTO posts (id, user_id, body) SELECT id + 10, id, 'again' FROM users;",
		], "-- migrate:txmode none\n" ],
	);
	return (\@common, \@none_file);
}

# Run the apply scenarios named (file, all, none) on a cluster of their own.
sub run_apply_scenarios
{
	my ($cluster, @names) = @_;
	my $node = new_node($cluster);
	my $tmp = PostgreSQL::Test::Utils::tempdir();
	make_template($node, 'tmpl');
	my ($common, $none_file) = apply_files();
	my %scenarios = (
		file => [ [ @$common, @$none_file ], ['apply'] ],
		all  => [ [@$common], [ 'apply', '--tx-mode', 'all' ] ],
		none => [ [@$common], [ 'apply', '--tx-mode', 'none' ] ],
	);
	my $want = $ENV{CRASH_POINTS} // 45;
	# the states of the longest fixture cover those of the shorter one
	my ($refs, $final_all) = references($node, 'tmpl', [ @$common, @$none_file ]);
	my $final_common;
	for my $fp (keys %$refs)
	{
		$final_common = $fp if grep { $_ eq '30:6' } @{ $refs->{$fp} };
	}
	for my $name (@names)
	{
		my ($files, $args) = @{ $scenarios{$name} };
		my $final = $name eq 'file' ? $final_all : $final_common;
		my $dir = "$tmp/$name";
		write_dir($dir, $files);
		my $n = count_points($node, 'tmpl', $dir, $args);
		ok($n > 0, "$name: apply executes $n statements (kill points)");
		my $i = 0;
		for my $p (choose_points($n, $want))
		{
			# every fourth kill point: an immediate shutdown of the whole server
			my $how = ($i++ % 4 == 3) ? 'immediate' : 'kill';
			try_point(name => $name, node => $node, template => 'tmpl', dir => $dir, args => $args,
				point => $p, refs => $refs, final => $final, files => $files, how => $how);
		}
	}
	$node->stop;
}

# Run "migrate down --to-version V" killed at its statement boundaries: the
# fixture is applied to a template first; every state after recovery must
# be the applied one or the target one (the revert is one transaction), and
# the same command again must reach the target.
sub run_revert_scenario
{
	my ($cluster, $target) = @_;
	my $node = new_node($cluster);
	my $tmp = PostgreSQL::Test::Utils::tempdir();
	make_template($node, 'tmpl');
	my ($common) = apply_files();
	my $dir = "$tmp/revert";
	write_dir($dir, $common);
	my ($refs) = references($node, 'tmpl', $common);
	sql($node, 'postgres', 'CREATE DATABASE applied TEMPLATE tmpl');
	my ($h, $out, $err) = run_client($node, 'applied', $dir);
	$h->finish;
	die "applying the fixture failed: $$err" if exit_code($h) != 0;
	reset_sequences($node, 'applied');
	my $target_label;
	for my $f (@$common)
	{
		$target_label = version_of($f->[0]) . ':' . scalar(@{ $f->[1] }) if version_of($f->[0]) eq $target;
	}
	my $final;
	for my $fp (keys %$refs)
	{
		$final = $fp if grep { $_ eq $target_label } @{ $refs->{$fp} };
	}
	# the fixture's data goes with the columns and tables the revert drops
	my $args = [ 'down', '--to-version', $target, '--allow-loss', 'public.users.email',
		'--allow-loss', 'public.posts' ];
	my $n = count_points($node, 'applied', $dir, $args);
	ok($n > 0, "revert: down --to-version $target executes $n statements (kill points)");
	my $want = $ENV{CRASH_POINTS} // 45;
	my $i = 0;
	for my $p (choose_points($n, $want))
	{
		my $how = ($i++ % 4 == 3) ? 'immediate' : 'kill';
		try_point(name => 'revert', node => $node, template => 'applied', dir => $dir, args => $args,
			point => $p, refs => $refs, final => $final, files => $common, how => $how,
			final_label => $target_label);
	}
	$node->stop;
}

sub report
{
	my ($what) = @_;
	diag(sprintf("%s: %d kill points tried (%d SIGKILL of the backend, %d immediate shutdowns), "
		  . "%d half-applied states found, %d recorded states with the invalid index of the "
		  . "interrupted CREATE INDEX CONCURRENTLY, %d reruns converged",
		$what, $figures{points}, $figures{sigkill}, $figures{immediate}, $figures{half},
		$figures{leftover}, $figures{converged}));
	# for regress/crash/run, which adds up the figures of every test file
	if (open my $f, '>>', ($ENV{TESTDIR} // '.') . '/figures')
	{
		print $f "$figures{points} $figures{sigkill} $figures{immediate} $figures{half} "
		  . "$figures{converged} $figures{leftover}\n";
		close $f;
	}
}

1;
