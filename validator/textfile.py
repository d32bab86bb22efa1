"""Read a UTF-8 text file the user named, or fail with one line naming it (in the caller's error type)."""

from __future__ import annotations

from pathlib import Path

from validator.errors import ValidatorError


def read_user_file(path: Path, error: type[ValidatorError], what: str) -> str:
    """The text of ``path``; ``error("PATH: <what> not found" | "PATH: cannot read <what>: ...")`` otherwise."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from None
