"""The wheel as a user gets it: built with one command, installed into a fresh virtual
environment outside the repository, used with no environment variable.

``pip wheel ./bindings/python`` runs setup.py (cargo build, strip, copy); the wheel's tag,
contents and library are checked, then it is installed into a new venv in a temporary
folder and used from there with ``LUMEN_LIBRARY``, ``CARGO_TARGET_DIR`` and
``PYTHONPATH`` unset and the working directory outside the repository: a row is
explained and ``examples/python/quickstart.py`` runs against the installed package.

Needs cargo, ``strip`` and PyPI (the isolated build fetches setuptools, the venv numpy).
Marked ``wheel``; ``pytest -m "not wheel"`` leaves it out of a quick run.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lumen._source import workspace_version

pytestmark = pytest.mark.wheel

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPOSITORY = PACKAGE_DIR.parent.parent
EXAMPLE = REPOSITORY / "examples" / "python" / "quickstart.py"
VERSION = workspace_version(REPOSITORY / "Cargo.toml")
#: Upper bounds that catch an unstripped library (about 15 MB) or a wheel that grew.
MAX_LIBRARY_BYTES = 5_000_000
MAX_WHEEL_BYTES = 2_500_000
#: Variables that would let the installed package find a library outside itself.
UNSET = ("LUMEN_LIBRARY", "CARGO_TARGET_DIR", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH")


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 900) -> str:
    """Runs ``command``; its output, or a failure showing that output."""
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if run.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` exited with {run.returncode}:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    return run.stdout


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built by ``pip wheel --no-deps ./bindings/python``."""
    out = tmp_path_factory.mktemp("wheelhouse")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(PACKAGE_DIR)], out)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, f"pip wheel wrote {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def venv_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The python of a fresh venv (outside the repository) with only the wheel installed."""
    home = tmp_path_factory.mktemp("fresh")
    assert REPOSITORY not in home.parents, f"{home} lies inside the repository"
    _run([sys.executable, "-m", "venv", str(home / "venv")], home, _clean_env())
    python = home / "venv" / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)]
    _run(install, home, _clean_env())
    yield python


def test_wheel_is_tagged_for_this_platform(wheel: Path) -> None:
    name, version, python, abi, platform = wheel.stem.split("-")
    assert (name, version) == ("lumen_explain", VERSION)
    assert (python, abi) == ("py3", "none")
    assert platform != "any" and re.fullmatch(r"(manylinux_\d+_\d+_|linux_)x86_64", platform), platform
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"lumen_explain-{VERSION}.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in metadata
    assert f"Tag: py3-none-{platform}" in metadata


