"""A real Synapse homeserver for the Matrix tests: SQLite, loopback, a registration shared
secret, started once per test session (``matrix-synapse`` comes with the ``test`` extra).

Start-up is kept short: no federation, no presence, no metrics, 4 bcrypt rounds. Rate
limits are generous except ``rc_message``, which stays low so that a test can meet
``M_LIMIT_EXCEEDED``; the users the other tests use are exempted through the admin API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SERVER_NAME = "linli.test"
SECRET = "linli-test-registration-secret"
#: messages a second before M_LIMIT_EXCEEDED, for users without an exemption
MESSAGES_PER_SECOND = 1.0
MESSAGE_BURST = 3

_GENEROUS = {"per_second": 1000, "burst_count": 1000}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def config(path: Path, port: int, room_version: str | None = None) -> dict[str, Any]:
    """The homeserver's configuration (YAML is a superset of JSON: it is written as JSON).

    Parameters:
      room_version: the version of the rooms it creates; ``None``: Synapse's own default
        (12 since Synapse 1.135: room ids without a server part).
    """
    chosen = {"default_room_version": room_version} if room_version else {}
    return chosen | {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(path / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(path / "homeserver.db")}},
        "log_config": str(path / "log.yaml"),
        "media_store_path": str(path / "media"),
        "signing_key_path": str(path / "signing.key"),
        "registration_shared_secret": SECRET,
        "macaroon_secret_key": "linli-test-macaroon",
        "form_secret": "linli-test-form",
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "bcrypt_rounds": 4,
        "enable_registration": False,
        "rc_message": {"per_second": MESSAGES_PER_SECOND, "burst_count": MESSAGE_BURST},
        "rc_registration": _GENEROUS,
        "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
        "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
        "rc_joins_per_room": _GENEROUS,
        "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
        "rc_admin_redaction": _GENEROUS,
        "rc_3pid_validation": _GENEROUS,
        "rc_room_creation": _GENEROUS,
    }


_LOG = """version: 1
formatters: {plain: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}
handlers: {file: {class: logging.FileHandler, filename: LOGFILE, formatter: plain}}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


class Synapse:
    """One Synapse process and the users registered on it.

    Parameters:
      path: a folder for its configuration, database and log.
      room_version: the version of the rooms it creates (``None``: its default).
    """

    def __init__(self, path: Path, room_version: str | None = None) -> None:
        self.path = path
        self.room_version = room_version
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin_token = ""
        self.started_in = 0.0

    # --- the process ---------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Generate the keys, start the server and wait until it answers.

        Raises:
          RuntimeError: it exited or did not answer within ``timeout`` seconds.
        """
        begun = time.monotonic()
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "log.yaml").write_text(_LOG.replace("LOGFILE", str(self.path / "homeserver.log")))
        config_path = self.path / "homeserver.yaml"
        config_path.write_text(json.dumps(config(self.path, self.port, self.room_version), indent=1))
        self._write_signing_key()
        with (self.path / "stdout.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"synapse exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"synapse did not answer within {timeout:g} s:\n{self.output()}") from None
                time.sleep(0.1)
        self.admin_token = self.register("admin", admin=True)["access_token"]
        self.started_in = time.monotonic() - begun

    def _write_signing_key(self) -> None:
        from signedjson.key import generate_signing_key, write_signing_keys

        with (self.path / "signing.key").open("w") as out:
            write_signing_keys(out, [generate_signing_key("a_test")])

    def output(self) -> str:
        parts = []
        for name in ("stdout.log", "homeserver.log"):
            file = self.path / name
            if file.exists():
                parts.append(file.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # --- the client-server and admin APIs -----------------------------------------------

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """One API call; returns the JSON answer.

        Raises:
          urllib.error.HTTPError: the server refused it (its body is in the message).
        """
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as exc:
            exc.msg = f"{exc.msg}: {exc.read().decode(errors='replace')}"
            raise

    def register(self, localpart: str, *, admin: bool = False, limited: bool = False) -> dict[str, Any]:
        """Register ``@localpart:linli.test`` with the shared secret; returns the login
        (``user_id``, ``access_token``, ``device_id``). Unless ``limited``, the user is exempt
        from the message rate limit."""
        nonce = self.call("GET", "/_synapse/admin/v1/register")["nonce"]
        password = f"{localpart}-password"
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join([nonce.encode(), localpart.encode(), password.encode(), b"admin" if admin else b"notadmin"])
        )
        login = self.call(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac.hexdigest()},
        )
        if not limited:
            token = self.admin_token or login["access_token"]
            self.call(
                "POST",
                f"/_synapse/admin/v1/users/{login['user_id']}/override_ratelimit",
                {"messages_per_second": 0, "burst_count": 0},
                token=token,
            )
        login["password"] = password
        return login
