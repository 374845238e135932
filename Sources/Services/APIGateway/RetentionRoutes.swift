import CSICCore
import EventLog
import Foundation
import Hummingbird
import Storage
import StreamRuntime

/// `/api/v1/retention`: the retention period of each record class and the legal holds; placing and
/// releasing a hold. Both writes are audited before they run (``AuditMiddleware``) and again with what the
/// hold says once they have.
public struct RetentionRoutes: APIRoutes {
    let store: any RetentionStore
    let log: any EventLog
    let retention: RecordRetention

    public init(store: any RetentionStore, log: any EventLog, retention: RecordRetention) {
        self.store = store
        self.log = log
        self.retention = retention
    }

    /// The body of `POST /api/v1/retention/holds`.
    struct HoldRequest: Decodable {
        var recordClass: String?
        var subject: String?
        var reason: String?
        var caseReference: String?
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "retention", access: .roles("retention.read", .admin, .supervisor, .auditor),
                summary: "Retention period of each record class, and the legal holds newest first",
                query: [
                    QueryParameter("active", .string(values: ["true", "false"]), "only active (true) or released (false) holds"),
                    .limit(default: 100, maximum: 1000), .cursor,
                ],
                response: .reference("Retention")
            ) { request, _ in
                let active: Bool? =
                    switch try request.textParameter("active") {
                    case nil: nil
                    case "true": true
                    case "false": false
                    default: throw APIError.invalid("active", "active must be true or false")
                    }
                let page = try await pageOrBadCursor {
                    try await store.holds(
                        active: active, limit: try request.boundedInteger("limit", default: 100, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                return RetentionView(periods: retention.descriptions, holds: page.items.map(HoldView.init), nextCursor: page.nextCursor)
            },
            APIRoute(
                .post, "retention/holds", access: .roles("retention.hold", .admin, .supervisor), summary: "Place a legal hold",
                body: .object(
                    [
                        "record_class": .string(values: RecordClass.allCases.filter { $0 != .audit }.map(\.rawValue)), "subject": .text,
                        "reason": .string(minLength: 1, maxLength: 1000), "case_reference": .text,
                    ], required: ["record_class", "reason"], closed: true),
                response: .reference("LegalHold"), status: .created
            ) { request, context in try await place(request, context) },
            APIRoute(
                .post, "retention/holds/{id}/release", access: .roles("retention.hold", .admin, .supervisor),
                summary: "Release a legal hold", response: .reference("LegalHold")
            ) { request, context in try await release(request, context) },
        ]
    }

    private func place(_ request: Request, _ context: APIContext) async throws -> EditedResponse<HoldView> {
        let body = try await StrictBody.decode(
            HoldRequest.self, from: request, allowed: ["record_class", "subject", "reason", "case_reference"])
        guard let className = body.recordClass else {
            throw APIError(.badRequest, code: "missing_field", message: "record_class is required", field: "record_class")
        }
        guard let recordClass = RecordClass(rawValue: className) else {
            throw APIError.invalid(
                "record_class", "unknown record class \(className); use \(RecordClass.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let hold = LegalHold(
            id: UUID().uuidString.lowercased(), recordClass: recordClass, subject: body.subject, reason: body.reason ?? "",
            caseReference: body.caseReference, placedBy: context.actor, placedAt: .now())
        do throws(ValidationError) {
            try hold.validate()
        } catch {
            throw APIError(.badRequest, code: "invalid_hold", message: error.description, field: error.field)
        }
        try await store.placeHold(hold)
        await record(hold, RetentionAudit.holdPlaceAction, request, context)
        return EditedResponse(status: .created, response: HoldView(hold))
    }

    private func release(_ request: Request, _ context: APIContext) async throws -> HoldView {
        let id = try context.parameters.require("id")
        guard id.utf8.count <= 100, let hold = try await store.releaseHold(id: id, by: context.actor, at: .now()) else {
            throw APIError.notFound("active legal hold \(id.prefix(100))")
        }
        await record(hold, RetentionAudit.holdReleaseAction, request, context)
        return HoldView(hold)
    }

    /// The hold as it now stands, in the audit trail; the write already happened, so a failure is logged.
    private func record(_ hold: LegalHold, _ action: String, _ request: Request, _ context: APIContext) async {
        let record = RetentionAudit.hold(
            hold, action: action, actor: context.actor, requestID: APIGateway.requestID(request),
            sourceAddress: context.remoteAddress?.ipAddress ?? "unknown")
        do {
            try await log.appendAudit(record)
        } catch {
            context.logger.error(
                "the legal hold's audit record could not be written", metadata: ["hold": "\(hold.id)", "error": "\(error)"])
        }
    }
}

struct RetentionView: ResponseEncodable {
    var periods: [String: String]
    var holds: [HoldView]
    var nextCursor: String?
}

/// A legal hold as it is coded (snake_case keys, RFC 3339 times) plus whether it is still `active`.
struct HoldView: ResponseEncodable {
    let hold: LegalHold

    init(_ hold: LegalHold) { self.hold = hold }

    private enum Keys: String, CodingKey { case active }

    func encode(to encoder: any Encoder) throws {
        try hold.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(hold.isActive, forKey: .active)
    }
}
