"""Typed plan results: what ``egnet plan`` computes, as frozen pydantic models.

The planner produces a :class:`PlanResult`; the terminal output, the HTML report, ``--compare`` and
the JSON writer all read it through attributes. ``PlanResult.to_json_data()`` is the document of
``planner/SCHEMA.md`` (``egnet.plan/1``); its JSON schema is ``PlanResult.model_json_schema()``
(``egnet plan --schema`` prints it; a test keeps SCHEMA.md's field table in step with it).

A JSON key that is a Python keyword (``from``) is the alias of a field named ``src``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_SCHEMA = "egnet.plan/1"
Status = Literal["ok", "warn", "fail"]


class Result(BaseModel):
    """Base of every result type: strict, frozen, no unknown fields; keys by alias."""

    model_config = ConfigDict(
        strict=True, frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )


class Network(Result):
    """The network planned."""

    name: str
    label: str
    source: str = Field(description="inventory folder")


class PolicyInfo(Result):
    """The planning policy in force."""

    warn_utilisation: float
    fail_utilisation: float
    max_paths: int
    igp: str


class DemandSummary(Result):
    """The demand model's size."""

    count: int
    total_bps: float
    by_class_bps: dict[str, float]
    source: str | None = Field(description="demands file or null")


class GrowthInfo(Result):
    """``--growth``: rate per class per year and the horizon."""

    rates: dict[str, float]
    years: int


class WhatIfDemand(Result):
    """An extra demand from ``--demand``."""

    name: str
    src: str
    dst: str
    rate_bps: int


class WhatIfEvent(Result):
    """An extra event from ``--event``."""

    name: str
    kind: str
    rate_bps: int
    overhead: float


class WhatIf(Result):
    """What-if options applied on top of the inventory's demand model."""

    demands: tuple[WhatIfDemand, ...] = ()
    events: tuple[WhatIfEvent, ...] = ()
    events_dropped: tuple[str, ...] = ()


class RunInfo(Result):
    """How the plan was run."""

    failures: Literal["none", "n-1", "double"]
    user_failures: tuple[str, ...]
    upgrades: dict[str, int]
    growth: GrowthInfo | None
    whatif: WhatIf
    seconds: float
    demands_from: str | None = Field(
        default=None, description="--demands-from: the traffic matrix the demands came from"
    )


class Unrouted(Result):
    """Traffic without a path when nothing has failed."""

    bps: float
    sites: tuple[str, ...]


class SiteResult(Result):
    """A site of the tree, with the worst case of its uplinks."""

    name: str
    label: str
    tier: str
    parent: str | None
    uplink_worst_utilisation: float | None
    lon: float | None = Field(
        default=None, description="longitude of the site's own division point (topology/geo.py)"
    )
    lat: float | None = Field(default=None, description="latitude of the same point")


class ScenarioLoad(Result):
    """A scenario and the load it puts on a direction."""

    name: str
    load_bps: float


class DirectionResult(Result):
    """One direction of a circuit (full duplex: each direction is planned on its own)."""

    src: str = Field(alias="from")
    to: str
    baseline_bps: float
    baseline_utilisation: float
    worst_bps: float
    worst_utilisation: float
    worst_scenarios: tuple[ScenarioLoad, ...]
    status: Status
    exhaustion_year: int | None
    horizon_bps: float | None = Field(
        default=None,
        description="with --growth: the worst candidate's load in the last year of the horizon",
    )
    upgrade_type: str | None = Field(
        default=None,
        description="with --growth, when exhausted: the inventory's smallest circuit type whose "
        "usable rate keeps the horizon load under the fail threshold (null: none does)",
    )
    upgrade_bps: int | None = Field(default=None, description="that type's usable rate")


class CircuitResult(Result):
    """A circuit and both its directions."""

    id: str
    role: str
    tier: str
    type: str
    carrier: str
    tail: bool
    capacity_bps: float
    directions: tuple[DirectionResult, DirectionResult]


