"""Spec format migrations: format 1 -> format 2.

One migration, written once as data (``rules``), used two ways:

* in memory by the spec pipeline (``generator.pipeline``): a format-1 file is migrated
  right after loading, with its source positions, and checked as format 2, so old
  revisions still load (``gen diff``/``gen review`` compare across the change) and
  one warning names ``gen migrate``;
* on the files by ``gen migrate [--write]`` (``text``): targeted edits at the loader's
  positions, every untouched line kept byte for byte, checked by loading the result.

Must not: validate or resolve (the pipeline's stages do), or write anything but the
spec files ``gen migrate --write`` was asked to rewrite.
"""

from __future__ import annotations

from generator.migrate.rules import KIND_RENAMES, migrate_data, migrate_raw

__all__ = ["KIND_RENAMES", "migrate_data", "migrate_raw"]
