"""Builds the ``lumen-explain`` wheel with liblumen inside.

``pip install ./bindings/python`` (or ``pip wheel ./bindings/python``) runs this through
setuptools' PEP 517 backend. Besides the Python package it:

* runs ``cargo build --release -p lumen`` on the repository's ``Cargo.toml``, the very
  command the rest of the test suite runs, so an up-to-date ``target/`` (or
  ``$CARGO_TARGET_DIR``) is reused as it is;
* copies the cdylib cargo reports into the wheel's ``lumen/`` as one real file
  (``liblumen.so`` on Linux, ``liblumen.dylib`` on macOS, ``lumen.dll`` on Windows),
  where :func:`lumen._native.candidate_paths` looks first after ``$LUMEN_LIBRARY``, and
  strips its debug info (``strip --strip-debug``; the release profile keeps ``debug = 1``);
* rewrites the wheel's ``lumen/_version.py`` with the Cargo workspace version, the
  package's only version source;
* tags the wheel ``py3-none-<platform>``: it holds native code for one platform but no
  Python extension, so one wheel serves every CPython 3 on that platform.

It needs a Lumen source checkout (``../../Cargo.toml``), cargo on ``PATH`` (or
``$CARGO``) and, on Linux, ``strip`` from binutils. There is no source distribution: it
would have to carry the whole Rust workspace.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import ExecError, FileError, PlatformError

HERE = Path(__file__).resolve().parent
_source = runpy.run_path(str(HERE / "lumen" / "_source.py"))
MANIFEST: Path = _source["MANIFEST"]


def _library_name() -> str:
    """The file name the loader looks for on this platform."""
    if sys.platform.startswith("linux"):
        return "liblumen.so"
    if sys.platform == "darwin":
        return "liblumen.dylib"
    if sys.platform == "win32":
        return "lumen.dll"
    raise PlatformError(f"lumen-explain: no wheel layout for platform {sys.platform!r}")


def _version() -> str:
    if not MANIFEST.is_file():
        raise FileError(
            f"lumen-explain builds from a Lumen source checkout: {MANIFEST} not found "
            "(build the wheel from bindings/python inside the repository)"
        )
    return str(_source["workspace_version"](MANIFEST))


def cargo_build_cdylib() -> Path:
    """Runs ``cargo build --release -p lumen`` and returns the cdylib it reports."""
    cargo = os.environ.get("CARGO") or shutil.which("cargo")
    if not cargo:
        raise ExecError("lumen-explain: cargo not found on PATH; install Rust (https://rustup.rs) to build the wheel")
    command = [
        cargo,
        "build",
        "--release",
        "-p",
        "lumen",
        "--manifest-path",
        str(MANIFEST),
        "--message-format=json-render-diagnostics",
    ]
    print("lumen-explain: " + " ".join(command), file=sys.stderr, flush=True)
    # Diagnostics and progress go to stderr as they come; stdout carries cargo's JSON.
    run = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if run.returncode != 0:
        raise ExecError(f"lumen-explain: `{' '.join(command)}` failed with status {run.returncode}")
    libraries = []
    for line in run.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        target = message.get("target", {})
        built = message.get("reason") == "compiler-artifact" and target.get("name") == "lumen"
        if built and "cdylib" in target.get("kind", []):
            libraries += [Path(f) for f in message.get("filenames", []) if Path(f).suffix in (".so", ".dylib", ".dll")]
    if len(libraries) != 1:
        raise ExecError(f"lumen-explain: expected cargo to report one lumen cdylib, got {libraries}")
    return libraries[0]


def strip_debug_info(library: Path) -> None:
    """Removes the debug info of ``library`` in place (Linux and macOS); an error if the
    tool is missing or fails, so a wheel never ships a 15 MB library by accident."""
    if sys.platform == "win32":
        return  # MSVC keeps debug info in a separate .pdb, never in the DLL.
    strip = shutil.which("strip")
    if not strip:
        raise ExecError("lumen-explain: `strip` not found (Debian: apt-get install binutils)")
    flag = "--strip-debug" if sys.platform.startswith("linux") else "-S"
    run = subprocess.run([strip, flag, str(library)], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise ExecError(f"lumen-explain: `strip {flag} {library}` failed: {run.stderr.strip()}")


class build_py_with_library(build_py):
    """``build_py`` that also puts the stripped liblumen and ``_version.py`` into the
    package. An editable install only runs cargo: a source checkout loads the library
    from ``target/release``, and a copy in the source tree would shadow later builds."""

    def run(self) -> None:
        super().run()
        library = cargo_build_cdylib()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "lumen"
        package.mkdir(parents=True, exist_ok=True)
        destination = package / _library_name()
        partial = destination.with_name(destination.name + ".partial")
        shutil.copyfile(library, partial)  # follows symlinks: the wheel holds one real file
        strip_debug_info(partial)
        partial.chmod(0o755)
        os.replace(partial, destination)
        (package / "_version.py").write_text(
            '"""The version of this build of lumen-explain (written by setup.py from Cargo.toml)."""\n\n'
            "from typing import Optional\n\n"
            f'BUILT_VERSION: Optional[str] = "{self.distribution.get_version()}"\n',
            encoding="utf-8",
        )

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The package's files plus the library."""
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / "lumen" / _library_name())]


class NativeDistribution(Distribution):
    """A distribution with native code: installed into ``platlib`` and never tagged pure."""

    def has_ext_modules(self) -> bool:
        """Always true: the package carries liblumen."""
        return True


class platform_wheel(bdist_wheel):
    """A wheel tagged ``py3-none-<platform>``: native code, no Python ABI dependency."""

    def get_tag(self) -> tuple[str, str, str]:
        """``("py3", "none", <platform tag>)``."""
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class no_sdist(sdist):
    """Refuses to build a source distribution (it would need the whole Rust workspace)."""

    def run(self) -> None:
        raise PlatformError(
            "lumen-explain has no source distribution; build the wheel from the repository with "
            "`pip wheel ./bindings/python` or `python -m build --wheel bindings/python`"
        )


setup(
    version=_version(),
    distclass=NativeDistribution,
    cmdclass={"build_py": build_py_with_library, "bdist_wheel": platform_wheel, "sdist": no_sdist},
)
