import DurableFiles
import EventLog
import Foundation

extension AuditLog {
    /// Every checkpoint note issued, oldest first.
    public func checkpointNotes() throws -> [String] {
        try Self.readNotes(path: files.checkpoints)
    }

    static func readNotes(path: String) throws -> [String] {
        guard FileIO.exists(path) else { return [] }
        let file = try AppendFile(path: path, readOnly: true)
        var notes: [String] = []
        var position: Int64 = 0
        while position + 4 <= file.size {
            let length = Int64(UInt32(bigEndian: try file.read(4, at: position).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
            guard position + 4 + length <= file.size else { break }
            notes.append(String(decoding: try file.read(Int(length), at: position + 4), as: UTF8.self))
            position += 4 + length
        }
        return notes
    }

    /// The newest checkpoint and its note.
    public func latestCheckpoint() throws -> (checkpoint: Checkpoint, note: String)? {
        guard let note = try checkpointNotes().last else { return nil }
        return (try Checkpoint(body: try NoteVerifier.verifyAny(note, among: AuditKeys.verifiers(in: files.keys))), note)
    }

    /// Signs a checkpoint of the current tree when it has grown, after checking that it is consistent with
    /// the previous checkpoint (never signs a tree that does not extend what was signed before).
    @discardableResult
    public func issueCheckpoint() throws -> String? {
        let previous = try latestCheckpoint()
        if let previous, previous.checkpoint.size >= size { return nil }
        try syncDerived()
        let root = try self.root(size: size)
        if let previous {
            let proof = try consistencyProof(old: previous.checkpoint.size, new: size)
            guard
                MerkleTree.verifyConsistency(
                    oldSize: previous.checkpoint.size, newSize: size, oldRoot: previous.checkpoint.root, newRoot: root, proof: proof)
            else {
                throw NoteError("refusing to sign: the tree of \(size) does not extend the checkpoint of \(previous.checkpoint.size)")
            }
        }
        guard let signer else { throw NoteError("the audit log is open read-only") }
        let note = try signer.sign(Checkpoint(origin: settings.origin, size: size, root: root).body)
        let framed = withUnsafeBytes(of: UInt32(note.utf8.count).bigEndian) { Array($0) } + Array(note.utf8)
        for path in [files.checkpoints] + (settings.mirror.map { [AuditFiles(directory: $0).checkpoints] } ?? []) {
            let file = try AppendFile(path: path)
            file.append(framed)
            try file.sync()
        }
        return note
    }
}

extension NoteVerifier {
    /// Whether this key signed `note`.
    func verifies(_ note: String) -> Bool { (try? verify(note)) != nil }

    /// The body of `note` if any of `verifiers` signed it.
    static func verifyAny(_ note: String, among verifiers: [NoteVerifier]) throws(NoteError) -> String {
        var lastError = NoteError("no known key signed the note")
        for verifier in verifiers {
            do { return try verifier.verify(note) } catch { lastError = error }
        }
        throw lastError
    }
}
