#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file, held while the embedded log is open so that two processes never
/// write (or recover) the same segments. The kernel releases it when the process dies, even by SIGKILL.
final class DirectoryLock: Sendable {
    private let fd: Int32

    init(path: String) throws(EventLogError) {
        fd = try FileIO.open(path, flags: O_RDWR | O_CREAT)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EventLogError.locked(path: path)
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
