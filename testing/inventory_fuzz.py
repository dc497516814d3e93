"""A seeded mutation fuzzer for inventories: mutate copies, run the CLI in-process, flag bugs.

Each case is a :class:`Mutation` (plain data, drawn from a seeded :class:`random.Random`) applied to a
fresh copy of a base inventory. A pool of worker processes, each under an address-space and CPU
limit (:func:`resource.setrlimit`), runs ``egnet validate`` on the copy and, when it is valid, also
``check``, ``plan --failures n-1`` and ``render``. A case fails when a command exits 70, raises
out of ``main``, prints a traceback, exceeds the per-case time limit (a hang) or kills its worker
(memory, a crash). Used by ``tests/topology/test_mutation_fuzz.py``; run directly for a longer
campaign::

    .venv/bin/python -m testing.inventory_fuzz --cases 2000 --seed 7
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASES = {
    "lab": ROOT / "inventory" / "lab",
    "mixed": ROOT / "tests" / "render" / "inventory",  # Huawei, H3C and Cisco templates too
}
SECRETS = {  # dummy values for rendering (never real keys)
    "ospf_key": "fuzz-ospf-key-01",
    "bgp_password": "fuzz-bgp-pass-01",
    "aaa_key": "fuzz-aaa-key-0001",
    "user_netadmin": "Fuzz-netadmin-pass-1",
    "user_noc": "Fuzz-noc-pass-00001",
    "snmp_v3_auth_key": "fuzz-snmp-auth-key",
    "snmp_v3_priv_key": "fuzz-snmp-priv-key",
}

#: values swapped in for a scalar: numbers out of range, non-finite, wrong types, tags, control
#: characters, CLI specials, injection attempts, aliases, long text
NASTY_VALUES = (
    "9" * 400,
    "-" + "9" * 30,
    "-1",
    "0",
    "0.0000001",
    "0.4",
    "1e400",
    "1e-400",
    ".inf",
    "-.inf",
    ".nan",
    "true",
    "false",
    "yes",
    "null",
    "~",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "0x7fffffffffffffff",
    "0o777",
    "1_000_000",
    "2001-12-14",
    "12:30:45",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [{a: 1}]",
    "!!timestamp 2001-12-14",
    "!!python/object/apply:os.system [id]",
    "!custom x",
    "!!str 5",
    "!!int '7'",
    "!!float 1e999",
    "*undefined",
    "&anchor value",
    '"a\\rrouter bgp 1"',
    '"a\\nrouter bgp 1\\n neighbor 1.1.1.1 remote-as 1"',
    '"a\\vb"',
    '"a\\fb"',
    '"a\\Lb"',
    '"a\\Pb"',
    '"\\e[31mred"',
    '"nul\\0byte"',
    '"bell\\a"',
    '"zero\\u200bwidth"',
    '"bom\\ufeff"',
    '"\\u3000ideographic"',
    '"x | include secret"',
    '"x # comment"',
    '"x ! comment"',
    '"what?"',
    '"100%"',
    "'quoted \"x\"'",
    '"' + "x" * 5000 + '"',
    "x" * 300,
    "155.52M",
    "2.5G",
    "100Tbps",
    "1000000T",
    "70%",
    "101%",
    "-5%",
    "lab-core1",
    "auto",
    "frr",
    "telecom",
    "public",
    "../../etc/passwd",
    "/dev/zero",
    "中文",
    "<script>alert(1)</script>",
)
CONTROL_CHARS = ("\x00", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\u2028",
                 "\u2029", "\ufeff", "\u200b", "\ud7ff", "\t")  # fmt: skip
FILE_SWAPS = ("fifo", "dev_zero", "dev_urandom", "directory", "dangling", "loop", "empty",
              "delete", "sparse_huge", "bom", "crlf", "latin1")  # fmt: skip
KINDS = (
    "bitflip",
    "delete_line",
    "delete_range",
    "duplicate_line",
    "swap_lines",
    "value",
    "value",
    "value",
    "key",
    "control",
    "alias_bomb",
    "alias_recursive",
    "nesting",
    "file_swap",
    "lock",
    "lock",
    "indent",
)
LOCK_VALUES = ("[]", "{}", "null", "true", "1", "-1", "1" * 5000, '"x"', '"10.0.0.0/8"',
               '"' + "a" * 300 + '"', '"198.18.0.1/33"', '"\\u0000"', "[" * 5000 + "]" * 5000)  # fmt: skip
PER_CASE_SECONDS = 20
MEMORY_BYTES = 1024**3  # address space a case may add to what the worker already maps


@dataclass(frozen=True)
class Mutation:
    """One mutation: which base, which file, what to do (``arg`` and ``pick`` drive the choice)."""

    index: int
    base: str
    kind: str
    file: str
    pick: int
    arg: str = ""

    def describe(self) -> str:
        arg = self.arg if len(self.arg) <= 60 else self.arg[:59] + "…"
        return f"#{self.index} {self.base}/{self.file}: {self.kind} pick={self.pick} {arg!r}"


@dataclass
class Outcome:
    """What running the commands on one mutated inventory gave."""

    mutation: Mutation
    codes: list[tuple[str, int]] = field(default_factory=list)
    problem: str | None = None  # None: no bug found

    def as_dict(self) -> dict[str, object]:
        return {"case": self.mutation.describe(), "codes": self.codes, "problem": self.problem}


def _files(base: Path) -> list[str]:
    return sorted(
        str(p.relative_to(base))
        for p in base.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".json")
    )


#: the classes of issue 9 §4, each the first mutations of every campaign (files drawn at random),
#: so that no seed leaves one out: hundreds of digits, .inf, a rate rounding to 0 bit/s, !!binary,
#: ``true`` for a number, a long value, recursive aliases, an alias bomb, deep nesting, a FIFO,
#: a symlink to /dev/zero, a folder, a symlink loop, a sparse huge file, non-UTF-8 text, a lock
#: entry of the wrong type
COVER: tuple[tuple[str, str], ...] = (
    ("value", "9" * 400), ("value", ".inf"), ("value", "1e400"), ("value", "0.0000001"),
    ("value", "!!binary aGVsbG8="), ("value", "true"), ("value", '"' + "x" * 5000 + '"'),
    ("alias_recursive", ""), ("alias_bomb", "9"), ("nesting", "100000"),
    ("file_swap", "fifo"), ("file_swap", "dev_zero"), ("file_swap", "directory"),
    ("file_swap", "loop"), ("file_swap", "sparse_huge"), ("file_swap", "latin1"),
    ("lock", "[]"), ("lock", '"x"'),
)  # fmt: skip


def mutations(seed: int, count: int) -> list[Mutation]:
    """Draw ``count`` mutations deterministically from ``seed`` (the first ones: :data:`COVER`)."""
    rng = random.Random(seed)
    files = {name: _files(path) for name, path in BASES.items()}
    out: list[Mutation] = []
    for index in range(count):
        base = "lab" if rng.random() < 0.8 else "mixed"
        kind = rng.choice(KINDS)
        forced = None
        if index < len(COVER):
            kind, forced = COVER[index]
        names = files[base]
        if kind == "lock":
            file = "ipam.lock.json"
        else:
            file = rng.choice(
                [n for n in names if n.endswith(".yaml")] if kind != "bitflip" else names
            )
        arg = ""
        if kind == "value":
            arg = rng.choice(NASTY_VALUES)
        elif kind == "control":
            arg = rng.choice(CONTROL_CHARS)
        elif kind == "file_swap":
            arg = rng.choice(FILE_SWAPS)
            file = rng.choice([*names, "cities", "ipam.lock.json"])
        elif kind == "lock":
            arg = rng.choice(LOCK_VALUES)
        elif kind == "nesting":
            arg = str(rng.choice((20, 33, 200, 5000, 100_000)))
        elif kind == "alias_bomb":
            arg = str(rng.choice((2, 4, 9)))
        if forced is not None:
            arg = forced
        out.append(Mutation(index, base, kind, file, rng.randrange(1 << 30), arg))
    return out


_SCALAR = re.compile(r"(?P<key>[A-Za-z_][\w-]*): (?P<value>[^,{}\[\]\n#]+?)(?=\s*[,}\]\n#]|$)")
_KEY = re.compile(r"(?P<key>[A-Za-z_][\w-]*):")


def apply(m: Mutation, inv: Path) -> None:
    """Apply ``m`` to the inventory copy ``inv``."""
    path = inv / m.file
    rng = random.Random(m.pick)
    if m.kind == "file_swap":
        _swap(path, m.arg)
        return
    if not path.is_file():
        return
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    lines = text.splitlines(keepends=True) or [""]
    line_no = rng.randrange(len(lines))
    if m.kind == "bitflip":
        if data:
            pos = rng.randrange(len(data))
            data = data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1 :]
        path.write_bytes(data)
        return
    if m.kind == "delete_line":
        del lines[line_no]
    elif m.kind == "delete_range":
        start = rng.randrange(max(1, len(text)))
        text = text[:start] + text[start + rng.randrange(1, 200) :]
        lines = [text]
    elif m.kind == "duplicate_line":
        lines.insert(line_no, lines[line_no])
    elif m.kind == "swap_lines":
        other = rng.randrange(len(lines))
        lines[line_no], lines[other] = lines[other], lines[line_no]
    elif m.kind == "indent":
        lines[line_no] = " " * rng.choice((1, 2, 3, 8)) + lines[line_no]
    elif m.kind in ("value", "lock"):
        lines = [_swap_value(text, m.arg, rng, json_text=m.kind == "lock")]
    elif m.kind == "key":
        found = list(_KEY.finditer(text))
        if found:
            hit = rng.choice(found)
            new = rng.choice(
                [f.group("key") for f in found] + ["unknown_key", "<<", "?", "x" * 300]
            )
            text = text[: hit.start("key")] + new + text[hit.end("key") :]
        lines = [text]
    elif m.kind == "control":
        pos = rng.randrange(max(1, len(text)))
        lines = [text[:pos] + m.arg + text[pos:]]
    elif m.kind == "alias_bomb":
        width = int(m.arg)
        bomb = ["bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n"]
        for level in range(1, width + 1):
            refs = ", ".join(f"*b{level - 1}" for _ in range(10))
            bomb.append(f"bomb{level}: &b{level} [{refs}]\n")
        lines.append("\n" + "".join(bomb))
    elif m.kind == "alias_recursive":
        lines.append("\nloop: &loop {self: *loop}\n")
    elif m.kind == "nesting":
        depth = int(m.arg)
        lines.append("\ndeep: " + "[" * depth + "]" * depth + "\n")
    path.write_text("".join(lines), encoding="utf-8", errors="surrogatepass")


def _swap_value(text: str, new: str, rng: random.Random, *, json_text: bool) -> str:
    if json_text:
        found = list(re.finditer(r'": (?P<value>"[^"]*"|\d+|\{|\[)', text))
        if not found:
            return text
        hit = rng.choice(found)
        start, end = hit.start("value"), hit.end("value")
        if text[start] in "{[":  # replace the whole container (to its closing bracket)
            close = "}" if text[start] == "{" else "]"
            end = text.find(close, start) + 1
        return text[:start] + new + text[end:]
    found = list(_SCALAR.finditer(text))
    if not found:
        return text
    hit = rng.choice(found)
    value = new if "\n" not in new else new.replace("\n", " ")
    return text[: hit.start("value")] + value + text[hit.end("value") :]


def _swap(path: Path, how: str) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        if how in ("bom", "crlf", "latin1", "sparse_huge"):
            text = path.read_text(encoding="utf-8")
            if how == "bom":
                path.write_text("\ufeff" + text, encoding="utf-8")
            elif how == "crlf":
                path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
            elif how == "latin1":
                path.write_bytes(text.encode("utf-8").replace(b"\xe5", b"\xe5\xff", 1) + b"\xe9")
            else:
                with path.open("ab") as f:
                    f.truncate(200 * 1024 * 1024)  # sparse: cheap to create, huge to read
            return
        path.unlink()
    if how == "fifo":
        os.mkfifo(path)
    elif how == "dev_zero":
        path.symlink_to("/dev/zero")
    elif how == "dev_urandom":
        path.symlink_to("/dev/urandom")
    elif how == "directory":
        path.mkdir()
    elif how == "dangling":
        path.symlink_to(path.parent / "no-such-target")
    elif how == "loop":
        path.symlink_to(path)
    elif how == "empty":
        path.write_bytes(b"")


class CaseTimeout(BaseException):
    """Raised by SIGALRM in a worker: the case ran longer than its time limit."""


def _on_alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def _init_worker(memory: int, cpu_seconds: int, fault: str | None = None) -> None:
    if fault is not None:  # self-test of the harness: make the loader fail on purpose
        import topology.loader

        def broken(root: Path) -> object:
            if fault == "hang":
                time.sleep(3600)
            raise RuntimeError("fault injected by the fuzz harness")

        topology.loader._load = broken  # type: ignore[assignment]
    with open("/proc/self/statm", encoding="ascii") as f:  # pages mapped now (the forked parent's)
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    limit = mapped + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    signal.signal(signal.SIGALRM, _on_alarm)
    from topology.secrets import env_name

    for name, value in SECRETS.items():
        os.environ[env_name(name)] = value
    os.environ["EGNET_VAULT"] = "/nonexistent/egnet-fuzz-vault.yaml"


def _run_cli(argv: list[str]) -> tuple[int, str]:
    from egnet.cli import main

    out, err = io.StringIO(), io.StringIO()
    logging.root.handlers.clear()  # main's basicConfig binds to this case's stderr
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
        except CaseTimeout:
            raise
        except BaseException:  # anything escaping main is a bug
            return 70, err.getvalue() + traceback.format_exc()
    return rc, err.getvalue() + out.getvalue()[-2000:]


def run_case(m: Mutation, seconds: int = PER_CASE_SECONDS, root: str | None = None) -> Outcome:
    """Apply ``m`` to a fresh copy of its base inventory and run the commands (in a worker)."""
    outcome = Outcome(m)
    with tempfile.TemporaryDirectory(prefix="case-", dir=root) as tmp:
        inv = Path(tmp) / "inv"
        shutil.copytree(BASES[m.base], inv, symlinks=True)
        signal.alarm(seconds)
        try:
            apply(m, inv)
            steps = [["validate", str(inv)]]
            steps_if_valid = [
                ["check", str(inv), "--json"],
                ["plan", str(inv), "--failures", "n-1", "--json", str(Path(tmp) / "plan.json")],
                ["render", str(inv), "--out", str(Path(tmp) / "out"), "--jobs", "1"],
            ]
            for argv in steps:
                rc, text = _run_cli(argv)
                outcome.codes.append((argv[0], rc))
                if rc == 70 or "Traceback" in text or rc not in (0, 1, 2):
                    outcome.problem = f"{argv[0]} exit {rc}: {text[-1500:]}"
                    return outcome
                if argv[0] == "validate" and rc == 0:
                    steps.extend(steps_if_valid)
        except CaseTimeout:
            outcome.problem = f"hang: more than {seconds} s (last codes {outcome.codes})"
        finally:
            signal.alarm(0)
    return outcome


def run(
    cases: Sequence[Mutation],
    workers: int = 2,
    seconds: int = PER_CASE_SECONDS,
    memory: int = MEMORY_BYTES,
    fault: str | None = None,
) -> list[Outcome]:
    """Run every case in a pool of limited workers; a worker that dies is a failed case.

    ``fault`` ("bug" or "hang") makes every worker's loader fail, to show the harness notices.
    """
    with tempfile.TemporaryDirectory(
        prefix="egnet-fuzz-"
    ) as root:  # also holds a dead worker's files
        return _run(cases, workers, seconds, memory, fault, root)


def _run(
    cases: Sequence[Mutation], workers: int, seconds: int, memory: int, fault: str | None, root: str
) -> list[Outcome]:
    ctx = multiprocessing.get_context("fork")
    outcomes: list[Outcome] = []
    pending = list(cases)
    while pending:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(memory, seconds * 3, fault),
        ) as pool:
            futures: list[tuple[Mutation, Future[Outcome]]] = [
                (m, pool.submit(run_case, m, seconds, root)) for m in pending
            ]
            pending = []
            broken = False
            for m, fut in futures:
                if broken:
                    pending.append(m)
                    continue
                try:
                    outcomes.append(fut.result(timeout=seconds * 3 + 10))
                except BrokenProcessPool:
                    outcomes.append(
                        Outcome(m, problem="worker died (memory limit, CPU limit or crash)")
                    )
                    broken = True
                except TimeoutError:
                    outcomes.append(Outcome(m, problem="hang: the worker did not answer"))
                    for proc in list(getattr(pool, "_processes", {}).values()):
                        proc.kill()
                    broken = True
            if broken:  # cases queued behind the dead worker are re-run in a fresh pool
                done = {o.mutation.index for o in outcomes}
                pending = [m for m in pending if m.index not in done]
    return sorted(outcomes, key=lambda o: o.mutation.index)


def _limits() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CPU)[0]


def worker_limits(seconds: int = PER_CASE_SECONDS, memory: int = MEMORY_BYTES) -> tuple[int, int]:
    """The (address-space, CPU-seconds) limits a worker of :func:`run` runs under."""
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker,
                             initargs=(memory, seconds * 3)) as pool:  # fmt: skip
        return pool.submit(_limits).result(timeout=60)


@contextlib.contextmanager
def _timer() -> Iterator[list[float]]:
    box = [time.perf_counter()]
    yield box
    box[0] = time.perf_counter() - box[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with _timer() as took:
        outcomes = run(mutations(args.seed, args.cases), args.workers)
    bad = [o for o in outcomes if o.problem]
    codes: dict[str, int] = {}
    for o in outcomes:
        last = o.codes[-1][1] if o.codes else -1
        codes[str(last)] = codes.get(str(last), 0) + 1
    summary = {"cases": len(outcomes), "seconds": round(took[0], 1), "exit_codes": codes,
               "problems": [o.as_dict() for o in bad]}  # fmt: skip
    sys.stdout.write(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
