"""Secrets and URLs checked where they are read: one line naming the key and its source, never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import load_settings
from connector.errors import ConfigError

SECRET = "pat-na1-config-secret-5150"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (f"{SECRET}\n{SECRET}\n", "several lines"),
        (f"{SECRET} {SECRET}", "spaces"),
        (f"{SECRET}\x1b", "control"),
        ("\n\n", "empty"),
    ],
)
def test_a_token_file_that_is_not_one_token_names_the_file(tmp_path: Path, content: str, problem: str) -> None:
    """Two lines used to reach the HTTP header and be printed in its error; now: the file and the problem."""
    token = tmp_path / "hubspot-token"
    token.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(None, {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(token)})
    message = str(info.value)
    assert str(token) in message
    assert "NPS_HUBSPOT__ACCESS_TOKEN_FILE" in message
    assert problem in message
    assert SECRET not in message


def test_a_token_file_with_a_byte_order_mark_and_a_newline_is_fine(tmp_path: Path) -> None:
    """What editors add around a token is not part of it."""
    token = tmp_path / "hubspot-token"
    token.write_bytes(b"\xef\xbb\xbf" + SECRET.encode() + b"\r\n")
    assert load_settings(None, {"NPS_HUBSPOT__ACCESS_TOKEN_FILE": str(token)}).access_token() == SECRET


def test_a_token_variable_with_inner_whitespace_names_the_variable() -> None:
    """Outer whitespace is trimmed; inner whitespace is an error naming the variable, not echoing it."""
    assert load_settings(None, {"NPS_HUBSPOT__ACCESS_TOKEN": f" {SECRET}\n"}).access_token() == SECRET
    with pytest.raises(ConfigError) as info:
        load_settings(None, {"NPS_HUBSPOT__ACCESS_TOKEN": f"{SECRET}\n{SECRET}"})
    assert "NPS_HUBSPOT__ACCESS_TOKEN" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:PORT", "replace PORT with the port the sandbox printed"),
        ("http://127.0.0.1:abc", "port 'abc' is not a number"),
        ("http://127.0.0.1:99999", "port '99999' is not a number from 1 to 65535"),
        ("http://127.0.0.1:0", "port 0"),
        ("http://:8080", "no valid host name"),
        ("https://api.hubapi.com?x=1", "query"),
        ("api.hubapi.com", "must start with http:// or https://"),
    ],
)
def test_a_base_url_urllib3_cannot_use_is_a_config_error(tmp_path: Path, url: str, problem: str) -> None:
    """These crashed inside urllib3 (LocationParseError) with a traceback; now one line naming the key."""
    config = tmp_path / "c.toml"
    config.write_text(f'[hubspot]\nbase_url = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config, {})
    assert "hubspot.base_url" in str(info.value)
    assert str(config) in str(info.value)
    assert problem in str(info.value)


def test_good_base_urls_are_kept(tmp_path: Path) -> None:
    """HubSpot, the sandbox, IPv6 and a trailing slash all load."""
    for url, kept in (
        ("https://api.hubapi.com/", "https://api.hubapi.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://proxy.example/hubspot", "https://proxy.example/hubspot"),
    ):
        assert load_settings(None, {"NPS_HUBSPOT__BASE_URL": url}).hubspot.base_url == kept
