import NIOPosix

/// Blocking file and database work, run on NIO's blocking thread pool instead of the Swift concurrency
/// pool, whose few threads (two on the build machine) must never wait on a disk.
///
/// ```swift
/// try await BlockingIO.run { try DurableFile.write(bytes, to: path) }
/// ```
public enum BlockingIO {
    /// Runs `body` on the pool and returns its result. Work submitted before the calling task is cancelled
    /// still runs to its end, so a write is never dropped half-way.
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any(), body).get()
    }
}
