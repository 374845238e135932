/// What kind of concern a finding records.
public enum FindingKind: String, Sendable, Codable, CaseIterable {
    case sanctionsHit = "sanctions_hit"
    case riskHit = "risk_hit"
    case ruleViolation = "rule_violation"
    case pattern
    case travelRule = "travel_rule"
    case licensing
}

/// A concern raised by an engine or the compliance module about a subject (address, exchange, machine).
public struct ComplianceFinding: DomainEvent, Hashable, Codable {
    /// Deterministic id chosen by the producing engine, e.g. `mm:spoofing:binance:BTCUSDT:<seq>`.
    public var id: String
    public var kind: FindingKind
    public var subject: String
    public var severity: Severity
    /// The producing engine or rule.
    public var source: String
    public var summary: String
    public var evidence: [String: String]
    public var time: Timestamp
    /// The typology detected (``Typology`` raw values for transaction analysis); empty for other kinds of finding.
    public var typology: String
    /// Every subject involved, `subject` first.
    public var subjects: [String]
    /// The transactions the finding rests on.
    public var txids: [String]
    /// The amount concerned, in `chain`'s base units.
    public var amount: Amount?
    public var chain: Chain?
    /// The version of the rules or model that made the finding, so a replay under other rules can be compared.
    public var ruleVersion: String
    /// The finding no longer holds: its transactions were orphaned by a reorganisation. Same id as the finding
    /// it withdraws.
    public var withdrawn: Bool

    public init(
        id: String, kind: FindingKind, subject: String, severity: Severity, source: String, summary: String,
        evidence: [String: String] = [:], time: Timestamp, typology: String = "", subjects: [String] = [], txids: [String] = [],
        amount: Amount? = nil, chain: Chain? = nil, ruleVersion: String = "", withdrawn: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.severity = severity
        self.source = source
        self.summary = summary
        self.evidence = evidence
        self.time = time
        self.typology = typology
        self.subjects = subjects
        self.txids = txids
        self.amount = amount
        self.chain = chain
        self.ruleVersion = ruleVersion
        self.withdrawn = withdrawn
    }

    public var eventID: String { "finding:\(id)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(id, "id")
        try Check.nonEmpty(subject, "subject")
        try Check.nonEmpty(source, "source")
        try Check.nonEmpty(summary, "summary")
        try Check.plausible(time, "time")
    }
}

/// A risk score with the features and reasons behind it.
public struct RiskAssessment: DomainEvent, Hashable, Codable {
    public var subject: String
    /// 0 (no risk) to 100 (certain).
    public var score: Int
    /// Model name and version, e.g. `gbm-2026.11`.
    public var model: String
    public var features: [String: Double]
    /// Human-readable contributions, largest first.
    public var explanations: [String]
    public var time: Timestamp

    public init(subject: String, score: Int, model: String, features: [String: Double], explanations: [String], time: Timestamp) {
        self.subject = subject
        self.score = score
        self.model = model
        self.features = features
        self.explanations = explanations
        self.time = time
    }

    /// `risk:<subject>:<model>`: a newer assessment by the same model replaces the older.
    public var eventID: String { "risk:\(subject):\(model)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(subject, "subject")
        try Check.nonEmpty(model, "model")
        try require((0...100).contains(score), .outOfRange, "score", "\(score) is outside 0...100")
        for (name, value) in features { try Check.finite(value, "features.\(name)") }
        try Check.plausible(time, "time")
    }
}

/// The handling state of an alert.
public enum AlertStatus: String, Sendable, Codable, CaseIterable {
    case open, acknowledged, resolved
}

/// A notification-worthy condition, deduplicated from one or more findings.
public struct Alert: DomainEvent, Hashable, Codable {
    /// Deterministic id from the dedupe key, e.g. `alert:<kind>:<subject>`.
    public var id: String
    public var title: String
    public var subject: String
    public var severity: Severity
    public var status: AlertStatus
    public var findingIDs: [String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String, title: String, subject: String, severity: Severity, status: AlertStatus, findingIDs: [String], createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.title = title
        self.subject = subject
        self.severity = severity
        self.status = status
        self.findingIDs = findingIDs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var eventID: String { id }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(id, "id")
        try Check.nonEmpty(title, "title")
        try Check.nonEmpty(subject, "subject")
        try require(!findingIDs.isEmpty, .missing, "finding_ids", "an alert cites at least one finding")
        try require(createdAt <= updatedAt, .inconsistent, "updated_at", "is before created_at")
    }
}
