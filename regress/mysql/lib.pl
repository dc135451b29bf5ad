# regress/mysql/lib.pl: helpers of the MySQL/MariaDB integration suite.
#
# Talks to the server with the mariadb command-line client and runs the
# migrate binary; no Perl database driver is needed.  Sourced by run and
# by bench/mysql/run.

use strict;
use warnings;
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IPC::Open3;
use Symbol qw(gensym);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time);

our ($BIN, $URL, $HOST, $PORT, $USER, $SOCKET, $TMP, $LONG);
our ($failures, $passes) = (0, 0);
our @created_dbs;
my $dbseq = 0;

sub setup_env {
	my $src = $ENV{MIGRATE_SRC} // do {
		require Cwd;
		my $d = Cwd::abs_path($0);
		$d =~ s{/(?:regress|bench)/mysql/[^/]+$}{};
		$d;
	};
	$BIN = $ENV{MIGRATE_BIN} // "$src/client/migrate";
	$URL = $ENV{MIGRATE_MYSQL_URL} or die "MIGRATE_MYSQL_URL is not set (scripts/test sets it)\n";
	$URL =~ m{^(?:mysql|mariadb)://([^@/]+)@([^:/]+)(?::(\d+))?/?} or die "cannot parse MIGRATE_MYSQL_URL \"$URL\"\n";
	($USER, $HOST, $PORT) = ($1, $2, $3 // 3306);
	$URL = "mysql://$USER\@$HOST:$PORT";
	$SOCKET = $ENV{MIGRATE_MYSQL_SOCKET};
	$TMP = $ENV{MIGRATE_TMP} ? tempdir("mysql-XXXXXX", DIR => $ENV{MIGRATE_TMP}, CLEANUP => 1)
		: tempdir("migrate-mysql-XXXXXX", TMPDIR => 1, CLEANUP => 1);
	$LONG = $ENV{MIGRATE_LONG} // 0;
	-x $BIN or die "migrate binary \"$BIN\" not found; build it first\n";
}

# ---- running programs --------------------------------------------------

# run a command; returns (exit code, stdout, stderr); signal deaths give 128+N
sub run_cmd {
	my ($env, @cmd) = @_;
	my ($in, $out, $err) = (undef, '', '');
	my $errfh = gensym;
	local %ENV = (%ENV, %{$env // {}});
	my $pid = open3($in, my $outfh, $errfh, @cmd);
	close $in;
	# read both streams without deadlock: stderr is small, read stdout first
	{ local $/; $out = <$outfh> // ''; $err = <$errfh> // ''; }
	waitpid($pid, 0);
	my $st = $?;
	my $code = ($st & 127) ? 128 + ($st & 127) : $st >> 8;
	return ($code, $out, $err);
}

sub sql_cmd {
	my ($db) = @_;
	return ('mariadb', '--no-defaults', "-u$USER", "-h$HOST", "-P$PORT", '-N', '-B', '-r',
		'--default-character-set=utf8mb4', defined $db ? ($db) : ());
}

# run SQL; dies on error unless $may_fail; returns stdout
sub sql {
	my ($db, $sql, $may_fail) = @_;
	my ($code, $out, $err) = run_cmd(undef, sql_cmd($db), '-e', $sql);
	if ($code != 0 && !$may_fail) {
		die "SQL failed on " . ($db // '(no database)') . ": $err\n$sql\n";
	}
	return $out;
}

sub sql_rows {
	my ($db, $q) = @_;
	my $out = sql($db, $q);
	return map { [split /\t/, $_, -1] } grep { length } split /\n/, $out;
}

sub sql_value {
	my ($db, $q) = @_;
	my $out = sql($db, $q);
	chomp $out;
	return $out;
}

sub new_db {
	my ($tag) = @_;
	my $name = sprintf("mt_%d_%s_%d", $$, $tag // 'db', ++$dbseq);
	sql(undef, "DROP DATABASE IF EXISTS `$name`; CREATE DATABASE `$name`");
	push @created_dbs, $name;
	return $name;
}

sub drop_dbs {
	for my $db (@created_dbs) {
		sql(undef, "DROP DATABASE IF EXISTS `$db`", 1);
	}
	@created_dbs = ();
}

sub db_url { my ($db) = @_; return "$URL/$db"; }

# migrate COMMAND --url ... --dir ...; returns (code, out, err)
sub migrate {
	my ($db, $dir, @args) = @_;
	my $env = ref $args[0] eq 'HASH' ? shift @args : undef;
	return run_cmd($env, $BIN, @args, '--url', db_url($db), defined $dir ? ('--dir', $dir) : ());
}

# ---- migration directories ---------------------------------------------

my $dirseq = 0;

# write files (version => content, or name => content when it has a dot)
sub mkdir_migrations {
	my (%files) = @_;
	my $dir = "$TMP/dir" . (++$dirseq);
	make_path($dir);
	for my $k (sort keys %files) {
		my $name = $k =~ /\./ ? $k : "${k}.sql";
		open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
		print $fh $files{$k};
		close $fh;
	}
	rehash($dir);
	return $dir;
}

sub rehash {
	my ($dir) = @_;
	my ($code, $out, $err) = run_cmd(undef, $BIN, 'hash', '--dir', $dir);
	die "migrate hash failed: $err" if $code != 0;
}

sub write_file {
	my ($path, $content) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $content;
	close $fh;
}

# ---- schema dumps --------------------------------------------------------

# rows of a query (or of several, separated by ";"), fields unescaped;
# batch mode without --raw escapes newlines, so every row is one line
sub sql_escaped_rows {
	my ($db, $q) = @_;
	my ($code, $out, $err) = run_cmd(undef, grep({ $_ ne '-r' } sql_cmd($db)), '-e', $q);
	die "SQL failed on $db: $err\n$q\n" if $code != 0;
	my @rows;
	for my $line (split /\n/, $out) {
		my @f = map {
			my $x = $_;
			$x =~ s/\\(.)/$1 eq 'n' ? "\n" : $1 eq 't' ? "\t" : $1 eq '0' ? "\0" : $1/ge;
			$x;
		} split /\t/, $line, -1;
		push @rows, \@f;
	}
	return @rows;
}

# Every table, view, trigger and routine of db except the bookkeeping
# tables, as SHOW CREATE prints them; AUTO_INCREMENT counters removed.
sub dump_schema {
	my ($db) = @_;
	my @objs = sql_escaped_rows($db,
		"SELECT IF(TABLE_TYPE = 'VIEW', 'VIEW', IF(TABLE_TYPE = 'SEQUENCE', 'SEQUENCE', 'TABLE')), TABLE_NAME "
		. "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'migrate\\_%' "
		. "UNION ALL SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() "
		. "UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()");
	@objs = sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @objs;
	return "\n" unless @objs;
	my $q = join('; ', map { (my $n = $_->[1]) =~ s/`/``/g; "SHOW CREATE $_->[0] `$n`" } @objs);
	my @defs = sql_escaped_rows($db, $q);
	die "dump of $db: " . scalar(@defs) . " definitions for " . scalar(@objs) . " objects\n" if @defs != @objs;
	my @parts;
	for my $i (0 .. $#objs) {
		my ($what, $name) = @{$objs[$i]};
		my @f = @{$defs[$i]};
		if ($what eq 'TABLE' || $what eq 'VIEW' || $what eq 'SEQUENCE') {
			(my $def = $f[1] // '') =~ s/ AUTO_INCREMENT=\d+//;
			$def = canonical_keys($def) if $what eq 'TABLE';
			push @parts, "-- $what $name\n$def";
		}
		else {
			push @parts, "-- $what $name\n$f[1]\n$f[2]";
		}
	}
	return join("\n\n", @parts) . "\n";
}

# The keys of a SHOW CREATE TABLE in MariaDB's category order (primary;
# unique on NOT NULL columns, whole then prefixed; unique with nullable
# columns, likewise; plain and spatial; full-text), stable within a
# category.  The server sorts by category only when an ALTER rebuilds the
# key list, so the listed order across categories depends on history and
# is not something a statement can choose; within a category the order is
# compared as is.
sub canonical_keys {
	my ($def) = @_;
	my @lines = split /\n/, $def, -1;
	my (%notnull, @keys, @out);
	for my $l (@lines) {
		if ($l =~ /^  `((?:[^`]|``)+)` /) {
			my $c = $1;
			$notnull{$c} = $l =~ / NOT NULL/ ? 1 : 0;
		}
	}
	my ($first, $last);
	for my $i (0 .. $#lines) {
		next unless $lines[$i] =~ /^  (PRIMARY KEY|UNIQUE KEY|KEY|FULLTEXT KEY|SPATIAL KEY) /;
		$first //= $i;
		$last = $i;
	}
	return $def unless defined $first;
	my $cat = sub {
		my ($l) = @_;
		return 0 if $l =~ /^  PRIMARY KEY/;
		return 6 if $l =~ /^  FULLTEXT KEY/;
		return 5 unless $l =~ /^  UNIQUE KEY `(?:[^`]|``)+` \((.*)\)/;
		my ($nullable, $part) = (0, 0);
		for my $c ($1 =~ /`((?:[^`]|``)+)`(\(\d+\))?/g) {
			next unless defined $c;
			if ($c =~ /^\(\d+\)$/) { $part = 1; next; }
			$nullable = 1 unless $notnull{$c};
		}
		return 1 + 2 * $nullable + $part;
	};
	my @k = map { (my $x = $lines[$_]) =~ s/,$//; [$cat->($x), $_, $x] } $first .. $last;
	@k = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @k;
	my $trail = $lines[$last] =~ /,$/ ? ',' : '';
	my @sorted = map { $_->[2] } @k;
	$_ .= ',' for @sorted[0 .. $#sorted - 1];
	$sorted[-1] .= $trail;
	splice @lines, $first, $last - $first + 1, @sorted;
	return join("\n", @lines);
}

sub revisions {
	my ($db) = @_;
	my $has = sql_value($db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
		. "AND TABLE_NAME = 'migrate_revisions'");
	return () unless $has;
	return sql_rows($db, "SELECT version, type, applied, total FROM migrate_revisions ORDER BY version");
}

sub applied_sum {
	my ($db) = @_;
	my $n = 0;
	$n += $_->[2] for revisions($db);
	return $n;
}

# statements and checks printed by migrate ("    -> " lines; the lines of a
# multi-line statement continue with seven spaces)
sub printed_statements {
	my ($out) = @_;
	my @l;
	for my $line (split /\n/, $out) {
		if ($line =~ /^    -> (.*)$/) {
			push @l, $1;
		}
		elsif (@l && $line =~ /^       (.*)$/s) {
			$l[-1] .= "\n$1";
		}
	}
	return @l;
}

sub is_check_statement {
	my ($s) = @_;
	return $s =~ /^(SELECT |CREATE TEMPORARY TABLE `migrate_fit`|INSERT IGNORE INTO `migrate_fit`|DROP TEMPORARY)/;
}

# ---- assertions ------------------------------------------------------------

our $current_test = '';

sub ok {
	my ($cond, $name, $detail) = @_;
	if ($cond) {
		$passes++;
		return 1;
	}
	$failures++;
	print "  FAILED: $current_test: $name\n";
	if (defined $detail && length $detail) {
		my $d = $detail;
		$d = substr($d, 0, 4000) . "\n  [...]" if length $d > 4000;
		$d =~ s/^/    | /mg;
		print "$d\n";
	}
	return 0;
}

sub is_eq {
	my ($got, $exp, $name) = @_;
	return ok(1, $name) if defined $got && defined $exp && $got eq $exp;
	return ok(0, $name, diff_text($exp // '(undef)', $got // '(undef)'));
}

sub diff_text {
	my ($a, $b) = @_;
	my @a = split /\n/, $a;
	my @b = split /\n/, $b;
	my @out;
	my $n = @a > @b ? scalar @a : scalar @b;
	for my $i (0 .. $n - 1) {
		my ($x, $y) = ($a[$i] // '', $b[$i] // '');
		next if $x eq $y;
		push @out, "line " . ($i + 1) . ":", "  expected: $x", "  got:      $y";
		last if @out > 30;
	}
	return join("\n", @out);
}

sub like {
	my ($text, $re, $name) = @_;
	return ok($text =~ $re, $name, "text was:\n$text");
}

sub test {
	my ($name, $code) = @_;
	local $current_test = $name;
	my $f0 = $failures;
	my $t0 = time;
	eval { $code->(); 1 } or do {
		$failures++;
		print "  FAILED: $name: died: $@\n";
	};
	printf "%s %-58s %6.1fs\n", ($failures == $f0 ? 'ok  ' : 'FAIL'), $name, time - $t0;
}

1;
