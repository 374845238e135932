import CSICCore
import Testing

@testable import TransactionAnalysis

@Suite struct DetectionContextTests {
    /// A context that worked out a transaction's addresses once answers every question as one that works each
    /// out when asked: for addresses it remembered, for those of a large transaction past what it keeps, and
    /// for addresses outside the transaction.
    @Test func rememberedAnswersAreTheAnswersWorkedOut() {
        let recipients = (0..<30).map { Flow("r\($0)", Amount(UInt64($0 + 1))) }
        let flows = TransactionFlows(
            chain: .bitcoin, txid: "t", time: Timestamp(secondsSinceEpoch: 1_767_225_600),
            senders: [Flow("s0", Amount(40)), Flow("s1", Amount(9))],
            recipients: recipients, change: [Flow("s0", Amount(3))])
        let tags = ["r2": [listed("r2", .exchange)], "r25": [listed("r25", .miningPool)], "s1": [listed("s1", .sanction)]]
        let lent = ["r3": [listed("r3-root", .paymentProcessor, list: "tags")]]
        let entity: (String) -> String = { $0.hasPrefix("s") || $0 == "r1" ? "entity:7" : $0 }
        let asked = DetectionContext(tags: tags, entityTags: lent, entity: entity)
        var remembering = asked
        remembering.remember(flows)
        let addresses = ["s0", "s1"] + recipients.map(\.address) + ["elsewhere"]
        for address in addresses {
            #expect(remembering.entity(address) == asked.entity(address), "\(address)")
            #expect(remembering.isKnownService(address) == asked.isKnownService(address), "\(address)")
        }
        #expect(addresses.filter(remembering.isKnownService) == ["r2", "r3", "r25"])
        #expect(addresses.filter { remembering.entity($0) == "entity:7" } == ["s0", "s1", "r1"])
    }
}
