import CSICCore
import Storage
import TransactionAnalysis

/// Hand-built flows for the detector tests: `pay("t1", from: [("a", 5)], to: [("b", 4)], at: 60)`, times in
/// seconds after a fixed start.
func pay(
    _ txid: String, from senders: [(String, UInt64)], to recipients: [(String, UInt64)], at seconds: Int64, chain: Chain = .bitcoin
)
    -> TransactionFlows
{
    TransactionFlows(
        chain: chain, txid: txid, time: Timestamp(secondsSinceEpoch: 1_796_000_000 + seconds),
        senders: senders.map { Flow($0.0, Amount($0.1)) }, recipients: recipients.map { Flow($0.0, Amount($0.1)) })
}

/// A tag in force, as the tag store returns it.
func listed(
    _ address: String, _ category: TagCategory, label: String = "Tagged", list: String = "ofac-sdn", version: Int = 1
)
    -> ListedTag
{
    ListedTag(
        tag: AddressTag(chain: .bitcoin, address: address, label: label, category: category, source: "test", confidence: 100),
        list: list, version: version)
}

/// Feeds `flows` through `detector` in order, returning every detection.
func run(
    _ detector: inout some TypologyDetector, _ flows: [TransactionFlows], _ context: DetectionContext = DetectionContext()
)
    -> [Detection]
{
    flows.flatMap { detector.observe($0, context) }
}
