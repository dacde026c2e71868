"""Uploads one file with unmodified filestack-python to a skiff-server reached at BASE (https, its
certificate in CERT), pointed at it as conftest.filestack_pointed_at does, and prints the answer
as JSON. The end-to-end tests use it to put filestack-python behind a load balancer they started
(tests/e2e/cluster.test.mjs).

    python upload_via.py BASE CERT APIKEY FILE NAME TAGS_JSON regular|intelligent
"""

import json
import sys
from types import SimpleNamespace

import filestack

from conftest import filestack_pointed_at


def main() -> None:
    base, cert, apikey, path, name, tags, mode = sys.argv[1:8]
    with filestack_pointed_at(SimpleNamespace(base=base, cert=cert)):
        client = filestack.Client(apikey)
        store_params = {"filename": name, "mimetype": "application/octet-stream",
                        "upload_tags": json.loads(tags)}
        link = client.upload(filepath=path, store_params=store_params,
                             intelligent=(mode == "intelligent"))
    print(json.dumps(link.upload_response))


if __name__ == "__main__":
    main()
