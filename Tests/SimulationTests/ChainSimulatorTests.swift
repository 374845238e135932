import CSICCore
import CSICProtos
import Simulation
import Testing

@Suite struct ChainSimulatorTests {
    let start = Timestamp(secondsSinceEpoch: 1_767_225_600)

    @Test func sameSeedSameTransactions() {
        var first = ChainSimulator(seed: 11, start: start, users: 2_000)
        var second = ChainSimulator(seed: 11, start: start, users: 2_000)
        var other = ChainSimulator(seed: 12, start: start, users: 2_000)
        for _ in 0..<2_000 {
            let a = first.next()
            #expect(a == second.next())
            #expect(a != other.next())
        }
    }

    @Test func everyTransactionValidatesAndSpendsKnownOutputs() throws {
        var simulator = ChainSimulator(seed: 3, start: start, transactionsPerBlock: 500, users: 2_000)
        var created = Set<String>()
        var spent = Set<String>()
        var patterns = Set<ChainSimulator.Pattern>()
        var reused = 0
        var seenAddresses = Set<String>()
        var blocks = 0
        for _ in 0..<20_000 {
            switch simulator.next() {
            case .block(let block):
                try block.validate()
                blocks += 1
            case .transaction(let transaction):
                try transaction.validate()
                patterns.insert(simulator.lastPattern)
                for input in transaction.inputs where !input.isCoinbase {
                    let outpoint = "\(input.previousTxid):\(input.previousIndex)"
                    #expect(spent.insert(outpoint).inserted, "double spend of \(outpoint)")
                    #expect(input.value != nil && input.address != nil)
                }
                for output in transaction.outputs {
                    created.insert("\(transaction.txid):\(output.index)")
                    if let address = output.address {
                        if !seenAddresses.insert(address).inserted { reused += 1 }
                        #expect(Bech32.decodeSegwitAddress(hrp: "bc", address) != nil)
                    }
                }
                if let fee = transaction.fee { #expect(fee > .zero) }
            }
        }
        #expect(blocks == 40)
        #expect(patterns == Set(ChainSimulator.Pattern.allCases))
        #expect(reused > 1_000, "addresses are reused, as exchanges and many users do")
        #expect(spent.intersection(created).count > 1_000, "transactions spend outputs created in the window")
    }

    @Test func blocksChainByPreviousHash() {
        var simulator = ChainSimulator(seed: 5, start: start, transactionsPerBlock: 10, users: 500)
        var previous: ChainBlock?
        for _ in 0..<200 {
            if case .block(let block) = simulator.next() {
                if let previous {
                    #expect(block.previousHash == previous.hash)
                    #expect(block.height == previous.height + 1)
                    #expect(block.time > previous.time)
                }
                previous = block
            }
        }
    }
}
