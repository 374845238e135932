import CSICCore
import Storage

/// What a detector found: a typology, its subjects and the transactions it rests on, with the evidence an
/// analyst reads. The analysis engine turns it into a ``ComplianceFinding``.
public struct Detection: Sendable, Hashable {
    public var typology: Typology
    /// The key subject (an address) first, then the others involved.
    public var subjects: [String]
    /// The transactions the detection rests on; the last is the one that completed the pattern.
    public var txids: [String]
    public var amount: Amount?
    public var severity: Severity
    public var summary: String
    /// Human-readable facts: counts, windows, paths, the tag and list version behind an exposure.
    public var evidence: [String: String]

    public init(
        typology: Typology, subjects: [String], txids: [String], amount: Amount?, severity: Severity, summary: String,
        evidence: [String: String]
    ) {
        self.typology = typology
        self.subjects = subjects
        self.txids = txids
        self.amount = amount
        self.severity = severity
        self.summary = summary
        self.evidence = evidence
    }
}

/// What a detector may know beyond the transaction: the tags in force for its addresses, those they have through
/// their entity, and the entity of an address (the multi-input cluster it belongs to).
public struct DetectionContext {
    /// The tags in force for the addresses of the transaction being read, by address.
    public var tags: [String: [ListedTag]]
    /// The tags the transaction's addresses have through their entity (``EntityTags``), by address.
    public var entityTags: [String: [ListedTag]]
    /// How the entity of an address is worked out.
    private let entityOf: (String) -> String
    /// The entity and standing of the transaction's own addresses, worked out once by ``remember(_:)``: every
    /// detector asks about the same few addresses.
    private var remembered: [Standing] = []

    /// What the context worked out for one address.
    private struct Standing {
        let address: String
        let entity: String
        let knownService: Bool
    }

    /// How many addresses ``remember(_:)`` keeps: a lookup walks them, which beats hashing for a few; the
    /// addresses of a larger transaction beyond these are worked out at each question.
    static let rememberedAddresses = 16

    public init(
        tags: [String: [ListedTag]] = [:], entityTags: [String: [ListedTag]] = [:], entity: @escaping (String) -> String = { $0 }
    ) {
        self.tags = tags
        self.entityTags = entityTags
        entityOf = entity
    }

    /// Works out, once, the entity and standing of `flows`' addresses (its first ``rememberedAddresses``).
    mutating func remember(_ flows: TransactionFlows) {
        for flow in flows.senders { remember(flow.address) }
        for flow in flows.recipients { remember(flow.address) }
        for flow in flows.change { remember(flow.address) }
    }

    private mutating func remember(_ address: String) {
        guard remembered.count < Self.rememberedAddresses, standing(of: address) == nil else { return }
        remembered.append(Standing(address: address, entity: entityOf(address), knownService: Self.isKnownService(allTags(address))))
    }

    private func standing(of address: String) -> Standing? {
        remembered.first { $0.address == address }
    }

    /// The entity of `address`: the same key for every address of one cluster.
    public func entity(_ address: String) -> String {
        standing(of: address)?.entity ?? entityOf(address)
    }

    /// The tags of `address`: its own, then those of its entity.
    public func allTags(_ address: String) -> [ListedTag] {
        guard let lent = entityTags[address] else { return tags[address] ?? [] }
        return (tags[address] ?? []) + lent
    }

    /// Whether `address` is tagged as a known service (exchange, mining pool, payment processor), itself or
    /// through its entity: context, not a suspect.
    public func isKnownService(_ address: String) -> Bool {
        standing(of: address)?.knownService ?? Self.isKnownService(allTags(address))
    }

    private static func isKnownService(_ tags: [ListedTag]) -> Bool {
        tags.contains { $0.tag.category.map(TagCategory.knownServices.contains) ?? false }
    }

    /// The most confident illicit tag of `address` (sanctions first), its own or its entity's, if any.
    public func illicitTag(_ address: String) -> ListedTag? {
        let illicit = allTags(address).filter { $0.tag.category.map(TagCategory.illicit.contains) ?? false }
        return illicit.max {
            ($0.tag.category == .sanction ? 1 : 0, $0.tag.confidence) < ($1.tag.category == .sanction ? 1 : 0, $1.tag.confidence)
        }
    }
}

/// A streaming detector of one typology: it reads transactions in log order, keeps the windowed state it needs
/// and reports a detection when a pattern completes. State is bounded: entries older than the window are
/// dropped by ``expire(before:)`` and every map has a cap.
public protocol TypologyDetector: Sendable {
    var typology: Typology { get }
    /// Reads one transaction; returns what it completed.
    mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection]
    /// Forgets what a reorganised (reverted) transaction contributed.
    mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext)
    /// Drops state older than the detector's window, measured back from `time`.
    mutating func expire(before time: Timestamp)
}
