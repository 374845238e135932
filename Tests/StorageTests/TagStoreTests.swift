import CSICCore
import CSICTestSupport
import Storage
import Testing

/// The tag store on every backend: versions per list, only the newest version of each list in force.
@Suite struct TagStoreTests {
    static let time = Timestamp(secondsSinceEpoch: 1_796_000_000)

    static func tag(_ address: String, _ label: String, chain: Chain = .bitcoin, category: TagCategory? = .exchange) -> AddressTag {
        AddressTag(
            chain: chain, address: address, label: label, category: category, source: "https://example.org", confidence: 50,
            actor: label == "actor" ? "someone" : nil, definesEntity: label == "entity",
            validFrom: label == "dated" ? Timestamp(secondsSinceEpoch: 1_700_000_000) : nil,
            validTo: label == "dated" ? Timestamp(secondsSinceEpoch: 1_800_000_000) : nil)
    }

    @Test(arguments: StoreBackend.available) func newestVersionOfEachListIsInForce(_ backend: StoreBackend) async throws {
        let tags = try await backend.database(migrations: [TagTables.migration]).tags
        let first = try await tags.importList(
            name: "tagpack:a", format: "tagpack", sha256: "aa", importedBy: "operator:x", at: Self.time,
            tags: [Self.tag("addr-1", "old"), Self.tag("addr-2", "gone")])
        #expect(first.version == 1 && first.tagCount == 2)
        let second = try await tags.importList(
            name: "tagpack:a", format: "tagpack", sha256: "bb", importedBy: "operator:x", at: Self.time.adding(microseconds: 1),
            tags: [Self.tag("addr-1", "new"), Self.tag("addr-3", "actor", category: nil), Self.tag("addr-3", "dated")])
        #expect(second.version == 2)
        let sanctions = try await tags.importList(
            name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "cc", importedBy: "user:admin", at: Self.time,
            tags: [Self.tag("addr-1", "entity", category: .sanction), Self.tag("addr-1", "same address on ethereum", chain: .ethereum)])
        #expect(sanctions.version == 1)

        let found = try await tags.tags(chain: .bitcoin, addresses: ["addr-1", "addr-2", "addr-3", "unknown"])
        #expect(Set(found.keys) == ["addr-1", "addr-3"], "addr-2 is only in the replaced version")
        #expect(Set(found["addr-1"]!.map { "\($0.list) v\($0.version) \($0.tag.label)" }) == ["tagpack:a v2 new", "ofac-sdn v1 entity"])
        let sanctioned = try #require(found["addr-1"]!.first { $0.list == "ofac-sdn" })
        #expect(sanctioned.tag == Self.tag("addr-1", "entity", category: .sanction), "every field read back as written")
        #expect(Set(try #require(found["addr-3"]).map(\.tag)) == [Self.tag("addr-3", "actor", category: nil), Self.tag("addr-3", "dated")])
        #expect(try await tags.tags(chain: .ethereum, addresses: ["addr-1"])["addr-1"]?.map(\.tag.label) == ["same address on ethereum"])
        #expect(try await tags.tags(chain: .bitcoin, addresses: []).isEmpty)
        #expect(try await tags.taggedAddresses(chain: .bitcoin, after: nil, limit: 10) == ["addr-1", "addr-2", "addr-3"], "any version's")
        #expect(try await tags.taggedAddresses(chain: .bitcoin, after: nil, limit: 2) == ["addr-1", "addr-2"])
        #expect(try await tags.taggedAddresses(chain: .bitcoin, after: "addr-2", limit: 2) == ["addr-3"])
        #expect(try await tags.taggedAddresses(chain: .bitcoin, after: "addr-3", limit: 2).isEmpty)
        #expect(try await tags.taggedAddresses(chain: .ethereum, after: nil, limit: 10) == ["addr-1"])
        _ = try await tags.importList(
            name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "dd", importedBy: "user:admin", at: Self.time, tags: [])

        let lists = try await tags.lists()
        #expect(
            lists.map { "\($0.name) \($0.version) \($0.sha256) \($0.tagCount)" } == [
                "ofac-sdn 2 dd 0", "ofac-sdn 1 cc 2", "tagpack:a 2 bb 3", "tagpack:a 1 aa 2",
            ])
        #expect(lists[1] == sanctions && lists[2] == second && lists[3] == first)
    }

    @Test(arguments: StoreBackend.available) func concurrentImportsOfAListGetTheirOwnVersions(_ backend: StoreBackend) async throws {
        let tags = try await backend.database(migrations: [TagTables.migration]).tags
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<6 {
                group.addTask {
                    try await tags.importList(
                        name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "\(index)", importedBy: "operator:x", at: Self.time,
                        tags: (0..<50).map { Self.tag("addr-\(index)-\($0)", "l") }
                    ).version
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...6))
        let inForce = try await tags.tags(chain: .bitcoin, addresses: (0..<6).flatMap { index in (0..<50).map { "addr-\(index)-\($0)" } })
        #expect(inForce.count == 50, "only the newest version's 50 addresses")
    }

    @Test(arguments: StoreBackend.available) func manyAddressesAtOnce(_ backend: StoreBackend) async throws {
        let tags = try await backend.database(migrations: [TagTables.migration]).tags
        let many = (0..<25_000).map { Self.tag("addr-\($0)", "l") }
        _ = try await tags.importList(name: "big", format: "tagpack", sha256: "dd", importedBy: "operator:x", at: Self.time, tags: many)
        let found = try await tags.tags(chain: .bitcoin, addresses: many.map(\.address))
        #expect(found.count == 25_000)
    }
}
