"""config.example.toml stays true: it loads, and every value it shows is the default."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from connector.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_config_loads_and_shows_the_defaults(tmp_path: Path) -> None:
    """Loading the example gives exactly the settings of no file at all: every value shown is the default."""
    config = tmp_path / "c.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = load_settings(config, {})
    defaults = Settings()
    for section in ("hubspot", "ledger", "scoring", "followup", "sync", "log", "properties"):
        assert getattr(loaded, section) == getattr(defaults, section), section
    assert loaded == defaults


def test_example_config_works_with_the_token_from_the_environment(tmp_path: Path) -> None:
    """The README's advice (the token in NPS_HUBSPOT__ACCESS_TOKEN[_FILE]) works with the example as shipped."""
    token = tmp_path / "token"
    token.write_text("example-token\n", encoding="utf-8")
    for env in ({"NPS_HUBSPOT__ACCESS_TOKEN": "example-token"}, {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(token)}):
        assert load_settings(EXAMPLE, env).access_token() == "example-token"


def test_example_config_shows_both_token_keys_commented_out() -> None:
    """No default exists for the token: both ways of giving it are shown, neither is set."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r'^# access_token_file = "/run/secrets/hubspot-token"$', text, re.MULTILINE)
    assert re.search(r'^# access_token = "', text, re.MULTILINE)


def test_example_config_names_every_key() -> None:
    """Every settings key appears in the example, so the example documents them all."""
    shown = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, model in Settings.model_fields.items():
        keys = set(model.annotation.model_fields)  # type: ignore[union-attr]
        # The token keys have no default and are shown commented out (see the test above).
        missing = keys - set(shown.get(section, {})) - {"access_token", "access_token_file", "templates_by_survey"}
        assert not missing, f"[{section}] lacks {sorted(missing)}"
