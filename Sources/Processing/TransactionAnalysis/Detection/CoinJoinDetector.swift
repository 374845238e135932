import CSICCore

/// `coinjoin`: a transaction shaped like a CoinJoin (``CoinJoinShape``) with at least `minParticipants`
/// distinct input addresses. Its inputs are the subjects; the shape is the evidence.
public struct CoinJoinDetector: TypologyDetector {
    public struct Parameters: Sendable, Hashable {
        public var minParticipants: Int

        public init(minParticipants: Int = 3) {
            self.minParticipants = minParticipants
        }
    }

    public let typology = Typology.coinjoin
    public let parameters: Parameters

    public init(_ parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public mutating func observe(_ flows: TransactionFlows, _ context: DetectionContext) -> [Detection] {
        guard let shape = flows.coinJoin, flows.senders.count >= parameters.minParticipants else { return [] }
        return [
            Detection(
                typology: typology, subjects: flows.senders.prefix(100).map(\.address), txids: [flows.txid], amount: flows.inputTotal,
                severity: .low, summary: "\(flows.txid) is a \(shape.rawValue) CoinJoin of \(flows.senders.count) input addresses",
                evidence: ["shape": shape.rawValue, "participants": String(flows.senders.count), "outputs": String(flows.outputCount)])
        ]
    }

    public mutating func revert(_ flows: TransactionFlows, _ context: DetectionContext) {}

    public mutating func expire(before time: Timestamp) {}
}
