#!/usr/bin/env python3
"""Every metric of a live `csic demo` has HELP text and passes `promtool check metrics` (Prometheus's own
linter, Debian package `prometheus`): /metrics is scraped after API traffic, a dead letter and a few engine
batches, so that the platform's metrics exist, and given to promtool."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import CSICProcess, Results  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--promtool", default=shutil.which("promtool") or "promtool")
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-metrics-")
    process = CSICProcess(args.binary, ["--data-dir", f"{workdir}/data", "--duration", "30", "--rate", "500"], f"{workdir}/csic.log")
    try:
        process.wait_until_serving()
        deadline = time.time() + 20
        while time.time() < deadline:
            _, stats = process.get("/api/v1/stats")
            if stats["stored"].get("transactions", 0) > 0:
                break
            time.sleep(0.2)
        try:
            process.get("/api/v1/transactions?limit=0")
        except urllib.error.HTTPError as error:
            results.check(error.code == 400, "a bad request is answered 400 (so the HTTP metrics have a 4xx series)")
        time.sleep(1.5)
        text = process.get_text("/metrics")
    finally:
        process.terminate()
    names = sorted({line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")})
    helped = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")}
    results.check(len(names) >= 15, f"{len(names)} metric families exposed: {', '.join(names)}")
    missing = [name for name in names if name not in helped]
    results.check(not missing, f"every metric has HELP text (missing: {missing})")
    lint = subprocess.run([args.promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    results.check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
                  f"promtool check metrics: exit {lint.returncode} {lint.stdout.strip()} {lint.stderr.strip()}")
    return results.finish("metrics_lint")


if __name__ == "__main__":
    sys.exit(main())
