import CSICCore
import Foundation
import Hummingbird
import NIOCore

/// The request context of the REST API: JSON with snake_case keys and sorted output.
public struct APIContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected client.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The caller, once their bearer credential has been checked (``AuditMiddleware``); `nil` when anonymous.
    public var principal: Principal?
    /// Why a presented credential was refused, for the audit record (the client hears only 401).
    public var credentialRejection: String?
    /// Fields of the answer the caller's role may not see (``Redaction``).
    public var hiddenFields: Set<String> = []

    /// Who makes the request: the principal's username, or `anonymous`.
    public var actor: String { principal?.username ?? "anonymous" }

    public var responseEncoder: JSONEncoder { Self.jsonEncoder }

    /// How every answer is written: snake_case keys, sorted.
    static var jsonEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A 4xx/5xx answer as an RFC 9457 problem (`application/problem+json`) with the project's members `code`
/// (stable, machine-readable) and `field` (the parameter or body field at fault):
/// `{"type": "urn:csic:problem:invalid_parameter", "title": "Bad Request", "status": 400,
///   "detail": "limit must be an integer in 1...1000", "code": "invalid_parameter", "field": "limit"}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// Stable, machine-readable: `not_found`, `invalid_parameter`, `invalid_cursor`, `internal`, ...
    public var code: String
    public var message: String
    public var field: String?
    /// Headers the answer carries (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    /// The problem document's members.
    struct Problem: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var code: String
        var field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let problem = Problem(
            type: "urn:csic:problem:\(code)", title: status.reasonPhrase, status: Int(status.code), detail: message, code: code,
            field: field)
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(problem))))
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found")
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: message, field: field)
    }
}

/// `text` as the case of `Value` it names, else 400 `invalid_parameter` naming `field` and every allowed value.
func caseNamed<Value: RawRepresentable & CaseIterable>(_ text: String, field: String) throws -> Value where Value.RawValue == String {
    guard let value = Value(rawValue: text) else {
        throw APIError.invalid(field, "\(field) must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return value
}

extension Request {
    /// A bounded integer query parameter; absent gives `defaultValue`, anything else out of range is a 400.
    func boundedInteger(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters.get(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.invalid(name, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A non-empty query parameter of at most 200 characters and no control characters (NUL, newlines, ...),
    /// or `nil` when absent.
    func textParameter(_ name: String) throws -> String? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard !text.isEmpty, text.utf8.count <= 200 else {
            throw APIError.invalid(name, "\(name) must be 1 to 200 characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.invalid(name, "\(name) must not contain control characters")
        }
        return text
    }

    /// The `chain` query parameter, or when absent the chain `address` is written for (`0x…`: Ethereum).
    func chainParameter(defaultingFor address: String) throws -> Chain {
        try textParameter("chain").map { try caseNamed($0, field: "chain") as Chain } ?? (address.hasPrefix("0x") ? .ethereum : .bitcoin)
    }

    /// An RFC 3339 time query parameter, or `nil` when absent.
    func timeParameter(_ name: String) throws -> Timestamp? {
        guard let text = try textParameter(name) else { return nil }
        guard let time = Timestamp(iso8601: text) else {
            throw APIError.invalid(name, "\(name) must be an RFC 3339 time, e.g. 2026-11-25T00:00:00Z")
        }
        return time
    }
}
