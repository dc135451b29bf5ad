# regress/mysql/property.pl: random migration histories.
#
# A seeded generator writes a history of versions (one to three statements
# each) over the object kinds the driver covers, keeping a model of the
# schema so that every statement is valid.  For each history:
#   - database B is migrated one version at a time; its schema after each
#     version is the expected state of that version;
#   - database A is migrated to the end, then reverted one version at a
#     time, and after each revert its schema must equal B's at that version
#     (SHOW CREATE of every table, view, trigger and routine; AUTO_INCREMENT
#     counters removed, keys in category order: see canonical_keys in
#     lib.pl);
#   - A is then migrated to the end again and reverted with one
#     --to-version jump, compared the same way.
#
# MIGRATE_MYSQL_SEED fixes the first seed; MIGRATE_LONG=1 runs more and
# longer histories; MIGRATE_MYSQL_HISTORIES and MIGRATE_MYSQL_VERSIONS set
# their number and length (to replay one seed).

use strict;
use warnings;

our ($LONG);

my $rng = 1;

sub rnd {
	my ($n) = @_;
	$rng = ($rng * 1103515245 + 12345) % 2147483648;
	return int(($rng / 2147483648) * $n);
}

sub pick { return $_[rnd(scalar @_)]; }
sub chance { my ($p) = @_; return rnd(1000) < $p * 1000; }

# ---- the model ---------------------------------------------------------------
#
# table: { cols => [ {name, type, def, gen} ], ai => bool, comment,
#          idx => { name => {kind, cols => [[col, prefix]]} },
#          fks => { name => col }, checks => { name => col }, order => n }
# views: { name => {table, cols} }, trigs: { name => {table, key} }

my (%T, %V, %G, $seq);

sub uid { my ($p) = @_; return $p . (++$seq); }

sub col_def {
	my (%o) = @_;
	my $k = $o{kind} // pick(qw(int int bigint vc vc text dec dt enum));
	my ($type, $def);
	my $null = chance(0.7);
	if ($k eq 'int') {
		$type = 'int';
		$def = 'int' . ($null ? '' : ' NOT NULL') . (chance(0.3) ? ' DEFAULT ' . rnd(100) : '');
	}
	elsif ($k eq 'bigint') {
		$type = 'bigint';
		$def = 'bigint unsigned' . ($null ? '' : ' NOT NULL DEFAULT 0');
	}
	elsif ($k eq 'vc') {
		my $len = pick(20, 40, 100);
		$type = "vc$len";
		$def = "varchar($len)" . (chance(0.2) ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : '')
			. ($null ? '' : ' NOT NULL') . (chance(0.3) ? " DEFAULT 'x'" : '');
	}
	elsif ($k eq 'text') {
		$type = 'text';
		$def = 'text' . ($null ? '' : ' NOT NULL');
	}
	elsif ($k eq 'dec') {
		$type = 'dec';
		$def = 'decimal(8,2)' . ($null ? '' : ' NOT NULL') . ' DEFAULT 1.50';
	}
	elsif ($k eq 'dt') {
		$type = 'dt';
		$def = pick('datetime', 'datetime(3)', 'date') . ($null ? '' : ' NOT NULL');
	}
	else {
		$type = 'enum';
		$def = "enum('a','b','c')" . ($null ? '' : ' NOT NULL') . " DEFAULT 'a'";
	}
	$def .= " COMMENT 'c" . rnd(9) . "'" if chance(0.2);
	return {type => $type, def => $def, gen => 0};
}

sub qi { my ($n) = @_; return "`$n`"; }

sub col_used {
	my ($t, $c) = @_;
	my $tb = $T{$t};
	for my $i (values %{$tb->{idx}}) {
		return 1 if grep { $_->[0] eq $c } @{$i->{cols}};
	}
	return 1 if grep { $_ eq $c } values %{$tb->{fks}};
	return 1 if grep { $_ eq $c } values %{$tb->{checks}};
	for my $v (values %V) {
		return 1 if $v->{table} eq $t && grep { $_ eq $c } @{$v->{cols}};
	}
	return 0;
}

