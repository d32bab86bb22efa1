"""ESXi knowledge, kept pure: command builders, output parsers and the one-session batch runner script.

* :mod:`validator.esxi.commands` - validated, quoted command lines (vmkping, esxcli).
* :mod:`validator.esxi.parsers` - typed records from vmkping / esxcli output (text, CSV or XML).
* :mod:`validator.esxi.tables` - the generic readers behind the parsers.
* :mod:`validator.esxi.batch` - many commands in one SSH session, framed and split back.
"""
