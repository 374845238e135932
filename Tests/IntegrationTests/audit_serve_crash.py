#!/usr/bin/env python3
"""The audit trail under crashes of the whole platform: `csic serve` answers API requests (each audited
onto the `audit` topic before its answer is sent) and is killed with SIGKILL at random moments, 20 times.
After every kill `csic audit verify` passes; after the last restart every request that was answered is in
the WORM log, exactly once, and the log verifies."""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
from collections import Counter
import time

sys.path.insert(0, os.path.dirname(__file__))
from audit_trail import entries, segments  # noqa: E402
from csic_process import ADMIN_USER, Results, Serve, call, free_port, get, wait_until  # noqa: E402


def logged_records(data_dir):
    """Every whole record in the WORM log (a torn last entry of a running log is skipped)."""
    found = []
    if not os.path.isdir(os.path.join(data_dir, "audit", "segments")):
        return found
    for path in segments(data_dir):
        data, spans = entries(path)
        for offset, length in spans:
            try:
                found.append(json.loads(data[offset + 4:offset + length - 32])["record"])
            except ValueError:
                pass
    return found


def logged_resources(data_dir):
    """The resource of every whole entry in the WORM log."""
    return [record["resource"] for record in logged_records(data_dir)]


def traffic(port, round_number, answered, stop):
    """Requests with unique resources until the server dies; remembers the answered ones."""
    number = 0
    while not stop.is_set():
        path = f"/api/v1/transactions/btc:{round_number:08x}{number:056x}"
        number += 1
        code, _ = call(port, path, timeout=2)
        if code == 0:
            return
        if code in (200, 404):
            answered.append(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(20261125)
    with tempfile.TemporaryDirectory() as work:
        data_dir = os.path.join(work, "data")
        port = free_port()
        config = os.path.join(work, "csic.yaml")
        with open(config, "w") as out:
            out.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                      "audit: { checkpoint_every: 100, checkpoint_seconds: 0.5 }\n")
        answered = []
        verified_every_time = True
        for round_number in range(args.kills):
            server = Serve(args.binary, config, os.path.join(work, "csic.log"))
            server.start()
            if not wait_until(lambda: get(port, "/health")["status"] == "ok", 60):
                results.check(False, f"csic serve came up for round {round_number}")
                server.kill()
                return results.finish("audit_serve_crash")
            stop = threading.Event()
            worker = threading.Thread(target=traffic, args=(port, round_number, answered, stop))
            worker.start()
            time.sleep(rng.uniform(0.3, 2.0))
            server.kill()
            stop.set()
            worker.join()
            verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
            if verify.returncode != 0:
                verified_every_time = False
                print(verify.stdout + verify.stderr, flush=True)
        results.check(verified_every_time, f"csic audit verify passes after each of {args.kills} SIGKILLs of csic serve during API traffic")
        results.check(len(answered) > args.kills * 10, f"{len(answered)} API requests were answered between the kills")

        server = Serve(args.binary, config, os.path.join(work, "csic.log"))
        server.start()
        try:
            wanted = set(answered)
            caught_up = wait_until(lambda: wanted <= set(logged_resources(data_dir)), 120)
            missing = wanted - set(logged_resources(data_dir))
            results.check(caught_up, f"every answered request is in the WORM audit log after the restart ({len(missing)} missing)")
        finally:
            server.stop()
        logged = Counter(logged_resources(data_dir))
        duplicates = [path for path in wanted if logged[path] != 1]
        results.check(not duplicates, f"each answered request is recorded exactly once ({len(duplicates)} otherwise)")
        actors = {record["resource"]: (record["actor"], record.get("details", {}).get("role")) for record in logged_records(data_dir)}
        wrong = [path for path in wanted if actors.get(path) != (ADMIN_USER, "admin")]
        results.check(not wrong, f"each is recorded with its real actor, {ADMIN_USER} (role admin) ({len(wrong)} otherwise: {wrong[:2]})")
        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
        results.check(verify.returncode == 0, "the final log verifies: " + (verify.stdout.strip().splitlines() or ["?"])[0])
    return results.finish("audit_serve_crash")


if __name__ == "__main__":
    sys.exit(main())
