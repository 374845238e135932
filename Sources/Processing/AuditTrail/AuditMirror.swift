import CSICCore
import DurableFiles
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What one copy (primary or mirror) of an audit segment holds: how far its entries verify — header, each
/// entry whole, its current hash matching its bytes, its `previous_hash` linking to the one before — and
/// whether the bytes after that are an unfinished write (an entry running past the end of the file, or zeros).
struct AuditSegmentCopy {
    let path: String
    let bytes: [UInt8]?
    /// The byte after the last verified entry (0 when the header is bad).
    private(set) var verifiedEnd = 0
    private(set) var unfinishedTail = false
    /// What is wrong where verification stopped, when it stopped before the end.
    private(set) var problem: String?

    init(path: String) {
        self.path = path
        bytes = FileIO.exists(path) ? try? FileIO.readFile(path) : nil
        guard let bytes else { return }
        guard bytes.count >= AuditFiles.headerSize, Array(bytes.prefix(8)) == AuditFiles.magic,
            var chain = TreeHash(bytes: bytes[16..<48])
        else {
            problem = "\(path): bad segment header"
            return
        }
        var position = AuditFiles.headerSize
        while position < bytes.count {
            guard position + 4 <= bytes.count else { break }
            let length = bytes[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length > 0, position + 4 + length + 32 <= bytes.count else { break }
            let leaf = bytes[position + 4..<position + 4 + length]
            let current = AuditLeaf.chainHash(leaf)
            guard TreeHash(bytes: bytes[position + 4 + length..<position + 4 + length + 32]) == current,
                let header = AuditLeaf.header(leaf), chain.hex == header.previous
            else { break }
            chain = current
            position += 4 + length + 32
        }
        verifiedEnd = position
        guard position < bytes.count else { return }
        let rest = bytes[position...]
        let declared = rest.count >= 4 ? rest.prefix(4).reduce(0) { $0 << 8 | Int($1) } : Int.max
        unfinishedTail = rest.allSatisfy { $0 == 0 } || (declared > 0 && 4 + declared + 32 > rest.count)
        problem = "\(path): entry at byte \(position) " + (unfinishedTail ? "is unfinished (a write cut short)" : "fails verification")
    }

    var exists: Bool { bytes != nil }
    /// Every byte verifies (a torn tail is not intact: it is handled by the open, not by a repair).
    var isIntact: Bool { bytes != nil && problem == nil }
}

extension AuditLog {
    /// Brings the open segment's two copies together at start, never cutting acknowledged data from either:
    /// both must agree on every byte they share; whole, verified entries one copy has past the other's end are
    /// copied to the other (an append writes both before it returns, so a crash can leave either ahead); only
    /// an unfinished write at the end of the longer copy is cut. Anything else is damage: the log does not
    /// open, and `csic audit repair` restores the damaged copy from the intact one.
    static func reconcile(primary path: String, mirror mirrorPath: String) throws {
        let primary = AuditSegmentCopy(path: path)
        let mirror = AuditSegmentCopy(path: mirrorPath)
        let primaryBytes = primary.bytes ?? []
        let mirrorBytes = mirror.bytes ?? []
        let shared = min(primaryBytes.count, mirrorBytes.count)
        if let differs = (0..<shared).first(where: { primaryBytes[$0] != mirrorBytes[$0] }) {
            throw NoteError(
                "\(path) and its mirror \(mirrorPath) differ at byte \(differs): nothing was cut; the audit log takes no appends "
                    + "until `csic audit repair` restores the damaged copy from the intact one")
        }
        let (longer, shorter) = primaryBytes.count >= mirrorBytes.count ? (primary, mirrorPath) : (mirror, path)
        let longerBytes = longer.bytes ?? []
        guard longerBytes.count > shared else { return }
        if longer.problem != nil, !longer.unfinishedTail, longer.verifiedEnd < longerBytes.count, longer.verifiedEnd >= shared {
            throw NoteError(
                "\(longer.problem!): nothing was cut; the audit log takes no appends until `csic audit repair` restores it from "
                    + "the other copy")
        }
        let copyEnd = max(shared, longer.verifiedEnd)
        if copyEnd > shared {
            let file = try AppendFile(path: shorter)
            file.append(Array(longerBytes[shared..<copyEnd]))
            try file.sync()
        }
        if copyEnd < longerBytes.count, longer.unfinishedTail {
            let file = try AppendFile(path: longer.path)
            try file.truncate(to: Int64(copyEnd))
            try file.sync()
        }
    }
}
