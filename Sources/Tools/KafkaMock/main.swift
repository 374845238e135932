import Foundation

/// Writes one answer line at once (standard output is a pipe: no buffering).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

#if Kafka
    import CKafka

    /// `csic-kafka-mock [BROKERS]`: librdkafka's mock cluster (`test.mock.num.brokers`) in its own process, for
    /// tests that run the platform against "Kafka" on a machine where no broker can be installed.
    ///
    /// Prints `bootstrap HOST:PORT,...` once the brokers listen on loopback, then reads one command per line on
    /// standard input and answers `ok` or `error REASON` on standard output:
    /// `topic NAME PARTITIONS` creates a topic (the mock has no CreateTopics), `down ID` / `up ID` stop and
    /// restart a broker (ids 1...BROKERS), `quit` (or the end of input) stops the cluster.
    let brokers = CommandLine.arguments.count > 1 ? Int32(CommandLine.arguments[1]) ?? 3 : 3
    var errorText = [CChar](repeating: 0, count: 512)
    let configuration = rd_kafka_conf_new()
    guard
        rd_kafka_conf_set(configuration, "test.mock.num.brokers", "\(brokers)", &errorText, errorText.count) == RD_KAFKA_CONF_OK,
        let handle = rd_kafka_new(RD_KAFKA_PRODUCER, configuration, &errorText, errorText.count),
        let cluster = rd_kafka_handle_mock_cluster(handle)
    else {
        say("error \(errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        exit(1)
    }
    say("bootstrap \(String(cString: rd_kafka_mock_cluster_bootstraps(cluster)))")

    func answer(_ error: rd_kafka_resp_err_t) -> String {
        error == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : "error \(String(cString: rd_kafka_err2str(error)))"
    }

    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        let reply: String
        switch (words.first, words.count) {
        case ("topic", 3):
            if let partitions = Int32(words[2]), partitions > 0 {
                reply = answer(rd_kafka_mock_topic_create(cluster, words[1], partitions, min(brokers, 3)))
            } else {
                reply = "error partitions must be a positive number"
            }
        case ("down", 2), ("up", 2):
            if let id = Int32(words[1]), (1...brokers).contains(id) {
                reply = answer(words[0] == "down" ? rd_kafka_mock_broker_set_down(cluster, id) : rd_kafka_mock_broker_set_up(cluster, id))
            } else {
                reply = "error broker ids are 1...\(brokers)"
            }
        case ("quit", _):
            rd_kafka_destroy(handle)
            exit(0)
        default:
            reply = "error unknown command: \(line)"
        }
        say(reply)
    }
    rd_kafka_destroy(handle)
#else
    say("error csic-kafka-mock needs a build with the Kafka trait (swift build --traits Kafka)")
    exit(2)
#endif
