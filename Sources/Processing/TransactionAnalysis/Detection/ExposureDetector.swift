import CSICCore
import Storage

/// `sanctioned_exposure` and `illicit_exposure`: funds that come from a sanctioned or illicit party (tagged
/// `sanction`, or a mixer, darknet market, ransomware or scam), directly or through up to `maxHops` hops, and
/// payments made directly to one. Each finding carries the hop count, the path of addresses and transactions,
/// the exposed amount (the recipient's output, scaled by the exposed payers' share of the inputs) and the tag
/// with its list version. Exposure passes on through ordinary addresses, not through known services (an
/// exchange pools everyone's funds) nor through other tagged parties (they are sources in their own right).
public struct ExposureDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        /// Hops followed from a sanctioned party: 1 is direct exposure, at most 5.
        public var sanctionedMaxHops: Int
        /// Hops followed from an illicit party (mixer, darknet market, ransomware, scam).
        public var illicitMaxHops: Int
        /// How long a hop may wait for the next.
        public var windowSeconds: Int64

        public init(maxHops: Int = 3, illicitMaxHops: Int? = nil, windowSeconds: Int64 = 90 * 86_400) {
            sanctionedMaxHops = maxHops
            self.illicitMaxHops = illicitMaxHops ?? maxHops
            self.windowSeconds = windowSeconds
        }

        func maxHops(_ typology: Typology) -> Int {
            typology == .sanctionedExposure ? sanctionedMaxHops : illicitMaxHops
        }
    }

    /// Funds of a tagged party held by an address, `hops` payments away from it.
    struct Exposure: TimedEvent {
        var time: Timestamp
        var txid: String
        var tag: ListedTag
        var hops: Int
        var path: [String]
        var txids: [String]

        var typology: Typology { tag.tag.category == .sanction ? .sanctionedExposure : .illicitExposure }
    }

    /// Sanctions win, then the fewest hops.
    static func isStronger(_ a: Exposure, than b: Exposure) -> Bool {
        let (sanctionA, sanctionB) = (a.typology == .sanctionedExposure, b.typology == .sanctionedExposure)
        return sanctionA != sanctionB ? sanctionA : a.hops < b.hops
    }

    /// The typology this detector reports first; it reports both.
    public let typology = Typology.sanctionedExposure
    public let parameters: Parameters
    private var exposed: WindowedEvents<Exposure>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        exposed = WindowedEvents(seconds: parameters.windowSeconds, maxPerKey: 1)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        var detections: [Detection] = []
        var source: Exposure?
        var exposedInput = Amount.zero
        for sender in flows.senders {
            let exposure =
                context.illicitTag(sender.address).map {
                    Exposure(time: flows.time, txid: flows.txid, tag: $0, hops: 0, path: [sender.address], txids: [])
                } ?? exposed.recent(for: sender.address, at: flows.time).last
            guard let exposure else { continue }
            exposedInput = exposedInput + sender.amount
            if source.map({ Self.isStronger(exposure, than: $0) }) ?? true { source = exposure }
        }
        if let source, source.hops < parameters.maxHops(source.typology) {
            let inputs = flows.inputTotal.approximateValue
            let share = inputs > 0 ? min(1, exposedInput.approximateValue / inputs) : 1
            for recipient in flows.recipients {
                var reached = source
                reached.time = flows.time
                reached.txid = flows.txid
                reached.hops += 1
                reached.path = source.path + [recipient.address]
                reached.txids = source.txids + [flows.txid]
                let amount = recipient.amount.scaled(by: share)
                detections.append(detection(reached, subject: recipient.address, amount: amount, direction: "incoming"))
                if context.illicitTag(recipient.address) == nil, !context.isKnownService(recipient.address) {
                    let current = exposed.recent(for: recipient.address, at: flows.time).last
                    if current.map({ Self.isStronger(reached, than: $0) }) ?? true { exposed.append(reached, for: recipient.address) }
                }
            }
        }
        if source == nil, let payer = flows.senders.first?.address {
            for recipient in flows.recipients {
                guard let tag = context.illicitTag(recipient.address) else { continue }
                let reached = Exposure(
                    time: flows.time, txid: flows.txid, tag: tag, hops: 1, path: [payer, recipient.address], txids: [flows.txid])
                detections.append(detection(reached, subject: payer, amount: recipient.amount, direction: "outgoing"))
            }
        }
        return detections
    }

    private func detection(_ exposure: Exposure, subject: String, amount: Amount, direction: String) -> Detection {
        let tag = exposure.tag
        let sanctioned = exposure.typology == .sanctionedExposure
        let severity: Severity = exposure.hops == 1 ? (sanctioned ? .critical : .high) : (sanctioned ? .high : .medium)
        let party = "\(tag.tag.label) (\(tag.tag.category?.rawValue ?? "tagged"))"
        let summary =
            direction == "incoming"
            ? "\(subject) received \(amount) from \(party), \(exposure.hops) hop(s) away"
            : "\(subject) paid \(amount) to \(party)"
        return Detection(
            typology: exposure.typology, subjects: [subject] + exposure.path.filter { $0 != subject }, txids: exposure.txids,
            amount: amount,
            severity: severity, summary: summary,
            evidence: [
                "direction": direction, "hops": String(exposure.hops), "path": exposure.path.joined(separator: " -> "),
                "tagged_address": tag.tag.address, "label": tag.tag.label, "category": tag.tag.category?.rawValue ?? "",
                "list": tag.list, "list_version": String(tag.version), "source": tag.tag.source,
            ])
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        exposed.remove(txid: flows.txid, under: flows.recipients.map(\.address))
    }

    public mutating func expire(before time: Timestamp) {
        exposed.expire(before: time)
    }
}
