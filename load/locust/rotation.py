"""rotation: IDEs complete while GitLab SaaS rotates its signing key mid-run (harness control API:
POST keys publishes a new key and makes it the active one). Tokens held before the rotation keep
working (the old key stays published); every IDE then asks for a new token on its next
keystroke, signed by the new key, which the gateway must accept at once (one JWKS re-fetch for
an unknown kid). Afterwards the original key is made active again and the added one deleted.

Gate: 0 failed completions, and completions made with new-key tokens (figure:new_key_completions).
LOAD_ROTATE_AT_S: when to rotate (default 40% of the run time)."""

from common.control import GitlabControl
from common.ide import TAG_COMPLETION, TAG_TOKEN_SAAS
from common.ide_user import ide_user
from common.run import ScenarioRun

run = ScenarioRun(
    "rotation",
    [f"{TAG_COMPLETION}:error_rate<=0", f"{TAG_TOKEN_SAAS}:error_rate<=0", f"{TAG_COMPLETION}:p99<=100", "figure:new_key_completions>=1"],
)
S = run.settings
control = GitlabControl(S.saas_url, S.required("LOAD_SAAS_CONTROL_TOKEN"))
ROTATE_AT_S = S.number("LOAD_ROTATE_AT_S", S.run_time_seconds * 0.4)
rotation = {"generation": 0, "new_kid": None}
run.figures.update({"rotate_at_s": ROTATE_AT_S, "rotated_at_s": None, "rotation_seconds": None, "new_key_completions": 0, "renewals_after_rotation": 0})


def rotate_signing_key() -> None:
    import gevent

    gevent.sleep(ROTATE_AT_S)
    original = control.active_kid()
    began = run.elapsed()
    new_kid = control.add_key(activate=True)

    def put_back() -> None:
        control.activate_key(original)
        control.delete_key(new_kid)

    run.restore(f"the SaaS signing keys (key {original} active again, key {new_kid} deleted)", put_back)
    run.figures.update({"rotated_at_s": round(began, 3), "rotation_seconds": round(run.elapsed() - began, 3), "old_kid": original, "new_kid": new_kid})
    rotation["new_kid"] = new_kid
    rotation["generation"] += 1


run.background(rotate_signing_key)


class IdeUser(ide_user(S)):
    """One IDE typing; after the rotation it drops its token once, so the next comes from the new key."""

    def on_start(self) -> None:
        super().on_start()
        self.generation = rotation["generation"]

    def before_keystroke(self) -> None:
        if self.generation != rotation["generation"]:
            # The rotation happened: this IDE's next token comes from the new key.
            self.generation = rotation["generation"]
            if self.ide.held is not None:
                self.ide.forget()
                run.figures["renewals_after_rotation"] += 1

    def after_keystroke(self, status: int | None, kid: str | None) -> None:
        if status == 200 and kid is not None and kid == rotation["new_kid"]:
            run.figures["new_key_completions"] += 1
