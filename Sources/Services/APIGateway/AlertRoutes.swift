import CSICCore
import Hummingbird
import Storage

/// `/api/v1/findings` and `/api/v1/alerts`: what the risk engine found, the alerts raised from it, and the
/// analysts' lifecycle changes (each audited with the analyst).
public struct AlertRoutes: APIRoutes {
    let store: any AlertStore
    let actions: any AlertActions

    public init(store: any AlertStore, actions: any AlertActions) {
        self.store = store
        self.actions = actions
    }

    static let read = Access.roles("alerts.read", .admin, .supervisor, .analyst, .auditor)
    static let handle = Access.roles("alerts.handle", .admin, .supervisor, .analyst)

    /// The body of the lifecycle routes: the assignee (`assign`), the reason (`resolve`, optional for `reopen`).
    struct ChangeRequest: Decodable {
        var assignee: String?
        var reason: String?
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "findings", access: Self.read, summary: "Findings newest first, filtered by typology, key subject and time",
                query: [
                    QueryParameter("typology", .string(maxLength: 64), "only this typology (fan_in, sanctioned_exposure, ...)"),
                    .text("subject", "only findings whose key subject is this address or entity"),
                    .time("from", "found at or after (the transaction's time)"), .time("to", "found before"),
                    .limit(default: 50, maximum: 1000), .cursor,
                ],
                response: .reference("FindingPage")
            ) { request, _ in
                let query = FindingQuery(
                    typology: try request.textParameter("typology"), subject: try request.textParameter("subject"),
                    from: try request.timeParameter("from"), to: try request.timeParameter("to"))
                let page = try await pageOrBadCursor {
                    try await store.findings(
                        query, limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                return PageView(items: page.items, nextCursor: page.nextCursor)
            },
            APIRoute(
                .get, "alerts", access: Self.read, summary: "Alerts newest first, filtered by typology, status, severity and subject",
                query: [
                    QueryParameter("typology", .string(maxLength: 64), "only this typology"),
                    QueryParameter("status", .string(values: AlertStatus.allCases.map(\.rawValue)), "only alerts in this status"),
                    QueryParameter("severity", .string(values: Severity.allCases.map(\.rawValue)), "only alerts of this severity"),
                    .text("subject", "only alerts about this address or entity"), .limit(default: 50, maximum: 1000), .cursor,
                ],
                response: .reference("AlertPage")
            ) { request, _ in
                let query = AlertQuery(
                    typology: try request.textParameter("typology"),
                    status: try request.textParameter("status").map { try caseNamed($0, field: "status") },
                    severity: try request.textParameter("severity").map { try caseNamed($0, field: "severity") },
                    subject: try request.textParameter("subject"))
                let page = try await pageOrBadCursor {
                    try await store.alerts(
                        query, limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                return PageView(items: page.items, nextCursor: page.nextCursor)
            },
            APIRoute(
                .get, "alerts/{id}", access: Self.read,
                summary: "One alert with its most recent findings (at most 100) and its whole history",
                response: .reference("AlertDetail")
            ) { _, context in
                let id = try context.parameters.require("id")
                guard let alert = try await store.alert(id: id) else { throw APIError.notFound("alert \(id.prefix(200))") }
                let findings = try await store.findings(FindingQuery(alertID: id), limit: 100, cursor: nil)
                return AlertDetailView(alert: alert, findings: findings.items, history: try await store.history(alert: id))
            },
        ] + [AlertAction.acknowledge, .assign, .resolve, .reopen].map(changeRoute)
    }

    private func changeRoute(_ action: AlertAction) -> APIRoute {
        let summaries: [AlertAction: String] = [
            .acknowledge: "Acknowledge an open or reopened alert", .assign: "Assign an active alert to someone (assignee)",
            .resolve: "Resolve an active alert with a reason", .reopen: "Reopen a resolved alert (optional reason)",
        ]
        return APIRoute(
            .post, "alerts/{id}/\(action.rawValue)", access: Self.handle, summary: summaries[action] ?? action.rawValue,
            body: .object(
                ["assignee": .string(minLength: 1, maxLength: 200), "reason": .string(minLength: 1, maxLength: 2000)], closed: true),
            response: .reference("Alert"), problems: [.notFound, .conflict]
        ) { request, context in
            let id = try context.parameters.require("id")
            let body = try await StrictBody.decode(ChangeRequest.self, from: request, allowed: ["assignee", "reason"], limit: 16_384)
            let detail = action == .assign ? body.assignee : body.reason
            do {
                return try await actions.change(alert: id, action, detail: detail, by: origin(request, context))
            } catch let error as AlertChangeError {
                switch error {
                case .notFound: throw APIError.notFound("alert \(id.prefix(200))")
                case .invalidTransition: throw APIError(.conflict, code: "invalid_transition", message: error.description, field: "status")
                case .missingDetail(_, let field): throw APIError.invalid(field, error.description)
                }
            }
        }
    }
}

extension Alert: ResponseEncodable {}

/// An alert with its findings and history.
struct AlertDetailView: ResponseEncodable {
    var alert: Alert
    var findings: [ComplianceFinding]
    var history: [AlertChange]
}
