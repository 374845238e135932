#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target (Tests/Fuzz/corpus/<target>/seed-*) from real inputs: the
mainnet blocks of Tests/Fixtures/bitcoin, the ZMTP bytes Bitcoin Core's publisher sends, Ethereum node
answers in the shapes geth returns, the reference-data fixtures (a TagPack, OFAC's SDN files), and a real event-log segment, record values and a checkpoint note taken
from a `csic demo` data directory (`--data-dir`, made with `csic demo --count 200 --seed 11 --duration 6`).
Files named regression-* are inputs that once crashed a parser; this script never touches them."""
import argparse
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..")
CORPUS = os.path.join(ROOT, "Tests", "Fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"seed-{name}"), "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())


def zmtp_frame(body, command=False, more=False):
    flags = (0x04 if command else 0) | (0x01 if more else 0)
    if len(body) > 255:
        return bytes([flags | 0x02]) + len(body).to_bytes(8, "big") + body
    return bytes([flags, len(body)]) + body


def zmtp_seeds(genesis):
    greeting = bytes([0xFF] + [0] * 8 + [0x7F, 3, 0]) + b"NULL" + bytes(16) + bytes([0]) + bytes(31)
    ready = zmtp_frame(b"\x05READY" + b"\x0bSocket-Type" + (3).to_bytes(4, "big") + b"PUB", command=True)
    message = zmtp_frame(b"rawblock", more=True) + zmtp_frame(genesis, more=True) + zmtp_frame((7).to_bytes(4, "little"))
    hashblock = zmtp_frame(b"hashblock", more=True) + zmtp_frame(bytes(range(32)), more=True) + zmtp_frame((8).to_bytes(4, "little"))
    for chunk in (0, 7, 63):
        write("zmtp", f"session-chunk{chunk + 1}", bytes([chunk]) + greeting + ready + message + hashblock)


def ethereum_seeds():
    zero = lambda n: "0x" + "00" * n  # noqa: E731
    digit = lambda d: "0x" + d * 64  # noqa: E731
    alice, bob, token = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    topic = lambda a: "0x" + "0" * 24 + a[2:]  # noqa: E731
    block = {"number": "0x12d687", "hash": digit("a"), "parentHash": digit("b"), "timestamp": "0x6553f100",
             "sha3Uncles": zero(32), "miner": zero(20), "stateRoot": zero(32), "transactionsRoot": zero(32), "receiptsRoot": zero(32),
             "logsBloom": zero(256), "difficulty": "0x0", "gasLimit": "0x1c9c380", "gasUsed": "0x0", "extraData": "0x",
             "mixHash": zero(32), "nonce": zero(8), "baseFeePerGas": "0x7",
             "transactions": [{"hash": digit("1"), "from": alice, "to": bob, "value": "0xde0b6b3a7640000"},
                              {"hash": digit("2"), "from": alice, "to": token, "value": "0x0"}]}
    receipts = [{"transactionHash": digit("1"), "status": "0x1", "gasUsed": "0x5208", "effectiveGasPrice": "0x3b9aca00", "logs": []},
                {"transactionHash": digit("2"), "status": "0x1", "gasUsed": "0xb411", "effectiveGasPrice": "0x3b9aca00",
                 "logs": [{"address": token, "topics": [transfer, topic(alice), topic(bob)],
                           "data": "0x" + "0" * 46 + "3635c9adc5dea00000", "logIndex": "0x7"}]}]
    write("ethereum-block", "block-and-receipts", json.dumps({"block": block, "receipts": receipts}))
    write("json-rpc-answer", "eth-block", b"\x00" + json.dumps({"jsonrpc": "2.0", "id": 1, "result": block}).encode())
    write("json-rpc-answer", "eth-receipts", b"\x00" + json.dumps({"jsonrpc": "2.0", "id": 1, "result": receipts}).encode())
    write("json-rpc-answer", "busy", b"\x03" + json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -28, "message": "Loading block index..."}}).encode())
    write("json-rpc-answer", "blockchaininfo", b"\x00" + json.dumps(
        {"result": {"chain": "main", "blocks": 870000, "headers": 870000, "bestblockhash": "00" * 32, "initialblockdownload": False},
         "error": None, "id": 1}).encode())
    write("ethereum-subscription", "new-head", json.dumps(
        {"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0x9ce59a13059e417087c02d3236a0b1cc",
                                                                    "result": {"number": "0x1b4", "hash": digit("c")}}}))
    write("ethereum-subscription", "subscribed", '{"jsonrpc":"2.0","id":1,"result":"0x9ce59a13059e417087c02d3236a0b1cc"}')


def log_seeds(data_dir):
    segment = os.path.join(data_dir, "log", "topics", "transactions", "0", "00000000000000000000.log")
    data = open(segment, "rb").read()
    # The first few whole batches (each: magic, length u32 LE, ...), and the values of their records.
    position, batches = 0, 0
    while position + 8 <= len(data) and batches < 4:
        position += 8 + int.from_bytes(data[position + 4:position + 8], "little")
        batches += 1
    write("log-batches", "transactions-segment", data[:position])
    offset, count = 40, 0
    while offset < position and count < 6:
        key_length = int.from_bytes(data[offset + 8:offset + 12], "little")
        value_start = offset + 12 + key_length + 4
        value_length = int.from_bytes(data[offset + 12 + key_length:value_start], "little")
        write("protobuf-records", f"transaction-{count}", data[value_start:value_start + value_length])
        offset = value_start + value_length
        count += 1
        if offset >= int.from_bytes(data[4:8], "little") + 8:
            break
    notes = open(os.path.join(data_dir, "audit", "checkpoints.log"), "rb").read()
    length = int.from_bytes(notes[:4], "big")
    write("witness-request", "from-zero", b"old 0\n\n" + notes[4:4 + length])


def configuration_seeds():
    """The configuration file documented in the README, and small variations of it."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    start = readme.index("```yaml\ndata_dir:") + len("```yaml\n")
    documented = readme[start:readme.index("```", start)]
    write("configuration", "readme", documented)
    write("configuration", "demo", "data_dir: ./csic-data\nsimulator: { enabled: true, seed: 7, count: 100, rate: 50 }\n")
    write("configuration", "witness", "audit: { witnesses: [\"http://127.0.0.1:9000 witness.example+0a1b2c3d+BAAA\"], "
          "segment_entries: 8, checkpoint_seconds: 0.5 }\nlog: { partitions: 2, retention_bytes_per_partition: 1048576 }\n")


def api_seeds():
    """Requests the integration tests and the README send: method index (GET 0, POST 1), target, body."""
    txid = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    requests = [
        (0, "/health", b""), (0, "/metrics", b""), (0, "/", b""), (0, "/api/v1/stats", b""),
        (0, f"/api/v1/transactions/{txid}", b""),
        (0, "/api/v1/transactions?address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa&limit=10", b""),
        (0, "/api/v1/transactions?limit=2&cursor=eyJ0IjoxfQ", b""),
        (0, "/api/v1/dead-letters?source=transactions&limit=5", b""),
        (0, "/api/v1/audit/checkpoint", b""),
        (0, "/api/v1/audit/records?action=http.GET%20/api/v1/transactions/%7Bid%7D&q=peel&limit=5", b""),
        (0, "/api/v1/audit/records?q=a%00b%00&from=2026-11-25T00:00:00Z&to=2026-12-25T00:00:00Z", b""),
        (0, "/api/v1/audit/records/fuzz-3", b""),
        (0, "/api/v1/retention", b""),
        (1, "/api/v1/retention/holds",
         json.dumps({"record_class": "transactions", "subject": txid, "reason": "case 2026-17", "case_reference": "REG-17"}).encode()),
        (1, "/api/v1/retention/holds/0d6f1c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f/release", b""),
    ]
    for number, (method, target, body) in enumerate(requests):
        write("api-request", f"{number:02d}", bytes([method]) + target.encode() + b"\n" + body)


def reference_data_seeds():
    """The reference-data fixtures (a TagPack, OFAC's SDN.CSV and SDN_ADVANCED.XML) and an XGBoost model."""
    fixtures = os.path.join(ROOT, "Tests", "Fixtures")
    for target, path in (("tagpack", "tagpacks/exchanges.yaml"), ("sdn-csv", "ofac/SDN.CSV"), ("sdn-csv", "ofac/SDN_COMMENTS.CSV"),
                         ("sdn-advanced-xml", "ofac/SDN_ADVANCED.XML"), ("xgboost-model", "xgboost/binary-logistic.json")):
        with open(os.path.join(fixtures, path), "rb") as file:
            write(target, os.path.basename(path).lower().replace(".", "-"), file.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True, help="a csic demo data directory to take real log and audit bytes from")
    args = parser.parse_args()
    fixtures = os.path.join(ROOT, "Tests", "Fixtures", "bitcoin")
    blocks = {name: bytes.fromhex(open(os.path.join(fixtures, name)).read().strip())
              for name in sorted(os.listdir(fixtures)) if name.endswith(".hex")}
    for name, block in blocks.items():
        write("bitcoin-block", name[:-4], block)
    genesis = blocks["mainnet-000000-genesis.hex"]
    write("bitcoin-blk-file", "two-records", b"".join(
        bytes.fromhex("f9beb4d9") + len(block).to_bytes(4, "little") + block for block in list(blocks.values())[:2]))
    zmtp_seeds(genesis)
    ethereum_seeds()
    log_seeds(args.data_dir)
    configuration_seeds()
    api_seeds()
    reference_data_seeds()


if __name__ == "__main__":
    main()
