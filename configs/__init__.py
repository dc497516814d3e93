"""Pure configuration layer: Topology -> rendered text -> audit findings and diffs (no I/O to devices)."""
