#if canImport(Glibc)
    import Glibc
#endif

/// Makes the disk under an open file fail, for fail-stop tests: every descriptor this process has open on
/// `path` is replaced (dup2) by `/dev/full`, so the next write to it fails with ENOSPC, as a full or broken
/// disk does; `heal()` puts the file back, as a transient failure would. The descriptor numbers stay owned
/// by their files, so nothing else is written by mistake.
public final class FailingDisk {
    /// The replaced descriptors and a duplicate of each original.
    private var saved: [(fd: Int32, original: Int32)] = []

    /// The number of descriptors that now fail.
    public var failing: Int { saved.count }

    public init(failingWritesTo path: String) {
        let full = open("/dev/full", O_WRONLY | O_CLOEXEC)
        guard full >= 0 else { return }
        defer { close(full) }
        guard let directory = opendir("/proc/self/fd") else { return }
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name), fd != full else { continue }
            var target = [CChar](repeating: 0, count: 4_096)
            let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            guard length > 0 else { continue }
            if String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == path { descriptors.append(fd) }
        }
        closedir(directory)
        for fd in descriptors {
            let original = dup(fd)
            guard original >= 0, dup2(full, fd) >= 0 else { continue }
            saved.append((fd, original))
        }
    }

    /// The file works again under the same descriptors.
    public func heal() {
        for (fd, original) in saved {
            dup2(original, fd)
            close(original)
        }
        saved = []
    }

    deinit { heal() }
}
