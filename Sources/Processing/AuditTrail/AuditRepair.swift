import CSICCore
import DurableFiles
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `csic audit repair`: restores each damaged or missing file of a stopped audit log from its intact copy —
/// the mirror for the primary, the primary for the mirror — and never deletes: the damaged copy is kept in
/// `<directory>/quarantine/` first. A segment copy is intact when every entry verifies (and, sealed, it matches
/// its seal); of two intact copies that differ, the longer wins only when the shorter is its prefix. What
/// cannot be decided (both copies damaged, or both intact and different) is left alone and reported.
public enum AuditRepair {
    /// One file restored.
    public struct Action: Sendable, Hashable, Encodable, CustomStringConvertible {
        /// The file written.
        public var file: String
        /// The intact copy it was restored from.
        public var source: String
        /// Where the replaced copy went; `nil` when there was none.
        public var quarantine: String?
        public var reason: String

        public var description: String {
            "\(file): \(reason); restored from \(source)" + (quarantine.map { ", the old copy kept in \($0)" } ?? "")
        }
    }

    /// The outcome: what was restored, and what could not be.
    public struct Outcome: Sendable {
        public var actions: [Action] = []
        public var unresolved: [String] = []
    }

    /// Repairs the log in `directory` from `mirror` and the other way round; the log must not be open.
    public static func repair(directory: String, mirror: String, now: Timestamp = .now()) throws -> Outcome {
        let primary = AuditFiles(directory: directory)
        let copy = AuditFiles(directory: mirror)
        let quarantine = "\(directory)/quarantine/\(now.microsecondsSinceEpoch)"
        var outcome = Outcome()
        let firsts = Set(primary.segmentFirsts()).union(copy.segmentFirsts()).sorted()
        for first in firsts {
            let paths = (primary.segment(first: first), copy.segment(first: first))
            let (a, b) = (AuditSegmentCopy(path: paths.0), AuditSegmentCopy(path: paths.1))
            let sealed = FileIO.exists(paths.0 + ".seal") || FileIO.exists(paths.1 + ".seal")
            let aIntact = a.isIntact && (!sealed || matchesSeal(a))
            let bIntact = b.isIntact && (!sealed || matchesSeal(b))
            guard a.bytes != b.bytes else { continue }
            let source: AuditSegmentCopy
            let target: AuditSegmentCopy
            switch (aIntact, bIntact) {
            case (true, false): (source, target) = (a, b)
            case (false, true): (source, target) = (b, a)
            case (true, true):
                let (long, short) = (a.bytes!.count >= b.bytes!.count) ? (a, b) : (b, a)
                guard long.bytes!.starts(with: short.bytes!) else {
                    outcome.unresolved.append("\(paths.0) and \(paths.1) both verify but differ: compare them by hand")
                    continue
                }
                (source, target) = (long, short)
            case (false, false):
                outcome.unresolved.append(
                    "\(paths.0) and \(paths.1) are both damaged (\(a.problem ?? "missing"); \(b.problem ?? "missing")): no intact copy")
                continue
            }
            let kept = try keep(target, in: quarantine)
            try FileIO.writeAtomically(source.bytes!, to: target.path)
            if sealed {
                let seal = source.path + ".seal"
                if FileIO.exists(seal), !FileIO.exists(target.path + ".seal") {
                    try FileIO.writeAtomically(try FileIO.readFile(seal), to: target.path + ".seal")
                }
                chmod(target.path, 0o444)
            }
            outcome.actions.append(
                Action(
                    file: target.path, source: source.path, quarantine: kept,
                    reason: target.exists
                        ? (target.problem.map { String($0.dropFirst(target.path.count + 2)) } ?? "shorter than its copy") : "missing"))
        }
        try repairCheckpoints(primary.checkpoints, copy.checkpoints, quarantine: quarantine, outcome: &outcome)
        return outcome
    }

    /// The checkpoint log is append-only: of two copies the longer wins when the shorter is its prefix.
    private static func repairCheckpoints(_ a: String, _ b: String, quarantine: String, outcome: inout Outcome) throws {
        let (first, second) = ((try? FileIO.readFile(a)) ?? [], (try? FileIO.readFile(b)) ?? [])
        guard first != second else { return }
        let (long, short) = first.count >= second.count ? ((a, first), (b, second)) : ((b, second), (a, first))
        guard long.1.starts(with: short.1) else {
            outcome.unresolved.append("\(a) and \(b) differ and neither is a prefix of the other: compare them by hand")
            return
        }
        let kept = try keep(AuditSegmentCopy(path: short.0), in: quarantine)
        try FileIO.writeAtomically(long.1, to: short.0)
        outcome.actions.append(
            Action(file: short.0, source: long.0, quarantine: kept, reason: "missing checkpoints the other copy holds"))
    }

    private static func matchesSeal(_ copy: AuditSegmentCopy) -> Bool {
        guard let bytes = copy.bytes else { return false }
        let seal = [copy.path + ".seal"].compactMap { try? FileIO.readFile($0) }.first
        guard let seal, let decoded = try? JSONDecoder().decode(AuditSeal.self, from: Data(seal)) else { return true }
        return decoded.sha256 == Hex.encode(SHA256Hasher.digest(bytes))
    }

    /// Copies an existing file into the quarantine directory (synced); returns where, or `nil` if it did not exist.
    private static func keep(_ copy: AuditSegmentCopy, in quarantine: String) throws -> String? {
        guard let bytes = copy.bytes else { return nil }
        let name = copy.path.split(separator: "/").joined(separator: "_")
        try FileIO.makeDirectory(quarantine)
        try FileIO.writeAtomically(bytes, to: "\(quarantine)/\(name)")
        return "\(quarantine)/\(name)"
    }
}
