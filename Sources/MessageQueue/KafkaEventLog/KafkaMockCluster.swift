#if Kafka
    import CSICCore
    import Foundation

    /// librdkafka's mock cluster in a helper process (`csic-kafka-mock`), reached by clients over loopback: for the
    /// tests (`scripts/test` sets `CSIC_TEST_KAFKA_MOCK` to the helper's path) and `csic bench pipeline --kafka-mock`.
    /// Not a broker: it has no CreateTopics (``createTopic(_:partitions:)`` goes through the helper), no ListGroups,
    /// and it refuses the old generation's commits on every rebalance.
    public final class KafkaMockCluster: @unchecked Sendable {
        /// The helper's path from `CSIC_TEST_KAFKA_MOCK`; `nil` when the variable is not set.
        public static let helper = ProcessInfo.processInfo.environment["CSIC_TEST_KAFKA_MOCK"]

        private let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private let lock = NSLock()
        private var buffered: [UInt8] = []
        /// `host:port,...` of the brokers.
        public private(set) var bootstrapServers = ""

        /// Starts a cluster of `brokers` brokers with the helper at `helper`.
        public init(brokers: Int = 3, helper: String? = KafkaMockCluster.helper) throws {
            guard let helper else { throw MockKafkaError("CSIC_TEST_KAFKA_MOCK is not set") }
            process.executableURL = URL(fileURLWithPath: helper)
            process.arguments = [String(brokers)]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let first = try line()
            guard first.hasPrefix("bootstrap ") else { throw MockKafkaError("the helper said: \(first)") }
            bootstrapServers = String(first.dropFirst("bootstrap ".count))
        }

        /// Creates a topic (the mock cluster answers no CreateTopics).
        public func createTopic(_ name: String, partitions: Int32) throws { try command("topic \(name) \(partitions)") }

        /// Stops a broker (ids 1...brokers): its connections are closed and new ones refused.
        public func brokerDown(_ id: Int) throws { try command("down \(id)") }

        /// Lets a stopped broker accept connections again.
        public func brokerUp(_ id: Int) throws { try command("up \(id)") }

        /// Options for a ``KafkaEventLog`` on this cluster (topics created through the helper), with librdkafka's
        /// own log only when critical (a broker taken down makes it report refused connections).
        public func logOptions(clientID: String = "csic", knownGroups: [String] = []) -> KafkaLogOptions {
            KafkaLogOptions(
                settings: KafkaSettings(bootstrapServers: bootstrapServers, clientID: clientID, properties: ["log_level": "2"]),
                createTopic: { name, partitions in try self.createTopic(name, partitions: partitions) }, knownGroups: knownGroups)
        }

        /// Stops the cluster.
        public func stop() {
            try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
            process.waitUntilExit()
        }

        private func command(_ text: String) throws {
            try lock.withLock {
                try input.fileHandleForWriting.write(contentsOf: Data((text + "\n").utf8))
                let answer = try line()
                guard answer == "ok" else { throw MockKafkaError("\(text): \(answer)") }
            }
        }

        private func line() throws -> String {
            while true {
                if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                    defer { buffered.removeSubrange(...newline) }
                    return String(decoding: buffered[..<newline], as: UTF8.self)
                }
                let more = output.fileHandleForReading.availableData
                guard !more.isEmpty else { throw MockKafkaError("the helper exited") }
                buffered += more
            }
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// The mock cluster's helper failed or refused a command.
    public struct MockKafkaError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
#endif
