import DurableFiles
import EventLog

extension AuditLog {
    /// Finds the durable end of the log and brings the tree, offsets and mirror in line with it: a torn
    /// last entry (a crash inside `append`, before it returned) is cut off; entries are never rewritten.
    func recover() throws {
        segmentFirsts = files.segmentFirsts()
        if let mirror = settings.mirror { try checkMirrorSegments(AuditFiles(directory: mirror)) }
        // A crash right after a segment file was created can leave it without its whole header; nothing in
        // it was acknowledged, so it is removed and the segment is started again on the next append.
        while let lastFirst = segmentFirsts.last, try Self.isHeaderless(files.segment(first: lastFirst)) {
            for directory in [files.directory] + (settings.mirror.map { [$0] } ?? []) {
                let path = AuditFiles(directory: directory).segment(first: lastFirst)
                if FileIO.exists(path) { try FileIO.remove(path) }
            }
            segmentFirsts.removeLast()
        }
        try checkSealedSegments()
        guard let lastFirst = segmentFirsts.last else {
            try trimDerived(to: 0)
            return
        }
        let path = files.segment(first: lastFirst)
        let sealed = FileIO.exists(path + ".seal")
        if let mirror = settings.mirror, !sealed {
            try Self.reconcile(primary: path, mirror: AuditFiles(directory: mirror).segment(first: lastFirst))
        }
        let file = try AppendFile(path: path, readOnly: sealed)
        let header = try file.read(AuditFiles.headerSize, at: 0)
        guard header.count == AuditFiles.headerSize, Array(header.prefix(8)) == AuditFiles.magic,
            UInt64(bigEndian: Array(header[8..<16]).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) == lastFirst,
            var chain = TreeHash(bytes: header[16..<48])
        else { throw NoteError("\(path): bad segment header; run `csic audit verify`") }
        var position = Int64(AuditFiles.headerSize)
        var entries: UInt64 = 0
        while let (leaf, current, next) = try Self.entry(in: file, at: position), AuditLeaf.chainHash(leaf) == current {
            chain = current
            position = next
            entries += 1
        }
        if position < file.size {
            guard !sealed else { throw NoteError("\(path): sealed segment ends in a damaged entry; run `csic audit verify`") }
            // Only a torn last entry (a crash inside `append`, never acknowledged) may be cut: one that runs past
            // the end of the file, or a tail of zeros. An entry written whole that fails its hash, one a signed
            // checkpoint covers, or one followed by a valid entry may have been acknowledged: the log does not
            // open for writing, and nothing is cut.
            let index = lastFirst + entries
            if try Self.entry(in: file, at: position) != nil,
                try !file.read(Int(file.size - position), at: position).allSatisfy({ $0 == 0 })
            {
                throw NoteError(
                    "\(path): entry \(index) at byte \(position) was written whole but fails its hash: nothing was cut; "
                        + "the audit log takes no appends until repaired from its mirror (`csic audit verify` names the damage)")
            }
            let checkpointed = (try? latestCheckpoint())?.checkpoint.size ?? 0
            if checkpointed > index {
                throw NoteError(
                    "\(path): entry \(index) at byte \(position) is damaged, and checkpoint \(checkpointed) covers it: nothing was cut; "
                        + "the audit log takes no appends until repaired from its mirror (`csic audit verify` names the damage)")
            }
            if let following = try Self.validEntry(in: file, after: position) {
                throw NoteError(
                    "\(path): entry \(index) at byte \(position) is damaged and a valid entry follows at byte \(following): nothing was cut; "
                        + "the audit log takes no appends until repaired from its mirror (`csic audit verify` names the damage)")
            }
            try file.truncate(to: position)
            try file.sync()
        }
        size = lastFirst + entries
        lastChainHash = chain
        if sealed {
            segment = nil
        } else {
            segment = file
            segmentFirst = lastFirst
            segmentFirsts.removeLast()
            segmentFirsts.append(lastFirst)
            if let mirror = settings.mirror {
                mirrorSegment = try Self.align(mirror: AuditFiles(directory: mirror).segment(first: lastFirst), to: file)
            }
        }
        let mark =
            (try DurableFile.read(files.derivedMark)).flatMap {
                $0.count == 8 ? UInt64(bigEndian: $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) : nil
            } ?? 0
        try trimDerived(to: min(mark, size))
        try rebuildDerived()
    }

