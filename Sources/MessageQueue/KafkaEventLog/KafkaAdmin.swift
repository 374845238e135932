#if Kafka
    import CKafka
    import CSICCore
    import EventLog

    /// The Admin API calls CSIC makes: creating a topic, listing consumer groups. They block: run on `BlockingIO`.
    enum KafkaAdmin {
        /// Creates `name` with the configured partitions, `replication` replicas (at most the brokers) and the
        /// retention policy as `retention.ms` / `retention.bytes`. A topic that already exists is left as it is.
        static func createTopic(_ name: String, _ configuration: TopicConfiguration, replication: Int, client: KafkaClient) throws {
            var errorText = [CChar](repeating: 0, count: 512)
            let brokers = try brokerCount(client)
            guard
                let topic = rd_kafka_NewTopic_new(
                    name, configuration.partitions, Int32(min(replication, brokers)), &errorText, errorText.count)
            else { throw EventLogError.unavailable(operation: "kafka create topic \(name)", reason: KafkaClient.text(errorText)) }
            defer { rd_kafka_NewTopic_destroy(topic) }
            let retention = configuration.retention
            rd_kafka_NewTopic_set_config(topic, "retention.ms", retention.maxAgeSeconds.map { String($0 * 1000) } ?? "-1")
            rd_kafka_NewTopic_set_config(topic, "retention.bytes", retention.maxBytesPerPartition.map(String.init) ?? "-1")
            let queue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(queue) }
            var topics: [OpaquePointer?] = [topic]
            rd_kafka_CreateTopics(client.handle, &topics, 1, nil, queue)
            guard let event = rd_kafka_queue_poll(queue, client.timeoutMilliseconds) else {
                throw EventLogError.unavailable(operation: "kafka create topic \(name)", reason: "no answer")
            }
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_CreateTopics_result(event) else {
                throw EventLogError.unavailable(
                    operation: "kafka create topic \(name)", reason: String(cString: rd_kafka_event_error_string(event)))
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let first = results[0] else { return }
            let error = rd_kafka_topic_result_error(first)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
                let reason =
                    rd_kafka_topic_result_error_string(first).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error))
                throw EventLogError.unavailable(operation: "kafka create topic \(name)", reason: reason)
            }
        }

        /// The consumer groups the cluster knows (fails on a cluster that answers no ListGroups).
        static func listGroups(client: KafkaClient) throws -> [String] {
            var list: UnsafePointer<rd_kafka_group_list>?
            let error = rd_kafka_list_groups(client.handle, nil, &list, client.timeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaClient.failure("kafka list groups", error) }
            defer { rd_kafka_group_list_destroy(list) }
            return (0..<Int(list.pointee.group_cnt)).map { String(cString: list.pointee.groups[$0].group) }
        }

        private static func brokerCount(_ client: KafkaClient) throws -> Int {
            try client.metadata(allTopics: false) { max(1, Int($0.broker_cnt)) }
        }
    }
#endif
