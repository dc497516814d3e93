"""Test harnesses shared by tests and benchmarks (private SNMP agents, simulated fleets); not runtime code."""
