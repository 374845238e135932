import CSICCore
import DurableFiles
import Foundation

extension AuditLog {
    /// Checks every sealed segment at open, in the primary and in the mirror: each segment but the last is
    /// sealed, its seal names its first index and entry count, the next segment begins where it ends, and the
    /// file's SHA-256 is the sealed one. A sealed segment is never written again, so any difference is damage:
    /// the log does not open, nothing is changed, and the error names the file and the first entry that fails.
    func checkSealedSegments() throws {
        let copies = [files] + (settings.mirror.map { [AuditFiles(directory: $0)] } ?? [])
        for (position, first) in segmentFirsts.enumerated() {
            let next = position + 1 < segmentFirsts.count ? segmentFirsts[position + 1] : nil
            for copy in copies {
                let path = copy.segment(first: first)
                guard FileIO.exists(path + ".seal") else {
                    if let next {
                        throw Self.sealDamage(path, "is followed by segment \(next) but has no seal")
                    }
                    continue
                }
                guard FileIO.exists(path) else { throw Self.sealDamage(path, "is missing (its seal is there)") }
                try Self.check(path: path, first: first, next: next)
            }
        }
    }

    private static func check(path: String, first: UInt64, next: UInt64?) throws {
        guard let data = try DurableFile.read(path + ".seal"), let seal = try? JSONDecoder().decode(AuditSeal.self, from: Data(data))
        else { throw sealDamage(path + ".seal", "is unreadable") }
        guard seal.first == first, seal.entries >= 1 else {
            throw sealDamage(
                path + ".seal", "seals entries from \(seal.first), count \(seal.entries), for the segment starting at \(first)")
        }
        if let next, first.addingReportingOverflow(seal.entries) != (next, false) {
            throw sealDamage(path, "holds \(seal.entries) sealed entries from \(first) but the next segment starts at \(next)")
        }
        guard try AuditSeal.digest(path: path) == seal.sha256 else {
            let located = AuditSegmentCopy(path: path).problem.map { String($0.dropFirst(path.count + 2)) + "; " } ?? ""
            throw sealDamage(path, "\(located)its SHA-256 differs from its seal (altered after sealing)")
        }
    }

    private static func sealDamage(_ path: String, _ problem: String) -> NoteError {
        NoteError(
            "\(path): \(problem): nothing was changed; the audit log takes no appends until `csic audit repair` restores it "
                + "from the other copy (`csic audit verify` names the damage)")
    }
}
