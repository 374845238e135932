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

/// The handling state of an alert: raised `open`, then `acknowledged` and `assigned` by analysts, `resolved`
/// with a reason, and `reopened` when it needs looking at again.
public enum AlertStatus: String, Sendable, Codable, CaseIterable {
    case open, acknowledged, resolved, assigned, reopened

    /// Whether the alert's episode is still running: new findings of its subject and typology join it.
    public var isActive: Bool { self != .resolved }
}

/// A notification-worthy condition: an episode of findings of one typology about one subject, updated as the
/// episode continues rather than raised again per finding.
public struct Alert: DomainEvent, Hashable, Codable {
    /// `alert:<typology>:<subject>:<first finding's txid or id>`, fixed when the episode starts.
    public var id: String
    public var title: String
    public var subject: String
    /// The highest severity of the episode's findings.
    public var severity: Severity
    public var status: AlertStatus
    /// The most recent findings of the episode (at most ``recentFindingLimit``); all of them are listed by the
    /// finding store.
    public var findingIDs: [String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var typology: String
    public var assignee: String?
    public var resolution: String?
    /// Findings in the episode, and those of them not withdrawn.
    public var findingCount: Int
    public var activeFindings: Int
    public var lastFindingAt: Timestamp

    /// How many finding ids an alert carries itself.
    public static let recentFindingLimit = 20

    /// `findingIds`, so that snake-case JSON (the API) spells it `finding_ids`, not `finding_i_ds`.
    enum CodingKeys: String, CodingKey {
        case id, title, subject, severity, status, createdAt, updatedAt, typology, assignee, resolution, findingCount, activeFindings
        case lastFindingAt
        case findingIDs = "findingIds"
    }

    public init(
        id: String, title: String, subject: String, severity: Severity, status: AlertStatus, findingIDs: [String], createdAt: Timestamp,
        updatedAt: Timestamp, typology: String = "", assignee: String? = nil, resolution: String? = nil, findingCount: Int? = nil,
        activeFindings: Int? = nil, lastFindingAt: Timestamp? = nil
    ) {
        self.id = id
        self.title = title
        self.subject = subject
        self.severity = severity
        self.status = status
        self.findingIDs = findingIDs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.typology = typology
        self.assignee = assignee
        self.resolution = resolution
        self.findingCount = findingCount ?? findingIDs.count
        self.activeFindings = activeFindings ?? findingIDs.count
        self.lastFindingAt = lastFindingAt ?? updatedAt
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

/// What an analyst (or the alert service) does to an alert.
public enum AlertAction: String, Sendable, Codable, CaseIterable {
    /// The alert service: an episode started.
    case raised
    /// The alert service: a finding joined the episode.
    case updated
    /// The alert service: a finding was withdrawn (its transaction orphaned).
    case findingWithdrawn = "finding_withdrawn"
    case acknowledge, assign, resolve, reopen
}

/// One change of an alert, as kept in its history (and the audit trail).
public struct AlertChange: Sendable, Hashable, Codable {
    public var alertID: String
    public var time: Timestamp
    /// `user:<name>` for an analyst, `alert-service` for the service.
    public var actor: String
    public var action: AlertAction
    /// The status after the change.
    public var status: AlertStatus
    /// The finding, the assignee or the reason, as the action has one.
    public var detail: String

    public init(alertID: String, time: Timestamp, actor: String, action: AlertAction, status: AlertStatus, detail: String) {
        self.alertID = alertID
        self.time = time
        self.actor = actor
        self.action = action
        self.status = status
        self.detail = detail
    }
}
