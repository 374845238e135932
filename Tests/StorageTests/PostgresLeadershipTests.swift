import CSICTestSupport
import Storage
import Synchronization
import Testing

/// One leader at a time among processes (here: two stores with their own connection pools, as two processes
/// have); when the leader's connections close (its process died), the other takes over.
@Suite(.enabled(if: TestPostgres.server != nil, "CSIC_TEST_POSTGRES_URL names a PostgreSQL server"))
struct PostgresLeadershipTests {
    final class Observed: Sendable {
        let leading = Atomic<Int>(0)
        let mostAtOnce = Atomic<Int>(0)
        let firstLed = Atomic<Bool>(false)
        let secondLed = Atomic<Bool>(false)

        func enter() {
            let now = leading.add(1, ordering: .sequentiallyConsistent).newValue
            mostAtOnce.max(now, ordering: .sequentiallyConsistent)
        }

        func leave() { leading.subtract(1, ordering: .sequentiallyConsistent) }
    }

    @Test func theSecondProcessLeadsOnlyAfterTheFirstIsGone() async throws {
        let settings = try #require(TestPostgres.settings())
        let first = try await PostgresStore.open(settings)
        let second = try await PostgresStore.open(settings)
        let observed = Observed()
        let firstTask = Task {
            try await PostgresLeadership(store: first, name: "test-leader").whileLeading({ _ in }) {
                observed.enter()
                defer { observed.leave() }
                observed.firstLed.store(true, ordering: .sequentiallyConsistent)
                try await Task.sleep(for: .seconds(3600))
            }
        }
        while !observed.firstLed.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(20)) }
        let secondTask = Task {
            try await PostgresLeadership(store: second, name: "test-leader", retry: .milliseconds(100)).whileLeading({ _ in }) {
                observed.enter()
                defer { observed.leave() }
                observed.secondLed.store(true, ordering: .sequentiallyConsistent)
            }
        }
        try await Task.sleep(for: .seconds(1))
        let secondLedEarly = observed.secondLed.load(ordering: .sequentiallyConsistent)
        #expect(!secondLedEarly, "the lock is held by the first")
        // The first "process" dies: its work stops, its pool's connections close, the server releases its lock.
        firstTask.cancel()
        first.close()
        try await secondTask.value
        let (secondLed, mostAtOnce) = (
            observed.secondLed.load(ordering: .sequentiallyConsistent), observed.mostAtOnce.load(ordering: .sequentiallyConsistent)
        )
        #expect(secondLed)
        #expect(mostAtOnce == 1)
        second.close()
    }

    /// A leader whose lock's connection fails stops its work and says so.
    @Test func aLeaderThatLosesItsConnectionStops() async throws {
        let settings = try #require(TestPostgres.settings())
        let store = try await PostgresStore.open(settings)
        let observed = Observed()
        let task = Task {
            try await PostgresLeadership(store: store, name: "test-lost", check: .milliseconds(200)).whileLeading({ _ in }) {
                observed.firstLed.store(true, ordering: .sequentiallyConsistent)
                try await Task.sleep(for: .seconds(3600))
            }
        }
        while !observed.firstLed.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(20)) }
        store.close()
        await #expect(throws: PostgresLeadershipError.self) { try await task.value }
    }
}
