"""The source of truth: inventory loading, validation, the frozen Topology, IPAM and exports.

Imports none of egnet's other packages.
"""

from topology.diagnostics import Diagnostic, InventoryError
from topology.loader import LoadResult, load_inventory, load_topology
from topology.model import (
    Circuit,
    CircuitEnd,
    CircuitRole,
    Device,
    Interface,
    Role,
    Site,
    Tier,
    Topology,
    Zone,
)

__all__ = [
    "Circuit",
    "CircuitEnd",
    "CircuitRole",
    "Device",
    "Diagnostic",
    "Interface",
    "InventoryError",
    "LoadResult",
    "Role",
    "Site",
    "Tier",
    "Topology",
    "Zone",
    "load_inventory",
    "load_topology",
]
