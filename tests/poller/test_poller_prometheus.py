"""Issue 12: Prometheus metrics (circuit info, last successful poll, raw octet counters) that pass
``promtool check metrics``, and generated rules that pass ``promtool check rules`` and fire in
``promtool test rules``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from poller.cycle import DeviceStatus
from poller.metrics import exposition
from poller.promrules import prometheus_rules
from poller.samples import CircuitSample, EndCounters, State
from poller.store import Store
from topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="Debian package prometheus not installed"
)


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "p.db"
    store = Store(db)
    store.write_samples([CircuitSample(circuit="beicheng-up1", at=1000.0, state=State.UP,
                                       capacity_bps=149_760_000, ab_bps=1e6, ba_bps=2e6)])  # fmt: skip
    store.write_devices(
        [DeviceStatus(device="lab-core1", reachable=True, interfaces=4, seconds=0.1)], 1000.0
    )
    store.write_counters([EndCounters(circuit="beicheng-up1", device="lab-core1", interface="eth3",
                                      in_octets=2**64 - 1, out_octets=12345)], 1000.0)  # fmt: skip
    store.close()
    return db


def test_exposition_has_info_last_poll_and_raw_counters(topo: Topology, tmp_path: Path) -> None:
    families = {
        f.name: f for f in text_string_to_metric_families(exposition(_db(tmp_path), topo).decode())
    }
    info = {s.labels["circuit"]: s for s in families["egnet_circuit_info"].samples}
    assert set(info) == set(topo.circuits)
    c = topo.circuits["beicheng-up1"]
    assert info["beicheng-up1"].value == 1.0
    assert info["beicheng-up1"].labels == {"circuit": "beicheng-up1", "site": "beicheng", "city": "beicheng",
                                           "tier": "city", "carrier": c.carrier, "type": c.type}  # fmt: skip
    township = next(x for x in topo.sites.values() if x.tier.value == "township")
    up = next(s for s in info.values() if s.labels["site"] == township.name)
    assert up.labels["tier"] == "township" and up.labels["city"] != ""
    (last,) = families["egnet_device_last_successful_poll_timestamp_seconds"].samples
    assert (last.labels, last.value) == ({"device": "lab-core1"}, 1000.0)
    rx = families["egnet_interface_receive_bytes"]
    assert rx.type == "counter"
    (sample,) = rx.samples
    assert sample.name == "egnet_interface_receive_bytes_total"
    assert sample.labels == {"circuit": "beicheng-up1", "device": "lab-core1", "interface": "eth3"}
    assert sample.value == float(2**64 - 1)  # a Counter64 at its top survives the store
    (tx,) = families["egnet_interface_transmit_bytes"].samples
    assert tx.value == 12345.0


@needs_promtool
def test_exposition_passes_promtool_lint(topo: Topology, tmp_path: Path) -> None:
    text = exposition(_db(tmp_path), topo)
    got = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, timeout=60
    )
    assert got.returncode == 0, got.stdout.decode() + got.stderr.decode()


@needs_promtool
def test_generated_rules_pass_promtool_and_fire(topo: Topology, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    got = subprocess.run([sys.executable, "-m", "egnet.cli", "prometheus-rules", str(ROOT / "inventory" / "lab"),
                          "--interval", "60", "--window", "300", "-o", str(rules)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert got.returncode == 0, got.stderr
    check = subprocess.run(
        [str(PROMTOOL), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert topo.policy.fail_utilisation == 0.8  # the thresholds the unit test below expects
    info = (
        'egnet_circuit_info{circuit="c1",site="s1",city="x",tier="county",carrier="ct",type="mstp"}'
    )
    unit = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": 'egnet_circuit_utilisation_ratio{circuit="c1",direction="ab"}', "values": "0.85x20"},
                {"series": 'egnet_circuit_utilisation_ratio{circuit="c1",direction="ba"}', "values": "0.1x20"},
                {"series": 'egnet_circuit_utilisation_ratio{circuit="c2",direction="ab"}', "values": "0.75x20"},
                {"series": info, "values": "1x20"},
                {"series": info.replace("c1", "c2"), "values": "1x20"},
                {"series": 'egnet_device_reachable{device="d1"}', "values": "1 1 0x10"},
            ],
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": "EgnetCircuitUtilisationCritical", "exp_alerts": []},
                {"eval_time": "10m", "alertname": "EgnetCircuitUtilisationCritical", "exp_alerts": [{
                    "exp_labels": {"severity": "critical", "circuit": "c1", "site": "s1", "city": "x",
                                   "tier": "county", "carrier": "ct", "type": "mstp"},
                    "exp_annotations": {"summary": "c1 at 85% of its contracted rate (fail 80%)"},
                }]},
                {"eval_time": "10m", "alertname": "EgnetCircuitUtilisationWarning", "exp_alerts": [{
                    "exp_labels": {"severity": "warning", "circuit": "c2", "site": "s1", "city": "x",
                                   "tier": "county", "carrier": "ct", "type": "mstp"},
                    "exp_annotations": {"summary": "c2 at 75% (warn 70%)"},
                }]},
                {"eval_time": "6m", "alertname": "EgnetDeviceUnreachable", "exp_alerts": [{
                    "exp_labels": {"severity": "critical", "device": "d1"},
                    "exp_annotations": {"summary": "d1 does not answer SNMP"},
                }]},
            ],
        }],
    }  # fmt: skip
    test_file = tmp_path / "test.yml"
    test_file.write_text(yaml.safe_dump(unit, sort_keys=False))
    run = subprocess.run(
        [str(PROMTOOL), "test", "rules", str(test_file)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_rules_follow_the_inventory_thresholds(topo: Topology) -> None:
    policy = topo.policy.model_copy(update={"warn_utilisation": 0.6, "fail_utilisation": 0.9})
    rules = prometheus_rules(topo.model_copy(update={"policy": policy}), 30, 120)
    by_name = {r["alert"]: r for r in rules["groups"][1]["rules"]}
    assert by_name["EgnetCircuitUtilisationCritical"]["expr"].endswith("> 0.9")
    assert by_name["EgnetCircuitUtilisationWarning"]["expr"].endswith("> 0.6 <= 0.9")
    assert by_name["EgnetCircuitUtilisationWarning"]["for"] == "120s"
    assert "> 90" in by_name["EgnetPollStale"]["expr"]
