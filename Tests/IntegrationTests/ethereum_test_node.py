#!/usr/bin/env python3
"""A real EVM chain for the Ethereum adapter's tests: eth-tester with py-evm behind an Ethereum JSON-RPC 2.0
HTTP endpoint (eth_chainId, eth_blockNumber, eth_getBlockByNumber, eth_getBlockReceipts,
eth_getTransactionReceipt) and a WebSocket endpoint for eth_subscribe("newHeads"), both on 127.0.0.1.
Blocks are mined on demand; snapshots give reorgs. Faults can be injected: HTTP 503s, malformed JSON, a
block with a tampered header, a node without eth_getBlockReceipts."""
import asyncio
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_tester import EthereumTester, PyEVMBackend
from websockets.asyncio.server import serve


def quantity(value):
    return hex(value)


def rpc_transaction(tx):
    return {
        "hash": tx["hash"], "from": tx["from"], "to": tx["to"] or None, "value": quantity(tx["value"]),
        "nonce": quantity(tx["nonce"]), "gas": quantity(tx["gas"]), "input": tx["data"], "type": tx["type"],
        "blockHash": tx["block_hash"], "blockNumber": quantity(tx["block_number"]),
        "transactionIndex": quantity(tx["transaction_index"]), "chainId": quantity(tx["chain_id"]),
        "maxFeePerGas": quantity(tx["max_fee_per_gas"]), "maxPriorityFeePerGas": quantity(tx["max_priority_fee_per_gas"]),
        "gasPrice": quantity(tx["gas_price"]), "v": quantity(tx["v"]), "r": quantity(tx["r"]), "s": quantity(tx["s"]),
    }


def rpc_block(block, header):
    """`block` as eth-tester normalizes it, `header` as py-evm hashed it (eth-tester pads extraData to 32 bytes)."""
    return {
        "number": quantity(block["number"]), "hash": block["hash"], "parentHash": block["parent_hash"],
        "sha3Uncles": block["sha3_uncles"], "miner": block["coinbase"], "stateRoot": block["state_root"],
        "transactionsRoot": block["transactions_root"], "receiptsRoot": block["receipts_root"],
        "logsBloom": "0x" + block["logs_bloom"].to_bytes(256, "big").hex(), "difficulty": quantity(block["difficulty"]),
        "gasLimit": quantity(block["gas_limit"]), "gasUsed": quantity(block["gas_used"]),
        "timestamp": quantity(block["timestamp"]), "extraData": "0x" + header.extra_data.hex(), "mixHash": block["mix_hash"],
        "nonce": block["nonce"], "baseFeePerGas": quantity(block["base_fee_per_gas"]),
        "withdrawalsRoot": block["withdrawals_root"], "blobGasUsed": quantity(block["blob_gas_used"]),
        "excessBlobGas": quantity(block["excess_blob_gas"]), "parentBeaconBlockRoot": block["parent_beacon_block_root"],
        "requestsHash": block["requests_hash"], "size": quantity(block["size"]), "uncles": [], "withdrawals": [],
        "transactions": [rpc_transaction(tx) for tx in block["transactions"]],
    }


def rpc_receipt(receipt):
    return {
        "transactionHash": receipt["transaction_hash"], "blockHash": receipt["block_hash"],
        "blockNumber": quantity(receipt["block_number"]), "transactionIndex": quantity(receipt["transaction_index"]),
        "from": receipt["from"], "to": receipt["to"] or None, "contractAddress": receipt["contract_address"],
        "status": quantity(receipt["status"]), "gasUsed": quantity(receipt["gas_used"]),
        "cumulativeGasUsed": quantity(receipt["cumulative_gas_used"]),
        "effectiveGasPrice": quantity(receipt["effective_gas_price"]), "type": receipt["type"],
        "logs": [{"address": log["address"], "topics": list(log["topics"]), "data": log["data"],
                  "logIndex": quantity(log["log_index"]), "transactionHash": log["transaction_hash"],
                  "blockHash": log["block_hash"], "blockNumber": quantity(log["block_number"]), "removed": False}
                 for log in receipt["logs"]],
    }


