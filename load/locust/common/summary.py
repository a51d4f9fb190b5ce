"""The summary of a run: per-tag figures from Locust's statistics, the thresholds with their
verdicts, the scenario's own figures, the machine and the build measured (LOAD_META, gathered by
the CLI), written as summary.json and junit.xml (one testcase per threshold) in the reports
folder. Failure messages are Locust's (status and a shortened body of a refusal, never a token)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

from .thresholds import Result


def tag_figures(stats) -> dict[str, dict]:
    """Per endpoint tag (Locust request name, all methods together): counts, error rate, rps and
    latency percentiles in milliseconds (Locust keeps response times under 100 ms to the ms)."""
    out: dict[str, dict] = {}
    for entry in stats.entries.values():
        if entry.num_requests == 0 and entry.num_failures == 0:
            continue
        pct = entry.get_response_time_percentile
        out[entry.name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "error_rate": (entry.num_failures / entry.num_requests) if entry.num_requests else 0.0,
            "rps": round(entry.total_rps, 2),
            "avg": round(entry.avg_response_time, 3),
            "p50": pct(0.5),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "max": round(entry.max_response_time or 0, 3),
        }
    return out


def failure_list(stats) -> list[dict]:
    """Locust's distinct failures: tag, error text, occurrences."""
    return [{"tag": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences} for e in stats.errors.values()]


def write(reports_dir: str, summary: dict, results: list[Result], extra_cases: list[tuple[str, str | None]]) -> tuple[str, str]:
    """Writes summary.json and junit.xml; their paths. `extra_cases`: (name, failure or None)."""
    os.makedirs(reports_dir, exist_ok=True)
    json_path = os.path.join(reports_dir, "summary.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    scenario = summary["scenario"]
    cases = [(f"threshold {r.threshold}", None if r.passed else f"actual {r.actual if r.actual is not None else 'nothing measured'}, limit {r.threshold.op} {r.threshold.limit:g}") for r in results] + extra_cases
    suites = ET.Element("testsuites", name="load")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"load.{scenario}",
        tests=str(len(cases)),
        failures=str(sum(1 for _, failure in cases if failure)),
        errors="0",
        time=f"{summary.get('durationSeconds', 0):.3f}",
        timestamp=summary.get("startedAt", ""),
    )
    for name, failure in cases:
        case = ET.SubElement(suite, "testcase", classname=f"load.{scenario}", name=name, time="0")
        if failure:
            ET.SubElement(case, "failure", message=failure, type="threshold").text = failure
    junit_path = os.path.join(reports_dir, "junit.xml")
    ET.ElementTree(suites).write(junit_path, encoding="utf-8", xml_declaration=True)
    return json_path, junit_path
