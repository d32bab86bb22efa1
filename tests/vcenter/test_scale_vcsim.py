"""500 hosts: the host retrieval is one RetrievePropertiesEx plus its Continue pages, nothing per host."""

from __future__ import annotations

import math
from pathlib import Path

from tests.vcenter.calls import count_calls
from tests.vcenter.helpers import settings_for
from tests.vcenter.models import scale_model
from validator.lab.vcsim import running_vcsim
from validator.vcenter import retrieve
from validator.vcenter.connect import vcenter_session

HOSTS = 500


def test_500_hosts_in_one_paged_retrieval(vcsim_binary: Path, tmp_path: Path) -> None:
    with running_vcsim(scale_model(HOSTS), tmp_path, binary=vcsim_binary, timeout=300) as vc:
        settings = settings_for(vc)
        with vcenter_session(settings, vc.password) as si:
            calls = count_calls(si)
            hosts = retrieve.retrieve_hosts(si, settings)
            calls = calls.copy()  # the retrieval's calls only (not the logout)
    assert len(hosts) == HOSTS
    assert hosts[42].name == "node0042" and hosts[42].cluster == "k0"
    assert [v.name for v in hosts[499].facts.vmks] == ["vmk0", "vmk1", "vmk2"]
    assert [vm.name for vm in hosts[499].facts.vms] == ["vm0499-0"]
    objects = HOSTS + HOSTS // 50 + HOSTS + 1  # hosts, clusters, VMs, the one network "Prod" (vmk port groups
    pages = math.ceil(objects / retrieve.PAGE_SIZE)  # are host-local, not Network objects)
    assert calls["RetrievePropertiesEx"] == 1
    assert calls["ContinueRetrievePropertiesEx"] == pages - 1 >= 1
    assert set(calls) <= {"RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CreateContainerView",
                          "DestroyView", "RetrieveServiceContent", "RetrieveContent"}
    assert calls["CreateContainerView"] == 1
