# regress/crash/t/004_revert.pl: "migrate down --to-version 10" killed at
# its statement boundaries (the revert of two versions computed from the
# recorded history, run in one transaction).  See CrashLib.pm.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin . '/..';
use CrashLib;
use Test::More;

$ENV{CRASH_PORT} += 3 if $ENV{CRASH_PORT};
CrashLib::run_revert_scenario('revert', '10');
CrashLib::report('revert');
done_testing();
