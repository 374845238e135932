import CSICCore
import EventLog
import Foundation
import GRPCCore
import SwiftProtobuf

/// Authenticates, authorizes, rate-limits and audits every gRPC call by the rules REST follows
/// (``AuditMiddleware``): the `authorization` metadata carries `Bearer <access token | API key>`; the
/// method's ``Access`` rule decides (UNAUTHENTICATED without a valid credential, PERMISSION_DENIED for a role
/// not admitted); a call over the read rate limit ends RESOURCE_EXHAUSTED (not audited, as REST's 429). Each
/// other call is one audit record (action `grpc.<service>/<method>`, actor, role, rule, decision, credential
/// id, the request in protobuf text form cut to 512 bytes, the gRPC status), appended before the answer (or the
/// stream's first message) goes out; a call whose record cannot be written is not answered (UNAVAILABLE).
struct GRPCAccessInterceptor: ServerInterceptor {
    let access: AccessControl
    let log: any EventLog
    let limiter: RateLimiter
    let methods: [String: GRPCMethod]

    init(access: AccessControl, log: any EventLog, limiter: RateLimiter, methods: [GRPCMethod]) {
        self.access = access
        self.log = log
        self.limiter = limiter
        self.methods = Dictionary(methods.map { ($0.name, $0) }) { first, _ in first }
    }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        // A method outside the table has no handler either: the router answers UNIMPLEMENTED.
        guard let method = methods[context.descriptor.fullyQualifiedMethod] else { return try await next(request, context) }
        var details: [String: String] = [:]
        let authentication = await access.authenticate(authorization: request.metadata[stringValues: "authorization"].first { _ in true })
        let principal: Principal?
        switch authentication {
        case .principal(let authenticated): principal = authenticated
        case .rejected(let reason):
            principal = nil
            details["credential_rejected"] = reason
        case .anonymous: principal = nil
        }
        let decision: AccessDecision =
            details["credential_rejected"] != nil && !method.access.isPublic
            ? .unauthenticated : method.access.decide(principal) { _ in nil }
        let source = Self.address(ofPeer: context.remotePeer)
        do {
            try limiter.take(.read, principal: principal?.username, address: source)
        } catch {
            throw Self.rpcError(error)
        }
        let messages = try await Self.collect(request.messages)
        details["request"] = RequestRedaction.bounded(messages.first.map(Self.text) ?? "")
        details["role"] = principal?.role.rawValue
        details["rule"] = method.access.rule
        details["decision"] = decision.rawValue
        switch principal?.credential {
        case .apiKey(let id): details["api_key"] = id
        case .accessToken(let id): details["token_id"] = id
        case nil: break
        }
        let record = Record(
            id: UUID().uuidString.lowercased(), actor: principal?.username ?? "anonymous", action: "grpc.\(method.name)",
            resource: "/\(method.name)", source: source, details: details)
        switch decision {
        case .unauthenticated:
            try await append(record, status: .unauthenticated)
            throw RPCError(code: .unauthenticated, message: "a valid bearer access token or API key is required")
        case .forbidden:
            try await append(record, status: .permissionDenied)
            throw RPCError(code: .permissionDenied, message: "the role \(principal?.role.rawValue ?? "") may not call \(method.name)")
        case .allowed: break
        }
        let hidden =
            method.redaction.flatMap { redaction in
                principal.map { redaction.visibleTo.contains($0.role) ? [] : Set(redaction.fields) }
            } ?? []
        let forwarded = StreamingServerRequest(
            metadata: request.metadata,
            messages: RPCAsyncSequence(
                wrapping: AsyncThrowingStream<Input, any Error> { continuation in
                    for message in messages { continuation.yield(message) }
                    continuation.finish()
                }))
        var response: StreamingServerResponse<Output>
        do {
            response = try await GRPCCaller.$principal.withValue(principal) {
                try await GRPCCaller.$hiddenFields.withValue(hidden) { try await next(forwarded, context) }
            }
        } catch {
            let failure = Self.rpcError(error)
            try await append(record, status: failure.code)
            throw failure
        }
        switch response.accepted {
        case .failure(let failure):
            try await append(record, status: failure.code)
        case .success(var contents):
            try await append(record, status: nil)
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    return try await GRPCCaller.$principal.withValue(principal) {
                        try await GRPCCaller.$hiddenFields.withValue(hidden) { try await producer(writer) }
                    }
                } catch {
                    throw Self.rpcError(error)
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }

    /// What one audit record of a call says, before its status is known.
    struct Record {
        var id: String
        var actor: String
        var action: String
        var resource: String
        var source: String
        var details: [String: String]
    }

    /// Appends the call's record with its status (`nil`: accepted); fails the call when it cannot.
    private func append(_ record: Record, status: RPCError.Code?) async throws {
        var details = record.details
        details["grpc_status"] = status.map { "\($0)" } ?? "ok"
        let outcome: AuditOutcome =
            switch status {
            case nil: .success
            case .unauthenticated?, .permissionDenied?: .denied
            default: .failure
            }
        do {
            try await log.appendAudit(
                AuditRecord(
                    id: record.id, time: .now(), actor: record.actor, action: record.action, resource: record.resource,
                    outcome: outcome, requestID: record.id, sourceAddress: record.source, details: details))
        } catch {
            throw RPCError(code: .unavailable, message: "audit_unavailable: the audit trail cannot record this call, so it is not answered")
        }
    }

    /// The request messages of a call that sends one (every method of the table); more than one is refused.
    private static func collect<Input>(_ messages: RPCAsyncSequence<Input, any Error>) async throws -> [Input] {
        var collected: [Input] = []
        for try await message in messages {
            collected.append(message)
            guard collected.count == 1 else { throw RPCError(code: .invalidArgument, message: "this method takes one request message") }
        }
        return collected
    }

    private static func text<Input>(_ message: Input) -> String {
        (message as? any SwiftProtobuf.Message)?.textFormatString() ?? ""
    }

    /// `127.0.0.1` of `ipv4:127.0.0.1:50312`, `::1` of `ipv6:[::1]:50312`.
    static func address(ofPeer peer: String) -> String {
        guard let colon = peer.firstIndex(of: ":") else { return peer }
        var rest = peer[peer.index(after: colon)...]
        if let port = rest.lastIndex(of: ":") { rest = rest[..<port] }
        return String(rest.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
    }

    /// The gRPC status for an error: the REST problem's status mapped, its code kept in the message; anything
    /// else INTERNAL without details (as REST's 500).
    static func rpcError(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        guard let problem = error as? APIError else { return RPCError(code: .internalError, message: "internal error") }
        let code: RPCError.Code =
            switch problem.status.code {
            case 400, 413: .invalidArgument
            case 401: .unauthenticated
            case 403: .permissionDenied
            case 404: .notFound
            case 409: .failedPrecondition
            case 429: .resourceExhausted
            case 503: .unavailable
            default: .internalError
            }
        var metadata: Metadata = ["csic-problem-code": "\(problem.code)"]
        if let field = problem.field { metadata.addString(field, forKey: "csic-problem-field") }
        if let retry = problem.headers[.retryAfter] { metadata.addString(retry, forKey: "retry-after") }
        return RPCError(code: code, message: "\(problem.code): \(problem.message)", metadata: metadata)
    }
}
