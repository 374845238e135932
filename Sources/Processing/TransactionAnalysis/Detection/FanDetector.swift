import CSICCore

/// A payment seen from one end: the other party (its entity) and the amount.
struct Contact: TimedEvent {
    var time: Timestamp
    var txid: String
    var counterparty: String
    var amount: Amount
}

/// `fan_in` (many entities paying one address) and `fan_out` (one entity paying many), counted over a sliding
/// window. Counterparties are entities, so an owner consolidating its own addresses is one counterparty; a
/// known service is never the subject (an exchange collecting deposits or batching withdrawals is its trade);
/// and the payments must come in several transactions, so one batched payout is not a fan-out.
public struct FanDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var windowSeconds: Int64
        /// Distinct counterparties (entities) within the window.
        public var minCounterparties: Int
        /// Distinct transactions within the window.
        public var minTransactions: Int

        public init(windowSeconds: Int64 = 86_400, minCounterparties: Int = 20, minTransactions: Int = 5) {
            self.windowSeconds = windowSeconds
            self.minCounterparties = minCounterparties
            self.minTransactions = minTransactions
        }
    }

    public let typology: Typology
    public let parameters: Parameters
    private var contacts: WindowedEvents<Contact>

    /// `typology` is ``Typology/fanIn`` or ``Typology/fanOut``.
    public init(_ typology: Typology, _ parameters: Parameters = Parameters()) {
        precondition(typology == .fanIn || typology == .fanOut, "a fan detector detects fan_in or fan_out")
        self.typology = typology
        self.parameters = parameters
        contacts = WindowedEvents(seconds: parameters.windowSeconds)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let payer = flows.senders.first?.address else { return [] }
        if typology == .fanIn {
            let sender = context.entity(payer)
            return flows.recipients.compactMap { recipient in
                guard !context.isKnownService(recipient.address) else { return nil }
                let event = Contact(time: flows.time, txid: flows.txid, counterparty: sender, amount: recipient.amount)
                return record(event, subject: recipient.address, flows.time)
            }
        }
        guard !flows.senders.contains(where: { context.isKnownService($0.address) }) else { return [] }
        var detections: [Detection] = []
        for recipient in flows.recipients {
            let event = Contact(
                time: flows.time, txid: flows.txid, counterparty: context.entity(recipient.address), amount: recipient.amount)
            if let detection = record(event, subject: payer, flows.time) { detections.append(detection) }
        }
        return detections
    }

    private mutating func record(_ contact: Contact, subject: String, _ time: Timestamp) -> Detection? {
        let recent = contacts.append(contact, for: subject)
        // Counting distinct counterparties walks the window: only when it could reach the threshold and report.
        guard recent.count >= parameters.minCounterparties, contacts.mayReport(subject, at: time) else { return nil }
        let counterparties = Set(recent.map(\.counterparty))
        let transactions = Set(recent.map(\.txid))
        guard counterparties.count >= parameters.minCounterparties, transactions.count >= parameters.minTransactions else { return nil }
        contacts.markReported(subject, at: time)
        let total = recent.reduce(Amount.zero) { $0 + $1.amount }
        let direction = typology == .fanIn ? "from" : "to"
        return Detection(
            typology: typology, subjects: [subject] + counterparties.sorted().prefix(50), txids: recent.txids(), amount: total,
            severity: .medium,
            summary:
                "\(subject) paid \(direction) \(counterparties.count) entities in \(transactions.count) transactions within \(parameters.windowSeconds) s",
            evidence: [
                "counterparties": String(counterparties.count), "transactions": String(transactions.count),
                "window_seconds": String(parameters.windowSeconds), "total": total.decimalString,
            ])
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        contacts.remove(txid: flows.txid, under: (typology == .fanIn ? flows.recipients : flows.senders).map(\.address))
    }

    public mutating func expire(before time: Timestamp) {
        contacts.expire(before: time)
    }
}
