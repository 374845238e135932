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

    /// The signing key, created (0600) when there is none.
    public static func signer(in directory: String, name: String) throws -> NoteSigner {
        let path = signingPath(directory)
        if let bytes = try DurableFile.read(path) {
            return try NoteSigner(signerKey: String(decoding: bytes, as: UTF8.self))
        }
        let signer = try NoteSigner(name: name)
        try install(signer, in: directory)
        return signer
    }

    /// Replaces the signing key with a new one; the old public key stays in `keys/` for verification.
    public static func rotate(in directory: String, name: String) throws -> NoteSigner {
        let signer = try NoteSigner(name: name)
        try install(signer, in: directory)
        return signer
    }

    private static func install(_ signer: NoteSigner, in directory: String) throws {
        try DurableFile.write(Array((signer.verifier.verifierKey + "\n").utf8), to: directory + "/\(Hex.encode(signer.keyID)).pub")
        let path = signingPath(directory)
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

    static func digest(path: String) throws -> String {
        Hex.encode(SHA256Hasher.digest(try FileIO.readFile(path)))
    }
}
