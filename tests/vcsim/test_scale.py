"""500 hosts: one RetrievePropertiesEx with maxObjects pages through them all; a disconnected host has no config."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.vcsim.client import HOST_PATHS, connect, disconnect, retrieve, vim, vmodl
from validator.lab.vcsim import running_vcsim

HOSTS = 500


def scale_model(count: int) -> dict[str, Any]:
    hosts = []
    for i in range(count):
        a, b = divmod(i + 2, 250)
        rack = i // 50
        hosts.append(
            {
                "name": f"esx{i + 1:03d}",
                "cluster": f"c{rack % 5 + 1}",
                "management_ip": f"198.18.{a}.{b + 1}",
                "connection_state": "disconnected" if i == count - 1 else "connected",
                "tsm_ssh": i % 7 != 0,
                "portgroups": ["App-A"],
                "netstacks": [{"key": "defaultTcpipStack"}, {"key": "vmotion", "gateway": f"198.19.{rack}.1"}],
                "vmks": [
                    {
                        "device": "vmk0",
                        "portgroup": "Management Network",
                        "ip": f"198.18.{a}.{b + 1}/16",
                        "services": ["management"],
                    },
                    {
                        "device": "vmk1",
                        "portgroup": "vMotion-1",
                        "netstack": "vmotion",
                        "ip": f"198.19.{rack}.{i % 50 + 10}/24",
                        "mtu": 9000,
                        "services": ["vmotion"],
                    },
                    {
                        "device": "vmk2",
                        "portgroup": "vMotion-2",
                        "netstack": "vmotion",
                        "ip": f"198.19.{rack}.{i % 50 + 100}/24",
                        "mtu": 9000,
                        "services": ["vmotion"],
                    },
                ],
                "vms": [{"name": f"vm{i + 1:03d}", "networks": ["App-A"]}],
            }
        )
    return {"datacenter": "dc-scale", "clusters": [f"c{n}" for n in range(1, 6)], "hosts": hosts}


def test_one_paged_retrieval_covers_500_hosts(vcsim_binary: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    with running_vcsim(scale_model(HOSTS), tmp_path / "vcsim", binary=vcsim_binary) as vc:
        ready = time.monotonic() - started
        si = connect(vc)
        try:
            started = time.monotonic()
            hosts, pages = retrieve(si, vim.HostSystem, HOST_PATHS, max_objects=100)
            elapsed = time.monotonic() - started
            print(f"\n500 hosts: simulator ready in {ready:.1f}s, {pages} pages retrieved in {elapsed:.1f}s")
            assert pages == 5
            assert len(hosts) == HOSTS
            assert hosts["esx042"]["config.network.vnic"][1].spec.ip.ipAddress == "198.19.0.51"
            assert hosts["esx250"]["parent"].name == "c5"
            assert [vm.name for vm in hosts["esx499"]["vm"]] == ["vm499"]
            last = hosts["esx500"]
            assert last["runtime.connectionState"] == "disconnected"
            assert "config.network.vnic" not in last  # vCenter holds no config for a disconnected host
            collector = si.RetrieveContent().propertyCollector
            with pytest.raises(vmodl.fault.InvalidArgument):
                collector.ContinueRetrievePropertiesEx("no-such-token")
        finally:
            disconnect(si)