    /// The mirror holds the primary's segments, no fewer (a new segment's copies are synced into both
    /// directories before its first entry) and no more: a segment only the mirror has is removed when it holds
    /// no entry (a crash while it was being created) and is damage to the primary otherwise.
    private func checkMirrorSegments(_ mirror: AuditFiles) throws {
        for first in mirror.segmentFirsts() where !segmentFirsts.contains(first) {
            let path = mirror.segment(first: first)
            if segmentFirsts.last.map({ first > $0 }) ?? true, (FileIO.fileSize(path) ?? 0) <= Int64(AuditFiles.headerSize) {
                try FileIO.remove(path)
                continue
            }
            throw NoteError(
                "\(files.segment(first: first)) is missing but its mirror \(path) holds entries: nothing was cut; the audit log "
                    + "takes no appends until `csic audit repair` restores it from the mirror")
        }
    }

    /// A reader's view: the entries whose offsets and tree entries are written, without repairing anything.
    /// The writer adds an entry's offset and level-0 hash before the hashes it completes at the levels above,
    /// so a reader that opens in between sees fewer at a higher level: it reads the longest prefix every level
    /// covers (level `k` must hold `size >> k` complete subtrees; a level not yet created holds none).
    func openForReading() throws {
        segmentFirsts = files.segmentFirsts()
        var k = 0
        while FileIO.exists(files.level(k)) {
            levels.append(try AppendFile(path: files.level(k), readOnly: true))
            k += 1
        }
        size = UInt64(offsets.size / 8)
        for level in 0...min(levels.count, 62) {
            let stored = level < levels.count ? UInt64(levels[level].size / 32) : 0
            // `size >> level <= stored`, i.e. `size < (stored + 1) << level` (no overflow: 2^62 leaves is beyond any disk).
            if stored < UInt64(1) << (62 - level) { size = min(size, ((stored + 1) << level) - 1) }
        }
    }

    /// Where the first whole entry with a matching hash begins after `position`, if any: acknowledged data
    /// after damaged bytes. Tried at every byte (in memory), so a damaged length field cannot hide what follows.
    static func validEntry(in file: AppendFile, after position: Int64) throws -> Int64? {
        let rest = try file.read(Int(file.size - position), at: position)
        var candidate = 1
        while candidate + 4 + 32 < rest.count {
            let length = rest[candidate..<candidate + 4].reduce(0) { $0 << 8 | Int($1) }
            let end = candidate + 4 + length
            if length > 0, end + 32 <= rest.count, rest[candidate + 4] == UInt8(ascii: "{"),
                let stored = TreeHash(bytes: rest[end..<end + 32]), AuditLeaf.chainHash(rest[candidate + 4..<end]) == stored
            {
                return position + Int64(candidate)
            }
            candidate += 1
        }
        return nil
    }

    /// Whether the segment at `path` is shorter than its header and not sealed.
    static func isHeaderless(_ path: String) throws -> Bool {
        guard !FileIO.exists(path + ".seal") else { return false }
        return try AppendFile(path: path, readOnly: true).size < Int64(AuditFiles.headerSize)
    }

