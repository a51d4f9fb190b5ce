"""jwks-outage: IDEs complete while GitLab SaaS's discovery document and JWKS stop answering
mid-run (harness control API: PUT oidc {available: false}) and come back later. The gateway
holds the keys it fetched before: completions keep being served throughout the outage.

Gate: 0 failed completions, and completions served during the outage
(figure:completions_during_outage). LOAD_OUTAGE_AT_S (default 30% of the run time) and
LOAD_OUTAGE_SECONDS (default 40% of it) place the outage window; it is closed at the end of the
window, and again at test stop whatever happened."""

from common.control import GitlabControl
from common.ide import TAG_COMPLETION, TAG_TOKEN_SAAS
from common.ide_user import ide_user
from common.run import ScenarioRun

run = ScenarioRun(
    "jwks-outage",
    [f"{TAG_COMPLETION}:error_rate<=0", f"{TAG_TOKEN_SAAS}:error_rate<=0", f"{TAG_COMPLETION}:p95<=10", "figure:completions_during_outage>=1"],
)
S = run.settings
control = GitlabControl(S.saas_url, S.required("LOAD_SAAS_CONTROL_TOKEN"))
OUTAGE_AT_S = S.number("LOAD_OUTAGE_AT_S", S.run_time_seconds * 0.3)
OUTAGE_SECONDS = S.number("LOAD_OUTAGE_SECONDS", S.run_time_seconds * 0.4)
outage = {"down": False}
run.figures.update({"outage_started_at_s": None, "outage_ended_at_s": None, "completions_during_outage": 0, "failed_completions_during_outage": 0})


def jwks_outage() -> None:
    import gevent

    gevent.sleep(OUTAGE_AT_S)
    run.restore("SaaS discovery and JWKS answering again", lambda: control.set_oidc_available(True))
    control.set_oidc_available(False)
    outage["down"] = True
    run.figures["outage_started_at_s"] = round(run.elapsed(), 3)
    try:
        gevent.sleep(OUTAGE_SECONDS)
    finally:
        outage["down"] = False
        control.set_oidc_available(True)
        run.figures["outage_ended_at_s"] = round(run.elapsed(), 3)


run.background(jwks_outage)


class IdeUser(ide_user(S)):
    """One IDE typing; keystrokes answered while the JWKS is down are counted apart."""

    def before_keystroke(self) -> None:
        self.during_outage = outage["down"]

    def after_keystroke(self, status: int | None, kid: str | None) -> None:
        if self.during_outage and status is not None:
            key = "completions_during_outage" if status == 200 else "failed_completions_during_outage"
            run.figures[key] += 1
