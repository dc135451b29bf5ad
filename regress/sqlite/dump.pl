#!/usr/bin/env perl
# dump.pl DB: print the normalised user schema of an SQLite database.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use SqTest qw(schema_dump);

die "usage: dump.pl DB\n" unless @ARGV == 1;
print schema_dump($ARGV[0]);
