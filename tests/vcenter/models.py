"""Simulator models (the JSON validator/lab/vcsim.py documents) written for these tests only."""

from __future__ import annotations

from typing import Any


def unseen_model(ssh_address: str | None = None) -> dict[str, Any]:
    """Two clusters, five hosts, every vCenter fault once; management addresses are ``ssh_address`` when
    given (a local listener), else lab addresses."""

    def mgmt(n: int) -> str:
        return ssh_address or f"198.18.77.{n}"

    return {
        "datacenter": "DC-West",
        "clusters": ["Gold", "Silver"],
        "hosts": [
            {
                "name": "hv-a1", "cluster": "Gold", "management_ip": mgmt(11), "tsm_ssh": True, "portgroups": ["Web", "Batch"],
                "netstacks": [{"key": "vmotion", "gateway": "198.19.77.1", "gateway6": "2001:db8:77::1"}],
                "vmks": [
                    {"device": "vmk1", "portgroup": "vmo-a", "netstack": "vmotion", "ip": "198.19.77.11/24",
                     "ip6": ["2001:db8:77::11/64"], "mtu": 9000, "services": ["vmotion"]},
                    {"device": "vmk4", "portgroup": "vmo-b", "netstack": "vmotion", "ip": "198.19.78.11/24",
                     "mtu": 9000, "gateway": "198.19.78.1", "services": ["vmotion"]},
                    {"device": "vmk2", "portgroup": "storage", "ip": "198.19.79.11/24", "mtu": 9000,
                     "services": ["vsan"]},
                ],
                "vms": [{"name": "web1", "networks": ["Web", "Batch"]}],
            },
            {
                "name": "hv-a2", "cluster": "Gold", "management_ip": mgmt(12), "tsm_ssh": True, "maintenance": True,
                "portgroups": ["Web"],
                "vmks": [
                    {"device": "vmk1", "portgroup": "vmo-a", "netstack": "vmotion", "ip": "198.19.77.12/24",
                     "mtu": 9000, "services": []},
                    {"device": "vmk2", "portgroup": "storage", "ip": "198.19.79.12/24", "mtu": 9000,
                     "services": ["vmotion", "vsan"]},
                ],
                "vms": [{"name": "web2", "networks": ["Web"]}],
            },
            {
                "name": "hv-b1", "cluster": "Silver", "management_ip": mgmt(21), "tsm_ssh": True, "lockdown": "lockdownStrict",
                "netstacks": [{"key": "vmotion", "gateway": "198.19.80.1"}],
                "vmks": [
                    {"device": "vmk1", "portgroup": "vmo-s", "netstack": "vmotion", "ip": "198.19.80.21/24",
                     "mtu": 9000, "services": ["vmotion", "vSphereReplication"]},
                ],
            },
            {
                "name": "hv-b2", "cluster": "Silver", "management_ip": mgmt(22), "tsm_ssh": False,
                "portgroups": ["Data"],
                "netstacks": [{"key": "vmotion", "gateway": "198.19.80.1"}],
                "vmks": [
                    {"device": "vmk1", "portgroup": "vmo-s", "netstack": "vmotion", "ip": "198.19.80.22/24",
                     "mtu": 9000, "services": ["vmotion"]},
                ],
                "vms": [{"name": "db9", "networks": ["Data"]}],
            },
            {
                "name": "hv-b3", "cluster": "Silver", "management_ip": mgmt(23), "connection_state": "disconnected",
                "tsm_ssh": True,
                "netstacks": [{"key": "vmotion", "gateway": "198.19.80.1"}],
                "vmks": [
                    {"device": "vmk1", "portgroup": "vmo-s", "netstack": "vmotion", "ip": "198.19.80.23/24",
                     "mtu": 9000, "services": ["vmotion"]},
                ],
            },
        ],
    }


def scale_model(count: int, vms_per_host: int = 1) -> dict[str, Any]:
    """``count`` hosts in clusters of 50, each with two vMotion vmks and a few VMs."""
    hosts = []
    for n in range(count):
        third, fourth = divmod(n, 200)
        hosts.append({
            "name": f"node{n:04d}", "cluster": f"k{n // 50}", "management_ip": f"198.18.{100 + third}.{fourth + 10}",
            "portgroups": ["Prod"], "tsm_ssh": True,
            "netstacks": [{"key": "vmotion", "gateway": f"198.19.{100 + third}.1"}],
            "vmks": [
                {"device": "vmk1", "portgroup": "vmo", "netstack": "vmotion",
                 "ip": f"198.19.{100 + third}.{fourth + 10}/24", "mtu": 9000, "services": ["vmotion"]},
                {"device": "vmk2", "portgroup": "vmo2", "netstack": "vmotion",
                 "ip": f"198.19.{110 + third}.{fourth + 10}/24", "mtu": 9000, "services": ["vmotion"]},
            ],
            "vms": [{"name": f"vm{n:04d}-{i}", "networks": ["Prod"]} for i in range(vms_per_host)],
        })
    return {"datacenter": "dc-big", "clusters": sorted({h["cluster"] for h in hosts}), "hosts": hosts}
