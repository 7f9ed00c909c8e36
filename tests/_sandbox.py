"""The hashed sandbox the hostile-input tests run in (not a test module).

Each attack runs in a folder holding the spec, the output folder and an "outside"
folder standing for the rest of the machine.  ``snapshot`` records every entry below a
folder without following links (a file's sha256, a link's target, a fifo's kind), so a
test can assert that nothing outside the output folder changed: ``changed_outside``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below ``root`` (links not followed): relative path -> what it is."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link -> " + os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as fh:
                    out[rel] = hashlib.sha256(fh.read()).hexdigest()
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "folder"
            else:
                out[rel] = f"special {stat.S_IFMT(st.st_mode):o}"
    return out


def changed_outside(before: dict[str, str], after: dict[str, str], output: str | None = None) -> dict[str, tuple]:
    """What differs between two snapshots, leaving out ``output`` (a relative folder)
    and everything below it."""
    def keep(rel: str) -> bool:
        return output is None or not (rel == output or rel.startswith(output.rstrip("/") + "/"))

    keys = {k for k in before.keys() | after.keys() if keep(k)}
    return {k: (before.get(k), after.get(k)) for k in sorted(keys) if before.get(k) != after.get(k)}