class Violation(Result):
    """A direction not ``ok`` in its worst case."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    level: Status
    baseline_utilisation: float
    worst_utilisation: float
    scenario: str


class ScenarioResult(Result):
    """One swept scenario."""

    name: str
    kind: str
    unrouted_bps: float
    sites_lost: tuple[str, ...]
    max_utilisation: float | None
    overloaded: int
    expected_loss: bool | None = Field(
        default=None,
        description="when traffic is lost: true when every site losing it (beyond the baseline's) "
        "is a township (single-homed, or losing one of its own devices: accepted by design) or "
        "lies in a site the scenario fails wholly; false when a site that should survive loses "
        "traffic; null when nothing is lost",
    )


class Scenarios(Result):
    """The scenarios swept and the notable ones listed."""

    count: int
    listed: int
    items: tuple[ScenarioResult, ...]


class TopDirection(Result):
    """One of the most loaded directions."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    baseline_utilisation: float
    worst_utilisation: float
    scenario: str
    exhaustion_year: int | None


class Summary(Result):
    """Counts over the whole plan."""

    directions: int
    status: dict[str, int]
    fail: int
    warn: int
    scenarios_with_unrouted: int
    max_unrouted_bps: float
    expected_losses: int = Field(default=0, description="scenarios losing only expected traffic")
    unexpected_losses: int = Field(
        default=0, description="scenarios where a site that should survive loses traffic"
    )
    top: tuple[TopDirection, ...]


class Change(Result):
    """A circuit direction whose worst case or status differs between two plans."""

    circuit: str
    src: str = Field(alias="from")
    to: str = ""
    before: float
    after: float
    status_before: Status
    status_after: Status


class Comparison(Result):
    """``--compare``: what changed against a saved plan."""

    against: str
    changes: tuple[Change, ...] = Field(
        description="directions in both plans whose worst utilisation or status changed"
    )
    added_circuits: tuple[str, ...] = ()
    removed_circuits: tuple[str, ...] = ()
    added_sites: tuple[str, ...] = ()
    removed_sites: tuple[str, ...] = ()
    unchanged: int = Field(default=0, description="directions in both plans that did not change")


class MeasuredDirection(Result):
    """A measured direction beside the model."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    measured_bps: float
    modelled_bps: float
    ratio: float | None
    measured_utilisation: float
    status: Status
    worst_estimate_bps: float
    worst_estimate_utilisation: float


class AboveModel(Result):
    """A direction where measured exceeds the modelled baseline."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    measured_bps: float
    modelled_bps: float
    ratio: float | None


class Measured(Result):
    """``--measured DB``: measured loads side by side with the model."""

    database: str
    method: Literal["busy_hour", "p95"]
    days: float
    circuits: int
    unknown_circuits: tuple[str, ...]
    unmeasured_circuits: int
    fail: int
    warn: int
    directions: tuple[MeasuredDirection, ...]
    above_model: tuple[AboveModel, ...]


class ClassLoad(Result):
    """A queued class on one direction, worst over the baseline and the scenarios swept."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    traffic_class: str = Field(description="VOICE (EF) or VIDEO (AF41)")
    share: float = Field(description="the class's queue share of the shaped rate")
    baseline_bps: float
    worst_bps: float
    worst_utilisation: float = Field(description="worst class load / (share x capacity)")
    scenario: str
    status: Status


class PerClass(Result):
    """``--per-class``: every queued class against its queue share under every scenario."""

    shares: dict[str, float]
    fail: int
    warn: int
    directions: tuple[ClassLoad, ...] = Field(description="directions not ok, worst first")


class ScenarioDirection(Result):
    """A direction's load in the ``--fail`` scenario."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    load_bps: float
    utilisation: float
    delta_bps: float = Field(description="load minus the no-failure baseline")


class UserScenario(Result):
    """``--fail``: the load of every circuit direction in the user scenario (all failed elements
    together), so the planner can compare each with a measurement."""

    name: str
    unrouted_bps: float
    directions: tuple[ScenarioDirection, ...]


class DemandShare(Result):
    """One demand's part of a direction's load."""

    src_site: str
    dst_site: str
    kind: str = Field(description="what the demand is for: province_cloud/up, event:NAME/down, …")
    traffic_class: str = Field(description="profile tier, event or explicit")
    rate_bps: float
    fraction: float = Field(description="share of the demand's rate on this direction (ECMP)")
    load_bps: float


