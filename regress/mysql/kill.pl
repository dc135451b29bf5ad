sub kill_tests { return (); }
1;
