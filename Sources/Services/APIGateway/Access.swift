import Storage

/// Who may call a route: declared next to the route (``APIRoute``), read by the gateway to decide every
/// request, by `GET /openapi.yaml`, by the RBAC tests and by docs/api.md.
///
/// ```swift
/// APIRoute(.get, "transactions/{id}", access: .roles("transactions.read", .admin, .supervisor, .analyst, .auditor), ...)
/// ```
public struct Access: Sendable, Hashable {
    /// The rule's name in audit records (`transactions.read`).
    public let rule: String
    /// Roles admitted; empty with ``isPublic`` for routes anyone may call.
    public let roles: Set<UserAccount.Role>
    /// Anyone, without a credential (`/health`, signing in, the public keys).
    public let isPublic: Bool
    /// Object-level rule: a `reporting_entity` is admitted only when this path parameter is its own entity id.
    public let entityParameter: String?
    /// Callers on the loopback interface need no credential (`/metrics` for a local Prometheus).
    public var openOnLoopback = false

    /// Anyone may call the route.
    public static func open(_ rule: String) -> Access {
        Access(rule: rule, roles: [], isPublic: true, entityParameter: nil)
    }

    /// Only these roles.
    public static func roles(_ rule: String, _ roles: UserAccount.Role...) -> Access {
        Access(rule: rule, roles: Set(roles), isPublic: false, entityParameter: nil)
    }

    /// Every signed-in account, whatever its role.
    public static func authenticated(_ rule: String) -> Access {
        Access(rule: rule, roles: Set(UserAccount.Role.allCases), isPublic: false, entityParameter: nil)
    }

    /// The same rule, with a `reporting_entity` admitted only to its own entity's `{parameter}`.
    public func entityScoped(by parameter: String) -> Access {
        Access(rule: rule, roles: roles.union([.reportingEntity]), isPublic: isPublic, entityParameter: parameter)
    }

    /// What the rule says about `principal`, given the request's path parameters.
    public func decide(_ principal: Principal?, parameter: (String) -> String?) -> AccessDecision {
        if isPublic { return .allowed }
        guard let principal else { return .unauthenticated }
        guard roles.contains(principal.role) else { return .forbidden }
        if principal.role == .reportingEntity, let entityParameter {
            guard let entity = principal.entityID, parameter(entityParameter) == entity else { return .forbidden }
        }
        return .allowed
    }
}

/// The outcome of ``Access/decide(_:parameter:)``.
public enum AccessDecision: String, Sendable, Equatable {
    case allowed
    /// No valid credential: 401.
    case unauthenticated
    /// A valid credential whose role or entity is not admitted: 403.
    case forbidden
}

/// Fields of a route's answer that only some roles see; others get them as `null` and their names in
/// `redacted`.
public struct Redaction: Sendable, Hashable {
    public let fields: [String]
    public let visibleTo: Set<UserAccount.Role>

    public init(fields: [String], visibleTo: Set<UserAccount.Role>) {
        self.fields = fields
        self.visibleTo = visibleTo
    }
}

extension Access {
    /// Stored transactions: REST `/api/v1/transactions...` and gRPC `GetTransaction`/`ListTransactions`.
    public static let transactionsRead = Access.roles("transactions.read", .admin, .supervisor, .analyst, .auditor)
    /// Row counts and what the log holds: REST `/api/v1/stats` and gRPC `GetStats`.
    public static let statsRead = Access.roles("stats.read", .admin, .supervisor, .analyst, .auditor)
    /// Audit records and proofs: REST `/api/v1/audit/...` and gRPC `GetAuditRecord`.
    public static let auditRead = Access.roles("audit.read", .admin, .supervisor, .auditor)
    /// The live feed: REST `/api/v1/events` and gRPC `Watch`.
    public static let eventsRead = Access.roles("events.read", .admin, .supervisor, .analyst, .auditor)
}

extension Redaction {
    /// A dead letter's raw bytes (what a source sent, which may hold personal data) only for admin and supervisor.
    public static let deadLetterBytes = Redaction(fields: ["key_base64", "payload_base64"], visibleTo: [.admin, .supervisor])
}
