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

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A 4xx/5xx answer with a machine-readable body:
/// `{"error": {"code": "invalid_parameter", "message": "...", "field": "limit"}}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// Stable, machine-readable: `not_found`, `invalid_parameter`, `invalid_cursor`, `internal`.
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

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }

        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Body(error: .init(code: code, message: message, field: field)))
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found")
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: message, field: field)
    }
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

    /// An RFC 3339 time query parameter, or `nil` when absent.
    func timeParameter(_ name: String) throws -> Timestamp? {
        guard let text = try textParameter(name) else { return nil }
        guard let time = Timestamp(iso8601: text) else {
            throw APIError.invalid(name, "\(name) must be an RFC 3339 time, e.g. 2026-11-25T00:00:00Z")
        }
        return time
    }
}
