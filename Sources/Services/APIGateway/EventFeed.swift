import CSICCore
import Foundation
import Hummingbird
import ServiceLifecycle
import Storage
import Synchronization

/// `GET /api/v1/events`: server-sent events of newly stored transactions and dead letters, for the console
/// (the same stream gRPC `Watch` carries). Each event's id is `<transaction position>-<dead letter
/// position>`; a client that reconnects with `Last-Event-ID` resumes right after it, one that connects
/// without starts with what is stored from then on. The store is read every half second; a comment line keeps
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

        init(transactions: Int64, deadLetters: Int64) {
            self.transactions = transactions
            self.deadLetters = deadLetters
        }

        /// Parses `<n>-<m>`; `nil` when malformed.
        init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard text.utf8.count <= 41, parts.count == 2, let first = Int64(parts[0]), let second = Int64(parts[1]), first >= 0,
                second >= 0
            else { return nil }
            self.init(transactions: first, deadLetters: second)
        }

        var id: String { "\(transactions)-\(deadLetters)" }
    }

    var route: APIRoute {
        APIRoute(
            .get, "events", access: .roles("events.read", .admin, .supervisor, .analyst, .auditor),
            summary: "Server-sent events of newly stored transactions and dead letters (Last-Event-ID resumes)",
            // Each event: `data` is a transaction or dead letter as the list routes show them (JSON text).
            response: .object(
                [
                    "id": .string(pattern: "^[0-9]+-[0-9]+$"), "event": .string(values: ["transaction", "dead_letter"]), "data": .string(),
                    "retry": .integer(),
                ]),
            problems: [.serviceUnavailable], contentType: "text/event-stream",
            redaction: Redaction(fields: ["key_base64", "payload_base64"], visibleTo: [.admin, .supervisor])
        ) { request, context in try await self.stream(request, context) }
    }

    private func stream(_ request: Request, _ context: APIContext) async throws -> Response {
        let start: Position
        if let last = request.headers[.init("Last-Event-ID")!] {
            guard let position = Position(last) else {
                throw APIError(
                    .badRequest, code: "invalid_last_event_id", message: "Last-Event-ID must be <n>-<m> as sent in an event's id")
            }
            start = position
        } else {
            let now = try await feed.feedPositions()
            start = Position(transactions: now.transactions, deadLetters: now.deadLetters)
        }
        guard open.wrappingAdd(1, ordering: .relaxed).oldValue < maxStreams else {
            open.wrappingSubtract(1, ordering: .relaxed)
            throw APIError(.serviceUnavailable, code: "too_many_streams", message: "too many open event streams; retry later")
        }
        let hidden = context.hiddenFields
        let body = ResponseBody { [self] writer in
            defer { open.wrappingSubtract(1, ordering: .relaxed) }
            try await send(from: start, hiding: hidden, encoder: context.responseEncoder, to: &writer)
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no"],
            body: body)
    }

    private func send(
        from start: Position, hiding hidden: Set<String>, encoder: JSONEncoder, to writer: inout any ResponseBodyWriter
    ) async throws {
        var position = start
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        let ends = ContinuousClock.now.advanced(by: .seconds(maxSeconds))
        var quietSince = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully, ContinuousClock.now < ends {
            var text = ""
            for stored in try await feed.transactions(after: position.transactions, limit: 200) {
                position.transactions = stored.position
                let data = try encoder.encode(try TransactionView(stored.item))
                text += "id: \(position.id)\nevent: transaction\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
            }
            for stored in try await feed.deadLetters(after: position.deadLetters, limit: 200) {
                position.deadLetters = stored.position
                let data = try encoder.encode(DeadLetterView(stored.item, hiding: hidden))
                text += "id: \(position.id)\nevent: dead_letter\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
            }
            if text.isEmpty, ContinuousClock.now - quietSince > .seconds(15) { text = ": keep-alive\n\n" }
            if !text.isEmpty {
                try await writer.write(ByteBuffer(string: text))
                quietSince = ContinuousClock.now
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
