"""Reference data against the real binary: `csic import tags|sanctions` on a stopped platform (new list
versions, refused entries reported, a file that cannot be read changes nothing), the same through
`/api/v1/reference-data` while `csic serve` runs (the command then refuses: the stores are in use), every
import in the audit trail with who made it, and `csic audit verify` passing.
"""
import argparse
import os
import subprocess
import sys
import tempfile

from csic_process import Results, Serve, call, free_port, get, wait_until

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
TAGPACK = os.path.join(FIXTURES, "tagpacks", "exchanges.yaml")
SDN = os.path.join(FIXTURES, "ofac", "SDN.CSV")
COMMENTS = os.path.join(FIXTURES, "ofac", "SDN_COMMENTS.CSV")
XML = os.path.join(FIXTURES, "ofac", "SDN_ADVANCED.XML")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        data_dir, config, port = os.path.join(work, "data"), os.path.join(work, "csic.yaml"), free_port()
        with open(config, "w") as file:
            file.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                       "audit: { checkpoint_every: 5, checkpoint_seconds: 0.5 }\n")

        def csic_import(*arguments):
            return subprocess.run([args.binary, "import", *arguments, "--config", config], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "USER": "integration"})

        done = csic_import("tags", TAGPACK)
        results.check(done.returncode == 0 and "tagpack:Example exchange and mixer attributions version 1: 5 tags imported, 3 refused, 2 skipped"
                      in done.stdout, f"csic import tags: {done.stdout.strip()} {done.stderr.strip()[-300:]}")
        results.check("refused tags[6]: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb is not a bitcoin address" in done.stdout,
                      "each refused tag is reported with its place and reason")
        done = csic_import("sanctions", SDN, COMMENTS)
        results.check(done.returncode == 0 and "ofac-sdn version 1: 6 tags imported, 1 refused, 2 skipped" in done.stdout,
                      f"csic import sanctions SDN.CSV SDN_COMMENTS.CSV: {done.stdout.strip()} {done.stderr.strip()[-300:]}")
        done = csic_import("sanctions", XML)
        results.check(done.returncode == 0 and "ofac-sdn version 2: 6 tags imported, 1 refused, 1 skipped" in done.stdout,
                      f"csic import sanctions SDN_ADVANCED.XML: a new version of the same list: {done.stdout.strip()}")
        done = csic_import("tags", SDN)
        results.check(done.returncode != 0 and "SDN.CSV: not YAML" in done.stderr,
                      f"a file that is not a TagPack is refused whole: {done.stderr.strip()[-200:]}")

        server = Serve(args.binary, config, os.path.join(work, "csic.log"))
        server.start()
        try:
            results.check(wait_until(lambda: call(port, "/health", auth=False)[0] == 200, 60), "csic serve answers")
            lists = get(port, "/api/v1/reference-data/lists")["lists"]
            results.check([(item["name"], item["version"], item["tag_count"]) for item in lists] ==
                          [("ofac-sdn", 2, 6), ("ofac-sdn", 1, 6), ("tagpack:Example exchange and mixer attributions", 1, 5)],
                          f"the lists and versions the commands made, and none from the refused file: {lists}")
            done = csic_import("tags", TAGPACK)
            results.check(done.returncode != 0 and "admin routes" in done.stderr,
                          f"while the platform runs the command refuses and points at the API: {done.stderr.strip()[-200:]}")
            with open(TAGPACK) as file:
                status, answer = call(port, "/api/v1/reference-data/imports", body={"kind": "tags", "files": [file.read()]}, method="POST")
            report = (answer.get("imports") or [{}])[0] if isinstance(answer, dict) else {}
            results.check(status == 201 and report.get("list", {}).get("version") == 2 and report.get("rejected_count") == 3,
                          f"POST /api/v1/reference-data/imports makes version 2: {status} {str(answer)[:300]}")

            # With "reevaluate": the stored history is replayed against the new version in the background.
            with open(XML) as file:
                status, answer = call(port, "/api/v1/reference-data/imports", method="POST",
                                      body={"kind": "sanctions", "files": [file.read()], "reevaluate": True})
            started = answer.get("reevaluation", {}) if isinstance(answer, dict) else {}
            results.check(status == 201 and started.get("id") == 1 and started.get("requested_by") == "admin",
                          f"an import with reevaluate starts a re-evaluation: {status} {str(answer)[-300:]}")
            results.check(wait_until(lambda: get(port, "/api/v1/reference-data/reevaluation").get("state") == "completed", 60),
                          f"it completes: {get(port, '/api/v1/reference-data/reevaluation')}")

            def replays_audited():
                items = get(port, "/api/v1/audit/records?action=analysis.replay&limit=100").get("items", [])
                return [(item["record"]["actor"], item["record"]["details"]["phase"]) for item in items]
            results.check(wait_until(lambda: sorted(replays_audited()) == [("admin", "attempt"), ("admin", "outcome")], 60),
                          f"the replay is in the audit trail with who asked: {replays_audited()}")

            def imports_audited():
                items = get(port, "/api/v1/audit/records?action=reference_data.import&limit=100").get("items", [])
                return [(item["record"]["actor"], item["record"]["details"]["phase"]) for item in items]
            results.check(wait_until(lambda: len(imports_audited()) == 10, 60), f"every import is in the audit trail twice: {imports_audited()}")
            actors = sorted(set(actor for actor, _ in imports_audited()))
            results.check(actors == ["admin", "operator:integration"], f"with who made it: {actors}")
        finally:
            server.stop()
        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True, timeout=300)
        results.check(verify.returncode == 0, f"csic audit verify: {(verify.stdout + verify.stderr).strip()[-200:]}")
    return results.finish("reference_data")


if __name__ == "__main__":
    sys.exit(main())
