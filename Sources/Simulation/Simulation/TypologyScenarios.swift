import CSICCore

/// Labelled instances of every typology injected into the chain simulator's benign economy, reproducible from
/// a seed: the ground truth of `csic bench detection` and of the tests. Each instance uses fresh addresses,
/// shaped as the typology's definition (docs/architecture.md, "Risk engine") at sizes past its default
/// thresholds, and is labelled with its typology and key subject; the exposure instances come with the tags
/// that make them exposure (a sanctioned party, a mixer).
public struct TypologyScenarios: Sendable {
    /// One injected instance: what a detector should report, about whom.
    public struct Label: Sendable, Hashable {
        public var typology: Typology
        public var subject: String

        public init(typology: Typology, subject: String) {
            self.typology = typology
            self.subject = subject
        }
    }

    /// Every transaction, benign and injected, in time order.
    public private(set) var transactions: [ChainTransaction] = []
    public private(set) var labels: [Label] = []
    /// The txids of the injected instances' transactions (every other one is the benign economy's).
    public private(set) var injectedTxids: Set<String> = []
    /// The tags in force: the injected exposure instances' parties, and the simulated economy's known services
    /// (exchanges' hot wallets and deposit addresses, mining pools, merchants' payment processors), as a
    /// regulator's own TagPacks would list its licensed services.
    public private(set) var tags: [AddressTag] = []

    private var rng: SplitMix64
    private var height: UInt64 = 800_000
    /// Exchange addresses of the economy, where laundered funds are cashed out.
    private var exchanges: [String] = []

    /// `background` benign transactions of the simulator and `perTypology` instances of each typology spread
    /// over the same time span.
    public init(seed: UInt64, background: Int, perTypology: Int, start: Timestamp = Timestamp(secondsSinceEpoch: 1_767_225_600)) {
        rng = SplitMix64(seed: seed ^ 0x5C3A_A710)
        var simulator = ChainSimulator(seed: seed, start: start)
        var benign: [ChainTransaction] = []
        benign.reserveCapacity(background)
        while benign.count < background { benign.append(simulator.nextTransaction()) }
        tags = simulator.serviceTags()
        exchanges = tags.filter { $0.category == .exchange }.map(\.address)
        let end = benign.last?.block?.time ?? start
        let span = max(3_600_000_000, end.microsecondsSinceEpoch - start.microsecondsSinceEpoch)
        var injected: [ChainTransaction] = []
        for typology in Typology.allCases {
            for _ in 0..<perTypology {
                let at = start.adding(microseconds: Int64(rng.next() % UInt64(span)))
                injected += instance(typology, at: at)
            }
        }
        injectedTxids = Set(injected.map(\.txid))
        transactions = (benign + injected).enumerated().sorted {
            ($0.element.block?.time ?? $0.element.seenAt, $0.offset) < ($1.element.block?.time ?? $1.element.seenAt, $1.offset)
        }.map(\.element)
    }

    /// A fresh address: a segwit-looking string (detectors read addresses, they do not decode them).
    private mutating func address() -> String {
        "bc1q" + String(rng.hex32().prefix(38))
    }

    /// Where funds leaving an instance go: an exchange (cashed out) half the time, else a fresh address.
    private mutating func exit() -> String {
        guard !exchanges.isEmpty, rng.next() % 2 == 0 else { return address() }
        return exchanges[Int(rng.next() % UInt64(exchanges.count))]
    }

    private mutating func label(_ typology: Typology, _ subject: String) {
        labels.append(Label(typology: typology, subject: subject))
    }

    /// A transaction at `time` spending `inputs` (address, value; fresh outpoints unless given) to `outputs`.
    private mutating func pay(
        _ inputs: [(String, UInt64)], _ outputs: [(String, UInt64)], at time: Timestamp, spending outpoints: [(String, UInt32)]? = nil
    ) -> ChainTransaction {
        height += 1
        let txid = rng.hex32()
        return ChainTransaction(
            chain: .bitcoin, txid: txid, block: BlockRef(height: height, hash: rng.hex32(), time: time), seenAt: time,
            inputs: inputs.enumerated().map { position, input in
                let outpoint = outpoints?[position] ?? (rng.hex32(), 0)
                return TransactionInput(previousTxid: outpoint.0, previousIndex: outpoint.1, address: input.0, value: Amount(input.1))
            },
            outputs: outputs.enumerated().map {
                TransactionOutput(
                    index: UInt32($0.offset), address: $0.element.0, value: Amount($0.element.1), scriptType: "witness_v0_keyhash")
            })
    }

