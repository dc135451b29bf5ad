sub property_tests { return (); }
1;
