import CSICCore
import Crypto
import Foundation

/// Why a note, key or checkpoint was refused.
public struct NoteError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An Ed25519 key in the C2SP signed-note formats (https://c2sp.org/signed-note): the key id is the first
/// four bytes of SHA-256(name || 0x0A || 0x01 || public key); the verifier key is written
/// `<name>+<hex key id>+<base64(0x01 || public key)>`, the signer key `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.
public struct NoteSigner: Sendable {
    public let name: String
    let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init(name: String) throws(NoteError) {
        try Self.checkName(name)
        self.name = name
        key = Curve25519.Signing.PrivateKey()
    }

    /// The key written as a signer key.
    public init(signerKey text: String) throws(NoteError) {
        let parsed = try Self.parse(signerKey: text, type: 0x01)
        name = parsed.name
        key = parsed.key
        guard parsed.keyID == Hex.encode(keyID) else { throw NoteError("signer key \(name): key id does not match the key") }
    }

    /// `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>`: the name, the key id as written, the key.
    static func parse(
        signerKey text: String, type: UInt8
    ) throws(NoteError) -> (name: String, keyID: String, key: Curve25519.Signing.PrivateKey) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", let encoded = Data(base64Encoded: String(parts[4])),
            encoded.count == 33, encoded.first == type,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: encoded.dropFirst())
        else { throw NoteError("not an Ed25519 signer key of type \(type)") }
        try checkName(String(parts[2]))
        return (String(parts[2]), String(parts[3]), key)
    }

    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    public var keyID: [UInt8] { NoteVerifier.keyID(name: name, publicKey: publicKey) }
    public var signerKey: String {
        "PRIVATE+KEY+\(name)+\(Hex.encode(keyID))+" + Data([0x01] + key.rawRepresentation).base64EncodedString()
    }
    public var verifier: NoteVerifier { NoteVerifier(name: name, publicKey: publicKey) }

    /// The note of `body` (every line ending in a newline) with this key's signature line.
    public func sign(_ body: String) throws(NoteError) -> String {
        guard body.hasSuffix("\n"), !body.contains("\n\n") else {
            throw NoteError("a note body is non-empty lines, each ending in a newline")
        }
        guard let signature = try? key.signature(for: Data(body.utf8)) else { throw NoteError("Ed25519 signing failed") }
        return body + "\n" + "\u{2014} \(name) " + Data(keyID + Array(signature)).base64EncodedString() + "\n"
    }

    static func checkName(_ name: String) throws(NoteError) {
        guard !name.isEmpty, !name.contains("+"), !name.contains(where: \.isWhitespace) else {
            throw NoteError("key name \"\(name)\" must be non-empty without '+' or spaces")
        }
    }
}

/// The public half: checks a note's signature line by this key.
public struct NoteVerifier: Sendable, Hashable {
    public let name: String
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
    }

    /// `<name>+<hex key id>+<base64(0x01 || key)>`.
    public init(verifierKey text: String) throws(NoteError) {
        let parsed = try Self.parse(verifierKey: text, type: 0x01)
        self.init(name: parsed.name, publicKey: parsed.publicKey)
        guard parsed.keyID == Hex.encode(keyID) else { throw NoteError("verifier key \(name): key id does not match the key") }
    }

    /// `<name>+<hex key id>+<base64(type || key)>`: the name, the key id as written, the public key.
    static func parse(verifierKey text: String, type: UInt8) throws(NoteError) -> (name: String, keyID: String, publicKey: [UInt8]) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let encoded = Data(base64Encoded: String(parts[2])), encoded.count == 33, encoded.first == type else {
            throw NoteError("not an Ed25519 verifier key of type \(type)")
        }
        try NoteSigner.checkName(String(parts[0]))
        return (String(parts[0]), String(parts[1]), Array(encoded.dropFirst()))
    }

    public var keyID: [UInt8] { Self.keyID(name: name, publicKey: publicKey) }
    public var verifierKey: String { "\(name)+\(Hex.encode(keyID))+" + Data([0x01] + publicKey).base64EncodedString() }

    /// SHA-256(name || 0x0A || type || public key)[:4]: type 0x01 for note signatures, 0x04 for Ed25519
    /// cosignatures (c2sp.org/tlog-cosignature).
    static func keyID(name: String, publicKey: [UInt8], type: UInt8 = 0x01) -> [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0A, type] + publicKey).prefix(4))
    }

    /// The note's body when it carries a valid signature by this key; otherwise an error saying why.
    public func verify(_ note: String) throws(NoteError) -> String {
        let (body, signatures) = try NoteText.split(note)
        for (signer, blob) in signatures {
            guard signer == name, Array(blob.prefix(4)) == keyID else { continue }
            guard blob.count == 68, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
                key.isValidSignature(blob.dropFirst(4), for: Data(body.utf8))
            else { throw NoteError("the signature by \(name) does not verify") }
            return body
        }
        throw NoteError("no signature by \(name)+\(Hex.encode(keyID))")
    }
}

/// The parts of a signed note (https://c2sp.org/signed-note): the body (ending in a newline), a blank line,
/// then signature lines `— <name> base64(key id || signature)`.
enum NoteText {
    /// At most this many signature lines are read (a log's signature and a few cosignatures).
    static let maxSignatures = 32

    static func split(_ note: String) throws(NoteError) -> (body: String, signatures: [(name: String, blob: [UInt8])]) {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw NoteError("a note needs a blank line before its signatures")
        }
        let body = String(note[..<split.lowerBound]) + "\n"
        let lines = note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard note.hasSuffix("\n"), !lines.isEmpty else { throw NoteError("a note ends with signature lines") }
        guard lines.count <= maxSignatures else { throw NoteError("more than \(maxSignatures) signature lines") }
        return (
            body,
            try lines.map { line throws(NoteError) in
                let fields = line.split(separator: " ")
                guard fields.count == 3, fields[0] == "\u{2014}", let blob = Data(base64Encoded: String(fields[2])), blob.count >= 4 else {
                    throw NoteError("malformed signature line: \(line.prefix(80))")
                }
                return (String(fields[1]), Array(blob))
            }
        )
    }
}

/// A C2SP checkpoint (https://c2sp.org/tlog-checkpoint): origin line, tree size in decimal, base64 root hash.
public struct Checkpoint: Sendable, Hashable {
    public var origin: String
    public var size: UInt64
    public var root: TreeHash

    public init(origin: String, size: UInt64, root: TreeHash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    public var body: String { "\(origin)\n\(size)\n\(Data(root.bytes).base64EncodedString())\n" }

    public init(body: String) throws(NoteError) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", !lines[0].isEmpty, let size = UInt64(lines[1]), String(size) == lines[1],
            let decoded = Data(base64Encoded: String(lines[2])), let root = TreeHash(bytes: decoded)
        else { throw NoteError("not a checkpoint: \(body.prefix(120))") }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}
