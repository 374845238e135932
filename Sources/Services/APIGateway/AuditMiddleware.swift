import CSICCore
import EventLog
import Foundation
import Hummingbird
import Logging
import NIOCore
import StreamRuntime

/// Authenticates and authorizes every request, and audits every request under `/api/` and the dashboard onto
/// the `audit` topic. The bearer credential (an access token or an API key) is checked first; the matched
/// route's ``Access`` rule decides (401 without a valid credential, 403 for a role or entity not admitted),
/// then the query parameters are checked against the route's list. Each record carries the actor (the
/// authenticated username, or `anonymous`), its role, the rule and the decision, and: action
/// (`http.<METHOD> <route>`), resource (the path), outcome (success < 400, denied 401/403, failure
/// otherwise), a request id (the client's `X-Request-ID` for correlation, else a new one; returned as
/// `X-Request-ID`), the source address and query. The record's own id is always made here, so a client
/// cannot make two requests share one audit id (the audit engine drops a repeated id as a replay). A write
/// (POST, PUT, PATCH, DELETE) is audited before it runs and refused with 503 when its record cannot be
/// appended durably; its outcome is audited after. `/health` and `/metrics` (polled by monitoring) are not.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let log: any EventLog
    let access: AccessControl
    let table: RouteTable
    let limiter: RateLimiter

    static let writeMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        switch await access.authenticate(authorization: request.headers[.authorization]) {
        case .principal(let principal): context.principal = principal
        case .rejected(let reason): context.credentialRejection = reason
        case .anonymous: break
        }
        let route = context.endpointPath.flatMap { table.route(request.method, $0) }
        let decision = decide(route, request, context)
        if let route, let redaction = route.redaction, let role = context.principal?.role, !redaction.visibleTo.contains(role) {
            context.hiddenFields = Set(redaction.fields)
        }
        let fullPath = request.uri.path
        guard fullPath != "/health", fullPath != "/metrics" else {
            try Self.enforce(decision)
            return try await next(request, context)
        }
        let source = context.remoteAddress?.ipAddress ?? "unknown"
        if let route { try limiter.take(route.routeClass, principal: context.principal?.username, address: source) }
        let path = RequestRedaction.path(fullPath)
        let recordID = UUID().uuidString.lowercased()
        let requestID = request.headers[.init("X-Request-ID")!].flatMap { $0.count <= 100 ? $0 : nil } ?? recordID
        let actor = context.actor
        let action = "http.\(request.method.rawValue) \(context.endpointPath ?? path)"
        var details = ["query": RequestRedaction.query(request.uri.query ?? "")]
        details["role"] = context.principal?.role.rawValue
        details["rule"] = route?.access.rule
        details["decision"] = decision.rawValue
        details["credential_rejected"] = context.credentialRejection
        switch context.principal?.credential {
        case .apiKey(let id): details["api_key"] = id
        case .accessToken(let id): details["token_id"] = id
        case nil: break
        }
        if decision != .allowed {
            do {
                try await append(record(recordID, requestID, actor, action, path, decision == .forbidden ? 403 : 401, source, details))
            } catch {
                throw Self.auditUnavailable
            }
            try Self.enforce(decision)
        }
        if Self.writeMethods.contains(request.method) {
            details["phase"] = "attempt"
            let attempt = AuditRecord(
                id: recordID + ".attempt", time: .now(), actor: actor, action: action, resource: path, outcome: .success,
                requestID: requestID, sourceAddress: source, details: details)
            do {
                try await append(attempt)
            } catch {
                context.logger.error("audit record could not be written; refusing the write", metadata: ["error": "\(error)"])
                throw APIError(
                    .serviceUnavailable, code: "audit_unavailable",
                    message: "the audit trail cannot record this write, so it was not performed")
            }
            details["phase"] = "outcome"
        }
        let status: Int
        var response: Response
        do {
            if let route { try Self.checkQuery(request, route) }
            response = try await next(request, context)
            status = Int(response.status.code)
        } catch {
            // Every request is audited, whatever failed: an HTTP error with its status, anything else
            // (a store failure) as the 500 Hummingbird will answer.
            status = Int((error as? any HTTPResponseError)?.status.code ?? 500)
            details["error"] = "\(error)".prefix(300).description
            do {
                try await append(record(recordID, requestID, actor, action, path, status, source, details))
            } catch let auditError {
                context.logger.error(
                    "audit record could not be written", metadata: ["request_id": "\(requestID)", "error": "\(auditError)"])
                throw Self.auditUnavailable
            }
            throw error
        }
        response.headers[.init("X-Request-ID")!] = requestID
        do {
            try await append(record(recordID, requestID, actor, action, path, status, source, details))
        } catch {
            context.logger.error("audit record could not be written", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            // A read is answered only once it is on record (fail closed: an unaudited read is a leak nobody can
            // see). A write already happened and its attempt is on record: its answer goes out, so a client
            // does not retry a write that was made.
            if !Self.writeMethods.contains(request.method) { throw Self.auditUnavailable }
        }
        return response
    }

    /// The rule of the matched route for this caller; a presented credential that is not valid is never
    /// treated as anonymous on a route that needs one. A path no route matches is left to the router's 404.
    private func decide(_ route: APIRoute?, _ request: Request, _ context: APIContext) -> AccessDecision {
        guard let route else { return .allowed }
        if route.access.isPublic { return .allowed }
        if route.access.openOnLoopback, context.principal == nil, context.credentialRejection == nil,
            context.remoteAddress.map(Self.isLoopback) == true
        {
            return .allowed
        }
        if context.credentialRejection != nil { return .unauthenticated }
        return route.access.decide(context.principal) { context.parameters.get($0) }
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1"
    }

    private static func enforce(_ decision: AccessDecision) throws {
        switch decision {
        case .allowed: return
        case .unauthenticated:
            throw APIError(
                .unauthorized, code: "unauthenticated", message: "a valid bearer access token or API key is required",
                headers: [.wwwAuthenticate: "Bearer realm=\"csic\""])
        case .forbidden:
            throw APIError(.forbidden, code: "forbidden", message: "the caller's role may not do this")
        }
    }

    /// Unknown query parameters are refused: a misspelt filter must not silently return everything. So is a
    /// parameter given twice: which of its values applies would be a guess.
    static func checkQuery(_ request: Request, _ route: APIRoute) throws {
        let names = route.query.map(\.name)
        var seen: Set<Substring> = []
        for (name, _) in request.uri.queryParameters {
            guard names.contains(String(name)) else {
                throw APIError(
                    .badRequest, code: "unknown_parameter",
                    message:
                        "unknown query parameter \(name.prefix(100)); this route takes \(names.isEmpty ? "none" : names.joined(separator: ", "))",
                    field: String(name.prefix(100)))
            }
            guard seen.insert(name).inserted else {
                throw APIError(
                    .badRequest, code: "repeated_parameter", message: "query parameter \(name.prefix(100)) is given more than once",
                    field: String(name.prefix(100)))
            }
        }
    }

    /// The answer to a request whose record cannot be written: not its own answer (fail closed).
    static let auditUnavailable = APIError(
        .serviceUnavailable, code: "audit_unavailable", message: "the audit trail cannot record this request, so it is not answered")

    private func record(
        _ id: String, _ requestID: String, _ actor: String, _ action: String, _ path: String, _ status: Int, _ source: String,
        _ details: [String: String]
    ) -> AuditRecord {
        var details = details
        details["status"] = String(status)
        let outcome: AuditOutcome = status < 400 ? .success : (status == 401 || status == 403 ? .denied : .failure)
        return AuditRecord(
            id: id, time: .now(), actor: actor, action: action, resource: path, outcome: outcome, requestID: requestID,
            sourceAddress: source, details: details)
    }

    private func append(_ record: AuditRecord) async throws {
        try await log.appendAudit(record)
    }
}
