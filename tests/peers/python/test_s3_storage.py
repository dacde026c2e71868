"""Real peer: unmodified filestack-python 4.0.0 uploading to skiff-server whose storage is an
S3-compatible bucket on a real SeaweedFS (`[storage] kind = "s3"`, README "S3 storage").

A regular upload's parts go from the client straight to the bucket: /multipart/upload answers with
a presigned UploadPart URL of the bucket and the headers `{"Content-MD5": …}`, and complete lists
the bucket's ETags (docs/protocol.md §3.8). An intelligent (FII) upload still sends its chunks to
skiff-server, which assembles them in the bucket (§4).

SeaweedFS is `weed mini` from $SKIFF_WEED, else .cache/tools-venv/bin/weed (scripts/setup.sh), else
the PATH; missing, the tests skip, or fail when SKIFF_REQUIRE_PEERS is set. Other suites run a
`weed mini` of their own at the same time (some on the default ports 9333, 8888, 8333…), so every
listener of this one gets a free port.
"""

import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import filestack
import pytest
import requests

from conftest import (FAILURE_LOGS, MiB, OPEN_APP, ROOT, Server, _make_cert, _stop,
                      filestack_pointed_at, start_server)
from test_filestack_python import sha256_of_file, sha256_of_url, upload

ACCESS_KEY = "peers-key"
SECRET_KEY = "peers-secret"
BUCKET = "skiff-peers"
PREFIX = "skiff"
PART = 5 * MiB  # filestack-python config.DEFAULT_CHUNK_SIZE
FII_PART = 8 * MiB  # intelligent_ingestion.DEFAULT_PART_SIZE
GRPC_OFFSET = 10000  # SeaweedFS's default gRPC port = HTTP port + 10000 (see _weed_ports)


# --------------------------------------------------------------------------------------------
# SeaweedFS


@dataclass
class Weed:
    proc: subprocess.Popen
    dir: Path
    ports: dict
    log: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def filer(self) -> str:
        return f"http://127.0.0.1:{self.ports['filer']}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def objects(self, folder: str = PREFIX) -> dict:
        """The bucket's objects under folder (recursively, through the filer's listing):
        key -> size."""
        found, todo = {}, [folder.strip("/")]
        while todo:
            path = todo.pop()
            url = f"{self.filer}/buckets/{BUCKET}/{path}/"
            last = ""
            while True:  # the filer pages its listings
                r = requests.get(url, params={"limit": 1000, "lastFileName": last},
                                 headers={"Accept": "application/json"}, timeout=10)
                if r.status_code == 404:
                    break
                r.raise_for_status()
                body = r.json()
                entries = body.get("Entries") or []
                for e in entries:
                    key = e["FullPath"][len(f"/buckets/{BUCKET}/"):]
                    if e["Mode"] & 0x80000000:  # os.ModeDir
                        todo.append(key)
                    else:
                        found[key] = e["FileSize"]
                if not body.get("ShouldDisplayLoadMore") or not entries:
                    break
                last = body.get("LastFileName") or entries[-1]["FullPath"].rsplit("/", 1)[-1]
        return found