    /// One entry at `position`: its leaf, its stored current hash, and where the next begins; `nil` at a
    /// clean or torn end.
    static func entry(in file: AppendFile, at position: Int64) throws -> (leaf: [UInt8], current: TreeHash, next: Int64)? {
        guard position + 4 <= file.size else { return nil }
        let length = Int64(UInt32(bigEndian: try file.read(4, at: position).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        guard length > 0, position + 4 + length + 32 <= file.size else { return nil }
        let bytes = try file.read(Int(length) + 32, at: position + 4)
        guard let current = TreeHash(bytes: bytes.suffix(32)) else { return nil }
        return (Array(bytes.prefix(Int(length))), current, position + 4 + length + 32)
    }

    /// The mirror's copy of the open segment, completed to the primary's bytes; after ``reconcile(primary:mirror:)``
    /// it is longer only by the unfinished last entry the primary's recovery just cut (the same bytes).
    static func align(mirror path: String, to primary: AppendFile) throws -> AppendFile {
        let copy = try AppendFile(path: path)
        if copy.size > primary.size { try copy.truncate(to: primary.size) }
        if copy.size < primary.size { copy.append(try primary.read(Int(primary.size - copy.size), at: copy.size)) }
        try copy.sync()
        return copy
    }

    /// Cuts offsets and tree levels to the longest prefix of at most `count` entries that all of them
    /// hold (level k needs count >> k entries); what lies beyond is rebuilt from the segments.
    private func trimDerived(to count: UInt64) throws {
        var k = 0
        while FileIO.exists(files.level(k)) {
            levels.append(try AppendFile(path: files.level(k)))
            k += 1
        }
        var n = min(count, UInt64(offsets.size / 8))
        for k in 0..<64 {
            let held = k < levels.count ? UInt64(levels[k].size / 32) : 0
            let span = UInt64(1) << UInt64(k)
            if held < n >> UInt64(k) { n = held * span + span - 1 }
            if n >> UInt64(k) == 0 { break }
        }
        if offsets.size > Int64(n) * 8 { try offsets.truncate(to: Int64(n) * 8) }
        for (k, level) in levels.enumerated() where level.size > Int64(n >> UInt64(k)) * 32 {
            try level.truncate(to: Int64(n >> UInt64(k)) * 32)
        }
    }

    /// Writes the offsets and tree entries a crash left missing, from the segments.
    private func rebuildDerived() throws {
        let known = UInt64(offsets.size / 8)
        let leaves = UInt64((levels.first?.size ?? 0) / 32)
        let from = min(known, leaves)
        guard from == known, from == leaves else { throw NoteError("tree files inconsistent after trimming") }
        guard from < size else { return }
        let start = segmentFirsts.last { $0 <= from } ?? 0
        for first in segmentFirsts where first >= start {
            let file = try AppendFile(path: files.segment(first: first), readOnly: true)
            var position = Int64(AuditFiles.headerSize)
            var index = first
            if first == start, from > first {
                // Start right after the last entry whose offset is kept, instead of at the segment's beginning.
                let previous = Int64(
                    bigEndian: try offsets.read(8, at: Int64(from - 1) * 8).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) })
                guard let (_, _, next) = try Self.entry(in: file, at: previous) else {
                    throw NoteError("\(file.path): entry \(from - 1) unreadable")
                }
                position = next
                index = from
            }
            while index < size, let (leaf, _, next) = try Self.entry(in: file, at: position) {
                if index >= known { offsets.append(withUnsafeBytes(of: UInt64(position).bigEndian) { Array($0) }) }
                if index >= leaves { try rebuildLeaf(TreeHash.leaf(leaf), index: index) }
                position = next
                index += 1
            }
        }
        try offsets.sync()
        for level in levels { try level.sync() }
    }

    private func rebuildLeaf(_ hash: TreeHash, index: UInt64) throws {
        var node = hash
        var position = index
        var k = 0
        while true {
            if levels.count <= k { levels.append(try AppendFile(path: files.level(k))) }
            if levels[k].size == Int64(position) * 32 { levels[k].append(node.bytes) }
            guard position & 1 == 1 else { break }
            node = .node(try stored(level: k, index: position - 1), node)
            position >>= 1
            k += 1
        }
    }
}
