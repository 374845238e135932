import CSICCore
import Foundation
import Testing

/// Sample values shared by the validation tests.
enum Samples {
    static let txid = String(repeating: "ab", count: 32)
    static let time = Timestamp(secondsSinceEpoch: 1_767_225_600)

    static var bitcoin: ChainTransaction {
        ChainTransaction(
            chain: .bitcoin, txid: txid, block: BlockRef(height: 900_001, hash: String(repeating: "0f", count: 32), time: time),
            seenAt: time,
            inputs: [
                TransactionInput(
                    previousTxid: String(repeating: "01", count: 32), previousIndex: 1, address: "bc1qa", value: Amount(10_000))
            ],
            outputs: [
                TransactionOutput(index: 0, address: "bc1qb", value: Amount(7_000), scriptType: "p2wpkh"),
                TransactionOutput(index: 1, address: "bc1qa", value: Amount(2_500), scriptType: "p2wpkh"),
            ],
            fee: Amount(500))
    }

    static var ethereum: ChainTransaction {
        ChainTransaction(
            chain: .ethereum, txid: txid, block: nil, seenAt: time,
            from: "0x" + String(repeating: "a", count: 40), to: "0x" + String(repeating: "b", count: 40),
            value: Amount.maximum, fee: Amount(21_000),
            tokenTransfers: [
                TokenTransfer(
                    token: "0x" + String(repeating: "c", count: 40), from: "0x" + String(repeating: "a", count: 40),
                    to: "0x" + String(repeating: "d", count: 40), value: .maximum, logIndex: 0)
            ])
    }
}

@Suite struct ChainTransactionValidationTests {
    @Test func acceptsConsistentTransactions() throws {
        try Samples.bitcoin.validate()
        try Samples.ethereum.validate()
        #expect(Samples.bitcoin.eventID == "btc:\(Samples.txid)")
        #expect(Samples.bitcoin.addresses == ["bc1qa", "bc1qb"])
        #expect(Samples.bitcoin.totalOutput == Amount(9_500))
    }

    static let broken: [(String, ValidationError.Code, String, @Sendable (inout ChainTransaction) -> Void)] = [
        ("short txid", .malformed, "txid", { $0.txid = "abc" }),
        ("uppercase txid", .malformed, "txid", { $0.txid = String(repeating: "AB", count: 32) }),
        ("outputs exceed inputs", .inconsistent, "outputs", { $0.outputs[0].value = Amount(9_000) }),
        ("fee disagrees", .inconsistent, "fee", { $0.fee = Amount(1) }),
        ("no inputs", .missing, "inputs", { $0.inputs = [] }),
        ("no outputs", .missing, "outputs", { $0.outputs = [] }),
        ("double spend", .inconsistent, "inputs[1]", { $0.inputs.append($0.inputs[0]) }),
        ("output index gap", .inconsistent, "outputs[1].index", { $0.outputs[1].index = 5 }),
        ("more than supply", .outOfRange, "outputs[0].value", { $0.outputs[0].value = Amount(2_100_000_000_000_001) }),
        ("future time", .outOfRange, "seen_at", { $0.seenAt = Timestamp.now().adding(microseconds: 2 * 86_400_000_000) }),
        ("before genesis", .outOfRange, "seen_at", { $0.seenAt = Timestamp(secondsSinceEpoch: 1_000_000_000) }),
        ("bad block hash", .malformed, "block.hash", { $0.block?.hash = "zz" }),
        ("account fields", .inconsistent, "from", { $0.from = "0x" + String(repeating: "a", count: 40) }),
    ]

    @Test(arguments: 0..<broken.count)
    func rejectsBrokenBitcoin(_ index: Int) {
        let (name, code, field, mutate) = Self.broken[index]
        var transaction = Samples.bitcoin
        mutate(&transaction)
        #expect(throws: ValidationError.self, "\(name)") { try transaction.validate() }
        do {
            try transaction.validate()
        } catch {
            #expect(error.code == code, "\(name): \(error)")
            #expect(error.field == field, "\(name): \(error)")
        }
    }

    @Test func rejectsBrokenEthereum() {
        var missingSender = Samples.ethereum
        missingSender.from = nil
        #expect(throws: ValidationError(.missing, field: "from", "an Ethereum transaction has a sender")) { try missingSender.validate() }
        var badRecipient = Samples.ethereum
        badRecipient.to = "0x1234"
        #expect(throws: ValidationError.self) { try badRecipient.validate() }
        var tooLarge = Samples.ethereum
        tooLarge.value = Amount(units: Amount.maximum.units + 1)
        #expect(throws: ValidationError.self) { try tooLarge.validate() }
    }

    @Test func coinbaseNeedsNoInputValues() throws {
        var coinbase = Samples.bitcoin
        coinbase.inputs = [TransactionInput(previousTxid: TransactionInput.coinbaseTxid, previousIndex: .max)]
        coinbase.fee = nil
        try coinbase.validate()
    }
}

@Suite struct OtherEventValidationTests {
    let time = Samples.time

    @Test func tradesNeedPositivePriceAndQuantity() throws {
        let trade = Trade(
            exchange: "binance", symbol: "BTCUSDT", tradeID: "42", price: Decimal(string: "64000.5")!, quantity: Decimal(string: "0.01")!,
            side: .buy, time: time)
        try trade.validate()
        #expect(trade.eventID == "binance:BTCUSDT:trade:42")
        var free = trade
        free.price = 0
        #expect(throws: ValidationError.self) { try free.validate() }
        var empty = trade
        empty.tradeID = ""
        #expect(throws: ValidationError(.missing, field: "trade_id", "must not be empty")) { try empty.validate() }
    }