def _weed_binary():
    """The `weed` to run, or None (then the caller skips or fails)."""
    installed = ROOT / ".cache" / "tools-venv" / "bin" / "weed"
    candidate = os.environ.get("SKIFF_WEED") or (str(installed) if installed.exists() else shutil.which("weed"))
    if not candidate:
        return None
    try:
        ok = subprocess.run([candidate, "version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return candidate if ok else None


def _weed_ports() -> dict:
    """A free port for each listener of `weed mini`. Each gRPC port is its HTTP port + 10000, as
    SeaweedFS has by default: some of its parts still assume so (the mini's worker dials the admin
    server at admin port + 10000 whatever -admin.port.grpc says), so that keeps them all right."""
    names = ["master", "volume", "filer", "s3", "admin", "webdav"]
    held, ports = [], {}
    try:
        for name in names:
            for _ in range(200):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
                held.append(s)
                if name == "webdav":  # no gRPC port
                    break
                if port + GRPC_OFFSET > 65535:
                    continue
                g = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    g.bind(("127.0.0.1", port + GRPC_OFFSET))
                except OSError:
                    g.close()
                    continue
                held.append(g)
                ports[f"{name}.grpc"] = port + GRPC_OFFSET
                break
            else:
                raise RuntimeError(f"no free port pair for weed's {name}")
            ports[name] = port
    finally:
        for s in held:  # held until all are picked, so that no two are the same
            s.close()
    return ports


def _start_weed(binary: str, workdir: Path, attempt: int) -> Weed:
    ports = _weed_ports()
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "peers", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "List", "Write"]}]}))
    listeners = [f"-{name.replace('.grpc', '.port.grpc') if name.endswith('.grpc') else name + '.port'}={port}"
                 for name, port in ports.items()]
    cmd = [
        binary, "mini",
        f"-dir={workdir / f'data-{attempt}'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        *listeners,
        # its unix sockets (default /tmp/seaweedfs-*-<port>.sock) in our folder, removed with it
        f"-filer.localSocket={workdir / f'filer-{attempt}.sock'}",
        f"-s3.localSocket={workdir / f's3-{attempt}.sock'}",
        f"-s3.config={config}",
        "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    log = workdir / f"weed-{attempt}.log"
    with open(log, "wb") as logf:
        logf.write(("$ " + " ".join(cmd) + "\n").encode())
        logf.flush()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                cwd=workdir, start_new_session=True)
    return Weed(proc=proc, dir=workdir, ports=ports, log=log)


def _stop_weed(weed: Weed) -> None:
    if weed.proc.poll() is None:
        weed.proc.send_signal(signal.SIGTERM)
        try:
            # It usually stops in ~2 s, but after uploads its volume server sometimes takes 10 s
            # more; its data is thrown away, so it need not finish.
            weed.proc.wait(timeout=4)
        except subprocess.TimeoutExpired:
            weed.proc.kill()
            weed.proc.wait(timeout=10)
    # Its gRPC servers also listen on unix sockets at fixed places in /tmp, named by port (the
    # binary hard-codes them): remove this instance's, now that it has stopped.
    p = weed.ports
    for sock in [f"master-grpc-{p['master.grpc']}", f"volume-grpc-{p['volume.grpc']}",
                 f"filer-grpc-{p['filer.grpc']}", f"admin-grpc-{p['admin.grpc']}",
                 f"filer-{p['filer']}", f"s3-{p['s3']}"]:
        path = Path(f"/tmp/seaweedfs-{sock}.sock")
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()


def _weed_ready(weed: Weed, binary: str, timeout: float = 60.0) -> str:
    """Waits for the S3 port, then creates the bucket; returns "" or what went wrong."""
    deadline = time.monotonic() + timeout
    while True:
        if weed.proc.poll() is not None:
            return f"weed mini exited ({weed.proc.returncode})"
        try:
            requests.get(weed.endpoint, timeout=2)
            break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            return f"weed mini did not answer on {weed.endpoint}"
        time.sleep(0.2)
    # The S3 API cannot make buckets without signing; weed's shell can. `host:port.grpcPort`
    # names the master's gRPC port.
    master = f"127.0.0.1:{weed.ports['master']}.{weed.ports['master.grpc']}"
    out = ""
    while time.monotonic() < deadline:
        try:
            shell = subprocess.run([binary, "shell", f"-master={master}"], input=f"s3.bucket.create -name {BUCKET}\n",
                                   capture_output=True, text=True, timeout=30, cwd=weed.dir)
            out = shell.stdout + shell.stderr
        except subprocess.TimeoutExpired as e:
            out = f"weed shell timed out: {e.stdout!r} {e.stderr!r}"
        if "created bucket" in out:
            return ""
        time.sleep(0.5)
    return f"weed shell could not create the bucket: {out[-2000:]}"


# --------------------------------------------------------------------------------------------
# skiff-server on the bucket


@dataclass
class S3Server:
    srv: Server
    weed: Weed

    def log_since(self, mark: int) -> str:
        return self.srv.log_text()[mark:]

    def log_mark(self) -> int:
        return len(self.srv.log_text())


