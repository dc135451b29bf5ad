# regress/crash/t/003_concurrently.pl: CREATE INDEX CONCURRENTLY interrupted
# while it waits for an older transaction (its last phase), the way an
# operator ends a migration that hangs: the backend is killed, or the
# server shut down in immediate mode.  PostgreSQL leaves an invalid index
# behind; the revisions say the statement did not run; running the same
# command again must drop that index, build it again and finish the file,
# also when that rerun is itself killed at any of its statement boundaries.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin . '/..';
use CrashLib;
use Test::More;
use Time::HiRes qw(usleep);

$ENV{CRASH_PORT} += 2 if $ENV{CRASH_PORT};
my $node = CrashLib::new_node('concurrently');
my $tmp = PostgreSQL::Test::Utils::tempdir();
CrashLib::make_template($node, 'tmpl');
CrashLib::sql($node, 'postgres', 'CREATE DATABASE cic TEMPLATE tmpl');

my $files = [
	[ '10_t.sql', [ "CREATE TABLE t (a integer, b text);", "INSERT INTO t SELECT i, i::text FROM generate_series(1, 1000) i;" ] ],
	[ '20_index.sql', [ "CREATE INDEX CONCURRENTLY t_b ON t (b);", "ALTER TABLE t ADD COLUMN c integer;" ],
	  "-- migrate:txmode none\n" ],
];
CrashLib::write_dir("$tmp/dir", $files);
my ($refs, $final) = CrashLib::references($node, 'tmpl', $files);

for my $how ('kill', 'immediate')
{
	my $db = "cic_$how";
	CrashLib::create_copy($node, $db, 'tmpl');
	# an open transaction that the index build must wait for
	my $blocker = $node->background_psql($db);
	$blocker->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pg_class;');
	my ($h, $out, $err) = CrashLib::run_client($node, $db, "$tmp/dir");
	my $pid = CrashLib::poll_value($node,
		"SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND query LIKE 'CREATE INDEX CONCURRENTLY%'"
		  . " AND wait_event_type = 'Lock'", 60, sub { !$h->pumpable });
	ok(defined $pid, "$how: CREATE INDEX CONCURRENTLY waits for the open transaction");
	if ($how eq 'kill')
	{
		kill 'KILL', $pid;
	}
	else
	{
		$node->stop('immediate');
		$node->start;
	}
	$h->finish;
	eval { $blocker->quit; };
	CrashLib::wait_ready($node);
	my ($fp, $dump, $invalid) = CrashLib::fingerprint($node, $db);
	my $revs = CrashLib::revisions($node, $db);
	ok(CrashLib::revisions_agree($revs, '20:0', $files), "$how: the revisions say the index was not created");
	is($invalid, 't_b', "$how: the interrupted build left its invalid index");
	ok(defined $refs->{ CrashLib::without_invalid($dump) },
		"$how: apart from that index, the database is in a recorded state");
	if ($how eq 'kill')
	{
		# the state with the leftover, for the kill points of the rerun below
		CrashLib::sql($node, 'postgres', "CREATE DATABASE cic_left TEMPLATE $db");
		CrashLib::reset_sequences($node, 'cic_left');
	}
	($h, $out, $err) = CrashLib::run_client($node, $db, "$tmp/dir");
	$h->finish;
	my ($fp2, undef, $invalid2) = CrashLib::fingerprint($node, $db);
	my $rc = CrashLib::exit_code($h);
	like($$out, qr/-- dropping invalid index "public\.t_b" left by an interrupted CREATE INDEX CONCURRENTLY\n\s+-> DROP INDEX CONCURRENTLY public\.t_b\n\s+-> CREATE INDEX CONCURRENTLY t_b ON t \(b\);/,
		"$how: the rerun drops the invalid index before it builds it again");
	ok($rc == 0 && $fp2 eq $final && $invalid2 eq '', "$how: running apply again finishes the file (exit code $rc): $$err");
	ok(CrashLib::revisions_agree(CrashLib::revisions($node, $db), '20:2', $files),
		"$how: the revisions say the file is complete");
}

# The rerun itself killed at its statement boundaries: while it reads the
# leftover, drops it (DROP INDEX CONCURRENTLY commits in steps), records
# the attempt, builds the index again and finishes the file.  Each state
# after recovery is a recorded one, with or without the leftover, and one
# more rerun converges (see CrashLib::try_point).
my $n = CrashLib::count_points($node, 'cic_left', "$tmp/dir", ['apply']);
ok($n > 0, "rerun: apply executes $n statements (kill points)");
my $i = 0;
for my $p (CrashLib::choose_points($n, $ENV{CRASH_POINTS} // 45))
{
	my $how = ($i++ % 4 == 3) ? 'immediate' : 'kill';
	CrashLib::try_point(name => 'rerun', node => $node, template => 'cic_left', dir => "$tmp/dir",
		args => ['apply'], point => $p, refs => $refs, final => $final, files => $files, how => $how);
}

$node->stop;
CrashLib::report('rerun of an interrupted CREATE INDEX CONCURRENTLY');
done_testing();
