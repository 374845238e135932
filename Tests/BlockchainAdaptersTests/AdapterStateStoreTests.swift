import BlockchainAdapters
import CSICCore
import CSICTestSupport
import Foundation
import Storage
import Testing

/// The adapters' state behaves the same in its own SQLite file and in the platform's PostgreSQL store.
@Suite struct AdapterStateStoreTests {
    enum Backend: String, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        static let available: [Backend] = TestPostgres.server == nil ? [.sqlite] : [.sqlite, .postgres]
        var testDescription: String { rawValue }
    }

    /// A place for one test's state, opened again to see what survived.
    struct Place {
        let location: @Sendable () async throws -> AdapterStateLocation
        let keep: Any
    }

    func place(_ backend: Backend) throws -> Place {
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory()
            return Place(location: { .sqlite(path: directory.path + "/adapter/state.sqlite") }, keep: directory)
        case .postgres:
            let settings = try #require(TestPostgres.settings())
            return Place(
                location: {
                    .postgres(
                        try await PostgresStore.open(
                            settings, migrations: [PostgresBitcoinAdapterState.migration, PostgresEthereumAdapterState.migration]))
                }, keep: settings)
        }
    }

    func pointer(_ height: UInt64) -> BlockPointer {
        BlockPointer(height: height, hash: String(format: "%064x", height), previousHash: String(format: "%064x", height - 1))
    }

    func outpoint(_ byte: UInt8, _ index: UInt32) -> Outpoint {
        Outpoint(txid: Hash256(bytes: [UInt8](repeating: byte, count: 32)), index: index)
    }

    @Test(arguments: Backend.available) func theUTXOIndexFollowsConnectsDisconnectsAndReopens(_ backend: Backend) async throws {
        let place = try place(backend)
        let a = (outpoint(1, 0), SpentOutput(value: 5_000, type: .p2wpkh, address: "bc1qa"))
        let b = (outpoint(1, 1), SpentOutput(value: UInt64.max, type: .nullData, address: nil))
        let c = (outpoint(2, 0), SpentOutput(value: 7, type: .p2tr, address: "bc1pc"))
        do {
            let state = try await place.location().bitcoin()
            #expect(try await state.checkpoint(depth: 3) == ChainCheckpoint(depth: 3))
            try await state.connect(height: 10, created: [a, b], spent: [], checkpoint: ChainCheckpoint(blocks: [pointer(10)], depth: 3))
            try await state.connect(
                height: 11, created: [c], spent: [a.0], checkpoint: ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 3))
            // Replayed after a crash: the same block again changes nothing.
            try await state.connect(
                height: 11, created: [c], spent: [a.0], checkpoint: ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 3))
        }
        let state = try await place.location().bitcoin()
        #expect(try await state.checkpoint(depth: 3) == ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 3))
        let known = try await state.spentOutputs([a.0, b.0, c.0, outpoint(9, 9)])
        #expect(known == [a.0: a.1, b.0: b.1, c.0: c.1], "a spent output is kept while its block is in the checkpoint")
        try await state.disconnect(height: 11, checkpoint: ChainCheckpoint(blocks: [pointer(10)], depth: 3))
        #expect(try await state.spentOutputs([a.0, c.0]) == [a.0: a.1], "undone: c is gone, a is unspent again")
        try await state.connect(
            height: 11, created: [c], spent: [a.0], checkpoint: ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 3))
        try await state.connect(height: 12, created: [], spent: [], checkpoint: ChainCheckpoint(blocks: [pointer(12)], depth: 3))
        #expect(try await state.spentOutputs([a.0, b.0, c.0]) == [b.0: b.1, c.0: c.1], "spent deeper than the checkpoint: forgotten")
        withExtendedLifetime(place.keep) {}
    }

    @Test(arguments: Backend.available) func recentEthereumTransactionsAreKeptForReorgsAndReopen(_ backend: Backend) async throws {
        let place = try place(backend)
        func transaction(_ digit: Character, height: UInt64) -> ChainTransaction {
            ChainTransaction(
                chain: .ethereum, txid: String(repeating: digit, count: 64),
                block: BlockRef(height: height, hash: String(repeating: "b", count: 64), time: Timestamp(secondsSinceEpoch: 1_767_225_600)),
                seenAt: Timestamp(secondsSinceEpoch: 1_767_225_601), from: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                to: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", value: Amount(7), fee: Amount(21_000),
                verifiedChecks: EthereumBlock.verifiedChecks)
        }
        let eleven = ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 2)
        do {
            let state = try await place.location().ethereum()
            try await state.connect(
                height: 10, transactions: [transaction("1", height: 10)], checkpoint: ChainCheckpoint(blocks: [pointer(10)], depth: 2))
            try await state.connect(
                height: 11, transactions: [transaction("2", height: 11), transaction("3", height: 11)], checkpoint: eleven)
        }
        let state = try await place.location().ethereum()
        #expect(try await state.checkpoint(depth: 2) == eleven)
        #expect(try await state.transactions(height: 11) == [transaction("2", height: 11), transaction("3", height: 11)])
        try await state.connect(height: 12, transactions: [], checkpoint: ChainCheckpoint(blocks: [pointer(11), pointer(12)], depth: 2))
        #expect(try await state.transactions(height: 10).isEmpty, "blocks older than the checkpoint are forgotten")
        try await state.disconnect(height: 11, checkpoint: ChainCheckpoint(blocks: [pointer(11)], depth: 2))
        #expect(try await state.transactions(height: 11).isEmpty)
        #expect(try await place.location().ethereum().checkpoint(depth: 2) == ChainCheckpoint(blocks: [pointer(11)], depth: 2))
        withExtendedLifetime(place.keep) {}
    }
}
