"""The harness control API of an emulated GitLab (contracts/src/harness-control.ts): what the
rotation and JWKS-outage scenarios change mid-run, and put back afterwards. Calls carry the
X-Harness-Control-Token header; the token is never logged. Runs inside Locust's gevent loop
(urllib over gevent's patched sockets)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

PREFIX = "/-/harness"  # contracts PATH.HARNESS_CONTROL_PREFIX


class ControlError(Exception):
    """A control call failed; the message names the route and the status (never the token)."""


class GitlabControl:
    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout_s

    def _call(self, method: str, route: str, body: dict | None = None) -> dict | None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self._base}{PREFIX}/{route}", data=data, method=method)
        request.add_header("X-Harness-Control-Token", self._token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as res:
                raw = res.read()
        except urllib.error.HTTPError as e:
            raise ControlError(f"{method} {PREFIX}/{route} answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            raise ControlError(f"{method} {PREFIX}/{route}: no answer ({e})") from None
        return json.loads(raw) if raw else None

    # Signing keys (CONTROL_ROUTE.KEYS, KEY, KEY_ACTIVATE).
    def active_kid(self) -> str:
        return str(self._call("GET", "keys")["active"])

    def add_key(self, activate: bool = True) -> str:
        """Publishes a new signing key (and makes it the active one unless activate=False); its kid."""
        return str(self._call("POST", "keys", {"activate": activate})["kid"])

    def activate_key(self, kid: str) -> None:
        self._call("POST", f"keys/{quote(kid, safe='')}/activate")

    def delete_key(self, kid: str) -> None:
        self._call("DELETE", f"keys/{quote(kid, safe='')}")

    # Discovery and JWKS availability (CONTROL_ROUTE.OIDC).
    def set_oidc_available(self, available: bool) -> None:
        self._call("PUT", "oidc", {"available": available})
