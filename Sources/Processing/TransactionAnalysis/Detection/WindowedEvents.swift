import CSICCore

/// Something that happened at a time, in a transaction.
protocol TimedEvent: Sendable {
    var time: Timestamp { get }
    var txid: String { get }
}

extension Collection where Element: TimedEvent {
    /// The txids of these events without repeats, in order, at most the last `limit`.
    func txids(limit: Int = 100) -> [String] {
        var seen = Set<String>()
        var ordered: [String] = []
        for event in reversed() where seen.insert(event.txid).inserted {
            ordered.append(event.txid)
            if ordered.count == limit { break }
        }
        return ordered.reversed()
    }
}

/// Events per key (an address or entity) within a sliding time window: what the streaming detectors count.
/// Expiry is incremental (a queue in arrival order), so dropping old events costs what adding them did; a key
/// keeps at most `maxPerKey` events (the oldest go first), so one busy address cannot grow without bound.
struct WindowedEvents<Event: TimedEvent>: Sendable {
    struct Series: Sendable {
        var events: [Event] = []
        /// When the key was last reported, so a pattern that continues is reported once per window.
        var reportedAt: Timestamp?
    }

    /// The window's length in microseconds.
    let window: Int64
    let maxPerKey: Int
    private(set) var series: [String: Series] = [:]
    private var arrivals: [(time: Timestamp, key: String)] = []
    private var head = 0

    init(seconds: Int64, maxPerKey: Int = 4_096) {
        window = seconds * 1_000_000
        self.maxPerKey = maxPerKey
    }

    /// The start of the window that ends at `time`.
    func start(endingAt time: Timestamp) -> Timestamp { time.adding(microseconds: -window) }

    /// Adds `event` under `key`; returns the key's events within the window ending at the event's time. One
    /// hash lookup of the key (the detectors append several times per transaction).
    @discardableResult
    mutating func append(_ event: Event, for key: String) -> ArraySlice<Event> {
        arrivals.append((event.time, key))
        return Self.append(event, to: &series[key, default: Series()], maxPerKey: maxPerKey, from: start(endingAt: event.time))
    }

    private static func append(_ event: Event, to series: inout Series, maxPerKey: Int, from start: Timestamp) -> ArraySlice<Event> {
        series.events.append(event)
        if series.events.count > maxPerKey { series.events.removeFirst(series.events.count - maxPerKey) }
        return Self.within(series.events, from: start)
    }

    /// `key`'s events within the window ending at `time`.
    func recent(for key: String, at time: Timestamp) -> ArraySlice<Event> {
        guard let events = series[key]?.events else { return [] }
        return Self.within(events, from: start(endingAt: time))
    }

    private static func within(_ events: [Event], from start: Timestamp) -> ArraySlice<Event> {
        events[(events.firstIndex { $0.time >= start } ?? events.endIndex)...]
    }

    /// Whether `key` may be reported at `time`: never reported, or last reported a whole window ago.
    func mayReport(_ key: String, at time: Timestamp) -> Bool {
        guard let reported = series[key]?.reportedAt else { return true }
        return reported < start(endingAt: time)
    }

    /// Records that `key` was reported at `time` (kept until a window after it, with or without events).
    mutating func markReported(_ key: String, at time: Timestamp) {
        series[key, default: Series()].reportedAt = time
        arrivals.append((time, key))
    }

    /// Drops the events of `txid` under `keys`.
    mutating func remove(txid: String, under keys: some Sequence<String>) {
        for key in keys { series[key]?.events.removeAll { $0.txid == txid } }
    }

    /// Drops events older than the window ending at `time`, and keys left without events.
    mutating func expire(before time: Timestamp) {
        let start = start(endingAt: time)
        while head < arrivals.count, arrivals[head].time < start {
            let key = arrivals[head].key
            head += 1
            // One hash lookup: the key's series is changed, or removed, through its index.
            guard let index = series.index(forKey: key) else { continue }
            if Self.expire(&series.values[index], before: start) { series.remove(at: index) }
        }
        if head > 1_024, head * 2 > arrivals.count {
            arrivals.removeFirst(head)
            head = 0
        }
    }

    /// Drops the events of `series` older than `start`; whether nothing is left to keep (no events, and not
    /// reported since `start`).
    private static func expire(_ series: inout Series, before start: Timestamp) -> Bool {
        let keep = series.events.firstIndex { $0.time >= start } ?? series.events.count
        if keep == series.events.count, series.reportedAt.map({ $0 < start }) ?? true { return true }
        if keep > 0 { series.events.removeFirst(keep) }
        return false
    }
}
