/// What the control layer asks a target to do.
public enum InterventionKind: String, Sendable, Codable, CaseIterable {
    case throttle, shutdown, freeze, notify
}

/// A command from the control layer to a machine, an account or a supervised entity.
public struct Intervention: DomainEvent, Hashable, Codable {
    public var id: String
    public var kind: InterventionKind
    /// A machine id, address or entity id.
    public var target: String
    public var reason: String
    /// The user or engine that asked for it.
    public var requestedBy: String
    /// Kind-specific settings, e.g. `power_limit_watts` for `throttle`.
    public var parameters: [String: String]
    public var time: Timestamp

    public init(
        id: String, kind: InterventionKind, target: String, reason: String, requestedBy: String, parameters: [String: String] = [:],
        time: Timestamp
    ) {
        self.id = id
        self.kind = kind
        self.target = target
        self.reason = reason
        self.requestedBy = requestedBy
        self.parameters = parameters
        self.time = time
    }

    public var eventID: String { "intervention:\(id)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(id, "id")
        try Check.nonEmpty(target, "target")
        try Check.nonEmpty(reason, "reason")
        try Check.nonEmpty(requestedBy, "requested_by")
        try Check.plausible(time, "time")
        if kind == .throttle {
            guard let limit = parameters["power_limit_watts"], let watts = Double(limit), watts >= 0 else {
                throw ValidationError(.missing, field: "parameters.power_limit_watts", "a throttle needs a non-negative power limit")
            }
        }
    }
}
