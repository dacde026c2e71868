"""Fixtures for the filestack-python real-peer tests.

One skiff-server per test session, on a free 127.0.0.1 port, serving TLS with a throw-away
self-signed certificate, with two apps: ``open`` (no secret) and ``secured`` (secret ``s3cret``).
filestack-python 4.0.0 is pointed at it exactly as docs/protocol.md §1.3 says: property overrides of
``filestack.CFG.MULTIPART_START_URL`` / ``CDN_URL``, a plain assignment of
``filestack.config.API_URL``, and ``REQUESTS_CA_BUNDLE`` to trust the certificate.
"""

import contextlib
import copy
import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import filestack
import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
OPEN_APP = "open"
SECURED_APP = "secured"
SECRET = "s3cret"
MiB = 1024 * 1024

# Logs shown in the failure summary: title -> a function returning the log's text.
FAILURE_LOGS: dict = {}


# --------------------------------------------------------------------------------------------
# server


@dataclass
class Server:
    base: str  # https://127.0.0.1:PORT
    port: int
    cert: Path
    data: Path
    log: Path
    proc: subprocess.Popen

    def url(self, path: str) -> str:
        return self.base + path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _server_bin() -> Path:
    env = os.environ.get("SKIFF_SERVER_BIN")
    path = Path(env) if env else ROOT / "target" / "release" / "skiff-server"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.exit(
            f"skiff-server binary not found at {path}: run tests/peers/python/run.sh "
            "or set SKIFF_SERVER_BIN",
            returncode=2,
        )
    return path


def _make_cert(dirpath: Path) -> tuple:
    """A self-signed P-256 certificate for 127.0.0.1 and localhost (subjectAltName)."""
    if shutil.which("openssl") is None:
        pytest.exit("openssl is required to make the test certificate", returncode=2)
    cert, key = dirpath / "cert.pem", dirpath / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-days", "2",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "extendedKeyUsage=serverAuth",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return cert, key


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(binary: Path, workdir: Path, cert: Path, key: Path, attempt: int, name: str = "server",
           extra_args=(), extra_env: Optional[dict] = None) -> Server:
    port = _free_port()
    base = f"https://127.0.0.1:{port}"
    data = workdir / f"data-{attempt}"
    log = workdir / f"{name}-{attempt}.log"
    # Settings come from the command line only: drop SKIFF_* from the environment (clap reads
    # them as defaults), keep the rest (RUST_LOG may be set by whoever runs the suite).
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_")}
    env["NO_COLOR"] = "1"  # a readable log
    env.update(extra_env or {})
    cmd = [
        str(binary),
        "--listen", f"127.0.0.1:{port}",
        "--data", str(data),
        "--public-url", base,
        "--tls-cert", str(cert),
        "--tls-key", str(key),
        "--app", OPEN_APP,
        "--app", f"{SECURED_APP}:{SECRET}",
        *extra_args,
    ]
    with open(log, "wb") as logf:
        logf.write(("$ " + " ".join(cmd) + "\n").encode())
        logf.flush()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    return Server(base=base, port=port, cert=cert, data=data, log=log, proc=proc)


def _wait_ready(server: Server, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            return False
        try:
            r = requests.get(server.url("/health"), verify=str(server.cert), timeout=2)
            if r.status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def _stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)


def start_server(binary: Path, workdir: Path, cert: Path, key: Path, name: str = "server",
                 extra_args=(), extra_env: Optional[dict] = None) -> tuple:
    """Starts skiff-server (extra_args after the usual flags, extra_env over the environment) and
    waits until it answers /health. Returns (server, None), or (None, the last attempt's log)."""
    srv = None
    for attempt in range(3):  # a free port may be taken between probing and binding
        srv = _start(binary, workdir, cert, key, attempt, name, extra_args, extra_env)
        FAILURE_LOGS[f"skiff-server log ({srv.log})"] = srv.log_text
        if _wait_ready(srv):
            return srv, None
        _stop(srv)
    return None, srv.log_text()


