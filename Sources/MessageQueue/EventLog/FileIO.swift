#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin throwing wrappers over POSIX file calls used by the segment files.
package enum FileIO {
    package static func check(_ result: Int32, _ operation: String, _ path: String) throws(EventLogError) {
        if result < 0 { throw .io(operation: operation, path: path, errno: errno) }
    }

    package static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(EventLogError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        try check(fd, "open", path)
        return fd
    }

    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at position: Int64, path: String) throws(EventLogError) {
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
    package static func read(_ fd: Int32, count: Int, at position: Int64, path: String) throws(EventLogError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        var failure: EventLogError?
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

    package static func sync(_ fd: Int32, path: String) throws(EventLogError) {
        try check(fdatasync(fd), "fdatasync", path)
    }

    package static func size(_ fd: Int32, path: String) throws(EventLogError) -> Int64 {
        var info = stat()
        try check(fstat(fd, &info), "fstat", path)
        return Int64(info.st_size)
    }

    package static func truncate(_ fd: Int32, to size: Int64, path: String) throws(EventLogError) {
        try check(ftruncate(fd, off_t(size)), "ftruncate", path)
    }

    package static func makeDirectory(_ path: String) throws(EventLogError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) < 0 && errno != EEXIST {
                throw .io(operation: "mkdir", path: current, errno: errno)
            }
        }
    }

    /// Flushes a directory entry (after create, rename or unlink).
    package static func syncDirectory(_ path: String) throws(EventLogError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try check(fsync(fd), "fsync", path)
    }

    package static func list(_ path: String) -> [String] {
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

    package static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Writes a whole file durably: temp file, fsync, rename, fsync the directory.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws(EventLogError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try bytes.withBytes { raw throws(EventLogError) in try writeAll(fd, raw, at: 0, path: temporary) }
            try check(fsync(fd), "fsync", temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        try check(rename(temporary, path), "rename", path)
        try syncDirectory(directoryName(of: path))
    }

    package static func readFile(_ path: String) throws(EventLogError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        let size = try size(fd, path: path)
        return try read(fd, count: Int(size), at: 0, path: path)
    }

    package static func remove(_ path: String) throws(EventLogError) {
        try check(unlink(path), "unlink", path)
    }

    package static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping the typed error (the standard library's version rethrows `any Error`).
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws(EventLogError) -> Result) throws(EventLogError) -> Result {
        let outcome: Swift.Result<Result, EventLogError> = withUnsafeBytes { raw in
            do throws(EventLogError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
