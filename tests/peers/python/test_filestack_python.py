"""Real peer: unmodified filestack-python 4.0.0 uploading to skiff-server over TLS.

Each test drives the real client library (Client.upload, Filelink.metadata/download/delete) against
the server started in conftest.py and checks both the result and what went over the wire
(docs/protocol.md §3 regular multipart, §4 intelligent ingestion, §5 upload tags, §9 security).
"""

import base64
import hashlib
import math
import time
import uuid

import filestack
import pytest
import requests
import trafaret
from filestack.exceptions import FilestackHTTPError

from conftest import MiB, OPEN_APP, SECRET, SECURED_APP

# >= 20 MiB and not a multiple of the part sizes (5 MiB regular, 8 MiB FII): a short last part.
SIZE = 20 * MiB + 123_457
REGULAR_PARTS = math.ceil(SIZE / (5 * MiB))  # filestack-python config.DEFAULT_CHUNK_SIZE
FII_PARTS = math.ceil(SIZE / (8 * MiB))  # intelligent_ingestion.DEFAULT_PART_SIZE
READ_CALLS = ["pick", "store", "read", "stat"]


def make_tags(case: str) -> dict:
    return {"suite": "peers-python", "case": case, "run": uuid.uuid4().hex}


def policy(calls=READ_CALLS) -> filestack.Security:
    return filestack.Security({"expiry": int(time.time()) + 3600, "call": list(calls)}, SECRET)


def sec_params(sec) -> dict:
    return {"policy": sec.policy_b64, "signature": sec.signature} if sec else {}


def sha256_of_url(url: str, params=None) -> tuple:
    """Streams a download; returns (status, sha256 hex, byte count)."""
    h, n = hashlib.sha256(), 0
    with requests.get(url, params=params, stream=True, timeout=60) as r:
        if r.status_code != 200:
            return r.status_code, None, 0
        for chunk in r.iter_content(1024 * 1024):
            h.update(chunk)
            n += len(chunk)
    return 200, h.hexdigest(), n


def sha256_of_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(4 * MiB), b""):
            h.update(block)
    return h.hexdigest()


def error_code(resp) -> str:
    try:
        return resp.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"<no error code in {resp.text[:300]!r}>"


def upload(client, path, name, tags, intelligent):
    store_params = {"filename": name, "mimetype": "application/octet-stream", "upload_tags": dict(tags)}
    return client.upload(filepath=str(path), store_params=store_params, intelligent=intelligent)


def check_upload_response(filelink, name, tags):
    assert isinstance(filelink, filestack.Filelink)
    assert filelink.handle
    resp = filelink.upload_response
    assert resp["handle"] == filelink.handle
    assert resp["filename"] == name
    assert resp["size"] == SIZE
    assert resp["upload_tags"] == tags, "complete must echo upload_tags (docs/protocol.md §5)"
    assert resp.get("status") in ("Stored", "InTransit")


def check_regular_wire(wire, tags, sec=None):
    """docs/protocol.md §3: start, one upload + PUT per 5 MiB part, complete with all parts + ETags."""
    (start,) = wire.to("/multipart/start")
    assert start.status == 200 and "fii" not in start.body
    assert start.body["size"] == SIZE
    for key in ("uri", "region", "upload_id", "location_url"):
        assert start.response[key], f"start response lacks {key}"
    assert "://" not in start.response["location_url"], "filestack-python needs a scheme-less location_url"
    uploads = wire.to("/multipart/upload")
    assert sorted(c.body["part"] for c in uploads) == list(range(1, REGULAR_PARTS + 1))
    assert all(c.status == 200 and "fii" not in c.body for c in uploads)
    puts = wire.puts()
    assert len(puts) == REGULAR_PARTS and all(200 <= c.status < 300 for c in puts)
    assert wire.to("/multipart/commit") == []
    (complete,) = wire.to("/multipart/complete")
    assert complete.status == 200
    parts = complete.body["parts"]
    assert [p["part_number"] for p in parts] == list(range(1, REGULAR_PARTS + 1))
    assert all(p["etag"] for p in parts)
    assert complete.body["upload_tags"] == tags
    if sec:
        for c in (start, complete):
            assert (c.body["policy"], c.body["signature"]) == (sec.policy_b64, sec.signature)
        assert all("policy" not in c.body for c in uploads)  # Python never signs upload


