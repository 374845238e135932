#!/usr/bin/env python3
"""The Bitcoin adapter against a Bitcoin Core-compatible JSON-RPC test node (Tests/IntegrationTests/
bitcoin_test_node.py): `csic serve` follows the node's chain into the store; SIGKILL restarts at random
moments, a reorg of depth 3, node outages and a corrupt block leave the store with exactly the best chain's
transactions confirmed (the orphaned ones reverted), nothing skipped, errors in /metrics and dead letters,
and the sync latency (block time to published) under 30 s."""
import argparse
import os
import random
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from bitcoin_test_node import BitcoinTestNode  # noqa: E402
from csic_process import Results, Serve, free_port, get, stored, wait_until  # noqa: E402


START = 2  # the adapter starts at height 2: blocks 0 and 1 are older than its UTXO index


def in_sync(port, node, explain=False):
    items = stored(port)
    confirmed = {txid for txid, item in items.items() if item["status"] == "confirmed"}
    if explain:
        best, everything = node.best_chain_txids(START), node.all_txids(START)
        print(f"    stored {len(items)}, confirmed {len(confirmed)}; best chain {len(best)}, all {len(everything)}; "
              f"missing {len(best - confirmed)}, extra confirmed {len(confirmed - best)}, unknown {len(set(items) - everything)}")
        for letter in get(port, "/api/v1/dead-letters")["items"][:3]:
            print(f"    dead letter: {letter['reason'][:160]}")
    return confirmed == node.best_chain_txids(START) and set(items) == node.all_txids(START)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(20261125)
    workdir = tempfile.mkdtemp(prefix="csic-bitcoin-")
    node = BitcoinTestNode().start()
    node.mine(6)
    port = free_port()
    config = os.path.join(workdir, "csic.yaml")
    with open(config, "w") as out:
        out.write(node.serve_config(workdir, port, START, extra_urls=[f"http://nobody:nothing@127.0.0.1:{free_port()}/"]))
    serve = Serve(args.binary, config, os.path.join(workdir, "csic.log"))
    serve.start()
    try:
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up")
        wait_until(lambda: in_sync(port, node), 30)
        in_sync(port, node, explain=True)
        results.check(wait_until(lambda: in_sync(port, node), 30), f"initial sync from height {START} (first node unreachable: failover; per-node credentials in the URL): "
                                                                      f"{len(node.best_chain_txids(START))} transactions stored")

        for restart in range(5):
            node.mine(rng.randrange(1, 4))
            time.sleep(rng.uniform(0.0, 1.5))
            serve.kill()
            serve.start()
        results.check(wait_until(lambda: in_sync(port, node), 90),
                      f"after 5 SIGKILL restarts while mining: exactly the {len(node.best_chain_txids(START))} best-chain transactions, no gap")

        orphaned = node.best_chain_txids(START)
        node.reorg(3, 4)
        orphaned -= node.best_chain_txids(START)
        results.check(wait_until(lambda: in_sync(port, node), 60), "reorg of depth 3: the new branch is applied")
        items = stored(port)
        reverted = {txid for txid, item in items.items() if item["status"] == "reverted"}
        results.check(reverted == orphaned and len(orphaned) > 0,
                      f"the {len(orphaned)} transactions only in the orphaned blocks are stored as reverted, nothing else")
        spends = [item for item in items.values() if not any(i["previous_txid"] == "0" * 64 for i in item["inputs"])]
        unresolved = [item["txid"] for item in spends if any(i.get("value") is None or not i.get("address") for i in item["inputs"])]
        results.check(spends and not unresolved,
                      f"every input of {len(spends)} transactions has value and address (UTXO index, else the node's getblock 3)"
                      + (f" — unresolved: {unresolved[:3]}" if unresolved else ""))
        wrong = [(item["txid"], i["previous_txid"], i["previous_index"]) for item in spends for i in item["inputs"]
                 if int(i["value"]) != node.spent_value(i["previous_txid"], i["previous_index"])]
        results.check(not wrong, f"every input value equals the node's (sats) — {wrong[:2]}")
        results.check(all(item.get("fee") is not None for item in spends), "every spend has its fee")
        results.check(all({"merkle_root", "witness_commitment", "proof_of_work"} <= set(item.get("verified_checks", []))
                          for item in items.values()),
                      f"every event carries the verification result: {next(iter(items.values())).get('verified_checks')}")

        node.fail_next = 6
        node.mine(2)
        results.check(wait_until(lambda: in_sync(port, node), 60), "node answering 503 six times: retried, then synced")
        metrics = get(port, "/metrics")
        results.check(re.search(r'csic_errors_total\{[^}]*kind="node_unavailable"[^}]*source="bitcoin"[^}]*\} [1-9]', metrics)
                      or re.search(r'csic_errors_total\{[^}]*source="bitcoin"[^}]*kind="node_unavailable"[^}]*\} [1-9]', metrics),
                      "node outages are counted in /metrics")

        node.mine(1)
        bad = node.chain[-1]
        from bitcoin.core import b2lx
        node.corrupt_hashes.add(b2lx(bad.GetHash()))
        results.check(wait_until(lambda: any(letter["source"] == "bitcoin" for letter in get(port, "/api/v1/dead-letters")["items"]), 60),
                      "a corrupt block from the node is dead-lettered with its reason")
        letters = [letter for letter in get(port, "/api/v1/dead-letters")["items"] if letter["source"] == "bitcoin"]
        results.check(letters and "merkleRootMismatch" in letters[0]["reason"] or "truncated" in letters[0]["reason"],
                      f"dead letter reason: {letters[0]['reason'][:100] if letters else None}")
        results.check(not any(b2lx(tx.GetTxid()) in stored(port) for tx in bad.vtx[1:]), "the corrupt block is not applied (nor skipped)")
        node.corrupt_hashes.clear()
        node.mine(1)
        results.check(wait_until(lambda: in_sync(port, node), 60), "once the node serves the block intact, the adapter continues from it")

        metrics = get(port, "/metrics")
        count = re.search(r'csic_chain_sync_latency_seconds_count\{chain="bitcoin"\} (\d+)', metrics)
        within = re.search(r'csic_chain_sync_latency_seconds_bucket\{chain="bitcoin",le="30\.0"\} (\d+)', metrics)
        results.check(count and within and int(count.group(1)) > 0 and within.group(1) == count.group(1),
                      f"sync latency: {within.group(1) if within else '?'} of {count.group(1) if count else '?'} blocks published within 30 s of their block time")
        for line in metrics.splitlines():
            if line.startswith("csic_chain_sync_latency_seconds_bucket") and 'le="+Inf"' not in line:
                print("   ", line)

        # ZMQ: with polling every 60 s, only the node's hashblock notification can bring a new block quickly.
        serve.stop()
        text = open(config).read().replace("poll_seconds: 0.2", f'poll_seconds: 60, zmq_block: "{node.zmq_endpoint}"')
        open(config, "w").write(text)
        serve.start()
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up with zmq_block")
        results.check(node.wait_for_subscriber(), "the adapter subscribes to hashblock on the node's ZMQ publisher")
        node.mine(1)
        started = time.time()
        synced = wait_until(lambda: in_sync(port, node), 20)
        results.check(synced and time.time() - started < 10,
                      f"a ZMQ hashblock notification brings the new block in {time.time() - started:.1f} s (poll interval 60 s)")
    finally:
        serve.stop()
        node.stop()
    return results.finish("bitcoin_adapter")


if __name__ == "__main__":
    sys.exit(main())
