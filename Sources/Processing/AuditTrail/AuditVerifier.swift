import DurableFiles
import CSICCore
import EventLog
import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Re-verifies an audit log from its files alone, trusting none of its derived state: every segment's
/// header and order, every entry's current hash, chain link and sequence number, the Merkle tree recomputed
/// from the entries (and the stored tree compared with it), every checkpoint's signature (any key ever
/// used), order and root, the seals of full segments, that entries are covered by checkpoints, and the
/// mirror copy. Problems name the place: segment file, entry index, byte offset, checkpoint number.
public struct AuditVerifier: Sendable {
    public struct Report: Sendable, Codable {
        public var entries: UInt64 = 0
        public var segments = 0
        public var checkpoints = 0
        public var problems: [String] = []
        /// A last entry cut short by a crash; `append` never acknowledged it and the next start removes it.
        public var unacknowledgedTail: String?
        /// Whose word the checkpoint signatures were checked against.
        public var trust = ""
        public var ok: Bool { problems.isEmpty }
    }

    /// What the verifier trusts beyond the files: without it, checkpoints are checked against the public
    /// keys kept in the data directory — the log's own word, which cannot catch an operator who rolls the
    /// whole directory back.
    public struct Trust: Sendable {
        /// The log's verifier keys; `nil` means the keys kept in the data directory.
        public var logKeys: [NoteVerifier]?
        /// Checkpoints kept outside the data directory (an auditor's copy of `csic audit checkpoint`, a
        /// witness's latest): the log must hold each, with the same root.
        public var pinned: [(source: String, note: String)]
        /// Witnesses whose cosignature every pinned checkpoint must carry; the log's own copies of checkpoints
        /// these witnesses cosigned (`<audit>/witnesses/`) are pinned too.
        public var witnessKeys: [CosignatureVerifier]

        public init(logKeys: [NoteVerifier]? = nil, pinned: [(source: String, note: String)] = [], witnessKeys: [CosignatureVerifier] = [])
        {
            self.logKeys = logKeys
            self.pinned = pinned
            self.witnessKeys = witnessKeys
        }
    }

    let files: AuditFiles
    let mirror: AuditFiles?
    /// Entries newer than the last checkpoint by more than this are reported (the service issues one at least this often).
    let checkpointInterval: UInt64?
    let trust: Trust

    public init(directory: String, mirror: String? = nil, checkpointInterval: UInt64? = nil, trust: Trust = Trust()) {
        files = AuditFiles(directory: directory)
        self.mirror = mirror.map(AuditFiles.init(directory:))
        self.checkpointInterval = checkpointInterval
        self.trust = trust
    }

