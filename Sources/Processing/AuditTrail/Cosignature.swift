import CSICCore
import Crypto
import Foundation

/// An Ed25519 cosigner (https://c2sp.org/tlog-cosignature, `cosignature/v1`): a witness's key. The key id is
/// SHA-256(name || 0x0A || 0x04 || public key)[:4]; the signed message is `cosignature/v1\n` `time <T>\n` and
/// the checkpoint body; the signature line carries key id || timestamp (u64 BE) || signature.
public struct Cosigner: Sendable {
    public let name: String
    let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init(name: String) throws(NoteError) {
        try NoteSigner.checkName(name)
        self.name = name
        key = Curve25519.Signing.PrivateKey()
    }

    /// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>`.
    public init(signerKey text: String) throws(NoteError) {
        let parsed = try NoteSigner.parse(signerKey: text, type: 0x04)
        name = parsed.name
        key = parsed.key
        guard parsed.keyID == Hex.encode(verifier.keyID) else { throw NoteError("cosigner key \(name): key id does not match") }
    }

    public var signerKey: String {
        "PRIVATE+KEY+\(name)+\(Hex.encode(verifier.keyID))+" + Data([0x04] + key.rawRepresentation).base64EncodedString()
    }
    public var verifier: CosignatureVerifier { CosignatureVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation)) }

    /// The cosignature line (ending in a newline) on a checkpoint `body`, made at `time` (POSIX seconds).
    public func cosign(body: String, time: UInt64) throws(NoteError) -> String {
        guard time <= UInt64(Int64.max) else { throw NoteError("cosignature time beyond 2^63-1") }
        let message = CosignatureVerifier.message(body: body, time: time)
        guard let signature = try? key.signature(for: Data(message.utf8)) else { throw NoteError("Ed25519 signing failed") }
        let blob = verifier.keyID + withUnsafeBytes(of: time.bigEndian) { Array($0) } + Array(signature)
        return "\u{2014} \(name) " + Data(blob).base64EncodedString() + "\n"
    }
}

/// The public half of a ``Cosigner``: `<name>+<hex key id>+<base64(0x04 || key)>` (a C2SP vkey).
public struct CosignatureVerifier: Sendable, Hashable {
    public let name: String
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
    }

    public init(verifierKey text: String) throws(NoteError) {
        let parsed = try NoteVerifier.parse(verifierKey: text, type: 0x04)
        self.init(name: parsed.name, publicKey: parsed.publicKey)
        guard parsed.keyID == Hex.encode(keyID) else { throw NoteError("verifier key \(name): key id does not match the key") }
    }

    public var keyID: [UInt8] { NoteVerifier.keyID(name: name, publicKey: publicKey, type: 0x04) }
    public var verifierKey: String { "\(name)+\(Hex.encode(keyID))+" + Data([0x04] + publicKey).base64EncodedString() }

    static func message(body: String, time: UInt64) -> String { "cosignature/v1\ntime \(time)\n" + body }

    /// The time of this key's valid cosignature on `note` (a checkpoint with its signature lines); an error
    /// when there is none or it does not verify.
    public func verify(_ note: String) throws(NoteError) -> UInt64 {
        let (body, signatures) = try NoteText.split(note)
        for (signer, blob) in signatures {
            guard signer == name, Array(blob.prefix(4)) == keyID else { continue }
            guard blob.count == 76 else { throw NoteError("the cosignature by \(name) is malformed") }
            let time = blob[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard time <= UInt64(Int64.max), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
                key.isValidSignature(blob[12...], for: Data(Self.message(body: body, time: time).utf8))
            else { throw NoteError("the cosignature by \(name) does not verify") }
            return time
        }
        throw NoteError("no cosignature by \(name)+\(Hex.encode(keyID))")
    }
}
