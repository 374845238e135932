#if Kafka
    import CSICCore
    import EventLog
    import KafkaEventLog
    import Synchronization
    import Testing

    /// The Kafka backend against librdkafka's mock cluster (three brokers in a helper process on loopback).
    @Suite(.enabled(if: KafkaMockCluster.helper != nil, "CSIC_TEST_KAFKA_MOCK names the mock cluster helper"), .serialized)
    struct KafkaEventLogTests {
        static func options(_ cluster: KafkaMockCluster, knownGroups: [String] = []) -> KafkaLogOptions {
            cluster.logOptions(clientID: "csic-test", knownGroups: knownGroups)
        }

        @Test func passesTheEventLogConformanceSuite() async throws {
            let cluster = try KafkaMockCluster()
            defer { cluster.stop() }
            let options = Self.options(cluster, knownGroups: ["readers"])
            try await EventLogConformance.all { try KafkaEventLog(options: options) }
            // What `csic log stats` prints on Kafka: the suite's topics and the group it committed for.
            let log = try KafkaEventLog(options: options)
            let inspection = try await LogInspection(log: log)
            let grouped = try #require(inspection.topics.first { $0.name == "grouped" })
            #expect(grouped.partitions.reduce(0) { $0 + $1.endOffset } == 90)
            #expect(inspection.groups["readers"]?.values.reduce(0, +) == 40, "the suite commits after its first 40 records")
            try await log.close()
        }

        @Test func recordsKeepTheirMicrosecondTimeAndUnknownTopicsAreNotCreated() async throws {
            let cluster = try KafkaMockCluster()
            defer { cluster.stop() }
            let log = try KafkaEventLog(options: Self.options(cluster))
            try await log.createTopic("timed", configuration: TopicConfiguration(partitions: 2))
            let time = Timestamp(microsecondsSinceEpoch: 1_780_000_000_123_456)
            let positions = try await log.append(topic: "timed", records: [ProducerRecord(key: "k", value: [7], timestamp: time)])
            let read = try await log.read(
                TopicPartition(topic: "timed", partition: positions[0].partition), from: 0, maxRecords: 10, maxBytes: 1 << 20)
            #expect(read.map(\.timestamp) == [time])
            await #expect(throws: EventLogError.unknownTopic("never-created")) {
                try await log.append(topic: "never-created", records: [ProducerRecord(key: "k", value: [])])
            }
            #expect(try await !log.topicNames().contains("never-created"))
            #expect(try await log.describe(topic: "timed").map(\.sizeBytes) == [-1, -1])
            try await log.close()
        }

        /// Two members of one group: the second joins while the first is consuming and takes half the partitions.
        /// The first gives them up either after committing what it read (handed over) or, when the cluster throws
        /// it out of the generation (librdkafka's mock cluster refuses a commit during the rebalance with
        /// ILLEGAL_GENERATION, so there it is always this), abandoning its uncommitted batch to the new owner:
        /// every record is consumed, at most the batches in flight twice, and the committed offsets reach the end.
        @Test func aRebalanceMovesPartitionsWithoutLosingRecords() async throws {
            let cluster = try KafkaMockCluster()
            defer { cluster.stop() }
            let log = try KafkaEventLog(options: Self.options(cluster))
            try await log.createTopic("shared", configuration: TopicConfiguration(partitions: 6))
            let total = 3_000
            _ = try await log.append(
                topic: "shared", records: (0..<total).map { ProducerRecord(key: "k\($0)", value: Array("\($0)".utf8)) })
            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.member("first", log: log, total: total, tally: tally) }
                // The second joins once the first is consuming (the group's first generation is then over).
                while tally.seen.withLock({ $0.count }) < 300 { try await Task.sleep(for: .milliseconds(50)) }
                group.addTask { try await Self.member("second", log: log, total: total, tally: tally) }
                try await group.waitForAll()
            }
            let counts = tally.seen.withLock { $0 }
            #expect(counts.count == total)
            let twice = counts.values.reduce(0) { $0 + $1 - 1 }
            let (first, second) = tally.members.withLock { ($0["first"]!, $0["second"]!) }
            #expect(first.revocations.handedOver + first.revocations.lost >= 1, "the first member gave partitions up")
            #expect(!second.assigned.isEmpty, "the second member got partitions")
            // At most the batches in flight at the revocation (10 records each, one per revoked partition's poll).
            #expect(twice <= 6 * 10, "records consumed twice: \(twice)")
            let committed = try await log.committedOffsets(group: "sharers", topic: "shared")
            let ends = try await log.describe(topic: "shared")
            #expect(ends.allSatisfy { committed[$0.partition] == $0.endOffset }, "committed \(committed)")
            try await log.close()
        }

        /// What the members of the rebalance test saw.
        final class Tally: Sendable {
            struct Member: Sendable {
                var revocations: (handedOver: Int, lost: Int) = (0, 0)
                var assigned: Set<TopicPartition> = []
            }

            let seen = Mutex<[String: Int]>([:])
            let members = Mutex<[String: Member]>([:])
        }

        /// A stream processor's loop in small: poll, "apply", commit; give revoked partitions up after the commit.
        static func member(_ name: String, log: KafkaEventLog, total: Int, tally: Tally) async throws {
            var consumer = try await log.groupConsumer(group: "sharers", topics: ["shared"])
            let kafka = try #require(consumer as? KafkaGroupConsumer)
            var everAssigned: Set<TopicPartition> = []
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(90))
            while tally.seen.withLock({ $0.count }) < total, clock.now < deadline {
                let batch = try await consumer.poll(maxRecords: 10, timeout: .milliseconds(200))
                tally.seen.withLock { seen in for record in batch { seen[String(decoding: record.value, as: UTF8.self), default: 0] += 1 } }
                try await consumer.commit(consumer.positions)
                everAssigned.formUnion(kafka.assignment)
                if consumer.revocationPending { try await consumer.finishRevocation() }
                // Slow enough that the second member joins while the first still has most of the records.
                try await Task.sleep(for: .milliseconds(20))
            }
            tally.members.withLock { $0[name] = Tally.Member(revocations: kafka.revocations, assigned: everAssigned) }
            await consumer.close()
        }

        /// Polls `consumer` until `enough` holds for what it read, or 30 s pass; returns what it read.
        static func poll(
            _ consumer: inout some GroupConsumer, until enough: ([LogRecord]) -> Bool
        ) async throws -> [LogRecord] {
            var records: [LogRecord] = []
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(30))
            while !enough(records), clock.now < deadline {
                records += try await consumer.poll(maxRecords: 500, timeout: .milliseconds(500))
            }
            return records
        }

        /// Records the brokers removed (retention) before the group read them are counted, not passed over in
        /// silence: the mock cluster keeps 5 MiB (of compressed batches) per partition.
        @Test func recordsRemovedBeforeTheGroupReadThemAreCounted() async throws {
            let cluster = try KafkaMockCluster()
            defer { cluster.stop() }
            let log = try KafkaEventLog(options: Self.options(cluster))
            try await log.createTopic("short-lived", configuration: TopicConfiguration(partitions: 1))
            // Random bytes: the producer compresses (lz4), and the mock counts stored, compressed bytes.
            var generator = SystemRandomNumberGenerator()
            let payload = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try await log.append(topic: "short-lived", records: (0..<10).map { ProducerRecord(key: "k\($0)", value: payload) })
            var first = try await log.groupConsumer(group: "late", topics: ["short-lived"])
            _ = try await Self.poll(&first) { $0.count >= 10 }
            try await first.commit(first.positions)
            await first.close()
            for _ in 0..<10 {
                _ = try await log.append(topic: "short-lived", records: (0..<10).map { ProducerRecord(key: "k\($0)", value: payload) })
            }
            let start = try await log.describe(topic: "short-lived")[0].startOffset
            #expect(start > 10, "the mock removed the oldest records (start offset \(start))")
            var second = try await log.groupConsumer(group: "late", topics: ["short-lived"])
            let records = try await Self.poll(&second) { !$0.isEmpty }
            #expect(records.first?.offset == start)
            #expect(second.skippedByRetention == start - 10)
            await second.close()
            try await log.close()
        }

        /// A broker stops while records are appended and comes back: the appends wait and complete, nothing is
        /// lost or written twice (the idempotent producer), and a group consumer reads everything.
        @Test func aBrokerThatGoesDownAndComesBackLosesNothing() async throws {
            let cluster = try KafkaMockCluster()
            defer { cluster.stop() }
            let log = try KafkaEventLog(options: Self.options(cluster))
            try await log.createTopic("survives", configuration: TopicConfiguration(partitions: 3))
            _ = try await log.append(
                topic: "survives", records: (0..<100).map { ProducerRecord(key: "k\($0)", value: Array("\($0)".utf8)) })
            try cluster.brokerDown(1)
            let appending = Task {
                for batch in 1..<10 {
                    _ = try await log.append(
                        topic: "survives",
                        records: (0..<100).map { ProducerRecord(key: "k\($0)", value: Array("\(batch * 100 + $0)".utf8)) })
                }
            }
            try await Task.sleep(for: .seconds(3))
            try cluster.brokerUp(1)
            try await appending.value
            var values: [String] = []
            for status in try await log.describe(topic: "survives") {
                let read = try await log.read(
                    TopicPartition(topic: "survives", partition: status.partition), from: 0, maxRecords: 10_000, maxBytes: 8 << 20)
                #expect(read.map(\.offset) == Array(0..<Int64(read.count)))
                values += read.map { String(decoding: $0.value, as: UTF8.self) }
            }
            #expect(values.count == 1_000)
            #expect(Set(values).count == 1_000)
            var consumer = try await log.groupConsumer(group: "after-outage", topics: ["survives"])
            let consumed = try await Self.poll(&consumer) { $0.count >= 1_000 }
            #expect(consumed.count == 1_000)
            await consumer.close()
            try await log.close()
        }
    }
#endif
