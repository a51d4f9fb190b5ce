"""Shared parts of the Locust scenarios: settings from the environment, the IDE's token client,
the harness control API, thresholds (the gate) and the JSON + JUnit summary (see load/README.md)."""
