"""The fault suite (``make faults``): a deployment on loopback put through the faults of
issue 14, and for each what it cost.

Each probe starts from nothing: a ``redis-server`` of its own on a free port in a
temporary folder (the broker and the room locks: this script kills and restarts it),
a second one that is never touched (the ``test`` platform's reply list), a fresh schema
in its own PostgreSQL database, ``linli worker --processes 2 --threads 4`` kept running
by a supervisor of this script (as systemd's ``Restart=always`` would), events
submitted at a steady rate, each one ``/comment 1 …`` from a consented resident in one
of 20 rooms: one comment row written, one reply sent. After the faults it waits for
the deployment to settle and counts:

- **lost**: events whose comment is not in the database;
- **doubled effects**: comments written more than once;
- **missing replies**: events whose comment is written but whose reply never arrived;
- **doubled replies**: replies the platform got more than once.

Probes (``--only`` picks some): ``worker-kill`` (4 × SIGKILL of a worker child, no
scheduler; ``--kills``), ``worker-kill-scheduler`` (the same with ``linli scheduler``), ``postgres``
(3 × 5 s of ``pg_terminate_backend`` on this database's connections, then 10 s of refused
connections), ``redis-no-aof`` and ``redis-aof`` (events queued, Redis killed and
restarted, then the workers start), ``telegram-gateway`` (the Telegram gateway against
the fake Bot API, 2 × SIGKILL), ``telegram-redis-no-aof`` and ``telegram-redis-aof`` (the
same, the broker's Redis killed and restarted twice instead), ``parent-kill`` (SIGKILL of
the ``linli worker`` parent).

It is not part of ``make test`` nor ``make bench``: it kills servers and takes minutes.
It never touches another Redis, and terminates connections of its own database only
(``--postgres``, or ``LINLI_FAULTS_POSTGRES_URL``; the database must exist).

    python bench/faults.py [--events 600] [--rate 40] [--only worker-kill,postgres]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, loopback, positive, write_result

POSTGRES_URL = os.environ.get("LINLI_FAULTS_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/linli_w2")
REPLIES = "linli-faults:replies"
ROOMS = 20
PEOPLE = 50
TG_GROUPS = 60
#: Dramatiq's crash recovery, as the integration tests tune it (see docs/operations.md)
HEARTBEAT_MS = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A ``redis-server`` of this script's own, in ``folder``, killed and restarted at will."""

    def __init__(self, folder: Path, *, aof: bool) -> None:
        self.folder, self.aof, self.port = folder, aof, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        argv += ["--appendonly", "yes" if self.aof else "no", "--appendfsync", "everysec", "--save", ""]
        argv += ["--logfile", str(self.folder / "redis.log")]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"redis-server on {self.port} did not start") from None
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class Supervised:
    """A linli command kept running: restarted one second after it exits, as
    ``Restart=always`` would, until :meth:`stop`."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.argv, self.log, self.env = argv, log, env
        self.starts = 0
        self.proc = self._start()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        with self.log.open("ab") as out:
            return subprocess.Popen(self.argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=self.env)

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            if self.proc.poll() is not None and not self._stopping.wait(1.0):
                self.proc = self._start()

    def children(self) -> list[int]:
        """The worker processes (Dramatiq's parent restarts a dead one from another thread:
        each thread's children are listed apart)."""
        found = []
        for path in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            with suppress(OSError):
                found += [int(p) for p in path.read_text().split()]
        return sorted(found)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def own_database(url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema in the database of ``url``; yields (the URL to use, the database's name)."""
    import sqlalchemy as sa

    schema = f"faults_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(loopback(url), pool_pre_ping=True)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}", name
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class Postgres:
    """Faults of this database only, done from a connection to the ``postgres`` database."""

    def __init__(self, url: str, database: str) -> None:
        import sqlalchemy as sa

        self.database = database
        maintenance = sa.engine.make_url(url.split("?")[0]).set(database="postgres")
        self.engine = sa.create_engine(maintenance, isolation_level="AUTOCOMMIT")

    def terminate(self) -> int:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": self.database},
            )
            return len(rows.all())

    def allow_connections(self, allowed: bool) -> None:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))

    def close(self) -> None:
        self.allow_connections(True)
        self.engine.dispose()