class EthereumTestNode:
    def __init__(self):
        self.tester = EthereumTester(PyEVMBackend())
        self.tester.disable_auto_mine_transactions()
        self.lock = threading.RLock()
        self.calls = Counter()
        self.fail_next = 0          # answer this many calls with HTTP 503
        self.malformed_next = 0     # answer this many calls with a body that is not JSON
        self.tamper_height = None   # serve this block with a changed header field (its hash no longer matches)
        self.block_receipts = True  # False: eth_getBlockReceipts is "method not found"
        self.mined_txids = set()    # every transaction ever mined, orphans included (without 0x)
        self.subscribers = set()
        self.loop = asyncio.new_event_loop()

    # --- chain ---------------------------------------------------------------------------------
    @property
    def accounts(self):
        return self.tester.get_accounts()

    def send(self, transaction):
        """Queues a transaction for the next block; eth-tester checks nonces against the mined state, so
        one transaction per sender per block."""
        with self.lock:
            return self.tester.send_transaction(transaction)

    def mine(self, count=1):
        with self.lock:
            hashes = self.tester.mine_blocks(count)
            for block_hash in hashes:
                block = self.tester.get_block_by_hash(block_hash, full_transactions=True)
                self.mined_txids.update(tx["hash"][2:] for tx in block["transactions"])
            head = self.tester.get_block_by_number("latest")
        self.announce(head)
        return hashes

    def snapshot(self):
        with self.lock:
            return self.tester.take_snapshot()

    def revert(self, snapshot):
        with self.lock:
            self.tester.revert_to_snapshot(snapshot)

    def head(self):
        with self.lock:
            return self.tester.get_block_by_number("latest")["number"]

    def block(self, number):
        with self.lock:
            return self.tester.get_block_by_number(number, full_transactions=True)

    def receipt(self, txhash):
        with self.lock:
            return self.tester.get_transaction_receipt(txhash)

    def chain_txids(self, start):
        """Transaction hashes of the canonical chain from `start` (without 0x)."""
        with self.lock:
            return {tx["hash"][2:] for n in range(start, self.head() + 1)
                    for tx in self.tester.get_block_by_number(n, full_transactions=True)["transactions"]}

    # --- JSON-RPC ------------------------------------------------------------------------------
    def answer(self, method, params):
        self.calls[method] += 1
        with self.lock:
            if method == "eth_chainId":
                return quantity(self.tester.backend.chain.chain_id)
            if method == "eth_blockNumber":
                return quantity(self.head())
            if method == "eth_getBlockByNumber":
                number = int(params[0], 16)
                if number > self.head():
                    return None
                found = self.tester.get_block_by_number(number, full_transactions=True)
                block = rpc_block(found, self.tester.backend.chain.chaindb.get_block_header_by_hash(bytes.fromhex(found["hash"][2:])))
                if number == self.tamper_height:
                    block["gasLimit"] = quantity(int(block["gasLimit"], 16) + 1)
                return block
            if method == "eth_getBlockReceipts":
                if not self.block_receipts:
                    raise RPCError(-32601, "the method eth_getBlockReceipts does not exist/is not available")
                block = self.tester.get_block_by_hash(params[0], full_transactions=True)
                return [rpc_receipt(self.tester.get_transaction_receipt(tx["hash"])) for tx in block["transactions"]]
            if method == "eth_getTransactionReceipt":
                return rpc_receipt(self.tester.get_transaction_receipt(params[0]))
        raise RPCError(-32601, f"the method {method} does not exist/is not available")

    def start(self):
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if node.fail_next > 0:
                    node.fail_next -= 1
                    return self.reply(503, b"node overloaded")
                if node.malformed_next > 0:
                    node.malformed_next -= 1
                    return self.reply(200, b'{"jsonrpc": "2.0", "id": 1, "result": {"number": ')
                try:
                    body = {"jsonrpc": "2.0", "id": request.get("id"), "result": node.answer(request["method"], request.get("params", []))}
                except RPCError as error:
                    body = {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": error.code, "message": error.message}}
                self.reply(200, json.dumps(body).encode())

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        ready = threading.Event()
        threading.Thread(target=self.run_websocket, args=(ready,), daemon=True).start()
        ready.wait(10)
        return self

    # --- WebSocket: eth_subscribe("newHeads") ------------------------------------------------------
    def run_websocket(self, ready):
        asyncio.set_event_loop(self.loop)

        async def session(connection):
            async for text in connection:
                request = json.loads(text)
                if request.get("method") == "eth_subscribe" and request.get("params") == ["newHeads"]:
                    await connection.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x9cef478923ff08bf67fde6c64013158d"}))
                    self.subscribers.add(connection)
                    self.calls["eth_subscribe"] += 1

        async def main():
            async with serve(session, "127.0.0.1", 0) as server:
                self.ws_url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
                ready.set()
                await asyncio.Future()

        self.loop.run_until_complete(main())

    def announce(self, head):
        note = json.dumps({"jsonrpc": "2.0", "method": "eth_subscription", "params": {
            "subscription": "0x9cef478923ff08bf67fde6c64013158d",
            "result": {"number": quantity(head["number"]), "hash": head["hash"], "parentHash": head["parent_hash"]}}})

        async def broadcast():
            for connection in list(self.subscribers):
                try:
                    await connection.send(note)
                except Exception:
                    self.subscribers.discard(connection)

        asyncio.run_coroutine_threadsafe(broadcast(), self.loop).result(10)

    def stop(self):
        self.http.shutdown()
        self.loop.call_soon_threadsafe(self.loop.stop)


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message
