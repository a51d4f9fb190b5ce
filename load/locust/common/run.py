"""What every scenario shares: its settings and thresholds read at import (a bad one stops the
run with exit code 2 before any user starts), what it changed registered for restoring (run at
test stop, and again at quit, whatever happened), and at quit the gate: thresholds evaluated,
summary.json and junit.xml written, Locust's exit code set (0 all passed, 1 otherwise)."""

from __future__ import annotations

import logging
import platform
import sys
import time
from datetime import datetime, timezone
from typing import Callable

import gevent
import locust
from locust import events
from locust.runners import WorkerRunner

from . import summary
from .settings import Settings, SettingsError, load_settings
from .thresholds import ThresholdError, evaluate, gate

log = logging.getLogger("load")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


class ScenarioRun:
    """One scenario's run. `figures` holds the scenario's own numbers (written in the summary,
    and what `figure:` thresholds read); `fail()` records a problem that fails the run."""

    def __init__(self, name: str, default_thresholds: list[str]) -> None:
        try:
            self.settings: Settings = load_settings()
            self.thresholds = gate(default_thresholds, self.settings.extra_thresholds, self.settings.smoke)
        except (SettingsError, ThresholdError) as e:
            sys.stderr.write(f"load {name}: {e}\n")
            sys.exit(2)
        self.name = name
        self.figures: dict[str, float | int | str | None] = {}
        self.problems: list[str] = []
        self._restores: list[tuple[str, Callable[[], None]]] = []
        self._restored: list[dict] = []
        self._started = time.time()
        self._max_users = 0
        events.test_start.add_listener(self._on_start)
        events.spawning_complete.add_listener(self._on_spawned)
        self._background: list[Callable[[], None]] = []
        self._greenlets: list = []
        events.test_stop.add_listener(self._on_stop)
        events.quitting.add_listener(self._on_quitting)

    def elapsed(self) -> float:
        """Seconds since the test started."""
        return time.time() - self._started

    def restore(self, what: str, undo: Callable[[], None]) -> None:
        """Registers `undo`, run once at test stop (latest first); `what` names it in the summary."""
        self._restores.append((what, undo))

    def background(self, task: Callable[[], None]) -> None:
        """Runs `task` in its own greenlet from test start; killed at test stop (before the
        restores), so a run shorter than its schedule ends it. An exception in it fails the run."""
        self._background.append(task)

    def _guarded(self, task: Callable[[], None]) -> None:
        try:
            task()
        except gevent.GreenletExit:
            raise
        except Exception as e:
            self.fail(f"{getattr(task, '__name__', 'background task')} failed: {e}")

    def fail(self, problem: str) -> None:
        log.error("%s: %s", self.name, problem)
        self.problems.append(problem)

    def restore_all(self) -> None:
        while self._restores:
            what, undo = self._restores.pop()
            try:
                undo()
                self._restored.append({"what": what, "ok": True})
                log.info("restored: %s", what)
            except Exception as e:  # a failed restore fails the run, and says what is left changed
                self._restored.append({"what": what, "ok": False, "error": str(e)})
                self.fail(f"could not restore {what}: {e}")

    def _on_start(self, **_) -> None:
        self._started = time.time()
        self._greenlets = [gevent.spawn(self._guarded, task) for task in self._background]

    def _on_stop(self, **_) -> None:
        gevent.killall(self._greenlets, block=True)
        self._greenlets = []
        self.restore_all()

    def _on_spawned(self, user_count: int, **_) -> None:
        self._max_users = max(self._max_users, user_count)

    def note_users(self, count: int) -> None:
        """For shapes: the highest user count reached."""
        self._max_users = max(self._max_users, count)

    def _on_quitting(self, environment, **_) -> None:
        self.restore_all()
        # A distributed worker's statistics go to the master, which gates the whole run: the
        # worker has nothing to judge, and its exit code says only that it ran.
        if isinstance(environment.runner, WorkerRunner):
            return
        finished = time.time()
        tags = summary.tag_figures(environment.stats)
        numeric = {k: v for k, v in self.figures.items() if isinstance(v, (int, float)) or v is None}
        results = evaluate(self.thresholds, tags, numeric)
        passed = all(r.passed for r in results) and not self.problems
        s = self.settings
        document = {
            "scenario": self.name,
            "pass": passed,
            "smoke": s.smoke,
            "startedAt": _iso(self._started),
            "finishedAt": _iso(finished),
            "durationSeconds": round(finished - self._started, 3),
            "target": {"gateway": s.gateway_url, "gitlabSaas": s.saas_url, **({"gitlabSm": s.optional("LOAD_SM_URL")} if s.optional("LOAD_SM_URL") else {})},
            **s.meta,
            "load": {"generator": f"locust {locust.__version__}", "python": platform.python_version(), "maxUsers": self._max_users, "runTimeSeconds": s.run_time_seconds, "cadenceSeconds": [s.cadence_min_s, s.cadence_max_s]},
            "tags": tags,
            "thresholds": [r.as_json() for r in results],
            "figures": self.figures,
            "failures": summary.failure_list(environment.stats),
            "problems": self.problems,
            "restored": self._restored,
        }
        extra = [(f"restores {r['what']}", None if r["ok"] else r.get("error", "failed")) for r in self._restored]
        extra += [(f"problem {i + 1}", p) for i, p in enumerate(self.problems) if not p.startswith("could not restore")]
        json_path, junit_path = summary.write(s.reports_dir, document, results, extra)
        for r in results:
            log.info("threshold %-34s %s (actual %s)", str(r.threshold), "pass" if r.passed else "FAIL", "none" if r.actual is None else f"{r.actual:g}")
        log.info("summary: %s, junit: %s", json_path, junit_path)
        environment.process_exit_code = 0 if passed else 1
