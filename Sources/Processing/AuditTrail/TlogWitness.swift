import CSICCore
import DurableFiles
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A C2SP transparency-log witness (https://c2sp.org/tlog-witness): for each log it knows (origin and log
/// keys), it keeps the latest checkpoint it cosigned and cosigns a new one only if the log signed it and it is
/// consistent with that one — so an operator who rolls the log back or rewrites it cannot get it cosigned
/// (409 on a stale size, 422 on a bad consistency proof). The check and the durable update of the state are
/// one atomic step. The HTTP layer is `csic witness serve`; this type is the protocol, without sockets.
public final class TlogWitness: Sendable {
    /// An HTTP answer: status, `Content-Type`, body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// The largest request body accepted (an old size line, 63 proof lines, a checkpoint with a few signatures).
    public static let maxRequestBytes = 16 << 10

    public let directory: String
    public let cosigner: Cosigner
    private let logs: [String: [NoteVerifier]]
    /// Per origin: the latest cosigned checkpoint and its note (the log's signature and this witness's).
    private let state: Mutex<[String: (checkpoint: Checkpoint, note: String)]>

    /// Opens the witness in `directory`: its key `witness.key` (0600, created on first start) and its state.
    public init(directory: String, name: String, logKeys: [NoteVerifier]) throws {
        self.directory = directory
        try FileIO.makeDirectory(directory + "/state")
        let keyPath = directory + "/witness.key"
        if let bytes = try DurableFile.read(keyPath) {
            cosigner = try Cosigner(signerKey: String(decoding: bytes, as: UTF8.self))
            guard cosigner.name == name else { throw NoteError("\(keyPath) is the key of \(cosigner.name), not \(name)") }
        } else {
            cosigner = try Cosigner(name: name)
            try DurableFile.write(Array((cosigner.signerKey + "\n").utf8), to: keyPath)
            guard chmod(keyPath, 0o600) == 0 else { throw NoteError("cannot make \(keyPath) private") }
        }
        logs = Dictionary(grouping: logKeys, by: \.name)
        var loaded: [String: (Checkpoint, String)] = [:]
        for name in FileIO.list(directory + "/state") where name.hasSuffix(".checkpoint") {
            let note = String(decoding: try FileIO.readFile(directory + "/state/" + name), as: UTF8.self)
            let checkpoint = try Checkpoint(body: try NoteText.split(note).body)
            _ = try cosigner.verifier.verify(note)
            loaded[checkpoint.origin] = (checkpoint, note)
        }
        state = Mutex(loaded)
    }

    /// The latest checkpoint this witness cosigned for `origin`, with the log's signature and its cosignature.
    public func latest(origin: String) -> String? { state.withLock { $0[origin]?.note } }

    /// `POST /add-checkpoint`, with the state's fsync on the blocking pool.
    public func submit(_ body: [UInt8]) async throws -> Response {
        try await BlockingIO.run { self.addCheckpoint(body) }
    }

    /// `POST /add-checkpoint`.
    public func addCheckpoint(_ body: [UInt8], now: UInt64 = UInt64(Date().timeIntervalSince1970)) -> Response {
        let request: WitnessRequest
        do {
            request = try WitnessRequest(body)
        } catch {
            return Response(status: 400, contentType: "text/plain", body: "\(error)\n")
        }
        guard let verifiers = logs[request.checkpoint.origin] else {
            return Response(status: 404, contentType: "text/plain", body: "unknown log \(request.checkpoint.origin)\n")
        }
        guard (try? NoteVerifier.verifyAny(request.note, among: verifiers)) != nil else {
            return Response(status: 403, contentType: "text/plain", body: "no valid signature by a key of \(request.checkpoint.origin)\n")
        }
        guard request.oldSize <= request.checkpoint.size else {
            return Response(status: 400, contentType: "text/plain", body: "old size \(request.oldSize) is above the checkpoint's size\n")
        }
        return state.withLock { state in
            let latest = state[request.checkpoint.origin]
            let latestSize = latest?.checkpoint.size ?? 0
            guard request.oldSize == latestSize else {
                return Response(status: 409, contentType: "text/x.tlog.size", body: "\(latestSize)\n")
            }
            if let latest, request.checkpoint.size == latestSize {
                guard latest.checkpoint.root == request.checkpoint.root else {
                    return Response(status: 409, contentType: "text/x.tlog.size", body: "\(latestSize)\n")
                }
            } else if let latest {
                guard
                    MerkleTree.verifyConsistency(
                        oldSize: latestSize, newSize: request.checkpoint.size, oldRoot: latest.checkpoint.root,
                        newRoot: request.checkpoint.root, proof: request.proof)
                else {
                    keepEvidence(body, now: now)
                    return Response(status: 422, contentType: "text/plain", body: "the consistency proof does not verify\n")
                }
            } else if !request.proof.isEmpty {
                return Response(status: 400, contentType: "text/plain", body: "a proof from size 0 must be empty\n")
            }
            do {
                let line = try cosigner.cosign(body: request.checkpoint.body, time: now)
                let note = try NoteText.split(request.note).body + "\n" + logSignatures(request.note) + line
                // Persisted before the answer: a cosigned size is never forgotten, even across a crash.
                try FileIO.writeAtomically(Array(note.utf8), to: statePath(request.checkpoint.origin))
                state[request.checkpoint.origin] = (request.checkpoint, note)
                return Response(status: 200, contentType: "text/plain; charset=utf-8", body: line)
            } catch {
                return Response(status: 500, contentType: "text/plain", body: "cannot record the checkpoint: \(error)\n")
            }
        }
    }

    private func statePath(_ origin: String) -> String {
        directory + "/state/" + Hex.encode(SHA256Hasher.digest(Array(origin.utf8))) + ".checkpoint"
    }

    /// The signature lines of the log's own keys (others are dropped).
    private func logSignatures(_ note: String) throws -> String {
        let (body, signatures) = try NoteText.split(note)
        let verifiers = (try? Checkpoint(body: body)).flatMap { logs[$0.origin] } ?? []
        return signatures.filter { signature in
            verifiers.contains { $0.name == signature.name && $0.keyID == Array(signature.blob.prefix(4)) }
        }
        .map { "\u{2014} \($0.name) " + Data($0.blob).base64EncodedString() + "\n" }.joined()
    }

    /// A request whose proof failed, signed by the log: kept as evidence of its misbehaviour.
    private func keepEvidence(_ body: [UInt8], now: UInt64) {
        try? FileIO.makeDirectory(directory + "/evidence")
        try? FileIO.writeAtomically(body, to: directory + "/evidence/\(now)-\(Hex.encode(SHA256Hasher.digest(body)).prefix(16)).request")
    }
}

/// The body of an `add-checkpoint` request: `old <size>`, up to 63 base64 proof hashes, a blank line, the note.
public struct WitnessRequest: Sendable {
    public var oldSize: UInt64
    public var proof: [TreeHash]
    public var note: String
    public var checkpoint: Checkpoint

    public init(oldSize: UInt64, proof: [TreeHash], note: String) throws(NoteError) {
        self.oldSize = oldSize
        self.proof = proof
        self.note = note
        checkpoint = try Checkpoint(body: try NoteText.split(note).body)
    }

    /// Parses a request body; every malformed part is a ``NoteError`` naming it.
    public init(_ bytes: [UInt8]) throws(NoteError) {
        guard bytes.count <= TlogWitness.maxRequestBytes else { throw NoteError("request body above \(TlogWitness.maxRequestBytes) bytes") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw NoteError("request body is not UTF-8") }
        guard let blank = text.range(of: "\n\n") else { throw NoteError("no blank line before the checkpoint") }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4)
        else {
            throw NoteError("the first line must be `old <size>`")
        }
        guard head.count - 1 <= 63 else { throw NoteError("more than 63 consistency proof lines") }
        var proof: [TreeHash] = []
        for line in head.dropFirst() {
            guard let decoded = Data(base64Encoded: String(line)), let hash = TreeHash(bytes: decoded) else {
                throw NoteError("a proof line is not a base64 SHA-256 hash")
            }
            proof.append(hash)
        }
        try self.init(oldSize: old, proof: proof, note: String(text[blank.upperBound...]))
    }

    /// The request body.
    public var encoded: [UInt8] {
        Array(("old \(oldSize)\n" + proof.map { Data($0.bytes).base64EncodedString() + "\n" }.joined() + "\n" + note).utf8)
    }
}
