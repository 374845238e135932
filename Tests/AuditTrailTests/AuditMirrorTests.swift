@testable import AuditTrail
import CSICCore
import CSICTestSupport
import Foundation
import Testing

/// The mirror repairs, it is never cut to match damage: damage in either copy stops the log without cutting
/// a byte, `AuditRepair` restores the damaged copy from the intact one (the old copy kept in quarantine),
/// and the verifier compares both copies completely.
@Suite struct AuditMirrorTests {
    static func record(_ n: Int) -> AuditRecord {
        AuditRecord(
            id: "m-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: "auditor", action: "alerts.read",
            resource: "/api/v1/alerts", outcome: .success, requestID: "q-\(n)", sourceAddress: "127.0.0.1", details: ["n": "\(n)"])
    }

    struct Trail {
        let root: String
        var primary: String { root + "/audit" }
        var mirror: String { root + "/mirror" }
        var settings: AuditLog.Settings { AuditLog.Settings(origin: "test/audit", segmentEntries: 8, mirror: mirror) }

        /// 20 entries: two sealed segments of 8 and an open one of 4, checkpointed.
        func write() throws {
            let log = try AuditLog(directory: primary, settings: settings)
            try log.append((0..<12).map(record))
            try log.issueCheckpoint()
            try log.append((12..<20).map(record))
            try log.issueCheckpoint()
        }

        func segment(_ first: UInt64, mirror: Bool = false) -> String {
            AuditFiles(directory: mirror ? self.mirror : primary).segment(first: first)
        }

        func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

        /// Flips a byte in the middle of a file (made writable first, as an attacker or a bad disk would).
        func flip(_ path: String) throws {
            chmod(path, 0o644)
            var bytes = try bytes(path)
            bytes[bytes.count / 2] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        func verify() -> AuditVerifier.Report { AuditVerifier(directory: primary, mirror: mirror).verify() }
    }

    enum Damage: String, CaseIterable, Sendable {
        case primaryOpenSegment, mirrorOpenSegment, primarySealedSegment, mirrorSealedSegment, primarySegmentDeleted, mirrorSegmentDeleted
    }

    @Test(arguments: Damage.allCases)
    func damageInOneCopyIsRepairedFromTheOther(_ damage: Damage) throws {
        let directory = try TemporaryDirectory()
        let trail = Trail(root: directory.path)
        try trail.write()
        #expect(trail.verify().ok)
        let original = try (0..<3).map { try trail.bytes(trail.segment(UInt64($0) * 8)) }
        let damaged: String
        switch damage {
        case .primaryOpenSegment: damaged = trail.segment(16)
        case .mirrorOpenSegment: damaged = trail.segment(16, mirror: true)
        case .primarySealedSegment: damaged = trail.segment(8)
        case .mirrorSealedSegment: damaged = trail.segment(8, mirror: true)
        case .primarySegmentDeleted: damaged = trail.segment(8)
        case .mirrorSegmentDeleted: damaged = trail.segment(8, mirror: true)
        }
        if damage == .primarySegmentDeleted || damage == .mirrorSegmentDeleted {
            try FileManager.default.removeItem(atPath: damaged)
        } else {
            try trail.flip(damaged)
        }
        let before = try? trail.bytes(damaged)
        let report = trail.verify()
        #expect(!report.ok && report.problems.contains { $0.contains(damaged) }, "\(report.problems)")
        let refusal = #expect(throws: NoteError.self, "the log does not open on damage to any segment, sealed or open") {
            _ = try AuditLog(directory: trail.primary, settings: trail.settings)
        }
        #expect(refusal?.description.contains(damaged) == true, "the error names the damaged file: \(String(describing: refusal))")
        #expect((try? trail.bytes(damaged)) == before, "not one byte was cut")

        let outcome = try AuditRepair.repair(directory: trail.primary, mirror: trail.mirror)
        #expect(outcome.unresolved.isEmpty && outcome.actions.count == 1, "\(outcome.actions) \(outcome.unresolved)")
        let action = try #require(outcome.actions.first)
        #expect(action.file == damaged)
        if let before { #expect(try trail.bytes(try #require(action.quarantine)) == before, "the damaged copy is kept") }
        for (position, bytes) in original.enumerated() {
            #expect(try trail.bytes(trail.segment(UInt64(position) * 8)) == bytes)
            #expect(try trail.bytes(trail.segment(UInt64(position) * 8, mirror: true)) == bytes)
        }
        #expect(trail.verify().ok, "\(trail.verify().problems)")
        let log = try AuditLog(directory: trail.primary, settings: trail.settings)
        #expect(log.size == 20)
        try log.append([Self.record(20)])
        #expect(trail.verify().ok)
        #expect(try AuditRepair.repair(directory: trail.primary, mirror: trail.mirror).actions.isEmpty)
    }

    /// The primary lost whole entries its mirror holds (a crash after the mirror reached the disk, or a cut
    /// file): the open completes the primary from the mirror instead of cutting the mirror.
    @Test func aLongerMirrorCompletesThePrimaryAndIsNeverCut() throws {
        let directory = try TemporaryDirectory()
        let trail = Trail(root: directory.path)
        try trail.write()
        let mirrored = try trail.bytes(trail.segment(16, mirror: true))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: trail.segment(16)))
        try handle.truncate(atOffset: UInt64(AuditFiles.headerSize + 10))
        try handle.close()
        let log = try AuditLog(directory: trail.primary, settings: trail.settings)
        #expect(log.size == 20)
        #expect(try trail.bytes(trail.segment(16)) == mirrored && trail.bytes(trail.segment(16, mirror: true)) == mirrored)
        #expect(trail.verify().ok)
    }

    /// An unfinished entry at the end of the mirror (a crash inside an append) is the only thing cut.
    @Test func anUnfinishedEntryAtTheEndOfTheMirrorIsCut() throws {
        let directory = try TemporaryDirectory()
        let trail = Trail(root: directory.path)
        try trail.write()
        let mirrored = try trail.bytes(trail.segment(16, mirror: true))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: trail.segment(16, mirror: true)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 1, 0, 0x7B, 0x22]))
        try handle.close()
        let log = try AuditLog(directory: trail.primary, settings: trail.settings)
        #expect(log.size == 20)
        #expect(try trail.bytes(trail.segment(16, mirror: true)) == mirrored)
    }

    /// A segment only the mirror holds, with entries: the primary lost it; the log does not open, and nothing
    /// overwrites the mirror's copy.
    @Test func aSegmentOnlyTheMirrorHoldsStopsTheLog() throws {
        let directory = try TemporaryDirectory()
        let trail = Trail(root: directory.path)
        try trail.write()
        let mirrored = try trail.bytes(trail.segment(16, mirror: true))
        try FileManager.default.removeItem(atPath: trail.segment(16))
        #expect(throws: NoteError.self) { _ = try AuditLog(directory: trail.primary, settings: trail.settings) }
        #expect(try trail.bytes(trail.segment(16, mirror: true)) == mirrored)
        #expect(trail.verify().problems.contains { $0.contains("the mirror holds a segment the log lacks") })
        #expect(try AuditRepair.repair(directory: trail.primary, mirror: trail.mirror).actions.count == 1)
        #expect(trail.verify().ok)
    }
}
