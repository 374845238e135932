import CSICCore
import Simulation
import Storage
import Testing
@testable import TransactionAnalysis

/// Hand-built transactions: `spend(["a", "b"], pay: [(address, value)])`.
func spend(_ txid: String, _ inputs: [String], pay outputs: [(String, UInt64)]) -> ChainTransaction {
    ChainTransaction(
        chain: .bitcoin, txid: txid, block: nil, seenAt: Timestamp(secondsSinceEpoch: 1_796_000_000),
        inputs: inputs.enumerated().map {
            TransactionInput(previousTxid: "prev-\(txid)", previousIndex: UInt32($0.offset), address: $0.element)
        },
        outputs: outputs.enumerated().map {
            TransactionOutput(
                index: UInt32($0.offset), address: $0.element.0, value: Amount($0.element.1), scriptType: "witness_v0_keyhash")
        })
}

@Suite struct DisjointSetsTests {
    /// Random unions and undos against a naive model (sets as explicit arrays): same membership after every step.
    @Test func unionsAndUndosMatchANaiveModel() {
        var generator = SplitMix64(seed: 17)
        var sets = DisjointSets()
        var naive: [[Int32]] = []
        var undoable: [(DisjointSets.Union, [[Int32]])] = []
        for _ in 0..<200 { naive.append([sets.add()]) }
        for step in 0..<2_000 {
            if step % 7 == 6, let (union, before) = undoable.popLast() {
                sets.undo(union)
                naive = before
            } else {
                let (a, b) = (Int32(generator.next() % 200), Int32(generator.next() % 200))
                let before = naive
                if let union = sets.union(a, b) {
                    let (setA, setB) = (naive.firstIndex { $0.contains(a) }!, naive.firstIndex { $0.contains(b) }!)
                    naive[setA] += naive[setB]
                    naive.remove(at: setB)
                    undoable.append((union, before))
                } else {
                    #expect(naive.contains { $0.contains(a) && $0.contains(b) })
                }
            }
            for set in naive {
                #expect(Set(set.map(sets.find)).count == 1 && sets.setSize(set[0]) == set.count)
                #expect(Set(sets.members(set[0])) == Set(set) && sets.members(set[0]).count == set.count, "its list is the set")
            }
            #expect(sets.isConsistent())
            #expect(Set((0..<200).map { sets.find(Int32($0)) }).count == naive.count)
        }
    }
}

@Suite struct AddressClustersTests {
    @Test func inputsSpentTogetherAreOneEntityGrownIncrementally() {
        var clusters = AddressClusters()
        #expect(clusters.apply(spend("t1", ["a", "b"], pay: [("x", 5_000), ("a2", 1_234)])) == .merged(merges: 1))
        #expect(clusters.apply(spend("t2", ["c"], pay: [("y", 7_000)])) == .nothingToMerge)
        #expect(clusters.apply(spend("t3", ["b", "c", "d"], pay: [("z", 9_000)])) == .merged(merges: 2))
        #expect(clusters.apply(spend("t4", ["a", "d"], pay: [("z", 1_000)])) == .merged(merges: 0), "already one entity")
        #expect(Set(["a", "b", "c", "d"].map { clusters.entity(of: $0) }).count == 1)
        #expect(clusters.entitySize(of: "c") == 4)
        #expect(clusters.entity(of: "x") == nil, "a payee is not merged with the payer; it is known once it spends")
        #expect(clusters.entity(of: "never-seen") == nil && clusters.addressCount == 4)
    }

    @Test func coinJoinInputsAreNotMerged() {
        var clusters = AddressClusters()
        let mix = spend("mix", ["p1", "p2", "p3", "p4", "p5"], pay: (1...5).map { ("w\($0)", 1_000_000) })
        #expect(clusters.apply(mix) == .coinJoin(.whirlpool))
        #expect(Set(["p1", "p2", "p3", "p4", "p5"].map { clusters.entity(of: $0) }).count == 5)
    }

    @Test func aSuperclusterIsRefusedUnlessTheTagsAgree() {
        var clusters = AddressClusters(maxClusterSize: 4)
        _ = clusters.apply(spend("t1", ["a", "b", "c"], pay: [("x", 1)]))
        _ = clusters.apply(spend("t2", ["d", "e"], pay: [("y", 2)]))
        #expect(clusters.apply(spend("t3", ["a", "d"], pay: [("z", 3)])) == .refusedSupercluster(size: 5))
        #expect(clusters.entity(of: "a") != clusters.entity(of: "d"))
        #expect(clusters.apply(spend("t4", ["a", "d"], pay: [("z", 3)]), tagsAgree: { _, _ in true }) == .merged(merges: 1))
        #expect(clusters.entitySize(of: "e") == 5)
    }

    /// A reorg reverts the tip's transactions: their merges are undone and the rest stay.
    @Test func revertedTransactionsAreUndone() {
        var clusters = AddressClusters()
        _ = clusters.apply(spend("t1", ["a", "b"], pay: [("x", 1)]))
        _ = clusters.apply(spend("t2", ["b", "c"], pay: [("y", 2)]))
        _ = clusters.apply(spend("t3", ["d", "e"], pay: [("z", 3)]))
        clusters.revert(txid: "t3")
        clusters.revert(txid: "t2")
        clusters.revert(txid: "never-merged")
        #expect(clusters.entity(of: "a") == clusters.entity(of: "b"))
        #expect(clusters.entity(of: "c") != clusters.entity(of: "b") && clusters.entity(of: "d") != clusters.entity(of: "e"))
        #expect(clusters.apply(spend("t2b", ["c", "d"], pay: [("y", 2)])) == .merged(merges: 1), "the chain goes on after the reorg")
    }

