#!/usr/bin/env python3
"""No loss, no duplicates under crashes.

Runs `csic demo --seed S --count N`, kills it with SIGKILL at random moments (at least 20 times),
restarts it each time on the same data directory, then lets it finish and checks that the store holds
exactly the N transactions -- the same ids as an uninterrupted run with the same seed.
"""
import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import CSICProcess, Results  # noqa: E402


def stored_ids(data_dir):
    db = sqlite3.connect(f"file:{data_dir}/store/csic.sqlite?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id FROM transactions").fetchall()
        return [row[0] for row in rows]
    finally:
        db.close()


def run_to_completion(binary, data_dir, seed, count, rate, log_path, timeout):
    process = CSICProcess(binary, ["--data-dir", data_dir, "--seed", str(seed), "--count", str(count), "--rate", str(rate)], log_path)
    process.wait_until_serving()
    deadline = time.time() + timeout
    stats = {}
    while time.time() < deadline:
        _, stats = process.get("/api/v1/stats")
        log = stats["log"]["transactions"]
        if stats["stored"]["transactions"] >= count and log["lag"] == 0:
            break
        time.sleep(0.5)
    code = process.terminate()
    return stats, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--rate", type=float, default=4_000)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="csic-crash-")
    crashed_dir = f"{workdir}/crashed"
    clean_dir = f"{workdir}/clean"
    log_path = f"{workdir}/csic.log"
    print(f"crash test: N={args.count}, {args.kills} SIGKILLs, data in {workdir}", flush=True)

    for kill in range(args.kills):
        process = CSICProcess(args.binary, ["--data-dir", crashed_dir, "--seed", str(args.seed), "--count", str(args.count), "--rate", str(args.rate)], log_path)
        process.wait_until_serving()
        time.sleep(rng.uniform(0.2, 2.5))
        stored = "?"
        try:
            _, stats = process.get("/api/v1/stats", timeout=2)
            stored = stats["stored"]["transactions"]
        except Exception:
            pass
        process.kill()
        print(f"  kill {kill + 1:2d}: SIGKILL with {stored} stored", flush=True)

    stats, code = run_to_completion(args.binary, crashed_dir, args.seed, args.count, args.rate, log_path, timeout=600)
    results.check(code == 0, f"final run shut down cleanly on SIGTERM (exit {code})")
    results.check(stats["stored"]["transactions"] == args.count, f"API reports {stats['stored']['transactions']} stored, expected {args.count}")
    results.check(stats["log"]["transactions"]["lag"] == 0, "the transaction engine has no lag")
    crashed = stored_ids(crashed_dir)
    results.check(len(crashed) == args.count, f"store holds {len(crashed)} rows after {args.kills} crashes")
    results.check(len(set(crashed)) == len(crashed), "no duplicate transaction ids")

    clean_stats, _ = run_to_completion(args.binary, clean_dir, args.seed, args.count, 50_000, log_path, timeout=600)
    clean = stored_ids(clean_dir)
    results.check(len(clean) == args.count, f"uninterrupted run stored {len(clean)}")
    results.check(set(clean) == set(crashed), "the crashed run stored exactly the ids of the uninterrupted run")
    return results.finish("crash_recovery")


if __name__ == "__main__":
    sys.exit(main())
