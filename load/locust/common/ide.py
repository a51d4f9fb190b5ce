"""One IDE as the gateway sees it (seed 000 option 2, seed 001): it gets an AI access token from
GitLab with the user's personal access token (POST /api/v4/code_suggestions/tokens, the
scenarios' IdeClient), holds it until it is within a margin of expiry, and sends each keystroke
to the gateway with the token and the identity headers bound to its claims.

Request names are the endpoint tags the thresholds and the summary use (TAG_*). No token, PAT
or response body carrying one is ever put in a failure message."""

from __future__ import annotations

import base64
import json
import random
import time
from dataclasses import dataclass

TOKENS_PATH = "/api/v4/code_suggestions/tokens"  # contracts PATH.GITLAB_CODE_SUGGESTIONS_TOKENS
COMPLETIONS_PATH = "/v2/code/completions"  # contracts PATH.GATEWAY_COMPLETIONS

TAG_COMPLETION = "completion"
TAG_TOKEN_SAAS = "token:saas"
TAG_TOKEN_SM_RELAY = "token:sm-relay"

# The gateway's own user tokens bind `sub` to X-Gitlab-Global-User-Id; GitLab's bind it to the
# instance id (ai_gateway cloud_connector/auth.py L98-121 @823ced4678f5; contracts/src/constants.ts
# INSTANCE_TOKEN_BINDINGS / USER_TOKEN_BINDINGS, of which this is the copy Python needs).
GATEWAY_SELF_ISSUER = "gitlab-ai-gateway"


def bound_headers(claims: dict) -> dict[str, str]:
    """The X-Gitlab-* headers an IDE sends for a token: each string claim bound to its header,
    the first claim winning when two name one header (contracts boundHeaderValues)."""
    sub_header = "X-Gitlab-Global-User-Id" if claims.get("iss") == GATEWAY_SELF_ISSUER else "X-Gitlab-Instance-Id"
    headers: dict[str, str] = {}
    for claim, header in (("gitlab_realm", "X-Gitlab-Realm"), ("gitlab_instance_id", "X-Gitlab-Instance-Id"), ("sub", sub_header)):
        value = claims.get(claim)
        if isinstance(value, str) and value and header not in headers:
            headers[header] = value
    return headers


def jwt_parts(token: str) -> tuple[dict, dict]:
    """(JOSE header, claims) of a JWS compact serialization, unverified: the holder of a token
    may read it, as GitLab's clients do. ValueError when it is not a JWS."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialization")

    def part(segment: str) -> dict:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        if not isinstance(decoded, dict):
            raise ValueError("a JWS part is not a JSON object")
        return decoded

    return part(parts[0]), part(parts[1])


@dataclass
class HeldToken:
    token: str
    kid: str | None
    headers: dict[str, str]
    # Epoch seconds: created_at + expires_in of the answer, else the token's exp.
    expires_at: float


# A few files being typed in: each keystroke sends the text up to the cursor, one more
# character each time, as an editor does while the user types.
SNIPPETS: tuple[tuple[str, str], ...] = (
    ("fib.py", "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"),
    ("server.ts", "import { createServer } from 'node:http';\n\ncreateServer((req, res) => {\n  res.end('ok');\n}).listen(8080);\n"),
    ("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n"),
    ("user.rb", "class User < ApplicationRecord\n  has_many :projects\n  validates :username, presence: true\nend\n"),
)


class Typist:
    """The document one IDE types in, one character per keystroke, wrapping to another file."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._file, self._text = self._rng.choice(SNIPPETS)
        self._cursor = self._rng.randrange(1, len(self._text))

    def next_request(self) -> dict:
        """The completions request of the next keystroke (scenarios/clients/code-suggestions.ts completionRequest)."""
        self._cursor += 1
        if self._cursor > len(self._text):
            self._file, self._text = self._rng.choice(SNIPPETS)
            self._cursor = 1
        return {
            "current_file": {
                "file_name": self._file,
                "content_above_cursor": self._text[: self._cursor],
                "content_below_cursor": self._text[self._cursor :],
            },
            "prompt_version": 1,
            "telemetry": [],
            "stream": False,
        }


