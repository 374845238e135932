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
    /// The previous last-seen times a recent transaction replaced, to undo it when reorganised.
    private var undo: [String: [(String, Timestamp?)]] = [:]
    private var undoOrder: [String] = []

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        var detections: [Detection] = []
        let threshold = parameters.minAmount[flows.chain] ?? .zero
        for sender in flows.senders {
            guard let seen = lastSeen[sender.address], seen.adding(microseconds: parameters.dormantSeconds * 1_000_000) <= flows.time,
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
        var replaced: [(String, Timestamp?)] = []
        for address in (flows.senders + flows.recipients + flows.change).map(\.address) {
            let previous = lastSeen[address]
            guard previous != nil || lastSeen.count < parameters.maxAddresses else { continue }
            if previous.map({ $0 < flows.time }) ?? true {
                replaced.append((address, previous))
                lastSeen[address] = flows.time
            }
        }
        remember(flows.txid, replaced)
        return detections
    }

    private mutating func remember(_ txid: String, _ replaced: [(String, Timestamp?)]) {
        undo[txid] = replaced
        undoOrder.append(txid)
        if undoOrder.count > 50_000 {
            for old in undoOrder.prefix(10_000) { undo[old] = nil }
            undoOrder.removeFirst(10_000)
        }
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        guard let replaced = undo.removeValue(forKey: flows.txid) else { return }
        for (address, previous) in replaced { lastSeen[address] = previous }
    }

    public mutating func expire(before time: Timestamp) {}
}
