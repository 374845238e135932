@testable import AuditTrail
import CSICCore
import Testing

/// The RFC 6962/9162 test tree of transparency-dev/merkle and certificate-transparency: eight leaves and the
/// published roots of its first 0...8 leaves, inclusion and consistency proofs.
@Suite struct MerkleTreeTests {
    static let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .map { Hex.decode($0)! }
    static let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    static let hashes = leaves.map { TreeHash.leaf($0) }

    static func subtree(_ start: UInt64, _ end: UInt64) -> TreeHash { MerkleTree.root(hashes[Int(start)..<Int(end)]) }
    static func hashes(_ hex: [String]) -> [TreeHash] { hex.map { TreeHash(bytes: Hex.decode($0)!)! } }
    static func root(_ size: Int) -> TreeHash { TreeHash(bytes: Hex.decode(roots[size])!)! }

    @Test func publishedRoots() {
        for size in 0...8 { #expect(MerkleTree.root(Self.hashes[0..<size]).hex == Self.roots[size], "size \(size)") }
    }

    @Test func publishedInclusionProofs() {
        let cases: [(UInt64, UInt64, [String])] = [
            (
                0, 8,
                [
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]
            ),
            (
                5, 8,
                [
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]
            ),
            (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                1, 5,
                [
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]
            ),
        ]
        for (index, size, expected) in cases {
            let proof = MerkleTree.inclusionProof(index: index, size: size, subtree: Self.subtree)
            #expect(proof == Self.hashes(expected), "leaf \(index) of \(size)")
            #expect(
                MerkleTree.verifyInclusion(
                    leaf: Self.hashes[Int(index)], index: index, size: size, proof: proof, root: Self.root(Int(size))))
        }
    }

    @Test func publishedConsistencyProofs() {
        let cases: [(UInt64, UInt64, [String])] = [
            (1, 1, []),
            (
                1, 8,
                [
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]
            ),
            (
                6, 8,
                [
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]
            ),
            (
                2, 5,
                [
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]
            ),
        ]
        for (old, new, expected) in cases {
            let proof = MerkleTree.consistencyProof(old: old, new: new, subtree: Self.subtree)
            #expect(proof == Self.hashes(expected), "\(old) -> \(new)")
            #expect(
                MerkleTree.verifyConsistency(
                    oldSize: old, newSize: new, oldRoot: Self.root(Int(old)), newRoot: Self.root(Int(new)), proof: proof))
        }
    }

    @Test func everyProofOfEverySizeVerifies() {
        for size in UInt64(1)...8 {
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, size: size, subtree: Self.subtree)
                #expect(
                    MerkleTree.verifyInclusion(
                        leaf: Self.hashes[Int(index)], index: index, size: size, proof: proof, root: Self.root(Int(size))))
            }
            for old in 0...size {
                let proof = MerkleTree.consistencyProof(old: old, new: size, subtree: Self.subtree)
                #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: old, newSize: size, oldRoot: Self.root(Int(old)), newRoot: Self.root(Int(size)), proof: proof))
            }
        }
    }

    /// Every mutation of a valid proof is rejected: flipped bit, truncated, extended, wrong index or size,
    /// swapped roots.
    @Test func mutatedProofsAreRejected() {
        for size in UInt64(2)...8 {
            for index in 0..<size {
                let leaf = Self.hashes[Int(index)]
                let root = Self.root(Int(size))
                let proof = MerkleTree.inclusionProof(index: index, size: size, subtree: Self.subtree)
                for position in proof.indices {
                    var flipped = proof
                    var bytes = flipped[position].bytes
                    bytes[position % 32] ^= 0x01
                    flipped[position] = TreeHash(bytes: bytes)!
                    #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: index, size: size, proof: flipped, root: root))
                }
                #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: index, size: size, proof: Array(proof.dropLast()), root: root))
                #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: index, size: size, proof: proof + [leaf], root: root))
                #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: (index + 1) % size, size: size, proof: proof, root: root))
                // A root does not commit to its tree size by itself (leaf 0 of 3 and of 4 have proofs of the same
                // shape); the signed checkpoint binds the two. A size that changes the proof's shape is refused.
                #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: index, size: size * 2, proof: proof, root: root))
                #expect(!MerkleTree.verifyInclusion(leaf: leaf, index: size, size: size, proof: proof, root: root))
            }
            for old in UInt64(1)..<size {
                let proof = MerkleTree.consistencyProof(old: old, new: size, subtree: Self.subtree)
                let (oldRoot, newRoot) = (Self.root(Int(old)), Self.root(Int(size)))
                #expect(
                    !MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: newRoot, newRoot: oldRoot, proof: proof),
                    "swapped roots")
                #expect(
                    !MerkleTree.verifyConsistency(
                        oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: Array(proof.dropLast())))
                #expect(
                    !MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: proof + [oldRoot])
                )
                #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: size * 2, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
                #expect(!MerkleTree.verifyConsistency(oldSize: size, newSize: old, oldRoot: newRoot, newRoot: oldRoot, proof: proof))
                for position in proof.indices {
                    var flipped = proof
                    var bytes = flipped[position].bytes
                    bytes[31] ^= 0x80
                    flipped[position] = TreeHash(bytes: bytes)!
                    #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: flipped))
                }
            }
        }
    }
}
