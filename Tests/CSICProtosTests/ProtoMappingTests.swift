import CSICCore
import CSICProtos
import Foundation
import Testing

@Suite struct ProtoMappingTests {
    let time = Timestamp(microsecondsSinceEpoch: 1_767_225_600_123_456)
    let txid = String(repeating: "cd", count: 32)

    func roundTrip<Value: ProtoConvertible & Equatable>(_ value: Value) throws {
        let bytes = value.serializedProto()
        #expect(try Value(protoBytes: bytes) == value)
    }

    @Test func everyTopicTypeRoundTrips() throws {
        let bitcoin = ChainTransaction(
            chain: .bitcoin, txid: txid, block: BlockRef(height: 1, hash: txid, time: time), seenAt: time,
            inputs: [
                TransactionInput(previousTxid: txid, previousIndex: 3, address: "bc1q", value: Amount(5)),
                TransactionInput(previousTxid: txid, previousIndex: 4),
            ],
            outputs: [TransactionOutput(index: 0, address: nil, value: .zero, scriptType: "nulldata")], fee: Amount(5))
        try roundTrip(bitcoin)
        let ethereum = ChainTransaction(
            chain: .ethereum, txid: txid, block: nil, seenAt: time, from: "0xab", to: nil, value: .maximum,
            tokenTransfers: [
                TokenTransfer(token: "0x1", from: "0x2", to: "0x3", value: Amount(decimal: "123456789012345678901234567890")!, logIndex: 9)
            ],
            status: .failed)
        try roundTrip(ethereum)
        try roundTrip(TransactionTopicEvent.transaction(bitcoin))
        try roundTrip(
            TransactionTopicEvent.block(
                ChainBlock(chain: .bitcoin, height: 5, hash: txid, previousHash: txid, time: time, transactionCount: 2)))
        try roundTrip(
            ExchangeTopicEvent.trade(
                Trade(
                    exchange: "x", symbol: "BTCUSD", tradeID: "1", price: Decimal(string: "64000.125")!,
                    quantity: Decimal(string: "0.0001")!, side: .sell, time: time)))
        try roundTrip(
            ExchangeTopicEvent.book(
                OrderBookUpdate(
                    exchange: "x", symbol: "BTCUSD", sequence: 9, bids: [PriceLevel(price: 10, quantity: 0)], asks: [], isSnapshot: false,
                    time: time)))
        try roundTrip(
            MinerTelemetry(
                machineID: "m", time: time, hashRateTHs: 100.5, powerWatts: 3_000, temperatureCelsius: 65.25, poolURL: "p",
                state: .throttled))
        try roundTrip(
            AuditRecord(
                id: "a", time: time, actor: "alice", action: "user.login", resource: "session", outcome: .denied, requestID: "r",
                sourceAddress: "127.0.0.1", details: ["k": "v"]))
        try roundTrip(
            ComplianceTopicEvent.finding(
                ComplianceFinding(
                    id: "f", kind: .travelRule, subject: "s", severity: .critical, source: "src", summary: "sum", evidence: ["e": "1"],
                    time: time)))
        try roundTrip(
            ComplianceTopicEvent.finding(
                ComplianceFinding(
                    id: "g", kind: .pattern, subject: "bc1q", severity: .high, source: "risk-engine", summary: "fan-in", time: time,
                    typology: Typology.fanIn.rawValue, subjects: ["bc1q", "1A"], txids: ["ab", "cd"], amount: Amount(123_456),
                    chain: .bitcoin, ruleVersion: "typologies-1", withdrawn: true)))
        try roundTrip(
            ComplianceTopicEvent.risk(
                RiskAssessment(
                    chain: .ethereum, txid: "0xab", score: 77, probability: 0.77,
                    reasons: [
                        RiskReason(name: "sanctioned_party", value: 1, contribution: 2.5),
                        RiskReason(name: "rule:cycle", value: nil, contribution: 50),
                    ], modelVersion: "m@0123456789ab", assessedAt: time)))
        var wrongBand = RiskAssessment(
            chain: .bitcoin, txid: "t", score: 10, probability: 0.1, reasons: [], modelVersion: "m", assessedAt: time
        )
        .proto
        wrongBand.band = "severe"
        #expect(throws: ValidationError.self) { try RiskAssessment(proto: wrongBand) }
        try roundTrip(
            ComplianceTopicEvent.alert(
                Alert(
                    id: "a", title: "t", subject: "s", severity: .low, status: .acknowledged, findingIDs: ["f"], createdAt: time,
                    updatedAt: time)))
        try roundTrip(Intervention(id: "i", kind: .freeze, target: "t", reason: "r", requestedBy: "u", parameters: ["p": "1"], time: time))
        try roundTrip(
            DeadLetter(
                source: "s", topic: "t", partition: nil, offset: 7, key: [1], payload: [2, 3], reasonCode: .inconsistent, reason: "r",
                rejectedBy: "g", time: time))
    }

    @Test func garbageIsUndecodable() {
        #expect(throws: ValidationError.self) { _ = try TransactionTopicEvent(protoBytes: [0xFF, 0xFF, 0xFF]) }
        do {
            _ = try ChainTransaction(protoBytes: [0x0A, 0x05, 0x01])
        } catch {
            #expect(error.code == .undecodable)
        }
    }

    @Test func unspecifiedEnumsAndEmptyEnvelopesAreRejected() {
        var message = Csic_V1_ChainTransaction()
        message.txid = txid
        #expect(throws: ValidationError(.malformed, field: "chain", "unknown or unspecified value 0")) {
            _ = try ChainTransaction(proto: message)
        }
        #expect(throws: ValidationError.self) { _ = try TransactionTopicEvent(proto: Csic_V1_TransactionEvent()) }
        var unknown = Csic_V1_Trade()
        unknown.side = .UNRECOGNIZED(9)
        unknown.price = "1"
        unknown.quantity = "1"
        #expect(throws: ValidationError.self) { _ = try Trade(proto: unknown) }
    }

    @Test func amountsAreMinimalAndBounded() {
        var message = Csic_V1_TransactionOutput()
        message.scriptType = "p2wpkh"
        var transaction = Csic_V1_ChainTransaction()
        transaction.chain = .bitcoin
        message.value = Data([0, 1])
        transaction.outputs = [message]
        #expect(throws: ValidationError(.malformed, field: "outputs[0].value", "amount bytes have a leading zero")) {
            _ = try ChainTransaction(proto: transaction)
        }
        message.value = Data(repeating: 1, count: 33)
        transaction.outputs = [message]
        #expect(throws: ValidationError(.outOfRange, field: "outputs[0].value", "more than 256 bits")) {
            _ = try ChainTransaction(proto: transaction)
        }
    }

    @Test func decimalsMustBeNumbers() {
        var trade = Csic_V1_Trade()
        trade.side = .buy
        trade.price = "1e5"
        trade.quantity = "1"
        #expect(throws: ValidationError.self) { _ = try Trade(proto: trade) }
    }
}
