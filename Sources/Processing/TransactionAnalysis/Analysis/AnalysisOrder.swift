import CSICCore

/// The order a batch is analysed in. A partitioned log delivers a block's transactions interleaved across
/// partitions; the detectors that follow coins (peel chains, exposure hops) need a spent transaction before the
/// one spending it. So between reverts (which stay where the log put them), transactions are ordered by block
/// height, and within a height a Bitcoin transaction follows any transaction of the batch whose output it
/// spends. The sort is stable: otherwise the log's order stands.
enum AnalysisOrder {
    static func arrange(_ transactions: [ChainTransaction]) -> [ChainTransaction] {
        var arranged: [ChainTransaction] = []
        arranged.reserveCapacity(transactions.count)
        var segment: [ChainTransaction] = []
        for transaction in transactions {
            if transaction.status == .reverted {
                arranged += ordered(segment)
                segment.removeAll(keepingCapacity: true)
                arranged.append(transaction)
            } else {
                segment.append(transaction)
            }
        }
        return arranged + ordered(segment)
    }

    /// `segment` by height (unconfirmed last), spent before spending, otherwise as given.
    private static func ordered(_ segment: [ChainTransaction]) -> [ChainTransaction] {
        guard segment.count > 1 else { return segment }
        let byHeight = segment.enumerated().sorted {
            ($0.element.block?.height ?? .max, $0.offset) < ($1.element.block?.height ?? .max, $1.offset)
        }.map(\.element)
        var position: [String: Int] = [:]
        for (index, transaction) in byHeight.enumerated() where transaction.chain == .bitcoin { position[transaction.txid] = index }
        // 0: not reached, 1: its inputs being arranged, 2: emitted. A hostile batch whose transactions spend each
        // other in a loop is emitted as the loop is found, never looped over.
        var state = [UInt8](repeating: 0, count: byHeight.count)
        var result: [ChainTransaction] = []
        result.reserveCapacity(byHeight.count)
        for start in byHeight.indices where state[start] == 0 {
            // Depth-first without recursion: a transaction is emitted after the batch's transactions it spends.
            var stack: [(index: Int, expanded: Bool)] = [(start, false)]
            while let (index, expanded) = stack.popLast() {
                if expanded {
                    state[index] = 2
                    result.append(byHeight[index])
                    continue
                }
                guard state[index] == 0 else { continue }
                state[index] = 1
                stack.append((index, true))
                for input in byHeight[index].inputs.reversed() {
                    if let spent = position[input.previousTxid], state[spent] == 0 { stack.append((spent, false)) }
                }
            }
        }
        return result
    }
}
