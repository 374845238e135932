import CSICCore
@testable import CSICPlatform
import EventLog
import Foundation
import CSICTestSupport
import Testing

@Suite struct ConfigurationLoaderTests {
    func write(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "csic-config-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsYAMLWithEnvironmentOverrides() async throws {
        let path = try write(
            """
            data_dir: /var/lib/csic
            roles: [process, api]
            http: { host: 0.0.0.0, port: 8081 }
            log: { partitions: 8, fsync: "5", retention_days: 90, retention_bytes_per_partition: 1073741824 }
            store: { durability: normal }
            simulator: { enabled: true, seed: 42, count: 1000, rate: 50.5 }
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try await ConfigurationLoader.load(
            file: path, environment: ["CSIC_HTTP_PORT": "9000", "CSIC_LOG_PARTITIONS": "3"])
        #expect(configuration.dataDirectory == "/var/lib/csic")
        #expect(configuration.roles == [.process, .api])
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9000)
        #expect(configuration.logPartitions == 3)
        #expect(configuration.logFsync == "5")
        #expect(configuration.logRetentionDays == 90)
        #expect(configuration.logRetentionBytesPerPartition == 1 << 30)
        #expect(configuration.storeDurability == "normal")
        let simulator = try #require(configuration.component(SimulatorComponent.self))
        #expect(simulator.enabled)
        #expect(simulator.seed == 42)
        #expect(simulator.count == 1000)
        #expect(simulator.rate == 50.5)
    }

    @Test func readsTheKafkaSettingsAndKeepsTheSASLPasswordSecret() async throws {
        let path = try write(
            """
            log:
              backend: kafka
              kafka:
                bootstrap_servers: "k1:9093,k2:9093"
                client_id: csic-prod
                replication_factor: 2
                properties: [security.protocol=SASL_SSL, sasl.mechanisms=SCRAM-SHA-512, sasl.username=csic, ssl.ca.location=/etc/ca.pem]
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try await ConfigurationLoader.load(file: path, environment: ["CSIC_LOG_KAFKA_SASL_PASSWORD": "kafka-s3cret"])
        let kafka = loaded.platform.logKafka
        #expect(loaded.platform.logBackend == .kafka)
        #expect(kafka.bootstrapServers == "k1:9093,k2:9093")
        #expect(kafka.clientID == "csic-prod")
        #expect(kafka.replicationFactor == 2)
        #expect(kafka.properties["security.protocol"] == "SASL_SSL")
        #expect(kafka.properties["ssl.ca.location"] == "/etc/ca.pem")
        #expect(kafka.saslPassword == "kafka-s3cret")
        let record = ConfigurationAudit.record(loaded.platform, components: loaded.components)
        #expect(record.details["log.kafka.sasl_password"] == "(redacted)")
        #expect(record.details["log.kafka.properties.sasl.username"] == "csic")
        #expect(!record.details.values.contains { $0.contains("kafka-s3cret") }, "the password is in no audit detail")

        let inProperties = try write("log: { backend: kafka, kafka: { properties: [sasl.password=oops] } }")
        defer { try? FileManager.default.removeItem(atPath: inProperties) }
        await #expect(throws: ValidationError.self, "a password among the passed-through properties is refused") {
            _ = try await ConfigurationLoader.load(file: inProperties, environment: [:])
        }
        let malformed = try write("log: { backend: kafka, kafka: { properties: [no-equals-sign] } }")
        defer { try? FileManager.default.removeItem(atPath: malformed) }
        await #expect(throws: ValidationError.self) { _ = try await ConfigurationLoader.load(file: malformed, environment: [:]) }
    }

    @Test func readsRetentionAndRefusesToShortenTheAuditTrail() async throws {
        let path = try write("retention: { transactions: 10y, dead_letters: 365d, check_hours: 6 }")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try await ConfigurationLoader.load(file: path, environment: [:])
        let retention = try #require(configuration.component(RetentionComponent.self))
        #expect(retention.retention[.transactions] == .years(10))
        #expect(retention.retention[.deadLetters] == .days(365))
        #expect(retention.retention[.alerts] == .years(7))
        #expect(retention.retention[.audit] == .permanent)
        #expect(retention.checkHours == 6)
        for (key, value, message) in [("retention.audit", "7y", "kept permanently"), ("retention.alerts", "seven", "not a period")] {
            let bad = try write("\(key.replacingOccurrences(of: "retention.", with: "retention: { ")): \(value) }")
            defer { try? FileManager.default.removeItem(atPath: bad) }
            await #expect { try await ConfigurationLoader.load(file: bad, environment: [:]) } throws: { error in
                (error as? ValidationError)?.field == key && "\(error)".contains(message)
            }
        }
    }

