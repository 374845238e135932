#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin throwing wrappers over POSIX file calls: the event log's segments, the audit trail's WORM files,
/// cursors and keys. Every failure is a ``FileIOError`` naming the call, the path and `errno`.
public enum FileIO {
    public static func check(_ result: Int32, _ operation: String, _ path: String) throws(FileIOError) {
        if result < 0 { throw .io(operation: operation, path: path, errno: errno) }
    }

    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(FileIOError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        try check(fd, "open", path)
        return fd
    }

    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at position: Int64, path: String) throws(FileIOError) {
        var written = 0
        while written < bytes.count {
            let result = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(position) + off_t(written))
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pwrite", path: path, errno: errno)
            }
            written += result
        }
    }

    /// Reads up to `count` bytes at `position`; fewer only at end of file.
    public static func read(_ fd: Int32, count: Int, at position: Int64, path: String) throws(FileIOError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        var failure: FileIOError?
        buffer.withUnsafeMutableBytes { raw in
            while total < count {
                let result = pread(fd, raw.baseAddress! + total, count - total, off_t(position) + off_t(total))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = .io(operation: "pread", path: path, errno: errno)
                    return
                }
                if result == 0 { break }
                total += result
            }
        }
        if let failure { throw failure }
        if total < count { buffer.removeLast(count - total) }
        return buffer
    }

    public static func sync(_ fd: Int32, path: String) throws(FileIOError) {
        try check(fdatasync(fd), "fdatasync", path)
    }

    public static func size(_ fd: Int32, path: String) throws(FileIOError) -> Int64 {
        var info = stat()
        try check(fstat(fd, &info), "fstat", path)
        return Int64(info.st_size)
    }

    public static func truncate(_ fd: Int32, to size: Int64, path: String) throws(FileIOError) {
        try check(ftruncate(fd, off_t(size)), "ftruncate", path)
    }

    /// Creates `path` and its missing parents; each new directory's entry is synced into its parent, so a
    /// power loss cannot take back a directory that files were acknowledged in.
    public static func makeDirectory(_ path: String) throws(FileIOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            let parent = current.isEmpty ? "/" : current
            current += "/" + component
            if mkdir(current, 0o755) == 0 {
                try syncDirectory(parent)
            } else if errno != EEXIST {
                throw .io(operation: "mkdir", path: current, errno: errno)
            }
        }
    }

    /// Flushes a directory entry (after create, rename or unlink).
    public static func syncDirectory(_ path: String) throws(FileIOError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try check(fsync(fd), "fsync", path)
    }

    public static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The size of the file at `path`, or `nil` when it cannot be examined.
    public static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Writes a whole file durably: temp file, fsync, rename, fsync the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileIOError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try bytes.withBytes { raw throws(FileIOError) in try writeAll(fd, raw, at: 0, path: temporary) }
            try check(fsync(fd), "fsync", temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        try check(rename(temporary, path), "rename", path)
        try syncDirectory(directoryName(of: path))
    }

    public static func readFile(_ path: String) throws(FileIOError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        let size = try size(fd, path: path)
        return try read(fd, count: Int(size), at: 0, path: path)
    }

    public static func remove(_ path: String) throws(FileIOError) {
        try check(unlink(path), "unlink", path)
    }

    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping the typed error (the standard library's version rethrows `any Error`).
    public func withBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = withUnsafeBytes { raw in
            do throws(Failure) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}

/// A POSIX file call that failed.
public struct FileIOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `open`, `pwrite`, `fdatasync`, ...
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    static func io(operation: String, path: String, errno: Int32) -> FileIOError {
        FileIOError(operation: operation, path: path, errno: errno)
    }

    public var description: String { "\(operation) \(path) failed: errno \(errno)" }
}
