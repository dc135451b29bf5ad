#!/usr/bin/perl
# Normalise `pg_dump --schema-only` output for comparison.
#
# Reads a dump on stdin and writes it without comments, blank lines and
# session settings, and with the column lines of every CREATE TABLE sorted:
# PostgreSQL cannot reorder columns, so a column that a revert re-creates
# comes back at the end of its table (documented in docs/revert.md).  For
# the same reason runs of column comments and of column privileges, which
# pg_dump writes in column order, are sorted.  Every other difference is
# kept.  (Perl rather than Python: it starts in a few
# milliseconds, and the test runs it after every step.)
use strict;
use warnings;

my @block;
my $in_table = 0;
my @run;
my $run_kind = '';

sub run_kind
{
	my ($line) = @_;
	return 'comment' if $line =~ /^COMMENT ON COLUMN /;
	return 'acl' if $line =~ /^(GRANT|REVOKE) [A-Z ,]+\(/;
	return '';
}

sub flush_run
{
	print map { "$_\n" } sort @run;
	@run = ();
	$run_kind = '';
}

while (my $line = <STDIN>)
{
	chomp $line;
	next if $line =~ /^--/ || $line !~ /\S/;
	next if $line =~ /^(SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)/;
	if (!$in_table)
	{
		my $kind = run_kind($line);
		flush_run() if @run && $kind ne $run_kind;
		if ($kind ne '')
		{
			push @run, $line;
			$run_kind = $kind;
			next;
		}
	}
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
	$in_table = 1 if $line =~ /^CREATE (UNLOGGED )?TABLE .*\($/;
}
flush_run();
