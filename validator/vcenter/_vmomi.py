"""pyVmomi, seen as untyped: the only import of it, so its surface stays inside this package."""

from __future__ import annotations

from typing import Any

import pyVmomi as _pyvmomi
from pyVim import connect as _connect

vim: Any = _pyvmomi.vim
vmodl: Any = _pyvmomi.vmodl
pyvim_connect: Any = _connect
