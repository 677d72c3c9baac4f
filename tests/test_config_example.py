"""config.example.toml stays true: it loads, and every value it shows is the default."""

from __future__ import annotations

import tomllib
from pathlib import Path

from connector.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_config_loads_and_shows_the_defaults(tmp_path: Path) -> None:
    """Loading the example gives the same settings as no file at all (apart from the token file)."""
    token = tmp_path / "token"
    token.write_text("example-token", encoding="utf-8")
    text = EXAMPLE.read_text(encoding="utf-8").replace("/run/secrets/hubspot-token", str(token))
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    loaded = load_settings(config, {})
    defaults = Settings()
    for section in ("ledger", "scoring", "followup", "sync", "log", "properties"):
        assert getattr(loaded, section) == getattr(defaults, section), section
    assert loaded.hubspot.model_dump(exclude={"access_token_file"}) == defaults.hubspot.model_dump(
        exclude={"access_token_file"}
    )


def test_example_config_names_every_key() -> None:
    """Every settings key appears in the example, so the example documents them all."""
    shown = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, model in Settings.model_fields.items():
        keys = set(model.annotation.model_fields)  # type: ignore[union-attr]
        missing = keys - set(shown.get(section, {})) - {"access_token", "templates_by_survey"}
        assert not missing, f"[{section}] lacks {sorted(missing)}"
