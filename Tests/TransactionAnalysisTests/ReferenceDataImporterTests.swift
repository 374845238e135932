import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Storage
import Testing
import TransactionAnalysis

@Suite struct ReferenceDataImporterTests {
    /// An import is a new list version in the tag store, between an `attempt` and an `outcome` audit record
    /// that name the operator, the list, the file's SHA-256 and the counts.
    @Test func importsANewVersionBetweenItsAuditRecords() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        try await log.createPlatformTopics(partitions: 1)
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite", migrations: [TagTables.migration])
        let importer = ReferenceDataImporter(store: StoreDatabase.sqlite(store).tags, log: log)
        let files = [try ReferenceFixtures.bytes("ofac/SDN.CSV"), try ReferenceFixtures.bytes("ofac/SDN_COMMENTS.CSV")]
        let contents = try ReferenceDataImporter.parse(.sanctions, files: files)
        #expect(contents.count == 1)
        let origin = ChangeOrigin(actor: "operator:alice", sourceAddress: "local", requestID: "r-1")
        let first = try await importer.importContents(contents[0], files: files, by: origin)
        let second = try await importer.importContents(contents[0], files: files, by: origin)
        #expect(first.list.version == 1 && second.list.version == 2 && second.list.tagCount == 6)
        #expect(second.rejected.count == 1 && second.skipped == ["asset USDT": 1, "asset XMR": 1])

        let records = try await log.read(TopicPartition(topic: "audit", partition: 0), from: 0, maxRecords: 100, maxBytes: 1 << 20)
            .map { try AuditRecord(protoBytes: $0.value) }
        #expect(records.map { $0.details["phase"] ?? "" } == ["attempt", "outcome", "attempt", "outcome"])
        #expect(
            records.allSatisfy {
                $0.action == "reference_data.import" && $0.resource == "tag_lists/ofac-sdn" && $0.actor == "operator:alice"
            })
        let outcome = records[3]
        #expect(outcome.outcome == .success && outcome.details["version"] == "2" && outcome.details["tags"] == "6")
        #expect(outcome.details["sha256"] == second.list.sha256 && outcome.details["sha256"]?.count == 64)
        #expect(outcome.details["rejected"] == "1" && outcome.details["skipped"] == "2" && outcome.details["format"] == "ofac-sdn-csv")
        try await log.close()
    }

    @Test func sanctionsFilesAreReadByTheirFormat() throws {
        let xml = try ReferenceDataImporter.parse(.sanctions, files: [try ReferenceFixtures.bytes("ofac/SDN_ADVANCED.XML")])
        #expect(xml.map(\.format) == ["ofac-sdn-advanced-xml"])
        #expect(throws: ReferenceDataError("SDN_ADVANCED.XML is one file")) {
            try ReferenceDataImporter.parse(
                .sanctions, files: [try ReferenceFixtures.bytes("ofac/SDN_ADVANCED.XML"), try ReferenceFixtures.bytes("ofac/SDN.CSV")])
        }
        let packs = try ReferenceDataImporter.parse(
            .tags, files: [try ReferenceFixtures.bytes("tagpacks/exchanges.yaml"), try ReferenceFixtures.bytes("tagpacks/exchanges.yaml")])
        #expect(packs.count == 2)
    }
}
