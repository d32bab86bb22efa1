"""Emulated ESXi lab: hosts as network namespaces with a real sshd, racks, routers and engineered faults.

Entry points: ``validator.lab.api`` (lab_up, lab_down, lab_status, running_lab) and ``validator.lab.cli``.
"""
