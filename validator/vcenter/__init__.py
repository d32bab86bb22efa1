"""vCenter as the source of hosts: settings, login, one PropertyCollector retrieval, the discoverer that
attaches vCenter's view to each host, and TSM-SSH handling for a run.

pyVmomi is imported only by :mod:`connect`, :mod:`retrieve` and :mod:`ssh_service`; it logs in and makes the
calls whose answers are small. The retrieval's pages are posted and read at the SOAP level
(:mod:`collector_soap`, :mod:`collector_answer`, into the records of :mod:`vim_records`), as esxcli's calls are
(:mod:`soap` the envelope and the session cookie, :mod:`esxcli_soap` the bodies and answers,
:mod:`soap_client` the posting). Everything else here works on plain values.
"""
