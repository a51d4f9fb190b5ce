"""ramp: the keystroke load raised step by step (LOAD_RAMP_STEP_USERS more IDEs every
LOAD_RAMP_STEP_S seconds, each typing at the keystroke cadence, so the arrival rate rises with
them) until the p99 of one step's completions breaks LOAD_RAMP_P99_MS, or LOAD_RAMP_MAX_USERS
is reached, or the run time ends. The knee is the last step whose p99 held (and had no error):
its users and completions per second are the figures knee_users and knee_rps; every step is in
figures.steps.

Gate: no failed completion, and the first step held (figure:knee_users>=1)."""

import time

from locust import LoadTestShape, events

from common.ide import TAG_COMPLETION
from common.ide_user import ide_user
from common.run import ScenarioRun
from common.thresholds import SMOKE_LATENCY_MS

run = ScenarioRun("ramp", [f"{TAG_COMPLETION}:error_rate<=0", "figure:knee_users>=1"])
S = run.settings
STEP_USERS = int(S.number("LOAD_RAMP_STEP_USERS", 5, 1))
STEP_S = S.number("LOAD_RAMP_STEP_S", 10, 1)
MAX_USERS = int(S.number("LOAD_RAMP_MAX_USERS", 200, 1))
P99_MS = S.number("LOAD_RAMP_P99_MS", 20)
if S.smoke:
    P99_MS = max(P99_MS, SMOKE_LATENCY_MS)
# ended_by: "p99" (a step broke the limit: the knee is found), "ceiling" (LOAD_RAMP_MAX_USERS held),
# or "run-time" (the run ended first).
run.figures.update({"p99_limit_ms": P99_MS, "knee_users": 0, "knee_rps": None, "broke_at_users": None, "ended_by": "run-time", "steps": []})


def p99(samples: list[float]) -> float | None:
    """Nearest-rank 99th percentile of one step's response times (ms)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * 0.99 + 0.999999) - 1))]


class Steps:
    """Response times and failures of completions per step, and the verdict of each closed step."""

    def __init__(self) -> None:
        self.current = 0
        self.samples: list[float] = []
        self.failures = 0
        self.opened = time.time()

    def record(self, request_type, name, response_time, response_length, exception=None, **_) -> None:
        if name != TAG_COMPLETION:
            return
        if exception is not None:
            self.failures += 1
        else:
            self.samples.append(response_time)

    def close(self, users: int) -> bool:
        """Judges the step that just ended; True when it held."""
        seconds = max(time.time() - self.opened, 1e-9)
        step_p99 = p99(self.samples)
        held = step_p99 is not None and step_p99 <= P99_MS and self.failures == 0
        run.figures["steps"].append({"users": users, "completions": len(self.samples), "failures": self.failures, "rps": round(len(self.samples) / seconds, 2), "p99_ms": None if step_p99 is None else round(step_p99, 3), "held": held})
        if held:
            run.figures["knee_users"] = users
            run.figures["knee_rps"] = round(len(self.samples) / seconds, 2)
        else:
            run.figures["broke_at_users"] = users
        self.samples, self.failures, self.opened = [], 0, time.time()
        self.current += 1
        return held


steps = Steps()
events.request.add_listener(steps.record)


def users(step: int) -> int:
    """IDEs during step `step` (0-based)."""
    return min(MAX_USERS, STEP_USERS * (step + 1))


class RampShape(LoadTestShape):
    def tick(self):
        step = int(self.get_run_time() // STEP_S)
        while steps.current < step:
            closing = users(steps.current)
            held = steps.close(closing)
            if not held or closing >= MAX_USERS:
                run.figures["ended_by"] = "ceiling" if held else "p99"
                return None
        run.note_users(users(step))
        return users(step), max(STEP_USERS, 1)


class IdeUser(ide_user(S)):
    """One IDE typing (common.ide_user)."""
