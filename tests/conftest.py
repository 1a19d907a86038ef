import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tolqyn import models  # noqa: E402

models.MODELS.setdefault("coin", "coin_model:CoinModel")

ARTIFACTS = Path(
    os.environ.get(
        "TOLQYN_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"
    )
)


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def coin_toml(tmp_path):
    p = tmp_path / "coin.toml"
    p.write_text(
        'model = "coin"\nsteps = 20\nseed = 5\n[params]\nn_agents = 500\np_active = 0.25\n'
    )
    return p
