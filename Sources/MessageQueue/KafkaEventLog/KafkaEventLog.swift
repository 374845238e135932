#if Kafka
    import CKafka
    import CSICCore
    import DurableFiles
    import EventLog
    import Foundation
    import Synchronization

    /// How ``KafkaEventLog`` reaches and uses a cluster.
    public struct KafkaLogOptions: Sendable {
        public var settings: KafkaSettings
        /// Creates a topic on a cluster that answers no CreateTopics request (librdkafka's mock cluster, whose
        /// topics its owner creates); `nil` uses the Admin API, as on a real cluster.
        public var createTopic: (@Sendable (_ name: String, _ partitions: Int32) async throws -> Void)?
        /// Groups ``KafkaEventLog/groupNames()`` also looks for (those with committed offsets are reported) when
        /// the cluster cannot list its groups (the mock cluster answers no ListGroups): the platform's engines.
        public var knownGroups: [String]

        public init(
            settings: KafkaSettings, createTopic: (@Sendable (_ name: String, _ partitions: Int32) async throws -> Void)? = nil,
            knownGroups: [String] = []
        ) {
            self.settings = settings
            self.createTopic = createTopic
            self.knownGroups = knownGroups
        }
    }

    /// The event log on an Apache Kafka cluster (`log.backend: kafka`), through librdkafka.
    ///
    /// Appends go through an idempotent producer and return after every delivery report (`acks=all`); keys are
    /// placed with murmur2 like the embedded log. Reads of a partition at an offset use a consumer outside any
    /// group. Engines consume through ``KafkaGroupConsumer`` (``consumer(group:topics:)``): Kafka consumer groups,
    /// cooperative rebalancing, offsets committed after effects are durable. Retention is the brokers' own
    /// (`retention.ms` / `retention.bytes` set on the topics CSIC creates).
    public final class KafkaEventLog: EventLog {
        private let options: KafkaLogOptions
        private let producer: KafkaProducer
        private let reader: KafkaPartitionReader
        private let partitionCounts = Mutex<[String: Int32]>([:])
        private let groupClients = Mutex<[String: KafkaClient]>([:])
        private let committedGroups = Mutex<Set<String>>([])
        private let closed = Atomic<Bool>(false)

        /// A mock cluster this log stops when it closes (a benchmark's own).
        private let ownedCluster: KafkaMockCluster?

        public init(options: KafkaLogOptions, stopping ownedCluster: KafkaMockCluster? = nil) throws {
            try options.settings.validate()
            self.options = options
            self.ownedCluster = ownedCluster
            let provenance = "\(options.settings.clientID)@\(ProcessInfo.processInfo.hostName)/\(getpid())"
            producer = try KafkaProducer(settings: options.settings, provenance: provenance)
            reader = try KafkaPartitionReader(settings: options.settings)
        }

        public var settings: KafkaSettings { options.settings }

        public func createTopic(_ name: String, configuration: TopicConfiguration) async throws {
            try checkOpen()
            guard TopicConfiguration.isValidName(name), configuration.partitions > 0 else { throw EventLogError.invalidTopicName(name) }
            if try await partitions(of: name, refresh: true) != nil { return }
            if let createTopic = options.createTopic {
                try await createTopic(name, configuration.partitions)
            } else {
                let (client, replication) = (producer.handle, options.settings.replicationFactor)
                try await BlockingIO.run { try KafkaAdmin.createTopic(name, configuration, replication: replication, client: client) }
            }
            var backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(500))
            for _ in 0..<60 where try await partitions(of: name, refresh: true) == nil { try await Task.sleep(for: backoff.next()) }
            guard try await partitions(of: name, refresh: false) != nil else {
                throw EventLogError.unavailable(operation: "kafka create topic \(name)", reason: "the topic did not appear in the metadata")
            }
        }

        public func topicNames() async throws -> [String] {
            try checkOpen()
            return try await refreshTopics().keys.sorted()
        }

        public func describe(topic: String) async throws -> [PartitionStatus] {
            try checkOpen()
            guard let count = try await partitions(of: topic, refresh: true) else { throw EventLogError.unknownTopic(topic) }
            let client = reader.kafka
            return try await BlockingIO.run {
                try (0..<count).map { partition in
                    let (low, high) = try client.watermarks(TopicPartition(topic: topic, partition: partition))
                    // Kafka tells clients no partition sizes (DescribeLogDirs is a broker-admin call): -1, unknown.
                    return PartitionStatus(partition: partition, startOffset: low, endOffset: high, sizeBytes: -1)
                }
            }
        }

        public func append(topic: String, records: [ProducerRecord]) async throws -> [RecordPosition] {
            try checkOpen()
            guard let count = try await partitions(of: topic, refresh: false) else { throw EventLogError.unknownTopic(topic) }
            return try await producer.append(topic: topic, partitions: count, records: records)
        }

        public func read(_ partition: TopicPartition, from offset: Int64, maxRecords: Int, maxBytes: Int) async throws -> [LogRecord] {
            try checkOpen()
            guard let count = try await partitions(of: partition.topic, refresh: false) else {
                throw EventLogError.unknownTopic(partition.topic)
            }
            guard (0..<count).contains(partition.partition) else { throw EventLogError.unknownPartition(partition) }
            let reader = self.reader
            return try await BlockingIO.run { try reader.read(partition, from: offset, maxRecords: maxRecords, maxBytes: maxBytes) }
        }

        public func committedOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
            try checkOpen()
            guard let count = try await partitions(of: topic, refresh: false) else { return [:] }
            let client = try groupClient(group)
            let wanted = Dictionary(uniqueKeysWithValues: (0..<count).map { (TopicPartition(topic: topic, partition: $0), Int64(-1)) })
            return try await BlockingIO.run {
                let list = KafkaPartitionList(wanted)
                let error = rd_kafka_committed(client.handle, list.list, client.timeoutMilliseconds)
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaClient.failure("kafka committed offsets of \(group)", error) }
                return Dictionary(uniqueKeysWithValues: list.offsets.filter { $0.value >= 0 }.map { ($0.key.partition, $0.value) })
            }
        }

        /// Commits as a consumer outside the group's membership (Kafka accepts it only while the group has no
        /// active members; engines commit through their ``KafkaGroupConsumer``).
        public func commit(group: String, offsets: [TopicPartition: Int64]) async throws {
            try checkOpen()
            guard TopicConfiguration.isValidName(group) else { throw EventLogError.invalidTopicName(group) }
            guard !offsets.isEmpty else { return }
            let client = try groupClient(group)
            try await BlockingIO.run {
                let list = KafkaPartitionList(offsets)
                let error = rd_kafka_commit(client.handle, list.list, 0)
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaClient.failure("kafka commit of \(group)", error) }
                if let error = list.firstError { throw KafkaClient.failure("kafka commit of \(group)", error) }
            }
            committedGroups.withLock { _ = $0.insert(group) }
        }

        public func groupNames() async throws -> [String] {
            try checkOpen()
            var names = committedGroups.withLock { $0 }
            let client = producer.handle
            if let listed = try? await BlockingIO.run({ try KafkaAdmin.listGroups(client: client) }) {
                names.formUnion(listed)
            } else {
                let topics = try await topicNames()
                for group in options.knownGroups where !names.contains(group) {
                    for topic in topics where try await !committedOffsets(group: group, topic: topic).isEmpty {
                        names.insert(group)
                        break
                    }
                }
            }
            return names.sorted()
        }

        /// The brokers apply retention themselves; nothing to do here.
        public func enforceRetention(now: Timestamp) async throws -> RetentionReport {
            try checkOpen()
            return RetentionReport()
        }

        public func damage() async -> [String] { [] }

        public func close() async throws {
            guard !closed.exchange(true, ordering: .relaxed) else { return }
            let groups = groupClients.withLock { clients in
                defer { clients = [:] }
                return Array(clients.values)
            }
            let reader = self.reader
            try await BlockingIO.run {
                for client in groups {
                    rd_kafka_consumer_close(client.handle)
                    client.destroy()
                }
                reader.close()
            }
            try await producer.close(timeout: .seconds(30))
            ownedCluster?.stop()
        }

        /// A consumer of `topics` in the Kafka consumer group `group` (see ``KafkaGroupConsumer``).
        public func groupConsumer(group: String, topics: [String]) async throws -> any GroupConsumer {
            try checkOpen()
            guard TopicConfiguration.isValidName(group) else { throw EventLogError.invalidTopicName(group) }
            return try KafkaGroupConsumer(log: self, group: group, topics: topics)
        }

        private func checkOpen() throws {
            if closed.load(ordering: .relaxed) { throw EventLogError.closed }
        }

        private func refreshTopics() async throws -> [String: Int32] {
            let client = reader.kafka
            let topics = try await BlockingIO.run { try client.topics() }
            partitionCounts.withLock { $0 = topics }
            return topics
        }

        private func partitions(of topic: String, refresh: Bool) async throws -> Int32? {
            if !refresh, let count = partitionCounts.withLock({ $0[topic] }) { return count }
            return try await refreshTopics()[topic]
        }

        private func groupClient(_ group: String) throws -> KafkaClient {
            try groupClients.withLock { clients in
                if let client = clients[group] { return client }
                let client = try KafkaClient(
                    RD_KAFKA_CONSUMER, settings: options.settings,
                    extra: ["group.id": group, "enable.auto.commit": "false", "allow.auto.create.topics": "false"])
                clients[group] = client
                return client
            }
        }
    }
#endif
