import EventLog

/// The text of `csic log stats`.
public struct LogStatsReport {
    public let text: String

    public init(_ inspection: LogInspection) {
        var lines = ["topic            partition      start        end   records       bytes"]
        for topic in inspection.topics.sorted(by: { $0.name < $1.name }) {
            for partition in topic.partitions {
                lines.append(
                    Self.row([
                        (topic.name, -16), ("\(partition.partition)", 9), ("\(partition.startOffset)", 10),
                        ("\(partition.endOffset)", 10), ("\(partition.endOffset - partition.startOffset)", 9),
                        (partition.sizeBytes < 0 ? "unknown" : "\(partition.sizeBytes)", 11),
                    ]))
            }
        }
        lines.append("")
        lines.append("group                    topic              committed        end        lag")
        for group in inspection.groups.keys.sorted() {
            let offsets = inspection.groups[group]!
            for topic in inspection.topics.sorted(by: { $0.name < $1.name }) {
                let committed = topic.partitions.compactMap { offsets[TopicPartition(topic: topic.name, partition: $0.partition)] }
                guard !committed.isEmpty else { continue }
                let end = topic.partitions.reduce(Int64(0)) { $0 + $1.endOffset }
                let position = topic.partitions.reduce(Int64(0)) { total, partition in
                    total
                        + max(
                            offsets[TopicPartition(topic: topic.name, partition: partition.partition)] ?? partition.startOffset,
                            partition.startOffset)
                }
                lines.append(Self.row([(group, -24), (topic.name, -16), ("\(position)", 11), ("\(end)", 10), ("\(end - position)", 10)]))
            }
        }
        text = lines.joined(separator: "\n") + "\n"
    }

    /// Pads each cell to its width: negative widths left-align.
    private static func row(_ cells: [(String, Int)]) -> String {
        cells.map { text, width in
            let padding = String(repeating: " ", count: max(0, abs(width) - text.count))
            return width < 0 ? text + padding : padding + text
        }.joined(separator: " ")
    }
}