sub referenced {
	my ($t) = @_;
	for my $o (keys %T) {
		for my $fk (keys %{$T{$o}{fks}}) {
			return 1 if $T{$o}{fkref}{$fk} eq $t;
		}
	}
	return 0;
}

sub has_view { my ($t) = @_; return grep { $_->{table} eq $t } values %V; }

sub user_cols { my ($t) = @_; return grep { $_->{name} ne 'id' } @{$T{$t}{cols}}; }

sub find_col { my ($t, $c) = @_; for my $x (@{$T{$t}{cols}}) { return $x if $x->{name} eq $c; } return undef; }

sub tables { return sort keys %T; }

# ---- operations: each returns a statement, or undef when not applicable ----------

sub op_create_table {
	my $t = uid('t');
	my @cols = ({name => 'id', type => 'int', def => 'int NOT NULL AUTO_INCREMENT', gen => 0});
	for (1 .. 1 + rnd(3)) {
		my $c = col_def();
		$c->{name} = uid('c');
		push @cols, $c;
	}
	$T{$t} = {cols => \@cols, ai => 1, idx => {}, fks => {}, fkref => {}, checks => {}};
	my $opts = '';
	$opts .= " COMMENT 'table $t'" if chance(0.3);
	$opts .= ' DEFAULT CHARSET=utf8mb4' if chance(0.3);
	return "CREATE TABLE " . qi($t) . " (" . join(', ', map { qi($_->{name}) . " $_->{def}" } @cols)
		. ", PRIMARY KEY (`id`))$opts";
}

sub op_drop_table {
	my @c = grep { !referenced($_) && !has_view($_) } tables();
	return undef if @c < 2 && keys(%T) < 3;
	return undef unless @c;
	my $t = pick(@c);
	delete $T{$t};
	delete $G{$_} for grep { $G{$_}{table} eq $t } keys %G;
	return "DROP TABLE " . qi($t);
}

sub op_add_column {
	my @t = tables() or return undef;
	my $t = pick(@t);
	my $c = col_def();
	$c->{name} = uid('c');
	my $pos = '';
	my $cols = $T{$t}{cols};
	if (chance(0.3)) {
		my $after = pick(@$cols);
		$pos = " AFTER " . qi($after->{name});
		my ($i) = grep { $cols->[$_]{name} eq $after->{name} } 0 .. $#$cols;
		splice @$cols, $i + 1, 0, $c;
	}
	else {
		push @$cols, $c;
	}
	return "ALTER TABLE " . qi($t) . " ADD COLUMN " . qi($c->{name}) . " $c->{def}$pos";
}

sub op_drop_column {
	my @cand;
	for my $t (tables()) {
		my @u = user_cols($t);
		next if @u < 2;
		push @cand, map { [$t, $_->{name}] } grep { !col_used($t, $_->{name}) } @u;
	}
	return undef unless @cand;
	my ($t, $c) = @{pick(@cand)};
	$T{$t}{cols} = [grep { $_->{name} ne $c } @{$T{$t}{cols}}];
	return "ALTER TABLE " . qi($t) . " DROP COLUMN " . qi($c);
}

sub op_modify_column {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } grep {
			!$_->{gen} && !grep { my $x = $_; 0 } ()
		} user_cols($t);
	}
	@cand = grep {
		my ($t, $c) = @$_;
		!(grep { $_ eq $c->{name} } values %{$T{$t}{fks}}) && !(grep { $_ eq $c->{name} } values %{$T{$t}{checks}})
	} @cand;
	return undef unless @cand;
	my ($t, $c) = @{pick(@cand)};
	my $indexed = col_used($t, $c->{name});
	my $kind = $c->{type} =~ /^vc/ ? 'vc' : $c->{type};
	# indexed columns keep their family and enough length for prefixes
	my $n;
	for (1 .. 5) {
		$n = col_def(kind => ($indexed || chance(0.5)) ? $kind : undef);
		last unless $indexed && $n->{type} =~ /^vc(\d+)/ && $1 < 20;
	}
	# a full-text or prefix index needs a string column
	return undef if $indexed && ($kind eq 'text') != ($n->{type} eq 'text');
	$n->{name} = $c->{name};
	%$c = %$n;
	my $pos = '';
	if (chance(0.3)) {
		my $cols = $T{$t}{cols};
		my @others = grep { $_->{name} ne $c->{name} } @$cols;
		my $after = pick(@others);
		$pos = " AFTER " . qi($after->{name});
		@$cols = grep { $_->{name} ne $c->{name} } @$cols;
		my ($i) = grep { $cols->[$_]{name} eq $after->{name} } 0 .. $#$cols;
		splice @$cols, $i + 1, 0, $c;
	}
	return "ALTER TABLE " . qi($t) . " MODIFY COLUMN " . qi($c->{name}) . " $c->{def}$pos";
}

