"""CLI tests; a package so their module names (test_predict, ...) do not clash with
same-named test files in other test folders."""
