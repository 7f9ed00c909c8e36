"""Target: the output folder as a documented Python package that vendors under any name.

* ``__init__.py``: the package docstring, ``PAYLOADS``, ``SCHEMAS`` and ``schema(name)``;
  it imports only the standard library (the models are ``<package>.models``);
* ``README.md``: how a downstream project vendors, imports, runs the conformance suite
  against its producer or captured traffic, and keeps the suite out of its own tests;
* ``conftest.py``: that guard (pytest skips ``conformance/`` unless it is named).

Everything inside the folder imports relatively, so the folder works under whatever
name it is copied as; the spec's ``outputs.package`` (default ``<product id>_telemetry``)
is the name the docs use.  This module only fills templates from the model.
"""

from __future__ import annotations

import json
from importlib import resources

from generator.model import Spec
from generator.targets.escape import md_text

FILES = ("__init__.py", "README.md")
STATIC = ("conftest.py",)


def package_name(spec: Spec) -> str:
    """The name the generated docs tell downstream projects to vendor the folder as."""
    return spec.outputs.package or f"{spec.product.id}_telemetry"


def render(spec: Spec) -> dict[str, bytes]:
    """The package files."""
    from generator.targets.docs_jinja import make_environment

    env = make_environment("package", "package")
    example = next((p for p in spec.payloads if p.type != "event"), spec.payloads[0] if spec.payloads else None)
    ctx = {
        "product": md_text(spec.product.name),
        # The name inside a Python string literal of __init__.py (json quotes; strip them).
        "product_literal": json.dumps(spec.product.name, ensure_ascii=True)[1:-1].replace("{", "{{").replace("}", "}}"),
        "package": package_name(spec),
        "package_from_spec": spec.outputs.package is not None,
        "payload_count": len(spec.payloads),
        "payloads": [json.dumps(p.wire_name) for p in spec.payloads],
        "example": {"wire_name": example.wire_name if example else "<wire name>"},
        "templates": [
            {"name": t.name, "out": t.out, "description": md_text(t.description) if t.description else ""}
            for t in spec.outputs.templates
        ],
    }
    files = {name: env.get_template(name + ".j2").render(**ctx).encode("utf-8") for name in FILES}
    folder = resources.files("generator").joinpath("templates", "package")
    for name in STATIC:
        files[name] = folder.joinpath(name + ".tmpl").read_bytes()
    return files
