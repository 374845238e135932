import CSICCore

/// `pass_through`: an address that pays out what other entities paid into it within a short window — at least
/// `minRatio` of it and no more than it, at least `minAmount` (a money mule, a layering hop; an owner spending older
/// funds with the new pays out more than came in). Only what the payer surely paid to others counts as paid out
/// (``paidOut(_:)``), and only what others surely paid as paid in: an output that is or could be a payer's change
/// (``ChangeHeuristics/split(of:_:)``) is neither, and neither is a withdrawal from a known service (the customer
/// moving their own funds). Known services (whose trade is to pass funds on) are not subjects.
public struct PassThroughDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var windowSeconds: Int64
        /// The share of what came in that must go out again.
        public var minRatio: Double
        /// The least amount passed through, per chain; a chain without one counts any amount.
        public var minAmount: [Chain: Amount]

        public init(
            windowSeconds: Int64 = 3_600, minRatio: Double = 0.9,
            minAmount: [Chain: Amount] = [.bitcoin: Amount(50_000_000), .ethereum: Amount(10_000_000_000_000_000_000 as UInt64)]
        ) {
            self.windowSeconds = windowSeconds
            self.minRatio = minRatio
            self.minAmount = minAmount
        }
    }

    public let typology = Typology.passThrough
    public let parameters: Parameters
    private var receipts: WindowedEvents<Contact>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        receipts = WindowedEvents(seconds: parameters.windowSeconds)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let first = flows.senders.first, !context.isKnownService(first.address) else { return [] }
        let split = ChangeHeuristics.split(of: flows, context)
        var detections: [Detection] = []
        if flows.senders.count == 1, flows.paidTotal > .zero {
            let recent = receipts.recent(for: first.address, at: flows.time)
            let received = recent.reduce(Amount.zero) { $0 + $1.amount }
            let spent = Self.paidOut(split)
            if received > .zero, spent <= received, spent >= parameters.minAmount[flows.chain] ?? .zero,
                spent.approximateValue >= parameters.minRatio * received.approximateValue,
                receipts.mayReport(first.address, at: flows.time)
            {
                receipts.markReported(first.address, at: flows.time)
                let payers = Array(Set(recent.map(\.counterparty))).sorted()
                detections.append(
                    Detection(
                        typology: typology, subjects: [first.address] + payers.prefix(20) + flows.recipients.prefix(20).map(\.address),
                        txids: recent.txids() + [flows.txid], amount: min(received, spent), severity: .medium,
                        summary: "\(first.address) paid out \(spent) of the \(received) paid in within \(parameters.windowSeconds) s",
                        evidence: [
                            "received": received.decimalString, "paid_out": spent.decimalString, "receipts": String(recent.count),
                            "window_seconds": String(parameters.windowSeconds),
                        ]))
            }
        }
        let payer = context.entity(first.address)
        let undecided = Set(split.possibleChange)
        for recipient in split.payments where !context.isKnownService(recipient.address) && !undecided.contains(recipient) {
            receipts.append(
                Contact(time: flows.time, txid: flows.txid, counterparty: payer, amount: recipient.amount), for: recipient.address)
        }
        return detections
    }

    /// What the payer surely paid to others: its payments, less the largest one that could still be its change.
    static func paidOut(_ split: ChangeHeuristics.Split) -> Amount {
        let total = split.payments.reduce(Amount.zero) { $0 + $1.amount }
        guard let possibleChange = split.possibleChange.map(\.amount).max() else { return total }
        return total.subtracting(possibleChange) ?? .zero
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        receipts.remove(txid: flows.txid, under: flows.recipients.map(\.address))
    }

    public mutating func expire(before time: Timestamp) {
        receipts.expire(before: time)
    }
}
