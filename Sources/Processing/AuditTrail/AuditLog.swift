import DurableFiles
import CSICCore
import EventLog
import Foundation

/// The audit log: WORM segment files with a hash chain, an RFC 9162 Merkle tree over every entry, and
/// signed C2SP checkpoints. There is no update or delete operation. `append` returns once every file is
/// fsynced (group commit: one fsync per file per batch); `open` repairs a torn tail left by a crash so the
/// acknowledged prefix verifies.
public final class AuditLog {
    public struct Settings: Sendable {
        /// The checkpoint origin line, e.g. `csic.regulator.example/audit`.
        public var origin: String
        /// Entries per segment before it is sealed.
        public var segmentEntries: UInt64
        /// A second directory that receives a byte-identical copy of every segment and checkpoint.
        public var mirror: String?
        /// Opened by a reader (`csic audit proof`) beside a running writer: nothing is repaired or written.
        public var readOnly: Bool
        /// The signing key's file when it lives outside the data directory (`audit.signing_key`).
        public var signingKey: String?

        public init(
            origin: String, segmentEntries: UInt64 = AuditDefaults.segmentEntries, mirror: String? = nil, readOnly: Bool = false,
            signingKey: String? = nil
        ) {
            self.origin = origin
            self.segmentEntries = segmentEntries
            self.mirror = mirror
            self.readOnly = readOnly
            self.signingKey = signingKey
        }
    }

    public let files: AuditFiles
    let settings: Settings
    /// The signing key; `nil` when the log is open read-only (readers never touch the private key).
    let signer: NoteSigner?
    public internal(set) var size: UInt64 = 0
    var lastChainHash = TreeHash(bytes: [UInt8](repeating: 0, count: 32))!
    var segment: AppendFile?
    var segmentFirst: UInt64 = 0
    /// The first index of every segment, in order.
    var segmentFirsts: [UInt64] = []
    var mirrorSegment: AppendFile?
    var levels: [AppendFile] = []
    let offsets: AppendFile
    /// Set when a write or sync of an append failed: the in-memory chain and tree may be ahead of the disk,
    /// and after a failed fsync the kernel may have dropped the pages. The log is closed for writing (no
    /// retry that writes twice, as PostgreSQL does since 2018); a restart recovers exactly the synced prefix.
    public private(set) var writeFailure: String?

    /// Opens (creating) the log in `directory`, with its signing key (created on first start, mode 0600).
    /// Read-only, it uses the public keys alone.
    public init(directory: String, settings: Settings) throws {
        files = AuditFiles(directory: directory)
        self.settings = settings
        if settings.readOnly {
            guard FileIO.exists(files.offsets) else { throw NoteError("no audit log in \(directory)") }
            signer = nil
            offsets = try AppendFile(path: files.offsets, readOnly: true)
            try openForReading()
            return
        }
        for folder in [files.segments, files.tree, files.keys] { try FileIO.makeDirectory(folder) }
        if let mirror = settings.mirror { try FileIO.makeDirectory(AuditFiles(directory: mirror).segments) }
        signer = try AuditKeys.signer(in: files.keys, name: settings.origin, path: settings.signingKey)
        offsets = try AppendFile(path: files.offsets)
        try recover()
    }

    // MARK: appending

    /// Appends `records` durably and returns their leaf indexes.
    @discardableResult
    public func append(_ records: [AuditRecord]) throws -> Range<UInt64> {
        guard !settings.readOnly else { throw NoteError("the audit log is open read-only") }
        if let writeFailure {
            throw NoteError(
                "the audit log is closed for writing after a failed write (\(writeFailure)); restart to recover the synced prefix")
        }
        do {
            return try appendDurably(records)
        } catch {
            writeFailure = "\(error)"
            throw error
        }
    }

    private func appendDurably(_ records: [AuditRecord]) throws -> Range<UInt64> {
        let first = size
        var touchedSegments: [AppendFile] = []
        for record in records {
            if segment == nil || size - segmentFirst >= settings.segmentEntries {
                if let full = segment {
                    try syncAll(touchedSegments)
                    touchedSegments.removeAll()
                    try seal(full)
                    try syncDerived()
                }
                try startSegment(first: size)
            }
            let leaf = AuditLeaf.encode(record, seq: size, previous: lastChainHash)
            let current = AuditLeaf.chainHash(leaf)
            var entry = withUnsafeBytes(of: UInt32(leaf.count).bigEndian) { Array($0) }
            entry += leaf
            entry += current.bytes
            guard let segment else { throw NoteError("no open segment") }
            offsets.append(withUnsafeBytes(of: UInt64(segment.size).bigEndian) { Array($0) })
            segment.append(entry)
            mirrorSegment?.append(entry)
            if !touchedSegments.contains(where: { $0 === segment }) { touchedSegments.append(segment) }
            if let mirrorSegment, !touchedSegments.contains(where: { $0 === mirrorSegment }) { touchedSegments.append(mirrorSegment) }
            try addLeaf(TreeHash.leaf(leaf))
            lastChainHash = current
            size += 1
        }
        try syncAll(touchedSegments)
        return first..<size
    }

    /// Makes the batch durable: the segments (and mirror) are fdatasynced; offsets and tree levels are
    /// written to the page cache only, because they are derived from the segments — they are synced when a
    /// checkpoint is signed (`syncDerived`), and after a crash whatever lies beyond that mark is rebuilt.
    private func syncAll(_ segments: [AppendFile]) throws {
        for file in segments { try file.sync() }
        try offsets.flush()
        for level in levels { try level.flush() }
    }

