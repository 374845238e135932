import CSICCore

/// `scatter_gather`: one source pays several intermediaries, which each pass the funds on to one and the same
/// destination within the window (layering through mules). Known services are neither source, intermediary
/// nor destination; an intermediary is paid by at most 3 payers in the window and pays at most 8 payees.
public struct ScatterGatherDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var windowSeconds: Int64
        /// Distinct intermediaries between the source and the destination.
        public var minIntermediaries: Int

        public init(windowSeconds: Int64 = 86_400, minIntermediaries: Int = 5) {
            self.windowSeconds = windowSeconds
            self.minIntermediaries = minIntermediaries
        }
    }

    /// An address paid by more distinct payers within the window is not taken for an intermediary.
    static let maxSourcesPerIntermediary = 3
    /// A payment of more payees is not taken for an intermediary passing funds on.
    static let maxPayees = 8

    public let typology = Typology.scatterGather
    public let parameters: Parameters
    /// Under each intermediary: the sources that paid it (counterparty = the source's address).
    private var scattered: WindowedEvents<Contact>
    /// Under `source → destination`: the intermediaries that passed funds on (counterparty = the intermediary).
    private var gathered: WindowedEvents<Contact>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        scattered = WindowedEvents(seconds: parameters.windowSeconds)
        gathered = WindowedEvents(seconds: parameters.windowSeconds)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let payer = flows.senders.first?.address, !context.isKnownService(payer) else { return [] }
        let payerEntity = context.entity(payer)
        var detections: [Detection] = []
        var sources = Set<String>()
        for sender in flows.senders {
            for contact in scattered.recent(for: sender.address, at: flows.time) { sources.insert(contact.counterparty) }
        }
        // An intermediary passes one source's funds to a few destinations; an address paid by many (a collector,
        // a service) or paying many (a batch) is not one, and following all its pairs would cost sources × payees.
        if sources.count > Self.maxSourcesPerIntermediary || flows.recipients.count > Self.maxPayees { sources = [] }
        for source in sources.sorted() {
            for recipient in flows.recipients where !context.isKnownService(recipient.address) {
                guard context.entity(recipient.address) != context.entity(source) else { continue }
                let key = "\(source)>\(recipient.address)"
                let recent = gathered.append(
                    Contact(time: flows.time, txid: flows.txid, counterparty: payerEntity, amount: recipient.amount), for: key)
                let intermediaries = Set(recent.map(\.counterparty))
                guard intermediaries.count >= parameters.minIntermediaries, gathered.mayReport(key, at: flows.time) else { continue }
                gathered.markReported(key, at: flows.time)
                let total = recent.reduce(Amount.zero) { $0 + $1.amount }
                detections.append(
                    Detection(
                        typology: typology, subjects: [source, recipient.address] + intermediaries.sorted().prefix(50),
                        txids: recent.txids(), amount: total, severity: .high,
                        summary:
                            "\(source) paid \(recipient.address) through \(intermediaries.count) intermediaries within \(parameters.windowSeconds) s",
                        evidence: [
                            "source": source, "destination": recipient.address, "intermediaries": String(intermediaries.count),
                            "gathered": total.decimalString, "window_seconds": String(parameters.windowSeconds),
                        ]))
            }
        }
        for recipient in flows.recipients where !context.isKnownService(recipient.address) {
            scattered.append(
                Contact(time: flows.time, txid: flows.txid, counterparty: payer, amount: recipient.amount), for: recipient.address)
        }
        return detections
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        scattered.remove(txid: flows.txid, under: flows.recipients.map(\.address))
        let keys = gathered.series.keys.filter { key in flows.recipients.contains { key.hasSuffix(">\($0.address)") } }
        gathered.remove(txid: flows.txid, under: keys)
    }

    public mutating func expire(before time: Timestamp) {
        scattered.expire(before: time)
        gathered.expire(before: time)
    }
}
