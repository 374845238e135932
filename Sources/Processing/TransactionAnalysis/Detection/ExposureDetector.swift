import CSICCore
import Storage

/// `sanctioned_exposure` and `illicit_exposure`: funds that come from a sanctioned or illicit party (tagged
/// `sanction`, or a mixer, darknet market, ransomware or scam), directly or through up to `maxHops` hops, and
/// payments made directly to one. Each finding carries the hop count, the path of addresses and transactions,
/// the exposed amount (the recipient's output, scaled by the exposed payers' share of the inputs) and the tag
/// with its list version. Exposure passes on through ordinary addresses, not through known services (an
/// exchange pools everyone's funds) nor through other tagged parties (they are sources in their own right). On
/// Ethereum, token transfers (ERC-20 `Transfer`s: OFAC lists USDT and USDC addresses) pass it on as payments do,
/// with the token and its amount in the evidence; a call that moves no coin passes nothing.
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

    /// Ethereum's zero address: the sender of a token's mint, the receiver of its burn.
    static let zeroAddress = "0x" + String(repeating: "0", count: 40)

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
            guard let exposure = exposure(held: sender.address, flows, context) else { continue }
            exposedInput = exposedInput + sender.amount
            if source.map({ Self.isStronger(exposure, than: $0) }) ?? true { source = exposure }
        }
        if let source, source.hops < parameters.maxHops(source.typology) {
            let inputs = flows.inputTotal.approximateValue
            let share = inputs > 0 ? min(1, exposedInput.approximateValue / inputs) : 1
            // A call moving no coin (a token contract's) passes no funds.
            for recipient in flows.recipients where recipient.amount > .zero {
                detections.append(
                    pass(source, to: recipient.address, amount: recipient.amount.scaled(by: share), token: nil, flows, context))
            }
        }
        if source == nil, let payer = flows.senders.first?.address {
            for recipient in flows.recipients {
                guard let tag = context.illicitTag(recipient.address) else { continue }
                detections.append(paid(tag, by: payer, to: recipient.address, amount: recipient.amount, token: nil, flows))
            }
        }
        // Token transfers pass exposure on as coins do, each from its own sender; amounts in the token's units. A
        // mint (from the zero address) or a burn (to it) is no payment between parties.
        for transfer in flows.tokenTransfers
        where transfer.from != transfer.to && transfer.from != Self.zeroAddress && transfer.to != Self.zeroAddress {
            if let held = exposure(held: transfer.from, flows, context) {
                guard held.hops < parameters.maxHops(held.typology), transfer.value > .zero else { continue }
                detections.append(pass(held, to: transfer.to, amount: transfer.value, token: transfer.token, flows, context))
            } else if let tag = context.illicitTag(transfer.to) {
                detections.append(paid(tag, by: transfer.from, to: transfer.to, amount: transfer.value, token: transfer.token, flows))
            }
        }
        return detections
    }

    /// The exposure `address` holds: its own illicit tag (hop 0), else funds it received within the window.
    private func exposure(held address: String, _ flows: TransactionFlows, _ context: DetectionContext) -> Exposure? {
        context.illicitTag(address).map { Exposure(time: flows.time, txid: flows.txid, tag: $0, hops: 0, path: [address], txids: []) }
            ?? exposed.recent(for: address, at: flows.time).last
    }

    /// `recipient` reached by `source`'s funds in this transaction: reported, and held on unless it is a tagged party
    /// or a known service.
    private mutating func pass(
        _ source: Exposure, to recipient: String, amount: Amount, token: String?, _ flows: TransactionFlows, _ context: DetectionContext
    ) -> Detection {
        var reached = source
        reached.time = flows.time
        reached.txid = flows.txid
        reached.hops += 1
        reached.path = source.path + [recipient]
        reached.txids = source.txids + [flows.txid]
        if context.illicitTag(recipient) == nil, !context.isKnownService(recipient) {
            let current = exposed.recent(for: recipient, at: flows.time).last
            if current.map({ Self.isStronger(reached, than: $0) }) ?? true { exposed.append(reached, for: recipient) }
        }
        return detection(reached, subject: recipient, amount: amount, direction: "incoming", token: token)
    }

    /// A payment by `payer` straight to a tagged party.
    private func paid(
        _ tag: ListedTag, by payer: String, to recipient: String, amount: Amount, token: String?, _ flows: TransactionFlows
    )
        -> Detection
    {
        let reached = Exposure(time: flows.time, txid: flows.txid, tag: tag, hops: 1, path: [payer, recipient], txids: [flows.txid])
        return detection(reached, subject: payer, amount: amount, direction: "outgoing", token: token)
    }

    /// The detection; a token's amount is in the evidence (`token`, `token_amount`), the chain's coin amount none.
    private func detection(_ exposure: Exposure, subject: String, amount: Amount, direction: String, token: String?) -> Detection {
        let tag = exposure.tag
        let sanctioned = exposure.typology == .sanctionedExposure
        let severity: Severity = exposure.hops == 1 ? (sanctioned ? .critical : .high) : (sanctioned ? .high : .medium)
        let party = "\(tag.tag.label) (\(tag.tag.category?.rawValue ?? "tagged"))"
        let what = token.map { "\(amount) of token \($0)" } ?? "\(amount)"
        let summary =
            direction == "incoming"
            ? "\(subject) received \(what) from \(party), \(exposure.hops) hop(s) away"
            : "\(subject) paid \(what) to \(party)"
        var evidence = [
            "direction": direction, "hops": String(exposure.hops), "path": exposure.path.joined(separator: " -> "),
            "tagged_address": tag.tag.address, "label": tag.tag.label, "category": tag.tag.category?.rawValue ?? "",
            "list": tag.list, "list_version": String(tag.version), "source": tag.tag.source,
        ]
        // The party's own address is the path's first (funds came from it) or last (it was paid); a tag on another
        // address is its entity's (a cluster-defining tag).
        let partyAddress = direction == "incoming" ? exposure.path.first : exposure.path.last
        if let partyAddress, partyAddress != tag.tag.address {
            evidence["party_address"] = partyAddress
            evidence["attributed_by"] = "entity"
        }
        if let token {
            evidence["token"] = token
            evidence["token_amount"] = amount.decimalString
        }
        return Detection(
            typology: exposure.typology, subjects: [subject] + exposure.path.filter { $0 != subject }, txids: exposure.txids,
            amount: token == nil ? amount : nil, severity: severity, summary: summary, evidence: evidence)
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {
        exposed.remove(txid: flows.txid, under: flows.recipients.map(\.address) + flows.tokenTransfers.map(\.to))
    }

    public mutating func expire(before time: Timestamp) {
        exposed.expire(before: time)
    }
}
