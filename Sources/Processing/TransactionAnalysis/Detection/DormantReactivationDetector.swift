import CSICCore

/// `dormant_reactivation`: an address that pays out at least `minAmount` after at least `dormantSeconds`
/// without any activity. Addresses are remembered from their first activity on (at most `maxAddresses`; past
/// that, new addresses are not tracked); a reverted transaction's activity is undone.
public struct DormantReactivationDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var dormantSeconds: Int64
        /// The least amount moved, per chain; a chain without one counts any amount.
        public var minAmount: [Chain: Amount]
        public var maxAddresses: Int

        public init(
            dormantSeconds: Int64 = 365 * 86_400,
            minAmount: [Chain: Amount] = [.bitcoin: Amount(10_000_000), .ethereum: Amount(1_000_000_000_000_000_000 as UInt64)],
            maxAddresses: Int = 5_000_000
        ) {
            self.dormantSeconds = dormantSeconds
            self.minAmount = minAmount
            self.maxAddresses = maxAddresses
        }
    }

    public let typology = Typology.dormantReactivation
    public let parameters: Parameters
    private var lastSeen: [String: Timestamp] = [:]
    /// The previous last-seen times each recent transaction replaced, oldest first, to undo it when reorganised
    /// (searched from the newest: reverts are rare and recent).
    private var undo: [(txid: String, replaced: [(String, Timestamp?)])] = []

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        var detections: [Detection] = []
        var replaced: [(String, Timestamp?)] = []
        let threshold = parameters.minAmount[flows.chain] ?? .zero
        // One hash lookup per address: a sender's last activity is read as it is replaced.
        for sender in flows.senders {
            guard let seen = touch(sender.address, at: flows.time, replaced: &replaced),
                seen.adding(microseconds: parameters.dormantSeconds * 1_000_000) <= flows.time,
                sender.amount >= threshold, sender.amount > .zero
            else { continue }
            let days = (flows.time.microsecondsSinceEpoch - seen.microsecondsSinceEpoch) / 86_400_000_000
            detections.append(
                Detection(
                    typology: typology, subjects: [sender.address] + flows.recipients.prefix(20).map(\.address), txids: [flows.txid],
                    amount: sender.amount, severity: .low,
                    summary: "\(sender.address) moved \(sender.amount) after \(days) days without activity",
                    evidence: ["last_seen": seen.iso8601, "dormant_days": String(days), "amount": sender.amount.decimalString]))
        }
        for party in flows.recipients { _ = touch(party.address, at: flows.time, replaced: &replaced) }
        for party in flows.change { _ = touch(party.address, at: flows.time, replaced: &replaced) }
        undo.append((flows.txid, replaced))
        if undo.count > 50_000 { undo.removeFirst(10_000) }
        return detections
    }

    /// `address`'s last activity before this one, if remembered; the address is now last seen at `time` (when
    /// that is later, and it is remembered already or there is room), and the value replaced is kept for a revert.
    private mutating func touch(_ address: String, at time: Timestamp, replaced: inout [(String, Timestamp?)]) -> Timestamp? {
        let mayAdd = lastSeen.count < parameters.maxAddresses
        return Self.touch(&lastSeen[address], address, at: time, mayAdd: mayAdd, replaced: &replaced)
    }

    private static func touch(
        _ slot: inout Timestamp?, _ address: String, at time: Timestamp, mayAdd: Bool, replaced: inout [(String, Timestamp?)]
    ) -> Timestamp? {
        let previous = slot
        guard previous != nil || mayAdd else { return nil }
        if previous.map({ $0 < time }) ?? true {
            replaced.append((address, previous))
            slot = time
        }
        return previous
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        guard let index = undo.lastIndex(where: { $0.txid == flows.txid }) else { return }
        for (address, previous) in undo.remove(at: index).replaced { lastSeen[address] = previous }
    }

    public mutating func expire(before time: Timestamp) {}
}