sub op_rename_column {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } grep {
			my $n = $_->{name};
			!$_->{gen} && !(grep { $_ eq $n } values %{$T{$t}{fks}})
				&& !(grep { $_->{table} eq $t && grep { $_ eq $n } @{$_->{cols}} } values %V)
		} user_cols($t);
	}
	return undef unless @cand;
	my ($t, $c) = @{pick(@cand)};
	my $old = $c->{name};
	my $new = uid('r');
	$c->{name} = $new;
	for my $i (values %{$T{$t}{idx}}) {
		$_->[0] = $new for grep { $_->[0] eq $old } @{$i->{cols}};
	}
	for my $k (keys %{$T{$t}{checks}}) {
		$T{$t}{checks}{$k} = $new if $T{$t}{checks}{$k} eq $old;
	}
	return chance(0.5) ? "ALTER TABLE " . qi($t) . " RENAME COLUMN " . qi($old) . " TO " . qi($new)
		: "ALTER TABLE " . qi($t) . " CHANGE " . qi($old) . " " . qi($new) . " $c->{def}";
}

sub op_add_index {
	my @t = tables() or return undef;
	my $t = pick(@t);
	my @u = grep { !$_->{gen} } user_cols($t);
	return undef unless @u;
	my $name = uid('i');
	my $kind = pick('KEY', 'KEY', 'UNIQUE', 'FULLTEXT');
	my @cols;
	if ($kind eq 'FULLTEXT') {
		my @s = grep { $_->{type} =~ /^(vc|text)/ } @u;
		return undef unless @s;
		@cols = ([pick(@s)->{name}, 0]);
	}
	else {
		my $c1 = pick(@u);
		push @cols, [$c1->{name}, $c1->{type} eq 'text' ? 10 : ($c1->{type} =~ /^vc/ && chance(0.3) ? 5 : 0)];
		if (chance(0.3)) {
			my $c2 = pick(@u);
			push @cols, [$c2->{name}, $c2->{type} eq 'text' ? 10 : 0] if $c2->{name} ne $c1->{name};
		}
	}
	$T{$t}{idx}{$name} = {kind => $kind, cols => \@cols};
	my $list = join(', ', map { qi($_->[0]) . ($_->[1] ? "($_->[1])" : '') } @cols);
	my $prefix = $kind eq 'KEY' ? '' : "$kind ";
	return chance(0.5) ? "CREATE ${prefix}INDEX " . qi($name) . " ON " . qi($t) . " ($list)"
		: "ALTER TABLE " . qi($t) . " ADD $prefix" . ($kind eq 'KEY' ? 'KEY ' : 'KEY ') . qi($name) . " ($list)";
}

sub fk_needs {
	my ($t, $iname) = @_;
	my $i = $T{$t}{idx}{$iname};
	return grep { $_ eq $i->{cols}[0][0] } values %{$T{$t}{fks}};
}

sub op_drop_index {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } grep { !fk_needs($t, $_) } keys %{$T{$t}{idx}};
	}
	return undef unless @cand;
	my ($t, $i) = @{pick(sort { "@$a" cmp "@$b" } @cand)};
	delete $T{$t}{idx}{$i};
	return chance(0.5) ? "DROP INDEX " . qi($i) . " ON " . qi($t) : "ALTER TABLE " . qi($t) . " DROP INDEX " . qi($i);
}

