"""vCenter as the source of hosts: settings, login, one PropertyCollector retrieval, the discoverer that
attaches vCenter's view to each host, and TSM-SSH handling for a run.

pyVmomi is imported only by :mod:`connect`, :mod:`retrieve` and :mod:`ssh_service`; everything else here
works on plain values.
"""
