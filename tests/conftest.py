import pytest

from fibdash.config import DataConfig, TrainConfig


@pytest.fixture
def small_config() -> TrainConfig:
    """A few epochs on a short series: seconds, not minutes."""
    return TrainConfig(DataConfig(n=80, time_steps=6), epochs=4)