sub op_add_fk {
	my @t = tables();
	return undef if @t < 2;
	my $child = pick(@t);
	my @parents = grep { $_ ne $child && $T{$_}{pk} // 1 } @t;
	return undef unless @parents;
	my $parent = pick(@parents);
	# a column with a CHECK constraint cannot take ON DELETE actions
	my @c = grep {
		my $n = $_->{name};
		$_->{type} eq 'int' && !$_->{gen} && $_->{def} !~ /NOT NULL/ && !(grep { $_ eq $n } values %{$T{$child}{fks}})
			&& !(grep { $_ eq $n } values %{$T{$child}{checks}})
	} user_cols($child);
	return undef unless @c;
	my $col = pick(@c)->{name};
	my $name = uid('fk');
	$T{$child}{fks}{$name} = $col;
	$T{$child}{fkref}{$name} = $parent;
	# InnoDB adds an index named after the key unless one starts with the column
	my $has = grep { $_->{cols}[0][0] eq $col && $_->{kind} ne 'FULLTEXT' } values %{$T{$child}{idx}};
	$T{$child}{idx}{$name} = {kind => 'KEY', cols => [[$col, 0]]} unless $has;
	return "ALTER TABLE " . qi($child) . " ADD CONSTRAINT " . qi($name) . " FOREIGN KEY (" . qi($col)
		. ") REFERENCES " . qi($parent) . " (`id`)" . pick('', ' ON DELETE CASCADE', ' ON DELETE SET NULL');
}

sub op_drop_fk {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } sort keys %{$T{$t}{fks}};
	}
	return undef unless @cand;
	my ($t, $f) = @{pick(@cand)};
	delete $T{$t}{fks}{$f};
	delete $T{$t}{fkref}{$f};
	return "ALTER TABLE " . qi($t) . " DROP FOREIGN KEY " . qi($f);
}

sub op_add_check {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } grep {
			my $n = $_->{name};
			!$_->{gen} && $_->{type} =~ /^(int|vc)/ && !(grep { $_ eq $n } values %{$T{$t}{fks}})
		} user_cols($t);
	}
	return undef unless @cand;
	my ($t, $c) = @{pick(@cand)};
	my $name = uid('ck');
	$T{$t}{checks}{$name} = $c->{name};
	my $expr = $c->{type} eq 'int' ? qi($c->{name}) . " > -1000" : "CHAR_LENGTH(" . qi($c->{name}) . ") < 1000";
	return "ALTER TABLE " . qi($t) . " ADD CONSTRAINT " . qi($name) . " CHECK ($expr)";
}

sub op_drop_check {
	my @cand;
	for my $t (tables()) {
		push @cand, map { [$t, $_] } sort keys %{$T{$t}{checks}};
	}
	return undef unless @cand;
	my ($t, $k) = @{pick(@cand)};
	delete $T{$t}{checks}{$k};
	return "ALTER TABLE " . qi($t) . " DROP CONSTRAINT " . qi($k);
}

sub view_sql {
	my ($name, $replace) = @_;
	my @t = tables() or return undef;
	my $t = pick(@t);
	my @u = grep { !$_->{gen} } user_cols($t);
	my @cols = ('id', @u ? (pick(@u)->{name}) : ());
	$V{$name} = {table => $t, cols => \@cols};
	return "CREATE " . ($replace ? 'OR REPLACE ' : '') . "VIEW " . qi($name) . " AS SELECT "
		. join(', ', map { qi($_) } @cols) . " FROM " . qi($t) . (chance(0.5) ? " WHERE `id` > " . rnd(50) : '');
}

sub op_create_view { return view_sql(uid('v'), 0); }

sub op_replace_view {
	my @v = sort keys %V or return undef;
	return view_sql(pick(@v), 1);
}

sub op_drop_view {
	my @v = sort keys %V or return undef;
	my $v = pick(@v);
	delete $V{$v};
	return "DROP VIEW " . qi($v);
}