def test_wheel_carries_the_package_the_library_and_its_typing_marker(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        version_module = archive.read("lumen/_version.py").decode()
    expected = {
        "lumen/__init__.py",
        "lumen/engine.py",
        "lumen/model.py",
        "lumen/sequence_model.py",
        "lumen/explanation.py",
        "lumen/timeshap.py",
        "lumen/errors.py",
        "lumen/_native.py",
        "lumen/_version.py",
        "lumen/py.typed",
        "lumen/liblumen.so",
        f"lumen_explain-{VERSION}.dist-info/licenses/LICENSE",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"
    assert not [n for n in names if n.startswith(("tests/", "build/")) or n.endswith((".pyc", ".partial"))]
    assert f'BUILT_VERSION: Optional[str] = "{VERSION}"' in version_module
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"the wheel is {wheel.stat().st_size} bytes"


def _sections(elf: bytes) -> list[str]:
    """The section names of a little-endian ELF64 file."""
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [elf[shoff + i * shentsize : shoff + (i + 1) * shentsize] for i in range(shnum)]
    (strtab_offset,) = struct.unpack_from("<Q", headers[shstrndx], 0x18)
    names = []
    for header in headers:
        (name_offset,) = struct.unpack_from("<I", header, 0)
        start = strtab_offset + name_offset
        names.append(elf[start : elf.index(b"\0", start)].decode())
    return names


def test_library_is_a_stripped_x86_64_shared_object(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo("lumen/liblumen.so")
        elf = archive.read(info)
    assert (info.external_attr >> 16) & 0o170000 != 0o120000, "liblumen.so is a symbolic link"
    assert elf[:4] == b"\x7fELF", "not an ELF file"
    assert elf[4] == 2 and elf[5] == 1, "not a little-endian 64-bit ELF file"
    e_type, e_machine = struct.unpack_from("<HH", elf, 0x10)
    assert e_type == 3, f"ELF type {e_type}, expected 3 (shared object)"
    assert e_machine == 62, f"ELF machine {e_machine}, expected 62 (x86-64)"
    sections = _sections(elf)
    assert ".dynsym" in sections and ".text" in sections, sections
    debug = [s for s in sections if s.startswith((".debug_", ".zdebug_"))]
    assert not debug, f"debug sections left in the library: {debug}"
    assert len(elf) < MAX_LIBRARY_BYTES, f"liblumen.so is {len(elf)} bytes"


EXPLAIN = """
import json, numpy as np, lumen, lumen._native as native
model = lumen.Model(lambda x: x @ np.array([0.5, -1.0, 2.0]), input_len=3)
with lumen.Engine(backend="cpu", seed=7) as engine, model:
    ex = engine.kernel_shap(model, [1.0, 2.0, 3.0], background=np.zeros((4, 3)))
    print(json.dumps({
        "package": lumen.__file__,
        "library": native.lib._get()._name,
        "version": lumen.__version__,
        "library_version": lumen.library_version(),
        "shape": list(ex.shape),
        "attributions": ex.attributions.reshape(-1).tolist(),
        "gap": float(abs(ex.completeness_gaps).max()),
    }))
"""


def test_installed_wheel_explains_a_row_with_no_environment_variable(venv_python: Path) -> None:
    home = venv_python.parent.parent.parent
    out = json.loads(_run([str(venv_python), "-c", EXPLAIN], home, _clean_env()))
    site = venv_python.parent.parent
    assert Path(out["package"]).is_relative_to(site), out["package"]
    assert Path(out["library"]) == Path(out["package"]).parent / "liblumen.so", out["library"]
    assert out["version"] == out["library_version"] == VERSION
    assert out["shape"] == [1, 1, 3]
    assert out["attributions"] == pytest.approx([0.5, -2.0, 6.0], abs=1e-5)
    assert out["gap"] < 1e-5


def test_quickstart_example_runs_against_the_installed_wheel(venv_python: Path) -> None:
    home = venv_python.parent.parent.parent
    out = _run([str(venv_python), str(EXAMPLE)], home, _clean_env())
    lines = out.splitlines()
    assert f"liblumen {VERSION}, lumen-explain {VERSION}" in lines, out
    assert any(re.fullmatch(r"applicant: P\(good\) 0\.\d\d, score \d+, declined", line) for line in lines), out
    header = next(line for line in lines if line.startswith("KernelSHAP in log-odds"))
    prediction, base = (float(v) for v in re.findall(r"[+-]\d+\.\d+", header)[:2])
    contributions = {
        m.group(1): float(m.group(2)) for m in (re.fullmatch(r"  (\w+) +([+-]\d+\.\d+)", line) for line in lines) if m
    }
    assert list(contributions) == ["income_k", "debt_ratio", "late_payments", "years_at_address", "utilisation"]
    assert sum(contributions.values()) == pytest.approx(prediction - base, abs=5e-3), out
    assert all(value < 0 for value in contributions.values()), out
    gap = float(next(line for line in lines if line.startswith("completeness gap:")).split(":")[1])
    assert gap < 1e-4, out
    reasons = [re.fullmatch(r"  (\d)\. (\w+) \(([+-]\d+\.\d+) log-odds\)", line) for line in lines]
    ranked = [(m.group(2), float(m.group(3))) for m in reasons if m]
    assert [name for name, _ in ranked] == ["late_payments", "years_at_address", "utilisation"], out
    assert [value for _, value in ranked] == sorted(value for _, value in ranked), out
    assert "audit record: method kernel_shap, link logit, seed 7, liblumen " + VERSION in lines, out
