"""Replacing spec files in place, for the commands that edit a spec (``gen infer
--write``, ``gen migrate --write``).

Every new text is staged in a temporary file next to its target (same folder, same
mode) before the first one replaces its file, so a failure while staging leaves every
file as it was.  Must not: decide what the new texts are.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_spec_files(spec_dir: Path, changed: dict[str, bytes]) -> None:
    """Replace each changed file (path relative to ``spec_dir``) atomically; every new
    text is staged before any replace."""
    staged = []
    try:
        for rel in sorted(changed):
            target = spec_dir / rel
            fd, tmp = tempfile.mkstemp(prefix=".gen-edit-", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(changed[rel])
            shutil.copymode(target, tmp)
            staged.append((tmp, target))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
