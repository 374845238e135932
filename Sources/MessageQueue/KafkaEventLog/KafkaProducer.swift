#if Kafka
    import CKafka
    import CSICCore
    import DurableFiles
    import EventLog
    import Foundation
    import Synchronization

    /// The idempotent producer (`acks=all`, `enable.idempotence`): an append returns once every record's delivery
    /// report says it is written to all in-sync replicas, with its partition and offset.
    ///
    /// The partition is chosen here with ``Partitioner`` (murmur2, as Kafka's Java client and the embedded log), so
    /// a key lands in the same partition on both backends. A thread serves librdkafka's delivery reports.
    final class KafkaProducer: @unchecked Sendable {
        private let client: KafkaClient
        private let provenance: [UInt8]
        private let running = RunningFlag()
        private let poller: Thread

        init(settings: KafkaSettings, provenance: String) throws(EventLogError) {
            client = try KafkaClient(
                RD_KAFKA_PRODUCER, settings: settings,
                extra: [
                    "enable.idempotence": "true", "acks": "all", "linger.ms": "5", "compression.codec": "lz4",
                    "queue.buffering.max.messages": "1000000", "message.timeout.ms": "300000",
                ],
                prepare: { rd_kafka_conf_set_dr_msg_cb($0, deliveryReport) })
            self.provenance = Array(provenance.utf8)
            // Nothing in the closure but these two: the thread must not keep the producer alive.
            poller = Thread { [client, running] in
                while running.value.load(ordering: .relaxed) { rd_kafka_poll(client.handle, 100) }
            }
            poller.name = "csic-kafka-delivery"
            poller.start()
        }

        var handle: KafkaClient { client }

        /// Sends `records` to `topic` (of `partitions` partitions) and waits for every delivery report.
        func append(topic: String, partitions: Int32, records: [ProducerRecord]) async throws -> [RecordPosition] {
            guard !records.isEmpty else { return [] }
            let pending = PendingAppend(count: records.count)
            try await BlockingIO.run { try self.enqueue(topic: topic, partitions: partitions, records: records, into: pending) }
            return try await pending.positions()
        }

        private func enqueue(topic: String, partitions: Int32, records: [ProducerRecord], into pending: PendingAppend) throws {
            let topicName = strdup(topic)!
            defer { free(topicName) }
            for (index, record) in records.enumerated() {
                let slot = Unmanaged.passRetained(DeliverySlot(pending: pending, index: index)).toOpaque()
                let time = record.timestamp ?? Timestamp.now()
                let headers = rd_kafka_headers_new(2)!
                var micros = Array(String(time.microsecondsSinceEpoch).utf8)
                rd_kafka_header_add(headers, KafkaHeader.producer, -1, provenance, provenance.count)
                rd_kafka_header_add(headers, KafkaHeader.microseconds, -1, &micros, micros.count)
                var error = RD_KAFKA_RESP_ERR__QUEUE_FULL
                while error == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                    error = record.key.withUnsafeBytes { key in
                        record.value.withUnsafeBytes { value in
                            var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 7)
                            fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                            fields[0].u.cstr = UnsafePointer(topicName)
                            fields[1].vtype = RD_KAFKA_VTYPE_PARTITION
                            fields[1].u.i32 = Partitioner.partition(forKey: record.key, partitions: partitions)
                            fields[2].vtype = RD_KAFKA_VTYPE_KEY
                            fields[2].u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: key.baseAddress), size: key.count)
                            fields[3].vtype = RD_KAFKA_VTYPE_VALUE
                            fields[3].u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: value.baseAddress), size: value.count)
                            fields[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                            fields[4].u.i = RD_KAFKA_MSG_F_COPY
                            fields[5].vtype = RD_KAFKA_VTYPE_TIMESTAMP
                            fields[5].u.i64 = time.microsecondsSinceEpoch / 1000
                            fields[6].vtype = RD_KAFKA_VTYPE_HEADERS
                            fields[6].u.headers = headers
                            var opaque = rd_kafka_vu_t()
                            opaque.vtype = RD_KAFKA_VTYPE_OPAQUE
                            opaque.u.ptr = slot
                            fields.append(opaque)
                            let failure = rd_kafka_produceva(client.handle, fields, fields.count)
                            defer { if let failure { rd_kafka_error_destroy(failure) } }
                            return failure.map { rd_kafka_error_code($0) } ?? RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                    }
                    // The local queue is full: wait for deliveries to make room (back pressure on the caller).
                    if error == RD_KAFKA_RESP_ERR__QUEUE_FULL { rd_kafka_poll(client.handle, 10) }
                }
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    rd_kafka_headers_destroy(headers)
                    Unmanaged<DeliverySlot>.fromOpaque(slot).release()
                    let reason = String(cString: rd_kafka_err2str(error))
                    pending.fail(remaining: records.count - index, reason: reason)
                    throw error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
                        ? EventLogError.recordTooLarge(bytes: record.value.count + record.key.count, limit: 1 << 20)
                        : EventLogError.unavailable(operation: "kafka produce to \(topic)", reason: reason)
                }
            }
        }

        /// Waits up to `timeout` for the messages still queued, then stops the delivery thread and frees the client.
        func close(timeout: Duration) async throws {
            let milliseconds = Int32(timeout.components.seconds * 1000)
            let error = try await BlockingIO.run { rd_kafka_flush(self.client.handle, milliseconds) }
            running.value.store(false, ordering: .relaxed)
            while !poller.isFinished { try await Task.sleep(for: .milliseconds(20)) }
            client.destroy()
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaClient.failure("kafka flush on close", error) }
        }
    }

    /// Whether the delivery thread goes on.
    private final class RunningFlag: Sendable {
        let value = Atomic<Bool>(true)
    }

    /// The header names CSIC adds to every record.
    enum KafkaHeader {
        /// Who appended the record: `client-id@host/pid`.
        static let producer = "csic-producer"
        /// The record's time in microseconds (Kafka's own timestamp keeps milliseconds).
        static let microseconds = "csic-time-us"
    }

    /// One record's place in an append, handed to librdkafka as the message's opaque pointer.
    private final class DeliverySlot {
        let pending: PendingAppend
        let index: Int

        init(pending: PendingAppend, index: Int) {
            self.pending = pending
            self.index = index
        }
    }

    /// librdkafka's delivery report callback, on the delivery thread.
    private func deliveryReport(
        _ handle: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?
    ) {
        guard let message, let slotPointer = message.pointee._private else { return }
        let slot = Unmanaged<DeliverySlot>.fromOpaque(slotPointer).takeRetainedValue()
        if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            slot.pending.deliver(slot.index, RecordPosition(partition: message.pointee.partition, offset: message.pointee.offset))
        } else {
            slot.pending.fail(remaining: 1, reason: String(cString: rd_kafka_err2str(message.pointee.err)))
        }
    }

    /// The delivery reports of one append, and the task waiting for them.
    final class PendingAppend: Sendable {
        private struct State {
            var positions: [RecordPosition?]
            var outstanding: Int
            var failure: String?
            var waiter: CheckedContinuation<[RecordPosition], any Error>?
        }

        private let state: Mutex<State>

        init(count: Int) {
            state = Mutex(State(positions: Array(repeating: nil, count: count), outstanding: count))
        }

        func deliver(_ index: Int, _ position: RecordPosition) {
            state.withLock { state in
                state.positions[index] = position
                state.outstanding -= 1
                Self.resumeIfDone(&state)
            }
        }

        /// `remaining` records will get no (successful) report.
        func fail(remaining: Int, reason: String) {
            state.withLock { state in
                state.failure = state.failure ?? reason
                state.outstanding -= remaining
                Self.resumeIfDone(&state)
            }
        }

        /// Every record's position, or the first failure once every record is accounted for.
        func positions() async throws -> [RecordPosition] {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { state in
                    state.waiter = continuation
                    Self.resumeIfDone(&state)
                }
            }
        }

        private static func resumeIfDone(_ state: inout State) {
            guard state.outstanding == 0, let waiter = state.waiter else { return }
            state.waiter = nil
            if let failure = state.failure {
                waiter.resume(throwing: EventLogError.unavailable(operation: "kafka delivery", reason: failure))
            } else {
                waiter.resume(returning: state.positions.map { $0! })
            }
        }
    }
#endif
