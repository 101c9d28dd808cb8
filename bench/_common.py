"""What the benchmarks share: the machine, the figures, the services, the worker processes.

Benchmarks talk to loopback servers only (:func:`loopback`), write one JSON file
under ``bench/results/`` and print a short summary for people.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REDIS_URL = os.environ.get("LINLI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
POSTGRES_URL = os.environ.get("LINLI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPLIES = "linli-bench:replies"


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def loopback(url: str) -> str:
    """``url``, refused unless it points at this machine: load is never sent elsewhere."""
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit(f"benchmarks only run against loopback servers, not {url}")
    return url


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    # the machine may be shared (other test runs): the load says how quiet it was
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg": os.getloadavg(),
        "kernel": platform.release(),
        "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
    }


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def write_result(name: str, data: dict[str, Any], summary: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **data}, ensure_ascii=False, indent=2))
    print(summary)
    print(f"(written to {path.relative_to(ROOT)})")
    return path


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one benchmark, dropped afterwards; yields its URL."""
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(loopback(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def redis_client() -> Any:
    import redis

    client = redis.Redis.from_url(loopback(REDIS_URL))
    client.flushdb()
    return client


def write_settings(folder: Path, database: str, *, threads: int, timeout_ms: int, rooms: int) -> Path:
    """A deployment's settings: Redis broker, the given database, the ``test`` platform on a Redis list."""
    room_list = ", ".join(f'"test:room-{n}"' for n in range(rooms))
    path = folder / "settings.toml"
    path.write_text(
        f'[storage]\nurl = "{database}"\n'
        f'[queue]\nbroker = "{REDIS_URL}"\nworker_threads = {threads}\nworker_timeout_ms = {timeout_ms}\n'
        '[logging]\nlevel = "warning"\nformat = "json"\n'
        f'[platforms.test]\nkind = "redis-list"\nurl = "{REDIS_URL}"\nlist = "{REPLIES}"\n'
        f'[districts.bench]\nname = "基准社区"\nrooms = [{room_list}]\nplugins = ["basics", "suggestions"]\n',
        encoding="utf-8",
    )
    return path


def consent_people(rt: Any, count: int) -> None:
    """``count`` people (``test:p<n>``) who have accepted the privacy notice."""
    from linli.core import people

    with rt.store.begin() as conn:
        for n in range(count):
            person = people.person_for(conn, f"test:p{n}", f"居民{n}")
            people.record_consent(conn, person.id, rt.settings.privacy.notice_version, True)


class Processes:
    """A command started in the background (``linli worker``, ``dramatiq ...``), stopped with SIGTERM."""

    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )

    def pids(self) -> list[int]:
        """The parent and the worker processes it started."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [self.proc.pid, *(int(p) for p in children.read_text().split())] if children.exists() else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for_heartbeats(client: Any, count: int, procs: Processes, timeout: float = 60) -> None:
    """Wait until ``count`` broker processes poll Redis (the workers are up)."""
    deadline = time.monotonic() + timeout
    while client.zcard("dramatiq:__heartbeats__") < count:
        if procs.proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"workers did not come up; their log:\n{procs.log.read_text(errors='replace')}")
        time.sleep(0.05)


def linli_worker(
    settings: Path,
    *,
    processes: int,
    threads: int,
    log: Path,
    env: dict[str, str] | None = None,
) -> Processes:
    return Processes(
        [
            sys.executable,
            "-m",
            "linli",
            "--settings",
            str(settings),
            "worker",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
        ],
        env=env,
        log=log,
    )


def rss_kib(pid: int) -> dict[str, int]:
    """Resident memory of one process, KiB: RSS, and from smaps_rollup PSS and private (USS)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1])
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    if rollup.exists():
        fields = {ln.split(":")[0]: int(ln.split()[1]) for ln in rollup.read_text().splitlines()[1:] if ":" in ln}
        out["pss"] = fields.get("Pss", 0)
        out["uss"] = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return out
