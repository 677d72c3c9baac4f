"""The connector's own errors, one class per thing the caller does next.

    ConnectorError                 base; carries the process exit code
    ├── ConfigError        (2)     the TOML file, environment or an option is wrong; message names it
    │   └── LedgerError    (2)     the ledger file is damaged, unreadable or not writable
    ├── HubSpotAuthError   (3)     401: the token is missing, wrong or expired
    ├── MissingScopeError  (3)     403: the private app lacks a scope; message names it
    ├── LockHeldError      (4)     another run holds the ledger lock
    ├── HubSpotUnavailable (5)     429/5xx/dropped connections still failing after retries
    ├── HubSpotRequestError(1)     HubSpot refused a request as invalid (400/404/409): a bug or a drifted portal
    ├── PropertySetupError (2)     a connector property is missing, or exists with a type it cannot write
    └── Interrupted (130/143)      SIGINT/SIGTERM stopped the run at a safe point; the next run resumes

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
    """Raised when a connector property is missing or exists with a type the connector cannot write to.

    Exit 2 (DESIGN: properties missing or of the wrong type are configuration the admin must fix).
    """

    exit_code = 2


class LedgerError(ConfigError):
    """Raised when the ledger file is damaged, unreadable or not writable (the admin must fix it)."""


class Interrupted(ConnectorError):
    """Raised at a safe point after SIGINT (exit 130) or SIGTERM (exit 143): progress is kept."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