@pytest.fixture(scope="module")
def s3_server(server_binary):
    """SeaweedFS with one bucket, and a TLS skiff-server keeping its files there, with
    filestack-python pointed at it (restored afterwards)."""
    binary = _weed_binary()
    if binary is None:
        where = (f"SKIFF_WEED={os.environ['SKIFF_WEED']} does not run" if os.environ.get("SKIFF_WEED")
                 else "not in .cache/tools-venv/bin or on the PATH")
        msg = f"SeaweedFS `weed` is needed for the S3 storage tests ({where}): scripts/setup.sh installs it"
        if os.environ.get("SKIFF_REQUIRE_PEERS"):
            pytest.fail(msg + " (SKIFF_REQUIRE_PEERS is set)")
        pytest.skip(msg)

    workdir = Path(tempfile.mkdtemp(prefix="skiff-peers-s3-"))
    weed = srv = None
    try:
        problem = ""
        for attempt in range(3):  # a free port may be taken between probing and binding
            weed = _start_weed(binary, workdir, attempt)
            problem = _weed_ready(weed, binary)
            if not problem:
                break
            _stop_weed(weed)
        else:
            pytest.fail(f"SeaweedFS did not come up: {problem}\n{weed.log_text()[-4000:]}")

        config = workdir / "skiff.toml"
        config.write_text("\n".join([
            "[storage]",
            'kind = "s3"',
            f'endpoint = "{weed.endpoint}"',
            'region = "us-east-1"',
            f'bucket = "{BUCKET}"',
            f'prefix = "{PREFIX}"',
            f'access_key_id = "{ACCESS_KEY}"',
            f'secret_access_key = "{SECRET_KEY}"',
            "path_style = true",
            "",
        ]))
        cert, key = _make_cert(workdir)
        # tower_http=debug: one log line per request (method and path), which shows where parts went
        srv, log = start_server(server_binary, workdir, cert, key, name="server-s3",
                                extra_args=["--config", str(config)],
                                extra_env={"RUST_LOG": "info,tower_http=debug"})
        if srv is None:
            pytest.fail(f"skiff-server (S3 storage) did not come up; log:\n{log}")

        with filestack_pointed_at(srv):
            yield S3Server(srv=srv, weed=weed)
    finally:
        if srv is not None:
            _stop(srv)
        if weed is not None:
            _stop_weed(weed)
        # keep the logs for the failure summary, then remove everything
        for path in sorted(workdir.glob("*.log")):
            text = path.read_text(errors="replace")
            FAILURE_LOGS[f"{path.name} of the S3 storage tests ({workdir}, since removed)"] = lambda text=text: text
            FAILURE_LOGS.pop(f"skiff-server log ({path})", None)
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# helpers


def make_tags(case: str) -> dict:
    return {"suite": "peers-python-s3", "case": case, "run": uuid.uuid4().hex}


def requests_in_log(log: str, method: str, path: str) -> int:
    """How many requests skiff-server logged for method + exact path (tower_http on_request)."""
    pattern = rf"request\{{method={method} path={re.escape(path)}\}}: tower_http::trace::on_request"
    return len(re.findall(pattern, log))


def check_stored(s3: S3Server, filelink, name, size, tags, digest):
    resp = filelink.upload_response
    assert isinstance(filelink, filestack.Filelink) and filelink.handle
    assert resp["handle"] == filelink.handle
    assert (resp["filename"], resp["size"]) == (name, size)
    assert resp["upload_tags"] == tags
    assert resp.get("status") in ("Stored", "InTransit")

    # the bytes, from skiff-server (GET <base>/<handle>, then through the library)
    assert sha256_of_url(s3.srv.url(f"/{filelink.handle}")) == (200, digest, size)
    md = filelink.metadata()
    assert (md["filename"], md["size"], md["upload_tags"]) == (name, size, tags)
    md = filelink.metadata(["sha256", "size"])
    assert (md["sha256"], md["size"]) == (digest, size)

    # the file is one object of the bucket, under the prefix, named by the handle
    objects = s3.weed.objects()
    mine = {k: v for k, v in objects.items() if k.rsplit("/", 1)[-1] == filelink.handle}
    assert list(mine.values()) == [size], f"no object of {size} bytes for {filelink.handle} in {objects}"
    assert all(k.startswith(PREFIX + "/") for k in mine)