def check_fii_wire(wire, tags, sec=None):
    """docs/protocol.md §4: fii start, chunked uploads with offsets, one commit per part, complete
    with fii and without parts."""
    (start,) = wire.to("/multipart/start")
    assert start.status == 200 and start.body["fii"] is True
    assert start.response.get("upload_type") == "intelligent_ingestion", "server must accept FII (§4.1)"
    uploads = wire.to("/multipart/upload")
    assert uploads and all(c.status == 200 for c in uploads)
    assert all(c.body["fii"] is True and "offset" in c.body for c in uploads)
    assert sorted({c.body["part"] for c in uploads}) == list(range(1, FII_PARTS + 1))
    for part in range(1, FII_PARTS + 1):  # each part sent as contiguous chunks from offset 0
        chunks = sorted((c.body["offset"], c.body["size"]) for c in uploads if c.body["part"] == part)
        assert [off for off, _ in chunks] == [sum(n for _, n in chunks[:i]) for i in range(len(chunks))]
        assert sum(n for _, n in chunks) == min(8 * MiB, SIZE - (part - 1) * 8 * MiB)
    assert all(200 <= c.status < 300 for c in wire.puts())
    commits = wire.to("/multipart/commit")
    assert sorted(c.body["part"] for c in commits) == list(range(1, FII_PARTS + 1))
    assert all(c.status == 200 and c.body["size"] == SIZE for c in commits)
    (complete,) = wire.to("/multipart/complete")
    assert complete.status == 200
    assert complete.body["fii"] is True and "parts" not in complete.body
    assert complete.body["upload_tags"] == tags
    if sec:
        for c in (start, complete):
            assert (c.body["policy"], c.body["signature"]) == (sec.policy_b64, sec.signature)
        assert all("policy" not in c.body for c in uploads + commits)


def check_metadata(filelink, name, tags, digest):
    md = filelink.metadata()  # GET {CDN_URL}/{handle}/metadata (+ policy/signature if secured)
    assert md["filename"] == name
    assert md["size"] == SIZE
    assert md["upload_tags"] == tags
    md = filelink.metadata(["sha256", "size"])
    assert md["sha256"] == digest and md["size"] == SIZE


# --------------------------------------------------------------------------------------------
# 1 + 2: open app, regular and intelligent


@pytest.mark.parametrize(
    "intelligent, chunk_size",
    [(False, None), (True, None), (True, 3 * MiB)],
    ids=["regular", "intelligent", "intelligent-3MiB-chunks"],
)
def test_upload_open_app(server, make_file, wire, tmp_path, monkeypatch, intelligent, chunk_size):
    if chunk_size:
        # filestack-python's FII chunk size is a module global (8 MiB = the part size, so one chunk
        # per part); the client itself lowers it after a failed chunk. Lower it here so that every
        # 8 MiB part goes as 3 + 3 + 2 MiB chunks and the server must assemble parts by offset.
        from filestack.uploads import intelligent_ingestion
        monkeypatch.setattr(intelligent_ingestion, "CHUNK_SIZE", chunk_size)
    name = f"open-{'fii' if intelligent else 'regular'}.bin"
    path, digest = make_file(name, SIZE)
    tags = make_tags(name)

    filelink = upload(filestack.Client(OPEN_APP), path, name, tags, intelligent)

    check_upload_response(filelink, name, tags)
    (check_fii_wire if intelligent else check_regular_wire)(wire, tags)
    if chunk_size:
        part_sizes = [min(8 * MiB, SIZE - start) for start in range(0, SIZE, 8 * MiB)]
        assert len(wire.to("/multipart/upload")) == sum(math.ceil(n / chunk_size) for n in part_sizes)

    # download through the library: GET {CDN_URL}/{handle}
    out = tmp_path / "download.bin"
    assert filelink.download(str(out)) == SIZE
    assert sha256_of_file(out) == digest
    # and through the url the server returned
    assert sha256_of_url(filelink.upload_response["url"]) == (200, digest, SIZE)
    check_metadata(filelink, name, tags, digest)


# --------------------------------------------------------------------------------------------
# 3: secured app


@pytest.mark.parametrize("intelligent", [False, True], ids=["regular", "intelligent"])
def test_upload_secured_app_with_policy(server, make_file, wire, intelligent):
    name = f"secured-{'fii' if intelligent else 'regular'}.bin"
    path, digest = make_file(name, SIZE)
    tags = make_tags(name)
    sec = policy()

    filelink = upload(filestack.Client(SECURED_APP, security=sec), path, name, tags, intelligent)

    check_upload_response(filelink, name, tags)
    (check_fii_wire if intelligent else check_regular_wire)(wire, tags, sec)
    assert filelink.security is sec
    check_metadata(filelink, name, tags, digest)  # Filelink.metadata sends policy + signature

    # the file is protected: unsigned reads are refused, signed ones (query form) work
    r = requests.get(server.url(f"/{filelink.handle}/metadata"))
    assert (r.status_code, error_code(r)) == (403, "security_required")
    r = requests.get(server.url(f"/{filelink.handle}"))
    assert (r.status_code, error_code(r)) == (403, "security_required")
    assert sha256_of_url(server.url(f"/{filelink.handle}"), sec_params(sec)) == (200, digest, SIZE)


