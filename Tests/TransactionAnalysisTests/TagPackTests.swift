import CSICCore
import Testing
import TransactionAnalysis

@Suite struct TagPackTests {
    @Test func readsTagsWithInheritedHeaderFields() throws {
        let contents = try TagPack.parse(try ReferenceFixtures.bytes("tagpacks/exchanges.yaml"))
        #expect(contents.listName == "tagpack:Example exchange and mixer attributions")
        #expect(contents.format == "tagpack")
        let byLabel = Dictionary(uniqueKeysWithValues: contents.tags.map { ($0.label, $0) })
        #expect(contents.tags.count == 5)

        let genesis = try #require(byLabel["Genesis coinbase"])
        #expect(genesis.chain == .bitcoin && genesis.address == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        #expect(genesis.confidence == 100, "the tag's own confidence (ownership) wins over the header's")
        #expect(genesis.source == "https://example.org/attributions", "source inherited from the header")
        #expect(genesis.category?.rawValue == "miner")

        let hot = try #require(byLabel["ExampleExchange hot wallet"])
        #expect(hot.confidence == 50, "service_data inherited from the header")
        #expect(hot.category == .exchange && hot.actor == "exampleexchange" && hot.definesEntity)
        let upper = try #require(byLabel["Same address in upper case"])
        #expect(upper.address == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "segwit addresses kept in lower case")

        let mixer = try #require(byLabel["Mixer deposit"])
        #expect(mixer.category == .mixingService, "an illicit abuse wins over the category")
        #expect(mixer.confidence == 30)

        let deposit = try #require(byLabel["ExampleExchange deposit"])
        #expect(deposit.chain == .ethereum && deposit.address == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    }

    @Test func refusesBadTagsAndCountsWhatItSkips() throws {
        let contents = try TagPack.parse(try ReferenceFixtures.bytes("tagpacks/exchanges.yaml"))
        #expect(
            contents.rejected.map(\.location) == ["tags[5]", "tags[6]", "tags[9]"],
            "wrong EIP-55 case, bad Base58 checksum, unknown confidence: \(contents.rejected)")
        #expect(contents.rejected[0].reason.contains("not a ethereum address"))
        #expect(contents.rejected[2].reason.contains("guesswork"))
        #expect(contents.skipped == ["currency LTC": 1, "tx_hash tag": 1])
    }

    @Test func refusesFilesThatAreNotTagPacks() {
        let cases: [(String, String)] = [
            ("title: x\ncreator: y\n", "no tags list"),
            ("creator: y\ntags: []\n", "no title"),
            ("title: x\ntags: []\n", "no creator"),
            ("- just\n- a list\n", "a YAML mapping"),
            ("title: [unclosed\n", "not YAML"),
        ]
        for (text, expected) in cases {
            #expect(throws: ReferenceDataError.self) { try TagPack.parse(Array(text.utf8)) }
            do {
                _ = try TagPack.parse(Array(text.utf8))
            } catch {
                #expect(error.description.contains(expected), "\(text): \(error)")
            }
        }
        #expect(throws: ReferenceDataError("the file is not UTF-8 text")) { try TagPack.parse([0x74, 0xFF, 0xFE]) }
    }

    @Test func aTagWithMissingFieldsIsRefusedAlone() throws {
        let text = """
            title: t
            creator: c
            tags:
            - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
              currency: BTC
              label: no source
              confidence: forensic
            - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
              currency: BTC
              source: s
              label: ok
              confidence: 70
            - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
              currency: BTC
              source: s
              label: bad flag
              confidence: 70
              is_cluster_definer: maybe
            - not a mapping
            """
        let contents = try TagPack.parse(Array(text.utf8))
        #expect(contents.tags.map(\.label) == ["ok"])
        #expect(
            contents.rejected.map(\.reason) == ["source is missing", "is_cluster_definer maybe is not true or false", "a tag is a mapping"])
    }

    /// Aliases can make a small file a huge tree: the walk is bounded, and the file refused, not the process.
    @Test func anAliasBombIsRefused() throws {
        var text = "title: t\ncreator: c\nbase: &a0 {"
        text += (0..<1_000).map { "k\($0): v" }.joined(separator: ", ") + "}\ntags:\n"
        text += String(repeating: "- *a0\n", count: 200)
        #expect(throws: ReferenceDataError("the YAML tree is too large (aliases expanding to too many nodes)")) {
            try TagPack.parse(Array(text.utf8), nodeBudget: 100_000)
        }
        #expect(try TagPack.parse(Array(text.utf8), nodeBudget: 300_000).skipped == ["tag without address": 200])
    }
}
