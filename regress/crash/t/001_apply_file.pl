# regress/crash/t/001_apply_file.pl: "migrate apply" killed at its statement
# boundaries in the default tx mode (a transaction per file; the last file
# in tx mode none by directive, with CREATE INDEX CONCURRENTLY) and in tx
# mode all.  See CrashLib.pm.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin . '/..';
use CrashLib;
use Test::More;

CrashLib::run_apply_scenarios('apply_file', 'file', 'all');
CrashLib::report('apply (tx modes file and all)');
done_testing();
