import CSICCore

/// `cycle`: funds that come back to the entity they left, after `minLength` to `maxLength` payments within the
/// window (round-tripping to fake turnover or hide the origin). Each address carries the recent origins whose
/// funds reached it (at most 16); known services and payments of more than 8 payees (batched payouts) neither
/// carry origins nor close cycles.
public struct CycleDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var minLength: Int
        public var maxLength: Int
        public var windowSeconds: Int64

        public init(minLength: Int = 3, maxLength: Int = 6, windowSeconds: Int64 = 7 * 86_400) {
            self.minLength = minLength
            self.maxLength = maxLength
            self.windowSeconds = windowSeconds
        }
    }

    /// Funds of `origin` that reached an address after `path.count` payments.
    struct Trail: TimedEvent {
        var time: Timestamp
        var txid: String
        var origin: String
        var path: [String]
        var txids: [String]
    }

    /// Trails kept per address, and carried by one transaction.
    static let trailsPerAddress = 16
    /// Payments of more payees (batched payouts) neither carry trails nor close cycles.
    static let maxPayees = 8

    public let typology = Typology.cycle
    public let parameters: Parameters
    private var trails: WindowedEvents<Trail>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        trails = WindowedEvents(seconds: parameters.windowSeconds, maxPerKey: Self.trailsPerAddress)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let payer = flows.senders.first?.address, !context.isKnownService(payer), flows.recipients.count <= Self.maxPayees else {
            return []
        }
        // What the payers carry, newest first, at most as many as one address keeps: a transaction of many
        // inputs must not multiply trails by its payees.
        var carried = [Trail(time: flows.time, txid: flows.txid, origin: payer, path: [payer], txids: [])]
        for sender in flows.senders where carried.count <= Self.trailsPerAddress {
            carried += trails.recent(for: sender.address, at: flows.time).suffix(Self.trailsPerAddress + 1 - carried.count)
        }
        var detections: [Detection] = []
        for recipient in flows.recipients where !context.isKnownService(recipient.address) {
            let entity = context.entity(recipient.address)
            for trail in carried {
                let path = trail.path + [recipient.address]
                let txids = trail.txids + [flows.txid]
                if context.entity(trail.origin) == entity {
                    guard txids.count >= parameters.minLength, trails.mayReport(trail.origin, at: flows.time) else { continue }
                    trails.markReported(trail.origin, at: flows.time)
                    detections.append(
                        Detection(
                            typology: typology, subjects: [trail.origin] + path.dropFirst().dropLast(), txids: txids,
                            amount: recipient.amount,
                            severity: .medium, summary: "funds of \(trail.origin) came back after \(txids.count) payments",
                            evidence: ["length": String(txids.count), "path": path.joined(separator: " -> ")]))
                } else if txids.count < parameters.maxLength, !trail.path.contains(recipient.address) {
                    trails.append(
                        Trail(time: flows.time, txid: flows.txid, origin: trail.origin, path: path, txids: txids), for: recipient.address)
                }
            }
        }
        return detections
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        trails.remove(txid: flows.txid, under: flows.recipients.map(\.address))
    }

    public mutating func expire(before time: Timestamp) {
        trails.expire(before: time)
    }
}
