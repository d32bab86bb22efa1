"""The one PropertyCollector retrieval that describes every host in scope.

A ContainerView of HostSystem objects (rooted at the datacenter, or at the root folder) is walked with
TraversalSpecs host -> parent (its cluster) -> parent folders -> datacenter, host -> network and
host -> vm, so hosts, clusters, their datacenter, networks and VMs come back from one
``RetrievePropertiesEx`` and its ``ContinueRetrievePropertiesEx`` pages; no property is read per host.
The pages are posted and read at the SOAP level (:mod:`validator.vcenter.collector_soap`), each asked for
while the one before is parsed; pyVmomi logs in, finds the datacenter and makes the view.
:mod:`validator.vcenter.mapping` turns the result into facts.

``retrieve_hosts(..., pyvmomi=True)`` reads the same pages through pyVmomi's data objects instead: several
times slower, it is the reference the SOAP reading is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from validator.errors import ValidatorError, VCenterApiError, VCenterScopeError
from validator.vcenter import collector_soap, mapping
from validator.vcenter._vmomi import vim, vmodl
from validator.vcenter.collector_answer import AnswerShapeError, SoapFaultError
from validator.vcenter.collector_soap import FilterSpec, Traversal
from validator.vcenter.connect import map_error
from validator.vcenter.mapping import RawObject, VCenterHost
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap import session_cookie
from validator.vcenter.vim_records import ManagedObjectReference

PAGE_SIZE = 100  # objects per page: a page of hosts is a few megabytes of SOAP, and its tree ten times that

_PC = vmodl.query.PropertyCollector

TRAVERSALS = (
    Traversal("viewHosts", "ContainerView", "view", (
        Traversal("hostParent", "HostSystem", "parent", (
            Traversal("clusterParent", "ComputeResource", "parent", (
                Traversal("folderParent", "Folder", "parent", ("folderParent",)),
            )),
        )),
        Traversal("hostNetwork", "HostSystem", "network"),
        Traversal("hostVm", "HostSystem", "vm"),
    )),
)
PROPERTIES = {
    "HostSystem": mapping.HOST_PROPERTIES,
    "ComputeResource": mapping.CLUSTER_PROPERTIES,
    "VirtualMachine": mapping.VM_PROPERTIES,
    "Network": mapping.NETWORK_PROPERTIES,
    "Folder": mapping.FOLDER_PROPERTIES,
    "Datacenter": mapping.DATACENTER_PROPERTIES,
}
_VIM_TYPES = {
    "ContainerView": vim.view.ContainerView,
    "HostSystem": vim.HostSystem,
    "ComputeResource": vim.ComputeResource,
    "VirtualMachine": vim.VirtualMachine,
    "Network": vim.Network,
    "Folder": vim.Folder,
    "Datacenter": vim.Datacenter,
}


def soap_filter_spec(view: Any) -> FilterSpec:
    """The FilterSpec (as posted at the SOAP level): hosts of ``view`` plus their cluster, networks and VMs."""
    return FilterSpec(root=reference(view), traversals=TRAVERSALS, properties=PROPERTIES)


def filter_spec(view: Any) -> Any:
    """The same FilterSpec as pyVmomi's data object."""
    return _PC.FilterSpec(
        objectSet=[_PC.ObjectSpec(obj=view, skip=True, selectSet=[_vmomi_selection(t) for t in TRAVERSALS])],
        propSet=[_PC.PropertySpec(type=_VIM_TYPES[kind], pathSet=list(paths)) for kind, paths in PROPERTIES.items()],
        reportMissingObjectsInResults=False,
    )


def _vmomi_selection(spec: Traversal | str) -> Any:
    if isinstance(spec, str):
        return _PC.SelectionSpec(name=spec)
    return _PC.TraversalSpec(name=spec.name, type=_VIM_TYPES[spec.type], path=spec.path, skip=False,
                             selectSet=[_vmomi_selection(s) for s in spec.then])


def reference(managed_object: Any) -> ManagedObjectReference:
    """A pyVmomi managed object as a reference."""
    return ManagedObjectReference(type=str(managed_object._wsdlName), value=str(managed_object._moId))


def retrieve_objects(property_collector: Any, spec: Any, page_size: int | None = None) -> list[RawObject]:
    """The retrieval through pyVmomi: one ``RetrievePropertiesEx``, then ``ContinueRetrievePropertiesEx`` per page."""
    options = _PC.RetrieveOptions(maxObjects=page_size or PAGE_SIZE)
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


def soap_objects(service_instance: Any, settings: VCenterSettings, content: Any, view: Any,
                 page_size: int | None = None) -> list[RawObject]:
    """The retrieval at the SOAP level, on the session's cookie; faults as the project's typed errors."""
    where = f"vCenter {settings.endpoint}"
    action = collector_soap.soap_action(service_instance, getattr(content.about, "apiVersion", None))
    connection = collector_soap.Connection(settings, service_instance, session_cookie(service_instance), action)
    try:
        return collector_soap.retrieve(connection, reference(content.propertyCollector), soap_filter_spec(view),
                                       page_size or PAGE_SIZE)
    except SoapFaultError as exc:
        raise collector_soap.retrieval_error(exc.fault, where, settings.username) from None
    except AnswerShapeError as exc:
        raise VCenterApiError(f"{where}: the PropertyCollector's answer is not usable: {exc}") from None
    finally:
        connection.close()


def retrieve_hosts(service_instance: Any, settings: VCenterSettings, *, pyvmomi: bool = False) -> list[VCenterHost]:
    """Every host in the settings' scope (datacenter, clusters, hosts), sorted by name."""
    try:
        return _retrieve_hosts(service_instance, settings, pyvmomi)
    except ValidatorError:
        raise
    except Exception as exc:
        raise map_error(exc, settings) from None


def _retrieve_hosts(service_instance: Any, settings: VCenterSettings, pyvmomi: bool) -> list[VCenterHost]:
    content = service_instance.RetrieveContent()
    root = content.rootFolder
    if settings.datacenter:
        root = content.searchIndex.FindByInventoryPath(inventoryPath=settings.datacenter)
        if not isinstance(root, vim.Datacenter):
            raise VCenterScopeError(f"vCenter {settings.endpoint}: no datacenter named {settings.datacenter!r}")
    view = content.viewManager.CreateContainerView(container=root, type=[vim.HostSystem], recursive=True)
    if pyvmomi:
        try:
            objects = retrieve_objects(content.propertyCollector, filter_spec(view))
        finally:
            view.DestroyView()
        return in_scope(mapping.hosts_from_objects(objects, settings.datacenter), settings)
    with collector_soap.gc_paused():
        hosts = _soap_hosts(service_instance, settings, content, view)  # its objects are freed before the resume
    return in_scope(hosts, settings)


def _soap_hosts(service_instance: Any, settings: VCenterSettings, content: Any, view: Any) -> list[VCenterHost]:
    try:
        objects = soap_objects(service_instance, settings, content, view)
    finally:
        view.DestroyView()
    return mapping.hosts_from_objects(objects, settings.datacenter)


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