    public func verify() -> Report {
        var report = Report()
        var checkpoints: [(label: String, checkpoint: Checkpoint)] = []
        let verifiers = trust.logKeys ?? AuditKeys.verifiers(in: files.keys)
        report.trust =
            trust.logKeys == nil
            ? "checkpoint signatures checked against the keys in \(files.keys) (the log's own word; pass --key to check against keys you hold)"
            : "checkpoint signatures checked against \(verifiers.count) given key(s)"
        let notes = (try? AuditLog.readNotes(path: files.checkpoints)) ?? []
        report.checkpoints = notes.count
        for (number, note) in notes.enumerated() {
            guard let body = try? NoteVerifier.verifyAny(note, among: verifiers), let checkpoint = try? Checkpoint(body: body) else {
                report.problems.append(
                    "checkpoint \(number): no signature by a key of this log (forged, altered, or signed by another key)")
                continue
            }
            if let last = checkpoints.last?.checkpoint, checkpoint.size < last.size {
                report.problems.append(
                    "checkpoint \(number): tree size \(checkpoint.size) is smaller than the previous checkpoint's \(last.size) (an older checkpoint restored)"
                )
            }
            checkpoints.append(("checkpoint \(number)", checkpoint))
        }
        let pinned = pinnedCheckpoints(verifiers: verifiers, problems: &report.problems)
        var pending = (checkpoints + pinned).sorted { $0.checkpoint.size < $1.checkpoint.size }[...]
        var retentionRules = RetentionAudit.Rules()
        var frontier = MerkleFrontier()
        var chain = TreeHash(bytes: [UInt8](repeating: 0, count: 32))!
        var index: UInt64 = 0
        let firsts = files.segmentFirsts()
        report.segments = firsts.count
        func checkRoots() {
            while let next = pending.first, next.checkpoint.size == index {
                if frontier.root != next.checkpoint.root {
                    report.problems.append(
                        "\(next.label): root of tree size \(next.checkpoint.size) does not match the entries")
                }
                pending = pending.dropFirst()
            }
        }
        checkRoots()
        // Segments are scanned two at a time (hashing is most of the work), then folded in order: links
        // between segments, the tree, and the checkpoints' roots.
        let window = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        var position = 0
        scanning: while position < firsts.count {
            let batch = Array(
                firsts[position..<min(firsts.count, position + window)].enumerated().map { (position + $0.offset, $0.element) })
            let scans = SegmentScans(count: batch.count)
            DispatchQueue.concurrentPerform(iterations: batch.count) { slot in
                scans.set(slot, scan(first: batch[slot].1, isLast: batch[slot].0 == firsts.count - 1))
            }
            for scan in scans.results {
                guard let scan else { break scanning }
                if scan.headerless {
                    report.unacknowledgedTail = scan.tail
                    break scanning
                }
                if let problem = scan.headerProblem {
                    report.problems.append(problem)
                    break scanning
                }
                if scan.first != index {
                    report.problems.append(
                        "\(scan.path): starts at entry \(scan.first), expected \(index) (a segment missing, swapped, renamed or inserted)")
                    break scanning
                }
                if scan.previous != chain {
                    report.problems.append("\(scan.path): header's previous hash does not link to entry \(index == 0 ? 0 : index - 1)")
                    break scanning
                }
                for leaf in scan.leaves {
                    frontier.append(leaf)
                    index += 1
                    checkRoots()
                }
                chain = scan.last
                report.problems += retentionRules.problems(in: scan.retentionEntries, path: scan.path)
                report.problems += scan.problems
                if let tail = scan.tail { report.unacknowledgedTail = tail }
                if scan.stopped { break scanning }
            }
            position += batch.count
        }
        report.entries = index
        for left in pending {
            report.problems.append(
                "\(left.label): covers \(left.checkpoint.size) entries but the log verifies only \(index) (entries deleted or truncated, "
                    + "or the log rolled back)")
        }
        if let interval = checkpointInterval, let last = checkpoints.map(\.checkpoint.size).max() ?? Optional(0), index > last + interval {
            report.problems.append(
                "entries \(last)..<\(index) are covered by no checkpoint (the checkpoint log was rolled back or not written)")
        }
        if let mirror { report.problems += compare(with: mirror, firsts: firsts) }
        return report
    }

    /// The checkpoints pinned outside the log, and the log's copies of witnessed ones when witness keys are
    /// given, each checked for the log's signature and every given witness's cosignature.
    func pinnedCheckpoints(verifiers: [NoteVerifier], problems: inout [String]) -> [(label: String, checkpoint: Checkpoint)] {
        // Pinned from outside: every given witness must have cosigned it. The log's own copies: one did.
        var sources = trust.pinned.map { (source: $0.source, note: $0.note, external: true) }
        if !trust.witnessKeys.isEmpty {
            for name in FileIO.list(files.directory + "/witnesses") where name.hasSuffix(".cosigned") {
                let path = files.directory + "/witnesses/" + name
                guard let bytes = try? FileIO.readFile(path) else { continue }
                let note = String(decoding: bytes, as: UTF8.self)
                if trust.witnessKeys.contains(where: { (try? $0.verify(note)) != nil }) { sources.append((path, note, false)) }
            }
        }
        var pinned: [(label: String, checkpoint: Checkpoint)] = []
        for (source, note, external) in sources {
            let label = "pinned checkpoint \(source)"
            guard let body = try? NoteVerifier.verifyAny(note, among: verifiers), let checkpoint = try? Checkpoint(body: body) else {
                problems.append("\(label): no signature by a trusted key of this log")
                continue
            }
            for witness in trust.witnessKeys where external {
                do throws(NoteError) { _ = try witness.verify(note) } catch { problems.append("\(label): \(error)") }
            }
            pinned.append((label, checkpoint))
        }
        return pinned
    }

