# SPDX-License-Identifier: BSD-3-Clause
"""Shared fixtures for the Python-side tests (run with /usr/bin/python3).

They drive our binaries with the real jupyter_client / ipyparallel from
Debian, which is the whole point: no mock of the Python side.
"""
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("IPP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("IPP_BUILD_DIR", SOURCE_DIR / "build"))


@pytest.fixture(scope="session")
def build_dir():
    return BUILD_DIR


@pytest.fixture(scope="session")
def bin_path(build_dir):
    def path(name):
        p = build_dir / name
        if not p.exists():
            pytest.fail(f"{p} is not built; run `make build` first")
        return str(p)
    return path


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    """A throwaway IPYTHONDIR so tests never touch ~/.ipython."""
    d = tmp_path / "ipython"
    d.mkdir()
    monkeypatch.setenv("IPYTHONDIR", str(d))
    return d
