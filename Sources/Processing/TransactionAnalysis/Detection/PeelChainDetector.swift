import CSICCore

/// `peel_chain` (Bitcoin): a large amount walked down a chain of transactions, each spending the previous
/// one's remainder, paying a small "peel" (at most `maxPeelRatio` of what it spends) to someone else and the
/// rest to a new address. A hop that pays the rest back to the address it spends from is a wallet spending its
/// own change in place, not a chain walking down: it is not a hop. Reported once per chain, when it reaches
/// `minLength` hops.
public struct PeelChainDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var minLength: Int
        /// The largest share of a hop's input its peel may be.
        public var maxPeelRatio: Double
        /// How long a remainder may wait to be spent and still continue the chain.
        public var windowSeconds: Int64

        public init(minLength: Int = 5, maxPeelRatio: Double = 0.2, windowSeconds: Int64 = 7 * 86_400) {
            self.minLength = minLength
            self.maxPeelRatio = maxPeelRatio
            self.windowSeconds = windowSeconds
        }
    }

    /// A chain so far, kept under the outpoint of its unspent remainder.
    struct Link: TimedEvent {
        var time: Timestamp
        var txid: String
        var origin: String
        var length: Int
        var txids: [String]
        var peeled: Amount
        var peels: [String]
        var reported: Bool
    }

    public let typology = Typology.peelChain
    public let parameters: Parameters
    /// Each chain's newest link under its remainder's outpoint.
    private var links: WindowedEvents<Link>

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
        links = WindowedEvents(seconds: parameters.windowSeconds, maxPerKey: 1)
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard flows.chain == .bitcoin, flows.spentOutputs.count == 1, flows.outputCount == 2, flows.recipients.count == 2,
            let sender = flows.senders.first, let remainder = flows.largestOutput
        else { return [] }
        let input = flows.inputTotal.approximateValue
        let peel = flows.recipients.min { $0.amount < $1.amount }!
        guard input > 0, peel.amount < remainder.value, peel.amount.approximateValue <= parameters.maxPeelRatio * input else { return [] }
        var link =
            links.recent(for: flows.spentOutputs[0], at: flows.time).last
            ?? Link(
                time: flows.time, txid: flows.txid, origin: sender.address, length: 0, txids: [], peeled: .zero, peels: [], reported: false)
        link.time = flows.time
        link.txid = flows.txid
        link.length += 1
        link.txids = Array((link.txids + [flows.txid]).suffix(100))
        link.peeled = link.peeled + peel.amount
        link.peels = Array((link.peels + [peel.address]).suffix(20))
        var detections: [Detection] = []
        if link.length >= parameters.minLength, !link.reported {
            link.reported = true
            detections.append(
                Detection(
                    typology: typology, subjects: [link.origin] + link.peels, txids: link.txids, amount: link.peeled, severity: .medium,
                    summary: "\(link.length) peels of \(link.peeled) in total walked down a chain from \(link.origin)",
                    evidence: [
                        "hops": String(link.length), "peeled": link.peeled.decimalString, "remainder": remainder.value.decimalString,
                        "origin": link.origin, "max_peel_ratio": String(parameters.maxPeelRatio),
                    ]))
        }
        links.append(link, for: remainder.outpoint)
        return detections
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        if let remainder = flows.largestOutput { links.remove(txid: flows.txid, under: [remainder.outpoint]) }
    }

    public mutating func expire(before time: Timestamp) {
        links.expire(before: time)
    }
}
