"""The vCenter discoverers: esxcli over SSH when the host answers, vCenter alone when it does not
(:class:`VCenterDiscoverer`), or vCenter alone always (:class:`VCenterOnlyDiscoverer`, the API probe path).

Either way the HostInfo carries vCenter's facts (``HostInfo.vcenter``), so the vCenter checks and the
drift between both views can be judged. Hosts vCenter does not know are left to the inner discoverer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from validator.discovery import Discoverer, HostContext
from validator.esxcli_discovery import EsxcliDiscoverer
from validator.models import VMOTION_NETSTACK, HostInfo, HostStatus, Vmk
from validator.vcenter.mapping import VCenterHost, service_tag


class VCenterDiscoverer:
    """Describes hosts from esxcli (``inner``) and attaches vCenter's facts; falls back to vCenter alone."""

    def __init__(self, hosts: Sequence[VCenterHost], inner: Discoverer | None = None) -> None:
        self._hosts: Mapping[str, VCenterHost] = {h.name: h for h in hosts}
        self._inner = inner or EsxcliDiscoverer()

    def discover(self, context: HostContext) -> HostInfo:
        vc = self._hosts.get(context.host.target.name)
        if vc is None:
            return self._inner.discover(context)
        if context.executor is not None:
            info = self._inner.discover(context)
            if info.ok:
                return replace(info, vcenter=vc.facts)
            return host_info_from_vcenter(vc, context.netstack, info.status, info.error)
        failed = self._inner.discover(context)  # the status and error of the failed connection
        return host_info_from_vcenter(vc, context.netstack, failed.status, failed.error)


class VCenterOnlyDiscoverer:
    """Describes hosts from vCenter's facts alone: no host is asked anything (nothing opens SSH).

    A host vCenter does not report connected is ``unreachable``: esxcli cannot run on it through vCenter.
    """

    def __init__(self, hosts: Sequence[VCenterHost]) -> None:
        self._hosts: Mapping[str, VCenterHost] = {h.name: h for h in hosts}

    def discover(self, context: HostContext) -> HostInfo:
        target = context.host.target
        vc = self._hosts.get(target.name)
        if vc is None:
            return HostInfo(name=target.name, address=target.address, status=HostStatus.ERROR,
                            error="not in vCenter's inventory", netstack=context.netstack)
        if not vc.facts.connected:
            state = vc.facts.connection_state.value
            error = f"vCenter reports it {state}: esxcli cannot run on it through vCenter"
            return host_info_from_vcenter(vc, context.netstack, HostStatus.UNREACHABLE, error)
        return host_info_from_vcenter(vc, context.netstack)


def host_info_from_vcenter(
    vc: VCenterHost,
    netstack: str = VMOTION_NETSTACK,
    status: HostStatus = HostStatus.OK,
    error: str | None = None,
) -> HostInfo:
    """A HostInfo described by vCenter alone: every vmk of every stack, tags = its selected services."""
    facts = vc.facts
    vmks = [
        Vmk(
            name=v.name,
            netstack=v.netstack,
            mtu=v.mtu,
            addresses=v.addresses,
            gateway=v.gateway,
            tags=tuple(service_tag(s) for s in v.services),
            portgroup=v.portgroup,
            mac=v.mac,
        )
        for v in facts.vmks
    ]
    stack = facts.stack(netstack)
    keys = [s.key for s in facts.netstacks]
    keys += [v.netstack for v in vmks if v.netstack not in keys]
    return HostInfo(
        name=vc.name,
        address=vc.address,
        status=status,
        error=error,
        netstack=netstack,
        netstack_present=netstack in keys,
        gateway=stack.gateway if stack else None,
        gateway6=stack.gateway6 if stack else None,
        vmks=tuple(v for v in vmks if v.netstack == netstack),
        other_vmks=tuple(v for v in vmks if v.netstack != netstack),
        netstacks=tuple(keys),
        cluster=vc.cluster,
        vcenter=facts,
    )
