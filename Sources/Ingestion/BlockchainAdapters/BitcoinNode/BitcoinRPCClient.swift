import AsyncHTTPClient
import CSICCore
import Foundation
import NIOCore
import NIOHTTP1

/// How the adapter authenticates to Bitcoin Core's JSON-RPC server.
public enum BitcoinRPCCredentials: Sendable, Hashable {
    /// `rpcuser` / `rpcpassword`.
    case password(user: String, password: String)
    /// The `.cookie` file Bitcoin Core writes into its data directory (`__cookie__:<secret>`), read per request
    /// because the node rewrites it on every start.
    case cookieFile(String)
}

/// Why a JSON-RPC call failed, and whether trying again can help.
public enum BitcoinRPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Connection refused or reset, timeout: the node may come back.
    case unreachable(String)
    /// An HTTP status without a JSON-RPC body (401 bad credentials, 5xx).
    case http(status: Int, body: String)
    /// The node answered with a JSON-RPC error (e.g. -5 block not found, -28 warming up).
    case rpc(code: Int, message: String)
    /// The answer was not the JSON-RPC shape or not the expected type.
    case malformed(String)

    /// The JSON-RPC error code, for an error the node answered.
    public var rpcCode: Int? {
        if case .rpc(let code, _) = self { return code }
        return nil
    }

    /// Whether the same call may succeed later: transport failures, 5xx and the node's warm-up (-28).
    public var isRetryable: Bool {
        switch self {
        case .unreachable: true
        case .http(let status, _): status >= 500
        case .rpc(let code, _): code == -28
        case .malformed: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let reason): "node unreachable: \(reason)"
        case .http(let status, let body): "HTTP \(status): \(body.prefix(200))"
        case .rpc(let code, let message): "RPC error \(code): \(message)"
        case .malformed(let reason): "malformed RPC answer: \(reason)"
        }
    }
}

/// A Bitcoin Core JSON-RPC client over HTTP (AsyncHTTPClient), for the calls the adapter needs.
public struct BitcoinRPCClient: Sendable {
    public let url: String
    let credentials: BitcoinRPCCredentials
    let http: HTTPClient
    let timeout: TimeAmount

    public init(url: String, credentials: BitcoinRPCCredentials, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.url = url
        self.credentials = credentials
        self.http = http
        self.timeout = timeout
    }

    public struct BlockchainInfo: Decodable, Sendable {
        public var chain: String
        public var blocks: UInt64
        public var bestblockhash: String
    }

    public func blockchainInfo() async throws(BitcoinRPCError) -> BlockchainInfo {
        try await call("getblockchaininfo", [])
    }

    public func bestBlockHash() async throws(BitcoinRPCError) -> String {
        try await call("getbestblockhash", [])
    }

    public func blockHash(height: UInt64) async throws(BitcoinRPCError) -> String {
        try await call("getblockhash", [.integer(Int64(height))])
    }

    /// The serialized block (`getblock <hash> 0`), checked to be hex.
    public func rawBlock(hash: String) async throws(BitcoinRPCError) -> [UInt8] {
        let hex: String = try await call("getblock", [.string(hash), .integer(0)])
        guard let bytes = Hex.decode(hex.lowercased()) else { throw .malformed("getblock \(hash) 0 did not return hex") }
        return bytes
    }

    /// What the inputs of a block spend, as the node knows it from its undo data (`getblock <hash> 3`,
    /// Bitcoin Core 23 and later): value and script of every previous output, keyed by outpoint.
    public func previousOutputs(blockHash: String, network: BitcoinNetwork) async throws(BitcoinRPCError) -> [Outpoint: SpentOutput] {
        let block: VerboseBlock = try await call("getblock", [.string(blockHash), .integer(3)])
        var outputs: [Outpoint: SpentOutput] = [:]
        for transaction in block.tx {
            for input in transaction.vin {
                guard let txid = input.txid.flatMap(Hash256.init(hex:)), let index = input.vout, let prevout = input.prevout else { continue }
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

    /// A JSON-RPC parameter.
    public enum Parameter: Encodable, Sendable {
        case string(String)
        case integer(Int64)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            }
        }
    }

    private struct Request: Encodable {
        let jsonrpc = "1.0"
        let id = "csic"
        let method: String
        let params: [Parameter]
    }

    private struct Response<Result: Decodable>: Decodable {
        struct ErrorBody: Decodable {
            let code: Int
            let message: String
        }
        let result: Result?
        let error: ErrorBody?
    }

    /// One call; the result decoded as `Result`.
    public func call<Result: Decodable>(_ method: String, _ params: [Parameter]) async throws(BitcoinRPCError) -> Result {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Basic \(try authorization())")
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(Request(method: method, params: params))))
        } catch {
            throw .malformed("cannot encode \(method) parameters")
        }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw .unreachable("\(method): \(error)")
        }
        let decoded: Response<Result>
        do {
            decoded = try JSONDecoder().decode(Response<Result>.self, from: Data(body.readableBytesView))
        } catch {
            if status != 200 { throw .http(status: status, body: String(buffer: body)) }
            throw .malformed("\(method): \(error)")
        }
        if let error = decoded.error { throw .rpc(code: error.code, message: error.message) }
        guard let result = decoded.result else { throw .malformed("\(method) returned neither result nor error") }
        return result
    }

    private func authorization() throws(BitcoinRPCError) -> String {
        let pair: String
        switch credentials {
        case .password(let user, let password):
            pair = "\(user):\(password)"
        case .cookieFile(let path):
            guard let cookie = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .unreachable("cannot read the RPC cookie file \(path)")
            }
            pair = cookie.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return Data(pair.utf8).base64EncodedString()
    }
}
