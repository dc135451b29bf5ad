# regress/mysql/kill.pl: SIGKILL the client at every statement of an apply
# and of a revert, run the same command again, compare.
#
# The driver's test hook MIGRATE_MYSQL_TEST_KILL=POINT:N makes the client
# kill itself at the N-th statement it executes: "before" (intent recorded,
# statement not sent), "window" (statement done on the server, its record
# not written) or "after" (statement and record done).
#
# For every kill point the suite checks that
#   - the revisions table tells the truth: the live schema is the state
#     after the number of statements it says are applied (one more when an
#     interrupted schema statement is pending, "window");
#   - rerunning the command exits 0 and reaches the expected schema, with
#     the data of renamed columns and tables intact;
#   - no statement whose effect was already present runs again.

use strict;
use warnings;

our ($LONG);

my @kill_versions = (
	['1_base',
		"CREATE TABLE parent (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(20));\n",
		"CREATE TABLE child (id int PRIMARY KEY, parent_id int, note varchar(10));\n",
		"INSERT INTO parent (name) VALUES ('a'), ('b');\n"],
	['2_links',
		"ALTER TABLE child ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id);\n",
		"ALTER TABLE parent ADD COLUMN code varchar(5) AFTER id;\n",
		"CREATE INDEX ix_note ON child (note);\n",
		"ALTER TABLE parent RENAME COLUMN name TO title;\n"],
	['3_more',
		"CREATE VIEW v_parent AS SELECT id, title FROM parent;\n",
		"ALTER TABLE child MODIFY note varchar(40) NOT NULL DEFAULT '';\n",
		"RENAME TABLE child TO kid;\n",
		"ALTER TABLE parent COMMENT 'parents', ADD UNIQUE KEY uq_code_title (code, title);\n"],
);

my (@stmts, @is_data, %files, @prefix);

sub kill_setup {
	return if @stmts;
	for my $v (@kill_versions) {
		my ($name, @s) = @$v;
		$files{$name} = join('', @s);
		for my $x (@s) {
			(my $t = $x) =~ s/\n$//;
			push @stmts, $t;
			push @is_data, $t =~ /^INSERT/ ? 1 : 0;
		}
	}
	# the schema after each prefix of the statements, run directly
	my $ref = new_db('killref');
	push @prefix, dump_schema($ref);
	for my $s (@stmts) {
		sql($ref, $s);
		push @prefix, dump_schema($ref);
	}
}

sub printed_stmts { return printed_statements(@_); }
sub is_check_line { return is_check_statement(@_); }

sub intent_present {
	my ($db) = @_;
	return sql_value($db, "SELECT COUNT(*) FROM migrate_intent") + 0;
}

# every statement for "after"; "window" and "before" for every statement
# with MIGRATE_LONG=1, else "window" for a few (a data statement among them)
sub kill_plan {
	my ($n) = @_;
	my @plan = map { ['after', $_] } 1 .. $n;
	if ($LONG) {
		push @plan, map { (['window', $_], ['before', $_]) } 1 .. $n;
	}
	else {
		push @plan, map { ['window', $_] } grep { $_ <= $n } (1, 3, 6, $n);
	}
	return @plan;
}

my %stats;

sub t_kill_apply {
	kill_setup();
	my $dir = mkdir_migrations(%files);
	my $n = scalar @stmts;
	my ($tried, $converged, $reexec) = (0, 0, 0);
	{
		for my $pk (kill_plan($n)) {
			my ($point, $k) = @$pk;
			my $db = new_db('kapply');
			my ($c, $o, $e) = migrate($db, $dir, { MIGRATE_MYSQL_TEST_KILL => "$point:$k" }, 'apply');
			next unless ok($c == 137, "apply $point:$k was killed", "exit $c\n$o\n$e");
			$tried++;

			# the revisions table tells the truth
			my $j = applied_sum($db);
			my $pending = intent_present($db);
			my $expect_j = $point eq 'after' ? $k : $k - 1;
			is_eq($j, $expect_j, "apply $point:$k: statements recorded as applied");
			my $live = $point eq 'window' && !$is_data[$k - 1] ? $j + 1 : $j;
			ok($point ne 'window' || $is_data[$k - 1] || $pending, "apply $point:$k: the interrupted statement is pending");
			is_eq(dump_schema($db), $prefix[$live], "apply $point:$k: live schema is the recorded state");

			my @before = printed_stmts($o);
			my ($c2, $o2, $e2) = migrate($db, $dir, 'apply');
			my @again = printed_stmts($o2);
			# statements whose effect was present when the rerun started
			my $present = $point eq 'after' ? $k : ($point eq 'window' && !$is_data[$k - 1] ? $k : $k - 1);
			my %done = map { $_ => 1 } @before[0 .. $present - 1];
			my $re = grep { $done{$_} } @again;
			$reexec += $re;
			is_eq($re, 0, "apply $point:$k: no statement with its effect present ran again");
			if ($point eq 'window' && !$is_data[$k - 1]) {
				like($o2, qr/note: statement \d+ of version \d+ took effect before the previous run was interrupted/,
					"apply $point:$k: the rerun says the statement had taken effect");
			}
			my $ok = $c2 == 0 && dump_schema($db) eq $prefix[$n]
				&& sql($db, "SELECT title FROM parent ORDER BY id") eq "a\nb\n"
				&& applied_sum($db) == $n;
			$converged++ if $ok;
			ok($ok, "apply $point:$k: rerun converges", "exit $c2\n$o2\n$e2");
		}
	}
	$stats{apply} = [$tried, $converged, $reexec];
	print "  apply: kill points tried $tried, reruns converged $converged, "
		. "statements re-executed whose effect was present $reexec\n";
}

