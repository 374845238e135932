import CSICCore

/// Which outputs of a transaction are likely its payer's change rather than payments, by the heuristics of the
/// literature (Meiklejohn et al. 2013; BlockSci's change heuristics), each with its confidence, kept apart from
/// the clustering (a heuristic guess never merges entities):
/// - `same_address` (certain): paid back to an input's address — ``TransactionFlows/change``;
/// - `own_entity` (high): paid to an address of the payer's own entity (clustered by common inputs);
/// - `round_payment` (medium): of two payments, one a round sum (a whole thousandth of the coin) and the other
///   not — people pay round sums, change is what is left.
public enum ChangeHeuristics {
    /// A payee judged to be the payer's change, and by which heuristic.
    public struct Guess: Sendable, Hashable {
        public var output: Flow
        public var heuristic: String
        public var confidence: Confidence
    }

    public enum Confidence: String, Sendable, Hashable {
        case medium, high
    }

    /// The payees of `flows` judged change (not counting `same_address` change, which is never a payee).
    public static func change(of flows: TransactionFlows, _ context: DetectionContext) -> [Guess] {
        let payers = Set(flows.senders.map { context.entity($0.address) })
        var guesses = flows.recipients.filter { payers.contains(context.entity($0.address)) }.map {
            Guess(output: $0, heuristic: "own_entity", confidence: .high)
        }
        let others = flows.recipients.filter { !payers.contains(context.entity($0.address)) }
        if others.count == 2, flows.chain == .bitcoin {
            let round = others.map { isRound($0.amount, on: flows.chain) }
            if round[0] != round[1] {
                guesses.append(Guess(output: round[0] ? others[1] : others[0], heuristic: "round_payment", confidence: .medium))
            }
        }
        return guesses
    }

    /// The payees of `flows` that are payments: every payee but the likely change.
    public static func payments(of flows: TransactionFlows, _ context: DetectionContext) -> [Flow] {
        let change = Set(change(of: flows, context).map(\.output))
        return flows.recipients.filter { !change.contains($0) }
    }

    /// The payees of `flows` told apart once: the payments (``payments(of:_:)``), and those of them that could still
    /// be the payer's change — on Bitcoin, when two payees or more are left and no heuristic judged one of them
    /// change, each one that is not a known service (a wallet pays its change to itself, never to an exchange);
    /// otherwise none. A detector that must know what others surely paid or received reads these as undecided.
    public struct Split: Sendable, Hashable {
        public var payments: [Flow]
        public var possibleChange: [Flow]
    }

    /// The payments of `flows` and the possible change among them.
    public static func split(of flows: TransactionFlows, _ context: DetectionContext) -> Split {
        let payments = payments(of: flows, context)
        guard flows.chain == .bitcoin, payments.count > 1, payments.count == flows.recipients.count else {
            return Split(payments: payments, possibleChange: [])
        }
        return Split(payments: payments, possibleChange: payments.filter { !context.isKnownService($0.address) })
    }

    /// The payees of `flows` that could still be the payer's change (``split(of:_:)``).
    public static func possibleChange(of flows: TransactionFlows, _ context: DetectionContext) -> [Flow] {
        split(of: flows, context).possibleChange
    }

    /// Whether `amount` is a round sum: a whole thousandth of the coin (100,000 satoshi; 10¹⁵ wei).
    static func isRound(_ amount: Amount, on chain: Chain) -> Bool {
        let zeros = chain == .bitcoin ? 5 : 15
        if let value = amount.uint64Value {
            let step: UInt64 = chain == .bitcoin ? 100_000 : 1_000_000_000_000_000
            return value > 0 && value % step == 0
        }
        return amount.decimalString.hasSuffix(String(repeating: "0", count: zeros))
    }
}
