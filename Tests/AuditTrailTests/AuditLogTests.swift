@testable import AuditTrail
import CSICCore
import CSICTestSupport
import Foundation
import Testing

@Suite struct AuditLogTests {
    private func record(_ n: Int) -> AuditRecord {
        AuditRecord(
            id: "r-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: "analyst-\(n % 3)",
            action: "transactions.read",
            resource: "/api/v1/transactions", outcome: .success, requestID: "q-\(n)", sourceAddress: "127.0.0.1", details: ["n": "\(n)"])
    }

    /// A write that fails (the segment's descriptor now writes to /dev/full: a full disk) closes the log for
    /// writing — the chain and tree in memory may be ahead of the disk, so nothing is retried, even once the
    /// disk works again — and a restart recovers exactly the entries that were synced; the log verifies.
    @Test func aFailedWriteClosesTheLogAndARestartRecoversTheSyncedEntries() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit")
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<5).map(record))
            try log.issueCheckpoint()
            let disk = FailingDisk(failingWritesTo: log.files.segment(first: 0))
            #expect(disk.failing == 1)
            #expect(throws: (any Error).self) { try log.append([record(5)]) }
            #expect(log.writeFailure != nil)
            disk.heal()
            // The disk works again, but the chain and tree in memory already counted entry 5: an append now
            // would write entry 6 after a gap. Refused.
            #expect(throws: NoteError.self) { try log.append([record(6)]) }
        }
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.size == 5)
        #expect(try log.append([record(5)]) == 5..<6, "appends continue after the synced prefix")
        try log.issueCheckpoint()
        let report = AuditVerifier(directory: directory.path + "/audit").verify()
        #expect(report.ok, "\(report.problems)")
    }

    /// One flipped byte in an entry that a signed checkpoint covers, or that valid entries follow, or in a last
    /// entry written whole, is damage to records that may have been acknowledged: the log does not open for
    /// writing and not one byte is cut (it cut the rest of the segment before); only a last entry cut off
    /// mid-way is a torn tail and is cut.
    @Test func damageIsNeverCutOnlyATornLastEntryIs() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit")
        let segment: String
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<10).map(record))
            try log.issueCheckpoint()
            try log.append((10..<12).map(record))
            segment = log.files.segment(first: 0)
        }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        let original = bytes
        // Entry 8 (covered by the checkpoint of 10 entries): flip a byte of its record.
        let marker = Array("\"seq\":8,".utf8)
        let position = try #require((0...(bytes.count - marker.count)).first { Array(bytes[$0..<$0 + marker.count]) == marker })
        bytes[position + marker.count + 5] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        #expect { _ = try AuditLog(directory: directory.path + "/audit", settings: settings) } throws: { error in
            "\(error)".contains("entry 8") && "\(error)".contains("nothing was cut")
        }
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment))) == bytes, "not one byte was cut")

        // Entry 11, the last, written whole but failing its hash: it may have been acknowledged. Kept, refused.
        var flipped = original
        flipped[flipped.count - 40] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: segment))
        #expect { _ = try AuditLog(directory: directory.path + "/audit", settings: settings) } throws: { error in
            "\(error)".contains("entry 11") && "\(error)".contains("nothing was cut")
        }
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment))) == flipped)

        // Entry 11 cut off mid-way, as a crash inside `append` leaves it: a torn tail, cut.
        try Data(original.dropLast(40)).write(to: URL(fileURLWithPath: segment))
        let reopened = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(reopened.size == 11)
    }

    @Test func appendsReopensAndProvesAgainstTheSignedCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit", segmentEntries: 7, mirror: directory.path + "/mirror")
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            #expect(try log.append((0..<10).map(record)) == 0..<10)
            try log.issueCheckpoint()
            try log.append((10..<23).map(record))
            try log.issueCheckpoint()
        }
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.size == 23)
        let leaves = try (0..<23).map { try TreeHash.leaf(log.leaf(UInt64($0))) }
        #expect(try log.root(size: 23) == MerkleTree.root(leaves[...]))
        let proof = try log.proof(index: 17)
        let checkpoint = try Checkpoint(body: NoteVerifier(verifierKey: proof.verifierKey).verify(proof.checkpoint))
        #expect(checkpoint.size == 23)
        let path = proof.inclusionProof.map { TreeHash(bytes: Data(base64Encoded: $0)!)! }
        #expect(
            MerkleTree.verifyInclusion(
                leaf: .leaf(Data(base64Encoded: proof.record)!), index: 17, size: 23, proof: path, root: checkpoint.root))
        #expect(try AuditLeaf.record(log.leaf(17)) == record(17))
        #expect(try log.index(ofRecord: "r-5") == 5)
        let report = AuditVerifier(directory: directory.path + "/audit", mirror: directory.path + "/mirror").verify()
        #expect(report.ok, "\(report.problems)")
        #expect(report.entries == 23 && report.segments == 4 && report.checkpoints == 2)
        #expect(FileManager.default.fileExists(atPath: log.files.segment(first: 0) + ".seal"))
    }

    /// Without a mirror, a sealed segment is checked at open too: an altered byte, a lost seal or a seal that
    /// disagrees with the next segment stops the log, naming the file, and nothing is changed.
    @Test(arguments: ["altered byte", "seal removed", "seal count"])
    func aDamagedSealedSegmentStopsTheOpen(_ damage: String) throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit", segmentEntries: 4)
        let segment: String
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<10).map(record))
            segment = log.files.segment(first: 4)
        }
        chmod(segment, 0o644)
        chmod(segment + ".seal", 0o644)
        switch damage {
        case "altered byte":
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
            bytes[bytes.count - 40] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
        case "seal removed": try FileManager.default.removeItem(atPath: segment + ".seal")
        default:
            let seal = try String(contentsOfFile: segment + ".seal", encoding: .utf8)
            try seal.replacingOccurrences(of: "\"entries\":4", with: "\"entries\":5").write(
                toFile: segment + ".seal", atomically: false, encoding: .utf8)
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: segment))
        let refusal = #expect(throws: NoteError.self) { _ = try AuditLog(directory: directory.path + "/audit", settings: settings) }
        #expect(refusal?.description.hasPrefix(segment) == true, "\(String(describing: refusal))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: segment)) == before)
    }

    @Test func aTornTailIsCutOnOpenAndTheRestVerifies() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit")
        let segment: String
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<5).map(record))
            segment = log.files.segment(first: 0)
        }
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 1, 0, 0x7b, 0x22]))
        try handle.close()
        #expect(AuditVerifier(directory: directory.path + "/audit").verify().unacknowledgedTail != nil)
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.size == 5)
        try log.append([record(5)])
        let report = AuditVerifier(directory: directory.path + "/audit").verify()
        #expect(report.ok && report.entries == 6 && report.unacknowledgedTail == nil, "\(report.problems)")
    }

    /// Offsets and tree levels are synced only at checkpoints: entries past that mark that a power cut lost
    /// from them are rebuilt from the segments on open.
    @Test func derivedFilesLostPastTheCheckpointMarkAreRebuilt() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit", segmentEntries: 64)
        let files: AuditFiles
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<50).map(record))
            try log.issueCheckpoint()
            try log.append((50..<80).map(record))
            files = log.files
        }
        for (path, keep) in [(files.offsets, 40 * 8), (files.level(0), 10 * 32), (files.level(1), 3 * 32)] {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: UInt64(keep))
            try handle.close()
        }
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.size == 80)
        let leaves = try (0..<80).map { try TreeHash.leaf(log.leaf(UInt64($0))) }
        #expect(try log.root(size: 80) == MerkleTree.root(leaves[...]))
        try log.issueCheckpoint()
        #expect(AuditVerifier(directory: directory.path + "/audit").verify().ok)
    }

    @Test func anAlteredByteOrARolledBackCheckpointIsNamed() throws {
        let directory = try TemporaryDirectory()
        let log = try AuditLog(directory: directory.path + "/audit", settings: .init(origin: "test/audit"))
        try log.append((0..<4).map(record))
        try log.issueCheckpoint()
        let older = try Data(contentsOf: URL(fileURLWithPath: log.files.checkpoints))
        try log.append((4..<8).map(record))
        try log.issueCheckpoint()
        try older.write(to: URL(fileURLWithPath: log.files.checkpoints))
        let rolledBack = AuditVerifier(directory: directory.path + "/audit", checkpointInterval: 2).verify()
        #expect(rolledBack.problems.contains { $0.contains("covered by no checkpoint") })

        var bytes = try Data(contentsOf: URL(fileURLWithPath: log.files.segment(first: 0)))
        bytes[200] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: log.files.segment(first: 0)))
        let altered = AuditVerifier(directory: directory.path + "/audit").verify()
        #expect(altered.problems.first?.contains("entry 0") == true, "\(altered.problems)")
    }
}

