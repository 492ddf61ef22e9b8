"""Shared fixtures: the conformance vectors in docs/vectors.json."""

import json
import os
from pathlib import Path

import pytest


def vectors_path() -> Path:
    """The vector file: $ENTITLE_VECTORS, or docs/vectors.json of the checkout."""
    override = os.environ.get("ENTITLE_VECTORS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "docs" / "vectors.json"


@pytest.fixture(scope="session")
def vectors() -> dict:
    with vectors_path().open(encoding="utf-8") as file:
        return json.load(file)
