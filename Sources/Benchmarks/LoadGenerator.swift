import AsyncHTTPClient
import CSICCore
import Foundation
import NIOCore
import NIOHTTP1

/// HTTP load on loopback: `connections` workers for a fixed time. Closed loop (no `rate`): each worker sends
/// its next request when the last is answered, which measures the most the server answers. Open loop
/// (`rate` requests per second over all workers): each worker keeps its share of a fixed schedule and a
/// request's latency counts from when it was due, so time spent waiting behind a slow answer is counted
/// (no coordinated omission). Every answer is read in full; anything but 200 counts as failed.
struct LoadGenerator: Sendable {
    let client: HTTPClient
    let connections: Int
    var rate: Double? = nil

    struct Run: Sendable {
        var requests = 0
        var failures = 0
        /// Failed requests by status (0: no answer).
        var failedStatuses: [Int: Int] = [:]
        var latency = LatencyHistogram()
        var duration = Duration.zero

        var rate: Double { Double(requests) / max(duration.seconds, 1e-9) }
    }

    func drive(
        seconds: Double, headers: HTTPHeaders, url: @escaping @Sendable (inout SystemRandomNumberGenerator) -> String
    ) async throws -> Run {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: .seconds(seconds))
        var total = try await withThrowingTaskGroup(of: Run.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var run = Run()
                    var generator = SystemRandomNumberGenerator()
                    // Open loop: this worker's requests are due every `interval`, staggered across workers.
                    let interval = rate.map { Duration.seconds(Double(connections) / $0) }
                    var due = started + (interval ?? .zero) * Double(worker) / Double(connections)
                    while clock.now < deadline {
                        if interval != nil {
                            if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                            guard due < deadline else { break }
                        }
                        var request = HTTPClientRequest(url: url(&generator))
                        request.headers = headers
                        var sent = clock.now
                        if let interval {
                            sent = due
                            due += interval
                        }
                        var status = 0
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 8 << 20)
                            status = Int(response.status.code)
                        } catch {
                            status = 0
                        }
                        let elapsed = clock.now - sent
                        run.latency.record(microseconds: Int64(elapsed.seconds * 1_000_000))
                        run.requests += 1
                        if status != 200 {
                            run.failures += 1
                            run.failedStatuses[status, default: 0] += 1
                        }
                    }
                    return run
                }
            }
            var total = Run()
            for try await run in group {
                total.requests += run.requests
                total.failures += run.failures
                total.failedStatuses.merge(run.failedStatuses, uniquingKeysWith: +)
                total.latency.merge(run.latency)
            }
            return total
        }
        total.duration = clock.now - started
        return total
    }

    /// The status and JSON body of one GET.
    func get(_ url: String, _ headers: HTTPHeaders) async throws -> (Int, Any?) {
        var request = HTTPClientRequest(url: url)
        request.headers = headers
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        return (Int(response.status.code), try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)))
    }

    static func status(_ client: HTTPClient, _ url: String, _ headers: HTTPHeaders) async throws -> Int {
        try await LoadGenerator(client: client, connections: 1).get(url, headers).0
    }
}

/// Transactions, addresses and seen times sampled across the whole store through the API (one row at a
/// random storage position, `?limit=1&cursor=<position>`), which also warms the store's cache as a running
/// platform's would be.
struct Sample: Sendable {
    var ids: [String] = []
    var addresses: [String] = []
    /// Seen times in microseconds.
    var earliest: Int64 = .max
    var latest: Int64 = .min

    static func take(_ load: LoadGenerator, port: Int, headers: HTTPHeaders, stored: Int, count: Int = 2_000) async throws -> Sample {
        let sample = try await withThrowingTaskGroup(of: Sample.self) { group in
            for worker in 0..<min(50, count) {
                group.addTask {
                    var found = Sample()
                    for _ in stride(from: worker, to: count, by: 50) {
                        let position = Int.random(in: 2...max(2, stored + 1))
                        let url = "http://127.0.0.1:\(port)/api/v1/transactions?limit=1&cursor=\(position)"
                        guard case (200, let body as [String: Any]) = try await load.get(url, headers),
                            let item = (body["items"] as? [[String: Any]])?.first, let id = item["id"] as? String,
                            let seen = (item["seen_at"] as? String).flatMap(Timestamp.init(iso8601:))
                        else { continue }
                        found.ids.append(id)
                        if let address = (item["addresses"] as? [String])?.first { found.addresses.append(address) }
                        found.earliest = min(found.earliest, seen.microsecondsSinceEpoch)
                        found.latest = max(found.latest, seen.microsecondsSinceEpoch)
                    }
                    return found
                }
            }
            var sample = Sample()
            for try await part in group {
                sample.ids += part.ids
                sample.addresses += part.addresses
                sample.earliest = min(sample.earliest, part.earliest)
                sample.latest = max(sample.latest, part.latest)
            }
            return sample
        }
        guard !sample.ids.isEmpty, !sample.addresses.isEmpty else { throw BenchmarkError.noSample }
        return sample
    }

    static func rfc3339(_ microseconds: Int64) -> String {
        Timestamp(microsecondsSinceEpoch: microseconds).description
    }
}

enum BenchmarkError: Error, CustomStringConvertible {
    case noSample

    var description: String { "the store answered no transaction to sample; is it empty?" }
}
