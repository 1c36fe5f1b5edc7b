"""The benchmark's Uvicorn log configuration still names the project's token filter."""

import json
import logging.config
from pathlib import Path

from core.logging import RedactTokensFilter

ROOT = Path(__file__).resolve().parent.parent


def test_the_uvicorn_log_config_names_the_token_filter_on_every_handler():
    config = json.loads((ROOT / "bench" / "uvicorn_log.json").read_text())
    configurator = logging.config.DictConfigurator(config)
    assert configurator.resolve(config["filters"]["redact_tokens"]["()"]) is RedactTokensFilter
    assert all(handler["filters"] == ["redact_tokens"] for handler in config["handlers"].values())
