import CSICCore

/// Why a Bitcoin transaction is taken for a CoinJoin: several people's inputs mixed into outputs of one
/// value, so its inputs must not be merged into one entity. The shapes are checked most specific first; all
/// of them need at least two inputs and an output value that at least two outputs share. Erring towards
/// "CoinJoin" only leaves entities unmerged, never wrongly merged.
public enum CoinJoinShape: String, Sendable, Hashable, Codable, CaseIterable {
    /// Samourai Whirlpool: 5 inputs and 5 outputs, every output one pool denomination (0.001, 0.01, 0.05 or
    /// 0.5 BTC), no change.
    case whirlpool
    /// Wasabi-style coordinated rounds: at least 10 outputs of one value, from at least as many inputs.
    case wasabi
    /// JoinMarket-style: n ≥ 2 outputs of one value from at least n inputs, and at most 2n + 1 outputs (each
    /// participant's CoinJoin output and at most one change output each, plus the taker's).
    case joinMarket = "joinmarket"
    /// The equal outputs rule: the most common output value makes up at least half of the outputs.
    case equalOutputs = "equal_outputs"

    /// Whirlpool's pool denominations, in satoshi.
    static let whirlpoolPools: Set<Amount> = [Amount(100_000), Amount(1_000_000), Amount(5_000_000), Amount(50_000_000)]

    /// The shape of `transaction`, or `nil` when it does not look like a CoinJoin.
    public init?(_ transaction: ChainTransaction) {
        let (inputs, outputs) = (transaction.inputs.count, transaction.outputs.count)
        guard transaction.chain == .bitcoin, inputs >= 2, outputs >= 2 else { return nil }
        var counts: [Amount: Int] = [:]
        for output in transaction.outputs { counts[output.value, default: 0] += 1 }
        guard let (value, equal) = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), equal >= 2 else { return nil }
        if inputs == 5, outputs == 5, equal == 5, Self.whirlpoolPools.contains(value) {
            self = .whirlpool
        } else if equal >= 10, inputs >= equal {
            self = .wasabi
        } else if inputs >= equal, outputs <= 2 * equal + 1 {
            self = .joinMarket
        } else if 2 * equal >= outputs {
            self = .equalOutputs
        } else {
            return nil
        }
    }
}
