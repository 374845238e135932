import APIGateway
import CSICCore
import CSICPlatform
import CSICProtos
import CSICTestSupport
import Configuration
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Testing
import TransactionAnalysis

/// `/api/v1/addresses/{address}`, `/api/v1/entities/{id}` and `/api/v1/paths` on the platform's stores: tags,
/// entity, first and last seen, risk, findings; an entity's addresses; the flow of funds between two addresses;
/// bad and unknown addresses, entities and bounds refused.
@Suite struct AddressRoutesTests {
    static let (payer, coPayer, payee, next, unseen) = (
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qqqqsyqcyq5rqwzqfpg9scrgwpugpzysn4v0345", "16L5yRNPTuciSgXGHqYwn9N6NeoKqopAu"
    )
    static let time = Timestamp(secondsSinceEpoch: 1_796_000_000)

    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
    }

    static func transaction(_ number: Int, _ inputs: [String], _ output: String, minute: Int64) -> ChainTransaction {
        let at = time.adding(microseconds: minute * 60_000_000)
        return ChainTransaction(
            chain: .bitcoin, txid: String(repeating: "0", count: 63) + "\(number)",
            block: BlockRef(height: UInt64(minute), hash: String(repeating: "b", count: 63) + "\(number)", time: at), seenAt: at,
            inputs: inputs.enumerated().map {
                TransactionInput(
                    previousTxid: String(repeating: "f", count: 64), previousIndex: UInt32($0.offset), address: $0.element,
                    value: Amount(10_000))
            },
            outputs: [TransactionOutput(index: 0, address: output, value: Amount(9_000 * UInt64(inputs.count)), scriptType: "p2wpkh")])
    }

    @Test func addressesAndEntitiesShowWhatTheStoresKnow() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try ConfigurationLoader.load(values: ["data_dir": ConfigValue(.string(directory.path), isSecret: false)])
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        _ = try await platform.access.addUser("ann", role: .analyst, password: nil, entityID: nil, by: origin)
        let headers: HTTPFields = [.authorization: "Bearer \(try await platform.access.addAPIKey("ann", label: "", by: origin).text)"]

        let paid = Self.transaction(1, [Self.payer, Self.coPayer], Self.payee, minute: 1)
        let passedOn = Self.transaction(2, [Self.payee], Self.next, minute: 2)
        let records = [paid, passedOn].enumerated().map { offset, transaction in
            LogRecord(
                topic: Topic.transactions.rawValue, partition: 0, offset: Int64(offset), timestamp: Self.time,
                key: Array(transaction.txid.utf8),
                value: TransactionTopicEvent.transaction(transaction).serializedProto())
        }
        let output = try await TransactionEngine().process(records)
        #expect(output.deadLetters.isEmpty)
        try await platform.store.apply(platform.store.prepare(output.effects))
        var clusters = AddressClusters()
        _ = clusters.apply(paid)
        _ = clusters.apply(passedOn)
        try await platform.database.clusters.apply(clusters.takeChanges())
        _ = try await platform.database.tags.importList(
            name: "tagpack:x", format: "tagpack", sha256: "00", importedBy: "test", at: Self.time,
            tags: [
                AddressTag(chain: .bitcoin, address: Self.payee, label: "Exchange X", category: .exchange, source: "test", confidence: 80)
            ])
        _ = try await platform.database.tags.importList(
            name: "tagpack:y", format: "tagpack", sha256: "01", importedBy: "test", at: Self.time,
            tags: [Self.payer, Self.coPayer].map {
                AddressTag(chain: .bitcoin, address: $0, label: "Casino Y", category: .gambling, source: "test", confidence: 60)
            })
        try await platform.database.riskAssessments.record(
            [(paid, 80), (passedOn, 10)].map {
                RiskAssessment(
                    chain: .bitcoin, txid: $0.0.txid, score: $0.1, probability: Double($0.1) / 100, reasons: [], modelVersion: "m@1",
                    assessedAt: $0.0.seenAt)
            })
        _ = try await platform.store.record(
            [
                ComplianceFinding(
                    id: "fan_in:btc:\(Self.payee):\(paid.txid)", kind: .pattern, subject: Self.payee, severity: .medium,
                    source: "risk-engine",
                    summary: "fan-in", time: paid.seenAt, typology: "fan_in", subjects: [Self.payee], txids: [paid.txid], chain: .bitcoin,
                    ruleVersion: "typologies-x")
            ], at: Self.time)

        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/addresses/\(Self.payee)", method: .get, headers: headers) { response in
                let body = json(response.body)
                #expect(response.status == .ok && body["address"] as? String == Self.payee && body["chain"] as? String == "bitcoin")
                #expect((body["tags"] as? [[String: Any]])?.map { $0["label"] as? String } == ["Exchange X"])
                #expect((body["tags"] as? [[String: Any]])?.first?["list_version"] as? Int == 1)
                #expect(
                    body["first_seen"] as? String == "2026-11-30T00:54:20.000000Z"
                        && body["last_seen"] as? String == "2026-11-30T00:55:20.000000Z")
                let risk = body["risk"] as? [String: Any]
                #expect(risk?["max_score"] as? Int == 80 && risk?["transactions_read"] as? Int == 2)
                #expect((risk?["recent"] as? [[String: Any]])?.map { $0["band"] as? String } == ["low", "severe"], "newest first")
                #expect((body["findings"] as? [[String: Any]])?.map { $0["typology"] as? String } == ["fan_in"])
                #expect((body["entity"] as? [String: Any])?["size"] as? Int == 1, "it spent alone")
                let totals = body["totals"] as? [String: Any]
                #expect(
                    totals?["transactions"] as? Int == 2 && totals?["received"] as? String == "18000"
                        && totals?["sent"] as? String == "10000"
                        && totals?["complete"] as? Bool == true, "paid by both payers' inputs, spent one input: \(totals ?? [:])")
            }
            var entity = ""
            try await client.execute(uri: "/api/v1/addresses/\(Self.payer)", method: .get, headers: headers) { response in
                let found = json(response.body)["entity"] as? [String: Any]
                #expect(found?["size"] as? Int == 2, "spent together with the co-payer")
                let totals = json(response.body)["totals"] as? [String: Any]
                #expect(
                    totals?["received"] as? String == "0" && totals?["sent"] as? String == "10000" && totals?["transactions"] as? Int == 1)
                entity = found?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/entities/\(entity)?limit=1", method: .get, headers: headers) { response in
                let body = json(response.body)
                #expect(body["id"] as? String == entity && body["size"] as? Int == 2)
                #expect((body["addresses"] as? [[String: Any]])?.map { $0["address"] as? String } == [Self.payer])
                #expect(body["next_cursor"] is String, "a page at a time")
                // The whole entity's tags and category, not the page's.
                #expect(body["category"] as? String == "gambling" && body["categories"] as? [String: Int] == ["gambling": 2])
                let tags = body["tags"] as? [[String: Any]]
                #expect(tags?.count == 1 && tags?.first?["addresses"] as? Int == 2)
                #expect((tags?.first?["tag"] as? [String: Any])?["label"] as? String == "Casino Y")
                let counterparties = body["counterparties"] as? [[String: Any]]
                #expect(counterparties?.map { $0["address"] as? String } == [Self.payee])
                #expect(
                    counterparties?.first?["sent"] as? String == "18000" && counterparties?.first?["received"] as? String == "0"
                        && counterparties?.first?["transactions"] as? Int == 1)
                #expect(((counterparties?.first?["tags"] as? [[String: Any]])?.first)?["label"] as? String == "Exchange X")
                #expect(body["complete"] as? Bool == true && body["members_read"] as? Int == 2 && body["transactions_read"] as? Int == 1)
            }
            var payeeEntity = ""
            try await client.execute(uri: "/api/v1/addresses/\(Self.payee)", method: .get, headers: headers) { response in
                payeeEntity = (json(response.body)["entity"] as? [String: Any])?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/entities/\(payeeEntity)", method: .get, headers: headers) { response in
                let body = json(response.body)
                #expect(body["category"] as? String == "exchange")
                // Paid 18,000 by two payers who put in 10,000 each: 9,000 from each; paid 9,000 on.
                let flows = Dictionary(
                    uniqueKeysWithValues: ((body["counterparties"] as? [[String: Any]]) ?? []).map {
                        ($0["address"] as? String ?? "", "\($0["received"] as? String ?? "")/\($0["sent"] as? String ?? "")")
                    })
                #expect(flows == [Self.payer: "9000/0", Self.coPayer: "9000/0", Self.next: "0/9000"], "\(flows)")
            }
            try await client.execute(uri: "/api/v1/paths?from=\(Self.coPayer)&to=\(Self.next)", method: .get, headers: headers) {
                response in
                let body = json(response.body)
                #expect(response.status == .ok && body["found"] as? Bool == true && body["max_depth"] as? Int == 7)
                let hops = body["hops"] as? [[String: Any]]
                #expect(hops?.map { $0["txid"] as? String } == [paid.txid, passedOn.txid])
                #expect(hops?.map { $0["to"] as? String } == [Self.payee, Self.next])
            }
            try await client.execute(
                uri: "/api/v1/paths?from=\(entity)&to=\(Self.next)&over=entities", method: .get, headers: headers
            ) { response in
                let body = json(response.body)
                #expect(response.status == .ok && body["found"] as? Bool == true && body["over"] as? String == "entities")
                let hops = body["hops"] as? [[String: Any]]
                #expect(
                    hops?.map { "\($0["from"] as? String ?? "")>\($0["to"] as? String ?? "")" } == [
                        "\(entity)>\(payeeEntity)", "\(payeeEntity)>\(Self.next)",
                    ])
                #expect(hops?.map { $0["from_address"] as? String } == [Self.payer, Self.payee])
                #expect(hops?.map { $0["to_address"] as? String } == [Self.payee, Self.next])
            }
            try await client.execute(
                uri: "/api/v1/paths?from=\(Self.coPayer)&to=\(payeeEntity)&over=entities", method: .get, headers: headers
            ) { response in
                let body = json(response.body)
                #expect(body["from"] as? String == entity, "an address stands for its entity")
                #expect((body["hops"] as? [[String: Any]])?.map { $0["txid"] as? String } == [paid.txid])
            }
            try await client.execute(uri: "/api/v1/paths?from=\(Self.next)&to=\(Self.payer)", method: .get, headers: headers) { response in
                let body = json(response.body)
                #expect(response.status == .ok && body["found"] as? Bool == false && body["hops"] == nil, "funds do not flow back")
            }
            for (uri, status, code) in [
                ("/api/v1/paths?to=\(Self.next)", HTTPResponse.Status.badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=\(Self.payer)&to=nope", .badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=\(Self.payer)&to=\(Self.next)&max_depth=8", .badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=\(Self.payer)&to=\(Self.next)&max_degree=0", .badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=\(Self.payer)&to=\(Self.next)&over=graphs", .badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=entity:x&to=\(Self.next)&over=entities", .badRequest, "invalid_parameter"),
                ("/api/v1/paths?from=entity:999999&to=\(Self.next)&over=entities", .notFound, "not_found"),
                ("/api/v1/paths?from=entity:1&to=\(Self.next)", .badRequest, "invalid_parameter"),
                ("/api/v1/addresses/not-an-address", .badRequest, "invalid_address"),
                ("/api/v1/addresses/\(Self.payee)?chain=ethereum", .badRequest, "invalid_address"),
                ("/api/v1/addresses/\(Self.unseen)", .notFound, "not_found"),
                ("/api/v1/entities/entity:x", .badRequest, "invalid_entity"),
                ("/api/v1/entities/999999", .notFound, "not_found"),
            ] {
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(json(response.body)["code"] as? String == code, "\(uri): \(json(response.body))")
                }
            }
        }
    }
}
