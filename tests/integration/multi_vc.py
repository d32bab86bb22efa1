"""The inventory of a run over two simulated vCenters and one lab: the lab's SSH settings and one ``[[vcenter]]``
table per simulator (passwords from ``VMV_TEST_<NAME>_PW``)."""

from __future__ import annotations

from validator.lab.api import LabState
from validator.lab.vcsim import VcsimEndpoint


def password_env(name: str) -> str:
    """The variable holding the password of the simulator ``name``."""
    return f"VMV_TEST_{name.upper()}_PW"


def lab_ssh_table(lab: LabState) -> str:
    """The lab inventory's SSH settings (no hosts: vCenter describes them), its known_hosts by absolute path."""
    table = lab.inventory.read_text(encoding="utf-8").split("[[hosts]]")[0]
    return table.replace('known_hosts = "known_hosts"', f'known_hosts = "{lab.inventory.parent}/known_hosts"')


def vcenter_tables(vcenters: dict[str, VcsimEndpoint], probe: str | None = None) -> str:
    """One ``[[vcenter]]`` table per simulator, with ``probe`` when given."""
    return "".join(
        f'\n[[vcenter]]\nname = "{name}"\nserver = "{vc.host}:{vc.port}"\nusername = "{vc.username}"\n'
        f'password_env = "{password_env(name)}"\nca_file = "{vc.ca_file}"\n'
        + (f'probe = "{probe}"\n' if probe else "")
        for name, vc in vcenters.items()
    )
