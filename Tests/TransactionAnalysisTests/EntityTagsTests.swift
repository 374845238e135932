import CSICCore
import Storage
import Testing
import TransactionAnalysis

/// Tags that define an entity (a TagPack's `is_cluster_definer`) reach every address of the tagged address's
/// cluster as the clustering grows, in the detectors; other tags stay with their address; a reorg takes the
/// lent tags back with the merge.
@Suite struct EntityTagsTests {
    static func tag(_ address: String, _ category: TagCategory, definesEntity: Bool) -> [String: [ListedTag]] {
        let tag = AddressTag(
            chain: .bitcoin, address: address, label: "Market", category: category, source: "test", confidence: 80,
            definesEntity: definesEntity)
        return [address: [ListedTag(tag: tag, list: "tagpack:test", version: 3)]]
    }

    static func analyzer(defining tags: [String: [ListedTag]]) -> TransactionAnalyzer {
        var analyzer = TransactionAnalyzer()
        analyzer.useEntityDefiningTags(tags)
        return analyzer
    }

    /// The market's hot wallet spends with a deposit address (one entity); then the deposit address pays a user
    /// and a customer pays it.
    static let market = [
        RiskScoringTests.transaction("merge", [("dm-hot", 40_000_000), ("dm-deposit", 20_000_000)], [("dm-hot", 59_990_000)], minute: 1),
        RiskScoringTests.transaction("paid-out", [("dm-deposit", 30_000_000)], [("user-x", 29_990_000)], minute: 2),
        RiskScoringTests.transaction("paid-in", [("customer", 15_000_000)], [("dm-deposit", 14_990_000)], minute: 3),
    ]

    @Test func aDefiningTagReachesTheWholeCluster() throws {
        let tags = Self.tag("dm-hot", .darknetMarket, definesEntity: true)
        var analyzer = Self.analyzer(defining: tags)
        let findings = analyzer.analyze(Self.market, tags: [.bitcoin: tags])
        let received = try #require(findings.first { $0.subject == "user-x" })
        #expect(received.typology == "illicit_exposure" && received.txids == ["paid-out"])
        #expect(received.evidence["tagged_address"] == "dm-hot" && received.evidence["party_address"] == "dm-deposit")
        #expect(received.evidence["attributed_by"] == "entity" && received.evidence["list_version"] == "3")
        let paid = try #require(findings.first { $0.subject == "customer" })
        #expect(paid.typology == "illicit_exposure" && paid.evidence["direction"] == "outgoing")
        #expect(paid.evidence["party_address"] == "dm-deposit")
        #expect(findings.count == 2)
    }

    @Test func aTagThatDefinesNoEntityStaysWithItsAddress() {
        let tags = Self.tag("dm-hot", .darknetMarket, definesEntity: false)
        var analyzer = Self.analyzer(defining: tags)
        #expect(analyzer.analyze(Self.market, tags: [.bitcoin: tags]).isEmpty)
        var withoutDefiners = TransactionAnalyzer()
        #expect(withoutDefiners.analyze(Self.market, tags: [.bitcoin: Self.tag("dm-hot", .darknetMarket, definesEntity: true)]).isEmpty)
    }

    @Test func aReorgedMergeTakesTheEntitysTagsBack() {
        let tags = Self.tag("dm-hot", .darknetMarket, definesEntity: true)
        var analyzer = Self.analyzer(defining: tags)
        _ = analyzer.analyze(Self.depositsFirst + [Self.market[0]], tags: [.bitcoin: tags])
        var reverted = Self.market[0]
        reverted.status = .reverted
        let withdrawn = analyzer.analyze([reverted], tags: [.bitcoin: tags])
        #expect(withdrawn.allSatisfy { $0.withdrawn })
        #expect(analyzer.analyze(Array(Self.market[1...]), tags: [.bitcoin: tags]).isEmpty, "dm-deposit is its own entity again")
    }

    @Test func aDefinerSeenOnlyAfterTheTagsArrivedIsFiledWhenItSpends() {
        let tags = Self.tag("dm-hot", .darknetMarket, definesEntity: true)
        var analyzer = TransactionAnalyzer()
        _ = analyzer.analyze(
            [RiskScoringTests.transaction("early", [("other", 5_000_000)], [("elsewhere", 4_990_000)], minute: 0)], tags: [:])
        analyzer.useEntityDefiningTags(tags)
        #expect(analyzer.analyze(Self.market, tags: [.bitcoin: tags]).count == 2)
    }

    /// The tagged address spends alone and two deposit addresses spend together, before the market's merge.
    static let depositsFirst = [
        RiskScoringTests.transaction("alone", [("dm-hot", 50_000_000)], [("dm-hot", 49_990_000)], minute: 0),
        RiskScoringTests.transaction(
            "deposits", [("dm-deposit", 10_000_000), ("dm-deposit-2", 10_000_000)], [("dm-deposit", 19_990_000)], minute: 0),
    ]

    /// The tagged address, filed alone, joins a larger entity under that entity's root: the tags move with it.
    @Test func aMergeCarriesTheTagsIntoTheEntityTheDefinerJoins() {
        let tags = Self.tag("dm-hot", .darknetMarket, definesEntity: true)
        var analyzer = Self.analyzer(defining: tags)
        #expect(analyzer.analyze(Self.depositsFirst, tags: [.bitcoin: tags]).isEmpty)
        #expect(analyzer.analyze(Self.market, tags: [.bitcoin: tags]).map(\.subject).sorted() == ["customer", "user-x"])
    }

    /// 25 customers pay an address that spent with an exchange's tagged hot wallet: deposits to a known service,
    /// not a fan-in; the same without the tag defining the entity is one.
    @Test func anExchangesClusterIsAKnownServiceNotAFanIn() {
        let merge = RiskScoringTests.transaction(
            "merge", [("ex-hot", 40_000_000), ("ex-wallet", 20_000_000)], [("ex-hot", 59_990_000)], minute: 1)
        let deposits: [ChainTransaction] = (0..<25).map { (index: Int) -> ChainTransaction in
            let paid = UInt64(1_000_000 + index * 7_919)
            return RiskScoringTests.transaction(
                "deposit-\(index)", [("customer-\(index)", paid)], [("ex-wallet", paid - 10_000)], minute: Int64(2 + index))
        }
        for defines in [true, false] {
            let tags = Self.tag("ex-hot", .exchange, definesEntity: defines)
            var analyzer = Self.analyzer(defining: tags)
            let fanIns = analyzer.analyze([merge] + deposits, tags: [.bitcoin: tags]).filter { $0.typology == "fan_in" }
            #expect(fanIns.isEmpty == defines, "defining tag: \(defines), fan-ins: \(fanIns.map { $0.subject })")
        }
    }
}