class Explanation(Result):
    """``--explain``: the demands making up one direction's load."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    scenario: str
    capacity_bps: float
    load_bps: float
    utilisation: float
    by_class_bps: dict[str, float]
    by_kind_bps: dict[str, float]
    demands: tuple[DemandShare, ...] = Field(description="largest first")
    more: int = Field(description="demands left out of the list (--top)")


OPTIONAL_SECTIONS = ("comparison", "measured", "user_scenario", "per_class", "explain")


class PlanResult(Result):
    """The whole plan (``egnet.plan/1``)."""

    schema_: Literal["egnet.plan/1"] = Field(default="egnet.plan/1", alias="schema")
    network: Network
    policy: PolicyInfo
    assumptions: tuple[str, ...]
    demands: DemandSummary
    run: RunInfo
    baseline_unrouted: Unrouted
    sites: tuple[SiteResult, ...]
    circuits: tuple[CircuitResult, ...]
    violations: tuple[Violation, ...]
    scenarios: Scenarios
    summary: Summary
    comparison: Comparison | None = None
    measured: Measured | None = None
    user_scenario: UserScenario | None = None
    per_class: PerClass | None = None
    explain: tuple[Explanation, ...] | None = None

    def to_json_data(self) -> dict[str, Any]:
        """The JSON document: keys by alias; optional sections only when present."""
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude={k for k in OPTIONAL_SECTIONS if getattr(self, k) is None},
        )

    def directions(self) -> list[tuple[str, DirectionResult]]:
        """Every (circuit id, direction) in circuit order."""
        return [(c.id, d) for c in self.circuits for d in c.directions]


# ---- the documentation generated from the types (``planner/SCHEMA.md``, ``plan.schema.json``) ----

SCHEMA_BEGIN = "<!-- generated from planner/result.py: begin -->"
SCHEMA_END = "<!-- generated from planner/result.py: end -->"


def _type_name(tp: Any) -> tuple[str, type[BaseModel] | None, bool]:
    """(readable type, nested model or None, whether it is a list) of an annotation."""
    import types
    import typing

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "object", tp, False
    if origin in (tuple, list):
        inner, model, _ = _type_name(args[0])
        return f"[{inner}]", model, True
    if origin is dict:
        return f"{{str: {_type_name(args[1])[0]}}}", None, False
    if origin is Literal:
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in args), None, False
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a) for a in args if a is not type(None)]
        nested = next((m for _, m, _ in parts if m is not None), None)
        listy = any(li for _, _, li in parts)
        return " \\| ".join(p for p, _, _ in parts) + " or null", nested, listy
    return getattr(tp, "__name__", str(tp)), None, False


def field_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str]]:
    """(JSON path, type, description) of every field, nested objects flattened.

    Examples:
        >>> rows = field_rows(PlanResult)
        >>> ("circuits[].directions[].from", "str", "") in rows
        True
    """
    rows: list[tuple[str, str, str]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        type_text, nested, listy = _type_name(info.annotation)
        if name == "directions" and model is CircuitResult:
            type_text, nested, listy = "[object] (a→b, b→a)", DirectionResult, True
        path = f"{prefix}{key}"
        desc = (info.description or "").replace("|", "\\|")
        rows.append((path, type_text, desc))
        if nested is not None:
            rows += field_rows(nested, path + ("[]." if listy else "."))
    return rows


def schema_markdown() -> str:
    """The generated field table of ``egnet.plan/1`` (between the markers in SCHEMA.md)."""
    lines = [SCHEMA_BEGIN, "", "| field | type | note |", "|---|---|---|"]
    lines += [f"| `{p}` | {t} | {d} |" for p, t, d in field_rows(PlanResult)]
    return "\n".join([*lines, "", SCHEMA_END])


def json_schema_text() -> str:
    """``PlanResult``'s JSON schema (serialisation mode, keys by alias), as stored in
    ``planner/plan.schema.json``."""
    import json

    schema = PlanResult.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_docs(folder: str) -> None:
    """Regenerate ``SCHEMA.md``'s field table and ``plan.schema.json`` in ``folder``."""
    from pathlib import Path

    md = Path(folder) / "SCHEMA.md"
    text = md.read_text(encoding="utf-8")
    head, _, rest = text.partition(SCHEMA_BEGIN)
    _, _, tail = rest.partition(SCHEMA_END)
    md.write_text(head + schema_markdown() + tail, encoding="utf-8")
    (Path(folder) / "plan.schema.json").write_text(json_schema_text(), encoding="utf-8")


