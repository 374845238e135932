#if Kafka
    import CKafka
    import CSICCore
    import EventLog

    /// A librdkafka client handle (`rd_kafka_t`) and the calls CSIC makes on it. Every call here may block on the
    /// network: callers run them on `BlockingIO`, never on the Swift concurrency pool.
    final class KafkaClient: @unchecked Sendable {
        /// The `rd_kafka_t`; destroyed by ``destroy()``.
        let handle: OpaquePointer
        /// How long a metadata or offsets request may take.
        let timeoutMilliseconds: Int32

        /// Creates a producer or consumer with the settings' properties plus `extra` (which win).
        init(
            _ type: rd_kafka_type_t, settings: KafkaSettings, extra: [String: String], timeoutMilliseconds: Int32 = 10_000,
            prepare: (OpaquePointer) -> Void = { _ in }
        ) throws(EventLogError) {
            let configuration = rd_kafka_conf_new()!
            var properties = settings.properties
            properties["bootstrap.servers"] = settings.bootstrapServers
            properties["client.id"] = settings.clientID
            if let password = settings.saslPassword { properties["sasl.password"] = password }
            properties.merge(extra) { _, new in new }
            var errorText = [CChar](repeating: 0, count: 512)
            for (key, value) in properties.sorted(by: { $0.key < $1.key })
            where rd_kafka_conf_set(configuration, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(configuration)
                // The value is not repeated: it may be a secret.
                throw .unavailable(operation: "kafka setting \(key)", reason: KafkaClient.text(errorText))
            }
            prepare(configuration)
            guard let handle = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
                rd_kafka_conf_destroy(configuration)
                throw .unavailable(operation: "kafka client", reason: KafkaClient.text(errorText))
            }
            self.handle = handle
            self.timeoutMilliseconds = timeoutMilliseconds
        }

        /// Every topic of the cluster and its partition count (internal topics, `__*`, left out).
        func topics() throws(EventLogError) -> [String: Int32] {
            try metadata(allTopics: true) { metadata in
                var topics: [String: Int32] = [:]
                for index in 0..<Int(metadata.topic_cnt) {
                    let topic = metadata.topics[index]
                    let name = String(cString: topic.topic)
                    guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, !name.hasPrefix("__") else { continue }
                    topics[name] = topic.partition_cnt
                }
                return topics
            }
        }

        /// Asks the cluster for its metadata (every topic's when `allTopics`, else the brokers' only) and reads it
        /// with `read` before it is freed.
        func metadata<Result>(allTopics: Bool, _ read: (rd_kafka_metadata) -> Result) throws(EventLogError) -> Result {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle, allTopics ? 1 : 0, nil, &metadata, timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw Self.failure("kafka metadata", error) }
            defer { rd_kafka_metadata_destroy(metadata) }
            return read(metadata.pointee)
        }

        /// The first offset held and the offset the next record will get.
        func watermarks(_ partition: TopicPartition) throws(EventLogError) -> (low: Int64, high: Int64) {
            var (low, high): (Int64, Int64) = (0, 0)
            let error = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Self.failure("kafka offsets of \(partition)", error) }
            return (low, high)
        }

        /// Waits for queued messages to be delivered, then frees the handle.
        func destroy() {
            rd_kafka_destroy(handle)
        }

        /// The text librdkafka wrote into an error buffer.
        static func text(_ buffer: [CChar]) -> String {
            buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }

        static func failure(_ operation: String, _ error: rd_kafka_resp_err_t) -> EventLogError {
            .unavailable(operation: operation, reason: String(cString: rd_kafka_err2str(error)))
        }
    }

    /// A `rd_kafka_topic_partition_list_t` built from Swift values, freed on deinit.
    final class KafkaPartitionList {
        let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

        init(_ offsets: [TopicPartition: Int64]) {
            list = rd_kafka_topic_partition_list_new(Int32(max(offsets.count, 1)))
            for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
                rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
            }
        }

        /// A list of `partitions` with no offsets (`RD_KAFKA_OFFSET_INVALID`).
        convenience init(_ partitions: some Collection<TopicPartition>) {
            self.init(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) }))
        }

        init(copying list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
            self.list = rd_kafka_topic_partition_list_copy(list)
        }

        /// The entries with their offsets (`RD_KAFKA_OFFSET_INVALID`, -1001, when none is stored).
        var offsets: [TopicPartition: Int64] {
            var offsets: [TopicPartition: Int64] = [:]
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[index]
                offsets[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
            return offsets
        }

        /// The first per-partition error, if any.
        var firstError: rd_kafka_resp_err_t? {
            (0..<Int(list.pointee.cnt)).lazy.map { self.list.pointee.elems[$0].err }.first { $0 != RD_KAFKA_RESP_ERR_NO_ERROR }
        }

        deinit { rd_kafka_topic_partition_list_destroy(list) }
    }
#endif
