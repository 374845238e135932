/// RFC 9162 section 2.1 Merkle tree algorithms over a tree of `size` leaves whose subtree hashes come from
/// `subtree(start, end)` (the hash of leaves `start..<end`). Generation follows the RFC's recursive PATH and
/// PROOF definitions; verification follows sections 2.1.3.2 and 2.1.4.2 step by step. Pure: no storage.
public enum MerkleTree {
    /// The largest power of two smaller than `n` (n > 1): where the RFC splits a tree of n leaves.
    static func split(_ n: UInt64) -> UInt64 {
        UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// MTH of leaves `start..<end` from their leaf hashes, by the RFC's definition (for tests and rebuilds).
    public static func root(_ leaves: ArraySlice<TreeHash>) -> TreeHash {
        switch leaves.count {
        case 0: return .empty
        case 1: return leaves[leaves.startIndex]
        default:
            let k = Int(split(UInt64(leaves.count)))
            return .node(root(leaves.prefix(k)), root(leaves.dropFirst(k)))
        }
    }

    /// PATH(index, D[size]): the inclusion proof of leaf `index`, leaf to root.
    public static func inclusionProof(index: UInt64, size: UInt64, subtree: (UInt64, UInt64) throws -> TreeHash) rethrows -> [TreeHash] {
        precondition(index < size, "leaf \(index) is not in a tree of \(size)")
        var proof: [TreeHash] = []
        var (start, end) = (UInt64(0), size)
        // Walk down from the root, collecting siblings root-first; the RFC lists them leaf-first.
        while end - start > 1 {
            let k = split(end - start)
            if index - start < k {
                proof.append(try subtree(start + k, end))
                end = start + k
            } else {
                proof.append(try subtree(start, start + k))
                start += k
            }
        }
        return proof.reversed()
    }

    /// PROOF(old, D[new]): the consistency proof between tree sizes `old` and `new` (0 < old <= new).
    public static func consistencyProof(old: UInt64, new: UInt64, subtree: (UInt64, UInt64) throws -> TreeHash) rethrows -> [TreeHash] {
        precondition(old <= new, "tree size \(old) is larger than \(new)")
        guard old > 0, old < new else { return [] }
        var proof: [TreeHash] = []
        var (start, end, m, complete) = (UInt64(0), new, old, true)
        // SUBPROOF(m, D[start:end], complete), unrolled; the RFC appends siblings after the recursive part,
        // so they are collected here and reversed at the end.
        while true {
            let n = end - start
            if m == n {
                if !complete { proof.append(try subtree(start, end)) }
                break
            }
            let k = split(n)
            if m <= k {
                proof.append(try subtree(start + k, end))
                end = start + k
            } else {
                proof.append(try subtree(start, start + k))
                start += k
                m -= k
                complete = false
            }
        }
        return proof.reversed()
    }

    /// RFC 9162 2.1.3.2: whether `proof` shows leaf `index` (hash `leaf`) in the tree of `size` with `root`.
    public static func verifyInclusion(leaf: TreeHash, index: UInt64, size: UInt64, proof: [TreeHash], root: TreeHash) -> Bool {
        guard index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = .node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = .node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 2.1.4.2: whether `proof` shows the tree of `oldSize` with `oldRoot` to be a prefix of the
    /// tree of `newSize` with `newRoot`.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: TreeHash, newRoot: TreeHash, proof: [TreeHash]) -> Bool
    {
        guard oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = .node(c, fr)
                sr = .node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = .node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}
