"""A Bitcoin Core-compatible JSON-RPC test node on loopback: HTTP basic auth and the calls the adapter makes
(getblockchaininfo, getbestblockhash, getblockhash, getblock <hash> 0 and 3), over a chain of generated blocks
that a test can extend and reorganise. Stale blocks stay retrievable by hash, as in Bitcoin Core. Inputs that
spend no output of this chain spend "pre-chain" outputs the node invents with values that balance the
transaction, and reports like Core's undo data (`prevout` in verbosity 3)."""
import base64
import json
import re
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import zmq
from bitcoin.core import b2lx

from bitcoin_blocks import generated_block


class BitcoinTestNode:
    def __init__(self, seed=1, user="csic", password="test-secret", transactions=12):
        self.rng = random.Random(seed)
        self.user, self.password = user, password
        self.transactions = transactions
        self.chain = []           # best chain, height = index
        self.blocks = {}          # every block ever served, by display hash
        self.heights = {}         # display hash -> height
        self.outputs = {}         # (txid bytes, n) -> (value, script bytes): every output of every block, and pre-chain ones
        self.lock = threading.Lock()
        self.fail_next = 0        # answer this many requests with HTTP 503
        self.corrupt_hashes = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # Bitcoin Core's -zmqpubhashblock: [b"hashblock", hash in display order, 4-byte little-endian sequence].
        # An XPUB socket (a PUB that also reports subscriptions) lets a test wait until a subscriber is there.
        self.zmq_context = zmq.Context()
        self.publisher = self.zmq_context.socket(zmq.XPUB)
        self.zmq_port = self.publisher.bind_to_random_port("tcp://127.0.0.1")
        self.zmq_sequence = 0
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def serve_config(self, workdir, port, start_height, extra_urls=()):
        """A `csic serve` configuration with every role on loopback, following this node (after `extra_urls`)."""
        urls = ", ".join(f'"{url}"' for url in [*extra_urls, self.url.replace("http://", f"http://{self.user}:{self.password}@")])
        return f"""data_dir: {workdir}/data
roles: [ingest, process, api]
http: {{ host: 127.0.0.1, port: {port} }}
grpc: {{ port: 0 }}
bitcoin: {{ rpc_urls: [{urls}],
           network: regtest, start_height: {start_height}, confirmations: 1, poll_seconds: 0.2 }}
"""

    def start(self):
        self.thread.start()
        return self

    def wait_for_subscriber(self, topic=b"hashblock", timeout=60):
        if self.publisher.poll(timeout * 1000) == 0:
            return False
        return self.publisher.recv() == b"\x01" + topic

    @property
    def zmq_endpoint(self):
        return f"tcp://127.0.0.1:{self.zmq_port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.publisher.close(linger=0)
        self.zmq_context.term()

    def mine(self, count, extra=(), at=None):
        """Mines `count` blocks; the first also carries the `extra` transactions (a test's own). Block times are
        `at` (Unix seconds), one second apart, when given; else the wall clock."""
        with self.lock:
            for number in range(count):
                previous = self.chain[-1].GetHash() if self.chain else bytes(32)
                spendable = [(tx.GetTxid(), 0, tx.vout[0].nValue) for tx in self.chain[-1].vtx[1:4]] if self.chain else []
                block = generated_block(self.rng, previous, transactions=self.transactions, spendable=spendable,
                                        time=int(time.time()) if at is None else at + number,
                                        extra=extra if number == 0 else ())
                self._balance(block)
                self.heights[b2lx(block.GetHash())] = len(self.chain)
                self.chain.append(block)
                self.blocks[b2lx(block.GetHash())] = block
                self.publisher.send_multipart([b"hashblock", block.GetHash()[::-1], self.zmq_sequence.to_bytes(4, "little")])
                self.zmq_sequence += 1

    def _balance(self, block):
        for tx in block.vtx[1:]:
            unknown = [vin.prevout for vin in tx.vin if (vin.prevout.hash, vin.prevout.n) not in self.outputs]
            known = sum(self.outputs[(vin.prevout.hash, vin.prevout.n)][0] for vin in tx.vin
                        if (vin.prevout.hash, vin.prevout.n) in self.outputs)
            needed = sum(out.nValue for out in tx.vout) + 10_000 - known
            for prevout in unknown:
                script = b"\x00\x14" + self.rng.randbytes(20)
                self.outputs[(prevout.hash, prevout.n)] = (max(1_000, -(-needed // len(unknown))), script)
        for tx in block.vtx:
            for n, out in enumerate(tx.vout):
                self.outputs[(tx.GetTxid(), n)] = (out.nValue, bytes(out.scriptPubKey))

    def fund(self, txid, n, value, script):
        """Declares a pre-chain output (what the node's `getblock 3` reports it spends)."""
        with self.lock:
            self.outputs[(txid, n)] = (value, script)

    def reorg(self, depth, new_blocks, at=None):
        """Replaces the top `depth` blocks with `new_blocks` others (a competing branch)."""
        with self.lock:
            del self.chain[-depth:]
        self.mine(new_blocks, at=at)

    def best_chain_txids(self, start=0):
        with self.lock:
            return {b2lx(tx.GetTxid()) for block in self.chain[start:] for tx in block.vtx}

    def all_txids(self, start=0):
        with self.lock:
            return {b2lx(tx.GetTxid()) for hash, block in self.blocks.items() if self.heights[hash] >= start for tx in block.vtx}

    def spent_value(self, txid_hex, n):
        from bitcoin.core import lx
        with self.lock:
            return self.outputs[(lx(txid_hex), n)][0]

    def _verbose(self, block):
        transactions = []
        for tx in block.vtx:
            vin = []
            for txin in tx.vin:
                if txin.prevout.is_null():
                    vin.append({"coinbase": bytes(txin.scriptSig).hex(), "sequence": txin.nSequence})
                    continue
                value, script = self.outputs[(txin.prevout.hash, txin.prevout.n)]
                vin.append({"txid": b2lx(txin.prevout.hash), "vout": txin.prevout.n,
                            "prevout": {"value": RawNumber(f"{value // 100_000_000}.{value % 100_000_000:08d}"),
                                        "scriptPubKey": {"hex": script.hex()}}})
            transactions.append({"txid": b2lx(tx.GetTxid()), "vin": vin})
        return {"hash": b2lx(block.GetHash()), "tx": transactions}

    def _answer(self, method, params):
        with self.lock:
            if method == "getblockchaininfo":
                return {"chain": "regtest", "blocks": len(self.chain) - 1, "bestblockhash": b2lx(self.chain[-1].GetHash())}
            if method == "getbestblockhash":
                return b2lx(self.chain[-1].GetHash())
            if method == "getblockhash":
                height = params[0]
                if not isinstance(height, int) or not 0 <= height < len(self.chain):
                    raise RPCError(-8, "Block height out of range")
                return b2lx(self.chain[height].GetHash())
            if method == "getblock":
                block = self.blocks.get(params[0])
                if block is None:
                    raise RPCError(-5, "Block not found")
                raw = bytearray(block.serialize())
                if params[0] in self.corrupt_hashes:
                    raw[-1] ^= 0xFF
                verbosity = params[1] if len(params) > 1 else 1
                if verbosity == 0:
                    return raw.hex()
                if verbosity == 3:
                    return self._verbose(block)
                raise RPCError(-8, "verbosity 1 and 2 are not served by this test node")
        raise RPCError(-32601, "Method not found")

    def _handler(self):
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                expected = "Basic " + base64.b64encode(f"{node.user}:{node.password}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._send(401, b"")
                if node.fail_next > 0:
                    node.fail_next -= 1
                    return self._send(503, b"Work queue depth exceeded")
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    body = {"result": node._answer(request["method"], request.get("params", [])), "error": None, "id": request.get("id")}
                    payload = RawNumber.dumps(body)
                    status = 200
                except RPCError as error:
                    body = {"result": None, "error": {"code": error.code, "message": error.message}, "id": request.get("id")}
                    status = 404 if error.code == -5 else 500
                    payload = json.dumps(body)
                self._send(status, payload.encode())

            def _send(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


class RawNumber(str):
    """A JSON number written exactly as given (Bitcoin Core prints amounts as 8-decimal numbers)."""

    @staticmethod
    def dumps(value):
        def encode(item):
            if isinstance(item, RawNumber):
                return "@raw:" + item
            if isinstance(item, dict):
                return {key: encode(inner) for key, inner in item.items()}
            if isinstance(item, list):
                return [encode(inner) for inner in item]
            return item
        return re.sub(r'"@raw:([0-9.]+)"', r"\1", json.dumps(encode(value)))


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message
