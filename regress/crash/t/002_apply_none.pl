# regress/crash/t/002_apply_none.pl: "migrate apply --tx-mode none" killed at
# its statement boundaries: every statement commits on its own, so every
# prefix of every file is a state to recover into.  See CrashLib.pm.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin . '/..';
use CrashLib;
use Test::More;

$ENV{CRASH_PORT} += 1 if $ENV{CRASH_PORT};
CrashLib::run_apply_scenarios('apply_none', 'none');
CrashLib::report('apply (tx mode none)');
done_testing();
