import CSICCore

/// `structuring`: one entity making repeated payments just below a reporting threshold (in
/// `[threshold × (1 − margin), threshold)`) within a window, the amount set per chain in base units.
public struct StructuringDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        /// The reporting threshold per chain, in base units; a chain without one is not checked.
        public var thresholds: [Chain: Amount]
        /// How far below the threshold a payment still counts, as a fraction of it.
        public var margin: Double
        /// Payments below the threshold within the window.
        public var minPayments: Int
        public var windowSeconds: Int64

        public init(
            thresholds: [Chain: Amount] = [.bitcoin: Amount(10_000_000), .ethereum: Amount(3_000_000_000_000_000_000 as UInt64)],
            margin: Double = 0.1, minPayments: Int = 3, windowSeconds: Int64 = 3 * 86_400
        ) {
            self.thresholds = thresholds
            self.margin = margin
            self.minPayments = minPayments
            self.windowSeconds = windowSeconds
        }
    }

    public let typology = Typology.structuring
    public let parameters: Parameters
    private var payments: WindowedEvents<Contact>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        payments = WindowedEvents(seconds: parameters.windowSeconds)
    }

    /// Whether `amount` lies just below `threshold`.
    func isJustBelow(_ amount: Amount, _ threshold: Amount) -> Bool {
        amount < threshold && amount.approximateValue >= threshold.approximateValue * (1 - parameters.margin)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let threshold = parameters.thresholds[flows.chain], let payer = flows.senders.first?.address,
            !context.isKnownService(payer)
        else { return [] }
        let entity = context.entity(payer)
        var detection: Detection?
        for recipient in flows.recipients where isJustBelow(recipient.amount, threshold) {
            let recent = payments.append(
                Contact(time: flows.time, txid: flows.txid, counterparty: recipient.address, amount: recipient.amount), for: entity)
            guard recent.count >= parameters.minPayments, payments.mayReport(entity, at: flows.time) else { continue }
            payments.markReported(entity, at: flows.time)
            let total = recent.reduce(Amount.zero) { $0 + $1.amount }
            var recipients: [String] = []
            for payment in recent where !recipients.contains(payment.counterparty) { recipients.append(payment.counterparty) }
            detection = Detection(
                typology: typology, subjects: [payer] + recipients.prefix(50), txids: recent.txids(), amount: total,
                severity: .medium,
                summary:
                    "\(payer) made \(recent.count) payments just below the threshold of \(threshold) within \(parameters.windowSeconds) s",
                evidence: [
                    "payments": String(recent.count), "threshold": threshold.decimalString, "margin": String(parameters.margin),
                    "amounts": recent.suffix(20).map(\.amount.decimalString).joined(separator: ","),
                    "window_seconds": String(parameters.windowSeconds),
                ])
        }
        return detection.map { [$0] } ?? []
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        guard let payer = flows.senders.first?.address else { return }
        payments.remove(txid: flows.txid, under: [context.entity(payer)])
    }

    public mutating func expire(before time: Timestamp) {
        payments.expire(before: time)
    }
}
