import DurableFiles
import EventLog
#if canImport(Glibc)
    import Glibc
#endif

/// Where the audit log keeps its files under its directory, and the segment file format:
///
///     segment  = header entry*
///     header   = "CSICAUD1" first-index(u64 BE) previous-current-hash(32)
///     entry    = length(u32 BE) leaf(length bytes) current-hash(32)
///
/// `segments/<first index, 20 digits>.seg`; a full segment is sealed: `<name>.seal` holds its SHA-256 and both
/// become read-only. `tree/level-NN.bin` holds the Merkle tree's complete subtrees (entry j of level k = the
/// hash of leaves j·2^k ..< (j+1)·2^k), `tree/offsets.bin` each entry's byte offset in its segment, `tree/durable` how many entries of those two are
/// synced (they are derived, rebuilt from the segments beyond that mark after a crash),
/// `checkpoints.log` the signed checkpoints (length-prefixed notes), `keys/` the signing key (0600) and
/// every public key ever used.
public struct AuditFiles: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    static let magic = Array("CSICAUD1".utf8)
    static let headerSize = 48

    var segments: String { directory + "/segments" }
    var tree: String { directory + "/tree" }
    var keys: String { directory + "/keys" }
    var checkpoints: String { directory + "/checkpoints.log" }
    var offsets: String { tree + "/offsets.bin" }
    /// How many entries' offsets and tree entries are known to be durable (u64 BE).
    var derivedMark: String { tree + "/durable" }

    func segment(first: UInt64) -> String {
        let digits = String(first)
        return segments + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }
    func level(_ k: Int) -> String { tree + "/level-" + (k < 10 ? "0" : "") + String(k) + ".bin" }

    /// The first indexes of the segments present, in order.
    func segmentFirsts() -> [UInt64] {
        FileIO.list(segments).compactMap { name in name.hasSuffix(".seg") ? UInt64(name.dropLast(4)) : nil }.sorted()
    }

    static func header(first: UInt64, previous: TreeHash) -> [UInt8] {
        magic + withUnsafeBytes(of: first.bigEndian) { Array($0) } + previous.bytes
    }
}

/// A file the audit log appends to. Appends are buffered and written with one `pwrite` by `flush` (and
/// `sync`, which then fsyncs), so a batch costs a few system calls per file, not a few per entry; reads see
/// buffered bytes too.
final class AppendFile {
    let path: String
    let fd: Int32
    /// The logical size, buffered bytes included.
    private(set) var size: Int64
    private var flushed: Int64
    private var pending: [UInt8] = []

    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        fd = try FileIO.open(path, flags: readOnly ? O_RDONLY : (O_RDWR | O_CREAT), mode: 0o644)
        size = try FileIO.size(fd, path: path)
        flushed = size
    }

    deinit { close(fd) }

    func append(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        size += Int64(bytes.count)
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try FileIO.writeAll(fd, $0, at: flushed, path: path) }
        flushed += Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    func read(_ count: Int, at position: Int64) throws -> [UInt8] {
        if position >= flushed {
            let start = Int(position - flushed)
            return Array(pending[min(start, pending.count)..<min(start + count, pending.count)])
        }
        try flush()
        return try FileIO.read(fd, count: count, at: position, path: path)
    }

    func truncate(to length: Int64) throws {
        try flush()
        try FileIO.truncate(fd, to: length, path: path)
        size = length
        flushed = length
    }

    func sync() throws {
        try flush()
        try FileIO.sync(fd, path: path)
    }
}