    /// Compares every file of the log with the mirror's copy, both ways: each segment and seal byte for byte,
    /// segments only one side has, and the checkpoint log.
    func compare(with mirror: AuditFiles, firsts: [UInt64]) -> [String] {
        var problems: [String] = []
        let mirrored = mirror.segmentFirsts()
        for first in Set(firsts).union(mirrored).sorted() {
            let (path, copy) = (files.segment(first: first), mirror.segment(first: first))
            guard firsts.contains(first) else {
                problems.append("\(copy): the mirror holds a segment the log lacks (\(path) is missing)")
                continue
            }
            guard mirrored.contains(first) else {
                problems.append("\(path): missing from the mirror (\(copy))")
                continue
            }
            for suffix in ["", ".seal"] where (try? FileIO.readFile(path + suffix)) != (try? FileIO.readFile(copy + suffix)) {
                problems.append("\(path + suffix): differs from the mirror's copy \(copy + suffix)")
            }
        }
        if (try? FileIO.readFile(files.checkpoints)) != (try? FileIO.readFile(mirror.checkpoints)) {
            problems.append("\(files.checkpoints) differs from the mirror's copy")
        }
        return problems
    }

    /// One segment checked on its own: header, every entry's hash, seq and link within the segment, the
    /// stored tree's leaves and the seal. Links across segments are checked by the caller.
    struct SegmentScan: Sendable {
        var path: String
        var first: UInt64 = 0
        var previous = TreeHash.empty
        var last = TreeHash.empty
        var leaves: [TreeHash] = []
        var headerProblem: String?
        var problems: [String] = []
        var tail: String?
        /// A problem that makes later segments meaningless.
        var stopped = false
        /// The last segment, cut short by a crash before its header was written.
        var headerless = false
        /// Entries whose record is a retention action, checked in log order by the caller.
        var retentionEntries: [(index: UInt64, offset: Int, leaf: [UInt8])] = []
    }

