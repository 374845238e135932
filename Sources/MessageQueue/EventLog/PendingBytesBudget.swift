import Synchronization

/// Bounds the bytes of appends in flight: producers wait instead of queueing without limit.
final class PendingBytesBudget: Sendable {
    private struct State {
        var available: Int
        var waiters: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = capacity
        state = Mutex(State(available: capacity))
    }

    /// Waits until `bytes` (capped at the capacity, so one large append still proceeds) are free.
    func acquire(_ bytes: Int) async {
        let wanted = min(bytes, capacity)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.waiters.isEmpty, state.available >= wanted {
                    state.available -= wanted
                    return true
                }
                state.waiters.append((wanted, continuation))
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release(_ bytes: Int) {
        let wanted = min(bytes, capacity)
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.available += wanted
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiters.first, first.bytes <= state.available {
                state.available -= first.bytes
                ready.append(first.continuation)
                state.waiters.removeFirst()
            }
            return ready
        }
        ready.forEach { $0.resume() }
    }
}
