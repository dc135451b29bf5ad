#!/usr/bin/env perl
# proptest.pl: property test of the SQLite revert.
#
#   proptest.pl --bin MIGRATE --dir SCRATCH [--long] [--seed N] [--histories N] [--steps N]
#
# Generates random migration histories (seeded, so a failure can be
# replayed with --seed), over tables, columns (add, drop, rename), table
# renames, rebuilds in the "create new, copy, drop, rename" style, indexes
# (unique, partial), views and triggers, with rows inserted when a table is
# created and a table made by hand that no migration touches.  For each
# history it applies every version, then:
#
#   - reverts the full database to every earlier version V (a copy each
#     time) and compares it with a fresh database migrated only to V: the
#     normalised sqlite_master must be equal, and so must the rows of every
#     table and column that existed at V and that no later version dropped
#     (those the revert promises to keep);
#   - reverts one version at a time from the top to nothing, comparing at
#     each step, then applies everything again and compares with the top.
#
# Data that later versions put into columns they added is allowed to go
# (--allow-loss for every table): the loss checks have their own tests.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use Getopt::Long;
use SqTest qw(sqlite schema_dump);

my ($bin, $dir, $long, $seed0, $nhist, $nsteps) = (undef, undef, 0, 1000, undef, undef);
GetOptions('bin=s' => \$bin, 'dir=s' => \$dir, 'long' => \$long, 'seed=i' => \$seed0,
		   'histories=i' => \$nhist, 'steps=i' => \$nsteps)
  or die "usage: proptest.pl --bin MIGRATE --dir SCRATCH [--long] [--seed N]\n";
die "--bin and --dir are required\n" unless $bin && $dir;
$nhist //= $long ? 20 : 5;
$nsteps //= $long ? 36 : 24;

# ------------------------------------------------------------------------
# the model of a schema, and random valid changes to it
# ------------------------------------------------------------------------
my ($M, $counter);

sub fresh { return $_[0] . ++$counter; }
sub pick { my @a = @_; return @a ? $a[int(rand(@a))] : undef; }
sub live_tables { return grep { !$_->{dropped} } values %{ $M->{tables} }; }

sub col_def
{
	my ($c) = @_;
	my $d = "$c->{name} $c->{type}";
	$d .= " NOT NULL" if $c->{notnull};
	$d .= " DEFAULT $c->{default}" if defined $c->{default};
	$d .= " UNIQUE" if $c->{unique};
	$d .= " CHECK ($c->{name} >= 0)" if $c->{check};
	$d .= " REFERENCES $M->{tables}{$c->{fk}}{name} (id)" if $c->{fk};
	return $d;
}

sub value
{
	my ($c, $row) = @_;
	return 'NULL' if $c->{fk};
	return $c->{type} eq 'INTEGER' ? 10 * $row + int(rand(9)) : "'v${row}_" . int(rand(1000)) . "'";
}

# a column is pinned when something else names it: dropping it would fail
sub pinned
{
	my ($t, $c) = @_;
	return 1 if $c->{unique} || $c->{fk} || $c->{name} eq 'id';
	return 1 if grep { my $k = $_; grep { $_ == $c->{id} } @{ $k->{cols} } } @{ $t->{keys} };
	for my $o (values %{ $M->{deps} })
	{
		return 1 if grep { $_ eq "$t->{id}.$c->{id}" } @{ $o->{cols} };
	}
	return 0;
}

