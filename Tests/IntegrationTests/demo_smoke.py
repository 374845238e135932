#!/usr/bin/env python3
"""`csic demo --duration 40` serves GET /api/v1/transactions?limit=10 with 10 transactions within 30 s,
answers bad requests with machine-readable 4xx bodies, exposes /metrics, audits every API request into the
audit trail (served with inclusion proofs that an independent verifier accepts), and exits by itself."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import audit_verifier  # noqa: E402
from csic_process import CSICProcess, Results  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-demo-")
    started = time.time()
    process = CSICProcess(args.binary, ["--data-dir", f"{workdir}/data", "--duration", "40"], f"{workdir}/csic.log")
    process.wait_until_serving()
    items = []
    while time.time() - started < 30 and len(items) < 10:
        _, body = process.get("/api/v1/transactions?limit=10")
        items = body["items"]
        if len(items) < 10:
            time.sleep(0.25)
    elapsed = time.time() - started
    results.check(len(items) == 10, f"10 transactions served {elapsed:.1f} s after start")
    first = items[0] if items else {}
    status, detail = process.get(f"/api/v1/transactions/{first.get('id', 'none')}")
    results.check(status == 200 and detail.get("txid") == first.get("txid"), "a listed transaction is served by id")
    address = (first.get("addresses") or ["none"])[0]
    _, by_address = process.get(f"/api/v1/transactions?address={address}&limit=5")
    results.check(all(address in item["addresses"] for item in by_address["items"]) and by_address["items"], "address query returns only that address's transactions")
    try:
        process.get("/api/v1/transactions?limit=-3")
        results.check(False, "a negative limit is rejected")
    except urllib.error.HTTPError as error:
        body = json.loads(error.read())
        results.check(error.code == 400 and body["code"] == "invalid_parameter", "a negative limit gets 400 invalid_parameter")
    audited = None
    while time.time() - started < 38 and audited is None:
        try:
            _, search = process.get(f"/api/v1/audit/records?resource=/api/v1/transactions/{first.get('id', 'none')}&limit=1")
            audited = search if search["items"] else None
        except urllib.error.HTTPError:
            pass
        if audited is None:
            time.sleep(0.5)
    item = audited["items"][0] if audited else {}
    results.check(item.get("record", {}).get("outcome") == "success" and item["record"]["action"] == "http.GET /api/v1/transactions/{id}",
                  "the API request is in the audit trail (action, resource, outcome)")
    proof = {"record": item.get("record_bytes", ""), "leaf_index": item.get("leaf_index"), "tree_size": (audited or {}).get("tree_size"),
             "inclusion_proof": item.get("inclusion_proof", []), "checkpoint": (audited or {}).get("checkpoint", ""),
             "verifier_key": (audited or {}).get("verifier_key", "")}
    results.check(bool(audited) and audit_verifier.verify_proof_output(proof, proof["verifier_key"]),
                  "its inclusion proof verifies independently against the signed checkpoint")
    _, failures = process.get("/api/v1/audit/records?outcome=failure&q=limit%3D-3&limit=5")
    results.check(any(entry["record"]["details"].get("status") == "400" for entry in failures["items"]), "the rejected request is audited as a failure")
    metrics = process.get_text("/metrics")
    for name in ["csic_log_appended_records_total", "csic_stage_latency_seconds_bucket", "csic_consumer_lag", "csic_store_size_bytes"]:
        results.check(name in metrics, f"/metrics has {name}")
    code = process.process.wait(timeout=60)
    process.log.close()
    results.check(code == 0 and time.time() - started < 55, f"demo stopped by itself after --duration (exit {code})")
    verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", f"{workdir}/data"], capture_output=True, text=True)
    results.check(verify.returncode == 0, f"csic audit verify after the demo: {verify.stdout.strip().splitlines()[0] if verify.stdout else verify.stderr[-200:]}")
    return results.finish("demo_smoke")


if __name__ == "__main__":
    sys.exit(main())
