#if Kafka
    import CKafka
    import CSICCore
    import DurableFiles
    import EventLog
    import Synchronization

    /// A member of a Kafka consumer group (`partition.assignment.strategy=cooperative-sticky`, no auto-commit):
    /// the stream processor's ``GroupConsumer`` on `log.backend: kafka`.
    ///
    /// Partitions assigned by a rebalance are taken at once, from the group's committed offsets. Partitions
    /// revoked are kept until the processor has committed the batch in flight (``revocationPending``, then
    /// ``finishRevocation()``), so the member taking them over starts exactly after the last durable batch.
    /// Partitions *lost* (this member was thrown out of the group) are dropped at once; the commit of a batch in
    /// flight then fails quietly and its records are processed again by their new owner (effects are idempotent).
    public final class KafkaGroupConsumer: GroupConsumer, @unchecked Sendable {
        public let group: String
        private let topics: [String]
        private let client: KafkaClient
        private let log: KafkaEventLog
        private let membership: Membership
        private let opaque: Unmanaged<Membership>

        init(log: KafkaEventLog, group: String, topics: [String]) throws {
            self.log = log
            self.group = group
            self.topics = topics
            let membership = Membership()
            self.membership = membership
            opaque = Unmanaged.passRetained(membership)
            let opaque = self.opaque
            client = try KafkaClient(
                RD_KAFKA_CONSUMER, settings: log.settings,
                extra: [
                    "group.id": group, "enable.auto.commit": "false", "enable.auto.offset.store": "false",
                    "auto.offset.reset": "earliest", "partition.assignment.strategy": "cooperative-sticky",
                    "allow.auto.create.topics": "false", "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000",
                ],
                prepare: { configuration in
                    rd_kafka_conf_set_opaque(configuration, opaque.toOpaque())
                    rd_kafka_conf_set_rebalance_cb(configuration, rebalance)
                })
            let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
            let error = rd_kafka_subscribe(client.handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                client.destroy()
                opaque.release()
                throw KafkaClient.failure("kafka subscribe \(group) to \(topics)", error)
            }
        }

        public var positions: [TopicPartition: Int64] { membership.state.withLock { $0.positions } }

        public var revocationPending: Bool { membership.state.withLock { !$0.revoked.isEmpty } }

        /// How often partitions were taken from this member: handed over after its last commit, or lost (this
        /// member was dropped from the group's generation; its uncommitted batch is redone by the new owner).
        public var revocations: (handedOver: Int, lost: Int) { membership.state.withLock { ($0.handedOver, $0.lost) } }

        public var skippedByRetention: Int64 { membership.state.withLock { $0.skippedByRetention } }

        /// The partitions this member holds now.
        public var assignment: Set<TopicPartition> { membership.state.withLock { $0.assigned } }

        public func poll(maxRecords: Int, maxBytes: Int, timeout: Duration) async throws -> [LogRecord] {
            if revocationPending { return [] }
            let (client, membership) = (self.client, self.membership)
            let milliseconds = Int32(min(timeout.seconds * 1000, 60_000))
            return try await BlockingIO.run {
                var records: [LogRecord] = []
                var bytes = 0
                var wait = milliseconds
                while records.count < maxRecords, bytes < maxBytes, !membership.state.withLock({ !$0.revoked.isEmpty }) {
                    guard let message = rd_kafka_consumer_poll(client.handle, wait) else { break }
                    defer { rd_kafka_message_destroy(message) }
                    wait = 0
                    guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR, let topic = message.pointee.rkt else {
                        var reason = [CChar](repeating: 0, count: 512)
                        if rd_kafka_fatal_error(client.handle, &reason, reason.count) != RD_KAFKA_RESP_ERR_NO_ERROR {
                            throw EventLogError.unavailable(operation: "kafka consumer", reason: KafkaClient.text(reason))
                        }
                        // Broker connection errors and the like are reported and retried by librdkafka itself.
                        continue
                    }
                    let record = KafkaRecord.logRecord(message, topic: String(cString: rd_kafka_topic_name(topic)))
                    membership.state.withLock { state in
                        let partition = record.topicPartition
                        if let expected = state.expected[partition], record.offset > expected {
                            state.skippedByRetention += record.offset - expected
                        }
                        state.expected[partition] = record.offset + 1
                        state.positions[partition] = record.offset + 1
                    }
                    bytes += record.value.count
                    records.append(record)
                }
                return records
            }
        }

        public func commit(_ offsets: [TopicPartition: Int64]) async throws {
            let owned = membership.state.withLock { state in offsets.filter { state.assigned.contains($0.key) } }
            guard !owned.isEmpty else { return }
            let (client, group, membership) = (self.client, self.group, self.membership)
            try await BlockingIO.run {
                let list = KafkaPartitionList(owned)
                let error = rd_kafka_commit(client.handle, list.list, 0)
                switch error {
                case RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR__NO_OFFSET:
                    if let failed = list.firstError, !Self.lostOwnership(failed) {
                        throw KafkaClient.failure("kafka commit of \(group)", failed)
                    }
                case _ where Self.lostOwnership(error):
                    // A rebalance is under way and this member's generation is over: nothing read from now on
                    // could be committed, so it stops fetching until the rebalance assigns partitions again; what it
                    // read since the last commit is reprocessed by the partitions' next owner.
                    membership.pauseUntilAssigned(client.handle)
                default:
                    throw KafkaClient.failure("kafka commit of \(group)", error)
                }
            }
        }

        public func finishRevocation() async throws {
            let revoked = membership.state.withLock { state in
                defer {
                    for partition in state.revoked {
                        state.assigned.remove(partition)
                        state.positions[partition] = nil
                    }
                    state.revoked = []
                    state.handedOver += 1
                }
                return state.revoked
            }
            guard !revoked.isEmpty else { return }
            let client = self.client
            try await BlockingIO.run {
                let list = KafkaPartitionList(revoked)
                if let error = rd_kafka_incremental_unassign(client.handle, list.list) {
                    defer { rd_kafka_error_destroy(error) }
                    throw EventLogError.unavailable(operation: "kafka unassign", reason: String(cString: rd_kafka_error_string(error)))
                }
            }
        }

        public func lag() async throws -> [TopicPartition: Int64] {
            let (assigned, positions) = membership.state.withLock { ($0.assigned, $0.positions) }
            let client = self.client
            return try await BlockingIO.run {
                var lag: [TopicPartition: Int64] = [:]
                for partition in assigned {
                    var (low, high): (Int64, Int64) = (0, 0)
                    // The watermarks of the last fetch: no request to the brokers.
                    guard
                        rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high)
                            == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
                    else { continue }
                    lag[partition] = max(0, high - max(positions[partition] ?? low, low))
                }
                return lag
            }
        }

        /// Leaves the group (its partitions go to the other members at once) and frees the consumer.
        public func close() async {
            let everAssigned = membership.state.withLock { state in
                state.closing = true
                return state.everAssigned
            }
            let (client, opaque) = (self.client, self.opaque)
            _ = try? await BlockingIO.run {
                rd_kafka_consumer_close(client.handle)
                // librdkafka before 2.3.0 aborts the process when a cooperative-sticky member that never got an
                // assignment is destroyed (its assignor state is still NULL: librdkafka issue 4312; Debian 12 has
                // 2.0.2). Such a member has left the group above; its handle is left to the process's end.
                guard everAssigned || Self.destroyIsSafe else { return }
                client.destroy()
                opaque.release()
            }
        }

        /// Whether this librdkafka destroys a member that never got an assignment without aborting (2.3.0 on).
        static let destroyIsSafe = rd_kafka_version() >= 0x0203_00ff

        private static func lostOwnership(_ error: rd_kafka_resp_err_t) -> Bool {
            [
                RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
            ].contains(error)
        }
    }

    /// What the rebalance callback and the consumer share.
    final class Membership: Sendable {
        struct State {
            var assigned: Set<TopicPartition> = []
            var positions: [TopicPartition: Int64] = [:]
            /// Revoked by the group, waiting for the processor's last commit.
            var revoked: Set<TopicPartition> = []
            var closing = false
            /// Whether the group has given this member an assignment (an empty one counts) since it joined.
            var everAssigned = false
            /// Revocations handed over after the last commit, and assignments lost (commits refused).
            var handedOver = 0
            var lost = 0
            /// Fetching stopped after a refused commit, until the rebalance ends.
            var paused = false
            /// The offset each partition's next record should have (the committed one at assignment, then the
            /// last read + 1); `nil` where the group has no progress yet (it starts at the earliest record kept).
            var expected: [TopicPartition: Int64] = [:]
            var skippedByRetention: Int64 = 0
        }

        let state = Mutex(State())

        /// Pauses every assigned partition until the next assignment (``resume(_:assigning:)``).
        func pauseUntilAssigned(_ handle: OpaquePointer) {
            let assigned = state.withLock { state in
                defer { state.paused = true }
                return state.assigned
            }
            let list = KafkaPartitionList(assigned)
            rd_kafka_pause_partitions(handle, list.list)
        }

        /// Resumes fetching after a rebalance (every rebalance ends with an assignment, even an empty one), and
        /// the partitions now assigned (a partition paused, lost and assigned again would stay paused).
        func resume(_ handle: OpaquePointer, assigning: Set<TopicPartition>) {
            let assigned = state.withLock { state in
                defer { state.paused = false }
                return state.paused ? state.assigned.union(assigning) : assigning
            }
            let list = KafkaPartitionList(assigned)
            rd_kafka_resume_partitions(handle, list.list)
        }
    }

    /// librdkafka's rebalance callback, run inside `rd_kafka_consumer_poll` on the polling thread.
    private func rebalance(
        _ handle: OpaquePointer?, _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        _ opaque: UnsafeMutableRawPointer?
    ) {
        guard let handle, let partitions, let opaque else { return }
        let membership = Unmanaged<Membership>.fromOpaque(opaque).takeUnretainedValue()
        let list = KafkaPartitionList(copying: partitions)
        let changed = Set(list.offsets.keys)
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            membership.resume(handle, assigning: changed)
            // Where the group's progress says each partition continues: a first record past it means the brokers'
            // retention removed records this group never read (reported, as the embedded log does).
            let committed = KafkaPartitionList(changed)
            let known = rd_kafka_committed(handle, committed.list, 5_000) == RD_KAFKA_RESP_ERR_NO_ERROR ? committed.offsets : [:]
            membership.state.withLock { state in
                state.everAssigned = true
                state.assigned.formUnion(changed)
                for partition in changed { state.expected[partition] = known[partition].flatMap { $0 >= 0 ? $0 : nil } }
            }
            rd_kafka_incremental_assign(handle, partitions).map { rd_kafka_error_destroy($0) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let immediate = membership.state.withLock { state in
                // Lost partitions cannot be committed any more, and a closing member has nothing left in flight.
                guard rd_kafka_assignment_lost(handle) == 0, !state.closing else {
                    for partition in changed {
                        state.assigned.remove(partition)
                        state.positions[partition] = nil
                    }
                    if !state.closing { state.lost += 1 }
                    return true
                }
                state.revoked.formUnion(changed)
                return false
            }
            if immediate { rd_kafka_incremental_unassign(handle, partitions).map { rd_kafka_error_destroy($0) } }
        default:
            membership.state.withLock { $0 = Membership.State(closing: $0.closing) }
            rd_kafka_assign(handle, nil)
        }
    }
#endif