# is table t named by something other than its own indexes and triggers?
sub referenced
{
	my ($t) = @_;
	for my $o (values %{ $M->{deps} })
	{
		next if $o->{kind} ne 'view' && $o->{table} == $t->{id};
		return 1 if grep { $_ == $t->{id} } @{ $o->{tables} };
	}
	for my $u (live_tables())
	{
		return 1 if $u->{id} != $t->{id} && grep { ($_->{fk} // 0) == $t->{id} } @{ $u->{cols} };
	}
	return 0;
}

sub new_column
{
	my ($adding) = @_;
	my $c = { id => ++$counter, name => fresh('c'), type => pick('INTEGER', 'TEXT') };
	my $r = rand();
	if ($r < 0.2) { $c->{notnull} = 1; $c->{default} = $c->{type} eq 'INTEGER' ? 7 : "'d'"; }
	elsif ($r < 0.35) { $c->{default} = $c->{type} eq 'INTEGER' ? 0 : "'x'"; }
	elsif ($r < 0.45 && !$adding) { $c->{unique} = 1; }
	elsif ($r < 0.55 && $c->{type} eq 'INTEGER') { $c->{check} = 1; }
	elsif ($r < 0.65)
	{
		my $p = pick(live_tables());
		if ($p) { $c->{fk} = $p->{id}; $c->{type} = 'INTEGER'; }
	}
	return $c;
}

# the CREATE TABLE text of a table of the model, under a given name
sub table_sql
{
	my ($t, $name) = @_;
	my @defs = map { $_->{name} eq 'id' ? 'id INTEGER PRIMARY KEY' : col_def($_) } @{ $t->{cols} };
	for my $k (@{ $t->{keys} })
	{
		my @names = map { my $id = $_; (grep { $_->{id} == $id } @{ $t->{cols} })[0]{name} } @{ $k->{cols} };
		push @defs, $k->{kind} eq 'unique' ? "UNIQUE (" . join(', ', @names) . ")"
		  : "CHECK ($names[0] IS NULL OR $names[0] <> '')";
	}
	return "CREATE TABLE $name (\n    " . join(",\n    ", @defs) . "\n)"
	  . ($t->{wr} ? " WITHOUT ROWID" : '') . ";\n";
}

sub op_create_table
{
	my $t = { id => ++$counter, name => fresh('t'), cols => [], keys => [], rows => 2 + int(rand(3)),
			  wr => rand() < 0.15 };
	push @{ $t->{cols} }, { id => ++$counter, name => 'id', type => 'INTEGER' };
	push @{ $t->{cols} }, new_column(0) for 1 .. 1 + int(rand(3));
	my @plain = grep { $_->{name} ne 'id' && !defined $_->{default} } @{ $t->{cols} };
	if (@plain >= 2 && rand() < 0.3)
	{
		push @{ $t->{keys} }, { kind => 'unique', cols => [$plain[0]{id}, $plain[1]{id}] };
	}
	elsif (@plain && rand() < 0.3)
	{
		push @{ $t->{keys} }, { kind => 'check', cols => [$plain[0]{id}] };
	}
	$M->{tables}{ $t->{id} } = $t;
	my $sql = table_sql($t, $t->{name});
	my @cols = @{ $t->{cols} };
	for my $row (1 .. $t->{rows})
	{
		$sql .= "INSERT INTO $t->{name} (" . join(', ', map { $_->{name} } @cols) . ") VALUES ("
		  . join(', ', map { $_->{name} eq 'id' ? $row : value($_, $row) } @cols) . ");\n";
	}
	return $sql;
}

sub op_drop_table
{
	my $t = pick(grep { !referenced($_) } live_tables()) or return;
	$t->{dropped} = 1;
	delete $M->{deps}{$_} for grep { $M->{deps}{$_}{table} == $t->{id} } keys %{ $M->{deps} };
	return "DROP TABLE $t->{name};\n";
}

sub op_rename_table
{
	my $t = pick(live_tables()) or return;
	my $old = $t->{name};
	$t->{name} = fresh('r');
	return "ALTER TABLE $old RENAME TO $t->{name};\n";
}

sub op_add_column
{
	my $t = pick(live_tables()) or return;
	my $c = new_column(1);
	push @{ $t->{cols} }, $c;
	return "ALTER TABLE $t->{name} ADD COLUMN " . col_def($c) . ";\n";
}

sub op_drop_column
{
	my @cand;
	for my $t (live_tables())
	{
		push @cand, map { [$t, $_] } grep { !pinned($t, $_) } @{ $t->{cols} };
	}
	my $p = pick(@cand) or return;
	my ($t, $c) = @$p;
	@{ $t->{cols} } = grep { $_ != $c } @{ $t->{cols} };
	return "ALTER TABLE $t->{name} DROP COLUMN $c->{name};\n";
}

sub op_rename_column
{
	my @cand;
	for my $t (live_tables()) { push @cand, map { [$t, $_] } grep { $_->{name} ne 'id' } @{ $t->{cols} }; }
	my $p = pick(@cand) or return;
	my ($t, $c) = @$p;
	my $old = $c->{name};
	$c->{name} = fresh('c');
	return "ALTER TABLE $t->{name} RENAME COLUMN $old TO $c->{name};\n";
}

sub colname
{
	my ($ref) = @_;
	my ($tid, $cid) = split /\./, $ref;
	my ($c) = grep { $_->{id} == $cid } @{ $M->{tables}{$tid}{cols} };
	return $c->{name};
}

sub op_create_index
{
	my $t = pick(live_tables()) or return;
	my @cols = grep { $_->{name} ne 'id' } @{ $t->{cols} };
	my $c = pick(@cols) or return;
	my $i = { kind => 'index', name => fresh('i'), table => $t->{id}, tables => [$t->{id}],
			  cols => ["$t->{id}.$c->{id}"] };
	$M->{deps}{ $i->{name} } = $i;
	# unique only where the rows hold distinct values (or NULL)
	my $unique = rand() < 0.4 && !defined $c->{default} ? 'UNIQUE ' : '';
	my $where = rand() < 0.3 ? " WHERE $c->{name} IS NOT NULL" : '';
	my $desc = rand() < 0.3 ? ' DESC' : '';
	return "CREATE ${unique}INDEX $i->{name} ON $t->{name} ($c->{name}$desc)$where;\n";
}

sub op_create_view
{
	my $base = pick(grep { $_->{kind} eq 'view' } values %{ $M->{deps} });
	if ($base && rand() < 0.25)
	{
		my $v = { kind => 'view', name => fresh('v'), table => 0, tables => [@{ $base->{tables} }],
				  cols => [@{ $base->{cols} }], views => [$base->{name}] };
		$M->{deps}{ $v->{name} } = $v;
		return "CREATE VIEW $v->{name} AS SELECT * FROM $base->{name} WHERE id > 0;\n";
	}
	my $t = pick(live_tables()) or return;
	my $c = pick(grep { $_->{name} ne 'id' } @{ $t->{cols} }) or return;
	my $v = { kind => 'view', name => fresh('v'), table => 0, tables => [$t->{id}],
			  cols => ["$t->{id}.$c->{id}"] };
	$M->{deps}{ $v->{name} } = $v;
	return "CREATE VIEW $v->{name} AS\n    SELECT id, $c->{name} FROM $t->{name} WHERE $c->{name} IS NOT NULL;\n";
}

sub op_create_trigger
{
	my $t = pick(live_tables()) or return;
	my $c = pick(grep { $_->{name} ne 'id' } @{ $t->{cols} });
	my $g = { kind => 'trigger', name => fresh('g'), table => $t->{id}, tables => [$t->{id}], cols => [] };
	$M->{deps}{ $g->{name} } = $g;
	if ($c && rand() < 0.6)
	{
		push @{ $g->{cols} }, "$t->{id}.$c->{id}";
		return "CREATE TRIGGER $g->{name} AFTER UPDATE OF $c->{name} ON $t->{name}\nBEGIN\n"
		  . "    UPDATE $t->{name} SET $c->{name} = $c->{name} WHERE id = -1;\nEND;\n";
	}
	return "CREATE TRIGGER $g->{name} AFTER INSERT ON $t->{name}\nBEGIN\n    SELECT 1;\nEND;\n";
}

sub op_drop_dep
{
	my ($kind) = @_;
	my @used = map { @{ $_->{views} // [] } } values %{ $M->{deps} };
	my $o = pick(grep { my $n = $_->{name}; $_->{kind} eq $kind && !grep { $_ eq $n } @used }
				 values %{ $M->{deps} }) or return;
	delete $M->{deps}{ $o->{name} };
	return "DROP " . uc($kind) . " $o->{name};\n";
}

# the usual SQLite way to change what ALTER TABLE cannot: new table, copy, drop, rename
sub op_rebuild
{
	my $t = pick(grep { !referenced($_) } live_tables()) or return;
	my @keep = @{ $t->{cols} };
	my $drop = pick(grep { !pinned($t, $_) } @keep);
	@keep = grep { !$drop || $_ != $drop } @keep if rand() < 0.5;
	my $retype = pick(grep { $_->{name} ne 'id' && !$_->{fk} && !$_->{check} } @keep);
	$retype->{type} = $retype->{type} eq 'TEXT' ? 'INTEGER' : 'TEXT' if $retype && rand() < 0.5;
	my @new = (@keep, new_column(1));
	my $tmp = fresh('tmp_');
	my $list = join(', ', map { $_->{name} } @keep);
	$t->{cols} = \@new;
	my $sql = table_sql($t, $tmp)
	  . "INSERT INTO $tmp ($list) SELECT $list FROM $t->{name};\n"
	  . "DROP TABLE $t->{name};\n"
	  . "ALTER TABLE $tmp RENAME TO $t->{name};\n";
	$t->{cols} = \@new;
	# its indexes and triggers went with the old table
	delete $M->{deps}{$_} for grep { $M->{deps}{$_}{table} == $t->{id} } keys %{ $M->{deps} };
	return $sql;
}

my @ops = (
	[\&op_create_table, 4], [\&op_drop_table, 1], [\&op_rename_table, 1],
	[\&op_add_column, 3], [\&op_drop_column, 2], [\&op_rename_column, 2],
	[\&op_create_index, 2], [sub { op_drop_dep('index') }, 1],
	[\&op_create_view, 2], [sub { op_drop_dep('view') }, 1],
	[\&op_create_trigger, 2], [sub { op_drop_dep('trigger') }, 1],
	[\&op_rebuild, 2],
);

sub random_op
{
	my $total = 0;
	$total += $_->[1] for @ops;
	for (1 .. 20)
	{
		my $r = rand($total);
		for my $o (@ops)
		{
			if (($r -= $o->[1]) < 0)
			{
				my $sql = $o->[0]->();
				return $sql if $sql;
				last;
			}
		}
	}
	return op_create_table();
}

# snapshot of identities: table id -> { name, cols => { col id -> name } }
sub identities
{
	my %s;
	for my $t (live_tables())
	{
		$s{ $t->{id} } = { name => $t->{name}, cols => { map { $_->{id} => $_->{name} } @{ $t->{cols} } } };
	}
	return \%s;
}

# ------------------------------------------------------------------------
# running and comparing
# ------------------------------------------------------------------------
my ($failures, $histories, $versions_checked) = (0, 0, 0);
my %want_rows;

sub run_migrate
{
	my ($what, @args) = @_;
	my $out = `"$bin" @args 2>&1`;
	return ($? >> 8, $out);
}

sub fail
{
	my ($msg) = @_;
	$failures++;
	print "proptest: FAIL: $msg\n";
}

sub make_db
{
	my ($db) = @_;
	unlink $db;
	sqlite($db, "CREATE TABLE hand (x TEXT PRIMARY KEY, y INTEGER); INSERT INTO hand VALUES ('kept', 1);");
}

# rows of the tables and columns a revert to $v promises to keep, in one query
sub promised_rows
{
	my ($db, $snaps, $v, $top) = @_;
	my $sql = "SELECT x, y FROM hand ORDER BY 1;";
	my $at = $snaps->[$v];
	for my $tid (sort { $a <=> $b } keys %$at)
	{
		my @cids = sort { $a <=> $b } keys %{ $at->{$tid}{cols} };
		for my $w ($v + 1 .. $top)
		{
			my $later = $snaps->[$w]{$tid};
			@cids = $later ? grep { exists $later->{cols}{$_} } @cids : ();
		}
		next unless @cids;
		my @names = map { $at->{$tid}{cols}{$_} } @cids;
		push @names, 'id' unless grep { $_ eq 'id' } @names;
		my $order = join(', ', 1 .. scalar(@names));
		$sql .= "SELECT '-- $at->{$tid}{name}'; SELECT " . join(', ', @names)
		  . " FROM $at->{$tid}{name} ORDER BY $order;";
	}
	return sqlite($db, $sql, 'quote');
}

sub compare
{
	my ($label, $db, $want_schema, $want_rows_db, $snaps, $v, $top) = @_;
	my $got = schema_dump($db);
	if ($got ne $want_schema->[$v])
	{
		fail("$label: schema differs from a fresh database at version $v");
		open(my $a, '>', "$db.got"); print $a $got; close $a;
		open(my $b, '>', "$db.want"); print $b $want_schema->[$v]; close $b;
		print `diff "$db.want" "$db.got" | head -20`;
		return 0;
	}
	my $rows = promised_rows($db, $snaps, $v, $top);
	my $want = $want_rows{"$want_rows_db->[$v] $top"} //= promised_rows($want_rows_db->[$v], $snaps, $v, $top);
	if ($rows ne $want)
	{
		fail("$label: rows differ from a fresh database at version $v");
		print "want:\n$want\ngot:\n$rows\n";
		return 0;
	}
	$versions_checked++;
	return 1;
}

sub one_history
{
	my ($h, $seed) = @_;
	srand($seed);
	$M = { tables => {}, deps => {} };
	$counter = 0;
	my $hd = "$dir/h$h";
	remove_tree($hd);
	make_path("$hd/m");
	my @snaps = ({});
	my @names;
	for my $v (1 .. $nsteps)
	{
		my $sql = "-- history $h (seed $seed), version $v\n";
		$sql .= random_op() for 1 .. 1 + int(rand(3));
		open(my $f, '>', "$hd/m/${v}_step.sql") or die "$hd/m: $!";
		print $f $sql;
		close $f;
		push @snaps, identities();
	}
	my %allnames;
	for my $t (values %{ $M->{tables} }) { $allnames{$_} = 1 for ($t->{name}); }
	# every name a table ever had, for --allow-loss
	for my $f (glob("$hd/m/*.sql"))
	{
		open(my $in, '<', $f);
		local $/;
		my $text = <$in>;
		$allnames{$1} = 1 while $text =~ /\b((?:t|r|tmp_)\d+)\b/g;
	}
	my @allow = map { "--allow-loss=$_" } sort keys %allnames;
	my ($rc, $out) = run_migrate('hash', 'hash', "--dir=$hd/m");
	return fail("history $h: migrate hash failed: $out") if $rc;

	# fresh databases at every version
	my (@want_schema, @want_db);
	my $fresh = "$hd/fresh.db";
	make_db($fresh);
	$want_schema[0] = schema_dump($fresh);
	copy($fresh, "$hd/fresh0.db");
	$want_db[0] = "$hd/fresh0.db";
	for my $v (1 .. $nsteps)
	{
		($rc, $out) = run_migrate('apply', 'apply', "--url=sqlite://$fresh", "--dir=$hd/m", '--allow-dirty', 1);
		return fail("history $h (seed $seed): applying version $v failed:\n$out") if $rc;
		$want_schema[$v] = schema_dump($fresh);
		copy($fresh, "$hd/fresh$v.db");
		$want_db[$v] = "$hd/fresh$v.db";
	}
	my $full = "$hd/full.db";
	make_db($full);
	($rc, $out) = run_migrate('apply', 'apply', "--url=sqlite://$full", "--dir=$hd/m", '--allow-dirty');
	return fail("history $h: applying everything failed:\n$out") if $rc;
	compare("history $h, all applied", $full, \@want_schema, \@want_db, \@snaps, $nsteps, $nsteps);

	# jump to every earlier version
	for my $v (reverse 0 .. $nsteps - 1)
	{
		my $r = "$hd/jump.db";
		copy($full, $r);
		my @target = $v ? ("--to-version=$v") : ($nsteps);
		($rc, $out) = run_migrate('down', 'down', "--url=sqlite://$r", @target, @allow);
		if ($rc)
		{
			fail("history $h (seed $seed): down to version $v failed:\n$out");
			next;
		}
		compare("history $h (seed $seed), down to $v", $r, \@want_schema, \@want_db, \@snaps, $v, $nsteps);
	}
	# step by step to nothing, then everything again
	my $c = "$hd/chain.db";
	copy($full, $c);
	for my $v (reverse 0 .. $nsteps - 1)
	{
		($rc, $out) = run_migrate('down', 'down', "--url=sqlite://$c", @allow);
		if ($rc)
		{
			fail("history $h (seed $seed): step down to version $v failed:\n$out");
			last;
		}
		last unless compare("history $h (seed $seed), step down to $v", $c, \@want_schema, \@want_db,
							\@snaps, $v, $nsteps);
	}
	($rc, $out) = run_migrate("apply", "apply", "--url=sqlite://$c", "--dir=$hd/m", "--allow-dirty");
	if ($rc) { fail("history $h: applying again after reverting everything failed:\n$out"); }
	else { compare("history $h, applied again", $c, \@want_schema, \@want_db, \@snaps, $nsteps, $nsteps); }
	$histories++;
	remove_tree($hd) unless $failures;
}

make_path($dir);
for my $h (1 .. $nhist)
{
	one_history($h, $seed0 + $h);
}
print "proptest: $histories histories of $nsteps versions, $versions_checked versions checked, $failures failures\n";
exit($failures ? 1 : 0);
