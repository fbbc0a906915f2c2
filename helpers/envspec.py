"""Turn environment.yml (the single source of truth) into PyPI requirements.

`python -m helpers.envspec` prints one `name==version` per line; `make lock`
compiles that into .ci/requirements.lock.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from helpers import ROOT

ENVIRONMENT_YML = ROOT / "environment.yml"

# conda-forge package name -> PyPI distribution name, where they differ.
CONDA_TO_PYPI = {
    "matplotlib-base": "matplotlib",
    "pytables": "tables",
    "pytorch": "torch",
}

# Conda entries that are not PyPI packages.
SKIP = {"python", "pip"}


def _conda_to_pypi(spec: str) -> str | None:
    """Convert a conda spec `name=version[=build]` to `name==version` (None if skipped)."""
    spec = spec.strip().replace("==", "=")
    name, _, rest = spec.partition("=")
    name = name.strip()
    if name.lower() in SKIP:
        return None
    version = rest.split("=")[0].strip()
    if not version:
        raise ValueError(f"environment.yml: {name!r} is not pinned to an exact version")
    return f"{CONDA_TO_PYPI.get(name.lower(), name)}=={version}"


def requirements(path: str | Path = ENVIRONMENT_YML) -> list[str]:
    """Return the PyPI requirements (`name==version`) described by an environment.yml."""
    with open(path, encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    reqs: list[str] = []
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            reqs.extend(str(r).strip() for r in dep.get("pip", []))
        elif (req := _conda_to_pypi(str(dep))) is not None:
            reqs.append(req)
    return reqs


def main(argv: list[str] | None = None) -> None:
    """Print the requirements of environment.yml (or of the path given) one per line."""
    args = sys.argv[1:] if argv is None else argv
    print("\n".join(requirements(*args[:1])))


if __name__ == "__main__":
    main()
