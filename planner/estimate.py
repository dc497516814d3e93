"""Traffic-matrix estimation from per-direction link loads (tomogravity, Zhang et al. 2003).

Zhang, Roughan, Duffield, Greenberg, "Fast accurate computation of large-scale IP traffic matrices
from link loads", SIGMETRICS 2003: a gravity-model prior ``x_g`` refined by the least-squares
solution of ``A x = y`` closest to the prior in the weighted norm ``||(x - x_g) / sqrt(x_g)||``
(``A``: routing matrix, ``y``: measured link loads), then made non-negative.

Here the unknowns are the site-to-site demands the demand model has (a site toward its clouds,
egress, parent, conference MCU; explicit demands), the routing matrix is the planner's own exact
routing (:meth:`planner.engine.Engine.demand_matrix`: IGP costs per direction, ECMP splits, tree
paths), and the prior is a generalised gravity model: a site's outgoing total split over its
destinations in proportion to their incoming totals. A leaf site (township) whose every
inter-site circuit is measured has its totals measured exactly; the other sites' totals are the
model's scaled by measured / modelled load over the measured directions.

Flow measurements (a matrix with some site pairs measured) are constraints: those pairs are fixed.
Which demands the link loads cannot tell apart is read off the null space of the routing matrix:
a demand is *determined* when its unit vector lies in the row space (every solution of ``A x = y``
agrees on it), probed with random vectors (exact with probability 1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from planner.demandgen import SiteDemand
from planner.engine import FloatArray
from planner.model import PlanModel
from planner.result import (
    EstimatedPair,
    EstimateResult,
    Fit,
    MatrixDemand,
    MatrixWindow,
    Residual,
    TrafficMatrix,
)
from topology.demands import close_names
from topology.diagnostics import OperationError
from topology.model import Tier

logger = logging.getLogger(__name__)
DENSE_LIMIT = 4_000_000  # m x n cells below which the exact dense pseudo-inverse is used
DETERMINED_TOL = 1e-6


@dataclass(frozen=True)
class Solution:
    """The fitted demands and which of them the measurements determine."""

    x: FloatArray
    determined: np.ndarray  # bool per unknown
    residual: FloatArray  # A x - y per measured row


def _min_norm(a: sp.csr_matrix, b: FloatArray) -> FloatArray:
    """The minimum-norm least-squares solution of ``a z = b`` (exact pseudo-inverse when small).

    Large systems go to LSQR with the rows equilibrated (each divided by its norm): the solution
    set of a consistent system is unchanged, and LSQR converges in hundreds of iterations instead
    of thousands; for an inconsistent one each measurement is weighted by its row's norm.
    """
    m, n = a.shape
    if not n:
        return np.zeros(0)
    if m * n <= DENSE_LIMIT:
        z: FloatArray = np.linalg.lstsq(a.toarray(), b, rcond=None)[0]
        return z
    a = sp.csr_matrix(a)
    norms = np.sqrt(np.asarray(a.multiply(a).sum(1)).reshape(-1))
    norms[norms == 0] = 1.0
    scaled = sp.csr_matrix(sp.diags(1.0 / norms) @ a)
    sol = lsqr(scaled, b / norms, atol=1e-14, btol=1e-14, conlim=1e14, iter_lim=max(20 * n, 1000))
    out: FloatArray = np.asarray(sol[0], dtype=np.float64)
    return out


def determined(a: sp.csr_matrix, probes: int = 2, seed: int = 0) -> np.ndarray:
    """Per column of ``a``: whether ``A x`` fixes that unknown (its unit vector is in the row space).

    Examples:
        >>> a = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
        >>> determined(a).tolist()
        [True, False, False]
    """
    n = a.shape[1]
    if not n:
        return np.zeros(0, bool)
    rng = np.random.default_rng(seed)
    out = np.ones(n, bool)
    for _ in range(probes):
        g = rng.standard_normal(n)
        null = g - _min_norm(a, a @ g)  # the component of g in the null space
        out &= np.abs(null) <= DETERMINED_TOL * max(1.0, float(np.abs(g).max()))
    return out


def tomogravity(
    a: sp.csr_matrix,
    y: FloatArray,
    prior: FloatArray,
    fixed: Mapping[int, float] | None = None,
    rounds: int = 5,
) -> Solution:
    """Refine ``prior`` by least squares on ``A x = y`` (weights 1/prior), non-negative.

    Args:
        a: routing matrix, measured rows x unknowns.
        y: measured loads.
        prior: the gravity prior per unknown.
        fixed: unknowns known exactly (flow measurements): index → value.
        rounds: non-negativity rounds (unknowns driven below zero are fixed at zero and the rest
            refitted).

    Examples:
        >>> a = sp.csr_matrix(np.array([[1.0, 1.0], [0.0, 1.0]]))
        >>> s = tomogravity(a, np.array([3.0, 1.0]), np.array([1.0, 1.0]))
        >>> s.x.round(9).tolist(), s.determined.tolist()
        ([2.0, 1.0], [True, True])
    """
    a = sp.csr_matrix(a, dtype=np.float64)
    n = a.shape[1]
    x = np.asarray(prior, dtype=np.float64).copy()
    known = dict(fixed or {})
    for k, v in known.items():
        x[k] = v
    pinned = np.zeros(n, bool)
    pinned[list(known)] = True
    floor = max(float(np.abs(prior).max(initial=0.0)) * 1e-9, 1e-9)
    fitted: float | None = None  # residual norm of the first (unconstrained) fit
    x_fit = x
    for _ in range(max(rounds, 1)):
        free = np.flatnonzero(~pinned)
        sub = a[:, free].tocsc()
        scale = np.sqrt(np.maximum(prior[free], floor))
        residual = y - a[:, np.flatnonzero(pinned)] @ x[pinned] - sub @ prior[free]
        z = _min_norm(sp.csr_matrix(sub @ sp.diags(scale)), residual)
        cand = x.copy()
        cand[free] = prior[free] + scale * z
        norm = float(np.linalg.norm(a @ cand - y))
        if fitted is None:
            fitted = norm
        elif norm > fitted * (1 + 1e-6) + 1e-9 * max(float(np.linalg.norm(y)), 1.0):
            # the unknowns pinned at zero were needed to fit the loads (the refit would move the
            # determined ones too): keep the last fit and only cut its negatives to zero
            logger.info("tomogravity: pinning negatives at zero would not fit the loads; cut")
            break
        x = x_fit = cand
        negative = free[x[free] < 0]
        if not negative.size:
            break
        x = x.copy()
        x[negative] = 0.0
        pinned[negative] = True
    x = np.maximum(x_fit, 0.0)
    det = np.ones(n, bool)
    free = np.flatnonzero(np.array([k not in known for k in range(n)], bool))
    sub = sp.csr_matrix(a[:, free])
    # one random probe decides with probability 1; two where the exact dense path is cheap
    det[free] = determined(sub, probes=2 if sub.shape[0] * sub.shape[1] <= DENSE_LIMIT else 1)
    return Solution(x, det, a @ x - y)


@dataclass(frozen=True)
class PairModel:
    """The unknowns of an estimate on a plan model: site pairs and their routing matrix."""

    pairs: list[tuple[str, str]]
    members: list[list[int]]  # model demand indices of each pair
    weights: FloatArray  # per model demand: its share of its pair (prior split)
    routing: sp.csr_matrix  # arcs x pairs
    model_rate: FloatArray  # the demand model's rate per pair


def pair_groups(
    pm: PlanModel,
) -> tuple[list[tuple[str, str]], list[list[int]], FloatArray, FloatArray]:
    """The model's demands grouped by (source site, destination site): the pairs, each pair's
    demand indices, each demand's share of its pair (the model's split) and each pair's rate."""
    index: dict[tuple[str, str], int] = {}
    members: list[list[int]] = []
    for d, sd in enumerate(pm.demands):
        k = index.setdefault((sd.src_site, sd.dst_site), len(index))
        if k == len(members):
            members.append([])
        members[k].append(d)
    rate = pm.engine.rate
    weights = np.zeros(len(pm.demands))
    model_rate = np.zeros(len(members))
    for k, ds in enumerate(members):
        total = float(rate[ds].sum())
        model_rate[k] = total
        weights[ds] = rate[ds] / total if total > 0 else 1.0 / len(ds)
    return list(index), members, weights, model_rate