if __name__ == "__main__":  # .venv/bin/python -m planner.result: regenerate the documents
    import sys

    write_docs(sys.argv[1] if len(sys.argv) > 1 else "planner")


# ---- traffic matrices and estimates (``egnet estimate``, ``egnet plan --demands-from``) ----

MATRIX_SCHEMA = "egnet.matrix/1"
ESTIMATE_SCHEMA = "egnet.estimate/1"
MAX_RATE_BPS = 1e13


class MatrixDemand(Result):
    """One demand of a matrix: source site → destination site, one DSCP, mean rate."""

    src: str = Field(min_length=1, max_length=128)
    dst: str = Field(min_length=1, max_length=128)
    dscp: str = Field(max_length=16, description="DSCP name; `any` for an estimate")
    rate_bps: float = Field(ge=0.0, le=MAX_RATE_BPS, allow_inf_nan=False)
    frame_rate_bps: float = Field(ge=0.0, le=MAX_RATE_BPS, allow_inf_nan=False)
    packets: int = Field(ge=0)


class MatrixWindow(Result):
    """The measurement window (Unix seconds)."""

    start: int
    end: int
    seconds: int = Field(gt=0)


class MatrixUnmapped(Result):
    """Flow traffic whose source or destination is in no prefix of the model."""

    records: int = 0
    bytes: int = 0
    addresses: tuple[str, ...] = Field(default=(), max_length=100_000)


class TrafficMatrix(Result):
    """A site-to-site traffic matrix (``egnet.matrix/1``), the format ``egnet flows matrix``
    writes (``poller/flowmatrix.py``; a test keeps the two definitions identical) and
    ``egnet estimate --matrix`` writes (method ``tomogravity``, DSCP ``any``, both rates in the
    units of the measured loads)."""

    schema_: Literal["egnet.matrix/1"] = Field(default="egnet.matrix/1", alias="schema")
    method: str = Field(max_length=64)
    inventory: str = Field(max_length=128, description="the network (topology name)")
    window: MatrixWindow
    demands: tuple[MatrixDemand, ...] = Field(max_length=1_000_000)
    transit_records: int = 0
    unknown_exporters: tuple[str, ...] = Field(default=(), max_length=100_000)
    unmapped: MatrixUnmapped = MatrixUnmapped()

    def to_json_data(self) -> dict[str, Any]:
        """The JSON document (keys by alias)."""
        return self.model_dump(mode="json", by_alias=True)


class EstimatedPair(Result):
    """One estimated site pair with its prior and whether the measurements determine it."""

    src: str
    dst: str
    rate_bps: float
    prior_bps: float
    determined: bool
    source: Literal["flow", "estimate"]


class Residual(Result):
    """A measured direction: measured load, the estimate's fitted load and the difference."""

    circuit: str
    src: str = Field(alias="from")
    to: str
    measured_bps: float
    fitted_bps: float
    residual_bps: float


class Fit(Result):
    """How well the estimate reproduces the measurements."""

    measured_directions: int
    unknowns: int
    determined: int
    undetermined: int
    fixed_by_flows: int
    exact_sites: int = Field(description="leaf sites whose totals the measurements give exactly")
    prior_scale: float = Field(description="measured / modelled load over the measured directions")
    rms_residual_bps: float
    max_abs_residual_bps: float
    relative_residual: float = Field(description="||A x - y|| / ||y||")


class EstimateResult(Result):
    """``egnet estimate`` (``egnet.estimate/1``)."""

    schema_: Literal["egnet.estimate/1"] = Field(default="egnet.estimate/1", alias="schema")
    network: str
    database: str
    method: Literal["busy_hour", "p95"]
    days: float
    flows: str | None
    fit: Fit
    residuals: tuple[Residual, ...]
    pairs: tuple[EstimatedPair, ...]
    matrix: TrafficMatrix

    def to_json_data(self) -> dict[str, Any]:
        """The JSON document (keys by alias)."""
        return self.model_dump(mode="json", by_alias=True)