    func scan(first: UInt64, isLast: Bool) -> SegmentScan {
        let path = files.segment(first: first)
        var result = SegmentScan(path: path)
        guard let bytes = try? FileIO.readFile(path) else {
            result.headerProblem = "\(path): cannot be read"
            return result
        }
        if isLast, bytes.count < AuditFiles.headerSize, !FileIO.exists(path + ".seal") {
            result.headerless = true
            result.tail = "\(path): a segment created just before a crash, without its header (never acknowledged)"
            return result
        }
        guard bytes.count >= AuditFiles.headerSize, Array(bytes.prefix(8)) == AuditFiles.magic else {
            result.headerProblem = "\(path): not an audit segment (bad header)"
            return result
        }
        let stated = UInt64(bigEndian: Array(bytes[8..<16]).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        result.first = stated
        if stated != first {
            result.headerProblem = "\(path): starts at entry \(stated), but its name says \(first) (a segment renamed or swapped)"
            return result
        }
        result.previous = TreeHash(bytes: bytes[16..<48])!
        var chain = result.previous
        var index = first
        var level0 = StoredLeaves(file: try? AppendFile(path: files.level(0), readOnly: true))
        var offset = AuditFiles.headerSize
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                guard offset + 4 <= raw.count else {
                    result.stopped = tail(&result, path, offset, isLast)
                    return
                }
                let length = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                guard length > 0, offset + 4 + length + 32 <= raw.count else {
                    result.stopped = tail(&result, path, offset, isLast)
                    return
                }
                let leaf = UnsafeRawBufferPointer(rebasing: raw[offset + 4..<offset + 4 + length])
                let current = AuditLeaf.chainHash(raw: leaf)
                var problem: String?
                if TreeHash(raw: UnsafeRawBufferPointer(rebasing: raw[offset + 4 + length..<offset + 4 + length + 32])) != current {
                    problem = "current_hash does not match the entry's bytes (altered)"
                } else if let header = AuditLeaf.header(raw: leaf) {
                    if header.seq != index {
                        problem = "states seq \(header.seq) (entries reordered, deleted or inserted)"
                    } else if !chain.matches(hex: header.previousHex) {
                        problem = "previous_hash does not link to entry \(index == 0 ? 0 : index - 1)"
                    } else if AuditLeaf.isRetentionEntry(raw: leaf, recordStart: header.recordStart) {
                        result.retentionEntries.append((index, offset, Array(leaf)))
                    }
                } else {
                    problem = "not an audit entry"
                }
                if let problem {
                    result.problems.append("entry \(index) (\(path), byte \(offset)): \(problem)")
                    result.stopped = true
                    return
                }
                let leafHash = TreeHash.leaf(raw: leaf)
                if let stored = level0.hash(at: index), stored != leafHash {
                    result.problems.append(
                        "entry \(index) (\(path), byte \(offset)): the stored Merkle tree differs from the entry (tree/level-00.bin)")
                }
                result.leaves.append(leafHash)
                chain = current
                index += 1
                offset += 4 + length + 32
            }
        }
        result.last = chain
        if !result.stopped {
            checkSeal(path: path, first: first, entries: index - first, chain: chain, bytes: bytes, problems: &result.problems)
        }
        return result
    }

    private func tail(_ result: inout SegmentScan, _ path: String, _ offset: Int, _ isLast: Bool) -> Bool {
        if isLast, !FileIO.exists(path + ".seal") {
            result.tail = "\(path) byte \(offset): an incomplete last entry (a crash during append; never acknowledged)"
            return false
        }
        result.problems.append("\(path) byte \(offset): truncated entry")
        return true
    }

    private func checkSeal(path: String, first: UInt64, entries: UInt64, chain: TreeHash, bytes: [UInt8], problems: inout [String]) {
        guard let data = try? DurableFile.read(path + ".seal") else { return }
        guard let seal = try? JSONDecoder().decode(AuditSeal.self, from: Data(data)) else {
            problems.append("\(path).seal: unreadable")
            return
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o222 != 0 { problems.append("\(path): sealed but writable") }
        if seal.first != first || seal.entries != entries || seal.lastCurrentHash != chain.hex
            || seal.sha256 != Hex.encode(SHA256Hasher.digest(bytes))
        {
            problems.append("\(path): does not match its seal (altered after sealing)")
        }
    }
}

/// The scans of one window of segments, filled concurrently.
final class SegmentScans: Sendable {
    private let slots: Mutex<[AuditVerifier.SegmentScan?]>

    init(count: Int) {
        slots = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ slot: Int, _ scan: AuditVerifier.SegmentScan) { slots.withLock { $0[slot] = scan } }
    var results: [AuditVerifier.SegmentScan?] { slots.withLock { $0 } }
}

/// `tree/level-00.bin` read in chunks of 64 Ki hashes, for comparing the stored tree with the entries.
struct StoredLeaves {
    let file: AppendFile?
    private var first: UInt64 = 0
    private var chunk: [UInt8] = []

    init(file: AppendFile?) {
        self.file = file
    }

    /// The stored leaf hash at `index`, or `nil` past the end of the file.
    mutating func hash(at index: UInt64) -> TreeHash? {
        guard let file else { return nil }
        if index < first || index >= first + UInt64(chunk.count / 32) {
            first = index
            chunk = (try? file.read(32 << 16, at: Int64(index) * 32)) ?? []
        }
        let offset = Int(index - first) * 32
        guard offset + 32 <= chunk.count else { return nil }
        return TreeHash(bytes: chunk[offset..<offset + 32])
    }
}

/// The complete subtrees of the leaves so far (a binary counter of perfect trees): root at any size in O(log n).
struct MerkleFrontier {
    private var stack: [(height: Int, hash: TreeHash)] = []

    mutating func append(_ leaf: TreeHash) {
        var node = (height: 0, hash: leaf)
        while let last = stack.last, last.height == node.height {
            stack.removeLast()
            node = (node.height + 1, .node(last.hash, node.hash))
        }
        stack.append(node)
    }

    var root: TreeHash {
        guard var root = stack.last?.hash else { return .empty }
        for subtree in stack.dropLast().reversed() { root = .node(subtree.hash, root) }
        return root
    }
}
