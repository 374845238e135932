import AsyncHTTPClient
import CSICCore
import Foundation
import NIOCore

/// How the adapter authenticates to Bitcoin Core's JSON-RPC server.
public enum BitcoinRPCCredentials: Sendable, Hashable {
    /// `rpcuser` / `rpcpassword`.
    case password(user: String, password: String)
    /// The `.cookie` file Bitcoin Core writes into its data directory (`__cookie__:<secret>`), read per request
    /// because the node rewrites it on every start.
    case cookieFile(String)
}

/// A Bitcoin Core JSON-RPC client over HTTP (AsyncHTTPClient), for the calls the adapter needs.
public struct BitcoinRPCClient: Sendable {
    let rpc: JSONRPCClient

    /// - Parameter url: the node's RPC address; credentials are given apart, never in the URL.
    public init(
        url: String, credentials: BitcoinRPCCredentials, http: HTTPClient = JSONRPCClient.nodeHTTPClient, timeout: TimeAmount = .seconds(30)
    ) {
        rpc = JSONRPCClient(url: url, version: "1.0", retryableCodes: [Self.warmingUp], http: http, timeout: timeout) {
            () throws(NodeRPCError) in
            try Self.authorization(credentials)
        }
    }

    public var url: String { rpc.url }

    /// Bitcoin Core's answer while it loads the block index.
    static let warmingUp = -28

    public struct BlockchainInfo: Decodable, Sendable {
        public var chain: String
        public var blocks: UInt64
        public var bestblockhash: String
    }

    public func blockchainInfo() async throws(NodeRPCError) -> BlockchainInfo {
        try await call("getblockchaininfo", [])
    }

    public func bestBlockHash() async throws(NodeRPCError) -> String {
        try await call("getbestblockhash", [])
    }

    public func blockHash(height: UInt64) async throws(NodeRPCError) -> String {
        try await call("getblockhash", [.integer(Int64(height))])
    }

    /// The serialized block (`getblock <hash> 0`), checked to be hex.
    public func rawBlock(hash: String) async throws(NodeRPCError) -> [UInt8] {
        let hex: String = try await call("getblock", [.string(hash), .integer(0)])
        guard let bytes = Hex.decode(hex.lowercased()) else { throw .malformed("getblock \(hash) 0 did not return hex") }
        return bytes
    }

    /// What the inputs of a block spend, as the node knows it from its undo data (`getblock <hash> 3`,
    /// Bitcoin Core 23 and later): value and script of every previous output, keyed by outpoint.
    public func previousOutputs(blockHash: String, network: BitcoinNetwork) async throws(NodeRPCError) -> [Outpoint: SpentOutput] {
        let block: VerboseBlock = try await call("getblock", [.string(blockHash), .integer(3)])
        var outputs: [Outpoint: SpentOutput] = [:]
        for transaction in block.tx {
            for input in transaction.vin {
                guard let txid = input.txid.flatMap(Hash256.init(hex:)), let index = input.vout, let prevout = input.prevout else {
                    continue
                }
                guard let script = Hex.decode(prevout.scriptPubKey.hex.lowercased()), let value = Self.satoshis(prevout.value) else {
                    throw .malformed("getblock \(blockHash) 3: prevout of \(txid):\(index) has a bad script or value")
                }
                let (type, address) = BitcoinScript.classify(script, network: network)
                outputs[Outpoint(txid: txid, index: index)] = SpentOutput(value: value, type: type, address: address)
            }
        }
        return outputs
    }

    /// Bitcoin Core prints amounts in BTC with eight decimals; decoded as `Decimal`, they convert exactly.
    static func satoshis(_ bitcoins: Decimal) -> UInt64? {
        var scaled = bitcoins * 100_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, rounded >= 0, rounded <= 21_000_000 * 100_000_000 else { return nil }
        return UInt64(NSDecimalNumber(decimal: rounded).int64Value)
    }

    private struct VerboseBlock: Decodable {
        struct Transaction: Decodable {
            let vin: [Input]
        }
        struct Input: Decodable {
            let txid: String?
            let vout: UInt32?
            let prevout: Prevout?
        }
        struct Prevout: Decodable {
            let value: Decimal
            let scriptPubKey: Script
        }
        struct Script: Decodable {
            let hex: String
        }
        let tx: [Transaction]
    }

    func call<Result: Decodable>(_ method: String, _ params: [JSONRPCParameter]) async throws(NodeRPCError) -> Result {
        try await rpc.call(method, params)
    }

    private static func authorization(_ credentials: BitcoinRPCCredentials) throws(NodeRPCError) -> String {
        switch credentials {
        case .password(let user, let password):
            return NodeURL.basicAuthorization(user: user, password: password)
        case .cookieFile(let path):
            guard let cookie = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .unreachable("cannot read the RPC cookie file \(path)")
            }
            let pair = cookie.trimmingCharacters(in: .whitespacesAndNewlines).split(
                separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return NodeURL.basicAuthorization(user: String(pair[0]), password: pair.count > 1 ? String(pair[1]) : "")
        }
    }
}
