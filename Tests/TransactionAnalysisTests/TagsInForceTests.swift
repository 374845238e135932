import CSICCore
import CSICTestSupport
import Storage
import Testing
import TransactionAnalysis

/// The risk engine's tags in memory hold exactly what the tag store has in force, page after page, compactly.
@Suite struct TagsInForceTests {
    static func tag(
        _ address: String, _ label: String, chain: Chain = .bitcoin, category: TagCategory = .exchange, defines: Bool = false
    )
        -> AddressTag
    {
        AddressTag(
            chain: chain, address: address, label: label, category: category, source: "test", confidence: 60, definesEntity: defines)
    }

    @Test(arguments: StoreBackend.available) func holdsWhatTheStoreHasInForce(_ backend: StoreBackend) async throws {
        let store = try await backend.database(migrations: [TagTables.migration]).tags
        let time = Timestamp(secondsSinceEpoch: 1_796_000_000)
        #expect(try await TagsInForce.load(from: store).count == 0)
        // Many addresses of one exchange share a label; one address is on two lists; one tag defines its entity;
        // version 1 of the exchange list is replaced; the same address string on Ethereum is another address.
        _ = try await store.importList(
            name: "tagpack:exchange", format: "tagpack", sha256: "1", importedBy: "test", at: time,
            tags: (0..<5).map { Self.tag("old-\($0)", "Old name") })
        _ = try await store.importList(
            name: "tagpack:exchange", format: "tagpack", sha256: "2", importedBy: "test", at: time,
            tags: (0..<7).map { Self.tag("ex-\($0)", "Exchange") } + [Self.tag("ex-hot", "Exchange hot wallet", defines: true)])
        _ = try await store.importList(
            name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "3", importedBy: "test", at: time,
            tags: [
                Self.tag("ex-3", "Sanctioned", category: .sanction), Self.tag("ex-3", "Sanctioned", chain: .ethereum, category: .sanction),
            ])
        let addresses = (0..<7).map { "ex-\($0)" } + ["ex-hot", "old-0", "unknown"]

        let loaded = try await TagsInForce.load(from: store, page: 3)
        #expect(loaded.count == 10)
        #expect(try await loaded.isCurrent(in: store))
        let stored = try await store.tags(chain: .bitcoin, addresses: addresses)
        for address in addresses {
            #expect(loaded.tags(chain: .bitcoin, address: address) == (stored[address] ?? []), "\(address), in the store's order")
        }
        #expect(loaded.tags(chain: .bitcoin, address: "ex-3").map(\.list) == ["ofac-sdn", "tagpack:exchange"])
        #expect(loaded.tags(chain: .ethereum, address: "ex-3").map(\.tag.chain) == [.ethereum])
        #expect(loaded.tags(chain: .ethereum, address: "ex-1").isEmpty)
        #expect(loaded.entityDefining(chain: .bitcoin).keys.sorted() == ["ex-hot"])
        #expect(loaded.entityDefining(chain: .ethereum).isEmpty)

        let spends = RiskScoringTests.transaction(
            "t", [("ex-1", 5_000), ("someone", 5_000)], [("ex-3", 9_000), ("old-1", 900)], minute: 1)
        let found = loaded.tags(of: [spends])
        #expect(found.keys.sorted { $0.rawValue < $1.rawValue } == [.bitcoin])
        #expect(found[.bitcoin]?.keys.sorted() == ["ex-1", "ex-3"] && found[.bitcoin]?["ex-3"] == stored["ex-3"])

        _ = try await store.importList(name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "4", importedBy: "test", at: time, tags: [])
        #expect(try await !loaded.isCurrent(in: store), "an import changes the lists")
        let reloaded = try await TagsInForce.load(from: store)
        #expect(reloaded.count == 8 && reloaded.tags(chain: .bitcoin, address: "ex-3").map(\.list) == ["tagpack:exchange"])
        #expect(reloaded.tags(chain: .ethereum, address: "ex-3").isEmpty)
    }
}
