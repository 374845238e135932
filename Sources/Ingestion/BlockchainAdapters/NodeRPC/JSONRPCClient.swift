import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Why a call to a blockchain node failed, and whether trying again can help.
public enum NodeRPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Connection refused or reset, timeout: the node may come back.
    case unreachable(String)
    /// An HTTP status without a JSON-RPC body (401 bad credentials, 5xx).
    case http(status: Int, body: String)
    /// The node answered with a JSON-RPC error; `retryable` when the node said it is busy or warming up.
    case rpc(code: Int, message: String, retryable: Bool)
    /// The answer was not the JSON-RPC shape.
    case malformed(String)
    /// The JSON-RPC answer's result is not what the method returns (a block without a hash, a bad quantity):
    /// the answer is kept for the dead letter.
    case invalidResult(method: String, reason: String, body: [UInt8])

    /// The JSON-RPC error code, for an error the node answered.
    public var rpcCode: Int? {
        if case .rpc(let code, _, _) = self { return code }
        return nil
    }

    /// Whether the same call may succeed later: transport failures, 5xx, and the node's busy answers.
    public var isRetryable: Bool {
        switch self {
        case .unreachable: true
        case .http(let status, _): status >= 500 || status == 429
        case .rpc(_, _, let retryable): retryable
        case .malformed, .invalidResult: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let reason): "node unreachable: \(reason)"
        case .http(let status, let body): "HTTP \(status): \(body.prefix(200))"
        case .rpc(let code, let message, _): "RPC error \(code): \(message)"
        case .malformed(let reason): "malformed RPC answer: \(reason)"
        case .invalidResult(let method, let reason, _): "invalid \(method) result: \(reason)"
        }
    }
}

/// A JSON-RPC parameter.
public enum JSONRPCParameter: Encodable, Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}

/// JSON-RPC over HTTP POST (AsyncHTTPClient): Bitcoin Core speaks version 1.0, Ethereum nodes 2.0.
///
/// ```swift
/// let client = JSONRPCClient(url: "http://127.0.0.1:8545", version: "2.0")
/// let height: HexQuantity = try await client.call("eth_blockNumber", [])
/// ```
public struct JSONRPCClient: Sendable {
    public let url: String
    let version: String
    /// The `Authorization` header's value, computed per call (a cookie file may change while the node runs).
    let authorization: @Sendable () throws(NodeRPCError) -> String?
    /// JSON-RPC error codes meaning "busy, ask again later".
    let retryableCodes: Set<Int>
    let http: HTTPClient
    let timeout: TimeAmount

    public init(
        url: String, version: String, retryableCodes: Set<Int> = [], http: HTTPClient = Self.nodeHTTPClient,
        timeout: TimeAmount = .seconds(30),
        authorization: @escaping @Sendable () throws(NodeRPCError) -> String? = { nil }
    ) {
        self.url = url
        self.version = version
        self.retryableCodes = retryableCodes
        self.http = http
        self.timeout = timeout
        self.authorization = authorization
    }

    /// The HTTP client for node calls: a refused or unanswered connection fails within 5 s instead of being
    /// retried until the call's deadline, so the adapter hands over to the next node quickly.
    public static let nodeHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private struct Request: Encodable {
        let jsonrpc: String
        let id = 1
        let method: String
        let params: [JSONRPCParameter]
    }

    private struct Envelope: Decodable {
        struct ErrorBody: Decodable {
            let code: Int
            let message: String
        }
        let error: ErrorBody?
    }

    private struct Response<Result: Decodable>: Decodable {
        let result: Result?
        let error: Envelope.ErrorBody?
    }

    /// One call; the result decoded as `Result`. A `null` result is malformed here.
    public func call<Result: Decodable>(_ method: String, _ params: [JSONRPCParameter]) async throws(NodeRPCError) -> Result {
        guard let result: Result = try await callAllowingNull(method, params) else {
            throw .malformed("\(method) returned neither result nor error")
        }
        return result
    }

    /// One call whose answer may be `null` (an Ethereum node's "no such block").
    public func callAllowingNull<Result: Decodable>(_ method: String, _ params: [JSONRPCParameter]) async throws(NodeRPCError) -> Result? {
        try await callKeepingBody(method, params).result
    }

    /// One call, with the answer's bytes as the node sent them (for a dead letter if the result fails checks).
    public func callKeepingBody<Result: Decodable>(
        _ method: String, _ params: [JSONRPCParameter]
    ) async throws(NodeRPCError) -> (result: Result?, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let authorization = try authorization() { request.headers.add(name: "Authorization", value: authorization) }
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(Request(jsonrpc: version, method: method, params: params))))
        } catch {
            throw .malformed("cannot encode \(method) parameters")
        }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw .unreachable("\(method): \(error)")
        }
        let bytes = Array(body.readableBytesView)
        return (try Self.decodeAnswer(bytes, method: method, status: status, retryableCodes: retryableCodes), bytes)
    }

    /// A node's answer to `method` (HTTP `status`, the body's bytes) as `Result`: the pure half of a call,
    /// with no IO, so a hostile answer can be tested (and fuzzed) byte for byte. A JSON-RPC error becomes
    /// ``NodeRPCError/rpc(code:message:)`` (or `busy` for `retryableCodes`).
    public static func decodeAnswer<Result: Decodable>(
        _ bytes: [UInt8], method: String, status: Int, retryableCodes: Set<Int> = []
    ) throws(NodeRPCError) -> Result? {
        let data = Data(bytes)
        // One decode on the normal path (blocks can be megabytes); the envelope alone only when it fails,
        // to tell a malformed answer from a result that is not what the method returns.
        let response: Response<Result>
        do {
            response = try JSONDecoder().decode(Response<Result>.self, from: data)
        } catch {
            let envelope: Envelope
            do {
                envelope = try JSONDecoder().decode(Envelope.self, from: data)
            } catch let envelopeError {
                if status != 200 { throw .http(status: status, body: String(decoding: bytes.prefix(1_000), as: UTF8.self)) }
                throw .malformed("\(method): \(envelopeError)")
            }
            if let rpcError = envelope.error { throw failure(rpcError, retryableCodes: retryableCodes) }
            throw .invalidResult(method: method, reason: "\(error)", body: bytes)
        }
        if let rpcError = response.error { throw failure(rpcError, retryableCodes: retryableCodes) }
        return response.result
    }

    private static func failure(_ body: Envelope.ErrorBody, retryableCodes: Set<Int>) -> NodeRPCError {
        .rpc(code: body.code, message: body.message, retryable: retryableCodes.contains(body.code))
    }

}