def short(text: str, limit: int = 200) -> str:
    """A response body shortened for a failure message (bodies of refusals carry no token)."""
    return text if len(text) <= limit else f"{text[:limit]}…"


class Ide:
    """The token side of one IDE. `client` is the Locust user's HTTP client (FastHttpSession);
    `gitlab_url` and `pat` say where and as whom it asks for tokens."""

    def __init__(self, client, gitlab_url: str, pat: str, renew_margin_s: float, token_tag: str = TAG_TOKEN_SAAS) -> None:
        self._client = client
        self._gitlab_url = gitlab_url
        self._pat = pat
        self._margin = renew_margin_s
        self._token_tag = token_tag
        self.held: HeldToken | None = None
        self.typist = Typist()

    def fetch_token(self) -> HeldToken | None:
        """POST the token endpoint with the PAT; the held token on 201, None (a failed request) otherwise."""
        with self._client.post(
            f"{self._gitlab_url}{TOKENS_PATH}",
            headers={"Authorization": f"Bearer {self._pat}", "Content-Type": "application/json"},
            name=self._token_tag,
            catch_response=True,
        ) as res:
            if res.status_code != 201:
                res.failure(f"HTTP {res.status_code} (expected 201): {short(res.text or '')}")
                return None
            try:
                body = res.json()
                token = body["access_token"]
                header, claims = jwt_parts(token)
            except (ValueError, KeyError, TypeError) as e:
                res.failure(f"the 201 answer is not a token response with a JWS access_token ({type(e).__name__})")
                return None
            if isinstance(body.get("created_at"), (int, float)) and isinstance(body.get("expires_in"), (int, float)):
                expires_at = float(body["created_at"] + body["expires_in"])
            else:
                expires_at = float(claims.get("exp", 0))
            self.held = HeldToken(token=token, kid=header.get("kid"), headers=bound_headers(claims), expires_at=expires_at)
            return self.held

    def token(self) -> HeldToken | None:
        """The held token while it is good for longer than the margin, else a new one."""
        if self.held is not None and self.held.expires_at - time.time() > self._margin:
            return self.held
        return self.fetch_token()

    def forget(self) -> None:
        """Drops the held token: the next keystroke asks for a new one."""
        self.held = None

    def keystroke(self, gateway_url: str) -> tuple[int | None, str | None]:
        """One completion with the held token: (status, kid of the token used), or (None, None)
        without a token. A 401 makes the IDE drop its token (the next keystroke fetches one),
        and counts as a failure."""
        held = self.token()
        if held is None:
            return None, None
        headers = {
            "Authorization": f"Bearer {held.token}",
            "X-Gitlab-Authentication-Type": "oidc",
            "Content-Type": "application/json",
            **held.headers,
        }
        return complete(self._client, gateway_url, headers, self.typist.next_request(), on_401=self.forget), held.kid


def complete(client, gateway_url: str, headers: dict[str, str], body: dict, on_401=None) -> int:
    """POST /v2/code/completions tagged TAG_COMPLETION; anything but a 200 with `choices` fails."""
    with client.post(f"{gateway_url}{COMPLETIONS_PATH}", json=body, headers=headers, name=TAG_COMPLETION, catch_response=True) as res:
        status = res.status_code
        if status != 200:
            res.failure(f"HTTP {status} (expected 200): {short(res.text or '')}")
            if status == 401 and on_401 is not None:
                on_401()
        else:
            try:
                ok = isinstance(res.json().get("choices"), list)
            except (ValueError, AttributeError):
                ok = False
            if not ok:
                res.failure("HTTP 200 without a completions response (no `choices` list)")
        return status
