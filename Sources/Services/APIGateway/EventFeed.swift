import CSICCore
import Foundation
import Hummingbird
import ServiceLifecycle
import Storage
import Synchronization

/// `GET /api/v1/events`: server-sent events of newly stored transactions and dead letters and of every alert
/// change, for the console (the same stream gRPC `Watch` carries). Each event's id is `<transaction
/// position>-<dead letter position>-<alert change position>`; a client that reconnects with `Last-Event-ID`
/// resumes right after it (an id of two positions, from before alerts were carried, resumes alerts from now),
/// one that connects without starts with what is stored from then on. The store is read every half second; a comment line keeps
/// idle connections alive; a stream ends after `maxSeconds` (the client reconnects with its last id) or at
/// shutdown. At most `maxStreams` are open at once (503 beyond).
final class EventFeed: Sendable {
    let feed: any StoredFeed
    let maxStreams: Int
    let maxSeconds: Double
    private let open = Atomic<Int>(0)

    init(feed: any StoredFeed, maxStreams: Int = 64, maxSeconds: Double = 600) {
        self.feed = feed
        self.maxStreams = maxStreams
        self.maxSeconds = maxSeconds
    }

    /// Where a feed resumes: after these positions.
    struct Position: Equatable {
        var transactions: Int64
        var deadLetters: Int64
        /// Nil in an id of two positions: alert changes from now on.
        var alertChanges: Int64?

        init(transactions: Int64, deadLetters: Int64, alertChanges: Int64?) {
            self.transactions = transactions
            self.deadLetters = deadLetters
            self.alertChanges = alertChanges
        }

        /// Parses `<n>-<m>-<k>` or `<n>-<m>`; `nil` when malformed.
        init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard text.utf8.count <= 62, (2...3).contains(parts.count) else { return nil }
            let numbers = parts.compactMap { Int64($0) }.filter { $0 >= 0 }
            guard numbers.count == parts.count else { return nil }
            self.init(transactions: numbers[0], deadLetters: numbers[1], alertChanges: numbers.count == 3 ? numbers[2] : nil)
        }

        var id: String { "\(transactions)-\(deadLetters)-\(alertChanges ?? 0)" }
    }

    var route: APIRoute {
        APIRoute(
            .get, "events", access: .eventsRead,
            summary: "Server-sent events of newly stored transactions and dead letters and of alert changes (Last-Event-ID resumes)",
            // Each event: `data` is a transaction or dead letter as the list routes show them, or an alert change as
            // an alert's history shows it (JSON text).
            response: .object(
                [
                    "id": .string(pattern: "^[0-9]+-[0-9]+-[0-9]+$"), "event": .string(values: ["transaction", "dead_letter", "alert"]),
                    "data": .string(), "retry": .integer(),
                ]),
            problems: [.serviceUnavailable], contentType: "text/event-stream",
            redaction: .deadLetterBytes
        ) { request, context in try await self.stream(request, context) }
    }

    private func stream(_ request: Request, _ context: APIContext) async throws -> Response {
        let start: Position
        if let last = request.headers[.init("Last-Event-ID")!] {
            guard let position = Position(last) else {
                throw APIError(
                    .badRequest, code: "invalid_last_event_id", message: "Last-Event-ID must be <n>-<m>-<k> as sent in an event's id")
            }
            start = try await resolved(position)
        } else {
            start = try await newest()
        }
        try openStream()
        let hidden = context.hiddenFields
        let encoder = context.responseEncoder
        let body = ResponseBody { [self] writer in
            defer { closeStream() }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            try await follow(from: start) { batch in
                var text = batch.isEmpty ? ": keep-alive\n\n" : ""
                for (position, event) in batch {
                    switch event {
                    case .transaction(let stored):
                        let data = try encoder.encode(try TransactionView(stored))
                        text += "id: \(position.id)\nevent: transaction\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
                    case .deadLetter(let letter):
                        let data = try encoder.encode(DeadLetterView(letter, hiding: hidden))
                        text += "id: \(position.id)\nevent: dead_letter\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
                    case .alertChange(let change):
                        let data = try encoder.encode(change)
                        text += "id: \(position.id)\nevent: alert\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
                    }
                }
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no"],
            body: body)
    }

    /// A stored item the feed carries.
    enum Event {
        case transaction(StoredTransaction)
        case deadLetter(DeadLetter)
        case alertChange(AlertChange)
    }

    /// Where a feed that starts now begins: after what is stored.
    func newest() async throws -> Position {
        let now = try await feed.feedPositions()
        return Position(transactions: now.transactions, deadLetters: now.deadLetters, alertChanges: now.alertChanges)
    }

    /// `position` with its alert changes from now on when it names none.
    func resolved(_ position: Position) async throws -> Position {
        guard position.alertChanges == nil else { return position }
        var resolved = position
        resolved.alertChanges = try await feed.feedPositions().alertChanges
        return resolved
    }

    /// Counts a stream against ``maxStreams``: 503 `too_many_streams` beyond it. Each call is paired with
    /// ``closeStream()``.
    func openStream() throws {
        guard open.wrappingAdd(1, ordering: .relaxed).oldValue < maxStreams else {
            open.wrappingSubtract(1, ordering: .relaxed)
            throw APIError(.serviceUnavailable, code: "too_many_streams", message: "too many open event streams; retry later")
        }
    }

    func closeStream() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Follows the store from `start`: `deliver` gets each batch of newly stored events, each with the position
    /// right after it (an empty batch after 15 s without any, to keep idle connections open), until
    /// ``maxSeconds`` pass, the task is cancelled or the platform shuts down.
    func follow(from start: Position, deliver: ([(position: Position, event: Event)]) async throws -> Void) async throws {
        var position = start
        let ends = ContinuousClock.now.advanced(by: .seconds(maxSeconds))
        var quietSince = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < ends {
            var batch: [(position: Position, event: Event)] = []
            for stored in try await feed.transactions(after: position.transactions, limit: 200) {
                position.transactions = stored.position
                batch.append((position, .transaction(stored.item)))
            }
            for stored in try await feed.deadLetters(after: position.deadLetters, limit: 200) {
                position.deadLetters = stored.position
                batch.append((position, .deadLetter(stored.item)))
            }
            for stored in try await feed.alertChanges(after: position.alertChanges ?? 0, limit: 200) {
                position.alertChanges = stored.position
                batch.append((position, .alertChange(stored.item)))
            }
            if !batch.isEmpty || ContinuousClock.now - quietSince > .seconds(15) {
                try await deliver(batch)
                quietSince = ContinuousClock.now
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
