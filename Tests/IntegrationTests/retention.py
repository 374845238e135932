"""Retention and legal holds against the real `csic serve`: a purge removes exactly the expired records no
hold covers, survives a restart, is recorded in the audit trail, and `csic audit verify` checks it.

The simulator with a fixed seed replays a chain dated from 2026-01-01, so with `retention.transactions: 30d`
every one of its transactions has expired by the time this runs; with the default seven years none has.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from csic_process import Results, Serve, call, free_port, get, stored, wait_until

COUNT = 300


def post(port, path, body):
    return call(port, path, body=body, method="POST")


def write_config(path, data_dir, port, extra):
    with open(path, "w") as config:
        config.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                     f"audit: {{ checkpoint_every: 5, checkpoint_seconds: 0.5 }}\n{extra}")


def audit_records(port, action):
    return get(port, f"/api/v1/audit/records?action={action}&limit=500")["items"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        data_dir = os.path.join(work, "data")
        log_path = os.path.join(work, "csic.log")
        port = free_port()
        first = os.path.join(work, "first.yaml")
        write_config(first, data_dir, port, f"simulator: {{ enabled: true, seed: 42, count: {COUNT}, rate: 2000 }}\n")
        server = Serve(args.binary, first, log_path)
        server.start()
        try:
            results.check(wait_until(lambda: len(stored(port)) == COUNT, 90), f"{COUNT} simulated transactions stored (default 7y retention: none expired)")
            transactions = stored(port)
            by_address = {}
            for txid, item in transactions.items():
                for address in item.get("addresses", []):
                    by_address.setdefault(address, set()).add(txid)
            shared = sorted((a for a in by_address if len(by_address[a]) >= 2), key=lambda a: -len(by_address[a]))
            held_address, released_address = shared[0], shared[1]
            status, hold = post(port, "/api/v1/retention/holds",
                                {"record_class": "transactions", "subject": held_address, "reason": "preservation order", "case_reference": "CASE-1"})
            results.check(status == 201 and hold.get("active") is True, f"legal hold placed on {held_address} ({len(by_address[held_address])} transactions)")
            status, other = post(port, "/api/v1/retention/holds", {"record_class": "transactions", "subject": released_address, "reason": "ended"})
            status2, released = post(port, f"/api/v1/retention/holds/{other.get('id')}/release", {})
            results.check(status == 201 and status2 == 200 and released.get("active") is False, "a second hold placed and released")
            status, refused = post(port, "/api/v1/retention/holds", {"record_class": "audit", "reason": "x"})
            results.check(status == 400 and refused["code"] == "invalid_hold", "a hold on the permanent audit trail is refused with 400 invalid_hold")
            policy = get(port, "/api/v1/retention")
            results.check(policy["periods"]["audit"] == "permanent" and policy["periods"]["transactions"] == "7y", "GET /api/v1/retention shows the periods")
        finally:
            server.stop()

        second = os.path.join(work, "second.yaml")
        write_config(second, data_dir, port, "retention: { transactions: 30d, check_hours: 24 }\n")
        server = Serve(args.binary, second, log_path)
        server.start()
        try:
            def purge_recorded():
                return [r for r in audit_records(port, "retention.purge")
                        if r["record"]["details"].get("phase") == "outcome" and r["record"]["details"].get("record_class") == "transactions"
                        and r["record"]["details"].get("period") == "30d"]
            results.check(wait_until(lambda: len(purge_recorded()) == 1, 60), "the purge at start is in the audit trail, with its proof")
            outcome = purge_recorded()[0]["record"]["details"]
            kept = stored(port)
            held = by_address[held_address]
            results.check(set(kept) == held, f"exactly the held transactions are left ({len(kept)} of {COUNT})")
            results.check(int(outcome["purged"]) == COUNT - len(held) and int(outcome["held"]) == len(held),
                          f"the audit record states purged={outcome['purged']} held={outcome['held']} period={outcome['period']}")
            address_page = get(port, f"/api/v1/transactions?address={released_address}&limit=50")["items"]
            results.check(all(item["txid"] in held for item in address_page), "the released hold protected nothing; its address lists only held transactions")
            gone = next(iter(set(transactions) - held))
            try:
                get(port, f"/api/v1/transactions/btc:{gone}")
                results.check(False, "a purged transaction is gone")
            except urllib.error.HTTPError as error:
                results.check(error.code == 404, "a purged transaction answers 404")
            policies = audit_records(port, "retention.policy")
            results.check(any(r["record"]["details"].get("transactions") == "30d" for r in policies), "the policy in force at each start is recorded")
            loads = [r["record"]["details"].get("retention.transactions") for r in audit_records(port, "configuration.load")]
            results.check(sorted(loads) == ["30d", "7y"], "each start's configuration is audited: the change 7y -> 30d is on record")
            holds = audit_records(port, "retention.hold.place")
            results.check(any(r["record"]["details"].get("case_reference") == "CASE-1" for r in holds), "the hold's placing is recorded with its case")
        finally:
            server.stop()

        server = Serve(args.binary, second, log_path)
        server.start()
        try:
            results.check(wait_until(lambda: len(purge_recorded()) == 2, 60), "after a restart the next purge removes nothing more")
            results.check(set(stored(port)) == held and sorted(int(r["record"]["details"]["purged"]) for r in purge_recorded())[0] == 0,
                          "held transactions survive the second purge")
        finally:
            server.stop()

        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
        results.check(verify.returncode == 0, "csic audit verify passes, retention rules included: " + verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr)
    return results.finish("retention")


if __name__ == "__main__":
    sys.exit(main())
