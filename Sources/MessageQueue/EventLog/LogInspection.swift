/// A read-only look at an embedded log directory, safe while another process has the log open:
/// nothing is truncated, created or locked.
import DurableFiles

public struct LogInspection: Sendable {
    public struct TopicSummary: Sendable {
        public var name: String
        public var configuration: TopicConfiguration
        public var partitions: [PartitionStatus]
    }

    public var topics: [TopicSummary]
    /// Committed offsets: group -> partition -> next offset.
    public var groups: [String: [TopicPartition: Int64]]

    /// Asks a running backend (Kafka) through the ``EventLog`` protocol: topics, extents, groups' offsets.
    public init(log: any EventLog) async throws {
        var topics: [TopicSummary] = []
        for name in try await log.topicNames() {
            let partitions = try await log.describe(topic: name)
            topics.append(
                TopicSummary(name: name, configuration: TopicConfiguration(partitions: Int32(partitions.count)), partitions: partitions))
        }
        var groups: [String: [TopicPartition: Int64]] = [:]
        for group in try await log.groupNames() {
            for topic in topics {
                for (partition, offset) in try await log.committedOffsets(group: group, topic: topic.name) {
                    groups[group, default: [:]][TopicPartition(topic: topic.name, partition: partition)] = offset
                }
            }
        }
        self.topics = topics
        self.groups = groups
    }

    /// Reads topic configurations, segment extents (from index files, or by scanning) and group offsets.
    public init(directory: String) throws {
        var topics: [TopicSummary] = []
        for name in FileIO.list("\(directory)/topics") {
            let confPath = "\(directory)/topics/\(name)/topic.conf"
            guard FileIO.exists(confPath) else { continue }
            let configuration = try TopicConfigurationFile.decode(FileIO.readFile(confPath), path: confPath)
            var partitions: [PartitionStatus] = []
            for partition in 0..<configuration.partitions {
                let partitionDirectory = "\(directory)/topics/\(name)/\(partition)"
                let tp = TopicPartition(topic: name, partition: partition)
                var status = PartitionStatus(partition: partition, startOffset: 0, endOffset: 0, sizeBytes: 0)
                let segments = FileIO.list(partitionDirectory).filter { $0.hasSuffix(".log") }
                for (position, segmentName) in segments.enumerated() {
                    guard let base = Int64(segmentName.dropLast(4)) else { continue }
                    let segment = try PartitionLog.extent(
                        path: "\(partitionDirectory)/\(segmentName)", baseOffset: base,
                        sealed: position < segments.count - 1, topicPartition: tp)
                    if position == 0 { status.startOffset = segment.baseOffset }
                    status.endOffset = segment.endOffset
                    status.sizeBytes += segment.size
                }
                partitions.append(status)
            }
            topics.append(TopicSummary(name: name, configuration: configuration, partitions: partitions))
        }
        self.topics = topics
        var groups: [String: [TopicPartition: Int64]] = [:]
        let store = try OffsetStore(directory: "\(directory)/groups", createIfMissing: false)
        for group in store.groupNames {
            for topic in topics {
                for (partition, offset) in store.offsets(group: group, topic: topic.name) {
                    groups[group, default: [:]][TopicPartition(topic: topic.name, partition: partition)] = offset
                }
            }
        }
        self.groups = groups
    }
}
