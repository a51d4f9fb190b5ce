"""oauth-introspection: Web IDEs (seed 000 option 1) complete with opaque GitLab OAuth access
tokens, sent with X-Gitlab-Authentication-Type: oauth2; the gateway asks GitLab about each token
by a back channel (GET /oauth/token/info) and trusts an active answer from memory for at most its
oauth_cache_seconds. The CLI obtains the tokens beforehand (authorization code with PKCE as the
Web IDE's application, LOAD_OAUTH_TOKENS, comma-separated) and revokes them afterwards.

Gate: 0 failed completions; p95 <= 10 ms (answers from the gateway's cache) and p99 <= 50 ms
(a back-channel call now and then)."""

import itertools

from locust import FastHttpUser, between, task

from common.ide import TAG_COMPLETION, Typist, complete
from common.run import ScenarioRun

run = ScenarioRun(
    "oauth-introspection",
    [f"{TAG_COMPLETION}:error_rate<=0", f"{TAG_COMPLETION}:p95<=10", f"{TAG_COMPLETION}:p99<=50"],
)
S = run.settings
TOKENS = [t.strip() for t in S.required("LOAD_OAUTH_TOKENS").split(",") if t.strip()]
next_token = itertools.cycle(range(len(TOKENS)))
run.figures["oauth_tokens"] = len(TOKENS)


class WebIdeUser(FastHttpUser):
    host = S.gateway_url
    wait_time = between(S.cadence_min_s, S.cadence_max_s)

    def on_start(self) -> None:
        # Users share the tokens round-robin: several editor tabs of one signed-in user.
        token = TOKENS[next(next_token)]
        self.headers = {"Authorization": f"Bearer {token}", "X-Gitlab-Authentication-Type": "oauth2", "Content-Type": "application/json"}
        self.typist = Typist()

    @task
    def keystroke(self) -> None:
        complete(self.client, S.gateway_url, self.headers, self.typist.next_request())
