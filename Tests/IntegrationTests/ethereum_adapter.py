#!/usr/bin/env python3
"""The Ethereum adapter against a real EVM chain (eth-tester + py-evm behind JSON-RPC HTTP and WebSocket,
Tests/IntegrationTests/ethereum_test_node.py): an ERC-20 written in Vyper (contracts/Token.vy) is compiled
and deployed, ether and token transfers and reverting transfers are mined, and `csic serve` must store
exactly the canonical chain's transactions with the chain's own values (status, addresses, wei, fees, token
transfers), through SIGKILL restarts, a reorg of depth 3, node outages, malformed answers, a tampered block
header, a node without eth_getBlockReceipts, a node on the wrong chain, and newHeads over WebSocket."""
import argparse
import os
import random
import re
import sys
import tempfile
import time

import vyper
from eth_utils import keccak, to_checksum_address

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import Results, Serve, free_port, get, run_csic, stored, wait_until  # noqa: E402
from ethereum_test_node import EthereumTestNode  # noqa: E402

START = 1
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
TRANSFER_SELECTOR = keccak(text="transfer(address,uint256)")[:4].hex()


class Chain:
    """The test's workload on the node: an ERC-20 and senders that each send at most one transaction a block."""

    def __init__(self, node, rng):
        self.node, self.rng = node, rng
        self.accounts = node.accounts
        source = open(os.path.join(os.path.dirname(__file__), "contracts", "Token.vy")).read()
        bytecode = vyper.compile_code(source, output_formats=["bytecode"])["bytecode"]
        self.deployment = node.send({"from": self.accounts[0], "data": bytecode + (10**24).to_bytes(32, "big").hex(),
                                     "gas": 2_000_000, "value": 0})
        node.mine(1)
        self.token = node.receipt(self.deployment)["contract_address"]
        for holder in self.accounts[1:7]:  # holders 1..6 get tokens; 7..9 never do, so their transfers revert
            node.send(self.transfer_call(self.accounts[0], holder, 10**21))
            node.mine(1)

    def transfer_call(self, sender, receiver, amount):
        data = "0x" + TRANSFER_SELECTOR + bytes.fromhex(receiver[2:]).rjust(32, b"\0").hex() + amount.to_bytes(32, "big").hex()
        return {"from": sender, "to": self.token, "data": data, "gas": 100_000, "value": 0}

    def block(self, reverting=False):
        """One block of ether transfers, token transfers and (when asked) a reverting token transfer."""
        senders = self.rng.sample(self.accounts[1:7], self.rng.randrange(2, 6))
        for sender in senders:
            receiver = self.rng.choice(self.accounts)
            if self.rng.random() < 0.5:
                self.node.send({"from": sender, "to": receiver, "value": self.rng.randrange(1, 10**18), "gas": 21_000})
            else:
                self.node.send(self.transfer_call(sender, receiver, self.rng.randrange(1, 10**18)))
        if reverting:
            self.node.send(self.transfer_call(self.rng.choice(self.accounts[7:]), self.accounts[1], 10**18))
        return self.node.mine(1)


def in_sync(port, node, explain=False):
    items = stored(port)
    live = {txid for txid, item in items.items() if item["status"] in ("confirmed", "failed")}
    canonical = node.chain_txids(START)
    if explain:
        print(f"    stored {len(items)}, live {len(live)}; canonical {len(canonical)}, ever mined {len(node.mined_txids)}; "
              f"missing {len(canonical - live)}, extra {len(live - canonical)}")
        for letter in get(port, "/api/v1/dead-letters")["items"][:3]:
            print(f"    dead letter: {letter['reason'][:160]}")
    return live == canonical and set(items) == node.mined_txids


def expected_transfers(receipt):
    return [{"token": to_checksum_address(log["address"]), "from": to_checksum_address("0x" + log["topics"][1][-40:]),
             "to": to_checksum_address("0x" + log["topics"][2][-40:]), "value": int(log["data"], 16), "log_index": log["log_index"]}
            for log in receipt["logs"] if len(log["topics"]) == 3 and log["topics"][0] == TRANSFER_TOPIC]


def mismatches(port, node):
    """Every canonical transaction compared field by field with the chain's own block and receipt."""
    items, wrong = stored(port), []
    for number in range(START, node.head() + 1):
        block = node.block(number)
        for tx in block["transactions"]:
            receipt, item = node.receipt(tx["hash"]), items.get(tx["hash"][2:])
            if item is None:
                wrong.append((tx["hash"], "missing"))
                continue
            transfers = [{"token": t["token"], "from": t["from"], "to": t["to"], "value": int(t["value"]), "log_index": t["log_index"]}
                         for t in item["token_transfers"]]
            checks = {
                "status": item["status"] == ("confirmed" if receipt["status"] == 1 else "failed"),
                "from": item["from"] == tx["from"],
                "to": item.get("to") == (tx["to"] or None),
                "value": int(item["value"]) == tx["value"],
                "fee": int(item["fee"]) == receipt["gas_used"] * receipt["effective_gas_price"],
                "block": item["block"]["height"] == number and item["block"]["hash"] == block["hash"][2:],
                "token_transfers": transfers == expected_transfers(receipt),
                "verified_checks": item["verified_checks"] == ["block_hash", "receipts"],
            }
            wrong.extend((tx["hash"], field) for field, ok in checks.items() if not ok)
    return wrong