sub op_rename_table {
	my @c = grep { !has_view($_) } tables() or return undef;
	my $t = pick(@c);
	my $n = uid('t');
	$T{$n} = delete $T{$t};
	for my $o (keys %T) {
		for my $fk (keys %{$T{$o}{fkref}}) {
			$T{$o}{fkref}{$fk} = $n if $T{$o}{fkref}{$fk} eq $t;
		}
	}
	$_->{table} = $n for grep { $_->{table} eq $t } values %G;
	return chance(0.5) ? "RENAME TABLE " . qi($t) . " TO " . qi($n) : "ALTER TABLE " . qi($t) . " RENAME TO " . qi($n);
}

sub op_table_comment {
	my @t = tables() or return undef;
	return "ALTER TABLE " . qi(pick(@t)) . " COMMENT 'comment " . rnd(1000) . "'";
}

sub op_add_generated {
	my @t = tables() or return undef;
	my $t = pick(@t);
	my $c = {name => uid('g'), type => 'int', gen => 1};
	# a stored column cannot use an AUTO_INCREMENT column
	$c->{stored} = !$T{$t}{ai} && chance(0.5);
	$c->{def} = "int GENERATED ALWAYS AS (`id` + " . rnd(10) . ") " . ($c->{stored} ? 'STORED' : 'VIRTUAL');
	push @{$T{$t}{cols}}, $c;
	return "ALTER TABLE " . qi($t) . " ADD COLUMN " . qi($c->{name}) . " $c->{def}";
}

sub op_auto_increment {
	my @t = grep { my $t = $_; !referenced($t) && !grep { $_->{stored} } @{$T{$t}{cols}} } tables()
		or return undef;
	my $t = pick(@t);
	$T{$t}{ai} = !$T{$t}{ai};
	my $idc = find_col($t, 'id');
	$idc->{def} = $T{$t}{ai} ? 'int NOT NULL AUTO_INCREMENT' : 'int NOT NULL';
	return "ALTER TABLE " . qi($t) . " MODIFY `id` $idc->{def}";
}

sub op_create_trigger {
	my @t = tables() or return undef;
	my $t = pick(@t);
	my $key = pick('BEFORE INSERT', 'AFTER INSERT', 'BEFORE UPDATE', 'AFTER DELETE');
	return undef if grep { $_->{table} eq $t && $_->{key} eq $key } values %G;
	my $n = uid('trg');
	$G{$n} = {table => $t, key => $key};
	my $row = $key =~ /DELETE/ ? 'OLD' : 'NEW';
	return "CREATE TRIGGER " . qi($n) . " $key ON " . qi($t) . " FOR EACH ROW SET \@migrate_seen = $row.`id`";
}

sub op_drop_trigger {
	my @g = sort keys %G or return undef;
	my $g = pick(@g);
	delete $G{$g};
	return "DROP TRIGGER " . qi($g);
}

sub op_multi {
	my @t = tables() or return undef;
	my $t = pick(@t);
	my $c = col_def(kind => pick('int', 'vc'));
	$c->{name} = uid('c');
	push @{$T{$t}{cols}}, $c;
	my $i = uid('i');
	$T{$t}{idx}{$i} = {kind => 'KEY', cols => [[$c->{name}, 0]]};
	return "ALTER TABLE " . qi($t) . " ADD COLUMN " . qi($c->{name}) . " $c->{def}, ADD KEY " . qi($i)
		. " (" . qi($c->{name}) . "), COMMENT 'multi " . rnd(100) . "'";
}

my @ops = (
	[\&op_create_table, 4], [\&op_drop_table, 1], [\&op_add_column, 5], [\&op_drop_column, 3],
	[\&op_modify_column, 4], [\&op_rename_column, 3], [\&op_add_index, 4], [\&op_drop_index, 2],
	[\&op_add_fk, 2], [\&op_drop_fk, 1], [\&op_add_check, 2], [\&op_drop_check, 1],
	[\&op_create_view, 2], [\&op_replace_view, 1], [\&op_drop_view, 1], [\&op_rename_table, 2],
	[\&op_table_comment, 1], [\&op_add_generated, 2], [\&op_auto_increment, 1],
	[\&op_create_trigger, 1], [\&op_drop_trigger, 1], [\&op_multi, 2],
);

