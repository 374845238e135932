import AuditTrail
import BlockchainAdapters
import CSICCore
import CSICProtos
import EventLog
import Foundation
import RiskEngine
import TransactionAnalysis

/// One fuzz target: a parser called directly, or a service reached through its async interface.
public enum FuzzTarget: Sendable {
    case parser(@Sendable ([UInt8]) -> Void)
    case service(@Sendable ([UInt8]) async -> Void)

    /// Runs one input.
    public func run(_ input: [UInt8]) async {
        switch self {
        case .parser(let target): target(input)
        case .service(let target): await target(input)
        }
    }

    /// Runs one input from a thread outside the concurrency pool (libFuzzer's or the replay driver's), waiting
    /// for a service target to finish.
    public func runBlocking(_ input: [UInt8]) {
        switch self {
        case .parser(let target): target(input)
        case .service(let target):
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                await target(input)
                done.signal()
            }
            done.wait()
        }
    }
}

/// Every parser of outside bytes, as a function of one input that must return (an error is fine, a trap is
/// not): what `csic-fuzz` hands to libFuzzer and what the regression test replays from `Tests/Fuzz/corpus`.
public enum FuzzTargets {
    public static let all: [String: FuzzTarget] = [
        "zmtp": .parser(zmtp),
        "bitcoin-block": .parser(bitcoinBlock),
        "bitcoin-blk-file": .parser(bitcoinBlkFile),
        "ethereum-block": .parser(ethereumBlock),
        "ethereum-subscription": .parser { bytes in _ = EthereumSubscriptionMessage(text: String(decoding: bytes, as: UTF8.self)) },
        "json-rpc-answer": .parser(jsonRPCAnswer),
        "log-batches": .parser { bytes in _ = try? RecordBatches.decode(bytes, topic: "fuzz", partition: 0) },
        "protobuf-records": .parser(protobufRecords),
        "witness-request": .parser(witnessRequest),
        "tagpack": .parser { bytes in _ = try? TagPack.parse(bytes, nodeBudget: 1_000_000) },
        "sdn-csv": .parser { bytes in _ = try? SanctionsList.parseCSV([bytes]) },
        "sdn-advanced-xml": .parser { bytes in _ = try? SanctionsList.parseAdvancedXML(bytes) },
        "xgboost-model": .parser(xgboostModel),
        "configuration": .service(configuration),
        "api-request": .service(apiRequest),
    ]

    /// An XGBoost JSON model file; a model that loads also scores a row of its features.
    static func xgboostModel(_ bytes: [UInt8]) {
        guard let model = try? GradientBoostedTrees(json: bytes) else { return }
        _ = model.predict([Float](repeating: 0.5, count: min(model.featureCount, 64)))
    }

    /// ZMTP from a peer, delivered in chunks whose size is the first byte (TCP splits anywhere).
    static func zmtp(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 64) + 1
        var subscriber = ZMTPSubscriber(topics: ["rawblock", "hashblock"], maximumFrame: 1 << 20)
        var position = 1
        while position < bytes.count {
            let end = min(bytes.count, position + chunk)
            guard (try? subscriber.receive(bytes[position..<end])) != nil else { return }
            position = end
        }
    }

    /// A raw block as `getblock <hash> 0` returns it: parsed, verified, turned into events and a report.
    static func bitcoinBlock(_ bytes: [UInt8]) {
        guard let block = try? BitcoinBlock(bytes: bytes) else { return }
        try? block.verify()
        _ = block.publication(height: 1, network: .mainnet, seenAt: Timestamp(secondsSinceEpoch: 1_767_225_600))
        _ = BlockReport(block, network: .mainnet)
    }

    /// A `blk*.dat` file (magic, length, block, repeated), as `csic chain decode-block --file` reads it.
    static func bitcoinBlkFile(_ bytes: [UInt8]) {
        for (block, network) in (try? BlockInput.blocks(in: bytes)) ?? [] {
            if let parsed = try? BitcoinBlock(bytes: block) { _ = BlockReport(parsed, network: network ?? .mainnet) }
        }
    }

    struct EthereumAnswer: Decodable {
        var block: EthereumBlock
        var receipts: [EthereumReceipt]
    }

    /// `eth_getBlockByNumber(n, true)` and `eth_getBlockReceipts` as one JSON object: decoded, verified, mapped.
    static func ethereumBlock(_ bytes: [UInt8]) {
        guard let answer = try? JSONDecoder().decode(EthereumAnswer.self, from: Data(bytes)) else { return }
        _ = try? answer.block.pointer()
        try? answer.block.verify(receipts: answer.receipts)
        _ = try? answer.block.chainTransactions(receipts: answer.receipts, seenAt: Timestamp(secondsSinceEpoch: 1_767_225_600))
    }

    /// A node's HTTP answer (the first byte picks the status), decoded as the adapters' result types.
    static func jsonRPCAnswer(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let body = Array(bytes.dropFirst())
        let status = [200, 401, 500, 503][Int(first % 4)]
        _ = try? JSONRPCClient.decodeAnswer(body, method: "getblockchaininfo", status: status) as BitcoinRPCClient.BlockchainInfo?
        _ = try? JSONRPCClient.decodeAnswer(body, method: "eth_getBlockByNumber", status: status) as EthereumBlock?
        _ = try? JSONRPCClient.decodeAnswer(body, method: "eth_getBlockReceipts", status: status) as [EthereumReceipt]?
        _ = try? JSONRPCClient.decodeAnswer(body, method: "eth_blockNumber", status: status, retryableCodes: [-28]) as HexQuantity?
    }

    /// A record's value read from the log, decoded as each topic's message and validated.
    static func protobufRecords(_ bytes: [UInt8]) {
        if let event = try? TransactionTopicEvent(protoBytes: bytes), case .transaction(let transaction) = event {
            try? transaction.validate()
        }
        _ = try? ComplianceTopicEvent(protoBytes: bytes)
        _ = try? ExchangeTopicEvent(protoBytes: bytes)
        _ = try? MinerTelemetry(protoBytes: bytes)
        _ = try? AuditRecord(protoBytes: bytes)
        _ = try? Intervention(protoBytes: bytes)
        _ = try? DeadLetter(protoBytes: bytes)
    }

    /// A witness's `add-checkpoint` body, and the notes and cosignatures in it.
    static func witnessRequest(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? WitnessRequest(bytes)
        _ = try? Checkpoint(body: text)
        _ = try? witnessKey.verify(text)
        _ = try? logKey.verify(text)
    }

    static let witnessKey = CosignatureVerifier(name: "witness.example/w1", publicKey: [UInt8](repeating: 7, count: 32))
    static let logKey = NoteVerifier(name: "regulator.example/audit", publicKey: [UInt8](repeating: 9, count: 32))
}
