import CSICCore
import CSICProtos
import Foundation
import Storage

/// Examples of the transaction-analysis answers for the OpenAPI document, by component schema name: one case
/// (funds of an OFAC-listed address paid to `payee`, who passed them on) encoded by the API's own encoder, so each
/// example is exactly what a route answers; the tests check every example against its schema.
enum ViewExamples {
    static let sanctioned = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
    static let payee = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    static let next = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    static let txid = "4d2d9c1e7b0a6f5c3e8a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e"
    static let onward = "9e7d5c3b1a0f8e6d4c2b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d"
    static let time = Timestamp(secondsSinceEpoch: 1_796_117_400)

    static let transaction = ChainTransaction(
        chain: .bitcoin, txid: txid,
        block: BlockRef(height: 927_415, hash: "00000000000000000001a7c0b4e2f3d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3", time: time),
        seenAt: time,
        inputs: [TransactionInput(previousTxid: onward, previousIndex: 1, address: sanctioned, value: Amount(150_000_000))],
        outputs: [
            TransactionOutput(index: 0, address: payee, value: Amount(120_000_000), scriptType: "p2wpkh"),
            TransactionOutput(index: 1, address: sanctioned, value: Amount(29_990_000), scriptType: "p2wsh"),
        ], fee: Amount(10_000), verifiedChecks: ["merkle_root", "proof_of_work"])

    static let assessment = RiskAssessment(
        chain: .bitcoin, txid: txid, score: 96, probability: 0.41,
        reasons: [
            RiskReason(name: "rule:sanctioned_exposure", value: nil, contribution: 90),
            RiskReason(name: "sanctioned_party", value: 1, contribution: 2.31),
            RiskReason(name: "largest_payment_share", value: 0.8, contribution: 0.42),
        ], modelVersion: "scenario-gbtree-2@5f0c2a9b7e13", assessedAt: time)

    static let finding = ComplianceFinding(
        id: "sanctioned_exposure:btc:\(payee):\(txid)", kind: .sanctionsHit, subject: payee, severity: .critical, source: "risk-engine",
        summary: "\(payee) received 120000000 from GARANTEX EUROPE OU (sanction), 1 hop(s) away",
        evidence: [
            "hops": "1", "path": "\(sanctioned) -> \(payee)", "list": "ofac-sdn", "list_version": "3", "label": "GARANTEX EUROPE OU",
        ], time: time, typology: Typology.sanctionedExposure.rawValue, subjects: [payee, sanctioned], txids: [txid],
        amount: Amount(120_000_000), chain: .bitcoin, ruleVersion: "typologies-3a9f04c1d2e7")

    static let alert = Alert(
        id: "alert:sanctioned_exposure:\(payee):\(txid)", title: "sanctioned_exposure: \(payee)", subject: payee, severity: .critical,
        status: .assigned, findingIDs: [finding.id], createdAt: time, updatedAt: time.adding(microseconds: 1_800_000_000),
        typology: Typology.sanctionedExposure.rawValue, assignee: "ana")

    static let sdnTag = ListedTag(
        tag: AddressTag(
            chain: .bitcoin, address: sanctioned, label: "GARANTEX EUROPE OU", category: .sanction, source: "SDN.CSV", confidence: 100,
            actor: "ofac-sdn:50514"), list: "ofac-sdn", version: 3)

    /// The example answers as JSON-compatible values, by component schema name.
    static var all: [String: Any] {
        let stored = StoredTransaction(
            id: transaction.eventID, chain: .bitcoin, txid: txid, blockHeight: 927_415, blockHash: transaction.block?.hash, blockTime: time,
            seenAt: time, fee: transaction.fee, totalOutput: Amount(149_990_000), inputCount: 1, outputCount: 2, status: .confirmed,
            riskScore: 96, payload: TransactionTopicEvent.transaction(transaction).serializedProto(),
            source: LogPosition(topic: Topic.transactions.rawValue, partition: 2, offset: 88_412))
        let history = [
            AlertChange(alertID: alert.id, time: time, actor: "alert-service", action: .raised, status: .open, detail: finding.id),
            AlertChange(
                alertID: alert.id, time: alert.updatedAt, actor: "user:ana", action: .assign, status: .assigned, detail: "ana"),
        ]
        let address = AddressView(
            address: payee, chain: .bitcoin, tags: [], entity: AddressView.Entity(id: "entity:81234", size: 3), firstSeen: time,
            lastSeen: time.adding(microseconds: 3_600_000_000),
            totals: AddressTotals(
                transactions: 2, received: Amount(120_000_000), sent: Amount(119_990_000), complete: true),
            risk: AddressView.Risk(
                transactionsRead: 2, maxScore: 96,
                recent: [AddressView.Scored(txid: txid, seenAt: time, score: 96, band: .severe)]),
            findings: [finding])
        let path = PathView(over: .entities, chain: .bitcoin, maxDepth: 7, maxDegree: 100).with(
            from: "entity:77", to: next,
            PathSearchResult(
                path: [PathHop(from: "entity:77", to: "entity:81234", txid: txid), PathHop(from: "entity:81234", to: next, txid: onward)],
                expanded: 14, skippedHubs: 1, truncated: false),
            hops: [
                PathView.Hop(PathHop(from: "entity:77", to: "entity:81234", txid: txid), fromAddress: sanctioned, toAddress: payee),
                PathView.Hop(PathHop(from: "entity:81234", to: next, txid: onward), fromAddress: payee, toAddress: next),
            ])
        let entity = EntityView(
            id: "entity:81234", size: 3, category: nil, categories: [:], tags: [],
            counterparties: [
                EntitySummary.Counterparty(
                    address: sanctioned, received: Amount(120_000_000), sent: .zero, transactions: 1, tags: [TagView(sdnTag)])
            ], membersRead: 3, transactionsRead: 2, complete: true,
            addresses: [EntityView.Member(address: payee, tags: []), EntityView.Member(address: next, tags: [])],
            nextCursor: "81240")
        var examples: [String: any Encodable] = [
            "RiskAssessment": assessment, "Finding": finding, "FindingPage": PageView(items: [finding], nextCursor: nil),
            "Alert": alert, "AlertPage": PageView(items: [alert], nextCursor: nil),
            "AlertDetail": AlertDetailView(alert: alert, findings: [finding], history: history),
            "Address": address, "Entity": entity, "Path": path, "Tag": TagView(sdnTag),
        ]
        if let detailed = try? TransactionView(stored, risk: assessment, detailed: true), let listed = try? TransactionView(stored) {
            examples["Transaction"] = detailed
            examples["TransactionPage"] = PageView(items: [listed], nextCursor: nil)
        }
        return examples.compactMapValues { value in
            (try? APIContext.jsonEncoder.encode(value)).flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0).native }
        }
    }
}

/// A JSON value read back with its kinds apart (a boolean is not a number), as the document's writer expects.
private enum JSONValue: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var native: Any {
        switch self {
        case .null: NSNull()
        case .bool(let flag): flag
        case .int(let number): number
        case .double(let number): number
        case .string(let text): text
        case .array(let items): items.map(\.native)
        case .object(let members): members.mapValues(\.native)
        }
    }
}