sub t_kill_revert {
	kill_setup();
	my $dir = mkdir_migrations(%files);
	my $n = scalar @stmts;
	my $target = scalar(@{$kill_versions[0]}) - 1;	# statements of version 1
	my ($tried, $converged, $reexec) = (0, 0, 0);
	# the number of revert statements: a run without a kill
	my $nrev;
	{
		my $db = new_db('krevert');
		my ($c, $o, $e) = migrate($db, $dir, 'apply');
		return ok(0, "apply for the revert test", $e) if $c != 0;
		($c, $o, $e) = migrate($db, $dir, 'down', '--to-version', '1');
		return ok(0, "revert without a kill", "$o\n$e") if $c != 0;
		is_eq(dump_schema($db), $prefix[$target], "revert without a kill reaches version 1");
		$nrev = grep { !is_check_line($_) } printed_stmts($o);
	}
	{
		for my $pk (kill_plan($nrev)) {
			my ($point, $k) = @$pk;
			my $db = new_db('krevert');
			my ($c, $o, $e) = migrate($db, $dir, 'apply');
			return ok(0, "apply for the revert test", $e) if $c != 0;
			($c, $o, $e) = migrate($db, $dir, { MIGRATE_MYSQL_TEST_KILL => "$point:$k" }, 'down', '--to-version', '1');
			next unless ok($c == 137, "revert $point:$k was killed", "exit $c\n$o\n$e");
			$tried++;

			my $j = applied_sum($db);
			my $pending = intent_present($db);
			my $inflight = sql_value($db, "SELECT COUNT(*) FROM migrate_revert") + 0;
			my $dump = dump_schema($db);
			if ($point eq 'window') {
				ok($pending, "revert $point:$k: the interrupted statement is pending");
				ok($dump eq $prefix[$j] || $dump eq $prefix[$j - 1],
					"revert $point:$k: live schema is the recorded state or one statement further",
					"applied $j\n" . diff_text($prefix[$j], $dump));
			}
			elsif (!$inflight) {
				is_eq($dump, $prefix[$j], "revert $point:$k: live schema is the recorded state ($j applied)");
			}

			my @before = grep { !is_check_line($_) } printed_stmts($o);
			pop @before if $point eq 'before';	# printed, never sent
			my ($c2, $o2, $e2) = migrate($db, $dir, 'down', '--to-version', '1');
			my %done = map { $_ => 1 } @before;
			my $re = grep { !is_check_line($_) && $done{$_} } printed_stmts($o2);
			$reexec += $re;
			is_eq($re, 0, "revert $point:$k: no statement with its effect present ran again");
			my $ok = $c2 == 0 && dump_schema($db) eq $prefix[$target]
				&& sql($db, "SELECT name FROM parent ORDER BY id") eq "a\nb\n"
				&& join(',', map { $_->[0] } revisions($db)) eq '1';
			$converged++ if $ok;
			ok($ok, "revert $point:$k: rerun converges", "exit $c2\n$o2\n$e2\n" . diff_text($prefix[$target], dump_schema($db)));
		}
	}
	$stats{revert} = [$tried, $converged, $reexec];
	print "  revert: kill points tried $tried, reruns converged $converged, "
		. "statements re-executed whose effect was present $reexec\n";
}

sub kill_tests {
	return (
		['kill: apply, every statement', \&t_kill_apply],
		['kill: revert, every statement', \&t_kill_revert],
	);
}

1;