def check_parts_went_to_bucket(s3: S3Server, wire, log: str, size: int):
    """docs/protocol.md §3.8: every part went to a presigned UploadPart URL of the bucket, with
    exactly the headers the server gave, and none through skiff-server."""
    parts = math.ceil(size / PART)
    (start,) = wire.to("/multipart/start")
    upload_id = start.response["upload_id"]
    uploads = wire.to("/multipart/upload")
    assert sorted(c.body["part"] for c in uploads) == list(range(1, parts + 1))
    for c in uploads:
        assert c.status == 200, c.response
        url = c.response["url"]
        assert url.startswith(f"{s3.weed.endpoint}/{BUCKET}/{PREFIX}/"), url
        assert f"partNumber={c.body['part']}&" in url and "uploadId=" in url and "X-Amz-Signature=" in url
        assert c.response["headers"] == {"Content-MD5": c.body["md5"]}
    puts = wire.puts()
    assert sorted(c.url for c in puts) == sorted(c.response["url"] for c in uploads)
    assert all(c.status == 200 for c in puts)
    (complete,) = wire.to("/multipart/complete")
    assert [p["part_number"] for p in complete.body["parts"]] == list(range(1, parts + 1))
    assert all(p["etag"] for p in complete.body["parts"])

    # skiff-server's request log: it signed each part, and received none
    assert requests_in_log(log, "POST", "/multipart/upload") == parts, "request logging is off?"
    assert requests_in_log(log, "PUT", "/multipart/part") == 0
    assert "PUT path=/multipart/part" not in log
    assert re.search(rf"upload started upload={re.escape(upload_id)} .*direct=true", log)


# --------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("size", [12 * MiB + 54_321, 1024], ids=["12MiB", "1KiB"])
def test_regular_upload_parts_straight_to_bucket(s3_server, make_file, wire, tmp_path, size):
    name = f"s3-regular-{size}.bin"
    path, digest = make_file(name, size)
    tags = make_tags(name)
    mark = s3_server.log_mark()

    filelink = upload(filestack.Client(OPEN_APP), path, name, tags, intelligent=False)

    check_parts_went_to_bucket(s3_server, wire, s3_server.log_since(mark), size)
    check_stored(s3_server, filelink, name, size, tags, digest)
    out = tmp_path / "download.bin"
    assert filelink.download(str(out)) == size
    assert sha256_of_file(out) == digest


def test_intelligent_upload_assembled_in_bucket(s3_server, make_file, wire):
    size = 9 * MiB + 12_345
    name = "s3-fii.bin"
    path, digest = make_file(name, size)
    tags = make_tags(name)
    mark = s3_server.log_mark()

    filelink = upload(filestack.Client(OPEN_APP), path, name, tags, intelligent=True)

    # FII chunks go to skiff-server itself (§4), which assembles them into the bucket
    (start,) = wire.to("/multipart/start")
    assert start.body["fii"] is True and start.response.get("upload_type") == "intelligent_ingestion"
    upload_id = start.response["upload_id"]
    puts = wire.puts()
    # one URL for every part of every upload; the grant in X-Skiff-Part names the upload
    assert puts and all(c.url == s3_server.srv.url("/multipart/part") for c in puts)
    assert all(200 <= c.status < 300 for c in puts)
    assert sorted(c.body["part"] for c in wire.to("/multipart/commit")) == list(range(1, math.ceil(size / FII_PART) + 1))
    log = s3_server.log_since(mark)
    assert requests_in_log(log, "PUT", "/multipart/part") == len(puts)
    assert re.search(rf"upload started upload={re.escape(upload_id)} .*direct=false", log)

    check_stored(s3_server, filelink, name, size, tags, digest)
