"""pyvmomi helpers for the simulator tests: connect with TLS verification, one paged property retrieval."""

from __future__ import annotations

import ssl
from typing import Any

import pyVim.connect
import pyVmomi

from validator.lab.vcsim import VcsimEndpoint

# pyvmomi's partial annotations are not strict-clean: the tests use it untyped
vim: Any = pyVmomi.vim
vmodl: Any = pyVmomi.vmodl
pyvim: Any = pyVim.connect

PC = vmodl.query.PropertyCollector
HOST_PATHS = [
    "name",
    "parent",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "config.lockdownMode",
    "config.network.vnic",
    "config.network.netStackInstance",
    "config.network.portgroup",
    "config.virtualNicManagerInfo.netConfig",
    "config.service.service",
    "configManager",
    "vm",
    "network",
]


def connect(vc: VcsimEndpoint, password: str | None = None) -> Any:
    """A ServiceInstance, verifying the server certificate against the simulator's CA."""
    context = ssl.create_default_context(cafile=str(vc.ca_file))
    stub = pyvim.SmartStubAdapter(host=vc.host, port=vc.port, sslContext=context)
    si = vim.ServiceInstance("ServiceInstance", stub)
    try:
        si.content.sessionManager.Login(vc.username, vc.password if password is None else password)
    except Exception:
        stub.DropConnections()
        raise
    return si


def disconnect(si: Any) -> None:
    stub = si._stub
    pyvim.Disconnect(si)
    stub.DropConnections()


def retrieve(si: Any, kind: Any, paths: list[str], max_objects: int = 100) -> tuple[dict[str, dict[str, Any]], int]:
    """{name: {path: value}} of every object of kind, through one RetrievePropertiesEx (+ Continue pages);
    also the number of pages."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        spec = PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[PC.TraversalSpec(name="view", type=vim.view.ContainerView, path="view")],
                )
            ],
            propSet=[PC.PropertySpec(type=kind, pathSet=paths)],
        )
        collector = content.propertyCollector
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=max_objects))
        found: dict[str, dict[str, Any]] = {}
        pages = 0
        while result is not None:
            pages += 1
            for obj in result.objects:
                props = {p.name: p.val for p in obj.propSet}
                props["_obj"] = obj.obj
                found[props["name"]] = props
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return found, pages
    finally:
        view.Destroy()


def host_moids(vc: VcsimEndpoint) -> dict[str, str]:
    """{host name: HostSystem managed object id} of a running simulator."""
    si = connect(vc)
    try:
        found, _ = retrieve(si, vim.HostSystem, ["name"])
        return {name: props["_obj"]._moId for name, props in found.items()}
    finally:
        disconnect(si)


def by_nic_type(net_config: list[Any]) -> dict[str, Any]:
    return {nc.nicType: nc for nc in net_config}


def selected_devices(nc: Any) -> list[str]:
    """Devices of a NetConfig's selectedVnic keys (nicType.key-vim.host.VirtualNic-vmkN)."""
    by_key = {c.key: c.device for c in nc.candidateVnic}
    return [by_key[key] for key in nc.selectedVnic]
