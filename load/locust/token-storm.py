"""token-storm: many IDEs asking for AI access tokens at once, with no pause: half at GitLab
SaaS with a SaaS user's PAT, half at a self-managed instance that relays each request to SaaS
with its stored service access token (seed 001). Tagged token:saas and token:sm-relay.

Gate: no refused token request on either path; p95 <= 100 ms at SaaS and <= 200 ms through the
relay (it adds a hop and a second signature check of the SAT at SaaS)."""

from locust import FastHttpUser, constant, task

from common.ide import TAG_TOKEN_SAAS, TAG_TOKEN_SM_RELAY, Ide
from common.run import ScenarioRun

run = ScenarioRun(
    "token-storm",
    [
        f"{TAG_TOKEN_SAAS}:error_rate<=0",
        f"{TAG_TOKEN_SM_RELAY}:error_rate<=0",
        f"{TAG_TOKEN_SAAS}:p95<=100",
        f"{TAG_TOKEN_SM_RELAY}:p95<=200",
    ],
)
S = run.settings
SM_URL = S.required("LOAD_SM_URL").rstrip("/")


class SaasIde(FastHttpUser):
    host = S.saas_url
    wait_time = constant(0)

    def on_start(self) -> None:
        self.ide = Ide(self.client, S.saas_url, S.required("LOAD_SAAS_PAT"), S.renew_margin_s, TAG_TOKEN_SAAS)

    @task
    def token(self) -> None:
        self.ide.fetch_token()


class SelfManagedIde(FastHttpUser):
    host = SM_URL
    wait_time = constant(0)

    def on_start(self) -> None:
        self.ide = Ide(self.client, SM_URL, S.required("LOAD_SM_PAT"), S.renew_margin_s, TAG_TOKEN_SM_RELAY)

    @task
    def token(self) -> None:
        self.ide.fetch_token()
