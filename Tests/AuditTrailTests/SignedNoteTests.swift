import AuditTrail
import CSICCore
import Foundation
import Testing

@Suite struct SignedNoteTests {
    @Test func signsAndVerifiesACheckpointAndRoundTripsKeys() throws {
        let signer = try NoteSigner(name: "csic.example/audit")
        let checkpoint = Checkpoint(origin: "csic.example/audit", size: 8, root: TreeHash(bytes: Hex.decode(MerkleTreeTests.roots[8])!)!)
        let note = try signer.sign(checkpoint.body)
        #expect(note.hasPrefix("csic.example/audit\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt"))
        #expect(note.contains("\n\n\u{2014} csic.example/audit "))
        let verifier = try NoteVerifier(verifierKey: signer.verifier.verifierKey)
        #expect(try Checkpoint(body: verifier.verify(note)) == checkpoint)
        let reloaded = try NoteSigner(signerKey: signer.signerKey)
        #expect(reloaded.publicKey == signer.publicKey && reloaded.keyID == signer.keyID)
        #expect(signer.verifier.verifierKey.hasPrefix("csic.example/audit+" + Hex.encode(signer.keyID) + "+"))
    }

    @Test func forgedAlteredOrForeignNotesAreRefused() throws {
        let signer = try NoteSigner(name: "audit")
        let other = try NoteSigner(name: "audit")
        let note = try signer.sign("audit\n5\n\(Data(repeating: 7, count: 32).base64EncodedString())\n")
        #expect(throws: NoteError.self) { try signer.verifier.verify(note.replacingOccurrences(of: "\n5\n", with: "\n6\n")) }
        #expect(throws: NoteError.self) { try other.verifier.verify(note) }
        #expect(throws: NoteError.self) {
            try signer.verifier.verify(try other.sign("audit\n5\n\(Data(repeating: 7, count: 32).base64EncodedString())\n"))
        }
        #expect(throws: NoteError.self) { try signer.verifier.verify(String(note.dropLast(5)) + "AAAA\n") }
        #expect(throws: NoteError.self) { try NoteSigner(name: "has space") }
        #expect(throws: NoteError.self) { try Checkpoint(body: "audit\n05\nAAAA\n") }
    }
}
