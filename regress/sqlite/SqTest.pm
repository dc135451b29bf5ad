# SqTest.pm: helpers shared by the SQLite integration tests.
#
# Everything here talks to databases through the sqlite3 command-line
# shell, so that the tests check the migrate client from the outside.  The
# schema normaliser is written independently of the client's own
# (client/driver_sqlite_schema.c): it drops comments, reduces whitespace,
# lower-cases keywords and names, and removes quotes that are not needed.
package SqTest;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(sqlite normalize schema_dump table_rows);

# Run SQL through the sqlite3 shell; returns the output (dies on error).
sub sqlite
{
	my ($db, $sql, $mode) = @_;
	$mode //= 'list';
	my $pid = open(my $fh, '-|');
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDERR, '>&', \*STDOUT);
		exec('sqlite3', '-batch', '-bail', "-$mode", $db, $sql) or die "exec sqlite3: $!";
	}
	local $/;
	my $out = <$fh> // '';
	close($fh);
	die "sqlite3 failed on $db: $sql\n$out" if $? != 0;
	return $out;
}

sub _ident
{
	my ($id) = @_;
	$id = lc $id;
	return $id if $id =~ /^[a-z_][a-z0-9_]*$/;
	$id =~ s/"/""/g;
	return "\"$id\"";
}

# Canonical text of a definition.
sub normalize
{
	my ($sql) = @_;
	my @tok;
	for ($sql)
	{
		pos($_) = 0;
		while (pos($_) < length($_))
		{
			if (/\G\s+/gc || /\G--[^\n]*/gc || /\G\/\*.*?(?:\*\/|\z)/gcs) { next; }
			if (/\G('(?:[^']|'')*'?)/gc) { push @tok, [1, $1]; next; }
			if (/\G"((?:[^"]|"")*)"?/gc) { (my $i = $1) =~ s/""/"/g; push @tok, [1, _ident($i)]; next; }
			if (/\G`((?:[^`]|``)*)`?/gc) { (my $i = $1) =~ s/``/`/g; push @tok, [1, _ident($i)]; next; }
			if (/\G\[([^\]]*)\]?/gc) { push @tok, [1, _ident($1)]; next; }
			if (/\G([xX]'[^']*'?)/gc) { push @tok, [1, lc $1]; next; }
			if (/\G(\d[0-9a-zA-Z_.]*|\.\d[0-9a-zA-Z_]*)/gc) { push @tok, [1, $1]; next; }
			if (/\G([A-Za-z_\x80-\xff][A-Za-z0-9_\$\x80-\xff]*)/gc) { push @tok, [1, lc $1]; next; }
			if (/\G([?:@\$][A-Za-z0-9_]*)/gc) { push @tok, [1, $1]; next; }
			if (/\G(->>|\|\||<=|>=|==|!=|<>|<<|>>|->)/gc) { push @tok, [0, $1]; next; }
			/\G(.)/gcs;
			push @tok, [0, $1];
		}
	}
	my $out = '';
	my $prev = 0;
	for my $t (@tok)
	{
		$out .= ' ' if $prev && $t->[0];
		$out .= $t->[1];
		$prev = $t->[0];
	}
	$out =~ s/;+$//;
	return $out;
}

# The user schema of a database, one normalised line per object, sorted.
sub schema_dump
{
	my ($db) = @_;
	my $out = sqlite($db, "SELECT type || char(31) || name || char(31) || replace(replace(sql, char(10), char(29)), char(13), char(28)) FROM sqlite_master"
		  . " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		  . " AND tbl_name NOT IN ('migrate_revisions', 'migrate_history_units',"
		  . " 'migrate_history_images', 'migrate_history_tags')");
	my @lines;
	for my $row (split /\n/, $out)
	{
		my ($type, $name, $sql) = split /\x1f/, $row, 3;
		$sql =~ tr/\x1d\x1c/\n\r/;
		push @lines, "$type " . _ident($name) . ": " . normalize($sql);
	}
	return join("\n", sort @lines) . "\n";
}

# Rows of a table (columns given, SQL-quoted values), in rowid order.
sub table_rows
{
	my ($db, $table, @cols) = @_;
	my $list = join(', ', map { my $c = $_; $c =~ s/"/""/g; "\"$c\"" } @cols);
	(my $t = $table) =~ s/"/""/g;
	my $order = join(', ', 1 .. scalar(@cols));
	return sqlite($db, "SELECT $list FROM \"$t\" ORDER BY $order", 'quote');
}

1;
