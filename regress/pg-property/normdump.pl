#!/usr/bin/perl
# Normalise `pg_dump --schema-only` output for comparison.
#
# Reads a dump on stdin and writes it without comments, blank lines and
# session settings, and with the column lines of every CREATE TABLE sorted:
# PostgreSQL cannot reorder columns, so a column that a revert re-creates
# comes back at the end of its table (documented in docs/revert.md); every
# other difference is kept.  (Perl rather than Python: it starts in a few
# milliseconds, and the test runs it after every step.)
use strict;
use warnings;

my @block;
my $in_table = 0;
while (my $line = <STDIN>)
{
	chomp $line;
	next if $line =~ /^--/ || $line !~ /\S/;
	next if $line =~ /^(SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)/;
	if ($in_table)
	{
		if ($line =~ /^\)/)
		{
			my @cols = sort map { (my $c = $_) =~ s/,$//; $c } @block;
			print join(",\n", @cols), "\n" if @cols;
			print "$line\n";
			@block = ();
			$in_table = 0;
		}
		else
		{
			push @block, $line;
		}
		next;
	}
	print "$line\n";
	$in_table = 1 if $line =~ /^CREATE TABLE .*\($/;
}
