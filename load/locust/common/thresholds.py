"""Thresholds, the gate of a run (k6's `thresholds`, in Locust): each is one line

    <subject>:<metric><op><limit>

- subject: an endpoint tag (`completion`, `token:saas`, `token:sm-relay`) or `figure` for a
  scenario's own figure (knee_users, completions_during_outage, new_key_completions, ...);
- metric of a tag: p50, p95, p99, max (milliseconds, end to end as the client saw it),
  error_rate (failed / all, 0..1), failures, requests (counts), rps (requests per second);
- op: `<=` or `>=`; limit: a number.

A tag that saw no request fails every threshold on it: nothing was measured. A smoke run
(LOAD_SMOKE=1) raises the scenario's DEFAULT latency limits to SMOKE_LATENCY_MS, since a CI
machine shares its cores between Locust and the whole stack; thresholds given by the user are
kept as written. The syntax is checked again by the CLI before anything starts (load/run/thresholds.ts)."""

from __future__ import annotations

import re
from dataclasses import dataclass

THRESHOLD = re.compile(r"^(?P<subject>[A-Za-z0-9_.:-]+):(?P<metric>[a-z0-9_]+)\s*(?P<op><=|>=)\s*(?P<limit>-?[0-9]+(?:\.[0-9]+)?)$")
TAG_METRICS = ("p50", "p95", "p99", "max", "error_rate", "failures", "requests", "rps")
LATENCY_METRICS = ("p50", "p95", "p99", "max")
FIGURE = "figure"
SMOKE_LATENCY_MS = 1000.0


class ThresholdError(ValueError):
    """A threshold line does not follow the syntax above; the message quotes it."""


@dataclass(frozen=True)
class Threshold:
    subject: str
    metric: str
    op: str
    limit: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.metric)

    def __str__(self) -> str:
        return f"{self.subject}:{self.metric}{self.op}{self.limit:g}"

    def holds(self, actual: float | None) -> bool:
        if actual is None:
            return False
        return actual <= self.limit if self.op == "<=" else actual >= self.limit


def parse(line: str) -> Threshold:
    match = THRESHOLD.match(line.strip())
    if not match:
        raise ThresholdError(f"threshold {line!r} is not <subject>:<metric><=|>=<number>, e.g. completion:p95<=10 or figure:knee_users>=1")
    subject, metric = match["subject"], match["metric"]
    if subject != FIGURE and metric not in TAG_METRICS:
        raise ThresholdError(f"threshold {line!r}: unknown metric {metric!r} of a tag (one of {', '.join(TAG_METRICS)})")
    return Threshold(subject, metric, match["op"], float(match["limit"]))


def gate(defaults: list[str], extra: list[str], smoke: bool) -> list[Threshold]:
    """The run's thresholds: the scenario's defaults (latency loosened for a smoke), then the
    user's, a user threshold replacing a default on the same subject and metric."""
    chosen: dict[tuple[str, str], Threshold] = {}
    for line in defaults:
        t = parse(line)
        if smoke and t.metric in LATENCY_METRICS and t.op == "<=":
            t = Threshold(t.subject, t.metric, t.op, max(t.limit, SMOKE_LATENCY_MS))
        chosen[t.key] = t
    for line in extra:
        t = parse(line)
        chosen[t.key] = t
    return list(chosen.values())


@dataclass(frozen=True)
class Result:
    threshold: Threshold
    actual: float | None
    passed: bool

    def as_json(self) -> dict:
        return {"threshold": str(self.threshold), "subject": self.threshold.subject, "metric": self.threshold.metric, "op": self.threshold.op, "limit": self.threshold.limit, "actual": self.actual, "pass": self.passed}


def evaluate(thresholds: list[Threshold], tags: dict[str, dict], figures: dict[str, float | int | None]) -> list[Result]:
    """Each threshold against the per-tag figures (summary.tag_figures) or the scenario's figures."""
    results = []
    for t in thresholds:
        if t.subject == FIGURE:
            value = figures.get(t.metric)
            actual = float(value) if isinstance(value, (int, float)) else None
        else:
            figures_of_tag = tags.get(t.subject)
            actual = None if not figures_of_tag or figures_of_tag["requests"] == 0 else float(figures_of_tag[t.metric])
        results.append(Result(t, actual, t.holds(actual)))
    return results