def pair_model(pm: PlanModel) -> PairModel:
    """Group the model's demands by (source site, destination site); a pair's column is the
    rate-weighted mix of its demands' routes (e.g. a township's access router and service switch)."""
    pairs, members, weights, model_rate = pair_groups(pm)
    of = np.zeros(len(pm.demands), np.int64)
    for k, ds in enumerate(members):
        of[ds] = k
    mix = sp.csr_matrix((weights, (np.arange(len(of)), of)), shape=(len(pm.demands), len(members)))
    routing = (pm.engine.demand_matrix() @ mix).tocsr()
    return PairModel(pairs, members, weights, routing, model_rate)


def gravity_prior(
    pm: PlanModel, pairs: PairModel, measured: Mapping[str, tuple[float, float]]
) -> tuple[FloatArray, float, set[str]]:
    """Generalised gravity prior per pair; also the global scale and the sites measured exactly."""
    base = pairs.routing @ pairs.model_rate
    rows, y = measured_rows(pm, measured)
    modelled = float(base[rows].sum())
    scale = float(y.sum()) / modelled if modelled > 0 else 1.0
    out_total: dict[str, float] = {}
    in_total: dict[str, float] = {}
    for (s, d), r in zip(pairs.pairs, pairs.model_rate.tolist(), strict=True):
        out_total[s] = out_total.get(s, 0.0) + r * scale
        in_total[d] = in_total.get(d, 0.0) + r * scale
    exact: set[str] = set()
    for site, (up, down) in leaf_totals(pm, measured).items():
        out_total[site], in_total[site] = up, down
        exact.add(site)
    attraction: dict[str, float] = {}
    for s, d in pairs.pairs:
        attraction[s] = attraction.get(s, 0.0) + in_total.get(d, 0.0)
    prior = np.array(
        [
            out_total.get(s, 0.0) * in_total.get(d, 0.0) / attraction[s] if attraction[s] else 0.0
            for s, d in pairs.pairs
        ]
    )
    return prior, scale, exact


