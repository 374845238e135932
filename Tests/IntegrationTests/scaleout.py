#!/usr/bin/env python3
"""One role per process on Kafka and PostgreSQL, with processes killed under load.

Starts a throwaway PostgreSQL 15 (scripts/postgres-server) and librdkafka's mock cluster (3 brokers on loopback,
in the csic-kafka-mock helper process; it has no CreateTopics, so the platform's topics are created through the
helper first), then `csic serve --roles api`, two `--roles process` members and `--roles ingest` (the seeded
simulator, N transactions) as separate processes sharing one configuration and data directory (the audit
trail's WORM files). While transactions flow and the API answers requests, it SIGKILLs the process member
that does not run the audit engine, starts a replacement, later SIGKILLs the audit-engine member (the
replacement takes the lead over) and starts another. Checks: exactly N transactions stored (rows and distinct
ids), every answered API request in the WORM audit log exactly once, `csic audit verify` passing, the lead
taken over.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from audit_serve_crash import logged_resources  # noqa: E402
from csic_process import ADMIN_PASSWORD, ADMIN_USER, Results, call, free_port, get, wait_until  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.path.join(ROOT, "scripts", "postgres-server")
# The mock keeps about 5 MiB per partition and deletes older records (consumed or not): 16 partitions hold
# 100,000 simulated transactions (about 450 bytes each) whole.
PARTITIONS = 16
TOPICS = {"transactions": PARTITIONS, "exchange_data": PARTITIONS, "mining_metrics": PARTITIONS, "audit": 1,
          "compliance": PARTITIONS, "interventions": PARTITIONS, "dead_letter": PARTITIONS}


class MockCluster:
    """The csic-kafka-mock helper: `bootstrap ...` first, then one command per line answered `ok`."""

    def __init__(self, helper):
        self.process = subprocess.Popen([helper, "3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        first = self.process.stdout.readline().strip()
        if not first.startswith("bootstrap "):
            raise RuntimeError(f"csic-kafka-mock said {first!r}")
        self.bootstrap = first.split(" ", 1)[1]

    def command(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"csic-kafka-mock: {line}: {answer}")

    def stop(self):
        try:
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass
        self.process.wait(timeout=10)


class Member:
    """One `csic serve --roles ROLE` process, its output in its own log file."""

    def __init__(self, binary, config, role, name, workdir, env):
        self.name, self.role = name, role
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([binary, "serve", "--config", config, "--roles", role], stdout=self.log,
                                        stderr=self.log, start_new_session=True, env=env)

    def text(self):
        return open(self.log_path, errors="replace").read()

    def leads(self, name="audit-trail"):
        """Whether this process runs what is led as `name` now (its last word about that lead was taking it)."""
        said = [line for line in self.text().splitlines() if f"name={name}" in line and "the lead" in line]
        return bool(said) and "took the lead" in said[-1]

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9


def traffic(port, answered, stop):
    """Requests with unique resources; remembers the answered ones (each must be audited exactly once)."""
    number = 0
    while not stop.is_set():
        path = f"/api/v1/transactions/btc:{number:064x}"
        number += 1
        code, _ = call(port, path, timeout=5)
        if code in (200, 404):
            answered.append(path)
        time.sleep(0.02)


def stored(port):
    try:
        return get(port, "/api/v1/stats")["stored"]["transactions"]
    except Exception:  # noqa: BLE001 - the API may wait on the store for a moment
        return -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="csic built with the Kafka trait")
    parser.add_argument("--mock", required=True, help="csic-kafka-mock")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=3_000)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-scaleout-")
    server_dir = tempfile.mkdtemp(prefix="csic-scaleout-pg-")
    url = subprocess.run([SERVER, "start", server_dir, str(free_port())], check=True, capture_output=True, text=True).stdout.strip()
    password = open(f"{server_dir}/password").read().strip()
    host, port = url.split("@")[1].split("/")[0].split(":")
    cluster = MockCluster(args.mock)
    members = []
    try:
        for topic, partitions in TOPICS.items():
            cluster.command(f"topic {topic} {partitions}")
        http_port = free_port()
        data_dir = os.path.join(workdir, "data")
        config = os.path.join(workdir, "csic.yaml")
        with open(config, "w") as out:
            out.write(f"data_dir: {data_dir}\n"
                      f"http: {{ host: 127.0.0.1, port: {http_port} }}\n"
                      "grpc: { port: 0 }\n"
                      f"log: {{ backend: kafka, partitions: {PARTITIONS}, kafka: {{ bootstrap_servers: \"{cluster.bootstrap}\", "
                      "client_id: csic-scaleout, properties: [log_level=2] } }\n"
                      f"store: {{ backend: postgres, postgres: {{ host: {host}, port: {port}, user: csic, database: csic_test, "
                      "schema: scaleout, tls: disable } }\n"
                      f"simulator: {{ enabled: true, seed: {args.seed}, count: {args.count}, rate: {args.rate} }}\n"
                      "audit: { checkpoint_every: 1000, checkpoint_seconds: 1 }\n")
        env = {**os.environ, "CSIC_STORE_POSTGRES_PASSWORD": password}
        done = subprocess.run([args.binary, "user", "add", ADMIN_USER, "--role", "admin", "--password-stdin", "--config", config],
                              input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=120, env=env)
        results.check(done.returncode == 0, f"csic user add on Kafka + PostgreSQL: {done.stdout.strip()} {done.stderr.strip()[-300:]}")
        print(f"scaleout: N={args.count} at {args.rate}/s, Kafka mock {cluster.bootstrap}, data in {workdir}", flush=True)

        def start(role, name):
            member = Member(args.binary, config, role, name, workdir, env)
            members.append(member)
            return member

        api = start("api", "api")
        results.check(wait_until(lambda: get(http_port, "/health")["status"] == "ok", 120), "the api process serves")
        first, second = start("process", "process-1"), start("process", "process-2")
        results.check(wait_until(lambda: first.leads() or second.leads(), 60), "one process member took the audit engine's lead")
        results.check(not (first.leads() and second.leads()), "only one of them leads")
        purgers = lambda: [member.name for member in (first, second) if member.leads("retention-purge")]
        results.check(wait_until(lambda: len(purgers()) == 1, 60), f"one of them runs the retention purge: {purgers()}")
        start("ingest", "ingest")
        answered, stop = [], threading.Event()
        worker = threading.Thread(target=traffic, args=(http_port, answered, stop))
        worker.start()

        wait_until(lambda: stored(http_port) >= args.count * 0.3, 600)
        leader, other = (first, second) if first.leads() else (second, first)
        other.kill()
        print(f"  SIGKILL {other.name} (not the audit engine) with {stored(http_port)} stored", flush=True)
        replacement = start("process", "process-3")
        wait_until(lambda: stored(http_port) >= args.count * 0.6, 600)
        leader.kill()
        print(f"  SIGKILL {leader.name} (the audit engine's leader) with {stored(http_port)} stored", flush=True)
        results.check(wait_until(replacement.leads, 60), f"{replacement.name} took the audit engine's lead over")
        start("process", "process-4")

        results.check(wait_until(lambda: stored(http_port) >= args.count, 900), f"all {args.count} transactions arrive")
        time.sleep(2)
        stop.set()
        worker.join()
        reported = stored(http_port)
        results.check(reported == args.count, f"the API reports {reported} stored, expected {args.count}")
        rows = subprocess.run(["psql", url, "-Atc", "SELECT count(*) || ' ' || count(DISTINCT id) FROM scaleout.transactions"],
                              check=True, capture_output=True, text=True).stdout.strip()
        results.check(rows == f"{args.count} {args.count}", f"PostgreSQL holds {rows} (rows, distinct ids), expected {args.count} each")

        wanted = set(answered)
        results.check(len(wanted) > 100, f"{len(wanted)} API requests were answered during the run")
        results.check(wait_until(lambda: wanted <= set(logged_resources(data_dir)), 120),
                      f"every answered request is in the WORM audit log ({len(wanted - set(logged_resources(data_dir)))} missing)")
        for member in members:
            if member.process.poll() is None:
                code = member.stop()
                results.check(code == 0, f"{member.name} stopped cleanly on SIGTERM (exit {code})")
        logged = Counter(logged_resources(data_dir))
        duplicates = [path for path in wanted if logged[path] != 1]
        results.check(not duplicates, f"each answered request is recorded exactly once ({len(duplicates)} otherwise)")
        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True, env=env)
        results.check(verify.returncode == 0, "csic audit verify passes: " + (verify.stdout + verify.stderr).strip()[:300])
        stats = subprocess.run([args.binary, "log", "stats", "--config", config], capture_output=True, text=True, env=env, timeout=120)
        results.check(stats.returncode == 0 and "transaction-engine" in stats.stdout,
                      "csic log stats on Kafka lists the topics and the engines' groups")
        starts = [line.split()[2] for line in stats.stdout.splitlines() if line.startswith("transactions ")]
        results.check(len(starts) == PARTITIONS and set(starts) == {"0"},
                      f"the mock cluster removed no record of transactions (partition start offsets {sorted(set(starts))})")
        print(stats.stdout, flush=True)
    finally:
        for member in members:
            if member.process.poll() is None:
                member.kill()
        cluster.stop()
        subprocess.run([SERVER, "stop", server_dir], check=False)
    return results.finish("scaleout")


if __name__ == "__main__":
    sys.exit(main())
