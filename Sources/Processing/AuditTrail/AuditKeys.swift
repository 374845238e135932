import DurableFiles
import CSICCore
import Crypto
import EventLog
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The log's signing key: `keys/signing.key` (mode 0600, the C2SP signer key), created on first start.
/// Every public key ever used is kept as `keys/<key id>.pub` (its verifier key) so that checkpoints signed
/// before a rotation still verify; `rotate` makes a new signing key and keeps the old public key.
public enum AuditKeys {
    static func signingPath(_ directory: String) -> String { directory + "/signing.key" }

    /// The signing key, created (0600) when there is none: `keys/signing.key`, or the file at `path` (outside
    /// the data directory, on a disk or device the operator controls). Its public key is kept in `keys/`.
    ///
    /// A PKCS#11 token or a KMS would plug in here: whatever holds the private key only has to produce the
    /// Ed25519 signature of a checkpoint body (``NoteSigner/sign(_:)``); nothing else in the log reads the key.
    public static func signer(in directory: String, name: String, path: String? = nil) throws -> NoteSigner {
        let path = path ?? signingPath(directory)
        if let bytes = try DurableFile.read(path) {
            let signer = try NoteSigner(signerKey: String(decoding: bytes, as: UTF8.self))
            let published = directory + "/\(Hex.encode(signer.keyID)).pub"
            if !FileIO.exists(published) { try DurableFile.write(Array((signer.verifier.verifierKey + "\n").utf8), to: published) }
            return signer
        }
        let signer = try NoteSigner(name: name)
        try install(signer, in: directory, at: path)
        return signer
    }

    /// Replaces the signing key with a new one; the old public key stays in `keys/` for verification.
    public static func rotate(in directory: String, name: String, path: String? = nil) throws -> NoteSigner {
        let signer = try NoteSigner(name: name)
        try install(signer, in: directory, at: path ?? signingPath(directory))
        return signer
    }

    private static func install(_ signer: NoteSigner, in directory: String, at path: String) throws {
        try DurableFile.write(Array((signer.verifier.verifierKey + "\n").utf8), to: directory + "/\(Hex.encode(signer.keyID)).pub")
        try DurableFile.write(Array((signer.signerKey + "\n").utf8), to: path)
        guard chmod(path, 0o600) == 0 else { throw NoteError("cannot make \(path) private") }
    }

    /// Every verifier key kept in `directory`.
    public static func verifiers(in directory: String) -> [NoteVerifier] {
        FileIO.list(directory).filter { $0.hasSuffix(".pub") }.compactMap { name in
            (try? DurableFile.read(directory + "/" + name)).flatMap { $0 }.flatMap {
                try? NoteVerifier(verifierKey: String(decoding: $0, as: UTF8.self))
            }
        }
    }
}

/// What sealing a segment records beside it.
struct AuditSeal: Codable, Hashable {
    var first: UInt64
    var entries: UInt64
    var sha256: String
    var lastCurrentHash: String

    /// The SHA-256 of a segment file, read in 1 MiB pieces (a sealed segment can be hundreds of megabytes).
    static func digest(path: String) throws -> String {
        let file = try AppendFile(path: path, readOnly: true)
        var hasher = SHA256()
        var position: Int64 = 0
        while position < file.size {
            let piece = try file.read(Int(min(1 << 20, file.size - position)), at: position)
            guard !piece.isEmpty else { break }
            hasher.update(data: piece)
            position += Int64(piece.count)
        }
        return Hex.encode(Array(hasher.finalize()))
    }
}
