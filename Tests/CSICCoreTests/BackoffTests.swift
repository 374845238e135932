import CSICCore
import Testing

@Suite struct BackoffTests {
    @Test func doublesUpToTheMaximumAndResets() {
        var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(2))
        #expect(
            (0..<6).map { _ in backoff.next() } == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2),
            ])
        backoff.reset()
        #expect(backoff.next() == .milliseconds(250))
    }

    @Test func aMaximumBelowTheInitialWaitIsTheInitialWait() {
        var backoff = Backoff(initial: .seconds(1), maximum: .milliseconds(10))
        #expect(backoff.next() == .seconds(1) && backoff.next() == .seconds(1))
    }
}
