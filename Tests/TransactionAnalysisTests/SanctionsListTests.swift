import CSICCore
import Testing
import TransactionAnalysis

@Suite struct SanctionsListTests {
    /// What both formats of the fixture list hold.
    func expectFixtureTags(_ contents: ReferenceDataContents) {
        let found = Set(contents.tags.map { "\($0.chain.rawValue) \($0.address) \($0.label) \($0.actor ?? "-")" })
        #expect(
            found == [
                "bitcoin 12HQDsicffSBaYdJ6BhnE22sfjTESmmzKx EXAMPLE OTC DESK, S.R.O. ofac-sdn:90001",
                "bitcoin bc1qsmqpalp3gtgkltag4x3ygevmhh9y2hzk73t2ug EXAMPLE OTC DESK, S.R.O. ofac-sdn:90001",
                "ethereum 0x2f389cE8bD8ff92De3402FFCe4691d17fC4f6535 EXAMPLE OTC DESK, S.R.O. ofac-sdn:90001",
                "ethereum 0x098B716B8Aaf21512996dC57EB0615e2383E2f96 \(contents.format == "ofac-sdn-csv" ? "EXAMPLE, Ivan Petrovich" : "Ivan Petrovich EXAMPLE") ofac-sdn:90002",
                "ethereum 0x7F367cC41522cE07553e823bf3be79A889DEbe1B \(contents.format == "ofac-sdn-csv" ? "EXAMPLE, Ivan Petrovich" : "Ivan Petrovich EXAMPLE") ofac-sdn:90002",
                "bitcoin 1AXUTu9y3H8w4wYx4BjyFWgRhZKDhmcMrn \(contents.format == "ofac-sdn-csv" ? "EXAMPLE, Ivan Petrovich" : "Ivan Petrovich EXAMPLE") ofac-sdn:90002",
            ], "\(found)")
        #expect(
            contents.tags.allSatisfy {
                $0.category == .sanction && $0.confidence == 100 && $0.source.hasPrefix("OFAC SDN list, entry 9000")
            })
        #expect(contents.rejected == [ReferenceDataRejection(location: "entry 90002", reason: "XBT 3 is not a bitcoin address")])
        #expect(contents.listName == "ofac-sdn")
    }

    @Test func readsSDNCSVWithItsCommentsFile() throws {
        let contents = try SanctionsList.parseCSV([
            try ReferenceFixtures.bytes("ofac/SDN.CSV"), try ReferenceFixtures.bytes("ofac/SDN_COMMENTS.CSV"),
        ])
        #expect(contents.format == "ofac-sdn-csv")
        expectFixtureTags(contents)
        #expect(contents.skipped == ["asset USDT": 1, "asset XMR": 1], "a TRON USDT address and a Monero address")
        #expect(contents.tags.first { $0.actor == "ofac-sdn:90002" }?.source == "OFAC SDN list, entry 90002 (CYBER2] [DPRK3)")
    }

    @Test func withoutTheCommentsFileTheCutAddressIsRefused() throws {
        let contents = try SanctionsList.parseCSV([try ReferenceFixtures.bytes("ofac/SDN.CSV")])
        #expect(contents.tags.count == 5)
        #expect(contents.rejected.map(\.reason) == ["XBT 1AXUTu9y3H8w4 is not a bitcoin address"])
    }

    @Test func readsSDNAdvancedXML() throws {
        let contents = try SanctionsList.parseAdvancedXML(try ReferenceFixtures.bytes("ofac/SDN_ADVANCED.XML"))
        #expect(contents.format == "ofac-sdn-advanced-xml")
        expectFixtureTags(contents)
        #expect(contents.skipped == ["asset XMR": 1])
    }

    @Test func refusesMalformedCSV() {
        let cases: [(String, String)] = [
            ("36,\"NAME\",-0- \n", "3 fields"),
            ("x,\"NAME\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n", "not an entry number"),
            ("36,\"NAME\",-0- ,\"CUBA\"\n", "4 fields"),
            ("", "no SDN entries"),
        ]
        for (text, expected) in cases {
            do {
                _ = try SanctionsList.parseCSV([Array(text.utf8)])
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(text): \(error)")
            }
        }
    }

    @Test func refusesMalformedXML() {
        let cases: [(String, String)] = [
            ("<Sanctions><DistinctParties>", "not SDN advanced XML: line 1, column 29: malformed XML"),
            ("<Sanctions><DistinctParties></Sanctions>", "not SDN advanced XML: line 1, column 41: malformed XML (libxml2 error 76)"),
            ("<Other/>", "no Sanctions document"),
            ("<Sanctions><DistinctParty FixedRef=\"36\" \0\0cNameStatusID=\"1\"/></Sanctions>", "a NUL byte"),
            ("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Sanctions>&x;</Sanctions>", ""),
        ]
        for (text, expected) in cases {
            do {
                let contents = try SanctionsList.parseAdvancedXML(Array(text.utf8))
                #expect(expected.isEmpty && contents.tags.isEmpty, "\(text)")
            } catch {
                #expect(error.description.contains(expected), "\(text): \(error)")
            }
        }
        let latin1 = Array("<Sanctions><Alias Fix".utf8) + [0xE5] + Array("dRef=\"36\"/></Sanctions>".utf8)
        #expect(throws: ReferenceDataError("the file is not UTF-8 text")) { _ = try SanctionsList.parseAdvancedXML(latin1) }
    }

    @Test func findsAddressesInRemarks() {
        let contents = try? SanctionsList.parseCSV([
            Array(
                "1,\"A\",-0- ,\"P\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Digital Currency Address - XBT 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.\"\n"
                    .utf8)
        ])
        #expect(
            contents?.tags.map(\.address) == ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"], "the sentence's full stop is not part of the address")
    }
}
