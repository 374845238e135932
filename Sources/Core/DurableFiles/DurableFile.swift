/// Small files written durably (temp file, fsync, rename, directory fsync): a crash leaves either the old
/// or the new content, never a mix. Used for cursors and checkpoints beside the log.
public enum DurableFile {
    /// Replaces the file at `path` with `bytes`, creating parent directories.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try FileIO.makeDirectory(FileIO.directoryName(of: path))
        try FileIO.writeAtomically(bytes, to: path)
    }

    /// The file's bytes, or `nil` if it does not exist.
    public static func read(_ path: String) throws -> [UInt8]? {
        guard FileIO.exists(path) else { return nil }
        return try FileIO.readFile(path)
    }
}
