import CSICCore
import Foundation
import CSICProtos
import Hummingbird
import Storage

/// A transaction as the API shows it: the stored columns plus the decoded event.
struct TransactionView: ResponseEncodable {
    var id: String
    var chain: Chain
    var txid: String
    var block: BlockRef?
    var seenAt: Timestamp
    var status: TransactionStatus
    var riskScore: Int?
    var fee: Amount?
    var totalOutput: Amount
    var inputs: [TransactionInput]
    var outputs: [TransactionOutput]
    var from: String?
    var to: String?
    var value: Amount?
    var tokenTransfers: [TokenTransfer]
    var verifiedChecks: [String]
    var addresses: [String]
    /// The latest risk assessment (one transaction's answer only; lists carry the score).
    var risk: RiskAssessment?
    var source: LogPosition

    init(_ row: StoredTransaction, risk: RiskAssessment? = nil, detailed: Bool = false) throws {
        guard let transaction = StoredTransaction.event(payload: row.payload) else {
            throw APIError(.internalServerError, code: "internal", message: "stored payload of \(row.id) is not a transaction")
        }
        id = row.id
        chain = row.chain
        txid = row.txid
        block = transaction.block
        seenAt = row.seenAt
        status = row.status
        riskScore = risk?.score ?? row.riskScore
        self.risk = detailed ? risk : nil
        fee = row.fee
        totalOutput = row.totalOutput
        inputs = transaction.inputs
        outputs = transaction.outputs
        from = transaction.from
        to = transaction.to
        value = transaction.value
        tokenTransfers = transaction.tokenTransfers
        verifiedChecks = transaction.verifiedChecks
        addresses = transaction.addresses
        source = row.source
    }
}

/// A dead letter with its raw payload in base64.
struct DeadLetterView: ResponseEncodable {
    var id: String
    var source: String
    var topic: String
    var partition: Int32?
    var offset: Int64?
    var reasonCode: String
    var reason: String
    var rejectedBy: String
    var time: Timestamp
    var keyBase64: String?
    var payloadBase64: String?
    /// Fields withheld from the caller's role.
    var redacted: [String]?

    /// The letter, without the fields named in `hidden`.
    init(_ letter: DeadLetter, hiding hidden: Set<String> = []) {
        id = letter.eventID
        source = letter.source
        topic = letter.topic
        partition = letter.partition
        offset = letter.offset
        reasonCode = letter.reasonCode.rawValue
        reason = letter.reason
        rejectedBy = letter.rejectedBy
        time = letter.time
        keyBase64 = hidden.contains("key_base64") ? nil : Data(letter.key).base64EncodedString()
        payloadBase64 = hidden.contains("payload_base64") ? nil : Data(letter.payload).base64EncodedString()
        redacted = hidden.isEmpty ? nil : hidden.sorted()
    }
}

/// A page of items and the cursor of the next page.
struct PageView<Item: Encodable & Sendable>: ResponseEncodable {
    var items: [Item]
    var nextCursor: String?
}