@Suite struct AuditIndexTests {
    @Test func findsByFieldsTimeAndWordsNewestFirst() throws {
        let directory = try TemporaryDirectory()
        let index = try AuditIndex(path: directory.path + "/index.sqlite")
        func record(_ n: Int) -> AuditRecord {
            let actor = n % 2 == 0 ? "alice" : "bob"
            let action = n % 5 == 0 ? "config.update" : "transactions.read"
            let outcome: AuditOutcome = n == 7 ? .denied : .success
            let note = n == 13 ? "sanctions hit" : "none"
            return AuditRecord(
                id: "r-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: actor, action: action,
                resource: "/api/v1/transactions/btc:\(n)", outcome: outcome, requestID: "q-\(n)", sourceAddress: "10.0.0.1",
                details: ["note": note])
        }
        let records = (0..<20).map(record)
        try index.add(Array(records[0..<10]), first: 0)
        try index.add(Array(records[10..<20]), first: 10)
        #expect(try index.count() == 20)
        #expect(try index.index(ofRecord: "r-13") == 13)
        #expect(
            try index.search(AuditFilter(actor: "alice", action: "config.update"), in: 0..<20, order: .newestFirst, limit: 10) == [10, 0])
        #expect(try index.search(AuditFilter(outcome: "denied"), in: 0..<20, order: .newestFirst, limit: 10) == [7])
        #expect(try index.search(AuditFilter(text: "sanctions"), in: 0..<20, order: .newestFirst, limit: 10) == [13])
        #expect(
            try index.search(AuditFilter(text: "say \"hi"), in: 0..<20, order: .newestFirst, limit: 10).isEmpty,
            "quotes in the text cannot break the query")
        #expect(
            try index.search(AuditFilter(resource: "/api/v1/transactions/btc:1"), in: 0..<12, order: .newestFirst, limit: 10) == [
                11, 10, 1,
            ])
        let from = Timestamp(secondsSinceEpoch: 1_767_225_600 + 15)
        #expect(try index.search(AuditFilter(from: from), in: 0..<18, order: .newestFirst, limit: 10) == [17, 16, 15])
        #expect(try index.search(AuditFilter(actor: "bob"), in: 4..<20, order: .oldestFirst, limit: 3) == [5, 7, 9])
        #expect(try index.search(AuditFilter(actor: "bob"), in: 0..<5, order: .newestFirst, limit: 3) == [3, 1])
        #expect(try index.search(AuditFilter(), in: 20..<20, order: .oldestFirst, limit: 3).isEmpty)
    }
}