def counted(metrics, kind):
    return re.search(r'csic_errors_total\{[^}]*kind="%s"[^}]*source="ethereum"[^}]*\} [1-9]' % kind, metrics) \
        or re.search(r'csic_errors_total\{[^}]*source="ethereum"[^}]*kind="%s"[^}]*\} [1-9]' % kind, metrics)


def write_config(path, workdir, port, node, poll_seconds=0.2, ws_url=None, chain_id=None):
    """The first node of the list never answers (failover); `ws_url` subscribes to newHeads."""
    dead = f"http://127.0.0.1:{free_port()}/"
    chain_id = chain_id or int(node.answer("eth_chainId", []), 16)
    extra = f', ws_url: "{ws_url}"' if ws_url else ""
    with open(path, "w") as out:
        out.write(f"""data_dir: {workdir}/data
roles: [ingest, process, api]
http: {{ host: 127.0.0.1, port: {port} }}
grpc: {{ port: 0 }}
ethereum: {{ rpc_urls: ["{dead}", "{node.url}"], chain_id: {chain_id},
            start_height: {START}, confirmations: 1, poll_seconds: {poll_seconds}{extra} }}
""")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(20261125)
    workdir = tempfile.mkdtemp(prefix="csic-ethereum-")
    node = EthereumTestNode().start()
    chain = Chain(node, rng)
    for index in range(6):
        chain.block(reverting=index % 3 == 0)
    node.block_receipts = False
    port = free_port()
    config = os.path.join(workdir, "csic.yaml")
    write_config(config, workdir, port, node)
    # The token's issuer is on the SDN list (OFAC lists USDT addresses): what it sent the holders is exposure.
    with open(os.path.join(workdir, "SDN.CSV"), "w") as out:
        out.write(f'90012,"TEST TOKEN ISSUER","-0- ","CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
                  f'"Digital Currency Address - USDT {chain.accounts[0]}"\n')
    code, output = run_csic(args.binary, "import", "sanctions", os.path.join(workdir, "SDN.CSV"), "--config", config)
    results.check(code == 0 and "1 tags imported" in output, f"csic import sanctions: {output.strip()}")
    serve = Serve(args.binary, config, os.path.join(workdir, "csic.log"))
    serve.start()
    try:
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up")
        synced = wait_until(lambda: in_sync(port, node), 60)
        in_sync(port, node, explain=True)
        results.check(synced, f"initial sync from height {START} (first node unreachable: failover): "
                              f"{len(node.chain_txids(START))} transactions of {node.head()} blocks")
        results.check(node.calls["eth_getBlockReceipts"] == 1 and node.calls["eth_getTransactionReceipt"] > 0,
                      f"a node without eth_getBlockReceipts is asked once, then per transaction "
                      f"({node.calls['eth_getTransactionReceipt']} eth_getTransactionReceipt calls)")
        node.block_receipts = True
        items = stored(port)
        results.check(any(item["status"] == "failed" for item in items.values()), "reverting token transfers are stored as failed")
        creation = items.get(chain.deployment[2:])
        results.check(creation is not None and creation.get("to") is None and creation["token_transfers"][0]["from"] == "0x" + "0" * 40,
                      "the contract creation has no recipient and carries the mint's Transfer")
        wrong = mismatches(port, node)
        results.check(not wrong, f"every transaction's status, from, to, wei value, fee, block and token transfers equal the chain's {wrong[:3]}")

        def token_exposure():
            items = get(port, "/api/v1/findings?typology=sanctioned_exposure&limit=1000")["items"]
            return {f["subject"].lower(): f for f in items if f["evidence"].get("hops") == "1" and f["evidence"].get("token")}
        holders = {holder.lower() for holder in chain.accounts[1:7]}
        results.check(wait_until(lambda: set(token_exposure()) >= holders, 30),
                      f"the holders paid in tokens by the listed issuer are exposed: {sorted(token_exposure())}")
        results.check(set(token_exposure()) == holders and all(
                          f["evidence"]["token"].lower() == chain.token.lower() and f["evidence"]["token_amount"] == str(10**21)
                          and "amount" not in f for f in token_exposure().values()),
                      f"each with the token and its amount in the evidence, no coin amount; not the mint's zero address: "
                      f"{[(s, f['evidence'].get('token_amount')) for s, f in token_exposure().items()]}")
        subjects = {f["subject"].lower() for f in get(port, "/api/v1/findings?limit=1000")["items"]}
        results.check(chain.token.lower() not in subjects, "the token contract, called with no ether, is not exposed")

        for _ in range(4):
            chain.block(reverting=rng.random() < 0.5)
            time.sleep(rng.uniform(0.0, 1.0))
            serve.kill()
            serve.start()
        results.check(wait_until(lambda: in_sync(port, node), 90),
                      f"after 4 SIGKILL restarts while mining: exactly the {len(node.chain_txids(START))} canonical transactions")
        results.check(node.calls["eth_getBlockReceipts"] > 1, "after a restart the adapter asks eth_getBlockReceipts again")

        fork = node.snapshot()
        for _ in range(3):
            chain.block()
        results.check(wait_until(lambda: in_sync(port, node), 60), "three more blocks applied")
        before = node.chain_txids(START)
        node.revert(fork)
        for _ in range(4):
            chain.block(reverting=True)
        orphaned = before - node.chain_txids(START)
        results.check(wait_until(lambda: in_sync(port, node), 60), "reorg of depth 3 (replaced by 4 blocks): the new branch is applied")
        reverted = {txid for txid, item in stored(port).items() if item["status"] == "reverted"}
        results.check(reverted == orphaned and len(orphaned) > 0,
                      f"the {len(orphaned)} transactions only in the orphaned blocks are stored as reverted, nothing else")
        wrong = mismatches(port, node)
        results.check(not wrong, f"after the reorg every canonical transaction still equals the chain's {wrong[:3]}")

        node.fail_next = 6
        chain.block()
        results.check(wait_until(lambda: in_sync(port, node), 60), "node answering 503 six times: retried, then synced")
        node.malformed_next = 2
        chain.block()
        results.check(wait_until(lambda: in_sync(port, node), 60), "node answering malformed JSON twice: retried, then synced")
        metrics = get(port, "/metrics")
        results.check(counted(metrics, "node_unavailable") and counted(metrics, "node_error"), "outages and malformed answers are counted in /metrics")

        node.tamper_height = node.head() + 1
        tampered = node.block(node.tamper_height - 1)
        chain.block()
        results.check(wait_until(lambda: any(letter["source"] == "ethereum" for letter in get(port, "/api/v1/dead-letters")["items"]), 60),
                      "a block whose header does not hash to its hash is dead-lettered")
        letters = [letter for letter in get(port, "/api/v1/dead-letters")["items"] if letter["source"] == "ethereum"]
        results.check(letters and "header hashes to" in letters[0]["reason"], f"dead letter reason: {letters[0]['reason'][:120] if letters else None}")
        bad = {tx["hash"][2:] for tx in node.block(node.tamper_height)["transactions"]}
        results.check(tampered is not None and not bad & set(stored(port)), "the tampered block is not applied (nor skipped)")
        node.tamper_height = None
        chain.block()
        results.check(wait_until(lambda: in_sync(port, node), 60), "once the node serves the block intact, the adapter continues from it")

        metrics = get(port, "/metrics")
        count = re.search(r'csic_chain_sync_latency_seconds_count\{chain="ethereum"\} (\d+)', metrics)
        within = re.search(r'csic_chain_sync_latency_seconds_bucket\{chain="ethereum",le="30\.0"\} (\d+)', metrics)
        results.check(count and within and int(count.group(1)) > 0 and within.group(1) == count.group(1),
                      f"sync latency: {within.group(1) if within else '?'} of {count.group(1) if count else '?'} blocks published within 30 s of their block time")
        for line in metrics.splitlines():
            if line.startswith('csic_chain_sync_latency_seconds_bucket{chain="ethereum"') and 'le="+Inf"' not in line:
                print("   ", line)

        # newHeads over WebSocket: with polling every 60 s, only the subscription can bring a block quickly.
        serve.stop()
        write_config(config, workdir, port, node, poll_seconds=60, ws_url=node.ws_url)
        subscriptions = node.calls["eth_subscribe"]
        serve.start()
        results.check(wait_until(lambda: node.calls["eth_subscribe"] > subscriptions, 30), "the adapter subscribes to newHeads over WebSocket")
        time.sleep(1)
        chain.block()
        started = time.time()
        synced = wait_until(lambda: in_sync(port, node), 20)
        results.check(synced and time.time() - started < 10,
                      f"a newHeads notification brings the new block in {time.time() - started:.1f} s (poll interval 60 s)")

        serve.stop()
        write_config(config, workdir, port, node, chain_id=1)
        serve.start()
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up, configured for mainnet")
        chain.block()
        time.sleep(3)
        results.check(not in_sync(port, node) and counted(get(port, "/metrics"), "wrong_chain"),
                      "a node on another chain (eth_chainId) is not read, and that is counted")
    finally:
        serve.stop()
        node.stop()
    return results.finish("ethereum_adapter")


if __name__ == "__main__":
    sys.exit(main())
