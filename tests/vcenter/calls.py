"""Counting the SOAP calls a retrieval makes: pyVmomi's (by wrapping the session's stub) and the PropertyCollector
pages posted at the SOAP level (by watching :mod:`validator.vcenter.collector_soap`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from validator.vcenter import collector_soap


def count_calls(service_instance: Any) -> Counter[str]:
    """Every later SOAP call of this session adds one to ``counter[method name]``."""
    counter: Counter[str] = Counter()
    stub = service_instance._stub
    original = stub.InvokeMethod

    def invoke(mo: Any, info: Any, args: Any, *rest: Any, **kw: Any) -> Any:
        counter[info.wsdlName] += 1
        return original(mo, info, args, *rest, **kw)

    def watch(instance: Any, method: str, request: bytes, answer: bytes) -> None:
        if instance is service_instance:
            counter[method] += 1

    stub.InvokeMethod = invoke
    collector_soap.WATCHERS.append(watch)
    return counter
