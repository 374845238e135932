#!/usr/bin/env python3
"""The platform on a real PostgreSQL server, which crashes and restarts under it.

Starts a throwaway PostgreSQL 15 (scripts/postgres-server) with password authentication, runs
`csic demo --config FILE --seed S --count N` with `store.backend: postgres` (the password only in
CSIC_STORE_POSTGRES_PASSWORD), crashes the server (`pg_ctl stop -m immediate`) and starts it again several times
while transactions flow, once after 5 s down, and checks: exactly the N ids of an uninterrupted SQLite run with the same seed are stored,
once each; the engine resumed by itself; the outage shows in /metrics (csic_store_unreachable_total, csic_store_up)
and in the log;
the API answers from PostgreSQL afterwards; the password is in no log line and no file of the data directory.
"""
import argparse
import glob
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import CSICProcess, Results, free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.path.join(ROOT, "scripts", "postgres-server")


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()


def wait_for_all(process, count, timeout):
    deadline = time.time() + timeout
    stats = {}
    while time.time() < deadline:
        try:
            _, stats = process.get("/api/v1/stats", timeout=5)
            if stats["stored"]["transactions"] >= count and stats["log"]["transactions"]["lag"] == 0:
                return stats
        except Exception as error:  # the API itself may wait on the store while it restarts
            stats = {"error": str(error)}
        time.sleep(0.5)
    return stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--rate", type=float, default=4_000)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-postgres-")
    server_dir = tempfile.mkdtemp(prefix="csic-postgres-server-")  # its own, so that the server's user owns it
    url = subprocess.run([SERVER, "start", server_dir, str(free_port())], check=True, capture_output=True, text=True).stdout.strip()
    password = open(f"{server_dir}/password").read().strip()
    host_port = url.split("@")[1].split("/")[0]
    host, port = host_port.split(":")
    try:
        config = f"{workdir}/csic.yaml"
        with open(config, "w") as file:
            file.write(f"store: {{ backend: postgres, postgres: {{ host: {host}, port: {port}, user: csic, database: csic_test, "
                       f"schema: platform, tls: disable }} }}\n")
        log_path = f"{workdir}/csic.log"
        environment = {**os.environ, "CSIC_STORE_POSTGRES_PASSWORD": password}
        print(f"postgres store: N={args.count}, {args.restarts} server restarts, data in {workdir}", flush=True)
        process = CSICProcess(args.binary, ["--config", config, "--data-dir", f"{workdir}/data", "--seed", str(args.seed),
                                            "--count", str(args.count), "--rate", str(args.rate)], log_path, env=environment)
        process.wait_until_serving()
        for restart in range(args.restarts):
            time.sleep(3)
            _, before = process.get("/api/v1/stats")
            down = 5 if restart == args.restarts - 1 else 0  # the last one a longer outage
            subprocess.run([SERVER, "restart", server_dir, str(down)], check=True)
            print(f"  restart {restart + 1}: pg_ctl stop -m immediate, {down} s down, start, with {before['stored']['transactions']} stored",
                  flush=True)
        stats = wait_for_all(process, args.count, timeout=300)
        # The monitor sees the server back within a probe or two; a restart just before the end may still be
        # in progress.
        deadline = time.time() + 30
        metrics = process.get_text("/metrics")
        while 'csic_store_up{backend="postgres"} 1' not in metrics and time.time() < deadline:
            time.sleep(0.5)
            metrics = process.get_text("/metrics")
        code = process.terminate()
        results.check(code == 0, f"csic shut down cleanly on SIGTERM (exit {code})")
        reported = stats.get("stored", {}).get("transactions", stats)
        results.check(reported == args.count, f"API reports {reported} stored, expected {args.count}")
        rows = psql(url, "SELECT count(*) || ' ' || count(DISTINCT id) FROM platform.transactions")
        results.check(rows == f"{args.count} {args.count}", f"PostgreSQL holds {rows} (rows, distinct ids), expected {args.count} each")
        outages = [line for line in metrics.splitlines() if line.startswith('csic_store_unreachable_total{backend="postgres"}')]
        counted = sum(float(line.rsplit(" ", 1)[1]) for line in outages)
        results.check(counted >= 1, f"the outage is in /metrics: csic_store_unreachable_total {counted}")
        results.check('csic_store_up{backend="postgres"} 1' in metrics, "csic_store_up is 1 again")
        log_text = open(log_path, errors="replace").read()
        results.check("store unreachable" in log_text and "store reachable again" in log_text,
                      "the outage and the recovery are in the log (store unreachable / reachable again)")
        results.check(password not in log_text, "the password is in no log line")
        leaked = [path for path in glob.glob(f"{workdir}/data/**", recursive=True)
                  if os.path.isfile(path) and password.encode() in open(path, "rb").read()]
        results.check(not leaked, f"the password is in no file of the data directory (audit records included): {leaked}")
        audit = psql(url, "SELECT count(*) FROM platform.users WHERE username = 'admin'")
        results.check(audit == "1", "the demo admin is stored in PostgreSQL")

        clean_dir = f"{workdir}/clean"
        clean = CSICProcess(args.binary, ["--data-dir", clean_dir, "--seed", str(args.seed), "--count", str(args.count),
                                          "--rate", "50000"], log_path)
        clean.wait_until_serving()
        wait_for_all(clean, args.count, timeout=300)
        clean.terminate()
        db = sqlite3.connect(f"file:{clean_dir}/store/csic.sqlite?mode=ro", uri=True)
        expected = {row[0] for row in db.execute("SELECT id FROM transactions")}
        db.close()
        stored = set(psql(url, "SELECT id FROM platform.transactions").split("\n"))
        results.check(len(expected) == args.count and stored == expected,
                      f"PostgreSQL holds exactly the ids of an uninterrupted SQLite run ({len(stored & expected)} of {len(expected)} in common)")
    finally:
        subprocess.run([SERVER, "stop", server_dir], check=False)
    return results.finish("postgres_store")


if __name__ == "__main__":
    sys.exit(main())
