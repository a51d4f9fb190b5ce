"""The Locust user of every keystroke scenario: one IDE (common.ide.Ide) typing at the run's
cadence against the gateway. A scenario subclasses what ide_user() makes and overrides
before_keystroke / after_keystroke for its own figures; Locust runs only the subclass (the
class made here is abstract)."""

from __future__ import annotations

from locust import FastHttpUser, between, task

from common.ide import Ide
from common.settings import Settings


def ide_user(settings: Settings) -> type[FastHttpUser]:
    class IdeUser(FastHttpUser):
        abstract = True
        host = settings.gateway_url
        wait_time = between(settings.cadence_min_s, settings.cadence_max_s)

        def on_start(self) -> None:
            self.ide = Ide(self.client, settings.saas_url, settings.required("LOAD_SAAS_PAT"), settings.renew_margin_s)

        def before_keystroke(self) -> None:
            """Called before each keystroke (rotation drops the token of the old key here)."""

        def after_keystroke(self, status: int | None, kid: str | None) -> None:
            """Called with each keystroke's status and the kid of the token it carried."""

        @task
        def keystroke(self) -> None:
            self.before_keystroke()
            status, kid = self.ide.keystroke(settings.gateway_url)
            self.after_keystroke(status, kid)

    return IdeUser