@Suite struct AuditKeyRotationTests {
    let settings = AuditLog.Settings(origin: "test/audit")
    let record = AuditRecord(
        id: "a", time: .now(), actor: "x", action: "y", resource: "z", outcome: .success, requestID: "q", sourceAddress: "s")

    /// A log of one record with a signed checkpoint, closed again; returns the signing key's verifier key.
    private func signedLog(in directory: TemporaryDirectory) throws -> String {
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        try log.append([record])
        try log.issueCheckpoint()
        return log.verifierKey
    }

    @Test func checkpointsSignedBeforeARotationStillVerify() throws {
        let directory = try TemporaryDirectory()
        let oldKey = try signedLog(in: directory)
        let rotated = try AuditKeys.rotate(in: directory.path + "/audit/keys", name: "test/audit")
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.verifierKey == rotated.verifier.verifierKey && log.verifierKey != oldKey)
        var second = record
        second.id = "b"
        try log.append([second])
        try log.issueCheckpoint()
        #expect(try log.proof(index: 1).verifierKey == rotated.verifier.verifierKey)
        let report = AuditVerifier(directory: directory.path + "/audit").verify()
        #expect(report.ok && report.checkpoints == 2, "\(report.problems)")
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/audit/keys/signing.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// Readers (the API, `csic audit proof`) need only the public keys: a copy without the private key serves
    /// proofs, and opening it read-only never creates a signing key.
    /// A reader that opens while the writer is between an entry's level-0 hash and the hashes it completes
    /// above (a level file shorter, or not created yet) reads the prefix every level covers, not nothing (it
    /// read 0 entries, and an audit search at that moment answered 500).
    @Test func aReaderBetweenTreeLevelsReadsTheCoveredPrefix() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/audit"
        do {
            let log = try AuditLog(directory: path, settings: AuditLog.Settings(origin: "test/audit"))
            try log.append(
                (0..<6).map {
                    AuditRecord(
                        id: "r-\($0)", time: .now(), actor: "x", action: "y", resource: "z", outcome: .success, requestID: "q",
                        sourceAddress: "s")
                })
        }
        let files = AuditFiles(directory: path)
        let reader = { try AuditLog(directory: path, settings: .init(origin: "test/audit", readOnly: true)) }
        #expect(try reader().size == 6)
        // Level 1 holds hashes of leaves 0-1, 2-3, 4-5; with only the first two, entries 0..<5 are covered.
        try FileManager.default.copyItem(atPath: files.level(1), toPath: directory.path + "/level-1")
        #expect(truncate(files.level(1), 64) == 0)
        let lagging = try reader()
        #expect(lagging.size == 5)
        #expect(try AuditLeaf.record(lagging.leaf(4)).id == "r-4")
        #expect(throws: NoteError.self) { try lagging.leaf(5) }
        #expect(try lagging.inclusionProof(index: 4, size: 5).count > 0)
        // Level 2 (leaves 0-3) not created yet: entries 0..<3 (a tree of four needs that hash).
        try FileManager.default.removeItem(atPath: files.level(1))
        try FileManager.default.moveItem(atPath: directory.path + "/level-1", toPath: files.level(1))
        try FileManager.default.moveItem(atPath: files.level(2), toPath: directory.path + "/level-2")
        #expect(try reader().size == 3)
    }

    @Test func aReadOnlyLogUsesThePublicKeysAlone() throws {
        let directory = try TemporaryDirectory()
        let key = try signedLog(in: directory)
        try FileManager.default.removeItem(atPath: directory.path + "/audit/keys/signing.key")
        var readOnly = settings
        readOnly.readOnly = true
        let reader = try AuditLog(directory: directory.path + "/audit", settings: readOnly)
        #expect(reader.verifierKey == key)
        #expect(try reader.proof(index: 0).verifierKey == key)
        #expect(throws: NoteError.self) { try reader.append([record]) }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/audit/keys/signing.key"))
    }
}

@Suite struct AuditCrashRecoveryTests {
    /// A crash right after a new segment file was created leaves it empty: the log still opens (the file is
    /// removed, nothing in it was acknowledged), verifies, and appends on.
    @Test func aSegmentLeftWithoutItsHeaderIsRemovedOnOpen() throws {
        let directory = try TemporaryDirectory()
        let settings = AuditLog.Settings(origin: "test/audit", segmentEntries: 4)
        let record = { (n: Int) in
            AuditRecord(
                id: "r-\(n)", time: .now(), actor: "a", action: "b", resource: "c", outcome: .success, requestID: "q", sourceAddress: "s")
        }
        let empty: String
        do {
            let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
            try log.append((0..<4).map(record))
            empty = log.files.segment(first: 4)
        }
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let report = AuditVerifier(directory: directory.path + "/audit").verify()
        #expect(report.ok && report.entries == 4 && report.unacknowledgedTail != nil, "\(report.problems)")
        let log = try AuditLog(directory: directory.path + "/audit", settings: settings)
        #expect(log.size == 4)
        try log.append((4..<6).map(record))
        #expect(AuditVerifier(directory: directory.path + "/audit").verify().ok)
    }
}