    /// Syncs offsets and tree levels and records that they are durable for the first `size` entries.
    func syncDerived() throws {
        try offsets.sync()
        for level in levels { try level.sync() }
        try DurableFile.write(withUnsafeBytes(of: size.bigEndian) { Array($0) }, to: files.derivedMark)
    }

    /// Adds a leaf hash to level 0 and every complete parent it finishes; the left sibling of a new node is
    /// the last one written at its level.
    func addLeaf(_ hash: TreeHash) throws {
        var node = hash
        var index = size
        var k = 0
        while true {
            if levels.count <= k { levels.append(try AppendFile(path: files.level(k))) }
            guard levels[k].size == Int64(index) * 32 else {
                throw NoteError("tree level \(k) holds \(levels[k].size / 32) entries, expected \(index)")
            }
            levels[k].append(node.bytes)
            guard index & 1 == 1 else { break }
            node = .node(try stored(level: k, index: index - 1), node)
            index >>= 1
            k += 1
        }
    }

    private func startSegment(first: UInt64) throws {
        let header = AuditFiles.header(first: first, previous: lastChainHash)
        let file = try AppendFile(path: files.segment(first: first))
        file.append(header)
        segment = file
        segmentFirst = first
        segmentFirsts.append(first)
        if let mirror = settings.mirror {
            // Recovery removed a mirror copy without entries and refused one with entries: this file is new.
            let copy = try AppendFile(path: AuditFiles(directory: mirror).segment(first: first))
            guard copy.size == 0 else { throw NoteError("\(copy.path) already exists with \(copy.size) bytes: nothing was overwritten") }
            copy.append(header)
            mirrorSegment = copy
            try FileIO.syncDirectory(AuditFiles(directory: mirror).segments)
        }
        try FileIO.syncDirectory(files.segments)
    }

    /// Seals a full segment: its SHA-256 beside it, and both read-only (in the mirror too).
    private func seal(_ file: AppendFile) throws {
        let digest = try AuditSeal.digest(path: file.path)
        let seal = AuditSeal(first: segmentFirst, entries: size - segmentFirst, sha256: digest, lastCurrentHash: lastChainHash.hex)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoded once: both copies of the seal are the same bytes.
        let sealBytes = Array(try encoder.encode(seal))
        for directory in [files.directory] + (settings.mirror.map { [$0] } ?? []) {
            let path = AuditFiles(directory: directory).segment(first: segmentFirst)
            try DurableFile.write(sealBytes, to: path + ".seal")
            chmod(path, 0o444)
            chmod(path + ".seal", 0o444)
        }
        segment = nil
        mirrorSegment = nil
    }

    // MARK: reading

    func stored(level k: Int, index: UInt64) throws -> TreeHash {
        guard k < levels.count else { throw NoteError("tree level \(k) missing") }
        let bytes = try levels[k].read(32, at: Int64(index) * 32)
        guard let hash = TreeHash(bytes: bytes) else { throw NoteError("tree level \(k) entry \(index) missing") }
        return hash
    }

    /// The hash of leaves `start..<end` from the stored complete subtrees (O(log n) reads).
    public func subtree(_ start: UInt64, _ end: UInt64) throws -> TreeHash {
        let count = end - start
        if count == 0 { return .empty }
        if count & (count - 1) == 0, start % count == 0 {
            return try stored(level: count.trailingZeroBitCount, index: start / count)
        }
        let k = MerkleTree.split(count)
        return .node(try subtree(start, start + k), try subtree(start + k, end))
    }

    public func root(size: UInt64) throws -> TreeHash { try subtree(0, size) }

    /// The exact bytes of entry `index`.
    public func leaf(_ index: UInt64) throws -> [UInt8] {
        guard index < size else { throw NoteError("entry \(index) is beyond the log's \(size) entries") }
        let offsetBytes = try offsets.read(8, at: Int64(index) * 8)
        let offset = Int64(bigEndian: offsetBytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) })
        let first = segmentFirsts.last { $0 <= index } ?? 0
        let file = try segment.flatMap { first == segmentFirst ? $0 : nil } ?? AppendFile(path: files.segment(first: first), readOnly: true)
        let lengthBytes = try file.read(4, at: offset)
        let length = Int(UInt32(bigEndian: lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        return try file.read(length, at: offset + 4)
    }

    public func inclusionProof(index: UInt64, size treeSize: UInt64) throws -> [TreeHash] {
        guard index < treeSize, treeSize <= size else { throw NoteError("no entry \(index) in a tree of \(treeSize) (log has \(size))") }
        return try MerkleTree.inclusionProof(index: index, size: treeSize, subtree: subtree)
    }

    public func consistencyProof(old: UInt64, new: UInt64) throws -> [TreeHash] {
        guard old <= new, new <= size else { throw NoteError("no consistency proof from \(old) to \(new) (log has \(size))") }
        return try MerkleTree.consistencyProof(old: old, new: new, subtree: subtree)
    }

    /// The verifier key of the signing key, or read-only, of the key that signed the newest checkpoint.
    public var verifierKey: String {
        if let signer { return signer.verifier.verifierKey }
        let note = (try? checkpointNotes())?.last
        return (note.flatMap(keptVerifier(of:)) ?? AuditKeys.verifiers(in: files.keys).first)?.verifierKey ?? ""
    }

    /// The kept public key that signed `note`, if any.
    func keptVerifier(of note: String) -> NoteVerifier? {
        AuditKeys.verifiers(in: files.keys).first { $0.verifies(note) }
    }
}