class Deployment:
    """One probe's servers, settings and processes."""

    def __init__(self, folder: Path, database_url: str, *, aof: bool, telegram_api: str = "") -> None:
        import redis

        from linli.core import people
        from linli.core.settings import load_settings
        from linli.plugins.council.tables import matters
        from linli.workers.runtime import Runtime

        self.folder = folder
        self.broker = RedisServer(folder / "broker", aof=aof)
        self.sink = RedisServer(folder / "sink", aof=False)
        self.broker.start()
        self.sink.start()
        if telegram_api:
            self.rooms = [f"telegram:{-1000 - n}" for n in range(TG_GROUPS)]
            platform = f'[platforms.telegram]\napi_url = "{telegram_api}"\npoll_timeout = 1\nper_second = 1000\n'
        else:
            self.rooms = [f"test:room-{n}" for n in range(ROOMS)]
            platform = f'[platforms.test]\nkind = "redis-list"\nurl = "{self.sink.url}"\nlist = "{REPLIES}"\n'
        room_list = ", ".join(f'"{r}"' for r in self.rooms)
        self.settings_path = folder / "settings.toml"
        self.settings_path.write_text(
            f'[storage]\nurl = "{database_url}"\n'
            f'[queue]\nbroker = "{self.broker.url}"\nworker_threads = 4\nworker_timeout_ms = 50\n'
            f"heartbeat_timeout_ms = {HEARTBEAT_MS}\nmaintenance_chance = 100000\n"
            '[logging]\nlevel = "warning"\nformat = "json"\n'
            f"{platform}"
            f'[districts.f]\nname = "故障社区"\nrooms = [{room_list}]\nplugins = ["core", "council"]\n',
            encoding="utf-8",
        )
        self.settings = load_settings(self.settings_path, env={})
        self.rt = Runtime(self.settings)
        self.rt.prepare_database()
        self.platform = "telegram" if telegram_api else "test"
        with self.rt.store.begin() as conn:
            for n in range(PEOPLE):
                person = people.person_for(conn, f"{self.platform}:{1000 + n}", f"居民{n}")
                assert person is not None
                people.record_consent(conn, person.id, self.settings.privacy.notice_version, True)
            conn.execute(
                matters.insert().values(
                    district_id="f", number=1, title="路灯", category="safety", created_at=self.rt.clock.now()
                )
            )
        self.sink_client = redis.Redis.from_url(self.sink.url)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        self.procs: list[Supervised] = []
        self.texts: dict[str, str] = {}  # event id -> the comment's text

    def start(self, *args: str, name: str) -> Supervised:
        argv = [sys.executable, "-m", "linli", "--settings", str(self.settings_path), *args]
        proc = Supervised(argv, self.folder / f"{name}.log", self.env)
        self.procs.append(proc)
        return proc

    def worker(self) -> Supervised:
        return self.start("worker", "--processes", "2", "--threads", "4", name="worker")

    def submit(self, n: int) -> bool:
        """Event ``n`` as the gateway would hand it over; False when the broker refused it."""
        from linli.core.events import Address, Inbound, Sender

        who = f"{1000 + n % PEOPLE}"
        room = self.rooms[n % len(self.rooms)].partition(":")[2]
        text = f"fault {n} 路灯"
        inbound = Inbound(f"f:{n}", Address("test", room), Sender("test", who, f"居民{who}"), text=f"/comment 1 {text}")
        try:
            self.rt.submit(inbound)
        except Exception:
            return False
        self.texts[inbound.event_id] = text
        return True

    def submit_at(self, count: int, rate: float) -> threading.Thread:
        """Submit ``count`` events at ``rate`` a second, in a thread (retrying one the broker refused)."""

        def run() -> None:
            start = time.monotonic()
            for n in range(count):
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                while not self.submit(n):
                    time.sleep(0.2)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    # --- counting -------------------------------------------------------------------

    def comments(self) -> collections.Counter[str]:
        import sqlalchemy as sa

        from linli.plugins.council.tables import comments

        with self.rt.store.connect() as conn:
            return collections.Counter(r[0] for r in conn.execute(sa.select(comments.c.text)))

    def replies(self) -> collections.Counter[str]:
        """Replies the platform got, by outbox key."""
        if self.platform == "test":
            return collections.Counter(json.loads(r)["key"] for r in self.sink_client.lrange(REPLIES, 0, -1))
        raise NotImplementedError

    def pending(self) -> int:
        import sqlalchemy as sa

        from linli.core.storage import schema as s

        with self.rt.store.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(s.outbox).where(s.outbox.c.status == "pending")
                ).scalar_one()
            )

    def settle(self, wanted: int, timeout: float, replies: Callable[[], int]) -> float:
        """Wait until every wanted comment is written, nothing is pending and the replies
        have not changed for 3 s, or ``timeout``; returns the seconds waited."""
        start = time.monotonic()
        last, since = -1, time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                done = sum(1 for t in self.texts.values() if self.comments()[t]) >= wanted and self.pending() == 0
                now = replies()
            except Exception:
                done, now = False, -1
            if now != last:
                last, since = now, time.monotonic()
            if done and time.monotonic() - since > 3:
                break
            time.sleep(0.5)
        return round(time.monotonic() - start, 1)

    def count(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        self.rt.store.engine.dispose()  # its pooled connections may have been killed
        written = self.comments()
        replies = self.replies()
        lost = [e for e, t in self.texts.items() if not written[t]]
        doubled_effects = sum(written[t] - 1 for t in self.texts.values() if written[t] > 1)
        answered = {key.rsplit(":", 1)[0] for key in replies}
        missing = [e for e, t in self.texts.items() if written[t] and not any(k.startswith(f"{e}:") for k in replies)]
        return {
            "events": len(self.texts),
            "lost": len(lost),
            "doubled_effects": doubled_effects,
            "missing_replies": len(missing),
            "doubled_replies": sum(c - 1 for c in replies.values() if c > 1),
            "apologies": sum(1 for k in replies if k.endswith(":error")),
            "answered_events": len(answered),
            "pending_rows": self.pending(),
            **(extra or {}),
        }

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.rt.close()
        self.sink_client.close()
        self.broker.stop()
        self.sink.stop()


def kill_children(d: Deployment, worker: Supervised, times: int, every: float) -> int:
    """SIGKILL a worker child ``times`` times, ``every`` seconds apart (each once there is
    one again: its parent stops when a child dies, and the supervisor restarts it)."""
    killed = 0
    for _ in range(times):
        time.sleep(every)
        deadline = time.monotonic() + 30
        while not (children := worker.children()) and time.monotonic() < deadline:
            time.sleep(0.1)
        if children:
            time.sleep(0.5)  # busy again
            with suppress(ProcessLookupError):
                os.kill(children[-1], signal.SIGKILL)
                killed += 1
    return killed


# --- the probes ---------------------------------------------------------------------------


def probe_worker_kill(d: Deployment, args: argparse.Namespace, *, scheduler: bool) -> dict[str, Any]:
    worker = d.worker()
    if scheduler:
        d.start("scheduler", name="scheduler")
    time.sleep(3)
    feeder = d.submit_at(args.events, args.rate)
    span = args.events / args.rate
    killed = kill_children(d, worker, args.kills, span / (args.kills + 1))
    feeder.join()
    waited = d.settle(args.events, args.recovery, lambda: sum(d.replies().values()))
    return d.count({"kills": killed, "worker_starts": worker.starts, "settled_after_s": waited})


def probe_postgres(d: Deployment, args: argparse.Namespace, database: str) -> dict[str, Any]:
    pg = Postgres(d.settings.storage.url, database)
    worker = d.worker()
    time.sleep(3)
    feeder = d.submit_at(args.events, args.rate)
    terminated = 0
    try:
        for _ in range(3):
            time.sleep(2)
            end = time.monotonic() + 5
            while time.monotonic() < end:
                terminated += pg.terminate()
                time.sleep(0.25)
        pg.allow_connections(False)
        terminated += pg.terminate()
        time.sleep(10)
    finally:
        pg.allow_connections(True)
    feeder.join()
    waited = d.settle(args.events, args.recovery, lambda: sum(d.replies().values()))
    pg.close()
    return d.count({"terminated": terminated, "worker_starts": worker.starts, "settled_after_s": waited})


def probe_redis_restart(d: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    for n in range(args.events):  # queued: no worker runs yet
        d.submit(n)
    time.sleep(1.5)  # past an everysec fsync: a machine's crash is not what is probed here
    d.broker.kill()
    d.broker.start()
    worker = d.worker()
    time.sleep(10)  # the workers start and take what survived; without AOF nothing may be left to wait for
    kept = len(d.texts) if d.broker.aof else 0
    waited = d.settle(kept, args.recovery, lambda: sum(d.replies().values()))
    return d.count({"worker_starts": worker.starts, "settled_after_s": waited})


def probe_parent_kill(d: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    worker = d.worker()
    time.sleep(3)
    feeder = d.submit_at(args.events, args.rate)
    time.sleep(args.events / args.rate / 2)
    parent, children = worker.proc.pid, worker.children()
    os.kill(parent, signal.SIGKILL)
    time.sleep(5)
    orphans = [c for c in children if alive(c)]
    feeder.join()
    waited = d.settle(args.events, args.recovery, lambda: sum(d.replies().values()))
    return d.count({"orphans_after_5s": len(orphans), "worker_starts": worker.starts, "settled_after_s": waited})


def probe_telegram(
    folder: Path, database_url: str, args: argparse.Namespace, *, kill: str = "gateway", aof: bool = True
) -> dict[str, Any]:
    """The Telegram gateway against the fake Bot API; ``kill``: the gateway, or the broker's Redis."""
    import sqlalchemy as sa

    from linli.core.storage import schema as s
    from linli.testing.telegram import FakeBotApi

    generous = 10**6
    with FakeBotApi(per_second=generous, per_chat=generous, per_group=generous) as api:
        d = Deployment(folder, database_url, aof=aof, telegram_api=api.url)
        d.env["LINLI_TELEGRAM_TOKEN"] = api.token
        try:
            d.worker()
            time.sleep(3)
            gateway = d.start("gateway", "--platform", "telegram", name="gateway")
            texts: dict[int, str] = {}

            def feed() -> None:
                start = time.monotonic()
                for n in range(args.events):
                    delay = start + n / args.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    text = f"fault {n} 路灯"
                    chat = -1000 - n % TG_GROUPS
                    texts[api.push_message(chat, f"/comment 1 {text}", user_id=1000 + n % PEOPLE)] = text

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            kills = 0
            for _ in range(2):
                time.sleep(args.events / args.rate / 3)
                if kill == "gateway":
                    os.kill(gateway.proc.pid, signal.SIGKILL)
                else:
                    d.broker.kill()
                    d.broker.start()
                kills += 1
            feeder.join()
            d.texts = {f"telegram:{api.bot_id}:{u}": t for u, t in texts.items()}

            def sent_rows() -> int:
                with d.rt.store.connect() as conn:
                    return int(
                        conn.execute(
                            sa.select(sa.func.count()).select_from(s.outbox).where(s.outbox.c.status == "sent")
                        ).scalar_one()
                    )

            waited = d.settle(args.events, args.recovery, lambda: len(api.sent))
            d.rt.store.engine.dispose()
            written = d.comments()
            with d.rt.store.connect() as conn:
                keys = {
                    r[0]: r[1]
                    for r in conn.execute(
                        sa.select(s.outbox.c.key, s.outbox.c.status).where(s.outbox.c.kind == "message")
                    )
                }
            missing = [
                e
                for e, t in d.texts.items()
                if written[t] and not any(k.startswith(f"{e}:") and st == "sent" for k, st in keys.items())
            ]
            return {
                "events": len(d.texts),
                "lost": sum(1 for t in d.texts.values() if not written[t]),
                "doubled_effects": sum(written[t] - 1 for t in d.texts.values() if written[t] > 1),
                "missing_replies": len(missing),
                "doubled_replies": max(0, len(api.sent) - sent_rows()),
                "pending_rows": d.pending(),
                f"{kill}_kills": kills,
                "updates_left_at_the_api": api.pending(),
                "settled_after_s": waited,
            }
        finally:
            d.close()


PROBES = (
    "worker-kill",
    "worker-kill-scheduler",
    "postgres",
    "redis-no-aof",
    "redis-aof",
    "telegram-gateway",
    "telegram-redis-no-aof",
    "telegram-redis-aof",
    "parent-kill",
)


def run_probe(name: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    with own_database(args.postgres) as (url, database):
        if name == "telegram-gateway":
            return probe_telegram(folder, url, args)
        if name.startswith("telegram-redis"):
            return probe_telegram(folder, url, args, kill="redis", aof="no-aof" not in name)
        d = Deployment(folder, url, aof=name != "redis-no-aof")
        try:
            if name == "worker-kill":
                return probe_worker_kill(d, args, scheduler=False)
            if name == "worker-kill-scheduler":
                return probe_worker_kill(d, args, scheduler=True)
            if name == "postgres":
                return probe_postgres(d, args, database)
            if name in ("redis-no-aof", "redis-aof"):
                return probe_redis_restart(d, args)
            if name == "parent-kill":
                return probe_parent_kill(d, args)
            raise SystemExit(f"no probe {name}")
        finally:
            d.close()


COLUMNS = ("events", "lost", "doubled_effects", "missing_replies", "doubled_replies", "pending_rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=positive, default=600, help="events per probe")
    parser.add_argument("--rate", type=float, default=40.0, help="events submitted a second")
    parser.add_argument("--kills", type=positive, default=4, help="worker children killed in the worker-kill probes")
    parser.add_argument("--recovery", type=float, default=120.0, help="seconds to wait for a probe to settle")
    parser.add_argument(
        "--postgres", default=POSTGRES_URL, help="a database of the suite's own (its connections are killed)"
    )
    parser.add_argument("--only", default="", help=f"comma-separated probes of: {', '.join(PROBES)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("the fault suite needs redis-server on the PATH")
    chosen = [p for p in args.only.split(",") if p] or list(PROBES)
    unknown = set(chosen) - set(PROBES)
    if unknown:
        raise SystemExit(f"unknown probes: {', '.join(sorted(unknown))}; known: {', '.join(PROBES)}")
    results: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="linli-faults-"))
    try:
        for name in chosen:
            print(f"{name} …", flush=True)
            started = time.monotonic()
            results[name] = run_probe(name, folder / name, args)
            results[name]["seconds"] = round(time.monotonic() - started, 1)
            print("  " + ", ".join(f"{k} {v}" for k, v in results[name].items()), flush=True)
    finally:
        if args.keep:
            print(f"logs in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    width = max(map(len, results), default=10)
    lines = [f"{'probe':<{width}}  " + "  ".join(f"{c:>15}" for c in COLUMNS)]
    lines += [f"{n:<{width}}  " + "  ".join(f"{r.get(c, ''):>15}" for c in COLUMNS) for n, r in results.items()]
    write_result("faults", {"events": args.events, "rate": args.rate, "probes": results}, "\n".join(lines))


if __name__ == "__main__":
    main()
