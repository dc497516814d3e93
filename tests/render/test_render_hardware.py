"""Rendered interface names exist on the hardware they are rendered for (issue 11 §1).

Over every one of the 3,825 Jiangxi devices: each ``interface X`` a rendered config configures is a
port of the device model in ``templates/<platform>/hardware.yaml`` (or its management port or the
loopback), and each circuit sits on a port of the slowest speed of that model that carries it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
import yaml
from render_testlib import JIANGXI, rendered, secrets, topology

from configs.render import render_device
from topology.model import Topology
from topology.units import parse_rate

ROOT = JIANGXI.parent.parent
INTERFACE = re.compile(r"^interface (\S+)\s*$", re.M)
VLANIF = re.compile(r"^(Vlanif|Vlan-interface)\d+$")
CRYPT = re.compile(r"\$[156]\$")


def _jiangxi() -> Topology:
    return topology(JIANGXI)


@lru_cache(maxsize=8)
def _catalogue(platform: str) -> dict[str, dict[str, int]]:
    """model → {port name: speed bit/s}, read straight from the YAML (not through egnet's loader)."""
    data = yaml.safe_load((ROOT / "templates" / platform / "hardware.yaml").read_text("utf-8"))
    out: dict[str, dict[str, int]] = {}
    for model, spec in data["models"].items():
        ports = {spec["mgmt"]["interface"]: 0}
        for g in spec["ports"]:
            for slot in g["slots"]:
                for n in range(g["first"], g["first"] + g["count"]):
                    ports[g["template"].format(slot=slot, port=n)] = parse_rate(g["speed"])
        out[model] = ports
    return out


@lru_cache(maxsize=8)
def _features(platform: str) -> dict[str, list[str]]:
    data = yaml.safe_load((ROOT / "templates" / platform / "hardware.yaml").read_text("utf-8"))
    return {m: spec.get("features", []) for m, spec in data["models"].items()}


def test_every_rendered_interface_exists_on_its_model_at_the_circuit_speed_and_no_crypt() -> None:
    topo = _jiangxi()
    # 3,825 routers and switches (issue 11) plus the egress firewalls of the zones work
    assert sum(1 for d in topo.devices.values() if d.role.value != "firewall") == 3825
    configs = rendered(JIANGXI)  # rendered once per session, shared with the other Jiangxi tests
    checked = 0
    for host in sorted(topo.devices):
        dev = topo.devices[host]
        ports = _catalogue(dev.platform)[dev.model]
        loopback = topo.platforms[dev.platform].loopback_name
        text = configs[host]
        names = INTERFACE.findall(text)
        assert names, host
        if dev.platform in ("huawei_vrp", "hp_comware"):  # no invented crypt hashes (issue 11 §2)
            assert not CRYPT.search(text), f"{host}: {CRYPT.search(text)}"
        vlanif = "vlanif" in _features(dev.platform)[dev.model]
        for name in names:
            logical = name == loopback or (vlanif and VLANIF.match(name) is not None)
            parent = name.split(".")[0]  # a zone sub-interface lives on a catalogue port
            assert logical or parent in ports, f"{host} ({dev.model}): no port {name}"
        speeds = {v for v in ports.values() if v}
        for itf in dev.interfaces:
            if itf.circuit is None:
                continue
            assert itf.name in names, f"{host}: circuit port {itf.name} not rendered"
            need = topo.circuits[itf.circuit].nominal_bps
            right = min(v for v in speeds if v >= need)
            assert ports[itf.name] == right, (
                f"{host} ({dev.model}) {itf.name}: {ports[itf.name]} bit/s port for a "
                f"{need} bit/s circuit; the model's right speed is {right}"
            )
            checked += 1
    assert checked == 2 * len(topo.circuits)


def test_ten_gig_circuits_land_on_ten_gig_ports() -> None:
    """The bug issue 11 found: 10G circuits on ports named GigabitEthernet."""
    topo = _jiangxi()
    tens = [c for c in topo.circuits.values() if c.nominal_bps >= 10**10]
    assert tens
    for c in tens:
        for end in (c.a, c.b):
            assert re.match(r"^(10GE|Ten-GigabitEthernet|TenGigabitEthernet)", end.interface), (
                c.id,
                end,
            )


def test_a_password_the_cli_cannot_take_is_an_error_naming_device_and_secret() -> None:
    from render_testlib import MIXED, SECRET_VALUES, topology

    from topology.diagnostics import OperationError
    from topology.secrets import Secrets, env_name

    topo = topology(MIXED)
    host = next(h for h, d in sorted(topo.devices.items()) if d.platform == "huawei_vrp")
    for bad in ("two words-pass", "what?-pass-1", "short"):
        env = {env_name(k): v for k, v in SECRET_VALUES.items()} | {env_name("user_noc"): bad}
        with pytest.raises(OperationError, match=f"{host}: secret 'user_noc' cannot be typed"):
            render_device(topo, host, Secrets(env=env, vault=ROOT / "no-such-vault.yaml"))


def _first_of_each_model() -> list[tuple[str, str]]:
    topo = _jiangxi()
    seen: dict[str, str] = {}
    for host in sorted(topo.devices):
        seen.setdefault(topo.devices[host].model, host)
    return sorted(seen.items())


MODELS = _first_of_each_model()


@pytest.mark.parametrize(("model", "host"), MODELS, ids=[m for m, _ in MODELS])
def test_golden_config_per_model(model: str, host: str, update_golden: bool) -> None:
    """One golden config per device model of Jiangxi: the dialect differences stay reviewed."""
    text = render_device(_jiangxi(), host, secrets())
    path = ROOT / "tests" / "render" / "golden_models" / f"{model}.cfg"
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} differs from {host}: --update-golden"
