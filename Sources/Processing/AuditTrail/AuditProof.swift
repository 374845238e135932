import CSICCore
import Foundation

/// What `csic audit proof` prints: everything an independent verifier needs, in standard encodings.
public struct AuditInclusionProof: Codable, Sendable {
    /// Base64 of the exact leaf bytes.
    public var record: String
    public var leafIndex: UInt64
    public var treeSize: UInt64
    /// Base64 hashes, leaf to root (RFC 9162 PATH).
    public var inclusionProof: [String]
    /// The signed checkpoint note the proof verifies against.
    public var checkpoint: String
    /// The signed-note verifier key: `<name>+<hex key id>+<base64 key>`.
    public var verifierKey: String

    enum CodingKeys: String, CodingKey {
        case record, leafIndex = "leaf_index", treeSize = "tree_size", inclusionProof = "inclusion_proof", checkpoint, verifierKey =
            "verifier_key"
    }
}

/// What `csic audit consistency` prints.
public struct AuditConsistencyProof: Codable, Sendable {
    public var oldSize: UInt64
    public var newSize: UInt64
    public var oldRoot: String
    public var newRoot: String
    public var consistencyProof: [String]

    enum CodingKeys: String, CodingKey {
        case oldSize = "old_size", newSize = "new_size", oldRoot = "old_root", newRoot = "new_root", consistencyProof = "consistency_proof"
    }
}

extension AuditLog {
    /// The inclusion proof of entry `index` against the newest checkpoint.
    public func proof(index: UInt64) throws -> AuditInclusionProof {
        guard let (checkpoint, note) = try latestCheckpoint() else { throw NoteError("no checkpoint has been issued yet") }
        guard index < checkpoint.size else {
            throw NoteError("entry \(index) is not yet covered by a checkpoint (the newest covers \(checkpoint.size) entries)")
        }
        let verifierKey = keptVerifier(of: note)?.verifierKey ?? self.verifierKey
        return AuditInclusionProof(
            record: Data(try leaf(index)).base64EncodedString(), leafIndex: index, treeSize: checkpoint.size,
            inclusionProof: try inclusionProof(index: index, size: checkpoint.size).map { Data($0.bytes).base64EncodedString() },
            checkpoint: note, verifierKey: verifierKey)
    }

    /// The leaf index of the record with `id`, by scanning the entries (newest first).
    public func index(ofRecord id: String) throws -> UInt64? {
        let needle = Array(#""id":"#.utf8) + Array(try JSONEncoder().encode(id))
        var index = size
        while index > 0 {
            index -= 1
            let bytes = try leaf(index)
            if bytes.count >= needle.count,
                (0...(bytes.count - needle.count)).contains(where: { bytes[$0..<$0 + needle.count].elementsEqual(needle) }),
                (try? AuditLeaf.record(bytes).id) == id
            {
                return index
            }
        }
        return nil
    }

    public func consistency(old: UInt64, new: UInt64) throws -> AuditConsistencyProof {
        AuditConsistencyProof(
            oldSize: old, newSize: new, oldRoot: Data(try root(size: old).bytes).base64EncodedString(),
            newRoot: Data(try root(size: new).bytes).base64EncodedString(),
            consistencyProof: try consistencyProof(old: old, new: new).map { Data($0.bytes).base64EncodedString() })
    }
}