@pytest.mark.parametrize("intelligent", [False, True], ids=["regular", "intelligent"])
def test_upload_secured_app_without_policy_is_refused(server, make_file, wire, intelligent):
    path, _ = make_file("unsigned.bin", SIZE)

    with pytest.raises(FilestackHTTPError) as err:
        upload(filestack.Client(SECURED_APP), path, "unsigned.bin", make_tags("unsigned"), intelligent)

    http_error = err.value.__cause__
    assert isinstance(http_error, requests.HTTPError)
    assert http_error.response.status_code == 403
    assert error_code(http_error.response) == "security_required"
    # refused at start: nothing else was sent
    assert [c.url.rsplit("/", 2)[-2:] for c in wire.calls] == [["multipart", "start"]]


def test_filelink_download_with_signed_cdn_url(server, make_file, tmp_path):
    """Filelink.download()/get_content() of a secured file build the CDN URL
    {CDN_URL}/security=p:<policy>,s:<signature>/{handle} (docs/protocol.md §9, Python as_url_string)."""
    path, digest = make_file("signed-url.bin", SIZE)
    sec = policy()
    filelink = upload(filestack.Client(SECURED_APP, security=sec), path, "signed-url.bin", make_tags("signed-url"), False)
    assert filelink.signed_url() == f"{server.base}/{sec.as_url_string()}/{filelink.handle}"

    out = tmp_path / "download.bin"
    assert filelink.download(str(out)) == SIZE
    assert sha256_of_file(out) == digest


# --------------------------------------------------------------------------------------------
# 4: invalid tags


def test_invalid_upload_tags_are_refused(server, make_file):
    eleven = {f"k{i}": f"v{i}" for i in range(11)}
    path, _ = make_file("tags.bin", 1024)

    # filestack-python validates tags itself (trafarets.validate_upload_tags: at most 10 keys) ...
    with pytest.raises(trafaret.DataError):
        filestack.Client(OPEN_APP).upload(filepath=str(path), store_params={"upload_tags": eleven})

    # ... so send the complete directly, on an otherwise valid one-part upload.
    data = path.read_bytes()
    body = {"apikey": OPEN_APP, "filename": "tags.bin", "mimetype": "application/octet-stream",
            "size": len(data), "store": {"location": "S3"}}
    start = requests.post(server.url("/multipart/start"), json=body)
    assert start.status_code == 200, start.text
    session = {k: start.json()[k] for k in ("uri", "region", "upload_id")}
    base = "https://" + start.json()["location_url"]
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    up = requests.post(base + "/multipart/upload", json={**session, "apikey": OPEN_APP, "part": 1,
                       "size": len(data), "md5": md5, "store": {"location": "S3"}})
    assert up.status_code == 200, up.text
    put = requests.put(up.json()["url"], headers=up.json()["headers"], data=data)
    assert put.ok and put.headers["ETag"]
    complete = {**body, **session, "parts": [{"part_number": 1, "etag": put.headers["ETag"]}]}

    r = requests.post(base + "/multipart/complete", json={**complete, "upload_tags": eleven})
    assert (r.status_code, error_code(r)) == (400, "invalid_tags"), r.text

    # the refusal was about the tags alone: ten tags on the same upload are fine
    ten = dict(list(eleven.items())[:10])
    r = requests.post(base + "/multipart/complete", json={**complete, "upload_tags": ten})
    assert r.status_code == 200, r.text
    assert r.json()["upload_tags"] == ten


# --------------------------------------------------------------------------------------------
# 5: delete


def test_filelink_delete_with_policy(server, make_file):
    path, digest = make_file("delete-me.bin", SIZE)
    sec = policy(READ_CALLS + ["remove"])
    filelink = upload(filestack.Client(SECURED_APP, security=sec), path, "delete-me.bin", make_tags("delete"), False)
    url = server.url(f"/{filelink.handle}")
    assert sha256_of_url(url, sec_params(sec)) == (200, digest, SIZE)

    filelink.delete()  # DELETE {API_URL}/file/{handle}?key=&policy=&signature=

    r = requests.get(url, params=sec_params(sec))
    assert (r.status_code, error_code(r)) == (404, "file_not_found"), r.text
    r = requests.get(url + "/metadata", params=sec_params(sec))
    assert r.status_code == 404, r.text
