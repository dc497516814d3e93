"""Parsing FRR's own output: the ``show running-config`` header and ``show ip ospf neighbor json``.

The one place for both (the FRR driver, the Ansible engine, the lab's status and the lab routers'
login shell use them). Standard library only and no imports of ours: ``egnet lab up`` installs a copy
of this file beside the routers' login shell, which runs with the system Python.
"""

from __future__ import annotations

RUNNING_HEADER = ("Building configuration...", "Current configuration:")


def strip_running_header(text: str) -> str:
    """Remove vtysh's ``show running-config`` header and blank lines, so the text is a loadable config.

    Examples:
        >>> strip_running_header("Building configuration...\\n\\nCurrent configuration:\\n!\\nhostname r\\n")
        '!\\nhostname r\\n'
    """
    kept = [ln for ln in text.splitlines() if ln.strip() and ln.strip() not in RUNNING_HEADER]
    return "\n".join(kept) + "\n"


def ospf_adjacencies(data: object) -> list[tuple[str, str]]:
    """(router id, state) of every adjacency in ``show ip ospf neighbor json`` (state without role).

    Anything that is not the documented shape is skipped, never raised on.

    Examples:
        >>> ospf_adjacencies({"neighbors": {"198.18.0.1": [{"state": "Full/-"}, {"nbrState": "Init/DROther"}]}})
        [('198.18.0.1', 'Full'), ('198.18.0.1', 'Init')]
        >>> ospf_adjacencies({"neighbors": [1]}), ospf_adjacencies("x")
        ([], [])
    """
    neighbors = data.get("neighbors", {}) if isinstance(data, dict) else {}
    if not isinstance(neighbors, dict):
        return []
    out: list[tuple[str, str]] = []
    for rid, entries in neighbors.items():
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, dict):
                state = str(e.get("state", e.get("nbrState", "")))
                out.append((str(rid), state.split("/")[0]))
    return out


def full_neighbors(data: object) -> dict[str, str]:
    """Router id → state from ``show ip ospf neighbor json``; ``Full`` when any adjacency to it is.

    Examples:
        >>> full_neighbors({"neighbors": {"198.18.0.1": [{"state": "Full/-"}]}})
        {'198.18.0.1': 'Full'}
        >>> full_neighbors({"neighbors": {"1.1.1.1": [{"state": "Full/DR"}, {"state": "ExStart/-"}]}})
        {'1.1.1.1': 'Full'}
    """
    out: dict[str, str] = {}
    for rid, state in ospf_adjacencies(data):
        if out.get(rid) != "Full":
            out[rid] = state
    return out