    /// Reverts in any order (a partitioned log interleaves them) leave the clustering of the transactions that
    /// remain, as if the reverted ones had never been applied.
    @Test func revertsInAnyOrderMatchAFreshClustering() {
        var generator = SplitMix64(seed: 5)
        let transactions = (0..<300).map { step in
            spend("t\(step)", (0..<2).map { _ in "a\(generator.next() % 200)" }, pay: [("x", 1)])
        }
        var clusters = AddressClusters()
        for transaction in transactions { _ = clusters.apply(transaction) }
        var reverted = Set<String>()
        for _ in 0..<60 {
            let txid = "t\(generator.next() % 300)"
            clusters.revert(txid: txid)
            reverted.insert(txid)
        }
        var fresh = AddressClusters()
        for transaction in transactions where !reverted.contains(transaction.txid) { _ = fresh.apply(transaction) }
        for a in 0..<200 {
            for b in stride(from: a + 1, to: 200, by: 7) {
                let (x, y) = ("a\(a)", "a\(b)")
                guard fresh.entity(of: x) != nil, fresh.entity(of: y) != nil else { continue }
                #expect((clusters.entity(of: x) == clusters.entity(of: y)) == (fresh.entity(of: x) == fresh.entity(of: y)), "\(x) \(y)")
            }
        }
    }

    /// The changes taken after each step, applied to a stored copy, restore the same clustering.
    @Test func changesRestoreTheSameClustering() throws {
        var generator = SplitMix64(seed: 9)
        var clusters = AddressClusters()
        var stored: [Int32: ClusterNode] = [:]
        var journal: [String: AddressClusters.JournalEntry] = [:]
        var order: [String] = []
        for step in 0..<400 {
            if step % 9 == 8 {
                clusters.revert(txid: "t\(generator.next() % UInt64(step))")
            } else {
                _ = clusters.apply(spend("t\(step)", (0..<3).map { _ in "a\(generator.next() % 150)" }, pay: [("x", 1)]))
            }
            let changes = clusters.takeChanges()
            for node in changes.nodes { stored[node.id] = node }
            for txid in changes.removed { journal[txid] = nil }
            for entry in changes.appended {
                journal[entry.txid] = entry
                order.append(entry.txid)
            }
            for (txid, entry) in changes.replaced { journal[txid] = entry }
        }
        let restored = try AddressClusters(
            restoring: stored.values.sorted { $0.id < $1.id }, journal: order.compactMap { journal[$0] }.uniqued())
        for a in 0..<150 {
            #expect(restored.entity(of: "a\(a)") == clusters.entity(of: "a\(a)"))
            #expect(restored.entitySize(of: "a\(a)") == clusters.entitySize(of: "a\(a)"))
        }
        // One address stored under two ids is a damaged store, refused rather than read as two addresses.
        var nodes = stored.values.sorted { $0.id < $1.id }
        nodes[5].address = nodes[2].address
        #expect(throws: ClusterStoreError.self) { try AddressClusters(restoring: nodes, journal: []) }
    }
}

extension Array where Element == AddressClusters.JournalEntry {
    func uniqued() -> [Element] {
        var seen = Set<String>()
        return filter { seen.insert($0.txid).inserted }
    }
}

@Suite struct CoinJoinShapeTests {
    @Test func recognisesEachShapeAndNotItsNearMisses() {
        let whirlpool = spend("w", ["a", "b", "c", "d", "e"], pay: (1...5).map { ("o\($0)", 5_000_000) })
        #expect(CoinJoinShape(whirlpool) == .whirlpool)
        let notAPool = spend("w2", ["a", "b", "c", "d", "e"], pay: (1...5).map { ("o\($0)", 4_999_000) })
        #expect(CoinJoinShape(notAPool) == .joinMarket, "5 equal outputs of another value: still a CoinJoin, not Whirlpool's")

        let wasabi = spend(
            "s", (1...40).map { "i\($0)" }, pay: (1...30).map { ("o\($0)", 10_000_000) } + (1...25).map { ("c\($0)", UInt64(100_000 + $0)) }
        )
        #expect(CoinJoinShape(wasabi) == .wasabi)

        let joinMarket = spend(
            "j", ["m1", "m2", "m3", "t1"],
            pay: [("cj1", 20_000_000), ("cj2", 20_000_000), ("cj3", 20_000_000), ("ch1", 1_234), ("ch2", 5_678)])
        #expect(CoinJoinShape(joinMarket) == .joinMarket)

        let fewInputs = spend("e", ["a", "b"], pay: [("o1", 700), ("o2", 700), ("o3", 700), ("o4", 9)])
        #expect(CoinJoinShape(fewInputs) == .equalOutputs)

        // Near misses: ordinary payments are not CoinJoins.
        #expect(CoinJoinShape(spend("p", ["a", "b"], pay: [("shop", 150_000), ("change", 82_311)])) == nil, "distinct values")
        #expect(CoinJoinShape(spend("p1", ["a"], pay: [("o1", 700), ("o2", 700)])) == nil, "one input")
        let batch = spend("b", ["hot1", "hot2"], pay: [("u1", 500), ("u2", 500)] + (1...8).map { ("v\($0)", UInt64(1_000 + $0)) })
        #expect(CoinJoinShape(batch) == nil, "a batch payout where two of ten payments happen to be equal")
    }
}