    @Test func readsTheBitcoinAdapter() async throws {
        let path = try write(
            """
            bitcoin: { rpc_urls: ["http://10.0.0.1:8332/", "http://10.0.0.2:8332/"], rpc_cookie_file: /var/lib/bitcoind/.cookie,
                       network: signet, start_height: 200000, confirmations: 6, poll_seconds: 0.5, zmq_block: "tcp://10.0.0.1:28332",
                       dead_letter_max_bytes: 65536 }
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try await ConfigurationLoader.load(file: path, environment: ["CSIC_BITCOIN_RPC_USER": "auditor"])
        let bitcoin = try #require(configuration.component(BitcoinComponent.self))
        #expect(bitcoin.rpcURLs == ["http://10.0.0.1:8332/", "http://10.0.0.2:8332/"])
        #expect(bitcoin.rpcCookieFile == "/var/lib/bitcoind/.cookie")
        #expect(bitcoin.rpcUser == "auditor")
        #expect(bitcoin.network == "signet")
        #expect(bitcoin.startHeight == 200_000 && bitcoin.confirmations == 6)
        #expect(bitcoin.pollSeconds == 0.5)
        #expect(bitcoin.zmqBlock == "tcp://10.0.0.1:28332")
        #expect(bitcoin.deadLetterMaxBytes == 65_536)
    }

    @Test func readsTheEthereumAdapterAndPerNodeCredentials() async throws {
        let path = try write(
            """
            bitcoin: { rpc_urls: ["http://alice:one@10.0.0.1:8332/", "http://bob:two@10.0.0.2:8332/"], network: mainnet }
            ethereum: { rpc_urls: ["http://10.0.0.3:8545/", "https://eth.example.org/rpc"], ws_url: "ws://10.0.0.3:8546/", chain_id: 1,
                        start_height: 21000000, confirmations: 12, poll_seconds: 1.5 }
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try await ConfigurationLoader.load(file: path, environment: [:])
        let bitcoin = try #require(configuration.component(BitcoinComponent.self))
        let ethereum = try #require(configuration.component(EthereumComponent.self))
        #expect(bitcoin.rpcUser == nil, "every Bitcoin URL carries its own credentials")
        #expect(ethereum.rpcURLs == ["http://10.0.0.3:8545/", "https://eth.example.org/rpc"])
        #expect(ethereum.webSocketURL == "ws://10.0.0.3:8546/")
        #expect(ethereum.chainID == 1)
        #expect(ethereum.startHeight == 21_000_000 && ethereum.confirmations == 12)
        #expect(ethereum.pollSeconds == 1.5)
        #expect(ethereum.deadLetterMaxBytes == 1 << 20, "the default")
    }

    @Test func defaultsWithoutAFile() async throws {
        let configuration = try await ConfigurationLoader.load(file: nil, environment: [:])
        #expect(configuration.platform == PlatformConfiguration())
    }

    @Test(arguments: [
        "log: { partitions: 0 }",
        "roles: [ingest, everything]",
        "log: { backend: rabbitmq }",
        "store: { durability: sometimes }",
        "http: { port: 70000 }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"] }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"], rpc_user: u, network: dogecoin }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"], rpc_user: u, confirmations: 0 }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"], rpc_user: u, zmq_block: \"udp://1.2.3.4\" }",
        "bitcoin: { rpc_urls: [\"http://alice:one@10.0.0.1:8332/\", \"http://10.0.0.2:8332/\"] }",
        "bitcoin: { rpc_urls: [\"10.0.0.1:8332\"], rpc_user: u }",
        "ethereum: { rpc_urls: [\"ws://127.0.0.1:8546/\"] }",
        "ethereum: { rpc_urls: [\"http://127.0.0.1:8545/\"], ws_url: \"http://127.0.0.1:8546/\" }",
        "ethereum: { rpc_urls: [\"http://127.0.0.1:8545/\"], confirmations: 0 }",
        // Values that once reached `Duration.seconds` or an Int64 product unchecked and trapped at start.
        "audit: { checkpoint_seconds: 1e300 }",
        "audit: { checkpoint_seconds: .inf }",
        "audit: { checkpoint_seconds: .nan }",
        "audit: { segment_entries: 0 }",
        "simulator: { rate: 1e-300 }",
        "retention: { check_hours: 1e18 }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"], rpc_user: u, poll_seconds: -1 }",
        "ethereum: { rpc_urls: [\"http://127.0.0.1:8545/\"], poll_seconds: 1e20 }",
        "log: { retention_days: 9223372036854775807 }",
        "ethereum: { rpc_urls: [\"http://127.0.0.1:8545/\"], dead_letter_max_bytes: 8388608 }",
        "bitcoin: { rpc_urls: [\"http://127.0.0.1:8332/\"], rpc_user: u, dead_letter_max_bytes: 10 }",
        "store: { backend: postgres, postgres: { statement_timeout_seconds: 0 } }",
        "store: { backend: postgres, postgres: { statement_timeout_seconds: 86400 } }",
    ])
    func rejectsBadValues(_ yaml: String) async throws {
        let path = try write(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect(throws: ValidationError.self) { _ = try await ConfigurationLoader.load(file: path, environment: [:]) }
    }

    @Test func missingFileIsAnError() async {
        await #expect(throws: (any Error).self) { _ = try await ConfigurationLoader.load(file: "/nonexistent/csic.yaml", environment: [:]) }
    }
}

@Suite struct LogStatsReportTests {
    @Test func listsPartitionsAndGroupLag() async throws {
        let temporary = try TemporaryDirectory()
        let directory = temporary.path
        let log = try EmbeddedEventLog(directory: directory)
        try await log.createTopic("transactions", configuration: TopicConfiguration(partitions: 2))
        _ = try await log.append(topic: "transactions", records: (0..<10).map { ProducerRecord(key: "k\($0)", value: [1]) })
        try await log.commit(group: "transaction-engine", offsets: [TopicPartition(topic: "transactions", partition: 0): 2])
        let report = LogStatsReport(try LogInspection(directory: directory)).text
        #expect(report.contains("transactions"))
        let groupLine = try #require(report.split(separator: "\n").first { $0.hasPrefix("transaction-engine") })
        // Partition 0 committed at 2, partition 1 never committed (counts from its start, 0).
        #expect(groupLine.split(separator: " ") == ["transaction-engine", "transactions", "2", "10", "8"])
        try await log.close()
    }
}
