"""keystroke: each Locust user is one IDE. It gets an AI access token from GitLab SaaS with the
user's PAT (on its first keystroke), then completes at a typing cadence with the text up to the
cursor, renewing the token when it comes within LOAD_RENEW_MARGIN_S of its expiry.

Gate (issue 10's target for the embedded stack): completions p95 <= 10 ms end to end and no
error; tokens never refused."""

from common.ide import TAG_COMPLETION, TAG_TOKEN_SAAS
from common.ide_user import ide_user
from common.run import ScenarioRun

run = ScenarioRun(
    "keystroke",
    [f"{TAG_COMPLETION}:p95<=10", f"{TAG_COMPLETION}:error_rate<=0", f"{TAG_TOKEN_SAAS}:error_rate<=0"],
)
S = run.settings


class IdeUser(ide_user(S)):
    """One IDE typing (common.ide_user)."""
