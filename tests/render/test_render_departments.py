"""Every department the model holds is carried by the configs of the devices it attaches to: one
sub-interface per zone (``<port>.<vlan>``) with the PE's address, on every PE of its site — so a
department the model accepts is never silently left out of a device config (the model refuses
township departments until the township access router renders them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_testlib import LAB, MIXED, secrets, topology

from configs.render import render_device


@pytest.mark.parametrize("inv", [LAB, MIXED], ids=["lab", "mixed"])
def test_every_department_is_rendered_on_every_pe_of_its_site(inv: Path) -> None:
    topo = topology(inv)
    assert topo.departments
    for dept in topo.departments.values():
        assert dept.pe, dept.id
        for i, pe in enumerate(dept.pe):
            text = render_device(topo, pe, secrets())
            ifaces = {ln.split()[1] for ln in text.splitlines() if ln.startswith("interface ")}
            for att in dept.attachments:
                assert any(n.endswith(f".{att.vlan}") for n in ifaces), (dept.id, pe, att.vlan)
                assert att.pe_addresses[min(i, len(att.pe_addresses) - 1)] in text, (dept.id, pe)
