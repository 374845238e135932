/// The result of an audited operation.
public enum AuditOutcome: String, Sendable, Codable, CaseIterable {
    case success, denied, failure
}

/// Who did what to which resource, when, and with what result.
public struct AuditRecord: DomainEvent, Hashable, Codable {
    /// Unique id assigned by the audit middleware.
    public var id: String
    public var time: Timestamp
    public var actor: String
    /// A dotted verb, e.g. `transactions.read`, `user.login`.
    public var action: String
    public var resource: String
    public var outcome: AuditOutcome
    public var requestID: String
    public var sourceAddress: String
    public var details: [String: String]

    public init(
        id: String, time: Timestamp, actor: String, action: String, resource: String, outcome: AuditOutcome, requestID: String,
        sourceAddress: String, details: [String: String] = [:]
    ) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.resource = resource
        self.outcome = outcome
        self.requestID = requestID
        self.sourceAddress = sourceAddress
        self.details = details
    }

    public var eventID: String { "audit:\(id)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(id, "id")
        try Check.nonEmpty(actor, "actor")
        try Check.nonEmpty(action, "action")
        try Check.nonEmpty(resource, "resource")
        try Check.plausible(time, "time")
    }
}
