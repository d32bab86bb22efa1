"""Record the answers of one host retrieval from the simulator, as samples/vcenter-retrieval keeps them.

    .venv/bin/python -m tests.vcenter.record_retrieval [OUT_DIR]

Serves :func:`tests.vcenter.models.unseen_model`, retrieves its hosts in pages of :data:`PAGE_SIZE` objects and
writes each answer as ``unseen-page-N.xml``, then the fault a finished token gets
(``fault-invalid-token.xml``) and the one a view of a logged-out session gets (``fault-object-not-found.xml``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.vcenter.helpers import settings_for
from tests.vcenter.models import unseen_model
from validator.lab.vcsim import REPO_ROOT, build_vcsim, running_vcsim
from validator.vcenter import collector_soap, retrieve
from validator.vcenter._vmomi import vim
from validator.vcenter.connect import connect, disconnect
from validator.vcenter.soap import session_cookie

PAGE_SIZE = 6
OUT = REPO_ROOT / "samples" / "vcenter-retrieval"


def record(out: Path) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, running_vcsim(unseen_model(), Path(tmp), binary=build_vcsim()) as vc:
        settings = settings_for(vc)
        si = connect(settings, vc.password)
        answers: list[bytes] = []

        def watch(instance: Any, method: str, request: bytes, answer: bytes) -> None:
            if instance is si:
                answers.append(answer)

        collector_soap.WATCHERS.append(watch)
        old_size, retrieve.PAGE_SIZE = retrieve.PAGE_SIZE, PAGE_SIZE
        try:
            retrieve.retrieve_hosts(si, settings)
        finally:
            retrieve.PAGE_SIZE = old_size
            collector_soap.WATCHERS.remove(watch)
        for n, answer in enumerate(answers, 1):
            written.append(_write(out / f"unseen-page-{n}.xml", answer))

        content = si.RetrieveContent()
        collector = retrieve.reference(content.propertyCollector)
        action = collector_soap.soap_action(si, content.about.apiVersion)
        written.append(_write(out / "fault-invalid-token.xml", _post(
            settings, si, action, "ContinueRetrievePropertiesEx", collector_soap.continue_body(collector, "page-99"))))
        view = content.viewManager.CreateContainerView(container=content.rootFolder, type=[vim.HostSystem],
                                                       recursive=True)
        cookie = session_cookie(si)
        disconnect(si)
        body = collector_soap.retrieve_body(collector, retrieve.soap_filter_spec(view), PAGE_SIZE)
        written.append(_write(out / "fault-object-not-found.xml",
                              _post(settings, si, action, "RetrievePropertiesEx", body, cookie)))
    return written


def _post(settings: Any, si: Any, action: str, method: str, body: bytes, cookie: str | None = None) -> bytes:
    connection = collector_soap.Connection(settings, si, cookie or session_cookie(si), action)
    try:
        connection.send(method, body)
        return connection.receive()
    finally:
        connection.close()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if data.endswith(b"\n") else data + b"\n")
    return path


if __name__ == "__main__":
    for path in record(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(path)
