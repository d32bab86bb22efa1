"""Counting the SOAP calls a retrieval makes, by wrapping the pyVmomi stub of a session."""

from __future__ import annotations

from collections import Counter
from typing import Any


def count_calls(service_instance: Any) -> Counter[str]:
    """Wrap the session's stub: every later SOAP call adds one to ``counter[method name]``."""
    counter: Counter[str] = Counter()
    stub = service_instance._stub
    original = stub.InvokeMethod

    def invoke(mo: Any, info: Any, args: Any, *rest: Any, **kw: Any) -> Any:
        counter[info.wsdlName] += 1
        return original(mo, info, args, *rest, **kw)

    stub.InvokeMethod = invoke
    return counter