sub random_op {
	my $total = 0;
	$total += $_->[1] for @ops;
	for (1 .. 50) {
		my $r = rnd($total);
		for my $o (@ops) {
			if ($r < $o->[1]) {
				my $sql = $o->[0]->();
				return $sql if defined $sql;
				last;
			}
			$r -= $o->[1];
		}
	}
	return op_create_table();
}

sub generate_history {
	my ($seed, $nversions) = @_;
	$rng = $seed;
	%T = %V = %G = ();
	$seq = 0;
	my @versions;
	for my $v (1 .. $nversions) {
		my @stmts = ($v == 1 ? op_create_table() : random_op());
		push @stmts, random_op() for 1 .. rnd(3);
		push @versions, \@stmts;
	}
	return @versions;
}

# ---- the test ---------------------------------------------------------------------

sub t_property {
	my $nhist = $ENV{MIGRATE_MYSQL_HISTORIES} // ($LONG ? 20 : 2);
	my $nver = $ENV{MIGRATE_MYSQL_VERSIONS} // ($LONG ? 30 : 12);
	my $seed0 = $ENV{MIGRATE_MYSQL_SEED} // 1234;
	my ($histories, $versions_checked, $statements) = (0, 0, 0);
	for my $h (0 .. $nhist - 1) {
		my $seed = $seed0 + $h;
		my @versions = generate_history($seed, $nver);
		my %files;
		for my $i (0 .. $#versions) {
			$files{sprintf("%03d_v%d", $i + 1, $i + 1)} = join('', map { "$_;\n" } @{$versions[$i]});
			$statements += @{$versions[$i]};
		}
		my $dir = mkdir_migrations(%files);
		my $where = "seed $seed";

		# expected states: B migrated one version at a time
		my $b = new_db('propb');
		my @expected = (dump_schema($b));
		my $ok = 1;
		for my $v (1 .. $nver) {
			my ($c, $o, $e) = migrate($b, $dir, 'apply', '1');
			if ($c != 0) {
				$ok = ok(0, "$where: the generated version $v applies", "$e\n" . join(";\n", @{$versions[$v - 1]}));
				last;
			}
			push @expected, dump_schema($b);
		}
		next unless $ok;

		my $a = new_db('propa');
		my ($c, $o, $e) = migrate($a, $dir, 'apply');
		next unless ok($c == 0, "$where: apply all", $e);
		next unless is_eq(dump_schema($a), $expected[$nver], "$where: applied schema");
		for (my $v = $nver - 1; $v >= 0; $v--) {
			($c, $o, $e) = migrate($a, $dir, 'down');
			my $got = dump_schema($a);
			my $text = join(";\n", @{$versions[$v]});
			unless (ok($c == 0 && $got eq $expected[$v], "$where: revert version " . ($v + 1),
					"version " . ($v + 1) . ":\n$text\n\nexit $c\n$o\n$e\n" . diff_text($expected[$v], $got))) {
				$ok = 0;
				last;
			}
			$versions_checked++;
		}
		next unless $ok;

		# forward again over the recorded history, then one jump down
		($c, $o, $e) = migrate($a, $dir, 'apply');
		next unless ok($c == 0, "$where: apply all again", $e);
		next unless is_eq(dump_schema($a), $expected[$nver], "$where: applied again");
		my $to = 1 + rnd($nver - 1);
		($c, $o, $e) = migrate($a, $dir, 'down', '--to-version', sprintf("%03d", $to));
		next unless ok($c == 0, "$where: down --to-version $to", "$o\n$e");
		is_eq(dump_schema($a), $expected[$to], "$where: schema at version $to after the jump") and $versions_checked++;
		$histories++;
	}
	print "  property: $histories histories ($statements statements), $versions_checked versions checked\n";
	ok($histories == $nhist, "every history passed");
}

sub property_tests {
	return (['property: random histories, revert to every version', \&t_property]);
}

1;