@contextlib.contextmanager
def filestack_pointed_at(srv: Server):
    """Points filestack-python at srv (docs/protocol.md §1.3) and trusts its certificate; restores
    the previous settings on exit (so the fixtures nest)."""
    # Trust the certificate (python-requests reads this for every module-level call and for
    # Sessions with trust_env, which is how filestack-python calls).
    saved_env = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(srv.cert)

    # docs/protocol.md §1.3: the two hosts are read-only properties of CFG -> replace the properties on
    # the class; API_URL is a plain attribute of the shared config instance.
    saved_start = filestack.CFG.__dict__["MULTIPART_START_URL"]
    saved_cdn = filestack.CFG.__dict__["CDN_URL"]
    saved_api = filestack.config.__dict__.get("API_URL")
    filestack.CFG.MULTIPART_START_URL = property(lambda self: srv.base + "/multipart/start")
    filestack.CFG.CDN_URL = property(lambda self: srv.base)
    filestack.config.API_URL = srv.base + "/api"
    assert filestack.config.MULTIPART_START_URL == srv.base + "/multipart/start"
    assert filestack.config.CDN_URL == srv.base

    try:
        yield srv
    finally:
        filestack.CFG.MULTIPART_START_URL = saved_start
        filestack.CFG.CDN_URL = saved_cdn
        if saved_api is None:
            filestack.config.__dict__.pop("API_URL", None)
        else:
            filestack.config.API_URL = saved_api
        if saved_env is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved_env


@pytest.fixture(scope="session")
def server_binary() -> Path:
    return _server_bin()


@pytest.fixture(scope="session")
def server(tmp_path_factory, server_binary):
    """A running skiff-server over TLS, with filestack-python pointed at it."""
    workdir = tmp_path_factory.mktemp("skiff")
    cert, key = _make_cert(workdir)

    srv, log = start_server(server_binary, workdir, cert, key)
    if srv is None:
        pytest.exit(f"skiff-server did not come up; log:\n{log}", returncode=3)

    try:
        with filestack_pointed_at(srv):
            yield srv
    finally:
        _stop(srv)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Show the servers' logs when something failed."""
    failed = terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")
    if not failed:
        return
    for title, text in FAILURE_LOGS.items():
        try:
            lines = text().splitlines()
        except OSError:
            continue
        if not lines:
            continue
        terminalreporter.section(f"{title}, last 300 lines")
        for line in lines[-300:]:
            terminalreporter.line(line)


# --------------------------------------------------------------------------------------------
# helpers for the tests


@pytest.fixture
def make_file(tmp_path):
    """make_file(name, size) -> (path, sha256 hex) of a file of random bytes."""

    def make(name: str, size: int):
        path = tmp_path / name
        h = hashlib.sha256()
        left = size
        with open(path, "wb") as f:
            while left:
                block = os.urandom(min(left, 4 * MiB))
                f.write(block)
                h.update(block)
                left -= len(block)
        return path, h.hexdigest()

    return make


@dataclass
class Call:
    method: str
    url: str
    body: Any  # the JSON body as sent (deep copy), or None
    status: int
    response: Any  # the JSON response for small JSON answers, else None


@dataclass
class Wire:
    """What filestack-python sent over the wire during one test (recorded below requests)."""

    calls: list = field(default_factory=list)

    def to(self, path_suffix: str, method: str = "POST") -> list:
        return [c for c in self.calls if c.method == method and c.url.split("?", 1)[0].endswith(path_suffix)]

    def puts(self) -> list:
        return [c for c in self.calls if c.method == "PUT"]


@pytest.fixture
def wire(monkeypatch):
    """Records every request made through python-requests (filestack-python's only HTTP path:
    module-level requests.get/post/put/delete and Session.post all end in Session.request)."""
    rec = Wire()
    lock = threading.Lock()
    original = requests.sessions.Session.request

    def spy(self, method, url, *args, **kwargs):
        body = copy.deepcopy(kwargs.get("json"))
        resp = original(self, method, url, *args, **kwargs)
        parsed = None
        ctype = resp.headers.get("Content-Type", "")
        if not kwargs.get("stream") and "json" in ctype and len(resp.content) < 64 * 1024:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = None
        with lock:
            rec.calls.append(Call(method.upper(), url, body, resp.status_code, parsed))
        return resp

    monkeypatch.setattr(requests.sessions.Session, "request", spy)
    return rec
