import DurableFiles
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// An exclusive `flock` on a file, held while the embedded log is open so that two processes never
/// write (or recover) the same segments. The kernel releases it when the process dies, even by SIGKILL.
final class DirectoryLock: Sendable {
    private let fd: Mutex<Int32?>

    init(path: String) throws(EventLogError) {
        let descriptor = try io(FileIO.open(path, flags: O_RDWR | O_CREAT))
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw EventLogError.locked(path: path)
        }
        fd = Mutex(descriptor)
    }

    /// Releases the lock (idempotent).
    func release() {
        fd.withLock { descriptor in
            guard let open = descriptor else { return }
            flock(open, LOCK_UN)
            close(open)
            descriptor = nil
        }
    }

    deinit { release() }
}
