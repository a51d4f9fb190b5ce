"""Settings of a load run, read once from environment variables (the `npm run load` CLI sets them;
any target profile can be loaded by setting them by hand). Every variable is listed in
load/README.md. A missing or malformed variable stops the run at import with a message naming it,
before Locust starts a single user."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field


class SettingsError(Exception):
    """A variable is missing or malformed; the message names it and what it should hold."""


def _text(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is not None:
        return default
    raise SettingsError(f"{name} is not set (see load/README.md, 'Environment variables')")


def _number(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as e:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from e
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    scenario: str
    gateway_url: str
    saas_url: str
    reports_dir: str
    run_time_seconds: float
    smoke: bool
    # Seconds between two keystrokes of one IDE (uniform in [min, max]): a person typing.
    cadence_min_s: float
    cadence_max_s: float
    # An IDE asks for a new token this long before the held one expires (the IDE client's margin).
    renew_margin_s: float
    # Thresholds given on top of the scenario's defaults (`tag:metric<=limit`; ';'-separated).
    extra_thresholds: list[str]
    # The machine and the build measured, as the CLI found them (JSON object); written as is.
    meta: dict = field(default_factory=dict)

    def optional(self, name: str) -> str | None:
        """An optional variable, or None."""
        return os.environ.get(name, "").strip() or None

    def required(self, name: str) -> str:
        """A variable this scenario needs (a token, a second URL); SettingsError when unset."""
        return _text(name)

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        return _number(name, default, minimum)


def load_settings() -> Settings:
    meta_raw = os.environ.get("LOAD_META", "").strip()
    try:
        meta = json.loads(meta_raw) if meta_raw else {}
    except ValueError as e:
        raise SettingsError(f"LOAD_META must be a JSON object: {e}") from e
    cadence_min = _number("LOAD_CADENCE_MIN_S", 0.05)
    cadence_max = _number("LOAD_CADENCE_MAX_S", 0.2)
    if cadence_max < cadence_min:
        raise SettingsError(f"LOAD_CADENCE_MAX_S ({cadence_max}) is below LOAD_CADENCE_MIN_S ({cadence_min})")
    return Settings(
        scenario=_text("LOAD_SCENARIO", "unnamed"),
        gateway_url=_text("LOAD_GATEWAY_URL").rstrip("/"),
        saas_url=_text("LOAD_SAAS_URL").rstrip("/"),
        reports_dir=_text("LOAD_REPORTS_DIR", os.path.join("reports", "load")),
        run_time_seconds=_number("LOAD_RUN_TIME_S", 60.0, 1.0),
        smoke=os.environ.get("LOAD_SMOKE", "") == "1",
        cadence_min_s=cadence_min,
        cadence_max_s=cadence_max,
        renew_margin_s=_number("LOAD_RENEW_MARGIN_S", 60.0),
        extra_thresholds=[t.strip() for t in os.environ.get("LOAD_THRESHOLDS", "").split(";") if t.strip()],
        meta=meta if isinstance(meta, dict) else {},
    )
