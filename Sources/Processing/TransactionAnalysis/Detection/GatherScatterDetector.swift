import CSICCore

/// `gather_scatter`: a hub that many entities pay and that pays many entities within the window (a collection
/// account redistributing funds). Known services, whose trade this is, are not hubs.
public struct GatherScatterDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var windowSeconds: Int64
        public var minSources: Int
        public var minDestinations: Int

        public init(windowSeconds: Int64 = 86_400, minSources: Int = 5, minDestinations: Int = 5) {
            self.windowSeconds = windowSeconds
            self.minSources = minSources
            self.minDestinations = minDestinations
        }
    }

    public let typology = Typology.gatherScatter
    public let parameters: Parameters
    private var incoming: WindowedEvents<Contact>
    private var outgoing: WindowedEvents<Contact>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        incoming = WindowedEvents(seconds: parameters.windowSeconds)
        outgoing = WindowedEvents(seconds: parameters.windowSeconds)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        var detections: [Detection] = []
        if let payer = flows.senders.first?.address {
            let payerEntity = context.entity(payer)
            for recipient in flows.recipients where !context.isKnownService(recipient.address) {
                incoming.append(
                    Contact(time: flows.time, txid: flows.txid, counterparty: payerEntity, amount: recipient.amount), for: recipient.address
                )
            }
        }
        guard flows.senders.count == 1, let hub = flows.senders.first?.address, !context.isKnownService(hub) else { return detections }
        for recipient in flows.recipients {
            outgoing.append(
                Contact(time: flows.time, txid: flows.txid, counterparty: context.entity(recipient.address), amount: recipient.amount),
                for: hub)
        }
        // Read once all are added: a slice held across appends would copy the hub's events at each one.
        let sent = outgoing.recent(for: hub, at: flows.time)
        let received = incoming.recent(for: hub, at: flows.time)
        guard received.count >= parameters.minSources, sent.count >= parameters.minDestinations, outgoing.mayReport(hub, at: flows.time)
        else { return detections }
        let sources = Set(received.map(\.counterparty))
        let destinations = Set(sent.map(\.counterparty))
        guard sources.count >= parameters.minSources, destinations.count >= parameters.minDestinations else { return detections }
        outgoing.markReported(hub, at: flows.time)
        let gathered = received.reduce(Amount.zero) { $0 + $1.amount }
        detections.append(
            Detection(
                typology: typology, subjects: [hub], txids: received.txids(limit: 50) + sent.txids(limit: 50), amount: gathered,
                severity: .medium,
                summary:
                    "\(hub) gathered \(gathered) from \(sources.count) entities and paid \(destinations.count) within \(parameters.windowSeconds) s",
                evidence: [
                    "sources": String(sources.count), "destinations": String(destinations.count), "gathered": gathered.decimalString,
                    "scattered": sent.reduce(Amount.zero) { $0 + $1.amount }.decimalString,
                    "window_seconds": String(parameters.windowSeconds),
                ]))
        return detections
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        incoming.remove(txid: flows.txid, under: flows.recipients.map(\.address))
        outgoing.remove(txid: flows.txid, under: flows.senders.map(\.address))
    }

    public mutating func expire(before time: Timestamp) {
        incoming.expire(before: time)
        outgoing.expire(before: time)
    }
}
