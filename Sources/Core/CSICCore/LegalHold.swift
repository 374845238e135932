/// An order to keep records past their retention period: while a hold is active, no record it covers is
/// purged, however old. Placing and releasing holds is audited like every write.
public struct LegalHold: Sendable, Hashable, Codable {
    public var id: String
    public var recordClass: RecordClass
    /// What the hold covers within the class: an address or transaction id (transactions), an alert id or
    /// subject (alerts), a source (dead letters). `nil` holds every record of the class.
    public var subject: String?
    public var reason: String
    /// The matter the hold belongs to (case number, court order).
    public var caseReference: String?
    public var placedBy: String
    public var placedAt: Timestamp
    public var releasedBy: String?
    public var releasedAt: Timestamp?

    public init(
        id: String, recordClass: RecordClass, subject: String?, reason: String, caseReference: String? = nil, placedBy: String,
        placedAt: Timestamp, releasedBy: String? = nil, releasedAt: Timestamp? = nil
    ) {
        self.id = id
        self.recordClass = recordClass
        self.subject = subject
        self.reason = reason
        self.caseReference = caseReference
        self.placedBy = placedBy
        self.placedAt = placedAt
        self.releasedBy = releasedBy
        self.releasedAt = releasedAt
    }

    public var isActive: Bool { releasedAt == nil }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(id, "id")
        try Check.nonEmpty(reason, "reason")
        try Check.nonEmpty(placedBy, "placed_by")
        guard recordClass != .audit else {
            throw ValidationError(.outOfRange, field: "record_class", "audit records are kept permanently; a hold adds nothing")
        }
        for (field, value) in [("subject", subject), ("case_reference", caseReference)] {
            guard let value else { continue }
            try Check.nonEmpty(value, field)
            guard value.utf8.count <= 200 else { throw ValidationError(.outOfRange, field: field, "at most 200 bytes") }
        }
        guard reason.utf8.count <= 4_096 else { throw ValidationError(.outOfRange, field: "reason", "at most 4096 bytes") }
    }
}

/// What one purge of a record class did.
public struct PurgeReport: Sendable, Hashable, Codable {
    public var recordClass: RecordClass
    public var period: String
    /// Records made before this had expired when the purge ran.
    public var cutoff: Timestamp
    /// When the purge ran (the store's clock).
    public var ranAt: Timestamp
    public var purged: Int
    /// Expired records kept because an active legal hold covers them (or, for a transaction, because its
    /// stored event could not be read to check the holds: nothing is purged unchecked).
    public var held: Int

    public init(recordClass: RecordClass, period: String, cutoff: Timestamp, ranAt: Timestamp, purged: Int = 0, held: Int = 0) {
        self.recordClass = recordClass
        self.period = period
        self.cutoff = cutoff
        self.ranAt = ranAt
        self.purged = purged
        self.held = held
    }
}