    private mutating func instance(_ typology: Typology, at start: Timestamp) -> [ChainTransaction] {
        func minutes(_ count: Int64) -> Timestamp { start.adding(microseconds: count * 60_000_000) }
        switch typology {
        case .fanIn:
            let hub = address()
            label(.fanIn, hub)
            return (0..<25).map { index in pay([(address(), 2_000_000)], [(hub, 1_990_000)], at: minutes(Int64(index) * 2)) }
        case .fanOut:
            let payer = address()
            label(.fanOut, payer)
            return (0..<25).map { index in
                pay([(payer, 5_000_000)], [(address(), 1_000_000), (payer, 3_990_000)], at: minutes(Int64(index) * 2))
            }
        case .structuring:
            let payer = address()
            label(.structuring, payer)
            return (0..<4).map { index in
                let payment = 9_500_000 + UInt64(index) * 100_000
                return pay(
                    [(payer, 12_000_000)], [(address(), payment), (payer, 12_000_000 - payment - 10_000)], at: minutes(Int64(index) * 90))
            }
        case .passThrough:
            let (mule, victim, boss) = (address(), address(), exit())
            label(.passThrough, mule)
            return [
                pay([(victim, 100_000_000)], [(mule, 99_000_000)], at: start),
                pay([(mule, 99_000_000)], [(boss, 98_000_000)], at: minutes(10)),
            ]
        case .peelChain:
            var holder = address()
            label(.peelChain, holder)
            var value: UInt64 = 500_000_000
            var previous = (rng.hex32(), UInt32(0))
            var chain: [ChainTransaction] = []
            for hop in 0..<6 {
                let peel = value / 50
                let next = address()
                let transaction = pay(
                    [(holder, value)], [(exit(), peel), (next, value - peel - 5_000)], at: minutes(Int64(hop) * 20), spending: [previous])
                chain.append(transaction)
                previous = (transaction.txid, 1)
                value = value - peel - 5_000
                holder = next
            }
            return chain
        case .coinjoin:
            let participants = (0..<5).map { _ in address() }
            label(.coinjoin, participants[0])
            return [pay(participants.map { ($0, 5_010_000) }, (0..<5).map { _ in (address(), 5_000_000) }, at: start)]
        case .scatterGather:
            let (source, sink) = (address(), address())
            let mules = (0..<6).map { _ in address() }
            label(.scatterGather, source)
            var flows = mules.enumerated().map { index, mule in
                pay([(source, 30_000_000)], [(mule, 10_000_000), (source, 19_990_000)], at: minutes(Int64(index)))
            }
            flows += mules.enumerated().map { index, mule in pay([(mule, 10_000_000)], [(sink, 9_990_000)], at: minutes(30 + Int64(index)))
            }
            return flows
        case .gatherScatter:
            let hub = address()
            label(.gatherScatter, hub)
            var flows = (0..<6).map { index in pay([(address(), 20_000_000)], [(hub, 19_990_000)], at: minutes(Int64(index))) }
            flows += (0..<6).map { index in pay([(hub, 19_990_000)], [(address(), 19_980_000)], at: minutes(30 + Int64(index))) }
            return flows
        case .cycle:
            let (origin, first, second) = (address(), address(), address())
            label(.cycle, origin)
            return [
                pay([(origin, 50_000_000)], [(first, 49_990_000)], at: start),
                pay([(first, 49_990_000)], [(second, 49_980_000)], at: minutes(30)),
                pay([(second, 49_980_000)], [(origin, 49_970_000)], at: minutes(60)),
            ]
        case .dormantReactivation:
            let (sleeper, funder, payee) = (address(), address(), exit())
            label(.dormantReactivation, sleeper)
            let funded = start.adding(microseconds: -400 * 86_400_000_000)
            return [
                pay([(funder, 60_000_000)], [(sleeper, 59_990_000)], at: funded),
                pay([(sleeper, 59_990_000)], [(payee, 59_980_000)], at: start),
            ]
        case .sanctionedExposure, .illicitExposure:
            let (party, first, second) = (address(), address(), address())
            let sanctioned = typology == .sanctionedExposure
            tags.append(
                AddressTag(
                    chain: .bitcoin, address: party, label: sanctioned ? "Scenario sanctioned party" : "Scenario mixer",
                    category: sanctioned ? .sanction : .mixingService, source: "scenario", confidence: 100))
            label(typology, first)
            label(typology, second)
            return [
                pay([(party, 80_000_000)], [(first, 79_990_000)], at: start),
                pay([(first, 79_990_000)], [(second, 79_980_000)], at: minutes(240)),
            ]
        }
    }
}
