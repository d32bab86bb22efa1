"""The default discoverer: ask each host, over esxcli, for its TCP/IP stacks, vmks, addresses, gateways
and service tags.

Two SSH sessions per host: one batch of esxcli listings, one batch of ``tag get`` per vmk.
Failures come back as a :class:`HostInfo` whose status says what went wrong; nothing raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Interface

from validator.discovery import HostContext
from validator.errors import (
    AuthError,
    CommandValueError,
    ConnectError,
    HostKeyError,
    ParseError,
    TransportError,
)
from validator.esxi import batch, commands, parsers
from validator.models import VMOTION_NETSTACK, HostInfo, HostStatus, HostTarget, IPInterface, Vmk
from validator.transport import Executor, run_script


class EsxcliDiscoverer:
    """Describes a host from its own esxcli output, over the SSH session the runner opened."""

    def __init__(self, timeout: float | None = None) -> None:
        self._timeout = timeout

    def discover(self, context: HostContext) -> HostInfo:
        target = context.host.target
        if context.executor is None:
            error = context.connect_error or TransportError("no SSH session", target.name)
            return failed_host(target, error, context.netstack)
        return discover_host(context.executor, target, context.netstack, self._timeout)


def discover_host(
    executor: Executor, target: HostTarget, netstack: str = VMOTION_NETSTACK, timeout: float | None = None
) -> HostInfo:
    """Discover one host; a parse or command failure becomes status ``error`` with the raw text kept."""
    listing = {
        "netstacks": commands.netstack_list(),
        "interfaces": commands.interface_list(),
        "ipv4": commands.ipv4_get(netstack=netstack),
        "ipv6": commands.ipv6_address_list(),
        "routes4": commands.route_ipv4_list(netstack),
        "routes6": commands.route_ipv6_list(netstack),
    }
    try:
        outputs = _run_batch(executor, listing, timeout)
        stacks = [entry.key for entry in parsers.parse_netstack_list(outputs.require("netstacks"))]
        interfaces = parsers.parse_interface_list(outputs.require("interfaces"))
        tag_commands = {f"tags-{i.name}": commands.tag_get(i.name) for i in interfaces}
        tags = _run_batch(executor, tag_commands, timeout) if tag_commands else _Outputs({}, {}, {})
        if netstack not in stacks:  # the -N commands failed for that reason: not an error
            others = tuple(_vmk(i, {}, {}, tags) for i in interfaces)
            return HostInfo(
                name=target.name, address=target.address, netstack=netstack, netstack_present=False,
                other_vmks=others, netstacks=tuple(stacks), raw=dict(outputs.ok),
            )
        ipv4 = {entry.name: entry for entry in parsers.parse_ipv4_get(outputs.require("ipv4"))}
        ipv6 = _ipv6_by_vmk(outputs.ok.get("ipv6"))  # hosts without IPv6 may refuse these two
        routes4 = parsers.parse_route_list(outputs.require("routes4"))
        routes6 = parsers.parse_route_list(outputs.ok["routes6"]) if outputs.ok.get("routes6") else []
    except ParseError as exc:
        return HostInfo(
            name=target.name, address=target.address, status=HostStatus.ERROR, netstack=netstack,
            error=f"cannot parse esxcli output: {exc}", raw={"unparsed": exc.raw},
        )
    except TransportError as exc:
        return failed_host(target, exc, netstack)
    except CommandValueError as exc:
        return HostInfo(
            name=target.name, address=target.address, status=HostStatus.ERROR, netstack=netstack,
            error=f"refused a value the host reported: {exc}",
        )
    vmks = [_vmk(i, ipv4, ipv6, tags) for i in interfaces]
    return HostInfo(
        name=target.name,
        address=target.address,
        netstack=netstack,
        gateway=parsers.default_gateway(routes4),
        gateway6=parsers.default_gateway(routes6),
        vmks=tuple(v for v in vmks if v.netstack == netstack),
        other_vmks=tuple(v for v in vmks if v.netstack != netstack),
        netstacks=tuple(stacks),
        raw=dict(outputs.ok),
    )


def failed_host(target: HostTarget, exc: TransportError, netstack: str = VMOTION_NETSTACK) -> HostInfo:
    """The HostInfo of a host that could not be talked to."""
    status = HostStatus.ERROR
    if isinstance(exc, ConnectError):
        status = HostStatus.UNREACHABLE
    elif isinstance(exc, AuthError):
        status = HostStatus.AUTH_FAILED
    elif isinstance(exc, HostKeyError):
        status = HostStatus.HOST_KEY
    return HostInfo(name=target.name, address=target.address, status=status, error=str(exc), netstack=netstack)


@dataclass(frozen=True)
class _Outputs:
    """The outputs of one batch: stdout of the commands that succeeded, and why the others failed."""

    commands: Mapping[str, str]
    ok: Mapping[str, str]
    failed: Mapping[str, str]

    def require(self, tag: str) -> str:
        if tag in self.failed:
            raise ParseError(f"{self.commands[tag]!r} {self.failed[tag]}", raw=self.failed[tag])
        return self.ok[tag]


def _run_batch(executor: Executor, cmds: Mapping[str, str], timeout: float | None) -> _Outputs:
    """Run commands in one session; a command with no output at all means the session broke."""
    script, nonce = batch.build_sequential(cmds)
    result = run_script(executor, script, timeout)
    framed = batch.split_output(result.stdout, nonce)
    ok: dict[str, str] = {}
    failed: dict[str, str] = {}
    for tag in cmds:
        if tag not in framed:
            raise ParseError(f"no output for {cmds[tag]!r}", raw=result.stdout + result.stderr)
        out = framed[tag]
        if out.exit_status == 0:
            ok[tag] = out.stdout
        else:
            failed[tag] = f"exited {out.exit_status}: {out.stdout.strip()[:200]}"
    return _Outputs(cmds, ok, failed)


def _ipv6_by_vmk(text: str | None) -> dict[str, list[IPInterface]]:
    found: dict[str, list[IPInterface]] = {}
    if not text:
        return found
    for entry in parsers.parse_ipv6_address_list(text):
        found.setdefault(entry.interface, []).append(IPv6Interface(f"{entry.address}/{entry.prefix}"))
    return found


def _vmk(
    iface: parsers.InterfaceEntry,
    ipv4: Mapping[str, parsers.Ipv4Entry],
    ipv6: Mapping[str, list[IPInterface]],
    tags: _Outputs,
) -> Vmk:
    addresses: list[IPInterface] = []
    v4 = ipv4.get(iface.name)
    gateway = None
    if v4 is not None and v4.address is not None and v4.prefix is not None:
        addresses.append(IPv4Interface(f"{v4.address}/{v4.prefix}"))
        gateway = v4.gateway
    addresses.extend(ipv6.get(iface.name, []))
    tags_text = tags.ok.get(f"tags-{iface.name}")
    return Vmk(
        name=iface.name,
        netstack=iface.netstack,
        mtu=iface.mtu,
        enabled=iface.enabled,
        addresses=tuple(addresses),
        gateway=gateway,
        tags=parsers.parse_tags(tags_text) if tags_text is not None else (),
        portgroup=iface.portgroup,
        mac=iface.mac,
    )
