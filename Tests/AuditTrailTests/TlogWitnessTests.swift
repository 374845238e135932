@testable import AuditTrail
import CSICCore
import CSICTestSupport
import Foundation
import Testing

/// The witness protocol (c2sp.org/tlog-witness) without sockets: every status the specification names, the
/// cosignature format (c2sp.org/tlog-cosignature), and the state surviving a restart.
@Suite struct TlogWitnessTests {
    static func record(_ n: Int) -> AuditRecord {
        AuditRecord(
            id: "w-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: "supervisor", action: "alerts.read",
            resource: "/api/v1/alerts", outcome: .success, requestID: "q-\(n)", sourceAddress: "127.0.0.1", details: [:])
    }

    struct Fixture {
        let log: AuditLog
        let witnessDirectory: String
        var logKey: NoteVerifier { try! NoteVerifier(verifierKey: log.verifierKey) }

        init(_ directory: TemporaryDirectory) throws {
            log = try AuditLog(directory: directory.path + "/audit", settings: .init(origin: "regulator.example/audit"))
            witnessDirectory = directory.path + "/witness"
        }

        func witness() throws -> TlogWitness {
            try TlogWitness(directory: witnessDirectory, name: "witness.example/w1", logKeys: [logKey])
        }

        /// Appends `count` entries, signs a checkpoint, and returns the request from `old`.
        func grow(_ count: Int, from old: UInt64) throws -> WitnessRequest {
            let start = Int(log.size)
            try log.append((start..<start + count).map(TlogWitnessTests.record))
            let note = try #require(try log.issueCheckpoint())
            return try WitnessRequest(oldSize: old, proof: old == 0 ? [] : try log.consistencyProof(old: old, new: log.size), note: note)
        }
    }

    @Test func cosignsConsistentCheckpointsAndRefusesEverythingElse() throws {
        let directory = try TemporaryDirectory()
        let fixture = try Fixture(directory)
        let witness = try fixture.witness()

        let first = try fixture.grow(5, from: 0)
        let accepted = witness.addCheckpoint(first.encoded, now: 1_767_225_700)
        #expect(accepted.status == 200)
        let time = try witness.cosigner.verifier.verify(first.note + accepted.body)
        #expect(time == 1_767_225_700)
        #expect(witness.latest(origin: "regulator.example/audit")?.hasSuffix(accepted.body) == true)

        // The same request again: its old size is no longer the witness's.
        let stale = witness.addCheckpoint(first.encoded)
        #expect(stale == TlogWitness.Response(status: 409, contentType: "text/x.tlog.size", body: "5\n"))

        let second = try fixture.grow(7, from: 5)
        #expect(witness.addCheckpoint(second.encoded).status == 200)

        // A proof that does not lead from the cosigned root: 422, and the request is kept as evidence.
        let third = try fixture.grow(3, from: 12)
        var forged = third
        forged.proof[0] = TreeHash.leaf(Array("forged".utf8))
        #expect(witness.addCheckpoint(forged.encoded).status == 422)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.witnessDirectory + "/evidence").count == 1)
        #expect(witness.addCheckpoint(third.encoded).status == 200)

        // Same size, another root (a fork): 409.
        let other = try AuditLog(directory: directory.path + "/other", settings: .init(origin: "regulator.example/audit"))
        try other.append((100..<115).map(Self.record))
        let fork = try WitnessRequest(oldSize: 15, proof: [], note: try #require(try other.issueCheckpoint()))
        #expect(witness.addCheckpoint(fork.encoded).status == 403, "signed by another key")
        let unknown = try TlogWitness(directory: directory.path + "/w2", name: "witness.example/w2", logKeys: [])
        #expect(unknown.addCheckpoint(third.encoded).status == 404)

        #expect(witness.addCheckpoint(Array("old 3\n\n".utf8)).status == 400)
        #expect(witness.addCheckpoint(Array("new 3\n\nx\n".utf8)).status == 400)
        #expect(witness.addCheckpoint([0xFF, 0xFE]).status == 400)
        var shrinking = third
        shrinking.oldSize = 99
        #expect(witness.addCheckpoint(shrinking.encoded).status == 400, "old size above the checkpoint's")

        // Restarted, the witness still knows size 15: an old request from 0 learns it (409).
        let reopened = try fixture.witness()
        #expect(reopened.addCheckpoint(first.encoded).body == "15\n")
        #expect(reopened.cosigner.verifier == witness.cosigner.verifier)
    }

    @Test func aCheckpointOfTheSameSizeWithAnotherRootIsAConflict() throws {
        let directory = try TemporaryDirectory()
        let fixture = try Fixture(directory)
        let witness = try fixture.witness()
        let request = try fixture.grow(4, from: 0)
        #expect(witness.addCheckpoint(request.encoded).status == 200)
        // The log's own key signs a different tree of size 4 (a rewritten log).
        let rewritten = try AuditLog(directory: directory.path + "/audit2", settings: .init(origin: "regulator.example/audit"))
        try rewritten.append((50..<54).map(Self.record))
        let forgedBody = Checkpoint(origin: "regulator.example/audit", size: 4, root: try rewritten.root(size: 4)).body
        let note = try fixture.log.signer!.sign(forgedBody)
        let fork = try WitnessRequest(oldSize: 4, proof: [], note: note)
        #expect(witness.addCheckpoint(fork.encoded) == TlogWitness.Response(status: 409, contentType: "text/x.tlog.size", body: "4\n"))
    }

    /// The verifier trusts what it is given: a checkpoint pinned outside the data directory (cosigned by the
    /// witness) catches a log rolled back to an earlier state, which the log's own files cannot.
    @Test func aPinnedWitnessedCheckpointCatchesARollback() throws {
        let directory = try TemporaryDirectory()
        let fixture = try Fixture(directory)
        let witness = try fixture.witness()
        let backup = directory.path + "/backup"
        _ = try fixture.grow(6, from: 0)
        try FileManager.default.copyItem(atPath: directory.path + "/audit", toPath: backup)
        let later = try fixture.grow(4, from: 0)
        #expect(witness.addCheckpoint(later.encoded).status == 200)
        let pinned = try #require(witness.latest(origin: "regulator.example/audit"))
        let trust = AuditVerifier.Trust(
            logKeys: [fixture.logKey], pinned: [("witness", pinned)], witnessKeys: [witness.cosigner.verifier])
        #expect(AuditVerifier(directory: directory.path + "/audit", trust: trust).verify().ok)

        let rolledBack = AuditVerifier(directory: backup, trust: trust).verify()
        #expect(AuditVerifier(directory: backup).verify().ok, "the rolled-back files verify on their own")
        #expect(rolledBack.problems.contains { $0.contains("covers 10 entries but the log verifies only 6") }, "\(rolledBack.problems)")

        let otherWitness = try Cosigner(name: "witness.example/w9").verifier
        let unwitnessed = AuditVerifier(
            directory: directory.path + "/audit",
            trust: .init(logKeys: [fixture.logKey], pinned: [("witness", pinned)], witnessKeys: [otherWitness])
        ).verify()
        #expect(unwitnessed.problems.contains { $0.contains("no cosignature by witness.example/w9") })
        let wrongKey = try NoteSigner(name: "regulator.example/audit").verifier
        #expect(!AuditVerifier(directory: directory.path + "/audit", trust: .init(logKeys: [wrongKey])).verify().ok)
    }
}
