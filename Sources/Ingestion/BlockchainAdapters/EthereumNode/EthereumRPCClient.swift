import AsyncHTTPClient
import CSICCore
import NIOCore

/// An Ethereum execution client's JSON-RPC 2.0 API over HTTP (geth, Nethermind, Erigon, Reth, Besu), for the
/// calls the adapter needs.
public struct EthereumRPCClient: Sendable {
    let rpc: JSONRPCClient

    /// JSON-RPC codes that mean "busy, ask again": -32005 limit exceeded (rate limiting).
    static let busy: Set<Int> = [-32005]
    /// The method is not served (an older node without `eth_getBlockReceipts`).
    public static let methodNotFound = -32601

    /// - Parameter authorization: an `Authorization` header value, e.g. `Bearer <token>`, when the node wants one.
    public init(
        url: String, authorization: String? = nil, http: HTTPClient = JSONRPCClient.nodeHTTPClient, timeout: TimeAmount = .seconds(30)
    ) {
        rpc = JSONRPCClient(url: url, version: "2.0", retryableCodes: Self.busy, http: http, timeout: timeout) { authorization }
    }

    public var url: String { rpc.url }

    /// `eth_chainId`: 1 mainnet, 11155111 Sepolia, 131277322940537 eth-tester's default.
    public func chainID() async throws(NodeRPCError) -> UInt64 {
        try Self.uint64(try await rpc.call("eth_chainId", []), "eth_chainId")
    }

    /// `eth_blockNumber`: the node's head.
    public func blockNumber() async throws(NodeRPCError) -> UInt64 {
        try Self.uint64(try await rpc.call("eth_blockNumber", []), "eth_blockNumber")
    }

    /// `eth_getBlockByNumber(n, true)` and the answer's bytes; `nil` when the node has no block at that height (yet).
    public func block(height: UInt64) async throws(NodeRPCError) -> (block: EthereumBlock, body: [UInt8])? {
        let (block, body): (EthereumBlock?, [UInt8]) = try await rpc.callKeepingBody(
            "eth_getBlockByNumber", [.string(Self.quantity(height)), .bool(true)])
        return block.map { ($0, body) }
    }

    /// `eth_getBlockReceipts(blockHash)`.
    public func blockReceipts(blockHash: String) async throws(NodeRPCError) -> [EthereumReceipt] {
        try await rpc.call("eth_getBlockReceipts", [.string(blockHash)])
    }

    /// `eth_getTransactionReceipt` for each transaction of the block, for nodes without `eth_getBlockReceipts`.
    public func transactionReceipts(of block: EthereumBlock) async throws(NodeRPCError) -> [EthereumReceipt] {
        var receipts: [EthereumReceipt] = []
        receipts.reserveCapacity(block.transactions.count)
        for transaction in block.transactions {
            guard let receipt: EthereumReceipt = try await rpc.callAllowingNull("eth_getTransactionReceipt", [.string(transaction.hash)])
            else {
                throw .rpc(code: 0, message: "no receipt yet for \(transaction.hash)", retryable: true)
            }
            receipts.append(receipt)
        }
        return receipts
    }

    /// `0x`-prefixed hex without leading zeros, as JSON-RPC wants quantities.
    static func quantity(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    private static func uint64(_ quantity: HexQuantity, _ method: String) throws(NodeRPCError) -> UInt64 {
        guard let value = quantity.uint64 else { throw .malformed("\(method) answered a quantity beyond 64 bits") }
        return value
    }
}
