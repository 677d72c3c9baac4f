"""The connector's own errors, one class per thing the caller does next.

    ConnectorError                 base; carries the process exit code
    ├── ConfigError        (2)     the TOML file or environment is wrong; message names key and file
    ├── HubSpotAuthError   (3)     401: the token is missing, wrong or expired
    ├── MissingScopeError  (3)     403: the private app lacks a scope; message names it
    ├── LockHeldError      (4)     another run holds the ledger lock
    ├── HubSpotUnavailable (5)     429/5xx/dropped connections still failing after retries
    ├── HubSpotRequestError(1)     HubSpot refused a request as invalid (400/404/409): a bug or a drifted portal
    └── PropertySetupError (1)     a connector property exists in HubSpot with a type it cannot write

Messages are written for the CRM admin who reads them and never contain the access token.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: an error the CLI turns into one line and an exit code."""

    exit_code = 1


class ConfigError(ConnectorError):
    """Raised when the configuration file or environment is invalid."""

    exit_code = 2


class HubSpotAuthError(ConnectorError):
    """Raised on HTTP 401: the access token is not accepted."""

    exit_code = 3


class MissingScopeError(ConnectorError):
    """Raised on HTTP 403: the private app lacks a required scope."""

    exit_code = 3

    def __init__(self, message: str, scopes: list[str] | None = None) -> None:
        super().__init__(message)
        self.scopes = scopes or []


class LockHeldError(ConnectorError):
    """Raised when another run holds the ledger's run lock."""

    exit_code = 4


class HubSpotUnavailable(ConnectorError):
    """Raised when HubSpot keeps failing (429, 5xx, dropped connections) after all retries."""

    exit_code = 5


class HubSpotRequestError(ConnectorError):
    """Raised when HubSpot rejects a request as invalid (400, 404, 409, ...)."""

    exit_code = 1

    def __init__(self, message: str, status: int = 0, category: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.category = category


class PropertySetupError(ConnectorError):
    """Raised by `setup` when a property exists with a type the connector cannot write to."""

    exit_code = 1
