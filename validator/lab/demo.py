"""``vmotion-validator demo``: lab up, full validation through :func:`validator.validate`, lab down, and
every verdict compared with the lab's ground truth. With ``vcenter``, the same topology is also served by
the vCenter simulator and the hosts are discovered through it, then probed over SSH as usual or, with
``options.via == "api"``, through the simulator (esxcli network diag ping; no SSH at all)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from validator.api import validate
from validator.inventory import load_inventory
from validator.lab.api import LabState, running_lab
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.lab.groundtruth import truth_pairs
from validator.lab.topology import load_topology
from validator.options import RunOptions
from validator.prober import VIA_API
from validator.progress import ProgressCallback
from validator.report import Report

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DemoOutcome:
    """The run's report, and every verdict that differs from what the lab engineered (empty: all match)."""

    report: Report
    mismatches: tuple[str, ...]


def default_topology() -> Path:
    """samples/lab/demo.toml of this checkout, else of the current directory."""
    for base in (_PROJECT_ROOT, Path.cwd()):
        candidate = base / "samples" / "lab" / "demo.toml"
        if candidate.exists():
            return candidate
    return Path("samples/lab/demo.toml")


def run_demo(
    topology: Path,
    state: Path | None,
    options: RunOptions,
    progress: ProgressCallback | None = None,
    *,
    vcenter: bool = False,
    notify: Callable[[str], None] = print,
) -> DemoOutcome:
    """Build the lab (and the simulator), validate, compare with the ground truth, tear everything down."""
    topo = load_topology(topology)
    with tempfile.TemporaryDirectory(prefix="vmv-demo-") as scratch:
        state_dir = state or Path(scratch) / "lab"
        with running_lab(topo, state_dir) as lab:
            if vcenter:
                report = _through_vcenter(lab, Path(scratch) / "vcsim", options, progress, notify)
            else:
                inventory = load_inventory(lab.inventory)
                report = validate(inventory, options=options, password=lab.password(), progress=progress)
            truth = load_ground_truth(lab.ground_truth)
            if vcenter and options.via == VIA_API:  # no sshd needed: every host's pairs are measured
                truth = [pair.to_json() for pair in truth_pairs(lab.topology, ssh=False)]
            if vcenter and not options.cross_cluster:  # vCenter's hosts are meshed within each cluster
                cluster = {host.name: host.vcenter.cluster for host in lab.topology.hosts}
                truth = [t for t in truth if cluster[t["src_host"]] == cluster[t["dst_host"]]]
            mismatches = compare_with_ground_truth(report, truth)
    return DemoOutcome(report=report, mismatches=tuple(str(m) for m in mismatches))


def _through_vcenter(
    lab: LabState, workdir: Path, options: RunOptions, progress: ProgressCallback | None,
    notify: Callable[[str], None],
) -> Report:
    """The lab's hosts discovered through the simulator loaded with the same topology, probed over SSH."""
    from validator.lab.vcsim import running_vcsim, vcenter_model
    from validator.vcenter.run import validate_vcenter
    from validator.vcenter.settings import VCenterSettings

    inventory = load_inventory(lab.inventory)  # the SSH login and known_hosts; the hosts come from vCenter
    with running_vcsim(vcenter_model(lab.topology, lab.paths), workdir) as vc:
        settings = VCenterSettings(host=vc.host, port=vc.port, username=vc.username, ca_file=vc.ca_file)
        notify(f"demo: vCenter simulator at {vc.url} serves the lab's topology")
        return validate_vcenter(inventory, settings, vc.password, options=options, ssh_password=lab.password(),
                                progress=progress, notify=notify)