def measured_rows(
    pm: PlanModel, measured: Mapping[str, tuple[float, float]]
) -> tuple[np.ndarray, FloatArray]:
    """Arc indices with a measurement and their measured loads (circuits unknown to the topology
    and values that are not finite non-negative numbers are left out)."""
    rows: list[int] = []
    vals: list[float] = []
    for cid, pair in sorted(measured.items()):
        j = pm.circuit_index.get(cid)
        if j is None:
            continue
        for k in (0, 1):
            value = float(pair[k])
            if np.isfinite(value) and value >= 0:
                rows.append(2 * j + k)
                vals.append(value)
    return np.array(rows, np.int64).reshape(-1), np.array(vals, np.float64).reshape(-1)


def leaf_totals(
    pm: PlanModel, measured: Mapping[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """(out, in) totals of every township whose inter-site circuits are all measured: a leaf of
    the tree carries no transit, so its uplinks carry exactly its own traffic."""
    topo = pm.topo
    site_of = {h: d.site for h, d in topo.devices.items()}
    links: dict[str, list[tuple[str, bool]]] = {}
    for c in pm.circuits:
        sa, sb = site_of[c.a.device], site_of[c.b.device]
        if sa != sb:
            links.setdefault(sa, []).append((c.id, True))
            links.setdefault(sb, []).append((c.id, False))
    out: dict[str, tuple[float, float]] = {}
    for name, site in topo.sites.items():
        ends = links.get(name, [])
        if site.tier is not Tier.TOWNSHIP or not ends or any(c not in measured for c, _ in ends):
            continue
        if not all(np.isfinite(v) and v >= 0 for c, _ in ends for v in measured[c]):
            continue
        up = sum(measured[c][0 if a_side else 1] for c, a_side in ends)
        down = sum(measured[c][1 if a_side else 0] for c, a_side in ends)
        out[name] = (float(up), float(down))
    return out


@dataclass(frozen=True)
class Estimate:
    """An estimated site-to-site matrix on a plan model."""

    pairs: PairModel
    prior: FloatArray
    x: FloatArray
    determined: np.ndarray
    fixed: np.ndarray  # bool per pair: given by flow measurements
    rows: np.ndarray  # measured arcs
    y: FloatArray
    fitted: FloatArray  # A x on the measured arcs
    scale: float
    exact_sites: frozenset[str]


def estimate(
    pm: PlanModel,
    measured: Mapping[str, tuple[float, float]],
    flows: Mapping[tuple[str, str], float] | None = None,
) -> Estimate:
    """Estimate the site-to-site demands from measured per-direction loads (and flow data)."""
    pairs = pair_model(pm)
    prior, scale, exact = gravity_prior(pm, pairs, measured)
    rows, y = measured_rows(pm, measured)
    index = {p: k for k, p in enumerate(pairs.pairs)}
    fixed = {index[p]: float(v) for p, v in (flows or {}).items() if p in index}
    a = pairs.routing[rows]
    sol = tomogravity(a, y, prior, fixed)
    flagged = np.zeros(len(prior), bool)
    flagged[list(fixed)] = True
    logger.info(
        "estimate: %d pairs, %d measured directions, %d fixed by flows",
        len(prior),
        len(y),
        len(fixed),
    )
    return Estimate(
        pairs, prior, sol.x, sol.determined, flagged, rows, y, y + sol.residual, scale,
        frozenset(exact),
    )  # fmt: skip


def site_demands(pm: PlanModel, matrix: Mapping[tuple[str, str], float]) -> list[SiteDemand]:
    """The model's demands re-rated to a site-to-site matrix: a pair's rate is split over the
    model's demands of that pair as the model splits it (endpoint groups and classes kept); a pair
    the model does not have becomes a demand between the two sites' main endpoints (class
    ``explicit``); a model pair missing from the matrix carries nothing."""
    from planner.demandgen import endpoints

    names, members, weights, _ = pair_groups(pm)
    out: list[SiteDemand] = []
    index = {p: k for k, p in enumerate(names)}
    for (s, d), rate in matrix.items():
        k = index.get((s, d))
        if k is None:
            src = endpoints(pm.topo, pm.topo.sites[s])[0][0]
            dst = endpoints(pm.topo, pm.topo.sites[d])[0][0]
            out.append(SiteDemand(src, dst, float(rate), f"matrix:{s}>{d}", s, d, "explicit"))
            continue
        for i in members[k]:
            sd = pm.demands[i]
            out.append(sd._replace(rate_bps=float(rate) * float(weights[i])))
    return out


def estimate_result(
    pm: PlanModel,
    est: Estimate,
    source: tuple[str, Literal["busy_hour", "p95"], float],
    flows: str | None,
    window: tuple[int, int],
) -> EstimateResult:
    """The typed result of an estimate (``egnet.estimate/1``); ``window``: (start, end) Unix
    seconds of the measurements."""
    residual = est.fitted - est.y
    norm = float(np.linalg.norm(est.y))
    rows = []
    for arc, m, f in zip(est.rows.tolist(), est.y.tolist(), est.fitted.tolist(), strict=True):
        cid, a, b = pm.arc_name(arc)
        rows.append(
            Residual(circuit=cid, src=a, to=b, measured_bps=m, fitted_bps=f, residual_bps=f - m)
        )
    pairs = tuple(
        EstimatedPair(
            src=s,
            dst=d,
            rate_bps=float(x),
            determined=bool(det),
            prior_bps=float(p),
            source="flow" if fixed else "estimate",
        )
        for (s, d), x, det, p, fixed in zip(
            est.pairs.pairs, est.x.tolist(), est.determined.tolist(), est.prior.tolist(),
            est.fixed.tolist(), strict=True,
        )
    )  # fmt: skip
    database, method, days = source
    n_det = int(est.determined.sum())
    return EstimateResult(
        network=pm.topo.name,
        database=database,
        method=method,
        days=float(days),
        flows=flows,
        fit=Fit(
            measured_directions=len(est.y),
            unknowns=len(est.x),
            determined=n_det,
            undetermined=len(est.x) - n_det,
            fixed_by_flows=int(est.fixed.sum()),
            exact_sites=len(est.exact_sites),
            prior_scale=est.scale,
            rms_residual_bps=float(np.sqrt(np.mean(residual**2))) if len(residual) else 0.0,
            max_abs_residual_bps=float(np.abs(residual).max(initial=0.0)),
            relative_residual=float(np.linalg.norm(residual)) / norm if norm > 0 else 0.0,
        ),
        residuals=tuple(sorted(rows, key=lambda r: (-abs(r.residual_bps), r.circuit, r.src))),
        pairs=pairs,
        matrix=TrafficMatrix(
            method="tomogravity",
            inventory=pm.topo.name,
            window=MatrixWindow(start=window[0], end=window[1], seconds=max(window[1] - window[0], 1)),
            demands=tuple(
                MatrixDemand(
                    src=p.src, dst=p.dst, dscp="any", rate_bps=p.rate_bps,
                    frame_rate_bps=p.rate_bps, packets=0,
                )
                for p in pairs
            ),
        ),
    )  # fmt: skip


def check_matrix(
    matrix: TrafficMatrix, pm: PlanModel, where: str, rate: Literal["ip", "frame"] = "ip"
) -> dict[tuple[str, str], float]:
    """Site pairs and rates of a matrix (summed over DSCP), checked against the topology.

    Args:
        matrix: the matrix.
        pm: the plan model.
        where: the file name, for messages.
        rate: ``ip`` (``rate_bps``: what a plan's capacities, usable IP rates, compare with) or
            ``frame`` (``frame_rate_bps``: what interface octet counters, hence measured circuit
            loads, count).

    Raises:
        OperationError: naming the file and the entry: unknown site (with close names), a demand
            from a site to itself (except to the site's own egress, which the model has), a
            (pair, DSCP) given twice, a matrix of another network.
    """
    topo = pm.topo
    own = {s for s, d in pair_groups(pm)[0] if s == d}  # a site to its own egress (the model's)
    if matrix.inventory != topo.name:
        raise OperationError(
            f"{where}: inventory: the matrix is for '{matrix.inventory}', the inventory is "
            f"'{topo.name}'"
        )
    out: dict[tuple[str, str], float] = {}
    seen: set[tuple[str, str, str]] = set()
    for i, d in enumerate(matrix.demands):
        for end in ("src", "dst"):
            name = getattr(d, end)
            if name not in topo.sites:
                hint = close_names(name, topo.sites, ())
                raise OperationError(
                    f"{where}: demands[{i}].{end}: unknown site '{name}' (hint: {hint})"
                )
        if d.src == d.dst and d.src not in own:
            raise OperationError(
                f"{where}: demands[{i}]: source and destination are the same site '{d.src}'"
            )
        if (d.src, d.dst, d.dscp) in seen:
            raise OperationError(
                f"{where}: demands[{i}]: {d.src}>{d.dst} DSCP {d.dscp} given twice"
            )
        seen.add((d.src, d.dst, d.dscp))
        value = d.rate_bps if rate == "ip" else d.frame_rate_bps
        out[(d.src, d.dst)] = out.get((d.src, d.dst), 0.0) + value
    return out
