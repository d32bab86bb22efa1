"""esxcli of the lab: the changes a fix script makes (tags in vmks.tsv; route checks before any kernel change)."""

from __future__ import annotations

from . import topo
from .test_lab_bin_esxcli import esxcli, ok

TAG = ("network", "ip", "interface", "tag")
ROUTE4 = ("network", "ip", "route", "ipv4")


def tags(t: topo.Topology, vmk: str) -> str:
    return ok(t, "esxa", *TAG, "get", "-i", vmk)


def test_tag_remove_and_add_rewrite_the_host_files(hosts: topo.Topology) -> None:
    assert ok(hosts, "esxa", *TAG, "remove", "-i", "vmk2", "-t", "faultToleranceLogging") == ""
    assert tags(hosts, "vmk2") == "   Tags: VMotion\n"
    assert ok(hosts, "esxa", *TAG, "remove", "--interface-name=vmk2", "--tagname=VMotion") == ""
    assert tags(hosts, "vmk2") == "   Tags: \n"
    assert ok(hosts, "esxa", *TAG, "add", "-i", "vmk2", "-t", "VMotion") == ""
    assert ok(hosts, "esxa", *TAG, "add", "-i", "vmk2", "-t", "VMotion") == ""  # already there: once
    assert tags(hosts, "vmk2") == "   Tags: VMotion\n"
    assert tags(hosts, "vmk1") == "   Tags: VMotion\n"  # other vmks untouched
    rows = (hosts.hostdir("esxa") / "vmks.tsv").read_text().splitlines()
    assert all(len(row.split("\t")) == 13 for row in rows)


def test_tag_change_refuses_bad_input(hosts: topo.Topology) -> None:
    before = (hosts.hostdir("esxa") / "vmks.tsv").read_text()
    for args, error in [
        (("remove", "-i", "vmk9", "-t", "VMotion"), "Error: Interface 'vmk9' not found\n"),
        (("remove", "-i", "vmk2"), "Error: Missing required parameter -t|--tagname\n"),
        (("add", "-i", "vmk2", "-t", "VMotion;reboot"), "Error: Invalid tag name: VMotion;reboot\n"),
    ]:
        res = esxcli(hosts, "esxa", *TAG, *args)
        assert (res.rc, res.out) == (1, error)
    assert (hosts.hostdir("esxa") / "vmks.tsv").read_text() == before


def test_route_change_refuses_bad_input_before_touching_anything(hosts: topo.Topology) -> None:
    before = (hosts.hostdir("esxa") / "netstacks.tsv").read_text()
    for args, error in [
        (("add", "-N", "vmotion", "-n", "default", "-g", "198.18.1.1"),
         "Error: Unable to add route: a default route already exists\n"),
        (("add", "-N", "vmotion", "-n", "default", "-g", "198.18.1.256"), "Error: Invalid IPv4 address: 198.18.1.256\n"),
        (("add", "-N", "vmotion", "-n", "10.0.0.0/8", "-g", "198.18.1.1"),
         "Error: Only the default route is emulated: 10.0.0.0/8\n"),
        (("remove", "-N", "vmotion", "-n", "default", "-g", "198.18.1.9"),
         "Error: Unable to remove route: no default route via 198.18.1.9\n"),
        (("add", "-N", "vmotion", "-n", "default"), "Error: Missing required parameter -g|--gateway\n"),
        (("add", "-N", "nosuch", "-n", "default", "-g", "198.18.1.1"), "Error: Netstack instance 'nosuch' not found\n"),
    ]:
        res = esxcli(hosts, "esxa", *ROUTE4, *args)
        assert (res.rc, res.out) == (1, error), args
    assert (hosts.hostdir("esxa") / "netstacks.tsv").read_text() == before