    @Test func booksMustBeSortedAndUncrossed() throws {
        let book = OrderBookUpdate(
            exchange: "kraken", symbol: "XBTEUR", sequence: 7,
            bids: [PriceLevel(price: 100, quantity: 1), PriceLevel(price: 99, quantity: 2)],
            asks: [PriceLevel(price: 101, quantity: 1), PriceLevel(price: 102, quantity: 3)], isSnapshot: true, time: time)
        try book.validate()
        #expect(book.eventID == "kraken:XBTEUR:snapshot:7")
        var crossed = book
        crossed.asks[0].price = 99.5
        #expect(throws: ValidationError.self) { try crossed.validate() }
        var unsorted = book
        unsorted.bids.reverse()
        #expect(throws: ValidationError.self) { try unsorted.validate() }
        var deletion = book
        deletion.isSnapshot = false
        deletion.bids[0].quantity = 0
        try deletion.validate()
    }

    @Test func telemetryRejectsImpossibleReadings() throws {
        let sample = MinerTelemetry(
            machineID: "s19-0042", time: time, hashRateTHs: 95, powerWatts: 3_250, temperatureCelsius: 71,
            poolURL: "stratum+tcp://pool:3333", state: .hashing)
        try sample.validate()
        #expect(sample.eventID == "s19-0042:\(time.microsecondsSinceEpoch)")
        var nan = sample
        nan.powerWatts = .nan
        #expect(throws: ValidationError.self) { try nan.validate() }
        var negative = sample
        negative.hashRateTHs = -1
        #expect(throws: ValidationError.self) { try negative.validate() }
    }

    @Test func findingsRisksAlertsInterventionsDeadLetters() throws {
        try ComplianceFinding(
            id: "f1", kind: .sanctionsHit, subject: "bc1q", severity: .high, source: "sanctions", summary: "listed", time: time
        ).validate()
        let assessment = RiskAssessment(
            chain: .bitcoin, txid: "ab", score: 80, probability: 0.8, reasons: [RiskReason(name: "payers", value: 3, contribution: 0.4)],
            modelVersion: "m@1", assessedAt: time)
        try assessment.validate()
        #expect(assessment.band == .severe && RiskBand(score: 74) == .high && RiskBand(score: 25) == .medium && RiskBand(score: 24) == .low)
        for broken in [
            { (a: inout RiskAssessment) in a.score = 101 }, { $0.band = .low }, { $0.probability = 1.5 }, { $0.modelVersion = "" },
            { $0.reasons[0].contribution = .nan },
        ] {
            var changed = assessment
            broken(&changed)
            #expect(throws: ValidationError.self) { try changed.validate() }
        }
        #expect(throws: ValidationError.self) {
            try Alert(id: "a", title: "t", subject: "s", severity: .low, status: .open, findingIDs: [], createdAt: time, updatedAt: time)
                .validate()
        }
        #expect(throws: ValidationError.self) {
            try Intervention(id: "i", kind: .throttle, target: "m1", reason: "over limit", requestedBy: "energy", time: time).validate()
        }
        try Intervention(
            id: "i", kind: .throttle, target: "m1", reason: "over limit", requestedBy: "energy", parameters: ["power_limit_watts": "2500"],
            time: time
        ).validate()
        let letter = DeadLetter(
            source: "transactions", topic: "transactions", partition: 1, offset: 9, key: [], payload: [1], reasonCode: .undecodable,
            reason: "bad", rejectedBy: "engine", time: time)
        try letter.validate()
        #expect(letter.eventID == "dl:engine:transactions:1:9")
        #expect(Severity.critical > Severity.high)
    }

    /// A dead letter of input that never reached the log has an id from its content, not from a clock: the
    /// same rejection, at another time, is the same dead letter; another payload or reason is another one.
    @Test func deadLetterIdsAreDeterministic() {
        func letter(_ payload: [UInt8], reason: String = "bad block", at seconds: Int64) -> DeadLetter {
            DeadLetter(
                source: "bitcoin", topic: "transactions", partition: nil, offset: nil, key: Array("812000".utf8), payload: payload,
                reasonCode: .undecodable, reason: reason, rejectedBy: "bitcoin-adapter", time: Timestamp(secondsSinceEpoch: seconds))
        }
        let first = letter([1, 2, 3], at: 1_767_225_600)
        #expect(first.eventID == letter([1, 2, 3], at: 1_767_229_200).eventID)
        #expect(first.eventID.hasPrefix("dl:bitcoin-adapter:bitcoin:") && first.eventID.count == "dl:bitcoin-adapter:bitcoin:".count + 32)
        #expect(first.eventID != letter([1, 2, 4], at: 1_767_225_600).eventID)
        #expect(first.eventID != letter([1, 2, 3], reason: "another", at: 1_767_225_600).eventID)
    }

    @Test func configurationRejectsBadValues() throws {
        try PlatformConfiguration().validate()
        var configuration = PlatformConfiguration()
        configuration.httpPort = 70_000
        #expect(throws: ValidationError.self) { try configuration.validate() }
        configuration = PlatformConfiguration()
        configuration.logFsync = "sometimes"
        #expect(throws: ValidationError.self) { try configuration.validate() }
    }
}
