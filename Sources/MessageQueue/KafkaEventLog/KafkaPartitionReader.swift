#if Kafka
    import CKafka
    import CSICCore
    import EventLog
    import Synchronization

    /// Random-access reads of partitions (``EventLog/read(_:from:maxRecords:maxBytes:)``) through one consumer
    /// that is not in any group: each partition read is assigned once and consumed from its own queue; a read
    /// that does not continue the previous one seeks. Calls block: run them on `BlockingIO`.
    final class KafkaPartitionReader: Sendable {
        private struct Assigned {
            let queue: OpaquePointer
            /// The offset the queue delivers next.
            var next: Int64
        }

        private let client: KafkaClient
        private let assigned = Mutex<[TopicPartition: Assigned]>([:])
        /// How long a read waits for records the watermarks say exist.
        private let fetchTimeoutMilliseconds: Int32 = 30_000

        init(settings: KafkaSettings) throws(EventLogError) {
            client = try KafkaClient(
                RD_KAFKA_CONSUMER, settings: settings,
                extra: [
                    "group.id": "csic-reader", "enable.auto.commit": "false", "enable.auto.offset.store": "false",
                    "auto.offset.reset": "error", "allow.auto.create.topics": "false",
                ])
        }

        var kafka: KafkaClient { client }

        /// Up to `maxRecords` records from `offset`; `[]` at the end; out of range below the start or past the end.
        func read(_ partition: TopicPartition, from offset: Int64, maxRecords: Int, maxBytes: Int) throws -> [LogRecord] {
            let (low, high) = try client.watermarks(partition)
            guard offset >= low, offset <= high else {
                throw EventLogError.offsetOutOfRange(partition, requested: offset, start: low, end: high)
            }
            guard offset < high, maxRecords > 0 else { return [] }
            return try assigned.withLock { assigned in
                var state = try assigned[partition] ?? assign(partition, at: offset)
                defer { assigned[partition] = state }
                if state.next != offset {
                    try seek(partition, to: offset)
                    state.next = offset
                }
                let count = min(maxRecords, Int(high - offset))
                var records: [LogRecord] = []
                var bytes = 0
                var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: count)
                var waited: Int32 = 0
                // Every record below the high watermark exists: wait for the fetches that bring them.
                while records.count < count, bytes < maxBytes, waited < fetchTimeoutMilliseconds {
                    let got = rd_kafka_consume_batch_queue(state.queue, 100, &messages, count - records.count)
                    waited += 100
                    guard got >= 0 else { throw KafkaClient.failure("kafka fetch of \(partition)", rd_kafka_last_error()) }
                    for message in messages.prefix(Int(got)).compactMap({ $0 }) {
                        defer { rd_kafka_message_destroy(message) }
                        guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                            if message.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                            throw KafkaClient.failure("kafka fetch of \(partition)", message.pointee.err)
                        }
                        let record = KafkaRecord.logRecord(message, topic: partition.topic)
                        state.next = record.offset + 1
                        // Records past the byte budget are dropped here; the next read seeks back to them.
                        guard records.isEmpty || bytes + record.value.count <= maxBytes else {
                            bytes = maxBytes
                            continue
                        }
                        bytes += record.value.count
                        records.append(record)
                    }
                }
                guard !records.isEmpty else {
                    throw EventLogError.unavailable(operation: "kafka fetch of \(partition)", reason: "no record within 30 s")
                }
                return records
            }
        }

        private func assign(_ partition: TopicPartition, at offset: Int64) throws -> Assigned {
            // Consumed from its own queue, not the consumer's main queue: unforwarded before the first fetch.
            guard let queue = rd_kafka_queue_get_partition(client.handle, partition.topic, partition.partition) else {
                throw EventLogError.unknownPartition(partition)
            }
            rd_kafka_queue_forward(queue, nil)
            let list = KafkaPartitionList([partition: offset])
            if let error = rd_kafka_incremental_assign(client.handle, list.list) {
                defer { rd_kafka_error_destroy(error) }
                rd_kafka_queue_destroy(queue)
                throw EventLogError.unavailable(
                    operation: "kafka assign \(partition)", reason: String(cString: rd_kafka_error_string(error)))
            }
            return Assigned(queue: queue, next: offset)
        }

        private func seek(_ partition: TopicPartition, to offset: Int64) throws {
            let list = KafkaPartitionList([partition: offset])
            if let error = rd_kafka_seek_partitions(client.handle, list.list, client.timeoutMilliseconds) {
                defer { rd_kafka_error_destroy(error) }
                throw EventLogError.unavailable(operation: "kafka seek \(partition)", reason: String(cString: rd_kafka_error_string(error)))
            }
        }

        /// Frees the partition queues and the consumer.
        func close() {
            assigned.withLock { assigned in
                for state in assigned.values { rd_kafka_queue_destroy(state.queue) }
                assigned = [:]
            }
            rd_kafka_consumer_close(client.handle)
            client.destroy()
        }
    }

    /// Converts librdkafka messages to ``LogRecord``.
    enum KafkaRecord {
        static func logRecord(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> LogRecord {
            let key = message.pointee.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len)) } ?? []
            let value = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.len)) } ?? []
            return LogRecord(
                topic: topic, partition: message.pointee.partition, offset: message.pointee.offset,
                timestamp: timestamp(message), key: key, value: value)
        }

        /// The `csic-time-us` header when present (exact), else Kafka's millisecond timestamp.
        private static func timestamp(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> Timestamp {
            var headers: OpaquePointer?
            if rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
                var value: UnsafeRawPointer?
                var size = 0
                if rd_kafka_header_get_last(headers, KafkaHeader.microseconds, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let value,
                    let micros = Int64(String(decoding: UnsafeRawBufferPointer(start: value, count: size), as: UTF8.self))
                {
                    return Timestamp(microsecondsSinceEpoch: micros)
                }
            }
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let milliseconds = rd_kafka_message_timestamp(message, &type)
            return Timestamp(microsecondsSinceEpoch: max(0, milliseconds) * 1000)
        }
    }
#endif
