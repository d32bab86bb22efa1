"""The one PropertyCollector retrieval that describes every host in scope.

A ContainerView of HostSystem objects (rooted at the datacenter, or at the root folder) is walked with
TraversalSpecs host -> parent (its cluster) -> parent folders -> datacenter, host -> network and
host -> vm, so hosts, clusters, their datacenter, networks and VMs come back from one
``RetrievePropertiesEx`` and its ``ContinueRetrievePropertiesEx`` pages; no property is read per host.
:mod:`validator.vcenter.mapping` turns the result into facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from validator.errors import ValidatorError, VCenterScopeError
from validator.vcenter import mapping
from validator.vcenter._vmomi import vim, vmodl
from validator.vcenter.connect import map_error
from validator.vcenter.mapping import RawObject, VCenterHost
from validator.vcenter.settings import VCenterSettings

PAGE_SIZE = 500

_PC = vmodl.query.PropertyCollector


def filter_spec(view: Any) -> Any:
    """The FilterSpec: hosts of ``view`` plus their cluster, networks and VMs."""
    up_folders = _PC.TraversalSpec(
        name="folderParent", type=vim.Folder, path="parent", skip=False,
        selectSet=[_PC.SelectionSpec(name="folderParent")],
    )
    cluster_parent = _PC.TraversalSpec(name="clusterParent", type=vim.ComputeResource, path="parent", skip=False,
                                       selectSet=[up_folders])
    to_parent = _PC.TraversalSpec(name="hostParent", type=vim.HostSystem, path="parent", skip=False,
                                  selectSet=[cluster_parent])
    to_network = _PC.TraversalSpec(name="hostNetwork", type=vim.HostSystem, path="network", skip=False)
    to_vm = _PC.TraversalSpec(name="hostVm", type=vim.HostSystem, path="vm", skip=False)
    to_hosts = _PC.TraversalSpec(
        name="viewHosts", type=vim.view.ContainerView, path="view", skip=False,
        selectSet=[to_parent, to_network, to_vm],
    )
    return _PC.FilterSpec(
        objectSet=[_PC.ObjectSpec(obj=view, skip=True, selectSet=[to_hosts])],
        propSet=[
            _PC.PropertySpec(type=vim.HostSystem, pathSet=list(mapping.HOST_PROPERTIES)),
            _PC.PropertySpec(type=vim.ComputeResource, pathSet=list(mapping.CLUSTER_PROPERTIES)),
            _PC.PropertySpec(type=vim.VirtualMachine, pathSet=list(mapping.VM_PROPERTIES)),
            _PC.PropertySpec(type=vim.Network, pathSet=list(mapping.NETWORK_PROPERTIES)),
            _PC.PropertySpec(type=vim.Folder, pathSet=list(mapping.FOLDER_PROPERTIES)),
            _PC.PropertySpec(type=vim.Datacenter, pathSet=list(mapping.DATACENTER_PROPERTIES)),
        ],
        reportMissingObjectsInResults=False,
    )


def retrieve_objects(property_collector: Any, spec: Any, page_size: int = PAGE_SIZE) -> list[RawObject]:
    """Run the retrieval: one ``RetrievePropertiesEx``, then ``ContinueRetrievePropertiesEx`` per page."""
    options = _PC.RetrieveOptions(maxObjects=page_size)
    result = property_collector.RetrievePropertiesEx(specSet=[spec], options=options)
    objects: list[RawObject] = []
    while result is not None:
        objects.extend(raw_object(content) for content in result.objects or ())
        if not result.token:
            break
        result = property_collector.ContinueRetrievePropertiesEx(token=result.token)
    return objects


def raw_object(content: Any) -> RawObject:
    """An ``ObjectContent`` as a :class:`RawObject` (missing properties are absent)."""
    obj = content.obj
    props = {prop.name: prop.val for prop in content.propSet or ()}
    return RawObject(type=str(obj._wsdlName), id=str(obj._moId), props=props)


def retrieve_hosts(service_instance: Any, settings: VCenterSettings) -> list[VCenterHost]:
    """Every host in the settings' scope (datacenter, clusters, hosts), sorted by name."""
    try:
        return _retrieve_hosts(service_instance, settings)
    except ValidatorError:
        raise
    except Exception as exc:
        raise map_error(exc, settings) from None


def _retrieve_hosts(service_instance: Any, settings: VCenterSettings) -> list[VCenterHost]:
    content = service_instance.RetrieveContent()
    root = content.rootFolder
    if settings.datacenter:
        root = content.searchIndex.FindByInventoryPath(inventoryPath=settings.datacenter)
        if not isinstance(root, vim.Datacenter):
            raise VCenterScopeError(f"vCenter {settings.endpoint}: no datacenter named {settings.datacenter!r}")
    view = content.viewManager.CreateContainerView(container=root, type=[vim.HostSystem], recursive=True)
    try:
        objects = retrieve_objects(content.propertyCollector, filter_spec(view))
    finally:
        view.DestroyView()
    return in_scope(mapping.hosts_from_objects(objects, settings.datacenter), settings)


def in_scope(hosts: Sequence[VCenterHost], settings: VCenterSettings) -> list[VCenterHost]:
    """The hosts of the named clusters and hosts; :class:`VCenterScopeError` for a name not found."""
    known_clusters = {h.cluster for h in hosts if h.cluster}
    missing = [c for c in settings.clusters if c not in known_clusters]
    if missing:
        raise VCenterScopeError(
            f"vCenter {settings.endpoint}: no cluster named {', '.join(map(repr, missing))} "
            f"(known: {', '.join(sorted(known_clusters)) or 'none'})"
        )
    chosen = [h for h in hosts if not settings.clusters or h.cluster in settings.clusters]
    if settings.hosts:
        names = {h.name for h in chosen}
        unknown = [n for n in settings.hosts if n not in names]
        if unknown:
            raise VCenterScopeError(f"vCenter {settings.endpoint}: no host named {', '.join(map(repr, unknown))} "
                                    "in the scope")
        chosen = [h for h in chosen if h.name in settings.hosts]
    return chosen
